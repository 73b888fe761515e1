//! The right to be forgotten across services, natively: a customer with data written
//! through every service's own handlers is erased through customer-profile, in one
//! transaction. Afterwards no table holds any of the personal values or free text, the
//! keyed requests replay as `409 customer_erased`, another customer keeps everything,
//! and an erasure that fails part-way changes nothing at all.

use crm_http::Response;
use crm_http::testing::{TestService, json};
use serde_json::{Value, json};

/// Customer `n`'s personal values and free texts, each unique to that customer.
fn markers(n: u32) -> Vec<String> {
    let w = word(n);
    vec![
        format!("Quillfeather {w}"),
        format!("QZ441730091{n}"),
        format!("zenobia.{}@example.com", w.to_lowercase()),
        format!("+861390774129{n}"),
        format!("QZ {w} Lane 88"),
        format!("QZ {w} contact subject"),
        format!("QZ {w} contact notes"),
        format!("QZ {w} complaint notes"),
        format!("QZ {w} complaint assigned"),
        format!("QZ {w} resolution"),
        format!("QZ {w} survey comment"),
        format!("QZ {w} goodwill"),
        format!("QZ {w} reversal"),
        format!("QZ {w} loan purpose"),
        format!("QZ {w} loan note"),
        format!("\"amount\":{}", income(n)),
    ]
}

fn word(n: u32) -> &'static str {
    if n == 1 { "Alpha" } else { "Bravo" }
}

fn income(n: u32) -> i64 {
    3_123_457 + i64::from(n) * 1_000_000
}

#[derive(Clone)]
struct Keyed {
    service: &'static str,
    path: String,
    key: String,
    body: Value,
    headers: Vec<(String, String)>,
}

struct App {
    profile: TestService<'static>,
    interactions: TestService<'static>,
    loyalty: TestService<'static>,
    loans: TestService<'static>,
    offers: TestService<'static>,
    /// Every keyed write: service, path, key, body and other headers, to replay.
    keyed: Vec<Keyed>,
}

impl App {
    fn new(name: &str) -> App {
        let profile = TestService::new(&customer_profile::SERVICE, name);
        App {
            interactions: profile.alongside(&interactions::SERVICE),
            loyalty: profile.alongside(&loyalty::SERVICE),
            loans: profile.alongside(&loan_preapproval::SERVICE),
            offers: profile.alongside(&recommendations::SERVICE),
            profile,
            keyed: Vec::new(),
        }
    }

    fn service(&self, name: &str) -> &TestService<'static> {
        match name {
            "profile" => &self.profile,
            "interactions" => &self.interactions,
            "loyalty" => &self.loyalty,
            "loans" => &self.loans,
            _ => &self.offers,
        }
    }

    /// A keyed POST through `service`, expecting `status`; kept for the replays.
    fn post(
        &mut self,
        service: &'static str,
        path: &str,
        key: &str,
        body: Value,
        extra: &[(&str, &str)],
        status: u16,
    ) -> Value {
        let mut headers = vec![("idempotency-key", key)];
        headers.extend_from_slice(extra);
        let response = self.service(service).post_json(path, &body, &headers);
        assert_eq!(response.status(), status, "{path}: {}", text(&response));
        self.keyed.push(Keyed {
            service,
            path: path.to_owned(),
            key: key.to_owned(),
            body,
            headers: extra
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
        });
        json(&response)
    }
}

fn text(response: &Response) -> String {
    String::from_utf8_lossy(response.body()).into_owned()
}

fn etag(response: &Response) -> String {
    response.headers()["etag"]
        .to_str()
        .expect("etag")
        .to_owned()
}

fn profile(n: u32) -> Value {
    let m = markers(n);
    json!({
        "fullName": m[0],
        "dateOfBirth": "1983-02-17",
        "nationalId": m[1],
        "nationalIdCountry": "CN",
        "email": m[2],
        "phone": m[3],
        "address": {"line1": m[4], "city": "Shanghai", "country": "CN"},
        "segment": "retail",
        "riskTolerance": "balanced",
        "kycStatus": "verified",
        "monthlyIncome": {"amount": income(n), "currency": "CNY"},
        "totalAssets": {"amount": 10_000_000, "currency": "CNY"},
        "employmentStatus": "employed",
        "tags": [{"family": "customer_value", "name": "high_potential"}]
    })
}

