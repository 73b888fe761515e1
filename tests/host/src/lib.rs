//! `crm-host`: a small Spin-compatible host for running this project's Spin
//! app (`spin.toml` plus its `.wasm` components) where Spin itself cannot be
//! installed. It implements exactly what the app's components import:
//! wasi (cli/io/clocks/random/http 0.2) through wasmtime-wasi and
//! wasmtime-wasi-http, and `fermyon:spin/{key-value,sqlite,variables}@2.0.0`,
//! with Spin 4's routing, request headers, store permissions and file
//! locations. `docs/spin-compat.md` lists each reproduced behaviour with the
//! Spin source it follows, and what is deliberately left out.
//!
//! Library use (tests):
//!
//! ```no_run
//! let mut config = crm_host::HostConfig::new("spin.toml");
//! config.listen = "127.0.0.1:0".parse().unwrap();
//! let host = crm_host::Host::start(config).unwrap();
//! println!("{}", host.base_url());
//! host.shutdown();
//! ```

pub mod fuel;
pub mod logs;
pub mod manifest;
pub mod outbound;
pub mod routes;
mod spin_apis;
pub mod stores;
pub mod variables;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

pub use variables::VariableEnv;

use logs::{Echo, LogSink};
use outbound::{AllowedHost, OutboundHooks};
use routes::{RouteMatch, Router};
use spin_apis::SpinCtx;
use stores::KvBackend;

/// What the build hint says when a component file is missing.
pub const BUILD_HINT: &str =
    "build the components first: cargo build --workspace --target wasm32-wasip2 --release";

/// How to start a host.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// Path of `spin.toml`.
    pub manifest_path: PathBuf,
    /// Where the default stores and component logs live; `None` means
    /// `.spin/` beside the manifest, as `spin up` does.
    pub state_dir: Option<PathBuf>,
    /// Address to listen on; port 0 picks a free port (see [`RunningHost::addr`]).
    pub listen: SocketAddr,
    /// Source of `SPIN_VARIABLE_*` values.
    pub variable_env: VariableEnv,
    /// Also copy component stdout/stderr to this process's stdout/stderr.
    pub follow_logs: bool,
    /// Live component instances at once (Spin's default is 1,000); past
    /// that, requests fail with 500 rather than queue, as on Spin.
    pub max_instances: u32,
    /// Count the WebAssembly fuel (roughly, instructions) each request's guest
    /// burns, readable through [`RunningHost::fuel`]. A measuring instrument that
    /// Spin does not have: off by default, and see [`fuel`] for what it changes.
    pub meter_fuel: bool,
}

impl HostConfig {
    pub fn new(manifest_path: impl Into<PathBuf>) -> Self {
        Self {
            manifest_path: manifest_path.into(),
            state_dir: None,
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            variable_env: VariableEnv::Process,
            follow_logs: false,
            max_instances: 1000,
            meter_fuel: false,
        }
    }
}

/// Entry point: `Host::start(config)`.
pub struct Host;

/// A started host. Dropping it stops the server without waiting;
/// [`RunningHost::shutdown`] stops it and waits for in-flight work to end.
pub struct RunningHost {
    addr: SocketAddr,
    state_dir: PathBuf,
    routes: Vec<(String, String)>,
    descriptions: HashMap<String, String>,
    startup_notes: Vec<String>,
    fuel: Option<Arc<fuel::FuelMeter>>,
    shutdown_tx: Option<oneshot::Sender<()>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Host {
    /// Loads the app, compiles every component, binds the listener and
    /// starts serving on a runtime owned by the returned handle. Works from
    /// plain and async callers alike.
    pub fn start(config: HostConfig) -> Result<RunningHost> {
        let prepared = prepare(&config)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("crm-host")
            .build()
            .context("cannot start the async runtime")?;
        let listen = config.listen;
        let listener = std::thread::scope(|s| {
            // Binding runs on a helper thread so that `start` may be called
            // from inside another tokio runtime (e.g. an async test).
            s.spawn(|| runtime.block_on(TcpListener::bind(listen)))
                .join()
                .map_err(|_| anyhow!("listener thread panicked"))
        })?
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AddrInUse {
                anyhow!("{listen} is already in use")
            } else {
                anyhow!("Unable to listen on {listen}: {e}")
            }
        })?;
        let addr = listener.local_addr()?;
        let (shutdown_tx, shutdown_rx) = oneshot::channel();
        let routes = prepared
            .app
            .router
            .routes()
            .into_iter()
            .map(|(component, route)| (component, route.to_string()))
            .collect();
        let state_dir = prepared.state_dir.clone();
        let startup_notes = prepared.notes.clone();
        let descriptions = prepared.descriptions.clone();
        let fuel = prepared.app.fuel.clone();
        let app = Arc::new(prepared.app);
        runtime.spawn(serve(listener, app, shutdown_rx));
        Ok(RunningHost {
            addr,
            state_dir,
            routes,
            descriptions,
            startup_notes,
            fuel,
            shutdown_tx: Some(shutdown_tx),
            runtime: Some(runtime),
        })
    }
}

