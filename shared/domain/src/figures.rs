//! What the figures managers ask for have in common: a rate is given with the counts
//! behind it, as a decimal string with four places, so no client divides by zero or
//! rounds a float differently.

/// `numerator / denominator` rounded half up to four places (`"0.3333"`), `None` when
/// there is nothing to divide by.
pub fn rate(numerator: i64, denominator: i64) -> Option<String> {
    if denominator <= 0 {
        return None;
    }
    let scaled =
        (i128::from(numerator) * 20_000 + i128::from(denominator)) / (2 * i128::from(denominator));
    Some(format!("{}.{:04}", scaled / 10_000, scaled % 10_000))
}

/// The nearest-rank `p`th percentile of `sorted` (ascending), `None` when empty.
pub fn percentile(sorted: &[i64], p: i64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p.clamp(0, 100) * sorted.len() as i64 + 99) / 100;
    sorted.get((rank.max(1) - 1) as usize).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_round_half_up_to_four_places_and_need_a_denominator() {
        assert_eq!(rate(1, 3).as_deref(), Some("0.3333"));
        assert_eq!(rate(2, 3).as_deref(), Some("0.6667"));
        assert_eq!(rate(1, 8).as_deref(), Some("0.1250"));
        assert_eq!(rate(3, 3).as_deref(), Some("1.0000"));
        assert_eq!(rate(5, 2).as_deref(), Some("2.5000"));
        assert_eq!(rate(1, 0), None);
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[7], 90), Some(7));
        let ten: Vec<i64> = (1..=10).collect();
        assert_eq!(
            (percentile(&ten, 50), percentile(&ten, 90)),
            (Some(5), Some(9))
        );
        assert_eq!(percentile(&[1, 2, 3], 50), Some(2));
    }
}
