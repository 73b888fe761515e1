//! The 360° view and dormancy over one set of stores shared with the other services,
//! whose own handlers write what the profile reads: contacts and complaints, loyalty
//! entries and loan applications.

use crm_domain::time::Timestamp;
use crm_http::testing::{TestService, json};
use serde_json::{Value, json};
use std::time::{SystemTime, UNIX_EPOCH};

const DAY: i64 = 86_400_000;

fn now_ms() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970");
    i64::try_from(since.as_millis()).expect("fits")
}

fn at(ms: i64) -> Value {
    serde_json::to_value(Timestamp::from_unix_millis(ms)).expect("timestamp")
}

fn create_customer(app: &TestService<'_>) -> String {
    let body = json!({
        "fullName": "Chen Jing",
        "dateOfBirth": "1985-06-01",
        "nationalId": "310101198506011234",
        "nationalIdCountry": "CN",
        "email": "chen.jing@example.com",
        "phone": "+8613900139000",
        "segment": "mass_affluent",
        "riskTolerance": "balanced",
        "monthlyIncome": {"amount": 3_000_000, "currency": "CNY"},
        "totalAssets": {"amount": 80_000_000, "currency": "CNY"},
        "creditScore": 740,
        "employmentStatus": "employed"
    });
    let created = app.post_json("/v1/customers", &body, &[("idempotency-key", "c-1")]);
    assert_eq!(
        created.status(),
        201,
        "{}",
        String::from_utf8_lossy(created.body())
    );
    json(&created)["id"].as_str().expect("id").to_owned()
}

/// Moves the customer's creation `days` into the past, as if created then.
fn created_days_ago(app: &TestService<'_>, id: &str, days: i64) {
    app.sql_column(&format!(
        "UPDATE customers SET created_at = {} WHERE id = '{id}'",
        now_ms() - days * DAY
    ));
}

fn contact(id: &str, direction: &str, days_ago: i64, kind: &str, confidential: bool) -> Value {
    let mut body = json!({
        "customerId": id,
        "channel": "phone",
        "direction": direction,
        "type": kind,
        "subject": format!("{kind} by phone"),
        "notes": "Spoke with the customer.",
        "agentId": "agent-7",
        "occurredAt": at(now_ms() - days_ago * DAY),
        "confidential": confidential,
    });
    if kind == "complaint" {
        body["complaint"] = json!({"severity": "high", "category": "fees_and_charges"});
    }
    body
}

fn log(app: &TestService<'_>, body: &Value, key: &str) -> Value {
    let logged = app.post_json("/v1/interactions", body, &[("idempotency-key", key)]);
    assert_eq!(
        logged.status(),
        201,
        "{}",
        String::from_utf8_lossy(logged.body())
    );
    json(&logged)
}

fn status(app: &TestService<'_>, id: &str) -> Value {
    json(&app.get(&format!("/v1/customers/{id}")))["status"].clone()
}

fn view(app: &TestService<'_>, id: &str) -> Value {
    let response = app.get(&format!("/v1/customers/{id}/360"));
    assert_eq!(
        response.status(),
        200,
        "{}",
        String::from_utf8_lossy(response.body())
    );
    json(&response)
}

