//! The audit trail through the running components: complete for a scenario, free of
//! personal values, committed together with the write it records, sealed into a chain
//! keyed with `audit_hmac_key`, and checked against an exported head so that removing the
//! newest records is found.

use crm_e2e::TestApp;
use crm_e2e::fixtures::{cny, create_customer, tamper};
use serde_json::{Value, json};

fn contact(customer: &str, subject: &str) -> Value {
    json!({
        "customerId": customer, "channel": "branch", "direction": "inbound",
        "type": "inquiry", "subject": subject, "outcome": "resolved",
        "sentiment": "neutral", "agentId": "agent-1"
    })
}

fn audit_actions(app: &TestApp, c: &str) -> Vec<(String, String, String)> {
    let r = app
        .as_user("aud-1", &["auditor"])
        .get(&format!("/v1/customers/{c}/audit?limit=200"));
    assert_eq!(r.status, 200, "{}", r.text());
    let mut items: Vec<(String, String, String)> = r.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                i["action"].as_str().unwrap_or_default().to_owned(),
                i["actor"].as_str().unwrap_or_default().to_owned(),
                i["outcome"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    items.reverse();
    items
}

fn verify(app: &TestApp, query: &str) -> Value {
    let r = app
        .as_user("aud-1", &["auditor"])
        .get(&format!("/v1/customers/audit/verify{query}"));
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

fn seal(app: &TestApp) -> Value {
    let r =
        app.as_user("ops-1", &["admin"])
            .request("POST", "/v1/customers/audit/seals", None, &[]);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

#[test]
fn the_audit_trail_of_a_scenario_is_complete_holds_no_personal_values_and_verifies() {
    let app = TestApp::spawn();
    let teller = app.as_user("teller-7", &["teller"]);
    let created = teller.post_json(
        "/v1/customers",
        &json!({
            "fullName": "Qian Lei", "dateOfBirth": "1990-01-02", "nationalId": "110101199001020011",
            "nationalIdCountry": "CN", "email": "qian@example.com", "segment": "retail",
            "riskTolerance": "balanced",
            "monthlyIncome": cny(2_000_000), "totalAssets": cny(5_000_000),
            "employmentStatus": "employed"
        }),
        &[("idempotency-key", "scenario-1")],
    );
    assert_eq!(created.status, 201, "{}", created.text());
    let c = created.json()["id"].as_str().expect("id").to_owned();
    let etag = created.header("etag").expect("etag").to_owned();
    assert_eq!(teller.get(&format!("/v1/customers/{c}")).status, 200);
    let patched = teller.json(
        "PATCH",
        &format!("/v1/customers/{c}"),
        &json!({"email": "lei.qian@example.com"}),
        &[
            ("if-match", &etag),
            ("content-type", "application/merge-patch+json"),
        ],
    );
    assert_eq!(patched.status, 200, "{}", patched.text());
    // Admin assigns the customer to rm-3's book.
    let assigned = app.as_user("ops-1", &["admin"]).json(
        "PATCH",
        &format!("/v1/customers/{c}"),
        &json!({"relationshipManagerId": "rm-3"}),
        &[
            ("if-match", patched.header("etag").expect("etag")),
            ("content-type", "application/merge-patch+json"),
        ],
    );
    assert_eq!(assigned.status, 200, "{}", assigned.text());
    let rm = app.as_user("rm-3", &["relationship_manager"]);
    assert_eq!(rm.get(&format!("/v1/customers/{c}/360")).status, 200);
    assert_eq!(
        rm.post_json(
            "/v1/interactions",
            &contact(&c, "Visit"),
            &[("idempotency-key", "v1")]
        )
        .status,
        201
    );
    assert_eq!(
        rm.get(&format!("/v1/interactions?customerId={c}")).status,
        200
    );
    app.as_user("mkt-1", &["marketing"])
        .get(&format!("/v1/customers/{c}/360"))
        .assert_problem(403, "forbidden");

    let trail = audit_actions(&app, &c);
    let expected: Vec<(String, String, String)> = [
        ("customer.create", "teller-7", "success"),
        ("customer.read", "teller-7", "success"),
        ("customer.update", "teller-7", "success"),
        ("customer.update", "ops-1", "success"),
        ("customer.view360", "rm-3", "success"),
        ("interaction.create", "rm-3", "success"),
        ("interaction.timeline", "rm-3", "success"),
        ("customer.view360", "mkt-1", "denied"),
    ]
    .iter()
    .map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned()))
    .collect();
    assert_eq!(trail, expected);

    // The auditor's own look is recorded too, and nothing personal is in any record.
    let raw = app
        .as_user("aud-1", &["auditor"])
        .get(&format!("/v1/customers/{c}/audit"))
        .text();
    for personal in ["Qian", "110101199001020011", "qian@example.com", "lei.qian"] {
        assert!(!raw.contains(personal), "{personal} in {raw}");
    }
    assert!(raw.contains("\"audit.read\""), "{raw}");
    app.as_user("rm-3", &["relationship_manager"])
        .get(&format!("/v1/customers/{c}/audit"))
        .assert_problem(403, "forbidden");

    let report = verify(&app, "");
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["firstBroken"], Value::Null);
    assert!(report["records"].as_i64().unwrap_or(0) >= 9, "{report}");
}

