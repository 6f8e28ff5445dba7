//! JSON Lines reader: one JSON object per non-empty line.
//!
//! Columns are the keys in order of first appearance; a key absent from a line and `null` are
//! missing values. Typing, close to `pandas.read_json(lines=True)` but simpler:
//!
//! * JSON numbers: all integers → Int (an integer column with nulls stays Int, unlike pandas);
//!   any non-integer number → Float (integers above `i64::MAX` also make the column Float).
//! * JSON booleans → Bool (pandas would turn a boolean column with nulls into floats).
//! * JSON strings → inferred exactly like CSV fields (so `"1"`, `"2"` becomes Int, as pandas
//!   does, and ISO dates become Datetime), except that no string counts as missing: `"NA"` and
//!   `""` stay strings, as in pandas.
//! * a column mixing kinds (say numbers and strings) → Str, numbers written as in JSON
//!   (`1`, `2.5`) and booleans as `True`/`False` (Python's spelling, which is what pandas
//!   labels would show).
//! * an array of numbers in every row (or null) → a vector column: the numeric columns
//!   `KEY.0 .. KEY.{d-1}` and a [`VectorColumn`] (see [`crate::vectors`]); a `null` inside
//!   the array is a missing component. Arrays of different lengths, arrays holding other
//!   values, or arrays mixed with other values under one key keep that key out of the table
//!   and say why in its [`VectorColumn::error`].
//! * nested objects → error naming the line and key.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use modelwatch_core::table::{Column, ColumnData, Table};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::error::{one_line, show, ReadError};
use crate::infer::text_column;
use crate::na::never_na;
use crate::vectors::{VectorBuilder, VectorColumn, MAX_VECTOR_DIMENSION};

enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// An array of numbers (`null` inside is NaN), cut after one element past the most a
    /// vector may have (the length alone then says it is too long).
    Vector(Vec<f64>),
    /// An array holding something other than numbers and nulls.
    BadArray,
    Nested,
}

/// One element of an array.
enum Element {
    Number(f64),
    Other,
}

impl<'de> de::Deserialize<'de> for Element {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Scalar::deserialize(d)? {
            Scalar::Int(x) => Element::Number(x as f64),
            Scalar::Float(x) => Element::Number(x),
            Scalar::Null => Element::Number(f64::NAN),
            _ => Element::Other,
        })
    }
}

impl<'de> de::Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_unit<E>(self) -> Result<Scalar, E> {
                Ok(Scalar::Null)
            }
            fn visit_none<E>(self) -> Result<Scalar, E> {
                Ok(Scalar::Null)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar::Int(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Scalar, E> {
                Ok(i64::try_from(v).map_or(Scalar::Float(v as f64), Scalar::Int))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar::Str(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Scalar, E> {
                Ok(Scalar::Str(v))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut a: A) -> Result<Scalar, A::Error> {
                let mut values = Vec::new();
                let mut numbers = true;
                while let Some(e) = a.next_element::<Element>()? {
                    match e {
                        Element::Number(x) if values.len() <= MAX_VECTOR_DIMENSION => {
                            values.push(x)
                        }
                        Element::Number(_) => {}
                        Element::Other => numbers = false,
                    }
                }
                Ok(if numbers {
                    Scalar::Vector(values)
                } else {
                    Scalar::BadArray
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Scalar, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar::Nested)
            }
        }
        d.deserialize_any(V)
    }
}

/// One line: its key/value pairs in order.
struct Row(Vec<(String, Scalar)>);

impl<'de> de::Deserialize<'de> for Row {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Row;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Row, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = a.next_entry::<String, Scalar>()? {
                    out.push((k, v));
                }
                Ok(Row(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// The rows and columns reading JSON Lines `bytes` builds, counted without building any
/// value: its non-blank lines, and the sum over its keys of each key's width, 1 for a key
/// of plain values and the longest array for a key holding arrays (each element becomes a
/// column of the table, and a row without the array still fills every one of them). No
/// more than `max_keys + 1` keys are gathered (enough to tell the data is too wide) and
/// arrays are counted up to one element past the most a vector may have. Lines that are
/// not JSON objects add no key here; the reader refuses them.
pub fn jsonl_read_shape(bytes: &[u8], max_keys: usize) -> (u64, u64) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut widths: HashMap<String, u64> = HashMap::new();
    let mut lines = 0u64;
    for line in bytes.split(|&b| b == b'\n') {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        lines += 1;
        let mut de = serde_json::Deserializer::from_slice(line);
        let _ = de::DeserializeSeed::deserialize(
            KeyWidths {
                widths: &mut widths,
                cap: max_keys.saturating_add(1),
            },
            &mut de,
        );
    }
    (lines, widths.values().fold(0, |a, &w| a.saturating_add(w)))
}

/// Gathers the width of each key of one object into `widths` (up to `cap` keys).
struct KeyWidths<'a> {
    widths: &'a mut HashMap<String, u64>,
    cap: usize,
}

impl<'de> de::DeserializeSeed<'de> for KeyWidths<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for KeyWidths<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            let width = map.next_value::<ValueWidth>()?.0;
            let known = self.widths.contains_key(&key);
            if known || self.widths.len() < self.cap {
                let w = self.widths.entry(key).or_insert(1);
                *w = (*w).max(width);
            }
        }
        Ok(())
    }
}

