//! Request bodies into rows, one at a time.
//!
//! A body is never turned into a whole tree of JSON values: a JSON array is read element
//! by element, JSON Lines line by line and CSV through the columnar CSV reader, and each
//! row is handed to the caller as soon as it is read, so that memory follows the rows
//! kept (the validated events), not a parse tree several times the body's size. The row
//! limit is checked before any row is built where the rows can be counted cheaply (JSON
//! Lines and CSV count lines) and as the array is read for JSON, so an oversized body
//! costs one scan, not its parse.

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::{BodyError, BodyFormat, RowResult};

/// How many rows one request may hold, and how many keys one row may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowLimits {
    /// The most rows (events, labels) in one request body.
    pub max_rows: usize,
    /// The most keys in one row (a CSV body's columns); a row with more is rejected.
    pub max_keys: usize,
}

/// Reads `body` as `format` and calls `row` with each row in order: a JSON object, or the
/// reason it is not one. Returns how many rows there were. A body that cannot be read at
/// all, or holds more than `limits.max_rows` rows, is an error; rows may have been handed
/// out before such an error, so a caller stores nothing until this returns `Ok`.
pub fn for_each_row(
    body: &[u8],
    format: BodyFormat,
    limits: &RowLimits,
    mut row: impl FnMut(RowResult),
) -> Result<usize, BodyError> {
    let text = std::str::from_utf8(body).map_err(|_| BodyError::Utf8)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(BodyError::Empty);
    }
    match format {
        BodyFormat::Json => json_body(text, limits, &mut row),
        BodyFormat::JsonLines => json_lines(text, limits, &mut row),
        BodyFormat::Csv => super::csv_body::csv_rows(text.as_bytes(), limits, &mut row),
    }
}

/// A body split into rows; [`for_each_row`] collected.
pub fn split_rows(
    body: &[u8],
    format: BodyFormat,
    limits: &RowLimits,
) -> Result<Vec<RowResult>, BodyError> {
    let mut rows = Vec::new();
    for_each_row(body, format, limits, |r| rows.push(r))?;
    Ok(rows)
}

/// One JSON object, or an array of them, streamed. A body of several objects one per line
/// sent as `application/json` is read as JSON Lines.
fn json_body(
    text: &str,
    limits: &RowLimits,
    row: &mut impl FnMut(RowResult),
) -> Result<usize, BodyError> {
    let mut too_many = false;
    let mut de = serde_json::Deserializer::from_str(text);
    let top = TopLevel {
        limits,
        row: &mut *row,
        rows: 0,
        too_many: &mut too_many,
    };
    let parsed = top.deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    if too_many {
        return Err(BodyError::TooManyRows {
            limit: limits.max_rows,
        });
    }
    match parsed {
        Ok(Parsed::Array(n)) => Ok(n),
        Ok(Parsed::Object(o)) => {
            row(o);
            Ok(1)
        }
        Ok(Parsed::Scalar) => Err(BodyError::NotObjects),
        // Objects one per line: the first object parses and the second is "trailing
        // characters"; an error on a later line of an object is JSON Lines too.
        // No row has been handed out when the body starts with an object.
        Err(e) if text.trim_start().starts_with('{') && (e.is_data() || e.line() > 1) => {
            json_lines(text, limits, row)
        }
        Err(e) => Err(BodyError::Json(e.to_string())),
    }
}

/// JSON Lines: each non-blank line one object. The lines are counted first, so a body over
/// the row limit is refused before any line is parsed.
fn json_lines(
    text: &str,
    limits: &RowLimits,
    row: &mut impl FnMut(RowResult),
) -> Result<usize, BodyError> {
    let lines = || text.lines().filter(|l| !l.trim().is_empty());
    if lines().nth(limits.max_rows).is_some() {
        return Err(BodyError::TooManyRows {
            limit: limits.max_rows,
        });
    }
    let mut n = 0;
    for line in lines() {
        let mut de = serde_json::Deserializer::from_str(line);
        let parsed = RowSeed { limits }
            .deserialize(&mut de)
            .and_then(|r| de.end().map(|()| r));
        row(match parsed {
            Ok(r) => r,
            Err(e) => Err(format!("not valid JSON: {e}")),
        });
        n += 1;
    }
    Ok(n)
}

