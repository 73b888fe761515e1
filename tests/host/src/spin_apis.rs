//! Host side of `fermyon:spin/{key-value,sqlite,variables}@2.0.0`.
//!
//! Permission checks follow Spin's factors: `crates/factor-key-value/src/host.rs`
//! (an unlisted label is `access-denied` whether or not it exists, checked
//! before anything else), `crates/factor-sqlite/src/host.rs` (same for
//! databases; an unknown connection handle is `invalid-connection`) and
//! `crates/factor-variables/src/host.rs` (name validated first, then looked
//! up among the component's variables).

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use wasmtime::component::{HasData, Resource, ResourceTable};

use crate::stores::{self, KvBackend, KvStore, SqliteConnection};
use crate::variables::{Resolver, VarError};

wasmtime::component::bindgen!({
    path: "wit",
    world: "crm:host/spin-imports",
    imports: { default: async | trappable },
    with: {
        "fermyon:spin/key-value.store": crate::stores::KvStore,
        "fermyon:spin/sqlite.connection": crate::stores::SqliteConnection,
    },
});

use fermyon::spin::{key_value, sqlite, variables};

/// Spin's per-instance cap on open SQLite connections.
const MAX_SQLITE_CONNECTIONS: usize = 256;

/// What one component instance may reach, plus its open handles.
pub struct SpinCtx {
    pub component_id: Arc<str>,
    pub allowed_kv: Arc<HashSet<String>>,
    pub allowed_sqlite: Arc<HashSet<String>>,
    pub kv: Arc<KvBackend>,
    pub sqlite_path: Arc<PathBuf>,
    pub resolver: Arc<Resolver>,
    pub table: ResourceTable,
    pub sqlite_open: usize,
}

/// `HasData` marker so the generated `add_to_linker` can borrow `SpinCtx`.
pub struct SpinData;

impl HasData for SpinData {
    type Data<'a> = &'a mut SpinCtx;
}

pub fn add_to_linker<T: Send + 'static>(
    linker: &mut wasmtime::component::Linker<T>,
    get: fn(&mut T) -> &mut SpinCtx,
) -> wasmtime::Result<()> {
    key_value::add_to_linker::<T, SpinData>(linker, get)?;
    sqlite::add_to_linker::<T, SpinData>(linker, get)?;
    variables::add_to_linker::<T, SpinData>(linker, get)?;
    Ok(())
}

async fn blocking<R: Send + 'static>(
    f: impl FnOnce() -> R + Send + 'static,
) -> wasmtime::Result<R> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| wasmtime::Error::msg(format!("host task failed: {e}")))
}

// ---- key-value ---------------------------------------------------------------

impl key_value::Host for SpinCtx {}

impl key_value::HostStore for SpinCtx {
    async fn open(
        &mut self,
        label: String,
    ) -> wasmtime::Result<Result<Resource<KvStore>, key_value::Error>> {
        if !self.allowed_kv.contains(&label) {
            return Ok(Err(key_value::Error::AccessDenied));
        }
        // Start-up refuses grants of any label but `default`, so an allowed
        // label is always the default store.
        let kv = self.kv.clone();
        let connection = match blocking(move || kv.connection()).await? {
            Ok(c) => c,
            Err(e) => return Ok(Err(key_value::Error::Other(e))),
        };
        let store = KvStore {
            name: label,
            connection,
        };
        Ok(Ok(self.table.push(store)?))
    }

