//! Satisfaction answers and their summary through the handlers.

mod common;

use common::{App, contact, contact_at, error_fields, now_ms, text};
use crm_http::testing::json;
use serde_json::{Value, json};

fn answer(customer: &str, kind: &str, score: i64) -> Value {
    json!({"customerId": customer, "kind": kind, "score": score})
}

fn submit(app: &App, body: &Value) -> Value {
    let response = app.survey(body);
    assert_eq!(response.status(), 201, "{}", text(&response));
    json(&response)
}

fn summary(app: &App, query: &str) -> Value {
    let response = app.get(&format!("/v1/interactions/surveys/summary?{query}"));
    assert_eq!(response.status(), 200, "{}", text(&response));
    json(&response)
}

#[test]
fn an_answer_is_recorded_and_reads_back() {
    let app = App::new("svy-create");
    let customer = app.customer("active");
    let mut body = answer(&customer, "csat", 4);
    body["comment"] = json!("Quick and friendly");

    let response = app.survey(&body);

    assert_eq!(response.status(), 201);
    let created = json(&response);
    let id = created["id"].as_str().expect("id");
    assert!(id.starts_with("svy_"));
    assert_eq!(
        response.headers()["location"],
        format!("/v1/interactions/surveys/{id}")
    );
    assert_eq!(
        json(&app.get(&format!("/v1/interactions/surveys/{id}"))),
        created
    );
}

#[test]
fn out_of_range_scores_are_422_and_write_nothing() {
    let app = App::new("svy-range");
    let customer = app.customer("active");
    for (kind, score) in [("nps", -1), ("nps", 11), ("csat", 0), ("csat", 6)] {
        let response = app.survey(&answer(&customer, kind, score));
        assert_eq!(response.status(), 422, "{kind} {score}");
        assert_eq!(error_fields(&json(&response)), ["score"]);
    }
    let fractional = app.survey(&json!({"customerId": customer, "kind": "nps", "score": 7.5}));
    assert_eq!(fractional.status(), 422);
    assert_eq!(app.count("surveys"), 0);
}

#[test]
fn the_summary_computes_nps_and_csat() {
    let app = App::new("svy-summary");
    // One answer per customer and kind a month, so each answer comes from its own customer.
    // NPS: promoters 10, 9, 9; passive 8; detractors 6, 0 → 3/6 − 2/6 = 16.7 points.
    // CSAT: 5, 4, 2 → mean 11/3 = 3.67; 2 of 3 satisfied (4 or 5) = 66.7%.
    for score in [10, 9, 9, 8, 6, 0] {
        let customer = app.customer("active");
        submit(&app, &answer(&customer, "nps", score));
    }
    for score in [5, 4, 2] {
        let customer = app.customer("active");
        submit(&app, &answer(&customer, "csat", score));
    }

    let s = summary(&app, "");

    assert_eq!(
        s["nps"],
        json!({"score": 16.7, "responses": 6, "promoters": 3, "passives": 1, "detractors": 2})
    );
    assert_eq!(
        s["csat"],
        json!({"average": 3.67, "responses": 3, "satisfied": 2, "satisfiedPercent": 66.7})
    );
}

#[test]
fn a_customer_answers_each_kind_once_a_month_without_naming_a_contact() {
    let app = App::new("svy-stuffing");
    let customer = app.customer("active");
    let first = submit(&app, &answer(&customer, "nps", 10));
    for score in [10, 9] {
        let again = app.survey(&answer(&customer, "nps", score));
        assert_eq!(again.status(), 409, "{}", text(&again));
        let problem = json(&again);
        assert_eq!(problem["code"], "survey_already_recorded");
        assert_eq!(problem["existingId"], first["id"]);
    }
    // Another kind is another question.
    submit(&app, &answer(&customer, "csat", 5));
    let s = summary(&app, "");
    assert_eq!(s["nps"]["responses"], 1, "{s}");
}

#[test]
fn an_empty_period_has_null_scores_and_zero_counts() {
    let app = App::new("svy-empty");
    let customer = app.customer("active");
    submit(&app, &answer(&customer, "nps", 10));

    let s = summary(&app, "from=2001-01-01T00:00:00Z&to=2001-02-01T00:00:00Z");

    assert_eq!(s["nps"]["score"], Value::Null);
    assert_eq!(s["nps"]["responses"], 0);
    assert_eq!(s["csat"]["average"], Value::Null);
    assert_eq!(s["csat"]["satisfiedPercent"], Value::Null);
    assert_eq!(s["csat"]["responses"], 0);
}

#[test]
fn the_summary_by_channel_counts_answers_about_that_channels_contacts() {
    let app = App::new("svy-channel");
    let customer = app.customer("active");
    let call = app.logged(&contact_at(&customer, "phone", now_ms() - 60_000));
    let chat = app.logged(&contact_at(&customer, "chat", now_ms() - 60_000));
    let mut about_call = answer(&customer, "nps", 10);
    about_call["interactionId"] = call["id"].clone();
    let mut about_chat = answer(&customer, "nps", 2);
    about_chat["interactionId"] = chat["id"].clone();
    assert_eq!(submit(&app, &about_call)["channel"], "phone");
    submit(&app, &about_chat);
    submit(&app, &answer(&customer, "nps", 5));

    assert_eq!(summary(&app, "channel=phone")["nps"]["score"], 100.0);
    assert_eq!(summary(&app, "channel=chat")["nps"]["score"], -100.0);
    assert_eq!(summary(&app, "")["nps"]["responses"], 3);
    let bad = app.get("/v1/interactions/surveys/summary?channel=fax&from=x");
    assert_eq!(error_fields(&json(&bad)), ["from", "channel"]);
}

#[test]
fn an_interaction_gets_one_answer_per_kind_from_its_own_customer() {
    let app = App::new("svy-once");
    let customer = app.customer("active");
    let stranger = app.customer("active");
    let call = app.logged(&contact(&customer));
    let mut first = answer(&customer, "csat", 5);
    first["interactionId"] = call["id"].clone();
    let recorded = submit(&app, &first);

    let mut second = answer(&customer, "csat", 1);
    second["interactionId"] = call["id"].clone();
    let again = app.survey(&second);
    assert_eq!(again.status(), 409);
    assert_eq!(json(&again)["existingId"], recorded["id"]);

    let mut nps = answer(&customer, "nps", 9);
    nps["interactionId"] = call["id"].clone();
    submit(&app, &nps);

    let mut foreign = answer(&stranger, "nps", 9);
    foreign["interactionId"] = call["id"].clone();
    let response = app.survey(&foreign);
    assert_eq!(error_fields(&json(&response)), ["interactionId"]);
    assert_eq!(app.count("surveys"), 2);
}

#[test]
fn an_answer_needs_a_known_customer() {
    let app = App::new("svy-customer");
    let unknown = app.survey(&answer("cus_01KAT0000000000000000000AB", "nps", 9));
    assert_eq!(unknown.status(), 404);
    let erased = app.customer("erased");
    assert_eq!(app.survey(&answer(&erased, "nps", 9)).status(), 409);
    assert_eq!(app.count("surveys"), 0);
}
