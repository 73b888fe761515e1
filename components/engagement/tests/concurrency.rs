//! The engagement writes under real concurrency (threads on one database file): the same
//! events from several senders are stored once, concurrent churn runs create one
//! retention task, and concurrent completions of one task log one contact.

mod common;

use common::{App, HOUR, at, body, now_ms, withdrawal};
use crm_http::Response;
use serde_json::{Value, json};
use std::sync::Barrier;

const THREADS: usize = 8;

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

fn count(app: &App, sql: &str) -> String {
    app.svc.sql_column(sql).join(",")
}

#[test]
fn the_same_batch_sent_at_once_is_stored_once_with_one_alert_per_event() {
    let app = App::new("eng-race-events");
    let c = app.customer_of(Some("rm-1"));
    let events: Vec<Value> = (0..20)
        .map(|i| withdrawal(&format!("race-{i}"), &c, 80_000_000, "house"))
        .collect();
    let responses = race(|_| app.ingest(Value::Array(events.clone())));
    let codes = statuses(&responses);
    assert!(codes.iter().all(|s| matches!(s, 200 | 503)), "{codes:?}");
    assert!(codes.contains(&200));
    assert_eq!(count(&app, "SELECT count(*) FROM engagement_events"), "20");
    assert_eq!(count(&app, "SELECT count(*) FROM engagement_alerts"), "20");
}

#[test]
fn concurrent_churn_runs_create_one_retention_task() {
    let app = App::new("eng-race-churn");
    let c = app.customer_of(Some("rm-1"));
    let event = |id: &str, kind: &str| json!({"id": id, "type": kind, "customerId": c, "occurredAt": at(now_ms() - HOUR)});
    app.ingested(json!([
        event("s-1", "salary_stopped"),
        event("p-1", "product_closed"),
        event("p-2", "product_closed"),
    ]));
    // 50 points: below the threshold; a complaint case not closed adds 15.
    app.svc.sql_column(&format!(
        "INSERT INTO interactions (id, customer_id, channel, direction, type, subject, agent_id,
            occurred_at, recorded_at, confidential, complaint_id)
         VALUES ('int_C1', '{c}', 'branch', 'inbound', 'complaint', 'fees', 'a-1', 1, 1, 0,
            'cmp_C1') RETURNING id"
    ));
    app.svc.sql_column(&format!(
        "INSERT INTO complaints (id, interaction_id, customer_id, severity, category,
            regulatory, status, opened_at, due_at, version, updated_at)
         VALUES ('cmp_C1', 'int_C1', '{c}', 'low', 'other', 0, 'open', 1, {}, 1, 1)
         RETURNING id",
        now_ms() + 100 * HOUR
    ));
    let as_of = at(now_ms());
    let responses = race(|_| {
        app.svc
            .post_json("/v1/engagement/churn/runs", &json!({"asOf": as_of}), &[])
    });
    let codes = statuses(&responses);
    assert!(codes.iter().all(|s| matches!(s, 200 | 503)), "{codes:?}");
    let created: i64 = responses
        .iter()
        .filter(|r| r.status() == 200)
        .map(|r| body(r, 200)["tasksCreated"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(created, 1);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM engagement_tasks WHERE type = 'retention'"
        ),
        "1"
    );
}

#[test]
fn concurrent_completions_of_one_task_log_one_contact() {
    let app = App::new("eng-race-task");
    let c = app.customer_of(Some("rm-1"));
    let task = body(
        &app.create_task(&json!({"customerId": c, "type": "contact", "title": "Call",
            "dueAt": at(now_ms() + HOUR)})),
        201,
    );
    let path = format!(
        "/v1/engagement/tasks/{}/transitions",
        task["id"].as_str().expect("id")
    );
    body(&app.move_to(&path, 1, &json!({"to": "in_progress"})), 200);
    let responses = race(|i| {
        app.move_to(
            &path,
            2,
            &json!({"to": "done", "contact": {"channel": "phone", "subject": format!("Call {i}")}}),
        )
    });
    let codes = statuses(&responses);
    assert_eq!(codes.iter().filter(|s| **s == 200).count(), 1, "{codes:?}");
    assert!(
        codes.iter().all(|s| matches!(s, 200 | 412 | 503)),
        "{codes:?}"
    );
    assert_eq!(count(&app, "SELECT count(*) FROM interactions"), "1");
}
