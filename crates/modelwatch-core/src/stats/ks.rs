//! Two-sample Kolmogorov–Smirnov test, as computed by `scipy.stats.ks_2samp(reference,
//! current)` (`method='auto'`, `alternative='two-sided'`), which is what Evidently's `ks`
//! stat test returns.
//!
//! * Statistic: `D = sup_x |F_ref(x) - F_cur(x)|`, evaluated at every observed value with
//!   right-continuous empirical CDFs (scipy evaluates `searchsorted(..., side='right')`).
//! * p-value, `max(n_ref, n_cur) <= 10000` (scipy's `MAX_AUTO_N`): the exact null
//!   distribution. With `g = gcd(n1, n2)` and `L = lcm(n1, n2)`, `D` is snapped to the lattice
//!   `h / L` with `h = round(D * L)` (the reported statistic is then `h / L`), and
//!   * `n1 == n2`: `P(D >= h/n) = 2 (A0 (1 - A1 (1 - A2 (...))))`, the alternating sum of
//!     `binom(2n, n - k h) / binom(2n, n)` evaluated Horner-style (scipy
//!     `_compute_prob_outside_square`);
//!   * `n1 != n2`: the lattice-path "inside" method of Hodges (1958) counting paths that stay
//!     strictly between the diagonals `|x/m - y/n| < h/L`, run directly on `1 - p` as in
//!     Viehmann (2021), arXiv:2102.08037 (scipy `_compute_outer_prob_inside_method`).
//!
//!   If the exact value is not a probability, scipy falls back to the asymptotic branch.
//! * p-value otherwise: `kstwo.sf(D, round(n1 n2 / (n1 + n2)))`, the exact one-sample
//!   two-sided Kolmogorov distribution evaluated with the algorithm selection of Simard &
//!   L'Ecuyer (2011), "Computing the two-sided Kolmogorov-Smirnov distribution", J. Stat.
//!   Softw. 39(11) (scipy `stats._ksstats._kolmogn`): Ruben–Gambino closed forms at the
//!   ends, Durbin's matrix (Marsaglia–Tsang–Wang 2003), Pomeranz (1974) recursion,
//!   Pelz–Good (1976) expansion, or `2 * smirnov(n, d)` (one-sided Birnbaum–Tingey sum) in
//!   the upper tail.
//!
//! The final p-value is clipped to `[0, 1]`, as scipy does.

use super::StatError;

/// Result of [`ks_two_sample`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KsResult {
    /// The KS statistic `D` (snapped to `h / lcm(n1, n2)` when the exact method ran).
    pub statistic: f64,
    /// Two-sided p-value.
    pub p_value: f64,
}

/// scipy's `MAX_AUTO_N`: `method='auto'` is exact when both sizes are at most this.
const MAX_EXACT_N: usize = 10_000;

/// Two-sample two-sided Kolmogorov–Smirnov test of sorted, finite samples.
///
/// Matches `scipy.stats.ks_2samp(reference, current)`; see the module documentation for the
/// formulas. Cost: `O(n1 + n2)` for the statistic; the exact p-value is `O(n)` for equal
/// sizes and at most `O(n1 * n2)` otherwise.
pub fn ks_two_sample(reference: &[f64], current: &[f64]) -> Result<KsResult, StatError> {
    if reference.is_empty() {
        return Err(StatError::EmptySample("reference"));
    }
    if current.is_empty() {
        return Err(StatError::EmptySample("current"));
    }
    let n1 = reference.len();
    let n2 = current.len();
    let d = ks_statistic(reference, current);

    if n1.max(n2) <= MAX_EXACT_N {
        let g = gcd(n1 as u64, n2 as u64);
        let lcm = (n1 as u64 / g) * n2 as u64;
        let h = (d * lcm as f64).round_ties_even() as u64;
        let d_lattice = h as f64 / lcm as f64;
        if h == 0 {
            return Ok(KsResult {
                statistic: d_lattice,
                p_value: 1.0,
            });
        }
        let prob = if n1 == n2 {
            prob_outside_square(n1 as u64, h)
        } else {
            prob_outside_band(n1 as u64, n2 as u64, g, h)
        };
        if (0.0..=1.0).contains(&prob) {
            return Ok(KsResult {
                statistic: d_lattice,
                p_value: prob,
            });
        }
        // scipy: exact computation unsuccessful, switch to the asymptotic branch (with the
        // snapped statistic).
        return Ok(KsResult {
            statistic: d_lattice,
            p_value: asymptotic_p(n1, n2, d_lattice),
        });
    }
    Ok(KsResult {
        statistic: d,
        p_value: asymptotic_p(n1, n2, d),
    })
}

