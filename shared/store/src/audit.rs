//! The audit trail: every audited action leaves one record, and records are sealed into
//! a keyed chain, so changing, removing, reordering or truncating them is detected by
//! whoever holds the key (`docs/security.md`).
//!
//! Two tables. `audit_trail` holds the records; `seq` is its rowid, so appending is one
//! `INSERT` with no read of the tail and no race to lose: a write's record commits in the
//! write's own transaction, a read's record in one statement of its own. `audit_chain`
//! holds each sealed record's MAC, `HMAC-SHA-256(key, previous MAC, seq, every field)`.
//! [`seal`] extends the chain over the records not sealed yet, oldest first; it runs
//! inside write transactions (a few records at a time) and from the seal endpoint, both
//! under the database's write lock, so the chain has one writer.
//!
//! Without the key nobody can recompute a MAC, so a record changed or removed from the
//! file breaks the chain at that record even if the whole chain after it is rewritten.
//! Removing the newest records with their MACs leaves a shorter chain that still holds:
//! [`head`] is what to export (with the key's owner, a ticket, a daily report), and
//! [`verify`] given an exported head fails when that record is gone or differs.

use crate::{Database, StoreError, Value};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The MAC before the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// The shortest key accepted, in bytes.
pub const MIN_KEY_BYTES: usize = 32;
/// The Spin variable holding the key.
pub const KEY_VARIABLE: &str = "audit_hmac_key";

/// What one audit record says; never a personal value, only ids, codes and counts.
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
    /// What a list read asked for and how many it returned (`segment=sme count=50`).
    pub detail: Option<String>,
}

/// A stored record: its place, its entry, and its MAC once sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Position in the trail, from 1.
    pub seq: i64,
    /// The entry.
    pub entry: Entry,
    /// Its MAC in the chain; `None` until [`seal`] reaches it.
    pub mac: Option<String>,
}

/// The newest sealed record: what to export and check later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// Its place.
    pub seq: i64,
    /// Its MAC.
    pub mac: String,
}

/// Where the trail first fails verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The first record (or the exported head's place) that does not hold.
    pub seq: i64,
    /// Why: `gap` (a record is missing before it), `mac` (its content, place or
    /// predecessor changed, or another key sealed it), `unsealed_before_sealed` (it has
    /// no MAC but a later record has), `head_missing` (the exported head's record is
    /// gone: the trail was truncated) or `head_mismatch` (that record's MAC differs).
    pub reason: &'static str,
}

/// The outcome of recomputing the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Records read.
    pub records: i64,
    /// Of which sealed.
    pub sealed: i64,
    /// The newest sealed record, when the chain holds.
    pub head: Option<Head>,
    /// The first failure, if any.
    pub broken: Option<Broken>,
}

/// The key the chain is sealed with (the `audit_hmac_key` Spin variable).
#[derive(Clone)]
pub struct AuditKey(Vec<u8>);

impl AuditKey {
    /// The key, or why it cannot be one (too short).
    pub fn new(bytes: &[u8]) -> Result<AuditKey, String> {
        if bytes.len() < MIN_KEY_BYTES {
            return Err(format!(
                "{KEY_VARIABLE} must be at least {MIN_KEY_BYTES} bytes"
            ));
        }
        Ok(AuditKey(bytes.to_vec()))
    }

    /// The MAC of the record at `seq` with `entry`, chained after `prev`, as lowercase hex.
    pub fn mac(&self, seq: i64, entry: &Entry, prev: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        let mut field = |text: &str| {
            // Length-prefixed, so no choice of field values can make two entries alike.
            mac.update(text.len().to_string().as_bytes());
            mac.update(b":");
            mac.update(text.as_bytes());
            mac.update(b";");
        };
        field(prev);
        field(&seq.to_string());
        field(&entry.at.to_string());
        field(&entry.actor);
        field(&entry.roles);
        field(&entry.action);
        field(&entry.resource);
        field(entry.customer_id.as_deref().unwrap_or("-"));
        field(&entry.request_id);
        field(&entry.outcome);
        field(&entry.status.to_string());
        field(entry.detail.as_deref().unwrap_or("-"));
        hex(&mac.finalize().into_bytes())
    }
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(…)")
    }
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

/// Appends `entry` and returns its `seq`: one statement, inside the caller's transaction
/// when there is one (a write's record commits with the write, or not at all).
pub fn append(db: &dyn Database, entry: &Entry) -> Result<i64, StoreError> {
    let rows = db.execute(
        "INSERT INTO audit_trail (at, actor, roles, action, resource, customer_id,
                                  request_id, outcome, status, detail)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         RETURNING seq",
        &[
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
            entry.detail.as_deref().map_or(Value::Null, Value::from),
        ],
    )?;
    rows.first()
        .map(|r| r.i64("seq"))
        .transpose()?
        .ok_or_else(|| StoreError::Backend("the audit insert returned no seq".into()))
}

