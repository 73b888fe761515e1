//! The versioned rules table.

use super::{decode, text, ts};
use crm_domain::loyalty::{Rules, RulesDocument};
use crm_domain::time::Timestamp;
use crm_store::{Database, Row, StoreError, Value};

pub(super) const CURRENT_RULES: &str =
    "SELECT version, document, actor, created_at FROM loyalty_rules
    WHERE version = (SELECT MAX(version) FROM loyalty_rules)";
pub(super) const RULES_VERSION: &str =
    "SELECT version, document, actor, created_at FROM loyalty_rules WHERE version = ?";
/// Appends the next version only while `?4` is still the latest: one statement, so
/// two concurrent writers cannot both succeed from the same version.
pub(super) const INSERT_RULES: &str =
    "INSERT INTO loyalty_rules (version, document, actor, created_at)
    SELECT version + 1, ?1, ?2, ?3 FROM loyalty_rules
    WHERE version = ?4 AND version = (SELECT MAX(version) FROM loyalty_rules)
    RETURNING version";

/// A rule set as stored, with its version.
#[derive(Debug, Clone)]
pub struct RulesRow {
    /// The version number (1 is the defaults).
    pub version: i64,
    /// The rules.
    pub rules: Rules,
    /// Who wrote it.
    pub actor: Option<String>,
    /// When it was written.
    pub created_at: Timestamp,
}

fn rules_from(row: Row<'_>) -> Result<RulesRow, StoreError> {
    let doc: RulesDocument =
        serde_json::from_str(row.str("document")?).map_err(|_| decode("rules document"))?;
    Ok(RulesRow {
        version: row.i64("version")?,
        rules: Rules::from_document(doc).map_err(|_| decode("rules document"))?,
        actor: row.opt_str("actor")?.map(str::to_owned),
        created_at: ts(row.i64("created_at")?),
    })
}

/// The latest rules.
pub fn current_rules(db: &dyn Database) -> Result<RulesRow, StoreError> {
    let rows = db.execute(CURRENT_RULES, &[])?;
    rows.first()
        .map(rules_from)
        .unwrap_or_else(|| Err(decode("rules (none found)")))
}

/// One version of the rules.
pub fn rules_version(db: &dyn Database, version: i64) -> Result<Option<RulesRow>, StoreError> {
    let rows = db.execute(RULES_VERSION, &[Value::Integer(version)])?;
    rows.first().map(rules_from).transpose()
}

/// Writes `rules` as the version after `expected`; `None` when `expected` is no
/// longer the latest.
pub fn insert_rules(
    db: &dyn Database,
    expected: i64,
    rules: &Rules,
    actor: Option<&str>,
    now: Timestamp,
) -> Result<Option<i64>, StoreError> {
    let document =
        serde_json::to_string(rules.document()).map_err(|e| StoreError::Backend(e.to_string()))?;
    let rows = db.execute(
        INSERT_RULES,
        &[
            Value::from(document),
            text(actor),
            Value::Integer(now.unix_millis()),
            Value::Integer(expected),
        ],
    )?;
    rows.first().map(|r| r.i64("version")).transpose()
}
