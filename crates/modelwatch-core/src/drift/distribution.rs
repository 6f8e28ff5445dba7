//! Compact distributions of a column pair for charts: histogram counts on shared bins for
//! numerical columns, counts of the most frequent labels for categorical (and text) ones.
//!
//! They are computed from the samples the drift tests already prepared (sorted finite values,
//! aligned category counts), so they cost a few binary searches or one pass over the
//! distinct labels, never another pass over the rows.

use std::collections::HashMap;

use foldhash::fast::FixedState;
use serde::Serialize;

use super::sample::CategoryCounts;
use crate::table::{StrColumn, MISSING_CODE};

/// At most this many histogram bins.
pub const MAX_BINS: usize = 20;
/// At most this many labels are listed; the rest are summed into `other_*`.
pub const MAX_LABELS: usize = 20;

/// The distribution of one column in both datasets, without raw values.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ColumnDistribution {
    /// Counts of finite values on shared equal-width bins. `edges` has one more entry than
    /// `reference` and `current`; bin `i` holds values in `[edges[i], edges[i+1])`, the last
    /// bin also its upper edge. No values on either side: no bins.
    Histogram {
        /// Bin edges, ascending, over the pooled range of both samples.
        edges: Vec<f64>,
        /// Reference values per bin.
        reference: Vec<u64>,
        /// Current values per bin.
        current: Vec<u64>,
        /// Missing reference values (not in any bin).
        reference_missing: u64,
        /// Missing current values (not in any bin).
        current_missing: u64,
    },
    /// Counts per label, most frequent (over both sides) first; labels beyond the first
    /// [`MAX_LABELS`] are summed into `other_reference` and `other_current`, and
    /// `other_labels` says how many they are.
    Categories {
        /// The listed labels, at most [`MAX_LABELS`], most frequent first.
        labels: Vec<String>,
        /// Reference count of each listed label.
        reference: Vec<u64>,
        /// Current count of each listed label.
        current: Vec<u64>,
        /// Number of labels beyond the listed ones.
        other_labels: usize,
        /// Reference rows holding one of the unlisted labels.
        other_reference: u64,
        /// Current rows holding one of the unlisted labels.
        other_current: u64,
        /// Missing reference values (not counted under any label).
        reference_missing: u64,
        /// Missing current values (not counted under any label).
        current_missing: u64,
    },
}

/// Number of bins for `n` pooled values: Sturges' rule (`ceil(log2 n) + 1`), capped at
/// [`MAX_BINS`]; one bin when all values are equal.
fn bin_count(n: usize, lo: f64, hi: f64) -> usize {
    if lo == hi || n <= 1 {
        return 1;
    }
    let sturges = (n as f64).log2().ceil() as usize + 1;
    sturges.clamp(1, MAX_BINS)
}

/// Histogram of two sorted finite samples on shared equal-width bins over their pooled
/// range. Each bin boundary is found by binary search, so the cost is
/// `O(bins * log n)`.
pub fn histogram(
    reference: &[f64],
    current: &[f64],
    reference_missing: u64,
    current_missing: u64,
) -> ColumnDistribution {
    let lo = match (reference.first(), current.first()) {
        (Some(&a), Some(&b)) => a.min(b),
        (Some(&a), None) | (None, Some(&a)) => a,
        (None, None) => {
            return ColumnDistribution::Histogram {
                edges: vec![],
                reference: vec![],
                current: vec![],
                reference_missing,
                current_missing,
            }
        }
    };
    let hi = match (reference.last(), current.last()) {
        (Some(&a), Some(&b)) => a.max(b),
        (Some(&a), None) | (None, Some(&a)) => a,
        (None, None) => unreachable!("handled above"),
    };
    let k = bin_count(reference.len() + current.len(), lo, hi);
    // A convex combination of the ends rather than `lo + i * (hi - lo) / k`: the difference
    // of two huge finite values may overflow.
    let kf = k as f64;
    let mut edges: Vec<f64> = (0..=k)
        .map(|i| lo / kf * (k - i) as f64 + hi / kf * i as f64)
        .collect();
    edges[0] = lo;
    edges[k] = hi;
    let counts = |sorted: &[f64]| -> Vec<u64> {
        // Cumulative count below each inner edge; the last bin is closed.
        let mut below = Vec::with_capacity(k + 1);
        below.push(0usize);
        for &e in &edges[1..k] {
            below.push(sorted.partition_point(|&x| x < e));
        }
        below.push(sorted.len());
        below.windows(2).map(|w| (w[1] - w[0]) as u64).collect()
    };
    ColumnDistribution::Histogram {
        reference: counts(reference),
        current: counts(current),
        edges,
        reference_missing,
        current_missing,
    }
}

