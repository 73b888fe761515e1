//! The level-payment (annuity) formula in integer minor units, exactly.
//!
//! With monthly rate `r = annualRateBps / 120 000` the exact instalment is
//! `P·r·(1+r)ⁿ / ((1+r)ⁿ − 1)`. Writing `q = 120 000`, `A = (q+b)ⁿ`, `B = qⁿ`, it is the
//! rational `P·b·A / (q·(A−B))`, which we evaluate with arbitrary-precision integers
//! (`(q+b)ⁿ` has about 17·n bits) so no float and no fixed-point drift touches money.
//!
//! Rounding: the instalment is that exact value rounded **half up to the nearest minor
//! unit** (what published amortisation tables show: 100,000.00 at 6 % over 360 months
//! is 599.55). At zero interest it is `P / n`, rounded the same way. The total
//! repayable is `instalment × n`; the schedule's last instalment absorbs the rounding
//! difference, which is less than `n / 2` minor units.

use std::cmp::Ordering;

/// `q`: twelve months of 10 000 basis points, the denominator of the monthly rate.
const MONTHLY_DENOMINATOR: u64 = 120_000;
/// The highest annual rate the formula accepts (100 %).
pub const MAX_ANNUAL_RATE_BPS: i64 = 10_000;
/// The longest term the formula accepts (40 years).
pub const MAX_TERM_MONTHS: u32 = 480;
/// The largest principal the formula accepts (100 billion major units).
pub const MAX_PRINCIPAL_MINOR: i64 = 10_000_000_000_000;

/// Why an instalment cannot be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmortizationError {
    /// The principal is not in 1..=[`MAX_PRINCIPAL_MINOR`].
    Principal,
    /// The rate is not in 0..=[`MAX_ANNUAL_RATE_BPS`].
    Rate,
    /// The term is not in 1..=[`MAX_TERM_MONTHS`].
    Term,
}

impl std::fmt::Display for AmortizationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AmortizationError::Principal => write!(f, "principal out of range"),
            AmortizationError::Rate => write!(f, "annual rate out of range"),
            AmortizationError::Term => write!(f, "term out of range"),
        }
    }
}

impl std::error::Error for AmortizationError {}

/// The instalments of one rate and term, ready to price any principal: the big powers
/// are computed once, so a counter-offer search over amounts stays cheap.
#[derive(Debug, Clone)]
pub struct Annuity {
    term_months: u32,
    rate_bps: u64,
    /// `(q+b)ⁿ`; unused at zero interest.
    growth: Nat,
    /// `(q+b)ⁿ − qⁿ`; unused at zero interest.
    spread: Nat,
}

impl Annuity {
    /// The annuity of `annual_rate_bps` over `term_months`.
    pub fn new(annual_rate_bps: i64, term_months: u32) -> Result<Annuity, AmortizationError> {
        if !(0..=MAX_ANNUAL_RATE_BPS).contains(&annual_rate_bps) {
            return Err(AmortizationError::Rate);
        }
        if !(1..=MAX_TERM_MONTHS).contains(&term_months) {
            return Err(AmortizationError::Term);
        }
        let rate_bps = annual_rate_bps as u64;
        let (growth, spread) = if rate_bps == 0 {
            (Nat::from(0), Nat::from(0))
        } else {
            let growth = Nat::pow(MONTHLY_DENOMINATOR + rate_bps, term_months);
            let base = Nat::pow(MONTHLY_DENOMINATOR, term_months);
            let spread = growth.sub(&base);
            (growth, spread)
        };
        Ok(Annuity {
            term_months,
            rate_bps,
            growth,
            spread,
        })
    }

    /// The term this annuity prices.
    pub fn term_months(&self) -> u32 {
        self.term_months
    }

