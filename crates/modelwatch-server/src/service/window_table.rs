//! A window of stored events as a table shaped like the project's reference, so the
//! presets compare like with like.
//!
//! Each reference column keeps its physical kind in the window (an integer label column
//! stays integer, so category `1` in the window is category `1` of the reference). When a
//! window value does not fit that kind (`2.5` in an integer column, text in a boolean one)
//! the whole window column widens: to floats for numbers, to text otherwise, so no value
//! is lost.

use modelwatch_core::table::{Column, ColumnData, StrColumnBuilder, Table, TableError};
use serde_json::Value;

use crate::ingest::parse_time;
use crate::store::StoredEvent;

/// Builds the window table. `target` names the column that labels joined later fill in;
/// `timestamp` names a datetime column filled from the event time when an event lacks it;
/// `extra` names configured columns the reference lacks (a prediction column, class
/// probabilities), added after the reference's columns with their type read from the
/// values. Reference columns named in `computed` (text descriptors, computed from the
/// window's texts afterwards) are left out.
pub fn window_table(
    reference: &Table,
    events: Vec<StoredEvent>,
    target: Option<&str>,
    timestamp: Option<&str>,
    extra: &[&str],
    computed: &[String],
) -> Result<Table, TableError> {
    let missing: Vec<&str> = extra
        .iter()
        .copied()
        .filter(|n| reference.column(n).is_none())
        .collect();
    let names: Vec<&str> = reference
        .columns()
        .iter()
        .map(|c| c.name.as_str())
        .filter(|n| !computed.iter().any(|c| c == n))
        .chain(missing.iter().copied())
        .collect();
    let target_at = target.and_then(|t| names.iter().position(|n| *n == t));
    let timestamp_at = timestamp.and_then(|t| names.iter().position(|n| *n == t));
    // One pass over the events, each parsed and moved into per-column cells right away,
    // so memory holds the cells, not every event's text and map at once.
    let mut cells: Vec<Vec<Value>> = names
        .iter()
        .map(|_| Vec::with_capacity(events.len()))
        .collect();
    for event in events {
        let mut obj = match serde_json::from_str::<Value>(&event.values_json) {
            Ok(Value::Object(o)) => o,
            _ => serde_json::Map::new(),
        };
        let label = event
            .label_json
            .as_deref()
            .and_then(|l| serde_json::from_str::<Value>(l).ok());
        for (i, name) in names.iter().enumerate() {
            let own = obj.remove(*name).filter(|v| !v.is_null());
            let v = match (Some(i) == target_at, &label, own) {
                (true, Some(l), _) => l.clone(),
                (_, _, Some(v)) => v,
                _ if Some(i) == timestamp_at => Value::from(event.ts_us as f64 / 1e6),
                _ => Value::Null,
            };
            cells[i].push(v);
        }
    }
    let columns = names
        .iter()
        .zip(cells)
        .map(|(name, values)| {
            let data = match reference.column(name) {
                Some(c) => column_like(&c.data, &values),
                None => column_inferred(&values),
            };
            Column::new(*name, data)
        })
        .collect();
    Table::new(columns)
}

fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => modelwatch_io::infer::parse_float(s.trim().as_bytes()),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "True" } else { "False" }.to_string()),
        other => Some(other.to_string()),
    }
}

fn floats(values: &[Value]) -> Option<ColumnData> {
    let mut out = Vec::with_capacity(values.len());
    for v in values {
        match v {
            Value::Null => out.push(f64::NAN),
            other => out.push(as_f64(other)?),
        }
    }
    Some(ColumnData::Float(out))
}

fn texts(values: &[Value]) -> ColumnData {
    let mut b = StrColumnBuilder::with_capacity(values.len());
    for v in values {
        b.push(as_text(v).as_deref());
    }
    ColumnData::Str(b.finish())
}

/// A column without a reference counterpart: integers, floats, booleans or text, by what
/// the values are.
fn column_inferred(values: &[Value]) -> ColumnData {
    let present = || values.iter().filter(|v| !v.is_null());
    if present().all(|v| v.as_i64().is_some()) {
        ColumnData::Int(values.iter().map(Value::as_i64).collect())
    } else if present().all(Value::is_number) {
        ColumnData::Float(
            values
                .iter()
                .map(|v| v.as_f64().unwrap_or(f64::NAN))
                .collect(),
        )
    } else if present().all(Value::is_boolean) {
        ColumnData::Bool(values.iter().map(Value::as_bool).collect())
    } else {
        texts(values)
    }
}

