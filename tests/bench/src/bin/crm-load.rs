//! `crm-load`: the load tool. By default it seeds a fresh state directory through the
//! storage port, serves the root `spin.toml` and the floor app through `crm-host` in
//! this process (with the development auth variables and an admin token of its own),
//! runs every workload, and prints a table (and JSON with `--json`). With `--spin` it
//! starts `spin up` (the CLI in `SPIN`, or `spin` on `PATH`) for the app and the floors
//! instead, on the same seeded state directory. With `--base-url` it targets a running
//! app, seeding through the API.
//!
//! Three floors are measured first in every run: the no-op component (`floor`), a bare
//! component that opens the database and reads one row by primary key (`floor.read`),
//! and one that inserts one row (`floor.insert`); each workload is also given as a
//! ratio to the bare floor of what it does (reads to `floor.read`, writes to
//! `floor.insert`). `--sequential` measures one keep-alive connection, one request after
//! another, per kind of answer (health, 200, 401, 404, 422).
//!
//!   crm-load [--customers 100000] [--interactions 1000000] [--timeline 10000]
//!            [--ledger 10000] [--inquiries 1000] [--products 200]
//!            [--connections 16] [--warmup 2] [--duration 8]
//!            [--workloads floor,customer.read,...] [--json out.json]
//!            [--explain | --explain-only] [--keep-state DIR (seeded once, reused after)]
//!            [--authorization "Bearer …" (or CRM_LOAD_AUTHORIZATION; default in-process:
//!             a development admin token; SPIN_VARIABLE_* override the dev variables)]
//!            [--base-url http://127.0.0.1:3000 --floor-url http://127.0.0.1:3001]
//!            [--scaling 10000,100000,1000000 (the indexed reads at each size)]
//!            [--startup (.wasm sizes, host start to first answer, per-component cost)]
//!            [--fuel (one request of each workload on the seeded data, fuel per request)]
//!            [--spin (serve on real Spin instead of crm-host)]
//!            [--sequential (one connection; p50/p99/max per kind of answer)]
//!
//! Workloads: floor customer.health customer.read customer.read.long_history
//! customer.list customer.search customer.360 customer.360.history interaction.timeline
//! loyalty.account recommendations loan.quote customer.create interaction.append
//! loyalty.earn loyalty.redeem loan.application engagement.events engagement.queue mixed
//! (reads first, writes after).

use anyhow::{Context, Result, anyhow, bail};
use crm_bench::{
    RequestSpec, RunConfig, Stats, Workload, explain, fetch, run, seed, table, with_bare,
    with_floor,
};
use crm_host::{Host, HostConfig, RunningHost, VariableEnv};
use crm_spin::{SpinConfig, SpinUp};
use serde_json::json;
use std::collections::BTreeMap;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Args {
    customers: u64,
    interactions: u64,
    timeline: u64,
    ledger: u64,
    inquiries: u64,
    products: usize,
    connections: usize,
    warmup: u64,
    duration: u64,
    workloads: Option<Vec<String>>,
    json: Option<PathBuf>,
    explain: bool,
    explain_only: bool,
    keep_state: Option<PathBuf>,
    authorization: Option<String>,
    base_url: Option<String>,
    floor_url: Option<String>,
    scaling: Option<Vec<u64>>,
    startup: bool,
    fuel: bool,
    /// `--spin`: the Spin CLI that serves the app and the floors.
    spin: Option<PathBuf>,
    sequential: bool,
}

fn parse_args() -> Result<Args> {
    let mut args = Args {
        customers: 100_000,
        interactions: 1_000_000,
        timeline: 10_000,
        ledger: 10_000,
        inquiries: 1_000,
        products: 200,
        connections: 16,
        warmup: 2,
        duration: 8,
        workloads: None,
        json: None,
        explain: false,
        explain_only: false,
        keep_state: None,
        authorization: std::env::var("CRM_LOAD_AUTHORIZATION").ok(),
        base_url: None,
        floor_url: None,
        scaling: None,
        startup: false,
        fuel: false,
        spin: None,
        sequential: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| anyhow!("{flag} needs a value"));
        match flag.as_str() {
            "--customers" => args.customers = value()?.parse()?,
            "--interactions" => args.interactions = value()?.parse()?,
            "--timeline" => args.timeline = value()?.parse()?,
            "--ledger" => args.ledger = value()?.parse()?,
            "--inquiries" => args.inquiries = value()?.parse()?,
            "--products" => args.products = value()?.parse()?,
            "--connections" => args.connections = value()?.parse()?,
            "--warmup" => args.warmup = value()?.parse()?,
            "--duration" => args.duration = value()?.parse()?,
            "--workloads" => {
                args.workloads = Some(value()?.split(',').map(str::to_owned).collect())
            }
            "--json" => args.json = Some(PathBuf::from(value()?)),
            "--explain" => args.explain = true,
            "--explain-only" => args.explain_only = true,
            "--keep-state" => args.keep_state = Some(PathBuf::from(value()?)),
            "--authorization" => args.authorization = Some(value()?),
            "--base-url" => args.base_url = Some(value()?),
            "--floor-url" => args.floor_url = Some(value()?),
            "--scaling" => {
                args.scaling = Some(
                    value()?
                        .split(',')
                        .map(|n| n.trim().replace('_', "").parse())
                        .collect::<Result<_, _>>()?,
                )
            }
            "--startup" => args.startup = true,
            "--fuel" => args.fuel = true,
            "--spin" => {
                args.spin = Some(
                    crm_spin::find()
                        .ok_or_else(|| anyhow!("--spin: {}", crm_spin::not_found_reason()))?,
                )
            }
            "--sequential" => args.sequential = true,
            "-h" | "--help" => {
                println!(
                    "{}",
                    include_str!("crm-load.rs")
                        .lines()
                        .take(37)
                        .map(|l| l.trim_start_matches("//!"))
                        .collect::<Vec<_>>()
                        .join("\n")
                );
                std::process::exit(0);
            }
            other => bail!("unknown argument {other}"),
        }
    }
    if args.spin.is_some() && args.fuel {
        bail!("--fuel meters crm-host; it has no Spin leg");
    }
    if args.customers < 5 {
        bail!("--customers must be at least 5 (four play fixed roles)");
    }
    Ok(args)
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The app's variables: the development auth configuration (`crm-token`, the same as
/// `scripts/run` and the end-to-end suite), overridden by any `SPIN_VARIABLE_*` set in
/// this process's environment, as `spin up` would read them.
fn variables() -> BTreeMap<String, String> {
    let mut map: BTreeMap<String, String> = crm_token::dev_variables()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    map.extend(std::env::vars().filter(|(k, _)| k.starts_with("SPIN_VARIABLE_")));
    map
}

