//! interactions: every free text of the customer's contacts, complaint cases and
//! survey answers is redacted; what happened, when, on which channel and how it was
//! handled stays, for complaint handling statistics and the regulator's complaint
//! records (which are kept by id and dates, not by what was said).

use super::Part;

/// The interactions owner's part.
pub const PART: Part = Part {
    owner: "interactions",
    tables: &["interactions", "complaints", "complaint_history", "surveys"],
    statements: &[
        // Subject, notes and outcome of every contact (complaints are contacts too).
        "UPDATE interactions SET subject = '[erased]',
            notes = CASE WHEN notes IS NULL THEN NULL ELSE '[erased]' END,
            outcome = CASE WHEN outcome IS NULL THEN NULL ELSE '[erased]' END
         WHERE customer_id = ?1",
        // A case's resolution text (present exactly when resolved or closed).
        "UPDATE complaints SET resolution = '[erased]'
         WHERE customer_id = ?1 AND resolution IS NOT NULL",
        // Every step's note and resolution text.
        "UPDATE complaint_history SET note = '[erased]',
            resolution = CASE WHEN resolution IS NULL THEN NULL ELSE '[erased]' END
         WHERE complaint_id IN (SELECT id FROM complaints WHERE customer_id = ?1)",
        // Survey comments; the score stays in the NPS and CSAT figures.
        "UPDATE surveys SET comment = '[erased]'
         WHERE customer_id = ?1 AND comment IS NOT NULL",
    ],
};
