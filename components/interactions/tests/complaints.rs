//! Complaint cases through the handlers: opening with an SLA deadline, the state
//! machine with `If-Match`, history, queues and overdue, and concurrent transitions.

mod common;

use common::{App, DAY, HOUR, at, complaint, error_fields, now_ms, step, text};
use crm_http::testing::json;
use serde_json::{Value, json};
use std::sync::{Arc, Barrier};

fn id(case: &Value) -> String {
    case["id"].as_str().expect("id").to_owned()
}

fn etag(case: &Value) -> String {
    case["etag"].as_str().expect("etag").to_owned()
}

#[test]
fn a_complaint_opens_a_case_due_by_its_severity_from_when_it_was_received() {
    let app = App::new("cmp-open");
    let customer = app.customer("active");
    let received = now_ms() - 2 * HOUR;

    let case = app.complaint(&customer, "high", received);

    assert!(id(&case).starts_with("cmp_"));
    assert_eq!(case["status"], "open");
    assert_eq!(case["openedAt"], at(received));
    assert_eq!(case["dueAt"], at(received + 48 * HOUR));
    assert_eq!(case["slaHours"], 48);
    assert_eq!(case["overdue"], false);
    assert_eq!(case["allowedTransitions"], json!(["assigned"]));
    assert_eq!(case["history"][0]["to"], "open");
    // Who opened it is the caller who logged the complaint (the token's subject).
    assert_eq!(case["history"][0]["actor"], "dev-admin");
}

#[test]
fn a_regulatory_complaint_gets_the_shorter_regulatory_deadline() {
    let app = App::new("cmp-regulatory");
    let customer = app.customer("active");
    let received = now_ms() - HOUR;
    let mut body = complaint(&customer, "low", received);
    body["complaint"]["regulatory"] = json!(true);

    let logged = app.logged(&body);
    let case = json(&app.get(&format!(
        "/v1/interactions/complaints/{}",
        logged["complaintId"].as_str().expect("case")
    )));

    assert_eq!(case["regulatory"], true);
    assert_eq!(case["slaHours"], 48);
    assert_eq!(case["dueAt"], at(received + 48 * HOUR));
}

#[test]
fn a_complaint_without_terms_is_422_and_opens_nothing() {
    let app = App::new("cmp-no-terms");
    let customer = app.customer("active");
    let mut body = complaint(&customer, "high", now_ms());
    body["complaint"] = json!({"severity": "urgent"});
    let response = app.log(&body);
    assert_eq!(response.status(), 422);
    assert_eq!(
        error_fields(&json(&response)),
        ["complaint.severity", "complaint.category"]
    );
    assert_eq!((app.count("interactions"), app.count("complaints")), (0, 0));
}

#[test]
fn a_case_walks_from_open_to_closed_and_a_stale_if_match_is_refused_on_the_way() {
    let app = App::new("cmp-walk");
    let customer = app.customer("active");
    let case = app.complaint(&customer, "medium", now_ms() - HOUR);
    let case_id = id(&case);

    let assigned = app.move_to(&case_id, &etag(&case), "assigned");
    let stale = app.transition(&case_id, Some(&etag(&case)), &step("in_progress"));
    assert_eq!(stale.status(), 412, "{}", text(&stale));
    let in_progress = app.move_to(&case_id, &etag(&assigned), "in_progress");
    let resolved = app.move_to(&case_id, &etag(&in_progress), "resolved");
    let closed = app.move_to(&case_id, &etag(&resolved), "closed");

    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["assignee"], "agent-42");
    assert_eq!(closed["resolution"], "fee refunded and apology sent");
    assert_eq!(closed["slaMet"], true);
    assert_eq!(closed["allowedTransitions"], json!([]));
    let history: Vec<(Value, Value)> = closed["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| (h["from"].clone(), h["to"].clone()))
        .collect();
    assert_eq!(
        history,
        [
            (Value::Null, json!("open")),
            (json!("open"), json!("assigned")),
            (json!("assigned"), json!("in_progress")),
            (json!("in_progress"), json!("resolved")),
            (json!("resolved"), json!("closed")),
        ]
    );
    assert_eq!(closed["history"][1]["actor"], "dev-admin");
    assert_eq!(closed["history"][1]["note"], "moving to assigned");
    let read = app.get(&format!("/v1/interactions/complaints/{case_id}"));
    assert_eq!(read.headers()["etag"], "\"5\"");
    assert_eq!(json(&read)["history"], closed["history"]);
}