/// The newest sealed record, if any.
pub fn head(db: &dyn Database) -> Result<Option<Head>, StoreError> {
    let rows = db.execute(
        "SELECT seq, mac FROM audit_chain ORDER BY seq DESC LIMIT 1",
        &[],
    )?;
    rows.first()
        .map(|r| {
            Ok(Head {
                seq: r.i64("seq")?,
                mac: r.str("mac")?.to_owned(),
            })
        })
        .transpose()
}

/// What one [`seal`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    /// Records sealed by this call.
    pub records: i64,
    /// The chain's head afterwards.
    pub head: Option<Head>,
}

/// Seals up to `max` records not sealed yet, oldest first. Call it with the write lock
/// held (inside [`crate::in_transaction`]), so that the chain has one writer at a time.
pub fn seal(db: &dyn Database, key: &AuditKey, max: i64) -> Result<Sealed, StoreError> {
    let last = head(db)?;
    let (after, mut prev) = match &last {
        Some(h) => (h.seq, h.mac.clone()),
        None => (0, GENESIS.to_owned()),
    };
    let sql = format!(
        "SELECT {COLUMNS}, NULL AS mac FROM audit_trail WHERE seq > ? ORDER BY seq LIMIT ?"
    );
    let pending = decode(&db.execute(&sql, &[Value::Integer(after), Value::Integer(max)])?)?;
    if pending.is_empty() {
        return Ok(Sealed {
            records: 0,
            head: last,
        });
    }
    let mut pairs = Vec::with_capacity(pending.len());
    for record in &pending {
        let mac = key.mac(record.seq, &record.entry, &prev);
        pairs.push(json_pair(record.seq, &mac));
        prev = mac;
    }
    db.execute(
        "INSERT INTO audit_chain (seq, mac)
         SELECT value ->> 0, value ->> 1 FROM json_each(?)",
        &[Value::Text(format!("[{}]", pairs.join(",")))],
    )?;
    let newest = pending.last().map(|r| r.seq).unwrap_or(after);
    Ok(Sealed {
        records: pending.len() as i64,
        head: Some(Head {
            seq: newest,
            mac: prev,
        }),
    })
}

/// `[seq,"mac"]` as JSON; the MAC is hex, so it needs no escaping.
fn json_pair(seq: i64, mac: &str) -> String {
    format!("[{seq},\"{mac}\"]")
}

const COLUMNS: &str = "seq, at, actor, roles, action, resource, customer_id, request_id, \
                       outcome, status, detail";

fn decode(rows: &crate::Rows) -> Result<Vec<Record>, StoreError> {
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
                    detail: r.opt_str("detail")?.map(str::to_owned),
                },
                mac: r.opt_str("mac")?.map(str::to_owned),
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
        "SELECT {COLUMNS}, (SELECT mac FROM audit_chain c WHERE c.seq = t.seq) AS mac
         FROM audit_trail t WHERE customer_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?"
    );
    let rows = db.execute(
        &sql,
        &[
            Value::from(customer_id),
            Value::Integer(before.unwrap_or(i64::MAX)),
            Value::Integer(limit),
        ],
    )?;
    decode(&rows)
}

/// Every record, newest first, before `before` (a `seq`), at most `limit`, optionally only
/// those of `actor` and of `action`: the auditor's view of what is not about one customer
/// (list reads, refusals, sealing).
pub fn records(
    db: &dyn Database,
    actor: Option<&str>,
    action: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Record>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS}, (SELECT mac FROM audit_chain c WHERE c.seq = t.seq) AS mac
         FROM audit_trail t
         WHERE seq < ? AND (? IS NULL OR actor = ?) AND (? IS NULL OR action = ?)
         ORDER BY seq DESC LIMIT ?"
    );
    let text = |v: Option<&str>| v.map_or(Value::Null, Value::from);
    let rows = db.execute(
        &sql,
        &[
            Value::Integer(before.unwrap_or(i64::MAX)),
            text(actor),
            text(actor),
            text(action),
            text(action),
            Value::Integer(limit),
        ],
    )?;
    decode(&rows)
}

/// How many records [`verify`] reads per statement.
const VERIFY_BATCH: i64 = 500;

