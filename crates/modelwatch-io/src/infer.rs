//! Field-level parsing and per-column type inference shared by the CSV and JSON Lines readers.
//!
//! The rules follow pandas' C parser (`pandas.read_csv` with default options, pandas 2.3)
//! where that matters for parity with Evidently, with two deliberate differences: an integer
//! column with missing values stays an integer column, and ISO-8601 date/datetime columns are
//! detected as datetimes (pandas leaves them as strings unless `parse_dates` is given).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use modelwatch_core::table::{ColumnData, StrColumn, MISSING_CODE};

/// pandas' default missing-value tokens (`pandas._libs.parsers.STR_NA_VALUES`, pandas 2.3).
/// A field equal to one of these (exactly, without trimming) is missing.
pub const NA_TOKENS: [&str; 19] = [
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
];

/// Whether `s` is one of pandas' default missing-value tokens ([`NA_TOKENS`]).
#[inline]
pub fn is_na(s: &[u8]) -> bool {
    match s.len() {
        0 => true,
        2 => s == b"NA",
        3 => matches!(s, b"#NA" | b"N/A" | b"NaN" | b"n/a" | b"nan"),
        4 => matches!(
            s,
            b"#N/A" | b"-NaN" | b"-nan" | b"<NA>" | b"NULL" | b"None" | b"null"
        ),
        6 => s == b"1.#IND",
        7 => matches!(s, b"-1.#IND" | b"1.#QNAN"),
        8 => matches!(s, b"#N/A N/A" | b"-1.#QNAN"),
        _ => false,
    }
}

/// Strips the spaces and tabs pandas ignores around numbers (`" 1 "` reads as the integer 1).
#[inline]
fn trim_number(s: &[u8]) -> &[u8] {
    let mut a = 0;
    let mut b = s.len();
    while a < b && (s[a] == b' ' || s[a] == b'\t') {
        a += 1;
    }
    while b > a && (s[b - 1] == b' ' || s[b - 1] == b'\t') {
        b -= 1;
    }
    &s[a..b]
}

/// Parses a decimal integer the way pandas does: optional sign, ASCII digits, surrounding
/// spaces/tabs allowed. Returns `None` when the text is not an integer or does not fit in i64
/// (the caller then tries a float).
#[inline]
pub fn parse_int(s: &[u8]) -> Option<i64> {
    let mut s = s;
    if s.first().is_some_and(|&c| c == b' ' || c == b'\t')
        || s.last().is_some_and(|&c| c == b' ' || c == b'\t')
    {
        s = trim_number(s);
    }
    let (neg, digits) = match s.first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + d as u64; // at most 19 digits: cannot overflow u64
    }
    if neg {
        if v <= i64::MAX as u64 + 1 {
            Some((v as i64).wrapping_neg())
        } else {
            None
        }
    } else if v <= i64::MAX as u64 {
        Some(v as i64)
    } else {
        None
    }
}

/// Parses a floating point number with correct rounding (same result as Python's `float()`).
///
/// Accepts what pandas' C parser accepts: decimal and exponent forms (`1e5`, `.5`, `1.`,
/// `+1.5`), and `inf`/`infinity` in any letter case with an optional sign. Surrounding
/// spaces/tabs are allowed except around infinities (pandas reads `" inf "` as a string).
/// Rejected like pandas: NaN spellings (the missing-value tokens are handled before this),
/// hexadecimal, digit separators, and finite literals that overflow to infinity (`1e400`).
#[inline]
pub fn parse_float(s: &[u8]) -> Option<f64> {
    let t = if s.first().is_some_and(|&c| c == b' ' || c == b'\t')
        || s.last().is_some_and(|&c| c == b' ' || c == b'\t')
    {
        trim_number(s)
    } else {
        s
    };
    let v: f64 = fast_float2::parse(t).ok()?;
    if v.is_finite() {
        return Some(v);
    }
    if v.is_nan() || t.len() != s.len() {
        return None;
    }
    // An infinity: only the literal spellings count, not an overflowing number.
    let body = match t.first() {
        Some(b'+') | Some(b'-') => &t[1..],
        _ => t,
    };
    if body.first().is_some_and(|c| c.eq_ignore_ascii_case(&b'i')) {
        Some(v)
    } else {
        None
    }
}

/// Exact powers of ten representable as `f64` (10^0 ..= 10^22; 10^23 is not exact).
const EXACT_POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// `10^n` for `n` in `0..=8`.
const POW10_U64: [u64; 9] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

/// Value of eight decimal digits already reduced to `0..=9` per byte, the first digit in the
/// lowest byte (Lemire's `parse_eight_digits_unrolled`, from "Number Parsing at a Gigabyte per
/// Second", 2021, and simdjson): pairs, then quadruples, then the whole, by multiplications.
#[inline(always)]
fn eight_digits_value(d: u64) -> u64 {
    const MASK: u64 = 0x0000_00FF_0000_00FF;
    const MUL1: u64 = 100 + (1_000_000 << 32);
    const MUL2: u64 = 1 + (10_000 << 32);
    let d = d.wrapping_mul(10).wrapping_add(d >> 8);
    ((d & MASK)
        .wrapping_mul(MUL1)
        .wrapping_add(((d >> 16) & MASK).wrapping_mul(MUL2)))
        >> 32
}

