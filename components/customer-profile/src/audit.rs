//! The auditor's view of the audit trail every component writes (`crm_store::audit`):
//! one customer's records, and a recomputation of the whole hash chain.

use crm_domain::id::CustomerId;
use crm_domain::page::{Cursor, Limit};
use crm_domain::time::Timestamp;
use crm_http::{ApiError, ApiResult, Ctx, FieldError, json_response};
use crm_store::audit::{self, Record};
use http::StatusCode;
use serde_json::{Value, json};

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
        "prevHash": r.prev_hash,
        "hash": r.hash,
    })
}

/// `GET /v1/customers/{id}/audit?limit=&cursor=`: the customer's audit records, newest
/// first. Records outlive an erasure: they hold ids, never personal values.
pub fn list(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&["limit", "cursor"])?;
    let id = ctx
        .param("id")
        .and_then(|s| CustomerId::parse(s).ok())
        .ok_or_else(|| ApiError::NotFound("no such customer".into()))?;
    let limit = Limit::parse(ctx.query("limit")?.as_deref())
        .map_err(|e| ApiError::Validation(vec![FieldError::new("limit", e.to_string())]))?;
    let before = match ctx.query("cursor")? {
        None => None,
        Some(token) => Some(
            Cursor::decode(&token)
                .ok()
                .and_then(|c| c.key().parse::<i64>().ok())
                .ok_or_else(|| {
                    ApiError::invalid("cursor", "is not a cursor returned by this API")
                })?,
        ),
    };
    let page = i64::from(limit.get());
    let mut records = audit::of_customer(ctx.db()?, &id.to_string(), before, page + 1)?;
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

/// `GET /v1/customers/audit/verify`: recomputes the hash chain from the first record and
/// reports the first broken link (`null` when the chain holds) and the head hash.
pub fn verify(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    let report = audit::verify(ctx.db()?)?;
    json_response(
        StatusCode::OK,
        &json!({
            "ok": report.broken.is_none(),
            "records": report.records,
            "head": report.head,
            "firstBroken": report.broken.map(|b| json!({"seq": b.seq, "reason": b.reason})),
            "verifiedAt": ctx.now,
        }),
    )
}
