//! Reads over lots and allocations: spendable and due points, FIFO pages, expiring
//! points, and the facts a tier evaluation needs.

use super::{decode, ts};
use crm_domain::loyalty::{Allocation, Lot, LoyaltyEntryId, TierHistory, TierWindow};
use crm_domain::time::Timestamp;
use crm_store::read::loyalty;
use crm_store::{Database, Row, StoreError, Value};

pub(super) const DUE_POINTS: &str = "SELECT COALESCE(SUM(remaining), 0) AS due FROM loyalty_lots
    WHERE customer_id = ? AND remaining > 0 AND expires_at <= ?";
/// The next page of spendable lots in FIFO order after ledger position `?3`: a range
/// over the open-lots index, so a draw reads only the lots it needs.
pub(super) const FIFO_LOTS: &str =
    "SELECT earn_id, seq, points, remaining, expires_at FROM loyalty_lots
    WHERE customer_id = ?1 AND remaining > 0 AND seq > ?3 AND expires_at > ?2 AND earn_id <> ?4
    ORDER BY seq LIMIT ?5";
/// Lots read per page while drawing.
pub(super) const FIFO_PAGE: i64 = 64;
pub(super) const DUE_LOTS: &str =
    "SELECT earn_id, seq, points, remaining, expires_at FROM loyalty_lots
    WHERE customer_id = ? AND remaining > 0 AND expires_at <= ? ORDER BY seq";
pub(super) const LOT: &str =
    "SELECT earn_id, seq, points, remaining, expires_at FROM loyalty_lots WHERE earn_id = ?";
pub(super) const EXPIRED_FROM_LOT: &str = "SELECT COALESCE(-SUM(a.points), 0) AS expired
    FROM loyalty_allocations a JOIN loyalty_entries e ON e.id = a.entry_id
    WHERE a.earn_id = ? AND e.kind = 'expire'";
pub(super) const ALLOCATIONS_WITH_EXPIRY: &str = "SELECT a.earn_id, a.points, l.expires_at
    FROM loyalty_allocations a JOIN loyalty_lots l ON l.earn_id = a.earn_id
    WHERE a.entry_id = ? ORDER BY l.seq";
pub(super) const ALLOCATIONS: &str = "SELECT a.earn_id, a.points FROM loyalty_allocations a
    JOIN loyalty_lots l ON l.earn_id = a.earn_id WHERE a.entry_id = ? ORDER BY l.seq";
pub(super) const EXPIRING: &str = "SELECT expires_at, SUM(remaining) AS points FROM loyalty_lots
    WHERE customer_id = ?1 AND remaining > 0 AND expires_at > ?2 AND expires_at <= ?3
    GROUP BY expires_at ORDER BY expires_at LIMIT ?4";
pub(super) const EXPIRING_TOTAL: &str =
    "SELECT COALESCE(SUM(remaining), 0) AS points FROM loyalty_lots
    WHERE customer_id = ?1 AND remaining > 0 AND expires_at > ?2 AND expires_at <= ?3";
/// Customers with points left in due lots: a range over the due-lots index (lots a run
/// has written off have left it), so a run's cost follows what is due, not history.
pub(super) const DUE_CUSTOMERS: &str = "SELECT DISTINCT customer_id
    FROM loyalty_lots INDEXED BY loyalty_lots_due_all
    WHERE remaining > 0 AND expires_at <= ? LIMIT ?";
/// Points of `customer` still in lots whose expiry instant is at or before `at`.
pub fn due_points(db: &dyn Database, customer: &str, at: Timestamp) -> Result<i64, StoreError> {
    let rows = db.execute(
        DUE_POINTS,
        &[Value::from(customer), Value::Integer(at.unix_millis())],
    )?;
    rows.first().map(|r| r.i64("due")).unwrap_or(Ok(0))
}

fn lot_from(row: Row<'_>) -> Result<Lot, StoreError> {
    Ok(Lot {
        earn_id: LoyaltyEntryId::parse(row.str("earn_id")?).map_err(|_| decode("lot id"))?,
        seq: row.i64("seq")?,
        points: row.i64("points")?,
        remaining: row.i64("remaining")?,
        expires_at: ts(row.i64("expires_at")?),
    })
}

fn lots(rows: &crm_store::Rows) -> Result<Vec<Lot>, StoreError> {
    rows.iter().map(lot_from).collect()
}

