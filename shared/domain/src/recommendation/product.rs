//! A catalogue product, the body that creates or replaces one, and its validation.

use super::{Category, ConsentRequirement, Invalid};
use crate::customer::{RiskTolerance, Segment};
use crate::loan::{LoanProduct, MAX_PRINCIPAL_MINOR, MAX_TERM_MONTHS};
use crate::money::Money;
use serde::{Deserialize, Serialize};

/// Longest product code.
pub const MAX_CODE_CHARS: usize = 40;
/// Longest product name.
pub const MAX_NAME_CHARS: usize = 100;
/// Oldest age a product range may name.
const MAX_AGE: i64 = 120;

/// The highest product risk level a customer with `tolerance` may be offered.
pub fn risk_limit(tolerance: RiskTolerance) -> i64 {
    match tolerance {
        RiskTolerance::Conservative => 1,
        RiskTolerance::Moderate => 2,
        RiskTolerance::Balanced => 3,
        RiskTolerance::Growth => 4,
        RiskTolerance::Aggressive => 5,
    }
}

/// Whether `code` is a product code: `A`–`Z` first, then `A`–`Z`, `0`–`9` or `_`, 2 to
/// [`MAX_CODE_CHARS`] characters (`CARD_GOLD`), the spelling of profile holdings.
pub fn valid_code(code: &str) -> bool {
    let bytes = code.as_bytes();
    (2..=MAX_CODE_CHARS).contains(&bytes.len())
        && bytes[0].is_ascii_uppercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
}

/// The loan a `loan` product stands for, priced with the loan policy to judge
/// affordability: a typical amount over a typical term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LoanTerms {
    /// The loan service's product it is sold as.
    pub product: LoanProduct,
    /// The typical amount offered.
    pub amount: Money,
    /// The typical term.
    pub term_months: u32,
}

/// A product of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Product {
    /// Stable code, as profile holdings name it (`CARD_GOLD`).
    pub code: String,
    /// Display name.
    pub name: String,
    /// What kind of product.
    pub category: Category,
    /// 1 (capital safe) to 5 (speculative).
    pub risk_level: i64,
    /// Youngest customer it may be offered to.
    pub min_age: i64,
    /// Oldest customer it may be offered to.
    pub max_age: i64,
    /// Least monthly income a customer needs.
    pub min_monthly_income: Money,
    /// Target segments; empty means every segment.
    pub segments: Vec<Segment>,
    /// Which consent an offer needs.
    pub requires_consent: ConsentRequirement,
    /// Whether it is offered at all.
    pub active: bool,
    /// The typical loan, for `loan` products (required for them, refused for others).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loan: Option<LoanTerms>,
}

/// The body of `PUT /v1/recommendations/products/{code}`: a whole product; `code` may be
/// omitted and must equal the path when present.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProductBody {
    /// Must equal the path's code when present.
    #[serde(default)]
    pub code: Option<String>,
    /// Display name.
    pub name: String,
    /// What kind of product.
    pub category: Category,
    /// 1 to 5.
    pub risk_level: i64,
    /// Youngest customer, 0–120.
    pub min_age: i64,
    /// Oldest customer, `minAge`–120.
    pub max_age: i64,
    /// Least monthly income, ≥ 0.
    pub min_monthly_income: Money,
    /// Target segments, no repeats; empty means every segment.
    #[serde(default)]
    pub segments: Vec<Segment>,
    /// Which consent an offer needs.
    pub requires_consent: ConsentRequirement,
    /// Whether it is offered; true when absent.
    #[serde(default = "yes")]
    pub active: bool,
    /// The typical loan, for `loan` products.
    #[serde(default)]
    pub loan: Option<LoanTerms>,
}

fn yes() -> bool {
    true
}

