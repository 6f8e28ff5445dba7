//! Turning a column pair into the samples the statistics take: sorted finite values for
//! numerical columns, aligned counts per category for categorical ones.
//!
//! Missing values (NaN, null) and infinities are dropped per column before testing, as
//! Evidently does (`replace([-inf, inf], nan).dropna()`), and counted.

use std::collections::{BTreeMap, HashMap};

use crate::sort::SortKey;
use crate::table::{ColumnData, MISSING_CODE};

/// How many values of one side were dropped before testing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Dropped {
    /// Missing values (NaN, null, a missing category).
    pub missing: usize,
    /// Infinite values (numerical columns only).
    pub infinite: usize,
}

/// A category key. Numbers order before strings; within a kind the natural order applies
/// (Evidently sorts the keys for the `z` test).
#[derive(Debug, Clone, PartialEq)]
pub enum CategoryKey {
    /// A category held as a number (an integer or float column read as categorical).
    Number(f64),
    /// A category held as a string.
    Text(String),
}

impl CategoryKey {
    /// The category as shown in reports: strings as they are, numbers as written
    /// ([`format_as_written`]).
    pub fn label(&self) -> String {
        match self {
            CategoryKey::Number(v) => format_as_written(*v),
            CategoryKey::Text(s) => s.clone(),
        }
    }
}

/// Formats a number the way a user wrote it: integers without a fraction.
pub fn format_as_written(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// Aligned category counts of the two samples, keys in ascending order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CategoryCounts {
    /// Every category seen on either side, ascending.
    pub keys: Vec<CategoryKey>,
    /// Reference count of `keys[i]` at index `i` (0 when only the current data has it).
    pub reference: Vec<u64>,
    /// Current count of `keys[i]` at index `i` (0 when only the reference has it).
    pub current: Vec<u64>,
}

impl CategoryCounts {
    /// Non-missing reference values.
    pub fn reference_total(&self) -> u64 {
        self.reference.iter().sum()
    }
    /// Non-missing current values.
    pub fn current_total(&self) -> u64 {
        self.current.iter().sum()
    }
}

/// Finite values of a column as `f64`, sorted ascending, or `None` when the column does
/// not hold numbers (strings, datetimes).
pub fn numeric_values(data: &ColumnData) -> Option<(Vec<f64>, Dropped)> {
    let mut dropped = Dropped::default();
    let out = match data {
        ColumnData::Float(v) => {
            let out = sorted_as_f64(v, |x| (x, x.is_finite()), |x| x);
            // Missing values are rare: count them (and infinities) only in columns that
            // have some.
            if out.len() < v.len() {
                dropped.missing = v.iter().filter(|x| x.is_nan()).count();
                dropped.infinite = v.len() - out.len() - dropped.missing;
            }
            out
        }
        ColumnData::Int(v) => {
            let out = sorted_as_f64(v, |x| (x.unwrap_or(0), x.is_some()), |x| x as f64);
            dropped.missing = v.len() - out.len();
            out
        }
        ColumnData::Bool(v) => {
            let out = sorted_as_f64(
                v,
                |b| (i64::from(b == Some(true)), b.is_some()),
                |x| x as f64,
            );
            dropped.missing = v.len() - out.len();
            out
        }
        ColumnData::Str(_) | ColumnData::Datetime(_) => return None,
    };
    Some((out, dropped))
}

/// The values of `values` that `kept` keeps, sorted ascending, as `f64`. They are collected
/// as sort keys of their own type (with the keys' bounds, so the sort needs no pass of its
/// own to make them), sorted, and turned into floats chunk by chunk while each sorted chunk
/// is in the cache. `to_f64` must keep the order (`i64 as f64` does). Integers sort as
/// integers because their keys are dense: codes and counts sort by counting.
fn sorted_as_f64<V: Copy, T: SortKey>(
    values: &[V],
    kept: impl Fn(V) -> (T, bool),
    to_f64: impl Fn(T) -> f64,
) -> Vec<f64> {
    let (mut keys, (lo, hi)) = crate::sort::kept_keys(values, kept);
    crate::sort::sort_keys(&mut keys, lo, hi, |chunk| {
        for k in chunk {
            *k = to_f64(T::from_sort_key(*k)).to_bits();
        }
    });
    keys.into_iter().map(f64::from_bits).collect()
}

