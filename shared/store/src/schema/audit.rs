//! The audit trail, written by every component through `crm-http` and read by the
//! auditor's endpoints in customer-profile.

use crate::Migration;

/// Migrations owned by the audit trail.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
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
    },
    Migration {
        owner: "audit",
        version: 2,
        name: "audit_trail_keyed_chain",
        statements: &[
            // The records, appended in one statement each (`seq` is the rowid: no read of
            // the tail, no race), with `detail` for what a list read asked and returned.
            "CREATE TABLE audit_trail (
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
            detail      TEXT
        ) STRICT",
            "CREATE INDEX audit_trail_by_customer ON audit_trail (customer_id, seq)",
            // Each sealed record's HMAC, chained (`crm_store::audit::seal`).
            "CREATE TABLE audit_chain (
            seq INTEGER PRIMARY KEY,
            mac TEXT    NOT NULL
        ) STRICT",
            "CREATE TRIGGER audit_trail_no_update BEFORE UPDATE ON audit_trail
         BEGIN SELECT RAISE(ABORT, 'audit_trail is append-only'); END",
            "CREATE TRIGGER audit_trail_no_delete BEFORE DELETE ON audit_trail
         BEGIN SELECT RAISE(ABORT, 'audit_trail is append-only'); END",
            "CREATE TRIGGER audit_chain_no_update BEFORE UPDATE ON audit_chain
         BEGIN SELECT RAISE(ABORT, 'audit_chain is append-only'); END",
            "CREATE TRIGGER audit_chain_no_delete BEFORE DELETE ON audit_chain
         BEGIN SELECT RAISE(ABORT, 'audit_chain is append-only'); END",
            // The records of the unkeyed SHA-256 chain carry over with their places and are
            // sealed under the key by the first seal; `audit_log` itself stays, frozen, with
            // its own chain for anyone who wants to check it against an old exported head.
            "INSERT INTO audit_trail (seq, at, actor, roles, action, resource, customer_id,
                                  request_id, outcome, status)
         SELECT seq, at, actor, roles, action, resource, customer_id, request_id, outcome,
                status
         FROM audit_log ORDER BY seq",
            "CREATE TRIGGER audit_log_frozen BEFORE INSERT ON audit_log
         BEGIN SELECT RAISE(ABORT, 'audit_log is frozen: records go to audit_trail'); END",
        ],
    },
];
