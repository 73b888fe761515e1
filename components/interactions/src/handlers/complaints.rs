//! Complaint cases: `GET /v1/interactions/complaints` (work queues),
//! `GET /v1/interactions/complaints/{id}` (the case and its history) and
//! `POST /v1/interactions/complaints/{id}/transitions`.

use super::{Query, is_erased, ts};
use crate::repo::complaints::{self as repo, ComplaintRow, HistoryRow, Queue};
use crm_domain::id::CustomerId;
use crm_domain::interaction::{
    ComplaintId, ComplaintStatus, IllegalTransition, MAX_ACTOR, MAX_HISTORY, Severity,
    TransitionDraft, is_overdue, sla_hours,
};
use crm_domain::page::After;
use crm_domain::time::Timestamp;
use crm_http::{
    ApiError, ApiResult, Ctx, etag, idempotency, json_response, require_if_match, with_etag,
};
use crm_store::{Database, in_transaction};
use http::StatusCode;
use serde_json::{Map, Value, json};

fn not_found() -> ApiError {
    ApiError::NotFound("no such complaint".into())
}

fn path_id(ctx: &Ctx<'_>) -> Result<String, ApiError> {
    ctx.param("id")
        .filter(|id| ComplaintId::parse(id).is_ok())
        .map(str::to_owned)
        .ok_or_else(not_found)
}

fn statuses(list: &[ComplaintStatus]) -> Vec<&'static str> {
    list.iter().map(|s| s.as_str()).collect()
}

/// The case as the API serves it; `detail` adds the resolution text and the history,
/// which only the single-case read carries (lists are work queues, not case files).
fn view(c: &ComplaintRow, now: Timestamp, detail: Option<(&[HistoryRow], bool)>) -> Value {
    let status = c.state.status;
    let due = ts(c.due_at);
    let severity = Severity::parse(&c.severity);
    let sla_met = match (status, c.state.resolved_at) {
        (ComplaintStatus::Resolved | ComplaintStatus::Closed, Some(at)) => Some(at <= due),
        _ => None,
    };
    let mut v = json!({
        "id": c.id,
        "interactionId": c.interaction_id,
        "customerId": c.customer_id,
        "severity": c.severity,
        "category": c.category,
        "regulatory": c.regulatory,
        "status": status,
        "assignee": c.state.assignee,
        "openedAt": ts(c.opened_at),
        "dueAt": due,
        "slaHours": severity.map(|s| sla_hours(s, c.regulatory)),
        "overdue": is_overdue(status, due, now),
        "slaMet": sla_met,
        "resolvedAt": c.state.resolved_at,
        "closedAt": c.state.closed_at,
        "allowedTransitions": statuses(status.allowed_next()),
        "version": c.version,
        "etag": etag(c.version),
        "updatedAt": ts(c.updated_at),
    });
    if let (Some((history, redacted)), Value::Object(map)) = (detail, &mut v) {
        let free = |t: &Option<String>| if redacted { None } else { t.clone() };
        map.insert("resolution".into(), json!(free(&c.state.resolution)));
        let entries: Vec<Value> = history
            .iter()
            .map(|h| {
                json!({
                    "version": h.version,
                    "from": h.from,
                    "to": h.to,
                    "actor": h.actor,
                    "note": if redacted { None } else { Some(&h.note) },
                    "assignee": h.assignee,
                    "resolution": free(&h.resolution),
                    "at": ts(h.at),
                })
            })
            .collect();
        map.insert("history".into(), Value::Array(entries));
        map.insert("redacted".into(), json!(redacted));
    }
    v
}

fn case_response(db: &dyn Database, case: &ComplaintRow, now: Timestamp) -> ApiResult {
    let history = repo::history(db, &case.id)?;
    let redacted = is_erased(db, &case.customer_id)?;
    let body = view(case, now, Some((&history, redacted)));
    with_etag(json_response(StatusCode::OK, &body)?, case.version)
}

/// `GET /v1/interactions/complaints/{id}`: the case, its history and its `etag`.
pub fn get(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    let id = path_id(ctx)?;
    let db = ctx.db()?;
    let case = repo::get(db, &id)?.ok_or_else(not_found)?;
    ctx.reach(&case.customer_id)?;
    case_response(db, &case, ctx.now)
}

