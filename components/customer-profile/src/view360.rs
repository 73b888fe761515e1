//! `GET /v1/customers/{id}/360`: one answer for the channel, read from every service's
//! tables in the shared store through `crm_store::read`, with no HTTP fan-out. A part
//! with nothing to show is omitted and named in `notes` with the reason, never faked.
//!
//! Each part is read by one statement, so each is consistent in itself (a loyalty
//! balance is never half a write). The parts are not read in one transaction: that
//! would cost two statements more on every view, and rule 2 of `crm_store` keeps
//! transactions for writes whose statements must commit together.

use crate::repo;
use crm_domain::customer::CustomerStatus;
use crm_domain::engagement::churn::Band;
use crm_domain::engagement::{
    AlertStatus, EventKind, Priority, SuggestedAction, TaskStatus, TaskType,
};
use crm_domain::id::CustomerId;
use crm_domain::security::{Action, Visibility, customer_field};
use crm_domain::time::Timestamp;
use crm_http::{ApiError, ApiResult, Ctx, json_response, json_value};
use crm_recommend::RecommendError;
use crm_store::Database;
use crm_store::read::{engagement, interactions, loans, loyalty};
use http::StatusCode;
use serde::Serialize;
use serde_json::{Map, Value, json};

/// How many recent contacts the view shows.
pub const RECENT_CONTACTS: i64 = 10;
/// How many open complaints the view lists (their total is always given).
pub const OPEN_COMPLAINTS: i64 = 20;
/// How many next best offers the view shows.
pub const TOP_OFFERS: usize = 3;
/// How many open alerts, pending tasks and recent account events the view lists.
pub const ENGAGEMENT_ITEMS: i64 = 5;
/// The note for a part the caller's roles may not read.
const NOT_FOR_THESE_ROLES: &str = "not shown: the caller's roles may not read it";
/// Loan application statuses that still await the customer or the bank.
const LOANS_IN_FLIGHT: &[&str] = &["pre_approved", "referred", "under_review", "approved"];

/// The 360° view.
pub fn handle(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    let id = ctx
        .param("id")
        .and_then(|s| CustomerId::parse(s).ok())
        .ok_or_else(|| ApiError::NotFound("no such customer".into()))?;
    let db = ctx.db()?;
    let body = view(ctx, db, &id)?.ok_or_else(|| ApiError::NotFound("no such customer".into()))?;
    json_response(StatusCode::OK, &body)
}

