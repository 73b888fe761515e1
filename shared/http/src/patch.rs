//! JSON Merge Patch (RFC 7396) and optimistic concurrency with `etag` / `If-Match`.

use crate::{ApiError, Ctx};
use serde_json::Value;

/// The media type of a merge patch body.
pub const MERGE_PATCH_JSON: &[&str] = &["application/merge-patch+json"];

/// Applies `patch` to `target` as RFC 7396 says: objects merge recursively, `null`
/// removes a member, anything else replaces the target.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    if let Value::Object(map) = target {
        for (key, value) in patch {
            if value.is_null() {
                map.remove(key);
            } else {
                merge_patch(map.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

/// The strong entity tag of a resource version, quoted as RFC 9110 writes it.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// A header value made by this code (an etag, a location); a value that is not a valid
/// header is a bug here, so it is a 500.
pub fn header_value(text: &str) -> Result<http::HeaderValue, ApiError> {
    http::HeaderValue::from_str(text).map_err(|e| ApiError::Internal(e.to_string()))
}

/// A 201 with `Location`.
pub fn created<T: serde::Serialize>(body: &T, location: &str) -> Result<crate::Response, ApiError> {
    let mut response = crate::json_response(http::StatusCode::CREATED, body)?;
    response
        .headers_mut()
        .insert(http::header::LOCATION, header_value(location)?);
    Ok(response)
}

/// `response` with the `etag` of `version`.
pub fn with_etag(mut response: crate::Response, version: i64) -> Result<crate::Response, ApiError> {
    response
        .headers_mut()
        .insert(http::header::ETAG, header_value(&etag(version))?);
    Ok(response)
}

/// Checks `If-Match` against the current version: 428 when absent, 412 when no listed
/// tag matches (strong comparison, so a weak `W/` tag never matches), `*` matches any.
pub fn require_if_match(ctx: &Ctx<'_>, current_version: i64) -> Result<(), ApiError> {
    let Some(header) = ctx.header("if-match") else {
        return Err(ApiError::PreconditionRequired("If-Match"));
    };
    let current = etag(current_version);
    let matches = header
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag == current);
    if matches {
        Ok(())
    } else {
        Err(ApiError::PreconditionFailed(format!(
            "the resource has changed; its current etag is {current}"
        )))
    }
}

/// Members of a versioned document (credit policy, alert rules) that the server sets.
pub const SERVER_SET_MEMBERS: &[&str] = &["version", "createdAt", "actor"];

/// The body of a PUT of a versioned document: a JSON object typed as `T` once the
/// members the server sets are taken out, with one error for each of those it named
/// (to report together with `T`'s own checks through [`checked_document`]). `what`
/// names the document in the error when the body is not an object (`"a policy"`).
pub fn document_body<T: serde::de::DeserializeOwned>(
    ctx: &Ctx<'_>,
    what: &str,
) -> Result<(T, Vec<crm_domain::Invalid>), ApiError> {
    let Value::Object(mut members) = ctx.json::<Value>()? else {
        return Err(ApiError::invalid(
            "body",
            format!("{what} must be a JSON object"),
        ));
    };
    let named: Vec<crm_domain::Invalid> = SERVER_SET_MEMBERS
        .iter()
        .filter(|m| members.remove(**m).is_some())
        .map(|m| crm_domain::Invalid::new(*m, "is set by the server and cannot be written"))
        .collect();
    Ok((crate::from_json_value(Value::Object(members))?, named))
}

/// A document's own validation, refused as well when [`document_body`] found members
/// the server sets: every error in one 422.
pub fn checked_document<T>(
    mut earlier: Vec<crm_domain::Invalid>,
    validated: Result<T, Vec<crm_domain::Invalid>>,
) -> Result<T, ApiError> {
    match validated {
        Ok(document) if earlier.is_empty() => Ok(document),
        Ok(_) => Err(ApiError::from(earlier)),
        Err(more) => {
            earlier.extend(more);
            Err(ApiError::from(earlier))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patched(target: Value, patch: Value) -> Value {
        let mut target = target;
        merge_patch(&mut target, &patch);
        target
    }

    #[test]
    fn the_rfc_7396_examples_hold() {
        let cases = [
            (json!({"a":"b"}), json!({"a":"c"}), json!({"a":"c"})),
            (json!({"a":"b"}), json!({"b":"c"}), json!({"a":"b","b":"c"})),
            (json!({"a":"b"}), json!({"a":null}), json!({})),
            (
                json!({"a":"b","b":"c"}),
                json!({"a":null}),
                json!({"b":"c"}),
            ),
            (json!({"a":["b"]}), json!({"a":"c"}), json!({"a":"c"})),
            (json!({"a":"c"}), json!({"a":["b"]}), json!({"a":["b"]})),
            (
                json!({"a":{"b":"c"}}),
                json!({"a":{"b":"d","c":null}}),
                json!({"a":{"b":"d"}}),
            ),
            (json!({"a":[{"b":"c"}]}), json!({"a":[1]}), json!({"a":[1]})),
            (json!(["a", "b"]), json!(["c", "d"]), json!(["c", "d"])),
            (json!({"a":"b"}), json!(["c"]), json!(["c"])),
            (json!({"a":"foo"}), json!(null), json!(null)),
            (json!({"a":"foo"}), json!("bar"), json!("bar")),
            (json!({"e":null}), json!({"a":1}), json!({"e":null,"a":1})),
            (json!([1, 2]), json!({"a":"b","c":null}), json!({"a":"b"})),
            (
                json!({}),
                json!({"a":{"bb":{"ccc":null}}}),
                json!({"a":{"bb":{}}}),
            ),
        ];
        for (target, patch, expected) in cases {
            assert_eq!(
                patched(target.clone(), patch.clone()),
                expected,
                "{target} + {patch}"
            );
        }
    }

    #[test]
    fn an_absent_member_is_kept_and_null_removes() {
        let got = patched(
            json!({"email":"a@b.cn","phone":"+861"}),
            json!({"phone":null}),
        );
        assert_eq!(got, json!({"email":"a@b.cn"}));
    }

    #[test]
    fn etags_are_quoted_versions() {
        assert_eq!(etag(3), "\"3\"");
    }
}
