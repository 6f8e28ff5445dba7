//! Evidently's `TVD` drift test (`tvd_stattest.py`): the total variation distance between the
//! category shares and a permutation-test p-value.
//!
//! * Distance: `TVD = ½ Σ_k |r_k / n_ref - c_k / n_cur|` over the categories seen on either
//!   side.
//! * p-value: Evidently's `permutation_test` (`utils.py`) pools both samples, draws a new
//!   reference of `n_ref` observations without replacement (the rest is the new current),
//!   recomputes the distance, repeats 1000 times and reports the share of permuted distances
//!   `>=` the observed one.
//!
//! **Random numbers.** Evidently seeds numpy's global legacy generator with 0; that stream is
//! not reproducible here, so the p-value takes an explicit seed and uses
//! `ChaCha8Rng::seed_from_u64(seed)`. The distance equals Evidently's; the p-value is a
//! different Monte-Carlo estimate of the same permutation p-value.
//!
//! **Permuting by counts.** The distance depends on the new reference only through its count
//! per category. For a uniformly random `n_ref`-subset of the pooled multiset with category
//! totals `t_k = r_k + c_k`, that count vector follows the multivariate hypergeometric
//! distribution `P(x) = Π_k C(t_k, x_k) / C(N, n_ref)`. It is drawn exactly as a chain of
//! univariate hypergeometric draws: `x_1 ~ HG(N, t_1, n_ref)`, then `x_2 ~ HG(N - t_1, t_2,
//! n_ref - x_1)`, and so on (the conditional law of the remaining categories given `x_1` is
//! again a subset draw from what is left). So one iteration costs `O(categories · sd)` instead
//! of `O(n_ref + n_cur)` for shuffling labels, with the same distribution of permuted
//! distances.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use statrs::function::gamma::ln_gamma;

use super::binning::present_categories;
use super::StatError;

/// Distance and permutation p-value of the TVD test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TvdResult {
    /// Total variation distance between the category shares.
    pub distance: f64,
    /// Share of permuted distances at least as large as the observed one.
    pub p_value: f64,
}

/// `½ Σ |r_k / n_r - c_k / n_c|`.
fn total_variation(reference: &[u64], current: &[u64], n_ref: u64, n_cur: u64) -> f64 {
    let (nr, nc) = (n_ref as f64, n_cur as f64);
    0.5 * reference
        .iter()
        .zip(current)
        .map(|(&r, &c)| (r as f64 / nr - c as f64 / nc).abs())
        .sum::<f64>()
}

/// Total variation distance between the category shares of two aligned count vectors
/// (Evidently's `_total_variation_distance`).
pub fn total_variation_distance(reference: &[u64], current: &[u64]) -> Result<f64, StatError> {
    let (reference, current) = present_categories(reference, current)?;
    let n_ref: u64 = reference.iter().sum();
    let n_cur: u64 = current.iter().sum();
    Ok(total_variation(&reference, &current, n_ref, n_cur))
}

/// `ln C(n, k)`.
fn ln_choose(n: u64, k: u64) -> f64 {
    ln_gamma(n as f64 + 1.0) - ln_gamma(k as f64 + 1.0) - ln_gamma((n - k) as f64 + 1.0)
}

