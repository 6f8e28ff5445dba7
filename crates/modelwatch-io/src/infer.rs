//! Per-column type inference shared by the CSV and JSON Lines readers, and the field parsers
//! it applies (missing-value tokens, numbers, booleans, datetimes), re-exported here.
//!
//! The rules follow pandas' C parser (`pandas.read_csv` with default options, pandas 2.3)
//! where that matters for parity with Evidently, with two deliberate differences: an integer
//! column with missing values stays an integer column, and ISO-8601 date/datetime columns are
//! detected as datetimes (pandas leaves them as strings unless `parse_dates` is given).

use modelwatch_core::table::ColumnData;

pub use crate::datetime::parse_datetime;
pub use crate::na::{is_na, NA_TOKENS};
pub use crate::number::{parse_float, parse_int};

use crate::dictionary::{drop_missing_labels, StrDictBuilder};

/// pandas' default boolean spellings (`_true_values` / `_false_values` of the C parser).
#[inline]
pub fn parse_bool(s: &[u8]) -> Option<bool> {
    match s {
        b"True" | b"TRUE" | b"true" => Some(true),
        b"False" | b"FALSE" | b"false" => Some(false),
        _ => None,
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

#[cfg(test)]
mod tests {
    use super::*;
    use modelwatch_core::table::MISSING_CODE;

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
    fn bools() {
        assert_eq!(parse_bool(b"TRUE"), Some(true));
        assert_eq!(parse_bool(b"false"), Some(false));
        assert_eq!(parse_bool(b" True"), None);
        assert_eq!(parse_bool(b"1"), None);
        assert_eq!(parse_bool(b"yes"), None);
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
