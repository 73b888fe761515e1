//! The interactions service's tables, SQL text in consts, the same on Spin's SQLite and
//! rusqlite. Writes that must commit together run inside the caller's transaction
//! (`idempotency::run` or `crm_store::in_transaction`); each function says so.

pub mod complaints;
pub mod interactions;
pub mod surveys;

use crm_store::{Row, StoreError};

/// `column` as a boolean stored as 0/1.
pub(crate) fn flag(row: &Row<'_>, column: &str) -> Result<bool, StoreError> {
    row.i64(column).map(|v| v != 0)
}

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
