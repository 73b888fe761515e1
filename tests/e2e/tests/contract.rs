//! The contract: the validator itself, the served document, and a walk through every
//! service whose every response must validate against `openapi/openapi.yaml`.

use crm_e2e::contract;

use crm_e2e::{TestApp, TestResponse};
use serde_json::{Value, json};

fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

const PROBLEM_404: &str = r#"{"type":"https://errors.example/not_found","title":"Resource not found","status":404,"detail":"no such customer","code":"not_found","requestId":"req_1"}"#;

#[test]
fn a_documented_problem_validates() {
    let headers = h(&[
        ("content-type", "application/problem+json"),
        ("x-request-id", "req_1"),
    ]);
    contract::check(
        "GET",
        "/v1/customers/cus_01M8SR3G97GW241MRV1RDDT509",
        404,
        &headers,
        PROBLEM_404.as_bytes(),
    )
    .expect("valid");
}

#[test]
fn a_status_the_operation_does_not_list_is_refused() {
    let headers = h(&[
        ("content-type", "application/problem+json"),
        ("x-request-id", "req_1"),
    ]);
    let err = contract::check(
        "GET",
        "/v1/loyalty/rules",
        404,
        &headers,
        PROBLEM_404.as_bytes(),
    )
    .expect_err("404 is not listed for GET /v1/loyalty/rules");
    assert!(err.contains("not listed"), "{err}");
}

#[test]
fn a_body_missing_a_required_member_is_refused_with_its_path() {
    let headers = h(&[("content-type", "application/json"), ("x-request-id", "r")]);
    let body = br#"{"status":"ok","component":"loyalty","version":"0.1.0","database":"ok","keyValue":"ok"}"#;
    let err = contract::check("GET", "/v1/loyalty/health", 200, &headers, body)
        .expect_err("schemaVersion is required");
    assert!(err.contains("schemaVersion"), "{err}");
}

#[test]
fn a_content_type_the_document_does_not_list_is_refused() {
    let headers = h(&[("content-type", "text/plain"), ("x-request-id", "r")]);
    let err = contract::check("GET", "/v1/loyalty/health", 200, &headers, b"ok")
        .expect_err("text/plain is not listed");
    assert!(err.contains("content-type"), "{err}");
}

#[test]
fn a_missing_required_header_is_refused() {
    let headers = h(&[("content-type", "application/json"), ("x-request-id", "r")]);
    let body = br#"{"actor":"system","createdAt":"2026-12-01T21:27:25.500Z","downgrade":{"policy":"retain","retainMonths":12},"earning":{},"expiryMonths":24,"tiers":[],"version":1}"#;
    let err = contract::check("GET", "/v1/loyalty/rules", 200, &headers, body)
        .expect_err("etag is required");
    assert!(err.contains("etag"), "{err}");
}

#[test]
fn an_undocumented_method_must_be_a_405_with_allow() {
    let problem = r#"{"type":"https://errors.example/method_not_allowed","title":"Method not allowed","status":405,"detail":"allowed methods: GET, HEAD","code":"method_not_allowed","requestId":"r"}"#;
    let ok = h(&[
        ("content-type", "application/problem+json"),
        ("allow", "GET, HEAD"),
        ("x-request-id", "r"),
    ]);
    contract::check("DELETE", "/v1/loans/health", 405, &ok, problem.as_bytes()).expect("405");
    let err = contract::check("DELETE", "/v1/loans/health", 200, &ok, b"{}")
        .expect_err("DELETE is not documented");
    assert!(err.contains("405"), "{err}");
}

#[test]
fn literal_segments_win_over_parameters() {
    let headers = h(&[("content-type", "application/json"), ("x-request-id", "r")]);
    // Valid for the segment summary, not for a customer: the literal template is used.
    let body = br#"{"total":0,"bySegment":{},"byValueTier":{},"byStatus":{},"generatedAt":"2026-12-01T21:27:51.847Z"}"#;
    contract::check("GET", "/v1/customers/segments/summary", 200, &headers, body).expect("summary");
}

#[test]
fn the_app_serves_the_document_in_the_repository() {
    let app = TestApp::spawn();
    let response = app.get("/v1/openapi.json");
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json(), *contract::document());
    let etag = response.header("etag").expect("etag").to_owned();
    let again = app.get_with("/v1/openapi.json", &[("if-none-match", &etag)]);
    assert_eq!(again.status, 304);
    validate(&app, "GET", "/v1/openapi.json", &response);
}

