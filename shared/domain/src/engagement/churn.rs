//! Churn early warning: a score from 0 to 100 and a band, explained reason by reason.
//! Every signal is listed with the points it gave and the value behind it; a signal
//! with no data behind it says so (and gives no points): nothing is invented.
//!
//! The rules are versioned ([`CHURN_RULES_VERSION`]) and documented in
//! `docs/engagement.md`; the signals come from the interaction log, the complaint
//! cases, the loyalty ledger and the account events.

use crate::closed_enum;
use crate::customer::DORMANCY_DAYS;
use serde::Serialize;

/// The version of the rules below; answers and churn tasks name it. Version 2 added
/// `loyalty_downgraded`.
pub const CHURN_RULES_VERSION: i64 = 2;
/// The window recent activity is judged over, in days.
pub const WINDOW_DAYS: i64 = 90;
/// Days without an inbound contact from which dormancy is approaching.
pub const APPROACHING_DORMANCY_DAYS: i64 = 120;
/// Days without own loyalty activity from which loyalty is lapsing.
pub const LOYALTY_LAPSING_DAYS: i64 = 180;
/// A tier kept only by the retain policy that lapses within this many days counts as
/// a downgrade to come.
pub const TIER_LAPSE_NOTICE_DAYS: i64 = 30;
/// The score from which a customer is at risk (a churn run creates a retention task).
pub const AT_RISK_SCORE: i64 = 60;

closed_enum!(
    /// How likely the customer is to leave.
    Band { Low = "low", Medium = "medium", High = "high" }
);

impl Band {
    /// The band of `score`: low below 30, medium below 60, high from 60.
    pub fn of(score: i64) -> Band {
        match score {
            s if s >= AT_RISK_SCORE => Band::High,
            s if s >= 30 => Band::Medium,
            _ => Band::Low,
        }
    }
}

closed_enum!(
    /// A signal the score reads.
    Signal {
        FallingInboundActivity = "falling_inbound_activity",
        ApproachingDormancy = "approaching_dormancy",
        NegativeSentiment = "negative_sentiment",
        OpenComplaints = "open_complaints",
        OverdueComplaints = "overdue_complaints",
        LoyaltyLapsing = "loyalty_lapsing",
        LoyaltyDowngraded = "loyalty_downgraded",
        ProductsClosed = "products_closed",
        SalaryStopped = "salary_stopped",
    }
);

/// What the interaction log says (`None` in [`ChurnFacts`] when the customer has no
/// contact at all).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ContactFacts {
    /// Inbound contacts in the last [`WINDOW_DAYS`].
    pub inbound_recent: i64,
    /// Inbound contacts in the [`WINDOW_DAYS`] before those.
    pub inbound_prior: i64,
    /// Days since the latest inbound contact; `None` when the customer never started one.
    pub days_since_inbound: Option<i64>,
    /// Contacts with negative sentiment in the last [`WINDOW_DAYS`].
    pub negative_recent: i64,
}

/// What the loyalty ledger says (`None` when the customer has no loyalty account).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoyaltyFacts {
    /// Days since the account's last ledger write.
    pub days_since_activity: i64,
    /// Points that expire in the next 30 days.
    pub points_expiring_soon: i64,
    /// Tiers lost over the last [`WINDOW_DAYS`]: the tier then less the tier now (0
    /// when it held or rose).
    pub tiers_lost: i64,
    /// Days until the current tier lapses, when only the retain policy keeps it.
    pub tier_held_for_days: Option<i64>,
}

/// What the account events say (`None` when core banking never sent one for the
/// customer).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventFacts {
    /// `product_closed` events in the last [`WINDOW_DAYS`].
    pub products_closed: i64,
    /// `salary_stopped` events in the last [`WINDOW_DAYS`].
    pub salary_stopped: i64,
}

