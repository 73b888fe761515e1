//! `POST /v1/engagement/events`: a batch of account events from core banking.

use crate::repo::{alerts, events, rules};
use crm_domain::Invalid;
use crm_domain::customer::CustomerStatus;
use crm_domain::engagement::{AlertId, EventDraft, EventOutcome, MAX_BATCH, NewEvent};
use crm_http::{
    ApiError, ApiResult, Ctx, FieldError, JSON, from_json_value, idempotency, json_body,
    json_response, new_ulid,
};
use crm_store::Database;
use crm_store::read::customers::customer_status;
use http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The body cap of a batch: 500 events of a few hundred bytes each do not fit the
/// default 64 KiB, so this endpoint alone takes up to 512 KiB (Fermyon Cloud's limit is
/// 10 MB; Spin sets none).
pub const MAX_BATCH_BYTES: usize = 512 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Batch {
    events: Vec<Value>,
}

/// What the batch says about one event.
struct Answer {
    id: Option<String>,
    /// The customer of an accepted event.
    customer: Option<String>,
    outcome: EventOutcome,
    alert_id: Option<String>,
    errors: Vec<Invalid>,
}

impl Answer {
    fn refused(id: Option<String>, errors: Vec<Invalid>) -> Answer {
        Answer {
            id,
            customer: None,
            outcome: EventOutcome::Refused,
            alert_id: None,
            errors,
        }
    }

    fn view(&self, index: usize) -> Value {
        let errors: Vec<Value> = self
            .errors
            .iter()
            .map(|e| json!({"field": e.field, "message": e.message}))
            .collect();
        json!({
            "index": index,
            "id": self.id,
            "outcome": self.outcome,
            "alertId": self.alert_id,
            "errors": errors,
        })
    }
}

/// The event's id as sent, when it is a usable one (to echo it back).
fn sent_id(value: &Value) -> Option<String> {
    value
        .get("id")
        .and_then(Value::as_str)
        .filter(|id| crm_domain::engagement::valid_event_id(id))
        .map(str::to_owned)
}

/// One event: refused with its field errors, a duplicate of a stored one, or stored
/// with the alert its first matching rule raises (all in the batch's transaction).
fn one(
    ctx: &Ctx<'_>,
    db: &dyn Database,
    rules: &rules::RulesRow,
    value: Value,
) -> Result<Answer, ApiError> {
    let id = sent_id(&value);
    let draft: EventDraft = match from_json_value(value) {
        Ok(draft) => draft,
        Err(ApiError::Validation(errors)) => {
            let errors = errors
                .into_iter()
                .map(|e| Invalid::new(e.field, e.message))
                .collect();
            return Ok(Answer::refused(id, errors));
        }
        Err(e) => {
            return Ok(Answer::refused(
                id,
                vec![Invalid::new("event", e.to_string())],
            ));
        }
    };
    let event = match draft.validate(ctx.now) {
        Ok(event) => event,
        Err(errors) => return Ok(Answer::refused(id, errors)),
    };
    let customer = event.customer_id.to_string();
    match customer_status(db, &customer)? {
        None => {
            return Ok(Answer::refused(
                id,
                vec![Invalid::new("customerId", "names no customer")],
            ));
        }
        Some(CustomerStatus::Erased) => {
            return Ok(Answer::refused(
                id,
                vec![Invalid::new(
                    "customerId",
                    "names an erased customer: nothing more is recorded about them",
                )],
            ));
        }
        Some(_) => {}
    }
    if !events::insert(db, &event, rules.version, ctx.now)? {
        return duplicate(db, &event);
    }
    let alert_id = match rules.rules.evaluate(&event) {
        None => None,
        Some(m) => {
            let alert = AlertId::new(new_ulid(ctx.now));
            alerts::insert(db, alert, &customer, &event.id, rules.version, &m, ctx.now)?;
            Some(alert.to_string())
        }
    };
    Ok(Answer {
        id: Some(event.id),
        customer: Some(customer),
        outcome: EventOutcome::Accepted,
        alert_id,
        errors: Vec::new(),
    })
}

/// A known id: the same event again is a duplicate (counted once); another event
/// under a used id is refused.
fn duplicate(db: &dyn Database, event: &NewEvent) -> Result<Answer, ApiError> {
    let stored = events::get(db, &event.id)?
        .ok_or_else(|| ApiError::Internal("a conflicting event vanished".into()))?;
    if stored.same_as(event) {
        Ok(Answer {
            id: Some(event.id.clone()),
            customer: None,
            outcome: EventOutcome::Duplicate,
            alert_id: None,
            errors: Vec::new(),
        })
    } else {
        Ok(Answer::refused(
            Some(event.id.clone()),
            vec![Invalid::new(
                "id",
                "was already used for a different event (type, customer, amount or time differ)",
            )],
        ))
    }
}

/// `POST /v1/engagement/events`: up to 500 events; each answered on its own (accepted,
/// duplicate, or refused with its field errors). The accepted ones and their alerts
/// commit together in the request's one transaction; a body that is not a batch is
/// refused whole, before anything is written. `Idempotency-Key` is optional: the
/// event ids already make a resent batch harmless.
pub fn ingest(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    let batch: Batch = json_body(ctx.request, JSON, MAX_BATCH_BYTES)?;
    if batch.events.is_empty() || batch.events.len() > MAX_BATCH {
        return Err(ApiError::invalid(
            "events",
            format!("must hold 1 to {MAX_BATCH} events"),
        ));
    }
    // An event is an object; anything else means the sender is not sending events.
    let not_objects: Vec<FieldError> = batch
        .events
        .iter()
        .enumerate()
        .filter(|(_, v)| !v.is_object())
        .map(|(i, _)| FieldError::new(format!("events[{i}]"), "must be an event object"))
        .collect();
    if !not_objects.is_empty() {
        return Err(ApiError::Validation(not_objects));
    }
    let work = |db: &dyn Database| -> ApiResult {
        let rules = rules::current(db)?;
        let mut answers = Vec::with_capacity(batch.events.len());
        for value in batch.events.clone() {
            answers.push(one(ctx, db, &rules, value)?);
        }
        let count = |o: EventOutcome| answers.iter().filter(|a| a.outcome == o).count();
        let (accepted, duplicates, refused) = (
            count(EventOutcome::Accepted),
            count(EventOutcome::Duplicate),
            count(EventOutcome::Refused),
        );
        let alerts = answers.iter().filter(|a| a.alert_id.is_some()).count();
        ctx.set_audit_detail(format!(
            "accepted={accepted} duplicate={duplicates} refused={refused} alerts={alerts}"
        ));
        // Each customer whose events were stored gets a record of their own.
        let mut touched: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for a in &answers {
            if let Some(customer) = &a.customer {
                let counts = touched.entry(customer).or_default();
                counts.0 += 1;
                counts.1 += usize::from(a.alert_id.is_some());
            }
        }
        for (customer, (events, alerts)) in touched {
            ctx.record_customer_touched(customer, Some(format!("events={events} alerts={alerts}")));
        }
        ctx.note(format!("events accepted={accepted} refused={refused}"));
        let results: Vec<Value> = answers.iter().enumerate().map(|(i, a)| a.view(i)).collect();
        json_response(
            StatusCode::OK,
            &json!({
                "accepted": accepted,
                "duplicates": duplicates,
                "refused": refused,
                "alertsRaised": alerts,
                "rulesVersion": rules.version,
                "results": results,
            }),
        )
    };
    if ctx.header(idempotency::HEADER).is_some() {
        idempotency::run(ctx, work)
    } else {
        work(ctx.db()?)
    }
}
