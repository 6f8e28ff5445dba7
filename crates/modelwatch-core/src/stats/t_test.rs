//! Student's two-sample t-test with pooled variance (Evidently method `"t_test"`).
//!
//! Evidently 0.7 (`legacy/calculations/stattests/t_test.py`) reports
//! `scipy.stats.ttest_ind(reference, current)[1]`: the two-sided p-value of the classic
//! equal-variance test (`equal_var=True`, no trimming).

use super::special::{compensated_sum, students_t_two_sided_p};
use super::StatError;

/// Result of [`t_test_ind`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TTestOutcome {
    /// `t = (mean_ref - mean_cur) / sqrt(s_p^2 (1/n_ref + 1/n_cur))`; `±inf` when both samples
    /// are constant with different values.
    pub statistic: f64,
    /// Two-sided p-value `P(|T| >= |t|)`, `T ~ Student t(n_ref + n_cur - 2)`.
    pub p_value: f64,
    /// Degrees of freedom `n_ref + n_cur - 2`.
    pub df: f64,
}

/// Two-sided pooled-variance t-test of `reference` against `current`, the score Evidently
/// reports for `"t_test"`.
///
/// Formulas (Student 1908; as in `scipy.stats.ttest_ind` with `equal_var=True`):
/// `s_i^2` the unbiased (ddof = 1) variances, taken as `0` for a single observation;
/// `s_p^2 = ((n1 - 1) s_1^2 + (n2 - 1) s_2^2) / (n1 + n2 - 2)`;
/// `t = (m1 - m2) / sqrt(s_p^2 (1/n1 + 1/n2))`; `p = I_x(df/2, 1/2)`, `x = df/(df + t^2)`.
///
/// Degenerate inputs, following SciPy where SciPy is well defined:
/// * both samples constant (zero pooled variance) with different values: `t = ±inf`,
///   `p = 0`, as SciPy returns;
/// * both samples constant with the same value: `t = 0/0`; SciPy returns NaN, we return
///   [`StatError::Degenerate`]. A constant sample is detected exactly (first == last of the
///   sorted slice), so its variance is exactly `0`. SciPy computes the mean of, say,
///   `[0.1; 7]` with a rounding error and can then report a finite, meaningless p-value (for
///   `[0.1; 7]` vs `[0.1; 5]` it says `p = 0.0685`); we report the error instead.
/// * fewer than three observations in total (`df = 0`): SciPy returns NaN, we return
///   [`StatError::Degenerate`].
///
/// Means use compensated (Neumaier) summation and variances a second pass about the mean;
/// this agrees with NumPy's pairwise sums to far better than the 1e-6 relative parity
/// tolerance. Inputs must be finite; sortedness is used only for the constant check.
pub fn t_test_ind(reference: &[f64], current: &[f64]) -> Result<TTestOutcome, StatError> {
    if reference.is_empty() {
        return Err(StatError::EmptySample("reference"));
    }
    if current.is_empty() {
        return Err(StatError::EmptySample("current"));
    }
    let (n1, n2) = (reference.len() as f64, current.len() as f64);
    let df = n1 + n2 - 2.0;
    if df <= 0.0 {
        return Err(StatError::Degenerate(
            "t_test needs at least three observations in total (one per sample and one more), \
             got one per sample"
                .to_string(),
        ));
    }
    let (m1, ss1) = mean_and_sum_of_squares(reference);
    let (m2, ss2) = mean_and_sum_of_squares(current);
    // (n1 - 1) s_1^2 is the sum of squared deviations, also for n1 = 1 (where it is 0).
    let pooled_variance = (ss1 + ss2) / df;
    let standard_error = (pooled_variance * (1.0 / n1 + 1.0 / n2)).sqrt();
    let difference = m1 - m2;
    if standard_error == 0.0 && difference == 0.0 {
        return Err(StatError::Degenerate(
            "t_test is undefined when both samples are constant and equal (zero variance and \
             zero mean difference)"
                .to_string(),
        ));
    }
    let statistic = difference / standard_error;
    if statistic.is_nan() {
        return Err(StatError::Degenerate(format!(
            "t_test statistic is not a number (mean difference {difference}, standard error \
             {standard_error})"
        )));
    }
    let p_value = students_t_two_sided_p(statistic, df);
    if p_value.is_nan() {
        return Err(StatError::Degenerate(format!(
            "t_test p-value is not a number for t = {statistic}, df = {df}"
        )));
    }
    Ok(TTestOutcome {
        statistic,
        p_value,
        df,
    })
}