/// What the top level of a JSON body was.
enum Parsed {
    /// An array, whose elements were handed out; how many.
    Array(usize),
    /// One value that is a row on its own (an object, or why it is not a row), handed out
    /// only once the body is known to end after it.
    Object(RowResult),
    /// A number, string, boolean or null: not rows at all.
    Scalar,
}

/// The top level of a JSON body: an array streamed row by row, or a single object.
struct TopLevel<'a, F> {
    limits: &'a RowLimits,
    row: &'a mut F,
    rows: usize,
    too_many: &'a mut bool,
}

impl<'de, F: FnMut(RowResult)> DeserializeSeed<'de> for TopLevel<'_, F> {
    type Value = Parsed;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Parsed, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, F: FnMut(RowResult)> Visitor<'de> for TopLevel<'_, F> {
    type Value = Parsed;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object or an array of objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<Parsed, A::Error> {
        while let Some(r) = seq.next_element_seed(RowSeed {
            limits: self.limits,
        })? {
            self.rows += 1;
            if self.rows > self.limits.max_rows {
                *self.too_many = true;
                return Err(de::Error::custom("too many rows"));
            }
            (self.row)(r);
        }
        Ok(Parsed::Array(self.rows))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Parsed, A::Error> {
        RowVisitor {
            limits: self.limits,
        }
        .visit_map(map)
        .map(Parsed::Object)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Parsed, E> {
        Ok(Parsed::Scalar)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Parsed, E> {
        Ok(Parsed::Scalar)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Parsed, E> {
        Ok(Parsed::Scalar)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Parsed, E> {
        Ok(Parsed::Scalar)
    }
    fn visit_str<E>(self, _: &str) -> Result<Parsed, E> {
        Ok(Parsed::Scalar)
    }
    fn visit_unit<E>(self) -> Result<Parsed, E> {
        Ok(Parsed::Scalar)
    }
}

/// One row of a JSON body: an object of at most `max_keys` keys, or the reason it is not
/// a row. The value is read to its end either way, so the next row starts where it should,
/// but the keys past the limit and the parts of a non-object are never built.
struct RowSeed<'a> {
    limits: &'a RowLimits,
}

impl<'de> DeserializeSeed<'de> for RowSeed<'_> {
    type Value = RowResult;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<RowResult, D::Error> {
        d.deserialize_any(RowVisitor {
            limits: self.limits,
        })
    }
}

struct RowVisitor<'a> {
    limits: &'a RowLimits,
}

fn not_an_object(what: &str) -> RowResult {
    Err(format!("expected a JSON object, got {what}"))
}

impl<'de> Visitor<'de> for RowVisitor<'_> {
    type Value = RowResult;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RowResult, A::Error> {
        let mut o = Map::new();
        let mut keys = 0usize;
        while let Some(key) = map.next_key::<String>()? {
            keys += 1;
            if keys > self.limits.max_keys {
                map.next_value::<IgnoredAny>()?;
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {
                    keys += 1;
                }
                return Ok(Err(format!(
                    "the row has {keys} keys; at most {} are allowed",
                    self.limits.max_keys
                )));
            }
            let value = map.next_value::<Value>()?;
            o.insert(key, value);
        }
        Ok(Ok(o))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RowResult, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(not_an_object("an array"))
    }

    fn visit_bool<E>(self, _: bool) -> Result<RowResult, E> {
        Ok(not_an_object("a boolean"))
    }
    fn visit_i64<E>(self, _: i64) -> Result<RowResult, E> {
        Ok(not_an_object("a number"))
    }
    fn visit_u64<E>(self, _: u64) -> Result<RowResult, E> {
        Ok(not_an_object("a number"))
    }
    fn visit_f64<E>(self, _: f64) -> Result<RowResult, E> {
        Ok(not_an_object("a number"))
    }
    fn visit_str<E>(self, _: &str) -> Result<RowResult, E> {
        Ok(not_an_object("a string"))
    }
    fn visit_unit<E>(self) -> Result<RowResult, E> {
        Ok(not_an_object("null"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: RowLimits = RowLimits {
        max_rows: 4,
        max_keys: 2,
    };

    fn rows(body: &str, format: BodyFormat) -> Result<Vec<RowResult>, BodyError> {
        split_rows(body.as_bytes(), format, &LIMITS)
    }

    #[test]
    fn arrays_objects_and_lines() {
        let r = rows(
            r#"[{"a": 1}, 5, [1, {"b": 2}], {"a": 2, "b": null}]"#,
            BodyFormat::Json,
        )
        .unwrap();
        assert_eq!(r.len(), 4);
        assert_eq!(r[0].as_ref().unwrap()["a"], 1);
        assert_eq!(r[1], not_an_object("a number"));
        assert_eq!(r[2], not_an_object("an array"));
        assert!(r[3].as_ref().unwrap()["b"].is_null());
        assert_eq!(rows(r#" {"a": "x"} "#, BodyFormat::Json).unwrap().len(), 1);
        // Objects one per line, sent as JSON, are JSON Lines.
        let r = rows("{\"a\": 1}\n{\"a\": 2}\n", BodyFormat::Json).unwrap();
        assert_eq!(r.len(), 2);
        let r = rows("{\"a\": 1}\n\n  \n{\"a\": \n", BodyFormat::JsonLines).unwrap();
        assert_eq!(r.len(), 2);
        assert!(r[1].as_ref().unwrap_err().starts_with("not valid JSON"));
        assert!(matches!(
            rows("null", BodyFormat::Json),
            Err(BodyError::NotObjects)
        ));
        assert!(matches!(
            rows("[{\"a\": 1}, ", BodyFormat::Json),
            Err(BodyError::Json(_))
        ));
        assert!(matches!(
            rows("{\"a\": 1} x", BodyFormat::Json),
            Err(BodyError::Json(_))
        ));
    }

    #[test]
    fn the_row_limit_is_a_whole_body_error_in_every_format() {
        assert_eq!(rows("[{}, {}, {}, {}]", BodyFormat::Json).unwrap().len(), 4);
        for (body, format) in [
            ("[{}, {}, {}, {}, {}]", BodyFormat::Json),
            ("[1, 2, 3, 4, 5]", BodyFormat::Json),
            ("{}\n{}\n{}\n{}\n{}\n", BodyFormat::Json),
            ("{}\n{}\n{}\n{}\n{}\n", BodyFormat::JsonLines),
            ("a\n1\n2\n3\n4\n5\n", BodyFormat::Csv),
            ("a\n\"1\"\n2\n3\n4\n\"5\"", BodyFormat::Csv),
        ] {
            assert!(
                matches!(rows(body, format), Err(BodyError::TooManyRows { limit: 4 })),
                "{body:?}"
            );
        }
        // Blank lines are not rows.
        assert_eq!(
            rows("{}\n\n{}\n\n{}\n\n", BodyFormat::JsonLines)
                .unwrap()
                .len(),
            3
        );
    }

    #[test]
    fn a_row_over_the_key_limit_is_rejected_and_the_next_row_still_read() {
        let r = rows(
            r#"[{"a": 1, "b": 2, "c": {"deep": [1, 2]}, "d": 4}, {"a": 1}]"#,
            BodyFormat::Json,
        )
        .unwrap();
        assert_eq!(
            r[0],
            Err("the row has 4 keys; at most 2 are allowed".to_string())
        );
        assert_eq!(r[1].as_ref().unwrap()["a"], 1);
    }
}
