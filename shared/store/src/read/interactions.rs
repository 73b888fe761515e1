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

/// The customer a complaint case belongs to, or `None` when `complaint_id` names none
/// (a task links to it only for the same customer).
pub fn complaint_customer(
    db: &dyn Database,
    complaint_id: &str,
) -> Result<Option<String>, StoreError> {
    let rows = db.execute(
        "SELECT customer_id FROM complaints WHERE id = ?",
        &[Value::from(complaint_id)],
    )?;
    rows.first()
        .map(|r| r.str("customer_id").map(str::to_owned))
        .transpose()
}

/// One contact as the 360° view shows it: what happened, not the free-text notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactSummary {
    /// `int_…`.
    pub id: String,
    /// When it happened (ms since the epoch).
    pub occurred_at: i64,
    /// `branch|phone|…`.
    pub channel: String,
    /// `inbound|outbound`.
    pub direction: String,
    /// `inquiry|service_request|…`.
    pub kind: String,
    /// The subject line; `None` for a confidential contact, which only the
    /// interactions service itself shows.
    pub subject: Option<String>,
    /// `positive|neutral|negative`, if recorded.
    pub sentiment: Option<String>,
    /// The member of staff who recorded it.
    pub agent_id: String,
    /// Whether its content is confidential.
    pub confidential: bool,
    /// The contact this one corrects, if it is a correction.
    pub corrects_id: Option<String>,
    /// The complaint case it opened, if any.
    pub complaint_id: Option<String>,
}

/// Most contacts or complaints [`recent_contacts`] and [`open_complaints`] return.
pub const MAX_RECENT: i64 = 50;

const RECENT_CONTACTS: &str = "SELECT i.id, i.occurred_at, i.channel, i.direction, i.type,
        CASE WHEN i.confidential = 1 THEN NULL ELSE i.subject END AS subject,
        i.sentiment, i.agent_id, i.confidential, i.corrects_id, i.complaint_id
    FROM interactions i
    WHERE i.customer_id = ?1
      AND (?3 = 1 OR i.confidential = 0)
      AND NOT EXISTS (SELECT 1 FROM interactions x WHERE x.corrects_id = i.id)
    ORDER BY i.occurred_at DESC, i.id DESC
    LIMIT ?2";

/// The latest contacts of `customer_id`, newest first (the timeline's order), at most
/// `limit` (capped at [`MAX_RECENT`]). A contact a later one corrects is left out: the
/// correction, which is listed, carries what really happened. Confidential contacts
/// are left out unless `include_confidential` (the caller's right to see them).
pub fn recent_contacts(
    db: &dyn Database,
    customer_id: &str,
    limit: i64,
    include_confidential: bool,
) -> Result<Vec<ContactSummary>, StoreError> {
    let rows = db.execute(
        RECENT_CONTACTS,
        &[
            Value::from(customer_id),
            Value::Integer(limit.clamp(0, MAX_RECENT)),
            Value::from(include_confidential),
        ],
    )?;
    rows.iter()
        .map(|r| {
            Ok(ContactSummary {
                id: r.str("id")?.to_owned(),
                occurred_at: r.i64("occurred_at")?,
                channel: r.str("channel")?.to_owned(),
                direction: r.str("direction")?.to_owned(),
                kind: r.str("type")?.to_owned(),
                subject: r.opt_str("subject")?.map(str::to_owned),
                sentiment: r.opt_str("sentiment")?.map(str::to_owned),
                agent_id: r.str("agent_id")?.to_owned(),
                confidential: r.i64("confidential")? != 0,
                corrects_id: r.opt_str("corrects_id")?.map(str::to_owned),
                complaint_id: r.opt_str("complaint_id")?.map(str::to_owned),
            })
        })
        .collect()
}

/// A complaint case that is not closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenComplaint {
    /// `cmp_…`.
    pub id: String,
    /// `low|medium|high|critical`.
    pub severity: String,
    /// The category code.
    pub category: String,
    /// `open|assigned|in_progress|resolved|reopened`.
    pub status: String,
    /// When it was opened (ms since the epoch).
    pub opened_at: i64,
    /// The resolution deadline (ms since the epoch).
    pub due_at: i64,
    /// Past its deadline at `now_ms` and not resolved.
    pub overdue: bool,
}

const OPEN_COMPLAINTS: &str = "SELECT id, severity, category, status, opened_at, due_at,
        (status IN ('open','assigned','in_progress','reopened') AND due_at < ?2) AS overdue
    FROM complaints
    WHERE customer_id = ?1 AND status <> 'closed'
    ORDER BY due_at, id
    LIMIT ?3";

/// The complaint cases of `customer_id` that are not closed, the most urgent deadline
/// first, at most `limit` (capped at [`MAX_RECENT`]).
pub fn open_complaints(
    db: &dyn Database,
    customer_id: &str,
    now_ms: i64,
    limit: i64,
) -> Result<Vec<OpenComplaint>, StoreError> {
    let rows = db.execute(
        OPEN_COMPLAINTS,
        &[
            Value::from(customer_id),
            Value::Integer(now_ms),
            Value::Integer(limit.clamp(0, MAX_RECENT)),
        ],
    )?;
    rows.iter()
        .map(|r| {
            Ok(OpenComplaint {
                id: r.str("id")?.to_owned(),
                severity: r.str("severity")?.to_owned(),
                category: r.str("category")?.to_owned(),
                status: r.str("status")?.to_owned(),
                opened_at: r.i64("opened_at")?,
                due_at: r.i64("due_at")?,
                overdue: r.i64("overdue")? != 0,
            })
        })
        .collect()
}

