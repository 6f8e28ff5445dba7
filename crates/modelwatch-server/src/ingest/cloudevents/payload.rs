//! Inference payloads into rows: pure functions over the JSON bodies the payload loggers
//! carry. One row per batch element.
//!
//! - KServe v1 (TensorFlow Serving's row format): a request's `instances` is a list with
//!   one element per row, an object (its keys become columns) or a list of values
//!   (columns named by the configured list for `instances`, else `instances_<i>`); a
//!   response's `predictions` has one element per row, a single value (the prediction),
//!   an object (its keys become columns) or a list (`predictions_<i>`, or configured).
//! - Open Inference Protocol (KServe v2): `inputs` / `outputs` are tensors with `name`,
//!   `shape`, `datatype` and `data` (flat in row-major order, or nested). The first
//!   dimension is the batch; a tensor of shape `[n]` or `[n, 1]` is one column named after
//!   the tensor, a tensor of shape `[n, k]` (or more dimensions, flattened per row) is `k`
//!   columns named by the configured list for its name, else `<name>_<i>`. The data's
//!   length must be the product of the shape. A response whose only output is one column
//!   gives the prediction.
//! - Seldon Core v1's protocol: `data` holds `names` and an `ndarray` (one list per row)
//!   or a `tensor` (`shape`, `values`); the names, else `data_<i>`, are the columns. A
//!   response of one column gives the prediction; a feedback's `truth` of one column gives
//!   the label.
//!
//! What is not one of these is refused with the reason, naming the tensor or key.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// Column names for tensors wider than one column, by tensor name (`instances`,
/// `predictions` and `data` for the row formats).
pub type TensorColumns = BTreeMap<String, Vec<String>>;

/// One batch element of a request, response or feedback.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Row {
    /// Its columns (inputs, or outputs other than a single prediction).
    pub columns: Map<String, Value>,
    /// The single value of a response (the prediction) or of a feedback (the truth).
    pub value: Option<Value>,
}

/// Why a payload cannot be read into rows.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct PayloadError(pub String);

fn err<T>(message: impl Into<String>) -> Result<T, PayloadError> {
    Err(PayloadError(message.into()))
}

/// Which half of an inference a body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The model's input.
    Request,
    /// The model's output.
    Response,
}

/// The rows of a request or response body, whichever of the three protocols it speaks.
pub fn decode(
    body: &Value,
    direction: Direction,
    names: &TensorColumns,
) -> Result<Vec<Row>, PayloadError> {
    let Value::Object(o) = body else {
        return err(format!(
            "the payload must be a JSON object, got {}",
            super::super::kind(body)
        ));
    };
    let (row_key, tensor_key) = match direction {
        Direction::Request => ("instances", "inputs"),
        Direction::Response => ("predictions", "outputs"),
    };
    if let Some(v) = o.get(row_key) {
        return row_format(row_key, v, direction, names);
    }
    if let Some(v) = o.get(tensor_key) {
        return tensors(tensor_key, v, direction, names);
    }
    if let Some(v) = o.get("data") {
        return seldon(v, direction, names);
    }
    err(format!(
        "the payload has none of `{row_key}` (KServe v1), `{tensor_key}` (Open Inference \
         Protocol) or `data` (Seldon)"
    ))
}

/// The truth of a Seldon feedback body (`{"truth": {"data": ...}}`), one value per row.
pub fn seldon_truth(body: &Value) -> Result<Vec<Value>, PayloadError> {
    let Some(truth) = body.get("truth") else {
        return err("the feedback has no `truth`");
    };
    let Some(data) = truth.get("data") else {
        return err("the feedback's `truth` has no `data`");
    };
    let (_, rows) = seldon_matrix(data)?;
    rows.into_iter()
        .enumerate()
        .map(|(i, mut r)| match r.len() {
            1 => Ok(r.remove(0)),
            k => err(format!(
                "the feedback's truth has {k} values in row {i}; one label per row is taken"
            )),
        })
        .collect()
}

/// Names for `k` columns of tensor `name`: the configured list, else `<name>_<i>`.
fn column_names(name: &str, k: usize, names: &TensorColumns) -> Result<Vec<String>, PayloadError> {
    match names.get(name) {
        Some(list) if list.len() == k => Ok(list.clone()),
        Some(list) => err(format!(
            "tensor `{name}` has {k} columns but {} names are configured for it",
            list.len()
        )),
        None => Ok((0..k).map(|i| format!("{name}_{i}")).collect()),
    }
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Array(_) | Value::Object(_))
}