impl RunningHost {
    /// The fuel meter, when the host was started with [`HostConfig::meter_fuel`].
    pub fn fuel(&self) -> Option<&fuel::FuelMeter> {
        self.fuel.as_deref()
    }

    /// A shared handle on the fuel meter, for a reporter that outlives a borrow.
    pub fn fuel_handle(&self) -> Option<Arc<fuel::FuelMeter>> {
        self.fuel.clone()
    }

    /// The bound address (the real port when `listen` used port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    /// `<state-dir>/logs`, where component stdout/stderr files are.
    pub fn log_dir(&self) -> PathBuf {
        self.state_dir.join("logs")
    }

    /// `(component id, route as spin up prints it)` in `spin up` order.
    pub fn routes(&self) -> &[(String, String)] {
        &self.routes
    }

    /// Warnings Spin would print at start-up (duplicate routes, ...).
    pub fn startup_notes(&self) -> &[String] {
        &self.startup_notes
    }

    /// Stops accepting connections, abandons in-flight requests and waits
    /// (up to 5 s) for host threads to finish, so that store files are
    /// closed when this returns.
    pub fn shutdown(mut self) {
        self.stop(true);
    }

    /// Blocks until Ctrl-C (SIGINT) or SIGTERM, then shuts down.
    pub fn wait_for_signal(mut self) -> Result<()> {
        if let Some(runtime) = &self.runtime {
            runtime.block_on(async {
                let ctrl_c = tokio::signal::ctrl_c();
                #[cfg(unix)]
                {
                    let mut term =
                        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
                    tokio::select! {
                        r = ctrl_c => r,
                        _ = term.recv() => Ok(()),
                    }
                }
                #[cfg(not(unix))]
                ctrl_c.await
            })?;
        }
        self.stop(true);
        Ok(())
    }

    fn stop(&mut self, wait: bool) {
        if let Some(tx) = self.shutdown_tx.take() {
            let _ = tx.send(());
        }
        if let Some(runtime) = self.runtime.take() {
            // A runtime cannot block while dropped inside another runtime's
            // worker; there it is released in the background instead.
            if wait && tokio::runtime::Handle::try_current().is_err() {
                runtime.shutdown_timeout(Duration::from_secs(5));
            } else {
                runtime.shutdown_background();
            }
        }
    }
}

impl Drop for RunningHost {
    fn drop(&mut self) {
        self.stop(false);
    }
}

// ---- start-up ------------------------------------------------------------------

struct Prepared {
    app: AppRuntime,
    state_dir: PathBuf,
    notes: Vec<String>,
    descriptions: HashMap<String, String>,
}

struct AppRuntime {
    name: String,
    version: String,
    router: Router,
    components: HashMap<String, ComponentRuntime>,
    fuel: Option<Arc<fuel::FuelMeter>>,
}

struct ComponentRuntime {
    pre: ProxyPre<StoreState>,
    env: Vec<(String, String)>,
    allowed_hosts: Arc<Vec<AllowedHost>>,
    stdout: LogSink,
    stderr: LogSink,
    spin: SpinTemplate,
}

