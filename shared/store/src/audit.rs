//! The tamper-evident audit trail: an append-only table whose records form a SHA-256
//! hash chain. Each record holds the hash of the previous record and its own hash over
//! that and its content, so changing, removing or moving a record breaks every link
//! after it ([`verify`] names the first).
//!
//! Appending is one statement: `INSERT … SELECT … WHERE` the tail is still the record
//! we chained to, so two writers that read the same tail cannot both append after it;
//! the loser re-reads the tail and tries again (rule 1 of this crate). A writer that
//! keeps losing (many concurrent requests, each auditing a read) stops racing and
//! appends under `BEGIN IMMEDIATE`, where SQLite queues it behind the others for up to
//! its busy timeout: under load the 16 connections of the benchmark otherwise made some
//! reads answer 503 after a burst of lost races, though the database was not stuck.

use crate::{Database, StoreError, Value};
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// How many races an append may lose before it appends under the write lock instead.
pub const OPTIMISTIC_ATTEMPTS: usize = 3;

/// What one audit record says; never a personal value, only ids and codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// When, in Unix milliseconds.
    pub at: i64,
    /// The caller's `sub`.
    pub actor: String,
    /// The caller's roles, comma-separated.
    pub roles: String,
    /// The action performed (`customer.read`).
    pub action: String,
    /// The request path (ids only; never the query string).
    pub resource: String,
    /// The customer whose data it was, when one.
    pub customer_id: Option<String>,
    /// The request id, to join with the logs.
    pub request_id: String,
    /// `success`, `denied`, `rejected` or `failed`.
    pub outcome: String,
    /// The HTTP status answered.
    pub status: i64,
}

/// A stored record: its place in the chain and its entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// The entry.
    pub entry: Entry,
    /// The hash of the record before (or [`GENESIS`]).
    pub prev_hash: String,
    /// This record's hash.
    pub hash: String,
}

/// Where a chain first breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The first record whose link does not hold.
    pub seq: i64,
    /// Why: `gap` (a record is missing before it), `prev_hash` (it does not follow the
    /// record before it: one was removed or moved) or `hash` (its content changed).
    pub reason: &'static str,
}

/// The outcome of recomputing the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Records checked.
    pub records: i64,
    /// The last record's hash when the chain holds: anchor it elsewhere to detect truncation.
    pub head: Option<String>,
    /// The first broken link, if any.
    pub broken: Option<Broken>,
}

fn field(out: &mut Vec<u8>, text: &str) {
    // Length-prefixed, so no choice of field values can make two entries hash alike.
    out.extend_from_slice(text.len().to_string().as_bytes());
    out.push(b':');
    out.extend_from_slice(text.as_bytes());
    out.push(b';');
}

/// The hash of a record at `seq` with `entry` after `prev_hash`, as lowercase hex.
pub fn hash(seq: i64, entry: &Entry, prev_hash: &str) -> String {
    let mut content = Vec::with_capacity(256);
    field(&mut content, prev_hash);
    field(&mut content, &seq.to_string());
    field(&mut content, &entry.at.to_string());
    field(&mut content, &entry.actor);
    field(&mut content, &entry.roles);
    field(&mut content, &entry.action);
    field(&mut content, &entry.resource);
    field(&mut content, entry.customer_id.as_deref().unwrap_or("-"));
    field(&mut content, &entry.request_id);
    field(&mut content, &entry.outcome);
    field(&mut content, &entry.status.to_string());
    hex(&Sha256::digest(&content))
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

fn tail(db: &dyn Database) -> Result<(i64, String), StoreError> {
    let rows = db.execute(
        "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
        &[],
    )?;
    match rows.first() {
        Some(r) => Ok((r.i64("seq")?, r.str("hash")?.to_owned())),
        None => Ok((0, GENESIS.to_owned())),
    }
}

/// Appends `entry` after the current tail and returns its sequence number. Call it
/// outside a transaction. Tries [`OPTIMISTIC_ATTEMPTS`] single-statement appends, then
/// one under `BEGIN IMMEDIATE`, which waits for the write lock rather than racing;
/// [`StoreError::Busy`] only when the lock stays taken past SQLite's busy timeout.
pub fn append(db: &dyn Database, entry: &Entry) -> Result<i64, StoreError> {
    for _ in 0..OPTIMISTIC_ATTEMPTS {
        if let Some(seq) = try_append(db, entry)? {
            return Ok(seq);
        }
    }
    crate::in_transaction(db, |db| try_append(db, entry)?.ok_or(StoreError::Busy))
}

/// One append after the tail as read now: `None` when another writer appended first.
fn try_append(db: &dyn Database, entry: &Entry) -> Result<Option<i64>, StoreError> {
    let (last, prev) = tail(db)?;
    let seq = last + 1;
    let hash = hash(seq, entry, &prev);
    let rows = db.execute(
        "INSERT INTO audit_log (seq, at, actor, roles, action, resource, customer_id,
                                request_id, outcome, status, prev_hash, hash)
         SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
         WHERE COALESCE((SELECT max(seq) FROM audit_log), 0) = ?
           AND COALESCE((SELECT hash FROM audit_log WHERE seq = ?), ?) = ?
         ON CONFLICT DO NOTHING
         RETURNING seq",
        &[
            Value::Integer(seq),
            Value::Integer(entry.at),
            Value::from(entry.actor.as_str()),
            Value::from(entry.roles.as_str()),
            Value::from(entry.action.as_str()),
            Value::from(entry.resource.as_str()),
            entry
                .customer_id
                .as_deref()
                .map_or(Value::Null, Value::from),
            Value::from(entry.request_id.as_str()),
            Value::from(entry.outcome.as_str()),
            Value::Integer(entry.status),
            Value::from(prev.as_str()),
            Value::from(hash.as_str()),
            Value::Integer(last),
            Value::Integer(last),
            Value::from(GENESIS),
            Value::from(prev.as_str()),
        ],
    );
    match rows {
        Ok(rows) if !rows.is_empty() => Ok(Some(seq)),
        Ok(_) => Ok(None),
        // Another writer took `seq` between our read and our insert.
        Err(e) if e.is_unique_violation("audit_log") => Ok(None),
        Err(e) => Err(e),
    }
}