/// One draw of the number of marked items among `draws` items taken without replacement from
/// `total` items of which `marked` are marked.
///
/// Small draws are simulated item by item; otherwise inversion by "chop-down" search outward
/// from the mode, with `P(mode)` from log-gamma and neighbouring probabilities from the ratio
/// `P(k + 1) / P(k) = (K - k)(n - k) / ((k + 1)(N - K - n + k + 1))`.
fn hypergeometric<R: Rng>(rng: &mut R, total: u64, marked: u64, draws: u64) -> u64 {
    if draws == 0 || marked == 0 {
        return 0;
    }
    if marked >= total {
        return draws;
    }
    if draws >= total {
        return marked;
    }
    // Symmetries: draw the smaller side of each split.
    if draws > total - draws {
        return marked - hypergeometric(rng, total, marked, total - draws);
    }
    if marked > total - marked {
        return draws - hypergeometric(rng, total, total - marked, draws);
    }
    if draws <= 24 {
        let (mut left, mut marked_left, mut hits) = (total, marked, 0);
        for _ in 0..draws {
            if rng.random_range(0..left) < marked_left {
                hits += 1;
                marked_left -= 1;
            }
            left -= 1;
        }
        return hits;
    }
    let unmarked = total - marked;
    let lo = draws.saturating_sub(unmarked);
    let hi = marked.min(draws);
    let mode = (((draws as u128 + 1) * (marked as u128 + 1)) / (total as u128 + 2)) as u64;
    let mode = mode.clamp(lo, hi);
    let p_mode = (ln_choose(marked, mode) + ln_choose(unmarked, draws - mode)
        - ln_choose(total, draws))
    .exp();
    let up = |k: u64| -> f64 {
        ((marked - k) as f64 * (draws - k) as f64)
            / ((k + 1) as f64 * (unmarked + k + 1 - draws) as f64)
    };
    let down = |k: u64| -> f64 {
        (k as f64 * (unmarked + k - draws) as f64)
            / ((marked - k + 1) as f64 * (draws - k + 1) as f64)
    };
    for _attempt in 0..16 {
        let mut u: f64 = rng.random::<f64>() - p_mode;
        if u <= 0.0 {
            return mode;
        }
        let (mut k_lo, mut k_hi, mut p_lo, mut p_hi) = (mode, mode, p_mode, p_mode);
        loop {
            let mut moved = false;
            if k_hi < hi && p_hi > 0.0 {
                p_hi *= up(k_hi);
                k_hi += 1;
                u -= p_hi;
                if u <= 0.0 {
                    return k_hi;
                }
                moved = true;
            }
            if k_lo > lo && p_lo > 0.0 {
                p_lo *= down(k_lo);
                k_lo -= 1;
                u -= p_lo;
                if u <= 0.0 {
                    return k_lo;
                }
                moved = true;
            }
            if !moved {
                // Rounding left a little mass unaccounted for: draw again.
                break;
            }
        }
    }
    mode
}

