//! The recommendation domain: the product catalogue, the hard filters that keep an
//! unsuitable offer from ever being made, and the documented, deterministic scoring that
//! ranks what is left, each contribution explained by a stable code and a message.
//!
//! Plain functions over plain values: the `crm-recommend` crate gathers a customer's
//! signals through the store's read models and calls [`rank`]; nothing here does I/O.

mod filters;
mod product;
mod rank;
mod scoring;
#[cfg(test)]
mod tests;

pub use filters::{Exclusion, ExclusionCode, RECENT_DECLINE_DAYS, RECENT_DISMISSAL_DAYS};
pub use product::{
    LoanTerms, MAX_CODE_CHARS, MAX_NAME_CHARS, Product, ProductBody, risk_limit, valid_code,
};
pub use rank::{
    CustomerView, Excluded, FeedbackEvent, Inquiry, LoanSignal, MarketingConsent, Ranked, Ranking,
    RankingContext, SAME_CATEGORY_PENALTY, Signals, rank,
};
pub use scoring::{
    BASE_SCORE, FEEDBACK_WINDOW_DAYS, IGNORED_AFTER_SHOWS, INQUIRY_WINDOW_DAYS, LifeStage,
    PREMIUM_INCOME_MINOR,
};

use crate::closed_enum;
use serde::Serialize;

crate::prefixed_id!(
    /// A recorded reaction to an offer (`rfb_…`).
    FeedbackId,
    "rfb"
);

/// The version of the ranking rules, reported with every answer so that a change in the
/// weights can be told apart in feedback statistics.
pub const MODEL_VERSION: &str = "rules-2026.1";

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

closed_enum!(
    /// What kind of product it is.
    Category {
        Card = "card",
        Savings = "savings",
        Deposit = "deposit",
        Fund = "fund",
        Insurance = "insurance",
        Loan = "loan",
    }
);

impl Category {
    /// Words in an inquiry's subject that name this category (lower case, matched as
    /// substrings of the lower-cased subject, so `savings` and `saving` both count).
    pub fn keywords(self) -> &'static [&'static str] {
        match self {
            Category::Card => &["card"],
            Category::Savings => &["saving"],
            Category::Deposit => &["deposit", "cd "],
            Category::Fund => &["fund", "invest"],
            Category::Insurance => &["insur", "cover", "protection"],
            Category::Loan => &["loan", "mortgage", "borrow", "credit line"],
        }
    }

    /// The categories an inquiry subject mentions, in declaration order.
    pub fn mentioned_in(subject: &str) -> Vec<Category> {
        let subject = format!("{} ", subject.to_lowercase());
        Category::ALL
            .iter()
            .copied()
            .filter(|c| c.keywords().iter().any(|k| subject.contains(k)))
            .collect()
    }

    /// Investment categories, where the product's risk level is matched to the
    /// customer's tolerance in scoring (every category is filtered by it).
    pub fn is_investment(self) -> bool {
        matches!(self, Category::Fund | Category::Deposit)
    }
}

closed_enum!(
    /// Which consent a product's offer needs. `marketing`: consent for the channel the
    /// offer is made on; a channel name: consent for that channel whatever the request
    /// channel (the product is sold through it); `none`: a service product, not a sales
    /// offer (needs no consent and is not suppressed by an open complaint).
    ConsentRequirement {
        None = "none",
        Marketing = "marketing",
        Email = "email",
        Sms = "sms",
        Push = "push",
        Phone = "phone",
    }
);

impl ConsentRequirement {
    /// Whether an offer of the product is a sales offer.
    pub fn is_sales(self) -> bool {
        self != ConsentRequirement::None
    }
}

closed_enum!(
    /// Where an offer is shown (the `channel` query parameter and feedback). `email`,
    /// `sms`, `push` and `phone` are outbound marketing channels and need the customer's
    /// marketing consent for that channel; the others are sessions the customer started.
    Channel {
        Email = "email",
        Sms = "sms",
        Push = "push",
        Phone = "phone",
        MobileApp = "mobile_app",
        Web = "web",
        Branch = "branch",
        RmVisit = "rm_visit",
        Chat = "chat",
    }
);

closed_enum!(
    /// The marketing consent channels of the customer profile.
    MarketingChannel { Email = "email", Sms = "sms", Push = "push", Phone = "phone" }
);

impl Channel {
    /// The marketing consent an offer on this channel needs, if it is outbound.
    pub fn consent(self) -> Option<MarketingChannel> {
        match self {
            Channel::Email => Some(MarketingChannel::Email),
            Channel::Sms => Some(MarketingChannel::Sms),
            Channel::Push => Some(MarketingChannel::Push),
            Channel::Phone => Some(MarketingChannel::Phone),
            _ => None,
        }
    }
}

closed_enum!(
    /// What the customer did with an offer.
    FeedbackAction {
        Shown = "shown",
        Clicked = "clicked",
        Accepted = "accepted",
        Dismissed = "dismissed",
    }
);

closed_enum!(
    /// Stable codes of the reasons an offer is ranked where it is.
    ReasonCode {
        RiskMatch = "risk_match",
        LifeStage = "life_stage",
        SegmentFit = "segment_fit",
        SegmentMismatch = "segment_mismatch",
        ValueTier = "value_tier",
        LoyaltyTier = "loyalty_tier",
        RecentInquiry = "recent_inquiry",
        ComplementsHolding = "complements_holding",
        SimilarAccepted = "similar_accepted",
        Clicked = "clicked",
        Ignored = "ignored",
        SimilarIgnored = "similar_ignored",
        SameCategory = "same_category",
        Affordable = "affordable",
        NearAffordabilityLimit = "near_affordability_limit",
    }
);

impl ReasonCode {
    /// The customer field whose value the reason's message quotes (`docs/security.md`:
    /// a caller who may not see that field gets the code and points without the figure).
    pub fn reveals(self) -> Option<&'static str> {
        match self {
            ReasonCode::RiskMatch => Some("riskTolerance"),
            ReasonCode::LifeStage => Some("dateOfBirth"),
            ReasonCode::Affordable | ReasonCode::NearAffordabilityLimit => Some("monthlyIncome"),
            ReasonCode::ComplementsHolding => Some("holdings"),
            _ => None,
        }
    }
}

/// One explained contribution to a score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reason {
    /// Stable machine code.
    pub code: ReasonCode,
    /// For a person ("customer asked about savings on 2026-11-20").
    pub message: String,
    /// Points added (negative: taken away).
    pub points: i64,
}

pub use crate::invalid::Invalid;
