//! UTC timestamps (RFC 3339) and calendar dates (`YYYY-MM-DD`) without a date-time crate.
//!
//! The conversions use Howard Hinnant's days-from-civil algorithm, exact for the
//! proleptic Gregorian calendar, which is all a bank CRM needs.

use serde::{Deserialize, Serialize};
use std::fmt;

const MILLIS_PER_DAY: i64 = 86_400_000;

/// Why a timestamp or date string was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeError {
    /// The text is not in the expected format.
    Format(&'static str),
    /// A field is out of range (month 13, day 31 in April, hour 24…).
    OutOfRange,
}

impl fmt::Display for TimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeError::Format(expected) => write!(f, "must be {expected}"),
            TimeError::OutOfRange => write!(f, "is not a valid calendar date or time"),
        }
    }
}

impl std::error::Error for TimeError {}

/// A calendar date without time zone, e.g. a date of birth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        _ => 28,
    }
}

fn days_from_civil(year: i32, month: u8, day: u8) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i32, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    (year, month, day)
}

fn parse_digits(s: &str, expected: &'static str) -> Result<u32, TimeError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TimeError::Format(expected));
    }
    s.parse().map_err(|_| TimeError::Format(expected))
}

/// The digits at byte positions `range` of `s`. A range that ends inside a multi-byte
/// character is a format error: slicing there would panic, and a panic is an empty
/// 500 under Spin.
fn digits_at(
    s: &str,
    range: std::ops::Range<usize>,
    expected: &'static str,
) -> Result<u32, TimeError> {
    parse_digits(s.get(range).ok_or(TimeError::Format(expected))?, expected)
}

impl Date {
    /// A date from its parts, refusing impossible ones (2026-02-30) and years outside 1..=9999.
    pub fn from_ymd(year: i32, month: u8, day: u8) -> Result<Date, TimeError> {
        if !(1..=9999).contains(&year) || !(1..=12).contains(&month) {
            return Err(TimeError::OutOfRange);
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(TimeError::OutOfRange);
        }
        Ok(Date { year, month, day })
    }

