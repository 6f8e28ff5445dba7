//! Evidently's `g_test` drift test (`g_stattest.py`): the log-likelihood-ratio (G) test,
//! `scipy.stats.power_divergence(f_obs, f_exp, lambda_="log-likelihood")`.
//!
//! * `G = Σ 2 · O_i · ln(O_i / E_i)` (a term with `O_i = 0` is 0, scipy's `xlogy`);
//! * p-value `P(χ²_{k-1} > G)`.
//!
//! **Difference from Evidently.** Evidently passes the raw reference counts as the expected
//! frequencies. scipy requires observed and expected totals to agree (relative tolerance
//! `sqrt(eps)`), so Evidently raises `ValueError` whenever the two samples differ in size.
//! Here the expected counts are scaled to the current sample size as in Evidently's
//! `chisquare` test: `E_i = R_i · (n_cur / n_ref)`. For equal sizes the factor is exactly 1 and
//! the result equals Evidently's.

use super::binning::present_categories;
use super::chisquare::chi2_sf;
use super::StatError;

/// G-test p-value for aligned category counts, with expected counts `reference · n_cur / n_ref`.
///
/// Categories zero on both sides are ignored; a category seen only in the current sample makes
/// `G = +inf` and `p = 0` (as scipy). A single category gives [`StatError::Degenerate`]
/// (0 degrees of freedom; scipy returns NaN); an empty side gives [`StatError::EmptySample`].
pub fn g_test_scaled(reference: &[u64], current: &[u64]) -> Result<f64, StatError> {
    let (reference, current) = present_categories(reference, current)?;
    if reference.len() < 2 {
        return Err(StatError::Degenerate(
            "G-test needs at least two categories (0 degrees of freedom)".to_string(),
        ));
    }
    let n_ref: u64 = reference.iter().sum();
    let n_cur: u64 = current.iter().sum();
    let k_norm = n_cur as f64 / n_ref as f64;
    let statistic: f64 = reference
        .iter()
        .zip(&current)
        .map(|(&r, &c)| {
            if c == 0 {
                0.0
            } else {
                let observed = c as f64;
                2.0 * (observed * (observed / (r as f64 * k_norm)).ln())
            }
        })
        .sum();
    Ok(chi2_sf(statistic, (reference.len() - 1) as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 + 1e-9 * b.abs()
    }

    #[test]
    fn equal_sizes_match_scipy() {
        // scipy.stats.power_divergence([30, 50, 20], [40, 40, 20], lambda_="log-likelihood")
        let p = g_test_scaled(&[40, 40, 20], &[30, 50, 20]).unwrap();
        assert!(close(p, 0.07992109910614109), "{p}");
    }

    #[test]
    fn unequal_sizes_are_scaled() {
        // scipy.stats.power_divergence([10, 20, 30], [30, 18, 12], lambda_="log-likelihood"),
        // i.e. expected = [50, 30, 20] * 60 / 100
        let p = g_test_scaled(&[50, 30, 20], &[10, 20, 30]).unwrap();
        assert!(close(p, 8.276800281239214e-09), "{p}");
    }

    #[test]
    fn special_cases() {
        assert_eq!(g_test_scaled(&[5, 0], &[5, 1]).unwrap(), 0.0);
        assert!(matches!(
            g_test_scaled(&[4], &[4]),
            Err(StatError::Degenerate(_))
        ));
    }
}
