//! Satisfaction: NPS (0–10, "how likely are you to recommend us") and CSAT (1–5,
//! "how satisfied were you"), and the arithmetic of their summaries in integers, so a
//! figure never depends on float rounding and an empty period has no score instead of
//! a division by zero.

use super::text::{Errors, optional_id, optional_text, required_enum, required_id};
use super::{InteractionId, Invalid};
use crate::closed_enum;
use crate::id::CustomerId;
use serde::Deserialize;
use std::ops::RangeInclusive;

/// Longest survey comment, in characters.
pub const MAX_COMMENT: usize = 2_000;

closed_enum!(
    /// Which question the score answers.
    SurveyKind { Nps = "nps", Csat = "csat" }
);

impl SurveyKind {
    /// The scores this kind accepts.
    pub fn scores(self) -> RangeInclusive<i64> {
        match self {
            SurveyKind::Nps => 0..=10,
            SurveyKind::Csat => 1..=5,
        }
    }
}

/// The body of `POST /v1/interactions/surveys`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SurveyDraft {
    /// The customer answering (`cus_…`).
    pub customer_id: Option<String>,
    /// [`SurveyKind`].
    pub kind: Option<String>,
    /// The score, in [`SurveyKind::scores`].
    pub score: Option<i64>,
    /// Free text, up to [`MAX_COMMENT`] characters.
    pub comment: Option<String>,
    /// The contact the answer is about (`int_…`); gives the answer its channel.
    pub interaction_id: Option<String>,
}

/// A validated survey answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSurvey {
    /// Who answered.
    pub customer_id: CustomerId,
    /// Which question.
    pub kind: SurveyKind,
    /// The score, within range for `kind`.
    pub score: i64,
    /// Free text, trimmed.
    pub comment: Option<String>,
    /// The contact it is about.
    pub interaction_id: Option<InteractionId>,
}

impl SurveyDraft {
    /// Validates every field; an out-of-range score names the range of its kind.
    pub fn validate(self) -> Result<NewSurvey, Vec<Invalid>> {
        let mut e = Errors::default();
        let customer_id = required_id(&mut e, "customerId", self.customer_id, CustomerId::parse);
        let kind = required_enum(
            &mut e,
            "kind",
            self.kind,
            SurveyKind::parse,
            SurveyKind::expected,
        );
        let score = match (kind, self.score) {
            (_, None) => {
                e.add("score", "is required");
                None
            }
            (Some(kind), Some(score)) if !kind.scores().contains(&score) => {
                let range = kind.scores();
                e.add(
                    "score",
                    format!(
                        "must be an integer from {} to {} for {kind}",
                        range.start(),
                        range.end()
                    ),
                );
                None
            }
            (_, Some(score)) => Some(score),
        };
        let comment = optional_text(&mut e, "comment", self.comment, MAX_COMMENT, true);
        let interaction_id = optional_id(
            &mut e,
            "interactionId",
            self.interaction_id,
            InteractionId::parse,
        );
        e.into_result(|| {
            Some(NewSurvey {
                customer_id: customer_id?,
                kind: kind?,
                score: score?,
                comment: comment?,
                interaction_id: interaction_id?,
            })
        })
    }
}

/// Where an NPS answer falls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NpsBand {
    /// 9–10: would recommend.
    Promoter,
    /// 7–8: satisfied but unenthusiastic.
    Passive,
    /// 0–6: unhappy.
    Detractor,
}

impl NpsBand {
    /// The band of an NPS score.
    pub fn of(score: i64) -> NpsBand {
        match score {
            9.. => NpsBand::Promoter,
            7..=8 => NpsBand::Passive,
            _ => NpsBand::Detractor,
        }
    }
}

/// `num / den` rounded to the nearest integer, halves away from zero; `den` > 0.
pub fn round_div(num: i64, den: i64) -> i64 {
    if den <= 0 {
        return 0;
    }
    let half = den / 2;
    if num >= 0 {
        (num + half) / den
    } else {
        -((-num + half) / den)
    }
}

/// Counts of NPS answers by band.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NpsTally {
    /// Answers 9–10.
    pub promoters: i64,
    /// Answers 7–8.
    pub passives: i64,
    /// Answers 0–6.
    pub detractors: i64,
}

impl NpsTally {
    /// Counts `count` answers of `score`.
    pub fn add(&mut self, score: i64, count: i64) {
        match NpsBand::of(score) {
            NpsBand::Promoter => self.promoters += count,
            NpsBand::Passive => self.passives += count,
            NpsBand::Detractor => self.detractors += count,
        }
    }

    /// How many answers.
    pub fn responses(&self) -> i64 {
        self.promoters + self.passives + self.detractors
    }

    /// % promoters − % detractors, −100 to 100, to one decimal; `None` without answers.
    pub fn score(&self) -> Option<f64> {
        let n = self.responses();
        (n > 0).then(|| round_div(1000 * (self.promoters - self.detractors), n) as f64 / 10.0)
    }
}

/// Sums of CSAT answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CsatTally {
    /// How many answers.
    pub responses: i64,
    /// The sum of their scores.
    pub score_sum: i64,
    /// Answers of 4 or 5.
    pub satisfied: i64,
}