/// A development admin token for the in-process app, valid for a day so that a long
/// scaling run never sees it expire. Only valid under the development variables.
fn dev_authorization() -> String {
    let claims = crm_token::claims(
        "bench",
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

/// An app being served, by crm-host in this process or by `spin up`.
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

    fn shutdown(self) {
        match self {
            Server::Host(host) => host.shutdown(),
            Server::Spin(spin) => {
                spin.stop();
            }
        }
    }
}

/// Serves `manifest` on `state` with the app's variables: through `spin up` when `spin`
/// names a Spin CLI, otherwise through crm-host in this process.
fn start(spin: &Option<PathBuf>, manifest: PathBuf, state: &Path) -> Result<Server> {
    match spin {
        None => start_with(manifest, state, false).map(Server::Host),
        Some(spin) => {
            let mut config = SpinConfig::new(spin, &manifest, state);
            config.variables = variables().into_iter().collect();
            SpinUp::start(&config).map(Server::Spin)
        }
    }
}

/// Where the runs are served, for the report's heading.
fn served_by(spin: &Option<PathBuf>) -> String {
    match spin {
        None => "crm-host (in process)".to_owned(),
        Some(path) => crm_spin::version(path).unwrap_or_else(|_| path.display().to_string()),
    }
}

fn start_with(manifest: PathBuf, state: &Path, meter_fuel: bool) -> Result<RunningHost> {
    let mut config = HostConfig::new(manifest);
    config.listen = "127.0.0.1:0".parse()?;
    config.state_dir = Some(state.to_path_buf());
    config.variable_env = VariableEnv::Map(variables());
    config.meter_fuel = meter_fuel;
    Host::start(config)
}

/// `--fuel`: one request of each workload against a fuel-metered app on the seeded
/// data (the fuel suite's own data set is small; this is the cost at the benchmark's
/// scale: a 200-product catalogue, 1,000 inquiries, a 10,000-entry ledger).
fn fuel(
    runtime: &tokio::runtime::Runtime,
    fixture: Arc<Fixture>,
    authorization: &Option<String>,
    names: Option<&[String]>,
    state: &Path,
) -> Result<()> {
    let host = start_with(repo_root().join("spin.toml"), state, true)?;
    let meter = host
        .fuel_handle()
        .ok_or_else(|| anyhow!("the host is not metering fuel"))?;
    println!("{:<28} {:>7} {:>14}", "workload", "status", "fuel");
    for (name, build, _) in builders(&fixture) {
        if names.is_some_and(|wanted| !wanted.iter().any(|w| w == name)) {
            continue;
        }
        let spec = authorized(build, authorization)(0);
        let before = meter.measurements().len();
        let (status, _) = runtime.block_on(fetch(host.addr(), &spec))?;
        let fuel = meter
            .wait_for(before, Duration::from_secs(30))
            .map_or("-".to_owned(), |m| m.fuel.to_string());
        println!("{name:<28} {status:>7} {fuel:>14}");
    }
    host.shutdown();
    Ok(())
}

fn addr_of(url: &str) -> Result<SocketAddr> {
    let authority = url.trim_start_matches("http://").trim_end_matches('/');
    authority
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| anyhow!("cannot resolve {url}"))
}

/// The seeded data the workloads address. Customers 0 to 3 play fixed roles and are
/// kept out of the random picks so that writes never disturb what reads measure.
struct Fixture {
    /// Every customer; `customers[ORDINARY..]` are the ordinary ones.
    customers: Vec<String>,
    /// The customer with the long timeline.
    timeline: String,
    /// The customer with the 10,000-entry ledger.
    ledger: String,
    /// The customer whose balance the redemptions spend.
    redeemer: String,
    /// The customer with 1,000 recent inquiries (recommendations, 360 with history).
    history: String,
}

/// Where the ordinary customers start.
const ORDINARY: usize = 4;

impl Fixture {
    fn from_ids(ids: Vec<String>) -> Self {
        Fixture {
            timeline: ids[0].clone(),
            ledger: ids[1].clone(),
            redeemer: ids[2].clone(),
            history: ids[3].clone(),
            customers: ids,
        }
    }

    /// An ordinary customer, spread over the whole set.
    fn pick(&self, n: u64) -> &str {
        let ordinary = &self.customers[ORDINARY..];
        &ordinary[(n.wrapping_mul(7919) % ordinary.len() as u64) as usize]
    }

    /// The n-th ordinary customer in order from a place that differs per run (so a
    /// rerun on kept data meets no application left open by the last one), and how
    /// many times the set wrapped.
    fn nth(&self, n: u64) -> (&str, u64) {
        let ordinary = &self.customers[ORDINARY..];
        let len = ordinary.len() as u64;
        let n = n + run_id() % len;
        (&ordinary[(n % len) as usize], n / len)
    }
}

type Build = Arc<dyn Fn(u64) -> RequestSpec + Send + Sync>;

/// This run's start in ms: keys and national ids stay unique across runs against the
/// same database.
fn run_id() -> u64 {
    static RUN: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *RUN.get_or_init(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64)
    })
}

fn key(workload: &str, n: u64) -> String {
    format!("load-{}-{workload}-{n}", run_id())
}

fn loan_body(customer: &str, product: &str) -> serde_json::Value {
    // Terms inside every product's limits with a comfortable DTI: pre-approved.
    let (amount, term) = match product {
        "personal" => (10_000_000, 36),
        "auto" => (20_000_000, 60),
        "mortgage" => (200_000_000, 300),
        _ => (5_000_000, 24),
    };
    json!({
        "customerId": customer, "product": product,
        "amount": {"amount": amount, "currency": "CNY"}, "termMonths": term,
        "purpose": "benchmark", "monthlyIncome": {"amount": 3_000_000, "currency": "CNY"},
        "monthlyDebtPayments": {"amount": 200_000, "currency": "CNY"}, "creditScore": 760,
        "employmentStatus": "employed", "employmentMonths": 48
    })
}

const PRODUCTS: [&str; 4] = ["personal", "auto", "mortgage", "credit_card"];

