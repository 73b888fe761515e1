//! The ledger's invariants under stress: concurrent redemptions never overdraw, random
//! operation sequences keep the books balanced, and the hot statements never scan a
//! table (so reads cost the same for a customer with 10,000 entries as with 10).

mod common;

use common::{Ledger, insert_customer, ts};
use crm_domain::loyalty::{EntryKind, LoyaltyEntryId, Points};
use crm_domain::time::Timestamp;
use crm_store::native::stores_in;
use crm_store::{Value, in_transaction};
use loyalty::ledger::{self, AdjustCommand, RedeemCommand, Refusal};
use loyalty::repo;
use proptest::prelude::*;
use std::sync::{Arc, Barrier};

#[test]
fn fifty_concurrent_redemptions_of_100_against_1000_let_exactly_ten_through() {
    let l = Ledger::new("loy-concurrent");
    let c = l.customer("active");
    for i in 0..10 {
        l.bonus(&c, 100, &format!("b{i}"), ts("2026-01-01T00:00:00Z"));
    }
    let now = ts("2026-02-01T00:00:00Z");
    let barrier = Arc::new(Barrier::new(50));
    let workers: Vec<_> = (0..50)
        .map(|i| {
            let (dir, barrier, customer) = (l.dir.clone(), Arc::clone(&barrier), c.clone());
            std::thread::spawn(move || {
                // Each worker has its own connection, as each Spin request does.
                let stores = stores_in(&dir);
                let db = stores.database().unwrap();
                let command = RedeemCommand {
                    customer: &customer,
                    points: Points::new(100).unwrap(),
                    reward_code: "GIFT",
                    reference: &format!("r{i}"),
                    actor: None,
                };
                barrier.wait();
                in_transaction(db, |db| ledger::redeem(db, &command, common::id(now), now))
            })
        })
        .collect();
    let (mut ok, mut refused) = (0, 0);
    for worker in workers {
        match worker
            .join()
            .unwrap_or_else(|_| panic!("a worker panicked"))
        {
            Ok(_) => ok += 1,
            Err(Refusal::Insufficient { requested: 100, .. }) => refused += 1,
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((ok, refused), (10, 40));
    assert_eq!(l.assert_consistent(&c), 0);
    assert_eq!(l.spendable(&c, now), 0);
}

/// One step of a random ledger, and the milliseconds since the previous step.
#[derive(Debug, Clone)]
enum Step {
    /// A card spend of this many fen.
    Earn(i64),
    Bonus(i64),
    Redeem(i64),
    Adjust(i64),
    Expire,
    /// Reverse the entry at this index modulo the entries so far.
    Reverse(usize),
}

fn step() -> impl Strategy<Value = (Step, i64)> {
    const DAY: i64 = 86_400_000;
    let what = prop_oneof![
        3 => (0..50_000i64).prop_map(|n| Step::Earn(1 + n * 100)),
        2 => (1..=300i64).prop_map(Step::Bonus),
        3 => (1..=400i64).prop_map(Step::Redeem),
        1 => prop_oneof![(1..=100i64), (-100..=-1i64)].prop_map(Step::Adjust),
        1 => Just(Step::Expire),
        2 => any::<usize>().prop_map(Step::Reverse),
    ];
    (what, 0..70 * DAY)
}

proptest! {
    // Each case is a fresh database: fewer cases than a pure property test.
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn random_earn_redeem_reverse_expire_sequences_keep_the_books_balanced_and_never_negative(
        steps in proptest::collection::vec(step(), 0..45),
    ) {
        let l = Ledger::new("loy-property");
        let c = l.customer("active");
        let mut now = ts("2026-01-01T00:00:00Z");
        let mut ids: Vec<String> = Vec::new();
        for (n, (what, after)) in steps.into_iter().enumerate() {
            now = now.plus_millis(after);
            let reference = format!("s{n}");
            let before = l.spendable(&c, now);
            match what {
                Step::Earn(fen) => ids.push(l.earn(&c, fen, &reference, now).id),
                Step::Bonus(points) => ids.push(l.bonus(&c, points, &reference, now).id),
                Step::Redeem(points) => match l.redeem(&c, points, &reference, now) {
                    Ok(e) => {
                        prop_assert!(points <= before, "overdraw");
                        ids.push(e.id);
                    }
                    Err(Refusal::Insufficient { available, .. }) => {
                        prop_assert!(points > before, "a covered redemption was refused");
                        prop_assert_eq!(available, before);
                    }
                    Err(e) => prop_assert!(false, "{e:?}"),
                },
                Step::Adjust(points) => {
                    let command = AdjustCommand {
                        customer: &c,
                        points,
                        reason: "goodwill",
                        reference: &reference,
                        actor: None,
                    };
                    let result = in_transaction(l.db(), |db| {
                        ledger::adjust(db, &command, common::id(now), now)
                    });
                    match result {
                        Ok(e) => ids.push(e.id),
                        Err(Refusal::Insufficient { .. }) => prop_assert!(-points > before),
                        Err(e) => prop_assert!(false, "{e:?}"),
                    }
                }
                Step::Expire => {
                    if let Some(e) = l.expire(&c, now, now) {
                        ids.push(e.id);
                    }
                    prop_assert!(l.expire(&c, now, now).is_none(), "expired twice");
                }
                Step::Reverse(pick) => {
                    let Some(target) = ids.get(pick % ids.len().max(1)).cloned() else {
                        continue;
                    };
                    match l.reverse(&target, now) {
                        Ok(e) => ids.push(e.id),
                        Err(
                            Refusal::Insufficient { .. }
                            | Refusal::AlreadyReversed(_)
                            | Refusal::NotReversible(_),
                        ) => {}
                        Err(e) => prop_assert!(false, "{e:?}"),
                    }
                }
            }
            let balance = l.assert_consistent(&c);
            let spendable = l.spendable(&c, now);
            prop_assert!((0..=balance).contains(&spendable), "spendable {spendable} of {balance}");
        }
    }
}

/// `EXPLAIN QUERY PLAN` of `sql`, one detail line per step.
fn plan(l: &Ledger, sql: &str) -> Vec<String> {
    let numbered = (1..=30).rev().find(|n| sql.contains(&format!("?{n}")));
    let count = numbered.unwrap_or_else(|| sql.matches('?').count());
    let params = vec![Value::Null; count];
    let rows = l
        .db()
        .execute(&format!("EXPLAIN QUERY PLAN {sql}"), &params)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.iter()
        .map(|r| r.str("detail").map(str::to_owned).unwrap_or_default())
        .collect()
}

#[test]
fn no_statement_on_the_hot_path_scans_a_table() {
    let l = Ledger::new("loy-plans");
    let mut report = String::new();
    for (name, sql) in repo::HOT_PATH {
        let steps = plan(&l, sql);
        report.push_str(&format!("{name}:\n"));
        for step in &steps {
            report.push_str(&format!("    {step}\n"));
        }
        let scans: Vec<&String> = steps
            .iter()
            .filter(|s| s.starts_with("SCAN ") && !s.starts_with("SCAN (subquery"))
            .collect();
        assert!(scans.is_empty(), "{name} scans: {scans:?}\n{report}");
    }
    println!("{report}");
}

#[test]
fn a_customer_with_ten_thousand_entries_reads_the_same_figures_as_the_ledger_sums() {
    let l = Ledger::new("loy-ten-thousand");
    let c = l.customer("active");
    let other = l.customer("active");
    let db = l.db();
    let start = ts("2025-06-01T00:00:00Z");
    in_transaction(db, |db| {
        for i in 0..5_000i64 {
            let at = start.plus_millis(i * 60_000);
            let id = LoyaltyEntryId::new(crm_http::new_ulid(at)).to_string();
            let points = 1 + i % 7;
            let command = loyalty::ledger::EarnCommand {
                customer: &c,
                event_type: crm_domain::loyalty::EventType::Campaign,
                amount: None,
                points: Some(points),
                reference: &format!("e{i}"),
                actor: None,
            };
            let _ = id;
            ledger::earn(db, &command, common::id(at), at)?;
            let command = RedeemCommand {
                customer: &c,
                points: Points::new(1).unwrap(),
                reward_code: "R",
                reference: &format!("r{i}"),
                actor: None,
            };
            ledger::redeem(db, &command, common::id(at), at)?;
        }
        Ok::<(), Refusal>(())
    })
    .unwrap();
    insert_customer(db, "cus_00000000000000000000000000", "active");
    let _ = other;

    let now = ts("2026-01-01T00:00:00Z");
    let view = loyalty::account::view(db, &c, now).expect("view");
    let sums = repo::reconcile(db, &c).expect("sums");
    assert_eq!(sums.entries, 10_000);
    assert!(sums.consistent(), "{sums:?}");
    assert_eq!(view.ledger_balance, sums.ledger_sum);
    assert_eq!(view.balance, sums.ledger_sum, "nothing has expired yet");
    assert_eq!(view.entry_count, 10_000);
    let page = repo::ledger_page(db, &c, Some(EntryKind::Redeem), i64::MAX, 3).expect("page");
    assert_eq!(page.len(), 3);
    assert!(page.windows(2).all(|w| w[0].seq > w[1].seq), "newest first");
    let _: Timestamp = now;
}
