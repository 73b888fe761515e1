//! The right to be forgotten through the running components: a customer with data in
//! every service (a distinctive marker in every personal field and every free text),
//! erased by an admin. Afterwards no endpoint answers any of those values, not even a
//! replay of the original requests under their Idempotency-Keys, and the database file
//! holds them in no column of any table, nor anywhere in its bytes after a checkpoint.

use crm_e2e::{TestApp, TestResponse};
use serde_json::{Value, json};

/// Every personal value and free text the walk below writes. Each is unique to this
/// test, so finding one anywhere after the erasure is a leak.
const MARKERS: &[&str] = &[
    // The profile.
    "Quillfeather Zenobia",
    "QZ4417300912",
    "zenobia.quillfeather@example.com",
    "+8613907741296",
    "QZ Marker Lane 88",
    "QZ Tower Flat 7",
    "Quillbridge",
    "QZ Province",
    "QZ-880017",
    "1983-02-17",
    "rm-quill-7",
    // Money, score and employment as the profile and the loan application hold them
    // (compact JSON: a bare number would also match timestamps by chance).
    "\"amount\":3123457",
    "\"amount\":98765431",
    "\"amount\":234567",
    "\"creditScore\":771",
    "\"employmentMonths\":43",
    "self_employed",
    // Interactions, complaints, surveys.
    "QZ contact subject about a lost card",
    "QZ contact notes: the customer's sister called on her behalf",
    "QZ contact outcome",
    "QZ complaint subject: fee charged twice",
    "QZ complaint notes about her overdraft",
    "QZ complaint assigned to the fees desk",
    "QZ complaint in progress, called her back",
    "QZ complaint refund booked",
    "QZ complaint resolution: fee refunded",
    "QZ survey comment: the branch manager was rude",
    // Loyalty.
    "QZ goodwill for the complaint",
    "QZ reversal reason",
    // Loans.
    "QZ loan purpose: pay the divorce lawyer",
    "QZ loan withdrawn, customer found cheaper credit",
];

fn cny(minor: i64) -> Value {
    json!({"amount": minor, "currency": "CNY"})
}

fn profile() -> Value {
    json!({
        "fullName": "Quillfeather Zenobia",
        "dateOfBirth": "1983-02-17",
        "nationalId": "QZ4417300912",
        "nationalIdCountry": "CN",
        "email": "zenobia.quillfeather@example.com",
        "phone": "+8613907741296",
        "address": {"line1": "QZ Marker Lane 88", "line2": "QZ Tower Flat 7",
                    "city": "Quillbridge", "region": "QZ Province",
                    "postalCode": "QZ-880017", "country": "CN"},
        "segment": "mass_affluent",
        "riskTolerance": "growth",
        "kycStatus": "verified",
        "monthlyIncome": cny(3_123_457),
        "totalAssets": cny(98_765_431),
        "creditScore": 771,
        "employmentStatus": "employed",
        "relationshipManagerId": "rm-quill-7",
        "tags": [{"family": "customer_value", "name": "high_potential"}],
        "consent": {"marketing": {"email": {"granted": true, "source": "branch"}}}
    })
}

fn contact(customer: &str) -> Value {
    json!({
        "customerId": customer,
        "channel": "phone",
        "direction": "inbound",
        "type": "service_request",
        "subject": "QZ contact subject about a lost card",
        "notes": "QZ contact notes: the customer's sister called on her behalf",
        "outcome": "QZ contact outcome",
        "sentiment": "neutral",
        "agentId": "agent-3"
    })
}

fn complaint(customer: &str) -> Value {
    json!({
        "customerId": customer,
        "channel": "branch",
        "direction": "inbound",
        "type": "complaint",
        "subject": "QZ complaint subject: fee charged twice",
        "notes": "QZ complaint notes about her overdraft",
        "sentiment": "negative",
        "agentId": "agent-3",
        "complaint": {"severity": "high", "category": "fees_and_charges"}
    })
}

