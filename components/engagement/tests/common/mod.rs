//! Shared set-up for the engagement tests: the component served through
//! `crm_http::serve` over rusqlite with the real migrations, customers inserted as the
//! customer-profile service stores them, and request builders.
#![allow(dead_code)]

use crm_domain::id::CustomerId;
use crm_domain::time::Timestamp;
use crm_http::Response;
use crm_http::testing::{TestService, json};
use engagement::SERVICE;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};

pub const HOUR: i64 = 3_600_000;

/// The wall clock in ms.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// `ms` as RFC 3339.
pub fn at(ms: i64) -> String {
    Timestamp::from_unix_millis(ms).to_string()
}

pub struct App {
    pub svc: TestService<'static>,
    keys: AtomicUsize,
}

impl App {
    pub fn new(name: &str) -> App {
        App {
            svc: TestService::new(&SERVICE, name),
            keys: AtomicUsize::new(0),
        }
    }

    /// A customer row in `rm`'s book, as the customer-profile service writes it.
    pub fn customer_of(&self, rm: Option<&str>) -> String {
        let id =
            CustomerId::new(crm_http::new_ulid(Timestamp::from_unix_millis(now_ms()))).to_string();
        let (column, document) = match rm {
            Some(rm) => (
                format!("'{rm}'"),
                format!("{{\"relationshipManagerId\":\"{rm}\"}}"),
            ),
            None => ("NULL".to_owned(), "{}".to_owned()),
        };
        self.svc.sql_column(&format!(
            "INSERT INTO customers (id, status, segment, value_tier, kyc_status, risk_tolerance,
                 relationship_manager_id, document, version, created_at, updated_at)
             VALUES ('{id}', 'active', 'retail', 'standard', 'verified', 'balanced', {column},
                 '{document}', 1, 0, 0) RETURNING id"
        ));
        id
    }

    /// Marks a customer erased, as the customer-profile service's DELETE does.
    pub fn erase(&self, customer: &str) {
        self.svc.sql_column(&format!(
            "UPDATE customers SET status = 'erased' WHERE id = '{customer}' RETURNING id"
        ));
    }

    pub fn fresh_key(&self) -> String {
        format!("key-{}", self.keys.fetch_add(1, Ordering::Relaxed))
    }

    /// `POST /v1/engagement/events` with `events`.
    pub fn ingest(&self, events: Value) -> Response {
        self.svc
            .post_json("/v1/engagement/events", &json!({ "events": events }), &[])
    }

    /// Posts and returns the body of a 200, failing the test otherwise.
    pub fn ingested(&self, events: Value) -> Value {
        let r = self.ingest(events);
        assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
        json(&r)
    }

    /// `POST /v1/engagement/tasks` with a fresh key.
    pub fn create_task(&self, body: &Value) -> Response {
        self.svc.post_json(
            "/v1/engagement/tasks",
            body,
            &[("idempotency-key", &self.fresh_key())],
        )
    }

    /// `POST path` with `If-Match: "version"`.
    pub fn move_to(&self, path: &str, version: i64, body: &Value) -> Response {
        self.svc
            .post_json(path, body, &[("if-match", &format!("\"{version}\""))])
    }
}

/// A large withdrawal of `minor` CNY for `customer`, an hour ago.
pub fn withdrawal(id: &str, customer: &str, minor: i64, description: &str) -> Value {
    json!({
        "id": id,
        "type": "large_withdrawal",
        "customerId": customer,
        "amount": {"amount": minor, "currency": "CNY"},
        "description": description,
        "occurredAt": at(now_ms() - HOUR),
    })
}

/// The body of `response`, asserting its status.
pub fn body(response: &Response, status: u16) -> Value {
    assert_eq!(
        response.status(),
        status,
        "{}",
        String::from_utf8_lossy(response.body())
    );
    json(response)
}
