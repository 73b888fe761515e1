//! Recommendations through the host, on the real `.wasm` components, with every signal
//! created through the owning service's own endpoint: a customer (profile), an inquiry
//! and a complaint (interactions), card spend (loyalty) and a loan application (loans).

use crm_e2e::{TestApp, TestResponse};
use serde_json::{Value, json};

fn cny(minor: i64) -> Value {
    json!({"amount": minor, "currency": "CNY"})
}

/// A 25-ish growth-oriented salary earner who agreed to e-mail marketing.
fn customer(app: &TestApp, n: usize) -> String {
    let r = app.post_json(
        "/v1/customers",
        &json!({
            "fullName": format!("Li Na {n:03}"),
            "dateOfBirth": "2000-03-14",
            "nationalId": format!("3101012000031{n:05}"),
            "nationalIdCountry": "CN",
            "segment": "retail",
            "riskTolerance": "growth",
            "kycStatus": "verified",
            "monthlyIncome": cny(1_200_000),
            "totalAssets": cny(5_000_000),
            "creditScore": 720,
            "employmentStatus": "employed",
            "holdings": [{"productCode": "SALARY_ACCOUNT", "openedAt": "2024-01-01T00:00:00Z"}],
            "consent": {"marketing": {"email": {"granted": true, "source": "branch"}}}
        }),
        &[("idempotency-key", &format!("customer-{n}"))],
    );
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["id"].as_str().expect("customer id").to_owned()
}

fn recommend(app: &TestApp, c: &str, query: &str) -> Value {
    let r = app.get(&format!("/v1/recommendations/{c}{query}"));
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

fn codes(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["productCode"].as_str().map(str::to_owned))
        .collect()
}

fn excluded_by(body: &Value, code: &str) -> Option<String> {
    body["excluded"]
        .as_array()?
        .iter()
        .find(|e| e["productCode"] == code)
        .and_then(|e| e["filter"]["code"].as_str().map(str::to_owned))
}

fn post(app: &TestApp, path: &str, key: &str, body: Value) -> TestResponse {
    let r = app.post_json(path, &body, &[("idempotency-key", key)]);
    assert_eq!(r.status, 201, "{path}: {}", r.text());
    r
}

