//! One proxied exchange turned into events: the bodies captured as they passed (up to a
//! size limit), the serving facts, and the pure mapping from both to the event objects the
//! ingestion API takes.

use std::sync::{Arc, Mutex};

use serde_json::Map;

use super::payload::{self, PayloadRules};

/// The bytes of one body copied as they pass, never more than `limit`: a longer body
/// keeps flowing to its reader, and its capture is given up (and counted).
#[derive(Debug, Default)]
pub struct Captured {
    /// The bytes so far (emptied when the limit is passed).
    pub bytes: Vec<u8>,
    /// The body was longer than the limit.
    pub over_limit: bool,
    /// The body's end was seen.
    pub complete: bool,
    limit: usize,
}

impl Captured {
    /// An empty capture of at most `limit` bytes, with room for the `expected` length of
    /// the body (when known); a body announced longer than the limit is over it at once,
    /// and nothing is reserved for it.
    pub fn new(limit: usize, expected: usize) -> Self {
        let over_limit = expected > limit;
        Self {
            bytes: Vec::with_capacity(if over_limit { 0 } else { expected }),
            over_limit,
            limit,
            ..Self::default()
        }
    }

    /// Copies a chunk that passed.
    pub fn push(&mut self, chunk: &[u8]) {
        if self.over_limit {
            return;
        }
        if self.bytes.len() + chunk.len() > self.limit {
            self.over_limit = true;
            self.bytes = Vec::new();
            return;
        }
        self.bytes.extend_from_slice(chunk);
    }

    /// Marks the end of the body.
    pub fn complete(&mut self) {
        self.complete = true;
    }
}

/// A capture shared by the body that fills it and the exchange that reads it (hyper's
/// bodies, which the exchange does not own).
#[derive(Debug, Clone)]
pub struct Tap(Arc<Mutex<Captured>>);

