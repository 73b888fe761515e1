//! The inputs of a ranking (the customer as the profile stores them, the behaviour
//! signals other services hold, the request's context) and [`rank`] itself.

use super::filters::{Exclusion, check};
use super::scoring::{latest_inquiries, score};
use super::{Category, Channel, FeedbackAction, MarketingChannel, Product, Reason, ReasonCode};
use crate::customer::{RiskTolerance, Segment, ValueTier};
use crate::loan::{ApplicationStatus, LoanProduct, Policy};
use crate::money::Money;
use crate::time::Timestamp;
use serde::Serialize;

/// Points taken from each further product of a category already ranked higher, so that
/// the first offers cover different needs.
pub const SAME_CATEGORY_PENALTY: i64 = 20;

/// Marketing consent per channel: granted or not (never asked counts as not granted).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MarketingConsent {
    /// E-mail.
    pub email: bool,
    /// SMS.
    pub sms: bool,
    /// Push notifications.
    pub push: bool,
    /// Phone calls.
    pub phone: bool,
}

impl MarketingConsent {
    /// Whether the customer agreed to marketing on `channel`.
    pub fn granted(self, channel: MarketingChannel) -> bool {
        match channel {
            MarketingChannel::Email => self.email,
            MarketingChannel::Sms => self.sms,
            MarketingChannel::Push => self.push,
            MarketingChannel::Phone => self.phone,
        }
    }
}

/// What the ranking knows of the customer's profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerView {
    /// Business segment.
    pub segment: Segment,
    /// Value tier.
    pub value_tier: ValueTier,
    /// Investment risk tolerance.
    pub risk_tolerance: RiskTolerance,
    /// Age in whole years at the time of ranking, when the birth date is known.
    pub age: Option<i64>,
    /// Monthly income, when known.
    pub monthly_income: Option<Money>,
    /// Credit bureau score, when known.
    pub credit_score: Option<i64>,
    /// Codes of the products held.
    pub holdings: Vec<String>,
    /// Marketing consent.
    pub consent: MarketingConsent,
}

/// An inquiry the customer made (interaction type `inquiry`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inquiry {
    /// Its subject line, searched for category keywords.
    pub subject: String,
    /// When it happened.
    pub at: Timestamp,
}

/// A loan application and where it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoanSignal {
    /// The loan product.
    pub product: LoanProduct,
    /// Its status now.
    pub status: ApplicationStatus,
    /// When the status last changed.
    pub updated_at: Timestamp,
}

/// One recorded reaction to an offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedbackEvent {
    /// The product offered.
    pub product_code: String,
    /// What the customer did.
    pub action: FeedbackAction,
    /// When.
    pub at: Timestamp,
}

/// Behaviour held by other services and by the recommendations service itself; each
/// missing signal is empty and contributes nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Signals {
    /// A complaint case is not closed.
    pub open_complaint: bool,
    /// The loyalty tier name, when the customer has a loyalty account.
    pub loyalty_tier: Option<String>,
    /// Recent inquiries.
    pub inquiries: Vec<Inquiry>,
    /// Loan applications.
    pub loans: Vec<LoanSignal>,
    /// Monthly debt payments known to the bank.
    pub monthly_debt: Option<Money>,
    /// Feedback on earlier offers.
    pub feedback: Vec<FeedbackEvent>,
}

/// The request's circumstances.
#[derive(Debug, Clone, Copy)]
pub struct RankingContext<'a> {
    /// The time of ranking.
    pub now: Timestamp,
    /// Where the offers will be shown, when the caller says.
    pub channel: Option<Channel>,
    /// The credit policy in force, for the affordability of loan products.
    pub policy: &'a Policy,
}

/// An admitted product with its score and reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Ranked {
    /// The product's code.
    pub product_code: String,
    /// Its name.
    pub name: String,
    /// Its category.
    pub category: Category,
    /// The score: [`super::BASE_SCORE`] plus every reason's points.
    pub score: i64,
    /// Every contribution, strongest first.
    pub reasons: Vec<Reason>,
}

/// A product a hard filter excluded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Excluded {
    /// The product's code.
    pub product_code: String,
    /// The first filter that fired.
    pub filter: Exclusion,
}

/// The outcome: every admitted product best first, and every excluded one with why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ranking {
    /// Admitted products, by score (highest first), then code.
    pub items: Vec<Ranked>,
    /// Excluded products, in catalogue order.
    pub excluded: Vec<Excluded>,
}

/// Ranks `catalogue` for `customer`: hard filters first, then the score; ties go to the
/// lower product code. Each further product of a category already ranked higher loses
/// [`SAME_CATEGORY_PENALTY`] points per product above it, so the first offers differ.
pub fn rank(
    catalogue: &[Product],
    customer: &CustomerView,
    signals: &Signals,
    ctx: &RankingContext<'_>,
) -> Ranking {
    let mut ranking = Ranking::default();
    let asked = latest_inquiries(signals, ctx.now);
    for product in catalogue {
        match check(product, customer, signals, ctx) {
            Ok(admitted) => {
                let (score, reasons) = score(
                    product, catalogue, customer, signals, ctx, &admitted, &asked,
                );
                ranking.items.push(Ranked {
                    product_code: product.code.clone(),
                    name: product.name.clone(),
                    category: product.category,
                    score,
                    reasons,
                });
            }
            Err(filter) => ranking.excluded.push(Excluded {
                product_code: product.code.clone(),
                filter,
            }),
        }
    }
    let order = |a: &Ranked, b: &Ranked| {
        b.score
            .cmp(&a.score)
            .then_with(|| a.product_code.cmp(&b.product_code))
    };
    ranking.items.sort_by(order);
    let mut seen: Vec<Category> = Vec::new();
    for item in &mut ranking.items {
        let above = seen.iter().filter(|c| **c == item.category).count() as i64;
        seen.push(item.category);
        if above > 0 {
            let points = -SAME_CATEGORY_PENALTY * above;
            item.score += points;
            item.reasons.push(Reason {
                code: ReasonCode::SameCategory,
                message: format!("{above} other {} offer(s) rank higher", item.category),
                points,
            });
        }
    }
    // Within a category the penalty grows with rank, so this keeps each category's order.
    ranking.items.sort_by(order);
    ranking
}
