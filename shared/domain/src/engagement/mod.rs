//! Engagement: account events from core banking, the versioned alert rules that turn
//! them into alerts for a relationship manager, and the task queue those alerts (and
//! people) feed (`docs/engagement.md`).
//!
//! Plain rules over plain values: the engagement component parses requests into
//! drafts, validates them here (every problem reported with its field, all at once),
//! and stores what these rules decide.

mod alert;
pub mod churn;
mod event;
mod rules;
mod task;
mod text;

pub use alert::{AlertAction, AlertDraft, AlertStatus, ConvertDraft, IllegalAlertMove, MAX_REASON};
pub use event::{
    EventDraft, EventKind, MAX_BATCH, MAX_DESCRIPTION, MAX_EVENT_ID, NewEvent, valid_event_id,
};
pub use rules::{AlertRule, AlertRules, MAX_RULES, Match, SuggestedAction};
pub use task::{
    ContactDraft, IllegalTaskMove, LinkKind, MAX_NOTE, MAX_TITLE, NewContact, NewTask, Priority,
    TaskDraft, TaskLink, TaskMove, TaskMoveDraft, TaskStatus, TaskType,
};
pub use text::is_overdue;

use crate::closed_enum;

crate::prefixed_id!(
    /// An alert raised by an alert rule (`alr_…`).
    AlertId,
    "alr"
);
crate::prefixed_id!(
    /// A task in a relationship manager's queue (`tsk_…`).
    TaskId,
    "tsk"
);

closed_enum!(
    /// What a batch answers for one event.
    EventOutcome { Accepted = "accepted", Duplicate = "duplicate", Refused = "refused" }
);
