//! The ledger's operations: each reads the facts the domain rules need, asks them what
//! to write, and appends one entry with its lots, allocations and caches. Every
//! operation runs inside one `BEGIN IMMEDIATE` transaction (the idempotency record's,
//! or the expiry run's per customer), and the entry itself is written by a single
//! conditional statement that refuses to take any balance below zero.

use crate::repo::{self, AllocationView, Entry, NewEntry};
use crm_domain::customer::CustomerStatus;
use crm_domain::loyalty::calendar::month_of;
use crm_domain::loyalty::{
    Allocation, EarnRequest, EntryKind, EventType, Invalid, LoyaltyEntryId, Points, Rules,
    TierStanding, TierWindow, draw_fifo, expire_due,
};
use crm_domain::money::Money;
use crm_domain::time::Timestamp;
use crm_store::read::customers::customer_status;
use crm_store::{Database, StoreError};

pub use crate::reversal::reverse;

/// Why an operation was refused; the handlers map each to its HTTP answer.
#[derive(Debug)]
pub enum Refusal {
    /// No such customer, or erased.
    CustomerNotFound,
    /// The customer's relationship is closed: no new points in or out.
    CustomerClosed,
    /// No such entry.
    EntryNotFound,
    /// The request does not fit the rules.
    Invalid(Vec<Invalid>),
    /// The customer already has an entry of this kind with this reference.
    DuplicateReference(String),
    /// The spendable balance does not cover the request.
    Insufficient {
        /// Spendable now.
        available: i64,
        /// Asked for.
        requested: i64,
    },
    /// This kind of entry cannot be reversed.
    NotReversible(&'static str),
    /// The entry was reversed already, by this entry.
    AlreadyReversed(String),
    /// The store failed.
    Store(StoreError),
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        Refusal::Store(e)
    }
}

/// An earning event.
#[derive(Debug, Clone)]
pub struct EarnCommand<'a> {
    /// The customer (`cus_…`).
    pub customer: &'a str,
    /// The event.
    pub event_type: EventType,
    /// The money it moved.
    pub amount: Option<Money>,
    /// Points, for rules whose basis is `given`.
    pub points: Option<i64>,
    /// The caller's business reference, unique per customer among earns.
    pub reference: &'a str,
    /// Who asked.
    pub actor: Option<&'a str>,
}

/// A redemption.
#[derive(Debug, Clone)]
pub struct RedeemCommand<'a> {
    /// The customer.
    pub customer: &'a str,
    /// Points to spend.
    pub points: Points,
    /// The reward.
    pub reward_code: &'a str,
    /// The caller's reference, unique per customer among redemptions.
    pub reference: &'a str,
    /// Who asked.
    pub actor: Option<&'a str>,
}

/// A manual correction.
#[derive(Debug, Clone)]
pub struct AdjustCommand<'a> {
    /// The customer.
    pub customer: &'a str,
    /// Signed points, never 0, at most 10 million either way.
    pub points: i64,
    /// Why (required).
    pub reason: &'a str,
    /// The caller's reference, unique per customer among adjustments.
    pub reference: &'a str,
    /// Who asked.
    pub actor: Option<&'a str>,
}

/// Refuses unknown and erased customers, and closed ones unless `closed_ok`.
pub fn check_customer(db: &dyn Database, customer: &str, closed_ok: bool) -> Result<(), Refusal> {
    match customer_status(db, customer)? {
        None | Some(CustomerStatus::Erased) => Err(Refusal::CustomerNotFound),
        Some(CustomerStatus::Closed) if !closed_ok => Err(Refusal::CustomerClosed),
        Some(_) => Ok(()),
    }
}

/// For reads by entry id: an entry of an unknown or erased customer reads as no entry,
/// but a store failure stays a store failure (a 503, never a 404 a replay would keep).
pub fn as_no_entry(refusal: Refusal) -> Refusal {
    match refusal {
        Refusal::Store(e) => Refusal::Store(e),
        _ => Refusal::EntryNotFound,
    }
}

/// The customer's tier at `now` under `rules`.
pub fn standing(
    db: &dyn Database,
    rules: &Rules,
    customer: &str,
    now: Timestamp,
) -> Result<TierStanding, StoreError> {
    let window = TierWindow::at(now, rules);
    let history = repo::tier_history(db, customer, &window)?;
    Ok(TierStanding::evaluate(rules, &window, &history))
}

/// Points the customer may spend at `now`: the balance less points already past their
/// expiry instant, whether or not an expiry run has written them off.
pub fn spendable(db: &dyn Database, customer: &str, now: Timestamp) -> Result<i64, StoreError> {
    let balance = repo::account(db, customer)?.map_or(0, |a| a.balance);
    Ok(balance - repo::due_points(db, customer, now)?)
}

fn no_duplicate(
    db: &dyn Database,
    customer: &str,
    kind: EntryKind,
    reference: &str,
) -> Result<(), Refusal> {
    match repo::entry_by_reference(db, customer, kind, reference)? {
        Some(existing) => Err(Refusal::DuplicateReference(existing)),
        None => Ok(()),
    }
}

