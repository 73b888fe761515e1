//! What a handler sees of its request.

use crate::{ApiError, JSON, MAX_BODY_BYTES, Request, RequestId, Service, json_body, query};
use crm_domain::Timestamp;
use crm_store::{Database, KeyValue, Stores};
use serde::de::DeserializeOwned;
use std::cell::RefCell;

/// One request's context: the request, its route captures, id, clock and stores.
pub struct Ctx<'a> {
    /// The request as Spin delivered it.
    pub request: &'a Request,
    /// The id for logs and problem bodies.
    pub request_id: RequestId,
    /// The time the request arrived; one value per request so a handler is consistent.
    pub now: Timestamp,
    /// The component serving it.
    pub service: &'a Service,
    stores: &'a Stores,
    params: Vec<(String, String)>,
    log_note: RefCell<Option<String>>,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(
        request: &'a Request,
        request_id: RequestId,
        now: Timestamp,
        service: &'a Service,
        stores: &'a Stores,
        params: Vec<(String, String)>,
    ) -> Self {
        Ctx {
            request,
            request_id,
            now,
            service,
            stores,
            params,
            log_note: RefCell::new(None),
        }
    }

    /// The value captured for `:name` in the route pattern.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// A request header as text (`None` when absent or not visible ASCII).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
    }

    /// The decoded value of query parameter `name`; 400 when repeated or badly encoded.
    pub fn query(&self, name: &str) -> Result<Option<String>, ApiError> {
        let Some(raw) = self.request.uri().query() else {
            return Ok(None);
        };
        let mut found = None;
        for (key, value) in query::pairs(raw) {
            if key.as_deref() != Some(name) {
                continue;
            }
            let value = value.ok_or_else(|| {
                bad_query(format!("`{name}` is not valid UTF-8 percent-encoding"))
            })?;
            if found.replace(value).is_some() {
                return Err(bad_query(format!("`{name}` is given more than once")));
            }
        }
        Ok(found)
    }

    /// Refuses query parameters outside `known`, so a typo (`limt=5`) is not silently ignored.
    pub fn only_query_params(&self, known: &[&str]) -> Result<(), ApiError> {
        let Some(raw) = self.request.uri().query() else {
            return Ok(());
        };
        for (key, _) in query::pairs(raw) {
            match key {
                Some(k) if known.contains(&k.as_str()) => {}
                Some(k) => return Err(bad_query(format!("unknown query parameter `{k}`"))),
                None => return Err(bad_query("a query parameter name is badly encoded".into())),
            }
        }
        Ok(())
    }

    /// The body as JSON `T`, with the default cap and media type.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        json_body(self.request, JSON, MAX_BODY_BYTES)
    }

    /// The SQL database, migrated.
    pub fn db(&self) -> Result<&dyn Database, ApiError> {
        self.stores.database().map_err(ApiError::from)
    }

    /// The stores themselves, for checks that must see the raw store errors.
    pub fn stores(&self) -> &Stores {
        self.stores
    }

    /// The key-value store.
    pub fn kv(&self) -> Result<&dyn KeyValue, ApiError> {
        self.stores.key_value().map_err(ApiError::from)
    }

    /// Adds a note to this request's log line (never personal data).
    pub fn note(&self, text: impl Into<String>) {
        *self.log_note.borrow_mut() = Some(text.into());
    }

    pub(crate) fn take_note(&self) -> Option<String> {
        self.log_note.borrow_mut().take()
    }
}

fn bad_query(detail: String) -> ApiError {
    ApiError::BadRequest {
        code: "invalid_query",
        detail,
    }
}
