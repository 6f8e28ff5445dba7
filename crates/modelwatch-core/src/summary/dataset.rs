//! Dataset-level statistics: missing cells, empty rows and columns, duplicated rows and
//! (almost) duplicated and constant columns.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;

use super::numeric::{for_each_repeat, Runs};
use super::{share, DatasetStats, ALMOST_CONSTANT_THRESHOLD, ALMOST_DUPLICATED_THRESHOLD};
use crate::schema::ColumnType;
use crate::sort::kept_keys;
use crate::table::{Column, ColumnData, MISSING_CODE};

/// What a column's own summary already counted, for [`dataset_stats`].
pub(super) struct KnownCounts {
    pub(super) missing: usize,
    /// Distinct values and the count of the most common one, for columns whose summary
    /// counted them (the same definition as [`distinct_and_top`]).
    pub(super) distinct_and_top: Option<(usize, usize)>,
}

pub(super) fn dataset_stats(
    rows: usize,
    columns: &[&Column],
    types: &HashMap<&str, ColumnType>,
    known: &HashMap<&str, KnownCounts>,
) -> DatasetStats {
    let count_type = |t: ColumnType| {
        columns
            .iter()
            .filter(|c| types.get(c.name.as_str()) == Some(&t))
            .count()
    };
    let per_column: Vec<(usize, usize, usize)> = columns
        .par_iter()
        .map(|c| {
            let k = known.get(c.name.as_str());
            let missing = k.map_or_else(|| c.data.missing_count(), |k| k.missing);
            let (distinct, top) = match k.and_then(|k| k.distinct_and_top) {
                Some(counts) => counts,
                None => distinct_and_top(&c.data),
            };
            (missing, distinct, top)
        })
        .collect();
    let missing_values: usize = per_column.iter().map(|x| x.0).sum();
    let empty_columns = per_column.iter().filter(|x| x.0 == rows).count();
    let constant_columns = per_column.iter().filter(|x| x.1 <= 1).count();
    let almost_constant_columns = if rows == 0 {
        0
    } else {
        per_column
            .iter()
            .filter(|x| x.1 > 0 && x.2 as f64 / rows as f64 >= ALMOST_CONSTANT_THRESHOLD)
            .count()
    };
    let (duplicated_columns, almost_duplicated_columns) = column_pairs(rows, columns);
    let cells = rows * columns.len();
    DatasetStats {
        rows,
        columns: columns.len(),
        numerical_columns: count_type(ColumnType::Numerical),
        categorical_columns: count_type(ColumnType::Categorical),
        text_columns: count_type(ColumnType::Text),
        datetime_columns: count_type(ColumnType::Datetime),
        duplicated_rows: duplicated_rows(rows, columns),
        duplicated_columns,
        almost_duplicated_columns,
        almost_constant_columns,
        empty_rows: empty_rows(rows, columns),
        empty_columns,
        constant_columns,
        missing_values,
        missing_values_share: share(missing_values, cells),
    }
}

/// Distinct non-missing values and the count of the most common one.
pub(super) fn distinct_and_top(data: &ColumnData) -> (usize, usize) {
    let runs = |(mut keys, bounds): (Vec<u64>, (u64, u64))| {
        let r = Runs::grouped(&mut keys, bounds, &[]);
        (r.distinct, r.best)
    };
    match data {
        ColumnData::Float(v) => runs(kept_keys(v, |x| (x + 0.0, !x.is_nan()))),
        ColumnData::Int(v) | ColumnData::Datetime(v) => {
            runs(kept_keys(v, |x| (x.unwrap_or(0), x.is_some())))
        }
        ColumnData::Bool(v) => {
            let t = v.iter().flatten().filter(|b| **b).count();
            let f = v.iter().flatten().count() - t;
            (usize::from(t > 0) + usize::from(f > 0), t.max(f))
        }
        ColumnData::Str(s) => {
            let mut counts = vec![0usize; s.labels.len()];
            for &c in &s.codes {
                if c != MISSING_CODE {
                    counts[c as usize] += 1;
                }
            }
            (
                counts.iter().filter(|&&n| n > 0).count(),
                counts.into_iter().max().unwrap_or(0),
            )
        }
    }
}

pub(super) fn empty_rows(rows: usize, columns: &[&Column]) -> usize {
    if columns.is_empty() {
        return rows;
    }
    (0..rows)
        .into_par_iter()
        .with_min_len(4096)
        .filter(|&r| columns.iter().all(|c| c.data.is_missing(r)))
        .count()
}

/// The key of a missing cell in a row hash (missing equals missing).
pub(super) const MISSING_KEY: u64 = 0x9e37_79b9_7f4a_7c15;

/// A float cell's key in a row hash: equal values (0.0 and -0.0 too) give equal keys.
#[inline]
pub(super) fn float_key(x: f64) -> u64 {
    if x.is_nan() {
        MISSING_KEY
    } else {
        (x + 0.0).to_bits()
    }
}

