//! The audit trail's hash chain: appends verify, and a changed, removed or moved record
//! is found, at the first record whose link breaks; concurrent writers keep one chain.

use crm_store::audit::{self, Broken, Entry, GENESIS};
use crm_store::native::{NativeDatabase, fresh_state_dir};
use crm_store::{Database, migrations};
use std::path::{Path, PathBuf};

fn db(dir: &Path) -> NativeDatabase {
    let db = NativeDatabase::open(&dir.join("sqlite_db.db")).expect("open");
    migrations::migrate(&db).expect("migrate");
    db
}

fn entry(n: i64) -> Entry {
    Entry {
        at: 1_800_000_000_000 + n,
        actor: format!("teller-{n}"),
        roles: "teller".into(),
        action: "customer.read".into(),
        resource: format!("/v1/customers/cus_{n}"),
        customer_id: Some(format!("cus_{n}")),
        request_id: format!("req-{n}"),
        outcome: "success".into(),
        status: 200,
    }
}

fn chain(name: &str, n: i64) -> (PathBuf, NativeDatabase) {
    let dir = fresh_state_dir(name);
    let db = db(&dir);
    for i in 1..=n {
        assert_eq!(audit::append(&db, &entry(i)), Ok(i));
    }
    (dir, db)
}

/// What an attacker with the file can do: drop the append-only triggers first.
fn tamper(db: &NativeDatabase, sql: &str) {
    db.execute("DROP TRIGGER IF EXISTS audit_log_no_update", &[])
        .expect("drop");
    db.execute("DROP TRIGGER IF EXISTS audit_log_no_delete", &[])
        .expect("drop");
    db.execute(sql, &[]).expect(sql);
}

fn broken(db: &NativeDatabase) -> Option<Broken> {
    audit::verify(db).expect("verify").broken
}

#[test]
fn appended_records_chain_from_genesis_and_verify() {
    let (_, db) = chain("audit-append", 5);
    let report = audit::verify(&db).expect("verify");
    assert_eq!(report.records, 5);
    assert_eq!(report.broken, None);
    let records = audit::of_customer(&db, "cus_1", None, 10).expect("read");
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].prev_hash, GENESIS);
    assert_eq!(
        records[0].hash,
        audit::hash(1, &records[0].entry, GENESIS),
        "the stored hash is the recomputed one"
    );
    let last = audit::of_customer(&db, "cus_5", None, 10).expect("read");
    assert_eq!(report.head.as_deref(), Some(last[0].hash.as_str()));
}

#[test]
fn an_empty_trail_verifies_with_no_head() {
    let dir = fresh_state_dir("audit-empty");
    let report = audit::verify(&db(&dir)).expect("verify");
    assert_eq!(
        (report.records, report.head, report.broken),
        (0, None, None)
    );
}

#[test]
fn the_table_refuses_updates_and_deletes() {
    let (_, db) = chain("audit-append-only", 2);
    assert!(
        db.execute("UPDATE audit_log SET actor = 'x' WHERE seq = 1", &[])
            .is_err()
    );
    assert!(
        db.execute("DELETE FROM audit_log WHERE seq = 2", &[])
            .is_err()
    );
}

#[test]
fn a_modified_record_breaks_its_own_hash() {
    let (_, db) = chain("audit-modified", 5);
    tamper(&db, "UPDATE audit_log SET outcome = 'denied' WHERE seq = 3");
    assert_eq!(
        broken(&db),
        Some(Broken {
            seq: 3,
            reason: "hash"
        })
    );
}

#[test]
fn a_modified_record_whose_hash_was_recomputed_breaks_the_next_link() {
    let (_, db) = chain("audit-rehashed", 5);
    let mut forged = entry(3);
    forged.actor = "someone-else".into();
    let prev = audit::of_customer(&db, "cus_2", None, 1).expect("read")[0]
        .hash
        .clone();
    let hash = audit::hash(3, &forged, &prev);
    tamper(
        &db,
        &format!("UPDATE audit_log SET actor = 'someone-else', hash = '{hash}' WHERE seq = 3"),
    );
    assert_eq!(
        broken(&db),
        Some(Broken {
            seq: 4,
            reason: "prev_hash"
        })
    );
}

#[test]
fn a_deleted_record_leaves_a_gap() {
    let (_, db) = chain("audit-deleted", 5);
    tamper(&db, "DELETE FROM audit_log WHERE seq = 2");
    assert_eq!(
        broken(&db),
        Some(Broken {
            seq: 3,
            reason: "gap"
        })
    );
}

#[test]
fn a_deleted_record_renumbered_away_breaks_the_link() {
    let (_, db) = chain("audit-deleted-renumbered", 5);
    tamper(&db, "DELETE FROM audit_log WHERE seq = 2");
    tamper(&db, "UPDATE audit_log SET seq = seq - 1 WHERE seq > 2");
    assert_eq!(
        broken(&db),
        Some(Broken {
            seq: 2,
            reason: "prev_hash"
        })
    );
}

