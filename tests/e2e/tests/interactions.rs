//! The interactions service through the host, with customers created through the
//! customer-profile service: contacts on three channels read back as a paged timeline,
//! a complaint walked to closed (a stale `If-Match` refused on the way), overdue
//! cases, surveys and their summary, and one key posted twenty times at once.

use crm_e2e::{TestApp, TestResponse};
use serde_json::{Value, json};
use std::sync::Barrier;
use std::time::{SystemTime, UNIX_EPOCH};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// `ms` as RFC 3339 in UTC, whole seconds (the service keeps milliseconds).
fn at(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil-from-days.
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

/// A customer created through the customer-profile service.
fn customer(app: &TestApp, n: usize) -> String {
    let body = json!({
        "fullName": format!("Wang Fang {n:03}"),
        "dateOfBirth": "1979-09-21",
        "nationalId": format!("4403011979092{n:05}"),
        "nationalIdCountry": "CN",
        "segment": "retail",
        "riskTolerance": "balanced",
        "monthlyIncome": {"amount": 1_500_000, "currency": "CNY"},
        "totalAssets": {"amount": 30_000_000, "currency": "CNY"},
        "employmentStatus": "employed"
    });
    let response = app.post_json(
        "/v1/customers",
        &body,
        &[("idempotency-key", &format!("customer-{n}"))],
    );
    assert_eq!(response.status, 201, "{}", response.text());
    response.json()["id"].as_str().expect("id").to_owned()
}

fn contact(customer: &str, channel: &str, occurred_at: i64) -> Value {
    json!({
        "customerId": customer,
        "channel": channel,
        "direction": "inbound",
        "type": "service_request",
        "subject": format!("Address change via {channel}"),
        "notes": "Customer moved; proof of address seen.",
        "outcome": "done",
        "sentiment": "positive",
        "agentId": "agent-3",
        "occurredAt": at(occurred_at),
    })
}

fn log(app: &TestApp, body: &Value, key: &str) -> TestResponse {
    app.post_json("/v1/interactions", body, &[("idempotency-key", key)])
}

fn logged(app: &TestApp, body: &Value, key: &str) -> Value {
    let response = log(app, body, key);
    assert_eq!(response.status, 201, "{}", response.text());
    response.json()
}

fn get_ok(app: &TestApp, path: &str) -> Value {
    let response = app.get(path);
    assert_eq!(response.status, 200, "{path}: {}", response.text());
    response.json()
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_str().expect("id").to_owned())
        .collect()
}

/// Every item of a cursor-paged list, following `nextCursor` from `first`.
fn walk(app: &TestApp, first: &str) -> (Vec<String>, usize) {
    let (mut seen, mut pages) = (Vec::new(), 0);
    let mut path = first.to_owned();
    loop {
        let page = get_ok(app, &path);
        seen.extend(ids(&page));
        pages += 1;
        match page["nextCursor"].as_str() {
            Some(cursor) => path = format!("{first}&cursor={cursor}"),
            None => return (seen, pages),
        }
    }
}

#[test]
fn contacts_on_three_channels_read_back_as_a_paged_timeline() {
    let app = TestApp::spawn();
    let customer = customer(&app, 1);
    let base = now_ms() - 20 * DAY;
    let mut logged_ids = Vec::new();
    for (n, channel) in [
        "phone", "email", "branch", "phone", "email", "branch", "phone",
    ]
    .iter()
    .enumerate()
    {
        let body = contact(&customer, channel, base + n as i64 * HOUR);
        logged_ids.push(logged(&app, &body, &format!("contact-{n}"))["id"].clone());
    }
    let newest_first: Vec<String> = logged_ids
        .iter()
        .rev()
        .map(|v| v.as_str().expect("id").to_owned())
        .collect();

    let (seen, pages) = walk(
        &app,
        &format!("/v1/interactions?customerId={customer}&limit=3"),
    );

    assert_eq!(pages, 3);
    assert_eq!(seen, newest_first, "newest first, no gaps, no repeats");
    let emails = get_ok(
        &app,
        &format!("/v1/interactions?customerId={customer}&channel=email"),
    );
    assert_eq!(
        ids(&emails),
        [newest_first[2].clone(), newest_first[5].clone()]
    );
    let one = get_ok(&app, &format!("/v1/interactions/{}", newest_first[0]));
    assert_eq!(one["channel"], "phone");
    assert_eq!(one["occurredAt"], at(base + 6 * HOUR));
    app.get("/v1/interactions?customerId=cus_01KAT0000000000000000000AB")
        .assert_problem(404, "not_found");
    app.get(&format!("/v1/interactions?customerId={customer}&limit=0"))
        .assert_problem(422, "validation_failed");
    let logs = app.component_stdout("interactions");
    assert!(logs.contains(&newest_first[0]), "the log names ids");
    assert!(
        !logs.contains("Address change") && !logs.contains("proof of address"),
        "no subject or notes in log lines"
    );
}

fn transition(app: &TestApp, case: &str, etag: &str, body: &Value) -> TestResponse {
    app.request(
        "POST",
        &format!("/v1/interactions/complaints/{case}/transitions"),
        Some(body.to_string().as_bytes()),
        &[("content-type", "application/json"), ("if-match", etag)],
    )
}

