//! What other services may read of the loans service's tables: a customer's loan
//! applications and where each stands, as signals for recommendations (do not offer a
//! loan the customer holds, is being decided on, or was just declined for) and for the
//! 360° view, without an HTTP call.

use crate::{Database, StoreError, Value};

/// Most applications [`loan_applications_of`] returns.
pub const MAX_SIGNALS: i64 = 100;

/// One loan application, as a signal for other services.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoanApplicationSignal {
    /// `lpa_…`.
    pub id: String,
    /// `personal|auto|mortgage|credit_card`.
    pub product: String,
    /// The status at `now_ms`: `pre_approved|referred|under_review|approved|declined|
    /// accepted|expired|withdrawn`, where an offer past its expiry reads `expired`.
    /// `accepted` means the customer took the loan; `declined` means it was refused.
    pub status: String,
    /// What the automated decision said: `pre_approved|referred|declined`.
    pub decision_status: String,
    /// The amount asked for, in minor units of `currency`.
    pub amount_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// When the application was made (ms since the epoch).
    pub created_at: i64,
    /// When its status last changed (ms since the epoch): "just declined" is recent here.
    pub updated_at: i64,
}

const APPLICATIONS_OF: &str = "SELECT id, product, decision_status, amount_minor, currency,
        created_at, updated_at,
        CASE WHEN status IN ('pre_approved','approved') AND expires_at <= ?2
             THEN 'expired' ELSE status END AS status
    FROM loan_applications WHERE customer_id = ?1
    ORDER BY id DESC LIMIT ?3";

/// The most recent applications of `customer_id` (newest first, at most `limit`, capped
/// at [`MAX_SIGNALS`]), with their status as it stands at `now_ms`.
pub fn loan_applications_of(
    db: &dyn Database,
    customer_id: &str,
    now_ms: i64,
    limit: i64,
) -> Result<Vec<LoanApplicationSignal>, StoreError> {
    let rows = db.execute(
        APPLICATIONS_OF,
        &[
            Value::from(customer_id),
            Value::Integer(now_ms),
            Value::Integer(limit.clamp(0, MAX_SIGNALS)),
        ],
    )?;
    rows.iter()
        .map(|r| {
            Ok(LoanApplicationSignal {
                id: r.str("id")?.to_owned(),
                product: r.str("product")?.to_owned(),
                status: r.str("status")?.to_owned(),
                decision_status: r.str("decision_status")?.to_owned(),
                amount_minor: r.i64("amount_minor")?,
                currency: r.str("currency")?.to_owned(),
                created_at: r.i64("created_at")?,
                updated_at: r.i64("updated_at")?,
            })
        })
        .collect()
}

const OPEN_APPLICATION: &str = "SELECT id FROM loan_applications
    WHERE customer_id = ?1 AND product = ?2
      AND (status IN ('referred','under_review')
           OR (status IN ('pre_approved','approved') AND expires_at > ?3))";

/// The id of the application of `customer_id` for `product` still awaiting an answer at
/// `now_ms` (at most one exists), or `None`.
pub fn open_loan_application(
    db: &dyn Database,
    customer_id: &str,
    product: &str,
    now_ms: i64,
) -> Result<Option<String>, StoreError> {
    let rows = db.execute(
        OPEN_APPLICATION,
        &[
            Value::from(customer_id),
            Value::from(product),
            Value::Integer(now_ms),
        ],
    )?;
    rows.first()
        .map(|r| r.str("id").map(str::to_owned))
        .transpose()
}

/// The customer a loan application belongs to, or `None` when `application_id` names
/// none (a task links to it only for the same customer).
pub fn application_customer(
    db: &dyn Database,
    application_id: &str,
) -> Result<Option<String>, StoreError> {
    let rows = db.execute(
        "SELECT customer_id FROM loan_applications WHERE id = ?",
        &[Value::from(application_id)],
    )?;
    rows.first()
        .map(|r| r.str("customer_id").map(str::to_owned))
        .transpose()
}

/// The credit policy in force: its version and its JSON document (as
/// `GET /v1/loans/policy` shows it), or `None` when no policy is stored.
pub fn current_policy_document(db: &dyn Database) -> Result<Option<(i64, String)>, StoreError> {
    let rows = db.execute(
        "SELECT version, document FROM loan_policies ORDER BY version DESC LIMIT 1",
        &[],
    )?;
    rows.first()
        .map(|r| Ok((r.i64("version")?, r.str("document")?.to_owned())))
        .transpose()
}

/// Monthly debt payments the bank knows of for a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthlyDebt {
    /// What the latest application declared as existing monthly debt (minor units).
    pub declared_minor: i64,
    /// Instalments of loans accepted since that application was made, itself included.
    pub accepted_since_minor: i64,
    /// ISO 4217 code of both.
    pub currency: String,
}

const MONTHLY_DEBT: &str = "WITH latest AS (
        SELECT created_at,
               json_extract(snapshot, '$.input.monthlyDebtPayments.amount') AS declared,
               json_extract(snapshot, '$.input.monthlyDebtPayments.currency') AS currency
        FROM loan_applications WHERE customer_id = ?1 ORDER BY id DESC LIMIT 1)
    SELECT declared, currency,
        (SELECT COALESCE(SUM(json_extract(a.offer, '$.monthlyPayment.amount')), 0)
           FROM loan_applications a
          WHERE a.customer_id = ?1 AND a.status = 'accepted'
            AND a.updated_at >= latest.created_at
            AND json_extract(a.offer, '$.monthlyPayment.currency') = latest.currency)
          AS accepted_since
    FROM latest";

/// The customer's monthly debt as loan applications reveal it: the latest declared debt
/// plus instalments of loans accepted since, or `None` without any application.
pub fn monthly_debt(
    db: &dyn Database,
    customer_id: &str,
) -> Result<Option<MonthlyDebt>, StoreError> {
    let rows = db.execute(MONTHLY_DEBT, &[Value::from(customer_id)])?;
    rows.first()
        .map(|r| {
            Ok(MonthlyDebt {
                declared_minor: r.opt_i64("declared")?.unwrap_or(0),
                accepted_since_minor: r.i64("accepted_since")?,
                currency: r.opt_str("currency")?.unwrap_or_default().to_owned(),
            })
        })
        .transpose()
}
