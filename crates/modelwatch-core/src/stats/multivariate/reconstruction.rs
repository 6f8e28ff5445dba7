//! NannyML's data reconstruction drift (`DataReconstructionDriftCalculator`, NannyML 0.13): how
//! badly a PCA fitted on the reference reconstructs the rows of a window.
//!
//! Fitted on the reference, in NannyML's order:
//!
//! 1. missing values are imputed: a numerical column with its mean, a categorical column with
//!    its most frequent category (the smallest category on ties), scikit-learn's
//!    `SimpleImputer(strategy="mean")` and `SimpleImputer(strategy="most_frequent")`;
//! 2. a categorical column is count-encoded: each category becomes its share of the imputed
//!    reference rows (`category_encoders.CountEncoder(normalize=True)`); a category the
//!    reference never saw becomes 0;
//! 3. every column is standardised by the reference's mean and population standard deviation
//!    (`StandardScaler`; a constant column keeps a scale of 1, so it becomes 0);
//! 4. a PCA of the standardised reference keeps the fewest leading components whose explained
//!    variance shares add up to more than 0.65 (scikit-learn's `PCA(n_components=0.65)`:
//!    `k = #{j : cumsum_j <= 0.65} + 1`).
//!
//! For a window, each row `x` (imputed, encoded and standardised as above) is projected and
//! reconstructed, `x̂ = μ + V_k V_kᵀ (x - μ)`, and the window's score is the mean Euclidean
//! reconstruction error `mean ‖x - x̂‖` over its rows.
//!
//! The band comes from the reference itself: the reference is cut into NannyML's default
//! chunks ([`default_chunks`]: `DefaultChunker`, as many chunks of `⌊n/10⌋` rows as fit,
//! then one chunk of the remaining rows), each chunk's error is
//! computed with the model fitted on the whole reference, and the band is
//! `mean ± 3 · std` of those errors (`np.nanstd`, population), with the lower edge raised to
//! 0 when it falls below (NannyML's `lower_threshold_value_limit=0`). A window drifts unless
//! `lower < error < upper` (NannyML's alert rule: an error on an edge drifts).
//!
//! Source: NannyML's documentation, "Data Reconstruction with PCA" (the method goes back to
//! reconstruction-error novelty detection; Hoffmann 2007, "Kernel PCA for novelty
//! detection"). The committed fixture compares every chunk's error and both thresholds with
//! NannyML 0.13.
//!
//! How it is computed: the PCA is the eigen-decomposition of the reference's scatter matrix
//! ([`crate::stats::embedding::pca::principal_axes`]); scikit-learn uses an SVD. The two agree
//! to rounding; a component's sign is arbitrary and does not change `x̂`.

use std::ops::Range;

use nalgebra::DMatrix;
use serde::Serialize;

use super::{check_sides, need_rows, side_rows, FeatureColumn, FeatureValues, MultivariateError};
use crate::stats::embedding::pca::principal_axes;
use crate::stats::embedding::Vectors;

/// Parameters of reconstruction drift (NannyML's defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReconstructionParams {
    /// Share of the standardised reference's variance the kept components explain (more
    /// than). Default 0.65.
    pub explained_variance: f64,
    /// Number of reference chunks the band is computed from. Default 10.
    pub reference_chunks: usize,
    /// Half-width of the band in standard deviations of the chunk errors. Default 3.
    pub std_multiplier: f64,
}

impl Default for ReconstructionParams {
    fn default() -> Self {
        ReconstructionParams {
            explained_variance: 0.65,
            reference_chunks: 10,
            std_multiplier: 3.0,
        }
    }
}

/// NannyML's `DefaultChunker` over `rows` rows with `chunks` in place of its 10
/// (`SizeBasedChunker(⌊rows/chunks⌋, incomplete="keep")`): as many ranges of
/// `⌊rows/chunks⌋` rows as fit, then one range of the remaining rows when there are any (so
/// 25 rows give twelve chunks of 2 and one of 1). Empty when there are fewer rows than chunks.
pub fn default_chunks(rows: usize, chunks: usize) -> Vec<Range<usize>> {
    if chunks == 0 || rows < chunks {
        return Vec::new();
    }
    let size = rows / chunks;
    (0..rows)
        .step_by(size)
        .map(|start| start..(start + size).min(rows))
        .collect()
}

/// How one column becomes a number before standardising.
#[derive(Debug, Clone, PartialEq)]
enum ColumnEncoding {
    /// Missing values become the reference mean.
    Numerical { fill: f64 },
    /// Categories become their reference share; missing values the most frequent category's.
    Categorical {
        shares: Vec<(String, f64)>,
        fill: f64,
    },
}

