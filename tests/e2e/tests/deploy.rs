//! Every deployment file is checked here, with no cluster and no Spin CLI: TOML and
//! YAML parse; runtime configurations use only the sections and fields Spin reads;
//! the SpinKube `SpinApp` uses only fields of the operator's `v1alpha1` API and binds
//! exactly the variables `spin.toml` declares; `spin.toml` uses only fields of Spin's
//! manifest schema; the request collection calls only routes `spin.toml` serves.
//!
//! Spin's manifest schema is not vendored: the fields it allows are written down below
//! from the published `https://schemas.spinframework.dev/spin/manifest-v2/latest.json`
//! (`spinframework/schemas.spinframework.dev`, and `crates/manifest/src/schema/v2.rs`
//! in Spin's source, where every table is `deny_unknown_fields`). The `SpinApp` fields
//! come from spin-operator's `api/v1alpha1/spinapp_types.go`, the runtime-config fields
//! from Spin's key-value (`redis`: `url`) and SQLite (`libsql`: `url`, `token`) factors.

use serde_yaml::Value as Yaml;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use toml::Value as Toml;

fn root() -> PathBuf {
    crm_e2e::repo_root()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every file under `deploy/`, recursively, sorted.
fn deploy_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&root().join("deploy"), &mut files);
    files.sort();
    files
}

fn with_extension(ext: &[&str]) -> Vec<PathBuf> {
    deploy_files()
        .into_iter()
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| ext.contains(&e))
        })
        .collect()
}

fn parse_toml(text: &str, what: &str) -> toml::Table {
    text.parse::<toml::Table>()
        .unwrap_or_else(|e| panic!("{what} is not valid TOML: {e}"))
}

/// The documents of a multi-document YAML file (split on `---` lines, which is all
/// these files use; serde_yaml's `from_str` reads one document).
fn yaml_documents(path: &Path) -> Vec<Yaml> {
    let text = read(path);
    let mut docs = vec![String::new()];
    for line in text.lines() {
        if line.trim_end() == "---" {
            docs.push(String::new());
        } else {
            let doc = docs.last_mut().expect("one document");
            doc.push_str(line);
            doc.push('\n');
        }
    }
    docs.iter()
        .map(|doc| {
            serde_yaml::from_str::<Yaml>(doc)
                .unwrap_or_else(|e| panic!("{} is not valid YAML: {e}", path.display()))
        })
        .filter(|doc| !doc.is_null())
        .collect()
}

fn spin_toml() -> toml::Table {
    parse_toml(&read(&root().join("spin.toml")), "spin.toml")
}

/// Names of the keys of a TOML table that are not in `allowed`.
fn unknown_keys<'a>(table: &'a toml::Table, allowed: &[&str]) -> Vec<&'a str> {
    table
        .keys()
        .map(String::as_str)
        .filter(|k| !allowed.contains(k))
        .collect()
}

// ---- spin.toml against Spin's manifest schema (v2) ----

const MANIFEST_TOP: &[&str] = &[
    "spin_manifest_version",
    "application",
    "variables",
    "trigger",
    "component",
];
const MANIFEST_APPLICATION: &[&str] = &[
    "name",
    "version",
    "description",
    "authors",
    "targets",
    "trigger",
    "tool",
];
const MANIFEST_VARIABLE: &[&str] = &["default", "required", "secret", "description"];
const MANIFEST_HTTP_TRIGGER: &[&str] = &["route", "component", "components", "executor", "id"];
const MANIFEST_COMPONENT: &[&str] = &[
    "description",
    "source",
    "files",
    "exclude_files",
    "allowed_http_hosts",
    "allowed_outbound_hosts",
    "key_value_stores",
    "environment",
    "sqlite_databases",
    "ai_models",
    "targets",
    "build",
    "tool",
    "dependencies_inherit_configuration",
    "dependencies",
    "variables",
    "profile",
];
const MANIFEST_BUILD: &[&str] = &["command", "workdir", "watch"];
/// Fields the schema has today that Spin 3.0's manifest did not accept (its tables are
/// `deny_unknown_fields`, so they would stop `spin up` there); the README promises 3.x.
const NEWER_THAN_SPIN_3_0: &[(&str, &str)] = &[
    ("application", "targets"),
    ("component", "targets"),
    ("component", "profile"),
    ("variable", "description"),
];