/// The request builders by workload name; `mixed` is built from these.
fn builders(f: &Arc<Fixture>) -> Vec<(&'static str, Build, &'static [u16])> {
    let mut out: Vec<(&'static str, Build, &'static [u16])> = Vec::new();
    out.push((
        // A component's fixed cost: instantiate, open both stores, answer, no query.
        "customer.health",
        Arc::new(|_: u64| RequestSpec::get("/v1/customers/health")),
        &[200],
    ));
    let g = Arc::clone(f);
    out.push((
        "customer.read",
        Arc::new(move |n: u64| RequestSpec::get(format!("/v1/customers/{}", g.pick(n)))),
        &[200],
    ));
    out.push((
        "customer.list",
        Arc::new(|n: u64| {
            RequestSpec::get(format!(
                "/v1/customers?limit=50&segment={}",
                ["retail", "sme", "private"][(n % 3) as usize]
            ))
        }),
        &[200],
    ));
    out.push((
        "customer.search",
        Arc::new(|n: u64| {
            let surnames = ["wang", "li", "zhang", "liu", "chen"];
            RequestSpec::get(format!(
                "/v1/customers?q={}+w&limit=20",
                surnames[(n % 5) as usize]
            ))
        }),
        &[200],
    ));
    let g = Arc::clone(f);
    out.push((
        // The customer with the long timeline: what a read costs once a history is long.
        "customer.read.long_history",
        Arc::new(move |_: u64| RequestSpec::get(format!("/v1/customers/{}", g.timeline))),
        &[200],
    ));
    let g = Arc::clone(f);
    out.push((
        "customer.360",
        Arc::new(move |n: u64| {
            RequestSpec::get(format!("/v1/customers/{}/360", g.pick(n.wrapping_add(13))))
        }),
        &[200],
    ));
    let g = Arc::clone(f);
    out.push((
        // The customer with 1,000 recent inquiries: offers, contacts and last activity
        // all have something to read.
        "customer.360.history",
        Arc::new(move |_: u64| RequestSpec::get(format!("/v1/customers/{}/360", g.history))),
        &[200],
    ));
    let g = Arc::clone(f);
    out.push((
        "interaction.timeline",
        Arc::new(move |_: u64| {
            RequestSpec::get(format!(
                "/v1/interactions?customerId={}&limit=50",
                g.timeline
            ))
        }),
        &[200],
    ));
    let g = Arc::clone(f);
    out.push((
        "loyalty.account",
        Arc::new(move |_: u64| RequestSpec::get(format!("/v1/loyalty/accounts/{}", g.ledger))),
        &[200],
    ));
    let g = Arc::clone(f);
    out.push((
        // Issue 8's benchmark: the whole catalogue ranked for a customer whose recent
        // inquiries (the newest 200 of 1,000 are read) raise the categories they name.
        "recommendations",
        Arc::new(move |_: u64| {
            RequestSpec::get(format!("/v1/recommendations/{}?limit=3", g.history))
        }),
        &[200],
    ));
    let g = Arc::clone(f);
    out.push((
        "loan.quote",
        Arc::new(move |n: u64| {
            let body = loan_body(g.pick(n), PRODUCTS[(n % 4) as usize]);
            RequestSpec::post_json("/v1/loans/quote", body.to_string())
        }),
        &[200],
    ));
    out.push((
        "customer.create",
        Arc::new(|n: u64| {
            let body = json!({
                "fullName": format!("Load Test {n}"), "dateOfBirth": "1988-08-08",
                "nationalId": format!("LT{:016}", run_id() % 1_000_000 * 1_000_000_000 + n),
                "nationalIdCountry": "CN",
                "segment": "retail", "riskTolerance": "moderate",
                "monthlyIncome": {"amount": 1_000_000, "currency": "CNY"},
                "totalAssets": {"amount": 5_000_000, "currency": "CNY"},
                "employmentStatus": "employed"
            });
            RequestSpec::post("/v1/customers", body.to_string(), key("customer.create", n))
        }),
        &[201],
    ));
    let g = Arc::clone(f);
    out.push((
        "interaction.append",
        Arc::new(move |n: u64| {
            let channel = ["phone", "branch", "chat", "mobile_app"][(n % 4) as usize];
            let body = json!({
                "customerId": g.pick(n.wrapping_add(29)),
                "channel": channel,
                "direction": "inbound", "type": "inquiry",
                "subject": "Question about the card statement",
                "notes": "Explained the annual fee waiver conditions.",
                "outcome": "resolved", "sentiment": "neutral", "agentId": "agent-17"
            });
            RequestSpec::post(
                "/v1/interactions",
                body.to_string(),
                key("interaction.append", n),
            )
        }),
        &[201],
    ));
    let g = Arc::clone(f);
    out.push((
        "loyalty.earn",
        Arc::new(move |n: u64| {
            let body = json!({
                "eventType": "card_spend", "amount": {"amount": 25_000 + (n % 50) * 1000, "currency": "CNY"},
                "reference": key("earn", n)
            });
            RequestSpec::post(
                format!("/v1/loyalty/accounts/{}/earn", g.pick(n.wrapping_add(41))),
                body.to_string(),
                key("loyalty.earn", n),
            )
        }),
        &[201],
    ));
    let g = Arc::clone(f);
    out.push((
        "loyalty.redeem",
        Arc::new(move |n: u64| {
            let body = json!({
                "points": 100, "rewardCode": "COFFEE-100", "reference": key("redeem", n)
            });
            RequestSpec::post(
                format!("/v1/loyalty/accounts/{}/redeem", g.redeemer),
                body.to_string(),
                key("loyalty.redeem", n),
            )
        }),
        &[201],
    ));
    let g = Arc::clone(f);
    out.push((
        // Issue 17: a batch of 20 account events from core banking, for 20 customers,
        // each raising an alert (the default rule for a stopped salary).
        "engagement.events",
        Arc::new(move |n: u64| {
            let at = seed::now().to_string();
            let events: Vec<serde_json::Value> = (0..20u64)
                .map(|i| {
                    json!({"id": key("evt", n * 20 + i), "type": "salary_stopped",
                        "customerId": g.pick(n.wrapping_mul(20).wrapping_add(i)), "occurredAt": at})
                })
                .collect();
            RequestSpec::post_json(
                "/v1/engagement/events",
                json!({ "events": events }).to_string(),
            )
        }),
        &[200],
    ));
    out.push((
        // A relationship manager's queue: open tasks, earliest due first (100 per
        // manager seeded).
        "engagement.queue",
        Arc::new(|n: u64| {
            RequestSpec::get(format!(
                "/v1/engagement/tasks?assignee=rm_{}&status=open&limit=50",
                n % 100
            ))
        }),
        &[200],
    ));
    let g = Arc::clone(f);
    out.push((
        "loan.application",
        Arc::new(move |n: u64| {
            // One open application per customer and product: walk the customers in
            // order, two products per pass (the mixed workload uses the other two).
            let (customer, pass) = g.nth(n);
            let product = PRODUCTS[(pass % 2) as usize];
            RequestSpec::post(
                "/v1/loans/applications",
                loan_body(customer, product).to_string(),
                key("loan.application", n),
            )
        }),
        &[201],
    ));
    out
}

