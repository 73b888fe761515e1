//! The persona fixtures of issue 8: each customer's expected top 3, written down, and
//! each ranked through the real read models from rows the owning services would write.

mod common;
use common::*;

fn young_growth_salary_earner() -> Persona {
    Persona {
        date_of_birth: "2000-03-14",
        segment: "retail",
        value_tier: "standard",
        risk_tolerance: "growth",
        employment: "employed",
        monthly_income_cny: 12_000,
        credit_score: Some(720),
        holdings: vec!["SALARY_ACCOUNT", "DEBIT_CARD"],
        consent: vec!["email", "push"],
        status: "active",
    }
}

fn retired_conservative_saver() -> Persona {
    Persona {
        date_of_birth: "1957-08-02",
        segment: "retail",
        value_tier: "priority",
        risk_tolerance: "conservative",
        employment: "retired",
        monthly_income_cny: 6_000,
        credit_score: Some(760),
        holdings: vec!["SAVINGS_BASIC", "DEBIT_CARD"],
        consent: vec!["phone"],
        status: "active",
    }
}

fn sme_owner() -> Persona {
    Persona {
        date_of_birth: "1980-01-20",
        segment: "sme",
        value_tier: "priority",
        risk_tolerance: "balanced",
        employment: "self_employed",
        monthly_income_cny: 40_000,
        credit_score: Some(700),
        holdings: vec!["SME_OPERATING_ACCOUNT"],
        consent: vec!["email"],
        status: "active",
    }
}

fn top3(
    persona: &Persona,
    name: &str,
    setup: impl Fn(&Bank, &crm_domain::id::CustomerId),
) -> Vec<String> {
    let bank = Bank::new(name);
    let c = bank.customer(persona);
    setup(&bank, &c);
    bank.top(&c, 3)
}

#[test]
fn a_young_growth_oriented_salary_earner_is_offered_a_card_a_growth_fund_and_a_car_loan() {
    // Gold card: complements the salary account, suits the under-30s, retail segment.
    // Equity index fund: risk 4 matches growth. Car loan: affordable on 12,000 CNY.
    let top = top3(&young_growth_salary_earner(), "persona-young", |_, _| {});
    assert_eq!(top, ["CARD_GOLD", "FUND_EQUITY_INDEX", "LOAN_AUTO"]);
}

#[test]
fn a_young_growth_oriented_customer_is_never_offered_risk_level_five() {
    let bank = Bank::new("persona-young-risk");
    let c = bank.customer(&young_growth_salary_earner());
    let all = codes(&bank.all(&c));
    assert!(!all.contains(&"FUND_TECH_GROWTH".to_owned()), "{all:?}");
    assert!(!all.contains(&"SALARY_ACCOUNT".to_owned()), "held: {all:?}");
}

#[test]
fn a_retired_conservative_saver_is_offered_deposits_and_a_money_market_fund() {
    let top = top3(&retired_conservative_saver(), "persona-retired", |_, _| {});
    assert_eq!(top, ["DEPOSIT_1Y", "DEPOSIT_3Y", "FUND_MONEY_MARKET"]);
}

#[test]
fn a_retired_conservative_saver_is_offered_nothing_above_risk_one_nor_any_loan() {
    let bank = Bank::new("persona-retired-all");
    let c = bank.customer(&retired_conservative_saver());
    for item in bank.all(&c) {
        assert!(
            !item.product_code.starts_with("FUND_BOND") && !item.product_code.starts_with("LOAN_"),
            "{} offered",
            item.product_code
        );
    }
}

#[test]
fn an_sme_owner_is_offered_a_balanced_fund_a_mortgage_and_the_business_card() {
    let top = top3(&sme_owner(), "persona-sme", |_, _| {});
    assert_eq!(top, ["FUND_BALANCED", "LOAN_MORTGAGE", "CARD_BUSINESS"]);
}

#[test]
fn a_customer_with_an_open_complaint_is_offered_only_service_products() {
    let bank = Bank::new("persona-complaint");
    let c = bank.customer(&young_growth_salary_earner());
    bank.open_complaint(&c);
    let answer = bank.recommend(&c, 3);
    assert_eq!(codes(&answer.items), ["SAVINGS_BASIC"]);
    assert_eq!(answer.notes.first().map(|n| n.code), Some("open_complaint"));
}

