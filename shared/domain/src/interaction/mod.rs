//! Interaction logging: every contact with a customer as an append-only history,
//! complaints as cases with a deadline and a state machine, and satisfaction answers
//! (NPS, CSAT).
//!
//! Plain rules over plain values: the interactions component parses requests into
//! drafts, validates them here (every failure reported with its field, all at once),
//! and stores what these rules decide.

mod complaint;
mod contact;
mod survey;
mod text;

pub use complaint::{
    CaseState, ComplaintCategory, ComplaintStatus, IllegalTransition, MAX_HISTORY, MAX_NOTE,
    MAX_RESOLUTION, REGULATORY_MAX_HOURS, Severity, Transition, TransitionDraft, due_at,
    is_overdue, sla_hours,
};
pub use contact::{
    ComplaintDraft, ComplaintTerms, EARLIEST_OCCURRED_AT, FUTURE_SKEW_MILLIS, InteractionDraft,
    MAX_NOTES, MAX_OUTCOME, MAX_SUBJECT, NewInteraction, case_rule,
};
pub use survey::{
    CsatTally, MAX_COMMENT, NewSurvey, NpsBand, NpsTally, SurveyDraft, SurveyKind, round_div,
};
pub use text::{MAX_ACTOR, valid_actor};

pub use crate::id::{ComplaintId, InteractionId};

use crate::closed_enum;

crate::prefixed_id!(
    /// A satisfaction survey answer (`svy_…`).
    SurveyId,
    "svy"
);

closed_enum!(
    /// Where the contact happened.
    Channel {
        Branch = "branch",
        Phone = "phone",
        Email = "email",
        Chat = "chat",
        MobileApp = "mobile_app",
        Web = "web",
        Social = "social",
        RmVisit = "rm_visit",
    }
);

closed_enum!(
    /// Who started the contact: the customer (`inbound`) or the bank (`outbound`).
    Direction { Inbound = "inbound", Outbound = "outbound" }
);

closed_enum!(
    /// What the contact was about.
    InteractionType {
        Inquiry = "inquiry",
        ServiceRequest = "service_request",
        Sales = "sales",
        Complaint = "complaint",
        Feedback = "feedback",
        Reminder = "reminder",
    }
);

closed_enum!(
    /// How the customer came across, as the agent judged it.
    Sentiment { Positive = "positive", Neutral = "neutral", Negative = "negative" }
);

pub use crate::invalid::Invalid;
