//! The automated decision: every rule of the policy evaluated against an application
//! and the customer's standing, each rule that fires reported with a stable code, terms
//! priced with the annuity formula, an offer when pre-approved and a counter-offer when
//! other terms would pass.
//!
//! Deterministic in its inputs (policy, snapshot): the same snapshot under the same
//! policy version always gives the same decision, which is what replay checks.

use super::counter::counter_offer;
use super::policy::Policy;
use super::rules::{Pricer, evaluate};
use super::{
    ApplicationInput, CustomerStatus, DAY_MS, DecisionStatus, Effect, Invalid, KycStatus,
    LoanProduct, ReasonCode,
};
use crate::id::CustomerId;
use crate::money::Money;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// The customer's standing as the decision saw it (from the customer-profile read model).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CustomerFacts {
    /// Lifecycle status.
    pub status: CustomerStatus,
    /// Identity check.
    pub kyc_status: KycStatus,
    /// The customer applied through their own channel and the bank had no score or income
    /// of its own to decide on, so the figures are the customer's word: a person reviews.
    #[serde(default)]
    pub self_declared: bool,
}

/// Everything a decision depends on besides the policy: stored with every application
/// so that the decision can be recomputed exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Snapshot {
    /// The checked application.
    pub input: ApplicationInput,
    /// The customer's standing.
    pub customer: CustomerFacts,
    /// When the decision was made (offers expire relative to it).
    pub decided_at: Timestamp,
}

/// What an erasure leaves of a snapshot (`crm_store::erasure`, owner loans): the
/// application's identity and terms asked for, the customer's standing and the time,
/// without the customer's inputs (purpose, income, debts, score, employment).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ErasedSnapshot {
    /// What is left of the application.
    pub input: ErasedInput,
    /// The customer's standing.
    pub customer: CustomerFacts,
    /// When the decision was made.
    pub decided_at: Timestamp,
    /// Always `true`: the mark the erasure leaves.
    pub erased: bool,
}

/// What an erasure leaves of an application's input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ErasedInput {
    /// The applicant.
    pub customer_id: CustomerId,
    /// The product applied for.
    pub product: LoanProduct,
    /// The amount asked for.
    pub amount: Money,
    /// The term asked for.
    pub term_months: u32,
}

/// A snapshot as stored: whole, or what an erasure left of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum StoredSnapshot {
    /// Everything the decision saw; it can be replayed.
    Whole(Snapshot),
    /// The customer was erased: the inputs are gone and the decision cannot be replayed.
    Erased(ErasedSnapshot),
}

impl StoredSnapshot {
    /// The customer's standing as the decision saw it.
    pub fn customer(&self) -> &CustomerFacts {
        match self {
            StoredSnapshot::Whole(s) => &s.customer,
            StoredSnapshot::Erased(s) => &s.customer,
        }
    }

    /// The whole snapshot, unless the customer was erased.
    pub fn whole(&self) -> Option<&Snapshot> {
        match self {
            StoredSnapshot::Whole(s) => Some(s),
            StoredSnapshot::Erased(_) => None,
        }
    }

    /// The amount asked for.
    pub fn amount(&self) -> Money {
        match self {
            StoredSnapshot::Whole(s) => s.input.amount,
            StoredSnapshot::Erased(s) => s.input.amount,
        }
    }

    /// The term asked for.
    pub fn term_months(&self) -> u32 {
        match self {
            StoredSnapshot::Whole(s) => s.input.term_months,
            StoredSnapshot::Erased(s) => s.input.term_months,
        }
    }
}

/// A rule that fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Reason {
    /// Stable machine code.
    pub code: ReasonCode,
    /// Decline or refer.
    pub effect: Effect,
    /// The rule and the figures it saw, for a person.
    pub message: String,
}

/// Priced terms: amount, term, rate, instalment and total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Terms {
    /// Principal.
    pub amount: Money,
    /// Term.
    pub term_months: u32,
    /// Indicative annual rate from the rate grid.
    pub annual_rate_bps: i64,
    /// Level monthly instalment (rounded half up to a minor unit).
    pub monthly_payment: Money,
    /// `monthlyPayment × termMonths`.
    pub total_repayable: Money,
}

/// An offer the customer may accept until `expires_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Offer {
    /// Principal.
    pub amount: Money,
    /// Term.
    pub term_months: u32,
    /// Annual rate.
    pub annual_rate_bps: i64,
    /// Level monthly instalment.
    pub monthly_payment: Money,
    /// `monthlyPayment × termMonths`.
    pub total_repayable: Money,
    /// The first instant at which the offer can no longer be accepted.
    pub expires_at: Timestamp,
}