/// The oldest lots spendable at `now`, just enough to cover `wanted` (all of them if
/// they do not), leaving out the lot of `except`.
pub fn fifo_lots(
    db: &dyn Database,
    customer: &str,
    now: Timestamp,
    wanted: i64,
    except: Option<&str>,
) -> Result<Vec<Lot>, StoreError> {
    let mut found: Vec<Lot> = Vec::new();
    let mut covered = 0;
    while covered < wanted {
        let after = found.last().map_or(0, |l| l.seq);
        let page = lots(&db.execute(
            FIFO_LOTS,
            &[
                Value::from(customer),
                Value::Integer(now.unix_millis()),
                Value::Integer(after),
                Value::from(except.unwrap_or("")),
                Value::Integer(FIFO_PAGE),
            ],
        )?)?;
        let last_page = (page.len() as i64) < FIFO_PAGE;
        for lot in page {
            if covered >= wanted {
                break;
            }
            covered += lot.remaining;
            found.push(lot);
        }
        if last_page {
            break;
        }
    }
    Ok(found)
}

/// Lots of `customer` with points left whose expiry instant is at or before `as_of`.
pub fn due_lots(
    db: &dyn Database,
    customer: &str,
    as_of: Timestamp,
) -> Result<Vec<Lot>, StoreError> {
    lots(&db.execute(
        DUE_LOTS,
        &[Value::from(customer), Value::Integer(as_of.unix_millis())],
    )?)
}

/// The lot of earn `earn_id`, if it has one (a 0-point earn has none).
pub fn lot(db: &dyn Database, earn_id: &str) -> Result<Option<Lot>, StoreError> {
    let rows = db.execute(LOT, &[Value::from(earn_id)])?;
    rows.first().map(lot_from).transpose()
}

/// Points of the lot that expiry entries wrote off.
pub fn expired_from(db: &dyn Database, earn_id: &str) -> Result<i64, StoreError> {
    let rows = db.execute(EXPIRED_FROM_LOT, &[Value::from(earn_id)])?;
    rows.first().map(|r| r.i64("expired")).unwrap_or(Ok(0))
}

fn allocation_from(row: Row<'_>) -> Result<Allocation, StoreError> {
    Ok(Allocation {
        earn_id: LoyaltyEntryId::parse(row.str("earn_id")?).map_err(|_| decode("lot id"))?,
        points: row.i64("points")?,
    })
}

/// An entry's allocations with each lot's expiry instant.
pub fn allocations_with_expiry(
    db: &dyn Database,
    entry_id: &str,
) -> Result<Vec<(Allocation, Timestamp)>, StoreError> {
    let rows = db.execute(ALLOCATIONS_WITH_EXPIRY, &[Value::from(entry_id)])?;
    rows.iter()
        .map(|r| Ok((allocation_from(r)?, ts(r.i64("expires_at")?))))
        .collect()
}

/// An entry's allocations, oldest lot first.
pub fn allocations(db: &dyn Database, entry_id: &str) -> Result<Vec<Allocation>, StoreError> {
    let rows = db.execute(ALLOCATIONS, &[Value::from(entry_id)])?;
    rows.iter().map(allocation_from).collect()
}

/// Spendable points expiring in `(now, until]`, grouped by expiry instant, soonest
/// first, at most `limit` instants; and their total over the whole period.
pub fn expiring(
    db: &dyn Database,
    customer: &str,
    now: Timestamp,
    until: Timestamp,
    limit: i64,
) -> Result<(Vec<(Timestamp, i64)>, i64), StoreError> {
    let params = [
        Value::from(customer),
        Value::Integer(now.unix_millis()),
        Value::Integer(until.unix_millis()),
        Value::Integer(limit),
    ];
    let rows = db.execute(EXPIRING, &params)?;
    let soon = rows
        .iter()
        .map(|r| Ok((ts(r.i64("expires_at")?), r.i64("points")?)))
        .collect::<Result<Vec<_>, StoreError>>()?;
    let total = db.execute(EXPIRING_TOTAL, &params[..3])?;
    Ok((
        soon,
        total.first().map(|r| r.i64("points")).unwrap_or(Ok(0))?,
    ))
}

/// The facts a tier evaluation over `window` needs.
pub fn tier_history(
    db: &dyn Database,
    customer: &str,
    window: &TierWindow,
) -> Result<TierHistory, StoreError> {
    Ok(TierHistory {
        months: loyalty::tier_months(db, customer, window.first_month, window.current_month)?,
        boundary_points: loyalty::tier_points_between(
            db,
            customer,
            window.since.unix_millis(),
            window.partial_until.unix_millis(),
        )?,
    })
}

/// Up to `limit` customers with points left in lots due at `as_of`.
pub fn due_customers(
    db: &dyn Database,
    as_of: Timestamp,
    limit: i64,
) -> Result<Vec<String>, StoreError> {
    let rows = db.execute(
        DUE_CUSTOMERS,
        &[Value::Integer(as_of.unix_millis()), Value::Integer(limit)],
    )?;
    rows.iter()
        .map(|r| r.str("customer_id").map(str::to_owned))
        .collect()
}