/// Everything needed to build a fresh `SpinCtx` per request.
struct SpinTemplate {
    component_id: Arc<str>,
    allowed_kv: Arc<HashSet<String>>,
    allowed_sqlite: Arc<HashSet<String>>,
    kv: Arc<KvBackend>,
    sqlite_path: Arc<PathBuf>,
    resolver: Arc<variables::Resolver>,
}

fn prepare(config: &HostConfig) -> Result<Prepared> {
    let app = manifest::load(&config.manifest_path)?;
    let mut notes = Vec::new();

    // Spin refuses labels that no runtime config defines; without a runtime
    // config only `default` exists (factor-key-value and factor-sqlite
    // `configure_app`).
    for c in app.components.values() {
        for label in &c.key_value_stores {
            if label != stores::DEFAULT_LABEL {
                bail!(
                    "unknown key_value_stores label {label:?} for component {:?} (crm-host provides only \"default\"; Spin needs a runtime config for others)",
                    c.id
                );
            }
        }
        let unknown: Vec<String> = c
            .sqlite_databases
            .iter()
            .filter(|l| *l != stores::DEFAULT_LABEL)
            .map(|l| format!("- Component {} uses database '{l}'", c.id))
            .collect();
        if !unknown.is_empty() {
            bail!(
                "One or more components use SQLite databases which are not defined.\nCheck the spelling, or pass a runtime configuration file that defines these stores (not supported by crm-host).\nDetails:\n{}",
                unknown.join("\n")
            );
        }
    }

    let router = Router::build(&app.triggers)?;
    for dup in router.duplicates() {
        notes.push(format!(
            "The following component route is a duplicate and will never be used: {}: {} (duplicate of {})",
            dup.replaced_component,
            if dup.route.is_empty() { "/" } else { &dup.route },
            dup.effective_component
        ));
    }
    if router.contains_reserved_route() {
        notes.push(format!(
            "Routes under {} are handled by the Spin runtime and will never be reached",
            routes::WELL_KNOWN_PREFIX
        ));
    }

    let mut missing = Vec::new();
    for c in app.components.values() {
        if !c.source.is_file() {
            missing.push(format!("  - {}: {}", c.id, c.source.display()));
        }
    }
    if !missing.is_empty() {
        bail!(
            "component Wasm file(s) not found:\n{}\n{BUILD_HINT}",
            missing.join("\n")
        );
    }

    let resolver = variables::Resolver::new(&app, config.variable_env.clone())?;

    let state_dir = match &config.state_dir {
        Some(dir) => dir.clone(),
        None => app.dir.join(".spin"),
    };
    let log_dir = state_dir.join("logs");
    std::fs::create_dir_all(&log_dir)
        .with_context(|| format!("Failed to create log dir {}", log_dir.display()))?;
    let kv = Arc::new(KvBackend::new(state_dir.join("sqlite_key_value.db")));
    let sqlite_path = Arc::new(state_dir.join("sqlite_db.db"));

    let engine = shared_engine(config.max_instances, config.meter_fuel)?;
    let mut linker: Linker<StoreState> = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    spin_apis::add_to_linker(&mut linker, |s: &mut StoreState| &mut s.spin)?;

    let echo_out = if config.follow_logs {
        Echo::Stdout
    } else {
        Echo::None
    };
    let echo_err = if config.follow_logs {
        Echo::Stderr
    } else {
        Echo::None
    };

    let mut components = HashMap::new();
    for c in app.components.values() {
        let allowed_hosts = outbound::parse_allowed_hosts(&c.id, &c.allowed_outbound_hosts)?;
        let component =
            compiled_component(&engine, config.max_instances, config.meter_fuel, &c.source)
                .with_context(|| {
                    format!(
                        "cannot compile component {:?} ({})",
                        c.id,
                        c.source.display()
                    )
                })?;
        let instance_pre = linker
            .instantiate_pre(&component)
            .map_err(|e| anyhow!("{e:?}"))
            .with_context(|| {
                format!(
                    "component {:?} imports something crm-host does not provide",
                    c.id
                )
            })?;
        let pre = ProxyPre::new(instance_pre)
            .map_err(|e| anyhow!("{e:?}"))
            .with_context(|| {
                format!(
                    "component {:?} does not export wasi:http/incoming-handler@0.2.x",
                    c.id
                )
            })?;
        let stdout_path = log_dir.join(logs::log_file_name(&c.id, "stdout"));
        let stderr_path = log_dir.join(logs::log_file_name(&c.id, "stderr"));
        let stdout = LogSink::open(&stdout_path, echo_out)
            .with_context(|| format!("Failed to open log file {}", stdout_path.display()))?;
        let stderr = LogSink::open(&stderr_path, echo_err)
            .with_context(|| format!("Failed to open log file {}", stderr_path.display()))?;
        components.insert(
            c.id.clone(),
            ComponentRuntime {
                pre,
                env: c.environment.clone(),
                allowed_hosts: Arc::new(allowed_hosts),
                stdout,
                stderr,
                spin: SpinTemplate {
                    component_id: Arc::from(c.id.as_str()),
                    allowed_kv: Arc::new(c.key_value_stores.iter().cloned().collect()),
                    allowed_sqlite: Arc::new(c.sqlite_databases.iter().cloned().collect()),
                    kv: kv.clone(),
                    sqlite_path: sqlite_path.clone(),
                    resolver: resolver.clone(),
                },
            },
        );
    }

    let descriptions = app
        .components
        .values()
        .filter(|c| !c.description.is_empty())
        .map(|c| (c.id.clone(), c.description.clone()))
        .collect();
    Ok(Prepared {
        app: AppRuntime {
            name: app.name,
            version: app.version,
            router,
            components,
            fuel: config
                .meter_fuel
                .then(|| Arc::new(fuel::FuelMeter::default())),
        },
        state_dir,
        notes,
        descriptions,
    })
}

