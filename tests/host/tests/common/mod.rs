//! Shared helpers: locating the probe fixture, starting hosts, and a minimal
//! blocking HTTP/1.1 client (enough for these tests, no extra dependencies).

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crm_host::{Host, HostConfig, RunningHost, VariableEnv};

pub fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/probe")
}

pub fn probe_manifest() -> PathBuf {
    fixture_dir().join("spin.toml")
}

/// The built probe component; panics with the build command when missing so
/// a forgotten build is not mistaken for a host bug.
pub fn probe_wasm() -> PathBuf {
    let wasm =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/wasm32-wasip2/release/probe.wasm");
    assert!(
        wasm.is_file(),
        "the probe fixture is not built ({}).\nBuild it from the repository root first:\n  cargo build --target wasm32-wasip2 --release -p probe",
        wasm.display()
    );
    wasm
}

/// Variables every probe host needs: `api_token` is required.
pub fn default_env() -> Vec<(&'static str, &'static str)> {
    vec![("SPIN_VARIABLE_API_TOKEN", "t0ken")]
}

pub fn config(state_dir: &Path, env: &[(&str, &str)]) -> HostConfig {
    probe_wasm();
    let mut config = HostConfig::new(probe_manifest());
    config.listen = "127.0.0.1:0".parse().expect("address");
    config.state_dir = Some(state_dir.to_path_buf());
    config.variable_env = VariableEnv::Map(
        env.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
    );
    config
}

pub fn start(state_dir: &Path, env: &[(&str, &str)]) -> RunningHost {
    match Host::start(config(state_dir, env)) {
        Ok(host) => host,
        Err(e) => panic!("host did not start: {e:#}"),
    }
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The client's own socket address, to compare with `spin-client-addr`.
    pub local_addr: SocketAddr,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub fn get(addr: SocketAddr, path: &str) -> Reply {
    request(addr, "GET", path, &[], b"")
}

pub fn post(addr: SocketAddr, path: &str, body: &[u8]) -> Reply {
    request(addr, "POST", path, &[], body)
}

/// Sends one request on a fresh connection. A `Host` header is added unless
/// `headers` has one.
pub fn request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let local_addr = stream.local_addr().expect("local addr");
    let mut head = format!("{method} {target} HTTP/1.1\r\n");
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        head.push_str(&format!("Host: {addr}\r\n"));
    }
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    stream.write_all(head.as_bytes()).expect("write head");
    stream.write_all(body).expect("write body");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read response");
    let mut reply = parse_response(&raw);
    reply.local_addr = local_addr;
    reply
}

fn parse_response(raw: &[u8]) -> Reply {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let rest = &raw[split + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        dechunk(rest)
    } else if let Some((_, len)) = headers.iter().find(|(k, _)| k == "content-length") {
        let len: usize = len.parse().expect("content-length");
        rest[..len].to_vec()
    } else {
        rest.to_vec()
    };
    Reply {
        status,
        headers,
        body,
        local_addr: SocketAddr::from(([0, 0, 0, 0], 0)),
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size line");
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .expect("chunk size");
        data = &data[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// A copy of the probe manifest in `dir`, edited by `edit`, with the
/// component sources made absolute so the copy still finds probe.wasm.
pub fn edited_manifest(dir: &Path, edit: impl FnOnce(String) -> String) -> PathBuf {
    let wasm = probe_wasm();
    let text = std::fs::read_to_string(probe_manifest()).expect("read manifest");
    let text = text.replace(
        "\"../../../target/wasm32-wasip2/release/probe.wasm\"",
        &format!("{:?}", wasm.display().to_string()),
    );
    let path = dir.join("spin.toml");
    std::fs::write(&path, edit(text)).expect("write manifest");
    path
}