/// Evidently's `TVD` test on aligned category counts: the distance (equal to Evidently's) and a
/// seeded permutation p-value over `iterations` random splits of the pooled sample (Evidently
/// uses 1000).
///
/// Categories zero on both sides are ignored. Errors: an empty side gives
/// [`StatError::EmptySample`]; `iterations == 0` gives [`StatError::Degenerate`].
pub fn tvd_permutation(
    reference: &[u64],
    current: &[u64],
    iterations: usize,
    seed: u64,
) -> Result<TvdResult, StatError> {
    let (reference, current) = present_categories(reference, current)?;
    if iterations == 0 {
        return Err(StatError::Degenerate(
            "the TVD permutation test needs at least one iteration".to_string(),
        ));
    }
    let n_ref: u64 = reference.iter().sum();
    let n_cur: u64 = current.iter().sum();
    let observed = total_variation(&reference, &current, n_ref, n_cur);
    let pooled: Vec<u64> = reference.iter().zip(&current).map(|(r, c)| r + c).collect();
    let pooled_total = n_ref + n_cur;

    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut new_ref = vec![0u64; pooled.len()];
    let mut new_cur = vec![0u64; pooled.len()];
    let mut at_least_observed = 0usize;
    for _ in 0..iterations {
        let mut left = pooled_total;
        let mut draws_left = n_ref;
        for (k, &t) in pooled.iter().enumerate() {
            let x = hypergeometric(&mut rng, left, t, draws_left);
            new_ref[k] = x;
            new_cur[k] = t - x;
            left -= t;
            draws_left -= x;
        }
        if observed <= total_variation(&new_ref, &new_cur, n_ref, n_cur) {
            at_least_observed += 1;
        }
    }
    Ok(TvdResult {
        distance: observed,
        p_value: at_least_observed as f64 / iterations as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_by_hand() {
        let d = total_variation_distance(&[50, 50, 0], &[25, 50, 25]).unwrap();
        assert!((d - 0.25).abs() < 1e-15);
    }

    #[test]
    fn p_value_behaviour() {
        let same = tvd_permutation(&[40, 30, 30], &[40, 30, 30], 1000, 7).unwrap();
        assert_eq!(same.distance, 0.0);
        assert_eq!(same.p_value, 1.0);
        let diff = tvd_permutation(&[80, 10, 10], &[10, 10, 80], 1000, 7).unwrap();
        assert_eq!(diff.p_value, 0.0);
        let again = tvd_permutation(&[80, 10, 10], &[10, 10, 80], 1000, 7).unwrap();
        assert_eq!(diff, again);
    }

    #[test]
    fn hypergeometric_mean_and_support() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let (total, marked, draws) = (10_000u64, 3_000u64, 4_000u64);
        let n = 4000;
        let mut sum = 0.0;
        let mut sum_sq = 0.0;
        for _ in 0..n {
            let x = hypergeometric(&mut rng, total, marked, draws);
            assert!(x <= marked.min(draws));
            sum += x as f64;
            sum_sq += (x as f64) * (x as f64);
        }
        let mean = sum / n as f64;
        let var = sum_sq / n as f64 - mean * mean;
        // E = 1200, Var = n K/N (1 - K/N) (N - n)/(N - 1) ≈ 504.05
        assert!((mean - 1200.0).abs() < 2.0, "{mean}");
        assert!((var - 504.05).abs() < 50.0, "{var}");
        // small-draw path
        let mut s = 0u64;
        for _ in 0..20_000 {
            s += hypergeometric(&mut rng, 100, 30, 10);
        }
        assert!((s as f64 / 20_000.0 - 3.0).abs() < 0.05);
        // reductions (draws and marked above half): E = 80 * 70 / 100 = 56
        let mut s = 0u64;
        for _ in 0..20_000 {
            let x = hypergeometric(&mut rng, 100, 70, 80);
            assert!((50..=70).contains(&x));
            s += x;
        }
        assert!((s as f64 / 20_000.0 - 56.0).abs() < 0.05);
    }

    #[test]
    fn hypergeometric_matches_exact_pmf() {
        // Pearson goodness of fit of 100 000 draws of HG(N = 1000, K = 300, n = 200) against
        // the exact pmf (ratio recurrence from k = 0), over cells with expected count >= 5.
        let (total, marked, draws) = (1000u64, 300u64, 200u64);
        let mut pmf = vec![0.0f64; 201];
        let mut w = 1.0;
        pmf[0] = 1.0;
        for k in 0..200u64 {
            w *= ((marked - k) * (draws - k)) as f64
                / ((k + 1) * (total - marked - draws + k + 1)) as f64;
            pmf[k as usize + 1] = w;
        }
        let norm: f64 = pmf.iter().sum();
        let mut counts = vec![0u64; 201];
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let n = 100_000;
        for _ in 0..n {
            counts[hypergeometric(&mut rng, total, marked, draws) as usize] += 1;
        }
        let (mut stat, mut cells) = (0.0, 0);
        for (k, &c) in counts.iter().enumerate() {
            let expected = pmf[k] / norm * n as f64;
            if expected >= 5.0 {
                stat += (c as f64 - expected).powi(2) / expected;
                cells += 1;
            }
        }
        // chi-square with ~cells - 1 dof: mean cells - 1, sd sqrt(2 (cells - 1))
        let dof = (cells - 1) as f64;
        assert!(
            stat < dof + 5.0 * (2.0 * dof).sqrt(),
            "stat {stat}, {cells} cells"
        );
    }

    #[test]
    fn errors() {
        assert_eq!(
            tvd_permutation(&[0, 0], &[1, 2], 10, 0),
            Err(StatError::EmptySample("reference"))
        );
        assert!(tvd_permutation(&[1, 2], &[1, 2], 0, 0).is_err());
    }
}
