//! The end-to-end harness: starts the real `.wasm` components of the root `spin.toml`
//! on an ephemeral 127.0.0.1 port with a fresh state directory, and a small blocking
//! HTTP/1.1 client to drive them.
//!
//! Two back ends, one suite: by default the app runs in-process on `crm-host`; with
//! `CRM_E2E_RUNTIME=spin` every [`TestApp`] is a real `spin up` (the CLI in `SPIN`, or
//! `spin` on `PATH`) serving the same manifest and `.wasm` files. A test that needs an
//! instrument only the host has (fuel) asks [`host_only`] first and says it was skipped.
//!
//! Modelled on Spin's own test harness (`tests/testing-framework`): black box, own
//! state dir, real port. Tests build nothing; `scripts/test` builds the components
//! first, and a missing `.wasm` fails with the command to run.
//!
//! The app is configured with the development keys of `crm-token`, and every request
//! carries an admin's token (`dev-admin`) unless it names its own `authorization`
//! header or goes through [`TestApp::anonymous`] / [`TestApp::as_user`].

pub mod contract;
pub mod fixtures;
use crm_host::{Host, HostConfig, RunningHost, VariableEnv};
use crm_spin::{SpinConfig, SpinUp};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

/// The runtime that serves every [`TestApp`] of this test run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Runtime {
    /// `crm-host`, in this process (the default).
    Host,
    /// `spin up` of this Spin CLI (`CRM_E2E_RUNTIME=spin`).
    Spin(PathBuf),
}

/// The runtime chosen by `CRM_E2E_RUNTIME` (`host`, the default, or `spin`). Asking for
/// Spin where none is found is a setup error, not a reason to test the host instead.
pub fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| match std::env::var("CRM_E2E_RUNTIME").as_deref() {
        Err(_) | Ok("") | Ok("host") => Runtime::Host,
        Ok("spin") => match crm_spin::find() {
            Some(spin) => Runtime::Spin(spin),
            None => panic!("CRM_E2E_RUNTIME=spin but {}", crm_spin::not_found_reason()),
        },
        Ok(other) => panic!("CRM_E2E_RUNTIME={other:?}: expected host or spin"),
    })
}

/// True (and says so on stderr) when this run is on Spin, for a test that needs an
/// instrument only `crm-host` has: the test returns early and runs on the host leg.
pub fn host_only(instrument: &str) -> bool {
    if *runtime() == Runtime::Host {
        return false;
    }
    eprintln!("skipped on Spin: {instrument} is a crm-host instrument; the host leg runs it");
    true
}

/// A running app, on either runtime.
enum Server {
    Host(RunningHost),
    Spin(SpinUp),
}

impl Server {
    fn addr(&self) -> SocketAddr {
        match self {
            Server::Host(host) => host.addr(),
            Server::Spin(spin) => spin.addr(),
        }
    }

    fn stop(self) {
        match self {
            Server::Host(host) => host.shutdown(),
            Server::Spin(spin) => {
                spin.stop();
            }
        }
    }
}

/// The repository root (where `spin.toml` is).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A running app with its own state directory; stopped when dropped.
pub struct TestApp {
    server: Option<Server>,
    state: tempfile::TempDir,
    variables: BTreeMap<String, String>,
    meter_fuel: bool,
    manifest: PathBuf,
    authorization: String,
}

/// The `sub` of the token every [`TestApp`] request carries by default.
pub const DEFAULT_SUB: &str = "dev-admin";

/// The development configuration, overridden by `variables`.
fn with_dev_keys(variables: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut map: BTreeMap<String, String> = crm_token::dev_variables()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    for (k, v) in variables {
        map.insert((*k).to_owned(), (*v).to_owned());
    }
    map
}

fn default_authorization() -> String {
    // A day, so a slow suite never sees it expire.
    let claims = crm_token::claims(
        DEFAULT_SUB,
        &["admin"],
        crm_token::DEV_ISSUER,
        crm_token::DEV_AUDIENCE,
        86_400,
    );
    format!(
        "Bearer {}",
        crm_token::hs256(&claims, crm_token::DEV_SECRET.as_bytes())
    )
}

impl TestApp {
    /// Starts the app of the root `spin.toml` on a fresh state directory.
    pub fn spawn() -> TestApp {
        TestApp::spawn_with(&[])
    }

    /// Starts it with `SPIN_VARIABLE_*` values (names as environment variables) over
    /// the development keys.
    pub fn spawn_with(variables: &[(&str, &str)]) -> TestApp {
        TestApp::spawn_manifest(&repo_root().join("spin.toml"), variables)
    }

    /// Starts the app of another manifest (a fixture) with the development keys.
    pub fn spawn_manifest(manifest: &Path, variables: &[(&str, &str)]) -> TestApp {
        let mut app = TestApp {
            server: None,
            state: tempfile::tempdir().expect("temp state dir"),
            variables: with_dev_keys(variables),
            meter_fuel: false,
            manifest: manifest.to_path_buf(),
            authorization: default_authorization(),
        };
        app.start();
        app
    }

