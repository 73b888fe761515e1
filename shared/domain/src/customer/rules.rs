//! Values derived from a profile, and masking. Thresholds are in CNY minor units
//! (fen): profile money is booked in the bank's home currency.

use super::{CustomerStatus, Segment, ValueTier};
use crate::money::Money;
use crate::time::{Date, Timestamp};

/// Total assets from which a customer is `wealth` (6,000,000.00 CNY, the usual
/// private-banking entry point).
pub const WEALTH_ASSETS_MINOR: i64 = 600_000_000;
/// Total assets from which a customer is `priority` (500,000.00 CNY).
pub const PRIORITY_ASSETS_MINOR: i64 = 50_000_000;
/// Monthly income from which a customer is `priority` (30,000.00 CNY).
pub const PRIORITY_INCOME_MINOR: i64 = 3_000_000;
/// Days without any recorded activity after which an active customer is `dormant`.
pub const DORMANCY_DAYS: i64 = 180;

/// The value tier: `wealth` from 6,000,000 CNY of assets; `priority` from 500,000 CNY
/// of assets or 30,000 CNY of monthly income; `standard` otherwise.
pub fn value_tier(total_assets: Money, monthly_income: Money) -> ValueTier {
    if total_assets.minor_units >= WEALTH_ASSETS_MINOR {
        ValueTier::Wealth
    } else if total_assets.minor_units >= PRIORITY_ASSETS_MINOR
        || monthly_income.minor_units >= PRIORITY_INCOME_MINOR
    {
        ValueTier::Priority
    } else {
        ValueTier::Standard
    }
}

/// The youngest age a segment accepts at creation: retail youth accounts from 16
/// (opened with a guardian, outside this service), every other segment from 18.
pub fn minimum_age(segment: Segment) -> i32 {
    match segment {
        Segment::Retail => 16,
        Segment::MassAffluent | Segment::Private | Segment::Sme => 18,
    }
}

/// The status to show: a stored `active` customer whose last activity (creation, a
/// contact they started, their own loyalty activity; see docs/customer-profile.md) is
/// more than [`DORMANCY_DAYS`] old is `dormant`. Derived on read, so it is never stale and needs no background job.
pub fn effective_status(
    stored: CustomerStatus,
    last_activity: Timestamp,
    now: Timestamp,
) -> CustomerStatus {
    let threshold = now.plus_millis(-DORMANCY_DAYS * 86_400_000);
    if stored == CustomerStatus::Active && last_activity < threshold {
        CustomerStatus::Dormant
    } else {
        stored
    }
}

/// Masks all but the last four characters: `************1234`. The one place masking
/// happens, so that role-based unmasking can later be decided here.
pub fn mask(value: &str) -> String {
    let count = value.chars().count();
    let keep = if count > 4 { 4 } else { 0 };
    value
        .chars()
        .enumerate()
        .map(|(i, c)| if i + keep < count { '*' } else { c })
        .collect()
}

/// The search key of a name: lower case, whitespace collapsed, so `li  WEI` finds `Li Wei`.
pub fn name_key(full_name: &str) -> String {
    full_name
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The key under which likely duplicates meet: same name, birth date and phone.
pub fn duplicate_key(full_name: &str, date_of_birth: Date, phone: Option<&str>) -> Option<String> {
    phone.map(|p| format!("{}|{date_of_birth}|{p}", name_key(full_name)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn cny(minor: i64) -> Money {
        Money::new(minor, Currency::Cny)
    }

    #[test]
    fn value_tier_thresholds_are_inclusive_and_one_fen_below_falls_back() {
        assert_eq!(
            value_tier(cny(WEALTH_ASSETS_MINOR), cny(0)),
            ValueTier::Wealth
        );
        assert_eq!(
            value_tier(cny(WEALTH_ASSETS_MINOR - 1), cny(0)),
            ValueTier::Priority
        );
        assert_eq!(
            value_tier(cny(PRIORITY_ASSETS_MINOR), cny(0)),
            ValueTier::Priority
        );
        assert_eq!(
            value_tier(cny(PRIORITY_ASSETS_MINOR - 1), cny(0)),
            ValueTier::Standard
        );
        assert_eq!(
            value_tier(cny(0), cny(PRIORITY_INCOME_MINOR)),
            ValueTier::Priority
        );
        assert_eq!(
            value_tier(cny(0), cny(PRIORITY_INCOME_MINOR - 1)),
            ValueTier::Standard
        );
    }

    #[test]
    fn an_active_customer_without_activity_for_180_days_is_dormant() {
        let now = Timestamp::parse("2026-11-23T00:00:00Z").expect("valid");
        let exactly = now.plus_millis(-DORMANCY_DAYS * 86_400_000);
        assert_eq!(
            effective_status(CustomerStatus::Active, exactly, now),
            CustomerStatus::Active
        );
        assert_eq!(
            effective_status(CustomerStatus::Active, exactly.plus_millis(-1), now),
            CustomerStatus::Dormant
        );
        assert_eq!(
            effective_status(CustomerStatus::Closed, exactly.plus_millis(-1), now),
            CustomerStatus::Closed
        );
    }

    #[test]
    fn masking_keeps_only_the_last_four_characters() {
        assert_eq!(mask("110101199003071234"), "**************1234");
        assert_eq!(mask("+8613800138000"), "**********8000");
        assert_eq!(mask("1234"), "****");
        assert_eq!(mask("张三李四王五"), "**李四王五");
        assert_eq!(mask(""), "");
    }

    #[test]
    fn name_keys_ignore_case_and_spacing() {
        assert_eq!(name_key("  Li   WEI "), "li wei");
        assert_eq!(
            duplicate_key(
                "Li Wei",
                Date::from_ymd(1990, 3, 7).expect("valid"),
                Some("+8613800138000")
            ),
            Some("li wei|1990-03-07|+8613800138000".into())
        );
        assert_eq!(
            duplicate_key("Li Wei", Date::from_ymd(1990, 3, 7).expect("valid"), None),
            None
        );
    }
}
