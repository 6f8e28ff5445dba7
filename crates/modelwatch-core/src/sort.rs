//! Sorting of numeric columns (`f64` and `i64`), the step every distribution statistic
//! starts with.
//!
//! Hand-written rather than taken from a radix sort crate: `voracious_radix_sort` 1.2 panics
//! with an index out of bounds on ordinary data (100,000 values with 27 distinct values in a
//! narrow band around 10.0, kept as the test `narrow_band_with_many_ties` below). The
//! standard library's unstable sort is correct but slower: `cargo run --release -p
//! modelwatch-core --example sort_speed [rows]` compares the two on the same columns, and
//! docs/performance.md has the figures.
//!
//! The algorithm is a most-significant-digit radix sort on order-preserving integer keys:
//!
//! 1. Every value is replaced in place by a `u64` key whose unsigned order is the value's
//!    total order (for `f64`: flip all bits of negatives, set the sign bit of positives; for
//!    `i64`: flip the sign bit); the same pass finds the smallest and largest key. The keys
//!    are mapped back to values in place at the end, so the column needs one scratch buffer
//!    of its own length (kept per thread and reused) and nothing else. Callers that collect
//!    a column anyway (dropping missing values) make the keys while collecting and call
//!    [`sort_from_keys`], or [`sort_keys`] when they only need the sorted keys; both hand
//!    the sorted keys over chunk by chunk while each chunk is still in the cache, so mapping
//!    back or counting runs costs no pass of its own over the column.
//! 2. The keys' spread `max - min` decides a shift so that `(key - min) >> shift` falls in
//!    about `n / 2` buckets (at most 2^16, so the counters stay in cache). Within one binary
//!    exponent the keys are linear in the value, and across exponents they are close to
//!    logarithmic, so both evenly spread and long-tailed data fill the buckets fairly evenly.
//!    A counting pass and a scatter pass move the keys into their buckets in a scratch
//!    buffer; each bucket is finished there by a branch-free sorting network (2 to 16 keys,
//!    most buckets), an insertion sort (up to 32) or the standard unstable sort on the keys,
//!    and the sorted keys are copied back into the column.
//! 3. Columns longer than `TWO_LEVELS` (2^18) are first split into only 2^`TOP_BITS` (256)
//!    buckets, into the scratch buffer, and each of those (now small enough for the core's
//!    cache) is sorted by step 2 back into its place in the column. Scattering a million keys
//!    straight into 2^16 buckets spread over 8 MB misses the cache and the TLB on almost
//!    every write; 256 write positions do not.
//!
//! Columns with few distinct values (one value in more than 1/16 of a strided sample of
//! 512) go to the standard sort instead, which is linear on runs of equal values. Columns
//! whose keys span fewer values than the column is long (integer codes, counts, years: the
//! keys of consecutive integers are consecutive) are sorted by counting, in two passes.
//!
//! The result is exactly `sort_unstable_by(total_cmp)`: equal keys are equal values, so the
//! order among ties does not show.

/// A value with an order-preserving `u64` key, stored in 8 bytes so that a column can hold
/// its own keys while it is sorted.
pub trait SortKey: Copy + bytemuck::Pod {
    /// A key whose unsigned order is the value's total order.
    fn sort_key(self) -> u64;
    /// The value whose key is `key` (the inverse of [`SortKey::sort_key`]).
    fn from_sort_key(key: u64) -> Self;
}

impl SortKey for f64 {
    /// IEEE 754 total order (as `f64::total_cmp`): -NaN < -inf < ... < -0.0 < 0.0 < ... <
    /// inf < NaN.
    #[inline(always)]
    fn sort_key(self) -> u64 {
        // Negatives: all bits flipped; others: the sign bit set. Without a branch, the
        // sign bit spread over the word chooses the mask.
        let bits = self.to_bits();
        bits ^ ((((bits as i64) >> 63) as u64) | (1 << 63))
    }

    #[inline(always)]
    fn from_sort_key(key: u64) -> f64 {
        // Keys with the top bit set came from non-negatives (clear it); others from
        // negatives (flip all bits back).
        f64::from_bits(key ^ ((key >> 63).wrapping_sub(1) | (1 << 63)))
    }
}

impl SortKey for i64 {
    #[inline(always)]
    fn sort_key(self) -> u64 {
        (self as u64) ^ (1 << 63)
    }

