//! The HTTP API: routes, handlers, auth and request accounting.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, MatchedPath, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use modelwatch_core::results::{Meta, Preset};
use modelwatch_core::run::{run_presets, RunSpec};
use modelwatch_io::Format;
use serde::Deserialize;
use serde_json::json;

use crate::config::Scope;
use crate::ingest::{self, format_us, BodyFormat};
use crate::metrics::{Encoder, ExpositionFormat, Labels};
use crate::project::{parse_duration, Project, ProjectConfig};
use crate::store::{EventBatch, ProjectRecord, WindowQuery};
use crate::{now_us, AppState};

/// An error answer: a status and a message, as `{"error": "..."}`.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    fn not_found(project: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            format!("project `{project}` does not exist"),
        )
    }
    pub(crate) fn internal(message: impl std::fmt::Display) -> Self {
        tracing::error!(error = %message, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error; see the server log",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "error": self.message }))).into_response()
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// The input format a stored or uploaded reference has, by name.
pub fn format_named(name: &str) -> Format {
    Format::from_name(name).unwrap_or(Format::Csv)
}

fn format_name(f: Format) -> &'static str {
    match f {
        Format::Csv => "csv",
        Format::Parquet => "parquet",
        Format::JsonLines => "jsonl",
    }
}

/// The reference format a `Content-Type` names.
fn upload_format(headers: &HeaderMap) -> Option<Format> {
    let ct = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let mime = ct.split(';').next()?.trim().to_ascii_lowercase();
    match mime.as_str() {
        "text/csv" | "application/csv" => Some(Format::Csv),
        "application/vnd.apache.parquet" | "application/x-parquet" | "application/parquet" => {
            Some(Format::Parquet)
        }
        "application/x-ndjson"
        | "application/ndjson"
        | "application/jsonl"
        | "application/x-jsonlines"
        | "application/jsonlines" => Some(Format::JsonLines),
        _ => None,
    }
}

/// Builds, stores and installs a project (created or replaced).
pub fn save_project(
    state: &AppState,
    name: String,
    config: ProjectConfig,
    reference: Option<(Vec<u8>, Format)>,
) -> ApiResult<Arc<Project>> {
    let now = now_us();
    let created = state.project(&name).map_or(now, |p| p.created_us);
    let project = Project::new(
        name.clone(),
        config.clone(),
        reference.as_ref().map(|(b, f)| (b.as_slice(), *f)),
        created,
        now,
    )
    .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
    let record = ProjectRecord {
        name: name.clone(),
        config_json: serde_json::to_string(&config).map_err(ApiError::internal)?,
        reference: reference.map(|(b, f)| (b, format_name(f).to_string())),
        created_us: created,
        updated_us: now,
    };
    state
        .store
        .put_project(&record)
        .map_err(ApiError::internal)?;
    state.install(project);
    state
        .project(&name)
        .ok_or_else(|| ApiError::internal("project vanished after saving"))
}

fn project_or_404(state: &AppState, name: &str) -> ApiResult<Arc<Project>> {
    state.project(name).ok_or_else(|| ApiError::not_found(name))
}

/// Which events a report reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WindowSpec {
    Last(usize),
    Range { from_us: i64, to_us: i64 },
}

/// Why a window report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum WindowError {
    #[error("the window holds {rows} events; a report needs at least {min} (the project's schedule.min_rows)")]
    TooFewRows { rows: usize, min: usize },
    #[error("project `{0}` has no reference data yet; upload it with PUT /api/v1/projects/{{project}}/reference")]
    NoReference(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Internal(String),
}

impl From<WindowError> for ApiError {
    fn from(e: WindowError) -> Self {
        match e {
            WindowError::TooFewRows { .. } | WindowError::NoReference(_) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
            }
            WindowError::BadRequest(m) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, m),
            WindowError::Internal(m) => ApiError::internal(m),
        }
    }
}

/// A computed window report.
pub struct WindowRun {
    pub results: modelwatch_core::results::Results,
}

