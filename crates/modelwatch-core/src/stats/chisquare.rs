//! Evidently's `chisquare` drift test (`chisquare_stattest.py`).
//!
//! Evidently compares the current category counts with the reference counts rescaled to the
//! current sample size and calls `scipy.stats.chisquare(f_obs, f_exp)`:
//!
//! * expected `E_i = R_i * (n_cur / n_ref)`, observed `O_i = C_i`;
//! * Pearson statistic `X² = Σ (O_i - E_i)² / E_i`;
//! * p-value `P(χ²_{k-1} > X²)`, the chi-square survival function with `k - 1` degrees of
//!   freedom (`scipy.special.chdtrc(k - 1, X²)` = `Q((k - 1)/2, X²/2)`, the regularized upper
//!   incomplete gamma function).

use statrs::function::gamma::checked_gamma_ur;

use super::binning::present_categories;
use super::StatError;

/// Survival function of the chi-square distribution, `Q(dof / 2, x / 2)` (regularized upper
/// incomplete gamma function, as `scipy.special.chdtrc`). `x = +inf` gives 0, `x <= 0` gives 1.
pub(crate) fn chi2_sf(x: f64, dof: f64) -> f64 {
    if x.is_nan() || dof.is_nan() || dof <= 0.0 {
        return f64::NAN;
    }
    if x == f64::INFINITY {
        return 0.0;
    }
    if x <= 0.0 {
        return 1.0;
    }
    checked_gamma_ur(dof / 2.0, x / 2.0).unwrap_or(f64::NAN)
}

/// Evidently's `chisquare` p-value for aligned category counts.
///
/// `reference[i]` and `current[i]` count the same category. Categories that are zero on both
/// sides are ignored (they do not exist in Evidently's key set). A category seen only in the
/// current sample has expected count 0 and observed count > 0: its term is `+inf`, so the
/// statistic is infinite and the p-value is exactly 0, as scipy returns.
///
/// Errors: an empty side gives [`StatError::EmptySample`]; a single category gives
/// [`StatError::Degenerate`], since the test then has 0 degrees of freedom (scipy, and so
/// Evidently, returns NaN there).
pub fn chisquare_scaled(reference: &[u64], current: &[u64]) -> Result<f64, StatError> {
    let (reference, current) = present_categories(reference, current)?;
    if reference.len() < 2 {
        return Err(StatError::Degenerate(
            "chi-square needs at least two categories (0 degrees of freedom)".to_string(),
        ));
    }
    let n_ref: u64 = reference.iter().sum();
    let n_cur: u64 = current.iter().sum();
    let k_norm = n_cur as f64 / n_ref as f64;
    let statistic: f64 = reference
        .iter()
        .zip(&current)
        .map(|(&r, &c)| {
            let expected = r as f64 * k_norm;
            let diff = c as f64 - expected;
            diff * diff / expected
        })
        .sum();
    Ok(chi2_sf(statistic, (reference.len() - 1) as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 + 1e-6 * b.abs()
    }

    #[test]
    fn matches_scipy_equal_sizes() {
        // scipy.stats.chisquare([30, 50, 20], [40, 40, 20]).pvalue
        let p = chisquare_scaled(&[40, 40, 20], &[30, 50, 20]).unwrap();
        assert!(close(p, 0.0820849986238988), "{p}");
    }

    #[test]
    fn matches_scipy_scaled() {
        // scipy.stats.chisquare([10, 20, 30], [x * 60 / 100 for x in [50, 30, 20]]).pvalue
        let p = chisquare_scaled(&[50, 30, 20], &[10, 20, 30]).unwrap();
        assert!(close(p, 1.5612519932662934e-09), "{p}");
    }

    #[test]
    fn new_category_gives_zero() {
        assert_eq!(chisquare_scaled(&[5, 5, 0], &[5, 5, 1]).unwrap(), 0.0);
    }

    #[test]
    fn zero_zero_categories_ignored() {
        let a = chisquare_scaled(&[40, 0, 40, 20], &[30, 0, 50, 20]).unwrap();
        let b = chisquare_scaled(&[40, 40, 20], &[30, 50, 20]).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn degenerate_and_empty() {
        assert!(matches!(
            chisquare_scaled(&[5], &[3]),
            Err(StatError::Degenerate(_))
        ));
        assert_eq!(
            chisquare_scaled(&[0, 0], &[1, 2]),
            Err(StatError::EmptySample("reference"))
        );
        assert!(chisquare_scaled(&[1, 2], &[1]).is_err());
    }
}