/// The view of customer `id` as the caller may see it, or `None` when there is no such
/// customer (or only an erased shell). Profile fields follow the caller's field
/// visibility; confidential contacts are left out unless the caller has that right.
pub fn view(ctx: &Ctx<'_>, db: &dyn Database, id: &CustomerId) -> Result<Option<Value>, ApiError> {
    let now = ctx.now;
    let Some((customer, version)) = repo::get(db, id)? else {
        return Ok(None);
    };
    if customer.status == CustomerStatus::Erased {
        return Ok(None);
    }
    let key = id.to_string();
    let last_activity = repo::last_activity(db, &customer)?;
    let mut body = Map::new();
    let mut notes = Vec::new();
    body.insert(
        "profile".into(),
        crate::handlers::profile_view(ctx, &customer, version, last_activity)?,
    );

    match loyalty::loyalty_standing(db, &key, now.unix_millis())? {
        Some(s) => {
            body.insert(
                "loyalty".into(),
                json!({
                    "balance": s.spendable,
                    "tier": s.tier,
                    "tierEvaluatedAt": Timestamp::from_unix_millis(s.tier_evaluated_at),
                    "lifetimeEarned": s.lifetime_earned,
                    "lastEntryAt": Timestamp::from_unix_millis(s.last_activity_at),
                }),
            );
        }
        None => notes.push(note("loyalty", "the customer has no loyalty entries yet")),
    }

    let confidential = ctx.may(Action::InteractionConfidential);
    let contacts = interactions::recent_contacts(db, &key, RECENT_CONTACTS, confidential)?;
    // The view shows no negative-sentiment count, so its window starts now: an empty
    // index range instead of a count over the customer's whole history.
    let signals = interactions::contact_signals(db, &key, now.unix_millis(), now.unix_millis())?;
    let complaints = interactions::open_complaints(db, &key, now.unix_millis(), OPEN_COMPLAINTS)?;
    body.insert(
        "interactions".into(),
        json!({
            "recent": contacts.iter().map(contact_view).collect::<Vec<_>>(),
            "lastContactAt": signals.last_contact_at.map(Timestamp::from_unix_millis),
            "lastInboundContactAt":
                signals.last_inbound_contact_at.map(Timestamp::from_unix_millis),
        }),
    );
    if contacts.is_empty() {
        notes.push(note(
            "interactions",
            "no contact with the customer is recorded",
        ));
    }
    body.insert(
        "complaints".into(),
        json!({
            "open": signals.open_complaints,
            "overdue": signals.overdue_complaints,
            "items": complaints.iter().map(complaint_view).collect::<Vec<_>>(),
        }),
    );

    let applications =
        loans::loan_applications_of(db, &key, now.unix_millis(), loans::MAX_SIGNALS)?;
    let in_flight: Vec<Value> = applications
        .iter()
        .filter(|a| LOANS_IN_FLIGHT.contains(&a.status.as_str()))
        .map(loan_view)
        .collect();
    body.insert("loansInFlight".into(), Value::Array(in_flight));

    // The same engine and signals as `GET /v1/recommendations/{id}`, for a session the
    // channel's own staff or app started (no marketing consent needed to show it).
    match crm_recommend::recommend(db, id, now, None, TOP_OFFERS) {
        Ok(mut offers) => {
            // Explanations quote the profile: they follow the caller's field visibility.
            let roles = ctx.identity().map_or(&[][..], |i| i.roles.as_slice());
            offers.redact(&|field| customer_field(roles, field) != Visibility::Omit);
            if offers.items.is_empty() {
                notes.push(note("recommendations", "no product passes the filters"));
            }
            body.insert(
                "recommendations".into(),
                json!({"items": offers.items, "modelVersion": offers.model_version}),
            );
        }
        Err(RecommendError::CustomerNotFound) => return Ok(None),
        Err(RecommendError::Store(e)) => return Err(e.into()),
    }
    body.insert(
        "engagement".into(),
        engagement_part(ctx, db, &key, &mut notes)?,
    );
    body.insert("notes".into(), Value::Array(notes));
    body.insert("generatedAt".into(), json!(now));
    Ok(Some(Value::Object(body)))
}

/// What the engagement service holds on the customer, each piece only for a caller whose
/// roles may read it in that service itself: the 360 view is open to tellers and
/// underwriters, who may not read alerts or churn scores there.
fn engagement_part(
    ctx: &Ctx<'_>,
    db: &dyn Database,
    key: &str,
    notes: &mut Vec<Value>,
) -> Result<Value, ApiError> {
    let now = ctx.now.unix_millis();
    let churn = if ctx.may(Action::EngagementChurnRead) {
        let churn = engagement::churn_standing(db, key)?;
        if churn.is_none() {
            notes.push(note(
                "engagement.churn",
                "no churn run has scored the customer yet",
            ));
        }
        churn
    } else {
        notes.push(note("engagement.churn", NOT_FOR_THESE_ROLES));
        None
    };
    let (alerts, events) = if ctx.may(Action::EngagementAlertRead) {
        (
            Some(engagement::open_alerts(db, key, now, ENGAGEMENT_ITEMS)?),
            Some(engagement::latest_events(db, key, ENGAGEMENT_ITEMS)?),
        )
    } else {
        notes.push(note("engagement.openAlerts", NOT_FOR_THESE_ROLES));
        notes.push(note("engagement.recentEvents", NOT_FOR_THESE_ROLES));
        (None, None)
    };
    let tasks = if ctx.may(Action::EngagementTaskRead) {
        Some(engagement::pending_tasks(db, key, now, ENGAGEMENT_ITEMS)?)
    } else {
        notes.push(note("engagement.pendingTasks", NOT_FOR_THESE_ROLES));
        None
    };
    let part = EngagementPart {
        churn: churn.as_ref().map(|c| ChurnView {
            score: c.score,
            band: c.band,
            as_of: Timestamp::from_unix_millis(c.as_of),
        }),
        open_alerts: alerts
            .as_ref()
            .map(|a| a.iter().map(AlertView::from).collect()),
        recent_events: events
            .as_ref()
            .map(|e| e.iter().map(EventView::from).collect()),
        pending_tasks: tasks
            .as_ref()
            .map(|t| t.iter().map(TaskView::from).collect()),
    };
    json_value(&part)
}

