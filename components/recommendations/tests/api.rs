//! The HTTP API through `serve`, over rusqlite with the real migrations: ranking, the
//! catalogue with etags, idempotent feedback, statistics, and the refusals.

use crm_http::testing::{TestService, json};
use http::StatusCode;
use recommendations::SERVICE;
use serde_json::{Value, json};

fn app(name: &str) -> TestService<'static> {
    TestService::new(&SERVICE, name)
}

/// A customer row and profile document as the customer-profile service writes them.
fn customer(app: &TestService<'_>, n: u32, status: &str, consent_email: bool) -> String {
    let id = format!("cus_01KAT{n:021}");
    let doc = json!({
        "id": id, "dateOfBirth": "1991-05-10", "segment": "retail", "riskTolerance": "balanced",
        "monthlyIncome": {"amount": 800_000, "currency": "CNY"}, "creditScore": 700,
        "employmentStatus": "employed", "holdings": [],
        "consent": {"marketing": {"email": {"granted": consent_email, "source": "branch",
                                            "updatedAt": "2024-01-01T00:00:00Z"}}},
    });
    app.sql_column(&format!(
        "INSERT INTO customers (id, status, segment, value_tier, kyc_status, risk_tolerance,
            date_of_birth, document, version, created_at, updated_at)
         VALUES ('{id}', '{status}', 'retail', 'standard', 'verified', 'balanced', '1991-05-10',
            '{doc}', 1, 0, 0)"
    ));
    id
}

fn items(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["productCode"].as_str().expect("code").to_owned())
        .collect()
}

fn problem(response: &http::Response<Vec<u8>>, status: u16, code: &str) -> Value {
    let body = json(response);
    assert_eq!(response.status().as_u16(), status, "{body}");
    assert_eq!(body["code"], code, "{body}");
    body
}

fn feedback(app: &TestService<'_>, c: &str, key: &str, body: Value) -> http::Response<Vec<u8>> {
    app.post_json(
        &format!("/v1/recommendations/{c}/feedback"),
        &body,
        &[("idempotency-key", key)],
    )
}

#[test]
fn a_customer_gets_three_explained_offers_by_default() {
    let app = app("api-rank");
    let c = customer(&app, 1, "active", true);
    let r = app.get(&format!("/v1/recommendations/{c}"));
    assert_eq!(r.status(), StatusCode::OK);
    let body = json(&r);
    assert_eq!(
        items(&body),
        ["FUND_BALANCED", "LOAN_AUTO", "SALARY_ACCOUNT"]
    );
    assert_eq!(body["modelVersion"], "rules-2026.1");
    assert!(body["generatedAt"].is_string());
    assert!(body.get("excluded").is_none());
    let first = &body["items"][0];
    assert_eq!(first["name"], "Balanced Fund");
    assert!(first["score"].is_i64());
    assert_eq!(first["reasons"][0]["code"], "risk_match");
    assert_eq!(
        first["reasons"][0]["message"],
        "matches balanced risk tolerance"
    );
}

#[test]
fn limit_and_explain_shape_the_answer() {
    let app = app("api-explain");
    let c = customer(&app, 1, "active", true);
    let body = json(&app.get(&format!("/v1/recommendations/{c}?limit=1&explain=true")));
    assert_eq!(items(&body).len(), 1);
    let excluded = body["excluded"].as_array().expect("excluded");
    let risky = excluded
        .iter()
        .find(|e| e["productCode"] == "FUND_TECH_GROWTH")
        .expect("listed");
    assert_eq!(risky["filter"]["code"], "risk_above_tolerance");
}

#[test]
fn an_outbound_channel_without_consent_removes_sales_offers() {
    let app = app("api-consent");
    let c = customer(&app, 1, "active", false);
    let body = json(&app.get(&format!("/v1/recommendations/{c}?channel=email&limit=50")));
    assert_eq!(
        items(&body),
        ["DEBIT_CARD", "SAVINGS_BASIC"],
        "service products only"
    );
    let in_app = json(&app.get(&format!("/v1/recommendations/{c}?channel=mobile_app")));
    assert_eq!(items(&in_app).len(), 3);
}

#[test]
fn bad_query_parameters_are_422_with_every_field_and_unknown_ones_400() {
    let app = app("api-query");
    let c = customer(&app, 1, "active", true);
    let body = problem(
        &app.get(&format!(
            "/v1/recommendations/{c}?limit=0&channel=fax&explain=yes"
        )),
        422,
        "validation_failed",
    );
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["limit", "channel", "explain"]);
    problem(
        &app.get(&format!("/v1/recommendations/{c}?limt=3")),
        400,
        "invalid_query",
    );
}

