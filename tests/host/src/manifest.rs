//! Reading `spin.toml` (manifest version 2) the way `spin up` does.
//!
//! The accepted keys follow Spin's `crates/manifest/src/schema/v2.rs` and
//! `schema/common.rs`, the HTTP trigger keys follow `crates/http/src/config.rs`
//! and `crates/routes/src/lib.rs`. Every table denies unknown keys, as Spin's
//! schema does, so a typo fails here rather than passing locally and failing
//! on real Spin. Keys Spin accepts but this host cannot honour (`files`,
//! remote sources, dependencies, ...) are parsed and then refused by name.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use serde::Deserialize;

/// A loaded, validated application.
#[derive(Debug, Clone)]
pub struct App {
    /// Directory holding `spin.toml`; component sources are relative to it.
    pub dir: PathBuf,
    pub name: String,
    pub version: String,
    pub description: String,
    /// Application variables in manifest order.
    pub variables: Vec<(String, Variable)>,
    /// HTTP triggers in manifest order.
    pub triggers: Vec<HttpTrigger>,
    pub components: BTreeMap<String, Component>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub default: Option<String>,
    #[serde(default)]
    pub secret: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// A routable pattern as written in the manifest.
    Pattern(String),
    /// `route = { private = true }`: reachable only by service chaining,
    /// which this host does not implement, so never routed.
    Private,
}

#[derive(Debug, Clone)]
pub struct HttpTrigger {
    pub component: String,
    pub route: Route,
}

#[derive(Debug, Clone)]
pub struct Component {
    pub id: String,
    /// Absolute (manifest-dir-joined) path of the Wasm file.
    pub source: PathBuf,
    pub description: String,
    /// Component variable name -> template (`"{{ app_var }}"`).
    pub variables: Vec<(String, String)>,
    pub environment: Vec<(String, String)>,
    pub allowed_outbound_hosts: Vec<String>,
    pub key_value_stores: Vec<String>,
    pub sqlite_databases: Vec<String>,
}

// ---- raw serde shapes -------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    spin_manifest_version: toml::Value,
    application: RawApplication,
    #[serde(default)]
    variables: toml::Table,
    trigger: toml::Table,
    #[serde(default)]
    component: toml::Table,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApplication {
    name: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    #[allow(
        dead_code,
        reason = "accepted because Spin accepts it; nothing to do with it"
    )]
    authors: Vec<String>,
    #[serde(default)]
    #[allow(
        dead_code,
        reason = "deployment-target checks are a `spin build` concern"
    )]
    targets: Vec<toml::Value>,
    #[serde(default)]
    trigger: BTreeMap<String, toml::Table>,
    #[serde(default)]
    #[allow(dead_code, reason = "Spin ignores `tool` tables too")]
    tool: toml::Table,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttpGlobal {
    #[serde(default)]
    base: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttpTrigger {
    #[serde(default)]
    #[allow(
        dead_code,
        reason = "trigger ids only label triggers in Spin's own output"
    )]
    id: Option<String>,
    #[serde(default)]
    component: Option<toml::Value>,
    #[serde(default)]
    components: Option<toml::Value>,
    #[serde(default)]
    static_response: Option<toml::Value>,
    route: toml::Value,
    #[serde(default)]
    executor: Option<RawExecutor>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExecutor {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    #[allow(dead_code, reason = "only present for wagi, which is refused")]
    argv: Option<String>,
    #[serde(default)]
    #[allow(dead_code, reason = "only present for wagi, which is refused")]
    entrypoint: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawComponent {
    source: toml::Value,
    #[serde(default)]
    description: String,
    #[serde(default)]
    variables: toml::Table,
    #[serde(default)]
    environment: BTreeMap<String, String>,
    #[serde(default)]
    files: Vec<toml::Value>,
    #[serde(default)]
    exclude_files: Vec<String>,
    #[serde(default)]
    allowed_http_hosts: Vec<String>,
    #[serde(default)]
    allowed_outbound_hosts: Vec<String>,
    #[serde(default)]
    key_value_stores: Vec<String>,
    #[serde(default)]
    sqlite_databases: Vec<String>,
    #[serde(default)]
    ai_models: Vec<String>,
    #[serde(default)]
    #[allow(dead_code, reason = "`spin build` reads this; `spin up` ignores it")]
    build: Option<RawBuild>,
    #[serde(default)]
    #[allow(dead_code, reason = "Spin ignores `tool` tables too")]
    tool: toml::Table,
    #[serde(default)]
    dependencies_inherit_configuration: bool,
    #[serde(default)]
    dependencies: toml::Table,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code, reason = "validated for shape only, as `spin up` does")]
