//! HTTP ⇄ domain for account events, alert rules, alerts and tasks. Handlers parse and
//! validate at the edge (reporting every bad field at once), call the repository, and
//! shape the answer; the rules themselves live in `crm_domain::engagement`.
//!
//! The query helper below is the interactions component's, repeated: components never
//! import each other, and moving it into `crm-http` is a change to that component too.

pub mod alerts;
pub mod churn;
pub mod events;
pub mod rules;
pub mod tasks;

use crate::repo::After;
use crm_domain::Invalid;
use crm_domain::id::CustomerId;
use crm_domain::page::{Cursor, Limit};
use crm_domain::time::Timestamp;
use crm_http::{ApiError, ApiResult, Ctx, FieldError, Response, etag, json_response};
use crm_store::Database;
use crm_store::read::customers::customer_status;
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;

/// A 422 listing every invalid field.
pub(crate) fn invalid(errors: Vec<Invalid>) -> ApiError {
    ApiError::Validation(
        errors
            .into_iter()
            .map(|i| FieldError::new(i.field, i.message))
            .collect(),
    )
}

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

/// Adds the `etag` of `version` to `response`.
pub(crate) fn with_etag(mut response: Response, version: i64) -> ApiResult {
    let value = HeaderValue::from_str(&etag(version)).map_err(internal)?;
    response.headers_mut().insert(header::ETAG, value);
    Ok(response)
}

/// Query parameters collected with every problem they have, for one 422.
pub(crate) struct Query<'c, 'a> {
    ctx: &'c Ctx<'a>,
    errors: Vec<FieldError>,
}

impl<'c, 'a> Query<'c, 'a> {
    /// Refuses unknown parameters (400) before anything else.
    pub(crate) fn new(ctx: &'c Ctx<'a>, known: &[&str]) -> Result<Self, ApiError> {
        ctx.only_query_params(known)?;
        Ok(Query {
            ctx,
            errors: Vec::new(),
        })
    }

    fn reject(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    /// A parameter parsed by `parse`, whose error becomes the message.
    pub(crate) fn parsed<T, E: std::fmt::Display>(
        &mut self,
        name: &str,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Result<Option<T>, ApiError> {
        let Some(raw) = self.ctx.query(name)? else {
            return Ok(None);
        };
        match parse(&raw) {
            Ok(v) => Ok(Some(v)),
            Err(e) => {
                self.reject(name, e.to_string());
                Ok(None)
            }
        }
    }

    /// A closed-set parameter.
    pub(crate) fn one_of<T>(
        &mut self,
        name: &str,
        parse: fn(&str) -> Option<T>,
        expected: String,
    ) -> Result<Option<T>, ApiError> {
        self.parsed(name, |raw| {
            parse(raw).ok_or_else(|| format!("must be one of {expected}"))
        })
    }

    /// `limit` and `cursor`; the cursor's id must parse with `id_ok`.
    pub(crate) fn page(
        &mut self,
        id_ok: fn(&str) -> bool,
    ) -> Result<(Option<Limit>, Option<After>), ApiError> {
        let limit = match self.parsed("limit", |raw| Limit::parse(Some(raw)))? {
            Some(limit) => Some(limit),
            None if self.ctx.query("limit")?.is_none() => Limit::parse(None).ok(),
            None => None,
        };
        let after = self.parsed("cursor", |raw| {
            Cursor::decode(raw)
                .ok()
                .and_then(|c| decode_after(c.key(), id_ok))
                .ok_or("is not a cursor returned by this API")
        })?;
        Ok((limit, after))
    }

    /// The collected problems as one 422, or the value when there were none.
    pub(crate) fn finish<T>(self, value: Option<T>) -> Result<T, ApiError> {
        match value {
            Some(v) if self.errors.is_empty() => Ok(v),
            _ if self.errors.is_empty() => Err(ApiError::invalid("query", "is invalid")),
            _ => Err(ApiError::Validation(self.errors)),
        }
    }
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
