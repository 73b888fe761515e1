//! The audit trail and its keyed chain: appends are one statement each and never race,
//! sealing chains them under the key, and a changed, removed, reordered or truncated
//! record is found at the first place the chain breaks, even by someone who rewrote the
//! chain without the key.

use crm_store::audit::{self, AuditKey, Broken, Entry, GENESIS, Head};
use crm_store::native::{NativeDatabase, fresh_state_dir};
use crm_store::{Database, Migration, Value, in_transaction, migrations};
use std::path::Path;

fn key() -> AuditKey {
    AuditKey::new(b"the-audit-key-of-these-tests-0123456789").expect("key")
}

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
        detail: None,
    }
}

fn seal_all(db: &NativeDatabase) -> Option<Head> {
    in_transaction(db, |db| audit::seal(db, &key(), 10_000))
        .expect("seal")
        .head
}

/// `n` records, all sealed.
fn sealed(name: &str, n: i64) -> NativeDatabase {
    let db = db(&fresh_state_dir(name));
    for i in 1..=n {
        assert_eq!(audit::append(&db, &entry(i)), Ok(i));
    }
    seal_all(&db);
    db
}

/// What an attacker with the file can do: drop the append-only triggers first.
fn tamper(db: &NativeDatabase, sql: &str) {
    for trigger in [
        "audit_trail_no_update",
        "audit_trail_no_delete",
        "audit_chain_no_update",
        "audit_chain_no_delete",
    ] {
        db.execute(&format!("DROP TRIGGER IF EXISTS {trigger}"), &[])
            .expect("drop");
    }
    db.execute(sql, &[]).expect(sql);
}

fn broken(db: &NativeDatabase) -> Option<Broken> {
    audit::verify(db, &key(), None).expect("verify").broken
}

fn at(seq: i64, reason: &'static str) -> Option<Broken> {
    Some(Broken { seq, reason })
}

#[test]
fn sealed_records_chain_from_genesis_and_verify() {
    let db = sealed("audit-sealed", 5);
    let report = audit::verify(&db, &key(), None).expect("verify");
    assert_eq!((report.records, report.sealed, report.broken), (5, 5, None));
    let first = audit::of_customer(&db, "cus_1", None, 10).expect("read");
    assert_eq!(
        first[0].mac.as_deref(),
        Some(key().mac(1, &first[0].entry, GENESIS).as_str()),
        "the stored MAC is the recomputed one"
    );
    let last = audit::of_customer(&db, "cus_5", None, 10).expect("read");
    let head = audit::head(&db).expect("head").expect("a head");
    assert_eq!(head.seq, 5);
    assert_eq!(Some(head.mac.as_str()), last[0].mac.as_deref());
    assert_eq!(report.head, Some(head));
}

#[test]
fn records_not_sealed_yet_verify_as_unsealed_and_the_next_seal_takes_them_in_order() {
    let db = sealed("audit-unsealed", 3);
    audit::append(&db, &entry(4)).expect("append");
    audit::append(&db, &entry(5)).expect("append");
    let report = audit::verify(&db, &key(), None).expect("verify");
    assert_eq!((report.records, report.sealed, report.broken), (5, 3, None));
    assert_eq!(report.head.map(|h| h.seq), Some(3));
    let sealed = in_transaction(&db, |db| audit::seal(db, &key(), 1)).expect("seal");
    assert_eq!((sealed.records, sealed.head.map(|h| h.seq)), (1, Some(4)));
    assert_eq!(seal_all(&db).map(|h| h.seq), Some(5));
    assert_eq!(audit::verify(&db, &key(), None).expect("verify").sealed, 5);
}

#[test]
fn an_empty_trail_verifies_with_no_head() {
    let db = db(&fresh_state_dir("audit-empty"));
    let report = audit::verify(&db, &key(), None).expect("verify");
    assert_eq!(
        (report.records, report.head, report.broken),
        (0, None, None)
    );
    assert_eq!(seal_all(&db), None);
}