    /// Starts the host with exactly these `SPIN_VARIABLE_*` values, without the
    /// development keys: for checking that a missing required variable stops it.
    pub fn try_spawn_bare(variables: &[(&str, &str)]) -> Result<TestApp, String> {
        let mut app = TestApp {
            server: None,
            state: tempfile::tempdir().expect("temp state dir"),
            variables: variables
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            meter_fuel: false,
            manifest: repo_root().join("spin.toml"),
            authorization: default_authorization(),
        };
        match app.launch() {
            Ok(server) => {
                app.server = Some(server);
                Ok(app)
            }
            Err(e) => Err(format!("{e:#}")),
        }
    }

    /// Starts the app on the host with fuel metering on (see `crm_host::fuel`). Fuel is a
    /// host instrument: a test guards with [`host_only`] before it calls this.
    pub fn spawn_metered() -> TestApp {
        assert_eq!(
            *runtime(),
            Runtime::Host,
            "fuel metering needs crm-host: guard the test with host_only()"
        );
        let mut app = TestApp {
            server: None,
            state: tempfile::tempdir().expect("temp state dir"),
            variables: with_dev_keys(&[]),
            meter_fuel: true,
            manifest: repo_root().join("spin.toml"),
            authorization: default_authorization(),
        };
        app.start();
        app
    }

    /// The fuel meter of an app started with [`TestApp::spawn_metered`].
    pub fn fuel(&self) -> &crm_host::fuel::FuelMeter {
        match &self.server {
            Some(Server::Host(host)) => host.fuel(),
            _ => None,
        }
        .expect("the app was started with spawn_metered")
    }

    fn config(&self) -> HostConfig {
        let mut config = HostConfig::new(&self.manifest);
        config.listen = "127.0.0.1:0".parse().expect("loopback address");
        config.state_dir = Some(self.state.path().to_path_buf());
        config.variable_env = VariableEnv::Map(self.variables.clone());
        config.meter_fuel = self.meter_fuel;
        config
    }

    /// Starts the app on this run's runtime.
    fn launch(&self) -> anyhow::Result<Server> {
        match runtime() {
            Runtime::Host => Host::start(self.config()).map(Server::Host),
            Runtime::Spin(spin) => {
                let mut config = SpinConfig::new(spin, &self.manifest, self.state.path());
                config.variables = self
                    .variables
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                SpinUp::start(&config).map(Server::Spin)
            }
        }
    }

    fn start(&mut self) {
        match self.launch() {
            Ok(server) => self.server = Some(server),
            Err(e) => panic!(
                "the app did not start on {:?}: {e:#}\n(build the components first: \
                 cargo build --workspace --target wasm32-wasip2 --release)",
                runtime()
            ),
        }
    }

    /// Stops the app and starts it again on the same state directory.
    pub fn restart(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop();
        }
        self.start();
    }

    /// The state directory (`sqlite_db.db`, `sqlite_key_value.db`, `logs/`).
    pub fn state_dir(&self) -> &Path {
        self.state.path()
    }

    /// What a component wrote to stdout so far (its JSON log lines).
    pub fn component_stdout(&self, component: &str) -> String {
        std::fs::read_to_string(
            self.state
                .path()
                .join("logs")
                .join(format!("{component}_stdout.txt")),
        )
        .unwrap_or_default()
    }

    /// The address the app serves on.
    pub fn addr(&self) -> SocketAddr {
        self.server.as_ref().expect("app running").addr()
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> TestResponse {
        self.request("GET", path, None, &[])
    }

    /// `GET path` with extra headers.
    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> TestResponse {
        self.request("GET", path, None, headers)
    }

    /// `POST path` with a JSON body and extra headers.
    pub fn post_json(
        &self,
        path: &str,
        body: &serde_json::Value,
        headers: &[(&str, &str)],
    ) -> TestResponse {
        let mut all = vec![("content-type", "application/json")];
        all.extend_from_slice(headers);
        self.request("POST", path, Some(body.to_string().as_bytes()), &all)
    }

    /// `PUT path` with a JSON body and extra headers.
    pub fn put_json(
        &self,
        path: &str,
        body: &serde_json::Value,
        headers: &[(&str, &str)],
    ) -> TestResponse {
        let mut all = vec![("content-type", "application/json")];
        all.extend_from_slice(headers);
        self.request("PUT", path, Some(body.to_string().as_bytes()), &all)
    }

    /// Any request, with the default admin token unless `headers` name an
    /// `authorization` of their own. `content-length` is added when there is a body.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
        headers: &[(&str, &str)],
    ) -> TestResponse {
        self.request_as(Some(&self.authorization), method, path, body, headers)
    }

    /// Any request with this `authorization` header value, or none at all.
    pub fn request_as(
        &self,
        authorization: Option<&str>,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
        headers: &[(&str, &str)],
    ) -> TestResponse {
        let explicit = headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("authorization"));
        let mut all: Vec<(&str, &str)> = headers.to_vec();
        if let (Some(authorization), false) = (authorization, explicit) {
            all.push(("authorization", authorization));
        }
        let response = send(self.addr(), method, path, body, &all);
        // Every response any test receives from the app must be one the OpenAPI document
        // describes, so the document cannot drift from the code. (Fixture apps have
        // routes of their own, outside the document.)
        if self.manifest == repo_root().join("spin.toml")
            && let Err(e) = contract::check(
                method,
                path,
                response.status,
                &response.headers,
                &response.body,
            )
        {
            panic!("{method} {path} answered outside the contract: {e}");
        }
        if let Err(e) = one_piece(method, &response) {
            panic!("{method} {path}: {e}");
        }
        response
    }

    /// Requests as `sub` with `roles`, under the development keys.
    pub fn as_user(&self, sub: &str, roles: &[&str]) -> Caller<'_> {
        self.with_token(&crm_token::dev_token(sub, roles))
    }

    /// Requests carrying `Bearer token`.
    pub fn with_token(&self, token: &str) -> Caller<'_> {
        Caller {
            app: self,
            authorization: Some(format!("Bearer {token}")),
        }
    }

    /// Requests without any `authorization` header.
    pub fn anonymous(&self) -> Caller<'_> {
        Caller {
            app: self,
            authorization: None,
        }
    }
}

