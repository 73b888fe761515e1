//! The loyalty endpoints through `crm_http::serve` over rusqlite with the real
//! migrations: status codes, problem bodies, idempotency, paging, versioned rules, and
//! that refused input writes nothing.

mod common;

use crm_http::Response;
use crm_http::testing::{TestService, json};
use loyalty::SERVICE;
use serde_json::{Value, json};

fn app(name: &str) -> TestService<'static> {
    TestService::new(&SERVICE, name)
}

fn customer(app: &TestService<'_>, status: &str) -> String {
    let stores = crm_store::native::stores_in(app.dir());
    let db = stores.database().expect("the test database");
    let id = crm_domain::id::CustomerId::new(crm_http::new_ulid(
        crm_domain::time::Timestamp::from_unix_millis(7),
    ))
    .to_string();
    common::insert_customer(db, &id, status);
    id
}

fn post(app: &TestService<'_>, path: &str, key: &str, body: Value) -> Response {
    app.post_json(path, &body, &[("idempotency-key", key)])
}

fn earn(app: &TestService<'_>, c: &str, key: &str, body: Value) -> Response {
    post(app, &format!("/v1/loyalty/accounts/{c}/earn"), key, body)
}

fn redeem(app: &TestService<'_>, c: &str, key: &str, points: Value) -> Response {
    post(
        app,
        &format!("/v1/loyalty/accounts/{c}/redeem"),
        key,
        json!({"points": points, "rewardCode": "CINEMA-2", "reference": key}),
    )
}

fn bonus(app: &TestService<'_>, c: &str, key: &str, points: i64) -> Value {
    let r = earn(
        app,
        c,
        key,
        json!({"eventType": "campaign", "points": points, "reference": key}),
    );
    assert_eq!(r.status(), 201, "{}", json(&r));
    json(&r)
}

fn account(app: &TestService<'_>, c: &str) -> Value {
    let r = app.get(&format!("/v1/loyalty/accounts/{c}"));
    assert_eq!(r.status(), 200, "{}", json(&r));
    json(&r)
}

fn entries(app: &TestService<'_>) -> String {
    app.sql_column("SELECT count(*) FROM loyalty_entries")
        .join(",")
}

#[test]
fn an_earn_answers_201_with_the_entry_its_computed_points_and_its_location() {
    let app = app("loy-api-earn");
    let c = customer(&app, "active");

    let r = earn(
        &app,
        &c,
        "k1",
        json!({"eventType": "card_spend", "amount": {"amount": 123_456, "currency": "CNY"},
               "reference": "txn-0001"}),
    );

    assert_eq!(r.status(), 201, "{}", json(&r));
    let body = json(&r);
    assert_eq!(
        body["actor"], "dev-admin",
        "who earned it is the token's subject"
    );
    let id = body["id"].as_str().expect("id");
    assert!(id.starts_with("lpt_"));
    assert_eq!(r.headers()["location"], format!("/v1/loyalty/entries/{id}"));
    assert_eq!(body["kind"], "earn");
    assert_eq!(body["points"], 123);
    assert_eq!(body["basePoints"], 123);
    assert_eq!(body["multiplierBp"], 10_000);
    assert_eq!(body["ruleVersion"], 1);
    assert_eq!(body["reference"], "txn-0001");
    assert_eq!(body["balanceAfter"], 123);
    assert!(body["expiresAt"].is_string());
    let read = app.get(&format!("/v1/loyalty/entries/{id}"));
    assert_eq!(json(&read), body);
    let acc = account(&app, &c);
    assert_eq!(
        (acc["balance"].clone(), acc["tier"].clone()),
        (json!(123), json!("silver"))
    );
    assert_eq!(acc["lifetimeEarned"], 123);
    assert_eq!(
        acc["nextTier"],
        json!({"name": "gold", "pointsNeeded": 4_877})
    );
}

