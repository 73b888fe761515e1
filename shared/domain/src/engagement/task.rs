//! Tasks: the relationship manager's queue. A task has a type, a customer, an optional
//! link to what caused it, an assignee, a priority and a due time, and moves
//! `open → in_progress → done`, or to `cancelled` from either. Completing a contact
//! (or retention) task records the outbound contact it was.

use super::text::{instant, optional_text, text};
use crate::closed_enum;
use crate::id::{ComplaintId, CustomerId, LoanApplicationId};
use crate::interaction::{
    Channel, InteractionType, MAX_NOTES, MAX_OUTCOME, MAX_SUBJECT, Sentiment, valid_actor,
};
use crate::invalid::Invalid;
use crate::time::Timestamp;
use serde::Deserialize;

/// Longest task title.
pub const MAX_TITLE: usize = 200;
/// Longest note on a move.
pub const MAX_NOTE: usize = 500;
/// Latest due time: two years ahead.
const MAX_DUE_AHEAD_MILLIS: i64 = 2 * 366 * 86_400_000;
/// Earliest due time (2000-01-01).
const EARLIEST_DUE: i64 = 946_684_800_000;

closed_enum!(
    /// What kind of work a task is.
    TaskType {
        /// Reach the customer (call, visit, message): completing it records the contact.
        Contact = "contact",
        /// Keep a customer who may leave: a contact too.
        Retention = "retention",
        /// Something to follow up internally.
        FollowUp = "follow_up",
        /// A review of the customer's situation.
        Review = "review",
    }
);

impl TaskType {
    /// Whether completing it records an outbound interaction.
    pub fn is_contact(self) -> bool {
        matches!(self, TaskType::Contact | TaskType::Retention)
    }
}

closed_enum!(
    /// How urgent.
    Priority { Low = "low", Normal = "normal", High = "high", Urgent = "urgent" }
);

closed_enum!(
    /// Where a task is in its life.
    TaskStatus {
        Open = "open",
        InProgress = "in_progress",
        Done = "done",
        Cancelled = "cancelled",
    }
);

impl TaskStatus {
    /// The statuses a task in this one may move to.
    pub fn allowed_next(self) -> &'static [TaskStatus] {
        match self {
            TaskStatus::Open => &[TaskStatus::InProgress, TaskStatus::Cancelled],
            TaskStatus::InProgress => &[TaskStatus::Done, TaskStatus::Cancelled],
            TaskStatus::Done | TaskStatus::Cancelled => &[],
        }
    }

    /// Whether work is still to be done (open or in progress).
    pub fn is_pending(self) -> bool {
        matches!(self, TaskStatus::Open | TaskStatus::InProgress)
    }
}

closed_enum!(
    /// What a task may be linked to.
    LinkKind {
        Alert = "alert",
        Complaint = "complaint",
        LoanApplication = "loan_application",
        Campaign = "campaign",
    }
);

/// A link to what caused the task.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TaskLink {
    /// What it links to.
    pub kind: LinkKind,
    /// Its id (`alr_…`, `cmp_…`, `lpa_…`, or a campaign code).
    pub id: String,
}

impl TaskLink {
    fn check(&self, errors: &mut Vec<Invalid>) {
        let ok = match self.kind {
            LinkKind::Alert => super::AlertId::parse(&self.id).is_ok(),
            LinkKind::Complaint => ComplaintId::parse(&self.id).is_ok(),
            LinkKind::LoanApplication => LoanApplicationId::parse(&self.id).is_ok(),
            LinkKind::Campaign => super::event::valid_event_id(&self.id),
        };
        if !ok {
            errors.push(Invalid::new(
                "link.id",
                format!("is not the id of a {}", self.kind),
            ));
        }
    }
}

/// `POST /v1/engagement/tasks` as sent.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TaskDraft {
    /// The customer.
    pub customer_id: Option<String>,
    /// A [`TaskType`] spelling.
    #[serde(rename = "type")]
    pub kind: Option<TaskType>,
    /// What to do.
    pub title: Option<String>,
    /// Who; the customer's relationship manager when absent.
    pub assignee: Option<String>,
    /// How urgent; `normal` when absent.
    pub priority: Option<Priority>,
    /// By when.
    pub due_at: Option<String>,
    /// What caused it.
    pub link: Option<TaskLink>,
}