pub(super) fn cells_equal(data: &ColumnData, a: usize, b: usize) -> bool {
    match data {
        ColumnData::Float(v) => {
            let (x, y) = (v[a], v[b]);
            x == y || (x.is_nan() && y.is_nan())
        }
        ColumnData::Int(v) | ColumnData::Datetime(v) => v[a] == v[b],
        ColumnData::Bool(v) => v[a] == v[b],
        ColumnData::Str(s) => s.codes[a] == s.codes[b],
    }
}

pub(super) fn mix(h: u64, k: u64) -> u64 {
    let x = (h ^ k).wrapping_mul(0xff51_afd7_ed55_8ccd);
    (x ^ (x >> 32)).wrapping_mul(0xc4ce_b9fe_1a85_ec53) ^ (x >> 29)
}

/// Folds one column's cell keys into the hashes of a block of rows with one multiply per
/// cell: an xor, a multiply by an odd constant and a rotation. For a given key that is a
/// bijection of the hash, so two rows that differ in one cell keep different hashes through
/// every later column. Each row's hash is mixed once more at the end, so that the hashes
/// spread over the whole range, as the grouping of `duplicated_rows` needs. (A full `mix`
/// per cell would cost two dependent multiplies per cell.)
pub(super) fn fold_keys(block: &mut [u64], keys: impl Iterator<Item = u64>) {
    for (h, key) in block.iter_mut().zip(keys) {
        *h = (*h ^ key)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(23);
    }
}

/// Rows equal to an earlier row: hash every row, find the hashes that occur more than once,
/// then compare rows with equal hashes exactly.
pub(super) fn duplicated_rows(rows: usize, columns: &[&Column]) -> usize {
    if rows < 2 {
        return 0;
    }
    if columns.is_empty() {
        return rows - 1;
    }
    // Column by column over blocks of rows: each inner loop runs over one column's values
    // with the type decided once per block, not once per cell. A row's hash folds its
    // cells in column order.
    const BLOCK: usize = 4096;
    let mut hashes: Vec<u64> = vec![0; rows];
    hashes
        .par_chunks_mut(BLOCK)
        .enumerate()
        .for_each(|(b, block)| {
            let first = b * BLOCK;
            for c in columns {
                let rows = first..first + block.len();
                match &c.data {
                    ColumnData::Float(v) => fold_keys(block, v[rows].iter().map(|&x| float_key(x))),
                    ColumnData::Int(v) | ColumnData::Datetime(v) => fold_keys(
                        block,
                        v[rows].iter().map(|x| x.map_or(MISSING_KEY, |x| x as u64)),
                    ),
                    ColumnData::Bool(v) => fold_keys(
                        block,
                        v[rows].iter().map(|x| x.map_or(MISSING_KEY, u64::from)),
                    ),
                    ColumnData::Str(s) => {
                        fold_keys(block, s.codes[rows].iter().map(|&c| u64::from(c)))
                    }
                }
            }
            for h in block.iter_mut() {
                *h = mix(*h, 0);
            }
        });
    // Hashes that occur more than once, found on a copy grouped by range and counted with
    // hash tables (usually there are none). Only rows with such a hash are compared exactly.
    let mut grouped = hashes.clone();
    let bounds = crate::sort::key_bounds(&grouped);
    let mut repeated: HashSet<u64> = HashSet::new();
    for_each_repeat(&mut grouped, bounds, &[], |key, _| {
        repeated.insert(key);
    });
    drop(grouped);
    if repeated.is_empty() {
        return 0;
    }
    // Rows by hash, in row order; then the distinct rows of each group (collisions are rare).
    let mut groups: HashMap<u64, Vec<usize>> = HashMap::with_capacity(repeated.len());
    for (r, h) in hashes.iter().enumerate() {
        if repeated.contains(h) {
            groups.entry(*h).or_default().push(r);
        }
    }
    let same_row = |a: usize, b: usize| columns.iter().all(|c| cells_equal(&c.data, a, b));
    let mut dup = 0;
    for group in groups.values() {
        let mut reps: Vec<usize> = Vec::new();
        for &r in group {
            if reps.iter().any(|&p| same_row(p, r)) {
                dup += 1;
            } else {
                reps.push(r);
            }
        }
    }
    dup
}

/// (duplicated pairs, almost duplicated pairs) over columns of the same physical type.
pub(super) fn column_pairs(rows: usize, columns: &[&Column]) -> (usize, usize) {
    let mut pairs = Vec::new();
    for i in 0..columns.len() {
        for j in i + 1..columns.len() {
            if std::mem::discriminant(&columns[i].data) == std::mem::discriminant(&columns[j].data)
            {
                pairs.push((i, j));
            }
        }
    }
    let results: Vec<(bool, bool)> = pairs
        .par_iter()
        .map(|&(i, j)| compare_columns(rows, &columns[i].data, &columns[j].data))
        .collect();
    (
        results.iter().filter(|r| r.0).count(),
        results.iter().filter(|r| r.1).count(),
    )
}

