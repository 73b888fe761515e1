//! Application and component variables, resolved as Spin resolves them
//! (`crates/expressions/src/lib.rs`, `template.rs`, `crates/variables-env`).
//!
//! Component variables are templates over application variables. A template
//! is resolved at `get` time: each `{{ name }}` takes the environment
//! provider's value (`SPIN_VARIABLE_<NAME>`) when present, else the
//! application default. A required variable with no provider value stops
//! start-up, as Spin's variables validator hook does.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use anyhow::{Result, anyhow, bail};

use crate::manifest::App;

/// Where `SPIN_VARIABLE_*` values come from.
#[derive(Debug, Clone, Default)]
pub enum VariableEnv {
    /// The host process environment, like `spin up`.
    #[default]
    Process,
    /// A fixed map of environment variable names (`SPIN_VARIABLE_API_KEY`)
    /// to values, so that tests running in parallel do not share the
    /// process environment.
    Map(BTreeMap<String, String>),
}

impl VariableEnv {
    fn get(&self, key: &str) -> Option<String> {
        match self {
            Self::Process => std::env::var(key).ok(),
            Self::Map(map) => map.get(key).cloned(),
        }
    }
}

/// The prefix Spin's default environment provider uses.
pub const ENV_PREFIX: &str = "SPIN_VARIABLE";

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Lit(String),
    Expr(String),
}

/// Errors with the same cases as `fermyon:spin/variables.error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VarError {
    InvalidName(String),
    Undefined(String),
    Provider(String),
    Other(String),
}

#[derive(Debug)]
pub struct Resolver {
    /// App variable name -> default (None when required).
    defaults: HashMap<String, Option<String>>,
    /// Component id -> component variable name -> parsed template.
    components: HashMap<String, HashMap<String, Vec<Part>>>,
    env: VariableEnv,
}

impl Resolver {
    pub fn new(app: &App, env: VariableEnv) -> Result<Arc<Self>> {
        let mut defaults = HashMap::new();
        for (name, var) in &app.variables {
            validate_key(name).map_err(|e| anyhow!("invalid variable name: {}", e.message()))?;
            defaults.insert(name.clone(), var.default.clone());
        }
        let mut components = HashMap::new();
        for component in app.components.values() {
            let mut templates = HashMap::new();
            for (name, template) in &component.variables {
                validate_key(name).map_err(|e| {
                    anyhow!(
                        "component {:?}: invalid variable name: {}",
                        component.id,
                        e.message()
                    )
                })?;
                let parts = parse_template(template).map_err(|e| {
                    anyhow!(
                        "component {:?} variable {name:?}: invalid variable template: {e}",
                        component.id
                    )
                })?;
                for part in &parts {
                    if let Part::Expr(var) = part
                        && !defaults.contains_key(var)
                    {
                        bail!(
                            "component {:?} variable {name:?}: invalid variable template: unknown variable {var:?}",
                            component.id
                        );
                    }
                }
                templates.insert(name.clone(), parts);
            }
            components.insert(component.id.clone(), templates);
        }
        let resolver = Self {
            defaults,
            components,
            env,
        };
        resolver.ensure_required_resolved(app)?;
        Ok(Arc::new(resolver))
    }

    fn ensure_required_resolved(&self, app: &App) -> Result<()> {
        let missing: Vec<String> = app
            .variables
            .iter()
            .filter(|(name, var)| var.required && self.env.get(&env_key(name)).is_none())
            .map(|(name, _)| format!("  - {name} (set {})", env_key(name)))
            .collect();
        if !missing.is_empty() {
            bail!(
                "required application variable(s) have no value; provide them through the environment:\n{}",
                missing.join("\n")
            );
        }
        Ok(())
    }

    /// `fermyon:spin/variables.get` for `component`.
    pub fn get(&self, component: &str, name: &str) -> Result<String, VarError> {
        validate_key(name)?;
        let templates = self.components.get(component).ok_or_else(|| {
            VarError::Undefined(format!("no variable for component {component:?}"))
        })?;
        let parts = templates.get(name).ok_or_else(|| {
            VarError::Undefined(format!("no variable for {component:?}.{name:?}"))
        })?;
        let mut out = String::new();
        for part in parts {
            match part {
                Part::Lit(lit) => out.push_str(lit),
                Part::Expr(var) => out.push_str(&self.resolve_app_variable(var)?),
            }
        }
        Ok(out)
    }

    fn resolve_app_variable(&self, name: &str) -> Result<String, VarError> {
        if let Some(value) = self.env.get(&env_key(name)) {
            return Ok(value);
        }
        match self.defaults.get(name) {
            None => Err(VarError::InvalidName(name.to_string())),
            Some(Some(default)) => Ok(default.clone()),
            Some(None) => Err(VarError::Provider(format!(
                "no provider resolved required variable {name:?}"
            ))),
        }
    }
}