/// A valid new task (the assignee may still have to come from the customer's manager).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask {
    /// The customer.
    pub customer_id: CustomerId,
    /// The kind of work.
    pub kind: TaskType,
    /// What to do.
    pub title: String,
    /// Who, when the request named someone.
    pub assignee: Option<String>,
    /// How urgent.
    pub priority: Priority,
    /// By when.
    pub due_at: Timestamp,
    /// What caused it.
    pub link: Option<TaskLink>,
}

/// Checks an assignee id: a staff id as the tokens carry it.
pub(crate) fn check_assignee(errors: &mut Vec<Invalid>, field: &str, value: Option<&str>) {
    if let Some(a) = value
        && !valid_actor(a)
    {
        errors.push(Invalid::new(
            field,
            "must be 1 to 64 characters of A-Z a-z 0-9 . _ - : @",
        ));
    }
}

/// Checks a due time: after 2000 and at most two years ahead of `now`.
pub(crate) fn check_due(
    errors: &mut Vec<Invalid>,
    field: &str,
    raw: &str,
    now: Timestamp,
) -> Option<Timestamp> {
    let at = instant(errors, field, raw)?;
    if at.unix_millis() < EARLIEST_DUE || at > now.plus_millis(MAX_DUE_AHEAD_MILLIS) {
        errors.push(Invalid::new(
            field,
            "must be after 2000 and at most two years ahead",
        ));
        return None;
    }
    Some(at)
}

impl TaskDraft {
    /// The task, or every problem it has.
    pub fn validate(self, now: Timestamp) -> Result<NewTask, Vec<Invalid>> {
        let mut errors = Vec::new();
        let customer_id = match self.customer_id.as_deref() {
            None => {
                errors.push(Invalid::new("customerId", "is required"));
                None
            }
            Some(c) => CustomerId::parse(c)
                .map_err(|e| errors.push(Invalid::new("customerId", e.to_string())))
                .ok(),
        };
        if self.kind.is_none() {
            errors.push(Invalid::new("type", "is required"));
        }
        let title = match self.title.as_deref() {
            None => {
                errors.push(Invalid::new("title", "is required"));
                None
            }
            Some(t) => text(&mut errors, "title", t, MAX_TITLE, false),
        };
        check_assignee(&mut errors, "assignee", self.assignee.as_deref());
        let due_at = match self.due_at.as_deref() {
            None => {
                errors.push(Invalid::new("dueAt", "is required"));
                None
            }
            Some(raw) => check_due(&mut errors, "dueAt", raw, now),
        };
        if let Some(link) = &self.link {
            link.check(&mut errors);
        }
        match (customer_id, self.kind, title, due_at) {
            (Some(customer_id), Some(kind), Some(title), Some(due_at)) if errors.is_empty() => {
                Ok(NewTask {
                    customer_id,
                    kind,
                    title,
                    assignee: self.assignee,
                    priority: self.priority.unwrap_or(Priority::Normal),
                    due_at,
                    link: self.link,
                })
            }
            _ if errors.is_empty() => Err(vec![Invalid::new("body", "is invalid")]),
            _ => Err(errors),
        }
    }
}

/// The contact a completed contact task records.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ContactDraft {
    /// Where it happened.
    pub channel: Option<Channel>,
    /// What kind of contact; `sales` when absent, never `complaint`.
    #[serde(rename = "type")]
    pub kind: Option<InteractionType>,
    /// What it was about.
    pub subject: Option<String>,
    /// What came of it.
    pub outcome: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// How the customer came across.
    pub sentiment: Option<Sentiment>,
    /// When; the request's time when absent.
    pub occurred_at: Option<String>,
}

/// A valid contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContact {
    /// Where.
    pub channel: Channel,
    /// What kind of contact.
    pub kind: InteractionType,
    /// About what.
    pub subject: String,
    /// What came of it.
    pub outcome: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// How the customer came across.
    pub sentiment: Option<Sentiment>,
    /// When.
    pub occurred_at: Timestamp,
}

