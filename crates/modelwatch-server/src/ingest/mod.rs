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

pub mod cloudevents;
mod csv_body;
pub mod images;
pub mod multipart;
mod rows;

use std::borrow::Cow;
use std::collections::BTreeMap;

use modelwatch_core::schema::{ColumnSpec, ColumnType};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::project::ColumnIndex;
use crate::store::NewEvent;

pub use csv_body::csv_size;
pub use images::{ImageFailures, ImageRules};
pub use rows::{for_each_row, split_rows, RowLimits};

/// Keys with a meaning of their own.
pub const RESERVED_KEYS: [&str; 5] = ["id", "timestamp", "latency_seconds", "status", "error"];

/// Whether `name` is one of the [`RESERVED_KEYS`] of an event.
pub fn is_reserved(name: &str) -> bool {
    RESERVED_KEYS.contains(&name)
}

/// The key a column of a model's request (`side` `"input"`) or answer (`"output"`) is sent
/// under by the proxy and the payload loggers: `<side>.<name>` when `name` is a reserved
/// key, so that the serving facts they add never overwrite the model's value and the
/// server never reads that value as a serving fact; `name` otherwise.
pub fn model_column_key(side: &str, name: String) -> String {
    if is_reserved(&name) {
        format!("{side}.{name}")
    } else {
        name
    }
}

/// A row of a model's columns with its reserved keys renamed by [`model_column_key`].
pub fn model_columns(side: &str, row: Map<String, Value>) -> Map<String, Value> {
    if !row.keys().any(|k| is_reserved(k)) {
        return row;
    }
    row.into_iter()
        .map(|(k, v)| (model_column_key(side, k), v))
        .collect()
}

/// Adds an answer's columns to a request's row. A name both sides use keeps the answer's
/// value (what the model said is what is monitored under its name) and, when the request's
/// value differs (a model echoing its inputs gives the same), the request's as
/// `input.<name>`, so that neither is lost.
pub fn merge_answer(row: &mut Map<String, Value>, answer: Map<String, Value>) {
    for (k, v) in answer {
        answer_column(row, k, v);
    }
}

/// One answer column added to a request's row, as [`merge_answer`] does.
pub fn answer_column(row: &mut Map<String, Value>, name: String, value: Value) {
    if let Some(input) = row.remove(&name) {
        if input != value {
            row.insert(format!("input.{name}"), input);
        }
    }
    row.insert(name, value);
}

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
    /// `application/zip` (or `application/x-zip-compressed`): a reference of images.
    Zip,
    /// `multipart/form-data`: one event with its images as file parts.
    Multipart,
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
        "application/zip" | "application/x-zip-compressed" => Some(MediaType::Zip),
        "multipart/form-data" => Some(MediaType::Multipart),
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
            MediaType::Parquet | MediaType::Zip | MediaType::Multipart => None,
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
    /// A body of more rows than one request may hold.
    #[error(
        "the body holds more than {limit} rows; send at most {limit} per request \
         (limits.rows_per_request)"
    )]
    TooManyRows {
        /// The most rows a request may hold.
        limit: usize,
    },
    /// A `multipart/form-data` body that cannot be read as one event with its files.
    #[error("multipart: {0}")]
    Multipart(String),
    /// A CSV body with more columns than an event may have.
    #[error(
        "the CSV header has {found} columns; an event has at most {limit} \
         (limits.columns_per_project and the 5 reserved keys)"
    )]
    TooManyColumns {
        /// The header's fields.
        found: usize,
        /// The most keys an event may have.
        limit: usize,
    },
}

impl BodyError {
    /// Whether the body was refused for its size (answered 413) rather than its content.
    pub fn is_too_large(&self) -> bool {
        matches!(self, Self::TooManyRows { .. } | Self::TooManyColumns { .. })
    }
}

pub(super) fn kind(v: &Value) -> &'static str {
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
    /// Images stored with missing descriptors because they could not be described, by
    /// image column and reason.
    pub image_failures: ImageFailures,
    /// Events waiting for their images to be described.
    pending: images::PendingEvents,
}

/// What a project's events are checked against.
#[derive(Debug, Clone)]
pub struct EventRules<'a> {
    /// The schema's columns.
    schema: &'a [ColumnSpec],
    /// `schema` by name: the project's own, or one built for a bare schema.
    index: Cow<'a, ColumnIndex>,
    /// Columns named by the settings (target, prediction, ...), which an event may carry
    /// though the reference lacks them.
    configured: Vec<&'a str>,
    /// The column whose value is the event's id when no `id` key is sent.
    id_column: Option<&'a str>,
    /// The column whose value is the event's time when no `timestamp` key is sent.
    timestamp_column: Option<&'a str>,
    /// The image columns and how their images are read.
    images: ImageRules<'a>,
    /// The vector columns of the schema: prefix `K` and its count of `K.0 ..` columns; the
    /// project's own, or those of a bare schema.
    vectors: Cow<'a, BTreeMap<String, usize>>,
    /// The most keys an event may have once its vectors are spread into components (the
    /// reserved keys and the image files of a multipart request counted): the one budget
    /// that bounds an event's size in keys, whatever its shape when sent.
    max_keys: usize,
}

