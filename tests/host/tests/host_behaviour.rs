//! crm-host against the probe fixture app: each test states the Spin
//! behaviour (and, where SPIN.md has one, the value observed on Spin 4.0.2)
//! that the host must reproduce.

mod common;

use std::sync::OnceLock;

use common::*;
use crm_host::{Host, RunningHost};

/// Tests that only read share one host; compiling the probe once keeps the
/// suite quick. State-changing tests start their own host and state dir.
fn shared() -> &'static RunningHost {
    static HOST: OnceLock<(tempfile::TempDir, RunningHost)> = OnceLock::new();
    let (_, host) = HOST.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut env = default_env();
        env.push(("SPIN_VARIABLE_GREETING", "hi"));
        let host = start(dir.path(), &env);
        (dir, host)
    });
    host
}

fn header<'a>(echo: &'a serde_json::Value, name: &str) -> Option<&'a str> {
    echo["headers"][name].as_str()
}

// ---- routing -------------------------------------------------------------------

#[test]
fn exact_route_has_empty_path_info_and_absolute_uri() {
    let host = shared();
    let reply = get(host.addr(), "/exact");
    assert_eq!(reply.status, 200, "{}", reply.text());
    let echo = reply.json();
    assert_eq!(echo["uri"], format!("http://{}/exact", host.addr()));
    assert_eq!(echo["path"], "/exact");
    assert_eq!(header(&echo, "spin-path-info"), Some(""));
    assert_eq!(header(&echo, "spin-matched-route"), Some("/exact"));
    assert_eq!(header(&echo, "spin-component-route"), Some("/exact"));
    assert_eq!(header(&echo, "spin-raw-component-route"), Some("/exact"));
    assert_eq!(header(&echo, "spin-base-path"), Some("/"));
}

