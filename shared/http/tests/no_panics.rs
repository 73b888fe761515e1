//! No request panics a component: arbitrary query strings, paths, header values and
//! bodies go through the whole `serve` pipeline (header caps, request id, routing,
//! authentication, query decoding, the domain parsers a handler calls, `If-Match`,
//! `Idempotency-Key`, JSON bodies) and come back as an answer below 500, a 4xx being
//! problem+json. Under Spin a panic would be an empty 500 with no log line.

#[path = "../src/fuzz.rs"]
#[allow(dead_code)]
mod fuzz;

use crm_domain::id::CustomerId;
use crm_domain::interaction::Channel;
use crm_domain::security::Action;
use crm_domain::{Cursor, Date, Limit, Timestamp};
use crm_http::testing::{test_variables, token};
use crm_http::{
    ApiError, ApiResult, Ctx, FieldError, PROBLEM_JSON, Response, Route, Service, idempotency,
    json_response, require_if_match, serve,
};
use crm_store::native::{fresh_state_dir, stores_in};
use fuzz::{any_bytes, any_text, near, text_near};
use http::{HeaderValue, StatusCode, header};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::OnceLock;

/// Every query parameter of [`query`], with the format of a valid value.
const PARAMS: &[(&str, &str)] = &[
    (
        "from",
        "20[0-9]{2}-(0[1-9]|1[0-2])-[012][1-8]T[01][0-9]:[0-5][0-9]:[0-5][0-9]Z",
    ),
    (
        "to",
        "2026-11-23T08:15:00(\\.[0-9]{1,4})?([+-]0[0-9]:[0-5][0-9]|Z)",
    ),
    ("on", "19[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])"),
    ("limit", "[0-9]{1,3}"),
    ("cursor", "([0-9a-f]{2}){1,8}"),
    ("customerId", "cus_[0-7][0-9A-HJKMNP-TV-Z]{25}"),
    ("channel", "(phone|branch|email|mobile_app)"),
];

/// A handler that parses every known query parameter as the components do.
fn query(ctx: &Ctx<'_>) -> ApiResult {
    let names: Vec<&str> = PARAMS.iter().map(|(name, _)| *name).collect();
    ctx.only_query_params(&names)?;
    let mut errors = Vec::new();
    let mut check = |name: &str, ok: bool| {
        if !ok {
            errors.push(FieldError::new(name, "is invalid"));
        }
    };
    for name in ["from", "to"] {
        if let Some(raw) = ctx.query(name)? {
            check(name, Timestamp::parse(&raw).is_ok());
        }
    }
    if let Some(raw) = ctx.query("on")? {
        check("on", Date::parse(&raw).is_ok());
    }
    check(
        "limit",
        Limit::parse(ctx.query("limit")?.as_deref()).is_ok(),
    );
    if let Some(raw) = ctx.query("cursor")? {
        check("cursor", Cursor::decode(&raw).is_ok());
    }
    if let Some(raw) = ctx.query("customerId")? {
        check("customerId", CustomerId::parse(&raw).is_ok());
    }
    if let Some(raw) = ctx.query("channel")? {
        check("channel", Channel::parse(&raw).is_some());
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    json_response(StatusCode::OK, &json!({}))
}

fn thing(ctx: &Ctx<'_>) -> ApiResult {
    let id = ctx
        .param("id")
        .and_then(|id| CustomerId::parse(id).ok())
        .ok_or_else(|| ApiError::NotFound("no such thing".into()))?;
    json_response(StatusCode::OK, &json!({ "id": id }))
}

fn patch_thing(ctx: &Ctx<'_>) -> ApiResult {
    require_if_match(ctx, 3)?;
    let body: Value = ctx.json()?;
    json_response(StatusCode::OK, &body)
}

fn create_thing(ctx: &Ctx<'_>) -> ApiResult {
    idempotency::run(ctx, |_db| {
        let body: Value = ctx.json()?;
        json_response(StatusCode::CREATED, &body)
    })
}

const SERVICE: Service = Service {
    name: "no-panics",
    version: "0",
    routes: &[
        Route::get("/v1/things/query", query)
            .requires(Action::CustomerList)
            .customer_in_query("customerId"),
        Route::get("/v1/things/:id", thing).anonymous(),
        Route::patch("/v1/things/:id", patch_thing).anonymous(),
        Route::post("/v1/things", create_thing).anonymous(),
    ],
};

fn state_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| fresh_state_dir("no_panics"))
}

fn admin() -> &'static str {
    static AUTHORIZATION: OnceLock<String> = OnceLock::new();
    AUTHORIZATION.get_or_init(|| format!("Bearer {}", token("dev-admin", &["admin"])))
}

