//! Captured JSON bodies turned into event rows: pure functions, no IO.
//!
//! Recognised without configuration, in this order:
//! - KServe v1 (`{"instances": [...]}` → `{"predictions": [...]}`), one row per instance;
//! - the Open Inference Protocol v2 (`{"inputs": [tensor, ...]}` → `{"outputs": [...]}`),
//!   where a tensor is `{"name", "shape", "datatype", "data"}` with `data` in row-major
//!   order (flat or nested); the first dimension is the batch, one row per index;
//! - a JSON object (one row) or an array of objects or arrays (one row each).
//!
//! A route's `inputs` / `outputs` JSON pointers (RFC 6901) select the rows of any other
//! payload. An input row sent as an array gets the route's `input_names` (when the count
//! matches) or `input_0`, `input_1`, ...; a tensor of several values per row gives
//! `name_0`, `name_1`, ... (or the `input_names`). A prediction that is one value goes to
//! the prediction column; an object's members become columns.

use serde_json::{Map, Value};

/// Why a captured body gave no rows (the `reason` label of the capture failures counter).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// The body is not JSON.
    #[error("not JSON: {0}")]
    NotJson(String),
    /// JSON of no known shape (and no pointer configured, or the pointer found nothing).
    #[error("unknown payload: {0}")]
    Unrecognised(String),
    /// A v2 tensor whose shape, datatype or data do not agree.
    #[error("tensor: {0}")]
    Tensor(String),
    /// The response's rows do not pair with the request's.
    #[error("{inputs} input rows but {outputs} prediction rows")]
    RowCount {
        /// Rows of the request.
        inputs: usize,
        /// Rows of the response.
        outputs: usize,
    },
}

impl PayloadError {
    /// A fixed name for metrics labels.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::NotJson(_) => "not_json",
            Self::Unrecognised(_) => "unrecognised",
            Self::Tensor(_) => "tensor_shape",
            Self::RowCount { .. } => "row_count",
        }
    }
}

/// How one route's payloads are read.
#[derive(Debug, Clone, Copy, Default)]
pub struct PayloadRules<'a> {
    /// A JSON pointer to the request's rows.
    pub inputs: Option<&'a str>,
    /// A JSON pointer to the response's predictions.
    pub outputs: Option<&'a str>,
    /// Names of array components of an input row.
    pub input_names: &'a [String],
    /// The column of a single-value prediction.
    pub prediction: &'a str,
}

/// One event's columns.
pub type Row = Map<String, Value>;

/// The rows of a request body, and the id a v2 request carries in its body.
pub fn request_rows(
    body: &[u8],
    rules: &PayloadRules<'_>,
) -> Result<(Vec<Row>, Option<String>), PayloadError> {
    // The parsed body is taken apart, never copied: its rows are moved out of it.
    let mut v: Value =
        serde_json::from_slice(body).map_err(|e| PayloadError::NotJson(e.to_string()))?;
    let body_id = match v.get("id") {
        Some(Value::String(s)) if v.get("inputs").is_some() => Some(s.clone()),
        _ => None,
    };
    if let Some(p) = rules.inputs {
        let at = v
            .pointer_mut(p)
            .ok_or_else(|| PayloadError::Unrecognised(format!("nothing at `{p}`")))?
            .take();
        return Ok((rows_of_value(at, rules.input_names, "input")?, body_id));
    }
    if let Some(instances) = v.get_mut("instances") {
        let Value::Array(items) = instances.take() else {
            return Err(PayloadError::Unrecognised(
                "`instances` is not an array".into(),
            ));
        };
        return Ok((rows_of_items(items, rules.input_names, "input"), None));
    }
    if let Some(Value::Array(tensors)) = v.get("inputs") {
        if tensors.iter().all(|t| t.get("data").is_some()) && !tensors.is_empty() {
            return Ok((tensor_rows(tensors, rules.input_names, None)?, body_id));
        }
    }
    Ok((rows_of_value(v, rules.input_names, "input")?, None))
}

