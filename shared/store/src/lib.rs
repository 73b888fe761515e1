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
//!    The one exception is the right to be forgotten: [`erasure`] runs every owner's
//!    own erasure statements in the erasing request's single transaction.
//!
//! # Journal mode
//!
//! Spin opens SQLite with its defaults (rollback journal, `synchronous=FULL`). The
//! first migration switches the database file to WAL, which persists in the file:
//! measured under Spin it raises single-row insert throughput 3.6× and lets readers
//! proceed while one writer commits. `synchronous` stays FULL (it is per connection and
//! we do not pay a statement per request to lower it): a committed ledger entry
//! survives a power cut. Remote libSQL ignores the pragma, which is harmless.
//!
//! # Deleted content
//!
//! Both adapters open every connection with [`SECURE_DELETE_FAST`]: what a delete or a
//! rewrite frees inside a page is overwritten with zeros, so the old version of a
//! changed row does not linger in the file's free space (it costs CPU, no extra I/O,
//! and one statement per connection: a few microseconds natively, below the noise of a
//! sequential run on Spin). The erasure turns it fully on ([`erasure`]).
#![warn(missing_docs)]

pub mod audit;
pub mod delegated;
pub mod erasure;
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

use std::cell::Cell;

/// Run on every connection as it opens: SQLite zeroes what a delete or rewrite frees
/// inside a b-tree page (not whole pages put on the free list: see
/// [`erasure::with_secure_delete`]).
pub const SECURE_DELETE_FAST: &str = "PRAGMA secure_delete = FAST";

/// A connection to the app's SQL database (`default`).
pub trait Database {
    /// Runs one SQL statement with positional `?` parameters and returns its rows.
    fn execute(&self, sql: &str, params: &[Value]) -> Result<Rows, StoreError>;

    /// How many [`in_transaction`] scopes are open on this connection, for adapters
    /// that keep count (both of ours do): inside an open one, `in_transaction` is a
    /// savepoint, so a handler's transaction nests in the request's. `None`: not
    /// counted, every call begins its own transaction.
    fn open_transactions(&self) -> Option<&Cell<u32>> {
        None
    }
}

/// Runs `work` between `BEGIN IMMEDIATE` and `COMMIT` on `db`, rolling back if it
/// fails, and returns what `work` returned. Inside another `in_transaction` on the same
/// connection it is a savepoint instead: its work is undone alone when it fails, and
/// commits with the enclosing transaction. See rule 2 in the crate documentation
/// before reaching for this.
pub fn in_transaction<T, E: From<StoreError>>(
    db: &dyn Database,
    work: impl FnOnce(&dyn Database) -> Result<T, E>,
) -> Result<T, E> {
    let depth = db.open_transactions();
    if let Some(depth) = depth.filter(|d| d.get() > 0) {
        return in_savepoint(db, depth, work);
    }
    db.execute("BEGIN IMMEDIATE", &[])?;
    let _open = depth.map(Open::enter);
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

/// One name for every level: `ROLLBACK TO` and `RELEASE` act on the innermost savepoint
/// of that name, which is this scope's while scopes nest strictly.
fn in_savepoint<T, E: From<StoreError>>(
    db: &dyn Database,
    depth: &Cell<u32>,
    work: impl FnOnce(&dyn Database) -> Result<T, E>,
) -> Result<T, E> {
    db.execute("SAVEPOINT crm_nested", &[])?;
    let _open = Open::enter(depth);
    match work(db) {
        Ok(value) => {
            db.execute("RELEASE crm_nested", &[])?;
            Ok(value)
        }
        Err(e) => {
            let _ = db.execute("ROLLBACK TO crm_nested", &[]);
            let _ = db.execute("RELEASE crm_nested", &[]);
            Err(e)
        }
    }
}

/// Counts one open scope for as long as it lives.
struct Open<'a>(&'a Cell<u32>);

impl<'a> Open<'a> {
    fn enter(depth: &'a Cell<u32>) -> Open<'a> {
        depth.set(depth.get() + 1);
        Open(depth)
    }
}

impl Drop for Open<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get().saturating_sub(1));
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