/// The window's column in the reference column's physical kind, widened when needed.
fn column_like(reference: &ColumnData, values: &[Value]) -> ColumnData {
    match reference {
        ColumnData::Float(_) => floats(values).unwrap_or_else(|| texts(values)),
        ColumnData::Int(_) => {
            let mut out = Vec::with_capacity(values.len());
            for v in values {
                let x = match v {
                    Value::Null => None,
                    Value::Number(n) => match n.as_i64() {
                        Some(i) => Some(i),
                        None => match n.as_f64() {
                            Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(f as i64),
                            _ => return floats(values).unwrap_or_else(|| texts(values)),
                        },
                    },
                    Value::String(s) => {
                        match modelwatch_io::infer::parse_int(s.trim().as_bytes()) {
                            Some(i) => Some(i),
                            None => return floats(values).unwrap_or_else(|| texts(values)),
                        }
                    }
                    _ => return texts(values),
                };
                out.push(x);
            }
            ColumnData::Int(out)
        }
        ColumnData::Bool(_) => {
            let mut out = Vec::with_capacity(values.len());
            for v in values {
                let x = match v {
                    Value::Null => None,
                    Value::Bool(b) => Some(*b),
                    Value::String(s) => match modelwatch_io::infer::parse_bool(s.trim().as_bytes())
                    {
                        Some(b) => Some(b),
                        None => return texts(values),
                    },
                    _ => return texts(values),
                };
                out.push(x);
            }
            ColumnData::Bool(out)
        }
        ColumnData::Str(_) => texts(values),
        ColumnData::Datetime(_) => {
            let mut out = Vec::with_capacity(values.len());
            for v in values {
                out.push(match v {
                    Value::Null => None,
                    other => match parse_time(other) {
                        Ok(us) => Some(us),
                        Err(_) => return texts(values),
                    },
                });
            }
            ColumnData::Datetime(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(json: &str, label: Option<&str>) -> StoredEvent {
        StoredEvent {
            seq: 0,
            ts_us: 1_000_000,
            event_id: None,
            values_json: json.into(),
            label_json: label.map(str::to_string),
        }
    }

    fn reference() -> Table {
        modelwatch_io::read_table_bytes(
            b"x,n,flag,city,label,ts\n1.5,1,true,Paris,1,2024-01-01T00:00:00Z\n",
            modelwatch_io::Format::Csv,
            "ref",
            None,
        )
        .unwrap()
    }

    #[test]
    fn window_columns_follow_the_reference_kinds() {
        let events = [
            ev(
                r#"{"x": 2, "n": 3, "flag": false, "city": "Rome", "label": 0}"#,
                Some("1"),
            ),
            ev(r#"{"x": null, "n": "4", "city": 7}"#, None),
        ];
        let t = window_table(
            &reference(),
            events.to_vec(),
            Some("label"),
            Some("ts"),
            &[],
            &[],
        )
        .unwrap();
        assert_eq!(t.rows(), 2);
        let data = |n: &str| &t.column(n).unwrap().data;
        assert!(matches!(data("x"), ColumnData::Float(v) if v[0] == 2.0 && v[1].is_nan()));
        assert_eq!(data("n"), &ColumnData::Int(vec![Some(3), Some(4)]));
        assert_eq!(data("flag"), &ColumnData::Bool(vec![Some(false), None]));
        match data("city") {
            ColumnData::Str(s) => assert_eq!((s.get(0), s.get(1)), (Some("Rome"), Some("7"))),
            other => panic!("{other:?}"),
        }
        // The joined label wins over the event's own value.
        assert_eq!(data("label"), &ColumnData::Int(vec![Some(1), None]));
        assert_eq!(
            data("ts"),
            &ColumnData::Datetime(vec![Some(1_000_000), Some(1_000_000)])
        );
    }

    #[test]
    fn values_that_do_not_fit_widen_the_column() {
        let events = [
            ev(r#"{"n": 2.5}"#, None),
            ev(r#"{"n": 1, "flag": "maybe"}"#, None),
        ];
        let t = window_table(&reference(), events.to_vec(), None, None, &[], &[]).unwrap();
        assert!(
            matches!(&t.column("n").unwrap().data, ColumnData::Float(v) if v == &vec![2.5, 1.0])
        );
        assert!(matches!(
            &t.column("flag").unwrap().data,
            ColumnData::Str(_)
        ));
    }

    #[test]
    fn configured_columns_missing_from_the_reference_are_added() {
        let events = [
            ev(r#"{"pred": "a", "proba": 0.25, "k": 1}"#, None),
            ev(r#"{"pred": "b", "k": 2}"#, None),
        ];
        let t = window_table(
            &reference(),
            events.to_vec(),
            None,
            None,
            &["pred", "proba", "k", "x"],
            &[],
        )
        .unwrap();
        assert_eq!(t.columns().len(), 9);
        assert!(matches!(
            &t.column("pred").unwrap().data,
            ColumnData::Str(_)
        ));
        assert!(
            matches!(&t.column("proba").unwrap().data, ColumnData::Float(v) if v[0] == 0.25 && v[1].is_nan())
        );
        assert_eq!(
            &t.column("k").unwrap().data,
            &ColumnData::Int(vec![Some(1), Some(2)])
        );
    }
}
