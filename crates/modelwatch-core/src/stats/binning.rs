//! Histogram binning exactly as Evidently 0.7 (and the numpy calls it makes) performs it.
//!
//! Three pieces are reproduced:
//!
//! * [`sturges_edges`]: `np.histogram_bin_edges(data, bins="sturges")`. numpy takes the bin
//!   width `h = ptp / (log2(n) + 1)`, the bin count `k = ceil(ptp / h)` and the edges
//!   `np.linspace(min, max, k + 1)`; a constant sample is widened to `[v - 0.5, v + 0.5]`
//!   with one bin (`numpy/lib/_histograms_impl.py`: `_hist_bin_sturges`, `_get_outer_edges`,
//!   `_get_bin_edges`).
//! * [`histogram_counts`]: `np.histogram(x, edges)` with an explicit edge array. For an edge
//!   array numpy counts by `searchsorted` (left side for every edge but the last, right side
//!   for the last), i.e. bins are `[e_i, e_{i+1})` and the last bin is closed `[e_{k-1}, e_k]`;
//!   values outside `[e_0, e_k]` are ignored. A binary search over the sorted sample is the
//!   same computation, so values lying exactly on an edge land where numpy puts them.
//! * [`fill_zero_shares`]: the `feel_zeroes=True` step of Evidently's `get_binned_data`
//!   (`evidently/legacy/calculations/stattests/utils.py`).
//!
//! [`numeric_binned_shares`] and [`count_shares`] put them together into Evidently's
//! `get_binned_data` for a numerical and a categorical column; [`hellinger_density_bins`]
//! describes the different binning of Evidently's Hellinger distance.

use super::StatError;

/// Evidently's `get_binned_data` bins a numerical column with Sturges edges only when the
/// *reference* column has more than this many distinct values; otherwise every distinct value
/// is its own bin.
pub const PER_VALUE_MAX_DISTINCT: usize = 20;

/// Share vectors of the two samples over the same bins (index `i` is the same bin on both
/// sides).
#[derive(Debug, Clone, PartialEq)]
pub struct BinnedShares {
    /// Share of the reference in each bin, each in `[0, 1]` (after zero filling the sum can
    /// slightly exceed 1).
    pub reference: Vec<f64>,
    /// Share of the current sample in each bin, as `reference`.
    pub current: Vec<f64>,
}

/// `np.linspace(start, stop, num, endpoint=True)` for `num >= 2`, with numpy's arithmetic:
/// `step = (stop - start) / (num - 1)`, `y_i = i * step + start`, the last point set to
/// `stop`; when `step` underflows to zero numpy computes `y_i = (i / (num - 1)) * delta +
/// start` instead (`numpy/_core/function_base.py`, `linspace`).
fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    if num == 0 {
        return Vec::new();
    }
    if num == 1 {
        return vec![start];
    }
    let div = (num - 1) as f64;
    let delta = stop - start;
    let step = delta / div;
    let mut out: Vec<f64> = (0..num)
        .map(|i| {
            let i = i as f64;
            if step == 0.0 {
                (i / div) * delta + start
            } else {
                i * step + start
            }
        })
        .collect();
    out[num - 1] = stop;
    out
}

/// Number of bins numpy's Sturges rule picks for a sample of size `n` with range
/// `[min, max]`: `ceil(ptp / (ptp / (log2(n) + 1)))` (computed in that order, as numpy does,
/// so that e.g. `n = 1024` can give 12 bins rather than 11), or 1 when the width is zero.
fn sturges_bin_count(min: f64, max: f64, n: usize) -> usize {
    let ptp = max - min;
    let width = ptp / ((n as f64).log2() + 1.0);
    if width == 0.0 || !width.is_finite() {
        return 1;
    }
    let bins = (ptp / width).ceil();
    if bins.is_finite() && bins >= 1.0 {
        bins as usize
    } else {
        1
    }
}

