//! `/healthz` (the process answers) and `/readyz` (the store answers, and can write: its
//! latest commit of events did not fail, or a write tried now succeeds).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use modelwatch_core::time::{format_us, TimeShape};

use crate::AppState;

/// `GET /healthz`: always `ok`.
pub(super) async fn healthz() -> &'static str {
    "ok\n"
}

/// `GET /readyz`: `ready` when the store can be read and the latest commit of events did
/// not fail, or failed but a write tried now succeeds; `503` with the reason otherwise. On
/// a store shared by several replicas a second line (and the `x-modelwatch-role` header)
/// says whether this replica leads: `leader since <time>` or `follower`.
pub(super) async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    if state.writer.failure().is_some() && state.writer.probe().await.is_err() {
        let Some(f) = state.writer.failure() else {
            return (StatusCode::SERVICE_UNAVAILABLE, "store cannot write\n").into_response();
        };
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "store cannot write since {}: {}\n",
                format_us(f.since_us, TimeShape::Micros),
                f.error
            ),
        )
            .into_response();
    }
    let store = state.store.clone();
    // A point lookup that finds nothing: it proves the store answers without copying every
    // project's reference data, as listing the projects would, on each probe.
    match tokio::task::spawn_blocking(move || store.get_project("")).await {
        Ok(Ok(_)) if state.store.shared() => {
            let role = if state.leader.leads() {
                format!(
                    "leader since {}",
                    format_us(state.leader.since_us(), TimeShape::Micros)
                )
            } else {
                "follower".to_string()
            };
            (
                [(
                    "x-modelwatch-role",
                    role.split(' ').next().unwrap_or("").to_string(),
                )],
                format!("ready\n{role}\n"),
            )
                .into_response()
        }
        Ok(Ok(_)) => "ready\n".into_response(),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "store unavailable\n").into_response(),
    }
}
