//! Correlation and association between two columns of one dataset: Pearson, Spearman,
//! Kendall's tau-b and Cramér's V, as Evidently 0.7's target-drift correlations compute them
//! (pandas `Series.corr`, which calls NumPy / SciPy, and Evidently's own `_cramer_v`).
//!
//! Unlike the two-sample tests of this module, these functions take **paired** samples: `x[i]`
//! and `y[i]` are the same row. Callers drop a pair when either side is missing (pandas'
//! pairwise-complete rule) before calling; the functions themselves expect finite values.
//! Every coefficient is `None` where the reference gives NaN: fewer than two pairs, or a
//! constant side (zero variance).

use super::special::midranks;

/// Pearson's product-moment correlation
/// `r = Σ(x−x̄)(y−ȳ) / sqrt(Σ(x−x̄)² · Σ(y−ȳ)²)`, clipped to `[-1, 1]`.
///
/// Computed like `numpy.corrcoef` (which pandas' `Series.corr(method="pearson")` calls):
/// two-pass centred sums, the covariance divided by the product of the standard deviations,
/// then clipped. `None` when the slices differ in length, hold fewer than two pairs, or a
/// side is constant.
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len();
    if n != y.len() || n < 2 {
        return None;
    }
    if is_constant(x) || is_constant(y) {
        return None;
    }
    let mean_x = x.iter().sum::<f64>() / n as f64;
    let mean_y = y.iter().sum::<f64>() / n as f64;
    let (mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0);
    for (&a, &b) in x.iter().zip(y) {
        let dx = a - mean_x;
        let dy = b - mean_y;
        sxx += dx * dx;
        syy += dy * dy;
        sxy += dx * dy;
    }
    if sxx <= 0.0 || syy <= 0.0 {
        return None;
    }
    // NumPy divides the covariance matrix by (n - 1), then by each standard deviation.
    let fact = (n - 1) as f64;
    let r = (sxy / fact) / (sxx / fact).sqrt() / (syy / fact).sqrt();
    if r.is_finite() {
        Some(r.clamp(-1.0, 1.0))
    } else {
        None
    }
}

/// Spearman's rank correlation: Pearson's `r` of the midranks (average ranks for ties), as
/// `scipy.stats.spearmanr` computes it (`rankdata(method="average")` then `corrcoef`).
/// `None` under the same conditions as [`pearson`].
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() || x.len() < 2 {
        return None;
    }
    let (rx, _) = midranks(x);
    let (ry, _) = midranks(y);
    pearson(&rx, &ry)
}

/// Kendall's tau-b, `τ_b = (n_c − n_d) / sqrt((n₀ − n₁)(n₀ − n₂))` with `n₀ = n(n−1)/2`,
/// `n₁ = Σ t_i(t_i−1)/2` over tie groups of `x`, `n₂` the same over `y`, and
/// `n_c − n_d = n₀ − n₁ − n₂ + n₃ − 2 n_d` where `n₃` counts pairs tied in both.
///
/// Knight's O(n log n) algorithm (Knight 1966, "A computer method for calculating Kendall's
/// tau with ungrouped data", JASA 61(314)) as in `scipy.stats.kendalltau(variant="b")`, which
/// pandas' `Series.corr(method="kendall")` calls: sort the pairs by `(x, y)`, count the
/// discordant pairs as the strict inversions of the `y` sequence with a merge sort, and count
/// the tie groups from the sorted orders. The result is clipped to `[-1, 1]`. `None` for
/// fewer than two pairs or when every pair is tied in `x` or in `y` (a constant side).
pub fn kendall_tau_b(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len();
    if n != y.len() || n < 2 {
        return None;
    }
    // `v + 0.0` turns -0.0 into 0.0: the sort must not split a tie group that `==` joins.
    let x: Vec<f64> = x.iter().map(|&v| v + 0.0).collect();
    let y: Vec<f64> = y.iter().map(|&v| v + 0.0).collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_unstable_by(|&a, &b| x[a].total_cmp(&x[b]).then(y[a].total_cmp(&y[b])));
    let xs: Vec<f64> = order.iter().map(|&i| x[i]).collect();
    let mut ys: Vec<f64> = order.iter().map(|&i| y[i]).collect();

    // Pairs tied in x, and pairs tied in both x and y (runs in the (x, y) order).
    let x_ties = tied_pairs(&xs, |a, b| a == b);
    let joint_ties = {
        let pairs: Vec<(f64, f64)> = xs.iter().copied().zip(ys.iter().copied()).collect();
        tied_pairs(&pairs, |a, b| a.0 == b.0 && a.1 == b.1)
    };
    // Discordant pairs: i < j in the (x, y) order with y_i > y_j. Pairs tied in x are in
    // ascending y order, so they never count.
    let mut buffer = vec![0.0; n];
    let discordant = count_inversions(&mut ys, &mut buffer);
    // `ys` is now sorted ascending: count ties in y.
    let y_ties = tied_pairs(&ys, |a, b| a == b);

    let total = (n as u64) * (n as u64 - 1) / 2;
    if x_ties == total || y_ties == total {
        return None;
    }
    let con_minus_dis = total as i128 - x_ties as i128 - y_ties as i128 + joint_ties as i128
        - 2 * discordant as i128;
    let tau =
        con_minus_dis as f64 / ((total - x_ties) as f64).sqrt() / ((total - y_ties) as f64).sqrt();
    Some(tau.clamp(-1.0, 1.0))
}

