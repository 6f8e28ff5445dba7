//! Evidently's `empirical_mmd` drift test (`mmd_stattest.py`): the unbiased squared maximum
//! mean discrepancy with an RBF kernel and a permutation p-value.
//!
//! As Evidently computes it, for reference `x` (size `n`) and current `y` (size `m`):
//!
//! * squared distances by the expansion `d(a, b) = (b² - 2ab) + a²` (Evidently's
//!   `squared_paired_dist`; this expansion, not `(a - b)²`, is kept for parity — it loses
//!   precision when the values sit far from zero relative to their spread, and Evidently's
//!   numbers carry that loss);
//! * bandwidth by the median heuristic over the `n²` reference–reference distances (diagonal
//!   included): `σ = sqrt(½ · median)` with numpy's `percentile(..., 50, method="nearest")`,
//!   i.e. the order statistic of index `round_half_even((n² - 1) / 2)`; `σ = sqrt(½)` when that
//!   is 0;
//! * kernel `k(a, b) = exp(-d(a, b) / (2σ²))`, with the reference σ for all three blocks;
//! * `MMD² = Σ_{i≠j} k(x_i, x_j) / (n(n-1)) + Σ_{i≠j} k(y_i, y_j) / (m(m-1)) - 2 · mean_{i,j}
//!   k(x_i, y_j)`;
//! * p-value: the share of 100 random relabelings of the pooled sample whose `MMD²` is `>=` the
//!   observed one.
//!
//! **Differences from Evidently.**
//!
//! * Evidently's permutations are unseeded (a different p-value on every run); here they come
//!   from `ChaCha8Rng::seed_from_u64(seed)`.
//! * Evidently builds the full `(n + m)²` kernel matrix (and copies it for every permutation).
//!   Here a side with more than [`MAX_POINTS_PER_SIDE`] observations is first replaced by a
//!   uniformly random subsample of that size drawn with the same seeded generator, so memory
//!   stays near 64 MB (the stored kernel triangle of 4000 points) and time near a second per
//!   column in an optimised build. Samples within the limit give Evidently's statistic exactly
//!   (up to summation rounding).
//! * Permuted statistics are computed from one stored upper triangle of the pooled kernel
//!   matrix (the observed statistic is recomputed the same way for the comparison, so equal
//!   labelings compare equal).
//! * A median distance that is negative through rounding makes Evidently's `σ` NaN and its
//!   result meaningless; that is reported as [`StatError::Degenerate`].

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::binning::check_non_empty;
use super::StatError;

/// Largest number of observations per side used as is; larger samples are subsampled.
pub const MAX_POINTS_PER_SIDE: usize = 2000;

/// Result of the MMD test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MmdResult {
    /// Unbiased squared MMD (Evidently's `mmd`).
    pub mmd: f64,
    /// Share of permuted statistics at least as large as the observed one.
    pub p_value: f64,
}

/// Evidently's squared distance `(b² - 2ab) + a²`.
#[inline]
fn sq_dist(a: f64, b: f64) -> f64 {
    (b * b - 2.0 * (a * b)) + a * a
}

/// numpy `percentile(values, 50, method="nearest")`: the order statistic with (0-based) index
/// `round_half_even((len - 1) * 0.5)`.
fn median_nearest(mut values: Vec<f64>) -> f64 {
    let half = (values.len() - 1) as f64 * 0.5;
    let index = half.round_ties_even() as usize;
    let (_, v, _) = values.select_nth_unstable_by(index, |a, b| a.total_cmp(b));
    *v
}

/// Evidently's `sigma_median` over the reference–reference distances.
fn median_sigma(x: &[f64]) -> f64 {
    let dist: Vec<f64> = x
        .iter()
        .flat_map(|&a| x.iter().map(move |&b| sq_dist(a, b)))
        .collect();
    let sigma = (0.5 * median_nearest(dist)).powf(0.5);
    if sigma == 0.0 {
        0.5f64.powf(0.5)
    } else {
        sigma
    }
}

fn random_subsample(sorted: &[f64], cap: usize, rng: &mut ChaCha8Rng) -> Vec<f64> {
    if sorted.len() <= cap {
        return sorted.to_vec();
    }
    let mut picked = rand::seq::index::sample(rng, sorted.len(), cap).into_vec();
    picked.sort_unstable();
    picked.into_iter().map(|i| sorted[i]).collect()
}

/// Upper triangle (`i < j`, row-major) of the kernel matrix of a pooled sample (the scalar
/// test's entries are `exp(-γ d(z_i, z_j))`; the multivariate MMD stores its RBF kernel of
/// rows here too).
pub(crate) struct KernelTriangle {
    size: usize,
    /// Start of row `i` in `values` (row `i` holds columns `i + 1 ..`).
    row_start: Vec<usize>,
    values: Vec<f64>,
    row_sums: Vec<f64>,
}

