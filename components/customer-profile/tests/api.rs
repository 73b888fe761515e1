//! The customer-profile handlers and repository through `crm_http::serve` over
//! rusqlite with the real migrations: validation, conflicts, merge patch, paging,
//! erasure, and that refused input writes nothing.

use crm_http::testing::{TestService, json};
use customer_profile::SERVICE;
use serde_json::{Value, json};

fn customer(national_id: &str, name: &str) -> Value {
    json!({
        "fullName": name,
        "dateOfBirth": "1990-03-07",
        "nationalId": national_id,
        "nationalIdCountry": "CN",
        "email": "li.wei@example.com",
        "phone": "+8613800138000",
        "segment": "retail",
        "riskTolerance": "balanced",
        "monthlyIncome": {"amount": 2_000_000, "currency": "CNY"},
        "totalAssets": {"amount": 60_000_000, "currency": "CNY"},
        "creditScore": 720,
        "employmentStatus": "employed",
        "tags": [{"family": "marketing", "name": "likes_travel"}],
        "consent": {"marketing": {"sms": {"granted": true, "source": "branch"}}}
    })
}

fn create(app: &TestService<'_>, key: &str, body: &Value) -> crm_http::Response {
    app.post_json("/v1/customers", body, &[("idempotency-key", key)])
}

/// A refused body: the body, its headers, the expected status and problem code.
type Case<'a> = (Option<String>, &'a [(&'a str, &'a str)], u16, &'a str);

fn count(app: &TestService<'_>) -> String {
    app.sql_column("SELECT count(*) FROM customers").join(",")
}

#[test]
fn a_created_customer_reads_back_with_its_etag_and_derived_tier() {
    let app = TestService::new(&SERVICE, "cp-create");
    let created = create(&app, "k1", &customer("110101199003071234", "Li Wei"));
    assert_eq!(created.status(), 201);
    let body = json(&created);
    let id = body["id"].as_str().expect("id");
    assert!(id.starts_with("cus_"));
    assert_eq!(created.headers()["location"], format!("/v1/customers/{id}"));
    assert_eq!(body["valueTier"], "priority");
    assert_eq!(body["status"], "active");
    assert_eq!(body["kycStatus"], "pending");
    assert!(body["consent"]["marketing"]["sms"]["updatedAt"].is_string());

    let read = app.get(&format!("/v1/customers/{id}"));
    assert_eq!(read.status(), 200);
    assert_eq!(read.headers()["etag"], "\"1\"");
    assert_eq!(
        json(&read)["nationalId"],
        "110101199003071234",
        "the single read is unmasked"
    );
}

#[test]
fn a_second_customer_with_the_same_national_id_is_a_409_naming_the_first() {
    let app = TestService::new(&SERVICE, "cp-dup");
    let first = json(&create(
        &app,
        "k1",
        &customer("110101199003071234", "Li Wei"),
    ));
    let second = create(&app, "k2", &customer("1101-0119 9003071234", "Wei Li"));
    assert_eq!(second.status(), 409);
    let problem = json(&second);
    assert_eq!(problem["code"], "duplicate_national_id");
    assert_eq!(problem["existingId"], first["id"]);
    assert_eq!(count(&app), "1");
    // A teller sees national ids masked: the answer does not say whose id it is.
    let mut third = customer("110101199003071234", "Wei Li");
    third.as_object_mut().map(|b| b.remove("creditScore"));
    let teller = create(&app.as_user("t-1", &["teller"]), "k3", &third);
    assert_eq!(teller.status(), 409);
    let problem = json(&teller);
    assert_eq!(problem["code"], "duplicate_national_id");
    assert!(problem.get("existingId").is_none(), "{problem}");
    let first_id = first["id"].as_str().expect("id");
    assert!(!problem.to_string().contains(first_id), "{problem}");
}

#[test]
fn same_name_birth_date_and_phone_is_accepted_but_flagged() {
    let app = TestService::new(&SERVICE, "cp-flag");
    let first = json(&create(
        &app,
        "k1",
        &customer("110101199003071234", "Li Wei"),
    ));
    let second = json(&create(
        &app,
        "k2",
        &customer("220101199003071234", "li  wei"),
    ));
    assert_eq!(second["possibleDuplicateOf"], json!([first["id"]]));
}

