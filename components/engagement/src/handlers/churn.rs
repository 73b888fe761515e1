//! Churn early warning: `GET /v1/engagement/churn/{customerId}` (the score now, or as of
//! `asOf`, every reason explained), `GET /v1/engagement/churn?rmId=&minScore=&limit=`
//! (a book's at-risk list from the latest run) and `POST /v1/engagement/churn/runs`
//! (score a page of customers as of `asOf`, one retention task per customer at risk and
//! period).

use super::{Query, require_customer, staff_id, ts};
use crate::repo::churn::{self as repo, Retention};
use crm_domain::engagement::churn::{AT_RISK_SCORE, ChurnScore, period, score};
use crm_domain::engagement::{Priority, TaskId};
use crm_domain::id::CustomerId;
use crm_domain::page::Cursor;
use crm_domain::{Invalid, Timestamp};
use crm_http::{ApiError, ApiResult, Ctx, idempotency, json_response, new_ulid};
use crm_store::Database;
use http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

/// How far ahead of the clock `asOf` may be (clock skew between the scheduler and us).
const FUTURE_SKEW_MS: i64 = 5 * 60 * 1000;
/// Days a run's retention task is due after `asOf`.
const RETENTION_DUE_DAYS: i64 = 7;
/// Customers a run scores per request by default, and at most: one page stays well
/// inside a request's time on Spin and Fermyon Cloud (30 s).
const RUN_PAGE: u32 = 200;
const MAX_RUN_PAGE: u32 = 500;

fn as_of(raw: &str, now: Timestamp) -> Result<Timestamp, String> {
    let at = Timestamp::parse(raw).map_err(|e| e.to_string())?;
    if at > now.plus_millis(FUTURE_SKEW_MS) {
        return Err("must not be in the future".into());
    }
    Ok(at)
}

fn view(customer_id: &str, at: Timestamp, s: &ChurnScore) -> Value {
    json!({
        "customerId": customer_id,
        "asOf": at,
        "score": s.score,
        "band": s.band,
        "atRisk": s.score >= AT_RISK_SCORE,
        "rulesVersion": s.rules_version,
        "reasons": s.reasons,
    })
}

/// `GET /v1/engagement/churn/{customerId}?asOf=`: the score computed now from the
/// customer's data (as of `asOf`, default the request's clock), every reason with its
/// points and value.
pub fn get(ctx: &Ctx<'_>) -> ApiResult {
    let mut q = Query::new(ctx, &["asOf"])?;
    let at = q.parsed("asOf", |raw| as_of(raw, ctx.now))?;
    let at = q.finish(Some(at))?.unwrap_or(ctx.now);
    let customer = ctx
        .param("customerId")
        .and_then(|c| CustomerId::parse(c).ok())
        .ok_or_else(|| ApiError::NotFound("no such customer".into()))?;
    let db = ctx.db()?;
    require_customer(db, &customer).map_err(|e| match e {
        ApiError::Conflict { .. } => ApiError::NotFound(format!("no customer {customer}")),
        other => other,
    })?;
    let id = customer.to_string();
    let rules = repo::tier_rules(db)?;
    let facts = repo::facts(db, &rules, &id, at.unix_millis())?;
    json_response(StatusCode::OK, &view(&id, at, &score(&facts)))
}

fn min_score(raw: &str) -> Result<i64, &'static str> {
    match raw.parse::<i64>() {
        Ok(n) if (0..=100).contains(&n) => Ok(n),
        _ => Err("must be an integer from 0 to 100"),
    }
}

