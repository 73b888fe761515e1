//! The credit policy: per product limits, minimum score, maximum debt-to-income, the rate
//! grid by score band, the referral band and offer validity. Versioned by the loans
//! service; a decision names the version it was made under.

use super::{Invalid, LoanProduct};
use crate::money::{Currency, Money};
use serde::{Deserialize, Serialize};

use super::amortization::{MAX_ANNUAL_RATE_BPS, MAX_PRINCIPAL_MINOR, MAX_TERM_MONTHS};

/// Lowest credit bureau score.
pub const MIN_SCORE: i64 = 300;
/// Highest credit bureau score.
pub const MAX_SCORE: i64 = 850;
/// 100 % in basis points.
pub const FULL_BPS: i64 = 10_000;
/// Most bands a rate grid may have.
pub const MAX_RATE_BANDS: usize = 20;
/// Longest offer validity.
pub const MAX_OFFER_VALIDITY_DAYS: i64 = 365;

/// One band of a rate grid: scores from `min_score` up (to the next band) pay this rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RateBand {
    /// The lowest score in the band.
    pub min_score: i64,
    /// The indicative annual rate for the band, in basis points.
    pub annual_rate_bps: i64,
}

/// The rules of one product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProductPolicy {
    /// Smallest amount lent.
    pub min_amount: Money,
    /// Largest amount lent.
    pub max_amount: Money,
    /// Shortest term.
    pub min_term_months: i64,
    /// Longest term.
    pub max_term_months: i64,
    /// Scores below this are declined.
    pub min_credit_score: i64,
    /// Largest debt-to-income ratio ((existing debt + new payment) / income), in bps.
    pub max_dti_bps: i64,
    /// Rates by score band, highest band first.
    pub rate_grid: Vec<RateBand>,
}

impl ProductPolicy {
    /// The annual rate for `score`: the band with the highest `min_score` not above it.
    pub fn rate_for(&self, score: i64) -> Option<i64> {
        self.rate_grid
            .iter()
            .filter(|band| band.min_score <= score)
            .max_by_key(|band| band.min_score)
            .map(|band| band.annual_rate_bps)
    }
}

/// How close to a limit an application may come before a person must look at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ReferralBand {
    /// Scores from the product minimum to `minimum + score_margin − 1` are referred.
    pub score_margin: i64,
    /// A DTI above `max − dti_margin_bps` (and not above `max`) is referred.
    pub dti_margin_bps: i64,
    /// An amount above `max × (1 − amount_margin_bps / 10 000)` (and not above `max`) is referred.
    pub amount_margin_bps: i64,
}

/// The four products' rules, keyed by product as the API spells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Products {
    /// `personal`.
    pub personal: ProductPolicy,
    /// `auto`.
    pub auto: ProductPolicy,
    /// `mortgage`.
    pub mortgage: ProductPolicy,
    /// `credit_card`.
    pub credit_card: ProductPolicy,
}

impl Products {
    /// The rules of `product`.
    pub fn get(&self, product: LoanProduct) -> &ProductPolicy {
        match product {
            LoanProduct::Personal => &self.personal,
            LoanProduct::Auto => &self.auto,
            LoanProduct::Mortgage => &self.mortgage,
            LoanProduct::CreditCard => &self.credit_card,
        }
    }
}

/// A whole credit policy, as `GET /v1/loans/policy` shows it (without its version).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Policy {
    /// The one currency every amount is in.
    pub currency: Currency,
    /// Days a pre-approval or approval offer stays open; 0 makes offers expire at once
    /// (a way to pause offers while keeping decisions explainable).
    pub offer_validity_days: i64,
    /// Employed and self-employed applicants with fewer months in their job are referred.
    pub min_employment_months: i64,
    /// Counter-offer amounts are multiples of this.
    pub counter_offer_step: Money,
    /// The referral band.
    pub referral: ReferralBand,
    /// Per product rules.
    pub products: Products,
}

fn cny(minor: i64) -> Money {
    Money::new(minor, Currency::Cny)
}

fn band(min_score: i64, annual_rate_bps: i64) -> RateBand {
    RateBand {
        min_score,
        annual_rate_bps,
    }
}

