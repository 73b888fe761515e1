//! The loans tables (`loan_policies`, `loan_applications`, `loan_transitions`): SQL text
//! in consts, the same on Spin's SQLite and rusqlite.

use crm_domain::id::CustomerId;
use crm_domain::loan::{
    ApplicationStatus, Decision, ErasedSnapshot, LoanApplicationId, LoanProduct, Offer, Policy,
    Snapshot, StoredSnapshot,
};
use crm_domain::time::Timestamp;
use crm_store::{Database, Row, StoreError, Value};
use serde::Serialize;
use serde::de::DeserializeOwned;

const CURRENT_POLICY: &str = "SELECT version, document, actor, created_at FROM loan_policies
    ORDER BY version DESC LIMIT 1";

const POLICY_VERSION: &str =
    "SELECT version, document, actor, created_at FROM loan_policies WHERE version = ?";

// One statement: the new version is written only if `?1` is still the latest, so two
// concurrent PUTs with the same If-Match cannot both succeed.
const INSERT_POLICY: &str = "INSERT INTO loan_policies (version, document, actor, created_at)
    SELECT ?1 + 1, ?2, ?3, ?4 WHERE (SELECT MAX(version) FROM loan_policies) = ?1
    RETURNING version";

const APPLICATION_COLUMNS: &str = "id, customer_id, product, status, snapshot, decision, offer,
    created_by, version, created_at, updated_at";

const INSERT_APPLICATION: &str = "INSERT INTO loan_applications (
        id, customer_id, product, status, decision_status, policy_version, amount_minor,
        currency, term_months, snapshot, decision, offer, expires_at, created_by, version,
        created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)";

const INSERT_TRANSITION: &str = "INSERT INTO loan_transitions (
        application_id, from_status, to_status, actor, note, at, recorded_at)
    VALUES (?, ?, ?, ?, ?, ?, ?)";

const HISTORY: &str = "SELECT from_status, to_status, actor, note, at FROM loan_transitions
    WHERE application_id = ? ORDER BY seq";

const UPDATE_STATUS: &str = "UPDATE loan_applications
    SET status = ?1, offer = ?2, expires_at = ?3, version = version + 1, updated_at = ?4
    WHERE id = ?5 AND version = ?6
    RETURNING version";

// Offers that lapsed without anyone recording it: the history entry is dated at the
// expiry itself (by `system`), then the status follows. Both run in the caller's
// transaction, before a new application for the same product is considered.
const RECORD_LAPSED: &str = "INSERT INTO loan_transitions (
        application_id, from_status, to_status, actor, note, at, recorded_at)
    SELECT id, status, 'expired', 'system', 'the offer expired', expires_at, ?3
    FROM loan_applications
    WHERE customer_id = ?1 AND product = ?2 AND status IN ('pre_approved','approved')
      AND expires_at <= ?3";

const EXPIRE_LAPSED: &str = "UPDATE loan_applications
    SET status = 'expired', version = version + 1, updated_at = ?3
    WHERE customer_id = ?1 AND product = ?2 AND status IN ('pre_approved','approved')
      AND expires_at <= ?3";

// Fragments of the list query; only these fixed texts are ever joined.
const LIST_BY_CUSTOMER: &str = " AND customer_id = ?";
const LIST_BY_PRODUCT: &str = " AND product = ?";
const LIST_BY_STORED_STATUS: &str = " AND status = ?";
const LIST_UNEXPIRED: &str = " AND expires_at > ?";
const LIST_EXPIRED: &str = " AND (status = 'expired'
    OR (status IN ('pre_approved','approved') AND expires_at <= ?))";
const LIST_AFTER: &str = " AND id < ?";
const LIST_ORDER: &str = " ORDER BY id DESC LIMIT ?";

/// A credit policy version.
#[derive(Debug, Clone)]
pub struct PolicyRow {
    /// Its version.
    pub version: i64,
    /// The rules.
    pub policy: Policy,
    /// Who wrote it.
    pub actor: Option<String>,
    /// When.
    pub created_at: Timestamp,
}

