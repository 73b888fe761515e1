//! The erasure's statements on rusqlite with the real migrations: every table is named
//! by one owner, an erased customer's personal data is redacted or deleted in every
//! owner's tables while another customer's is untouched, and the append-only triggers
//! admit the redaction and nothing else.

use crm_store::erasure::{self, ALL, REDACTED};
use crm_store::migrations::migrate;
use crm_store::native::{NativeDatabase, fresh_state_dir};
use crm_store::{Database, StoreError, Value};
use std::collections::BTreeSet;

const X: &str = "cus_01M8SR3G97GW241MRV1RDDT509";
const Y: &str = "cus_01M8SR3G97GW241MRV1RDDT510";

fn db(name: &str) -> NativeDatabase {
    let dir = fresh_state_dir(&format!("store-erasure-{name}"));
    let db = NativeDatabase::open(&dir.join("sqlite_db.db")).expect("open");
    migrate(&db).expect("migrates");
    db
}

fn run(db: &dyn Database, sql: &str) {
    if let Err(e) = db.execute(sql, &[]) {
        panic!("{sql}: {e}");
    }
}

fn texts(db: &dyn Database, sql: &str) -> Vec<Option<String>> {
    db.execute(sql, &[])
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .iter()
        .map(|r| r.opt_str("v").expect("v").map(str::to_owned))
        .collect()
}

fn one(db: &dyn Database, sql: &str) -> Option<String> {
    texts(db, sql).into_iter().next().flatten()
}

fn some(values: &[&str]) -> Vec<Option<String>> {
    values.iter().map(|v| Some((*v).to_owned())).collect()
}

const SNAPSHOT: &str = r#"{"input":{"customerId":"CUS","product":"personal","amount":{"amount":10000000,"currency":"CNY"},"termMonths":36,"purpose":"a secret purpose","monthlyIncome":{"amount":3123457,"currency":"CNY"},"monthlyDebtPayments":{"amount":234567,"currency":"CNY"},"creditScore":771,"employmentStatus":"employed","employmentMonths":43},"customer":{"status":"active","kycStatus":"verified"},"decidedAt":"2026-12-01T21:27:55.204Z"}"#;
const TERMS: &str = r#"{"amount":{"amount":10000000,"currency":"CNY"},"termMonths":36,"annualRateBps":690,"monthlyPayment":{"amount":308314,"currency":"CNY"},"totalRepayable":{"amount":11099304,"currency":"CNY"}}"#;

fn decision() -> String {
    format!(
        r#"{{"status":"declined","reasons":[{{"code":"dti_above_max","effect":"decline","message":"debt-to-income 77.00% with a 3083.14 CNY instalment"}},{{"code":"score_below_min","effect":"refer","message":"credit score 771"}}],"policyVersion":1,"decidedAt":"2026-12-01T21:27:55.204Z","dtiBps":7700,"terms":{TERMS},"offer":null,"counterOffer":{{"amount":{{"amount":5000000,"currency":"CNY"}},"termMonths":36,"annualRateBps":690,"monthlyPayment":{{"amount":154157,"currency":"CNY"}},"totalRepayable":{{"amount":5549652,"currency":"CNY"}},"dtiBps":3900,"status":"pre_approved"}}}}"#
    )
}

