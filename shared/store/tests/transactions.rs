//! `in_transaction` nests: inside an open transaction it is a savepoint, so a handler's
//! transaction can run inside the request's and fail alone.

use crm_store::native::{NativeDatabase, fresh_state_dir};
use crm_store::{Database, StoreError, Value, in_transaction};

fn db(name: &str) -> NativeDatabase {
    let dir = fresh_state_dir(&format!("store-tx-{name}"));
    let db = NativeDatabase::open(&dir.join("sqlite_db.db")).expect("open");
    db.execute("CREATE TABLE t (v TEXT NOT NULL)", &[])
        .expect("table");
    db
}

fn values(db: &dyn Database) -> Vec<String> {
    db.execute("SELECT v FROM t ORDER BY rowid", &[])
        .expect("select")
        .iter()
        .map(|r| r.str("v").expect("v").to_owned())
        .collect()
}

fn insert(db: &dyn Database, v: &str) -> Result<(), StoreError> {
    db.execute("INSERT INTO t (v) VALUES (?)", &[Value::from(v)])
        .map(|_| ())
}

#[test]
fn a_failed_inner_transaction_is_undone_alone_and_the_outer_one_commits() {
    let db = db("inner-fails");
    let outcome: Result<(), StoreError> = in_transaction(&db, |db| {
        insert(db, "outer before")?;
        let inner: Result<(), StoreError> = in_transaction(db, |db| {
            insert(db, "inner")?;
            Err(StoreError::Backend("the inner work failed".into()))
        });
        assert!(inner.is_err());
        insert(db, "outer after")
    });
    outcome.expect("the outer transaction commits");
    assert_eq!(values(&db), ["outer before", "outer after"]);
    assert_eq!(db.open_transactions().map(|d| d.get()), Some(0));
}

#[test]
fn a_failed_outer_transaction_undoes_the_inner_ones_that_succeeded() {
    let db = db("outer-fails");
    let outcome: Result<(), StoreError> = in_transaction(&db, |db| {
        in_transaction(db, |db| insert(db, "inner"))?;
        Err(StoreError::Backend("the outer work failed".into()))
    });
    assert!(outcome.is_err());
    assert!(values(&db).is_empty());
    // Not left inside a transaction: a new one begins normally.
    in_transaction(&db, |db| insert(db, "next")).expect("a fresh transaction");
    assert_eq!(values(&db), ["next"]);
}

#[test]
fn savepoints_nest_three_deep() {
    let db = db("three-deep");
    in_transaction(&db, |db| {
        insert(db, "1")?;
        in_transaction(db, |db| {
            insert(db, "2")?;
            let third: Result<(), StoreError> = in_transaction(db, |db| {
                insert(db, "3")?;
                Err(StoreError::Busy)
            });
            assert!(third.is_err());
            insert(db, "2b")
        })
    })
    .expect("commits");
    assert_eq!(values(&db), ["1", "2", "2b"]);
}
