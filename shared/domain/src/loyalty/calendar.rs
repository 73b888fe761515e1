//! Calendar-month arithmetic on UTC instants: points expire "after N months" and tiers
//! look back "12 months", so both need months, not fixed numbers of days.

use crate::time::{Date, Timestamp};

const MILLIS_PER_DAY: i64 = 86_400_000;

/// A calendar month as a single integer (`year * 12 + month - 1`), so that month
/// arithmetic is plain integer arithmetic and months sort and index naturally.
pub type MonthIndex = i64;

/// The calendar month (UTC) an instant falls in.
pub fn month_of(t: Timestamp) -> MonthIndex {
    let date = t.date();
    i64::from(date.year()) * 12 + i64::from(date.month()) - 1
}

/// The first instant of `month` (00:00:00.000Z on its first day); saturates outside
/// the years 1 to 9999 that [`Date`] supports.
pub fn month_start(month: MonthIndex) -> Timestamp {
    let year = month.div_euclid(12);
    let month_of_year = month.rem_euclid(12) + 1;
    let clamped_year = year.clamp(1, 9999) as i32;
    let day = Date::from_ymd(clamped_year, month_of_year as u8, 1)
        .map(Date::days_since_epoch)
        .unwrap_or(0);
    Timestamp::from_unix_millis(day * MILLIS_PER_DAY)
}

fn days_in_month(year: i32, month: u8) -> u8 {
    (28..=31u8)
        .rev()
        .find(|&d| Date::from_ymd(year, month, d).is_ok())
        .unwrap_or(28)
}

/// `t` moved by `months` calendar months, keeping the time of day. A day that does not
/// exist in the target month is clamped to its last day (31 March + 1 month is
/// 30 April), the rule banks and card schemes use for "N months later".
pub fn add_months(t: Timestamp, months: i64) -> Timestamp {
    let date = t.date();
    let target = month_of(t) + months;
    let year = target.div_euclid(12).clamp(1, 9999) as i32;
    let month = (target.rem_euclid(12) + 1) as u8;
    let day = date.day().min(days_in_month(year, month));
    let days = Date::from_ymd(year, month, day)
        .map(Date::days_since_epoch)
        .unwrap_or(0);
    let in_day = t.unix_millis().rem_euclid(MILLIS_PER_DAY);
    Timestamp::from_unix_millis(days * MILLIS_PER_DAY + in_day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse(s).expect("valid timestamp")
    }

    #[test]
    fn adding_months_keeps_the_day_and_the_time_of_day() {
        assert_eq!(
            add_months(ts("2026-01-15T10:30:00.250Z"), 24),
            ts("2028-01-15T10:30:00.250Z")
        );
        assert_eq!(
            add_months(ts("2026-11-23T08:00:00Z"), 3),
            ts("2027-02-23T08:00:00Z")
        );
    }

    #[test]
    fn a_day_missing_in_the_target_month_is_clamped_to_its_last_day() {
        assert_eq!(
            add_months(ts("2026-03-31T12:00:00Z"), 1),
            ts("2026-04-30T12:00:00Z")
        );
        assert_eq!(
            add_months(ts("2024-02-29T00:00:00Z"), 12),
            ts("2025-02-28T00:00:00Z")
        );
        assert_eq!(
            add_months(ts("2026-01-31T00:00:00Z"), 1),
            ts("2026-02-28T00:00:00Z")
        );
    }

    #[test]
    fn subtracting_months_crosses_year_boundaries() {
        assert_eq!(
            add_months(ts("2026-01-10T00:00:00Z"), -12),
            ts("2025-01-10T00:00:00Z")
        );
        assert_eq!(
            add_months(ts("2026-02-01T00:00:00Z"), -3),
            ts("2025-11-01T00:00:00Z")
        );
    }

    #[test]
    fn month_indices_and_starts_agree() {
        let t = ts("2026-11-23T08:15:00Z");
        let m = month_of(t);
        assert_eq!(m, 2026 * 12 + 10);
        assert_eq!(month_start(m), ts("2026-11-01T00:00:00Z"));
        assert_eq!(month_start(m + 2), ts("2027-01-01T00:00:00Z"));
        assert_eq!(month_of(ts("2026-11-30T23:59:59.999Z")), m);
        assert_eq!(month_of(ts("2026-12-01T00:00:00Z")), m + 1);
    }
}
