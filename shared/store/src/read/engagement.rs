//! What other services may read of the engagement service's tables, without HTTP: what
//! the 360° view shows of a customer's engagement (the latest account events, open
//! alerts, pending tasks, the latest churn score). Ids, codes, dates, rule reasons and
//! task titles; not the longer free text (task notes, dismissal reasons) nor core
//! banking's event narrative. Once the customer is erased, the titles and reasons read
//! `[erased]` and nothing is pending any more.
//!
//! Statuses, kinds and priorities are the domain's closed sets: the columns' CHECK
//! constraints hold the same names, so a value this build does not know is a decode
//! error, not a string passed along.

use crate::{Database, StoreError, Value};
use crm_domain::engagement::churn::Band;
use crm_domain::engagement::{
    AlertStatus, EventKind, Priority, SuggestedAction, TaskStatus, TaskType,
};

/// Most rows one of these reads returns.
pub const MAX_RECENT: i64 = 20;

/// An account event as the 360° view shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSummary {
    /// Core banking's id.
    pub id: String,
    /// What happened.
    pub kind: EventKind,
    /// Minor units and currency, for kinds with an amount.
    pub amount: Option<(i64, String)>,
    /// When it happened (ms since the epoch).
    pub occurred_at: i64,
}

/// The latest `limit` (capped at [`MAX_RECENT`]) account events of `customer_id`,
/// newest first.
pub fn latest_events(
    db: &dyn Database,
    customer_id: &str,
    limit: i64,
) -> Result<Vec<EventSummary>, StoreError> {
    let rows = db.execute(
        "SELECT id, kind, amount_minor, currency, occurred_at FROM engagement_events
         WHERE customer_id = ? ORDER BY occurred_at DESC, id DESC LIMIT ?",
        &[
            Value::from(customer_id),
            Value::Integer(limit.clamp(0, MAX_RECENT)),
        ],
    )?;
    rows.iter()
        .map(|r| {
            let amount = match (r.opt_i64("amount_minor")?, r.opt_str("currency")?) {
                (Some(minor), Some(currency)) => Some((minor, currency.to_owned())),
                _ => None,
            };
            Ok(EventSummary {
                id: r.str("id")?.to_owned(),
                kind: r.parsed("kind", EventKind::parse)?,
                amount,
                occurred_at: r.i64("occurred_at")?,
            })
        })
        .collect()
}

/// An alert that is still open or acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenAlert {
    /// `alr_…`.
    pub id: String,
    /// The rule's code.
    pub rule: String,
    /// The rule's reason.
    pub reason: String,
    /// What the rule suggests.
    pub suggested_action: SuggestedAction,
    /// How urgent.
    pub priority: Priority,
    /// Open or acknowledged.
    pub status: AlertStatus,
    /// The deadline (ms since the epoch).
    pub due_at: i64,
    /// Still `open` past its deadline at `now_ms`.
    pub overdue: bool,
}

/// The alerts of `customer_id` not yet dismissed or converted, earliest deadline
/// first, at most `limit` (capped at [`MAX_RECENT`]).
pub fn open_alerts(
    db: &dyn Database,
    customer_id: &str,
    now_ms: i64,
    limit: i64,
) -> Result<Vec<OpenAlert>, StoreError> {
    let rows = db.execute(
        "SELECT id, rule, reason, suggested_action, priority, status, due_at,
                (status = 'open' AND due_at < ?2) AS overdue
         FROM engagement_alerts
         WHERE customer_id = ?1 AND status IN ('open','acknowledged')
         ORDER BY due_at, id LIMIT ?3",
        &[
            Value::from(customer_id),
            Value::Integer(now_ms),
            Value::Integer(limit.clamp(0, MAX_RECENT)),
        ],
    )?;
    rows.iter()
        .map(|r| {
            Ok(OpenAlert {
                id: r.str("id")?.to_owned(),
                rule: r.str("rule")?.to_owned(),
                reason: r.str("reason")?.to_owned(),
                suggested_action: r.parsed("suggested_action", SuggestedAction::parse)?,
                priority: r.parsed("priority", Priority::parse)?,
                status: r.parsed("status", AlertStatus::parse)?,
                due_at: r.i64("due_at")?,
                overdue: r.i64("overdue")? != 0,
            })
        })
        .collect()
}

/// A task still to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingTask {
    /// `tsk_…`.
    pub id: String,
    /// What kind of task.
    pub kind: TaskType,
    /// What to do.
    pub title: String,
    /// Who.
    pub assignee: String,
    /// How urgent.
    pub priority: Priority,
    /// Open or in progress.
    pub status: TaskStatus,
    /// By when (ms since the epoch).
    pub due_at: i64,
    /// Past its due time at `now_ms`.
    pub overdue: bool,
}

/// The open and in-progress tasks of `customer_id`, earliest due first, at most
/// `limit` (capped at [`MAX_RECENT`]).
pub fn pending_tasks(
    db: &dyn Database,
    customer_id: &str,
    now_ms: i64,
    limit: i64,
) -> Result<Vec<PendingTask>, StoreError> {
    let rows = db.execute(
        "SELECT id, type, title, assignee, priority, status, due_at, (due_at < ?2) AS overdue
         FROM engagement_tasks
         WHERE customer_id = ?1 AND status IN ('open','in_progress')
         ORDER BY due_at, id LIMIT ?3",
        &[
            Value::from(customer_id),
            Value::Integer(now_ms),
            Value::Integer(limit.clamp(0, MAX_RECENT)),
        ],
    )?;
    rows.iter()
        .map(|r| {
            Ok(PendingTask {
                id: r.str("id")?.to_owned(),
                kind: r.parsed("type", TaskType::parse)?,
                title: r.str("title")?.to_owned(),
                assignee: r.str("assignee")?.to_owned(),
                priority: r.parsed("priority", Priority::parse)?,
                status: r.parsed("status", TaskStatus::parse)?,
                due_at: r.i64("due_at")?,
                overdue: r.i64("overdue")? != 0,
            })
        })
        .collect()
}

/// The latest churn score a run recorded for a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChurnStanding {
    /// 0–100.
    pub score: i64,
    /// The band of the score.
    pub band: Band,
    /// The run's instant (ms since the epoch).
    pub as_of: i64,
}

/// The latest recorded churn score of `customer_id`, or `None` when no run scored them.
pub fn churn_standing(
    db: &dyn Database,
    customer_id: &str,
) -> Result<Option<ChurnStanding>, StoreError> {
    let rows = db.execute(
        "SELECT score, band, as_of FROM engagement_churn_scores WHERE customer_id = ?",
        &[Value::from(customer_id)],
    )?;
    rows.first()
        .map(|r| {
            Ok(ChurnStanding {
                score: r.i64("score")?,
                band: r.parsed("band", Band::parse)?,
                as_of: r.i64("as_of")?,
            })
        })
        .transpose()
}
