//! The `model` embedding drift method: a domain classifier that tells reference rows (label 1)
//! from current rows (label 0), scored by its ROC AUC on held-out rows (Evidently's
//! `ModelDriftMethod`; the idea is the classifier two-sample test of Lopez-Paz and Oquab 2017,
//! "Revisiting classifier two-sample tests").
//!
//! Drift is `AUC > threshold` (default 0.55), or with the bootstrap `AUC >` the
//! `quantile_probability` (0.95) percentile of 100 AUCs of random scores: for `i` in `0..100`,
//! numpy's `np.random.seed(i); np.random.rand(len(test))` against the test labels
//! ([`super::mt19937`] draws the same numbers). Evidently's `EmbeddingsDriftMetric` uses the
//! bootstrap when the reference has fewer than 1,000 rows
//! ([`super::EmbeddingMethod::default_for`]).
//!
//! **The classifier differs from Evidently's.** Evidently splits the pooled rows in half with
//! scikit-learn's `train_test_split(random_state=42)` and fits `SGDClassifier(loss="log_loss",
//! random_state=42)`, whose AUC depends on scikit-learn's random streams. modelwatch runs its
//! own deterministic procedure with the same rule:
//!
//! 1. split: each side is shuffled with `ChaCha8Rng::seed_from_u64(seed)` (reference first,
//!    then current, from one generator); the first `⌈rows/2⌉` rows of each side are the test
//!    set, the rest train (a stratified half split, so both labels are in both sets);
//! 2. features are standardised by the training rows' mean and population standard deviation
//!    (a constant feature is left unscaled);
//! 3. a logistic regression with an intercept and an L2 penalty `α/2 ‖w‖²` (`α = 10⁻⁴`,
//!    scikit-learn's default for `SGDClassifier`) is fitted by [`ITERATIONS`] steps of
//!    Nesterov's accelerated full-batch gradient descent from zero, with step `1/L`,
//!    `L = λ_max/4 + α` and `λ_max` the largest eigenvalue of the training Gram matrix
//!    (intercept column included) over the number of rows, estimated by power iteration;
//! 4. the AUC is the Mann–Whitney statistic of the test scores (ties count one half).
//!
//! The AUCs are therefore not Evidently's; the committed fixture compares the verdicts.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::mt19937::LegacyRandomState;
use super::{
    check_pair, percentile_linear, EmbeddingDrift, EmbeddingError, Vectors, BOOTSTRAP_ROUNDS,
};
use crate::model_quality::classification::roc_auc;

/// Gradient steps of the logistic regression.
pub const ITERATIONS: usize = 200;

/// L2 penalty of the logistic regression (scikit-learn's `SGDClassifier` default `alpha`).
pub const L2_PENALTY: f64 = 1e-4;

/// Rows per block of the parallel gradient sums.
const ACCUMULATION_BLOCK: usize = 512;

/// Parameters of the `model` method (Evidently's defaults, and the seed of the split).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelParams {
    /// Drift when the AUC exceeds this (without the bootstrap). Default 0.55.
    pub threshold: f64,
    /// Compare with a quantile of random-score AUCs instead of the threshold.
    pub bootstrap: bool,
    /// The quantile of the random-score AUCs. Default 0.95.
    pub quantile_probability: f64,
    /// Seed of the train/test split. Default 42 (Evidently's `random_state`).
    pub seed: u64,
}

impl Default for ModelParams {
    fn default() -> Self {
        ModelParams {
            threshold: 0.55,
            bootstrap: false,
            quantile_probability: 0.95,
            seed: 42,
        }
    }
}

/// A standardised design matrix (row-major) with its labels.
struct Design {
    rows: Vec<f64>,
    labels: Vec<bool>,
    dim: usize,
}

impl Design {
    fn gather(
        reference: &Vectors<'_>,
        ref_rows: &[usize],
        current: &Vectors<'_>,
        cur_rows: &[usize],
    ) -> Self {
        let mut rows = Vec::with_capacity((ref_rows.len() + cur_rows.len()) * reference.dim());
        let mut labels = Vec::with_capacity(ref_rows.len() + cur_rows.len());
        for &r in ref_rows {
            rows.extend_from_slice(reference.row(r));
            labels.push(true);
        }
        for &r in cur_rows {
            rows.extend_from_slice(current.row(r));
            labels.push(false);
        }
        Design {
            rows,
            labels,
            dim: reference.dim(),
        }
    }

    fn len(&self) -> usize {
        self.labels.len()
    }

    fn row(&self, i: usize) -> &[f64] {
        &self.rows[i * self.dim..(i + 1) * self.dim]
    }