#[test]
fn unknown_malformed_and_erased_customers_are_404_and_a_closed_one_gets_nothing() {
    let app = app("api-404");
    let erased = customer(&app, 1, "erased", true);
    for c in ["cus_01KAT000000000000000000099", "nope", erased.as_str()] {
        problem(
            &app.get(&format!("/v1/recommendations/{c}")),
            404,
            "not_found",
        );
    }
    let closed = customer(&app, 2, "closed", true);
    let body = json(&app.get(&format!("/v1/recommendations/{closed}")));
    assert_eq!(body["items"], json!([]));
    assert_eq!(body["notes"][0]["code"], "customer_closed");
}

#[test]
fn the_seed_catalogue_is_there_from_the_first_request_and_pages_by_code() {
    let app = app("api-catalogue");
    let first = json(&app.get("/v1/recommendations/products?limit=10"));
    assert_eq!(first["items"].as_array().map(Vec::len), Some(10));
    let cursor = first["nextCursor"].as_str().expect("more");
    let mut all: Vec<String> = first["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| p["code"].as_str().unwrap_or_default().to_owned())
        .collect();
    let mut next = Some(cursor.to_owned());
    while let Some(cursor) = next {
        let page = json(&app.get(&format!(
            "/v1/recommendations/products?limit=10&cursor={cursor}"
        )));
        all.extend(
            page["items"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| p["code"].as_str().unwrap_or_default().to_owned()),
        );
        next = page["nextCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(all.len(), 24);
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(all, sorted);
    let loans = json(&app.get("/v1/recommendations/products?category=loan"));
    assert_eq!(loans["items"].as_array().map(Vec::len), Some(3));
    assert_eq!(loans["items"][0]["loan"]["product"], "auto");
}

fn put(
    app: &TestService<'_>,
    code: &str,
    body: &Value,
    if_match: Option<&str>,
) -> http::Response<Vec<u8>> {
    let mut headers = vec![("content-type", "application/json")];
    if let Some(tag) = if_match {
        headers.push(("if-match", tag));
    }
    app.request(
        "PUT",
        &format!("/v1/recommendations/products/{code}"),
        Some(&body.to_string()),
        &headers,
    )
}

fn new_product() -> Value {
    json!({"name": "Green Bond Fund", "category": "fund", "riskLevel": 2, "minAge": 18,
           "maxAge": 80, "minMonthlyIncome": {"amount": 0, "currency": "CNY"},
           "segments": ["retail"], "requiresConsent": "marketing"})
}

#[test]
fn a_product_is_created_then_replaced_only_with_its_current_etag() {
    let app = app("api-put");
    let created = put(&app, "FUND_GREEN", &new_product(), None);
    assert_eq!(created.status(), StatusCode::CREATED, "{}", json(&created));
    assert_eq!(created.headers()["etag"], "\"1\"");
    assert_eq!(
        created.headers()["location"],
        "/v1/recommendations/products/FUND_GREEN"
    );
    assert_eq!(json(&created)["active"], true);

    let mut changed = new_product();
    changed["active"] = json!(false);
    problem(
        &put(&app, "FUND_GREEN", &changed, None),
        428,
        "precondition_required",
    );
    problem(
        &put(&app, "FUND_GREEN", &changed, Some("\"7\"")),
        412,
        "precondition_failed",
    );
    let replaced = put(&app, "FUND_GREEN", &changed, Some("\"1\""));
    assert_eq!(replaced.status(), StatusCode::OK);
    assert_eq!(replaced.headers()["etag"], "\"2\"");
    let read = app.get("/v1/recommendations/products/FUND_GREEN");
    assert_eq!(json(&read)["active"], false);
    assert_eq!(json(&read)["version"], 2);
    problem(
        &app.get("/v1/recommendations/products/NOPE"),
        404,
        "not_found",
    );
}

#[test]
fn an_invalid_product_is_refused_with_every_field_and_nothing_is_written() {
    let app = app("api-put-invalid");
    let body = json!({"code": "OTHER", "name": "", "category": "loan", "riskLevel": 6,
                      "minAge": 30, "maxAge": 20, "minMonthlyIncome": {"amount": -1, "currency": "CNY"},
                      "segments": [], "requiresConsent": "none"});
    let errors = problem(
        &put(&app, "LOAN_BAD", &body, None),
        422,
        "validation_failed",
    );
    assert_eq!(
        errors["errors"].as_array().map(Vec::len),
        Some(6),
        "{errors}"
    );
    let wrong_type = json!({"name": "x", "category": "car", "riskLevel": 1, "minAge": 1,
                            "maxAge": 2, "minMonthlyIncome": {"amount": 0, "currency": "CNY"},
                            "requiresConsent": "none"});
    problem(
        &put(&app, "X_CAR", &wrong_type, None),
        422,
        "validation_failed",
    );
    let mut unknown = new_product();
    unknown["colour"] = json!("green");
    problem(&put(&app, "FUND_X", &unknown, None), 400, "unknown_field");
    assert_eq!(
        app.sql_column("SELECT count(*) FROM recommendation_products"),
        ["24"]
    );
}

#[test]
fn feedback_is_recorded_once_per_key_and_changes_the_next_ranking() {
    let app = app("api-feedback");
    let c = customer(&app, 1, "active", true);
    let body =
        json!({"productCode": "FUND_BALANCED", "action": "dismissed", "channel": "mobile_app"});
    let first = feedback(&app, &c, "fb-1", body.clone());
    assert_eq!(first.status(), StatusCode::CREATED, "{}", json(&first));
    let record = json(&first);
    assert!(
        record["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("rfb_"))
    );
    let replay = feedback(&app, &c, "fb-1", body.clone());
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(json(&replay), record);
    assert_eq!(
        app.sql_column("SELECT count(*) FROM recommendation_feedback"),
        ["1"]
    );
    let mut other = body.clone();
    other["action"] = json!("shown");
    problem(&feedback(&app, &c, "fb-1", other), 422, "validation_failed");

    let ranked = json(&app.get(&format!("/v1/recommendations/{c}")));
    assert!(!items(&ranked).contains(&"FUND_BALANCED".to_owned()));
}

#[test]
fn feedback_refusals_write_nothing() {
    let app = app("api-feedback-bad");
    let c = customer(&app, 1, "active", true);
    let ok = json!({"productCode": "FUND_BALANCED", "action": "shown", "channel": "email"});
    let path = format!("/v1/recommendations/{c}/feedback");
    problem(
        &app.post_json(&path, &ok, &[]),
        400,
        "missing_idempotency_key",
    );
    let mut unknown = ok.clone();
    unknown["productCode"] = json!("NOPE");
    problem(&feedback(&app, &c, "k1", unknown), 422, "validation_failed");
    let mut bad_action = ok.clone();
    bad_action["action"] = json!("liked");
    problem(
        &feedback(&app, &c, "k2", bad_action),
        422,
        "validation_failed",
    );
    let mut extra = ok.clone();
    extra["score"] = json!(1);
    problem(&feedback(&app, &c, "k3", extra), 400, "unknown_field");
    problem(
        &feedback(&app, "cus_01KAT000000000000000000099", "k4", ok),
        404,
        "not_found",
    );
    assert_eq!(
        app.sql_column("SELECT count(*) FROM recommendation_feedback"),
        ["0"]
    );
}

#[test]
fn stats_count_feedback_per_product_in_the_period() {
    let app = app("api-stats");
    let c = customer(&app, 1, "active", true);
    for (i, action) in ["shown", "shown", "shown", "accepted", "clicked"]
        .iter()
        .enumerate()
    {
        let r = feedback(
            &app,
            &c,
            &format!("k{i}"),
            json!({"productCode": "DEPOSIT_1Y", "action": action, "channel": "web"}),
        );
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let body = json(&app.get("/v1/recommendations/stats"));
    assert_eq!(
        body["items"],
        json!([{"productCode": "DEPOSIT_1Y", "name": "One-Year Term Deposit", "shown": 3,
                "clicked": 1, "accepted": 1, "dismissed": 0, "acceptanceRate": "0.3333"}])
    );
    let empty = json(
        &app.get("/v1/recommendations/stats?from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z"),
    );
    assert_eq!(empty["items"], json!([]));
}

#[test]
fn stats_refuse_a_bad_or_backward_or_overlong_period() {
    let app = app("api-stats-bad");
    for (query, field) in [
        ("from=yesterday", "from"),
        ("from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", "to"),
        ("from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "from"),
    ] {
        let body = problem(
            &app.get(&format!("/v1/recommendations/stats?{query}")),
            422,
            "validation_failed",
        );
        assert_eq!(body["errors"][0]["field"], field, "{query}");
    }
}

#[test]
fn acceptance_rates_round_half_up_to_four_places() {
    use recommendations::handlers::acceptance_rate;
    assert_eq!(acceptance_rate(1, 3).as_deref(), Some("0.3333"));
    assert_eq!(acceptance_rate(2, 3).as_deref(), Some("0.6667"));
    assert_eq!(acceptance_rate(3, 3).as_deref(), Some("1.0000"));
    assert_eq!(acceptance_rate(1, 0), None);
}

#[test]
fn literal_paths_win_over_a_customer_id_and_wrong_methods_are_405() {
    let app = app("api-routes");
    assert_eq!(
        app.get("/v1/recommendations/health").status(),
        StatusCode::OK
    );
    let r = app.request("DELETE", "/v1/recommendations/products", None, &[]);
    problem(&r, 405, "method_not_allowed");
    problem(&app.get("/v1/recommendations/a/b/c"), 404, "not_found");
}
