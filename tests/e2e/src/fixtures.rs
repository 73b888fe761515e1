//! Data the end-to-end tests create through the API: bodies that the services accept,
//! numbered so that each test's records are distinct.

use crate::TestApp;
use serde_json::{Value, json};

/// `{"amount": minor, "currency": "CNY"}`.
pub fn cny(minor: i64) -> Value {
    json!({"amount": minor, "currency": "CNY"})
}

/// A valid new customer, distinct per `n` (name, national id, e-mail, phone), with KYC
/// pending: only compliance (and admin) may create one verified.
pub fn customer_body(n: usize) -> Value {
    json!({
        "fullName": format!("Zhao Min {n:03}"),
        "dateOfBirth": "1985-06-01",
        "nationalId": format!("3101011985060{n:05}"),
        "nationalIdCountry": "CN",
        "email": format!("zhao{n}@example.com"),
        "phone": format!("+86138001380{n:02}"),
        "segment": "retail",
        "riskTolerance": "balanced",
        "monthlyIncome": cny(3_000_000),
        "totalAssets": cny(10_000_000),
        "employmentStatus": "employed"
    })
}

/// Creates customer `n`, KYC verified, as the default caller (an admin) and returns its id.
pub fn create_customer(app: &TestApp, n: usize) -> String {
    let mut body = customer_body(n);
    body["kycStatus"] = json!("verified");
    let r = app.post_json(
        "/v1/customers",
        &body,
        &[("idempotency-key", &format!("fixture-customer-{n}"))],
    );
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["id"].as_str().expect("id").to_owned()
}

/// Creates customer `n`, KYC verified, in relationship manager `rm`'s book (as admin).
pub fn create_customer_of(app: &TestApp, n: usize, rm: &str) -> String {
    let mut body = customer_body(n);
    body["kycStatus"] = json!("verified");
    body["relationshipManagerId"] = json!(rm);
    let r = app.post_json(
        "/v1/customers",
        &body,
        &[("idempotency-key", &format!("fixture-customer-{n}"))],
    );
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["id"].as_str().expect("id").to_owned()
}

/// Runs SQL against the app's database file directly, as an attacker with the file would.
pub fn tamper(app: &TestApp, sql: &str) {
    let path = app.state_dir().join("sqlite_db.db");
    let conn = rusqlite::Connection::open(&path).expect("open the database file");
    conn.execute_batch(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}