    #[inline(always)]
    fn from_sort_key(key: u64) -> i64 {
        (key ^ (1 << 63)) as i64
    }
}

/// Below this length the standard sort is used directly.
const SMALL: usize = 256;
/// Buckets at most this long (and longer than the largest sorting network's 16) are finished
/// with an insertion sort.
const INSERTION: usize = 32;
/// At most 2^MAX_BITS buckets in one pass.
const MAX_BITS: u32 = 16;
/// Columns longer than this are split into 2^TOP_BITS buckets first.
const TWO_LEVELS: usize = 1 << 18;
/// Buckets of the first of two levels.
const TOP_BITS: u32 = 8;

/// Sorts `values` ascending in the total order of [`SortKey`].
pub fn sort<T: SortKey>(values: &mut [T]) {
    let keys: &mut [u64] = bytemuck::cast_slice_mut(values);
    let (mut lo, mut hi) = (u64::MAX, 0u64);
    for k in keys.iter_mut() {
        let key = T::sort_key(bytemuck::cast(*k));
        *k = key;
        lo = lo.min(key);
        hi = hi.max(key);
    }
    sort_from_keys(values, lo, hi);
}

/// Sorts a column whose elements hold, as raw bits, the [`SortKey`] keys of its values (all
/// within `lo..=hi`), and turns each key back into its value, in place. For callers that
/// make the keys while collecting the values (dropping missing ones on the way), which saves
/// [`sort`]'s own pass over the column.
pub fn sort_from_keys<T: SortKey>(slots: &mut [T], lo: u64, hi: u64) {
    const { assert!(size_of::<T>() == 8 && align_of::<T>() == 8) };
    let keys: &mut [u64] = bytemuck::cast_slice_mut(slots);
    sort_keys(keys, lo, hi, |chunk| {
        for k in chunk {
            *k = bytemuck::cast(T::from_sort_key(*k));
        }
    });
}

/// The keys of `values` (at most `capacity` of them are expected), collected in one pass with
/// their smallest and largest key (`(u64::MAX, 0)` when empty), for [`sort_keys`]. Callers
/// filter missing values out of `values` on the way.
pub fn keys_with_bounds<T: SortKey>(
    values: impl Iterator<Item = T>,
    capacity: usize,
) -> (Vec<u64>, (u64, u64)) {
    let mut keys = Vec::with_capacity(capacity);
    let (mut lo, mut hi) = (u64::MAX, 0u64);
    for x in values {
        let k = x.sort_key();
        lo = lo.min(k);
        hi = hi.max(k);
        keys.push(k);
    }
    (keys, (lo, hi))
}

/// [`keys_with_bounds`] of the values of a slice that `key` marks as kept (it returns each
/// value with that mark), in fewer instructions per value. Every value's key is written
/// (into a vector of the slice's exact length, with no capacity check per value), the bounds
/// skip the dropped values without a branch, and only a column that dropped some is then
/// compacted in a second pass (missing values are rare, but fall anywhere: a branch on them
/// in the first pass would be mispredicted on each one).
pub fn kept_keys<T: Copy, K: SortKey>(
    values: &[T],
    key: impl Fn(T) -> (K, bool),
) -> (Vec<u64>, (u64, u64)) {
    // Values at even and odd positions keep bounds of their own: two independent chains of
    // minima and maxima, which the processor runs side by side. The keys are written into
    // the vector's spare capacity: with `push`, the call on its growth path keeps the bounds
    // in memory instead of registers.
    let n = values.len();
    let (mut lo, mut hi, mut lo_odd, mut hi_odd) = (u64::MAX, 0u64, u64::MAX, 0u64);
    let mut kept = 0;
    let mut keys: Vec<u64> = Vec::with_capacity(n);
    let out = &mut keys.spare_capacity_mut()[..n];
    let mut out_pairs = out.chunks_exact_mut(2);
    let pairs = values.chunks_exact(2);
    let rest = pairs.remainder();
    for (o, pair) in (&mut out_pairs).zip(pairs) {
        let ((a, keep_a), (b, keep_b)) = (key(pair[0]), key(pair[1]));
        let (a, b) = (a.sort_key(), b.sort_key());
        kept += usize::from(keep_a) + usize::from(keep_b);
        lo = lo.min(if keep_a { a } else { u64::MAX });
        hi = hi.max(if keep_a { a } else { 0 });
        lo_odd = lo_odd.min(if keep_b { b } else { u64::MAX });
        hi_odd = hi_odd.max(if keep_b { b } else { 0 });
        o[0].write(a);
        o[1].write(b);
    }
    for (o, &v) in out_pairs.into_remainder().iter_mut().zip(rest) {
        let (a, keep) = key(v);
        let a = a.sort_key();
        kept += usize::from(keep);
        lo = lo.min(if keep { a } else { u64::MAX });
        hi = hi.max(if keep { a } else { 0 });
        o.write(a);
    }
    // SAFETY: the loops above wrote all `n` slots: `out` has `n` of them, in pairs and (for an
    // odd `n`) one left over, zipped with `values`' `n` values in the same pairs and rest.
    unsafe { keys.set_len(n) };
    let (lo, hi) = (lo.min(lo_odd), hi.max(hi_odd));
    if kept < values.len() {
        let mut next = 0;
        for (i, &v) in values.iter().enumerate() {
            if key(v).1 {
                keys[next] = keys[i];
                next += 1;
            }
        }
        keys.truncate(next);
    }
    (keys, (lo, hi))
}