/// Runs `presets` over a window of `project`'s events against its reference. With
/// `lenient_quality` (scheduled snapshots, reports with the project's own presets), a
/// window whose model quality cannot be computed (no labelled rows yet) still gets the
/// other presets.
pub fn run_window(
    state: &AppState,
    project: &Project,
    spec: WindowSpec,
    presets: &[Preset],
    lenient_quality: bool,
) -> Result<WindowRun, WindowError> {
    let reference = project
        .reference
        .as_ref()
        .ok_or_else(|| WindowError::NoReference(project.name.clone()))?;
    let query = match spec {
        WindowSpec::Last(n) => WindowQuery::Last(n),
        WindowSpec::Range { from_us, to_us } => WindowQuery::Range { from_us, to_us },
    };
    let (events, window_size) = state
        .store
        .sample_events(&project.name, query, project.config.schedule.max_rows)
        .map_err(|e| WindowError::Internal(e.to_string()))?;
    let min = project.config.schedule.min_rows.max(1);
    if events.len() < min {
        return Err(WindowError::TooFewRows {
            rows: events.len(),
            min,
        });
    }
    let columns = &project.config.columns;
    let extra = project.configured_columns();
    let (first, last) = (
        events.first().map_or(0, |e| e.ts_us),
        events.last().map_or(0, |e| e.ts_us),
    );
    let sampled = events.len() as u64 != window_size;
    let shown = events.len();
    let current = crate::window::window_table(
        reference,
        events,
        columns.target.as_deref(),
        columns.timestamp.as_deref(),
        &extra,
    )
    .map_err(|e| WindowError::Internal(e.to_string()))?;
    let mut current_name = format!("events {} to {}", format_us(first), format_us(last));
    if sampled {
        current_name.push_str(&format!(
            " (every k-th: {shown} of {window_size}; schedule.max_rows)"
        ));
    }
    let meta = Meta {
        reference: format!("project {} reference", project.name),
        current: current_name,
        reference_rows: reference.rows(),
        current_rows: current.rows(),
        version: modelwatch_core::VERSION.to_string(),
        generated_at: format_us(now_us()),
        seed: project.config.drift.seed,
        time_range: None,
    };
    // Model quality needs labelled rows, which a window may not have yet (labels come
    // late): leniently, the other presets still run and the log says why quality is missing.
    let others_run = presets
        .iter()
        .any(|p| matches!(p, Preset::Drift | Preset::Summary | Preset::Target));
    let skipped = |e: &modelwatch_core::model_quality::ModelQualityError| {
        tracing::warn!(project = %project.name, error = %e, "model quality left out of the window");
    };
    let run = RunSpec {
        presets,
        schema: columns,
        settings: &project.config.drift,
        prediction_proba: &project.config.prediction_proba,
        pos_label: project.config.pos_label.as_deref(),
        proba_threshold: project.config.proba_threshold,
        on_model_quality_skipped: (lenient_quality && others_run).then_some(&skipped as _),
    };
    let results = run_presets(reference, &current, &run, meta, &|| {})
        .map_err(|e| WindowError::BadRequest(e.message(&crate::project::config_key)))?;
    drop(current);
    crate::release_memory();
    Ok(WindowRun { results })
}

/// The API router over `state`.
pub fn router(state: Arc<AppState>) -> Router {
    let limit = state.config.max_body_bytes;
    let app = Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/api/v1/projects", get(list_projects).post(create_project))
        .route(
            "/api/v1/projects/{project}",
            get(get_project).put(update_project).delete(delete_project),
        )
        .route(
            "/api/v1/projects/{project}/reference",
            axum::routing::put(put_reference),
        )
        .route(
            "/api/v1/projects/{project}/events",
            axum::routing::post(post_events),
        )
        .route(
            "/api/v1/projects/{project}/labels",
            axum::routing::post(post_labels),
        )
        .route("/api/v1/projects/{project}/report", get(report))
        .route(
            "/api/v1/projects/{project}/snapshots",
            get(list_snapshots).post(post_snapshot),
        )
        .route(
            "/api/v1/projects/{project}/snapshots/{id}",
            get(get_snapshot),
        )
        .route("/api/v1/projects/{project}/series", get(series))
        .merge(crate::dashboard::routes())
        .merge(crate::alerts::http::routes())
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such route") })
        .layer(middleware::from_fn_with_state(state.clone(), authorize))
        .layer(DefaultBodyLimit::max(limit))
        .layer(middleware::from_fn_with_state(state.clone(), account))
        .with_state(state.clone());
    crate::dashboard::under_base_path(&state.config.base_path, app)
}

