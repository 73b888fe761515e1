//! The auditor's view of the audit trail every component writes (`crm_store::audit`):
//! one customer's records, the chain's head to export, a recomputation of the whole
//! keyed chain (against an exported head, to catch truncation), and sealing.

use crm_domain::id::CustomerId;
use crm_domain::page::Cursor;
use crm_domain::time::Timestamp;
use crm_http::{ApiError, ApiResult, Ctx, QueryParams, json_response};
use crm_store::audit::{self, AuditKey, Head, KEY_VARIABLE, Record};
use http::StatusCode;
use serde_json::{Value, json};

/// Most records one `POST …/audit/seals` seals.
const SEAL_MAX: i64 = 5000;

fn record_view(r: &Record) -> Value {
    json!({
        "seq": r.seq,
        "at": Timestamp::from_unix_millis(r.entry.at),
        "actor": r.entry.actor,
        "roles": r.entry.roles.split(',').filter(|s| !s.is_empty()).collect::<Vec<_>>(),
        "action": r.entry.action,
        "resource": r.entry.resource,
        "customerId": r.entry.customer_id,
        "requestId": r.entry.request_id,
        "outcome": r.entry.outcome,
        "status": r.entry.status,
        "detail": r.entry.detail,
        "mac": r.mac,
    })
}

fn head_view(head: &Option<Head>) -> Value {
    head.as_ref()
        .map_or(Value::Null, |h| json!({"seq": h.seq, "mac": h.mac}))
}

fn key(ctx: &Ctx<'_>) -> Result<AuditKey, ApiError> {
    let value = ctx.variable(KEY_VARIABLE).ok_or_else(|| {
        ApiError::Internal(format!(
            "the audit trail is not configured: {KEY_VARIABLE} is not set"
        ))
    })?;
    AuditKey::new(value.as_bytes())
        .map_err(|e| ApiError::Internal(format!("the audit trail is not configured: {e}")))
}

/// `GET /v1/customers/{id}/audit?limit=&cursor=`: the customer's audit records, newest
/// first, each with its MAC once sealed. Records outlive an erasure: they hold ids,
/// never personal values.
pub fn list(ctx: &Ctx<'_>) -> ApiResult {
    let mut q = QueryParams::new(ctx, &["limit", "cursor"])?;
    let id = ctx
        .param("id")
        .and_then(|s| CustomerId::parse(s).ok())
        .ok_or_else(|| ApiError::NotFound("no such customer".into()))?;
    let limit = q.limit()?;
    let before = q.cursor(seq)?;
    let limit = q.finish(limit)?;
    let page = i64::from(limit.get());
    let mut records = audit::of_customer(ctx.db()?, &id.to_string(), before, page + 1)?;
    page_response(&mut records, page)
}

/// `GET /v1/customers/audit/records?actor=&action=&limit=&cursor=`: the whole trail,
/// newest first (list reads with their filter and count, refusals, seals…).
pub fn records(ctx: &Ctx<'_>) -> ApiResult {
    let mut q = QueryParams::new(ctx, &["actor", "action", "limit", "cursor"])?;
    let limit = q.limit()?;
    let before = q.cursor(seq)?;
    // Longer or empty filters are refused as the contract says rather than silently
    // matching nothing.
    let actor = q.text("actor", MAX_ACTOR_CHARS)?;
    let action = q.text("action", MAX_ACTION_CHARS)?;
    let limit = q.finish(limit)?;
    let page = i64::from(limit.get());
    let mut records = audit::records(
        ctx.db()?,
        actor.as_deref(),
        action.as_deref(),
        before,
        page + 1,
    )?;
    page_response(&mut records, page)
}

/// Longest `actor` filter the contract accepts (a token `sub` is shorter).
const MAX_ACTOR_CHARS: usize = 128;
/// Longest `action` filter the contract accepts.
const MAX_ACTION_CHARS: usize = 64;

/// The `seq` a paging cursor's key names.
fn seq(key: &str) -> Option<i64> {
    key.parse().ok()
}

/// One page of records (`records` holds one more than `page` when there are more).
fn page_response(records: &mut Vec<Record>, page: i64) -> ApiResult {
    let more = records.len() as i64 > page;
    records.truncate(page as usize);
    let next = match (more, records.last()) {
        (true, Some(last)) => Some(Cursor::after(&last.seq.to_string()).encode()),
        _ => None,
    };
    let items: Vec<Value> = records.iter().map(record_view).collect();
    json_response(
        StatusCode::OK,
        &json!({ "items": items, "nextCursor": next }),
    )
}

/// `GET /v1/customers/audit/head`: the newest sealed record's place and MAC, to keep
/// outside the database and pass to `verify` later.
pub fn head(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    let head = audit::head(ctx.db()?)?;
    json_response(
        StatusCode::OK,
        &json!({"head": head_view(&head), "exportedAt": ctx.now}),
    )
}

/// The exported head named by `headSeq` and `headMac`, both or neither.
fn exported_head(ctx: &Ctx<'_>) -> Result<Option<Head>, ApiError> {
    let seq = ctx.query("headSeq")?;
    let mac = ctx.query("headMac")?;
    match (seq, mac) {
        (None, None) => Ok(None),
        (Some(seq), Some(mac)) => {
            let seq = seq
                .parse::<i64>()
                .ok()
                .filter(|s| *s > 0)
                .ok_or_else(|| ApiError::invalid("headSeq", "must be a positive integer"))?;
            if mac.len() != 64 || !mac.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(ApiError::invalid("headMac", "must be 64 hex digits"));
            }
            Ok(Some(Head {
                seq,
                mac: mac.to_ascii_lowercase(),
            }))
        }
        (Some(_), None) => Err(ApiError::invalid("headMac", "is required with headSeq")),
        (None, Some(_)) => Err(ApiError::invalid("headSeq", "is required with headMac")),
    }
}

/// `GET /v1/customers/audit/verify[?headSeq=&headMac=]`: recomputes the keyed chain from
/// the first record and reports the first failure (`null` when it holds), how many
/// records are sealed, and the head; with an exported head, also that it is still there.
pub fn verify(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&["headSeq", "headMac"])?;
    let exported = exported_head(ctx)?;
    let report = audit::verify(ctx.db()?, &key(ctx)?, exported.as_ref())?;
    json_response(
        StatusCode::OK,
        &json!({
            "ok": report.broken.is_none(),
            "records": report.records,
            "sealed": report.sealed,
            "unsealed": report.records - report.sealed,
            "head": head_view(&report.head),
            "firstBroken": report.broken.map(|b| json!({"seq": b.seq, "reason": b.reason})),
            "verifiedAt": ctx.now,
        }),
    )
}

/// `POST /v1/customers/audit/seals`: seals up to 5,000 records not yet in the chain (a
/// scheduler calls it; every write also seals a few).
pub fn seal(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    let sealed = audit::seal(ctx.db()?, &key(ctx)?, SEAL_MAX)?;
    json_response(
        StatusCode::OK,
        &json!({"sealed": sealed.records, "head": head_view(&sealed.head)}),
    )
}
