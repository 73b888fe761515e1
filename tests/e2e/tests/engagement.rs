//! The engagement service through the host (or real Spin), with customers created
//! through the customer-profile service: account events become an alert in the right
//! relationship manager's queue, the alert becomes a task, the completed task is a
//! contact on the customer's timeline in the interactions service; a handover moves the
//! book; an erasure closes what was pending and keeps no event; a churn run creates one
//! retention task however often it runs.

use crm_e2e::fixtures::create_customer_of;
use crm_e2e::{TestApp, TestResponse};
use serde_json::{Value, json};

/// An instant in the past, as RFC 3339 (events may not be in the future).
const RECENT: &str = "2026-01-02T03:04:05Z";

/// An instant within the churn window of now (ninety days): a minute ago.
fn recent_ish() -> String {
    from_now(-60)
}

/// Now plus `offset` seconds, as RFC 3339.
fn from_now(offset: i64) -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
        + offset;
    // Howard Hinnant's civil-from-days, as in interactions.rs.
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

fn ok(response: &TestResponse, status: u16) -> Value {
    assert_eq!(response.status, status, "{}", response.text());
    response.json()
}

fn events(app: &TestApp, events: Value) -> Value {
    ok(
        &app.post_json("/v1/engagement/events", &json!({ "events": events }), &[]),
        200,
    )
}