#[test]
fn an_illegal_transition_is_409_naming_the_allowed_ones_and_changes_nothing() {
    let app = App::new("cmp-illegal");
    let customer = app.customer("active");
    let case = app.complaint(&customer, "low", now_ms());

    let response = app.transition(&id(&case), Some(&etag(&case)), &step("resolved"));

    assert_eq!(response.status(), 409);
    let problem = json(&response);
    assert_eq!(problem["code"], "transition_not_allowed");
    assert_eq!(problem["allowed"], json!(["assigned"]));
    assert_eq!(
        (problem["from"].clone(), problem["to"].clone()),
        (json!("open"), json!("resolved"))
    );
    assert_eq!(app.count("complaint_history"), 1);
    let read = json(&app.get(&format!("/v1/interactions/complaints/{}", id(&case))));
    assert_eq!(
        (read["status"].clone(), read["version"].clone()),
        (json!("open"), json!(1))
    );
}

#[test]
fn a_closed_case_accepts_no_transition() {
    let app = App::new("cmp-closed");
    let customer = app.customer("active");
    let mut case = app.complaint(&customer, "low", now_ms());
    for to in ["assigned", "in_progress", "resolved", "closed"] {
        case = app.move_to(&id(&case), &etag(&case), to);
    }
    for to in [
        "open",
        "assigned",
        "in_progress",
        "resolved",
        "reopened",
        "closed",
    ] {
        let response = app.transition(&id(&case), Some(&etag(&case)), &step(to));
        assert_eq!(response.status(), 409, "{to}");
        assert_eq!(json(&response)["allowed"], json!([]));
    }
}

#[test]
fn a_resolved_case_can_be_reopened_and_its_clock_runs_again() {
    let app = App::new("cmp-reopen");
    let customer = app.customer("active");
    let mut case = app.complaint(&customer, "critical", now_ms() - 2 * DAY);
    for to in ["assigned", "in_progress", "resolved"] {
        case = app.move_to(&id(&case), &etag(&case), to);
    }
    assert_eq!(case["overdue"], false, "the clock stops once resolved");
    assert_eq!(case["slaMet"], false, "resolved after the 24 h deadline");

    let reopened = app.move_to(&id(&case), &etag(&case), "reopened");

    assert_eq!(reopened["resolution"], Value::Null);
    assert_eq!(
        reopened["overdue"], true,
        "reopening keeps the original deadline"
    );
    assert_eq!(reopened["allowedTransitions"], json!(["in_progress"]));
    let mut handover = step("in_progress");
    handover["assignee"] = json!("agent-99");
    let again = app.transition(&id(&reopened), Some(&etag(&reopened)), &handover);
    assert_eq!(again.status(), 200, "{}", text(&again));
    assert_eq!(json(&again)["assignee"], "agent-99");
}

#[test]
fn a_transition_needs_if_match_and_a_valid_body() {
    let app = App::new("cmp-preconditions");
    let customer = app.customer("active");
    let case = app.complaint(&customer, "low", now_ms());
    let case_id = id(&case);

    let missing = app.transition(&case_id, None, &step("assigned"));
    assert_eq!(missing.status(), 428);
    let invalid = app.transition(
        &case_id,
        Some(&etag(&case)),
        &json!({"to": "assigned", "note": " ", "resolution": "x"}),
    );
    assert_eq!(invalid.status(), 422);
    assert_eq!(
        error_fields(&json(&invalid)),
        ["assignee", "resolution", "note"]
    );
    let unknown = app.transition(
        &case_id,
        Some(&etag(&case)),
        &json!({"to": "assigned", "assignee": "a", "note": "n", "actor": "b", "why": 1}),
    );
    assert_eq!(unknown.status(), 400);
    let nowhere = app.transition(
        "cmp_01KAT0000000000000000000AB",
        Some("\"1\""),
        &step("assigned"),
    );
    assert_eq!(nowhere.status(), 404);
    assert_eq!(app.count("complaint_history"), 1);
}

#[test]
fn a_transition_with_an_idempotency_key_replays_its_first_answer() {
    let app = App::new("cmp-idem");
    let customer = app.customer("active");
    let case = app.complaint(&customer, "low", now_ms());
    let send = || {
        app.svc.request(
            "POST",
            &format!("/v1/interactions/complaints/{}/transitions", id(&case)),
            Some(&step("assigned").to_string()),
            &[
                ("content-type", "application/json"),
                ("if-match", "\"1\""),
                ("idempotency-key", "assign-once"),
            ],
        )
    };
    let first = send();
    let retry = send();
    assert_eq!(
        (first.status().as_u16(), retry.status().as_u16()),
        (200, 200)
    );
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    assert_eq!(json(&retry), json(&first));
    assert_eq!(app.count("complaint_history"), 2);
}

