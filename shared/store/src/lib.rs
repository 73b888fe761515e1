//! The storage port every service talks to: one SQL interface and one key-value
//! interface, with two adapters that run the same SQL text: Spin's SQLite and
//! key-value (inside a component) and rusqlite (native tests).
//!
//! # Rules for writing to the shared database
//!
//! Spin's SQLite interface has no transaction call, each `execute` runs one
//! statement, and a request can never hold a transaction open across requests.
//! Therefore:
//!
//! 1. Every change that carries an invariant is **one statement**: a conditional
//!    `INSERT … SELECT … WHERE`, an `UPDATE … WHERE version = ?`, `ON CONFLICT DO
//!    NOTHING`, with `RETURNING` to learn what happened. SQLite runs one statement
//!    atomically on every backend, local or remote.
//! 2. Where several statements truly must commit together, use
//!    [`in_transaction`] (`BEGIN IMMEDIATE … COMMIT` on the one connection of
//!    the request). It works on Spin's local SQLite; it is unproven on remote
//!    libSQL/Turso, so keep such places rare, and prove them under concurrency.
//! 3. A busy database ([`StoreError::Busy`]) becomes `503` with `retry-after`, never a
//!    500 and never a silent retry loop inside the request.
//! 4. Uniqueness (idempotency keys, national ids) lives in SQLite `UNIQUE`
//!    constraints. Spin's default key-value store serialises every operation app-wide
//!    and has no insert-if-absent: keep it off hot paths and never use it for
//!    uniqueness.
//! 5. Each service writes only its own tables; others read them through read models.
//!
//! # Journal mode
//!
//! Spin opens SQLite with its defaults (rollback journal, `synchronous=FULL`). The
//! first migration switches the database file to WAL, which persists in the file:
//! measured under Spin it raises single-row insert throughput 3.6× and lets readers
//! proceed while one writer commits. `synchronous` stays FULL (it is per connection and
//! we do not pay a statement per request to lower it): a committed ledger entry
//! survives a power cut. Remote libSQL ignores the pragma, which is harmless.
#![warn(missing_docs)]

pub mod audit;
mod error;
pub mod migrations;
pub mod read;
mod rows;
pub mod schema;
mod stores;
mod variables;

#[cfg(not(target_arch = "wasm32"))]
pub mod native;
#[cfg(target_arch = "wasm32")]
pub mod spin;

pub use error::StoreError;
pub use migrations::Migration;
pub use rows::{Row, Rows, Value};
pub use stores::Stores;
pub use variables::{MapVariables, Variables};

/// A connection to the app's SQL database (`default`).
pub trait Database {
    /// Runs one SQL statement with positional `?` parameters and returns its rows.
    fn execute(&self, sql: &str, params: &[Value]) -> Result<Rows, StoreError>;
}

/// Runs `work` between `BEGIN IMMEDIATE` and `COMMIT` on `db`, rolling back if it
/// fails, and returns what `work` returned. See rule 2 in the crate documentation
/// before reaching for this.
pub fn in_transaction<T, E: From<StoreError>>(
    db: &dyn Database,
    work: impl FnOnce(&dyn Database) -> Result<T, E>,
) -> Result<T, E> {
    db.execute("BEGIN IMMEDIATE", &[])?;
    match work(db) {
        Ok(value) => match db.execute("COMMIT", &[]) {
            Ok(_) => Ok(value),
            Err(e) => {
                // A failed COMMIT leaves the transaction open; close it so the
                // connection is not left holding the write lock.
                let _ = db.execute("ROLLBACK", &[]);
                Err(e.into())
            }
        },
        Err(e) => {
            // The original error is what the caller needs; a rollback failure here
            // means the transaction is already gone.
            let _ = db.execute("ROLLBACK", &[]);
            Err(e)
        }
    }
}

/// [`in_transaction`] for work whose only errors are store errors.
pub fn transaction(
    db: &dyn Database,
    work: &mut dyn FnMut(&dyn Database) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    in_transaction(db, |db| work(db))
}

/// A key-value store (`default`): small values off the hot path, never uniqueness.
pub trait KeyValue {
    /// The value stored under `key`, if any.
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Stores `value` under `key`, replacing what was there.
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError>;
    /// Removes `key`; removing an absent key is not an error.
    fn delete(&self, key: &str) -> Result<(), StoreError>;
    /// Whether `key` holds a value.
    fn exists(&self, key: &str) -> Result<bool, StoreError>;
}
