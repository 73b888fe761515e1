//! Lots and how entries draw on them. Every earn (and positive adjustment) is a lot;
//! every entry that takes points away names the lots it took them from, so each
//! consumption is traceable to the earn it drew on, and a lot's remaining points are
//! always its points plus the signed sum of its allocations.

use super::LoyaltyEntryId;
use crate::time::Timestamp;

/// What is left of one earn's points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lot {
    /// The earn (or positive adjustment) that created the lot.
    pub earn_id: LoyaltyEntryId,
    /// The earn's position in the ledger: FIFO means lowest first.
    pub seq: i64,
    /// Points the earn credited.
    pub points: i64,
    /// Points not yet redeemed, expired or reversed.
    pub remaining: i64,
    /// The first instant the points are no longer spendable.
    pub expires_at: Timestamp,
}

impl Lot {
    /// Points of this lot that may be spent at `t`: none from the expiry instant on.
    pub fn spendable_at(&self, t: Timestamp) -> i64 {
        if t < self.expires_at {
            self.remaining.max(0)
        } else {
            0
        }
    }
}

/// One entry's effect on one lot: a signed change to the lot's remaining points
/// (negative when points are taken, positive when a reversal puts them back).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allocation {
    /// The lot's earn.
    pub earn_id: LoyaltyEntryId,
    /// The signed change.
    pub points: i64,
}

/// Not enough spendable points: how many there are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shortfall {
    /// Points spendable at the time of the attempt.
    pub available: i64,
}

/// Spendable points at `now` across `lots`: expired points never count, whether or not
/// an expiry run has written them off yet.
pub fn spendable(lots: &[Lot], now: Timestamp) -> i64 {
    lots.iter().map(|l| l.spendable_at(now)).sum()
}

/// Takes `wanted` points from the oldest spendable lots first (FIFO by ledger order),
/// or reports the shortfall; never takes more than a lot holds.
pub fn draw_fifo(lots: &[Lot], wanted: i64, now: Timestamp) -> Result<Vec<Allocation>, Shortfall> {
    let mut open: Vec<&Lot> = lots.iter().filter(|l| l.spendable_at(now) > 0).collect();
    open.sort_by_key(|l| l.seq);
    let available = spendable(lots, now);
    if wanted > available {
        return Err(Shortfall { available });
    }
    let mut left = wanted.max(0);
    let mut taken = Vec::new();
    for lot in open {
        if left == 0 {
            break;
        }
        let take = left.min(lot.remaining);
        taken.push(Allocation {
            earn_id: lot.earn_id,
            points: -take,
        });
        left -= take;
    }
    Ok(taken)
}

/// Writes off what is left of every lot whose expiry instant is at or before `as_of`,
/// oldest first.
pub fn expire_due(lots: &[Lot], as_of: Timestamp) -> Vec<Allocation> {
    let mut due: Vec<&Lot> = lots
        .iter()
        .filter(|l| l.remaining > 0 && l.expires_at <= as_of)
        .collect();
    due.sort_by_key(|l| l.seq);
    due.into_iter()
        .map(|l| Allocation {
            earn_id: l.earn_id,
            points: -l.remaining,
        })
        .collect()
}

/// Reversing an earn (or a positive adjustment): the points it credited come back out,
/// except those that expired (written off or past their instant), which the customer
/// already lost. They are taken from the lot itself first, then (for points already
/// spent) FIFO from the customer's other lots. Allowed only while the spendable balance
/// covers it, so a reversal never takes the balance below zero.
///
/// `expired` is how many of the lot's points expire entries already wrote off. Returns
/// the points to take back and where from.
pub fn reverse_lot(
    target: &Lot,
    expired: i64,
    others: &[Lot],
    now: Timestamp,
) -> Result<(i64, Vec<Allocation>), Shortfall> {
    let past_due = if target.expires_at <= now {
        target.remaining.max(0)
    } else {
        0
    };
    let owed = (target.points - expired - past_due).max(0);
    let from_target = owed.min(target.spendable_at(now));
    let mut taken = Vec::new();
    if from_target > 0 {
        taken.push(Allocation {
            earn_id: target.earn_id,
            points: -from_target,
        });
    }
    let elsewhere: Vec<Lot> = others
        .iter()
        .filter(|l| l.earn_id != target.earn_id)
        .copied()
        .collect();
    match draw_fifo(&elsewhere, owed - from_target, now) {
        Ok(rest) => taken.extend(rest),
        Err(Shortfall { available }) => {
            return Err(Shortfall {
                available: available + target.spendable_at(now),
            });
        }
    }
    Ok((owed, taken))
}

