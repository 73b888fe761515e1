//! SQL for the loyalty tables, one module per idea: the rules, the ledger writes, the
//! lots (spendable points, FIFO, expiry, tiers) and the entries as the API shows them.
//! Every statement is a const; hot reads touch only indexes over open lots, monthly
//! tier totals or one page of the ledger ([`HOT_PATH`] is proven by a query-plan test).

mod entries;
pub mod figures;
mod lots;
mod rules;
mod writes;

pub use entries::{
    AllocationView, Entry, Reconciliation, entry, entry_by_reference, ledger_page, reconcile,
};
pub use lots::{
    allocations, allocations_with_expiry, due_customers, due_lots, due_points, expired_from,
    expiring, fifo_lots, lot, tier_history,
};
pub use rules::{RulesRow, current_rules, insert_rules, rules_version};
pub use writes::{
    Account, NewEntry, account, add_tier_points, allocate, apply_to_account, ensure_account,
    insert_entry, insert_lot, set_tier,
};

use crm_domain::time::Timestamp;
use crm_store::{StoreError, Value};

/// Every statement an account read, an earn, a redemption, a reversal or a ledger page
/// runs, by name: the query-plan test proves none of them scans a table, so their cost
/// does not grow with the length of a customer's ledger.
pub const HOT_PATH: &[(&str, &str)] = &[
    ("current rules", rules::CURRENT_RULES),
    ("account", writes::ACCOUNT),
    ("insert entry", writes::INSERT_ENTRY),
    ("apply allocations", writes::APPLY_ALLOCATIONS),
    ("due points", lots::DUE_POINTS),
    ("fifo lots", lots::FIFO_LOTS),
    ("lot", lots::LOT),
    ("expired from lot", lots::EXPIRED_FROM_LOT),
    ("allocations with expiry", lots::ALLOCATIONS_WITH_EXPIRY),
    ("allocations", lots::ALLOCATIONS),
    ("expiring", lots::EXPIRING),
    ("expiring total", lots::EXPIRING_TOTAL),
    ("tier months", crm_store::read::loyalty::TIER_MONTHS_SQL),
    (
        "tier boundary",
        crm_store::read::loyalty::TIER_POINTS_BETWEEN_SQL,
    ),
    ("entry", entries::ENTRY),
    ("entry by reference", entries::ENTRY_BY_REFERENCE),
    ("ledger page", entries::LEDGER_PAGE),
    ("ledger page of kind", entries::LEDGER_PAGE_OF_KIND),
    ("due lots", lots::DUE_LOTS),
    ("due customers", lots::DUE_CUSTOMERS),
];

pub(super) fn ts(v: i64) -> Timestamp {
    Timestamp::from_unix_millis(v)
}

pub(super) fn decode(what: &str) -> StoreError {
    StoreError::Decode(format!("stored {what} is not valid"))
}

pub(super) fn int(v: Option<i64>) -> Value {
    v.map_or(Value::Null, Value::Integer)
}

pub(super) fn text(v: Option<&str>) -> Value {
    v.map_or(Value::Null, Value::from)
}

pub(super) fn time(v: Option<Timestamp>) -> Value {
    v.map_or(Value::Null, |t| Value::Integer(t.unix_millis()))
}
