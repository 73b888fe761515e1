//! Churn: the facts a score reads (through the owners' read models and this service's
//! events), the latest score per customer a run writes, and a run's pages of customers.

use crm_domain::engagement::churn::{
    ChurnFacts, ChurnScore, ContactFacts, EventFacts, LoyaltyFacts, WINDOW_DAYS,
};
use crm_domain::loyalty::{TierHistory, TierRules, TierStanding, TierWindow};
use crm_domain::time::Timestamp;
use crm_store::read::interactions::churn_contacts;
use crm_store::read::loyalty::{
    current_rules_document, loyalty_standing, points_expiring, tier_months, tier_points_between,
};
use crm_store::{Database, StoreError, Value};

const DAY_MS: i64 = 86_400_000;

const EVENT_FACTS: &str = "SELECT
    EXISTS (SELECT 1 FROM engagement_events WHERE customer_id = ?1 AND occurred_at <= ?2)
        AS any_event,
    (SELECT count(*) FROM engagement_events WHERE customer_id = ?1 AND kind = 'product_closed'
        AND occurred_at > ?3 AND occurred_at <= ?2) AS closed,
    (SELECT count(*) FROM engagement_events WHERE customer_id = ?1 AND kind = 'salary_stopped'
        AND occurred_at > ?3 AND occurred_at <= ?2) AS salary";

// A newer run's score is never replaced by an older `asOf`'s.
const SAVE: &str = "INSERT INTO engagement_churn_scores (customer_id, score, band,
        rules_version, reasons, as_of, computed_at)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
    ON CONFLICT (customer_id) DO UPDATE SET score = excluded.score, band = excluded.band,
        rules_version = excluded.rules_version, reasons = excluded.reasons,
        as_of = excluded.as_of, computed_at = excluded.computed_at
    WHERE excluded.as_of >= engagement_churn_scores.as_of";

const PAGE: &str = "SELECT id, relationship_manager_id FROM customers
    WHERE status IN ('active','dormant') AND id > ?1 ORDER BY id LIMIT ?2";

// One retention task per customer and period, whatever became of an earlier one; the
// partial UNIQUE index stops a concurrent run's second pending one.
const RETENTION_TASK: &str = "INSERT INTO engagement_tasks (id, customer_id, type, title,
        link_kind, link_id, assignee, priority, status, due_at, note, interaction_id, period,
        created_by, version, created_at, updated_at)
    SELECT ?1, ?2, 'retention', ?3, NULL, NULL, ?4, ?5, 'open', ?6, NULL, NULL, ?7, ?8, 1, ?9, ?9
    WHERE NOT EXISTS (SELECT 1 FROM engagement_tasks WHERE customer_id = ?2 AND period = ?7)
    ON CONFLICT DO NOTHING
    RETURNING id";

/// The tier part of the loyalty rules in force: read once per request, not per
/// customer scored.
pub fn tier_rules(db: &dyn Database) -> Result<TierRules, StoreError> {
    current_rules_document(db)?
        .and_then(|(_, document)| serde_json::from_str::<TierRules>(&document).ok())
        .filter(TierRules::has_tiers)
        .ok_or_else(|| StoreError::Decode("stored loyalty rules have no tiers".into()))
}

/// The customer's tier at `at` as the loyalty service evaluates it (the same rule and
/// the same rows: `crm_domain::loyalty::tier`).
fn tier_at(
    db: &dyn Database,
    rules: &TierRules,
    customer_id: &str,
    at: Timestamp,
) -> Result<TierStanding, StoreError> {
    let window = TierWindow::at(at, rules);
    let history = TierHistory {
        months: tier_months(db, customer_id, window.first_month, window.current_month)?,
        boundary_points: tier_points_between(
            db,
            customer_id,
            window.since.unix_millis(),
            window.partial_until.unix_millis(),
        )?,
    };
    Ok(TierStanding::evaluate(rules, &window, &history))
}

/// Everything the score reads about `customer_id` as of `at_ms`, tiers under `rules`.
pub fn facts(
    db: &dyn Database,
    rules: &TierRules,
    customer_id: &str,
    at_ms: i64,
) -> Result<ChurnFacts, StoreError> {
    let window = WINDOW_DAYS * DAY_MS;
    let c = churn_contacts(db, customer_id, at_ms, window)?;
    let contacts = c.any.then(|| ContactFacts {
        inbound_recent: c.inbound_recent,
        inbound_prior: c.inbound_prior,
        days_since_inbound: c
            .last_inbound_at
            .map(|last| (at_ms.saturating_sub(last)).max(0) / DAY_MS),
        negative_recent: c.negative_recent,
    });
    let loyalty = match loyalty_standing(db, customer_id, at_ms)? {
        None => None,
        Some(standing) => {
            let at = Timestamp::from_unix_millis(at_ms);
            let now = tier_at(db, rules, customer_id, at)?;
            let then = tier_at(db, rules, customer_id, at.plus_millis(-window))?;
            Some(LoyaltyFacts {
                days_since_activity: (at_ms.saturating_sub(standing.last_activity_at)).max(0)
                    / DAY_MS,
                points_expiring_soon: points_expiring(
                    db,
                    customer_id,
                    at_ms,
                    at_ms.saturating_add(30 * DAY_MS),
                )?,
                tiers_lost: (then.index as i64 - now.index as i64).max(0),
                // Whole days left, a part day counted as one.
                tier_held_for_days: now
                    .held_until
                    .map(|until| (until.unix_millis() - at_ms + DAY_MS - 1).max(0) / DAY_MS),
            })
        }
    };
    let rows = db.execute(
        EVENT_FACTS,
        &[
            Value::from(customer_id),
            Value::Integer(at_ms),
            Value::Integer(at_ms.saturating_sub(window)),
        ],
    )?;
    let events = match rows.first() {
        Some(r) if r.i64("any_event")? != 0 => Some(EventFacts {
            products_closed: r.i64("closed")?,
            salary_stopped: r.i64("salary")?,
        }),
        _ => None,
    };
    Ok(ChurnFacts {
        contacts,
        open_complaints: c.open_complaints,
        overdue_complaints: c.overdue_complaints,
        loyalty,
        events,
    })
}

