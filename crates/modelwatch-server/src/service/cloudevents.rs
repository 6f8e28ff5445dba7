//! The payload loggers' events in the service: which project an event goes to, the
//! request/response join (the pure [`Join`] behind a lock, with a task that gives up halves
//! whose partner did not come in time), and storing the pairs as events through
//! [`service::events::commit`](crate::service::events::commit), the path of the events
//! route. Feedback truth becomes labels of the stored events.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::watch;

use crate::ingest::cloudevents::envelope::CloudEvent;
use crate::ingest::cloudevents::join::{Half, Join, JoinSettings, Offered, Outcome, Pair, Step};
use crate::ingest::cloudevents::payload::{self, Direction, PayloadError, Row};
use crate::ingest::cloudevents::{classify, CloudEventsConfig, EventKind, Logger};
use crate::ingest::{answer_column, merge_answer, model_columns, EventRules, Validated};
use crate::{now_us, AppState};

/// A pair's key: the project and the id its halves share (KServe's `id`, Seldon's
/// `requestid`).
pub type JoinKey = (String, String);

/// One half (or a feedback's truth) as it waits in the join.
#[derive(Debug, Clone, PartialEq)]
pub struct Arrival {
    /// Who sent it.
    pub logger: Logger,
    /// Its rows: inputs, outputs, or (feedback) truth values.
    pub rows: Vec<Row>,
    /// The event's `time`, microseconds since the epoch.
    pub time_us: Option<i64>,
    /// The size of its data, for `modelwatch_ingest_bytes_total`.
    pub bytes: usize,
}

/// An event read and decoded, ready for the join: nothing of it is stored yet.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    /// The project it goes to.
    pub project: String,
    /// The id its pair shares.
    pub join_id: String,
    /// Request, response or feedback.
    pub kind: EventKind,
    /// Its decoded rows.
    pub arrival: Arrival,
}

/// Why an event cannot be taken.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PrepareError {
    /// A `type` no payload logger sends.
    #[error(
        "the CloudEvent's `type` `{0}` is not a payload logger's (org.kubeflow.serving.inference.\
         request/response, io.seldon.serving.inference.request/response, io.seldon.serving.feedback)"
    )]
    UnknownType(String),
    /// A Seldon event without `requestid`.
    #[error("the Seldon CloudEvent has no `requestid` extension (header Ce-Requestid), which joins its request and response")]
    NoRequestId,
    /// No route matched and no `inferenceservicename` names a project.
    #[error(
        "the CloudEvent has no `inferenceservicename` extension and no [[cloudevents.routes]] \
         entry matches it, so no project is named"
    )]
    NoProject,
    /// The data is not JSON (or missing).
    #[error("{0}")]
    Data(String),
    /// The data is JSON but not a payload that reads into rows.
    #[error("{0}")]
    Payload(#[from] PayloadError),
}

/// Reads an event for the join: its logger and kind from `type`, its project from the
/// routes (else its `inferenceservicename`), its rows from its data.
pub fn prepare(config: &CloudEventsConfig, event: &CloudEvent) -> Result<Prepared, PrepareError> {
    let (logger, kind) = classify(&event.event_type)
        .ok_or_else(|| PrepareError::UnknownType(event.event_type.clone()))?;
    let join_id = match logger {
        Logger::KServe => event.id.clone(),
        Logger::Seldon => match event.extension("requestid") {
            Some(id) if !id.is_empty() => id.to_string(),
            _ => return Err(PrepareError::NoRequestId),
        },
    };
    let route = config.route(|name| event.extension(name));
    let project = match route {
        Some(r) => r.project.clone(),
        None => match event.extension("inferenceservicename") {
            Some(name) if !name.is_empty() => name.to_string(),
            _ => return Err(PrepareError::NoProject),
        },
    };
    let empty = payload::TensorColumns::new();
    let names = route.map_or(&empty, |r| &r.tensor_columns);
    let data = event.json_data().map_err(PrepareError::Data)?;
    let bytes = match &event.data {
        Some(crate::ingest::cloudevents::envelope::Data::Bytes(b)) => b.len(),
        Some(crate::ingest::cloudevents::envelope::Data::Json(v)) => v.to_string().len(),
        None => 0,
    };
    let rows = match kind {
        EventKind::Half(Half::Request) => payload::decode(&data, Direction::Request, names)?,
        EventKind::Half(Half::Response) => payload::decode(&data, Direction::Response, names)?,
        EventKind::Feedback => payload::seldon_truth(&data)?
            .into_iter()
            .map(|v| Row {
                columns: Map::new(),
                value: Some(v),
            })
            .collect(),
    };
    Ok(Prepared {
        project,
        join_id,
        kind,
        arrival: Arrival {
            logger,
            rows,
            time_us: event.time_us,
            bytes,
        },
    })
}