/// `POST /v1/engagement/tasks/{id}/transitions` as sent.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TaskMoveDraft {
    /// The status to move to.
    pub to: Option<TaskStatus>,
    /// Why (kept with the task).
    pub note: Option<String>,
    /// The contact, when completing a contact or retention task.
    pub contact: Option<ContactDraft>,
}

/// A valid move (not yet checked against the task).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskMove {
    /// The status to move to.
    pub to: TaskStatus,
    /// Why.
    pub note: Option<String>,
    /// The contact to record.
    pub contact: Option<NewContact>,
}

/// A move the state machine or the task's type does not allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IllegalTaskMove {
    /// `from` cannot become `to`.
    Transition {
        /// The task's status.
        from: TaskStatus,
        /// The status asked for.
        to: TaskStatus,
    },
    /// A contact task is done only with the contact it was.
    ContactRequired,
    /// A contact was given where none is recorded.
    ContactNotExpected,
}

impl TaskMoveDraft {
    /// The move, or every problem it has on its own.
    pub fn validate(self, now: Timestamp) -> Result<TaskMove, Vec<Invalid>> {
        let mut errors = Vec::new();
        if self.to.is_none() {
            errors.push(Invalid::new("to", "is required"));
        }
        let note = optional_text(&mut errors, "note", self.note.as_deref(), MAX_NOTE, true);
        let contact = self.contact.map(|c| {
            let channel = c.channel.or_else(|| {
                errors.push(Invalid::new("contact.channel", "is required"));
                None
            });
            if c.kind == Some(InteractionType::Complaint) {
                errors.push(Invalid::new(
                    "contact.type",
                    "a complaint is logged in the interactions service, not by a task",
                ));
            }
            let subject = match c.subject.as_deref() {
                None => {
                    errors.push(Invalid::new("contact.subject", "is required"));
                    None
                }
                Some(s) => text(&mut errors, "contact.subject", s, MAX_SUBJECT, false),
            };
            let outcome = optional_text(
                &mut errors,
                "contact.outcome",
                c.outcome.as_deref(),
                MAX_OUTCOME,
                true,
            );
            let notes = optional_text(
                &mut errors,
                "contact.notes",
                c.notes.as_deref(),
                MAX_NOTES,
                true,
            );
            let occurred_at = match c.occurred_at.as_deref() {
                None => Some(now),
                Some(raw) => instant(&mut errors, "contact.occurredAt", raw).and_then(|at| {
                    if at > now.plus_millis(5 * 60 * 1000) || at.unix_millis() < EARLIEST_DUE {
                        errors.push(Invalid::new(
                            "contact.occurredAt",
                            "must not be in the future or before 2000",
                        ));
                        None
                    } else {
                        Some(at)
                    }
                }),
            };
            match (channel, subject, outcome, notes, occurred_at) {
                (Some(channel), Some(subject), Some(outcome), Some(notes), Some(occurred_at)) => {
                    Some(NewContact {
                        channel,
                        kind: c.kind.unwrap_or(InteractionType::Sales),
                        subject,
                        outcome,
                        notes,
                        sentiment: c.sentiment,
                        occurred_at,
                    })
                }
                _ => None,
            }
        });
        match (self.to, note) {
            (Some(to), Some(note)) if errors.is_empty() => Ok(TaskMove {
                to,
                note,
                contact: contact.flatten(),
            }),
            _ if errors.is_empty() => Err(vec![Invalid::new("body", "is invalid")]),
            _ => Err(errors),
        }
    }
}

