//! Loyalty through the host, on the real `.wasm` components: the issue's walk (earn,
//! replay, redeem, over-redeem, reverse), 50 concurrent redemptions against a balance
//! of 1,000, and refusals that answer problem+json and change nothing.

use crm_e2e::{TestApp, TestResponse};
use serde_json::{Value, json};

/// A customer created through the customer-profile service, as a channel would.
fn customer(app: &TestApp, n: usize) -> String {
    let created = app.post_json(
        "/v1/customers",
        &json!({
            "fullName": format!("Wang Fang {n:03}"),
            "dateOfBirth": "1988-04-02",
            "nationalId": format!("4401011988040{n:05}"),
            "nationalIdCountry": "CN",
            "email": format!("wang.{n}@example.com"),
            "phone": format!("+86137{n:08}"),
            "segment": "retail",
            "riskTolerance": "balanced",
            "monthlyIncome": {"amount": 1_500_000, "currency": "CNY"},
            "totalAssets": {"amount": 30_000_000, "currency": "CNY"},
            "employmentStatus": "employed"
        }),
        &[("idempotency-key", &format!("customer-{n}"))],
    );
    assert_eq!(created.status, 201, "{}", created.text());
    created.json()["id"].as_str().expect("id").to_owned()
}

fn post(app: &TestApp, path: &str, key: &str, body: Value) -> TestResponse {
    app.post_json(path, &body, &[("idempotency-key", key)])
}

fn redeem(app: &TestApp, c: &str, key: &str, points: i64) -> TestResponse {
    post(
        app,
        &format!("/v1/loyalty/accounts/{c}/redeem"),
        key,
        json!({"points": points, "rewardCode": "AIRMILES-1K", "reference": key}),
    )
}

fn account(app: &TestApp, c: &str) -> Value {
    let r = app.get(&format!("/v1/loyalty/accounts/{c}"));
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

fn ledger_len(app: &TestApp, c: &str) -> usize {
    let r = app.get(&format!("/v1/loyalty/accounts/{c}/ledger?limit=200"));
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["items"].as_array().expect("items").len()
}

#[test]
fn earn_replay_redeem_over_redeem_and_reverse_keep_the_books_balanced() {
    let app = TestApp::spawn();
    let c = customer(&app, 1);
    let earn_path = format!("/v1/loyalty/accounts/{c}/earn");
    let spend = json!({"eventType": "card_spend",
                       "amount": {"amount": 1_250_000, "currency": "CNY"},
                       "reference": "card-txn-1"});

    let earned = post(&app, &earn_path, "earn-1", spend.clone());
    assert_eq!(earned.status, 201, "{}", earned.text());
    let entry = earned.json();
    assert_eq!(entry["points"], 1_250, "1 point per full 10 CNY");
    let entry_path = earned.header("location").expect("location").to_owned();
    assert_eq!(app.get(&entry_path).json(), entry);

    let replay = post(&app, &earn_path, "earn-1", spend.clone());
    assert_eq!(replay.status, 201);
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.json(), entry);
    post(&app, &earn_path, "earn-2", spend).assert_problem(409, "duplicate_reference");
    assert_eq!(ledger_len(&app, &c), 1, "the replays paid nothing");

    let redeemed = redeem(&app, &c, "redeem-1", 1_000);
    assert_eq!(redeemed.status, 201, "{}", redeemed.text());
    assert_eq!(redeemed.json()["balanceAfter"], 250);

    let over = redeem(&app, &c, "redeem-2", 251).assert_problem(409, "insufficient_points");
    assert_eq!(
        (over["available"].clone(), over["requested"].clone()),
        (json!(250), json!(251))
    );

    let reverse_path = format!(
        "/v1/loyalty/entries/{}/reverse",
        redeemed.json()["id"].as_str().expect("id")
    );
    let reversal = post(
        &app,
        &reverse_path,
        "rev-1",
        json!({"reason": "reward cancelled"}),
    );
    assert_eq!(reversal.status, 201, "{}", reversal.text());
    assert_eq!(reversal.json()["points"], 1_000);
    post(&app, &reverse_path, "rev-2", json!({"reason": "again"}))
        .assert_problem(409, "already_reversed");

    let acc = account(&app, &c);
    assert_eq!(acc["balance"], 1_250);
    assert_eq!(acc["ledgerBalance"], 1_250);
    assert_eq!(acc["lifetimeEarned"], 1_250);
    assert_eq!(acc["tier"], "silver");
    assert_eq!(
        acc["nextTier"],
        json!({"name": "gold", "pointsNeeded": 3_750})
    );
    assert_eq!(ledger_len(&app, &c), 3);
    let books = app
        .get(&format!("/v1/loyalty/accounts/{c}/reconciliation"))
        .json();
    assert_eq!(books["consistent"], true, "{books}");
}

