//! The API's contract: serves `GET /v1/openapi.json`, the OpenAPI 3.1 document of every
//! endpoint of the five services (`docs/api-contract.md`).
//!
//! The document is `openapi/openapi.yaml`, converted to JSON by `build.rs` and embedded
//! here, so the served contract is always the one the component was built from. The
//! component has no store and no other route: anything else under its route is a
//! problem+json 404 or 405, like the other components answer.

use http::{HeaderValue, Method, StatusCode, header};
use std::hash::{BuildHasher, Hasher};

/// The OpenAPI document, minified JSON.
pub const DOCUMENT: &str = include_str!(concat!(env!("OUT_DIR"), "/openapi.json"));
/// A strong entity tag of [`DOCUMENT`].
pub const ETAG: &str = include_str!(concat!(env!("OUT_DIR"), "/openapi.etag"));
/// The one path this component serves.
pub const PATH: &str = "/v1/openapi.json";

const PROBLEM_JSON: &str = "application/problem+json";
const MAX_REQUEST_ID: usize = 128;

/// Answers one request: the document for GET (HEAD without the body, 304 when
/// `If-None-Match` names the current tag), problem+json otherwise.
pub fn respond(request: &http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
    let request_id = request_id(
        request
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
    );
    let method = request.method();
    let mut response = if request.uri().path() != PATH {
        problem(
            StatusCode::NOT_FOUND,
            "not_found",
            "Resource not found",
            &format!("no resource at {}", request.uri().path()),
            &request_id,
        )
    } else if method != Method::GET && method != Method::HEAD {
        let mut r = problem(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "Method not allowed",
            "allowed methods: GET, HEAD",
            &request_id,
        );
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        r
    } else if request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == ETAG || t.trim() == "*"))
    {
        let mut r = http::Response::new(Vec::new());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        let mut r = http::Response::new(DOCUMENT.as_bytes().to_vec());
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        r
    };
    let tagged = response_has_tag(response.status());
    let headers = response.headers_mut();
    if tagged {
        headers.insert(header::ETAG, HeaderValue::from_static(ETAG));
        // Public and unchanging for one build: let clients and proxies keep it a while,
        // revalidating with the etag (unlike customer data, which is `no-store`).
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=300"),
        );
    } else {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        headers.insert("x-request-id", value);
    }
    if method == Method::HEAD {
        response.body_mut().clear();
    }
    response
}

fn response_has_tag(status: StatusCode) -> bool {
    status == StatusCode::OK || status == StatusCode::NOT_MODIFIED
}

/// The caller's request id when it is sane (the rule `crm-http` applies), else a fresh one.
fn request_id(given: Option<&str>) -> String {
    match given {
        Some(id)
            if !id.is_empty()
                && id.len() <= MAX_REQUEST_ID
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b)) =>
        {
            id.to_owned()
        }
        // std's RandomState is seeded from wasi:random: unique enough for a log key,
        // without a crate.
        _ => {
            let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
            hasher.write_u8(0);
            format!("req_{:016x}", hasher.finish())
        }
    }
}

fn problem(
    status: StatusCode,
    code: &str,
    title: &str,
    detail: &str,
    request_id: &str,
) -> http::Response<Vec<u8>> {
    // Every value here is ours or a path/id already restricted to safe characters,
    // except the path: escape it as a JSON string.
    let body = format!(
        r#"{{"type":"https://errors.example/{code}","title":"{title}","status":{},"detail":{},"code":"{code}","requestId":"{request_id}"}}"#,
        status.as_u16(),
        json_string(detail),
    );
    let mut response = http::Response::new(body.into_bytes());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    response
}

fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The Spin entry point. The export glue `http_component` generates is the only unsafe
/// code we allow.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod entry {
    use spin_sdk::http::{IncomingRequest, ResponseOutparam};

    // The two-argument form: crm-entry hands Spin the answer whole (no 40 ms Nagle stall).
    #[spin_sdk::http_component]
    async fn handle(request: IncomingRequest, out: ResponseOutparam) {
        let response = match crm_entry::read_request(request).await {
            Ok(request) => {
                let mut response = super::respond(&request);
                crm_entry::frame(request.method(), &mut response);
                response
            }
            Err(problem) => problem,
        };
        crm_entry::hand_over(out, response);
    }
}
