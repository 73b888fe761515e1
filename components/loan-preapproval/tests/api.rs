//! The loan endpoints through `crm_http::serve` over rusqlite with the real migrations:
//! decisions, idempotency, validation that writes nothing, one open application per
//! product, the workflow with If-Match and four eyes, paging, the versioned policy,
//! quotes and replays.

mod common;

use common::*;
use crm_http::testing::json;
use serde_json::{Value, json};

#[test]
fn a_comfortable_application_is_pre_approved_with_an_offer_a_location_and_its_history() {
    let app = app("loan-api-pre-approve");
    let c = customer(&app);

    // The recorded creator is the token's subject, not the body's `actor`.
    let mobile = app.as_user("mobile-app", &["teller"]);
    let r = apply(&mobile, "k1", &body(&c, json!({})));

    assert_eq!(r.status(), 201, "{}", json(&r));
    let created = json(&r);
    let id = created["id"].as_str().expect("id");
    assert!(id.starts_with("lpa_"));
    assert_eq!(
        r.headers()["location"],
        format!("/v1/loans/applications/{id}").as_str()
    );
    assert_eq!(r.headers()["etag"], "\"1\"");
    assert_eq!(created["status"], "pre_approved");
    assert_eq!(created["decision"]["status"], "pre_approved");
    assert_eq!(created["decision"]["reasons"], json!([]));
    assert_eq!(created["decision"]["policyVersion"], 1);
    assert_eq!(
        created["decision"]["customerStanding"],
        json!({"status": "active", "kycStatus": "verified", "selfDeclared": false})
    );
    let offer = &created["offer"];
    assert_eq!(offer["amount"], cny(10_000_000));
    assert_eq!(offer["termMonths"], 36);
    assert_eq!(offer["annualRateBps"], 890);
    let payment = crm_domain::loan::monthly_payment(10_000_000, 890, 36).expect("priced");
    assert_eq!(offer["monthlyPayment"], cny(payment));
    assert_eq!(offer["totalRepayable"], cny(payment * 36));
    assert!(offer["expiresAt"].is_string());
    assert_eq!(created["decision"]["offer"], *offer);
    assert_eq!(created["createdBy"], "mobile-app");
    assert_eq!(
        created["allowedTransitions"],
        json!(["accepted", "withdrawn"])
    );
    let history = created["history"].as_array().expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["from"], Value::Null);
    assert_eq!(history[0]["to"], "pre_approved");
    assert_eq!(history[0]["actor"], "mobile-app");

    // A teller does not see the customer's income or score, not even through a loan.
    for hidden in ["monthlyIncome", "monthlyDebtPayments", "creditScore"] {
        assert!(created.get(hidden).is_none(), "{hidden} shown to a teller");
    }
    assert!(created["decision"].get("dtiBps").is_none());
    let read = app.get(&format!("/v1/loans/applications/{id}"));
    assert_eq!(read.status(), 200);
    let mut read = json(&read);
    assert_eq!(read["creditScore"], 720, "the admin sees everything");
    assert_eq!(read["monthlyIncome"]["amount"], 3_000_000);
    for hidden in ["monthlyIncome", "monthlyDebtPayments", "creditScore"] {
        read.as_object_mut().map(|m| m.remove(hidden));
    }
    read["decision"].as_object_mut().map(|m| m.remove("dtiBps"));
    assert_eq!(read, created);
    let mine = app
        .as_user("uw-1", &["underwriter"])
        .get(&format!("/v1/loans/applications/{id}"));
    assert_eq!(
        json(&mine)["creditScore"],
        720,
        "an underwriter sees the score"
    );
}

#[test]
fn a_score_near_the_minimum_is_referred_with_priced_terms_and_no_offer() {
    let app = app("loan-api-refer");
    let c = customer(&app);

    let created = applied(&app, "k1", &body(&c, json!({"creditScore": 610})));

    assert_eq!(created["status"], "referred");
    assert_eq!(codes(&created["decision"]), ["score_near_min"]);
    assert_eq!(created["decision"]["reasons"][0]["effect"], "refer");
    assert_eq!(created["offer"], Value::Null);
    assert_eq!(created["decision"]["terms"]["annualRateBps"], 1_490);
    assert_eq!(created["allowedTransitions"], json!(["under_review"]));
}

