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

// Paired-sample correlation and association (target drift).
pub mod correlation;
