//! `/api/v1/projects/{project}/snapshots` (list, take one now, read one) and
//! `/api/v1/projects/{project}/series` (one metric of the stored snapshots over time).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::blocking;
use super::error::{ApiError, ApiResult};
use super::extract::{Path, Query};
use super::projects::project_or_404;
use super::reports::parse_instant;
use crate::AppState;
use modelwatch_core::time::{format_us, TimeShape};

/// A snapshot's metadata as the API shows it.
pub(super) fn snapshot_json(m: &crate::store::SnapshotMeta) -> serde_json::Value {
    json!({
        "id": m.id,
        "taken": format_us(m.taken_us, TimeShape::Micros),
        "window_from": format_us(m.window_from_us, TimeShape::Micros),
        "window_to": format_us(m.window_to_us, TimeShape::Micros),
        "rows": m.rows,
    })
}

/// `from=`/`to=` and `limit=` of a listing; `metric=` and `column=` of a series.
#[derive(Debug, Deserialize)]
pub(super) struct RangeQuery {
    from: Option<String>,
    to: Option<String>,
    limit: Option<usize>,
    metric: Option<String>,
    column: Option<String>,
}

fn range_of(q: &RangeQuery) -> ApiResult<(i64, i64)> {
    let from = q
        .from
        .as_deref()
        .map_or(Ok(i64::MIN), |s| parse_instant("from", s))?;
    let to =
        q.to.as_deref()
            .map_or(Ok(i64::MAX), |s| parse_instant("to", s))?;
    Ok((from, to))
}

/// `GET .../snapshots`: the snapshots taken in a time range, newest first.
pub(super) async fn list_snapshots(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    Query(q): Query<RangeQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    project_or_404(&state, &name)?;
    let (from, to) = range_of(&q)?;
    let limit = q.limit.unwrap_or(1000).min(10_000);
    let st = state.clone();
    let list = blocking(move || st.store.list_snapshots(&name, from, to, limit)).await?;
    let list: Vec<_> = list.iter().map(snapshot_json).collect();
    Ok(Json(json!({ "snapshots": list })))
}

/// `POST .../snapshots`: takes a snapshot now, over the scheduled window.
pub(super) async fn post_snapshot(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    let project = project_or_404(&state, &name)?;
    let st = state.clone();
    let taken = blocking(move || crate::service::snapshots::take_snapshot(&st, &project)).await?;
    match taken {
        Some(id) => Ok((StatusCode::CREATED, Json(json!({ "id": id }))).into_response()),
        None => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "too few events in the scheduled window for a snapshot (see schedule.min_rows)",
        )),
    }
}

/// `GET .../snapshots/{id}`: a snapshot's stored results.
pub(super) async fn get_snapshot(
    State(state): State<Arc<AppState>>,
    Path((name, id)): Path<(String, i64)>,
) -> ApiResult<Response> {
    project_or_404(&state, &name)?;
    let st = state.clone();
    let json = blocking(move || st.store.snapshot_results(&name, id))
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("no snapshot {id}")))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
}

/// `GET .../series?metric=`: one metric of the stored snapshots over time.
pub(super) async fn series(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    Query(q): Query<RangeQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    project_or_404(&state, &name)?;
    let metric = q.metric.clone().ok_or_else(|| {
        ApiError::bad_request("series needs metric= (e.g. drifted_share, drift_score)")
    })?;
    if crate::catalogue::snapshot_metric(&metric).is_none() {
        let known: Vec<&str> = crate::catalogue::SNAPSHOT_METRICS
            .iter()
            .map(|e| e.metric)
            .collect();
        return Err(ApiError::bad_request(format!(
            "unknown metric `{metric}`: {}",
            modelwatch_core::suggest::hint(&metric, &known, Some("docs/server.md"))
        )));
    }
    let column = q.column.clone().unwrap_or_default();
    let (from, to) = range_of(&q)?;
    let st = state.clone();
    let (m, c) = (metric.clone(), column.clone());
    let points = blocking(move || st.store.series(&name, &m, &c, from, to)).await?;
    let points: Vec<_> = points
        .iter()
        .map(|p| json!([format_us(p.taken_us, TimeShape::Micros), p.value]))
        .collect();
    Ok(Json(
        json!({ "metric": metric, "column": column, "points": points }),
    ))
}
