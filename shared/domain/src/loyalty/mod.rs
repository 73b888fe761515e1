//! Loyalty points: a ledger as strict as money. Entries are appended, never changed;
//! earns become lots that expire after a number of months; redemptions and expiries
//! consume the oldest unexpired lots first (FIFO); tiers follow the tier-qualifying
//! points of the last 12 months under versioned rules.
//!
//! Plain rules over plain values: the loyalty component reads the facts these
//! functions need, calls them, and writes what they decide.

pub mod calendar;
mod fifo;
mod rules;
mod tier;

pub use fifo::{
    Allocation, Lot, Shortfall, draw_fifo, expire_due, restore, reverse_lot, spendable,
};
pub use rules::{
    Basis, Downgrade, DowngradePolicy, EarnRequest, EarnRule, Earned, EarningRules,
    MAX_AMOUNT_MINOR, Rules, RulesDocument, TierRule,
};
pub use tier::{NextTier, TierHistory, TierPolicy, TierRules, TierStanding, TierWindow};

pub use crate::id::LoyaltyEntryId;

use crate::closed_enum;

closed_enum!(
    /// What a ledger entry does to the balance.
    EntryKind {
        /// Points credited for a business event; creates a lot.
        Earn = "earn",
        /// Points spent on a reward; drawn FIFO from lots.
        Redeem = "redeem",
        /// Points written off when their lot passed its expiry instant.
        Expire = "expire",
        /// A correction that undoes an earlier entry.
        Reverse = "reverse",
        /// A manual correction by staff, positive (a lot) or negative (drawn FIFO).
        Adjust = "adjust",
    }
);

closed_enum!(
    /// The business events that earn points.
    EventType {
        /// Spending on the bank's card.
        CardSpend = "card_spend",
        /// A salary paid into the customer's account.
        SalaryDeposit = "salary_deposit",
        /// Buying a product (fund, insurance, deposit).
        ProductPurchase = "product_purchase",
        /// Referring a new customer.
        Referral = "referral",
        /// A marketing campaign's bonus.
        Campaign = "campaign",
    }
);

/// The most points one entry may move, earn or spend (10 million).
pub const MAX_POINTS: i64 = 10_000_000;

pub use crate::invalid::Invalid;

/// A positive number of points a caller asks to move: 1 to [`MAX_POINTS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Points(i64);

impl Points {
    /// Accepts 1 to [`MAX_POINTS`]; the message says what is wrong otherwise.
    pub fn new(n: i64) -> Result<Points, String> {
        if n <= 0 {
            Err("must be a positive integer".into())
        } else if n > MAX_POINTS {
            Err(format!("must be at most {MAX_POINTS}"))
        } else {
            Ok(Points(n))
        }
    }

    /// The number of points.
    pub fn get(self) -> i64 {
        self.0
    }
}

/// How an entry is undone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReversalRule {
    /// An earn or positive adjustment: its points come back out ([`reverse_lot`]).
    TakeBack,
    /// A redemption or negative adjustment: its points go back to their lots ([`restore`]).
    Restore,
}

/// How an entry of `kind` with `points` is reversed, or why it cannot be: an expiry
/// is final (the points' time is up) and a reversal is not itself reversed (book the
/// original event again instead), so no chain of reversals can form.
pub fn reversal_rule(kind: EntryKind, points: i64) -> Result<ReversalRule, &'static str> {
    match kind {
        EntryKind::Earn => Ok(ReversalRule::TakeBack),
        EntryKind::Adjust if points > 0 => Ok(ReversalRule::TakeBack),
        EntryKind::Redeem | EntryKind::Adjust => Ok(ReversalRule::Restore),
        EntryKind::Expire => Err("an expiry is final and cannot be reversed"),
        EntryKind::Reverse => Err("a reversal cannot itself be reversed; book the event again"),
    }
}

/// Why a text field a caller sends is refused, or `None` when it is acceptable.
/// Business references and reward codes are machine identifiers from a small
/// alphabet, which also keeps personal data out of them.
pub fn code_problem(value: &str, max: usize) -> Option<String> {
    if value.is_empty() || value.len() > max {
        return Some(format!("must be 1 to {max} characters"));
    }
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b"-_.:/".contains(&b);
    if !value.bytes().all(allowed) {
        return Some("may contain only letters, digits and - _ . : /".into());
    }
    None
}

/// Why a free-text field (a reason, an actor) is refused, or `None`.
pub fn text_problem(value: &str, max: usize) -> Option<String> {
    if value.trim().is_empty() {
        Some("must not be blank".into())
    } else if value.chars().count() > max {
        Some(format!("must be at most {max} characters"))
    } else if value.chars().any(char::is_control) {
        Some("must not contain control characters".into())
    } else {
        None
    }
}

#[cfg(test)]
mod property;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_outside_one_to_ten_million_are_refused() {
        assert!(Points::new(0).is_err());
        assert!(Points::new(-5).is_err());
        assert!(Points::new(MAX_POINTS + 1).is_err());
        assert_eq!(Points::new(1).map(Points::get), Ok(1));
        assert_eq!(Points::new(MAX_POINTS).map(Points::get), Ok(MAX_POINTS));
    }

    #[test]
    fn references_are_machine_codes_without_spaces_or_personal_text() {
        assert_eq!(code_problem("txn-2026-11-23/0001", 128), None);
        assert!(code_problem("", 128).is_some());
        assert!(code_problem("Li Wei", 128).is_some());
        assert!(code_problem("li@example.com", 128).is_some());
        assert!(code_problem(&"a".repeat(129), 128).is_some());
    }

    #[test]
    fn free_text_must_be_present_short_and_printable() {
        assert_eq!(text_problem("duplicate posting", 500), None);
        assert!(text_problem("  ", 500).is_some());
        assert!(text_problem("a\u{0}b", 500).is_some());
        assert!(text_problem(&"x".repeat(501), 500).is_some());
    }

    #[test]
    fn expiries_and_reversals_cannot_be_reversed() {
        assert_eq!(
            reversal_rule(EntryKind::Earn, 10),
            Ok(ReversalRule::TakeBack)
        );
        assert_eq!(
            reversal_rule(EntryKind::Adjust, 10),
            Ok(ReversalRule::TakeBack)
        );
        assert_eq!(
            reversal_rule(EntryKind::Adjust, -10),
            Ok(ReversalRule::Restore)
        );
        assert_eq!(
            reversal_rule(EntryKind::Redeem, -10),
            Ok(ReversalRule::Restore)
        );
        assert!(reversal_rule(EntryKind::Expire, -10).is_err());
        assert!(reversal_rule(EntryKind::Reverse, 10).is_err());
    }

    #[test]
    fn kinds_and_event_types_are_closed_sets() {
        assert_eq!(EntryKind::parse("redeem"), Some(EntryKind::Redeem));
        assert_eq!(EntryKind::parse("refund"), None);
        assert_eq!(
            EventType::parse("salary_deposit"),
            Some(EventType::SalaryDeposit)
        );
        assert_eq!(EventType::ALL.len(), 5);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::fuzz::{any_text, text_near};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn no_string_panics_the_code_and_text_checks(
            code in text_near("[A-Za-z0-9._:/-]{1,64}"),
            text in any_text(),
            max in 0usize..300,
        ) {
            let _ = code_problem(&code, max);
            let _ = code_problem(&text, max);
            let _ = text_problem(&text, max);
            let _ = text_problem(&code, max);
        }
    }
}