/// `Σ t(t−1)/2` over runs of equal neighbours in an already grouped slice.
fn tied_pairs<T>(sorted: &[T], eq: impl Fn(&T, &T) -> bool) -> u64 {
    let mut total = 0u64;
    let mut start = 0;
    while start < sorted.len() {
        let mut end = start + 1;
        while end < sorted.len() && eq(&sorted[end], &sorted[start]) {
            end += 1;
        }
        let t = (end - start) as u64;
        total += t * (t - 1) / 2;
        start = end;
    }
    total
}

/// Sorts `values` ascending (stable merge sort) and returns the number of pairs `i < j`
/// with `values[i] > values[j]` (equal values are not inversions).
fn count_inversions(values: &mut [f64], buffer: &mut [f64]) -> u64 {
    let n = values.len();
    if n < 2 {
        return 0;
    }
    let mid = n / 2;
    let mut count = {
        let (left, right) = values.split_at_mut(mid);
        let (bl, br) = buffer.split_at_mut(mid);
        count_inversions(left, bl) + count_inversions(right, br)
    };
    let (mut i, mut j, mut k) = (0, mid, 0);
    while i < mid && j < n {
        if values[i] <= values[j] {
            buffer[k] = values[i];
            i += 1;
        } else {
            buffer[k] = values[j];
            // Every remaining left value is greater than values[j].
            count += (mid - i) as u64;
            j += 1;
        }
        k += 1;
    }
    buffer[k..k + mid - i].copy_from_slice(&values[i..mid]);
    k += mid - i;
    buffer[k..k + n - j].copy_from_slice(&values[j..n]);
    values.copy_from_slice(&buffer[..n]);
    count
}

fn is_constant(v: &[f64]) -> bool {
    v.iter().all(|&a| a == v[0])
}

/// The contingency table of two paired category-code slices: `None` codes (missing) drop the
/// pair; only levels that occur in some complete pair get a row or a column (as
/// `pandas.crosstab`). Returns the row-major counts and the number of rows (levels of `x`)
/// and columns (levels of `y`).
pub fn contingency_table(x: &[Option<u32>], y: &[Option<u32>]) -> (Vec<u64>, usize, usize) {
    use std::collections::HashMap;
    let mut rows: HashMap<u32, usize> = HashMap::new();
    let mut cols: HashMap<u32, usize> = HashMap::new();
    let mut cells: HashMap<(usize, usize), u64> = HashMap::new();
    for (a, b) in x.iter().zip(y) {
        let (Some(a), Some(b)) = (a, b) else {
            continue;
        };
        let next = rows.len();
        let r = *rows.entry(*a).or_insert(next);
        let next = cols.len();
        let c = *cols.entry(*b).or_insert(next);
        *cells.entry((r, c)).or_default() += 1;
    }
    let (nr, nc) = (rows.len(), cols.len());
    let mut table = vec![0u64; nr * nc];
    for ((r, c), n) in cells {
        table[r * nc + c] = n;
    }
    (table, nr, nc)
}

