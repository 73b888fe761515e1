//! Lazy access to the request's stores: a handler that never touches the database
//! never pays for opening it, and the first one to touch it applies pending migrations.

use crate::{Database, KeyValue, MapVariables, StoreError, Variables, migrations};
use std::cell::OnceCell;

type Opener<T> = Box<dyn Fn() -> Result<Box<T>, StoreError>>;

/// The stores one request may use, opened on first use.
pub struct Stores {
    open_database: Opener<dyn Database>,
    open_key_value: Opener<dyn KeyValue>,
    database: OnceCell<(Box<dyn Database>, i64)>,
    key_value: OnceCell<Box<dyn KeyValue>>,
    variables: Box<dyn Variables>,
}

impl Stores {
    /// Stores backed by the given openers (see the `spin` and `native` adapters).
    pub fn new(open_database: Opener<dyn Database>, open_key_value: Opener<dyn KeyValue>) -> Self {
        Stores {
            open_database,
            open_key_value,
            database: OnceCell::new(),
            key_value: OnceCell::new(),
            variables: Box::new(MapVariables::default()),
        }
    }

    /// These stores with `variables` as the component's configuration.
    pub fn with_variables(mut self, variables: Box<dyn Variables>) -> Self {
        self.variables = variables;
        self
    }

    /// The component's configuration (Spin variables).
    pub fn variables(&self) -> &dyn Variables {
        self.variables.as_ref()
    }

    /// The SQL database, migrated to the latest schema.
    pub fn database(&self) -> Result<&dyn Database, StoreError> {
        self.migrated().map(|(db, _)| db.as_ref())
    }

    /// The schema version the database is at after migrating.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.migrated().map(|(_, version)| *version)
    }

    /// The `default` key-value store.
    pub fn key_value(&self) -> Result<&dyn KeyValue, StoreError> {
        if let Some(kv) = self.key_value.get() {
            return Ok(kv.as_ref());
        }
        let kv = (self.open_key_value)()?;
        Ok(self.key_value.get_or_init(|| kv).as_ref())
    }

    fn migrated(&self) -> Result<&(Box<dyn Database>, i64), StoreError> {
        if let Some(opened) = self.database.get() {
            return Ok(opened);
        }
        let db = (self.open_database)()?;
        let version = migrations::migrate(db.as_ref())?;
        Ok(self.database.get_or_init(|| (db, version)))
    }
}