/// Recomputes the chain from the first record with `key` and reports the first failure;
/// with `exported`, also that this head is still in the trail with the same MAC (so
/// removing the newest records is found).
pub fn verify(
    db: &dyn Database,
    key: &AuditKey,
    exported: Option<&Head>,
) -> Result<Verification, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS}, (SELECT mac FROM audit_chain c WHERE c.seq = t.seq) AS mac
         FROM audit_trail t WHERE seq > ? ORDER BY seq LIMIT ?"
    );
    let mut report = Verification {
        records: 0,
        sealed: 0,
        head: None,
        broken: None,
    };
    let (mut expected, mut prev, mut after) = (1, GENESIS.to_owned(), 0);
    let mut first_unsealed: Option<i64> = None;
    'walk: loop {
        let batch =
            decode(&db.execute(&sql, &[Value::Integer(after), Value::Integer(VERIFY_BATCH)])?)?;
        let Some(last) = batch.last() else { break };
        after = last.seq;
        for record in batch {
            report.records += 1;
            let fail = |reason| Broken {
                seq: record.seq,
                reason,
            };
            if record.seq != expected {
                report.broken = Some(fail("gap"));
                break 'walk;
            }
            expected += 1;
            let Some(mac) = &record.mac else {
                first_unsealed.get_or_insert(record.seq);
                continue;
            };
            if first_unsealed.is_some() {
                report.broken = first_unsealed.map(|seq| Broken {
                    seq,
                    reason: "unsealed_before_sealed",
                });
                break 'walk;
            }
            if key.mac(record.seq, &record.entry, &prev) != *mac {
                report.broken = Some(fail("mac"));
                break 'walk;
            }
            report.sealed += 1;
            prev = mac.clone();
            report.head = Some(Head {
                seq: record.seq,
                mac: mac.clone(),
            });
        }
    }
    if report.broken.is_none()
        && let Some(exported) = exported
    {
        let rows = db.execute(
            "SELECT mac FROM audit_chain WHERE seq = ?",
            &[Value::Integer(exported.seq)],
        )?;
        let present = db.execute(
            "SELECT 1 AS present FROM audit_trail WHERE seq = ?",
            &[Value::Integer(exported.seq)],
        )?;
        report.broken = match rows.first().map(|r| r.str("mac")).transpose()? {
            _ if present.is_empty() => Some(Broken {
                seq: exported.seq,
                reason: "head_missing",
            }),
            Some(mac) if mac == exported.mac => None,
            _ => Some(Broken {
                seq: exported.seq,
                reason: "head_mismatch",
            }),
        };
    }
    if report.broken.is_some() {
        report.head = None;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry {
        Entry {
            at: 1_800_000_000_000,
            actor: "teller-1".into(),
            roles: "teller".into(),
            action: "customer.read".into(),
            resource: "/v1/customers/cus_1".into(),
            customer_id: Some("cus_1".into()),
            request_id: "req-1".into(),
            outcome: "success".into(),
            status: 200,
            detail: None,
        }
    }

    #[test]
    fn a_key_shorter_than_32_bytes_is_refused() {
        assert!(AuditKey::new(&[7; 31]).is_err());
        assert!(AuditKey::new(&[7; 32]).is_ok());
    }

    #[test]
    fn the_mac_depends_on_the_key_the_place_the_predecessor_and_every_field() {
        let key = AuditKey::new(&[1; 32]).expect("key");
        let base = key.mac(1, &entry(), GENESIS);
        assert_eq!(base.len(), 64);
        assert_ne!(
            AuditKey::new(&[2; 32])
                .expect("key")
                .mac(1, &entry(), GENESIS),
            base
        );
        assert_ne!(key.mac(2, &entry(), GENESIS), base);
        assert_ne!(key.mac(1, &entry(), &"1".repeat(64)), base);
        let variants: [fn(&mut Entry); 10] = [
            |e| e.at += 1,
            |e| e.actor.push('x'),
            |e| e.roles.push('x'),
            |e| e.action.push('x'),
            |e| e.resource.push('x'),
            |e| e.customer_id = None,
            |e| e.request_id.push('x'),
            |e| e.outcome.push('x'),
            |e| e.status += 1,
            |e| e.detail = Some("count=1".into()),
        ];
        for change in variants {
            let mut e = entry();
            change(&mut e);
            assert_ne!(key.mac(1, &e, GENESIS), base, "{e:?}");
        }
        // Moving characters between fields changes the MAC too (length prefixes).
        let mut a = entry();
        a.actor = "ab".into();
        a.roles = "c".into();
        let mut b = entry();
        b.actor = "a".into();
        b.roles = "bc".into();
        assert_ne!(key.mac(1, &a, GENESIS), key.mac(1, &b, GENESIS));
    }

    #[test]
    fn the_key_never_shows_in_debug_output() {
        let key = AuditKey::new(b"a-secret-that-is-long-enough-1234").expect("key");
        assert!(!format!("{key:?}").contains("secret"));
    }
}
