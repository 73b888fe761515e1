//! What other services may read about a customer.

use crate::{Database, StoreError, Value};
use crm_domain::customer::CustomerStatus;

/// The lifecycle status of a customer as stored, or `None` when no such customer
/// exists. Services that act for a customer answer 404 for `None` and refuse to act for
/// [`CustomerStatus::Erased`].
pub fn customer_status(
    db: &dyn Database,
    customer_id: &str,
) -> Result<Option<CustomerStatus>, StoreError> {
    let rows = db.execute(
        "SELECT status FROM customers WHERE id = ?",
        &[Value::from(customer_id)],
    )?;
    rows.first()
        .map(|r| {
            let status = r.str("status")?;
            CustomerStatus::parse(status)
                .ok_or_else(|| StoreError::Decode(format!("customer status `{status}`")))
        })
        .transpose()
}

/// A list's condition for "in this relationship manager's book", for lists of other
/// services' rows that carry a `customer_id` (bind the manager's id).
pub const IN_BOOK: &str =
    "customer_id IN (SELECT id FROM customers WHERE relationship_manager_id = ?)";

/// The relationship manager of `customer_id`: `None` when there is no such customer,
/// `Some(None)` when no manager is assigned.
pub fn relationship_manager_of(
    db: &dyn Database,
    customer_id: &str,
) -> Result<Option<Option<String>>, StoreError> {
    let rows = db.execute(
        "SELECT relationship_manager_id FROM customers WHERE id = ?",
        &[Value::from(customer_id)],
    )?;
    rows.first()
        .map(|r| Ok(r.opt_str("relationship_manager_id")?.map(str::to_owned)))
        .transpose()
}

/// The facts about a customer that other services decide on (suitability, hard
/// declines), as stored by the customer-profile service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerSnapshot {
    /// `active|dormant|closed|erased`.
    pub status: String,
    /// `pending|verified|rejected|expired`.
    pub kyc_status: String,
    /// `retail|mass_affluent|private|sme`.
    pub segment: String,
    /// `standard|priority|wealth`.
    pub value_tier: String,
    /// `conservative|moderate|balanced|growth|aggressive`.
    pub risk_tolerance: String,
    /// `YYYY-MM-DD`; `None` once erased.
    pub date_of_birth: Option<String>,
}

/// The decision-relevant facts about `customer_id`, or `None` when no such customer exists.
pub fn customer_snapshot(
    db: &dyn Database,
    customer_id: &str,
) -> Result<Option<CustomerSnapshot>, StoreError> {
    let rows = db.execute(
        "SELECT status, kyc_status, segment, value_tier, risk_tolerance, date_of_birth
         FROM customers WHERE id = ?",
        &[Value::from(customer_id)],
    )?;
    rows.first()
        .map(|r| {
            Ok(CustomerSnapshot {
                status: r.str("status")?.to_owned(),
                kyc_status: r.str("kyc_status")?.to_owned(),
                segment: r.str("segment")?.to_owned(),
                value_tier: r.str("value_tier")?.to_owned(),
                risk_tolerance: r.str("risk_tolerance")?.to_owned(),
                date_of_birth: r.opt_str("date_of_birth")?.map(str::to_owned),
            })
        })
        .transpose()
}

/// What the profile document says that offers are judged on, beyond the snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OfferFacts {
    /// Monthly income in minor units of `income_currency`, when recorded.
    pub monthly_income_minor: Option<i64>,
    /// ISO 4217 code of the income.
    pub income_currency: Option<String>,
    /// Credit bureau score, when recorded.
    pub credit_score: Option<i64>,
    /// `employed|self_employed|unemployed|retired|student`, when recorded.
    pub employment_status: Option<String>,
    /// Codes of the products held.
    pub holdings: Vec<String>,
    /// Marketing channels (`email|sms|push|phone`) the customer agreed to.
    pub marketing_consent: Vec<String>,
}

// The unit separator cannot occur in a product code or channel name.
const OFFER_FACTS: &str = "SELECT
    json_extract(document, '$.monthlyIncome.amount') AS income_minor,
    json_extract(document, '$.monthlyIncome.currency') AS income_currency,
    json_extract(document, '$.creditScore') AS credit_score,
    json_extract(document, '$.employmentStatus') AS employment_status,
    (SELECT group_concat(json_extract(h.value, '$.productCode'), char(31))
       FROM json_each(document, '$.holdings') h) AS holdings,
    (SELECT group_concat(m.key, char(31)) FROM json_each(document, '$.consent.marketing') m
       WHERE json_extract(m.value, '$.granted') = 1) AS consent
  FROM customers WHERE id = ? AND status <> 'erased'";

fn split(text: Option<&str>) -> Vec<String> {
    text.map(|t| {
        t.split('\u{1f}')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    })
    .unwrap_or_default()
}

/// Income, score, employment, holdings and granted marketing consent of `customer_id`
/// from its profile document, or `None` when unknown or erased. A field the document
/// lacks is `None` or empty.
pub fn offer_facts(db: &dyn Database, customer_id: &str) -> Result<Option<OfferFacts>, StoreError> {
    let rows = db.execute(OFFER_FACTS, &[Value::from(customer_id)])?;
    rows.first()
        .map(|r| {
            Ok(OfferFacts {
                monthly_income_minor: r.opt_i64("income_minor")?,
                income_currency: r.opt_str("income_currency")?.map(str::to_owned),
                credit_score: r.opt_i64("credit_score")?,
                employment_status: r.opt_str("employment_status")?.map(str::to_owned),
                holdings: split(r.opt_str("holdings")?),
                marketing_consent: split(r.opt_str("consent")?),
            })
        })
        .transpose()
}
