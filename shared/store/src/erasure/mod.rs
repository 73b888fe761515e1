//! The right to be forgotten, across services, in one transaction.
//!
//! Rule 5 of this crate says each service writes only its own tables. Erasure is the one
//! exception, for a reason the rule cannot serve: a customer's data lives in every
//! service's tables, and "forgotten" must not be half true after a crash or a failed
//! statement. So `DELETE /v1/customers/{id}` (customer-profile) runs every owner's part
//! inside its request's single transaction, and either all of it commits or none.
//!
//! The exception is organised like the migrations: **each owner declares its own part**
//! in `erasure/<owner>.rs`, next to nothing else, and [`ALL`] lists them. The SQL of a
//! part is its owner's, reviewed with its owner's schema; customer-profile only runs it.
//! The append-only triggers of the owners' tables admit exactly these statements and
//! nothing else (migrations 2 of interactions, loyalty, loans and recommendations): a
//! redaction is allowed only for an erased customer, only to [`REDACTED`], and only
//! with every other column unchanged.
//!
//! Every statement binds one parameter, `?1`, the customer's id, and runs after the
//! customer's own row was blanked and marked `erased` (customer-profile's `repo::erase`,
//! which also tells an unknown id from a known one and dates the erasure). The
//! statements are idempotent: erasing twice changes nothing more, so a retried `DELETE`
//! finishes the job.
//!
//! **Adding a service**: create `erasure/<owner>.rs` with a [`Part`] naming every table
//! the owner's migrations create (the test `every_table_is_named_by_one_owner` fails
//! until each is named) and the statements that redact or delete what is personal in
//! them; add it to [`ALL`]; if a table is append-only, narrow its trigger in a
//! migration the way the existing owners did; list what stays, and why, in
//! `docs/security.md`.

mod audit;
mod customers;
mod engagement;
mod interactions;
mod loans;
mod loyalty;
mod recommendations;
mod shared;

use crate::{Database, StoreError, Value};

/// What a free text that must stay present (a `NOT NULL` column, or one a `CHECK` ties
/// to a state) becomes when its customer is erased. Present text becomes this, absent
/// text stays absent, so every constraint and every decoder still holds.
pub const REDACTED: &str = "[erased]";

/// Run once the erasure has committed (`crm_http::Ctx::after_commit`): folds the WAL,
/// which still holds the pages as they were before the erasure, into the database file
/// and truncates it to zero bytes. It cannot complete while another connection reads an
/// older snapshot (it then reports busy and does nothing harmful); the WAL is folded in
/// and emptied again by later checkpoints, and deleted when the last connection closes.
pub const CHECKPOINT: &str = "PRAGMA wal_checkpoint(TRUNCATE)";

/// One owner's part of an erasure.
#[derive(Debug, Clone, Copy)]
pub struct Part {
    /// The service that owns the tables (as in its migrations).
    pub owner: &'static str,
    /// Every table the owner's migrations create, whether or not anything in it is
    /// erased: naming it is the owner's statement that it was considered.
    pub tables: &'static [&'static str],
    /// Run in order; each binds `?1`, the customer's id.
    pub statements: &'static [&'static str],
}

/// Every owner's part, in the order they run: customers first (its tags), then the
/// services that hold the customer's records, the stored answers, and the audit trail.
pub const ALL: &[Part] = &[
    customers::PART,
    interactions::PART,
    loyalty::PART,
    loans::PART,
    recommendations::PART,
    engagement::PART,
    shared::PART,
    audit::PART,
];

/// Runs every owner's part for `customer_id`. Call inside the request's transaction,
/// after the customer's own row was marked `erased` (the triggers check that).
pub fn erase(db: &dyn Database, customer_id: &str) -> Result<(), StoreError> {
    let id = [Value::from(customer_id)];
    for part in ALL {
        for statement in part.statements {
            db.execute(statement, &id)?;
        }
    }
    Ok(())
}

/// Runs `work` with `PRAGMA secure_delete = ON`, then puts the connection's setting
/// back (`FAST`, as both adapters open every connection): whatever the work frees in
/// the database file, the old versions of rewritten rows and whole pages (overflow
/// pages of long texts and stored answers, emptied b-tree pages) alike, is overwritten
/// with zeros instead of lingering in free space. `FAST` already zeroes what is freed
/// inside a page at no extra I/O; `ON` also writes the freed pages, which costs I/O, so
/// it is kept to the erasure (`docs/security.md`, "Erasure", has the measurement).
pub fn with_secure_delete<T, E: From<StoreError>>(
    db: &dyn Database,
    work: impl FnOnce(&dyn Database) -> Result<T, E>,
) -> Result<T, E> {
    let before = db
        .execute("PRAGMA secure_delete", &[])?
        .first()
        .map(|r| r.i64("secure_delete"))
        .transpose()?;
    db.execute("PRAGMA secure_delete = ON", &[])?;
    let result = work(db);
    // Pragmas take no parameters: one constant statement per setting.
    let restore = match before {
        Some(1) => "PRAGMA secure_delete = ON",
        Some(2) => "PRAGMA secure_delete = FAST",
        _ => "PRAGMA secure_delete = OFF",
    };
    db.execute(restore, &[])?;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_owner_has_one_part_and_every_statement_binds_the_customer() {
        let mut owners: Vec<&str> = ALL.iter().map(|p| p.owner).collect();
        owners.sort_unstable();
        owners.dedup();
        assert_eq!(owners.len(), ALL.len(), "an owner has two parts");
        for part in ALL {
            for statement in part.statements {
                assert!(statement.contains("?1"), "{}: {statement}", part.owner);
                assert!(!statement.contains("?2"), "{}: {statement}", part.owner);
            }
        }
    }

    #[test]
    fn the_owners_are_the_owners_of_the_migrations() {
        let mut migrating: Vec<&str> = crate::migrations::all().map(|m| m.owner).collect();
        migrating.sort_unstable();
        migrating.dedup();
        let mut erasing: Vec<&str> = ALL.iter().map(|p| p.owner).collect();
        erasing.sort_unstable();
        assert_eq!(erasing, migrating);
    }
}
