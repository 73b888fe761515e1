//! The contract check: every response the end-to-end suite receives is validated against
//! `openapi/openapi.yaml`, so the document cannot drift from the code.
//!
//! [`check`] finds the operation (the path template that matches, literal segments
//! before parameters, as the components route), then requires that the status is listed
//! for it, that the required response headers are present, that the content type is one
//! the document lists (or that there is no body when it lists none) and that the JSON
//! body validates against the schema (JSON Schema 2020-12, the dialect of OpenAPI 3.1).
//! A path no template matches must be a 404 (the host's empty one, or a component's
//! problem+json); a known path with an undocumented method must be a problem+json 405
//! with `allow`. HEAD is checked as GET without a body.

use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

/// Validates one response against the document. `path` may carry a query string.
pub fn check(
    method: &str,
    path: &str,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<(), String> {
    let contract = Contract::get();
    let path = path.split(['?', '#']).next().unwrap_or(path);
    // The components route `/v1/customers/` as `/v1/customers` (routefinder, as in
    // spin-sdk's Router): one trailing slash names the same operation.
    let path = match path.strip_suffix('/') {
        Some(trimmed) if !trimmed.is_empty() => trimmed,
        _ => path,
    };
    let what = format!("{method} {path} → {status}");
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let Some(template) = contract.template_for(path) else {
        // Outside every documented path: the host's 404 for unrouted paths, or a
        // component's problem+json 404 under its prefix.
        if status != 404 {
            return Err(format!("{what}: no path of the document matches"));
        }
        if body.is_empty() {
            return Ok(());
        }
        return contract
            .problem(status, header("content-type"), body)
            .map_err(|e| format!("{what}: {e}"));
    };
    let item = &contract.document["paths"][template.as_str()];
    let lookup = if method.eq_ignore_ascii_case("HEAD") {
        "get".to_owned()
    } else {
        method.to_ascii_lowercase()
    };
    let Some(operation) = item.get(&lookup).filter(|o| o.is_object()) else {
        if status != 405 || header("allow").is_none() {
            return Err(format!(
                "{what}: {method} is not documented on {template}, so only a 405 with allow fits"
            ));
        }
        return contract
            .problem(status, header("content-type"), body)
            .map_err(|e| format!("{what}: {e}"));
    };
    let responses = &operation["responses"];
    let every = &contract.document["x-every-operation-may-answer"];
    let Some(response) = responses
        .get(status.to_string())
        .or_else(|| responses.get("default"))
        .or_else(|| every.get(status.to_string()))
    else {
        return Err(format!(
            "{what}: status {status} is not listed for {method} {template}"
        ));
    };
    let (response, pointer) = contract.resolve(
        response,
        format!(
            "#/paths/{}/{lookup}/responses/{status}",
            escape_pointer(&template)
        ),
    );
    for (name, spec) in response["headers"].as_object().into_iter().flatten() {
        let (spec, _) = contract.resolve(spec, String::new());
        if spec["required"] == Value::Bool(true) && header(name).is_none() {
            return Err(format!("{what}: required header `{name}` is missing"));
        }
    }
    let head = method.eq_ignore_ascii_case("HEAD");
    let Some(content) = response["content"].as_object() else {
        if !body.is_empty() {
            return Err(format!("{what}: the document lists no body, but one came"));
        }
        return Ok(());
    };
    if head && body.is_empty() {
        return Ok(());
    }
    let media = header("content-type")
        .and_then(|v| v.split(';').next())
        .map(str::trim)
        .unwrap_or("");
    if !content.contains_key(media) {
        return Err(format!(
            "{what}: content-type `{media}` is not one of {:?}",
            content.keys().collect::<Vec<_>>()
        ));
    }
    let instance: Value =
        serde_json::from_slice(body).map_err(|e| format!("{what}: the body is not JSON ({e})"))?;
    let schema_pointer = format!("{pointer}/content/{}/schema", escape_pointer(media));
    contract
        .validate(&schema_pointer, &instance)
        .map_err(|e| format!("{what}: {e}\nbody: {}", String::from_utf8_lossy(body)))?;
    if media == "application/problem+json" && instance["status"] != status {
        return Err(format!(
            "{what}: the problem's status member is not {status}"
        ));
    }
    Ok(())
}

/// The document as served: `openapi/openapi.yaml` parsed into JSON.
pub fn document() -> &'static Value {
    &Contract::get().document
}

