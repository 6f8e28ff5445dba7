//! Evidently's `mmd` embedding drift method (`MMDDriftMethod`): the unbiased squared maximum
//! mean discrepancy (Gretton et al. 2012, "A kernel two-sample test", `MMD²_u`) with an RBF
//! kernel whose bandwidth comes from the median heuristic.
//!
//! As Evidently computes it, for reference rows `x` (`m` of them) and current rows `y` (`n`):
//!
//! * bandwidth: `s = median ‖x_i - y_j‖` over the Euclidean distances between up to 1,000
//!   reference rows and up to 1,000 current rows (pandas `sample(1000, random_state=0)` on a
//!   side with more rows; the same rows are picked here through numpy's legacy generator,
//!   [`super::mt19937::pandas_sample_rows`]); `np.median` (the mean of the two middle values
//!   for an even count); `γ = 1 / s²`;
//! * kernel `k(a, b) = exp(-γ ‖a - b‖²)` (scikit-learn's `rbf`);
//! * `MMD²_u = Σ_{i≠j} k(x_i, x_j) / (m(m-1)) + Σ_{i≠j} k(y_i, y_j) / (n(n-1))
//!   - 2 Σ_{i,j} k(x_i, y_j) / (mn)`;
//! * the score is `max(MMD²_u, 0)`; drift is `MMD²_u > threshold` (default 0.015).
//!
//! With the bootstrap, the comparison value comes from the reference alone: `γ_x = 1 / s_x²`
//! with `s_x` the median of the full square matrix of distances among the (up to 1,000)
//! sampled reference rows, diagonal zeros included; for `i` in `0..100`, after
//! `np.random.seed(i)`, two draws with replacement from the reference rows, of sizes
//! `⌊m²/(m+n)⌋` and `⌊mn/(m+n)⌋` ([`super::mt19937`] reproduces them), give one `MMD²_u`
//! under `γ_x` (a row drawn twice counts as a distinct pair with kernel 1, as in Evidently's
//! index arithmetic); drift is `MMD²_u >` the `quantile_probability` (default 0.05, as in
//! Evidently) percentile of the 100 values.
//!
//! How it is computed: the kernel sums take the squared distances as `‖a‖² + ‖b‖² - 2 a·b`
//! (clamped at 0), as scikit-learn does, with the inner products of blocks of rows from one
//! matrix product each; the median heuristic and the bootstrap sum
//! `Σ (a_k - b_k)²` directly. The two forms agree to rounding. The statistic costs
//! `O((m + n)² d)` time as in Evidently, but runs in bounded memory (Evidently builds the
//! `(m + n)²` kernel matrix); the bootstrap keeps the reference kernel matrix only up to
//! [`KERNEL_TABLE_MAX_ROWS`] reference rows and recomputes entries beyond that.

use rayon::prelude::*;

use super::mt19937::{pandas_sample_rows, LegacyRandomState};
use super::{
    check_pair, percentile_linear, EmbeddingDrift, EmbeddingError, Vectors, BOOTSTRAP_ROUNDS,
};

/// Rows per side used for the median heuristic (Evidently's `sample(min(len, 1000))`).
pub const BANDWIDTH_SAMPLE_ROWS: usize = 1000;

/// Largest reference for which the bootstrap stores the reference kernel matrix (32 MB).
pub const KERNEL_TABLE_MAX_ROWS: usize = 2048;

/// Parameters of the `mmd` method (Evidently's defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MmdParams {
    /// Drift when `MMD²_u` exceeds this (without the bootstrap). Default 0.015.
    pub threshold: f64,
    /// Compare with a bootstrap quantile instead of the threshold.
    pub bootstrap: bool,
    /// The quantile of the bootstrap values. Default 0.05.
    pub quantile_probability: f64,
}

impl Default for MmdParams {
    fn default() -> Self {
        MmdParams {
            threshold: 0.015,
            bootstrap: false,
            quantile_probability: 0.05,
        }
    }
}

/// `Σ (a_k - b_k)²`, in eight interleaved partial sums: a single running sum makes every
/// addition wait for the one before it, while eight independent ones let the compiler use
/// vector instructions (the statistic is dominated by this loop). The order of the additions,
/// and so the rounding, is fixed by the lengths alone.
pub(crate) fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    const LANES: usize = 8;
    let mut partial = [0.0f64; LANES];
    let (a_chunks, b_chunks) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f64 = a_chunks
        .remainder()
        .iter()
        .zip(b_chunks.remainder())
        .map(|(x, y)| (x - y) * (x - y))
        .sum();
    for (ca, cb) in a_chunks.zip(b_chunks) {
        for k in 0..LANES {
            let d = ca[k] - cb[k];
            partial[k] += d * d;
        }
    }
    partial.iter().sum::<f64>() + tail
}

