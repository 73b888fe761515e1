//! Feedback changes later rankings in the stated direction: acceptance raises similar
//! products, a click raises the product, repeated showings without a response lower it
//! (and its category), and a dismissal removes it for 30 days.

mod common;
use common::*;
use crm_domain::recommendation::Ranked;

fn score(items: &[Ranked], code: &str) -> i64 {
    items[position(items, code)].score
}

#[test]
fn accepting_a_product_raises_similar_products_and_removes_the_accepted_one() {
    let bank = Bank::new("feedback-accept");
    let c = bank.customer(&Persona::plain());
    let before = bank.all(&c);
    bank.feedback(&c, "DEPOSIT_1Y", "accepted", days_ago(3));
    let after = bank.all(&c);
    assert!(!codes(&after).contains(&"DEPOSIT_1Y".to_owned()));
    // DEPOSIT_3Y was second of its category (penalised), now first of it and +15.
    assert_eq!(
        score(&after, "DEPOSIT_3Y"),
        score(&before, "DEPOSIT_3Y") + 15 + 20
    );
    assert!(position(&after, "DEPOSIT_3Y") < position(&before, "DEPOSIT_3Y"));
}

#[test]
fn a_click_raises_the_clicked_product() {
    let bank = Bank::new("feedback-click");
    let c = bank.customer(&Persona::plain());
    let before = bank.all(&c);
    bank.feedback(&c, "INS_HOME", "shown", days_ago(4));
    bank.feedback(&c, "INS_HOME", "clicked", days_ago(4));
    let after = bank.all(&c);
    assert_eq!(score(&after, "INS_HOME"), score(&before, "INS_HOME") + 10);
}

#[test]
fn an_offer_shown_again_and_again_without_a_response_drops_out_of_the_top_three() {
    let bank = Bank::new("feedback-ignored");
    let c = bank.customer(&Persona::plain());
    assert!(bank.top(&c, 3).contains(&"LOAN_AUTO".to_owned()));
    for day in [20, 15, 10, 5] {
        bank.feedback(&c, "LOAN_AUTO", "shown", days_ago(day));
    }
    let after = bank.all(&c);
    assert_eq!(
        score(&after, "LOAN_AUTO"),
        75 - 20,
        "4 ignored showings cost 20"
    );
    assert!(!bank.top(&c, 3).contains(&"LOAN_AUTO".to_owned()));
}

#[test]
fn two_showings_are_not_yet_ignoring_and_a_response_resets_the_count() {
    let bank = Bank::new("feedback-reset");
    let c = bank.customer(&Persona::plain());
    let before = score(&bank.all(&c), "LOAN_AUTO");
    bank.feedback(&c, "LOAN_AUTO", "shown", days_ago(20));
    bank.feedback(&c, "LOAN_AUTO", "shown", days_ago(19));
    assert_eq!(score(&bank.all(&c), "LOAN_AUTO"), before);
    bank.feedback(&c, "LOAN_AUTO", "shown", days_ago(18));
    assert!(score(&bank.all(&c), "LOAN_AUTO") < before);
    bank.feedback(&c, "LOAN_AUTO", "clicked", days_ago(17));
    assert_eq!(score(&bank.all(&c), "LOAN_AUTO"), before + 10);
}

#[test]
fn ignoring_a_product_lowers_similar_products_by_half_as_much() {
    let bank = Bank::new("feedback-similar-ignored");
    let c = bank.customer(&Persona::plain());
    let before = score(&bank.all(&c), "FUND_BOND");
    for day in [9, 8, 7, 6] {
        bank.feedback(&c, "FUND_BALANCED", "shown", days_ago(day));
    }
    let after = bank.all(&c);
    // FUND_BOND loses 10 for its ignored sibling, and gains the 20 of the same-category
    // penalty back if it now outranks FUND_BALANCED.
    assert!(position(&after, "FUND_BOND") < position(&after, "FUND_BALANCED"));
    assert_eq!(score(&after, "FUND_BOND"), before - 10 + 20);
}

#[test]
fn a_dismissed_product_is_not_offered_for_thirty_days_then_returns() {
    let bank = Bank::new("feedback-dismiss");
    let c = bank.customer(&Persona::plain());
    bank.feedback(&c, "FUND_BALANCED", "dismissed", days_ago(29));
    let answer = bank.recommend(&c, 50);
    assert!(!codes(&answer.items).contains(&"FUND_BALANCED".to_owned()));
    let excluded = answer
        .excluded
        .iter()
        .find(|e| e.product_code == "FUND_BALANCED")
        .expect("excluded");
    assert_eq!(excluded.filter.code.as_str(), "dismissed_recently");

    let bank = Bank::new("feedback-dismiss-old");
    let c = bank.customer(&Persona::plain());
    bank.feedback(&c, "FUND_BALANCED", "dismissed", days_ago(31));
    assert_eq!(bank.top(&c, 1), ["FUND_BALANCED"]);
}
