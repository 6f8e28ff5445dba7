//! CSV bodies: read through the same CSV reader as files (so quoting and missing-value
//! tokens work alike), after one scan of the body that counts its columns and records and
//! finds a quote left open, so that an oversized body is refused before it is parsed. The
//! scan is quick, not exact (the reader's rules for bare carriage returns and blank lines
//! are its own), so the table the reader returns is checked against the same limits
//! before a single row is handed out.

use modelwatch_core::table::{ColumnData, Table};
use modelwatch_core::time::{format_us, TimeShape};
use serde_json::{Map, Value};

use super::rows::RowLimits;
use super::{BodyError, RowResult};

/// CSV rows, each turned back into a JSON object of its cells and handed to `row`.
///
/// A quoted field still open at the end of the body would make the CSV reader take every
/// later line as that one field's text: the rows after it would be stored inside one value
/// and never counted. So the rows before the record holding the opening quote are read as
/// usual and every non-blank line from that record on is a rejected row naming the quote.
pub(super) fn csv_rows(
    body: &[u8],
    limits: &RowLimits,
    row: &mut impl FnMut(RowResult),
) -> Result<usize, BodyError> {
    let shape = CsvShape::scan(body);
    if shape.header_fields > limits.max_keys {
        return Err(BodyError::TooManyColumns {
            found: shape.header_fields,
            limit: limits.max_keys,
        });
    }
    if shape.data_records > limits.max_rows {
        return Err(BodyError::TooManyRows {
            limit: limits.max_rows,
        });
    }
    let (readable, unreadable) = match shape.unclosed {
        None => (body, None),
        Some(q) if q.record_start == shape.header_start => {
            return Err(BodyError::Csv(format!(
                "unclosed quote starting on line {} in the header",
                q.quote_line
            )))
        }
        Some(q) => (&body[..q.record_start], Some(q)),
    };
    let mut n = 0;
    if readable.contains(&b'\n') {
        let table =
            modelwatch_io::read_table_bytes(readable, modelwatch_io::Format::Csv, "body", None)
                .map_err(|e| BodyError::Csv(e.to_string()))?;
        if table.columns().len() > limits.max_keys {
            return Err(BodyError::TooManyColumns {
                found: table.columns().len(),
                limit: limits.max_keys,
            });
        }
        if table.rows() + shape.unreadable_records > limits.max_rows {
            return Err(BodyError::TooManyRows {
                limit: limits.max_rows,
            });
        }
        for r in 0..table.rows() {
            row(Ok(row_object(&table, r)));
        }
        n += table.rows();
    }
    if let Some(q) = unreadable {
        let reason = format!(
            "unclosed quote starting on line {}: the quoted field runs to the end of the body",
            q.quote_line
        );
        for _ in body[q.record_start..]
            .split(|&b| b == b'\n')
            .filter(|line| !is_blank(line))
        {
            row(Err(reason.clone()));
            n += 1;
        }
    }
    Ok(n)
}

/// A line the CSV reader skips: only spaces, tabs (and the carriage return of a CRLF).
fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|&c| matches!(c, b' ' | b'\t' | b'\r'))
}

/// What one scan of a CSV body tells before it is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CsvShape {
    /// Where the header starts: the first line that is not blank.
    header_start: usize,
    /// Fields in the header.
    header_fields: usize,
    /// Records after the header that hold anything but white space (a quoted field's
    /// line breaks do not end a record).
    data_records: usize,
    /// Where the body ends inside a quoted field, if it does.
    unclosed: Option<UnclosedQuote>,
    /// The non-blank lines from the record holding that quote on: each is a rejected row.
    unreadable_records: usize,
}

/// Where a CSV body ends inside a quoted field (lines count from 1, the header's being 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct UnclosedQuote {
    /// The byte offset where the record holding the opening quote starts.
    record_start: usize,
    /// The line that record starts on.
    record_line: usize,
    /// The line of the opening quote.
    quote_line: usize,
}