impl TaskMove {
    /// Checks the move against a task of `kind` in `from`.
    pub fn check(&self, kind: TaskType, from: TaskStatus) -> Result<(), IllegalTaskMove> {
        if !from.allowed_next().contains(&self.to) {
            return Err(IllegalTaskMove::Transition { from, to: self.to });
        }
        let completes_contact = self.to == TaskStatus::Done && kind.is_contact();
        match (completes_contact, self.contact.is_some()) {
            (true, false) => Err(IllegalTaskMove::ContactRequired),
            (false, true) => Err(IllegalTaskMove::ContactNotExpected),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        Timestamp::parse("2026-12-01T10:00:00Z").expect("time")
    }

    fn fields(errors: Vec<Invalid>) -> Vec<String> {
        errors.into_iter().map(|e| e.field).collect()
    }

    fn contact() -> ContactDraft {
        ContactDraft {
            channel: Some(Channel::Phone),
            subject: Some("Mortgage offer".into()),
            ..ContactDraft::default()
        }
    }

    fn mv(to: TaskStatus, contact: Option<ContactDraft>) -> TaskMove {
        TaskMoveDraft {
            to: Some(to),
            note: None,
            contact,
        }
        .validate(now())
        .expect("valid")
    }

    #[test]
    fn a_task_moves_open_to_in_progress_to_done_and_never_back() {
        use TaskStatus::*;
        assert!(mv(InProgress, None).check(TaskType::Review, Open).is_ok());
        assert!(mv(Done, None).check(TaskType::Review, InProgress).is_ok());
        assert!(mv(Cancelled, None).check(TaskType::Review, Open).is_ok());
        assert!(
            mv(Cancelled, None)
                .check(TaskType::Review, InProgress)
                .is_ok()
        );
        for (from, to) in [
            (Open, Done),
            (Done, Open),
            (Cancelled, InProgress),
            (InProgress, Open),
        ] {
            assert_eq!(
                mv(to, None).check(TaskType::Review, from),
                Err(IllegalTaskMove::Transition { from, to })
            );
        }
    }

    #[test]
    fn a_contact_task_is_done_only_with_its_contact_and_only_then_takes_one() {
        use TaskStatus::*;
        for kind in [TaskType::Contact, TaskType::Retention] {
            assert_eq!(
                mv(Done, None).check(kind, InProgress),
                Err(IllegalTaskMove::ContactRequired)
            );
            assert!(mv(Done, Some(contact())).check(kind, InProgress).is_ok());
            assert_eq!(
                mv(Cancelled, Some(contact())).check(kind, InProgress),
                Err(IllegalTaskMove::ContactNotExpected)
            );
        }
        assert_eq!(
            mv(Done, Some(contact())).check(TaskType::FollowUp, InProgress),
            Err(IllegalTaskMove::ContactNotExpected)
        );
    }

    #[test]
    fn a_contact_without_its_channel_and_subject_is_refused_by_field() {
        let draft = TaskMoveDraft {
            to: Some(TaskStatus::Done),
            note: Some("x".repeat(MAX_NOTE + 1)),
            contact: Some(ContactDraft {
                kind: Some(InteractionType::Complaint),
                occurred_at: Some("2030-01-01T00:00:00Z".into()),
                ..ContactDraft::default()
            }),
        };
        assert_eq!(
            fields(draft.validate(now()).expect_err("refused")),
            [
                "note",
                "contact.channel",
                "contact.type",
                "contact.subject",
                "contact.occurredAt"
            ]
        );
    }

    #[test]
    fn a_new_task_needs_customer_type_title_and_due_time_and_defaults_to_normal() {
        assert_eq!(
            fields(TaskDraft::default().validate(now()).expect_err("empty")),
            ["customerId", "type", "title", "dueAt"]
        );
        let task = TaskDraft {
            customer_id: Some("cus_01KAT0000000000000000000AB".into()),
            kind: Some(TaskType::Contact),
            title: Some(" Call about the mortgage ".into()),
            due_at: Some("2026-12-03T10:00:00Z".into()),
            ..TaskDraft::default()
        }
        .validate(now())
        .expect("valid");
        assert_eq!(task.priority, Priority::Normal);
        assert_eq!(task.title, "Call about the mortgage");
        assert_eq!(task.assignee, None);
    }

    #[test]
    fn a_link_must_name_an_id_of_its_kind_and_a_due_time_must_be_near() {
        let draft = TaskDraft {
            customer_id: Some("cus_01KAT0000000000000000000AB".into()),
            kind: Some(TaskType::FollowUp),
            title: Some("t".into()),
            assignee: Some("has space".into()),
            due_at: Some("2029-01-01T00:00:00Z".into()),
            link: Some(TaskLink {
                kind: LinkKind::Complaint,
                id: "lpa_01KAT0000000000000000000AB".into(),
            }),
            ..TaskDraft::default()
        };
        assert_eq!(
            fields(draft.validate(now()).expect_err("refused")),
            ["assignee", "dueAt", "link.id"]
        );
    }
}
