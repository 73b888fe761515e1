//! HTTP ⇄ domain for interactions, complaints and surveys. Handlers parse and validate
//! at the edge (reporting every bad field at once), call the repository, and shape the
//! answer; the rules themselves live in `crm_domain::interaction`.

pub mod complaints;
pub mod interactions;
pub mod surveys;

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

/// Whether `customer_id` was erased: their free text is then never served again.
pub(crate) fn is_erased(db: &dyn Database, customer_id: &str) -> Result<bool, ApiError> {
    Ok(customer_status(db, customer_id)?.as_deref() == Some("erased"))
}

/// An instant stored as milliseconds, as RFC 3339.
pub(crate) fn ts(ms: i64) -> Timestamp {
    Timestamp::from_unix_millis(ms)
}

/// Query parameters collected with every problem they have, for one 422.
pub(crate) use crm_http::QueryParams as Query;
