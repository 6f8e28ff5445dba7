//! Two-sample Anderson–Darling test, as computed by `scipy.stats.anderson_ksamp([ref, cur])`
//! (default `midrank=True`), whose `significance_level` is the score Evidently's `anderson`
//! stat test returns.
//!
//! Source: Scholz, F. W. & Stephens, M. A. (1987), "K-Sample Anderson-Darling Tests",
//! JASA 82(399), 918–924.
//!
//! * Statistic `A2akN` (eq. 7, the midrank version that allows ties): over the distinct pooled
//!   values `z_j` with multiplicity `l_j`, `B_j = #(pooled < z_j) + l_j / 2` and, per sample,
//!   `M_ij = #(sample_i <= z_j) - f_ij / 2` (`f_ij` = ties of `z_j` in sample `i`):
//!   `A2akN = (N-1)/N * sum_i 1/n_i sum_j l_j/N (N M_ij - B_j n_i)^2 / (B_j (N - B_j) - N l_j/4)`.
//! * Standardised: `T = (A2akN - (k-1)) / sigma_N` with the exact finite-sample variance
//!   `sigma_N^2 = (a N^3 + b N^2 + c N + d) / ((N-1)(N-2)(N-3))` (eq. 4, with `H`, `h`, `g`
//!   as defined there); `k = 2` here.
//! * p-value: the Table 2 critical values `b0 + b1/sqrt(m) + b2/m` (`m = k - 1 = 1`) at
//!   significance levels `0.25 … 0.001`; a quadratic least-squares fit of `ln(level)` on the
//!   critical values is evaluated at `T` and exponentiated. Outside the tabulated range scipy
//!   caps the value: `T` below the smallest critical value gives `0.25`, above the largest
//!   gives `0.001` (scipy 1.17 behaviour, warning "p-value capped/floored").
//!
//! Deviations from scipy: scipy raises when fewer than two distinct values are pooled (here
//! [`StatError::Degenerate`]), raises an `IndexError` for `N = 2` and returns NaN for `N = 3`
//! (the variance has a zero factor `N - 3`); both of those are [`StatError::Degenerate`] here.

use super::StatError;

/// Result of [`anderson_ksamp_two`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AndersonResult {
    /// Standardised statistic `T` (scipy's `statistic`).
    pub statistic: f64,
    /// Interpolated significance level in `[0.001, 0.25]` (scipy's `pvalue`).
    pub p_value: f64,
}

/// Significance levels of Scholz & Stephens' Table 2.
const SIG_LEVELS: [f64; 7] = [0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001];
/// Table 2 interpolation coefficients `b0`, `b1`, `b2`.
const B0: [f64; 7] = [0.675, 1.281, 1.645, 1.96, 2.326, 2.573, 3.085];
const B1: [f64; 7] = [-0.245, 0.25, 0.678, 1.149, 1.822, 2.364, 3.615];
const B2: [f64; 7] = [-0.105, -0.305, -0.362, -0.391, -0.396, -0.345, -0.154];

/// Two-sample Anderson–Darling test (midrank statistic) of sorted, finite samples.
pub fn anderson_ksamp_two(reference: &[f64], current: &[f64]) -> Result<AndersonResult, StatError> {
    if reference.is_empty() {
        return Err(StatError::EmptySample("reference"));
    }
    if current.is_empty() {
        return Err(StatError::EmptySample("current"));
    }
    let a2akn = midrank_statistic(reference, current)?;
    let n_total = reference.len() + current.len();
    if n_total < 4 {
        return Err(StatError::Degenerate(format!(
            "anderson_ksamp needs at least 4 observations in total, got {n_total}"
        )));
    }
    let sigma_sq = variance_a2kn(reference.len(), current.len());
    let k = 2.0f64;
    let statistic = (a2akn - (k - 1.0)) / sigma_sq.sqrt();

    let m = k - 1.0;
    let critical: Vec<f64> = (0..7)
        .map(|i| B0[i] + B1[i] / m.sqrt() + B2[i] / m)
        .collect();
    let cmin = critical.iter().copied().fold(f64::INFINITY, f64::min);
    let cmax = critical.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let p_value = if statistic < cmin {
        0.25
    } else if statistic > cmax {
        0.001
    } else {
        let log_sig: Vec<f64> = SIG_LEVELS.iter().map(|s| s.ln()).collect();
        let coef = quadratic_least_squares(&critical, &log_sig);
        (((coef[0] * statistic) + coef[1]) * statistic + coef[2]).exp()
    };
    Ok(AndersonResult { statistic, p_value })
}

