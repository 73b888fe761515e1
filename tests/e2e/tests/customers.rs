//! The customer profile through the host: the issue's end-to-end walk, paging across
//! 250 customers, and bad inputs that must answer problem+json and change nothing.

use crm_e2e::{TestApp, TestResponse};
use serde_json::{Value, json};

fn customer(n: usize) -> Value {
    json!({
        "fullName": format!("Chen Jing {n:03}"),
        "dateOfBirth": "1985-06-15",
        "nationalId": format!("3101011985061{n:05}"),
        "nationalIdCountry": "CN",
        "email": format!("chen.{n}@example.com"),
        "phone": format!("+86139{n:08}"),
        "segment": "mass_affluent",
        "riskTolerance": "moderate",
        "monthlyIncome": {"amount": 4_500_000, "currency": "CNY"},
        "totalAssets": {"amount": 120_000_000, "currency": "CNY"},
        "employmentStatus": "employed",
        "holdings": [{"productCode": "SALARY_ACCOUNT", "openedAt": "2020-01-01T00:00:00Z"}],
        "tags": [{"family": "customer_value", "name": "high_potential"}]
    })
}

fn create(app: &TestApp, n: usize) -> TestResponse {
    app.post_json(
        "/v1/customers",
        &customer(n),
        &[("idempotency-key", &format!("create-{n}"))],
    )
}

fn patch(app: &TestApp, id: &str, etag: Option<&str>, body: &Value) -> TestResponse {
    let mut headers = vec![("content-type", "application/merge-patch+json")];
    if let Some(etag) = etag {
        headers.push(("if-match", etag));
    }
    app.request(
        "PATCH",
        &format!("/v1/customers/{id}"),
        Some(body.to_string().as_bytes()),
        &headers,
    )
}

fn total(app: &TestApp) -> i64 {
    app.get("/v1/customers/segments/summary").json()["total"]
        .as_i64()
        .expect("total")
}

#[test]
fn create_read_patch_view_and_erase_a_customer() {
    let app = TestApp::spawn();
    let created = create(&app, 1);
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["id"].as_str().expect("id").to_owned();
    assert_eq!(
        created.header("location"),
        Some(format!("/v1/customers/{id}").as_str())
    );

    let read = app.get(&format!("/v1/customers/{id}"));
    assert_eq!(read.status, 200);
    let etag = read.header("etag").expect("etag").to_owned();
    assert_eq!(read.json()["email"], "chen.1@example.com");
    assert_eq!(read.json()["valueTier"], "priority");

    let replay = create(&app, 1);
    assert_eq!(replay.status, 201);
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.json()["id"], id.as_str());

    patch(&app, &id, None, &json!({"segment": "private"}))
        .assert_problem(428, "precondition_required");
    let patched = patch(
        &app,
        &id,
        Some(&etag),
        &json!({"phone": null, "kycStatus": "verified"}),
    );
    assert_eq!(patched.status, 200, "{}", patched.text());
    assert!(patched.json().get("phone").is_none());
    assert_ne!(patched.header("etag"), Some(etag.as_str()));
    patch(&app, &id, Some(&etag), &json!({"segment": "private"}))
        .assert_problem(412, "precondition_failed");

    // The 360° view reads what the other components wrote, in one request.
    let contact = app.post_json(
        "/v1/interactions",
        &json!({"customerId": id, "channel": "branch", "direction": "inbound",
                "type": "inquiry", "subject": "Asked about savings", "agentId": "teller-4",
                "occurredAt": "2026-01-05T10:00:00Z"}),
        &[("idempotency-key", "contact-1")],
    );
    assert_eq!(contact.status, 201, "{}", contact.text());
    let earned = app.post_json(
        &format!("/v1/loyalty/accounts/{id}/earn"),
        &json!({"eventType": "salary_deposit", "reference": "salary-2026-01"}),
        &[("idempotency-key", "earn-1")],
    );
    assert_eq!(earned.status, 201, "{}", earned.text());
    let view = app.get(&format!("/v1/customers/{id}/360"));
    assert_eq!(view.status, 200, "{}", view.text());
    let view = view.json();
    assert_eq!(view["profile"]["id"], id.as_str());
    assert_eq!(view["profile"]["kycStatus"], "verified");
    assert_eq!(
        view["interactions"]["recent"][0]["id"],
        contact.json()["id"]
    );
    assert_eq!(view["loyalty"]["balance"], earned.json()["points"]);
    assert_eq!(view["complaints"]["open"], 0);
    assert_eq!(view["loansInFlight"], json!([]));
    assert_eq!(
        view["notes"],
        json!([{"part": "engagement.churn", "note": "no churn run has scored the customer yet"}]),
        "every other part has something to show"
    );
    assert_eq!(
        view["engagement"],
        json!({"openAlerts": [], "recentEvents": [], "pendingTasks": []})
    );
    assert_eq!(
        view["recommendations"]["items"].as_array().map(Vec::len),
        Some(3),
        "{view}"
    );

    assert_eq!(
        app.request("DELETE", &format!("/v1/customers/{id}"), None, &[])
            .status,
        204
    );
    app.get(&format!("/v1/customers/{id}"))
        .assert_problem(404, "not_found");
    app.get(&format!("/v1/customers/{id}/360"))
        .assert_problem(404, "not_found");
    assert_eq!(total(&app), 0);
}

