//! Tasks: `POST /v1/engagement/tasks`, `GET …/tasks?assignee=&status=&dueBefore=` (a
//! queue, earliest due first), `GET …/tasks/{id}`, `POST …/tasks/{id}/transitions`
//! (completing a contact task records the contact in the interaction log) and
//! `POST …/tasks/handover`.

use super::{Query, require_customer, staff_id, ts};
use crate::repo::alerts as alert_repo;
use crate::repo::tasks::{self as repo, Insert, Queue, TaskRow};
use crm_domain::engagement::{
    IllegalTaskMove, LinkKind, TaskDraft, TaskId, TaskLink, TaskMoveDraft, TaskStatus, TaskType,
    is_overdue,
};
use crm_domain::id::{CustomerId, InteractionId};
use crm_domain::interaction::valid_actor;
use crm_domain::page::After;
use crm_domain::{Invalid, Timestamp};
use crm_http::{
    ApiError, ApiResult, Ctx, etag, idempotency, json_response, new_ulid, require_if_match,
    with_etag,
};
use crm_store::delegated::{customers, interactions};
use crm_store::read;
use crm_store::read::customers::relationship_manager_of;
use crm_store::{Database, in_transaction};
use http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value, json};

fn not_found() -> ApiError {
    ApiError::NotFound("no such task".into())
}

fn path_id(ctx: &Ctx<'_>) -> Result<String, ApiError> {
    ctx.param("id")
        .filter(|id| TaskId::parse(id).is_ok())
        .map(str::to_owned)
        .ok_or_else(not_found)
}

fn statuses(list: &[TaskStatus]) -> Vec<&'static str> {
    list.iter().map(|s| s.as_str()).collect()
}

/// The API representation; `overdue` is judged against `now`.
pub(crate) fn task_view(t: &TaskRow, now: Timestamp) -> Value {
    json!({
        "id": t.id,
        "customerId": t.customer_id,
        "type": t.kind,
        "title": t.title,
        "link": t.link.as_ref().map(|(kind, id)| json!({"kind": kind, "id": id})),
        "assignee": t.assignee,
        "priority": t.priority,
        "status": t.status,
        "dueAt": ts(t.due_at),
        "overdue": is_overdue(t.status.is_pending(), ts(t.due_at), now),
        "note": t.note,
        "interactionId": t.interaction_id,
        "period": t.period,
        "createdBy": t.created_by,
        "allowedTransitions": statuses(t.status.allowed_next()),
        "version": t.version,
        "etag": etag(t.version),
        "createdAt": ts(t.created_at),
        "updatedAt": ts(t.updated_at),
    })
}

/// Who a task for `customer` goes to: the one named, else the customer's relationship
/// manager; 422 on `field` when neither exists.
pub(crate) fn assignee_for(
    db: &dyn Database,
    customer: &CustomerId,
    named: Option<String>,
    field: &str,
) -> Result<String, ApiError> {
    if let Some(named) = named {
        return Ok(named);
    }
    match relationship_manager_of(db, &customer.to_string())? {
        Some(Some(manager)) => Ok(manager),
        _ => Err(ApiError::invalid(
            field,
            "is required: the customer has no relationship manager",
        )),
    }
}

/// A task to create.
pub(crate) struct NewTaskRow<'a> {
    pub customer_id: &'a str,
    pub kind: &'a str,
    pub title: &'a str,
    pub link: Option<(&'a str, &'a str)>,
    pub assignee: &'a str,
    pub priority: &'a str,
    pub due_at: Timestamp,
    pub period: Option<&'a str>,
}

/// Stores a new open task and returns it as stored. Call inside the request's transaction.
pub(crate) fn store_task(
    ctx: &Ctx<'_>,
    db: &dyn Database,
    t: &NewTaskRow<'_>,
) -> Result<TaskRow, ApiError> {
    let id = TaskId::new(new_ulid(ctx.now));
    let insert = Insert {
        id,
        customer_id: t.customer_id,
        kind: t.kind,
        title: t.title,
        link: t.link,
        assignee: t.assignee,
        priority: t.priority,
        due_at: t.due_at,
        period: t.period,
        created_by: ctx.actor(),
    };
    repo::insert(db, &insert, ctx.now)?;
    repo::get(db, &id.to_string())?
        .ok_or_else(|| ApiError::Internal("a task vanished after insert".into()))
}