impl KernelTriangle {
    fn new(z: &[f64], neg_gamma: f64) -> Self {
        Self::from_kernel(z.len(), |i, j| (neg_gamma * sq_dist(z[i], z[j])).exp())
    }

    /// The triangle of `kernel(i, j)` for `i < j < size`.
    pub(crate) fn from_kernel(size: usize, kernel: impl Fn(usize, usize) -> f64) -> Self {
        let mut row_start = Vec::with_capacity(size);
        let mut values = Vec::with_capacity(size * (size - 1) / 2);
        let mut row_sums = Vec::with_capacity(size);
        for i in 0..size {
            row_start.push(values.len());
            let mut sum = 0.0;
            for j in i + 1..size {
                let k = kernel(i, j);
                values.push(k);
                sum += k;
            }
            row_sums.push(sum);
        }
        KernelTriangle {
            size,
            row_start,
            values,
            row_sums,
        }
    }

    pub(crate) fn row(&self, i: usize) -> &[f64] {
        &self.values[self.row_start[i]..self.row_start[i] + (self.size - 1 - i)]
    }

    /// MMD² for the labeling `in_x` (weights 1.0 for the first sample, 0.0 for the second):
    /// returns `(Σ_{i<j} xx, Σ_{i<j} yy, Σ xy)` pair sums.
    pub(crate) fn block_sums(&self, in_x: &[f64]) -> (f64, f64, f64) {
        let (mut xx, mut yy, mut xy) = (0.0, 0.0, 0.0);
        for i in 0..self.size {
            let row = self.row(i);
            let to_x: f64 = row.iter().zip(&in_x[i + 1..]).map(|(k, w)| k * w).sum();
            let to_y = self.row_sums[i] - to_x;
            if in_x[i] == 1.0 {
                xx += to_x;
                xy += to_y;
            } else {
                xy += to_x;
                yy += to_y;
            }
        }
        (xx, yy, xy)
    }
}

/// `MMD²_u` from the kernel sums over ordered pairs within each sample and across them.
pub(crate) fn unbiased_mmd(sum_xx: f64, sum_yy: f64, sum_xy: f64, n: usize, m: usize) -> f64 {
    let a = 1.0 / (n * (n - 1)) as f64;
    let b = 1.0 / (m * (m - 1)) as f64;
    a * sum_xx + b * sum_yy - 2.0 * (sum_xy / (n * m) as f64)
}

/// Evidently's `empirical_mmd` on two finite samples sorted ascending: the unbiased squared MMD
/// and a seeded permutation p-value over `permutations` relabelings (Evidently uses 100).
///
/// Errors: an empty side gives [`StatError::EmptySample`]; a side with one observation gives
/// [`StatError::TooFewObservations`] (Evidently divides by `n(n-1)` and fails);
/// `permutations == 0` or a non-finite statistic gives [`StatError::Degenerate`].
pub fn mmd_permutation(
    reference: &[f64],
    current: &[f64],
    permutations: usize,
    seed: u64,
) -> Result<MmdResult, StatError> {
    mmd_permutation_capped(reference, current, permutations, seed, MAX_POINTS_PER_SIDE)
}