/// The mixed workload's ratio: out of every 20 requests, 14 reads (70 %) and 6 writes
/// (30 %), as a branch or a contact centre would mix them.
const MIX: &[(&str, u64)] = &[
    ("customer.read", 4),
    ("customer.360", 3),
    ("customer.search", 1),
    ("customer.list", 1),
    ("interaction.timeline", 2),
    ("loyalty.account", 2),
    ("loan.quote", 1),
    ("interaction.append", 3),
    ("loyalty.earn", 1),
    ("loyalty.redeem", 1),
    ("mixed.application", 1),
];

fn mixed(by_name: &[(&'static str, Build, &'static [u16])], f: &Arc<Fixture>) -> Result<Build> {
    let g = Arc::clone(f);
    let application: Build = Arc::new(move |n: u64| {
        let (customer, pass) = g.nth(n);
        let product = PRODUCTS[2 + (pass % 2) as usize];
        RequestSpec::post(
            "/v1/loans/applications",
            loan_body(customer, product).to_string(),
            key("mixed.application", n),
        )
    });
    let mut slots: Vec<(Build, u64)> = Vec::new();
    for (name, weight) in MIX {
        let build = if *name == "mixed.application" {
            Arc::clone(&application)
        } else {
            by_name
                .iter()
                .find(|(n, _, _)| n == name)
                .map(|(_, b, _)| Arc::clone(b))
                .ok_or_else(|| anyhow!("no workload {name}"))?
        };
        slots.push((build, *weight));
    }
    let total: u64 = MIX.iter().map(|(_, w)| w).sum();
    // Each sub-workload gets its own counter (n / total * weight + offset) so that
    // keys and customers stay unique within it.
    Ok(Arc::new(move |n: u64| {
        let round = n / total;
        let mut slot = n % total;
        for (build, weight) in &slots {
            if slot < *weight {
                return build(round * weight + slot);
            }
            slot -= weight;
        }
        unreachable!("slot within the total weight")
    }))
}

/// `build` with the `authorization` header added when one is configured.
fn authorized(build: Build, authorization: &Option<String>) -> Build {
    match authorization.clone() {
        None => build,
        Some(value) => Arc::new(move |n: u64| {
            let mut spec = build(n);
            spec.headers.push(("authorization", value.clone()));
            spec
        }),
    }
}

/// The three floors, served by the floor app (`tests/fixtures/floor`): the no-op
/// component, and the bare storage costs (`tests/fixtures/floor-store`).
fn floors() -> Vec<Workload> {
    vec![
        Workload {
            name: "floor".into(),
            next: Box::new(|_| RequestSpec::get("/")),
            ok: &[200],
        },
        Workload {
            name: "floor.read".into(),
            next: Box::new(|n| RequestSpec::get(format!("/store/read/{n}"))),
            ok: &[200],
        },
        Workload {
            name: "floor.insert".into(),
            next: Box::new(|_| RequestSpec::post_json("/store/insert", String::new())),
            ok: &[200],
        },
    ]
}

/// Whether a workload is served by the floor app.
fn is_floor(name: &str) -> bool {
    name == "floor" || name.starts_with("floor.")
}

/// The bare floor of what a workload does: one row written for the writes, one row read
/// for everything else (a quote reads the policy), none for the floors and the mix.
fn bare_of(name: &str) -> Option<&'static str> {
    const WRITES: &[&str] = &[
        "customer.create",
        "engagement.events",
        "interaction.append",
        "loyalty.earn",
        "loyalty.redeem",
        "loan.application",
    ];
    if is_floor(name) || name == "mixed" {
        None
    } else if WRITES.contains(&name) {
        Some("floor.insert")
    } else {
        Some("floor.read")
    }
}

/// Creates the storage floors' table (WAL, 1,000 rows) before they are measured.
fn prepare_floors(runtime: &tokio::runtime::Runtime, floor: SocketAddr) -> Result<()> {
    let (status, _) = runtime.block_on(fetch(
        floor,
        &RequestSpec::post_json("/store/setup", String::new()),
    ))?;
    if status != 200 {
        bail!("the storage floor's setup answered {status}");
    }
    Ok(())
}

fn workloads(f: Arc<Fixture>, authorization: &Option<String>) -> Result<Vec<Workload>> {
    let by_name = builders(&f);
    let mut out = floors();
    for (name, build, ok) in &by_name {
        let build = authorized(Arc::clone(build), authorization);
        out.push(Workload {
            name: (*name).into(),
            next: Box::new(move |n| build(n)),
            ok,
        });
    }
    let mix = authorized(mixed(&by_name, &f)?, authorization);
    out.push(Workload {
        name: "mixed".into(),
        next: Box::new(move |n| mix(n)),
        ok: &[200, 201],
    });
    Ok(out)
}

/// A sequential client for seeding a running app through its API.
struct Api {
    addr: SocketAddr,
    authorization: Option<String>,
    sender: hyper::client::conn::http1::SendRequest<http_body_util::Full<bytes::Bytes>>,
}

impl Api {
    async fn connect(addr: SocketAddr, authorization: Option<String>) -> Result<Self> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        Ok(Api {
            addr,
            authorization,
            sender,
        })
    }

    async fn call(&mut self, spec: &RequestSpec) -> Result<(u16, serde_json::Value)> {
        use http_body_util::BodyExt;
        let mut builder = http::Request::builder()
            .method(spec.method.clone())
            .uri(&spec.path)
            .header("host", self.addr.to_string());
        if spec.body.is_some() {
            builder = builder.header("content-type", "application/json");
        }
        for (name, value) in &spec.headers {
            builder = builder.header(*name, value);
        }
        if let Some(value) = &self.authorization {
            builder = builder.header("authorization", value);
        }
        let body =
            http_body_util::Full::new(bytes::Bytes::from(spec.body.clone().unwrap_or_default()));
        self.sender.ready().await?;
        let response = self.sender.send_request(builder.body(body)?).await?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await?.to_bytes();
        let value = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
        Ok((status, value))
    }
}

