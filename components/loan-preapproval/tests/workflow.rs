//! The workflow over rusqlite with the real migrations and explicit clocks: offer expiry
//! to the millisecond, approval offers priced under the decision's own policy version,
//! and the read model other services use.

mod common;

use crm_domain::loan::{
    ApplicationRequest, ApplicationStatus, DAY_MS, LoanApplicationId, Policy, TransitionCommand,
};
use crm_domain::time::Timestamp;
use crm_http::ApiError;
use crm_store::native::{fresh_state_dir, stores_in};
use crm_store::read::loans::{loan_applications_of, open_loan_application};
use crm_store::{Database, Stores, in_transaction};
use loan_preapproval::repo::{self, Application};
use loan_preapproval::service;
use serde_json::json;

const T0: i64 = 1_795_421_700_000; // 2026-11-23T08:15:00Z

fn at(ms: i64) -> Timestamp {
    Timestamp::from_unix_millis(ms)
}

struct Bank {
    stores: Stores,
}

impl Bank {
    fn new(name: &str) -> Bank {
        Bank {
            stores: stores_in(&fresh_state_dir(name)),
        }
    }

    fn db(&self) -> &dyn Database {
        self.stores
            .database()
            .unwrap_or_else(|e| panic!("database: {e}"))
    }

    fn customer(&self) -> String {
        common::insert_customer(self.db(), "active", "verified")
    }

    /// Applies for `customer`; an `actor` member of `overrides` names who submits it
    /// (over HTTP that is the token's subject, never the body).
    fn apply(&self, customer: &str, overrides: serde_json::Value, now: Timestamp) -> Application {
        let mut overrides = overrides;
        let actor = overrides
            .as_object_mut()
            .and_then(|o| o.remove("actor"))
            .and_then(|a| a.as_str().map(str::to_owned));
        let request: ApplicationRequest =
            serde_json::from_value(common::body(customer, overrides)).expect("well-formed");
        let input = request.validate().expect("valid");
        let id = LoanApplicationId::new(crm_http::new_ulid(now));
        in_transaction(self.db(), |db| {
            service::create(db, id, input, service::Figures::AsSent, actor, now)
        })
        .unwrap_or_else(|e| panic!("create: {e}"))
    }

    fn move_to(
        &self,
        app: &Application,
        to: ApplicationStatus,
        actor: &str,
        now: Timestamp,
    ) -> Result<Application, ApiError> {
        let command = TransitionCommand {
            to,
            note: Some("checked".into()),
            actor: actor.into(),
        };
        in_transaction(self.db(), |db| {
            service::transition(db, &app.id, &command, |_| Ok(()), now)
        })
    }

    fn policy(&self, change: impl FnOnce(&mut Policy), now: Timestamp) -> i64 {
        let current = repo::current_policy(self.db()).expect("policy");
        let mut policy = current.policy;
        change(&mut policy);
        repo::insert_policy(self.db(), current.version, &policy, "risk", now)
            .expect("stored")
            .expect("not stale")
    }
}

fn code(result: Result<Application, ApiError>) -> &'static str {
    match result {
        Ok(app) => panic!("expected a refusal, got {}", app.status),
        Err(e) => e.code(),
    }
}

#[test]
fn a_pre_approval_can_be_accepted_until_the_millisecond_before_it_expires() {
    let bank = Bank::new("loan-flow-expiry-edge");
    let c = bank.customer();
    let personal = bank.apply(&c, json!({}), at(T0));
    let auto = bank.apply(
        &c,
        json!({"product": "auto", "amount": common::cny(5_000_000)}),
        at(T0),
    );
    let expires = T0 + 30 * DAY_MS;
    assert_eq!(personal.offer.map(|o| o.expires_at), Some(at(expires)));

    let accepted = bank
        .move_to(&personal, ApplicationStatus::Accepted, "c", at(expires - 1))
        .expect("still open");
    assert_eq!(accepted.status, ApplicationStatus::Accepted);
    assert_eq!(
        code(bank.move_to(&auto, ApplicationStatus::Accepted, "c", at(expires))),
        "offer_expired"
    );
    assert_eq!(
        code(bank.move_to(&auto, ApplicationStatus::Withdrawn, "c", at(expires))),
        "offer_expired"
    );
}

#[test]
fn an_offer_can_be_recorded_as_expired_only_from_its_expiry_on() {
    let bank = Bank::new("loan-flow-mark-expired");
    let c = bank.customer();
    let app = bank.apply(&c, json!({}), at(T0));
    let expires = T0 + 30 * DAY_MS;
    assert_eq!(
        code(bank.move_to(
            &app,
            ApplicationStatus::Expired,
            "scheduler",
            at(expires - 1)
        )),
        "offer_not_expired"
    );
    let expired = bank
        .move_to(&app, ApplicationStatus::Expired, "scheduler", at(expires))
        .expect("expired");
    assert_eq!(expired.status, ApplicationStatus::Expired);
    let history = repo::history(bank.db(), &app.id).expect("history");
    assert_eq!(history.len(), 2);
    assert_eq!(history[1].at, at(expires));
}

