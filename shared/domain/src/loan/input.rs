//! What callers send: an application (or a quote) and a workflow transition, checked
//! field by field so that one 422 lists every problem.

use super::amortization::{MAX_PRINCIPAL_MINOR, MAX_TERM_MONTHS};
use super::policy::{MAX_SCORE, MIN_SCORE};
use super::{ApplicationStatus, EmploymentStatus, Invalid, LoanProduct};
use crate::id::CustomerId;
use crate::money::Money;
use serde::{Deserialize, Serialize};

/// Longest `purpose`.
pub const MAX_PURPOSE_CHARS: usize = 200;
/// Longest transition `note`.
pub const MAX_NOTE_CHARS: usize = 1_000;
/// Longest employment history we accept (60 years).
pub const MAX_EMPLOYMENT_MONTHS: i64 = 720;

/// The body of `POST /v1/loans/applications` and `POST /v1/loans/quote`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ApplicationRequest {
    /// The applicant.
    pub customer_id: CustomerId,
    /// The product applied for.
    pub product: LoanProduct,
    /// The amount asked for.
    pub amount: Money,
    /// The term asked for.
    pub term_months: i64,
    /// What the loan is for, in the customer's words.
    pub purpose: String,
    /// Net monthly income.
    pub monthly_income: Money,
    /// Existing monthly debt payments.
    pub monthly_debt_payments: Money,
    /// Credit bureau score, 300–850.
    pub credit_score: i64,
    /// Employment situation.
    pub employment_status: EmploymentStatus,
    /// Months in the current job (or business).
    pub employment_months: i64,
}

/// A checked application: every value in range, every amount in one currency. This is
/// the input part of the snapshot a decision is replayed from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ApplicationInput {
    /// The applicant.
    pub customer_id: CustomerId,
    /// The product applied for.
    pub product: LoanProduct,
    /// The amount asked for (positive).
    pub amount: Money,
    /// The term asked for, 1..=480.
    pub term_months: u32,
    /// What the loan is for (trimmed, 1..=200 characters).
    pub purpose: String,
    /// Net monthly income (≥ 0).
    pub monthly_income: Money,
    /// Existing monthly debt payments (≥ 0).
    pub monthly_debt_payments: Money,
    /// Credit bureau score, 300..=850.
    pub credit_score: i64,
    /// Employment situation.
    pub employment_status: EmploymentStatus,
    /// Months in the current job, 0..=720.
    pub employment_months: i64,
}

/// A free-text field: trimmed, within `max` characters, no control characters.
fn text(value: &str, field: &str, max: usize, errors: &mut Vec<Invalid>) -> Option<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() || trimmed.chars().count() > max {
        errors.push(Invalid::new(
            field,
            format!("must be 1 to {max} characters"),
        ));
        return None;
    }
    if trimmed.chars().any(|c| c.is_control() && c != '\n') {
        errors.push(Invalid::new(field, "must not contain control characters"));
        return None;
    }
    Some(trimmed.to_owned())
}

fn money(m: Money, field: &str, min: i64, errors: &mut Vec<Invalid>) {
    if !(min..=MAX_PRINCIPAL_MINOR).contains(&m.minor_units) {
        errors.push(Invalid::new(
            format!("{field}.amount"),
            format!("must be from {min} to {MAX_PRINCIPAL_MINOR} minor units"),
        ));
    }
}

