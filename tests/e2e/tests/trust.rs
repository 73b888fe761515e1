//! What a bank's security review asked of the edge, through the running components:
//! one kind of principal per token, ids in one canonical form everywhere, and
//! idempotency keys that belong to one caller and one resource.

use crm_e2e::TestApp;
use crm_e2e::fixtures::{create_customer, customer_body};
use serde_json::Value;

fn audited_ids(app: &TestApp, customer: &str) -> Vec<(String, Value)> {
    let r = app
        .as_user("aud-1", &["auditor"])
        .get(&format!("/v1/customers/{customer}/audit?limit=200"));
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                i["action"].as_str().unwrap_or_default().to_owned(),
                i["customerId"].clone(),
            )
        })
        .collect()
}

#[test]
fn a_token_that_is_both_a_customer_and_staff_is_refused() {
    let app = TestApp::spawn();
    let c = create_customer(&app, 1);
    for roles in [&["customer", "teller"][..], &["admin", "customer"][..]] {
        let caller = app.as_user(&c, roles);
        caller
            .get(&format!("/v1/customers/{c}"))
            .assert_problem(401, "invalid_token");
        caller
            .get("/v1/customers")
            .assert_problem(401, "invalid_token");
    }
    // Either principal alone still works.
    assert_eq!(
        app.as_user(&c, &["customer"])
            .get(&format!("/v1/customers/{c}"))
            .status,
        200
    );
    assert_eq!(
        app.as_user("t-1", &["teller"]).get("/v1/customers").status,
        200
    );
}

#[test]
fn an_id_in_another_letter_case_is_the_same_customer_in_the_audit_trail() {
    let app = TestApp::spawn();
    let c = create_customer(&app, 2);
    let lower = c.to_lowercase();
    let shouted = c.to_uppercase();
    for variant in [&lower, &shouted] {
        let r = app
            .as_user("t-1", &["teller"])
            .get(&format!("/v1/customers/{variant}"));
        assert_eq!(r.status, 200, "{variant}: {}", r.text());
        assert_eq!(r.json()["id"], c.as_str());
    }
    let reads: Vec<_> = audited_ids(&app, &c)
        .into_iter()
        .filter(|(action, _)| action == "customer.read")
        .collect();
    assert_eq!(
        reads.len(),
        2,
        "both reads are in the customer's own trail: {reads:?}"
    );
    assert!(
        reads.iter().all(|(_, id)| id.as_str() == Some(c.as_str())),
        "{reads:?}"
    );
    // A customer token written in another case is the same customer too.
    let me = app.as_user(&lower, &["customer"]);
    assert_eq!(me.get(&format!("/v1/customers/{c}")).status, 200);
}

#[test]
fn one_idempotency_key_creates_once_through_any_spelling_of_the_path() {
    let app = TestApp::spawn();
    let headers = [("idempotency-key", "one-key")];
    let first = app.post_json("/v1/customers", &customer_body(3), &headers);
    assert_eq!(first.status, 201, "{}", first.text());
    let again = app.post_json("/v1/customers/", &customer_body(3), &headers);
    assert_eq!(again.status, 201, "{}", again.text());
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.json()["id"], first.json()["id"]);
    let list = app.get("/v1/customers?limit=200").json();
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "{list}");
}

#[test]
fn an_idempotency_key_is_the_callers_own_and_never_replays_another_callers_answer() {
    let app = TestApp::spawn();
    let headers = [("idempotency-key", "shared-by-accident")];
    let a = app.as_user("teller-a", &["teller"]).post_json(
        "/v1/customers",
        &customer_body(4),
        &headers,
    );
    assert_eq!(a.status, 201, "{}", a.text());
    // Another teller's request under the same key is theirs: it runs, and it never sees
    // the first teller's stored answer.
    let b = app.as_user("teller-b", &["teller"]).post_json(
        "/v1/customers",
        &customer_body(5),
        &headers,
    );
    assert_eq!(b.status, 201, "{}", b.text());
    assert_eq!(b.header("idempotent-replayed"), None);
    assert_ne!(b.json()["id"], a.json()["id"]);
}

