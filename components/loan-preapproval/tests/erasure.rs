//! Loan applications of an erased customer: the loans owner's erasure part strips the
//! customer's inputs and the figures derived from them; reads and lists then answer the
//! application `redacted` with what a ledger and a regulator need, and a replay of the
//! decision is refused because nothing is left to recompute it from.

mod common;

use common::*;
use crm_http::testing::json;
use serde_json::{Value, json};

/// What customer-profile's `DELETE /v1/customers/{id}` does to the stores.
fn erase(app: &crm_http::testing::TestService<'_>, customer: &str) {
    with_db(app, |db| {
        db.execute(
            "UPDATE customers SET status = 'erased' WHERE id = ?",
            &[crm_store::Value::from(customer)],
        )
        .expect("marked erased");
        crm_store::erasure::erase(db, customer).expect("erased");
    });
}

#[test]
fn an_erased_customers_applications_read_redacted_and_keep_their_ledger_facts() {
    let app = app("loan-erasure");
    let c = customer(&app);
    let declined = applied(
        &app,
        "k1",
        &body(
            &c,
            json!({"termMonths": 12, "monthlyIncome": cny(1_000_000), "monthlyDebtPayments": cny(0),
                   "purpose": "a very private purpose"}),
        ),
    );
    assert!(declined["decision"]["counterOffer"].is_object());
    let offered = applied(&app, "k2", &body(&c, json!({"creditScore": 777})));
    let id = offered["id"].as_str().expect("id").to_owned();
    moved(
        &app,
        &id,
        json!({"to": "withdrawn", "note": "found cheaper credit elsewhere"}),
    );

    erase(&app, &c);

    let read = app.get(&format!("/v1/loans/applications/{id}"));
    assert_eq!(read.status(), 200, "{}", json(&read));
    let read = json(&read);
    assert_eq!(read["redacted"], true);
    for field in [
        "purpose",
        "monthlyIncome",
        "monthlyDebtPayments",
        "creditScore",
        "employmentStatus",
        "employmentMonths",
    ] {
        assert_eq!(read[field], Value::Null, "{field}");
    }
    for kept in [
        "id",
        "customerId",
        "product",
        "amount",
        "termMonths",
        "offer",
    ] {
        assert_eq!(read[kept], offered[kept], "{kept}");
    }
    assert_eq!(read["status"], "withdrawn");
    assert_eq!(read["decision"]["status"], "pre_approved");
    assert_eq!(read["decision"]["terms"], offered["decision"]["terms"]);
    assert_eq!(read["decision"]["dtiBps"], Value::Null);
    let notes: Vec<&Value> = read["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| &h["note"])
        .collect();
    assert_eq!(notes, [&json!("[erased]"), &json!("[erased]")]);

    let declined_id = declined["id"].as_str().expect("id");
    let listed = json(&app.get(&format!("/v1/loans/applications?customerId={c}")));
    let listed_declined = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|a| a["id"] == declined_id)
        .expect("listed")
        .clone();
    assert_eq!(listed_declined["redacted"], true);
    assert_eq!(listed_declined["purpose"], Value::Null);
    let decision = &listed_declined["decision"];
    assert_eq!(decision["status"], "declined");
    assert_eq!(codes(decision), ["dti_above_max"]);
    assert_eq!(decision["reasons"][0]["message"], "[erased]");
    assert_eq!(decision["counterOffer"], Value::Null);
    assert!(
        !listed.to_string().contains("a very private purpose"),
        "{listed}"
    );

    let replay = app.post_json(
        &format!("/v1/loans/applications/{declined_id}/replay"),
        &json!({}),
        &[],
    );
    assert_problem(&replay, 409, "customer_erased");
}

#[test]
fn an_application_of_a_customer_not_erased_reads_whole() {
    let app = app("loan-erasure-whole");
    let c = customer(&app);
    let created = applied(&app, "k1", &body(&c, json!({})));
    assert_eq!(created["redacted"], false);
    assert_eq!(created["purpose"], "home renovation");
}
