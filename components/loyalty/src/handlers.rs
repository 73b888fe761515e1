//! HTTP ⇄ ledger for loyalty: parse and check at the edge, run the operation (inside
//! the Idempotency-Key transaction for anything that moves points), shape the answer.

use crate::account;
use crate::ledger::{self, AdjustCommand, EarnCommand, RedeemCommand, Refusal};
use crate::repo::{self, RulesRow, figures};
use crate::requests::{
    AdjustBody, EarnBody, ExpiryRunBody, Problems, RedeemBody, ReverseBody, RulesBody,
};
use crm_domain::id::CustomerId;
use crm_domain::loyalty::{EarnRequest, EntryKind, LoyaltyEntryId, Rules};
use crm_domain::page::Cursor;
use crm_http::{
    ApiError, ApiResult, Ctx, QueryParams, etag, header_value, idempotency, json_response,
    new_ulid, require_if_match,
};
use crm_store::in_transaction;
use http::{StatusCode, header};
use serde_json::{Map, Value, json};

fn conflict(code: &'static str, detail: String, extra: &[(&str, Value)]) -> ApiError {
    ApiError::Conflict {
        code,
        detail,
        extra: extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect::<Map<String, Value>>(),
    }
}

fn refused(r: Refusal) -> ApiError {
    match r {
        Refusal::CustomerNotFound => ApiError::NotFound("no such customer".into()),
        Refusal::EntryNotFound => ApiError::NotFound("no such ledger entry".into()),
        Refusal::CustomerClosed => ApiError::conflict(
            "customer_closed",
            "the customer's relationship is closed: points can no longer be earned or spent",
        ),
        Refusal::Invalid(errors) => ApiError::from(errors),
        Refusal::DuplicateReference(existing) => conflict(
            "duplicate_reference",
            format!("entry {existing} already has this reference; it is not booked twice"),
            &[("existingEntryId", json!(existing))],
        ),
        Refusal::Insufficient {
            available,
            requested,
        } => conflict(
            "insufficient_points",
            format!("{requested} points requested but only {available} are available"),
            &[
                ("available", json!(available)),
                ("requested", json!(requested)),
            ],
        ),
        Refusal::NotReversible(why) => ApiError::conflict("not_reversible", why),
        Refusal::AlreadyReversed(by) => conflict(
            "already_reversed",
            format!("the entry was already reversed by {by}"),
            &[("reversalId", json!(by))],
        ),
        Refusal::Store(e) => e.into(),
    }
}

/// The customer in the path; a malformed id names no customer, so it is a 404.
fn customer_param(ctx: &Ctx<'_>) -> Result<String, ApiError> {
    ctx.param("customerId")
        .and_then(|s| CustomerId::parse(s).ok())
        .map(|id| id.to_string())
        .ok_or_else(|| ApiError::NotFound("no such customer".into()))
}

fn entry_param(ctx: &Ctx<'_>) -> Result<String, ApiError> {
    ctx.param("entryId")
        .and_then(|s| LoyaltyEntryId::parse(s).ok())
        .map(|id| id.to_string())
        .ok_or_else(|| ApiError::NotFound("no such ledger entry".into()))
}

fn created(entry: &repo::Entry) -> ApiResult {
    let mut response = json_response(StatusCode::CREATED, entry)?;
    response.headers_mut().insert(
        header::LOCATION,
        header_value(&format!("/v1/loyalty/entries/{}", entry.id))?,
    );
    Ok(response)
}

fn new_id(ctx: &Ctx<'_>) -> LoyaltyEntryId {
    LoyaltyEntryId::new(new_ulid(ctx.now))
}