#[test]
fn replaying_an_earn_with_the_same_key_books_it_once() {
    let app = app("loy-api-replay");
    let c = customer(&app, "active");
    let body = json!({"eventType": "salary_deposit", "reference": "payroll-2026-11"});
    let first = earn(&app, &c, "same", body.clone());
    let again = earn(&app, &c, "same", body);
    assert_eq!(first.status(), 201);
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(json(&again), json(&first));
    assert_eq!(entries(&app), "1");
    assert_eq!(account(&app, &c)["balance"], 200);
}

#[test]
fn the_same_reference_under_a_new_key_is_409_naming_the_first_entry() {
    let app = app("loy-api-reference");
    let c = customer(&app, "active");
    let body = json!({"eventType": "referral", "reference": "ref-cus-42"});
    let first = json(&earn(&app, &c, "k1", body.clone()));
    let second = earn(&app, &c, "k2", body);
    assert_eq!(second.status(), 409);
    let problem = json(&second);
    assert_eq!(problem["code"], "duplicate_reference");
    assert_eq!(problem["existingEntryId"], first["id"]);
    assert_eq!(entries(&app), "1");
}

#[test]
fn an_over_redemption_is_409_with_the_available_balance_and_writes_nothing() {
    let app = app("loy-api-over");
    let c = customer(&app, "active");
    bonus(&app, &c, "b1", 80);
    let r = redeem(&app, &c, "r1", json!(100));
    assert_eq!(r.status(), 409);
    let problem = json(&r);
    assert_eq!(problem["code"], "insufficient_points");
    assert_eq!(problem["available"], 80);
    assert_eq!(problem["requested"], 100);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    assert_eq!(entries(&app), "1");
}

#[test]
fn a_redemption_and_its_reversal_bring_the_balance_back() {
    let app = app("loy-api-redeem-reverse");
    let c = customer(&app, "active");
    let earned = bonus(&app, &c, "b1", 500);
    let r = redeem(&app, &c, "r1", json!(300));
    assert_eq!(r.status(), 201, "{}", json(&r));
    let redemption = json(&r);
    assert_eq!(redemption["points"], -300);
    assert_eq!(redemption["rewardCode"], "CINEMA-2");
    assert_eq!(
        redemption["allocations"],
        json!([{"earnId": earned["id"], "points": -300}])
    );
    assert_eq!(account(&app, &c)["balance"], 200);

    let path = format!(
        "/v1/loyalty/entries/{}/reverse",
        redemption["id"].as_str().expect("id")
    );
    let reversal = post(
        &app,
        &path,
        "rev1",
        json!({"reason": "reward out of stock"}),
    );
    assert_eq!(reversal.status(), 201, "{}", json(&reversal));
    assert_eq!(json(&reversal)["points"], 300);
    assert_eq!(json(&reversal)["reversesId"], redemption["id"]);
    assert_eq!(account(&app, &c)["balance"], 500);

    let twice = post(&app, &path, "rev2", json!({"reason": "again"}));
    assert_eq!(twice.status(), 409);
    assert_eq!(json(&twice)["code"], "already_reversed");
    assert_eq!(json(&twice)["reversalId"], json(&reversal)["id"]);
}

#[test]
fn reversing_a_spent_earn_beyond_the_balance_is_409_insufficient_points() {
    let app = app("loy-api-reverse-spent");
    let c = customer(&app, "active");
    let earned = bonus(&app, &c, "b1", 500);
    assert_eq!(redeem(&app, &c, "r1", json!(400)).status(), 201);
    let path = format!(
        "/v1/loyalty/entries/{}/reverse",
        earned["id"].as_str().expect("id")
    );
    let r = post(&app, &path, "rev", json!({"reason": "fraudulent referral"}));
    assert_eq!(r.status(), 409);
    assert_eq!(json(&r)["code"], "insufficient_points");
    assert_eq!(json(&r)["available"], 100);
    assert_eq!(account(&app, &c)["balance"], 100);
}