/// [`mmd_permutation`] with the per-side subsampling limit as a parameter.
fn mmd_permutation_capped(
    reference: &[f64],
    current: &[f64],
    permutations: usize,
    seed: u64,
    cap: usize,
) -> Result<MmdResult, StatError> {
    check_non_empty(reference.len(), current.len())?;
    for len in [reference.len(), current.len()] {
        if len < 2 {
            return Err(StatError::TooFewObservations {
                method: "empirical_mmd",
                needed: 2,
                got: len,
            });
        }
    }
    if permutations == 0 {
        return Err(StatError::Degenerate(
            "the MMD permutation test needs at least one permutation".to_string(),
        ));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let x = random_subsample(reference, cap.max(2), &mut rng);
    let y = random_subsample(current, cap.max(2), &mut rng);
    let (n, m) = (x.len(), y.len());

    let sigma = median_sigma(&x);
    let neg_gamma = -(1.0 / (2.0 * (sigma * sigma)));
    if !neg_gamma.is_finite() {
        return Err(StatError::Degenerate(
            "MMD kernel bandwidth is not finite (negative median distance through rounding)"
                .to_string(),
        ));
    }

    let pooled: Vec<f64> = x.iter().chain(&y).copied().collect();
    let triangle = KernelTriangle::new(&pooled, neg_gamma);

    // Observed statistic with Evidently's orientation of every distance: the triangle holds
    // k(z_i, z_j) for i < j; the within-sample blocks also need k(z_j, z_i).
    let lower_sum = |s: &[f64]| -> f64 {
        let mut total = 0.0;
        for (j, &b) in s.iter().enumerate() {
            let row: f64 = s[..j]
                .iter()
                .map(|&a| (neg_gamma * sq_dist(b, a)).exp())
                .sum();
            total += row;
        }
        total
    };
    let mut upper_xx = 0.0;
    let mut upper_yy = 0.0;
    let mut sum_xy = 0.0;
    for i in 0..n + m {
        let row = triangle.row(i);
        if i < n {
            let split = n - 1 - i;
            upper_xx += row[..split].iter().sum::<f64>();
            sum_xy += row[split..].iter().sum::<f64>();
        } else {
            upper_yy += row.iter().sum::<f64>();
        }
    }
    let sum_xx = upper_xx + lower_sum(&x);
    let sum_yy = upper_yy + lower_sum(&y);
    let mmd = unbiased_mmd(sum_xx, sum_yy, sum_xy, n, m);
    if !mmd.is_finite() {
        return Err(StatError::Degenerate(
            "MMD statistic is not finite".to_string(),
        ));
    }

    // Permutation p-value, all statistics from the symmetric triangle.
    let mut labels: Vec<f64> = (0..n + m).map(|i| if i < n { 1.0 } else { 0.0 }).collect();
    let (xx, yy, xy) = triangle.block_sums(&labels);
    let observed = unbiased_mmd(2.0 * xx, 2.0 * yy, xy, n, m);
    let mut at_least_observed = 0usize;
    for _ in 0..permutations {
        labels.shuffle(&mut rng);
        let (xx, yy, xy) = triangle.block_sums(&labels);
        if observed <= unbiased_mmd(2.0 * xx, 2.0 * yy, xy, n, m) {
            at_least_observed += 1;
        }
    }
    Ok(MmdResult {
        mmd,
        p_value: at_least_observed as f64 / permutations as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_nearest_rounds_half_to_even() {
        // np.percentile([1, 2, 3, 4], 50, method="nearest") == 3 (index round(1.5) = 2)
        assert_eq!(median_nearest(vec![4.0, 1.0, 3.0, 2.0]), 3.0);
        // np.percentile([1, 2, 3, 4, 5, 6], 50, method="nearest") == 3 (index round(2.5) = 2)
        assert_eq!(median_nearest(vec![6.0, 5.0, 4.0, 3.0, 2.0, 1.0]), 3.0);
    }

    #[test]
    fn matches_evidently_small() {
        // evidently mmd_pval(np.array([[0.], [1], [2], [3]]), np.array([[1.], [2], [4]]))[1]
        let r = mmd_permutation(&[0.0, 1.0, 2.0, 3.0], &[1.0, 2.0, 4.0], 100, 3).unwrap();
        assert!((r.mmd - -0.3302396090063777).abs() < 1e-12, "{}", r.mmd);
        assert!((0.0..=1.0).contains(&r.p_value));
    }

    #[test]
    fn p_value_behaviour() {
        let a: Vec<f64> = (0..60).map(|i| i as f64 / 10.0).collect();
        let b: Vec<f64> = (0..60).map(|i| 20.0 + i as f64 / 10.0).collect();
        let far = mmd_permutation(&a, &b, 100, 1).unwrap();
        assert_eq!(far.p_value, 0.0);
        assert_eq!(far, mmd_permutation(&a, &b, 100, 1).unwrap());
        let same = mmd_permutation(&a, &a, 100, 1).unwrap();
        assert!(same.p_value > 0.5, "{}", same.p_value);
    }

    #[test]
    fn subsampling_is_seeded_and_keeps_the_signal() {
        let a: Vec<f64> = (0..300).map(|i| (i as f64 * 0.37).sin()).collect();
        let mut a = a;
        a.sort_by(f64::total_cmp);
        let b: Vec<f64> = a.iter().map(|v| v + 1.5).collect();
        let capped = mmd_permutation_capped(&a, &b, 50, 9, 40).unwrap();
        assert_eq!(capped, mmd_permutation_capped(&a, &b, 50, 9, 40).unwrap());
        assert_ne!(capped, mmd_permutation_capped(&a, &b, 50, 10, 40).unwrap());
        assert_eq!(capped.p_value, 0.0);
        // within the cap nothing is subsampled
        assert_eq!(
            mmd_permutation_capped(&a, &b, 10, 9, 300).unwrap().mmd,
            mmd_permutation(&a, &b, 10, 9).unwrap().mmd
        );
    }

    #[test]
    fn constant_samples() {
        let r = mmd_permutation(&[1.0; 5], &[1.0; 4], 50, 0).unwrap();
        assert!(r.mmd.abs() < 1e-15);
        assert_eq!(r.p_value, 1.0);
    }

    #[test]
    fn errors() {
        assert_eq!(
            mmd_permutation(&[], &[1.0, 2.0], 10, 0),
            Err(StatError::EmptySample("reference"))
        );
        assert!(matches!(
            mmd_permutation(&[1.0, 2.0], &[1.0], 10, 0),
            Err(StatError::TooFewObservations { .. })
        ));
    }
}
