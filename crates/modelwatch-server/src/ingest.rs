//! Ingestion: request bodies into validated events.
//!
//! An event is a flat JSON object of column values plus optional reserved keys: `id`,
//! `timestamp` (RFC 3339 / ISO 8601 text, or Unix seconds), and the serving side's facts
//! `latency_seconds`, `status` (an HTTP code) and `error` (a message). A reserved key that
//! is also a column of the project's schema is kept as that column's value too.
//!
//! Numbers written as text, in a JSON string or a CSV cell, follow one rule: pandas'
//! missing-value tokens (`NaN`, `nan`, `NA`, `null`, empty, ...) are a missing value, and
//! an infinity (`inf`, `-inf`, `Infinity` in any case) is refused as an invalid value.

use std::collections::BTreeMap;

use modelwatch_core::schema::{ColumnSpec, ColumnType};
use modelwatch_core::table::{ColumnData, Table};
use modelwatch_core::time::{format_us, TimeShape};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::store::NewEvent;

/// Keys with a meaning of their own.
pub const RESERVED_KEYS: [&str; 5] = ["id", "timestamp", "latency_seconds", "status", "error"];

/// How a body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    /// One JSON object or a JSON array of objects.
    Json,
    /// One JSON object per line.
    JsonLines,
    /// CSV with a header row.
    Csv,
}

/// A body type the API reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    /// `application/json` (or `text/json`).
    Json,
    /// JSON Lines: `application/x-ndjson` and its aliases.
    JsonLines,
    /// `text/csv` (or `application/csv`).
    Csv,
    /// `application/vnd.apache.parquet` (or `application/x-parquet`, `application/parquet`).
    Parquet,
}

/// The body type a `Content-Type` value names, parameters and case ignored; an empty type
/// is JSON, as a missing header is. `None` for a type the API never reads. The one list of
/// types: ingestion, reference uploads and the cross-origin check all read it.
pub fn media_type(content_type: &str) -> Option<MediaType> {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match mime.as_str() {
        "application/json" | "text/json" | "" => Some(MediaType::Json),
        "application/x-ndjson"
        | "application/ndjson"
        | "application/jsonl"
        | "application/x-jsonlines"
        | "application/jsonlines"
        | "application/json-lines" => Some(MediaType::JsonLines),
        "text/csv" | "application/csv" => Some(MediaType::Csv),
        "application/vnd.apache.parquet" | "application/x-parquet" | "application/parquet" => {
            Some(MediaType::Parquet)
        }
        _ => None,
    }
}

impl BodyFormat {
    /// The format a `Content-Type` names; `None` for anything unsupported. A missing
    /// header means JSON (or JSON Lines, told apart by content).
    pub fn from_content_type(content_type: Option<&str>) -> Option<Self> {
        let Some(ct) = content_type else {
            return Some(BodyFormat::Json);
        };
        match media_type(ct)? {
            MediaType::Json => Some(BodyFormat::Json),
            MediaType::JsonLines => Some(BodyFormat::JsonLines),
            MediaType::Csv => Some(BodyFormat::Csv),
            MediaType::Parquet => None,
        }
    }
}

/// One row of a body: a JSON object, or why it is not one.
pub type RowResult = Result<Map<String, Value>, String>;

/// A row that was not stored, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rejection {
    /// 0-based position of the row in the request (the line for JSON Lines and CSV data
    /// rows, counted from 0 as well).
    pub index: usize,
    /// Why the row was refused, naming the key or column at fault.
    pub reason: String,
    /// A fixed word for `/metrics`: `malformed_row`, `invalid_value` or `invalid_field`.
    pub kind: &'static str,
}

/// A body that cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// A JSON body that does not parse, with the parser's message (a body of objects one
    /// per line is read as JSON Lines instead).
    #[error("the body is not valid JSON: {0}")]
    Json(String),
    /// A JSON body that is a scalar, not an object or an array.
    #[error("expected a JSON object or an array of objects")]
    NotObjects,
    /// A body that is empty or only white space (after a byte-order mark).
    #[error("the body is empty")]
    Empty,
    /// A body that is not UTF-8 text.
    #[error("the body is not valid UTF-8")]
    Utf8,
    /// A CSV body the CSV reader refuses (no header, ragged rows, ...), with its message.
    #[error("CSV: {0}")]
    Csv(String),
}