#[test]
fn headers_match_values_observed_on_spin() {
    // SPIN.md [run]: route /things/:id/..., request /things/42/rest/of/it?q=1
    // with Host localhost:3999.
    let host = shared();
    let reply = request(
        host.addr(),
        "GET",
        "/things/42/rest/of/it?q=1",
        &[("Host", "localhost:3999")],
        b"",
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let echo = reply.json();
    assert_eq!(
        echo["uri"],
        "http://localhost:3999/things/42/rest/of/it?q=1"
    );
    assert_eq!(echo["path"], "/things/42/rest/of/it");
    assert_eq!(echo["query"], "q=1");
    assert_eq!(header(&echo, "spin-path-info"), Some("/rest/of/it"));
    assert_eq!(header(&echo, "spin-path-match-id"), Some("42"));
    assert_eq!(header(&echo, "spin-matched-route"), Some("/things/:id/..."));
    assert_eq!(
        header(&echo, "spin-raw-component-route"),
        Some("/things/:id/...")
    );
    assert_eq!(header(&echo, "spin-component-route"), Some("/things/:id"));
    assert_eq!(header(&echo, "spin-base-path"), Some("/"));
    assert_eq!(
        header(&echo, "spin-full-url"),
        Some("http://localhost:3999/things/42/rest/of/it?q=1")
    );
    assert_eq!(
        header(&echo, "spin-client-addr"),
        Some(reply.local_addr.to_string().as_str())
    );
    // wasmtime-wasi-http, which Spin uses too, strips forbidden headers
    // (`host`, `connection`, ...) from incoming requests; the authority
    // reaches the guest through the absolute URI instead.
    assert_eq!(header(&echo, "host"), None);
}

#[test]
fn client_headers_reach_the_component() {
    let host = shared();
    let reply = request(
        host.addr(),
        "GET",
        "/exact",
        &[("X-Request-Id", "abc-123")],
        b"",
    );
    assert_eq!(reply.json()["headers"]["x-request-id"], "abc-123");
}

#[test]
fn longest_wildcard_prefix_wins() {
    let host = shared();
    let shallow = get(host.addr(), "/wild/x/y").json();
    assert_eq!(header(&shallow, "spin-component-route"), Some("/wild"));
    assert_eq!(header(&shallow, "spin-path-info"), Some("/x/y"));
    let deep = get(host.addr(), "/wild/deeper/x").json();
    assert_eq!(header(&deep, "spin-component-route"), Some("/wild/deeper"));
    assert_eq!(header(&deep, "spin-path-info"), Some("/x"));
    // The wildcard also matches its bare prefix, with and without a slash.
    let bare = get(host.addr(), "/wild").json();
    assert_eq!(header(&bare, "spin-path-info"), Some(""));
    let slash = get(host.addr(), "/wild/").json();
    assert_eq!(header(&slash, "spin-path-info"), Some("/"));
}

#[test]
fn exact_route_beats_param_route() {
    let host = shared();
    let param = get(host.addr(), "/items/42").json();
    assert_eq!(header(&param, "spin-matched-route"), Some("/items/:id"));
    assert_eq!(header(&param, "spin-path-match-id"), Some("42"));
    let exact = get(host.addr(), "/items/new").json();
    assert_eq!(header(&exact, "spin-matched-route"), Some("/items/new"));
    assert_eq!(header(&exact, "spin-path-match-id"), None);
}

#[test]
fn no_route_is_404_with_empty_body() {
    let host = shared();
    for path in [
        "/nothing-here",
        "/items/42/more",
        "/",
        "/exact/more",
        "/thingsx",
    ] {
        let reply = get(host.addr(), path);
        assert_eq!(reply.status, 404, "{path}");
        assert!(reply.body.is_empty(), "{path}: {:?}", reply.text());
    }
}

#[test]
fn spin_well_known_health() {
    let host = shared();
    let reply = get(host.addr(), "/.well-known/spin/health");
    assert_eq!((reply.status, reply.text().as_str()), (200, "OK"));
    let info = get(host.addr(), "/.well-known/spin/info").json();
    assert_eq!(info["name"], "probe");
    assert_eq!(info["version"], "0.1.0");
}

#[test]
fn routes_are_listed_like_spin_up_without_private_ones() {
    let host = shared();
    let routes: Vec<String> = host
        .routes()
        .iter()
        .map(|(c, r)| format!("{c}: {r}"))
        .collect();
    for expected in [
        "probe: /exact",
        "probe: /things/:id (wildcard)",
        "probe-b: /wild/deeper (wildcard)",
        "probe-b: /items/new",
    ] {
        assert!(
            routes.contains(&expected.to_string()),
            "{expected} not in {routes:?}"
        );
    }
    assert_eq!(routes.len(), 15, "{routes:?}");
    let banner = crm_host::serving_banner(host);
    assert!(
        banner.contains(&format!("Serving {}", host.base_url())),
        "{banner}"
    );
    assert!(banner.contains("Available Routes:"), "{banner}");
}

// ---- variables and environment ---------------------------------------------------

#[test]
fn component_variables_resolve_templates_with_env_overrides() {
    let host = shared();
    // `greeting` has a default but the env map overrides it.
    assert_eq!(get(host.addr(), "/var?name=message").text(), "hi, world");
    assert_eq!(get(host.addr(), "/var?name=token").text(), "t0ken");
    assert_eq!(get(host.addr(), "/b/var?name=message").text(), "b-hi");
}

#[test]
fn variable_errors_mirror_spin() {
    let host = shared();
    // Declared by the app but not by probe-b: undefined for that component.
    assert!(
        get(host.addr(), "/b/var?name=token")
            .text()
            .starts_with("undefined:")
    );
    assert!(
        get(host.addr(), "/var?name=nope")
            .text()
            .starts_with("undefined:")
    );
    for bad in ["Message", "1x", "a__b", "a-b"] {
        let text = get(host.addr(), &format!("/var?name={bad}")).text();
        assert!(text.starts_with("invalid-name:"), "{bad}: {text}");
    }
}

#[test]
fn default_variable_value_without_override() {
    let dir = tempfile::tempdir().expect("tempdir");
    let host = start(dir.path(), &default_env());
    assert_eq!(get(host.addr(), "/var?name=message").text(), "hello, world");
    host.shutdown();
}

#[test]
fn missing_required_variable_refuses_to_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = match Host::start(config(dir.path(), &[])) {
        Ok(_) => panic!("started without api_token"),
        Err(e) => format!("{e:#}"),
    };
    assert!(
        err.contains("api_token") && err.contains("SPIN_VARIABLE_API_TOKEN"),
        "{err}"
    );
}

