//! The decision table: every rule of the default policy, each band edge exactly at the
//! threshold and one unit either side, the counter-offer search, and replay equality.

use super::*;
use crate::money::{Currency, Money};
use crate::time::Timestamp;

const DECIDED_AT: i64 = 1_795_421_700_000; // 2026-11-23T08:15:00Z

fn cny(minor: i64) -> Money {
    Money::new(minor, Currency::Cny)
}

/// A personal loan the default policy pre-approves with room on every rule:
/// 100,000.00 over 36 months at score 720 (8.90 %), income 30,000.00, debt 2,000.00.
fn base() -> Snapshot {
    Snapshot {
        input: ApplicationInput {
            customer_id: "cus_01KAT0000000000000000000AB".parse().expect("id"),
            product: LoanProduct::Personal,
            amount: cny(10_000_000),
            term_months: 36,
            purpose: "renovation".into(),
            monthly_income: cny(3_000_000),
            monthly_debt_payments: cny(200_000),
            credit_score: 720,
            employment_status: EmploymentStatus::Employed,
            employment_months: 48,
        },
        customer: CustomerFacts {
            status: CustomerStatus::Active,
            kyc_status: KycStatus::Verified,
            self_declared: false,
        },
        decided_at: Timestamp::from_unix_millis(DECIDED_AT),
    }
}

fn with(change: impl FnOnce(&mut Snapshot)) -> Snapshot {
    let mut s = base();
    change(&mut s);
    s
}

fn decide_default(s: &Snapshot) -> Decision {
    decide(&Policy::default_policy(), 1, s)
}

fn codes(d: &Decision) -> Vec<&'static str> {
    d.reasons.iter().map(|r| r.code.as_str()).collect()
}

/// Asserts the outcome and exactly the codes that fired.
fn expect(s: &Snapshot, status: DecisionStatus, expected: &[&str]) -> Decision {
    let d = decide_default(s);
    assert_eq!(
        (d.status, codes(&d).as_slice()),
        (status, expected),
        "{:#?}",
        d.reasons
    );
    d
}

#[test]
fn a_comfortable_application_is_pre_approved_with_a_priced_offer() {
    let d = expect(&base(), DecisionStatus::PreApproved, &[]);
    let offer = d.offer.expect("offer");
    let payment = monthly_payment(10_000_000, 890, 36).expect("priced");
    assert_eq!(offer.amount, cny(10_000_000));
    assert_eq!(offer.term_months, 36);
    assert_eq!(offer.annual_rate_bps, 890);
    assert_eq!(offer.monthly_payment, cny(payment));
    assert_eq!(offer.total_repayable, cny(payment * 36));
    assert_eq!(
        offer.expires_at,
        Timestamp::from_unix_millis(DECIDED_AT + 30 * DAY_MS)
    );
    assert_eq!(
        d.dti_bps,
        Some(((200_000 + payment) * 10_000 + 3_000_000 - 1) / 3_000_000)
    );
    assert_eq!(d.counter_offer, None);
    assert_eq!(d.policy_version, 1);
}

#[test]
fn customer_standing_declines_erased_and_closed_and_refers_dormant() {
    let status = |s: CustomerStatus| with(|a| a.customer.status = s);
    expect(
        &status(CustomerStatus::Erased),
        DecisionStatus::Declined,
        &["customer_erased"],
    );
    expect(
        &status(CustomerStatus::Closed),
        DecisionStatus::Declined,
        &["customer_closed"],
    );
    expect(
        &status(CustomerStatus::Dormant),
        DecisionStatus::Referred,
        &["customer_dormant"],
    );
}

#[test]
fn any_kyc_status_but_verified_is_a_hard_decline_without_counter_offer() {
    for kyc in [KycStatus::Pending, KycStatus::Rejected, KycStatus::Expired] {
        let d = expect(
            &with(|a| a.customer.kyc_status = kyc),
            DecisionStatus::Declined,
            &["kyc_not_verified"],
        );
        assert_eq!(d.offer, None);
        assert_eq!(d.counter_offer, None);
    }
}