/// The id of row `i` of a pair of `n` rows: the pair's id for one row, `<id>:<i>` for a
/// batch (labels follow the same rule).
pub fn row_id(join_id: &str, i: usize, n: usize) -> String {
    if n == 1 {
        join_id.to_string()
    } else {
        format!("{join_id}:{i}")
    }
}

/// The events of a pair as ingestion rows: the request's columns, the response's columns
/// (a column named like a reserved key as `input.<name>` / `output.<name>`, see
/// [`model_column_key`](crate::ingest::model_column_key)) and its single value as
/// `prediction`, the truth as `target`, with the reserved `id`,
/// `timestamp` (the request's time, else the response's, else `now_us`),
/// `latency_seconds` (response time minus request time) and, for KServe, `status` 200 (its
/// logger sends a response only for a 200 answer, `pkg/logger/handler.go`).
pub fn pair_rows(
    pair: &Pair<JoinKey, Arrival>,
    prediction: &str,
    target: &str,
    now_us: i64,
) -> Result<Vec<Map<String, Value>>, String> {
    let n = match (&pair.request, &pair.response) {
        (Some(q), Some(r)) if q.rows.len() != r.rows.len() => {
            return Err(format!(
                "pair `{}`: the request has {} rows but the response {}",
                pair.key.1,
                q.rows.len(),
                r.rows.len()
            ))
        }
        (Some(q), _) => q.rows.len(),
        (None, Some(r)) => r.rows.len(),
        (None, None) => 0,
    };
    if let Some(t) = &pair.truth {
        if t.rows.len() != n {
            return Err(format!(
                "pair `{}`: the feedback has {} labels for {n} rows",
                pair.key.1,
                t.rows.len()
            ));
        }
    }
    let time = |a: &Option<Arrival>| a.as_ref().and_then(|a| a.time_us);
    let ts_us = time(&pair.request)
        .or_else(|| time(&pair.response))
        .unwrap_or(now_us);
    let latency = match (time(&pair.request), time(&pair.response)) {
        (Some(q), Some(r)) if r >= q => Some((r - q) as f64 / 1e6),
        _ => None,
    };
    let kserve_joined = pair.outcome() == Outcome::Joined
        && pair
            .request
            .as_ref()
            .is_some_and(|q| q.logger == Logger::KServe);
    let mut rows = Vec::with_capacity(n);
    for i in 0..n {
        let mut o = Map::new();
        // A column named like a reserved key is kept as `input.<name>` / `output.<name>`.
        if let Some(q) = &pair.request {
            o.extend(model_columns("input", q.rows[i].columns.clone()));
        }
        // A name on both sides keeps both values (`merge_answer`).
        if let Some(r) = &pair.response {
            merge_answer(&mut o, model_columns("output", r.rows[i].columns.clone()));
            if let Some(v) = &r.rows[i].value {
                answer_column(&mut o, prediction.to_string(), v.clone());
            }
        }
        if let Some(v) = pair.truth.as_ref().and_then(|t| t.rows[i].value.clone()) {
            o.insert(target.to_string(), v);
        }
        o.insert("id".into(), Value::String(row_id(&pair.key.1, i, n)));
        o.insert(
            "timestamp".into(),
            serde_json::Number::from_f64(ts_us as f64 / 1e6).map_or(Value::Null, Value::Number),
        );
        if let Some(l) = latency.and_then(serde_json::Number::from_f64) {
            o.insert("latency_seconds".into(), Value::Number(l));
        }
        if kserve_joined {
            o.insert("status".into(), Value::from(200));
        }
        rows.push(o);
    }
    Ok(rows)
}

/// The join of the service, and how often its task looks for halves to give up.
pub struct CloudEventsIngest {
    join: Mutex<Join<JoinKey, Arrival>>,
    tick: Duration,
}