/// Everything the score reads about one customer at one instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChurnFacts {
    /// The interaction log; `None`: no contact at all.
    pub contacts: Option<ContactFacts>,
    /// Complaint cases not closed.
    pub open_complaints: i64,
    /// Of those, past their deadline and not resolved.
    pub overdue_complaints: i64,
    /// The loyalty ledger; `None`: no account.
    pub loyalty: Option<LoyaltyFacts>,
    /// The account events; `None`: none ever.
    pub events: Option<EventFacts>,
}

/// One reason: the signal, its points, the value behind it, or that there is none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reason {
    /// The signal.
    pub signal: Signal,
    /// Points it adds (0 when it does not fire or has no data).
    pub points: i64,
    /// Whether there was data behind it.
    pub has_data: bool,
    /// The number the rule read (a count or days), `None` without data.
    pub value: Option<i64>,
    /// The value and the rule in words.
    pub detail: String,
}

/// The score, its band and every reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChurnScore {
    /// 0 to 100.
    pub score: i64,
    /// The band of the score.
    pub band: Band,
    /// The rules version.
    pub rules_version: i64,
    /// Every signal, in a fixed order.
    pub reasons: Vec<Reason>,
}

fn reason(signal: Signal, points: i64, value: i64, detail: String) -> Reason {
    Reason {
        signal,
        points,
        has_data: true,
        value: Some(value),
        detail,
    }
}

fn no_data(signal: Signal, detail: &str) -> Reason {
    Reason {
        signal,
        points: 0,
        has_data: false,
        value: None,
        detail: detail.to_owned(),
    }
}

fn contact_reasons(c: Option<ContactFacts>) -> [Reason; 3] {
    const NONE: &str = "no contact with the customer is recorded";
    let Some(c) = c else {
        return [
            no_data(Signal::FallingInboundActivity, NONE),
            no_data(Signal::ApproachingDormancy, NONE),
            no_data(Signal::NegativeSentiment, NONE),
        ];
    };
    let falling = c.inbound_prior >= 2 && c.inbound_recent * 2 <= c.inbound_prior;
    let activity = reason(
        Signal::FallingInboundActivity,
        if falling { 20 } else { 0 },
        c.inbound_recent,
        format!(
            "{} inbound contacts in the last {WINDOW_DAYS} days, {} in the {WINDOW_DAYS} before \
             (20 points when at least 2 before and halved or worse)",
            c.inbound_recent, c.inbound_prior
        ),
    );
    let dormancy = match c.days_since_inbound {
        None => no_data(
            Signal::ApproachingDormancy,
            "the customer never started a contact",
        ),
        Some(days) => reason(
            Signal::ApproachingDormancy,
            match days {
                d if d >= DORMANCY_DAYS => 20,
                d if d >= APPROACHING_DORMANCY_DAYS => 10,
                _ => 0,
            },
            days,
            format!(
                "{days} days since the last inbound contact (10 points from \
                 {APPROACHING_DORMANCY_DAYS}, 20 from {DORMANCY_DAYS}: dormant)"
            ),
        ),
    };
    let negative = reason(
        Signal::NegativeSentiment,
        match c.negative_recent {
            0 => 0,
            1 => 10,
            _ => 20,
        },
        c.negative_recent,
        format!(
            "{} contacts with negative sentiment in the last {WINDOW_DAYS} days \
             (10 points for one, 20 for more)",
            c.negative_recent
        ),
    );
    [activity, dormancy, negative]
}

fn event_reasons(e: Option<EventFacts>) -> [Reason; 2] {
    const NONE: &str = "core banking sent no account event for the customer";
    let Some(e) = e else {
        return [
            no_data(Signal::ProductsClosed, NONE),
            no_data(Signal::SalaryStopped, NONE),
        ];
    };
    [
        reason(
            Signal::ProductsClosed,
            match e.products_closed {
                0 => 0,
                1 => 15,
                _ => 25,
            },
            e.products_closed,
            format!(
                "{} products closed in the last {WINDOW_DAYS} days (15 points for one, 25 for \
                 more)",
                e.products_closed
            ),
        ),
        reason(
            Signal::SalaryStopped,
            if e.salary_stopped > 0 { 25 } else { 0 },
            e.salary_stopped,
            format!(
                "{} salary-stopped events in the last {WINDOW_DAYS} days (25 points)",
                e.salary_stopped
            ),
        ),
    ]
}