/// An application as stored.
#[derive(Debug, Clone)]
pub struct Application {
    /// `lpa_…`.
    pub id: LoanApplicationId,
    /// The applicant.
    pub customer_id: CustomerId,
    /// The product.
    pub product: LoanProduct,
    /// The stored workflow status (see `effective_status` for what callers see).
    pub status: ApplicationStatus,
    /// The decision's inputs (what is left of them once the customer is erased).
    pub snapshot: StoredSnapshot,
    /// The automated decision.
    pub decision: Decision,
    /// The standing offer: the pre-approval's, or the one made on approval.
    pub offer: Option<Offer>,
    /// Who submitted it.
    pub created_by: Option<String>,
    /// Optimistic-concurrency version (the etag).
    pub version: i64,
    /// When it was made.
    pub created_at: Timestamp,
    /// When its status last changed.
    pub updated_at: Timestamp,
}

/// One history entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The previous status (`None` for the automated decision).
    pub from: Option<ApplicationStatus>,
    /// The new status.
    pub to: ApplicationStatus,
    /// Who.
    pub actor: Option<String>,
    /// Why.
    pub note: Option<String>,
    /// When it took effect.
    pub at: Timestamp,
}

/// What `list` filters on.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this customer's.
    pub customer_id: Option<CustomerId>,
    /// Only this product.
    pub product: Option<LoanProduct>,
    /// Only this status, as callers see it at the time of the query.
    pub status: Option<ApplicationStatus>,
    /// Only applications of customers in this relationship manager's book.
    pub book: Option<String>,
}

fn to_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Decode(e.to_string()))
}

fn from_json<T: DeserializeOwned>(text: &str, what: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Decode(format!("{what}: {e}")))
}

fn parse<T>(text: &str, what: &str, parse: fn(&str) -> Option<T>) -> Result<T, StoreError> {
    parse(text).ok_or_else(|| StoreError::Decode(format!("{what} `{text}`")))
}

fn policy_row(row: Row<'_>) -> Result<PolicyRow, StoreError> {
    Ok(PolicyRow {
        version: row.i64("version")?,
        policy: from_json(row.str("document")?, "loan policy")?,
        actor: row.opt_str("actor")?.map(str::to_owned),
        created_at: Timestamp::from_unix_millis(row.i64("created_at")?),
    })
}

/// The policy in force.
pub fn current_policy(db: &dyn Database) -> Result<PolicyRow, StoreError> {
    let rows = db.execute(CURRENT_POLICY, &[])?;
    rows.first()
        .map(policy_row)
        .unwrap_or_else(|| Err(StoreError::Decode("no loan policy is stored".into())))
}

/// Policy `version`, if it exists.
pub fn policy_version(db: &dyn Database, version: i64) -> Result<Option<PolicyRow>, StoreError> {
    let rows = db.execute(POLICY_VERSION, &[Value::Integer(version)])?;
    rows.first().map(policy_row).transpose()
}

/// Writes `policy` as the version after `expected_current`; `None` when another
/// version was written since (the caller's If-Match is stale).
pub fn insert_policy(
    db: &dyn Database,
    expected_current: i64,
    policy: &Policy,
    actor: &str,
    now: Timestamp,
) -> Result<Option<i64>, StoreError> {
    let result = db.execute(
        INSERT_POLICY,
        &[
            Value::Integer(expected_current),
            Value::from(to_json(policy)?),
            Value::from(actor),
            Value::Integer(now.unix_millis()),
        ],
    );
    match result {
        Ok(rows) => rows.first().map(|r| r.i64("version")).transpose(),
        // A concurrent writer took the same version number first.
        Err(e) if e.is_unique_violation("loan_policies.version") => Ok(None),
        Err(e) => Err(e),
    }
}

/// A stored snapshot: whole (tried first, as nearly every one is), or what an erasure
/// left of it. Two typed attempts cost less guest work than serde's untagged buffering.
fn stored_snapshot(text: &str) -> Result<StoredSnapshot, StoreError> {
    match serde_json::from_str::<Snapshot>(text) {
        Ok(whole) => Ok(StoredSnapshot::Whole(whole)),
        Err(whole) => serde_json::from_str::<ErasedSnapshot>(text)
            .map(StoredSnapshot::Erased)
            .map_err(|_| StoreError::Decode(format!("snapshot: {whole}"))),
    }
}