static REQUEST_SEQ: AtomicU64 = AtomicU64::new(1);

/// Gives every request an id (logged on every line of its span and returned as
/// `x-request-id`), records it in the service's RED metrics, and answers oversized
/// bodies with a clear 413 before reading them.
async fn account(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
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

/// How [`authorize`] let a request in when tokens are configured (a request extension;
/// absent when tokens are off or the route is open). A handler that takes writes from the
/// session cookie checks its anti-forgery value exactly when this says `Session`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthVia {
    /// An `Authorization: Bearer` token.
    Bearer,
    /// The dashboard's session cookie.
    Session,
}

/// Checks the bearer token when tokens are configured: reads need the read scope, writes
/// the write scope; `/healthz` and `/readyz` are open, `/metrics` unless `metrics_auth`.
async fn authorize(State(state): State<Arc<AppState>>, mut req: Request, next: Next) -> Response {
    if let Some(m) = req.extensions().get::<MatchedPath>().cloned() {
        // Keep the matched route for the accounting layer outside.
        req.extensions_mut().insert(m);
    }
    let path = req.uri().path();
    let open = path == "/healthz"
        || path == "/readyz"
        || path == crate::dashboard::LOGIN_PATH
        || (path == "/metrics" && !state.config.metrics_auth);
    let matched = req.extensions().get::<MatchedPath>().cloned();
    let response = if state.config.tokens.is_empty() || open {
        next.run(req).await
    } else {
        let need = if matches!(*req.method(), Method::GET | Method::HEAD) {
            Scope::Read
        } else {
            Scope::Write
        };
        let bearer = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(|g| g.trim().to_string());
        let (given, via) = match bearer {
            Some(b) => (Some(b), AuthVia::Bearer),
            // Dashboard pages: the session cookie of the login form, for reads, and for
            // the dashboard's silence form (which also checks an anti-forgery value).
            None => (
                (need == Scope::Read || crate::dashboard::is_form_post(req.uri().path()))
                    .then(|| crate::dashboard::session_token(req.headers()))
                    .flatten(),
                AuthVia::Session,
            ),
        };
        let allowed = given.is_some_and(|g| state.config.grants(&g, need));
        if allowed {
            req.extensions_mut().insert(via);
            next.run(req).await
        } else if need == Scope::Read && crate::dashboard::is_page(req.uri().path()) {
            crate::dashboard::login_redirect(&state.config.base_path, req.uri())
        } else {
            let mut r = ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized").into_response();
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            r
        }
    };
    let mut response = response;
    if let Some(m) = matched {
        response.extensions_mut().insert(m);
    }
    response
}

async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    let store = state.store.clone();
    match tokio::task::spawn_blocking(move || store.list_projects().map(|p| p.len())).await {
        Ok(Ok(_)) => "ready\n".into_response(),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "store unavailable\n").into_response(),
    }
}

