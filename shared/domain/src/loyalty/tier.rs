//! Tiers follow tier-qualifying points earned in the last 12 months (never the
//! spendable balance, so redeeming never demotes anyone).
//!
//! The rolling total at `now` covers `(now − 12 months, now]` exactly: the months fully
//! inside the window come from monthly totals, the part of the boundary month inside it
//! from the entries themselves, so a read touches at most a month of entries. A
//! reversal counts in the month of the earn it reverses, correcting history rather
//! than today.
//!
//! Under the `retain` policy a tier reached at a month end (the 12 months ending then)
//! is kept for `retainMonths` further months: a customer who was gold at the end of
//! March 2026 stays at least gold until the end of March 2027 with 12 months.

use super::calendar::{MonthIndex, add_months, month_of, month_start};
use super::rules::{Downgrade, Rules, TierRule};
use crate::time::Timestamp;
use serde::Deserialize;

/// What a tier evaluation needs of the rules: the tiers and how long a reached one is
/// kept. [`Rules`] has them; so does [`TierRules`], for services that only evaluate.
pub trait TierPolicy {
    /// Tiers from lowest to highest.
    fn tiers(&self) -> &[TierRule];
    /// Months a reached tier is kept (0 under `immediate`).
    fn retain_months(&self) -> i64;
}

impl TierPolicy for Rules {
    fn tiers(&self) -> &[TierRule] {
        Rules::tiers(self)
    }

    fn retain_months(&self) -> i64 {
        Rules::retain_months(self)
    }
}

/// The tier part of a stored rules document (`loyalty_rules.document`), deserialized
/// without the earning rules: the loyalty service validated the whole document when it
/// stored it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TierRules {
    tiers: Vec<TierRule>,
    downgrade: Downgrade,
}

impl TierRules {
    /// Whether there is a tier to evaluate at all.
    pub fn has_tiers(&self) -> bool {
        !self.tiers.is_empty()
    }
}

impl TierPolicy for TierRules {
    fn tiers(&self) -> &[TierRule] {
        &self.tiers
    }

    fn retain_months(&self) -> i64 {
        self.downgrade.months_kept()
    }
}

/// Where the facts for a tier evaluation at `now` are read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TierWindow {
    /// The instant evaluated.
    pub now: Timestamp,
    /// The window's exclusive lower bound: `now` minus 12 months.
    pub since: Timestamp,
    /// Entries with `since < at < partial_until` make up the boundary month's part.
    pub partial_until: Timestamp,
    /// The first monthly total needed (earlier with a retain policy).
    pub first_month: MonthIndex,
    /// The month `now` is in: the last monthly total needed.
    pub current_month: MonthIndex,
}

impl TierWindow {
    /// The window for evaluating tiers at `now` under `rules`.
    pub fn at(now: Timestamp, rules: &(impl TierPolicy + ?Sized)) -> TierWindow {
        let current = month_of(now);
        let since = add_months(now, -12);
        TierWindow {
            now,
            since,
            partial_until: month_start(month_of(since) + 1),
            first_month: current - 11 - rules.retain_months(),
            current_month: current,
        }
    }
}

/// The facts a [`TierWindow`] asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TierHistory {
    /// Tier-qualifying points per calendar month, for `first_month..=current_month`
    /// (months without points may be absent).
    pub months: Vec<(MonthIndex, i64)>,
    /// Tier-qualifying points dated inside `(since, partial_until)`.
    pub boundary_points: i64,
}

/// The next tier up and how far it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextTier {
    /// Its name.
    pub name: String,
    /// Qualifying points still needed to reach it on the rolling total.
    pub points_needed: i64,
}

/// A customer's tier at an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierStanding {
    /// The tier's position in the rules (0 is the starting tier).
    pub index: usize,
    /// The tier's name.
    pub name: String,
    /// The tier's earning multiplier in basis points.
    pub multiplier_bp: i64,
    /// Tier-qualifying points of the last 12 months.
    pub qualifying_points: i64,
    /// The next tier, `None` at the top.
    pub next: Option<NextTier>,
    /// When the tier is kept only by the retain policy: the instant it lapses unless
    /// the customer qualifies again.
    pub held_until: Option<Timestamp>,
}

fn tier_for(tiers: &[TierRule], points: i64) -> usize {
    tiers
        .iter()
        .rposition(|t| t.threshold <= points)
        .unwrap_or(0)
}