/// Most inquiries [`recent_inquiries`] returns.
pub const MAX_INQUIRIES: i64 = 200;

/// An inquiry the customer made: its subject (searched for product keywords by the
/// recommendations service) and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InquirySignal {
    /// The subject line (never the confidential notes).
    pub subject: String,
    /// When it happened (ms since the epoch).
    pub occurred_at: i64,
}

/// The inquiries (type `inquiry`) of `customer_id` since `since_ms`, newest first, at most
/// `limit` (capped at [`MAX_INQUIRIES`]); a corrected inquiry counts as its correction.
pub fn recent_inquiries(
    db: &dyn Database,
    customer_id: &str,
    since_ms: i64,
    limit: i64,
) -> Result<Vec<InquirySignal>, StoreError> {
    let rows = db.execute(
        "SELECT i.subject, i.occurred_at FROM interactions i
         WHERE i.customer_id = ? AND i.occurred_at >= ? AND i.type = 'inquiry'
           AND NOT EXISTS (SELECT 1 FROM interactions x WHERE x.corrects_id = i.id)
         ORDER BY i.occurred_at DESC, i.id DESC LIMIT ?",
        &[
            Value::from(customer_id),
            Value::Integer(since_ms),
            Value::Integer(limit.clamp(0, MAX_INQUIRIES)),
        ],
    )?;
    rows.iter()
        .map(|r| {
            Ok(InquirySignal {
                subject: r.str("subject")?.to_owned(),
                occurred_at: r.i64("occurred_at")?,
            })
        })
        .collect()
}

/// A customer's contacts as churn early warning reads them, as of an instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChurnContacts {
    /// Any contact at all up to the instant.
    pub any: bool,
    /// Inbound contacts in the window ending at the instant.
    pub inbound_recent: i64,
    /// Inbound contacts in the window before that.
    pub inbound_prior: i64,
    /// The latest inbound contact up to the instant (ms since the epoch).
    pub last_inbound_at: Option<i64>,
    /// Contacts with negative sentiment in the window ending at the instant.
    pub negative_recent: i64,
    /// Complaint cases not closed.
    pub open_complaints: i64,
    /// Of those, not resolved and past their deadline at the instant.
    pub overdue_complaints: i64,
}

// Corrected contacts do not count (their correction does); `?2` is the instant, `?3`
// the start of the recent window, `?4` the start of the prior one.
const CHURN_CONTACTS: &str = "SELECT
    EXISTS (SELECT 1 FROM interactions WHERE customer_id = ?1 AND occurred_at <= ?2) AS any_contact,
    (SELECT count(*) FROM interactions i WHERE i.customer_id = ?1 AND i.direction = 'inbound'
        AND i.occurred_at > ?3 AND i.occurred_at <= ?2
        AND NOT EXISTS (SELECT 1 FROM interactions x WHERE x.corrects_id = i.id)) AS recent,
    (SELECT count(*) FROM interactions i WHERE i.customer_id = ?1 AND i.direction = 'inbound'
        AND i.occurred_at > ?4 AND i.occurred_at <= ?3
        AND NOT EXISTS (SELECT 1 FROM interactions x WHERE x.corrects_id = i.id)) AS prior,
    (SELECT max(i.occurred_at) FROM interactions i WHERE i.customer_id = ?1
        AND i.direction = 'inbound' AND i.occurred_at <= ?2
        AND NOT EXISTS (SELECT 1 FROM interactions x WHERE x.corrects_id = i.id)) AS last_inbound,
    (SELECT count(*) FROM interactions i WHERE i.customer_id = ?1 AND i.sentiment = 'negative'
        AND i.occurred_at > ?3 AND i.occurred_at <= ?2
        AND NOT EXISTS (SELECT 1 FROM interactions x WHERE x.corrects_id = i.id)) AS negative,
    (SELECT count(*) FROM complaints WHERE customer_id = ?1 AND status <> 'closed') AS open,
    (SELECT count(*) FROM complaints WHERE customer_id = ?1
        AND status IN ('open','assigned','in_progress','reopened') AND due_at < ?2) AS overdue";

/// The churn facts of `customer_id` at `at_ms`, with windows of `window_ms` (the recent
/// one ends at `at_ms`, the prior one ends where it starts).
pub fn churn_contacts(
    db: &dyn Database,
    customer_id: &str,
    at_ms: i64,
    window_ms: i64,
) -> Result<ChurnContacts, StoreError> {
    let rows = db.execute(
        CHURN_CONTACTS,
        &[
            Value::from(customer_id),
            Value::Integer(at_ms),
            Value::Integer(at_ms.saturating_sub(window_ms)),
            Value::Integer(at_ms.saturating_sub(window_ms.saturating_mul(2))),
        ],
    )?;
    let Some(r) = rows.first() else {
        return Ok(ChurnContacts::default());
    };
    Ok(ChurnContacts {
        any: r.i64("any_contact")? != 0,
        inbound_recent: r.i64("recent")?,
        inbound_prior: r.i64("prior")?,
        last_inbound_at: r.opt_i64("last_inbound")?,
        negative_recent: r.i64("negative")?,
        open_complaints: r.i64("open")?,
        overdue_complaints: r.i64("overdue")?,
    })
}