impl ProductBody {
    /// The product stored under `code`, or every invalid field at once.
    pub fn validate(self, code: &str) -> Result<Product, Vec<Invalid>> {
        let mut errors = Vec::new();
        if !valid_code(code) {
            errors.push(Invalid::new(
                "code",
                format!("must be 2 to {MAX_CODE_CHARS} of A-Z, 0-9 and _, starting with a letter"),
            ));
        }
        if let Some(body_code) = &self.code
            && body_code != code
        {
            errors.push(Invalid::new("code", "must equal the code in the path"));
        }
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
            errors.push(Invalid::new(
                "name",
                format!("must be 1 to {MAX_NAME_CHARS} characters"),
            ));
        } else if name.chars().any(char::is_control) {
            errors.push(Invalid::new("name", "must not contain control characters"));
        }
        if !(1..=5).contains(&self.risk_level) {
            errors.push(Invalid::new("riskLevel", "must be from 1 to 5"));
        }
        if !(0..=MAX_AGE).contains(&self.min_age) {
            errors.push(Invalid::new(
                "minAge",
                format!("must be from 0 to {MAX_AGE}"),
            ));
        }
        if !(0..=MAX_AGE).contains(&self.max_age) {
            errors.push(Invalid::new(
                "maxAge",
                format!("must be from 0 to {MAX_AGE}"),
            ));
        } else if self.max_age < self.min_age {
            errors.push(Invalid::new("maxAge", "must not be below minAge"));
        }
        if !(0..=MAX_PRINCIPAL_MINOR).contains(&self.min_monthly_income.minor_units) {
            errors.push(Invalid::new(
                "minMonthlyIncome.amount",
                format!("must be from 0 to {MAX_PRINCIPAL_MINOR} minor units"),
            ));
        }
        for (i, segment) in self.segments.iter().enumerate() {
            if self.segments[..i].contains(segment) {
                errors.push(Invalid::new(format!("segments[{i}]"), "is listed twice"));
            }
        }
        match (self.category, &self.loan) {
            (Category::Loan, None) => {
                errors.push(Invalid::new("loan", "is required for a loan product"));
            }
            (Category::Loan, Some(loan)) => {
                if !(1..=MAX_PRINCIPAL_MINOR).contains(&loan.amount.minor_units) {
                    errors.push(Invalid::new(
                        "loan.amount.amount",
                        format!("must be from 1 to {MAX_PRINCIPAL_MINOR} minor units"),
                    ));
                }
                if !(1..=MAX_TERM_MONTHS).contains(&loan.term_months) {
                    errors.push(Invalid::new(
                        "loan.termMonths",
                        format!("must be from 1 to {MAX_TERM_MONTHS}"),
                    ));
                }
            }
            (_, Some(_)) => {
                errors.push(Invalid::new(
                    "loan",
                    "is only for products of category loan",
                ));
            }
            (_, None) => {}
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Product {
            code: code.to_owned(),
            name: name.to_owned(),
            category: self.category,
            risk_level: self.risk_level,
            min_age: self.min_age,
            max_age: self.max_age,
            min_monthly_income: self.min_monthly_income,
            segments: self.segments,
            requires_consent: self.requires_consent,
            active: self.active,
            loan: if self.category == Category::Loan {
                self.loan
            } else {
                None
            },
        })
    }
}

impl Product {
    /// The body that would store this product again (for round trips and tests).
    pub fn body(&self) -> ProductBody {
        ProductBody {
            code: Some(self.code.clone()),
            name: self.name.clone(),
            category: self.category,
            risk_level: self.risk_level,
            min_age: self.min_age,
            max_age: self.max_age,
            min_monthly_income: self.min_monthly_income,
            segments: self.segments.clone(),
            requires_consent: self.requires_consent,
            active: self.active,
            loan: self.loan,
        }
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::fuzz::{any_text, text_near};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn no_string_panics_the_product_code_check(code in text_near("[A-Z][A-Z0-9_]{1,31}")) {
            if valid_code(&code) {
                prop_assert!(code.is_ascii());
            }
        }

        #[test]
        fn no_text_panics_the_product_validator(
            code in text_near("[A-Z][A-Z0-9_]{1,31}"),
            body_code in proptest::option::of(any_text()),
            name in any_text(),
        ) {
            let body = serde_json::from_value::<ProductBody>(serde_json::json!({
                "code": body_code,
                "name": name,
                "category": "card",
                "riskLevel": 1,
                "minAge": 18,
                "maxAge": 80,
                "minMonthlyIncome": {"amount": 0, "currency": "CNY"},
                "requiresConsent": "marketing",
            }))
            .expect("every value has the right JSON type");
            let _ = body.validate(&code);
        }

        #[test]
        fn no_subject_panics_the_category_keywords(subject in any_text()) {
            let _ = crate::recommendation::Category::mentioned_in(&subject);
        }
    }
}
