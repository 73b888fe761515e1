//! Money as integer minor units of an ISO 4217 currency. Never a float.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The ISO 4217 currencies the bank books in; a closed set so that a typo is an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Currency {
    /// Chinese yuan.
    #[serde(rename = "CNY")]
    Cny,
    /// Hong Kong dollar.
    #[serde(rename = "HKD")]
    Hkd,
    /// US dollar.
    #[serde(rename = "USD")]
    Usd,
    /// Euro.
    #[serde(rename = "EUR")]
    Eur,
    /// Pound sterling.
    #[serde(rename = "GBP")]
    Gbp,
    /// Singapore dollar.
    #[serde(rename = "SGD")]
    Sgd,
    /// Japanese yen (no minor unit).
    #[serde(rename = "JPY")]
    Jpy,
}

impl Currency {
    /// Every supported currency, for validation messages and documentation.
    pub const ALL: [Currency; 7] = [
        Currency::Cny,
        Currency::Hkd,
        Currency::Usd,
        Currency::Eur,
        Currency::Gbp,
        Currency::Sgd,
        Currency::Jpy,
    ];

    /// The three-letter ISO 4217 code.
    pub fn code(self) -> &'static str {
        match self {
            Currency::Cny => "CNY",
            Currency::Hkd => "HKD",
            Currency::Usd => "USD",
            Currency::Eur => "EUR",
            Currency::Gbp => "GBP",
            Currency::Sgd => "SGD",
            Currency::Jpy => "JPY",
        }
    }

    /// Parses a three-letter code; only upper case is accepted, as ISO 4217 writes it.
    pub fn parse(code: &str) -> Option<Currency> {
        Currency::ALL.into_iter().find(|c| c.code() == code)
    }

    /// Digits after the decimal point (ISO 4217 exponent): 2 for CNY, 0 for JPY.
    pub fn minor_unit_digits(self) -> u32 {
        match self {
            Currency::Jpy => 0,
            _ => 2,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An amount of money: `{"amount": 1250000, "currency": "CNY"}` is 12,500.00 CNY.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Money {
    /// Integer minor units (fen, cents); negative for debits where a field allows it.
    #[serde(rename = "amount")]
    pub minor_units: i64,
    /// The currency the amount is in.
    pub currency: Currency,
}

/// Why a money operation was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoneyError {
    /// The two amounts are in different currencies; we never convert implicitly.
    CurrencyMismatch(Currency, Currency),
    /// The result does not fit in 64 bits of minor units.
    Overflow,
}

impl fmt::Display for MoneyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MoneyError::CurrencyMismatch(a, b) => write!(f, "cannot combine {a} with {b}"),
            MoneyError::Overflow => write!(f, "amount out of range"),
        }
    }
}

impl std::error::Error for MoneyError {}

impl Money {
    /// An amount in minor units of `currency`.
    pub fn new(minor_units: i64, currency: Currency) -> Self {
        Money {
            minor_units,
            currency,
        }
    }

    /// Zero in `currency`.
    pub fn zero(currency: Currency) -> Self {
        Money::new(0, currency)
    }