#[test]
fn invalid_values_are_a_422_listing_every_field_and_nothing_is_written() {
    let app = TestService::new(&SERVICE, "cp-invalid");
    let mut body = customer("110101199003071234", "Li Wei");
    body["email"] = json!("nope");
    body["phone"] = json!("138");
    body["dateOfBirth"] = json!("2015-01-01");
    body["creditScore"] = json!(900);
    let response = create(&app, "k1", &body);
    assert_eq!(response.status(), 422);
    let fields: Vec<Value> = json(&response)["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].clone())
        .collect();
    assert_eq!(
        fields,
        vec![
            json!("dateOfBirth"),
            json!("email"),
            json!("phone"),
            json!("creditScore")
        ]
    );
    assert_eq!(count(&app), "0");
}

#[test]
fn malformed_bodies_are_refused_with_their_status_and_write_nothing() {
    let app = TestService::new(&SERVICE, "cp-malformed");
    let headers = [
        ("content-type", "application/json"),
        ("idempotency-key", "k"),
    ];
    let cases: Vec<Case<'_>> = vec![
        (Some("{".into()), &headers, 400, "malformed_json"),
        (None, &headers, 400, "empty_body"),
        (
            Some(r#"{"fullName":"x","bogus":1}"#.into()),
            &headers,
            400,
            "unknown_field",
        ),
        (
            Some("{}".into()),
            &[("content-type", "text/plain"), ("idempotency-key", "k")],
            415,
            "unsupported_media_type",
        ),
        (
            Some(format!("\"{}\"", "x".repeat(70_000))),
            &headers,
            413,
            "payload_too_large",
        ),
        (
            Some(r#"{"segment":"gold"}"#.into()),
            &headers,
            422,
            "validation_failed",
        ),
    ];
    for (body, headers, status, code) in cases {
        let response = app.request("POST", "/v1/customers", body.as_deref(), headers);
        assert_eq!(response.status(), status, "{code}");
        assert_eq!(json(&response)["code"], code);
    }
    let missing_key = app.post_json(
        "/v1/customers",
        &customer("110101199003071234", "Li Wei"),
        &[],
    );
    assert_eq!(json(&missing_key)["code"], "missing_idempotency_key");
    assert_eq!(count(&app), "0");
}

fn patch(app: &TestService<'_>, id: &str, etag: Option<&str>, body: &Value) -> crm_http::Response {
    let mut headers = vec![("content-type", "application/merge-patch+json")];
    if let Some(etag) = etag {
        headers.push(("if-match", etag));
    }
    app.request(
        "PATCH",
        &format!("/v1/customers/{id}"),
        Some(&body.to_string()),
        &headers,
    )
}

#[test]
fn a_merge_patch_keeps_absent_fields_removes_nulls_and_bumps_the_etag() {
    let app = TestService::new(&SERVICE, "cp-patch");
    let id = json(&create(
        &app,
        "k1",
        &customer("110101199003071234", "Li Wei"),
    ))["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let response = patch(
        &app,
        &id,
        Some("\"1\""),
        &json!({"email": null, "totalAssets": {"amount": 700_000_000}, "riskTolerance": "growth"}),
    );
    assert_eq!(
        response.status(),
        200,
        "{}",
        String::from_utf8_lossy(response.body())
    );
    assert_eq!(response.headers()["etag"], "\"2\"");
    let body = json(&response);
    assert!(body.get("email").is_none(), "null removed it");
    assert_eq!(body["phone"], "+8613800138000", "absent kept it");
    assert_eq!(body["valueTier"], "wealth", "re-derived");
    assert_eq!(body["riskTolerance"], "growth");
    assert_eq!(body["tags"][0]["name"], "likes_travel");
}

#[test]
fn a_patch_without_if_match_is_428_and_a_stale_one_is_412_and_neither_writes() {
    let app = TestService::new(&SERVICE, "cp-etag");
    let id = json(&create(
        &app,
        "k1",
        &customer("110101199003071234", "Li Wei"),
    ))["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(
        patch(&app, &id, None, &json!({"fullName": "X"})).status(),
        428
    );
    assert_eq!(
        patch(&app, &id, Some("\"1\""), &json!({"fullName": "Li Wei Jr"})).status(),
        200
    );
    assert_eq!(
        patch(&app, &id, Some("\"1\""), &json!({"fullName": "Stale"})).status(),
        412
    );
    assert_eq!(
        json(&app.get(&format!("/v1/customers/{id}")))["fullName"],
        "Li Wei Jr"
    );
}

#[test]
fn read_only_fields_cannot_be_patched() {
    let app = TestService::new(&SERVICE, "cp-readonly");
    let mut body = customer("110101199003071234", "Li Wei");
    body["kycStatus"] = json!("verified");
    let id = json(&create(&app, "k1", &body))["id"]
        .as_str()
        .expect("id")
        .to_owned();
    for (patch_body, field) in [
        (json!({"id": "cus_x"}), "id"),
        (json!({"createdAt": "2020-01-01T00:00:00Z"}), "createdAt"),
        (json!({"valueTier": "wealth"}), "valueTier"),
        (json!({"status": "erased"}), "status"),
    ] {
        let response = patch(&app, &id, Some("\"1\""), &patch_body);
        assert_eq!(response.status(), 422, "{field}");
        assert_eq!(json(&response)["errors"][0]["field"], field);
    }
    let wrong_type = app.request(
        "PATCH",
        &format!("/v1/customers/{id}"),
        Some("{}"),
        &[("content-type", "application/json"), ("if-match", "\"1\"")],
    );
    assert_eq!(wrong_type.status(), 415);
    assert_eq!(
        app.get(&format!("/v1/customers/{id}")).headers()["etag"],
        "\"1\""
    );
}

#[test]
fn listing_pages_through_every_customer_once_with_private_fields_masked() {
    let app = TestService::new(&SERVICE, "cp-list");
    let mut created = Vec::new();
    for i in 0..7 {
        let body = customer(&format!("1101011990030{i:05}"), &format!("Zhang San {i}"));
        created.push(json(&create(&app, &format!("k{i}"), &body))["id"].clone());
    }
    let mut seen = Vec::new();
    let mut path = "/v1/customers?limit=3".to_owned();
    loop {
        let page = json(&app.get(&path));
        for item in page["items"].as_array().expect("items") {
            assert_eq!(item["phone"], "**********8000");
            assert!(
                item["nationalId"]
                    .as_str()
                    .expect("masked")
                    .starts_with("*****")
            );
            seen.push(item["id"].clone());
        }
        match page["nextCursor"].as_str() {
            Some(cursor) => path = format!("/v1/customers?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, created);
}

#[test]
fn search_matches_a_name_prefix_an_exact_email_or_an_exact_phone() {
    let app = TestService::new(&SERVICE, "cp-search");
    let mut a = customer("110101199003070001", "Wang Fang");
    a["email"] = json!("fang@example.com");
    a["phone"] = json!("+8613900000001");
    let mut b = customer("110101199003070002", "Wang Lei");
    b["email"] = json!("lei@example.com");
    b["phone"] = json!("+8613900000002");
    create(&app, "a", &a);
    create(&app, "b", &b);
    let names = |q: &str| -> Vec<Value> {
        json(&app.get(&format!("/v1/customers?q={q}")))["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["fullName"].clone())
            .collect()
    };
    assert_eq!(names("wang"), vec![json!("Wang Fang"), json!("Wang Lei")]);
    assert_eq!(names("WANG+L"), vec![json!("Wang Lei")]);
    assert_eq!(names("fang%40EXAMPLE.com"), vec![json!("Wang Fang")]);
    assert_eq!(names("%2B8613900000002"), vec![json!("Wang Lei")]);
    assert_eq!(
        names("fang"),
        Vec::<Value>::new(),
        "e-mail matches exactly, not by prefix"
    );
}

#[test]
fn list_filters_are_validated() {
    let app = TestService::new(&SERVICE, "cp-filters");
    for (query, field) in [
        ("segment=gold", "segment"),
        ("tier=x", "tier"),
        ("status=erased", "status"),
        ("limit=0", "limit"),
        ("cursor=zz", "cursor"),
    ] {
        let response = app.get(&format!("/v1/customers?{query}"));
        assert_eq!(response.status(), 422, "{query}");
        assert_eq!(json(&response)["errors"][0]["field"], field);
    }
    assert_eq!(app.get("/v1/customers?colour=red").status(), 400);
}

#[test]
fn erasure_leaves_an_anonymised_shell_that_reads_as_not_found() {
    let app = TestService::new(&SERVICE, "cp-erase");
    let id = json(&create(
        &app,
        "k1",
        &customer("110101199003071234", "Li Wei"),
    ))["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(
        app.request("DELETE", &format!("/v1/customers/{id}"), None, &[])
            .status(),
        204
    );
    assert_eq!(app.get(&format!("/v1/customers/{id}")).status(), 404);
    assert_eq!(
        app.request("DELETE", &format!("/v1/customers/{id}"), None, &[])
            .status(),
        204,
        "idempotent"
    );
    let personal = app.sql_column(
        "SELECT coalesce(full_name, '') || coalesce(national_id, '') || coalesce(email, '') || coalesce(phone, '') || coalesce(date_of_birth, '') FROM customers",
    );
    assert_eq!(personal, vec![String::new()]);
    assert!(!app.sql_column("SELECT document FROM customers")[0].contains("Li Wei"));
    assert_eq!(
        app.sql_column("SELECT count(*) FROM customer_tags"),
        vec!["0"]
    );
    // The national id is free again for a new customer.
    assert_eq!(
        create(&app, "k2", &customer("110101199003071234", "Li Wei")).status(),
        201
    );
    assert_eq!(
        app.request(
            "DELETE",
            "/v1/customers/cus_00000000000000000000000000",
            None,
            &[]
        )
        .status(),
        404
    );
}

#[test]
fn the_segment_summary_counts_customers_by_segment_tier_and_status() {
    let app = TestService::new(&SERVICE, "cp-summary");
    create(&app, "a", &customer("110101199003070001", "A"));
    let mut private = customer("110101199003070002", "B");
    private["segment"] = json!("private");
    private["totalAssets"] = json!({"amount": 900_000_000, "currency": "CNY"});
    let id = json(&create(&app, "b", &private))["id"]
        .as_str()
        .expect("id")
        .to_owned();
    create(&app, "c", &customer("110101199003070003", "C"));
    app.request("DELETE", &format!("/v1/customers/{id}"), None, &[]);
    let summary = json(&app.get("/v1/customers/segments/summary"));
    assert_eq!(summary["total"], 2);
    assert_eq!(summary["bySegment"]["retail"], 2);
    assert_eq!(summary["bySegment"]["private"], 0);
    assert_eq!(summary["byValueTier"]["priority"], 2);
    assert_eq!(summary["byStatus"]["active"], 2);
    assert_eq!(summary["byStatus"]["erased"], 1);
}