#[test]
fn who_acted_is_the_tokens_subject_and_no_body_can_name_someone_else() {
    let app = TestApp::spawn();
    let c = create_customer(&app, 6);
    let agent = app.as_user("cc-17", &["call_centre"]);
    let complaint = agent.post_json(
        "/v1/interactions",
        &serde_json::json!({
            "customerId": c, "channel": "phone", "direction": "inbound", "type": "complaint",
            "subject": "Card fee", "outcome": "escalated", "sentiment": "negative",
            "agentId": "agent-1",
            "complaint": {"category": "fees_and_charges", "severity": "high"}
        }),
        &[("idempotency-key", "who-1")],
    );
    assert_eq!(complaint.status, 201, "{}", complaint.text());
    let case = complaint.json()["complaintId"]
        .as_str()
        .expect("case")
        .to_owned();
    let path = format!("/v1/interactions/complaints/{case}/transitions");
    // A transition no longer needs (or accepts) an actor: it is the caller.
    agent
        .json(
            "POST",
            &path,
            &serde_json::json!({"to": "assigned", "note": "n", "assignee": "a-2", "actor": "someone-else"}),
            &[("if-match", "\"1\"")],
        )
        .assert_problem(400, "unknown_field");
    let moved = agent.json(
        "POST",
        &path,
        &serde_json::json!({"to": "assigned", "note": "to the fees desk", "assignee": "a-2"}),
        &[("if-match", "\"1\"")],
    );
    assert_eq!(moved.status, 200, "{}", moved.text());
    let history = moved.json()["history"].clone();
    assert_eq!(
        history[0]["actor"], "cc-17",
        "opened by who logged it: {history}"
    );
    assert_eq!(
        history[1]["actor"], "cc-17",
        "moved by the caller: {history}"
    );

    let teller = app.as_user("teller-3", &["teller"]);
    let earn = |body: Value, key: &str| {
        teller.post_json(
            &format!("/v1/loyalty/accounts/{c}/earn"),
            &body,
            &[("idempotency-key", key)],
        )
    };
    earn(
        serde_json::json!({"eventType": "card_spend", "points": 5, "reference": "r1", "actor": "card-feed"}),
        "e1",
    )
    .assert_problem(400, "unknown_field");
    let entry = earn(
        serde_json::json!({"eventType": "card_spend", "amount": {"amount": 10_000, "currency": "CNY"}, "reference": "r1"}),
        "e2",
    );
    assert_eq!(entry.status, 201, "{}", entry.text());
    assert_eq!(entry.json()["actor"], "teller-3");
}

#[test]
fn only_compliance_verifies_kyc_and_a_new_national_id_must_be_verified_again() {
    let app = TestApp::spawn();
    let teller = app.as_user("t-1", &["teller"]);
    let mut body = customer_body(7);
    body["kycStatus"] = serde_json::json!("pending");
    let created = teller.post_json("/v1/customers", &body, &[("idempotency-key", "kyc-1")]);
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["id"].as_str().expect("id").to_owned();
    let patch = |who: &crm_e2e::Caller<'_>, etag: &str, change: Value| {
        who.json(
            "PATCH",
            &format!("/v1/customers/{id}"),
            &change,
            &[
                ("if-match", etag),
                ("content-type", "application/merge-patch+json"),
            ],
        )
    };
    let agent = app.as_user("cc-1", &["call_centre"]);
    let refused = patch(
        &agent,
        "\"1\"",
        serde_json::json!({"kycStatus": "verified"}),
    );
    let problem = refused.assert_problem(403, "field_not_writable");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("kycStatus")
    );
    patch(&agent, "\"1\"", serde_json::json!({"creditScore": 850}))
        .assert_problem(403, "field_not_writable");
    let kyc = app.as_user("k-1", &["kyc_officer"]);
    let verified = patch(&kyc, "\"1\"", serde_json::json!({"kycStatus": "verified"}));
    assert_eq!(verified.status, 200, "{}", verified.text());
    assert_eq!(verified.json()["kycStatus"], "verified");
    let moved = patch(
        &kyc,
        "\"2\"",
        serde_json::json!({"nationalId": "310101198506099999"}),
    );
    assert_eq!(moved.status, 200, "{}", moved.text());
    assert_eq!(
        moved.json()["kycStatus"],
        "pending",
        "the new document is not verified yet"
    );
}

#[test]
fn a_duplicate_national_id_is_not_a_lookup_of_whose_id_it_is() {
    let app = TestApp::spawn();
    let first = create_customer(&app, 8);
    let teller = app.as_user("t-1", &["teller"]);
    let again = teller.post_json(
        "/v1/customers",
        &customer_body(8),
        &[("idempotency-key", "dup-1")],
    );
    let problem = again.assert_problem(409, "duplicate_national_id");
    assert!(problem.get("existingId").is_none(), "{problem}");
    assert!(!again.text().contains(&first), "{}", again.text());
    // Compliance, who sees national ids in full, is told which customer has it.
    let admin = app.post_json(
        "/v1/customers",
        &customer_body(8),
        &[("idempotency-key", "dup-2")],
    );
    let problem = admin.assert_problem(409, "duplicate_national_id");
    assert_eq!(problem["existingId"], first.as_str());
}

#[test]
fn a_customer_cannot_stuff_satisfaction_surveys() {
    let app = TestApp::spawn();
    let c = create_customer(&app, 9);
    let me = app.as_user(&c, &["customer"]);
    let answer = |key: &str, score: i64| {
        me.post_json(
            "/v1/interactions/surveys",
            &serde_json::json!({"customerId": c, "kind": "nps", "score": score}),
            &[("idempotency-key", key)],
        )
    };
    let first = answer("s1", 10);
    assert_eq!(first.status, 201, "{}", first.text());
    for (key, score) in [("s2", 10), ("s3", 9)] {
        let again = answer(key, score);
        let problem = again.assert_problem(409, "survey_already_recorded");
        assert_eq!(problem["existingId"], first.json()["id"]);
    }
    let summary = app.get("/v1/interactions/surveys/summary").json();
    assert_eq!(summary["nps"]["responses"], 1, "{summary}");
}

