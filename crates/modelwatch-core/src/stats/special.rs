//! Shared numerical building blocks for the two-sample statistics.
//!
//! * tail probabilities of the standard normal, Student's t and chi-square distributions,
//!   written so that far-tail values keep their *relative* precision (no `1 - cdf`);
//! * tie handling and mid-ranks, both for two sorted samples walked together and for an
//!   arbitrary slice;
//! * the NumPy `linear` (type 7) quantile of a sorted slice;
//! * the pseudo-inverse and numerical rank of a small symmetric matrix.
//!
//! The special functions delegate to `libm` (`erfc`) and `statrs` (the regularised incomplete
//! beta and gamma functions, Cephes/Numerical-Recipes-style continued fractions like SciPy's
//! `scipy.special`); this module only picks the numerically safe form of each tail.

use nalgebra::{DMatrix, SymmetricEigen};
use statrs::function::{beta, gamma};

/// Upper tail `P(Z > x)` of the standard normal distribution.
///
/// Formula: `Q(x) = erfc(x / sqrt(2)) / 2` (Abramowitz & Stegun 26.2.29), the form SciPy's
/// `special.ndtr(-x)` evaluates. Through `erfc` the result keeps its relative precision far
/// into the upper tail (`normal_sf(30.0)` is about `4.9e-198`, not `0`). Returns `1` at
/// `-inf`, `0` at `+inf`, NaN for NaN.
///
/// `erfc` is `libm`'s port of the FreeBSD/Sun `s_erf.c` (error below one ulp); `statrs`'s
/// `erfc` is only good to about 1e-10 relative, too coarse for parity with SciPy.
pub fn normal_sf(x: f64) -> f64 {
    0.5 * libm::erfc(x / std::f64::consts::SQRT_2)
}

/// Lower tail `P(Z <= x)` of the standard normal distribution (`normal_sf(-x)`; accurate in
/// the far lower tail for the same reason).
pub fn normal_cdf(x: f64) -> f64 {
    normal_sf(-x)
}

/// Upper tail `P(T > t)` of Student's t distribution with `df > 0` degrees of freedom.
///
/// Formula: for `t >= 0`, `P(T > t) = I_x(df/2, 1/2) / 2` with `x = df / (df + t^2)`, the
/// regularised incomplete beta function (Abramowitz & Stegun 26.7.1; the same reduction as
/// Cephes `stdtr`, which SciPy calls). The upper tail is computed directly, so tiny
/// probabilities keep their relative precision; for `t < 0` it is `1 - P(T > |t|)`.
/// Returns NaN when `df` is not positive or either argument is NaN.
pub fn students_t_sf(t: f64, df: f64) -> f64 {
    if t.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    let upper = 0.5 * students_t_two_sided_p(t, df);
    if t >= 0.0 {
        upper
    } else {
        1.0 - upper
    }
}

/// Two-sided tail `P(|T| >= |t|)` of Student's t distribution with `df > 0` degrees of
/// freedom: `I_x(df/2, 1/2)` with `x = df / (df + t^2)` (see [`students_t_sf`]).
///
/// Equals `2 * scipy.special.stdtr(df, -|t|)`. `t = ±inf` gives `0`. Returns NaN when `df`
/// is not positive or either argument is NaN.
pub fn students_t_two_sided_p(t: f64, df: f64) -> f64 {
    if t.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if t.is_infinite() {
        return 0.0;
    }
    let t2 = t * t;
    let x = df / (df + t2);
    if x >= 1.0 {
        return 1.0;
    }
    if x <= 0.0 {
        return 0.0;
    }
    beta::checked_beta_reg(0.5 * df, 0.5, x)
        .map(|p| p.clamp(0.0, 1.0))
        .unwrap_or(f64::NAN)
}

/// Upper tail `P(X > x)` of the chi-square distribution with `df > 0` degrees of freedom.
///
/// Formula: `Q(df/2, x/2)`, the regularised upper incomplete gamma function (Abramowitz &
/// Stegun 26.4.2; Cephes `chdtrc`/`igamc`, which SciPy's `special.chdtrc` calls). Computed
/// directly as the upper tail (continued fraction), not as `1 - cdf`. Returns `1` for
/// `x <= 0`, `0` for `x = +inf`, NaN when `df` is not positive or an argument is NaN.
pub fn chi2_sf(x: f64, df: f64) -> f64 {
    if x.is_nan() || df.is_nan() || df <= 0.0 || df.is_infinite() {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 1.0;
    }
    if x.is_infinite() {
        return 0.0;
    }
    gamma::checked_gamma_ur(0.5 * df, 0.5 * x)
        .map(|p| p.clamp(0.0, 1.0))
        .unwrap_or(f64::NAN)
}

