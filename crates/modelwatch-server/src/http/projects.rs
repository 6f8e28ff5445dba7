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

/// The reference a creation carries: a table file, or a zip of images.
type NewReference = (Vec<u8>, Upload);

/// What a creation request asks for: the name (from the body or `?name=`), the settings,
/// and the reference when one came with it.
struct CreateRequest {
    name: Option<String>,
    config: ProjectConfig,
    reference: Option<NewReference>,
}

/// The name of the multipart part holding the settings (a JSON object, as the JSON body).
const SETTINGS_PART: &str = "settings";
/// The name of the multipart part holding the reference file.
const REFERENCE_PART: &str = "reference";

/// Reads a creation's JSON object: `name`, the settings (the keys of `PUT`, unknown keys
/// refused with its message) and `reference` as an array of rows (JSON objects), which is
/// stored as JSON Lines and held to the limits of any reference upload. The rows are kept
/// as the text they arrived in (no tree of the body is built), so a large reference costs
/// its own size once more, as an uploaded JSON Lines file does.
fn create_from_json(bytes: &[u8]) -> ApiResult<CreateRequest> {
    let mut top: std::collections::BTreeMap<String, &serde_json::value::RawValue> =
        serde_json::from_slice(bytes).map_err(|e| {
            ApiError::bad_request(format!(
                "invalid project JSON: {e} (expected an object with `name` and the settings)"
            ))
        })?;
    let name = match top.remove("name") {
        None => None,
        Some(raw) => Some(serde_json::from_str::<String>(raw.get()).map_err(|_| {
            ApiError::bad_request(format!(
                "invalid project JSON: `name` must be a string, got {}",
                raw.get()
            ))
        })?),
    };
    let reference = match top.remove(REFERENCE_PART) {
        None => None,
        Some(rows) => Some((
            reference_rows_as_jsonl(rows)?,
            Upload::Table(Format::JsonLines),
        )),
    };
    // The settings alone, so that `deny_unknown_fields` applies as it does to `PUT` (a
    // flattened struct would take any key).
    let object: serde_json::Map<String, serde_json::Value> = top
        .into_iter()
        .map(|(k, raw)| {
            serde_json::from_str(raw.get())
                .map(|v| (k, v))
                .map_err(|e| ApiError::bad_request(format!("invalid project JSON: {e}")))
        })
        .collect::<ApiResult<_>>()?;
    let config: ProjectConfig = serde_json::from_value(serde_json::Value::Object(object))
        .map_err(|e| ApiError::bad_request(format!("invalid project settings: {e}")))?;
    Ok(CreateRequest {
        name,
        config,
        reference,
    })
}

/// The rows of a JSON `reference` array as JSON Lines, the form the reference reader and
/// the size limits already know: each row's own text on one line.
fn reference_rows_as_jsonl(rows: &serde_json::value::RawValue) -> ApiResult<Vec<u8>> {
    let rows: Vec<&serde_json::value::RawValue> =
        serde_json::from_str(rows.get()).map_err(|_| {
            ApiError::bad_request(
                "reference: send the rows as an array of JSON objects, or the file as the \
             `reference` part of a multipart/form-data body",
            )
        })?;
    let mut out = Vec::with_capacity(rows.iter().map(|r| r.get().len() + 1).sum());
    for (i, row) in rows.iter().enumerate() {
        let text = row.get();
        if !text.starts_with('{') {
            return Err(ApiError::bad_request(format!(
                "reference: row {i} is not a JSON object"
            )));
        }
        // A raw value is trimmed; line breaks inside it can only be whitespace between
        // tokens (a string holds them escaped), so they become spaces.
        out.extend(
            text.bytes()
                .map(|b| if b == b'\n' || b == b'\r' { b' ' } else { b }),
        );
        out.push(b'\n');
    }
    Ok(out)
}

/// The format of a multipart reference part: its `Content-Type` when it names one the
/// reference upload takes, else its file name's extension.
fn part_upload(content_type: Option<&str>, file_name: Option<&str>) -> Option<Upload> {
    let by_type = content_type
        .and_then(crate::ingest::media_type)
        .and_then(|m| match m {
            MediaType::Csv => Some(Upload::Table(Format::Csv)),
            MediaType::Parquet => Some(Upload::Table(Format::Parquet)),
            MediaType::JsonLines => Some(Upload::Table(Format::JsonLines)),
            MediaType::Zip => Some(Upload::Zip),
            MediaType::Json | MediaType::Multipart => None,
        });
    by_type.or_else(|| {
        let path = std::path::Path::new(file_name?);
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
        {
            return Some(Upload::Zip);
        }
        Format::from_path(path).map(Upload::Table)
    })
}