/// The smallest and largest of `keys` (`(u64::MAX, 0)` when empty), for [`sort_keys`].
pub fn key_bounds(keys: &[u64]) -> (u64, u64) {
    keys.iter()
        .fold((u64::MAX, 0), |(lo, hi), &k| (lo.min(k), hi.max(k)))
}

/// Sorts `keys` (order-preserving keys of [`SortKey`], all within `lo..=hi`) ascending in
/// place, and hands the sorted result to `visit` as consecutive chunks, in order, each right
/// after it was sorted (while it is still in the cache). Equal keys always fall in the same
/// chunk. `visit` may rewrite a chunk (for example map the keys back to values); the slice
/// holds whatever it left there.
///
/// Callers that collect keys themselves (dropping missing values on the way) save the pass
/// that [`sort`] spends turning values into keys, and can read distinct counts or runs off the
/// chunks without another pass over the column.
pub fn sort_keys(keys: &mut [u64], lo: u64, hi: u64, mut visit: impl FnMut(&mut [u64])) {
    let n = keys.len();
    if n >= SMALL && hi >= lo && hi - lo < (n as u64).min(DENSE_MAX) {
        counting_sort(keys, lo, (hi - lo) as usize + 1);
        visit(keys);
        return;
    }
    if n < SMALL || many_repeats(keys) {
        keys.sort_unstable();
        visit(keys);
        return;
    }
    SCRATCH.with_borrow_mut(|scratch| {
        if scratch.len() < n {
            // Grown, never shrunk: a fresh buffer per column would be zeroed (calloc of
            // reused memory) and faulted in again for every sort.
            scratch.resize(n, 0);
        }
        let scratch = &mut scratch[..n];
        if n > TWO_LEVELS && hi > lo {
            // First level: the keys go to `scratch` in 2^TOP_BITS buckets, and each bucket is
            // sorted back into its place in `keys`.
            for range in split_by_range(keys, scratch, (lo, hi), TOP_BITS) {
                sort_into(&scratch[range.clone()], &mut keys[range.clone()], None);
                visit(&mut keys[range]);
            }
        } else {
            sort_into(keys, scratch, Some((lo, hi)));
            keys.copy_from_slice(scratch);
            visit(keys);
        }
    });
}

/// Columns shorter than this are sorted whole by [`group_keys`].
const GROUP_MIN: usize = 1 << 14;
/// [`group_keys`] aims at about this many keys per bucket (a hash table for that many fits
/// the core's second-level cache).
const GROUP_BUCKET: usize = 1 << 10;
/// A bucket of [`group_keys`] longer than this is split again by its own key range.
const GROUP_LARGEST: usize = 1 << 15;

