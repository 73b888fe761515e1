//! The hard filters: conditions under which a product is never offered, whatever its
//! score. Each has a stable code, so a caller (and a test) can see which one fired.

use super::product::risk_limit;
use super::rank::{CustomerView, RankingContext, Signals};
use super::{ConsentRequirement, DAY_MS, FeedbackAction, MarketingChannel, Product};
use crate::closed_enum;
use crate::loan::{Affordability, ApplicationStatus, Verdict, affordability, monthly_payment};
use crate::money::Money;
use serde::Serialize;

/// A product dismissed within this many days is not offered again.
pub const RECENT_DISMISSAL_DAYS: i64 = 30;
/// A loan product declined by the loan service within this many days is not offered.
pub const RECENT_DECLINE_DAYS: i64 = 30;

closed_enum!(
    /// Why a product is not offered.
    ExclusionCode {
        ProductInactive = "product_inactive",
        AlreadyHeld = "already_held",
        LoanApplicationOpen = "loan_application_open",
        AgeOutOfRange = "age_out_of_range",
        IncomeBelowMinimum = "income_below_minimum",
        RiskAboveTolerance = "risk_above_tolerance",
        LoanUnaffordable = "loan_unaffordable",
        LoanRecentlyDeclined = "loan_recently_declined",
        DismissedRecently = "dismissed_recently",
        NoMarketingConsent = "no_marketing_consent",
        OpenComplaint = "open_complaint",
    }
);

impl ExclusionCode {
    /// The customer field whose value the filter's message quotes.
    pub fn reveals(self) -> Option<&'static str> {
        match self {
            ExclusionCode::AgeOutOfRange => Some("dateOfBirth"),
            ExclusionCode::IncomeBelowMinimum | ExclusionCode::LoanUnaffordable => {
                Some("monthlyIncome")
            }
            ExclusionCode::RiskAboveTolerance => Some("riskTolerance"),
            ExclusionCode::AlreadyHeld => Some("holdings"),
            _ => None,
        }
    }
}

/// A hard filter that fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Exclusion {
    /// Stable machine code.
    pub code: ExclusionCode,
    /// For a person.
    pub message: String,
}

fn out(code: ExclusionCode, message: impl Into<String>) -> Result<Admitted, Exclusion> {
    Err(Exclusion {
        code,
        message: message.into(),
    })
}

/// What the filters learned about an admitted product that scoring uses.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Admitted {
    /// For a loan product: the typical instalment and its affordability verdict.
    pub(super) loan: Option<(Money, Affordability)>,
}

/// The first hard filter `product` fails for this customer, or what scoring needs.
pub(super) fn check(
    product: &Product,
    customer: &CustomerView,
    signals: &Signals,
    ctx: &RankingContext<'_>,
) -> Result<Admitted, Exclusion> {
    use ExclusionCode::*;
    let now = ctx.now.unix_millis();
    if !product.active {
        return out(ProductInactive, "the product is not offered at the moment");
    }
    if customer.holdings.iter().any(|h| h == &product.code) {
        return out(AlreadyHeld, "the customer already holds this product");
    }
    if signals
        .feedback
        .iter()
        .any(|f| f.product_code == product.code && f.action == FeedbackAction::Accepted)
    {
        return out(AlreadyHeld, "the customer accepted this product");
    }
    if let Some(terms) = product.loan {
        for loan in signals.loans.iter().filter(|l| l.product == terms.product) {
            match loan.status {
                ApplicationStatus::Accepted => {
                    return out(
                        AlreadyHeld,
                        format!("the customer took a {} loan", terms.product),
                    );
                }
                ApplicationStatus::PreApproved
                | ApplicationStatus::Referred
                | ApplicationStatus::UnderReview
                | ApplicationStatus::Approved => {
                    return out(
                        LoanApplicationOpen,
                        format!("a {} application is being decided", terms.product),
                    );
                }
                ApplicationStatus::Declined
                    if now - loan.updated_at.unix_millis() < RECENT_DECLINE_DAYS * DAY_MS =>
                {
                    return out(
                        LoanRecentlyDeclined,
                        format!(
                            "a {} application was declined on {}",
                            terms.product,
                            loan.updated_at.date()
                        ),
                    );
                }
                _ => {}
            }
        }
    }
    match customer.age {
        Some(age) if (product.min_age..=product.max_age).contains(&age) => {}
        Some(age) => {
            return out(
                AgeOutOfRange,
                format!(
                    "age {age} is outside {}–{}",
                    product.min_age, product.max_age
                ),
            );
        }
        None => return out(AgeOutOfRange, "the customer's age is unknown"),
    }
    let minimum = product.min_monthly_income;
    if minimum.minor_units > 0 {
        match customer.monthly_income {
            Some(income)
                if income.currency == minimum.currency
                    && income.minor_units >= minimum.minor_units => {}
            Some(income) if income.currency == minimum.currency => {
                return out(
                    IncomeBelowMinimum,
                    format!("monthly income {income} is below the {minimum} minimum"),
                );
            }
            _ => {
                return out(
                    IncomeBelowMinimum,
                    format!("no monthly income in {} is known", minimum.currency),
                );
            }
        }
    }
    let limit = risk_limit(customer.risk_tolerance);
    if product.risk_level > limit {
        return out(
            RiskAboveTolerance,
            format!(
                "risk level {} is above {limit}, the most a {} customer may take",
                product.risk_level, customer.risk_tolerance
            ),
        );
    }
    let loan = match product.loan {
        Some(_) => Some(loan_affordability(product, customer, signals, ctx)?),
        None => None,
    };
    if signals.feedback.iter().any(|f| {
        f.product_code == product.code
            && f.action == FeedbackAction::Dismissed
            && now - f.at.unix_millis() < RECENT_DISMISSAL_DAYS * DAY_MS
    }) {
        return out(
            DismissedRecently,
            format!("dismissed by the customer within {RECENT_DISMISSAL_DAYS} days"),
        );
    }
    for needed in consent_needed(product.requires_consent, ctx) {
        if !customer.consent.granted(needed) {
            return out(
                NoMarketingConsent,
                format!("the customer has not agreed to {needed} marketing"),
            );
        }
    }
    if signals.open_complaint && product.requires_consent.is_sales() {
        return out(OpenComplaint, "no sales offer while a complaint is open");
    }
    Ok(Admitted { loan })
}