/// The `engagement` part; a piece is `None` when the caller may not see it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EngagementPart<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    churn: Option<ChurnView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    open_alerts: Option<Vec<AlertView<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recent_events: Option<Vec<EventView<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pending_tasks: Option<Vec<TaskView<'a>>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ChurnView {
    score: i64,
    band: Band,
    as_of: Timestamp,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AlertView<'a> {
    id: &'a str,
    rule: &'a str,
    reason: &'a str,
    suggested_action: SuggestedAction,
    priority: Priority,
    status: AlertStatus,
    due_at: Timestamp,
    overdue: bool,
}

impl<'a> From<&'a engagement::OpenAlert> for AlertView<'a> {
    fn from(a: &'a engagement::OpenAlert) -> Self {
        AlertView {
            id: &a.id,
            rule: &a.rule,
            reason: &a.reason,
            suggested_action: a.suggested_action,
            priority: a.priority,
            status: a.status,
            due_at: Timestamp::from_unix_millis(a.due_at),
            overdue: a.overdue,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EventView<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: EventKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    amount: Option<MoneyView<'a>>,
    occurred_at: Timestamp,
}

#[derive(Serialize)]
struct MoneyView<'a> {
    amount: i64,
    currency: &'a str,
}

impl<'a> From<&'a engagement::EventSummary> for EventView<'a> {
    fn from(e: &'a engagement::EventSummary) -> Self {
        EventView {
            id: &e.id,
            kind: e.kind,
            amount: e.amount.as_ref().map(|(amount, currency)| MoneyView {
                amount: *amount,
                currency,
            }),
            occurred_at: Timestamp::from_unix_millis(e.occurred_at),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TaskView<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: TaskType,
    title: &'a str,
    assignee: &'a str,
    priority: Priority,
    status: TaskStatus,
    due_at: Timestamp,
    overdue: bool,
}

impl<'a> From<&'a engagement::PendingTask> for TaskView<'a> {
    fn from(t: &'a engagement::PendingTask) -> Self {
        TaskView {
            id: &t.id,
            kind: t.kind,
            title: &t.title,
            assignee: &t.assignee,
            priority: t.priority,
            status: t.status,
            due_at: Timestamp::from_unix_millis(t.due_at),
            overdue: t.overdue,
        }
    }
}

fn note(part: &str, note: &str) -> Value {
    json!({"part": part, "note": note})
}

fn contact_view(c: &interactions::ContactSummary) -> Value {
    let mut v = json!({
        "id": c.id,
        "occurredAt": Timestamp::from_unix_millis(c.occurred_at),
        "channel": c.channel,
        "direction": c.direction,
        "type": c.kind,
        "agentId": c.agent_id,
        "confidential": c.confidential,
    });
    let fields = [
        ("subject", &c.subject),
        ("sentiment", &c.sentiment),
        ("correctsId", &c.corrects_id),
        ("complaintId", &c.complaint_id),
    ];
    for (name, value) in fields {
        if let (Some(value), Some(map)) = (value, v.as_object_mut()) {
            map.insert(name.into(), json!(value));
        }
    }
    v
}

fn complaint_view(c: &interactions::OpenComplaint) -> Value {
    json!({
        "id": c.id,
        "severity": c.severity,
        "category": c.category,
        "status": c.status,
        "openedAt": Timestamp::from_unix_millis(c.opened_at),
        "dueAt": Timestamp::from_unix_millis(c.due_at),
        "overdue": c.overdue,
    })
}

fn loan_view(a: &loans::LoanApplicationSignal) -> Value {
    json!({
        "id": a.id,
        "product": a.product,
        "status": a.status,
        "amount": {"amount": a.amount_minor, "currency": a.currency},
        "createdAt": Timestamp::from_unix_millis(a.created_at),
        "updatedAt": Timestamp::from_unix_millis(a.updated_at),
    })
}
