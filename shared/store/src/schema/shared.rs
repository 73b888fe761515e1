//! Infrastructure tables every component writes through `crm-http`.

use crate::Migration;

/// Migrations owned by the shared edge.
pub const MIGRATIONS: &[Migration] = &[Migration {
    owner: "shared",
    version: 1,
    name: "idempotency_keys",
    statements: &[
        // One row per (scope, key): the reservation is the row itself, so a UNIQUE
        // primary key, not the key-value store, decides who runs a request first.
        "CREATE TABLE idempotency_keys (
            scope        TEXT    NOT NULL,
            key          TEXT    NOT NULL,
            fingerprint  TEXT    NOT NULL,
            status       INTEGER,
            content_type TEXT,
            location     TEXT,
            etag         TEXT,
            body         BLOB,
            created_at   INTEGER NOT NULL,
            PRIMARY KEY (scope, key)
        ) STRICT, WITHOUT ROWID",
        "CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at)",
    ],
}];