fn illegal(e: &IllegalTransition) -> ApiError {
    let allowed = statuses(e.allowed);
    let detail = if allowed.is_empty() {
        format!("a complaint that is {} cannot change any more", e.from)
    } else {
        format!(
            "a complaint that is {} cannot become {}; allowed: {}",
            e.from,
            e.to,
            allowed.join(", ")
        )
    };
    let mut extra = Map::new();
    extra.insert("from".into(), json!(e.from));
    extra.insert("to".into(), json!(e.to));
    extra.insert("allowed".into(), json!(allowed));
    ApiError::Conflict {
        code: "transition_not_allowed",
        detail,
        extra,
    }
}

/// `POST /v1/interactions/complaints/{id}/transitions` with `If-Match`: moves the case
/// and records who, when and why. `Idempotency-Key` is optional here: `If-Match`
/// already stops a retry from applying twice; with a key, the retry also gets the first
/// answer back instead of a 412.
pub fn transition(ctx: &Ctx<'_>) -> ApiResult {
    let id = path_id(ctx)?;
    let draft: TransitionDraft = ctx.json()?;
    let t = draft.validate(ctx.actor()).map_err(ApiError::from)?;
    if ctx.header("if-match").is_none() {
        return Err(ApiError::PreconditionRequired("If-Match"));
    }
    let work = |db: &dyn Database| -> ApiResult {
        let case = repo::get(db, &id)?.ok_or_else(not_found)?;
        ctx.reach(&case.customer_id)?;
        require_if_match(ctx, case.version)?;
        let next = case.state.apply(&t, ctx.now).map_err(|e| illegal(&e))?;
        if case.version >= MAX_HISTORY {
            return Err(ApiError::conflict(
                "history_full",
                format!("a case records at most {MAX_HISTORY} changes; open a new complaint"),
            ));
        }
        let Some(version) = repo::apply(db, &case, &next, &t, ctx.now)? else {
            return Err(ApiError::PreconditionFailed(
                "the complaint changed while this request ran".into(),
            ));
        };
        let moved = ComplaintRow {
            state: next,
            version,
            updated_at: ctx.now.unix_millis(),
            ..case
        };
        ctx.note(format!("complaint {} → {}", moved.id, moved.state.status));
        case_response(db, &moved, ctx.now)
    };
    if ctx.header(idempotency::HEADER).is_some() {
        idempotency::run(ctx, work)
    } else {
        in_transaction(ctx.db()?, work)
    }
}

const LIST_PARAMS: &[&str] = &[
    "status",
    "assignee",
    "customerId",
    "overdue",
    "limit",
    "cursor",
];

fn boolean(raw: &str) -> Result<bool, &'static str> {
    match raw {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err("must be true or false"),
    }
}

/// `GET /v1/interactions/complaints?status=&assignee=&customerId=&overdue=&limit=&cursor=`:
/// cases by deadline, earliest first; `overdue` is judged against the clock now.
pub fn list(ctx: &Ctx<'_>) -> ApiResult {
    let mut q = Query::new(ctx, LIST_PARAMS)?;
    let status = q.one_of(
        "status",
        ComplaintStatus::parse,
        ComplaintStatus::expected(),
    )?;
    let assignee = q.text("assignee", MAX_ACTOR)?;
    let customer = q.parsed("customerId", CustomerId::parse)?;
    let overdue = q.parsed("overdue", boolean)?;
    let (limit, after) = q.keyset(|id| ComplaintId::parse(id).is_ok())?;
    let limit = q.finish(limit)?;
    let queue = Queue {
        status,
        assignee,
        customer_id: customer.map(|c| c.to_string()),
        book: ctx.book().map(str::to_owned),
        overdue,
        after,
        limit: limit.get(),
    };
    let (page, more) = repo::list(ctx.db()?, &queue, ctx.now)?;
    let next = match (more, page.last()) {
        (true, Some(last)) => Some(After::token(last.due_at, &last.id)),
        _ => None,
    };
    let items: Vec<Value> = page.iter().map(|c| view(c, ctx.now, None)).collect();
    ctx.record_list_read(items.len(), &[]);
    json_response(
        StatusCode::OK,
        &json!({ "items": items, "nextCursor": next, "asOf": ctx.now }),
    )
}
