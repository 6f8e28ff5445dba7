//! Drift of a vector (embedding) column: Evidently 0.7's four embedding drift methods
//! (`evidently.legacy.metrics.data_drift.embedding_drift_methods`), with its names and defaults.
//!
//! * [`distance`]: a distance between the mean vectors (threshold 0.2, optional bootstrap);
//! * [`ratio`]: the share of components whose normed Wasserstein distance reaches 0.1
//!   (drift above 0.2);
//! * [`mmd`]: the unbiased squared maximum mean discrepancy with an RBF kernel and the median
//!   heuristic (threshold 0.015, optional bootstrap);
//! * [`model`]: a classifier that tells reference from current rows, scored by ROC AUC
//!   (threshold 0.55, or a bootstrap quantile of random AUCs).
//!
//! Each method can run after a PCA fitted on the reference ([`pca`]). The entry point for a
//! caller that holds a configured method is [`embedding_drift`]; [`EmbeddingMethod::default_for`]
//! is Evidently's default for the `EmbeddingsDriftMetric` (`model`, with the bootstrap when the
//! reference has fewer than 1,000 rows).
//!
//! Inputs are row-major matrices checked once by [`Vectors::new`]: every row has the same
//! dimension and every value is finite; anything else is an [`EmbeddingError`], never a panic.
//! Evidently's bootstraps seed numpy's legacy generator with `np.random.seed(i)`; [`mt19937`]
//! reproduces that generator, so the bootstrap quantiles of `distance` and `mmd` are Evidently's
//! own. Only `model` differs by construction (Evidently fits scikit-learn's `SGDClassifier`);
//! its procedure is documented in [`model`].

use thiserror::Error;

use super::StatError;

pub mod distance;
pub mod mmd;
pub mod model;
pub mod mt19937;
pub mod pca;
pub mod ratio;

pub use distance::{DistanceMetric, DistanceParams};
pub use mmd::MmdParams;
pub use model::ModelParams;
pub use ratio::RatioParams;

/// Number of bootstrap draws of `distance`, `mmd` and `model` (Evidently's `N_BOOTSTRAP`, and
/// the 100 random-score AUCs of `model`).
pub const BOOTSTRAP_ROUNDS: u32 = 100;

/// Why an embedding drift method has no result for a pair of vector samples.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum EmbeddingError {
    /// The dimension of the vectors is zero.
    #[error("vectors need a dimension of at least 1")]
    ZeroDimension,
    /// The number of values is not a multiple of the dimension.
    #[error("{len} values do not make rows of dimension {dim}")]
    Ragged {
        /// Number of values given.
        len: usize,
        /// Dimension of each row.
        dim: usize,
    },
    /// A value is NaN or infinite.
    #[error("row {row}, component {component} is not a finite number")]
    NonFinite {
        /// Row of the value (0-based).
        row: usize,
        /// Component of the value (0-based).
        component: usize,
    },
    /// Reference and current vectors have different dimensions.
    #[error("reference vectors have dimension {reference}, current vectors {current}")]
    DimensionMismatch {
        /// Dimension of the reference vectors.
        reference: usize,
        /// Dimension of the current vectors.
        current: usize,
    },
    /// A side has too few rows for the method.
    #[error("{method} needs at least {needed} rows per side, got {got}")]
    TooFewRows {
        /// The method, by its Evidently name.
        method: &'static str,
        /// The smallest number of rows the method accepts.
        needed: usize,
        /// The number of rows of the side that is too small.
        got: usize,
    },
    /// A parameter is out of its range (for example more PCA components than dimensions).
    #[error("{0}")]
    InvalidParameter(String),
    /// More rows than a method that compares every pair of rows takes.
    #[error(
        "{method} compares every pair of rows: {rows} rows in all, more than {limit}; \
         reduce them with PCA components or a sample, or use the ratio or distance method"
    )]
    TooManyRows {
        /// The method, by its Evidently name.
        method: &'static str,
        /// Rows of both sides together.
        rows: usize,
        /// The most it takes.
        limit: usize,
    },
    /// The data give the method nothing to measure (for example a zero mean vector for the
    /// cosine distance).
    #[error("{0}")]
    Degenerate(String),
    /// A per-component statistic failed.
    #[error(transparent)]
    Stat(#[from] StatError),
}

