//! Multivariate (dataset-level) drift of tabular data: changes in how columns move together,
//! which per-column tests cannot see (two columns whose correlation flips keep both marginals).
//!
//! * [`reconstruction`]: NannyML's data reconstruction drift (PCA reconstruction error);
//! * [`domain_classifier`]: NannyML's domain classifier (gradient-boosted trees, cross-validated
//!   ROC AUC), trained by the small booster in [`boosted_trees`];
//! * [`mmd`]: the maximum mean discrepancy over all numerical columns, with a seeded
//!   permutation test.
//!
//! Every method takes the reference and the current data as [`FeatureColumn`]s: one slice per
//! column, numerical (`f64`, NaN for a missing value) or categorical (`Option<&str>`, `None`
//! for a missing value). Both sides list the same columns, with the same kinds, in the same
//! order.

use thiserror::Error;

use super::embedding::EmbeddingError;

pub mod boosted_trees;
pub mod domain_classifier;
pub mod mmd;
pub mod reconstruction;

/// The values of one column of a multivariate drift input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FeatureValues<'a> {
    /// Numbers; NaN marks a missing value.
    Numerical(&'a [f64]),
    /// Categories; `None` marks a missing value.
    Categorical(&'a [Option<&'a str>]),
}

impl FeatureValues<'_> {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            FeatureValues::Numerical(v) => v.len(),
            FeatureValues::Categorical(v) => v.len(),
        }
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One named column of a multivariate drift input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeatureColumn<'a> {
    /// The column's name (reported with the columns that contribute most).
    pub name: &'a str,
    /// Its values.
    pub values: FeatureValues<'a>,
}

impl<'a> FeatureColumn<'a> {
    /// A numerical column.
    pub fn numerical(name: &'a str, values: &'a [f64]) -> Self {
        FeatureColumn {
            name,
            values: FeatureValues::Numerical(values),
        }
    }

    /// A categorical column.
    pub fn categorical(name: &'a str, values: &'a [Option<&'a str>]) -> Self {
        FeatureColumn {
            name,
            values: FeatureValues::Categorical(values),
        }
    }
}

/// Why a multivariate drift method has no result.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum MultivariateError {
    /// No columns were given.
    #[error("multivariate drift needs at least one column")]
    NoColumns,
    /// The method uses numerical columns only and there are none.
    #[error("{method} needs at least one numerical column")]
    NoNumericalColumns {
        /// The method.
        method: &'static str,
    },
    /// The two sides do not list the same columns with the same kinds.
    #[error(
        "reference and current columns differ at position {position}: {reference} vs {current}"
    )]
    ColumnMismatch {
        /// Position of the first difference.
        position: usize,
        /// The reference's column there (name and kind).
        reference: String,
        /// The current side's column there (name and kind).
        current: String,
    },
    /// The columns of one side have different lengths.
    #[error("column {column} has {rows} rows, the first column {expected}")]
    RaggedColumns {
        /// The column whose length differs.
        column: String,
        /// Its length.
        rows: usize,
        /// The length of the side's first column.
        expected: usize,
    },
    /// A side has too few rows for the method.
    #[error("{method} needs at least {needed} {side} rows, got {got}")]
    TooFewRows {
        /// The method.
        method: &'static str,
        /// `reference` or `current`.
        side: &'static str,
        /// The smallest number of rows the method accepts.
        needed: usize,
        /// The number of rows given.
        got: usize,
    },
    /// The data give the method nothing to measure (for example only constant columns).
    #[error("{0}")]
    Degenerate(String),
    /// A parameter is out of its range.
    #[error("{0}")]
    InvalidParameter(String),
    /// The kernel computation shared with the embedding methods failed.
    #[error(transparent)]
    Embedding(#[from] EmbeddingError),
}

