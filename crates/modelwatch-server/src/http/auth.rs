//! Who may do what: bearer tokens with read or write scope, checked by the [`authorize`]
//! layer in front of every route.

use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use crate::config::Scope;
use crate::AppState;

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
pub(super) async fn authorize(
    State(state): State<Arc<AppState>>,
    mut req: Request,
    next: Next,
) -> Response {
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
    // The accounting layer outside reads the route label from the response.
    let mut response = response;
    if let Some(m) = matched {
        response.extensions_mut().insert(m);
    }
    response
}