/// KServe v1: `instances` / `predictions`, one element per row.
fn row_format(
    key: &str,
    v: &Value,
    direction: Direction,
    names: &TensorColumns,
) -> Result<Vec<Row>, PayloadError> {
    let Value::Array(items) = v else {
        return err(format!(
            "`{key}` must be a list, got {}",
            super::super::kind(v)
        ));
    };
    items
        .iter()
        .map(|item| match item {
            Value::Object(o) => Ok(Row {
                columns: o.clone(),
                value: None,
            }),
            Value::Array(values) => {
                let cols = column_names(key, values.len(), names)?;
                Ok(Row {
                    columns: cols.into_iter().zip(values.iter().cloned()).collect(),
                    value: None,
                })
            }
            scalar => match direction {
                Direction::Response => Ok(Row {
                    columns: Map::new(),
                    value: Some(scalar.clone()),
                }),
                Direction::Request => {
                    let col = names
                        .get(key)
                        .and_then(|l| l.first().cloned())
                        .unwrap_or_else(|| key.to_string());
                    Ok(Row {
                        columns: Map::from_iter([(col, scalar.clone())]),
                        value: None,
                    })
                }
            },
        })
        .collect()
}

/// Flattens nested lists in row-major order.
fn flatten(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Array(items) => items.iter().for_each(|x| flatten(x, out)),
        other => out.push(other.clone()),
    }
}

/// One tensor of the Open Inference Protocol, checked: its name, batch size, and each
/// row's values.
fn tensor(t: &Value, key: &str, index: usize) -> Result<(String, Vec<Vec<Value>>), PayloadError> {
    let Value::Object(o) = t else {
        return err(format!("`{key}[{index}]` must be a tensor object"));
    };
    let name = match o.get("name") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => return err(format!("`{key}[{index}]` has no `name`")),
    };
    let shape: Vec<usize> = match o.get("shape") {
        Some(Value::Array(dims)) => dims
            .iter()
            .map(|d| d.as_u64().map(|d| d as usize))
            .collect::<Option<_>>()
            .ok_or_else(|| {
                PayloadError(format!(
                    "tensor `{name}`: `shape` must be a list of non-negative integers"
                ))
            })?,
        _ => return err(format!("tensor `{name}` has no `shape`")),
    };
    let datatype = match o.get("datatype") {
        Some(Value::String(s)) => s.clone(),
        _ => return err(format!("tensor `{name}` has no `datatype`")),
    };
    let Some(data) = o.get("data") else {
        return err(format!("tensor `{name}` has no `data`"));
    };
    let mut flat = Vec::new();
    flatten(data, &mut flat);
    let expected = shape
        .iter()
        .try_fold(1usize, |n, d| n.checked_mul(*d))
        .ok_or_else(|| PayloadError(format!("tensor `{name}`: its shape overflows")))?;
    if flat.len() != expected {
        return err(format!(
            "tensor `{name}`: shape {shape:?} holds {expected} values but `data` has {}",
            flat.len()
        ));
    }
    let fits: fn(&Value) -> bool = match datatype.as_str() {
        "BOOL" => Value::is_boolean,
        "BYTES" => Value::is_string,
        "UINT8" | "UINT16" | "UINT32" | "UINT64" | "INT8" | "INT16" | "INT32" | "INT64"
        | "FP16" | "FP32" | "FP64" | "BF16" => Value::is_number,
        other => return err(format!("tensor `{name}`: unknown datatype `{other}`")),
    };
    if let Some(bad) = flat.iter().find(|v| !fits(v)) {
        return err(format!(
            "tensor `{name}` ({datatype}) holds {}",
            super::super::kind(bad)
        ));
    }
    let (n, k) = match shape.split_first() {
        None => (1, 1),
        Some((n, rest)) => (*n, rest.iter().product::<usize>()),
    };
    // Rows of no values would be made one by one for a batch the (empty) data never
    // bounds: `[10^16, 0]` with `data: []`.
    if k == 0 && n > 0 {
        return err(format!(
            "tensor `{name}`: shape {shape:?} gives rows of no values"
        ));
    }
    let rows = if k == 0 {
        Vec::new()
    } else {
        flat.chunks(k).map(<[Value]>::to_vec).collect()
    };
    Ok((name, rows))
}

