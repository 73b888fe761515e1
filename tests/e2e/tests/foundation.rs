//! The foundation through the real components: health, problem+json routing errors,
//! request ids, log lines, and the README route table against spin.toml.

use crm_e2e::{TestApp, repo_root};
use std::collections::BTreeSet;

const COMPONENTS: &[(&str, &str)] = &[
    ("customer-profile", "/v1/customers"),
    ("interactions", "/v1/interactions"),
    ("loyalty", "/v1/loyalty"),
    ("loan-preapproval", "/v1/loans"),
    ("recommendations", "/v1/recommendations"),
    ("engagement", "/v1/engagement"),
];

#[test]
fn every_component_reports_healthy_stores_and_the_same_schema_version() {
    let app = TestApp::spawn();
    let mut versions = BTreeSet::new();
    for (component, prefix) in COMPONENTS {
        let response = app.get(&format!("{prefix}/health"));
        assert_eq!(response.status, 200, "{component}: {}", response.text());
        assert_eq!(response.header("content-type"), Some("application/json"));
        let body = response.json();
        assert_eq!(body["component"], *component);
        assert_eq!(body["status"], "ok");
        assert_eq!(body["database"], "ok");
        assert_eq!(body["keyValue"], "ok");
        assert!(body["version"].is_string());
        versions.insert(
            body["schemaVersion"]
                .as_i64()
                .expect("schema version is a number"),
        );
    }
    assert_eq!(versions.len(), 1, "one app-wide schema: {versions:?}");
    assert!(versions.iter().all(|v| *v > 0));
}

#[test]
fn the_schema_survives_a_restart_of_the_host() {
    let mut app = TestApp::spawn();
    let before = app.get("/v1/loyalty/health").json()["schemaVersion"].clone();
    app.restart();
    let after = app.get("/v1/customers/health").json()["schemaVersion"].clone();
    assert_eq!(before, after);
    assert!(app.state_dir().join("sqlite_db.db").is_file());
}

#[test]
fn an_unknown_path_under_a_prefix_is_a_problem_json_404() {
    let app = TestApp::spawn();
    for (_, prefix) in COMPONENTS {
        let response = app.get(&format!("{prefix}/no/such/thing"));
        response.assert_problem(404, "not_found");
    }
}

#[test]
fn a_path_outside_every_route_is_answered_by_the_host_with_an_empty_404() {
    let app = TestApp::spawn();
    let response = app.get("/v2/customers");
    assert_eq!(response.status, 404);
    assert!(
        response.body.is_empty(),
        "Spin answers unrouted paths itself, with no body"
    );
}

#[test]
fn a_wrong_method_is_a_405_with_an_allow_header() {
    let app = TestApp::spawn();
    for (_, prefix) in COMPONENTS {
        let response = app.request("DELETE", &format!("{prefix}/health"), None, &[]);
        response.assert_problem(405, "method_not_allowed");
        assert_eq!(response.header("allow"), Some("GET, HEAD"));
    }
}

#[test]
fn head_answers_like_get_without_a_body() {
    let app = TestApp::spawn();
    let response = app.request("HEAD", "/v1/customers/health", None, &[]);
    assert_eq!(response.status, 200);
    assert!(response.body.is_empty());
}

#[test]
fn a_callers_request_id_is_echoed_in_the_response_the_problem_and_the_log() {
    let app = TestApp::spawn();
    let response = app.get_with("/v1/loans/nope?name=Zhang", &[("x-request-id", "trace-42")]);
    assert_eq!(response.header("x-request-id"), Some("trace-42"));
    assert_eq!(response.json()["requestId"], "trace-42");
    let log = app.component_stdout("loan-preapproval");
    let line = log
        .lines()
        .find(|l| l.contains("trace-42"))
        .unwrap_or_else(|| panic!("no log line for the request in {log:?}"));
    let entry: serde_json::Value = serde_json::from_str(line).expect("log lines are JSON");
    assert_eq!(entry["status"], 404);
    assert_eq!(entry["component"], "loan-preapproval");
    assert_eq!(entry["level"], "warn");
    assert!(entry["durationMs"].is_number() && entry["time"].is_string());
    assert!(
        !line.contains("Zhang"),
        "the query string never reaches the log: {line}"
    );
}

#[test]
fn a_request_without_an_id_gets_a_fresh_one() {
    let app = TestApp::spawn();
    let first = app.get("/v1/recommendations/health");
    let second = app.get("/v1/recommendations/health");
    let (a, b) = (first.header("x-request-id"), second.header("x-request-id"));
    assert!(a.is_some_and(|id| id.starts_with("req_")), "{a:?}");
    assert_ne!(a, b);
}

#[test]
fn responses_are_never_cached() {
    let app = TestApp::spawn();
    assert_eq!(
        app.get("/v1/interactions/health").header("cache-control"),
        Some("no-store")
    );
}

fn readme_routes() -> BTreeSet<(String, String)> {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).expect("README.md");
    let start = readme
        .find("<!-- routes:begin -->")
        .expect("routes:begin marker");
    let end = readme
        .find("<!-- routes:end -->")
        .expect("routes:end marker");
    readme[start..end]
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            match cells.as_slice() {
                ["", route, component, ""] if route.starts_with('`') => {
                    Some((route.trim_matches('`').to_owned(), component.to_string()))
                }
                _ => None,
            }
        })
        .collect()
}

fn manifest_routes() -> BTreeSet<(String, String)> {
    let text = std::fs::read_to_string(repo_root().join("spin.toml")).expect("spin.toml");
    let manifest: toml::Table = text.parse().expect("spin.toml is TOML");
    manifest["trigger"]["http"]
        .as_array()
        .expect("[[trigger.http]]")
        .iter()
        .map(|t| {
            (
                t["route"].as_str().expect("route").to_owned(),
                t["component"].as_str().expect("component").to_owned(),
            )
        })
        .collect()
}

#[test]
fn the_readme_route_table_matches_spin_toml() {
    let readme = readme_routes();
    assert!(!readme.is_empty(), "the README table was not parsed");
    assert_eq!(readme, manifest_routes());
}
