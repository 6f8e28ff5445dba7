//! The domain classifier: a linear model with an intercept on sparse rows, minimising the
//! objective that Evidently's `SGDClassifier(loss="modified_huber", penalty="l1",
//! alpha=1e-4)` minimises,
//!
//! `(1/n) Σ_i L(y_i f_i) + α ‖w‖₁`, `f_i = w·x_i + b`, `y_i ∈ {−1, +1}` (current is `+1`),
//!
//! with the modified Huber loss `L(z) = max(0, 1 − z)²` for `z ≥ −1` and `−4z` below
//! (Zhang 2004, "Solving large scale linear prediction problems using stochastic gradient
//! descent algorithms"). scikit-learn runs stochastic gradient descent over shuffled rows
//! and stops when an epoch improves the loss by less than `tol` five times in a row;
//! modelwatch runs the accelerated proximal gradient method FISTA (Beck and Teboulle 2009)
//! from zero over all rows, which is deterministic: the loss' gradient is Lipschitz with
//! constant `2 λ_max(X̃ᵀX̃ / n) ≤ 4` (rows of unit norm plus the intercept's 1), so the step
//! is `1/4`; the L1 part is a soft threshold of the weights (not the intercept). It stops
//! by scikit-learn's kind of rule: when the objective at the look-ahead point has improved
//! on its best value by less than [`TOLERANCE`] of it [`PATIENCE`] steps in a row, or after
//! [`MAX_ITERATIONS`] steps. On 100,000 texts a side it stops after about 20 steps; small
//! samples that the classifier can nearly separate run longer.
//!
//! Each step is one pass over the rows, in parallel over fixed row chunks (fixed by the
//! shape of the data, not the number of threads): the decision value at the look-ahead
//! point, the loss and its gradient (each chunk adding into its own gradient vector, the
//! chunks then added in order), so the result does not depend on the number of threads.

use rayon::prelude::*;

use super::tfidf::SparseRows;

/// At most this many proximal gradient steps.
pub const MAX_ITERATIONS: usize = 300;

/// The fit stops when the objective has improved by less than this share of its best value
/// in [`PATIENCE`] steps in a row (scikit-learn's `tol` and `n_iter_no_change` rule, with a
/// relative tolerance because the objective is an average).
pub const TOLERANCE: f64 = 1e-4;

/// Steps without enough improvement before the fit stops.
pub const PATIENCE: usize = 5;

/// L1 penalty (Evidently's `alpha`).
pub const L1_PENALTY: f64 = 1e-4;

/// Step size `1/L` with `L = 4` (see the module documentation).
const STEP: f64 = 0.25;

/// At most this many row chunks share a gradient pass: each keeps its own dense gradient, so
/// the chunks are also at most one per `2 · width` stored entries (the cost of adding the
/// chunks' gradients stays below the pass over the rows).
const MAX_CHUNKS: usize = 16;

/// The fitted weights (one per feature) and the intercept.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearModel {
    /// One weight per feature column.
    pub weights: Vec<f64>,
    /// The intercept.
    pub intercept: f64,
    /// Proximal gradient steps taken.
    pub iterations: usize,
}

impl LinearModel {
    /// The decision value `w·x + b` of every row.
    pub fn decision(&self, x: &SparseRows) -> Vec<f64> {
        (0..x.rows())
            .into_par_iter()
            .map(|i| dot(x, i, &self.weights) + self.intercept)
            .collect()
    }
}

fn dot(x: &SparseRows, i: usize, w: &[f64]) -> f64 {
    let (cols, vals) = x.row(i);
    cols.iter().zip(vals).map(|(&c, v)| w[c as usize] * v).sum()
}

/// The modified Huber loss `L(y f)` and its derivative with respect to `f`.
fn loss_and_derivative(f: f64, positive: bool) -> (f64, f64) {
    let y = if positive { 1.0 } else { -1.0 };
    let z = y * f;
    if z >= 1.0 {
        (0.0, 0.0)
    } else if z >= -1.0 {
        ((1.0 - z) * (1.0 - z), -2.0 * (1.0 - z) * y)
    } else {
        (-4.0 * z, -4.0 * y)
    }
}

fn soft_threshold(v: f64, t: f64) -> f64 {
    if v > t {
        v - t
    } else if v < -t {
        v + t
    } else {
        0.0
    }
}

/// Fits the model on rows `x` with labels `positive` (true = current), stopping by the
/// [`TOLERANCE`] rule or after [`MAX_ITERATIONS`] steps.
pub fn fit(x: &SparseRows, positive: &[bool]) -> LinearModel {
    fit_with(x, positive, MAX_ITERATIONS, TOLERANCE)
}

