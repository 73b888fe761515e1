//! The rusqlite adapter running the real migrations: idempotent, and safe when two
//! connections race to apply them, as two components can on a fresh database.

use crm_store::Migration;
use crm_store::migrations::{self, current_version, latest_version, migrate};
use crm_store::native::{NativeDatabase, fresh_state_dir, stores_in};
use crm_store::{Database, StoreError, Value, transaction};
use std::path::PathBuf;
use std::sync::{Arc, Barrier};

fn fresh_dir(name: &str) -> PathBuf {
    fresh_state_dir(&format!("store-{name}"))
}

const TEST_MIGRATIONS: &[&Migration] = &[
    &Migration {
        owner: "test",
        version: 1,
        name: "widgets",
        statements: &["CREATE TABLE widgets (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)"],
    },
    &Migration {
        owner: "test",
        version: 2,
        name: "widgets_colour",
        // Not idempotent on its own: running it twice would fail, so only the
        // bookkeeping keeps a second run safe.
        statements: &["ALTER TABLE widgets ADD COLUMN colour TEXT"],
    },
    &Migration {
        owner: "other",
        version: 1,
        name: "gadgets",
        statements: &["CREATE TABLE gadgets (id INTEGER PRIMARY KEY)"],
    },
];

fn applied(db: &dyn Database) -> Vec<(String, i64)> {
    db.execute(
        "SELECT owner, version FROM schema_migrations ORDER BY owner, version",
        &[],
    )
    .expect("schema_migrations readable")
    .iter()
    .map(|r| {
        (
            r.str("owner").expect("owner").to_owned(),
            r.i64("version").expect("version"),
        )
    })
    .collect()
}

fn test_applied() -> Vec<(String, i64)> {
    vec![("other".into(), 1), ("test".into(), 1), ("test".into(), 2)]
}

#[test]
fn every_migration_applies_once_and_a_second_run_changes_nothing() {
    let dir = fresh_dir("twice");
    let db = NativeDatabase::open(&dir.join("db.sqlite")).expect("open");
    assert_eq!(migrate(&db), Ok(latest_version()));
    assert_eq!(migrate(&db), Ok(latest_version()));
    assert_eq!(applied(&db).len() as i64, latest_version());
    assert_eq!(current_version(&db), Ok(latest_version()));
}

#[test]
fn a_non_idempotent_migration_is_safe_to_run_twice() {
    let dir = fresh_dir("alter");
    let db = NativeDatabase::open(&dir.join("db.sqlite")).expect("open");
    assert_eq!(migrations::migrate_with(&db, TEST_MIGRATIONS), Ok(3));
    assert_eq!(migrations::migrate_with(&db, TEST_MIGRATIONS), Ok(3));
    assert_eq!(applied(&db), test_applied());
}

#[test]
fn the_database_is_switched_to_wal() {
    let dir = fresh_dir("wal");
    let db = NativeDatabase::open(&dir.join("db.sqlite")).expect("open");
    migrate(&db).expect("migrates");
    let mode = db.execute("PRAGMA journal_mode", &[]).expect("pragma");
    assert_eq!(
        mode.first().and_then(|r| r.str("journal_mode").ok()),
        Some("wal")
    );
}

#[test]
fn two_connections_racing_to_migrate_apply_each_version_exactly_once() {
    for round in 0..10 {
        let dir = fresh_dir(&format!("race{round}"));
        let path = dir.join("db.sqlite");
        let barrier = Arc::new(Barrier::new(2));
        let racers: Vec<_> = (0..2)
            .map(|_| {
                let (path, barrier) = (path.clone(), Arc::clone(&barrier));
                std::thread::spawn(move || {
                    let db = NativeDatabase::open(&path).expect("open");
                    barrier.wait();
                    migrations::migrate_with(&db, TEST_MIGRATIONS)
                })
            })
            .collect();
        for racer in racers {
            assert_eq!(racer.join().expect("no panic"), Ok(3), "round {round}");
        }
        let db = NativeDatabase::open(&path).expect("open");
        assert_eq!(applied(&db), test_applied(), "round {round}");
    }
}

#[test]
fn a_failed_migration_leaves_nothing_behind_and_can_be_retried() {
    let dir = fresh_dir("fail");
    let db = NativeDatabase::open(&dir.join("db.sqlite")).expect("open");
    let broken: &[&Migration] = &[
        TEST_MIGRATIONS[0],
        &Migration {
            owner: "test",
            version: 2,
            name: "half",
            statements: &["CREATE TABLE half (id INTEGER)", "THIS IS NOT SQL"],
        },
    ];
    assert!(matches!(
        migrations::migrate_with(&db, broken),
        Err(StoreError::Backend(_))
    ));
    assert_eq!(current_version(&db), Ok(1));
    assert!(
        db.execute("SELECT * FROM half", &[]).is_err(),
        "table rolled back"
    );
    assert_eq!(migrations::migrate_with(&db, TEST_MIGRATIONS), Ok(3));
}

