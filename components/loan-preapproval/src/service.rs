//! The loan operations over a database and an explicit clock, so that the handlers stay
//! thin and tests can move time (offer expiry) without waiting.

use crate::repo::{self, Application, InsertError, Transition};
use crm_domain::customer::{CustomerStatus, KycStatus};
use crm_domain::id::CustomerId;
use crm_domain::loan::{
    ApplicationInput, ApplicationStatus, CustomerFacts, Decision, LoanApplicationId, Offer,
    Refusal, Snapshot, StoredSnapshot, TransitionCommand, allowed_now, check_currency,
    check_transition, decide, offer_expiry,
};
use crm_domain::time::Timestamp;
use crm_http::ApiError;
use crm_store::Database;
use crm_store::read::customers::{customer_snapshot, offer_facts};
use crm_store::read::loans::open_loan_application;
use serde_json::{Map, Value, json};

/// Where an application's score and income come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figures {
    /// As sent: staff enter what they verified with the customer.
    AsSent,
    /// The customer applies through their own channel: the bank's own score and income
    /// from the profile replace what the body says; without them the figures stay the
    /// applicant's word and the application is referred to a person.
    Banks,
}

/// `input` with the score and income the decision must use for a caller of `figures`,
/// and whether they are only self-declared.
pub fn decision_figures(
    db: &dyn Database,
    mut input: ApplicationInput,
    figures: Figures,
) -> Result<(ApplicationInput, bool), ApiError> {
    if figures == Figures::AsSent {
        return Ok((input, false));
    }
    let facts = offer_facts(db, &input.customer_id.to_string())?.unwrap_or_default();
    let income = facts
        .monthly_income_minor
        .filter(|_| facts.income_currency.as_deref() == Some(input.monthly_income.currency.code()));
    match (facts.credit_score, income) {
        (Some(score), Some(income)) => {
            input.credit_score = score;
            input.monthly_income.minor_units = income;
            Ok((input, false))
        }
        _ => Ok((input, true)),
    }
}

/// The customer's standing from the customer-profile read model; 422 when unknown.
pub fn customer_facts(
    db: &dyn Database,
    id: &CustomerId,
    self_declared: bool,
) -> Result<CustomerFacts, ApiError> {
    let snapshot = customer_snapshot(db, &id.to_string())?
        .ok_or_else(|| ApiError::invalid("customerId", "names no customer"))?;
    let status = CustomerStatus::parse(&snapshot.status)
        .ok_or_else(|| ApiError::Internal(format!("customer status `{}`", snapshot.status)))?;
    let kyc_status = KycStatus::parse(&snapshot.kyc_status).ok_or_else(|| {
        ApiError::Internal(format!("customer kyc status `{}`", snapshot.kyc_status))
    })?;
    Ok(CustomerFacts {
        status,
        kyc_status,
        self_declared,
    })
}

/// The decision `input` would get now under the policy in force, and the snapshot it
/// was made from.
pub fn quote(
    db: &dyn Database,
    input: ApplicationInput,
    figures: Figures,
    now: Timestamp,
) -> Result<(Decision, Snapshot), ApiError> {
    let (input, self_declared) = decision_figures(db, input, figures)?;
    let customer = customer_facts(db, &input.customer_id, self_declared)?;
    let policy = repo::current_policy(db)?;
    check_currency(&policy.policy, &input).map_err(ApiError::from)?;
    let snapshot = Snapshot {
        input,
        customer,
        decided_at: now,
    };
    Ok((decide(&policy.policy, policy.version, &snapshot), snapshot))
}

fn open_conflict(existing: &str, product: &str) -> ApiError {
    let mut extra = Map::new();
    extra.insert("existingId".into(), Value::String(existing.to_owned()));
    ApiError::Conflict {
        code: "open_application_exists",
        detail: format!(
            "the customer already has an open {product} application ({existing}); \
             it must be answered, withdrawn or expire first"
        ),
        extra,
    }
}