/// A link names an alert, complaint case or loan application of the task's own
/// customer. Campaigns have no table yet (issue 18): their code is only checked for its
/// shape.
fn check_link(db: &dyn Database, link: &TaskLink, customer: &str) -> Result<(), ApiError> {
    let (owner, what) = match link.kind {
        LinkKind::Alert => (
            alert_repo::get(db, &link.id)?.map(|a| a.customer_id),
            "alert",
        ),
        LinkKind::Complaint => (
            read::interactions::complaint_customer(db, &link.id)?,
            "complaint case",
        ),
        LinkKind::LoanApplication => (
            read::loans::application_customer(db, &link.id)?,
            "loan application",
        ),
        LinkKind::Campaign => return Ok(()),
    };
    match owner {
        Some(owner) if owner == customer => Ok(()),
        Some(_) => Err(ApiError::invalid(
            "link.id",
            format!("names a {what} of another customer"),
        )),
        None => Err(ApiError::invalid("link.id", format!("names no {what}"))),
    }
}

/// `POST /v1/engagement/tasks` with `Idempotency-Key`: a task for the customer's
/// relationship manager unless the body names an assignee. A link to an alert must name
/// an alert of the same customer.
pub fn create(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    let draft: TaskDraft = ctx.json()?;
    let new = draft.validate(ctx.now).map_err(ApiError::from)?;
    idempotency::run(ctx, |db| {
        require_customer(db, &new.customer_id)?;
        let customer = new.customer_id.to_string();
        if let Some(link) = &new.link {
            check_link(db, link, &customer)?;
        }
        let assignee = assignee_for(db, &new.customer_id, new.assignee.clone(), "assignee")?;
        let task = store_task(
            ctx,
            db,
            &NewTaskRow {
                customer_id: &customer,
                kind: new.kind.as_str(),
                title: &new.title,
                link: new.link.as_ref().map(|l| (l.kind.as_str(), l.id.as_str())),
                assignee: &assignee,
                priority: new.priority.as_str(),
                due_at: new.due_at,
                period: None,
            },
        )?;
        ctx.note(format!("task {} type {}", task.id, task.kind));
        let response = crm_http::created(
            &task_view(&task, ctx.now),
            &format!("/v1/engagement/tasks/{}", task.id),
        )?;
        with_etag(response, task.version)
    })
}

/// `GET /v1/engagement/tasks/{id}`.
pub fn get(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    let id = path_id(ctx)?;
    let task = repo::get(ctx.db()?, &id)?.ok_or_else(not_found)?;
    ctx.reach(&task.customer_id)?;
    with_etag(
        json_response(StatusCode::OK, &task_view(&task, ctx.now))?,
        task.version,
    )
}

fn illegal(e: IllegalTaskMove) -> ApiError {
    match e {
        IllegalTaskMove::Transition { from, to } => {
            let allowed = statuses(from.allowed_next());
            let mut extra = Map::new();
            extra.insert("from".into(), json!(from));
            extra.insert("to".into(), json!(to));
            extra.insert("allowed".into(), json!(allowed));
            ApiError::Conflict {
                code: "transition_not_allowed",
                detail: format!("a task that is {from} cannot become {to}"),
                extra,
            }
        }
        IllegalTaskMove::ContactRequired => ApiError::invalid(
            "contact",
            "is required to complete a contact or retention task: the contact it was",
        ),
        IllegalTaskMove::ContactNotExpected => ApiError::invalid(
            "contact",
            "is recorded only when a contact or retention task is done",
        ),
    }
}

/// `POST /v1/engagement/tasks/{id}/transitions` with `If-Match`. Completing a contact or
/// retention task records the outbound contact in the interaction log, in the same
/// transaction, as made by the caller; the task keeps the interaction's id.
pub fn transition(ctx: &Ctx<'_>) -> ApiResult {
    let id = path_id(ctx)?;
    let draft: TaskMoveDraft = ctx.json()?;
    let m = draft.validate(ctx.now).map_err(ApiError::from)?;
    if ctx.header("if-match").is_none() {
        return Err(ApiError::PreconditionRequired("If-Match"));
    }
    in_transaction(ctx.db()?, |db: &dyn Database| -> ApiResult {
        let task = repo::get(db, &id)?.ok_or_else(not_found)?;
        ctx.reach(&task.customer_id)?;
        require_if_match(ctx, task.version)?;
        let kind = TaskType::parse(&task.kind)
            .ok_or_else(|| ApiError::Internal(format!("task type `{}`", task.kind)))?;
        m.check(kind, task.status).map_err(illegal)?;
        let interaction = match &m.contact {
            None => None,
            Some(c) => {
                let customer = CustomerId::parse(&task.customer_id)
                    .map_err(|_| ApiError::Internal("a stored task names no customer".into()))?;
                require_customer(db, &customer)?;
                if !valid_actor(ctx.actor()) {
                    return Err(ApiError::invalid(
                        "contact",
                        "your token's subject cannot be recorded as the agent of a contact",
                    ));
                }
                let id = InteractionId::new(new_ulid(ctx.now)).to_string();
                interactions::record_outbound(
                    db,
                    &interactions::OutboundContact {
                        id: &id,
                        customer_id: &task.customer_id,
                        channel: c.channel.as_str(),
                        kind: c.kind.as_str(),
                        subject: &c.subject,
                        notes: c.notes.as_deref(),
                        outcome: c.outcome.as_deref(),
                        sentiment: c.sentiment.map(|s| s.as_str()),
                        agent_id: ctx.actor(),
                        occurred_at: c.occurred_at.unix_millis(),
                        recorded_at: ctx.now.unix_millis(),
                    },
                )?;
                Some(id)
            }
        };
        let moved = repo::apply(
            db,
            &task,
            m.to,
            m.note.as_deref(),
            interaction.as_deref(),
            ctx.now,
        )?;
        if moved.is_none() {
            return Err(ApiError::PreconditionFailed(
                "the task changed while this request ran".into(),
            ));
        }
        let task = repo::get(db, &id)?
            .ok_or_else(|| ApiError::Internal("a task vanished after its move".into()))?;
        ctx.note(format!("task {} → {}", task.id, task.status));
        with_etag(
            json_response(StatusCode::OK, &task_view(&task, ctx.now))?,
            task.version,
        )
    })
}