/// A customer with something in every service; returns its id.
fn customer_everywhere(app: &mut App, n: u32) -> String {
    let key = |k: &str| format!("{k}-{n}");
    let m = markers(n);
    let c = app.post(
        "profile",
        "/v1/customers",
        &key("customer"),
        profile(n),
        &[],
        201,
    )["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let contact = json!({"customerId": c, "channel": "phone", "direction": "inbound",
        "type": "inquiry", "subject": m[5], "notes": m[6],
        "outcome": "done", "agentId": "agent-1"});
    app.post(
        "interactions",
        "/v1/interactions",
        &key("contact"),
        contact,
        &[],
        201,
    );
    let complaint = json!({"customerId": c, "channel": "branch", "direction": "inbound",
        "type": "complaint", "subject": "fees", "notes": m[7],
        "agentId": "agent-1", "complaint": {"severity": "high", "category": "fees_and_charges"}});
    let case = app.post(
        "interactions",
        "/v1/interactions",
        &key("complaint"),
        complaint,
        &[],
        201,
    )["complaintId"]
        .as_str()
        .expect("case")
        .to_owned();
    let case_path = format!("/v1/interactions/complaints/{case}");
    let mut tag = etag(&app.interactions.get(&case_path));
    for (i, step) in [
        json!({"to": "assigned", "assignee": "agent-9",
               "note": m[8]}),
        json!({"to": "in_progress", "note": "calling"}),
        json!({"to": "resolved", "note": "done",
               "resolution": m[9]}),
    ]
    .into_iter()
    .enumerate()
    {
        app.post(
            "interactions",
            &format!("{case_path}/transitions"),
            &key(&format!("case-{i}")),
            step,
            &[("if-match", &tag)],
            200,
        );
        tag = etag(&app.interactions.get(&case_path));
    }
    app.post(
        "interactions",
        "/v1/interactions/surveys",
        &key("survey"),
        json!({"customerId": c, "kind": "csat", "score": 2, "comment": m[10]}),
        &[],
        201,
    );
    let account = format!("/v1/loyalty/accounts/{c}");
    app.post(
        "loyalty",
        &format!("{account}/earn"),
        &key("earn"),
        json!({"eventType": "salary_deposit", "reference": "salary-1"}),
        &[],
        201,
    );
    let adjusted = app.post(
        "loyalty",
        &format!("{account}/adjust"),
        &key("adjust"),
        json!({"points": 50, "reason": m[11], "reference": "case-1"}),
        &[],
        201,
    );
    app.post(
        "loyalty",
        &format!(
            "/v1/loyalty/entries/{}/reverse",
            adjusted["id"].as_str().expect("id")
        ),
        &key("reverse"),
        json!({"reason": m[12]}),
        &[],
        201,
    );
    let loan = app.post(
        "loans",
        "/v1/loans/applications",
        &key("loan"),
        json!({"customerId": c, "product": "personal",
               "amount": {"amount": 10_000_000, "currency": "CNY"}, "termMonths": 36,
               "purpose": m[13], "monthlyIncome": {"amount": income(n), "currency": "CNY"},
               "monthlyDebtPayments": {"amount": 0, "currency": "CNY"}, "creditScore": 720,
               "employmentStatus": "employed", "employmentMonths": 48}),
        &[],
        201,
    );
    app.post(
        "loans",
        &format!(
            "/v1/loans/applications/{}/transitions",
            loan["id"].as_str().expect("id")
        ),
        &key("withdraw"),
        json!({"to": "withdrawn", "note": m[14]}),
        &[("if-match", "\"1\"")],
        200,
    );
    app.post(
        "offers",
        &format!("/v1/recommendations/{c}/feedback"),
        &key("feedback"),
        json!({"productCode": "CARD_CLASSIC", "action": "clicked", "channel": "email"}),
        &[],
        201,
    );
    c
}

/// Every value of every column of every table, as text, with where it was found.
fn every_stored_value(app: &TestService<'_>) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for table in app.sql_column("SELECT name FROM sqlite_schema WHERE type = 'table'") {
        for column in app.sql_column(&format!("SELECT name FROM pragma_table_info('{table}')")) {
            for value in app.sql_column(&format!(
                "SELECT CAST(\"{column}\" AS TEXT) FROM \"{table}\" WHERE \"{column}\" IS NOT NULL"
            )) {
                found.push((format!("{table}.{column}"), value));
            }
        }
    }
    found
}

/// Where the values hold one of `markers`.
fn holding(app: &TestService<'_>, markers: &[String]) -> Vec<String> {
    every_stored_value(app)
        .into_iter()
        .filter(|(_, v)| markers.iter().any(|m| v.contains(m.as_str())))
        .map(|(place, v)| format!("{place}: {v}"))
        .collect()
}

