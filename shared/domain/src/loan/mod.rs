//! Loan pre-approval: an explainable decision from an application and a versioned
//! credit policy, the level-payment formula in integer minor units, and the workflow
//! from the automated decision to the customer's final answer.
//!
//! Plain functions over plain values, so that the decision can be replayed years later
//! from a stored snapshot, and so that other services (recommendations) reuse the same
//! affordability rule rather than copying it: [`affordability`], [`decide`],
//! [`monthly_payment`].

mod amortization;
mod counter;
mod decision;
#[cfg(test)]
mod decision_table;
mod input;
mod policy;
mod rules;
mod workflow;

pub use amortization::{
    AmortizationError, Annuity, MAX_ANNUAL_RATE_BPS, MAX_PRINCIPAL_MINOR, MAX_TERM_MONTHS,
    monthly_payment,
};
pub use decision::{
    CounterOffer, CustomerFacts, Decision, ErasedInput, ErasedSnapshot, Offer, Reason, Snapshot,
    StoredSnapshot, Terms, check_currency, decide, differences, offer_expiry,
};
pub use input::{
    ApplicationInput, ApplicationRequest, MAX_EMPLOYMENT_MONTHS, MAX_NOTE_CHARS, MAX_PURPOSE_CHARS,
    TransitionCommand, TransitionRequest,
};
pub use policy::{
    FULL_BPS, MAX_OFFER_VALIDITY_DAYS, MAX_RATE_BANDS, MAX_SCORE, MIN_SCORE, Policy, ProductPolicy,
    Products, RateBand, ReferralBand,
};
pub use rules::{Affordability, Verdict, affordability};
pub use workflow::{
    Refusal, allowed_next, allowed_now, check_transition, effective_status, is_open,
};

pub use crate::customer::{CustomerStatus, EmploymentStatus, KycStatus};
pub use crate::id::LoanApplicationId;

use crate::closed_enum;

/// Milliseconds in a day, for offer validity.
pub const DAY_MS: i64 = 86_400_000;

closed_enum!(
    /// The loan products the bank pre-approves.
    LoanProduct {
        Personal = "personal",
        Auto = "auto",
        Mortgage = "mortgage",
        CreditCard = "credit_card",
    }
);

closed_enum!(
    /// What the automated decision concluded.
    DecisionStatus {
        PreApproved = "pre_approved",
        Referred = "referred",
        Declined = "declined",
    }
);

closed_enum!(
    /// Where an application stands in its workflow.
    ApplicationStatus {
        PreApproved = "pre_approved",
        Referred = "referred",
        UnderReview = "under_review",
        Approved = "approved",
        Declined = "declined",
        Accepted = "accepted",
        Expired = "expired",
        Withdrawn = "withdrawn",
    }
);

impl From<DecisionStatus> for ApplicationStatus {
    fn from(status: DecisionStatus) -> Self {
        match status {
            DecisionStatus::PreApproved => ApplicationStatus::PreApproved,
            DecisionStatus::Referred => ApplicationStatus::Referred,
            DecisionStatus::Declined => ApplicationStatus::Declined,
        }
    }
}

closed_enum!(
    /// What a fired rule does to the decision.
    Effect {
        /// The application is declined.
        Decline = "decline",
        /// A person must review it.
        Refer = "refer",
    }
);

closed_enum!(
    /// Stable machine codes of the rules a decision reports.
    ReasonCode {
        CustomerErased = "customer_erased",
        CustomerClosed = "customer_closed",
        CustomerDormant = "customer_dormant",
        KycNotVerified = "kyc_not_verified",
        UnemployedWithoutIncome = "unemployed_without_income",
        EmploymentTooShort = "employment_too_short",
        ScoreBelowMin = "score_below_min",
        ScoreNearMin = "score_near_min",
        AmountBelowProductMin = "amount_below_product_min",
        AmountAboveProductMax = "amount_above_product_max",
        AmountNearProductMax = "amount_near_product_max",
        TermBelowProductMin = "term_below_product_min",
        TermAboveProductMax = "term_above_product_max",
        DtiAboveMax = "dti_above_max",
        DtiNearMax = "dti_near_max",
        /// A customer applied for themself and the bank holds no score or income of its
        /// own: a person verifies the figures.
        FiguresSelfDeclared = "figures_self_declared",
    }
);

impl ReasonCode {
    /// Whether the rule declines or refers.
    pub fn effect(self) -> Effect {
        match self {
            ReasonCode::CustomerDormant
            | ReasonCode::EmploymentTooShort
            | ReasonCode::ScoreNearMin
            | ReasonCode::AmountNearProductMax
            | ReasonCode::DtiNearMax
            | ReasonCode::FiguresSelfDeclared => Effect::Refer,
            _ => Effect::Decline,
        }
    }

    /// Declines that other terms (a smaller amount, a longer term) could cure, so a
    /// counter-offer is worth searching for.
    pub fn curable_by_terms(self) -> bool {
        matches!(
            self,
            ReasonCode::DtiAboveMax
                | ReasonCode::AmountAboveProductMax
                | ReasonCode::TermAboveProductMax
        )
    }
}

pub use crate::invalid::Invalid;
