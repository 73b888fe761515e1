//! Complaint cases: the SLA table that sets a deadline, and the state machine a case
//! walks from `open` to `closed`.
//!
//! ```text
//! open → assigned → in_progress → resolved → closed
//!                        ↑           │
//!                        └─ reopened ←┘
//! ```

use super::Invalid;
use super::text::{Errors, optional_text, required_actor, required_enum, required_text};
use crate::closed_enum;
use crate::time::Timestamp;
use serde::Deserialize;

closed_enum!(
    /// How serious a complaint is; sets its deadline ([`sla_hours`]).
    Severity { Low = "low", Medium = "medium", High = "high", Critical = "critical" }
);

closed_enum!(
    /// What a complaint is about, for routing and reporting.
    ComplaintCategory {
        FeesAndCharges = "fees_and_charges",
        ServiceQuality = "service_quality",
        ProductTerms = "product_terms",
        CardsAndPayments = "cards_and_payments",
        LoansAndCredit = "loans_and_credit",
        FraudAndSecurity = "fraud_and_security",
        DataPrivacy = "data_privacy",
        StaffConduct = "staff_conduct",
        DigitalChannels = "digital_channels",
        Other = "other",
    }
);

closed_enum!(
    /// Where a complaint case stands.
    ComplaintStatus {
        Open = "open",
        Assigned = "assigned",
        InProgress = "in_progress",
        Resolved = "resolved",
        Closed = "closed",
        Reopened = "reopened",
    }
);

/// Hours a regulatory complaint may take at most, whatever its severity.
pub const REGULATORY_MAX_HOURS: i64 = 48;
/// Longest transition note, in characters.
pub const MAX_NOTE: usize = 2_000;
/// Longest resolution text, in characters.
pub const MAX_RESOLUTION: usize = 4_000;
/// The most history entries a case may have (opening included): a case bouncing
/// between resolved and reopened this often needs a new case, not another entry.
pub const MAX_HISTORY: i64 = 100;

const HOUR_MILLIS: i64 = 3_600_000;

/// Calendar hours from receipt to the resolution deadline: critical 24, high 48,
/// medium 120 (5 days), low 240 (10 days). A regulatory complaint is capped at
/// [`REGULATORY_MAX_HOURS`], so the flag shortens a deadline and never lengthens one.
pub fn sla_hours(severity: Severity, regulatory: bool) -> i64 {
    let hours = match severity {
        Severity::Critical => 24,
        Severity::High => 48,
        Severity::Medium => 5 * 24,
        Severity::Low => 10 * 24,
    };
    if regulatory {
        hours.min(REGULATORY_MAX_HOURS)
    } else {
        hours
    }
}

/// The resolution deadline of a complaint received at `received_at`.
pub fn due_at(received_at: Timestamp, severity: Severity, regulatory: bool) -> Timestamp {
    received_at.plus_millis(sla_hours(severity, regulatory) * HOUR_MILLIS)
}

/// Whether a case in `status` is past its deadline at `now`: only while the clock
/// runs (not yet resolved, or reopened); a deadline instant itself is still on time.
pub fn is_overdue(status: ComplaintStatus, due_at: Timestamp, now: Timestamp) -> bool {
    status.clock_runs() && now > due_at
}

impl ComplaintStatus {
    /// The states a case in this state may move to.
    pub fn allowed_next(self) -> &'static [ComplaintStatus] {
        use ComplaintStatus::*;
        match self {
            Open => &[Assigned],
            Assigned => &[InProgress],
            InProgress => &[Resolved],
            Resolved => &[Closed, Reopened],
            Reopened => &[InProgress],
            Closed => &[],
        }
    }

    /// Whether a case in this state may move to `to`.
    pub fn can_become(self, to: ComplaintStatus) -> bool {
        self.allowed_next().contains(&to)
    }

    /// Whether the SLA clock runs: the complaint awaits a resolution.
    pub fn clock_runs(self) -> bool {
        matches!(
            self,
            ComplaintStatus::Open
                | ComplaintStatus::Assigned
                | ComplaintStatus::InProgress
                | ComplaintStatus::Reopened
        )
    }
}

/// The body of `POST /v1/interactions/complaints/{id}/transitions`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TransitionDraft {
    /// The [`ComplaintStatus`] to move to.
    pub to: Option<String>,
    /// Who takes the case: required to `assigned`, optional (a hand-over) to `in_progress`.
    pub assignee: Option<String>,
    /// Why, for the case history.
    pub note: Option<String>,
    /// What was done for the customer: required to `resolved`, refused otherwise.
    pub resolution: Option<String>,
}

/// A validated transition request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The state to move to.
    pub to: ComplaintStatus,
    /// The new assignee, if the move names one.
    pub assignee: Option<String>,
    /// Why.
    pub note: String,
    /// The resolution, for a move to `resolved`.
    pub resolution: Option<String>,
    /// Who: the caller's token subject, never a body field.
    pub actor: String,
}

