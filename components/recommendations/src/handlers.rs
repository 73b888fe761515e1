//! HTTP ⇄ domain for recommendations: parse and check at the edge, call the engine in
//! `crm-recommend` or the repository, shape the answer (`docs/recommendations.md`).

use crate::repo::{self, NewFeedback};
use crm_domain::id::CustomerId;
use crm_domain::page::Cursor;
use crm_domain::recommendation::{
    Channel, FeedbackAction, FeedbackId, Product, ProductBody, valid_code,
};
use crm_domain::security::{Visibility, customer_field};
use crm_http::{
    ApiError, ApiResult, Ctx, QueryParams, etag, header_value, idempotency, json_response,
    new_ulid, require_if_match,
};
use crm_recommend::{DEFAULT_LIMIT, MAX_LIMIT, RecommendError, load_catalogue, load_product};
use crm_store::read::customers;
use http::{StatusCode, header};
use serde::Deserialize;
use serde_json::{Value, json};

/// Longest period `GET /stats` covers.
pub const MAX_STATS_DAYS: i64 = 366;
/// The period `GET /stats` covers when `from` is absent.
pub const DEFAULT_STATS_DAYS: i64 = 30;

fn no_customer() -> ApiError {
    ApiError::NotFound("no such customer".into())
}

/// The customer in the path; a malformed id names no customer, so it is a 404.
fn customer_param(ctx: &Ctx<'_>) -> Result<CustomerId, ApiError> {
    ctx.param("customerId")
        .and_then(|s| CustomerId::parse(s).ok())
        .ok_or_else(no_customer)
}

/// Collects every bad query parameter so that one 422 lists them all.
fn channel(raw: &str) -> Result<Channel, String> {
    Channel::parse(raw).ok_or_else(|| format!("must be one of {}", Channel::expected()))
}

/// `GET /v1/recommendations/{customerId}?limit=3&channel=&explain=`.
pub fn recommend(ctx: &Ctx<'_>) -> ApiResult {
    let mut q = QueryParams::new(ctx, &["limit", "channel", "explain"])?;
    let limit = q.parsed("limit", |raw| match raw.parse::<usize>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(format!("must be an integer from 1 to {MAX_LIMIT}")),
    })?;
    let channel = q.parsed("channel", channel)?;
    let explain = q.flag("explain")?.unwrap_or(false);
    q.check()?;
    let customer = customer_param(ctx)?;
    let answer = crm_recommend::recommend(
        ctx.db()?,
        &customer,
        ctx.now,
        channel,
        limit.unwrap_or(DEFAULT_LIMIT),
    )
    .map_err(|e| match e {
        RecommendError::CustomerNotFound => no_customer(),
        RecommendError::Store(e) => e.into(),
    })?;
    ctx.note(format!("{} offers", answer.items.len()));
    let mut answer = answer;
    let roles = ctx.identity().map_or(&[][..], |i| i.roles.as_slice());
    answer.redact(&|field| customer_field(roles, field) != Visibility::Omit);
    let mut body = serde_json::to_value(&answer).map_err(|e| ApiError::Internal(e.to_string()))?;
    if explain && let Value::Object(map) = &mut body {
        map.insert("excluded".into(), json!(answer.excluded));
    }
    json_response(StatusCode::OK, &body)
}

fn product_view(product: &Product, version: i64) -> Result<Value, ApiError> {
    let mut value = serde_json::to_value(product).map_err(|e| ApiError::Internal(e.to_string()))?;
    if let Value::Object(map) = &mut value {
        map.insert("version".into(), json!(version));
    }
    Ok(value)
}

fn product_response(status: StatusCode, product: &Product, version: i64) -> ApiResult {
    let mut response = json_response(status, &product_view(product, version)?)?;
    let headers = response.headers_mut();
    headers.insert(header::ETAG, header_value(&etag(version))?);
    if status == StatusCode::CREATED {
        headers.insert(
            header::LOCATION,
            header_value(&format!("/v1/recommendations/products/{}", product.code))?,
        );
    }
    Ok(response)
}

/// `GET /v1/recommendations/products?limit=&cursor=&category=&active=`: the catalogue by
/// code, paged.
pub fn products(ctx: &Ctx<'_>) -> ApiResult {
    use crm_domain::recommendation::Category;
    let mut q = QueryParams::new(ctx, &["limit", "cursor", "category", "active"])?;
    let limit = q.limit()?;
    let after = q.cursor(|key| valid_code(key).then(|| key.to_owned()))?;
    let category = q.one_of("category", Category::parse, Category::expected())?;
    let active = q.flag("active")?;
    let limit = q.finish(limit)?;
    let db = ctx.db()?;
    let rows = crm_store::read::recommendations::catalogue(db)?;
    let mut items = Vec::new();
    let mut next = None;
    for row in &rows {
        if after.as_deref().is_some_and(|a| row.code.as_str() <= a) {
            continue;
        }
        let product = crm_recommend::product_from_row(row)?;
        if category.is_some_and(|c| c != product.category)
            || active.is_some_and(|a| a != product.active)
        {
            continue;
        }
        if items.len() == limit.get() as usize {
            next = items
                .last()
                .and_then(|v: &Value| v["code"].as_str())
                .map(|code| Cursor::after(code).encode());
            break;
        }
        items.push(product_view(&product, row.version)?);
    }
    json_response(StatusCode::OK, &json!({"items": items, "nextCursor": next}))
}