    /// Mean and scale of every feature over these rows.
    fn scaling(&self) -> (Vec<f64>, Vec<f64>) {
        let n = self.len() as f64;
        let mut mean = vec![0.0; self.dim];
        for i in 0..self.len() {
            mean.iter_mut().zip(self.row(i)).for_each(|(m, x)| *m += x);
        }
        mean.iter_mut().for_each(|m| *m /= n);
        let mut var = vec![0.0; self.dim];
        for i in 0..self.len() {
            for ((v, x), m) in var.iter_mut().zip(self.row(i)).zip(&mean) {
                *v += (x - m) * (x - m);
            }
        }
        let scale = var
            .iter()
            .map(|v| {
                let s = (v / n).sqrt();
                if s > 0.0 {
                    s
                } else {
                    1.0
                }
            })
            .collect();
        (mean, scale)
    }

    fn standardise(&mut self, mean: &[f64], scale: &[f64]) {
        for row in self.rows.chunks_mut(self.dim) {
            for ((x, m), s) in row.iter_mut().zip(mean).zip(scale) {
                *x = (*x - m) / s;
            }
        }
    }

    /// `Σ_i add(x_i, label_i)` into a vector of `dim + 1` entries: fixed blocks of
    /// [`ACCUMULATION_BLOCK`] rows in parallel, the block sums added in block order, so the
    /// result does not depend on the number of threads.
    fn accumulate(&self, add: impl Fn(&[f64], bool, &mut [f64]) + Sync) -> Vec<f64> {
        let blocks = self.len().div_ceil(ACCUMULATION_BLOCK);
        let partial: Vec<Vec<f64>> = (0..blocks)
            .into_par_iter()
            .map(|b| {
                let mut acc = vec![0.0; self.dim + 1];
                let end = ((b + 1) * ACCUMULATION_BLOCK).min(self.len());
                for i in b * ACCUMULATION_BLOCK..end {
                    add(self.row(i), self.labels[i], &mut acc);
                }
                acc
            })
            .collect();
        let mut total = vec![0.0; self.dim + 1];
        for block in partial {
            total.iter_mut().zip(block).for_each(|(t, v)| *t += v);
        }
        total
    }

    /// `w·x_i + b` for every row (`weights` holds `w` then `b`).
    fn scores(&self, weights: &[f64]) -> Vec<f64> {
        (0..self.len())
            .map(|i| linear(self.row(i), weights))
            .collect()
    }
}

fn linear(x: &[f64], weights: &[f64]) -> f64 {
    let (w, b) = weights.split_at(x.len());
    x.iter().zip(w).map(|(a, c)| a * c).sum::<f64>() + b[0]
}

/// Largest eigenvalue of `[X 1]ᵀ[X 1] / rows` by power iteration from the all-ones vector.
fn gram_top_eigenvalue(design: &Design) -> f64 {
    let d = design.dim + 1;
    let mut v = vec![1.0 / (d as f64).sqrt(); d];
    let mut lambda = 1.0;
    for _ in 0..50 {
        let mut next = design.accumulate(|x, _, acc| {
            let t = linear(x, &v);
            acc.iter_mut().zip(x).for_each(|(n, a)| *n += t * a);
            acc[d - 1] += t;
        });
        next.iter_mut().for_each(|n| *n /= design.len() as f64);
        let norm = next.iter().map(|a| a * a).sum::<f64>().sqrt();
        if norm == 0.0 {
            break;
        }
        lambda = norm;
        v = next.into_iter().map(|a| a / norm).collect();
    }
    lambda
}

/// Weights (`w` then the intercept) of the penalised logistic regression.
fn fit_logistic(design: &Design) -> Vec<f64> {
    let d = design.dim + 1;
    let n = design.len() as f64;
    // A 10% margin over the power-iteration estimate keeps the step stable.
    let lipschitz = 1.1 * gram_top_eigenvalue(design) / 4.0 + L2_PENALTY;
    let step = 1.0 / lipschitz;
    let mut weights = vec![0.0; d];
    let mut previous = weights.clone();
    for k in 0..ITERATIONS {
        let momentum = k as f64 / (k as f64 + 3.0);
        let look: Vec<f64> = weights
            .iter()
            .zip(&previous)
            .map(|(w, p)| w + momentum * (w - p))
            .collect();
        let gradient = design.accumulate(|x, label, acc| {
            let p = 1.0 / (1.0 + (-linear(x, &look)).exp());
            let residual = p - if label { 1.0 } else { 0.0 };
            acc.iter_mut().zip(x).for_each(|(g, a)| *g += residual * a);
            acc[d - 1] += residual;
        });
        previous = weights;
        weights = look
            .iter()
            .zip(&gradient)
            .enumerate()
            .map(|(j, (w, g))| {
                let penalty = if j + 1 < d { L2_PENALTY * w } else { 0.0 };
                w - step * (g / n + penalty)
            })
            .collect();
    }
    weights
}

