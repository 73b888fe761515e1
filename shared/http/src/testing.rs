//! Native test support: drive a [`Service`] through [`serve`] over rusqlite stores in a
//! state directory, exactly as the Spin entry point would, minus WebAssembly.

use crate::auth::{VAR_AUDIENCE, VAR_HS256_SECRET, VAR_ISSUER, VAR_PUBLIC_KEY};
use crate::{Response, Service, serve};
use crm_store::MapVariables;
use crm_store::native::{fresh_state_dir, stores_in};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::path::{Path, PathBuf};

/// The HS256 secret native tests configure.
pub const TEST_SECRET: &str = "native-test-secret-of-at-least-32-bytes";
/// The issuer native tests configure.
pub const TEST_ISSUER: &str = "https://auth.test.example";
/// The audience native tests configure.
pub const TEST_AUDIENCE: &str = "bank-crm";
/// The identity a [`TestService`] calls with unless told otherwise: an admin.
pub const DEFAULT_SUB: &str = "dev-admin";

/// Unpadded base64url, as JWS uses.
pub fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// A JWT with `header` and `claims`, signed with HS256 under `secret` (whatever
/// `alg` the header claims, so tests can forge confused tokens).
pub fn sign_hs256(header: &Value, claims: &Value, secret: &[u8]) -> String {
    let signing_input = format!(
        "{}.{}",
        base64url(header.to_string().as_bytes()),
        base64url(claims.to_string().as_bytes())
    );
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(e) => panic!("hmac key: {e}"),
    };
    mac.update(signing_input.as_bytes());
    format!(
        "{signing_input}.{}",
        base64url(&mac.finalize().into_bytes())
    )
}

/// The claims of a valid token for `sub` with `roles`, valid for an hour from now.
pub fn claims(sub: &str, roles: &[&str]) -> Value {
    let now = crate::ids::now().unix_millis() / 1000;
    json!({"iss": TEST_ISSUER, "aud": TEST_AUDIENCE, "sub": sub, "roles": roles,
           "iat": now, "nbf": now, "exp": now + 3600})
}

/// A valid HS256 token for `sub` with `roles` under the native test keys.
pub fn token(sub: &str, roles: &[&str]) -> String {
    sign_hs256(
        &json!({"alg": "HS256", "typ": "JWT"}),
        &claims(sub, roles),
        TEST_SECRET.as_bytes(),
    )
}

/// The variables native tests give every component: the test keys, no public key.
pub fn test_variables() -> MapVariables {
    MapVariables::from_pairs(&[
        (VAR_HS256_SECRET, TEST_SECRET),
        (VAR_PUBLIC_KEY, ""),
        (VAR_ISSUER, TEST_ISSUER),
        (VAR_AUDIENCE, TEST_AUDIENCE),
        (crm_store::audit::KEY_VARIABLE, TEST_AUDIT_KEY),
    ])
}

/// The audit chain's key in native tests.
pub const TEST_AUDIT_KEY: &str = "native-test-audit-hmac-key-0123456789abcdef";

/// A service with its own fresh stores, calling as one identity.
pub struct TestService<'a> {
    service: &'a Service,
    dir: PathBuf,
    authorization: Option<String>,
}

impl<'a> TestService<'a> {
    /// `service` over a fresh state directory named after the test, calling as an
    /// admin ([`DEFAULT_SUB`]).
    pub fn new(service: &'a Service, name: &str) -> TestService<'a> {
        TestService {
            service,
            dir: fresh_state_dir(name),
            authorization: Some(format!("Bearer {}", token(DEFAULT_SUB, &["admin"]))),
        }
    }

    /// `other` over the same stores, as another component of the same app: a test can
    /// write through one service and read the result through another.
    pub fn alongside<'b>(&self, other: &'b Service) -> TestService<'b> {
        TestService {
            service: other,
            dir: self.dir.clone(),
            authorization: self.authorization.clone(),
        }
    }

    /// The same service and stores, calling as `sub` with `roles`.
    pub fn as_user(&self, sub: &str, roles: &[&str]) -> TestService<'a> {
        self.with_authorization(Some(format!("Bearer {}", token(sub, roles))))
    }

    /// The same service and stores, calling with this `authorization` header (or none).
    pub fn with_authorization(&self, authorization: Option<String>) -> TestService<'a> {
        TestService {
            service: self.service,
            dir: self.dir.clone(),
            authorization,
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
        let explicit = headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("authorization"));
        if let (Some(authorization), false) = (&self.authorization, explicit) {
            builder = builder.header("authorization", authorization.as_str());
        }
        let body = body.map(|b| b.as_bytes().to_vec()).unwrap_or_default();
        let stores = stores_in(&self.dir).with_variables(Box::new(test_variables()));
        match builder.body(body) {
            Ok(request) => serve(self.service, request, &stores),
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
