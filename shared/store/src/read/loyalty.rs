//! What other services may read of the loyalty service's tables: a customer's loyalty
//! standing (for recommendations and the 360° view), points about to expire (a
//! reminder signal for marketing), and the rules and tier-qualifying points a tier is
//! evaluated from (churn's downgrade signal), without an HTTP call.

use crate::{Database, StoreError, Value};

/// SQL for the customer `c.id`'s latest loyalty activity of their own, or NULL: a
/// correlated subquery to embed in a query over `customers c`, used for dormancy. Only
/// what the customer did counts (earning from spending, salary, a purchase or a
/// referral, and redeeming); campaign credits, expiries, adjustments and reversals are
/// the bank's doing. `seq` grows with `created_at`, so the newest entry of each kind is
/// one step down the `(customer_id, kind, seq)` index.
pub const LAST_CUSTOMER_ACTIVITY_SQL: &str = "max(
    COALESCE((SELECT e.created_at FROM loyalty_entries e
              WHERE e.customer_id = c.id AND e.kind = 'earn' AND e.event_type <> 'campaign'
              ORDER BY e.seq DESC LIMIT 1), 0),
    COALESCE((SELECT e.created_at FROM loyalty_entries e
              WHERE e.customer_id = c.id AND e.kind = 'redeem'
              ORDER BY e.seq DESC LIMIT 1), 0))";

/// A customer's loyalty standing, as the ledger's cache holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoyaltyStanding {
    /// The tier as evaluated at the customer's last ledger write (`silver`…). Tiers
    /// can lapse with time alone; `GET /v1/loyalty/accounts/{id}` is authoritative.
    pub tier: String,
    /// When `tier` was evaluated (ms since the epoch).
    pub tier_evaluated_at: i64,
    /// Points the customer can spend at `now_ms` (expired points excluded).
    pub spendable: i64,
    /// Points earned over the account's life, net of reversed earns.
    pub lifetime_earned: i64,
    /// The last ledger write (ms since the epoch): a loyalty activity signal.
    pub last_activity_at: i64,
}

/// The standing of `customer_id` at `now_ms`, or `None` when the customer has never
/// had a loyalty entry.
pub fn loyalty_standing(
    db: &dyn Database,
    customer_id: &str,
    now_ms: i64,
) -> Result<Option<LoyaltyStanding>, StoreError> {
    let rows = db.execute(
        "SELECT a.tier, a.tier_evaluated_at, a.lifetime_earned, a.updated_at,
                a.balance - (SELECT COALESCE(SUM(l.remaining), 0) FROM loyalty_lots l
                             WHERE l.customer_id = a.customer_id AND l.remaining > 0
                               AND l.expires_at <= ?2) AS spendable
         FROM loyalty_accounts a WHERE a.customer_id = ?1",
        &[Value::from(customer_id), Value::Integer(now_ms)],
    )?;
    rows.first()
        .map(|r| {
            Ok(LoyaltyStanding {
                tier: r.str("tier")?.to_owned(),
                tier_evaluated_at: r.i64("tier_evaluated_at")?,
                spendable: r.i64("spendable")?,
                lifetime_earned: r.i64("lifetime_earned")?,
                last_activity_at: r.i64("updated_at")?,
            })
        })
        .transpose()
}

/// Points of `customer_id` that are spendable at `now_ms` but expire by `until_ms`:
/// the "your points are about to expire" reminder. 0 when there are none.
pub fn points_expiring(
    db: &dyn Database,
    customer_id: &str,
    now_ms: i64,
    until_ms: i64,
) -> Result<i64, StoreError> {
    let rows = db.execute(
        "SELECT COALESCE(SUM(remaining), 0) AS points FROM loyalty_lots
         WHERE customer_id = ? AND remaining > 0 AND expires_at > ? AND expires_at <= ?",
        &[
            Value::from(customer_id),
            Value::Integer(now_ms),
            Value::Integer(until_ms),
        ],
    )?;
    rows.first().map(|r| r.i64("points")).unwrap_or(Ok(0))
}

/// Tier-qualifying points per calendar month of one customer, `?2..=?3` (month
/// indexes as `crm_domain::loyalty` counts them).
pub const TIER_MONTHS_SQL: &str = "SELECT month, points FROM loyalty_tier_months
    WHERE customer_id = ? AND month BETWEEN ? AND ?";
/// Tier-qualifying points of one customer dated strictly between `?2` and `?3`.
pub const TIER_POINTS_BETWEEN_SQL: &str =
    "SELECT COALESCE(SUM(tier_points), 0) AS points FROM loyalty_entries
    WHERE customer_id = ? AND tier_points <> 0 AND tier_at > ? AND tier_at < ?";

/// The tier-qualifying points of `customer_id` per month from `first_month` to
/// `last_month` (months without points absent).
pub fn tier_months(
    db: &dyn Database,
    customer_id: &str,
    first_month: i64,
    last_month: i64,
) -> Result<Vec<(i64, i64)>, StoreError> {
    let rows = db.execute(
        TIER_MONTHS_SQL,
        &[
            Value::from(customer_id),
            Value::Integer(first_month),
            Value::Integer(last_month),
        ],
    )?;
    rows.iter()
        .map(|r| Ok((r.i64("month")?, r.i64("points")?)))
        .collect()
}

/// The tier-qualifying points of `customer_id` dated in `(since_ms, until_ms)`.
pub fn tier_points_between(
    db: &dyn Database,
    customer_id: &str,
    since_ms: i64,
    until_ms: i64,
) -> Result<i64, StoreError> {
    let rows = db.execute(
        TIER_POINTS_BETWEEN_SQL,
        &[
            Value::from(customer_id),
            Value::Integer(since_ms),
            Value::Integer(until_ms),
        ],
    )?;
    rows.first().map_or(Ok(0), |r| r.i64("points"))
}

/// The loyalty rules in force: their version and JSON document (as
/// `GET /v1/loyalty/rules` shows them), or `None` when none are stored.
pub fn current_rules_document(db: &dyn Database) -> Result<Option<(i64, String)>, StoreError> {
    let rows = db.execute(
        "SELECT version, document FROM loyalty_rules ORDER BY version DESC LIMIT 1",
        &[],
    )?;
    rows.first()
        .map(|r| Ok((r.i64("version")?, r.str("document")?.to_owned())))
        .transpose()
}
