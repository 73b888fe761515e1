//! Versioned schema migrations, applied on first use of the database by whichever
//! component gets there first.
//!
//! The list is app-wide because every component shares the one `default` database:
//! a service's read models may read another service's tables, so all of them must
//! exist whatever component a request lands on. Each migration names the service that
//! owns (and alone writes) its tables.
//!
//! The schema version lives in `PRAGMA user_version` (read per request: it comes from
//! the file header, no table lookup) and each applied migration is recorded in
//! `schema_migrations`. Two components racing to migrate are serialised by
//! `BEGIN IMMEDIATE`; the loser re-checks inside the lock and skips what is done.

use crate::{Database, StoreError, Value, transaction};

/// One schema change.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Strictly increasing, starting at 1; never reused or edited once shipped.
    pub version: i64,
    /// A short name for `schema_migrations` and the logs.
    pub name: &'static str,
    /// The service that owns the tables it creates (`shared` for infrastructure).
    pub owner: &'static str,
    /// Statements run in order inside one transaction.
    pub statements: &'static [&'static str],
}

/// Every migration, in order. Append; never edit one that has shipped.
pub const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "schema_migrations",
    owner: "shared",
    statements: &["CREATE TABLE IF NOT EXISTS schema_migrations (
            version    INTEGER PRIMARY KEY,
            name       TEXT    NOT NULL,
            owner      TEXT    NOT NULL,
            applied_at INTEGER NOT NULL
        ) STRICT"],
}];

/// The version of the newest migration this build knows.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// The schema version recorded in the database file.
pub fn current_version(db: &dyn Database) -> Result<i64, StoreError> {
    let rows = db.execute("PRAGMA user_version", &[])?;
    rows.first()
        .map(|row| row.i64("user_version"))
        .transpose()
        .map(|v| v.unwrap_or(0))
}

/// Applies every pending migration and returns the resulting schema version.
pub fn migrate(db: &dyn Database) -> Result<i64, StoreError> {
    migrate_with(db, MIGRATIONS)
}

/// Applies pending migrations from `migrations` (tests pass their own lists).
pub fn migrate_with(db: &dyn Database, migrations: &[Migration]) -> Result<i64, StoreError> {
    let current = current_version(db)?;
    let pending: Vec<&Migration> = migrations.iter().filter(|m| m.version > current).collect();
    if pending.is_empty() {
        return Ok(current);
    }
    // WAL persists in the file, so this runs once per database, outside any
    // transaction as SQLite requires. A backend that refuses it (remote libSQL) keeps
    // its own journalling, which is correct, only slower: not a reason to fail.
    let _ = db.execute("PRAGMA journal_mode=WAL", &[]);
    let mut reached = current;
    for migration in pending {
        transaction(db, &mut |db| {
            // Another component may have applied it since we read the version.
            if current_version(db)? >= migration.version {
                return Ok(());
            }
            for statement in migration.statements {
                db.execute(statement, &[])?;
            }
            db.execute(
                "INSERT INTO schema_migrations (version, name, owner, applied_at)
                 VALUES (?, ?, ?, CAST(unixepoch('subsec') * 1000 AS INTEGER))",
                &[
                    Value::Integer(migration.version),
                    Value::from(migration.name),
                    Value::from(migration.owner),
                ],
            )?;
            // PRAGMA takes no bound parameters; the version is our own integer.
            db.execute(&format!("PRAGMA user_version = {}", migration.version), &[])?;
            Ok(())
        })?;
        reached = migration.version;
    }
    Ok(reached)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_strictly_increasing_from_one() {
        let mut expected = 1;
        for m in MIGRATIONS {
            assert_eq!(m.version, expected, "migration {} is out of order", m.name);
            assert!(!m.statements.is_empty(), "migration {} is empty", m.name);
            expected += 1;
        }
        assert_eq!(latest_version(), expected - 1);
    }
}