#[test]
fn manifest_environment_reaches_the_component() {
    let host = shared();
    assert_eq!(
        get(host.addr(), "/env?name=PROBE_ENV").text(),
        "from-manifest"
    );
    assert_eq!(get(host.addr(), "/b/env?name=PROBE_ENV").text(), "<unset>");
    // Host process variables never leak in.
    assert_eq!(get(host.addr(), "/env?name=PATH").text(), "<unset>");
}

// ---- stores ----------------------------------------------------------------------

#[test]
fn undeclared_labels_are_access_denied() {
    let host = shared();
    // A label nobody declared (and which does not exist): access-denied, as
    // Spin checks the grant before the store's existence.
    assert_eq!(
        get(host.addr(), "/kv/open?label=other").text(),
        "access-denied"
    );
    assert_eq!(
        get(host.addr(), "/sql/open?label=other").text(),
        "access-denied"
    );
    // `default` exists but probe-b was not granted it.
    assert_eq!(
        get(host.addr(), "/b/kv/open?label=default").text(),
        "access-denied"
    );
    assert_eq!(
        get(host.addr(), "/b/sql/open?label=default").text(),
        "access-denied"
    );
    assert_eq!(get(host.addr(), "/kv/open?label=default").text(), "ok");
    assert_eq!(get(host.addr(), "/sql/open?label=default").text(), "ok");
}

#[test]
fn sqlite_errors_are_io_with_the_sqlite_message() {
    let host = shared();
    let text = post(host.addr(), "/sql/exec", b"SELEC 1").text();
    assert!(
        text.starts_with("io: ") && text.contains("syntax error"),
        "{text}"
    );
    let text = post(host.addr(), "/sql/exec", b"SELECT 1; SELECT 2").text();
    assert_eq!(text, "io: Multiple statements provided");
    let text = post(
        host.addr(),
        "/sql/exec",
        b"SELECT 1 AS one, 'x' AS two, NULL AS three",
    )
    .text();
    assert_eq!(
        text,
        r#"{"columns":["one","two","three"],"rows":[[1,"x",null]]}"#
    );
}

#[test]
fn stores_persist_across_requests_and_restarts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let host = start(dir.path(), &default_env());
    let addr = host.addr();
    assert_eq!(get(addr, "/kv/get?key=colour").status, 404);
    assert_eq!(post(addr, "/kv/set?key=colour", b"teal").status, 200);
    assert_eq!(get(addr, "/kv/get?key=colour").text(), "teal");
    let create = post(
        addr,
        "/sql/exec",
        b"CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)",
    );
    assert_eq!(create.text(), r#"{"columns":[],"rows":[]}"#);
    post(
        addr,
        "/sql/exec",
        b"INSERT INTO notes (body) VALUES ('first')",
    );
    // The app may switch the journal mode itself; it sticks to the file.
    post(addr, "/sql/exec", b"PRAGMA journal_mode=WAL");
    host.shutdown();

    assert!(dir.path().join("sqlite_db.db").is_file());
    assert!(dir.path().join("sqlite_key_value.db").is_file());

    let host = start(dir.path(), &default_env());
    let addr = host.addr();
    assert_eq!(get(addr, "/kv/get?key=colour").text(), "teal");
    assert_eq!(
        post(addr, "/sql/exec", b"SELECT id, body FROM notes").text(),
        r#"{"columns":["id","body"],"rows":[[1,"first"]]}"#
    );
    assert_eq!(
        post(addr, "/sql/exec", b"PRAGMA journal_mode").text(),
        r#"{"columns":["journal_mode"],"rows":[["wal"]]}"#
    );
    host.shutdown();

    // Spin's key-value table layout, so the file is interchangeable with Spin's.
    let conn = rusqlite::Connection::open(dir.path().join("sqlite_key_value.db")).expect("open");
    let value: Vec<u8> = conn
        .query_row(
            "SELECT value FROM spin_key_value WHERE store = 'default' AND key = 'colour'",
            [],
            |r| r.get(0),
        )
        .expect("row");
    assert_eq!(value, b"teal");
}

