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

/// The facts about a customer that other services decide on (suitability, hard
/// declines), as stored by the customer-profile service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerSnapshot {
    /// `active|dormant|closed|erased`.
    pub status: String,
    /// `pending|verified|rejected|expired`.
    pub kyc_status: String,
    /// `retail|mass_affluent|private|sme`.
    pub segment: String,
    /// `standard|priority|wealth`.
    pub value_tier: String,
    /// `conservative|moderate|balanced|growth|aggressive`.
    pub risk_tolerance: String,
    /// `YYYY-MM-DD`; `None` once erased.
    pub date_of_birth: Option<String>,
}

/// The decision-relevant facts about `customer_id`, or `None` when no such customer exists.
pub fn customer_snapshot(
    db: &dyn Database,
    customer_id: &str,
) -> Result<Option<CustomerSnapshot>, StoreError> {
    let rows = db.execute(
        "SELECT status, kyc_status, segment, value_tier, risk_tolerance, date_of_birth
         FROM customers WHERE id = ?",
        &[Value::from(customer_id)],
    )?;
    rows.first()
        .map(|r| {
            Ok(CustomerSnapshot {
                status: r.str("status")?.to_owned(),
                kyc_status: r.str("kyc_status")?.to_owned(),
                segment: r.str("segment")?.to_owned(),
                value_tier: r.str("value_tier")?.to_owned(),
                risk_tolerance: r.str("risk_tolerance")?.to_owned(),
                date_of_birth: r.opt_str("date_of_birth")?.map(str::to_owned),
            })
        })
        .transpose()
}