/// Records `score` as `customer_id`'s latest (as of `as_of_ms`). Call inside the run's
/// transaction.
pub fn save(
    db: &dyn Database,
    customer_id: &str,
    score: &ChurnScore,
    as_of_ms: i64,
    now_ms: i64,
) -> Result<(), StoreError> {
    let reasons = serde_json::to_string(&score.reasons)
        .map_err(|e| StoreError::Decode(format!("churn reasons: {e}")))?;
    db.execute(
        SAVE,
        &[
            Value::from(customer_id),
            Value::Integer(score.score),
            Value::from(score.band.as_str()),
            Value::Integer(score.rules_version),
            Value::from(reasons),
            Value::Integer(as_of_ms),
            Value::Integer(now_ms),
        ],
    )?;
    Ok(())
}

/// One customer of a run's page: id and relationship manager.
pub type RunCustomer = (String, Option<String>);

/// Up to `limit` customers (active or dormant) after `after`, by id.
pub fn page(db: &dyn Database, after: &str, limit: u32) -> Result<Vec<RunCustomer>, StoreError> {
    let rows = db.execute(
        PAGE,
        &[Value::from(after), Value::Integer(i64::from(limit))],
    )?;
    rows.iter()
        .map(|r| {
            Ok((
                r.str("id")?.to_owned(),
                r.opt_str("relationship_manager_id")?.map(str::to_owned),
            ))
        })
        .collect()
}

/// A run's retention task.
pub struct Retention<'a> {
    /// `tsk_…`.
    pub id: &'a str,
    /// `cus_…`.
    pub customer_id: &'a str,
    /// What to do.
    pub title: &'a str,
    /// The customer's relationship manager.
    pub assignee: &'a str,
    /// A `Priority` spelling.
    pub priority: &'a str,
    /// By when (ms).
    pub due_at: i64,
    /// The churn period.
    pub period: &'a str,
    /// Who ran the run.
    pub created_by: &'a str,
}

/// Creates the retention task unless the customer has one for the period; true when
/// created. Call inside the run's transaction.
pub fn retention_task(
    db: &dyn Database,
    t: &Retention<'_>,
    now_ms: i64,
) -> Result<bool, StoreError> {
    let rows = db.execute(
        RETENTION_TASK,
        &[
            Value::from(t.id),
            Value::from(t.customer_id),
            Value::from(t.title),
            Value::from(t.assignee),
            Value::from(t.priority),
            Value::Integer(t.due_at),
            Value::from(t.period),
            Value::from(t.created_by),
            Value::Integer(now_ms),
        ],
    )?;
    Ok(!rows.is_empty())
}

/// A stored score of the at-risk list.
#[derive(Debug, Clone)]
pub struct StoredScore {
    /// `cus_…`.
    pub customer_id: String,
    /// The customer's relationship manager now.
    pub relationship_manager_id: Option<String>,
    /// 0–100.
    pub score: i64,
    /// `low|medium|high`.
    pub band: String,
    /// The rules version.
    pub rules_version: i64,
    /// The reasons as JSON.
    pub reasons: String,
    /// The run's instant (ms).
    pub as_of: i64,
}

/// The latest scores of at least `min_score`, highest first, of `rm`'s and `book`'s
/// customers when given, at most `limit`.
pub fn ranked(
    db: &dyn Database,
    rm: Option<&str>,
    book: Option<&str>,
    min_score: i64,
    limit: u32,
) -> Result<Vec<StoredScore>, StoreError> {
    let mut sql = "SELECT s.customer_id, c.relationship_manager_id, s.score, s.band,
            s.rules_version, s.reasons, s.as_of
        FROM engagement_churn_scores s JOIN customers c ON c.id = s.customer_id
        WHERE c.status <> 'erased' AND s.score >= ?"
        .to_owned();
    let mut params = vec![Value::Integer(min_score)];
    for manager in [rm, book].into_iter().flatten() {
        sql.push_str(" AND c.relationship_manager_id = ?");
        params.push(Value::from(manager));
    }
    sql.push_str(" ORDER BY s.score DESC, s.customer_id LIMIT ?");
    params.push(Value::Integer(i64::from(limit)));
    let rows = db.execute(&sql, &params)?;
    rows.iter()
        .map(|r| {
            Ok(StoredScore {
                customer_id: r.str("customer_id")?.to_owned(),
                relationship_manager_id: r.opt_str("relationship_manager_id")?.map(str::to_owned),
                score: r.i64("score")?,
                band: r.str("band")?.to_owned(),
                rules_version: r.i64("rules_version")?,
                reasons: r.str("reasons")?.to_owned(),
                as_of: r.i64("as_of")?,
            })
        })
        .collect()
}