impl<'a> EventRules<'a> {
    /// The rules of a schema and its settings.
    pub fn new(
        schema: &'a [ColumnSpec],
        configured: Vec<&'a str>,
        id_column: Option<&'a str>,
        timestamp_column: Option<&'a str>,
    ) -> Self {
        Self {
            schema,
            index: Cow::Owned(ColumnIndex::new(schema)),
            configured,
            id_column,
            timestamp_column,
            images: ImageRules::default(),
            vectors: Cow::Owned(images::vector_lengths(
                schema.iter().map(|c| c.name.as_str()),
            )),
            max_keys: usize::MAX,
        }
    }

    /// These rules with images read by `images` and events of at most `max_keys` keys once
    /// their vectors are spread.
    pub fn with_images(mut self, images: ImageRules<'a>, max_keys: usize) -> Self {
        self.images = images;
        self.max_keys = max_keys;
        self
    }

    /// The rules of a project under the server's limits, with the project's own index of
    /// its schema.
    pub fn of(project: &'a crate::project::Project, limits: &crate::config::Limits) -> Self {
        let c = &project.config.columns;
        Self {
            schema: &project.schema,
            index: Cow::Borrowed(project.column_index()),
            configured: project.configured_columns(),
            id_column: c.id.as_deref(),
            timestamp_column: c.timestamp.as_deref(),
            images: ImageRules {
                columns: Cow::Borrowed(&c.images),
                max_bytes: limits.image_bytes,
                limits: modelwatch_core::descriptors::image::ImageLimits {
                    max_pixels: limits.image_pixels,
                    ..Default::default()
                },
                thumbnails: project.config.thumbnails,
            },
            vectors: Cow::Borrowed(project.vector_lengths()),
            max_keys: limits.max_event_keys(),
        }
    }

    /// The schema's column named `name`.
    fn column(&self, name: &str) -> Option<&'a ColumnSpec> {
        self.index.get(self.schema, name)
    }
}

/// Reads a body's rows and validates each as it is read: only the events that pass, and
/// the reasons of those that do not, are kept. `now_us` stamps events without a time.
pub fn read_events(
    body: &[u8],
    format: BodyFormat,
    limits: &RowLimits,
    rules: &EventRules,
    now_us: i64,
) -> Result<Validated, BodyError> {
    let mut out = Validated::default();
    let mut index = 0;
    for_each_row(body, format, limits, |row| {
        out.push(index, row, rules, now_us);
        index += 1;
    })?;
    out.finish(rules);
    Ok(out)
}

impl Validated {
    /// Validates the row at `index` and keeps the event or the reason it was refused; its
    /// images, if any, are values of its image columns ([`Validated::push_with_files`] takes
    /// them as files beside the row).
    pub fn push(&mut self, index: usize, row: RowResult, rules: &EventRules, now_us: i64) {
        self.push_with_files(index, row, Vec::new(), rules, now_us)
    }

    /// [`Validated::push`] for an event whose images (by column) came beside it, as the
    /// file parts of a multipart request.
    pub fn push_with_files(
        &mut self,
        index: usize,
        row: RowResult,
        files: Vec<(String, Vec<u8>)>,
        rules: &EventRules,
        now_us: i64,
    ) {
        let result = row
            .map_err(|reason| (reason, "malformed_row"))
            .and_then(|obj| {
                validate_one(obj, files, rules, now_us, &mut self.unknown_columns).map_err(
                    |reason| {
                        let kind = if reason.starts_with("column") {
                            "invalid_value"
                        } else {
                            "invalid_field"
                        };
                        (reason, kind)
                    },
                )
            });
        match result {
            Ok(e) => {
                self.pending
                    .push(e, &rules.images, &mut self.events, &mut self.image_failures)
            }
            Err((reason, kind)) => self.rejected.push(Rejection {
                index,
                reason,
                kind,
            }),
        }
    }

    /// Describes the images still waiting; called once every row is read.
    pub fn finish(&mut self, rules: &EventRules) {
        self.pending
            .flush(&rules.images, &mut self.events, &mut self.image_failures);
    }
}

