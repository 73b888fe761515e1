//! JSON in (content type, size cap, unknown fields, per-field errors) and JSON out.

mod tracked;

use crate::{ApiError, FieldError, Request, Response};
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::error::Category;

/// The media types a plain JSON endpoint accepts.
pub const JSON: &[&str] = &["application/json"];
/// Default cap on a request body. Spin sets none below its host buffer, so we must.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Parses the body as `T`: 413 over `max_bytes`, 400 when empty or malformed or when it
/// has an unknown field, 415 for another media type, 422 with the field path when a
/// value has the wrong type or is out of range for `T`.
pub fn json_body<T: DeserializeOwned>(
    request: &Request,
    accepted: &'static [&'static str],
    max_bytes: usize,
) -> Result<T, ApiError> {
    let body = request.body();
    if body.len() > max_bytes {
        return Err(ApiError::PayloadTooLarge(max_bytes));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest {
            code: "empty_body",
            detail: "a JSON body is required".into(),
        });
    }
    if !media_type_accepted(request.headers().get(header::CONTENT_TYPE), accepted) {
        return Err(ApiError::UnsupportedMediaType(accepted));
    }
    // Parsed into a tree first and typed from the tree: each body type's deserializer is
    // then instantiated once (over `Value`, shared with merge patches) instead of once per
    // input kind, which took ~70 KB off customer-profile's `.wasm` (issue 20).
    let value = strict_tree(body)?;
    from_json_value(value)
}

/// Parses JSON text into a tree, refusing a member named twice in one object as a typed
/// struct would (with a tree the last one would silently win, and a body two readers read
/// differently is a security review finding).
fn strict_tree(body: &[u8]) -> Result<serde_json::Value, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let StrictValue(value) =
        serde::Deserialize::deserialize(&mut de).map_err(|e| classify(".".into(), e))?;
    de.end().map_err(|e| classify(".".into(), e))?;
    Ok(value)
}

/// A JSON tree whose objects hold every member once.
struct StrictValue(serde_json::Value);