    /// The monthly instalment for `principal_minor`, rounded half up to a minor unit.
    pub fn payment(&self, principal_minor: i64) -> Result<i64, AmortizationError> {
        if !(1..=MAX_PRINCIPAL_MINOR).contains(&principal_minor) {
            return Err(AmortizationError::Principal);
        }
        let p = principal_minor as u64;
        let n = u64::from(self.term_months);
        if self.rate_bps == 0 {
            return Ok(((2 * p + n) / (2 * n)) as i64);
        }
        // round_half_up(P·b·A / (q·D)) = floor((2·P·b·A + q·D) / (2·q·D)).
        let numerator = self
            .growth
            .mul_small(2 * p * self.rate_bps)
            .add(&self.spread.mul_small(MONTHLY_DENOMINATOR));
        let denominator = self.spread.mul_small(2 * MONTHLY_DENOMINATOR);
        let fits = |m: u64| denominator.mul_small(m).cmp(&numerator) != Ordering::Greater;
        // The instalment never exceeds one month's interest plus the whole principal,
        // so the quotient lies in 0..=P·(1 + b/q) + 1 < 2P + 1. A floating-point
        // estimate lands within a unit or two of it; exact comparisons then step to
        // the quotient, so the float only saves work and never decides the amount.
        // Should the estimate ever be off by more, the bounded search decides.
        let upper = 2 * p + 1;
        let mut q = estimate(p, self.rate_bps, n).min(upper);
        for _ in 0..ESTIMATE_STEPS {
            if !fits(q) {
                q -= 1;
            } else if q < upper && fits(q + 1) {
                q += 1;
            } else {
                return Ok(q as i64);
            }
        }
        Ok(search(upper, fits) as i64)
    }
}

/// How far from the floating-point estimate the exact stepping goes before searching.
const ESTIMATE_STEPS: u32 = 8;

/// The instalment by the textbook floating-point formula, rounded half up: only a
/// starting point for the exact comparison.
fn estimate(principal: u64, rate_bps: u64, months: u64) -> u64 {
    let r = rate_bps as f64 / MONTHLY_DENOMINATOR as f64;
    let n = i32::try_from(months).unwrap_or(i32::MAX);
    let payment = principal as f64 * r / (1.0 - (1.0 + r).powi(-n));
    if payment.is_finite() && payment >= 0.0 {
        (payment + 0.5) as u64
    } else {
        0
    }
}

