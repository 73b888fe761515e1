//! `interactions`: append-only contacts and the customer's timeline.

use super::{After, flag, opt_text, text};
use crm_domain::id::ComplaintId;
use crm_domain::interaction::{Channel, InteractionId, InteractionType, NewInteraction};
use crm_domain::time::Timestamp;
use crm_store::{Database, Row, StoreError, Value};

const INSERT: &str = "INSERT INTO interactions (
        id, customer_id, channel, direction, type, subject, notes, outcome, sentiment,
        agent_id, occurred_at, recorded_at, confidential, corrects_id, complaint_id)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/// The columns of an interaction as served, with the ids of the interactions that
/// correct it.
const COLUMNS: &str = "i.id, i.customer_id, i.channel, i.direction, i.type, i.subject, i.notes,
    i.outcome, i.sentiment, i.agent_id, i.occurred_at, i.recorded_at, i.confidential,
    i.corrects_id, i.complaint_id,
    (SELECT group_concat(x.id) FROM interactions x WHERE x.corrects_id = i.id) AS corrected_by";

const SELECT_ONE: &str = "FROM interactions i WHERE i.id = ?";

const CORRECTED: &str = "SELECT customer_id, type FROM interactions WHERE id = ?";

/// A stored interaction as the API serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InteractionRow {
    /// `int_…`.
    pub id: String,
    /// `cus_…`.
    pub customer_id: String,
    /// A `Channel` spelling.
    pub channel: String,
    /// A `Direction` spelling.
    pub direction: String,
    /// An `InteractionType` spelling.
    pub kind: String,
    /// The subject line.
    pub subject: String,
    /// Free-text notes.
    pub notes: Option<String>,
    /// What came of it.
    pub outcome: Option<String>,
    /// A `Sentiment` spelling.
    pub sentiment: Option<String>,
    /// Who handled it.
    pub agent_id: String,
    /// When it happened (ms).
    pub occurred_at: i64,
    /// When it was recorded (ms).
    pub recorded_at: i64,
    /// Whether the notes are confidential.
    pub confidential: bool,
    /// The interaction this one corrects.
    pub corrects_id: Option<String>,
    /// The case this interaction opened.
    pub complaint_id: Option<String>,
    /// Interactions that correct this one, oldest first.
    pub corrected_by: Vec<String>,
}

