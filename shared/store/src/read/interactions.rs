//! What other services may read of the interactions service's tables, without HTTP:
//! when the customer was last in contact (the profile's 360° view and dormancy), how
//! many complaints are open (recommendations make no sales offer to a customer with
//! an open complaint), and recent negative sentiment (churn early warning).
//!
//! An interaction that a later one corrects no longer counts here: the correction
//! carries what really happened.

use crate::{Database, StoreError, Value};

/// SQL for the latest contact of any direction with the customer `c.id`, or NULL: a
/// correlated subquery to embed in a query over `customers c`.
pub const LAST_CONTACT_SQL: &str = "(SELECT max(i.occurred_at) FROM interactions i
     WHERE i.customer_id = c.id
       AND NOT EXISTS (SELECT 1 FROM interactions x WHERE x.corrects_id = i.id))";

/// SQL for the latest contact the customer `c.id` started (`inbound`), or NULL. This is
/// the one to use for dormancy: a reminder the bank sent shows the bank's activity, not
/// the customer's.
pub const LAST_INBOUND_CONTACT_SQL: &str = "(SELECT max(i.occurred_at) FROM interactions i
     WHERE i.customer_id = c.id AND i.direction = 'inbound'
       AND NOT EXISTS (SELECT 1 FROM interactions x WHERE x.corrects_id = i.id))";

/// How a customer's contact with the bank stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ContactSignals {
    /// The latest contact in either direction (ms since the epoch), if any.
    pub last_contact_at: Option<i64>,
    /// The latest contact the customer started (ms since the epoch), if any.
    pub last_inbound_contact_at: Option<i64>,
    /// Complaint cases not yet closed (a resolved case the customer may still reopen
    /// counts: deliberately conservative for "no sales offer while a complaint is open").
    pub open_complaints: i64,
    /// Of those, cases past their resolution deadline at `now_ms` and not resolved.
    pub overdue_complaints: i64,
    /// Contacts with negative sentiment since `negative_since_ms`.
    pub recent_negative_contacts: i64,
    /// The latest contact with negative sentiment (ms since the epoch), if any.
    pub last_negative_at: Option<i64>,
}

const SIGNALS: &str = "SELECT
    (SELECT max(i.occurred_at) FROM interactions i
      WHERE i.customer_id = ?1
        AND NOT EXISTS (SELECT 1 FROM interactions x WHERE x.corrects_id = i.id))
      AS last_contact_at,
    (SELECT max(i.occurred_at) FROM interactions i
      WHERE i.customer_id = ?1 AND i.direction = 'inbound'
        AND NOT EXISTS (SELECT 1 FROM interactions x WHERE x.corrects_id = i.id))
      AS last_inbound_contact_at,
    (SELECT count(*) FROM complaints WHERE customer_id = ?1 AND status <> 'closed')
      AS open_complaints,
    (SELECT count(*) FROM complaints WHERE customer_id = ?1
        AND status IN ('open','assigned','in_progress','reopened') AND due_at < ?2)
      AS overdue_complaints,
    (SELECT count(*) FROM interactions i
      WHERE i.customer_id = ?1 AND i.sentiment = 'negative' AND i.occurred_at >= ?3
        AND NOT EXISTS (SELECT 1 FROM interactions x WHERE x.corrects_id = i.id))
      AS recent_negative_contacts,
    (SELECT max(i.occurred_at) FROM interactions i
      WHERE i.customer_id = ?1 AND i.sentiment = 'negative'
        AND NOT EXISTS (SELECT 1 FROM interactions x WHERE x.corrects_id = i.id))
      AS last_negative_at";

/// The contact signals of `customer_id` at `now_ms`, counting negative contacts since
/// `negative_since_ms`. A customer without interactions gets the default (nothing).
pub fn contact_signals(
    db: &dyn Database,
    customer_id: &str,
    now_ms: i64,
    negative_since_ms: i64,
) -> Result<ContactSignals, StoreError> {
    let rows = db.execute(
        SIGNALS,
        &[
            Value::from(customer_id),
            Value::Integer(now_ms),
            Value::Integer(negative_since_ms),
        ],
    )?;
    let Some(r) = rows.first() else {
        return Ok(ContactSignals::default());
    };
    Ok(ContactSignals {
        last_contact_at: r.opt_i64("last_contact_at")?,
        last_inbound_contact_at: r.opt_i64("last_inbound_contact_at")?,
        open_complaints: r.i64("open_complaints")?,
        overdue_complaints: r.i64("overdue_complaints")?,
        recent_negative_contacts: r.i64("recent_negative_contacts")?,
        last_negative_at: r.opt_i64("last_negative_at")?,
    })
}

/// Whether `customer_id` has a complaint case that is not closed: the hard filter for
/// sales offers, in one indexed lookup.
pub fn has_open_complaint(db: &dyn Database, customer_id: &str) -> Result<bool, StoreError> {
    let rows = db.execute(
        "SELECT 1 AS open FROM complaints WHERE customer_id = ? AND status <> 'closed' LIMIT 1",
        &[Value::from(customer_id)],
    )?;
    Ok(!rows.is_empty())
}