/// The most frequent labels of aligned category counts (by pooled count, ties in key
/// order), the rest summed as "other".
pub fn categories(
    counts: &CategoryCounts,
    reference_missing: u64,
    current_missing: u64,
) -> ColumnDistribution {
    let n = counts.keys.len();
    let pooled = |i: usize| counts.reference[i] + counts.current[i];
    let mut order: Vec<usize> = (0..n).collect();
    let by_count = |&a: &usize, &b: &usize| pooled(b).cmp(&pooled(a)).then(a.cmp(&b));
    if n > MAX_LABELS {
        order.select_nth_unstable_by(MAX_LABELS - 1, by_count);
        order.truncate(MAX_LABELS);
    }
    order.sort_unstable_by(by_count);
    let listed_ref: u64 = order.iter().map(|&i| counts.reference[i]).sum();
    let listed_cur: u64 = order.iter().map(|&i| counts.current[i]).sum();
    ColumnDistribution::Categories {
        labels: order.iter().map(|&i| counts.keys[i].label()).collect(),
        reference: order.iter().map(|&i| counts.reference[i]).collect(),
        current: order.iter().map(|&i| counts.current[i]).collect(),
        other_labels: n - order.len(),
        other_reference: counts.reference_total() - listed_ref,
        other_current: counts.current_total() - listed_cur,
        reference_missing,
        current_missing,
    }
}