/// One engine per instance limit for the whole process, with its epoch
/// ticker. Hosts started in the same process (a test suite restarting the
/// app many times) share it, so each component file is compiled once per
/// process instead of once per start.
fn shared_engine(max_instances: u32, meter_fuel: bool) -> Result<Engine> {
    static ENGINES: Mutex<BTreeMap<(u32, bool), Engine>> = Mutex::new(BTreeMap::new());
    let mut engines = ENGINES
        .lock()
        .map_err(|_| anyhow!("engine cache poisoned"))?;
    if let Some(engine) = engines.get(&(max_instances, meter_fuel)) {
        return Ok(engine.clone());
    }
    let engine = build_engine(max_instances, meter_fuel)?;
    spawn_epoch_ticker(&engine);
    engines.insert((max_instances, meter_fuel), engine.clone());
    Ok(engine)
}

/// Compiles `path`, reusing an earlier compilation of the same unchanged
/// file (same length and modification time) for the same engine.
fn compiled_component(
    engine: &Engine,
    max_instances: u32,
    meter_fuel: bool,
    path: &Path,
) -> Result<Component> {
    type Key = (u32, bool, PathBuf, u64, Option<std::time::SystemTime>);
    static COMPONENTS: Mutex<BTreeMap<Key, Component>> = Mutex::new(BTreeMap::new());
    let meta = std::fs::metadata(path)?;
    let key: Key = (
        max_instances,
        meter_fuel,
        path.canonicalize()?,
        meta.len(),
        meta.modified().ok(),
    );
    if let Some(component) = COMPONENTS
        .lock()
        .map_err(|_| anyhow!("component cache poisoned"))?
        .get(&key)
    {
        return Ok(component.clone());
    }
    // Compiled outside the lock: compilation takes seconds and other hosts
    // may be compiling other files meanwhile.
    let component = Component::from_file(engine, path).map_err(|e| anyhow!("{e:?}"))?;
    COMPONENTS
        .lock()
        .map_err(|_| anyhow!("component cache poisoned"))?
        .insert(key, component.clone());
    Ok(component)
}

