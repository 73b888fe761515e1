//! SQL for the loyalty tables. Every statement is a const; reads of hot paths touch
//! only indexes over open lots, monthly tier totals or one page of the ledger.

use crm_domain::loyalty::{
    Allocation, EntryKind, EventType, Lot, LoyaltyEntryId, Rules, RulesDocument, TierHistory,
    TierWindow,
};
use crm_domain::money::{Currency, Money};
use crm_domain::time::Timestamp;
use crm_store::{Database, Row, StoreError, Value};
use serde::Serialize;

/// Columns of an entry as [`entry_from`] reads them, with the id of its reversal.
macro_rules! entry_columns {
    () => {
        "e.seq, e.id, e.customer_id, e.kind, e.points, e.balance_after, e.event_type,
         e.amount_minor, e.currency, e.base_points, e.multiplier_bp, e.reference,
         e.reward_code, e.expires_at, e.as_of, e.reverses_id, e.reason, e.actor,
         e.rule_version, e.tier_points, e.tier_at, e.lifetime_points, e.created_at,
         (SELECT r.id FROM loyalty_entries r WHERE r.reverses_id = e.id) AS reversed_by"
    };
}

const CURRENT_RULES: &str = "SELECT version, document, actor, created_at FROM loyalty_rules
    WHERE version = (SELECT MAX(version) FROM loyalty_rules)";
const RULES_VERSION: &str =
    "SELECT version, document, actor, created_at FROM loyalty_rules WHERE version = ?";
/// Appends the next version only while `?4` is still the latest: one statement, so
/// two concurrent writers cannot both succeed from the same version.
const INSERT_RULES: &str = "INSERT INTO loyalty_rules (version, document, actor, created_at)
    SELECT version + 1, ?1, ?2, ?3 FROM loyalty_rules
    WHERE version = ?4 AND version = (SELECT MAX(version) FROM loyalty_rules)
    RETURNING version";

const ACCOUNT: &str = "SELECT balance, lifetime_earned, entry_count, tier, tier_evaluated_at,
    created_at, updated_at FROM loyalty_accounts WHERE customer_id = ?";
const ENSURE_ACCOUNT: &str = "INSERT INTO loyalty_accounts (customer_id, balance,
    lifetime_earned, entry_count, last_seq, tier, tier_evaluated_at, created_at, updated_at)
    VALUES (?1, 0, 0, 0, 0, ?2, ?3, ?3, ?3) ON CONFLICT (customer_id) DO NOTHING";
const APPLY_TO_ACCOUNT: &str = "UPDATE loyalty_accounts SET balance = balance + ?2,
    lifetime_earned = lifetime_earned + ?3, entry_count = entry_count + 1, last_seq = ?4,
    updated_at = ?5 WHERE customer_id = ?1 AND last_seq < ?4 RETURNING balance";
const SET_TIER: &str =
    "UPDATE loyalty_accounts SET tier = ?2, tier_evaluated_at = ?3 WHERE customer_id = ?1";

/// The invariant statement: the entry is written only if the balance stays at or above
/// zero and, for a spend (`?22 = 1`), only if the spendable balance (the balance less
/// points already past their expiry instant) covers it. Its running balance comes from
/// the same row in the same statement.
const INSERT_ENTRY: &str = "INSERT INTO loyalty_entries (id, customer_id, kind, points,
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
const INSERT_LOT: &str = "INSERT INTO loyalty_lots (earn_id, customer_id, seq, points,
    remaining, expires_at) VALUES (?1, ?2, ?3, ?4, ?4, ?5)";
const INSERT_ALLOCATION: &str =
    "INSERT INTO loyalty_allocations (entry_id, earn_id, points) VALUES (?, ?, ?)";
/// Moves every lot an entry names by its allocation, in one statement; the lots'
/// `CHECK (remaining BETWEEN 0 AND points)` refuses any over-draw.
const APPLY_ALLOCATIONS: &str =
    "UPDATE loyalty_lots SET remaining = loyalty_lots.remaining + a.points
    FROM loyalty_allocations a
    WHERE a.entry_id = ?1 AND a.earn_id = loyalty_lots.earn_id AND loyalty_lots.customer_id = ?2
    RETURNING loyalty_lots.earn_id";
