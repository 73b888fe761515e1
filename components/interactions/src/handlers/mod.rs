//! HTTP ⇄ domain for interactions, complaints and surveys. Handlers parse and validate
//! at the edge (reporting every bad field at once), call the repository, and shape the
//! answer; the rules themselves live in `crm_domain::interaction`.

pub mod complaints;
pub mod figures;
pub mod interactions;
pub mod surveys;

use crm_domain::customer::CustomerStatus;
use crm_domain::time::Timestamp;
use crm_http::ApiError;
use crm_store::Database;
use crm_store::read::customers::customer_status;

pub(crate) use crm_http::require_recordable_customer as require_customer;

/// Whether `customer_id` was erased: their free text is then never served again.
pub(crate) fn is_erased(db: &dyn Database, customer_id: &str) -> Result<bool, ApiError> {
    Ok(customer_status(db, customer_id)? == Some(CustomerStatus::Erased))
}

/// An instant stored as milliseconds, as RFC 3339.
pub(crate) fn ts(ms: i64) -> Timestamp {
    Timestamp::from_unix_millis(ms)
}

/// Query parameters collected with every problem they have, for one 422.
pub(crate) use crm_http::QueryParams as Query;
