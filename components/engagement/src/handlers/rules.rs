//! The alert rules: `GET /v1/engagement/alert-rules` (the version in force),
//! `GET …/alert-rules/{version}` and `PUT …/alert-rules` with `If-Match`.

use crate::repo::rules::{self as repo, RulesRow};
use crm_domain::Invalid;
use crm_domain::engagement::AlertRules;
use crm_http::{
    ApiError, ApiResult, Ctx, from_json_value, json_response, require_if_match, with_etag,
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

/// Members of the view the server sets; a PUT naming them is refused.
const READ_ONLY: &[&str] = &["version", "createdAt", "actor"];

/// `PUT /v1/engagement/alert-rules` with `If-Match`: the whole document, written as a
/// new version; alerts raised earlier keep the version they name.
pub fn put(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    let db = ctx.db()?;
    let current = repo::current(db)?;
    require_if_match(ctx, current.version)?;
    let body: Value = ctx.json()?;
    let Value::Object(mut members) = body else {
        return Err(ApiError::invalid(
            "body",
            "alert rules must be a JSON object",
        ));
    };
    let mut errors: Vec<Invalid> = READ_ONLY
        .iter()
        .filter(|f| members.contains_key(**f))
        .map(|f| Invalid::new(*f, "is set by the server and cannot be written"))
        .collect();
    for f in READ_ONLY {
        members.remove(*f);
    }
    let rules: AlertRules = from_json_value(Value::Object(members))?;
    let rules = match rules.validated() {
        Ok(rules) if errors.is_empty() => rules,
        Ok(_) => return Err(ApiError::from(errors)),
        Err(more) => {
            errors.extend(more);
            return Err(ApiError::from(errors));
        }
    };
    let version =
        repo::insert(db, current.version, &rules, ctx.actor(), ctx.now)?.ok_or_else(|| {
            ApiError::PreconditionFailed("the alert rules changed while this request ran".into())
        })?;
    ctx.note(format!("alert rules version {version}"));
    let row = repo::version(db, version)?
        .ok_or_else(|| ApiError::Internal("the written alert rules are missing".into()))?;
    answer(&row)
}