/// [`fit`] with a step limit and a tolerance (`0` runs every step).
pub fn fit_with(
    x: &SparseRows,
    positive: &[bool],
    max_iterations: usize,
    tolerance: f64,
) -> LinearModel {
    let rows = x.rows();
    let n = rows as f64;
    let width = x.width;
    // Fixed row chunks (from the shape of `x` only, never from the number of threads), each
    // with its own gradient, added in chunk order: the result is the same on any machine.
    let chunks = (x.values.len() / (2 * width.max(1))).clamp(1, MAX_CHUNKS);
    let chunk_rows = rows.div_ceil(chunks).max(1);
    let ranges: Vec<std::ops::Range<usize>> = (0..rows)
        .step_by(chunk_rows)
        .map(|s| s..(s + chunk_rows).min(rows))
        .collect();
    let mut partial = vec![vec![0.0; width]; ranges.len()];
    let mut w = vec![0.0; width];
    let mut w_prev = vec![0.0; width];
    let mut look = vec![0.0; width];
    let mut b = 0.0;
    let mut b_prev = 0.0;
    let mut t = 1.0f64;
    let mut best = f64::INFINITY;
    let mut stalled = 0;
    let mut iterations = 0;
    while iterations < max_iterations {
        iterations += 1;
        // FISTA's look-ahead point.
        let t_next = (1.0 + (1.0 + 4.0 * t * t).sqrt()) / 2.0;
        let momentum = (t - 1.0) / t_next;
        for ((l, a), p) in look.iter_mut().zip(&w).zip(&w_prev) {
            *l = a + momentum * (a - p);
        }
        let look_b = b + momentum * (b - b_prev);
        // One pass over the rows: the loss at the look-ahead point and its gradient.
        let sums: Vec<(f64, f64)> = partial
            .par_iter_mut()
            .zip(&ranges)
            .map(|(g, range)| {
                g.fill(0.0);
                let (mut loss, mut residual_sum) = (0.0, 0.0);
                for i in range.clone() {
                    let (l, r) = loss_and_derivative(dot(x, i, &look) + look_b, positive[i]);
                    loss += l;
                    residual_sum += r;
                    if r != 0.0 {
                        let (cols, vals) = x.row(i);
                        for (&c, v) in cols.iter().zip(vals) {
                            g[c as usize] += r * v;
                        }
                    }
                }
                (loss, residual_sum)
            })
            .collect();
        let loss: f64 = sums.iter().map(|s| s.0).sum();
        let grad_b = sums.iter().map(|s| s.1).sum::<f64>() / n;
        let objective = loss / n + L1_PENALTY * look.iter().map(|v| v.abs()).sum::<f64>();
        std::mem::swap(&mut w_prev, &mut w);
        for (j, wj) in w.iter_mut().enumerate() {
            let g = partial.iter().map(|p| p[j]).sum::<f64>() / n;
            *wj = soft_threshold(look[j] - STEP * g, STEP * L1_PENALTY);
        }
        b_prev = b;
        b = look_b - STEP * grad_b;
        t = t_next;
        if best - objective < tolerance * best.abs() {
            stalled += 1;
            if tolerance > 0.0 && stalled >= PATIENCE {
                break;
            }
        } else {
            stalled = 0;
        }
        best = best.min(objective);
    }
    LinearModel {
        weights: w,
        intercept: b,
        iterations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(entries: &[&[(u32, f64)]], width: usize) -> SparseRows {
        let mut x = SparseRows {
            starts: vec![0],
            width,
            ..Default::default()
        };
        for row in entries {
            for &(c, v) in *row {
                x.columns.push(c);
                x.values.push(v);
            }
            x.starts.push(x.columns.len());
        }
        x
    }

    #[test]
    fn loss_and_derivative_have_three_pieces() {
        assert_eq!(loss_and_derivative(2.0, true), (0.0, 0.0));
        assert_eq!(loss_and_derivative(0.0, true), (1.0, -2.0));
        assert_eq!(loss_and_derivative(0.0, false), (1.0, 2.0));
        assert_eq!(loss_and_derivative(-3.0, true), (12.0, -4.0));
        assert_eq!(loss_and_derivative(3.0, false), (12.0, 4.0));
        assert_eq!(loss_and_derivative(0.5, true), (0.25, -1.0));
    }

    #[test]
    fn a_word_only_one_side_uses_gets_the_large_weight_of_that_side() {
        // Feature 0 only in current rows, feature 1 in both, feature 2 only in reference.
        let x = rows(
            &[
                &[(0, 0.8), (1, 0.6)],
                &[(0, 1.0)],
                &[(1, 0.6), (2, 0.8)],
                &[(2, 1.0)],
            ],
            3,
        );
        let model = fit(&x, &[true, true, false, false]);
        assert!(model.weights[0] > 1.0, "{model:?}");
        assert!(model.weights[2] < -1.0, "{model:?}");
        assert!(model.weights[1].abs() < model.weights[0].abs());
        let f = model.decision(&x);
        assert!(
            f[0] > 0.0 && f[1] > 0.0 && f[2] < 0.0 && f[3] < 0.0,
            "{f:?}"
        );
        assert_eq!(fit(&x, &[true, true, false, false]), model);
    }
}
