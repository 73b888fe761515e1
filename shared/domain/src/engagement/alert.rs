//! Alerts: raised by a rule from an event, then acknowledged, dismissed with a reason,
//! or converted into a task. An alert still `open` past its deadline is overdue.

use super::task::{MAX_TITLE, Priority, check_assignee, check_due};
use super::text::{optional_text, text};
use crate::closed_enum;
use crate::invalid::Invalid;
use crate::time::Timestamp;
use serde::Deserialize;

/// Longest dismissal reason.
pub const MAX_REASON: usize = 500;

closed_enum!(
    /// Where an alert is.
    AlertStatus {
        Open = "open",
        Acknowledged = "acknowledged",
        Dismissed = "dismissed",
        Converted = "converted",
    }
);

impl AlertStatus {
    /// The statuses an alert in this one may move to.
    pub fn allowed_next(self) -> &'static [AlertStatus] {
        match self {
            AlertStatus::Open => &[
                AlertStatus::Acknowledged,
                AlertStatus::Dismissed,
                AlertStatus::Converted,
            ],
            AlertStatus::Acknowledged => &[AlertStatus::Dismissed, AlertStatus::Converted],
            AlertStatus::Dismissed | AlertStatus::Converted => &[],
        }
    }
}

/// The task a conversion creates, as the caller shapes it (everything optional).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConvertDraft {
    /// What to do; the alert's reason when absent.
    pub title: Option<String>,
    /// Who; the customer's relationship manager when absent.
    pub assignee: Option<String>,
    /// How urgent; the rule's priority when absent.
    pub priority: Option<Priority>,
    /// By when; the alert's deadline when absent.
    pub due_at: Option<String>,
}

/// `POST /v1/engagement/alerts/{id}/transitions` as sent.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AlertDraft {
    /// `acknowledged`, `dismissed` or `converted`.
    pub to: Option<AlertStatus>,
    /// Why it is dismissed (required then, refused otherwise).
    pub reason: Option<String>,
    /// The task to create (only when converting).
    pub task: Option<ConvertDraft>,
}

/// A valid alert move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertAction {
    /// Where to.
    pub to: AlertStatus,
    /// Why dismissed.
    pub reason: Option<String>,
    /// The task's title, when converting and given.
    pub title: Option<String>,
    /// The task's assignee, when converting and given.
    pub assignee: Option<String>,
    /// The task's priority, when converting and given.
    pub priority: Option<Priority>,
    /// The task's due time, when converting and given.
    pub due_at: Option<Timestamp>,
}

/// A move the alert's state does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IllegalAlertMove {
    /// The alert's status.
    pub from: AlertStatus,
    /// The status asked for.
    pub to: AlertStatus,
}

impl AlertDraft {
    /// The move, or every problem it has.
    pub fn validate(self, now: Timestamp) -> Result<AlertAction, Vec<Invalid>> {
        let mut errors = Vec::new();
        let Some(to) = self.to else {
            return Err(vec![Invalid::new("to", "is required")]);
        };
        if to == AlertStatus::Open {
            errors.push(Invalid::new(
                "to",
                "must be acknowledged, dismissed or converted",
            ));
        }
        let reason = match (to, self.reason.as_deref()) {
            (AlertStatus::Dismissed, None) => {
                errors.push(Invalid::new("reason", "is required to dismiss an alert"));
                None
            }
            (AlertStatus::Dismissed, Some(r)) => text(&mut errors, "reason", r, MAX_REASON, true),
            (_, Some(_)) => {
                errors.push(Invalid::new("reason", "is given only to dismiss an alert"));
                None
            }
            (_, None) => None,
        };
        let mut action = AlertAction {
            to,
            reason,
            title: None,
            assignee: None,
            priority: None,
            due_at: None,
        };
        match (to, self.task) {
            (AlertStatus::Converted, Some(t)) => {
                action.title = optional_text(
                    &mut errors,
                    "task.title",
                    t.title.as_deref(),
                    MAX_TITLE,
                    false,
                )
                .flatten();
                check_assignee(&mut errors, "task.assignee", t.assignee.as_deref());
                action.assignee = t.assignee;
                action.priority = t.priority;
                action.due_at = t
                    .due_at
                    .as_deref()
                    .and_then(|raw| check_due(&mut errors, "task.dueAt", raw, now));
            }
            (_, Some(_)) => errors.push(Invalid::new(
                "task",
                "is given only to convert an alert into a task",
            )),
            _ => {}
        }
        if errors.is_empty() {
            Ok(action)
        } else {
            Err(errors)
        }
    }
}

impl AlertAction {
    /// Checks the move against an alert in `from`.
    pub fn check(&self, from: AlertStatus) -> Result<(), IllegalAlertMove> {
        if from.allowed_next().contains(&self.to) {
            Ok(())
        } else {
            Err(IllegalAlertMove { from, to: self.to })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        Timestamp::parse("2026-12-01T10:00:00Z").expect("time")
    }

    fn draft(to: AlertStatus, reason: Option<&str>) -> AlertDraft {
        AlertDraft {
            to: Some(to),
            reason: reason.map(str::to_owned),
            task: None,
        }
    }

    #[test]
    fn an_open_alert_is_acknowledged_dismissed_or_converted_and_then_stays() {
        use AlertStatus::*;
        let ack = draft(Acknowledged, None).validate(now()).expect("ok");
        assert!(ack.check(Open).is_ok());
        assert!(ack.check(Acknowledged).is_err());
        let dismiss = draft(Dismissed, Some("customer already has a mortgage"))
            .validate(now())
            .expect("ok");
        assert!(dismiss.check(Acknowledged).is_ok());
        assert_eq!(
            dismiss.check(Converted),
            Err(IllegalAlertMove {
                from: Converted,
                to: Dismissed
            })
        );
        let convert = draft(Converted, None).validate(now()).expect("ok");
        assert!(convert.check(Open).is_ok());
        assert!(convert.check(Dismissed).is_err());
    }

    #[test]
    fn dismissing_needs_a_reason_and_nothing_else_takes_one() {
        let e = draft(AlertStatus::Dismissed, None).validate(now());
        assert_eq!(e.expect_err("needs reason")[0].field, "reason");
        let e = draft(AlertStatus::Acknowledged, Some("x")).validate(now());
        assert_eq!(e.expect_err("no reason")[0].field, "reason");
        let e = draft(AlertStatus::Open, None).validate(now());
        assert_eq!(e.expect_err("not open")[0].field, "to");
    }

    #[test]
    fn only_a_conversion_shapes_a_task() {
        let mut d = draft(AlertStatus::Acknowledged, None);
        d.task = Some(ConvertDraft::default());
        assert_eq!(d.validate(now()).expect_err("no task")[0].field, "task");
        let mut d = draft(AlertStatus::Converted, None);
        d.task = Some(ConvertDraft {
            title: Some("Offer a mortgage".into()),
            assignee: Some("rm-7".into()),
            priority: Some(Priority::Urgent),
            due_at: Some("2026-12-02T10:00:00Z".into()),
        });
        let action = d.validate(now()).expect("ok");
        assert_eq!(action.title.as_deref(), Some("Offer a mortgage"));
        assert_eq!(action.assignee.as_deref(), Some("rm-7"));
        assert_eq!(action.priority, Some(Priority::Urgent));
        assert!(action.due_at.is_some());
    }
}
