//! Loan pre-approval through the host: the real customer-profile and loan components
//! sharing one database. A customer is created over HTTP, then pre-approved, referred
//! and declined; a referral walks to acceptance under four eyes; If-Match, expiry and
//! Idempotency-Key behave as the issue says.

use crm_e2e::{TestApp, TestResponse};
use serde_json::{Value, json};

fn cny(minor: i64) -> Value {
    json!({"amount": minor, "currency": "CNY"})
}

/// Creates a customer through the customer-profile API and returns its id.
fn customer(app: &TestApp, n: usize, kyc: &str) -> String {
    let r = app.post_json(
        "/v1/customers",
        &json!({
            "fullName": format!("Wang Li {n:03}"),
            "dateOfBirth": "1988-03-09",
            "nationalId": format!("1101011988030{n:05}"),
            "nationalIdCountry": "CN",
            "segment": "retail",
            "riskTolerance": "balanced",
            "kycStatus": kyc,
            "monthlyIncome": cny(3_000_000),
            "totalAssets": cny(10_000_000),
            "employmentStatus": "employed"
        }),
        &[("idempotency-key", &format!("customer-{n}"))],
    );
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["id"].as_str().expect("customer id").to_owned()
}

/// A personal loan of 100,000.00 over 36 months that the default policy pre-approves.
fn application(customer: &str, overrides: Value) -> Value {
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

fn apply(app: &TestApp, key: &str, body: &Value) -> TestResponse {
    app.post_json("/v1/loans/applications", body, &[("idempotency-key", key)])
}

fn applied(app: &TestApp, key: &str, body: &Value) -> Value {
    let r = apply(app, key, body);
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

fn transition(app: &TestApp, id: &str, etag: &str, body: Value) -> TestResponse {
    app.post_json(
        &format!("/v1/loans/applications/{id}/transitions"),
        &body,
        &[("if-match", etag)],
    )
}

fn codes(decision: &Value) -> Vec<&str> {
    decision["reasons"]
        .as_array()
        .map(|rs| rs.iter().filter_map(|r| r["code"].as_str()).collect())
        .unwrap_or_default()
}

#[test]
fn one_customer_each_is_pre_approved_referred_and_declined() {
    let app = TestApp::spawn();
    let (good, near, unverified) = (
        customer(&app, 1, "verified"),
        customer(&app, 2, "verified"),
        customer(&app, 3, "pending"),
    );

    let pre = applied(&app, "a1", &application(&good, json!({})));
    let referred = applied(&app, "a2", &application(&near, json!({"creditScore": 610})));
    let declined = applied(&app, "a3", &application(&unverified, json!({})));

    assert_eq!(pre["status"], "pre_approved");
    assert_eq!(pre["offer"]["annualRateBps"], 890);
    assert_eq!(pre["offer"]["monthlyPayment"], cny(317_532));
    assert_eq!(pre["offer"]["totalRepayable"], cny(317_532 * 36));
    assert_eq!(referred["status"], "referred");
    assert_eq!(codes(&referred["decision"]), ["score_near_min"]);
    assert_eq!(referred["offer"], Value::Null);
    assert_eq!(declined["status"], "declined");
    assert_eq!(codes(&declined["decision"]), ["kyc_not_verified"]);

    let id = pre["id"].as_str().expect("id");
    let read = app.get(&format!("/v1/loans/applications/{id}"));
    assert_eq!(read.status, 200);
    assert_eq!(read.header("etag"), Some("\"1\""));
    assert_eq!(read.json(), pre);
    let replay = app.post_json(
        &format!("/v1/loans/applications/{id}/replay"),
        &json!({}),
        &[],
    );
    assert_eq!(replay.status, 200, "{}", replay.text());
    assert_eq!(replay.json()["matches"], true);

    let listed = app
        .get(&format!("/v1/loans/applications?customerId={near}"))
        .json();
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(listed["items"][0]["id"], referred["id"]);
    let declined_list = app.get("/v1/loans/applications?status=declined").json();
    assert_eq!(declined_list["items"][0]["id"], declined["id"]);
}

#[test]
fn a_referral_is_reviewed_approved_by_another_underwriter_and_accepted() {
    let app = TestApp::spawn();
    let c = customer(&app, 1, "verified");
    let created = applied(&app, "a1", &application(&c, json!({"creditScore": 610})));
    let id = created["id"].as_str().expect("id");

    let review = transition(&app, id, "\"1\"", json!({"to": "under_review"}));
    assert_eq!(review.status, 200, "{}", review.text());
    assert_eq!(review.header("etag"), Some("\"2\""));

    transition(&app, id, "\"1\"", json!({"to": "approved", "note": "ok"}))
        .assert_problem(412, "precondition_failed");
    transition(&app, id, "\"2\"", json!({"to": "approved", "note": "ok"}))
        .assert_problem(409, "four_eyes_required");
    let illegal = transition(&app, id, "\"2\"", json!({"to": "accepted"}))
        .assert_problem(409, "transition_not_allowed");
    assert_eq!(illegal["allowed"], json!(["approved", "declined"]));

    // Four eyes compares token identities: the approval comes from uw-ben's own token.
    let ben = format!(
        "Bearer {}",
        crm_token::dev_token("uw-ben", &["underwriter"])
    );
    let approved = app.post_json(
        &format!("/v1/loans/applications/{id}/transitions"),
        &json!({"to": "approved", "note": "income verified by payslips"}),
        &[("if-match", "\"2\""), ("authorization", &ben)],
    );
    assert_eq!(approved.status, 200, "{}", approved.text());
    assert!(approved.json()["offer"]["expiresAt"].is_string());
    let accepted = transition(&app, id, "\"3\"", json!({"to": "accepted"}));
    assert_eq!(accepted.status, 200, "{}", accepted.text());

    let history = app.get(&format!("/v1/loans/applications/{id}")).json()["history"].clone();
    let path: Vec<&str> = history
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|h| h["to"].as_str())
        .collect();
    assert_eq!(path, ["referred", "under_review", "approved", "accepted"]);
    assert_eq!(history[2]["actor"], "uw-ben");
    assert_eq!(history[2]["note"], "income verified by payslips");
}

#[test]
fn an_expired_offer_cannot_be_accepted() {
    let app = TestApp::spawn();
    let mut policy = app.get("/v1/loans/policy").json();
    if let Some(map) = policy.as_object_mut() {
        map.remove("version");
        map.remove("createdAt");
        map.remove("actor");
        // Zero days: every offer expires the moment it is made.
        map.insert("offerValidityDays".into(), json!(0));
    }
    let put = app.put_json("/v1/loans/policy", &policy, &[("if-match", "\"1\"")]);
    assert_eq!(put.status, 200, "{}", put.text());
    let c = customer(&app, 1, "verified");
    let created = applied(&app, "a1", &application(&c, json!({})));
    let id = created["id"].as_str().expect("id");

    let accept = transition(&app, id, "\"1\"", json!({"to": "accepted"}));

    accept.assert_problem(409, "offer_expired");
    let read = app.get(&format!("/v1/loans/applications/{id}")).json();
    assert_eq!(read["status"], "expired");
    assert_eq!(read["allowedTransitions"], json!(["expired"]));
    let recorded = transition(&app, id, "\"1\"", json!({"to": "expired"}));
    assert_eq!(recorded.status, 200, "{}", recorded.text());
}

#[test]
fn the_same_idempotency_key_twice_makes_one_application() {
    let app = TestApp::spawn();
    let c = customer(&app, 1, "verified");
    let body = application(&c, json!({}));

    let first = apply(&app, "same-key", &body);
    let second = apply(&app, "same-key", &body);

    assert_eq!((first.status, second.status), (201, 201));
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    assert_eq!(second.json()["id"], first.json()["id"]);
    let listed = app
        .get(&format!("/v1/loans/applications?customerId={c}"))
        .json();
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
    apply(&app, "other-key", &body).assert_problem(409, "open_application_exists");
}

#[test]
fn bad_input_answers_problem_json_and_writes_nothing() {
    let app = TestApp::spawn();
    let c = customer(&app, 1, "verified");

    apply(
        &app,
        "k1",
        &application(&c, json!({"creditScore": 900, "termMonths": 0})),
    )
    .assert_problem(422, "validation_failed");
    apply(&app, "k2", &application(&c, json!({"surprise": 1})))
        .assert_problem(400, "unknown_field");
    app.post_json("/v1/loans/applications", &application(&c, json!({})), &[])
        .assert_problem(400, "missing_idempotency_key");
    let quote = app.post_json("/v1/loans/quote", &application(&c, json!({})), &[]);
    assert_eq!(quote.status, 200, "{}", quote.text());
    assert_eq!(quote.json()["status"], "pre_approved");
    app.get("/v1/loans/applications/lpa_nope")
        .assert_problem(404, "not_found");

    let listed = app
        .get(&format!("/v1/loans/applications?customerId={c}"))
        .json();
    assert_eq!(listed["items"], json!([]));
}

#[test]
fn the_credit_figures_count_a_known_set_of_applications() {
    let app = TestApp::spawn();
    let (good, near, unverified) = (
        customer(&app, 41, "verified"),
        customer(&app, 42, "verified"),
        customer(&app, 43, "pending"),
    );
    let pre = applied(&app, "f1", &application(&good, json!({})));
    let referred = applied(&app, "f2", &application(&near, json!({"creditScore": 610})));
    applied(&app, "f3", &application(&unverified, json!({})));
    let id = |v: &Value| v["id"].as_str().expect("id").to_owned();
    let accepted = transition(&app, &id(&pre), "\"1\"", json!({"to": "accepted"}));
    assert_eq!(accepted.status, 200, "{}", accepted.text());
    let r = id(&referred);
    let review = transition(&app, &r, "\"1\"", json!({"to": "under_review"}));
    assert_eq!(review.status, 200, "{}", review.text());
    let ben = format!(
        "Bearer {}",
        crm_token::dev_token("uw-ben", &["underwriter"])
    );
    let approved = app.post_json(
        &format!("/v1/loans/applications/{r}/transitions"),
        &json!({"to": "approved", "note": "payslips seen"}),
        &[("if-match", "\"2\""), ("authorization", &ben)],
    );
    assert_eq!(approved.status, 200, "{}", approved.text());

    let manager = app.as_user("risk-1", &["risk_officer"]);
    let f = manager.get("/v1/loans/figures");
    assert_eq!(f.status, 200, "{}", f.text());
    let f = f.json();
    assert_eq!(f["applications"], 3, "{f}");
    assert_eq!(
        f["byProduct"],
        json!([{"product": "personal", "applications": 3}])
    );
    assert_eq!(
        f["decisions"],
        json!([{"outcome": "declined", "applications": 1},
               {"outcome": "pre_approved", "applications": 1},
               {"outcome": "referred", "applications": 1}])
    );
    assert_eq!(
        f["reasons"],
        json!([{"code": "kyc_not_verified", "applications": 1},
               {"code": "score_near_min", "applications": 1}])
    );
    assert_eq!(
        f["conversion"],
        json!({"preApproved": 1, "accepted": 1, "rate": "1.0000"})
    );
    // One referral, decided by a second underwriter within this test's run.
    let four_eyes = &f["fourEyes"];
    assert_eq!(
        (four_eyes["referred"].clone(), four_eyes["decided"].clone()),
        (json!(1), json!(1))
    );
    let p50 = four_eyes["turnaroundSeconds"]["p50"].as_i64().expect("p50");
    assert!(p50 >= 0, "{f}");
    assert_eq!(four_eyes["turnaroundSeconds"]["p90"], p50);

    app.as_user("teller-1", &["teller"])
        .get("/v1/loans/figures")
        .assert_problem(403, "forbidden");
}