/// `D = max_x |F1(x) - F2(x)|` over all observed `x`, via one merge pass over the sorted
/// samples. Each CDF difference is formed as `i/n1 - j/n2` in `f64`, exactly as scipy does.
fn ks_statistic(a: &[f64], b: &[f64]) -> f64 {
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j) = (0usize, 0usize);
    let mut max_diff = 0.0f64;
    let mut min_diff = 0.0f64;
    while i < a.len() || j < b.len() {
        // The next distinct value among the two samples.
        let x = match (a.get(i), b.get(j)) {
            (Some(&p), Some(&q)) => p.min(q),
            (Some(&p), None) => p,
            (None, Some(&q)) => q,
            (None, None) => break,
        };
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        let diff = i as f64 / n1 - j as f64 / n2;
        max_diff = max_diff.max(diff);
        min_diff = min_diff.min(diff);
    }
    max_diff.max((-min_diff).clamp(0.0, 1.0))
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// `P(D_{n,n} >= h/n)` for two samples of equal size `n`, `1 <= h <= n`.
///
/// `P = 2 * sum_{k>=1} (-1)^(k-1) binom(2n, n - k h) / binom(2n, n)`; each ratio
/// `A_k = prod_{j<h} (n - k h - j) / (n + k h + j + 1)` relative to the previous one, nested
/// as `2 A0 (1 - A1 (1 - A2 (...)))` to avoid cancellation (scipy
/// `_compute_prob_outside_square`).
fn prob_outside_square(n: u64, h: u64) -> f64 {
    let nf = n as f64;
    let mut p = 0.0f64;
    let mut k = n / h;
    loop {
        let mut term = 1.0f64;
        for j in 0..h {
            let kh = (k * h) as f64;
            term = ((nf - kh - j as f64) * term) / (nf + kh + j as f64 + 1.0);
        }
        p = term * (1.0 - p);
        if k == 0 {
            break;
        }
        k -= 1;
    }
    2.0 * p
}

/// `P(D_{m,n} >= h / lcm(m, n))` for unequal sizes: one minus the proportion of monotone
/// lattice paths from `(0,0)` to `(m,n)` staying strictly inside `|x/m - y/n| < h/lcm`.
///
/// Hodges (1958) "inside" recursion `A(x,y) = A(x-1,y) + A(x,y-1)`, kept column by column on
/// a sliding window and carried as the complementary proportion: for column `i` and row `j`,
/// `B(i,j) = (i * B(i-1,j) + j * B(i,j-1)) / (i + j)` with `B = 1` outside the band
/// (Viehmann 2021). Same window bookkeeping as scipy's `_compute_outer_prob_inside_method`,
/// with the same floating-point operations so the results agree to the last bits.
fn prob_outside_band(m: u64, n: u64, g: u64, h: u64) -> f64 {
    let (m, n) = if m < n { (n, m) } else { (m, n) };
    let mg = (m / g) as f64;
    let ng = (n / g) as f64;
    let hf = h as f64;
    let n_i = n as i64;

    let mut minj: i64 = 0;
    let mut maxj: i64 = ((hf / mg).ceil() as i64).min(n_i + 1);
    let mut curlen = maxj - minj;
    let len_a = (2 * maxj + 2).min(n_i + 1) as usize;
    let mut a = vec![1.0f64; len_a];
    for v in a.iter_mut().take(maxj as usize) {
        *v = 0.0;
    }
    for i in 1..=m {
        let last_minj = minj;
        let last_len = curlen;
        let fi = i as f64;
        minj = ((((ng * fi - hf) / mg).floor() as i64) + 1).max(0);
        minj = minj.min(n_i);
        maxj = (((ng * fi + hf) / mg).ceil() as i64).min(n_i + 1);
        if maxj <= minj {
            return 1.0;
        }
        let mut val = if minj == 0 { 0.0 } else { 1.0 };
        let shift = (minj - last_minj) as usize;
        for jj in 0..(maxj - minj) as usize {
            let j = (jj as i64 + minj) as f64;
            val = (a[jj + shift] * fi + val * j) / (fi + j);
            a[jj] = val;
        }
        curlen = maxj - minj;
        if last_len > curlen {
            let start = curlen as usize;
            let end = (start + (last_len - curlen) as usize).min(a.len());
            for v in &mut a[start..end] {
                *v = 1.0;
            }
        }
    }
    a[(maxj - minj - 1) as usize]
}

