//! The one error answer of the API: a status and `{"error": "..."}`, and how the service
//! layer's errors map onto it.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::service::windows::WindowError;
use crate::service::ServiceError;
use crate::store::StoreError;

/// An error answer: a status and a message, as `{"error": "..."}`.
#[derive(Debug)]
pub struct ApiError {
    /// The answer's status.
    pub status: StatusCode,
    /// The `error` field of the JSON body.
    pub message: String,
}

impl ApiError {
    /// An answer with `status` and `message`.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
    /// `400` with `message`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    /// `404` for a project that does not exist.
    pub fn not_found(project: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            format!("project `{project}` does not exist"),
        )
    }
    /// `500`; the message goes to the log, not to the client.
    pub fn internal(message: impl std::fmt::Display) -> Self {
        tracing::error!(error = %message, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error; see the server log",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (self.status, Json(json!({ "error": self.message }))).into_response();
        // Every 503 is a condition that passes (a store failing, a bound reached): clients
        // and payload loggers are told to send the same request again soon.
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            r.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("1"),
            );
        }
        r
    }
}

/// What a handler returns.
pub type ApiResult<T> = Result<T, ApiError>;

/// A store failure: 503 with `Retry-After` when it passes, an internal error when not.
impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            // The database unreachable, its disk full, a busy file: conditions that pass.
            // A write that failed left nothing behind, so the client is told to send the
            // request again rather than that the server is broken. The back end's own words
            // go to the log only.
            StoreError::Unavailable(_) | StoreError::NotWritable(_) => {
                tracing::warn!(error = %e, "store unavailable; answered 503");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the store cannot serve this request now (see the server log); send the \
                     request again",
                )
            }
            // Anything else (a corrupt file, a value the database refuses) would fail again.
            StoreError::Database(_) | StoreError::SchemaTooNew { .. } => ApiError::internal(e),
        }
    }
}

impl From<WindowError> for ApiError {
    fn from(e: WindowError) -> Self {
        match e {
            WindowError::TooFewRows { .. } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
            }
            // The service names the problem; how to fix it over HTTP is this layer's word.
            WindowError::NoReference(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("{e}; upload it with PUT /api/v1/projects/{{project}}/reference"),
            ),
            WindowError::Invalid(m) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, m),
            WindowError::Internal(m) => ApiError::internal(m),
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NoProject(name) => ApiError::not_found(&name),
            ServiceError::ProjectExists(name) => ApiError::new(
                StatusCode::CONFLICT,
                format!(
                    "project `{name}` already exists; PUT /api/v1/projects/{{name}} changes it"
                ),
            ),
            ServiceError::Invalid(e) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
            }
            e @ ServiceError::BadReference(_) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
            }
            e @ (ServiceError::TooWide { .. }
            | ServiceError::TooManyCells { .. }
            | ServiceError::ZipRefused(_)) => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, e.to_string())
            }
            ServiceError::Store(e) => ApiError::internal(e),
            ServiceError::Internal(m) => ApiError::internal(m),
        }
    }
}