/// Sum with Neumaier's improved Kahan compensation (Neumaier 1974, "Rundungsfehleranalyse
/// einiger Verfahren zur Summation endlicher Summen", ZAMM 54): the error is bounded by about
/// one rounding of the result plus `n eps^2 sum |x_i|`, independent of the order of terms.
///
/// The terms go round-robin into four compensated partial sums, which are then added up the
/// same way: four independent chains of additions instead of one, so that the processor
/// overlaps them (each step depends on the previous sum), and without a branch per term, so
/// that the four lanes can run as vector operations. An infinite sum is returned as it is (its
/// compensation would be NaN).
pub fn compensated_sum(values: impl IntoIterator<Item = f64>) -> f64 {
    let mut acc = Lanes::default();
    let mut values = values.into_iter();
    loop {
        // Four terms at a time, one per lane; a shorter tail goes to the first lanes, padded
        // with zeros (see `compensated_sum_map` for why that changes nothing).
        let mut terms = [0.0_f64; 4];
        let mut got = 0;
        while got < 4 {
            match values.next() {
                Some(x) => terms[got] = x,
                None => break,
            }
            got += 1;
        }
        acc.add4(terms);
        if got < 4 {
            return acc.total();
        }
    }
}

/// [`compensated_sum`] of `f(x)` over the items of a slice, bit for bit the same, without
/// the per-term bookkeeping of an iterator (the slice is taken four items at a time).
pub fn compensated_sum_map<T: Copy>(items: &[T], f: impl Fn(T) -> f64) -> f64 {
    let mut acc = Lanes::default();
    let mut quads = items.chunks_exact(4);
    for q in &mut quads {
        acc.add4([f(q[0]), f(q[1]), f(q[2]), f(q[3])]);
    }
    // The tail, padded with zeros: adding `+0.0` leaves a lane's sum and compensation as they
    // were (neither can be `-0.0`: they start at `+0.0`, and in round-to-nearest a sum is
    // `-0.0` only when both terms are), and an infinite lane's total ignores its compensation.
    let mut terms = [0.0_f64; 4];
    for (t, &x) in terms.iter_mut().zip(quads.remainder()) {
        *t = f(x);
    }
    acc.add4(terms);
    acc.total()
}

/// The four compensated partial sums of [`compensated_sum`], filled round-robin.
#[derive(Default)]
struct Lanes {
    sums: [f64; 4],
    compensations: [f64; 4],
}

impl Lanes {
    /// Adds `x` to `sum` and the rounding error of that addition to `compensation`. The error
    /// is Knuth's branch-free TwoSum (TAOCP vol. 2, 4.2.2): exactly the `(s - t) + x` or
    /// `(x - t) + s` that Neumaier picks by comparing magnitudes, without the comparison.
    #[inline(always)]
    fn two_sum(sum: &mut f64, compensation: &mut f64, x: f64) {
        let t = *sum + x;
        let z = t - *sum;
        *compensation += (*sum - (t - z)) + (x - z);
        *sum = t;
    }

    /// One term per lane: [`Lanes::two_sum`] written for all four lanes at once, which the
    /// compiler turns into vector instructions more reliably than four calls of it.
    #[inline(always)]
    fn add4(&mut self, x: [f64; 4]) {
        let s = self.sums;
        let t: [f64; 4] = std::array::from_fn(|i| s[i] + x[i]);
        let z: [f64; 4] = std::array::from_fn(|i| t[i] - s[i]);
        let e: [f64; 4] = std::array::from_fn(|i| (s[i] - (t[i] - z[i])) + (x[i] - z[i]));
        self.compensations = std::array::from_fn(|i| self.compensations[i] + e[i]);
        self.sums = t;
    }