struct Contract {
    document: Value,
    /// Path templates split into segments, `None` for a `{parameter}`.
    templates: Vec<(String, Vec<Option<String>>)>,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

impl Contract {
    fn get() -> &'static Contract {
        static CONTRACT: OnceLock<Contract> = OnceLock::new();
        CONTRACT.get_or_init(|| {
            let file = source_path();
            let text = std::fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("read {}: {e}", file.display()));
            let document: Value = serde_yaml::from_str(&text)
                .unwrap_or_else(|e| panic!("{} is not valid YAML: {e}", file.display()));
            let templates = document["paths"]
                .as_object()
                .expect("the document has paths")
                .keys()
                .map(|t| {
                    let segments = t
                        .split('/')
                        .map(|s| (!s.starts_with('{')).then(|| s.to_owned()))
                        .collect();
                    (t.clone(), segments)
                })
                .collect();
            Contract {
                document,
                templates,
                validators: Mutex::new(HashMap::new()),
            }
        })
    }

    /// The template matching `path`; where several match, the one whose first
    /// differing segment is literal wins (`/v1/customers/segments/summary` over
    /// `/v1/customers/{id}/...`), as in the components' router.
    fn template_for(&self, path: &str) -> Option<String> {
        let segments: Vec<&str> = path.split('/').collect();
        self.templates
            .iter()
            .filter(|(_, t)| {
                t.len() == segments.len()
                    && t.iter().zip(&segments).all(|(t, s)| match t {
                        Some(literal) => literal == s,
                        None => !s.is_empty(),
                    })
            })
            .max_by_key(|(_, t)| t.iter().map(Option::is_some).collect::<Vec<_>>())
            .map(|(name, _)| name.clone())
    }

    /// Follows `$ref`s to the object they name, returning it and its JSON pointer.
    fn resolve<'a>(&'a self, mut value: &'a Value, mut pointer: String) -> (&'a Value, String) {
        while let Some(reference) = value.get("$ref").and_then(Value::as_str) {
            pointer = reference.to_owned();
            value = self
                .document
                .pointer(reference.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("dangling $ref {reference}"));
        }
        (value, pointer)
    }

    fn problem(&self, status: u16, content_type: Option<&str>, body: &[u8]) -> Result<(), String> {
        if content_type != Some("application/problem+json") {
            return Err(format!(
                "expected application/problem+json, got {content_type:?}"
            ));
        }
        let instance: Value =
            serde_json::from_slice(body).map_err(|e| format!("the problem is not JSON ({e})"))?;
        self.validate("#/components/schemas/Problem", &instance)?;
        if instance["status"] != status {
            return Err(format!("the problem's status member is not {status}"));
        }
        Ok(())
    }

    fn validate(&self, pointer: &str, instance: &Value) -> Result<(), String> {
        let validator = {
            let mut cache = self.validators.lock().unwrap_or_else(|e| e.into_inner());
            match cache.get(pointer) {
                Some(v) => Arc::clone(v),
                None => {
                    let v = Arc::new(self.compile(pointer)?);
                    cache.insert(pointer.to_owned(), Arc::clone(&v));
                    v
                }
            }
        };
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|e| format!("{} at `{}`", e, e.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(format!("schema {pointer}: {}", errors.join("; ")))
        }
    }

    /// A validator for the schema at `pointer`: the whole document with a root `$ref`,
    /// so the schema's own `$ref`s into `#/components/schemas` resolve.
    fn compile(&self, pointer: &str) -> Result<jsonschema::Validator, String> {
        let mut root = self.document.clone();
        if let Some(map) = root.as_object_mut() {
            // A URI fragment: braces of path templates must be percent-encoded.
            let reference = pointer.replace('{', "%7B").replace('}', "%7D");
            map.insert("$ref".into(), Value::String(reference));
        }
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&root)
            .map_err(|e| format!("the schema at {pointer} does not compile: {e}"))
    }
}

fn source_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../openapi/openapi.yaml")
}

fn escape_pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}
