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

/// A capture shared by the body that fills it and the exchange that reads it.
#[derive(Debug, Clone)]
pub struct Tap(Arc<Mutex<Captured>>);

impl Tap {
    /// An empty capture of at most `limit` bytes.
    pub fn new(limit: usize) -> Self {
        Self(Arc::new(Mutex::new(Captured {
            limit,
            ..Captured::default()
        })))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Captured> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Copies a chunk that passed.
    pub fn push(&self, chunk: &[u8]) {
        let mut c = self.lock();
        if c.over_limit {
            return;
        }
        if c.bytes.len() + chunk.len() > c.limit {
            c.over_limit = true;
            c.bytes = Vec::new();
            return;
        }
        c.bytes.extend_from_slice(chunk);
    }

    /// Marks the end of the body.
    pub fn complete(&self) {
        self.lock().complete = true;
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
    let cut = matches!(&x.bodies, Some((_, Some(answer))) if !answer.complete);
    let answered = (200..300).contains(&x.status) && x.error.is_none() && !cut;
    if let (true, Some((request, response))) = (answered, &x.bodies) {
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

/// An exchange's rows before the reserved keys are added.
struct Made {
    rows: Vec<payload::Row>,
    id: Option<String>,
    failures: Vec<String>,
}

/// The events of an exchange written straight as the JSON lines the sender queues (each
/// ending in a newline), with the reasons captures were given up (`request_<reason>` /
/// `response_<reason>`, for the counters). The reserved keys are written after the model's
/// columns rather than inserted into each row first: a row never holds them
/// ([`crate::ingest::model_columns`] moved any such column aside).
pub fn event_lines_of(x: &Exchange, prediction: &str) -> (Vec<Vec<u8>>, Vec<String>) {
    let Made { rows, id, failures } = rows_of(x, prediction);
    let count = rows.len();
    let timestamp = x.at_us as f64 / 1e6;
    let lines = rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let mut line = serde_json::to_vec(row).unwrap_or_else(|_| b"{}".to_vec());
            line.pop(); // the closing brace
            let mut first = row.is_empty();
            let mut key = |line: &mut Vec<u8>, k: &str| {
                if !first {
                    line.push(b',');
                }
                first = false;
                line.push(b'"');
                line.extend_from_slice(k.as_bytes());
                line.extend_from_slice(b"\":");
            };
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
