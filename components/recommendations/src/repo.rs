//! The recommendations tables (`recommendation_products`, `recommendation_feedback`):
//! the writes and the statistics query. Reads other services share live in
//! `crm_store::read::recommendations`.

use crm_domain::id::CustomerId;
use crm_domain::recommendation::{Channel, FeedbackAction, FeedbackId, Product};
use crm_domain::time::Timestamp;
use crm_store::{Database, StoreError, Value};

// One statement each: a create cannot overwrite a product another request just
// created, and a replace only lands on the version the caller read.
const INSERT_PRODUCT: &str = "INSERT INTO recommendation_products (code, name, category,
        risk_level, min_age, max_age, min_income_minor, currency, segments, requires_consent,
        active, loan_product, loan_amount_minor, loan_currency, loan_term_months, version,
        updated_at)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, 1, ?16)
    ON CONFLICT (code) DO NOTHING
    RETURNING version";

const UPDATE_PRODUCT: &str = "UPDATE recommendation_products SET name = ?2, category = ?3,
        risk_level = ?4, min_age = ?5, max_age = ?6, min_income_minor = ?7, currency = ?8,
        segments = ?9, requires_consent = ?10, active = ?11, loan_product = ?12,
        loan_amount_minor = ?13, loan_currency = ?14, loan_term_months = ?15,
        version = version + 1, updated_at = ?16
    WHERE code = ?1 AND version = ?17
    RETURNING version";

const INSERT_FEEDBACK: &str = "INSERT INTO recommendation_feedback
        (id, customer_id, product_code, action, channel, occurred_at, recorded_at)
    VALUES (?, ?, ?, ?, ?, ?, ?)";

const STATS: &str = "SELECT product_code,
        SUM(action = 'shown') AS shown, SUM(action = 'clicked') AS clicked,
        SUM(action = 'accepted') AS accepted, SUM(action = 'dismissed') AS dismissed
    FROM recommendation_feedback WHERE occurred_at >= ? AND occurred_at < ?
    GROUP BY product_code ORDER BY product_code";

fn product_params(p: &Product, now: Timestamp) -> Vec<Value> {
    let segments: Vec<&str> = p.segments.iter().map(|s| s.as_str()).collect();
    vec![
        Value::from(p.code.as_str()),
        Value::from(p.name.as_str()),
        Value::from(p.category.as_str()),
        Value::Integer(p.risk_level),
        Value::Integer(p.min_age),
        Value::Integer(p.max_age),
        Value::Integer(p.min_monthly_income.minor_units),
        Value::from(p.min_monthly_income.currency.code()),
        Value::from(segments.join(",")),
        Value::from(p.requires_consent.as_str()),
        Value::from(p.active),
        Value::from(p.loan.map(|l| l.product.as_str())),
        Value::from(p.loan.map(|l| l.amount.minor_units)),
        Value::from(p.loan.map(|l| l.amount.currency.code())),
        Value::from(p.loan.map(|l| i64::from(l.term_months))),
        Value::Integer(now.unix_millis()),
    ]
}

/// Creates `product`; `None` when its code exists already.
pub fn insert_product(
    db: &dyn Database,
    product: &Product,
    now: Timestamp,
) -> Result<Option<i64>, StoreError> {
    let rows = db.execute(INSERT_PRODUCT, &product_params(product, now))?;
    rows.first().map(|r| r.i64("version")).transpose()
}

/// Replaces `product` if it is still at `expected_version`; its new version, or `None`.
pub fn update_product(
    db: &dyn Database,
    product: &Product,
    expected_version: i64,
    now: Timestamp,
) -> Result<Option<i64>, StoreError> {
    let mut params = product_params(product, now);
    params.push(Value::Integer(expected_version));
    let rows = db.execute(UPDATE_PRODUCT, &params)?;
    rows.first().map(|r| r.i64("version")).transpose()
}

/// One reaction to record.
#[derive(Debug, Clone)]
pub struct NewFeedback<'a> {
    /// `rfb_…`.
    pub id: FeedbackId,
    /// The customer.
    pub customer_id: &'a CustomerId,
    /// The product offered.
    pub product_code: &'a str,
    /// What the customer did.
    pub action: FeedbackAction,
    /// Where.
    pub channel: Channel,
    /// When it happened.
    pub occurred_at: Timestamp,
}

/// Appends one feedback row.
pub fn insert_feedback(
    db: &dyn Database,
    f: &NewFeedback<'_>,
    now: Timestamp,
) -> Result<(), StoreError> {
    db.execute(
        INSERT_FEEDBACK,
        &[
            Value::from(f.id.to_string()),
            Value::from(f.customer_id.to_string()),
            Value::from(f.product_code),
            Value::from(f.action.as_str()),
            Value::from(f.channel.as_str()),
            Value::Integer(f.occurred_at.unix_millis()),
            Value::Integer(now.unix_millis()),
        ],
    )?;
    Ok(())
}

/// Feedback counts of one product over a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductStats {
    /// The product.
    pub product_code: String,
    /// Times shown.
    pub shown: i64,
    /// Times clicked.
    pub clicked: i64,
    /// Times accepted.
    pub accepted: i64,
    /// Times dismissed.
    pub dismissed: i64,
}

/// Counts per product of feedback that happened in `[from, to)`, by product code.
pub fn stats(
    db: &dyn Database,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<ProductStats>, StoreError> {
    let rows = db.execute(
        STATS,
        &[
            Value::Integer(from.unix_millis()),
            Value::Integer(to.unix_millis()),
        ],
    )?;
    rows.iter()
        .map(|r| {
            Ok(ProductStats {
                product_code: r.str("product_code")?.to_owned(),
                shown: r.i64("shown")?,
                clicked: r.i64("clicked")?,
                accepted: r.i64("accepted")?,
                dismissed: r.i64("dismissed")?,
            })
        })
        .collect()
}