/// Same engine shape as Spin's `crates/core/src/lib.rs`: component model,
/// epoch interruption (so a busy guest yields its worker thread) and the
/// pooling allocator sized from the instance count; falls back to on-demand
/// allocation where the address space is too small for the pool, as Spin does.
fn build_engine(max_instances: u32, meter_fuel: bool) -> Result<Engine> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    config.consume_fuel(meter_fuel);
    let mut pooling = PoolingAllocationConfig::default();
    pooling
        .total_component_instances(max_instances)
        .total_memories(max_instances)
        .total_tables(2 * max_instances)
        .total_stacks(max_instances)
        .total_core_instances(4 * max_instances)
        .table_elements(100_000)
        .max_component_instance_size(10 << 20)
        .max_core_instance_size(10 << 20)
        .max_core_instances_per_component(200)
        .max_tables_per_component(64)
        .max_memories_per_component(32)
        .max_tables_per_module(2)
        .max_memories_per_module(2)
        .max_memory_size(4 << 30)
        .linear_memory_keep_resident(2 << 20)
        .table_keep_resident(512 << 10);
    let mut pooled = config.clone();
    pooled.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling));
    match Engine::new(&pooled) {
        Ok(engine) => Ok(engine),
        Err(_) => {
            config.allocation_strategy(InstanceAllocationStrategy::OnDemand);
            Engine::new(&config).map_err(|e| anyhow!("{e:?}"))
        }
    }
}

/// Spin ticks the epoch every 10 ms; each tick lets running guests yield.
fn spawn_epoch_ticker(engine: &Engine) {
    let engine = engine.weak();
    std::thread::spawn(move || {
        while let Some(engine) = engine.upgrade() {
            engine.increment_epoch();
            drop(engine);
            std::thread::sleep(Duration::from_millis(10));
        }
    });
}

// ---- per-store state -------------------------------------------------------------

struct StoreState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    hooks: OutboundHooks,
    spin: SpinCtx,
}

impl WasiView for StoreState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for StoreState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

impl ComponentRuntime {
    fn new_store(&self, engine: &Engine) -> Store<StoreState> {
        let mut wasi = WasiCtxBuilder::new();
        wasi.stdout(self.stdout.clone())
            .stderr(self.stderr.clone())
            .envs(&self.env)
            // Spin grants sockets only per allowed_outbound_hosts; this host
            // supports outbound access through wasi:http only.
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false);
        let state = StoreState {
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            hooks: OutboundHooks {
                allowed: self.allowed_hosts.clone(),
            },
            spin: SpinCtx {
                component_id: self.spin.component_id.clone(),
                allowed_kv: self.spin.allowed_kv.clone(),
                allowed_sqlite: self.spin.allowed_sqlite.clone(),
                kv: self.spin.kv.clone(),
                sqlite_path: self.spin.sqlite_path.clone(),
                resolver: self.spin.resolver.clone(),
                table: ResourceTable::new(),
                sqlite_open: 0,
            },
        };
        let mut store = Store::new(engine, state);
        if engine.get_consume_fuel() {
            // Cannot fail on an engine that meters fuel.
            let _ = store.set_fuel(fuel::START);
        }
        store.set_epoch_deadline(1);
        store.epoch_deadline_async_yield_and_update(1);
        store
    }
}

// ---- serving -------------------------------------------------------------------

type HostResponse = Response<HyperOutgoingBody>;

async fn serve(listener: TcpListener, app: Arc<AppRuntime>, mut shutdown: oneshot::Receiver<()>) {
    loop {
        let accepted = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, client_addr) = match accepted {
            Ok(pair) => pair,
            Err(e) => {
                // Running out of file descriptors and the like: keep serving.
                eprintln!("crm-host: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let app = app.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let app = app.clone();
                async move { handle(app, req, client_addr).await }
            });
            if let Err(e) = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await
            {
                // Clients hanging up mid-request are routine.
                if !e.is_incomplete_message() && !e.is_canceled() {
                    eprintln!("crm-host: connection from {client_addr}: {e}");
                }
            }
        });
    }
}

fn empty_body() -> HyperOutgoingBody {
    Empty::<Bytes>::new()
        .map_err(|never| match never {})
        .boxed_unsync()
}