/// A borrowed row-major matrix of finite vectors, all of one dimension.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Vectors<'a> {
    values: &'a [f64],
    dim: usize,
}

impl<'a> Vectors<'a> {
    /// Checks `values` as rows of `dim` finite numbers (row `r` is `values[r*dim..(r+1)*dim]`).
    pub fn new(values: &'a [f64], dim: usize) -> Result<Self, EmbeddingError> {
        if dim == 0 {
            return Err(EmbeddingError::ZeroDimension);
        }
        if values.len() % dim != 0 {
            return Err(EmbeddingError::Ragged {
                len: values.len(),
                dim,
            });
        }
        if let Some(at) = values.iter().position(|v| !v.is_finite()) {
            return Err(EmbeddingError::NonFinite {
                row: at / dim,
                component: at % dim,
            });
        }
        Ok(Vectors { values, dim })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.values.len() / self.dim
    }

    /// Dimension of each row.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Row `r` (panics when `r >= rows()`, like slice indexing).
    pub fn row(&self, r: usize) -> &'a [f64] {
        &self.values[r * self.dim..(r + 1) * self.dim]
    }

    /// The values, row-major.
    pub fn values(&self) -> &'a [f64] {
        self.values
    }

    /// Component `c` of every row, in row order.
    pub fn column(&self, c: usize) -> Vec<f64> {
        self.values
            .iter()
            .skip(c)
            .step_by(self.dim)
            .copied()
            .collect()
    }

    /// The mean vector (pandas `DataFrame.mean(axis=0)`: a plain sum per component divided by
    /// the number of rows).
    pub fn mean(&self) -> Vec<f64> {
        mean_of_rows(self, 0..self.rows())
    }
}

/// Mean of the rows of `v` listed by `rows` (which may repeat rows, as a bootstrap does).
pub(crate) fn mean_of_rows(
    v: &Vectors<'_>,
    rows: impl ExactSizeIterator<Item = usize>,
) -> Vec<f64> {
    let count = rows.len() as f64;
    let mut sum = vec![0.0; v.dim()];
    for r in rows {
        for (s, x) in sum.iter_mut().zip(v.row(r)) {
            *s += x;
        }
    }
    sum.iter_mut().for_each(|s| *s /= count);
    sum
}

/// Checks that both sides have the same dimension and at least `needed` rows.
pub(crate) fn check_pair(
    reference: &Vectors<'_>,
    current: &Vectors<'_>,
    method: &'static str,
    needed: usize,
) -> Result<(), EmbeddingError> {
    if reference.dim() != current.dim() {
        return Err(EmbeddingError::DimensionMismatch {
            reference: reference.dim(),
            current: current.dim(),
        });
    }
    for got in [reference.rows(), current.rows()] {
        if got < needed {
            return Err(EmbeddingError::TooFewRows {
                method,
                needed,
                got,
            });
        }
    }
    Ok(())
}

/// numpy's `percentile(values, 100 * q)` with the default linear interpolation (NaN for no
/// values or `q` outside `[0, 1]`): sorts, then the one linear quantile of
/// [`quantile_linear_sorted`](crate::stats::special::quantile_linear_sorted).
pub(crate) fn percentile_linear(values: &mut [f64], q: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    crate::stats::special::quantile_linear_sorted(values, q).unwrap_or(f64::NAN)
}

