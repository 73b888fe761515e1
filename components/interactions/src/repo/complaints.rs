//! `complaints` and `complaint_history`: a case's current state, changed only with a
//! version check, and every change it went through.

use super::{After, flag, opt_text, text};
use crm_domain::id::{ComplaintId, CustomerId};
use crm_domain::interaction::{
    CaseState, ComplaintStatus, ComplaintTerms, InteractionId, Transition, due_at,
};
use crm_domain::time::Timestamp;
use crm_store::{Database, Row, StoreError, Value};

const INSERT: &str = "INSERT INTO complaints (
        id, interaction_id, customer_id, severity, category, regulatory, status, assignee,
        opened_at, due_at, resolution, resolved_at, closed_at, version, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, 'open', NULL, ?, ?, NULL, NULL, NULL, 1, ?)";

const INSERT_HISTORY: &str = "INSERT INTO complaint_history (
        complaint_id, version, from_status, to_status, actor, note, assignee, resolution, at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";

const COLUMNS: &str = "id, interaction_id, customer_id, severity, category, regulatory, status,
    assignee, opened_at, due_at, resolution, resolved_at, closed_at, version, updated_at";

// The version and the status in the WHERE clause make the change conditional on the
// state the caller decided from: a concurrent change makes this update no rows.
const UPDATE: &str = "UPDATE complaints SET
        status = ?, assignee = ?, resolution = ?, resolved_at = ?, closed_at = ?,
        version = version + 1, updated_at = ?
    WHERE id = ? AND version = ? AND status = ?
    RETURNING version";

const HISTORY: &str =
    "SELECT version, from_status, to_status, actor, note, assignee, resolution, at
    FROM complaint_history WHERE complaint_id = ? ORDER BY version";

/// The statuses whose SLA clock runs, as SQL.
const CLOCK_RUNS: &str = "status IN ('open','assigned','in_progress','reopened')";

/// A stored case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplaintRow {
    /// `cmp_…`.
    pub id: String,
    /// The interaction that opened it.
    pub interaction_id: String,
    /// The customer.
    pub customer_id: String,
    /// A `Severity` spelling.
    pub severity: String,
    /// A `ComplaintCategory` spelling.
    pub category: String,
    /// Whether a regulator's deadline applies.
    pub regulatory: bool,
    /// The current state and its details.
    pub state: CaseState,
    /// When the complaint was received (ms): the start of the SLA clock.
    pub opened_at: i64,
    /// The resolution deadline (ms).
    pub due_at: i64,
    /// Bumped by every transition; the etag.
    pub version: i64,
    /// The last change (ms).
    pub updated_at: i64,
}

/// One entry of a case's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    /// The case version this change produced (1 = opened).
    pub version: i64,
    /// The state before (`None` for the opening).
    pub from: Option<String>,
    /// The state after.
    pub to: String,
    /// Who.
    pub actor: String,
    /// Why.
    pub note: String,
    /// The assignee the change set, if any.
    pub assignee: Option<String>,
    /// The resolution the change recorded, if any.
    pub resolution: Option<String>,
    /// When (ms).
    pub at: i64,
}

fn decode(r: &Row<'_>) -> Result<ComplaintRow, StoreError> {
    let status = r.str("status")?;
    let status = ComplaintStatus::parse(status)
        .ok_or_else(|| StoreError::Decode(format!("complaint status `{status}`")))?;
    Ok(ComplaintRow {
        id: text(r, "id")?,
        interaction_id: text(r, "interaction_id")?,
        customer_id: text(r, "customer_id")?,
        severity: text(r, "severity")?,
        category: text(r, "category")?,
        regulatory: flag(r, "regulatory")?,
        state: CaseState {
            status,
            assignee: opt_text(r, "assignee")?,
            resolution: opt_text(r, "resolution")?,
            resolved_at: r.opt_i64("resolved_at")?.map(Timestamp::from_unix_millis),
            closed_at: r.opt_i64("closed_at")?.map(Timestamp::from_unix_millis),
        },
        opened_at: r.i64("opened_at")?,
        due_at: r.i64("due_at")?,
        version: r.i64("version")?,
        updated_at: r.i64("updated_at")?,
    })
}

/// What opens a case.
pub struct Opening<'a> {
    /// The new case's id.
    pub id: ComplaintId,
    /// The complaint interaction.
    pub interaction_id: InteractionId,
    /// The customer.
    pub customer_id: CustomerId,
    /// Severity, category, regulatory flag.
    pub terms: ComplaintTerms,
    /// When the complaint was received (the interaction's `occurredAt`).
    pub received_at: Timestamp,
    /// The agent who logged it.
    pub actor: &'a str,
}

/// Opens a case and writes its first history entry. Call inside the transaction that
/// stores the complaint interaction.
pub fn open(db: &dyn Database, o: &Opening<'_>, now: Timestamp) -> Result<(), StoreError> {
    let id = Value::from(o.id.to_string());
    let due = due_at(o.received_at, o.terms.severity, o.terms.regulatory);
    db.execute(
        INSERT,
        &[
            id.clone(),
            Value::from(o.interaction_id.to_string()),
            Value::from(o.customer_id.to_string()),
            Value::from(o.terms.severity.as_str()),
            Value::from(o.terms.category.as_str()),
            Value::from(o.terms.regulatory),
            Value::Integer(o.received_at.unix_millis()),
            Value::Integer(due.unix_millis()),
            Value::Integer(now.unix_millis()),
        ],
    )?;
    db.execute(
        INSERT_HISTORY,
        &[
            id,
            Value::Integer(1),
            Value::Null,
            Value::from(ComplaintStatus::Open.as_str()),
            Value::from(o.actor),
            Value::from(format!("opened from interaction {}", o.interaction_id)),
            Value::Null,
            Value::Null,
            Value::Integer(now.unix_millis()),
        ],
    )?;
    Ok(())
}