#[test]
fn an_unverified_customer_is_declined_without_counter_offer() {
    let app = app("loan-api-decline");
    let c = customer_with(&app, "active", "pending");

    let created = applied(&app, "k1", &body(&c, json!({})));

    assert_eq!(created["status"], "declined");
    assert_eq!(codes(&created["decision"]), ["kyc_not_verified"]);
    assert_eq!(created["decision"]["counterOffer"], Value::Null);
    assert_eq!(created["allowedTransitions"], json!([]));
}

#[test]
fn an_erased_or_closed_customer_is_declined() {
    let app = app("loan-api-erased");
    for (status, code) in [("erased", "customer_erased"), ("closed", "customer_closed")] {
        let c = customer_with(&app, status, "verified");
        let created = applied(&app, status, &body(&c, json!({})));
        assert_eq!(created["status"], "declined");
        assert_eq!(codes(&created["decision"]), [code]);
    }
}

#[test]
fn an_unaffordable_amount_is_declined_with_a_counter_offer() {
    let app = app("loan-api-counter");
    let c = customer(&app);

    let created = applied(
        &app,
        "k1",
        &body(
            &c,
            json!({"termMonths": 12, "monthlyIncome": cny(1_000_000), "monthlyDebtPayments": cny(0)}),
        ),
    );

    assert_eq!(created["status"], "declined");
    assert_eq!(codes(&created["decision"]), ["dti_above_max"]);
    let counter = &created["decision"]["counterOffer"];
    assert_eq!(counter["amount"], cny(10_000_000));
    assert!(counter["termMonths"].as_i64().expect("term") > 12);
    assert!(counter["dtiBps"].as_i64().expect("dti") <= 4_000);
}

#[test]
fn the_same_idempotency_key_twice_makes_one_application() {
    let app = app("loan-api-idempotent");
    let c = customer(&app);
    let first = applied(&app, "same", &body(&c, json!({})));

    let again = apply(&app, "same", &body(&c, json!({})));

    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(json(&again)["id"], first["id"]);
    assert_eq!(count(&app, "loan_applications"), 1);
    assert_eq!(count(&app, "loan_transitions"), 1);
    let other_body = apply(&app, "same", &body(&c, json!({"termMonths": 24})));
    assert_problem(&other_body, 422, "validation_failed");
    assert_eq!(count(&app, "loan_applications"), 1);
}

#[test]
fn a_missing_idempotency_key_is_a_400_and_writes_nothing() {
    let app = app("loan-api-no-key");
    let c = customer(&app);
    let r = app.post_json("/v1/loans/applications", &body(&c, json!({})), &[]);
    assert_problem(&r, 400, "missing_idempotency_key");
    assert_eq!(count(&app, "loan_applications"), 0);
}

#[test]
fn every_invalid_field_is_listed_in_one_422_and_nothing_is_written() {
    let app = app("loan-api-invalid");
    let c = customer(&app);

    let r = apply(
        &app,
        "k1",
        &body(
            &c,
            json!({
                "amount": cny(0),
                "termMonths": 0,
                "purpose": "",
                "monthlyIncome": cny(-1),
                "creditScore": 900,
                "employmentMonths": -1
            }),
        ),
    );

    let problem = assert_problem(&r, 422, "validation_failed");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        [
            "amount.amount",
            "monthlyIncome.amount",
            "termMonths",
            "purpose",
            "creditScore",
            "employmentMonths"
        ]
    );
    assert_eq!(count(&app, "loan_applications"), 0);
    assert_eq!(count(&app, "idempotency_keys"), 0);
}