impl VarError {
    fn message(&self) -> &str {
        match self {
            Self::InvalidName(m) | Self::Undefined(m) | Self::Provider(m) | Self::Other(m) => m,
        }
    }
}

/// `SPIN_VARIABLE_<NAME>` for an application variable.
pub fn env_key(name: &str) -> String {
    format!("{ENV_PREFIX}_{}", name.to_ascii_uppercase())
}

/// Spin's variable-name rule (`spin_expressions::Key::validate`): lower-case
/// ASCII letters, digits and single underscores, starting with a letter and
/// ending with a letter or digit.
pub fn validate_key(key: &str) -> Result<(), VarError> {
    let reason = if key.is_empty() {
        Some("must not be empty".to_string())
    } else if let Some(c) = key
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'))
    {
        Some(format!(
            "invalid character {c:?}. Variable names may contain only lower-case letters, numbers, and underscores."
        ))
    } else if !key.starts_with(|c: char| c.is_ascii_lowercase()) {
        Some("must start with a lowercase ASCII letter".to_string())
    } else if !key.ends_with(|c: char| c.is_ascii_alphanumeric()) {
        Some("must end with a lowercase ASCII letter or digit".to_string())
    } else if key.contains("__") {
        Some("must not contain multiple consecutive underscores".to_string())
    } else {
        None
    };
    match reason {
        Some(reason) => Err(VarError::InvalidName(format!("{key:?}: {reason}"))),
        None => Ok(()),
    }
}

/// `{{ expr }}` templates: literal text with expressions in double braces;
/// an unmatched `{{` is an error.
fn parse_template(template: &str) -> Result<Vec<Part>, String> {
    let mut parts = Vec::new();
    let mut rest = template;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("{{") {
            let Some((expr, tail)) = after.split_once("}}") else {
                return Err("unmatched '{{' in template".to_string());
            };
            parts.push(Part::Expr(expr.trim().to_string()));
            rest = tail;
        } else if let Some(idx) = rest.find("{{") {
            parts.push(Part::Lit(rest[..idx].to_string()));
            rest = &rest[idx..];
        } else {
            parts.push(Part::Lit(rest.to_string()));
            rest = "";
        }
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest;
    use std::path::Path;

    const APP: &str = r#"
spin_manifest_version = 2
[application]
name = "t"
[variables]
greeting = { default = "hello" }
token = { required = true, secret = true }
[[trigger.http]]
route = "/..."
component = "a"
[component.a]
source = "a.wasm"
[component.a.variables]
message = "{{ greeting }}, {{token}}!"
plain = "static"
"#;

    fn resolver(env: &[(&str, &str)]) -> Result<Arc<Resolver>> {
        let app = manifest::parse(APP, Path::new(".")).expect("manifest");
        let map = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Resolver::new(&app, VariableEnv::Map(map))
    }

    #[test]
    fn missing_required_variable_refuses_to_start() {
        let err = format!("{:#}", resolver(&[]).expect_err("must fail"));
        assert!(
            err.contains("token") && err.contains("SPIN_VARIABLE_TOKEN"),
            "{err}"
        );
    }

    #[test]
    fn templates_resolve_env_over_default() {
        let r = resolver(&[("SPIN_VARIABLE_TOKEN", "t0k")]).expect("starts");
        assert_eq!(r.get("a", "message"), Ok("hello, t0k!".to_string()));
        assert_eq!(r.get("a", "plain"), Ok("static".to_string()));
        let r = resolver(&[
            ("SPIN_VARIABLE_TOKEN", "x"),
            ("SPIN_VARIABLE_GREETING", "hi"),
        ])
        .expect("starts");
        assert_eq!(r.get("a", "message"), Ok("hi, x!".to_string()));
    }

    #[test]
    fn undefined_and_invalid_names() {
        let r = resolver(&[("SPIN_VARIABLE_TOKEN", "x")]).expect("starts");
        assert!(matches!(r.get("a", "nope"), Err(VarError::Undefined(_))));
        assert!(matches!(
            r.get("other", "message"),
            Err(VarError::Undefined(_))
        ));
        for bad in ["", "Message", "1abc", "a__b", "a_", "a-b", "x.y"] {
            assert!(
                matches!(r.get("a", bad), Err(VarError::InvalidName(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn template_parsing() {
        assert_eq!(parse_template(""), Ok(vec![]));
        assert_eq!(
            parse_template("a-{{ x }}-b"),
            Ok(vec![
                Part::Lit("a-".into()),
                Part::Expr("x".into()),
                Part::Lit("-b".into())
            ])
        );
        assert!(parse_template("{{ ok }} {{ broken").is_err());
    }
}