/// The `model` method on checked vectors.
pub fn model_drift(
    reference: &Vectors<'_>,
    current: &Vectors<'_>,
    params: &ModelParams,
) -> Result<EmbeddingDrift, EmbeddingError> {
    check_pair(reference, current, "model", 2)?;
    let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
    let mut ref_rows: Vec<usize> = (0..reference.rows()).collect();
    let mut cur_rows: Vec<usize> = (0..current.rows()).collect();
    ref_rows.shuffle(&mut rng);
    cur_rows.shuffle(&mut rng);
    let (ref_test, ref_train) = ref_rows.split_at(reference.rows().div_ceil(2));
    let (cur_test, cur_train) = cur_rows.split_at(current.rows().div_ceil(2));
    let mut train = Design::gather(reference, ref_train, current, cur_train);
    let mut test = Design::gather(reference, ref_test, current, cur_test);
    let (mean, scale) = train.scaling();
    train.standardise(&mean, &scale);
    test.standardise(&mean, &scale);
    let weights = fit_logistic(&train);
    let score = roc_auc(&test.labels, &test.scores(&weights)).ok_or_else(|| {
        EmbeddingError::Degenerate("the test set lacks one of the two samples".to_string())
    })?;
    let threshold = if params.bootstrap {
        if !(0.0..=1.0).contains(&params.quantile_probability) {
            return Err(EmbeddingError::InvalidParameter(format!(
                "quantile_probability {} is not in [0, 1]",
                params.quantile_probability
            )));
        }
        let mut aucs: Vec<f64> = (0..BOOTSTRAP_ROUNDS)
            .filter_map(|seed| {
                let mut g = LegacyRandomState::new(seed);
                let random: Vec<f64> = (0..test.len()).map(|_| g.uniform()).collect();
                roc_auc(&test.labels, &random)
            })
            .collect();
        percentile_linear(&mut aucs, params.quantile_probability)
    } else {
        params.threshold
    };
    Ok(EmbeddingDrift {
        method: "model",
        score,
        threshold,
        drifted: score > threshold,
    })
}

#[cfg(test)]
mod tests {
    use super::super::fixture;
    use super::*;

    #[test]
    fn auc_of_known_rankings() {
        let labels = [true, true, false, false];
        assert_eq!(roc_auc(&labels, &[0.9, 0.8, 0.1, 0.2]), Some(1.0));
        assert_eq!(roc_auc(&labels, &[0.1, 0.2, 0.9, 0.8]), Some(0.0));
        assert_eq!(roc_auc(&labels, &[0.5, 0.5, 0.5, 0.5]), Some(0.5));
        // One tie between a positive and a negative: (3 + 0.5) / 4.
        assert_eq!(roc_auc(&labels, &[0.9, 0.3, 0.3, 0.1]), Some(0.875));
        assert_eq!(roc_auc(&[true, true], &[0.1, 0.2]), None);
    }

    #[test]
    fn separable_samples_are_found_and_the_result_is_reproducible() {
        let reference: Vec<f64> = (0..60).map(|i| (i % 7) as f64 * 0.1).collect();
        let current: Vec<f64> = (0..60).map(|i| 2.0 + (i % 5) as f64 * 0.1).collect();
        let (r, c) = (
            Vectors::new(&reference, 3).unwrap(),
            Vectors::new(&current, 3).unwrap(),
        );
        let first = model_drift(&r, &c, &ModelParams::default()).unwrap();
        assert_eq!((first.score, first.drifted), (1.0, true));
        assert_eq!(model_drift(&r, &c, &ModelParams::default()).unwrap(), first);
        let same = model_drift(&r, &r, &ModelParams::default()).unwrap();
        assert!(!same.drifted, "{same:?}");
    }

    /// Verdict agreement with Evidently's SGDClassifier over the 22 seeded fixture cases, each
    /// with and without the bootstrap. Where Evidently's AUC shows clear drift (at least 0.65)
    /// the verdicts must agree; elsewhere both AUCs are chance-level noise around 0.5 (their
    /// standard deviation is about 0.04 on 100 + 100 test rows), so the count of agreements
    /// is pinned instead: 42 of 44, the two others being one variance-only case
    /// (`verdict_03_variance_0.5`, no linear signal) where modelwatch's AUC is 0.58 and
    /// Evidently's 0.43.
    #[test]
    fn verdicts_agree_with_evidently() {
        let (mut agree, mut total) = (0, 0);
        for case in fixture::cases() {
            let r = Vectors::new(&case.reference, case.dim).unwrap();
            let c = Vectors::new(&case.current, case.dim).unwrap();
            for (key, bootstrap) in [("model", false), ("model_bootstrap", true)] {
                let Some((auc, drift)) = case.result(key) else {
                    continue;
                };
                let params = ModelParams {
                    bootstrap,
                    ..ModelParams::default()
                };
                let got = model_drift(&r, &c, &params).unwrap();
                total += 1;
                agree += usize::from(got.drifted == drift);
                assert!(
                    auc < 0.65 || got.drifted,
                    "{}: {key}: modelwatch AUC {}, Evidently AUC {auc}",
                    case.name,
                    got.score
                );
            }
        }
        assert_eq!((agree, total), (42, 44));
    }
}