    fn total(self) -> f64 {
        let mut sum = 0.0_f64;
        let mut compensation = self.compensations.iter().sum::<f64>();
        for s in self.sums {
            Self::two_sum(&mut sum, &mut compensation, s);
        }
        if sum.is_finite() {
            sum + compensation
        } else {
            sum
        }
    }
}

/// One group of equal values in the merge of two sorted samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TieGroup {
    /// The shared value.
    pub value: f64,
    /// How many observations of the first sample equal `value`.
    pub count_a: usize,
    /// How many observations of the second sample equal `value`.
    pub count_b: usize,
}

impl TieGroup {
    /// Size of the group in the pooled sample.
    pub fn size(&self) -> usize {
        self.count_a + self.count_b
    }
}

/// Walks two ascending slices together and yields each distinct pooled value, in ascending
/// order, with how many times it occurs in each slice. O(n + m).
///
/// This is the pooled sample's tie structure: the group starting after `s` smaller pooled
/// observations occupies ranks `s + 1 ..= s + size` and every member gets the mid-rank
/// `s + (size + 1) / 2`; the pooled empirical CDFs jump at `value` by `count_a / n` and
/// `count_b / m`.
///
/// Both inputs must be sorted ascending (values compared with `==`, so `-0.0` and `0.0` tie,
/// as in NumPy). Unsorted input gives meaningless groups but never panics.
pub fn merged_tie_groups<'a>(a: &'a [f64], b: &'a [f64]) -> MergedTieGroups<'a> {
    MergedTieGroups { a, b, i: 0, j: 0 }
}

/// Iterator returned by [`merged_tie_groups`].
#[derive(Debug, Clone)]
pub struct MergedTieGroups<'a> {
    a: &'a [f64],
    b: &'a [f64],
    i: usize,
    j: usize,
}

impl Iterator for MergedTieGroups<'_> {
    type Item = TieGroup;

    fn next(&mut self) -> Option<TieGroup> {
        let value = match (self.a.get(self.i), self.b.get(self.j)) {
            (None, None) => return None,
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (Some(&x), Some(&y)) => {
                if y < x {
                    y
                } else {
                    x
                }
            }
        };
        let start_a = self.i;
        while self.i < self.a.len() && self.a[self.i] == value {
            self.i += 1;
        }
        let start_b = self.j;
        while self.j < self.b.len() && self.b[self.j] == value {
            self.j += 1;
        }
        if self.i == start_a && self.j == start_b {
            // Only reachable with a NaN (which equals nothing): step past it so the walk ends.
            if self.i < self.a.len() {
                self.i += 1;
                return Some(TieGroup {
                    value,
                    count_a: 1,
                    count_b: 0,
                });
            }
            self.j += 1;
            return Some(TieGroup {
                value,
                count_a: 0,
                count_b: 1,
            });
        }
        Some(TieGroup {
            value,
            count_a: self.i - start_a,
            count_b: self.j - start_b,
        })
    }
}

/// Mid-ranks (ranks 1..=n, ties share the average of their ranks, SciPy's
/// `rankdata(method='average')`) of an arbitrary slice, plus the size of every tie group in
/// ascending value order (the `t` of the tie corrections `sum(t^3 - t)`).
///
/// O(n log n). NaNs are ordered by `f64::total_cmp` (callers should not pass them).
pub fn midranks(values: &[f64]) -> (Vec<f64>, Vec<usize>) {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&x, &y| values[x].total_cmp(&values[y]));
    let mut ranks = vec![0.0; values.len()];
    let mut tie_sizes = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let v = values[order[start]];
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == v {
            end += 1;
        }
        // Ranks start+1 ..= end share their mean.
        let rank = (start + 1 + end) as f64 / 2.0;
        for &k in &order[start..end] {
            ranks[k] = rank;
        }
        tie_sizes.push(end - start);
        start = end;
    }
    (ranks, tie_sizes)
}

/// The `q`-quantile (`0 <= q <= 1`) of an ascending slice by NumPy's default `linear`
/// method (Hyndman & Fan type 7, pandas' `quantile`): virtual index `h = (n - 1) q`, then
/// linear interpolation between the order statistics at `floor(h)` and `floor(h) + 1`.
///
/// The interpolation is done in the same two forms as NumPy's `_lerp` (`a + (b - a) g` for
/// `g < 1/2`, `b - (b - a)(1 - g)` otherwise) so results agree with `np.percentile` to the
/// last bit. Returns `None` for an empty slice or `q` outside `[0, 1]`.
pub fn quantile_linear_sorted(sorted: &[f64], q: f64) -> Option<f64> {
    if !(0.0..=1.0).contains(&q) {
        return None;
    }
    quantile_linear_at(sorted.len(), q, |i| sorted[i])
}