fn code_param(ctx: &Ctx<'_>) -> Result<String, ApiError> {
    ctx.param("code")
        .filter(|c| valid_code(c))
        .map(str::to_owned)
        .ok_or_else(|| ApiError::NotFound("no such product".into()))
}

/// `GET /v1/recommendations/products/{code}`.
pub fn product(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    let code = code_param(ctx)?;
    let (product, version) = load_product(ctx.db()?, &code)?
        .ok_or_else(|| ApiError::NotFound("no such product".into()))?;
    product_response(StatusCode::OK, &product, version)
}

/// `PUT /v1/recommendations/products/{code}`: creates the product (`201`) or, with an
/// `If-Match` naming its current etag, replaces it (`200`); replacing without
/// `If-Match` is `428`, with a stale one `412`.
pub fn put_product(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    let code = ctx
        .param("code")
        .map(str::to_owned)
        .ok_or_else(|| ApiError::NotFound("no such product".into()))?;
    let body: ProductBody = ctx.json()?;
    let product = body.validate(&code).map_err(ApiError::from)?;
    let db = ctx.db()?;
    match load_product(db, &code)? {
        None if ctx.header("if-match").is_some() => Err(ApiError::PreconditionFailed(
            "the product does not exist; create it without If-Match".into(),
        )),
        None => {
            let version = repo::insert_product(db, &product, ctx.now)?.ok_or_else(|| {
                ApiError::PreconditionFailed(
                    "the product was created by another request; read it and retry with If-Match"
                        .into(),
                )
            })?;
            ctx.note(format!("product {code} created"));
            product_response(StatusCode::CREATED, &product, version)
        }
        Some((_, current)) => {
            require_if_match(ctx, current)?;
            let version =
                repo::update_product(db, &product, current, ctx.now)?.ok_or_else(|| {
                    ApiError::PreconditionFailed(
                        "the product changed while this request ran".into(),
                    )
                })?;
            ctx.note(format!("product {code} version {version}"));
            product_response(StatusCode::OK, &product, version)
        }
    }
}

/// The body of `POST /v1/recommendations/{customerId}/feedback`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FeedbackBody {
    product_code: String,
    action: FeedbackAction,
    channel: Channel,
}

/// `POST /v1/recommendations/{customerId}/feedback` with `Idempotency-Key`: records one
/// reaction to an offer (`201`). Later rankings read it.
pub fn feedback(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    let customer = customer_param(ctx)?;
    let body: FeedbackBody = ctx.json()?;
    // Checked before the key is claimed, so that a 404 or 422 is not replayed for a
    // customer or product that exists by the caller's next try.
    let db = ctx.db()?;
    match customers::customer_status(db, &customer.to_string())? {
        None | Some(crm_domain::customer::CustomerStatus::Erased) => return Err(no_customer()),
        Some(_) => {}
    }
    if !valid_code(&body.product_code) || load_product(db, &body.product_code)?.is_none() {
        return Err(ApiError::invalid(
            "productCode",
            "is not a catalogue product",
        ));
    }
    idempotency::run(ctx, |db| {
        let id = FeedbackId::new(new_ulid(ctx.now));
        let record = NewFeedback {
            id,
            customer_id: &customer,
            product_code: &body.product_code,
            action: body.action,
            channel: body.channel,
            occurred_at: ctx.now,
        };
        repo::insert_feedback(db, &record, ctx.now)?;
        ctx.note(format!("feedback {}", body.action));
        json_response(
            StatusCode::CREATED,
            &json!({
                "id": id,
                "customerId": customer,
                "productCode": body.product_code,
                "action": body.action,
                "channel": body.channel,
                "occurredAt": ctx.now,
            }),
        )
    })
}

/// `accepted / shown` to four places, `None` when nothing was shown.
pub fn acceptance_rate(accepted: i64, shown: i64) -> Option<String> {
    crm_domain::figures::rate(accepted, shown)
}

/// `GET /v1/recommendations/stats?from=&to=`: per product, feedback in `[from, to)`
/// (default: the 30 days before now; at most 366 days).
pub fn stats(ctx: &Ctx<'_>) -> ApiResult {
    let (from_value, to_value) =
        QueryParams::figures_period(ctx, DEFAULT_STATS_DAYS, MAX_STATS_DAYS)?;
    let db = ctx.db()?;
    let names: Vec<(String, String)> = load_catalogue(db)?
        .into_iter()
        .map(|p| (p.code, p.name))
        .collect();
    let items: Vec<Value> = repo::stats(db, from_value, to_value)?
        .into_iter()
        .map(|s| {
            let name = names
                .iter()
                .find(|(code, _)| *code == s.product_code)
                .map(|(_, name)| name.clone());
            json!({
                "productCode": s.product_code,
                "name": name,
                "shown": s.shown,
                "clicked": s.clicked,
                "accepted": s.accepted,
                "dismissed": s.dismissed,
                "acceptanceRate": acceptance_rate(s.accepted, s.shown),
            })
        })
        .collect();
    json_response(
        StatusCode::OK,
        &json!({"from": from_value, "to": to_value, "items": items, "generatedAt": ctx.now}),
    )
}
