//! A contact with a customer: the request draft, its validation, and the rule that
//! decides whether it opens a complaint case.

use super::text::{
    Errors, optional_enum, optional_id, optional_text, required_actor, required_enum, required_id,
    required_text,
};
use super::{
    Channel, ComplaintCategory, Direction, InteractionId, InteractionType, Invalid, Sentiment,
    Severity,
};
use crate::id::CustomerId;
use crate::time::Timestamp;
use serde::Deserialize;

/// Longest subject line, in characters.
pub const MAX_SUBJECT: usize = 200;
/// Longest notes, in characters.
pub const MAX_NOTES: usize = 4_000;
/// Longest outcome, in characters.
pub const MAX_OUTCOME: usize = 500;
/// How far in the future `occurredAt` may be: clocks of branch terminals drift.
pub const FUTURE_SKEW_MILLIS: i64 = 5 * 60 * 1000;
/// The earliest contact the bank records (2000-01-01T00:00:00Z): older dates are typos.
pub const EARLIEST_OCCURRED_AT: i64 = 946_684_800_000;

/// The body of `POST /v1/interactions`, loosely typed so that every invalid value is
/// reported at once by [`InteractionDraft::validate`] rather than the first one only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct InteractionDraft {
    /// The customer contacted (`cus_…`).
    pub customer_id: Option<String>,
    /// [`Channel`].
    pub channel: Option<String>,
    /// [`Direction`].
    pub direction: Option<String>,
    /// [`InteractionType`].
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// One line, up to [`MAX_SUBJECT`] characters.
    pub subject: Option<String>,
    /// Free text, up to [`MAX_NOTES`] characters.
    pub notes: Option<String>,
    /// What came of it, up to [`MAX_OUTCOME`] characters.
    pub outcome: Option<String>,
    /// [`Sentiment`], optional.
    pub sentiment: Option<String>,
    /// The bank employee or system that handled the contact.
    pub agent_id: Option<String>,
    /// When the contact happened (RFC 3339); the request time when absent.
    pub occurred_at: Option<String>,
    /// Whether the notes are confidential; false when absent.
    pub confidential: Option<bool>,
    /// The interaction this one corrects (`int_…`).
    pub corrects_id: Option<String>,
    /// The case terms, for an interaction of type `complaint`.
    pub complaint: Option<ComplaintDraft>,
}

/// The `complaint` member of an interaction of type `complaint`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ComplaintDraft {
    /// [`Severity`].
    pub severity: Option<String>,
    /// [`ComplaintCategory`].
    pub category: Option<String>,
    /// Raised through or reportable to a regulator: shortens the deadline.
    pub regulatory: Option<bool>,
}

/// The terms a complaint case is opened with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComplaintTerms {
    /// How serious it is; sets the deadline.
    pub severity: Severity,
    /// What it is about.
    pub category: ComplaintCategory,
    /// Whether a regulator's deadline applies.
    pub regulatory: bool,
}

/// A validated contact, ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInteraction {
    /// The customer contacted.
    pub customer_id: CustomerId,
    /// Where.
    pub channel: Channel,
    /// Who started it.
    pub direction: Direction,
    /// About what.
    pub kind: InteractionType,
    /// One line, trimmed.
    pub subject: String,
    /// Free text, trimmed; `None` when absent or blank.
    pub notes: Option<String>,
    /// What came of it.
    pub outcome: Option<String>,
    /// How the customer came across.
    pub sentiment: Option<Sentiment>,
    /// Who handled it.
    pub agent_id: String,
    /// When it happened.
    pub occurred_at: Timestamp,
    /// Whether the notes are confidential.
    pub confidential: bool,
    /// The interaction this one corrects.
    pub corrects_id: Option<InteractionId>,
    /// The case terms, when given.
    pub complaint: Option<ComplaintTerms>,
}

fn complaint_terms(errors: &mut Errors, draft: ComplaintDraft) -> Option<ComplaintTerms> {
    let severity = required_enum(
        errors,
        "complaint.severity",
        draft.severity,
        Severity::parse,
        Severity::expected,
    );
    let category = required_enum(
        errors,
        "complaint.category",
        draft.category,
        ComplaintCategory::parse,
        ComplaintCategory::expected,
    );
    Some(ComplaintTerms {
        severity: severity?,
        category: category?,
        regulatory: draft.regulatory.unwrap_or(false),
    })
}

fn occurred_at(errors: &mut Errors, raw: Option<String>, now: Timestamp) -> Option<Timestamp> {
    let Some(raw) = raw else {
        return Some(now);
    };
    match Timestamp::parse(&raw) {
        Err(e) => {
            errors.add("occurredAt", e.to_string());
            None
        }
        Ok(t) if t > now.plus_millis(FUTURE_SKEW_MILLIS) => {
            errors.add(
                "occurredAt",
                "must not be more than 5 minutes in the future",
            );
            None
        }
        Ok(t) if t.unix_millis() < EARLIEST_OCCURRED_AT => {
            errors.add("occurredAt", "must not be before 2000-01-01T00:00:00Z");
            None
        }
        Ok(t) => Some(t),
    }
}

