//! The score of an admitted product: a base plus documented contributions, each one a
//! [`Reason`] with its points (`docs/recommendations.md` lists every weight). Integer
//! arithmetic only, so the same signals always give the same order.

use super::filters::{Admitted, percent};
use super::product::risk_limit;
use super::rank::{CustomerView, RankingContext, Signals};
use super::{Category, DAY_MS, FeedbackAction, Product, Reason, ReasonCode};
use crate::customer::ValueTier;
use crate::loan::{ApplicationStatus, LoanProduct, Verdict};
use crate::time::Timestamp;

/// Every admitted product starts here, so that scores read as positive numbers.
pub const BASE_SCORE: i64 = 50;
/// An inquiry counts for this many days.
pub const INQUIRY_WINDOW_DAYS: i64 = 90;
/// Feedback counts for this many days.
pub const FEEDBACK_WINDOW_DAYS: i64 = 180;
/// From this many unanswered showings an offer counts as ignored.
pub const IGNORED_AFTER_SHOWS: i64 = 3;
/// A product whose minimum monthly income is at least this (10,000.00 CNY) is premium.
pub const PREMIUM_INCOME_MINOR: i64 = 1_000_000;

/// A customer's life stage, from age.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LifeStage {
    /// Under 30: building a first relationship.
    Starting,
    /// 30–44: family, home, protection.
    Establishing,
    /// 45–59: accumulating for retirement.
    Accumulating,
    /// 60 and over: preserving capital and income.
    Preserving,
}

impl LifeStage {
    /// The stage at `age`.
    pub fn at(age: i64) -> LifeStage {
        match age {
            ..30 => LifeStage::Starting,
            30..45 => LifeStage::Establishing,
            45..60 => LifeStage::Accumulating,
            _ => LifeStage::Preserving,
        }
    }

    fn label(self) -> &'static str {
        match self {
            LifeStage::Starting => "under 30",
            LifeStage::Establishing => "30–44",
            LifeStage::Accumulating => "45–59",
            LifeStage::Preserving => "60 and over",
        }
    }

    /// Points for a product of `category` at this stage.
    pub fn affinity(self, category: Category) -> i64 {
        use Category::*;
        match (self, category) {
            (LifeStage::Starting, Card) => 15,
            (LifeStage::Starting, Savings | Fund) => 10,
            (LifeStage::Starting, Loan) => 5,
            (LifeStage::Establishing, Loan | Insurance | Fund) => 10,
            (LifeStage::Establishing, Card | Savings | Deposit) => 5,
            (LifeStage::Accumulating, Deposit | Fund | Insurance) => 10,
            (LifeStage::Accumulating, Savings) => 5,
            (LifeStage::Preserving, Deposit) => 20,
            (LifeStage::Preserving, Savings) => 15,
            (LifeStage::Preserving, Insurance) => 5,
            (LifeStage::Preserving, Loan) => -10,
            _ => 0,
        }
    }
}

struct Tally(Vec<Reason>);

impl Tally {
    fn add(&mut self, code: ReasonCode, points: i64, message: impl Into<String>) {
        if points != 0 {
            self.0.push(Reason {
                code,
                message: message.into(),
                points,
            });
        }
    }
}

/// The latest inquiry in the window about each category, computed once per ranking:
/// matching every subject against every category's keywords once per product cost
/// more than all the rest of a ranking (fuel measured in `tests/e2e/tests/fuel.rs`).
pub(super) fn latest_inquiries(signals: &Signals, now: Timestamp) -> Vec<(Category, Timestamp)> {
    let mut latest: Vec<(Category, Timestamp)> = Vec::new();
    let window = INQUIRY_WINDOW_DAYS * DAY_MS;
    for inquiry in &signals.inquiries {
        if now.unix_millis() - inquiry.at.unix_millis() >= window {
            continue;
        }
        for category in Category::mentioned_in(&inquiry.subject) {
            match latest.iter_mut().find(|(c, _)| *c == category) {
                Some((_, at)) => *at = (*at).max(inquiry.at),
                None => latest.push((category, inquiry.at)),
            }
        }
    }
    latest
}