/// Mean and sum of squared deviations from it. A constant slice (first == last when sorted;
/// also checked element-wise so unsorted input stays correct) gives exactly `(x, 0)`.
fn mean_and_sum_of_squares(values: &[f64]) -> (f64, f64) {
    let first = values[0];
    if values.iter().all(|&x| x == first) {
        return (first, 0.0);
    }
    let mean = compensated_sum(values.iter().copied()) / values.len() as f64;
    let ss = compensated_sum(values.iter().map(|&x| (x - mean) * (x - mean)));
    (mean, ss)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::special::numeric_b_fixture::{assert_parity, cases, number};

    #[test]
    fn matches_scipy_fixture() {
        for case in cases() {
            let want = &case.expected["t_test"];
            let got = t_test_ind(&case.reference, &case.current);
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

    fn assert_close(got: f64, want: f64) {
        assert!(
            (got - want).abs() <= 1e-12 + 1e-9 * want.abs(),
            "got {got}, want {want}"
        );
    }

    #[test]
    fn matches_scipy_on_a_small_example() {
        // scipy.stats.ttest_ind([11, 12, 16, 17, 19, 20, 22, 24, 29], [12, 16, 17, 19, 20])
        let a = [11.0, 12.0, 16.0, 17.0, 19.0, 20.0, 22.0, 24.0, 29.0];
        let b = [12.0, 16.0, 17.0, 19.0, 20.0];
        let r = t_test_ind(&a, &b).unwrap();
        assert_close(r.statistic, 0.7493986063658425);
        assert_close(r.p_value, 0.468054131284441);
        assert_eq!(r.df, 12.0);
    }

    #[test]
    fn single_observation_on_one_side() {
        // scipy.stats.ttest_ind([1.0], [2.0, 3.0]) -> t = -sqrt(3), p = 1/3
        let r = t_test_ind(&[1.0], &[2.0, 3.0]).unwrap();
        assert_close(r.statistic, -3f64.sqrt());
        assert_close(r.p_value, 1.0 / 3.0);
    }

    #[test]
    fn degenerate_inputs() {
        assert_eq!(
            t_test_ind(&[], &[1.0]),
            Err(StatError::EmptySample("reference"))
        );
        assert_eq!(
            t_test_ind(&[1.0], &[]),
            Err(StatError::EmptySample("current"))
        );
        assert!(matches!(
            t_test_ind(&[1.0], &[2.0]),
            Err(StatError::Degenerate(_))
        ));
        assert!(matches!(
            t_test_ind(&[0.1; 7], &[0.1; 5]),
            Err(StatError::Degenerate(_))
        ));
        let r = t_test_ind(&[1.0; 3], &[2.0; 4]).unwrap();
        assert_eq!(r.statistic, f64::NEG_INFINITY);
        assert_eq!(r.p_value, 0.0);
    }

    #[test]
    fn identical_samples_give_p_one() {
        let a = [1.0, 2.0, 3.0, 4.5];
        let r = t_test_ind(&a, &a).unwrap();
        assert_eq!(r.statistic, 0.0);
        assert_eq!(r.p_value, 1.0);
    }

    #[test]
    fn extreme_finite_inputs_do_not_panic() {
        let samples = crate::stats::test_support::extreme_samples();
        for a in &samples {
            for b in &samples {
                let _ = t_test_ind(a, b);
            }
        }
    }
}
