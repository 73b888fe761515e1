//! Churn through the component: a score with every reason and its data (or the lack of
//! it), a run that scores in pages and creates one retention task per customer at risk
//! and period however often it runs, and a book's ranked at-risk list.

mod common;

use common::{App, HOUR, at, body, now_ms};
use crm_domain::loyalty::calendar::{month_of, month_start};
use crm_domain::time::Timestamp;
use serde_json::{Value, json};

/// Puts `customer` at risk: two negative contacts (20), a stopped salary (25), two
/// closed products (25) = 70.
fn at_risk(app: &App, customer: &str, n: usize) {
    for i in 0..2 {
        app.svc.sql_column(&format!(
            "INSERT INTO interactions (id, customer_id, channel, direction, type, subject,
                sentiment, agent_id, occurred_at, recorded_at, confidential)
             VALUES ('int_NEG{n}{i}', '{customer}', 'phone', 'inbound', 'inquiry', 'fees',
                'negative', 'agent-1', {}, {}, 0) RETURNING id",
            now_ms() - 2 * HOUR,
            now_ms() - 2 * HOUR
        ));
    }
    let event = |id: String, kind: &str| json!({"id": id, "type": kind, "customerId": customer, "occurredAt": at(now_ms() - HOUR)});
    app.ingested(json!([
        event(format!("s-{n}"), "salary_stopped"),
        event(format!("p-{n}-1"), "product_closed"),
        event(format!("p-{n}-2"), "product_closed"),
    ]));
}

/// A loyalty account for `customer` whose tier-qualifying points are `months`:
/// (months before the current one, points), as the loyalty service's ledger keeps them.
fn loyalty_history(app: &App, customer: &str, months: &[(i64, i64)]) {
    let now = now_ms();
    app.svc.sql_column(&format!(
        "INSERT INTO loyalty_accounts (customer_id, balance, lifetime_earned, entry_count,
            last_seq, tier, tier_evaluated_at, created_at, updated_at)
         VALUES ('{customer}', 0, 0, 0, 0, 'silver', {now}, {now}, {now}) RETURNING customer_id"
    ));
    let current = month_of(Timestamp::from_unix_millis(now));
    for (ago, points) in months {
        app.svc.sql_column(&format!(
            "INSERT INTO loyalty_tier_months (customer_id, month, points)
             VALUES ('{customer}', {}, {points}) RETURNING month",
            current - ago
        ));
    }
}

fn reason<'a>(score: &'a Value, signal: &str) -> &'a Value {
    score["reasons"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["signal"] == signal))
        .unwrap_or(&Value::Null)
}

fn run(app: &App, body_: &Value) -> Value {
    body(
        &app.svc.post_json("/v1/engagement/churn/runs", body_, &[]),
        200,
    )
}

#[test]
fn a_score_lists_every_signal_with_its_points_and_says_which_have_no_data() {
    let app = App::new("eng-churn-score");
    let quiet = app.customer_of(Some("rm-1"));
    let s = body(&app.svc.get(&format!("/v1/engagement/churn/{quiet}")), 200);
    assert_eq!(
        (s["score"].clone(), s["band"].clone()),
        (json!(0), json!("low"))
    );
    assert_eq!(s["reasons"].as_array().map(Vec::len), Some(9));
    assert_eq!(s["rulesVersion"], 2);
    assert_eq!(reason(&s, "salary_stopped")["hasData"], false);
    assert_eq!(reason(&s, "salary_stopped")["value"], Value::Null);
    assert_eq!(reason(&s, "open_complaints")["hasData"], true);

    let risky = app.customer_of(Some("rm-1"));
    at_risk(&app, &risky, 1);
    let s = body(&app.svc.get(&format!("/v1/engagement/churn/{risky}")), 200);
    assert_eq!(s["score"], 70);
    assert_eq!(s["band"], "high");
    assert_eq!(s["atRisk"], true);
    assert_eq!(reason(&s, "negative_sentiment")["points"], 20);
    assert_eq!(reason(&s, "negative_sentiment")["value"], 2);
    assert_eq!(reason(&s, "products_closed")["points"], 25);
    assert_eq!(reason(&s, "salary_stopped")["points"], 25);
    assert_eq!(reason(&s, "loyalty_lapsing")["hasData"], false);
    // As of a day before the events, the events say nothing yet.
    let before = at(now_ms() - 30 * HOUR).replace(':', "%3A");
    let s = body(
        &app.svc
            .get(&format!("/v1/engagement/churn/{risky}?asOf={before}")),
        200,
    );
    assert_eq!(s["score"], 0);
    assert_eq!(
        app.svc
            .get(&format!(
                "/v1/engagement/churn/{risky}?asOf=2999-01-01T00%3A00%3A00Z"
            ))
            .status(),
        422
    );
    assert_eq!(
        app.svc
            .get("/v1/engagement/churn/cus_01KAT0000000000000000000AB")
            .status(),
        404
    );
    // Another book's customer is out of reach.
    let r = app
        .svc
        .as_user("rm-2", &["relationship_manager"])
        .get(&format!("/v1/engagement/churn/{risky}"));
    assert_eq!(r.status(), 403);
}

