//! Idempotency-Key handling over the real rusqlite store and the real migrations.

use crm_http::{ApiError, ApiResult, Ctx, Route, Service, idempotency, json_response, serve};
use crm_store::Value;
use crm_store::native::{fresh_state_dir, stores_in};
use http::StatusCode;
use serde_json::json;
use std::path::Path;
use std::sync::{Arc, Barrier};

fn create_thing(ctx: &Ctx<'_>) -> ApiResult {
    idempotency::run(ctx, |db| {
        let body: serde_json::Value = ctx.json()?;
        if body["name"] == "invalid" {
            return Err(ApiError::invalid("name", "is invalid"));
        }
        if body["name"] == "crash" {
            return Err(ApiError::Internal("simulated failure".into()));
        }
        if let Some(customer) = body["customerId"].as_str() {
            ctx.set_customer(customer);
        }
        db.execute(
            "CREATE TABLE IF NOT EXISTS things (id INTEGER PRIMARY KEY, name TEXT)",
            &[],
        )?;
        let rows = db.execute(
            "INSERT INTO things (name) VALUES (?) RETURNING id",
            &[Value::from(body["name"].as_str().unwrap_or_default())],
        )?;
        let id = rows
            .first()
            .map(|r| r.i64("id"))
            .transpose()?
            .unwrap_or_default();
        let mut response = json_response(StatusCode::CREATED, &json!({ "id": id }))?;
        response.headers_mut().insert(
            http::header::LOCATION,
            http::HeaderValue::from_str(&format!("/things/{id}"))
                .map_err(|e| ApiError::Internal(e.to_string()))?,
        );
        Ok(response)
    })
}

const SERVICE: Service = Service {
    name: "test",
    version: "0",
    // Idempotency is the subject here, not who calls: an anonymous route keeps it so.
    routes: &[Route::post("/things", create_thing).anonymous()],
};

fn post(dir: &Path, key: Option<&str>, body: &str) -> http::Response<Vec<u8>> {
    let mut builder = http::Request::builder()
        .method("POST")
        .uri("/things")
        .header("content-type", "application/json");
    if let Some(key) = key {
        builder = builder.header("idempotency-key", key);
    }
    let request = builder.body(body.as_bytes().to_vec()).expect("request");
    serve(&SERVICE, request, &stores_in(dir))
}

fn things(dir: &Path) -> i64 {
    let stores = stores_in(dir);
    let db = stores.database().expect("db");
    db.execute("SELECT count(*) AS n FROM things", &[])
        .map(|r| {
            r.first()
                .map(|row| row.i64("n").unwrap_or(-1))
                .unwrap_or(-1)
        })
        .unwrap_or(0)
}

fn json_body(response: &http::Response<Vec<u8>>) -> serde_json::Value {
    serde_json::from_slice(response.body()).expect("json body")
}

