//! Evidently's `ratio` embedding drift method (`RatioDriftMethod`): the share of components
//! that drift on their own.
//!
//! Each component `k` is tested with Evidently's `wasserstein` stat test, the first
//! Wasserstein distance normed by the reference's population standard deviation
//! (`W1(r_k, c_k) / max(σ(r_k), 0.001)`, [`crate::stats::wasserstein::wasserstein_normed`]);
//! a component drifts when that reaches `component_threshold` (default 0.1; Evidently's test
//! uses `>=`). The score is the share of drifted components, and drift is
//! `share > threshold` (default 0.2). The method is deterministic and matches Evidently
//! exactly (Vallender 1974 for the distance; Evidently's own normalisation).

use super::{check_pair, EmbeddingDrift, EmbeddingError, Vectors};
use crate::stats::wasserstein::wasserstein_normed;

/// Parameters of the `ratio` method (Evidently's defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RatioParams {
    /// A component drifts when its normed Wasserstein distance reaches this. Default 0.1.
    pub component_threshold: f64,
    /// Drift when the share of drifted components exceeds this. Default 0.2.
    pub threshold: f64,
}

impl Default for RatioParams {
    fn default() -> Self {
        RatioParams {
            component_threshold: 0.1,
            threshold: 0.2,
        }
    }
}

/// The normed Wasserstein distance of every component, in component order.
pub fn component_distances(
    reference: &Vectors<'_>,
    current: &Vectors<'_>,
) -> Result<Vec<f64>, EmbeddingError> {
    check_pair(reference, current, "ratio", 1)?;
    (0..reference.dim())
        .map(|k| {
            let mut r = reference.column(k);
            let mut c = current.column(k);
            r.sort_by(f64::total_cmp);
            c.sort_by(f64::total_cmp);
            Ok(wasserstein_normed(&r, &c)?)
        })
        .collect()
}

/// Evidently's `ratio` method on checked vectors.
pub fn ratio_drift(
    reference: &Vectors<'_>,
    current: &Vectors<'_>,
    params: &RatioParams,
) -> Result<EmbeddingDrift, EmbeddingError> {
    let distances = component_distances(reference, current)?;
    let drifted = distances
        .iter()
        .filter(|&&d| d >= params.component_threshold)
        .count();
    let score = drifted as f64 / distances.len() as f64;
    Ok(EmbeddingDrift {
        method: "ratio",
        score,
        threshold: params.threshold,
        drifted: score > params.threshold,
    })
}

#[cfg(test)]
mod tests {
    use super::super::fixture;
    use super::*;

    #[test]
    fn share_of_shifted_components() {
        // Two components; only the second moves (by 1, with reference std 1).
        let r = [0.0, 0.0, 2.0, 2.0, 0.0, 0.0, 2.0, 2.0];
        let c = [0.0, 1.0, 2.0, 3.0, 0.0, 1.0, 2.0, 3.0];
        let (r, c) = (Vectors::new(&r, 2).unwrap(), Vectors::new(&c, 2).unwrap());
        let d = component_distances(&r, &c).unwrap();
        assert_eq!(d, vec![0.0, 1.0]);
        let got = ratio_drift(&r, &c, &RatioParams::default()).unwrap();
        assert_eq!((got.score, got.drifted), (0.5, true));
    }

    #[test]
    fn matches_evidently() {
        let mut compared = 0;
        for case in fixture::cases() {
            let Some((score, drift)) = case.result("ratio") else {
                continue;
            };
            let r = Vectors::new(&case.reference, case.dim).unwrap();
            let c = Vectors::new(&case.current, case.dim).unwrap();
            let got = ratio_drift(&r, &c, &RatioParams::default()).unwrap();
            fixture::assert_close(&case.name, "ratio", got.score, score);
            assert_eq!(got.drifted, drift, "{}", case.name);
            compared += 1;
        }
        assert_eq!(compared, 6);
    }
}