/// [`quantile_linear_sorted`] of `n` ascending values, the `i`-th of which is `at(i)` (for
/// values that are not in one slice); `None` when `n` is 0.
pub fn quantile_linear_at(n: usize, q: f64, mut at: impl FnMut(usize) -> f64) -> Option<f64> {
    if n == 0 {
        return None;
    }
    let h = (n - 1) as f64 * q;
    let lo = h.floor();
    let i = lo as usize;
    let g = h - lo;
    if i + 1 >= n {
        return Some(at(n - 1));
    }
    Some(lerp(at(i), at(i + 1), g))
}

/// numpy's `_lerp(a, b, t)`: `a + (b - a) t`, or `b - (b - a)(1 - t)` when `t >= 0.5`.
/// Where both ends are equal, or one end is infinite, the value is that end (numpy's
/// formula gives NaN from `inf - inf`); for finite ends the two agree to the bit.
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    if a == b || t == 0.0 || a.is_infinite() {
        return a;
    }
    if b.is_infinite() {
        return b;
    }
    let d = b - a;
    if t >= 0.5 {
        b - d * (1.0 - t)
    } else {
        a + d * t
    }
}

/// Pseudo-inverse of a real symmetric matrix and its numerical rank.
///
/// Eigen-decomposition `A = V diag(l) V^T`; eigenvalues with `|l_i| <= rtol * max |l|` are
/// treated as zero and `A^+ = sum over the kept i of v_i v_i^T / l_i`; the rank is the number
/// of kept eigenvalues. For a symmetric matrix the singular values are `|l_i|`, so with
/// `rtol = max(rows, cols) * f64::EPSILON` this matches `numpy.linalg.pinv` with the array-API
/// default tolerance and `matrix_rank` (the cut-offs SciPy's `epps_singleton_2samp` uses).
///
/// Only the lower triangle is read. A zero matrix gives a zero pseudo-inverse and rank `0`.
/// Returns `None` if the matrix is not square or has a non-finite entry.
pub fn symmetric_pseudo_inverse(matrix: &DMatrix<f64>, rtol: f64) -> Option<(DMatrix<f64>, usize)> {
    let n = matrix.nrows();
    if n != matrix.ncols() || matrix.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let eigen = SymmetricEigen::new(matrix.clone());
    let largest = eigen
        .eigenvalues
        .iter()
        .fold(0.0_f64, |m, l| m.max(l.abs()));
    let cutoff = rtol * largest;
    let mut pinv = DMatrix::<f64>::zeros(n, n);
    let mut rank = 0;
    for (k, &l) in eigen.eigenvalues.iter().enumerate() {
        if l.abs() > cutoff && l != 0.0 {
            let v = eigen.eigenvectors.column(k);
            pinv += (v * v.transpose()) / l;
            rank += 1;
        }
    }
    Some((pinv, rank))
}

/// Loader for the parity fixture `tests/fixtures/stats/numeric_b.json` written by
/// `scripts/fixtures/stats_numeric_b.py` (scipy / Evidently expectations for `t_test`,
/// `mann_whitney`, `energy` and `epps_singleton`), shared by those modules' tests.
#[cfg(test)]
pub(crate) mod numeric_b_fixture {
    use serde_json::Value;

    /// One fixture case: sorted inputs and the expectations object of every method.
    pub(crate) struct Case {
        pub name: String,
        pub reference: Vec<f64>,
        pub current: Vec<f64>,
        pub expected: Value,
    }

    /// A JSON number, or one of the strings `"inf"`, `"-inf"`, `"nan"`.
    pub(crate) fn number(v: &Value) -> f64 {
        match v {
            Value::Number(n) => n.as_f64().expect("finite number"),
            Value::String(s) if s == "inf" => f64::INFINITY,
            Value::String(s) if s == "-inf" => f64::NEG_INFINITY,
            Value::String(s) if s == "nan" => f64::NAN,
            other => panic!("not a number: {other}"),
        }
    }