#[test]
fn unemployed_without_income_is_declined_but_unemployed_with_income_is_not() {
    let d = expect(
        &with(|a| {
            a.input.employment_status = EmploymentStatus::Unemployed;
            a.input.monthly_income = cny(0);
        }),
        DecisionStatus::Declined,
        &["unemployed_without_income", "dti_above_max"],
    );
    assert_eq!(d.dti_bps, None);
    assert_eq!(
        d.counter_offer, None,
        "no terms can be afforded without income"
    );
    expect(
        &with(|a| a.input.employment_status = EmploymentStatus::Unemployed),
        DecisionStatus::PreApproved,
        &[],
    );
    expect(
        &with(|a| a.input.monthly_income = cny(0)),
        DecisionStatus::Declined,
        &["dti_above_max"],
    );
}

#[test]
fn a_short_job_history_refers_the_employed_and_self_employed_only() {
    let months = |status: EmploymentStatus, months: i64| {
        with(|a| {
            a.input.employment_status = status;
            a.input.employment_months = months;
        })
    };
    for status in [EmploymentStatus::Employed, EmploymentStatus::SelfEmployed] {
        expect(
            &months(status, 5),
            DecisionStatus::Referred,
            &["employment_too_short"],
        );
        expect(&months(status, 6), DecisionStatus::PreApproved, &[]);
        expect(&months(status, 7), DecisionStatus::PreApproved, &[]);
    }
    for status in [EmploymentStatus::Retired, EmploymentStatus::Student] {
        expect(&months(status, 0), DecisionStatus::PreApproved, &[]);
    }
}

#[test]
fn self_declared_figures_are_referred_to_a_person_and_never_pre_approved() {
    let declared = with(|s| s.customer.self_declared = true);
    let d = expect(
        &declared,
        DecisionStatus::Referred,
        &["figures_self_declared"],
    );
    assert_eq!(d.offer, None);
    // A decline stays a decline.
    let unverified = with(|s| {
        s.customer.self_declared = true;
        s.customer.kyc_status = KycStatus::Pending;
    });
    expect(
        &unverified,
        DecisionStatus::Declined,
        &["figures_self_declared", "kyc_not_verified"],
    );
}

#[test]
fn the_score_declines_below_the_minimum_and_refers_inside_the_margin() {
    let score = |s: i64| with(|a| a.input.credit_score = s);
    let below = expect(&score(599), DecisionStatus::Declined, &["score_below_min"]);
    assert_eq!(below.terms, None, "no band prices a declined score");
    assert_eq!(below.counter_offer, None);
    expect(&score(600), DecisionStatus::Referred, &["score_near_min"]);
    expect(&score(601), DecisionStatus::Referred, &["score_near_min"]);
    expect(&score(619), DecisionStatus::Referred, &["score_near_min"]);
    expect(&score(620), DecisionStatus::PreApproved, &[]);
    expect(&score(621), DecisionStatus::PreApproved, &[]);
}

#[test]
fn the_rate_changes_exactly_at_each_band_edge() {
    let rate = |s: i64| {
        decide_default(&with(|a| a.input.credit_score = s))
            .terms
            .map(|t| t.annual_rate_bps)
    };
    assert_eq!(rate(600), Some(1_490));
    assert_eq!(rate(649), Some(1_490));
    assert_eq!(rate(650), Some(1_190));
    assert_eq!(rate(699), Some(1_190));
    assert_eq!(rate(700), Some(890));
    assert_eq!(rate(749), Some(890));
    assert_eq!(rate(750), Some(690));
    assert_eq!(rate(751), Some(690));
}

/// Income high enough that only the amount rules matter: 100,000.00 a month, no debt.
fn amount(minor: i64) -> Snapshot {
    with(|a| {
        a.input.amount = cny(minor);
        a.input.monthly_income = cny(10_000_000);
        a.input.monthly_debt_payments = cny(0);
    })
}