/// `np.median`: the middle value, or the mean of the two middle values.
fn median(mut values: Vec<f64>) -> f64 {
    let len = values.len();
    let (_, upper, _) = values.select_nth_unstable_by(len / 2, f64::total_cmp);
    let upper = *upper;
    if len % 2 == 1 {
        return upper;
    }
    let lower = values[..len / 2]
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    (lower + upper) / 2.0
}

/// `γ = 1 / median²` over the distances of the `a` rows to the `b` rows.
pub(crate) fn median_gamma(
    a: &Vectors<'_>,
    a_rows: &[usize],
    b: &Vectors<'_>,
    b_rows: &[usize],
) -> Result<f64, EmbeddingError> {
    let distances: Vec<f64> = a_rows
        .par_iter()
        .flat_map_iter(|&i| {
            b_rows
                .iter()
                .map(move |&j| squared_distance(a.row(i), b.row(j)).sqrt())
        })
        .collect();
    let s = median(distances);
    let gamma = 1.0 / (s * s);
    if !gamma.is_finite() {
        return Err(EmbeddingError::Degenerate(
            "the median distance is zero, so the MMD kernel has no bandwidth".to_string(),
        ));
    }
    Ok(gamma)
}

/// `Σ_i term(i)` over `0..count`: the terms in parallel, their sum in index order, so the
/// result does not depend on how the work was split between threads.
fn ordered_sum(count: usize, term: impl Fn(usize) -> f64 + Sync) -> f64 {
    let terms: Vec<f64> = (0..count).into_par_iter().map(&term).collect();
    terms.iter().sum()
}

/// Rows of each side taken together by [`kernel_row_sums`]: the inner products of a block of
/// 256 rows of one side with 256 of the other are one matrix product, 512 KB of results.
const BLOCK_ROWS: usize = 256;

/// For every row `i` of `a`, `Σ_j k(a_i, b_j)` over `j` from `first(i)` (non-decreasing in
/// `i`) to the end of `b`, added in increasing `j`. The squared distances are
/// `‖a‖² + ‖b‖² - 2 a·b`, clamped at 0, as scikit-learn's `euclidean_distances` computes them,
/// with the inner products of a block of rows against a block of the other side from one
/// matrix product (`matrixmultiply`'s `dgemm`, which picks the CPU's vector instructions at run
/// time). Blocks of rows of `a` run in parallel; each total is summed in row order, so the
/// result does not depend on how the work was split.
fn kernel_row_sums(
    a: &Vectors<'_>,
    b: &Vectors<'_>,
    gamma: f64,
    first: impl Fn(usize) -> usize + Sync,
) -> Vec<f64> {
    let dim = a.dim();
    let norms = |v: &Vectors<'_>| -> Vec<f64> {
        (0..v.rows())
            .map(|i| v.row(i).iter().map(|x| x * x).sum())
            .collect()
    };
    let (a_norms, b_norms) = (norms(a), norms(b));
    let starts: Vec<usize> = (0..a.rows()).step_by(BLOCK_ROWS).collect();
    starts
        .par_iter()
        .flat_map_iter(|&start| {
            let rows = (start + BLOCK_ROWS).min(a.rows()) - start;
            let mut sums = vec![0.0f64; rows];
            let mut products = vec![0.0f64; rows * BLOCK_ROWS];
            for tile in (0..b.rows()).step_by(BLOCK_ROWS) {
                let cols = (tile + BLOCK_ROWS).min(b.rows()) - tile;
                if tile + cols <= first(start) {
                    continue;
                }
                let a_block = &a.values()[start * dim..(start + rows) * dim];
                let b_block = &b.values()[tile * dim..(tile + cols) * dim];
                // SAFETY: `a_block` holds `rows` rows of `dim` values (row stride `dim`),
                // `b_block` `cols` rows of `dim` values read as a `dim` x `cols` matrix
                // (stride 1 down a column, `dim` across), and `products` has room for the
                // `rows` x `cols` result with row stride `cols`; every index dgemm forms lies
                // inside these slices. The two inputs may be the same rows (the sums within
                // one side) and are only read; `products` is written and aliases neither.
                unsafe {
                    matrixmultiply::dgemm(
                        rows,
                        dim,
                        cols,
                        1.0,
                        a_block.as_ptr(),
                        dim as isize,
                        1,
                        b_block.as_ptr(),
                        1,
                        dim as isize,
                        0.0,
                        products.as_mut_ptr(),
                        cols as isize,
                        1,
                    );
                }
                for (r, sum) in sums.iter_mut().enumerate() {
                    let i = start + r;
                    let row = &products[r * cols..(r + 1) * cols];
                    for j in first(i).max(tile)..tile + cols {
                        let d2 = (a_norms[i] + b_norms[j] - 2.0 * row[j - tile]).max(0.0);
                        *sum += (-gamma * d2).exp();
                    }
                }
            }
            sums
        })
        .collect()
}