#[test]
fn an_account_event_becomes_an_alert_a_task_and_a_logged_contact() {
    let app = TestApp::spawn();
    let mine = create_customer_of(&app, 1, "rm-e2e-1");
    let theirs = create_customer_of(&app, 2, "rm-e2e-2");
    let rm = app.as_user("rm-e2e-1", &["relationship_manager"]);

    // Core banking reports a large withdrawal for a home, twice, and one for another book.
    let withdrawal = |id: &str, customer: &str| {
        json!({"id": id, "type": "large_withdrawal", "customerId": customer,
               "amount": {"amount": 80_000_000, "currency": "CNY"},
               "description": "down payment on a house", "occurredAt": RECENT})
    };
    let batch = events(
        &app,
        json!([withdrawal("cb-1", &mine), withdrawal("cb-2", &theirs)]),
    );
    assert_eq!(batch["accepted"], 2);
    let again = events(&app, json!([withdrawal("cb-1", &mine)]));
    assert_eq!(again["duplicates"], 1);
    assert_eq!(again["results"][0]["outcome"], "duplicate");

    // The manager's queue holds their customer's alert only, with the suggested action.
    let alerts = ok(&rm.get("/v1/engagement/alerts?status=open"), 200);
    let items = alerts["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    let alert = &items[0];
    assert_eq!(alert["customerId"], json!(mine));
    assert_eq!(alert["suggestedAction"], "mortgage_offer");
    assert_eq!(alert["overdue"], false);
    let alert_id = alert["id"].as_str().expect("id");

    // Converted into a task for the manager.
    let converted = ok(
        &rm.post_json(
            &format!("/v1/engagement/alerts/{alert_id}/transitions"),
            &json!({"to": "converted", "task": {"title": "Offer a mortgage"}}),
            &[("if-match", "\"1\"")],
        ),
        200,
    );
    let task_id = converted["taskId"].as_str().expect("task id").to_owned();
    let queue = ok(
        &rm.get("/v1/engagement/tasks?assignee=rm-e2e-1&status=open"),
        200,
    );
    assert_eq!(queue["items"][0]["id"], json!(task_id));

    // Worked and completed with the call it was.
    let path = format!("/v1/engagement/tasks/{task_id}/transitions");
    ok(
        &rm.post_json(
            &path,
            &json!({"to": "in_progress"}),
            &[("if-match", "\"1\"")],
        ),
        200,
    );
    let stale = rm.post_json(&path, &json!({"to": "done"}), &[("if-match", "\"1\"")]);
    stale.assert_problem(412, "precondition_failed");
    let done = ok(
        &rm.post_json(
            &path,
            &json!({"to": "done", "contact": {"channel": "phone", "subject": "Mortgage offer",
                    "outcome": "meeting booked", "sentiment": "positive"}}),
            &[("if-match", "\"2\"")],
        ),
        200,
    );
    let interaction = done["interactionId"].as_str().expect("interaction");

    // The contact is on the customer's timeline in the interactions service.
    let timeline = ok(&rm.get(&format!("/v1/interactions?customerId={mine}")), 200);
    let logged = &timeline["items"][0];
    assert_eq!(logged["id"], json!(interaction));
    assert_eq!(logged["direction"], "outbound");
    assert_eq!(logged["agentId"], "rm-e2e-1");
    assert_eq!(logged["subject"], "Mortgage offer");

    // The other book's alert stays out of reach.
    let other = ok(&app.get("/v1/engagement/alerts?rmId=rm-e2e-2"), 200);
    let other_id = other["items"][0]["id"].as_str().expect("id");
    rm.get(&format!("/v1/engagement/alerts/{other_id}"))
        .assert_problem(403, "outside_book");
}

#[test]
fn a_handover_moves_the_book_and_an_erasure_closes_what_was_pending() {
    let app = TestApp::spawn();
    let c = create_customer_of(&app, 3, "rm-e2e-old");
    let task = ok(
        &app.post_json(
            "/v1/engagement/tasks",
            &json!({"customerId": c, "type": "retention", "title": "Keep them",
                    "dueAt": "2026-01-01T00:00:00Z"}),
            &[("idempotency-key", "e2e-task-1")],
        ),
        201,
    );
    assert_eq!(task["assignee"], "rm-e2e-old");
    assert_eq!(task["overdue"], true);
    let moved = ok(
        &app.post_json(
            "/v1/engagement/tasks/handover",
            &json!({"from": "rm-e2e-old", "to": "rm-e2e-new"}),
            &[("idempotency-key", "e2e-handover-1")],
        ),
        200,
    );
    assert_eq!(moved["tasksMoved"], 1);
    assert_eq!(moved["customersMoved"], 1);
    let profile = ok(&app.get(&format!("/v1/customers/{c}")), 200);
    assert_eq!(profile["relationshipManagerId"], "rm-e2e-new");
    let new_rm = app.as_user("rm-e2e-new", &["relationship_manager"]);
    let queue = ok(&new_rm.get("/v1/engagement/tasks?assignee=rm-e2e-new"), 200);
    assert_eq!(queue["items"][0]["id"], task["id"]);

    events(
        &app,
        json!([{"id": "cb-9", "type": "salary_stopped", "customerId": c, "occurredAt": RECENT}]),
    );
    let erased = app.request("DELETE", &format!("/v1/customers/{c}"), None, &[]);
    assert_eq!(erased.status, 204, "{}", erased.text());
    let id = task["id"].as_str().expect("id");
    let after = ok(&app.get(&format!("/v1/engagement/tasks/{id}")), 200);
    assert_eq!(after["status"], "cancelled");
    assert_eq!(after["title"], "[erased]");
    let alerts = ok(
        &app.get(&format!("/v1/engagement/alerts?customerId={c}")),
        200,
    );
    assert_eq!(alerts["items"][0]["status"], "dismissed");
    assert_eq!(alerts["items"][0]["event"], Value::Null);
    // Nothing more is recorded about them.
    let refused = events(
        &app,
        json!([{"id": "cb-10", "type": "salary_stopped", "customerId": c, "occurredAt": RECENT}]),
    );
    assert_eq!(refused["refused"], 1);
}

#[test]
fn a_churn_run_creates_one_retention_task_however_often_it_runs() {
    let app = TestApp::spawn();
    let c = create_customer_of(&app, 4, "rm-e2e-churn");
    // Salary stopped (25), two products closed (25), a complaint still open (15): 65.
    let when = recent_ish();
    events(
        &app,
        json!([
            {"id": "ch-1", "type": "salary_stopped", "customerId": c, "occurredAt": when},
            {"id": "ch-2", "type": "product_closed", "customerId": c, "occurredAt": when},
            {"id": "ch-3", "type": "product_closed", "customerId": c, "occurredAt": when},
        ]),
    );
    ok(
        &app.post_json(
            "/v1/interactions",
            &json!({"customerId": c, "channel": "branch", "direction": "inbound",
                    "type": "complaint", "subject": "Fees on my account", "agentId": "teller-1",
                    "complaint": {"severity": "medium", "category": "fees_and_charges"}}),
            &[("idempotency-key", "e2e-churn-complaint")],
        ),
        201,
    );
    let rm = app.as_user("rm-e2e-churn", &["relationship_manager"]);
    let score = ok(&rm.get(&format!("/v1/engagement/churn/{c}")), 200);
    assert_eq!(score["score"], 65, "{score}");
    assert_eq!(score["band"], "high");
    let as_of = score["asOf"].as_str().expect("asOf").to_owned();

    let run = |key: &str| {
        ok(
            &app.post_json(
                "/v1/engagement/churn/runs",
                &json!({"asOf": as_of}),
                &[("idempotency-key", key)],
            ),
            200,
        )
    };
    let first = run("e2e-churn-run-1");
    assert_eq!(first["tasksCreated"], 1);
    assert_eq!(first["nextCursor"], Value::Null);
    let second = run("e2e-churn-run-2");
    assert_eq!(second["tasksCreated"], 0);
    assert_eq!(second["atRisk"], first["atRisk"]);
    // The customer's own trail holds the run that created their task, once.
    let recorded = records_of(&app, &c, "engagement.churn.run");
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    assert!(recorded[0].1.starts_with("task=tsk_"), "{recorded:?}");

    let queue = ok(
        &rm.get("/v1/engagement/tasks?assignee=rm-e2e-churn&status=open"),
        200,
    );
    let tasks = queue["items"].as_array().expect("items");
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0]["type"], "retention");
    assert_eq!(tasks[0]["customerId"], json!(c));
    let list = ok(&rm.get("/v1/engagement/churn"), 200);
    assert_eq!(list["items"][0]["customerId"], json!(c));
    assert_eq!(list["items"][0]["score"], 65);
}