/// `GET /v1/engagement/churn?rmId=&minScore=&limit=`: the customers (of `rmId`'s book
/// when given; a caller holding only `relationship_manager` sees their own book only)
/// whose latest run scored at least `minScore` (default 60), highest first.
pub fn list(ctx: &Ctx<'_>) -> ApiResult {
    let mut q = Query::new(ctx, &["rmId", "minScore", "limit"])?;
    let rm = q.parsed("rmId", staff_id)?;
    let min = q.parsed("minScore", min_score)?;
    let limit = q.limit()?;
    let limit = q.finish(limit)?;
    let rows = repo::ranked(
        ctx.db()?,
        rm.as_deref(),
        ctx.book(),
        min.unwrap_or(AT_RISK_SCORE),
        limit.get(),
    )?;
    let items = rows
        .iter()
        .map(|s| {
            let reasons: Value = serde_json::from_str(&s.reasons)
                .map_err(|e| ApiError::Internal(format!("stored churn reasons: {e}")))?;
            Ok(json!({
                "customerId": s.customer_id,
                "relationshipManagerId": s.relationship_manager_id,
                "score": s.score,
                "band": s.band,
                "rulesVersion": s.rules_version,
                "asOf": ts(s.as_of),
                "reasons": reasons,
            }))
        })
        .collect::<Result<Vec<Value>, ApiError>>()?;
    ctx.record_list_read(items.len(), &[]);
    json_response(StatusCode::OK, &json!({ "items": items }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RunDraft {
    as_of: Option<String>,
    cursor: Option<String>,
    limit: Option<u32>,
}

/// A run's cursor: its `asOf` and the last customer scored, so a page cannot resume
/// another run.
fn run_cursor(at: Timestamp, customer: &str) -> String {
    Cursor::after(&format!("{}|{customer}", at.unix_millis())).encode()
}

fn resume(token: &str, at: Timestamp) -> Result<String, &'static str> {
    let cursor = Cursor::decode(token).map_err(|_| "is not a cursor returned by this API")?;
    let (ms, customer) = cursor
        .key()
        .split_once('|')
        .ok_or("is not a cursor returned by this API")?;
    if ms.parse::<i64>().ok() != Some(at.unix_millis()) {
        return Err("belongs to a run with another asOf");
    }
    CustomerId::parse(customer).map_err(|_| "is not a cursor returned by this API")?;
    Ok(customer.to_owned())
}

/// One page of a churn run, as asked: scored as of `at`, after customer `after`.
struct RunPage {
    at: Timestamp,
    after: String,
    limit: u32,
}

impl RunDraft {
    /// `asOf` required and not in the future, `limit` within the page bounds, and a
    /// cursor only of a run with the same `asOf`; every problem reported at once.
    fn check(self, now: Timestamp) -> Result<RunPage, ApiError> {
        let mut errors = Vec::new();
        let at = match self.as_of.as_deref() {
            None => {
                errors.push(Invalid::new("asOf", "is required"));
                None
            }
            Some(raw) => as_of(raw, now)
                .map_err(|m| errors.push(Invalid::new("asOf", m)))
                .ok(),
        };
        let limit = self.limit.unwrap_or(RUN_PAGE);
        if !(1..=MAX_RUN_PAGE).contains(&limit) {
            errors.push(Invalid::new(
                "limit",
                format!("must be from 1 to {MAX_RUN_PAGE}"),
            ));
        }
        let after = match (&self.cursor, at) {
            (Some(token), Some(at)) => resume(token, at)
                .map_err(|m| errors.push(Invalid::new("cursor", m)))
                .ok(),
            _ => Some(String::new()),
        };
        match (at, after) {
            (Some(at), Some(after)) if errors.is_empty() => Ok(RunPage { at, after, limit }),
            _ => Err(ApiError::from(errors)),
        }
    }
}

/// What scoring one customer led to.
enum Scored {
    Calm,
    AtRiskWithoutManager,
    AtRisk { task_created: bool },
}

/// Scores `customer` as of `page.at` and records the score; when at risk and in a
/// manager's book, creates their retention task for `period` unless they have one.
fn score_customer(
    ctx: &Ctx<'_>,
    db: &dyn Database,
    rules: &crm_domain::loyalty::TierRules,
    (customer, manager): &(String, Option<String>),
    at: Timestamp,
    period: &str,
) -> Result<Scored, ApiError> {
    let s = score(&repo::facts(db, rules, customer, at.unix_millis())?);
    repo::save(db, customer, &s, at.unix_millis(), ctx.now.unix_millis())?;
    if s.score < AT_RISK_SCORE {
        return Ok(Scored::Calm);
    }
    let Some(manager) = manager else {
        return Ok(Scored::AtRiskWithoutManager);
    };
    let id = TaskId::new(new_ulid(ctx.now)).to_string();
    let title = format!("Retention call: churn score {} ({})", s.score, s.band);
    let priority = if s.score >= 80 {
        Priority::Urgent
    } else {
        Priority::High
    };
    let task = Retention {
        id: &id,
        customer_id: customer,
        title: &title,
        assignee: manager,
        priority: priority.as_str(),
        due_at: at.unix_millis() + RETENTION_DUE_DAYS * 86_400_000,
        period,
        created_by: ctx.actor(),
    };
    let task_created = repo::retention_task(db, &task, ctx.now.unix_millis())?;
    if task_created {
        ctx.record_customer_touched(customer, Some(format!("task={id}")));
    }
    Ok(Scored::AtRisk { task_created })
}

/// `POST /v1/engagement/churn/runs` with `{asOf, cursor?, limit?}`: scores the next
/// `limit` customers (active or dormant, by id) as of `asOf`, records each score, and
/// for each at risk with a relationship manager creates one retention task unless the
/// customer has one for the period (the calendar month of `asOf`). Call again with
/// `nextCursor` until it is `null`; a page commits on its own, so a run interrupted
/// between pages resumes where it stopped, and running a page twice creates nothing
/// more. `Idempotency-Key` is optional.
pub fn run(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    let draft: RunDraft = ctx.json()?;
    let RunPage { at, after, limit } = draft.check(ctx.now)?;
    let work = |db: &dyn Database| -> ApiResult {
        let customers = repo::page(db, &after, limit)?;
        let rules = repo::tier_rules(db)?;
        let period = period(at);
        let (mut at_risk, mut created, mut unassigned) = (0, 0, 0);
        for customer in &customers {
            match score_customer(ctx, db, &rules, customer, at, &period)? {
                Scored::Calm => {}
                Scored::AtRiskWithoutManager => {
                    at_risk += 1;
                    unassigned += 1;
                }
                Scored::AtRisk { task_created } => {
                    at_risk += 1;
                    created += usize::from(task_created);
                }
            }
        }
        let next = match customers.last() {
            Some((last, _)) if customers.len() == limit as usize => Some(run_cursor(at, last)),
            _ => None,
        };
        ctx.set_audit_detail(format!(
            "period={period} scored={} at_risk={at_risk} tasks={created}",
            customers.len()
        ));
        ctx.note(format!(
            "churn run scored={} tasks={created}",
            customers.len()
        ));
        json_response(
            StatusCode::OK,
            &json!({
                "asOf": at,
                "period": period,
                "rulesVersion": crm_domain::engagement::churn::CHURN_RULES_VERSION,
                "scored": customers.len(),
                "atRisk": at_risk,
                "tasksCreated": created,
                "atRiskWithoutManager": unassigned,
                "nextCursor": next,
            }),
        )
    };
    if ctx.header(idempotency::HEADER).is_some() {
        idempotency::run(ctx, work)
    } else {
        work(ctx.db()?)
    }
}