/// Seeds a running app through its API: reads up to 1,000 existing customers, then
/// gives the first a timeline of `timeline` contacts, the second `ledger` earns, the
/// third a balance for the redemptions and the fourth `inquiries` inquiries. Much
/// smaller than the in-process seeding: each row is one HTTP request. The catalogue is
/// left as the app has it.
async fn seed_through_api(
    addr: SocketAddr,
    authorization: Option<String>,
    timeline: u64,
    ledger: u64,
    inquiries: u64,
) -> Result<Vec<String>> {
    let mut api = Api::connect(addr, authorization).await?;
    let mut ids = Vec::new();
    let mut path = "/v1/customers?limit=200".to_owned();
    while ids.len() < 1000 {
        let (_, page) = api
            .call(&RequestSpec::get(&path))
            .await
            .context("list page")?;
        for item in page["items"].as_array().into_iter().flatten() {
            ids.extend(item["id"].as_str().map(str::to_owned));
        }
        match page["nextCursor"].as_str() {
            Some(c) => path = format!("/v1/customers?limit=200&cursor={c}"),
            None => break,
        }
    }
    if ids.len() <= ORDINARY {
        bail!("the app at {addr} has fewer than 5 customers; create some first");
    }
    let expect = |what: &str, (status, body): (u16, serde_json::Value)| -> Result<()> {
        if status == 201 {
            Ok(())
        } else {
            bail!("seeding {what}: {status} {body}")
        }
    };
    for n in 0..timeline {
        let body = json!({"customerId": ids[0], "channel": "phone", "direction": "inbound",
            "type": "inquiry", "subject": format!("Seeded contact {n}"), "agentId": "bench-seed"});
        let spec = RequestSpec::post("/v1/interactions", body.to_string(), key("seed.int", n));
        expect("an interaction", api.call(&spec).await?)?;
    }
    for n in 0..ledger {
        let body = json!({"eventType": "card_spend", "amount": {"amount": 100_000, "currency": "CNY"},
            "reference": key("seed.earn", n)});
        let spec = RequestSpec::post(
            format!("/v1/loyalty/accounts/{}/earn", ids[1]),
            body.to_string(),
            key("seed.earn", n),
        );
        expect("an earn", api.call(&spec).await?)?;
    }
    for n in 0..20 {
        let body = json!({"eventType": "card_spend", "amount": {"amount": 100_000_000, "currency": "CNY"},
            "reference": key("seed.balance", n)});
        let spec = RequestSpec::post(
            format!("/v1/loyalty/accounts/{}/earn", ids[2]),
            body.to_string(),
            key("seed.balance", n),
        );
        expect("a balance earn", api.call(&spec).await?)?;
    }
    for n in 0..inquiries {
        let body = json!({"customerId": ids[3], "channel": "phone", "direction": "inbound",
            "type": "inquiry", "subject": "Asked about high-yield savings rates",
            "agentId": "bench-seed"});
        let spec = RequestSpec::post("/v1/interactions", body.to_string(), key("seed.inq", n));
        expect("an inquiry", api.call(&spec).await?)?;
    }
    Ok(ids)
}

/// How much data a state directory gets.
#[derive(Debug, Clone, Copy)]
struct Sizes {
    customers: u64,
    interactions: u64,
    timeline: u64,
    ledger: u64,
    inquiries: u64,
    products: usize,
}

impl Sizes {
    fn of(args: &Args) -> Self {
        Sizes {
            customers: args.customers,
            interactions: args.interactions,
            timeline: args.timeline,
            ledger: args.ledger,
            inquiries: args.inquiries,
            products: args.products,
        }
    }

    /// The scaling runs' data at `customers`: as many interactions as customers (5,000
    /// of them on the timeline customer), and a ledger of a tenth as many entries on the
    /// loyalty customer, so each table the indexed reads search grows with the size.
    fn scaled(customers: u64, base: Sizes) -> Self {
        Sizes {
            customers,
            interactions: customers,
            timeline: 5_000.min(customers / 2),
            ledger: customers / 10,
            ..base
        }
    }
}

/// Seconds each part of [`seed_state`] took.
#[derive(Debug, Clone, Copy, Default)]
struct SeedTimes {
    customers: f64,
    interactions: f64,
    ledger: f64,
    recommendations: f64,
}

/// Seeds `state` through the storage port and returns the customer ids, printing
/// what it loaded and how long each part took.
fn seed_state(sizes: Sizes, state: &Path, explain_plans: bool) -> Result<(Vec<String>, SeedTimes)> {
    let now = seed::now();
    let db = seed::open(state)?;
    let mut times = SeedTimes::default();
    let t = Instant::now();
    let ids = seed::customers(&db, sizes.customers, now)?;
    times.customers = t.elapsed().as_secs_f64();
    eprintln!("seeded {} customers in {:.1}s", ids.len(), times.customers);
    let t = Instant::now();
    let load = seed::interactions(&db, &ids, sizes.interactions, sizes.timeline, now)?;
    times.interactions = t.elapsed().as_secs_f64();
    eprintln!(
        "seeded {} interactions ({} on the timeline customer) in {:.1}s",
        load.rows, load.long_timeline, times.interactions
    );
    let t = Instant::now();
    seed::loyalty_history(&db, &ids[1], sizes.ledger, now)?;
    seed::loyalty_balance(&db, &ids[2], 10_000_000, now)?;
    times.ledger = t.elapsed().as_secs_f64();
    eprintln!(
        "seeded {} ledger entries and a redemption balance in {:.1}s",
        sizes.ledger, times.ledger
    );
    let t = Instant::now();
    seed::inquiries(&db, &ids[3], sizes.inquiries, now)?;
    let products = seed::catalogue(&db, sizes.products, now)?;
    let tasks = seed::tasks(&db, &ids, now)?;
    eprintln!("seeded {tasks} open tasks, one per ten customers");
    times.recommendations = t.elapsed().as_secs_f64();
    eprintln!(
        "seeded {} inquiries on one customer and a catalogue of {products} products in {:.1}s",
        sizes.inquiries, times.recommendations
    );
    if explain_plans {
        let plans = explain::hot_reads(
            &db,
            &explain::Subjects {
                customer: &ids[ORDINARY],
                timeline_customer: &ids[0],
                loyalty_customer: &ids[1],
                history_customer: &ids[3],
            },
            now,
        )?;
        println!("Query plans on the seeded database\n");
        print!("{}", explain::render(&plans));
        let scans: Vec<_> = plans
            .iter()
            .flat_map(|(w, ps)| ps.iter().filter(|p| p.scans_a_table()).map(move |p| (w, p)))
            .collect();
        for (w, p) in &scans {
            println!("NOTE: {w} scans a table: {}", p.sql);
        }
    }
    Ok((ids.iter().map(ToString::to_string).collect(), times))
}