fn application(row: Row<'_>) -> Result<Application, StoreError> {
    let offer = row
        .opt_str("offer")?
        .map(|text| from_json(text, "offer"))
        .transpose()?;
    Ok(Application {
        id: parse(row.str("id")?, "application id", |s| {
            LoanApplicationId::parse(s).ok()
        })?,
        customer_id: parse(row.str("customer_id")?, "customer id", |s| {
            CustomerId::parse(s).ok()
        })?,
        product: parse(row.str("product")?, "product", LoanProduct::parse)?,
        status: parse(row.str("status")?, "status", ApplicationStatus::parse)?,
        snapshot: stored_snapshot(row.str("snapshot")?)?,
        decision: from_json(row.str("decision")?, "decision")?,
        offer,
        created_by: row.opt_str("created_by")?.map(str::to_owned),
        version: row.i64("version")?,
        created_at: Timestamp::from_unix_millis(row.i64("created_at")?),
        updated_at: Timestamp::from_unix_millis(row.i64("updated_at")?),
    })
}

/// Why an application could not be stored.
#[derive(Debug)]
pub enum InsertError {
    /// The customer already has an open application for the product.
    OpenApplicationExists,
    /// The store failed.
    Store(StoreError),
}

impl From<StoreError> for InsertError {
    fn from(e: StoreError) -> Self {
        InsertError::Store(e)
    }
}

/// Stores a new application and its first history entry (the automated decision).
/// Runs inside the caller's transaction.
pub fn insert_application(
    db: &dyn Database,
    app: &Application,
    first: &Transition,
) -> Result<(), InsertError> {
    let (amount, term_months) = (app.snapshot.amount(), app.snapshot.term_months());
    let result = db.execute(
        INSERT_APPLICATION,
        &[
            Value::from(app.id.to_string()),
            Value::from(app.customer_id.to_string()),
            Value::from(app.product.as_str()),
            Value::from(app.status.as_str()),
            Value::from(app.decision.status.as_str()),
            Value::Integer(app.decision.policy_version),
            Value::Integer(amount.minor_units),
            Value::from(amount.currency.code()),
            Value::Integer(i64::from(term_months)),
            Value::from(to_json(&app.snapshot)?),
            Value::from(to_json(&app.decision)?),
            Value::from(app.offer.as_ref().map(to_json).transpose()?),
            Value::from(app.offer.map(|o| o.expires_at.unix_millis())),
            Value::from(app.created_by.clone()),
            Value::Integer(app.created_at.unix_millis()),
            Value::Integer(app.updated_at.unix_millis()),
        ],
    );
    match result {
        Ok(_) => {}
        Err(e) if e.is_unique_violation("loan_applications.customer_id") => {
            return Err(InsertError::OpenApplicationExists);
        }
        Err(e) => return Err(e.into()),
    }
    insert_transition(db, &app.id, first, app.created_at)?;
    Ok(())
}

/// Appends a history entry recorded at `recorded_at`.
pub fn insert_transition(
    db: &dyn Database,
    id: &LoanApplicationId,
    t: &Transition,
    recorded_at: Timestamp,
) -> Result<(), StoreError> {
    db.execute(
        INSERT_TRANSITION,
        &[
            Value::from(id.to_string()),
            Value::from(t.from.map(ApplicationStatus::as_str)),
            Value::from(t.to.as_str()),
            Value::from(t.actor.clone()),
            Value::from(t.note.clone()),
            Value::Integer(t.at.unix_millis()),
            Value::Integer(recorded_at.unix_millis()),
        ],
    )?;
    Ok(())
}

/// Records as expired every offer of `customer_id` for `product` that lapsed by `now`.
/// Two statements: run inside the caller's transaction.
pub fn expire_lapsed(
    db: &dyn Database,
    customer_id: &CustomerId,
    product: LoanProduct,
    now: Timestamp,
) -> Result<(), StoreError> {
    let params = [
        Value::from(customer_id.to_string()),
        Value::from(product.as_str()),
        Value::Integer(now.unix_millis()),
    ];
    db.execute(RECORD_LAPSED, &params)?;
    db.execute(EXPIRE_LAPSED, &params)?;
    Ok(())
}