/// Reads a multipart creation: a `settings` part (the JSON object of a JSON creation) and
/// a `reference` part (a file whose format its `Content-Type` or file name tells). Any
/// other part, or a part sent twice, is refused.
async fn create_from_multipart(body: bytes::Bytes, content_type: &str) -> ApiResult<CreateRequest> {
    let bad = |e: multer::Error| ApiError::bad_request(format!("invalid multipart body: {e}"));
    let boundary = multer::parse_boundary(content_type).map_err(bad)?;
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut settings: Option<CreateRequest> = None;
    let mut reference: Option<NewReference> = None;
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_string();
        let content_type = field.content_type().map(ToString::to_string);
        let file_name = field.file_name().map(str::to_string);
        let data = field.bytes().await.map_err(bad)?;
        match name.as_str() {
            SETTINGS_PART if settings.is_none() => settings = Some(create_from_json(&data)?),
            REFERENCE_PART if reference.is_none() => {
                let upload = part_upload(content_type.as_deref(), file_name.as_deref())
                    .ok_or_else(|| {
                        ApiError::new(
                            StatusCode::UNSUPPORTED_MEDIA_TYPE,
                            "the `reference` part needs a Content-Type or file name of CSV \
                             (text/csv, .csv), Parquet (application/vnd.apache.parquet, \
                             .parquet), JSON Lines (application/x-ndjson, .jsonl) or a zip \
                             of images (application/zip, .zip)",
                        )
                    })?;
                reference = Some((data.to_vec(), upload));
            }
            SETTINGS_PART | REFERENCE_PART => {
                return Err(ApiError::bad_request(format!(
                    "the part `{name}` is sent twice"
                )))
            }
            _ => {
                return Err(ApiError::bad_request(format!(
                    "unknown part `{name}`; a project is created from the parts \
                     `{SETTINGS_PART}` (JSON) and `{REFERENCE_PART}` (a file)"
                )))
            }
        }
    }
    let mut request = settings.unwrap_or(CreateRequest {
        name: None,
        config: ProjectConfig::default(),
        reference: None,
    });
    if let Some(r) = reference {
        if request.reference.is_some() {
            return Err(ApiError::bad_request(
                "the reference is sent twice: as `reference` rows in the settings and as \
                 the `reference` part",
            ));
        }
        request.reference = Some(r);
    }
    Ok(request)
}

/// `POST /api/v1/projects`: creates a project, refused when the name is taken. The body is
/// - JSON: `{"name": ..., settings..., "reference": [{row}, ...]}` (`reference` optional);
/// - `multipart/form-data`: a `settings` part (that JSON object, `reference` rows aside)
///   and a `reference` part (a CSV, Parquet, JSON Lines or zip file);
/// - or a bare reference file (CSV, Parquet, JSON Lines, zip by `Content-Type`) with
///   default settings.
///
/// The name comes from the body or `?name=`. Nothing is stored unless the settings and
/// the reference are both accepted.
pub(super) async fn create_project(
    State(state): State<Arc<AppState>>,
    Query(q): Query<CreateQuery>,
    headers: HeaderMap,
    Body(body, _held): Body,
) -> ApiResult<Response> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let request = match crate::ingest::media_type(content_type) {
        Some(MediaType::Multipart) => create_from_multipart(body, content_type).await?,
        _ => match upload_format(&headers) {
            Some(upload) => CreateRequest {
                name: None,
                config: ProjectConfig::default(),
                reference: Some((body.to_vec(), upload)),
            },
            None => create_from_json(&body)?,
        },
    };
    let name = match (request.name, q.name) {
        (Some(a), Some(b)) if a != b => {
            return Err(ApiError::bad_request(format!(
                "two names: `{a}` in the body and `{b}` in ?name="
            )))
        }
        (Some(n), _) | (None, Some(n)) => n,
        (None, None) => {
            return Err(ApiError::bad_request(
                "a project needs a name: `name` in the settings or ?name=",
            ))
        }
    };
    let (config, reference) = (request.config, request.reference);
    let st = state.clone();
    let table = match reference {
        Some((bytes, Upload::Zip)) => {
            let (project, zip) =
                blocking(move || projects::create_with_zip(&st, name, config, &bytes)).await?;
            let mut v = project_json(&state, &project);
            v["reference_images"] = json!(zip);
            return Ok((StatusCode::CREATED, Json(v)).into_response());
        }
        Some((bytes, Upload::Table(format))) => Some((bytes, format)),
        None => None,
    };
    let project = blocking(move || projects::create(&st, name, config, table)).await?;
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
                blocking(move || projects::replace_zip_reference(&st, name, &body)).await?;
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