fn step(app: &TestApp, case: &str, etag: &str, body: Value) -> (Value, String) {
    let response = transition(app, case, etag, &body);
    assert_eq!(response.status, 200, "{body}: {}", response.text());
    let etag = response.header("etag").expect("etag").to_owned();
    (response.json(), etag)
}

#[test]
fn a_complaint_walks_to_closed_and_overdue_cases_are_listed_on_the_way() {
    let app = TestApp::spawn();
    let customer = customer(&app, 2);
    let received = now_ms() - 2 * DAY;
    let mut body = contact(&customer, "branch", received);
    body["type"] = json!("complaint");
    body["sentiment"] = json!("negative");
    body["complaint"] = json!({"severity": "critical", "category": "cards_and_payments"});
    let interaction = logged(&app, &body, "complaint-1");
    let case_id = interaction["complaintId"]
        .as_str()
        .expect("case")
        .to_owned();
    let mut fresh = contact(&customer, "phone", now_ms() - HOUR);
    fresh["type"] = json!("complaint");
    fresh["complaint"] = json!({"severity": "low", "category": "service_quality"});
    let fresh_case = logged(&app, &fresh, "complaint-2")["complaintId"].clone();

    let opened = app.get(&format!("/v1/interactions/complaints/{case_id}"));
    assert_eq!(opened.status, 200, "{}", opened.text());
    let etag1 = opened.header("etag").expect("etag").to_owned();
    assert_eq!(opened.json()["dueAt"], at(received + 24 * HOUR));
    let overdue = get_ok(&app, "/v1/interactions/complaints?overdue=true");
    assert_eq!(ids(&overdue), std::slice::from_ref(&case_id));
    assert_eq!(overdue["items"][0]["overdue"], true);
    let not_overdue = get_ok(&app, "/v1/interactions/complaints?overdue=false");
    assert_eq!(ids(&not_overdue), [fresh_case.as_str().expect("id")]);

    transition(
        &app,
        &case_id,
        &etag1,
        &json!({"to": "resolved", "note": "n", "resolution": "r"}),
    )
    .assert_problem(409, "transition_not_allowed");
    let (_, etag2) = step(
        &app,
        &case_id,
        &etag1,
        json!({"to": "assigned", "assignee": "agent-9", "note": "card team"}),
    );
    transition(
        &app,
        &case_id,
        &etag1,
        &json!({"to": "in_progress", "note": "start"}),
    )
    .assert_problem(412, "precondition_failed");
    let (_, etag3) = step(
        &app,
        &case_id,
        &etag2,
        json!({"to": "in_progress", "note": "calling the customer"}),
    );
    let (resolved, etag4) = step(
        &app,
        &case_id,
        &etag3,
        json!({"to": "resolved", "note": "refund booked",
               "resolution": "Duplicate charge refunded"}),
    );
    assert_eq!(
        resolved["slaMet"], false,
        "resolved after the 24 h deadline"
    );
    let (closed, _) = step(
        &app,
        &case_id,
        &etag4,
        json!({"to": "closed", "note": "customer confirmed"}),
    );

    assert_eq!(closed["status"], "closed");
    let history: Vec<&str> = closed["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| h["to"].as_str().expect("to"))
        .collect();
    assert_eq!(
        history,
        ["open", "assigned", "in_progress", "resolved", "closed"]
    );
    // Who moved it is the token's subject (the suite's default caller), not a body field.
    assert_eq!(closed["history"][4]["actor"], "dev-admin");
    assert_eq!(closed["history"][4]["note"], "customer confirmed");
    let overdue = get_ok(&app, "/v1/interactions/complaints?overdue=true");
    assert_eq!(ids(&overdue), Vec::<String>::new());
    let closed_list = get_ok(&app, "/v1/interactions/complaints?status=closed");
    assert_eq!(ids(&closed_list), [case_id]);

    // The figures of these two cases: one customer, two cases; the critical one resolved
    // two days after it was opened, past its 24 h deadline; the fresh one still open.
    let manager = app.as_user("risk-1", &["risk_officer"]);
    let f = manager.get("/v1/interactions/complaints/figures");
    assert_eq!(f.status, 200, "{}", f.text());
    let f = f.json();
    assert_eq!(f["opened"], 2, "{f}");
    assert_eq!(
        f["byCategory"],
        json!([{"category": "cards_and_payments", "severity": "critical", "cases": 1},
               {"category": "service_quality", "severity": "low", "cases": 1}])
    );
    assert_eq!(
        f["sla"],
        json!({"resolved": 1, "met": 0, "rate": "0.0000", "unresolved": 1, "overdue": 0})
    );
    let p50 = f["timeToResolveSeconds"]["p50"].as_i64().expect("p50");
    assert!(
        (2 * DAY / 1000 - 60..=2 * DAY / 1000 + 600).contains(&p50),
        "{f}"
    );
    assert_eq!(f["timeToResolveSeconds"]["p90"], p50);
    assert_eq!(f["repeat"], json!({"customers": 1, "cases": 2}));
    app.as_user("teller-1", &["teller"])
        .get("/v1/interactions/complaints/figures")
        .assert_problem(403, "forbidden");
}

#[test]
fn surveys_are_summarised_as_nps_and_csat() {
    let app = TestApp::spawn();
    let customer = customer(&app, 3);
    let call = logged(&app, &contact(&customer, "phone", now_ms() - HOUR), "call");
    let answers = [
        json!({"kind": "nps", "score": 10, "interactionId": call["id"]}),
        json!({"kind": "nps", "score": 9}),
        json!({"kind": "nps", "score": 7}),
        json!({"kind": "nps", "score": 3}),
        json!({"kind": "csat", "score": 5, "interactionId": call["id"]}),
        json!({"kind": "csat", "score": 2}),
    ];
    for (n, answer) in answers.iter().enumerate() {
        let mut body = answer.clone();
        // One unlinked answer per customer, kind and month: each comes from its own.
        body["customerId"] = if answer.get("interactionId").is_some() {
            json!(customer)
        } else {
            json!(self::customer(&app, 10 + n))
        };
        let response = app.post_json(
            "/v1/interactions/surveys",
            &body,
            &[("idempotency-key", &format!("survey-{n}"))],
        );
        assert_eq!(response.status, 201, "{}", response.text());
    }
    app.post_json(
        "/v1/interactions/surveys",
        &json!({"customerId": customer, "kind": "csat", "score": 6}),
        &[("idempotency-key", "survey-bad")],
    )
    .assert_problem(422, "validation_failed");

    let all = get_ok(&app, "/v1/interactions/surveys/summary");
    let phone = get_ok(&app, "/v1/interactions/surveys/summary?channel=phone");
    let empty = get_ok(
        &app,
        "/v1/interactions/surveys/summary?from=2001-01-01T00:00:00Z&to=2001-01-02T00:00:00Z",
    );

    // 2 promoters, 1 passive, 1 detractor of 4: 50% − 25% = 25.
    assert_eq!(all["nps"]["score"], 25.0);
    assert_eq!(all["nps"]["responses"], 4);
    assert_eq!(all["csat"]["average"], 3.5);
    assert_eq!(all["csat"]["satisfiedPercent"], 50.0);
    assert_eq!(phone["nps"]["score"], 100.0);
    assert_eq!(phone["csat"]["responses"], 1);
    assert_eq!(empty["nps"]["score"], Value::Null);
    assert_eq!(empty["csat"]["average"], Value::Null);
    assert_eq!(empty["nps"]["responses"], 0);
}

#[test]
fn twenty_concurrent_posts_with_one_idempotency_key_create_exactly_one_interaction() {
    let app = TestApp::spawn();
    let customer = customer(&app, 4);
    let body = contact(&customer, "chat", now_ms() - HOUR);
    let barrier = Barrier::new(20);

    let responses: Vec<TestResponse> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..20)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    log(&app, &body, "the-one-key")
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("no panic"))
            .collect()
    });

    let mut created = Vec::new();
    for r in &responses {
        match r.status {
            201 => created.push(r.json()["id"].clone()),
            409 => assert_eq!(r.json()["code"], "request_in_progress"),
            503 => assert_eq!(r.json()["code"], "service_unavailable"),
            other => panic!("unexpected {other}: {}", r.text()),
        }
    }
    assert!(!created.is_empty(), "someone created it");
    assert!(created.windows(2).all(|w| w[0] == w[1]), "{created:?}");
    let timeline = get_ok(&app, &format!("/v1/interactions?customerId={customer}"));
    assert_eq!(ids(&timeline).len(), 1, "exactly one interaction stored");
    let replay = log(&app, &body, "the-one-key");
    assert_eq!(replay.status, 201);
    assert_eq!(replay.json()["id"], created[0]);
}