/// A body split into rows: each a JSON object, or the reason it is not one.
pub fn split_rows(body: &[u8], format: BodyFormat) -> Result<Vec<RowResult>, BodyError> {
    let text = std::str::from_utf8(body).map_err(|_| BodyError::Utf8)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(BodyError::Empty);
    }
    match format {
        BodyFormat::Json => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(o)) => Ok(vec![Ok(o)]),
            Ok(Value::Array(items)) => Ok(items
                .into_iter()
                .map(|v| match v {
                    Value::Object(o) => Ok(o),
                    other => Err(format!("expected a JSON object, got {}", kind(&other))),
                })
                .collect()),
            Ok(_) => Err(BodyError::NotObjects),
            // Several objects one per line without the JSON Lines content type.
            Err(e) if e.is_data() || e.line() > 1 && text.trim_start().starts_with('{') => {
                Ok(json_lines(text))
            }
            Err(e) => Err(BodyError::Json(e.to_string())),
        },
        BodyFormat::JsonLines => Ok(json_lines(text)),
        BodyFormat::Csv => csv_rows(body),
    }
}

fn json_lines(text: &str) -> Vec<RowResult> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(o)) => Ok(o),
            Ok(other) => Err(format!("expected a JSON object, got {}", kind(&other))),
            Err(e) => Err(format!("not valid JSON: {e}")),
        })
        .collect()
}

/// CSV rows through the CSV reader (so quoting and missing-value tokens work as for
/// files), each turned back into a JSON object of its non-missing cells.
///
/// A quoted field still open at the end of the body would make the CSV reader take every
/// later line as that one field's text: the rows after it would be stored inside one value
/// and never counted. So the rows before the record holding the opening quote are read as
/// usual and every non-blank line from that record on is a rejected row naming the quote.
fn csv_rows(body: &[u8]) -> Result<Vec<RowResult>, BodyError> {
    let (readable, unreadable) = match unclosed_quote(body) {
        None => (body, None),
        Some(q) if q.record_line == 1 => {
            return Err(BodyError::Csv(format!(
                "unclosed quote starting on line {} in the header",
                q.quote_line
            )))
        }
        Some(q) => (&body[..q.record_start], Some(q)),
    };
    let mut rows: Vec<RowResult> = if readable.contains(&b'\n') {
        let table =
            modelwatch_io::read_table_bytes(readable, modelwatch_io::Format::Csv, "body", None)
                .map_err(|e| BodyError::Csv(e.to_string()))?;
        (0..table.rows())
            .map(|r| Ok(row_object(&table, r)))
            .collect()
    } else {
        Vec::new()
    };
    if let Some(q) = unreadable {
        let reason = format!(
            "unclosed quote starting on line {}: the quoted field runs to the end of the body",
            q.quote_line
        );
        rows.extend(
            body[q.record_start..]
                .split(|&b| b == b'\n')
                .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
                .map(|_| Err(reason.clone())),
        );
    }
    Ok(rows)
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

/// Scans `body` as the CSV reader does (RFC 4180: a quote opens a field only at its start,
/// `""` inside a quoted field is a quote, a lone quote closes it) and says whether the body
/// ends inside a quoted field.
fn unclosed_quote(body: &[u8]) -> Option<UnclosedQuote> {
    // Most bodies hold no quote at all: one fast search instead of a walk of every byte.
    if !body.contains(&b'"') {
        return None;
    }
    let mut line = 1;
    let mut record_start = 0;
    let mut record_line = 1;
    let mut quote_line = 0;
    let mut quoted = false;
    let mut field_start = true;
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
                }
                b',' | b'\r' => field_start = true,
                b'\n' => {
                    line += 1;
                    field_start = true;
                    record_start = i + 1;
                    record_line = line;
                }
                _ => field_start = false,
            }
        }
        i += 1;
    }
    quoted.then_some(UnclosedQuote {
        record_start,
        record_line,
        quote_line,
    })
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

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Parses an event time: RFC 3339 / ISO 8601 text (UTC when no offset is given) or Unix
/// seconds as a number. Returns microseconds since the epoch.
pub fn parse_time(v: &Value) -> Result<i64, String> {
    match v {
        Value::String(s) => modelwatch_io::infer::parse_datetime(s.trim().as_bytes())
            .ok_or_else(|| format!("`{s}` is not an RFC 3339 time")),
        Value::Number(n) => {
            let secs = n.as_f64().unwrap_or(f64::NAN);
            if secs.is_finite() && secs.abs() < 1e11 {
                Ok((secs * 1e6).round() as i64)
            } else {
                Err(format!("{n} is not a Unix time in seconds"))
            }
        }
        other => Err(format!("expected a time, got {}", kind(other))),
    }
}