/// scipy's asymptotic branch: `kstwo.sf(d, round(m n / (m + n)))` with `m >= n` as floats.
fn asymptotic_p(n1: usize, n2: usize, d: f64) -> f64 {
    let (m, n) = if n1 >= n2 {
        (n1 as f64, n2 as f64)
    } else {
        (n2 as f64, n1 as f64)
    };
    let en = (m * n / (m + n)).round_ties_even();
    kstwo_sf(en, d).clamp(0.0, 1.0)
}

/// Survival function of the two-sided one-sample KS statistic `D_n` (scipy `kstwo.sf`).
///
/// Support is `[1/(2n), 1]`; inside it, dispatches like Simard & L'Ecuyer (2011) / scipy's
/// `_kolmogn(n, x, cdf=False)`.
fn kstwo_sf(n: f64, x: f64) -> f64 {
    if n < 1.0 || x.is_nan() {
        return f64::NAN;
    }
    if x <= 0.5 / n {
        return 1.0;
    }
    if x >= 1.0 {
        return 0.0;
    }
    let n_int = n as u64;
    let t = n * x;
    if t <= 1.0 {
        // Ruben–Gambino: for 1/(2n) < x <= 1/n, P(D_n <= x) = n! / n^n (2t - 1)^n.
        let cdf = if n_int <= 140 {
            let mut prod = 1.0f64;
            for i in 1..=n_int {
                prod *= (i as f64 * (1.0 / n)) * (2.0 * t - 1.0);
            }
            prod
        } else {
            (log_nfactorial_div_n_pow_n(n) + n * (2.0 * t - 1.0).ln()).exp()
        };
        return (1.0 - cdf).clamp(0.0, 1.0);
    }
    if t >= n - 1.0 {
        // Ruben–Gambino: for x >= 1 - 1/n, P(D_n > x) = 2 (1 - x)^n.
        return (2.0 * (1.0 - x).powf(n)).clamp(0.0, 1.0);
    }
    if x >= 0.5 {
        // D_n > x >= 1/2 means exactly one of D+ and D- exceeds x.
        return (2.0 * smirnov_sf(n_int, x)).clamp(0.0, 1.0);
    }
    let nxsquared = t * x;
    if n_int <= 140 {
        let cdf = if nxsquared <= 0.754693 {
            durbin_matrix_cdf(n_int, x)
        } else if nxsquared <= 4.0 {
            pomeranz_cdf(n_int, x)
        } else {
            return (2.0 * smirnov_sf(n_int, x)).clamp(0.0, 1.0);
        };
        return (1.0 - cdf.clamp(0.0, 1.0)).clamp(0.0, 1.0);
    }
    if nxsquared >= 370.0 {
        return 0.0;
    }
    if nxsquared >= 2.2 {
        return (2.0 * smirnov_sf(n_int, x)).clamp(0.0, 1.0);
    }
    let cdf = if n_int <= 100_000 && n * x.powf(1.5) <= 1.4 {
        durbin_matrix_cdf(n_int, x)
    } else {
        pelz_good_cdf(n, x)
    };
    (1.0 - cdf).clamp(0.0, 1.0)
}

