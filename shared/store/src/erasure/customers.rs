//! customers: the record itself is blanked first by customer-profile's `repo::erase`
//! (personal columns `NULL`, the document replaced by `{id, status: "erased",
//! erasedAt}`, classification columns set to `erased`), because that step also decides
//! 404 and dates the erasure. What is left of the owner's part is the tags.

use super::Part;

/// The customers owner's part.
pub const PART: Part = Part {
    owner: "customers",
    tables: &["customers", "customer_tags"],
    statements: &["DELETE FROM customer_tags WHERE customer_id = ?1"],
};