async fn metrics(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
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

fn project_json(state: &AppState, p: &Project) -> serde_json::Value {
    let latest = state.latest().get(&p.name).map(|l| l.meta.clone());
    json!({
        "name": p.name,
        "config": p.config,
        "schema": p.schema,
        "reference_rows": p.reference.as_ref().map(|r| r.rows()),
        "created": format_us(p.created_us),
        "updated": format_us(p.updated_us),
        "latest_snapshot": latest.map(|m| snapshot_json(&m)),
    })
}

fn snapshot_json(m: &crate::store::SnapshotMeta) -> serde_json::Value {
    json!({
        "id": m.id,
        "taken": format_us(m.taken_us),
        "window_from": format_us(m.window_from_us),
        "window_to": format_us(m.window_to_us),
        "rows": m.rows,
    })
}

async fn list_projects(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    let mut projects: Vec<Arc<Project>> = state.projects().values().cloned().collect();
    projects.sort_by(|a, b| a.name.cmp(&b.name));
    let list: Vec<_> = projects.iter().map(|p| project_json(&state, p)).collect();
    Json(json!({ "projects": list }))
}

#[derive(Debug, Deserialize)]
struct CreateQuery {
    name: Option<String>,
}

/// `POST /api/v1/projects`: a JSON body `{"name": ..., settings...}`, or a reference file
/// (CSV, Parquet, JSON Lines by `Content-Type`) with `?name=`, default settings and the
/// schema inferred from it.
async fn create_project(
    State(state): State<Arc<AppState>>,
    Query(q): Query<CreateQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let (name, config, reference) = match upload_format(&headers) {
        Some(format) => {
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
    if state.project(&name).is_some() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("project `{name}` already exists; PUT /api/v1/projects/{{name}} changes it"),
        ));
    }
    let st = state.clone();
    let project = tokio::task::spawn_blocking(move || save_project(&st, name, config, reference))
        .await
        .map_err(ApiError::internal)??;
    Ok((StatusCode::CREATED, Json(project_json(&state, &project))).into_response())
}

async fn get_project(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let p = project_or_404(&state, &name)?;
    let mut v = project_json(&state, &p);
    let store = state.store.clone();
    let n = name.clone();
    let events = tokio::task::spawn_blocking(move || store.count_events(&n))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    v["events"] = json!(events);
    Ok(Json(v))
}

/// `PUT /api/v1/projects/{project}`: replaces the settings (JSON), keeping the reference;
/// creates the project when it does not exist.
async fn update_project(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    body: Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    let config: ProjectConfig = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("invalid project settings: {e}")))?;
    let st = state.clone();
    let project = tokio::task::spawn_blocking(move || {
        let reference = st
            .store
            .get_project(&name)
            .map_err(ApiError::internal)?
            .and_then(|r| r.reference)
            .map(|(b, f)| (b, format_named(&f)));
        save_project(&st, name, config, reference)
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(Json(project_json(&state, &project)))
}

async fn put_reference(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    let existing = project_or_404(&state, &name)?;
    let format = upload_format(&headers).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the reference as text/csv, application/vnd.apache.parquet or application/x-ndjson",
        )
    })?;
    let st = state.clone();
    let config = existing.config.clone();
    let project = tokio::task::spawn_blocking(move || {
        save_project(&st, name, config, Some((body.to_vec(), format)))
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(Json(project_json(&state, &project)))
}

async fn delete_project(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    project_or_404(&state, &name)?;
    let st = state.clone();
    let n = name.clone();
    tokio::task::spawn_blocking(move || st.store.delete_project(&n))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    state.remove(&name);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
struct EventsQuery {
    #[serde(default)]
    atomic: bool,
}

async fn post_events(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    Query(q): Query<EventsQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let project = project_or_404(&state, &name)?;
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let format = BodyFormat::from_content_type(ct).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send events as application/json, application/x-ndjson or text/csv",
        )
    })?;
    let rows =
        ingest::split_rows(&body, format).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let columns = &project.config.columns;
    let validated = ingest::validate(
        rows,
        &project.schema,
        &project.configured_columns(),
        columns.id.as_deref(),
        columns.timestamp.as_deref(),
        now_us(),
    );
    let kinds: Vec<&'static str> = validated.rejected.iter().map(|r| r.kind).collect();
    let accepted = validated.events.len();
    let refused = accepted == 0 || (q.atomic && !validated.rejected.is_empty());
    let mut response = json!({
        "accepted": if refused { 0 } else { accepted },
        "rejected": validated.rejected,
        "unknown_columns": validated.unknown_columns,
    });
    if refused {
        state
            .recorder
            .ingested(&name, body.len(), 0, kinds, std::iter::empty());
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
    let facts: Vec<(Option<f64>, Option<u16>, Option<String>)> = validated
        .events
        .iter()
        .map(|e| (e.latency_seconds, e.status, e.error.clone()))
        .collect();
    let batch = EventBatch {
        project: name.clone(),
        events: validated.events,
    };
    state.writer.write(batch).await.map_err(|e| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("events were not stored: {e}"),
        )
    })?;
    state.recorder.ingested(
        &name,
        body.len(),
        accepted,
        kinds,
        facts.iter().map(|(l, s, e)| crate::metrics::ServingFacts {
            latency_seconds: *l,
            status: *s,
            error: e.as_deref(),
        }),
    );
    crate::alerts::record_serving(&state, &name, &facts);
    Ok((StatusCode::OK, Json(response)).into_response())
}

