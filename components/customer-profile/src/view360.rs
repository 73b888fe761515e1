//! `GET /v1/customers/{id}/360`: one answer for the channel, read from every service's
//! tables in the shared store through `crm_store::read`, with no HTTP fan-out. A part
//! whose service has nothing to read yet is omitted and named in `notes`, never faked.

use crate::repo;
use crm_domain::id::CustomerId;
use crm_http::{ApiError, ApiResult, Ctx, json_response};
use http::StatusCode;
use serde_json::{Map, Value, json};

/// The 360° view.
pub fn handle(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    let id = ctx
        .param("id")
        .and_then(|s| CustomerId::parse(s).ok())
        .ok_or_else(|| ApiError::NotFound("no such customer".into()))?;
    let db = ctx.db()?;
    let (customer, version) =
        repo::get(db, &id)?.ok_or_else(|| ApiError::NotFound("no such customer".into()))?;
    let last_activity = repo::last_activity(db, &customer)?;
    let profile = crate::handlers::profile_view(&customer, version, last_activity, ctx.now);
    let mut body = Map::new();
    body.insert("profile".into(), profile);
    let notes: Vec<Value> = vec![
        json!({"part": "loyalty", "note": "the loyalty service has no data to read yet"}),
        json!({"part": "interactions", "note": "the interactions service has no data to read yet"}),
        json!({"part": "loans", "note": "the loan pre-approval service has no data to read yet"}),
        json!({"part": "recommendations", "note": "the recommendations service has no data to read yet"}),
    ];
    body.insert("notes".into(), Value::Array(notes));
    body.insert("generatedAt".into(), json!(ctx.now));
    json_response(StatusCode::OK, &Value::Object(body))
}
