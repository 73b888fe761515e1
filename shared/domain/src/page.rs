//! Cursor pagination: `?limit=50&cursor=…` → `{"items": […], "nextCursor": …}`.

use std::fmt;

/// A validated page size: 1 to [`Limit::MAX`], [`Limit::DEFAULT`] when absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(u32);

/// Why a `limit` or `cursor` query parameter was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageError {
    /// `limit` is not an integer between 1 and the maximum.
    Limit,
    /// `cursor` was not produced by this service.
    Cursor,
}

impl fmt::Display for PageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PageError::Limit => write!(f, "must be an integer from 1 to {}", Limit::MAX),
            PageError::Cursor => write!(f, "is not a cursor returned by this API"),
        }
    }
}

impl std::error::Error for PageError {}

impl Limit {
    /// Page size when the caller does not say.
    pub const DEFAULT: u32 = 50;
    /// The largest page a caller may ask for.
    pub const MAX: u32 = 200;

    /// Parses the optional `limit` query value.
    pub fn parse(raw: Option<&str>) -> Result<Limit, PageError> {
        match raw {
            None => Ok(Limit(Self::DEFAULT)),
            Some(s) => match s.parse::<u32>() {
                Ok(n) if (1..=Self::MAX).contains(&n) => Ok(Limit(n)),
                _ => Err(PageError::Limit),
            },
        }
    }

    /// The page size.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// An opaque position in a list: the sort key of the last item served, hex-encoded so that
/// callers treat it as a token rather than a value to edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(String);

impl Cursor {
    /// Wraps the sort key of the last item on a page.
    pub fn after(key: &str) -> Cursor {
        Cursor(key.to_owned())
    }

    /// The sort key to continue after.
    pub fn key(&self) -> &str {
        &self.0
    }

    /// The token handed to callers.
    pub fn encode(&self) -> String {
        self.0.bytes().map(|b| format!("{b:02x}")).collect()
    }

    /// Decodes a token from [`Cursor::encode`]; anything else is [`PageError::Cursor`].
    pub fn decode(token: &str) -> Result<Cursor, PageError> {
        // Checked as bytes: slicing the text by byte pairs would panic inside a
        // multi-byte character, and a panic is an empty 500 under Spin.
        let digits = token.as_bytes();
        if digits.is_empty() || !digits.len().is_multiple_of(2) || digits.len() > 1024 {
            return Err(PageError::Cursor);
        }
        let hex = |d: u8| char::from(d).to_digit(16).ok_or(PageError::Cursor);
        let bytes = digits
            .chunks_exact(2)
            .map(|pair| Ok((hex(pair[0])? * 16 + hex(pair[1])?) as u8))
            .collect::<Result<Vec<u8>, PageError>>()?;
        String::from_utf8(bytes)
            .map(Cursor)
            .map_err(|_| PageError::Cursor)
    }
}

/// A keyset position: the sort value and the id of the last item served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct After {
    /// The sort column's value (ms since the epoch).
    pub at: i64,
    /// The id, which breaks ties.
    pub id: String,
}

impl After {
    /// The cursor token after an item sorted by `at` with id `id`.
    pub fn token(at: i64, id: &str) -> String {
        Cursor::after(&format!("{at}|{id}")).encode()
    }

    /// The position a cursor key names, when its id passes `id_ok` (a list's own kind).
    pub fn from_key(key: &str, id_ok: impl Fn(&str) -> bool) -> Option<After> {
        let (at, id) = key.split_once('|')?;
        let at = at.parse().ok()?;
        id_ok(id).then(|| After {
            at,
            id: id.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_keyset_position_round_trips_and_a_foreign_one_is_refused() {
        let token = After::token(42, "int_01KAT0000000000000000000AB");
        let key = Cursor::decode(&token).expect("decodes");
        let ok = |id: &str| id.starts_with("int_");
        assert_eq!(
            After::from_key(key.key(), ok),
            Some(After {
                at: 42,
                id: "int_01KAT0000000000000000000AB".into()
            })
        );
        assert_eq!(After::from_key("42|cmp_x", ok), None);
        assert_eq!(After::from_key("x|int_1", ok), None);
        assert_eq!(After::from_key("42", ok), None);
    }

    #[test]
    fn a_cursor_with_multi_byte_characters_is_refused_not_a_panic() {
        for token in ["\u{21941}\u{e5}", "é1", "1é", "0\u{e9}00", "\u{1F600}"] {
            assert_eq!(Cursor::decode(token), Err(PageError::Cursor), "{token:?}");
        }
        let cursor = Cursor::after("cus_01");
        assert_eq!(Cursor::decode(&cursor.encode()), Ok(cursor));
        assert_eq!(Cursor::decode("+1"), Err(PageError::Cursor), "no sign");
    }

    #[test]
    fn limit_defaults_and_is_capped() {
        assert_eq!(Limit::parse(None).map(Limit::get), Ok(Limit::DEFAULT));
        assert_eq!(Limit::parse(Some("200")).map(Limit::get), Ok(200));
        for bad in ["0", "201", "-1", "ten", ""] {
            assert_eq!(Limit::parse(Some(bad)), Err(PageError::Limit), "{bad:?}");
        }
    }

    #[test]
    fn a_cursor_round_trips_and_a_forged_one_is_rejected() {
        let c = Cursor::after("cus_01JX|2026");
        assert_eq!(Cursor::decode(&c.encode()), Ok(c));
        for bad in ["", "abc", "zz", "ff"] {
            assert_eq!(Cursor::decode(bad), Err(PageError::Cursor), "{bad:?}");
        }
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::fuzz::text_near;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn no_string_panics_the_limit_parser(text in text_near("[+-]?[0-9]{1,12}")) {
            if let Ok(limit) = Limit::parse(Some(&text)) {
                prop_assert!((1..=Limit::MAX).contains(&limit.get()));
            }
        }

        #[test]
        fn no_string_panics_the_cursor_decoder(text in text_near("([0-9a-fA-F]{2}){0,40}")) {
            let _ = Cursor::decode(&text);
        }

        #[test]
        fn a_cursor_of_any_key_decodes_to_that_key(key in any::<String>()) {
            let cursor = Cursor::after(&key);
            let token = cursor.encode();
            if token.len() <= 1024 && !token.is_empty() {
                prop_assert_eq!(Cursor::decode(&token), Ok(cursor));
            } else {
                prop_assert_eq!(Cursor::decode(&token), Err(PageError::Cursor));
            }
        }
    }
}
