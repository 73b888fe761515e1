//! `engagement_events`: account events, keyed by core banking's id.

use crm_domain::engagement::{EventKind, NewEvent};
use crm_domain::id::CustomerId;
use crm_domain::money::{Currency, Money};
use crm_domain::time::Timestamp;
use crm_store::{Database, Row, StoreError, Value};

// A resent id inserts nothing; RETURNING says which happened.
const INSERT: &str = "INSERT INTO engagement_events (id, customer_id, kind, amount_minor,
        currency, description, occurred_at, received_at, rules_version)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (id) DO NOTHING
    RETURNING id";

const GET: &str = "SELECT id, customer_id, kind, amount_minor, currency, description,
    occurred_at FROM engagement_events WHERE id = ?";

/// Stores `event` unless its id is known; true when it was stored. Call inside the
/// request's transaction (with the alert it raises).
pub fn insert(
    db: &dyn Database,
    event: &NewEvent,
    rules_version: i64,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let rows = db.execute(
        INSERT,
        &[
            Value::from(event.id.as_str()),
            Value::from(event.customer_id.to_string()),
            Value::from(event.kind.as_str()),
            Value::from(event.amount.map(|m| m.minor_units)),
            Value::from(event.amount.map(|m| m.currency.code())),
            Value::from(event.description.as_deref()),
            Value::Integer(event.occurred_at.unix_millis()),
            Value::Integer(now.unix_millis()),
            Value::Integer(rules_version),
        ],
    )?;
    Ok(!rows.is_empty())
}

fn decode(r: Row<'_>) -> Result<NewEvent, StoreError> {
    let bad = |what: &str| StoreError::Decode(format!("engagement event {what}"));
    let amount = match (r.opt_i64("amount_minor")?, r.opt_str("currency")?) {
        (Some(minor), Some(code)) => Some(Money::new(
            minor,
            Currency::parse(code).ok_or_else(|| bad("currency"))?,
        )),
        _ => None,
    };
    Ok(NewEvent {
        id: r.str("id")?.to_owned(),
        kind: EventKind::parse(r.str("kind")?).ok_or_else(|| bad("kind"))?,
        customer_id: CustomerId::parse(r.str("customer_id")?).map_err(|_| bad("customer"))?,
        amount,
        description: r.opt_str("description")?.map(str::to_owned),
        occurred_at: Timestamp::from_unix_millis(r.i64("occurred_at")?),
    })
}

/// The stored event `id`, if any.
pub fn get(db: &dyn Database, id: &str) -> Result<Option<NewEvent>, StoreError> {
    db.execute(GET, &[Value::from(id)])?
        .first()
        .map(decode)
        .transpose()
}