/// The prediction rows of a response body.
pub fn response_rows(body: &[u8], rules: &PayloadRules<'_>) -> Result<Vec<Row>, PayloadError> {
    let mut v: Value =
        serde_json::from_slice(body).map_err(|e| PayloadError::NotJson(e.to_string()))?;
    if let Some(p) = rules.outputs {
        let at = v
            .pointer_mut(p)
            .ok_or_else(|| PayloadError::Unrecognised(format!("nothing at `{p}`")))?
            .take();
        return predictions_of_value(at, rules.prediction);
    }
    if let Some(predictions) = v.get_mut("predictions") {
        return predictions_of_value(predictions.take(), rules.prediction);
    }
    if let Some(Value::Array(tensors)) = v.get("outputs") {
        if tensors.iter().all(|t| t.get("data").is_some()) && !tensors.is_empty() {
            return tensor_rows(tensors, &[], Some(rules.prediction));
        }
    }
    match v {
        Value::Object(o) => Ok(vec![o]),
        other => predictions_of_value(other, rules.prediction),
    }
}

/// Pairs request rows with prediction rows: index by index when the counts agree, the
/// inputs alone when the response gave none. A count that disagrees keeps the inputs
/// alone and says so. A name on both sides keeps both values
/// ([`merge_answer`](crate::ingest::merge_answer)).
pub fn join_rows(inputs: Vec<Row>, outputs: Vec<Row>) -> (Vec<Row>, Option<PayloadError>) {
    if outputs.is_empty() {
        return (inputs, None);
    }
    if inputs.is_empty() {
        return (outputs, None);
    }
    if inputs.len() != outputs.len() {
        let e = PayloadError::RowCount {
            inputs: inputs.len(),
            outputs: outputs.len(),
        };
        return (inputs, Some(e));
    }
    let rows = inputs
        .into_iter()
        .zip(outputs)
        .map(|(mut row, out)| {
            crate::ingest::merge_answer(&mut row, out);
            row
        })
        .collect();
    (rows, None)
}

/// The event id of row `index` of `count`: the request's id for a single row,
/// `<id>-<index>` within a batch.
pub fn row_id(id: &str, index: usize, count: usize) -> String {
    if count == 1 {
        id.to_string()
    } else {
        format!("{id}-{index}")
    }
}

fn rows_of_value(v: Value, names: &[String], prefix: &str) -> Result<Vec<Row>, PayloadError> {
    match v {
        Value::Object(o) => Ok(vec![o]),
        Value::Array(items) => Ok(rows_of_items(items, names, prefix)),
        other => Err(PayloadError::Unrecognised(format!(
            "a {} is not an object or an array of rows",
            kind(&other)
        ))),
    }
}

fn rows_of_items(items: Vec<Value>, names: &[String], prefix: &str) -> Vec<Row> {
    items
        .into_iter()
        .map(|item| row_of_item(item, names, prefix))
        .collect()
}

/// One instance as a row: an object as it is, an array by position, a value alone.
fn row_of_item(item: Value, names: &[String], prefix: &str) -> Row {
    match item {
        Value::Object(o) => o,
        Value::Array(a) => {
            let mut flat = Vec::new();
            flatten(&a, &mut flat);
            positional(flat, names, prefix)
        }
        other => positional(vec![other], names, prefix),
    }
}

fn positional(values: Vec<Value>, names: &[String], prefix: &str) -> Row {
    let use_names = names.len() == values.len();
    values
        .into_iter()
        .enumerate()
        .map(|(j, v)| {
            let key = match use_names {
                true => names[j].clone(),
                false => format!("{prefix}_{j}"),
            };
            (key, v)
        })
        .collect()
}

fn predictions_of_value(v: Value, prediction: &str) -> Result<Vec<Row>, PayloadError> {
    let one = |item: Value| -> Row {
        match item {
            Value::Object(o) => o,
            Value::Array(a) => {
                let mut flat = Vec::new();
                flatten(&a, &mut flat);
                positional(flat, &[], prediction)
            }
            other => Row::from_iter([(prediction.to_string(), other)]),
        }
    };
    Ok(match v {
        Value::Array(items) => items.into_iter().map(one).collect(),
        other => vec![one(other)],
    })
}