impl ApplicationRequest {
    /// The checked input, or every invalid field. Who submits it is the caller's token
    /// subject, never a body member.
    pub fn validate(self) -> Result<ApplicationInput, Vec<Invalid>> {
        let mut errors = Vec::new();
        money(self.amount, "amount", 1, &mut errors);
        money(self.monthly_income, "monthlyIncome", 0, &mut errors);
        money(
            self.monthly_debt_payments,
            "monthlyDebtPayments",
            0,
            &mut errors,
        );
        for (field, m) in [
            ("monthlyIncome", self.monthly_income),
            ("monthlyDebtPayments", self.monthly_debt_payments),
        ] {
            if m.currency != self.amount.currency {
                errors.push(Invalid::new(
                    format!("{field}.currency"),
                    format!("must be the currency of amount ({})", self.amount.currency),
                ));
            }
        }
        let term = u32::try_from(self.term_months)
            .ok()
            .filter(|t| (1..=MAX_TERM_MONTHS).contains(t));
        if term.is_none() {
            errors.push(Invalid::new(
                "termMonths",
                format!("must be from 1 to {MAX_TERM_MONTHS}"),
            ));
        }
        let purpose = text(&self.purpose, "purpose", MAX_PURPOSE_CHARS, &mut errors);
        if !(MIN_SCORE..=MAX_SCORE).contains(&self.credit_score) {
            errors.push(Invalid::new(
                "creditScore",
                format!("must be from {MIN_SCORE} to {MAX_SCORE}"),
            ));
        }
        if !(0..=MAX_EMPLOYMENT_MONTHS).contains(&self.employment_months) {
            errors.push(Invalid::new(
                "employmentMonths",
                format!("must be from 0 to {MAX_EMPLOYMENT_MONTHS}"),
            ));
        }
        match (term, purpose, errors.is_empty()) {
            (Some(term_months), Some(purpose), true) => Ok(ApplicationInput {
                customer_id: self.customer_id,
                product: self.product,
                amount: self.amount,
                term_months,
                purpose,
                monthly_income: self.monthly_income,
                monthly_debt_payments: self.monthly_debt_payments,
                credit_score: self.credit_score,
                employment_status: self.employment_status,
                employment_months: self.employment_months,
            }),
            _ => Err(errors),
        }
    }
}

/// The body of `POST /v1/loans/applications/{id}/transitions`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TransitionRequest {
    /// The state to move to.
    pub to: ApplicationStatus,
    /// Why; required when an underwriter approves or declines.
    #[serde(default)]
    pub note: Option<String>,
}

/// A checked transition request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionCommand {
    /// The state to move to.
    pub to: ApplicationStatus,
    /// Why (trimmed).
    pub note: Option<String>,
    /// Who: the caller's token subject.
    pub actor: String,
}

impl TransitionRequest {
    /// The checked command for a move by `actor` (the authenticated caller), or every
    /// invalid field.
    pub fn validate(self, actor: &str) -> Result<TransitionCommand, Vec<Invalid>> {
        let mut errors = Vec::new();
        let note = match self.note.as_deref() {
            Some(n) => text(n, "note", MAX_NOTE_CHARS, &mut errors),
            None => None,
        };
        let needs_note = matches!(
            self.to,
            ApplicationStatus::Approved | ApplicationStatus::Declined
        );
        if needs_note && self.note.is_none() {
            errors.push(Invalid::new(
                "note",
                format!("is required to move an application to {}", self.to),
            ));
        }
        if errors.is_empty() {
            Ok(TransitionCommand {
                to: self.to,
                note,
                actor: actor.to_owned(),
            })
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(overrides: serde_json::Value) -> ApplicationRequest {
        let mut body = json!({
            "customerId": "cus_01KAT0000000000000000000AB",
            "product": "personal",
            "amount": {"amount": 10_000_000, "currency": "CNY"},
            "termMonths": 36,
            "purpose": "  home renovation ",
            "monthlyIncome": {"amount": 2_000_000, "currency": "CNY"},
            "monthlyDebtPayments": {"amount": 100_000, "currency": "CNY"},
            "creditScore": 720,
            "employmentStatus": "employed",
            "employmentMonths": 48
        });
        if let (Some(body), Some(extra)) = (body.as_object_mut(), overrides.as_object()) {
            for (k, v) in extra {
                body.insert(k.clone(), v.clone());
            }
        }
        serde_json::from_value(body).expect("well-formed")
    }

    #[test]
    fn a_valid_request_becomes_a_trimmed_input() {
        let input = request(json!({"purpose": " home renovation "}))
            .validate()
            .expect("valid");
        assert_eq!(input.purpose, "home renovation");
        assert_eq!(input.term_months, 36);
    }

    #[test]
    fn every_out_of_range_field_is_reported_at_once() {
        let errors = request(json!({
            "amount": {"amount": 0, "currency": "CNY"},
            "termMonths": 481,
            "purpose": "   ",
            "monthlyIncome": {"amount": -1, "currency": "USD"},
            "monthlyDebtPayments": {"amount": -5, "currency": "CNY"},
            "creditScore": 299,
            "employmentMonths": 721
        }))
        .validate()
        .expect_err("invalid");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "amount.amount",
                "monthlyIncome.amount",
                "monthlyDebtPayments.amount",
                "monthlyIncome.currency",
                "termMonths",
                "purpose",
                "creditScore",
                "employmentMonths"
            ]
        );
    }