/// Customer `id` with something personal in every owner's tables, `n` making its rows
/// distinct.
fn seed(db: &dyn Database, id: &str, n: u32) {
    let p = |sql: &str| sql.replace("CUS", id).replace('#', &n.to_string());
    run(
        db,
        &p(
            "INSERT INTO customers (id, status, segment, value_tier, kyc_status, risk_tolerance,
                full_name, name_key, date_of_birth, national_id_country, national_id, email,
                phone, document, version, created_at, updated_at)
            VALUES ('CUS', 'active', 'retail', 'priority', 'verified', 'growth', 'Name #',
                'name n', '1983-02-17', 'CN', 'ID#', 'e#@example.com', '+86139000000#',
                '{\"fullName\":\"Name #\"}', 1, 1, 1)",
        ),
    );
    run(
        db,
        &p("INSERT INTO customer_tags VALUES ('CUS', 'customer_value', 'high_potential')"),
    );
    run(
        db,
        &p(
            "INSERT INTO interactions (id, customer_id, channel, direction, type, subject, notes,
                outcome, sentiment, agent_id, occurred_at, recorded_at, confidential, complaint_id)
            VALUES ('int_a#', 'CUS', 'phone', 'inbound', 'inquiry', 'subject #', 'notes #', NULL,
                    'neutral', 'agent-1', 1, 1, 0, NULL),
                   ('int_b#', 'CUS', 'branch', 'inbound', 'complaint', 'complaint #', NULL,
                    'outcome #', 'negative', 'agent-1', 2, 2, 0, 'cmp_#')",
        ),
    );
    run(
        db,
        &p(
            "INSERT INTO complaints (id, interaction_id, customer_id, severity, category,
                regulatory, status, assignee, opened_at, due_at, resolution, resolved_at,
                closed_at, version, updated_at)
            VALUES ('cmp_#', 'int_b#', 'CUS', 'high', 'fees_and_charges', 0, 'resolved',
                    'agent-9', 2, 3, 'resolution #', 3, NULL, 2, 3)",
        ),
    );
    run(
        db,
        &p("INSERT INTO complaint_history VALUES
                ('cmp_#', 1, NULL, 'open', 'agent-1', 'opened #', NULL, NULL, 2),
                ('cmp_#', 2, 'open', 'resolved', 'agent-9', 'refund #', 'agent-9',
                 'resolution #', 3)"),
    );
    run(
        db,
        &p(
            "INSERT INTO surveys (id, customer_id, kind, score, comment, submitted_at)
            VALUES ('svy_#', 'CUS', 'nps', 2, 'comment #', 4)",
        ),
    );
    run(
        db,
        &p("INSERT INTO loyalty_accounts VALUES ('CUS', 100, 300, 2, 2, 'silver', 1, 1, 1)"),
    );
    run(
        db,
        &p(
            "INSERT INTO loyalty_entries (id, customer_id, kind, points, balance_after,
                event_type, amount_minor, currency, base_points, multiplier_bp, reference,
                reason, actor, rule_version, tier_points, tier_at, lifetime_points, created_at)
            VALUES ('lpt_a#', 'CUS', 'earn', 300, 300, 'card_spend', 300000, 'CNY', 300,
                    10000, 'txn-N', NULL, 'card-feed', 1, 300, 1, 300, 1),
                   ('lpt_b#', 'CUS', 'adjust', -200, 100, NULL, NULL, NULL, NULL, NULL,
                    'case-N', 'reason #', 'agent-1', 1, 0, 2, 300, 2)",
        ),
    );
    run(
        db,
        &format!(
            "INSERT INTO loan_applications (id, customer_id, product, status, decision_status,
                policy_version, amount_minor, currency, term_months, snapshot, decision,
                created_by, version, created_at, updated_at)
             VALUES ('lpa_{n}', '{id}', 'personal', 'declined', 'declined', 1, 10000000, 'CNY',
                     36, '{}', '{}', 'teller-1', 1, 1, 1)",
            SNAPSHOT.replace("CUS", id),
            decision()
        ),
    );
    run(
        db,
        &p(
            "INSERT INTO loan_transitions (application_id, from_status, to_status, actor, note,
                at, recorded_at)
            VALUES ('lpa_#', NULL, 'declined', 'teller-1', 'automated decision', 1, 1),
                   ('lpa_#', 'declined', 'declined', 'uw-1', NULL, 2, 2)",
        ),
    );
    run(
        db,
        &p("INSERT INTO recommendation_feedback VALUES
                ('rfb_#', 'CUS', 'CARD_GOLD', 'clicked', 'email', 1, 1)"),
    );
    run(
        db,
        &p(
            "INSERT INTO engagement_events (id, customer_id, kind, amount_minor, currency,
                description, occurred_at, received_at, rules_version)
            VALUES ('evt-#', 'CUS', 'large_withdrawal', 90000000, 'CNY',
                    'house purchase #', 1, 1, 1)",
        ),
    );
    run(
        db,
        &p(
            "INSERT INTO engagement_alerts (id, customer_id, event_id, rule, rules_version,
                reason, suggested_action, priority, status, due_at, dismiss_reason, task_id,
                version, created_at, updated_at)
            VALUES ('alr_a#', 'CUS', 'evt-#', 'property_purchase', 1, 'reason #',
                    'mortgage_offer', 'high', 'open', 9, NULL, NULL, 1, 1, 1),
                   ('alr_b#', 'CUS', 'evt-b#', 'property_purchase', 1, 'reason #',
                    'mortgage_offer', 'high', 'converted', 9, NULL, 'tsk_a#', 2, 1, 1)",
        ),
    );
    run(
        db,
        &p("INSERT INTO engagement_churn_scores VALUES ('CUS', 7#, 'high', 1, '[]', 1, 1)"),
    );
    run(
        db,
        &p(
            "INSERT INTO engagement_tasks (id, customer_id, type, title, assignee, priority,
                status, due_at, note, created_by, version, created_at, updated_at)
            VALUES ('tsk_a#', 'CUS', 'contact', 'call # about the house', 'rm-1', 'high',
                    'in_progress', 9, 'note #', 'rm-1', 2, 1, 1),
                   ('tsk_b#', 'CUS', 'review', 'review #', 'rm-1', 'low',
                    'done', 9, NULL, 'rm-1', 3, 1, 1)",
        ),
    );
    run(
        db,
        &p(
            "INSERT INTO idempotency_keys (scope, key, fingerprint, status, content_type,
                location, etag, body, created_at, customer_id)
            VALUES ('POST /v1/customers', 'k#', 'json:{\"fullName\":\"Name #\"}', 201,
                    'application/json', '/v1/customers/CUS', '\"1\"',
                    CAST('{\"fullName\":\"Name #\"}' AS BLOB), 4102444800000, 'CUS')",
        ),
    );
}