/// Count of values per category on one side, with dropped values counted.
fn side_counts(data: &ColumnData) -> (Vec<(CategoryKey, u64)>, Dropped) {
    let mut dropped = Dropped::default();
    let mut out: Vec<(CategoryKey, u64)> = Vec::new();
    match data {
        ColumnData::Float(_) | ColumnData::Int(_) | ColumnData::Bool(_) => {
            let (sorted, d) = numeric_values(data).expect("numeric physical type");
            dropped = d;
            let (keys, counts, _) = crate::stats::binning::per_value_counts(&sorted, &[]);
            out.extend(keys.into_iter().map(CategoryKey::Number).zip(counts));
        }
        ColumnData::Str(s) => {
            let mut counts = vec![0u64; s.labels.len()];
            for &c in &s.codes {
                if c == MISSING_CODE {
                    dropped.missing += 1;
                } else {
                    counts[c as usize] += 1;
                }
            }
            for (label, n) in s.labels.iter().zip(counts) {
                if n > 0 {
                    out.push((CategoryKey::Text(label.clone()), n));
                }
            }
        }
        ColumnData::Datetime(v) => {
            let mut counts: HashMap<i64, u64> = HashMap::new();
            for x in v {
                match x {
                    None => dropped.missing += 1,
                    Some(t) => *counts.entry(*t).or_default() += 1,
                }
            }
            out.extend(
                counts
                    .into_iter()
                    .map(|(t, n)| (CategoryKey::Number(t as f64), n)),
            );
        }
    }
    (out, dropped)
}

/// Aligned category counts of a column pair, keys sorted (numbers first, then strings).
pub fn category_counts(
    reference: &ColumnData,
    current: &ColumnData,
) -> (CategoryCounts, Dropped, Dropped) {
    let (r, rd) = side_counts(reference);
    let (c, cd) = side_counts(current);
    // Numbers are keyed by their bit pattern (after normalising -0.0 to 0.0).
    let mut numbers: BTreeMap<u64, (f64, u64, u64)> = BTreeMap::new();
    let mut texts: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut add = |key: CategoryKey, n: u64, is_ref: bool| match key {
        CategoryKey::Number(v) => {
            let v = if v == 0.0 { 0.0 } else { v };
            let e = numbers.entry(order_key(v)).or_insert((v, 0, 0));
            if is_ref {
                e.1 += n
            } else {
                e.2 += n
            }
        }
        CategoryKey::Text(s) => {
            let e = texts.entry(s).or_insert((0, 0));
            if is_ref {
                e.0 += n
            } else {
                e.1 += n
            }
        }
    };
    for (k, n) in r {
        add(k, n, true);
    }
    for (k, n) in c {
        add(k, n, false);
    }
    let mut counts = CategoryCounts::default();
    for (_, (v, a, b)) in numbers {
        counts.keys.push(CategoryKey::Number(v));
        counts.reference.push(a);
        counts.current.push(b);
    }
    for (s, (a, b)) in texts {
        counts.keys.push(CategoryKey::Text(s));
        counts.reference.push(a);
        counts.current.push(b);
    }
    (counts, rd, cd)
}

