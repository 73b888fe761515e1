//! Alerts: `GET /v1/engagement/alerts?rmId=&status=&customerId=` (a book's alerts,
//! earliest deadline first), `GET …/alerts/{id}` and `POST …/alerts/{id}/transitions`
//! (acknowledge, dismiss with a reason, convert into a task).

use super::{Query, staff_id, ts};
use crate::handlers::tasks::{NewTaskRow, assignee_for, store_task, task_view};
use crate::repo::alerts::{self as repo, AlertRow, Move, Queue};
use crm_domain::engagement::{
    AlertDraft, AlertId, AlertStatus, IllegalAlertMove, SuggestedAction, TaskType, is_overdue,
};
use crm_domain::id::CustomerId;
use crm_domain::page::After;
use crm_http::{ApiError, ApiResult, Ctx, etag, json_response, require_if_match, with_etag};
use crm_store::{Database, in_transaction};
use http::StatusCode;
use serde_json::{Map, Value, json};

fn not_found() -> ApiError {
    ApiError::NotFound("no such alert".into())
}

fn path_id(ctx: &Ctx<'_>) -> Result<String, ApiError> {
    ctx.param("id")
        .filter(|id| AlertId::parse(id).is_ok())
        .map(str::to_owned)
        .ok_or_else(not_found)
}

fn statuses(list: &[AlertStatus]) -> Vec<&'static str> {
    list.iter().map(|s| s.as_str()).collect()
}

/// The API representation; `overdue` is judged against `now`.
pub(crate) fn view(a: &AlertRow, now: crm_domain::Timestamp) -> Value {
    let event = a.event.as_ref().map(|e| {
        json!({
            "type": e.kind,
            "amount": e.amount.as_ref().map(|(minor, currency)| {
                json!({"amount": minor, "currency": currency})
            }),
            "description": e.description,
            "occurredAt": ts(e.occurred_at),
        })
    });
    json!({
        "id": a.id,
        "customerId": a.customer_id,
        "relationshipManagerId": a.relationship_manager_id,
        "eventId": a.event_id,
        "event": event,
        "rule": a.rule,
        "rulesVersion": a.rules_version,
        "reason": a.reason,
        "suggestedAction": a.suggested_action,
        "priority": a.priority,
        "status": a.status,
        "dueAt": ts(a.due_at),
        "overdue": is_overdue(a.status == AlertStatus::Open, ts(a.due_at), now),
        "dismissReason": a.dismiss_reason,
        "taskId": a.task_id,
        "changedBy": a.changed_by,
        "allowedTransitions": statuses(a.status.allowed_next()),
        "version": a.version,
        "etag": etag(a.version),
        "createdAt": ts(a.created_at),
        "updatedAt": ts(a.updated_at),
    })
}

/// `GET /v1/engagement/alerts/{id}`.
pub fn get(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    let id = path_id(ctx)?;
    let alert = repo::get(ctx.db()?, &id)?.ok_or_else(not_found)?;
    ctx.reach(&alert.customer_id)?;
    with_etag(
        json_response(StatusCode::OK, &view(&alert, ctx.now))?,
        alert.version,
    )
}

fn illegal(e: IllegalAlertMove) -> ApiError {
    let allowed = statuses(e.from.allowed_next());
    let mut extra = Map::new();
    extra.insert("from".into(), json!(e.from));
    extra.insert("to".into(), json!(e.to));
    extra.insert("allowed".into(), json!(allowed));
    ApiError::Conflict {
        code: "transition_not_allowed",
        detail: format!("an alert that is {} cannot become {}", e.from, e.to),
        extra,
    }
}

/// The kind of task an alert's suggested action becomes.
fn task_type(action: &str) -> TaskType {
    match SuggestedAction::parse(action) {
        Some(SuggestedAction::RetentionCall) => TaskType::Retention,
        Some(SuggestedAction::ProductReview) => TaskType::Review,
        _ => TaskType::Contact,
    }
}