const LIST_PARAMS: &[&str] = &[
    "assignee",
    "status",
    "dueBefore",
    "customerId",
    "limit",
    "cursor",
];

/// `GET /v1/engagement/tasks?assignee=&status=&dueBefore=&customerId=&limit=&cursor=`:
/// tasks by due time, earliest first (`dueBefore` exclusive), `overdue` judged against
/// the clock now. A caller confined to a book sees only its customers' tasks.
pub fn list(ctx: &Ctx<'_>) -> ApiResult {
    let mut q = Query::new(ctx, LIST_PARAMS)?;
    let assignee = q.parsed("assignee", staff_id)?;
    let status = q.one_of("status", TaskStatus::parse, TaskStatus::expected())?;
    let due_before = q.parsed("dueBefore", Timestamp::parse)?;
    let customer = q.parsed("customerId", CustomerId::parse)?;
    let (limit, after) = q.keyset(|id| TaskId::parse(id).is_ok())?;
    let limit = q.finish(limit)?;
    let queue = Queue {
        assignee,
        status,
        due_before: due_before.map(Timestamp::unix_millis),
        customer_id: customer.map(|c| c.to_string()),
        book: ctx.book().map(str::to_owned),
        after,
        limit: limit.get(),
    };
    let (page, more) = repo::list(ctx.db()?, &queue)?;
    let next = match (more, page.last()) {
        (true, Some(last)) => Some(After::token(last.due_at, &last.id)),
        _ => None,
    };
    let items: Vec<Value> = page.iter().map(|t| task_view(t, ctx.now)).collect();
    ctx.record_list_read(items.len(), &[]);
    json_response(
        StatusCode::OK,
        &json!({ "items": items, "nextCursor": next, "asOf": ctx.now }),
    )
}

/// `POST /v1/engagement/tasks/handover` as sent.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Handover {
    from: Option<String>,
    to: Option<String>,
}

/// `POST /v1/engagement/tasks/handover` with `Idempotency-Key`: every pending task of
/// relationship manager `from` and every customer of their book move to `to`, in one
/// transaction (an RM leaves, the book is not lost).
pub fn handover(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    let body: Handover = ctx.json()?;
    let mut errors = Vec::new();
    for (field, value) in [("from", &body.from), ("to", &body.to)] {
        match value {
            None => errors.push(Invalid::new(field, "is required")),
            Some(v) if !valid_actor(v) => errors.push(Invalid::new(field, super::STAFF_ID_RULE)),
            Some(_) => {}
        }
    }
    if errors.is_empty() && body.from == body.to {
        errors.push(Invalid::new("to", "must differ from from"));
    }
    let (Some(from), Some(to)) = (body.from, body.to) else {
        return Err(ApiError::from(errors));
    };
    if !errors.is_empty() {
        return Err(ApiError::from(errors));
    }
    idempotency::run(ctx, |db| {
        let tasks = repo::hand_over(db, &from, &to, ctx.now)?;
        let customers = customers::hand_over(db, &from, &to, ctx.now.unix_millis())?;
        let moved = customers.len();
        ctx.set_audit_detail(format!(
            "from={from} to={to} tasks={tasks} customers={moved}"
        ));
        for customer in &customers {
            ctx.record_customer_touched(customer, Some(format!("from={from} to={to}")));
        }
        ctx.note(format!("handover tasks={tasks} customers={moved}"));
        json_response(
            StatusCode::OK,
            &json!({
                "from": from,
                "to": to,
                "tasksMoved": tasks,
                "customersMoved": moved,
                "at": ctx.now,
            }),
        )
    })
}