/// The customers of a state directory seeded by an earlier run, in creation order
/// (ids are time-ordered and the seeded ones share a millisecond and count up).
fn seeded_ids(state: &Path) -> Result<Vec<String>> {
    use crm_store::Database;
    let db = seed::open(state)?;
    let rows = db
        .execute("SELECT id FROM customers ORDER BY id", &[])
        .map_err(|e| anyhow!("{e}"))?;
    rows.iter()
        .map(|r| r.str("id").map(str::to_owned).map_err(|e| anyhow!("{e}")))
        .collect()
}

/// Runs `names` (the three floors always first) against the app and the floor app.
fn run_workloads(
    runtime: &tokio::runtime::Runtime,
    fixture: Arc<Fixture>,
    authorization: &Option<String>,
    names: Option<&[String]>,
    addrs: (SocketAddr, SocketAddr),
    config: RunConfig,
) -> Result<Vec<Stats>> {
    let chosen: Vec<Workload> = workloads(fixture, authorization)?
        .into_iter()
        .filter(|w| is_floor(&w.name) || names.is_none_or(|wanted| wanted.contains(&w.name)))
        .collect();
    measure(runtime, chosen, addrs, config)
}

/// Runs each workload in turn (floors against the floor app) and fills in the ratios.
fn measure(
    runtime: &tokio::runtime::Runtime,
    chosen: Vec<Workload>,
    (app_addr, floor_addr): (SocketAddr, SocketAddr),
    config: RunConfig,
) -> Result<Vec<Stats>> {
    prepare_floors(runtime, floor_addr)?;
    let mut results: Vec<Stats> = Vec::new();
    for workload in chosen {
        let target = if is_floor(&workload.name) {
            floor_addr
        } else {
            app_addr
        };
        eprintln!("running {}…", workload.name);
        results.push(runtime.block_on(run(target, Arc::new(workload), config))?);
    }
    let floor = results
        .iter()
        .find(|s| s.workload == "floor")
        .cloned()
        .ok_or_else(|| anyhow!("no floor"))?;
    Ok(with_bare(with_floor(results, &floor), bare_of))
}

/// `--sequential`: one keep-alive connection, one request after another, per kind of
/// answer, next to the no-op and read floors. Where an answer leaves in pieces, Nagle's
/// algorithm meets the client's delayed ACK and p99 shows ~40 ms.
fn sequential_workloads(f: &Arc<Fixture>, authorization: &Option<String>) -> Vec<Workload> {
    let auth = |spec: RequestSpec| -> RequestSpec {
        let mut spec = spec;
        if let Some(value) = authorization {
            spec.headers.push(("authorization", value.clone()));
        }
        spec
    };
    let mut out: Vec<Workload> = floors().into_iter().take(2).collect();
    out.push(Workload {
        name: "seq.health".into(),
        next: Box::new(|n| {
            let service = [
                "customers",
                "interactions",
                "loyalty",
                "loans",
                "recommendations",
            ];
            RequestSpec::get(format!("/v1/{}/health", service[(n % 5) as usize]))
        }),
        ok: &[200],
    });
    let policy = auth(RequestSpec::get("/v1/loans/policy"));
    out.push(Workload {
        name: "seq.200 (policy)".into(),
        next: Box::new(move |_| policy.clone()),
        ok: &[200],
    });
    let g = Arc::clone(f);
    let token = authorization.clone();
    out.push(Workload {
        name: "seq.200 (audited read)".into(),
        next: Box::new(move |n| {
            let mut spec = RequestSpec::get(format!("/v1/customers/{}", g.pick(n)));
            if let Some(value) = &token {
                spec.headers.push(("authorization", value.clone()));
            }
            spec
        }),
        ok: &[200],
    });
    out.push(Workload {
        name: "seq.401".into(),
        next: Box::new(|_| RequestSpec::get("/v1/customers?limit=1")),
        ok: &[401],
    });
    let missing = auth(RequestSpec::get("/v1/loans/policy/999999"));
    out.push(Workload {
        name: "seq.404".into(),
        next: Box::new(move |_| missing.clone()),
        ok: &[404],
    });
    let invalid = auth(RequestSpec::post_json(
        "/v1/loans/quote",
        json!({"product": "personal", "amount": {"amount": -1, "currency": "CNY"},
               "termMonths": 0, "monthlyIncome": {"amount": 1, "currency": "CNY"},
               "monthlyDebtPayments": {"amount": 0, "currency": "CNY"}, "creditScore": 9999,
               "employmentStatus": "employed", "employmentMonths": 1})
        .to_string(),
    ));
    out.push(Workload {
        name: "seq.422".into(),
        next: Box::new(move |_| invalid.clone()),
        ok: &[422],
    });
    out
}

fn print_errors(results: &[Stats]) {
    for s in results.iter().filter(|s| s.errors > 0) {
        println!(
            "{} errors by status (0 = transport): {:?}",
            s.workload, s.error_statuses
        );
    }
}

/// The indexed reads issue 10's scaling target is about.
const SCALING_WORKLOADS: &[&str] = &[
    "customer.read",
    "customer.list",
    "interaction.timeline",
    "loyalty.account",
    "customer.360",
];

/// What one size of a scaling run measured.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ScalePoint {
    customers: u64,
    interactions: u64,
    timeline: u64,
    ledger: u64,
    seed_seconds: [f64; 4],
    database_bytes: u64,
    results: Vec<Stats>,
}

