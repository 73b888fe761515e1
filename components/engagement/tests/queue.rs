//! Alerts and tasks through the component: an RM's book, alert moves, conversion into a
//! task, the task state machine with If-Match, a completed contact task logged in the
//! interaction log, overdue flags, and the handover of a book.

mod common;

use common::{App, HOUR, at, body, now_ms, withdrawal};
use serde_json::{Value, json};

fn alerts_of(app: &App, rm: &str, query: &str) -> Value {
    body(
        &app.svc
            .as_user(rm, &["relationship_manager"])
            .get(&format!("/v1/engagement/alerts{query}")),
        200,
    )
}

#[test]
fn a_relationship_manager_sees_and_acts_on_the_alerts_of_their_book_only() {
    let app = App::new("eng-book");
    let mine = app.customer_of(Some("rm-1"));
    let theirs = app.customer_of(Some("rm-2"));
    app.ingested(json!([
        withdrawal("w-1", &mine, 80_000_000, "deposit for a flat"),
        withdrawal("w-2", &theirs, 80_000_000, "deposit for a flat"),
    ]));
    let page = alerts_of(&app, "rm-1", "");
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1));
    let alert = &page["items"][0];
    assert_eq!(alert["customerId"], json!(mine));
    assert_eq!(alert["suggestedAction"], "mortgage_offer");
    assert_eq!(alert["event"]["amount"]["amount"], 80_000_000);
    // Asking for another manager's book through rmId shows nothing of it.
    assert_eq!(alerts_of(&app, "rm-1", "?rmId=rm-2")["items"], json!([]));
    // An admin filters by manager.
    let all = body(
        &app.svc.get("/v1/engagement/alerts?rmId=rm-2&status=open"),
        200,
    );
    assert_eq!(all["items"][0]["customerId"], json!(theirs));
    let other = all["items"][0]["id"].as_str().expect("id");
    let rm1 = app.svc.as_user("rm-1", &["relationship_manager"]);
    assert_eq!(
        rm1.get(&format!("/v1/engagement/alerts/{other}")).status(),
        403
    );
    // Bounds the contract declares are enforced.
    assert_eq!(
        app.svc.get("/v1/engagement/alerts?status=closed").status(),
        422
    );
    assert_eq!(
        app.svc
            .get("/v1/engagement/alerts?rmId=has%20space")
            .status(),
        422
    );
    assert_eq!(app.svc.get("/v1/engagement/alerts?limit=0").status(), 422);
    assert_eq!(
        app.svc.get("/v1/engagement/alerts?colour=red").status(),
        400
    );
}

#[test]
fn an_alert_is_acknowledged_or_dismissed_with_a_reason_and_then_stays() {
    let app = App::new("eng-alert-moves");
    let c = app.customer_of(Some("rm-1"));
    app.ingested(json!([withdrawal("w-1", &c, 30_000_000, "school fees")]));
    let alert = alerts_of(&app, "rm-1", "")["items"][0].clone();
    assert_eq!(alert["rule"], "large_withdrawal");
    let path = format!(
        "/v1/engagement/alerts/{}/transitions",
        alert["id"].as_str().expect("id")
    );
    let rm1 = app.svc.as_user("rm-1", &["relationship_manager"]);
    let ack = json!({"to": "acknowledged"});
    let r = rm1.post_json(&path, &ack, &[("content-type", "application/json")]);
    assert_eq!(r.status(), 428);
    let r = rm1.post_json(&path, &ack, &[("if-match", "\"9\"")]);
    assert_eq!(r.status(), 412);
    let acked = body(&rm1.post_json(&path, &ack, &[("if-match", "\"1\"")]), 200);
    assert_eq!(acked["status"], "acknowledged");
    assert_eq!(acked["changedBy"], "rm-1");
    let no_reason = rm1.post_json(&path, &json!({"to": "dismissed"}), &[("if-match", "\"2\"")]);
    assert_eq!(body(&no_reason, 422)["errors"][0]["field"], "reason");
    let dismissed = body(
        &rm1.post_json(
            &path,
            &json!({"to": "dismissed", "reason": "paying tuition, not leaving"}),
            &[("if-match", "\"2\"")],
        ),
        200,
    );
    assert_eq!(dismissed["dismissReason"], "paying tuition, not leaving");
    assert_eq!(dismissed["allowedTransitions"], json!([]));
    let again = rm1.post_json(&path, &ack, &[("if-match", "\"3\"")]);
    assert_eq!(body(&again, 409)["code"], "transition_not_allowed");
}

