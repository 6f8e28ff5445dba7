//! The short-number reader on the SSE2 registers every x86-64 processor has.

use std::arch::x86_64::*;

use super::scan::{ScannedNumber, EXACT_POW10};

/// `KEEP[e]`: `0xFF` in the `e` first bytes, `0` in the rest (a byte mask by length).
const KEEP: [[u8; 16]; 17] = {
    let mut t = [[0u8; 16]; 17];
    let mut e = 0;
    while e <= 16 {
        let mut i = 0;
        while i < e {
            t[e][i] = 0xFF;
            i += 1;
        }
        e += 1;
    }
    t
};

#[inline(always)]
fn load(b: &[u8; 16]) -> __m128i {
    // SAFETY: `b` is sixteen readable bytes, and this load has no alignment requirement.
    unsafe { _mm_loadu_si128(b.as_ptr().cast()) }
}

// SAFETY (every `unsafe` block below): the intrinsics only need SSE2, which this module
// is compiled with (`cfg` above; it is part of every x86-64 target's baseline).

/// The window's bytes minus `'0'`, and a 16-bit mask of its bytes that are not digits
/// (digits are exactly the bytes whose difference is at most 9, unsigned).
#[inline(always)]
fn digits_and_others(block: &[u8; 16]) -> (__m128i, u32) {
    unsafe {
        let t = _mm_sub_epi8(load(block), _mm_set1_epi8(b'0' as i8));
        let digit = _mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8(9)), t);
        (t, !(_mm_movemask_epi8(digit) as u32) & 0xFFFF)
    }
}

/// The 16-digit decimal whose digits are a zero, the bytes `0..n_int` of `t` moved one
/// byte up (to `1..=n_int`, over the dot at `n_int`), its bytes `n_int + 1..len`, and
/// zeros.
#[inline(always)]
fn joined_value(t: __m128i, n_int: usize, len: usize) -> u64 {
    let int_part = load(&KEEP[n_int + 1]);
    let keep = load(&KEEP[len]);
    let eights = unsafe {
        let moved = _mm_slli_si128::<1>(t);
        let digits = _mm_and_si128(
            _mm_or_si128(
                _mm_and_si128(int_part, moved),
                _mm_andnot_si128(int_part, t),
            ),
            keep,
        );
        // Each 32-bit lane of a `pmaddwd` factor holds the 16-bit pair (10^k, 1): the
        // earlier (lower) lane is the more significant group.
        let zero = _mm_setzero_si128();
        let tens = _mm_set1_epi32(0x0001_000A);
        let pairs = _mm_packs_epi32(
            _mm_madd_epi16(_mm_unpacklo_epi8(digits, zero), tens),
            _mm_madd_epi16(_mm_unpackhi_epi8(digits, zero), tens),
        );
        let fours = _mm_madd_epi16(pairs, _mm_set1_epi32(0x0001_0064));
        let fours = _mm_packs_epi32(fours, fours);
        _mm_cvtsi128_si64(_mm_madd_epi16(fours, _mm_set1_epi32(0x0001_2710))) as u64
    };
    // the first eight digits in the low half, the last eight in the high half
    (eights & 0xFFFF_FFFF) * 100_000_000 + (eights >> 32)
}

/// An optional `-`, then at most 15 bytes of digits with at most one `.` (at least one
/// digit, no exponent), with 16 bytes left in the buffer after the sign.
///
/// A minimum and a compare give the window's non-digit positions: the first is the dot
/// (or the end), the second the end after a dot. The integer digits are then moved one
/// byte up, over the dot, so that all digits of the number sit together at positions
/// `1..end` with zeros around them. Read as a 16-digit decimal that is
/// `D = W * 10^(16 - end)` for the mantissa `W` without the dot, and `D / 10^(15 - n_int)`
/// equals `W / 10^n_frac`. `D < 10^15 < 2^53` and the power of ten is exact, so the one
/// division is correctly rounded (Clinger's fast path, as in
/// [`super::scan::scan_number_bytewise`]).
///
/// The 16 digits become `D` by multiply-adds of neighbours (`pmaddwd`): pairs, fours,
/// then eights, the technique of Lemire's `parse_eight_digits` (see
/// [`super::scan::eight_digits_value`]) on vector lanes.
#[inline(always)]
pub(super) fn scan_short_number(bytes: &[u8], start: usize) -> Option<ScannedNumber> {
    let neg = *bytes.get(start)? == b'-';
    let p = start + usize::from(neg);
    let block: &[u8; 16] = bytes.get(p..p + 16)?.try_into().ok()?;
    let (t, others) = digits_and_others(block);
    let n_int = others.trailing_zeros() as usize;
    if n_int >= 16 {
        return None;
    }
    let dot = block[n_int] == b'.';
    let end = if dot {
        (others & (others - 1)).trailing_zeros() as usize
    } else {
        n_int
    };
    // The end inside the window, one digit at least, and no exponent (`e` and `E` are
    // the only two bytes that are `e` with the ASCII case bit set).
    if end >= 16 || end <= usize::from(dot) || block[end] | 0x20 == b'e' {
        return None;
    }
    let d = joined_value(t, n_int, if dot { end } else { n_int + 1 });
    let magnitude = (d as i64 as f64) / EXACT_POW10[15 - n_int];
    Some(ScannedNumber {
        end: p + end,
        value: f64::from_bits(magnitude.to_bits() | (neg as u64) << 63),
        is_int: !dot,
        next: Some(block[end]),
    })
}