#[test]
fn a_replay_with_the_same_key_and_body_returns_the_first_answer_and_writes_once() {
    let dir = fresh_state_dir("idem-replay");
    let first = post(&dir, Some("k1"), r#"{"name":"a","n":1}"#);
    assert_eq!(first.status(), StatusCode::CREATED);
    // Same JSON value, different key order and spacing.
    let second = post(&dir, Some("k1"), r#"{ "n": 1, "name": "a" }"#);
    assert_eq!(second.status(), StatusCode::CREATED);
    assert_eq!(json_body(&second), json_body(&first));
    assert_eq!(second.headers()["location"], first.headers()["location"]);
    assert_eq!(second.headers()[idempotency::REPLAYED_HEADER], "true");
    assert!(first.headers().get(idempotency::REPLAYED_HEADER).is_none());
    assert_eq!(things(&dir), 1);
}

#[test]
fn the_same_key_with_another_body_is_422_and_writes_nothing() {
    let dir = fresh_state_dir("idem-other-body");
    assert_eq!(
        post(&dir, Some("k1"), r#"{"name":"a"}"#).status(),
        StatusCode::CREATED
    );
    let other = post(&dir, Some("k1"), r#"{"name":"b"}"#);
    assert_eq!(other.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json_body(&other)["errors"][0]["field"], "Idempotency-Key");
    assert_eq!(things(&dir), 1);
}

#[test]
fn two_different_keys_make_two_records() {
    let dir = fresh_state_dir("idem-two-keys");
    assert_eq!(
        post(&dir, Some("k1"), r#"{"name":"a"}"#).status(),
        StatusCode::CREATED
    );
    assert_eq!(
        post(&dir, Some("k2"), r#"{"name":"a"}"#).status(),
        StatusCode::CREATED
    );
    assert_eq!(things(&dir), 2);
}

#[test]
fn a_missing_or_oversized_key_is_400() {
    let dir = fresh_state_dir("idem-missing");
    let missing = post(&dir, None, r#"{"name":"a"}"#);
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
    assert_eq!(json_body(&missing)["code"], "missing_idempotency_key");
    let long = "k".repeat(idempotency::MAX_KEY_LEN + 1);
    let oversized = post(&dir, Some(&long), r#"{"name":"a"}"#);
    assert_eq!(json_body(&oversized)["code"], "invalid_idempotency_key");
    assert_eq!(things(&dir), 0);
}

#[test]
fn a_client_error_is_replayed_and_a_server_error_frees_the_key() {
    let dir = fresh_state_dir("idem-errors");
    let invalid = post(&dir, Some("bad"), r#"{"name":"invalid"}"#);
    assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let replay = post(&dir, Some("bad"), r#"{"name":"invalid"}"#);
    assert_eq!(replay.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(replay.headers()[idempotency::REPLAYED_HEADER], "true");

    let crash = post(&dir, Some("c"), r#"{"name":"crash"}"#);
    assert_eq!(crash.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let retry = post(&dir, Some("c"), r#"{"name":"crash"}"#);
    assert_eq!(retry.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        retry.headers().get(idempotency::REPLAYED_HEADER).is_none(),
        "5xx must run again"
    );
}

#[test]
fn twenty_concurrent_requests_with_one_key_create_exactly_one_record() {
    let dir = fresh_state_dir("idem-concurrent");
    let barrier = Arc::new(Barrier::new(20));
    let workers: Vec<_> = (0..20)
        .map(|_| {
            let (dir, barrier) = (dir.clone(), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                post(&dir, Some("same"), r#"{"name":"a"}"#)
            })
        })
        .collect();
    let mut ids = Vec::new();
    for worker in workers {
        let response = worker.join().expect("no panic");
        match response.status() {
            StatusCode::CREATED => ids.push(json_body(&response)["id"].clone()),
            StatusCode::CONFLICT => assert_eq!(json_body(&response)["code"], "request_in_progress"),
            StatusCode::SERVICE_UNAVAILABLE => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert!(!ids.is_empty(), "someone created it");
    assert!(
        ids.windows(2).all(|w| w[0] == w[1]),
        "every 201 names the same record: {ids:?}"
    );
    assert_eq!(things(&dir), 1);
}

fn stored(dir: &Path, key: &str) -> (String, Option<String>, i64) {
    let stores = stores_in(dir);
    let db = stores.database().expect("db");
    let rows = db
        .execute(
            "SELECT fingerprint, customer_id, status FROM idempotency_keys WHERE key = ?",
            &[Value::from(key)],
        )
        .expect("select");
    let row = rows.first().expect("a row");
    (
        row.str("fingerprint").expect("fingerprint").to_owned(),
        row.opt_str("customer_id")
            .expect("customer")
            .map(str::to_owned),
        row.i64("status").expect("status"),
    )
}

#[test]
fn the_request_body_is_stored_only_as_a_hash_with_the_customer_it_concerns() {
    let dir = fresh_state_dir("idem-hashed");
    let body = r#"{"name":"a","customerId":"cus_1","secret":"Quillfeather"}"#;
    assert_eq!(post(&dir, Some("k1"), body).status(), StatusCode::CREATED);
    let (fingerprint, customer, _) = stored(&dir, "k1");
    assert_eq!(fingerprint, idempotency::fingerprint(body.as_bytes()));
    assert!(fingerprint.starts_with("sha256:"), "{fingerprint}");
    assert!(!fingerprint.contains("Quillfeather"));
    assert_eq!(customer.as_deref(), Some("cus_1"));
    assert_eq!(
        post(&dir, Some("k2"), r#"{"name":"b"}"#).status(),
        StatusCode::CREATED
    );
    assert_eq!(stored(&dir, "k2").1, None, "no customer, none recorded");
}

#[test]
fn once_its_customer_is_erased_a_key_answers_409_customer_erased_and_never_runs_again() {
    let dir = fresh_state_dir("idem-erased");
    let body = r#"{"name":"a","customerId":"cus_1"}"#;
    assert_eq!(post(&dir, Some("k1"), body).status(), StatusCode::CREATED);
    // The shared owner's part of an erasure, as customer-profile runs it.
    let shared = crm_store::erasure::ALL
        .iter()
        .find(|part| part.owner == "shared")
        .expect("the shared part");
    let stores = stores_in(&dir);
    let db = stores.database().expect("db");
    for statement in shared.statements {
        db.execute(statement, &[Value::from("cus_1")])
            .expect("erased");
    }
    assert_eq!(
        stored(&dir, "k1"),
        (idempotency::ERASED.into(), Some("cus_1".into()), 409)
    );

    for replay_body in [body, r#"{"name":"another body"}"#] {
        let replay = post(&dir, Some("k1"), replay_body);
        assert_eq!(replay.status(), StatusCode::CONFLICT);
        assert_eq!(json_body(&replay)["code"], "customer_erased");
        assert_eq!(replay.headers()[idempotency::REPLAYED_HEADER], "true");
        assert!(replay.headers().get("location").is_none());
    }
    assert_eq!(things(&dir), 1, "the request did not run again");
}

#[test]
fn a_fingerprint_stored_before_hashing_still_recognises_its_retry() {
    let dir = fresh_state_dir("idem-legacy");
    assert_eq!(
        post(&dir, Some("warm-up"), r#"{"name":"x"}"#).status(),
        StatusCode::CREATED
    );
    let stores = stores_in(&dir);
    let db = stores.database().expect("db");
    db.execute(
        "INSERT INTO idempotency_keys (scope, key, fingerprint, status, content_type, body,
            created_at)
         VALUES ('anonymous POST /things', 'old', 'json:{\"name\":\"a\"}', 201, 'application/json',
                 CAST('{\"id\":7}' AS BLOB), CAST(unixepoch('subsec') * 1000 AS INTEGER))",
        &[],
    )
    .expect("a row recorded before hashing");
    let replay = post(&dir, Some("old"), r#"{ "name": "a" }"#);
    assert_eq!(replay.status(), StatusCode::CREATED);
    assert_eq!(json_body(&replay), json!({"id": 7}));
    let other = post(&dir, Some("old"), r#"{"name":"b"}"#);
    assert_eq!(other.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
