//! `engagement_alerts`: one alert per event, moved only with a version check.

use super::{After, opt_text, text};
use crm_domain::engagement::{AlertId, AlertStatus, Match};
use crm_domain::time::Timestamp;
use crm_store::{Database, Row, StoreError, Value};

const INSERT: &str = "INSERT INTO engagement_alerts (id, customer_id, event_id, rule,
        rules_version, reason, suggested_action, priority, status, due_at, dismiss_reason,
        task_id, changed_by, version, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, NULL, NULL, NULL, 1, ?, ?)";

// The event (gone once its customer is erased) and the customer's manager come along.
const SELECT: &str = "SELECT a.id, a.customer_id, a.event_id, a.rule, a.rules_version,
        a.reason, a.suggested_action, a.priority, a.status, a.due_at, a.dismiss_reason,
        a.task_id, a.changed_by, a.version, a.created_at, a.updated_at,
        e.kind AS event_kind, e.amount_minor, e.currency, e.description, e.occurred_at,
        c.relationship_manager_id
    FROM engagement_alerts a
    LEFT JOIN engagement_events e ON e.id = a.event_id
    LEFT JOIN customers c ON c.id = a.customer_id";

const UPDATE: &str = "UPDATE engagement_alerts SET status = ?1, dismiss_reason = ?2,
        task_id = ?3, changed_by = ?4, version = version + 1, updated_at = ?5
    WHERE id = ?6 AND version = ?7 AND status = ?8
    RETURNING version";

/// A stored alert, with its event and the customer's relationship manager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRow {
    /// `alr_…`.
    pub id: String,
    /// `cus_…`.
    pub customer_id: String,
    /// Core banking's event id.
    pub event_id: String,
    /// The rule's code.
    pub rule: String,
    /// The rules version that raised it.
    pub rules_version: i64,
    /// Why it matters.
    pub reason: String,
    /// A `SuggestedAction` spelling.
    pub suggested_action: String,
    /// A `Priority` spelling.
    pub priority: String,
    /// Where it is.
    pub status: AlertStatus,
    /// When it becomes overdue unacknowledged (ms).
    pub due_at: i64,
    /// Why it was dismissed.
    pub dismiss_reason: Option<String>,
    /// The task it became.
    pub task_id: Option<String>,
    /// Who last moved it.
    pub changed_by: Option<String>,
    /// The etag.
    pub version: i64,
    /// Raised (ms).
    pub created_at: i64,
    /// Last moved (ms).
    pub updated_at: i64,
    /// The event's kind, amount, currency, description and time, while it exists.
    pub event: Option<EventFacts>,
    /// The customer's relationship manager now.
    pub relationship_manager_id: Option<String>,
}

/// What an alert shows of its event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFacts {
    /// An `EventKind` spelling.
    pub kind: String,
    /// Minor units and currency, for kinds with an amount.
    pub amount: Option<(i64, String)>,
    /// Core banking's narrative.
    pub description: Option<String>,
    /// When it happened (ms).
    pub occurred_at: i64,
}

fn decode(r: &Row<'_>) -> Result<AlertRow, StoreError> {
    let status = r.str("status")?;
    let status = AlertStatus::parse(status)
        .ok_or_else(|| StoreError::Decode(format!("alert status `{status}`")))?;
    let event = match r.opt_str("event_kind")? {
        None => None,
        Some(kind) => Some(EventFacts {
            kind: kind.to_owned(),
            amount: r.opt_i64("amount_minor")?.zip(opt_text(r, "currency")?),
            description: opt_text(r, "description")?,
            occurred_at: r.i64("occurred_at")?,
        }),
    };
    Ok(AlertRow {
        id: text(r, "id")?,
        customer_id: text(r, "customer_id")?,
        event_id: text(r, "event_id")?,
        rule: text(r, "rule")?,
        rules_version: r.i64("rules_version")?,
        reason: text(r, "reason")?,
        suggested_action: text(r, "suggested_action")?,
        priority: text(r, "priority")?,
        status,
        due_at: r.i64("due_at")?,
        dismiss_reason: opt_text(r, "dismiss_reason")?,
        task_id: opt_text(r, "task_id")?,
        changed_by: opt_text(r, "changed_by")?,
        version: r.i64("version")?,
        created_at: r.i64("created_at")?,
        updated_at: r.i64("updated_at")?,
        event,
        relationship_manager_id: opt_text(r, "relationship_manager_id")?,
    })
}

