//! Account events and alert rules through the component: per-event answers, idempotency
//! per event id, nothing written for a refused event or batch, the alert a rule raises,
//! and the versioned rules with If-Match.

mod common;

use common::{App, at, body, now_ms, withdrawal};
use crm_domain::engagement::AlertRules;
use serde_json::{Value, json};

#[test]
fn the_stored_default_rules_are_the_documented_ones() {
    let app = App::new("eng-default-rules");
    let rules = body(&app.svc.get("/v1/engagement/alert-rules"), 200);
    assert_eq!(rules["version"], 1);
    let stored: AlertRules =
        serde_json::from_value(json!({ "rules": rules["rules"] })).expect("rules");
    assert_eq!(stored, AlertRules::default_rules());
}

#[test]
fn a_batch_answers_each_event_accepted_duplicate_or_refused_with_its_fields() {
    let app = App::new("eng-batch");
    let c = app.customer_of(Some("rm-1"));
    let event = withdrawal("core-1", &c, 80_000_000, "house purchase");
    let first = app.ingested(json!([event.clone()]));
    assert_eq!(first["accepted"], 1);
    assert_eq!(first["alertsRaised"], 1);

    let answer = app.ingested(json!([
        event,
        withdrawal("core-1", &c, 99_000_000, "house purchase"),
        {"id": "core-2", "type": "salary_stopped", "customerId": c, "occurredAt": at(now_ms())},
        {"id": "core-3", "type": "lottery", "customerId": c},
        {"id": "core-4", "type": "card_expiring", "customerId": c, "occurredAt": at(now_ms()), "colour": "red"},
        {"type": "salary_stopped"},
    ]));
    let outcomes: Vec<&str> = answer["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["outcome"].as_str().expect("outcome"))
        .collect();
    assert_eq!(
        outcomes,
        [
            "duplicate",
            "refused",
            "accepted",
            "refused",
            "refused",
            "refused"
        ]
    );
    assert_eq!(answer["results"][1]["errors"][0]["field"], "id");
    let fields: Vec<&str> = answer["results"][3]["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field"))
        .collect();
    assert_eq!(fields, ["type", "occurredAt"]);
    assert_eq!(
        (answer["accepted"].clone(), answer["duplicates"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(answer["refused"], 4);
    // Counted once: one row per accepted id, one alert per accepted event.
    assert_eq!(
        app.svc
            .sql_column("SELECT id FROM engagement_events ORDER BY id"),
        ["core-1", "core-2"]
    );
    assert_eq!(
        app.svc.sql_column("SELECT count(*) FROM engagement_alerts"),
        ["2"]
    );
}

#[test]
fn an_event_for_an_unknown_or_erased_customer_is_refused_and_nothing_is_written() {
    let app = App::new("eng-unknown");
    let erased = app.customer_of(None);
    app.erase(&erased);
    let answer = app.ingested(json!([
        withdrawal("e-1", "cus_01KAT0000000000000000000AB", 80_000_000, "x"),
        withdrawal("e-2", &erased, 80_000_000, "x"),
    ]));
    assert_eq!(answer["refused"], 2);
    assert_eq!(answer["results"][1]["errors"][0]["field"], "customerId");
    assert!(
        app.svc
            .sql_column("SELECT id FROM engagement_events")
            .is_empty()
    );
}

#[test]
fn a_batch_that_is_not_a_batch_is_refused_whole() {
    let app = App::new("eng-bad-batch");
    let c = app.customer_of(None);
    let empty = app.ingest(json!([]));
    assert_eq!(empty.status(), 422);
    let too_many: Vec<Value> = (0..501)
        .map(|i| withdrawal(&format!("e-{i}"), &c, 80_000_000, "x"))
        .collect();
    assert_eq!(app.ingest(Value::Array(too_many)).status(), 422);
    let not_an_event = app.ingest(json!([withdrawal("e-1", &c, 80_000_000, "x"), "e-2"]));
    assert_eq!(body(&not_an_event, 422)["errors"][0]["field"], "events[1]");
    let unknown = app.svc.post_json(
        "/v1/engagement/events",
        &json!({"events": [withdrawal("e-1", &c, 80_000_000, "x")], "source": "core"}),
        &[],
    );
    assert_eq!(unknown.status(), 400);
    assert!(
        app.svc
            .sql_column("SELECT id FROM engagement_events")
            .is_empty()
    );
}

#[test]
fn only_an_admin_token_may_send_events() {
    let app = App::new("eng-events-roles");
    for role in ["relationship_manager", "teller", "auditor"] {
        let r = app.svc.as_user("someone", &[role]).post_json(
            "/v1/engagement/events",
            &json!({"events": []}),
            &[],
        );
        assert_eq!(r.status(), 403, "{role}");
    }
}

#[test]
fn new_rules_need_the_current_etag_and_alerts_name_the_version_that_raised_them() {
    let app = App::new("eng-rules");
    let c = app.customer_of(Some("rm-1"));
    let mut rules = body(&app.svc.get("/v1/engagement/alert-rules"), 200);
    rules
        .as_object_mut()
        .expect("object")
        .retain(|k, _| k == "rules");
    rules["rules"][5]["deadlineHours"] = json!(2);
    let put = |etag: Option<&str>, doc: &Value| {
        let mut headers = vec![("content-type", "application/json")];
        if let Some(e) = etag {
            headers.push(("if-match", e));
        }
        app.svc.request(
            "PUT",
            "/v1/engagement/alert-rules",
            Some(&doc.to_string()),
            &headers,
        )
    };
    assert_eq!(put(None, &rules).status(), 428);
    assert_eq!(put(Some("\"7\""), &rules).status(), 412);
    let mut bad = rules.clone();
    bad["rules"][0]["deadlineHours"] = json!(0);
    let refused = body(&put(Some("\"1\""), &bad), 422);
    assert_eq!(refused["errors"][0]["field"], "rules[0].deadlineHours");
    let v2 = body(&put(Some("\"1\""), &rules), 200);
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["actor"], "dev-admin");
    assert_eq!(put(Some("\"1\""), &rules).status(), 412);

    app.ingested(
        json!([{"id": "card-1", "type": "card_expiring", "customerId": c,
        "occurredAt": at(now_ms())}]),
    );
    let alerts = body(&app.svc.get("/v1/engagement/alerts"), 200);
    assert_eq!(alerts["items"][0]["rulesVersion"], 2);
    assert_eq!(alerts["items"][0]["rule"], "card_expiring");
    let v1 = body(&app.svc.get("/v1/engagement/alert-rules/1"), 200);
    assert_eq!(v1["rules"][5]["deadlineHours"], 168);
    assert_eq!(app.svc.get("/v1/engagement/alert-rules/9").status(), 404);
    // Due two hours after it was raised: not overdue yet.
    assert_eq!(alerts["items"][0]["overdue"], false);
}

#[test]
fn five_hundred_events_fit_in_one_batch() {
    let app = App::new("eng-batch-500");
    let c = app.customer_of(Some("rm-1"));
    let events: Vec<Value> = (0..500)
        .map(|i| {
            withdrawal(
                &format!("core-bank-event-{i:05}"),
                &c,
                80_000_000,
                "transfer for a house purchase",
            )
        })
        .collect();
    let answer = app.ingested(Value::Array(events));
    assert_eq!(answer["accepted"], 500);
    assert_eq!(answer["alertsRaised"], 500);
}