impl CsvShape {
    /// Scans `body` as the CSV reader reads it (RFC 4180: a quote opens a field only at
    /// its start, `""` inside a quoted field is a quote, a lone quote closes it).
    fn scan(body: &[u8]) -> Self {
        let header_start = header_start(body);
        // Most bodies hold no quote at all: lines are records, and splitting on line
        // breaks is much faster than the walk below.
        if !body.contains(&b'"') {
            let header = body[header_start..].split(|&b| b == b'\n').next();
            return Self {
                header_start,
                header_fields: 1 + header.map_or(0, |h| h.iter().filter(|&&b| b == b',').count()),
                data_records: non_blank_lines(&body[header_start..]).saturating_sub(1),
                unclosed: None,
                unreadable_records: 0,
            };
        }
        let mut line = 1 + body[..header_start].iter().filter(|&&b| b == b'\n').count();
        let mut record_start = header_start;
        let mut record_line = line;
        let mut quote_line = 0;
        let mut quoted = false;
        let mut field_start = true;
        let mut records = 0usize;
        let mut header_fields = 1;
        let mut record_has_content = false;
        let mut i = header_start;
        while i < body.len() {
            let b = body[i];
            if quoted {
                match b {
                    b'"' if body.get(i + 1) == Some(&b'"') => i += 1,
                    b'"' => quoted = false,
                    b'\n' => line += 1,
                    _ => {}
                }
            } else {
                match b {
                    b'"' if field_start => {
                        quoted = true;
                        quote_line = line;
                        field_start = false;
                        record_has_content = true;
                    }
                    b',' => {
                        field_start = true;
                        record_has_content = true;
                        header_fields += usize::from(records == 0);
                    }
                    b'\r' => field_start = true,
                    b'\n' => {
                        records += usize::from(record_has_content);
                        record_has_content = false;
                        line += 1;
                        field_start = true;
                        record_start = i + 1;
                        record_line = line;
                    }
                    b' ' | b'\t' => field_start = false,
                    _ => {
                        field_start = false;
                        record_has_content = true;
                    }
                }
            }
            i += 1;
        }
        if !quoted {
            records += usize::from(record_has_content);
            return Self {
                header_start,
                header_fields,
                data_records: records.saturating_sub(1),
                unclosed: None,
                unreadable_records: 0,
            };
        }
        // Every non-blank line from the open record on will be a rejected row of its own:
        // they count against the row limit like the rows read.
        let unreadable_records = non_blank_lines(&body[record_start..]);
        Self {
            header_start,
            header_fields,
            data_records: records.saturating_sub(1) + unreadable_records,
            unclosed: Some(UnclosedQuote {
                record_start,
                record_line,
                quote_line,
            }),
            unreadable_records,
        }
    }
}

/// The data records and the header's columns of a CSV body, from one quick scan (see the
/// module's note on exactness).
pub fn csv_size(body: &[u8]) -> (usize, usize) {
    let shape = CsvShape::scan(body);
    (shape.data_records, shape.header_fields)
}

/// The lines of `body` that are not blank.
fn non_blank_lines(body: &[u8]) -> usize {
    body.split(|&b| b == b'\n').filter(|l| !is_blank(l)).count()
}

/// Where the header starts: the first line that is not blank, as the reader skips them.
fn header_start(body: &[u8]) -> usize {
    let mut start = 0;
    for line in body.split(|&b| b == b'\n') {
        if !is_blank(line) {
            return start;
        }
        start += line.len() + 1;
    }
    body.len()
}