const ADD_TIER_POINTS: &str = "INSERT INTO loyalty_tier_months (customer_id, month, points)
    VALUES (?1, ?2, ?3) ON CONFLICT (customer_id, month)
    DO UPDATE SET points = loyalty_tier_months.points + excluded.points";

const DUE_POINTS: &str = "SELECT COALESCE(SUM(remaining), 0) AS due FROM loyalty_lots
    WHERE customer_id = ? AND remaining > 0 AND expires_at <= ?";
/// The next page of spendable lots in FIFO order after ledger position `?3`: a range
/// over the open-lots index, so a draw reads only the lots it needs.
const FIFO_LOTS: &str = "SELECT earn_id, seq, points, remaining, expires_at FROM loyalty_lots
    WHERE customer_id = ?1 AND remaining > 0 AND seq > ?3 AND expires_at > ?2 AND earn_id <> ?4
    ORDER BY seq LIMIT ?5";
/// Lots read per page while drawing.
const FIFO_PAGE: i64 = 64;
const DUE_LOTS: &str = "SELECT earn_id, seq, points, remaining, expires_at FROM loyalty_lots
    WHERE customer_id = ? AND remaining > 0 AND expires_at <= ? ORDER BY seq";
const LOT: &str =
    "SELECT earn_id, seq, points, remaining, expires_at FROM loyalty_lots WHERE earn_id = ?";
const EXPIRED_FROM_LOT: &str = "SELECT COALESCE(-SUM(a.points), 0) AS expired
    FROM loyalty_allocations a JOIN loyalty_entries e ON e.id = a.entry_id
    WHERE a.earn_id = ? AND e.kind = 'expire'";
const ALLOCATIONS_WITH_EXPIRY: &str = "SELECT a.earn_id, a.points, l.expires_at
    FROM loyalty_allocations a JOIN loyalty_lots l ON l.earn_id = a.earn_id
    WHERE a.entry_id = ? ORDER BY l.seq";
const ALLOCATIONS: &str = "SELECT a.earn_id, a.points FROM loyalty_allocations a
    JOIN loyalty_lots l ON l.earn_id = a.earn_id WHERE a.entry_id = ? ORDER BY l.seq";
const EXPIRING: &str = "SELECT expires_at, SUM(remaining) AS points FROM loyalty_lots
    WHERE customer_id = ?1 AND remaining > 0 AND expires_at > ?2 AND expires_at <= ?3
    GROUP BY expires_at ORDER BY expires_at LIMIT ?4";
const EXPIRING_TOTAL: &str = "SELECT COALESCE(SUM(remaining), 0) AS points FROM loyalty_lots
    WHERE customer_id = ?1 AND remaining > 0 AND expires_at > ?2 AND expires_at <= ?3";
const TIER_MONTHS: &str = "SELECT month, points FROM loyalty_tier_months
    WHERE customer_id = ? AND month BETWEEN ? AND ?";
const TIER_BOUNDARY: &str = "SELECT COALESCE(SUM(tier_points), 0) AS points FROM loyalty_entries
    WHERE customer_id = ? AND tier_points <> 0 AND tier_at > ? AND tier_at < ?";

const ENTRY: &str = concat!(
    "SELECT ",
    entry_columns!(),
    " FROM loyalty_entries e WHERE e.id = ?"
);
const ENTRY_BY_REFERENCE: &str =
    "SELECT id FROM loyalty_entries WHERE customer_id = ? AND kind = ? AND reference = ?";
