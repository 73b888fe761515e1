//! No input panics a component. A wasm32 panic aborts the instance: Spin answers an
//! empty 500 and the component writes no log line and no audit record. A timestamp
//! with a multi-byte character where the seconds are used to do exactly that
//! (`Timestamp::parse` sliced the seconds by byte position inside the character); it
//! must be an ordinary problem+json 422 naming the parameter, and leave its log line.

use crm_e2e::TestApp;

const CUSTOMER: &str = "cus_01KAT0000000000000000000AB";

/// `2026-11-23T08:15:0éZ`, percent-encoded: `é` (C3 A9) takes bytes 18 and 19, so the
/// seconds (bytes 17 to 19) end inside it.
const MULTI_BYTE_SECONDS: &str = "2026-11-23T08%3A15%3A0%C3%A9Z";

/// The same cut inside a three-byte character (`张`, E5 BC A0) and a four-byte one.
const OTHER_CUTS: &[&str] = &[
    "2026-11-23T08%3A15%3A0%E5%BC%A0Z",
    "2026-11-23T08%3A15%3A%F0%9F%98%80Z",
];

#[test]
fn a_multi_byte_character_in_a_timestamp_query_is_a_422_not_a_500() {
    let app = TestApp::spawn();
    let endpoints = [
        format!("/v1/interactions?customerId={CUSTOMER}&"),
        "/v1/recommendations/stats?".to_owned(),
    ];
    for endpoint in &endpoints {
        for name in ["from", "to"] {
            for value in std::iter::once(&MULTI_BYTE_SECONDS).chain(OTHER_CUTS) {
                let path = format!("{endpoint}{name}={value}");
                let body = app.get(&path).assert_problem(422, "validation_failed");
                assert_eq!(body["errors"][0]["field"], name, "{path}: {body}");
                assert!(
                    body["errors"][0]["message"]
                        .as_str()
                        .is_some_and(|m| m.contains("RFC 3339")),
                    "{path}: {body}"
                );
            }
        }
    }
}

#[test]
fn a_multi_byte_timestamp_query_leaves_a_log_line() {
    let app = TestApp::spawn();
    let path = format!("/v1/interactions?customerId={CUSTOMER}&from={MULTI_BYTE_SECONDS}");
    let response = app.get_with(&path, &[("x-request-id", "robustness-multi-byte-1")]);
    response.assert_problem(422, "validation_failed");
    assert_eq!(
        response.header("x-request-id"),
        Some("robustness-multi-byte-1")
    );
    let log = app.component_stdout("interactions");
    let line = log
        .lines()
        .find(|l| l.contains("robustness-multi-byte-1"))
        .unwrap_or_else(|| panic!("no log line for the request in {log:?}"));
    let entry: serde_json::Value = serde_json::from_str(line).expect("log lines are JSON");
    assert_eq!(entry["status"], 422, "{line}");
    assert_eq!(entry["level"], "warn", "{line}");
    assert_eq!(entry["component"], "interactions", "{line}");
    assert_eq!(entry["route"], "/v1/interactions", "{line}");
}