/// The score of `product` and its reasons, strongest first; `asked` is
/// [`latest_inquiries`] of the same signals.
pub(super) fn score(
    product: &Product,
    catalogue: &[Product],
    customer: &CustomerView,
    signals: &Signals,
    ctx: &RankingContext<'_>,
    admitted: &Admitted,
    asked: &[(Category, Timestamp)],
) -> (i64, Vec<Reason>) {
    let mut t = Tally(Vec::new());
    let category = product.category;

    let limit = risk_limit(customer.risk_tolerance);
    if category.is_investment() {
        let tolerance = customer.risk_tolerance;
        match limit - product.risk_level {
            0 => t.add(
                ReasonCode::RiskMatch,
                15,
                format!("matches {tolerance} risk tolerance"),
            ),
            1 => t.add(
                ReasonCode::RiskMatch,
                8,
                format!("suits {tolerance} risk tolerance"),
            ),
            _ => {}
        }
    }

    if let Some(age) = customer.age {
        let stage = LifeStage::at(age);
        let points = stage.affinity(category);
        let message = if points > 0 {
            format!("{category} products suit customers {}", stage.label())
        } else {
            format!(
                "{category} products rarely suit customers {}",
                stage.label()
            )
        };
        t.add(ReasonCode::LifeStage, points, message);
    }

    if !product.segments.is_empty() {
        let names: Vec<&str> = product.segments.iter().map(|s| s.as_str()).collect();
        if product.segments.contains(&customer.segment) {
            t.add(
                ReasonCode::SegmentFit,
                10,
                format!("designed for the {} segment", customer.segment),
            );
        } else {
            t.add(
                ReasonCode::SegmentMismatch,
                -30,
                format!("designed for {} customers", names.join(", ")),
            );
        }
    }

    let premium = product.min_monthly_income.minor_units >= PREMIUM_INCOME_MINOR;
    let tier = customer.value_tier;
    let tier_points = match tier {
        ValueTier::Standard => 0,
        ValueTier::Priority => {
            if premium {
                10
            } else {
                0
            }
        }
        ValueTier::Wealth => {
            (if premium { 15 } else { 0 }) + if category.is_investment() { 10 } else { 0 }
        }
    };
    let what = if premium {
        "a premium product"
    } else {
        "an investment"
    };
    t.add(
        ReasonCode::ValueTier,
        tier_points,
        format!("{what} for a {tier} customer"),
    );

    if category == Category::Card {
        match signals.loyalty_tier.as_deref() {
            Some("gold") => t.add(
                ReasonCode::LoyaltyTier,
                5,
                "gold loyalty member: card spend earns bonus points",
            ),
            Some("platinum") => t.add(
                ReasonCode::LoyaltyTier,
                10,
                "platinum loyalty member: card spend earns bonus points",
            ),
            _ => {}
        }
    }

    let now = ctx.now.unix_millis();
    let asked = asked
        .iter()
        .find(|(c, _)| *c == category)
        .map(|(_, at)| *at);
    if let Some(at) = asked {
        t.add(
            ReasonCode::RecentInquiry,
            25,
            format!("customer asked about {category} on {}", at.date()),
        );
    }

    complements(product, customer, signals, &mut t);
    feedback(product, catalogue, signals, now, &mut t);

    if let Some((payment, verdict)) = admitted.loan {
        let dti = verdict.dti_bps.map(percent).unwrap_or_default();
        match verdict.verdict {
            Verdict::Pass => t.add(
                ReasonCode::Affordable,
                5,
                format!("a {payment} instalment keeps debt-to-income at {dti}"),
            ),
            Verdict::Refer | Verdict::Fail => t.add(
                ReasonCode::NearAffordabilityLimit,
                -10,
                format!("a {payment} instalment brings debt-to-income to {dti}, near the limit"),
            ),
        }
    }

    let mut reasons = t.0;
    let score = BASE_SCORE + reasons.iter().map(|r| r.points).sum::<i64>();
    reasons.sort_by(|a, b| b.points.cmp(&a.points).then(a.code.cmp(&b.code)));
    (score, reasons)
}

