//! Logging contacts and reading the timeline through `crm_http::serve` over rusqlite
//! with the real migrations: validation, customer checks, corrections, paging,
//! filters, erasure, and that refused input writes nothing.

mod common;

use common::{App, DAY, HOUR, at, contact, contact_at, error_fields, now_ms, text};
use crm_http::testing::json;
use serde_json::{Value, json};

#[test]
fn a_logged_contact_reads_back_with_its_location_and_defaults() {
    let app = App::new("int-create");
    let customer = app.customer("active");
    let before = now_ms();

    let response = app.log(&contact(&customer));

    assert_eq!(response.status(), 201, "{}", text(&response));
    let body = json(&response);
    let id = body["id"].as_str().expect("id");
    assert!(id.starts_with("int_"), "{id}");
    assert_eq!(
        response.headers()["location"],
        format!("/v1/interactions/{id}")
    );
    assert_eq!(body["confidential"], false);
    assert_eq!(body["correctedBy"], json!([]));
    assert_eq!(body["complaintId"], Value::Null);
    let occurred = crm_domain::Timestamp::parse(body["occurredAt"].as_str().expect("time"))
        .expect("rfc 3339")
        .unix_millis();
    assert!(occurred >= before - 1000, "occurredAt defaults to now");
    let read = app.get(&format!("/v1/interactions/{id}"));
    assert_eq!(read.status(), 200);
    assert_eq!(json(&read), body);
}

#[test]
fn every_invalid_field_is_reported_at_once_and_nothing_is_written() {
    let app = App::new("int-invalid");
    let customer = app.customer("active");
    let bad = json!({
        "customerId": customer,
        "channel": "pigeon",
        "direction": "sideways",
        "type": "inquiry",
        "subject": "x".repeat(201),
        "notes": "n".repeat(4001),
        "sentiment": "furious",
        "agentId": "",
        "occurredAt": at(now_ms() + 10 * 60_000),
    });

    let response = app.log(&bad);

    assert_eq!(response.status(), 422);
    assert_eq!(
        error_fields(&json(&response)),
        [
            "channel",
            "direction",
            "subject",
            "notes",
            "sentiment",
            "agentId",
            "occurredAt"
        ]
    );
    assert_eq!(app.count("interactions"), 0);
}

#[test]
fn malformed_bodies_are_400_or_415_and_write_nothing() {
    let app = App::new("int-malformed");
    let customer = app.customer("active");
    let mut unknown = contact(&customer);
    unknown["priority"] = json!("high");
    assert_eq!(json(&app.log(&unknown))["code"], "unknown_field");
    let not_json = app.svc.request(
        "POST",
        "/v1/interactions",
        Some("{\"customerId\":"),
        &[
            ("content-type", "application/json"),
            ("idempotency-key", "m1"),
        ],
    );
    assert_eq!(not_json.status(), 400);
    let wrong_type = app.svc.request(
        "POST",
        "/v1/interactions",
        Some(&contact(&customer).to_string()),
        &[("content-type", "text/plain"), ("idempotency-key", "m2")],
    );
    assert_eq!(wrong_type.status(), 415);
    let no_key = app
        .svc
        .post_json("/v1/interactions", &contact(&customer), &[]);
    assert_eq!(json(&no_key)["code"], "missing_idempotency_key");
    assert_eq!(app.count("interactions"), 0);
}

#[test]
fn an_unknown_customer_is_404_and_an_erased_one_409() {
    let app = App::new("int-customer");
    let unknown = app.log(&contact("cus_01KAT0000000000000000000AB"));
    assert_eq!(unknown.status(), 404, "{}", text(&unknown));
    let erased = app.customer("erased");
    let response = app.log(&contact(&erased));
    assert_eq!(response.status(), 409);
    assert_eq!(json(&response)["code"], "customer_erased");
    assert_eq!(app.count("interactions"), 0);
}

#[test]
fn a_correction_is_a_new_interaction_that_the_corrected_one_lists() {
    let app = App::new("int-correction");
    let customer = app.customer("active");
    let original = app.logged(&contact(&customer));
    let original_id = original["id"].as_str().expect("id");
    let mut fix = contact(&customer);
    fix["sentiment"] = json!("negative");
    fix["correctsId"] = json!(original_id);

    let correction = app.logged(&fix);

    assert_eq!(correction["correctsId"], original_id);
    let reread = json(&app.get(&format!("/v1/interactions/{original_id}")));
    assert_eq!(reread["correctedBy"], json!([correction["id"]]));
    assert_eq!(reread["sentiment"], "neutral", "the original is unchanged");
    assert_eq!(app.count("interactions"), 2);
}

#[test]
fn a_correction_must_name_an_existing_interaction_of_the_same_customer() {
    let app = App::new("int-correction-bad");
    let customer = app.customer("active");
    let other = app.customer("active");
    let theirs = app.logged(&contact(&other));
    let mut fix = contact(&customer);
    fix["correctsId"] = theirs["id"].clone();
    let response = app.log(&fix);
    assert_eq!(response.status(), 422);
    assert_eq!(error_fields(&json(&response)), ["correctsId"]);
    fix["correctsId"] = json!("int_01KAT0000000000000000000AB");
    assert_eq!(error_fields(&json(&app.log(&fix))), ["correctsId"]);
    assert_eq!(app.count("interactions"), 1);
}

