//! Two-sample statistics used by drift detection.
//!
//! Every function here is a plain, deterministic function over slices. Two kinds of input:
//!
//! * numeric tests take the reference and current samples as `&[f64]` that are **finite and
//!   sorted ascending** (the drift engine sorts each column once and shares the sorted copy
//!   between methods; every two-sample test here is invariant to the order of observations);
//! * count tests take aligned per-category counts `&[u64]` (index `i` is the same category, or
//!   the same histogram bin, on both sides).
//!
//! Vector (embedding) columns are tested as a whole by [`embedding`], on row-major matrices
//! checked by [`embedding::Vectors::new`].
//!
//! Each function returns the score that Evidently 0.7 reports for the method (a p-value or a
//! distance), and documents the formula and its source.

pub mod error;
pub use error::StatError;

// Numeric (sorted-slice) tests.
pub mod anderson;
pub mod cramer_von_mises;
pub mod energy;
pub mod epps_singleton;
pub mod ks;
pub mod mann_whitney;
pub mod mmd;
pub mod t_test;
pub mod wasserstein;

// Count-based tests and binning.
pub mod binning;
pub mod chisquare;
pub mod divergence;
pub mod fisher;
pub mod g_test;
pub mod hellinger;
pub mod tvd;
pub mod z_test;

// Shared numerical building blocks (distributions, ranks).
pub mod special;

#[cfg(test)]
pub(crate) mod test_support;

// Paired-sample correlation and association (target drift).
pub mod correlation;

// Drift of vector (embedding) columns.
pub mod embedding;

// Drift of text columns (a domain classifier on TF-IDF features).
pub mod text_drift;

// Dataset-level drift of tabular data (how columns move together).
pub mod multivariate;

#[cfg(test)]
mod tests {
    use super::*;

    /// Every numeric test, on samples at the edges of the `f64` range (overflowing sums,
    /// subnormals, ties of huge values), returns a value or an error, never panics.
    #[test]
    fn numeric_tests_never_panic_on_extreme_values() {
        let samples = test_support::extreme_samples();
        for a in &samples {
            for b in &samples {
                let _ = ks::ks_two_sample(a, b);
                let _ = anderson::anderson_ksamp_two(a, b);
                let _ = cramer_von_mises::cramer_von_mises_two_sample(a, b);
                let _ = wasserstein::wasserstein_normed(a, b);
                let _ = energy::energy_distance(a, b);
                let _ = epps_singleton::epps_singleton(a, b);
                let _ = mann_whitney::mann_whitney_u(a, b);
                let _ = t_test::t_test_ind(a, b);
                let _ = mmd::mmd_permutation(a, b, 10, 0);
            }
        }
    }
}