impl TierStanding {
    /// Evaluates the tier at `window.now` from `history` under `rules`.
    pub fn evaluate(
        rules: &(impl TierPolicy + ?Sized),
        window: &TierWindow,
        history: &TierHistory,
    ) -> TierStanding {
        let tiers = rules.tiers();
        let month = |m: MonthIndex| -> i64 {
            history
                .months
                .iter()
                .filter(|(at, _)| *at == m)
                .map(|(_, p)| *p)
                .sum()
        };
        let twelve_ending = |m: MonthIndex| -> i64 { (m - 11..=m).map(month).sum() };
        let cur = window.current_month;
        let rolling = history.boundary_points + twelve_ending(cur);
        let rolling_index = tier_for(tiers, rolling);

        let retain = rules.retain_months();
        let held = (cur - retain..cur)
            .map(|m| (m, tier_for(tiers, twelve_ending(m))))
            .filter(|&(_, index)| index > rolling_index)
            .max_by_key(|&(m, index)| (index, m));
        let (index, held_until) = match held {
            Some((m, index)) => (index, Some(month_start(m + retain + 1))),
            None => (rolling_index, None),
        };
        let tier = tiers.get(index).cloned().unwrap_or(TierRule {
            name: String::new(),
            threshold: 0,
            multiplier_bp: 10_000,
        });
        TierStanding {
            index,
            name: tier.name,
            multiplier_bp: tier.multiplier_bp,
            qualifying_points: rolling,
            next: tiers.get(index + 1).map(|t| NextTier {
                name: t.name.clone(),
                points_needed: (t.threshold - rolling).max(1),
            }),
            held_until,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loyalty::rules::{DowngradePolicy, RulesDocument};

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse(s).expect("valid timestamp")
    }

    fn rules(policy: DowngradePolicy) -> Rules {
        let mut doc: RulesDocument = Rules::default_rules().document().clone();
        doc.downgrade.policy = policy;
        doc.downgrade.retain_months = match policy {
            DowngradePolicy::Retain => Some(12),
            DowngradePolicy::Immediate => None,
        };
        Rules::from_document(doc).expect("valid")
    }

    fn month(s: &str) -> MonthIndex {
        month_of(ts(&format!("{s}-15T00:00:00Z")))
    }

    #[test]
    fn the_window_is_the_twelve_months_up_to_now_with_a_partial_boundary_month() {
        let w = TierWindow::at(
            ts("2026-03-15T10:00:00Z"),
            &rules(DowngradePolicy::Immediate),
        );
        assert_eq!(w.since, ts("2025-03-15T10:00:00Z"));
        assert_eq!(w.partial_until, ts("2025-04-01T00:00:00Z"));
        assert_eq!(w.current_month, month("2026-03"));
        assert_eq!(w.first_month, month("2025-04"));
        let retained = TierWindow::at(w.now, &rules(DowngradePolicy::Retain));
        assert_eq!(retained.first_month, month("2024-04"));
    }

    #[test]
    fn a_customer_without_points_is_in_the_first_tier() {
        let r = rules(DowngradePolicy::Retain);
        let w = TierWindow::at(ts("2026-03-15T10:00:00Z"), &r);
        let s = TierStanding::evaluate(&r, &w, &TierHistory::default());
        assert_eq!((s.name.as_str(), s.qualifying_points), ("silver", 0));
        assert_eq!(
            s.next,
            Some(NextTier {
                name: "gold".into(),
                points_needed: 5_000
            })
        );
        assert_eq!(s.held_until, None);
    }

    #[test]
    fn reaching_a_threshold_exactly_reaches_the_tier() {
        let r = rules(DowngradePolicy::Immediate);
        let w = TierWindow::at(ts("2026-03-15T10:00:00Z"), &r);
        let history = TierHistory {
            months: vec![(month("2026-01"), 4_000)],
            boundary_points: 1_000,
        };
        let s = TierStanding::evaluate(&r, &w, &history);
        assert_eq!((s.name.as_str(), s.qualifying_points), ("gold", 5_000));
        assert_eq!(s.multiplier_bp, 12_500);
        assert_eq!(s.next.map(|n| n.points_needed), Some(15_000));
        let just_short = TierHistory {
            boundary_points: 999,
            ..history
        };
        assert_eq!(TierStanding::evaluate(&r, &w, &just_short).name, "silver");
    }

    #[test]
    fn points_older_than_twelve_months_do_not_count() {
        let r = rules(DowngradePolicy::Immediate);
        let w = TierWindow::at(ts("2026-03-15T10:00:00Z"), &r);
        // March 2025 as a whole month is outside; only its boundary part may count.
        let history = TierHistory {
            months: vec![(month("2025-03"), 50_000), (month("2025-04"), 100)],
            boundary_points: 0,
        };
        let s = TierStanding::evaluate(&r, &w, &history);
        assert_eq!(s.qualifying_points, 100);
        assert_eq!(s.name, "silver");
    }

    #[test]
    fn the_top_tier_has_no_next_tier() {
        let r = rules(DowngradePolicy::Immediate);
        let w = TierWindow::at(ts("2026-03-15T10:00:00Z"), &r);
        let history = TierHistory {
            months: vec![(month("2026-03"), 25_000)],
            boundary_points: 0,
        };
        let s = TierStanding::evaluate(&r, &w, &history);
        assert_eq!((s.name.as_str(), s.next), ("platinum", None));
    }

    #[test]
    fn under_immediate_policy_the_tier_drops_as_soon_as_points_leave_the_window() {
        let r = rules(DowngradePolicy::Immediate);
        let history = TierHistory {
            months: vec![(month("2025-03"), 6_000)],
            boundary_points: 0,
        };
        let w = TierWindow::at(ts("2026-02-15T00:00:00Z"), &r);
        assert_eq!(TierStanding::evaluate(&r, &w, &history).name, "gold");
        let w = TierWindow::at(ts("2026-04-15T00:00:00Z"), &r);
        assert_eq!(TierStanding::evaluate(&r, &w, &history).name, "silver");
    }

    #[test]
    fn under_retain_policy_a_tier_reached_at_a_month_end_is_kept_for_the_retain_months() {
        let r = rules(DowngradePolicy::Retain);
        // Gold on the 12 months ending February 2025; nothing since.
        let history = TierHistory {
            months: vec![(month("2025-02"), 6_000)],
            boundary_points: 0,
        };
        let w = TierWindow::at(ts("2026-03-15T00:00:00Z"), &r);
        let s = TierStanding::evaluate(&r, &w, &history);
        assert_eq!(s.name, "gold", "kept although the rolling total is 0");
        assert_eq!(s.qualifying_points, 0);
        assert_eq!(s.held_until, Some(ts("2027-02-01T00:00:00Z")));
        assert_eq!(s.multiplier_bp, 12_500);

        let lapsed = TierWindow::at(ts("2027-02-01T00:00:00Z"), &r);
        let s = TierStanding::evaluate(&r, &lapsed, &history);
        assert_eq!(
            (s.name.as_str(), s.held_until),
            ("silver", None),
            "the hold ends at the instant it names"
        );
        let last_moment = TierWindow::at(ts("2027-01-31T23:59:59.999Z"), &r);
        assert_eq!(
            TierStanding::evaluate(&r, &last_moment, &history).name,
            "gold"
        );
    }

    #[test]
    fn a_held_tier_still_shows_the_distance_to_the_next_tier_on_the_rolling_total() {
        let r = rules(DowngradePolicy::Retain);
        let history = TierHistory {
            months: vec![(month("2025-06"), 6_000), (month("2026-03"), 1_000)],
            boundary_points: 0,
        };
        let w = TierWindow::at(ts("2026-08-15T00:00:00Z"), &r);
        let s = TierStanding::evaluate(&r, &w, &history);
        assert_eq!((s.name.as_str(), s.qualifying_points), ("gold", 1_000));
        assert_eq!(s.next.map(|n| n.points_needed), Some(19_000));
    }

    #[test]
    fn a_reversal_in_the_earn_month_removes_the_points_from_history() {
        let r = rules(DowngradePolicy::Retain);
        let history = TierHistory {
            // 6 000 earned in January, 6 000 reversed (counted in January too).
            months: vec![(month("2026-01"), 6_000), (month("2026-01"), -6_000)],
            boundary_points: 0,
        };
        let w = TierWindow::at(ts("2026-03-15T00:00:00Z"), &r);
        assert_eq!(TierStanding::evaluate(&r, &w, &history).name, "silver");
    }
}