/// What customer-profile's `repo::erase` does first: the gate the triggers check.
fn mark_erased(db: &dyn Database, id: &str) {
    db.execute(
        "UPDATE customers SET status = 'erased', full_name = NULL WHERE id = ?",
        &[Value::from(id)],
    )
    .expect("marked");
}

#[test]
fn every_table_is_named_by_one_owner() {
    let db = db("tables");
    let stored: BTreeSet<String> = texts(
        &db,
        "SELECT name AS v FROM sqlite_schema WHERE type = 'table'
           AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations'",
    )
    .into_iter()
    .flatten()
    .collect();
    let mut named = BTreeSet::new();
    for part in ALL {
        for table in part.tables {
            assert!(named.insert((*table).to_owned()), "{table} is named twice");
        }
    }
    assert_eq!(named, stored, "every table, and only tables that exist");
}

#[test]
fn an_erased_customers_text_is_redacted_and_records_deleted_in_every_owners_tables() {
    let db = db("erase");
    seed(&db, X, 1);
    seed(&db, Y, 2);
    mark_erased(&db, X);

    erasure::erase(&db, X).expect("erased");

    let of = |table: &str, column: &str, id: &str| {
        texts(
            &db,
            &format!("SELECT {column} AS v FROM {table} WHERE customer_id = '{id}' ORDER BY 1"),
        )
    };
    assert!(of("customer_tags", "name", X).is_empty());
    assert_eq!(
        of("interactions", "subject", X),
        some(&[REDACTED, REDACTED])
    );
    assert_eq!(
        of("interactions", "notes", X),
        [None, Some(REDACTED.into())]
    );
    assert_eq!(
        of("interactions", "outcome", X),
        [None, Some(REDACTED.into())]
    );
    assert_eq!(
        of("interactions", "sentiment", X),
        some(&["negative", "neutral"])
    );
    assert_eq!(of("complaints", "resolution", X), some(&[REDACTED]));
    assert_eq!(
        texts(
            &db,
            "SELECT note || '/' || coalesce(resolution, '-') AS v FROM complaint_history
             WHERE complaint_id = 'cmp_1' ORDER BY version"
        ),
        some(&["[erased]/-", "[erased]/[erased]"])
    );
    assert_eq!(of("surveys", "comment", X), some(&[REDACTED]));
    assert_eq!(
        of(
            "loyalty_entries",
            "coalesce(reason, '-') || ' ' || points",
            X
        ),
        some(&["- 300", "[erased] -200"])
    );
    assert_eq!(
        of("loan_applications", "snapshot", X),
        [Some(format!(
            r#"{{"input":{{"customerId":"{X}","product":"personal","amount":{{"amount":10000000,"currency":"CNY"}},"termMonths":36}},"customer":{{"status":"active","kycStatus":"verified"}},"decidedAt":"2026-12-01T21:27:55.204Z","erased":true}}"#
        ))]
    );
    assert_eq!(
        of("loan_applications", "decision", X),
        [Some(format!(
            r#"{{"status":"declined","reasons":[{{"code":"dti_above_max","effect":"decline","message":"[erased]"}},{{"code":"score_below_min","effect":"refer","message":"[erased]"}}],"policyVersion":1,"decidedAt":"2026-12-01T21:27:55.204Z","dtiBps":null,"terms":{TERMS},"offer":null,"counterOffer":null}}"#
        ))]
    );
    assert_eq!(
        texts(
            &db,
            "SELECT coalesce(note, '-') AS v FROM loan_transitions
             WHERE application_id = 'lpa_1' ORDER BY seq"
        ),
        some(&[REDACTED, "-"])
    );
    assert!(of("recommendation_feedback", "id", X).is_empty());
    assert_eq!(
        one(
            &db,
            &format!(
                "SELECT fingerprint || ' ' || status || ' ' || coalesce(body, 'no body')
                   || ' ' || coalesce(location, 'no location') AS v
                 FROM idempotency_keys WHERE customer_id = '{X}'"
            )
        ),
        Some("erased 409 no body no location".into())
    );

    assert!(of("engagement_events", "id", X).is_empty());
    assert!(of("engagement_churn_scores", "band", X).is_empty());
    assert_eq!(
        of(
            "engagement_alerts",
            "reason || ' ' || status || ' ' || coalesce(dismiss_reason, '-')",
            X
        ),
        some(&["[erased] converted -", "[erased] dismissed [erased]"])
    );
    assert_eq!(
        of(
            "engagement_tasks",
            "title || ' ' || status || ' ' || coalesce(note, '-')",
            X
        ),
        some(&["[erased] cancelled [erased]", "[erased] done -"])
    );
    // The other customer keeps everything.
    assert_eq!(of("customer_tags", "name", Y), some(&["high_potential"]));
    assert_eq!(
        of("interactions", "subject", Y),
        some(&["complaint 2", "subject 2"])
    );
    assert_eq!(of("complaints", "resolution", Y), some(&["resolution 2"]));
    assert_eq!(of("surveys", "comment", Y), some(&["comment 2"]));
    assert!(
        one(
            &db,
            &format!("SELECT snapshot AS v FROM loan_applications WHERE customer_id = '{Y}'")
        )
        .is_some_and(|s| s.contains("a secret purpose"))
    );
    assert_eq!(of("recommendation_feedback", "id", Y), some(&["rfb_2"]));
    assert_eq!(
        one(
            &db,
            &format!("SELECT fingerprint AS v FROM idempotency_keys WHERE customer_id = '{Y}'")
        ),
        Some(r#"json:{"fullName":"Name 2"}"#.into())
    );

    assert_eq!(
        of("engagement_events", "description", Y),
        some(&["house purchase 2"])
    );
    assert_eq!(
        of("engagement_tasks", "title || ' ' || status", Y),
        some(&["call 2 about the house in_progress", "review 2 done"])
    );
    assert_eq!(
        of("engagement_alerts", "reason || ' ' || status", Y),
        some(&["reason 2 converted", "reason 2 open"])
    );

    // Twice is harmless: a retried DELETE finishes the job and changes nothing more.
    let versions = of("engagement_tasks", "CAST(version AS TEXT)", X);
    erasure::erase(&db, X).expect("erased again");
    assert_eq!(of("surveys", "comment", X), some(&[REDACTED]));
    assert_eq!(of("engagement_tasks", "CAST(version AS TEXT)", X), versions);
}

#[test]
fn answers_stored_before_the_customer_column_are_found_by_the_id_they_hold() {
    let db = db("legacy-keys");
    seed(&db, X, 1);
    run(
        &db,
        &format!(
            "INSERT INTO idempotency_keys (scope, key, fingerprint, status, body, created_at)
             VALUES ('POST /v1/loyalty/accounts/{X}/earn', 'old-1', 'json:{{}}', 201,
                     CAST('{{}}' AS BLOB), 1),
                    ('POST /v1/interactions', 'old-2', 'json:{{\"customerId\":\"{X}\"}}', 201,
                     CAST('{{\"subject\":\"secret\"}}' AS BLOB), 1),
                    ('POST /v1/customers', 'old-3', 'json:{{}}', 201,
                     CAST('{{\"id\":\"{X}\"}}' AS BLOB), 1),
                    ('POST /v1/customers', 'old-4', 'json:{{}}', 201,
                     CAST('{{\"id\":\"{Y}\"}}' AS BLOB), 1)"
        ),
    );
    mark_erased(&db, X);
    erasure::erase(&db, X).expect("erased");
    assert_eq!(
        texts(
            &db,
            "SELECT key || ' ' || fingerprint AS v FROM idempotency_keys ORDER BY key"
        ),
        some(&[
            "k1 erased",
            "old-1 erased",
            "old-2 erased",
            "old-3 erased",
            "old-4 json:{}"
        ])
    );
}

#[test]
fn nothing_is_redacted_while_the_customer_is_not_erased() {
    let db = db("not-erased");
    seed(&db, X, 1);
    let err = erasure::erase(&db, X).expect_err("the triggers refuse");
    assert!(
        err.to_string().contains("interactions is append-only"),
        "{err}"
    );
    for (sql, message) in [
        (
            "UPDATE complaint_history SET note = '[erased]'",
            "complaint_history is append-only",
        ),
        (
            "UPDATE loyalty_entries SET reason = '[erased]' WHERE reason IS NOT NULL",
            "loyalty_entries is append-only",
        ),
        (
            "UPDATE loan_transitions SET note = '[erased]'",
            "loan_transitions is append-only",
        ),
        (
            "DELETE FROM recommendation_feedback",
            "recommendation_feedback is append-only",
        ),
    ] {
        let err = db.execute(sql, &[]).expect_err(sql);
        assert!(err.to_string().contains(message), "{sql}: {err}");
    }
}

#[test]
fn for_an_erased_customer_the_triggers_admit_the_redaction_and_nothing_else() {
    let db = db("only-redaction");
    seed(&db, X, 1);
    mark_erased(&db, X);
    for (sql, message) in [
        (
            "UPDATE interactions SET subject = 'rewritten'",
            "interactions is append-only",
        ),
        (
            "UPDATE interactions SET subject = '[erased]', channel = 'web'",
            "interactions is append-only",
        ),
        (
            "UPDATE interactions SET subject = '[erased]', notes = '[erased]', outcome = '[erased]'",
            "interactions is append-only",
        ),
        ("DELETE FROM interactions", "interactions is append-only"),
        (
            "UPDATE complaint_history SET note = '[erased]', actor = 'someone'",
            "complaint_history is append-only",
        ),
        (
            "DELETE FROM complaint_history",
            "complaint_history is append-only",
        ),
        (
            "UPDATE loyalty_entries SET reason = '[erased]', points = 1 WHERE reason IS NOT NULL",
            "loyalty_entries is append-only",
        ),
        (
            "UPDATE loyalty_entries SET reason = '[erased]' WHERE reason IS NULL",
            "loyalty_entries is append-only",
        ),
        (
            "DELETE FROM loyalty_entries",
            "loyalty_entries is append-only",
        ),
        (
            "UPDATE loan_transitions SET note = '[erased]', actor = 'someone'",
            "loan_transitions is append-only",
        ),
        (
            "DELETE FROM loan_transitions",
            "loan_transitions is append-only",
        ),
        (
            "UPDATE recommendation_feedback SET action = 'accepted'",
            "recommendation_feedback is append-only",
        ),
    ] {
        let err = db.execute(sql, &[]).expect_err(sql);
        assert!(err.to_string().contains(message), "{sql}: {err}");
    }
    erasure::erase(&db, X).expect("the redaction itself passes");
}

#[test]
fn secure_delete_is_on_for_the_work_and_restored_after_it() {
    let db = db("secure-delete");
    let setting = |db: &dyn Database| {
        db.execute("PRAGMA secure_delete", &[])
            .expect("pragma")
            .first()
            .map(|r| r.i64("secure_delete").expect("value"))
    };
    let before = setting(&db);
    let during =
        erasure::with_secure_delete(&db, |db| Ok::<_, StoreError>(setting(db))).expect("work");
    assert_eq!(during, Some(1));
    assert_eq!(setting(&db), before);
    run(&db, "PRAGMA secure_delete = FAST");
    let failed: Result<(), StoreError> =
        erasure::with_secure_delete(&db, |_| Err(StoreError::Busy));
    assert_eq!(failed, Err(StoreError::Busy));
    assert_eq!(setting(&db), Some(2), "restored after a failure too");
}

/// What `secure_delete` costs an erasure, printed rather than asserted (timings drift
/// on a shared machine). Run with
/// `cargo test --release -p crm-store --test erasure -- --ignored --nocapture`.
/// One database of 2,000 customers with 50 contacts (300-character notes), 20 ledger
/// entries, 2 loan applications, 10 feedback rows and 10 stored answers each, plus
/// one heavy customer with 2,000 contacts (2,000-character notes), 200 complaints,
/// 2,000 ledger entries with reasons, 50 applications, 1,000 feedback rows and 500
/// stored answers of 2 KiB; that customer is erased from a fresh copy of the file under
/// each setting.
#[test]
#[ignore = "a measurement, not a check: run it by hand"]
fn measure_what_secure_delete_costs_an_erasure() {
    let dir = fresh_state_dir("store-erasure-measure");
    let path = dir.join("seed.db");
    let db = NativeDatabase::open(&path).expect("open");
    migrate(&db).expect("migrates");
    run(&db, "BEGIN");
    let heavy = "cus_HEAVY";
    let note = |n: usize| "x".repeat(n);
    for c in 0..2_001 {
        let id = if c == 2_000 {
            heavy.to_owned()
        } else {
            format!("cus_{c:06}")
        };
        let big = c == 2_000;
        let p = |sql: &str| sql.replace("CUS", &id);
        run(
            &db,
            &p(
                "INSERT INTO customers (id, status, segment, value_tier, kyc_status,
                    risk_tolerance, full_name, document, version, created_at, updated_at)
                VALUES ('CUS', 'active', 'retail', 'standard', 'verified', 'growth', 'Name',
                    '{}', 1, 1, 1)",
            ),
        );
        let contacts = if big { 2_000 } else { 50 };
        let notes = note(if big { 2_000 } else { 300 });
        for i in 0..contacts {
            db.execute(
                "INSERT INTO interactions (id, customer_id, channel, direction, type, subject,
                    notes, agent_id, occurred_at, recorded_at, confidential)
                 VALUES (?1 || '-' || ?2, ?1, 'phone', 'inbound', 'inquiry', 'subject', ?3,
                    'agent', ?2, ?2, 0)",
                &[
                    Value::from(id.as_str()),
                    Value::Integer(i),
                    Value::from(notes.as_str()),
                ],
            )
            .expect("contact");
        }
        if big {
            for i in 0..200 {
                db.execute(
                    "INSERT INTO complaints (id, interaction_id, customer_id, severity, category,
                        regulatory, status, assignee, opened_at, due_at, resolution,
                        resolved_at, version, updated_at)
                     VALUES ('cmp-' || ?2, ?1 || '-' || ?2, ?1, 'low', 'other', 0, 'resolved',
                        'a', 1, 2, ?3, 2, 2, 2)",
                    &[
                        Value::from(id.as_str()),
                        Value::Integer(i),
                        Value::from(note(300)),
                    ],
                )
                .expect("complaint");
                db.execute(
                    "INSERT INTO complaint_history VALUES ('cmp-' || ?1, 1, NULL, 'open', 'a',
                        ?2, NULL, NULL, 1), ('cmp-' || ?1, 2, 'open', 'resolved', 'a', ?2,
                        'a', ?2, 2)",
                    &[Value::Integer(i), Value::from(note(300))],
                )
                .expect("history");
            }
        }
        run(
            &db,
            &p("INSERT INTO loyalty_accounts VALUES ('CUS', 0, 0, 0, 0, 'silver', 1, 1, 1)"),
        );
        for i in 0..(if big { 2_000 } else { 20 }) {
            db.execute(
                "INSERT INTO loyalty_entries (id, customer_id, kind, points, balance_after,
                    reference, reason, actor, rule_version, tier_points, tier_at,
                    lifetime_points, created_at)
                 VALUES (?1 || '-e' || ?2, ?1, 'adjust', 10, 10, 'ref-' || ?2, ?3, 'agent', 1,
                    0, 1, 0, 1)",
                &[
                    Value::from(id.as_str()),
                    Value::Integer(i),
                    Value::from(note(100)),
                ],
            )
            .expect("entry");
        }
        for i in 0..(if big { 50 } else { 2 }) {
            db.execute(
                "INSERT INTO loan_applications (id, customer_id, product, status,
                    decision_status, policy_version, amount_minor, currency, term_months,
                    snapshot, decision, version, created_at, updated_at)
                 VALUES (?1 || '-l' || ?2, ?1, 'personal', 'declined', 'declined', 1, 100, 'CNY',
                    36, ?3, ?4, 1, 1, 1)",
                &[
                    Value::from(id.as_str()),
                    Value::Integer(i),
                    Value::from(SNAPSHOT.replace("CUS", &id)),
                    Value::from(decision()),
                ],
            )
            .expect("application");
            db.execute(
                "INSERT INTO loan_transitions (application_id, to_status, note, at, recorded_at)
                 VALUES (?1 || '-l' || ?2, 'declined', 'a note', 1, 1)",
                &[Value::from(id.as_str()), Value::Integer(i)],
            )
            .expect("transition");
        }
        for i in 0..(if big { 1_000 } else { 10 }) {
            db.execute(
                "INSERT INTO recommendation_feedback VALUES (?1 || '-f' || ?2, ?1, 'CARD_GOLD',
                    'shown', 'email', ?2, ?2)",
                &[Value::from(id.as_str()), Value::Integer(i)],
            )
            .expect("feedback");
        }
        for i in 0..(if big { 500 } else { 10 }) {
            db.execute(
                "INSERT INTO idempotency_keys (scope, key, fingerprint, status, body,
                    created_at, customer_id)
                 VALUES ('POST /x', ?1 || '-k' || ?2, 'sha256:0', 201, ?3, 4102444800000, ?1)",
                &[
                    Value::from(id.as_str()),
                    Value::Integer(i),
                    Value::Blob(vec![b'y'; 2_048]),
                ],
            )
            .expect("answer");
        }
    }
    run(&db, "COMMIT");
    run(&db, "PRAGMA wal_checkpoint(TRUNCATE)");
    drop(db);
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    eprintln!("database: {} MiB", size / (1 << 20));

    for (setting, pragma) in [
        ("OFF", "PRAGMA secure_delete = OFF"),
        ("FAST", "PRAGMA secure_delete = FAST"),
        ("ON", "PRAGMA secure_delete = ON"),
    ] {
        let mut times = Vec::new();
        let mut checkpoints = Vec::new();
        let mut wal = 0;
        for round in 0..5 {
            let copy = dir.join(format!("{setting}-{round}.db"));
            std::fs::copy(&path, &copy).expect("copy");
            let db = NativeDatabase::open(&copy).expect("open");
            run(&db, "SELECT count(*) FROM customers");
            let started = std::time::Instant::now();
            run(&db, pragma);
            run(&db, "BEGIN IMMEDIATE");
            mark_erased(&db, heavy);
            erasure::erase(&db, heavy).expect("erased");
            run(&db, "COMMIT");
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            wal = std::fs::metadata(dir.join(format!("{setting}-{round}.db-wal")))
                .map(|m| m.len())
                .unwrap_or(0);
            let started = std::time::Instant::now();
            run(&db, "PRAGMA wal_checkpoint(TRUNCATE)");
            checkpoints.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        checkpoints.sort_by(f64::total_cmp);
        times.sort_by(f64::total_cmp);
        eprintln!(
            "secure_delete={setting}: erase median {:.1} ms (min {:.1}, max {:.1}), WAL {} KiB, \
             then wal_checkpoint(TRUNCATE) median {:.1} ms",
            times[2],
            times[0],
            times[4],
            wal / 1024,
            checkpoints[2]
        );
    }

    // What FAST on every connection costs ordinary work: the statement at open, and
    // zeroing what each rewrite frees (no extra I/O by SQLite's definition of FAST).
    for (setting, pragma) in [
        ("OFF", "PRAGMA secure_delete = OFF"),
        ("FAST", "PRAGMA secure_delete = FAST"),
        ("OFF", "PRAGMA secure_delete = OFF"),
        ("FAST", "PRAGMA secure_delete = FAST"),
    ] {
        let copy = dir.join(format!("work-{setting}.db"));
        std::fs::copy(&path, &copy).expect("copy");
        let started = std::time::Instant::now();
        for i in 0..2_000 {
            let db = NativeDatabase::open(&copy).expect("open");
            run(&db, pragma);
            db.execute(
                "UPDATE loan_applications SET status = ?2, version = version + 1
                 WHERE id = ?1",
                &[
                    Value::from(format!("cus_{:06}-l0", i % 2_000)),
                    Value::from(if i % 2 == 0 { "withdrawn" } else { "declined" }),
                ],
            )
            .expect("update");
        }
        let per_request = started.elapsed().as_secs_f64() * 1000.0 / 2_000.0;
        let opened = std::time::Instant::now();
        for _ in 0..2_000 {
            let db = NativeDatabase::open(&copy).expect("open");
            run(&db, pragma);
        }
        let open_and_pragma = opened.elapsed().as_secs_f64() * 1000.0 / 2_000.0;
        let opened = std::time::Instant::now();
        for _ in 0..2_000 {
            let _db = NativeDatabase::open(&copy).expect("open");
        }
        let open_only = opened.elapsed().as_secs_f64() * 1000.0 / 2_000.0;
        eprintln!(
            "secure_delete={setting} on every connection: open + pragma + one rewrite \
             {per_request:.3} ms; the pragma alone {:.4} ms",
            open_and_pragma - open_only
        );
    }
}
