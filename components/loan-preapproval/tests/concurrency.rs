//! The multi-statement writes under real concurrency (threads on one database file):
//! a transition, a new application and a policy change each take effect once.

mod common;

use common::*;
use crm_http::Response;
use crm_http::testing::json;
use serde_json::json;
use std::sync::Barrier;

const THREADS: usize = 12;

/// Runs `request` on `THREADS` threads released together; returns every response.
fn race(request: impl Fn(usize) -> Response + Sync) -> Vec<Response> {
    let barrier = Barrier::new(THREADS);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|i| {
                let (barrier, request) = (&barrier, &request);
                s.spawn(move || {
                    barrier.wait();
                    request(i)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| panic!("a request panicked")))
            .collect()
    })
}

fn statuses(responses: &[Response]) -> Vec<u16> {
    responses.iter().map(|r| r.status().as_u16()).collect()
}

#[test]
fn concurrent_transitions_with_one_if_match_move_the_application_once() {
    let app = app("loan-race-transition");
    let c = customer(&app);
    let id = applied(&app, "k1", &body(&c, json!({})))["id"]
        .as_str()
        .expect("id")
        .to_owned();

    let responses = race(|i| {
        let to = if i % 2 == 0 { "accepted" } else { "withdrawn" };
        transition(&app, &id, Some("\"1\""), json!({"to": to}))
    });

    let codes = statuses(&responses);
    assert_eq!(codes.iter().filter(|s| **s == 200).count(), 1, "{codes:?}");
    assert!(
        codes.iter().all(|s| matches!(s, 200 | 412 | 503)),
        "{codes:?}"
    );
    assert_eq!(count(&app, "loan_transitions"), 2);
    let read = json(&app.get(&format!("/v1/loans/applications/{id}")));
    assert_eq!(read["etag"], "\"2\"");
    assert_eq!(read["history"].as_array().map(Vec::len), Some(2));
}

#[test]
fn concurrent_applications_for_one_product_create_exactly_one() {
    let app = app("loan-race-one-open");
    let c = customer(&app);

    let responses = race(|i| apply(&app, &format!("key-{i}"), &body(&c, json!({}))));

    let codes = statuses(&responses);
    assert_eq!(codes.iter().filter(|s| **s == 201).count(), 1, "{codes:?}");
    for r in &responses {
        match r.status().as_u16() {
            201 | 503 => {}
            409 => assert_eq!(json(r)["code"], "open_application_exists"),
            other => panic!("unexpected {other}: {}", json(r)),
        }
    }
    assert_eq!(count(&app, "loan_applications"), 1);
    assert_eq!(count(&app, "loan_transitions"), 1);
}

#[test]
fn concurrent_policy_changes_with_one_if_match_write_one_version() {
    let app = app("loan-race-policy");
    let mut policy = json(&app.get("/v1/loans/policy"));
    if let Some(map) = policy.as_object_mut() {
        map.remove("version");
        map.remove("createdAt");
        map.remove("actor");
    }

    let responses = race(|i| {
        let mut mine = policy.clone();
        mine["minEmploymentMonths"] = json!(i as i64 + 1);
        app.request(
            "PUT",
            "/v1/loans/policy",
            Some(&mine.to_string()),
            &[("content-type", "application/json"), ("if-match", "\"1\"")],
        )
    });

    let codes = statuses(&responses);
    assert_eq!(codes.iter().filter(|s| **s == 200).count(), 1, "{codes:?}");
    assert!(
        codes.iter().all(|s| matches!(s, 200 | 412 | 503)),
        "{codes:?}"
    );
    assert_eq!(count(&app, "loan_policies"), 2);
}
