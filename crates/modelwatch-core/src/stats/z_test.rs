//! Evidently's `z` drift test: a two-proportion z-test (`z_stattest.py`).
//!
//! Evidently sorts the categories seen in either sample, and codes each observation 0 if it
//! equals the first key and 1 otherwise (so with more than two categories it tests "first
//! category" against "all the others"). With `p1`, `p2` the shares of ones:
//!
//! * pooled share `P = (p1·n1 + p2·n2) / (n1 + n2)`;
//! * `z = (p1 - p2) / sqrt(P (1 - P) (1/n1 + 1/n2))`;
//! * two-sided p-value `2 (1 - Φ(|z|))`.
//!
//! When both samples hold one and the same single value Evidently returns `p = 1` without
//! computing `z`.

use statrs::function::erf::{erf, erfc};

use super::binning::present_categories;
use super::StatError;

/// Standard normal CDF with the branch structure of Cephes `ndtr` (used by `scipy.special.ndtr`
/// and so by `scipy.stats.norm.cdf`): `0.5 + 0.5 erf(x/√2)` near zero, `1 - 0.5 erfc(|x|/√2)`
/// in the upper tail.
fn normal_cdf(a: f64) -> f64 {
    let x = a * std::f64::consts::FRAC_1_SQRT_2;
    let z = x.abs();
    if z < std::f64::consts::FRAC_1_SQRT_2 {
        0.5 + 0.5 * erf(x)
    } else {
        let y = 0.5 * erfc(z);
        if x > 0.0 {
            1.0 - y
        } else {
            y
        }
    }
}

/// Evidently's `z` p-value for aligned category counts, categories in ascending order (index 0
/// of the categories present on either side is Evidently's `keys[0]`; categories that are zero
/// on both sides are ignored).
///
/// The p-value is computed as Evidently does, `2 * (1 - Φ(|z|))`, not with the upper tail
/// directly: `1 - Φ(|z|)` rounds to exactly 0 once `Φ(|z|)` rounds to 1, so every `|z|` above
/// about 8.3 gives `p = 0` (a tail-accurate `erfc` would give a tiny positive number). We keep
/// the rounding for parity; it changes no drift decision.
///
/// Both samples holding one and the same single category give `p = 1` (Evidently's special
/// case). An empty side gives [`StatError::EmptySample`].
pub fn z_test_proportions(reference: &[u64], current: &[u64]) -> Result<f64, StatError> {
    let (reference, current) = present_categories(reference, current)?;
    let ref_present = reference.iter().filter(|&&c| c > 0).count();
    let cur_present = current.iter().filter(|&&c| c > 0).count();
    if reference.len() == 1 && ref_present == 1 && cur_present == 1 {
        return Ok(1.0);
    }
    let n1: u64 = reference.iter().sum();
    let n2: u64 = current.iter().sum();
    let (n1f, n2f) = (n1 as f64, n2 as f64);
    let p1 = (n1 - reference[0]) as f64 / n1f;
    let p2 = (n2 - current[0]) as f64 / n2f;
    let pooled = (p1 * n1f + p2 * n2f) / (n1 + n2) as f64;
    let z = (p1 - p2) / (pooled * (1.0 - pooled) * (1.0 / n1f + 1.0 / n2f)).sqrt();
    Ok(2.0 * (1.0 - normal_cdf(z.abs())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 + 1e-9 * b.abs()
    }

    #[test]
    fn two_categories_match_evidently() {
        // Evidently _z_stat_test on ['a']*30+['b']*70 vs ['a']*45+['b']*55
        let p = z_test_proportions(&[30, 70], &[45, 55]).unwrap();
        assert!(close(p, 0.02845973691631065), "{p}");
    }

    #[test]
    fn identical_single_value_is_one() {
        assert_eq!(z_test_proportions(&[0, 12], &[0, 7]).unwrap(), 1.0);
    }

    #[test]
    fn disjoint_single_values() {
        // z is large: p underflows to exactly 0 as in Evidently
        assert_eq!(z_test_proportions(&[100, 0], &[0, 100]).unwrap(), 0.0);
    }

    #[test]
    fn empty_is_error() {
        assert_eq!(
            z_test_proportions(&[0, 0], &[1, 1]),
            Err(StatError::EmptySample("reference"))
        );
    }
}