/// Scholz & Stephens eq. 7 (`A2akN`) for two sorted samples, one merge pass.
fn midrank_statistic(x: &[f64], y: &[f64]) -> Result<f64, StatError> {
    let (n1, n2) = (x.len(), y.len());
    let nf = (n1 + n2) as f64;
    let (mut i, mut j) = (0usize, 0usize);
    let (mut sum1, mut sum2) = (0.0f64, 0.0f64);
    let mut distinct = 0usize;
    while i < n1 || j < n2 {
        let z = match (x.get(i), y.get(j)) {
            (Some(&a), Some(&b)) => a.min(b),
            (Some(&a), None) => a,
            (None, Some(&b)) => b,
            (None, None) => break,
        };
        let (i0, j0) = (i, j);
        while i < n1 && x[i] <= z {
            i += 1;
        }
        while j < n2 && y[j] <= z {
            j += 1;
        }
        distinct += 1;
        let (f1, f2) = ((i - i0) as f64, (j - j0) as f64);
        let lj = f1 + f2;
        let bj = (i0 + j0) as f64 + lj / 2.0;
        let denom = bj * (nf - bj) - nf * lj / 4.0;
        let m1 = i as f64 - f1 / 2.0;
        let m2 = j as f64 - f2 / 2.0;
        let d1 = nf * m1 - bj * n1 as f64;
        let d2 = nf * m2 - bj * n2 as f64;
        sum1 += lj / nf * (d1 * d1) / denom;
        sum2 += lj / nf * (d2 * d2) / denom;
    }
    if distinct < 2 {
        return Err(StatError::Degenerate(
            "anderson_ksamp needs more than one distinct observation".to_string(),
        ));
    }
    Ok((sum1 / n1 as f64 + sum2 / n2 as f64) * ((nf - 1.0) / nf))
}

/// Exact variance of `A2kN` under the null (Scholz & Stephens eq. 4) for `k = 2` samples of
/// sizes `n1`, `n2`, `N = n1 + n2 >= 4`.
fn variance_a2kn(n1: usize, n2: usize) -> f64 {
    let n_total = n1 + n2;
    let nf = n_total as f64;
    let k = 2.0f64;
    let big_h = 1.0 / n1 as f64 + 1.0 / n2 as f64;
    // hs[t] = sum_{i = N-1-t}^{N-1} 1/i for t = 0..N-3; h = 1 + hs[last] = sum_{i<N} 1/i;
    // g = sum_{i=1}^{N-2} sum_{j=i+1}^{N-1} 1/((N-i) j) = sum_t hs[t] / (t + 2).
    let mut cum = 0.0f64;
    let mut g = 0.0f64;
    for t in 0..(n_total - 2) {
        cum += 1.0 / (n_total - 1 - t) as f64;
        g += cum / (t + 2) as f64;
    }
    let h = cum + 1.0;
    let a = (4.0 * g - 6.0) * (k - 1.0) + (10.0 - 6.0 * g) * big_h;
    let b = (2.0 * g - 4.0) * k * k + 8.0 * h * k + (2.0 * g - 14.0 * h - 4.0) * big_h - 8.0 * h
        + 4.0 * g
        - 6.0;
    let c = (6.0 * h + 2.0 * g - 2.0) * k * k
        + (4.0 * h - 4.0 * g + 6.0) * k
        + (2.0 * h - 6.0) * big_h
        + 4.0 * h;
    let d = (2.0 * h + 6.0) * k * k - 4.0 * h * k;
    (a * nf.powi(3) + b * nf.powi(2) + c * nf + d) / ((nf - 1.0) * (nf - 2.0) * (nf - 3.0))
}

