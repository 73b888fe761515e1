//! Write permissions per member and role (`crm_domain::security::CUSTOMER_WRITES`): the
//! request's action lets a role send it, the table decides what it may set.

use crm_http::testing::{TestService, json};
use customer_profile::SERVICE;
use serde_json::{Value, json};

fn body(national_id: &str) -> Value {
    json!({
        "fullName": "Sun Mei", "dateOfBirth": "1988-02-03", "nationalId": national_id,
        "nationalIdCountry": "CN", "email": "sun.mei@example.com", "segment": "retail",
        "riskTolerance": "balanced",
        "monthlyIncome": {"amount": 2_000_000, "currency": "CNY"},
        "totalAssets": {"amount": 5_000_000, "currency": "CNY"},
        "employmentStatus": "employed"
    })
}

fn create(app: &TestService<'_>, key: &str, body: &Value) -> crm_http::Response {
    app.post_json("/v1/customers", body, &[("idempotency-key", key)])
}

fn patch(app: &TestService<'_>, id: &str, etag: &str, body: &Value) -> crm_http::Response {
    app.request(
        "PATCH",
        &format!("/v1/customers/{id}"),
        Some(&body.to_string()),
        &[
            ("content-type", "application/merge-patch+json"),
            ("if-match", etag),
        ],
    )
}

fn refused_members(r: &crm_http::Response) -> String {
    assert_eq!(r.status(), 403, "{}", json(r));
    let problem = json(r);
    assert_eq!(problem["code"], "field_not_writable", "{problem}");
    problem["detail"].as_str().unwrap_or_default().to_owned()
}

/// A verified customer, created by admin (break-glass) so the tests start from one.
fn verified(app: &TestService<'_>, national_id: &str) -> (String, String) {
    let mut b = body(national_id);
    b["kycStatus"] = json!("verified");
    b["creditScore"] = json!(700);
    let r = create(app, national_id, &b);
    assert_eq!(r.status(), 201, "{}", json(&r));
    let id = json(&r)["id"].as_str().expect("id").to_owned();
    let etag = r.headers()["etag"].to_str().expect("etag").to_owned();
    (id, etag)
}

#[test]
fn a_teller_onboards_with_declared_figures_but_cannot_verify_or_score() {
    let app = TestService::new(&SERVICE, "cw-onboard");
    let teller = app.as_user("t-1", &["teller"]);
    let r = create(&teller, "a", &body("110101198802031111"));
    assert_eq!(r.status(), 201, "{}", json(&r));
    assert_eq!(json(&r)["kycStatus"], "pending");
    let mut bold = body("110101198802032222");
    bold["kycStatus"] = json!("verified");
    bold["creditScore"] = json!(850);
    bold["relationshipManagerId"] = json!("rm-7");
    let detail = refused_members(&create(&teller, "b", &bold));
    for member in ["kycStatus", "creditScore", "relationshipManagerId"] {
        assert!(detail.contains(member), "{detail}");
    }
    assert_eq!(
        app.sql_column("SELECT count(*) FROM customers"),
        ["1"],
        "nothing written"
    );
}

#[test]
fn a_call_centre_agent_may_change_contact_details_but_not_kyc_or_the_banks_figures() {
    let app = TestService::new(&SERVICE, "cw-call-centre");
    let (id, etag) = verified(&app, "110101198802033333");
    let agent = app.as_user("cc-1", &["call_centre"]);
    for (member, value) in [
        ("kycStatus", json!("rejected")),
        ("creditScore", json!(850)),
        (
            "monthlyIncome",
            json!({"amount": 9_000_000, "currency": "CNY"}),
        ),
        (
            "totalAssets",
            json!({"amount": 9_000_000, "currency": "CNY"}),
        ),
        ("nationalId", json!("110101198802039999")),
        ("relationshipManagerId", json!("rm-1")),
        ("status", json!("closed")),
    ] {
        let detail = refused_members(&patch(&agent, &id, &etag, &json!({member: value})));
        assert!(detail.contains(member), "{member}: {detail}");
    }
    let ok = patch(&agent, &id, &etag, &json!({"email": "new@example.com"}));
    assert_eq!(ok.status(), 200, "{}", json(&ok));
    assert_eq!(json(&ok)["kycStatus"], "verified");
}

#[test]
fn underwriting_sets_the_banks_figures_and_compliance_the_kyc_status() {
    let app = TestService::new(&SERVICE, "cw-roles");
    let (id, etag) = verified(&app, "110101198802034444");
    let underwriter = app.as_user("u-1", &["underwriter"]);
    let r = patch(&underwriter, &id, &etag, &json!({"creditScore": 640}));
    assert_eq!(r.status(), 200, "{}", json(&r));
    let etag = r.headers()["etag"].to_str().expect("etag").to_owned();
    refused_members(&patch(
        &underwriter,
        &id,
        &etag,
        &json!({"kycStatus": "rejected"}),
    ));
    let kyc = app.as_user("k-1", &["kyc_officer"]);
    refused_members(&patch(&kyc, &id, &etag, &json!({"creditScore": 800})));
    let r = patch(&kyc, &id, &etag, &json!({"kycStatus": "rejected"}));
    assert_eq!(r.status(), 200, "{}", json(&r));
    assert_eq!(json(&r)["kycStatus"], "rejected");
}

#[test]
fn a_new_national_id_sends_kyc_back_to_pending_until_compliance_verifies_it_again() {
    let app = TestService::new(&SERVICE, "cw-national-id");
    let (id, etag) = verified(&app, "110101198802035555");
    let kyc = app.as_user("k-1", &["kyc_officer"]);
    let r = patch(
        &kyc,
        &id,
        &etag,
        &json!({"nationalId": "110101198802036666"}),
    );
    assert_eq!(r.status(), 200, "{}", json(&r));
    assert_eq!(json(&r)["kycStatus"], "pending");
    assert_eq!(json(&r)["nationalId"], "110101198802036666");
    // Toggling KYC first does not unlock the change for anyone else.
    let etag = r.headers()["etag"].to_str().expect("etag").to_owned();
    let teller = app.as_user("t-1", &["teller"]);
    refused_members(&patch(
        &teller,
        &id,
        &etag,
        &json!({"nationalId": "110101198802037777"}),
    ));
    let r = patch(&kyc, &id, &etag, &json!({"kycStatus": "verified"}));
    assert_eq!(r.status(), 200, "{}", json(&r));
    assert_eq!(json(&r)["kycStatus"], "verified");
}