const LEDGER_PAGE: &str = concat!(
    "SELECT ",
    entry_columns!(),
    " FROM loyalty_entries e WHERE e.customer_id = ?1 AND e.seq < ?2
      ORDER BY e.seq DESC LIMIT ?3"
);
const LEDGER_PAGE_OF_KIND: &str = concat!(
    "SELECT ",
    entry_columns!(),
    " FROM loyalty_entries e WHERE e.customer_id = ?1 AND e.kind = ?4 AND e.seq < ?2
      ORDER BY e.seq DESC LIMIT ?3"
);
/// Customers with points left in due lots: a range over the due-lots index (lots a run
/// has written off have left it), so a run's cost follows what is due, not history.
const DUE_CUSTOMERS: &str = "SELECT DISTINCT customer_id
    FROM loyalty_lots INDEXED BY loyalty_lots_due_all
    WHERE remaining > 0 AND expires_at <= ? LIMIT ?";
/// The whole-ledger sums, for reconciliation only: this one does scan the ledger.
const RECONCILE: &str = "SELECT
    (SELECT COALESCE(SUM(points), 0) FROM loyalty_entries WHERE customer_id = ?1) AS ledger,
    (SELECT COUNT(*) FROM loyalty_entries WHERE customer_id = ?1) AS entries,
    (SELECT COALESCE(SUM(remaining), 0) FROM loyalty_lots WHERE customer_id = ?1) AS in_lots,
    (SELECT balance FROM loyalty_accounts WHERE customer_id = ?1) AS cached,
    (SELECT balance_after FROM loyalty_entries WHERE customer_id = ?1
     ORDER BY seq DESC LIMIT 1) AS last_running";

/// Every statement an account read, an earn, a redemption, a reversal or a ledger page
/// runs, by name: the query-plan test proves none of them scans a table, so their cost
/// does not grow with the length of a customer's ledger.
pub const HOT_PATH: &[(&str, &str)] = &[
    ("current rules", CURRENT_RULES),
    ("account", ACCOUNT),
    ("insert entry", INSERT_ENTRY),
    ("apply allocations", APPLY_ALLOCATIONS),
    ("due points", DUE_POINTS),
    ("fifo lots", FIFO_LOTS),
    ("lot", LOT),
    ("expired from lot", EXPIRED_FROM_LOT),
    ("allocations with expiry", ALLOCATIONS_WITH_EXPIRY),
    ("allocations", ALLOCATIONS),
    ("expiring", EXPIRING),
    ("expiring total", EXPIRING_TOTAL),
    ("tier months", TIER_MONTHS),
    ("tier boundary", TIER_BOUNDARY),
    ("entry", ENTRY),
    ("entry by reference", ENTRY_BY_REFERENCE),
    ("ledger page", LEDGER_PAGE),
    ("ledger page of kind", LEDGER_PAGE_OF_KIND),
    ("due lots", DUE_LOTS),
    ("due customers", DUE_CUSTOMERS),
];

fn ts(v: i64) -> Timestamp {
    Timestamp::from_unix_millis(v)
}

fn decode(what: &str) -> StoreError {
    StoreError::Decode(format!("stored {what} is not valid"))
}

fn int(v: Option<i64>) -> Value {
    v.map_or(Value::Null, Value::Integer)
}

fn text(v: Option<&str>) -> Value {
    v.map_or(Value::Null, Value::from)
}

fn time(v: Option<Timestamp>) -> Value {
    v.map_or(Value::Null, |t| Value::Integer(t.unix_millis()))
}

/// A rule set as stored, with its version.
#[derive(Debug, Clone)]
pub struct RulesRow {
    /// The version number (1 is the defaults).
    pub version: i64,
    /// The rules.
    pub rules: Rules,
    /// Who wrote it.
    pub actor: Option<String>,
    /// When it was written.
    pub created_at: Timestamp,
}

fn rules_from(row: Row<'_>) -> Result<RulesRow, StoreError> {
    let doc: RulesDocument =
        serde_json::from_str(row.str("document")?).map_err(|_| decode("rules document"))?;
    Ok(RulesRow {
        version: row.i64("version")?,
        rules: Rules::from_document(doc).map_err(|_| decode("rules document"))?,
        actor: row.opt_str("actor")?.map(str::to_owned),
        created_at: ts(row.i64("created_at")?),
    })
}

/// The latest rules.
pub fn current_rules(db: &dyn Database) -> Result<RulesRow, StoreError> {
    let rows = db.execute(CURRENT_RULES, &[])?;
    rows.first()
        .map(rules_from)
        .unwrap_or_else(|| Err(decode("rules (none found)")))
}

