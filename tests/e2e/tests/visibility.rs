//! Field visibility follows the data wherever it leaves: loan views, recommendation
//! explanations, the 360 view, lists (which also leave a record of what they returned).

use crm_e2e::TestApp;
use crm_e2e::fixtures::{cny, create_customer, create_customer_of};
use serde_json::{Value, json};

const WITHHELD: &str = "based on a detail of the customer your role does not see";

fn reasons(answer: &Value) -> Vec<(String, String)> {
    answer["items"]
        .as_array()
        .expect("items")
        .iter()
        .flat_map(|i| i["reasons"].as_array().cloned().unwrap_or_default())
        .map(|r| {
            (
                r["code"].as_str().unwrap_or_default().to_owned(),
                r["message"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[test]
fn marketing_is_not_told_a_customers_age_or_income_through_an_explanation() {
    let app = TestApp::spawn();
    let c = create_customer(&app, 1);
    let path = format!("/v1/recommendations/{c}?limit=10&explain=true");
    let full = app.get(&path);
    assert_eq!(full.status, 200, "{}", full.text());
    let full = reasons(&full.json());
    let revealing: Vec<_> = full
        .iter()
        .filter(|(code, _)| ["life_stage", "affordable", "risk_match"].contains(&code.as_str()))
        .collect();
    assert!(
        !revealing.is_empty(),
        "the admin's explanation quotes the profile: {full:?}"
    );
    assert!(revealing.iter().all(|(_, m)| m != WITHHELD));

    let marketing = app.as_user("mkt-1", &["marketing"]).get(&path);
    assert_eq!(marketing.status, 200, "{}", marketing.text());
    for (code, message) in reasons(&marketing.json()) {
        if ["life_stage", "affordable", "near_affordability_limit"].contains(&code.as_str()) {
            assert_eq!(message, WITHHELD, "{code}");
        }
    }
    // Marketing may see risk tolerance: that explanation stays.
    let risk = reasons(&marketing.json())
        .into_iter()
        .find(|(code, _)| code == "risk_match");
    if let Some((_, message)) = risk {
        assert_ne!(message, WITHHELD);
    }
}

#[test]
fn a_teller_sees_no_income_or_score_through_a_loan_application() {
    let app = TestApp::spawn();
    let c = create_customer(&app, 2);
    let body = json!({
        "customerId": c, "product": "personal", "amount": cny(10_000_000), "termMonths": 36,
        "purpose": "home renovation", "monthlyIncome": cny(3_000_000),
        "monthlyDebtPayments": cny(200_000), "creditScore": 720,
        "employmentStatus": "employed", "employmentMonths": 48
    });
    let created = app.post_json(
        "/v1/loans/applications",
        &body,
        &[("idempotency-key", "v-1")],
    );
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["id"].as_str().expect("id").to_owned();
    let teller = app.as_user("t-1", &["teller"]);
    for path in [
        format!("/v1/loans/applications/{id}"),
        format!("/v1/loans/applications?customerId={c}"),
    ] {
        let r = teller.get(&path);
        assert_eq!(r.status, 200, "{}", r.text());
        let text = r.text();
        for hidden in [
            "monthlyIncome",
            "monthlyDebtPayments",
            "creditScore",
            "dtiBps",
        ] {
            assert!(!text.contains(hidden), "{hidden} in {path}: {text}");
        }
    }
    let underwriter = app
        .as_user("u-1", &["underwriter"])
        .get(&format!("/v1/loans/applications/{id}"));
    assert_eq!(underwriter.json()["creditScore"], 720);
}

#[test]
fn a_customer_list_shows_no_finances_and_its_read_is_recorded_with_filter_and_count() {
    let app = TestApp::spawn();
    for n in 3..6 {
        create_customer_of(&app, n, "rm-9");
    }
    let rm = app.as_user("rm-9", &["relationship_manager"]);
    let page = rm.get("/v1/customers?segment=retail&q=Zhao&limit=2");
    assert_eq!(page.status, 200, "{}", page.text());
    let items = page.json()["items"].as_array().cloned().expect("items");
    assert_eq!(items.len(), 2);
    for item in &items {
        for hidden in [
            "monthlyIncome",
            "totalAssets",
            "creditScore",
            "dateOfBirth",
            "address",
        ] {
            assert!(item.get(hidden).is_none(), "{hidden}: {item}");
        }
        assert!(
            item["nationalId"]
                .as_str()
                .unwrap_or_default()
                .starts_with('*'),
            "{item}"
        );
    }
    let records = app
        .as_user("aud-1", &["auditor"])
        .get("/v1/customers/audit/records?actor=rm-9&action=customer.list");
    assert_eq!(records.status, 200, "{}", records.text());
    let record = records.json()["items"][0].clone();
    assert_eq!(record["outcome"], "success", "{record}");
    let detail = record["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("segment=retail"), "{detail}");
    assert!(detail.contains("count=2"), "{detail}");
    assert!(
        detail.contains("q=(given)") && !detail.contains("Zhao"),
        "{detail}"
    );
}