/// `POST /v1/loyalty/accounts/{customerId}/earn`.
pub fn earn(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    let customer = customer_param(ctx)?;
    let body: EarnBody = ctx.json()?;
    let (earn, Problems(mut problems)) = body.check();
    if !problems.is_empty() {
        // Report the rules' findings with the edge's, so one 422 lists everything.
        if let Some(event_type) = earn.event_type {
            let rules = repo::current_rules(ctx.db()?)?.rules;
            let request = EarnRequest {
                event_type,
                amount: earn.amount,
                points: earn.points,
            };
            if let Err(more) = rules.earn(&request, 10_000) {
                problems.extend(more);
            }
        }
        return Err(ApiError::from(problems));
    }
    let Some(event_type) = earn.event_type else {
        return Err(ApiError::invalid("eventType", "is required"));
    };
    idempotency::run(ctx, |db| {
        let command = EarnCommand {
            customer: &customer,
            event_type,
            amount: earn.amount,
            points: earn.points,
            reference: &earn.reference,
            actor: Some(ctx.actor()),
        };
        let entry = ledger::earn(db, &command, new_id(ctx), ctx.now).map_err(refused)?;
        ctx.note(format!("earned {} points", entry.points));
        created(&entry)
    })
}

/// `POST /v1/loyalty/accounts/{customerId}/redeem`.
pub fn redeem(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    let customer = customer_param(ctx)?;
    let body: RedeemBody = ctx.json()?;
    let redeem = body.check().map_err(ApiError::from)?;
    idempotency::run(ctx, |db| {
        let command = RedeemCommand {
            customer: &customer,
            points: redeem.points,
            reward_code: &redeem.reward_code,
            reference: &redeem.reference,
            actor: Some(ctx.actor()),
        };
        let entry = ledger::redeem(db, &command, new_id(ctx), ctx.now).map_err(refused)?;
        created(&entry)
    })
}

/// `POST /v1/loyalty/accounts/{customerId}/adjust`.
pub fn adjust(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    let customer = customer_param(ctx)?;
    let body: AdjustBody = ctx.json()?;
    let adjust = body.check().map_err(ApiError::from)?;
    idempotency::run(ctx, |db| {
        let command = AdjustCommand {
            customer: &customer,
            points: adjust.points,
            reason: &adjust.reason,
            reference: &adjust.reference,
            actor: Some(ctx.actor()),
        };
        let entry = ledger::adjust(db, &command, new_id(ctx), ctx.now).map_err(refused)?;
        created(&entry)
    })
}

/// `POST /v1/loyalty/entries/{entryId}/reverse`.
pub fn reverse(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    let target = entry_param(ctx)?;
    let body: ReverseBody = ctx.json()?;
    let reason = body.check().map_err(ApiError::from)?;
    idempotency::run(ctx, |db| {
        let entry = ledger::reverse(
            db,
            &target,
            &reason,
            Some(ctx.actor()),
            new_id(ctx),
            ctx.now,
        )
        .map_err(refused)?;
        ctx.reach(&entry.customer_id)?;
        created(&entry)
    })
}

/// `GET /v1/loyalty/entries/{entryId}`: one entry with the lots it moved.
pub fn entry(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    let id = entry_param(ctx)?;
    let db = ctx.db()?;
    let entry = ledger::read_entry(db, &id)?
        .ok_or(Refusal::EntryNotFound)
        .map_err(refused)?;
    ctx.reach(&entry.customer_id)?;
    ledger::check_customer(db, &entry.customer_id, true)
        .map_err(|e| refused(ledger::as_no_entry(e)))?;
    json_response(StatusCode::OK, &entry)
}

/// `GET /v1/loyalty/accounts/{customerId}`.
pub fn account(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    let customer = customer_param(ctx)?;
    let db = ctx.db()?;
    ledger::check_customer(db, &customer, true).map_err(refused)?;
    json_response(StatusCode::OK, &account::view(db, &customer, ctx.now)?)
}

