//! The catalogue as the domain sees it: rows of `recommendation_products` decoded into
//! [`Product`] values.

use crm_domain::customer::Segment;
use crm_domain::loan::LoanProduct;
use crm_domain::money::{Currency, Money};
use crm_domain::recommendation::{Category, ConsentRequirement, LoanTerms, Product};
use crm_store::read::recommendations::{self, ProductRow};
use crm_store::{Database, StoreError};

fn parse<T>(text: &str, what: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T, StoreError> {
    parse(text).ok_or_else(|| StoreError::Decode(format!("{what} `{text}`")))
}

/// The product a stored row describes.
pub fn product_from_row(row: &ProductRow) -> Result<Product, StoreError> {
    let currency = parse(&row.currency, "currency", Currency::parse)?;
    let loan = match &row.loan {
        Some((product, amount, loan_currency, term)) => Some(LoanTerms {
            product: parse(product, "loan product", LoanProduct::parse)?,
            amount: Money::new(*amount, parse(loan_currency, "currency", Currency::parse)?),
            term_months: u32::try_from(*term)
                .map_err(|_| StoreError::Decode(format!("loan term {term}")))?,
        }),
        None => None,
    };
    Ok(Product {
        code: row.code.clone(),
        name: row.name.clone(),
        category: parse(&row.category, "category", Category::parse)?,
        risk_level: row.risk_level,
        min_age: row.min_age,
        max_age: row.max_age,
        min_monthly_income: Money::new(row.min_income_minor, currency),
        segments: row
            .segments
            .iter()
            .map(|s| parse(s, "segment", Segment::parse))
            .collect::<Result<_, _>>()?,
        requires_consent: parse(&row.requires_consent, "consent", ConsentRequirement::parse)?,
        active: row.active,
        loan,
    })
}

/// The whole catalogue, active or not, by code.
pub fn load_catalogue(db: &dyn Database) -> Result<Vec<Product>, StoreError> {
    recommendations::catalogue(db)?
        .iter()
        .map(product_from_row)
        .collect()
}

/// The product `code` and its version, if the catalogue has it.
pub fn load_product(db: &dyn Database, code: &str) -> Result<Option<(Product, i64)>, StoreError> {
    recommendations::product(db, code)?
        .map(|row| Ok((product_from_row(&row)?, row.version)))
        .transpose()
}