struct RawBuild {
    command: toml::Value,
    #[serde(default)]
    workdir: Option<String>,
    #[serde(default)]
    watch: Vec<String>,
}

// ---- loading ----------------------------------------------------------------

/// Reads and validates the manifest at `path`.
pub fn load(path: &Path) -> Result<App> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read manifest {}", path.display()))?;
    let dir = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let dir = if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir
    };
    parse(&text, &dir).with_context(|| format!("invalid manifest {}", path.display()))
}

/// Parses manifest text; `dir` anchors relative component sources.
pub fn parse(text: &str, dir: &Path) -> Result<App> {
    let raw: RawManifest = toml::from_str(text).map_err(|e| anyhow!("{e}"))?;

    match raw.spin_manifest_version.as_integer() {
        Some(2) => {}
        _ => bail!(
            "spin_manifest_version must be 2 (got {}); crm-host reads only version 2 manifests",
            raw.spin_manifest_version
        ),
    }

    let app = raw.application;
    for (kind, table) in &app.trigger {
        if kind != "http" {
            bail!("[application.trigger.{kind}]: only HTTP triggers are supported by crm-host");
        }
        let global: RawHttpGlobal = deserialize(table, "[application.trigger.http]")?;
        // Spin (crates/trigger-http/src/lib.rs, validate_app) warns on
        // `base = "/"` and refuses any other base.
        if let Some(base) = global.base
            && base != "/"
        {
            bail!(
                "This application is using the deprecated trigger 'base' field. The base must be prepended to each [[trigger.http]]'s 'route'."
            );
        }
    }

    let mut variables = Vec::new();
    for (name, value) in raw.variables {
        check_lower_snake_id(&name).map_err(|e| anyhow!("[variables] {name:?}: {e}"))?;
        let var: Variable = deserialize_value(value, &format!("[variables.{name}]"))?;
        if var.required && var.default.is_some() {
            bail!("variable {name:?}: `required = true` and `default` cannot both be set");
        }
        if !var.required && var.default.is_none() {
            bail!("variable {name:?}: needs either `default = \"...\"` or `required = true`");
        }
        variables.push((name, var));
    }

    let mut components = BTreeMap::new();
    for (id, value) in raw.component {
        check_kebab_id(&id).map_err(|e| anyhow!("[component.{id}]: invalid component id: {e}"))?;
        let rc: RawComponent = deserialize_value(value, &format!("[component.{id}]"))?;
        let component = convert_component(&id, rc, dir)?;
        components.insert(id, component);
    }

    let mut triggers = Vec::new();
    for (kind, list) in raw.trigger {
        if kind != "http" {
            bail!(
                "[[trigger.{kind}]]: only HTTP triggers are supported by crm-host (Redis, cron and other triggers are not)"
            );
        }
        let toml::Value::Array(list) = list else {
            bail!("`trigger.http` must be an array of tables: write [[trigger.http]]");
        };
        for (index, value) in list.into_iter().enumerate() {
            let what = format!("[[trigger.http]] #{}", index + 1);
            let rt: RawHttpTrigger = deserialize_value(value, &what)?;
            triggers.push(convert_trigger(rt, &what, &components)?);
        }
    }

    Ok(App {
        dir: dir.to_path_buf(),
        name: app.name,
        version: app.version,
        description: app.description,
        variables,
        triggers,
        components,
    })
}

fn convert_trigger(
    rt: RawHttpTrigger,
    what: &str,
    components: &BTreeMap<String, Component>,
) -> Result<HttpTrigger> {
    if rt.components.is_some() {
        bail!("{what}: `components` is reserved by Spin and not supported by crm-host");
    }
    if rt.static_response.is_some() {
        bail!("{what}: `static_response` is not supported by crm-host");
    }
    if let Some(executor) = rt.executor {
        match executor.kind.as_str() {
            "http" | "spin" => {}
            "wagi" => bail!("{what}: the wagi executor is not supported by crm-host"),
            other => bail!("{what}: unknown executor type {other:?}"),
        }
    }
    let component = match rt.component {
        Some(toml::Value::String(id)) => id,
        Some(toml::Value::Table(_)) => bail!(
            "{what}: inline component tables are not supported by crm-host; declare [component.<id>] and refer to it by id"
        ),
        Some(other) => bail!("{what}: `component` must be a component id string, got {other}"),
        None => bail!("{what}: missing `component`"),
    };
    if !components.contains_key(&component) {
        bail!("{what}: component {component:?} is not defined; add [component.{component}]");
    }
    let route = match rt.route {
        toml::Value::String(route) => Route::Pattern(route),
        toml::Value::Table(table) => {
            #[derive(Deserialize)]
            #[serde(deny_unknown_fields)]
            struct Private {
                private: bool,
            }
            let private: Private = deserialize(&table, &format!("{what} route"))?;
            if !private.private {
                // Same rule and wording as Spin's router build.
                bail!(
                    "route must be a string pattern or '{{ private = true }}': '{component}' has {{ private = false }}"
                );
            }
            Route::Private
        }
        other => bail!("{what}: `route` must be a string or {{ private = true }}, got {other}"),
    };
    Ok(HttpTrigger { component, route })
}

