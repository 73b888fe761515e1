//! `crm-load`: the load tool. By default it seeds a fresh state directory through the
//! storage port, serves the root `spin.toml` and the floor app through `crm-host` in
//! this process, runs every workload, and prints a table (and JSON with `--json`).
//! With `--base-url` it targets a running app instead (e.g. `spin up`), seeding
//! through the API.
//!
//!   crm-load [--customers 10000] [--connections 16] [--warmup 2] [--duration 8]
//!            [--workloads floor,customer.read,...] [--json out.json]
//!            [--base-url http://127.0.0.1:3000 --floor-url http://127.0.0.1:3001]

use anyhow::{Context, Result, anyhow, bail};
use crm_bench::{RequestSpec, RunConfig, Stats, Workload, run, seed, table, with_floor};
use crm_host::{Host, HostConfig, RunningHost};
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

struct Args {
    customers: u64,
    connections: usize,
    warmup: u64,
    duration: u64,
    workloads: Option<Vec<String>>,
    json: Option<PathBuf>,
    base_url: Option<String>,
    floor_url: Option<String>,
}

fn parse_args() -> Result<Args> {
    let mut args = Args {
        customers: 10_000,
        connections: 16,
        warmup: 2,
        duration: 8,
        workloads: None,
        json: None,
        base_url: None,
        floor_url: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| anyhow!("{flag} needs a value"));
        match flag.as_str() {
            "--customers" => args.customers = value()?.parse()?,
            "--connections" => args.connections = value()?.parse()?,
            "--warmup" => args.warmup = value()?.parse()?,
            "--duration" => args.duration = value()?.parse()?,
            "--workloads" => {
                args.workloads = Some(value()?.split(',').map(str::to_owned).collect())
            }
            "--json" => args.json = Some(PathBuf::from(value()?)),
            "--base-url" => args.base_url = Some(value()?),
            "--floor-url" => args.floor_url = Some(value()?),
            "-h" | "--help" => {
                println!(
                    "{}",
                    include_str!("crm-load.rs")
                        .lines()
                        .take(10)
                        .map(|l| l.trim_start_matches("//!"))
                        .collect::<Vec<_>>()
                        .join("\n")
                );
                std::process::exit(0);
            }
            other => bail!("unknown argument {other}"),
        }
    }
    Ok(args)
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn start(manifest: PathBuf, state: &Path) -> Result<RunningHost> {
    let mut config = HostConfig::new(manifest);
    config.listen = "127.0.0.1:0".parse()?;
    config.state_dir = Some(state.to_path_buf());
    Host::start(config)
}

fn addr_of(url: &str) -> Result<SocketAddr> {
    let authority = url.trim_start_matches("http://").trim_end_matches('/');
    authority
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| anyhow!("cannot resolve {url}"))
}

fn workloads(customer_ids: Arc<Vec<String>>) -> Vec<Workload> {
    let ids = Arc::clone(&customer_ids);
    let ids360 = Arc::clone(&customer_ids);
    vec![
        Workload {
            name: "floor".into(),
            next: Box::new(|_| RequestSpec::get("/")),
            ok: &[200],
        },
        Workload {
            name: "customer.read".into(),
            next: Box::new(move |n| {
                RequestSpec::get(format!(
                    "/v1/customers/{}",
                    ids[(n.wrapping_mul(7919) % ids.len() as u64) as usize]
                ))
            }),
            ok: &[200],
        },
        Workload {
            name: "customer.list".into(),
            next: Box::new(|n| {
                RequestSpec::get(format!(
                    "/v1/customers?limit=50&segment={}",
                    ["retail", "sme", "private"][(n % 3) as usize]
                ))
            }),
            ok: &[200],
        },
        Workload {
            name: "customer.search".into(),
            next: Box::new(|n| {
                let surnames = ["wang", "li", "zhang", "liu", "chen"];
                RequestSpec::get(format!(
                    "/v1/customers?q={}+w&limit=20",
                    surnames[(n % 5) as usize]
                ))
            }),
            ok: &[200],
        },
        Workload {
            name: "customer.360".into(),
            next: Box::new(move |n| {
                RequestSpec::get(format!(
                    "/v1/customers/{}/360",
                    ids360[(n.wrapping_mul(104_729) % ids360.len() as u64) as usize]
                ))
            }),
            ok: &[200],
        },
        Workload {
            name: "customer.create".into(),
            next: Box::new(|n| {
                let body = serde_json::json!({
                    "fullName": format!("Load Test {n}"), "dateOfBirth": "1988-08-08",
                    "nationalId": format!("LT{:016}", n + 1_000_000_000 * u64::from(std::process::id())),
                    "nationalIdCountry": "CN", "segment": "retail", "riskTolerance": "moderate",
                    "monthlyIncome": {"amount": 1_000_000, "currency": "CNY"},
                    "totalAssets": {"amount": 5_000_000, "currency": "CNY"}, "employmentStatus": "employed"
                });
                RequestSpec::post(
                    "/v1/customers",
                    body.to_string(),
                    format!("load-{}-{n}", std::process::id()),
                )
            }),
            ok: &[201],
        },
    ]
}

