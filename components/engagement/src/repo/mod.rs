//! The engagement service's tables, SQL text in consts, the same on Spin's SQLite and
//! rusqlite. Writes that must commit together run inside the caller's transaction
//! (the write's own, or `crm_store::in_transaction`); each function says so.

pub mod alerts;
pub mod churn;
pub mod events;
pub mod rules;
pub mod tasks;

use crm_store::{Row, StoreError};

/// `column` as owned text, `None` for NULL.
pub(crate) fn opt_text(row: &Row<'_>, column: &str) -> Result<Option<String>, StoreError> {
    row.opt_str(column).map(|v| v.map(str::to_owned))
}

/// `column` as owned text.
pub(crate) fn text(row: &Row<'_>, column: &str) -> Result<String, StoreError> {
    row.str(column).map(str::to_owned)
}

/// A keyset position: the sort value and the id of the last item served.
pub use crm_domain::page::After;
