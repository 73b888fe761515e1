//! The JSON the loans API answers with.

use crate::repo::{Application, PolicyRow, Transition};
use crate::service::next_states;
use crm_domain::loan::{CustomerFacts, Decision, effective_status};
use crm_domain::time::Timestamp;
use crm_http::etag;
use serde_json::{Value, json};

/// A decision with the customer standing it saw.
pub fn decision_view(decision: &Decision, customer: &CustomerFacts) -> Value {
    let mut value = serde_json::to_value(decision).unwrap_or_default();
    if let Value::Object(map) = &mut value {
        map.insert(
            "customerStanding".into(),
            serde_json::to_value(customer).unwrap_or_default(),
        );
    }
    value
}

/// One history entry.
pub fn transition_view(t: &Transition) -> Value {
    json!({
        "from": t.from,
        "to": t.to,
        "actor": t.actor,
        "note": t.note,
        "at": t.at,
    })
}

/// An application as callers see it at `now` (an offer past its expiry shows
/// `expired`), with its history when given.
pub fn application_view(
    app: &Application,
    history: Option<&[Transition]>,
    now: Timestamp,
) -> Value {
    // `None` once the customer is erased: their inputs are gone, and `redacted` says so.
    let input = app.snapshot.whole().map(|s| &s.input);
    let status = effective_status(app.status, app.offer.map(|o| o.expires_at), now);
    let mut value = json!({
        "id": app.id,
        "customerId": app.customer_id,
        "product": app.product,
        "status": status,
        "amount": app.snapshot.amount(),
        "termMonths": app.snapshot.term_months(),
        "purpose": input.map(|i| &i.purpose),
        "monthlyIncome": input.map(|i| i.monthly_income),
        "monthlyDebtPayments": input.map(|i| i.monthly_debt_payments),
        "creditScore": input.map(|i| i.credit_score),
        "employmentStatus": input.map(|i| i.employment_status),
        "employmentMonths": input.map(|i| i.employment_months),
        "redacted": input.is_none(),
        "decision": decision_view(&app.decision, app.snapshot.customer()),
        "offer": app.offer,
        "allowedTransitions": next_states(app, now),
        "createdBy": app.created_by,
        "createdAt": app.created_at,
        "updatedAt": app.updated_at,
        "etag": etag(app.version),
    });
    if let (Some(history), Value::Object(map)) = (history, &mut value) {
        map.insert(
            "history".into(),
            Value::Array(history.iter().map(transition_view).collect()),
        );
    }
    value
}

/// A policy version.
pub fn policy_view(row: &PolicyRow) -> Value {
    let mut value = serde_json::to_value(&row.policy).unwrap_or_default();
    if let Value::Object(map) = &mut value {
        map.insert("version".into(), json!(row.version));
        map.insert("actor".into(), json!(row.actor));
        map.insert("createdAt".into(), json!(row.created_at));
    }
    value
}