/// Bin edges of `np.histogram_bin_edges(data, bins="sturges")` for a sample of `n` values
/// whose minimum is `min` and maximum is `max`.
///
/// Formula (numpy `_hist_bin_sturges`): width `h = (max - min) / (log2(n) + 1)`, bin count
/// `k = ceil((max - min) / h)`, edges `linspace(min, max, k + 1)` with numpy's linspace
/// arithmetic. When `min == max` numpy widens the range to `[min - 0.5, max + 0.5]` and uses
/// one bin.
///
/// numpy raises "Too many bins for data range" when the edges are not strictly increasing
/// (a range of a few ulps at a large magnitude); this function returns those edges as they
/// are, and [`histogram_counts`] still counts over them without panicking.
pub fn sturges_edges(min: f64, max: f64, n: usize) -> Vec<f64> {
    let bins = sturges_bin_count(min, max, n);
    let (first, last) = if min == max {
        (min - 0.5, max + 0.5)
    } else {
        (min, max)
    };
    linspace(first, last, bins + 1)
}

/// Counts of `np.histogram(x, edges)[0]` for a sample sorted ascending.
///
/// numpy, given an edge array, computes `cum_i = searchsorted(sorted, e_i, "left")` for every
/// edge but the last and `searchsorted(sorted, e_last, "right")` for the last, and returns the
/// differences. Bins are therefore half-open `[e_i, e_{i+1})` except the last, which is closed;
/// values below the first edge or above the last are not counted. Fewer than two edges give
/// no bins.
pub fn histogram_counts(sorted: &[f64], edges: &[f64]) -> Vec<u64> {
    if edges.len() < 2 {
        return Vec::new();
    }
    let last = edges.len() - 1;
    let cumulative: Vec<usize> = edges
        .iter()
        .enumerate()
        .map(|(i, &e)| {
            if i == last {
                sorted.partition_point(|&x| x <= e)
            } else {
                sorted.partition_point(|&x| x < e)
            }
        })
        .collect();
    cumulative
        .windows(2)
        .map(|w| w[1].saturating_sub(w[0]) as u64)
        .collect()
}

/// Evidently's zero filling (`get_binned_data(..., feel_zeroes=True)`): every zero share is
/// replaced by `m / 10^6` when the smallest non-zero share `m` is at most `1e-4`, and by
/// `1e-4` otherwise.
///
/// When every share is zero Evidently fails (`min()` of an empty sequence); that only happens
/// for an empty sample, which the callers reject first, so here the slice is left unchanged.
pub fn fill_zero_shares(shares: &mut [f64]) {
    let min_nonzero = shares
        .iter()
        .copied()
        .filter(|&s| s != 0.0)
        .fold(f64::INFINITY, f64::min);
    if !min_nonzero.is_finite() {
        return;
    }
    let fill = if min_nonzero <= 0.0001 {
        min_nonzero / 1e6
    } else {
        0.0001
    };
    for s in shares.iter_mut().filter(|s| **s == 0.0) {
        *s = fill;
    }
}

/// Number of distinct values in a sorted slice.
pub(crate) fn distinct_sorted(sorted: &[f64]) -> usize {
    if sorted.is_empty() {
        return 0;
    }
    1 + sorted.windows(2).filter(|w| w[0] != w[1]).count()
}

/// The distinct values of two sorted slices together, ascending, with how often each occurs
/// in `a` and in `b`: one merge pass. Every per-value count in the crate comes from here.
pub fn per_value_counts(a: &[f64], b: &[f64]) -> (Vec<f64>, Vec<u64>, Vec<u64>) {
    let (mut keys, mut ca, mut cb) = (Vec::new(), Vec::new(), Vec::new());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let v = if j >= b.len() || (i < a.len() && a[i] <= b[j]) {
            a[i]
        } else {
            b[j]
        };
        let (i0, j0) = (i, j);
        while i < a.len() && a[i] == v {
            i += 1;
        }
        while j < b.len() && b[j] == v {
            j += 1;
        }
        keys.push(v);
        ca.push((i - i0) as u64);
        cb.push((j - j0) as u64);
    }
    (keys, ca, cb)
}

/// Distinct values of the union of two sorted slices, ascending.
pub(crate) fn union_distinct_sorted(a: &[f64], b: &[f64]) -> Vec<f64> {
    per_value_counts(a, b).0
}

fn shares_of(counts: &[u64], total: u64) -> Vec<f64> {
    counts.iter().map(|&c| c as f64 / total as f64).collect()
}