/// `GET /v1/loyalty/accounts/{customerId}/ledger?kind=&limit=&cursor=`, newest first.
pub fn ledger_page(ctx: &Ctx<'_>) -> ApiResult {
    let mut q = QueryParams::new(ctx, &["kind", "limit", "cursor"])?;
    let customer = customer_param(ctx)?;
    let kind = q.one_of("kind", EntryKind::parse, EntryKind::expected())?;
    let limit = q.limit()?;
    let before = q
        .cursor(|key| key.parse::<i64>().ok().filter(|seq| *seq > 0))?
        .unwrap_or(i64::MAX);
    let limit = q.finish(limit)?;
    let db = ctx.db()?;
    ledger::check_customer(db, &customer, true).map_err(refused)?;
    let wanted = i64::from(limit.get());
    let mut items = repo::ledger_page(db, &customer, kind, before, wanted + 1)?;
    let more = items.len() as i64 > wanted;
    items.truncate(limit.get() as usize);
    let next = match (more, items.last()) {
        (true, Some(last)) => Some(Cursor::after(&last.seq.to_string()).encode()),
        _ => None,
    };
    json_response(
        StatusCode::OK,
        &json!({ "items": items, "nextCursor": next }),
    )
}

/// `GET /v1/loyalty/accounts/{customerId}/reconciliation`: the whole-ledger sums next
/// to the caches, for audit (this read does scan the customer's ledger).
pub fn reconciliation(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    let customer = customer_param(ctx)?;
    let db = ctx.db()?;
    ledger::check_customer(db, &customer, true).map_err(refused)?;
    let sums = repo::reconcile(db, &customer)?;
    let mut body = serde_json::to_value(&sums).map_err(|e| ApiError::Internal(e.to_string()))?;
    if let Value::Object(map) = &mut body {
        map.insert("customerId".into(), json!(customer));
        map.insert("consistent".into(), json!(sums.consistent()));
    }
    json_response(StatusCode::OK, &body)
}

fn rules_response(status: StatusCode, row: &RulesRow) -> ApiResult {
    let mut body = serde_json::to_value(row.rules.document())
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    if let Value::Object(map) = &mut body {
        map.insert("version".into(), json!(row.version));
        map.insert("actor".into(), json!(row.actor));
        map.insert("createdAt".into(), json!(row.created_at));
    }
    let mut response = json_response(status, &body)?;
    response
        .headers_mut()
        .insert(header::ETAG, header_value(&etag(row.version))?);
    Ok(response)
}

/// `GET /v1/loyalty/rules`: the rules in force, with their version as the etag.
pub fn rules(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    rules_response(StatusCode::OK, &repo::current_rules(ctx.db()?)?)
}

/// `GET /v1/loyalty/rules/{version}`: an earlier version, to audit an entry.
pub fn rules_version(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    let not_found = || ApiError::NotFound("no such rules version".into());
    let version = ctx
        .param("version")
        .and_then(|v| v.parse::<i64>().ok())
        .ok_or_else(not_found)?;
    let row = repo::rules_version(ctx.db()?, version)?.ok_or_else(not_found)?;
    rules_response(StatusCode::OK, &row)
}

/// `PUT /v1/loyalty/rules` with `If-Match`: a new version; earlier entries keep theirs.
pub fn put_rules(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    let db = ctx.db()?;
    let current = repo::current_rules(db)?;
    require_if_match(ctx, current.version)?;
    let body: RulesBody = ctx.json()?;
    let rules = Rules::from_document(body.document()).map_err(ApiError::from)?;
    let version = repo::insert_rules(db, current.version, &rules, Some(ctx.actor()), ctx.now)?
        .ok_or_else(|| {
            ApiError::PreconditionFailed("the rules changed while this request ran".into())
        })?;
    ctx.note(format!("loyalty rules version {version}"));
    let row = repo::rules_version(db, version)?
        .ok_or_else(|| ApiError::Internal("written rules are missing".into()))?;
    rules_response(StatusCode::OK, &row)
}