#[test]
fn paging_through_250_customers_returns_each_exactly_once_in_a_stable_order() {
    let app = TestApp::spawn();
    let mut created = Vec::new();
    for n in 0..250 {
        let response = create(&app, n);
        assert_eq!(response.status, 201, "{}", response.text());
        created.push(response.json()["id"].as_str().expect("id").to_owned());
    }
    let mut seen = Vec::new();
    let mut path = "/v1/customers?limit=40".to_owned();
    let mut pages = 0;
    loop {
        let page = app.get(&path);
        assert_eq!(page.status, 200, "{}", page.text());
        let page = page.json();
        for item in page["items"].as_array().expect("items") {
            assert!(
                item["email"].as_str().expect("email").starts_with('*'),
                "lists mask e-mail"
            );
            seen.push(item["id"].as_str().expect("id").to_owned());
        }
        pages += 1;
        match page["nextCursor"].as_str() {
            Some(cursor) => path = format!("/v1/customers?limit=40&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(pages, 7);
    assert_eq!(seen, created, "no gaps, no repeats, creation order");

    let prefix = app.get("/v1/customers?q=chen+jing+24&limit=200").json();
    let names: Vec<&str> = prefix["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["fullName"].as_str().expect("name"))
        .collect();
    assert_eq!(names.len(), 10, "Chen Jing 240..249: {names:?}");
    let tagged = app
        .get("/v1/customers?tag=high_potential&segment=mass_affluent&tier=priority&limit=1")
        .json();
    assert_eq!(tagged["items"].as_array().map(Vec::len), Some(1));
    assert!(tagged["nextCursor"].is_string());
}

#[test]
fn every_bad_input_answers_its_problem_and_changes_nothing() {
    let app = TestApp::spawn();
    let id = create(&app, 7).json()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let etag = app
        .get(&format!("/v1/customers/{id}"))
        .header("etag")
        .expect("etag")
        .to_owned();

    let json_headers = [
        ("content-type", "application/json"),
        ("idempotency-key", "bad"),
    ];
    let post = |body: &[u8], headers: &[(&str, &str)]| {
        app.request("POST", "/v1/customers", Some(body), headers)
    };
    post(b"{\"fullName\":", &json_headers).assert_problem(400, "malformed_json");
    post(b"", &json_headers).assert_problem(400, "empty_body");
    post(br#"{"fullName":"x","shoeSize":42}"#, &json_headers).assert_problem(400, "unknown_field");
    post(
        b"{}",
        &[("content-type", "text/csv"), ("idempotency-key", "bad")],
    )
    .assert_problem(415, "unsupported_media_type");
    post(&vec![b' '; 70_000], &json_headers).assert_problem(413, "payload_too_large");
    let no_key = app.post_json("/v1/customers", &customer(8), &[]);
    no_key.assert_problem(400, "missing_idempotency_key");
    let mut minor = customer(9);
    minor["dateOfBirth"] = json!("2015-01-01");
    minor["email"] = json!("not-an-email");
    let problem = app
        .post_json("/v1/customers", &minor, &[("idempotency-key", "minor")])
        .assert_problem(422, "validation_failed");
    assert_eq!(problem["errors"].as_array().map(Vec::len), Some(2));
    let mut duplicate = customer(7);
    duplicate["fullName"] = json!("Someone Else");
    let conflict = app
        .post_json("/v1/customers", &duplicate, &[("idempotency-key", "dup")])
        .assert_problem(409, "duplicate_national_id");
    assert_eq!(conflict["existingId"], id.as_str());

    patch(&app, &id, Some(&etag), &json!({"id": "cus_x"})).assert_problem(422, "validation_failed");
    patch(&app, &id, Some(&etag), &json!({"creditScore": 1000}))
        .assert_problem(422, "validation_failed");
    patch(&app, &id, Some(&etag), &json!({"nickname": "cj"})).assert_problem(400, "unknown_field");
    patch(&app, &id, Some("\"999\""), &json!({"segment": "retail"}))
        .assert_problem(412, "precondition_failed");
    app.request(
        "PATCH",
        &format!("/v1/customers/{id}"),
        Some(b"{}"),
        &[("content-type", "application/json"), ("if-match", &etag)],
    )
    .assert_problem(415, "unsupported_media_type");
    app.get("/v1/customers/cus_00000000000000000000000000")
        .assert_problem(404, "not_found");
    app.get("/v1/customers/not-an-id")
        .assert_problem(404, "not_found");
    app.get("/v1/customers?limit=500")
        .assert_problem(422, "validation_failed");
    app.get("/v1/customers?sort=name")
        .assert_problem(400, "invalid_query");
    app.request("PUT", "/v1/customers", None, &[])
        .assert_problem(405, "method_not_allowed");

    assert_eq!(total(&app), 1, "nothing was created");
    let after = app.get(&format!("/v1/customers/{id}"));
    assert_eq!(
        after.header("etag"),
        Some(etag.as_str()),
        "nothing was changed"
    );
    assert_eq!(after.json()["fullName"], "Chen Jing 007");
}