/// Products that go with what the customer holds.
fn complements(product: &Product, customer: &CustomerView, signals: &Signals, t: &mut Tally) {
    let holds = |code: &str| customer.holdings.iter().any(|h| h == code);
    if product.category == Category::Card && holds("SALARY_ACCOUNT") {
        t.add(
            ReasonCode::ComplementsHolding,
            20,
            "complements the salary account the customer holds",
        );
    }
    let has_mortgage = holds("LOAN_MORTGAGE")
        || signals
            .loans
            .iter()
            .any(|l| l.product == LoanProduct::Mortgage && l.status == ApplicationStatus::Accepted);
    if product.code.starts_with("INS_HOME") && has_mortgage {
        t.add(
            ReasonCode::ComplementsHolding,
            30,
            "protects the home the customer's mortgage paid for",
        );
    }
    if product.category == Category::Fund
        && customer.holdings.iter().any(|h| h.starts_with("DEPOSIT_"))
    {
        t.add(
            ReasonCode::ComplementsHolding,
            5,
            "diversifies the deposits the customer holds",
        );
    }
}

/// What the customer did with earlier offers: acceptance raises similar products,
/// a click raises the product, repeated showings without a response lower the product
/// and, by half, its category.
fn feedback(product: &Product, catalogue: &[Product], signals: &Signals, now: i64, t: &mut Tally) {
    let recent = |at: i64| now - at < FEEDBACK_WINDOW_DAYS * DAY_MS;
    let category_of = |code: &str| {
        catalogue
            .iter()
            .find(|p| p.code == code)
            .map(|p| p.category)
    };

    let accepted_similar = signals
        .feedback
        .iter()
        .filter(|f| f.action == FeedbackAction::Accepted && recent(f.at.unix_millis()))
        .filter(|f| f.product_code != product.code)
        .filter(|f| category_of(&f.product_code) == Some(product.category))
        .max_by_key(|f| f.at);
    if let Some(f) = accepted_similar {
        t.add(
            ReasonCode::SimilarAccepted,
            15,
            format!(
                "similar to {}, which the customer accepted on {}",
                f.product_code,
                f.at.date()
            ),
        );
    }

    let clicked = signals
        .feedback
        .iter()
        .filter(|f| f.product_code == product.code && f.action == FeedbackAction::Clicked)
        .filter(|f| recent(f.at.unix_millis()))
        .map(|f| f.at)
        .max();
    if let Some(at) = clicked {
        t.add(
            ReasonCode::Clicked,
            10,
            format!("customer clicked this offer on {}", at.date()),
        );
    }

    let own = ignored_shows(signals, &product.code, now);
    if own >= IGNORED_AFTER_SHOWS {
        t.add(
            ReasonCode::Ignored,
            (-10 * (own - IGNORED_AFTER_SHOWS + 1)).max(-40),
            format!("shown {own} times without a response"),
        );
    }
    let mut similar: Vec<&str> = signals
        .feedback
        .iter()
        .filter(|f| f.product_code != product.code)
        .filter(|f| category_of(&f.product_code) == Some(product.category))
        .map(|f| f.product_code.as_str())
        .collect();
    similar.sort_unstable();
    similar.dedup();
    let worst = similar
        .into_iter()
        .map(|code| (ignored_shows(signals, code, now), code))
        .filter(|(n, _)| *n >= IGNORED_AFTER_SHOWS)
        .max();
    if let Some((n, code)) = worst {
        t.add(
            ReasonCode::SimilarIgnored,
            (-5 * (n - IGNORED_AFTER_SHOWS + 1)).max(-20),
            format!("similar to {code}, shown {n} times without a response"),
        );
    }
}

/// How many times `code` was shown, within the feedback window, after the customer last
/// responded to it (click, accept or dismiss).
fn ignored_shows(signals: &Signals, code: &str, now: i64) -> i64 {
    let window_start = now - FEEDBACK_WINDOW_DAYS * DAY_MS;
    let of_product = signals
        .feedback
        .iter()
        .filter(|f| f.product_code == code && f.at.unix_millis() > window_start);
    let last_response = of_product
        .clone()
        .filter(|f| f.action != FeedbackAction::Shown)
        .map(|f| f.at.unix_millis())
        .max()
        .unwrap_or(i64::MIN);
    of_product
        .filter(|f| f.action == FeedbackAction::Shown && f.at.unix_millis() > last_response)
        .count() as i64
}