/// Appends the run of ASCII digits at `bytes[*i..]` to `w` (wrapping; the caller bounds the
/// digit count), advances `*i` past it and returns its length.
///
/// Eight bytes at a time where the buffer allows (SWAR, "SIMD within a register"): subtracting
/// `'0'` from every byte leaves `0..=9` exactly for digits; a byte is flagged as a non-digit
/// when that difference or the difference plus 0x76 has its top bit set. Borrows and carries
/// only run from a flagged byte towards later bytes, so the lowest flagged byte is exactly the
/// first non-digit. The digits before it are shifted to the top of the word (the vacated low
/// bytes read as leading zeros) and converted by [`eight_digits_value`].
#[inline(always)]
fn read_digits(bytes: &[u8], i: &mut usize, w: &mut u64) -> usize {
    let start = *i;
    while let Some(word) = bytes.get(*i..*i + 8) {
        let word = u64::from_le_bytes(word.try_into().expect("eight bytes"));
        let d = word.wrapping_sub(ASCII_ZEROS);
        let n = (non_digits(word).trailing_zeros() / 8) as usize;
        if n == 0 {
            return *i - start;
        }
        let v = eight_digits_value(d << (8 * (8 - n)));
        *w = w.wrapping_mul(POW10_U64[n]).wrapping_add(v);
        *i += n;
        if n < 8 {
            return *i - start;
        }
    }
    while let Some(&c) = bytes.get(*i) {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        *w = w.wrapping_mul(10).wrapping_add(d as u64);
        *i += 1;
    }
    *i - start
}

/// A plain decimal number read by [`scan_number`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct ScannedNumber {
    /// Index just after the last byte of the number.
    pub end: usize,
    /// The correctly rounded value (what [`parse_float`] returns for the same text).
    pub value: f64,
    /// Whether the text is integer syntax (sign and digits only), so that [`parse_int`]
    /// returns `value as i64` for it.
    pub is_int: bool,
    /// The byte at `end` (`None` at the end of the buffer), which the reader looked at anyway.
    pub next: Option<u8>,
}

/// Reads a plain decimal number (`[+-]digits[.digits][(e|E)[+-]digits]`, at least one
/// mantissa digit) starting at `bytes[start]`, stopping at the first byte that cannot continue
/// it, and returns its value (what [`parse_float`] returns for that text); `None` means "ask
/// [`parse_float`]", never "not a number".
///
/// This is Clinger's fast path (W. D. Clinger, "How to Read Floating Point Numbers
/// Accurately", PLDI 1990, §3; also the first step of Lemire's fast_float, "Number Parsing at a
/// Gigabyte per Second", Software: Practice and Experience 51(8), 2021): when the decimal
/// mantissa `w` is at most 2^53 it is exact as an `f64`, and when `|e| <= 22` so is `10^|e|`;
/// one IEEE multiplication `w * 10^e` or division `w / 10^-e` of two exact operands is then
/// correctly rounded, so the result equals the correctly rounded value of the decimal text.
/// The sign is applied afterwards (round-to-nearest-even is symmetric). More than 19 digits,
/// a larger mantissa or exponent go to the full parser ([`full_precision`]), integers among
/// them to the caller.
#[inline(always)]
pub(crate) fn scan_number(bytes: &[u8], start: usize) -> Option<ScannedNumber> {
    if let Some(n) = scan_short_number(bytes, start) {
        return Some(n);
    }
    scan_number_bytewise(bytes, start)
}

/// `'0'` in every byte of a word.
const ASCII_ZEROS: u64 = 0x3030_3030_3030_3030;

/// Flags (top bit of the byte) the bytes of `w` that are not ASCII digits, exactly up to and
/// including the first such byte; bytes after it may be flagged wrongly (see [`read_digits`]).
#[inline(always)]
fn non_digits(w: u64) -> u64 {
    let d = w.wrapping_sub(ASCII_ZEROS);
    (d | d.wrapping_add(0x7676_7676_7676_7676)) & 0x8080_8080_8080_8080
}

/// Value of the first `n` (`0..=7`) digits of `w` (ASCII, first digit in the lowest byte).
#[cfg(any(test, not(all(target_arch = "x86_64", target_feature = "sse2"))))]
#[inline(always)]
fn leading_digits_value(w: u64, n: u32) -> u64 {
    // Moved to the top of the word, so the vacated low bytes read as leading zeros; two
    // shifts because one shift by 64 (n = 0) would not clear the word.
    eight_digits_value((w.wrapping_sub(ASCII_ZEROS) << (8 * (7 - n))) << 8)
}

