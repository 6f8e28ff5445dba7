//! The extractors the API's handlers use in place of axum's own: the same parsing, but a
//! request they refuse (a query string such as `?last=abc`, a path segment that is not a
//! number, a body over the size limit) is answered as an [`ApiError`], in JSON like every
//! other error, instead of axum's plain text.

use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Bytes, HttpBody};
use bytes::BytesMut;

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
pub struct Body(pub Bytes, pub HeldBody);

/// A request body's share of the [`BodyBudget`] (none for a small body), given back when
/// dropped.
#[derive(Debug)]
pub struct HeldBody(#[allow(dead_code)] Option<OwnedSemaphorePermit>);

/// Bodies announced at most this long are read without a share of the budget, so that a
/// single event never queues behind large bodies waiting for theirs; with at most
/// `connections.max_connections` connections they hold at most that many times this.
pub const UNBUDGETED_BODY_BYTES: u64 = 64 * 1024;

/// The request-body bytes all requests together may hold at once
/// (`limits.bodies_in_flight_bytes`). A large body takes its share as its bytes arrive,
/// frame by frame, so that many large bodies arriving together wait for each other instead
/// of multiplying the process's memory, and a client that announces a large body and sends
/// nothing holds nothing.
#[derive(Debug)]
pub struct BodyBudget {
    kib: Arc<Semaphore>,
    max_body_bytes: usize,
    wait: Duration,
}

impl BodyBudget {
    /// A budget of `bytes` for bodies of at most `max_body_bytes`; a body waits at most
    /// `wait` in all for its share.
    pub fn new(bytes: usize, max_body_bytes: usize, wait: Duration) -> Self {
        Self {
            kib: Arc::new(Semaphore::new(
                kib(bytes).min(Semaphore::MAX_PERMITS as u64) as usize,
            )),
            max_body_bytes,
            wait,
        }
    }

    /// Reads `body` whole, taking the budget's share of each frame before keeping it.
    async fn read(&self, mut body: axum::body::Body) -> Result<Body, ApiError> {
        let mut bytes = BytesMut::new();
        let mut held: Option<OwnedSemaphorePermit> = None;
        let mut held_kib = 0u64;
        let read = async {
            while let Some(frame) =
                std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await
            {
                let frame = frame.map_err(|e| {
                    ApiError::bad_request(format!("the request body could not be read: {e}"))
                })?;
                let Ok(data) = frame.into_data() else {
                    continue;
                };
                let total = bytes.len() + data.len();
                if total > self.max_body_bytes {
                    return Err(too_large(self.max_body_bytes));
                }
                let need = kib(total).saturating_sub(held_kib);
                if need > 0 {
                    let units = u32::try_from(need).unwrap_or(u32::MAX);
                    let more = self
                        .kib
                        .clone()
                        .acquire_many_owned(units)
                        .await
                        .map_err(ApiError::internal)?;
                    held_kib += need;
                    match held.as_mut() {
                        Some(h) => h.merge(more),
                        None => held = Some(more),
                    }
                }
                bytes.extend_from_slice(&data);
            }
            Ok(())
        };
        match tokio::time::timeout(self.wait, read).await {
            Ok(Ok(())) => Ok(Body(bytes.freeze(), HeldBody(held))),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the server is reading as many request bodies as it may hold \
                 (limits.bodies_in_flight_bytes); retry shortly",
            )),
        }
    }
}

/// The answer to a body over `max_body_bytes` (`limit`), announced or found while reading.
pub(super) fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "the body is larger than the limit of {limit} bytes (max_body_bytes); send smaller batches"
        ),
    )
}

/// The body length a request announces (`Content-Length`), if it announces one.
pub(super) fn announced_length(headers: &axum::http::HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
}

/// Whole KiB, rounded up.
fn kib(bytes: usize) -> u64 {
    (bytes as u64).div_ceil(1024)
}

impl FromRequest<Arc<AppState>> for Body {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &Arc<AppState>) -> Result<Self, ApiError> {
        let announced = announced_length(req.headers());
        if announced.is_some_and(|n| n <= UNBUDGETED_BODY_BYTES) {
            let bytes = Bytes::from_request(req, state).await?;
            return Ok(Self(bytes, HeldBody(None)));
        }
        state.bodies.read(req.into_body()).await
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
