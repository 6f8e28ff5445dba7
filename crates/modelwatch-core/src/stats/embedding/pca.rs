//! Principal component analysis before an embedding drift method (Evidently's
//! `pca_components`, which runs scikit-learn's `PCA(n_components=k)` fitted on the reference
//! and applied to both sides).
//!
//! The reference is centred on its mean `μ`; the components are the eigenvectors `V_k` of the
//! `k` largest eigenvalues of `(X - μ)ᵀ(X - μ)` (the right singular vectors of the centred
//! reference, which scikit-learn computes by SVD or by this same eigen-decomposition); both
//! sides become `(X - μ) V_k`, without whitening.
//!
//! A component's sign is arbitrary (scikit-learn fixes it by a convention of its own). Every
//! embedding method here gives the same result either way: flipping one coordinate on both
//! sides preserves the distances between the mean vectors (including the cosine), each
//! component's Wasserstein distance and spread, the Euclidean distances inside the MMD, and
//! the logistic regression's fit up to the sign of one weight.

use nalgebra::{DMatrix, SymmetricEigen};

use super::{EmbeddingError, Vectors};

/// Both sides projected on the reference's first principal components (row-major, one
/// column per component).
#[derive(Debug, Clone, PartialEq)]
pub struct Projected {
    /// The projected reference rows.
    pub reference: Vec<f64>,
    /// The projected current rows.
    pub current: Vec<f64>,
}

/// Projects both sides on the first `components` principal components of the reference.
///
/// Errors: `components` must be between 1 and `min(reference rows, dimension)`, as in
/// scikit-learn; the dimensions of the two sides must agree.
pub fn project(
    reference: &Vectors<'_>,
    current: &Vectors<'_>,
    components: usize,
) -> Result<Projected, EmbeddingError> {
    let (n, d) = (reference.rows(), reference.dim());
    if current.dim() != d {
        return Err(EmbeddingError::DimensionMismatch {
            reference: d,
            current: current.dim(),
        });
    }
    if components == 0 || components > n.min(d) {
        return Err(EmbeddingError::InvalidParameter(format!(
            "pca_components must be between 1 and {} (the smaller of the reference's rows and \
             dimension), got {components}",
            n.min(d)
        )));
    }
    let axes = principal_axes(reference)?;
    let basis = axes.basis(components);
    let row_major = |m: DMatrix<f64>| -> Vec<f64> { m.transpose().as_slice().to_vec() };
    Ok(Projected {
        reference: row_major(axes.centred(reference) * &basis),
        current: row_major(axes.centred(current) * &basis),
    })
}

/// The principal axes of a reference: its mean and the eigen-decomposition of
/// `(X - μ)ᵀ(X - μ)`, components in decreasing order of variance.
#[derive(Debug, Clone, PartialEq)]
pub struct PrincipalAxes {
    /// The reference's mean vector `μ`.
    pub mean: Vec<f64>,
    /// The eigenvalues of `(X - μ)ᵀ(X - μ)`, descending, clamped at 0 (rounding can make a
    /// zero eigenvalue slightly negative). Divided by `rows - 1` they are scikit-learn's
    /// `explained_variance_`; their shares are its `explained_variance_ratio_`.
    pub eigenvalues: Vec<f64>,
    /// The unit eigenvectors, one column per component, in the order of `eigenvalues`.
    pub axes: DMatrix<f64>,
}

impl PrincipalAxes {
    /// The rows of `v` less the mean, as a matrix.
    pub fn centred(&self, v: &Vectors<'_>) -> DMatrix<f64> {
        let mut m = DMatrix::from_row_slice(v.rows(), v.dim(), v.values());
        for (j, mu) in self.mean.iter().enumerate() {
            m.column_mut(j).add_scalar_mut(-mu);
        }
        m
    }

    /// The first `components` axes (`dim x components`).
    pub fn basis(&self, components: usize) -> DMatrix<f64> {
        self.axes.columns(0, components).into_owned()
    }
}

/// The principal axes of the reference rows.
///
/// Errors: a covariance that overflows `f64`, or an eigen solver that does not converge.
pub fn principal_axes(reference: &Vectors<'_>) -> Result<PrincipalAxes, EmbeddingError> {
    let d = reference.dim();
    let mut axes = PrincipalAxes {
        mean: reference.mean(),
        eigenvalues: Vec::new(),
        axes: DMatrix::zeros(d, d),
    };
    let x = axes.centred(reference);
    let gram = x.tr_mul(&x);
    // Finite inputs can still overflow here (values near f64::MAX); the eigen solver would
    // not converge on infinities, so that is refused first.
    let degenerate =
        || EmbeddingError::Degenerate("the reference's covariance overflows f64".to_string());
    if gram.iter().any(|v| !v.is_finite()) {
        return Err(degenerate());
    }
    let eigen = SymmetricEigen::try_new(gram, f64::EPSILON, 10_000).ok_or_else(degenerate)?;
    let mut order: Vec<usize> = (0..d).collect();
    order.sort_by(|&a, &b| eigen.eigenvalues[b].total_cmp(&eigen.eigenvalues[a]));
    axes.eigenvalues = order
        .iter()
        .map(|&i| eigen.eigenvalues[i].max(0.0))
        .collect();
    axes.axes = DMatrix::from_fn(d, d, |i, j| eigen.eigenvectors[(i, order[j])]);
    Ok(axes)
}

#[cfg(test)]
mod tests {
    use super::super::{fixture, EmbeddingMethod, MmdParams, RatioParams};
    use super::*;
    use crate::stats::embedding::{embedding_drift, DistanceParams};

    #[test]
    fn points_on_a_line_project_to_their_positions() {
        // Points on the line (t, 2t) around their mean: one component, |coordinate| = t·√5.
        let r = [-1.0, -2.0, 0.0, 0.0, 1.0, 2.0];
        let c = [2.0, 4.0];
        let (r, c) = (Vectors::new(&r, 2).unwrap(), Vectors::new(&c, 2).unwrap());
        let p = project(&r, &c, 1).unwrap();
        let s = 5f64.sqrt();
        for (got, want) in p.reference.iter().zip([-s, 0.0, s]) {
            assert!((got.abs() - want.abs()).abs() < 1e-12, "{got} vs {want}");
        }
        assert!((p.current[0].abs() - 2.0 * s).abs() < 1e-12);
        assert!(matches!(
            project(&r, &c, 3),
            Err(EmbeddingError::InvalidParameter(_))
        ));
    }

    #[test]
    fn matches_evidently_after_pca() {
        let mut compared = 0;
        for case in fixture::cases() {
            let r = Vectors::new(&case.reference, case.dim).unwrap();
            let c = Vectors::new(&case.current, case.dim).unwrap();
            for (key, method) in [
                (
                    "distance_euclidean_pca4",
                    EmbeddingMethod::Distance(DistanceParams::default()),
                ),
                ("ratio_pca4", EmbeddingMethod::Ratio(RatioParams::default())),
                ("mmd_pca4", EmbeddingMethod::Mmd(MmdParams::default())),
            ] {
                let Some((score, drift)) = case.result(key) else {
                    continue;
                };
                let got = embedding_drift(&r, &c, &method, Some(4)).unwrap();
                fixture::assert_close(&case.name, key, got.score, score);
                assert_eq!(got.drifted, drift, "{}: {key}", case.name);
                compared += 1;
            }
        }
        assert_eq!(compared, 18);
    }
}
