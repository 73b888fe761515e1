//! audit: nothing is erased. The records hold ids, actions, paths (ids only, never a
//! query string), outcomes and times, never a personal value; they are append-only and
//! sealed into a keyed chain, so changing one would break the chain the auditor
//! verifies. Which customer was touched, by whom and when is what an auditor must
//! still be able to show after an erasure, including the erasure itself.

use super::Part;

/// The audit owner's part: nothing to run.
pub const PART: Part = Part {
    owner: "audit",
    tables: &["audit_log", "audit_trail", "audit_chain"],
    statements: &[],
};