/// Raises the alert `m` decided for event `event_id`. Call inside the transaction that
/// stored the event.
pub fn insert(
    db: &dyn Database,
    id: AlertId,
    customer_id: &str,
    event_id: &str,
    rules_version: i64,
    m: &Match,
    now: Timestamp,
) -> Result<(), StoreError> {
    db.execute(
        INSERT,
        &[
            Value::from(id.to_string()),
            Value::from(customer_id),
            Value::from(event_id),
            Value::from(m.rule.as_str()),
            Value::Integer(rules_version),
            Value::from(m.reason.as_str()),
            Value::from(m.suggested_action.as_str()),
            Value::from(m.priority.as_str()),
            Value::Integer(now.unix_millis().saturating_add(m.deadline_millis)),
            Value::Integer(now.unix_millis()),
            Value::Integer(now.unix_millis()),
        ],
    )?;
    Ok(())
}

/// Alert `id`, if any.
pub fn get(db: &dyn Database, id: &str) -> Result<Option<AlertRow>, StoreError> {
    let sql = format!("{SELECT} WHERE a.id = ?");
    db.execute(&sql, &[Value::from(id)])?
        .first()
        .map(|r| decode(&r))
        .transpose()
}

/// What a move writes.
pub struct Move<'a> {
    /// The new status.
    pub to: AlertStatus,
    /// Why dismissed.
    pub dismiss_reason: Option<&'a str>,
    /// The task it became.
    pub task_id: Option<&'a str>,
    /// Who.
    pub actor: &'a str,
}

/// Moves `alert` as `m` says if nobody moved it since it was read; the new version,
/// or `None` when it changed meanwhile.
pub fn apply(
    db: &dyn Database,
    alert: &AlertRow,
    m: &Move<'_>,
    now: Timestamp,
) -> Result<Option<i64>, StoreError> {
    db.execute(
        UPDATE,
        &[
            Value::from(m.to.as_str()),
            Value::from(m.dismiss_reason),
            Value::from(m.task_id),
            Value::from(m.actor),
            Value::Integer(now.unix_millis()),
            Value::from(alert.id.as_str()),
            Value::Integer(alert.version),
            Value::from(alert.status.as_str()),
        ],
    )?
    .first()
    .map(|r| r.i64("version"))
    .transpose()
}

/// A page request of the alert list.
#[derive(Debug, Clone, Default)]
pub struct Queue {
    /// Only this status.
    pub status: Option<AlertStatus>,
    /// Only customers of this relationship manager.
    pub rm_id: Option<String>,
    /// Only customers of this book (an RM-only caller's).
    pub book: Option<String>,
    /// Only this customer.
    pub customer_id: Option<String>,
    /// After this position.
    pub after: Option<After>,
    /// Page size.
    pub limit: u32,
}

/// A page of alerts by deadline, earliest first, and whether more follow.
pub fn list(db: &dyn Database, q: &Queue) -> Result<(Vec<AlertRow>, bool), StoreError> {
    let mut sql = format!("{SELECT} WHERE 1 = 1");
    let mut params = Vec::new();
    if let Some(status) = q.status {
        sql.push_str(" AND a.status = ?");
        params.push(Value::from(status.as_str()));
    }
    for rm in [&q.rm_id, &q.book].into_iter().flatten() {
        sql.push_str(" AND c.relationship_manager_id = ?");
        params.push(Value::from(rm.as_str()));
    }
    if let Some(customer) = &q.customer_id {
        sql.push_str(" AND a.customer_id = ?");
        params.push(Value::from(customer.as_str()));
    }
    if let Some(after) = &q.after {
        sql.push_str(" AND (a.due_at > ? OR (a.due_at = ? AND a.id > ?))");
        params.push(Value::Integer(after.at));
        params.push(Value::Integer(after.at));
        params.push(Value::from(after.id.as_str()));
    }
    sql.push_str(" ORDER BY a.due_at, a.id LIMIT ?");
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