    /// Sum of two amounts in the same currency, refusing overflow.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.minor_units
            .checked_add(other.minor_units)
            .map(|m| Money::new(m, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    /// Difference of two amounts in the same currency, refusing overflow.
    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.minor_units
            .checked_sub(other.minor_units)
            .map(|m| Money::new(m, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    /// True when the amount is strictly greater than zero.
    pub fn is_positive(self) -> bool {
        self.minor_units > 0
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }
}

impl fmt::Display for Money {
    /// Formats as `12500.00 CNY`, for humans and logs of non-sensitive amounts.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.currency.minor_unit_digits();
        let sign = if self.minor_units < 0 { "-" } else { "" };
        let abs = self.minor_units.unsigned_abs();
        if digits == 0 {
            return write!(f, "{sign}{abs} {}", self.currency);
        }
        let scale = 10u64.pow(digits);
        write!(
            f,
            "{sign}{}.{:0width$} {}",
            abs / scale,
            abs % scale,
            self.currency,
            width = digits as usize
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_serializes_as_integer_minor_units_and_a_code() {
        let m = Money::new(1_250_000, Currency::Cny);
        let json = serde_json::to_string(&m).expect("serializes");
        assert_eq!(json, r#"{"amount":1250000,"currency":"CNY"}"#);
        assert_eq!(serde_json::from_str::<Money>(&json).expect("parses"), m);
    }

    #[test]
    fn a_fractional_amount_is_rejected() {
        assert!(serde_json::from_str::<Money>(r#"{"amount":12.5,"currency":"CNY"}"#).is_err());
    }

    #[test]
    fn an_unknown_or_lower_case_currency_is_rejected() {
        assert!(serde_json::from_str::<Money>(r#"{"amount":1,"currency":"XYZ"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"amount":1,"currency":"cny"}"#).is_err());
        assert_eq!(Currency::parse("cny"), None);
        assert_eq!(Currency::parse("CNY"), Some(Currency::Cny));
    }

    #[test]
    fn an_unknown_field_in_money_is_rejected() {
        let json = r#"{"amount":1,"currency":"CNY","scale":2}"#;
        assert!(serde_json::from_str::<Money>(json).is_err());
    }

    #[test]
    fn adding_different_currencies_is_refused() {
        let cny = Money::new(100, Currency::Cny);
        let usd = Money::new(100, Currency::Usd);
        assert_eq!(
            cny.checked_add(usd),
            Err(MoneyError::CurrencyMismatch(Currency::Cny, Currency::Usd))
        );
    }

    #[test]
    fn overflow_is_an_error_not_a_wrap() {
        let max = Money::new(i64::MAX, Currency::Cny);
        assert_eq!(
            max.checked_add(Money::new(1, Currency::Cny)),
            Err(MoneyError::Overflow)
        );
        let min = Money::new(i64::MIN, Currency::Cny);
        assert_eq!(
            min.checked_sub(Money::new(1, Currency::Cny)),
            Err(MoneyError::Overflow)
        );
    }

    #[test]
    fn sums_and_differences_stay_exact() {
        let a = Money::new(10, Currency::Cny);
        let b = Money::new(20, Currency::Cny);
        assert_eq!(a.checked_add(b), Ok(Money::new(30, Currency::Cny)));
        assert_eq!(a.checked_sub(b), Ok(Money::new(-10, Currency::Cny)));
        assert!(!Money::zero(Currency::Cny).is_positive());
    }

    #[test]
    fn display_uses_the_currency_exponent() {
        assert_eq!(
            Money::new(1_250_005, Currency::Cny).to_string(),
            "12500.05 CNY"
        );
        assert_eq!(Money::new(-5, Currency::Usd).to_string(), "-0.05 USD");
        assert_eq!(Money::new(1200, Currency::Jpy).to_string(), "1200 JPY");
        assert_eq!(
            Money::new(i64::MIN, Currency::Eur).to_string(),
            "-92233720368547758.08 EUR"
        );
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::fuzz::text_near;
    use proptest::prelude::*;

    const CODES: &str = "(CNY|HKD|USD|EUR|GBP|SGD|JPY)";

    proptest! {
        #[test]
        fn no_string_panics_the_currency_parser(text in text_near(CODES)) {
            if let Some(currency) = Currency::parse(&text) {
                prop_assert_eq!(currency.code(), text.as_str());
            }
        }

        #[test]
        fn no_json_text_panics_the_money_parser(
            amount in text_near("-?[0-9]{1,20}(\\.[0-9]{1,3})?"),
            currency in text_near(CODES),
        ) {
            let body = format!(r#"{{"amount":{amount},"currency":"{currency}"}}"#);
            let _ = serde_json::from_str::<Money>(&body);
            let _ = serde_json::from_value::<Currency>(serde_json::Value::String(currency));
        }

        #[test]
        fn money_arithmetic_and_display_never_panic(
            a in any::<i64>(),
            b in any::<i64>(),
            x in 0..Currency::ALL.len(),
            y in 0..Currency::ALL.len(),
        ) {
            let (a, b) = (Money::new(a, Currency::ALL[x]), Money::new(b, Currency::ALL[y]));
            let _ = a.checked_add(b);
            let _ = a.checked_sub(b);
            let _ = a.to_string();
        }
    }
}