#[test]
fn both_tables_refuse_updates_and_deletes_with_their_own_message() {
    let db = sealed("audit-append-only", 2);
    for (sql, table) in [
        (
            "UPDATE audit_trail SET actor = 'x' WHERE seq = 1",
            "audit_trail",
        ),
        ("DELETE FROM audit_trail WHERE seq = 2", "audit_trail"),
        (
            "UPDATE audit_chain SET mac = 'x' WHERE seq = 1",
            "audit_chain",
        ),
        ("DELETE FROM audit_chain WHERE seq = 2", "audit_chain"),
    ] {
        let refused = db.execute(sql, &[]).expect_err(sql).to_string();
        assert!(
            refused.contains(&format!("{table} is append-only")),
            "{sql}: {refused}"
        );
    }
}

#[test]
fn a_modified_record_breaks_its_mac() {
    let db = sealed("audit-modified", 5);
    tamper(
        &db,
        "UPDATE audit_trail SET outcome = 'denied' WHERE seq = 3",
    );
    assert_eq!(broken(&db), at(3, "mac"));
}

#[test]
fn a_chain_rewritten_without_the_key_breaks_at_the_first_rewritten_record() {
    let db = sealed("audit-rewritten", 5);
    let forger = AuditKey::new(b"not-the-key-but-just-as-long-012345678").expect("key");
    let mut prev = audit::of_customer(&db, "cus_2", None, 1).expect("read")[0]
        .mac
        .clone()
        .expect("sealed");
    tamper(
        &db,
        "UPDATE audit_trail SET actor = 'someone-else' WHERE seq = 3",
    );
    for seq in 3..=5 {
        let mut e = entry(seq);
        if seq == 3 {
            e.actor = "someone-else".into();
        }
        let mac = forger.mac(seq, &e, &prev);
        tamper(
            &db,
            &format!("UPDATE audit_chain SET mac = '{mac}' WHERE seq = {seq}"),
        );
        prev = mac;
    }
    assert_eq!(broken(&db), at(3, "mac"));
}

#[test]
fn a_deleted_record_leaves_a_gap() {
    let db = sealed("audit-deleted", 5);
    tamper(&db, "DELETE FROM audit_trail WHERE seq = 2");
    assert_eq!(broken(&db), at(3, "gap"));
}

#[test]
fn a_deleted_record_renumbered_away_breaks_the_mac_where_it_was() {
    let db = sealed("audit-renumbered", 5);
    tamper(&db, "DELETE FROM audit_trail WHERE seq = 2");
    tamper(&db, "UPDATE audit_trail SET seq = seq - 1 WHERE seq > 2");
    assert_eq!(broken(&db), at(2, "mac"));
}

#[test]
fn reordered_records_break_the_chain_where_the_order_changed() {
    let db = sealed("audit-reordered", 5);
    tamper(&db, "UPDATE audit_trail SET seq = 100 WHERE seq = 2");
    tamper(&db, "UPDATE audit_trail SET seq = 2 WHERE seq = 3");
    tamper(&db, "UPDATE audit_trail SET seq = 3 WHERE seq = 100");
    assert_eq!(broken(&db), at(2, "mac"));
}

#[test]
fn a_removed_mac_in_the_middle_is_an_unsealed_record_before_sealed_ones() {
    let db = sealed("audit-mac-removed", 5);
    tamper(&db, "DELETE FROM audit_chain WHERE seq = 3");
    assert_eq!(broken(&db), at(3, "unsealed_before_sealed"));
}

#[test]
fn truncating_the_newest_records_is_found_against_an_exported_head() {
    let db = sealed("audit-truncated", 5);
    let exported = audit::head(&db).expect("head").expect("a head");
    assert_eq!(
        audit::verify(&db, &key(), Some(&exported))
            .expect("verify")
            .broken,
        None
    );
    tamper(&db, "DELETE FROM audit_chain WHERE seq >= 4");
    tamper(&db, "DELETE FROM audit_trail WHERE seq >= 4");
    // The chain that is left holds: only the exported head shows what is missing.
    assert_eq!(broken(&db), None);
    let report = audit::verify(&db, &key(), Some(&exported)).expect("verify");
    assert_eq!(report.broken, at(5, "head_missing"));
    assert_eq!(report.head, None);
}

