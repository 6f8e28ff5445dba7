//! Statistics of numerical and datetime columns: distinct values, the most common value and
//! quantiles from keys that order like the values, without sorting a long column whole.

use super::{share, NumericStats};
use crate::sort::{kept_keys, SortKey};
use crate::stats::special::{compensated_sum_map, quantile_linear_at};
use crate::table::{ColumnData, MISSING_CODE};

/// Order-preserving keys ([`SortKey`]) of the non-missing values as `f64` (infinities kept,
/// `-0.0` folded into `0.0`), in data order, with the smallest and largest key. Keys rather
/// than values so that the sort does not need a pass of its own to make them.
pub(super) fn numeric_keys(data: &ColumnData) -> Result<(Vec<u64>, (u64, u64)), String> {
    Ok(match data {
        ColumnData::Float(v) => kept_keys(v, |x| (x + 0.0, !x.is_nan())),
        ColumnData::Int(v) | ColumnData::Datetime(v) => {
            kept_keys(v, |x| (x.unwrap_or(0) as f64, x.is_some()))
        }
        ColumnData::Bool(v) => {
            kept_keys(v, |b| (f64::from(u8::from(b == Some(true))), b.is_some()))
        }
        ColumnData::Str(s) => {
            let parsed: Vec<Option<f64>> = s
                .labels
                .iter()
                .map(|l| l.trim().parse::<f64>().ok())
                .collect();
            let present = s.codes.iter().filter(|&&c| c != MISSING_CODE);
            if let Some(&c) = present.clone().find(|&&c| parsed[c as usize].is_none()) {
                return Err(format!(
                    "value `{}` of a column typed numerical is not a number",
                    s.labels[c as usize]
                ));
            }
            let values = present.filter_map(|&c| parsed[c as usize]);
            let kept = values.filter(|x| !x.is_nan()).map(|x| x + 0.0);
            crate::sort::keys_with_bounds(kept, data.len())
        }
    })
}

/// The values behind [`numeric_keys`] again, in data order, without collecting them (for the
/// rare tie between most common values, after the keys were regrouped in place). Labels that do
/// not parse were rejected by [`numeric_keys`] already.
pub(super) fn numeric_in_order(data: &ColumnData) -> Box<dyn Iterator<Item = f64> + '_> {
    match data {
        ColumnData::Float(v) => Box::new(v.iter().filter(|x| !x.is_nan()).map(|x| x + 0.0)),
        ColumnData::Int(v) => Box::new(v.iter().flatten().map(|&x| x as f64)),
        ColumnData::Bool(v) => Box::new(v.iter().flatten().map(|&b| f64::from(u8::from(b)))),
        ColumnData::Datetime(v) => Box::new(v.iter().flatten().map(|&x| x as f64)),
        ColumnData::Str(s) => Box::new(s.codes.iter().filter_map(move |&c| {
            let x = s.labels.get(c as usize)?.trim().parse::<f64>().ok()?;
            (!x.is_nan()).then_some(x + 0.0)
        })),
    }
}

pub(super) struct Frequencies<T> {
    pub(super) distinct: usize,
    pub(super) most_common: Option<T>,
    pub(super) most_common_count: usize,
}

/// Distinct count, longest run and the keys of the longest runs of a column's keys (see
/// [`for_each_repeat`]). Runs of length 1 are not listed: when every value occurs once, all
/// are tied and the first in data order wins anyway.
#[derive(Default)]
pub(super) struct Runs {
    pub(super) distinct: usize,
    /// The longest run's length (1 when every key occurs once, 0 without keys).
    pub(super) best: usize,
    /// Keys whose run has length `best`, ascending, when `best >= 2`.
    pub(super) tied: Vec<u64>,
}

impl Runs {
    /// A run of `len >= 2` equal keys, met in any order.
    pub(super) fn run(&mut self, key: u64, len: usize) {
        if len > self.best {
            self.best = len;
            self.tied.clear();
        }
        if len == self.best {
            self.tied.push(key);
        }
    }

    /// Completes the runs of `n` keys, `distinct` of them distinct, once every run of two or
    /// more was given to [`Runs::run`].
    pub(super) fn finish(&mut self, distinct: usize, n: usize) {
        self.distinct = distinct;
        if n > 0 {
            self.best = self.best.max(1);
        }
        self.tied.sort_unstable();
    }

