//! Property test: random sequences of earn / redeem / reverse / expire over an
//! in-memory book built only from this module's rules. After every step the balance
//! equals the sum of the entries and the lots' remaining points, nothing is negative,
//! and redemptions drain the oldest spendable lots first. A failure prints its seed.

use super::{
    Allocation, Lot, LoyaltyEntryId, Rules, draw_fifo, expire_due, restore, reverse_lot, spendable,
};
use crate::id::Ulid;
use crate::time::Timestamp;

/// SplitMix64: tiny, deterministic, good enough to drive a property test without a crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

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

    fn fail(&self, seed: u64, what: &str) -> ! {
        panic!("seed {seed}: {what}\nsteps:\n{}", self.log.join("\n"));
    }

    fn balance(&self) -> i64 {
        self.entries.iter().map(|e| e.points).sum()
    }

    fn apply(&mut self, seed: u64, allocations: &[Allocation]) {
        for a in allocations {
            let Some(lot) = self.lots.iter_mut().find(|l| l.earn_id == a.earn_id) else {
                self.fail(seed, "an allocation names no lot");
            };
            lot.remaining += a.points;
            if lot.remaining < 0 || lot.remaining > lot.points {
                let what = format!(
                    "lot {:?} left with {} of {}",
                    lot.earn_id, lot.remaining, lot.points
                );
                self.fail(seed, &what);
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

    fn consume(&mut self, seed: u64, kind: Kind, allocations: Vec<Allocation>) {
        self.apply(seed, &allocations);
        let points = allocations.iter().map(|a| a.points).sum();
        self.entries.push(Entry {
            kind,
            points,
            allocations,
            reversed: false,
            lot: None,
        });
    }

    fn redeem(&mut self, seed: u64, points: i64, now: Timestamp) {
        let available = spendable(&self.lots, now);
        match draw_fifo(&self.lots, points, now) {
            Err(short) if points <= available || short.available != available => {
                self.fail(seed, "a covered redemption was refused")
            }
            Err(_) => {}
            Ok(_) if points > available => self.fail(seed, "an uncovered redemption passed"),
            Ok(taken) => {
                self.check_fifo(seed, &taken, now);
                self.consume(seed, Kind::Redeem, taken);
            }
        }
    }

    fn check_fifo(&self, seed: u64, taken: &[Allocation], now: Timestamp) {
        let mut open: Vec<&Lot> = self
            .lots
            .iter()
            .filter(|l| l.spendable_at(now) > 0)
            .collect();
        open.sort_by_key(|l| l.seq);
        for (i, a) in taken.iter().enumerate() {
            let lot = open.get(i).copied();
            if lot.map(|l| l.earn_id) != Some(a.earn_id) {
                self.fail(seed, "a redemption skipped an older spendable lot");
            }
            let drained = lot.map(|l| l.remaining) == Some(-a.points);
            if i + 1 < taken.len() && !drained {
                self.fail(seed, "a redemption moved on before draining a lot");
            }
        }
    }

    fn reverse(&mut self, seed: u64, index: usize, now: Timestamp) {
        let Some(entry) = self.entries.get(index) else {
            return;
        };
        if entry.reversed || matches!(entry.kind, Kind::Expire | Kind::Reverse) {
            return;
        }
        let allocations = match (entry.kind, entry.lot) {
            (Kind::Earn, Some(lot_id)) => {
                let Some(target) = self.lots.iter().find(|l| l.earn_id == lot_id).copied() else {
                    self.fail(seed, "an earn without its lot");
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
                            self.fail(seed, "a reversal took other than it owed");
                        }
                        taken
                    }
                    Err(short) => {
                        if short.available != spendable(&self.lots, now) {
                            self.fail(seed, "a refused reversal misreports the balance");
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
        self.consume(seed, Kind::Reverse, allocations);
    }

    fn check(&self, seed: u64, now: Timestamp) {
        let balance = self.balance();
        let in_lots: i64 = self.lots.iter().map(|l| l.remaining).sum();
        if balance != in_lots {
            self.fail(seed, &format!("balance {balance} but lots hold {in_lots}"));
        }
        if balance < 0 {
            self.fail(seed, "the balance went negative");
        }
        let available = spendable(&self.lots, now);
        if !(0..=balance).contains(&available) {
            self.fail(
                seed,
                &format!("spendable {available} outside 0..={balance}"),
            );
        }
        for e in &self.entries {
            let allocated: i64 = e.allocations.iter().map(|a| a.points).sum();
            if e.kind != Kind::Earn && allocated != e.points {
                self.fail(seed, "an entry's points differ from its allocations");
            }
        }
    }
}

#[test]
fn random_ledgers_keep_balance_equal_to_the_sum_of_entries_and_never_negative() {
    const DAY: i64 = 86_400_000;
    for seed in 0..300u64 {
        let mut rng = Rng(seed);
        let mut book = Book::new();
        let mut now = Timestamp::parse("2026-01-01T00:00:00Z").expect("valid");
        for _ in 0..80 {
            now = now.plus_millis(rng.below(60) as i64 * DAY + rng.below(DAY as u64) as i64);
            match rng.below(10) {
                0..=3 => {
                    let points = 1 + rng.below(500) as i64;
                    book.log.push(format!("{now} earn {points}"));
                    book.earn(points, now);
                }
                4..=6 => {
                    let points = 1 + rng.below(800) as i64;
                    book.log.push(format!("{now} redeem {points}"));
                    book.redeem(seed, points, now);
                }
                7 => {
                    book.log.push(format!("{now} expire"));
                    let due = expire_due(&book.lots, now);
                    if !due.is_empty() {
                        book.consume(seed, Kind::Expire, due);
                    }
                    if !expire_due(&book.lots, now).is_empty() {
                        book.fail(seed, "a second expiry at the same instant found work");
                    }
                }
                _ => {
                    let index = rng.below(book.entries.len() as u64) as usize;
                    book.log.push(format!("{now} reverse #{index}"));
                    book.reverse(seed, index, now);
                }
            }
            book.check(seed, now);
        }
    }
}
