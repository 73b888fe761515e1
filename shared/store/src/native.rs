//! The rusqlite adapter, for native tests: the same SQL text as the Spin adapter runs,
//! opened the way Spin opens it (rusqlite defaults) plus the one pragma the Spin
//! adapter also sets on every connection, `secure_delete = FAST`.

use crate::{Database, KeyValue, Rows, StoreError, Stores, Value};
use rusqlite::types::ValueRef;
use std::cell::Cell;
use std::path::{Path, PathBuf};

/// A SQLite connection through rusqlite.
pub struct NativeDatabase {
    conn: rusqlite::Connection,
    open_transactions: Cell<u32>,
}

impl NativeDatabase {
    /// Opens (creating if needed) the database file at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = rusqlite::Connection::open(path).map_err(to_store_error)?;
        let db = NativeDatabase {
            conn,
            open_transactions: Cell::new(0),
        };
        db.execute(crate::SECURE_DELETE_FAST, &[])?;
        Ok(db)
    }
}

impl Database for NativeDatabase {
    fn open_transactions(&self) -> Option<&Cell<u32>> {
        Some(&self.open_transactions)
    }

    fn execute(&self, sql: &str, params: &[Value]) -> Result<Rows, StoreError> {
        let mut statement = self.conn.prepare_cached(sql).map_err(to_store_error)?;
        let columns: Vec<String> = statement
            .column_names()
            .into_iter()
            .map(String::from)
            .collect();
        let width = columns.len();
        let params = rusqlite::params_from_iter(params.iter().map(to_sql));
        let mut rows = statement.query(params).map_err(to_store_error)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(to_store_error)? {
            let mut values = Vec::with_capacity(width);
            for i in 0..width {
                values.push(from_sql(row.get_ref(i).map_err(to_store_error)?));
            }
            out.push(values);
        }
        Ok(Rows::new(columns, out))
    }
}

fn to_sql(value: &Value) -> rusqlite::types::Value {
    match value {
        Value::Integer(v) => rusqlite::types::Value::Integer(*v),
        Value::Real(v) => rusqlite::types::Value::Real(*v),
        Value::Text(v) => rusqlite::types::Value::Text(v.clone()),
        Value::Blob(v) => rusqlite::types::Value::Blob(v.clone()),
        Value::Null => rusqlite::types::Value::Null,
    }
}

fn from_sql(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Integer(v) => Value::Integer(v),
        ValueRef::Real(v) => Value::Real(v),
        ValueRef::Text(v) => Value::Text(String::from_utf8_lossy(v).into_owned()),
        ValueRef::Blob(v) => Value::Blob(v.to_vec()),
        ValueRef::Null => Value::Null,
    }
}

fn to_store_error(e: rusqlite::Error) -> StoreError {
    StoreError::from_sqlite_message(e.to_string())
}

/// A key-value store in SQLite, laid out like Spin's default key-value backend.
pub struct NativeKeyValue {
    conn: rusqlite::Connection,
}

impl NativeKeyValue {
    /// Opens (creating if needed) the key-value file at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = rusqlite::Connection::open(path).map_err(to_store_error)?;
        conn.execute(
            "CREATE TABLE IF NOT EXISTS spin_key_value (
                store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
                PRIMARY KEY (store, key))",
            [],
        )
        .map_err(to_store_error)?;
        Ok(NativeKeyValue { conn })
    }
}

impl KeyValue for NativeKeyValue {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached("SELECT value FROM spin_key_value WHERE store = 'default' AND key = ?")
            .map_err(to_store_error)?;
        let mut rows = st.query([key]).map_err(to_store_error)?;
        match rows.next().map_err(to_store_error)? {
            Some(row) => row.get(0).map(Some).map_err(to_store_error),
            None => Ok(None),
        }
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO spin_key_value (store, key, value) VALUES ('default', ?, ?)
                 ON CONFLICT (store, key) DO UPDATE SET value = excluded.value",
                rusqlite::params![key, value],
            )
            .map(drop)
            .map_err(to_store_error)
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "DELETE FROM spin_key_value WHERE store = 'default' AND key = ?",
                [key],
            )
            .map(drop)
            .map_err(to_store_error)
    }

    fn exists(&self, key: &str) -> Result<bool, StoreError> {
        self.get(key).map(|v| v.is_some())
    }
}

/// Stores over files in `dir` named as Spin names them in its state directory.
pub fn stores_in(dir: &Path) -> Stores {
    let db_path: PathBuf = dir.join("sqlite_db.db");
    let kv_path: PathBuf = dir.join("sqlite_key_value.db");
    Stores::new(
        Box::new(move || Ok(Box::new(NativeDatabase::open(&db_path)?))),
        Box::new(move || Ok(Box::new(NativeKeyValue::open(&kv_path)?))),
    )
}

/// A fresh, empty directory under the system temp dir for one test's state, unique per
/// process, thread and `name`; removed and recreated if it exists.
pub fn fresh_state_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "crm-{name}-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::create_dir_all(&dir);
    dir
}
