//! Epps-Singleton two-sample test (Evidently method `"es"`).
//!
//! Evidently 0.7 (`legacy/calculations/stattests/epps_singleton_stattest.py`) first raises
//! `ValueError` when the interquartile range of the pooled sample is zero, then reports
//! `scipy.stats.epps_singleton_2samp(reference, current)[1]` with the default
//! `t = (0.4, 0.8)`.

use nalgebra::{DMatrix, DVector};

use super::special::{chi2_sf, compensated_sum, quantile_linear_sorted, symmetric_pseudo_inverse};
use super::StatError;

/// Result of [`epps_singleton`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EppsSingletonOutcome {
    /// The statistic `W` (after the small-sample correction when it applies).
    pub statistic: f64,
    /// `P(chi^2_r > W)`.
    pub p_value: f64,
    /// Numerical rank `r` of the estimated covariance matrix: the chi-square degrees of
    /// freedom, `4` unless the data make the covariance singular (for example two distinct
    /// values only).
    pub rank: usize,
}

/// Evaluation points of the empirical characteristic function before scaling (Epps &
/// Singleton 1986 recommend `(0.4, 0.8)`; SciPy's default).
const EVALUATION_POINTS: [f64; 2] = [0.4, 0.8];

/// Minimum observations per sample (SciPy's requirement).
const MIN_OBSERVATIONS: usize = 5;

/// Epps-Singleton test of `reference` against `current` (Epps & Singleton 1986, "An omnibus
/// test for the two-sample problem using the empirical characteristic function", J. Stat.
/// Comput. Simul. 26; Goerg & Kaiser 2009, Stata Journal 9(3)), the p-value Evidently reports
/// for `"es"`; the same computation as `scipy.stats.epps_singleton_2samp` in SciPy 1.17.
///
/// * Scale: `sigma = IQR / 2` of the pooled sample (NumPy `linear` percentiles), the points
///   `t_j = (0.4, 0.8) / sigma`.
/// * For each observation `g(x) = (cos t_1 x, cos t_2 x, sin t_1 x, sin t_2 x)`; per sample
///   the mean `g_bar` and the biased (divide by `n`) covariance `S`.
/// * `Omega = (N / n_1) S_1 + (N / n_2) S_2`, `N = n_1 + n_2`; its pseudo-inverse `Omega^+`
///   and rank `r`, eigenvalues below `4 eps max|lambda|` treated as zero (the tolerance of
///   `numpy.linalg.pinv`/`matrix_rank` as SciPy calls them).
/// * `W = N (g_bar_1 - g_bar_2)^T Omega^+ (g_bar_1 - g_bar_2)`.
/// * Small-sample correction when **both** samples have fewer than 25 observations (SciPy:
///   `max(n_1, n_2) < 25`): `W *= 1 / (1 + N^-0.45 + 10.1 (n_1^-1.7 + n_2^-1.7))`.
/// * `p = P(chi^2_r > W)`.
///
/// Errors:
/// * an empty sample → [`StatError::EmptySample`];
/// * fewer than 5 observations in a sample → [`StatError::TooFewObservations`] (SciPy 1.17
///   returns NaN with a `SmallSampleWarning`, Evidently passes the NaN on);
/// * zero pooled IQR → [`StatError::Degenerate`] (Evidently raises `ValueError`);
/// * a zero covariance matrix (rank 0) whose samples still differ — both samples constant, at
///   different values — is not an error: `W = +inf`, `p = 0`. SciPy gets there through
///   rounding noise (its per-sample means of `n` equal features are off by an ulp, so its
///   "zero" covariance is ~1e-33 and `W` a meaningless ~1e32); its p-value is also `0`.
///   A zero covariance with equal characteristic functions → [`StatError::Degenerate`].
///
/// A constant sample gets its features' mean exactly and an exactly zero covariance.
///
/// Inputs must be finite and sorted ascending (the pooled quartiles come from one merge).
pub fn epps_singleton(
    reference: &[f64],
    current: &[f64],
) -> Result<EppsSingletonOutcome, StatError> {
    if reference.is_empty() {
        return Err(StatError::EmptySample("reference"));
    }
    if current.is_empty() {
        return Err(StatError::EmptySample("current"));
    }
    let smaller = reference.len().min(current.len());
    if smaller < MIN_OBSERVATIONS {
        return Err(StatError::TooFewObservations {
            method: "epps_singleton",
            needed: MIN_OBSERVATIONS,
            got: smaller,
        });
    }

    let pooled = merge_sorted(reference, current);
    let iqr = match (
        quantile_linear_sorted(&pooled, 0.75),
        quantile_linear_sorted(&pooled, 0.25),
    ) {
        (Some(q3), Some(q1)) => q3 - q1,
        _ => f64::NAN,
    };
    if iqr == 0.0 || !iqr.is_finite() {
        return Err(StatError::Degenerate(format!(
            "Epps-Singleton test needs a non-zero interquartile range of the pooled sample \
             (got {iqr}): the middle 50% of the data has no variability"
        )));
    }
    let sigma = iqr / 2.0;
    let scaled = EVALUATION_POINTS.map(|t| t / sigma);

    let (mean_ref, cov_ref) = ecf_moments(reference, &scaled);
    let (mean_cur, cov_cur) = ecf_moments(current, &scaled);
    let (n1, n2) = (reference.len() as f64, current.len() as f64);
    let n = n1 + n2;
    let omega = cov_ref * (n / n1) + cov_cur * (n / n2);
    let dim = omega.nrows();
    let Some((omega_pinv, rank)) = symmetric_pseudo_inverse(&omega, dim as f64 * f64::EPSILON)
    else {
        return Err(StatError::Degenerate(
            "Epps-Singleton covariance estimate is not finite".to_string(),
        ));
    };
    let diff = mean_ref - mean_cur;
    if rank == 0 {
        // Both samples constant (IQR > 0, so at different values): nothing varies within a
        // sample but the means differ, the limit of W is +inf.
        if diff.iter().any(|&d| d != 0.0) {
            return Ok(EppsSingletonOutcome {
                statistic: f64::INFINITY,
                p_value: 0.0,
                rank,
            });
        }
        return Err(StatError::Degenerate(
            "Epps-Singleton covariance estimate is zero and the samples' characteristic \
             functions agree at the evaluation points"
                .to_string(),
        ));
    }
    let mut statistic = n * diff.dot(&(&omega_pinv * &diff));
    if reference.len().max(current.len()) < 25 {
        let correction = 1.0 / (1.0 + n.powf(-0.45) + 10.1 * (n1.powf(-1.7) + n2.powf(-1.7)));
        statistic *= correction;
    }
    let p_value = chi2_sf(statistic, rank as f64);
    if p_value.is_nan() {
        return Err(StatError::Degenerate(format!(
            "Epps-Singleton p-value is not a number (W = {statistic}, rank {rank})"
        )));
    }
    Ok(EppsSingletonOutcome {
        statistic,
        p_value,
        rank,
    })
}

