//! The rules of the policy, evaluated one by one for given terms: the customer's
//! standing, employment, score, amount, term and affordability. Each rule that fires
//! adds a reason with a stable code; the worst effect decides the outcome.

use super::amortization::Annuity;
use super::decision::{Snapshot, Terms};
use super::policy::{FULL_BPS, Policy, ProductPolicy};
use super::{
    CustomerStatus, DecisionStatus, Effect, EmploymentStatus, KycStatus, Reason, ReasonCode,
};
use crate::money::Money;

/// What the affordability rule concludes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Within the limit and outside the referral band.
    Pass,
    /// Within the limit but inside the referral band.
    Refer,
    /// Above the limit (or no income to repay from).
    Fail,
}

/// Debt-to-income and the verdict on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Affordability {
    /// `(debt + payment) / income` in basis points, rounded up; `None` without income.
    pub dti_bps: Option<i64>,
    /// The verdict.
    pub verdict: Verdict,
}

/// The affordability rule, shared with every service that must judge whether a
/// customer can carry a new monthly payment: fails when `(debt + payment) / income`
/// exceeds `max_dti_bps`, refers when it exceeds `max_dti_bps − refer_margin_bps`.
/// All amounts are minor units of one currency. Compared exactly, not on rounded bps.
pub fn affordability(
    monthly_income_minor: i64,
    monthly_debt_minor: i64,
    new_payment_minor: i64,
    max_dti_bps: i64,
    refer_margin_bps: i64,
) -> Affordability {
    let income = i128::from(monthly_income_minor);
    if income <= 0 {
        return Affordability {
            dti_bps: None,
            verdict: Verdict::Fail,
        };
    }
    let scaled =
        (i128::from(monthly_debt_minor) + i128::from(new_payment_minor)) * i128::from(FULL_BPS);
    let dti = (scaled + income - 1).div_euclid(income);
    let refer_from = i128::from((max_dti_bps - refer_margin_bps).max(0));
    let verdict = if scaled > i128::from(max_dti_bps) * income {
        Verdict::Fail
    } else if scaled > refer_from * income {
        Verdict::Refer
    } else {
        Verdict::Pass
    };
    Affordability {
        dti_bps: Some(i64::try_from(dti).unwrap_or(i64::MAX)),
        verdict,
    }
}

/// Prices instalments at one rate, keeping the last term's powers for the next amount.
pub(super) struct Pricer {
    rate_bps: Option<i64>,
    annuity: Option<Annuity>,
}

impl Pricer {
    pub(super) fn new(rate_bps: Option<i64>) -> Pricer {
        Pricer {
            rate_bps,
            annuity: None,
        }
    }

    fn payment(&mut self, amount_minor: i64, term_months: u32) -> Option<i64> {
        let rate = self.rate_bps?;
        if self.annuity.as_ref().map(Annuity::term_months) != Some(term_months) {
            self.annuity = Annuity::new(rate, term_months).ok();
        }
        self.annuity.as_ref()?.payment(amount_minor).ok()
    }
}

pub(super) struct Evaluation {
    pub(super) reasons: Vec<Reason>,
    pub(super) dti_bps: Option<i64>,
    pub(super) terms: Option<Terms>,
}

impl Evaluation {
    pub(super) fn status(&self) -> DecisionStatus {
        if self.reasons.iter().any(|r| r.effect == Effect::Decline) {
            DecisionStatus::Declined
        } else if self.reasons.is_empty() {
            DecisionStatus::PreApproved
        } else {
            DecisionStatus::Referred
        }
    }

    fn fire(&mut self, code: ReasonCode, message: String) {
        self.reasons.push(Reason {
            code,
            effect: code.effect(),
            message,
        });
    }
}

fn percent(bps: i64) -> String {
    format!("{}.{:02}%", bps / 100, (bps % 100).abs())
}

