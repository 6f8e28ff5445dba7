//! Sorting of numeric columns (`f64` and `i64`), the step every distribution statistic
//! starts with.
//!
//! Hand-written because the radix sort crate used before (`voracious_radix_sort` 1.2)
//! panicked with an index out of bounds on ordinary data: 100,000 values with 27 distinct
//! values in a narrow band around 10.0 (see `narrow_band_with_many_ties` below), which made
//! `modelwatch report` crash. The standard library's unstable sort is correct; this one
//! takes about 0.7x its time on 100,000 continuous values (normal or log-normal) and
//! 0.85-0.9x on 1,000,000, on this project's 2-core machine
//! (`cargo run --release -p modelwatch-core --example sort_speed [rows]`, best of 7 on the
//! same columns). Columns with few distinct values are handed to the standard sort.
//!
//! The algorithm is one most-significant-digit pass of a radix sort on order-preserving
//! integer keys, followed by a small sort of each bucket:
//!
//! 1. Every value maps to a `u64` key whose unsigned order is the value's total order (for
//!    `f64`: flip all bits of negatives, set the sign bit of positives; for `i64`: flip the
//!    sign bit). One pass finds the smallest and largest key.
//! 2. The keys' spread `max - min` decides a shift so that `(key - min) >> shift` falls in
//!    about `n / 2` buckets (at most 2^16, so the counters stay in cache). Within one
//!    binary exponent the keys are linear in the value, and across exponents they are
//!    close to logarithmic, so both evenly spread and long-tailed data fill the buckets
//!    fairly evenly.
//! 3. A counting pass and a scatter pass put each value in its bucket (stable, into a second
//!    buffer); each bucket is then finished with an insertion sort when small, or the
//!    standard unstable sort when large.
//!
//! Columns with few distinct values (one value in more than 1/16 of a strided sample of
//! 512, or one bucket holding more than 1/16 of the values) go to the standard sort
//! instead, which is linear on runs of equal values.
//!
//! The result is exactly `sort_unstable_by(total_cmp)`: equal keys are equal values, so the
//! order among ties does not show.

/// A value with an order-preserving `u64` key.
pub trait SortKey: Copy {
    /// A key whose unsigned order is the value's total order.
    fn sort_key(self) -> u64;
}

impl SortKey for f64 {
    /// IEEE 754 total order (as `f64::total_cmp`): -NaN < -inf < ... < -0.0 < 0.0 < ... <
    /// inf < NaN.
    #[inline(always)]
    fn sort_key(self) -> u64 {
        let bits = self.to_bits();
        if bits >> 63 == 1 {
            !bits
        } else {
            bits | (1 << 63)
        }
    }
}

impl SortKey for i64 {
    #[inline(always)]
    fn sort_key(self) -> u64 {
        (self as u64) ^ (1 << 63)
    }
}

/// Below this length the standard sort is used directly.
const SMALL: usize = 256;
/// Buckets at most this long are finished with an insertion sort.
const INSERTION: usize = 24;
/// At most 2^MAX_BITS buckets.
const MAX_BITS: u32 = 16;

/// Sorts `values` ascending in the total order of [`SortKey`].
pub fn sort<T: SortKey + Default>(values: &mut Vec<T>) {
    let n = values.len();
    if n < SMALL || many_repeats(values) {
        values.sort_unstable_by_key(|x| x.sort_key());
        return;
    }
    let (mut lo, mut hi) = (u64::MAX, 0u64);
    for &x in values.iter() {
        let k = x.sort_key();
        lo = lo.min(k);
        hi = hi.max(k);
    }
    let spread = hi - lo;
    if spread == 0 {
        return; // all equal
    }
    let spread_bits = u64::BITS - spread.leading_zeros();
    let bits = (n / 2).ilog2().min(MAX_BITS).min(spread_bits);
    let shift = spread_bits - bits;
    let buckets = 1usize << bits;
    let bucket = |x: T| ((x.sort_key() - lo) >> shift) as usize;

    // starts[b] = first slot of bucket b; starts[buckets] = n.
    let mut starts = vec![0u32; buckets + 1];
    for &x in values.iter() {
        starts[bucket(x) + 1] += 1;
    }
    // A few values repeated many times (codes, rounded readings) crowd into a few buckets;
    // the standard sort handles runs of equal values in linear time without the scatter.
    let fullest = starts.iter().max().copied().unwrap_or(0) as usize;
    if fullest > n / 16 {
        values.sort_unstable_by_key(|x| x.sort_key());
        return;
    }
    for b in 1..=buckets {
        starts[b] += starts[b - 1];
    }
    let mut next = starts.clone();
    let mut out = vec![T::default(); n];
    for &x in values.iter() {
        let b = bucket(x);
        out[next[b] as usize] = x;
        next[b] += 1;
    }
    for b in 0..buckets {
        let part = &mut out[starts[b] as usize..starts[b + 1] as usize];
        if part.len() <= INSERTION {
            insertion_sort(part);
        } else {
            part.sort_unstable_by_key(|x| x.sort_key());
        }
    }
    *values = out;
}

