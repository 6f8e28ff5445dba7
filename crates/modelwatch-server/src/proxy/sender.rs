//! The one sender task: turns exchanges into events (off the request path), keeps them in
//! the [`CaptureQueue`] and hands batches of JSON Lines to a [`Sink`]: the server's
//! ingestion API over HTTP (`modelwatch proxy`), or, for a proxy of the serve config, the
//! server's own validation and store in the same process (no HTTP, no token).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{self, HeaderValue};
use hyper::Request;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use tokio::sync::oneshot;

use super::capture::{event_lines_of, Exchange};
use super::config::HttpUrl;
use super::queue::{CaptureQueue, Next, Outcome};
use super::Shared;

/// The most waiting exchanges turned into events per wake of the task.
const DRAIN_PER_WAKE: usize = 256;

/// How long one batch may take to be answered before the attempt counts as failed.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);

/// Where batches go.
pub(super) enum Sink {
    /// A modelwatch server's ingestion API.
    Http(Destination),
    /// The store of the server this proxy runs in, for the project `project`.
    Store {
        state: Arc<crate::AppState>,
        project: String,
    },
}

/// A server's ingestion API for one project.
pub(super) struct Destination {
    pub uri: String,
    pub authorization: Option<HeaderValue>,
}

impl Destination {
    pub fn new(server: &HttpUrl, project: &str, token: Option<&str>) -> Self {
        Self {
            uri: format!(
                "http://{}{}/api/v1/projects/{}/events",
                server.authority,
                server.base,
                encode_segment(project)
            ),
            authorization: token.and_then(|t| HeaderValue::from_str(&format!("Bearer {t}")).ok()),
        }
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Hands one batch to `sink`; the outcome for the queue.
async fn deliver(
    client: &Client<HttpConnector, Full<Bytes>>,
    sink: &Sink,
    batch: &[Vec<u8>],
) -> Outcome {
    match sink {
        Sink::Http(to) => post(client, to, batch).await,
        Sink::Store { state, project } => store(state, project, batch).await,
    }
}

/// Validates one batch as the ingestion API does (the project's schema, the server's row
/// limits) and commits its valid rows, with the same outcomes as [`post`]: a failed commit
/// is retried, a batch with no valid row is refused, one over a row limit is split.
async fn store(state: &Arc<crate::AppState>, name: &str, batch: &[Vec<u8>]) -> Outcome {
    let Some(project) = state.project(name) else {
        // The project was removed (or never made): as the API's 404.
        return Outcome::Refused;
    };
    let body = batch.concat();
    let bytes = body.len();
    let st = state.clone();
    // Reading and validating take CPU in proportion to the batch: off the async workers.
    let validated = tokio::task::spawn_blocking(move || {
        crate::service::events::validate(&st, &project, &body, crate::ingest::BodyFormat::JsonLines)
    })
    .await;
    let validated = match validated {
        Ok(Ok(v)) => v,
        Ok(Err(e)) if e.is_too_large() => return Outcome::TooLarge,
        Ok(Err(e)) => {
            tracing::warn!(project = %name, error = %e, "proxy: captured events refused");
            return Outcome::Refused;
        }
        // Only a panic of the validation lands here: the batch is tried again.
        Err(_) => return Outcome::Failed,
    };
    let kinds: Vec<&'static str> = validated.rejected.iter().map(|r| r.kind).collect();
    if validated.events.is_empty() {
        state.recorder.ingested(name, bytes, 0, kinds, &[]);
        return Outcome::Refused;
    }
    match crate::service::events::commit(state, name, validated.events, bytes, kinds).await {
        Ok(accepted) => Outcome::Delivered { accepted },
        Err(e) => {
            tracing::warn!(project = %name, error = %e, "proxy: captured events not stored yet: kept to be stored again");
            Outcome::Failed
        }
    }
}

/// Posts one batch of JSON lines; the outcome for the queue.
async fn post(
    client: &Client<HttpConnector, Full<Bytes>>,
    to: &Destination,
    batch: &[Vec<u8>],
) -> Outcome {
    let body = batch.concat();
    let mut req = Request::post(&to.uri)
        .header(header::CONTENT_TYPE, "application/x-ndjson")
        .body(Full::new(Bytes::from(body)))
        .expect("a valid request");
    if let Some(a) = &to.authorization {
        req.headers_mut().insert(header::AUTHORIZATION, a.clone());
    }
    let attempt = async {
        let resp = client.request(req).await.ok()?;
        let status = resp.status();
        let bytes = resp.into_body().collect().await.ok()?.to_bytes();
        Some((status, bytes))
    };
    match tokio::time::timeout(SEND_TIMEOUT, attempt).await {
        Ok(Some((status, bytes))) if status.is_success() => {
            let accepted = serde_json::from_slice::<Value>(&bytes)
                .ok()
                .and_then(|v| v.get("accepted")?.as_u64())
                .unwrap_or(0);
            Outcome::Delivered {
                accepted: accepted as usize,
            }
        }
        Ok(Some((status, _))) if status == hyper::StatusCode::PAYLOAD_TOO_LARGE => {
            // Over the server's body or row limit: the queue splits the batch.
            Outcome::TooLarge
        }
        Ok(Some((status, _))) if status.is_client_error() => {
            // 400/422 when no row of the batch was valid: the server's rows are refused.
            Outcome::Refused
        }
        _ => Outcome::Failed,
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs until `stop` fires and then until the queue is empty or `flush_for` has passed.
pub(super) async fn run(
    shared: Arc<Shared>,
    queue: Arc<Mutex<CaptureQueue<Vec<u8>>>>,
    mut stop: oneshot::Receiver<()>,
    to: Sink,
    flush_for: Duration,
) {
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();
    let origin = Instant::now();
    let now = move || origin.elapsed().as_micros() as i64;
    let prediction = shared.config.prediction.clone();
    let ingest_one = |x: Exchange| {
        let (lines, failures) = event_lines_of(&x, &prediction);
        shared.metrics.captured(lines.len(), &failures);
        let t = now();
        let mut q = lock(&queue);
        for line in lines {
            let size = line.len();
            q.push(line, size, t);
        }
    };
    // One wake takes what else is waiting too (a bounded number, so that a batch due is not
    // held back): under load the task wakes once per run of exchanges, not per exchange.
    let ingest = |x: Exchange| {
        ingest_one(x);
        for _ in 0..DRAIN_PER_WAKE {
            match shared.exchanges.try_recv() {
                Some(x) => ingest_one(x),
                None => break,
            }
        }
    };
    let mut closed_at: Option<Instant> = None;
    loop {
        if let Some(at) = closed_at {
            // What was handed over before the stop is still sent.
            while let Some(x) = shared.exchanges.try_recv() {
                ingest_one(x);
            }
            if lock(&queue).is_empty() || at.elapsed() > flush_for {
                return;
            }
        }
        let next = {
            let mut q = lock(&queue);
            match q.next(now()) {
                // Closing: a partial batch goes without waiting for its delay.
                Next::WaitUntil(_) if closed_at.is_some() && !q.is_empty() => Next::Idle,
                n => n,
            }
        };
        match next {
            Next::Send(batch) => {
                let outcome = {
                    let attempt = deliver(&client, &to, &batch);
                    tokio::pin!(attempt);
                    loop {
                        tokio::select! {
                            o = &mut attempt => break o,
                            x = shared.exchanges.recv(), if closed_at.is_none() => ingest(x),
                            _ = &mut stop, if closed_at.is_none() => closed_at = Some(Instant::now()),
                        }
                    }
                };
                lock(&queue).finish(outcome, batch, now());
            }
            Next::WaitUntil(t) => {
                let wait = Duration::from_micros((t - now()).max(0) as u64);
                tokio::select! {
                    x = shared.exchanges.recv(), if closed_at.is_none() => ingest(x),
                    _ = &mut stop, if closed_at.is_none() => closed_at = Some(Instant::now()),
                    _ = tokio::time::sleep(wait) => {}
                }
            }
            Next::Idle if closed_at.is_some() => {
                // Closing with events left: send them now.
                let next = lock(&queue).next(i64::MAX / 2);
                if let Next::Send(batch) = next {
                    let outcome = deliver(&client, &to, &batch).await;
                    lock(&queue).finish(outcome, batch, now());
                    if outcome == Outcome::Failed {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
            Next::Idle => tokio::select! {
                x = shared.exchanges.recv() => ingest(x),
                _ = &mut stop => closed_at = Some(Instant::now()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_project_is_one_encoded_path_segment() {
        let to = Destination::new(
            &HttpUrl {
                authority: "h:1".into(),
                base: "/mw".into(),
            },
            "fraud v2/ü",
            Some("t0k"),
        );
        assert_eq!(
            to.uri,
            "http://h:1/mw/api/v1/projects/fraud%20v2%2F%C3%BC/events"
        );
        assert_eq!(to.authorization.unwrap(), "Bearer t0k");
    }
}
