//! `POST /api/v1/projects/{project}/labels`: late ground truth, joined to stored events
//! by their id.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde_json::json;

use super::blocking;
use super::error::{ApiError, ApiResult};
use super::events::{body_error, body_format};
use super::extract::{Body, Path};
use super::projects::project_or_404;
use crate::ingest::{self, BodyFormat};
use crate::AppState;

/// `POST .../labels`: `{"id": ..., "target": ...}` rows, joined to stored events by id.
pub(super) async fn post_labels(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    Body(body, held): Body,
) -> ApiResult<Json<serde_json::Value>> {
    project_or_404(&state, &name)?;
    let format = body_format(&headers)
        .filter(|f| *f != BodyFormat::Csv)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "send labels as application/json or application/x-ndjson",
            )
        })?;
    let limits = state.config.row_limits();
    let read = body.clone();
    let (pairs, rejected) = blocking(move || {
        let _held = held;
        label_rows(&read, format, &limits)
    })
    .await?;
    let st = state.clone();
    let n = name.clone();
    let sent = pairs.clone();
    let found = blocking(move || st.store.attach_labels(&n, &sent)).await?;
    let joined: usize = found.iter().sum();
    let unknown: Vec<&str> = pairs
        .iter()
        .zip(&found)
        .filter(|(_, n)| **n == 0)
        .map(|((id, _), _)| id.as_str())
        .collect();
    state.recorder.labels_joined(&name, joined);
    Ok(Json(json!({
        "joined": joined,
        "unknown_ids": unknown,
        "rejected": rejected,
    })))
}

/// A label: the event id and the target value as JSON text.
type Label = (String, String);

/// The labels of a body, and the rows refused with their reasons.
fn label_rows(
    body: &[u8],
    format: BodyFormat,
    limits: &ingest::RowLimits,
) -> ApiResult<(Vec<Label>, Vec<serde_json::Value>)> {
    let mut pairs = Vec::new();
    let mut rejected = Vec::new();
    let mut index = 0;
    ingest::for_each_row(body, format, limits, |row| {
        let pair = row.and_then(|o| {
            let id = match o.get("id") {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(serde_json::Value::Number(n)) => n.to_string(),
                _ => return Err("needs an `id` (string or number)".to_string()),
            };
            match o.get("target") {
                Some(v) if !v.is_null() && !v.is_object() && !v.is_array() => {
                    Ok((id, v.to_string()))
                }
                _ => Err("needs a `target` value".to_string()),
            }
        });
        match pair {
            Ok(p) => pairs.push(p),
            Err(reason) => rejected.push(json!({ "index": index, "reason": reason })),
        }
        index += 1;
    })
    .map_err(body_error)?;
    Ok((pairs, rejected))
}
