//! `/api/v1/projects` and `/api/v1/projects/{project}`: list, create, read, change and
//! delete projects, and upload their reference data (`.../reference`).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use modelwatch_core::time::{format_us, TimeShape};
use modelwatch_io::Format;
use serde::Deserialize;
use serde_json::json;

use super::blocking;
use super::error::{ApiError, ApiResult};
use super::extract::{Body, Path, Query};
use super::snapshots::snapshot_json;
use crate::ingest::MediaType;
use crate::project::{Project, ProjectConfig};
use crate::service::projects;
use crate::AppState;

/// What a reference upload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Upload {
    /// A table file.
    Table(Format),
    /// A zip of images.
    Zip,
}

/// The reference upload a `Content-Type` names.
fn upload_format(headers: &HeaderMap) -> Option<Upload> {
    let ct = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    match crate::ingest::media_type(ct)? {
        MediaType::Csv => Some(Upload::Table(Format::Csv)),
        MediaType::Parquet => Some(Upload::Table(Format::Parquet)),
        MediaType::JsonLines => Some(Upload::Table(Format::JsonLines)),
        MediaType::Zip => Some(Upload::Zip),
        MediaType::Json | MediaType::Multipart => None,
    }
}

/// The project named `name`, or the 404 answer.
pub(super) fn project_or_404(state: &AppState, name: &str) -> ApiResult<Arc<Project>> {
    state.project(name).ok_or_else(|| ApiError::not_found(name))
}

/// A project as the listing shows it: settings, sizes and latest snapshot, but not the
/// schema, which can be thousands of columns long and is on the project's own route.
fn project_summary(state: &AppState, p: &Project) -> serde_json::Value {
    let latest = state.latest().get(&p.name).map(|l| l.meta.clone());
    json!({
        "name": p.name,
        "config": p.config,
        "columns": p.schema.len(),
        "reference_rows": p.reference.as_ref().map(|r| r.rows()),
        "created": format_us(p.created_us, TimeShape::Micros),
        "updated": format_us(p.updated_us, TimeShape::Micros),
        "latest_snapshot": latest.map(|m| snapshot_json(&m)),
    })
}

/// A project with its schema, as its own route and the answers to changes show it.
fn project_json(state: &AppState, p: &Project) -> serde_json::Value {
    let mut v = project_summary(state, p);
    v["schema"] = json!(p.schema);
    v
}

/// `GET /api/v1/projects`: every project, by name, without its schema.
pub(super) async fn list_projects(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    let mut projects: Vec<Arc<Project>> = state.projects().values().cloned().collect();
    projects.sort_by(|a, b| a.name.cmp(&b.name));
    let list: Vec<_> = projects
        .iter()
        .map(|p| project_summary(&state, p))
        .collect();
    Json(json!({ "projects": list }))
}

/// `?name=` of a reference upload.
#[derive(Debug, Deserialize)]
pub(super) struct CreateQuery {
    name: Option<String>,
}

/// `POST /api/v1/projects`: a JSON body `{"name": ..., settings...}`, or a reference file
/// (CSV, Parquet, JSON Lines by `Content-Type`) with `?name=`, default settings and the
/// schema inferred from it.
pub(super) async fn create_project(
    State(state): State<Arc<AppState>>,
    Query(q): Query<CreateQuery>,
    headers: HeaderMap,
    Body(body, _held): Body,
) -> ApiResult<Response> {
    let (name, config, reference) = match upload_format(&headers) {
        Some(Upload::Zip) => {
            let name = q
                .name
                .ok_or_else(|| ApiError::bad_request("a reference upload needs ?name="))?;
            let st = state.clone();
            let (project, zip) =
                blocking(move || projects::save_zip_reference(&st, name, &body, true)).await?;
            let mut v = project_json(&state, &project);
            v["reference_images"] = json!(zip);
            return Ok((StatusCode::CREATED, Json(v)).into_response());
        }
        Some(Upload::Table(format)) => {
            let name = q
                .name
                .ok_or_else(|| ApiError::bad_request("a reference upload needs ?name="))?;
            (
                name,
                ProjectConfig::default(),
                Some((body.to_vec(), format)),
            )
        }
        None => {
            #[derive(Deserialize)]
            struct Body {
                name: String,
                #[serde(flatten)]
                config: ProjectConfig,
            }
            let b: Body = serde_json::from_slice(&body)
                .map_err(|e| ApiError::bad_request(format!("invalid project JSON: {e}")))?;
            (b.name, b.config, None)
        }
    };
    let st = state.clone();
    let project = blocking(move || projects::create(&st, name, config, reference)).await?;
    Ok((StatusCode::CREATED, Json(project_json(&state, &project))).into_response())
}

/// `GET /api/v1/projects/{project}`: the project with its count of stored events.
pub(super) async fn get_project(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let p = project_or_404(&state, &name)?;
    let mut v = project_json(&state, &p);
    let store = state.store.clone();
    let n = name.clone();
    let events = blocking(move || store.count_events(&n)).await?;
    v["events"] = json!(events);
    Ok(Json(v))
}

/// `PUT /api/v1/projects/{project}`: replaces the settings (JSON), keeping the reference;
/// creates the project when it does not exist.
pub(super) async fn update_project(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    Body(body, _held): Body,
) -> ApiResult<Json<serde_json::Value>> {
    let config: ProjectConfig = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("invalid project settings: {e}")))?;
    let st = state.clone();
    let project = blocking(move || projects::update(&st, name, config)).await?;
    Ok(Json(project_json(&state, &project)))
}

/// `PUT .../reference`: replaces the reference data (CSV, Parquet or JSON Lines by
/// `Content-Type`), keeping the settings.
pub(super) async fn put_reference(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    Body(body, _held): Body,
) -> ApiResult<Json<serde_json::Value>> {
    project_or_404(&state, &name)?;
    let format = upload_format(&headers).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the reference as text/csv, application/vnd.apache.parquet, \
             application/x-ndjson, or images as application/zip",
        )
    })?;
    let st = state.clone();
    let format = match format {
        Upload::Table(f) => f,
        Upload::Zip => {
            let (project, zip) =
                blocking(move || projects::save_zip_reference(&st, name, &body, false)).await?;
            let mut v = project_json(&state, &project);
            v["reference_images"] = json!(zip);
            return Ok(Json(v));
        }
    };
    let project =
        blocking(move || projects::replace_reference(&st, name, body.to_vec(), format)).await?;
    Ok(Json(project_json(&state, &project)))
}

/// `DELETE /api/v1/projects/{project}`: the project with its events and snapshots.
pub(super) async fn delete_project(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    project_or_404(&state, &name)?;
    let st = state.clone();
    blocking(move || projects::delete(&st, &name)).await?;
    Ok(StatusCode::NO_CONTENT)
}
