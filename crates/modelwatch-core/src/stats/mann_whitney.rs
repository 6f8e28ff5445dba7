//! Mann-Whitney U rank test (Evidently method `"mannw"`), **two-sided**.
//!
//! # Deviation from Evidently
//!
//! Evidently 0.7 (`legacy/calculations/stattests/mann_whitney_urank_stattest.py`) reports
//! `scipy.stats.mannwhitneyu(reference, current, alternative="less")[1]`, a *one-sided*
//! p-value (its docstring calls it two-tailed). That only flags drift when the reference is
//! stochastically smaller than the current sample: a current sample shifted *down* gets a
//! p-value near 1 and is never flagged. A drift detector must catch both directions, so
//! [`mann_whitney_u`] returns the two-sided p-value of
//! `scipy.stats.mannwhitneyu(reference, current, alternative="two-sided")` (default
//! `method="auto"`, `use_continuity=True`). Evidently's number can be recovered from
//! the statistic if ever needed, but it is not what modelwatch reports.

use super::special::{merged_tie_groups, normal_sf};
use super::StatError;

/// Result of [`mann_whitney_u`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannWhitneyOutcome {
    /// `U1 = R1 - n1 (n1 + 1) / 2`, the U statistic of the **reference** sample (`R1` is the
    /// sum of the reference's mid-ranks in the pooled sample), as SciPy reports it.
    pub statistic: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    /// Whether the p-value comes from the exact null distribution of U (`true`) or from the
    /// normal approximation (`false`).
    pub exact: bool,
}

/// Largest truncated length of the exact U distribution we are willing to tabulate
/// (`2^24` coefficients, 128 MiB). Beyond it the normal approximation is used; see
/// [`mann_whitney_u`].
const MAX_EXACT_COEFFICIENTS: usize = 1 << 24;

/// Two-sided Mann-Whitney U test of `reference` against `current` (Mann & Whitney 1947),
/// equal to `scipy.stats.mannwhitneyu(reference, current, alternative="two-sided")` from
/// SciPy 1.17. **Not** Evidently's one-sided number; see the module docs.
///
/// * Ranks: mid-ranks of the pooled sample; `U1 = R1 - n1 (n1 + 1)/2`, `U2 = n1 n2 - U1`,
///   and the test uses `U = max(U1, U2)`, `p = 2 P(U_null >= U)` clipped to `[0, 1]`.
/// * Method (SciPy's `method="auto"`, `_mwu_choose_method`): **exact** when at least one
///   sample has at most 8 observations and the pooled sample has no ties; otherwise
///   **asymptotic**.
/// * Exact: the null distribution of U is given by the coefficients of the Gaussian binomial
///   coefficient `[n1 + n2 choose n1]_q` divided by `C(n1 + n2, n1)` (Mann & Whitney 1947;
///   Andrews, *The Theory of Partitions*, 3.3). We build it as
///   `prod_{i=1..n_small} (1 - q^{n_large + i}) / (1 - q^i)`, truncated at the needed degree:
///   O(n_small * n1 n2) time instead of SciPy's O((n1 n2)^2) Löffler recurrence; the small
///   coefficients that make up tiny p-values are exact integers. By symmetry,
///   `P(U_null >= U) = P(U_null <= n1 n2 - U)`.
/// * Asymptotic: `z = (U - n1 n2 / 2 - 1/2) / sigma` with the tie-corrected
///   `sigma^2 = n1 n2 / 12 * ((n + 1) - sum(t^3 - t) / (n (n - 1)))` (`t` the tie-group sizes,
///   `n = n1 + n2`) and continuity correction 1/2, `p = 2 Q(z)` with the normal upper tail
///   `Q`. When all observations are equal, `sigma = 0`, `z = -inf` and `p = 1`, as in SciPy.
///
/// Deviation: if the exact table would need more than 2^24 entries (one sample of at most 8
/// observations against one of more than about four million), the normal approximation is
/// used instead. SciPy would tabulate it with a quadratic-time recurrence that does not finish
/// in practice.
///
/// Inputs must be finite and sorted ascending (the pooled ranks come from one merge pass,
/// O(n1 + n2)).
pub fn mann_whitney_u(reference: &[f64], current: &[f64]) -> Result<MannWhitneyOutcome, StatError> {
    if reference.is_empty() {
        return Err(StatError::EmptySample("reference"));
    }
    if current.is_empty() {
        return Err(StatError::EmptySample("current"));
    }
    let (n1, n2) = (reference.len(), current.len());

    // Rank sum of the reference and tie structure, in one pass over the merged samples.
    let mut rank_sum_reference = 0.0_f64;
    let mut tie_term = 0.0_f64;
    let mut has_ties = false;
    let mut below = 0_usize;
    for group in merged_tie_groups(reference, current) {
        let t = group.size();
        // Ranks below+1 ..= below+t share the mid-rank below + (t + 1)/2.
        let midrank = below as f64 + (t as f64 + 1.0) / 2.0;
        rank_sum_reference += group.count_a as f64 * midrank;
        if t > 1 {
            has_ties = true;
            let tf = t as f64;
            tie_term += tf * tf * tf - tf;
        }
        below += t;
    }
    let (n1f, n2f) = (n1 as f64, n2 as f64);
    let u1 = rank_sum_reference - n1f * (n1f + 1.0) / 2.0;
    let u2 = n1f * n2f - u1;
    let u = u1.max(u2);

    let use_exact = (n1 <= 8 || n2 <= 8) && !has_ties;
    let (n_small, n_large) = (n1.min(n2), n1.max(n2));
    // Without ties U is an integer; the lower-tail point by symmetry is n1 n2 - U <= n1 n2/2.
    let lower_point = (n1f * n2f - u).round();
    let exact_len = lower_point as usize + 1;
    let exact = use_exact && lower_point >= 0.0 && exact_len <= MAX_EXACT_COEFFICIENTS;

    let one_sided = if exact {
        exact_u_cdf(n_small, n_large, lower_point as usize)
    } else {
        let n = n1f + n2f;
        let mean = n1f * n2f / 2.0;
        let sigma = (n1f * n2f / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)))).sqrt();
        let z = (u - mean - 0.5) / sigma;
        normal_sf(z)
    };
    let p_value = (2.0 * one_sided).clamp(0.0, 1.0);
    if p_value.is_nan() {
        return Err(StatError::Degenerate(format!(
            "Mann-Whitney p-value is not a number (U = {u}, n1 = {n1}, n2 = {n2})"
        )));
    }
    Ok(MannWhitneyOutcome {
        statistic: u1,
        p_value,
        exact,
    })
}

