//! Opaque, time-ordered identifiers with a kind prefix (`cus_01J…`).
//!
//! The body is a ULID (48-bit millisecond timestamp + 80 random bits, Crockford
//! base32), so ids sort by creation time as strings and never reveal a rowid.

use std::fmt;

/// Crockford base32 alphabet: no I, L, O, U, so ids survive being read aloud.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Length of an encoded ULID.
pub const ULID_LEN: usize = 26;

/// A 128-bit ULID: milliseconds since the Unix epoch in the top 48 bits, randomness below.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ulid(u128);

/// Why a string is not a valid ULID or prefixed id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UlidError {
    /// The string does not start with the expected `<prefix>_`.
    WrongPrefix(&'static str),
    /// The body is not 26 characters long.
    WrongLength,
    /// The body holds a character outside Crockford base32.
    InvalidCharacter,
    /// The first character would overflow 128 bits.
    Overflow,
}

impl fmt::Display for UlidError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UlidError::WrongPrefix(p) => write!(f, "must start with `{p}_`"),
            UlidError::WrongLength => write!(f, "must have {ULID_LEN} characters after the prefix"),
            UlidError::InvalidCharacter => {
                write!(f, "contains a character outside Crockford base32")
            }
            UlidError::Overflow => write!(f, "is out of range"),
        }
    }
}

impl std::error::Error for UlidError {}

impl Ulid {
    /// Builds a ULID from a millisecond timestamp and random bits (only the low 80 are used).
    pub fn from_parts(unix_millis: u64, random: u128) -> Self {
        let time = u128::from(unix_millis & 0xFFFF_FFFF_FFFF) << 80;
        Ulid(time | (random & ((1u128 << 80) - 1)))
    }

    /// The millisecond timestamp the ULID was created at.
    pub fn unix_millis(self) -> u64 {
        (self.0 >> 80) as u64
    }

    /// Parses the 26-character Crockford base32 form (case-insensitive).
    pub fn parse(s: &str) -> Result<Self, UlidError> {
        let bytes = s.as_bytes();
        if bytes.len() != ULID_LEN {
            return Err(UlidError::WrongLength);
        }
        // 26 chars carry 130 bits; the first may only hold the top 3 bits.
        if decode_char(bytes[0])? > 7 {
            return Err(UlidError::Overflow);
        }
        let mut value: u128 = 0;
        for &b in bytes {
            value = (value << 5) | u128::from(decode_char(b)?);
        }
        Ok(Ulid(value))
    }
}

fn decode_char(b: u8) -> Result<u8, UlidError> {
    let upper = b.to_ascii_uppercase();
    ALPHABET
        .iter()
        .position(|&c| c == upper)
        .map(|p| p as u8)
        .ok_or(UlidError::InvalidCharacter)
}

impl fmt::Display for Ulid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = [0u8; ULID_LEN];
        let mut value = self.0;
        for slot in out.iter_mut().rev() {
            *slot = ALPHABET[(value & 0x1F) as usize];
            value >>= 5;
        }
        // The alphabet is ASCII, so this cannot fail.
        f.write_str(std::str::from_utf8(&out).map_err(|_| fmt::Error)?)
    }
}

/// Defines a prefixed identifier newtype (`cus_…`) over [`Ulid`].
#[macro_export]
macro_rules! prefixed_id {
    ($(#[$meta:meta])* $name:ident, $prefix:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name($crate::id::Ulid);

        impl $name {
            /// The kind prefix written before the underscore.
            pub const PREFIX: &'static str = $prefix;

            /// Wraps a freshly generated ULID.
            pub fn new(ulid: $crate::id::Ulid) -> Self {
                Self(ulid)
            }

            /// Parses `<prefix>_<ulid>`, rejecting other kinds of id.
            pub fn parse(s: &str) -> Result<Self, $crate::id::UlidError> {
                let body = s
                    .strip_prefix($prefix)
                    .and_then(|rest| rest.strip_prefix('_'))
                    .ok_or($crate::id::UlidError::WrongPrefix($prefix))?;
                $crate::id::Ulid::parse(body).map(Self)
            }

            /// The underlying ULID.
            pub fn ulid(self) -> $crate::id::Ulid {
                self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, "{}_{}", $prefix, self.0)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::id::UlidError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                Self::parse(&s).map_err(|e| ::serde::de::Error::custom(format_args!("{e}")))
            }
        }
    };
}

