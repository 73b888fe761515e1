//! Entries as the API shows them: one by id, by reference, a page of the ledger, and
//! the whole-ledger sums a reconciliation compares the caches with.

use super::{decode, ts};
use crm_domain::loyalty::{EntryKind, EventType};
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

pub(super) const ENTRY: &str = concat!(
    "SELECT ",
    entry_columns!(),
    " FROM loyalty_entries e WHERE e.id = ?"
);
pub(super) const ENTRY_BY_REFERENCE: &str =
    "SELECT id FROM loyalty_entries WHERE customer_id = ? AND kind = ? AND reference = ?";
pub(super) const LEDGER_PAGE: &str = concat!(
    "SELECT ",
    entry_columns!(),
    " FROM loyalty_entries e WHERE e.customer_id = ?1 AND e.seq < ?2
      ORDER BY e.seq DESC LIMIT ?3"
);
pub(super) const LEDGER_PAGE_OF_KIND: &str = concat!(
    "SELECT ",
    entry_columns!(),
    " FROM loyalty_entries e WHERE e.customer_id = ?1 AND e.kind = ?4 AND e.seq < ?2
      ORDER BY e.seq DESC LIMIT ?3"
);
/// The whole-ledger sums, for reconciliation only: this one does scan the ledger.
pub(super) const RECONCILE: &str = "SELECT
    (SELECT COALESCE(SUM(points), 0) FROM loyalty_entries WHERE customer_id = ?1) AS ledger,
    (SELECT COUNT(*) FROM loyalty_entries WHERE customer_id = ?1) AS entries,
    (SELECT COALESCE(SUM(remaining), 0) FROM loyalty_lots WHERE customer_id = ?1) AS in_lots,
    (SELECT balance FROM loyalty_accounts WHERE customer_id = ?1) AS cached,
    (SELECT balance_after FROM loyalty_entries WHERE customer_id = ?1
     ORDER BY seq DESC LIMIT 1) AS last_running";

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
