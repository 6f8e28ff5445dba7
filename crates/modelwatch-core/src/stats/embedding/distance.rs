//! Evidently's `distance` embedding drift method (`DistanceDriftMethod`): a distance between
//! the mean vectors of reference and current.
//!
//! With `r̄` and `c̄` the component-wise means, the score is `dist(r̄, c̄)` for one of scipy's
//! distances (`scipy.spatial.distance`):
//!
//! * `euclidean`: `sqrt(Σ (r̄_k - c̄_k)²)`;
//! * `cosine`: `1 - r̄·c̄ / sqrt((r̄·r̄)(c̄·c̄))`, clipped to `[0, 2]`;
//! * `cityblock`: `Σ |r̄_k - c̄_k|`;
//! * `chebyshev`: `max |r̄_k - c̄_k|`.
//!
//! Without the bootstrap, drift is `score > threshold` (default 0.2). With it, Evidently
//! builds a null distribution from the reference alone: for `i` in `0..100`, after
//! `np.random.seed(i)`, it draws `⌊n²/(n+m)⌋` and `⌊n·m/(n+m)⌋` reference rows with
//! replacement (`np.random.choice(n, size)`, the first then the second), and takes the
//! distance between the means of the two draws; drift is `score >` the
//! `quantile_probability` (0.95) percentile (numpy's linear interpolation) of those 100
//! distances. The draws here come from numpy's own legacy generator ([`super::mt19937`]), so
//! the quantile is Evidently's.
//!
//! A zero mean vector makes the cosine distance undefined (scipy returns NaN); that is an
//! [`EmbeddingError::Degenerate`] here.

use super::mt19937::LegacyRandomState;
use super::{
    check_pair, mean_of_rows, percentile_linear, EmbeddingDrift, EmbeddingError, Vectors,
    BOOTSTRAP_ROUNDS,
};

/// A distance between two vectors, as `scipy.spatial.distance` defines it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DistanceMetric {
    /// Euclidean (L2) distance.
    #[default]
    Euclidean,
    /// One minus the cosine similarity.
    Cosine,
    /// Manhattan (L1) distance.
    Cityblock,
    /// Largest absolute difference (L∞).
    Chebyshev,
}

impl DistanceMetric {
    /// Evidently's name for the distance.
    pub fn name(self) -> &'static str {
        match self {
            DistanceMetric::Euclidean => "euclidean",
            DistanceMetric::Cosine => "cosine",
            DistanceMetric::Cityblock => "cityblock",
            DistanceMetric::Chebyshev => "chebyshev",
        }
    }

    /// The distance named `name` (Evidently's names), if there is one.
    pub fn from_name(name: &str) -> Option<Self> {
        [
            DistanceMetric::Euclidean,
            DistanceMetric::Cosine,
            DistanceMetric::Cityblock,
            DistanceMetric::Chebyshev,
        ]
        .into_iter()
        .find(|d| d.name() == name)
    }

    /// The distance between `u` and `v` (of equal length).
    pub fn between(self, u: &[f64], v: &[f64]) -> Result<f64, EmbeddingError> {
        let diffs = u.iter().zip(v).map(|(a, b)| a - b);
        Ok(match self {
            DistanceMetric::Euclidean => diffs.map(|d| d * d).sum::<f64>().sqrt(),
            DistanceMetric::Cityblock => diffs.map(f64::abs).sum(),
            DistanceMetric::Chebyshev => diffs.map(f64::abs).fold(0.0, f64::max),
            DistanceMetric::Cosine => {
                let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
                let (uv, uu, vv) = (dot(u, v), dot(u, u), dot(v, v));
                let d = 1.0 - uv / (uu * vv).sqrt();
                if !d.is_finite() {
                    return Err(EmbeddingError::Degenerate(
                        "the cosine distance is undefined for a zero mean vector".to_string(),
                    ));
                }
                d.clamp(0.0, 2.0)
            }
        })
    }
}

/// Parameters of the `distance` method (Evidently's defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DistanceParams {
    /// The distance between the mean vectors.
    pub metric: DistanceMetric,
    /// Drift when the distance exceeds this (without the bootstrap). Default 0.2.
    pub threshold: f64,
    /// Compare with a bootstrap quantile instead of the threshold.
    pub bootstrap: bool,
    /// The quantile of the bootstrap distances. Default 0.95.
    pub quantile_probability: f64,
}

impl Default for DistanceParams {
    fn default() -> Self {
        DistanceParams {
            metric: DistanceMetric::Euclidean,
            threshold: 0.2,
            bootstrap: false,
            quantile_probability: 0.95,
        }
    }
}

