//! Reading a plain decimal number right where it starts in a buffer, with the same result as
//! [`parse_float`], so that the CSV reader need not find the field's end first.

#[cfg(any(test, doc))]
use super::{parse_float, parse_int};

/// Exact powers of ten representable as `f64` (10^0 ..= 10^22; 10^23 is not exact).
pub(super) const EXACT_POW10: [f64; 23] = [
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
/// the sixteen bytes after the sign are read at once with SSE2 ([`super::sse2::scan_short_number`],
/// part of the x86-64 baseline, so no runtime check); elsewhere two eight-byte words
/// ([`scan_short_swar`]).
#[inline(always)]
fn scan_short_number(bytes: &[u8], start: usize) -> Option<ScannedNumber> {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        super::sse2::scan_short_number(bytes, start)
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    {
        scan_short_swar(bytes, start)
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