/// `--scaling`: for each size, seeds a state directory of its own (or reuses it under
/// `--keep-state`), serves it, runs the floor and the indexed reads, and prints p50 at
/// each size with the ratio of the largest to the smallest.
fn scaling(
    args: &Args,
    sizes: &[u64],
    runtime: &tokio::runtime::Runtime,
    authorization: &Option<String>,
    config: RunConfig,
) -> Result<()> {
    let scratch = tempfile::tempdir()?;
    let base = args
        .keep_state
        .clone()
        .unwrap_or_else(|| scratch.path().to_path_buf());
    let floor_state = tempfile::tempdir()?;
    let floor = start(
        &args.spin,
        repo_root().join("tests/fixtures/floor/spin.toml"),
        floor_state.path(),
    )?;
    let names: Vec<String> = args
        .workloads
        .clone()
        .unwrap_or_else(|| SCALING_WORKLOADS.iter().map(|s| (*s).to_owned()).collect());
    let largest = sizes.iter().copied().max().unwrap_or(0);
    let mut points = Vec::new();
    for &n in sizes {
        let sizes = Sizes::scaled(n, Sizes::of(args));
        let dir = base.join(format!("scale-{n}"));
        std::fs::create_dir_all(&dir)?;
        let db_file = dir.join("sqlite_db.db");
        let (ids, times) = if args.keep_state.is_some() && db_file.exists() {
            eprintln!("reusing the data in {}", dir.display());
            (seeded_ids(&dir)?, SeedTimes::default())
        } else {
            seed_state(sizes, &dir, args.explain && n == largest)?
        };
        let app = start(&args.spin, repo_root().join("spin.toml"), &dir)?;
        let results = run_workloads(
            runtime,
            Arc::new(Fixture::from_ids(ids)),
            authorization,
            Some(&names),
            (app.addr(), floor.addr()),
            config,
        )?;
        app.shutdown();
        println!(
            "\n{n} customers, {} interactions ({} on one timeline), {} ledger entries on one account; seeded in {:.1}s",
            sizes.interactions,
            sizes.timeline,
            sizes.ledger,
            times.customers + times.interactions + times.ledger + times.recommendations
        );
        print!("{}", table(&results));
        print_errors(&results);
        points.push(ScalePoint {
            customers: n,
            interactions: sizes.interactions,
            timeline: sizes.timeline,
            ledger: sizes.ledger,
            seed_seconds: [
                times.customers,
                times.interactions,
                times.ledger,
                times.recommendations,
            ],
            database_bytes: std::fs::metadata(&db_file).map_or(0, |m| m.len()),
            results,
        });
        if args.keep_state.is_none() {
            std::fs::remove_dir_all(&dir)?;
        }
    }
    floor.shutdown();
    println!("\np50 ms by size ({} connections)\n", config.connections);
    let mut header = format!("{:<24}", "workload");
    for p in &points {
        header.push_str(&format!(" {:>12}", p.customers));
    }
    header.push_str(&format!(" {:>12}", "last/first"));
    println!("{header}");
    let mut rows = vec!["floor".to_owned()];
    rows.extend(names.iter().cloned());
    for name in &rows {
        let p50: Vec<f64> = points
            .iter()
            .map(|p| {
                p.results
                    .iter()
                    .find(|s| &s.workload == name)
                    .map_or(f64::NAN, |s| s.p50_ms)
            })
            .collect();
        let mut line = format!("{name:<24}");
        for v in &p50 {
            line.push_str(&format!(" {v:>12.2}"));
        }
        if let (Some(first), Some(last)) = (p50.first(), p50.last()) {
            line.push_str(&format!(" {:>12.2}", last / first));
        }
        println!("{line}");
    }
    for p in &points {
        println!(
            "{} customers: database {:.0} MB, seeding {:.1}s customers + {:.1}s interactions + {:.1}s ledger + {:.1}s inquiries and catalogue",
            p.customers,
            p.database_bytes as f64 / 1e6,
            p.seed_seconds[0],
            p.seed_seconds[1],
            p.seed_seconds[2],
            p.seed_seconds[3]
        );
    }
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&points)?)?;
    }
    Ok(())
}

/// What each component answers with the least work: its health check (instantiate,
/// open both stores, read the schema version), or for the storeless contract a `304`
/// to a conditional GET of the OpenAPI document.
const PROBES: &[(&str, &str)] = &[
    ("customer-profile", "/v1/customers/health"),
    ("interactions", "/v1/interactions/health"),
    ("loyalty", "/v1/loyalty/health"),
    ("loan-preapproval", "/v1/loans/health"),
    ("recommendations", "/v1/recommendations/health"),
    ("api-contract", "/v1/openapi.json"),
];