/// Splits `keys` (order-preserving keys of [`SortKey`], all within `lo..=hi`) into chunks of
/// ascending key ranges, each holding every copy of its keys, and hands each chunk to `visit`
/// with whether it is sorted. For statistics that need equal keys together everywhere (a
/// distinct count, the most common value) but the order only at a few ranks (quantiles):
/// the chunks that hold one of `ranks` are sorted and written back into place, so that
/// afterwards `keys[r]` is the `r`-th smallest key for each `r` in `ranks`. The other
/// positions of `keys` hold unspecified keys afterwards.
///
/// Short columns, dense keys and columns with few distinct values are sorted whole, as by
/// [`sort_keys`] (every chunk is then sorted). Longer ones take a scatter pass into up to
/// 256 buckets of the key range (the first level of [`sort_keys`]); a bucket still longer
/// than 2^15 keys is split again by its own range, at most twice (data on both sides of zero,
/// or over many binary exponents, fills few buckets of the whole range: their keys are far
/// apart); a bucket of one repeated key is not split. Only the buckets that hold a rank are
/// sorted. The rest reach `visit` unsorted, however long, and are counted with a small hash
/// table instead of the second level of [`sort_keys`], which would cost a scatter and many
/// tiny sorts, each with a mispredicted branch or two.
pub fn group_keys(
    keys: &mut [u64],
    lo: u64,
    hi: u64,
    ranks: &[usize],
    mut visit: impl FnMut(&[u64], bool),
) {
    let n = keys.len();
    if n < GROUP_MIN || hi <= lo || hi - lo < (n as u64).min(DENSE_MAX) || many_repeats(keys) {
        sort_keys(keys, lo, hi, |chunk| visit(chunk, true));
        return;
    }
    SCRATCH.with_borrow_mut(|scratch| {
        if scratch.len() < n {
            scratch.resize(n, 0);
        }
        let level = Level {
            base: 0,
            dst_is_keys: false,
            depth: 0,
        };
        group_level(keys, &mut scratch[..n], (lo, hi), level, ranks, &mut visit);
    });
}

/// Where one call of [`group_level`] works: the position of its keys in the whole column,
/// which of the two buffers it scatters into, and how many splits lie above it.
#[derive(Clone, Copy)]
struct Level {
    base: usize,
    dst_is_keys: bool,
    depth: u32,
}

/// One split of [`group_keys`]: scatters `src` (keys within `lo..=hi`) into `dst` by bucket,
/// and finishes each bucket (sorts it into the keys' buffer, splits it again into the other
/// buffer, or hands it over unsorted).
fn group_level(
    src: &mut [u64],
    dst: &mut [u64],
    (lo, hi): (u64, u64),
    level: Level,
    ranks: &[usize],
    visit: &mut dyn FnMut(&[u64], bool),
) {
    let bits = (src.len() / GROUP_BUCKET).max(2).ilog2().min(TOP_BITS);
    for range in split_by_range(src, dst, (lo, hi), bits) {
        let at = level.base + range.start..level.base + range.end;
        if range.len() > GROUP_LARGEST && level.depth < 2 {
            let (l, h) = key_bounds(&dst[range.clone()]);
            if l < h {
                let inner = Level {
                    base: at.start,
                    dst_is_keys: !level.dst_is_keys,
                    depth: level.depth + 1,
                };
                group_level(
                    &mut dst[range.clone()],
                    &mut src[range],
                    (l, h),
                    inner,
                    ranks,
                    visit,
                );
                continue;
            }
        }
        if ranks.iter().any(|r| at.contains(r)) {
            // The bucket ends sorted in the keys' buffer.
            sort_into(&dst[range.clone()], &mut src[range.clone()], None);
            if level.dst_is_keys {
                dst[range.clone()].copy_from_slice(&src[range.clone()]);
                visit(&dst[range], true);
            } else {
                visit(&src[range], true);
            }
        } else {
            visit(&dst[range], false);
        }
    }
}