/// The case `id`, if stored.
pub fn get(db: &dyn Database, id: &str) -> Result<Option<ComplaintRow>, StoreError> {
    let rows = db.execute(
        &format!("SELECT {COLUMNS} FROM complaints WHERE id = ?"),
        &[Value::from(id)],
    )?;
    rows.first().map(|r| decode(&r)).transpose()
}

/// The history of case `id`, oldest first.
pub fn history(db: &dyn Database, id: &str) -> Result<Vec<HistoryRow>, StoreError> {
    let rows = db.execute(HISTORY, &[Value::from(id)])?;
    rows.iter()
        .map(|r| {
            Ok(HistoryRow {
                version: r.i64("version")?,
                from: opt_text(&r, "from_status")?,
                to: text(&r, "to_status")?,
                actor: text(&r, "actor")?,
                note: text(&r, "note")?,
                assignee: opt_text(&r, "assignee")?,
                resolution: opt_text(&r, "resolution")?,
                at: r.i64("at")?,
            })
        })
        .collect()
}

/// Moves `case` to `next` (decided from `case` by the domain) and records `t` in its
/// history; the new version, or `None` when the case changed since it was read. Call
/// inside a transaction: the update and its history entry commit together.
pub fn apply(
    db: &dyn Database,
    case: &ComplaintRow,
    next: &CaseState,
    t: &Transition,
    now: Timestamp,
) -> Result<Option<i64>, StoreError> {
    let rows = db.execute(
        UPDATE,
        &[
            Value::from(next.status.as_str()),
            Value::from(next.assignee.clone()),
            Value::from(next.resolution.clone()),
            Value::from(next.resolved_at.map(Timestamp::unix_millis)),
            Value::from(next.closed_at.map(Timestamp::unix_millis)),
            Value::Integer(now.unix_millis()),
            Value::from(case.id.clone()),
            Value::Integer(case.version),
            Value::from(case.state.status.as_str()),
        ],
    )?;
    let Some(version) = rows.first().map(|r| r.i64("version")).transpose()? else {
        return Ok(None);
    };
    db.execute(
        INSERT_HISTORY,
        &[
            Value::from(case.id.clone()),
            Value::Integer(version),
            Value::from(case.state.status.as_str()),
            Value::from(next.status.as_str()),
            Value::from(t.actor.clone()),
            Value::from(t.note.clone()),
            Value::from(t.assignee.clone()),
            Value::from(t.resolution.clone()),
            Value::Integer(now.unix_millis()),
        ],
    )?;
    Ok(Some(version))
}

/// What a case list asks for.
#[derive(Debug, Clone, Default)]
pub struct Queue {
    /// Only this state.
    pub status: Option<ComplaintStatus>,
    /// Only this assignee's cases.
    pub assignee: Option<String>,
    /// Only this customer's cases.
    pub customer_id: Option<String>,
    /// Only cases of customers in this relationship manager's book.
    pub book: Option<String>,
    /// Only cases past (true) or not past (false) their deadline at `now`.
    pub overdue: Option<bool>,
    /// Continue after this (due_at, id).
    pub after: Option<After>,
    /// Page size.
    pub limit: u32,
}

/// One page of cases, earliest deadline first, and whether more follow.
pub fn list(
    db: &dyn Database,
    q: &Queue,
    now: Timestamp,
) -> Result<(Vec<ComplaintRow>, bool), StoreError> {
    let mut sql = format!("SELECT {COLUMNS} FROM complaints WHERE 1 = 1");
    let mut params = Vec::new();
    if let Some(status) = q.status {
        sql.push_str(" AND status = ?");
        params.push(Value::from(status.as_str()));
    }
    if let Some(assignee) = &q.assignee {
        sql.push_str(" AND assignee = ?");
        params.push(Value::from(assignee.clone()));
    }
    if let Some(customer) = &q.customer_id {
        sql.push_str(" AND customer_id = ?");
        params.push(Value::from(customer.clone()));
    }
    if let Some(manager) = &q.book {
        sql.push_str(" AND ");
        sql.push_str(crm_store::read::customers::IN_BOOK);
        params.push(Value::from(manager.clone()));
    }
    match q.overdue {
        Some(true) => {
            sql.push_str(&format!(" AND {CLOCK_RUNS} AND due_at < ?"));
            params.push(Value::Integer(now.unix_millis()));
        }
        Some(false) => {
            sql.push_str(&format!(" AND NOT ({CLOCK_RUNS} AND due_at < ?)"));
            params.push(Value::Integer(now.unix_millis()));
        }
        None => {}
    }
    if let Some(after) = &q.after {
        sql.push_str(" AND (due_at, id) > (?, ?)");
        params.push(Value::Integer(after.at));
        params.push(Value::from(after.id.clone()));
    }
    sql.push_str(" ORDER BY due_at, id LIMIT ?");
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
