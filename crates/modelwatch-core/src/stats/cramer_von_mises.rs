//! Two-sample Cramér–von Mises test, the `cramer_von_mises` stat test of Evidently 0.7.
//!
//! Evidently does not call scipy here: `cramer_von_mises_stattest.py` ships its own copy of
//! the two-sample test (`_cvm_2samp`), written after `scipy.stats.cramervonmises_2samp`. The
//! formulas, the `method='auto'` rule and the asymptotic branch are the same as scipy's, so
//! this module reproduces both:
//!
//! * Statistic (Anderson 1962, eq. 9–10): with pooled midranks `r_i` of the sorted `x` and
//!   `s_j` of the sorted `y`, `U = n_x sum_i (r_i - i)^2 + n_y sum_j (s_j - j)^2` and
//!   `T = U / (n_x n_y N) - (4 n_x n_y - 1) / (6 N)`, `N = n_x + n_y`.
//! * `max(n_x, n_y) <= 20`: exact p-value `P(U' >= U)` over all `binom(N, n_x)` equally likely
//!   arrangements, by the frequency-table recursion of Xiao, Gordon & Yakovlev (2006), "A C++
//!   program for the Cramér–von Mises two-sample test", J. Stat. Softw. 17(8), Algorithm 1:
//!   with `L = lcm(n_x, n_y)`, `a = L/n_x`, `b = L/n_y`, a lattice path through `(u, v)`
//!   accumulates `sum (a v - b u)^2`, and the p-value is the share of paths whose sum is at
//!   least `zeta = floor(L^2 N (6 U - n_x n_y (4 n_x n_y - 1)) / (6 (n_x n_y)^2))`.
//! * otherwise: asymptotic. `E[T] = (1 + 1/N)/6`,
//!   `Var[T] = (N+1)(4 k N - 3(n_x^2 + n_y^2) - 2k) / (45 N^2 4k)` with `k = n_x n_y`
//!   (Anderson 1962, eq. 11 and 14), `T_n = 1/6 + (T - E[T]) / sqrt(45 Var[T])` (eq. 15), and
//!   `p = max(0, 1 - F_inf(T_n))` (or `1` when `T_n < 0.003`) with the limiting one-sample
//!   distribution `F_inf(x) = sum_k Gamma(k+1/2)/(Gamma(k+1) pi^{3/2} sqrt(x)) sqrt(4k+1)
//!   exp(-q_k) K_{1/4}(q_k)`, `q_k = (4k+1)^2 / (16 x)` (Csörgő & Faraway 1996, eq. 1.2–1.3),
//!   summed until a term drops below `1e-7`.
//!
//! **Deviation from Evidently 0.7.23 on numpy 2** (exact branch only): Evidently's copy stores
//! the frequency table in `numpy.min_scalar_type(max(L^2 N, binom(N, n_x)))`.
//! * When that is an unsigned integer type, adding the `int64` path increment in place raises
//!   a numpy casting error, so Evidently fails outright (167 of the 361 size pairs with both
//!   sizes in `2..=20`, e.g. any pair with `n_x = 2`).
//! * When it is `float32` the counts are rounded; the p-value then differs from the exact one
//!   by up to a few `1e-7` relative (within our parity tolerance).
//! * When it is `float16` (23 size pairs, e.g. 5 vs 5, 8 vs 8, 6 vs 14) the result is off by up
//!   to ~1.5% and is itself rounded to `float16`.
//!
//! This module computes the exact counts in integers, i.e. the value scipy's
//! `cramervonmises_2samp` returns, which is what Evidently's code means to return. The
//! asymptotic branch matches Evidently and scipy.

use super::StatError;

/// Result of [`cramer_von_mises_two_sample`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CramerVonMisesResult {
    /// The statistic `T` (Anderson 1962, eq. 9).
    pub statistic: f64,
    /// p-value (exact for `max(n_x, n_y) <= 20`, asymptotic otherwise).
    pub p_value: f64,
}

/// Largest sample size for which `method='auto'` uses the exact distribution.
const MAX_EXACT_N: usize = 20;

/// Two-sample Cramér–von Mises test of sorted, finite samples (`method='auto'`).
///
/// Both samples need at least two observations (scipy and Evidently raise otherwise).
pub fn cramer_von_mises_two_sample(
    reference: &[f64],
    current: &[f64],
) -> Result<CramerVonMisesResult, StatError> {
    if reference.is_empty() {
        return Err(StatError::EmptySample("reference"));
    }
    if current.is_empty() {
        return Err(StatError::EmptySample("current"));
    }
    for len in [reference.len(), current.len()] {
        if len < 2 {
            return Err(StatError::TooFewObservations {
                method: "cramer_von_mises",
                needed: 2,
                got: len,
            });
        }
    }
    let nx = reference.len();
    let ny = current.len();
    let u = rank_statistic_u(reference, current);
    let k = (nx * ny) as f64;
    let n_total = (nx + ny) as f64;
    let statistic = u / (k * n_total) - (4.0 * k - 1.0) / (6.0 * n_total);
    let p_value = if nx.max(ny) <= MAX_EXACT_N {
        exact_p_value(u, nx as u64, ny as u64)
    } else {
        asymptotic_p_value(statistic, nx as u64, ny as u64)
    };
    Ok(CramerVonMisesResult { statistic, p_value })
}