fn validate_one(
    mut obj: Map<String, Value>,
    files: Vec<(String, Vec<u8>)>,
    rules: &EventRules,
    now_us: i64,
    unknown: &mut BTreeMap<String, usize>,
) -> Result<images::PendingEvent, String> {
    let sent_keys = obj.len() + files.len();
    let mut take_reserved = |key: &str| -> Option<Value> {
        if rules.column(key).is_some() {
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

    let event_id = match id.or_else(|| rules.id_column.and_then(|c| obj.get(c).cloned())) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.len() > 512 => {
            return Err(format!(
                "`id` is {} bytes long; at most 512 are allowed",
                s.len()
            ))
        }
        // A NUL cannot be stored in PostgreSQL's text, and no label could be sent for it.
        Some(Value::String(s)) if s.contains('\0') => {
            return Err("`id` must not contain a NUL character".to_string())
        }
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(other) => {
            return Err(format!(
                "`id` must be a string or a number, got {}",
                kind(&other)
            ))
        }
    };
    let ts_us = match timestamp.or_else(|| rules.timestamp_column.and_then(|c| obj.get(c).cloned()))
    {
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
        // A message is kept whatever it holds; a NUL (which PostgreSQL's text cannot
        // hold) becomes U+FFFD.
        Some(Value::String(s)) if s.contains('\0') => Some(s.replace('\0', "\u{FFFD}")),
        Some(Value::String(s)) => Some(s),
        Some(Value::Bool(true)) => Some(String::new()),
        Some(Value::Bool(false)) => None,
        Some(other) => return Err(format!("`error` must be a message, got {}", kind(&other))),
    };

    // Images and vectors first: their keys are replaced by the columns they stand for.
    // A file part is held to the same size as an image sent as base64 text.
    for (column, bytes) in &files {
        rules.images.check_size(column, bytes.len())?;
    }
    let mut found_images = files;
    for column in rules.images.columns.iter() {
        if found_images.iter().any(|(c, _)| c == column) {
            obj.remove(column);
            continue;
        }
        if let Some(value) = obj.remove(column) {
            if let Some(bytes) = rules.images.image_of_value(column, &value)? {
                found_images.push((column.clone(), bytes));
            }
        }
    }
    // Only the project's own vectors are spread: an array under any other key is an
    // unknown column like any other value, kept as sent and counted.
    let vectors: Vec<(String, usize)> = obj
        .iter()
        .filter(|(k, v)| {
            v.is_array() && rules.column(k).is_none() && !rules.configured.contains(&k.as_str())
        })
        .filter_map(|(k, _)| Some((k.clone(), *rules.vectors.get(k)?)))
        .collect();
    // Counted before anything is spread, so a body of many long arrays costs no map of
    // their components.
    let spread_keys = vectors.iter().fold(sent_keys, |n, (_, len)| {
        n.saturating_add(len.saturating_sub(1))
    });
    if spread_keys > rules.max_keys {
        return Err(format!(
            "the row has {spread_keys} keys once its vectors are spread into components; \
             at most {} are allowed (limits.columns_per_project and the 5 reserved keys)",
            rules.max_keys
        ));
    }
    for (key, expected) in vectors {
        images::expand_vector(&mut obj, &key, expected)?;
    }

    for (key, value) in obj.iter_mut() {
        let Some(spec) = rules.column(key) else {
            let configured = rules.configured.contains(&key.as_str());
            if configured && matches!(value, Value::Array(_) | Value::Object(_)) {
                return Err(format!(
                    "column `{key}`: expected a single value, got {}",
                    kind(value)
                ));
            }
            if !configured {
                *unknown.entry(key.clone()).or_insert(0) += 1;
            }
            continue;
        };
        check_value(spec, value)?;
    }
    Ok(images::PendingEvent {
        event: NewEvent {
            ts_us,
            event_id,
            values_json: String::new(),
            latency_seconds,
            status,
            error,
            thumbnails: Vec::new(),
        },
        values: obj,
        images: found_images,
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

    const LIMITS: RowLimits = RowLimits {
        max_rows: 1000,
        max_keys: 100,
    };

    fn run(body: &str, format: BodyFormat) -> Validated {
        let schema = schema();
        let rules = EventRules::new(&schema, vec!["pred"], None, None);
        read_events(body.as_bytes(), format, &LIMITS, &rules, 42).unwrap()
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
        // A NUL in an id is refused with its reason; in an error message it is replaced.
        let v = run(
            r#"[{"x": 1, "id": "a\u0000b"}, {"x": 2, "error": "bad\u0000byte", "status": 500}]"#,
            BodyFormat::Json,
        );
        assert_eq!(v.events.len(), 1);
        assert!(v.rejected[0].reason.contains("NUL"), "{:?}", v.rejected);
        assert_eq!(v.events[0].error.as_deref(), Some("bad\u{FFFD}byte"));
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
            split_rows(b"", BodyFormat::Json, &LIMITS),
            Err(BodyError::Empty)
        ));
        assert!(matches!(
            split_rows(b"[1,", BodyFormat::Json, &LIMITS),
            Err(BodyError::Json(_))
        ));
        assert!(matches!(
            split_rows(b"42", BodyFormat::Json, &LIMITS),
            Err(BodyError::NotObjects)
        ));
        assert!(matches!(
            split_rows(b"\xff\xfe", BodyFormat::Json, &LIMITS),
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
            split_rows(b"x,\"city\n1,a\n", BodyFormat::Csv, &LIMITS),
            Err(BodyError::Csv(m)) if m.contains("line 1")
        ));
        // Closed quotes, with quotes inside unquoted fields, read as before.
        let v = run("x,city\n1,\"a,b\"\n2,a\"b\n", BodyFormat::Csv);
        assert_eq!(v.events.len(), 2, "{:?}", v.rejected);
    }
}
