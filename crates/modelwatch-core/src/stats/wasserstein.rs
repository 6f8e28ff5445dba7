//! First Wasserstein (earth mover's) distance between two 1-D samples, and Evidently's
//! normalised variant.
//!
//! * [`wasserstein_distance`] matches `scipy.stats.wasserstein_distance(u, v)` (unweighted):
//!   `W1 = integral |F_u(x) - F_v(x)| dx = sum_k |F_u(z_k) - F_v(z_k)| (z_{k+1} - z_k)` over
//!   the pooled sorted values `z` (scipy `_cdf_distance` with `p = 1`).
//! * [`wasserstein_normed`] matches Evidently's `wasserstein` stat test
//!   (`wasserstein_distance_norm.py`): `W1(ref, cur) / max(std(ref), 0.001)` where `std` is
//!   the population standard deviation (`np.std`, `ddof = 0`).

use super::StatError;

/// `W1` between two sorted, finite samples, in one `O(n + m)` pass over the quantiles.
///
/// `W1` is also the area between the two quantile functions:
/// `integral_0^1 |Q_u(t) - Q_v(t)| dt` (the same area as between the CDFs, measured along
/// the other axis; Vallender 1974, "Calculation of the Wasserstein distance between
/// probability distributions on the line"). `Q_u` steps at `t = k/n` and `Q_v` at
/// `t = l/m`; on each piece between consecutive steps both are constant, so the integral is
/// `sum |u_k - v_l| * width`. In units of `1/(n·m)` the steps sit at the integers `k·m`
/// and `l·n` (exact in `f64` below 2^53), so the widths are exact and the single division
/// happens at the end.
///
/// Which sample steps next depends only on `n` and `m`, never on the values, so this walk
/// has no data-dependent branch and no chain from one load to the next (the CDF form has to
/// compare the values to know which one to read next); with `n == m` it is a plain sum of
/// `|u_k - v_k|`. Equal to scipy's CDF form up to rounding in the last bits.
///
/// Returns NaN when either sample is empty (scipy raises there); use
/// [`wasserstein_normed`] for a checked variant.
pub fn wasserstein_distance(reference: &[f64], current: &[f64]) -> f64 {
    if reference.is_empty() || current.is_empty() {
        return f64::NAN;
    }
    let (n, m) = (reference.len(), current.len());
    let (nf, mf) = (n as f64, m as f64);
    if n == m {
        let sum: f64 = reference
            .iter()
            .zip(current)
            .map(|(a, b)| (a - b).abs())
            .sum();
        return sum / nf;
    }
    // Positions in units of 1/(n·m): the next step of Q_u is at (k+1)·m, of Q_v at (l+1)·n.
    let (step_u, step_v) = (m as u64, n as u64);
    let (mut next_u, mut next_v) = (step_u, step_v);
    let (mut k, mut l) = (0usize, 0usize);
    let mut at = 0u64;
    let mut acc = 0.0f64;
    let total = (n as u64) * (m as u64);
    while at < total {
        let end = next_u.min(next_v);
        acc += (reference[k] - current[l]).abs() * (end - at) as f64;
        at = end;
        let (adv_u, adv_v) = (next_u == end, next_v == end);
        // The last piece ends at n·m for both; do not step past the ends.
        k += (adv_u && k + 1 < n) as usize;
        l += (adv_v && l + 1 < m) as usize;
        next_u += step_u * adv_u as u64;
        next_v += step_v * adv_v as u64;
    }
    acc / (nf * mf)
}

