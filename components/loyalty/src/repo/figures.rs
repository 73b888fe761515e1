//! The programme's figures: aggregates over every account, for managers. These scan
//! (lots with points left, the period's entries, the accounts), unlike the hot path;
//! they read numbers only, so erased customers' entries still count.

use crm_store::{Database, StoreError, Value};

/// Points left in lots now, by age of the earn that made them: the programme's
/// liability. `?1` is now; ages are measured from the earn's entry.
const OUTSTANDING: &str = "SELECT
        COALESCE(SUM(l.remaining), 0) AS points,
        COUNT(*) AS lots,
        COALESCE(SUM(CASE WHEN l.expires_at <= ?1 THEN l.remaining END), 0) AS past_expiry,
        COALESCE(SUM(CASE WHEN ?1 - e.created_at < ?2 THEN l.remaining END), 0) AS age_0,
        COALESCE(SUM(CASE WHEN ?1 - e.created_at >= ?2 AND ?1 - e.created_at < 2 * ?2
                          THEN l.remaining END), 0) AS age_1,
        COALESCE(SUM(CASE WHEN ?1 - e.created_at >= 2 * ?2 AND ?1 - e.created_at < 3 * ?2
                          THEN l.remaining END), 0) AS age_2,
        COALESCE(SUM(CASE WHEN ?1 - e.created_at >= 3 * ?2 THEN l.remaining END), 0) AS age_3
    FROM loyalty_lots l JOIN loyalty_entries e ON e.id = l.earn_id
    WHERE l.remaining > 0";

/// Points moved per calendar month (UTC) and kind in `[?1, ?2)`.
const MONTHLY: &str = "SELECT strftime('%Y-%m', created_at / 1000, 'unixepoch') AS month,
        kind, COALESCE(SUM(points), 0) AS points, COUNT(*) AS entries
    FROM loyalty_entries WHERE created_at >= ?1 AND created_at < ?2
    GROUP BY month, kind ORDER BY month, kind";

const TIERS: &str = "SELECT tier, COUNT(*) AS members FROM loyalty_accounts
    GROUP BY tier ORDER BY tier";

/// Half a year in milliseconds: the width of an age band.
pub const AGE_BAND_MS: i64 = 182 * 86_400_000;

/// The liability now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outstanding {
    /// Points left in lots.
    pub points: i64,
    /// Lots with points left.
    pub lots: i64,
    /// Of those points, the ones past their expiry that no run has written off yet.
    pub past_expiry: i64,
    /// Points by age of their earn: under half a year, to a year, to a year and a half,
    /// older.
    pub by_age: [i64; 4],
}

/// One month's movements, each the net points of its kind (redemptions and expiries
/// negative, as the ledger writes them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Month {
    /// `2026-01`.
    pub month: String,
    /// Points earned.
    pub earned: i64,
    /// Points redeemed (negative).
    pub redeemed: i64,
    /// Points written off by expiry runs (negative).
    pub expired: i64,
    /// Net points of reversals.
    pub reversed: i64,
    /// Net points of adjustments.
    pub adjusted: i64,
    /// Entries of every kind.
    pub entries: i64,
}

/// The liability at `now_ms`.
pub fn outstanding(db: &dyn Database, now_ms: i64) -> Result<Outstanding, StoreError> {
    let rows = db.execute(
        OUTSTANDING,
        &[Value::Integer(now_ms), Value::Integer(AGE_BAND_MS)],
    )?;
    let Some(r) = rows.first() else {
        return Err(StoreError::Decode(
            "the liability query returned no row".into(),
        ));
    };
    Ok(Outstanding {
        points: r.i64("points")?,
        lots: r.i64("lots")?,
        past_expiry: r.i64("past_expiry")?,
        by_age: [
            r.i64("age_0")?,
            r.i64("age_1")?,
            r.i64("age_2")?,
            r.i64("age_3")?,
        ],
    })
}

/// The months of `[from_ms, to_ms)` that had entries, oldest first.
pub fn monthly(db: &dyn Database, from_ms: i64, to_ms: i64) -> Result<Vec<Month>, StoreError> {
    let rows = db.execute(MONTHLY, &[Value::Integer(from_ms), Value::Integer(to_ms)])?;
    let mut months: Vec<Month> = Vec::new();
    for r in rows.iter() {
        let name = r.str("month")?;
        if months.last().is_none_or(|m| m.month != name) {
            months.push(Month {
                month: name.to_owned(),
                ..Month::default()
            });
        }
        let Some(month) = months.last_mut() else {
            continue;
        };
        let points = r.i64("points")?;
        match r.str("kind")? {
            "earn" => month.earned += points,
            "redeem" => month.redeemed += points,
            "expire" => month.expired += points,
            "reverse" => month.reversed += points,
            _ => month.adjusted += points,
        }
        month.entries += r.i64("entries")?;
    }
    Ok(months)
}

/// Accounts per tier, as each was evaluated at its last ledger write.
pub fn members_per_tier(db: &dyn Database) -> Result<Vec<(String, i64)>, StoreError> {
    let rows = db.execute(TIERS, &[])?;
    rows.iter()
        .map(|r| Ok((r.str("tier")?.to_owned(), r.i64("members")?)))
        .collect()
}