/// A total order key for finite f64 values.
fn order_key(v: f64) -> u64 {
    let bits = v.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

/// Aligned counts of the distinct values of two sorted numeric samples.
pub fn distinct_value_counts(reference: &[f64], current: &[f64]) -> CategoryCounts {
    let (keys, reference, current) = crate::stats::binning::per_value_counts(reference, current);
    CategoryCounts {
        keys: keys.into_iter().map(CategoryKey::Number).collect(),
        reference,
        current,
    }
}

/// Number of distinct values over two sorted slices together, counting no further than
/// `cap` (the default-method rule only asks whether there are at most 2 or at most 5, so a
/// continuous column stops after a few values instead of merging millions).
pub fn distinct_pooled_up_to(reference: &[f64], current: &[f64], cap: usize) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    let mut last: Option<f64> = None;
    while (i < reference.len() || j < current.len()) && n < cap {
        let v = match (reference.get(i), current.get(j)) {
            (Some(&a), Some(&b)) if a <= b => {
                i += 1;
                a
            }
            (Some(_), Some(&b)) => {
                j += 1;
                b
            }
            (Some(&a), None) => {
                i += 1;
                a
            }
            (None, Some(&b)) => {
                j += 1;
                b
            }
            (None, None) => unreachable!(),
        };
        if last != Some(v) {
            n += 1;
            last = Some(v);
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::StrColumn;

    #[test]
    fn numeric_values_drop_missing_and_infinite() {
        let d = ColumnData::Float(vec![3.0, f64::NAN, f64::INFINITY, 1.0, f64::NEG_INFINITY]);
        let (v, dropped) = numeric_values(&d).unwrap();
        assert_eq!(v, vec![1.0, 3.0]);
        assert_eq!(
            dropped,
            Dropped {
                missing: 1,
                infinite: 2
            }
        );
        let d = ColumnData::Int(vec![Some(2), None, Some(-1)]);
        let (v, dropped) = numeric_values(&d).unwrap();
        assert_eq!(v, vec![-1.0, 2.0]);
        assert_eq!(dropped.missing, 1);
    }

    #[test]
    fn category_counts_align_both_sides() {
        let r = ColumnData::Str(StrColumn::from_options([
            Some("b"),
            Some("a"),
            None,
            Some("b"),
        ]));
        let c = ColumnData::Str(StrColumn::from_options([Some("c"), Some("b")]));
        let (counts, rd, cd) = category_counts(&r, &c);
        let labels: Vec<String> = counts.keys.iter().map(|k| k.label()).collect();
        assert_eq!(labels, vec!["a", "b", "c"]);
        assert_eq!(counts.reference, vec![1, 2, 0]);
        assert_eq!(counts.current, vec![0, 1, 1]);
        assert_eq!(rd.missing, 1);
        assert_eq!(cd.missing, 0);
    }

    #[test]
    fn mixed_int_and_float_sides_share_number_keys() {
        let r = ColumnData::Int(vec![Some(1), Some(2), Some(2)]);
        let c = ColumnData::Float(vec![2.0, -0.0, 0.0]);
        let (counts, _, _) = category_counts(&r, &c);
        let labels: Vec<String> = counts.keys.iter().map(|k| k.label()).collect();
        assert_eq!(labels, vec!["0", "1", "2"]);
        assert_eq!(counts.reference, vec![0, 1, 2]);
        assert_eq!(counts.current, vec![2, 0, 1]);
    }

    #[test]
    fn distinct_counts_over_sorted_samples() {
        let a = [1.0, 1.0, 2.0, 5.0];
        let b = [0.0, 2.0, 2.0, 7.0];
        assert_eq!(distinct_pooled_up_to(&a, &b, usize::MAX), 5);
        assert_eq!(distinct_pooled_up_to(&a, &b, 3), 3);
        assert_eq!(distinct_pooled_up_to(&a, &a, 10), 3);
        let c = distinct_value_counts(&a, &b);
        assert_eq!(c.reference, vec![0, 2, 1, 1, 0]);
        assert_eq!(c.current, vec![1, 0, 2, 0, 1]);
        assert_eq!(distinct_pooled_up_to(&[], &[], 6), 0);
    }
}
