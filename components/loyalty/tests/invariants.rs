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

/// SplitMix64, so the property test needs no crate and every failure has a seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n.max(1)
    }
}

#[test]
fn random_earn_redeem_reverse_expire_sequences_keep_the_books_balanced_and_never_negative() {
    const DAY: i64 = 86_400_000;
    for seed in 0..24u64 {
        let l = Ledger::new(&format!("loy-property-{seed}"));
        let c = l.customer("active");
        let mut rng = Rng(seed);
        let mut now = ts("2026-01-01T00:00:00Z");
        let mut ids: Vec<String> = Vec::new();
        let mut log: Vec<String> = Vec::new();
        for step in 0..45 {
            now = now.plus_millis(rng.below(70) as i64 * DAY + rng.below(DAY as u64) as i64);
            let reference = format!("s{step}");
            let before = l.spendable(&c, now);
            match rng.below(12) {
                0..=2 => {
                    let cny = 1 + rng.below(50_000) as i64 * 100;
                    log.push(format!("{now} earn {cny} fen"));
                    ids.push(l.earn(&c, cny, &reference, now).id);
                }
                3..=4 => {
                    let points = 1 + rng.below(300) as i64;
                    log.push(format!("{now} bonus {points}"));
                    ids.push(l.bonus(&c, points, &reference, now).id);
                }
                5..=7 => {
                    let points = 1 + rng.below(400) as i64;
                    log.push(format!("{now} redeem {points} (spendable {before})"));
                    match l.redeem(&c, points, &reference, now) {
                        Ok(e) => {
                            assert!(
                                points <= before,
                                "seed {seed}: overdraw\n{}",
                                log.join("\n")
                            );
                            ids.push(e.id);
                        }
                        Err(Refusal::Insufficient { available, .. }) => {
                            assert!(points > before, "seed {seed}: refused\n{}", log.join("\n"));
                            assert_eq!(available, before, "seed {seed}");
                        }
                        Err(e) => panic!("seed {seed}: {e:?}\n{}", log.join("\n")),
                    }
                }
                8 => {
                    let points = 1 + rng.below(100) as i64;
                    let points = if rng.below(2) == 0 { points } else { -points };
                    log.push(format!("{now} adjust {points}"));
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
                        Err(Refusal::Insufficient { .. }) => assert!(-points > before),
                        Err(e) => panic!("seed {seed}: {e:?}"),
                    }
                }
                9 => {
                    log.push(format!("{now} expire"));
                    if let Some(e) = l.expire(&c, now, now) {
                        ids.push(e.id);
                    }
                    assert!(l.expire(&c, now, now).is_none(), "seed {seed}: twice");
                }
                _ => {
                    let Some(target) = ids.get(rng.below(ids.len() as u64) as usize).cloned()
                    else {
                        continue;
                    };
                    log.push(format!("{now} reverse {target} (spendable {before})"));
                    match l.reverse(&target, now) {
                        Ok(e) => ids.push(e.id),
                        Err(
                            Refusal::Insufficient { .. }
                            | Refusal::AlreadyReversed(_)
                            | Refusal::NotReversible(_),
                        ) => {}
                        Err(e) => panic!("seed {seed}: {e:?}\n{}", log.join("\n")),
                    }
                }
            }
            let balance = l.assert_consistent(&c);
            let spendable = l.spendable(&c, now);
            assert!(
                (0..=balance).contains(&spendable),
                "seed {seed}: spendable {spendable} of {balance}\n{}",
                log.join("\n")
            );
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
