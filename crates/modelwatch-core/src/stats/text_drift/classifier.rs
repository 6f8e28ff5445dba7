//! The domain classifier: a linear model with an intercept on sparse rows, minimising the
//! objective that Evidently's `SGDClassifier(loss="modified_huber", penalty="l1",
//! alpha=1e-4)` minimises,
//!
//! `(1/n) Σ_i L(y_i f_i) + α ‖w‖₁`, `f_i = w·x_i + b`, `y_i ∈ {−1, +1}` (current is `+1`),
//!
//! with the modified Huber loss `L(z) = max(0, 1 − z)²` for `z ≥ −1` and `−4z` below
//! (Zhang 2004, "Solving large scale linear prediction problems using stochastic gradient
//! descent algorithms"). scikit-learn runs stochastic gradient descent over shuffled rows;
//! modelwatch runs [`ITERATIONS`] steps of the accelerated proximal gradient method FISTA
//! (Beck and Teboulle 2009) from zero over all rows, which is deterministic: the loss'
//! gradient is Lipschitz with constant `2 λ_max(X̃ᵀX̃ / n) ≤ 4` (rows of unit norm plus the
//! intercept's 1), so the step is `1/4`; the L1 part is a soft threshold of the weights (not
//! the intercept). Row sums and column sums run in parallel, each in a fixed order, so the
//! result does not depend on the number of threads.

use rayon::prelude::*;

use super::tfidf::SparseRows;

/// Proximal gradient steps.
pub const ITERATIONS: usize = 300;

/// L1 penalty (Evidently's `alpha`).
pub const L1_PENALTY: f64 = 1e-4;

/// Step size `1/L` with `L = 4` (see the module documentation).
const STEP: f64 = 0.25;

/// The fitted weights (one per feature) and the intercept.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearModel {
    /// One weight per feature column.
    pub weights: Vec<f64>,
    /// The intercept.
    pub intercept: f64,
}

impl LinearModel {
    /// The decision value `w·x + b` of every row.
    pub fn decision(&self, x: &SparseRows) -> Vec<f64> {
        decision(x, &self.weights, self.intercept)
    }
}

fn decision(x: &SparseRows, w: &[f64], b: f64) -> Vec<f64> {
    (0..x.rows())
        .into_par_iter()
        .map(|i| {
            let (cols, vals) = x.row(i);
            cols.iter()
                .zip(vals)
                .map(|(&c, v)| w[c as usize] * v)
                .sum::<f64>()
                + b
        })
        .collect()
}

/// Derivative of the modified Huber loss `L(y f)` with respect to `f`.
fn loss_derivative(f: f64, positive: bool) -> f64 {
    let y = if positive { 1.0 } else { -1.0 };
    let z = y * f;
    if z >= 1.0 {
        0.0
    } else if z >= -1.0 {
        -2.0 * (1.0 - z) * y
    } else {
        -4.0 * y
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

/// Fits the model on rows `x` with labels `positive` (true = current).
pub fn fit(x: &SparseRows, positive: &[bool]) -> LinearModel {
    let n = x.rows() as f64;
    let by_column = x.transpose();
    let width = x.width;
    let mut w = vec![0.0; width];
    let mut b = 0.0;
    let mut w_prev = w.clone();
    let mut b_prev = b;
    let mut t = 1.0f64;
    for _ in 0..ITERATIONS {
        // FISTA's look-ahead point.
        let t_next = (1.0 + (1.0 + 4.0 * t * t).sqrt()) / 2.0;
        let momentum = (t - 1.0) / t_next;
        let look_w: Vec<f64> = w
            .iter()
            .zip(&w_prev)
            .map(|(a, p)| a + momentum * (a - p))
            .collect();
        let look_b = b + momentum * (b - b_prev);
        let residual: Vec<f64> = decision(x, &look_w, look_b)
            .into_iter()
            .zip(positive)
            .map(|(f, &p)| loss_derivative(f, p))
            .collect();
        let grad_b = residual.iter().sum::<f64>() / n;
        let next_w: Vec<f64> = (0..width)
            .into_par_iter()
            .map(|j| {
                let (rows, vals) = by_column.row(j);
                let g = rows
                    .iter()
                    .zip(vals)
                    .map(|(&r, v)| residual[r as usize] * v)
                    .sum::<f64>()
                    / n;
                soft_threshold(look_w[j] - STEP * g, STEP * L1_PENALTY)
            })
            .collect();
        w_prev = std::mem::replace(&mut w, next_w);
        b_prev = b;
        b = look_b - STEP * grad_b;
        t = t_next;
    }
    LinearModel {
        weights: w,
        intercept: b,
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
    fn loss_derivative_has_three_pieces() {
        assert_eq!(loss_derivative(2.0, true), 0.0);
        assert_eq!(loss_derivative(0.0, true), -2.0);
        assert_eq!(loss_derivative(0.0, false), 2.0);
        assert_eq!(loss_derivative(-3.0, true), -4.0);
        assert_eq!(loss_derivative(3.0, false), 4.0);
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
