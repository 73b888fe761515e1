//! Each hard filter alone excludes a product that otherwise ranks first; product
//! validation; keyword detection.

use super::*;
use crate::customer::{RiskTolerance, Segment, ValueTier};
use crate::loan::{ApplicationStatus, LoanProduct, Policy};
use crate::money::{Currency, Money};
use crate::time::Timestamp;

fn cny(units: i64) -> Money {
    Money::new(units * 100, Currency::Cny)
}

fn now() -> Timestamp {
    Timestamp::from_unix_millis(1_795_000_000_000)
}

fn days_ago(days: i64) -> Timestamp {
    now().plus_millis(-days * DAY_MS)
}

fn product(code: &str, category: Category, risk: i64) -> Product {
    Product {
        code: code.into(),
        name: code.into(),
        category,
        risk_level: risk,
        min_age: 18,
        max_age: 60,
        min_monthly_income: cny(5_000),
        segments: vec![Segment::Retail],
        requires_consent: ConsentRequirement::Marketing,
        active: true,
        loan: None,
    }
}

fn personal_loan() -> Product {
    let mut p = product("TOP_LOAN", Category::Loan, 1);
    p.loan = Some(LoanTerms {
        product: LoanProduct::Personal,
        amount: cny(100_000),
        term_months: 36,
    });
    p
}

fn catalogue(top: Product) -> Vec<Product> {
    let mut filler = product("FILLER", Category::Savings, 1);
    filler.segments = Vec::new();
    filler.min_monthly_income = cny(0);
    vec![top, filler]
}

fn customer() -> CustomerView {
    CustomerView {
        segment: Segment::Retail,
        value_tier: ValueTier::Standard,
        risk_tolerance: RiskTolerance::Growth,
        age: Some(30),
        monthly_income: Some(cny(20_000)),
        credit_score: Some(720),
        holdings: Vec::new(),
        consent: MarketingConsent {
            email: true,
            sms: true,
            push: true,
            phone: true,
        },
    }
}

struct Case {
    catalogue: Vec<Product>,
    customer: CustomerView,
    signals: Signals,
    channel: Option<Channel>,
}

impl Case {
    fn fund() -> Case {
        Case::of(product("TOP", Category::Fund, 4))
    }

    fn loan() -> Case {
        let mut case = Case::of(personal_loan());
        // The loan ranks first because the customer asked about one.
        case.signals.inquiries.push(Inquiry {
            subject: "personal loan rates".into(),
            at: days_ago(3),
        });
        case
    }

    fn of(top: Product) -> Case {
        Case {
            catalogue: catalogue(top),
            customer: customer(),
            signals: Signals::default(),
            channel: None,
        }
    }

    fn ranking(&self) -> Ranking {
        let policy = Policy::default_policy();
        let ctx = RankingContext {
            now: now(),
            channel: self.channel,
            policy: &policy,
        };
        rank(&self.catalogue, &self.customer, &self.signals, &ctx)
    }

    fn first(&self) -> String {
        self.ranking().items[0].product_code.clone()
    }

    /// The filter that excluded `code`, asserting it is not ranked.
    fn excluded(&self, code: &str) -> ExclusionCode {
        let ranking = self.ranking();
        assert!(ranking.items.iter().all(|i| i.product_code != code));
        ranking
            .excluded
            .iter()
            .find(|e| e.product_code == code)
            .map(|e| e.filter.code)
            .unwrap_or_else(|| panic!("{code} neither ranked nor excluded"))
    }
}

fn assert_alone_excludes(base: fn() -> Case, change: impl Fn(&mut Case), code: ExclusionCode) {
    let mut case = base();
    let top = case.catalogue[0].code.clone();
    assert_eq!(case.first(), top, "{top} ranks first before the change");
    change(&mut case);
    assert_eq!(case.excluded(&top), code);
}

#[test]
fn an_inactive_product_is_excluded() {
    assert_alone_excludes(
        Case::fund,
        |c| c.catalogue[0].active = false,
        ExclusionCode::ProductInactive,
    );
}

#[test]
fn a_product_the_customer_holds_is_excluded() {
    assert_alone_excludes(
        Case::fund,
        |c| c.customer.holdings.push("TOP".into()),
        ExclusionCode::AlreadyHeld,
    );
}

#[test]
fn a_product_the_customer_accepted_is_excluded_as_held() {
    assert_alone_excludes(
        Case::fund,
        |c| {
            c.signals.feedback.push(FeedbackEvent {
                product_code: "TOP".into(),
                action: FeedbackAction::Accepted,
                at: days_ago(400),
            })
        },
        ExclusionCode::AlreadyHeld,
    );
}

#[test]
fn an_age_outside_the_range_is_excluded_on_either_side_and_when_unknown() {
    for age in [Some(17), Some(61), None] {
        assert_alone_excludes(
            Case::fund,
            |c| c.customer.age = age,
            ExclusionCode::AgeOutOfRange,
        );
    }
}

#[test]
fn an_income_below_the_minimum_is_excluded_and_so_is_an_unknown_one() {
    for income in [
        Some(cny(4_999)),
        None,
        Some(Money::new(900_000, Currency::Usd)),
    ] {
        assert_alone_excludes(
            Case::fund,
            |c| c.customer.monthly_income = income,
            ExclusionCode::IncomeBelowMinimum,
        );
    }
}

#[test]
fn a_risk_level_above_the_tolerance_is_excluded_at_every_tolerance() {
    for (tolerance, risk) in [
        (RiskTolerance::Conservative, 2),
        (RiskTolerance::Moderate, 3),
        (RiskTolerance::Balanced, 4),
        (RiskTolerance::Growth, 5),
    ] {
        let mut case = Case::fund();
        case.customer.risk_tolerance = tolerance;
        case.catalogue[0].risk_level = risk - 1;
        assert_eq!(case.first(), "TOP", "{tolerance} may take {}", risk - 1);
        case.catalogue[0].risk_level = risk;
        assert_eq!(case.excluded("TOP"), ExclusionCode::RiskAboveTolerance);
    }
}

