//! Request bodies and their edge validation: types first (serde: unknown fields are
//! 400, wrong types 422), then every value rule at once, so a caller sees all its
//! mistakes in one 422.

use crm_domain::loyalty::{
    Downgrade, EarningRules, EventType, Invalid, MAX_POINTS, Points, RulesDocument, TierRule,
    code_problem, text_problem,
};
use crm_domain::money::Money;
use crm_domain::time::Timestamp;
use serde::Deserialize;
use serde_json::Number;

/// Longest business reference.
pub const MAX_REFERENCE: usize = 128;
/// Longest reward code.
pub const MAX_REWARD_CODE: usize = 64;
/// Longest reason.
pub const MAX_REASON: usize = 500;
/// Customers one expiry-run call processes by default, and at most.
pub const EXPIRY_BATCH: (i64, i64) = (100, 500);

/// Collects field errors in request order.
#[derive(Debug, Default)]
pub struct Problems(pub Vec<Invalid>);

impl Problems {
    fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(Invalid::new(field, message));
    }

    fn required<'a>(&mut self, field: &str, value: &'a Option<String>) -> &'a str {
        match value {
            None => {
                self.add(field, "is required");
                ""
            }
            Some(v) => v,
        }
    }

    fn code(&mut self, field: &str, value: &Option<String>, max: usize) -> String {
        let v = self.required(field, value);
        if value.is_some()
            && let Some(problem) = code_problem(v, max)
        {
            self.add(field, problem);
        }
        v.to_owned()
    }

    fn text(&mut self, field: &str, value: &Option<String>, max: usize) -> String {
        let v = self.required(field, value);
        if value.is_some()
            && let Some(problem) = text_problem(v, max)
        {
            self.add(field, problem);
        }
        v.trim().to_owned()
    }

    /// A JSON number that must be a whole number of points.
    fn integer(&mut self, field: &str, value: &Option<Number>) -> Option<i64> {
        let n = value.as_ref()?;
        match n.as_i64() {
            Some(i) => Some(i),
            None => {
                self.add(field, "must be an integer number of points");
                None
            }
        }
    }
}

/// `POST …/earn`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EarnBody {
    #[serde(default)]
    event_type: Option<EventType>,
    #[serde(default)]
    amount: Option<Money>,
    #[serde(default)]
    points: Option<Number>,
    #[serde(default)]
    reference: Option<String>,
}

/// An earn request that passed the edge (the rules check the rest).
#[derive(Debug, Clone)]
pub struct Earn {
    /// The event.
    pub event_type: Option<EventType>,
    /// Its amount.
    pub amount: Option<Money>,
    /// Points, for `given` rules.
    pub points: Option<i64>,
    /// The business reference.
    pub reference: String,
}

impl EarnBody {
    /// Checks what does not depend on the rules; the caller adds the rules' findings.
    pub fn check(self) -> (Earn, Problems) {
        let mut p = Problems::default();
        if self.event_type.is_none() {
            p.add(
                "eventType",
                format!("is required: one of {}", EventType::expected()),
            );
        }
        let points = p.integer("points", &self.points);
        let earn = Earn {
            event_type: self.event_type,
            amount: self.amount,
            points,
            reference: p.code("reference", &self.reference, MAX_REFERENCE),
        };
        (earn, p)
    }
}

/// `POST …/redeem`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RedeemBody {
    #[serde(default)]
    points: Option<Number>,
    #[serde(default)]
    reward_code: Option<String>,
    #[serde(default)]
    reference: Option<String>,
}

/// A valid redemption request.
#[derive(Debug, Clone)]
pub struct Redeem {
    /// Points to spend.
    pub points: Points,
    /// The reward.
    pub reward_code: String,
    /// The business reference.
    pub reference: String,
}

fn positive_points(p: &mut Problems, value: &Option<Number>) -> Option<Points> {
    if value.is_none() {
        p.add("points", "is required");
    }
    let n = p.integer("points", value)?;
    match Points::new(n) {
        Ok(points) => Some(points),
        Err(message) => {
            p.add("points", message);
            None
        }
    }
}

impl RedeemBody {
    /// Every problem at once, or the request.
    pub fn check(self) -> Result<Redeem, Vec<Invalid>> {
        let mut p = Problems::default();
        let points = positive_points(&mut p, &self.points);
        let reward_code = p.code("rewardCode", &self.reward_code, MAX_REWARD_CODE);
        let reference = p.code("reference", &self.reference, MAX_REFERENCE);
        match points {
            Some(points) if p.0.is_empty() => Ok(Redeem {
                points,
                reward_code,
                reference,
            }),
            _ => Err(p.0),
        }
    }
}

/// `POST …/adjust`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AdjustBody {
    #[serde(default)]
    points: Option<Number>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    reference: Option<String>,
}

/// A valid adjustment request.
#[derive(Debug, Clone)]
pub struct Adjust {
    /// Signed points.
    pub points: i64,
    /// Why.
    pub reason: String,
    /// The business reference.
    pub reference: String,
}