#[test]
fn reordered_records_break_the_chain_where_the_order_changed() {
    let (_, db) = chain("audit-reordered", 5);
    tamper(&db, "UPDATE audit_log SET seq = 100 WHERE seq = 2");
    tamper(&db, "UPDATE audit_log SET seq = 2 WHERE seq = 3");
    tamper(&db, "UPDATE audit_log SET seq = 3 WHERE seq = 100");
    assert_eq!(
        broken(&db),
        Some(Broken {
            seq: 2,
            reason: "prev_hash"
        })
    );
}

#[test]
fn concurrent_writers_append_one_gapless_chain() {
    let dir = fresh_state_dir("audit-concurrent");
    drop(db(&dir));
    let threads: Vec<_> = (0..16)
        .map(|t| {
            let dir = dir.clone();
            std::thread::spawn(move || {
                let db = NativeDatabase::open(&dir.join("sqlite_db.db")).expect("open");
                for i in 0..25 {
                    // Contention makes appends wait for the lock, never fail: a refused
                    // append would be a 503 on an audited read.
                    if let Err(e) = audit::append(&db, &entry(t * 100 + i)) {
                        panic!("append {t}/{i} refused under contention: {e}");
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("writer");
    }
    let report = audit::verify(&db(&dir)).expect("verify");
    assert_eq!(report.records, 400);
    assert_eq!(report.broken, None);
}

#[test]
fn the_hash_covers_every_field() {
    let base = entry(1);
    let h = audit::hash(1, &base, GENESIS);
    let variants: Vec<Entry> = vec![
        Entry {
            at: 2,
            ..base.clone()
        },
        Entry {
            actor: "x".into(),
            ..base.clone()
        },
        Entry {
            roles: "x".into(),
            ..base.clone()
        },
        Entry {
            action: "x".into(),
            ..base.clone()
        },
        Entry {
            resource: "x".into(),
            ..base.clone()
        },
        Entry {
            customer_id: None,
            ..base.clone()
        },
        Entry {
            request_id: "x".into(),
            ..base.clone()
        },
        Entry {
            outcome: "x".into(),
            ..base.clone()
        },
        Entry {
            status: 500,
            ..base.clone()
        },
    ];
    for v in variants {
        assert_ne!(audit::hash(1, &v, GENESIS), h, "{v:?}");
    }
    assert_ne!(audit::hash(2, &base, GENESIS), h);
    // Length prefixes: moving a character between fields changes the hash.
    let a = Entry {
        actor: "ab".into(),
        roles: "c".into(),
        ..base.clone()
    };
    let b = Entry {
        actor: "a".into(),
        roles: "bc".into(),
        ..base
    };
    assert_ne!(audit::hash(1, &a, GENESIS), audit::hash(1, &b, GENESIS));
}

/// A connection on which another writer always appends between our reading the tail
/// and our insert, except while we hold the write lock, as SQLite would allow.
struct AlwaysOvertaken {
    ours: NativeDatabase,
    theirs: NativeDatabase,
    locked: std::cell::Cell<bool>,
    overtaken: std::cell::Cell<i64>,
}

impl Database for AlwaysOvertaken {
    fn execute(
        &self,
        sql: &str,
        params: &[crm_store::Value],
    ) -> Result<crm_store::Rows, crm_store::StoreError> {
        if sql.starts_with("BEGIN") {
            self.locked.set(true);
        } else if sql.starts_with("COMMIT") || sql.starts_with("ROLLBACK") {
            self.locked.set(false);
        } else if sql.starts_with("INSERT INTO audit_log") && !self.locked.get() {
            let n = 1_000 + self.overtaken.get();
            self.overtaken.set(self.overtaken.get() + 1);
            audit::append(&self.theirs, &entry(n)).expect("the other writer appends");
        }
        self.ours.execute(sql, params)
    }
}

#[test]
fn a_writer_that_keeps_losing_the_race_appends_under_the_lock_instead_of_failing() {
    let dir = fresh_state_dir("audit-overtaken");
    let racing = AlwaysOvertaken {
        ours: db(&dir),
        theirs: db(&dir),
        locked: std::cell::Cell::new(false),
        overtaken: std::cell::Cell::new(0),
    };
    let seq = audit::append(&racing, &entry(1)).expect("appended despite losing every race");
    let overtaken = racing.overtaken.get();
    assert_eq!(overtaken, audit::OPTIMISTIC_ATTEMPTS as i64);
    assert_eq!(
        seq,
        overtaken + 1,
        "ours follows every record that overtook it"
    );
    let report = audit::verify(&racing.ours).expect("verify");
    assert_eq!((report.records, report.broken), (seq, None));
}