/// `U = n_x sum_i (r_i - i)^2 + n_y sum_j (s_j - j)^2` with pooled midranks (ties get the
/// average of the positions they occupy), in one merge pass. Every squared term is a
/// multiple of 1/4, so the sums are exact in `f64` for any realistic size.
fn rank_statistic_u(x: &[f64], y: &[f64]) -> f64 {
    let (nx, ny) = (x.len(), y.len());
    let (mut i, mut j) = (0usize, 0usize);
    let (mut sx, mut sy) = (0.0f64, 0.0f64);
    while i < nx || j < ny {
        let z = match (x.get(i), y.get(j)) {
            (Some(&a), Some(&b)) => a.min(b),
            (Some(&a), None) => a,
            (None, Some(&b)) => b,
            (None, None) => break,
        };
        let (i0, j0) = (i, j);
        while i < nx && x[i] <= z {
            i += 1;
        }
        while j < ny && y[j] <= z {
            j += 1;
        }
        let before = (i0 + j0) as f64;
        let count = ((i - i0) + (j - j0)) as f64;
        let midrank = before + (count + 1.0) / 2.0;
        for idx in i0..i {
            let d = midrank - (idx + 1) as f64;
            sx += d * d;
        }
        for idx in j0..j {
            let d = midrank - (idx + 1) as f64;
            sy += d * d;
        }
    }
    nx as f64 * sx + ny as f64 * sy
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Exact `P(U' >= U)` (Xiao, Gordon & Yakovlev 2006, Algorithm 1), with integer counts.
///
/// `g[v]` holds, for the current row `u`, the sorted table `value -> number of paths` from
/// `(0, 0)` to `(u, v)`, where a path's value is `sum (a v' - b u')^2` over its points. Row
/// `u` is built from row `u-1` by `g_u[v] = shift(g_u[v-1] ⊎ g_{u-1}[v])`.
fn exact_p_value(u_stat: f64, m: u64, n: u64) -> f64 {
    let lcm = m / gcd(m, n) * n;
    let a = (lcm / m) as i64;
    let b = (lcm / n) as i64;
    let mn = (m * n) as f64;
    // zeta = floor(L^2 N (6U - mn(4mn - 1)) / (6 (mn)^2)), a floor division of exactly
    // representable values done via the exact remainder (as numpy's float floor_divide).
    let numerator = (lcm * lcm * (m + n)) as f64 * (6.0 * u_stat - mn * (4.0 * mn - 1.0));
    let denominator = 6.0 * mn * mn;
    let rem = numerator % denominator;
    let mut zeta = (numerator - rem) / denominator;
    if rem != 0.0 && (rem < 0.0) != (denominator < 0.0) {
        zeta -= 1.0;
    }

    let m_us = m as usize;
    let mut rows: Vec<Vec<(u64, u64)>> = vec![Vec::new(); m_us + 1];
    rows[0].push((0, 1));
    let mut next: Vec<Vec<(u64, u64)>> = vec![Vec::new(); m_us + 1];
    for u in 0..=n as i64 {
        let mut left: Vec<(u64, u64)> = Vec::new();
        for v in 0..=m_us {
            let step = a * v as i64 - b * u;
            let shift = (step * step) as u64;
            let merged = &mut next[v];
            merged.clear();
            merge_tables(&left, &rows[v], merged);
            for entry in merged.iter_mut() {
                entry.0 += shift;
            }
            left.clear();
            left.extend_from_slice(merged);
        }
        std::mem::swap(&mut rows, &mut next);
    }
    let total: u64 = rows[m_us].iter().map(|&(_, c)| c).sum();
    let at_least: u64 = rows[m_us]
        .iter()
        .filter(|&&(value, _)| value as f64 >= zeta)
        .map(|&(_, c)| c)
        .sum();
    at_least as f64 / total as f64
}

/// Union of two value-sorted frequency tables, adding counts of equal values.
fn merge_tables(p: &[(u64, u64)], q: &[(u64, u64)], out: &mut Vec<(u64, u64)>) {
    let (mut i, mut j) = (0usize, 0usize);
    while i < p.len() && j < q.len() {
        match p[i].0.cmp(&q[j].0) {
            std::cmp::Ordering::Less => {
                out.push(p[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(q[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push((p[i].0, p[i].1 + q[j].1));
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&p[i..]);
    out.extend_from_slice(&q[j..]);
}

/// Asymptotic p-value from the normalised statistic (Anderson 1962, eq. 11, 14, 15).
fn asymptotic_p_value(t: f64, nx: u64, ny: u64) -> f64 {
    let n_total = nx + ny;
    let k = nx * ny;
    let nf = n_total as f64;
    let et = (1.0 + 1.0 / nf) / 6.0;
    let inner = 4 * (k as i128) * (n_total as i128)
        - 3 * ((nx as i128) * (nx as i128) + (ny as i128) * (ny as i128))
        - 2 * (k as i128);
    let vt = (nf + 1.0) * inner as f64;
    let vt = vt / (45 * (n_total as u128) * (n_total as u128) * 4 * (k as u128)) as f64;
    let tn = 1.0 / 6.0 + (t - et) / (45.0 * vt).sqrt();
    if tn < 0.003 {
        1.0
    } else {
        (1.0 - cvm_limit_cdf(tn)).max(0.0)
    }
}

/// CDF of the limiting (one-sample) Cramér–von Mises distribution, Csörgő & Faraway (1996)
/// eq. 1.2–1.3, summing terms until one falls below `1e-7` in absolute value (the stopping
/// rule of scipy's `_cdf_cvm_inf`).
fn cvm_limit_cdf(x: f64) -> f64 {
    use std::f64::consts::PI;
    let mut total = 0.0f64;
    // Gamma(k + 1/2) / Gamma(k + 1), starting from sqrt(pi) at k = 0.
    let mut gamma_ratio = PI.sqrt();
    let mut k = 0u32;
    loop {
        let kf = f64::from(k);
        if k > 0 {
            gamma_ratio *= (kf - 0.5) / kf;
        }
        let u = gamma_ratio / (PI.powf(1.5) * x.sqrt());
        let y = 4.0 * kf + 1.0;
        let q = y * y / (16.0 * x);
        let z = u * y.sqrt() * (-q).exp() * bessel_k_quarter(q);
        total += z;
        if z.abs() < 1e-7 || k > 10_000 {
            break;
        }
        k += 1;
    }
    total
}

/// Modified Bessel function of the second kind `K_{1/4}(x)`, `x > 0`, from the integral
/// `K_nu(x) = int_0^inf exp(-x cosh t) cosh(nu t) dt` (DLMF 10.32.9), written as
/// `exp(-x) int_0^inf exp(-2x sinh^2(t/2)) cosh(t/4) dt` and evaluated with the trapezoidal
/// rule, which converges geometrically for this analytic, doubly-exponentially decaying
/// integrand (step chosen so the discretisation error is far below `1e-15` relative).
fn bessel_k_quarter(x: f64) -> f64 {
    if x <= 0.0 {
        return f64::INFINITY;
    }
    let h = (0.5 / x.sqrt()).min(0.05);
    let mut sum = 0.5; // integrand at t = 0 is exactly 1 (after factoring out exp(-x))
    let mut j = 1u32;
    loop {
        let t = f64::from(j) * h;
        let s = (t / 2.0).sinh();
        let e = -2.0 * x * s * s;
        if e < -750.0 {
            break;
        }
        sum += e.exp() * (t / 4.0).cosh();
        j += 1;
    }
    (-x).exp() * sum * h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_small_and_empty() {
        assert_eq!(
            cramer_von_mises_two_sample(&[], &[1.0, 2.0]),
            Err(StatError::EmptySample("reference"))
        );
        assert!(matches!(
            cramer_von_mises_two_sample(&[1.0], &[1.0, 2.0]),
            Err(StatError::TooFewObservations { got: 1, .. })
        ));
    }

    #[test]
    fn bessel_matches_reference_values() {
        // scipy.special.kv(0.25, x)
        for (x, want) in [
            (0.01, 6.165741264139234),
            (1.0, 0.4307397744485814),
            (20.0, 5.750002072403683e-10),
        ] {
            let got = bessel_k_quarter(x);
            assert!((got - want).abs() <= 1e-13 * want, "{x}: {got} vs {want}");
        }
    }

    use crate::stats::test_support as fixture;

    #[test]
    fn matches_fixture() {
        for case in fixture::numeric_a_cases() {
            let name = case["name"].as_str().unwrap();
            let r = fixture::sorted(&case["reference"]);
            let c = fixture::sorted(&case["current"]);
            let want = &case["cramer_von_mises"];
            let got = cramer_von_mises_two_sample(&r, &c);
            if want.get("error").is_some() {
                assert!(got.is_err(), "{name}: expected an error, got {got:?}");
                continue;
            }
            let got = got.unwrap_or_else(|e| panic!("{name}: {e}"));
            fixture::assert_close(
                name,
                "statistic",
                got.statistic,
                want["statistic"].as_f64().unwrap(),
            );
            fixture::assert_close(
                name,
                "p_value",
                got.p_value,
                want["p_value"].as_f64().unwrap(),
            );
            // Where Evidently's own copy runs and keeps enough precision, it agrees too.
            if let Some(ev) = want.get("evidently_p_value").and_then(|v| v.as_f64()) {
                let exact_f16 = [(5, 5), (8, 8), (6, 14)];
                let sizes = (r.len(), c.len());
                if !exact_f16.contains(&sizes) {
                    fixture::assert_close(name, "evidently p_value", got.p_value, ev);
                }
            }
        }
    }
}
