//! The one check every service makes before recording anything about a customer.

use crate::ApiError;
use crm_domain::customer::CustomerStatus;
use crm_domain::id::CustomerId;
use crm_store::Database;
use crm_store::read::customers::customer_status;

/// The customer must exist (404) and not be erased (409 `customer_erased`) for anything
/// more to be recorded about them.
pub fn require_recordable_customer(db: &dyn Database, id: &CustomerId) -> Result<(), ApiError> {
    match customer_status(db, &id.to_string())? {
        None => Err(ApiError::NotFound(format!("no customer {id}"))),
        Some(CustomerStatus::Erased) => Err(ApiError::conflict(
            "customer_erased",
            format!("customer {id} was erased; nothing more is recorded about them"),
        )),
        Some(_) => Ok(()),
    }
}
