//! The customer-profile tables (`customers`, `customer_tags`): SQL text in consts, the
//! same on Spin's SQLite and rusqlite.

use crm_domain::customer::{Customer, duplicate_key, name_key};
use crm_domain::id::CustomerId;
use crm_domain::time::Timestamp;
use crm_store::{Database, Row, StoreError, Value};

const INSERT: &str = "INSERT INTO customers (
        id, status, segment, value_tier, kyc_status, risk_tolerance, relationship_manager_id,
        full_name, name_key, date_of_birth, national_id_country, national_id, email, phone,
        duplicate_key, document, version, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)";

const UPDATE: &str = "UPDATE customers SET
        status = ?, segment = ?, value_tier = ?, kyc_status = ?, risk_tolerance = ?,
        relationship_manager_id = ?, full_name = ?, name_key = ?, date_of_birth = ?,
        national_id_country = ?, national_id = ?, email = ?, phone = ?, duplicate_key = ?,
        document = ?, version = version + 1, updated_at = ?
    WHERE id = ? AND version = ? AND status <> 'erased'
    RETURNING version";

const SELECT_ONE: &str =
    "SELECT document, version FROM customers WHERE id = ? AND status <> 'erased'";

const BY_NATIONAL_ID: &str =
    "SELECT id FROM customers WHERE national_id_country = ? AND national_id = ? AND id <> ?";

const BY_DUPLICATE_KEY: &str =
    "SELECT id FROM customers WHERE duplicate_key = ? AND status <> 'erased' ORDER BY id LIMIT 20";

const DELETE_TAGS: &str = "DELETE FROM customer_tags WHERE customer_id = ?";
const INSERT_TAG: &str = "INSERT INTO customer_tags (customer_id, family, name) VALUES (?, ?, ?)";

// Personal columns are nulled and the document replaced by a shell that keeps only
// what ledgers and histories need to stay consistent: the id and the fact of erasure.
// The classification columns (NOT NULL) say `erased` too: the value tier is derived
// from income and assets, the segment and risk tolerance describe the person. The KYC
// status stays, as the customer standing a loan decision names.
const ERASE: &str = "UPDATE customers SET
        status = 'erased', segment = 'erased', value_tier = 'erased', risk_tolerance = 'erased',
        relationship_manager_id = NULL, full_name = NULL, name_key = NULL,
        date_of_birth = NULL, national_id_country = NULL, national_id = NULL, email = NULL,
        phone = NULL, duplicate_key = NULL,
        document = json_object('id', id, 'status', 'erased', 'erasedAt', ?),
        version = version + 1, updated_at = ?
    WHERE id = ?
    RETURNING id";

/// Why a write was refused.
#[derive(Debug)]
pub enum WriteError {
    /// Another customer holds this national id.
    DuplicateNationalId(String),
    /// The stored version is not the one the caller read (or the customer is gone).
    Stale,
    /// The store failed.
    Store(StoreError),
}

impl From<StoreError> for WriteError {
    fn from(e: StoreError) -> Self {
        WriteError::Store(e)
    }
}

fn columns(c: &Customer) -> Result<Vec<Value>, StoreError> {
    let document = serde_json::to_string(c).map_err(|e| StoreError::Decode(e.to_string()))?;
    Ok(vec![
        Value::from(c.status.as_str()),
        Value::from(c.segment.as_str()),
        Value::from(c.value_tier.as_str()),
        Value::from(c.kyc_status.as_str()),
        Value::from(c.risk_tolerance.as_str()),
        Value::from(c.relationship_manager_id.clone()),
        Value::from(c.full_name.clone()),
        Value::from(name_key(&c.full_name)),
        Value::from(c.date_of_birth.to_string()),
        Value::from(c.national_id_country.clone()),
        Value::from(c.national_id.clone()),
        Value::from(c.email.clone()),
        Value::from(c.phone.clone()),
        Value::from(duplicate_key(
            &c.full_name,
            c.date_of_birth,
            c.phone.as_deref(),
        )),
        Value::from(document),
    ])
}

fn replace_tags(db: &dyn Database, c: &Customer) -> Result<(), StoreError> {
    let id = Value::from(c.id.to_string());
    db.execute(DELETE_TAGS, std::slice::from_ref(&id))?;
    for tag in &c.tags {
        db.execute(
            INSERT_TAG,
            &[
                id.clone(),
                Value::from(tag.family.as_str()),
                Value::from(tag.name.clone()),
            ],
        )?;
    }
    Ok(())
}

/// The id of another customer holding this national id, if any.
pub fn holder_of_national_id(
    db: &dyn Database,
    c: &Customer,
) -> Result<Option<String>, StoreError> {
    let rows = db.execute(
        BY_NATIONAL_ID,
        &[
            Value::from(c.national_id_country.clone()),
            Value::from(c.national_id.clone()),
            Value::from(c.id.to_string()),
        ],
    )?;
    rows.first()
        .map(|r| r.str("id").map(str::to_owned))
        .transpose()
}