impl ColumnEncoding {
    fn fit(values: &FeatureValues<'_>) -> Self {
        match values {
            FeatureValues::Numerical(v) => {
                let (mean, _) = super::mean_and_std(v.iter().copied());
                ColumnEncoding::Numerical { fill: mean }
            }
            FeatureValues::Categorical(v) => {
                let mut counts: Vec<(String, usize)> = Vec::new();
                let mut missing = 0usize;
                for c in v.iter() {
                    match c {
                        None => missing += 1,
                        Some(c) => match counts.binary_search_by(|(k, _)| k.as_str().cmp(c)) {
                            Ok(i) => counts[i].1 += 1,
                            Err(i) => counts.insert(i, (c.to_string(), 1)),
                        },
                    }
                }
                // The most frequent category, the smallest one on ties (counts is sorted by
                // category, and only a strictly larger count replaces the pick).
                let mode = counts
                    .iter()
                    .enumerate()
                    .fold(None::<(usize, usize)>, |best, (i, (_, n))| match best {
                        Some((_, m)) if m >= *n => best,
                        _ => Some((i, *n)),
                    })
                    .map(|(i, _)| i);
                if let Some(i) = mode {
                    counts[i].1 += missing;
                }
                let total = v.len() as f64;
                let shares: Vec<(String, f64)> = counts
                    .into_iter()
                    .map(|(k, n)| (k, n as f64 / total))
                    .collect();
                let fill = mode.map_or(0.0, |i| shares[i].1);
                ColumnEncoding::Categorical { shares, fill }
            }
        }
    }

    fn encode(&self, values: &FeatureValues<'_>, row: usize) -> f64 {
        match (self, values) {
            (ColumnEncoding::Numerical { fill }, FeatureValues::Numerical(v)) => {
                if v[row].is_finite() {
                    v[row]
                } else {
                    *fill
                }
            }
            (ColumnEncoding::Categorical { shares, fill }, FeatureValues::Categorical(v)) => {
                match v[row] {
                    None => *fill,
                    Some(c) => shares
                        .binary_search_by(|(k, _)| k.as_str().cmp(c))
                        .map_or(0.0, |i| shares[i].1),
                }
            }
            // check_sides guarantees the kinds agree.
            _ => f64::NAN,
        }
    }
}

/// The encoders, scaler and PCA fitted on a reference.
#[derive(Debug, Clone, PartialEq)]
pub struct ReconstructionModel {
    names: Vec<String>,
    encodings: Vec<ColumnEncoding>,
    means: Vec<f64>,
    scales: Vec<f64>,
    pca_mean: Vec<f64>,
    /// `dim x k` kept axes.
    basis: DMatrix<f64>,
}