/// Whether a strided sample of 512 values (all of them when fewer) has one value in more
/// than 1/16 of it: the mark of a column with few distinct values (codes, rounded
/// readings), for which the standard sort is faster (it is linear on runs of equal values)
/// and the buckets would be lopsided.
fn many_repeats<T: SortKey>(values: &[T]) -> bool {
    const SAMPLE: usize = 512;
    let count = SAMPLE.min(values.len());
    let step = (values.len() / SAMPLE).max(1);
    let mut keys: Vec<u64> = (0..count).map(|i| values[i * step].sort_key()).collect();
    keys.sort_unstable();
    let mut run = 1;
    for w in keys.windows(2) {
        run = if w[0] == w[1] { run + 1 } else { 1 };
        if run > count / 16 {
            return true;
        }
    }
    false
}

#[inline]
fn insertion_sort<T: SortKey>(part: &mut [T]) {
    for i in 1..part.len() {
        let x = part[i];
        let k = x.sort_key();
        let mut j = i;
        while j > 0 && part[j - 1].sort_key() > k {
            part[j] = part[j - 1];
            j -= 1;
        }
        part[j] = x;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::Synth;

    fn check_f64(values: Vec<f64>) {
        let mut want = values.clone();
        want.sort_unstable_by(f64::total_cmp);
        let mut got = values;
        sort(&mut got);
        assert_eq!(got.len(), want.len());
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g.to_bits(), w.to_bits(), "position {i}");
        }
    }

    /// The data on which `voracious_radix_sort` 1.2 panicked (index out of bounds).
    #[test]
    fn narrow_band_with_many_ties() {
        let mut g = Synth::new(12345);
        for _ in 0..100_000 {
            g.normal(); // the first column of the original data
        }
        let values: Vec<f64> = (0..100_000)
            .map(|_| (g.normal() * 3.0 + 1e7).round() / 1e6)
            .collect();
        check_f64(values);
    }

    #[test]
    fn distributions_and_sizes() {
        let mut g = Synth::new(7);
        for &n in &[0usize, 1, 2, 3, 255, 256, 257, 1000, 4096, 100_000] {
            check_f64((0..n).map(|_| g.normal() * 10.0 + 100.0).collect());
            check_f64((0..n).map(|_| (g.normal() * 3.0).exp()).collect());
            check_f64((0..n).map(|_| (g.normal() * 5.0).round()).collect());
            check_f64((0..n).map(|i| (n - i) as f64).collect());
            check_f64((0..n).map(|i| i as f64 * 1e-300).collect());
            check_f64(vec![4.25; n]);
        }
    }

    #[test]
    fn special_values_take_their_total_order_places() {
        let mut g = Synth::new(3);
        let mut v: Vec<f64> = (0..5000).map(|_| g.normal()).collect();
        for (i, x) in [
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            -f64::MIN_POSITIVE,
            5e-324,
            -5e-324,
            f64::NAN,
        ]
        .into_iter()
        .enumerate()
        {
            v[i * 400] = x;
            v[i * 400 + 1] = x;
        }
        check_f64(v.clone());
        let mut s = v;
        sort(&mut s);
        assert_eq!(s[0], f64::NEG_INFINITY);
        assert!(s[s.len() - 1].is_nan());
    }

    #[test]
    fn integers() {
        let mut g = Synth::new(11);
        for &n in &[10usize, 300, 50_000] {
            let mut v: Vec<i64> = (0..n).map(|_| (g.normal() * 1e12) as i64).collect();
            v[0] = i64::MIN;
            v[1] = i64::MAX;
            v[2] = 0;
            v[3] = -1;
            let mut want = v.clone();
            want.sort_unstable();
            sort(&mut v);
            assert_eq!(v, want);
        }
    }
}
