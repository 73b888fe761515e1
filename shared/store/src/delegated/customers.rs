//! customers: a handover of one relationship manager's book to another.

use crate::{Database, StoreError, Value};

// The column and the profile document say the same thing; the version moves, so an
// etag read before the handover is stale after it. Erased customers have no manager.
const HANDOVER: &str = "UPDATE customers SET
        relationship_manager_id = ?2,
        document = json_set(document, '$.relationshipManagerId', ?2),
        version = version + 1, updated_at = ?3
    WHERE relationship_manager_id = ?1 AND status <> 'erased'
    RETURNING id";

/// Moves every customer of manager `from` to manager `to`; returns the ids of those
/// moved. Call inside the request's transaction.
pub fn hand_over(
    db: &dyn Database,
    from: &str,
    to: &str,
    at_ms: i64,
) -> Result<Vec<String>, StoreError> {
    let rows = db.execute(
        HANDOVER,
        &[Value::from(from), Value::from(to), Value::Integer(at_ms)],
    )?;
    rows.iter().map(|r| Ok(r.str("id")?.to_owned())).collect()
}