impl<'de> serde::Deserialize<'de> for StrictValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, Into::into))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(StrictValue(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(serde_json::Value::Array(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = serde_json::Map::new();
        while let Some(name) = map.next_key::<String>()? {
            let StrictValue(value) = map.next_value()?;
            if members.contains_key(&name) {
                return Err(serde::de::Error::custom(format_args!(
                    "duplicate field `{name}`"
                )));
            }
            members.insert(name, value);
        }
        Ok(serde_json::Value::Object(members))
    }
}

/// Deserialises an already-parsed JSON value as `T`, with the same 400/422 mapping as
/// [`json_body`] (used after applying a merge patch).
pub fn from_json_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    tracked::deserialize(&value).map_err(|(path, e)| classify(path, e))
}

fn media_type_accepted(value: Option<&HeaderValue>, accepted: &[&str]) -> bool {
    let Some(Ok(value)) = value.map(HeaderValue::to_str) else {
        return false;
    };
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let charset_ok = parts.all(|p| match p.trim().split_once('=') {
        Some((name, v)) if name.trim().eq_ignore_ascii_case("charset") => {
            v.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
        }
        _ => true,
    });
    charset_ok && accepted.contains(&essence.as_str())
}

fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

fn classify(path: String, e: serde_json::Error) -> ApiError {
    let message = without_position(&e);
    match e.classify() {
        Category::Data if message.starts_with("unknown field") => ApiError::BadRequest {
            code: "unknown_field",
            detail: if path == "." {
                message
            } else {
                format!("{message} (in `{path}`)")
            },
        },
        Category::Data => {
            let field = if path == "." { "body".to_owned() } else { path };
            ApiError::Validation(vec![FieldError::new(field, message)])
        }
        Category::Syntax | Category::Eof | Category::Io => ApiError::BadRequest {
            code: "malformed_json",
            detail: format!(
                "the body is not valid JSON: {message} at line {}, column {}",
                e.line(),
                e.column()
            ),
        },
    }
}

/// `value` as a JSON tree to add members to before answering. A value that cannot be
/// written as JSON is a 500, never a `null` answered with 200.
pub fn json_value<T: Serialize + ?Sized>(value: &T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(value).map_err(|e| ApiError::Internal(format!("answer not JSON: {e}")))
}

/// A JSON response with `status`.
pub fn json_response<T: Serialize>(status: StatusCode, value: &T) -> Result<Response, ApiError> {
    let body = serde_json::to_vec(value).map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut response = http::Response::new(body);
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct Body {
        full_name: String,
        age: u8,
        #[serde(default)]
        address: Option<Address>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Address {
        city: String,
    }

    fn request(content_type: Option<&str>, body: &str) -> Request {
        let mut builder = http::Request::builder().method("POST").uri("/x");
        if let Some(ct) = content_type {
            builder = builder.header("content-type", ct);
        }
        builder.body(body.as_bytes().to_vec()).expect("request")
    }

    fn parse(content_type: Option<&str>, body: &str) -> Result<Body, ApiError> {
        json_body(&request(content_type, body), JSON, 64)
    }

    #[test]
    fn a_valid_body_parses() {
        let got = parse(
            Some("application/json; charset=UTF-8"),
            r#"{"fullName":"A","age":30}"#,
        );
        assert_eq!(got.expect("valid").age, 30);
    }

    #[test]
    fn an_empty_body_is_a_400() {
        for body in ["", "  \n"] {
            let err = parse(Some("application/json"), body).expect_err("empty");
            assert!(
                matches!(
                    err,
                    ApiError::BadRequest {
                        code: "empty_body",
                        ..
                    }
                ),
                "{err:?}"
            );
        }
    }

    #[test]
    fn an_oversized_body_is_a_413_before_anything_else() {
        let big = format!(r#"{{"fullName":"{}","age":1}}"#, "x".repeat(100));
        assert!(matches!(
            parse(None, &big),
            Err(ApiError::PayloadTooLarge(64))
        ));
    }

    #[test]
    fn a_wrong_or_missing_content_type_is_a_415() {
        for ct in [
            None,
            Some("text/plain"),
            Some("application/json; charset=latin1"),
        ] {
            let err = parse(ct, r#"{"fullName":"A","age":30}"#).expect_err("415");
            assert_eq!(err.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{ct:?}");
        }
    }

    #[test]
    fn malformed_json_is_a_400_with_its_position() {
        for body in [
            r#"{"fullName":"A","age":30"#,
            "{fullName}",
            r#"{"fullName":"A","age":30} x"#,
        ] {
            let err = parse(Some("application/json"), body).expect_err("malformed");
            assert!(
                matches!(
                    err,
                    ApiError::BadRequest {
                        code: "malformed_json",
                        ..
                    }
                ),
                "{body}: {err:?}"
            );
        }
    }

    #[test]
    fn an_unknown_field_is_a_400_naming_it_even_when_nested() {
        let err = parse(
            Some("application/json"),
            r#"{"fullName":"A","age":3,"nick":"x"}"#,
        )
        .expect_err("unknown");
        match err {
            ApiError::BadRequest {
                code: "unknown_field",
                detail,
            } => assert!(detail.contains("nick"), "{detail}"),
            other => panic!("unexpected {other:?}"),
        }
        let err = parse(
            Some("application/json"),
            r#"{"fullName":"A","age":3,"address":{"city":"B","zip":1}}"#,
        )
        .expect_err("unknown nested");
        assert!(
            matches!(err, ApiError::BadRequest { code: "unknown_field", ref detail } if detail.contains("zip")),
            "{err:?}"
        );
    }

    #[test]
    fn a_wrong_type_is_a_422_naming_the_field_path() {
        let err =
            parse(Some("application/json"), r#"{"fullName":"A","age":300}"#).expect_err("range");
        match err {
            ApiError::Validation(errors) => assert_eq!(errors[0].field, "age"),
            other => panic!("unexpected {other:?}"),
        }
        let err = parse(
            Some("application/json"),
            r#"{"fullName":"A","age":1,"address":{"city":7}}"#,
        )
        .expect_err("type");
        assert!(
            matches!(err, ApiError::Validation(ref e) if e[0].field == "address.city"),
            "{err:?}"
        );
        let err = parse(Some("application/json"), r#"{"age":1}"#).expect_err("missing");
        assert!(
            matches!(err, ApiError::Validation(ref e) if e[0].message.contains("fullName")),
            "{err:?}"
        );
        let err = parse(Some("application/json"), "[]").expect_err("not an object");
        assert!(
            matches!(err, ApiError::Validation(ref e) if e[0].field == "body"),
            "{err:?}"
        );
    }

    #[test]
    fn a_member_named_twice_is_refused_at_any_depth() {
        for body in [
            r#"{"fullName":"A","age":3,"age":4}"#,
            r#"{"fullName":"A","age":3,"address":{"city":"B","city":"C"}}"#,
        ] {
            let err = parse(Some("application/json"), body).expect_err(body);
            assert!(
                matches!(err, ApiError::Validation(ref e) if e[0].message.contains("duplicate field")),
                "{body}: {err:?}"
            );
        }
    }

    #[test]
    fn numbers_strings_and_nesting_keep_their_values_through_the_tree() {
        #[derive(Debug, Deserialize, PartialEq)]
        struct Wide {
            big: u64,
            neg: i64,
            ratio: f64,
            text: String,
            list: Vec<Option<bool>>,
        }
        let request = request(
            Some("application/json"),
            r#"{"big":18446744073709551615,"neg":-9223372036854775808,"ratio":0.25,"text":"a\u00e9\"","list":[true,null,false]}"#,
        );
        let wide: Wide = json_body(&request, JSON, 1024).expect("parses");
        assert_eq!(
            wide,
            Wide {
                big: u64::MAX,
                neg: i64::MIN,
                ratio: 0.25,
                text: "aé\"".into(),
                list: vec![Some(true), None, Some(false)],
            }
        );
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::fuzz::{any_bytes, any_text, text_near};
    use crm_domain::id::CustomerId;
    use crm_domain::{Date, Money, Timestamp};
    use proptest::prelude::*;
    use serde::Deserialize;

    /// A body with the domain types whose deserialisers parse client text.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Typed {
        customer_id: CustomerId,
        at: Timestamp,
        born: Option<Date>,
        amount: Money,
        tags: Vec<String>,
    }

    const TYPED: &str = concat!(
        r#"\{"customerId":"cus_[0-7][0-9A-Z]{25}","at":"2026-11-23T08:15:0[0-9]Z","#,
        r#""born":"1990-0[1-9]-1[0-9]","amount":\{"amount":[0-9]{1,6},"currency":"CNY"\},"#,
        r#""tags":\["[a-z\u{e9}\u{5f20}]{0,4}"\]\}"#,
    );

    fn content_type() -> impl Strategy<Value = Option<Vec<u8>>> {
        proptest::option::of(prop_oneof![
            Just(b"application/json".to_vec()),
            text_near("application/json(; ?charset=\"?utf-8\"?)?").prop_map(String::into_bytes),
            any_bytes(),
        ])
    }

    fn request(content_type: Option<Vec<u8>>, body: Vec<u8>) -> Request {
        let mut request = http::Request::new(body);
        *request.method_mut() = http::Method::POST;
        if let Some(value) = content_type.and_then(|v| HeaderValue::from_bytes(&v).ok()) {
            request.headers_mut().insert(header::CONTENT_TYPE, value);
        }
        request
    }

    proptest! {
        #[test]
        fn no_bytes_panic_the_json_body_parser(
            content_type in content_type(),
            body in prop_oneof![any_bytes(), any_text().prop_map(String::into_bytes)],
        ) {
            let request = request(content_type, body);
            let _ = json_body::<serde_json::Value>(&request, JSON, MAX_BODY_BYTES);
            let _ = json_body::<Typed>(&request, JSON, 64);
        }

        #[test]
        fn no_near_valid_body_panics_the_typed_json_parser(body in text_near(TYPED)) {
            let request = request(Some(b"application/json".to_vec()), body.into_bytes());
            if let Err(e) = json_body::<Typed>(&request, JSON, MAX_BODY_BYTES) {
                prop_assert!(e.status().is_client_error(), "{:?}", e);
            }
        }
    }
}