/// Appends the leaves of nested arrays in row-major order.
fn flatten(items: &[Value], out: &mut Vec<Value>) {
    for item in items {
        match item {
            Value::Array(inner) => flatten(inner, out),
            other => out.push(other.clone()),
        }
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// One v2 tensor's shape as (batch, values per row).
fn batch_and_width(name: &str, t: &Value) -> Result<(usize, usize), PayloadError> {
    let bad = |m: String| PayloadError::Tensor(format!("`{name}`: {m}"));
    let shape = match t.get("shape") {
        Some(Value::Array(dims)) => dims
            .iter()
            .map(|d| d.as_u64().and_then(|x| usize::try_from(x).ok()))
            .collect::<Option<Vec<usize>>>()
            .ok_or_else(|| bad("`shape` must hold non-negative integers".into()))?,
        _ => return Err(bad("no `shape` array".into())),
    };
    match shape.split_first() {
        None => Ok((1, 1)),
        Some((batch, rest)) => {
            let width = rest
                .iter()
                .try_fold(1usize, |acc, d| acc.checked_mul(*d))
                .ok_or_else(|| bad(format!("shape {shape:?} overflows")))?;
            // Rows of no values would be made one by one for a batch the (empty) data
            // never bounds: `[10^16, 0]` with `data: []`.
            if width == 0 && *batch > 0 {
                return Err(bad(format!("shape {shape:?} gives rows of no values")));
            }
            Ok((*batch, width))
        }
    }
}

/// The rows of v2 tensors: every tensor must have the same batch size, and as many values
/// as its shape says. `single` names the column of the only tensor when it has one value
/// per row (the prediction column for outputs).
fn tensor_rows(
    tensors: &[Value],
    names: &[String],
    single: Option<&str>,
) -> Result<Vec<Row>, PayloadError> {
    let mut rows: Vec<Row> = Vec::new();
    let mut batch_of_first: Option<usize> = None;
    let only_one = tensors.len() == 1;
    for (k, t) in tensors.iter().enumerate() {
        let name = match t.get("name") {
            Some(Value::String(s)) => s.clone(),
            _ => format!("tensor_{k}"),
        };
        let (batch, width) = batch_and_width(&name, t)?;
        let data = match t.get("data") {
            Some(Value::Array(d)) => d,
            Some(other) => {
                return Err(PayloadError::Tensor(format!(
                    "`{name}`: `data` is a {}, not an array",
                    kind(other)
                )))
            }
            None => return Err(PayloadError::Tensor(format!("`{name}`: no `data`"))),
        };
        let mut flat = Vec::new();
        flatten(data, &mut flat);
        if batch.checked_mul(width) != Some(flat.len()) {
            return Err(PayloadError::Tensor(format!(
                "`{name}`: shape says {batch} x {width} values, data has {}",
                flat.len()
            )));
        }
        match batch_of_first {
            None => {
                batch_of_first = Some(batch);
                rows = (0..batch).map(|_| Row::new()).collect();
            }
            Some(b) if b != batch => {
                return Err(PayloadError::Tensor(format!(
                    "`{name}` has a batch of {batch}, an earlier tensor {b}"
                )))
            }
            Some(_) => {}
        }
        if batch == 0 {
            // No rows; and a width without rows is not bounded by the data's length.
            continue;
        }
        let use_names = only_one && names.len() == width && width > 0;
        let keys: Vec<String> = (0..width)
            .map(|j| {
                if use_names {
                    names[j].clone()
                } else if width == 1 {
                    match (only_one, single) {
                        (true, Some(s)) => s.to_string(),
                        _ => name.clone(),
                    }
                } else {
                    format!("{name}_{j}")
                }
            })
            .collect();
        let mut values = flat.into_iter();
        for row in rows.iter_mut() {
            for key in &keys {
                row.insert(key.clone(), values.next().unwrap_or(Value::Null));
            }
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules<'a>(names: &'a [String]) -> PayloadRules<'a> {
        PayloadRules {
            inputs: None,
            outputs: None,
            input_names: names,
            prediction: "prediction",
        }
    }

    fn rows(v: Vec<Row>) -> Value {
        Value::Array(v.into_iter().map(Value::Object).collect())
    }

    #[test]
    fn kserve_v1_instances_and_predictions_pair_by_index() {
        let names: Vec<String> = ["a", "b"].map(String::from).to_vec();
        let (inputs, id) = request_rows(
            br#"{"instances": [[1, 2], [3, 4], {"a": 5, "b": 6}]}"#,
            &rules(&names),
        )
        .unwrap();
        assert_eq!(id, None);
        let outputs = response_rows(br#"{"predictions": [0, 1, "x"]}"#, &rules(&names)).unwrap();
        let (joined, err) = join_rows(inputs, outputs);
        assert_eq!(err, None);
        assert_eq!(
            rows(joined),
            json!([
                {"a": 1, "b": 2, "prediction": 0},
                {"a": 3, "b": 4, "prediction": 1},
                {"a": 5, "b": 6, "prediction": "x"}
            ])
        );
        // Without names, positions; probabilities spread by position too.
        let (inputs, _) = request_rows(br#"{"instances": [[1, 2, 3]]}"#, &rules(&names)).unwrap();
        assert_eq!(
            rows(inputs),
            json!([{"input_0": 1, "input_1": 2, "input_2": 3}])
        );
        let out = response_rows(br#"{"predictions": [[0.2, 0.8]]}"#, &rules(&[])).unwrap();
        assert_eq!(
            rows(out),
            json!([{"prediction_0": 0.2, "prediction_1": 0.8}])
        );
    }

    #[test]
    fn v2_tensors_are_row_major_one_row_per_batch_index() {
        let body = json!({
            "id": "req-9",
            "inputs": [
                {"name": "x", "shape": [2, 3], "datatype": "FP32", "data": [1, 2, 3, 4, 5, 6]},
                {"name": "city", "shape": [2, 1], "datatype": "BYTES", "data": [["Rome"], ["Oslo"]]}
            ]
        });
        let (inputs, id) = request_rows(body.to_string().as_bytes(), &rules(&[])).unwrap();
        assert_eq!(id.as_deref(), Some("req-9"));
        assert_eq!(
            rows(inputs.clone()),
            json!([
                {"x_0": 1, "x_1": 2, "x_2": 3, "city": "Rome"},
                {"x_0": 4, "x_1": 5, "x_2": 6, "city": "Oslo"}
            ])
        );
        let out = json!({"model_name": "m", "outputs": [
            {"name": "label", "shape": [2], "datatype": "INT64", "data": [1, 0]}
        ]});
        let outputs = response_rows(out.to_string().as_bytes(), &rules(&[])).unwrap();
        let (joined, _) = join_rows(inputs, outputs);
        assert_eq!(joined[1]["prediction"], 0);
        assert_eq!(joined[0]["x_2"], 3);
        // A single input tensor takes the configured names.
        let names: Vec<String> = ["a", "b"].map(String::from).to_vec();
        let body = br#"{"inputs": [{"name": "in", "shape": [1, 2], "datatype": "FP64", "data": [[7, 8]]}]}"#;
        let (inputs, _) = request_rows(body, &rules(&names)).unwrap();
        assert_eq!(rows(inputs), json!([{"a": 7, "b": 8}]));
    }

    #[test]
    fn v2_tensors_that_disagree_with_their_shape_are_refused() {
        let cases: [(&str, &str); 6] = [
            (
                r#"{"name": "x", "shape": [10000000000000000, 0], "datatype": "FP32", "data": []}"#,
                "rows of no values",
            ),
            (
                r#"{"name": "x", "shape": [2, 3], "datatype": "FP32", "data": [1, 2, 3]}"#,
                "shape says 2 x 3 values, data has 3",
            ),
            (
                r#"{"name": "x", "shape": [-1, 3], "datatype": "FP32", "data": [1]}"#,
                "non-negative",
            ),
            (
                r#"{"name": "x", "datatype": "FP32", "data": [1]}"#,
                "no `shape`",
            ),
            (
                r#"{"name": "x", "shape": [4294967296, 4294967296, 4294967296], "data": [1]}"#,
                "overflows",
            ),
            (r#"{"name": "x", "shape": [1], "data": 5}"#, "not an array"),
        ];
        for (tensor, expected) in cases {
            let body = format!(r#"{{"inputs": [{tensor}]}}"#);
            let e = request_rows(body.as_bytes(), &rules(&[])).unwrap_err();
            assert_eq!(e.reason(), "tensor_shape");
            assert!(e.to_string().contains(expected), "{e} / {expected}");
        }
        let empty = br#"{"inputs": [{"name": "x", "shape": [0, 1000000000000], "data": []}]}"#;
        assert_eq!(request_rows(empty, &rules(&[])).unwrap().0.len(), 0);
        let two = br#"{"inputs": [{"name": "a", "shape": [2], "data": [1, 2]}, {"name": "b", "shape": [3], "data": [1, 2, 3]}]}"#;
        let e = request_rows(two, &rules(&[])).unwrap_err();
        assert!(
            e.to_string().contains("batch of 3, an earlier tensor 2"),
            "{e}"
        );
    }

    #[test]
    fn flat_objects_pointers_and_bad_bodies() {
        let (r, _) = request_rows(br#"{"x": 1.5, "city": "Rome"}"#, &rules(&[])).unwrap();
        assert_eq!(rows(r), json!([{"x": 1.5, "city": "Rome"}]));
        let out = response_rows(br#"{"label": "a", "score": 0.9}"#, &rules(&[])).unwrap();
        assert_eq!(rows(out), json!([{"label": "a", "score": 0.9}]));
        assert_eq!(
            rows(response_rows(b"3", &rules(&[])).unwrap()),
            json!([{"prediction": 3}])
        );

        let pointed = PayloadRules {
            inputs: Some("/payload/rows"),
            outputs: Some("/result/0/scores"),
            input_names: &[],
            prediction: "score",
        };
        let (r, _) =
            request_rows(br#"{"payload": {"rows": [{"x": 1}, {"x": 2}]}}"#, &pointed).unwrap();
        let o = response_rows(br#"{"result": [{"scores": [0.1, 0.7]}]}"#, &pointed).unwrap();
        assert_eq!(
            rows(join_rows(r, o).0),
            json!([{"x": 1, "score": 0.1}, {"x": 2, "score": 0.7}])
        );
        let e = request_rows(br#"{"other": 1}"#, &pointed).unwrap_err();
        assert_eq!(e.reason(), "unrecognised");

        assert_eq!(
            request_rows(b"not json", &rules(&[])).unwrap_err().reason(),
            "not_json"
        );
        assert_eq!(
            request_rows(b"{\"x\": 1", &rules(&[]))
                .unwrap_err()
                .reason(),
            "not_json"
        );
        assert_eq!(
            request_rows(b"\"text\"", &rules(&[])).unwrap_err().reason(),
            "unrecognised"
        );
        assert_eq!(
            request_rows(br#"{"instances": 5}"#, &rules(&[]))
                .unwrap_err()
                .reason(),
            "unrecognised"
        );

        // A column on both sides: the answer's value under the name, the request's kept.
        let row = |v: Value| v.as_object().unwrap().clone();
        let (joined, e) = join_rows(
            vec![row(json!({"x": 1, "species": "asked"}))],
            vec![row(json!({"species": "setosa", "score": 0.9}))],
        );
        assert!(e.is_none());
        assert_eq!(
            Value::Object(joined[0].clone()),
            json!({"x": 1, "input.species": "asked", "species": "setosa", "score": 0.9})
        );

        let (kept, e) = join_rows(vec![Row::new(); 2], vec![Row::new(); 3]);
        assert_eq!(kept.len(), 2);
        assert_eq!(e.unwrap().to_string(), "2 input rows but 3 prediction rows");
        assert_eq!(row_id("r", 0, 1), "r");
        assert_eq!(row_id("r", 2, 3), "r-2");
    }

    #[test]
    fn a_batch_of_100k_rows_becomes_100k_rows() {
        let data: Vec<String> = (0..200_000).map(|i| i.to_string()).collect();
        let body = format!(
            r#"{{"inputs": [{{"name": "x", "shape": [100000, 2], "datatype": "INT32", "data": [{}]}}]}}"#,
            data.join(",")
        );
        let (r, _) = request_rows(body.as_bytes(), &rules(&[])).unwrap();
        assert_eq!(r.len(), 100_000);
        assert_eq!(r[99_999]["x_1"], 199_999);
    }
}
