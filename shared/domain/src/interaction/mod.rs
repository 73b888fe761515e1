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

#[cfg(test)]
mod properties {
    use super::*;
    use crate::fuzz::{any_text, text_near};
    use crate::time::Timestamp;
    use proptest::prelude::*;

    const CUSTOMER: &str = "cus_[0-7][0-9A-HJKMNP-TV-Z]{25}";
    const INTERACTION: &str = "int_[0-7][0-9A-HJKMNP-TV-Z]{25}";
    const TIMESTAMP: &str =
        "20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T[01][0-9]:[0-5][0-9]:[0-5][0-9]Z";

    fn field(valid: &'static str) -> impl Strategy<Value = Option<String>> {
        proptest::option::of(text_near(valid))
    }

    fn free_text() -> impl Strategy<Value = Option<String>> {
        proptest::option::of(any_text())
    }

    fn now() -> Timestamp {
        Timestamp::from_unix_millis(1_795_421_700_000)
    }

    proptest! {
        #[test]
        fn no_text_panics_the_interaction_validator(
            ids in (field(CUSTOMER), field(INTERACTION), field("[a-z.:@_-]{1,12}")),
            kinds in (
                field("(phone|branch|email)"),
                field("(inbound|outbound)"),
                field("(inquiry|complaint)"),
            ),
            texts in (free_text(), free_text(), free_text(), field("(positive|neutral|negative)")),
            occurred_at in field(TIMESTAMP),
            complaint in proptest::option::of((field("(low|high)"), field("(fees|service)"))),
        ) {
            let draft = InteractionDraft {
                customer_id: ids.0,
                corrects_id: ids.1,
                agent_id: ids.2,
                channel: kinds.0,
                direction: kinds.1,
                kind: kinds.2,
                subject: texts.0,
                notes: texts.1,
                outcome: texts.2,
                sentiment: texts.3,
                occurred_at,
                confidential: None,
                complaint: complaint.map(|(severity, category)| ComplaintDraft {
                    severity,
                    category,
                    regulatory: None,
                }),
            };
            if let Ok(new) = draft.validate(now()) {
                let _ = case_rule(&new, Some(InteractionType::Complaint));
            }
        }

        #[test]
        fn no_text_panics_the_survey_validator(
            customer_id in field(CUSTOMER),
            kind in field("(nps|csat)"),
            score in any::<Option<i64>>(),
            comment in free_text(),
            interaction_id in field(INTERACTION),
        ) {
            let _ = SurveyDraft { customer_id, kind, score, comment, interaction_id }.validate();
        }

        #[test]
        fn no_text_panics_the_complaint_transition_validator(
            to in field("(assigned|in_progress|resolved|closed|reopened)"),
            assignee in field("[a-z.:@_-]{1,12}"),
            note in free_text(),
            resolution in free_text(),
            actor in field("[a-z.:@_-]{1,12}"),
        ) {
            if let Ok(t) = (TransitionDraft { to, assignee, note, resolution }).validate(actor.as_deref().unwrap_or("agent")) {
                let _ = CaseState::opened().apply(&t, now());
            }
        }

        #[test]
        fn no_string_panics_the_actor_check(text in text_near("[A-Za-z0-9._:@-]{1,64}")) {
            let _ = valid_actor(&text);
        }
    }
}