/// Open Inference Protocol: `inputs` / `outputs`, a list of tensors sharing their batch.
fn tensors(
    key: &str,
    v: &Value,
    direction: Direction,
    names: &TensorColumns,
) -> Result<Vec<Row>, PayloadError> {
    let Value::Array(list) = v else {
        return err(format!("`{key}` must be a list of tensors"));
    };
    if list.is_empty() {
        return err(format!("`{key}` holds no tensor"));
    }
    let decoded: Vec<(String, Vec<Vec<Value>>)> = list
        .iter()
        .enumerate()
        .map(|(i, t)| tensor(t, key, i))
        .collect::<Result<_, _>>()?;
    let n = decoded[0].1.len();
    if let Some((name, rows)) = decoded.iter().find(|(_, rows)| rows.len() != n) {
        return err(format!(
            "tensor `{name}` has a batch of {} rows but `{}` has {n}",
            rows.len(),
            decoded[0].0
        ));
    }
    let single = direction == Direction::Response
        && decoded.len() == 1
        && decoded[0].1.iter().all(|r| r.len() == 1)
        && !names.contains_key(&decoded[0].0);
    let mut rows = vec![Row::default(); n];
    for (name, values) in decoded {
        let k = values.first().map_or(0, Vec::len);
        let cols = match (single, k) {
            (true, _) => Vec::new(),
            (false, 1) if !names.contains_key(&name) => vec![name.clone()],
            _ => column_names(&name, k, names)?,
        };
        for (row, vals) in rows.iter_mut().zip(values) {
            if single {
                row.value = vals.into_iter().next();
            } else {
                row.columns.extend(cols.iter().cloned().zip(vals));
            }
        }
    }
    Ok(rows)
}

/// A message's column names (when it gives them) and its rows of values.
type Matrix = (Option<Vec<String>>, Vec<Vec<Value>>);

/// A Seldon message's `data`: its names and rows.
fn seldon_matrix(data: &Value) -> Result<Matrix, PayloadError> {
    let Value::Object(o) = data else {
        return err("Seldon `data` must be an object");
    };
    let names = match o.get("names") {
        None | Some(Value::Null) => None,
        Some(Value::Array(list)) => Some(
            list.iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| PayloadError("Seldon `data.names` must be strings".into()))?,
        ),
        Some(_) => return err("Seldon `data.names` must be a list"),
    };
    let rows = if let Some(nd) = o.get("ndarray") {
        let Value::Array(items) = nd else {
            return err("Seldon `data.ndarray` must be a list");
        };
        items
            .iter()
            .map(|item| match item {
                Value::Array(values) if values.iter().all(is_scalar) => Ok(values.clone()),
                Value::Array(_) => err("Seldon `data.ndarray` rows must be lists of values"),
                Value::Object(_) => err("Seldon `data.ndarray` rows must be lists of values"),
                scalar => Ok(vec![scalar.clone()]),
            })
            .collect::<Result<Vec<_>, _>>()?
    } else if let Some(t) = o.get("tensor") {
        let shape: Vec<usize> = t
            .get("shape")
            .and_then(Value::as_array)
            .and_then(|d| d.iter().map(|x| x.as_u64().map(|x| x as usize)).collect())
            .ok_or_else(|| PayloadError("Seldon `data.tensor.shape` must be integers".into()))?;
        let values = match t.get("values") {
            Some(Value::Array(v)) if v.iter().all(Value::is_number) => v.clone(),
            _ => return err("Seldon `data.tensor.values` must be a list of numbers"),
        };
        let expected = shape
            .iter()
            .try_fold(1usize, |n, d| n.checked_mul(*d))
            .ok_or_else(|| PayloadError("Seldon tensor: its shape overflows".into()))?;
        if shape.len() > 1 && shape[1..].contains(&0) && shape[0] > 0 {
            return err(format!(
                "Seldon tensor: shape {shape:?} gives rows of no values"
            ));
        }
        if values.len() != expected || shape.is_empty() {
            return err(format!(
                "Seldon tensor: shape {shape:?} holds {expected} values but `values` has {}",
                values.len()
            ));
        }
        let k: usize = shape[1..].iter().product();
        if k == 0 {
            Vec::new()
        } else {
            values.chunks(k).map(<[Value]>::to_vec).collect()
        }
    } else {
        return err(
            "Seldon `data` has neither `ndarray` nor `tensor` (jsonData, strData and binData \
             payloads are not read)",
        );
    };
    if let Some(names) = &names {
        if let Some((i, r)) = rows
            .iter()
            .enumerate()
            .find(|(_, r)| r.len() != names.len())
        {
            return err(format!(
                "Seldon row {i} has {} values but `data.names` has {}",
                r.len(),
                names.len()
            ));
        }
    }
    Ok((names, rows))
}