const COLUMNS: &str = "seq, at, actor, roles, action, resource, customer_id, request_id, \
                       outcome, status, prev_hash, hash";

fn records(rows: &crate::Rows) -> Result<Vec<Record>, StoreError> {
    rows.iter()
        .map(|r| {
            Ok(Record {
                seq: r.i64("seq")?,
                entry: Entry {
                    at: r.i64("at")?,
                    actor: r.str("actor")?.to_owned(),
                    roles: r.str("roles")?.to_owned(),
                    action: r.str("action")?.to_owned(),
                    resource: r.str("resource")?.to_owned(),
                    customer_id: r.opt_str("customer_id")?.map(str::to_owned),
                    request_id: r.str("request_id")?.to_owned(),
                    outcome: r.str("outcome")?.to_owned(),
                    status: r.i64("status")?,
                },
                prev_hash: r.str("prev_hash")?.to_owned(),
                hash: r.str("hash")?.to_owned(),
            })
        })
        .collect()
}

/// Customer `customer_id`'s records, newest first, before `before` (a `seq`), at most `limit`.
pub fn of_customer(
    db: &dyn Database,
    customer_id: &str,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Record>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_log WHERE customer_id = ? AND seq < ? \
         ORDER BY seq DESC LIMIT ?"
    );
    let rows = db.execute(
        &sql,
        &[
            Value::from(customer_id),
            Value::Integer(before.unwrap_or(i64::MAX)),
            Value::Integer(limit),
        ],
    )?;
    records(&rows)
}

/// How many records [`verify`] reads per statement.
const VERIFY_BATCH: i64 = 500;

/// Recomputes the whole chain from the first record and reports the first broken link.
pub fn verify(db: &dyn Database) -> Result<Verification, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?");
    let (mut expected_seq, mut prev, mut count) = (1, GENESIS.to_owned(), 0);
    let mut after = 0;
    loop {
        let rows = db.execute(&sql, &[Value::Integer(after), Value::Integer(VERIFY_BATCH)])?;
        let batch = records(&rows)?;
        let Some(last) = batch.last() else { break };
        after = last.seq;
        for record in batch {
            count += 1;
            let broken = |reason| {
                Ok(Verification {
                    records: count,
                    head: None,
                    broken: Some(Broken {
                        seq: record.seq,
                        reason,
                    }),
                })
            };
            if record.seq != expected_seq {
                return broken("gap");
            }
            if record.prev_hash != prev {
                return broken("prev_hash");
            }
            if hash(record.seq, &record.entry, &record.prev_hash) != record.hash {
                return broken("hash");
            }
            expected_seq += 1;
            prev = record.hash;
        }
    }
    Ok(Verification {
        records: count,
        head: (count > 0).then_some(prev),
        broken: None,
    })
}