/// `P(U <= k)` under the null hypothesis for sample sizes `n_small <= n_large`, no ties.
///
/// The number of arrangements with `U = j` is the coefficient of `q^j` in the Gaussian
/// binomial `[n_small + n_large choose n_small]_q`. Step `i` turns
/// `[n_large + i - 1 choose i - 1]_q` into `[n_large + i choose i]_q` by multiplying with
/// `(1 - q^{n_large + i})` and dividing (as a power series) by `(1 - q^i)`; both operations
/// only look at lower-degree coefficients, so the table can be truncated at degree `k`.
fn exact_u_cdf(n_small: usize, n_large: usize, k: usize) -> f64 {
    let mut counts = vec![0.0_f64; k + 1];
    counts[0] = 1.0;
    let mut total = 1.0_f64;
    for i in 1..=n_small {
        let shift = n_large + i;
        if shift <= k {
            for j in (shift..=k).rev() {
                counts[j] -= counts[j - shift];
            }
        }
        for j in i..=k {
            counts[j] += counts[j - i];
        }
        // C(n_large + i, i) = C(n_large + i - 1, i - 1) (n_large + i) / i, exact while < 2^53.
        total = total * shift as f64 / i as f64;
    }
    let favourable: f64 = counts.iter().sum();
    (favourable / total).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::special::numeric_b_fixture::{assert_parity, cases, number};

    #[test]
    fn matches_scipy_fixture() {
        for case in cases() {
            let want = &case.expected["mann_whitney"];
            let got = mann_whitney_u(&case.reference, &case.current);
            if want["error"].as_bool().unwrap() {
                assert!(
                    got.is_err(),
                    "{}: expected an error, got {got:?}",
                    case.name
                );
                continue;
            }
            let got = got.unwrap_or_else(|e| panic!("{}: unexpected error {e}", case.name));
            assert_eq!(
                got.exact,
                want["exact"].as_bool().unwrap(),
                "{}: method",
                case.name
            );
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
    fn scipy_docs_example_exact() {
        // scipy docs: males vs females, U1 = 17, exact p = 0.1111111111111111
        let mut males = [19.0, 22.0, 16.0, 29.0, 24.0];
        let mut females = [20.0, 11.0, 17.0, 12.0];
        males.sort_by(f64::total_cmp);
        females.sort_by(f64::total_cmp);
        let r = mann_whitney_u(&males, &females).unwrap();
        assert_eq!(r.statistic, 17.0);
        assert!(r.exact);
        assert_close(r.p_value, 0.1111111111111111);
    }

    #[test]
    fn exact_distribution_sums_to_one() {
        for (a, b) in [(1, 1), (2, 3), (5, 8), (8, 40)] {
            assert_close(exact_u_cdf(a, b, a * b), 1.0);
        }
        // P(U <= 0) = 1 / C(n1 + n2, n1)
        assert_close(exact_u_cdf(3, 4, 0), 1.0 / 35.0);
    }

    #[test]
    fn all_equal_values_give_p_one() {
        let r = mann_whitney_u(&[2.0; 10], &[2.0; 12]).unwrap();
        assert_eq!(r.statistic, 60.0);
        assert_eq!(r.p_value, 1.0);
        assert!(!r.exact);
    }

    #[test]
    fn empty_samples_are_errors() {
        assert_eq!(
            mann_whitney_u(&[], &[1.0]),
            Err(StatError::EmptySample("reference"))
        );
        assert_eq!(
            mann_whitney_u(&[1.0], &[]),
            Err(StatError::EmptySample("current"))
        );
    }

    #[test]
    fn two_sided_is_symmetric_in_direction() {
        let a: Vec<f64> = (0..30).map(f64::from).collect();
        let b: Vec<f64> = (0..30).map(|i| f64::from(i) + 7.5).collect();
        let up = mann_whitney_u(&a, &b).unwrap();
        let down = mann_whitney_u(&b, &a).unwrap();
        assert_close(up.p_value, down.p_value);
        assert_close(up.statistic + down.statistic, 900.0);
    }

    #[test]
    fn extreme_finite_inputs_do_not_panic() {
        let samples = crate::stats::test_support::extreme_samples();
        for a in &samples {
            for b in &samples {
                let _ = mann_whitney_u(a, b);
            }
        }
    }
}
