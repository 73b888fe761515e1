//! Versioned schema migrations, applied on first use of the database by whichever
//! component gets there first.
//!
//! Every component shares the one `default` database, and a service's read models may
//! read another service's tables, so every component applies every service's
//! migrations. Each service owns a list of its own (`schema/<owner>.rs`) numbered from 1;
//! `schema_migrations` records `(owner, version)` pairs, and `PRAGMA user_version` holds
//! how many are applied and a fingerprint of which, a header read cheap enough to do on
//! every request. A build whose own set has that fingerprint goes on; any other build
//! (older, newer, or from another branch, as during a rolling deploy) compares its set
//! with `schema_migrations` and applies what is missing, so no build skips a migration
//! because another applied as many different ones. Two components racing on a fresh
//! database are serialised by `BEGIN IMMEDIATE`; the loser re-checks inside the lock and
//! skips what is done.

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

/// Low bits of `PRAGMA user_version` holding the applied set's fingerprint; the bits
/// above hold the count (at most 255 migrations: `user_version` is 32-bit signed).
const FINGERPRINT_BITS: u32 = 23;

/// The `user_version` header of a database holding exactly `applied` (each key once:
/// `(owner, version)` is the primary key of `schema_migrations`).
fn header<'a>(applied: impl IntoIterator<Item = (&'a str, i64)>) -> i64 {
    let (mut count, mut sum) = (0_i64, 0_u64);
    for (owner, version) in applied {
        // FNV-1a of each key, summed: independent of order without sorting (a sort's
        // generic code costs every component kilobytes), stable across builds.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in owner.bytes().chain([0]).chain(version.to_le_bytes()) {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        sum = sum.wrapping_add(hash);
        count += 1;
    }
    if count == 0 {
        return 0;
    }
    let fingerprint = (sum & ((1 << FINGERPRINT_BITS) - 1)) as i64;
    (count << FINGERPRINT_BITS) | fingerprint
}

fn user_version(db: &dyn Database) -> Result<i64, StoreError> {
    let rows = db.execute("PRAGMA user_version", &[])?;
    rows.first()
        .map(|row| row.i64("user_version"))
        .transpose()
        .map(|v| v.unwrap_or(0))
}

/// The schema version recorded in the database file: how many migrations are applied.
pub fn current_version(db: &dyn Database) -> Result<i64, StoreError> {
    let header = user_version(db)?;
    // A header below one count's worth is a database from before the fingerprint,
    // whose header was the bare count.
    Ok(if header >> FINGERPRINT_BITS == 0 {
        header
    } else {
        header >> FINGERPRINT_BITS
    })
}

/// `(owner, version)` of every applied migration, none when the table is not there yet.
fn applied(db: &dyn Database) -> Result<Vec<(String, i64)>, StoreError> {
    let table = db.execute(
        "SELECT 1 AS present FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'",
        &[],
    )?;
    if table.is_empty() {
        return Ok(Vec::new());
    }
    db.execute("SELECT owner, version FROM schema_migrations", &[])?
        .iter()
        .map(|row| Ok((row.str("owner")?.to_owned(), row.i64("version")?)))
        .collect()
}

/// Writes the header for what `schema_migrations` holds now.
fn record_header(db: &dyn Database) -> Result<(), StoreError> {
    let applied = applied(db)?;
    let header = header(applied.iter().map(|(o, v)| (o.as_str(), *v)));
    // PRAGMA takes no bound parameters; the header is our own integer.
    db.execute(&format!("PRAGMA user_version = {header}"), &[])?;
    Ok(())
}

/// Applies every pending migration and returns the resulting schema version.
pub fn migrate(db: &dyn Database) -> Result<i64, StoreError> {
    migrate_with(db, &all().collect::<Vec<_>>())
}

/// Applies whichever of `migrations` are not recorded yet (tests pass their own lists).
pub fn migrate_with(db: &dyn Database, migrations: &[&Migration]) -> Result<i64, StoreError> {
    let mine = header(migrations.iter().map(|m| (m.owner, m.version)));
    if user_version(db)? == mine {
        return Ok(migrations.len() as i64);
    }
    let done = applied(db)?;
    let is_done = |m: &Migration| done.iter().any(|(o, v)| o == m.owner && *v == m.version);
    if migrations.iter().all(|m| is_done(m)) {
        // Another build applied more than this one knows (a rolling deploy), or the
        // header predates the fingerprint: this build has everything it needs.
        if user_version(db)? >> FINGERPRINT_BITS == 0 && !done.is_empty() {
            transaction(db, &mut |db| record_header(db))?;
        }
        return current_version(db);
    }
    // WAL persists in the file, so this runs once per database, outside any
    // transaction as SQLite requires. A backend that refuses it (remote libSQL) keeps
    // its own journalling, which is correct, only slower: not a reason to fail.
    let _ = db.execute("PRAGMA journal_mode=WAL", &[]);
    db.execute(CREATE_SCHEMA_MIGRATIONS, &[])?;
    let mut outcome = Ok(());
    for migration in migrations.iter().filter(|m| !is_done(m)) {
        outcome = transaction(db, &mut |db| {
            let key = [
                Value::from(migration.owner),
                Value::Integer(migration.version),
            ];
            let done = db.execute(
                "SELECT 1 AS done FROM schema_migrations WHERE owner = ? AND version = ?",
                &key,
            )?;
            // Another component may have applied it since we read the set.
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
            Ok(())
        });
        if outcome.is_err() {
            break;
        }
    }
    // Once, after the loop (also after a failed step, for what did apply): a header is
    // only ever written from what the table holds inside a write transaction, so a crash
    // part-way leaves a stale header (the next request takes this path again), never one
    // that names a set not applied.
    transaction(db, &mut |db| record_header(db))?;
    outcome?;
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
