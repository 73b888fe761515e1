//! The alert rules: `GET /v1/engagement/alert-rules` (the version in force),
//! `GET …/alert-rules/{version}` and `PUT …/alert-rules` with `If-Match`.

use crate::repo::rules::{self as repo, RulesRow};
use crm_domain::engagement::AlertRules;
use crm_http::{
    ApiError, ApiResult, Ctx, checked_document, document_body, json_response, require_if_match,
    with_etag,
};
use http::StatusCode;
use serde_json::{Value, json};

fn view(row: &RulesRow) -> Value {
    json!({
        "version": row.version,
        "rules": row.rules.rules,
        "actor": row.actor,
        "createdAt": row.created_at,
    })
}

fn answer(row: &RulesRow) -> ApiResult {
    with_etag(json_response(StatusCode::OK, &view(row))?, row.version)
}

/// `GET /v1/engagement/alert-rules`: the rules in force, their version as the etag.
pub fn current(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    answer(&repo::current(ctx.db()?)?)
}

/// `GET /v1/engagement/alert-rules/{version}`: an earlier version, to explain an alert.
pub fn version(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    let not_found = || ApiError::NotFound("no such alert rules version".into());
    let version = ctx
        .param("version")
        .and_then(|v| v.parse::<i64>().ok())
        .ok_or_else(not_found)?;
    answer(&repo::version(ctx.db()?, version)?.ok_or_else(not_found)?)
}

/// `PUT /v1/engagement/alert-rules` with `If-Match`: the whole document, written as a
/// new version; alerts raised earlier keep the version they name.
pub fn put(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    let db = ctx.db()?;
    let current = repo::current(db)?;
    require_if_match(ctx, current.version)?;
    let (rules, server_set) = document_body::<AlertRules>(ctx, "alert rules")?;
    let rules = checked_document(server_set, rules.validated())?;
    let version =
        repo::insert(db, current.version, &rules, ctx.actor(), ctx.now)?.ok_or_else(|| {
            ApiError::PreconditionFailed("the alert rules changed while this request ran".into())
        })?;
    ctx.note(format!("alert rules version {version}"));
    let row = repo::version(db, version)?
        .ok_or_else(|| ApiError::Internal("the written alert rules are missing".into()))?;
    answer(&row)
}