impl InteractionDraft {
    /// Trims and validates every field against the rules, at `now`.
    ///
    /// A complaint (`type: complaint`) must carry `complaint` terms unless it corrects
    /// another interaction, which only the store can judge (see [`case_rule`]); any
    /// other type must not carry them.
    pub fn validate(self, now: Timestamp) -> Result<NewInteraction, Vec<Invalid>> {
        let mut e = Errors::default();
        let customer_id = required_id(&mut e, "customerId", self.customer_id, CustomerId::parse);
        let channel = required_enum(
            &mut e,
            "channel",
            self.channel,
            Channel::parse,
            Channel::expected,
        );
        let direction = required_enum(
            &mut e,
            "direction",
            self.direction,
            Direction::parse,
            Direction::expected,
        );
        let kind = required_enum(
            &mut e,
            "type",
            self.kind,
            InteractionType::parse,
            InteractionType::expected,
        );
        let subject = required_text(&mut e, "subject", self.subject, MAX_SUBJECT, false);
        let notes = optional_text(&mut e, "notes", self.notes, MAX_NOTES, true);
        let outcome = optional_text(&mut e, "outcome", self.outcome, MAX_OUTCOME, true);
        let sentiment = optional_enum(
            &mut e,
            "sentiment",
            self.sentiment,
            Sentiment::parse,
            Sentiment::expected,
        );
        let agent_id = required_actor(&mut e, "agentId", self.agent_id);
        let occurred_at = occurred_at(&mut e, self.occurred_at, now);
        let corrects_id = optional_id(&mut e, "correctsId", self.corrects_id, InteractionId::parse);
        let complaint = match (kind, self.complaint) {
            (_, None) => Some(None),
            (Some(InteractionType::Complaint), Some(draft)) => {
                complaint_terms(&mut e, draft).map(Some)
            }
            (Some(_), Some(_)) => {
                e.add("complaint", "is only allowed when type is complaint");
                None
            }
            // The type itself is already reported; checking the terms still helps.
            (None, Some(draft)) => {
                complaint_terms(&mut e, draft);
                None
            }
        };
        let needs_terms = kind == Some(InteractionType::Complaint)
            && matches!(complaint, Some(None))
            && matches!(corrects_id, Some(None));
        if needs_terms {
            e.add(
                "complaint",
                "is required when type is complaint ({severity, category, regulatory?})",
            );
        }
        e.into_result(|| {
            Some(NewInteraction {
                customer_id: customer_id?,
                channel: channel?,
                direction: direction?,
                kind: kind?,
                subject: subject?,
                notes: notes?,
                outcome: outcome?,
                sentiment: sentiment?,
                agent_id: agent_id?,
                occurred_at: occurred_at?,
                confidential: self.confidential.unwrap_or(false),
                corrects_id: corrects_id?,
                complaint: complaint?,
            })
        })
    }
}