impl Offer {
    /// `terms` offered until `expires_at`.
    pub fn new(terms: &Terms, expires_at: Timestamp) -> Offer {
        Offer {
            amount: terms.amount,
            term_months: terms.term_months,
            annual_rate_bps: terms.annual_rate_bps,
            monthly_payment: terms.monthly_payment,
            total_repayable: terms.total_repayable,
            expires_at,
        }
    }
}

/// Terms the policy would accept when the ones asked for fail affordability or limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CounterOffer {
    /// Principal (a multiple of the policy's step when reduced).
    pub amount: Money,
    /// Term.
    pub term_months: u32,
    /// Annual rate.
    pub annual_rate_bps: i64,
    /// Level monthly instalment.
    pub monthly_payment: Money,
    /// `monthlyPayment × termMonths`.
    pub total_repayable: Money,
    /// Debt-to-income with these terms.
    pub dti_bps: i64,
    /// What an application with these terms would get (`pre_approved` or `referred`).
    pub status: DecisionStatus,
}

/// The decision on one application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Decision {
    /// The outcome.
    pub status: DecisionStatus,
    /// Every rule that fired, in evaluation order.
    pub reasons: Vec<Reason>,
    /// The policy version applied.
    pub policy_version: i64,
    /// When it was made.
    pub decided_at: Timestamp,
    /// Debt-to-income with the terms asked for (rounded up); `None` without income.
    pub dti_bps: Option<i64>,
    /// The terms asked for, priced; `None` when the score has no rate.
    pub terms: Option<Terms>,
    /// For `pre_approved`: the offer.
    pub offer: Option<Offer>,
    /// For `declined` on terms alone: terms that would pass.
    pub counter_offer: Option<CounterOffer>,
}
/// The currency checks that need the policy: every amount in the policy's currency.
pub fn check_currency(policy: &Policy, input: &ApplicationInput) -> Result<(), Vec<Invalid>> {
    let errors: Vec<Invalid> = [
        ("amount", input.amount),
        ("monthlyIncome", input.monthly_income),
        ("monthlyDebtPayments", input.monthly_debt_payments),
    ]
    .into_iter()
    .filter(|(_, m)| m.currency != policy.currency)
    .map(|(field, _)| {
        Invalid::new(
            format!("{field}.currency"),
            format!(
                "must be {}, the currency of the credit policy",
                policy.currency
            ),
        )
    })
    .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Decides `snapshot` under `policy` (version `policy_version`).
pub fn decide(policy: &Policy, policy_version: i64, snapshot: &Snapshot) -> Decision {
    let input = &snapshot.input;
    let rules = policy.products.get(input.product);
    let mut pricer = Pricer::new(rules.rate_for(input.credit_score));
    let asked = evaluate(
        policy,
        rules,
        snapshot,
        input.amount.minor_units,
        input.term_months,
        &mut pricer,
    );
    let status = asked.status();
    let offer = match (status, &asked.terms) {
        (DecisionStatus::PreApproved, Some(terms)) => {
            Some(Offer::new(terms, offer_expiry(policy, snapshot.decided_at)))
        }
        _ => None,
    };
    let curable = asked
        .reasons
        .iter()
        .filter(|r| r.effect == Effect::Decline)
        .all(|r| r.code.curable_by_terms());
    let counter_offer = if status == DecisionStatus::Declined && curable {
        counter_offer(policy, rules, snapshot, &mut pricer)
    } else {
        None
    };
    Decision {
        status,
        reasons: asked.reasons,
        policy_version,
        decided_at: snapshot.decided_at,
        dti_bps: asked.dti_bps,
        terms: asked.terms,
        offer,
        counter_offer,
    }
}

/// When an offer made at `at` under `policy` stops being acceptable.
pub fn offer_expiry(policy: &Policy, at: Timestamp) -> Timestamp {
    at.plus_millis(policy.offer_validity_days.saturating_mul(DAY_MS))
}

/// The parts of two decisions that must agree for a replay to match: everything but
/// the human-readable messages, whose wording may improve without changing a decision.
pub fn differences(stored: &Decision, recomputed: &Decision) -> Vec<&'static str> {
    let codes = |d: &Decision| -> Vec<(ReasonCode, Effect)> {
        d.reasons.iter().map(|r| (r.code, r.effect)).collect()
    };
    let mut out = Vec::new();
    let mut differ = |same: bool, name: &'static str| {
        if !same {
            out.push(name);
        }
    };
    differ(stored.status == recomputed.status, "status");
    differ(codes(stored) == codes(recomputed), "reasons");
    differ(
        stored.policy_version == recomputed.policy_version,
        "policyVersion",
    );
    differ(stored.decided_at == recomputed.decided_at, "decidedAt");
    differ(stored.dti_bps == recomputed.dti_bps, "dtiBps");
    differ(stored.terms == recomputed.terms, "terms");
    differ(stored.offer == recomputed.offer, "offer");
    differ(
        stored.counter_offer == recomputed.counter_offer,
        "counterOffer",
    );
    out
}