/// Evidently's `get_binned_data` for a numerical column (both samples finite, sorted
/// ascending).
///
/// * If the reference has more than [`PER_VALUE_MAX_DISTINCT`] distinct values: Sturges edges
///   over the *pooled* sample (`n = n_ref + n_cur`, range = pooled min..max), shares =
///   `histogram_counts / len`.
/// * Otherwise every distinct value of the union is a bin (Evidently orders them by Python set
///   order; here ascending, which only changes the summation order downstream), shares =
///   `count / len`.
///
/// `fill_zeroes` applies [`fill_zero_shares`] to both sides (Evidently's `feel_zeroes`; PSI
/// and KL use it, Jensen-Shannon does not).
pub fn numeric_binned_shares(
    reference: &[f64],
    current: &[f64],
    fill_zeroes: bool,
) -> Result<BinnedShares, StatError> {
    check_non_empty(reference.len(), current.len())?;
    let (ref_counts, cur_counts) = if distinct_sorted(reference) > PER_VALUE_MAX_DISTINCT {
        let min = reference[0].min(current[0]);
        let max = reference[reference.len() - 1].max(current[current.len() - 1]);
        let edges = sturges_edges(min, max, reference.len() + current.len());
        (
            histogram_counts(reference, &edges),
            histogram_counts(current, &edges),
        )
    } else {
        let (_, ref_counts, cur_counts) = per_value_counts(reference, current);
        (ref_counts, cur_counts)
    };
    let mut shares = BinnedShares {
        reference: shares_of(&ref_counts, reference.len() as u64),
        current: shares_of(&cur_counts, current.len() as u64),
    };
    if fill_zeroes {
        fill_zero_shares(&mut shares.reference);
        fill_zero_shares(&mut shares.current);
    }
    Ok(shares)
}

/// Evidently's `get_binned_data` for a categorical column given aligned category counts:
/// shares = `count / total` per side, then optional zero filling ([`fill_zero_shares`]).
///
/// Categories that are zero on both sides are dropped: Evidently's categories are the values
/// seen in either sample, so such a category never exists there (and keeping it would add a
/// spurious term once zeros are filled).
pub fn count_shares(
    reference: &[u64],
    current: &[u64],
    fill_zeroes: bool,
) -> Result<BinnedShares, StatError> {
    let (reference, current) = present_categories(reference, current)?;
    let ref_total: u64 = reference.iter().sum();
    let cur_total: u64 = current.iter().sum();
    let mut shares = BinnedShares {
        reference: shares_of(&reference, ref_total),
        current: shares_of(&current, cur_total),
    };
    if fill_zeroes {
        fill_zero_shares(&mut shares.reference);
        fill_zero_shares(&mut shares.current);
    }
    Ok(shares)
}

/// Aligned counts restricted to the categories seen on at least one side; errors when the
/// slices differ in length or either side has no observations.
pub(crate) fn present_categories(
    reference: &[u64],
    current: &[u64],
) -> Result<(Vec<u64>, Vec<u64>), StatError> {
    if reference.len() != current.len() {
        return Err(StatError::Degenerate(format!(
            "category counts are not aligned: {} reference vs {} current categories",
            reference.len(),
            current.len()
        )));
    }
    let (r, c): (Vec<u64>, Vec<u64>) = reference
        .iter()
        .zip(current)
        .filter(|(r, c)| **r > 0 || **c > 0)
        .map(|(r, c)| (*r, *c))
        .unzip();
    let ref_total: u64 = r.iter().sum();
    let cur_total: u64 = c.iter().sum();
    check_non_empty(ref_total as usize, cur_total as usize)?;
    Ok((r, c))
}

pub(crate) fn check_non_empty(n_ref: usize, n_cur: usize) -> Result<(), StatError> {
    if n_ref == 0 {
        return Err(StatError::EmptySample("reference"));
    }
    if n_cur == 0 {
        return Err(StatError::EmptySample("current"));
    }
    Ok(())
}