/// Seldon Core v1's protocol: `data` with `names` and `ndarray` or `tensor`.
fn seldon(
    data: &Value,
    direction: Direction,
    names: &TensorColumns,
) -> Result<Vec<Row>, PayloadError> {
    let (given, matrix) = seldon_matrix(data)?;
    let k = matrix.first().map_or(0, Vec::len);
    if let Some((i, r)) = matrix.iter().enumerate().find(|(_, r)| r.len() != k) {
        return err(format!(
            "Seldon row {i} has {} values but row 0 has {k}",
            r.len()
        ));
    }
    let single = direction == Direction::Response && k == 1 && !names.contains_key("data");
    let cols = match (names.contains_key("data"), given) {
        (true, _) | (false, None) => column_names("data", k, names)?,
        (false, Some(g)) => g,
    };
    Ok(matrix
        .into_iter()
        .map(|values| {
            if single {
                Row {
                    columns: Map::new(),
                    value: values.into_iter().next(),
                }
            } else {
                Row {
                    columns: cols.iter().cloned().zip(values).collect(),
                    value: None,
                }
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn none() -> TensorColumns {
        TensorColumns::new()
    }

    #[test]
    fn kserve_v1_rows_and_predictions() {
        let rows = decode(
            &json!({"instances": [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]}),
            Direction::Request,
            &none(),
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].columns["instances_2"], json!(4.5));
        let names = TensorColumns::from([(
            "instances".to_string(),
            vec!["sl".into(), "sw".into(), "pl".into(), "pw".into()],
        )]);
        let rows = decode(
            &json!({"instances": [[6.8, 2.8, 4.8, 1.4]]}),
            Direction::Request,
            &names,
        )
        .unwrap();
        assert_eq!(rows[0].columns["pw"], json!(1.4));
        let rows = decode(
            &json!({"instances": [{"age": 3, "city": "Oslo"}]}),
            Direction::Request,
            &none(),
        )
        .unwrap();
        assert_eq!(rows[0].columns["city"], json!("Oslo"));
        let out = decode(
            &json!({"predictions": [1, 2]}),
            Direction::Response,
            &none(),
        )
        .unwrap();
        assert_eq!(out[1].value, Some(json!(2)));
        let out = decode(
            &json!({"predictions": [[0.1, 0.9]]}),
            Direction::Response,
            &none(),
        )
        .unwrap();
        assert_eq!(out[0].columns["predictions_1"], json!(0.9));
        assert_eq!(out[0].value, None);
    }

    #[test]
    fn open_inference_protocol_tensors() {
        let body = json!({"inputs": [
            {"name": "input-0", "shape": [2, 4], "datatype": "FP32",
             "data": [6.8, 2.8, 4.8, 1.4, 6.0, 3.4, 4.5, 1.6]},
            {"name": "city", "shape": [2], "datatype": "BYTES", "data": ["Oslo", "Rome"]}
        ]});
        let rows = decode(&body, Direction::Request, &none()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].columns["input-0_3"], json!(1.6));
        assert_eq!(rows[1].columns["city"], json!("Rome"));
        assert_eq!(rows[0].columns.len(), 5);
        // Nested data reads the same.
        let nested = json!({"inputs": [{"name": "x", "shape": [2, 2], "datatype": "INT64",
                                        "data": [[1, 2], [3, 4]]}]});
        let rows = decode(&nested, Direction::Request, &none()).unwrap();
        assert_eq!(rows[1].columns["x_0"], json!(3));
        // One output of one column is the prediction; [n, 1] as [n].
        let out = json!({"model_name": "m", "outputs": [
            {"name": "predict", "shape": [2, 1], "datatype": "INT64", "data": [1, 0]}]});
        let rows = decode(&out, Direction::Response, &none()).unwrap();
        assert_eq!(rows[0].value, Some(json!(1)));
        assert_eq!(rows[1].value, Some(json!(0)));
        // Two outputs are columns.
        let out = json!({"outputs": [
            {"name": "label", "shape": [1], "datatype": "INT64", "data": [1]},
            {"name": "proba", "shape": [1, 2], "datatype": "FP64", "data": [0.2, 0.8]}]});
        let rows = decode(&out, Direction::Response, &none()).unwrap();
        assert_eq!(rows[0].columns["label"], json!(1));
        assert_eq!(rows[0].columns["proba_1"], json!(0.8));
    }

    #[test]
    fn tensors_that_do_not_match_their_shape_are_refused() {
        let e = decode(
            &json!({"inputs": [{"name": "x", "shape": [2, 4], "datatype": "FP32",
                                "data": [1, 2, 3]}]}),
            Direction::Request,
            &none(),
        )
        .unwrap_err();
        assert_eq!(
            e.0,
            "tensor `x`: shape [2, 4] holds 8 values but `data` has 3"
        );
        let e = decode(
            &json!({"inputs": [
                {"name": "a", "shape": [2], "datatype": "FP32", "data": [1, 2]},
                {"name": "b", "shape": [3], "datatype": "FP32", "data": [1, 2, 3]}]}),
            Direction::Request,
            &none(),
        )
        .unwrap_err();
        assert!(e.0.contains("batch of 3 rows"), "{e}");
        let e = decode(
            &json!({"inputs": [{"name": "a", "shape": [1], "datatype": "FP32", "data": ["x"]}]}),
            Direction::Request,
            &none(),
        )
        .unwrap_err();
        assert_eq!(e.0, "tensor `a` (FP32) holds a string");
        let e = decode(&json!({"foo": 1}), Direction::Request, &none()).unwrap_err();
        assert!(e.0.contains("`instances`"), "{e}");
        let names = TensorColumns::from([("x".to_string(), vec!["only".to_string()])]);
        let e = decode(
            &json!({"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}]}),
            Direction::Request,
            &names,
        )
        .unwrap_err();
        assert!(e.0.contains("1 names are configured"), "{e}");
        // A batch of rows with no values, which empty data would not bound: refused before
        // anything is made for it.
        let e = decode(
            &json!({"inputs": [{"name": "x", "shape": [10_000_000_000_000_000u64, 0],
                                "datatype": "FP32", "data": []}]}),
            Direction::Request,
            &none(),
        )
        .unwrap_err();
        assert!(e.0.contains("rows of no values"), "{e}");
        let e = decode(
            &json!({"data": {"tensor": {"shape": [10_000_000_000_000_000u64, 0], "values": []}}}),
            Direction::Request,
            &none(),
        )
        .unwrap_err();
        assert!(e.0.contains("rows of no values"), "{e}");
        let e = decode(
            &json!({"data": {"tensor": {"shape": [4294967296u64, 4294967296u64, 4294967296u64],
                                        "values": [1]}}}),
            Direction::Request,
            &none(),
        )
        .unwrap_err();
        assert!(e.0.contains("overflows"), "{e}");
    }

    #[test]
    fn seldon_messages_and_truth() {
        let req = json!({"data": {"names": ["a", "b"], "ndarray": [[1, 2], [3, 4]]}});
        let rows = decode(&req, Direction::Request, &none()).unwrap();
        assert_eq!(rows[1].columns["b"], json!(4));
        let res = json!({"data": {"names": ["t:0"], "ndarray": [[0.7], [0.1]]}, "meta": {}});
        let rows = decode(&res, Direction::Response, &none()).unwrap();
        assert_eq!(rows[0].value, Some(json!(0.7)));
        let res = json!({"data": {"tensor": {"shape": [1, 2], "values": [0.2, 0.8]}}});
        let rows = decode(&res, Direction::Response, &none()).unwrap();
        assert_eq!(rows[0].columns["data_1"], json!(0.8));
        let fb = json!({"request": req, "truth": {"data": {"ndarray": [[1], [0]]}}, "reward": 1});
        assert_eq!(seldon_truth(&fb).unwrap(), vec![json!(1), json!(0)]);
        let fb = json!({"truth": {"data": {"ndarray": [[1, 0]]}}});
        assert!(seldon_truth(&fb).unwrap_err().0.contains("2 values"));
        let bad = json!({"data": {"names": ["a"], "ndarray": [[1, 2]]}});
        assert!(decode(&bad, Direction::Request, &none()).is_err());
        let bad = json!({"data": {"tensor": {"shape": [2, 2], "values": [1, 2, 3]}}});
        assert!(decode(&bad, Direction::Request, &none())
            .unwrap_err()
            .0
            .contains("holds 4 values"));
    }
}