    #[test]
    fn score_and_term_edges_are_inclusive() {
        assert!(
            request(json!({"creditScore": 300, "termMonths": 1}))
                .validate()
                .is_ok()
        );
        assert!(
            request(json!({"creditScore": 850, "termMonths": 480}))
                .validate()
                .is_ok()
        );
        assert!(request(json!({"creditScore": 851})).validate().is_err());
        assert!(request(json!({"termMonths": 0})).validate().is_err());
    }

    #[test]
    fn an_unknown_field_or_product_does_not_parse() {
        let body = json!({"customerId": "cus_01KAT0000000000000000000AB", "product": "boat"});
        assert!(serde_json::from_value::<ApplicationRequest>(body).is_err());
        let mut full = serde_json::to_value(request(json!({})).validate().expect("valid"))
            .expect("serializes");
        full["bonus"] = 1.into();
        assert!(serde_json::from_value::<ApplicationRequest>(full).is_err());
    }

    #[test]
    fn an_approval_or_decline_needs_a_note_and_no_body_names_who_acts() {
        let t = |v: serde_json::Value| -> TransitionRequest {
            serde_json::from_value(v).expect("well-formed")
        };
        let errors = t(json!({"to": "approved"}))
            .validate("u1")
            .expect_err("invalid");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["note"]);
        let ok = t(json!({"to": "accepted"}))
            .validate("cus-app")
            .expect("valid");
        assert_eq!((ok.note, ok.actor.as_str()), (None, "cus-app"));
        let long = "x".repeat(MAX_NOTE_CHARS + 1);
        assert!(
            t(json!({"to": "declined", "note": long}))
                .validate("u1")
                .is_err()
        );
        assert!(
            serde_json::from_value::<TransitionRequest>(json!({"to": "accepted", "actor": "x"}))
                .is_err(),
            "a body naming who acts does not parse"
        );
    }

    mod properties {
        use super::*;
        use crate::fuzz::any_text;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn no_text_or_number_panics_the_application_validator(
                purpose in any_text(),
                numbers in proptest::array::uniform6(any::<i64>()),
                currency in proptest::sample::select(vec!["CNY", "USD", "JPY"]),
            ) {
                let [amount, term, income, debt, score, months] = numbers;
                let parsed = serde_json::from_value::<ApplicationRequest>(json!({
                    "customerId": "cus_01KAT0000000000000000000AB",
                    "product": "personal",
                    "amount": {"amount": amount, "currency": currency},
                    "termMonths": term,
                    "purpose": purpose,
                    "monthlyIncome": {"amount": income, "currency": "CNY"},
                    "monthlyDebtPayments": {"amount": debt, "currency": "CNY"},
                    "creditScore": score,
                    "employmentStatus": "employed",
                    "employmentMonths": months,
                }));
                let request = parsed.expect("every value has the right JSON type");
                let _ = request.validate();
            }

            #[test]
            fn no_text_panics_the_transition_validator(
                note in proptest::option::of(any_text()),
                actor in any_text(),
                to in 0..ApplicationStatus::ALL.len(),
            ) {
                let request = TransitionRequest { to: ApplicationStatus::ALL[to], note };
                let _ = request.validate(&actor);
            }
        }
    }
}
