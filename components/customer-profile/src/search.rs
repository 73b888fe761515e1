//! Listing and counting customers: filters, name-prefix / e-mail / phone search, and
//! keyset pagination by id (ids are time-ordered, so pages are stable under inserts).

use crate::repo::decode;
use crm_domain::customer::{Customer, CustomerStatus, DORMANCY_DAYS, Segment, ValueTier, name_key};
use crm_domain::time::Timestamp;
use crm_store::{Database, StoreError, Value};
use std::sync::LazyLock;

/// The SQL for a customer's last activity: the latest of its creation, the last contact
/// the customer started (an outbound reminder they ignored must not keep them active)
/// and their own last loyalty activity, as the other services record them (see
/// `crm_store::read`). Dormancy is derived from it on every read, so it is never stale
/// and needs no background job. SQLite's multi-argument `max` is NULL if any argument
/// is, hence the `COALESCE`s.
pub static LAST_ACTIVITY_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "max(c.created_at, COALESCE({}, 0), {})",
        crm_store::read::interactions::LAST_INBOUND_CONTACT_SQL,
        crm_store::read::loyalty::LAST_CUSTOMER_ACTIVITY_SQL
    )
});

/// What a list request asks for.
#[derive(Debug, Default)]
pub struct Filter {
    /// Name prefix, or an exact e-mail or phone.
    pub q: Option<String>,
    /// Segment.
    pub segment: Option<Segment>,
    /// Value tier.
    pub tier: Option<ValueTier>,
    /// Tag name (any family).
    pub tag: Option<String>,
    /// Relationship manager.
    pub rm_id: Option<String>,
    /// Effective status (`active|dormant|closed`); erased shells are never listed.
    pub status: Option<CustomerStatus>,
}

/// One listed customer: the profile, its version and its last activity.
pub struct Listed {
    /// The profile.
    pub customer: Customer,
    /// Its version (for the etag).
    pub version: i64,
    /// Its last activity (for dormancy).
    pub last_activity: Timestamp,
}

fn dormancy_threshold(now: Timestamp) -> i64 {
    now.plus_millis(-DORMANCY_DAYS * 86_400_000).unix_millis()
}

/// A page of customers after `after` (an id), at most `limit`, plus whether more follow.
pub fn list(
    db: &dyn Database,
    filter: &Filter,
    after: Option<&str>,
    limit: u32,
    now: Timestamp,
) -> Result<(Vec<Listed>, bool), StoreError> {
    let mut clauses: Vec<String> = Vec::new();
    let mut params: Vec<Value> = Vec::new();
    let activity = LAST_ACTIVITY_SQL.as_str();
    match filter.status {
        None => clauses.push("c.status <> 'erased'".into()),
        Some(CustomerStatus::Active) => {
            clauses.push(format!("c.status = 'active' AND {activity} >= ?"));
            params.push(Value::Integer(dormancy_threshold(now)));
        }
        Some(CustomerStatus::Dormant) => {
            clauses.push(format!("c.status = 'active' AND {activity} < ?"));
            params.push(Value::Integer(dormancy_threshold(now)));
        }
        Some(CustomerStatus::Closed) => clauses.push("c.status = 'closed'".into()),
        // The handler refuses `status=erased`; an erased shell has no profile to list.
        Some(CustomerStatus::Erased) => clauses.push("0".into()),
    }
    if let Some(q) = &filter.q {
        let prefix = name_key(q);
        clauses.push("((c.name_key >= ? AND c.name_key < ?) OR c.email = ? OR c.phone = ?)".into());
        params.push(Value::from(prefix.clone()));
        params.push(Value::from(format!("{prefix}{}", char::MAX)));
        params.push(Value::from(normalise_email(q)));
        params.push(Value::from(q.trim()));
    }
    if let Some(segment) = filter.segment {
        clauses.push("c.segment = ?".into());
        params.push(Value::from(segment.as_str()));
    }
    if let Some(tier) = filter.tier {
        clauses.push("c.value_tier = ?".into());
        params.push(Value::from(tier.as_str()));
    }
    if let Some(tag) = &filter.tag {
        clauses.push("c.id IN (SELECT customer_id FROM customer_tags WHERE name = ?)".into());
        params.push(Value::from(tag.as_str()));
    }
    if let Some(rm) = &filter.rm_id {
        clauses.push("c.relationship_manager_id = ?".into());
        params.push(Value::from(rm.as_str()));
    }
    if let Some(after) = after {
        clauses.push("c.id > ?".into());
        params.push(Value::from(after));
    }
    params.push(Value::Integer(i64::from(limit) + 1));
    let sql = format!(
        "SELECT c.document, c.version, {activity} AS last_activity FROM customers c
         WHERE {} ORDER BY c.id LIMIT ?",
        clauses.join(" AND ")
    );
    let rows = db.execute(&sql, &params)?;
    let mut page = Vec::with_capacity(rows.len());
    for row in rows.iter() {
        let (customer, version) = decode(&row)?;
        page.push(Listed {
            customer,
            version,
            last_activity: Timestamp::from_unix_millis(row.i64("last_activity")?),
        });
    }
    let more = page.len() > limit as usize;
    page.truncate(limit as usize);
    Ok((page, more))
}

/// How `q` is compared with stored e-mails: domains are stored lower-cased.
fn normalise_email(q: &str) -> String {
    match q.trim().rsplit_once('@') {
        Some((local, domain)) => format!("{local}@{}", domain.to_ascii_lowercase()),
        None => q.trim().to_owned(),
    }
}

/// Counts of customers per segment, value tier and effective status (erased included
/// in the status counts only, since an erased shell has no segment worth reporting).
pub fn summary(
    db: &dyn Database,
    now: Timestamp,
) -> Result<Vec<(String, String, String, i64)>, StoreError> {
    let activity = LAST_ACTIVITY_SQL.as_str();
    let sql = format!(
        "SELECT c.segment, c.value_tier,
                CASE WHEN c.status = 'active' AND {activity} < ? THEN 'dormant' ELSE c.status END AS status,
                count(*) AS n
         FROM customers c GROUP BY 1, 2, 3"
    );
    let rows = db.execute(&sql, &[Value::Integer(dormancy_threshold(now))])?;
    rows.iter()
        .map(|r| {
            Ok((
                r.str("segment")?.to_owned(),
                r.str("value_tier")?.to_owned(),
                r.str("status")?.to_owned(),
                r.i64("n")?,
            ))
        })
        .collect()
}