#[test]
fn a_cold_start_customer_with_no_behaviour_still_gets_profile_based_offers() {
    let bank = Bank::new("persona-cold");
    let c = bank.customer(&Persona::plain());
    let answer = bank.recommend(&c, 3);
    assert_eq!(
        codes(&answer.items),
        ["FUND_BALANCED", "LOAN_AUTO", "SALARY_ACCOUNT"]
    );
    for item in &answer.items {
        assert!(
            !item.reasons.is_empty(),
            "{} has no reason",
            item.product_code
        );
    }
}

#[test]
fn an_inquiry_about_a_category_raises_it_and_says_when() {
    let bank = Bank::new("persona-inquiry");
    let c = bank.customer(&Persona::plain());
    bank.inquiry(
        &c,
        "Question about home insurance cover",
        ts("2026-11-20T09:00:00Z"),
    );
    let answer = bank.recommend(&c, 3);
    let first = &answer.items[0];
    assert_eq!(first.product_code, "INS_HOME");
    let reason = first
        .reasons
        .iter()
        .find(|r| r.code.as_str() == "recent_inquiry")
        .expect("an inquiry reason");
    assert_eq!(
        reason.message,
        "customer asked about insurance on 2026-11-20"
    );
}

#[test]
fn an_inquiry_older_than_the_window_counts_for_nothing() {
    let bank = Bank::new("persona-old-inquiry");
    let c = bank.customer(&Persona::plain());
    bank.inquiry(&c, "home insurance", days_ago(120));
    assert_eq!(
        bank.top(&c, 3),
        ["FUND_BALANCED", "LOAN_AUTO", "SALARY_ACCOUNT"]
    );
}

#[test]
fn a_mortgage_holder_is_offered_home_insurance_first() {
    let bank = Bank::new("persona-mortgage");
    let c = bank.customer(&Persona::plain());
    bank.loan(&c, "mortgage", "accepted", 0, 2_000, days_ago(200));
    let top = bank.top(&c, 3);
    assert_eq!(top[0], "INS_HOME", "{top:?}");
    let all = codes(&bank.all(&c));
    assert!(
        !all.contains(&"LOAN_MORTGAGE".to_owned()),
        "already held: {all:?}"
    );
}

#[test]
fn a_gold_loyalty_member_sees_cards_raised() {
    let bank = Bank::new("persona-gold");
    let c = bank.customer(&Persona::plain());
    let before = bank.all(&c);
    bank.loyalty_tier(&c, "gold");
    let after = bank.all(&c);
    let score =
        |items: &[crm_domain::recommendation::Ranked]| items[position(items, "CARD_CLASSIC")].score;
    assert_eq!(score(&after), score(&before) + 5);
}

#[test]
fn a_closed_customer_gets_no_offers_and_says_why() {
    let bank = Bank::new("persona-closed");
    let mut p = Persona::plain();
    p.status = "closed";
    let c = bank.customer(&p);
    let answer = bank.recommend(&c, 3);
    assert!(answer.items.is_empty());
    assert_eq!(
        answer.notes.first().map(|n| n.code),
        Some("customer_closed")
    );
}

#[test]
fn an_unknown_or_erased_customer_is_not_found() {
    let bank = Bank::new("persona-unknown");
    let mut p = Persona::plain();
    p.status = "erased";
    let erased = bank.customer(&p);
    let unknown = crm_domain::id::CustomerId::new(crm_http::new_ulid(now()));
    for c in [erased, unknown] {
        assert!(matches!(
            crm_recommend::recommend(bank.db(), &c, now(), None, 3),
            Err(crm_recommend::RecommendError::CustomerNotFound)
        ));
    }
}

#[test]
fn the_same_signals_always_give_the_same_ranking() {
    let bank = Bank::new("persona-deterministic");
    let c = bank.customer(&sme_owner());
    assert_eq!(bank.all(&c), bank.all(&c));
}