/// The marketing consents an offer of a product with `requirement` needs on the request's
/// channel: the channel's own when it is outbound, and the product's own channel.
fn consent_needed(
    requirement: ConsentRequirement,
    ctx: &RankingContext<'_>,
) -> Vec<MarketingChannel> {
    let mut needed = Vec::new();
    if requirement.is_sales()
        && let Some(channel) = ctx.channel.and_then(|c| c.consent())
    {
        needed.push(channel);
    }
    let own = match requirement {
        ConsentRequirement::Email => Some(MarketingChannel::Email),
        ConsentRequirement::Sms => Some(MarketingChannel::Sms),
        ConsentRequirement::Push => Some(MarketingChannel::Push),
        ConsentRequirement::Phone => Some(MarketingChannel::Phone),
        ConsentRequirement::None | ConsentRequirement::Marketing => None,
    };
    if let Some(own) = own
        && !needed.contains(&own)
    {
        needed.push(own);
    }
    needed
}

/// The loan service's own affordability rule on the product's typical loan, priced with
/// the policy in force at the customer's score (the grid's highest rate when the score
/// is unknown, so an unknown score never makes a loan look cheaper).
fn loan_affordability(
    product: &Product,
    customer: &CustomerView,
    signals: &Signals,
    ctx: &RankingContext<'_>,
) -> Result<(Money, Affordability), Exclusion> {
    use ExclusionCode::LoanUnaffordable;
    let fail = |message: String| Exclusion {
        code: LoanUnaffordable,
        message,
    };
    let Some(terms) = product.loan else {
        return Err(fail("the product names no loan terms".into()));
    };
    let policy = ctx.policy;
    let rules = policy.products.get(terms.product);
    let currency = policy.currency;
    if terms.amount.currency != currency {
        return Err(fail(format!("the loan policy lends in {currency} only")));
    }
    let rate = match customer.credit_score {
        Some(score) => rules.rate_for(score).ok_or_else(|| {
            fail(format!(
                "credit score {score} is below every band of the {} rate grid",
                terms.product
            ))
        })?,
        None => rules
            .rate_grid
            .iter()
            .map(|b| b.annual_rate_bps)
            .max()
            .ok_or_else(|| fail(format!("the {} rate grid is empty", terms.product)))?,
    };
    let payment = monthly_payment(terms.amount.minor_units, rate, terms.term_months)
        .map_err(|e| fail(format!("the loan cannot be priced: {e}")))?;
    let income = customer
        .monthly_income
        .filter(|m| m.currency == currency)
        .map_or(0, |m| m.minor_units);
    let debt = signals
        .monthly_debt
        .filter(|m| m.currency == currency)
        .map_or(0, |m| m.minor_units);
    let verdict = affordability(
        income,
        debt,
        payment,
        rules.max_dti_bps,
        policy.referral.dti_margin_bps,
    );
    let payment = Money::new(payment, currency);
    if verdict.verdict == Verdict::Fail {
        let dti = verdict
            .dti_bps
            .map(|bps| format!("debt-to-income {}", percent(bps)))
            .unwrap_or_else(|| "no monthly income to repay from".into());
        return Err(fail(format!(
            "a {payment} instalment fails the loan policy: {dti} against a {} maximum",
            percent(rules.max_dti_bps)
        )));
    }
    Ok((payment, verdict))
}

/// Basis points as a percentage with two decimals.
pub(super) fn percent(bps: i64) -> String {
    format!("{}.{:02}%", bps / 100, (bps % 100).abs())
}
