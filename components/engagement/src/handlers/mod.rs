//! HTTP ⇄ domain for account events, alert rules, alerts and tasks. Handlers parse and
//! validate at the edge (reporting every bad field at once), call the repository, and
//! shape the answer; the rules themselves live in `crm_domain::engagement`.

pub mod alerts;
pub mod churn;
pub mod events;
pub mod rules;
pub mod tasks;

use crate::repo::After;

use crm_domain::id::CustomerId;
use crm_domain::page::{Cursor, Limit};
use crm_domain::time::Timestamp;
use crm_http::{ApiError, ApiResult, json_response};
use crm_store::Database;
use crm_store::read::customers::customer_status;
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(e.to_string())
}

/// The customer must exist (404) and not be erased (409) for anything to be recorded
/// about them.
pub(crate) fn require_customer(db: &dyn Database, id: &CustomerId) -> Result<(), ApiError> {
    match customer_status(db, &id.to_string())?.as_deref() {
        None => Err(ApiError::NotFound(format!("no customer {id}"))),
        Some("erased") => Err(ApiError::conflict(
            "customer_erased",
            format!("customer {id} was erased; nothing more is recorded about them"),
        )),
        Some(_) => Ok(()),
    }
}

/// An instant stored as milliseconds, as RFC 3339.
pub(crate) fn ts(ms: i64) -> Timestamp {
    Timestamp::from_unix_millis(ms)
}

/// A 201 with `Location`.
pub(crate) fn created<T: Serialize>(body: &T, location: &str) -> ApiResult {
    let mut response = json_response(StatusCode::CREATED, body)?;
    let value = HeaderValue::from_str(location).map_err(internal)?;
    response.headers_mut().insert(header::LOCATION, value);
    Ok(response)
}

/// Query parameters collected with every problem they have, for one 422.
pub(crate) use crm_http::QueryParams as Query;

/// `limit` and `cursor`; the cursor's id must parse with `id_ok`.
pub(crate) fn page(
    q: &mut Query<'_, '_>,
    id_ok: fn(&str) -> bool,
) -> Result<(Option<Limit>, Option<After>), ApiError> {
    let limit = q.limit()?;
    let after = q.cursor(|key| decode_after(key, id_ok))?;
    Ok((limit, after))
}

/// The cursor token after `item` (sort value `at`, id `id`).
pub(crate) fn cursor_after(at: i64, id: &str) -> String {
    Cursor::after(&format!("{at}|{id}")).encode()
}

fn decode_after(key: &str, id_ok: fn(&str) -> bool) -> Option<After> {
    let (at, id) = key.split_once('|')?;
    let at = at.parse().ok()?;
    id_ok(id).then(|| After {
        at,
        id: id.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_a_foreign_one_is_refused() {
        let token = cursor_after(42, "tsk_01KAT0000000000000000000AB");
        let key = Cursor::decode(&token).expect("decodes");
        let ok = |id: &str| id.starts_with("tsk_");
        assert_eq!(
            decode_after(key.key(), ok),
            Some(After {
                at: 42,
                id: "tsk_01KAT0000000000000000000AB".into()
            })
        );
        assert_eq!(decode_after("42|alr_x", ok), None);
        assert_eq!(decode_after("x|tsk_1", ok), None);
        assert_eq!(decode_after("42", ok), None);
    }
}