prefixed_id!(
    /// A customer (`cus_…`).
    CustomerId,
    "cus"
);
prefixed_id!(
    /// A logged interaction with a customer (`int_…`).
    InteractionId,
    "int"
);
prefixed_id!(
    /// A complaint case (`cmp_…`).
    ComplaintId,
    "cmp"
);
prefixed_id!(
    /// A loyalty ledger entry (`lpt_…`).
    LoyaltyEntryId,
    "lpt"
);
prefixed_id!(
    /// A loan pre-approval application (`lpa_…`).
    LoanApplicationId,
    "lpa"
);

/// The prefix of every kind of id the API hands out.
pub const PREFIXES: &[&str] = &[
    "cus", "int", "cmp", "svy", "lpt", "lpa", "rfb", "alr", "tsk",
];

/// The canonical text of an id of any kind (`cus_01KAT…`: lower-case prefix, upper-case
/// ULID), or `None` when `raw` is not one. The edge rewrites every id it is given to this
/// form before authorising, auditing, keying idempotency or storing anything, so that
/// `CUS_01kat…` and `cus_01KAT…` are one customer everywhere, not two in the audit trail.
pub fn canonical(raw: &str) -> Option<String> {
    let (prefix, body) = raw.split_once('_')?;
    let prefix = prefix.to_ascii_lowercase();
    if !PREFIXES.contains(&prefix.as_str()) {
        return None;
    }
    Ulid::parse(body)
        .ok()
        .map(|ulid| format!("{prefix}_{ulid}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_in_any_letter_case_has_one_canonical_form() {
        let id = CustomerId::new(Ulid::from_parts(1_763_884_800_000, 77)).to_string();
        let shouted = id.to_uppercase();
        let whispered = id.to_lowercase();
        assert_eq!(canonical(&shouted).as_deref(), Some(id.as_str()));
        assert_eq!(canonical(&whispered).as_deref(), Some(id.as_str()));
        assert_eq!(canonical(&id).as_deref(), Some(id.as_str()));
    }

    #[test]
    fn what_is_not_an_id_of_a_known_kind_has_no_canonical_form() {
        let body = "01KAT0000000000000000000AA";
        assert_eq!(canonical(&format!("xyz_{body}")), None);
        assert_eq!(canonical("health"), None);
        assert_eq!(canonical("cus_short"), None);
        assert_eq!(canonical(""), None);
        assert_eq!(canonical("cus_é1KAT000000000000000000A"), None);
    }

    #[test]
    fn every_kind_of_id_is_known() {
        let ulid = Ulid::from_parts(5, 5);
        for id in [
            CustomerId::new(ulid).to_string(),
            InteractionId::new(ulid).to_string(),
            ComplaintId::new(ulid).to_string(),
            LoyaltyEntryId::new(ulid).to_string(),
            LoanApplicationId::new(ulid).to_string(),
            crate::interaction::SurveyId::new(ulid).to_string(),
            crate::recommendation::FeedbackId::new(ulid).to_string(),
            crate::engagement::AlertId::new(ulid).to_string(),
            crate::engagement::TaskId::new(ulid).to_string(),
        ] {
            assert_eq!(canonical(&id.to_lowercase()), Some(id.clone()), "{id}");
        }
    }

    #[test]
    fn a_ulid_round_trips_through_its_text_form() {
        let ulid = Ulid::from_parts(1_763_884_800_000, 0x1234_5678_9ABC_DEF0_1234);
        let text = ulid.to_string();
        assert_eq!(text.len(), ULID_LEN);
        assert_eq!(Ulid::parse(&text), Ok(ulid));
        assert_eq!(Ulid::parse(&text.to_lowercase()), Ok(ulid));
        assert_eq!(ulid.unix_millis(), 1_763_884_800_000);
    }

    #[test]
    fn ids_sort_by_creation_time_as_strings() {
        let earlier = CustomerId::new(Ulid::from_parts(1_000, u128::MAX));
        let later = CustomerId::new(Ulid::from_parts(1_001, 0));
        assert!(earlier.to_string() < later.to_string());
    }

    #[test]
    fn an_id_of_another_kind_is_rejected() {
        let loan = LoanApplicationId::new(Ulid::from_parts(5, 5)).to_string();
        assert_eq!(CustomerId::parse(&loan), Err(UlidError::WrongPrefix("cus")));
    }

    #[test]
    fn malformed_id_bodies_are_rejected() {
        let zeros = |n: usize| "0".repeat(n);
        assert_eq!(CustomerId::parse("cus_"), Err(UlidError::WrongLength));
        assert_eq!(
            CustomerId::parse(&format!("cus_{}", zeros(27))),
            Err(UlidError::WrongLength)
        );
        assert_eq!(
            CustomerId::parse(&format!("cus_{}U", zeros(25))),
            Err(UlidError::InvalidCharacter)
        );
        assert_eq!(
            CustomerId::parse(&format!("cus_8{}", zeros(25))),
            Err(UlidError::Overflow)
        );
        assert_eq!(
            CustomerId::parse(&format!("cus-{}", zeros(26))),
            Err(UlidError::WrongPrefix("cus"))
        );
    }

    #[test]
    fn ids_serialize_as_prefixed_strings() {
        let id = CustomerId::new(Ulid::from_parts(0, 1));
        let json = serde_json::to_string(&id).expect("serializes");
        assert_eq!(json, "\"cus_00000000000000000000000001\"");
        let back: CustomerId = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, id);
        assert!(serde_json::from_str::<CustomerId>("\"lpa_00000000000000000000000001\"").is_err());
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::fuzz::{any_text, text_near};
    use crate::interaction::SurveyId;
    use crate::recommendation::FeedbackId;
    use proptest::prelude::*;

    const ULID: &str = "[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}";
    const PREFIXED: &str = "(cus|int|cmp|lpt|lpa|svy|rfb)_[0-7][0-9A-HJKMNP-TV-Z]{25}";

    proptest! {
        #[test]
        fn no_string_panics_the_ulid_parser(text in text_near(ULID)) {
            let _ = Ulid::parse(&text);
        }

        #[test]
        fn no_string_panics_a_prefixed_id_parser(text in text_near(PREFIXED)) {
            let _ = CustomerId::parse(&text);
            let _ = InteractionId::parse(&text);
            let _ = ComplaintId::parse(&text);
            let _ = LoyaltyEntryId::parse(&text);
            let _ = LoanApplicationId::parse(&text);
            let _ = SurveyId::parse(&text);
            let _ = FeedbackId::parse(&text);
            let _ = serde_json::from_value::<CustomerId>(serde_json::Value::String(text));
        }

        #[test]
        fn a_string_with_a_non_ascii_character_is_never_an_id(
            text in any_text().prop_filter("non-ASCII", |t| !t.is_ascii()),
        ) {
            prop_assert!(Ulid::parse(&text).is_err());
            prop_assert!(CustomerId::parse(&text).is_err());
        }

        #[test]
        fn every_id_parses_back_from_its_text(millis in 0u64..1 << 48, random in any::<u128>()) {
            let ulid = Ulid::from_parts(millis, random);
            prop_assert_eq!(Ulid::parse(&ulid.to_string()), Ok(ulid));
            prop_assert_eq!(Ulid::parse(&ulid.to_string().to_lowercase()), Ok(ulid));
            let id = CustomerId::new(ulid);
            prop_assert_eq!(CustomerId::parse(&id.to_string()), Ok(id));
        }
    }
}