/// Reversing a redemption (or a negative adjustment): each point goes back to the lot it
/// came from, keeping that lot's expiry, so a reversal can never extend a point's life.
/// Points whose lot has expired in the meantime are not restored: had the redemption
/// not happened, they would have expired too. `taken` pairs each original allocation
/// with its lot's expiry instant.
pub fn restore(taken: &[(Allocation, Timestamp)], now: Timestamp) -> Vec<Allocation> {
    taken
        .iter()
        .filter(|(a, expires_at)| a.points < 0 && now < *expires_at)
        .map(|(a, _)| Allocation {
            earn_id: a.earn_id,
            points: -a.points,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::Ulid;

    fn t(day: i64) -> Timestamp {
        Timestamp::from_unix_millis(day * 86_400_000)
    }

    fn lot(n: u64, points: i64, remaining: i64, expires_day: i64) -> Lot {
        Lot {
            earn_id: LoyaltyEntryId::new(Ulid::from_parts(n, 0)),
            seq: n as i64,
            points,
            remaining,
            expires_at: t(expires_day),
        }
    }

    fn id(n: u64) -> LoyaltyEntryId {
        LoyaltyEntryId::new(Ulid::from_parts(n, 0))
    }

    #[test]
    fn a_redemption_drains_the_oldest_lots_first() {
        let lots = [
            lot(3, 100, 100, 900),
            lot(1, 50, 50, 900),
            lot(2, 80, 80, 900),
        ];
        let taken = draw_fifo(&lots, 100, t(10)).expect("enough");
        assert_eq!(
            taken,
            [
                Allocation {
                    earn_id: id(1),
                    points: -50
                },
                Allocation {
                    earn_id: id(2),
                    points: -50
                },
            ]
        );
    }

    #[test]
    fn expired_lots_are_skipped_even_before_any_expiry_run() {
        let lots = [lot(1, 50, 50, 10), lot(2, 80, 80, 900)];
        assert_eq!(spendable(&lots, t(10)), 80);
        let taken = draw_fifo(&lots, 30, t(10)).expect("enough");
        assert_eq!(taken[0].earn_id, id(2));
        assert_eq!(
            draw_fifo(&lots, 81, t(10)),
            Err(Shortfall { available: 80 })
        );
    }

    #[test]
    fn points_are_spendable_until_the_millisecond_before_their_expiry_instant() {
        let expiring = Lot {
            expires_at: Timestamp::from_unix_millis(1_000),
            ..lot(1, 10, 10, 0)
        };
        assert_eq!(expiring.spendable_at(Timestamp::from_unix_millis(999)), 10);
        assert_eq!(expiring.spendable_at(Timestamp::from_unix_millis(1_000)), 0);
        assert_eq!(
            expire_due(&[expiring], Timestamp::from_unix_millis(999)),
            []
        );
        assert_eq!(
            expire_due(&[expiring], Timestamp::from_unix_millis(1_000)),
            [Allocation {
                earn_id: id(1),
                points: -10
            }]
        );
    }

    #[test]
    fn asking_for_more_than_is_spendable_takes_nothing() {
        let lots = [lot(1, 50, 20, 900)];
        assert_eq!(draw_fifo(&lots, 21, t(0)), Err(Shortfall { available: 20 }));
    }

    #[test]
    fn an_expiry_writes_off_only_what_is_left_of_due_lots() {
        let lots = [lot(1, 50, 0, 5), lot(2, 80, 30, 5), lot(3, 70, 70, 6)];
        assert_eq!(
            expire_due(&lots, t(5)),
            [Allocation {
                earn_id: id(2),
                points: -30
            }]
        );
    }

    #[test]
    fn reversing_an_unspent_earn_takes_back_all_its_points_from_its_own_lot() {
        let target = lot(1, 100, 100, 900);
        let (owed, taken) = reverse_lot(&target, 0, &[target], t(1)).expect("allowed");
        assert_eq!(owed, 100);
        assert_eq!(
            taken,
            [Allocation {
                earn_id: id(1),
                points: -100
            }]
        );
    }

    #[test]
    fn reversing_a_partly_spent_earn_takes_the_spent_part_from_other_lots() {
        let target = lot(2, 100, 40, 900);
        let others = [lot(1, 30, 30, 900), target, lot(3, 500, 500, 900)];
        let (owed, taken) = reverse_lot(&target, 0, &others, t(1)).expect("allowed");
        assert_eq!(owed, 100);
        assert_eq!(
            taken,
            [
                Allocation {
                    earn_id: id(2),
                    points: -40
                },
                Allocation {
                    earn_id: id(1),
                    points: -30
                },
                Allocation {
                    earn_id: id(3),
                    points: -30
                },
            ]
        );
    }

    #[test]
    fn reversing_a_spent_earn_beyond_the_spendable_balance_is_refused() {
        let target = lot(1, 100, 40, 900);
        let others = [target, lot(2, 50, 50, 900)];
        assert_eq!(
            reverse_lot(&target, 0, &others, t(1)),
            Err(Shortfall { available: 90 })
        );
    }

    #[test]
    fn reversing_an_earn_does_not_charge_for_points_that_already_expired() {
        // 100 earned, 30 redeemed, 50 written off by a run, 20 past due without a run.
        let target = lot(1, 100, 20, 5);
        let (owed, taken) =
            reverse_lot(&target, 50, &[target, lot(2, 100, 100, 900)], t(6)).expect("ok");
        assert_eq!(owed, 30, "only the redeemed points come back out");
        assert_eq!(
            taken,
            [Allocation {
                earn_id: id(2),
                points: -30
            }]
        );
    }

    #[test]
    fn reversing_a_redemption_restores_each_point_to_its_unexpired_lot() {
        let taken = [
            (
                Allocation {
                    earn_id: id(1),
                    points: -30,
                },
                t(5),
            ),
            (
                Allocation {
                    earn_id: id(2),
                    points: -70,
                },
                t(900),
            ),
        ];
        assert_eq!(
            restore(&taken, t(6)),
            [Allocation {
                earn_id: id(2),
                points: 70
            }]
        );
        assert_eq!(restore(&taken, t(4)).len(), 2);
    }
}