    /// Parses `YYYY-MM-DD` exactly.
    pub fn parse(s: &str) -> Result<Date, TimeError> {
        const EXPECTED: &str = "a date as YYYY-MM-DD";
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(TimeError::Format(EXPECTED));
        }
        let year = digits_at(s, 0..4, EXPECTED)? as i32;
        let month = digits_at(s, 5..7, EXPECTED)? as u8;
        let day = digits_at(s, 8..10, EXPECTED)? as u8;
        Date::from_ymd(year, month, day)
    }

    /// The calendar year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month, 1–12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, 1–31.
    pub fn day(self) -> u8 {
        self.day
    }

    /// Whole years from `self` (a birth date) to `on`; a 29 February birthday counts on 1 March.
    pub fn years_until(self, on: Date) -> i32 {
        let mut years = on.year - self.year;
        if (on.month, on.day) < (self.month, self.day) {
            years -= 1;
        }
        years
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days_since_epoch(self) -> i64 {
        days_from_civil(self.year, self.month, self.day)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Date::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// An instant in UTC with millisecond precision, written as RFC 3339 (`2026-11-23T08:15:00Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The instant `millis` milliseconds after the Unix epoch.
    pub fn from_unix_millis(millis: i64) -> Self {
        Timestamp(millis)
    }

    /// Milliseconds since the Unix epoch; what we store in SQLite.
    pub fn unix_millis(self) -> i64 {
        self.0
    }

    /// The UTC calendar date of this instant.
    pub fn date(self) -> Date {
        let (year, month, day) = civil_from_days(self.0.div_euclid(MILLIS_PER_DAY));
        Date { year, month, day }
    }

    /// This instant moved by `millis` (negative moves back), saturating at the range ends.
    pub fn plus_millis(self, millis: i64) -> Self {
        Timestamp(self.0.saturating_add(millis))
    }

    /// Parses RFC 3339 with a `Z` or numeric offset, fractions to any length (kept to ms).
    pub fn parse(s: &str) -> Result<Timestamp, TimeError> {
        const EXPECTED: &str = "an RFC 3339 timestamp such as 2026-11-23T08:15:00Z";
        let b = s.as_bytes();
        if b.len() < 20 || !matches!(b[10], b'T' | b't') || b[13] != b':' || b[16] != b':' {
            return Err(TimeError::Format(EXPECTED));
        }
        let date_text = s.get(0..10).ok_or(TimeError::Format(EXPECTED))?;
        let date = Date::parse(date_text).map_err(|e| match e {
            TimeError::Format(_) => TimeError::Format(EXPECTED),
            other => other,
        })?;
        let hour = digits_at(s, 11..13, EXPECTED)?;
        let minute = digits_at(s, 14..16, EXPECTED)?;
        let second = digits_at(s, 17..19, EXPECTED)?;
        if hour > 23 || minute > 59 || second > 59 {
            return Err(TimeError::OutOfRange);
        }
        let mut rest = s.get(19..).ok_or(TimeError::Format(EXPECTED))?;
        let mut millis = 0i64;
        if let Some(frac) = rest.strip_prefix('.') {
            let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err(TimeError::Format(EXPECTED));
            }
            // `digits` counts ASCII bytes from the start, so these cuts are on boundaries.
            let padded = format!("{:0<3}", &frac[..digits.min(3)]);
            millis = i64::from(parse_digits(&padded, EXPECTED)?);
            rest = &frac[digits..];
        }
        let offset_minutes = match rest {
            "Z" | "z" => 0,
            _ => {
                let ob = rest.as_bytes();
                if ob.len() != 6 || !matches!(ob[0], b'+' | b'-') || ob[3] != b':' {
                    return Err(TimeError::Format(EXPECTED));
                }
                let oh = digits_at(rest, 1..3, EXPECTED)?;
                let om = digits_at(rest, 4..6, EXPECTED)?;
                if oh > 23 || om > 59 {
                    return Err(TimeError::OutOfRange);
                }
                let total = i64::from(oh * 60 + om);
                if ob[0] == b'-' { -total } else { total }
            }
        };
        let day_millis = date.days_since_epoch() * MILLIS_PER_DAY;
        let time_millis =
            (i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second)) * 1000 + millis;
        Ok(Timestamp(
            day_millis + time_millis - offset_minutes * 60_000,
        ))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let date = self.date();
        let in_day = self.0.rem_euclid(MILLIS_PER_DAY);
        let (secs, millis) = (in_day / 1000, in_day % 1000);
        write!(
            f,
            "{date}T{:02}:{:02}:{:02}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )?;
        if millis != 0 {
            write!(f, ".{millis:03}")?;
        }
        f.write_str("Z")
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Timestamp::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timestamp_round_trips_through_rfc3339() {
        let t = Timestamp::parse("2026-11-23T08:15:00Z").expect("parses");
        assert_eq!(t.unix_millis(), 1_795_421_700_000);
        assert_eq!(t.to_string(), "2026-11-23T08:15:00Z");
        let with_ms = Timestamp::parse("2026-11-23T08:15:00.123456Z").expect("parses");
        assert_eq!(with_ms.to_string(), "2026-11-23T08:15:00.123Z");
    }

    #[test]
    fn an_offset_is_converted_to_utc() {
        let t = Timestamp::parse("2026-11-23T16:15:00+08:00").expect("parses");
        assert_eq!(t.to_string(), "2026-11-23T08:15:00Z");
        let t = Timestamp::parse("2026-11-22T23:15:00-09:00").expect("parses");
        assert_eq!(t.to_string(), "2026-11-23T08:15:00Z");
    }

    #[test]
    fn malformed_timestamps_are_rejected() {
        for bad in [
            "",
            "2026-11-23",
            "2026-11-23 08:15:00Z",
            "2026-11-23T08:15:00",
            "2026-11-23T08:15:00.Z",
            "2026-11-23T24:00:00Z",
            "2026-02-30T00:00:00Z",
            "2026-11-23T08:15:00+0800",
            "+026-11-23T08:15:00Z",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn dates_before_the_epoch_format_correctly() {
        let t = Timestamp::from_unix_millis(-1);
        assert_eq!(t.to_string(), "1969-12-31T23:59:59.999Z");
        assert_eq!(
            Date::parse("1969-12-31").map(Date::days_since_epoch),
            Ok(-1)
        );
    }

    #[test]
    fn days_and_dates_agree_over_four_centuries() {
        let mut day = Date::parse("1900-01-01").expect("valid").days_since_epoch();
        let end = Date::parse("2300-12-31").expect("valid").days_since_epoch();
        while day <= end {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
            day += 1;
        }
    }

    #[test]
    fn impossible_dates_are_rejected() {
        assert_eq!(Date::parse("2025-02-29"), Err(TimeError::OutOfRange));
        assert!(Date::parse("2024-02-29").is_ok());
        assert_eq!(Date::parse("1900-02-29"), Err(TimeError::OutOfRange));
        assert_eq!(Date::parse("2026-13-01"), Err(TimeError::OutOfRange));
        assert!(matches!(Date::parse("26-1-1"), Err(TimeError::Format(_))));
        assert!(matches!(
            Date::parse("2026-1a-01"),
            Err(TimeError::Format(_))
        ));
    }

    #[test]
    fn a_multi_byte_character_in_the_seconds_is_refused_not_a_panic() {
        for bad in [
            "2026-11-23T08:15:0\u{e9}0Z",
            "2026-11-23T08:15:0\u{5f20}Z",
            "2026-11-23T08:15:00\u{e9}",
            "2026-11-23T08:15:00.1\u{1F600}",
        ] {
            assert_eq!(
                Timestamp::parse(bad),
                Err(TimeError::Format(
                    "an RFC 3339 timestamp such as 2026-11-23T08:15:00Z"
                )),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn age_counts_whole_years_and_leap_day_birthdays_turn_on_march_first() {
        let born = Date::parse("2008-02-29").expect("valid");
        assert_eq!(
            born.years_until(Date::parse("2026-02-28").expect("valid")),
            17
        );
        assert_eq!(
            born.years_until(Date::parse("2026-03-01").expect("valid")),
            18
        );
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::fuzz::text_near;
    use proptest::prelude::*;

    const DATE: &str = "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])";
    const TIMESTAMP: &str = "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]\
        ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?\
        ([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])";

    /// 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z, the range `Date` accepts.
    const FIRST_MILLIS: i64 = -62_135_596_800_000;
    const LAST_MILLIS: i64 = 253_402_300_799_999;

    proptest! {
        #[test]
        fn no_string_panics_the_timestamp_parser(text in text_near(TIMESTAMP)) {
            let _ = Timestamp::parse(&text);
            let _ = serde_json::from_value::<Timestamp>(serde_json::Value::String(text));
        }

        #[test]
        fn no_string_panics_the_date_parser(text in text_near(DATE)) {
            let _ = Date::parse(&text);
            let _ = serde_json::from_value::<Date>(serde_json::Value::String(text));
        }

        #[test]
        fn a_valid_timestamp_parses(text in TIMESTAMP) {
            // Only impossible days (30 February) may fail, and never on the format.
            if let Err(e) = Timestamp::parse(&text) {
                prop_assert_eq!(e, TimeError::OutOfRange, "{:?}", text);
            }
        }

        #[test]
        fn a_formatted_timestamp_parses_back_to_itself(millis in FIRST_MILLIS..=LAST_MILLIS) {
            let t = Timestamp::from_unix_millis(millis);
            prop_assert_eq!(Timestamp::parse(&t.to_string()), Ok(t));
            prop_assert_eq!(Date::parse(&t.date().to_string()), Ok(t.date()));
        }
    }
}
