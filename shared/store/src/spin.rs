//! The Spin adapter: `fermyon:spin/sqlite@2.0.0` and `fermyon:spin/key-value@2.0.0`
//! through spin-sdk, the interfaces every Spin 3.x and 4.x host provides.

use crate::Variables;
use crate::{Database, KeyValue, Rows, StoreError, Stores, Value};
use spin_sdk::{key_value, sqlite, variables};

/// The label both stores have in `spin.toml`.
const DEFAULT: &str = "default";

/// A connection to a Spin SQLite database.
pub struct SpinDatabase {
    conn: sqlite::Connection,
}

impl SpinDatabase {
    /// Opens the `default` database.
    pub fn open_default() -> Result<Self, StoreError> {
        sqlite::Connection::open(DEFAULT)
            .map(|conn| SpinDatabase { conn })
            .map_err(from_sqlite_error)
    }
}

impl Database for SpinDatabase {
    fn execute(&self, sql: &str, params: &[Value]) -> Result<Rows, StoreError> {
        let params: Vec<sqlite::Value> = params.iter().map(to_spin).collect();
        let result = self.conn.execute(sql, &params).map_err(from_sqlite_error)?;
        let rows = result
            .rows
            .into_iter()
            .map(|row| row.values.into_iter().map(from_spin).collect())
            .collect();
        Ok(Rows::new(result.columns, rows))
    }
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
