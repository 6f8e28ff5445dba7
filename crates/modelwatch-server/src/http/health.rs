//! `/healthz` (the process answers) and `/readyz` (the store answers too).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::AppState;

/// `GET /healthz`: always `ok`.
pub(super) async fn healthz() -> &'static str {
    "ok\n"
}

/// `GET /readyz`: `ready` when the store can be read, `503` otherwise.
pub(super) async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    let store = state.store.clone();
    match tokio::task::spawn_blocking(move || store.list_projects().map(|p| p.len())).await {
        Ok(Ok(_)) => "ready\n".into_response(),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "store unavailable\n").into_response(),
    }
}