#[test]
fn the_amount_is_declined_outside_the_product_limits_and_referred_near_the_maximum() {
    // Personal: 5,000.00 to 500,000.00; referred above 90 % of the maximum (450,000.00).
    expect(
        &amount(499_999),
        DecisionStatus::Declined,
        &["amount_below_product_min"],
    );
    expect(&amount(500_000), DecisionStatus::PreApproved, &[]);
    expect(&amount(500_001), DecisionStatus::PreApproved, &[]);
    expect(&amount(44_999_999), DecisionStatus::PreApproved, &[]);
    expect(&amount(45_000_000), DecisionStatus::PreApproved, &[]);
    expect(
        &amount(45_000_001),
        DecisionStatus::Referred,
        &["amount_near_product_max"],
    );
    expect(
        &amount(50_000_000),
        DecisionStatus::Referred,
        &["amount_near_product_max"],
    );
    let above = expect(
        &amount(50_000_001),
        DecisionStatus::Declined,
        &["amount_above_product_max"],
    );
    let counter = above.counter_offer.expect("the maximum is affordable");
    assert_eq!(counter.amount, cny(50_000_000));
    assert_eq!(counter.term_months, 36);
    assert_eq!(counter.status, DecisionStatus::Referred);
}

#[test]
fn the_term_is_declined_outside_the_product_limits() {
    let term = |t: u32| {
        with(|a| {
            a.input.term_months = t;
            a.input.monthly_income = cny(10_000_000);
        })
    };
    let short = expect(
        &term(5),
        DecisionStatus::Declined,
        &["term_below_product_min"],
    );
    assert_eq!(short.counter_offer, None);
    expect(&term(6), DecisionStatus::PreApproved, &[]);
    expect(&term(7), DecisionStatus::PreApproved, &[]);
    expect(&term(59), DecisionStatus::PreApproved, &[]);
    expect(&term(60), DecisionStatus::PreApproved, &[]);
    let long = expect(
        &term(61),
        DecisionStatus::Declined,
        &["term_above_product_max"],
    );
    let counter = long.counter_offer.expect("the longest term is offered");
    assert_eq!((counter.amount, counter.term_months), (cny(10_000_000), 60));
    assert_eq!(counter.status, DecisionStatus::PreApproved);
}

/// Income 10,000.00 so the personal limit (40 %) is a total of 4,000.00 a month and the
/// referral band (above 35 %) starts after 3,500.00; `total` is debt + new instalment.
fn dti(total_minor: i64) -> Snapshot {
    let payment = monthly_payment(10_000_000, 890, 36).expect("priced");
    with(|a| {
        a.input.monthly_income = cny(1_000_000);
        a.input.monthly_debt_payments = cny(total_minor - payment);
    })
}

#[test]
fn debt_to_income_is_declined_above_the_maximum_and_referred_inside_the_margin() {
    expect(&dti(349_999), DecisionStatus::PreApproved, &[]);
    let at_refer = expect(&dti(350_000), DecisionStatus::PreApproved, &[]);
    assert_eq!(at_refer.dti_bps, Some(3_500));
    expect(&dti(350_001), DecisionStatus::Referred, &["dti_near_max"]);
    expect(&dti(399_999), DecisionStatus::Referred, &["dti_near_max"]);
    let at_max = expect(&dti(400_000), DecisionStatus::Referred, &["dti_near_max"]);
    assert_eq!(at_max.dti_bps, Some(4_000));
    let over = expect(&dti(400_001), DecisionStatus::Declined, &["dti_above_max"]);
    assert_eq!(over.dti_bps, Some(4_001), "rounded up");
}

#[test]
fn every_rule_that_fires_is_reported_in_evaluation_order() {
    let d = decide_default(&with(|a| {
        a.customer.status = CustomerStatus::Closed;
        a.customer.kyc_status = KycStatus::Pending;
        a.input.employment_status = EmploymentStatus::Unemployed;
        a.input.monthly_income = cny(0);
        a.input.credit_score = 610;
        a.input.amount = cny(60_000_000);
        a.input.term_months = 72;
    }));
    assert_eq!(d.status, DecisionStatus::Declined);
    assert_eq!(
        codes(&d),
        [
            "customer_closed",
            "kyc_not_verified",
            "unemployed_without_income",
            "score_near_min",
            "amount_above_product_max",
            "term_above_product_max",
            "dti_above_max"
        ]
    );
    assert!(
        d.reasons
            .iter()
            .all(|r| r.effect == r.code.effect() && !r.message.is_empty())
    );
}

