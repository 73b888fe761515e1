//! The Spin adapter: `fermyon:spin/sqlite@2.0.0` and `fermyon:spin/key-value@2.0.0`
//! through spin-sdk, the interfaces every Spin 3.x and 4.x host provides.

use crate::Variables;
use crate::{Database, KeyValue, Rows, StoreError, Stores, Value};
use spin_sdk::{key_value, sqlite, variables};
use std::cell::Cell;
use std::time::{Duration, Instant};

/// The label both stores have in `spin.toml`.
const DEFAULT: &str = "default";

/// A connection to a Spin SQLite database.
pub struct SpinDatabase {
    conn: sqlite::Connection,
    open_transactions: Cell<u32>,
}

/// How long a statement keeps retrying while another connection holds the lock it needs
/// (rusqlite's busy timeout, which Spin's connections start with, is also 5 s).
const LOCK_PATIENCE: Duration = Duration::from_secs(5);
/// The shortest and the longest pause before retrying a locked statement.
const FIRST_PAUSE: Duration = Duration::from_micros(50);
const LONGEST_PAUSE: Duration = Duration::from_millis(1);

impl SpinDatabase {
    /// Opens the `default` database, waiting for locks in this adapter rather than in
    /// SQLite's busy handler.
    ///
    /// SQLite's default handler sleeps 1, 2, 5, 10 … 100 ms between tries, so under 16
    /// concurrent writers a statement that was unlucky a few times waited hundreds of
    /// milliseconds for a lock held for well under one (measured on Spin 4.0.2, a bare
    /// one-row insert: p99 492 ms). Here a statement retries every 1 ms to 50 µs
    /// ([`pause_after`]): p99 67 ms for the same insert (docs/performance.md).
    pub fn open_default() -> Result<Self, StoreError> {
        let conn = sqlite::Connection::open(DEFAULT).map_err(from_sqlite_error)?;
        let db = SpinDatabase {
            conn,
            open_transactions: Cell::new(0),
        };
        db.execute("PRAGMA busy_timeout = 0", &[])?;
        // A backend that refuses it (remote libSQL) keeps its own handling of deleted
        // content: not a reason to refuse every request.
        let _ = db.execute(crate::SECURE_DELETE_FAST, &[]);
        Ok(db)
    }

    fn execute_once(&self, sql: &str, params: &[sqlite::Value]) -> Result<Rows, StoreError> {
        let result = self.conn.execute(sql, params).map_err(from_sqlite_error)?;
        let rows = result
            .rows
            .into_iter()
            .map(|row| row.values.into_iter().map(from_spin).collect())
            .collect();
        Ok(Rows::new(result.columns, rows))
    }
}

impl Database for SpinDatabase {
    /// Runs the statement, trying again while the database is locked: a statement that
    /// gets `SQLITE_BUSY` has done nothing (SQLite checks locks before it changes
    /// anything), so running it again is safe, inside a transaction or not.
    fn execute(&self, sql: &str, params: &[Value]) -> Result<Rows, StoreError> {
        let params: Vec<sqlite::Value> = params.iter().map(to_spin).collect();
        let started = Instant::now();
        loop {
            match self.execute_once(sql, &params) {
                Err(StoreError::Busy) if started.elapsed() < LOCK_PATIENCE => {
                    std::thread::sleep(pause_after(started.elapsed()));
                }
                other => return other,
            }
        }
    }

    fn open_transactions(&self) -> Option<&Cell<u32>> {
        Some(&self.open_transactions)
    }
}

/// How long to wait before the next try, having waited `waited` so far: from 1 ms for a
/// newcomer down to 50 µs after 8 ms, plus up to half as much again at random. Age
/// priority: a statement that has waited long tries more often, so the writers that keep
/// arriving do not starve it (with SQLite's growing sleeps, and with a plain doubling
/// backoff, a few unlucky writes waited 0.5-1 s under 16 connections).
fn pause_after(waited: Duration) -> Duration {
    let pause = LONGEST_PAUSE.saturating_sub(waited / 8).max(FIRST_PAUSE);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let half = (pause.as_nanos() / 2).max(1) as u32;
    pause + Duration::from_nanos(u64::from(nanos % half))
}

fn to_spin(value: &Value) -> sqlite::Value {
    match value {
        Value::Integer(v) => sqlite::Value::Integer(*v),
        Value::Real(v) => sqlite::Value::Real(*v),
        Value::Text(v) => sqlite::Value::Text(v.clone()),
        Value::Blob(v) => sqlite::Value::Blob(v.clone()),
        Value::Null => sqlite::Value::Null,
    }
}

fn from_spin(value: sqlite::Value) -> Value {
    match value {
        sqlite::Value::Integer(v) => Value::Integer(v),
        sqlite::Value::Real(v) => Value::Real(v),
        sqlite::Value::Text(v) => Value::Text(v),
        sqlite::Value::Blob(v) => Value::Blob(v),
        sqlite::Value::Null => Value::Null,
    }
}

fn from_sqlite_error(e: sqlite::Error) -> StoreError {
    match e {
        sqlite::Error::AccessDenied => StoreError::AccessDenied,
        sqlite::Error::NoSuchDatabase => StoreError::NoSuchStore,
        sqlite::Error::Io(message) => StoreError::from_sqlite_message(message),
        other => StoreError::Backend(other.to_string()),
    }
}

/// The `default` Spin key-value store.
pub struct SpinKeyValue {
    store: key_value::Store,
}

impl SpinKeyValue {
    /// Opens the `default` store.
    pub fn open_default() -> Result<Self, StoreError> {
        key_value::Store::open(DEFAULT)
            .map(|store| SpinKeyValue { store })
            .map_err(from_kv_error)
    }
}

impl KeyValue for SpinKeyValue {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.store.get(key).map_err(from_kv_error)
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.store.set(key, value).map_err(from_kv_error)
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.store.delete(key).map_err(from_kv_error)
    }

    fn exists(&self, key: &str) -> Result<bool, StoreError> {
        self.store.exists(key).map_err(from_kv_error)
    }
}

fn from_kv_error(e: key_value::Error) -> StoreError {
    match e {
        key_value::Error::AccessDenied => StoreError::AccessDenied,
        key_value::Error::NoSuchStore => StoreError::NoSuchStore,
        other => StoreError::Backend(other.to_string()),
    }
}

/// The component's variables (`[component.x.variables]` in `spin.toml`).
pub struct SpinVariables;

impl Variables for SpinVariables {
    fn get(&self, name: &str) -> Option<String> {
        // Undefined and invalid names alike mean "not configured": the caller fails closed.
        variables::get(name).ok()
    }
}

/// The component's stores: Spin's `default` database and key-value store, and its
/// variables.
pub fn stores() -> Stores {
    Stores::new(
        Box::new(|| Ok(Box::new(SpinDatabase::open_default()?))),
        Box::new(|| Ok(Box::new(SpinKeyValue::open_default()?))),
    )
    .with_variables(Box::new(SpinVariables))
}