#[test]
fn an_approval_offer_runs_from_the_approval_for_the_validity_of_the_decisions_policy() {
    let bank = Bank::new("loan-flow-approval-offer");
    let c = bank.customer();
    let referred = bank.apply(&c, json!({"creditScore": 610, "actor": "uw-anna"}), at(T0));
    assert_eq!(referred.status, ApplicationStatus::Referred);
    // A later policy shortens validity; the referral was decided under version 1.
    assert_eq!(bank.policy(|p| p.offer_validity_days = 7, at(T0 + 1)), 2);

    let t1 = T0 + 3 * DAY_MS;
    let reviewing = bank
        .move_to(&referred, ApplicationStatus::UnderReview, "uw-anna", at(t1))
        .expect("review");
    let t2 = t1 + DAY_MS;
    let approved = bank
        .move_to(&reviewing, ApplicationStatus::Approved, "uw-ben", at(t2))
        .expect("approve");

    let offer = approved.offer.expect("an approval makes an offer");
    assert_eq!(offer.expires_at, at(t2 + 30 * DAY_MS));
    assert_eq!(
        Some(offer.monthly_payment),
        referred.decision.terms.map(|t| t.monthly_payment)
    );
    let stored = repo::get(bank.db(), &referred.id)
        .expect("read")
        .expect("exists");
    assert_eq!(stored.offer, Some(offer));
    assert_eq!(stored.version, 3);
    assert_eq!(
        code(bank.move_to(
            &approved,
            ApplicationStatus::Accepted,
            "c",
            at(t2 + 30 * DAY_MS)
        )),
        "offer_expired"
    );
    bank.move_to(
        &approved,
        ApplicationStatus::Accepted,
        "c",
        at(t2 + 30 * DAY_MS - 1),
    )
    .expect("accepted in time");
}

#[test]
fn a_stale_version_inside_the_transaction_is_a_412_and_changes_nothing() {
    let bank = Bank::new("loan-flow-stale");
    let c = bank.customer();
    let app = bank.apply(&c, json!({}), at(T0));
    let command = TransitionCommand {
        to: ApplicationStatus::Accepted,
        note: None,
        actor: "c".into(),
    };
    let result = in_transaction(bank.db(), |db| {
        service::transition(
            db,
            &app.id,
            &command,
            |v| {
                if v == 7 {
                    Ok(())
                } else {
                    Err(ApiError::PreconditionFailed("stale".into()))
                }
            },
            at(T0 + 1),
        )
    });
    assert_eq!(code(result), "precondition_failed");
    let stored = repo::get(bank.db(), &app.id)
        .expect("read")
        .expect("exists");
    assert_eq!(stored.status, ApplicationStatus::PreApproved);
    assert_eq!(repo::history(bank.db(), &app.id).expect("history").len(), 1);
}

#[test]
fn the_read_model_reports_effective_statuses_and_the_open_application() {
    let bank = Bank::new("loan-flow-read-model");
    let c = bank.customer();
    let personal = bank.apply(&c, json!({}), at(T0));
    let referred = bank.apply(
        &c,
        json!({"product": "auto", "amount": common::cny(5_000_000), "creditScore": 625}),
        at(T0 + 1),
    );
    let db = bank.db();

    let now = T0 + 10;
    let signals = loan_applications_of(db, &c, now, 10).expect("signals");
    let seen: Vec<(&str, &str)> = signals
        .iter()
        .map(|s| (s.product.as_str(), s.status.as_str()))
        .collect();
    assert_eq!(seen, [("auto", "referred"), ("personal", "pre_approved")]);
    assert_eq!(
        open_loan_application(db, &c, "personal", now).expect("read"),
        Some(personal.id.to_string())
    );

    let later = T0 + 30 * DAY_MS;
    let signals = loan_applications_of(db, &c, later, 10).expect("signals");
    assert_eq!(signals[1].status, "expired");
    assert_eq!(signals[1].decision_status, "pre_approved");
    assert_eq!(
        open_loan_application(db, &c, "personal", later).expect("read"),
        None
    );
    assert_eq!(
        open_loan_application(db, &c, "auto", later).expect("read"),
        Some(referred.id.to_string())
    );
    assert!(
        loan_applications_of(db, "cus_unknown", now, 10)
            .expect("empty")
            .is_empty()
    );
}

#[test]
fn history_and_policies_are_append_only() {
    let bank = Bank::new("loan-flow-append-only");
    let c = bank.customer();
    bank.apply(&c, json!({}), at(T0));
    let db = bank.db();
    for (sql, table) in [
        (
            "UPDATE loan_transitions SET actor = 'someone else'",
            "loan_transitions",
        ),
        ("DELETE FROM loan_transitions", "loan_transitions"),
        ("UPDATE loan_policies SET document = '{}'", "loan_policies"),
        ("DELETE FROM loan_policies", "loan_policies"),
    ] {
        let err = db.execute(sql, &[]).expect_err(sql);
        // The trigger's refusal, not any error (a typo in the statement would pass too).
        assert!(
            format!("{err:?}").contains(&format!("{table} is append-only")),
            "{sql}: {err:?}"
        );
    }
}