/// `POST /v1/engagement/alerts/{id}/transitions` with `If-Match`: acknowledge, dismiss
/// (with a reason) or convert into a task (created in the same transaction, linked to
/// the alert, for the customer's relationship manager unless the body names someone).
pub fn transition(ctx: &Ctx<'_>) -> ApiResult {
    let id = path_id(ctx)?;
    let draft: AlertDraft = ctx.json()?;
    let action = draft.validate(ctx.now).map_err(ApiError::from)?;
    if ctx.header("if-match").is_none() {
        return Err(ApiError::PreconditionRequired("If-Match"));
    }
    in_transaction(ctx.db()?, |db: &dyn Database| -> ApiResult {
        let alert = repo::get(db, &id)?.ok_or_else(not_found)?;
        ctx.reach(&alert.customer_id)?;
        require_if_match(ctx, alert.version)?;
        action.check(alert.status).map_err(illegal)?;
        let task = if action.to == AlertStatus::Converted {
            let customer = CustomerId::parse(&alert.customer_id)
                .map_err(|_| ApiError::Internal("a stored alert names no customer".into()))?;
            let assignee = assignee_for(db, &customer, action.assignee.clone(), "task.assignee")?;
            let title = action.title.clone().unwrap_or_else(|| alert.reason.clone());
            let kind = task_type(&alert.suggested_action);
            let priority = action
                .priority
                .map_or(alert.priority.clone(), |p| p.to_string());
            let due = action.due_at.unwrap_or(ts(alert.due_at));
            Some(store_task(
                ctx,
                db,
                &NewTaskRow {
                    customer_id: &alert.customer_id,
                    kind: kind.as_str(),
                    title: &title,
                    link: Some(("alert", &alert.id)),
                    assignee: &assignee,
                    priority: &priority,
                    due_at: due,
                    period: None,
                },
            )?)
        } else {
            None
        };
        let m = Move {
            to: action.to,
            dismiss_reason: action.reason.as_deref(),
            task_id: task.as_ref().map(|t| t.id.as_str()),
            actor: ctx.actor(),
        };
        if repo::apply(db, &alert, &m, ctx.now)?.is_none() {
            return Err(ApiError::PreconditionFailed(
                "the alert changed while this request ran".into(),
            ));
        }
        let moved = repo::get(db, &id)?
            .ok_or_else(|| ApiError::Internal("an alert vanished after its move".into()))?;
        ctx.note(format!("alert {} → {}", moved.id, moved.status));
        let mut body = view(&moved, ctx.now);
        if let (Some(task), Value::Object(map)) = (&task, &mut body) {
            map.insert("task".into(), task_view(task, ctx.now));
        }
        with_etag(json_response(StatusCode::OK, &body)?, moved.version)
    })
}

const LIST_PARAMS: &[&str] = &["rmId", "status", "customerId", "limit", "cursor"];

/// `GET /v1/engagement/alerts?rmId=&status=&customerId=&limit=&cursor=`: alerts by
/// deadline, earliest first, with `overdue` judged against the clock now. A caller
/// confined to a book sees only its customers' alerts.
pub fn list(ctx: &Ctx<'_>) -> ApiResult {
    let mut q = Query::new(ctx, LIST_PARAMS)?;
    let rm_id = q.parsed("rmId", staff_id)?;
    let status = q.one_of("status", AlertStatus::parse, AlertStatus::expected())?;
    let customer = q.parsed("customerId", CustomerId::parse)?;
    let (limit, after) = q.keyset(|id| AlertId::parse(id).is_ok())?;
    let limit = q.finish(limit)?;
    let queue = Queue {
        status,
        rm_id,
        book: ctx.book().map(str::to_owned),
        customer_id: customer.map(|c| c.to_string()),
        after,
        limit: limit.get(),
    };
    let (page, more) = repo::list(ctx.db()?, &queue)?;
    let next = match (more, page.last()) {
        (true, Some(last)) => Some(After::token(last.due_at, &last.id)),
        _ => None,
    };
    let items: Vec<Value> = page.iter().map(|a| view(a, ctx.now)).collect();
    ctx.record_list_read(items.len(), &[]);
    json_response(
        StatusCode::OK,
        &json!({ "items": items, "nextCursor": next, "asOf": ctx.now }),
    )
}