fn decode(r: &Row<'_>) -> Result<InteractionRow, StoreError> {
    let mut corrected_by: Vec<String> = r
        .opt_str("corrected_by")?
        .map(|s| s.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    // Ids are time-ordered, so sorting them orders the corrections by creation.
    corrected_by.sort();
    Ok(InteractionRow {
        id: text(r, "id")?,
        customer_id: text(r, "customer_id")?,
        channel: text(r, "channel")?,
        direction: text(r, "direction")?,
        kind: text(r, "type")?,
        subject: text(r, "subject")?,
        notes: opt_text(r, "notes")?,
        outcome: opt_text(r, "outcome")?,
        sentiment: opt_text(r, "sentiment")?,
        agent_id: text(r, "agent_id")?,
        occurred_at: r.i64("occurred_at")?,
        recorded_at: r.i64("recorded_at")?,
        confidential: flag(r, "confidential")?,
        corrects_id: opt_text(r, "corrects_id")?,
        complaint_id: opt_text(r, "complaint_id")?,
        corrected_by,
    })
}

/// Appends an interaction. Call inside the transaction that opens its case, if any.
pub fn insert(
    db: &dyn Database,
    id: InteractionId,
    new: &NewInteraction,
    complaint_id: Option<ComplaintId>,
    now: Timestamp,
) -> Result<(), StoreError> {
    db.execute(
        INSERT,
        &[
            Value::from(id.to_string()),
            Value::from(new.customer_id.to_string()),
            Value::from(new.channel.as_str()),
            Value::from(new.direction.as_str()),
            Value::from(new.kind.as_str()),
            Value::from(new.subject.clone()),
            Value::from(new.notes.clone()),
            Value::from(new.outcome.clone()),
            Value::from(new.sentiment.map(|s| s.as_str())),
            Value::from(new.agent_id.clone()),
            Value::Integer(new.occurred_at.unix_millis()),
            Value::Integer(now.unix_millis()),
            Value::from(new.confidential),
            Value::from(new.corrects_id.map(|c| c.to_string())),
            Value::from(complaint_id.map(|c| c.to_string())),
        ],
    )?;
    Ok(())
}

/// The interaction `id`, if stored.
pub fn get(db: &dyn Database, id: &str) -> Result<Option<InteractionRow>, StoreError> {
    let rows = db.execute(
        &format!("SELECT {COLUMNS} {SELECT_ONE}"),
        &[Value::from(id)],
    )?;
    rows.first().map(|r| decode(&r)).transpose()
}

/// The customer and type of the interaction `id` (a correction's target), if stored.
pub fn customer_and_type(
    db: &dyn Database,
    id: &InteractionId,
) -> Result<Option<(String, InteractionType)>, StoreError> {
    let rows = db.execute(CORRECTED, &[Value::from(id.to_string())])?;
    let Some(r) = rows.first() else {
        return Ok(None);
    };
    let kind = r.str("type")?;
    let kind = InteractionType::parse(kind)
        .ok_or_else(|| StoreError::Decode(format!("interaction type `{kind}`")))?;
    Ok(Some((text(&r, "customer_id")?, kind)))
}

/// What a timeline request asks for.
#[derive(Debug, Clone)]
pub struct Timeline {
    /// Whose timeline.
    pub customer_id: String,
    /// Only this channel.
    pub channel: Option<Channel>,
    /// Only this type.
    pub kind: Option<InteractionType>,
    /// Occurred at or after.
    pub from: Option<Timestamp>,
    /// Occurred before.
    pub to: Option<Timestamp>,
    /// Continue after this (occurred_at, id), newest first.
    pub after: Option<After>,
    /// Page size.
    pub limit: u32,
}

/// One page of a customer's timeline, newest first, and whether more follow.
///
/// Keyset-paged on `(occurred_at, id)`, which is unique and never changes (rows are
/// append-only), so a page boundary is stable while others insert: an interaction
/// logged meanwhile appears on a later page if it is older than the boundary, or not
/// at all in this walk if newer, and nothing is served twice or skipped.
pub fn timeline(
    db: &dyn Database,
    q: &Timeline,
) -> Result<(Vec<InteractionRow>, bool), StoreError> {
    timeline_seen_by(db, q, true)
}

/// [`timeline`] as a caller sees it: confidential contacts only with `include_confidential`
/// (the caller's right to see them).
pub fn timeline_seen_by(
    db: &dyn Database,
    q: &Timeline,
    include_confidential: bool,
) -> Result<(Vec<InteractionRow>, bool), StoreError> {
    let mut sql = format!("SELECT {COLUMNS} FROM interactions i WHERE i.customer_id = ?");
    let mut params = vec![Value::from(q.customer_id.clone())];
    if !include_confidential {
        sql.push_str(" AND i.confidential = 0");
    }
    if let Some(channel) = q.channel {
        sql.push_str(" AND i.channel = ?");
        params.push(Value::from(channel.as_str()));
    }
    if let Some(kind) = q.kind {
        sql.push_str(" AND i.type = ?");
        params.push(Value::from(kind.as_str()));
    }
    if let Some(from) = q.from {
        sql.push_str(" AND i.occurred_at >= ?");
        params.push(Value::Integer(from.unix_millis()));
    }
    if let Some(to) = q.to {
        sql.push_str(" AND i.occurred_at < ?");
        params.push(Value::Integer(to.unix_millis()));
    }
    if let Some(after) = &q.after {
        // A row value comparison lets SQLite seek the index to the boundary.
        sql.push_str(" AND (i.occurred_at, i.id) < (?, ?)");
        params.push(Value::Integer(after.at));
        params.push(Value::from(after.id.clone()));
    }
    sql.push_str(" ORDER BY i.occurred_at DESC, i.id DESC LIMIT ?");
    params.push(Value::Integer(i64::from(q.limit) + 1));
    let rows = db.execute(&sql, &params)?;
    let mut page = rows
        .iter()
        .map(|r| decode(&r))
        .collect::<Result<Vec<_>, _>>()?;
    let more = page.len() > q.limit as usize;
    page.truncate(q.limit as usize);
    Ok((page, more))
}
