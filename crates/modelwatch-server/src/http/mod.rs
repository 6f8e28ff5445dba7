//! The HTTP layer: the router and its middleware, the error answer, authentication, and
//! one file per resource. Handlers parse and answer; the work is done in
//! [`service`](crate::service) and [`store`](crate::store).
//!
//! - `error`: [`ApiError`], every error answer as `{"error": "..."}`;
//! - `extract`: the query, path and body extractors, whose refusals are `ApiError`s too;
//! - `auth`: bearer tokens and scopes, the dashboard's login, session cookie and
//!   anti-forgery value;
//! - `cross_origin`: refuses writes from other origins and framing of HTML answers;
//! - `health`: `/healthz`, `/readyz`;
//! - `metrics`: `/metrics` and the request accounting;
//! - `projects`, `events` (ingestion), `labels`, `reports`, `snapshots` (and series),
//!   `alerts`: the `/api/v1` resources;
//! - `cloudevents`: the KServe and Seldon payload loggers' CloudEvents.

pub mod alerts;
pub mod auth;
pub mod cloudevents;
pub mod connections;
mod cross_origin;
pub mod error;
pub mod events;
pub mod extract;
pub mod health;
pub mod labels;
pub mod metrics;
pub mod projects;
pub mod reports;
pub mod snapshots;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

pub use error::ApiError;
use error::ApiResult;

use crate::AppState;

/// Runs `f` on a blocking thread (the store and the presets block): its error becomes the
/// answer through `Into<ApiError>`, a task that failed an internal error.
pub(super) async fn blocking<T, E>(
    f: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> ApiResult<T>
where
    T: Send + 'static,
    E: Into<ApiError> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)?
        .map_err(Into::into)
}

/// The largest body of an HTML form (the login, a silence): forms are read whole without
/// the body budget, and none needs more than a few hundred bytes.
pub const FORM_BODY_BYTES: usize = 64 * 1024;

/// The scheme a reverse proxy in front says the client used (`X-Forwarded-Proto`, its
/// first value, lower case); modelwatch itself serves plain HTTP.
pub(super) fn forwarded_proto(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|v| v.trim().to_ascii_lowercase())
}

/// The API router over `state`.
pub fn router(state: Arc<AppState>) -> Router {
    let limit = state.config.max_body_bytes;
    let app = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::metrics))
        .route(
            "/api/v1/projects",
            get(projects::list_projects).post(projects::create_project),
        )
        .route(
            "/api/v1/projects/{project}",
            get(projects::get_project)
                .put(projects::update_project)
                .delete(projects::delete_project),
        )
        .route(
            "/api/v1/projects/{project}/reference",
            axum::routing::put(projects::put_reference),
        )
        .route(
            "/api/v1/projects/{project}/events",
            axum::routing::post(events::post_events),
        )
        .route(
            "/api/v1/projects/{project}/labels",
            axum::routing::post(labels::post_labels),
        )
        .route(
            "/api/v1/cloudevents",
            axum::routing::post(cloudevents::post_cloudevents),
        )
        .route("/api/v1/projects/{project}/report", get(reports::report))
        .route(
            "/api/v1/projects/{project}/snapshots",
            get(snapshots::list_snapshots).post(snapshots::post_snapshot),
        )
        .route(
            "/api/v1/projects/{project}/snapshots/{id}",
            get(snapshots::get_snapshot),
        )
        .route("/api/v1/projects/{project}/series", get(snapshots::series))
        .route(
            auth::LOGIN_PATH,
            get(auth::login_form).post(auth::login.layer(DefaultBodyLimit::max(FORM_BODY_BYTES))),
        )
        .merge(crate::dashboard::routes())
        .merge(alerts::routes())
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method not allowed on this route",
            )
        })
        .layer(middleware::from_fn(cross_origin::guard))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authorize,
        ))
        .layer(axum::Extension(Arc::new(auth::LoginLimiter::default())))
        .layer(DefaultBodyLimit::max(limit))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::account,
        ))
        .with_state(state.clone());
    under_base_path(&state.config.base_path, app)
}

/// Serves `app` under `base` (when not empty); `{base}/` redirects to `{base}`, the home.
fn under_base_path(base: &str, app: Router) -> Router {
    let base = base.trim_end_matches('/');
    if base.is_empty() {
        return app;
    }
    let home = base.to_string();
    Router::new().nest(base, app).route(
        &format!("{base}/"),
        get(move || async move { redirect(&home) }),
    )
}

/// `303 See Other` to `location`.
pub fn redirect(location: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}
