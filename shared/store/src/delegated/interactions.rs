//! interactions: an outbound contact recorded by the engagement service when a contact
//! task is completed. The row is an ordinary contact (append-only, on the customer's
//! timeline); the task keeps its id.

use crate::{Database, StoreError, Value};

const INSERT: &str = "INSERT INTO interactions (
        id, customer_id, channel, direction, type, subject, notes, outcome, sentiment,
        agent_id, occurred_at, recorded_at, confidential, corrects_id, complaint_id)
    VALUES (?, ?, ?, 'outbound', ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, NULL)";

/// An outbound contact, with values the interactions service's rules accept (the
/// engagement domain checks them with the interaction limits; the table's CHECKs hold
/// the line).
#[derive(Debug, Clone)]
pub struct OutboundContact<'a> {
    /// `int_…`, fresh.
    pub id: &'a str,
    /// `cus_…`.
    pub customer_id: &'a str,
    /// A `Channel` spelling.
    pub channel: &'a str,
    /// An `InteractionType` spelling other than `complaint`.
    pub kind: &'a str,
    /// The subject line.
    pub subject: &'a str,
    /// Notes.
    pub notes: Option<&'a str>,
    /// What came of it.
    pub outcome: Option<&'a str>,
    /// A `Sentiment` spelling.
    pub sentiment: Option<&'a str>,
    /// Who made the contact.
    pub agent_id: &'a str,
    /// When it happened (ms).
    pub occurred_at: i64,
    /// When it was recorded (ms).
    pub recorded_at: i64,
}

/// Appends `contact` to the interaction log. Call inside the request's transaction.
pub fn record_outbound(db: &dyn Database, c: &OutboundContact<'_>) -> Result<(), StoreError> {
    db.execute(
        INSERT,
        &[
            Value::from(c.id),
            Value::from(c.customer_id),
            Value::from(c.channel),
            Value::from(c.kind),
            Value::from(c.subject),
            Value::from(c.notes),
            Value::from(c.outcome),
            Value::from(c.sentiment),
            Value::from(c.agent_id),
            Value::Integer(c.occurred_at),
            Value::Integer(c.recorded_at),
        ],
    )?;
    Ok(())
}