fn kind_name(values: &FeatureValues<'_>) -> &'static str {
    match values {
        FeatureValues::Numerical(_) => "numerical",
        FeatureValues::Categorical(_) => "categorical",
    }
}

/// Number of rows of one side, checking that every column has it.
pub(crate) fn side_rows(columns: &[FeatureColumn<'_>]) -> Result<usize, MultivariateError> {
    let first = columns.first().ok_or(MultivariateError::NoColumns)?;
    let expected = first.values.len();
    for c in columns {
        if c.values.len() != expected {
            return Err(MultivariateError::RaggedColumns {
                column: c.name.to_string(),
                rows: c.values.len(),
                expected,
            });
        }
    }
    Ok(expected)
}

/// Checks that both sides list the same columns with the same kinds, each side rectangular;
/// returns the rows of the reference and of the current side.
pub(crate) fn check_sides(
    reference: &[FeatureColumn<'_>],
    current: &[FeatureColumn<'_>],
) -> Result<(usize, usize), MultivariateError> {
    let describe = |c: Option<&FeatureColumn<'_>>| match c {
        Some(c) => format!("{} ({})", c.name, kind_name(&c.values)),
        None => "no column".to_string(),
    };
    for position in 0..reference.len().max(current.len()) {
        let (r, c) = (reference.get(position), current.get(position));
        let same = match (r, c) {
            (Some(r), Some(c)) => r.name == c.name && kind_name(&r.values) == kind_name(&c.values),
            _ => false,
        };
        if !same {
            return Err(MultivariateError::ColumnMismatch {
                position,
                reference: describe(r),
                current: describe(c),
            });
        }
    }
    Ok((side_rows(reference)?, side_rows(current)?))
}

/// Returns an error unless `got >= needed`.
pub(crate) fn need_rows(
    method: &'static str,
    side: &'static str,
    needed: usize,
    got: usize,
) -> Result<(), MultivariateError> {
    if got < needed {
        return Err(MultivariateError::TooFewRows {
            method,
            side,
            needed,
            got,
        });
    }
    Ok(())
}

/// Mean and population standard deviation of the finite values (NaN when there are none).
pub(crate) fn mean_and_std(values: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let (mut sum, mut count) = (0.0, 0usize);
    for v in values.clone().filter(|v| v.is_finite()) {
        sum += v;
        count += 1;
    }
    let mean = sum / count as f64;
    let squares: f64 = values
        .filter(|v| v.is_finite())
        .map(|v| (v - mean) * (v - mean))
        .sum();
    (mean, (squares / count as f64).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sides_must_match() {
        let a = [1.0, 2.0];
        let b = [1.0];
        let cats = [Some("x"), None];
        let r = [
            FeatureColumn::numerical("a", &a),
            FeatureColumn::categorical("c", &cats),
        ];
        assert_eq!(check_sides(&r, &r), Ok((2, 2)));
        let c = [FeatureColumn::numerical("a", &a)];
        assert!(matches!(
            check_sides(&r, &c),
            Err(MultivariateError::ColumnMismatch { position: 1, .. })
        ));
        let c = [
            FeatureColumn::numerical("a", &a),
            FeatureColumn::numerical("c", &a),
        ];
        assert!(matches!(
            check_sides(&r, &c),
            Err(MultivariateError::ColumnMismatch { position: 1, .. })
        ));
        let ragged = [
            FeatureColumn::numerical("a", &a),
            FeatureColumn::numerical("b", &b),
        ];
        assert!(matches!(
            side_rows(&ragged),
            Err(MultivariateError::RaggedColumns { rows: 1, .. })
        ));
        assert_eq!(side_rows(&[]), Err(MultivariateError::NoColumns));
    }

    /// Every method, on tiny, constant, missing and extreme (finite, overflowing) inputs,
    /// returns a value or an error, never panics.
    #[test]
    fn no_method_panics_on_small_or_extreme_inputs() {
        let big = f64::MAX;
        let numbers: Vec<Vec<f64>> = vec![
            vec![],
            vec![1.0],
            vec![f64::NAN; 12],
            vec![0.0; 12],
            vec![
                big, -big, big, 0.0, 5e-324, 1e300, -big, big, 1.0, 2.0, 3.0, 4.0,
            ],
            (0..12).map(f64::from).collect(),
        ];
        let words: Vec<Option<&str>> = vec![Some("a"), None, Some("b")];
        for a in &numbers {
            for b in &numbers {
                let ca: Vec<Option<&str>> = (0..a.len()).map(|i| words[i % 3]).collect();
                let cb: Vec<Option<&str>> = (0..b.len()).map(|i| words[(i + 1) % 3]).collect();
                let r = [
                    FeatureColumn::numerical("x", a),
                    FeatureColumn::categorical("c", &ca),
                ];
                let c = [
                    FeatureColumn::numerical("x", b),
                    FeatureColumn::categorical("c", &cb),
                ];
                let _ = reconstruction::reconstruction_drift(&r, &c, &Default::default());
                let _ = domain_classifier::domain_classifier_drift(&r, &c, &Default::default());
                let _ = mmd::multivariate_mmd_drift(&r, &c, &Default::default());
            }
        }
    }

    #[test]
    fn mean_and_std_skip_missing_values() {
        let (m, s) = mean_and_std([1.0, f64::NAN, 3.0].into_iter());
        assert_eq!((m, s), (2.0, 1.0));
    }
}