pub(crate) fn broken(what: &str) -> Refusal {
    Refusal::Store(StoreError::Backend(format!("ledger invariant: {what}")))
}

/// Appends `entry` with its lot (for positive earns and adjustments), allocations and
/// caches. `Ok(false)` when the entry's balance condition refused it (nothing written).
pub(crate) fn append(
    db: &dyn Database,
    rules: &Rules,
    entry: &NewEntry<'_>,
    allocations: &[Allocation],
) -> Result<bool, Refusal> {
    let inserted = match repo::insert_entry(db, entry) {
        Ok(inserted) => inserted,
        Err(e) if e.is_unique_violation("loyalty_entries.reverses_id") => {
            let by = entry
                .reverses_id
                .and_then(|id| repo::entry(db, id).ok().flatten())
                .and_then(|e| e.reversed_by)
                .unwrap_or_default();
            return Err(Refusal::AlreadyReversed(by));
        }
        Err(e) if e.is_unique_violation("loyalty_entries.reference") => {
            let existing = entry
                .reference
                .and_then(|r| repo::entry_by_reference(db, entry.customer, entry.kind, r).ok())
                .flatten()
                .unwrap_or_default();
            return Err(Refusal::DuplicateReference(existing));
        }
        Err(e) => return Err(e.into()),
    };
    let Some((seq, balance_after)) = inserted else {
        return Ok(false);
    };
    let opens_lot = matches!(entry.kind, EntryKind::Earn | EntryKind::Adjust) && entry.points > 0;
    if opens_lot {
        let expires_at = entry
            .expires_at
            .ok_or_else(|| broken("a lot needs an expiry"))?;
        repo::insert_lot(db, entry, seq, expires_at)?;
    }
    let moved = repo::allocate(db, &entry.id, entry.customer, allocations)?;
    if moved != allocations.len() {
        return Err(broken(
            "an allocation names a lot the customer does not have",
        ));
    }
    let allocated: i64 = allocations.iter().map(|a| a.points).sum();
    if !opens_lot && allocated != entry.points {
        return Err(broken("an entry's points differ from its allocations"));
    }
    let cached = repo::apply_to_account(
        db,
        entry.customer,
        entry.points,
        entry.lifetime_points,
        seq,
        entry.created_at,
    )?;
    if cached != Some(balance_after) {
        return Err(broken(
            "the cached balance differs from the running balance",
        ));
    }
    if entry.tier_points != 0 {
        repo::add_tier_points(
            db,
            entry.customer,
            month_of(entry.tier_at),
            entry.tier_points,
        )?;
    }
    let tier = standing(db, rules, entry.customer, entry.created_at)?;
    repo::set_tier(db, entry.customer, &tier.name, entry.created_at)?;
    Ok(true)
}

/// Reads back an entry as stored, with its allocations.
pub fn read_entry(db: &dyn Database, id: &str) -> Result<Option<Entry>, StoreError> {
    let Some(mut entry) = repo::entry(db, id)? else {
        return Ok(None);
    };
    let allocations = repo::allocations(db, id)?;
    if !allocations.is_empty() {
        entry.allocations = Some(
            allocations
                .into_iter()
                .map(|a| AllocationView {
                    earn_id: a.earn_id.to_string(),
                    points: a.points,
                })
                .collect(),
        );
    }
    Ok(Some(entry))
}

pub(crate) fn written(db: &dyn Database, id: &LoyaltyEntryId) -> Result<Entry, Refusal> {
    read_entry(db, &id.to_string())?.ok_or_else(|| broken("a written entry is missing"))
}

/// Credits the points `cmd` earns under the current rules and the customer's tier.
pub fn earn(
    db: &dyn Database,
    cmd: &EarnCommand<'_>,
    id: LoyaltyEntryId,
    now: Timestamp,
) -> Result<Entry, Refusal> {
    check_customer(db, cmd.customer, false)?;
    let current = repo::current_rules(db)?;
    let rules = &current.rules;
    let tier = standing(db, rules, cmd.customer, now)?;
    let request = EarnRequest {
        event_type: cmd.event_type,
        amount: cmd.amount,
        points: cmd.points,
    };
    let earned = rules
        .earn(&request, tier.multiplier_bp)
        .map_err(Refusal::Invalid)?;
    no_duplicate(db, cmd.customer, EntryKind::Earn, cmd.reference)?;
    repo::ensure_account(db, cmd.customer, &tier.name, now)?;
    let mut entry = NewEntry::new(
        id,
        cmd.customer,
        EntryKind::Earn,
        earned.points,
        current.version,
        now,
    );
    entry.event_type = Some(cmd.event_type);
    entry.amount = cmd.amount;
    entry.base_points = Some(earned.base_points);
    entry.multiplier_bp = Some(earned.multiplier_bp);
    entry.reference = Some(cmd.reference);
    entry.expires_at = Some(rules.expires_at(now));
    entry.actor = cmd.actor;
    entry.tier_points = earned.tier_points;
    entry.lifetime_points = earned.points;
    if !append(db, rules, &entry, &[])? {
        return Err(broken("an earn was refused by its balance condition"));
    }
    written(db, &id)
}

