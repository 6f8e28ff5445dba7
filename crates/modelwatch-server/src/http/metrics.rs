//! `/metrics` (the service's own counters, the gauges of each project's latest snapshot
//! and the alerts' state) and the request-accounting layer that feeds its HTTP metrics.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::metrics::{Encoder, ExpositionFormat};
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
    let too_big = super::extract::announced_length(req.headers())
        .is_some_and(|n| n > state.config.max_body_bytes as u64);
    let span = tracing::info_span!("request", request_id = %id, method = %method, path = %req.uri().path());
    let mut response = if too_big {
        super::extract::too_large(state.config.max_body_bytes).into_response()
    } else {
        use tracing::Instrument;
        next.run(req).instrument(span.clone()).await
    };
    let status = response.status();
    let elapsed = start.elapsed().as_secs_f64();
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
    crate::catalogue::encode_latest(&state.latest(), now_us(), &mut enc);
    crate::alerts::encode(&state, &mut enc);
    (
        [(header::CONTENT_TYPE, format.content_type())],
        enc.finish(),
    )
        .into_response()
}