/// The result of one embedding drift method, as Evidently reports it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EmbeddingDrift {
    /// Evidently's method name: `distance`, `ratio`, `mmd` or `model`.
    pub method: &'static str,
    /// The drift score (a distance, a share of components, an MMD² or a ROC AUC).
    pub score: f64,
    /// The value the score was compared with: the configured threshold, or the bootstrap
    /// quantile when the method ran with the bootstrap.
    pub threshold: f64,
    /// Whether drift was detected.
    pub drifted: bool,
}

/// One configured embedding drift method.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EmbeddingMethod {
    /// Distance between the mean vectors.
    Distance(DistanceParams),
    /// Share of drifted components.
    Ratio(RatioParams),
    /// Maximum mean discrepancy.
    Mmd(MmdParams),
    /// Domain classifier.
    Model(ModelParams),
}

impl EmbeddingMethod {
    /// Evidently's default for an embedding column: `model`, with the bootstrap when the
    /// reference has fewer than 1,000 rows (`EmbeddingsDriftMetric`).
    pub fn default_for(reference_rows: usize) -> Self {
        EmbeddingMethod::Model(ModelParams {
            bootstrap: reference_rows < 1000,
            ..ModelParams::default()
        })
    }

    /// The method named `name` (Evidently's names: `distance`, `ratio`, `mmd`, `model`) with
    /// Evidently's default parameters, if there is one.
    pub fn with_defaults(name: &str) -> Option<Self> {
        Some(match name {
            "distance" => EmbeddingMethod::Distance(DistanceParams::default()),
            "ratio" => EmbeddingMethod::Ratio(RatioParams::default()),
            "mmd" => EmbeddingMethod::Mmd(MmdParams::default()),
            "model" => EmbeddingMethod::Model(ModelParams::default()),
            _ => return None,
        })
    }

    /// Evidently's method name.
    pub fn name(&self) -> &'static str {
        match self {
            EmbeddingMethod::Distance(_) => "distance",
            EmbeddingMethod::Ratio(_) => "ratio",
            EmbeddingMethod::Mmd(_) => "mmd",
            EmbeddingMethod::Model(_) => "model",
        }
    }
}

/// Runs `method` on the vectors, after a PCA to `pca_components` components fitted on the
/// reference when that is given (Evidently's `pca_components`).
pub fn embedding_drift(
    reference: &Vectors<'_>,
    current: &Vectors<'_>,
    method: &EmbeddingMethod,
    pca_components: Option<usize>,
) -> Result<EmbeddingDrift, EmbeddingError> {
    let projected;
    let (reference, current) = match pca_components {
        Some(k) => {
            projected = pca::project(reference, current, k)?;
            (
                Vectors::new(&projected.reference, k)?,
                Vectors::new(&projected.current, k)?,
            )
        }
        None => (*reference, *current),
    };
    match method {
        EmbeddingMethod::Distance(p) => distance::distance_drift(&reference, &current, p),
        EmbeddingMethod::Ratio(p) => ratio::ratio_drift(&reference, &current, p),
        EmbeddingMethod::Mmd(p) => mmd::mmd_drift(&reference, &current, p),
        EmbeddingMethod::Model(p) => model::model_drift(&reference, &current, p),
    }
}