/// `ln(n! / n^n)` by Stirling's series (the coefficients are the Bernoulli-number terms
/// `B_{2k} / (2k (2k-1))` in Horner form; same truncation as scipy's
/// `_log_nfactorial_div_n_pow_n`).
fn log_nfactorial_div_n_pow_n(n: f64) -> f64 {
    // B_{2k} / (2k (2k - 1)) for k = 8 down to 1.
    const STIRLING: [f64; 8] = [
        -3617.0 / 122400.0,
        1.0 / 156.0,
        -691.0 / 360360.0,
        1.0 / 1188.0,
        -1.0 / 1680.0,
        1.0 / 1260.0,
        -1.0 / 360.0,
        1.0 / 12.0,
    ];
    let rn = 1.0 / n;
    let z = rn / n;
    let poly = STIRLING.iter().fold(0.0, |acc, &c| acc * z + c);
    n.ln() / 2.0 - n + (2.0 * std::f64::consts::PI).ln() / 2.0 + rn * poly
}

const SCALE_EXP: i32 = 128;

/// `P(D_n <= d)` by Durbin's matrix method: `n!/n^n * (H^n)_{k,k}` with `k = ceil(n d)`,
/// `H` the `(2k-1) x (2k-1)` matrix of Durbin (1968), computed with the scaling of
/// Marsaglia, Tsang & Wang (2003), "Evaluating Kolmogorov's distribution", J. Stat. Softw.
/// 8(18).
fn durbin_matrix_cdf(n: u64, d: f64) -> f64 {
    if d >= 1.0 {
        return 1.0;
    }
    let nd = n as f64 * d;
    if nd <= 0.5 {
        return 0.0;
    }
    let k = nd.ceil() as usize;
    let h = k as f64 - nd;
    let m = 2 * k - 1;
    let mut hm = vec![0.0f64; m * m];
    // v_j = (1 - h^j) / j!, w_j = 1 / (j-1)!.
    let mut v = vec![0.0f64; m];
    let mut w = vec![0.0f64; m];
    let mut fac = 1.0f64;
    for j in 1..=m {
        w[j - 1] = fac;
        fac /= j as f64;
        v[j - 1] = (1.0 - h.powi(j as i32)) * fac;
    }
    let tt = (2.0 * h - 1.0).max(0.0).powi(m as i32) - 2.0 * h.powi(m as i32);
    v[m - 1] = (1.0 + tt) * fac;
    for col in 1..m {
        for row in (col - 1)..m {
            hm[row * m + col] = w[row - (col - 1)];
        }
    }
    for row in 0..m {
        hm[row * m] = v[row];
    }
    for col in 0..m {
        hm[(m - 1) * m + col] = v[m - 1 - col];
    }

    let big = 2f64.powi(SCALE_EXP);
    let small = 2f64.powi(-SCALE_EXP);
    let mut pwr = identity(m);
    let mut expnt: i64 = 0;
    let mut h_expnt: i64 = 0;
    let mut nn = n;
    while nn > 0 {
        if nn % 2 == 1 {
            pwr = matmul(&pwr, &hm, m);
            expnt += h_expnt;
        }
        hm = matmul(&hm, &hm, m);
        h_expnt *= 2;
        if hm[(k - 1) * m + (k - 1)].abs() > big {
            for x in hm.iter_mut() {
                *x /= big;
            }
            h_expnt += SCALE_EXP as i64;
        }
        nn /= 2;
    }
    let mut p = pwr[(k - 1) * m + (k - 1)];
    for i in 1..=n {
        p = i as f64 * p / n as f64;
        if p.abs() < small {
            p *= big;
            expnt -= SCALE_EXP as i64;
        }
    }
    if expnt != 0 {
        p = ldexp(p, expnt);
    }
    p.clamp(0.0, 1.0)
}

fn identity(m: usize) -> Vec<f64> {
    let mut out = vec![0.0; m * m];
    for i in 0..m {
        out[i * m + i] = 1.0;
    }
    out
}

fn matmul(a: &[f64], b: &[f64], m: usize) -> Vec<f64> {
    let mut out = vec![0.0; m * m];
    for i in 0..m {
        for k in 0..m {
            let aik = a[i * m + k];
            if aik == 0.0 {
                continue;
            }
            let brow = &b[k * m..(k + 1) * m];
            let orow = &mut out[i * m..(i + 1) * m];
            for (o, &bkj) in orow.iter_mut().zip(brow) {
                *o += aik * bkj;
            }
        }
    }
    out
}