#[test]
fn every_operation_names_its_statuses_and_a_unique_operation_id() {
    let doc = contract::document();
    let mut ids = std::collections::BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if method == "parameters" {
                continue;
            }
            let id = op["operationId"].as_str().expect("operationId");
            assert!(ids.insert(id.to_owned()), "{id} is used twice");
            let responses = op["responses"].as_object().expect("responses");
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{method} {path} lists no success"
            );
            let public = op["security"] == json!([]);
            assert_eq!(
                responses.contains_key("401"),
                !public,
                "{method} {path}: 401 iff a token is needed"
            );
        }
    }
}

/// Asserts that `response` to `method path` validates against the contract.
fn validate(_app: &TestApp, method: &str, path: &str, response: &TestResponse) {
    if let Err(e) = contract::check(
        method,
        path,
        response.status,
        &response.headers,
        &response.body,
    ) {
        panic!("contract violation: {e}");
    }
}

/// Sends a request and validates the answer.
fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> TestResponse {
    let text = body.map(Value::to_string);
    let mut all = headers.to_vec();
    if body.is_some() && !headers.iter().any(|(n, _)| *n == "content-type") {
        all.push(("content-type", "application/json"));
    }
    let response = app.request(method, path, text.as_deref().map(str::as_bytes), &all);
    validate(app, method, path, &response);
    response
}

fn cny(minor: i64) -> Value {
    json!({"amount": minor, "currency": "CNY"})
}