/// Cramér's V of a `rows × cols` contingency table (row-major counts):
/// `V = sqrt((χ² / n) / min(rows − 1, cols − 1))`, where `χ²` is Pearson's chi-square
/// statistic of independence **without** Yates' continuity correction and **without** the
/// Bergsma bias correction, `χ² = Σ (O − E)² / E` with `E = row_sum · col_sum / n`.
///
/// This is Evidently 0.7's `_cramer_v` (`evidently/legacy/calculations/data_quality.py`:
/// `chi2_contingency(pd.crosstab(x, y), correction=False)`). Rows and columns that are all
/// zero are ignored (crosstab never makes them). `None` for an empty table or when either
/// side has a single level (Evidently returns NaN).
pub fn cramers_v(table: &[u64], rows: usize, cols: usize) -> Option<f64> {
    if table.len() != rows * cols {
        return None;
    }
    let row_sums: Vec<u64> = (0..rows)
        .map(|r| table[r * cols..(r + 1) * cols].iter().sum())
        .collect();
    let col_sums: Vec<u64> = (0..cols)
        .map(|c| (0..rows).map(|r| table[r * cols + c]).sum())
        .collect();
    let kept_rows: Vec<usize> = (0..rows).filter(|&r| row_sums[r] > 0).collect();
    let kept_cols: Vec<usize> = (0..cols).filter(|&c| col_sums[c] > 0).collect();
    let k = kept_rows.len().min(kept_cols.len());
    if k < 2 {
        return None;
    }
    let n: u64 = row_sums.iter().sum();
    let n_f = n as f64;
    let mut chi2 = 0.0;
    for &r in &kept_rows {
        for &c in &kept_cols {
            let expected = row_sums[r] as f64 * col_sums[c] as f64 / n_f;
            let d = table[r * cols + c] as f64 - expected;
            chi2 += d * d / expected;
        }
    }
    let v = (chi2 / n_f / (k - 1) as f64).sqrt();
    v.is_finite().then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 + 1e-12 * b.abs()
    }

    /// O(n²) tau-b straight from the definition.
    fn kendall_brute(x: &[f64], y: &[f64]) -> Option<f64> {
        let n = x.len();
        let (mut s, mut n1, mut n2) = (0i64, 0i64, 0i64);
        for i in 0..n {
            for j in i + 1..n {
                let dx = (x[i] - x[j]).signum() as i64 * (x[i] != x[j]) as i64;
                let dy = (y[i] - y[j]).signum() as i64 * (y[i] != y[j]) as i64;
                s += dx * dy;
                n1 += (dx == 0) as i64;
                n2 += (dy == 0) as i64;
            }
        }
        let n0 = (n * (n - 1) / 2) as i64;
        if n0 == n1 || n0 == n2 {
            return None;
        }
        Some(s as f64 / (((n0 - n1) as f64) * ((n0 - n2) as f64)).sqrt())
    }

    #[test]
    fn perfect_correlations() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        let y = [2.0, 4.0, 6.0, 8.0, 10.0];
        let z = [9.0, 7.0, 5.0, 3.0, 1.0];
        assert!(close(pearson(&x, &y).unwrap(), 1.0));
        assert!(close(pearson(&x, &z).unwrap(), -1.0));
        assert!(close(
            spearman(&x, &[1.0, 8.0, 27.0, 64.0, 125.0]).unwrap(),
            1.0
        ));
        // scipy gives 10 / sqrt(10) / sqrt(10) = 0.9999999999999999 too.
        assert_eq!(kendall_tau_b(&x, &y), Some(0.9999999999999999));
        assert_eq!(kendall_tau_b(&x, &z), Some(-0.9999999999999999));
    }

    #[test]
    fn constant_or_short_input_is_undefined() {
        let c = [3.0, 3.0, 3.0];
        let v = [1.0, 2.0, 3.0];
        assert_eq!(pearson(&c, &v), None);
        assert_eq!(spearman(&v, &c), None);
        assert_eq!(kendall_tau_b(&c, &v), None);
        assert_eq!(pearson(&[1.0], &[2.0]), None);
        assert_eq!(kendall_tau_b(&[], &[]), None);
        assert_eq!(pearson(&[1.0, 2.0], &[1.0]), None);
    }

    #[test]
    fn two_pairs_are_perfectly_correlated() {
        // pandas: -0.9999999999999999 (Pearson, Spearman), -1.0 (Kendall).
        let r = pearson(&[1.0, 2.0], &[3.0, 1.0]).unwrap();
        assert!(close(r, -1.0));
        assert!(close(spearman(&[1.0, 2.0], &[3.0, 1.0]).unwrap(), -1.0));
        assert_eq!(kendall_tau_b(&[1.0, 2.0], &[3.0, 1.0]), Some(-1.0));
    }

    #[test]
    fn known_values_with_ties() {
        // scipy.stats: pearsonr, spearmanr, kendalltau of these lists.
        let x = [1.0, 2.0, 2.0, 3.0, 4.0, 4.0, 5.0];
        let y = [2.0, 1.0, 3.0, 3.0, 5.0, 4.0, 4.0];
        assert!(close(pearson(&x, &y).unwrap(), 0.7884862245567701));
        assert!(close(spearman(&x, &y).unwrap(), 0.8333333333333335));
        assert!(close(kendall_tau_b(&x, &y).unwrap(), 0.6842105263157894));
    }

    #[test]
    fn kendall_treats_signed_zeros_as_ties() {
        let x = [-0.0, 0.0, -0.0, 0.0, 1.0];
        let y = [4.0, 3.0, 2.0, 1.0, 5.0];
        assert_eq!(kendall_tau_b(&x, &y), kendall_brute(&x, &y));
    }

    #[test]
    fn kendall_matches_brute_force_on_random_data() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for round in 0..200 {
            let n = rng.random_range(2..60);
            // Few distinct values in some rounds to force many ties.
            let levels = if round % 2 == 0 { 4 } else { 1000 };
            let x: Vec<f64> = (0..n).map(|_| rng.random_range(0..levels) as f64).collect();
            let y: Vec<f64> = (0..n)
                .map(|_| rng.random_range(0..levels) as f64 * 0.5)
                .collect();
            let fast = kendall_tau_b(&x, &y);
            let slow = kendall_brute(&x, &y);
            match (fast, slow) {
                (Some(a), Some(b)) => assert!(close(a, b), "round {round}: {a} vs {b}"),
                (a, b) => assert_eq!(a, b, "round {round}"),
            }
        }
    }

    #[test]
    fn cramers_v_without_corrections() {
        // 2x2 [[10, 20], [30, 40]]: chi2 (no Yates) = 0.7936507936507936, n = 100.
        let v = cramers_v(&[10, 20, 30, 40], 2, 2).unwrap();
        assert!(close(v, (0.7936507936507936f64 / 100.0).sqrt()));
        // Perfect association.
        assert!(close(cramers_v(&[5, 0, 0, 0, 7, 0], 2, 3).unwrap(), 1.0));
        // One level on a side, or empty rows only: undefined.
        assert_eq!(cramers_v(&[3, 4], 1, 2), None);
        assert_eq!(cramers_v(&[3, 4, 0, 0], 2, 2), None);
        assert_eq!(cramers_v(&[], 0, 0), None);
    }

    #[test]
    fn contingency_table_drops_incomplete_pairs() {
        let x = [Some(0), Some(1), None, Some(0), Some(2)];
        let y = [Some(5), Some(5), Some(6), Some(6), None];
        let (t, r, c) = contingency_table(&x, &y);
        assert_eq!((r, c), (2, 2));
        assert_eq!(t, vec![1, 1, 1, 0]);
    }
}