#[test]
fn malformed_bodies_unknown_fields_and_unknown_values_are_refused() {
    let app = app("loan-api-malformed");
    let c = customer(&app);
    let unknown = apply(&app, "a", &body(&c, json!({"bonus": true})));
    assert_problem(&unknown, 400, "unknown_field");
    let product = apply(&app, "b", &body(&c, json!({"product": "boat"})));
    assert_problem(&product, 422, "validation_failed");
    let float = apply(
        &app,
        "c",
        &body(&c, json!({"amount": {"amount": 1.5, "currency": "CNY"}})),
    );
    assert_problem(&float, 422, "validation_failed");
    let bad = app.request(
        "POST",
        "/v1/loans/applications",
        Some("{not json"),
        &[
            ("content-type", "application/json"),
            ("idempotency-key", "d"),
        ],
    );
    assert_problem(&bad, 400, "malformed_json");
    assert_eq!(count(&app, "loan_applications"), 0);
}

#[test]
fn an_unknown_customer_or_a_currency_outside_the_policy_is_a_422() {
    let app = app("loan-api-unknown-customer");
    let ghost = "cus_01KAT0000000000000000000ZZ";
    let r = apply(&app, "k1", &body(ghost, json!({})));
    let problem = assert_problem(&r, 422, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "customerId");

    let c = customer(&app);
    let usd = |m: i64| json!({"amount": m, "currency": "USD"});
    let r = apply(
        &app,
        "k2",
        &body(
            &c,
            json!({"amount": usd(1_000_000), "monthlyIncome": usd(900_000), "monthlyDebtPayments": usd(0)}),
        ),
    );
    let problem = assert_problem(&r, 422, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "amount.currency");
    assert_eq!(count(&app, "loan_applications"), 0);
}

#[test]
fn a_second_open_application_for_the_same_product_is_a_409_naming_the_first() {
    let app = app("loan-api-one-open");
    let c = customer(&app);
    let first = applied(&app, "k1", &body(&c, json!({})));

    let second = apply(&app, "k2", &body(&c, json!({"amount": cny(2_000_000)})));

    let problem = assert_problem(&second, 409, "open_application_exists");
    assert_eq!(problem["existingId"], first["id"]);
    assert_eq!(count(&app, "loan_applications"), 1);
    // Another product is independent.
    let auto = applied(
        &app,
        "k3",
        &body(&c, json!({"product": "auto", "amount": cny(5_000_000)})),
    );
    assert_eq!(auto["status"], "pre_approved");
    // Once the first is answered, the customer may apply again.
    let id = first["id"].as_str().expect("id");
    moved(&app, id, json!({"to": "withdrawn"}));
    let again = applied(&app, "k4", &body(&c, json!({"amount": cny(2_000_000)})));
    assert_eq!(again["status"], "pre_approved");
}

#[test]
fn a_declined_application_does_not_block_a_new_one() {
    let app = app("loan-api-after-decline");
    let c = customer(&app);
    let declined = applied(&app, "k1", &body(&c, json!({"creditScore": 500})));
    assert_eq!(declined["status"], "declined");
    let next = applied(&app, "k2", &body(&c, json!({})));
    assert_eq!(next["status"], "pre_approved");
}