impl CsatTally {
    /// Counts `count` answers of `score`.
    pub fn add(&mut self, score: i64, count: i64) {
        self.responses += count;
        self.score_sum += score * count;
        if score >= 4 {
            self.satisfied += count;
        }
    }

    /// The mean score, 1–5, to two decimals; `None` without answers.
    pub fn average(&self) -> Option<f64> {
        (self.responses > 0).then(|| round_div(100 * self.score_sum, self.responses) as f64 / 100.0)
    }

    /// The share of answers of 4 or 5, in percent to one decimal; `None` without answers.
    pub fn satisfied_percent(&self) -> Option<f64> {
        (self.responses > 0).then(|| round_div(1000 * self.satisfied, self.responses) as f64 / 10.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nps(scores: &[i64]) -> NpsTally {
        let mut t = NpsTally::default();
        for &s in scores {
            t.add(s, 1);
        }
        t
    }

    fn csat(scores: &[i64]) -> CsatTally {
        let mut t = CsatTally::default();
        for &s in scores {
            t.add(s, 1);
        }
        t
    }

    #[test]
    fn nps_is_promoters_minus_detractors_in_percent() {
        // 2 promoters, 1 passive, 1 detractor: 50% − 25% = 25.
        assert_eq!(nps(&[10, 9, 7, 3]).score(), Some(25.0));
        assert_eq!(nps(&[10, 10]).score(), Some(100.0));
        assert_eq!(nps(&[0, 6]).score(), Some(-100.0));
        assert_eq!(nps(&[7, 8]).score(), Some(0.0));
    }

    #[test]
    fn nps_rounds_to_one_decimal_half_away_from_zero() {
        // 1 promoter of 3: 33.333… → 33.3; 1 detractor of 3 → −33.3.
        assert_eq!(nps(&[9, 7, 7]).score(), Some(33.3));
        assert_eq!(nps(&[0, 7, 7]).score(), Some(-33.3));
        // 2 of 3: 66.666… → 66.7.
        assert_eq!(nps(&[9, 9, 8]).score(), Some(66.7));
    }

    #[test]
    fn band_edges_are_six_seven_eight_nine() {
        assert_eq!(NpsBand::of(6), NpsBand::Detractor);
        assert_eq!(NpsBand::of(7), NpsBand::Passive);
        assert_eq!(NpsBand::of(8), NpsBand::Passive);
        assert_eq!(NpsBand::of(9), NpsBand::Promoter);
        assert_eq!(NpsBand::of(0), NpsBand::Detractor);
    }

    #[test]
    fn csat_is_the_mean_to_two_decimals_and_the_satisfied_share() {
        let t = csat(&[5, 4, 4]);
        assert_eq!(t.average(), Some(4.33));
        assert_eq!(t.satisfied_percent(), Some(100.0));
        let t = csat(&[1, 2, 5]);
        assert_eq!(t.average(), Some(2.67));
        assert_eq!(t.satisfied_percent(), Some(33.3));
    }

    #[test]
    fn an_empty_period_has_no_score_rather_than_a_division_by_zero() {
        assert_eq!(NpsTally::default().score(), None);
        assert_eq!(NpsTally::default().responses(), 0);
        assert_eq!(CsatTally::default().average(), None);
        assert_eq!(CsatTally::default().satisfied_percent(), None);
    }

    #[test]
    fn grouped_counts_add_up_like_single_answers() {
        let mut grouped = NpsTally::default();
        grouped.add(10, 2);
        grouped.add(3, 1);
        assert_eq!(grouped, nps(&[10, 10, 3]));
    }

    #[test]
    fn round_div_rounds_halves_away_from_zero() {
        assert_eq!(round_div(5, 2), 3);
        assert_eq!(round_div(-5, 2), -3);
        assert_eq!(round_div(4, 3), 1);
        assert_eq!(round_div(0, 7), 0);
        assert_eq!(round_div(1, 0), 0);
    }

    #[test]
    fn scores_outside_the_kind_range_are_refused() {
        let draft = |kind: &str, score: i64| SurveyDraft {
            customer_id: Some("cus_01KAT0000000000000000000AB".into()),
            kind: Some(kind.into()),
            score: Some(score),
            ..SurveyDraft::default()
        };
        for (kind, score) in [("nps", 0), ("nps", 10), ("csat", 1), ("csat", 5)] {
            assert!(draft(kind, score).validate().is_ok(), "{kind} {score}");
        }
        for (kind, score) in [("nps", -1), ("nps", 11), ("csat", 0), ("csat", 6)] {
            let errors = draft(kind, score).validate().expect_err("out of range");
            assert_eq!(errors[0].field, "score", "{kind} {score}");
        }
    }

    #[test]
    fn a_survey_reports_every_invalid_field() {
        let errors = SurveyDraft {
            customer_id: None,
            kind: Some("ces".into()),
            score: None,
            comment: Some("x".repeat(MAX_COMMENT + 1)),
            interaction_id: Some("cus_01KAT0000000000000000000AB".into()),
        }
        .validate()
        .expect_err("invalid");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["customerId", "kind", "score", "comment", "interactionId"]
        );
    }
}
