//! Shared set-up for the interactions tests: the component served through
//! `crm_http::serve` over rusqlite with the real migrations, customers inserted as the
//! customer-profile service stores them, and request builders.
#![allow(dead_code)]

use crm_domain::id::CustomerId;
use crm_domain::time::Timestamp;
use crm_http::Response;
use crm_http::testing::{TestService, json};
use interactions::SERVICE;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};

pub const HOUR: i64 = 3_600_000;
pub const DAY: i64 = 24 * HOUR;

/// The wall clock in ms: handlers judge `occurredAt` and deadlines against it.
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

    /// A customer row with `status`, as the customer-profile service writes it.
    pub fn customer(&self, status: &str) -> String {
        let id =
            CustomerId::new(crm_http::new_ulid(Timestamp::from_unix_millis(now_ms()))).to_string();
        self.svc.sql_column(&format!(
            "INSERT INTO customers (id, status, segment, value_tier, kyc_status, risk_tolerance,
                 document, version, created_at, updated_at)
             VALUES ('{id}', '{status}', 'retail', 'standard', 'verified', 'balanced', '{{}}',
                 1, 0, 0) RETURNING id"
        ));
        id
    }

    /// Marks a customer erased, as the customer-profile service's DELETE does.
    pub fn erase(&self, customer: &str) {
        self.svc.sql_column(&format!(
            "UPDATE customers SET status = 'erased' WHERE id = '{customer}' RETURNING id"
        ));
    }

    fn fresh_key(&self) -> String {
        format!("key-{}", self.keys.fetch_add(1, Ordering::Relaxed))
    }

    /// `POST /v1/interactions` with `key`.
    pub fn log_with_key(&self, body: &Value, key: &str) -> Response {
        self.svc
            .post_json("/v1/interactions", body, &[("idempotency-key", key)])
    }

    /// `POST /v1/interactions` with a fresh key.
    pub fn log(&self, body: &Value) -> Response {
        self.log_with_key(body, &self.fresh_key())
    }

    /// Logs `body` and returns the stored interaction, failing the test otherwise.
    pub fn logged(&self, body: &Value) -> Value {
        let response = self.log(body);
        assert_eq!(response.status(), 201, "{}", text(&response));
        json(&response)
    }

    /// Opens a complaint case and returns the case (`GET` of its complaintId).
    pub fn complaint(&self, customer: &str, severity: &str, occurred_at: i64) -> Value {
        let interaction = self.logged(&complaint(customer, severity, occurred_at));
        let id = interaction["complaintId"].as_str().expect("complaintId");
        let case = self.get(&format!("/v1/interactions/complaints/{id}"));
        assert_eq!(case.status(), 200, "{}", text(&case));
        json(&case)
    }

    pub fn get(&self, path: &str) -> Response {
        self.svc.get(path)
    }

    /// `POST …/transitions` with `If-Match: etag` (none when `None`).
    pub fn transition(&self, case: &str, etag: Option<&str>, body: &Value) -> Response {
        let mut headers = vec![("content-type", "application/json")];
        if let Some(etag) = etag {
            headers.push(("if-match", etag));
        }
        self.svc.request(
            "POST",
            &format!("/v1/interactions/complaints/{case}/transitions"),
            Some(&body.to_string()),
            &headers,
        )
    }

    /// Moves `case` (at `etag`) to `to`, with the members that target needs; returns
    /// the case after the move.
    pub fn move_to(&self, case: &str, etag: &str, to: &str) -> Value {
        let response = self.transition(case, Some(etag), &step(to));
        assert_eq!(response.status(), 200, "{to}: {}", text(&response));
        json(&response)
    }

    /// `POST /v1/interactions/surveys` with a fresh key.
    pub fn survey(&self, body: &Value) -> Response {
        self.svc.post_json(
            "/v1/interactions/surveys",
            body,
            &[("idempotency-key", &self.fresh_key())],
        )
    }

    /// A single-column SQL read, for assertions that nothing was written.
    pub fn count(&self, table: &str) -> i64 {
        self.svc
            .sql_column(&format!("SELECT count(*) FROM {table}"))
            .first()
            .and_then(|n| n.parse().ok())
            .unwrap_or(-1)
    }
}

/// A transition body for `to` with what that target requires.
pub fn step(to: &str) -> Value {
    let mut body = json!({"to": to, "note": format!("moving to {to}")});
    match to {
        "assigned" => body["assignee"] = json!("agent-42"),
        "resolved" => body["resolution"] = json!("fee refunded and apology sent"),
        _ => {}
    }
    body
}

pub fn text(response: &Response) -> String {
    String::from_utf8_lossy(response.body()).into_owned()
}

/// A valid inbound phone inquiry for `customer`.
pub fn contact(customer: &str) -> Value {
    json!({
        "customerId": customer,
        "channel": "phone",
        "direction": "inbound",
        "type": "inquiry",
        "subject": "Asked about the annual card fee",
        "notes": "Customer wants the fee waived.\nExplained the waiver rules.",
        "outcome": "information_given",
        "sentiment": "neutral",
        "agentId": "agent-7",
    })
}

/// A contact on `channel` at `occurred_at`.
pub fn contact_at(customer: &str, channel: &str, occurred_at: i64) -> Value {
    let mut body = contact(customer);
    body["channel"] = json!(channel);
    body["occurredAt"] = json!(at(occurred_at));
    body
}

/// A complaint of `severity` received at `occurred_at`.
pub fn complaint(customer: &str, severity: &str, occurred_at: i64) -> Value {
    let mut body = contact_at(customer, "branch", occurred_at);
    body["type"] = json!("complaint");
    body["subject"] = json!("Charged twice for the same transfer");
    body["sentiment"] = json!("negative");
    body["complaint"] = json!({"severity": severity, "category": "fees_and_charges"});
    body
}

/// The error fields of a 422 problem body.
pub fn error_fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}