/// Every rule, for `amount_minor` over `term_months` (the asked-for terms, or a
/// counter-offer candidate); all else comes from the snapshot.
pub(super) fn evaluate(
    policy: &Policy,
    rules: &ProductPolicy,
    snapshot: &Snapshot,
    amount_minor: i64,
    term_months: u32,
    pricer: &mut Pricer,
) -> Evaluation {
    let input = &snapshot.input;
    let product = input.product;
    let currency = input.amount.currency;
    let money = |minor: i64| Money::new(minor, currency);
    let mut e = Evaluation {
        reasons: Vec::new(),
        dti_bps: None,
        terms: None,
    };

    match snapshot.customer.status {
        CustomerStatus::Erased => e.fire(
            ReasonCode::CustomerErased,
            "the customer's record has been erased".into(),
        ),
        CustomerStatus::Closed => e.fire(
            ReasonCode::CustomerClosed,
            "the customer relationship is closed".into(),
        ),
        CustomerStatus::Dormant => e.fire(
            ReasonCode::CustomerDormant,
            "the customer is dormant; a person must confirm the relationship".into(),
        ),
        CustomerStatus::Active => {}
    }
    if snapshot.customer.self_declared {
        e.fire(
            ReasonCode::FiguresSelfDeclared,
            "the customer applied for themself and the bank holds no score or income of \
             its own: the figures are the applicant's word"
                .into(),
        );
    }
    if snapshot.customer.kyc_status != KycStatus::Verified {
        e.fire(
            ReasonCode::KycNotVerified,
            format!(
                "identity check (KYC) is {}, not verified",
                snapshot.customer.kyc_status
            ),
        );
    }
    if input.employment_status == EmploymentStatus::Unemployed
        && input.monthly_income.minor_units == 0
    {
        e.fire(
            ReasonCode::UnemployedWithoutIncome,
            "the applicant is unemployed and has no income".into(),
        );
    }
    if matches!(
        input.employment_status,
        EmploymentStatus::Employed | EmploymentStatus::SelfEmployed
    ) && input.employment_months < policy.min_employment_months
    {
        e.fire(
            ReasonCode::EmploymentTooShort,
            format!(
                "{} months in the current job is under the {} months the policy expects",
                input.employment_months, policy.min_employment_months
            ),
        );
    }

    let score = input.credit_score;
    let min_score = rules.min_credit_score;
    if score < min_score {
        e.fire(
            ReasonCode::ScoreBelowMin,
            format!("credit score {score} is below the {min_score} minimum for {product}"),
        );
    } else if score < min_score.saturating_add(policy.referral.score_margin) {
        e.fire(
            ReasonCode::ScoreNearMin,
            format!(
                "credit score {score} is within {} points of the {min_score} minimum for {product}",
                policy.referral.score_margin
            ),
        );
    }

    let (min_amount, max_amount) = (rules.min_amount.minor_units, rules.max_amount.minor_units);
    let near_max_from =
        i128::from(max_amount) * i128::from(FULL_BPS - policy.referral.amount_margin_bps);
    if amount_minor < min_amount {
        e.fire(
            ReasonCode::AmountBelowProductMin,
            format!(
                "{} is below the {} minimum for {product}",
                money(amount_minor),
                money(min_amount)
            ),
        );
    } else if amount_minor > max_amount {
        e.fire(
            ReasonCode::AmountAboveProductMax,
            format!(
                "{} is above the {} maximum for {product}",
                money(amount_minor),
                money(max_amount)
            ),
        );
    } else if i128::from(amount_minor) * i128::from(FULL_BPS) > near_max_from {
        e.fire(
            ReasonCode::AmountNearProductMax,
            format!(
                "{} is within {} of the {} maximum for {product}",
                money(amount_minor),
                percent(policy.referral.amount_margin_bps),
                money(max_amount)
            ),
        );
    }

    let term = i64::from(term_months);
    if term < rules.min_term_months {
        e.fire(
            ReasonCode::TermBelowProductMin,
            format!(
                "{term} months is shorter than the {}-month minimum for {product}",
                rules.min_term_months
            ),
        );
    } else if term > rules.max_term_months {
        e.fire(
            ReasonCode::TermAboveProductMax,
            format!(
                "{term} months is longer than the {}-month maximum for {product}",
                rules.max_term_months
            ),
        );
    }

    // Without a rate (a score below every band) there is nothing to price, and the
    // score rule has already declined.
    let Some(payment) = pricer.payment(amount_minor, term_months) else {
        return e;
    };
    let rate = pricer.rate_bps.unwrap_or_default();
    e.terms = Some(Terms {
        amount: money(amount_minor),
        term_months,
        annual_rate_bps: rate,
        monthly_payment: money(payment),
        total_repayable: money(payment.saturating_mul(term)),
    });
    let max_dti = rules.max_dti_bps;
    let a = affordability(
        input.monthly_income.minor_units,
        input.monthly_debt_payments.minor_units,
        payment,
        max_dti,
        policy.referral.dti_margin_bps,
    );
    e.dti_bps = a.dti_bps;
    let dti_text = a.dti_bps.map(percent).unwrap_or_default();
    match (a.verdict, a.dti_bps) {
        (Verdict::Fail, None) => e.fire(
            ReasonCode::DtiAboveMax,
            "there is no monthly income to repay from".into(),
        ),
        (Verdict::Fail, Some(_)) => e.fire(
            ReasonCode::DtiAboveMax,
            format!(
                "debt-to-income {dti_text} with a {} instalment is above the {} maximum for {product}",
                money(payment),
                percent(max_dti)
            ),
        ),
        (Verdict::Refer, _) => e.fire(
            ReasonCode::DtiNearMax,
            format!(
                "debt-to-income {dti_text} is within {} of the {} maximum for {product}",
                percent(policy.referral.dti_margin_bps),
                percent(max_dti)
            ),
        ),
        (Verdict::Pass, _) => {}
    }
    e
}