/// Every answer is sized, not chunked: a `content-length` that matches the body (none for
/// HEAD, 204 and 304). A chunked answer can leave in pieces, and on a keep-alive connection
/// to Spin (no `TCP_NODELAY`) the second piece waits ~40 ms for the client's delayed ACK
/// (`shared/entry`).
fn one_piece(method: &str, response: &TestResponse) -> Result<(), String> {
    if let Some(encoding) = response.header("transfer-encoding") {
        return Err(format!("answered with transfer-encoding: {encoding}"));
    }
    let bodiless = method == "HEAD" || matches!(response.status, 204 | 304);
    match (response.header("content-length"), bodiless) {
        (None, true) => Ok(()),
        (Some(length), true) if length == "0" && response.status != 204 => Ok(()),
        (Some(length), true) => Err(format!("a bodiless answer with content-length {length}")),
        (None, false) => Err("answered without a content-length".to_owned()),
        (Some(length), false) if length == response.body.len().to_string() => Ok(()),
        (Some(length), false) => Err(format!(
            "content-length {length} for a body of {} bytes",
            response.body.len()
        )),
    }
}

/// Requests to a [`TestApp`] as one caller.
pub struct Caller<'a> {
    app: &'a TestApp,
    authorization: Option<String>,
}

impl Caller<'_> {
    /// `GET path`.
    pub fn get(&self, path: &str) -> TestResponse {
        self.request("GET", path, None, &[])
    }

    /// `POST path` with a JSON body and extra headers.
    pub fn post_json(
        &self,
        path: &str,
        body: &serde_json::Value,
        headers: &[(&str, &str)],
    ) -> TestResponse {
        self.json("POST", path, body, headers)
    }

    /// `method path` with a JSON body (`content-type` from `headers` if they name one).
    pub fn json(
        &self,
        method: &str,
        path: &str,
        body: &serde_json::Value,
        headers: &[(&str, &str)],
    ) -> TestResponse {
        let mut all = headers.to_vec();
        if !headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        {
            all.push(("content-type", "application/json"));
        }
        self.request(method, path, Some(body.to_string().as_bytes()), &all)
    }

    /// Any request.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
        headers: &[(&str, &str)],
    ) -> TestResponse {
        self.app
            .request_as(self.authorization.as_deref(), method, path, body, headers)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop();
        }
    }
}

/// A response: status, headers (names lower-cased, in order) and body.
#[derive(Debug, Clone)]
pub struct TestResponse {
    /// The status code.
    pub status: u16,
    /// `(name, value)` pairs, names lower-case.
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Vec<u8>,
}

impl TestResponse {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON; panics with the body when it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text()))
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Asserts a problem+json answer with `status` and `code`, returning the body.
    pub fn assert_problem(&self, status: u16, code: &str) -> serde_json::Value {
        assert_eq!(self.status, status, "status; body: {}", self.text());
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "content type; body: {}",
            self.text()
        );
        let body = self.json();
        assert_eq!(body["status"], status, "{body}");
        assert_eq!(body["code"], code, "{body}");
        assert!(
            body["title"].is_string() && body["detail"].is_string() && body["type"].is_string(),
            "{body}"
        );
        assert!(body["requestId"].is_string(), "{body}");
        body
    }
}

/// One HTTP/1.1 exchange on a fresh connection (`connection: close`), read to EOF.
pub fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&[u8]>,
    headers: &[(&str, &str)],
) -> TestResponse {
    let mut stream = TcpStream::connect(addr).expect("connect to host");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let mut head = format!("{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = body {
        head.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("write head");
    if let Some(body) = body {
        stream.write_all(body).expect("write body");
    }
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read response");
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> TestResponse {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let rest = &raw[split + 4..];
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    TestResponse {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(line_end) = data.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0").trim(), 16)
            .unwrap_or(0);
        data = &data[line_end + 2..];
        if size == 0 || data.len() < size {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[(size + 2).min(data.len())..];
    }
}
