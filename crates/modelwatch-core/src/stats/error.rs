//! [`StatError`], why a two-sample statistic has no value for a pair of samples.

use thiserror::Error;

/// Why a statistic could not be computed for a pair of samples.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum StatError {
    /// One of the samples has no observations.
    #[error("{0} sample is empty")]
    EmptySample(&'static str),
    /// The method needs more observations than the sample has.
    #[error("{method} needs at least {needed} observations per sample, got {got}")]
    TooFewObservations {
        /// The method, by its Evidently name.
        method: &'static str,
        /// The smallest sample size the method accepts.
        needed: usize,
        /// The size of the sample that is too small.
        got: usize,
    },
    /// The method needs variation in the data (for example a non-zero variance).
    #[error("{0}")]
    Degenerate(String),
    /// The method only applies to a specific number of categories.
    #[error("{0}")]
    Unsupported(String),
}
