//! `engagement_tasks`: the relationship managers' queues, moved only with a version
//! check.

use super::{After, opt_text, text};
use crm_domain::engagement::{TaskId, TaskStatus};
use crm_domain::time::Timestamp;
use crm_store::{Database, Row, StoreError, Value};

const INSERT: &str = "INSERT INTO engagement_tasks (id, customer_id, type, title, link_kind,
        link_id, assignee, priority, status, due_at, note, interaction_id, period, created_by,
        version, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, NULL, NULL, ?, ?, 1, ?, ?)";

const COLUMNS: &str = "id, customer_id, type, title, link_kind, link_id, assignee, priority,
    status, due_at, note, interaction_id, period, created_by, version, created_at, updated_at";

const UPDATE: &str = "UPDATE engagement_tasks SET status = ?1, note = coalesce(?2, note),
        interaction_id = coalesce(?3, interaction_id), version = version + 1, updated_at = ?4
    WHERE id = ?5 AND version = ?6 AND status = ?7
    RETURNING version";

const HAND_OVER: &str = "UPDATE engagement_tasks SET assignee = ?2, version = version + 1,
        updated_at = ?3
    WHERE assignee = ?1 AND status IN ('open','in_progress')
    RETURNING id";

/// A stored task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRow {
    /// `tsk_…`.
    pub id: String,
    /// `cus_…`.
    pub customer_id: String,
    /// A `TaskType` spelling.
    pub kind: String,
    /// What to do.
    pub title: String,
    /// What caused it: a `LinkKind` spelling and an id.
    pub link: Option<(String, String)>,
    /// Who.
    pub assignee: String,
    /// A `Priority` spelling.
    pub priority: String,
    /// Where it is.
    pub status: TaskStatus,
    /// By when (ms).
    pub due_at: i64,
    /// The last move's note.
    pub note: Option<String>,
    /// The contact completing it recorded.
    pub interaction_id: Option<String>,
    /// The churn period that created it, for retention tasks of a churn run.
    pub period: Option<String>,
    /// Who created it.
    pub created_by: String,
    /// The etag.
    pub version: i64,
    /// Created (ms).
    pub created_at: i64,
    /// Last changed (ms).
    pub updated_at: i64,
}

fn decode(r: &Row<'_>) -> Result<TaskRow, StoreError> {
    let status = r.str("status")?;
    let status = TaskStatus::parse(status)
        .ok_or_else(|| StoreError::Decode(format!("task status `{status}`")))?;
    Ok(TaskRow {
        id: text(r, "id")?,
        customer_id: text(r, "customer_id")?,
        kind: text(r, "type")?,
        title: text(r, "title")?,
        link: opt_text(r, "link_kind")?.zip(opt_text(r, "link_id")?),
        assignee: text(r, "assignee")?,
        priority: text(r, "priority")?,
        status,
        due_at: r.i64("due_at")?,
        note: opt_text(r, "note")?,
        interaction_id: opt_text(r, "interaction_id")?,
        period: opt_text(r, "period")?,
        created_by: text(r, "created_by")?,
        version: r.i64("version")?,
        created_at: r.i64("created_at")?,
        updated_at: r.i64("updated_at")?,
    })
}

/// A task to store.
pub struct Insert<'a> {
    /// Its id.
    pub id: TaskId,
    /// `cus_…`.
    pub customer_id: &'a str,
    /// A `TaskType` spelling.
    pub kind: &'a str,
    /// What to do.
    pub title: &'a str,
    /// A `LinkKind` spelling and an id.
    pub link: Option<(&'a str, &'a str)>,
    /// Who.
    pub assignee: &'a str,
    /// A `Priority` spelling.
    pub priority: &'a str,
    /// By when.
    pub due_at: Timestamp,
    /// The churn period, for a churn run's retention task.
    pub period: Option<&'a str>,
    /// Who created it.
    pub created_by: &'a str,
}