impl Policy {
    /// Version 1, seeded by the loans migration (`docs/loan-preapproval.md` explains it).
    pub fn default_policy() -> Policy {
        Policy {
            currency: Currency::Cny,
            offer_validity_days: 30,
            min_employment_months: 6,
            counter_offer_step: cny(100_000),
            referral: ReferralBand {
                score_margin: 20,
                dti_margin_bps: 500,
                amount_margin_bps: 1_000,
            },
            products: Products {
                personal: ProductPolicy {
                    min_amount: cny(500_000),
                    max_amount: cny(50_000_000),
                    min_term_months: 6,
                    max_term_months: 60,
                    min_credit_score: 600,
                    max_dti_bps: 4_000,
                    rate_grid: vec![
                        band(750, 690),
                        band(700, 890),
                        band(650, 1_190),
                        band(600, 1_490),
                    ],
                },
                auto: ProductPolicy {
                    min_amount: cny(2_000_000),
                    max_amount: cny(100_000_000),
                    min_term_months: 12,
                    max_term_months: 84,
                    min_credit_score: 620,
                    max_dti_bps: 4_500,
                    rate_grid: vec![
                        band(750, 450),
                        band(700, 590),
                        band(660, 790),
                        band(620, 990),
                    ],
                },
                mortgage: ProductPolicy {
                    min_amount: cny(10_000_000),
                    max_amount: cny(1_000_000_000),
                    min_term_months: 60,
                    max_term_months: 360,
                    min_credit_score: 660,
                    max_dti_bps: 5_000,
                    rate_grid: vec![
                        band(760, 390),
                        band(720, 420),
                        band(680, 460),
                        band(660, 520),
                    ],
                },
                credit_card: ProductPolicy {
                    min_amount: cny(100_000),
                    max_amount: cny(10_000_000),
                    min_term_months: 1,
                    max_term_months: 36,
                    min_credit_score: 580,
                    max_dti_bps: 4_000,
                    rate_grid: vec![band(740, 1_200), band(680, 1_500), band(580, 1_800)],
                },
            },
        }
    }

    /// The policy when every rule is coherent, or every field that is not.
    pub fn validated(self) -> Result<Policy, Vec<Invalid>> {
        let mut errors = Vec::new();
        self.validate_general(&mut errors);
        for product in LoanProduct::ALL {
            let rules = self.products.get(*product);
            validate_product(
                rules,
                self.currency,
                &format!("products.{product}"),
                &mut errors,
            );
        }
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(errors)
        }
    }

    fn validate_general(&self, errors: &mut Vec<Invalid>) {
        let mut check = |ok: bool, field: &str, message: &str| {
            if !ok {
                errors.push(Invalid::new(field, message));
            }
        };
        check(
            (0..=MAX_OFFER_VALIDITY_DAYS).contains(&self.offer_validity_days),
            "offerValidityDays",
            &format!("must be from 0 to {MAX_OFFER_VALIDITY_DAYS}"),
        );
        check(
            (0..=120).contains(&self.min_employment_months),
            "minEmploymentMonths",
            "must be from 0 to 120",
        );
        check(
            self.counter_offer_step.currency == self.currency,
            "counterOfferStep.currency",
            &format!("must be the policy currency {}", self.currency),
        );
        check(
            (1..=MAX_PRINCIPAL_MINOR).contains(&self.counter_offer_step.minor_units),
            "counterOfferStep.amount",
            "must be positive",
        );
        check(
            (0..=MAX_SCORE - MIN_SCORE).contains(&self.referral.score_margin),
            "referral.scoreMargin",
            &format!("must be from 0 to {}", MAX_SCORE - MIN_SCORE),
        );
        check(
            (0..=FULL_BPS).contains(&self.referral.dti_margin_bps),
            "referral.dtiMarginBps",
            "must be from 0 to 10000",
        );
        check(
            (0..=FULL_BPS).contains(&self.referral.amount_margin_bps),
            "referral.amountMarginBps",
            "must be from 0 to 10000",
        );
    }
}