/// Whether storing `new` opens a complaint case, given the type of the interaction it
/// corrects (if any).
///
/// A complaint opens a case. A correction of a complaint does not open a second one:
/// the first case stays the place where the complaint is handled, so its terms must not
/// be given again. A correction that turns another type into a complaint opens one.
pub fn case_rule(
    new: &NewInteraction,
    corrected: Option<InteractionType>,
) -> Result<Option<ComplaintTerms>, Invalid> {
    if new.kind != InteractionType::Complaint {
        return Ok(None);
    }
    match (corrected, new.complaint) {
        (Some(InteractionType::Complaint), None) => Ok(None),
        (Some(InteractionType::Complaint), Some(_)) => Err(Invalid::new(
            "complaint",
            "the corrected interaction already opened a case; change that case through its transitions",
        )),
        (_, Some(terms)) => Ok(Some(terms)),
        (_, None) => Err(Invalid::new(
            "complaint",
            "is required when type is complaint ({severity, category, regulatory?})",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_421_700_000; // 2026-11-23T08:15:00Z

    fn now() -> Timestamp {
        Timestamp::from_unix_millis(NOW)
    }

    fn draft() -> InteractionDraft {
        InteractionDraft {
            customer_id: Some("cus_01KAT0000000000000000000AB".into()),
            channel: Some("phone".into()),
            direction: Some("inbound".into()),
            kind: Some("inquiry".into()),
            subject: Some("  Card limit question ".into()),
            agent_id: Some("agent-7".into()),
            ..InteractionDraft::default()
        }
    }

    fn fields(errors: &[Invalid]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn a_minimal_draft_gets_defaults_and_trimmed_text() {
        let new = draft().validate(now()).expect("valid");
        assert_eq!(new.subject, "Card limit question");
        assert_eq!(new.occurred_at, now());
        assert!(!new.confidential);
        assert_eq!(new.notes, None);
        assert_eq!(new.complaint, None);
    }

    #[test]
    fn every_invalid_field_is_reported_at_once() {
        let bad = InteractionDraft {
            customer_id: Some("lpa_01KAT0000000000000000000AB".into()),
            channel: Some("fax".into()),
            direction: None,
            kind: Some("gossip".into()),
            subject: Some("x".repeat(MAX_SUBJECT + 1)),
            notes: Some("y".repeat(MAX_NOTES + 1)),
            outcome: Some("z".repeat(MAX_OUTCOME + 1)),
            sentiment: Some("angry".into()),
            agent_id: Some("agent 7".into()),
            occurred_at: Some("yesterday".into()),
            confidential: None,
            corrects_id: Some("int_bad".into()),
            complaint: None,
        };
        let errors = bad.validate(now()).expect_err("invalid");
        assert_eq!(
            fields(&errors),
            [
                "customerId",
                "channel",
                "direction",
                "type",
                "subject",
                "notes",
                "outcome",
                "sentiment",
                "agentId",
                "occurredAt",
                "correctsId"
            ]
        );
    }

    #[test]
    fn occurred_at_may_be_up_to_five_minutes_ahead_and_not_before_2000() {
        let at = |ms: i64| InteractionDraft {
            occurred_at: Some(Timestamp::from_unix_millis(ms).to_string()),
            ..draft()
        };
        assert!(at(NOW + FUTURE_SKEW_MILLIS).validate(now()).is_ok());
        let late = at(NOW + FUTURE_SKEW_MILLIS + 1)
            .validate(now())
            .expect_err("future");
        assert_eq!(fields(&late), ["occurredAt"]);
        assert!(at(EARLIEST_OCCURRED_AT).validate(now()).is_ok());
        assert!(at(EARLIEST_OCCURRED_AT - 1).validate(now()).is_err());
    }

    #[test]
    fn a_complaint_needs_its_terms_and_other_types_must_not_carry_them() {
        let complaint = InteractionDraft {
            kind: Some("complaint".into()),
            ..draft()
        };
        let errors = complaint.clone().validate(now()).expect_err("no terms");
        assert_eq!(fields(&errors), ["complaint"]);

        let with_terms = InteractionDraft {
            complaint: Some(ComplaintDraft {
                severity: Some("high".into()),
                category: Some("fees_and_charges".into()),
                regulatory: None,
            }),
            ..complaint
        };
        let new = with_terms.clone().validate(now()).expect("valid");
        assert_eq!(
            new.complaint,
            Some(ComplaintTerms {
                severity: Severity::High,
                category: ComplaintCategory::FeesAndCharges,
                regulatory: false
            })
        );

        let inquiry = InteractionDraft {
            kind: Some("inquiry".into()),
            ..with_terms
        };
        assert_eq!(
            fields(&inquiry.validate(now()).expect_err("terms")),
            ["complaint"]
        );
    }

    #[test]
    fn bad_complaint_terms_are_reported_by_path() {
        let bad = InteractionDraft {
            kind: Some("complaint".into()),
            complaint: Some(ComplaintDraft {
                severity: Some("urgent".into()),
                category: None,
                regulatory: Some(true),
            }),
            ..draft()
        };
        assert_eq!(
            fields(&bad.validate(now()).expect_err("invalid")),
            ["complaint.severity", "complaint.category"]
        );
    }

    #[test]
    fn a_correction_of_a_complaint_opens_no_second_case() {
        let correction = InteractionDraft {
            kind: Some("complaint".into()),
            corrects_id: Some("int_01KAT0000000000000000000AB".into()),
            ..draft()
        }
        .validate(now())
        .expect("terms may be left to the store");
        assert_eq!(
            case_rule(&correction, Some(InteractionType::Complaint)),
            Ok(None)
        );
        let reclassified = case_rule(&correction, Some(InteractionType::Inquiry));
        assert_eq!(
            reclassified.map_err(|e| e.field),
            Err("complaint".to_owned())
        );
    }

    #[test]
    fn a_correction_that_makes_a_complaint_opens_a_case_and_cannot_reopen_one() {
        let terms = ComplaintTerms {
            severity: Severity::Low,
            category: ComplaintCategory::Other,
            regulatory: false,
        };
        let new = NewInteraction {
            complaint: Some(terms),
            kind: InteractionType::Complaint,
            ..draft().validate(now()).expect("valid")
        };
        assert_eq!(
            case_rule(&new, Some(InteractionType::Inquiry)),
            Ok(Some(terms))
        );
        assert_eq!(case_rule(&new, None), Ok(Some(terms)));
        assert!(case_rule(&new, Some(InteractionType::Complaint)).is_err());
        let inquiry = draft().validate(now()).expect("valid");
        assert_eq!(case_rule(&inquiry, None), Ok(None));
    }
}