#[test]
fn converting_the_alert_of_a_customer_without_a_manager_needs_an_assignee() {
    let app = App::new("eng-convert-orphan");
    let c = app.customer_of(None);
    app.ingested(json!([withdrawal("w-1", &c, 30_000_000, "x")]));
    let alert = body(&app.svc.get("/v1/engagement/alerts"), 200)["items"][0].clone();
    let path = format!(
        "/v1/engagement/alerts/{}/transitions",
        alert["id"].as_str().expect("id")
    );
    let refused = app.move_to(&path, 1, &json!({"to": "converted"}));
    assert_eq!(body(&refused, 422)["errors"][0]["field"], "task.assignee");
    assert!(
        app.svc
            .sql_column("SELECT id FROM engagement_tasks")
            .is_empty()
    );
    let converted = body(
        &app.move_to(
            &path,
            1,
            &json!({"to": "converted", "task": {"assignee": "rm-9", "priority": "low"}}),
        ),
        200,
    );
    assert_eq!(converted["task"]["assignee"], "rm-9");
    assert_eq!(converted["task"]["type"], "retention");
    assert_eq!(converted["task"]["priority"], "low");
}

#[test]
fn an_unacknowledged_alert_past_its_deadline_is_overdue() {
    let app = App::new("eng-alert-overdue");
    let c = app.customer_of(Some("rm-1"));
    app.ingested(
        json!([{"id": "s-1", "type": "salary_stopped", "customerId": c,
        "occurredAt": at(now_ms())}]),
    );
    app.svc
        .sql_column("UPDATE engagement_alerts SET due_at = 1 RETURNING id");
    let alert = alerts_of(&app, "rm-1", "")["items"][0].clone();
    assert_eq!(alert["overdue"], true);
    assert_eq!(alert["priority"], "urgent");
}