async fn post_labels(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    project_or_404(&state, &name)?;
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let format = BodyFormat::from_content_type(ct)
        .filter(|f| *f != BodyFormat::Csv)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "send labels as application/json or application/x-ndjson",
            )
        })?;
    let rows =
        ingest::split_rows(&body, format).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let mut pairs = Vec::new();
    let mut rejected = Vec::new();
    for (index, row) in rows.into_iter().enumerate() {
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
    }
    let st = state.clone();
    let n = name.clone();
    let sent = pairs.clone();
    let found = tokio::task::spawn_blocking(move || st.store.attach_labels(&n, &sent))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
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

#[derive(Debug, Deserialize)]
struct ReportQuery {
    last: Option<usize>,
    since: Option<String>,
    from: Option<String>,
    to: Option<String>,
    preset: Option<String>,
    format: Option<String>,
}

fn parse_instant(what: &str, s: &str) -> ApiResult<i64> {
    modelwatch_io::infer::parse_datetime(s.trim().as_bytes())
        .ok_or_else(|| ApiError::bad_request(format!("{what}: `{s}` is not an RFC 3339 time")))
}

fn window_of(q: &ReportQuery, default_window: &str) -> ApiResult<WindowSpec> {
    let given = [
        q.last.is_some(),
        q.since.is_some(),
        q.from.is_some() || q.to.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if given > 1 {
        return Err(ApiError::bad_request(
            "give one of last=, since= or from=/to=",
        ));
    }
    let now = now_us();
    if let Some(n) = q.last {
        if n == 0 {
            return Err(ApiError::bad_request("last= must be at least 1"));
        }
        return Ok(WindowSpec::Last(n));
    }
    if q.from.is_some() || q.to.is_some() {
        let from_us = q
            .from
            .as_deref()
            .map_or(Ok(i64::MIN), |s| parse_instant("from", s))?;
        let to_us =
            q.to.as_deref()
                .map_or(Ok(now + 1), |s| parse_instant("to", s))?;
        if from_us >= to_us {
            return Err(ApiError::bad_request("from= must be before to="));
        }
        return Ok(WindowSpec::Range { from_us, to_us });
    }
    let since = q.since.as_deref().unwrap_or(default_window);
    let d = parse_duration("since", since).map_err(|e| ApiError::bad_request(e.to_string()))?;
    Ok(WindowSpec::Range {
        from_us: now - d.as_micros() as i64,
        to_us: now + 1,
    })
}

fn parse_presets(text: &str) -> ApiResult<Vec<Preset>> {
    text.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| Preset::from_name(s).map_err(|e| ApiError::bad_request(e.to_string())))
        .collect()
}