fn survey(customer: &str) -> Value {
    json!({"customerId": customer, "kind": "nps", "score": 2,
           "comment": "QZ survey comment: the branch manager was rude"})
}

fn application(customer: &str) -> Value {
    json!({
        "customerId": customer,
        "product": "personal",
        "amount": cny(10_000_000),
        "termMonths": 36,
        "purpose": "QZ loan purpose: pay the divorce lawyer",
        "monthlyIncome": cny(3_123_457),
        "monthlyDebtPayments": cny(234_567),
        "creditScore": 771,
        "employmentStatus": "self_employed",
        "employmentMonths": 43
    })
}

/// One request that was answered, kept to be replayed after the erasure.
struct Sent {
    path: String,
    body: Value,
    headers: Vec<(String, String)>,
}

/// The walk's requests, every answer kept for the replays and for the markers check.
struct Walk<'a> {
    app: &'a TestApp,
    sent: Vec<Sent>,
}

impl Walk<'_> {
    /// POSTs `body` with `Idempotency-Key: key` (and `extra` headers), expecting `status`.
    fn post(
        &mut self,
        path: &str,
        key: &str,
        body: Value,
        extra: &[(&str, &str)],
        status: u16,
    ) -> TestResponse {
        let mut headers: Vec<(String, String)> = vec![("idempotency-key".into(), key.into())];
        headers.extend(
            extra
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned())),
        );
        let borrowed: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let response = self.app.post_json(path, &body, &borrowed);
        assert_eq!(response.status, status, "POST {path}: {}", response.text());
        self.sent.push(Sent {
            path: path.to_owned(),
            body,
            headers,
        });
        response
    }
}

fn etag(response: &TestResponse) -> String {
    response.header("etag").expect("etag").to_owned()
}

fn id(response: &TestResponse) -> String {
    response.json()["id"].as_str().expect("id").to_owned()
}

/// Panics naming the first marker `text` contains.
fn assert_no_marker(what: &str, text: &str) {
    for marker in MARKERS {
        assert!(
            !text.contains(marker),
            "{what} still holds {marker:?}:\n{text}"
        );
    }
}

/// Every text, integer and blob value of every column of every table, as text, with
/// where it was found.
fn every_stored_value(app: &TestApp) -> Vec<(String, String)> {
    let path = app.state_dir().join("sqlite_db.db");
    let conn = rusqlite::Connection::open(&path).expect("open the database file");
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table'")
        .and_then(|mut s| {
            s.query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()
        })
        .expect("tables");
    let mut found = Vec::new();
    for table in tables {
        // Test-only SQL over names read from sqlite_schema, not from any request.
        let mut statement = conn
            .prepare(&format!("SELECT * FROM \"{table}\""))
            .expect("select");
        let columns: Vec<String> = statement
            .column_names()
            .iter()
            .map(|c| (*c).to_owned())
            .collect();
        let mut rows = statement.query([]).expect("query");
        while let Some(row) = rows.next().expect("row") {
            for (i, column) in columns.iter().enumerate() {
                let text = match row.get_ref(i).expect("value") {
                    rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) => {
                        String::from_utf8_lossy(t).into_owned()
                    }
                    rusqlite::types::ValueRef::Integer(n) => n.to_string(),
                    _ => continue,
                };
                found.push((format!("{table}.{column}"), text));
            }
        }
    }
    found
}