/// Stores a new open task. Call inside the request's transaction.
pub fn insert(db: &dyn Database, t: &Insert<'_>, now: Timestamp) -> Result<(), StoreError> {
    db.execute(
        INSERT,
        &[
            Value::from(t.id.to_string()),
            Value::from(t.customer_id),
            Value::from(t.kind),
            Value::from(t.title),
            Value::from(t.link.map(|l| l.0)),
            Value::from(t.link.map(|l| l.1)),
            Value::from(t.assignee),
            Value::from(t.priority),
            Value::Integer(t.due_at.unix_millis()),
            Value::from(t.period),
            Value::from(t.created_by),
            Value::Integer(now.unix_millis()),
            Value::Integer(now.unix_millis()),
        ],
    )?;
    Ok(())
}

/// Task `id`, if any.
pub fn get(db: &dyn Database, id: &str) -> Result<Option<TaskRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM engagement_tasks WHERE id = ?");
    db.execute(&sql, &[Value::from(id)])?
        .first()
        .map(|r| decode(&r))
        .transpose()
}

/// Moves `task` to `to` (with the note and the contact's id) if nobody moved it since it
/// was read; the new version, or `None` when it changed meanwhile.
pub fn apply(
    db: &dyn Database,
    task: &TaskRow,
    to: TaskStatus,
    note: Option<&str>,
    interaction_id: Option<&str>,
    now: Timestamp,
) -> Result<Option<i64>, StoreError> {
    db.execute(
        UPDATE,
        &[
            Value::from(to.as_str()),
            Value::from(note),
            Value::from(interaction_id),
            Value::Integer(now.unix_millis()),
            Value::from(task.id.as_str()),
            Value::Integer(task.version),
            Value::from(task.status.as_str()),
        ],
    )?
    .first()
    .map(|r| r.i64("version"))
    .transpose()
}

/// Gives every pending task of `from` to `to`; how many moved. Call inside the
/// request's transaction (with the customers' handover).
pub fn hand_over(
    db: &dyn Database,
    from: &str,
    to: &str,
    now: Timestamp,
) -> Result<u64, StoreError> {
    let rows = db.execute(
        HAND_OVER,
        &[
            Value::from(from),
            Value::from(to),
            Value::Integer(now.unix_millis()),
        ],
    )?;
    Ok(rows.len() as u64)
}

/// A page request of the task list.
#[derive(Debug, Clone, Default)]
pub struct Queue {
    /// Only this assignee's.
    pub assignee: Option<String>,
    /// Only this status.
    pub status: Option<TaskStatus>,
    /// Only due before this instant (ms).
    pub due_before: Option<i64>,
    /// Only this customer's.
    pub customer_id: Option<String>,
    /// Only customers of this book (an RM-only caller's).
    pub book: Option<String>,
    /// After this position.
    pub after: Option<After>,
    /// Page size.
    pub limit: u32,
}

/// A page of tasks by due time, earliest first, and whether more follow.
pub fn list(db: &dyn Database, q: &Queue) -> Result<(Vec<TaskRow>, bool), StoreError> {
    let mut sql = format!("SELECT {COLUMNS} FROM engagement_tasks WHERE 1 = 1");
    let mut params = Vec::new();
    if let Some(assignee) = &q.assignee {
        sql.push_str(" AND assignee = ?");
        params.push(Value::from(assignee.as_str()));
    }
    if let Some(status) = q.status {
        sql.push_str(" AND status = ?");
        params.push(Value::from(status.as_str()));
    }
    if let Some(before) = q.due_before {
        sql.push_str(" AND due_at < ?");
        params.push(Value::Integer(before));
    }
    if let Some(customer) = &q.customer_id {
        sql.push_str(" AND customer_id = ?");
        params.push(Value::from(customer.as_str()));
    }
    if let Some(book) = &q.book {
        sql.push_str(" AND ");
        sql.push_str(crm_store::read::customers::IN_BOOK);
        params.push(Value::from(book.as_str()));
    }
    if let Some(after) = &q.after {
        sql.push_str(" AND (due_at > ? OR (due_at = ? AND id > ?))");
        params.push(Value::Integer(after.at));
        params.push(Value::Integer(after.at));
        params.push(Value::from(after.id.as_str()));
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
