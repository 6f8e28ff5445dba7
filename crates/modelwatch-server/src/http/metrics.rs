//! `/metrics` (the service's own counters, the gauges of each project's latest snapshot
//! and the alerts' state) and the request-accounting layer that feeds its HTTP metrics.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use crate::metrics::{Encoder, ExpositionFormat, Labels};
use crate::{now_us, AppState};

static REQUEST_SEQ: AtomicU64 = AtomicU64::new(1);

/// Gives every request an id (logged on every line of its span and returned as
/// `x-request-id`), records it in the service's RED metrics, and answers oversized
/// bodies with a clear 413 before reading them.
pub(super) async fn account(
    State(state): State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Response {
    let start = Instant::now();
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.is_ascii())
        .map_or_else(
            || format!("{:016x}", REQUEST_SEQ.fetch_add(1, Ordering::Relaxed)),
            str::to_string,
        );
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let too_big = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > state.config.max_body_bytes as u64);
    let span = tracing::info_span!("request", request_id = %id, method = %method, path = %req.uri().path());
    let mut response = if too_big {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the body is larger than the limit of {} bytes (max_body_bytes); send smaller batches",
                state.config.max_body_bytes
            ),
        )
        .into_response()
    } else {
        use tracing::Instrument;
        next.run(req).instrument(span.clone()).await
    };
    let status = response.status();
    let elapsed = start.elapsed().as_secs_f64();
    // `route` was taken before routing; the matched route is known after it.
    let route = response
        .extensions()
        .get::<MatchedPath>()
        .map_or(route, |m| m.as_str().to_string());
    state
        .recorder
        .http_request(&route, method.as_str(), status.as_u16(), elapsed);
    span.in_scope(|| {
        tracing::info!(status = status.as_u16(), route = %route, seconds = elapsed, "request");
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", v);
    }
    response
}

/// `GET /metrics`: Prometheus text or OpenMetrics, as the `Accept` header asks.
pub(super) async fn metrics(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let format =
        ExpositionFormat::negotiate(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()));
    let mut enc = Encoder::new(format);
    state.recorder.encode(&mut enc);
    encode_snapshots(&state, &mut enc);
    crate::alerts::encode(&state, &mut enc);
    (
        [(header::CONTENT_TYPE, format.content_type())],
        enc.finish(),
    )
        .into_response()
}

/// The gauges read from each project's latest snapshot.
fn encode_snapshots(state: &AppState, enc: &mut Encoder) {
    let latest = state.latest();
    let mut names: Vec<&String> = latest.keys().collect();
    names.sort();
    let now = now_us();
    let pick = |metric: &str| -> Vec<(Labels, f64)> {
        names
            .iter()
            .flat_map(|name| {
                latest[*name]
                    .metrics
                    .iter()
                    .filter(move |m| m.metric == metric)
                    .map(move |m| {
                        let mut l: Labels = vec![("project", (*name).clone())];
                        if !m.column.is_empty() {
                            l.push(("column", m.column.clone()));
                        }
                        (l, m.value)
                    })
            })
            .collect()
    };
    let gauges: [(&str, &str, &str); 8] = [
        ("drift_score", "modelwatch_drift_score", "Drift score of a column in the latest snapshot (a p-value or a distance, see the method)."),
        ("drifted", "modelwatch_column_drifted", "1 when the column drifted in the latest snapshot."),
        ("drifted_share", "modelwatch_drifted_columns_share", "Share of drifted columns in the latest snapshot."),
        ("dataset_drift", "modelwatch_dataset_drift", "1 when the latest snapshot found dataset drift."),
        ("missing_share", "modelwatch_missing_values_share", "Share of missing values in the latest snapshot's window."),
        ("reference_missing_share", "modelwatch_reference_missing_values_share", "Share of missing values in the project's reference data."),
        ("rows", "modelwatch_window_rows", "Events in the latest snapshot's window."),
        ("column_missing_share", "modelwatch_column_missing_share", "Share of missing values of a column in the latest snapshot's window."),
    ];
    for (metric, name, help) in gauges {
        enc.gauge(name, help, pick(metric));
    }
    enc.gauge(
        "modelwatch_prediction_class_share",
        "Share of each predicted label in the latest snapshot's window.",
        pick("class_share").into_iter().map(|(mut l, v)| {
            if let Some(c) = l.iter_mut().find(|(k, _)| *k == "column") {
                c.0 = "class";
            }
            (l, v)
        }),
    );
    let quality: Vec<(Labels, f64)> = names
        .iter()
        .flat_map(|name| {
            latest[*name].metrics.iter().filter_map(move |m| {
                m.metric.strip_prefix("quality.").map(|q| {
                    (
                        vec![("project", (*name).clone()), ("metric", q.to_string())],
                        m.value,
                    )
                })
            })
        })
        .collect();
    enc.gauge(
        "modelwatch_model_quality",
        "Model quality in the latest snapshot with labels, by metric (accuracy, f1, mae, ...).",
        quality,
    );
    enc.gauge(
        "modelwatch_snapshot_age_seconds",
        "Seconds since the latest snapshot was taken.",
        names.iter().map(|name| {
            (
                vec![("project", (*name).clone())],
                (now - latest[*name].meta.taken_us).max(0) as f64 / 1e6,
            )
        }),
    );
}
