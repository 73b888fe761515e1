//! Native test support: drive a [`Service`] through [`serve`] over rusqlite stores in a
//! state directory, exactly as the Spin entry point would, minus WebAssembly.

use crate::{Response, Service, serve};
use crm_store::native::{fresh_state_dir, stores_in};
use std::path::{Path, PathBuf};

/// A service with its own fresh stores.
pub struct TestService<'a> {
    service: &'a Service,
    dir: PathBuf,
}

impl<'a> TestService<'a> {
    /// `service` over a fresh state directory named after the test.
    pub fn new(service: &'a Service, name: &str) -> TestService<'a> {
        TestService {
            service,
            dir: fresh_state_dir(name),
        }
    }

    /// `other` over the same stores, as another component of the same app: a test can
    /// write through one service and read the result through another.
    pub fn alongside<'b>(&self, other: &'b Service) -> TestService<'b> {
        TestService {
            service: other,
            dir: self.dir.clone(),
        }
    }

    /// The state directory (`sqlite_db.db`, `sqlite_key_value.db`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Serves one request; each call opens its stores afresh, as each Spin request does.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Response {
        let mut builder = http::Request::builder().method(method).uri(path);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let body = body.map(|b| b.as_bytes().to_vec()).unwrap_or_default();
        match builder.body(body) {
            Ok(request) => serve(self.service, request, &stores_in(&self.dir)),
            Err(e) => panic!("test request is malformed: {e}"),
        }
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> Response {
        self.request("GET", path, None, &[])
    }

    /// `POST path` with a JSON body and extra headers.
    pub fn post_json(
        &self,
        path: &str,
        body: &serde_json::Value,
        headers: &[(&str, &str)],
    ) -> Response {
        let mut all = vec![("content-type", "application/json")];
        all.extend_from_slice(headers);
        self.request("POST", path, Some(&body.to_string()), &all)
    }

    /// Runs `sql` against the database and returns the first column of every row as text
    /// (integers formatted), for assertions that nothing was written.
    pub fn sql_column(&self, sql: &str) -> Vec<String> {
        let stores = stores_in(&self.dir);
        let db = match stores.database() {
            Ok(db) => db,
            Err(e) => panic!("database: {e}"),
        };
        let rows = match db.execute(sql, &[]) {
            Ok(rows) => rows,
            Err(e) => panic!("{sql}: {e}"),
        };
        rows.iter()
            .map(|r| match r.values().first() {
                Some(crm_store::Value::Integer(i)) => i.to_string(),
                Some(crm_store::Value::Text(t)) => t.clone(),
                Some(other) => format!("{other:?}"),
                None => String::new(),
            })
            .collect()
    }
}

/// The body of `response` as JSON; panics with the body text when it is not JSON.
pub fn json(response: &Response) -> serde_json::Value {
    serde_json::from_slice(response.body()).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}",
            String::from_utf8_lossy(response.body())
        )
    })
}