fn downgrade_reason(l: Option<LoyaltyFacts>) -> Reason {
    let Some(l) = l else {
        return no_data(
            Signal::LoyaltyDowngraded,
            "the customer has no loyalty account",
        );
    };
    let lapsing_soon = l
        .tier_held_for_days
        .is_some_and(|d| d <= TIER_LAPSE_NOTICE_DAYS);
    let held = match l.tier_held_for_days {
        Some(days) => format!("the current tier is kept by the retain policy for {days} more days"),
        None => "the current tier is earned, not only retained".to_owned(),
    };
    reason(
        Signal::LoyaltyDowngraded,
        if l.tiers_lost > 0 || lapsing_soon {
            10
        } else {
            0
        },
        l.tiers_lost,
        format!(
            "{} tiers lost in the last {WINDOW_DAYS} days; {held} (10 points for a tier lost, \
             or one lapsing within {TIER_LAPSE_NOTICE_DAYS} days)",
            l.tiers_lost
        ),
    )
}

/// Scores `facts`: the sum of every reason's points, at most 100.
pub fn score(facts: &ChurnFacts) -> ChurnScore {
    let mut reasons = Vec::with_capacity(Signal::ALL.len());
    reasons.extend(contact_reasons(facts.contacts));
    reasons.push(reason(
        Signal::OpenComplaints,
        if facts.open_complaints > 0 { 15 } else { 0 },
        facts.open_complaints,
        format!(
            "{} complaint cases not closed (15 points)",
            facts.open_complaints
        ),
    ));
    reasons.push(reason(
        Signal::OverdueComplaints,
        if facts.overdue_complaints > 0 { 10 } else { 0 },
        facts.overdue_complaints,
        format!(
            "{} complaint cases past their deadline (10 points)",
            facts.overdue_complaints
        ),
    ));
    reasons.push(match facts.loyalty {
        None => no_data(
            Signal::LoyaltyLapsing,
            "the customer has no loyalty account",
        ),
        Some(l) => {
            let lapsing =
                l.days_since_activity >= LOYALTY_LAPSING_DAYS || l.points_expiring_soon > 0;
            reason(
                Signal::LoyaltyLapsing,
                if lapsing { 10 } else { 0 },
                l.days_since_activity,
                format!(
                    "{} days since the last loyalty activity, {} points expiring within 30 days \
                     (10 points from {LOYALTY_LAPSING_DAYS} days or with points expiring)",
                    l.days_since_activity, l.points_expiring_soon
                ),
            )
        }
    });
    reasons.push(downgrade_reason(facts.loyalty));
    reasons.extend(event_reasons(facts.events));
    let total: i64 = reasons.iter().map(|r| r.points).sum();
    let score = total.clamp(0, 100);
    ChurnScore {
        score,
        band: Band::of(score),
        rules_version: CHURN_RULES_VERSION,
        reasons,
    }
}