#[cfg(test)]
pub(crate) mod fixture;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_reject_bad_shapes_and_values() {
        assert_eq!(Vectors::new(&[1.0], 0), Err(EmbeddingError::ZeroDimension));
        assert_eq!(
            Vectors::new(&[1.0, 2.0, 3.0], 2),
            Err(EmbeddingError::Ragged { len: 3, dim: 2 })
        );
        assert_eq!(
            Vectors::new(&[1.0, 2.0, 3.0, f64::NAN], 2),
            Err(EmbeddingError::NonFinite {
                row: 1,
                component: 1
            })
        );
        let v = Vectors::new(&[1.0, 2.0, 3.0, 6.0], 2).unwrap();
        assert_eq!((v.rows(), v.dim()), (2, 2));
        assert_eq!(v.mean(), vec![2.0, 4.0]);
        assert_eq!(v.column(1), vec![2.0, 6.0]);
    }

    #[test]
    fn dimension_mismatch_is_an_error_for_every_method() {
        let a = Vectors::new(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0], 2).unwrap();
        let b = Vectors::new(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0], 3).unwrap();
        for method in [
            EmbeddingMethod::Distance(DistanceParams::default()),
            EmbeddingMethod::Ratio(RatioParams::default()),
            EmbeddingMethod::Mmd(MmdParams::default()),
            EmbeddingMethod::Model(ModelParams::default()),
        ] {
            assert_eq!(
                embedding_drift(&a, &b, &method, None),
                Err(EmbeddingError::DimensionMismatch {
                    reference: 2,
                    current: 3
                }),
                "{}",
                method.name()
            );
        }
    }

    /// Every method, with and without PCA and the bootstraps, on tiny, empty and extreme
    /// (finite, overflowing) inputs returns a value or an error, never panics.
    #[test]
    fn no_method_panics_on_small_or_extreme_inputs() {
        let big = f64::MAX;
        let samples: Vec<Vec<f64>> = vec![
            vec![],
            vec![1.0, 2.0],
            vec![1.0, 2.0, 1.0, 2.0],
            vec![0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            vec![big, -big, big, big, -big, 0.0, 5e-324, 1e300],
            vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 9.0],
        ];
        let methods = [
            EmbeddingMethod::Distance(DistanceParams::default()),
            EmbeddingMethod::Distance(DistanceParams {
                metric: DistanceMetric::Cosine,
                bootstrap: true,
                ..DistanceParams::default()
            }),
            EmbeddingMethod::Ratio(RatioParams::default()),
            EmbeddingMethod::Mmd(MmdParams::default()),
            EmbeddingMethod::Mmd(MmdParams {
                bootstrap: true,
                ..MmdParams::default()
            }),
            EmbeddingMethod::Model(ModelParams::default()),
            EmbeddingMethod::Model(ModelParams {
                bootstrap: true,
                ..ModelParams::default()
            }),
        ];
        for a in &samples {
            for b in &samples {
                let r = Vectors::new(a, 2).unwrap();
                let c = Vectors::new(b, 2).unwrap();
                for method in &methods {
                    for pca in [None, Some(1), Some(3)] {
                        let _ = embedding_drift(&r, &c, method, pca);
                    }
                }
            }
        }
        let empty = Vectors::new(&[], 2).unwrap();
        let one = Vectors::new(&[1.0, 2.0], 2).unwrap();
        assert_eq!(
            embedding_drift(&empty, &one, &methods[0], None),
            Err(EmbeddingError::TooFewRows {
                method: "distance",
                needed: 1,
                got: 0
            })
        );
    }

    #[test]
    fn percentile_matches_numpy() {
        // np.percentile([3, 1, 2, 10], 95) == 8.95
        let got = percentile_linear(&mut [3.0, 1.0, 2.0, 10.0], 0.95);
        assert!((got - 8.95).abs() < 1e-12);
        assert_eq!(percentile_linear(&mut [4.0], 0.05), 4.0);
    }

    #[test]
    fn methods_by_name() {
        for name in ["distance", "ratio", "mmd", "model"] {
            assert_eq!(EmbeddingMethod::with_defaults(name).unwrap().name(), name);
        }
        assert_eq!(EmbeddingMethod::with_defaults("wasserstein"), None);
    }

    #[test]
    fn default_method_follows_the_reference_size() {
        assert_eq!(
            EmbeddingMethod::default_for(999),
            EmbeddingMethod::Model(ModelParams {
                bootstrap: true,
                ..ModelParams::default()
            })
        );
        assert_eq!(
            EmbeddingMethod::default_for(1000),
            EmbeddingMethod::Model(ModelParams::default())
        );
    }
}