#[test]
fn every_service_answers_within_the_contract_on_the_main_story_and_its_refusals() {
    let app = TestApp::spawn();
    for prefix in [
        "customers",
        "interactions",
        "loyalty",
        "loans",
        "recommendations",
    ] {
        send(&app, "GET", &format!("/v1/{prefix}/health"), None, &[]);
        send(&app, "HEAD", &format!("/v1/{prefix}/health"), None, &[]);
        send(&app, "DELETE", &format!("/v1/{prefix}/health"), None, &[]);
        send(
            &app,
            "GET",
            &format!("/v1/{prefix}/no/such/thing"),
            None,
            &[],
        );
    }

    // Customers.
    let draft = json!({
        "fullName": "Chen Jing", "dateOfBirth": "1985-06-15", "nationalId": "310101198506150001",
        "nationalIdCountry": "CN", "email": "chen.jing@example.com", "phone": "+8613912345678",
        "address": {"line1": "1 Bund Road", "city": "Shanghai", "country": "CN"},
        "kycStatus": "verified", "segment": "mass_affluent", "riskTolerance": "growth",
        "monthlyIncome": cny(4_500_000), "totalAssets": cny(120_000_000), "creditScore": 760,
        "employmentStatus": "employed",
        "holdings": [{"productCode": "SALARY_ACCOUNT", "openedAt": "2020-01-01T00:00:00Z"}],
        "tags": [{"family": "customer_value", "name": "high_potential"}],
        "consent": {"marketing": {"email": {"granted": true, "source": "branch"}}}
    });
    let created = send(
        &app,
        "POST",
        "/v1/customers",
        Some(&draft),
        &[("idempotency-key", "c1")],
    );
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["id"].as_str().expect("id").to_owned();
    send(
        &app,
        "POST",
        "/v1/customers",
        Some(&draft),
        &[("idempotency-key", "c1")],
    );
    send(
        &app,
        "POST",
        "/v1/customers",
        Some(&draft),
        &[("idempotency-key", "c2")],
    );
    send(&app, "POST", "/v1/customers", Some(&draft), &[]);
    send(
        &app,
        "POST",
        "/v1/customers",
        Some(&json!({"fullName": ""})),
        &[("idempotency-key", "c3")],
    );
    send(
        &app,
        "POST",
        "/v1/customers",
        Some(&json!({"nope": 1})),
        &[("idempotency-key", "c4")],
    );
    let cust = format!("/v1/customers/{id}");
    let got = send(&app, "GET", &cust, None, &[]);
    let etag = got.header("etag").expect("etag").to_owned();
    let merge = [("content-type", "application/merge-patch+json")];
    send(
        &app,
        "PATCH",
        &cust,
        Some(&json!({"segment": "private"})),
        &merge,
    );
    send(
        &app,
        "PATCH",
        &cust,
        Some(&json!({"phone": null})),
        &[merge[0], ("if-match", &etag)],
    );
    send(
        &app,
        "PATCH",
        &cust,
        Some(&json!({"segment": "private"})),
        &[merge[0], ("if-match", &etag)],
    );
    send(&app, "PUT", &cust, Some(&json!({})), &[]);
    send(
        &app,
        "GET",
        "/v1/customers?limit=2&segment=mass_affluent",
        None,
        &[],
    );
    send(&app, "GET", "/v1/customers?limit=0", None, &[]);
    send(&app, "GET", "/v1/customers?limt=2", None, &[]);
    send(&app, "GET", "/v1/customers/segments/summary", None, &[]);
    send(&app, "GET", "/v1/customers/cus_nope", None, &[]);

    // Interactions.
    let contact = json!({"customerId": id, "channel": "branch", "direction": "inbound",
        "type": "inquiry", "subject": "Asked about savings", "agentId": "teller-4"});
    let logged = send(
        &app,
        "POST",
        "/v1/interactions",
        Some(&contact),
        &[("idempotency-key", "i1")],
    );
    let interaction = logged.json()["id"].as_str().expect("id").to_owned();
    let complaint = json!({"customerId": id, "channel": "phone", "direction": "inbound",
        "type": "complaint", "subject": "Fee charged twice", "agentId": "cc-1",
        "complaint": {"severity": "high", "category": "fees_and_charges"}});
    let opened = send(
        &app,
        "POST",
        "/v1/interactions",
        Some(&complaint),
        &[("idempotency-key", "i2")],
    );
    let case = opened.json()["complaintId"]
        .as_str()
        .expect("case")
        .to_owned();
    send(
        &app,
        "POST",
        "/v1/interactions",
        Some(&json!({"customerId": id})),
        &[("idempotency-key", "i3")],
    );
    send(
        &app,
        "GET",
        &format!("/v1/interactions/{interaction}"),
        None,
        &[],
    );
    send(
        &app,
        "GET",
        &format!("/v1/interactions?customerId={id}&limit=1"),
        None,
        &[],
    );
    send(&app, "GET", "/v1/interactions", None, &[]);
    let case_path = format!("/v1/interactions/complaints/{case}");
    send(&app, "GET", &case_path, None, &[]);
    send(
        &app,
        "GET",
        &format!("/v1/interactions/complaints?customerId={id}"),
        None,
        &[],
    );
    let move_to = |to: &str| json!({"to": to, "note": "why", "assignee": "agent-9"});
    let transitions = format!("{case_path}/transitions");
    send(&app, "POST", &transitions, Some(&move_to("assigned")), &[]);
    send(
        &app,
        "POST",
        &transitions,
        Some(&move_to("assigned")),
        &[("if-match", "\"1\"")],
    );
    send(
        &app,
        "POST",
        &transitions,
        Some(&move_to("assigned")),
        &[("if-match", "\"1\"")],
    );
    send(
        &app,
        "POST",
        &transitions,
        Some(&json!({"to": "closed", "note": "x"})),
        &[("if-match", "\"2\"")],
    );
    let survey = json!({"customerId": id, "kind": "nps", "score": 9, "interactionId": interaction});
    let answered = send(
        &app,
        "POST",
        "/v1/interactions/surveys",
        Some(&survey),
        &[("idempotency-key", "s1")],
    );
    let survey_id = answered.json()["id"].as_str().expect("id").to_owned();
    send(
        &app,
        "POST",
        "/v1/interactions/surveys",
        Some(&survey),
        &[("idempotency-key", "s2")],
    );
    send(
        &app,
        "POST",
        "/v1/interactions/surveys",
        Some(&json!({"customerId": id, "kind": "csat", "score": 9})),
        &[("idempotency-key", "s3")],
    );
    send(
        &app,
        "GET",
        &format!("/v1/interactions/surveys/{survey_id}"),
        None,
        &[],
    );
    send(&app, "GET", "/v1/interactions/surveys/summary", None, &[]);

    // Loyalty.
    let account = format!("/v1/loyalty/accounts/{id}");
    let earn = json!({"eventType": "card_spend", "amount": cny(1_250_000), "reference": "txn-1"});
    let earned = send(
        &app,
        "POST",
        &format!("{account}/earn"),
        Some(&earn),
        &[("idempotency-key", "e1")],
    );
    let earn_id = earned.json()["id"].as_str().expect("id").to_owned();
    send(
        &app,
        "POST",
        &format!("{account}/earn"),
        Some(&earn),
        &[("idempotency-key", "e1")],
    );
    send(
        &app,
        "POST",
        &format!("{account}/earn"),
        Some(&earn),
        &[("idempotency-key", "e2")],
    );
    let redeem = json!({"points": 100, "rewardCode": "AIRMILES-1K", "reference": "order-1"});
    let redeemed = send(
        &app,
        "POST",
        &format!("{account}/redeem"),
        Some(&redeem),
        &[("idempotency-key", "r1")],
    );
    let redeem_id = redeemed.json()["id"].as_str().expect("id").to_owned();
    send(
        &app,
        "POST",
        &format!("{account}/redeem"),
        Some(&json!({"points": 1_000_000, "rewardCode": "X", "reference": "order-2"})),
        &[("idempotency-key", "r2")],
    );
    send(
        &app,
        "POST",
        &format!("{account}/adjust"),
        Some(&json!({"points": 50, "reason": "goodwill", "reference": "case-1"})),
        &[("idempotency-key", "a1")],
    );
    let reverse = format!("/v1/loyalty/entries/{redeem_id}/reverse");
    send(
        &app,
        "POST",
        &reverse,
        Some(&json!({"reason": "cancelled"})),
        &[("idempotency-key", "v1")],
    );
    send(
        &app,
        "POST",
        &reverse,
        Some(&json!({"reason": "again"})),
        &[("idempotency-key", "v2")],
    );
    send(
        &app,
        "GET",
        &format!("/v1/loyalty/entries/{redeem_id}"),
        None,
        &[],
    );
    send(
        &app,
        "GET",
        &format!("/v1/loyalty/entries/{earn_id}"),
        None,
        &[],
    );
    send(&app, "GET", &account, None, &[]);
    send(&app, "GET", &format!("{account}/ledger?limit=2"), None, &[]);
    send(&app, "GET", &format!("{account}/reconciliation"), None, &[]);
    let rules = send(&app, "GET", "/v1/loyalty/rules", None, &[]).json();
    send(&app, "GET", "/v1/loyalty/rules/1", None, &[]);
    let mut draft_rules = rules.clone();
    if let Some(map) = draft_rules.as_object_mut() {
        for k in ["version", "createdAt", "actor"] {
            map.remove(k);
        }
    }
    send(&app, "PUT", "/v1/loyalty/rules", Some(&draft_rules), &[]);
    send(
        &app,
        "PUT",
        "/v1/loyalty/rules",
        Some(&draft_rules),
        &[("if-match", "\"1\"")],
    );
    send(
        &app,
        "PUT",
        "/v1/loyalty/rules",
        Some(&draft_rules),
        &[("if-match", "\"1\"")],
    );
    send(
        &app,
        "POST",
        "/v1/loyalty/expiry-runs",
        Some(&json!({"asOf": "2026-01-01T00:00:00Z"})),
        &[],
    );

    // Loans.
    let application = json!({"customerId": id, "product": "personal", "amount": cny(10_000_000),
        "termMonths": 36, "purpose": "home renovation", "monthlyIncome": cny(4_500_000),
        "monthlyDebtPayments": cny(200_000), "creditScore": 760, "employmentStatus": "employed",
        "employmentMonths": 48});
    send(&app, "POST", "/v1/loans/quote", Some(&application), &[]);
    let mut big = application.clone();
    big["product"] = json!("mortgage");
    big["amount"] = cny(900_000_000);
    big["termMonths"] = json!(120);
    send(&app, "POST", "/v1/loans/quote", Some(&big), &[]);
    let applied = send(
        &app,
        "POST",
        "/v1/loans/applications",
        Some(&application),
        &[("idempotency-key", "l1")],
    );
    let loan = applied.json()["id"].as_str().expect("id").to_owned();
    send(
        &app,
        "POST",
        "/v1/loans/applications",
        Some(&application),
        &[("idempotency-key", "l2")],
    );
    send(
        &app,
        "POST",
        "/v1/loans/applications",
        Some(&json!({"termMonths": 0})),
        &[("idempotency-key", "l3")],
    );
    let loan_path = format!("/v1/loans/applications/{loan}");
    send(&app, "GET", &loan_path, None, &[]);
    send(
        &app,
        "GET",
        &format!("/v1/loans/applications?customerId={id}"),
        None,
        &[],
    );
    send(
        &app,
        "POST",
        &format!("{loan_path}/replay"),
        Some(&json!({})),
        &[],
    );
    let accept = json!({"to": "accepted", "note": "signed"});
    send(
        &app,
        "POST",
        &format!("{loan_path}/transitions"),
        Some(&accept),
        &[("if-match", "\"1\"")],
    );
    send(
        &app,
        "POST",
        &format!("{loan_path}/transitions"),
        Some(&accept),
        &[("if-match", "\"2\"")],
    );
    let policy = send(&app, "GET", "/v1/loans/policy", None, &[]).json();
    send(&app, "GET", "/v1/loans/policy/1", None, &[]);
    send(&app, "GET", "/v1/loans/policy/99", None, &[]);
    let mut draft_policy = policy.clone();
    if let Some(map) = draft_policy.as_object_mut() {
        map.remove("version");
        map.remove("createdAt");
        map.remove("actor");
    }
    send(
        &app,
        "PUT",
        "/v1/loans/policy",
        Some(&draft_policy),
        &[("if-match", "\"1\"")],
    );

    // Recommendations.
    send(
        &app,
        "GET",
        &format!("/v1/recommendations/{id}?explain=true"),
        None,
        &[],
    );
    send(
        &app,
        "GET",
        &format!("/v1/recommendations/{id}?limit=0&channel=fax"),
        None,
        &[],
    );
    let feedback = json!({"productCode": "CARD_GOLD", "action": "shown", "channel": "mobile_app"});
    send(
        &app,
        "POST",
        &format!("/v1/recommendations/{id}/feedback"),
        Some(&feedback),
        &[("idempotency-key", "f1")],
    );
    send(&app, "GET", "/v1/recommendations/stats", None, &[]);
    send(
        &app,
        "GET",
        "/v1/recommendations/products?limit=2",
        None,
        &[],
    );
    send(
        &app,
        "GET",
        "/v1/recommendations/products/LOAN_AUTO",
        None,
        &[],
    );
    let product = json!({"name": "Test Fund", "category": "fund", "riskLevel": 2, "minAge": 18,
        "maxAge": 80, "minMonthlyIncome": cny(0), "segments": [], "requiresConsent": "marketing"});
    send(
        &app,
        "PUT",
        "/v1/recommendations/products/TEST_FUND",
        Some(&product),
        &[],
    );
    send(
        &app,
        "PUT",
        "/v1/recommendations/products/TEST_FUND",
        Some(&product),
        &[],
    );
    send(
        &app,
        "PUT",
        "/v1/recommendations/products/TEST_FUND",
        Some(&product),
        &[("if-match", "\"1\"")],
    );

    // The 360° view, then erasure.
    send(&app, "GET", &format!("{cust}/360"), None, &[]);
    send(&app, "DELETE", &cust, None, &[]);
    send(&app, "GET", &cust, None, &[]);
    send(&app, "GET", &format!("{cust}/360"), None, &[]);
}

