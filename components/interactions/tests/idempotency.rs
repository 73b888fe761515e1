//! `Idempotency-Key` on `POST /v1/interactions`: never two records for one key.

mod common;

use common::{App, DAY, complaint, contact, error_fields, now_ms, text};
use crm_http::testing::json;
use std::sync::{Arc, Barrier};

#[test]
fn the_same_key_and_body_twice_returns_the_first_interaction_and_stores_one() {
    let app = App::new("idem-same");
    let customer = app.customer("active");
    let body = contact(&customer);

    let first = app.log_with_key(&body, "k1");
    let second = app.log_with_key(&body, "k1");

    assert_eq!(first.status(), 201);
    assert_eq!(second.status(), 201, "a replay answers the first status");
    assert_eq!(json(&second), json(&first));
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    assert_eq!(second.headers()["location"], first.headers()["location"]);
    assert_eq!(app.count("interactions"), 1);
}

#[test]
fn the_same_key_with_another_body_is_422_and_stores_nothing_more() {
    let app = App::new("idem-other");
    let customer = app.customer("active");
    assert_eq!(app.log_with_key(&contact(&customer), "k1").status(), 201);
    let mut other = contact(&customer);
    other["subject"] = serde_json::json!("A different conversation");

    let response = app.log_with_key(&other, "k1");

    assert_eq!(response.status(), 422);
    assert_eq!(error_fields(&json(&response)), ["Idempotency-Key"]);
    assert_eq!(app.count("interactions"), 1);
}

#[test]
fn two_different_keys_store_two_interactions() {
    let app = App::new("idem-two");
    let customer = app.customer("active");
    let a = app.log_with_key(&contact(&customer), "k1");
    let b = app.log_with_key(&contact(&customer), "k2");
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (201, 201));
    assert_ne!(json(&a)["id"], json(&b)["id"]);
    assert_eq!(app.count("interactions"), 2);
}

#[test]
fn a_replayed_complaint_opens_one_case() {
    let app = App::new("idem-complaint");
    let customer = app.customer("active");
    let body = complaint(&customer, "high", now_ms() - DAY);
    let first = app.log_with_key(&body, "c1");
    let again = app.log_with_key(&body, "c1");
    assert_eq!(first.status(), 201, "{}", text(&first));
    assert_eq!(json(&again)["complaintId"], json(&first)["complaintId"]);
    assert_eq!(app.count("complaints"), 1);
    assert_eq!(app.count("complaint_history"), 1);
}

#[test]
fn twenty_concurrent_posts_with_one_key_store_exactly_one_interaction() {
    let app = Arc::new(App::new("idem-concurrent"));
    let customer = app.customer("active");
    let body = complaint(&customer, "critical", now_ms() - DAY);
    let barrier = Arc::new(Barrier::new(20));

    let workers: Vec<_> = (0..20)
        .map(|_| {
            let (app, barrier, body) = (Arc::clone(&app), Arc::clone(&barrier), body.clone());
            std::thread::spawn(move || {
                barrier.wait();
                let response = app.log_with_key(&body, "same-key");
                (response.status().as_u16(), json(&response))
            })
        })
        .collect();

    let mut ids = Vec::new();
    for worker in workers {
        let (status, body) = worker.join().expect("no panic");
        match status {
            201 => ids.push(body["id"].clone()),
            409 => assert_eq!(body["code"], "request_in_progress"),
            503 => assert_eq!(body["code"], "service_unavailable"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert!(!ids.is_empty(), "someone stored it");
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ids:?}");
    assert_eq!(app.count("interactions"), 1);
    assert_eq!(app.count("complaints"), 1);
}
