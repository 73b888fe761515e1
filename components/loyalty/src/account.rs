//! The account summary a channel shows: spendable balance, tier and the way to the
//! next one, points about to expire. Every figure comes from an index range over
//! open lots, monthly tier totals or the cached account row: never a ledger scan.

use crate::ledger;
use crate::repo;
use crm_domain::time::Timestamp;
use crm_store::{Database, StoreError};
use serde::Serialize;

/// How far ahead `expiring` looks.
pub const EXPIRING_WINDOW_DAYS: i64 = 90;
/// The most expiry instants listed; `expiringPoints` always totals the whole window.
pub const EXPIRING_MAX_ITEMS: i64 = 100;

/// The next tier and the qualifying points still needed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NextTierView {
    /// Its name.
    pub name: String,
    /// Qualifying points still needed.
    pub points_needed: i64,
}

/// Points that expire at one instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpiringView {
    /// How many.
    pub points: i64,
    /// The instant they stop being spendable.
    pub expires_at: Timestamp,
}

/// `GET /v1/loyalty/accounts/{customerId}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    /// The customer.
    pub customer_id: String,
    /// Points spendable now.
    pub balance: i64,
    /// The sum of all entries (includes points past expiry not yet written off).
    pub ledger_balance: i64,
    /// Points past their expiry instant that the next expiry run will write off.
    pub pending_expiry: i64,
    /// The tier now.
    pub tier: String,
    /// Tier-qualifying points of the last 12 months.
    pub tier_qualifying_points: i64,
    /// The next tier up, `null` at the top.
    pub next_tier: Option<NextTierView>,
    /// When the tier lapses unless re-qualified (`retain` policy), `null` otherwise.
    pub tier_held_until: Option<Timestamp>,
    /// Points expiring in the next 90 days, soonest first.
    pub expiring: Vec<ExpiringView>,
    /// Their total.
    pub expiring_points: i64,
    /// Points earned over the account's life, net of reversed earns.
    pub lifetime_earned: i64,
    /// Ledger entries so far.
    pub entry_count: i64,
    /// The rules version the tier was evaluated under.
    pub rule_version: i64,
    /// The instant all figures are for.
    pub as_of: Timestamp,
}

/// The summary of `customer` at `now` (zeros and the first tier before any entry).
pub fn view(db: &dyn Database, customer: &str, now: Timestamp) -> Result<AccountView, StoreError> {
    let current = repo::current_rules(db)?;
    let account = repo::account(db, customer)?;
    let ledger_balance = account.as_ref().map_or(0, |a| a.balance);
    let pending_expiry = repo::due_points(db, customer, now)?;
    let tier = ledger::standing(db, &current.rules, customer, now)?;
    let until = now.plus_millis(EXPIRING_WINDOW_DAYS * 86_400_000);
    let (soon, expiring_points) = repo::expiring(db, customer, now, until, EXPIRING_MAX_ITEMS)?;
    Ok(AccountView {
        customer_id: customer.to_owned(),
        balance: ledger_balance - pending_expiry,
        ledger_balance,
        pending_expiry,
        tier: tier.name,
        tier_qualifying_points: tier.qualifying_points,
        next_tier: tier.next.map(|n| NextTierView {
            name: n.name,
            points_needed: n.points_needed,
        }),
        tier_held_until: tier.held_until,
        expiring: soon
            .into_iter()
            .map(|(expires_at, points)| ExpiringView { points, expires_at })
            .collect(),
        expiring_points,
        lifetime_earned: account.as_ref().map_or(0, |a| a.lifetime_earned),
        entry_count: account.as_ref().map_or(0, |a| a.entry_count),
        rule_version: current.version,
        as_of: now,
    })
}