/// Application `id`, if it exists.
pub fn get(db: &dyn Database, id: &LoanApplicationId) -> Result<Option<Application>, StoreError> {
    let sql = format!("SELECT {APPLICATION_COLUMNS} FROM loan_applications WHERE id = ?");
    let rows = db.execute(&sql, &[Value::from(id.to_string())])?;
    rows.first().map(application).transpose()
}

/// The history of `id`, oldest first.
pub fn history(db: &dyn Database, id: &LoanApplicationId) -> Result<Vec<Transition>, StoreError> {
    let rows = db.execute(HISTORY, &[Value::from(id.to_string())])?;
    rows.iter()
        .map(|r| {
            Ok(Transition {
                from: r
                    .opt_str("from_status")?
                    .map(|s| parse(s, "status", ApplicationStatus::parse))
                    .transpose()?,
                to: parse(r.str("to_status")?, "status", ApplicationStatus::parse)?,
                actor: r.opt_str("actor")?.map(str::to_owned),
                note: r.opt_str("note")?.map(str::to_owned),
                at: Timestamp::from_unix_millis(r.i64("at")?),
            })
        })
        .collect()
}

/// Moves `id` from `expected_version` to `to` with `offer`; the new version, or `None`
/// when the stored version moved on (the caller's If-Match is stale).
pub fn update_status(
    db: &dyn Database,
    id: &LoanApplicationId,
    expected_version: i64,
    to: ApplicationStatus,
    offer: Option<&Offer>,
    now: Timestamp,
) -> Result<Option<i64>, StoreError> {
    let rows = db.execute(
        UPDATE_STATUS,
        &[
            Value::from(to.as_str()),
            Value::from(offer.map(to_json).transpose()?),
            Value::from(offer.map(|o| o.expires_at.unix_millis())),
            Value::Integer(now.unix_millis()),
            Value::from(id.to_string()),
            Value::Integer(expected_version),
        ],
    )?;
    rows.first().map(|r| r.i64("version")).transpose()
}

/// One page of applications matching `filter`, newest first, after the id `after`;
/// and whether more follow.
pub fn list(
    db: &dyn Database,
    filter: &Filter,
    after: Option<&str>,
    limit: u32,
    now: Timestamp,
) -> Result<(Vec<Application>, bool), StoreError> {
    let mut sql = format!("SELECT {APPLICATION_COLUMNS} FROM loan_applications WHERE 1 = 1");
    let mut params = Vec::new();
    if let Some(customer) = &filter.customer_id {
        sql.push_str(LIST_BY_CUSTOMER);
        params.push(Value::from(customer.to_string()));
    }
    if let Some(manager) = &filter.book {
        sql.push_str(" AND ");
        sql.push_str(crm_store::read::customers::IN_BOOK);
        params.push(Value::from(manager.clone()));
    }
    if let Some(product) = filter.product {
        sql.push_str(LIST_BY_PRODUCT);
        params.push(Value::from(product.as_str()));
    }
    match filter.status {
        None => {}
        Some(ApplicationStatus::Expired) => {
            sql.push_str(LIST_EXPIRED);
            params.push(Value::Integer(now.unix_millis()));
        }
        Some(s @ (ApplicationStatus::PreApproved | ApplicationStatus::Approved)) => {
            sql.push_str(LIST_BY_STORED_STATUS);
            params.push(Value::from(s.as_str()));
            sql.push_str(LIST_UNEXPIRED);
            params.push(Value::Integer(now.unix_millis()));
        }
        Some(s) => {
            sql.push_str(LIST_BY_STORED_STATUS);
            params.push(Value::from(s.as_str()));
        }
    }
    if let Some(after) = after {
        sql.push_str(LIST_AFTER);
        params.push(Value::from(after));
    }
    sql.push_str(LIST_ORDER);
    params.push(Value::Integer(i64::from(limit) + 1));
    let rows = db.execute(&sql, &params)?;
    let mut page = rows
        .iter()
        .map(application)
        .collect::<Result<Vec<_>, _>>()?;
    let more = page.len() > limit as usize;
    page.truncate(limit as usize);
    Ok((page, more))
}