#[test]
fn the_360_view_shows_churn_alerts_tasks_and_events_to_the_roles_that_may_read_them() {
    let app = TestApp::spawn();
    let c = create_customer_of(&app, 5, "rm-e2e-360");
    let rm = app.as_user("rm-e2e-360", &["relationship_manager"]);
    let view = ok(&rm.get(&format!("/v1/customers/{c}/360")), 200);
    assert_eq!(
        view["engagement"],
        json!({"openAlerts": [], "recentEvents": [], "pendingTasks": []}),
        "{view}"
    );
    assert!(
        view["notes"]
            .as_array()
            .is_some_and(|n| n.contains(&json!({"part": "engagement.churn",
                "note": "no churn run has scored the customer yet"}))),
        "{view}"
    );

    let when = recent_ish();
    events(
        &app,
        json!([
            {"id": "v360-1", "type": "salary_stopped", "customerId": c, "occurredAt": when},
            {"id": "v360-2", "type": "large_deposit", "customerId": c, "occurredAt": RECENT,
             "amount": {"amount": 1_000, "currency": "CNY"}},
        ]),
    );
    let score = ok(&rm.get(&format!("/v1/engagement/churn/{c}")), 200);
    let as_of = score["asOf"].as_str().expect("asOf").to_owned();
    ok(
        &app.post_json(
            "/v1/engagement/churn/runs",
            &json!({"asOf": as_of}),
            &[("idempotency-key", "e2e-360-run")],
        ),
        200,
    );
    let task = ok(
        &rm.post_json(
            "/v1/engagement/tasks",
            &json!({"customerId": c, "type": "contact", "title": "Ask about the salary",
                    "dueAt": from_now(30 * 86_400)}),
            &[("idempotency-key", "e2e-360-task")],
        ),
        201,
    );

    let view = ok(&rm.get(&format!("/v1/customers/{c}/360")), 200);
    let part = &view["engagement"];
    assert_eq!(
        part["churn"],
        json!({"score": score["score"], "band": score["band"], "asOf": as_of}),
        "{view}"
    );
    // Salary stopped alone scores 25, low: the run recorded it and created no task.
    assert_eq!(part["churn"]["band"], "low");
    // Salary stopped raised an alert; the small deposit is below the rule's amount.
    let alerts = part["openAlerts"].as_array().expect("alerts");
    assert_eq!(alerts.len(), 1, "{view}");
    assert_eq!(alerts[0]["rule"], "salary_stopped");
    assert_eq!(alerts[0]["suggestedAction"], "retention_call");
    assert_eq!(alerts[0]["status"], "open");
    // Newest first, the deposit with its amount.
    let recent = part["recentEvents"].as_array().expect("events");
    assert_eq!(recent.len(), 2, "{view}");
    assert_eq!(recent[0]["id"], "v360-1");
    assert_eq!(recent[0].get("amount"), None);
    assert_eq!(recent[1]["type"], "large_deposit");
    assert_eq!(
        recent[1]["amount"],
        json!({"amount": 1_000, "currency": "CNY"})
    );
    let tasks = part["pendingTasks"].as_array().expect("tasks");
    assert_eq!(tasks.len(), 1, "{view}");
    assert_eq!(tasks[0]["id"], task["id"]);
    assert_eq!(tasks[0]["type"], "contact");
    assert_eq!(tasks[0]["assignee"], "rm-e2e-360");
    assert_eq!(tasks[0]["status"], "open");
    assert_eq!(tasks[0]["overdue"], false);

    // A teller sees the customer's tasks, but neither alerts, events nor churn scores,
    // which the engagement service does not show a teller either; the notes say so.
    let teller = app.as_user("teller-e2e-360", &["teller"]);
    let view = ok(&teller.get(&format!("/v1/customers/{c}/360")), 200);
    assert_eq!(
        view["engagement"]
            .as_object()
            .map(|o| o.keys().cloned().collect::<Vec<_>>()),
        Some(vec!["pendingTasks".to_owned()]),
        "{view}"
    );
    let hidden: Vec<&Value> = view["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .filter(|n| n["note"] == "not shown: the caller's roles may not read it")
        .map(|n| &n["part"])
        .collect();
    assert_eq!(
        hidden,
        [
            "engagement.churn",
            "engagement.openAlerts",
            "engagement.recentEvents"
        ]
    );
    teller
        .get(&format!(
            "/v1/engagement/alerts/{}",
            alerts[0]["id"].as_str().expect("id")
        ))
        .assert_problem(403, "forbidden");
}

/// The records of customer `c` with `action`, oldest first, as (actor, detail, request id).
fn records_of(app: &TestApp, c: &str, action: &str) -> Vec<(String, String, String)> {
    let r = ok(
        &app.as_user("aud-1", &["auditor"])
            .get(&format!("/v1/customers/{c}/audit?limit=200")),
        200,
    );
    let mut items: Vec<(String, String, String)> = r["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["action"] == action)
        .map(|i| {
            let text = |k: &str| i[k].as_str().unwrap_or_default().to_owned();
            (text("actor"), text("detail"), text("requestId"))
        })
        .collect();
    items.reverse();
    items
}

#[test]
fn a_batch_and_a_handover_leave_a_record_in_each_customers_own_trail() {
    let app = TestApp::spawn();
    let a = create_customer_of(&app, 6, "rm-e2e-old-book");
    let b = create_customer_of(&app, 7, "rm-e2e-other");
    let feed = app.as_user("core-banking-feed", &["core_banking"]);
    let sent = feed.post_json(
        "/v1/engagement/events",
        &json!({"events": [
            {"id": "rec-1", "type": "salary_stopped", "customerId": a, "occurredAt": RECENT},
            {"id": "rec-2", "type": "card_expiring", "customerId": a, "occurredAt": RECENT},
            {"id": "rec-3", "type": "product_opened", "customerId": b, "occurredAt": RECENT},
            {"id": "rec-4", "type": "salary_stopped", "customerId": "cus_00000000000000000000000000",
             "occurredAt": RECENT},
        ]}),
        &[],
    );
    let batch = ok(&sent, 200);
    assert_eq!(
        (batch["accepted"].clone(), batch["refused"].clone()),
        (json!(3), json!(1))
    );
    let request = sent.header("x-request-id").expect("request id").to_owned();
    assert_eq!(
        records_of(&app, &a, "engagement.event.ingest"),
        [(
            "core-banking-feed".to_owned(),
            "events=2 alerts=2".to_owned(),
            request.clone()
        )]
    );
    assert_eq!(
        records_of(&app, &b, "engagement.event.ingest"),
        [(
            "core-banking-feed".to_owned(),
            "events=1 alerts=1".to_owned(),
            request
        )]
    );
    // The feed's token does its one job and reads nothing.
    feed.get(&format!("/v1/customers/{a}"))
        .assert_problem(403, "forbidden");

    let moved = app.post_json(
        "/v1/engagement/tasks/handover",
        &json!({"from": "rm-e2e-old-book", "to": "rm-e2e-new-book"}),
        &[("idempotency-key", "rec-handover")],
    );
    assert_eq!(ok(&moved, 200)["customersMoved"], 1);
    // The write sealed its records with it: nothing is left out of the chain.
    let report = ok(
        &app.as_user("aud-1", &["auditor"])
            .get("/v1/customers/audit/verify"),
        200,
    );
    assert_eq!(
        (report["ok"].clone(), report["unsealed"].clone()),
        (json!(true), json!(0)),
        "{report}"
    );
    let handover = records_of(&app, &a, "engagement.task.handover");
    assert_eq!(handover.len(), 1, "{handover:?}");
    assert_eq!(handover[0].1, "from=rm-e2e-old-book to=rm-e2e-new-book");
    assert_eq!(Some(handover[0].2.as_str()), moved.header("x-request-id"));
    assert!(records_of(&app, &b, "engagement.task.handover").is_empty());
}

#[test]
fn a_task_links_only_to_a_complaint_or_loan_application_of_its_own_customer() {
    let app = TestApp::spawn();
    let mine = create_customer_of(&app, 8, "rm-e2e-links");
    let other = create_customer_of(&app, 9, "rm-e2e-links");
    let complaint = ok(
        &app.post_json(
            "/v1/interactions",
            &json!({"customerId": mine, "channel": "phone", "direction": "inbound",
                    "type": "complaint", "subject": "Card blocked", "agentId": "cc-1",
                    "complaint": {"severity": "high", "category": "cards_and_payments"}}),
            &[("idempotency-key", "links-complaint")],
        ),
        201,
    )["complaintId"]
        .as_str()
        .expect("complaint id")
        .to_owned();
    let application = ok(
        &app.post_json(
            "/v1/loans/applications",
            &json!({"customerId": mine, "product": "personal",
                    "amount": {"amount": 10_000_000, "currency": "CNY"}, "termMonths": 36,
                    "purpose": "home renovation",
                    "monthlyIncome": {"amount": 3_000_000, "currency": "CNY"},
                    "monthlyDebtPayments": {"amount": 200_000, "currency": "CNY"},
                    "creditScore": 720, "employmentStatus": "employed", "employmentMonths": 48}),
            &[("idempotency-key", "links-loan")],
        ),
        201,
    )["id"]
        .as_str()
        .expect("application id")
        .to_owned();

    let task = |n: usize, customer: &str, kind: &str, id: &str| {
        app.post_json(
            "/v1/engagement/tasks",
            &json!({"customerId": customer, "type": "follow_up", "title": "Follow up",
                    "dueAt": from_now(86_400), "link": {"kind": kind, "id": id}}),
            &[("idempotency-key", format!("links-task-{n}").as_str())],
        )
    };
    let linked = ok(&task(1, &mine, "complaint", &complaint), 201);
    assert_eq!(
        linked["link"],
        json!({"kind": "complaint", "id": complaint})
    );
    ok(&task(2, &mine, "loan_application", &application), 201);

    let refused = |r: TestResponse| -> String {
        let problem = ok(&r, 422);
        assert_eq!(problem["errors"][0]["field"], "link.id", "{problem}");
        problem["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(
        refused(task(3, &other, "complaint", &complaint)),
        "names a complaint case of another customer"
    );
    assert_eq!(
        refused(task(4, &other, "loan_application", &application)),
        "names a loan application of another customer"
    );
    assert_eq!(
        refused(task(
            5,
            &mine,
            "complaint",
            "cmp_01KAT0000000000000000000AB"
        )),
        "names no complaint case"
    );
    assert_eq!(
        refused(task(
            6,
            &mine,
            "loan_application",
            "lpa_01KAT0000000000000000000AB"
        )),
        "names no loan application"
    );
}