/// Customers that look like the same person (name, birth date, phone).
pub fn possible_duplicates(db: &dyn Database, c: &Customer) -> Result<Vec<CustomerId>, StoreError> {
    let Some(key) = duplicate_key(&c.full_name, c.date_of_birth, c.phone.as_deref()) else {
        return Ok(Vec::new());
    };
    let rows = db.execute(BY_DUPLICATE_KEY, &[Value::from(key)])?;
    rows.iter()
        .map(|r| CustomerId::parse(r.str("id")?).map_err(|e| StoreError::Decode(e.to_string())))
        .collect()
}

/// Inserts a new customer and its tags. Call inside a transaction: the tag rows must
/// commit with the customer.
pub fn insert(db: &dyn Database, c: &Customer) -> Result<(), WriteError> {
    if let Some(existing) = holder_of_national_id(db, c)? {
        return Err(WriteError::DuplicateNationalId(existing));
    }
    let mut params = vec![Value::from(c.id.to_string())];
    params.extend(columns(c)?);
    params.push(Value::Integer(c.created_at.unix_millis()));
    params.push(Value::Integer(c.updated_at.unix_millis()));
    match db.execute(INSERT, &params) {
        Ok(_) => {}
        // A concurrent create won the unique index between our check and our insert.
        Err(e) if e.is_unique_violation("customers.national_id") => {
            let existing = holder_of_national_id(db, c)?.unwrap_or_default();
            return Err(WriteError::DuplicateNationalId(existing));
        }
        Err(e) => return Err(e.into()),
    }
    replace_tags(db, c)?;
    Ok(())
}

/// The customer and its version, unless unknown or erased.
pub fn get(db: &dyn Database, id: &CustomerId) -> Result<Option<(Customer, i64)>, StoreError> {
    let rows = db.execute(SELECT_ONE, &[Value::from(id.to_string())])?;
    rows.first().map(|r| decode(&r)).transpose()
}

pub(crate) fn decode(row: &Row<'_>) -> Result<(Customer, i64), StoreError> {
    let customer: Customer = serde_json::from_str(row.str("document")?)
        .map_err(|e| StoreError::Decode(format!("customer document: {e}")))?;
    Ok((customer, row.i64("version")?))
}

/// Replaces the stored customer if it is still at `expected_version`; returns the new
/// version. Call inside a transaction (tags).
pub fn update(db: &dyn Database, c: &Customer, expected_version: i64) -> Result<i64, WriteError> {
    if let Some(existing) = holder_of_national_id(db, c)? {
        return Err(WriteError::DuplicateNationalId(existing));
    }
    let mut params = columns(c)?;
    params.push(Value::Integer(c.updated_at.unix_millis()));
    params.push(Value::from(c.id.to_string()));
    params.push(Value::Integer(expected_version));
    let rows = match db.execute(UPDATE, &params) {
        Ok(rows) => rows,
        Err(e) if e.is_unique_violation("customers.national_id") => {
            let existing = holder_of_national_id(db, c)?.unwrap_or_default();
            return Err(WriteError::DuplicateNationalId(existing));
        }
        Err(e) => return Err(e.into()),
    };
    let Some(version) = rows.first().map(|r| r.i64("version")).transpose()? else {
        return Err(WriteError::Stale);
    };
    replace_tags(db, c)?;
    Ok(version)
}

/// Erases the customer's own record, keeping an anonymised shell marked `erased`; false
/// when unknown. The first step of an erasure: the other owners' parts
/// (`crm_store::erasure`, which also deletes the tags) run after it, in the same
/// transaction. Erasing twice is harmless, so a retried DELETE finishes the job.
pub fn erase(db: &dyn Database, id: &CustomerId, now: Timestamp) -> Result<bool, StoreError> {
    let rows = db.execute(
        ERASE,
        &[
            Value::from(now.to_string()),
            Value::Integer(now.unix_millis()),
            Value::from(id.to_string()),
        ],
    )?;
    Ok(!rows.is_empty())
}

/// When the customer was last active: the latest of its creation and what the other
/// services record (see [`crate::search::LAST_ACTIVITY_SQL`]).
pub fn last_activity(db: &dyn Database, c: &Customer) -> Result<Timestamp, StoreError> {
    let sql = format!(
        "SELECT {} AS last_activity FROM customers c WHERE c.id = ?",
        crate::search::LAST_ACTIVITY_SQL.as_str()
    );
    let rows = db.execute(&sql, &[Value::from(c.id.to_string())])?;
    let millis = rows.first().map(|r| r.i64("last_activity")).transpose()?;
    Ok(millis.map_or(c.created_at, Timestamp::from_unix_millis))
}