/// `x * 2^e` without intermediate overflow/underflow for moderate `e`.
fn ldexp(mut x: f64, mut e: i64) -> f64 {
    while e > 1000 {
        x *= 2f64.powi(1000);
        e -= 1000;
    }
    while e < -1000 {
        x *= 2f64.powi(-1000);
        e += 1000;
    }
    x * 2f64.powi(e as i32)
}

/// Row bounds of Pomeranz's recursion (scipy `_pomeranz_compute_j1j2`).
fn pomeranz_bounds(i: i64, n: i64, ll: i64, ceilf: i64, roundf: i64) -> (i64, i64) {
    let (j1, j2) = if i == 0 {
        (-ll - ceilf - 1, ll + ceilf - 1)
    } else {
        let half = (i + 1) / 2;
        if (i + 1) % 2 == 0 {
            if half == n + 1 {
                (n - ll - ceilf - 1, n + ll + ceilf - 1)
            } else {
                (half - 1 - ll - roundf - 1, half + ll - 1 + ceilf - 1)
            }
        } else {
            (half - 1 - ll - 1, half + ll + roundf - 1)
        }
    };
    ((j1 + 2).max(0), j2.min(n))
}

/// `P(D_n <= x)` by the Pomeranz (1974) recursion over the `2n + 2` break points of
/// `{i/n ± x}`, each step a convolution with `(g/n)^m / m!`-type weights, rescaled by
/// `2^128` when small (as in Simard & L'Ecuyer 2011, section 2.2).
fn pomeranz_cdf(n: u64, x: f64) -> f64 {
    let nf = n as f64;
    let n = n as i64;
    let t = nf * x;
    let ll = t.floor() as i64;
    let f = t - ll as f64;
    let g = f.min(1.0 - f);
    let ceilf = i64::from(f > 0.0);
    let roundf = i64::from(f > 0.5);
    let npwrs = (2 * (ll + 1)) as usize;
    let mut gpower = vec![0.0f64; npwrs];
    let mut twogpower = vec![0.0f64; npwrs];
    let mut onem2gpower = vec![0.0f64; npwrs];
    gpower[0] = 1.0;
    twogpower[0] = 1.0;
    onem2gpower[0] = 1.0;
    let (g_n, two_g_n, one_m2g_n) = (g / nf, 2.0 * g / nf, (1.0 - 2.0 * g) / nf);
    for m in 1..npwrs {
        let mf = m as f64;
        gpower[m] = gpower[m - 1] * g_n / mf;
        twogpower[m] = twogpower[m - 1] * two_g_n / mf;
        onem2gpower[m] = onem2gpower[m - 1] * one_m2g_n / mf;
    }
    let big = 2f64.powi(SCALE_EXP);
    let small = 2f64.powi(-SCALE_EXP);
    let mut expnt: i64 = 0;
    let mut v0 = vec![0.0f64; npwrs];
    let mut v1 = vec![0.0f64; npwrs];
    v1[0] = 1.0;
    let (mut v0s, mut v1s) = (0i64, 0i64);
    let (mut j1, _) = pomeranz_bounds(0, n, ll, ceilf, roundf);
    let mut conv = Vec::with_capacity(2 * npwrs);
    for i in 1..(2 * n + 2) {
        let k1 = j1;
        std::mem::swap(&mut v0, &mut v1);
        std::mem::swap(&mut v0s, &mut v1s);
        v1.iter_mut().for_each(|v| *v = 0.0);
        let j2;
        (j1, j2) = pomeranz_bounds(i, n, ll, ceilf, roundf);
        let pwrs = if i == 1 || i == 2 * n + 1 {
            &gpower
        } else if i % 2 == 1 {
            &twogpower
        } else {
            &onem2gpower
        };
        let ln2 = j2 - k1 + 1;
        if ln2 > 0 {
            let start = (k1 - v0s).max(0) as usize;
            let end = (start + ln2 as usize).min(npwrs);
            let a = &v0[start.min(end)..end];
            let b = &pwrs[..(ln2 as usize).min(npwrs)];
            full_convolution(a, b, &mut conv);
            let conv_start = (j1 - k1) as usize;
            let conv_len = (j2 - j1 + 1).max(0) as usize;
            for (idx, slot) in v1.iter_mut().take(conv_len).enumerate() {
                *slot = conv.get(conv_start + idx).copied().unwrap_or(0.0);
            }
            let vmax = v1.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if 0.0 < vmax && vmax < small {
                v1.iter_mut().for_each(|v| *v *= big);
                expnt -= SCALE_EXP as i64;
            }
            v1s = v0s + j1 - k1;
        }
    }
    let mut ans = v1[(n - v1s) as usize];
    for m in 1..=n {
        if ans.abs() > big {
            ans *= small;
            expnt += SCALE_EXP as i64;
        }
        ans *= m as f64;
    }
    if expnt != 0 {
        ans = ldexp(ans, expnt);
    }
    ans.clamp(0.0, 1.0)
}

