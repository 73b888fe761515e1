//! Real Spin as a test back end: find the `spin` CLI (`SPIN`, or `spin` on `PATH`), start
//! `spin up` for a manifest on a random loopback port with a state directory of the
//! caller's, wait until it serves, and stop it again. The `crm-host` command takes the
//! same arguments, so its own tests drive it through this too.
//!
//! Modelled on Spin's own harness (`tests/testing-framework/src/runtimes/spin_cli.rs`):
//! a black box on a real port. Port 0 is passed to `--listen`; Spin binds it and prints
//! `Serving http://127.0.0.1:<port>`, which is where the address is read from, so there
//! is no race for a port picked beforehand.

use anyhow::{Context, Result, bail};
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long `spin up` may take to serve: a cold Wasmtime cache compiles every component.
const START_TIMEOUT: Duration = Duration::from_secs(180);
/// How long a stopped `spin up` may take to exit before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// The Spin CLI to use: `SPIN` when set (None when that file does not exist), otherwise
/// `spin` on `PATH`, otherwise none.
pub fn find() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SPIN").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("spin"))
        .find(|candidate| candidate.is_file())
}

/// What `spin --version` prints, e.g. `spin 4.0.2 (…)`.
pub fn version(spin: &Path) -> Result<String> {
    let out = Command::new(spin)
        .arg("--version")
        .output()
        .with_context(|| format!("cannot run {}", spin.display()))?;
    if !out.status.success() {
        bail!("{} --version failed", spin.display());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// How to start `spin up`.
#[derive(Debug, Clone)]
pub struct SpinConfig {
    /// The Spin CLI.
    pub spin: PathBuf,
    /// `spin.toml` of the app.
    pub manifest: PathBuf,
    /// `--state-dir`: the default stores and `logs/`.
    pub state_dir: PathBuf,
    /// `SPIN_VARIABLE_<NAME>` values, names as environment variables. The caller's own
    /// `SPIN_VARIABLE_*` are not passed on, so a test sees exactly these.
    pub variables: Vec<(String, String)>,
    /// The loopback address to bind; port 0 picks a free one.
    pub listen: SocketAddr,
    /// More arguments after the ones above (e.g. `--quiet`).
    pub extra_args: Vec<String>,
}

impl SpinConfig {
    /// `spin up` for `manifest` on a free loopback port with `state_dir`.
    pub fn new(spin: &Path, manifest: &Path, state_dir: &Path) -> SpinConfig {
        SpinConfig {
            spin: spin.to_path_buf(),
            manifest: manifest.to_path_buf(),
            state_dir: state_dir.to_path_buf(),
            variables: Vec::new(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            extra_args: Vec::new(),
        }
    }
}

/// A running `spin up`; stopped (SIGTERM, then killed) when dropped.
pub struct SpinUp {
    child: Child,
    addr: SocketAddr,
    output: Arc<Mutex<String>>,
    drains: Vec<std::thread::JoinHandle<()>>,
}

impl SpinUp {
    /// Starts `spin up` and waits until it prints the address it serves. A `spin up` that
    /// exits first (a missing variable, a missing `.wasm`) is an error carrying what it
    /// printed.
    pub fn start(config: &SpinConfig) -> Result<SpinUp> {
        let mut command = Command::new(&config.spin);
        command
            .arg("up")
            .arg("--from")
            .arg(&config.manifest)
            .arg("--listen")
            .arg(config.listen.to_string())
            .arg("--state-dir")
            .arg(&config.state_dir)
            .args(&config.extra_args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("SPIN_VARIABLE_") {
                command.env_remove(name);
            }
        }
        command.envs(config.variables.iter().map(|(k, v)| (k, v)));
        let mut child = command
            .spawn()
            .with_context(|| format!("cannot start {} up", config.spin.display()))?;
        let output = Arc::new(Mutex::new(String::new()));
        let (lines_tx, lines) = mpsc::channel::<String>();
        let stdout = child.stdout.take().context("spin up stdout")?;
        let stderr = child.stderr.take().context("spin up stderr")?;
        let drains = vec![
            drain(stdout, Arc::clone(&output), Some(lines_tx)),
            drain(stderr, Arc::clone(&output), None),
        ];

        let deadline = Instant::now() + START_TIMEOUT;
        let addr = loop {
            match lines.recv_timeout(Duration::from_millis(50)) {
                Ok(line) => {
                    if let Some(addr) = serving_addr(&line) {
                        break addr;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = child.wait().ok();
                    // Give the stderr reader a moment to collect the last lines.
                    std::thread::sleep(Duration::from_millis(100));
                    let printed = output.lock().map(|o| o.clone()).unwrap_or_default();
                    bail!("spin up exited ({status:?}) before serving:\n{printed}");
                }
            }
            if let Some(status) = child.try_wait()? {
                std::thread::sleep(Duration::from_millis(100));
                let printed = output.lock().map(|o| o.clone()).unwrap_or_default();
                bail!("spin up exited ({status}) before serving:\n{printed}");
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                let printed = output.lock().map(|o| o.clone()).unwrap_or_default();
                bail!("spin up did not serve within {START_TIMEOUT:?}:\n{printed}");
            }
        };
        Ok(SpinUp {
            child,
            addr,
            output,
            drains,
        })
    }

    /// The address it serves.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Everything `spin up` printed so far (stdout and stderr interleaved by line).
    pub fn output(&self) -> String {
        self.output.lock().map(|o| o.clone()).unwrap_or_default()
    }

    /// The process id, for tools that sample it.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops it as Ctrl-C would, waits for it to exit (killed after 10 s), and returns
    /// everything it printed.
    pub fn stop(mut self) -> String {
        self.terminate();
        for drain in self.drains.drain(..) {
            let _ = drain.join();
        }
        self.output()
    }

    fn terminate(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: `kill` on the pid of a child this value owns and has not reaped, so
        // the pid cannot have been reused.
        #[allow(unsafe_code)]
        let sent = unsafe { libc::kill(pid, libc::SIGTERM) } == 0;
        let deadline = Instant::now() + STOP_TIMEOUT;
        while sent && Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for SpinUp {
    fn drop(&mut self) {
        self.terminate();
    }
}

/// Copies a pipe into `output` line by line (and to `lines`, when given) until it closes,
/// so `spin up` never blocks on a full pipe (it echoes component stdout to its own).
fn drain(
    pipe: impl Read + Send + 'static,
    output: Arc<Mutex<String>>,
    lines: Option<mpsc::Sender<String>>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(pipe);
        let mut line = String::new();
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if let Ok(mut out) = output.lock() {
                        // Keep the start-up and error lines; component echo can be long.
                        if out.len() < 256 * 1024 {
                            out.push_str(&line);
                        }
                    }
                    if let Some(tx) = &lines {
                        let _ = tx.send(line.clone());
                    }
                }
            }
        }
    })
}

/// The address in `Serving http://127.0.0.1:3000`, Spin's line once it listens.
fn serving_addr(line: &str) -> Option<SocketAddr> {
    let rest = line.trim().strip_prefix("Serving http://")?;
    rest.trim_end_matches('/').parse().ok()
}

/// Why a Spin run cannot happen, for a skip line.
pub fn not_found_reason() -> String {
    match std::env::var_os("SPIN") {
        Some(p) if !p.is_empty() => format!("SPIN={} does not exist", PathBuf::from(p).display()),
        _ => "no Spin found (set SPIN=/path/to/spin or put spin on PATH)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_serving_line_gives_the_bound_address() {
        assert_eq!(
            serving_addr("Serving http://127.0.0.1:36099\n"),
            Some("127.0.0.1:36099".parse().expect("addr"))
        );
        assert_eq!(serving_addr("Available Routes:"), None);
        assert_eq!(serving_addr("Serving http://localhost:3000"), None);
    }
}
