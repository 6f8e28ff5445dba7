//! The ingestion endpoint, `POST /api/v1/projects/{project}/events`: prediction events as
//! JSON, JSON Lines or CSV, or one event with its images as `multipart/form-data`,
//! validated against the project's schema and queued for the store.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::blocking;
use super::error::{ApiError, ApiResult};
use super::extract::{Body, Path, Query};
use super::projects::project_or_404;
use crate::ingest::{self, BodyError, BodyFormat, EventRules};
use crate::{now_us, AppState};

/// `?atomic=true`: refuse the whole batch when one row is invalid.
#[derive(Debug, Deserialize)]
pub(super) struct EventsQuery {
    #[serde(default)]
    atomic: bool,
}

/// The ingestion format the request's `Content-Type` names (events and labels read it).
pub(super) fn body_format(headers: &HeaderMap) -> Option<BodyFormat> {
    BodyFormat::from_content_type(
        headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
    )
}

/// A body that cannot be read as an error answer: 413 for one over a size limit, 400
/// otherwise.
pub(super) fn body_error(e: BodyError) -> ApiError {
    if e.is_too_large() {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, e.to_string())
    } else {
        ApiError::bad_request(e.to_string())
    }
}

/// `POST .../events`: validates the rows, queues the valid ones for the store and answers
/// with what was accepted and what was rejected, row by row.
pub(super) async fn post_events(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    Query(q): Query<EventsQuery>,
    headers: HeaderMap,
    Body(body, held): Body,
) -> ApiResult<Response> {
    let project = project_or_404(&state, &name)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let multipart = ingest::media_type(&content_type) == Some(ingest::MediaType::Multipart);
    let format = body_format(&headers);
    if format.is_none() && !multipart {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send events as application/json, application/x-ndjson or text/csv, or one \
             event with its images as multipart/form-data",
        ));
    }
    let limits = state.config.row_limits();
    let read = body.clone();
    let p = project.clone();
    // The parts of a multipart body are split here (the body is already in memory, so
    // this never waits); its images are described with the rows below.
    let parts = match multipart {
        true => Some(
            ingest::multipart::read_multipart(
                body.clone(),
                &content_type,
                &project.config.columns.images,
                limits.max_keys,
            )
            .await
            .map_err(body_error)?,
        ),
        false => None,
    };
    let st = state.clone();
    // Reading, validating and describing images take CPU in proportion to the body: off
    // the async workers, so that other requests are answered meanwhile.
    // The body's share of the budget goes with the reading, which goes on even if this
    // request is dropped meanwhile.
    let validated = blocking(move || {
        let _held = held;
        match (parts, format) {
            (Some(event), _) => {
                let rules = EventRules::of(&p, &st.config.limits);
                let mut v = ingest::Validated::default();
                v.push_with_files(0, event.row, event.files, &rules, now_us());
                v.finish(&rules);
                Ok(v)
            }
            (None, Some(format)) => {
                crate::service::events::validate(&st, &p, &read, format).map_err(body_error)
            }
            (None, None) => Err(ApiError::internal("no body format")),
        }
    })
    .await?;
    let kinds: Vec<&'static str> = validated.rejected.iter().map(|r| r.kind).collect();
    let accepted = validated.events.len();
    let refused = accepted == 0 || (q.atomic && !validated.rejected.is_empty());
    let mut response = json!({
        "accepted": if refused { 0 } else { accepted },
        "rejected": validated.rejected,
        "unknown_columns": validated.unknown_columns,
    });
    if !validated.image_failures.is_empty() {
        response["image_failures"] = json!(validated.image_failures);
    }
    if refused {
        state.recorder.ingested(&name, body.len(), 0, kinds, &[]);
        let status = if validated.rejected.is_empty() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        response["error"] = json!(if accepted > 0 {
            "atomic batch rejected: at least one row is invalid; nothing was stored"
        } else {
            "no valid event in the request; nothing was stored"
        });
        return Ok((status, Json(response)).into_response());
    }
    let committed =
        crate::service::events::commit(&state, &name, validated.events, body.len(), kinds).await;
    if let Err(e) = committed {
        // Nothing was acknowledged; the store may come back (a database restarting, a
        // disk freed), so the client is told to send the same request again soon (every
        // 503 carries `Retry-After`).
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("events were not stored: {e}"),
        ));
    }
    Ok((StatusCode::OK, Json(response)).into_response())
}