#[test]
fn a_loan_that_fails_the_loan_services_affordability_rule_is_excluded() {
    // 100,000 CNY over 36 months at 8.90% is about 3,175 CNY a month; with 5,000 CNY of
    // existing debt on 20,000 income DTI is about 40.9%, above the 40% personal maximum.
    assert_alone_excludes(
        Case::loan,
        |c| c.signals.monthly_debt = Some(cny(5_000)),
        ExclusionCode::LoanUnaffordable,
    );
}

#[test]
fn a_loan_inside_the_referral_band_is_offered_but_lowered() {
    let mut case = Case::loan();
    case.signals.monthly_debt = Some(cny(4_000));
    let ranking = case.ranking();
    let loan = ranking
        .items
        .iter()
        .find(|i| i.product_code == "TOP_LOAN")
        .expect("offered");
    assert!(
        loan.reasons
            .iter()
            .any(|r| r.code == ReasonCode::NearAffordabilityLimit)
    );
}

#[test]
fn a_loan_without_a_known_income_is_unaffordable() {
    let mut case = Case::loan();
    case.catalogue[0].min_monthly_income = cny(0);
    assert_eq!(case.first(), "TOP_LOAN");
    case.customer.monthly_income = None;
    assert_eq!(case.excluded("TOP_LOAN"), ExclusionCode::LoanUnaffordable);
}

#[test]
fn a_loan_being_decided_or_just_declined_is_excluded_and_an_old_decline_is_not() {
    for (status, days, code) in [
        (
            ApplicationStatus::UnderReview,
            1,
            Some(ExclusionCode::LoanApplicationOpen),
        ),
        (
            ApplicationStatus::Accepted,
            300,
            Some(ExclusionCode::AlreadyHeld),
        ),
        (
            ApplicationStatus::Declined,
            10,
            Some(ExclusionCode::LoanRecentlyDeclined),
        ),
        (ApplicationStatus::Declined, 31, None),
    ] {
        let mut case = Case::loan();
        case.signals.loans.push(LoanSignal {
            product: LoanProduct::Personal,
            status,
            updated_at: days_ago(days),
        });
        match code {
            Some(code) => assert_eq!(case.excluded("TOP_LOAN"), code, "{status}"),
            None => assert_eq!(case.first(), "TOP_LOAN", "{status}"),
        }
    }
}

#[test]
fn a_product_dismissed_in_the_last_thirty_days_is_excluded() {
    assert_alone_excludes(
        Case::fund,
        |c| {
            c.signals.feedback.push(FeedbackEvent {
                product_code: "TOP".into(),
                action: FeedbackAction::Dismissed,
                at: days_ago(29),
            })
        },
        ExclusionCode::DismissedRecently,
    );
}

#[test]
fn no_marketing_consent_for_the_requested_channel_excludes() {
    assert_alone_excludes(
        Case::fund,
        |c| {
            c.channel = Some(Channel::Email);
            c.customer.consent.email = false;
        },
        ExclusionCode::NoMarketingConsent,
    );
}

#[test]
fn a_session_channel_needs_no_marketing_consent_but_a_product_sold_by_phone_does() {
    let mut case = Case::fund();
    case.customer.consent = MarketingConsent::default();
    case.channel = Some(Channel::MobileApp);
    assert_eq!(case.first(), "TOP");
    case.catalogue[0].requires_consent = ConsentRequirement::Phone;
    assert_eq!(case.excluded("TOP"), ExclusionCode::NoMarketingConsent);
}

#[test]
fn an_open_complaint_suppresses_sales_offers_but_not_service_products() {
    assert_alone_excludes(
        Case::fund,
        |c| c.signals.open_complaint = true,
        ExclusionCode::OpenComplaint,
    );
    let mut case = Case::fund();
    case.signals.open_complaint = true;
    case.catalogue[0].requires_consent = ConsentRequirement::None;
    assert_eq!(case.first(), "TOP");
}

#[test]
fn a_valid_body_becomes_a_product_and_round_trips() {
    let p = personal_loan();
    let mut p = p;
    p.code = "LOAN_X".into();
    assert_eq!(p.body().validate("LOAN_X"), Ok(p));
}

#[test]
fn an_invalid_body_reports_every_field_at_once() {
    let mut body = product("FUND_X", Category::Fund, 9).body();
    body.code = Some("OTHER".into());
    body.name = " ".into();
    body.min_age = 70;
    body.max_age = 60;
    body.segments = vec![Segment::Sme, Segment::Sme];
    body.loan = personal_loan().loan;
    let errors = body.validate("fund x").expect_err("invalid");
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "code",
            "code",
            "name",
            "riskLevel",
            "maxAge",
            "segments[1]",
            "loan"
        ]
    );
}

#[test]
fn a_loan_product_needs_its_loan_terms() {
    let mut body = personal_loan().body();
    body.loan = None;
    let errors = body.validate("TOP_LOAN").expect_err("invalid");
    assert_eq!(errors[0].field, "loan");
}

#[test]
fn inquiry_subjects_name_categories_by_keyword() {
    assert_eq!(
        Category::mentioned_in("Savings rates and a credit card"),
        [Category::Card, Category::Savings]
    );
    assert_eq!(
        Category::mentioned_in("Mortgage question"),
        [Category::Loan]
    );
    assert!(Category::mentioned_in("change of address").is_empty());
}