/// Evidently's `distance` method on checked vectors.
pub fn distance_drift(
    reference: &Vectors<'_>,
    current: &Vectors<'_>,
    params: &DistanceParams,
) -> Result<EmbeddingDrift, EmbeddingError> {
    check_pair(reference, current, "distance", 1)?;
    let score = params.metric.between(&reference.mean(), &current.mean())?;
    let threshold = if params.bootstrap {
        if !(0.0..=1.0).contains(&params.quantile_probability) {
            return Err(EmbeddingError::InvalidParameter(format!(
                "quantile_probability {} is not in [0, 1]",
                params.quantile_probability
            )));
        }
        bootstrap_quantile(reference, current.rows(), params)?
    } else {
        params.threshold
    };
    Ok(EmbeddingDrift {
        method: "distance",
        score,
        threshold,
        drifted: score > threshold,
    })
}

fn bootstrap_quantile(
    reference: &Vectors<'_>,
    current_rows: usize,
    params: &DistanceParams,
) -> Result<f64, EmbeddingError> {
    let (n, m) = (reference.rows(), current_rows);
    let first = n * n / (n + m);
    let second = n * m / (n + m);
    if first == 0 || second == 0 {
        // Evidently would average zero rows (NaN); refuse instead.
        return Err(EmbeddingError::TooFewRows {
            method: "distance (bootstrap)",
            needed: 2,
            got: n.min(m),
        });
    }
    let mut distances = Vec::with_capacity(BOOTSTRAP_ROUNDS as usize);
    for seed in 0..BOOTSTRAP_ROUNDS {
        let mut rng = LegacyRandomState::new(seed);
        let a = rng.choice_with_replacement(n, first);
        let b = rng.choice_with_replacement(n, second);
        let mean_a = mean_of_rows(reference, a.into_iter());
        let mean_b = mean_of_rows(reference, b.into_iter());
        distances.push(params.metric.between(&mean_a, &mean_b)?);
    }
    Ok(percentile_linear(
        &mut distances,
        params.quantile_probability,
    ))
}

#[cfg(test)]
mod tests {
    use super::super::fixture;
    use super::*;

    #[test]
    fn distances_of_known_vectors() {
        let (u, v) = ([1.0, 0.0, 2.0], [0.0, 2.0, 2.0]);
        let d = |m: DistanceMetric| m.between(&u, &v).unwrap();
        assert!((d(DistanceMetric::Euclidean) - 5f64.sqrt()).abs() < 1e-15);
        assert_eq!(d(DistanceMetric::Cityblock), 3.0);
        assert_eq!(d(DistanceMetric::Chebyshev), 2.0);
        // 1 - 4 / sqrt(5 * 8)
        assert!((d(DistanceMetric::Cosine) - (1.0 - 4.0 / 40f64.sqrt())).abs() < 1e-15);
        assert!(matches!(
            DistanceMetric::Cosine.between(&[0.0, 0.0], &[1.0, 0.0]),
            Err(EmbeddingError::Degenerate(_))
        ));
        assert_eq!(
            DistanceMetric::from_name("cityblock"),
            Some(DistanceMetric::Cityblock)
        );
        assert_eq!(DistanceMetric::from_name("l2"), None);
    }

    #[test]
    fn matches_evidently_with_and_without_bootstrap() {
        let mut compared = 0;
        for case in fixture::cases() {
            let r = Vectors::new(&case.reference, case.dim).unwrap();
            let c = Vectors::new(&case.current, case.dim).unwrap();
            for metric in ["euclidean", "cosine", "cityblock", "chebyshev"] {
                for bootstrap in [false, true] {
                    let key = if bootstrap {
                        format!("distance_{metric}_bootstrap")
                    } else {
                        format!("distance_{metric}")
                    };
                    let Some((score, drift)) = case.result(&key) else {
                        continue;
                    };
                    let params = DistanceParams {
                        metric: DistanceMetric::from_name(metric).unwrap(),
                        bootstrap,
                        ..DistanceParams::default()
                    };
                    let got = distance_drift(&r, &c, &params).unwrap();
                    fixture::assert_close(&case.name, &key, got.score, score);
                    assert_eq!(got.drifted, drift, "{}: {key}", case.name);
                    compared += 1;
                }
            }
        }
        assert_eq!(compared, 6 * 8);
    }

    #[test]
    fn too_few_rows_for_the_bootstrap() {
        let r = Vectors::new(&[1.0, 2.0], 2).unwrap();
        let c = Vectors::new(&[1.0, 2.0, 3.0, 4.0], 2).unwrap();
        let params = DistanceParams {
            bootstrap: true,
            ..DistanceParams::default()
        };
        assert!(matches!(
            distance_drift(&r, &c, &params),
            Err(EmbeddingError::TooFewRows { .. })
        ));
        assert!(distance_drift(&r, &c, &DistanceParams::default()).is_ok());
    }
}