fn convert_component(id: &str, rc: RawComponent, dir: &Path) -> Result<Component> {
    let what = format!("[component.{id}]");
    let source = match rc.source {
        toml::Value::String(path) => dir.join(path),
        toml::Value::Table(_) => bail!(
            "{what}: only a local file path is supported as `source` by crm-host (no URL or registry sources)"
        ),
        other => bail!("{what}: `source` must be a file path string, got {other}"),
    };
    if !rc.files.is_empty() {
        bail!(
            "{what}: `files` is not supported by crm-host (components get no filesystem); it must be empty"
        );
    }
    if !rc.exclude_files.is_empty() {
        bail!("{what}: `exclude_files` is not supported by crm-host; it must be empty");
    }
    if !rc.allowed_http_hosts.is_empty() {
        bail!(
            "{what}: the deprecated `allowed_http_hosts` is not supported by crm-host; use `allowed_outbound_hosts`"
        );
    }
    if !rc.ai_models.is_empty() {
        bail!("{what}: `ai_models` is not supported by crm-host");
    }
    if !rc.dependencies.is_empty() || rc.dependencies_inherit_configuration {
        bail!("{what}: component dependencies are not supported by crm-host");
    }
    for label in rc.key_value_stores.iter().chain(&rc.sqlite_databases) {
        // Spin's manifest accepts kebab-case or snake_case labels only.
        if check_kebab_id(label).is_err() && check_snake_id(label).is_err() {
            bail!("{what}: store/database label {label:?}: expected kebab-case or snake_case");
        }
    }
    let mut variables = Vec::new();
    for (name, value) in rc.variables {
        check_lower_snake_id(&name).map_err(|e| anyhow!("{what} variable {name:?}: {e}"))?;
        let toml::Value::String(template) = value else {
            bail!("{what} variable {name:?}: value must be a string");
        };
        variables.push((name, template));
    }
    Ok(Component {
        id: id.to_string(),
        source,
        description: rc.description,
        variables,
        environment: rc.environment.into_iter().collect(),
        allowed_outbound_hosts: rc.allowed_outbound_hosts,
        key_value_stores: rc.key_value_stores,
        sqlite_databases: rc.sqlite_databases,
    })
}

fn deserialize<T: serde::de::DeserializeOwned>(table: &toml::Table, what: &str) -> Result<T> {
    deserialize_value(toml::Value::Table(table.clone()), what)
}

fn deserialize_value<T: serde::de::DeserializeOwned>(value: toml::Value, what: &str) -> Result<T> {
    T::deserialize(value).map_err(|e| anyhow!("{what}: {}", e.message()))
}

// Identifier rules from Spin's `crates/serde/src/id.rs`: words of ASCII
// letters/digits separated by one delimiter, each word all-lowercase or
// all-uppercase, the first word starting with a letter.
fn check_id(id: &str, delim: char, lower_only: bool) -> Result<(), String> {
    if id.is_empty() {
        return Err("empty".into());
    }
    let wrong = if delim == '_' { '-' } else { '_' };
    if id.contains(wrong) {
        return Err(format!(
            "words must be separated with {delim:?}, not {wrong:?}"
        ));
    }
    for (i, word) in id.split(delim).enumerate() {
        let mut chars = word.chars();
        let Some(first) = chars.next() else {
            return Err(format!("{delim:?}-separated words must not be empty"));
        };
        if !(first.is_ascii_alphabetic() || (i > 0 && first.is_ascii_digit())) {
            return Err(format!(
                "{delim:?}-separated words must start with an ASCII letter or digit; got {first:?}"
            ));
        }
        let upper = first.is_ascii_uppercase();
        for ch in chars {
            if ch.is_ascii_digit() || ch == ':' {
                continue;
            }
            if !ch.is_ascii_alphanumeric() {
                return Err(format!(
                    "{delim:?}-separated words may only contain alphanumeric ASCII; got {ch:?}"
                ));
            }
            if ch.is_ascii_uppercase() != upper {
                return Err(format!(
                    "{delim:?}-separated words must be all lowercase or all UPPERCASE; got {word:?}"
                ));
            }
        }
        if lower_only && upper {
            return Err(format!(
                "lower-case identifiers must be all lowercase; got {id:?}"
            ));
        }
    }
    Ok(())
}