    async fn get(
        &mut self,
        store: Resource<KvStore>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, key_value::Error>> {
        let store = self.table.get(&store)?.clone();
        Ok(blocking(move || store.get(&key))
            .await?
            .map_err(key_value::Error::Other))
    }

    async fn set(
        &mut self,
        store: Resource<KvStore>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), key_value::Error>> {
        let store = self.table.get(&store)?.clone();
        Ok(blocking(move || store.set(&key, &value))
            .await?
            .map_err(key_value::Error::Other))
    }

    async fn delete(
        &mut self,
        store: Resource<KvStore>,
        key: String,
    ) -> wasmtime::Result<Result<(), key_value::Error>> {
        let store = self.table.get(&store)?.clone();
        Ok(blocking(move || store.delete(&key))
            .await?
            .map_err(key_value::Error::Other))
    }

    async fn exists(
        &mut self,
        store: Resource<KvStore>,
        key: String,
    ) -> wasmtime::Result<Result<bool, key_value::Error>> {
        let store = self.table.get(&store)?.clone();
        Ok(blocking(move || store.exists(&key))
            .await?
            .map_err(key_value::Error::Other))
    }

    async fn get_keys(
        &mut self,
        store: Resource<KvStore>,
    ) -> wasmtime::Result<Result<Vec<String>, key_value::Error>> {
        let store = self.table.get(&store)?.clone();
        Ok(blocking(move || store.get_keys())
            .await?
            .map_err(key_value::Error::Other))
    }

    async fn drop(&mut self, store: Resource<KvStore>) -> wasmtime::Result<()> {
        self.table.delete(store)?;
        Ok(())
    }
}

// ---- SQLite ------------------------------------------------------------------

impl sqlite::Host for SpinCtx {}

impl sqlite::HostConnection for SpinCtx {
    async fn open(
        &mut self,
        database: String,
    ) -> wasmtime::Result<Result<Resource<SqliteConnection>, sqlite::Error>> {
        if !self.allowed_sqlite.contains(&database) {
            return Ok(Err(sqlite::Error::AccessDenied));
        }
        if database != stores::DEFAULT_LABEL {
            return Ok(Err(sqlite::Error::NoSuchDatabase));
        }
        if self.sqlite_open >= MAX_SQLITE_CONNECTIONS {
            return Ok(Err(sqlite::Error::Io(
                "too many connections opened".to_string(),
            )));
        }
        let conn = SqliteConnection::new(self.sqlite_path.as_ref().clone());
        let handle = self.table.push(conn)?;
        self.sqlite_open += 1;
        Ok(Ok(handle))
    }

    async fn execute(
        &mut self,
        connection: Resource<SqliteConnection>,
        statement: String,
        parameters: Vec<sqlite::Value>,
    ) -> wasmtime::Result<Result<sqlite::QueryResult, sqlite::Error>> {
        let Ok(conn) = self.table.get(&connection) else {
            return Ok(Err(sqlite::Error::InvalidConnection));
        };
        let params = parameters
            .into_iter()
            .map(|v| match v {
                sqlite::Value::Integer(i) => stores::Value::Integer(i),
                sqlite::Value::Real(r) => stores::Value::Real(r),
                sqlite::Value::Text(t) => stores::Value::Text(t),
                sqlite::Value::Blob(b) => stores::Value::Blob(b),
                sqlite::Value::Null => stores::Value::Null,
            })
            .collect();
        let result = match conn.execute(statement, params).await {
            Ok(r) => r,
            Err(e) => return Ok(Err(sqlite::Error::Io(e))),
        };
        let rows = result
            .rows
            .into_iter()
            .map(|values| sqlite::RowResult {
                values: values
                    .into_iter()
                    .map(|v| match v {
                        stores::Value::Integer(i) => sqlite::Value::Integer(i),
                        stores::Value::Real(r) => sqlite::Value::Real(r),
                        stores::Value::Text(t) => sqlite::Value::Text(t),
                        stores::Value::Blob(b) => sqlite::Value::Blob(b),
                        stores::Value::Null => sqlite::Value::Null,
                    })
                    .collect(),
            })
            .collect();
        Ok(Ok(sqlite::QueryResult {
            columns: result.columns,
            rows,
        }))
    }

    async fn drop(&mut self, connection: Resource<SqliteConnection>) -> wasmtime::Result<()> {
        if self.table.delete(connection).is_ok() {
            self.sqlite_open = self.sqlite_open.saturating_sub(1);
        }
        Ok(())
    }
}

// ---- variables -----------------------------------------------------------------

impl variables::Host for SpinCtx {
    async fn get(&mut self, name: String) -> wasmtime::Result<Result<String, variables::Error>> {
        Ok(self
            .resolver
            .get(&self.component_id, &name)
            .map_err(|e| match e {
                VarError::InvalidName(m) => variables::Error::InvalidName(m),
                VarError::Undefined(m) => variables::Error::Undefined(m),
                VarError::Provider(m) => variables::Error::Provider(m),
                VarError::Other(m) => variables::Error::Other(m),
            }))
    }
}
