//! Appending to the ledger: the one conditional INSERT that carries the balance
//! invariants, then the lot, allocations, cached totals and tier months it implies.

use super::{int, text, time};
use crm_domain::loyalty::{Allocation, EntryKind, EventType, LoyaltyEntryId};
use crm_domain::money::Money;
use crm_domain::time::Timestamp;
use crm_store::{Database, StoreError, Value};

pub(super) const ACCOUNT: &str =
    "SELECT balance, lifetime_earned, entry_count, tier, tier_evaluated_at,
    created_at, updated_at FROM loyalty_accounts WHERE customer_id = ?";
pub(super) const ENSURE_ACCOUNT: &str = "INSERT INTO loyalty_accounts (customer_id, balance,
    lifetime_earned, entry_count, last_seq, tier, tier_evaluated_at, created_at, updated_at)
    VALUES (?1, 0, 0, 0, 0, ?2, ?3, ?3, ?3) ON CONFLICT (customer_id) DO NOTHING";
pub(super) const APPLY_TO_ACCOUNT: &str = "UPDATE loyalty_accounts SET balance = balance + ?2,
    lifetime_earned = lifetime_earned + ?3, entry_count = entry_count + 1, last_seq = ?4,
    updated_at = ?5 WHERE customer_id = ?1 AND last_seq < ?4 RETURNING balance";
pub(super) const SET_TIER: &str =
    "UPDATE loyalty_accounts SET tier = ?2, tier_evaluated_at = ?3 WHERE customer_id = ?1";

/// The invariant statement: the entry is written only if the balance stays at or above
/// zero and, for a spend (`?22 = 1`), only if the spendable balance (the balance less
/// points already past their expiry instant) covers it. Its running balance comes from
/// the same row in the same statement.
pub(super) const INSERT_ENTRY: &str = "INSERT INTO loyalty_entries (id, customer_id, kind, points,
    balance_after, event_type, amount_minor, currency, base_points, multiplier_bp, reference,
    reward_code, expires_at, as_of, reverses_id, reason, actor, rule_version, tier_points,
    tier_at, lifetime_points, created_at)
    SELECT ?1, ?2, ?3, ?4, a.balance + ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
           ?16, ?17, ?18, ?19, ?20, ?21
    FROM loyalty_accounts a
    WHERE a.customer_id = ?2 AND a.balance + ?4 >= 0
      AND (?22 = 0 OR a.balance + ?4 - (SELECT COALESCE(SUM(l.remaining), 0) FROM loyalty_lots l
           WHERE l.customer_id = ?2 AND l.remaining > 0 AND l.expires_at <= ?21) >= 0)
    RETURNING seq, balance_after";
pub(super) const INSERT_LOT: &str = "INSERT INTO loyalty_lots (earn_id, customer_id, seq, points,
    remaining, expires_at) VALUES (?1, ?2, ?3, ?4, ?4, ?5)";
pub(super) const INSERT_ALLOCATION: &str =
    "INSERT INTO loyalty_allocations (entry_id, earn_id, points) VALUES (?, ?, ?)";
/// Moves every lot an entry names by its allocation, in one statement; the lots'
/// `CHECK (remaining BETWEEN 0 AND points)` refuses any over-draw.
pub(super) const APPLY_ALLOCATIONS: &str =
    "UPDATE loyalty_lots SET remaining = loyalty_lots.remaining + a.points
    FROM loyalty_allocations a
    WHERE a.entry_id = ?1 AND a.earn_id = loyalty_lots.earn_id AND loyalty_lots.customer_id = ?2
    RETURNING loyalty_lots.earn_id";
pub(super) const ADD_TIER_POINTS: &str =
    "INSERT INTO loyalty_tier_months (customer_id, month, points)
    VALUES (?1, ?2, ?3) ON CONFLICT (customer_id, month)
    DO UPDATE SET points = loyalty_tier_months.points + excluded.points";

/// A customer's cached totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The sum of the customer's entries.
    pub balance: i64,
    /// Points earned, net of reversed earns.
    pub lifetime_earned: i64,
    /// How many entries the ledger holds.
    pub entry_count: i64,
    /// The tier at the last write.
    pub tier: String,
}

/// The cached totals of `customer`, `None` before its first entry.
pub fn account(db: &dyn Database, customer: &str) -> Result<Option<Account>, StoreError> {
    let rows = db.execute(ACCOUNT, &[Value::from(customer)])?;
    rows.first()
        .map(|r| {
            Ok(Account {
                balance: r.i64("balance")?,
                lifetime_earned: r.i64("lifetime_earned")?,
                entry_count: r.i64("entry_count")?,
                tier: r.str("tier")?.to_owned(),
            })
        })
        .transpose()
}

/// Creates the customer's account row if it does not exist.
pub fn ensure_account(
    db: &dyn Database,
    customer: &str,
    tier: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    db.execute(
        ENSURE_ACCOUNT,
        &[
            Value::from(customer),
            Value::from(tier),
            Value::Integer(now.unix_millis()),
        ],
    )?;
    Ok(())
}

/// Records the tier evaluated at `now` for read models.
pub fn set_tier(
    db: &dyn Database,
    customer: &str,
    tier: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    db.execute(
        SET_TIER,
        &[
            Value::from(customer),
            Value::from(tier),
            Value::Integer(now.unix_millis()),
        ],
    )?;
    Ok(())
}