/// Mean vector and biased covariance matrix (divisor `n`) of the empirical
/// characteristic-function features `(cos t_1 x, cos t_2 x, sin t_1 x, sin t_2 x)`.
fn ecf_moments(sample: &[f64], scaled: &[f64; 2]) -> (DVector<f64>, DMatrix<f64>) {
    let features = |x: f64| -> [f64; 4] {
        let a = scaled[0] * x;
        let b = scaled[1] * x;
        [a.cos(), b.cos(), a.sin(), b.sin()]
    };
    let n = sample.len() as f64;
    if sample.iter().all(|&x| x == sample[0]) {
        // A constant sample: exact mean, exactly zero covariance (summing n equal terms and
        // dividing by n would leave rounding noise).
        return (
            DVector::from_row_slice(&features(sample[0])),
            DMatrix::zeros(4, 4),
        );
    }
    let mut mean = DVector::<f64>::zeros(4);
    for k in 0..4 {
        mean[k] = compensated_sum(sample.iter().map(|&x| features(x)[k])) / n;
    }
    let mut cov = DMatrix::<f64>::zeros(4, 4);
    for &x in sample {
        let g = features(x);
        let centred: [f64; 4] = std::array::from_fn(|k| g[k] - mean[k]);
        for i in 0..4 {
            for j in 0..=i {
                cov[(i, j)] += centred[i] * centred[j];
            }
        }
    }
    for i in 0..4 {
        for j in 0..=i {
            let v = cov[(i, j)] / n;
            cov[(i, j)] = v;
            cov[(j, i)] = v;
        }
    }
    (mean, cov)
}

/// Merge of two ascending slices into one ascending vector.
fn merge_sorted(a: &[f64], b: &[f64]) -> Vec<f64> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if b[j] < a[i] {
            out.push(b[j]);
            j += 1;
        } else {
            out.push(a[i]);
            i += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::special::numeric_b_fixture::{assert_parity, cases, number};

    #[test]
    fn matches_scipy_fixture() {
        for case in cases() {
            let want = &case.expected["epps_singleton"];
            let got = epps_singleton(&case.reference, &case.current);
            if want["error"].as_bool().unwrap() {
                assert!(
                    got.is_err(),
                    "{}: expected an error, got {got:?}",
                    case.name
                );
                continue;
            }
            let got = got.unwrap_or_else(|e| panic!("{}: unexpected error {e}", case.name));
            assert_parity(
                &case.name,
                "statistic",
                got.statistic,
                number(&want["statistic"]),
            );
            assert_parity(&case.name, "p_value", got.p_value, number(&want["p_value"]));
        }
    }

    #[test]
    fn errors() {
        assert_eq!(
            epps_singleton(&[], &[1.0; 5]),
            Err(StatError::EmptySample("reference"))
        );
        assert_eq!(
            epps_singleton(&[1.0; 5], &[]),
            Err(StatError::EmptySample("current"))
        );
        assert_eq!(
            epps_singleton(&[1.0, 2.0, 3.0, 4.0], &[1.0, 2.0, 3.0, 4.0, 5.0]),
            Err(StatError::TooFewObservations {
                method: "epps_singleton",
                needed: 5,
                got: 4
            })
        );
        assert!(matches!(
            epps_singleton(
                &[0.0, 1.0, 1.0, 1.0, 1.0, 1.0],
                &[1.0, 1.0, 1.0, 1.0, 1.0, 2.0]
            ),
            Err(StatError::Degenerate(_))
        ));
    }

    #[test]
    fn identical_samples_give_p_one() {
        let a: Vec<f64> = (0..40).map(|i| f64::from(i).sqrt()).collect();
        let r = epps_singleton(&a, &a).unwrap();
        assert_eq!(r.statistic, 0.0);
        assert_eq!(r.p_value, 1.0);
        assert_eq!(r.rank, 4);
    }

    #[test]
    fn two_distinct_values_give_rank_one() {
        let a = [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0];
        let b = [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0];
        let r = epps_singleton(&a, &b).unwrap();
        assert_eq!(r.rank, 1);
        assert!(r.p_value > 0.0 && r.p_value < 1.0);
    }

    #[test]
    fn extreme_finite_inputs_do_not_panic() {
        let samples = crate::stats::test_support::extreme_samples();
        for a in &samples {
            for b in &samples {
                let _ = epps_singleton(a, b);
            }
        }
    }
}