/// Full discrete convolution `out[k] = sum_i a[i] b[k - i]` (numpy `convolve`, mode
/// 'full').
fn full_convolution(a: &[f64], b: &[f64], out: &mut Vec<f64>) {
    out.clear();
    if a.is_empty() || b.is_empty() {
        return;
    }
    out.resize(a.len() + b.len() - 1, 0.0);
    for (i, &ai) in a.iter().enumerate() {
        for (j, &bj) in b.iter().enumerate() {
            out[i + j] += ai * bj;
        }
    }
}

/// Pelz–Good (1976) approximation of `P(D_n <= x)`: Li-Chien/Korolyuk expansion
/// `K0(z) + K1(z)/sqrt(n) + K2(z)/n + K3(z)/n^1.5` with `z = x sqrt(n)`, each term rewritten
/// with Jacobi theta transforms for small `z` (Simard & L'Ecuyer 2011, eq. 8).
fn pelz_good_cdf(n: f64, x: f64) -> f64 {
    use std::f64::consts::PI;
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let pi2 = PI * PI;
    let pi4 = pi2 * pi2;
    let pi6 = pi4 * pi2;
    let sqrt2pi = (2.0 * PI).sqrt();
    let z = n.sqrt() * x;
    let (z2, z3, z4, z6) = (z.powi(2), z.powi(3), z.powi(4), z.powi(6));
    let qlog = -pi2 / 8.0 / z2;
    if qlog < -708.0 {
        return 0.0;
    }
    let q = qlog.exp();
    let k1a = -z2;
    let k1b = pi2 / 4.0;
    let k2a = 6.0 * z6 + 2.0 * z4;
    let k2b = (2.0 * z4 - 5.0 * z2) * pi2 / 4.0;
    let k2c = pi4 * (1.0 - 2.0 * z2) / 16.0;
    let k3d = pi6 * (5.0 - 30.0 * z2) / 64.0;
    let k3c = pi4 * (-60.0 * z2 + 212.0 * z4) / 16.0;
    let k3b = pi2 * (135.0 * z4 - 96.0 * z6) / 4.0;
    let k3a = -30.0 * z6 - 90.0 * z.powi(8);
    let mut kk = [0.0f64; 4];
    let maxk = (16.0 * z / PI).ceil() as i64;
    for k in (1..=maxk).rev() {
        let m = (2 * k - 1) as f64;
        let (m2, m4, m6) = (m * m, m.powi(4), m.powi(6));
        let qpower = q.powf((8 * k) as f64);
        let coeffs = [
            1.0,
            k1a + k1b * m2,
            k2a + k2b * m2 + k2c * m4,
            k3a + k3b * m2 + k3c * m4 + k3d * m6,
        ];
        for (acc, c) in kk.iter_mut().zip(coeffs) {
            *acc = *acc * qpower + c;
        }
    }
    let denoms = [z, 6.0 * z4, 72.0 * z.powi(7), 6480.0 * z.powi(10)];
    for (acc, den) in kk.iter_mut().zip(denoms) {
        *acc = *acc * q * sqrt2pi / den;
    }
    let q2 = (-pi2 / 2.0 / z2).exp();
    let sqrt3z = 3f64.sqrt() * z;
    let mut k2extra = 0.0;
    let mut k3extra = 0.0;
    for k in (1..=maxk).rev() {
        let kf = k as f64;
        let ksq = kf * kf;
        let qp = q2.powf(ksq);
        k2extra += ksq * qp;
        let kspi = PI * kf;
        k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ksq * qp;
    }
    kk[2] += k2extra * pi2 * sqrt2pi / (-36.0 * z3);
    kk[3] += k3extra * pi2 * sqrt2pi / (216.0 * z6);
    let mut total = 0.0;
    for (i, acc) in kk.iter().enumerate() {
        total += acc / n.powf(i as f64 / 2.0);
    }
    total
}

