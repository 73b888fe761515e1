//! The API's contract: serves `GET /v1/openapi.json`, the OpenAPI 3.1 document of every
//! endpoint of the five services (`docs/api-contract.md`).
//!
//! The document is `openapi/openapi.yaml`, converted to JSON by `build.rs` and embedded
//! here, so the served contract is always the one the component was built from. The
//! component has no store and no other route: anything else under its route is a
//! problem+json 404 or 405, like the other components answer.

use crm_http::{ApiError, RequestId};
use http::{HeaderValue, Method, StatusCode, header};

/// The OpenAPI document, minified JSON.
pub const DOCUMENT: &str = include_str!(concat!(env!("OUT_DIR"), "/openapi.json"));
/// A strong entity tag of [`DOCUMENT`].
pub const ETAG: &str = include_str!(concat!(env!("OUT_DIR"), "/openapi.etag"));
/// The one path this component serves.
pub const PATH: &str = "/v1/openapi.json";

/// Answers one request: the document for GET (HEAD without the body, 304 when
/// `If-None-Match` names the current tag), problem+json otherwise.
pub fn respond(request: &http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
    let request_id = RequestId::from_header(
        request
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
    );
    let method = request.method();
    let mut response = if request.uri().path() != PATH {
        ApiError::NotFound(format!("no resource at {}", request.uri().path()))
            .to_response(&request_id)
    } else if method != Method::GET && method != Method::HEAD {
        ApiError::MethodNotAllowed(vec![Method::GET, Method::HEAD]).to_response(&request_id)
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
    if let Ok(value) = HeaderValue::from_str(request_id.as_str()) {
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