#[test]
fn a_counter_offer_keeps_the_amount_over_the_shortest_term_that_passes() {
    // 100,000.00 over 12 months is ~8,700 a month against a 4,000.00 limit.
    let asked = with(|a| {
        a.input.term_months = 12;
        a.input.monthly_income = cny(1_000_000);
        a.input.monthly_debt_payments = cny(0);
    });
    let d = expect(&asked, DecisionStatus::Declined, &["dti_above_max"]);
    let counter = d.counter_offer.expect("a longer term passes");
    assert_eq!(counter.amount, cny(10_000_000));
    assert!(counter.dti_bps <= 4_000);
    let at = |term: u32| {
        decide_default(&with(|a| {
            a.input.term_months = term;
            a.input.monthly_income = cny(1_000_000);
            a.input.monthly_debt_payments = cny(0);
        }))
    };
    assert_ne!(at(counter.term_months).status, DecisionStatus::Declined);
    assert_eq!(
        at(counter.term_months - 1).status,
        DecisionStatus::Declined,
        "the counter-offer's term is the shortest that passes"
    );
    let priced = monthly_payment(10_000_000, 890, counter.term_months).expect("priced");
    assert_eq!(counter.monthly_payment, cny(priced));
}

#[test]
fn a_counter_offer_lowers_the_amount_in_policy_steps_when_no_term_is_long_enough() {
    // 300,000.00 over the longest term (60 months) is ~6,200 a month against 4,000.00.
    let asked = |amount: i64| {
        with(|a| {
            a.input.amount = cny(amount);
            a.input.term_months = 60;
            a.input.monthly_income = cny(1_000_000);
            a.input.monthly_debt_payments = cny(0);
        })
    };
    let d = expect(
        &asked(30_000_000),
        DecisionStatus::Declined,
        &["dti_above_max"],
    );
    let counter = d.counter_offer.expect("a smaller amount passes");
    assert_eq!(counter.term_months, 60);
    assert_eq!(
        counter.amount.minor_units % 100_000,
        0,
        "a multiple of 1,000.00"
    );
    assert!(counter.amount.minor_units < 30_000_000);
    assert_ne!(
        decide_default(&asked(counter.amount.minor_units)).status,
        DecisionStatus::Declined
    );
    assert_eq!(
        decide_default(&asked(counter.amount.minor_units + 100_000)).status,
        DecisionStatus::Declined,
        "one step more would not pass"
    );
    // Just under the limit, it lands in the referral band.
    assert_eq!(counter.status, DecisionStatus::Referred);
}

#[test]
fn a_shorter_asked_term_is_kept_when_a_smaller_amount_passes_over_it() {
    // Nothing passes at 100,000.00 even over 60 months with 2,000.00 of income,
    // but a smaller amount passes over the 24 months asked for.
    let d = decide_default(&with(|a| {
        a.input.term_months = 24;
        a.input.monthly_income = cny(200_000);
        a.input.monthly_debt_payments = cny(0);
    }));
    let counter = d.counter_offer.expect("a smaller amount passes");
    assert_eq!(counter.term_months, 24);
    assert!(counter.amount.minor_units >= 500_000);
}

#[test]
fn no_counter_offer_when_not_even_the_product_minimum_is_affordable() {
    let d = decide_default(&with(|a| {
        a.input.monthly_income = cny(10_000);
        a.input.monthly_debt_payments = cny(0);
    }));
    assert_eq!(d.status, DecisionStatus::Declined);
    assert_eq!(d.counter_offer, None);
}

#[test]
fn a_referred_application_carries_priced_terms_but_no_offer() {
    let d = expect(
        &with(|a| a.input.credit_score = 610),
        DecisionStatus::Referred,
        &["score_near_min"],
    );
    assert_eq!(d.offer, None);
    assert_eq!(d.terms.map(|t| t.annual_rate_bps), Some(1_490));
}