#[test]
fn interactions_can_be_neither_edited_nor_deleted() {
    let app = App::new("int-append-only");
    let customer = app.customer("active");
    let id = app.logged(&contact(&customer))["id"]
        .as_str()
        .expect("id")
        .to_owned();
    for method in ["PUT", "PATCH", "DELETE"] {
        let response = app
            .svc
            .request(method, &format!("/v1/interactions/{id}"), None, &[]);
        assert_eq!(response.status(), 405, "{method}");
    }
    let stores = crm_store::native::stores_in(app.svc.dir());
    let db = stores.database().expect("db");
    let update = db.execute(
        "UPDATE interactions SET subject = 'changed' WHERE id = ?",
        &[crm_store::Value::from(id.as_str())],
    );
    // The trigger's refusal, not any error (a typo in the statement would pass too).
    let refused = |result: Result<_, crm_store::StoreError>| {
        let err = result.expect_err("refused");
        assert!(
            format!("{err:?}").contains("interactions is append-only"),
            "{err:?}"
        );
    };
    refused(update);
    refused(db.execute("DELETE FROM interactions", &[]));
}

fn timeline(app: &App, query: &str) -> Value {
    let response = app.get(&format!("/v1/interactions?{query}"));
    assert_eq!(response.status(), 200, "{}", text(&response));
    json(&response)
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn the_timeline_is_newest_first_and_pages_without_duplicates_or_gaps() {
    let app = App::new("int-timeline");
    let customer = app.customer("active");
    let other = app.customer("active");
    let base = now_ms() - 30 * DAY;
    let mut expected: Vec<(i64, String)> = Vec::new();
    for i in 0..7 {
        // Two contacts share an instant: the id breaks the tie.
        let when = base + (i / 2) * HOUR;
        let logged = app.logged(&contact_at(&customer, "phone", when));
        expected.push((when, logged["id"].as_str().expect("id").to_owned()));
    }
    app.logged(&contact_at(&other, "phone", base));
    expected.sort_by(|a, b| b.cmp(a));

    let first = timeline(&app, &format!("customerId={customer}&limit=3"));
    // A contact logged between pages, older than the first page's last item.
    let late = app.logged(&contact_at(&customer, "email", base - DAY));
    let cursor = first["nextCursor"].as_str().expect("more pages");
    let second = timeline(
        &app,
        &format!("customerId={customer}&limit=3&cursor={cursor}"),
    );
    let cursor = second["nextCursor"].as_str().expect("more pages");
    let third = timeline(
        &app,
        &format!("customerId={customer}&limit=3&cursor={cursor}"),
    );

    let mut walked = ids(&first);
    walked.extend(ids(&second));
    walked.extend(ids(&third));
    let mut want: Vec<String> = expected.into_iter().map(|(_, id)| id).collect();
    want.push(late["id"].as_str().expect("id").to_owned());
    assert_eq!(walked, want);
    assert_eq!(third["nextCursor"], Value::Null);
}

#[test]
fn the_timeline_filters_by_channel_type_and_period() {
    let app = App::new("int-filters");
    let customer = app.customer("active");
    let base = now_ms() - 10 * DAY;
    app.logged(&contact_at(&customer, "phone", base));
    let email = app.logged(&contact_at(&customer, "email", base + DAY));
    let mut sale = contact_at(&customer, "branch", base + 2 * DAY);
    sale["type"] = json!("sales");
    let sale = app.logged(&sale);

    let by_channel = timeline(&app, &format!("customerId={customer}&channel=email"));
    assert_eq!(ids(&by_channel), [email["id"].as_str().expect("id")]);
    let by_type = timeline(&app, &format!("customerId={customer}&type=sales"));
    assert_eq!(ids(&by_type), [sale["id"].as_str().expect("id")]);
    let from = at(base + DAY);
    let to = at(base + 2 * DAY);
    let period = timeline(&app, &format!("customerId={customer}&from={from}&to={to}"));
    assert_eq!(
        ids(&period),
        [email["id"].as_str().expect("id")],
        "from is inclusive, to exclusive"
    );
}

#[test]
fn timeline_parameters_are_checked_and_every_problem_reported() {
    let app = App::new("int-timeline-params");
    let customer = app.customer("active");
    let missing = app.get("/v1/interactions?limit=0&channel=fax");
    assert_eq!(missing.status(), 422);
    assert_eq!(
        error_fields(&json(&missing)),
        ["customerId", "channel", "limit"]
    );
    let reversed = app.get(&format!(
        "/v1/interactions?customerId={customer}&from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z&cursor=zz"
    ));
    assert_eq!(error_fields(&json(&reversed)), ["to", "cursor"]);
    let unknown_param = app.get(&format!("/v1/interactions?customerId={customer}&limt=5"));
    assert_eq!(unknown_param.status(), 400);
    let unknown_customer = app.get("/v1/interactions?customerId=cus_01KAT0000000000000000000AB");
    assert_eq!(unknown_customer.status(), 404);
    assert_eq!(app.get("/v1/interactions/int_nonsense").status(), 404);
    assert_eq!(
        app.get("/v1/interactions/int_01KAT0000000000000000000AB")
            .status(),
        404
    );
}

#[test]
fn an_erased_customers_free_text_is_no_longer_served() {
    let app = App::new("int-erased");
    let customer = app.customer("active");
    let id = app.logged(&contact(&customer))["id"]
        .as_str()
        .expect("id")
        .to_owned();
    app.erase(&customer);

    let single = json(&app.get(&format!("/v1/interactions/{id}")));
    let page = timeline(&app, &format!("customerId={customer}"));

    for item in [&single, &page["items"][0]] {
        assert_eq!(item["redacted"], true);
        assert_eq!(item["subject"], Value::Null);
        assert_eq!(item["notes"], Value::Null);
        assert_eq!(item["outcome"], Value::Null);
        assert_eq!(item["channel"], "phone", "metadata stays for audit");
    }
}