#[test]
fn signals_from_every_service_change_the_offers_in_the_stated_direction() {
    let app = TestApp::spawn();
    let c = customer(&app, 1);

    // Cold start: profile alone. The salary account is held, so a card complements it.
    let first = recommend(&app, &c, "");
    assert_eq!(
        codes(&first),
        ["CARD_GOLD", "FUND_EQUITY_INDEX", "LOAN_AUTO"]
    );
    assert_eq!(first["modelVersion"], "rules-2026.1");
    let reasons = &first["items"][0]["reasons"];
    assert!(
        reasons
            .as_array()
            .is_some_and(|r| r.iter().any(|r| r["code"] == "complements_holding"))
    );

    // An inquiry about home insurance brings it into the top 3, with the date.
    post(
        &app,
        "/v1/interactions",
        "inquiry-1",
        json!({"customerId": c, "channel": "phone", "direction": "inbound", "type": "inquiry",
               "subject": "Home insurance for a new flat", "agentId": "agent-7"}),
    );
    let asked = recommend(&app, &c, "");
    assert_eq!(
        codes(&asked),
        ["CARD_GOLD", "FUND_EQUITY_INDEX", "INS_HOME"],
        "{asked}"
    );
    let reason = &asked["items"][2]["reasons"][0];
    assert_eq!(reason["code"], "recent_inquiry");
    assert!(
        reason["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("customer asked about insurance on "))
    );

    // Loyalty card spend: gold tier raises cards.
    post(
        &app,
        &format!("/v1/loyalty/accounts/{c}/earn"),
        "earn-1",
        json!({"eventType": "card_spend", "amount": cny(6_000_000), "reference": "txn-1"}),
    );
    let tier = app.get(&format!("/v1/loyalty/accounts/{c}")).json()["tier"].clone();
    let all = recommend(&app, &c, "?limit=50");
    let gold = all["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|i| i["productCode"] == "CARD_GOLD")
        .expect("gold card offered");
    let has_loyalty = gold["reasons"]
        .as_array()
        .is_some_and(|r| r.iter().any(|r| r["code"] == "loyalty_tier"));
    assert_eq!(
        has_loyalty,
        tier == "gold" || tier == "platinum",
        "tier {tier}"
    );

    // A personal loan application under way: no personal loan offer meanwhile.
    post(
        &app,
        "/v1/loans/applications",
        "loan-1",
        json!({"customerId": c, "product": "personal", "amount": cny(5_000_000),
               "termMonths": 36, "purpose": "furniture", "monthlyIncome": cny(1_200_000),
               "monthlyDebtPayments": cny(0), "creditScore": 720,
               "employmentStatus": "employed", "employmentMonths": 36}),
    );
    let explained = recommend(&app, &c, "?explain=true");
    assert_eq!(
        excluded_by(&explained, "LOAN_PERSONAL").as_deref(),
        Some("loan_application_open")
    );
    assert_eq!(
        excluded_by(&explained, "FUND_TECH_GROWTH").as_deref(),
        Some("risk_above_tolerance")
    );
    assert_eq!(
        excluded_by(&explained, "SALARY_ACCOUNT").as_deref(),
        Some("already_held")
    );

    // Feedback: a dismissal removes the offer; replaying the key records nothing more.
    let top = codes(&explained)[0].clone();
    let body = json!({"productCode": top, "action": "dismissed", "channel": "email"});
    let path = format!("/v1/recommendations/{c}/feedback");
    let recorded = post(&app, &path, "fb-1", body.clone());
    let replay = app.post_json(&path, &body, &[("idempotency-key", "fb-1")]);
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.json(), recorded.json());
    let after = recommend(&app, &c, "?explain=true");
    assert!(!codes(&after).contains(&top));
    assert_eq!(
        excluded_by(&after, &top).as_deref(),
        Some("dismissed_recently")
    );
    let stats = app.get("/v1/recommendations/stats").json();
    assert_eq!(stats["items"][0]["productCode"], top.as_str());
    assert_eq!(stats["items"][0]["dismissed"], 1);

    // A complaint suppresses every sales offer.
    post(
        &app,
        "/v1/interactions",
        "complaint-1",
        json!({"customerId": c, "channel": "branch", "direction": "inbound", "type": "complaint",
               "subject": "Charged twice", "agentId": "agent-7",
               "complaint": {"severity": "medium", "category": "fees_and_charges"}}),
    );
    let suppressed = recommend(&app, &c, "?limit=50");
    assert_eq!(codes(&suppressed), ["DEBIT_CARD", "SAVINGS_BASIC"]);
    assert_eq!(suppressed["notes"][0]["code"], "open_complaint");
}

#[test]
fn consent_catalogue_changes_and_erasure_are_respected_through_the_host() {
    let app = TestApp::spawn();
    let c = customer(&app, 2);

    // No SMS consent: only service products may be sent by SMS.
    let sms = recommend(&app, &c, "?channel=sms&limit=50");
    assert_eq!(codes(&sms), ["DEBIT_CARD", "SAVINGS_BASIC"]);
    assert_eq!(codes(&recommend(&app, &c, "?channel=email")).len(), 3);

    // Retiring the top product through the catalogue takes it out at once.
    let product = app.get("/v1/recommendations/products/CARD_GOLD");
    assert_eq!(product.status, 200);
    let etag = product.header("etag").expect("etag").to_owned();
    let mut body = product.json();
    body["active"] = json!(false);
    if let Some(map) = body.as_object_mut() {
        map.remove("version");
    }
    let put = app.put_json(
        "/v1/recommendations/products/CARD_GOLD",
        &body,
        &[("if-match", &etag)],
    );
    assert_eq!(put.status, 200, "{}", put.text());
    app.put_json(
        "/v1/recommendations/products/CARD_GOLD",
        &body,
        &[("if-match", &etag)],
    )
    .assert_problem(412, "precondition_failed");
    assert!(!codes(&recommend(&app, &c, "")).contains(&"CARD_GOLD".to_owned()));

    app.get("/v1/recommendations/stats?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z")
        .assert_problem(422, "validation_failed");

    let erased = app.request("DELETE", &format!("/v1/customers/{c}"), None, &[]);
    assert!(
        erased.status == 204 || erased.status == 200,
        "{}",
        erased.text()
    );
    app.get(&format!("/v1/recommendations/{c}"))
        .assert_problem(404, "not_found");
}
