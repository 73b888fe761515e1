//! engagement: a customer's account events (copies of core banking's records) and churn
//! score are deleted; alerts and tasks stay as the record of the work done (who, when, what
//! kind), with their free text redacted, and whatever was still pending is closed
//! (an alert dismissed, a task cancelled) so nobody is sent to contact an erased
//! customer.

use super::Part;

/// The engagement owner's part.
pub const PART: Part = Part {
    owner: "engagement",
    tables: &[
        "engagement_rules",
        "engagement_events",
        "engagement_alerts",
        "engagement_tasks",
        "engagement_churn_scores",
    ],
    statements: &[
        "DELETE FROM engagement_events WHERE customer_id = ?1",
        // Derived from the rest, and a profile of the person: recomputed by no run once
        // the customer is erased (runs skip erased customers).
        "DELETE FROM engagement_churn_scores WHERE customer_id = ?1",
        // The right-hand sides read the row as it was, so `status` below is the old one.
        // Redacted rows are skipped: a second erasure changes nothing more.
        "UPDATE engagement_alerts SET reason = '[erased]',
            status = CASE WHEN status IN ('open','acknowledged') THEN 'dismissed' ELSE status END,
            dismiss_reason = CASE WHEN status = 'converted' THEN NULL ELSE '[erased]' END,
            version = version + 1
         WHERE customer_id = ?1 AND reason <> '[erased]'",
        "UPDATE engagement_tasks SET title = '[erased]',
            note = CASE WHEN note IS NULL THEN NULL ELSE '[erased]' END,
            status = CASE WHEN status IN ('open','in_progress') THEN 'cancelled' ELSE status END,
            version = version + 1
         WHERE customer_id = ?1 AND title <> '[erased]'",
    ],
};
