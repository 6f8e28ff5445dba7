//! Calendar dates and RFC 3339 text for times held as microseconds since the Unix epoch (UTC).
//!
//! The one place the workspace turns microseconds into text and civil dates into day counts;
//! the one parser lives in modelwatch-io (`datetime::parse_datetime`) and takes its calendar
//! math from here.

/// Microseconds in one day.
pub const DAY_US: i64 = 86_400_000_000;

/// Civil date `(year, month, day)` of a count of days since 1970-01-01 in the proleptic
/// Gregorian calendar (Howard Hinnant's `civil_from_days`,
/// <https://howardhinnant.github.io/date_algorithms.html>).
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`,
/// the inverse of [`civil_from_days`]).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The shapes of time text in use; each is read back by the one parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeShape {
    /// `YYYY-MM-DDTHH:MM:SS`, with `.ffffff` only when the fraction is not zero, and no zone
    /// designator: how pandas (and so the reports) shows a naive datetime.
    Naive,
    /// `YYYY-MM-DD` at midnight, otherwise `YYYY-MM-DDTHH:MM:SS[.ffffff]Z`: the shortest text
    /// that reads back to the same instant (CSV export).
    Shortest,
    /// Always `YYYY-MM-DDTHH:MM:SS.ffffffZ`: fixed width, for JSON and alert payloads.
    Micros,
}

/// Formats microseconds since the epoch as UTC text of the given shape. Accepts any `i64`
/// without panicking (years before 1 print with a sign, e.g. `-001`).
pub fn format_us(us: i64, shape: TimeShape) -> String {
    let days = us.div_euclid(DAY_US);
    let of_day = us.rem_euclid(DAY_US);
    let (y, m, d) = civil_from_days(days);
    if shape == TimeShape::Shortest && of_day == 0 {
        return format!("{y:04}-{m:02}-{d:02}");
    }
    let secs = of_day / 1_000_000;
    let frac = of_day % 1_000_000;
    let (h, mi, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let base = format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}");
    match shape {
        TimeShape::Naive if frac == 0 => base,
        TimeShape::Naive => format!("{base}.{frac:06}"),
        TimeShape::Shortest if frac == 0 => format!("{base}Z"),
        TimeShape::Shortest | TimeShape::Micros => format!("{base}.{frac:06}Z"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_round_trips() {
        for days in [-800_000, -719_468, -1, 0, 1, 19_727, 2_932_896, 10_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        assert_eq!(civil_from_days(19_727), (2024, 1, 5));
        assert_eq!(days_from_civil(2000, 2, 29), 11_016);
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    #[test]
    fn naive_shape() {
        use TimeShape::Naive;
        assert_eq!(format_us(0, Naive), "1970-01-01T00:00:00");
        assert_eq!(
            format_us(951_782_400_000_000 + 1, Naive),
            "2000-02-29T00:00:00.000001"
        );
        assert_eq!(format_us(-1_000_000, Naive), "1969-12-31T23:59:59");
        assert_eq!(format_us(-1, Naive), "1969-12-31T23:59:59.999999");
        assert_eq!(
            format_us(253_402_300_799_999_999, Naive),
            "9999-12-31T23:59:59.999999"
        );
    }

    #[test]
    fn shortest_shape() {
        use TimeShape::Shortest;
        let day = DAY_US;
        assert_eq!(format_us(19_727 * day, Shortest), "2024-01-05");
        assert_eq!(format_us(-1, Shortest), "1969-12-31T23:59:59.999999Z");
        assert_eq!(
            format_us(
                days_from_civil(2000, 2, 29) * day + 12 * 3_600_000_000,
                Shortest
            ),
            "2000-02-29T12:00:00Z"
        );
        assert_eq!(
            format_us(days_from_civil(1900, 3, 1) * day + 1_000_000, Shortest),
            "1900-03-01T00:00:01Z"
        );
        assert_eq!(
            format_us(19_727 * day + 36_000_250_000, Shortest),
            "2024-01-05T10:00:00.250000Z"
        );
        assert_eq!(format_us(-day, Shortest), "1969-12-31");
        assert_eq!(
            format_us(days_from_civil(10_000, 1, 1) * day, Shortest),
            "10000-01-01"
        );
    }

    #[test]
    fn micros_shape() {
        use TimeShape::Micros;
        assert_eq!(format_us(0, Micros), "1970-01-01T00:00:00.000000Z");
        assert_eq!(format_us(-1, Micros), "1969-12-31T23:59:59.999999Z");
        assert_eq!(
            format_us(1_714_543_200_500_000, Micros),
            "2024-05-01T06:00:00.500000Z"
        );
        assert_eq!(
            format_us(253_402_300_799_999_999, Micros),
            "9999-12-31T23:59:59.999999Z"
        );
        assert_eq!(
            format_us(days_from_civil(0, 1, 1) * DAY_US, Micros),
            "0000-01-01T00:00:00.000000Z"
        );
        assert_eq!(
            format_us(days_from_civil(-1, 12, 31) * DAY_US, Micros),
            "-001-12-31T00:00:00.000000Z"
        );
        assert!(format_us(i64::MIN / 2, Micros).ends_with('Z'));
        assert!(format_us(i64::MIN, Micros).ends_with('Z'));
        assert!(format_us(i64::MAX, Micros).ends_with('Z'));
        assert!(format_us(99_999_999_999_000_000, Micros).ends_with('Z'));
    }
}