#[test]
fn bad_inputs_answer_problems_and_store_nothing() {
    let app = TestApp::spawn();
    let customer = customer(&app, 5);
    let mut invalid = contact(&customer, "fax", now_ms() + DAY);
    invalid["subject"] = json!("");
    let problem = log(&app, &invalid, "bad-1").assert_problem(422, "validation_failed");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field"))
        .collect();
    assert_eq!(fields, ["channel", "subject", "occurredAt"]);
    let mut unknown = contact(&customer, "web", now_ms());
    unknown["mood"] = json!("ok");
    log(&app, &unknown, "bad-2").assert_problem(400, "unknown_field");
    app.post_json(
        "/v1/interactions",
        &contact(&customer, "web", now_ms()),
        &[],
    )
    .assert_problem(400, "missing_idempotency_key");
    log(
        &app,
        &contact("cus_01KAT0000000000000000000AB", "web", now_ms()),
        "bad-3",
    )
    .assert_problem(404, "not_found");
    app.request(
        "DELETE",
        "/v1/interactions/int_01KAT0000000000000000000AB",
        None,
        &[],
    )
    .assert_problem(405, "method_not_allowed");

    let timeline = get_ok(&app, &format!("/v1/interactions?customerId={customer}"));
    assert_eq!(ids(&timeline).len(), 0);
}