#[test]
fn points_that_are_not_an_integer_from_one_to_ten_million_are_422_and_write_nothing() {
    let app = app("loy-api-points");
    let c = customer(&app, "active");
    bonus(&app, &c, "b1", 100);
    for (i, bad) in [
        json!(0),
        json!(-5),
        json!(10_000_001),
        json!(1.5),
        json!("10"),
    ]
    .into_iter()
    .enumerate()
    {
        let r = redeem(&app, &c, &format!("bad{i}"), bad.clone());
        assert_eq!(r.status(), 422, "{bad}");
        assert_eq!(json(&r)["errors"][0]["field"], "points", "{bad}");
    }
    for bad in [json!(0), json!(50_001), json!(2.5)] {
        let r = earn(
            &app,
            &c,
            "k",
            json!({"eventType": "campaign", "points": bad, "reference": "c1"}),
        );
        assert_eq!(r.status(), 422, "{bad}");
    }
    assert_eq!(entries(&app), "1");
}

#[test]
fn an_invalid_earn_lists_every_problem_in_one_422() {
    let app = app("loy-api-earn-invalid");
    let c = customer(&app, "active");
    let r = earn(
        &app,
        &c,
        "k1",
        json!({"eventType": "card_spend", "points": 5, "reference": "has spaces"}),
    );
    assert_eq!(r.status(), 422);
    let fields: Vec<String> = json(&r)["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(fields, ["reference", "points", "amount"]);
    // Who acted is the token's subject: a body that names someone is refused.
    let r = earn(
        &app,
        &c,
        "k3",
        json!({"eventType": "card_spend", "points": 5, "reference": "t", "actor": "someone"}),
    );
    assert_eq!(r.status(), 400);
    assert_eq!(json(&r)["code"], "unknown_field");
    let r = earn(&app, &c, "k2", json!({"reference": "x"}));
    assert_eq!(json(&r)["errors"][0]["field"], "eventType");
    let r = earn(
        &app,
        &c,
        "k3",
        json!({"eventType": "card_spend", "amount": {"amount": 1000, "currency": "USD"},
               "reference": "x"}),
    );
    assert_eq!(r.status(), 422);
    assert_eq!(json(&r)["errors"][0]["field"], "amount.currency");
    assert_eq!(entries(&app), "0");
}

#[test]
fn malformed_requests_are_400_and_unknown_customers_404() {
    let app = app("loy-api-malformed");
    let c = customer(&app, "active");
    let unknown = earn(
        &app,
        &c,
        "k1",
        json!({"eventType": "referral", "reference": "r", "bonus": 5}),
    );
    assert_eq!(unknown.status(), 400);
    assert_eq!(json(&unknown)["code"], "unknown_field");
    let no_key = app.post_json(
        &format!("/v1/loyalty/accounts/{c}/earn"),
        &json!({"eventType": "referral", "reference": "r"}),
        &[],
    );
    assert_eq!(no_key.status(), 400);
    assert_eq!(json(&no_key)["code"], "missing_idempotency_key");

    let erased = customer(&app, "erased");
    for who in [
        erased.as_str(),
        "cus_01KAT000000000000000000000",
        "not-an-id",
    ] {
        let r = earn(
            &app,
            who,
            "k2",
            json!({"eventType": "referral", "reference": "r"}),
        );
        assert_eq!(r.status(), 404, "{who}");
        assert_eq!(
            app.get(&format!("/v1/loyalty/accounts/{who}")).status(),
            404
        );
    }
    assert_eq!(
        app.get("/v1/loyalty/entries/lpt_01KAT000000000000000000000")
            .status(),
        404
    );
    assert_eq!(entries(&app), "0");
}

#[test]
fn a_closed_customer_can_no_longer_earn_or_redeem_but_can_be_read() {
    let app = app("loy-api-closed");
    let c = customer(&app, "closed");
    let r = earn(
        &app,
        &c,
        "k1",
        json!({"eventType": "referral", "reference": "r"}),
    );
    assert_eq!(r.status(), 409);
    assert_eq!(json(&r)["code"], "customer_closed");
    assert_eq!(account(&app, &c)["balance"], 0);
}

#[test]
fn an_adjustment_needs_a_reason_and_moves_points_either_way() {
    let app = app("loy-api-adjust");
    let c = customer(&app, "active");
    let path = format!("/v1/loyalty/accounts/{c}/adjust");
    let missing = post(
        &app,
        &path,
        "a0",
        json!({"points": 50, "reference": "case-1"}),
    );
    assert_eq!(missing.status(), 422);
    assert_eq!(json(&missing)["errors"][0]["field"], "reason");
    let up = post(
        &app,
        &path,
        "a1",
        json!({"points": 50, "reason": "goodwill for a branch outage", "reference": "case-1"}),
    );
    assert_eq!(up.status(), 201, "{}", json(&up));
    assert_eq!(json(&up)["kind"], "adjust");
    let down = post(
        &app,
        &path,
        "a2",
        json!({"points": -20, "reason": "duplicate goodwill", "reference": "case-2"}),
    );
    assert_eq!(down.status(), 201, "{}", json(&down));
    let acc = account(&app, &c);
    assert_eq!(acc["balance"], 30);
    assert_eq!(acc["lifetimeEarned"], 0, "adjustments are not earnings");
    let too_much = post(
        &app,
        &path,
        "a3",
        json!({"points": -31, "reason": "x", "reference": "case-3"}),
    );
    assert_eq!(too_much.status(), 409);
}

#[test]
fn the_ledger_pages_newest_first_and_filters_by_kind() {
    let app = app("loy-api-ledger");
    let c = customer(&app, "active");
    for i in 0..5 {
        bonus(&app, &c, &format!("b{i}"), 10);
    }
    for i in 0..2 {
        assert_eq!(redeem(&app, &c, &format!("r{i}"), json!(5)).status(), 201);
    }
    let path = format!("/v1/loyalty/accounts/{c}/ledger");
    let first = json(&app.get(&format!("{path}?limit=3")));
    let kinds: Vec<&str> = first["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(kinds, ["redeem", "redeem", "earn"]);
    let mut seen = 3;
    let mut cursor = first["nextCursor"].as_str().expect("more").to_owned();
    loop {
        let page = json(&app.get(&format!("{path}?limit=3&cursor={cursor}")));
        seen += page["items"].as_array().expect("items").len();
        match page["nextCursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, 7);
    let redeems = json(&app.get(&format!("{path}?kind=redeem")));
    assert_eq!(redeems["items"].as_array().expect("items").len(), 2);
    assert_eq!(redeems["nextCursor"], Value::Null);

    assert_eq!(app.get(&format!("{path}?kind=refund")).status(), 422);
    assert_eq!(app.get(&format!("{path}?cursor=zz")).status(), 422);
    assert_eq!(app.get(&format!("{path}?limit=500")).status(), 422);
    assert_eq!(app.get(&format!("{path}?limt=5")).status(), 400);
}

fn put_rules(app: &TestService<'_>, body: &Value, if_match: Option<&str>) -> Response {
    let mut headers = vec![("content-type", "application/json")];
    if let Some(tag) = if_match {
        headers.push(("if-match", tag));
    }
    app.request(
        "PUT",
        "/v1/loyalty/rules",
        Some(&body.to_string()),
        &headers,
    )
}

fn rules_body(app: &TestService<'_>) -> Value {
    let mut body = json(&app.get("/v1/loyalty/rules"));
    if let Value::Object(map) = &mut body {
        for read_only in ["version", "createdAt", "actor"] {
            map.remove(read_only);
        }
    }
    body
}

#[test]
fn rules_are_versioned_with_if_match_and_each_entry_records_its_version() {
    let app = app("loy-api-rules");
    let c = customer(&app, "active");
    let current = app.get("/v1/loyalty/rules");
    assert_eq!(current.status(), 200);
    assert_eq!(current.headers()["etag"], "\"1\"");
    assert_eq!(json(&current)["expiryMonths"], 24);

    let mut body = rules_body(&app);
    body["earning"]["card_spend"]["points"] = json!(2);
    assert_eq!(put_rules(&app, &body, None).status(), 428);
    assert_eq!(put_rules(&app, &body, Some("\"7\"")).status(), 412);
    let updated = put_rules(&app, &body, Some("\"1\""));
    assert_eq!(updated.status(), 200, "{}", json(&updated));
    assert_eq!(updated.headers()["etag"], "\"2\"");
    assert_eq!(json(&updated)["version"], 2);
    assert_eq!(
        put_rules(&app, &body, Some("\"1\"")).status(),
        412,
        "stale now"
    );

    let r = earn(
        &app,
        &c,
        "k1",
        json!({"eventType": "card_spend", "amount": {"amount": 10_000, "currency": "CNY"},
               "reference": "t1"}),
    );
    assert_eq!(json(&r)["points"], 20);
    assert_eq!(json(&r)["ruleVersion"], 2);
    let old = json(&app.get("/v1/loyalty/rules/1"));
    assert_eq!(old["earning"]["card_spend"]["points"], 1);
    assert_eq!(app.get("/v1/loyalty/rules/99").status(), 404);
}

#[test]
fn invalid_rules_are_422_listing_every_problem_and_change_nothing() {
    let app = app("loy-api-rules-invalid");
    let mut body = rules_body(&app);
    body["tiers"][0]["threshold"] = json!(5);
    body["expiryMonths"] = json!(0);
    body["downgrade"] = json!({"policy": "immediate", "retainMonths": 3});
    let r = put_rules(&app, &body, Some("\"1\""));
    assert_eq!(r.status(), 422);
    assert_eq!(json(&r)["errors"].as_array().expect("errors").len(), 3);
    body["bonusDays"] = json!(2);
    assert_eq!(put_rules(&app, &body, Some("\"1\"")).status(), 400);
    assert_eq!(app.get("/v1/loyalty/rules").headers()["etag"], "\"1\"");
}

#[test]
fn an_expiry_run_writes_nothing_when_nothing_is_due_and_refuses_the_future() {
    let app = app("loy-api-expiry");
    let c = customer(&app, "active");
    bonus(&app, &c, "b1", 100);
    let run = app.post_json(
        "/v1/loyalty/expiry-runs",
        &json!({"asOf": "2026-01-01T00:00:00Z"}),
        &[],
    );
    assert_eq!(run.status(), 200, "{}", json(&run));
    assert_eq!(
        json(&run),
        json!({"asOf": "2026-01-01T00:00:00Z", "customersProcessed": 0, "entriesWritten": 0,
               "pointsExpired": 0, "complete": true})
    );
    let future = app.post_json(
        "/v1/loyalty/expiry-runs",
        &json!({"asOf": "2999-01-01T00:00:00Z"}),
        &[],
    );
    assert_eq!(future.status(), 422);
    assert_eq!(entries(&app), "1");
}

#[test]
fn the_reconciliation_proves_the_cached_balance_against_the_ledger() {
    let app = app("loy-api-reconcile");
    let c = customer(&app, "active");
    bonus(&app, &c, "b1", 100);
    assert_eq!(redeem(&app, &c, "r1", json!(30)).status(), 201);
    let r = json(&app.get(&format!("/v1/loyalty/accounts/{c}/reconciliation")));
    assert_eq!(r["ledgerSum"], 70);
    assert_eq!(r["cachedBalance"], 70);
    assert_eq!(r["inLots"], 70);
    assert_eq!(r["consistent"], true);
}

#[test]
fn fifty_concurrent_http_redemptions_against_ten_times_their_size_let_exactly_ten_through() {
    let app = app("loy-api-concurrent");
    let c = customer(&app, "active");
    bonus(&app, &c, "b1", 1_000);
    let barrier = std::sync::Barrier::new(50);
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..50)
            .map(|i| {
                let (app, c, barrier) = (&app, &c, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    redeem(app, c, &format!("r{i}"), json!(100))
                        .status()
                        .as_u16()
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|_| panic!("worker panicked")))
            .collect()
    });
    let ok = statuses.iter().filter(|&&s| s == 201).count();
    let refused = statuses.iter().filter(|&&s| s == 409).count();
    assert_eq!((ok, refused), (10, 40), "{statuses:?}");
    assert_eq!(account(&app, &c)["balance"], 0);
}
