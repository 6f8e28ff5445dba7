//! ISO-8601 dates and datetimes, read into microseconds since the Unix epoch.

use modelwatch_core::time::{days_from_civil, DAY_US};

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
    let mut micros = days_from_civil(y, mo, d) * DAY_US;
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