impl Tap {
    /// An empty capture of at most `limit` bytes.
    pub fn new(limit: usize) -> Self {
        Self(Arc::new(Mutex::new(Captured::new(limit, 0))))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Captured> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Copies a chunk that passed.
    pub fn push(&self, chunk: &[u8]) {
        self.lock().push(chunk);
    }

    /// Marks the end of the body.
    pub fn complete(&self) {
        self.lock().complete();
    }

    /// What was captured, taken out.
    pub fn take(&self) -> Captured {
        std::mem::take(&mut *self.lock())
    }
}

/// Everything recorded of one request through the proxy.
#[derive(Debug)]
pub struct Exchange {
    /// When the request arrived, microseconds since the Unix epoch.
    pub at_us: i64,
    /// Seconds from the request's arrival to the answer's last byte.
    pub latency_seconds: f64,
    /// The status the client got (502 / 504 when the upstream failed).
    pub status: u16,
    /// Why the upstream failed, if it did.
    pub error: Option<String>,
    /// The id header's value.
    pub id: Option<String>,
    /// The captured request and response, when the route is captured.
    pub bodies: Option<(Captured, Option<Captured>)>,
    /// The route's pointers and names (when it is a configured route).
    pub route: Option<Arc<super::routes::Route>>,
}

fn body_rows(
    side: &str,
    c: &Captured,
    parse: impl FnOnce(&[u8]) -> Result<Vec<payload::Row>, payload::PayloadError>,
    failures: &mut Vec<String>,
) -> Vec<payload::Row> {
    if c.over_limit {
        failures.push(format!("{side}_too_large"));
        return Vec::new();
    }
    if !c.complete {
        failures.push(format!("{side}_incomplete"));
        return Vec::new();
    }
    match parse(&c.bytes) {
        Ok(rows) => rows,
        Err(e) => {
            failures.push(format!("{side}_{}", e.reason()));
            Vec::new()
        }
    }
}

/// The events of an exchange: one per row of a captured request (predictions joined by
/// index), each with the id (`<id>-<row>` within a batch) and the request's time; the
/// serving facts (`latency_seconds`, `status`, `error`) go on the first event only, so that
/// the server counts one model request per HTTP request. A request or answer column named
/// like a reserved key is kept as `input.<name>` / `output.<name>`
/// ([`model_column_key`](crate::ingest::model_column_key)). An exchange without rows, or whose
/// answer was not a success, gives one event holding the facts alone.
fn rows_of(x: &Exchange, prediction: &str) -> Made {
    let mut failures = Vec::new();
    let mut rows: Vec<payload::Row> = Vec::new();
    let mut body_id = None;
    // A request the model did not answer with success (a 4xx it refused, a 5xx, the 502 or
    // 504 of a failed upstream) gives the facts alone: its inputs are often what the model
    // refused (text where it wants numbers), and the server would refuse the row, facts and
    // all, leaving the error out of the project's serving metrics.
    // An answer that did not reach its end (the client went away mid-answer, or the model's
    // body broke off) is no success either: its bodies are cut, and whether the model's head
    // came before the break is a matter of timing, so such an exchange gives its facts
    // alone whichever came first.
    if let (true, Some((request, response))) = (answered(x), &x.bodies) {
        let route = x.route.as_deref();
        let rules = PayloadRules {
            inputs: route.and_then(|r| r.inputs.as_deref()),
            outputs: route.and_then(|r| r.outputs.as_deref()),
            input_names: route.map_or(&[], |r| r.input_names.as_slice()),
            prediction,
        };
        let inputs = body_rows(
            "request",
            request,
            |b| {
                payload::request_rows(b, &rules).map(|(rows, id)| {
                    body_id = id;
                    rows
                })
            },
            &mut failures,
        );
        let outputs = match response {
            Some(r) if !inputs.is_empty() => body_rows(
                "response",
                r,
                |b| payload::response_rows(b, &rules),
                &mut failures,
            ),
            _ => Vec::new(),
        };
        // A column named like a serving fact is kept under `input.` / `output.`.
        let inputs = inputs
            .into_iter()
            .map(|r| crate::ingest::model_columns("input", r))
            .collect();
        let outputs = outputs
            .into_iter()
            .map(|r| crate::ingest::model_columns("output", r))
            .collect();
        let (joined, mismatch) = payload::join_rows(inputs, outputs);
        if let Some(e) = mismatch {
            failures.push(format!("response_{}", e.reason()));
        }
        rows = joined;
    }
    if rows.is_empty() {
        rows.push(Map::new());
    }
    let id = x.id.clone().or(body_id);
    Made { rows, id, failures }
}

/// Whether the model answered with success and its answer reached its end.
fn answered(x: &Exchange) -> bool {
    let cut = matches!(&x.bodies, Some((_, Some(answer))) if !answer.complete);
    (200..300).contains(&x.status) && x.error.is_none() && !cut
}

/// The rows of an answered exchange of the shape [`flat`](super::flat) writes straight
/// from the bodies (open objects), or `None` for the general way.
fn flat_rows(x: &Exchange, prediction: &str) -> Option<Vec<Vec<u8>>> {
    let (request, Some(response)) = x.bodies.as_ref()? else {
        return None;
    };
    let whole = |c: &Captured| c.complete && !c.over_limit;
    let pointers = x
        .route
        .as_deref()
        .is_some_and(|r| r.inputs.is_some() || r.outputs.is_some());
    if !answered(x) || !whole(request) || !whole(response) || pointers {
        return None;
    }
    super::flat::open_rows(&request.bytes, &response.bytes, prediction)
}

/// An exchange's rows before the reserved keys are added.
struct Made {
    rows: Vec<payload::Row>,
    id: Option<String>,
    failures: Vec<String>,
}

/// The rows of an exchange the general way, as objects left open, with the id and the
/// reasons captures were given up.
fn general_rows(x: &Exchange, prediction: &str) -> (Vec<Vec<u8>>, Option<String>, Vec<String>) {
    let Made { rows, id, failures } = rows_of(x, prediction);
    let rows = rows
        .iter()
        .map(|row| {
            let mut line = serde_json::to_vec(row).unwrap_or_else(|_| b"{}".to_vec());
            line.pop(); // the closing brace
            line
        })
        .collect();
    (rows, id, failures)
}

/// The events of an exchange written straight as the JSON lines the sender queues (each
/// ending in a newline), with the reasons captures were given up (`request_<reason>` /
/// `response_<reason>`, for the counters). The reserved keys are written after the model's
/// columns rather than inserted into each row first: a row never holds them
/// ([`crate::ingest::model_columns`] moved any such column aside).
pub fn event_lines_of(x: &Exchange, prediction: &str) -> (Vec<Vec<u8>>, Vec<String>) {
    // Each row as an object left open, for the reserved keys.
    let (rows, id, failures) = match flat_rows(x, prediction) {
        Some(rows) => (rows, x.id.clone(), Vec::new()),
        None => general_rows(x, prediction),
    };
    let count = rows.len();
    let timestamp = x.at_us as f64 / 1e6;
    let lines = rows
        .into_iter()
        .enumerate()
        .map(|(i, mut line)| {
            let key = super::flat::member_name;
            // Writing into a Vec cannot fail.
            if let Some(id) = &id {
                key(&mut line, "id");
                let _ = serde_json::to_writer(&mut line, &payload::row_id(id, i, count));
            }
            key(&mut line, "timestamp");
            let _ = serde_json::to_writer(&mut line, &timestamp);
            if i == 0 {
                key(&mut line, "latency_seconds");
                let _ = serde_json::to_writer(&mut line, &x.latency_seconds);
                key(&mut line, "status");
                let _ = serde_json::to_writer(&mut line, &x.status);
                if let Some(e) = &x.error {
                    key(&mut line, "error");
                    let _ = serde_json::to_writer(&mut line, e);
                }
            }
            line.extend_from_slice(b"}\n");
            line
        })
        .collect();
    (lines, failures)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn captured(body: &str) -> Captured {
        let t = Tap::new(1000);
        t.push(body.as_bytes());
        t.complete();
        t.take()
    }

    fn exchange(bodies: Option<(Captured, Option<Captured>)>) -> Exchange {
        Exchange {
            at_us: 1_700_000_000_500_000,
            latency_seconds: 0.25,
            status: 200,
            error: None,
            id: Some("r1".into()),
            bodies,
            route: None,
        }
    }

    /// The events of an exchange, read back from the lines the sender queues.
    struct Events {
        events: Vec<Value>,
        failures: Vec<String>,
    }

    fn events_of(x: &Exchange, prediction: &str) -> Events {
        let (lines, failures) = event_lines_of(x, prediction);
        let events = lines
            .iter()
            .map(|l| {
                assert_eq!(l.last(), Some(&b'\n'));
                serde_json::from_slice(l).unwrap()
            })
            .collect();
        Events { events, failures }
    }

    /// A request and its answer, both whole, answered with success.
    fn answered_exchange(request: &str, response: &str) -> Exchange {
        answered_bytes(request.as_bytes(), response.as_bytes())
    }

    fn answered_bytes(request: &[u8], response: &[u8]) -> Exchange {
        let whole = |b: &[u8]| {
            let mut c = Captured::new(1 << 20, b.len());
            c.push(b);
            c.complete();
            c
        };
        exchange(Some((whole(request), Some(whole(response)))))
    }

    /// Rows left open, closed and read back as the server reads them.
    fn closed(rows: Vec<Vec<u8>>) -> Vec<Value> {
        rows.into_iter()
            .map(|mut r| {
                r.push(b'}');
                serde_json::from_slice(&r)
                    .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&r)))
            })
            .collect()
    }

    #[test]
    fn a_flat_kserve_exchange_is_written_from_the_bodies_text() {
        let x = answered_exchange(
            r#"{"instances":[{"sepal_length":5.1,"petal_length":1.4,"species":"setosa"},{"sepal_length":6.7,"petal_length":5.2,"species":"virginica"}]}"#,
            r#"{"predictions":["setosa","virginica"]}"#,
        );
        assert!(flat_rows(&x, "prediction").is_some());
        assert_eq!(
            Value::Array(events_of(&x, "prediction").events),
            json!([
                {"sepal_length": 5.1, "petal_length": 1.4, "species": "setosa",
                 "prediction": "setosa", "id": "r1-0", "timestamp": 1700000000.5,
                 "latency_seconds": 0.25, "status": 200},
                {"sepal_length": 6.7, "petal_length": 5.2, "species": "virginica",
                 "prediction": "virginica", "id": "r1-1", "timestamp": 1700000000.5}
            ])
        );
        // Values keep their spelling; an object prediction, and an empty instance.
        let x = answered_exchange(
            r#"{"instances": [{"x": 1e-05, "y": -0, "t": "a\"b\n"}, {}]}"#,
            r#"{"predictions": [{"score": 0.9, "label": true}, {"score": null}]}"#,
        );
        let rows = flat_rows(&x, "prediction").unwrap();
        assert_eq!(
            String::from_utf8(rows[0].clone()).unwrap(),
            r#"{"x":1e-05,"y":-0,"t":"a\"b\n","score":0.9,"label":true"#
        );
        assert_eq!(
            Value::Array(events_of(&x, "prediction").events),
            json!([
                {"x": 1e-05, "y": -0.0, "t": "a\"b\n", "score": 0.9, "label": true,
                 "id": "r1-0", "timestamp": 1700000000.5, "latency_seconds": 0.25,
                 "status": 200},
                {"score": null, "id": "r1-1", "timestamp": 1700000000.5}
            ])
        );
    }

    #[test]
    fn the_flat_way_leaves_what_the_general_way_refuses_or_renames() {
        let answer = br#"{"predictions": [1]}"#;
        for request in [
            &b"{\"instances\": [{\"x\": \"\xff\"}]}"[..],
            b"\xef\xbb\xbf{\"instances\": [{\"x\": 1}]}",
            b"{\"instances\": [{\"x\": 1}]} x",
            b"{\"instances\": [{\"x\": 1}], \"instances\": [{\"x\": 2}]}",
            b"{\"instances\": [{\"x\": 1.7976931348623157e308}]}",
            b"{\"instances\": [{\"x\": 1}]",
        ] {
            let x = answered_bytes(request, answer);
            let shown = String::from_utf8_lossy(request);
            assert!(flat_rows(&x, "prediction").is_none(), "{shown}");
        }
        // A reserved prediction column, or one the request uses: the general way.
        let x = answered_exchange(r#"{"instances": [{"x": 1}]}"#, r#"{"predictions": [1]}"#);
        assert!(flat_rows(&x, "status").is_none());
        assert!(flat_rows(&x, "x").is_none());
        // A configured name that needs an escape is written with it.
        let flat = flat_rows(&x, "pred\"x").unwrap();
        assert_eq!(closed(flat), [json!({"x": 1, "pred\"x": 1})]);
        assert_eq!(
            closed(general_rows(&x, "pred\"x").0),
            [json!({"x": 1, "pred\"x": 1})]
        );
    }

    /// Exchanges from a seeded generator of KServe v1 bodies full of the cases the flat way
    /// must leave to the general way (reserved, repeated, escaped and shared names, nested
    /// values, numbers out of range, lone surrogates, pretty printing, counts that do not
    /// pair, other members): every one it takes gives the general way's events, and it
    /// takes a good share of them.
    #[test]
    fn the_flat_way_gives_the_general_ways_events() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        // Names and values the flat way takes, and the ones it must leave (picked one time
        // in eight).
        let names = [
            "sepal_length",
            "sepal_width",
            "petal_length",
            "petal_width",
            "x",
            "y",
            "\u{e9}t\u{e9}",
            "city",
            "age",
            "income",
        ];
        // A repeated name, a name both sides use, reserved and escaped names.
        let odd_names = [
            "x",
            "label",
            "id",
            "status",
            "timestamp",
            r#"a\"b"#,
            r"k\u00e9",
            "prediction",
            "input.prediction",
            "tab\there",
        ];
        let values = [
            "5.1",
            "-0",
            "0",
            "1e-05",
            "-2.5e3",
            "1e22",
            "123456789012345e-22",
            "0.000001234",
            "5.10",
            "9007199254740993",
            "-9223372036854775808",
            r#""setosa""#,
            r#""tab\tquote\"""#,
            "\"\u{e9}\u{1F600}\"",
            "true",
            "false",
            "null",
        ];
        // Numbers serde_json may read one unit in the last place apart from a reading of
        // their printed reading, or refuses (picked one time in sixteen).
        let odd_numbers = [
            "1.7976931348623157e308",
            "1234567.8901234567",
            "0.30000000000000004",
            "0.1000000000000000055511151231257827",
            "1e23",
            "4.9e-324",
            "123456789012345678901234567890",
            "18446744073709551616",
            "-9223372036854775809",
        ];
        let odd_values = [
            "1E400",
            r#""\ud800""#,
            r#""\u00e9""#,
            "[1, 2]",
            r#"{"a": 1}"#,
            "[]",
        ];
        let pick =
            |next: &mut dyn FnMut(usize) -> usize, usual: &[&'static str], odd: &[&'static str]| {
                match next(16) {
                    0 | 1 => odd[next(odd.len())],
                    2 if usual.len() == values.len() => odd_numbers[next(odd_numbers.len())],
                    _ => usual[next(usual.len())],
                }
            };
        let seps = [",", ", ", ",\n  ", " ,\t"];
        let object = |next: &mut dyn FnMut(usize) -> usize, pool: &[&'static str]| -> String {
            let members: Vec<String> = (0..next(5))
                .map(|_| {
                    let name = pick(next, pool, &odd_names);
                    format!("\"{name}\":{}", pick(next, &values, &odd_values))
                })
                .collect();
            format!("{{{}}}", members.join(seps[next(seps.len())]))
        };
        let extra = |next: &mut dyn FnMut(usize) -> usize| match next(16) {
            0 => r#", "parameters": {"p": 1E400}"#,
            1 => r#", "model_name": "m""#,
            _ => "",
        };
        let (mut taken, mut left) = (0, 0);
        for case in 0..6000 {
            let rows = if next(10) == 0 { 0 } else { 1 + next(3) };
            let instances: Vec<String> = (0..rows)
                .map(|_| match next(40) {
                    0 => "[1, 2]".to_string(),
                    1 => pick(&mut next, &values, &odd_values).to_string(),
                    _ => object(&mut next, &names),
                })
                .collect();
            let answers = match next(20) {
                0 => rows + 1,
                1 => rows.saturating_sub(1),
                _ => rows,
            };
            let predictions: Vec<String> = (0..answers)
                .map(|_| match next(24) {
                    0..=5 => object(&mut next, &["score", "label", "proba", "rank", "model"]),
                    6 => "[0.2, 0.8]".to_string(),
                    _ => pick(&mut next, &values, &odd_values).to_string(),
                })
                .collect();
            let sep = seps[next(seps.len())];
            let request = format!(
                "{{\"instances\": [{}]{}}}",
                instances.join(sep),
                extra(&mut next)
            );
            let response = format!(
                "{{\"predictions\":[{}]{}}}",
                predictions.join(sep),
                extra(&mut next)
            );
            let x = answered_exchange(&request, &response);
            let Some(flat) = flat_rows(&x, "prediction") else {
                left += 1;
                continue;
            };
            taken += 1;
            let (general, id, failures) = general_rows(&x, "prediction");
            assert!(
                failures.is_empty(),
                "case {case}: {failures:?}\n{request}\n{response}"
            );
            assert_eq!(id, x.id);
            assert_eq!(
                closed(flat),
                closed(general),
                "case {case}:\n{request}\n{response}"
            );
        }
        assert!(taken > 600 && left > 600, "taken {taken}, left {left}");
    }

    /// The lines are written by hand: escapes, small numbers and the facts survive.
    #[test]
    fn event_lines_are_json_whatever_they_hold() {
        let x = exchange(Some((
            captured(r#"{"instances": [{"x": 2.5e-7}, {"x": 1}]}"#),
            Some(captured(r#"{"predictions": ["a\"b", {"p": [1, 2]}]}"#)),
        )));
        assert_eq!(
            Value::Array(events_of(&x, "species").events),
            json!([
                {"x": 2.5e-7, "species": "a\"b", "id": "r1-0", "timestamp": 1700000000.5,
                 "latency_seconds": 0.25, "status": 200},
                {"x": 1, "p": [1, 2], "id": "r1-1", "timestamp": 1700000000.5}
            ])
        );
        let mut failed = exchange(Some((captured(r#"{"x": 1}"#), None)));
        failed.status = 502;
        failed.error = Some("upstream unreachable: \u{1F600} \"\n".into());
        failed.id = None;
        assert_eq!(
            Value::Array(events_of(&failed, "species").events),
            json!([{"timestamp": 1700000000.5, "latency_seconds": 0.25, "status": 502,
                    "error": "upstream unreachable: \u{1F600} \"\n"}])
        );
    }

    #[test]
    fn a_batch_gives_one_event_per_row_with_the_facts_on_the_first() {
        let x = exchange(Some((
            captured(r#"{"instances": [{"x": 1}, {"x": 2}]}"#),
            Some(captured(r#"{"predictions": ["a", "b"]}"#)),
        )));
        let e = events_of(&x, "species");
        assert!(e.failures.is_empty());
        assert_eq!(
            Value::Array(e.events),
            json!([
                {"x": 1, "species": "a", "id": "r1-0", "timestamp": 1700000000.5,
                 "latency_seconds": 0.25, "status": 200},
                {"x": 2, "species": "b", "id": "r1-1", "timestamp": 1700000000.5}
            ])
        );
    }

    #[test]
    fn columns_named_like_serving_facts_keep_their_values_under_their_side() {
        let x = exchange(Some((
            captured(
                r#"{"instances": [{"id": 7, "status": "gold", "timestamp": "t0", "x": 1},
                                   {"id": 8, "status": "lead", "error": 0.5, "x": 2}]}"#,
            ),
            Some(captured(
                r#"{"predictions": [{"status": "ok", "score": 0.9}, {"status": "no", "score": 0.1}]}"#,
            )),
        )));
        let e = events_of(&x, "species");
        assert!(e.failures.is_empty(), "{:?}", e.failures);
        assert_eq!(
            Value::Array(e.events),
            json!([
                {"input.id": 7, "input.status": "gold", "input.timestamp": "t0", "x": 1,
                 "output.status": "ok", "score": 0.9, "id": "r1-0",
                 "timestamp": 1700000000.5, "latency_seconds": 0.25, "status": 200},
                {"input.id": 8, "input.status": "lead", "input.error": 0.5, "x": 2,
                 "output.status": "no", "score": 0.1, "id": "r1-1", "timestamp": 1700000000.5}
            ])
        );
    }

    #[test]
    fn failed_captures_leave_the_facts_and_say_why() {
        let x = exchange(Some((captured("<xml/>"), Some(captured("{}")))));
        let e = events_of(&x, "prediction");
        assert_eq!(e.failures, ["request_not_json"]);
        assert_eq!(
            Value::Array(e.events),
            json!([{"id": "r1", "timestamp": 1700000000.5, "latency_seconds": 0.25,
                    "status": 200}])
        );
        // An answer that is not a success: the facts alone, whatever the bodies held.
        for (status, error) in [
            (422, None),
            (500, None),
            (502, Some("upstream unreachable")),
            (200, Some("the answer's body broke off")),
        ] {
            let mut x = exchange(Some((
                captured(r#"{"x": "wide"}"#),
                Some(captured(r#"{"detail": "x is not a number"}"#)),
            )));
            x.status = status;
            x.error = error.map(str::to_string);
            let e = events_of(&x, "prediction");
            assert!(e.failures.is_empty(), "{:?}", e.failures);
            let mut want = json!({"id": "r1", "timestamp": 1700000000.5,
                                  "latency_seconds": 0.25, "status": status});
            if let Some(error) = error {
                want["error"] = json!(error);
            }
            assert_eq!(Value::Array(e.events), json!([want]));
        }

        let big = Tap::new(4);
        big.push(b"{\"x\":");
        big.push(b"1}");
        big.complete();
        let e = events_of(&exchange(Some((big.take(), None))), "p");
        assert_eq!(e.failures, ["request_too_large"]);

        let unfinished = Tap::new(100);
        unfinished.push(b"{\"x\":");
        let e = events_of(&exchange(Some((unfinished.take(), None))), "p");
        assert_eq!(e.failures, ["request_incomplete"]);

        // An answer cut before its end (the client went away mid-answer): the facts alone,
        // and no capture counted as failed.
        let cut = Tap::new(100);
        cut.push(b"{\"predictions\": [");
        let x = exchange(Some((
            captured(r#"{"instances": [{"x": 1}]}"#),
            Some(cut.take()),
        )));
        let e = events_of(&x, "p");
        assert!(e.failures.is_empty(), "{:?}", e.failures);
        assert_eq!(
            Value::Array(e.events),
            json!([{"id": "r1", "timestamp": 1700000000.5, "latency_seconds": 0.25,
                    "status": 200}])
        );

        let x = exchange(Some((captured(r#"{"x": 1}"#), Some(captured("oops")))));
        let e = events_of(&x, "p");
        assert_eq!(e.failures, ["response_not_json"]);
        assert_eq!(e.events[0]["x"], 1);
    }
}