#[test]
fn every_write_seals_its_own_record_and_reads_wait_for_the_next_seal() {
    let app = TestApp::spawn();
    let c = create_customer(&app, 1);
    let after_write = verify(&app, "");
    assert_eq!(
        (
            after_write["records"].clone(),
            after_write["unsealed"].clone()
        ),
        (json!(1), json!(0)),
        "{after_write}"
    );
    for _ in 0..3 {
        assert_eq!(app.get(&format!("/v1/customers/{c}")).status, 200);
    }
    // Three reads, plus the auditor's verify is not a read of a customer: not recorded.
    let after_reads = verify(&app, "");
    assert_eq!(after_reads["unsealed"], 3, "{after_reads}");
    assert_eq!(after_reads["ok"], true, "{after_reads}");
    let sealed = seal(&app);
    // The three reads and the seal request's own record.
    assert_eq!(sealed["sealed"], 3, "{sealed}");
    let report = verify(&app, "");
    assert_eq!(
        (report["unsealed"].clone(), report["ok"].clone()),
        (json!(0), json!(true))
    );
    assert_eq!(report["head"]["seq"], 5, "{report}");
    app.as_user("aud-1", &["auditor"])
        .request("POST", "/v1/customers/audit/seals", None, &[])
        .assert_problem(403, "forbidden");
}

#[test]
fn a_write_whose_audit_record_cannot_be_written_is_not_made() {
    let app = TestApp::spawn();
    let c = create_customer(&app, 2);
    let current = app.get(&format!("/v1/customers/{c}"));
    let etag = current.header("etag").expect("etag").to_owned();
    // Something in the database refuses this action's record (a full disk, a bug, an
    // attacker): the change it would record must not happen without it.
    tamper(
        &app,
        "CREATE TRIGGER refuse_update_records BEFORE INSERT ON audit_trail
         WHEN NEW.action = 'customer.update'
         BEGIN SELECT RAISE(ABORT, 'no room for audit records'); END",
    );
    let patched = app.as_user("ops-1", &["admin"]).json(
        "PATCH",
        &format!("/v1/customers/{c}"),
        &json!({"email": "changed@example.com"}),
        &[
            ("if-match", etag.as_str()),
            ("content-type", "application/merge-patch+json"),
        ],
    );
    patched.assert_problem(500, "internal_error");
    let after = app.get(&format!("/v1/customers/{c}"));
    assert_eq!(
        after.json()["email"],
        "zhao2@example.com",
        "the change was undone"
    );
    assert_eq!(
        after.header("etag"),
        Some(etag.as_str()),
        "nor was the version bumped"
    );
}

#[test]
fn verify_names_the_first_sealed_record_changed_in_the_file_even_with_its_mac_recomputed() {
    let app = TestApp::spawn();
    let c = create_customer(&app, 3);
    for _ in 0..3 {
        assert_eq!(app.get(&format!("/v1/customers/{c}")).status, 200);
    }
    seal(&app);
    // An attacker with the file but not the key: they can change a record and compute a
    // plain SHA-256 in place of its MAC, which is what the unkeyed chain allowed.
    tamper(
        &app,
        "DROP TRIGGER audit_trail_no_update; DROP TRIGGER audit_chain_no_update;
         UPDATE audit_trail SET actor = 'someone-else' WHERE seq = 2;
         UPDATE audit_chain SET mac = lower(hex(randomblob(32))) WHERE seq >= 2;",
    );
    let report = verify(&app, "");
    assert_eq!(report["ok"], false, "{report}");
    assert_eq!(report["firstBroken"], json!({"seq": 2, "reason": "mac"}));
}

#[test]
fn removing_the_newest_records_is_found_against_the_exported_head() {
    let app = TestApp::spawn();
    let c = create_customer(&app, 4);
    assert_eq!(app.get(&format!("/v1/customers/{c}")).status, 200);
    seal(&app);
    let exported = app
        .as_user("aud-1", &["auditor"])
        .get("/v1/customers/audit/head");
    assert_eq!(exported.status, 200, "{}", exported.text());
    let head = exported.json()["head"].clone();
    let (seq, mac) = (
        head["seq"].as_i64().expect("seq"),
        head["mac"].as_str().expect("mac").to_owned(),
    );
    let against_head = format!("?headSeq={seq}&headMac={mac}");
    assert_eq!(verify(&app, &against_head)["ok"], true);
    tamper(
        &app,
        &format!(
            "DROP TRIGGER audit_trail_no_delete; DROP TRIGGER audit_chain_no_delete;
             DELETE FROM audit_chain WHERE seq >= {seq}; DELETE FROM audit_trail WHERE seq >= {seq};"
        ),
    );
    // What is left is a consistent, shorter chain; only the exported head tells.
    assert_eq!(verify(&app, "")["ok"], true);
    let report = verify(&app, &against_head);
    assert_eq!(report["ok"], false, "{report}");
    assert_eq!(
        report["firstBroken"],
        json!({"seq": seq, "reason": "head_missing"})
    );
    app.as_user("aud-1", &["auditor"])
        .get("/v1/customers/audit/verify?headSeq=1")
        .assert_problem(422, "validation_failed");
}

#[test]
fn the_trail_filters_are_bounded_as_the_contract_says() {
    let app = TestApp::spawn();
    let auditor = app.as_user("aud-1", &["auditor"]);
    for query in [
        format!("actor={}", "0".repeat(129)),
        format!("action={}", "a".repeat(65)),
        "actor=".to_owned(),
    ] {
        let r = auditor.get(&format!("/v1/customers/audit/records?{query}"));
        assert_eq!(r.status, 422, "{query}: {}", r.text());
    }
    let at_bound = auditor.get(&format!(
        "/v1/customers/audit/records?actor={}&action={}",
        "0".repeat(128),
        "a".repeat(64)
    ));
    assert_eq!(at_bound.status, 200, "{}", at_bound.text());
}
