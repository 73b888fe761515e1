//! `GET /v1/<service>/health`: which component answers, at what schema version, and
//! whether its database and key-value store answered.

use crate::{ApiError, ApiResult, Ctx, json_response};
use http::StatusCode;
use serde::Serialize;
use serde_json::{Map, Value};

/// The health report.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// `ok` when both stores answered, `degraded` otherwise.
    pub status: &'static str,
    /// The component id in `spin.toml`.
    pub component: &'static str,
    /// The component crate's version.
    pub version: &'static str,
    /// The schema version after migrations, `null` when the database did not answer.
    pub schema_version: Option<i64>,
    /// `ok` or `unavailable`.
    pub database: &'static str,
    /// `ok` or `unavailable`.
    pub key_value: &'static str,
}

/// Probes both stores: 200 with the report, or 503 problem+json carrying the same fields.
pub fn handle(ctx: &Ctx<'_>) -> ApiResult {
    let mut causes = Vec::new();
    let schema_version = ctx
        .stores()
        .schema_version()
        .map_err(|e| causes.push(format!("database: {e}")))
        .ok();
    let key_value_ok = ctx
        .stores()
        .key_value()
        .and_then(|kv| kv.exists("health"))
        .map_err(|e| causes.push(format!("key-value: {e}")))
        .is_ok();
    let health = Health {
        status: if causes.is_empty() { "ok" } else { "degraded" },
        component: ctx.service.name,
        version: ctx.service.version,
        schema_version,
        database: if schema_version.is_some() {
            "ok"
        } else {
            "unavailable"
        },
        key_value: if key_value_ok { "ok" } else { "unavailable" },
    };
    if causes.is_empty() {
        return json_response(StatusCode::OK, &health);
    }
    ctx.note(causes.join("; "));
    let extra: Map<String, Value> = match serde_json::to_value(&health) {
        Ok(Value::Object(map)) => map.into_iter().filter(|(k, _)| k != "status").collect(),
        _ => Map::new(),
    };
    Err(ApiError::Unavailable {
        retry_after_secs: 5,
        detail: "a store did not answer".into(),
        extra,
    })
}