/// The churn period of an instant: its calendar month (`2026-12`). A run creates at
/// most one pending retention task per customer and period.
pub fn period(at: crate::time::Timestamp) -> String {
    let d = at.date();
    format!("{:04}-{:02}", d.year(), d.month())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(facts: &ChurnFacts, signal: Signal) -> i64 {
        score(facts)
            .reasons
            .iter()
            .find(|r| r.signal == signal)
            .map(|r| r.points)
            .unwrap_or(-1)
    }

    fn calm() -> ChurnFacts {
        ChurnFacts {
            contacts: Some(ContactFacts {
                inbound_recent: 4,
                inbound_prior: 4,
                days_since_inbound: Some(3),
                negative_recent: 0,
            }),
            open_complaints: 0,
            overdue_complaints: 0,
            loyalty: Some(LoyaltyFacts {
                days_since_activity: 10,
                points_expiring_soon: 0,
                tiers_lost: 0,
                tier_held_for_days: None,
            }),
            events: Some(EventFacts::default()),
        }
    }

    #[test]
    fn a_calm_customer_scores_zero_with_every_signal_listed_with_its_value() {
        let s = score(&calm());
        assert_eq!((s.score, s.band), (0, Band::Low));
        assert_eq!(s.reasons.len(), Signal::ALL.len());
        assert!(s.reasons.iter().all(|r| r.has_data && r.value.is_some()));
    }

    #[test]
    fn a_customer_nothing_is_known_about_scores_zero_and_says_which_signals_lack_data() {
        let s = score(&ChurnFacts::default());
        assert_eq!(s.score, 0);
        let without: Vec<Signal> = s
            .reasons
            .iter()
            .filter(|r| !r.has_data)
            .map(|r| r.signal)
            .collect();
        assert_eq!(
            without,
            [
                Signal::FallingInboundActivity,
                Signal::ApproachingDormancy,
                Signal::NegativeSentiment,
                Signal::LoyaltyLapsing,
                Signal::LoyaltyDowngraded,
                Signal::ProductsClosed,
                Signal::SalaryStopped,
            ]
        );
        assert!(
            s.reasons
                .iter()
                .filter(|r| !r.has_data)
                .all(|r| r.value.is_none())
        );
    }

    #[test]
    fn inbound_activity_halved_from_at_least_two_gives_twenty() {
        let mut f = calm();
        let set = |f: &mut ChurnFacts, recent, prior| {
            if let Some(c) = f.contacts.as_mut() {
                c.inbound_recent = recent;
                c.inbound_prior = prior;
            }
        };
        set(&mut f, 2, 4);
        assert_eq!(points(&f, Signal::FallingInboundActivity), 20);
        set(&mut f, 3, 4);
        assert_eq!(points(&f, Signal::FallingInboundActivity), 0);
        set(&mut f, 0, 1);
        assert_eq!(points(&f, Signal::FallingInboundActivity), 0);
        set(&mut f, 0, 2);
        assert_eq!(points(&f, Signal::FallingInboundActivity), 20);
    }

    #[test]
    fn dormancy_approaches_at_120_days_and_arrives_at_180() {
        let mut f = calm();
        for (days, expected) in [(119, 0), (120, 10), (179, 10), (180, 20)] {
            if let Some(c) = f.contacts.as_mut() {
                c.days_since_inbound = Some(days);
            }
            assert_eq!(points(&f, Signal::ApproachingDormancy), expected, "{days}");
        }
        if let Some(c) = f.contacts.as_mut() {
            c.days_since_inbound = None;
        }
        let s = score(&f);
        let r = &s.reasons[1];
        assert_eq!(
            (r.signal, r.has_data, r.points),
            (Signal::ApproachingDormancy, false, 0)
        );
    }

    #[test]
    fn negative_sentiment_gives_ten_for_one_and_twenty_for_more() {
        let mut f = calm();
        for (n, expected) in [(0, 0), (1, 10), (2, 20), (9, 20)] {
            if let Some(c) = f.contacts.as_mut() {
                c.negative_recent = n;
            }
            assert_eq!(points(&f, Signal::NegativeSentiment), expected, "{n}");
        }
    }

    #[test]
    fn open_and_overdue_complaints_each_count_once() {
        let mut f = calm();
        f.open_complaints = 3;
        assert_eq!(points(&f, Signal::OpenComplaints), 15);
        assert_eq!(points(&f, Signal::OverdueComplaints), 0);
        f.overdue_complaints = 1;
        assert_eq!(score(&f).score, 25);
    }

    #[test]
    fn loyalty_lapses_after_180_idle_days_or_with_points_about_to_expire() {
        let mut f = calm();
        f.loyalty = Some(LoyaltyFacts {
            days_since_activity: 179,
            points_expiring_soon: 0,
            ..LoyaltyFacts::default()
        });
        assert_eq!(points(&f, Signal::LoyaltyLapsing), 0);
        f.loyalty = Some(LoyaltyFacts {
            days_since_activity: 180,
            points_expiring_soon: 0,
            ..LoyaltyFacts::default()
        });
        assert_eq!(points(&f, Signal::LoyaltyLapsing), 10);
        f.loyalty = Some(LoyaltyFacts {
            days_since_activity: 1,
            points_expiring_soon: 50,
            ..LoyaltyFacts::default()
        });
        assert_eq!(points(&f, Signal::LoyaltyLapsing), 10);
    }

    #[test]
    fn a_tier_lost_or_lapsing_within_30_days_gives_ten() {
        let mut f = calm();
        let set = |f: &mut ChurnFacts, lost, held| {
            if let Some(l) = f.loyalty.as_mut() {
                l.tiers_lost = lost;
                l.tier_held_for_days = held;
            }
        };
        assert_eq!(points(&f, Signal::LoyaltyDowngraded), 0);
        set(&mut f, 1, None);
        assert_eq!(points(&f, Signal::LoyaltyDowngraded), 10);
        set(&mut f, 2, None);
        assert_eq!(points(&f, Signal::LoyaltyDowngraded), 10);
        set(&mut f, 0, Some(31));
        assert_eq!(points(&f, Signal::LoyaltyDowngraded), 0);
        set(&mut f, 0, Some(30));
        assert_eq!(points(&f, Signal::LoyaltyDowngraded), 10);
        let r = score(&f);
        let downgraded = r
            .reasons
            .iter()
            .find(|r| r.signal == Signal::LoyaltyDowngraded)
            .expect("listed");
        assert_eq!(downgraded.value, Some(0));
        assert!(
            downgraded.detail.contains("for 30 more days"),
            "{downgraded:?}"
        );
        // Lapsing and downgraded are separate signals: one does not fire the other.
        assert_eq!(points(&f, Signal::LoyaltyLapsing), 0);
    }

    #[test]
    fn closed_products_and_a_stopped_salary_weigh_most() {
        let mut f = calm();
        f.events = Some(EventFacts {
            products_closed: 1,
            salary_stopped: 0,
        });
        assert_eq!(points(&f, Signal::ProductsClosed), 15);
        f.events = Some(EventFacts {
            products_closed: 2,
            salary_stopped: 1,
        });
        assert_eq!(points(&f, Signal::ProductsClosed), 25);
        assert_eq!(points(&f, Signal::SalaryStopped), 25);
        assert_eq!(score(&f).band, Band::Medium);
    }

    #[test]
    fn the_score_is_capped_at_100_and_the_bands_split_at_30_and_60() {
        let f = ChurnFacts {
            contacts: Some(ContactFacts {
                inbound_recent: 0,
                inbound_prior: 5,
                days_since_inbound: Some(400),
                negative_recent: 3,
            }),
            open_complaints: 1,
            overdue_complaints: 1,
            loyalty: Some(LoyaltyFacts {
                days_since_activity: 400,
                points_expiring_soon: 1,
                ..LoyaltyFacts::default()
            }),
            events: Some(EventFacts {
                products_closed: 2,
                salary_stopped: 1,
            }),
        };
        assert_eq!(score(&f).score, 100);
        assert_eq!(score(&f).band, Band::High);
        assert_eq!(
            [Band::of(29), Band::of(30), Band::of(59), Band::of(60)],
            [Band::Low, Band::Medium, Band::Medium, Band::High]
        );
    }

    #[test]
    fn a_period_is_a_calendar_month() {
        let at = crate::time::Timestamp::parse("2026-12-31T23:59:59Z").expect("time");
        assert_eq!(period(at), "2026-12");
    }
}
