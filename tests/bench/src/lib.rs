//! The project's load tool: drives an app over loopback HTTP with C keep-alive
//! connections for a fixed time after a warm-up, and reports requests/s and
//! p50/p95/p99/max latency per workload, as a table and as JSON. It targets any base
//! address, so the same run works against `crm-host` and against `spin up`.

use anyhow::{Context, Result, anyhow};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub mod explain;
pub mod seed;

/// One request a workload sends.
#[derive(Debug, Clone)]
pub struct RequestSpec {
    /// HTTP method.
    pub method: http::Method,
    /// Path and query.
    pub path: String,
    /// JSON body, if any.
    pub body: Option<String>,
    /// Extra headers.
    pub headers: Vec<(&'static str, String)>,
}

impl RequestSpec {
    /// A `GET path`.
    pub fn get(path: impl Into<String>) -> Self {
        RequestSpec {
            method: http::Method::GET,
            path: path.into(),
            body: None,
            headers: Vec::new(),
        }
    }

    /// A `POST path` with a JSON body and no idempotency key (e.g. a quote).
    pub fn post_json(path: impl Into<String>, body: String) -> Self {
        RequestSpec {
            method: http::Method::POST,
            path: path.into(),
            body: Some(body),
            headers: Vec::new(),
        }
    }

    /// A `POST path` with a JSON body and an idempotency key.
    pub fn post(path: impl Into<String>, body: String, key: String) -> Self {
        RequestSpec {
            method: http::Method::POST,
            path: path.into(),
            body: Some(body),
            headers: vec![("idempotency-key", key)],
        }
    }
}

/// A named stream of requests; `next(n)` builds the n-th request of the run.
pub struct Workload {
    /// The name in reports.
    pub name: String,
    /// Builds the n-th request (n counts across all connections).
    pub next: Box<dyn Fn(u64) -> RequestSpec + Send + Sync>,
    /// The statuses that count as success.
    pub ok: &'static [u16],
}

/// What one workload measured.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// Workload name.
    pub workload: String,
    /// Requests completed in the measured window.
    pub requests: u64,
    /// Requests with an unexpected status or a transport error.
    pub errors: u64,
    /// The unexpected statuses and how often each came (0 = a transport error).
    pub error_statuses: std::collections::BTreeMap<u16, u64>,
    /// Requests per second.
    pub rps: f64,
    /// Median latency, ms.
    pub p50_ms: f64,
    /// 95th percentile, ms.
    pub p95_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// Slowest request, ms.
    pub max_ms: f64,
    /// Throughput as a fraction of the floor's (set by [`with_floor`]).
    pub rps_vs_floor: Option<f64>,
    /// Median latency as a multiple of the floor's (set by [`with_floor`]).
    pub p50_vs_floor: Option<f64>,
    /// 99th percentile as a multiple of the floor's (set by [`with_floor`]).
    pub p99_vs_floor: Option<f64>,
    /// The bare floor of what this workload does (`floor.read` or `floor.insert`).
    pub bare: Option<String>,
    /// Throughput as a fraction of the bare floor's (set by [`with_bare`]).
    pub rps_vs_bare: Option<f64>,
    /// 99th percentile as a multiple of the bare floor's (set by [`with_bare`]).
    pub p99_vs_bare: Option<f64>,
}

/// Settings of a run.
#[derive(Debug, Clone, Copy)]
pub struct RunConfig {
    /// Concurrent keep-alive connections.
    pub connections: usize,
    /// Warm-up before measuring (not counted).
    pub warmup: Duration,
    /// Measured window.
    pub duration: Duration,
}