/// The outcome of validating one request's rows.
#[derive(Debug, Default)]
pub struct Validated {
    /// The rows that passed, in request order, ready for the writer.
    pub events: Vec<NewEvent>,
    /// The rows that did not, in request order; the request still stores the rest.
    pub rejected: Vec<Rejection>,
    /// Keys that are neither schema columns nor reserved, with how many rows had them.
    pub unknown_columns: BTreeMap<String, usize>,
}

/// Validates rows against the schema. `now_us` stamps events without a time.
pub fn validate(
    rows: Vec<RowResult>,
    schema: &[ColumnSpec],
    configured: &[&str],
    id_column: Option<&str>,
    timestamp_column: Option<&str>,
    now_us: i64,
) -> Validated {
    let mut out = Validated::default();
    for (index, row) in rows.into_iter().enumerate() {
        let obj = match row {
            Ok(obj) => obj,
            Err(reason) => {
                out.rejected.push(Rejection {
                    index,
                    reason,
                    kind: "malformed_row",
                });
                continue;
            }
        };
        let result = validate_one(
            obj,
            schema,
            configured,
            id_column,
            timestamp_column,
            now_us,
            &mut out.unknown_columns,
        );
        match result {
            Ok(e) => out.events.push(e),
            Err(reason) => {
                let kind = if reason.starts_with("column") {
                    "invalid_value"
                } else {
                    "invalid_field"
                };
                out.rejected.push(Rejection {
                    index,
                    reason,
                    kind,
                })
            }
        }
    }
    out
}

fn validate_one(
    mut obj: Map<String, Value>,
    schema: &[ColumnSpec],
    configured: &[&str],
    id_column: Option<&str>,
    timestamp_column: Option<&str>,
    now_us: i64,
    unknown: &mut BTreeMap<String, usize>,
) -> Result<NewEvent, String> {
    let in_schema = |k: &str| schema.iter().any(|c| c.name == k);
    let mut take_reserved = |key: &str| -> Option<Value> {
        if in_schema(key) {
            obj.get(key).cloned()
        } else {
            obj.remove(key)
        }
    };
    let id = take_reserved("id");
    let timestamp = take_reserved("timestamp");
    let latency = take_reserved("latency_seconds");
    let status = take_reserved("status");
    let error = take_reserved("error");

    let event_id = match id.or_else(|| id_column.and_then(|c| obj.get(c).cloned())) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.len() <= 512 => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(other) => {
            return Err(format!(
                "`id` must be a string or a number, got {}",
                kind(&other)
            ))
        }
    };
    let ts_us = match timestamp.or_else(|| timestamp_column.and_then(|c| obj.get(c).cloned())) {
        None | Some(Value::Null) => now_us,
        Some(v) => parse_time(&v).map_err(|e| format!("`timestamp`: {e}"))?,
    };
    let latency_seconds = match latency {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => match n.as_f64() {
            Some(x) if x.is_finite() && x >= 0.0 => Some(x),
            _ => {
                return Err(format!(
                    "`latency_seconds` must be a non-negative number, got {n}"
                ))
            }
        },
        Some(other) => {
            return Err(format!(
                "`latency_seconds` must be a number, got {}",
                kind(&other)
            ))
        }
    };
    let status = match status {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => match n.as_u64() {
            Some(code @ 100..=599) => Some(code as u16),
            _ => {
                return Err(format!(
                    "`status` must be an HTTP status code (100-599), got {n}"
                ))
            }
        },
        Some(other) => return Err(format!("`status` must be a number, got {}", kind(&other))),
    };
    let error = match error {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(Value::Bool(true)) => Some(String::new()),
        Some(Value::Bool(false)) => None,
        Some(other) => return Err(format!("`error` must be a message, got {}", kind(&other))),
    };

    for (key, value) in obj.iter_mut() {
        let Some(spec) = schema.iter().find(|c| &c.name == key) else {
            if matches!(value, Value::Array(_) | Value::Object(_))
                && configured.contains(&key.as_str())
            {
                return Err(format!(
                    "column `{key}`: expected a single value, got {}",
                    kind(value)
                ));
            }
            if !configured.contains(&key.as_str()) {
                *unknown.entry(key.clone()).or_insert(0) += 1;
            }
            continue;
        };
        check_value(spec, value)?;
    }
    Ok(NewEvent {
        ts_us,
        event_id,
        values_json: Value::Object(obj).to_string(),
        latency_seconds,
        status,
        error,
    })
}

