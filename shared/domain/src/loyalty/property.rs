//! Property test: random sequences of earn / redeem / reverse / expire over an
//! in-memory book built only from this module's rules. After every step the balance
//! equals the sum of the entries and the lots' remaining points, nothing is negative,
//! and redemptions drain the oldest spendable lots first. proptest shrinks a failure to
//! its shortest sequence of steps and keeps it in `proptest-regressions/`.

use super::{
    Allocation, Lot, LoyaltyEntryId, Rules, draw_fifo, expire_due, restore, reverse_lot, spendable,
};
use crate::id::Ulid;
use crate::time::Timestamp;
use proptest::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Earn,
    Redeem,
    Expire,
    Reverse,
}

#[derive(Debug)]
struct Entry {
    kind: Kind,
    points: i64,
    allocations: Vec<Allocation>,
    reversed: bool,
    lot: Option<LoyaltyEntryId>,
}

struct Book {
    rules: Rules,
    entries: Vec<Entry>,
    lots: Vec<Lot>,
    next_id: u64,
    log: Vec<String>,
}

impl Book {
    fn new() -> Book {
        Book {
            rules: Rules::default_rules(),
            entries: Vec::new(),
            lots: Vec::new(),
            next_id: 1,
            log: Vec::new(),
        }
    }

    fn fail(&self, what: &str) -> ! {
        panic!("{what}\nsteps:\n{}", self.log.join("\n"));
    }

    fn balance(&self) -> i64 {
        self.entries.iter().map(|e| e.points).sum()
    }

    fn apply(&mut self, allocations: &[Allocation]) {
        for a in allocations {
            let Some(lot) = self.lots.iter_mut().find(|l| l.earn_id == a.earn_id) else {
                self.fail("an allocation names no lot");
            };
            lot.remaining += a.points;
            if lot.remaining < 0 || lot.remaining > lot.points {
                let what = format!(
                    "lot {:?} left with {} of {}",
                    lot.earn_id, lot.remaining, lot.points
                );
                self.fail(&what);
            }
        }
    }

    fn earn(&mut self, points: i64, now: Timestamp) {
        let id = LoyaltyEntryId::new(Ulid::from_parts(self.next_id, 0));
        self.lots.push(Lot {
            earn_id: id,
            seq: self.next_id as i64,
            points,
            remaining: points,
            expires_at: self.rules.expires_at(now),
        });
        self.next_id += 1;
        self.entries.push(Entry {
            kind: Kind::Earn,
            points,
            allocations: Vec::new(),
            reversed: false,
            lot: Some(id),
        });
    }

    fn consume(&mut self, kind: Kind, allocations: Vec<Allocation>) {
        self.apply(&allocations);
        let points = allocations.iter().map(|a| a.points).sum();
        self.entries.push(Entry {
            kind,
            points,
            allocations,
            reversed: false,
            lot: None,
        });
    }

    fn redeem(&mut self, points: i64, now: Timestamp) {
        let available = spendable(&self.lots, now);
        match draw_fifo(&self.lots, points, now) {
            Err(short) if points <= available || short.available != available => {
                self.fail("a covered redemption was refused")
            }
            Err(_) => {}
            Ok(_) if points > available => self.fail("an uncovered redemption passed"),
            Ok(taken) => {
                self.check_fifo(&taken, now);
                self.consume(Kind::Redeem, taken);
            }
        }
    }

    fn check_fifo(&self, taken: &[Allocation], now: Timestamp) {
        let mut open: Vec<&Lot> = self
            .lots
            .iter()
            .filter(|l| l.spendable_at(now) > 0)
            .collect();
        open.sort_by_key(|l| l.seq);
        for (i, a) in taken.iter().enumerate() {
            let lot = open.get(i).copied();
            if lot.map(|l| l.earn_id) != Some(a.earn_id) {
                self.fail("a redemption skipped an older spendable lot");
            }
            let drained = lot.map(|l| l.remaining) == Some(-a.points);
            if i + 1 < taken.len() && !drained {
                self.fail("a redemption moved on before draining a lot");
            }
        }
    }