/// The largest `m` in `0..=upper` with `fits(m)`, for a monotone `fits` true at 0.
fn search(upper: u64, fits: impl Fn(u64) -> bool) -> u64 {
    let (mut low, mut high) = (0u64, upper);
    while low < high {
        let mid = low + (high - low).div_ceil(2);
        if fits(mid) {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    low
}

/// The monthly instalment of a level-payment loan (see the module documentation for
/// the formula and its rounding).
pub fn monthly_payment(
    principal_minor: i64,
    annual_rate_bps: i64,
    term_months: u32,
) -> Result<i64, AmortizationError> {
    Annuity::new(annual_rate_bps, term_months)?.payment(principal_minor)
}

/// A natural number in little-endian 64-bit limbs: just the operations the annuity
/// formula needs, so no big-integer crate lands in every component.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Nat(Vec<u64>);

impl Nat {
    fn from(value: u64) -> Nat {
        Nat(vec![value])
    }

    fn pow(base: u64, exponent: u32) -> Nat {
        // Multiplies by the largest power of `base` that fits in a limb at a time:
        // (120 000 + b)³ does, so a 360-month term takes 120 passes instead of 360.
        let mut result = Nat::from(1);
        let mut left = exponent;
        while left > 0 {
            let (mut factor, mut used) = (base, 1);
            while used < left {
                match factor.checked_mul(base) {
                    Some(bigger) => {
                        factor = bigger;
                        used += 1;
                    }
                    None => break,
                }
            }
            result = result.mul_small(factor);
            left -= used;
        }
        result
    }

    fn mul_small(&self, factor: u64) -> Nat {
        let mut limbs = Vec::with_capacity(self.0.len() + 1);
        let mut carry: u128 = 0;
        for &limb in &self.0 {
            let product = u128::from(limb) * u128::from(factor) + carry;
            limbs.push(product as u64);
            carry = product >> 64;
        }
        if carry > 0 {
            limbs.push(carry as u64);
        }
        Nat(limbs).normalised()
    }

    fn add(&self, other: &Nat) -> Nat {
        let len = self.0.len().max(other.0.len());
        let mut limbs = Vec::with_capacity(len + 1);
        let mut carry = false;
        for i in 0..len {
            let a = self.0.get(i).copied().unwrap_or(0);
            let b = other.0.get(i).copied().unwrap_or(0);
            let (sum, c1) = a.overflowing_add(b);
            let (sum, c2) = sum.overflowing_add(u64::from(carry));
            limbs.push(sum);
            carry = c1 || c2;
        }
        if carry {
            limbs.push(1);
        }
        Nat(limbs).normalised()
    }

    /// `self − other`; callers guarantee `self ≥ other` (here `(q+b)ⁿ ≥ qⁿ`).
    fn sub(&self, other: &Nat) -> Nat {
        let mut limbs = Vec::with_capacity(self.0.len());
        let mut borrow = false;
        for (i, &a) in self.0.iter().enumerate() {
            let b = other.0.get(i).copied().unwrap_or(0);
            let (diff, b1) = a.overflowing_sub(b);
            let (diff, b2) = diff.overflowing_sub(u64::from(borrow));
            limbs.push(diff);
            borrow = b1 || b2;
        }
        Nat(limbs).normalised()
    }

    fn normalised(mut self) -> Nat {
        while self.0.len() > 1 && self.0.last() == Some(&0) {
            self.0.pop();
        }
        self
    }

    fn cmp(&self, other: &Nat) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_table_values_are_reproduced_to_the_minor_unit() {
        // (principal, annual rate bps, months, instalment) from standard mortgage and
        // consumer-loan tables.
        let cases = [
            (10_000_000, 600, 360, 59_955), // 100,000 at 6 % over 30 years: 599.55
            (20_000_000, 650, 360, 126_414), // 200,000 at 6.5 % over 30 years: 1,264.14
            (1_000_000, 500, 36, 29_971),   // 10,000 at 5 % over 3 years: 299.71
            (10_000_000, 750, 60, 200_379), // 100,000 at 7.5 % over 5 years: 2,003.79
            (30_000_000, 890, 36, 952_596), // 300,000 at 8.9 % over 3 years: 9,525.96
        ];
        for (principal, rate, months, expected) in cases {
            assert_eq!(
                monthly_payment(principal, rate, months),
                Ok(expected),
                "{principal} at {rate} bps over {months}"
            );
        }
    }

    #[test]
    fn a_one_month_term_repays_principal_plus_one_month_of_interest() {
        assert_eq!(monthly_payment(100_000, 1_200, 1), Ok(101_000));
        assert_eq!(monthly_payment(1, 1_200, 1), Ok(1));
    }

    #[test]
    fn zero_interest_splits_the_principal_rounded_half_up() {
        assert_eq!(monthly_payment(100_000, 0, 3), Ok(33_333));
        assert_eq!(monthly_payment(100_001, 0, 2), Ok(50_001));
        assert_eq!(monthly_payment(5, 0, 10), Ok(1));
        assert_eq!(monthly_payment(4, 0, 10), Ok(0));
        assert_eq!(monthly_payment(120_000, 0, 1), Ok(120_000));
    }

    #[test]
    fn a_tiny_rate_approaches_the_zero_interest_split() {
        // 0.01 % a year on 12,000.00 adds about P·r·(n+1)/(2n) = 5.4 minor units.
        let zero = monthly_payment(1_200_000, 0, 12).expect("valid");
        let tiny = monthly_payment(1_200_000, 1, 12).expect("valid");
        assert_eq!(zero, 100_000);
        assert_eq!(tiny, 100_005);
    }

    #[test]
    fn the_instalment_grows_with_the_principal_and_the_rate_and_falls_with_the_term() {
        let base = monthly_payment(5_000_000, 900, 48).expect("valid");
        assert!(monthly_payment(5_000_100, 900, 48).expect("valid") >= base);
        assert!(monthly_payment(5_000_000, 901, 48).expect("valid") >= base);
        assert!(monthly_payment(5_000_000, 900, 49).expect("valid") <= base);
    }

    #[test]
    fn the_extremes_of_every_range_compute_without_overflow() {
        let most = monthly_payment(MAX_PRINCIPAL_MINOR, MAX_ANNUAL_RATE_BPS, MAX_TERM_MONTHS)
            .expect("valid");
        // At 100 % a year over 40 years the instalment is the interest, P/12, within
        // far less than a minor unit.
        assert_eq!(most, MAX_PRINCIPAL_MINOR / 12);
        assert!(monthly_payment(MAX_PRINCIPAL_MINOR, 0, MAX_TERM_MONTHS).is_ok());
        assert!(monthly_payment(1, 1, MAX_TERM_MONTHS).is_ok());
    }

    #[test]
    fn out_of_range_inputs_are_refused() {
        assert_eq!(
            monthly_payment(0, 500, 12),
            Err(AmortizationError::Principal)
        );
        assert_eq!(
            monthly_payment(MAX_PRINCIPAL_MINOR + 1, 500, 12),
            Err(AmortizationError::Principal)
        );
        assert_eq!(monthly_payment(100, -1, 12), Err(AmortizationError::Rate));
        assert_eq!(
            monthly_payment(100, MAX_ANNUAL_RATE_BPS + 1, 12),
            Err(AmortizationError::Rate)
        );
        assert_eq!(monthly_payment(100, 500, 0), Err(AmortizationError::Term));
        assert_eq!(
            monthly_payment(100, 500, MAX_TERM_MONTHS + 1),
            Err(AmortizationError::Term)
        );
    }

    #[test]
    fn the_estimate_and_step_path_agrees_with_the_exact_search_everywhere() {
        // The bounded search alone is the reference: the float estimate may only
        // change how fast the answer is found, never the answer.
        for principal in [
            1i64,
            7,
            99_999,
            10_000_000,
            987_654_321,
            MAX_PRINCIPAL_MINOR,
        ] {
            for rate in [1i64, 7, 450, 1_999, 6_000, MAX_ANNUAL_RATE_BPS] {
                for months in [1u32, 2, 12, 59, 120, 359, 360, MAX_TERM_MONTHS] {
                    let annuity = Annuity::new(rate, months).expect("in range");
                    let (p, b, n) = (principal as u64, rate as u64, u64::from(months));
                    let numerator = annuity
                        .growth
                        .mul_small(2 * p * b)
                        .add(&annuity.spread.mul_small(MONTHLY_DENOMINATOR));
                    let denominator = annuity.spread.mul_small(2 * MONTHLY_DENOMINATOR);
                    let exact = search(2 * p + 1, |m| {
                        denominator.mul_small(m).cmp(&numerator) != Ordering::Greater
                    });
                    assert_eq!(
                        annuity.payment(principal),
                        Ok(exact as i64),
                        "{principal} at {rate} bps over {months} months (estimate {})",
                        estimate(p, b, n)
                    );
                }
            }
        }
    }

    #[test]
    fn powers_by_chunks_equal_powers_by_single_factors() {
        for (base, exponent) in [
            (120_000u64, 0u32),
            (120_000, 1),
            (120_450, 2),
            (130_000, 361),
        ] {
            let mut one_by_one = Nat::from(1);
            for _ in 0..exponent {
                one_by_one = one_by_one.mul_small(base);
            }
            assert_eq!(Nat::pow(base, exponent), one_by_one, "{base}^{exponent}");
        }
    }

    #[test]
    fn the_exact_rounding_agrees_with_a_rational_reference_on_many_cases() {
        // Reference: the same rational computed with u128 where it fits (short terms).
        for principal in [1, 99, 12_345, 1_000_000, 987_654_321] {
            for rate in [1, 250, 999, 1_800, 5_000] {
                for months in [1u32, 2, 3, 4] {
                    let (q, b, p) = (120_000u128, rate as u128, principal as u128);
                    let a = (q + b).pow(months);
                    let d = a - q.pow(months);
                    let expected = (2 * p * b * a + q * d) / (2 * q * d);
                    assert_eq!(
                        monthly_payment(principal, rate, months),
                        Ok(expected as i64),
                        "{principal} {rate} {months}"
                    );
                }
            }
        }
    }
}