fn row_object(table: &Table, row: usize) -> Map<String, Value> {
    let mut o = Map::new();
    for c in table.columns() {
        let v = match &c.data {
            ColumnData::Float(v) => {
                let x = v[row];
                // NaN is how the reader marks a missing cell. An infinity stays as the text
                // a JSON body would send, so that validation refuses it in both the same way
                // rather than storing it as missing.
                match serde_json::Number::from_f64(x) {
                    Some(n) => Some(Value::Number(n)),
                    None if x.is_nan() => None,
                    None => Some(Value::from(if x > 0.0 { "inf" } else { "-inf" })),
                }
            }
            ColumnData::Int(v) => v[row].map(Value::from),
            ColumnData::Bool(v) => v[row].map(Value::Bool),
            ColumnData::Str(s) => s.get(row).map(Value::from),
            ColumnData::Datetime(v) => {
                v[row].map(|us| Value::from(format_us(us, TimeShape::Micros)))
            }
        };
        // A missing cell is left out, as a key left out of a JSON event: a wide body of
        // empty cells costs no stored `null`s.
        if let Some(v) = v {
            o.insert(c.name.clone(), v);
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scan_counts_columns_and_records_with_or_without_quotes() {
        let plain = CsvShape::scan(b"a,b,c\n1,2,3\n\n  \n4,5,6");
        assert_eq!((plain.header_fields, plain.data_records), (3, 2));
        let quoted = CsvShape::scan(b"a,\"b,c\"\n1,\"x\ny\"\n\n2,z\n");
        assert_eq!((quoted.header_fields, quoted.data_records), (2, 2));
        assert_eq!(quoted.unclosed, None);
        let open = CsvShape::scan(b"a,b\n1,x\n2,\"y\n3,z\n");
        // One row read and two lines rejected from the open quote on.
        assert_eq!((open.data_records, open.unreadable_records), (3, 2));
        assert_eq!(
            open.unclosed,
            Some(UnclosedQuote {
                record_start: 8,
                record_line: 3,
                quote_line: 3
            })
        );
    }

    #[test]
    fn the_header_is_counted_alone_with_quotes_respected() {
        let fields = |body: &[u8]| CsvShape::scan(body).header_fields;
        assert_eq!(fields(b"a,b,c\n1,2,3,4,5"), 3);
        assert_eq!(fields(b"\"a,b\",\"c\nd\",e\r\n1"), 3);
        assert_eq!(fields(b"a"), 1);
    }

    fn limited(max_rows: usize, max_keys: usize) -> RowLimits {
        RowLimits { max_rows, max_keys }
    }

    fn count(body: &[u8], limits: &RowLimits) -> Result<usize, BodyError> {
        let mut rows = 0;
        let n = csv_rows(body, limits, &mut |_| rows += 1)?;
        assert_eq!(n, rows);
        Ok(n)
    }

    #[test]
    fn rows_the_scan_does_not_see_are_still_held_to_the_limit() {
        let limits = limited(3, 5);
        let too_many = |body: &[u8]| {
            matches!(
                count(body, &limits),
                Err(BodyError::TooManyRows { limit: 3 })
            )
        };
        // Lines after an unclosed quote: each would be a rejected row.
        assert!(too_many(b"a\n1\n\"2\n3\n4\n5\n"));
        assert_eq!(count(b"a\n1\n\"2\n3\n", &limits).unwrap(), 3);
        // Lines of a form feed, which the reader keeps as rows.
        assert!(too_many(b"a\n\x0c\n\x0c\n\x0c\n\x0c\n"));
        // Records ended by a bare carriage return, once the body has a quote.
        assert!(too_many(b"a\n\"1\"\r2\r3\r4\r5\n"));
        // Leading blank lines are not the header: a body at the limit is taken.
        assert_eq!(count(b"\n \n\na\n1\n2\n3\n", &limits).unwrap(), 3);
        assert_eq!(count(b"\n\"a\"\n1\n2\n3\n", &limits).unwrap(), 3);
    }

    #[test]
    fn the_header_after_blank_lines_is_the_one_counted() {
        assert_eq!(CsvShape::scan(b"\n  \r\na,b,c\n1").header_fields, 3);
        assert_eq!(CsvShape::scan(b"\n\"x\"\n\"a\",b,c\n1").header_fields, 1);
        let e = count(b"\n\na,b,c\n1,2,3\n", &limited(10, 2)).unwrap_err();
        assert!(
            matches!(e, BodyError::TooManyColumns { found: 3, limit: 2 }),
            "{e}"
        );
    }

    #[test]
    fn too_many_columns_is_refused_before_reading() {
        let limits = RowLimits {
            max_rows: 10,
            max_keys: 2,
        };
        let e = csv_rows(b"a,b,c\n1,2,3\n", &limits, &mut |_| {}).unwrap_err();
        assert!(
            matches!(e, BodyError::TooManyColumns { found: 3, limit: 2 }),
            "{e}"
        );
    }
}