/// An entry to append.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    /// Its id.
    pub id: LoyaltyEntryId,
    /// The customer.
    pub customer: &'a str,
    /// What it does.
    pub kind: EntryKind,
    /// Signed points.
    pub points: i64,
    /// For earns: the event.
    pub event_type: Option<EventType>,
    /// The money the event moved.
    pub amount: Option<Money>,
    /// For earns: points before the multiplier.
    pub base_points: Option<i64>,
    /// For earns: the multiplier applied.
    pub multiplier_bp: Option<i64>,
    /// The caller's business reference.
    pub reference: Option<&'a str>,
    /// For redemptions: the reward.
    pub reward_code: Option<&'a str>,
    /// For lots: when they expire.
    pub expires_at: Option<Timestamp>,
    /// For expiries: the run's instant.
    pub as_of: Option<Timestamp>,
    /// For reversals: the entry reversed.
    pub reverses_id: Option<&'a str>,
    /// Why (reversals, adjustments, expiries).
    pub reason: Option<&'a str>,
    /// Who asked.
    pub actor: Option<&'a str>,
    /// The rules version in force.
    pub rule_version: i64,
    /// Change to tier-qualifying points.
    pub tier_points: i64,
    /// The instant the tier points count at (a reversal's is its earn's).
    pub tier_at: Timestamp,
    /// Change to lifetime earned.
    pub lifetime_points: i64,
    /// When it is written.
    pub created_at: Timestamp,
    /// True for spends: refused unless the spendable balance covers them.
    pub spend_gate: bool,
}

impl<'a> NewEntry<'a> {
    /// An entry with only the fields every kind has.
    pub fn new(
        id: LoyaltyEntryId,
        customer: &'a str,
        kind: EntryKind,
        points: i64,
        rule_version: i64,
        now: Timestamp,
    ) -> Self {
        NewEntry {
            id,
            customer,
            kind,
            points,
            event_type: None,
            amount: None,
            base_points: None,
            multiplier_bp: None,
            reference: None,
            reward_code: None,
            expires_at: None,
            as_of: None,
            reverses_id: None,
            reason: None,
            actor: None,
            rule_version,
            tier_points: 0,
            tier_at: now,
            lifetime_points: 0,
            created_at: now,
            spend_gate: false,
        }
    }
}

/// Inserts `entry` if its balance conditions hold: `Some((seq, balance_after))`, or
/// `None` when they do not (nothing is written).
pub fn insert_entry(db: &dyn Database, e: &NewEntry<'_>) -> Result<Option<(i64, i64)>, StoreError> {
    let rows = db.execute(
        INSERT_ENTRY,
        &[
            Value::from(e.id.to_string()),
            Value::from(e.customer),
            Value::from(e.kind.as_str()),
            Value::Integer(e.points),
            text(e.event_type.map(EventType::as_str)),
            int(e.amount.map(|m| m.minor_units)),
            text(e.amount.map(|m| m.currency.code())),
            int(e.base_points),
            int(e.multiplier_bp),
            text(e.reference),
            text(e.reward_code),
            time(e.expires_at),
            time(e.as_of),
            text(e.reverses_id),
            text(e.reason),
            text(e.actor),
            Value::Integer(e.rule_version),
            Value::Integer(e.tier_points),
            Value::Integer(e.tier_at.unix_millis()),
            Value::Integer(e.lifetime_points),
            Value::Integer(e.created_at.unix_millis()),
            Value::from(e.spend_gate),
        ],
    )?;
    rows.first()
        .map(|r| Ok((r.i64("seq")?, r.i64("balance_after")?)))
        .transpose()
}

/// Opens the lot of an earn (or positive adjustment) written at `seq`.
pub fn insert_lot(
    db: &dyn Database,
    e: &NewEntry<'_>,
    seq: i64,
    expires_at: Timestamp,
) -> Result<(), StoreError> {
    db.execute(
        INSERT_LOT,
        &[
            Value::from(e.id.to_string()),
            Value::from(e.customer),
            Value::Integer(seq),
            Value::Integer(e.points),
            Value::Integer(expires_at.unix_millis()),
        ],
    )?;
    Ok(())
}

/// Records `allocations` for `entry` and applies them to the lots; returns how many
/// lots moved (the caller checks it is all of them).
pub fn allocate(
    db: &dyn Database,
    entry: &LoyaltyEntryId,
    customer: &str,
    allocations: &[Allocation],
) -> Result<usize, StoreError> {
    if allocations.is_empty() {
        return Ok(0);
    }
    let entry = entry.to_string();
    for a in allocations {
        db.execute(
            INSERT_ALLOCATION,
            &[
                Value::from(entry.as_str()),
                Value::from(a.earn_id.to_string()),
                Value::Integer(a.points),
            ],
        )?;
    }
    let moved = db.execute(
        APPLY_ALLOCATIONS,
        &[Value::from(entry), Value::from(customer)],
    )?;
    Ok(moved.len())
}

/// Adds an entry to the account's cache; returns the new cached balance, `None` if the
/// account is missing or the entry is not newer than the last one applied.
pub fn apply_to_account(
    db: &dyn Database,
    customer: &str,
    points: i64,
    lifetime_points: i64,
    seq: i64,
    now: Timestamp,
) -> Result<Option<i64>, StoreError> {
    let rows = db.execute(
        APPLY_TO_ACCOUNT,
        &[
            Value::from(customer),
            Value::Integer(points),
            Value::Integer(lifetime_points),
            Value::Integer(seq),
            Value::Integer(now.unix_millis()),
        ],
    )?;
    rows.first().map(|r| r.i64("balance")).transpose()
}

/// Adds tier-qualifying points to the month they count in.
pub fn add_tier_points(
    db: &dyn Database,
    customer: &str,
    month: i64,
    points: i64,
) -> Result<(), StoreError> {
    db.execute(
        ADD_TIER_POINTS,
        &[
            Value::from(customer),
            Value::Integer(month),
            Value::Integer(points),
        ],
    )?;
    Ok(())
}