/// Serves one request over the shared state directory; `None` when `http` refuses to
/// build it (a URI or header no client could send).
fn send(method: &str, uri: &str, headers: &[(&str, &[u8])], body: Vec<u8>) -> Option<Response> {
    let mut request = http::Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(*name, HeaderValue::from_bytes(value).ok()?);
    }
    let request = request.body(body).ok()?;
    let stores = stores_in(state_dir()).with_variables(Box::new(test_variables()));
    Some(serve(&SERVICE, request, &stores))
}

/// The answer is not a 5xx, and a 4xx is problem+json.
fn answered(response: &Response) -> Result<(), TestCaseError> {
    let status = response.status();
    prop_assert!(!status.is_server_error(), "{status}: {:?}", response.body());
    if status.is_client_error() {
        prop_assert_eq!(
            response
                .headers()
                .get(header::CONTENT_TYPE)
                .map(HeaderValue::as_bytes),
            Some(PROBLEM_JSON.as_bytes())
        );
    }
    Ok(())
}

/// Percent-encodes every byte outside the unreserved set, as a client does.
fn encoded(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A query string of known parameters with near-valid values, percent-encoded.
fn query_string() -> impl Strategy<Value = String> {
    let pair = proptest::sample::select(PARAMS).prop_flat_map(|(name, valid)| {
        let value = prop_oneof![3 => near(valid), 1 => any_text()];
        (Just(name), value).prop_map(|(name, value)| format!("{name}={}", encoded(&value)))
    });
    proptest::collection::vec(pair, 1..4).prop_map(|pairs| pairs.join("&"))
}

/// Any bytes, or the bytes of a text near `valid`.
fn bytes_near(valid: &'static str) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![any_bytes(), text_near(valid).prop_map(String::into_bytes)]
}

/// Query text as it may arrive unencoded or half-encoded.
fn raw_query() -> impl Strategy<Value = String> {
    text_near("([a-zA-Z]{1,8}=([a-zA-Z0-9+]|%[0-9A-Fa-f]{2}|%)*&?){0,4}")
}

proptest! {
    #[test]
    fn no_query_string_panics_a_component(
        query in prop_oneof![query_string(), raw_query()],
    ) {
        let uri = format!("/v1/things/query?{query}");
        let headers = [("authorization", admin().as_bytes())];
        if let Some(response) = send("GET", &uri, &headers, vec![]) {
            answered(&response)?;
        }
    }

    #[test]
    fn no_path_panics_the_router(
        segments in proptest::collection::vec(
            prop_oneof![
                text_near("cus_[0-7][0-9A-HJKMNP-TV-Z]{25}").prop_map(|s| encoded(&s)),
                "[!$&'()*+,;=:@%a-z0-9._~-]{0,12}",
                Just("things".to_owned()),
                Just("v1".to_owned()),
                Just("query".to_owned()),
            ],
            0..5,
        ),
        method in proptest::sample::select(&["GET", "HEAD", "POST", "PATCH", "DELETE", "PUT"][..]),
    ) {
        let uri = format!("/{}", segments.join("/"));
        if let Some(response) = send(method, &uri, &[], vec![]) {
            answered(&response)?;
        }
    }

    #[test]
    fn no_header_value_panics_a_component(
        request_id in prop_oneof![any_bytes(), any_text().prop_map(String::into_bytes)],
        authorization in prop_oneof![
            any_bytes(),
            near(Just(admin().to_owned())).prop_map(String::into_bytes),
        ],
        if_match in bytes_near("(W/)?\"[0-9]\"(, ?\\*)?"),
        key in bytes_near("[ -~]{1,40}"),
        content_type in bytes_near("application/(merge-patch\\+)?json(; charset=utf-8)?"),
        body in bytes_near("\\{\"a\":\"[a-z\u{e9}]{0,4}\"\\}"),
    ) {
        let common = [
            ("x-request-id", request_id.as_slice()),
            ("content-type", content_type.as_slice()),
        ];
        let query = [&common[..], &[("authorization", authorization.as_slice())]].concat();
        if let Some(response) = send("GET", "/v1/things/query", &query, vec![]) {
            answered(&response)?;
        }
        let patch = [&common[..], &[("if-match", if_match.as_slice())]].concat();
        let uri = "/v1/things/cus_01KAT0000000000000000000AB";
        if let Some(response) = send("PATCH", uri, &patch, body.clone()) {
            answered(&response)?;
        }
        let post = [&common[..], &[("idempotency-key", key.as_slice())]].concat();
        if let Some(response) = send("POST", "/v1/things", &post, body) {
            answered(&response)?;
        }
    }
}