/// Least-squares coefficients `[c2, c1, c0]` of `y ~ c2 x^2 + c1 x + c0` (what
/// `numpy.polyfit(x, y, 2)` returns), by Householder QR of the column-scaled Vandermonde
/// matrix.
fn quadratic_least_squares(x: &[f64], y: &[f64]) -> [f64; 3] {
    let rows = x.len();
    let mut a: Vec<[f64; 3]> = x.iter().map(|&v| [v * v, v, 1.0]).collect();
    let mut scale = [0.0f64; 3];
    for (c, s) in scale.iter_mut().enumerate() {
        *s = a.iter().map(|r| r[c] * r[c]).sum::<f64>().sqrt();
    }
    for r in a.iter_mut() {
        for c in 0..3 {
            r[c] /= scale[c];
        }
    }
    let mut b = y.to_vec();
    for col in 0..3 {
        let norm = (col..rows)
            .map(|r| a[r][col] * a[r][col])
            .sum::<f64>()
            .sqrt();
        let alpha = if a[col][col] > 0.0 { -norm } else { norm };
        let mut v: Vec<f64> = (col..rows).map(|r| a[r][col]).collect();
        v[0] -= alpha;
        let vnorm2: f64 = v.iter().map(|t| t * t).sum();
        if vnorm2 == 0.0 {
            continue;
        }
        for c in col..3 {
            let dot: f64 = a[col..].iter().zip(&v).map(|(row, vi)| vi * row[c]).sum();
            let f = 2.0 * dot / vnorm2;
            for (row, vi) in a[col..].iter_mut().zip(&v) {
                row[c] -= f * vi;
            }
        }
        let dot: f64 = b[col..].iter().zip(&v).map(|(bi, vi)| vi * bi).sum();
        let f = 2.0 * dot / vnorm2;
        for (bi, vi) in b[col..].iter_mut().zip(&v) {
            *bi -= f * vi;
        }
    }
    let mut coef = [0.0f64; 3];
    for row in (0..3).rev() {
        let mut s = b[row];
        for c in (row + 1)..3 {
            s -= a[row][c] * coef[c];
        }
        coef[row] = s / a[row][row];
    }
    for (c, s) in coef.iter_mut().zip(scale) {
        *c /= s;
    }
    coef
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn degenerate_inputs_are_errors() {
        assert_eq!(
            anderson_ksamp_two(&[], &[1.0]),
            Err(StatError::EmptySample("reference"))
        );
        assert!(matches!(
            anderson_ksamp_two(&[1.0, 1.0], &[1.0, 1.0]),
            Err(StatError::Degenerate(_))
        ));
        assert!(matches!(
            anderson_ksamp_two(&[1.0, 2.0], &[3.0]),
            Err(StatError::Degenerate(_))
        ));
    }

    #[test]
    fn small_case_matches_scipy() {
        // scipy.stats.anderson_ksamp([[1, 2], [3, 4]]) -> (1.5427784316797186, 0.07502559142197461)
        let r = anderson_ksamp_two(&[1.0, 2.0], &[3.0, 4.0]).unwrap();
        assert!((r.statistic - 1.5427784316797186).abs() < 1e-12);
        assert!((r.p_value - 0.07502559142197461).abs() < 1e-12);
    }

    use crate::stats::test_support as fixture;

    #[test]
    fn matches_scipy_fixture() {
        for case in fixture::numeric_a_cases() {
            let name = case["name"].as_str().unwrap();
            let r = fixture::sorted(&case["reference"]);
            let c = fixture::sorted(&case["current"]);
            let want = &case["anderson"];
            let got = anderson_ksamp_two(&r, &c);
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
        }
    }
}