#[test]
fn the_story_event_to_alert_to_task_to_contact_logged() {
    let app = App::new("eng-story");
    let c = app.customer_of(Some("rm-1"));
    app.ingested(json!([withdrawal(
        "w-1",
        &c,
        80_000_000,
        "down payment on a house"
    )]));
    let alert = alerts_of(&app, "rm-1", "?status=open")["items"][0].clone();
    let rm1 = app.svc.as_user("rm-1", &["relationship_manager"]);
    let converted = body(
        &rm1.post_json(
            &format!(
                "/v1/engagement/alerts/{}/transitions",
                alert["id"].as_str().expect("id")
            ),
            &json!({"to": "converted", "task": {"title": "Offer a mortgage"}}),
            &[("if-match", "\"1\"")],
        ),
        200,
    );
    assert_eq!(converted["status"], "converted");
    let task = converted["task"].clone();
    assert_eq!(converted["taskId"], task["id"]);
    assert_eq!(task["type"], "contact");
    assert_eq!(task["assignee"], "rm-1");
    assert_eq!(task["priority"], "high");
    assert_eq!(task["link"], json!({"kind": "alert", "id": alert["id"]}));
    assert_eq!(task["dueAt"], alert["dueAt"]);

    let queue = body(
        &rm1.get("/v1/engagement/tasks?assignee=rm-1&status=open"),
        200,
    );
    assert_eq!(queue["items"][0]["id"], task["id"]);
    let path = format!(
        "/v1/engagement/tasks/{}/transitions",
        task["id"].as_str().expect("id")
    );
    let started = body(
        &rm1.post_json(
            &path,
            &json!({"to": "in_progress"}),
            &[("if-match", "\"1\"")],
        ),
        200,
    );
    assert_eq!(started["status"], "in_progress");
    let without = rm1.post_json(&path, &json!({"to": "done"}), &[("if-match", "\"2\"")]);
    assert_eq!(body(&without, 422)["errors"][0]["field"], "contact");
    let done = body(
        &rm1.post_json(
            &path,
            &json!({"to": "done", "note": "interested", "contact": {
                "channel": "phone", "subject": "Mortgage offer", "outcome": "meeting booked",
                "sentiment": "positive"}}),
            &[("if-match", "\"2\"")],
        ),
        200,
    );
    assert_eq!(done["status"], "done");
    let interaction = done["interactionId"].as_str().expect("interaction id");
    assert_eq!(
        app.svc.sql_column(&format!(
            "SELECT customer_id || ' ' || direction || ' ' || channel || ' ' || type || ' '
                 || agent_id || ' ' || subject FROM interactions WHERE id = '{interaction}'"
        )),
        [format!("{c} outbound phone sales rm-1 Mortgage offer")]
    );
    // Nothing more happens to a done task.
    let r = rm1.post_json(&path, &json!({"to": "cancelled"}), &[("if-match", "\"3\"")]);
    assert_eq!(r.status(), 409);
}

#[test]
fn a_refused_completion_leaves_no_contact_behind() {
    let app = App::new("eng-no-half");
    let c = app.customer_of(Some("rm-1"));
    let task = body(
        &app.create_task(
            &json!({"customerId": c, "type": "retention", "title": "Keep them",
            "dueAt": at(now_ms() + HOUR)}),
        ),
        201,
    );
    let path = format!(
        "/v1/engagement/tasks/{}/transitions",
        task["id"].as_str().expect("id")
    );
    // Open cannot become done: the contact must not be logged either.
    let r = app.move_to(
        &path,
        1,
        &json!({"to": "done", "contact": {"channel": "phone", "subject": "Call"}}),
    );
    assert_eq!(r.status(), 409);
    assert!(app.svc.sql_column("SELECT id FROM interactions").is_empty());
}

