//! Labels of categorical columns: tallies in order of first appearance, and the reference
//! and current counts side by side (new and unused labels).

use std::collections::{HashMap, HashSet};

use super::{share, CategorySummary, LabelCount};
use crate::table::{ColumnData, StrColumn, MISSING_CODE};
use crate::time::{format_us, TimeShape};

/// Labels of a column with their counts, in order of first appearance.
pub(super) struct LabelTally {
    pub(super) labels: Vec<(String, usize)>,
}

pub(super) fn category_summary(
    reference: Option<(usize, &LabelTally)>,
    current: (usize, &LabelTally),
) -> CategorySummary {
    let (cur_rows, cur) = current;
    let cur_index: HashMap<&str, usize> =
        cur.labels.iter().map(|(l, n)| (l.as_str(), *n)).collect();
    let mut labels = Vec::new();
    let mut new_labels = Vec::new();
    let mut unused_labels = Vec::new();
    let mut in_ref = HashSet::new();
    if let Some((ref_rows, rt)) = reference {
        for (l, n) in &rt.labels {
            in_ref.insert(l.as_str());
            let cn = cur_index.get(l.as_str()).copied().unwrap_or(0);
            if cn == 0 {
                unused_labels.push(l.clone());
            }
            labels.push(LabelCount {
                label: l.clone(),
                reference_count: Some(*n),
                reference_share: share(*n, ref_rows),
                current_count: cn,
                current_share: share(cn, cur_rows),
            });
        }
    }
    for (l, n) in &cur.labels {
        if in_ref.contains(l.as_str()) {
            continue;
        }
        if reference.is_some() {
            new_labels.push(l.clone());
        }
        labels.push(LabelCount {
            label: l.clone(),
            reference_count: reference.map(|_| 0),
            reference_share: reference.and_then(|(rows, _)| share(0, rows)),
            current_count: *n,
            current_share: share(*n, cur_rows),
        });
    }
    CategorySummary {
        labels,
        new_labels,
        unused_labels,
    }
}

/// Formats a label the way it reads in the input (`True`/`False` for booleans, Python style).
pub(super) fn float_label(x: f64) -> String {
    if x.is_infinite() {
        if x > 0.0 { "inf" } else { "-inf" }.to_string()
    } else if x == x.trunc() && x.abs() < 1e16 {
        format!("{x:.1}")
    } else {
        format!("{x}")
    }
}

pub(super) fn bool_label(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

/// Non-missing labels and their counts, in order of first appearance.
pub(super) fn label_tally(data: &ColumnData) -> LabelTally {
    let labels = match data {
        ColumnData::Str(s) => str_tally(s),
        ColumnData::Bool(v) => {
            let mut counts = [0usize; 2];
            let mut order: Vec<bool> = Vec::with_capacity(2);
            for b in v.iter().flatten() {
                let k = usize::from(*b);
                if counts[k] == 0 {
                    order.push(*b);
                }
                counts[k] += 1;
            }
            order
                .into_iter()
                .map(|b| (bool_label(b).to_string(), counts[usize::from(b)]))
                .collect()
        }
        ColumnData::Int(v) => int_counts(v)
            .into_iter()
            .map(|(x, n)| (x.to_string(), n))
            .collect(),
        ColumnData::Datetime(v) => ordered_counts(v.iter().flatten().copied())
            .into_iter()
            .map(|(x, n)| (format_us(x, TimeShape::Naive), n))
            .collect(),
        ColumnData::Float(v) => ordered_counts(
            v.iter()
                .filter(|x| !x.is_nan())
                .map(|x| (x + 0.0).to_bits()),
        )
        .into_iter()
        .map(|(b, n)| (float_label(f64::from_bits(b)), n))
        .collect(),
    };
    LabelTally { labels }
}

pub(super) fn str_tally(s: &StrColumn) -> Vec<(String, usize)> {
    let mut counts = vec![0usize; s.labels.len()];
    for &c in &s.codes {
        if c != MISSING_CODE {
            counts[c as usize] += 1;
        }
    }
    // Labels are stored in order of first appearance; a label may be unused only if the
    // column was sliced, so skip zero counts.
    s.labels
        .iter()
        .zip(counts)
        .filter(|(_, n)| *n > 0)
        .map(|(l, n)| (l.clone(), n))
        .collect()
}

/// [`ordered_counts`] of the non-missing integers of `v`. Integer labels usually span a
/// narrow range (codes, classes, small counts): then each value's count sits at `x - min` of a
/// plain array, which costs a fraction of a hash lookup per value; wider ranges are hashed.
pub(super) fn int_counts(v: &[Option<i64>]) -> Vec<(i64, usize)> {
    let mut bounds: Option<(i64, i64)> = None;
    for &x in v.iter().flatten() {
        bounds = Some(bounds.map_or((x, x), |(lo, hi)| (lo.min(x), hi.max(x))));
    }
    let Some((lo, hi)) = bounds else {
        return Vec::new();
    };
    // `hi - lo` as u64 cannot overflow; the range is dense enough when it is not much longer
    // than the column (or small in any case).
    let span = hi.wrapping_sub(lo) as u64;
    if span >= (v.len() as u64).max(4096) {
        return ordered_counts(v.iter().flatten().copied());
    }
    let mut counts = vec![0usize; span as usize + 1];
    let mut order: Vec<i64> = Vec::new();
    for &x in v.iter().flatten() {
        let c = &mut counts[x.wrapping_sub(lo) as u64 as usize];
        if *c == 0 {
            order.push(x);
        }
        *c += 1;
    }
    order
        .into_iter()
        .map(|x| (x, counts[x.wrapping_sub(lo) as u64 as usize]))
        .collect()
}

pub(super) fn ordered_counts<K: std::hash::Hash + Eq + Copy>(
    values: impl Iterator<Item = K>,
) -> Vec<(K, usize)> {
    let mut index: HashMap<K, usize> = HashMap::new();
    let mut out: Vec<(K, usize)> = Vec::new();
    for v in values {
        match index.get(&v) {
            Some(&i) => out[i].1 += 1,
            None => {
                index.insert(v, out.len());
                out.push((v, 1));
            }
        }
    }
    out
}