#[test]
fn fifty_concurrent_redemptions_of_100_against_1000_let_exactly_ten_through() {
    let app = TestApp::spawn();
    let c = customer(&app, 2);
    let bonus = post(
        &app,
        &format!("/v1/loyalty/accounts/{c}/earn"),
        "bonus",
        json!({"eventType": "campaign", "points": 1_000, "reference": "welcome"}),
    );
    assert_eq!(bonus.status, 201, "{}", bonus.text());

    let barrier = std::sync::Barrier::new(50);
    let statuses: Vec<(u16, String)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..50)
            .map(|i| {
                let (app, c, barrier) = (&app, &c, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    let r = redeem(app, c, &format!("concurrent-{i}"), 100);
                    (r.status, r.text())
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|_| panic!("a client thread panicked"))
            })
            .collect()
    });

    let ok = statuses.iter().filter(|(s, _)| *s == 201).count();
    let refused: Vec<&String> = statuses
        .iter()
        .filter(|(s, _)| *s == 409)
        .map(|(_, body)| body)
        .collect();
    assert_eq!((ok, refused.len()), (10, 40), "{statuses:?}");
    assert!(refused.iter().all(|b| b.contains("insufficient_points")));
    let acc = account(&app, &c);
    assert_eq!(
        (acc["balance"].clone(), acc["ledgerBalance"].clone()),
        (json!(0), json!(0))
    );
    assert_eq!(ledger_len(&app, &c), 11);
}

#[test]
fn refusals_answer_problem_json_and_change_nothing() {
    let app = TestApp::spawn();
    let c = customer(&app, 3);
    let earn_path = format!("/v1/loyalty/accounts/{c}/earn");
    for (i, points) in [json!(0), json!(-1), json!(10_000_001), json!(1.5)]
        .into_iter()
        .enumerate()
    {
        post(
            &app,
            &earn_path,
            &format!("bad-{i}"),
            json!({"eventType": "campaign", "points": points, "reference": "c1"}),
        )
        .assert_problem(422, "validation_failed");
    }
    app.post_json(
        &earn_path,
        &json!({"eventType": "referral", "reference": "r"}),
        &[],
    )
    .assert_problem(400, "missing_idempotency_key");
    assert_eq!(ledger_len(&app, &c), 0);

    let erase = app.request("DELETE", &format!("/v1/customers/{c}"), None, &[]);
    assert_eq!(erase.status, 204, "{}", erase.text());
    post(
        &app,
        &earn_path,
        "after-erase",
        json!({"eventType": "referral", "reference": "r"}),
    )
    .assert_problem(404, "not_found");
    app.get(&format!("/v1/loyalty/accounts/{c}"))
        .assert_problem(404, "not_found");

    let rules = app.get("/v1/loyalty/rules");
    assert_eq!(rules.status, 200);
    assert_eq!(rules.header("etag"), Some("\"1\""));
    let run = app.post_json(
        "/v1/loyalty/expiry-runs",
        &json!({"asOf": "2026-01-01T00:00:00Z"}),
        &[],
    );
    assert_eq!(run.status, 200, "{}", run.text());
    assert_eq!(run.json()["entriesWritten"], 0);
}

#[test]
fn the_programme_figures_add_up_a_known_ledger() {
    let app = TestApp::spawn();
    let (a, b) = (customer(&app, 31), customer(&app, 32));
    let earn = |c: &str, key: &str, body: Value| {
        let r = post(&app, &format!("/v1/loyalty/accounts/{c}/earn"), key, body);
        assert_eq!(r.status, 201, "{}", r.text());
    };
    // 200 fixed for a salary, 1 point per full 10 CNY of card spend: 200 + 125 = 325.
    earn(
        &a,
        "fig-1",
        json!({"eventType": "salary_deposit", "reference": "sal-1"}),
    );
    earn(
        &b,
        "fig-2",
        json!({"eventType": "card_spend", "reference": "card-1",
               "amount": {"amount": 125_000, "currency": "CNY"}}),
    );
    let redeemed = redeem(&app, &a, "fig-3", 65);
    assert_eq!(redeemed.status, 201, "{}", redeemed.text());

    let manager = app.as_user("mkt-1", &["marketing"]);
    let r = manager.get("/v1/loyalty/figures");
    assert_eq!(r.status, 200, "{}", r.text());
    let f = r.json();
    // The liability: 325 earned less 65 redeemed, in two lots, all earned today.
    assert_eq!(f["outstanding"]["points"], 260, "{f}");
    assert_eq!(f["outstanding"]["lots"], 2);
    assert_eq!(f["outstanding"]["pastExpiry"], 0);
    assert_eq!(
        f["outstanding"]["byAge"][0],
        json!({"age": "under_6_months", "points": 260})
    );
    // The month (two, if the test straddles a month's end) adds up the three entries.
    let months = f["months"].as_array().expect("months");
    let total = |k: &str| {
        months
            .iter()
            .map(|m| m[k].as_i64().unwrap_or(0))
            .sum::<i64>()
    };
    assert_eq!(
        [
            total("earned"),
            total("redeemed"),
            total("expired"),
            total("entries")
        ],
        [325, 65, 0, 3],
        "{f}"
    );
    assert_eq!(
        f["redemptionRate"],
        json!({"earned": 325, "redeemed": 65, "rate": "0.2000"})
    );
    assert_eq!(
        f["membersPerTier"],
        json!([{"tier": "silver", "members": 2}])
    );

    // A period before any entry has no month and no rate; a bad period is a 422.
    let before = manager
        .get("/v1/loyalty/figures?from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z")
        .json();
    assert_eq!(before["months"], json!([]));
    assert_eq!(before["redemptionRate"]["rate"], Value::Null);
    manager
        .get("/v1/loyalty/figures?from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z")
        .assert_problem(422, "validation_failed");
    app.as_user("teller-1", &["teller"])
        .get("/v1/loyalty/figures")
        .assert_problem(403, "forbidden");
}