/// The common case of [`scan_number`] in fewer instructions, or `None` (then
/// [`scan_number_bytewise`] decides). Where it answers, it gives exactly what
/// [`scan_number_bytewise`] gives (test `short_numbers_match_the_bytewise_reader`). On x86-64
/// the sixteen bytes after the sign are read at once with SSE2 ([`sse2::scan_short_number`],
/// part of the x86-64 baseline, so no runtime check); elsewhere two eight-byte words
/// ([`scan_short_swar`]).
#[inline(always)]
fn scan_short_number(bytes: &[u8], start: usize) -> Option<ScannedNumber> {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        sse2::scan_short_number(bytes, start)
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    {
        scan_short_swar(bytes, start)
    }
}

/// The short-number reader on the SSE2 registers every x86-64 processor has.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod sse2 {
    use std::arch::x86_64::*;

    use super::{ScannedNumber, EXACT_POW10};

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
    /// [`super::scan_number_bytewise`]).
    ///
    /// The 16 digits become `D` by multiply-adds of neighbours (`pmaddwd`): pairs, fours,
    /// then eights, the technique of Lemire's `parse_eight_digits` (see
    /// [`super::eight_digits_value`]) on vector lanes.
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
}

/// [`scan_short_number`] on two eight-byte words: an optional `-`, at most 7 integer digits,
/// optionally a `.` and at most 7 more digits, no exponent, with 16 bytes left in the buffer
/// after the sign.
#[cfg(any(test, not(all(target_arch = "x86_64", target_feature = "sse2"))))]
#[inline(always)]
fn scan_short_swar(bytes: &[u8], start: usize) -> Option<ScannedNumber> {
    let neg = *bytes.get(start)? == b'-';
    let p = start + usize::from(neg);
    let block: &[u8; 16] = bytes.get(p..p + 16)?.try_into().ok()?;
    let word = |at: usize| u64::from_le_bytes(block[at..at + 8].try_into().expect("8 bytes"));
    let int = word(0);
    let n_int = non_digits(int).trailing_zeros() / 8;
    if n_int == 8 {
        return None;
    }
    let after_int = block[n_int as usize];
    let (end, w, n_frac) = if after_int == b'.' {
        let frac_at = n_int as usize + 1;
        let frac = word(frac_at);
        let n_frac = non_digits(frac).trailing_zeros() / 8;
        if n_frac == 8 || n_int + n_frac == 0 {
            return None;
        }
        let w = leading_digits_value(int, n_int) * POW10_U64[n_frac as usize]
            + leading_digits_value(frac, n_frac);
        (frac_at + n_frac as usize, w, n_frac)
    } else {
        if n_int == 0 {
            return None;
        }
        (n_int as usize, leading_digits_value(int, n_int), 0)
    };
    // `e` or `E` (the only two bytes that are `e` with the ASCII case bit set).
    if block[end] | 0x20 == b'e' {
        return None;
    }
    let magnitude = (w as i64 as f64) / EXACT_POW10[n_frac as usize];
    Some(ScannedNumber {
        end: p + end,
        value: f64::from_bits(magnitude.to_bits() | (neg as u64) << 63),
        is_int: after_int != b'.',
        next: Some(block[end]),
    })
}

/// [`scan_number`] one digit run at a time: any length, exponents, a leading `+`.
#[inline(always)]
fn scan_number_bytewise(bytes: &[u8], start: usize) -> Option<ScannedNumber> {
    let mut i = start;
    let neg = match bytes.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let mut w: u64 = 0;
    let mut ndigits = read_digits(bytes, &mut i, &mut w);
    let mut exp: i64 = 0;
    let mut is_int = true;
    if bytes.get(i) == Some(&b'.') {
        is_int = false;
        i += 1;
        let nfrac = read_digits(bytes, &mut i, &mut w);
        ndigits += nfrac;
        exp = -(nfrac as i64);
    }
    if ndigits == 0 {
        return None;
    }
    if let Some(b'e' | b'E') = bytes.get(i) {
        is_int = false;
        i += 1;
        let eneg = match bytes.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let exp_start = i;
        let mut e: i64 = 0;
        while let Some(&c) = bytes.get(i) {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            if e < 1_000_000 {
                e = e * 10 + d as i64;
            }
            i += 1;
        }
        if i == exp_start {
            return None;
        }
        exp += if eneg { -e } else { e };
    }
    // 19 decimal digits always fit in a u64 (10^19 - 1 < 2^64), so with at most 19 `w` did
    // not wrap.
    if ndigits > 19 || w > 1 << 53 {
        return full_precision(bytes, start, i, is_int);
    }
    // `w <= 2^53` converts exactly through `i64`, one instruction (an unsigned conversion is
    // a longer sequence on x86-64).
    let wf = w as i64 as f64;
    let pow = EXACT_POW10.get(exp.unsigned_abs() as usize).copied();
    let magnitude = match pow {
        Some(p) if exp >= 0 => wf * p,
        Some(p) => wf / p,
        None if w == 0 => 0.0,
        None => return full_precision(bytes, start, i, is_int),
    };
    Some(ScannedNumber {
        end: i,
        // The magnitude is never negative, so the sign is its top bit (no branch on a sign
        // that varies from field to field).
        value: f64::from_bits(magnitude.to_bits() | (neg as u64) << 63),
        is_int,
        next: bytes.get(i).copied(),
    })
}