/// Checks one value against its column's type, normalising numbers sent as text.
fn check_value(spec: &ColumnSpec, value: &mut Value) -> Result<(), String> {
    let bad = |v: &Value, want: &str| {
        Err(format!(
            "column `{}` ({}): expected {want}, got {}",
            spec.name,
            spec.column_type,
            match v {
                Value::String(s) => format!("\"{}\"", s.chars().take(60).collect::<String>()),
                other => kind(other).to_string(),
            }
        ))
    };
    match (spec.column_type, &*value) {
        (_, Value::Null) => Ok(()),
        (_, Value::Array(_) | Value::Object(_)) => bad(value, "a single value"),
        (ColumnType::Numerical, Value::Number(_)) => Ok(()),
        (ColumnType::Numerical, Value::String(s)) => {
            if modelwatch_io::infer::is_na(s.as_bytes()) {
                *value = Value::Null;
                return Ok(());
            }
            match modelwatch_io::infer::parse_float(s.trim().as_bytes()) {
                Some(x) if x.is_finite() => {
                    *value = serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number);
                    Ok(())
                }
                _ => bad(value, "a number"),
            }
        }
        (ColumnType::Numerical, Value::Bool(_)) => bad(value, "a number"),
        (ColumnType::Categorical | ColumnType::Text, _) => Ok(()),
        (ColumnType::Datetime, Value::String(_) | Value::Number(_)) => parse_time(value)
            .map(|_| ())
            .map_err(|e| format!("column `{}`: {e}", spec.name)),
        (ColumnType::Datetime, Value::Bool(_)) => bad(value, "a time"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use modelwatch_core::schema::ColumnRole;

    fn schema() -> Vec<ColumnSpec> {
        let spec = |name: &str, t| ColumnSpec {
            name: name.into(),
            column_type: t,
            role: ColumnRole::Feature,
        };
        vec![
            spec("x", ColumnType::Numerical),
            spec("city", ColumnType::Categorical),
            spec("when", ColumnType::Datetime),
        ]
    }

    fn run(body: &str, format: BodyFormat) -> Validated {
        let rows = split_rows(body.as_bytes(), format).unwrap();
        validate(rows, &schema(), &["pred"], None, None, 42)
    }

    #[test]
    fn json_object_array_and_lines() {
        assert_eq!(run(r#"{"x": 1}"#, BodyFormat::Json).events.len(), 1);
        assert_eq!(
            run(r#"[{"x": 1}, {"x": 2}]"#, BodyFormat::Json)
                .events
                .len(),
            2
        );
        let v = run("{\"x\": 1}\n\n{\"x\": 2}\n", BodyFormat::JsonLines);
        assert_eq!(v.events.len(), 2);
        // JSON Lines sent as application/json still works.
        assert_eq!(
            run("{\"x\": 1}\n{\"x\": 2}", BodyFormat::Json).events.len(),
            2
        );
    }

    #[test]
    fn bad_rows_are_rejected_with_reasons_and_the_rest_kept() {
        let v = run(
            r#"[{"x": 1}, {"x": "abc"}, 5, {"x": "2.5", "status": 700}, {"x": "3.5", "timestamp": "yesterday"}, {"x": "4", "latency_seconds": 0.2, "status": 503}]"#,
            BodyFormat::Json,
        );
        assert_eq!(v.events.len(), 2);
        let reasons: Vec<(usize, &str)> = v
            .rejected
            .iter()
            .map(|r| (r.index, r.reason.as_str()))
            .collect();
        assert_eq!(reasons.len(), 4);
        assert!(
            reasons[0].1.contains("column `x`") && reasons[0].1.contains("\"abc\""),
            "{reasons:?}"
        );
        assert_eq!(reasons[1].0, 2);
        assert!(reasons[2].1.contains("status"), "{reasons:?}");
        assert!(reasons[3].1.contains("timestamp"), "{reasons:?}");
        let last = &v.events[1];
        assert_eq!(last.values_json, r#"{"x":4.0}"#);
        assert_eq!(last.status, Some(503));
        assert_eq!(last.latency_seconds, Some(0.2));
        assert_eq!(last.ts_us, 42);
    }

    #[test]
    fn unknown_columns_are_counted_not_dropped() {
        let v = run(
            r#"[{"x": 1, "extra": 2, "pred": "a"}, {"extra": 3, "more": 1}, {"pred": [1]}]"#,
            BodyFormat::Json,
        );
        assert_eq!(v.events.len(), 2);
        assert!(!v.unknown_columns.contains_key("pred"));
        assert!(v.rejected[0].reason.contains("`pred`"), "{:?}", v.rejected);
        assert_eq!(v.unknown_columns.get("extra"), Some(&2));
        assert_eq!(v.unknown_columns.get("more"), Some(&1));
        assert!(v.events[0].values_json.contains("extra"));
    }

    #[test]
    fn times_and_ids() {
        let v = run(
            r#"{"x": 1, "id": 17, "timestamp": "2024-05-01T08:00:00+02:00", "when": "2024-01-01"}"#,
            BodyFormat::Json,
        );
        let e = &v.events[0];
        assert_eq!(e.event_id.as_deref(), Some("17"));
        assert_eq!(e.ts_us, 1_714_543_200_000_000);
        let v = run(r#"{"timestamp": 1714543200.5}"#, BodyFormat::Json);
        assert_eq!(v.events[0].ts_us, 1_714_543_200_500_000);
    }

    #[test]
    fn csv_bodies_and_unreadable_bodies() {
        let v = run(
            "x,city\n1.5,Paris\nNA,\"Rome, IT\"\nabc,Oslo\n",
            BodyFormat::Csv,
        );
        assert_eq!(v.events.len(), 2);
        assert_eq!(v.rejected[0].index, 2);
        assert!(matches!(
            split_rows(b"", BodyFormat::Json),
            Err(BodyError::Empty)
        ));
        assert!(matches!(
            split_rows(b"[1,", BodyFormat::Json),
            Err(BodyError::Json(_))
        ));
        assert!(matches!(
            split_rows(b"42", BodyFormat::Json),
            Err(BodyError::NotObjects)
        ));
        assert!(matches!(
            split_rows(b"\xff\xfe", BodyFormat::Json),
            Err(BodyError::Utf8)
        ));
        assert_eq!(
            BodyFormat::from_content_type(Some("text/csv; charset=utf-8")),
            Some(BodyFormat::Csv)
        );
        assert_eq!(BodyFormat::from_content_type(Some("image/png")), None);
    }

    #[test]
    fn an_unclosed_quote_rejects_the_rows_it_would_swallow() {
        // Three rows, the second opening a quote that never closes: the first is stored,
        // the second and third are rejected with the quote's line, none is merged.
        let v = run("x,city\n1.5,Paris\n2.5,\"Rome\n3.5,Oslo\n", BodyFormat::Csv);
        assert_eq!(v.events.len(), 1);
        assert!(v.events[0].values_json.contains("Paris"));
        assert_eq!(v.rejected.len(), 2, "{:?}", v.rejected);
        assert_eq!(v.rejected[0].index, 1);
        assert_eq!(v.rejected[1].index, 2);
        for r in &v.rejected {
            assert_eq!(r.kind, "malformed_row");
            assert!(
                r.reason.contains("unclosed quote starting on line 3"),
                "{}",
                r.reason
            );
        }
        // The quote's own line counts quoted newlines before it; "" is a quote, not a close.
        let v = run(
            "x,city\n1,\"a\nb\"\n2,\"say \"\"hi\"\"\n3,c",
            BodyFormat::Csv,
        );
        assert_eq!(v.events.len(), 1);
        assert_eq!(v.rejected.len(), 2);
        assert!(
            v.rejected[0].reason.contains("line 4"),
            "{}",
            v.rejected[0].reason
        );
        // The first data row open: nothing stored.
        let v = run("x,city\n1,\"a\n2,b\n", BodyFormat::Csv);
        assert!(v.events.is_empty());
        assert_eq!(v.rejected.len(), 2);
        // In the header: the body cannot be read.
        assert!(matches!(
            split_rows(b"x,\"city\n1,a\n", BodyFormat::Csv),
            Err(BodyError::Csv(m)) if m.contains("line 1")
        ));
        // Closed quotes, with quotes inside unquoted fields, read as before.
        let v = run("x,city\n1,\"a,b\"\n2,a\"b\n", BodyFormat::Csv);
        assert_eq!(v.events.len(), 2, "{:?}", v.rejected);
    }
}
