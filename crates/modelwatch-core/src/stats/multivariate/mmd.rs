//! Multivariate maximum mean discrepancy over all numerical columns, with a seeded permutation
//! test (Gretton et al. 2012, "A kernel two-sample test": the unbiased `MMD²_u` and its
//! permutation null).
//!
//! For the reference rows `x` (`m`) and the current rows `y` (`n`), restricted to the
//! numerical columns:
//!
//! * a row with a missing value in any numerical column is left out (the counts used are
//!   reported);
//! * every column is standardised by the reference's mean and population standard deviation
//!   (a constant column keeps a scale of 1), so no column dominates the distances by its unit;
//! * a side with more than `max_rows_per_side` rows is replaced by a uniformly random subset
//!   of that many rows (seeded), which bounds the `(m + n)²` kernel table;
//! * RBF kernel `k(a, b) = exp(-γ ‖a - b‖²)` with the median heuristic `γ = 1 / s²`, `s` the
//!   median Euclidean distance between reference and current rows (the rule of Evidently's
//!   embedding `mmd`, [`crate::stats::embedding::mmd`], whose code computes it here);
//! * `MMD²_u = Σ_{i≠j} k(x_i, x_j) / (m(m-1)) + Σ_{i≠j} k(y_i, y_j) / (n(n-1))
//!   - 2 Σ_{i,j} k(x_i, y_j) / (mn)`;
//! * p-value: the share of `permutations` random relabelings of the pooled rows (seeded) whose
//!   `MMD²_u` is at least the observed one; drift when it is below `p_value_threshold`.
//!
//! The kernel sums, observed and permuted, come from one stored triangle of the pooled kernel
//! matrix, the same one the per-column [`crate::stats::mmd`] test uses.
//!
//! There is no NannyML counterpart (NannyML 0.13 has no MMD); the behaviour is tested on the
//! committed example and on constructed cases.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::{check_sides, need_rows, FeatureColumn, FeatureValues, MultivariateError};
use crate::stats::embedding::mmd::{median_gamma, squared_distance};
use crate::stats::embedding::Vectors;
use crate::stats::mmd::{unbiased_mmd, KernelTriangle};

/// Parameters of the multivariate MMD test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MultivariateMmdParams {
    /// Number of random relabelings. Default 100.
    pub permutations: usize,
    /// Drift when the p-value is below this. Default 0.05.
    pub p_value_threshold: f64,
    /// Most rows used per side (a random subset beyond). Default 1,000.
    pub max_rows_per_side: usize,
    /// Seed of the subsampling and the permutations. Default 0.
    pub seed: u64,
}

impl Default for MultivariateMmdParams {
    fn default() -> Self {
        MultivariateMmdParams {
            permutations: 100,
            p_value_threshold: 0.05,
            max_rows_per_side: 1000,
            seed: 0,
        }
    }
}

/// The result of the multivariate MMD test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MultivariateMmdDrift {
    /// The unbiased squared MMD of the (standardised, possibly subsampled) rows.
    pub mmd_squared: f64,
    /// Share of relabelings with a statistic at least as large.
    pub p_value: f64,
    /// Drift when the p-value is below this.
    pub p_value_threshold: f64,
    /// Whether drift was detected.
    pub drifted: bool,
    /// The numerical columns the test used.
    pub columns: Vec<String>,
    /// Reference rows used (complete rows, after subsampling).
    pub reference_rows_used: usize,
    /// Current rows used (complete rows, after subsampling).
    pub current_rows_used: usize,
}

/// Row-major values of the rows complete in every numerical column.
fn complete_rows(columns: &[&[f64]], rows: usize) -> Vec<Vec<f64>> {
    (0..rows)
        .filter(|&r| columns.iter().all(|c| c[r].is_finite()))
        .map(|r| columns.iter().map(|c| c[r]).collect())
        .collect()
}

fn numerical_columns<'a>(side: &[FeatureColumn<'a>]) -> Vec<&'a [f64]> {
    side.iter()
        .filter_map(|c| match c.values {
            FeatureValues::Numerical(v) => Some(v),
            FeatureValues::Categorical(_) => None,
        })
        .collect()
}

fn subsample(rows: Vec<Vec<f64>>, cap: usize, rng: &mut ChaCha8Rng) -> Vec<Vec<f64>> {
    if rows.len() <= cap {
        return rows;
    }
    let mut picked = rand::seq::index::sample(rng, rows.len(), cap).into_vec();
    picked.sort_unstable();
    picked.into_iter().map(|i| rows[i].clone()).collect()
}