    /// Counts the runs of `keys` (all within `lo..=hi`), grouping them in place with
    /// [`for_each_repeat`]: afterwards `keys[r]` is the `r`-th smallest key for each of
    /// `ranks`, and the other positions hold unspecified keys.
    pub(super) fn grouped(keys: &mut [u64], bounds: (u64, u64), ranks: &[usize]) -> Runs {
        let mut runs = Runs::default();
        let distinct = for_each_repeat(keys, bounds, ranks, |key, len| runs.run(key, len));
        runs.finish(distinct, keys.len());
        runs
    }

    /// Distinct count and most common value. Ties for the most common value go to the one
    /// met first in data order, so `in_order` (the values in data order) is called only when
    /// there is a tie, or when every value occurs once.
    pub(super) fn frequencies<T: SortKey, I: Iterator<Item = T>>(
        &self,
        in_order: impl FnOnce() -> I,
    ) -> Frequencies<T> {
        let most_common = match self.tied.as_slice() {
            [] => in_order().next(),
            [one] => Some(T::from_sort_key(*one)),
            tied => in_order().find(|v| tied.binary_search(&v.sort_key()).is_ok()),
        };
        Frequencies {
            distinct: self.distinct,
            most_common,
            most_common_count: self.best,
        }
    }
}

/// Groups `keys` (all within `lo..=hi`) with [`crate::sort::group_keys`], so that afterwards
/// `keys[r]` is the `r`-th smallest key for each of `ranks`, calls `repeated(key, count)` for
/// every key that occurs more than once (in no particular order) and returns the number of
/// distinct keys. Sorted chunks are read by [`sorted_repeats`], unsorted ones by a
/// [`KeyTable`].
pub(super) fn for_each_repeat(
    keys: &mut [u64],
    (lo, hi): (u64, u64),
    ranks: &[usize],
    mut repeated: impl FnMut(u64, usize),
) -> usize {
    let mut table = KeyTable::default();
    let mut distinct = 0;
    crate::sort::group_keys(keys, lo, hi, ranks, |chunk, sorted| {
        distinct += if sorted {
            sorted_repeats(chunk, &mut repeated)
        } else {
            table.repeats(chunk, &mut repeated)
        };
    });
    distinct
}

/// [`KeyTable::repeats`] of sorted keys. Most neighbours differ, so the loop only compares
/// each key with the one before it (a well-predicted branch) and works on a run only where
/// two neighbours are equal; the distinct count is the length minus the equal neighbours.
pub(super) fn sorted_repeats(sorted: &[u64], mut repeated: impl FnMut(u64, usize)) -> usize {
    let mut repeats = 0;
    let mut i = 1;
    while i < sorted.len() {
        if sorted[i] != sorted[i - 1] {
            i += 1;
            continue;
        }
        let key = sorted[i];
        let start = i - 1;
        let mut end = i + 1;
        while end < sorted.len() && sorted[end] == key {
            end += 1;
        }
        repeated(key, end - start);
        repeats += end - start - 1;
        // `sorted[end]` differs from `key`, so the next comparison is the one after it
        i = end + 1;
    }
    sorted.len() - repeats
}

/// A hash table that finds the keys occurring more than once in a chunk of keys (in any
/// order), kept from chunk to chunk so that its memory is allocated once per column.
#[derive(Default)]
pub(super) struct KeyTable {
    pub(super) slots: Vec<u64>,
    /// How often each slot's key was met again; all zero between calls of
    /// [`KeyTable::repeats`] (it clears the slots it used), so it is never cleared whole.
    pub(super) counts: Vec<u32>,
    /// The slots met again, in the order of their first repeat.
    pub(super) hit_slots: Vec<u32>,
}

impl KeyTable {
    /// Calls `repeated(key, count)` for every key that occurs more than once in `keys` (in no
    /// particular order) and returns the number of distinct keys.
    ///
    /// Open addressing with linear probing and at least twice as many slots as keys; key 0
    /// marks an empty slot and is counted on the side. A key met again counts in a second
    /// array, touched only then (most keys occur once).
    pub(super) fn repeats(&mut self, keys: &[u64], mut repeated: impl FnMut(u64, usize)) -> usize {
        let size = (2 * keys.len()).next_power_of_two().max(2);
        let bits = size.trailing_zeros();
        let mask = size - 1;
        self.slots.clear();
        self.slots.resize(size, 0);
        if self.counts.len() < size {
            self.counts.resize(size, 0);
        }
        self.hit_slots.clear();
        let slots = &mut self.slots[..];
        let counts = &mut self.counts[..size];
        let mut hits = 0;
        let mut zeros = 0usize;
        for &k in keys {
            if k == 0 {
                zeros += 1;
                continue;
            }
            let mut i = slot_of(k, bits);
            loop {
                let s = slots[i];
                if s == 0 {
                    slots[i] = k;
                    break;
                }
                if s == k {
                    if counts[i] == 0 {
                        self.hit_slots.push(i as u32);
                    }
                    counts[i] += 1;
                    hits += 1;
                    break;
                }
                i = (i + 1) & mask;
            }
        }
        if zeros >= 2 {
            repeated(0, zeros);
        }
        for &i in &self.hit_slots {
            let i = i as usize;
            repeated(slots[i], counts[i] as usize + 1);
            counts[i] = 0;
        }
        keys.len() - hits - zeros.saturating_sub(1)
    }
}

