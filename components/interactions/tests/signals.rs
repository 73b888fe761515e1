//! The read models other services use (`crm_store::read::interactions`), over data
//! written through the handlers.

mod common;

use common::{App, DAY, HOUR, complaint, contact_at, now_ms};
use crm_store::native::stores_in;
use crm_store::read::interactions::{
    ContactSignals, LAST_CONTACT_SQL, LAST_INBOUND_CONTACT_SQL, contact_signals, has_open_complaint,
};
use serde_json::json;

fn signals(app: &App, customer: &str, now: i64, since: i64) -> ContactSignals {
    let stores = stores_in(app.svc.dir());
    let db = stores.database().expect("db");
    contact_signals(db, customer, now, since).expect("signals")
}

fn open_complaint(app: &App, customer: &str) -> bool {
    let stores = stores_in(app.svc.dir());
    has_open_complaint(stores.database().expect("db"), customer).expect("read")
}

#[test]
fn a_customer_without_contacts_has_no_signals() {
    let app = App::new("sig-none");
    let customer = app.customer("active");
    let now = now_ms();
    assert_eq!(
        signals(&app, &customer, now, now - DAY),
        ContactSignals::default()
    );
    assert!(!open_complaint(&app, &customer));
}

#[test]
fn signals_report_last_contact_open_complaints_and_recent_negative_sentiment() {
    let app = App::new("sig-all");
    let customer = app.customer("active");
    let now = now_ms();
    let mut outbound = contact_at(&customer, "email", now - HOUR);
    outbound["direction"] = json!("outbound");
    app.logged(&outbound);
    app.logged(&contact_at(&customer, "phone", now - 3 * DAY));
    let case = app.complaint(&customer, "critical", now - 2 * DAY);
    let mut old_negative = contact_at(&customer, "chat", now - 100 * DAY);
    old_negative["sentiment"] = json!("negative");
    app.logged(&old_negative);

    let s = signals(&app, &customer, now, now - 30 * DAY);

    assert_eq!(s.last_contact_at, Some(now - HOUR));
    assert_eq!(
        s.last_inbound_contact_at,
        Some(now - 2 * DAY),
        "the complaint"
    );
    assert_eq!(s.open_complaints, 1);
    assert_eq!(
        s.overdue_complaints, 1,
        "critical: 24 h, received 2 days ago"
    );
    assert_eq!(
        s.recent_negative_contacts, 1,
        "the 100-day-old one is outside"
    );
    assert_eq!(s.last_negative_at, Some(now - 2 * DAY));
    assert!(open_complaint(&app, &customer));

    let mut c = case;
    for to in ["assigned", "in_progress", "resolved"] {
        c = app.move_to(
            c["id"].as_str().expect("id"),
            c["etag"].as_str().expect("etag"),
            to,
        );
    }
    let resolved = signals(&app, &customer, now, now - 30 * DAY);
    assert_eq!(resolved.open_complaints, 1, "resolved is not closed yet");
    assert_eq!(resolved.overdue_complaints, 0);
    app.move_to(
        c["id"].as_str().expect("id"),
        c["etag"].as_str().expect("etag"),
        "closed",
    );
    assert!(!open_complaint(&app, &customer));
    assert_eq!(
        signals(&app, &customer, now, now - 30 * DAY).open_complaints,
        0
    );
}

#[test]
fn a_corrected_interaction_no_longer_counts() {
    let app = App::new("sig-corrected");
    let customer = app.customer("active");
    let now = now_ms();
    let mut negative = contact_at(&customer, "phone", now - DAY);
    negative["sentiment"] = json!("negative");
    let wrong = app.logged(&negative);
    let mut fix = contact_at(&customer, "phone", now - DAY);
    fix["sentiment"] = json!("positive");
    fix["correctsId"] = wrong["id"].clone();
    app.logged(&fix);

    let s = signals(&app, &customer, now, now - 30 * DAY);

    assert_eq!(s.recent_negative_contacts, 0);
    assert_eq!(s.last_negative_at, None);
    assert_eq!(s.last_contact_at, Some(now - DAY));
}

#[test]
fn the_sql_fragments_embed_in_a_query_over_customers() {
    let app = App::new("sig-sql");
    let customer = app.customer("active");
    let now = now_ms();
    let mut outbound = contact_at(&customer, "email", now - HOUR);
    outbound["direction"] = json!("outbound");
    app.logged(&outbound);
    app.logged(&contact_at(&customer, "branch", now - DAY));
    app.logged(&complaint(&customer, "low", now - 2 * DAY));

    let got = app.svc.sql_column(&format!(
        "SELECT {LAST_CONTACT_SQL} || ',' || {LAST_INBOUND_CONTACT_SQL}
         FROM customers c WHERE c.id = '{customer}'"
    ));

    assert_eq!(got, [format!("{},{}", now - HOUR, now - DAY)]);
}