/// The multivariate MMD test of `current` against `reference` over their numerical columns.
///
/// Errors: columns that differ between the sides; no numerical column; fewer than 2 complete
/// rows on a side; `permutations == 0` or `max_rows_per_side < 2`; all rows at one point (no
/// bandwidth).
pub fn multivariate_mmd_drift(
    reference: &[FeatureColumn<'_>],
    current: &[FeatureColumn<'_>],
    params: &MultivariateMmdParams,
) -> Result<MultivariateMmdDrift, MultivariateError> {
    let (reference_rows, current_rows) = check_sides(reference, current)?;
    if params.permutations == 0 || params.max_rows_per_side < 2 {
        return Err(MultivariateError::InvalidParameter(format!(
            "the MMD test needs at least 1 permutation and 2 rows per side, got {} and {}",
            params.permutations, params.max_rows_per_side
        )));
    }
    let (ref_columns, cur_columns) = (numerical_columns(reference), numerical_columns(current));
    if ref_columns.is_empty() {
        return Err(MultivariateError::NoNumericalColumns { method: "MMD" });
    }
    let names: Vec<String> = reference
        .iter()
        .filter(|c| matches!(c.values, FeatureValues::Numerical(_)))
        .map(|c| c.name.to_string())
        .collect();
    need_rows("MMD", "reference", 2, reference_rows)?;
    need_rows("MMD", "current", 2, current_rows)?;
    let x = complete_rows(&ref_columns, reference_rows);
    let y = complete_rows(&cur_columns, current_rows);
    // Enough rows, but too few without a missing value: say so, and name a column that has
    // no value at all on that side, the usual cause.
    for (side, columns, complete) in [
        ("reference", &ref_columns, x.len()),
        ("current", &cur_columns, y.len()),
    ] {
        if complete < 2 {
            let empty = names
                .iter()
                .zip(columns.iter())
                .find(|(_, c)| !c.iter().any(|v| v.is_finite()));
            return Err(MultivariateError::Degenerate(match empty {
                Some((name, _)) => format!(
                    "MMD uses the rows without a missing numerical value, and column `{name}` \
                     has no value in the {side}"
                ),
                None => format!(
                    "MMD needs at least 2 {side} rows without a missing numerical value, got \
                     {complete}"
                ),
            }));
        }
    }

    let dim = names.len();
    let mut mean = vec![0.0; dim];
    let mut scale = vec![1.0; dim];
    for j in 0..dim {
        let (m, s) = super::mean_and_std(x.iter().map(|row| row[j]));
        mean[j] = m;
        if s > 0.0 {
            scale[j] = s;
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
    let x = subsample(x, params.max_rows_per_side, &mut rng);
    let y = subsample(y, params.max_rows_per_side, &mut rng);
    let (m, n) = (x.len(), y.len());
    let pooled: Vec<f64> = x
        .iter()
        .chain(&y)
        .flat_map(|row| {
            row.iter()
                .enumerate()
                .map(|(j, v)| (v - mean[j]) / scale[j])
        })
        .collect();
    let (x_values, y_values) = pooled.split_at(m * dim);
    let xs = Vectors::new(x_values, dim)?;
    let ys = Vectors::new(y_values, dim)?;
    let all_x: Vec<usize> = (0..m).collect();
    let all_y: Vec<usize> = (0..n).collect();
    let gamma = median_gamma(&xs, &all_x, &ys, &all_y)?;
    let rows = Vectors::new(&pooled, dim)?;
    let triangle = KernelTriangle::from_kernel(m + n, |i, j| {
        (-gamma * squared_distance(rows.row(i), rows.row(j))).exp()
    });

    let statistic = |labels: &[f64]| {
        let (xx, yy, xy) = triangle.block_sums(labels);
        unbiased_mmd(2.0 * xx, 2.0 * yy, xy, m, n)
    };
    let mut labels: Vec<f64> = (0..m + n).map(|i| if i < m { 1.0 } else { 0.0 }).collect();
    let observed = statistic(&labels);
    if !observed.is_finite() {
        return Err(MultivariateError::Degenerate(
            "the MMD statistic is not finite".to_string(),
        ));
    }
    let mut at_least = 0usize;
    for _ in 0..params.permutations {
        labels.shuffle(&mut rng);
        if statistic(&labels) >= observed {
            at_least += 1;
        }
    }
    let p_value = at_least as f64 / params.permutations as f64;
    Ok(MultivariateMmdDrift {
        mmd_squared: observed,
        p_value,
        p_value_threshold: params.p_value_threshold,
        drifted: p_value < params.p_value_threshold,
        columns: names,
        reference_rows_used: m,
        current_rows_used: n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wave(n: usize, shift: f64, k: usize) -> Vec<f64> {
        (0..n)
            .map(|i| ((i * k) % 101) as f64 / 10.0 + shift)
            .collect()
    }

    #[test]
    fn detects_a_shift_and_is_seeded() {
        let (a, b) = (wave(200, 0.0, 37), wave(200, 0.0, 53));
        let (c, d) = (wave(200, 3.0, 41), wave(200, 0.0, 59));
        let r = [
            FeatureColumn::numerical("a", &a),
            FeatureColumn::numerical("b", &b),
        ];
        let cur = [
            FeatureColumn::numerical("a", &c),
            FeatureColumn::numerical("b", &d),
        ];
        let params = MultivariateMmdParams::default();
        let got = multivariate_mmd_drift(&r, &cur, &params).unwrap();
        assert!(got.drifted && got.p_value == 0.0, "{got:?}");
        assert_eq!(got, multivariate_mmd_drift(&r, &cur, &params).unwrap());
        let same = multivariate_mmd_drift(&r, &r, &params).unwrap();
        assert!(!same.drifted && same.p_value > 0.5, "{same:?}");
        // Subsampling keeps the signal.
        let small = MultivariateMmdParams {
            max_rows_per_side: 50,
            ..params
        };
        let sub = multivariate_mmd_drift(&r, &cur, &small).unwrap();
        assert_eq!((sub.reference_rows_used, sub.current_rows_used), (50, 50));
        assert!(sub.drifted);
    }

    #[test]
    fn bad_input_is_an_error() {
        let cats = [Some("a"), Some("b")];
        let only_cats = [FeatureColumn::categorical("c", &cats)];
        assert_eq!(
            multivariate_mmd_drift(&only_cats, &only_cats, &MultivariateMmdParams::default()),
            Err(MultivariateError::NoNumericalColumns { method: "MMD" })
        );
        let one = [1.0];
        let two = [1.0, 2.0];
        let r = [FeatureColumn::numerical("x", &one)];
        let c = [FeatureColumn::numerical("x", &two)];
        assert!(matches!(
            multivariate_mmd_drift(&r, &c, &MultivariateMmdParams::default()),
            Err(MultivariateError::TooFewRows {
                side: "reference",
                got: 1,
                ..
            })
        ));
        let x: Vec<f64> = (0..10).map(f64::from).collect();
        let nothing = [f64::NAN; 10];
        let r = [
            FeatureColumn::numerical("x", &x),
            FeatureColumn::numerical("gone", &nothing),
        ];
        let c = [
            FeatureColumn::numerical("x", &x),
            FeatureColumn::numerical("gone", &x),
        ];
        assert_eq!(
            multivariate_mmd_drift(&r, &c, &MultivariateMmdParams::default())
                .unwrap_err()
                .to_string(),
            "MMD uses the rows without a missing numerical value, and column `gone` has no \
             value in the reference"
        );
        let holes: Vec<f64> = (0..10)
            .map(|i| if i % 2 == 0 { f64::NAN } else { 1.0 })
            .collect();
        let shifted: Vec<f64> = (0..10)
            .map(|i| if i % 2 == 1 { f64::NAN } else { 1.0 })
            .collect();
        let c = [
            FeatureColumn::numerical("x", &holes),
            FeatureColumn::numerical("gone", &shifted),
        ];
        assert_eq!(
            multivariate_mmd_drift(&c, &c, &MultivariateMmdParams::default())
                .unwrap_err()
                .to_string(),
            "MMD needs at least 2 reference rows without a missing numerical value, got 0"
        );
        let same = [4.0; 10];
        let r = [FeatureColumn::numerical("x", &same)];
        assert!(matches!(
            multivariate_mmd_drift(&r, &r, &MultivariateMmdParams::default()),
            Err(MultivariateError::Embedding(_))
        ));
    }
}