/// The hash table slot of key `k` in a table of 2^`bits` slots: the top bits of the 128-bit
/// product with an odd constant (2^64 / golden ratio), its two halves folded together so
/// that both the high and the low bits of the key move it. Keys within one bucket of
/// [`crate::sort::group_keys`] share their top bits, and values such as integers stored as
/// floats differ only in their high mantissa bits.
#[inline(always)]
pub(super) fn slot_of(k: u64, bits: u32) -> usize {
    let p = u128::from(k) * 0x9E37_79B9_7F4A_7C15;
    (((p as u64) ^ ((p >> 64) as u64)) >> (64 - bits)) as usize
}

/// Statistics of the non-missing values of a column of `rows` rows, given as their
/// [`numeric_keys`] (in data order; regrouped here, in place). `in_order` gives the same values
/// in data order again, for ties between most common values.
pub(super) fn numeric_stats<'a>(
    mut keys: Vec<u64>,
    (lo, hi): (u64, u64),
    in_order: impl FnOnce() -> Box<dyn Iterator<Item = f64> + 'a>,
    rows: usize,
) -> (NumericStats, Frequencies<f64>) {
    let n = keys.len();
    let value = f64::from_sort_key;
    // Sums run in data order, before the keys are regrouped.
    let sum = compensated_sum_map(&keys, value);
    // The sum of squares is taken here too, in data order, since the keys are regrouped below.
    // With a sum that is not finite (an overflow, or infinities, where it is not used) every
    // term is infinite or NaN, so its result does not depend on the order anyway.
    let squares_sum = (n >= 2).then(|| {
        let m = sum / n as f64;
        compensated_sum_map(&keys, |k| {
            let d = value(k) - m;
            d * d
        })
    });
    // Infinities are the smallest or largest keys, and rare: counted only when present.
    let count_of = |key: u64| keys.iter().filter(|&&k| k == key).count();
    let neg_inf = if n > 0 && lo == f64::NEG_INFINITY.sort_key() {
        count_of(lo)
    } else {
        0
    };
    let pos_inf = if n > 0 && hi == f64::INFINITY.sort_key() {
        count_of(hi)
    } else {
        0
    };
    let (has_pos, has_neg, infinite) = (pos_inf > 0, neg_inf > 0, pos_inf + neg_inf);
    // Only the quantiles need the order, and only at these ranks.
    let mut ranks = Vec::with_capacity(6);
    for q in [0.25, 0.5, 0.75] {
        quantile_linear_at(n, q, |i| {
            ranks.push(i);
            0.0
        });
    }
    let runs = Runs::grouped(&mut keys, (lo, hi), &ranks);
    let sorted = keys;
    let mean = if n == 0 {
        None
    } else {
        match (has_pos, has_neg) {
            (true, true) => None,
            (true, false) => Some(f64::INFINITY),
            (false, true) => Some(f64::NEG_INFINITY),
            (false, false) => Some(sum / n as f64),
        }
    };
    let std = match mean {
        Some(_) if n >= 2 && infinite == 0 => {
            let ss = squares_sum.expect("taken for two values or more");
            Some((ss / (n - 1) as f64).sqrt())
        }
        _ => None,
    };
    let freq = runs.frequencies(in_order);
    let at = |i: usize| value(sorted[i]);
    let stats = NumericStats {
        infinite,
        infinite_share: share(infinite, rows),
        min: (n > 0).then(|| value(lo)),
        max: (n > 0).then(|| value(hi)),
        mean,
        std,
        q25: quantile_linear_at(n, 0.25, at),
        q50: quantile_linear_at(n, 0.5, at),
        q75: quantile_linear_at(n, 0.75, at),
    };
    (stats, freq)
}