/// `(Σ_{i≠j} k(x_i, x_j), Σ_{i≠j} k(y_i, y_j), Σ_{i,j} k(x_i, y_j))` over all rows.
fn kernel_sums(x: &Vectors<'_>, y: &Vectors<'_>, gamma: f64) -> (f64, f64, f64) {
    let within = |v: &Vectors<'_>| -> f64 {
        2.0 * kernel_row_sums(v, v, gamma, |i| i + 1).iter().sum::<f64>()
    };
    let across = kernel_row_sums(x, y, gamma, |_| 0).iter().sum::<f64>();
    (within(x), within(y), across)
}

fn unbiased(sum_xx: f64, sum_yy: f64, sum_xy: f64, m: usize, n: usize) -> f64 {
    let (m, n) = (m as f64, n as f64);
    sum_xx / (m * (m - 1.0)) + sum_yy / (n * (n - 1.0)) - 2.0 / (m * n) * sum_xy
}

/// The most rows (both sides together) `mmd` takes. Its cost grows with the square of the
/// rows (Evidently's too, which also holds the whole kernel matrix): 20,000 rows are 200
/// million kernel values per pass, seconds; 200,000 rows would be hours, so the caller is
/// told to reduce them instead of waiting.
pub const MMD_MAX_ROWS: usize = 20_000;

/// Evidently's `MMD²_u` (before the clamp at 0) and its `γ`.
pub fn mmd_squared(
    reference: &Vectors<'_>,
    current: &Vectors<'_>,
) -> Result<(f64, f64), EmbeddingError> {
    check_pair(reference, current, "mmd", 2)?;
    let rows = reference.rows() + current.rows();
    if rows > MMD_MAX_ROWS {
        return Err(EmbeddingError::TooManyRows {
            method: "mmd",
            rows,
            limit: MMD_MAX_ROWS,
        });
    }
    let gamma = median_gamma(
        reference,
        &pandas_sample_rows(reference.rows(), BANDWIDTH_SAMPLE_ROWS),
        current,
        &pandas_sample_rows(current.rows(), BANDWIDTH_SAMPLE_ROWS),
    )?;
    let (xx, yy, xy) = kernel_sums(reference, current, gamma);
    Ok((
        unbiased(xx, yy, xy, reference.rows(), current.rows()),
        gamma,
    ))
}

/// Evidently's `mmd` method on checked vectors.
pub fn mmd_drift(
    reference: &Vectors<'_>,
    current: &Vectors<'_>,
    params: &MmdParams,
) -> Result<EmbeddingDrift, EmbeddingError> {
    let (mmd2u, _) = mmd_squared(reference, current)?;
    let threshold = if params.bootstrap {
        if !(0.0..=1.0).contains(&params.quantile_probability) {
            return Err(EmbeddingError::InvalidParameter(format!(
                "quantile_probability {} is not in [0, 1]",
                params.quantile_probability
            )));
        }
        bootstrap_quantile(reference, current.rows(), params.quantile_probability)?
    } else {
        params.threshold
    };
    Ok(EmbeddingDrift {
        method: "mmd",
        score: mmd2u.max(0.0),
        threshold,
        drifted: mmd2u > threshold,
    })
}

/// The reference kernel `k(x_a, x_b)` under `γ_x`, from a stored matrix when it is small.
struct ReferenceKernel<'a> {
    x: Vectors<'a>,
    gamma: f64,
    table: Option<Vec<f64>>,
}

impl ReferenceKernel<'_> {
    /// `Σ_q k(x_a, x_{rows_q})`.
    fn row_sum(&self, a: usize, rows: &[usize]) -> f64 {
        match &self.table {
            Some(t) => {
                let m = self.x.rows();
                let row = &t[a * m..(a + 1) * m];
                rows.iter().map(|&b| row[b]).sum()
            }
            None => rows
                .iter()
                .map(|&b| (-self.gamma * squared_distance(self.x.row(a), self.x.row(b))).exp())
                .sum(),
        }
    }

    /// `Σ_{p≠q} k(rows_p, rows_q)` over positions (a row drawn twice pairs with itself). The
    /// diagonal terms are `exp(0) = 1` exactly, so the full sum less their count is it.
    fn within(&self, rows: &[usize]) -> f64 {
        self.across(rows, rows) - rows.len() as f64
    }

    fn across(&self, first: &[usize], second: &[usize]) -> f64 {
        ordered_sum(first.len(), |p| self.row_sum(first[p], second))
    }
}