fn validate_product(p: &ProductPolicy, currency: Currency, at: &str, errors: &mut Vec<Invalid>) {
    let mut check = |ok: bool, field: &str, message: String| {
        if !ok {
            errors.push(Invalid::new(format!("{at}.{field}"), message));
        }
    };
    for (field, money) in [("minAmount", p.min_amount), ("maxAmount", p.max_amount)] {
        check(
            money.currency == currency,
            &format!("{field}.currency"),
            format!("must be the policy currency {currency}"),
        );
        check(
            (1..=MAX_PRINCIPAL_MINOR).contains(&money.minor_units),
            &format!("{field}.amount"),
            format!("must be from 1 to {MAX_PRINCIPAL_MINOR}"),
        );
    }
    check(
        p.min_amount.minor_units <= p.max_amount.minor_units,
        "maxAmount.amount",
        "must not be below minAmount".into(),
    );
    let max_term = i64::from(MAX_TERM_MONTHS);
    check(
        (1..=max_term).contains(&p.min_term_months),
        "minTermMonths",
        format!("must be from 1 to {max_term}"),
    );
    check(
        (1..=max_term).contains(&p.max_term_months) && p.max_term_months >= p.min_term_months,
        "maxTermMonths",
        format!("must be from minTermMonths to {max_term}"),
    );
    check(
        (MIN_SCORE..=MAX_SCORE).contains(&p.min_credit_score),
        "minCreditScore",
        format!("must be from {MIN_SCORE} to {MAX_SCORE}"),
    );
    check(
        (1..=FULL_BPS).contains(&p.max_dti_bps),
        "maxDtiBps",
        "must be from 1 to 10000".into(),
    );
    check(
        !p.rate_grid.is_empty() && p.rate_grid.len() <= MAX_RATE_BANDS,
        "rateGrid",
        format!("must have 1 to {MAX_RATE_BANDS} bands"),
    );
    for (i, band) in p.rate_grid.iter().enumerate() {
        check(
            (MIN_SCORE..=MAX_SCORE).contains(&band.min_score),
            &format!("rateGrid[{i}].minScore"),
            format!("must be from {MIN_SCORE} to {MAX_SCORE}"),
        );
        check(
            (0..=MAX_ANNUAL_RATE_BPS).contains(&band.annual_rate_bps),
            &format!("rateGrid[{i}].annualRateBps"),
            format!("must be from 0 to {MAX_ANNUAL_RATE_BPS}"),
        );
        if i > 0 {
            check(
                band.min_score < p.rate_grid[i - 1].min_score,
                &format!("rateGrid[{i}].minScore"),
                "bands must be listed from the highest score down, without repeats".into(),
            );
        }
    }
    // Every score the product accepts must have a rate, or an approval could not be priced.
    if let Some(lowest) = p.rate_grid.iter().map(|b| b.min_score).min() {
        check(
            lowest <= p.min_credit_score,
            "rateGrid",
            "the lowest band must start at or below minCreditScore".into(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_policy_is_valid() {
        assert!(Policy::default_policy().validated().is_ok());
    }

    #[test]
    fn the_rate_is_the_highest_band_the_score_reaches() {
        let personal = Policy::default_policy().products.personal;
        assert_eq!(personal.rate_for(850), Some(690));
        assert_eq!(personal.rate_for(750), Some(690));
        assert_eq!(personal.rate_for(749), Some(890));
        assert_eq!(personal.rate_for(700), Some(890));
        assert_eq!(personal.rate_for(699), Some(1_190));
        assert_eq!(personal.rate_for(600), Some(1_490));
        assert_eq!(personal.rate_for(599), None);
    }

    #[test]
    fn an_incoherent_policy_lists_every_problem() {
        let mut policy = Policy::default_policy();
        policy.offer_validity_days = -1;
        policy.referral.dti_margin_bps = 10_001;
        policy.products.auto.max_amount = Money::new(1, Currency::Cny);
        policy.products.mortgage.min_amount = Money::new(10_000_000, Currency::Usd);
        policy.products.credit_card.rate_grid = vec![band(600, 1_000), band(700, 900)];
        policy.products.personal.max_term_months = 5;
        let errors = policy.validated().expect_err("invalid");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        for expected in [
            "offerValidityDays",
            "referral.dtiMarginBps",
            "products.auto.maxAmount.amount",
            "products.mortgage.minAmount.currency",
            "products.credit_card.rateGrid[1].minScore",
            "products.personal.maxTermMonths",
        ] {
            assert!(
                fields.contains(&expected),
                "{expected} missing from {fields:?}"
            );
        }
    }

    #[test]
    fn a_grid_that_leaves_acceptable_scores_without_a_rate_is_refused() {
        let mut policy = Policy::default_policy();
        policy.products.personal.rate_grid = vec![band(700, 900)];
        let errors = policy.validated().expect_err("gap");
        assert!(
            errors
                .iter()
                .any(|e| e.field == "products.personal.rateGrid"),
            "{errors:?}"
        );
    }

    #[test]
    fn an_unknown_policy_field_or_product_is_rejected_when_parsing() {
        let mut json = serde_json::to_value(Policy::default_policy()).expect("serializes");
        json["products"]["boat"] = json["products"]["auto"].clone();
        assert!(serde_json::from_value::<Policy>(json).is_err());
        let mut json = serde_json::to_value(Policy::default_policy()).expect("serializes");
        json["maxAge"] = 70.into();
        assert!(serde_json::from_value::<Policy>(json).is_err());
    }
}