/// The number `bytes[start..end]` that [`scan_number_bytewise`] read but cannot convert the
/// cheap way (more than 19 digits, a mantissa above 2^53, or an exponent beyond 22), converted
/// by the same correctly rounding parser as [`parse_float`], so that such numbers (the 17
/// significant digits of pandas' default `to_csv`, for one) need not go through the general
/// field path. Integer syntax stays with the caller (`is_int` promises a value `parse_int`
/// returns, which a mantissa this long may not fit), and so does a number that overflows to
/// infinity (which [`parse_float`] rejects).
#[inline(never)]
fn full_precision(bytes: &[u8], start: usize, end: usize, is_int: bool) -> Option<ScannedNumber> {
    if is_int {
        return None;
    }
    let value: f64 = fast_float2::parse(&bytes[start..end]).ok()?;
    value.is_finite().then(|| ScannedNumber {
        end,
        value,
        is_int: false,
        next: bytes.get(end).copied(),
    })
}

/// pandas' default boolean spellings (`_true_values` / `_false_values` of the C parser).
#[inline]
pub fn parse_bool(s: &[u8]) -> Option<bool> {
    match s {
        b"True" | b"TRUE" | b"true" => Some(true),
        b"False" | b"FALSE" | b"false" => Some(false),
        _ => None,
    }
}

fn digits(s: &[u8]) -> Option<i64> {
    if s.is_empty() {
        return None;
    }
    let mut v = 0i64;
    for &c in s {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + d as i64;
    }
    Some(v)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Parses an ISO-8601 date or datetime into microseconds since the Unix epoch (UTC).
///
/// Accepted: `YYYY-MM-DD`, optionally followed by `T` or a space and `HH:MM`, `HH:MM:SS` or
/// `HH:MM:SS.f` (1 to 9 fractional digits, truncated to microseconds), optionally followed by
/// `Z` or an offset `+HH:MM`, `+HHMM` or `+HH` (converted to UTC). A datetime without an offset
/// is taken as UTC. Not trimmed: pandas keeps `" 2024-01-05"` verbatim too.
pub fn parse_datetime(s: &[u8]) -> Option<i64> {
    if s.len() < 10 || s[4] != b'-' || s[7] != b'-' {
        return None;
    }
    let y = digits(&s[0..4])?;
    let mo = digits(&s[5..7])?;
    let d = digits(&s[8..10])?;
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) {
        return None;
    }
    let mut micros = days_from_civil(y, mo, d) * 86_400_000_000;
    let mut rest = &s[10..];
    if rest.is_empty() {
        return Some(micros);
    }
    if rest[0] != b'T' && rest[0] != b' ' {
        return None;
    }
    rest = &rest[1..];
    if rest.len() < 5 || rest[2] != b':' {
        return None;
    }
    let h = digits(&rest[0..2])?;
    let mi = digits(&rest[3..5])?;
    if h > 23 || mi > 59 {
        return None;
    }
    micros += (h * 3600 + mi * 60) * 1_000_000;
    rest = &rest[5..];
    if rest.first() == Some(&b':') {
        if rest.len() < 3 {
            return None;
        }
        let sec = digits(&rest[1..3])?;
        if sec > 59 {
            return None;
        }
        micros += sec * 1_000_000;
        rest = &rest[3..];
        if rest.first() == Some(&b'.') {
            let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 || n > 9 {
                return None;
            }
            let frac = &rest[1..1 + n];
            let mut us = 0i64;
            for i in 0..6 {
                us = us * 10 + frac.get(i).map_or(0, |&c| (c - b'0') as i64);
            }
            micros += us;
            rest = &rest[1 + n..];
        }
    }
    match rest {
        [] | [b'Z'] => Some(micros),
        [sign @ (b'+' | b'-'), tz @ ..] => {
            let (oh, om) = match tz {
                [a, b] => (digits(&[*a, *b])?, 0),
                [a, b, b':', c, d] | [a, b, c, d] => (digits(&[*a, *b])?, digits(&[*c, *d])?),
                _ => return None,
            };
            if oh > 23 || om > 59 {
                return None;
            }
            let off = (oh * 3600 + om * 60) * 1_000_000;
            Some(if *sign == b'+' {
                micros - off
            } else {
                micros + off
            })
        }
        _ => None,
    }
}

/// A small, fast, non-cryptographic hasher (FNV-1a over 8-byte words) for string dictionaries.
#[derive(Default)]
pub(crate) struct WordHasher(u64);