#[test]
fn a_referral_walks_through_review_to_approval_and_acceptance_with_four_eyes() {
    let app = app("loan-api-walk");
    let c = customer(&app);
    // Four eyes compares the callers' token identities.
    let anna = app.as_user("uw-anna", &["underwriter"]);
    let ben = app.as_user("uw-ben", &["underwriter"]);
    let mobile = app.as_user(&c, &["customer"]);
    let created = applied(&anna, "k1", &body(&c, json!({"creditScore": 610})));
    let id = created["id"].as_str().expect("id");

    let reviewing = moved(&anna, id, json!({"to": "under_review"}));
    assert_eq!(reviewing["status"], "under_review");
    assert_eq!(
        reviewing["allowedTransitions"],
        json!(["approved", "declined"])
    );

    let own = transition(
        &anna,
        id,
        Some("\"2\""),
        json!({"to": "approved", "note": "fine"}),
    );
    assert_problem(&own, 409, "four_eyes_required");
    // Naming someone else in the body does not get round it.
    let claimed = transition(
        &anna,
        id,
        Some("\"2\""),
        json!({"to": "approved", "note": "fine"}),
    );
    assert_problem(&claimed, 409, "four_eyes_required");
    let customer_approves = transition(
        &mobile,
        id,
        Some("\"2\""),
        json!({"to": "approved", "note": "fine"}),
    );
    assert_problem(&customer_approves, 403, "forbidden");

    let approved = moved(
        &ben,
        id,
        json!({"to": "approved", "note": "stable employer, low utilisation"}),
    );
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["offer"]["annualRateBps"], 1_490);
    assert!(approved["offer"]["expiresAt"].is_string());

    let accepted = moved(&mobile, id, json!({"to": "accepted"}));
    assert_eq!(accepted["status"], "accepted");
    assert_eq!(accepted["allowedTransitions"], json!([]));
    let history = accepted["history"].as_array().expect("history");
    let steps: Vec<(Value, Value, Value)> = history
        .iter()
        .map(|h| (h["from"].clone(), h["to"].clone(), h["actor"].clone()))
        .collect();
    assert_eq!(
        steps,
        [
            (Value::Null, json!("referred"), json!("uw-anna")),
            (json!("referred"), json!("under_review"), json!("uw-anna")),
            (json!("under_review"), json!("approved"), json!("uw-ben")),
            (json!("approved"), json!("accepted"), json!(c)),
        ]
    );
    assert_eq!(history[2]["note"], "stable employer, low utilisation");
    assert_eq!(accepted["etag"], "\"4\"");
}