impl TransitionDraft {
    /// Validates the fields and the members each target state requires or refuses, for a
    /// move made by `actor` (the authenticated caller). Whether the move is allowed from
    /// the case's current state is [`CaseState::apply`]'s question.
    pub fn validate(self, actor: &str) -> Result<Transition, Vec<Invalid>> {
        let mut e = Errors::default();
        let to = required_enum(
            &mut e,
            "to",
            self.to,
            ComplaintStatus::parse,
            ComplaintStatus::expected,
        );
        let assignee = match (to, self.assignee) {
            (Some(ComplaintStatus::Assigned), None) => {
                e.add("assignee", "is required when to is assigned");
                None
            }
            (Some(ComplaintStatus::Assigned | ComplaintStatus::InProgress), Some(a)) => {
                required_actor(&mut e, "assignee", Some(a)).map(Some)
            }
            (Some(_), Some(_)) => {
                e.add(
                    "assignee",
                    "is only allowed when to is assigned or in_progress",
                );
                None
            }
            (_, None) => Some(None),
            (None, Some(_)) => None,
        };
        let resolution = match (to, self.resolution) {
            (Some(ComplaintStatus::Resolved), r) => {
                required_text(&mut e, "resolution", r, MAX_RESOLUTION, true).map(Some)
            }
            (Some(_), Some(_)) => {
                e.add("resolution", "is only allowed when to is resolved");
                None
            }
            (_, r) => optional_text(&mut e, "resolution", r, MAX_RESOLUTION, true),
        };
        let note = required_text(&mut e, "note", self.note, MAX_NOTE, true);
        e.into_result(|| {
            Some(Transition {
                to: to?,
                assignee: assignee?,
                note: note?,
                resolution: resolution?,
                actor: actor.to_owned(),
            })
        })
    }
}

/// A move the state machine does not allow; names the moves it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IllegalTransition {
    /// The case's current state.
    pub from: ComplaintStatus,
    /// The state asked for.
    pub to: ComplaintStatus,
    /// What `from` may become.
    pub allowed: &'static [ComplaintStatus],
}

/// The mutable part of a case, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseState {
    /// Where the case stands.
    pub status: ComplaintStatus,
    /// Who owns it; `None` until assigned.
    pub assignee: Option<String>,
    /// The current resolution; cleared when the case is reopened.
    pub resolution: Option<String>,
    /// When it was (last) resolved; cleared when reopened.
    pub resolved_at: Option<Timestamp>,
    /// When it was closed.
    pub closed_at: Option<Timestamp>,
}

impl CaseState {
    /// A case just opened.
    pub fn opened() -> CaseState {
        CaseState {
            status: ComplaintStatus::Open,
            assignee: None,
            resolution: None,
            resolved_at: None,
            closed_at: None,
        }
    }

    /// The state after `t` at `now`, or why `t` is not allowed from here.
    pub fn apply(&self, t: &Transition, now: Timestamp) -> Result<CaseState, IllegalTransition> {
        if !self.status.can_become(t.to) {
            return Err(IllegalTransition {
                from: self.status,
                to: t.to,
                allowed: self.status.allowed_next(),
            });
        }
        let mut next = self.clone();
        next.status = t.to;
        if let Some(assignee) = &t.assignee {
            next.assignee = Some(assignee.clone());
        }
        match t.to {
            ComplaintStatus::Resolved => {
                next.resolution = t.resolution.clone();
                next.resolved_at = Some(now);
            }
            ComplaintStatus::Reopened => {
                next.resolution = None;
                next.resolved_at = None;
            }
            ComplaintStatus::Closed => next.closed_at = Some(now),
            _ => {}
        }
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ComplaintStatus::*;

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_unix_millis(ms)
    }

    fn transition(to: ComplaintStatus) -> Transition {
        Transition {
            to,
            assignee: (to == Assigned).then(|| "agent-1".to_owned()),
            note: "why".into(),
            resolution: (to == Resolved).then(|| "refunded the fee".to_owned()),
            actor: "supervisor-1".into(),
        }
    }

    fn state(status: ComplaintStatus) -> CaseState {
        CaseState {
            status,
            ..CaseState::opened()
        }
    }

    const LEGAL: &[(ComplaintStatus, ComplaintStatus)] = &[
        (Open, Assigned),
        (Assigned, InProgress),
        (InProgress, Resolved),
        (Resolved, Closed),
        (Resolved, Reopened),
        (Reopened, InProgress),
    ];

    #[test]
    fn every_legal_transition_is_allowed() {
        for &(from, to) in LEGAL {
            let next = state(from).apply(&transition(to), at(5));
            assert_eq!(next.map(|s| s.status), Ok(to), "{from} → {to}");
        }
    }

