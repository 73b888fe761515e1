//! Infrastructure tables every component writes through `crm-http`.

use crate::Migration;

/// Migrations owned by the shared edge.
pub const MIGRATIONS: &[Migration] = &[IDEMPOTENCY_KEYS, IDEMPOTENCY_KEYS_CUSTOMER];

const IDEMPOTENCY_KEYS: Migration = Migration {
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
};

const IDEMPOTENCY_KEYS_CUSTOMER: Migration = Migration {
    owner: "shared",
    version: 2,
    name: "idempotency_keys_customer",
    statements: &[
        // The customer a recorded answer concerns (the request's audit subject), so
        // that an erasure finds every stored answer about that customer by index.
        "ALTER TABLE idempotency_keys ADD COLUMN customer_id TEXT",
        "CREATE INDEX idempotency_keys_by_customer ON idempotency_keys (customer_id)
        WHERE customer_id IS NOT NULL",
    ],
};
