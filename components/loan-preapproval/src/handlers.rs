//! HTTP ⇄ loan operations: parse and validate at the edge, call the service, shape the
//! answer. No business rule lives here.

use crate::repo::{self, Application, Filter};
use crate::service;
use crate::views::{Sight, application_view, decision_view, policy_view, redact};
use crm_domain::id::CustomerId;
use crm_domain::loan::{
    ApplicationRequest, ApplicationStatus, LoanApplicationId, LoanProduct, Policy,
    TransitionRequest,
};
use crm_domain::page::Cursor;
use crm_domain::security::Action;
use crm_http::{
    ApiError, ApiResult, Ctx, QueryParams, checked_document, document_body, header_value,
    idempotency, json_response, new_ulid, require_if_match, with_etag,
};
use crm_store::in_transaction;
use crm_store::read::loans::open_loan_application;
use http::{StatusCode, header};
use serde_json::{Value, json};

fn not_found() -> ApiError {
    ApiError::NotFound("no such loan application".into())
}

/// The id in the path; a malformed one names no application, so it is a 404.
fn path_id(ctx: &Ctx<'_>) -> Result<LoanApplicationId, ApiError> {
    ctx.param("id")
        .and_then(|s| LoanApplicationId::parse(s).ok())
        .ok_or_else(not_found)
}

fn application_response(
    ctx: &Ctx<'_>,
    status: StatusCode,
    app: &Application,
    history: &[repo::Transition],
) -> ApiResult {
    let mut body = application_view(app, Some(history), ctx.now)?;
    redact(&mut body, sight(ctx));
    with_etag(json_response(status, &body)?, app.version)
}

/// What of an applicant's finances the caller may see.
fn sight(ctx: &Ctx<'_>) -> Sight {
    Sight::of(ctx.identity().map_or(&[][..], |i| i.roles.as_slice()))
}

/// A customer applying through their own channel is decided on the bank's figures, not
/// on the ones they typed; staff send what they verified.
fn figures_for(ctx: &Ctx<'_>) -> service::Figures {
    if ctx.identity().is_some_and(|i| i.is_customer()) {
        service::Figures::Banks
    } else {
        service::Figures::AsSent
    }
}

/// `POST /v1/loans/quote`: the decision an application would get now, never stored.
pub fn quote(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    let request: ApplicationRequest = ctx.json()?;
    let input = request.validate().map_err(ApiError::from)?;
    let db = ctx.db()?;
    let (customer, product) = (input.customer_id, input.product);
    let (decision, snapshot) = service::quote(db, input, figures_for(ctx), ctx.now)?;
    let open = open_loan_application(
        db,
        &customer.to_string(),
        product.as_str(),
        ctx.now.unix_millis(),
    )?;
    let mut body = decision_view(&decision, &snapshot.customer)?;
    redact(&mut body, sight(ctx));
    if let Value::Object(map) = &mut body {
        map.insert("openApplicationId".into(), json!(open));
    }
    ctx.note(format!("loan quote {}", decision.status));
    json_response(StatusCode::OK, &body)
}

/// `POST /v1/loans/applications` with `Idempotency-Key`: decides and stores.
pub fn create(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    let request: ApplicationRequest = ctx.json()?;
    // The token's `sub` is who submits (four eyes compares it).
    let input = request.validate().map_err(ApiError::from)?;
    idempotency::run(ctx, |db| {
        let id = LoanApplicationId::new(new_ulid(ctx.now));
        let app = service::create(
            db,
            id,
            input,
            figures_for(ctx),
            Some(ctx.actor().to_owned()),
            ctx.now,
        )?;
        let history = repo::history(db, &app.id)?;
        ctx.note(format!(
            "loan application {} {} under policy {}",
            app.id, app.decision.status, app.decision.policy_version
        ));
        let mut response = application_response(ctx, StatusCode::CREATED, &app, &history)?;
        response.headers_mut().insert(
            header::LOCATION,
            header_value(&format!("/v1/loans/applications/{}", app.id))?,
        );
        Ok(response)
    })
}

/// `GET /v1/loans/applications/{id}`: the application, its decision and its history.
pub fn get(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    let id = path_id(ctx)?;
    let db = ctx.db()?;
    let app = repo::get(db, &id)?.ok_or_else(not_found)?;
    ctx.reach(&app.customer_id.to_string())?;
    let history = repo::history(db, &id)?;
    application_response(ctx, StatusCode::OK, &app, &history)
}

const LIST_PARAMS: &[&str] = &["customerId", "product", "status", "limit", "cursor"];

