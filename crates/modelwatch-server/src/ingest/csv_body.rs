//! CSV bodies: read through the same CSV reader as files (so quoting and missing-value
//! tokens work alike), after one scan of the body that counts its columns and records and
//! finds a quote left open, so that an oversized body is refused before it is parsed.

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
        Some(q) if q.record_line == 1 => {
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

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// What one scan of a CSV body tells before it is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CsvShape {
    /// Fields in the first record, the header.
    header_fields: usize,
    /// Records after the header that hold anything but white space (a quoted field's
    /// line breaks do not end a record).
    data_records: usize,
    /// Where the body ends inside a quoted field, if it does.
    unclosed: Option<UnclosedQuote>,
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
        // Most bodies hold no quote at all: lines are records, and splitting on line
        // breaks is much faster than the walk below.
        if !body.contains(&b'"') {
            let mut lines = body.split(|&b| b == b'\n');
            let header = lines.next().unwrap_or_default();
            return Self {
                header_fields: header_fields(header),
                data_records: lines.filter(|l| !is_blank(l)).count(),
                unclosed: None,
            };
        }
        let mut line = 1;
        let mut record_start = 0;
        let mut record_line = 1;
        let mut quote_line = 0;
        let mut quoted = false;
        let mut field_start = true;
        let mut records = 0usize;
        let mut record_has_content = false;
        let mut i = 0;
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
                    }
                    b'\r' => field_start = true,
                    b'\n' => {
                        if record_has_content || records == 0 {
                            records += 1;
                        }
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
        if record_has_content || quoted {
            records += 1;
        }
        Self {
            header_fields: header_fields(body),
            data_records: records.saturating_sub(1),
            unclosed: quoted.then_some(UnclosedQuote {
                record_start,
                record_line,
                quote_line,
            }),
        }
    }
}

/// The fields of a CSV body's first record, its header: the commas outside quotes before
/// the first line break outside quotes, plus one. Only the header is read.
pub fn header_fields(body: &[u8]) -> usize {
    let mut fields = 1;
    let mut quoted = false;
    let mut field_start = true;
    let mut i = 0;
    while i < body.len() {
        let b = body[i];
        if quoted {
            match b {
                b'"' if body.get(i + 1) == Some(&b'"') => i += 1,
                b'"' => quoted = false,
                _ => {}
            }
        } else {
            match b {
                b'"' if field_start => {
                    quoted = true;
                    field_start = false;
                }
                b',' => {
                    fields += 1;
                    field_start = true;
                }
                b'\r' => field_start = true,
                b'\n' => break,
                _ => field_start = false,
            }
        }
        i += 1;
    }
    fields
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
                    Some(n) => Value::Number(n),
                    None if x.is_nan() => Value::Null,
                    None => Value::from(if x > 0.0 { "inf" } else { "-inf" }),
                }
            }
            ColumnData::Int(v) => v[row].map_or(Value::Null, Value::from),
            ColumnData::Bool(v) => v[row].map_or(Value::Null, Value::Bool),
            ColumnData::Str(s) => s.get(row).map_or(Value::Null, Value::from),
            ColumnData::Datetime(v) => v[row].map_or(Value::Null, |us| {
                Value::from(format_us(us, TimeShape::Micros))
            }),
        };
        o.insert(c.name.clone(), v);
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
        assert_eq!(open.data_records, 2);
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
        assert_eq!(header_fields(b"a,b,c\n1,2,3,4,5"), 3);
        assert_eq!(header_fields(b"\"a,b\",\"c\nd\",e\r\n1"), 3);
        assert_eq!(header_fields(b"a"), 1);
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