#[test]
fn a_run_creates_one_retention_task_per_customer_at_risk_and_period_however_often_it_runs() {
    let app = App::new("eng-churn-run");
    let risky = app.customer_of(Some("rm-1"));
    let orphan = app.customer_of(None);
    let calm = app.customer_of(Some("rm-1"));
    at_risk(&app, &risky, 1);
    at_risk(&app, &orphan, 2);
    let as_of = at(now_ms());

    // In pages of one: three pages, then none.
    let mut cursor = Value::Null;
    let mut created = 0;
    let mut pages = 0;
    loop {
        let mut request = json!({"asOf": as_of, "limit": 1});
        if !cursor.is_null() {
            request["cursor"] = cursor.clone();
        }
        let page = run(&app, &request);
        created += page["tasksCreated"].as_i64().expect("count");
        pages += 1;
        cursor = page["nextCursor"].clone();
        if cursor.is_null() {
            break;
        }
    }
    assert_eq!(pages, 4, "three full pages and an empty one");
    assert_eq!(created, 1);
    // The whole run again, in one page: nothing more.
    let again = run(&app, &json!({"asOf": as_of}));
    assert_eq!(again["scored"], 3);
    assert_eq!(again["atRisk"], 2);
    assert_eq!(again["atRiskWithoutManager"], 1);
    assert_eq!(again["tasksCreated"], 0);
    let tasks = app.svc.sql_column(
        "SELECT customer_id || ' ' || type || ' ' || assignee || ' ' || status || ' '
            || priority || ' ' || period FROM engagement_tasks",
    );
    let period = &as_of[..7];
    assert_eq!(
        tasks,
        [format!("{risky} retention rm-1 open high {period}")]
    );

    // The ranked list of the book, from the run's scores.
    let list = body(
        &app.svc.get("/v1/engagement/churn?rmId=rm-1&minScore=0"),
        200,
    );
    let ranked: Vec<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["customerId"].as_str().expect("id"))
        .collect();
    assert_eq!(ranked, [risky.as_str(), calm.as_str()]);
    let at_risk_only = body(&app.svc.get("/v1/engagement/churn?rmId=rm-1"), 200);
    assert_eq!(at_risk_only["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        app.svc.get("/v1/engagement/churn?minScore=101").status(),
        422
    );
    let mine = body(
        &app.svc
            .as_user("rm-2", &["relationship_manager"])
            .get("/v1/engagement/churn?minScore=0"),
        200,
    );
    assert_eq!(mine["items"], json!([]));
}

#[test]
fn a_run_refuses_a_cursor_of_another_run_and_a_future_as_of() {
    let app = App::new("eng-churn-refusals");
    app.customer_of(Some("rm-1"));
    app.customer_of(Some("rm-1"));
    let first = run(&app, &json!({"asOf": at(now_ms() - HOUR), "limit": 1}));
    let cursor = first["nextCursor"].clone();
    assert!(cursor.is_string());
    let other = app.svc.post_json(
        "/v1/engagement/churn/runs",
        &json!({"asOf": at(now_ms()), "cursor": cursor}),
        &[],
    );
    assert_eq!(body(&other, 422)["errors"][0]["field"], "cursor");
    let future = app.svc.post_json(
        "/v1/engagement/churn/runs",
        &json!({"asOf": "2999-01-01T00:00:00Z", "limit": 0}),
        &[],
    );
    let fields: Vec<String> = body(&future, 422)["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field").to_owned())
        .collect();
    assert_eq!(fields, ["asOf", "limit"]);
    let rm = app.svc.as_user("rm-1", &["relationship_manager"]);
    let r = rm.post_json(
        "/v1/engagement/churn/runs",
        &json!({"asOf": at(now_ms())}),
        &[],
    );
    assert_eq!(r.status(), 403);
}

#[test]
fn a_tier_lost_in_the_last_90_days_or_about_to_lapse_counts_and_a_rise_does_not() {
    let app = App::new("eng-churn-downgrade");
    // Scored as of the 16th of last month (month L), always in the past.
    let last = month_of(Timestamp::from_unix_millis(now_ms())) - 1;
    let as_of = month_start(last).plus_millis(15 * 24 * HOUR);
    let score_of = |c: &str| {
        let q = at(as_of.unix_millis()).replace(':', "%3A");
        body(
            &app.svc.get(&format!("/v1/engagement/churn/{c}?asOf={q}")),
            200,
        )
    };
    let downgraded = |s: &Value| {
        let r = reason(s, "loyalty_downgraded");
        (r["points"].clone(), r["value"].clone())
    };
    // Points of one month count towards the 12-month totals ending in the next 11
    // month ends; the default retain policy keeps a tier 12 months after the last of
    // them: 6,000 points (gold from 5,000) in month P keep gold until month P + 24.

    // Earned in L − 26: gold until the start of L − 2, so gold 90 days before the 16th
    // of L and silver on it: one tier lost.
    let lost = app.customer_of(Some("rm-1"));
    loyalty_history(&app, &lost, &[(1 + 26, 6_000)]);
    assert_eq!(downgraded(&score_of(&lost)), (json!(10), json!(1)));

    // Earned in L − 23: gold until the start of L + 1, 13 to 16 days after the 16th of
    // L, kept by the policy alone: a downgrade to come.
    let lapsing = app.customer_of(Some("rm-1"));
    loyalty_history(&app, &lapsing, &[(1 + 23, 6_000)]);
    let s = score_of(&lapsing);
    assert_eq!(downgraded(&s), (json!(10), json!(0)), "{s}");
    let detail = reason(&s, "loyalty_downgraded")["detail"].to_string();
    let days = (month_start(last + 1).unix_millis() - as_of.unix_millis()) / (24 * HOUR);
    assert!(
        detail.contains(&format!("retain policy for {days} more days")),
        "{detail}"
    );

    // Earned in L − 1: silver 90 days earlier, gold now: a rise, no points.
    let rose = app.customer_of(Some("rm-1"));
    loyalty_history(&app, &rose, &[(1 + 1, 6_000)]);
    assert_eq!(downgraded(&score_of(&rose)), (json!(0), json!(0)));

    // No loyalty account: no data, no points.
    let none = app.customer_of(Some("rm-1"));
    assert_eq!(
        reason(&score_of(&none), "loyalty_downgraded")["hasData"],
        false
    );
}
