//! `GET /v1/loans/figures?from=&to=`: what credit managers ask of the applications made
//! in a period: how many per product, the automated decisions by outcome and by reason
//! code, pre-approval to acceptance, and the four-eyes turnaround of referrals. These
//! scan the period's applications (a manager's page, not a channel's).

use crm_domain::figures::{percentile, rate};
use crm_http::{ApiResult, Ctx, QueryParams, json_response};
use crm_store::{Database, StoreError, Value};
use http::StatusCode;
use serde_json::json;

/// The period covered when `from` is absent, in days.
pub const DEFAULT_DAYS: i64 = 90;
/// The longest period covered, in days.
pub const MAX_DAYS: i64 = 1_100;

const BY_PRODUCT: &str = "SELECT product AS name, COUNT(*) AS n FROM loan_applications
    WHERE created_at >= ?1 AND created_at < ?2 GROUP BY product ORDER BY product";
const BY_OUTCOME: &str = "SELECT decision_status AS name, COUNT(*) AS n FROM loan_applications
    WHERE created_at >= ?1 AND created_at < ?2 GROUP BY decision_status ORDER BY decision_status";
const BY_REASON: &str = "SELECT json_extract(r.value, '$.code') AS name, COUNT(*) AS n
    FROM loan_applications a, json_each(a.decision, '$.reasons') r
    WHERE a.created_at >= ?1 AND a.created_at < ?2
    GROUP BY name ORDER BY n DESC, name";
const CONVERSION: &str = "SELECT
        COALESCE(SUM(decision_status = 'pre_approved'), 0) AS pre_approved,
        COALESCE(SUM(decision_status = 'pre_approved' AND status = 'accepted'), 0) AS accepted
    FROM loan_applications WHERE created_at >= ?1 AND created_at < ?2";
/// Referrals of the period and, once a person decided, how long after the application.
const REFERRALS: &str = "SELECT a.id,
        (SELECT MIN(t.at) FROM loan_transitions t WHERE t.application_id = a.id
            AND t.to_status IN ('approved','declined')) - a.created_at AS waited
    FROM loan_applications a
    WHERE a.created_at >= ?1 AND a.created_at < ?2 AND a.decision_status = 'referred'";

fn counts(
    db: &dyn Database,
    sql: &str,
    params: &[Value],
) -> Result<Vec<(String, i64)>, StoreError> {
    db.execute(sql, params)?
        .iter()
        .map(|r| Ok((r.str("name")?.to_owned(), r.i64("n")?)))
        .collect()
}

/// `GET /v1/loans/figures?from=&to=`: applications made in `[from, to)` (default: the
/// 90 days before now; at most 1,100 days).
pub fn figures(ctx: &Ctx<'_>) -> ApiResult {
    let (from, to) = QueryParams::figures_period(ctx, DEFAULT_DAYS, MAX_DAYS)?;
    let db = ctx.db()?;
    let period = [
        Value::Integer(from.unix_millis()),
        Value::Integer(to.unix_millis()),
    ];
    let list = |pairs: Vec<(String, i64)>, key: &str| {
        pairs
            .into_iter()
            .map(|(name, n)| json!({key: name, "applications": n}))
            .collect::<Vec<_>>()
    };
    let products = counts(db, BY_PRODUCT, &period)?;
    let total: i64 = products.iter().map(|(_, n)| n).sum();
    let outcomes = counts(db, BY_OUTCOME, &period)?;
    let reasons = counts(db, BY_REASON, &period)?;
    let conversion = db.execute(CONVERSION, &period)?;
    let (pre_approved, accepted) = match conversion.first() {
        Some(r) => (r.i64("pre_approved")?, r.i64("accepted")?),
        None => (0, 0),
    };
    let referrals = db.execute(REFERRALS, &period)?;
    let mut waited: Vec<i64> = referrals
        .iter()
        .map(|r| r.opt_i64("waited"))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .map(|ms| ms.max(0) / 1000)
        .collect();
    waited.sort_unstable();
    json_response(
        StatusCode::OK,
        &json!({
            "from": from,
            "to": to,
            "applications": total,
            "byProduct": list(products, "product"),
            "decisions": list(outcomes, "outcome"),
            "reasons": reasons
                .into_iter()
                .map(|(code, n)| json!({"code": code, "applications": n}))
                .collect::<Vec<_>>(),
            "conversion": {
                "preApproved": pre_approved,
                "accepted": accepted,
                "rate": rate(accepted, pre_approved),
            },
            "fourEyes": {
                "referred": referrals.len(),
                "decided": waited.len(),
                "turnaroundSeconds": {
                    "p50": percentile(&waited, 50),
                    "p90": percentile(&waited, 90),
                },
            },
            "generatedAt": ctx.now,
        }),
    )
}
