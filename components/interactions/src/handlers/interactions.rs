//! `POST /v1/interactions`, `GET /v1/interactions/{id}`, and the customer's timeline
//! `GET /v1/interactions?customerId=…`.

use super::{Query, is_erased, require_customer, ts};
use crate::repo::complaints::{self, Opening};
use crate::repo::interactions::{self as repo, InteractionRow, Timeline};
use crm_domain::id::{ComplaintId, CustomerId};
use crm_domain::interaction::{
    Channel, InteractionDraft, InteractionId, InteractionType, case_rule,
};
use crm_domain::page::After;
use crm_domain::security::Action;
use crm_http::{ApiError, ApiResult, Ctx, idempotency, json_response, new_ulid};
use crm_store::Database;
use http::StatusCode;
use serde_json::{Value, json};

/// The API representation. Once the customer is erased, free text (subject, notes,
/// outcome) is never served again: `redacted` says so.
pub(crate) fn view(r: &InteractionRow, redacted: bool) -> Value {
    let free = |v: &Option<String>| if redacted { None } else { v.clone() };
    json!({
        "id": r.id,
        "customerId": r.customer_id,
        "channel": r.channel,
        "direction": r.direction,
        "type": r.kind,
        "subject": if redacted { None } else { Some(&r.subject) },
        "notes": free(&r.notes),
        "outcome": free(&r.outcome),
        "sentiment": r.sentiment,
        "agentId": r.agent_id,
        "occurredAt": ts(r.occurred_at),
        "recordedAt": ts(r.recorded_at),
        "confidential": r.confidential,
        "correctsId": r.corrects_id,
        "correctedBy": r.corrected_by,
        "complaintId": r.complaint_id,
        "redacted": redacted,
    })
}

fn not_found() -> ApiError {
    ApiError::NotFound("no such interaction".into())
}

/// The type of the interaction `new` corrects: it must exist and be the same customer's.
fn corrected_type(
    db: &dyn Database,
    corrects: Option<InteractionId>,
    customer: &CustomerId,
) -> Result<Option<InteractionType>, ApiError> {
    let Some(corrects) = corrects else {
        return Ok(None);
    };
    match repo::customer_and_type(db, &corrects)? {
        None => Err(ApiError::invalid("correctsId", "names no interaction")),
        Some((owner, _)) if owner != customer.to_string() => Err(ApiError::invalid(
            "correctsId",
            "names an interaction of another customer",
        )),
        Some((_, kind)) => Ok(Some(kind)),
    }
}

/// `POST /v1/interactions`: appends a contact; a complaint also opens its case, in the
/// same transaction. A replay with the same `Idempotency-Key` and body answers the
/// first `201` again (with `idempotent-replayed: true`).
pub fn create(ctx: &Ctx<'_>) -> ApiResult {
    let draft: InteractionDraft = ctx.json()?;
    let new = draft.validate(ctx.now).map_err(ApiError::from)?;
    idempotency::run(ctx, |db| {
        require_customer(db, &new.customer_id)?;
        let corrected = corrected_type(db, new.corrects_id, &new.customer_id)?;
        let terms = case_rule(&new, corrected).map_err(|e| ApiError::from(vec![e]))?;
        let id = InteractionId::new(new_ulid(ctx.now));
        let complaint_id = terms.map(|_| ComplaintId::new(new_ulid(ctx.now)));
        repo::insert(db, id, &new, complaint_id, ctx.now)?;
        if let (Some(terms), Some(complaint_id)) = (terms, complaint_id) {
            let opening = Opening {
                id: complaint_id,
                interaction_id: id,
                customer_id: new.customer_id,
                terms,
                received_at: new.occurred_at,
                actor: ctx.actor(),
            };
            complaints::open(db, &opening, ctx.now)?;
        }
        let stored = repo::get(db, &id.to_string())?
            .ok_or_else(|| ApiError::Internal("an interaction vanished after insert".into()))?;
        ctx.note(format!("interaction {id} type {}", new.kind));
        crm_http::created(&view(&stored, false), &format!("/v1/interactions/{id}"))
    })
}

/// `GET /v1/interactions/{id}`.
pub fn get(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    let id = ctx
        .param("id")
        .filter(|id| InteractionId::parse(id).is_ok())
        .ok_or_else(not_found)?;
    let db = ctx.db()?;
    let row = repo::get(db, id)?.ok_or_else(not_found)?;
    ctx.reach(&row.customer_id)?;
    // Without the right, a confidential contact does not exist for the caller.
    if row.confidential && !ctx.may(Action::InteractionConfidential) {
        return Err(not_found());
    }
    let redacted = is_erased(db, &row.customer_id)?;
    json_response(StatusCode::OK, &view(&row, redacted))
}

const TIMELINE_PARAMS: &[&str] = &[
    "customerId",
    "channel",
    "type",
    "from",
    "to",
    "limit",
    "cursor",
];

/// `GET /v1/interactions?customerId=&channel=&type=&from=&to=&limit=&cursor=`: the
/// customer's timeline, newest first (`from` inclusive, `to` exclusive).
pub fn timeline(ctx: &Ctx<'_>) -> ApiResult {
    let mut q = Query::new(ctx, TIMELINE_PARAMS)?;
    let customer = q.required("customerId", CustomerId::parse)?;
    let channel = q.one_of("channel", Channel::parse, Channel::expected())?;
    let kind = q.one_of("type", InteractionType::parse, InteractionType::expected())?;
    let (from, to) = q.period()?;
    let (limit, after) = q.keyset(|id| InteractionId::parse(id).is_ok())?;
    let (customer, limit) = q.finish(customer.zip(limit))?;
    let db = ctx.db()?;
    let redacted = match crm_store::read::customers::customer_status(db, &customer.to_string())? {
        None => return Err(ApiError::NotFound(format!("no customer {customer}"))),
        Some(status) => status == crm_domain::customer::CustomerStatus::Erased,
    };
    let query = Timeline {
        customer_id: customer.to_string(),
        channel,
        kind,
        from,
        to,
        after,
        limit: limit.get(),
    };
    let confidential = ctx.may(Action::InteractionConfidential);
    let (page, more) = repo::timeline_seen_by(db, &query, confidential)?;
    let next = match (more, page.last()) {
        (true, Some(last)) => Some(After::token(last.occurred_at, &last.id)),
        _ => None,
    };
    let items: Vec<Value> = page.iter().map(|r| view(r, redacted)).collect();
    json_response(
        StatusCode::OK,
        &json!({ "items": items, "nextCursor": next }),
    )
}