/// One version of the rules.
pub fn rules_version(db: &dyn Database, version: i64) -> Result<Option<RulesRow>, StoreError> {
    let rows = db.execute(RULES_VERSION, &[Value::Integer(version)])?;
    rows.first().map(rules_from).transpose()
}

/// Writes `rules` as the version after `expected`; `None` when `expected` is no
/// longer the latest.
pub fn insert_rules(
    db: &dyn Database,
    expected: i64,
    rules: &Rules,
    actor: Option<&str>,
    now: Timestamp,
) -> Result<Option<i64>, StoreError> {
    let document =
        serde_json::to_string(rules.document()).map_err(|e| StoreError::Backend(e.to_string()))?;
    let rows = db.execute(
        INSERT_RULES,
        &[
            Value::from(document),
            text(actor),
            Value::Integer(now.unix_millis()),
            Value::Integer(expected),
        ],
    )?;
    rows.first().map(|r| r.i64("version")).transpose()
}

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
    let months = db.execute(
        TIER_MONTHS,
        &[
            Value::from(customer),
            Value::Integer(window.first_month),
            Value::Integer(window.current_month),
        ],
    )?;
    let boundary = db.execute(
        TIER_BOUNDARY,
        &[
            Value::from(customer),
            Value::Integer(window.since.unix_millis()),
            Value::Integer(window.partial_until.unix_millis()),
        ],
    )?;
    Ok(TierHistory {
        months: months
            .iter()
            .map(|r| Ok((r.i64("month")?, r.i64("points")?)))
            .collect::<Result<_, StoreError>>()?,
        boundary_points: boundary.first().map(|r| r.i64("points")).unwrap_or(Ok(0))?,
    })
}

/// One allocation as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AllocationView {
    /// The earn whose lot moved.
    pub earn_id: String,
    /// The signed change to that lot.
    pub points: i64,
}

/// A stored entry, shaped as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// Ledger order; internal.
    #[serde(skip)]
    pub seq: i64,
    /// `lpt_…`.
    pub id: String,
    /// The customer.
    pub customer_id: String,
    /// What it does.
    pub kind: EntryKind,
    /// Signed points.
    pub points: i64,
    /// The sum of the customer's entries up to and including this one.
    pub balance_after: i64,
    /// For earns: the event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_type: Option<EventType>,
    /// The money the event moved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<Money>,
    /// For earns: points before the tier multiplier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_points: Option<i64>,
    /// For earns: the multiplier applied, in basis points.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multiplier_bp: Option<i64>,
    /// The caller's business reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// For redemptions: the reward.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reward_code: Option<String>,
    /// For earns and positive adjustments: when the points expire.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    /// For expiries: the run's instant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<Timestamp>,
    /// For reversals: the entry reversed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reverses_id: Option<String>,
    /// The reversal of this entry, once reversed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reversed_by: Option<String>,
    /// Why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Who asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// The rules version it was computed under.
    pub rule_version: i64,
    /// Its change to tier-qualifying points.
    pub tier_points: i64,
    /// When tier points count; internal.
    #[serde(skip)]
    pub tier_at: Timestamp,
    /// Its change to lifetime earned; internal.
    #[serde(skip)]
    pub lifetime_points: i64,
    /// When it was written.
    pub created_at: Timestamp,
    /// The lots it drew on or gave back to (single-entry reads only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allocations: Option<Vec<AllocationView>>,
}