#[test]
fn an_erased_customer_is_gone_from_every_answer_every_replay_and_every_table() {
    let app = TestApp::spawn();
    let mut walk = Walk {
        app: &app,
        sent: Vec::new(),
    };

    // Arrange: a customer with something in every service.
    let created = walk.post("/v1/customers", "qz-customer", profile(), &[], 201);
    let c = id(&created);
    let contacted = walk.post("/v1/interactions", "qz-contact", contact(&c), &[], 201);
    let contact_id = id(&contacted);
    let complained = walk.post("/v1/interactions", "qz-complaint", complaint(&c), &[], 201);
    let case = complained.json()["complaintId"]
        .as_str()
        .expect("case")
        .to_owned();
    let case_path = format!("/v1/interactions/complaints/{case}");
    let transitions = format!("{case_path}/transitions");
    let mut case_etag = etag(&app.get(&case_path));
    for (n, body) in [
        json!({"to": "assigned", "assignee": "agent-9",
               "note": "QZ complaint assigned to the fees desk"}),
        json!({"to": "in_progress",
               "note": "QZ complaint in progress, called her back"}),
        json!({"to": "resolved", "note": "QZ complaint refund booked",
               "resolution": "QZ complaint resolution: fee refunded"}),
    ]
    .into_iter()
    .enumerate()
    {
        let key = format!("qz-case-{n}");
        let moved = walk.post(&transitions, &key, body, &[("if-match", &case_etag)], 200);
        case_etag = etag(&moved);
    }
    let surveyed = walk.post(
        "/v1/interactions/surveys",
        "qz-survey",
        survey(&c),
        &[],
        201,
    );
    let survey_id = id(&surveyed);

    let account = format!("/v1/loyalty/accounts/{c}");
    walk.post(
        &format!("{account}/earn"),
        "qz-earn",
        json!({"eventType": "card_spend", "amount": cny(1_250_000), "reference": "qz-txn-1"}),
        &[],
        201,
    );
    let adjusted = walk.post(
        &format!("{account}/adjust"),
        "qz-adjust",
        json!({"points": 300, "reason": "QZ goodwill for the complaint", "reference": "qz-case"}),
        &[],
        201,
    );
    let adjustment = id(&adjusted);
    let reversed = walk.post(
        &format!("/v1/loyalty/entries/{adjustment}/reverse"),
        "qz-reverse",
        json!({"reason": "QZ reversal reason"}),
        &[],
        201,
    );
    let reversal = id(&reversed);

    let applied = walk.post(
        "/v1/loans/applications",
        "qz-loan",
        application(&c),
        &[],
        201,
    );
    let loan = id(&applied);
    let loan_path = format!("/v1/loans/applications/{loan}");
    walk.post(
        &format!("{loan_path}/transitions"),
        "qz-loan-withdraw",
        json!({"to": "withdrawn",
               "note": "QZ loan withdrawn, customer found cheaper credit"}),
        &[("if-match", &etag(&applied))],
        200,
    );

    let offers = app.get(&format!("/v1/recommendations/{c}"));
    assert_eq!(offers.status, 200, "{}", offers.text());
    let top = offers.json()["items"][0]["productCode"].clone();
    walk.post(
        &format!("/v1/recommendations/{c}/feedback"),
        "qz-feedback",
        json!({"productCode": top, "action": "clicked", "channel": "email"}),
        &[],
        201,
    );

    // The markers are really there before: the check below can see them.
    let before = app.get(&loan_path);
    assert!(
        before.text().contains("QZ loan purpose"),
        "{}",
        before.text()
    );
    let stored_before = every_stored_value(&app);
    for marker in [
        "Quillfeather Zenobia",
        "QZ survey comment",
        "QZ reversal reason",
    ] {
        assert!(
            stored_before.iter().any(|(_, v)| v.contains(marker)),
            "{marker} was never stored"
        );
    }

    // Act.
    let erased = app.request("DELETE", &format!("/v1/customers/{c}"), None, &[]);
    assert_eq!(erased.status, 204, "{}", erased.text());

    // Assert: every read that could show the customer's data.
    app.get(&format!("/v1/customers/{c}"))
        .assert_problem(404, "not_found");
    app.get(&format!("/v1/customers/{c}/360"))
        .assert_problem(404, "not_found");
    let reads = [
        format!("/v1/customers/{c}"),
        format!("/v1/customers/{c}/360"),
        "/v1/customers?limit=200".to_owned(),
        "/v1/customers?q=Quillfeather".to_owned(),
        format!("/v1/interactions?customerId={c}"),
        format!("/v1/interactions/{contact_id}"),
        format!("/v1/interactions/{}", id(&complained)),
        "/v1/interactions/complaints".to_owned(),
        case_path.clone(),
        format!("/v1/interactions/surveys/{survey_id}"),
        account.clone(),
        format!("{account}/ledger"),
        format!("/v1/loyalty/entries/{adjustment}"),
        format!("/v1/loyalty/entries/{reversal}"),
        loan_path.clone(),
        format!("/v1/loans/applications?customerId={c}"),
        "/v1/loans/applications".to_owned(),
        format!("/v1/recommendations/{c}"),
        "/v1/recommendations/stats".to_owned(),
    ];
    for path in &reads {
        let response = app.get(path);
        assert!(response.status < 500, "{path}: {}", response.text());
        assert_no_marker(path, &response.text());
    }
    let auditor = app.as_user("auditor-1", &["auditor"]);
    let trail = auditor.get(&format!("/v1/customers/{c}/audit?limit=200"));
    assert_eq!(trail.status, 200, "{}", trail.text());
    assert_no_marker("the audit trail", &trail.text());

    // Redacted, not made up: the loan keeps its ledger facts and drops the inputs.
    let kept = app.get(&loan_path).json();
    assert_eq!(kept["redacted"], true, "{kept}");
    assert_eq!(kept["status"], "withdrawn");
    assert_eq!(kept["amount"], cny(10_000_000));
    for field in [
        "purpose",
        "monthlyIncome",
        "monthlyDebtPayments",
        "creditScore",
        "employmentStatus",
        "employmentMonths",
    ] {
        assert_eq!(kept[field], Value::Null, "{field}: {kept}");
    }
    assert_eq!(kept["decision"]["dtiBps"], Value::Null, "{kept}");
    app.post_json(&format!("{loan_path}/replay"), &json!({}), &[])
        .assert_problem(409, "customer_erased");

    // Every write replayed with its key and body: nothing personal comes back. Feedback
    // checks its customer before the key is claimed, so it answers 404 instead.
    for sent in &walk.sent {
        let headers: Vec<(&str, &str)> = sent
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let replay = app.post_json(&sent.path, &sent.body, &headers);
        assert_no_marker(&format!("the replay of POST {}", sent.path), &replay.text());
        if sent.path.ends_with("/feedback") {
            replay.assert_problem(404, "not_found");
            continue;
        }
        replay.assert_problem(409, "customer_erased");
        assert_eq!(
            replay.header("idempotent-replayed"),
            Some("true"),
            "{}",
            sent.path
        );
    }

    // Assert: no column of any table holds a marker.
    for (place, value) in every_stored_value(&app) {
        assert_no_marker(&place, &value);
    }
    let feedback = every_stored_value(&app)
        .into_iter()
        .filter(|(place, v)| place == "recommendation_feedback.customer_id" && *v == c)
        .count();
    assert_eq!(feedback, 0, "the customer's feedback is deleted");

    // Assert: nor do the file's bytes, free pages included, once the WAL is folded in.
    let path = app.state_dir().join("sqlite_db.db");
    let conn = rusqlite::Connection::open(&path).expect("open the database file");
    let (busy, _, _): (i64, i64, i64) = conn
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .expect("checkpoint");
    assert_eq!(busy, 0, "the checkpoint completed");
    drop(conn);
    for file in ["sqlite_db.db", "sqlite_db.db-wal"] {
        let bytes = std::fs::read(app.state_dir().join(file)).unwrap_or_default();
        for marker in MARKERS {
            assert!(
                !bytes.windows(marker.len()).any(|w| w == marker.as_bytes()),
                "{file} still holds {marker:?} in its bytes"
            );
        }
    }
}
