//! loyalty: the ledger is a book of the bank's points liability, so every entry stays
//! with its points, balances, event type, amount basis, business reference and rule
//! version (the books must still add up and reconcile). The one free text a person
//! writes, an adjustment's or reversal's `reason`, is redacted. Accounts, lots,
//! allocations and tier months hold numbers only.

use super::Part;

/// The loyalty owner's part.
pub const PART: Part = Part {
    owner: "loyalty",
    tables: &[
        "loyalty_rules",
        "loyalty_accounts",
        "loyalty_entries",
        "loyalty_lots",
        "loyalty_allocations",
        "loyalty_tier_months",
    ],
    statements: &["UPDATE loyalty_entries SET reason = '[erased]'
         WHERE customer_id = ?1 AND reason IS NOT NULL"],
};