    /// The parity tolerance: `1e-9` absolute plus `1e-6` relative (infinities must match
    /// exactly).
    pub(crate) fn assert_parity(case: &str, what: &str, got: f64, want: f64) {
        let ok = if want.is_infinite() {
            got == want
        } else {
            (got - want).abs() <= 1e-9 + 1e-6 * want.abs()
        };
        assert!(ok, "{case}: {what}: got {got:e}, want {want:e}");
    }

    /// All cases, inputs sorted ascending as the drift engine passes them.
    pub(crate) fn cases() -> Vec<Case> {
        let text = include_str!("../../../../tests/fixtures/stats/numeric_b.json");
        let doc: Value = serde_json::from_str(text).expect("fixture parses");
        let sorted = |v: &Value| {
            let mut xs: Vec<f64> = v.as_array().expect("array").iter().map(number).collect();
            xs.sort_by(f64::total_cmp);
            xs
        };
        doc["cases"]
            .as_array()
            .expect("cases")
            .iter()
            .map(|c| Case {
                name: c["name"].as_str().expect("name").to_string(),
                reference: sorted(&c["reference"]),
                current: sorted(&c["current"]),
                expected: c.clone(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= 1e-300 + rel * b.abs()
    }

    #[test]
    fn normal_tail_values() {
        // Reference values from scipy.special.ndtr(-x).
        assert!(close(normal_sf(0.0), 0.5, 1e-15));
        assert!(close(normal_sf(1.959963984540054), 0.025, 1e-12));
        assert!(close(normal_sf(10.0), 7.61985302416047e-24, 1e-12));
        assert!(close(normal_sf(30.0), 4.906713927147908e-198, 1e-10));
        assert!(close(normal_cdf(-10.0), 7.61985302416047e-24, 1e-12));
        assert_eq!(normal_sf(f64::INFINITY), 0.0);
        assert_eq!(normal_sf(f64::NEG_INFINITY), 1.0);
    }

    #[test]
    fn students_t_tail_values() {
        // scipy.special.stdtr(df, -t)
        assert!(close(students_t_sf(2.0, 10.0), 0.03669401738537018, 1e-12));
        assert!(close(
            students_t_sf(-2.0, 10.0),
            1.0 - 0.03669401738537018,
            1e-12
        ));
        assert!(close(
            students_t_sf(40.0, 5.0),
            9.205981085886477e-08,
            1e-10
        ));
        assert!(close(students_t_two_sided_p(1.0, 1.0), 0.5, 1e-12));
        assert_eq!(students_t_two_sided_p(f64::INFINITY, 3.0), 0.0);
        assert_eq!(students_t_two_sided_p(0.0, 3.0), 1.0);
        assert!(students_t_sf(1.0, 0.0).is_nan());
    }

    #[test]
    fn chi2_tail_values() {
        // scipy.special.chdtrc(df, x)
        assert!(close(chi2_sf(3.841458820694124, 1.0), 0.05, 1e-12));
        assert!(close(chi2_sf(10.0, 4.0), 0.04042768199451279, 1e-12));
        assert!(close(chi2_sf(200.0, 4.0), 3.75727673578106e-42, 1e-10));
        assert_eq!(chi2_sf(0.0, 4.0), 1.0);
        assert!(chi2_sf(1.0, 0.0).is_nan());
    }

    #[test]
    fn tie_groups_of_two_sorted_samples() {
        let a = [1.0, 1.0, 2.0, 5.0];
        let b = [0.0, 1.0, 5.0, 5.0, 7.0];
        let groups: Vec<(f64, usize, usize)> = merged_tie_groups(&a, &b)
            .map(|g| (g.value, g.count_a, g.count_b))
            .collect();
        assert_eq!(
            groups,
            vec![
                (0.0, 0, 1),
                (1.0, 2, 1),
                (2.0, 1, 0),
                (5.0, 1, 2),
                (7.0, 0, 1)
            ]
        );
        assert_eq!(merged_tie_groups(&[], &[]).count(), 0);
        // Unsorted input terminates and accounts for every element.
        let total: usize = merged_tie_groups(&[3.0, 1.0, 2.0], &[0.0, 5.0, -1.0])
            .map(|g| g.size())
            .sum();
        assert_eq!(total, 6);
    }

    #[test]
    fn compensated_sum_keeps_small_terms() {
        assert_eq!(compensated_sum([1e16, 1.0, -1e16]), 1.0);
        assert_eq!(compensated_sum(std::iter::repeat_n(0.1, 10)), 1.0);
        assert_eq!(compensated_sum([]), 0.0);
        // terms spread over the four partial sums still cancel exactly
        assert_eq!(
            compensated_sum([1e16, 1.0, -1e16, 2.0, 3.0, -3.0, 1e-3]),
            3.001
        );
        assert_eq!(compensated_sum([1.0, f64::INFINITY, 2.0]), f64::INFINITY);
        assert_eq!(compensated_sum([f64::NEG_INFINITY, 1.0]), f64::NEG_INFINITY);
    }

    /// The slice form gives the iterator form's bits at every length modulo four, on terms
    /// whose rounding errors matter.
    #[test]
    fn compensated_sum_map_matches_compensated_sum() {
        let mut g = crate::synth::Synth::new(5);
        for n in [0usize, 1, 2, 3, 4, 5, 6, 7, 8, 1001, 4096, 10_003] {
            let xs: Vec<f64> = (0..n)
                .map(|i| g.normal() * 10f64.powi((i % 7) as i32 * 3 - 6))
                .collect();
            let square = |x: f64| (x - 0.3) * (x - 0.3);
            assert_eq!(
                compensated_sum_map(&xs, |x| x).to_bits(),
                compensated_sum(xs.iter().copied()).to_bits(),
                "n {n}"
            );
            assert_eq!(
                compensated_sum_map(&xs, square).to_bits(),
                compensated_sum(xs.iter().map(|&x| square(x))).to_bits(),
                "n {n}"
            );
        }
        for xs in [
            &[1.0, f64::INFINITY, 2.0][..],
            &[-0.0],
            &[-0.0, -0.0, -0.0, -0.0, -0.0],
            &[0.0; 6],
            &[1e308, 1e308, -1e308],
            &[f64::NEG_INFINITY, 1.0, f64::INFINITY],
            &[1.0, f64::NEG_INFINITY, 2.0, 3.0, f64::INFINITY],
        ] {
            assert_eq!(
                compensated_sum_map(xs, |x| x).to_bits(),
                compensated_sum(xs.iter().copied()).to_bits(),
                "{xs:?}"
            );
        }
    }

    #[test]
    fn midranks_average_ties() {
        let (ranks, ties) = midranks(&[3.0, 1.0, 3.0, 2.0, 3.0]);
        assert_eq!(ranks, vec![4.0, 1.0, 4.0, 2.0, 4.0]);
        assert_eq!(ties, vec![1, 1, 3]);
    }

    #[test]
    fn numpy_linear_quantiles() {
        let x = [1.0, 2.0, 4.0, 8.0, 16.0];
        assert_eq!(quantile_linear_sorted(&x, 0.25), Some(2.0));
        assert_eq!(quantile_linear_sorted(&x, 0.75), Some(8.0));
        let y = [0.0, 1.0, 10.0, 11.0];
        // h = 0.75 -> 0.75; h = 2.25 -> 10.25
        assert_eq!(quantile_linear_sorted(&y, 0.25), Some(0.75));
        assert_eq!(quantile_linear_sorted(&y, 0.75), Some(10.25));
        assert_eq!(quantile_linear_sorted(&[], 0.5), None);
    }

    #[test]
    fn pseudo_inverse_of_singular_matrix() {
        // Rank-1 matrix u u^T with u = (1, 2): pinv = u u^T / |u|^4.
        let m = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 2.0, 4.0]);
        let (p, rank) = symmetric_pseudo_inverse(&m, 2.0 * f64::EPSILON).unwrap();
        assert_eq!(rank, 1);
        for (got, want) in p.iter().zip([1.0, 2.0, 2.0, 4.0]) {
            assert!((got - want / 25.0).abs() < 1e-15);
        }
        let (z, r0) = symmetric_pseudo_inverse(&DMatrix::zeros(3, 3), 1e-15).unwrap();
        assert_eq!(r0, 0);
        assert!(z.iter().all(|&x| x == 0.0));
        assert!(symmetric_pseudo_inverse(&DMatrix::zeros(2, 3), 1e-15).is_none());
    }
}