#[test]
fn an_erasure_removes_the_customer_from_every_services_tables_in_one_go() {
    let mut app = App::new("cp-erasure-everywhere");
    let c = customer_everywhere(&mut app, 1);
    // A create refused because the national id is taken concerns the holder too.
    let mut taken = profile(2);
    taken["nationalId"] = json!(markers(1)[1]);
    let refused = app.post("profile", "/v1/customers", "duplicate-1", taken, &[], 409);
    assert_eq!(refused["existingId"], c.as_str());
    customer_everywhere(&mut app, 2);
    let before = holding(&app.profile, &markers(1));
    for table in [
        "customers.",
        "interactions.",
        "complaint_history.",
        "surveys.",
        "loyalty_entries.",
        "loan_applications.",
        "loan_transitions.",
        "idempotency_keys.body",
    ] {
        assert!(
            before.iter().any(|p| p.starts_with(table)),
            "{table}: {before:#?}"
        );
    }
    let others_before = holding(&app.profile, &markers(2));

    let erased = app
        .profile
        .request("DELETE", &format!("/v1/customers/{c}"), None, &[]);
    assert_eq!(erased.status(), 204, "{}", text(&erased));

    assert_eq!(holding(&app.profile, &markers(1)), Vec::<String>::new());
    assert_eq!(
        app.profile.sql_column(&format!(
            "SELECT count(*) FROM recommendation_feedback WHERE customer_id = '{c}'"
        )),
        ["0"]
    );
    assert_eq!(
        app.profile.sql_column(&format!(
            "SELECT coalesce(date_of_birth, '-') || segment FROM customers WHERE id = '{c}'"
        )),
        ["-erased"]
    );
    // The other customer keeps everything.
    assert_eq!(holding(&app.profile, &markers(2)), others_before);

    // The erased customer's keyed requests replay without anything personal.
    for keyed in app.keyed.clone() {
        let Keyed {
            service,
            path,
            key,
            body,
            headers,
        } = keyed;
        if !key.ends_with("-1") {
            continue;
        }
        let mut all: Vec<(&str, &str)> = vec![("idempotency-key", key.as_str())];
        all.extend(headers.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        let replay = app.service(service).post_json(&path, &body, &all);
        let answer = text(&replay);
        assert!(
            !markers(1).iter().any(|m| answer.contains(m.as_str())),
            "{path}: {answer}"
        );
        if service == "offers" {
            // Feedback checks its customer before the key: an erased one is 404.
            assert_eq!(replay.status(), 404, "{path}: {answer}");
            continue;
        }
        assert_eq!(replay.status(), 409, "{key} {path}: {answer}");
        assert_eq!(json(&replay)["code"], "customer_erased");
        assert_eq!(replay.headers()["idempotent-replayed"], "true");
    }
}

#[test]
fn an_erasure_that_fails_part_way_changes_nothing() {
    let mut app = App::new("cp-erasure-atomic");
    let c = customer_everywhere(&mut app, 1);
    let before = holding(&app.profile, &markers(1));
    // The last owner's statement to run breaks: everything before it must roll back.
    app.profile.sql_column(
        "CREATE TRIGGER test_breaks_erasure BEFORE UPDATE ON idempotency_keys
         WHEN NEW.fingerprint = 'erased'
         BEGIN SELECT RAISE(ABORT, 'the erasure fails here'); END",
    );

    let failed = app
        .profile
        .request("DELETE", &format!("/v1/customers/{c}"), None, &[]);

    assert_eq!(failed.status(), 500, "{}", text(&failed));
    assert_eq!(app.profile.get(&format!("/v1/customers/{c}")).status(), 200);
    assert_eq!(holding(&app.profile, &markers(1)), before);
    app.profile.sql_column("DROP TRIGGER test_breaks_erasure");
    let retried = app
        .profile
        .request("DELETE", &format!("/v1/customers/{c}"), None, &[]);
    assert_eq!(retried.status(), 204, "{}", text(&retried));
    assert_eq!(holding(&app.profile, &markers(1)), Vec::<String>::new());
}

#[test]
fn erased_text_is_overwritten_in_the_database_file_not_left_in_free_space() {
    let mut app = App::new("cp-erasure-bytes");
    let c = customer_everywhere(&mut app, 1);
    customer_everywhere(&mut app, 2);
    let file = |name: &str| std::fs::read(app.profile.dir().join(name)).unwrap_or_default();
    let count = |bytes: &[u8], marker: &str| {
        bytes
            .windows(marker.len())
            .filter(|w| *w == marker.as_bytes())
            .count()
    };
    let before: usize = markers(1)
        .iter()
        .map(|m| count(&file("sqlite_db.db"), m) + count(&file("sqlite_db.db-wal"), m))
        .sum();
    assert!(before > 0, "the markers are in the file before");

    let erased = app
        .profile
        .request("DELETE", &format!("/v1/customers/{c}"), None, &[]);
    assert_eq!(erased.status(), 204, "{}", text(&erased));

    assert_eq!(
        file("sqlite_db.db-wal").len(),
        0,
        "the WAL was checkpointed and emptied"
    );
    let db = file("sqlite_db.db");
    for marker in markers(1) {
        assert_eq!(
            count(&db, &marker),
            0,
            "{marker} is still in the file's bytes"
        );
    }
    for marker in markers(2) {
        assert!(
            count(&db, &marker) > 0,
            "{marker} of the other customer is kept"
        );
    }
}