#[test]
fn default_state_dir_is_dot_spin_beside_the_manifest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = edited_manifest(dir.path(), |t| t);
    let mut config = config(dir.path(), &default_env());
    config.manifest_path = manifest;
    config.state_dir = None;
    let host = Host::start(config).expect("start");
    assert_eq!(host.state_dir(), dir.path().join(".spin"));
    post(host.addr(), "/kv/set?key=a", b"b");
    host.shutdown();
    assert!(dir.path().join(".spin/sqlite_key_value.db").is_file());
    assert!(dir.path().join(".spin/logs/probe_stdout.txt").is_file());
}

// ---- failures ----------------------------------------------------------------------

#[test]
fn trap_is_a_500_for_that_request_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let host = start(dir.path(), &default_env());
    let reply = get(host.addr(), "/trap");
    assert_eq!(reply.status, 500);
    assert!(reply.body.is_empty(), "{:?}", reply.text());
    assert_eq!(get(host.addr(), "/exact").status, 200);
    let stderr =
        std::fs::read_to_string(host.log_dir().join("probe_stderr.txt")).expect("stderr log");
    assert!(stderr.contains("trapping on purpose"), "{stderr}");
    host.shutdown();
}

#[test]
fn component_output_goes_to_state_dir_logs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let host = start(dir.path(), &default_env());
    assert_eq!(get(host.addr(), "/log?line=first-line").status, 200);
    assert_eq!(get(host.addr(), "/b/log?line=b-line").status, 200);
    let logs = host.log_dir();
    host.shutdown();
    let read = |f: &str| std::fs::read_to_string(logs.join(f)).expect(f);
    assert_eq!(read("probe_stdout.txt"), "first-line\n");
    assert_eq!(read("probe_stderr.txt"), "first-line\n");
    assert_eq!(read("probe-b_stdout.txt"), "b-line\n");

    // Appended, not truncated, across restarts (Spin truncates only with
    // an explicit flag).
    let host = start(dir.path(), &default_env());
    get(host.addr(), "/log?line=second-line");
    host.shutdown();
    assert_eq!(read("probe_stdout.txt"), "first-line\nsecond-line\n");
}

#[test]
fn outbound_http_is_denied_without_a_grant() {
    let host = shared();
    let text = get(
        host.addr(),
        &format!("/outbound?url=http://{}/exact", host.addr()),
    )
    .text();
    assert!(
        text.starts_with("error:") && text.contains("Denied"),
        "{text}"
    );
}

#[test]
fn fifty_concurrent_requests_are_all_answered() {
    let host = shared();
    let addr = host.addr();
    let threads: Vec<_> = (0..50)
        .map(|i| {
            std::thread::spawn(move || {
                let path = if i % 2 == 0 {
                    "/sleep?ms=200"
                } else {
                    "/exact"
                };
                get(addr, path).status
            })
        })
        .collect();
    let statuses: Vec<u16> = threads
        .into_iter()
        .map(|t| t.join().expect("client thread"))
        .collect();
    assert_eq!(statuses, vec![200; 50]);
}

// ---- start-up refusals ----------------------------------------------------------------

#[test]
fn unknown_manifest_key_is_rejected_by_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = edited_manifest(dir.path(), |t| {
        t.replace(
            "[component.probe-b]\n",
            "[component.probe-b]\nkey_value_store = [\"default\"]\n",
        )
    });
    let mut config = config(dir.path(), &default_env());
    config.manifest_path = manifest;
    let err = match Host::start(config) {
        Ok(_) => panic!("accepted an unknown key"),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains("key_value_store"), "{err}");
}

