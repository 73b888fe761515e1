//! Request ids and fresh ULIDs for new resources.

use crm_domain::{Timestamp, Ulid};
use std::hash::{BuildHasher, Hasher};

/// The id that ties a request to its log line and problem body (`x-request-id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(String);

/// Longest caller-supplied request id we echo back.
const MAX_REQUEST_ID_LEN: usize = 128;

impl RequestId {
    /// The caller's `x-request-id` when it is sane (1–128 visible characters from a safe
    /// set, so it cannot inject into logs or headers); otherwise a fresh `req_<ulid>`.
    pub fn from_header(value: Option<&str>) -> RequestId {
        match value {
            Some(v)
                if !v.is_empty()
                    && v.len() <= MAX_REQUEST_ID_LEN
                    && v.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b)) =>
            {
                RequestId(v.to_owned())
            }
            _ => RequestId(format!("req_{}", new_ulid(now()))),
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The wall clock, as a [`Timestamp`].
pub fn now() -> Timestamp {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    Timestamp::from_unix_millis(millis)
}

/// The 80 random bits of a ULID.
const RANDOM_BITS: u128 = (1 << 80) - 1;

thread_local! {
    /// The last ULID made in this instance: its millisecond and random part.
    static LAST: std::cell::Cell<(u64, u128)> = const { std::cell::Cell::new((u64::MAX, 0)) };
}

/// A fresh ULID for `at`, greater than every other one this instance made for the same
/// millisecond (a request's writes share `ctx.now`, so a batch's ids sort in the order
/// it wrote them; ULID's monotonic rule).
///
/// The random bits come from std's `RandomState`, whose keys are drawn from the
/// platform's secure random source (`wasi:random` inside a component); hashing a
/// counter under them gives unpredictable bits without adding a crate to every
/// component. Ids need uniqueness, not secrecy.
pub fn new_ulid(at: Timestamp) -> Ulid {
    let millis = at.unix_millis().max(0) as u64;
    let (last_millis, last_random) = LAST.get();
    let random = if millis == last_millis && last_random < RANDOM_BITS {
        last_random + 1
    } else {
        // Room below the top for the increments that follow in the same millisecond.
        fresh_random() & (RANDOM_BITS >> 1)
    };
    LAST.set((millis, random));
    Ulid::from_parts(millis, random)
}

fn fresh_random() -> u128 {
    let mut random = 0u128;
    for round in 0..2u64 {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(round);
        random = (random << 64) | u128::from(hasher.finish());
    }
    random
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn a_sane_caller_request_id_is_kept() {
        assert_eq!(
            RequestId::from_header(Some("abc-123_x.y:z")).as_str(),
            "abc-123_x.y:z"
        );
    }

    #[test]
    fn a_missing_or_unsafe_request_id_is_replaced() {
        for bad in [
            None,
            Some(""),
            Some("has space"),
            Some("new\nline"),
            Some("é"),
        ] {
            let id = RequestId::from_header(bad);
            assert!(
                id.as_str().starts_with("req_"),
                "{bad:?} gave {}",
                id.as_str()
            );
        }
        let long = "a".repeat(MAX_REQUEST_ID_LEN + 1);
        assert!(
            RequestId::from_header(Some(&long))
                .as_str()
                .starts_with("req_")
        );
    }

    #[test]
    fn ulids_in_the_same_millisecond_do_not_collide() {
        let at = Timestamp::from_unix_millis(1_000);
        let ids: HashSet<Ulid> = (0..10_000).map(|_| new_ulid(at)).collect();
        assert_eq!(ids.len(), 10_000);
    }

    #[test]
    fn ulids_of_one_millisecond_sort_in_the_order_they_were_made() {
        let at = Timestamp::from_unix_millis(2_000);
        let ids: Vec<String> = (0..1_000).map(|_| new_ulid(at).to_string()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{:?}", &ids[..3]);
        // A new millisecond starts from fresh random bits, later in time all the same.
        let next = new_ulid(Timestamp::from_unix_millis(2_001)).to_string();
        assert!(ids.iter().all(|id| *id < next));
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::fuzz::text_near;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn no_header_value_panics_the_request_id(value in text_near("[A-Za-z0-9._:-]{1,128}")) {
            let id = RequestId::from_header(Some(&value));
            // Echoed in a response header and a log line: it must be a valid header value.
            prop_assert!(http::HeaderValue::from_str(id.as_str()).is_ok());
            prop_assert!(id.as_str() == value || id.as_str().starts_with("req_"));
        }
    }
}