fn html_message(status: StatusCode, message: &str) -> Response {
    let mut escaped = String::new();
    for c in message.chars() {
        match c {
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '&' => escaped.push_str("&amp;"),
            '"' => escaped.push_str("&quot;"),
            c => escaped.push(c),
        }
    }
    (
        status,
        Html(format!(
            "<!doctype html><meta charset=utf-8><title>modelwatch</title>\
             <p style=\"font-family:system-ui;margin:2rem\">{escaped}</p>"
        )),
    )
        .into_response()
}

async fn report(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    Query(q): Query<ReportQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let project = project_or_404(&state, &name)?;
    let html = match q.format.as_deref() {
        Some("html") => true,
        Some("json") => false,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "format= must be json or html, not `{other}`"
            )))
        }
        None => headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html")),
    };
    let outcome = (|| {
        let spec = window_of(&q, &project.config.schedule.window)?;
        let presets = match &q.preset {
            Some(p) => parse_presets(p)?,
            None => project.config.presets.clone(),
        };
        Ok::<_, ApiError>((spec, presets))
    })();
    let (spec, presets) = match outcome {
        Ok(v) => v,
        Err(e) if html => return Ok(html_message(e.status, &e.message)),
        Err(e) => return Err(e),
    };
    let st = state.clone();
    let p = project.clone();
    let lenient = q.preset.is_none();
    let run = tokio::task::spawn_blocking(move || run_window(&st, &p, spec, &presets, lenient))
        .await
        .map_err(ApiError::internal)?;
    match (run, html) {
        (Ok(run), false) => Ok(Json(run.results).into_response()),
        (Ok(run), true) => Ok(Html(modelwatch_report::render_html(&run.results)).into_response()),
        (Err(e), false) => Err(e.into()),
        (Err(e), true) => {
            let e = ApiError::from(e);
            Ok(html_message(e.status, &e.message))
        }
    }
}

#[derive(Debug, Deserialize)]
struct RangeQuery {
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

async fn list_snapshots(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    Query(q): Query<RangeQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    project_or_404(&state, &name)?;
    let (from, to) = range_of(&q)?;
    let limit = q.limit.unwrap_or(1000).min(10_000);
    let st = state.clone();
    let list = tokio::task::spawn_blocking(move || st.store.list_snapshots(&name, from, to, limit))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    let list: Vec<_> = list.iter().map(snapshot_json).collect();
    Ok(Json(json!({ "snapshots": list })))
}

/// `POST .../snapshots`: takes a snapshot now, over the scheduled window.
async fn post_snapshot(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    let project = project_or_404(&state, &name)?;
    let st = state.clone();
    let taken = tokio::task::spawn_blocking(move || crate::scheduler::take_snapshot(&st, &project))
        .await
        .map_err(ApiError::internal)??;
    match taken {
        Some(id) => Ok((StatusCode::CREATED, Json(json!({ "id": id }))).into_response()),
        None => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "too few events in the scheduled window for a snapshot (see schedule.min_rows)",
        )),
    }
}

async fn get_snapshot(
    State(state): State<Arc<AppState>>,
    Path((name, id)): Path<(String, i64)>,
) -> ApiResult<Response> {
    project_or_404(&state, &name)?;
    let st = state.clone();
    let json = tokio::task::spawn_blocking(move || st.store.snapshot_results(&name, id))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("no snapshot {id}")))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
}

async fn series(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    Query(q): Query<RangeQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    project_or_404(&state, &name)?;
    let metric = q.metric.clone().ok_or_else(|| {
        ApiError::bad_request("series needs metric= (e.g. drifted_share, drift_score)")
    })?;
    let column = q.column.clone().unwrap_or_default();
    let (from, to) = range_of(&q)?;
    let st = state.clone();
    let (m, c) = (metric.clone(), column.clone());
    let points = tokio::task::spawn_blocking(move || st.store.series(&name, &m, &c, from, to))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    let points: Vec<_> = points
        .iter()
        .map(|p| json!([format_us(p.taken_us), p.value]))
        .collect();
    Ok(Json(
        json!({ "metric": metric, "column": column, "points": points }),
    ))
}
