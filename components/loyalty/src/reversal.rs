//! Reversals: an entry is undone by a new entry, never by changing it. An earn's
//! points come back out (only down to a zero spendable balance, and never the points
//! that already expired); a redemption's points go back to the lots they came from,
//! keeping those lots' expiry. Each entry is reversed at most once (a `UNIQUE`
//! constraint on `reverses_id`), and expiries and reversals are not reversible.

use crate::ledger::{Refusal, append, as_no_entry, check_customer, spendable, written};
use crate::repo::{self, Entry, NewEntry};
use crm_domain::loyalty::{
    EntryKind, LoyaltyEntryId, ReversalRule, restore, reversal_rule, reverse_lot,
};
use crm_domain::time::Timestamp;
use crm_store::Database;

/// Reverses entry `target_id` with a new entry (see [`reversal_rule`], [`reverse_lot`]
/// and [`restore`] for what each kind gives back); each entry is reversed at most once.
pub fn reverse(
    db: &dyn Database,
    target_id: &str,
    reason: &str,
    actor: Option<&str>,
    id: LoyaltyEntryId,
    now: Timestamp,
) -> Result<Entry, Refusal> {
    let target = repo::entry(db, target_id)?.ok_or(Refusal::EntryNotFound)?;
    let customer = target.customer_id.as_str();
    check_customer(db, customer, true).map_err(as_no_entry)?;
    if let Some(by) = target.reversed_by {
        return Err(Refusal::AlreadyReversed(by));
    }
    let rule = reversal_rule(target.kind, target.points).map_err(Refusal::NotReversible)?;
    let current = repo::current_rules(db)?;
    let mut entry = NewEntry::new(id, customer, EntryKind::Reverse, 0, current.version, now);
    entry.reverses_id = Some(target_id);
    entry.reason = Some(reason);
    entry.actor = actor;
    let allocations = match rule {
        ReversalRule::TakeBack => {
            let (owed, allocations) = match repo::lot(db, target_id)? {
                // A 0-point earn opened no lot: its reversal takes nothing back but
                // still voids its tier and lifetime credit.
                None => (0, Vec::new()),
                Some(lot) => {
                    let expired = repo::expired_from(db, target_id)?;
                    let past_due = if lot.expires_at <= now {
                        lot.remaining
                    } else {
                        0
                    };
                    let owed = (lot.points - expired - past_due).max(0);
                    let elsewhere = owed - owed.min(lot.spendable_at(now));
                    let others = repo::fifo_lots(db, customer, now, elsewhere, Some(target_id))?;
                    reverse_lot(&lot, expired, &others, now).map_err(|_| {
                        match spendable(db, customer, now) {
                            Ok(available) => Refusal::Insufficient {
                                available,
                                requested: owed,
                            },
                            Err(e) => e.into(),
                        }
                    })?
                }
            };
            entry.points = -owed;
            entry.spend_gate = true;
            entry.tier_points = -target.tier_points;
            entry.tier_at = target.tier_at;
            entry.lifetime_points = -target.lifetime_points;
            allocations
        }
        ReversalRule::Restore => {
            let back = restore(&repo::allocations_with_expiry(db, target_id)?, now);
            entry.points = back.iter().map(|a| a.points).sum();
            back
        }
    };
    if !append(db, &current.rules, &entry, &allocations)? {
        return Err(Refusal::Insufficient {
            available: spendable(db, customer, now)?,
            requested: -entry.points,
        });
    }
    written(db, &id)
}
