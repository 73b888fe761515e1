//! recommendations: feedback is what the customer looked at, clicked, accepted or
//! dismissed, which is marketing profile data with no ledger or regulatory purpose, so
//! it is deleted (the acceptance statistics then count only customers not erased).
//! Unlinking it instead would not anonymise it: the audit trail dates each feedback
//! request with the customer's id. The catalogue holds no customer data.

use super::Part;

/// The recommendations owner's part.
pub const PART: Part = Part {
    owner: "recommendations",
    tables: &["recommendation_products", "recommendation_feedback"],
    statements: &["DELETE FROM recommendation_feedback WHERE customer_id = ?1"],
};