fn check_kebab_id(id: &str) -> Result<(), String> {
    check_id(id, '-', false)
}

fn check_snake_id(id: &str) -> Result<(), String> {
    check_id(id, '_', false)
}

fn check_lower_snake_id(id: &str) -> Result<(), String> {
    check_id(id, '_', true)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
spin_manifest_version = 2
[application]
name = "t"
[[trigger.http]]
route = "/..."
component = "a"
[component.a]
source = "a.wasm"
"#;

    #[test]
    fn minimal_manifest_loads() {
        let app = parse(MINIMAL, Path::new("/x")).expect("valid");
        assert_eq!(app.components["a"].source, Path::new("/x/a.wasm"));
        assert_eq!(app.triggers[0].route, Route::Pattern("/...".into()));
    }

    #[test]
    fn unknown_key_is_named() {
        let text = MINIMAL.replace("source = \"a.wasm\"", "source = \"a.wasm\"\nsauce = 1");
        let err = format!("{:#}", parse(&text, Path::new(".")).expect_err("must fail"));
        assert!(err.contains("sauce"), "{err}");
        let text = MINIMAL.replace("name = \"t\"", "name = \"t\"\nnmae = \"x\"");
        let err = format!("{:#}", parse(&text, Path::new(".")).expect_err("must fail"));
        assert!(err.contains("nmae"), "{err}");
        let text = MINIMAL.replace("route = \"/...\"", "route = \"/...\"\nroute_x = 1");
        let err = format!("{:#}", parse(&text, Path::new(".")).expect_err("must fail"));
        assert!(err.contains("route_x"), "{err}");
    }

    #[test]
    fn files_are_refused() {
        let text = MINIMAL.replace(
            "source = \"a.wasm\"",
            "source = \"a.wasm\"\nfiles = [\"x\"]",
        );
        let err = format!("{:#}", parse(&text, Path::new(".")).expect_err("must fail"));
        assert!(err.contains("`files`"), "{err}");
    }

    #[test]
    fn non_root_base_is_refused_like_spin() {
        let text = MINIMAL.replace(
            "name = \"t\"",
            "name = \"t\"\n[application.trigger.http]\nbase = \"/api\"",
        );
        assert!(parse(&text, Path::new(".")).is_err());
        let text = MINIMAL.replace(
            "name = \"t\"",
            "name = \"t\"\n[application.trigger.http]\nbase = \"/\"",
        );
        assert!(parse(&text, Path::new(".")).is_ok());
    }

    #[test]
    fn variable_needs_default_or_required() {
        let text = format!("{MINIMAL}\n[variables]\nx = {{ secret = true }}\n");
        assert!(parse(&text, Path::new(".")).is_err());
        let text = format!("{MINIMAL}\n[variables]\nx = {{ required = true, default = \"a\" }}\n");
        assert!(parse(&text, Path::new(".")).is_err());
        let text = format!("{MINIMAL}\n[variables]\nx = {{ required = true }}\n");
        assert!(parse(&text, Path::new(".")).is_ok());
    }

    #[test]
    fn ids_follow_spin_rules() {
        assert!(check_kebab_id("my-comp2").is_ok());
        assert!(check_kebab_id("my_comp").is_err());
        assert!(check_kebab_id("2comp").is_err());
        assert!(check_kebab_id("a--b").is_err());
        assert!(check_lower_snake_id("api_key").is_ok());
        assert!(check_lower_snake_id("API_KEY").is_err());
        assert!(check_snake_id("API_KEY").is_ok());
    }

    #[test]
    fn private_route_and_unknown_component() {
        let text = MINIMAL.replace("route = \"/...\"", "route = { private = true }");
        let app = parse(&text, Path::new(".")).expect("valid");
        assert_eq!(app.triggers[0].route, Route::Private);
        let text = MINIMAL.replace("component = \"a\"", "component = \"b\"");
        assert!(parse(&text, Path::new(".")).is_err());
    }
}
