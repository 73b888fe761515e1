//! Satisfaction: `POST /v1/interactions/surveys`, `GET /v1/interactions/surveys/{id}`
//! and `GET /v1/interactions/surveys/summary`.

use super::{Query, is_erased, require_customer, ts};
use crate::repo::interactions as interactions_repo;
use crate::repo::surveys::{self as repo, InsertError, Period, SurveyRow};
use crm_domain::interaction::{Channel, SurveyDraft, SurveyId};
use crm_http::{ApiError, ApiResult, Ctx, idempotency, json_response, new_ulid};
use http::StatusCode;
use serde_json::{Map, Value, json};

fn view(s: &SurveyRow, redacted: bool) -> Value {
    json!({
        "id": s.id,
        "customerId": s.customer_id,
        "kind": s.kind,
        "score": s.score,
        "comment": if redacted { None } else { s.comment.clone() },
        "interactionId": s.interaction_id,
        "channel": s.channel,
        "submittedAt": ts(s.submitted_at),
        "redacted": redacted,
    })
}

/// `POST /v1/interactions/surveys`: records one answer. An answer about an interaction
/// takes that interaction's channel; each interaction gets at most one answer per kind.
pub fn create(ctx: &Ctx<'_>) -> ApiResult {
    let draft: SurveyDraft = ctx.json()?;
    let new = draft.validate().map_err(ApiError::from)?;
    idempotency::run(ctx, |db| {
        require_customer(db, &new.customer_id)?;
        let channel = match new.interaction_id {
            None => None,
            Some(interaction) => {
                let rated = interactions_repo::get(db, &interaction.to_string())?
                    .ok_or_else(|| ApiError::invalid("interactionId", "names no interaction"))?;
                if rated.customer_id != new.customer_id.to_string() {
                    return Err(ApiError::invalid(
                        "interactionId",
                        "names an interaction of another customer",
                    ));
                }
                Some(rated.channel)
            }
        };
        let id = SurveyId::new(new_ulid(ctx.now));
        let row = repo::insert(db, id, &new, channel.as_deref(), ctx.now).map_err(|e| match e {
            InsertError::AlreadyAnswered(existing) => {
                let mut extra = Map::new();
                extra.insert("existingId".into(), Value::String(existing));
                let about = if new.interaction_id.is_some() {
                    "this interaction"
                } else {
                    "this customer, this month,"
                };
                ApiError::Conflict {
                    code: "survey_already_recorded",
                    detail: format!("{about} already has a {} answer", new.kind),
                    extra,
                }
            }
            InsertError::Store(e) => e.into(),
        })?;
        crm_http::created(
            &view(&row, false),
            &format!("/v1/interactions/surveys/{id}"),
        )
    })
}

/// `GET /v1/interactions/surveys/{id}`.
pub fn get(ctx: &Ctx<'_>) -> ApiResult {
    ctx.only_query_params(&[])?;
    let not_found = || ApiError::NotFound("no such survey answer".into());
    let id = ctx
        .param("id")
        .filter(|id| SurveyId::parse(id).is_ok())
        .ok_or_else(not_found)?;
    let db = ctx.db()?;
    let row = repo::get(db, id)?.ok_or_else(not_found)?;
    ctx.reach(&row.customer_id)?;
    let redacted = is_erased(db, &row.customer_id)?;
    json_response(StatusCode::OK, &view(&row, redacted))
}

/// `GET /v1/interactions/surveys/summary?from=&to=&channel=`: NPS and CSAT over answers
/// recorded in `[from, to)`; a period without answers has `null` scores and zero counts.
pub fn summary(ctx: &Ctx<'_>) -> ApiResult {
    let mut q = Query::new(ctx, &["from", "to", "channel"])?;
    let (from, to) = q.period()?;
    let channel = q.one_of("channel", Channel::parse, Channel::expected())?;
    q.finish(Some(()))?;
    let period = Period {
        from,
        to,
        channel: channel.map(|c| c.as_str().to_owned()),
    };
    let (nps, csat) = repo::tally(ctx.db()?, &period)?;
    json_response(
        StatusCode::OK,
        &json!({
            "from": from,
            "to": to,
            "channel": channel,
            "nps": {
                "score": nps.score(),
                "responses": nps.responses(),
                "promoters": nps.promoters,
                "passives": nps.passives,
                "detractors": nps.detractors,
            },
            "csat": {
                "average": csat.average(),
                "responses": csat.responses,
                "satisfied": csat.satisfied,
                "satisfiedPercent": csat.satisfied_percent(),
            },
            "generatedAt": ctx.now,
        }),
    )
}