#[test]
fn a_transaction_rolls_back_every_statement_when_one_fails() {
    let dir = fresh_dir("tx");
    let db = NativeDatabase::open(&dir.join("db.sqlite")).expect("open");
    migrations::migrate_with(&db, TEST_MIGRATIONS).expect("migrates");
    let result = transaction(&db, &mut |db| {
        db.execute("INSERT INTO widgets (name) VALUES (?)", &[Value::from("a")])?;
        db.execute("INSERT INTO widgets (name) VALUES (?)", &[Value::from("a")])?;
        Ok(())
    });
    let err = result.expect_err("second insert violates UNIQUE");
    assert!(err.is_unique_violation("widgets.name"), "{err:?}");
    let count = db
        .execute("SELECT count(*) AS n FROM widgets", &[])
        .expect("count");
    assert_eq!(count.first().map(|r| r.i64("n")), Some(Ok(0)));
}

#[test]
fn a_writer_blocked_past_the_busy_timeout_is_reported_as_busy() {
    let dir = fresh_dir("busy");
    let path = dir.join("db.sqlite");
    let holder = NativeDatabase::open(&path).expect("open");
    migrations::migrate_with(&holder, TEST_MIGRATIONS).expect("migrates");
    holder.execute("BEGIN IMMEDIATE", &[]).expect("lock");
    let other = NativeDatabase::open(&path).expect("open");
    other
        .execute("PRAGMA busy_timeout = 10", &[])
        .expect("short timeout");
    let err = other
        .execute("INSERT INTO widgets (name) VALUES ('b')", &[])
        .expect_err("locked");
    assert_eq!(err, StoreError::Busy);
    holder.execute("ROLLBACK", &[]).expect("unlock");
}

#[test]
fn stores_open_lazily_and_report_the_schema_version() {
    let dir = fresh_dir("stores");
    let stores = stores_in(&dir);
    assert!(
        !dir.join("sqlite_db.db").exists(),
        "nothing opened before first use"
    );
    assert_eq!(stores.schema_version(), Ok(latest_version()));
    let kv = stores.key_value().expect("kv");
    assert_eq!(kv.exists("k"), Ok(false));
    kv.set("k", b"v").expect("set");
    assert_eq!(kv.get("k"), Ok(Some(b"v".to_vec())));
    kv.delete("k").expect("delete");
    kv.delete("k").expect("deleting an absent key is fine");
    assert_eq!(kv.exists("k"), Ok(false));
}

fn header(db: &dyn Database) -> i64 {
    db.execute("PRAGMA user_version", &[])
        .expect("header")
        .first()
        .map(|r| r.i64("user_version").expect("user_version"))
        .expect("one row")
}

#[test]
fn two_builds_that_know_as_many_different_migrations_each_get_theirs() {
    let dir = fresh_dir("two-builds");
    let db = NativeDatabase::open(&dir.join("db.sqlite")).expect("open");
    let build_a: &[&Migration] = &[TEST_MIGRATIONS[0], TEST_MIGRATIONS[1]];
    let build_b: &[&Migration] = &[TEST_MIGRATIONS[0], TEST_MIGRATIONS[2]];
    assert_eq!(migrations::migrate_with(&db, build_a), Ok(2));
    // As many migrations applied as build B knows, but not its `other/1`.
    assert_eq!(migrations::migrate_with(&db, build_b), Ok(3));
    db.execute("SELECT id FROM gadgets", &[])
        .expect("build B's table exists");
    // Build A on the union: nothing to do, nothing re-run (its ALTER would fail).
    assert_eq!(migrations::migrate_with(&db, build_a), Ok(3));
    assert_eq!(migrations::migrate_with(&db, TEST_MIGRATIONS), Ok(3));
    assert_eq!(applied(&db), test_applied());
}

#[test]
fn a_header_holding_a_bare_count_is_read_as_one_and_upgraded_in_place() {
    let dir = fresh_dir("legacy-header");
    let db = NativeDatabase::open(&dir.join("db.sqlite")).expect("open");
    assert_eq!(migrations::migrate_with(&db, TEST_MIGRATIONS), Ok(3));
    let fingerprinted = header(&db);
    // What the count-only scheme wrote.
    db.execute("PRAGMA user_version = 3", &[])
        .expect("legacy header");
    assert_eq!(current_version(&db), Ok(3));
    assert_eq!(migrations::migrate_with(&db, TEST_MIGRATIONS), Ok(3));
    assert_eq!(header(&db), fingerprinted, "upgraded to the fingerprint");
    assert_eq!(applied(&db), test_applied(), "nothing applied twice");
}
