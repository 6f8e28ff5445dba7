//! The proxy's own `/metrics`: the model's RED metrics per route, upstream failures, and the
//! capture pipeline's counters, written with the server's [`Encoder`].

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::metrics::{method_label, Encoder, Histogram};

use super::handoff::Drops;
use super::queue::QueueCounts;

/// `modelwatch_proxy_requests_total`: requests through the proxy, by route, method and code.
pub const REQUESTS: &str = "modelwatch_proxy_requests";
/// `modelwatch_proxy_request_duration_seconds`: from the request's arrival to the answer's
/// last byte, by route and method.
pub const DURATION: &str = "modelwatch_proxy_request_duration_seconds";
/// `modelwatch_proxy_upstream_errors_total`: answers the proxy made itself (502
/// `unreachable`, 504 `timeout`), by route and kind.
pub const UPSTREAM_ERRORS: &str = "modelwatch_proxy_upstream_errors";
/// `modelwatch_proxy_capture_failures_total`: captures that gave no rows, by reason.
pub const CAPTURE_FAILURES: &str = "modelwatch_proxy_capture_failures";
/// `modelwatch_proxy_events_captured_total`: events made from captured traffic.
pub const EVENTS_CAPTURED: &str = "modelwatch_proxy_events_captured";
/// `modelwatch_proxy_events_sent_total`: events the server stored.
pub const EVENTS_SENT: &str = "modelwatch_proxy_events_sent";
/// `modelwatch_proxy_events_dropped_total`: events dropped, by reason: `queue_full`,
/// `queue_bytes`, `handoff_full` and `handoff_bytes` (finished requests, counted before
/// they became events) and `too_large` (an event the server refused alone with 413).
pub const EVENTS_DROPPED: &str = "modelwatch_proxy_events_dropped";
/// `modelwatch_proxy_events_refused_total`: events the server refused.
pub const EVENTS_REFUSED: &str = "modelwatch_proxy_events_refused";
/// `modelwatch_proxy_send_failures_total`: attempts to send a batch that failed.
pub const SEND_FAILURES: &str = "modelwatch_proxy_send_failures";
/// `modelwatch_proxy_queue_events`: events waiting to be sent.
pub const QUEUE_EVENTS: &str = "modelwatch_proxy_queue_events";
/// `modelwatch_proxy_queue_bytes`: the bytes (as JSON Lines) of the events waiting.
pub const QUEUE_BYTES: &str = "modelwatch_proxy_queue_bytes";

/// One route's counters, keyed by method (and code).
#[derive(Debug, Default)]
struct RouteCounters {
    requests: BTreeMap<(&'static str, u16), u64>,
    durations: BTreeMap<&'static str, Histogram>,
    upstream_errors: BTreeMap<&'static str, u64>,
}

#[derive(Debug, Default)]
struct Inner {
    /// By route label: looked up by `&str`, so a request allocates nothing here.
    routes: BTreeMap<String, RouteCounters>,
    capture_failures: BTreeMap<String, u64>,
    captured: u64,
}

impl Inner {
    fn route(&mut self, label: &str) -> &mut RouteCounters {
        if !self.routes.contains_key(label) {
            self.routes
                .insert(label.to_string(), RouteCounters::default());
        }
        self.routes.get_mut(label).expect("inserted above")
    }
}

/// The counters of the request path (the queue keeps its own).
#[derive(Debug, Default)]
pub struct ProxyMetrics {
    inner: Mutex<Inner>,
}

impl ProxyMetrics {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One finished request.
    pub fn request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let method = method_label(method);
        let mut g = self.lock();
        let r = g.route(route);
        *r.requests.entry((method, status)).or_insert(0) += 1;
        r.durations.entry(method).or_default().observe(seconds);
    }

    /// An answer the proxy made because the upstream failed (`unreachable` or `timeout`).
    pub fn upstream_error(&self, route: &str, kind: &'static str) {
        *self
            .lock()
            .route(route)
            .upstream_errors
            .entry(kind)
            .or_insert(0) += 1;
    }

    /// Events made from one exchange, and its failed captures.
    pub fn captured(&self, events: usize, failures: &[String]) {
        let mut g = self.lock();
        g.captured += events as u64;
        for f in failures {
            *g.capture_failures.entry(f.clone()).or_insert(0) += 1;
        }
    }

    /// Writes the families; `queue` is the queue's counters, `handoff` what the hand-off
    /// of finished exchanges dropped, `queued` the queue's length and bytes.
    pub fn encode(
        &self,
        enc: &mut Encoder,
        queue: QueueCounts,
        handoff: Drops,
        queued: (usize, usize),
    ) {
        let g = self.lock();
        enc.counter(
            REQUESTS,
            "Requests through the proxy, by route, method and status code.",
            g.routes.iter().flat_map(|(r, c)| {
                c.requests.iter().map(move |((m, code), n)| {
                    (
                        vec![
                            ("route", r.clone()),
                            ("method", m.to_string()),
                            ("code", code.to_string()),
                        ],
                        *n,
                    )
                })
            }),
        );
        enc.histogram(
            DURATION,
            "Seconds from a request's arrival to the last byte of its answer, by route and method.",
            g.routes.iter().flat_map(|(r, c)| {
                c.durations
                    .iter()
                    .map(move |(m, h)| (vec![("route", r.clone()), ("method", m.to_string())], h))
            }),
        );
        enc.counter(
            UPSTREAM_ERRORS,
            "Answers the proxy made because the upstream failed: 502 unreachable, 504 timeout.",
            g.routes.iter().flat_map(|(r, c)| {
                c.upstream_errors
                    .iter()
                    .map(move |(k, n)| (vec![("route", r.clone()), ("kind", k.to_string())], *n))
            }),
        );
        enc.counter(
            CAPTURE_FAILURES,
            "Captured bodies that gave no rows, by side and reason.",
            g.capture_failures
                .iter()
                .map(|(reason, n)| (vec![("reason", reason.clone())], *n)),
        );
        enc.counter(
            EVENTS_CAPTURED,
            "Events made from captured traffic.",
            [(vec![], g.captured)],
        );
        enc.counter(
            EVENTS_SENT,
            "Events the monitoring server stored.",
            [(vec![], queue.sent)],
        );
        let reason = |r: &str| vec![("reason", r.to_string())];
        enc.counter(
            EVENTS_DROPPED,
            "Events dropped before the server stored them, by reason: the queue held queue_size \
             events or max_queue_bytes (the oldest go first), the hand-off of finished requests \
             held 4096 of them or max_queue_bytes of their bodies (counted per request), or the \
             server refused an event alone as too large.",
            [
                (reason("queue_full"), queue.dropped),
                (reason("queue_bytes"), queue.dropped_bytes),
                (reason("handoff_full"), handoff.full),
                (reason("handoff_bytes"), handoff.bytes),
                (reason("too_large"), queue.too_large),
            ],
        );
        enc.counter(
            EVENTS_REFUSED,
            "Events the monitoring server refused.",
            [(vec![], queue.refused)],
        );
        enc.counter(
            SEND_FAILURES,
            "Attempts to send a batch that failed (each is retried).",
            [(vec![], queue.failed_attempts)],
        );
        enc.gauge(
            QUEUE_EVENTS,
            "Events waiting to be sent.",
            [(vec![], queued.0 as f64)],
        );
        enc.gauge(
            QUEUE_BYTES,
            "Bytes of the events waiting to be sent, as the JSON Lines they are sent as.",
            [(vec![], queued.1 as f64)],
        );
    }
}
