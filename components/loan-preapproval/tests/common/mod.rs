//! Shared set-up for the loan tests: the real migrations on rusqlite, customers inserted
//! as the customer-profile service stores them, and a standard application body.
#![allow(dead_code)]

use crm_domain::id::CustomerId;
use crm_domain::time::Timestamp;
use crm_http::Response;
use crm_http::testing::{TestService, json};
use crm_store::{Database, Value};
use serde_json::{Value as Json, json};

/// The service over a fresh state directory.
pub fn app(name: &str) -> TestService<'static> {
    TestService::new(&loan_preapproval::SERVICE, name)
}

/// Runs `f` with the database of `app`'s state directory.
pub fn with_db<T>(app: &TestService<'_>, f: impl FnOnce(&dyn Database) -> T) -> T {
    let stores = crm_store::native::stores_in(app.dir());
    let db = stores
        .database()
        .unwrap_or_else(|e| panic!("database: {e}"));
    f(db)
}

/// A customer row as the customer-profile service writes it.
pub fn insert_customer(db: &dyn Database, status: &str, kyc: &str) -> String {
    let id = CustomerId::new(crm_http::new_ulid(Timestamp::from_unix_millis(7))).to_string();
    let result = db.execute(
        "INSERT INTO customers (id, status, segment, value_tier, kyc_status, risk_tolerance,
            document, version, created_at, updated_at)
         VALUES (?, ?, 'retail', 'standard', ?, 'balanced', '{}', 1, 0, 0)",
        &[
            Value::from(id.as_str()),
            Value::from(status),
            Value::from(kyc),
        ],
    );
    if let Err(e) = result {
        panic!("insert customer: {e}");
    }
    id
}

/// An active, KYC-verified customer of `app`.
pub fn customer(app: &TestService<'_>) -> String {
    with_db(app, |db| insert_customer(db, "active", "verified"))
}

/// A customer with the given status and KYC status.
pub fn customer_with(app: &TestService<'_>, status: &str, kyc: &str) -> String {
    with_db(app, |db| insert_customer(db, status, kyc))
}

pub fn cny(minor: i64) -> Json {
    json!({"amount": minor, "currency": "CNY"})
}

/// A personal loan of 100,000.00 over 36 months that the default policy pre-approves
/// (score 720, income 30,000.00, debt 2,000.00), with `overrides` merged in.
pub fn body(customer: &str, overrides: Json) -> Json {
    let mut body = json!({
        "customerId": customer,
        "product": "personal",
        "amount": cny(10_000_000),
        "termMonths": 36,
        "purpose": "home renovation",
        "monthlyIncome": cny(3_000_000),
        "monthlyDebtPayments": cny(200_000),
        "creditScore": 720,
        "employmentStatus": "employed",
        "employmentMonths": 48
    });
    if let (Some(map), Some(extra)) = (body.as_object_mut(), overrides.as_object()) {
        for (k, v) in extra {
            map.insert(k.clone(), v.clone());
        }
    }
    body
}

pub fn apply(app: &TestService<'_>, key: &str, body: &Json) -> Response {
    app.post_json("/v1/loans/applications", body, &[("idempotency-key", key)])
}

/// Applies and asserts a 201; returns the body.
pub fn applied(app: &TestService<'_>, key: &str, body: &Json) -> Json {
    let r = apply(app, key, body);
    assert_eq!(r.status(), 201, "{}", json(&r));
    json(&r)
}

pub fn transition(app: &TestService<'_>, id: &str, if_match: Option<&str>, body: Json) -> Response {
    let mut headers = vec![("content-type", "application/json")];
    if let Some(etag) = if_match {
        headers.push(("if-match", etag));
    }
    app.request(
        "POST",
        &format!("/v1/loans/applications/{id}/transitions"),
        Some(&body.to_string()),
        &headers,
    )
}

/// Moves `id` (read fresh for its etag) and asserts a 200; returns the body.
pub fn moved(app: &TestService<'_>, id: &str, body: Json) -> Json {
    let current = app.get(&format!("/v1/loans/applications/{id}"));
    let etag = current
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no etag"))
        .to_owned();
    let r = transition(app, id, Some(&etag), body);
    assert_eq!(r.status(), 200, "{}", json(&r));
    json(&r)
}

pub fn count(app: &TestService<'_>, table: &str) -> i64 {
    app.sql_column(&format!("SELECT count(*) FROM {table}"))
        .first()
        .and_then(|n| n.parse().ok())
        .unwrap_or(-1)
}

pub fn codes(decision: &Json) -> Vec<String> {
    decision["reasons"]
        .as_array()
        .map(|rs| {
            rs.iter()
                .filter_map(|r| r["code"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

pub fn assert_problem(r: &Response, status: u16, code: &str) -> Json {
    let body = json(r);
    assert_eq!(r.status(), status, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(
        r.headers()["content-type"],
        "application/problem+json",
        "{body}"
    );
    body
}

/// Replaces the policy with the current one changed by `change` (without the members
/// the server sets).
pub fn put_policy(app: &TestService<'_>, change: impl FnOnce(&mut Json)) -> Response {
    let current = app.get("/v1/loans/policy");
    let etag = current
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let mut policy = json(&current);
    if let Some(map) = policy.as_object_mut() {
        map.remove("version");
        map.remove("createdAt");
        map.remove("actor");
    }
    change(&mut policy);
    app.request(
        "PUT",
        "/v1/loans/policy",
        Some(&policy.to_string()),
        &[("content-type", "application/json"), ("if-match", &etag)],
    )
}