#[test]
fn missing_component_file_refuses_with_build_hint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = edited_manifest(dir.path(), |t| {
        t.replacen(
            "[component.probe-b]\ndescription = \"Same code, no store grants\"\nsource = ",
            "[component.probe-b]\ndescription = \"Same code, no store grants\"\nsource = \"missing.wasm\"\n#",
            1,
        )
    });
    let mut config = config(dir.path(), &default_env());
    config.manifest_path = manifest;
    let err = match Host::start(config) {
        Ok(_) => panic!("started without the component file"),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains("missing.wasm"), "{err}");
    assert!(
        err.contains("cargo build --workspace --target wasm32-wasip2 --release"),
        "{err}"
    );
}

#[test]
fn store_labels_other_than_default_refuse_to_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = edited_manifest(dir.path(), |t| {
        t.replace(
            "key_value_stores = [\"default\"]",
            "key_value_stores = [\"default\", \"other\"]",
        )
    });
    let mut config = config(dir.path(), &default_env());
    config.manifest_path = manifest;
    let err = match Host::start(config) {
        Ok(_) => panic!("started with an undefined store"),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains("\"other\""), "{err}");
}

// ---- fuel metering ---------------------------------------------------------------

#[test]
fn metered_requests_record_the_fuel_their_guest_burned_and_unmetered_hosts_record_none() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut metered = config(dir.path(), &default_env());
    metered.meter_fuel = true;
    let host = Host::start(metered).expect("metered host");
    let meter = host.fuel().expect("a meter when metering");
    assert_eq!(get(host.addr(), "/exact").status, 200);
    let first = meter
        .wait_for(0, std::time::Duration::from_secs(10))
        .expect("the request's measurement");
    assert_eq!(first.request.component, "probe");
    assert_eq!(first.request.method, "GET");
    assert_eq!(first.request.path, "/exact");
    assert!(first.completed);
    assert!(first.fuel > 1_000, "a guest burns fuel: {}", first.fuel);

    // The same request costs about the same: fuel is deterministic up to the random
    // and clock values a guest reads.
    assert_eq!(get(host.addr(), "/exact").status, 200);
    let second = meter
        .wait_for(1, std::time::Duration::from_secs(10))
        .expect("the second measurement");
    let (lo, hi) = (first.fuel.min(second.fuel), first.fuel.max(second.fuel));
    assert!(hi - lo <= hi / 20, "{} vs {}", first.fuel, second.fuel);
    host.shutdown();

    assert!(shared().fuel().is_none(), "metering is off by default");
}

// ---- the command -----------------------------------------------------------------

/// `spin up` prints component output on its own stdout unless `--quiet`
/// (`crates/trigger/src/cli.rs`, `follow_components`); so does the `crm-host` command.
/// Where a Spin CLI is found (`SPIN`, or `spin` on `PATH`) the same assertions run
/// against it too, so the expectation is Spin's, not ours.
#[test]
fn the_command_prints_component_output_like_spin_up_unless_quiet() {
    probe_wasm();
    let mut commands = vec![std::path::PathBuf::from(env!("CARGO_BIN_EXE_crm-host"))];
    commands.extend(crm_spin::find());
    for (command, quiet) in commands.iter().flat_map(|c| [(c, false), (c, true)]) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = crm_spin::SpinConfig::new(command, &probe_manifest(), dir.path());
        config.variables = default_env()
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        if quiet {
            config.extra_args.push("--quiet".to_owned());
        }
        let server = crm_spin::SpinUp::start(&config).expect("crm-host up serves");
        let marker = format!("marker-quiet-{quiet}");
        let reply = get(server.addr(), &format!("/log?line={marker}"));
        assert_eq!(reply.status, 200, "{}", reply.text());
        let printed = server.stop();
        let logged = std::fs::read_to_string(dir.path().join("logs/probe_stdout.txt"))
            .expect("the component's log file");
        assert!(logged.contains(&marker), "{}: {logged}", command.display());
        assert_eq!(
            printed.contains(&marker),
            !quiet,
            "{} quiet={quiet}: {printed}",
            command.display()
        );
    }
}