/// [`categories`] of two dictionary-encoded string columns, the same distribution without
/// aligning every distinct label: a text column has about as many distinct labels as rows,
/// and only the [`MAX_LABELS`] most frequent are listed. The labels of both sides are matched
/// by a hash map over borrowed labels; only the listed labels are copied.
pub fn string_categories(reference: &StrColumn, current: &StrColumn) -> ColumnDistribution {
    let counts = |column: &StrColumn| {
        let mut counts = vec![0u64; column.labels.len()];
        let mut missing = 0u64;
        for &c in &column.codes {
            if c == MISSING_CODE {
                missing += 1;
            } else {
                counts[c as usize] += 1;
            }
        }
        (counts, missing)
    };
    let (ref_counts, reference_missing) = counts(reference);
    let (cur_counts, current_missing) = counts(current);
    let mut index: HashMap<&str, usize, FixedState> =
        HashMap::with_capacity_and_hasher(reference.labels.len(), FixedState::default());
    // (label, reference count, current count) of every label used on either side.
    let mut keys: Vec<(&str, u64, u64)> = Vec::new();
    for (label, &n) in reference.labels.iter().zip(&ref_counts) {
        if n > 0 {
            index.insert(label, keys.len());
            keys.push((label, n, 0));
        }
    }
    for (label, &n) in current.labels.iter().zip(&cur_counts) {
        if n > 0 {
            match index.get(label.as_str()) {
                Some(&k) => keys[k].2 += n,
                None => keys.push((label, 0, n)),
            }
        }
    }
    drop(index);
    // `categories`' order: pooled count descending, ties in key (string) order.
    let by_count = |a: &(&str, u64, u64), b: &(&str, u64, u64)| {
        (b.1 + b.2).cmp(&(a.1 + a.2)).then(a.0.cmp(b.0))
    };
    let n = keys.len();
    if n > MAX_LABELS {
        keys.select_nth_unstable_by(MAX_LABELS - 1, by_count);
        keys.truncate(MAX_LABELS);
    }
    keys.sort_unstable_by(by_count);
    let listed_ref: u64 = keys.iter().map(|k| k.1).sum();
    let listed_cur: u64 = keys.iter().map(|k| k.2).sum();
    ColumnDistribution::Categories {
        labels: keys.iter().map(|k| k.0.to_string()).collect(),
        reference: keys.iter().map(|k| k.1).collect(),
        current: keys.iter().map(|k| k.2).collect(),
        other_labels: n - keys.len(),
        other_reference: ref_counts.iter().sum::<u64>() - listed_ref,
        other_current: cur_counts.iter().sum::<u64>() - listed_cur,
        reference_missing,
        current_missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drift::sample::CategoryKey;

    fn parts(d: &ColumnDistribution) -> (&[f64], &[u64], &[u64]) {
        match d {
            ColumnDistribution::Histogram {
                edges,
                reference,
                current,
                ..
            } => (edges, reference, current),
            _ => panic!("a histogram"),
        }
    }

    #[test]
    fn histogram_counts_every_value_once_on_shared_bins() {
        let r: Vec<f64> = (0..100).map(|i| i as f64).collect();
        let c: Vec<f64> = (50..150).map(|i| i as f64).collect();
        let d = histogram(&r, &c, 3, 0);
        let (edges, rc, cc) = parts(&d);
        // 200 values: Sturges gives ceil(log2 200) + 1 = 9 bins.
        assert_eq!(rc.len(), 9);
        assert_eq!(edges.len(), 10);
        assert_eq!(edges[0], 0.0);
        assert_eq!(edges[9], 149.0);
        assert_eq!(rc.iter().sum::<u64>(), 100);
        assert_eq!(cc.iter().sum::<u64>(), 100);
        // The maximum lands in the last (closed) bin.
        assert!(cc[8] > 0);
        assert_eq!(rc[8], 0);
        if let ColumnDistribution::Histogram {
            reference_missing, ..
        } = d
        {
            assert_eq!(reference_missing, 3);
        }
    }

    #[test]
    fn histogram_bins_are_capped() {
        let r: Vec<f64> = (0..1_000_000).map(|i| i as f64).collect();
        let d = histogram(&r, &[], 0, 0);
        let (_, rc, _) = parts(&d);
        assert_eq!(rc.len(), MAX_BINS);
        assert_eq!(rc.iter().sum::<u64>(), 1_000_000);
        assert!(rc.iter().all(|&n| n == 50_000));
    }

    #[test]
    fn single_value_and_empty_columns() {
        let d = histogram(&[2.5, 2.5], &[2.5], 0, 1);
        let (edges, rc, cc) = parts(&d);
        assert_eq!(edges, &[2.5, 2.5]);
        assert_eq!(rc, &[2]);
        assert_eq!(cc, &[1]);
        let d = histogram(&[], &[], 4, 5);
        let (edges, rc, _) = parts(&d);
        assert!(edges.is_empty() && rc.is_empty());
    }

    #[test]
    fn huge_ranges_stay_finite() {
        let d = histogram(&[-f64::MAX, 0.0], &[f64::MAX], 0, 0);
        let (edges, rc, cc) = parts(&d);
        assert!(edges.iter().all(|e| e.is_finite()));
        assert_eq!(rc.iter().sum::<u64>() + cc.iter().sum::<u64>(), 3);
    }

    #[test]
    fn string_categories_equal_categories_of_the_aligned_counts() {
        use crate::drift::sample::category_counts;
        use crate::table::ColumnData;
        // Ties across the cut at 20 labels, labels on one side only, a label in the
        // dictionary that no row uses, missing rows.
        let word = |i: usize| format!("w{:02}", (i * 7) % 31);
        let mut r: Vec<Option<String>> = (0..200).map(|i| Some(word(i % 45))).collect();
        r.extend([None, None, Some("only ref".into())]);
        let mut c: Vec<Option<String>> = (0..150).map(|i| Some(word(i % 37 + 3))).collect();
        c.extend([None, Some("only cur".into()), Some("only cur".into())]);
        let mut unused = StrColumn::from_options(c.iter().map(|v| v.as_deref()));
        unused.labels.push("never used".into());
        for (reference, current) in [
            (
                StrColumn::from_options(r.iter().map(|v| v.as_deref())),
                unused,
            ),
            (
                StrColumn::from_options(["b", "a", "b"].map(Some)),
                StrColumn::from_options([Some("a"), None, Some("c")]),
            ),
            (
                StrColumn::default(),
                StrColumn::from_options([None::<&str>]),
            ),
        ] {
            let got = string_categories(&reference, &current);
            let (reference, current) = (ColumnData::Str(reference), ColumnData::Str(current));
            let (counts, rd, cd) = category_counts(&reference, &current);
            let want = categories(&counts, rd.missing as u64, cd.missing as u64);
            assert_eq!(got, want);
        }
    }

    #[test]
    fn categories_keep_the_top_labels_and_sum_the_rest() {
        let n = 25;
        let counts = CategoryCounts {
            keys: (0..n).map(|i| CategoryKey::Text(format!("l{i}"))).collect(),
            reference: (0..n as u64).collect(),
            current: vec![1; n],
        };
        match categories(&counts, 2, 0) {
            ColumnDistribution::Categories {
                labels,
                reference,
                other_labels,
                other_reference,
                other_current,
                reference_missing,
                ..
            } => {
                assert_eq!(labels.len(), MAX_LABELS);
                assert_eq!(labels[0], "l24");
                assert_eq!(reference[0], 24);
                assert_eq!(other_labels, 5);
                assert_eq!(other_reference, 1 + 2 + 3 + 4);
                assert_eq!(other_current, 5);
                assert_eq!(reference_missing, 2);
            }
            _ => panic!("categories"),
        }
    }
}