#[test]
fn zero_validity_makes_an_offer_expire_at_the_moment_it_is_made() {
    let mut policy = Policy::default_policy();
    policy.offer_validity_days = 0;
    let d = decide(&policy, 2, &base());
    assert_eq!(
        d.offer.map(|o| o.expires_at),
        Some(Timestamp::from_unix_millis(DECIDED_AT))
    );
}

#[test]
fn the_same_snapshot_under_the_same_policy_replays_identically_even_after_a_policy_change() {
    let original = Policy::default_policy();
    let snapshot = with(|a| a.input.monthly_debt_payments = cny(500_000));
    let stored = decide(&original, 1, &snapshot);

    let mut stricter = original.clone();
    stricter.products.personal.max_dti_bps = 3_000;
    stricter.products.personal.rate_grid[1].annual_rate_bps = 990;
    let under_new = decide(&stricter, 2, &snapshot);
    assert!(!differences(&stored, &under_new).is_empty());

    // Replay uses the version the decision named, through a serialisation round trip
    // as the store does.
    let stored_json = serde_json::to_string(&stored).expect("serializes");
    let snapshot_json = serde_json::to_string(&snapshot).expect("serializes");
    let stored: Decision = serde_json::from_str(&stored_json).expect("parses");
    let snapshot: Snapshot = serde_json::from_str(&snapshot_json).expect("parses");
    let replayed = decide(&original, stored.policy_version, &snapshot);
    assert_eq!(differences(&stored, &replayed), Vec::<&str>::new());
    assert_eq!(replayed, stored);
}

#[test]
fn differences_name_each_part_that_changed_and_ignore_message_wording() {
    let a = decide_default(&with(|s| s.input.credit_score = 610));
    let mut b = a.clone();
    b.reasons[0].message = "reworded".into();
    assert!(differences(&a, &b).is_empty());
    b.status = DecisionStatus::Declined;
    b.dti_bps = Some(1);
    assert_eq!(differences(&a, &b), ["status", "dtiBps"]);
}

#[test]
fn the_affordability_rule_compares_exactly_at_its_thresholds() {
    // Income 10,000.00, limit 40 %, referral from 35 %.
    let verdict = |total: i64| affordability(1_000_000, 0, total, 4_000, 500);
    assert_eq!(verdict(350_000).verdict, Verdict::Pass);
    assert_eq!(verdict(350_001).verdict, Verdict::Refer);
    assert_eq!(verdict(400_000).verdict, Verdict::Refer);
    assert_eq!(verdict(400_001).verdict, Verdict::Fail);
    assert_eq!(verdict(400_001).dti_bps, Some(4_001));
    assert_eq!(verdict(0).dti_bps, Some(0));
    assert_eq!(
        affordability(0, 0, 1, 4_000, 500),
        Affordability {
            dti_bps: None,
            verdict: Verdict::Fail
        }
    );
    // A margin as wide as the limit refers everything that is not free.
    assert_eq!(
        affordability(100, 0, 1, 4_000, 4_000).verdict,
        Verdict::Refer
    );
}

#[test]
fn amounts_in_another_currency_than_the_policy_are_refused() {
    let mut s = base();
    s.input.amount = Money::new(10_000_000, Currency::Usd);
    s.input.monthly_income = Money::new(3_000_000, Currency::Usd);
    let errors = check_currency(&Policy::default_policy(), &s.input).expect_err("USD");
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["amount.currency", "monthlyIncome.currency"]);
    assert!(check_currency(&Policy::default_policy(), &base().input).is_ok());
}

#[test]
fn every_product_pre_approves_a_comfortable_application_at_its_own_limits() {
    let policy = Policy::default_policy();
    for product in LoanProduct::ALL {
        let rules = policy.products.get(*product);
        let s = with(|a| {
            a.input.product = *product;
            a.input.amount = rules.min_amount;
            a.input.term_months = u32::try_from(rules.max_term_months).expect("term");
            a.input.monthly_income = cny(100_000_000);
            a.input.credit_score = 850;
        });
        let d = decide(&policy, 1, &s);
        assert_eq!(
            d.status,
            DecisionStatus::PreApproved,
            "{product}: {:?}",
            d.reasons
        );
    }
}