/// The binning of Evidently's numerical Hellinger distance (`hellinger_distance.py`), which
/// differs from `get_binned_data`: Sturges edges are computed over the *distinct* values of the
/// pooled sample (so `n` is the number of distinct values, not of observations, and there is
/// no 20-value threshold), and each side is a `density=True` histogram:
/// `density_i = (count_i / (e_{i+1} - e_i)) / total_count` (numpy's order of operations).
#[derive(Debug, Clone, PartialEq)]
pub struct HellingerDensityBins {
    /// Sturges bin edges over the distinct pooled values, ascending (one more than the bins).
    pub edges: Vec<f64>,
    /// Reference density per bin (`count / width / total`, integrates to 1 over the edges).
    pub reference_density: Vec<f64>,
    /// Current density per bin, as `reference_density`.
    pub current_density: Vec<f64>,
    /// `(max(edges) - min(edges)) / (len(edges) - 1)`, the single width Evidently multiplies
    /// every bin by.
    pub mean_width: f64,
}

/// Builds [`HellingerDensityBins`] for two finite samples sorted ascending.
pub fn hellinger_density_bins(
    reference: &[f64],
    current: &[f64],
) -> Result<HellingerDensityBins, StatError> {
    check_non_empty(reference.len(), current.len())?;
    let keys = union_distinct_sorted(reference, current);
    let edges = sturges_edges(keys[0], keys[keys.len() - 1], keys.len());
    let density = |sorted: &[f64]| -> Vec<f64> {
        let counts = histogram_counts(sorted, &edges);
        let total: u64 = counts.iter().sum();
        counts
            .iter()
            .zip(edges.windows(2))
            .map(|(&c, w)| c as f64 / (w[1] - w[0]) / total as f64)
            .collect()
    };
    let reference_density = density(reference);
    let current_density = density(current);
    let lo = edges.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = edges.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mean_width = (hi - lo) / (edges.len() - 1) as f64;
    Ok(HellingerDensityBins {
        edges,
        reference_density,
        current_density,
        mean_width,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sturges_matches_numpy_small() {
        // np.histogram_bin_edges([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], bins="sturges")
        let e = sturges_edges(0.0, 9.0, 10);
        assert_eq!(e.len(), 6);
        assert_eq!(e, vec![0.0, 1.8, 3.6, 5.4, 7.2, 9.0]);
    }

    #[test]
    fn sturges_power_of_two_rounding() {
        // n = 1024 on [0, 1]: ptp / (ptp / 11) == 11 exactly, 11 bins.
        let e = sturges_edges(0.0, 1.0, 1024);
        assert_eq!(e.len(), 12);
        // On [2.623, 2.645] the quotient rounds to 11.000000000000002 and numpy makes 12 bins:
        // len(np.histogram_bin_edges(np.r_[2.623, np.full(1022, 2.623), 2.645], "sturges")) == 13
        let e = sturges_edges(2.623, 2.645, 1024);
        assert_eq!(e.len(), 13);
    }

    #[test]
    fn sturges_constant_sample() {
        assert_eq!(sturges_edges(3.0, 3.0, 7), vec![2.5, 3.5]);
    }

    #[test]
    fn counts_on_edges() {
        let edges = [0.0, 1.0, 2.0, 3.0];
        let x = [-1.0, 0.0, 0.5, 1.0, 1.0, 2.0, 2.5, 3.0, 3.0, 4.0];
        assert_eq!(histogram_counts(&x, &edges), vec![2, 2, 4]);
        assert!(histogram_counts(&x, &[1.0]).is_empty());
    }

    #[test]
    fn zero_filling() {
        let mut s = [0.5, 0.0, 0.5];
        fill_zero_shares(&mut s);
        assert_eq!(s, [0.5, 0.0001, 0.5]);
        let mut s = [0.00005, 0.0, 0.99995];
        fill_zero_shares(&mut s);
        assert_eq!(s[1], 0.00005 / 1e6);
        let mut s = [0.0, 0.0];
        fill_zero_shares(&mut s);
        assert_eq!(s, [0.0, 0.0]);
    }

    #[test]
    fn union_and_distinct() {
        assert_eq!(
            union_distinct_sorted(&[1.0, 1.0, 3.0], &[0.0, 3.0, 4.0]),
            vec![0.0, 1.0, 3.0, 4.0]
        );
        assert_eq!(distinct_sorted(&[1.0, 1.0, 2.0]), 2);
    }

    #[test]
    fn empty_inputs_are_errors() {
        assert_eq!(
            numeric_binned_shares(&[], &[1.0], true),
            Err(StatError::EmptySample("reference"))
        );
        assert_eq!(
            count_shares(&[1, 0], &[0, 0], true),
            Err(StatError::EmptySample("current"))
        );
    }
}

/// Parity with Evidently 0.7.23 / numpy / scipy on the committed fixture
/// `tests/fixtures/stats/counts.json` (generated by `scripts/fixtures/stats_counts.py`) for every
/// count-based and binned statistic: binning, chisquare, z, psi, kl_div, jensenshannon,
/// hellinger, g_test, fisher_exact, TVD and empirical MMD.
#[cfg(test)]
mod evidently_parity {
    use std::collections::BTreeMap;

    use serde_json::Value;

    use super::*;
    use crate::stats::{chisquare, divergence, fisher, g_test, hellinger, mmd, tvd, z_test};

    const FIXTURE: &str = include_str!("../../../../tests/fixtures/stats/counts.json");

    fn fixture() -> Value {
        serde_json::from_str(FIXTURE).expect("fixture is valid JSON")
    }

    fn assert_close(name: &str, method: &str, got: f64, expected: f64) {
        let tolerance = 1e-9 + 1e-6 * expected.abs();
        assert!(
            (got - expected).abs() <= tolerance,
            "{name}/{method}: got {got:e}, Evidently {expected:e}"
        );
    }

    /// Compare a computed result with the fixture: a number must match within tolerance, a
    /// null (Evidently raised or returned NaN) must be an error here.
    fn check(case: &Value, method: &str, got: Result<f64, StatError>) {
        let name = case["name"].as_str().unwrap();
        match case["expected"][method].as_f64() {
            Some(expected) => assert_close(name, method, got.unwrap(), expected),
            None => assert!(
                got.is_err(),
                "{name}/{method}: expected an error, got {got:?}"
            ),
        }
    }

    /// Exact floats, written as strings by the generator (serde_json's default float parser
    /// is not correctly rounded; `str::parse` is).
    fn exact(v: &Value) -> f64 {
        v.as_str().unwrap().parse().unwrap()
    }

    fn floats(v: &Value) -> Vec<f64> {
        v.as_array().unwrap().iter().map(exact).collect()
    }

    fn sorted_floats(v: &Value) -> Vec<f64> {
        let mut out = floats(v);
        out.sort_by(f64::total_cmp);
        out
    }

    /// Labels to aligned counts over the sorted union of labels (sorted as Evidently's z-test
    /// sorts its keys).
    fn aligned_counts(reference: &Value, current: &Value) -> (Vec<u64>, Vec<u64>) {
        let mut table: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
        for l in reference.as_array().unwrap() {
            table.entry(l.as_str().unwrap()).or_default().0 += 1;
        }
        for l in current.as_array().unwrap() {
            table.entry(l.as_str().unwrap()).or_default().1 += 1;
        }
        table.values().map(|&(r, c)| (r, c)).unzip()
    }

    #[test]
    fn categorical_cases_match_evidently() {
        let data = fixture();
        let mut seen = 0;
        for case in data["cases"].as_array().unwrap() {
            if case["kind"] != "categorical" {
                continue;
            }
            seen += 1;
            let name = case["name"].as_str().unwrap();
            let (r, c) = aligned_counts(&case["reference"], &case["current"]);
            check(case, "chisquare", chisquare::chisquare_scaled(&r, &c));
            check(case, "z", z_test::z_test_proportions(&r, &c));
            check(case, "g_test", g_test::g_test_scaled(&r, &c));
            check(case, "fisher_exact", fisher::fisher_exact_counts(&r, &c));
            check(case, "hellinger", hellinger::hellinger_counts(&r, &c));
            let filled = count_shares(&r, &c, true).unwrap();
            check(
                case,
                "psi",
                Ok(divergence::psi(&filled.reference, &filled.current)),
            );
            check(
                case,
                "kl_div",
                Ok(divergence::kl_div(&filled.reference, &filled.current)),
            );
            let raw = count_shares(&r, &c, false).unwrap();
            check(
                case,
                "jensenshannon",
                Ok(divergence::jensenshannon(&raw.reference, &raw.current)),
            );

            let result = tvd::tvd_permutation(&r, &c, 1000, 42).unwrap();
            check(case, "tvd_distance", Ok(result.distance));
            assert!((0.0..=1.0).contains(&result.p_value));
            assert_eq!(result, tvd::tvd_permutation(&r, &c, 1000, 42).unwrap());
            let evidently_p = case["expected"]["evidently_tvd_p_value"].as_f64().unwrap();
            if result.distance == 0.0 {
                assert_eq!(result.p_value, 1.0, "{name}: identical samples");
            } else if evidently_p == 0.0 {
                assert!(result.p_value <= 0.01, "{name}: p {}", result.p_value);
            } else {
                assert!(
                    (result.p_value - evidently_p).abs() <= 0.1,
                    "{name}: p {} vs Evidently {evidently_p}",
                    result.p_value
                );
            }
        }
        assert!(seen >= 10);
    }

    #[test]
    fn numerical_cases_match_evidently() {
        let data = fixture();
        let mut seen = 0;
        for case in data["cases"].as_array().unwrap() {
            if case["kind"] != "numerical" {
                continue;
            }
            seen += 1;
            let name = case["name"].as_str().unwrap();
            let r = sorted_floats(&case["reference"]);
            let c = sorted_floats(&case["current"]);

            assert_eq!(
                distinct_sorted(&r) > PER_VALUE_MAX_DISTINCT,
                case["sturges_path"].as_bool().unwrap(),
                "{name}"
            );
            if let Some(expected_edges) = case["edges"].as_array() {
                let edges = sturges_edges(
                    r[0].min(c[0]),
                    r[r.len() - 1].max(c[c.len() - 1]),
                    r.len() + c.len(),
                );
                let expected: Vec<f64> = expected_edges.iter().map(exact).collect();
                assert_eq!(edges, expected, "{name}: Sturges edges");
            }

            let filled = numeric_binned_shares(&r, &c, true).unwrap();
            check(
                case,
                "psi",
                Ok(divergence::psi(&filled.reference, &filled.current)),
            );
            check(
                case,
                "kl_div",
                Ok(divergence::kl_div(&filled.reference, &filled.current)),
            );
            let raw = numeric_binned_shares(&r, &c, false).unwrap();
            check(
                case,
                "jensenshannon",
                Ok(divergence::jensenshannon(&raw.reference, &raw.current)),
            );
            check(case, "hellinger", hellinger::hellinger_numeric(&r, &c));

            if let Some(expected_mmd) = case["expected"]["mmd"].as_f64() {
                let result = mmd::mmd_permutation(&r, &c, 100, 42).unwrap();
                // The statistic is Evidently's up to the rounding of numpy's SIMD `exp` and
                // pairwise summation (bitwise equality is not attainable).
                assert!(
                    (result.mmd - expected_mmd).abs() <= 1e-12 + 1e-9 * expected_mmd.abs(),
                    "{name}: mmd {} vs Evidently {expected_mmd}",
                    result.mmd
                );
                assert!((0.0..=1.0).contains(&result.p_value));
                assert_eq!(result, mmd::mmd_permutation(&r, &c, 100, 42).unwrap());
                let evidently_p = case["expected"]["evidently_mmd_p_value"].as_f64().unwrap();
                if r == c {
                    assert!(result.p_value >= 0.5, "{name}: p {}", result.p_value);
                } else if evidently_p == 0.0 {
                    assert!(result.p_value <= 0.02, "{name}: p {}", result.p_value);
                }
            }
        }
        assert!(seen >= 8);
    }

    #[test]
    fn sturges_edges_match_numpy_bitwise() {
        let data = fixture();
        for spec in data["sturges"].as_array().unwrap() {
            let (lo, hi) = (exact(&spec["min"]), exact(&spec["max"]));
            let n = spec["n"].as_u64().unwrap() as usize;
            assert_eq!(
                sturges_edges(lo, hi, n),
                floats(&spec["edges"]),
                "min {lo}, max {hi}, n {n}"
            );
        }
    }

    #[test]
    fn fisher_tables_match_scipy() {
        let data = fixture();
        for table in data["fisher"].as_array().unwrap() {
            let r: Vec<u64> = table["reference"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap())
                .collect();
            let c: Vec<u64> = table["current"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap())
                .collect();
            let p = fisher::fisher_exact_2x2(r[0], r[1], c[0], c[1]);
            assert_close(
                &format!("{r:?} {c:?}"),
                "fisher",
                p,
                table["p_value"].as_f64().unwrap(),
            );
        }
    }
}