impl Hasher for WordHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut h = self.0 ^ 0xcbf2_9ce4_8422_2325;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes(c.try_into().unwrap());
            h = (h ^ w).wrapping_mul(0x0000_0100_0000_01b3).rotate_left(29);
        }
        for &b in chunks.remainder() {
            h = (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = h;
    }

    #[inline]
    fn finish(&self) -> u64 {
        // final avalanche (splitmix64)
        let mut z = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// Dictionary-encodes strings (first-appearance order, like `StrColumnBuilder`, but hashing
/// borrowed slices with a fast hasher and allocating each distinct label once).
pub(crate) struct StrDictBuilder<'a> {
    index: HashMap<&'a str, u32, BuildHasherDefault<WordHasher>>,
    column: StrColumn,
}

impl<'a> StrDictBuilder<'a> {
    pub fn with_capacity(rows: usize) -> Self {
        let mut column = StrColumn::default();
        column.codes.reserve(rows);
        Self {
            index: HashMap::default(),
            column,
        }
    }

    #[inline]
    pub fn push(&mut self, value: Option<&'a str>) {
        let code = match value {
            None => MISSING_CODE,
            Some(s) => match self.index.get(s) {
                Some(&c) => c,
                None => {
                    let c = self.column.labels.len() as u32;
                    self.column.labels.push(s.to_owned());
                    self.index.insert(s, c);
                    c
                }
            },
        };
        self.column.codes.push(code);
    }

    pub fn finish(self) -> StrColumn {
        self.column
    }
}

/// How the text values of a column that is not numeric are interpreted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TextKind {
    /// Every value is missing.
    AllMissing,
    Int,
    Float,
    Bool,
    Datetime,
    Str,
}

/// Infers the type of a column from its raw text values. `None` is a missing value, and so is
/// any text for which `na` says so (CSV: pandas' NA tokens; JSON strings: nothing).
pub(crate) fn infer_text_kind<'a>(
    values: impl Iterator<Item = Option<&'a str>>,
    na: fn(&[u8]) -> bool,
) -> TextKind {
    let (mut int, mut float, mut boolean, mut dt, mut any) = (true, true, true, true, false);
    for v in values {
        let Some(v) = v else { continue };
        let b = v.as_bytes();
        if na(b) {
            continue;
        }
        any = true;
        if int && parse_int(b).is_none() {
            int = false;
        }
        if !int && float && parse_float(b).is_none() {
            float = false;
        }
        if boolean && parse_bool(b).is_none() {
            boolean = false;
        }
        if dt && parse_datetime(b).is_none() {
            dt = false;
        }
        if !int && !float && !boolean && !dt {
            return TextKind::Str;
        }
    }
    if !any {
        TextKind::AllMissing
    } else if int {
        TextKind::Int
    } else if float {
        TextKind::Float
    } else if boolean {
        TextKind::Bool
    } else {
        TextKind::Datetime
    }
}

/// No text is a missing value (JSON strings: only `null` is missing).
pub(crate) fn never_na(_: &[u8]) -> bool {
    false
}

/// Builds column data from raw text values (used for columns that are not plain numbers).
pub(crate) fn text_column<'a, I>(values: I, na: fn(&[u8]) -> bool) -> ColumnData
where
    I: Iterator<Item = Option<&'a str>> + Clone + ExactSizeIterator,
{
    let n = values.len();
    let present = move |v: Option<&'a str>| v.filter(|s| !na(s.as_bytes()));
    match infer_text_kind(values.clone(), na) {
        TextKind::AllMissing => ColumnData::Float(vec![f64::NAN; n]),
        TextKind::Int => ColumnData::Int(
            values
                .map(|v| present(v).and_then(|s| parse_int(s.as_bytes())))
                .collect(),
        ),
        TextKind::Float => ColumnData::Float(
            values
                .map(|v| {
                    present(v)
                        .and_then(|s| parse_float(s.as_bytes()))
                        .unwrap_or(f64::NAN)
                })
                .collect(),
        ),
        TextKind::Bool => ColumnData::Bool(
            values
                .map(|v| present(v).and_then(|s| parse_bool(s.as_bytes())))
                .collect(),
        ),
        TextKind::Datetime => ColumnData::Datetime(
            values
                .map(|v| present(v).and_then(|s| parse_datetime(s.as_bytes())))
                .collect(),
        ),
        TextKind::Str => {
            // Every value goes into the dictionary as it is; the missing-value tokens are
            // looked for once per distinct label afterwards, not once per row.
            let mut b = StrDictBuilder::with_capacity(n);
            for v in values {
                b.push(v);
            }
            let mut column = b.finish();
            drop_missing_labels(&mut column, na);
            ColumnData::Str(column)
        }
    }
}

