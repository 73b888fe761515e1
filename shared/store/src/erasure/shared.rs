//! shared: stored idempotent answers. A row concerns the customer when the request's
//! audit subject was the customer (recorded in `customer_id` since shared migration 2)
//! or, for rows recorded before that column existed, when the customer's id appears in
//! the request path, the stored request fingerprint or the stored answer. Such a row
//! keeps its key and scope but loses the answer: `fingerprint` becomes `erased` and the
//! body and headers go, so a replay of the key answers `409 customer_erased` instead of
//! the first answer (`crm_http::idempotency`), and never runs the request again.

use super::Part;

/// The shared owner's part.
pub const PART: Part = Part {
    owner: "shared",
    tables: &["idempotency_keys"],
    statements: &[
        "UPDATE idempotency_keys SET fingerprint = 'erased', status = 409,
            content_type = NULL, location = NULL, etag = NULL, body = NULL
         WHERE customer_id = ?1",
        // Rows from before the column: within the 48 h retention after the upgrade,
        // found by the index on age, then by the id in what was stored.
        "UPDATE idempotency_keys SET fingerprint = 'erased', status = 409,
            content_type = NULL, location = NULL, etag = NULL, body = NULL
         WHERE customer_id IS NULL
           AND created_at <= (SELECT applied_at FROM schema_migrations
                              WHERE owner = 'shared' AND version = 2)
           AND (instr(scope, ?1) > 0 OR instr(fingerprint, ?1) > 0
                OR instr(CAST(body AS TEXT), ?1) > 0)",
    ],
};