thread_local! {
    /// Each thread's scratch buffer for [`sort_keys`], as long as the longest column it
    /// sorted.
    static SCRATCH: std::cell::RefCell<Vec<u64>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Moves `src` (keys within `lo..=hi`, `lo < hi`) into `dst` in 2^`bits` buckets of equal
/// key spans, and returns the non-empty buckets' ranges, in key order.
fn split_by_range(
    src: &[u64],
    dst: &mut [u64],
    (lo, hi): (u64, u64),
    bits: u32,
) -> Vec<std::ops::Range<usize>> {
    let shift = (u64::BITS - (hi - lo).leading_zeros()).saturating_sub(bits);
    let starts = scatter(src, dst, lo, shift, 1 << bits);
    starts
        .windows(2)
        .map(|w| w[0] as usize..w[1] as usize)
        .filter(|r| !r.is_empty())
        .collect()
}

/// Moves `src` into `dst` by bucket (`(key - lo) >> shift`, `buckets` of them) and returns
/// where each bucket starts, plus `src.len()` at the end.
fn scatter(src: &[u64], dst: &mut [u64], lo: u64, shift: u32, buckets: usize) -> Vec<u32> {
    let bucket = |k: u64| ((k - lo) >> shift) as usize;
    let mut starts = vec![0u32; buckets + 1];
    for &k in src {
        starts[bucket(k) + 1] += 1;
    }
    for b in 1..=buckets {
        starts[b] += starts[b - 1];
    }
    let mut next = starts.clone();
    for &k in src {
        let b = bucket(k);
        dst[next[b] as usize] = k;
        next[b] += 1;
    }
    starts
}

/// Writes the keys of `src`, sorted, to `dst` (same length), with about `n / 2` buckets of
/// one radix pass finished by small sorts. `bounds` are the smallest and largest key when
/// already known.
fn sort_into(src: &[u64], dst: &mut [u64], bounds: Option<(u64, u64)>) {
    let n = src.len();
    let (lo, hi) = bounds.unwrap_or_else(|| {
        src.iter()
            .fold((u64::MAX, 0), |(lo, hi), &k| (lo.min(k), hi.max(k)))
    });
    if n <= INSERTION || hi <= lo {
        dst.copy_from_slice(src);
        insertion_sort(dst);
        return;
    }
    let spread_bits = u64::BITS - (hi - lo).leading_zeros();
    let bits = (n / 2).max(2).ilog2().min(MAX_BITS).min(spread_bits);
    let starts = scatter(src, dst, lo, spread_bits - bits, 1 << bits);
    // Most buckets hold a handful of keys. A bucket crowded by a value repeated many times
    // (codes, rounded readings) goes to the standard sort, linear on runs of equal values.
    for w in starts.windows(2) {
        let part = &mut dst[w[0] as usize..w[1] as usize];
        match part.len() {
            0..=16 => small_sort(part),
            len if len <= INSERTION => insertion_sort(part),
            _ => part.sort_unstable(),
        }
    }
}

/// The compare-exchanges of Batcher's odd-even merge sort for `N` inputs (`N` a power of
/// two; `C` of them: 5 for 4 inputs, 19 for 8, 63 for 16), in the usual iterative order:
/// for merge widths `p` = 1, 2, 4, ..., and distances `k` = `p`, `p / 2`, ..., 1, the pairs
/// `(i + j, i + j + k)` that lie in one merged block of `2p` (K. E. Batcher, "Sorting networks
/// and their applications", AFIPS 1968; checked on all zero-one inputs by a test).
const fn odd_even_network<const N: usize, const C: usize>() -> [(usize, usize); C] {
    let mut out = [(0, 0); C];
    let mut c = 0;
    let mut p = 1;
    while p < N {
        let mut k = p;
        while k >= 1 {
            let mut j = k % p;
            while j + k < N {
                let mut i = 0;
                while i < k && i + j + k < N {
                    if (i + j) / (2 * p) == (i + j + k) / (2 * p) {
                        out[c] = (i + j, i + j + k);
                        c += 1;
                    }
                    i += 1;
                }
                j += 2 * k;
            }
            k /= 2;
        }
        p *= 2;
    }
    assert!(c == C, "C must be the network's size");
    out
}

const NETWORK_4: [(usize, usize); 5] = odd_even_network::<4, 5>();
const NETWORK_8: [(usize, usize); 19] = odd_even_network::<8, 19>();
const NETWORK_16: [(usize, usize); 63] = odd_even_network::<16, 63>();

/// Sorts `part` (at most 16 keys) with the smallest of the networks that takes it.
#[inline(always)]
fn small_sort(part: &mut [u64]) {
    match part.len() {
        0 | 1 => {}
        2..=4 => network_sort::<4, 5>(part, &NETWORK_4),
        5..=8 => network_sort::<8, 19>(part, &NETWORK_8),
        _ => network_sort::<16, 63>(part, &NETWORK_16),
    }
}

/// Sorts `part` (1 to `N` keys) with the compare-exchanges of a sorting network for `N`
/// inputs, `u64::MAX` filling the inputs past its end.
///
/// The buckets of [`sort_into`] hold two to four keys on average, but they are equal spans of
/// the key range, so where the data are dense (the middle of a normal sample) they hold ten
/// or more. An insertion sort spends about one mispredicted branch per key on them (where its
/// inner loop stops); it took most of `sort_into`'s time in the drift report's profile. Here
/// every step is branch-free: a compare-exchange is a minimum and a maximum (conditional
/// moves); reads past the end repeat the last key and are replaced by the filler; the
/// write-back goes from the last input down, the writes past the end all landing on the
/// last position, which the write of its own value then settles. The filler sorts last and
/// equals any real `u64::MAX` key, so the first `len` outputs are exactly the bucket's keys,
/// sorted.
#[inline(always)]
fn network_sort<const N: usize, const C: usize>(part: &mut [u64], network: &[(usize, usize); C]) {
    let last = part.len() - 1;
    debug_assert!(last < N);
    let mut v = [u64::MAX; N];
    for (i, x) in v.iter_mut().enumerate() {
        let k = part[i.min(last)];
        *x = if i <= last { k } else { u64::MAX };
    }
    for &(a, b) in network {
        let (x, y) = (v[a], v[b]);
        v[a] = x.min(y);
        v[b] = x.max(y);
    }
    for i in (0..N).rev() {
        part[i.min(last)] = v[i];
    }
}

/// Keys spanning fewer than this many values (and fewer than the column's length) are sorted
/// by counting: 4 MB of counters at most.
const DENSE_MAX: u64 = 1 << 20;

/// Sorts `keys` (all in `lo..lo + span`) by counting each value and writing the runs back:
/// linear in `keys.len() + span`, for dense keys such as integer codes, counts, ages or years
/// (integer columns, whose keys are consecutive for consecutive values).
fn counting_sort(keys: &mut [u64], lo: u64, span: usize) {
    let mut counts = vec![0u32; span];
    for &k in keys.iter() {
        counts[(k - lo) as usize] += 1;
    }
    let mut at = 0;
    for (offset, &count) in counts.iter().enumerate() {
        let count = count as usize;
        keys[at..at + count].fill(lo + offset as u64);
        at += count;
    }
}

/// Whether a strided sample of 512 keys (all of them when fewer) has one key in more than
/// 1/16 of it: the mark of a column with few distinct values (codes, rounded readings), for
/// which the standard sort is faster (it is linear on runs of equal values) and the buckets
/// would be lopsided.
fn many_repeats(keys: &[u64]) -> bool {
    const SAMPLE: usize = 512;
    let count = SAMPLE.min(keys.len());
    let step = (keys.len() / SAMPLE).max(1);
    let mut sample: Vec<u64> = (0..count).map(|i| keys[i * step]).collect();
    sample.sort_unstable();
    let mut run = 1;
    for w in sample.windows(2) {
        run = if w[0] == w[1] { run + 1 } else { 1 };
        if run > count / 16 {
            return true;
        }
    }
    false
}

#[inline]
fn insertion_sort(part: &mut [u64]) {
    for i in 1..part.len() {
        let k = part[i];
        let mut j = i;
        while j > 0 && part[j - 1] > k {
            part[j] = part[j - 1];
            j -= 1;
        }
        part[j] = k;
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

    /// Columns long enough for the two-level split, including one whose values all fall in
    /// one first-level bucket and one with a heavy tail.
    #[test]
    fn two_levels() {
        let mut g = Synth::new(19);
        let n = TWO_LEVELS + 12_345;
        check_f64((0..n).map(|_| g.normal() * 10.0 + 100.0).collect());
        check_f64((0..n).map(|_| (g.normal() * 4.0).exp()).collect());
        check_f64((0..n).map(|_| 1e6 + g.normal() * 1e-6).collect());
        let mut v: Vec<f64> = (0..n).map(|_| g.normal()).collect();
        v[0] = f64::INFINITY;
        v[1] = -f64::NAN;
        v[n - 1] = f64::MIN_POSITIVE;
        check_f64(v);
        let mut ints: Vec<i64> = (0..n).map(|_| (g.normal() * 1e15) as i64).collect();
        let mut want = ints.clone();
        want.sort_unstable();
        sort(&mut ints);
        assert_eq!(ints, want);
    }

    /// [`sort_keys`] hands over the sorted keys in order, in chunks that never split a run
    /// of equal keys, at every size (one level, two levels, few distinct values).
    #[test]
    fn sort_keys_visits_sorted_chunks() {
        let mut g = Synth::new(23);
        for &n in &[0usize, 5, 300, 70_000, TWO_LEVELS + 999] {
            for round in [false, true] {
                let mut keys: Vec<u64> = (0..n)
                    .map(|_| {
                        let x = g.normal() * 100.0;
                        (if round { x.round() } else { x }).sort_key()
                    })
                    .collect();
                let mut want = keys.clone();
                want.sort_unstable();
                let (lo, hi) = key_bounds(&keys);
                let mut seen: Vec<u64> = Vec::new();
                let mut chunks = 0;
                sort_keys(&mut keys, lo, hi, |chunk| {
                    if let (Some(&last), Some(&first)) = (seen.last(), chunk.first()) {
                        assert!(last < first, "a run of equal keys was split");
                    }
                    seen.extend_from_slice(chunk);
                    chunks += 1;
                });
                assert_eq!(seen, want, "n = {n}");
                assert_eq!(keys, want, "n = {n}");
                if n > TWO_LEVELS && !round {
                    assert!(chunks > 1, "two levels visit more than one chunk");
                }
            }
        }
    }

    /// [`group_keys`] hands over every key once, in chunks of ascending key ranges that keep
    /// equal keys together, says truly which are sorted, and leaves the keys at the asked
    /// ranks in their sorted places; long columns of many distinct values do skip sorting.
    #[test]
    fn group_keys_keeps_equal_keys_together() {
        let mut g = Synth::new(29);
        for &n in &[
            0usize,
            5,
            GROUP_MIN - 1,
            GROUP_MIN,
            100_000,
            TWO_LEVELS + 999,
        ] {
            for shape in 0..4 {
                let keys: Vec<u64> = (0..n)
                    .map(|_| {
                        let x = g.normal();
                        match shape {
                            0 => x,
                            1 => (x * 1e4).round(),
                            2 => (x * 6.0).exp(),
                            _ => (x * 3.0).round(),
                        }
                        .sort_key()
                    })
                    .collect();
                let mut want = keys.clone();
                want.sort_unstable();
                let (lo, hi) = key_bounds(&keys);
                let ranks: Vec<usize> = [0, n / 4, n / 2 + 1, n * 3 / 4, n.saturating_sub(1)]
                    .into_iter()
                    .filter(|&r| r < n)
                    .collect();
                let mut got = keys.clone();
                let mut seen: Vec<u64> = Vec::new();
                let mut unsorted = 0;
                group_keys(&mut got, lo, hi, &ranks, |chunk, sorted| {
                    let mut c = chunk.to_vec();
                    if sorted {
                        assert!(c.is_sorted());
                    } else {
                        unsorted += 1;
                        c.sort_unstable();
                    }
                    if let (Some(&last), Some(&first)) = (seen.last(), c.first()) {
                        assert!(last < first, "chunks overlap or split equal keys");
                    }
                    seen.extend_from_slice(&c);
                });
                assert_eq!(seen, want, "n {n} shape {shape}");
                for &r in &ranks {
                    assert_eq!(got[r], want[r], "n {n} shape {shape} rank {r}");
                }
                if n >= 100_000 && shape < 2 {
                    assert!(unsorted > 0, "n {n} shape {shape} was sorted whole");
                }
            }
        }
    }

    /// [`kept_keys`] gives what [`keys_with_bounds`] gives on the same values filtered, with
    /// dropped values first, last, in runs and everywhere.
    #[test]
    fn kept_keys_match_the_filtered_iterator() {
        let mut g = Synth::new(41);
        for n in [0usize, 1, 2, 7, 1000] {
            for drop_every in [0usize, 1, 2, 3, 50] {
                let values: Vec<f64> = (0..n)
                    .map(|i| {
                        if drop_every > 0 && i % drop_every == 0 {
                            f64::NAN
                        } else {
                            g.normal() * 1e3
                        }
                    })
                    .collect();
                let want = keys_with_bounds(values.iter().copied().filter(|x| !x.is_nan()), n);
                let got = kept_keys(&values, |x| (x, !x.is_nan()));
                assert_eq!(got, want, "n {n} drop_every {drop_every}");
            }
        }
        let ints = [None, Some(-3i64), None, Some(i64::MAX), Some(0), None];
        let want = keys_with_bounds(ints.iter().flatten().copied(), ints.len());
        assert_eq!(kept_keys(&ints, |x| (x.unwrap_or(0), x.is_some())), want);
        assert_eq!(want.1, ((-3i64).sort_key(), i64::MAX.sort_key()));
    }

    /// Each network sorts every zero-one input, so it sorts every input (Knuth's zero-one
    /// principle, TAOCP vol. 3, 5.3.4, exercise 11), and has the expected size.
    #[test]
    fn networks_sort_every_zero_one_input() {
        fn check(n: usize, network: &[(usize, usize)]) {
            for bits in 0u32..1 << n {
                let mut v: Vec<u32> = (0..n).map(|i| bits >> i & 1).collect();
                for &(a, b) in network {
                    assert!(a < b && b < n);
                    if v[a] > v[b] {
                        v.swap(a, b);
                    }
                }
                assert!(v.windows(2).all(|w| w[0] <= w[1]), "n {n} input {bits:b}");
            }
        }
        check(4, &NETWORK_4);
        check(8, &NETWORK_8);
        check(16, &NETWORK_16);
    }

    /// `small_sort` (the networks) sorts every length it takes, with ties and with real
    /// `u64::MAX` keys (equal to the networks' filler) among the keys.
    #[test]
    fn network_sort_matches_the_standard_sort() {
        let mut g = Synth::new(8);
        for len in 0..=16 {
            for round in 0..200 {
                let mut keys: Vec<u64> = (0..len)
                    .map(|_| match round % 3 {
                        0 => (g.uniform() * 2f64.powi(40)) as u64,
                        1 => (g.uniform() * 3.0) as u64,
                        _ => [0, 7, u64::MAX][(g.uniform() * 3.0) as usize],
                    })
                    .collect();
                let mut want = keys.clone();
                want.sort_unstable();
                small_sort(&mut keys);
                assert_eq!(keys, want, "len {len} round {round}");
            }
        }
    }

    #[test]
    fn keys_round_trip() {
        for x in [
            0.0,
            -0.0,
            1.5,
            -1.5,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            f64::NAN,
            -f64::NAN,
        ] {
            assert_eq!(f64::from_sort_key(x.sort_key()).to_bits(), x.to_bits());
        }
        for x in [0i64, -1, 1, i64::MIN, i64::MAX] {
            assert_eq!(i64::from_sort_key(x.sort_key()), x);
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
    fn dense_integers_by_counting() {
        let mut g = Synth::new(12);
        // spans below, at and above the column length, around zero and at both ends of i64
        for &(n, span, base) in &[
            (1_000usize, 10i64, 0i64),
            (1_000, 999, -500),
            (1_000, 1_000, 7),
            (1_000, 1_001, 7),
            (50_000, 3_000, 1_000),
            (300, 5, i64::MIN),
            (300, 5, i64::MAX - 4),
        ] {
            let mut v: Vec<i64> = (0..n)
                .map(|_| base + (g.uniform() * span as f64) as i64 % span)
                .collect();
            // the smallest and largest value present, so the keys span exactly `span`
            v[0] = base;
            v[1] = base + (span - 1);
            let mut want = v.clone();
            want.sort_unstable();
            sort(&mut v);
            assert_eq!(v, want, "n {n} span {span} base {base}");
            // the sorted keys reach `visit` whole, in one chunk (all these columns are short
            // enough for one level)
            let mut keys: Vec<u64> = want.iter().rev().map(|&x| x.sort_key()).collect();
            let (lo, hi) = key_bounds(&keys);
            assert_eq!(hi - lo, span as u64 - 1);
            let mut visits = 0;
            sort_keys(&mut keys, lo, hi, |chunk| {
                visits += 1;
                assert!(chunk.is_sorted());
            });
            let values = |keys: &[u64]| {
                keys.iter()
                    .map(|&k| i64::from_sort_key(k))
                    .collect::<Vec<_>>()
            };
            assert_eq!(values(&keys), want);
            assert_eq!(visits, 1);
            // and the counting sort itself, on the keys shuffled
            let mut keys: Vec<u64> = want.iter().map(|&x| x.sort_key()).collect();
            for i in (1..keys.len()).rev() {
                keys.swap(i, (g.uniform() * (i + 1) as f64) as usize % (i + 1));
            }
            counting_sort(&mut keys, lo, span as usize);
            assert_eq!(values(&keys), want);
        }
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