/// Turns the labels of `column` that `na` calls missing into missing values: their codes
/// become [`MISSING_CODE`] and the other labels keep their order (of first appearance).
fn drop_missing_labels(column: &mut StrColumn, na: fn(&[u8]) -> bool) {
    let missing: Vec<bool> = column.labels.iter().map(|l| na(l.as_bytes())).collect();
    if !missing.contains(&true) {
        return;
    }
    let mut kept = 0u32;
    let new_code: Vec<u32> = missing
        .iter()
        .map(|&m| {
            if m {
                MISSING_CODE
            } else {
                kept += 1;
                kept - 1
            }
        })
        .collect();
    let mut is_missing = missing.iter();
    column
        .labels
        .retain(|_| !is_missing.next().expect("one flag per label"));
    for c in column.codes.iter_mut() {
        if *c != MISSING_CODE {
            *c = new_code[*c as usize];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_column_drops_missing_tokens_keeping_label_order() {
        let raw = [
            Some("NA"),
            Some("b"),
            None,
            Some("a"),
            Some(""),
            Some("b"),
            Some("null"),
            Some("c"),
            Some("a"),
            Some("NA"),
        ];
        let ColumnData::Str(col) = text_column(raw.iter().copied(), is_na) else {
            panic!("a text column");
        };
        assert_eq!(col.labels, ["b", "a", "c"]);
        let m = MISSING_CODE;
        assert_eq!(col.codes, [m, 0, m, 1, m, 0, m, 2, 1, m]);
        // no missing token at all: codes as first seen
        let ColumnData::Str(col) =
            text_column([Some("x"), Some("y"), Some("x")].into_iter(), is_na)
        else {
            panic!("a text column");
        };
        assert_eq!(
            (col.labels, col.codes),
            (vec!["x".to_owned(), "y".to_owned()], vec![0, 1, 0])
        );
    }

    #[test]
    fn na_tokens_match_list() {
        for t in NA_TOKENS {
            assert!(is_na(t.as_bytes()), "{t}");
        }
        for t in ["NAN", "Nan", " NA", "na", "none", "N/A ", "0"] {
            assert!(!is_na(t.as_bytes()), "{t}");
        }
    }

    #[test]
    fn ints() {
        assert_eq!(parse_int(b" 1 "), Some(1));
        assert_eq!(parse_int(b"+1"), Some(1));
        assert_eq!(parse_int(b"-0"), Some(0));
        assert_eq!(parse_int(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_int(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_int(b"9223372036854775808"), None);
        assert_eq!(parse_int(b"99999999999999999999"), None);
        assert_eq!(parse_int(b"1.0"), None);
        assert_eq!(parse_int(b"-"), None);
        assert_eq!(parse_int(b""), None);
        assert_eq!(parse_int(b"1 2"), None);
    }

    #[test]
    fn floats_like_pandas() {
        assert_eq!(parse_float(b"1e5"), Some(1e5));
        assert_eq!(parse_float(b".5"), Some(0.5));
        assert_eq!(parse_float(b"1."), Some(1.0));
        assert_eq!(parse_float(b"+1.5"), Some(1.5));
        assert_eq!(parse_float(b" 2.5\t"), Some(2.5));
        assert_eq!(parse_float(b"1E+05"), Some(1e5));
        assert_eq!(parse_float(b"inf"), Some(f64::INFINITY));
        assert_eq!(parse_float(b"-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_float(b"iNf"), Some(f64::INFINITY));
        assert_eq!(parse_float(b"+Inf"), Some(f64::INFINITY));
        assert_eq!(parse_float(b"0.1"), Some(0.1));
        assert_eq!(
            parse_float(b"2.2250738585072014e-308"),
            Some(2.2250738585072014e-308)
        );
        for bad in [
            "NAN", "Nan", "nan", "1_000", "0x10", "1e", "-", "+", "1d5", "1e400", " inf ", "",
            "1 2",
        ] {
            assert_eq!(parse_float(bad.as_bytes()), None, "{bad}");
        }
    }

    /// xorshift64* stream for the randomised fast-path checks.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// Checks one string against the full parsers: whenever the fast path answers for the
    /// whole text, it gives the same bits as `parse_float` (and Rust's own correctly rounded
    /// `str::parse`), and integer syntax exactly when `parse_int` accepts it.
    fn check_scan(s: &str) -> bool {
        let b = s.as_bytes();
        let Some(n) = scan_number(b, 0) else {
            return false;
        };
        if n.end != b.len() {
            return false;
        }
        // the same number inside a record, where the eight-byte digit reads apply
        for tail in [",", "\n", "\r\n", ",0123456789", "x12345678"] {
            let line = format!("{s}{tail}");
            let m = scan_number(line.as_bytes(), 0).unwrap();
            assert_eq!(
                (m.end, m.value.to_bits()),
                (n.end, n.value.to_bits()),
                "{line:?}"
            );
        }
        let full = parse_float(b).unwrap_or_else(|| panic!("{s:?} rejected by parse_float"));
        assert_eq!(n.value.to_bits(), full.to_bits(), "{s:?}");
        let fast2: f64 = fast_float2::parse(b).unwrap();
        assert_eq!(n.value.to_bits(), fast2.to_bits(), "{s:?}");
        let std: f64 = s.parse().unwrap();
        assert_eq!(n.value.to_bits(), std.to_bits(), "{s:?}");
        if n.is_int {
            assert_eq!(parse_int(b), Some(n.value as i64), "{s:?}");
        } else {
            assert_eq!(parse_int(b), None, "{s:?}");
        }
        true
    }

    #[test]
    fn fast_path_edge_cases() {
        for s in [
            "-0.0",
            "0",
            "-0",
            "+0",
            "1e5",
            "1E+05",
            ".5",
            "5.",
            "+1.5",
            "-.5",
            "+.5",
            "5.e3",
            "0.1",
            "-12.345678",
            "9007199254740992",
            "-9007199254740992",
            "123456789012345",
            "1234567890123456",
            "1.234567890123456",
            "0.000000000000001",
            "1e22",
            "1e-22",
            "9007199254740991e22",
            "9007199254740992e-22",
            "0e999999",
            "-0e-999999",
            "0000000000000000001",
            "4.9",
            "2.5",
            "3.5",
        ] {
            assert!(check_scan(s), "{s:?} should take the fast path");
        }
        // Outside Clinger's fast path, read by the full parser (`full_precision`).
        for s in [
            "1.2345678901234567",
            "-0.12345678901234568",
            "1e23",
            "1e-23",
            "2.2250738585072014e-308",
            "1.7976931348623157e308",
            "1.7976931348623157",
            "123456789012345678901234.5",
            "0.000000000000000000000000001",
            "1e-400",
        ] {
            assert!(check_scan(s), "{s:?} should be read");
        }
        // Left to the caller: integers too long for the cheap path (`is_int` promises what
        // `parse_int` returns), and a finite literal that overflows (`parse_float` rejects it).
        for s in [
            "9007199254740993",
            "12345678901234567",
            "00000000000000000001",
            "123456789012345678901234",
            "1e400",
            "1.5e309",
        ] {
            assert!(scan_number(s.as_bytes(), 0).is_none(), "{s:?}");
        }
        // Not plain numbers at all.
        for s in [
            "", "-", "+", ".", "-.", "e5", ".e5", "inf", "-inf", "nan", "1e", "1e+", "1.5e-",
        ] {
            let full = scan_number(s.as_bytes(), 0).filter(|n| n.end == s.len());
            assert!(full.is_none(), "{s:?}");
        }
        // Stops at the first byte that cannot continue the number.
        let n = scan_number(b"x,-1.25,3", 2).unwrap();
        assert_eq!((n.end, n.value, n.is_int), (7, -1.25, false));
        let n = scan_number(b"42\r\n", 0).unwrap();
        assert_eq!((n.end, n.value, n.is_int), (2, 42.0, true));
    }

    #[test]
    fn short_numbers_match_the_bytewise_reader() {
        // Random fields of digits, dots, signs, exponents and other bytes, each followed by
        // random text, read at an offset: wherever a short-number reader answers, the
        // bytewise reader gives the same end, bits, integer flag and next byte. Both short
        // readers are checked: the one this target uses and the eight-byte-word one.
        let alphabet = b"0123456789999000..--+eEE%,\r\nx /:\xAE\xFF";
        type Reader = fn(&[u8], usize) -> Option<ScannedNumber>;
        let readers: [(&str, Reader); 2] = [
            ("scan_short_number", scan_short_number),
            ("scan_short_swar", scan_short_swar),
        ];
        let mut rng = Rng(0x2545_F491_4F6C_DD1D);
        let mut answered = [0usize; 2];
        for _ in 0..400_000 {
            let len = rng.below(24) as usize;
            let mut line: Vec<u8> = (0..rng.below(3)).map(|_| b'7').collect();
            let start = line.len();
            for k in 0..len {
                let c = if k > 0 && rng.below(3) > 0 {
                    b'0' + rng.below(10) as u8
                } else {
                    alphabet[rng.below(alphabet.len() as u64) as usize]
                };
                line.push(c);
            }
            for _ in 0..rng.below(20) {
                line.push(alphabet[rng.below(alphabet.len() as u64) as usize]);
            }
            let fields = |n: ScannedNumber| (n.end, n.value.to_bits(), n.is_int, n.next);
            let slow = scan_number_bytewise(&line, start).map(fields);
            for (k, (name, read)) in readers.iter().enumerate() {
                if let Some(short) = read(&line, start) {
                    answered[k] += 1;
                    assert_eq!(
                        slow,
                        Some(fields(short)),
                        "{name} {:?}",
                        String::from_utf8_lossy(&line[start..])
                    );
                }
            }
        }
        assert!(answered.iter().all(|&n| n > 80_000), "{answered:?}");
        // The limits, for both readers (`None`: left to the bytewise reader).
        let pad = ",0000000000000000";
        for (s, words, sse2) in [
            ("1234567", Some(7), Some(7)),
            ("12345678", None, Some(8)),
            ("123456789012345", None, Some(15)),
            ("1234567890123456", None, None),
            ("-1234567.1234567", Some(16), Some(16)),
            ("1234567.12345678", None, None),
            ("1.2345678901234", None, Some(15)),
            ("1.23456789012345", None, None),
            ("12345678901234.", None, Some(15)),
            (".1234567", Some(8), Some(8)),
            ("-.5", Some(3), Some(3)),
            ("5.", Some(2), Some(2)),
            ("-0", Some(2), Some(2)),
            ("1.2.3", Some(3), Some(3)),
            ("1e5", None, None),
            ("1.5E3", None, None),
            ("+1", None, None),
            ("-", None, None),
            (".", None, None),
            ("-.", None, None),
        ] {
            let line = format!("{s}{pad}");
            let end = |read: Reader| read(line.as_bytes(), 0).map(|n| n.end);
            assert_eq!(end(scan_short_swar), words, "{s:?}");
            if cfg!(all(target_arch = "x86_64", target_feature = "sse2")) {
                assert_eq!(end(scan_short_number), sse2, "{s:?}");
            }
        }
        // too few bytes left for the window
        assert!(scan_short_number(b"1.5,", 0).is_none());
        assert_eq!(scan_number(b"1.5,", 0).map(|n| n.end), Some(3));
    }

    #[test]
    fn fast_path_matches_full_parser_on_random_decimals() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut fast = 0;
        for _ in 0..300_000 {
            let mut s = String::new();
            match rng.below(4) {
                0 => s.push('-'),
                1 if rng.below(4) == 0 => s.push('+'),
                _ => {}
            }
            let ndigits = 1 + rng.below(25) as usize;
            let dot = rng.below(ndigits as u64 + 2) as usize;
            for k in 0..ndigits {
                if k == dot {
                    s.push('.');
                }
                // favour long runs of 9s and 0s, where rounding is hardest
                let d = match rng.below(8) {
                    0 => 9,
                    1 => 0,
                    _ => rng.below(10),
                };
                s.push((b'0' + d as u8) as char);
            }
            if dot == ndigits {
                s.push('.');
            }
            if rng.below(4) == 0 {
                s.push(if rng.below(2) == 0 { 'e' } else { 'E' });
                match rng.below(3) {
                    0 => s.push('-'),
                    1 => s.push('+'),
                    _ => {}
                }
                s.push_str(&rng.below(40).to_string());
            }
            if check_scan(&s) {
                fast += 1;
            }
        }
        // most of these strings are inside the fast path
        assert!(fast > 150_000, "{fast}");
        // values printed the way pandas/numpy write them: 6 decimals, and shortest repr
        for _ in 0..100_000 {
            let x = ((rng.next() >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 400.0;
            assert!(check_scan(&format!("{x:.6}")));
            let repr = format!("{x:?}");
            if !check_scan(&repr) {
                assert_eq!(parse_float(repr.as_bytes()), Some(x));
            }
        }
    }

    #[test]
    fn bools() {
        assert_eq!(parse_bool(b"TRUE"), Some(true));
        assert_eq!(parse_bool(b"false"), Some(false));
        assert_eq!(parse_bool(b" True"), None);
        assert_eq!(parse_bool(b"1"), None);
        assert_eq!(parse_bool(b"yes"), None);
    }

    #[test]
    fn datetimes() {
        let day = 86_400_000_000i64;
        assert_eq!(parse_datetime(b"1970-01-01"), Some(0));
        assert_eq!(parse_datetime(b"1970-01-02"), Some(day));
        assert_eq!(parse_datetime(b"1969-12-31"), Some(-day));
        // 2024-01-05 = 19727 days after the epoch
        assert_eq!(parse_datetime(b"2024-01-05"), Some(19_727 * day));
        let t = 19_727 * day + 10 * 3_600_000_000;
        assert_eq!(parse_datetime(b"2024-01-05 10:00:00"), Some(t));
        assert_eq!(parse_datetime(b"2024-01-05T10:00:00Z"), Some(t));
        assert_eq!(parse_datetime(b"2024-01-05T10:00"), Some(t));
        assert_eq!(parse_datetime(b"2024-01-05T12:00:00+02:00"), Some(t));
        assert_eq!(parse_datetime(b"2024-01-05T08:30:00-0130"), Some(t));
        assert_eq!(parse_datetime(b"2024-01-05T11:00:00+01"), Some(t));
        assert_eq!(
            parse_datetime(b"2024-01-05T10:00:00.123456789"),
            Some(t + 123_456)
        );
        assert_eq!(parse_datetime(b"2024-01-05T10:00:00.5Z"), Some(t + 500_000));
        assert_eq!(parse_datetime(b"2024-02-29"), Some(19_782 * day));
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-1-5",
            "2024-01-05 25:00",
            "2024-01-05X",
            "2024-01-05T10",
            "2024-01-05T10:00:00.",
            "2024-01-05T10:00:00+5",
            " 2024-01-05",
            "20240105",
            "2024-01-05T10:00:61",
        ] {
            assert_eq!(parse_datetime(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn text_inference() {
        let k = |v: &[&str]| infer_text_kind(v.iter().map(|s| Some(*s)), is_na);
        assert_eq!(k(&["1", "", "NA", "-3"]), TextKind::Int);
        assert_eq!(k(&["1", "2.5"]), TextKind::Float);
        assert_eq!(k(&["True", "false", "null"]), TextKind::Bool);
        assert_eq!(
            k(&["2024-01-05", "2024-01-05 10:00:00"]),
            TextKind::Datetime
        );
        assert_eq!(k(&["1", "x"]), TextKind::Str);
        assert_eq!(k(&["", "nan"]), TextKind::AllMissing);
        assert_eq!(k(&[]), TextKind::AllMissing);
    }
}
