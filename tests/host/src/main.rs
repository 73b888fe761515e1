//! `crm-host [--listen ADDR] [--manifest spin.toml] [--state-dir DIR] [--quiet] [--meter-fuel]`

use std::path::PathBuf;
use std::process::ExitCode;

use crm_host::{Host, HostConfig};

const USAGE: &str = "usage: crm-host [--listen 127.0.0.1:3000] [--manifest spin.toml] [--state-dir DIR] [--quiet] [--meter-fuel]

  --listen ADDR      address to serve on (default 127.0.0.1:3000)
  --manifest PATH    the Spin manifest (default ./spin.toml)
  --state-dir DIR    stores and component logs (default .spin/ beside the manifest)
  -q, --quiet        print component stdout/stderr only to <state-dir>/logs; by
                     default they are also printed here, as `spin up` does
  --meter-fuel       count the WebAssembly fuel each request burns and print
                     `fuel <units> <component> <METHOD> <path>` per request on
                     stderr (crm-host only; a measuring instrument)

Application variables come from SPIN_VARIABLE_<NAME> environment variables,
as with `spin up`.";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    let mut config = HostConfig::new("spin.toml");
    // `spin up` follows every component's output unless --quiet
    // (crates/trigger/src/cli.rs, `follow_components`).
    config.follow_logs = true;
    let mut args = std::env::args().skip(1).peekable();
    // `crm-host up --from spin.toml …` reads like `spin up --from spin.toml …`.
    if args.peek().is_some_and(|a| a == "up") {
        args.next();
    }
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .ok_or_else(|| anyhow::anyhow!("{name} needs a value\n\n{USAGE}"))
        };
        match arg.as_str() {
            "--listen" => {
                let v = value("--listen")?;
                config.listen = v
                    .parse()
                    .map_err(|e| anyhow::anyhow!("--listen {v:?}: {e}"))?;
            }
            "--manifest" | "-f" | "--from" => config.manifest_path = PathBuf::from(value(&arg)?),
            "--state-dir" => config.state_dir = Some(PathBuf::from(value("--state-dir")?)),
            "--quiet" | "-q" => config.follow_logs = false,
            // The default now; accepted so older scripts keep working.
            "--follow-logs" => config.follow_logs = true,
            "--meter-fuel" => config.meter_fuel = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => anyhow::bail!("unknown argument {other:?}\n\n{USAGE}"),
        }
    }

    let host = Host::start(config)?;
    for note in host.startup_notes() {
        eprintln!("{note}");
    }
    eprintln!(
        "Logging component stdio to \"{}/\"",
        host.log_dir().display()
    );
    if let Some(meter) = host.fuel_handle() {
        std::thread::spawn(move || {
            let mut seen = 0;
            loop {
                if let Some(m) = meter.wait_for(seen, std::time::Duration::from_secs(3600)) {
                    seen += 1;
                    let r = &m.request;
                    eprintln!("fuel {} {} {} {}", m.fuel, r.component, r.method, r.path);
                }
            }
        });
    }
    print!("{}", crm_host::serving_banner(&host));
    use std::io::Write;
    std::io::stdout().flush()?;
    host.wait_for_signal()
}
