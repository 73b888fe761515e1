//! HTTP ⇄ domain for account events, alert rules, alerts and tasks. Handlers parse and
//! validate at the edge (reporting every bad field at once), call the repository, and
//! shape the answer; the rules themselves live in `crm_domain::engagement`.

pub mod alerts;
pub mod churn;
pub mod events;
pub mod rules;
pub mod tasks;

use crm_domain::id::CustomerId;
use crm_domain::time::Timestamp;
use crm_http::ApiError;
use crm_store::Database;
use crm_store::read::customers::customer_status;

/// The customer must exist (404) and not be erased (409) for anything to be recorded
/// about them.
pub(crate) fn require_customer(db: &dyn Database, id: &CustomerId) -> Result<(), ApiError> {
    match customer_status(db, &id.to_string())?.as_deref() {
        None => Err(ApiError::NotFound(format!("no customer {id}"))),
        Some("erased") => Err(ApiError::conflict(
            "customer_erased",
            format!("customer {id} was erased; nothing more is recorded about them"),
        )),
        Some(_) => Ok(()),
    }
}

/// An instant stored as milliseconds, as RFC 3339.
pub(crate) fn ts(ms: i64) -> Timestamp {
    Timestamp::from_unix_millis(ms)
}

/// Query parameters collected with every problem they have, for one 422.
pub(crate) use crm_http::QueryParams as Query;
