//! The extractors the API's handlers use in place of axum's own: the same parsing, but a
//! request they refuse (a query string such as `?last=abc`, a path segment that is not a
//! number, a body over the size limit) is answered as an [`ApiError`], in JSON like every
//! other error, instead of axum's plain text.

use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use std::sync::Arc;
use std::time::Duration;

use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::error::ApiError;
use crate::AppState;

/// The query string, deserialized into `T`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Query(value) =
            axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(Self(value))
    }
}

/// The path's parameters, deserialized into `T`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Path(value) =
            axum::extract::Path::<T>::from_request_parts(parts, state).await?;
        Ok(Self(value))
    }
}

/// The whole request body, within the configured `max_body_bytes`, and its share of the
/// body budget, held until the handler is done (bind it to a named variable, not `_`).
#[derive(Debug)]
pub struct Body(pub axum::body::Bytes, pub HeldBody);

/// A request body's share of the [`BodyBudget`] (none for a small body), given back when
/// dropped.
#[derive(Debug)]
pub struct HeldBody(#[allow(dead_code)] Option<OwnedSemaphorePermit>);

/// Bodies announced at most this long are read without a share of the budget, so that a
/// single event never queues behind large bodies waiting for theirs; with at most
/// `connections.max_connections` connections they hold at most that many times this.
pub const UNBUDGETED_BODY_BYTES: u64 = 64 * 1024;

/// The request-body bytes all requests together may hold at once
/// (`limits.bodies_in_flight_bytes`). A body takes its announced length (or
/// `max_body_bytes` when it announces none) before it is read, so that many large bodies
/// arriving together wait for each other instead of multiplying the process's memory.
#[derive(Debug)]
pub struct BodyBudget {
    kib: Arc<Semaphore>,
    max_body_bytes: usize,
    wait: Duration,
}

impl BodyBudget {
    /// A budget of `bytes` for bodies of at most `max_body_bytes`; a body waits at most
    /// `wait` for its share.
    pub fn new(bytes: usize, max_body_bytes: usize, wait: Duration) -> Self {
        Self {
            kib: Arc::new(Semaphore::new(
                kib(bytes).min(Semaphore::MAX_PERMITS as u64) as usize,
            )),
            max_body_bytes,
            wait,
        }
    }

    /// Takes the share of a body of `announced` bytes (None: not announced).
    async fn hold(&self, announced: Option<u64>) -> Result<HeldBody, ApiError> {
        if announced.is_some_and(|n| n <= UNBUDGETED_BODY_BYTES) {
            return Ok(HeldBody(None));
        }
        let bytes = announced.map_or(self.max_body_bytes as u64, |n| {
            n.min(self.max_body_bytes as u64)
        });
        let units = u32::try_from(kib(bytes as usize)).unwrap_or(u32::MAX);
        match tokio::time::timeout(self.wait, self.kib.clone().acquire_many_owned(units)).await {
            Ok(Ok(permit)) => Ok(HeldBody(Some(permit))),
            _ => Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the server is reading as many request bodies as it may hold \
                 (limits.bodies_in_flight_bytes); retry shortly",
            )),
        }
    }
}

/// Whole KiB, rounded up, and at least one: an empty body still takes a turn.
fn kib(bytes: usize) -> u64 {
    (bytes as u64).div_ceil(1024).max(1)
}

impl FromRequest<Arc<AppState>> for Body {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &Arc<AppState>) -> Result<Self, ApiError> {
        let announced = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let held = state.bodies.hold(announced).await?;
        let bytes = axum::body::Bytes::from_request(req, state).await?;
        Ok(Self(bytes, held))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::new(r.status(), r.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::new(r.status(), r.body_text())
    }
}

impl From<BytesRejection> for ApiError {
    fn from(r: BytesRejection) -> Self {
        ApiError::new(r.status(), r.body_text())
    }
}
