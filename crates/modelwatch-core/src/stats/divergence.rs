//! Divergences between two share vectors: Evidently's `psi`, `kl_div` and `jensenshannon`.
//!
//! All three take the shares that Evidently's `get_binned_data` produces
//! (`evidently/legacy/calculations/stattests/utils.py`), see
//! [`super::binning::numeric_binned_shares`] and [`super::binning::count_shares`]:
//!
//! | method | binning | zero filling (`feel_zeroes`) |
//! | --- | --- | --- |
//! | [`psi`] (`psi.py`) | `get_binned_data` | yes |
//! | [`kl_div`] (`kl_div.py`) | `get_binned_data` | yes |
//! | [`jensenshannon`] (`jensenshannon.py`) | `get_binned_data` | no |
//!
//! Logarithms are natural (Evidently passes no base). Slices of different lengths are compared
//! over their common prefix only; callers pass aligned vectors.

/// Population stability index, `Σ (r_i - c_i) · ln(r_i / c_i)` (Evidently `psi.py`), over
/// zero-filled shares.
pub fn psi(reference: &[f64], current: &[f64]) -> f64 {
    reference
        .iter()
        .zip(current)
        .map(|(&r, &c)| (r - c) * (r / c).ln())
        .sum()
}

/// `scipy.special.rel_entr(x, y)`: `x ln(x / y)` for `x > 0, y > 0`; `0` for `x = 0, y >= 0`;
/// `+inf` otherwise.
fn rel_entr(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        f64::NAN
    } else if x > 0.0 && y > 0.0 {
        x * (x / y).ln()
    } else if x == 0.0 && y >= 0.0 {
        0.0
    } else {
        f64::INFINITY
    }
}

fn normalised(v: &[f64]) -> Vec<f64> {
    let total: f64 = v.iter().sum();
    v.iter().map(|&x| x / total).collect()
}

/// Kullback-Leibler divergence `D(r ‖ c)` as `scipy.stats.entropy(r, c)` computes it (Evidently
/// `kl_div.py`): both vectors are first normalised to sum 1 (this matters, since zero filling
/// makes the shares sum to slightly more than 1), then `Σ rel_entr(r_i, c_i)`.
pub fn kl_div(reference: &[f64], current: &[f64]) -> f64 {
    let p = normalised(reference);
    let q = normalised(current);
    p.iter().zip(&q).map(|(&p, &q)| rel_entr(p, q)).sum()
}

/// Jensen-Shannon *distance* as `scipy.spatial.distance.jensenshannon(r, c)` computes it
/// (Evidently `jensenshannon.py`, shares without zero filling): normalise `p = r / Σr`,
/// `q = c / Σc`, `m = (p + q) / 2`, then `sqrt((Σ rel_entr(p, m) + Σ rel_entr(q, m)) / 2)`
/// with natural logarithms.
pub fn jensenshannon(reference: &[f64], current: &[f64]) -> f64 {
    let p = normalised(reference);
    let q = normalised(current);
    let m: Vec<f64> = p.iter().zip(&q).map(|(&p, &q)| (p + q) / 2.0).collect();
    let left: f64 = p.iter().zip(&m).map(|(&p, &m)| rel_entr(p, m)).sum();
    let right: f64 = q.iter().zip(&m).map(|(&q, &m)| rel_entr(q, m)).sum();
    ((left + right) / 2.0).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 + 1e-9 * b.abs()
    }

    #[test]
    fn psi_by_hand() {
        let r = [0.5, 0.5];
        let c = [0.25, 0.75];
        let expected = 0.25 * 2f64.ln() - 0.25 * (0.5f64 / 0.75).ln();
        assert!(close(psi(&r, &c), expected));
        assert_eq!(psi(&r, &r), 0.0);
    }

    #[test]
    fn kl_matches_scipy() {
        // scipy.stats.entropy([0.5, 0.5], [0.9, 0.1])
        assert!(close(kl_div(&[0.5, 0.5], &[0.9, 0.1]), 0.5108256237659906));
        // normalisation: scaled vectors give the same divergence
        assert!(close(kl_div(&[1.0, 1.0], &[9.0, 1.0]), 0.5108256237659906));
    }

    #[test]
    fn js_matches_scipy() {
        // scipy.spatial.distance.jensenshannon([1.0, 0.0], [0.5, 0.5])
        let d = jensenshannon(&[1.0, 0.0], &[0.5, 0.5]);
        assert!(close(d, 0.464501404022459), "{d}");
        assert_eq!(jensenshannon(&[0.2, 0.8], &[0.2, 0.8]), 0.0);
    }
}