impl ReconstructionModel {
    /// Fits the model on the reference columns.
    ///
    /// Errors: no columns, ragged columns, fewer than 2 rows, a parameter outside `(0, 1)`,
    /// a numerical column without any value in the reference (there is no mean to impute its
    /// missing values with), or a reference in which every column is constant (there is no
    /// variance to explain).
    pub fn fit(
        reference: &[FeatureColumn<'_>],
        params: &ReconstructionParams,
    ) -> Result<Self, MultivariateError> {
        let rows = side_rows(reference)?;
        need_rows("reconstruction error", "reference", 2, rows)?;
        if !(params.explained_variance > 0.0 && params.explained_variance < 1.0) {
            return Err(MultivariateError::InvalidParameter(format!(
                "explained_variance must be between 0 and 1 (exclusive), got {}",
                params.explained_variance
            )));
        }
        let encodings: Vec<ColumnEncoding> = reference
            .iter()
            .map(|c| ColumnEncoding::fit(&c.values))
            .collect();
        // NaN would reach the PCA and come out as an error about a component; name the column.
        if let Some((c, _)) = reference
            .iter()
            .zip(&encodings)
            .find(|(_, e)| matches!(e, ColumnEncoding::Numerical { fill } if !fill.is_finite()))
        {
            return Err(MultivariateError::Degenerate(format!(
                "column `{}` has no value in the reference, so its missing values cannot be \
                 imputed; leave it out",
                c.name
            )));
        }
        let dim = reference.len();
        let mut model = ReconstructionModel {
            names: reference.iter().map(|c| c.name.to_string()).collect(),
            encodings,
            means: vec![0.0; dim],
            scales: vec![1.0; dim],
            pca_mean: Vec::new(),
            basis: DMatrix::zeros(dim, 0),
        };
        let encoded = model.encoded(reference, 0..rows);
        for j in 0..dim {
            let (mean, std) = super::mean_and_std(encoded.iter().skip(j).step_by(dim).copied());
            model.means[j] = mean;
            // StandardScaler keeps a scale of 1 for a column without variance.
            model.scales[j] = if std > 0.0 { std } else { 1.0 };
        }
        let scaled = model.scaled(encoded);
        let vectors = Vectors::new(&scaled, dim)?;
        let axes = principal_axes(&vectors)?;
        let total: f64 = axes.eigenvalues.iter().sum();
        if total <= 0.0 || !total.is_finite() {
            return Err(MultivariateError::Degenerate(
                "every column is constant in the reference: PCA has no variance to explain"
                    .to_string(),
            ));
        }
        let mut cumulative = 0.0;
        let mut kept = 0;
        for value in &axes.eigenvalues {
            cumulative += value / total;
            if cumulative <= params.explained_variance {
                kept += 1;
            }
        }
        let kept = (kept + 1).min(dim);
        model.basis = axes.basis(kept);
        model.pca_mean = axes.mean;
        Ok(model)
    }

    /// Names of the columns, in order.
    pub fn column_names(&self) -> &[String] {
        &self.names
    }

    /// Number of principal components kept.
    pub fn components(&self) -> usize {
        self.basis.ncols()
    }

    /// Rows `rows` imputed and encoded, row-major.
    fn encoded(&self, columns: &[FeatureColumn<'_>], rows: Range<usize>) -> Vec<f64> {
        let mut out = Vec::with_capacity(rows.len() * columns.len());
        for r in rows {
            for (c, e) in columns.iter().zip(&self.encodings) {
                out.push(e.encode(&c.values, r));
            }
        }
        out
    }

    fn scaled(&self, mut encoded: Vec<f64>) -> Vec<f64> {
        let dim = self.means.len();
        for (i, v) in encoded.iter_mut().enumerate() {
            *v = (*v - self.means[i % dim]) / self.scales[i % dim];
        }
        encoded
    }

    /// Mean Euclidean reconstruction error of rows `rows` of `columns` (which list the
    /// model's columns, with the same kinds, in order).
    ///
    /// Errors: different columns, ragged columns, an empty or out-of-bounds range.
    pub fn mean_error(
        &self,
        columns: &[FeatureColumn<'_>],
        rows: Range<usize>,
    ) -> Result<f64, MultivariateError> {
        let kinds_match = columns.len() == self.names.len()
            && columns
                .iter()
                .zip(&self.names)
                .zip(&self.encodings)
                .all(|((c, name), e)| {
                    c.name == name
                        && matches!(
                            (&c.values, e),
                            (
                                FeatureValues::Numerical(_),
                                ColumnEncoding::Numerical { .. }
                            ) | (
                                FeatureValues::Categorical(_),
                                ColumnEncoding::Categorical { .. }
                            )
                        )
                });
        if !kinds_match {
            let position = columns
                .iter()
                .zip(&self.names)
                .position(|(c, n)| c.name != n)
                .unwrap_or(columns.len().min(self.names.len()));
            return Err(MultivariateError::ColumnMismatch {
                position,
                reference: self.names.get(position).cloned().unwrap_or_default(),
                current: columns
                    .get(position)
                    .map_or_else(String::new, |c| c.name.to_string()),
            });
        }
        let available = side_rows(columns)?;
        need_rows("reconstruction error", "current", 1, rows.len())?;
        if rows.end > available {
            return Err(MultivariateError::InvalidParameter(format!(
                "rows {}..{} are outside the {available} rows given",
                rows.start, rows.end
            )));
        }
        let dim = self.names.len();
        let count = rows.len();
        let scaled = self.scaled(self.encoded(columns, rows));
        let mut centred = DMatrix::from_row_slice(count, dim, &scaled);
        for (j, mu) in self.pca_mean.iter().enumerate() {
            centred.column_mut(j).add_scalar_mut(-mu);
        }
        let reconstructed = (&centred * &self.basis) * self.basis.transpose();
        let residual = centred - reconstructed;
        let total: f64 = residual.row_iter().map(|r| r.norm()).sum();
        Ok(total / count as f64)
    }
}

/// The reconstruction error of one window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WindowReconstruction {
    /// Mean reconstruction error of the window's rows.
    pub error: f64,
    /// Whether the error is outside the band or on an edge.
    pub drifted: bool,
}

/// The result of reconstruction drift.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReconstructionDrift {
    /// Number of principal components kept.
    pub components: usize,
    /// Error of each reference chunk (what the band is computed from).
    pub reference_chunk_errors: Vec<f64>,
    /// Lower edge of the band (at least 0).
    pub lower_threshold: f64,
    /// Upper edge of the band.
    pub upper_threshold: f64,
    /// The current window.
    pub current: WindowReconstruction,
}

/// The band `mean ± multiplier · std` of the chunk errors, the lower edge at least 0.
pub fn error_band(chunk_errors: &[f64], multiplier: f64) -> (f64, f64) {
    let (mean, std) = super::mean_and_std(chunk_errors.iter().copied());
    ((mean - multiplier * std).max(0.0), mean + multiplier * std)
}

/// Reconstruction drift of `current` (one window) against `reference`.
///
/// Errors: columns that differ between the sides, fewer reference rows than reference
/// chunks, an empty current side, or a reference whose columns are all constant.
pub fn reconstruction_drift(
    reference: &[FeatureColumn<'_>],
    current: &[FeatureColumn<'_>],
    params: &ReconstructionParams,
) -> Result<ReconstructionDrift, MultivariateError> {
    let (reference_rows, current_rows) = check_sides(reference, current)?;
    need_rows(
        "reconstruction error",
        "reference",
        params.reference_chunks.max(2),
        reference_rows,
    )?;
    need_rows("reconstruction error", "current", 1, current_rows)?;
    let model = ReconstructionModel::fit(reference, params)?;
    let reference_chunk_errors = default_chunks(reference_rows, params.reference_chunks)
        .into_iter()
        .map(|chunk| model.mean_error(reference, chunk))
        .collect::<Result<Vec<f64>, _>>()?;
    let (lower, upper) = error_band(&reference_chunk_errors, params.std_multiplier);
    let error = model.mean_error(current, 0..current_rows)?;
    Ok(ReconstructionDrift {
        components: model.components(),
        reference_chunk_errors,
        lower_threshold: lower,
        upper_threshold: upper,
        current: WindowReconstruction {
            error,
            drifted: !(lower < error && error < upper),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_follow_nannyml() {
        let chunks = default_chunks(25, 10);
        assert_eq!(chunks.len(), 13);
        assert_eq!((chunks[11].clone(), chunks[12].clone()), (22..24, 24..25));
        assert_eq!(default_chunks(20, 10).len(), 10);
        assert!(default_chunks(9, 10).is_empty());
    }

    #[test]
    fn count_encoding_imputes_the_smallest_mode() {
        let v = [Some("b"), Some("a"), None, Some("b"), Some("a"), Some("c")];
        let e = ColumnEncoding::fit(&FeatureValues::Categorical(&v));
        // "a" and "b" tie at 2; "a" is the smaller and takes the missing row.
        assert_eq!(
            e,
            ColumnEncoding::Categorical {
                shares: vec![
                    ("a".to_string(), 0.5),
                    ("b".to_string(), 2.0 / 6.0),
                    ("c".to_string(), 1.0 / 6.0)
                ],
                fill: 0.5
            }
        );
        let unseen = [Some("z")];
        assert_eq!(e.encode(&FeatureValues::Categorical(&unseen), 0), 0.0);
    }

    #[test]
    fn rows_on_a_line_reconstruct_exactly() {
        let x: Vec<f64> = (0..20).map(f64::from).collect();
        let y: Vec<f64> = x.iter().map(|v| 2.0 * v + 1.0).collect();
        let r = [
            FeatureColumn::numerical("x", &x),
            FeatureColumn::numerical("y", &y),
        ];
        let model = ReconstructionModel::fit(&r, &ReconstructionParams::default()).unwrap();
        assert_eq!(model.components(), 1);
        assert!(model.mean_error(&r, 0..20).unwrap() < 1e-12);
        let off = [5.0];
        let on = [0.0];
        let c = [
            FeatureColumn::numerical("x", &on),
            FeatureColumn::numerical("y", &off),
        ];
        assert!(model.mean_error(&c, 0..1).unwrap() > 0.1);
    }

    #[test]
    fn bad_input_is_an_error() {
        let one = [1.0];
        let r = [FeatureColumn::numerical("x", &one)];
        assert!(matches!(
            reconstruction_drift(&r, &r, &ReconstructionParams::default()),
            Err(MultivariateError::TooFewRows { got: 1, .. })
        ));
        let constant = [3.0; 30];
        let cats = [Some("a"); 30];
        let r = [
            FeatureColumn::numerical("x", &constant),
            FeatureColumn::categorical("c", &cats),
        ];
        assert!(matches!(
            reconstruction_drift(&r, &r, &ReconstructionParams::default()),
            Err(MultivariateError::Degenerate(_))
        ));
        let x: Vec<f64> = (0..30).map(f64::from).collect();
        let nothing = [f64::NAN; 30];
        let r = [
            FeatureColumn::numerical("x", &x),
            FeatureColumn::numerical("gone", &nothing),
        ];
        let e = reconstruction_drift(&r, &r, &ReconstructionParams::default()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "column `gone` has no value in the reference, so its missing values cannot be \
             imputed; leave it out"
        );
        let r = [FeatureColumn::numerical("x", &x)];
        let empty: [f64; 0] = [];
        let c = [FeatureColumn::numerical("x", &empty)];
        assert!(matches!(
            reconstruction_drift(&r, &c, &ReconstructionParams::default()),
            Err(MultivariateError::TooFewRows {
                side: "current",
                ..
            })
        ));
    }
}