fn noted_parts(view: &Value) -> Vec<&str> {
    view["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .map(|n| n["part"].as_str().expect("part"))
        .collect()
}

#[test]
fn a_customer_without_activity_for_180_days_reads_dormant_and_listed_as_such() {
    let app = TestService::new(&customer_profile::SERVICE, "cp-dormant");
    let id = create_customer(&app);
    assert_eq!(status(&app, &id), "active", "a new customer is active");
    created_days_ago(&app, &id, 181);
    assert_eq!(status(&app, &id), "dormant");
    let dormant = json(&app.get("/v1/customers?status=dormant"));
    assert_eq!(dormant["items"][0]["id"], id.as_str());
    let active = json(&app.get("/v1/customers?status=active"));
    assert_eq!(active["items"].as_array().map(Vec::len), Some(0));
    created_days_ago(&app, &id, 179);
    assert_eq!(status(&app, &id), "active", "179 days is inside the window");
}

#[test]
fn only_contact_the_customer_started_ends_dormancy() {
    let app = TestService::new(&customer_profile::SERVICE, "cp-dormant-contact");
    let contacts = app.alongside(&interactions::SERVICE);
    let id = create_customer(&app);
    created_days_ago(&app, &id, 400);

    log(
        &contacts,
        &contact(&id, "outbound", 3, "reminder", false),
        "k-out",
    );
    assert_eq!(
        status(&app, &id),
        "dormant",
        "a reminder the bank sent is not activity"
    );
    log(
        &contacts,
        &contact(&id, "inbound", 200, "inquiry", false),
        "k-old",
    );
    assert_eq!(
        status(&app, &id),
        "dormant",
        "a contact 200 days ago is too old"
    );
    log(
        &contacts,
        &contact(&id, "inbound", 10, "inquiry", false),
        "k-in",
    );
    assert_eq!(status(&app, &id), "active");
}

#[test]
fn earning_or_redeeming_points_ends_dormancy_but_a_campaign_credit_does_not() {
    let app = TestService::new(&customer_profile::SERVICE, "cp-dormant-loyalty");
    let points = app.alongside(&loyalty::SERVICE);
    let id = create_customer(&app);
    created_days_ago(&app, &id, 400);

    let earn = format!("/v1/loyalty/accounts/{id}/earn");
    let campaign = json!({"eventType": "campaign", "points": 500, "reference": "promo"});
    let credited = points.post_json(&earn, &campaign, &[("idempotency-key", "e-1")]);
    assert_eq!(
        credited.status(),
        201,
        "{}",
        String::from_utf8_lossy(credited.body())
    );
    assert_eq!(
        status(&app, &id),
        "dormant",
        "the bank's credit is not activity"
    );

    let spend = json!({"eventType": "card_spend",
                       "amount": {"amount": 50_000, "currency": "CNY"},
                       "reference": "txn-1"});
    let earned = points.post_json(&earn, &spend, &[("idempotency-key", "e-2")]);
    assert_eq!(
        earned.status(),
        201,
        "{}",
        String::from_utf8_lossy(earned.body())
    );
    assert_eq!(status(&app, &id), "active");
}

#[test]
fn the_360_view_of_a_new_customer_notes_each_part_with_nothing_to_show() {
    let app = TestService::new(&customer_profile::SERVICE, "cp-360-empty");
    let id = create_customer(&app);
    let v = view(&app, &id);
    assert_eq!(v["profile"]["id"], id.as_str());
    assert_eq!(v["profile"]["nationalId"], "310101198506011234");
    assert!(v.get("loyalty").is_none(), "no balance is made up: {v}");
    assert_eq!(v["interactions"]["recent"], json!([]));
    assert_eq!(v["complaints"]["open"], 0);
    assert_eq!(v["loansInFlight"], json!([]));
    assert_eq!(
        noted_parts(&v),
        vec!["loyalty", "interactions", "engagement.churn"]
    );
    assert_eq!(
        v["engagement"],
        json!({"openAlerts": [], "recentEvents": [], "pendingTasks": []})
    );
    let offers = v["recommendations"]["items"].as_array().expect("offers");
    assert_eq!(
        offers.len(),
        3,
        "a cold start still gets profile-based offers: {v}"
    );
}

#[test]
fn the_360_view_gathers_loyalty_contacts_complaints_and_loans_in_flight() {
    let app = TestService::new(&customer_profile::SERVICE, "cp-360-full");
    let contacts = app.alongside(&interactions::SERVICE);
    let points = app.alongside(&loyalty::SERVICE);
    let loans = app.alongside(&loan_preapproval::SERVICE);
    let id = create_customer(&app);
    let verified = app.request(
        "PATCH",
        &format!("/v1/customers/{id}"),
        Some(r#"{"kycStatus": "verified"}"#),
        &[
            ("content-type", "application/merge-patch+json"),
            ("if-match", "\"1\""),
        ],
    );
    assert_eq!(
        verified.status(),
        200,
        "{}",
        String::from_utf8_lossy(verified.body())
    );

    // Twelve contacts, one day apart, the newest first in the view; one of them is
    // confidential, one is corrected by the newest, and one opened a complaint.
    let mut logged = Vec::new();
    for n in 0..12 {
        let kind = if n == 5 { "complaint" } else { "inquiry" };
        let body = contact(&id, "inbound", 20 - n, kind, n == 7);
        logged.push(log(&contacts, &body, &format!("k-{n}")));
    }
    let mut correction = contact(&id, "inbound", 8, "inquiry", false);
    correction["correctsId"] = logged[11]["id"].clone();
    let correction = log(&contacts, &correction, "k-fix");

    let spend = json!({"eventType": "card_spend",
                       "amount": {"amount": 1_000_000, "currency": "CNY"},
                       "reference": "txn-9"});
    let earned = points.post_json(
        &format!("/v1/loyalty/accounts/{id}/earn"),
        &spend,
        &[("idempotency-key", "e-9")],
    );
    assert_eq!(
        earned.status(),
        201,
        "{}",
        String::from_utf8_lossy(earned.body())
    );

    let application = json!({
        "customerId": id,
        "product": "personal",
        "amount": {"amount": 10_000_000, "currency": "CNY"},
        "termMonths": 36,
        "purpose": "home renovation",
        "monthlyIncome": {"amount": 3_000_000, "currency": "CNY"},
        "monthlyDebtPayments": {"amount": 200_000, "currency": "CNY"},
        "creditScore": 740,
        "employmentStatus": "employed",
        "employmentMonths": 48
    });
    let applied = loans.post_json(
        "/v1/loans/applications",
        &application,
        &[("idempotency-key", "l-1")],
    );
    assert_eq!(
        applied.status(),
        201,
        "{}",
        String::from_utf8_lossy(applied.body())
    );
    let applied = json(&applied);

    let v = view(&app, &id);
    assert_eq!(
        v["loyalty"]["balance"], 1_000,
        "1 point per 10 CNY of 10,000.00 spent"
    );
    assert_eq!(v["loyalty"]["tier"], "silver");

    let recent: Vec<&Value> = v["interactions"]["recent"]
        .as_array()
        .expect("recent")
        .iter()
        .collect();
    assert_eq!(recent.len(), 10, "the last ten contacts");
    let shown: Vec<&str> = recent
        .iter()
        .map(|c| c["id"].as_str().expect("id"))
        .collect();
    assert!(
        !shown.contains(&logged[11]["id"].as_str().expect("id")),
        "corrected away"
    );
    let newest = [&correction, &logged[10], &logged[9]].map(|c| c["id"].as_str().expect("id"));
    assert_eq!(
        shown[..3],
        newest,
        "newest first: the correction happened 8 days ago"
    );
    let secret = recent
        .iter()
        .find(|c| c["id"] == logged[7]["id"])
        .expect("the confidential contact is listed");
    assert_eq!(secret["confidential"], true);
    assert!(secret.get("subject").is_none(), "its subject is not shown");
    assert!(
        recent.iter().all(|c| c.get("notes").is_none()),
        "notes stay out"
    );

    assert_eq!(v["complaints"]["open"], 1);
    assert_eq!(
        v["complaints"]["items"][0]["id"], logged[5]["complaintId"],
        "{}",
        v["complaints"]
    );
    assert_eq!(v["loansInFlight"][0]["id"], applied["id"]);
    assert_eq!(v["loansInFlight"][0]["status"], applied["status"]);
    // No churn run has scored the customer yet: the only part with nothing to show.
    assert_eq!(noted_parts(&v), vec!["engagement.churn"]);
    // The top 3 are the recommendations service's own answer, from the same store.
    let recommendations = app.alongside(&recommendations::SERVICE);
    let own = json(&recommendations.get(&format!("/v1/recommendations/{id}?limit=3")));
    let codes = |items: &Value| -> Vec<Value> {
        items
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["productCode"].clone())
            .collect()
    };
    assert_eq!(codes(&v["recommendations"]["items"]), codes(&own["items"]));
    assert!(
        !codes(&own["items"]).contains(&json!("LOAN_PERSONAL")),
        "no personal loan is offered while one is in flight"
    );
}

#[test]
fn the_360_view_of_an_unknown_or_erased_customer_is_404() {
    let app = TestService::new(&customer_profile::SERVICE, "cp-360-gone");
    let id = create_customer(&app);
    let unknown = app.get("/v1/customers/cus_01JAAAAAAAAAAAAAAAAAAAAAAA/360");
    assert_eq!(unknown.status(), 404);
    assert_eq!(
        app.request("DELETE", &format!("/v1/customers/{id}"), None, &[])
            .status(),
        204
    );
    assert_eq!(app.get(&format!("/v1/customers/{id}/360")).status(), 404);
}
