//! Energy distance between two samples (Evidently method `"ed"`).
//!
//! Evidently 0.7 (`legacy/calculations/stattests/energy_distance.py`) reports
//! `scipy.stats.energy_distance(reference, current)` unchanged: no normalisation, no
//! weights. It is a distance (drift when it is *above* the threshold, default 0.1), not a
//! p-value.

use super::special::merged_tie_groups;
use super::StatError;

/// Energy distance `D(u, v)` between the empirical distributions of `reference` and
/// `current`, as `scipy.stats.energy_distance` computes it.
///
/// Formula (Székely & Rizzo 2013, "Energy statistics"; Bellemare et al. 2017, "The Cramér
/// distance as a solution to biased Wasserstein gradients", as cited by SciPy): in one
/// dimension `D^2 = 2 E|X - Y| - E|X - X'| - E|Y - Y'| = 2 * integral (F_u - F_v)^2 dx`, so
/// `D = sqrt(2) * sqrt(sum_k (F_u(x_k) - F_v(x_k))^2 (x_{k+1} - x_k))` over the sorted
/// distinct pooled values `x_k`, with the empirical CDFs `F` right-continuous (SciPy's
/// `_cdf_distance(2, u, v)` times `sqrt(2)`).
///
/// One merge pass over the sorted inputs: O(n + m) time, O(1) extra memory (instead of the
/// O(n m) pairwise form). Inputs must be finite and sorted ascending.
///
/// Errors: an empty sample; a non-finite result (only possible when pooled values are so far
/// apart that their difference overflows `f64`; SciPy then returns `inf`, we return
/// [`StatError::Degenerate`]).
pub fn energy_distance(reference: &[f64], current: &[f64]) -> Result<f64, StatError> {
    if reference.is_empty() {
        return Err(StatError::EmptySample("reference"));
    }
    if current.is_empty() {
        return Err(StatError::EmptySample("current"));
    }
    let (n, m) = (reference.len() as f64, current.len() as f64);
    let mut below_u = 0_usize;
    let mut below_v = 0_usize;
    let mut previous: Option<f64> = None;
    let mut integral = 0.0_f64;
    for group in merged_tie_groups(reference, current) {
        if let Some(x) = previous {
            // On [x, group.value) the CDFs are constant at their value just after x.
            let gap = (below_u as f64 / n) - (below_v as f64 / m);
            integral += gap * gap * (group.value - x);
        }
        below_u += group.count_a;
        below_v += group.count_b;
        previous = Some(group.value);
    }
    let distance = std::f64::consts::SQRT_2 * integral.sqrt();
    if distance.is_finite() {
        Ok(distance)
    } else {
        Err(StatError::Degenerate(format!(
            "energy distance is not finite ({distance}): the pooled values span more than \
             the f64 range"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::special::numeric_b_fixture::{assert_parity, cases, number};

    #[test]
    fn matches_scipy_fixture() {
        for case in cases() {
            let want = &case.expected["energy"];
            let got = energy_distance(&case.reference, &case.current);
            if want["error"].as_bool().unwrap() {
                assert!(
                    got.is_err(),
                    "{}: expected an error, got {got:?}",
                    case.name
                );
                continue;
            }
            let got = got.unwrap_or_else(|e| panic!("{}: unexpected error {e}", case.name));
            assert_parity(&case.name, "distance", got, number(&want["distance"]));
        }
    }

    fn assert_close(got: f64, want: f64) {
        assert!(
            (got - want).abs() <= 1e-12 + 1e-9 * want.abs(),
            "got {got}, want {want}"
        );
    }

    #[test]
    fn scipy_docs_examples() {
        // scipy.stats.energy_distance([0], [2]) = 2.0
        assert_close(energy_distance(&[0.0], &[2.0]).unwrap(), 2.0);
        // scipy.stats.energy_distance([0, 8], [0, 8, 3]) = 0.6666666666666666
        assert_close(
            energy_distance(&[0.0, 8.0], &[0.0, 3.0, 8.0]).unwrap(),
            2.0 / 3.0,
        );
    }

    #[test]
    fn matches_pairwise_definition() {
        let u = [-1.5, 0.0, 0.0, 2.0, 3.25];
        let v = [-0.5, 0.0, 1.0, 4.0];
        let mean_abs = |a: &[f64], b: &[f64]| {
            let mut s = 0.0;
            for x in a {
                for y in b {
                    s += (x - y).abs();
                }
            }
            s / (a.len() * b.len()) as f64
        };
        let d2 = 2.0 * mean_abs(&u, &v) - mean_abs(&u, &u) - mean_abs(&v, &v);
        assert_close(energy_distance(&u, &v).unwrap(), d2.sqrt());
    }

    #[test]
    fn identical_and_constant_samples() {
        let a = [1.0, 2.0, 2.0, 3.0];
        assert_eq!(energy_distance(&a, &a).unwrap(), 0.0);
        assert_eq!(energy_distance(&[4.0; 3], &[4.0; 7]).unwrap(), 0.0);
    }

    #[test]
    fn errors() {
        assert_eq!(
            energy_distance(&[], &[1.0]),
            Err(StatError::EmptySample("reference"))
        );
        assert_eq!(
            energy_distance(&[1.0], &[]),
            Err(StatError::EmptySample("current"))
        );
        assert!(energy_distance(&[-f64::MAX], &[f64::MAX]).is_err());
    }

    #[test]
    fn extreme_finite_inputs_do_not_panic() {
        let samples = crate::stats::test_support::extreme_samples();
        for a in &samples {
            for b in &samples {
                let _ = energy_distance(a, b);
            }
        }
    }
}
