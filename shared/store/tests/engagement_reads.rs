//! The engagement read model (what the 360° view will show) on rusqlite with the real
//! migrations: one customer's latest events, pending alerts and tasks, and churn standing,
//! never another customer's, never what is closed.

use crm_store::migrations::migrate;
use crm_store::native::{NativeDatabase, fresh_state_dir};
use crm_store::read::engagement::{churn_standing, latest_events, open_alerts, pending_tasks};
use crm_store::{Database, StoreError};

const X: &str = "cus_01M8SR3G97GW241MRV1RDDT509";
const Y: &str = "cus_01M8SR3G97GW241MRV1RDDT510";

fn db() -> NativeDatabase {
    let dir = fresh_state_dir("store-engagement-reads");
    let db = NativeDatabase::open(&dir.join("sqlite_db.db")).expect("open");
    migrate(&db).expect("migrates");
    db
}

fn run(db: &dyn Database, sql: &str) {
    if let Err(e) = db.execute(sql, &[]) {
        panic!("{sql}: {e}");
    }
}

#[test]
fn a_customers_engagement_is_read_without_what_is_closed_or_anothers() -> Result<(), StoreError> {
    let db = db();
    run(
        &db,
        &format!(
            "INSERT INTO engagement_events (id, customer_id, kind, amount_minor, currency,
                occurred_at, received_at, rules_version)
             VALUES ('e1', '{X}', 'large_withdrawal', 500, 'CNY', 10, 10, 1),
                    ('e2', '{X}', 'salary_stopped', NULL, NULL, 20, 20, 1),
                    ('e3', '{Y}', 'salary_stopped', NULL, NULL, 30, 30, 1)"
        ),
    );
    run(
        &db,
        &format!(
            "INSERT INTO engagement_alerts (id, customer_id, event_id, rule, rules_version,
                reason, suggested_action, priority, status, due_at, dismiss_reason, task_id,
                version, created_at, updated_at)
             VALUES ('alr_1', '{X}', 'e1', 'large_withdrawal', 1, 'r', 'retention_call',
                     'high', 'open', 100, NULL, NULL, 1, 1, 1),
                    ('alr_2', '{X}', 'e2', 'salary_stopped', 1, 'r', 'retention_call',
                     'urgent', 'dismissed', 50, 'no', NULL, 2, 1, 1),
                    ('alr_3', '{Y}', 'e3', 'salary_stopped', 1, 'r', 'retention_call',
                     'urgent', 'open', 50, NULL, NULL, 1, 1, 1)"
        ),
    );
    run(
        &db,
        &format!(
            "INSERT INTO engagement_tasks (id, customer_id, type, title, assignee, priority,
                status, due_at, created_by, version, created_at, updated_at)
             VALUES ('tsk_1', '{X}', 'contact', 'Call', 'rm-1', 'high', 'in_progress', 300,
                     'rm-1', 2, 1, 1),
                    ('tsk_2', '{X}', 'review', 'Review', 'rm-1', 'low', 'done', 100,
                     'rm-1', 3, 1, 1),
                    ('tsk_3', '{Y}', 'review', 'Review', 'rm-2', 'low', 'open', 100,
                     'rm-2', 1, 1, 1)"
        ),
    );
    run(
        &db,
        &format!("INSERT INTO engagement_churn_scores VALUES ('{X}', 65, 'high', 1, '[]', 7, 8)"),
    );

    let events = latest_events(&db, X, 5)?;
    let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["e2", "e1"]);
    assert_eq!(events[1].amount, Some((500, "CNY".to_owned())));
    let alerts = open_alerts(&db, X, 200, 5)?;
    assert_eq!(alerts.len(), 1);
    assert_eq!((alerts[0].id.as_str(), alerts[0].overdue), ("alr_1", true));
    let tasks = pending_tasks(&db, X, 200, 5)?;
    assert_eq!(tasks.len(), 1);
    assert_eq!((tasks[0].id.as_str(), tasks[0].overdue), ("tsk_1", false));
    let churn = churn_standing(&db, X)?.expect("scored");
    assert_eq!(
        (churn.score, churn.band.as_str(), churn.as_of),
        (65, "high", 7)
    );
    assert_eq!(churn_standing(&db, Y)?, None);
    assert!(latest_events(&db, X, 0)?.is_empty());
    Ok(())
}