impl AdjustBody {
    /// Every problem at once, or the request.
    pub fn check(self) -> Result<Adjust, Vec<Invalid>> {
        let mut p = Problems::default();
        if self.points.is_none() {
            p.add("points", "is required");
        }
        let points = p.integer("points", &self.points);
        if let Some(n) = points
            && (n == 0 || n.abs() > MAX_POINTS)
        {
            p.add(
                "points",
                format!("must be non-zero and at most {MAX_POINTS} either way"),
            );
        }
        let reason = p.text("reason", &self.reason, MAX_REASON);
        let reference = p.code("reference", &self.reference, MAX_REFERENCE);
        match points {
            Some(points) if p.0.is_empty() => Ok(Adjust {
                points,
                reason,
                reference,
            }),
            _ => Err(p.0),
        }
    }
}

/// `POST /v1/loyalty/entries/{id}/reverse`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ReverseBody {
    #[serde(default)]
    reason: Option<String>,
}

impl ReverseBody {
    /// The reason, or every problem.
    pub fn check(self) -> Result<String, Vec<Invalid>> {
        let mut p = Problems::default();
        let reason = p.text("reason", &self.reason, MAX_REASON);
        if p.0.is_empty() { Ok(reason) } else { Err(p.0) }
    }
}

/// `POST /v1/loyalty/expiry-runs`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExpiryRunBody {
    #[serde(default)]
    as_of: Option<Timestamp>,
    #[serde(default)]
    limit: Option<i64>,
}

/// A valid expiry run.
#[derive(Debug, Clone)]
pub struct ExpiryRun {
    /// The instant points are expired as of.
    pub as_of: Timestamp,
    /// Customers to process in this call.
    pub limit: i64,
}

impl ExpiryRunBody {
    /// The run, or every problem; `asOf` may not be later than `now`.
    pub fn check(self, now: Timestamp) -> Result<ExpiryRun, Vec<Invalid>> {
        let mut p = Problems::default();
        match self.as_of {
            None => p.add("asOf", "is required"),
            Some(t) if t > now => p.add(
                "asOf",
                "must not be in the future: points cannot be expired ahead of time",
            ),
            Some(_) => {}
        }
        let (default, max) = EXPIRY_BATCH;
        let limit = self.limit.unwrap_or(default);
        if !(1..=max).contains(&limit) {
            p.add("limit", format!("must be between 1 and {max}"));
        }
        match self.as_of {
            Some(as_of) if p.0.is_empty() => Ok(ExpiryRun { as_of, limit }),
            _ => Err(p.0),
        }
    }
}

/// `PUT /v1/loyalty/rules`: the rules document (who changes it is the token's subject).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RulesBody {
    earning: EarningRules,
    tiers: Vec<TierRule>,
    expiry_months: u32,
    downgrade: Downgrade,
}

impl RulesBody {
    /// The document, validated by `Rules::from_document`.
    pub fn document(self) -> RulesDocument {
        RulesDocument {
            earning: self.earning,
            tiers: self.tiers,
            expiry_months: self.expiry_months,
            downgrade: self.downgrade,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(errors: &[Invalid]) -> Vec<&str> {
        errors.iter().map(|i| i.field.as_str()).collect()
    }

    #[test]
    fn a_redemption_reports_every_invalid_field_at_once() {
        let body: RedeemBody =
            serde_json::from_str(r#"{"points":1.5,"rewardCode":"","reference":"has space"}"#)
                .expect("types are right");
        let errors = body.check().expect_err("invalid");
        assert_eq!(fields(&errors), ["points", "rewardCode", "reference"]);
        assert!(errors[0].message.contains("integer"));
    }

    #[test]
    fn points_must_be_one_to_ten_million() {
        for bad in ["0", "-1", "10000001"] {
            let body: RedeemBody = serde_json::from_str(&format!(
                r#"{{"points":{bad},"rewardCode":"R1","reference":"r1"}}"#
            ))
            .expect("types are right");
            assert_eq!(fields(&body.check().expect_err(bad)), ["points"], "{bad}");
        }
    }

    #[test]
    fn an_adjustment_needs_a_reason_and_non_zero_points() {
        let body: AdjustBody =
            serde_json::from_str(r#"{"points":0,"reason":"  ","reference":"a1"}"#).expect("types");
        assert_eq!(
            fields(&body.check().expect_err("invalid")),
            ["points", "reason"]
        );
    }

    #[test]
    fn an_expiry_run_may_not_look_into_the_future() {
        let now = Timestamp::parse("2026-11-23T08:00:00Z").expect("valid");
        let body: ExpiryRunBody =
            serde_json::from_str(r#"{"asOf":"2026-11-23T08:00:00.001Z"}"#).expect("types");
        assert_eq!(fields(&body.check(now).expect_err("future")), ["asOf"]);
        let body: ExpiryRunBody =
            serde_json::from_str(r#"{"asOf":"2026-11-23T08:00:00Z","limit":0}"#).expect("types");
        assert_eq!(fields(&body.check(now).expect_err("limit")), ["limit"]);
    }
}
