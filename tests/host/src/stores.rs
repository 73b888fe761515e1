//! The `default` key-value store and `default` SQLite database, kept where
//! `spin up` keeps them and with the same SQLite usage.
//!
//! Key-value (Spin's `crates/key-value-spin/src/store.rs`): one rusqlite
//! connection for the whole app behind a mutex, opened on first use, table
//! `spin_key_value(store, key, value)`.
//!
//! SQLite (Spin's `crates/sqlite-inproc/src/lib.rs`): every
//! `Connection::open` gets its own rusqlite connection, opened lazily on its
//! first statement, with rusqlite's defaults and no pragmas; each `execute`
//! prepares one statement (cached), binds the parameters positionally and
//! collects every row; every failure becomes `io(<rusqlite message>)`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use rusqlite::types::{Value as SqlValue, ValueRef};

/// The only store/database label this host provides, as `spin up` without a
/// runtime-config file.
pub const DEFAULT_LABEL: &str = "default";

/// Spin's cap on one buffered query result (`spin_world::MAX_HOST_BUFFERED_BYTES`).
pub const MAX_RESULT_BYTES: usize = 128 << 20;

// ---- key-value ---------------------------------------------------------------

pub struct KvBackend {
    path: PathBuf,
    connection: OnceLock<Arc<Mutex<rusqlite::Connection>>>,
}

impl KvBackend {
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            connection: OnceLock::new(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The shared connection, created (with its table) on first use.
    pub fn connection(&self) -> Result<Arc<Mutex<rusqlite::Connection>>, String> {
        if let Some(c) = self.connection.get() {
            return Ok(c.clone());
        }
        let conn = rusqlite::Connection::open(&self.path).map_err(|e| e.to_string())?;
        conn.execute(
            "CREATE TABLE IF NOT EXISTS spin_key_value (
                store TEXT NOT NULL,
                key   TEXT NOT NULL,
                value BLOB NOT NULL,
                PRIMARY KEY (store, key)
            )",
            [],
        )
        .map_err(|e| e.to_string())?;
        // A racing first use may have won; both connections are equivalent.
        Ok(self
            .connection
            .get_or_init(|| Arc::new(Mutex::new(conn)))
            .clone())
    }
}

/// One opened key-value store: its label and the app-wide connection.
#[derive(Clone)]
pub struct KvStore {
    pub name: String,
    pub connection: Arc<Mutex<rusqlite::Connection>>,
}

fn lock(
    c: &Mutex<rusqlite::Connection>,
) -> Result<std::sync::MutexGuard<'_, rusqlite::Connection>, String> {
    c.lock()
        .map_err(|_| "key-value connection poisoned by an earlier panic".to_string())
}

impl KvStore {
    pub fn get(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        let conn = lock(&self.connection)?;
        let mut stmt = conn
            .prepare_cached("SELECT value FROM spin_key_value WHERE store=$1 AND key=$2")
            .map_err(|e| e.to_string())?;
        let mut rows = stmt
            .query_map([&self.name, key], |row| row.get::<_, Vec<u8>>(0))
            .map_err(|e| e.to_string())?;
        rows.next().transpose().map_err(|e| e.to_string())
    }

    pub fn set(&self, key: &str, value: &[u8]) -> Result<(), String> {
        let conn = lock(&self.connection)?;
        conn.prepare_cached(
            "INSERT INTO spin_key_value (store, key, value) VALUES ($1, $2, $3)
             ON CONFLICT(store, key) DO UPDATE SET value=$3",
        )
        .map_err(|e| e.to_string())?
        .execute(rusqlite::params![&self.name, key, value])
        .map(drop)
        .map_err(|e| e.to_string())
    }

    pub fn delete(&self, key: &str) -> Result<(), String> {
        let conn = lock(&self.connection)?;
        conn.prepare_cached("DELETE FROM spin_key_value WHERE store=$1 AND key=$2")
            .map_err(|e| e.to_string())?
            .execute([&self.name, key])
            .map(drop)
            .map_err(|e| e.to_string())
    }

    pub fn exists(&self, key: &str) -> Result<bool, String> {
        let conn = lock(&self.connection)?;
        conn.prepare_cached("SELECT 1 FROM spin_key_value WHERE store=$1 AND key=$2 LIMIT 1")
            .map_err(|e| e.to_string())?
            .exists([&self.name, key])
            .map_err(|e| e.to_string())
    }

    pub fn get_keys(&self) -> Result<Vec<String>, String> {
        let conn = lock(&self.connection)?;
        let mut stmt = conn
            .prepare_cached("SELECT key FROM spin_key_value WHERE store=$1")
            .map_err(|e| e.to_string())?;
        stmt.query_map([&self.name], |row| row.get::<_, String>(0))
            .map_err(|e| e.to_string())?
            .map(|r| r.map_err(|e| e.to_string()))
            .collect()
    }
}

// ---- SQLite ------------------------------------------------------------------

/// A value crossing the `fermyon:spin/sqlite` boundary.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
    Null,
}

