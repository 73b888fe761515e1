//! Versioned schema migrations, applied on first use of the database by whichever
//! component gets there first.
//!
//! Every component shares the one `default` database, and a service's read models may
//! read another service's tables, so every component applies every service's
//! migrations. Each service owns a list of its own (`schema/<owner>.rs`) numbered from 1;
//! `schema_migrations` records `(owner, version)` pairs, and `PRAGMA user_version` holds
//! how many are applied, a header read cheap enough to do on every request. Two
//! components racing on a fresh database are serialised by `BEGIN IMMEDIATE`; the loser
//! re-checks inside the lock and skips what is done.

use crate::{Database, StoreError, Value, schema, transaction};

/// One schema change, owned by one service.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// The service that owns (and alone writes) the tables it touches.
    pub owner: &'static str,
    /// Strictly increasing per owner from 1; never reused or edited once shipped.
    pub version: i64,
    /// A short name for `schema_migrations` and the logs.
    pub name: &'static str,
    /// Statements run in order inside one transaction.
    pub statements: &'static [&'static str],
}

const CREATE_SCHEMA_MIGRATIONS: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    owner      TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    name       TEXT    NOT NULL,
    applied_at INTEGER NOT NULL,
    PRIMARY KEY (owner, version)
) STRICT";

/// Every migration of every service, in the order they are applied.
pub fn all() -> impl Iterator<Item = &'static Migration> {
    schema::ALL.iter().flat_map(|owned| owned.iter())
}

/// How many migrations this build knows: the schema version of an up-to-date database.
pub fn latest_version() -> i64 {
    all().count() as i64
}

/// The schema version recorded in the database file (migrations applied).
pub fn current_version(db: &dyn Database) -> Result<i64, StoreError> {
    let rows = db.execute("PRAGMA user_version", &[])?;
    rows.first()
        .map(|row| row.i64("user_version"))
        .transpose()
        .map(|v| v.unwrap_or(0))
}

/// Applies every pending migration and returns the resulting schema version.
pub fn migrate(db: &dyn Database) -> Result<i64, StoreError> {
    migrate_with(db, &all().collect::<Vec<_>>())
}

/// Applies whichever of `migrations` are not recorded yet (tests pass their own lists).
pub fn migrate_with(db: &dyn Database, migrations: &[&Migration]) -> Result<i64, StoreError> {
    let current = current_version(db)?;
    if current >= migrations.len() as i64 {
        return Ok(current);
    }
    // WAL persists in the file, so this runs once per database, outside any
    // transaction as SQLite requires. A backend that refuses it (remote libSQL) keeps
    // its own journalling, which is correct, only slower: not a reason to fail.
    let _ = db.execute("PRAGMA journal_mode=WAL", &[]);
    db.execute(CREATE_SCHEMA_MIGRATIONS, &[])?;
    for migration in migrations {
        transaction(db, &mut |db| {
            let key = [
                Value::from(migration.owner),
                Value::Integer(migration.version),
            ];
            let done = db.execute(
                "SELECT 1 AS done FROM schema_migrations WHERE owner = ? AND version = ?",
                &key,
            )?;
            // Another component may have applied it since we read the version.
            if !done.is_empty() {
                return Ok(());
            }
            for statement in migration.statements {
                db.execute(statement, &[])?;
            }
            db.execute(
                "INSERT INTO schema_migrations (owner, version, name, applied_at)
                 VALUES (?, ?, ?, CAST(unixepoch('subsec') * 1000 AS INTEGER))",
                &[key[0].clone(), key[1].clone(), Value::from(migration.name)],
            )?;
            let applied = db.execute("SELECT count(*) AS n FROM schema_migrations", &[])?;
            let n = applied
                .first()
                .map(|r| r.i64("n"))
                .transpose()?
                .unwrap_or(0);
            // PRAGMA takes no bound parameters; the count is our own integer.
            db.execute(&format!("PRAGMA user_version = {n}"), &[])?;
            Ok(())
        })?;
    }
    current_version(db)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn each_owner_numbers_its_migrations_from_one_without_gaps() {
        let mut owners = HashSet::new();
        for owned in schema::ALL {
            let Some(owner) = owned.first().map(|m| m.owner) else {
                continue;
            };
            assert!(owners.insert(owner), "{owner} has two lists");
            for (i, m) in owned.iter().enumerate() {
                assert_eq!(m.owner, owner, "{} is in {owner}'s list", m.name);
                assert_eq!(
                    m.version,
                    i as i64 + 1,
                    "{owner}/{} is out of order",
                    m.name
                );
                assert!(!m.statements.is_empty(), "{owner}/{} is empty", m.name);
            }
        }
    }
}