/// `POST /v1/loyalty/expiry-runs` `{asOf, limit?}`: writes an `expire` entry for every
/// customer with points due at `asOf`, up to `limit` customers per call (`complete`
/// says whether any are left). Naturally idempotent: the same `asOf` again writes
/// nothing, so no Idempotency-Key is needed and an interrupted run is simply re-sent.
pub fn expiry_run(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    let body: ExpiryRunBody = ctx.json()?;
    let run = body.check(ctx.now).map_err(ApiError::from)?;
    let db = ctx.db()?;
    let (mut entries, mut points) = (0i64, 0i64);
    let customers = repo::due_customers(db, run.as_of, run.limit)?;
    for customer in &customers {
        // One short transaction per customer, so a redemption never waits on a batch.
        let written = in_transaction(db, |db| {
            ledger::expire(
                db,
                customer,
                run.as_of,
                Some(ctx.actor()),
                new_id(ctx),
                ctx.now,
            )
        })
        .map_err(refused)?;
        if let Some(entry) = written {
            entries += 1;
            points -= entry.points;
            ctx.record_customer_touched(customer, Some(format!("entry={}", entry.id)));
        }
    }
    let complete = repo::due_customers(db, run.as_of, 1)?.is_empty();
    ctx.note(format!("expired {points} points in {entries} entries"));
    json_response(
        StatusCode::OK,
        &json!({
            "asOf": run.as_of,
            "customersProcessed": customers.len(),
            "entriesWritten": entries,
            "pointsExpired": points,
            "complete": complete,
        }),
    )
}

/// The period `GET /v1/loyalty/figures` covers when `from` is absent, in days.
pub const DEFAULT_FIGURES_DAYS: i64 = 365;
/// The longest period it covers, in days.
pub const MAX_FIGURES_DAYS: i64 = 1_100;

/// `GET /v1/loyalty/figures?from=&to=`: the programme's figures. The liability now
/// (points left in lots, those past expiry not yet written off, by age of their earn),
/// the points each kind of entry moved per calendar month (UTC) of `[from, to)`, the
/// period's redemption rate with the points behind it, and accounts per tier.
pub fn figures(ctx: &Ctx<'_>) -> ApiResult {
    let (from, to) = QueryParams::figures_period(ctx, DEFAULT_FIGURES_DAYS, MAX_FIGURES_DAYS)?;
    let db = ctx.db()?;
    let liability = figures::outstanding(db, ctx.now.unix_millis())?;
    let months = figures::monthly(db, from.unix_millis(), to.unix_millis())?;
    let tiers = figures::members_per_tier(db)?;
    let earned: i64 = months.iter().map(|m| m.earned).sum();
    let redeemed: i64 = months.iter().map(|m| -m.redeemed).sum();
    let bands = [
        "under_6_months",
        "6_to_12_months",
        "12_to_18_months",
        "18_months_or_more",
    ];
    json_response(
        StatusCode::OK,
        &json!({
            "from": from,
            "to": to,
            "outstanding": {
                "points": liability.points,
                "lots": liability.lots,
                "pastExpiry": liability.past_expiry,
                "byAge": bands
                    .iter()
                    .zip(liability.by_age)
                    .map(|(band, points)| json!({"age": band, "points": points}))
                    .collect::<Vec<_>>(),
            },
            "months": months
                .iter()
                .map(|m| json!({
                    "month": m.month,
                    "earned": m.earned,
                    "redeemed": -m.redeemed,
                    "expired": -m.expired,
                    "reversed": m.reversed,
                    "adjusted": m.adjusted,
                    "entries": m.entries,
                }))
                .collect::<Vec<_>>(),
            "redemptionRate": {
                "earned": earned,
                "redeemed": redeemed,
                "rate": crm_domain::figures::rate(redeemed, earned),
            },
            "membersPerTier": tiers
                .iter()
                .map(|(tier, members)| json!({"tier": tier, "members": members}))
                .collect::<Vec<_>>(),
            "generatedAt": ctx.now,
        }),
    )
}
