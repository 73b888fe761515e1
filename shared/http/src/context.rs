//! What a handler sees of its request.

use crate::auth::{self, Identity};
use crate::{ApiError, JSON, MAX_BODY_BYTES, Request, RequestId, Service, json_body, query};
use crm_domain::Timestamp;
use crm_domain::security::Action;
use crm_store::{Database, KeyValue, Stores};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::cell::{Cell, RefCell};

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
    /// The route pattern that matched (`/v1/customers/:id`).
    pub route: &'static str,
    stores: &'a Stores,
    params: Vec<(String, String)>,
    log_note: RefCell<Option<String>>,
    identity: Option<Identity>,
    subject: RefCell<Option<String>>,
    audit_detail: RefCell<Option<String>>,
    reached: Cell<bool>,
    after_commit: RefCell<Vec<&'static str>>,
    also_touched: RefCell<Vec<(String, Option<String>)>>,
}

impl<'a> Ctx<'a> {
    // One call site (serve), which has every part at hand; a builder would add nothing.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        request: &'a Request,
        request_id: RequestId,
        now: Timestamp,
        service: &'a Service,
        route: &'static str,
        stores: &'a Stores,
        params: Vec<(String, String)>,
        identity: Option<Identity>,
        subject: Option<String>,
    ) -> Self {
        Ctx {
            request,
            request_id,
            now,
            service,
            route,
            stores,
            params,
            log_note: RefCell::new(None),
            identity,
            subject: RefCell::new(subject),
            audit_detail: RefCell::new(None),
            reached: Cell::new(false),
            after_commit: RefCell::new(Vec::new()),
            also_touched: RefCell::new(Vec::new()),
        }
    }

    /// The authenticated caller (`None` only on anonymous routes).
    pub fn identity(&self) -> Option<&Identity> {
        self.identity.as_ref()
    }

    /// The caller's `sub`: the actor recorded in histories and compared for four eyes.
    pub fn actor(&self) -> &str {
        self.identity
            .as_ref()
            .map_or("anonymous", |i| i.sub.as_str())
    }

    /// Whether the caller's roles allow `action` (rights checked inside a handler).
    pub fn may(&self, action: Action) -> bool {
        self.identity.as_ref().is_some_and(|i| i.may(action))
    }

    /// 403 unless the caller's roles allow `action`.
    pub fn require(&self, action: Action) -> Result<(), ApiError> {
        if self.may(action) {
            Ok(())
        } else {
            Err(auth::forbidden(format!("your roles do not allow {action}")))
        }
    }

    /// Declares that this request touches customer `customer_id`'s data, for the audit
    /// trail; 403 when a `customer` caller is someone else. Handlers of routes whose
    /// customer is known only from the loaded resource must call it before answering.
    pub fn reach(&self, customer_id: &str) -> Result<(), ApiError> {
        self.set_customer(customer_id);
        if let Some(identity) = &self.identity {
            if !identity.reaches(customer_id) {
                return Err(auth::forbidden(
                    "a customer token reaches only its own customer's data",
                ));
            }
            if identity.book().is_some() {
                auth::check_book(identity, self.db()?, customer_id)?;
            }
        }
        self.reached.set(true);
        Ok(())
    }

    /// The relationship manager whose book confines the caller, if any: lists filter by it.
    pub fn book(&self) -> Option<&str> {
        self.identity.as_ref().and_then(Identity::book)
    }

    /// Names the customer this request touched, for the audit trail (e.g. one just created).
    pub fn set_customer(&self, customer_id: &str) {
        *self.subject.borrow_mut() = Some(customer_id.to_owned());
    }

    /// Cuts a customer representation down to what the caller may see.
    pub fn customer_view(&self, value: &mut Value, list: bool) {
        let roles = self
            .identity
            .as_ref()
            .map_or(&[][..], |i| i.roles.as_slice());
        auth::customer_view(value, roles, list);
    }

    /// What the audit record of this request should say beyond who, what and whom: a
    /// list read's filter and count (`segment=sme count=50`). Ids and codes only.
    pub fn set_audit_detail(&self, detail: impl Into<String>) {
        *self.audit_detail.borrow_mut() = Some(detail.into());
    }

    /// Records what a list read asked for and how many items it returned, for its audit
    /// record: every query parameter but paging, as `name=value`, except the `personal`
    /// ones (a name or phone searched for), which are recorded as given but not their value.
    pub fn record_list_read(&self, count: usize, personal: &[&str]) {
        let mut detail = Vec::new();
        if let Some(raw) = self.request.uri().query() {
            for (key, value) in query::pairs(raw) {
                let Some(key) = key.filter(|k| k != "limit" && k != "cursor") else {
                    continue;
                };
                let shown = if personal.contains(&key.as_str()) {
                    "(given)".to_owned()
                } else {
                    value.unwrap_or_default().chars().take(64).collect()
                };
                detail.push(format!("{key}={shown}"));
            }
        }
        detail.push(format!("count={count}"));
        self.set_audit_detail(detail.join(" "));
    }

    /// A write that changes several customers' data (a batch, a run, a handover) names
    /// each here once it has changed it: beside the request's own record, each customer
    /// gets a record of their own (same action, request id and outcome, this `detail`),
    /// committed and sealed with the write, so `GET /v1/customers/{id}/audit` shows it.
    pub fn record_customer_touched(&self, customer_id: &str, detail: Option<String>) {
        self.also_touched
            .borrow_mut()
            .push((customer_id.to_owned(), detail));
    }

    pub(crate) fn take_also_touched(&self) -> Vec<(String, Option<String>)> {
        std::mem::take(&mut *self.also_touched.borrow_mut())
    }

    pub(crate) fn take_audit_detail(&self) -> Option<String> {
        self.audit_detail.borrow_mut().take()
    }

    pub(crate) fn take_subject(&self) -> Option<String> {
        self.subject.borrow_mut().take()
    }

    /// The customer this request touched so far (route or handler), without taking it.
    pub(crate) fn subject(&self) -> Option<String> {
        self.subject.borrow().clone()
    }

    pub(crate) fn reached(&self) -> bool {
        self.reached.get()
    }

    /// A Spin variable of this component (`None` when unset or empty).
    pub fn variable(&self, name: &str) -> Option<String> {
        self.stores.variables().get(name).filter(|v| !v.is_empty())
    }

    /// The route's captured parameters, ids in canonical form, in pattern order.
    pub fn params(&self) -> &[(String, String)] {
        &self.params
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

    /// A statement to run on the request's connection once a write's transaction has
    /// committed, for what cannot run inside one (a WAL checkpoint). Best effort: its
    /// failure is logged and changes neither the answer nor what was committed. Only
    /// writes (routes whose action is audited as a write) run it.
    pub fn after_commit(&self, statement: &'static str) {
        self.after_commit.borrow_mut().push(statement);
    }

    pub(crate) fn take_after_commit(&self) -> Vec<&'static str> {
        std::mem::take(&mut *self.after_commit.borrow_mut())
    }
}

fn bad_query(detail: String) -> ApiError {
    ApiError::BadRequest {
        code: "invalid_query",
        detail,
    }
}