#[test]
fn a_newest_record_replaced_under_the_same_number_is_a_head_mismatch() {
    let db = sealed("audit-replaced", 5);
    let exported = audit::head(&db).expect("head").expect("a head");
    tamper(&db, "DELETE FROM audit_chain WHERE seq = 5");
    tamper(&db, "DELETE FROM audit_trail WHERE seq = 5");
    let mut other = entry(5);
    other.actor = "someone-else".into();
    audit::append(&db, &other).expect("append");
    seal_all(&db);
    let report = audit::verify(&db, &key(), Some(&exported)).expect("verify");
    assert_eq!(report.broken, at(5, "head_mismatch"));
}

#[test]
fn concurrent_appends_get_distinct_places_and_seal_into_one_chain() {
    let dir = fresh_state_dir("audit-concurrent");
    drop(db(&dir));
    let threads: Vec<_> = (0..16)
        .map(|t| {
            let dir = dir.clone();
            std::thread::spawn(move || {
                let db = NativeDatabase::open(&dir.join("sqlite_db.db")).expect("open");
                for i in 0..25 {
                    if let Err(e) = audit::append(&db, &entry(t * 100 + i)) {
                        panic!("append {t}/{i} refused under contention: {e}");
                    }
                    if i % 5 == 0 {
                        in_transaction(&db, |db| audit::seal(db, &key(), 8)).expect("seal");
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("writer");
    }
    let db = db(&dir);
    seal_all(&db);
    let report = audit::verify(&db, &key(), None).expect("verify");
    assert_eq!(
        (report.records, report.sealed, report.broken),
        (400, 400, None)
    );
}

#[test]
fn records_of_the_unkeyed_trail_carry_over_with_their_places_and_are_sealed() {
    let dir = fresh_state_dir("audit-carry-over");
    let db = NativeDatabase::open(&dir.join("sqlite_db.db")).expect("open");
    // The schema as it was before the keyed chain: every migration but audit's second.
    let before: Vec<&Migration> = migrations::all()
        .filter(|m| !(m.owner == "audit" && m.version >= 2))
        .collect();
    migrations::migrate_with(&db, &before).expect("old schema");
    for seq in 1..=3 {
        db.execute(
            "INSERT INTO audit_log (seq, at, actor, roles, action, resource, customer_id,
                                    request_id, outcome, status, prev_hash, hash)
             VALUES (?, 1, 'old', 'teller', 'customer.read', '/v1/customers/cus_old',
                     'cus_old', 'req-old', 'success', 200, 'p', ?)",
            &[Value::Integer(seq), Value::Text(format!("h{seq}"))],
        )
        .expect("an old record");
    }
    migrations::migrate(&db).expect("the keyed chain");
    assert_eq!(audit::append(&db, &entry(9)), Ok(4), "numbering continues");
    seal_all(&db);
    let report = audit::verify(&db, &key(), None).expect("verify");
    assert_eq!((report.records, report.sealed, report.broken), (4, 4, None));
    let old = audit::of_customer(&db, "cus_old", None, 10).expect("read");
    assert_eq!(old.iter().map(|r| r.seq).collect::<Vec<_>>(), [3, 2, 1]);
    assert!(
        db.execute(
            "INSERT INTO audit_log (seq, at, actor, roles, action, resource, request_id,
                                    outcome, status, prev_hash, hash)
             VALUES (9, 1, 'a', 'r', 'x', '/', 'q', 'success', 200, 'p', 'h9')",
            &[]
        )
        .is_err(),
        "the unkeyed trail is frozen"
    );
}
