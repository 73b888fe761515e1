//! `GET /v1/interactions/complaints/figures?from=&to=`: what complaint managers and
//! conduct risk ask of the cases opened in a period: cases by category and severity,
//! the SLA met rate of the resolved ones, time to resolve, and repeat complainants.
//! These scan the period's cases (a manager's page, not an agent's).

use crm_domain::figures::{percentile, rate};
use crm_http::{ApiResult, Ctx, QueryParams, json_response};
use crm_store::{Database, StoreError, Value};
use http::StatusCode;
use serde_json::json;

/// The period covered when `from` is absent, in days.
pub const DEFAULT_DAYS: i64 = 90;
/// The longest period covered, in days.
pub const MAX_DAYS: i64 = 1_100;

const BY_CATEGORY: &str = "SELECT category, severity, COUNT(*) AS cases FROM complaints
    WHERE opened_at >= ?1 AND opened_at < ?2
    GROUP BY category, severity ORDER BY category, severity";
/// One row per resolved case: seconds to resolve and whether it met its deadline.
const RESOLVED: &str = "SELECT (resolved_at - opened_at) / 1000 AS seconds,
        (resolved_at <= due_at) AS met
    FROM complaints
    WHERE opened_at >= ?1 AND opened_at < ?2 AND resolved_at IS NOT NULL";
const UNRESOLVED: &str = "SELECT COUNT(*) AS open,
        COALESCE(SUM(due_at < ?3), 0) AS overdue
    FROM complaints
    WHERE opened_at >= ?1 AND opened_at < ?2 AND resolved_at IS NULL";
/// Customers with more than one case in the period, and those cases.
const REPEAT: &str = "SELECT COUNT(*) AS customers, COALESCE(SUM(n), 0) AS cases FROM (
        SELECT customer_id, COUNT(*) AS n FROM complaints
        WHERE opened_at >= ?1 AND opened_at < ?2
        GROUP BY customer_id HAVING COUNT(*) > 1)";

/// The two named counts of a one-row aggregate (`0, 0` when there is no row).
fn two_counts(
    db: &dyn Database,
    sql: &str,
    params: &[Value],
    names: [&str; 2],
) -> Result<(i64, i64), StoreError> {
    match db.execute(sql, params)?.first() {
        Some(r) => Ok((r.i64(names[0])?, r.i64(names[1])?)),
        None => Ok((0, 0)),
    }
}

/// `GET /v1/interactions/complaints/figures?from=&to=`: cases opened in `[from, to)`
/// (default: the 90 days before now; at most 1,100 days).
pub fn figures(ctx: &Ctx<'_>) -> ApiResult {
    let (from, to) = QueryParams::figures_period(ctx, DEFAULT_DAYS, MAX_DAYS)?;
    let db = ctx.db()?;
    let period = [
        Value::Integer(from.unix_millis()),
        Value::Integer(to.unix_millis()),
    ];
    let by_category = db
        .execute(BY_CATEGORY, &period)?
        .iter()
        .map(|r| {
            Ok(json!({
                "category": r.str("category")?,
                "severity": r.str("severity")?,
                "cases": r.i64("cases")?,
            }))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let opened: i64 = by_category.iter().filter_map(|c| c["cases"].as_i64()).sum();
    let resolved = db.execute(RESOLVED, &period)?;
    let mut seconds = Vec::with_capacity(resolved.len());
    let mut met = 0;
    for r in resolved.iter() {
        seconds.push(r.i64("seconds")?.max(0));
        met += r.i64("met")?;
    }
    seconds.sort_unstable();
    let with_now = [
        period[0].clone(),
        period[1].clone(),
        Value::Integer(ctx.now.unix_millis()),
    ];
    let (open, overdue) = two_counts(db, UNRESOLVED, &with_now, ["open", "overdue"])?;
    let (repeat_customers, repeat_cases) = two_counts(db, REPEAT, &period, ["customers", "cases"])?;
    let resolved_count = seconds.len() as i64;
    json_response(
        StatusCode::OK,
        &json!({
            "from": from,
            "to": to,
            "opened": opened,
            "byCategory": by_category,
            "sla": {
                "resolved": resolved_count,
                "met": met,
                "rate": rate(met, resolved_count),
                "unresolved": open,
                "overdue": overdue,
            },
            "timeToResolveSeconds": {
                "p50": percentile(&seconds, 50),
                "p90": percentile(&seconds, 90),
            },
            "repeat": {"customers": repeat_customers, "cases": repeat_cases},
            "generatedAt": ctx.now,
        }),
    )
}