/// Evidently's normed Wasserstein distance: `W1(ref, cur) / max(sigma_ref, 0.001)` with
/// `sigma_ref = sqrt(mean((ref - mean(ref))^2))`.
pub fn wasserstein_normed(reference: &[f64], current: &[f64]) -> Result<f64, StatError> {
    if reference.is_empty() {
        return Err(StatError::EmptySample("reference"));
    }
    if current.is_empty() {
        return Err(StatError::EmptySample("current"));
    }
    let n = reference.len() as f64;
    let mean = reference.iter().sum::<f64>() / n;
    let var = reference
        .iter()
        .map(|x| (x - mean) * (x - mean))
        .sum::<f64>()
        / n;
    let norm = var.sqrt().max(0.001);
    Ok(wasserstein_distance(reference, current) / norm)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shift_of_identical_shapes_is_the_shift() {
        let a = [0.0, 1.0, 2.0, 3.0];
        let b = [0.5, 1.5, 2.5, 3.5];
        assert!((wasserstein_distance(&a, &b) - 0.5).abs() < 1e-15);
        assert_eq!(wasserstein_distance(&a, &a), 0.0);
    }

    #[test]
    fn empty_inputs() {
        assert!(wasserstein_distance(&[], &[1.0]).is_nan());
        assert_eq!(
            wasserstein_normed(&[], &[1.0]),
            Err(StatError::EmptySample("reference"))
        );
        assert_eq!(
            wasserstein_normed(&[1.0], &[]),
            Err(StatError::EmptySample("current"))
        );
    }

    #[test]
    fn constant_reference_uses_floor_norm() {
        let w = wasserstein_normed(&[2.0, 2.0, 2.0], &[3.0]).unwrap();
        assert!((w - 1000.0).abs() < 1e-9);
    }

    /// scipy's CDF form (`_cdf_distance` with p = 1) by a merge of the two samples: the
    /// oracle for the quantile walk above.
    fn cdf_form(u: &[f64], v: &[f64]) -> f64 {
        let (n, m) = (u.len() as f64, v.len() as f64);
        let mut all: Vec<f64> = u.iter().chain(v).copied().collect();
        all.sort_by(f64::total_cmp);
        let mut acc = 0.0;
        let (mut i, mut j) = (0usize, 0usize);
        for w in all.windows(2) {
            while i < u.len() && u[i] <= w[0] {
                i += 1;
            }
            while j < v.len() && v[j] <= w[0] {
                j += 1;
            }
            acc += (i as f64 / n - j as f64 / m).abs() * (w[1] - w[0]);
        }
        acc
    }

    #[test]
    fn quantile_walk_equals_the_cdf_form() {
        let mut g = crate::synth::Synth::new(99);
        let mut next = move || g.uniform();
        for &(n, m) in &[
            (1, 1),
            (1, 5),
            (5, 1),
            (2, 3),
            (7, 7),
            (10, 4),
            (100, 37),
            (999, 1000),
            (3000, 2000),
        ] {
            for round in [false, true] {
                let mut u: Vec<f64> = (0..n).map(|_| next() * 10.0).collect();
                let mut v: Vec<f64> = (0..m).map(|_| next() * 12.0 - 1.0).collect();
                if round {
                    // many ties, within and across the samples
                    u.iter_mut().for_each(|x| *x = x.round());
                    v.iter_mut().for_each(|x| *x = x.round());
                }
                u.sort_by(f64::total_cmp);
                v.sort_by(f64::total_cmp);
                let (got, want) = (wasserstein_distance(&u, &v), cdf_form(&u, &v));
                assert!(
                    (got - want).abs() <= 1e-12 * want.abs().max(1.0),
                    "n={n} m={m} ties={round}: {got} vs {want}"
                );
                let back = wasserstein_distance(&v, &u);
                assert!((got - back).abs() <= 1e-12 * got.abs().max(1.0));
            }
        }
    }

    use crate::stats::test_support as fixture;

    #[test]
    fn matches_scipy_and_evidently_fixture() {
        for case in fixture::numeric_a_cases() {
            let name = case["name"].as_str().unwrap();
            let r = fixture::sorted(&case["reference"]);
            let c = fixture::sorted(&case["current"]);
            let want = &case["wasserstein"];
            fixture::assert_close(
                name,
                "distance",
                wasserstein_distance(&r, &c),
                want["distance"].as_f64().unwrap(),
            );
            fixture::assert_close(
                name,
                "normed",
                wasserstein_normed(&r, &c).unwrap(),
                want["normed"].as_f64().unwrap(),
            );
        }
    }
}