/// How many columns one JSON value becomes: an array its elements (at least 1, up to one
/// past [`MAX_VECTOR_DIMENSION`]), anything else 1.
struct ValueWidth(u64);

impl<'de> de::Deserialize<'de> for ValueWidth {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ValueWidth;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_unit<E>(self) -> Result<ValueWidth, E> {
                Ok(ValueWidth(1))
            }
            fn visit_none<E>(self) -> Result<ValueWidth, E> {
                Ok(ValueWidth(1))
            }
            fn visit_bool<E>(self, _: bool) -> Result<ValueWidth, E> {
                Ok(ValueWidth(1))
            }
            fn visit_i64<E>(self, _: i64) -> Result<ValueWidth, E> {
                Ok(ValueWidth(1))
            }
            fn visit_u64<E>(self, _: u64) -> Result<ValueWidth, E> {
                Ok(ValueWidth(1))
            }
            fn visit_f64<E>(self, _: f64) -> Result<ValueWidth, E> {
                Ok(ValueWidth(1))
            }
            fn visit_str<E>(self, _: &str) -> Result<ValueWidth, E> {
                Ok(ValueWidth(1))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut a: A) -> Result<ValueWidth, A::Error> {
                let mut n = 0u64;
                while a.next_element::<IgnoredAny>()?.is_some() {
                    if n <= MAX_VECTOR_DIMENSION as u64 {
                        n += 1;
                    }
                }
                Ok(ValueWidth(n.max(1)))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<ValueWidth, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(ValueWidth(1))
            }
        }
        d.deserialize_any(V)
    }
}

/// Reads a JSON Lines file.
pub(crate) fn read_jsonl(path: &Path) -> Result<(Table, Vec<VectorColumn>), ReadError> {
    let bytes = std::fs::read(path).map_err(|e| ReadError::io(path, &e))?;
    parse_jsonl(path, &bytes)
}

fn json_error(path: &Path, line: u64, message: impl Into<String>) -> ReadError {
    ReadError::Json {
        path: show(path),
        line,
        message: one_line(message.into()),
    }
}

