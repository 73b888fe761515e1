//! The component natively: the embedded document, caching headers and refusals.

use api_contract::{DOCUMENT, ETAG, PATH, respond};

fn request(method: &str, path: &str, headers: &[(&str, &str)]) -> http::Response<Vec<u8>> {
    let mut builder = http::Request::builder().method(method).uri(path);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    respond(&builder.body(Vec::new()).expect("request"))
}

fn header<'a>(response: &'a http::Response<Vec<u8>>, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

#[test]
fn get_serves_the_embedded_document_as_json_with_its_etag() {
    let response = request("GET", PATH, &[]);
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), Some("application/json"));
    assert_eq!(header(&response, "etag"), Some(ETAG));
    assert_eq!(response.body(), DOCUMENT.as_bytes());
    assert!(DOCUMENT.starts_with('{') && DOCUMENT.contains(r#""openapi":"3.1.0""#));
}

#[test]
fn a_matching_if_none_match_is_a_304_without_a_body() {
    let response = request("GET", PATH, &[("if-none-match", ETAG)]);
    assert_eq!(response.status(), 304);
    assert!(response.body().is_empty());
    assert_eq!(header(&response, "etag"), Some(ETAG));
}

#[test]
fn head_answers_like_get_without_the_body() {
    let response = request("HEAD", PATH, &[]);
    assert_eq!(response.status(), 200);
    assert!(response.body().is_empty());
}

#[test]
fn another_method_is_a_problem_405_listing_get_and_head() {
    let response = request("POST", PATH, &[]);
    assert_eq!(response.status(), 405);
    assert_eq!(header(&response, "allow"), Some("GET, HEAD"));
    assert_eq!(
        header(&response, "content-type"),
        Some("application/problem+json")
    );
    assert!(String::from_utf8_lossy(response.body()).contains(r#""code":"method_not_allowed""#));
}

#[test]
fn another_path_is_a_problem_404() {
    let response = request("GET", "/v1/openapi.yaml", &[]);
    assert_eq!(response.status(), 404);
    assert_eq!(header(&response, "cache-control"), Some("no-store"));
    assert!(String::from_utf8_lossy(response.body()).contains(r#""code":"not_found""#));
}

#[test]
fn a_sane_request_id_is_echoed_and_a_missing_one_is_made_up() {
    let echoed = request("GET", PATH, &[("x-request-id", "abc-123")]);
    assert_eq!(header(&echoed, "x-request-id"), Some("abc-123"));
    let fresh = request("GET", PATH, &[("x-request-id", "bad id\"")]);
    assert!(header(&fresh, "x-request-id").is_some_and(|id| id.starts_with("req_")));
}
