//! The counter-offer search: when an application is declined on its terms alone, the
//! nearest terms within the product's limits that the same rules would not decline.

use super::DecisionStatus;
use super::decision::{CounterOffer, Snapshot};
use super::policy::{Policy, ProductPolicy};
use super::rules::{Evaluation, Pricer, evaluate};

/// Terms within the product's limits that would not be declined, nearest to what was
/// asked: first the amount asked for (capped at the product maximum) over the shortest
/// longer term that passes; failing that, the largest amount (a multiple of the
/// policy's step) that passes over the term asked for, then over the longest term.
pub(super) fn counter_offer(
    policy: &Policy,
    rules: &ProductPolicy,
    snapshot: &Snapshot,
    pricer: &mut Pricer,
) -> Option<CounterOffer> {
    let input = &snapshot.input;
    let max_term = u32::try_from(rules.max_term_months).ok()?;
    let amount = input.amount.minor_units.min(rules.max_amount.minor_units);
    let term = input.term_months.min(max_term);
    if amount < rules.min_amount.minor_units || i64::from(term) < rules.min_term_months {
        return None;
    }
    let mut passes = |amount: i64, term: u32| -> Option<Evaluation> {
        let e = evaluate(policy, rules, snapshot, amount, term, pricer);
        (e.status() != DecisionStatus::Declined).then_some(e)
    };

    if passes(amount, max_term).is_some() {
        let (mut low, mut high) = (term, max_term);
        while low < high {
            let mid = low + (high - low) / 2;
            if passes(amount, mid).is_some() {
                high = mid;
            } else {
                low = mid + 1;
            }
        }
        return passes(amount, high).and_then(counter_from);
    }

    let step = policy.counter_offer_step.minor_units.max(1);
    let lowest = (rules.min_amount.minor_units + step - 1) / step;
    let highest = amount / step;
    let mut terms = vec![term];
    if max_term != term {
        terms.push(max_term);
    }
    for t in terms {
        if lowest > highest || passes(lowest * step, t).is_none() {
            continue;
        }
        let (mut low, mut high) = (lowest, highest);
        while low < high {
            let mid = low + (high - low + 1) / 2;
            if passes(mid * step, t).is_some() {
                low = mid;
            } else {
                high = mid - 1;
            }
        }
        return passes(low * step, t).and_then(counter_from);
    }
    None
}

fn counter_from(e: Evaluation) -> Option<CounterOffer> {
    let status = e.status();
    let terms = e.terms?;
    Some(CounterOffer {
        amount: terms.amount,
        term_months: terms.term_months,
        annual_rate_bps: terms.annual_rate_bps,
        monthly_payment: terms.monthly_payment,
        total_repayable: terms.total_repayable,
        dti_bps: e.dti_bps?,
        status,
    })
}