/// Upper tail of the one-sided statistic, `P(D+_n >= x)` (scipy.special `smirnov`).
///
/// Birnbaum & Tingey (1951): `x * sum_{v=0}^{floor(n(1-x))} C(n,v) (x + v/n)^(v-1)
/// (1 - x - v/n)^(n-v)`, every term positive, summed in log space with the early stop of
/// van Mulbregt (2018, arXiv:1802.06966) and the closed forms used by scipy/cephes for
/// `n = 1`, `x <= 1/n`, `x >= 1 - 1/n`, underflow, and `n > 10^6` (the approximation
/// `exp(-(6 n x + 1)^2 / (18 n))`).
fn smirnov_sf(n: u64, x: f64) -> f64 {
    if !(0.0..=1.0).contains(&x) || n == 0 {
        return f64::NAN;
    }
    if n == 1 {
        return 1.0 - x;
    }
    if x == 0.0 {
        return 1.0;
    }
    if x == 1.0 {
        return 0.0;
    }
    let nf = n as f64;
    // floor(n x) and its remainder, computed exactly with an FMA error term.
    let p = nf * x;
    let err = nf.mul_add(x, -p);
    let mut nxfl = p.floor();
    let mut alpha = (p - nxfl) + err;
    if alpha < 0.0 {
        nxfl -= 1.0;
        alpha += 1.0;
    }
    if alpha >= 1.0 {
        nxfl += 1.0;
        alpha = 0.0;
    }
    if nxfl == 0.0 || (nxfl == 1.0 && alpha == 0.0) {
        let cdf = x * (1.0 + x).powf(nf - 1.0);
        return (1.0 - cdf).clamp(0.0, 1.0);
    }
    const MINLOG: f64 = -708.3964185322641;
    if -2.0 * nf * x * x < MINLOG {
        return 0.0;
    }
    if nxfl >= nf - 1.0 {
        return (1.0 - x).powf(nf).clamp(0.0, 1.0);
    }
    if n > 1_000_000 {
        let logp = -(6.0 * nf * x + 1.0).powi(2) / 18.0 / nf;
        let sf = if logp < -std::f64::consts::LN_2 {
            logp.exp()
        } else {
            // cephes forms the CDF as -expm1(logp) and the SF as its complement.
            1.0 - (-logp.exp_m1())
        };
        return sf.clamp(0.0, 1.0);
    }
    let n_terms = n - nxfl as u64;
    let mut sum = 0.0f64;
    let mut ln_binom = 0.0f64;
    for v in 0..n_terms {
        let vf = v as f64;
        if v > 0 {
            ln_binom += ((nf - vf + 1.0) / vf).ln();
        }
        let base_lo = vf / nf + x;
        let base_hi = (nf - vf) / nf - x;
        if base_hi <= 0.0 {
            break;
        }
        let ln_term = ln_binom + (vf - 1.0) * base_lo.ln() + (nf - vf) * base_hi.ln();
        let term = ln_term.exp();
        sum += term;
        if term != 0.0 && 4.0 * (n_terms - v) as f64 * term < f64::EPSILON * sum && v != n_terms - 1
        {
            break;
        }
    }
    (x * sum).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_inputs_are_errors() {
        assert_eq!(
            ks_two_sample(&[], &[1.0]),
            Err(StatError::EmptySample("reference"))
        );
        assert_eq!(
            ks_two_sample(&[1.0], &[]),
            Err(StatError::EmptySample("current"))
        );
    }

    use crate::stats::test_support as fixture;

    #[test]
    fn matches_scipy_fixture() {
        for case in fixture::numeric_a_cases() {
            let name = case["name"].as_str().unwrap();
            let r = fixture::sorted(&case["reference"]);
            let c = fixture::sorted(&case["current"]);
            let want = &case["ks"];
            let got = ks_two_sample(&r, &c).unwrap();
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