/// Takes `wanted` points FIFO from the customer's spendable lots.
fn take(
    db: &dyn Database,
    customer: &str,
    wanted: i64,
    now: Timestamp,
) -> Result<Vec<Allocation>, Refusal> {
    let available = spendable(db, customer, now)?;
    let insufficient = Refusal::Insufficient {
        available,
        requested: wanted,
    };
    if wanted > available {
        return Err(insufficient);
    }
    let lots = repo::fifo_lots(db, customer, now, wanted, None)?;
    draw_fifo(&lots, wanted, now).map_err(|_| insufficient)
}

/// Spends `cmd.points` on a reward, oldest points first; refused (nothing written)
/// unless the spendable balance covers it.
pub fn redeem(
    db: &dyn Database,
    cmd: &RedeemCommand<'_>,
    id: LoyaltyEntryId,
    now: Timestamp,
) -> Result<Entry, Refusal> {
    check_customer(db, cmd.customer, false)?;
    no_duplicate(db, cmd.customer, EntryKind::Redeem, cmd.reference)?;
    let current = repo::current_rules(db)?;
    let wanted = cmd.points.get();
    let allocations = take(db, cmd.customer, wanted, now)?;
    let mut entry = NewEntry::new(
        id,
        cmd.customer,
        EntryKind::Redeem,
        -wanted,
        current.version,
        now,
    );
    entry.reward_code = Some(cmd.reward_code);
    entry.reference = Some(cmd.reference);
    entry.actor = cmd.actor;
    entry.spend_gate = true;
    if !append(db, &current.rules, &entry, &allocations)? {
        return Err(Refusal::Insufficient {
            available: spendable(db, cmd.customer, now)?,
            requested: wanted,
        });
    }
    written(db, &id)
}

/// Books a manual correction: a positive one opens a lot like an earn (without tier
/// or lifetime credit), a negative one is drawn like a redemption.
pub fn adjust(
    db: &dyn Database,
    cmd: &AdjustCommand<'_>,
    id: LoyaltyEntryId,
    now: Timestamp,
) -> Result<Entry, Refusal> {
    check_customer(db, cmd.customer, cmd.points < 0)?;
    no_duplicate(db, cmd.customer, EntryKind::Adjust, cmd.reference)?;
    let current = repo::current_rules(db)?;
    let rules = &current.rules;
    let mut entry = NewEntry::new(
        id,
        cmd.customer,
        EntryKind::Adjust,
        cmd.points,
        current.version,
        now,
    );
    entry.reason = Some(cmd.reason);
    entry.reference = Some(cmd.reference);
    entry.actor = cmd.actor;
    let allocations = if cmd.points > 0 {
        let tier = standing(db, rules, cmd.customer, now)?;
        repo::ensure_account(db, cmd.customer, &tier.name, now)?;
        entry.expires_at = Some(rules.expires_at(now));
        Vec::new()
    } else {
        entry.spend_gate = true;
        take(db, cmd.customer, -cmd.points, now)?
    };
    if !append(db, rules, &entry, &allocations)? {
        return Err(Refusal::Insufficient {
            available: spendable(db, cmd.customer, now)?,
            requested: -cmd.points,
        });
    }
    written(db, &id)
}

/// Writes off the customer's points whose expiry instant is at or before `as_of`, as
/// one `expire` entry tracing every lot; `None` when nothing is due. Running it again
/// for the same `as_of` finds nothing: written-off lots are empty, and points can only
/// return to lots that have not expired yet.
pub fn expire(
    db: &dyn Database,
    customer: &str,
    as_of: Timestamp,
    actor: Option<&str>,
    id: LoyaltyEntryId,
    now: Timestamp,
) -> Result<Option<Entry>, Refusal> {
    let due = expire_due(&repo::due_lots(db, customer, as_of)?, as_of);
    if due.is_empty() {
        return Ok(None);
    }
    let reference = format!("expiry:{as_of}");
    if repo::entry_by_reference(db, customer, EntryKind::Expire, &reference)?.is_some() {
        return Ok(None);
    }
    let current = repo::current_rules(db)?;
    let mut entry = NewEntry::new(
        id,
        customer,
        EntryKind::Expire,
        due.iter().map(|a| a.points).sum(),
        current.version,
        now,
    );
    entry.as_of = Some(as_of);
    entry.reference = Some(&reference);
    entry.actor = actor;
    if !append(db, &current.rules, &entry, &due)? {
        return Err(broken("an expiry was refused by its balance condition"));
    }
    Ok(Some(written(db, &id)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_of_a_missing_customer_reads_as_none_but_a_store_failure_stays_one() {
        assert!(matches!(
            as_no_entry(Refusal::CustomerNotFound),
            Refusal::EntryNotFound
        ));
        assert!(matches!(
            as_no_entry(Refusal::Store(StoreError::Busy)),
            Refusal::Store(StoreError::Busy)
        ));
    }
}
