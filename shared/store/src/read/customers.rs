//! What other services may read about a customer.

use crate::{Database, StoreError, Value};

/// The lifecycle status of a customer as stored (`active|dormant|closed|erased`), or
/// `None` when no such customer exists. Services that act for a customer answer 404
/// for `None` and refuse to act for `erased`.
pub fn customer_status(db: &dyn Database, customer_id: &str) -> Result<Option<String>, StoreError> {
    let rows = db.execute(
        "SELECT status FROM customers WHERE id = ?",
        &[Value::from(customer_id)],
    )?;
    rows.first()
        .map(|r| r.str("status").map(str::to_owned))
        .transpose()
}
