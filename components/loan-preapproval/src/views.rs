//! The JSON the loans API answers with.

use crate::repo::{Application, PolicyRow, Transition};
use crate::service::next_states;
use crm_domain::loan::{CustomerFacts, Decision, effective_status};
use crm_domain::security::{Role, Visibility, customer_field};
use crm_domain::time::Timestamp;
use crm_http::{ApiError, etag, json_value};
use serde_json::{Value, json};

/// A decision with the customer standing it saw.
pub fn decision_view(decision: &Decision, customer: &CustomerFacts) -> Result<Value, ApiError> {
    let mut value = json_value(decision)?;
    if let Value::Object(map) = &mut value {
        map.insert("customerStanding".into(), json_value(customer)?);
    }
    Ok(value)
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
) -> Result<Value, ApiError> {
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
        "decision": decision_view(&app.decision, app.snapshot.customer())?,
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
    Ok(value)
}

/// What of the applicant's finances a caller may see: the customer-profile visibility of
/// `monthlyIncome` and `creditScore` for their roles (`docs/security.md`), so a loan view
/// never shows a teller what the customer record hides from them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sight {
    /// Income, debts and what is computed from them (debt-to-income).
    pub income: bool,
    /// The credit score and what names it.
    pub score: bool,
}

impl Sight {
    /// The sight of a caller with `roles`.
    pub fn of(roles: &[Role]) -> Sight {
        let sees = |field| customer_field(roles, field) != Visibility::Omit;
        Sight {
            income: sees("monthlyIncome"),
            score: sees("creditScore"),
        }
    }
}

/// Reasons whose message quotes the applicant's income or debts, and their score.
const INCOME_REASONS: &[&str] = &["dti_above_max", "dti_near_max", "unemployed_without_income"];
const SCORE_REASONS: &[&str] = &["score_below_min", "score_near_min"];

/// Cuts an application or decision view (`application_view`, `decision_view`, a quote)
/// down to `sight`: hidden figures are left out and the reasons that quote them keep
/// their code and effect with a message that names no figure.
pub fn redact(value: &mut Value, sight: Sight) {
    let Value::Object(map) = value else {
        return;
    };
    if !sight.income {
        map.remove("monthlyIncome");
        map.remove("monthlyDebtPayments");
    }
    if !sight.score {
        map.remove("creditScore");
    }
    if map.contains_key("decision") {
        if let Some(decision) = map.get_mut("decision") {
            redact(decision, sight);
        }
        return;
    }
    if !sight.income {
        map.remove("dtiBps");
        if let Some(Value::Object(counter)) = map.get_mut("counterOffer") {
            counter.remove("dtiBps");
        }
    }
    if let Some(Value::Array(reasons)) = map.get_mut("reasons") {
        for reason in reasons {
            let code = reason["code"].as_str().unwrap_or_default();
            let hidden = (!sight.income && INCOME_REASONS.contains(&code))
                || (!sight.score && SCORE_REASONS.contains(&code));
            if hidden && let Some(message) = reason.get_mut("message") {
                *message = Value::String(
                    "a rule on figures your role does not see; an underwriter can explain it"
                        .into(),
                );
            }
        }
    }
}

/// A policy version.
pub fn policy_view(row: &PolicyRow) -> Result<Value, ApiError> {
    let mut value = json_value(&row.policy)?;
    if let Value::Object(map) = &mut value {
        map.insert("version".into(), json!(row.version));
        map.insert("actor".into(), json!(row.actor));
        map.insert("createdAt".into(), json!(row.created_at));
    }
    Ok(value)
}