fn self_service_loan(customer: &str, score: i64, income: i64) -> Value {
    serde_json::json!({
        "customerId": customer, "product": "personal",
        "amount": {"amount": 10_000_000, "currency": "CNY"}, "termMonths": 36,
        "purpose": "home renovation",
        "monthlyIncome": {"amount": income, "currency": "CNY"},
        "monthlyDebtPayments": {"amount": 200_000, "currency": "CNY"},
        "creditScore": score, "employmentStatus": "employed", "employmentMonths": 48
    })
}

#[test]
fn a_customers_own_application_is_decided_on_the_banks_figures_or_referred() {
    let app = TestApp::spawn();
    // The bank scores this customer 610: inside the referral margin.
    let mut body = customer_body(10);
    body["kycStatus"] = serde_json::json!("verified");
    body["creditScore"] = serde_json::json!(610);
    let scored = app.post_json("/v1/customers", &body, &[("idempotency-key", "scored")]);
    assert_eq!(scored.status, 201, "{}", scored.text());
    let scored = scored.json()["id"].as_str().expect("id").to_owned();
    let me = app.as_user(&scored, &["customer"]);
    let applied = me.post_json(
        "/v1/loans/applications",
        &self_service_loan(&scored, 850, 99_000_000),
        &[("idempotency-key", "mine-1")],
    );
    assert_eq!(applied.status, 201, "{}", applied.text());
    let decision = applied.json();
    assert!(
        decision.get("creditScore").is_none(),
        "a customer does not see their score"
    );
    assert_eq!(
        decision["monthlyIncome"]["amount"], 3_000_000,
        "the bank's income"
    );
    let id = decision["id"].as_str().expect("id");
    let stored = app.get(&format!("/v1/loans/applications/{id}")).json();
    assert_eq!(
        stored["creditScore"], 610,
        "decided on the bank's score, not the typed one"
    );
    assert_eq!(decision["status"], "referred", "{decision}");
    assert_eq!(decision["decision"]["reasons"][0]["code"], "score_near_min");
    // The same body through staff is decided as sent.
    let quoted = app.post_json(
        "/v1/loans/quote",
        &self_service_loan(&scored, 850, 99_000_000),
        &[],
    );
    assert_eq!(quoted.json()["status"], "pre_approved", "{}", quoted.text());

    // No score on file: the applicant's word is all there is, so a person decides.
    let unscored = create_customer(&app, 11);
    let me = app.as_user(&unscored, &["customer"]);
    let quote = me.post_json(
        "/v1/loans/quote",
        &self_service_loan(&unscored, 850, 9_000_000),
        &[],
    );
    assert_eq!(quote.status, 200, "{}", quote.text());
    let quote = quote.json();
    assert_eq!(quote["status"], "referred", "{quote}");
    assert_eq!(quote["offer"], Value::Null);
    assert_eq!(
        quote["reasons"][0]["code"], "figures_self_declared",
        "{quote}"
    );
}

#[test]
fn a_relationship_manager_reaches_their_own_book_and_lists_only_it() {
    let app = TestApp::spawn();
    let mine = crm_e2e::fixtures::create_customer_of(&app, 20, "rm-a");
    let theirs = crm_e2e::fixtures::create_customer_of(&app, 21, "rm-b");
    let unassigned = create_customer(&app, 22);
    let rm = app.as_user("rm-a", &["relationship_manager"]);
    for path in [
        format!("/v1/customers/{mine}"),
        format!("/v1/customers/{mine}/360"),
        format!("/v1/interactions?customerId={mine}"),
        format!("/v1/loyalty/accounts/{mine}"),
    ] {
        assert_eq!(rm.get(&path).status, 200, "{path}");
    }
    for other in [&theirs, &unassigned] {
        for path in [
            format!("/v1/customers/{other}"),
            format!("/v1/customers/{other}/360"),
            format!("/v1/interactions?customerId={other}"),
            format!("/v1/loyalty/accounts/{other}"),
            format!("/v1/recommendations/{other}"),
        ] {
            rm.get(&path).assert_problem(403, "outside_book");
        }
    }
    let listed = rm.get("/v1/customers?limit=200").json();
    let ids: Vec<&str> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["id"].as_str())
        .collect();
    assert_eq!(ids, [mine.as_str()], "only their own book");
    rm.get("/v1/customers?rmId=rm-b")
        .assert_problem(403, "outside_book");
    // A customer the manager onboards joins their book.
    let created = rm.post_json(
        "/v1/customers",
        &customer_body(23),
        &[("idempotency-key", "rm-new")],
    );
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(created.json()["relationshipManagerId"], "rm-a");
    let new = created.json()["id"].as_str().expect("id").to_owned();
    assert_eq!(rm.get(&format!("/v1/customers/{new}")).status, 200);
    // A token that also names a role reaching every customer is not confined.
    let rm_and_teller = app.as_user("rm-a", &["relationship_manager", "teller"]);
    assert_eq!(
        rm_and_teller.get(&format!("/v1/customers/{theirs}")).status,
        200
    );
}