impl CloudEventsIngest {
    /// The join under `config` (its defaults when the settings are invalid, which
    /// `ServerConfig::validate` refuses before start).
    pub fn new(config: &CloudEventsConfig) -> Self {
        let settings = config
            .join_settings()
            .or_else(|_| CloudEventsConfig::default().join_settings())
            .unwrap_or(JoinSettings {
                timeout_us: 30_000_000,
                max_pending: 10_000,
                max_pending_bytes: 64 << 20,
            });
        let tick = Duration::from_micros((settings.timeout_us / 4).max(0) as u64)
            .clamp(Duration::from_millis(10), Duration::from_secs(1));
        Self {
            join: Mutex::new(Join::new(settings)),
            tick,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Join<JoinKey, Arrival>> {
        self.join.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Offers a half at `now` (see [`Join::offer`]).
    pub fn offer(
        &self,
        now: i64,
        key: JoinKey,
        half: Half,
        arrival: Arrival,
    ) -> Step<JoinKey, Arrival> {
        let size = arrival.bytes;
        self.lock().offer(now, key, half, arrival, size)
    }

    /// Gives a feedback to its waiting pair, or hands it back (see [`Join::offer_truth`]).
    pub fn offer_truth(&self, key: &JoinKey, truth: Arrival) -> Option<Arrival> {
        self.lock().offer_truth(key, truth)
    }

    /// Halves waiting for their partner.
    pub fn waiting(&self) -> usize {
        self.lock().waiting()
    }

    /// Reports a pair completed by `brought` as committed or refused for good (see
    /// [`Join::committed`]); nothing for a pair given up.
    fn settled(&self, key: &JoinKey, brought: Option<Half>) {
        if let Some(half) = brought {
            self.lock().committed(key, half);
        }
    }

    /// Takes back a pair whose commit failed: completed by `brought`, a half of a request
    /// answered 503, it loses that half and its partner waits again ([`Join::restore`]);
    /// given up (`None`), it is held to be committed again ([`Join::hold`]).
    fn put_back(&self, now: i64, pair: Pair<JoinKey, Arrival>, brought: Option<Half>) {
        let mut join = self.lock();
        match brought {
            Some(half) => join.restore(now, pair, half, |a| a.bytes),
            None => {
                let size = pair_bytes(&pair);
                join.hold(pair, size);
            }
        }
    }
}

/// The size of a pair's data.
fn pair_bytes(pair: &Pair<JoinKey, Arrival>) -> usize {
    [&pair.request, &pair.response, &pair.truth]
        .into_iter()
        .flatten()
        .map(|a| a.bytes)
        .sum()
}

/// A pair to store, with the half of the current request that completed it (`None` for a
/// pair given up, whose halves were all acknowledged before).
pub type ReadyPair = (Pair<JoinKey, Arrival>, Option<Half>);

/// The pairs of one offer: the one the offered half completed (joined or late) is the
/// last of its ready pairs and carries `half`; the others were given up on the way.
pub fn ready_pairs(
    step_ready: Vec<Pair<JoinKey, Arrival>>,
    offered: Offered,
    half: Half,
) -> Vec<ReadyPair> {
    let completed = matches!(offered, Offered::Joined | Offered::Late);
    let n = step_ready.len();
    step_ready
        .into_iter()
        .enumerate()
        .map(|(i, p)| (p, (completed && i + 1 == n).then_some(half)))
        .collect()
}

/// What storing some pairs did.
#[derive(Debug, Default)]
pub struct Stored {
    /// Events committed.
    pub events: usize,
    /// Pairs refused, with the reason (their rows do not fit the project, or the project
    /// is gone); nothing of them is stored.
    pub rejected: Vec<String>,
    /// The writer's reason when a commit of a pair given up failed (the pair is held and
    /// committed again later).
    pub failed: Option<String>,
    /// The writer's reason when a commit of a pair completed by a half of the current
    /// request failed: that half is not held, and the request is answered 503.
    pub not_taken: Option<String>,
}

/// Stores ready pairs: each pair's rows are validated against its project, and a pair
/// with one invalid row is refused whole (an inference is stored entirely or not at all).
/// Counts each pair's outcome, or `rejected`, on `/metrics`. A pair whose commit fails is
/// put back into the join (counted `commit_failed`), never dropped: see [`Stored`].
pub async fn store(state: &Arc<AppState>, pairs: Vec<ReadyPair>) -> Stored {
    let mut stored = Stored::default();
    if pairs.is_empty() {
        return stored;
    }
    let st = state.clone();
    let validated = tokio::task::spawn_blocking(move || {
        pairs
            .into_iter()
            .map(|(pair, brought)| {
                let checked = validate_pair(&st, &pair);
                (pair, brought, checked)
            })
            .collect::<Vec<_>>()
    })
    .await;
    let validated = match validated {
        Ok(v) => v,
        Err(e) => {
            // Only a panic of the validation lands here; its pairs went with it.
            tracing::error!(error = %e, "payload logger pairs lost: validation task failed");
            stored.not_taken = Some("validation task failed".into());
            return stored;
        }
    };
    for (pair, brought, checked) in validated {
        match checked {
            Err((project, reason, kinds)) => {
                state.cloudevents.settled(&pair.key, brought);
                if let Some(project) = project {
                    state.recorder.ingested(&project, 0, 0, kinds, &[]);
                }
                state.recorder.cloudevent("rejected");
                tracing::warn!(reason = %reason, "payload logger pair refused");
                stored.rejected.push(reason);
            }
            Ok((project, outcome, events, bytes)) => {
                match crate::service::events::commit(state, &project, events, bytes, Vec::new())
                    .await
                {
                    Ok(n) => {
                        state.cloudevents.settled(&pair.key, brought);
                        stored.events += n;
                        state.recorder.cloudevent(outcome.as_str());
                    }
                    Err(e) => {
                        state.recorder.cloudevent("commit_failed");
                        tracing::warn!(
                            error = %e, project = %project, pair = %pair.key.1,
                            "payload logger pair not stored yet: kept to be stored again"
                        );
                        state.cloudevents.put_back(now_us(), pair, brought);
                        if brought.is_some() {
                            stored.not_taken = Some(e);
                        } else {
                            stored.failed = Some(e);
                        }
                    }
                }
            }
        }
    }
    stored
}

type Checked = Result<
    (String, Outcome, Vec<crate::store::NewEvent>, usize),
    (Option<String>, String, Vec<&'static str>),
>;

fn validate_pair(state: &AppState, pair: &Pair<JoinKey, Arrival>) -> Checked {
    let name = pair.key.0.clone();
    let Some(project) = state.project(&name) else {
        return Err((
            None,
            format!("project `{name}` does not exist (any more)"),
            Vec::new(),
        ));
    };
    let c = &project.config.columns;
    let prediction = c.prediction.as_deref().unwrap_or("prediction");
    let target = c.target.as_deref().unwrap_or("target");
    let now = now_us();
    let rows = pair_rows(pair, prediction, target, now)
        .map_err(|e| (Some(name.clone()), e, vec!["malformed_row"]))?;
    let rules = EventRules::of(&project, &state.config.limits);
    let mut v = Validated::default();
    for (i, row) in rows.into_iter().enumerate() {
        v.push(i, Ok(row), &rules, now);
    }
    v.finish(&rules);
    if !v.rejected.is_empty() {
        let kinds = v.rejected.iter().map(|r| r.kind).collect();
        let reasons: Vec<String> = v
            .rejected
            .iter()
            .map(|r| format!("row {}: {}", r.index, r.reason))
            .collect();
        return Err((
            Some(name.clone()),
            format!(
                "pair `{}` of project `{name}`: {}",
                pair.key.1,
                reasons.join("; ")
            ),
            kinds,
        ));
    }
    Ok((name, pair.outcome(), v.events, pair_bytes(pair)))
}

/// Attaches a feedback's truth to the stored events of its pair (ids by [`row_id`]);
/// returns how many events got a label.
pub async fn attach_truth(
    state: &Arc<AppState>,
    key: &JoinKey,
    truth: Arrival,
) -> Result<usize, crate::store::StoreError> {
    let n = truth.rows.len();
    let labels: Vec<(String, String)> = truth
        .rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| Some((row_id(&key.1, i, n), r.value.as_ref()?.to_string())))
        .collect();
    let st = state.clone();
    let project = key.0.clone();
    let found = tokio::task::spawn_blocking(move || st.store.attach_labels(&project, &labels))
        .await
        .map_err(|e| crate::store::StoreError::Database(e.to_string()))??;
    let joined = found.iter().sum();
    state.recorder.labels_joined(&key.0, joined);
    Ok(joined)
}

/// Counts an offered half that was a duplicate; returns whether it was.
pub fn count_duplicate(state: &AppState, offered: Offered) -> bool {
    let dup = offered == Offered::Duplicate;
    if dup {
        state.recorder.cloudevent("duplicate");
    }
    dup
}

/// The first wait before held pairs are committed again; it doubles while commits fail.
const FIRST_RETRY: Duration = Duration::from_millis(100);
/// The longest wait between two commits of held pairs.
const MAX_RETRY: Duration = Duration::from_secs(5);

/// Gives up halves whose partner did not come in time, every quarter of the join timeout
/// (10 ms to 1 s), and stores them; commits held pairs (whose commit failed) again, with
/// backoff from 100 ms doubling up to 5 s while the store fails. At stop, stores every
/// half still waiting and every held pair, trying again with the same backoff for up to
/// the server's `shutdown_timeout`; what the store still refuses then is lost, logged and
/// counted `lost`.
pub async fn run(state: Arc<AppState>, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(state.cloudevents.tick);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut backoff = FIRST_RETRY;
    let mut retry_at = tokio::time::Instant::now();
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => break,
        }
        if *stop.borrow() {
            break;
        }
        let ready = state.cloudevents.lock().expire(now_us());
        store(&state, ready.into_iter().map(|p| (p, None)).collect()).await;
        if tokio::time::Instant::now() >= retry_at {
            let held = state.cloudevents.lock().take_held();
            if !held.is_empty() {
                let s = store(&state, held.into_iter().map(|p| (p, None)).collect()).await;
                backoff = if s.failed.is_some() {
                    (backoff * 2).min(MAX_RETRY)
                } else {
                    FIRST_RETRY
                };
                retry_at = tokio::time::Instant::now() + backoff;
            }
        }
    }
    let patience = state
        .config
        .connection_limits()
        .map_or(Duration::from_secs(30), |l| l.shutdown_timeout);
    let give_up_at = tokio::time::Instant::now() + patience;
    let mut backoff = FIRST_RETRY;
    let mut ready = state.cloudevents.lock().drain(now_us());
    loop {
        store(&state, ready.into_iter().map(|p| (p, None)).collect()).await;
        ready = state.cloudevents.lock().take_held();
        if ready.is_empty() {
            return;
        }
        if tokio::time::Instant::now() + backoff > give_up_at {
            break;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_RETRY);
    }
    for _ in &ready {
        state.recorder.cloudevent("lost");
    }
    tracing::error!(
        pairs = ready.len(),
        "payload logger pairs lost at shutdown: the store still could not commit them after {}s",
        patience.as_secs()
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn arrival(logger: Logger, rows: Vec<Row>, time_us: Option<i64>) -> Arrival {
        Arrival {
            logger,
            rows,
            time_us,
            bytes: 10,
        }
    }

    fn cols(pairs: &[(&str, Value)]) -> Row {
        Row {
            columns: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            value: None,
        }
    }

    fn value(v: Value) -> Row {
        Row {
            columns: Map::new(),
            value: Some(v),
        }
    }

    #[test]
    fn a_joined_pair_becomes_rows_with_prediction_latency_and_status() {
        let pair = Pair {
            key: ("iris".to_string(), "abc".to_string()),
            request: Some(arrival(
                Logger::KServe,
                vec![cols(&[("x", json!(1.5))]), cols(&[("x", json!(2.5))])],
                Some(1_000_000),
            )),
            response: Some(arrival(
                Logger::KServe,
                vec![value(json!(1)), value(json!(0))],
                Some(1_250_000),
            )),
            truth: None,
        };
        let rows = pair_rows(&pair, "pred", "target", 99).unwrap();
        assert_eq!(
            Value::Object(rows[1].clone()),
            json!({"x": 2.5, "pred": 0, "id": "abc:1", "timestamp": 1.0,
                   "latency_seconds": 0.25, "status": 200})
        );
    }

    #[test]
    fn columns_named_like_reserved_keys_keep_their_values_under_their_side() {
        let pair = Pair {
            key: ("p".to_string(), "abc".to_string()),
            request: Some(arrival(
                Logger::KServe,
                vec![cols(&[
                    ("id", json!(41)),
                    ("timestamp", json!("2020-01-01")),
                    ("latency_seconds", json!(9)),
                    ("status", json!("gold")),
                    ("error", json!(0.5)),
                    ("x", json!(1)),
                ])],
                Some(1_000_000),
            )),
            response: Some(arrival(
                Logger::KServe,
                vec![cols(&[("status", json!("ok")), ("score", json!(0.75))])],
                Some(1_500_000),
            )),
            truth: None,
        };
        let rows = pair_rows(&pair, "prediction", "target", 0).unwrap();
        assert_eq!(
            Value::Object(rows[0].clone()),
            json!({"input.id": 41, "input.timestamp": "2020-01-01", "input.latency_seconds": 9,
                   "input.status": "gold", "input.error": 0.5, "x": 1,
                   "output.status": "ok", "score": 0.75,
                   "id": "abc", "timestamp": 1.0, "latency_seconds": 0.5, "status": 200})
        );
    }

    #[test]
    fn a_name_on_both_sides_keeps_the_answer_under_it_and_the_request_as_input() {
        let pair = Pair {
            key: ("p".to_string(), "abc".to_string()),
            request: Some(arrival(
                Logger::KServe,
                vec![cols(&[("score", json!(1)), ("pred", json!("asked"))])],
                Some(1_000_000),
            )),
            response: Some(arrival(
                Logger::KServe,
                vec![Row {
                    columns: cols(&[("score", json!(0.75))]).columns,
                    value: Some(json!("setosa")),
                }],
                Some(1_500_000),
            )),
            truth: None,
        };
        let rows = pair_rows(&pair, "pred", "target", 0).unwrap();
        assert_eq!(
            Value::Object(rows[0].clone()),
            json!({"input.score": 1, "score": 0.75, "input.pred": "asked", "pred": "setosa",
                   "id": "abc", "timestamp": 1.0, "latency_seconds": 0.5, "status": 200})
        );
    }

    #[test]
    fn a_request_alone_has_no_prediction_and_a_mismatch_is_refused() {
        let pair = Pair {
            key: ("p".to_string(), "r1".to_string()),
            request: Some(arrival(
                Logger::Seldon,
                vec![cols(&[("a", json!(1))])],
                None,
            )),
            response: None,
            truth: Some(arrival(Logger::Seldon, vec![value(json!("yes"))], None)),
        };
        let rows = pair_rows(&pair, "prediction", "label", 5_000_000).unwrap();
        assert_eq!(
            Value::Object(rows[0].clone()),
            json!({"a": 1, "label": "yes", "id": "r1", "timestamp": 5.0})
        );
        let pair = Pair {
            key: ("p".to_string(), "r1".to_string()),
            request: Some(arrival(
                Logger::Seldon,
                vec![cols(&[("a", json!(1))])],
                None,
            )),
            response: Some(arrival(
                Logger::Seldon,
                vec![value(json!(1)), value(json!(2))],
                None,
            )),
            truth: None,
        };
        assert!(pair_rows(&pair, "prediction", "label", 0)
            .unwrap_err()
            .contains("the request has 1 rows but the response 2"));
    }

    #[test]
    fn prepare_names_the_project_and_the_join_id() {
        let event = CloudEvent {
            id: "e1".into(),
            source: "http://0.0.0.0:8000/".into(),
            event_type: "io.seldon.serving.inference.request".into(),
            time_us: None,
            datacontenttype: Some("application/json".into()),
            extensions: [
                ("requestid".to_string(), "puid-1".to_string()),
                (
                    "inferenceservicename".to_string(),
                    "seldon-model".to_string(),
                ),
            ]
            .into(),
            data: Some(crate::ingest::cloudevents::envelope::Data::Bytes(
                br#"{"data": {"names": ["a"], "ndarray": [[1]]}}"#.to_vec(),
            )),
        };
        let p = prepare(&CloudEventsConfig::default(), &event).unwrap();
        assert_eq!(p.project, "seldon-model");
        assert_eq!(p.join_id, "puid-1");
        assert_eq!(p.arrival.rows[0].columns["a"], json!(1));
        let mut no_id = event.clone();
        no_id.extensions.remove("requestid");
        assert_eq!(
            prepare(&CloudEventsConfig::default(), &no_id),
            Err(PrepareError::NoRequestId)
        );
        let mut other = event;
        other.event_type = "com.example".into();
        assert!(matches!(
            prepare(&CloudEventsConfig::default(), &other),
            Err(PrepareError::UnknownType(_))
        ));
    }
}