    fn reverse(&mut self, index: usize, now: Timestamp) {
        let Some(entry) = self.entries.get(index) else {
            return;
        };
        if entry.reversed || matches!(entry.kind, Kind::Expire | Kind::Reverse) {
            return;
        }
        let allocations = match (entry.kind, entry.lot) {
            (Kind::Earn, Some(lot_id)) => {
                let Some(target) = self.lots.iter().find(|l| l.earn_id == lot_id).copied() else {
                    self.fail("an earn without its lot");
                };
                let expired: i64 = self
                    .entries
                    .iter()
                    .filter(|e| e.kind == Kind::Expire)
                    .flat_map(|e| &e.allocations)
                    .filter(|a| a.earn_id == lot_id)
                    .map(|a| -a.points)
                    .sum();
                match reverse_lot(&target, expired, &self.lots, now) {
                    Ok((owed, taken)) => {
                        if taken.iter().map(|a| a.points).sum::<i64>() != -owed {
                            self.fail("a reversal took other than it owed");
                        }
                        taken
                    }
                    Err(short) => {
                        if short.available != spendable(&self.lots, now) {
                            self.fail("a refused reversal misreports the balance");
                        }
                        return;
                    }
                }
            }
            _ => {
                let with_expiry: Vec<(Allocation, Timestamp)> = entry
                    .allocations
                    .iter()
                    .filter_map(|a| {
                        let lot = self.lots.iter().find(|l| l.earn_id == a.earn_id)?;
                        Some((*a, lot.expires_at))
                    })
                    .collect();
                restore(&with_expiry, now)
            }
        };
        if let Some(entry) = self.entries.get_mut(index) {
            entry.reversed = true;
        }
        self.consume(Kind::Reverse, allocations);
    }

    fn check(&self, now: Timestamp) {
        let balance = self.balance();
        let in_lots: i64 = self.lots.iter().map(|l| l.remaining).sum();
        if balance != in_lots {
            self.fail(&format!("balance {balance} but lots hold {in_lots}"));
        }
        if balance < 0 {
            self.fail("the balance went negative");
        }
        let available = spendable(&self.lots, now);
        if !(0..=balance).contains(&available) {
            self.fail(&format!("spendable {available} outside 0..={balance}"));
        }
        for e in &self.entries {
            let allocated: i64 = e.allocations.iter().map(|a| a.points).sum();
            if e.kind != Kind::Earn && allocated != e.points {
                self.fail("an entry's points differ from its allocations");
            }
        }
    }
}

/// One step of a random ledger: what happens, and how long after the previous step.
#[derive(Debug, Clone)]
enum Step {
    Earn(i64),
    Redeem(i64),
    Expire,
    /// Reverse the entry at this index modulo the entries so far.
    Reverse(usize),
}

fn step() -> impl Strategy<Value = (Step, i64)> {
    const DAY: i64 = 86_400_000;
    let what = prop_oneof![
        4 => (1..=500i64).prop_map(Step::Earn),
        3 => (1..=800i64).prop_map(Step::Redeem),
        1 => Just(Step::Expire),
        2 => any::<usize>().prop_map(Step::Reverse),
    ];
    (what, 0..60 * DAY)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn random_ledgers_keep_balance_equal_to_the_sum_of_entries_and_never_negative(
        steps in proptest::collection::vec(step(), 0..80),
    ) {
        let mut book = Book::new();
        let mut now = Timestamp::parse("2026-01-01T00:00:00Z").expect("valid");
        for (what, after) in steps {
            now = now.plus_millis(after);
            match what {
                Step::Earn(points) => {
                    book.log.push(format!("{now} earn {points}"));
                    book.earn(points, now);
                }
                Step::Redeem(points) => {
                    book.log.push(format!("{now} redeem {points}"));
                    book.redeem(points, now);
                }
                Step::Expire => {
                    book.log.push(format!("{now} expire"));
                    let due = expire_due(&book.lots, now);
                    if !due.is_empty() {
                        book.consume(Kind::Expire, due);
                    }
                    if !expire_due(&book.lots, now).is_empty() {
                        book.fail("a second expiry at the same instant found work");
                    }
                }
                Step::Reverse(pick) => {
                    let index = pick % book.entries.len().max(1);
                    book.log.push(format!("{now} reverse #{index}"));
                    book.reverse(index, now);
                }
            }
            book.check(now);
        }
    }
}