/// `GET /v1/loans/applications?customerId=&product=&status=&limit=&cursor=`, newest first.
pub fn list(ctx: &Ctx<'_>) -> ApiResult {
    let mut q = QueryParams::new(ctx, LIST_PARAMS)?;
    let limit = q.limit()?;
    let cursor = q.cursor(|key| {
        LoanApplicationId::parse(key)
            .is_ok()
            .then(|| key.to_owned())
    })?;
    let filter = Filter {
        customer_id: q.parsed("customerId", |s| {
            CustomerId::parse(s).map_err(|_| "must be a customer id (cus_…)")
        })?,
        product: q.one_of("product", LoanProduct::parse, LoanProduct::expected())?,
        status: q.one_of(
            "status",
            ApplicationStatus::parse,
            ApplicationStatus::expected(),
        )?,
        book: ctx.book().map(str::to_owned),
    };
    let limit = q.finish(limit)?;
    let after = cursor.as_deref();
    let (page, more) = repo::list(ctx.db()?, &filter, after, limit.get(), ctx.now)?;
    let next = match (more, page.last()) {
        (true, Some(last)) => Some(Cursor::after(&last.id.to_string()).encode()),
        _ => None,
    };
    let items = page
        .iter()
        .map(|app| {
            let mut view = application_view(app, None, ctx.now)?;
            redact(&mut view, sight(ctx));
            Ok(view)
        })
        .collect::<Result<Vec<Value>, ApiError>>()?;
    ctx.record_list_read(items.len(), &[]);
    json_response(
        StatusCode::OK,
        &json!({ "items": items, "nextCursor": next }),
    )
}

/// `POST /v1/loans/applications/{id}/transitions` `{to, note}` with `If-Match`;
/// an `Idempotency-Key`, when sent, makes a retry return the first answer.
pub fn transition(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    let id = path_id(ctx)?;
    let request: TransitionRequest = ctx.json()?;
    // Four eyes compares identities, not what a body claims: the actor is the token's `sub`.
    let command = request.validate(ctx.actor()).map_err(ApiError::from)?;
    if matches!(
        command.to,
        ApplicationStatus::Approved | ApplicationStatus::Declined
    ) {
        ctx.require(Action::LoanDecide)?;
    }
    let work = |db: &dyn crm_store::Database| -> ApiResult {
        if ctx.identity().is_some_and(|i| i.is_customer()) {
            let current = repo::get(db, &id)?.ok_or_else(not_found)?;
            ctx.reach(&current.customer_id.to_string())?;
        }
        let app = service::transition(db, &id, &command, |v| require_if_match(ctx, v), ctx.now)?;
        ctx.reach(&app.customer_id.to_string())?;
        let history = repo::history(db, &id)?;
        ctx.note(format!("loan application {id} moved to {}", app.status));
        application_response(ctx, StatusCode::OK, &app, &history)
    };
    if ctx.header(idempotency::HEADER).is_some() {
        idempotency::run(ctx, work)
    } else {
        in_transaction(ctx.db()?, work)
    }
}

/// `POST /v1/loans/applications/{id}/replay`: recomputes the decision from its
/// snapshot under the policy version it names; writes nothing.
pub fn replay(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    // Nothing is asked of the caller; a body, if any, must be the empty object, so a
    // client that thinks it is sending options learns that none exist.
    if !ctx.request.body().is_empty() {
        let options: serde_json::Map<String, serde_json::Value> = ctx.json()?;
        if let Some(name) = options.keys().next() {
            return Err(ApiError::invalid(
                name.as_str(),
                "a replay takes no options",
            ));
        }
    }
    let id = path_id(ctx)?;
    let db = ctx.db()?;
    let app = repo::get(db, &id)?.ok_or_else(not_found)?;
    ctx.reach(&app.customer_id.to_string())?;
    let (snapshot, recomputed, differences) = service::replay(db, &app)?;
    ctx.note(format!(
        "loan replay {id} matches={}",
        differences.is_empty()
    ));
    json_response(
        StatusCode::OK,
        &json!({
            "applicationId": app.id,
            "policyVersion": app.decision.policy_version,
            "matches": differences.is_empty(),
            "differences": differences,
            "stored": decision_view(&app.decision, &snapshot.customer)?,
            "recomputed": decision_view(&recomputed, &snapshot.customer)?,
            "snapshot": snapshot,
        }),
    )
}

/// `GET /v1/loans/policy`: the policy in force, its version as the etag.
pub fn policy(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    let row = repo::current_policy(ctx.db()?)?;
    with_etag(
        json_response(StatusCode::OK, &policy_view(&row)?)?,
        row.version,
    )
}

/// `GET /v1/loans/policy/{version}`: an earlier version, to audit a decision.
pub fn policy_version(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    let not_found = || ApiError::NotFound("no such policy version".into());
    let version = ctx
        .param("version")
        .and_then(|v| v.parse::<i64>().ok())
        .ok_or_else(not_found)?;
    let row = repo::policy_version(ctx.db()?, version)?.ok_or_else(not_found)?;
    with_etag(
        json_response(StatusCode::OK, &policy_view(&row)?)?,
        row.version,
    )
}

/// `PUT /v1/loans/policy` with `If-Match`: the whole policy (who changed it is the token's
/// subject), written as a new version; applications decided earlier keep the version
/// they name.
pub fn put_policy(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    let db = ctx.db()?;
    let current = repo::current_policy(db)?;
    require_if_match(ctx, current.version)?;
    let (policy, server_set) = document_body::<Policy>(ctx, "a policy")?;
    let policy = checked_document(server_set, policy.validated())?;
    let version = repo::insert_policy(db, current.version, &policy, ctx.actor(), ctx.now)?
        .ok_or_else(|| {
            ApiError::PreconditionFailed("the policy changed while this request ran".into())
        })?;
    ctx.note(format!("loan policy version {version}"));
    let row = repo::policy_version(db, version)?
        .ok_or_else(|| ApiError::Internal("the written policy is missing".into()))?;
    with_etag(
        json_response(StatusCode::OK, &policy_view(&row)?)?,
        row.version,
    )
}
