//! `engagement_rules`: every version of the alert rules, immutable once written.

use crm_domain::engagement::AlertRules;
use crm_domain::time::Timestamp;
use crm_store::{Database, Row, StoreError, Value};

const CURRENT: &str = "SELECT version, document, actor, created_at FROM engagement_rules
    ORDER BY version DESC LIMIT 1";

const VERSION: &str =
    "SELECT version, document, actor, created_at FROM engagement_rules WHERE version = ?";

// The next version only if the caller's is still the latest: a concurrent writer makes
// this insert nothing (or trips the primary key).
const INSERT: &str = "INSERT INTO engagement_rules (version, document, actor, created_at)
    SELECT ?1 + 1, ?2, ?3, ?4
    WHERE (SELECT max(version) FROM engagement_rules) = ?1
    RETURNING version";

/// A version of the rules.
#[derive(Debug, Clone)]
pub struct RulesRow {
    /// Its version.
    pub version: i64,
    /// The rules.
    pub rules: AlertRules,
    /// Who wrote it.
    pub actor: Option<String>,
    /// When.
    pub created_at: Timestamp,
}

fn decode(row: Row<'_>) -> Result<RulesRow, StoreError> {
    let rules = serde_json::from_str(row.str("document")?)
        .map_err(|e| StoreError::Decode(format!("alert rules: {e}")))?;
    Ok(RulesRow {
        version: row.i64("version")?,
        rules,
        actor: row.opt_str("actor")?.map(str::to_owned),
        created_at: Timestamp::from_unix_millis(row.i64("created_at")?),
    })
}

/// The rules in force.
pub fn current(db: &dyn Database) -> Result<RulesRow, StoreError> {
    db.execute(CURRENT, &[])?
        .first()
        .map(decode)
        .unwrap_or_else(|| Err(StoreError::Decode("no alert rules are stored".into())))
}

/// Version `version`, if it exists.
pub fn version(db: &dyn Database, version: i64) -> Result<Option<RulesRow>, StoreError> {
    db.execute(VERSION, &[Value::Integer(version)])?
        .first()
        .map(decode)
        .transpose()
}

/// Writes `rules` as the version after `expected_current`; `None` when another version
/// was written since.
pub fn insert(
    db: &dyn Database,
    expected_current: i64,
    rules: &AlertRules,
    actor: &str,
    now: Timestamp,
) -> Result<Option<i64>, StoreError> {
    let document = serde_json::to_string(rules)
        .map_err(|e| StoreError::Decode(format!("alert rules: {e}")))?;
    let result = db.execute(
        INSERT,
        &[
            Value::Integer(expected_current),
            Value::from(document),
            Value::from(actor),
            Value::Integer(now.unix_millis()),
        ],
    );
    match result {
        Ok(rows) => rows.first().map(|r| r.i64("version")).transpose(),
        Err(e) if e.is_unique_violation("engagement_rules.version") => Ok(None),
        Err(e) => Err(e),
    }
}