impl Value {
    /// Spin's accounting for the result-size cap.
    fn memory_size(&self) -> usize {
        let base = std::mem::size_of::<Self>();
        match self {
            Self::Text(t) => base + t.len(),
            Self::Blob(b) => base + b.len(),
            _ => base,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct QueryResult {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

/// One guest-side `Connection`: its own rusqlite connection, opened lazily.
pub struct SqliteConnection {
    path: PathBuf,
    connection: OnceLock<Arc<Mutex<rusqlite::Connection>>>,
}

impl SqliteConnection {
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            connection: OnceLock::new(),
        }
    }

    fn db(&self) -> Result<Arc<Mutex<rusqlite::Connection>>, String> {
        if let Some(c) = self.connection.get() {
            return Ok(c.clone());
        }
        let conn = rusqlite::Connection::open(&self.path).map_err(|e| e.to_string())?;
        Ok(self
            .connection
            .get_or_init(|| Arc::new(Mutex::new(conn)))
            .clone())
    }

    /// Runs one statement on the blocking pool. Errors are the text Spin
    /// would put in `error::io`.
    pub async fn execute(&self, sql: String, params: Vec<Value>) -> Result<QueryResult, String> {
        let db = self.db()?;
        match tokio::task::spawn_blocking(move || execute_query(&db, &sql, params)).await {
            Ok(result) => result,
            // Spin reports a panicked query task with only its context line.
            Err(_) => Err("internal runtime error".to_string()),
        }
    }
}

fn execute_query(
    db: &Mutex<rusqlite::Connection>,
    sql: &str,
    params: Vec<Value>,
) -> Result<QueryResult, String> {
    let conn = db
        .lock()
        .map_err(|_| "internal runtime error".to_string())?;
    let mut stmt = conn.prepare_cached(sql).map_err(|e| e.to_string())?;
    let columns: Vec<String> = stmt.column_names().into_iter().map(String::from).collect();
    let column_count = stmt.column_count();
    let params = params.into_iter().map(|v| match v {
        Value::Null => SqlValue::Null,
        Value::Integer(i) => SqlValue::Integer(i),
        Value::Real(r) => SqlValue::Real(r),
        Value::Text(t) => SqlValue::Text(t),
        Value::Blob(b) => SqlValue::Blob(b),
    });
    let mut rows_iter = stmt
        .query(rusqlite::params_from_iter(params))
        .map_err(|e| e.to_string())?;
    let mut rows = Vec::new();
    let mut bytes = 0usize;
    loop {
        let row = match rows_iter.next() {
            Ok(Some(row)) => row,
            Ok(None) => break,
            Err(e) => return Err(e.to_string()),
        };
        let mut values = Vec::with_capacity(column_count);
        for i in 0..column_count {
            let value = match row.get_ref(i).map_err(|e| e.to_string())? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(i) => Value::Integer(i),
                ValueRef::Real(f) => Value::Real(f),
                // Spin unwraps the UTF-8 conversion; the panic surfaces to
                // the guest as this message, so mirror the message without
                // panicking.
                ValueRef::Text(t) => Value::Text(
                    String::from_utf8(t.to_vec())
                        .map_err(|_| "internal runtime error".to_string())?,
                ),
                ValueRef::Blob(b) => Value::Blob(b.to_vec()),
            };
            values.push(value);
        }
        bytes += values.iter().map(Value::memory_size).sum::<usize>();
        if bytes > MAX_RESULT_BYTES {
            return Err(format!(
                "query result exceeds limit of {MAX_RESULT_BYTES} bytes"
            ));
        }
        rows.push(values);
    }
    Ok(QueryResult { columns, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread")]
    async fn sqlite_statement_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let c = SqliteConnection::new(dir.path().join("db.sqlite"));
        c.execute(
            "CREATE TABLE t (a INTEGER, b TEXT, c REAL, d BLOB)".into(),
            vec![],
        )
        .await
        .expect("create");
        c.execute(
            "INSERT INTO t VALUES (?, ?, ?, ?)".into(),
            vec![
                Value::Integer(1),
                Value::Text("x".into()),
                Value::Real(1.5),
                Value::Null,
            ],
        )
        .await
        .expect("insert");
        let r = c
            .execute("SELECT * FROM t".into(), vec![])
            .await
            .expect("select");
        assert_eq!(r.columns, vec!["a", "b", "c", "d"]);
        assert_eq!(
            r.rows,
            vec![vec![
                Value::Integer(1),
                Value::Text("x".into()),
                Value::Real(1.5),
                Value::Null
            ]]
        );
        // Like Spin: one statement per execute, rusqlite's message verbatim.
        let err = c
            .execute("SELECT 1; SELECT 2".into(), vec![])
            .await
            .expect_err("two statements");
        assert_eq!(err, "Multiple statements provided");
        let err = c
            .execute("SELEC 1".into(), vec![])
            .await
            .expect_err("syntax");
        assert!(err.contains("syntax error"), "{err}");
    }

    #[test]
    fn kv_round_trip_and_layout() {
        let dir = tempfile::tempdir().expect("tempdir");
        let backend = KvBackend::new(dir.path().join("kv.db"));
        let store = KvStore {
            name: "default".into(),
            connection: backend.connection().expect("open"),
        };
        assert_eq!(store.get("k"), Ok(None));
        store.set("k", b"v1").expect("set");
        store.set("k", b"v2").expect("overwrite");
        assert_eq!(store.get("k"), Ok(Some(b"v2".to_vec())));
        assert_eq!(store.exists("k"), Ok(true));
        assert_eq!(store.get_keys(), Ok(vec!["k".to_string()]));
        store.delete("k").expect("delete");
        assert_eq!(store.exists("k"), Ok(false));
        store.set("k2", b"x").expect("set");
        // Spin's table layout, so a state dir moves between the two hosts.
        let conn = rusqlite::Connection::open(dir.path().join("kv.db")).expect("open");
        let (s, k, v): (String, String, Vec<u8>) = conn
            .query_row("SELECT store, key, value FROM spin_key_value", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .expect("row");
        assert_eq!(
            (s.as_str(), k.as_str(), v.as_slice()),
            ("default", "k2", &b"x"[..])
        );
    }
}