pub(crate) fn parse_jsonl(
    path: &Path,
    bytes: &[u8],
) -> Result<(Table, Vec<VectorColumn>), ReadError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(|c| c.is_ascii_whitespace()) {
        return Err(ReadError::Empty { path: show(path) });
    }
    let mut names: Vec<String> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut values: Vec<Vec<Scalar>> = Vec::new();
    let mut rows = 0usize;
    for (i, raw) in bytes.split(|&c| c == b'\n').enumerate() {
        let line_no = i as u64 + 1;
        let text = std::str::from_utf8(raw).map_err(|_| ReadError::InvalidUtf8 {
            path: show(path),
            line: line_no,
        })?;
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        if !text.starts_with('{') {
            return Err(json_error(path, line_no, "expected a JSON object"));
        }
        let row: Row = serde_json::from_str(text)
            .map_err(|e| json_error(path, line_no, format!("invalid JSON: {e}")))?;
        for (key, v) in row.0 {
            if matches!(v, Scalar::Nested) {
                return Err(json_error(
                    path,
                    line_no,
                    format!("key {key:?} holds a nested object, which is not supported"),
                ));
            }
            let j = match index.get(&key) {
                Some(&j) => j,
                None => {
                    index.insert(key.clone(), names.len());
                    names.push(key);
                    let mut col = Vec::with_capacity(rows + 1);
                    col.extend((0..rows).map(|_| Scalar::Null));
                    values.push(col);
                    values.len() - 1
                }
            };
            let col = &mut values[j];
            if col.len() == rows + 1 {
                col[rows] = v; // a key repeated within one object: the last value wins
            } else {
                col.push(v);
            }
        }
        rows += 1;
        for col in &mut values {
            if col.len() < rows {
                col.push(Scalar::Null);
            }
        }
    }
    let is_vector = |vals: &[Scalar]| {
        vals.iter()
            .any(|v| matches!(v, Scalar::Vector(_) | Scalar::BadArray))
    };
    let plain: std::collections::HashSet<&str> = names
        .iter()
        .zip(&values)
        .filter(|(_, vals)| !is_vector(vals))
        .map(|(n, _)| n.as_str())
        .collect();
    let mut columns = Vec::with_capacity(names.len());
    let mut vectors = Vec::new();
    for (name, vals) in names.iter().zip(values) {
        if !is_vector(&vals) {
            columns.push(Column::new(name.clone(), column_data(vals)));
            continue;
        }
        let mut builder = VectorBuilder::new(name);
        for v in vals {
            match v {
                Scalar::Vector(x) => builder.push(Some(&x)),
                Scalar::Null => builder.push(None),
                Scalar::BadArray => builder.push_bad("an array with a value that is not a number"),
                Scalar::Bool(_) => builder.push_bad("a boolean"),
                Scalar::Int(_) | Scalar::Float(_) => builder.push_bad("a number"),
                Scalar::Str(_) => builder.push_bad("a string"),
                Scalar::Nested => builder.push_bad("an object"),
            }
        }
        let (components, vector) = builder.finish(&|n| plain.contains(n));
        columns.extend(components);
        vectors.push(vector);
    }
    // A component (`KEY.0`) never shadows a plain key: the builder refuses that, and
    // keys are unique.
    let table = Table::new(columns).expect("column names are unique");
    Ok((table, vectors))
}

fn column_data(vals: Vec<Scalar>) -> ColumnData {
    let (mut b, mut i, mut f, mut s) = (false, false, false, false);
    for v in &vals {
        match v {
            Scalar::Bool(_) => b = true,
            Scalar::Int(_) => i = true,
            Scalar::Float(_) => f = true,
            Scalar::Str(_) => s = true,
            Scalar::Null | Scalar::Nested | Scalar::Vector(_) | Scalar::BadArray => {}
        }
    }
    match (b, i, f, s) {
        (false, false, false, false) => ColumnData::Float(vec![f64::NAN; vals.len()]),
        (true, false, false, false) => ColumnData::Bool(
            vals.iter()
                .map(|v| match v {
                    Scalar::Bool(x) => Some(*x),
                    _ => None,
                })
                .collect(),
        ),
        (false, true, false, false) => ColumnData::Int(
            vals.iter()
                .map(|v| match v {
                    Scalar::Int(x) => Some(*x),
                    _ => None,
                })
                .collect(),
        ),
        (false, _, true, false) => ColumnData::Float(
            vals.iter()
                .map(|v| match v {
                    Scalar::Int(x) => *x as f64,
                    Scalar::Float(x) => *x,
                    _ => f64::NAN,
                })
                .collect(),
        ),
        (false, false, false, true) => text_column(
            vals.iter().map(|v| match v {
                Scalar::Str(x) => Some(x.as_str()),
                _ => None,
            }),
            never_na,
        ),
        _ => {
            // Mixed kinds: everything as text.
            let text: Vec<Option<String>> = vals
                .into_iter()
                .map(|v| match v {
                    Scalar::Null | Scalar::Nested | Scalar::Vector(_) | Scalar::BadArray => None,
                    Scalar::Bool(x) => Some(if x { "True" } else { "False" }.to_owned()),
                    Scalar::Int(x) => Some(x.to_string()),
                    Scalar::Float(x) => Some(format!("{x:?}")),
                    Scalar::Str(x) => Some(x),
                })
                .collect();
            let mut builder = crate::dictionary::StrDictBuilder::with_capacity(text.len());
            for t in &text {
                builder.push(t.as_deref());
            }
            ColumnData::Str(builder.finish())
        }
    }
}