fn full_body(bytes: impl Into<Bytes>) -> HyperOutgoingBody {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

fn status_only(status: StatusCode) -> HostResponse {
    let mut response = Response::new(empty_body());
    *response.status_mut() = status;
    response
}

/// One HTTP request, as Spin's `HttpServer::handle` treats it. An `Err`
/// makes hyper drop the connection, which is also what Spin's server does
/// when it cannot even build the request URI (no or inconsistent `Host`).
async fn handle(
    app: Arc<AppRuntime>,
    req: Request<Incoming>,
    client_addr: SocketAddr,
) -> Result<HostResponse> {
    let path = req.uri().path().to_string();

    if let Some(well_known) = path.strip_prefix(routes::WELL_KNOWN_PREFIX) {
        return Ok(match well_known {
            "health" => Response::new(full_body("OK")),
            "info" => {
                let mut info = serde_json::Map::new();
                info.insert("name".into(), app.name.clone().into());
                if !app.version.is_empty() {
                    info.insert("version".into(), app.version.clone().into());
                }
                let body = serde_json::to_vec_pretty(&info)?;
                let mut response = Response::new(full_body(body));
                response.headers_mut().insert(
                    http::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                response
            }
            _ => status_only(StatusCode::NOT_FOUND),
        });
    }

    let Some(route_match) = app.router.route(&path) else {
        return Ok(status_only(StatusCode::NOT_FOUND));
    };

    let req = with_absolute_uri(req)?;
    match run_component(&app, req, &route_match, client_addr).await {
        Ok(response) => Ok(response),
        Err(e) => {
            eprintln!(
                "crm-host: error processing request for component {:?} on {path}: {e:#}",
                route_match.component
            );
            Ok(status_only(StatusCode::INTERNAL_SERVER_ERROR))
        }
    }
}

/// Spin's `set_req_uri`: the component sees `http://<authority><path?query>`
/// with the authority from the `Host` header (or the request target when it
/// is absolute); a missing or conflicting authority is refused.
fn with_absolute_uri(req: Request<Incoming>) -> Result<Request<Incoming>> {
    let (mut parts, body) = req.into_parts();
    let header_authority = parts
        .headers
        .get(http::header::HOST)
        .map(|h| -> Result<http::uri::Authority> {
            let s = h.to_str().context("'Host' header is not valid UTF-8")?;
            s.parse()
                .context("'Host' header contains an invalid authority")
        })
        .transpose()?;
    let mut uri_parts = parts.uri.clone().into_parts();
    let authority = match (header_authority, uri_parts.authority.take()) {
        (None, None) => bail!("no 'Host' header present in request"),
        (Some(a), None) | (None, Some(a)) => a,
        (Some(a), Some(b)) => {
            if a != b {
                bail!("authority in 'Host' header does not match authority in URI");
            }
            a
        }
    };
    uri_parts.scheme = Some(http::uri::Scheme::HTTP);
    uri_parts.authority = Some(authority);
    if uri_parts.path_and_query.is_none() {
        uri_parts.path_and_query = Some(http::uri::PathAndQuery::from_static("/"));
    }
    parts.uri = Uri::from_parts(uri_parts)?;
    Ok(Request::from_parts(parts, body))
}

/// The headers Spin adds (`crates/trigger-http/src/headers.rs`), in Spin's
/// order, appended after the client's own headers.
fn spin_headers(
    uri: &Uri,
    host: &str,
    m: &RouteMatch,
    client_addr: SocketAddr,
) -> Vec<(String, String)> {
    let path_and_query = uri.path_and_query().map(|pq| pq.as_str()).unwrap_or("/");
    let scheme = uri.scheme_str().unwrap_or("http");
    let mut headers = vec![
        ("spin-path-info".to_string(), m.path_info.clone()),
        (
            "spin-full-url".to_string(),
            format!("{scheme}://{host}{path_and_query}"),
        ),
        ("spin-matched-route".to_string(), m.based_route.clone()),
        ("spin-base-path".to_string(), "/".to_string()),
        ("spin-raw-component-route".to_string(), m.raw_route.clone()),
        (
            "spin-component-route".to_string(),
            m.raw_route_or_prefix.clone(),
        ),
        ("spin-client-addr".to_string(), client_addr.to_string()),
    ];
    for (name, value) in &m.params {
        headers.push((routes::path_match_header(name), value.clone()));
    }
    headers
}

async fn run_component(
    app: &AppRuntime,
    mut req: Request<Incoming>,
    m: &RouteMatch,
    client_addr: SocketAddr,
) -> Result<HostResponse> {
    let component = app
        .components
        .get(&m.component)
        .ok_or_else(|| anyhow!("unknown component ID {:?}", m.component))?;

    // Spin rebuilds the header map from UTF-8 strings: a non-UTF-8 value
    // fails the request, a name or value that no longer parses is dropped.
    let mut headers: Vec<(String, String)> = Vec::new();
    for (name, value) in req.headers() {
        let value = std::str::from_utf8(value.as_bytes())
            .with_context(|| format!("header {name} is not valid UTF-8"))?;
        headers.push((name.to_string(), value.to_string()));
    }
    let host = req
        .headers()
        .get(http::header::HOST)
        .map(|h| std::str::from_utf8(h.as_bytes()))
        .transpose()?
        .unwrap_or("localhost")
        .to_string();
    headers.extend(spin_headers(req.uri(), &host, m, client_addr));
    let map = req.headers_mut();
    map.clear();
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            name.parse::<HeaderName>(),
            HeaderValue::from_bytes(value.as_bytes()),
        ) {
            map.append(name, value);
        }
    }

    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let mut store = component.new_store(app_engine(component));
    let incoming = store
        .data_mut()
        .http()
        .new_incoming_request(Scheme::Http, req)
        .map_err(|e| anyhow!("{e:?}"))?;
    let (tx, rx) = oneshot::channel();
    let outparam = store
        .data_mut()
        .http()
        .new_response_outparam(tx)
        .map_err(|e| anyhow!("{e:?}"))?;
    let pre = component.pre.clone();
    let meter = app.fuel.clone().map(|meter| {
        let request = fuel::Request {
            component: m.component.clone(),
            method: method.clone(),
            path: path.clone(),
        };
        (meter, request)
    });
    let metered = meter.is_some();

    // The guest runs in its own task so it can keep streaming the body after
    // handing over the response head.
    let task = tokio::spawn(async move {
        let proxy = pre.instantiate_async(&mut store).await?;
        let outcome = proxy
            .wasi_http_incoming_handler()
            .call_handle(&mut store, incoming, outparam)
            .await;
        if let Some((meter, request)) = meter {
            let left = store.get_fuel().unwrap_or(fuel::START);
            meter.record(request, fuel::START.saturating_sub(left), outcome.is_ok());
        }
        outcome
    });

    match rx.await {
        Ok(Ok(response)) => {
            let abort = task.abort_handle();
            let id = m.component.clone();
            tokio::spawn(async move {
                if let Ok(Err(e)) = task.await {
                    eprintln!(
                        "crm-host: component {id:?} failed after its response started: {e:?}"
                    );
                }
            });
            // Like Spin's `AbortOnDropBody`: once hyper drops the body (sent,
            // or the client went away) the guest is stopped; except when fuel
            // is metered, where the guest may return so its fuel is counted.
            let abort = (!metered).then_some(abort);
            Ok(response.map(|body| AbortOnDrop { body, abort }.boxed_unsync()))
        }
        Ok(Err(code)) => Err(anyhow!("guest failed to produce a response: {code:?}")),
        Err(_) => {
            let outcome = task.await.context("guest invocation panicked")?;
            outcome.map_err(|e| anyhow!("guest invocation failed: {e:?}"))?;
            bail!("guest failed to produce a response prior to returning")
        }
    }
}

struct AbortOnDrop {
    body: HyperOutgoingBody,
    abort: Option<tokio::task::AbortHandle>,
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(abort) = &self.abort {
            abort.abort();
        }
    }
}

impl http_body::Body for AbortOnDrop {
    type Data = Bytes;
    type Error = wasmtime_wasi_http::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        std::pin::Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

fn app_engine(component: &ComponentRuntime) -> &Engine {
    component.pre.engine()
}

/// Lines `spin up` prints once serving: `Serving http://...`, then each
/// route with the component's description under it.
pub fn serving_banner(host: &RunningHost) -> String {
    let base = host.base_url();
    let mut out = format!("\nServing {base}\nAvailable Routes:\n");
    for (component, route) in host.routes() {
        out.push_str(&format!("  {component}: {base}{route}\n"));
        if let Some(description) = host.descriptions.get(component) {
            out.push_str(&format!("    {description}\n"));
        }
    }
    out
}