fn entry_from(r: Row<'_>) -> Result<Entry, StoreError> {
    let owned =
        |c: &str| -> Result<Option<String>, StoreError> { Ok(r.opt_str(c)?.map(str::to_owned)) };
    let amount = match (r.opt_i64("amount_minor")?, r.opt_str("currency")?) {
        (Some(minor), Some(code)) => Some(Money::new(
            minor,
            Currency::parse(code).ok_or_else(|| decode("currency"))?,
        )),
        _ => None,
    };
    Ok(Entry {
        seq: r.i64("seq")?,
        id: r.str("id")?.to_owned(),
        customer_id: r.str("customer_id")?.to_owned(),
        kind: EntryKind::parse(r.str("kind")?).ok_or_else(|| decode("entry kind"))?,
        points: r.i64("points")?,
        balance_after: r.i64("balance_after")?,
        event_type: r
            .opt_str("event_type")?
            .map(|s| EventType::parse(s).ok_or_else(|| decode("event type")))
            .transpose()?,
        amount,
        base_points: r.opt_i64("base_points")?,
        multiplier_bp: r.opt_i64("multiplier_bp")?,
        reference: owned("reference")?,
        reward_code: owned("reward_code")?,
        expires_at: r.opt_i64("expires_at")?.map(ts),
        as_of: r.opt_i64("as_of")?.map(ts),
        reverses_id: owned("reverses_id")?,
        reversed_by: owned("reversed_by")?,
        reason: owned("reason")?,
        actor: owned("actor")?,
        rule_version: r.i64("rule_version")?,
        tier_points: r.i64("tier_points")?,
        tier_at: ts(r.i64("tier_at")?),
        lifetime_points: r.i64("lifetime_points")?,
        created_at: ts(r.i64("created_at")?),
        allocations: None,
    })
}

/// One entry by id.
pub fn entry(db: &dyn Database, id: &str) -> Result<Option<Entry>, StoreError> {
    let rows = db.execute(ENTRY, &[Value::from(id)])?;
    rows.first().map(entry_from).transpose()
}

/// The id of the customer's entry of `kind` with `reference`, if any.
pub fn entry_by_reference(
    db: &dyn Database,
    customer: &str,
    kind: EntryKind,
    reference: &str,
) -> Result<Option<String>, StoreError> {
    let rows = db.execute(
        ENTRY_BY_REFERENCE,
        &[
            Value::from(customer),
            Value::from(kind.as_str()),
            Value::from(reference),
        ],
    )?;
    rows.first()
        .map(|r| r.str("id").map(str::to_owned))
        .transpose()
}

/// Up to `limit` entries before ledger position `before`, newest first.
pub fn ledger_page(
    db: &dyn Database,
    customer: &str,
    kind: Option<EntryKind>,
    before: i64,
    limit: i64,
) -> Result<Vec<Entry>, StoreError> {
    let mut params = vec![
        Value::from(customer),
        Value::Integer(before),
        Value::Integer(limit),
    ];
    let sql = match kind {
        Some(kind) => {
            params.push(Value::from(kind.as_str()));
            LEDGER_PAGE_OF_KIND
        }
        None => LEDGER_PAGE,
    };
    db.execute(sql, &params)?.iter().map(entry_from).collect()
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

/// The whole-ledger sums of a customer, to prove the caches against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reconciliation {
    /// The sum of all entries' points: the balance by definition.
    pub ledger_sum: i64,
    /// How many entries.
    pub entries: i64,
    /// Points left in lots.
    pub in_lots: i64,
    /// The cached balance.
    pub cached_balance: i64,
    /// The running balance recorded on the newest entry.
    pub last_balance_after: i64,
}

impl Reconciliation {
    /// True when every figure agrees with the ledger sum.
    pub fn consistent(&self) -> bool {
        self.ledger_sum == self.in_lots
            && self.ledger_sum == self.cached_balance
            && self.ledger_sum == self.last_balance_after
            && self.ledger_sum >= 0
    }
}

/// Recomputes a customer's sums from the ledger (scans it: for audits, not reads).
pub fn reconcile(db: &dyn Database, customer: &str) -> Result<Reconciliation, StoreError> {
    let rows = db.execute(RECONCILE, &[Value::from(customer)])?;
    let Some(r) = rows.first() else {
        return Err(decode("reconciliation"));
    };
    Ok(Reconciliation {
        ledger_sum: r.i64("ledger")?,
        entries: r.i64("entries")?,
        in_lots: r.i64("in_lots")?,
        cached_balance: r.opt_i64("cached")?.unwrap_or(0),
        last_balance_after: r.opt_i64("last_running")?.unwrap_or(0),
    })
}
