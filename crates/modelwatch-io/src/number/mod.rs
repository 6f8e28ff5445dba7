//! Number parsing with pandas' rules: [`parse_int`] and [`parse_float`] for one field, and
//! [`scan`] for reading a number where it starts inside a buffer (the CSV reader's fast path).

pub(crate) mod scan;
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod sse2;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