    #[test]
    fn every_other_transition_is_refused_naming_the_allowed_ones() {
        let mut refused = 0;
        for &from in ComplaintStatus::ALL {
            for &to in ComplaintStatus::ALL {
                if LEGAL.contains(&(from, to)) {
                    continue;
                }
                let err = state(from)
                    .apply(&transition(to), at(5))
                    .expect_err("illegal");
                assert_eq!((err.from, err.to), (from, to));
                assert_eq!(err.allowed, from.allowed_next());
                assert!(!err.allowed.contains(&to));
                refused += 1;
            }
        }
        assert_eq!(refused, 36 - LEGAL.len());
    }

    #[test]
    fn closed_is_terminal() {
        assert!(Closed.allowed_next().is_empty());
    }

    #[test]
    fn resolving_records_the_resolution_and_reopening_clears_it() {
        let resolved = state(InProgress)
            .apply(&transition(Resolved), at(10))
            .expect("legal");
        assert_eq!(resolved.resolution.as_deref(), Some("refunded the fee"));
        assert_eq!(resolved.resolved_at, Some(at(10)));
        let reopened = resolved
            .apply(&transition(Reopened), at(20))
            .expect("legal");
        assert_eq!((reopened.resolution, reopened.resolved_at), (None, None));
        let closed = resolved.apply(&transition(Closed), at(30)).expect("legal");
        assert_eq!(closed.closed_at, Some(at(30)));
        assert_eq!(closed.resolution.as_deref(), Some("refunded the fee"));
    }

    #[test]
    fn assigning_sets_the_owner_and_a_hand_over_changes_it() {
        let assigned = CaseState::opened()
            .apply(&transition(Assigned), at(1))
            .expect("legal");
        assert_eq!(assigned.assignee.as_deref(), Some("agent-1"));
        let mut start = transition(InProgress);
        let kept = assigned.apply(&start, at(2)).expect("legal");
        assert_eq!(kept.assignee.as_deref(), Some("agent-1"));
        start.assignee = Some("agent-2".into());
        let handed = assigned.apply(&start, at(2)).expect("legal");
        assert_eq!(handed.assignee.as_deref(), Some("agent-2"));
    }

    #[test]
    fn the_sla_table_sets_deadlines_by_severity() {
        let opened = at(1_000);
        let hours = |h: i64| 1_000 + h * HOUR_MILLIS;
        assert_eq!(due_at(opened, Severity::Critical, false), at(hours(24)));
        assert_eq!(due_at(opened, Severity::High, false), at(hours(48)));
        assert_eq!(due_at(opened, Severity::Medium, false), at(hours(120)));
        assert_eq!(due_at(opened, Severity::Low, false), at(hours(240)));
    }

    #[test]
    fn the_regulatory_flag_caps_the_deadline_and_never_extends_it() {
        assert_eq!(sla_hours(Severity::Low, true), REGULATORY_MAX_HOURS);
        assert_eq!(sla_hours(Severity::Medium, true), REGULATORY_MAX_HOURS);
        assert_eq!(sla_hours(Severity::High, true), 48);
        assert_eq!(sla_hours(Severity::Critical, true), 24);
        for &s in Severity::ALL {
            assert!(sla_hours(s, true) <= sla_hours(s, false), "{s}");
        }
    }

    #[test]
    fn a_case_is_overdue_only_after_its_deadline_and_while_the_clock_runs() {
        let due = at(100);
        assert!(!is_overdue(Open, due, at(100)));
        assert!(is_overdue(Open, due, at(101)));
        assert!(is_overdue(Reopened, due, at(101)));
        assert!(is_overdue(InProgress, due, at(101)));
        assert!(!is_overdue(Resolved, due, at(101)));
        assert!(!is_overdue(Closed, due, at(101)));
    }

    #[test]
    fn a_transition_request_is_checked_against_its_target() {
        let fields = |d: TransitionDraft| -> Vec<String> {
            d.validate("sup-1")
                .expect_err("invalid")
                .into_iter()
                .map(|e| e.field)
                .collect()
        };
        let base = TransitionDraft {
            note: Some("n".into()),
            ..TransitionDraft::default()
        };
        let to = |s: &str| Some(s.to_owned());
        assert_eq!(
            fields(TransitionDraft {
                to: to("assigned"),
                ..base.clone()
            }),
            ["assignee"]
        );
        assert_eq!(
            fields(TransitionDraft {
                to: to("resolved"),
                ..base.clone()
            }),
            ["resolution"]
        );
        assert_eq!(
            fields(TransitionDraft {
                to: to("closed"),
                assignee: to("a"),
                resolution: to("r"),
                ..base.clone()
            }),
            ["assignee", "resolution"]
        );
        assert_eq!(
            fields(TransitionDraft {
                to: to("done"),
                note: None,
                ..base.clone()
            }),
            ["to", "note"]
        );
        let ok = TransitionDraft {
            to: to("in_progress"),
            assignee: to("agent-2"),
            ..base
        }
        .validate("sup-1")
        .expect("valid");
        assert_eq!(ok.assignee.as_deref(), Some("agent-2"));
        assert_eq!(ok.actor, "sup-1", "who moved it is the caller");
    }
}
