//! Evidently's `fisher_exact` drift test (`fisher_exact_stattest.py`): the two-sided p-value of
//! `scipy.stats.fisher_exact` on the 2×2 table of a binary column.
//!
//! Evidently builds the table `[[cur_1, cur_0], [ref_1, ref_0]]` (rows: current, reference;
//! columns: the two categories, whose order follows Python set order). The two-sided p-value
//! does not depend on that orientation: swapping rows or columns reflects the hypergeometric
//! distribution, and the two-sided sum is symmetric.
//!
//! scipy's two-sided p-value (`scipy/stats/_stats_py.py`, `fisher_exact`): with the margins
//! fixed, the top-left cell `X` is hypergeometric, `P(X = k) = C(n1, k) C(n2, n - k) / C(n1 + n2,
//! n)` (`n1`, `n2` the row sums, `n` the first column sum). The p-value is the total
//! probability of the tables no more likely than the observed one, where "no more likely" is
//! taken with a relative tolerance: `P(X = k) <= P(X = x) · (1 + 1e-14)`; if the observed
//! table is (within 1e-14) as likely as the mode, the p-value is 1. A zero row or column sum
//! gives 1.
//!
//! Here the probabilities are computed up to a common factor by the ratio recurrence
//! `P(k + 1) / P(k) = (n1 - k)(n - k) / ((k + 1)(n2 - n + k + 1))`, outward from the mode, with
//! each ratio formed from exact integer products. For equal row sums the distribution is
//! symmetric, and this construction gives bit-identical weights to mirror-image tables, so
//! exact ties are always recognised as ties.
//!
//! **Difference from Evidently.** Evidently raises unless both samples have the same number of
//! observations. Fisher's exact test conditions on the margins and needs no such thing, so any
//! sizes are accepted here; for equal sizes the numbers are Evidently's.

use super::binning::present_categories;
use super::StatError;

/// scipy's relative tolerance when comparing table probabilities.
const RELATIVE_TOLERANCE: f64 = 1e-14;

/// Two-sided Fisher exact p-value for a binary column: `ref_a`, `ref_b` are the reference
/// counts of the two categories, `cur_a`, `cur_b` the current ones.
pub fn fisher_exact_2x2(ref_a: u64, ref_b: u64, cur_a: u64, cur_b: u64) -> f64 {
    // scipy orientation of Evidently's table: row 0 = current, row 1 = reference.
    let x = cur_a;
    let n1 = cur_a as u128 + cur_b as u128;
    let n2 = ref_a as u128 + ref_b as u128;
    let n = cur_a as u128 + ref_a as u128;
    let total = n1 + n2;
    if n1 == 0 || n2 == 0 || n == 0 || n == total {
        return 1.0;
    }
    let lo = n.saturating_sub(n2);
    let hi = n1.min(n);
    let x = x as u128;
    // Mode of the hypergeometric distribution.
    let mode = ((n + 1) * (n1 + 1) / (total + 2)).clamp(lo, hi);

    // Relative weights: w(mode) = 1, walking outward.
    let up_ratio = |k: u128| -> f64 {
        let num = (n1 - k) * (n - k);
        let den = (k + 1) * (n2 + k + 1 - n);
        num as f64 / den as f64
    };
    let down_ratio = |k: u128| -> f64 {
        let num = k * (n2 + k - n);
        let den = (n1 - k + 1) * (n - k + 1);
        num as f64 / den as f64
    };
    let mut upper = Vec::new(); // w(mode + 1), w(mode + 2), ...
    let mut w = 1.0;
    let mut k = mode;
    while k < hi && w > 0.0 {
        w *= up_ratio(k);
        k += 1;
        upper.push(w);
    }
    let mut lower = Vec::new(); // w(mode - 1), w(mode - 2), ...
    let mut w = 1.0;
    let mut k = mode;
    while k > lo && w > 0.0 {
        w *= down_ratio(k);
        k -= 1;
        lower.push(w);
    }
    let weight_at = |k: u128| -> f64 {
        if k == mode {
            1.0
        } else if k > mode {
            upper.get((k - mode - 1) as usize).copied().unwrap_or(0.0)
        } else {
            lower.get((mode - k - 1) as usize).copied().unwrap_or(0.0)
        }
    };
    let w_obs = weight_at(x);
    let w_max = upper
        .iter()
        .chain(lower.iter())
        .copied()
        .fold(1.0, f64::max);
    if (w_max - w_obs).abs() / w_max <= RELATIVE_TOLERANCE {
        return 1.0;
    }
    let threshold = w_obs * (1.0 + RELATIVE_TOLERANCE);
    let sum_all: f64 = 1.0 + upper.iter().sum::<f64>() + lower.iter().sum::<f64>();
    let sum_tail: f64 = upper
        .iter()
        .chain(lower.iter())
        .copied()
        .filter(|&w| w <= threshold)
        .sum();
    (sum_tail / sum_all).min(1.0)
}

/// Evidently's `fisher_exact` p-value for aligned category counts of a binary column.
///
/// Categories zero on both sides are ignored. One category in all (a constant column) gives
/// p = 1, as Evidently does by adding a placeholder category. More than two categories give
/// [`StatError::Unsupported`] (Evidently raises when either side has more than two; when each
/// side has at most two but the union has more, Evidently silently maps the extra categories
/// to NaN and builds a meaningless table — we refuse instead). An empty side gives
/// [`StatError::EmptySample`].
pub fn fisher_exact_counts(reference: &[u64], current: &[u64]) -> Result<f64, StatError> {
    let (reference, current) = present_categories(reference, current)?;
    match reference.len() {
        1 => Ok(1.0),
        2 => Ok(fisher_exact_2x2(
            reference[0],
            reference[1],
            current[0],
            current[1],
        )),
        k => Err(StatError::Unsupported(format!(
            "Fisher's exact test needs a binary column, found {k} categories"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 + 1e-9 * b.abs()
    }

    #[test]
    fn matches_scipy() {
        // scipy.stats.fisher_exact([[8, 2], [1, 5]]).pvalue (rows current, reference)
        let p = fisher_exact_2x2(1, 5, 8, 2);
        assert!(close(p, 0.034965034965034975), "{p}");
    }

    #[test]
    fn symmetric_tie() {
        // scipy.stats.fisher_exact([[3, 7], [7, 3]]).pvalue
        let p = fisher_exact_2x2(7, 3, 3, 7);
        assert!(close(p, 0.1788954079975752), "{p}");
    }

    #[test]
    fn degenerate_margins() {
        assert_eq!(fisher_exact_2x2(0, 5, 0, 7), 1.0);
        assert_eq!(fisher_exact_counts(&[5, 0], &[3, 0]).unwrap(), 1.0);
        assert!(matches!(
            fisher_exact_counts(&[1, 1, 1], &[1, 1, 1]),
            Err(StatError::Unsupported(_))
        ));
    }

    #[test]
    fn orientation_is_irrelevant() {
        let a = fisher_exact_2x2(12, 30, 25, 9);
        let b = fisher_exact_2x2(30, 12, 9, 25);
        let c = fisher_exact_2x2(25, 9, 12, 30);
        assert!(close(a, b) && close(a, c));
    }
}
