//! What may be read of the recommendations service's tables: the product catalogue and
//! a customer's feedback on earlier offers (the ranking engine in `crm-recommend` and,
//! through it, the profile's 360° view read them).

use crate::{Database, Row, StoreError, Value};

/// One catalogue row, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRow {
    /// `CARD_GOLD`.
    pub code: String,
    /// Display name.
    pub name: String,
    /// `card|savings|deposit|fund|insurance|loan`.
    pub category: String,
    /// 1–5.
    pub risk_level: i64,
    /// Youngest age.
    pub min_age: i64,
    /// Oldest age.
    pub max_age: i64,
    /// Least monthly income, minor units of `currency`.
    pub min_income_minor: i64,
    /// ISO 4217 code of `min_income_minor`.
    pub currency: String,
    /// Target segments; empty for every segment.
    pub segments: Vec<String>,
    /// `none|marketing|email|sms|push|phone`.
    pub requires_consent: String,
    /// Whether it is offered.
    pub active: bool,
    /// For loans: the loan product, typical amount (minor units), its currency and term.
    pub loan: Option<(String, i64, String, i64)>,
    /// Optimistic-concurrency version (the etag).
    pub version: i64,
    /// When it last changed (ms since the epoch).
    pub updated_at: i64,
}

/// The columns [`ProductRow`] is read from.
pub const PRODUCT_COLUMNS: &str = "code, name, category, risk_level, min_age, max_age,
    min_income_minor, currency, segments, requires_consent, active, loan_product,
    loan_amount_minor, loan_currency, loan_term_months, version, updated_at";

/// Decodes a row selected with [`PRODUCT_COLUMNS`].
pub fn product_row(r: &Row<'_>) -> Result<ProductRow, StoreError> {
    let loan = match r.opt_str("loan_product")? {
        Some(product) => Some((
            product.to_owned(),
            r.i64("loan_amount_minor")?,
            r.str("loan_currency")?.to_owned(),
            r.i64("loan_term_months")?,
        )),
        None => None,
    };
    Ok(ProductRow {
        code: r.str("code")?.to_owned(),
        name: r.str("name")?.to_owned(),
        category: r.str("category")?.to_owned(),
        risk_level: r.i64("risk_level")?,
        min_age: r.i64("min_age")?,
        max_age: r.i64("max_age")?,
        min_income_minor: r.i64("min_income_minor")?,
        currency: r.str("currency")?.to_owned(),
        segments: r
            .str("segments")?
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        requires_consent: r.str("requires_consent")?.to_owned(),
        active: r.i64("active")? != 0,
        loan,
        version: r.i64("version")?,
        updated_at: r.i64("updated_at")?,
    })
}

/// The whole catalogue, active or not, by code.
pub fn catalogue(db: &dyn Database) -> Result<Vec<ProductRow>, StoreError> {
    let sql = format!("SELECT {PRODUCT_COLUMNS} FROM recommendation_products ORDER BY code");
    let rows = db.execute(&sql, &[])?;
    rows.iter().map(|r| product_row(&r)).collect()
}

/// The product `code`, if the catalogue has it.
pub fn product(db: &dyn Database, code: &str) -> Result<Option<ProductRow>, StoreError> {
    let sql = format!("SELECT {PRODUCT_COLUMNS} FROM recommendation_products WHERE code = ?");
    let rows = db.execute(&sql, &[Value::from(code)])?;
    rows.first().map(|r| product_row(&r)).transpose()
}

/// Most feedback rows [`feedback_of`] returns.
pub const MAX_FEEDBACK: i64 = 1_000;

/// One recorded reaction to an offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedbackRow {
    /// The product offered.
    pub product_code: String,
    /// `shown|clicked|accepted|dismissed`.
    pub action: String,
    /// Where it was shown.
    pub channel: String,
    /// When (ms since the epoch).
    pub occurred_at: i64,
}

/// The feedback of `customer_id` since `since_ms`, newest first, at most `limit`
/// (capped at [`MAX_FEEDBACK`]).
pub fn feedback_of(
    db: &dyn Database,
    customer_id: &str,
    since_ms: i64,
    limit: i64,
) -> Result<Vec<FeedbackRow>, StoreError> {
    let rows = db.execute(
        "SELECT product_code, action, channel, occurred_at FROM recommendation_feedback
         WHERE customer_id = ? AND occurred_at >= ?
         ORDER BY occurred_at DESC, id DESC LIMIT ?",
        &[
            Value::from(customer_id),
            Value::Integer(since_ms),
            Value::Integer(limit.clamp(0, MAX_FEEDBACK)),
        ],
    )?;
    rows.iter()
        .map(|r| {
            Ok(FeedbackRow {
                product_code: r.str("product_code")?.to_owned(),
                action: r.str("action")?.to_owned(),
                channel: r.str("channel")?.to_owned(),
                occurred_at: r.i64("occurred_at")?,
            })
        })
        .collect()
}