/// `clients/typescript` with its npm dependencies installed, or `None` where npm is not
/// installed (a fresh machine); CI sets `CRM_REQUIRE_NPM` so the checks cannot be skipped
/// there.
fn typescript_client() -> Option<std::path::PathBuf> {
    // Once per test binary: two tests running `npm ci` in one directory at once would
    // trample each other.
    static CLIENT: std::sync::OnceLock<Option<std::path::PathBuf>> = std::sync::OnceLock::new();
    CLIENT.get_or_init(install_typescript_client).clone()
}

fn install_typescript_client() -> Option<std::path::PathBuf> {
    use std::process::Command;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../clients/typescript");
    if Command::new("npm").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("CRM_REQUIRE_NPM").is_none(),
            "CRM_REQUIRE_NPM is set but npm is not installed"
        );
        eprintln!("npm is not installed: the check did not run");
        return None;
    }
    // npm ci when the lock file names a package node_modules lacks (a new dev dependency).
    let lock = std::fs::read_to_string(dir.join("package-lock.json")).expect("package-lock.json");
    let installed = |name: &str| dir.join("node_modules").join(name).is_dir();
    let stale = ["@redocly/cli", "openapi-typescript", "typescript"]
        .iter()
        .any(|name| lock.contains(&format!("\"node_modules/{name}\"")) && !installed(name));
    if stale {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .status()
            .expect("run npm ci");
        assert!(status.success(), "npm ci failed in clients/typescript");
    }
    Some(dir)
}

fn npm_run(dir: &std::path::Path, script: &str) -> std::process::Output {
    std::process::Command::new("npm")
        .args(["run", "--silent", script])
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("run npm run {script}: {e}"))
}

/// The checked-in TypeScript types are what openapi-typescript generates from the
/// document now, and the usage example type-checks against them.
#[test]
fn the_typescript_types_are_generated_from_the_current_document() {
    let Some(dir) = typescript_client() else {
        return;
    };
    let output = npm_run(&dir, "check");
    assert!(
        output.status.success(),
        "clients/typescript is stale or does not type-check; run `npm run generate` there\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The document passes Redocly's recommended rules with every warning an error
/// (redocly.yaml); the findings kept on purpose are listed with their reasons in
/// .redocly.lint-ignore.yaml.
#[test]
fn the_contract_lints_clean() {
    let Some(dir) = typescript_client() else {
        return;
    };
    let output = npm_run(&dir, "lint");
    assert!(
        output.status.success(),
        "redocly lint found problems in openapi/openapi.yaml (clients/typescript: npm run lint)\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
