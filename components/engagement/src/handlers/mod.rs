//! HTTP ⇄ domain for account events, alert rules, alerts and tasks. Handlers parse and
//! validate at the edge (reporting every bad field at once), call the repository, and
//! shape the answer; the rules themselves live in `crm_domain::engagement`.

pub mod alerts;
pub mod churn;
pub mod events;
pub mod rules;
pub mod tasks;

use crm_domain::time::Timestamp;

pub(crate) use crm_http::require_recordable_customer as require_customer;

/// What a staff id must be (a manager, an assignee); the message names the rule.
pub(crate) const STAFF_ID_RULE: &str = "must be 1 to 64 characters of A-Z a-z 0-9 . _ - : @";

/// A staff id from a query parameter or body member, or why it is not one.
pub(crate) fn staff_id(raw: &str) -> Result<String, &'static str> {
    if crm_domain::interaction::valid_actor(raw) {
        Ok(raw.to_owned())
    } else {
        Err(STAFF_ID_RULE)
    }
}

/// An instant stored as milliseconds, as RFC 3339.
pub(crate) fn ts(ms: i64) -> Timestamp {
    Timestamp::from_unix_millis(ms)
}

/// Query parameters collected with every problem they have, for one 422.
pub(crate) use crm_http::QueryParams as Query;