fn table<'a>(value: &'a Toml, what: &str) -> &'a toml::Table {
    value
        .as_table()
        .unwrap_or_else(|| panic!("{what} must be a table"))
}

fn strings<'a>(value: Option<&'a Toml>, what: &str) -> Vec<&'a str> {
    value
        .map(|v| {
            v.as_array()
                .unwrap_or_else(|| panic!("{what} must be an array"))
                .iter()
                .map(|s| s.as_str().unwrap_or_else(|| panic!("{what}: strings only")))
                .collect()
        })
        .unwrap_or_default()
}

/// Spin's `SnakeId` (variable names) and `KebabId` (component ids): lower-case words.
fn is_id(s: &str, sep: char) -> bool {
    !s.is_empty()
        && s.split(sep).all(|w| {
            !w.is_empty()
                && w.starts_with(|c: char| c.is_ascii_lowercase())
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

#[test]
fn spin_toml_uses_only_fields_of_spins_manifest_schema() {
    let manifest = spin_toml();
    let mut errors = Vec::new();
    let mut newer = Vec::new();
    let mut check = |what: String, table: &toml::Table, allowed: &[&str], scope: &str| {
        for key in unknown_keys(table, allowed) {
            errors.push(format!("{what}.{key} is not in Spin's manifest schema"));
        }
        for (s, field) in NEWER_THAN_SPIN_3_0 {
            if *s == scope && table.contains_key(*field) {
                newer.push(format!("{what}.{field}"));
            }
        }
    };

    check("(top level)".into(), &manifest, MANIFEST_TOP, "top");
    assert_eq!(
        manifest
            .get("spin_manifest_version")
            .and_then(Toml::as_integer),
        Some(2),
        "spin_manifest_version = 2"
    );
    let app = table(&manifest["application"], "[application]");
    check(
        "application".into(),
        app,
        MANIFEST_APPLICATION,
        "application",
    );
    assert!(
        app.get("name").and_then(Toml::as_str).is_some(),
        "application.name is required"
    );

    if let Some(vars) = manifest.get("variables") {
        for (name, var) in table(vars, "[variables]") {
            assert!(
                is_id(name, '_'),
                "variable {name:?} must be lower_snake_case"
            );
            let var = table(var, &format!("variables.{name}"));
            check(
                format!("variables.{name}"),
                var,
                MANIFEST_VARIABLE,
                "variable",
            );
            let required = var.get("required").and_then(Toml::as_bool) == Some(true);
            assert!(
                required != var.contains_key("default"),
                "variables.{name}: exactly one of `default` and `required = true`"
            );
        }
    }

    let triggers = table(&manifest["trigger"], "[trigger]");
    let components = table(&manifest["component"], "[component]");
    for (kind, list) in triggers {
        assert_eq!(
            kind, "http",
            "only HTTP triggers are expected, found trigger.{kind}"
        );
        for (i, trigger) in list
            .as_array()
            .expect("[[trigger.http]]")
            .iter()
            .enumerate()
        {
            let trigger = table(trigger, "[[trigger.http]]");
            check(
                format!("trigger.http[{i}]"),
                trigger,
                MANIFEST_HTTP_TRIGGER,
                "trigger",
            );
            let route = trigger["route"].as_str().expect("route is a string");
            assert!(route.starts_with('/'), "route {route:?} must start with /");
            let component = trigger["component"].as_str().expect("component id");
            assert!(
                components.contains_key(component),
                "trigger.http[{i}] names component {component:?}, which is not defined"
            );
        }
    }

    let declared: BTreeSet<&str> = manifest
        .get("variables")
        .map(|v| table(v, "[variables]").keys().map(String::as_str).collect())
        .unwrap_or_default();
    for (id, component) in components {
        assert!(is_id(id, '-'), "component id {id:?} must be kebab-case");
        let component = table(component, &format!("component.{id}"));
        check(
            format!("component.{id}"),
            component,
            MANIFEST_COMPONENT,
            "component",
        );
        assert!(
            component.contains_key("source"),
            "component.{id}.source is required"
        );
        if let Some(build) = component.get("build") {
            check(
                format!("component.{id}.build"),
                table(build, "build"),
                MANIFEST_BUILD,
                "build",
            );
        }
        for store in strings(component.get("key_value_stores"), "key_value_stores") {
            assert_eq!(
                store, "default",
                "component.{id}: runtime configs map only `default`"
            );
        }
        for db in strings(component.get("sqlite_databases"), "sqlite_databases") {
            assert_eq!(
                db, "default",
                "component.{id}: runtime configs map only `default`"
            );
        }
        // A component variable may only template application variables that exist.
        if let Some(vars) = component.get("variables") {
            for (name, value) in table(vars, "component variables") {
                assert!(
                    is_id(name, '_'),
                    "component.{id}.variables.{name}: lower_snake_case"
                );
                let template = value.as_str().expect("component variables are strings");
                for used in template
                    .split("{{")
                    .skip(1)
                    .filter_map(|s| s.split("}}").next())
                {
                    let used = used.trim();
                    assert!(
                        declared.contains(used),
                        "component.{id}.variables.{name} uses {{{{ {used} }}}}, not in [variables]"
                    );
                }
            }
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    assert!(
        newer.is_empty(),
        "Spin 3.0 refuses these (README promises Spin 3.x): {}",
        newer.join(", ")
    );
}

// ---- runtime configuration ----

/// Spin's runtime-config sections; the stores are checked field by field below.
const RUNTIME_TOP: &[&str] = &[
    "key_value_store",
    "sqlite_database",
    "variables_provider",
    "config_provider",
    "llm_compute",
    "client_tls",
];

fn check_runtime_config(text: &str, what: &str) {
    let config = parse_toml(text, what);
    let unknown = unknown_keys(&config, RUNTIME_TOP);
    assert!(
        unknown.is_empty(),
        "{what}: Spin has no runtime-config section {unknown:?}"
    );
    let manifest = spin_toml();
    let labels = |field: &str| -> BTreeSet<String> {
        table(&manifest["component"], "[component]")
            .values()
            .flat_map(|c| strings(c.get(field), field))
            .map(str::to_owned)
            .collect()
    };
    let sections = [
        (
            "key_value_store",
            "key_value_stores",
            &[("redis", &["url"][..]), ("spin", &["path"][..])][..],
        ),
        (
            "sqlite_database",
            "sqlite_databases",
            &[("libsql", &["url", "token"][..]), ("spin", &["path"][..])][..],
        ),
    ];
    for (section, manifest_field, types) in sections {
        let Some(stores) = config.get(section) else {
            continue;
        };
        let used = labels(manifest_field);
        for (label, store) in table(stores, section) {
            assert!(
                used.contains(label),
                "{what}: [{section}.{label}] maps a label no component of spin.toml uses"
            );
            let store = table(store, &format!("{section}.{label}"));
            let kind = store
                .get("type")
                .and_then(Toml::as_str)
                .unwrap_or_else(|| panic!("{what}: [{section}.{label}] needs a type"));
            let (_, fields) = types.iter().find(|(t, _)| *t == kind).unwrap_or_else(|| {
                panic!(
                    "{what}: [{section}.{label}] type {kind:?} is not one this project documents"
                )
            });
            let mut allowed = vec!["type"];
            allowed.extend_from_slice(fields);
            let unknown = unknown_keys(store, &allowed);
            assert!(
                unknown.is_empty(),
                "{what}: [{section}.{label}] has unknown fields {unknown:?}"
            );
            for field in *fields {
                let value = store.get(*field).and_then(Toml::as_str).unwrap_or_default();
                assert!(
                    !value.is_empty(),
                    "{what}: [{section}.{label}] needs {field}"
                );
            }
            if let Some(url) = store.get("url").and_then(Toml::as_str) {
                let schemes: &[&str] = match kind {
                    "redis" => &["redis://", "rediss://"],
                    _ => &["https://", "http://", "libsql://"],
                };
                assert!(
                    schemes.iter().any(|s| url.starts_with(s)),
                    "{what}: [{section}.{label}] url {url:?} should start with one of {schemes:?}"
                );
            }
        }
    }
}

#[test]
fn every_toml_file_in_deploy_parses() {
    let files = with_extension(&["toml"]);
    assert!(!files.is_empty(), "deploy/ has no TOML file");
    for path in files {
        parse_toml(&read(&path), &path.display().to_string());
    }
}

#[test]
fn the_runtime_config_maps_default_stores_to_redis_and_libsql_with_fields_spin_reads() {
    let path = root().join("deploy/runtime-config.toml");
    let text = read(&path);
    check_runtime_config(&text, "deploy/runtime-config.toml");
    let config = parse_toml(&text, "runtime-config.toml");
    assert_eq!(
        config["key_value_store"]["default"]["type"].as_str(),
        Some("redis")
    );
    assert_eq!(
        config["sqlite_database"]["default"]["type"].as_str(),
        Some("libsql")
    );
}

#[test]
fn the_rendered_runtime_config_is_valid_and_escapes_what_it_is_given() {
    let run = |env: &[(&str, &str)]| {
        let out = std::process::Command::new("bash")
            .arg(root().join("deploy/render-runtime-config"))
            .env_remove("REDIS_URL")
            .env_remove("LIBSQL_URL")
            .env_remove("LIBSQL_TOKEN")
            .envs(env.iter().copied())
            .output()
            .expect("bash runs deploy/render-runtime-config");
        (
            out.status.success(),
            String::from_utf8(out.stdout).expect("utf-8"),
        )
    };
    let (ok, text) = run(&[
        ("REDIS_URL", "rediss://user:p\"w\\d@cache.example:6380/0"),
        ("LIBSQL_URL", "libsql://bank-crm-example.turso.io"),
        ("LIBSQL_TOKEN", "token-with-\"quote"),
    ]);
    assert!(ok, "{text}");
    check_runtime_config(&text, "render-runtime-config output");
    let config = parse_toml(&text, "rendered");
    assert_eq!(
        config["key_value_store"]["default"]["url"].as_str(),
        Some("rediss://user:p\"w\\d@cache.example:6380/0")
    );
    assert_eq!(
        config["sqlite_database"]["default"]["token"].as_str(),
        Some("token-with-\"quote")
    );

    let (ok, text) = run(&[]);
    assert!(ok && parse_toml(&text, "empty render").is_empty(), "{text}");
    let (ok, _) = run(&[("LIBSQL_URL", "https://x.turso.io")]);
    assert!(!ok, "a libSQL URL without its token is refused");
}

// ---- Kubernetes ----

fn get<'a>(doc: &'a Yaml, path: &str) -> Option<&'a Yaml> {
    path.split('.').try_fold(doc, |v, k| v.get(k))
}

fn yaml_str<'a>(doc: &'a Yaml, path: &str) -> &'a str {
    get(doc, path)
        .and_then(Yaml::as_str)
        .unwrap_or_else(|| panic!("{path} must be a string"))
}

fn yaml_keys(doc: &Yaml) -> Vec<String> {
    doc.as_mapping()
        .map(|m| {
            m.keys()
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// RFC 1123 DNS label/subdomain, what Kubernetes names must be.
fn is_k8s_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

const SPINAPP_SPEC: &[&str] = &[
    "executor",
    "image",
    "imagePullSecrets",
    "checks",
    "replicas",
    "enableAutoscaling",
    "runtimeConfig",
    "volumes",
    "volumeMounts",
    "variables",
    "serviceAnnotations",
    "deploymentAnnotations",
    "podAnnotations",
    "podLabels",
    "resources",
    "components",
    "serviceAccountName",
    "invocationLimits",
];
const SPINAPP_PROBE: &[&str] = &[
    "httpGet",
    "initialDelaySeconds",
    "timeoutSeconds",
    "periodSeconds",
    "successThreshold",
    "failureThreshold",
];

/// Every document of every YAML file under deploy/, with the file it came from.
fn k8s_documents() -> Vec<(PathBuf, Yaml)> {
    with_extension(&["yaml", "yml"])
        .into_iter()
        .flat_map(|p| yaml_documents(&p).into_iter().map(move |d| (p.clone(), d)))
        .collect()
}

#[test]
fn every_yaml_file_in_deploy_is_a_kubernetes_object_with_a_valid_name() {
    let docs = k8s_documents();
    assert!(!docs.is_empty(), "deploy/ has no YAML file");
    for (path, doc) in &docs {
        let what = path.display();
        let api = yaml_str(doc, "apiVersion");
        let kind = yaml_str(doc, "kind");
        let name = yaml_str(doc, "metadata.name");
        assert!(
            is_k8s_name(name),
            "{what}: {kind} name {name:?} is not a DNS-1123 name"
        );
        assert!(
            matches!(
                (api, kind),
                ("v1", "Secret")
                    | ("core.spinkube.dev/v1alpha1", "SpinApp")
                    | ("batch/v1", "CronJob")
            ),
            "{what}: unexpected {api} {kind}"
        );
        if kind == "Secret" {
            assert!(
                get(doc, "data").is_none(),
                "{what}: use stringData, so placeholders stay readable and obviously fake"
            );
            let data = get(doc, "stringData")
                .and_then(Yaml::as_mapping)
                .expect("stringData");
            for (key, value) in data {
                let key = key.as_str().expect("string keys");
                assert!(
                    key.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c)),
                    "{what}: Secret key {key:?} is not a valid key"
                );
                assert!(value.as_str().is_some(), "{what}: {key} must be a string");
            }
        }
    }
}

#[test]
fn the_spinapp_binds_the_runtime_config_secret_and_exactly_the_variables_spin_toml_declares() {
    let docs = k8s_documents();
    let spinapps: Vec<&Yaml> = docs
        .iter()
        .filter(|(_, d)| get(d, "kind").and_then(Yaml::as_str) == Some("SpinApp"))
        .map(|(_, d)| d)
        .collect();
    assert_eq!(spinapps.len(), 1, "one SpinApp in deploy/");
    let app = spinapps[0];
    let secrets: BTreeMap<&str, Vec<String>> = docs
        .iter()
        .filter(|(_, d)| get(d, "kind").and_then(Yaml::as_str) == Some("Secret"))
        .map(|(_, d)| {
            (
                yaml_str(d, "metadata.name"),
                yaml_keys(get(d, "stringData").unwrap()),
            )
        })
        .collect();

    let spec = get(app, "spec").expect("spec");
    let unknown: Vec<String> = yaml_keys(spec)
        .into_iter()
        .filter(|k| !SPINAPP_SPEC.contains(&k.as_str()))
        .collect();
    assert!(
        unknown.is_empty(),
        "SpinApp spec fields the operator does not have: {unknown:?}"
    );
    let image = yaml_str(app, "spec.image");
    let tag = image
        .rsplit('/')
        .next()
        .and_then(|last| last.split_once(':'));
    assert!(
        tag.is_some_and(|(_, t)| !t.is_empty() && t != "latest"),
        "spec.image {image:?} should name a fixed tag"
    );
    assert_eq!(yaml_str(app, "spec.executor"), "containerd-shim-spin");
    let replicas = get(app, "spec.replicas")
        .and_then(Yaml::as_i64)
        .unwrap_or(1);
    assert!(replicas >= 1);

    // Shared stores are what make more than one replica correct.
    let secret = yaml_str(app, "spec.runtimeConfig.loadFromSecret");
    let keys = secrets
        .get(secret)
        .unwrap_or_else(|| panic!("runtimeConfig.loadFromSecret names {secret:?}, not in deploy/"));
    assert!(
        keys.contains(&"runtime-config.toml".to_owned()),
        "the operator reads the key runtime-config.toml"
    );
    let runtime = docs
        .iter()
        .find(|(_, d)| get(d, "metadata.name").and_then(Yaml::as_str) == Some(secret))
        .and_then(|(_, d)| get(d, "stringData")?.get("runtime-config.toml")?.as_str())
        .expect("the runtime config Secret's runtime-config.toml is a string");
    check_runtime_config(runtime, &format!("Secret {secret}"));

    let routes = manifest_routes();
    for probe in ["readiness", "liveness"] {
        let Some(p) = get(app, &format!("spec.checks.{probe}")) else {
            continue;
        };
        let unknown: Vec<String> = yaml_keys(p)
            .into_iter()
            .filter(|k| !SPINAPP_PROBE.contains(&k.as_str()))
            .collect();
        assert!(
            unknown.is_empty(),
            "checks.{probe}: unknown fields {unknown:?}"
        );
        let path = yaml_str(p, "httpGet.path");
        assert!(
            served(&routes, path),
            "checks.{probe} path {path} is not routed by spin.toml"
        );
    }

    let manifest = spin_toml();
    let declared: BTreeMap<String, toml::Table> = manifest
        .get("variables")
        .map(|v| {
            table(v, "[variables]")
                .iter()
                .map(|(k, v)| (k.clone(), table(v, k).clone()))
                .collect()
        })
        .unwrap_or_default();
    let mut bound = BTreeSet::new();
    for var in get(app, "spec.variables")
        .and_then(Yaml::as_sequence)
        .into_iter()
        .flatten()
    {
        let name = yaml_str(var, "name");
        assert!(bound.insert(name.to_owned()), "variable {name} bound twice");
        let decl = declared.get(name).unwrap_or_else(|| {
            panic!("SpinApp binds {name:?}, which spin.toml's [variables] does not declare")
        });
        let from_secret = get(var, "valueFrom.secretKeyRef");
        assert!(
            get(var, "value").is_some() != get(var, "valueFrom").is_some(),
            "{name}: exactly one of value and valueFrom"
        );
        if decl.get("secret").and_then(Toml::as_bool) == Some(true) {
            assert!(
                from_secret.is_some(),
                "{name} is secret in spin.toml: bind it from a Secret"
            );
        }
        if let Some(r) = from_secret {
            let (secret, key) = (yaml_str(r, "name"), yaml_str(r, "key"));
            let optional = get(r, "optional").and_then(Yaml::as_bool) == Some(true);
            assert!(
                !(optional && decl.get("required").and_then(Toml::as_bool) == Some(true)),
                "{name} is required by spin.toml: its Secret key must not be optional"
            );
            let keys = secrets
                .get(secret)
                .unwrap_or_else(|| panic!("{name}: Secret {secret:?} is not in deploy/"));
            assert!(
                optional || keys.contains(&key.to_owned()),
                "{name}: Secret {secret} has no key {key:?}"
            );
        }
    }
    for (name, decl) in &declared {
        if decl.get("required").and_then(Toml::as_bool) == Some(true) {
            assert!(
                bound.contains(name),
                "spin.toml requires {name}: the SpinApp must bind it"
            );
        }
    }
}

// ---- routes: the probes and the request collection call what spin.toml serves ----

fn manifest_routes() -> Vec<String> {
    spin_toml()["trigger"]["http"]
        .as_array()
        .expect("[[trigger.http]]")
        .iter()
        .filter_map(|t| t["route"].as_str().map(str::to_owned))
        .collect()
}

/// Spin's matching for the routes this app uses: exact, or a `/...` prefix.
fn served(routes: &[String], path: &str) -> bool {
    let path = path.split('?').next().unwrap_or(path);
    routes.iter().any(|r| match r.strip_suffix("/...") {
        Some(prefix) => path == prefix || path.starts_with(&format!("{prefix}/")),
        None => path == r,
    })
}

#[test]
fn the_churn_cronjob_calls_the_served_run_route_with_a_token_from_a_secret_deploy_defines() {
    let docs = k8s_documents();
    let jobs: Vec<&Yaml> = docs
        .iter()
        .filter(|(_, d)| get(d, "kind").and_then(Yaml::as_str) == Some("CronJob"))
        .map(|(_, d)| d)
        .collect();
    assert_eq!(jobs.len(), 1, "one CronJob in deploy/: the churn run");
    let job = jobs[0];
    assert_eq!(yaml_str(job, "spec.concurrencyPolicy"), "Forbid");
    let container = get(job, "spec.jobTemplate.spec.template.spec.containers")
        .and_then(Yaml::as_sequence)
        .and_then(|c| c.first())
        .expect("one container");
    let script = get(container, "args")
        .and_then(Yaml::as_sequence)
        .and_then(|a| a.first())
        .and_then(Yaml::as_str)
        .expect("the loop as the argument");
    assert!(served(&manifest_routes(), "/v1/engagement/churn/runs"));
    assert!(script.contains("/v1/engagement/churn/runs"));
    assert!(
        script.contains("nextCursor"),
        "the run is paged: follow nextCursor"
    );
    let script_file = read(&root().join("deploy/churn-run"));
    assert!(
        script_file.contains(script.trim()),
        "the CronJob's loop and deploy/churn-run are the same"
    );
    let env = get(container, "env")
        .and_then(Yaml::as_sequence)
        .expect("env");
    let token = env
        .iter()
        .find(|e| get(e, "name").and_then(Yaml::as_str) == Some("CRM_SERVICE_TOKEN"))
        .expect("CRM_SERVICE_TOKEN");
    let secret = yaml_str(token, "valueFrom.secretKeyRef.name");
    let key = yaml_str(token, "valueFrom.secretKeyRef.key");
    let defined = docs.iter().any(|(_, d)| {
        get(d, "kind").and_then(Yaml::as_str) == Some("Secret")
            && yaml_str(d, "metadata.name") == secret
            && get(d, &format!("stringData.{key}")).is_some()
    });
    assert!(defined, "secrets.example.yaml shows {secret}.{key}");
}

#[test]
fn the_request_collection_and_the_demo_call_only_routes_spin_toml_serves() {
    let routes = manifest_routes();
    let files = [
        "requests/walkthrough.sh",
        "requests/walkthrough.http",
        "scripts/demo",
    ];
    let mut seen = 0;
    for file in files {
        let text = read(&root().join(file));
        for (n, line) in text.lines().enumerate() {
            for word in line.split(|c: char| c.is_whitespace() || c == '"' || c == '\'') {
                let Some(at) = word.find("/v1/") else {
                    continue;
                };
                // `{{base}}/v1/...`, `$CRM_URL/v1/...` or a bare path.
                let path: String = word[at..]
                    .chars()
                    .take_while(|c| !matches!(c, '"' | '\'' | ' ' | ')'))
                    .collect();
                seen += 1;
                assert!(
                    served(&routes, &path),
                    "{file}:{}: {path} is not routed by spin.toml",
                    n + 1
                );
            }
        }
    }
    assert!(
        seen > 20,
        "expected the collection to call the API ({seen} paths found)"
    );
}

#[test]
fn the_deploy_readme_names_every_deploy_file() {
    let readme = read(&root().join("deploy/README.md"));
    for path in deploy_files() {
        let rel = path
            .strip_prefix(root().join("deploy"))
            .unwrap()
            .display()
            .to_string();
        if rel == "README.md" {
            continue;
        }
        assert!(
            readme.contains(&rel),
            "deploy/README.md does not mention {rel}"
        );
    }
    for flag in [
        "--runtime-config-file",
        "spin cloud deploy",
        "loadFromSecret",
        "--sqlite",
    ] {
        assert!(
            readme.contains(flag),
            "deploy/README.md should explain {flag}"
        );
    }
}
