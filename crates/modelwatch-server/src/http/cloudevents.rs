//! `POST /api/v1/cloudevents`: the payload loggers of KServe and Seldon Core, as
//! CloudEvents 1.0 in binary, structured or batched mode (docs/cloudevents.md).
//!
//! Every event of a request is read, routed to its project and decoded before any is
//! offered to the join, so a request with one bad event stores nothing. The answer is
//! `200` (KServe's logger treats any other status as a failed delivery) once the pairs the
//! request completed are committed; halves still waiting for their partner are stored by
//! the join's task. A `2xx` means each half is committed or held by the join; when a pair
//! the request completed cannot be committed, the answer is `503` with `Retry-After` and
//! the join takes back that half only, so the logger's retry completes the pair.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::error::{ApiError, ApiResult};
use super::extract::Body;
use crate::ingest::cloudevents::envelope;
use crate::ingest::cloudevents::join::Offered;
use crate::ingest::cloudevents::EventKind;
use crate::service::cloudevents::{self as joining, PrepareError, Prepared};
use crate::{now_us, AppState};

/// The status of an event that cannot be taken: 404 for a project that does not exist,
/// 422 for a type or payload no logger sends, 400 otherwise.
fn refusal(index: usize, many: bool, status: StatusCode, message: String) -> ApiError {
    let message = if many {
        format!("event {index} of the batch: {message}; nothing was stored")
    } else {
        format!("{message}; nothing was stored")
    };
    ApiError::new(status, message)
}

/// `POST /api/v1/cloudevents`.
pub(super) async fn post_cloudevents(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Body(body, _held): Body,
) -> ApiResult<Response> {
    let pairs: Vec<(String, String)> = headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    let events = envelope::read_request(&pairs, &body).map_err(|e| {
        state.recorder.cloudevent("rejected");
        ApiError::bad_request(format!("{e}; nothing was stored"))
    })?;
    let many = events.len() > 1;
    let mut prepared: Vec<Prepared> = Vec::with_capacity(events.len());
    for (i, event) in events.iter().enumerate() {
        let p = joining::prepare(&state.config.cloudevents, event).map_err(|e| {
            state.recorder.cloudevent("rejected");
            let status = match e {
                PrepareError::UnknownType(_)
                | PrepareError::NoProject
                | PrepareError::NoRequestId
                | PrepareError::Data(_)
                | PrepareError::Payload(_) => StatusCode::UNPROCESSABLE_ENTITY,
            };
            refusal(i, many, status, e.to_string())
        })?;
        if state.project(&p.project).is_none() {
            state.recorder.cloudevent("rejected");
            let from = if state
                .config
                .cloudevents
                .route(|name| event.extension(name))
                .is_some()
            {
                "named by a [[cloudevents.routes]] entry"
            } else {
                "named by the event's `inferenceservicename`"
            };
            return Err(refusal(
                i,
                many,
                StatusCode::NOT_FOUND,
                format!(
                    "project `{}` ({from}) does not exist: create it, or route the service to \
                     a project with [[cloudevents.routes]]",
                    p.project
                ),
            ));
        }
        prepared.push(p);
    }

    let now = now_us();
    let mut ready = Vec::new();
    let (mut waiting, mut joined, mut duplicates, mut late) = (0, 0, 0, 0);
    let (mut full, mut committing) = (false, false);
    let mut truths = Vec::new();
    for p in prepared {
        let key = (p.project, p.join_id);
        match p.kind {
            EventKind::Half(half) => {
                let step = state.cloudevents.offer(now, key, half, p.arrival);
                match step.offered {
                    Offered::Waiting => waiting += 1,
                    Offered::Joined => joined += 1,
                    Offered::Late => late += 1,
                    Offered::Duplicate => duplicates += 1,
                    Offered::Full => full = true,
                    Offered::Committing => committing = true,
                }
                joining::count_duplicate(&state, step.offered);
                ready.extend(joining::ready_pairs(step.ready, step.offered, half));
            }
            EventKind::Feedback => {
                if let Some(truth) = state.cloudevents.offer_truth(&key, p.arrival) {
                    truths.push((key, truth));
                }
            }
        }
    }
    let stored = joining::store(&state, ready).await;
    let mut labels_joined = 0;
    let mut unknown = Vec::new();
    for (key, truth) in truths {
        let n = joining::attach_truth(&state, &key, truth)
            .await
            .map_err(ApiError::from)?;
        if n == 0 {
            unknown.push(key.1.clone());
        }
        labels_joined += n;
    }
    // A half of this request is neither committed nor held: the logger must send it again
    // (both loggers retry a delivery answered 5xx). Halves held are answered 2xx.
    let unavailable = match (stored.not_taken, full) {
        (Some(e), _) => Some(format!("events were not stored: {e}")),
        (None, true) => Some(
            "the store is not committing and the pairs kept for it fill \
             cloudevents.max_pending / max_pending_bytes; nothing more is taken until it does"
                .to_string(),
        ),
        (None, false) if committing => Some(
            "a pair this event completed is being stored by another delivery; send it again"
                .to_string(),
        ),
        (None, false) => None,
    };
    if let Some(message) = unavailable {
        // Every 503 carries `Retry-After`: both loggers send the delivery again.
        return Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, message));
    }
    let refused = stored.events == 0 && !stored.rejected.is_empty();
    let mut answer = json!({
        "received": events.len(),
        "joined": joined,
        "waiting": waiting,
        "late": late,
        "duplicates": duplicates,
        "stored_events": stored.events,
        "rejected": stored.rejected,
        "labels_joined": labels_joined,
        "unknown_label_ids": unknown,
    });
    if refused {
        // Every pair this request completed was refused by its project's schema.
        answer["error"] = json!(
            "the joined rows do not fit the project's schema (see `rejected`); nothing was stored"
        );
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(answer)).into_response());
    }
    Ok(Json(answer).into_response())
}