async fn connect(addr: SocketAddr) -> Result<hyper::client::conn::http1::SendRequest<Full<Bytes>>> {
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .context("connect")?;
    stream.set_nodelay(true)?;
    let (sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

async fn send(
    sender: &mut hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    addr: SocketAddr,
    spec: &RequestSpec,
) -> Result<u16> {
    let mut builder = http::Request::builder()
        .method(spec.method.clone())
        .uri(&spec.path)
        .header("host", addr.to_string());
    if spec.body.is_some() {
        builder = builder.header("content-type", "application/json");
    }
    for (name, value) in &spec.headers {
        builder = builder.header(*name, value);
    }
    let body = Full::new(Bytes::from(spec.body.clone().unwrap_or_default()));
    sender.ready().await?;
    let response = sender.send_request(builder.body(body)?).await?;
    let status = response.status().as_u16();
    response.into_body().collect().await?;
    Ok(status)
}

/// Sends one request on a fresh connection and returns its status and headers: for
/// probing (is the app up yet, what is a resource's etag), not for measuring.
pub async fn fetch(addr: SocketAddr, spec: &RequestSpec) -> Result<(u16, http::HeaderMap)> {
    let mut sender = connect(addr).await?;
    let mut builder = http::Request::builder()
        .method(spec.method.clone())
        .uri(&spec.path)
        .header("host", addr.to_string());
    if spec.body.is_some() {
        builder = builder.header("content-type", "application/json");
    }
    for (name, value) in &spec.headers {
        builder = builder.header(*name, value);
    }
    let body = Full::new(Bytes::from(spec.body.clone().unwrap_or_default()));
    let response = sender.send_request(builder.body(body)?).await?;
    let (parts, body) = response.into_parts();
    body.collect().await?;
    Ok((parts.status.as_u16(), parts.headers))
}

/// Runs `workload` against `addr` and returns its statistics.
pub async fn run(addr: SocketAddr, workload: Arc<Workload>, config: RunConfig) -> Result<Stats> {
    let counter = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let measure_from = start + config.warmup;
    let end = measure_from + config.duration;
    let mut tasks = Vec::new();
    for _ in 0..config.connections {
        let (workload, counter) = (Arc::clone(&workload), Arc::clone(&counter));
        tasks.push(tokio::spawn(async move {
            let mut latencies: Vec<u32> = Vec::new();
            let mut errors: Vec<u16> = Vec::new();
            let mut sender = connect(addr).await?;
            loop {
                let now = Instant::now();
                if now >= end {
                    break;
                }
                let spec = (workload.next)(counter.fetch_add(1, Ordering::Relaxed));
                let began = Instant::now();
                let outcome = send(&mut sender, addr, &spec).await;
                let micros = began.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
                let counted = began >= measure_from;
                match outcome {
                    Ok(status) if workload.ok.contains(&status) => {
                        if counted {
                            latencies.push(micros);
                        }
                    }
                    Ok(status) => {
                        if counted {
                            errors.push(status);
                            latencies.push(micros);
                        }
                    }
                    Err(_) => {
                        if counted {
                            errors.push(0);
                        }
                        sender = connect(addr).await?;
                    }
                }
            }
            anyhow::Ok((latencies, errors))
        }));
    }
    let mut all = Vec::new();
    let mut errors = std::collections::BTreeMap::new();
    for task in tasks {
        let (latencies, task_errors) =
            task.await.map_err(|e| anyhow!("load task failed: {e}"))??;
        all.extend(latencies);
        for status in task_errors {
            *errors.entry(status).or_insert(0u64) += 1;
        }
    }
    let mut s = stats(&workload.name, all, errors.values().sum(), config.duration);
    s.error_statuses = errors;
    Ok(s)
}

fn stats(name: &str, mut latencies: Vec<u32>, errors: u64, window: Duration) -> Stats {
    latencies.sort_unstable();
    let pick = |q: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        let index = ((latencies.len() as f64 - 1.0) * q).round() as usize;
        f64::from(latencies[index]) / 1000.0
    };
    Stats {
        workload: name.to_owned(),
        requests: latencies.len() as u64,
        errors,
        error_statuses: Default::default(),
        rps: latencies.len() as f64 / window.as_secs_f64(),
        p50_ms: pick(0.50),
        p95_ms: pick(0.95),
        p99_ms: pick(0.99),
        max_ms: pick(1.0),
        rps_vs_floor: None,
        p50_vs_floor: None,
        p99_vs_floor: None,
        bare: None,
        rps_vs_bare: None,
        p99_vs_bare: None,
    }
}

/// Fills in the ratios to the floor's throughput, median and 99th percentile.
pub fn with_floor(mut results: Vec<Stats>, floor: &Stats) -> Vec<Stats> {
    for s in &mut results {
        if floor.rps > 0.0 {
            s.rps_vs_floor = Some(s.rps / floor.rps);
        }
        if floor.p50_ms > 0.0 {
            s.p50_vs_floor = Some(s.p50_ms / floor.p50_ms);
        }
        if floor.p99_ms > 0.0 {
            s.p99_vs_floor = Some(s.p99_ms / floor.p99_ms);
        }
    }
    results
}

/// Fills in the ratios to each workload's bare floor, `bare_of(workload)` naming it among
/// `results` (a workload whose bare floor was not measured gets none).
pub fn with_bare(
    mut results: Vec<Stats>,
    bare_of: impl Fn(&str) -> Option<&'static str>,
) -> Vec<Stats> {
    let floors: Vec<Stats> = results.clone();
    for s in &mut results {
        let Some(name) = bare_of(&s.workload) else {
            continue;
        };
        let Some(floor) = floors.iter().find(|f| f.workload == name) else {
            continue;
        };
        s.bare = Some(name.to_owned());
        if floor.rps > 0.0 {
            s.rps_vs_bare = Some(s.rps / floor.rps);
        }
        if floor.p99_ms > 0.0 {
            s.p99_vs_bare = Some(s.p99_ms / floor.p99_ms);
        }
    }
    results
}

/// The results as an aligned text table.
pub fn table(results: &[Stats]) -> String {
    let mut out = format!(
        "{:<28} {:>9} {:>7} {:>9} {:>8} {:>8} {:>8} {:>8} {:>9} {:>9} {:>9} {:>13} {:>8} {:>8}\n",
        "workload",
        "requests",
        "errors",
        "req/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "rps/floor",
        "p50/floor",
        "p99/floor",
        "bare floor",
        "rps/bare",
        "p99/bare"
    );
    for s in results {
        let ratio = |r: Option<f64>| r.map_or("-".to_owned(), |r| format!("{r:.2}"));
        out.push_str(&format!(
            "{:<28} {:>9} {:>7} {:>9.0} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>9} {:>9} {:>9} {:>13} {:>8} {:>8}\n",
            s.workload,
            s.requests,
            s.errors,
            s.rps,
            s.p50_ms,
            s.p95_ms,
            s.p99_ms,
            s.max_ms,
            ratio(s.rps_vs_floor),
            ratio(s.p50_vs_floor),
            ratio(s.p99_vs_floor),
            s.bare.as_deref().unwrap_or("-"),
            ratio(s.rps_vs_bare),
            ratio(s.p99_vs_bare)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_the_sorted_latencies() {
        let s = stats(
            "w",
            (1..=100).rev().map(|ms| ms * 1000).collect(),
            2,
            Duration::from_secs(10),
        );
        assert_eq!(s.requests, 100);
        assert_eq!(s.errors, 2);
        assert_eq!(s.rps, 10.0);
        assert_eq!(
            (s.p50_ms, s.p95_ms, s.p99_ms, s.max_ms),
            (51.0, 95.0, 99.0, 100.0)
        );
    }

    #[test]
    fn bare_ratios_are_relative_to_the_named_floor() {
        let read = stats("floor.read", vec![2000; 200], 0, Duration::from_secs(1));
        let insert = stats("floor.insert", vec![8000; 50], 0, Duration::from_secs(1));
        let work = stats("w", vec![4000; 100], 0, Duration::from_secs(1));
        let got = with_bare(vec![read, insert, work], |name| {
            (name == "w").then_some("floor.insert")
        });
        assert_eq!(got[2].bare.as_deref(), Some("floor.insert"));
        assert_eq!(got[2].rps_vs_bare, Some(2.0));
        assert_eq!(got[2].p99_vs_bare, Some(0.5));
        assert_eq!(got[0].rps_vs_bare, None);
    }

    #[test]
    fn ratios_are_relative_to_the_floor() {
        let floor = stats("floor", vec![1000; 400], 0, Duration::from_secs(1));
        let work = stats("w", vec![4000; 100], 0, Duration::from_secs(1));
        let got = with_floor(vec![work], &floor);
        assert_eq!(got[0].rps_vs_floor, Some(0.25));
        assert_eq!(got[0].p50_vs_floor, Some(4.0));
        assert_eq!(got[0].p99_vs_floor, Some(4.0));
    }
}