#[test]
fn concurrent_transitions_from_one_version_apply_exactly_once() {
    let app = Arc::new(App::new("cmp-race"));
    let customer = app.customer("active");
    let case = app.complaint(&customer, "high", now_ms());
    let (case_id, tag) = (id(&case), etag(&case));
    let barrier = Arc::new(Barrier::new(10));

    let workers: Vec<_> = (0..10)
        .map(|n| {
            let (app, barrier) = (Arc::clone(&app), Arc::clone(&barrier));
            let (case_id, tag) = (case_id.clone(), tag.clone());
            std::thread::spawn(move || {
                let mut body = step("assigned");
                body["assignee"] = json!(format!("agent-{n}"));
                barrier.wait();
                app.transition(&case_id, Some(&tag), &body)
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let statuses: Vec<u16> = workers
        .into_iter()
        .map(|w| w.join().expect("no panic"))
        .collect();

    assert_eq!(
        statuses.iter().filter(|&&s| s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [200, 412, 503].contains(s)),
        "{statuses:?}"
    );
    assert_eq!(app.count("complaint_history"), 2);
    let read = json(&app.get(&format!("/v1/interactions/complaints/{case_id}")));
    assert_eq!(read["version"], 2);
}

fn queue(app: &App, query: &str) -> Value {
    let response = app.get(&format!("/v1/interactions/complaints?{query}"));
    assert_eq!(response.status(), 200, "{}", text(&response));
    json(&response)
}

fn case_ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| c["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn overdue_cases_are_those_past_their_deadline_and_not_resolved() {
    let app = App::new("cmp-overdue");
    let customer = app.customer("active");
    let now = now_ms();
    let late_low = app.complaint(&customer, "low", now - 11 * DAY);
    let late_critical = app.complaint(&customer, "critical", now - 3 * DAY);
    let on_time = app.complaint(&customer, "low", now - DAY);
    let mut late_but_resolved = app.complaint(&customer, "high", now - 5 * DAY);
    for to in ["assigned", "in_progress", "resolved"] {
        late_but_resolved = app.move_to(&id(&late_but_resolved), &etag(&late_but_resolved), to);
    }

    let overdue = queue(&app, "overdue=true");
    let not_overdue = queue(&app, "overdue=false");

    // Earliest deadline first: critical was due 2 days ago, low 1 day ago.
    assert_eq!(case_ids(&overdue), [id(&late_critical), id(&late_low)]);
    assert!(overdue["items"][0]["overdue"].as_bool().unwrap_or(false));
    assert_eq!(
        case_ids(&not_overdue),
        [id(&late_but_resolved), id(&on_time)]
    );
}

#[test]
fn the_queue_filters_by_status_assignee_and_customer_and_pages_by_deadline() {
    let app = App::new("cmp-queue");
    let customer = app.customer("active");
    let other = app.customer("active");
    let now = now_ms();
    let mut all = Vec::new();
    for i in 0..5 {
        all.push(app.complaint(&customer, "medium", now - (5 - i) * HOUR));
    }
    let theirs = app.complaint(&other, "medium", now);
    let assigned = app.move_to(&id(&all[2]), &etag(&all[2]), "assigned");

    let by_status = queue(&app, "status=assigned");
    assert_eq!(case_ids(&by_status), [id(&assigned)]);
    assert_eq!(case_ids(&queue(&app, "assignee=agent-42")), [id(&assigned)]);
    assert_eq!(
        case_ids(&queue(&app, &format!("customerId={other}"))),
        [id(&theirs)]
    );

    let first = queue(&app, &format!("customerId={customer}&limit=2"));
    let mut walked = case_ids(&first);
    let mut cursor = first["nextCursor"].as_str().map(str::to_owned);
    while let Some(c) = cursor {
        let page = queue(&app, &format!("customerId={customer}&limit=2&cursor={c}"));
        walked.extend(case_ids(&page));
        cursor = page["nextCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(walked, all.iter().map(id).collect::<Vec<_>>());

    let bad = app.get("/v1/interactions/complaints?status=pending&overdue=yes&limit=500");
    assert_eq!(error_fields(&json(&bad)), ["status", "overdue", "limit"]);
}

#[test]
fn a_correction_of_a_complaint_opens_no_second_case() {
    let app = App::new("cmp-correction");
    let customer = app.customer("active");
    let original = app.logged(&complaint(&customer, "high", now_ms()));
    let mut fix = complaint(&customer, "high", now_ms());
    fix["correctsId"] = original["id"].clone();

    let with_terms = app.log(&fix);
    assert_eq!(with_terms.status(), 422, "terms belong to the open case");
    fix.as_object_mut().map(|m| m.remove("complaint"));
    let correction = app.logged(&fix);

    assert_eq!(correction["complaintId"], Value::Null);
    assert_eq!(app.count("complaints"), 1);
}