#[test]
fn a_task_goes_to_the_customers_manager_unless_named_and_past_due_is_overdue() {
    let app = App::new("eng-task-create");
    let c = app.customer_of(Some("rm-1"));
    let orphan = app.customer_of(None);
    let task = body(
        &app.create_task(
            &json!({"customerId": c, "type": "follow_up", "title": "Send forms",
            "dueAt": at(now_ms() - HOUR), "link": {"kind": "campaign", "id": "WINTER-26"}}),
        ),
        201,
    );
    assert_eq!(task["assignee"], "rm-1");
    assert_eq!(task["overdue"], true);
    assert_eq!(task["priority"], "normal");
    let no_manager = app.create_task(&json!({"customerId": orphan, "type": "review",
        "title": "Review", "dueAt": at(now_ms() + HOUR)}));
    assert_eq!(body(&no_manager, 422)["errors"][0]["field"], "assignee");
    let named = body(
        &app.create_task(
            &json!({"customerId": orphan, "type": "review", "title": "Review",
            "assignee": "rm-9", "priority": "urgent", "dueAt": at(now_ms() + HOUR)}),
        ),
        201,
    );
    assert_eq!(named["assignee"], "rm-9");
    let bad_link = app.create_task(&json!({"customerId": c, "type": "review", "title": "R",
        "dueAt": at(now_ms()), "link": {"kind": "alert", "id": "alr_01KAT0000000000000000000AB"}}));
    assert_eq!(body(&bad_link, 422)["errors"][0]["field"], "link.id");
    // Due before: the overdue one only.
    let due = body(
        &app.svc.get(&format!(
            "/v1/engagement/tasks?dueBefore={}",
            at(now_ms()).replace(':', "%3A")
        )),
        200,
    );
    assert_eq!(due["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        app.svc.get("/v1/engagement/tasks?dueBefore=soon").status(),
        422
    );
    // Another manager may not create a task for a customer outside their book.
    let r = app
        .svc
        .as_user("rm-2", &["relationship_manager"])
        .post_json(
            "/v1/engagement/tasks",
            &json!({"customerId": c, "type": "review", "title": "R", "dueAt": at(now_ms())}),
            &[("idempotency-key", "k-rm2")],
        );
    assert_eq!(r.status(), 403);
}

#[test]
fn a_handover_moves_every_pending_task_and_every_customer_in_one_request() {
    let app = App::new("eng-handover");
    let a = app.customer_of(Some("rm-old"));
    let b = app.customer_of(Some("rm-old"));
    let kept = app.customer_of(Some("rm-other"));
    let mut ids = Vec::new();
    for c in [&a, &b, &kept] {
        let t = body(
            &app.create_task(
                &json!({"customerId": c, "type": "review", "title": "Review",
                "dueAt": at(now_ms() + HOUR)}),
            ),
            201,
        );
        ids.push(t["id"].as_str().expect("id").to_owned());
    }
    // A cancelled task stays with who cancelled it.
    app.move_to(
        &format!("/v1/engagement/tasks/{}/transitions", ids[1]),
        1,
        &json!({"to": "cancelled"}),
    );
    let handover = |body_: &Value, key: &str| {
        app.svc.post_json(
            "/v1/engagement/tasks/handover",
            body_,
            &[("idempotency-key", key)],
        )
    };
    let same = handover(&json!({"from": "rm-old", "to": "rm-old"}), "h-0");
    assert_eq!(same.status(), 422);
    let done = body(
        &handover(&json!({"from": "rm-old", "to": "rm-new"}), "h-1"),
        200,
    );
    assert_eq!(done["tasksMoved"], 1);
    assert_eq!(done["customersMoved"], 2);
    assert_eq!(
        app.svc
            .sql_column("SELECT assignee FROM engagement_tasks ORDER BY id"),
        ["rm-new", "rm-old", "rm-other"]
    );
    assert_eq!(
        app.svc.sql_column(&format!(
            "SELECT relationship_manager_id || ' ' || json_extract(document, '$.relationshipManagerId')
                || ' ' || version FROM customers WHERE id IN ('{a}', '{b}', '{kept}') ORDER BY id"
        )),
        ["rm-new rm-new 2", "rm-new rm-new 2", "rm-other rm-other 1"]
    );
    // The new manager's book now holds them; the old one's no longer does.
    let task = format!("/v1/engagement/tasks/{}", ids[0]);
    let rm_new = app.svc.as_user("rm-new", &["relationship_manager"]);
    assert_eq!(rm_new.get(&task).status(), 200);
    let rm_old = app.svc.as_user("rm-old", &["relationship_manager"]);
    assert_eq!(rm_old.get(&task).status(), 403);
    let r = app
        .svc
        .as_user("rm-old", &["relationship_manager"])
        .post_json(
            "/v1/engagement/tasks/handover",
            &json!({"from": "rm-old", "to": "x"}),
            &[("idempotency-key", "h-2")],
        );
    assert_eq!(r.status(), 403);
}

#[test]
fn every_route_declares_its_permission_and_only_health_is_anonymous() {
    use crm_http::Access;
    for route in engagement::SERVICE.routes {
        let anonymous = route.pattern == "/v1/engagement/health";
        match route.access {
            Access::Anonymous => assert!(anonymous, "{}", route.pattern),
            Access::Action(_) => assert!(!anonymous, "{}", route.pattern),
            Access::Undeclared => panic!("{} declares no action", route.pattern),
        }
    }
}