async fn ids_from_api(addr: SocketAddr) -> Result<Vec<String>> {
    // A running app is seeded through its API and read back page by page.
    let mut ids = Vec::new();
    let mut path = "/v1/customers?limit=200".to_owned();
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    while ids.len() < 1000 {
        use http_body_util::BodyExt;
        let request = http::Request::get(&path)
            .header("host", addr.to_string())
            .body(http_body_util::Full::new(bytes::Bytes::new()))?;
        let body = sender
            .send_request(request)
            .await?
            .into_body()
            .collect()
            .await?
            .to_bytes();
        let page: serde_json::Value = serde_json::from_slice(&body).context("list page")?;
        for item in page["items"].as_array().into_iter().flatten() {
            ids.extend(item["id"].as_str().map(str::to_owned));
        }
        match page["nextCursor"].as_str() {
            Some(c) => path = format!("/v1/customers?limit=200&cursor={c}"),
            None => break,
        }
    }
    if ids.is_empty() {
        bail!("the app at {addr} has no customers to read; create some first");
    }
    Ok(ids)
}

fn main() -> Result<()> {
    let args = parse_args()?;
    let state = tempfile::tempdir()?;
    let mut hosts = Vec::new();
    let (app_addr, floor_addr, ids) = match &args.base_url {
        Some(url) => {
            let floor = args
                .floor_url
                .as_deref()
                .ok_or_else(|| anyhow!("--base-url needs --floor-url"))?;
            let runtime = tokio::runtime::Runtime::new()?;
            let addr = addr_of(url)?;
            let ids = runtime.block_on(ids_from_api(addr))?;
            (addr, addr_of(floor)?, ids)
        }
        None => {
            eprintln!(
                "seeding {} customers through the storage port…",
                args.customers
            );
            let started = std::time::Instant::now();
            let ids = seed::customers(state.path(), args.customers)?;
            eprintln!("seeded in {:.1}s", started.elapsed().as_secs_f64());
            let app = start(repo_root().join("spin.toml"), state.path())?;
            let floor_state = tempfile::tempdir()?;
            let floor = start(
                repo_root().join("tests/fixtures/floor/spin.toml"),
                floor_state.path(),
            )?;
            let addrs = (app.addr(), floor.addr());
            hosts.push((app, floor_state));
            hosts.push((floor, tempfile::tempdir()?));
            (
                addrs.0,
                addrs.1,
                ids.iter().map(ToString::to_string).collect(),
            )
        }
    };
    let config = RunConfig {
        connections: args.connections,
        warmup: Duration::from_secs(args.warmup),
        duration: Duration::from_secs(args.duration),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let mut results: Vec<Stats> = Vec::new();
    for workload in workloads(Arc::new(ids)) {
        if let Some(wanted) = &args.workloads
            && !wanted.contains(&workload.name)
            && workload.name != "floor"
        {
            continue;
        }
        let target = if workload.name == "floor" {
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
    let results = with_floor(results, &floor);
    println!(
        "{} connections, {}s warm-up, {}s measured, {} customers\n",
        config.connections, args.warmup, args.duration, args.customers
    );
    print!("{}", table(&results));
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&results)?)?;
    }
    for (host, _) in hosts {
        host.shutdown();
    }
    Ok(())
}
