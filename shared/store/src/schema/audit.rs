//! The audit trail, written by every component through `crm-http` and read by the
//! auditor's endpoints in customer-profile.

use crate::Migration;

/// Migrations owned by the audit trail.
pub const MIGRATIONS: &[Migration] = &[Migration {
    owner: "audit",
    version: 1,
    name: "audit_log",
    statements: &[
        // `seq` numbers the records 1, 2, 3… without gaps; each record holds the hash
        // of the one before it and its own, so a changed, removed or moved record
        // breaks the chain (`crm_store::audit::verify`). No personal values: ids only.
        "CREATE TABLE audit_log (
            seq         INTEGER PRIMARY KEY,
            at          INTEGER NOT NULL,
            actor       TEXT    NOT NULL,
            roles       TEXT    NOT NULL,
            action      TEXT    NOT NULL,
            resource    TEXT    NOT NULL,
            customer_id TEXT,
            request_id  TEXT    NOT NULL,
            outcome     TEXT    NOT NULL,
            status      INTEGER NOT NULL,
            prev_hash   TEXT    NOT NULL,
            hash        TEXT    NOT NULL UNIQUE
        ) STRICT",
        "CREATE INDEX audit_log_by_customer ON audit_log (customer_id, seq)",
        // Append-only inside SQL too: someone with the file can drop these, which is
        // what the hash chain is for.
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
         BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
         BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    ],
}];