#[test]
fn a_transition_needs_a_current_if_match() {
    let app = app("loan-api-if-match");
    let c = customer(&app);
    let id = applied(&app, "k1", &body(&c, json!({})))["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let accept = json!({"to": "accepted"});

    assert_problem(
        &transition(&app, &id, None, accept.clone()),
        428,
        "precondition_required",
    );
    assert_problem(
        &transition(&app, &id, Some("\"7\""), accept.clone()),
        412,
        "precondition_failed",
    );
    let ok = transition(&app, &id, Some("\"1\""), accept.clone());
    assert_eq!(ok.status(), 200, "{}", json(&ok));
    assert_eq!(ok.headers()["etag"], "\"2\"");
    // The same request again is stale now.
    assert_problem(
        &transition(&app, &id, Some("\"1\""), accept),
        412,
        "precondition_failed",
    );
    assert_eq!(count(&app, "loan_transitions"), 2);
}

#[test]
fn an_illegal_transition_is_a_409_naming_the_allowed_ones() {
    let app = app("loan-api-illegal");
    let c = customer(&app);
    let referred = applied(&app, "k1", &body(&c, json!({"creditScore": 610})));
    let id = referred["id"].as_str().expect("id");

    let r = transition(
        &app,
        id,
        Some("\"1\""),
        json!({"to": "approved", "note": "skip review"}),
    );

    let problem = assert_problem(&r, 409, "transition_not_allowed");
    assert_eq!(problem["allowed"], json!(["under_review"]));
    assert_eq!(problem["currentStatus"], "referred");
    let declined = applied(
        &app,
        "k2",
        &body(&c, json!({"product": "auto", "creditScore": 500})),
    );
    let r = transition(
        &app,
        declined["id"].as_str().expect("id"),
        Some("*"),
        json!({"to": "under_review"}),
    );
    let problem = assert_problem(&r, 409, "transition_not_allowed");
    assert_eq!(problem["allowed"], json!([]));
    assert_eq!(count(&app, "loan_transitions"), 2);
}

#[test]
fn an_approval_without_a_note_is_a_422_and_a_body_naming_who_acts_is_refused() {
    let app = app("loan-api-note");
    let c = customer(&app);
    let id = applied(&app, "k1", &body(&c, json!({"creditScore": 610})))["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let r = transition(&app, &id, Some("*"), json!({"to": "approved"}));
    let problem = assert_problem(&r, 422, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "note", "{problem}");
    let r = transition(
        &app,
        &id,
        Some("*"),
        json!({"to": "approved", "note": "fine", "actor": "someone-else"}),
    );
    assert_problem(&r, 400, "unknown_field");
    let r = transition(&app, &id, Some("*"), json!({"to": "approved", "extra": 1}));
    assert_problem(&r, 400, "unknown_field");
}

#[test]
fn a_transition_sent_twice_with_one_idempotency_key_applies_once() {
    let app = app("loan-api-transition-idem");
    let c = customer(&app);
    let id = applied(&app, "k1", &body(&c, json!({})))["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let send = || {
        app.request(
            "POST",
            &format!("/v1/loans/applications/{id}/transitions"),
            Some(&json!({"to": "accepted"}).to_string()),
            &[
                ("content-type", "application/json"),
                ("if-match", "\"1\""),
                ("idempotency-key", "accept-1"),
            ],
        )
    };
    let first = send();
    let second = send();
    assert_eq!(first.status(), 200, "{}", json(&first));
    assert_eq!(second.status(), 200, "{}", json(&second));
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    assert_eq!(json(&second), json(&first));
    assert_eq!(count(&app, "loan_transitions"), 2);
}

#[test]
fn unknown_or_malformed_application_ids_are_404() {
    let app = app("loan-api-404");
    for id in [
        "lpa_01KAT0000000000000000000ZZ",
        "nope",
        "cus_01KAT0000000000000000000ZZ",
    ] {
        assert_problem(
            &app.get(&format!("/v1/loans/applications/{id}")),
            404,
            "not_found",
        );
        let replay = app.post_json(
            &format!("/v1/loans/applications/{id}/replay"),
            &json!({}),
            &[],
        );
        assert_problem(&replay, 404, "not_found");
        let r = transition(&app, id, Some("*"), json!({"to": "accepted"}));
        assert_problem(&r, 404, "not_found");
    }
}

#[test]
fn the_list_filters_by_customer_status_and_product_and_pages_newest_first() {
    let app = app("loan-api-list");
    let (a, b) = (customer(&app), customer(&app));
    let mut ids = Vec::new();
    for (i, product) in ["personal", "auto", "mortgage", "credit_card"]
        .iter()
        .enumerate()
    {
        let amount = if *product == "mortgage" {
            20_000_000
        } else {
            2_500_000
        };
        let term = if *product == "mortgage" { 120 } else { 24 };
        let created = applied(
            &app,
            &format!("a{i}"),
            &body(
                &a,
                json!({"product": product, "amount": cny(amount), "termMonths": term}),
            ),
        );
        ids.push(created["id"].as_str().expect("id").to_owned());
    }
    applied(&app, "b0", &body(&b, json!({"creditScore": 610})));

    let mut seen = Vec::new();
    let mut path = format!("/v1/loans/applications?customerId={a}&limit=3");
    loop {
        let page = json(&app.get(&path));
        for item in page["items"].as_array().expect("items") {
            assert!(item.get("history").is_none(), "lists carry no history");
            seen.push(item["id"].as_str().expect("id").to_owned());
        }
        match page["nextCursor"].as_str() {
            Some(next) => {
                path = format!("/v1/loans/applications?customerId={a}&limit=3&cursor={next}")
            }
            None => break,
        }
    }
    ids.reverse();
    assert_eq!(seen, ids, "newest first, each once");

    let referred = json(&app.get("/v1/loans/applications?status=referred"));
    assert_eq!(referred["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(referred["items"][0]["customerId"], b.as_str());
    let autos = json(&app.get(&format!(
        "/v1/loans/applications?customerId={a}&product=auto"
    )));
    assert_eq!(autos["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(autos["nextCursor"], Value::Null);
}

#[test]
fn bad_list_parameters_are_refused_together() {
    let app = app("loan-api-list-bad");
    let r =
        app.get("/v1/loans/applications?limit=0&status=open&customerId=x&cursor=zz&product=boat");
    let problem = assert_problem(&r, 422, "validation_failed");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        ["limit", "cursor", "customerId", "product", "status"]
    );
    assert_problem(
        &app.get("/v1/loans/applications?limt=5"),
        400,
        "invalid_query",
    );
}

#[test]
fn a_quote_decides_without_writing_and_names_an_open_application() {
    let app = app("loan-api-quote");
    let c = customer(&app);

    let r = app.post_json("/v1/loans/quote", &body(&c, json!({})), &[]);

    assert_eq!(r.status(), 200, "{}", json(&r));
    let quote = json(&r);
    assert_eq!(quote["status"], "pre_approved");
    assert_eq!(quote["policyVersion"], 1);
    assert_eq!(quote["openApplicationId"], Value::Null);
    assert_eq!(count(&app, "loan_applications"), 0);
    assert_eq!(count(&app, "loan_transitions"), 0);

    let created = applied(&app, "k1", &body(&c, json!({})));
    let again = json(&app.post_json(
        "/v1/loans/quote",
        &body(&c, json!({"creditScore": 599})),
        &[],
    ));
    assert_eq!(again["status"], "declined");
    assert_eq!(codes(&again), ["score_below_min"]);
    assert_eq!(again["openApplicationId"], created["id"]);
    assert_eq!(count(&app, "loan_applications"), 1);
}

#[test]
fn the_seeded_policy_is_the_documented_default() {
    let app = app("loan-api-policy-default");
    let r = app.get("/v1/loans/policy");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["etag"], "\"1\"");
    let mut body = json(&r);
    assert_eq!(body["version"], 1);
    assert_eq!(body["actor"], "system");
    if let Some(map) = body.as_object_mut() {
        for key in ["version", "actor", "createdAt"] {
            map.remove(key);
        }
    }
    let seeded: crm_domain::loan::Policy = serde_json::from_value(body).expect("a policy");
    assert_eq!(seeded, crm_domain::loan::Policy::default_policy());
}

#[test]
fn a_policy_change_is_a_new_version_and_old_applications_keep_and_replay_theirs() {
    let app = app("loan-api-policy-change");
    let c = customer(&app);
    let before = applied(
        &app,
        "k1",
        &body(&c, json!({"monthlyDebtPayments": cny(500_000)})),
    );
    assert_eq!(before["status"], "pre_approved");

    let r = put_policy(&app, |p| {
        p["products"]["personal"]["maxDtiBps"] = json!(3_000);
        p["products"]["personal"]["rateGrid"][1]["annualRateBps"] = json!(990);
    });

    assert_eq!(r.status(), 200, "{}", json(&r));
    assert_eq!(r.headers()["etag"], "\"2\"");
    assert_eq!(json(&r)["version"], 2);
    assert_eq!(
        json(&r)["actor"],
        "dev-admin",
        "who changed it is the token's subject"
    );
    let id = before["id"].as_str().expect("id");
    let replay = json(&app.post_json(
        &format!("/v1/loans/applications/{id}/replay"),
        &json!({}),
        &[],
    ));
    assert_eq!(replay["matches"], true, "{replay}");
    assert_eq!(replay["differences"], json!([]));
    assert_eq!(replay["policyVersion"], 1);
    assert_eq!(replay["recomputed"], replay["stored"]);
    assert_eq!(replay["snapshot"]["input"]["creditScore"], 720);
    // A replay takes no options: a body that is not the empty object is refused.
    let path = format!("/v1/loans/applications/{id}/replay");
    let options = app.post_json(&path, &json!({"policyVersion": 2}), &[]);
    assert_eq!(
        options.status(),
        422,
        "{}",
        String::from_utf8_lossy(options.body())
    );
    let list = app.post_json(&path, &json!([null, null]), &[]);
    assert!(list.status().is_client_error(), "{}", list.status());

    let quote = json(&app.post_json(
        "/v1/loans/quote",
        &body(
            &c,
            json!({"product": "auto", "monthlyDebtPayments": cny(500_000)}),
        ),
        &[],
    ));
    assert_eq!(quote["policyVersion"], 2);
    let v1 = app.get("/v1/loans/policy/1");
    assert_eq!(v1.status(), 200);
    assert_eq!(json(&v1)["products"]["personal"]["maxDtiBps"], 4_000);
    assert_problem(&app.get("/v1/loans/policy/99"), 404, "not_found");
    assert_problem(&app.get("/v1/loans/policy/x"), 404, "not_found");
}

#[test]
fn a_policy_put_needs_a_current_if_match_and_a_coherent_policy() {
    let app = app("loan-api-policy-put");
    let policy = json!({});
    let no_match = app.request(
        "PUT",
        "/v1/loans/policy",
        Some(&policy.to_string()),
        &[("content-type", "application/json")],
    );
    assert_problem(&no_match, 428, "precondition_required");
    let stale = app.request(
        "PUT",
        "/v1/loans/policy",
        Some(&policy.to_string()),
        &[("content-type", "application/json"), ("if-match", "\"9\"")],
    );
    assert_problem(&stale, 412, "precondition_failed");

    let incoherent = put_policy(&app, |p| {
        p["offerValidityDays"] = json!(-1);
        p["products"]["auto"]["maxDtiBps"] = json!(0);
        p["actor"] = json!("  ");
    });
    let problem = assert_problem(&incoherent, 422, "validation_failed");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        ["actor", "offerValidityDays", "products.auto.maxDtiBps"]
    );
    let read_only = put_policy(&app, |p| p["version"] = json!(5));
    assert_problem(&read_only, 422, "validation_failed");
    let unknown = put_policy(&app, |p| p["products"]["boat"] = json!({}));
    assert_problem(&unknown, 400, "unknown_field");
    assert_eq!(count(&app, "loan_policies"), 1);
}

#[test]
fn an_expired_offer_reads_expired_cannot_be_accepted_and_can_be_recorded_as_expired() {
    let app = app("loan-api-expired");
    // A validity of 0 days makes every offer expire the moment it is made.
    assert_eq!(
        put_policy(&app, |p| p["offerValidityDays"] = json!(0)).status(),
        200
    );
    let c = customer(&app);
    let created = applied(&app, "k1", &body(&c, json!({})));
    assert_eq!(created["decision"]["status"], "pre_approved");
    assert_eq!(
        created["offer"]["expiresAt"],
        created["decision"]["decidedAt"]
    );
    let id = created["id"].as_str().expect("id");
    assert_eq!(
        json(&app.get(&format!("/v1/loans/applications/{id}")))["status"],
        "expired"
    );

    let accept = transition(&app, id, Some("\"1\""), json!({"to": "accepted"}));
    let problem = assert_problem(&accept, 409, "offer_expired");
    assert_eq!(problem["expiresAt"], created["offer"]["expiresAt"]);

    let expired = moved(&app, id, json!({"to": "expired"}));
    assert_eq!(expired["status"], "expired");
    let listed = json(&app.get("/v1/loans/applications?status=expired"));
    assert_eq!(listed["items"][0]["id"], id);
}

#[test]
fn a_lapsed_offer_is_recorded_as_expired_when_the_customer_applies_again() {
    let app = app("loan-api-lapsed");
    assert_eq!(
        put_policy(&app, |p| p["offerValidityDays"] = json!(0)).status(),
        200
    );
    let c = customer(&app);
    let first = applied(&app, "k1", &body(&c, json!({})));

    let second = applied(&app, "k2", &body(&c, json!({})));

    assert_ne!(second["id"], first["id"]);
    let id = first["id"].as_str().expect("id");
    let read = json(&app.get(&format!("/v1/loans/applications/{id}")));
    assert_eq!(read["status"], "expired");
    assert_eq!(read["etag"], "\"2\"");
    let last = &read["history"][1];
    assert_eq!(last["from"], "pre_approved");
    assert_eq!(last["to"], "expired");
    assert_eq!(last["actor"], "system");
    assert_eq!(last["at"], first["offer"]["expiresAt"]);
}

#[test]
fn the_routes_answer_405_with_allow_for_a_wrong_method() {
    let app = app("loan-api-405");
    let r = app.request("DELETE", "/v1/loans/policy", None, &[]);
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "GET, PUT, HEAD");
}