/// Polls `path` on fresh connections until it answers 200; the time it first did.
fn first_answer(runtime: &tokio::runtime::Runtime, addr: SocketAddr, path: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok((200, _)) = runtime.block_on(fetch(addr, &RequestSpec::get(path))) {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{path} did not answer 200 within 60 s");
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// `--startup`: each component's `.wasm` size, the time from `Host::start` to the first
/// answered request (cold: this process compiles every component; warm: a second
/// start, compiled components reused as a test suite's restarts do), and each
/// component's cheapest request at one connection next to the floor's.
fn startup(args: &Args, runtime: &tokio::runtime::Runtime, config: RunConfig) -> Result<()> {
    let manifest = repo_root().join("spin.toml");
    let app = crm_host::manifest::load(&manifest)?;
    let state = tempfile::tempdir()?;
    // Migrated beforehand: the first request measures start-up, not the schema's creation.
    seed::open(state.path())?;
    let mut starts = Vec::new();
    let mut running = None;
    for run in ["cold", "warm"] {
        if let Some(host) = running.take() {
            Server::shutdown(host);
        }
        let t = Instant::now();
        let host = start(&args.spin, manifest.clone(), state.path())?;
        let started = t.elapsed();
        first_answer(runtime, host.addr(), "/v1/customers/health")?;
        let answered = t.elapsed();
        starts.push((run, started, answered));
        running = Some(host);
    }
    let host = running.ok_or_else(|| anyhow!("no host"))?;
    let floor_state = tempfile::tempdir()?;
    let floor = start(
        &args.spin,
        repo_root().join("tests/fixtures/floor/spin.toml"),
        floor_state.path(),
    )?;
    let (_, headers) =
        runtime.block_on(fetch(host.addr(), &RequestSpec::get("/v1/openapi.json")))?;
    let etag = headers
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let one = RunConfig {
        connections: 1,
        ..config
    };
    let floor_stats = runtime.block_on(run(
        floor.addr(),
        Arc::new(Workload {
            name: "floor".into(),
            next: Box::new(|_| RequestSpec::get("/")),
            ok: &[200],
        }),
        one,
    ))?;
    println!(
        "Start-up (spin.toml, {} components) on {}\n",
        app.components.len(),
        served_by(&args.spin)
    );
    println!(
        "{:<6} {:>16} {:>22}",
        "start", "serving ms", "first answer ms"
    );
    for (run, started, answered) in &starts {
        println!(
            "{run:<6} {:>16.1} {:>22.1}",
            started.as_secs_f64() * 1e3,
            answered.as_secs_f64() * 1e3
        );
    }
    println!(
        "\nPer component, 1 connection, {}s measured (floor p50 {:.3} ms)\n",
        args.duration, floor_stats.p50_ms
    );
    println!(
        "{:<18} {:>10} {:>30} {:>9} {:>9} {:>14}",
        "component", ".wasm KiB", "request", "p50 ms", "p99 ms", "p50 - floor"
    );
    let mut json_rows = Vec::new();
    for (component, path) in PROBES {
        let size = app
            .components
            .get(*component)
            .and_then(|c| std::fs::metadata(&c.source).ok())
            .map_or(0, |m| m.len());
        let (request, ok): (String, &'static [u16]) = if *component == "api-contract" {
            (format!("GET {path} (304)"), &[304])
        } else {
            (format!("GET {path}"), &[200])
        };
        let etag = etag.clone();
        let path = (*path).to_owned();
        let stats = runtime.block_on(run(
            host.addr(),
            Arc::new(Workload {
                name: (*component).into(),
                next: Box::new(move |_| {
                    let mut spec = RequestSpec::get(path.clone());
                    if ok == [304] {
                        spec.headers.push(("if-none-match", etag.clone()));
                    }
                    spec
                }),
                ok,
            }),
            one,
        ))?;
        println!(
            "{component:<18} {:>10.0} {request:>30} {:>9.3} {:>9.3} {:>14.3}",
            size as f64 / 1024.0,
            stats.p50_ms,
            stats.p99_ms,
            stats.p50_ms - floor_stats.p50_ms
        );
        if stats.errors > 0 {
            println!("  errors by status: {:?}", stats.error_statuses);
        }
        json_rows.push(
            json!({"component": component, "wasmBytes": size, "request": request,
            "p50Ms": stats.p50_ms, "p99Ms": stats.p99_ms, "floorP50Ms": floor_stats.p50_ms}),
        );
    }
    if let Some(path) = &args.json {
        let starts: Vec<_> = starts
            .iter()
            .map(|(run, s, a)| {
                json!({"start": run, "hostStartMs": s.as_secs_f64() * 1e3,
                "firstAnswerMs": a.as_secs_f64() * 1e3})
            })
            .collect();
        std::fs::write(
            path,
            serde_json::to_string_pretty(&json!({"starts": starts, "components": json_rows}))?,
        )?;
    }
    host.shutdown();
    floor.shutdown();
    Ok(())
}

fn main() -> Result<()> {
    let args = parse_args()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let config = RunConfig {
        connections: args.connections,
        warmup: Duration::from_secs(args.warmup),
        duration: Duration::from_secs(args.duration),
    };
    // In-process, the app runs under the development variables, so a development
    // token is what it accepts; against a running app the caller brings its own.
    let authorization = match (&args.authorization, &args.base_url) {
        (Some(given), _) => Some(given.clone()),
        (None, None) => Some(dev_authorization()),
        (None, Some(_)) => None,
    };
    if args.startup {
        return startup(&args, &runtime, config);
    }
    if let Some(sizes) = &args.scaling {
        return scaling(&args, sizes, &runtime, &authorization, config);
    }
    let state_dir = tempfile::tempdir()?;
    let state: PathBuf = match &args.keep_state {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            dir.clone()
        }
        None => state_dir.path().to_path_buf(),
    };
    let mut hosts = Vec::new();
    let (addrs, ids) = match &args.base_url {
        Some(url) => {
            let floor = args
                .floor_url
                .as_deref()
                .ok_or_else(|| anyhow!("--base-url needs --floor-url"))?;
            let addr = addr_of(url)?;
            let ids = runtime.block_on(seed_through_api(
                addr,
                authorization.clone(),
                args.timeline.min(500),
                args.ledger.min(500),
                args.inquiries.min(500),
            ))?;
            ((addr, addr_of(floor)?), ids)
        }
        None => {
            let ids = if args.keep_state.is_some() && state.join("sqlite_db.db").exists() {
                eprintln!("reusing the data in {}", state.display());
                seeded_ids(&state)?
            } else {
                seed_state(Sizes::of(&args), &state, args.explain || args.explain_only)?.0
            };
            if args.explain_only {
                return Ok(());
            }
            if args.fuel {
                let fixture = Arc::new(Fixture::from_ids(ids));
                return fuel(
                    &runtime,
                    fixture,
                    &authorization,
                    args.workloads.as_deref(),
                    &state,
                );
            }
            let app = start(&args.spin, repo_root().join("spin.toml"), &state)?;
            let floor_state = tempfile::tempdir()?;
            let floor = start(
                &args.spin,
                repo_root().join("tests/fixtures/floor/spin.toml"),
                floor_state.path(),
            )?;
            let addrs = (app.addr(), floor.addr());
            hosts.push((app, floor_state));
            hosts.push((floor, tempfile::tempdir()?));
            (addrs, ids)
        }
    };
    let fixture = Arc::new(Fixture::from_ids(ids));
    let (results, connections) = if args.sequential {
        let one = RunConfig {
            connections: 1,
            ..config
        };
        let chosen = sequential_workloads(&fixture, &authorization);
        (measure(&runtime, chosen, addrs, one)?, 1)
    } else {
        let results = run_workloads(
            &runtime,
            fixture,
            &authorization,
            args.workloads.as_deref(),
            addrs,
            config,
        )?;
        (results, config.connections)
    };
    println!(
        "Served by {}; {} connection(s), {}s warm-up, {}s measured; {} customers, {} interactions ({} on one timeline), {} ledger entries on one account, {} inquiries on one customer, {} products\n",
        served_by(&args.spin),
        connections,
        args.warmup,
        args.duration,
        args.customers,
        args.interactions,
        args.timeline,
        args.ledger,
        args.inquiries,
        args.products
    );
    print!("{}", table(&results));
    print_errors(&results);
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&results)?)?;
    }
    for (server, _) in hosts {
        server.shutdown();
    }
    Ok(())
}