/// The most rows in which two columns of `rows` rows may differ and still be almost
/// duplicated: the largest `b` with `(rows - b) / rows >= 0.95`, tested in `f64` exactly as
/// [`compare_columns`] tests the final share. Found from the closed form and corrected by a
/// step or two, instead of counting up from zero (50,000 steps per column pair at 1M rows).
pub(super) fn mismatch_budget(rows: usize) -> usize {
    if rows == 0 {
        return 0;
    }
    let within = |b: usize| (rows - b) as f64 / rows as f64 >= ALMOST_DUPLICATED_THRESHOLD;
    let mut b = (((1.0 - ALMOST_DUPLICATED_THRESHOLD) * rows as f64) as usize).min(rows);
    while b > 0 && !within(b) {
        b -= 1;
    }
    while b < rows && within(b + 1) {
        b += 1;
    }
    b
}

/// Whether two columns of the same physical type are identical (`Series.equals`) and
/// whether they are equal in at least 95% of rows (`eq().sum() / rows >= 0.95`, where a
/// missing cell equals nothing). Stops early once both answers are known to be "no".
pub(super) fn compare_columns(rows: usize, a: &ColumnData, b: &ColumnData) -> (bool, bool) {
    if rows == 0 {
        // Empty columns are equal; 0 / 0 is NaN, never >= 0.95.
        return (true, false);
    }
    // Str columns: map b's codes into a's dictionary.
    let str_map: Option<Vec<u32>> = match (a, b) {
        (ColumnData::Str(sa), ColumnData::Str(sb)) => {
            let idx: HashMap<&str, u32> = sa
                .labels
                .iter()
                .enumerate()
                .map(|(i, l)| (l.as_str(), i as u32))
                .collect();
            Some(
                sb.labels
                    .iter()
                    .map(|l| idx.get(l.as_str()).copied().unwrap_or(MISSING_CODE - 1))
                    .collect(),
            )
        }
        _ => None,
    };
    // Each arm fixes the types once; `cell(r)` is (equal and present, both missing).
    let budget = mismatch_budget(rows);
    match (a, b) {
        (ColumnData::Float(x), ColumnData::Float(y)) => count_equal_cells(rows, budget, |r| {
            (x[r] == y[r], x[r].is_nan() && y[r].is_nan())
        }),
        (ColumnData::Int(x), ColumnData::Int(y))
        | (ColumnData::Datetime(x), ColumnData::Datetime(y)) => {
            count_equal_cells(rows, budget, |r| {
                (
                    x[r].is_some() && x[r] == y[r],
                    x[r].is_none() && y[r].is_none(),
                )
            })
        }
        (ColumnData::Bool(x), ColumnData::Bool(y)) => count_equal_cells(rows, budget, |r| {
            (
                x[r].is_some() && x[r] == y[r],
                x[r].is_none() && y[r].is_none(),
            )
        }),
        (ColumnData::Str(x), ColumnData::Str(y)) => {
            let map = str_map.as_deref().unwrap_or_default();
            count_equal_cells(rows, budget, |r| {
                let (ca, cb) = (x.codes[r], y.codes[r]);
                if ca == MISSING_CODE || cb == MISSING_CODE {
                    (false, ca == cb)
                } else {
                    (ca == map[cb as usize], false)
                }
            })
        }
        _ => (false, false),
    }
}

/// The counting behind [`compare_columns`] for one pair of column types: `cell(r)` says
/// whether row `r` holds equal present values and whether both cells are missing. Rows go
/// in blocks, each counted without a branch per cell; the scan stops after the block in
/// which the columns are known to be neither identical nor almost duplicated.
pub(super) fn count_equal_cells(
    rows: usize,
    budget: usize,
    cell: impl Fn(usize) -> (bool, bool),
) -> (bool, bool) {
    const BLOCK: usize = 1024;
    let (mut eq, mut not_eq, mut identical) = (0usize, 0usize, true);
    let mut start = 0;
    while start < rows {
        let end = (start + BLOCK).min(rows);
        let (mut block_eq, mut block_differ) = (0usize, 0usize);
        for r in start..end {
            let (e, both_missing) = cell(r);
            block_eq += usize::from(e);
            block_differ += usize::from(!e && !both_missing);
        }
        eq += block_eq;
        not_eq += (end - start) - block_eq;
        identical &= block_differ == 0;
        if !identical && not_eq > budget {
            return (false, false);
        }
        start = end;
    }
    (
        identical,
        eq as f64 / rows as f64 >= ALMOST_DUPLICATED_THRESHOLD,
    )
}