/// Decides and stores a new application. Runs inside the caller's transaction (the
/// idempotency record's), so the application, its first history entry and the expiry
/// of lapsed offers commit together or not at all.
pub fn create(
    db: &dyn Database,
    id: LoanApplicationId,
    input: ApplicationInput,
    figures: Figures,
    created_by: Option<String>,
    now: Timestamp,
) -> Result<Application, ApiError> {
    let customer_id = input.customer_id;
    let product = input.product;
    let (decision, snapshot) = quote(db, input, figures, now)?;
    repo::expire_lapsed(db, &customer_id, product, now)?;
    let open = open_loan_application(
        db,
        &customer_id.to_string(),
        product.as_str(),
        now.unix_millis(),
    )?;
    if let Some(existing) = open {
        return Err(open_conflict(&existing, product.as_str()));
    }
    let status = ApplicationStatus::from(decision.status);
    let app = Application {
        id,
        customer_id,
        product,
        status,
        snapshot: StoredSnapshot::Whole(snapshot),
        offer: decision.offer,
        decision,
        created_by: created_by.clone(),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let first = Transition {
        from: None,
        to: status,
        actor: created_by,
        note: Some(format!(
            "automated decision under credit policy version {}",
            app.decision.policy_version
        )),
        at: now,
    };
    match repo::insert_application(db, &app, &first) {
        Ok(()) => Ok(app),
        // The constraint is the backstop for a writer that got past the check above.
        Err(InsertError::OpenApplicationExists) => Err(ApiError::conflict(
            "open_application_exists",
            format!("the customer already has an open {product} application"),
        )),
        Err(InsertError::Store(e)) => Err(e.into()),
    }
}

fn not_found() -> ApiError {
    ApiError::NotFound("no such loan application".into())
}

fn refusal(r: Refusal) -> ApiError {
    match r {
        Refusal::NotAllowed { from, to, allowed } => {
            let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
            let mut extra = Map::new();
            extra.insert("currentStatus".into(), json!(from.as_str()));
            extra.insert("allowed".into(), json!(names));
            let detail = if names.is_empty() {
                format!("an application in {from} is final; it cannot move to {to}")
            } else {
                format!(
                    "an application in {from} cannot move to {to}; allowed: {}",
                    names.join(", ")
                )
            };
            ApiError::Conflict {
                code: "transition_not_allowed",
                detail,
                extra,
            }
        }
        Refusal::OfferExpired { expires_at } => {
            let mut extra = Map::new();
            extra.insert("expiresAt".into(), json!(expires_at));
            ApiError::Conflict {
                code: "offer_expired",
                detail: "the offer has expired; it can only be marked expired".into(),
                extra,
            }
        }
        Refusal::OfferNotExpired { expires_at } => {
            let mut extra = Map::new();
            extra.insert("expiresAt".into(), json!(expires_at));
            ApiError::Conflict {
                code: "offer_not_expired",
                detail: "the offer is still open; it expires at expiresAt".into(),
                extra,
            }
        }
        Refusal::FourEyes => ApiError::conflict(
            "four_eyes_required",
            "the underwriter who approves a referred application may not be the one who created it",
        ),
    }
}

/// Moves application `id` as `command` says. `precondition` checks the caller's
/// If-Match against the stored version. Runs inside the caller's transaction: the
/// status change and its history entry commit together.
pub fn transition(
    db: &dyn Database,
    id: &LoanApplicationId,
    command: &TransitionCommand,
    precondition: impl FnOnce(i64) -> Result<(), ApiError>,
    now: Timestamp,
) -> Result<Application, ApiError> {
    let app = repo::get(db, id)?.ok_or_else(not_found)?;
    precondition(app.version)?;
    let expires_at = app.offer.map(|o| o.expires_at);
    check_transition(
        app.status,
        command.to,
        expires_at,
        app.created_by.as_deref(),
        &command.actor,
        now,
    )
    .map_err(refusal)?;
    let offer = match command.to {
        ApplicationStatus::Approved => Some(approval_offer(db, &app, now)?),
        _ => app.offer,
    };
    let version = repo::update_status(db, id, app.version, command.to, offer.as_ref(), now)?
        .ok_or_else(|| {
            ApiError::PreconditionFailed("the application changed while this request ran".into())
        })?;
    repo::insert_transition(
        db,
        id,
        &Transition {
            from: Some(app.status),
            to: command.to,
            actor: Some(command.actor.clone()),
            note: command.note.clone(),
            at: now,
        },
        now,
    )?;
    Ok(Application {
        status: command.to,
        offer,
        version,
        updated_at: now,
        ..app
    })
}

/// The offer an underwriter's approval makes: the priced terms of the decision, valid
/// from the approval for as long as the decision's policy version says.
fn approval_offer(db: &dyn Database, app: &Application, now: Timestamp) -> Result<Offer, ApiError> {
    let terms = app.decision.terms.ok_or_else(|| {
        ApiError::conflict(
            "no_terms",
            "the decision priced no terms, so there is nothing to approve",
        )
    })?;
    let policy = repo::policy_version(db, app.decision.policy_version)?.ok_or_else(|| {
        ApiError::Internal(format!(
            "policy version {} is missing",
            app.decision.policy_version
        ))
    })?;
    Ok(Offer::new(&terms, offer_expiry(&policy.policy, now)))
}

/// The application's decision recomputed from its snapshot under the policy version it
/// names, and the parts that differ; `409 customer_erased` once the customer's erasure
/// took the inputs away.
pub fn replay<'a>(
    db: &dyn Database,
    app: &'a Application,
) -> Result<(&'a Snapshot, Decision, Vec<&'static str>), ApiError> {
    let snapshot = app.snapshot.whole().ok_or_else(|| {
        ApiError::conflict(
            "customer_erased",
            "the customer was erased and with them the inputs of this decision; it can no longer be replayed",
        )
    })?;
    let version = app.decision.policy_version;
    let policy = repo::policy_version(db, version)?
        .ok_or_else(|| ApiError::Internal(format!("policy version {version} is missing")))?;
    let recomputed = decide(&policy.policy, version, snapshot);
    let differences = crm_domain::loan::differences(&app.decision, &recomputed);
    Ok((snapshot, recomputed, differences))
}

/// What `from` may move to now, for the application view.
pub fn next_states(app: &Application, now: Timestamp) -> Vec<ApplicationStatus> {
    allowed_now(app.status, app.offer.map(|o| o.expires_at), now)
}