fn bootstrap_quantile(
    reference: &Vectors<'_>,
    current_rows: usize,
    quantile: f64,
) -> Result<f64, EmbeddingError> {
    let (m, n) = (reference.rows(), current_rows);
    let first = (m * m / (m + n)).max(1);
    let second = (m * n / (m + n)).max(1);
    if first < 2 || second < 2 {
        // Evidently divides by zero there.
        return Err(EmbeddingError::TooFewRows {
            method: "mmd (bootstrap)",
            needed: 2,
            got: first.min(second),
        });
    }
    let sampled = pandas_sample_rows(m, BANDWIDTH_SAMPLE_ROWS);
    let gamma = median_gamma(reference, &sampled, reference, &sampled)?;
    let table = (m <= KERNEL_TABLE_MAX_ROWS).then(|| {
        (0..m * m)
            .into_par_iter()
            .map(|ab| {
                (-gamma * squared_distance(reference.row(ab / m), reference.row(ab % m))).exp()
            })
            .collect()
    });
    let kernel = ReferenceKernel {
        x: *reference,
        gamma,
        table,
    };
    let mut values = Vec::with_capacity(BOOTSTRAP_ROUNDS as usize);
    for seed in 0..BOOTSTRAP_ROUNDS {
        let mut rng = LegacyRandomState::new(seed);
        let a = rng.choice_with_replacement(m, first);
        let b = rng.choice_with_replacement(m, second);
        values.push(unbiased(
            kernel.within(&a),
            kernel.within(&b),
            kernel.across(&a, &b),
            first,
            second,
        ));
    }
    Ok(percentile_linear(&mut values, quantile))
}

#[cfg(test)]
mod tests {
    use super::super::fixture;
    use super::*;

    #[test]
    fn median_is_numpys() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
    }

    #[test]
    fn more_rows_than_the_pairwise_cost_allows_is_an_error_not_hours() {
        let values: Vec<f64> = (0..(MMD_MAX_ROWS / 2 + 1) * 2).map(|i| i as f64).collect();
        let side = Vectors::new(&values, 2).unwrap();
        let e = mmd_drift(&side, &side, &MmdParams::default()).unwrap_err();
        assert!(
            matches!(e, EmbeddingError::TooManyRows { rows, limit, .. } if rows == MMD_MAX_ROWS + 2 && limit == MMD_MAX_ROWS),
            "{e}"
        );
    }

    #[test]
    fn identical_points_have_no_bandwidth() {
        let r = Vectors::new(&[1.0, 1.0, 1.0, 1.0], 2).unwrap();
        assert!(matches!(
            mmd_drift(&r, &r, &MmdParams::default()),
            Err(EmbeddingError::Degenerate(_))
        ));
        let one = Vectors::new(&[1.0, 1.0], 2).unwrap();
        assert!(matches!(
            mmd_drift(&r, &one, &MmdParams::default()),
            Err(EmbeddingError::TooFewRows { .. })
        ));
    }

    #[test]
    fn stored_and_recomputed_kernels_agree() {
        let values: Vec<f64> = (0..40).map(|i| ((i * 37) % 11) as f64 * 0.3).collect();
        let x = Vectors::new(&values, 4).unwrap();
        let gamma = 0.2;
        let stored = ReferenceKernel {
            x,
            gamma,
            table: Some(
                (0..100)
                    .map(|ab| (-gamma * squared_distance(x.row(ab / 10), x.row(ab % 10))).exp())
                    .collect(),
            ),
        };
        let recomputed = ReferenceKernel {
            x,
            gamma,
            table: None,
        };
        let rows = [0, 3, 3, 9, 5];
        assert_eq!(stored.within(&rows), recomputed.within(&rows));
        assert_eq!(
            stored.across(&rows, &[1, 2]),
            recomputed.across(&rows, &[1, 2])
        );
    }

    #[test]
    fn matches_evidently_with_and_without_bootstrap() {
        let mut compared = 0;
        for case in fixture::cases() {
            let r = Vectors::new(&case.reference, case.dim).unwrap();
            let c = Vectors::new(&case.current, case.dim).unwrap();
            for (key, bootstrap) in [("mmd", false), ("mmd_bootstrap", true)] {
                let Some((score, drift)) = case.result(key) else {
                    continue;
                };
                let params = MmdParams {
                    bootstrap,
                    ..MmdParams::default()
                };
                let got = mmd_drift(&r, &c, &params).unwrap();
                fixture::assert_close(&case.name, key, got.score, score);
                assert_eq!(got.drifted, drift, "{}: {key}", case.name);
                compared += 1;
            }
        }
        assert_eq!(compared, 12);
    }
}
