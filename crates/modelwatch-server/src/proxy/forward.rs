//! Forwarding one request: the upstream request built from the client's (hop-by-hop headers
//! out, `x-forwarded-*` in), bodies streamed both ways through [`ProxyBody`] (which copies
//! captured bodies as they pass), protocol upgrades joined end to end, and 502 / 504 when
//! the upstream fails. The exchange is recorded when the answer's body is finished.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode, Version};
use hyper_util::rt::TokioIo;

use super::capture::{Captured, Exchange, Tap};
use super::headers;
use super::routes::{Route, OTHER_ROUTE};
use super::Shared;

/// A body passing through the proxy: the peer's body streamed frame by frame (copied into
/// a [`Tap`] when captured), or a small answer the proxy made. The one on an answer holds
/// the exchange's record, written when the body ends or is dropped.
pub struct ProxyBody {
    kind: Kind,
    tap: Option<Tap>,
    record: Option<Record>,
}

enum Kind {
    Stream(Incoming),
    Fixed(Option<Bytes>),
}

impl ProxyBody {
    fn stream(inner: Incoming, tap: Option<Tap>, record: Option<Record>) -> Self {
        Self {
            kind: Kind::Stream(inner),
            tap,
            record,
        }
    }

    fn fixed(bytes: Bytes, record: Option<Record>) -> Self {
        Self {
            kind: Kind::Fixed(Some(bytes)).normalise(),
            tap: None,
            record,
        }
    }
}

impl Drop for ProxyBody {
    fn drop(&mut self) {
        // A body at its end that was never polled to it (an empty answer) is complete; any
        // other body dropped before its end (the client went away) leaves its copy
        // incomplete.
        if self.record.is_some() && self.is_end_stream() {
            if let Some(tap) = &self.tap {
                tap.complete();
            }
        }
    }
}

impl Kind {
    fn normalise(self) -> Self {
        match self {
            Kind::Fixed(Some(b)) if b.is_empty() => Kind::Fixed(None),
            k => k,
        }
    }
}

impl Body for ProxyBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = self.get_mut();
        let polled = match &mut this.kind {
            Kind::Fixed(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            Kind::Stream(inner) => Pin::new(inner).poll_frame(cx),
        };
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let (Some(tap), Some(data)) = (&this.tap, frame.data_ref()) {
                    tap.push(data);
                    // A body of known length may never be polled to its end.
                    if this.is_end_stream() {
                        tap.complete();
                    }
                }
            }
            Poll::Ready(None) => {
                if let Some(tap) = &this.tap {
                    tap.complete();
                }
                this.record.take();
            }
            Poll::Ready(Some(Err(_))) => {
                if let Some(r) = &mut this.record {
                    r.broken = true;
                }
                this.record.take();
            }
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Stream(inner) => inner.is_end_stream(),
            Kind::Fixed(b) => b.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Stream(inner) => inner.size_hint(),
            Kind::Fixed(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
        }
    }
}

/// The status recorded for a request whose client went away before the answer.
pub const CLIENT_CLOSED: u16 = 499;

/// The record of one exchange, written to the metrics and the capture hand-off when it is
/// dropped: at the end of the answer's body, or when the connection goes away first.
pub(super) struct Record {
    shared: Arc<Shared>,
    start: Instant,
    at_us: i64,
    method: Method,
    route: Option<Arc<Route>>,
    /// The status the client got (0 until an answer head came).
    pub(super) status: u16,
    /// The upstream's failure: its kind for the metrics and its message for the event.
    pub(super) error: Option<(&'static str, String)>,
    id: Option<String>,
    /// Whether serving facts are sent for this route (a configured or known route, or a
    /// captured request).
    report: bool,
    pub(super) request: Option<Capture>,
    pub(super) response: Option<Capture>,
    /// The answer's body broke off.
    pub(super) broken: bool,
}

impl Record {
    /// The record of a request that arrived at `start`, on `route` (if any), captured or
    /// not, with the id header's value.
    pub(super) fn begin(
        shared: &Arc<Shared>,
        start: Instant,
        method: Method,
        route: Option<Arc<Route>>,
        capture: bool,
        id: Option<String>,
    ) -> Self {
        Record {
            shared: shared.clone(),
            start,
            at_us: crate::now_us(),
            method,
            report: route.is_some() || capture,
            route,
            status: 0,
            error: None,
            id,
            request: None,
            response: None,
            broken: false,
        }
    }
}

/// A body's capture: shared with a hyper body that fills it, or owned by the exchange
/// (the plain path fills it itself).
pub(super) enum Capture {
    Shared(Tap),
    Own(Captured),
}

impl Capture {
    fn into_captured(self) -> Captured {
        match self {
            Capture::Shared(t) => t.take(),
            Capture::Own(c) => c,
        }
    }

    /// The capture when the exchange owns it.
    pub(super) fn own(&mut self) -> Option<&mut Captured> {
        match self {
            Capture::Own(c) => Some(c),
            Capture::Shared(_) => None,
        }
    }
}

impl Drop for Record {
    fn drop(&mut self) {
        if self.status == 0 {
            // The client went away before an answer came (nginx's code for it).
            self.status = CLIENT_CLOSED;
        }
        let seconds = self.start.elapsed().as_secs_f64();
        let label = self
            .route
            .as_ref()
            .map_or(OTHER_ROUTE, |r| r.label.as_str());
        let metrics = &self.shared.metrics;
        metrics.request(label, self.method.as_str(), self.status, seconds);
        if let Some((kind, _)) = &self.error {
            metrics.upstream_error(label, kind);
        }
        if !self.report || !self.shared.sending {
            return;
        }
        let bodies = self.request.take().map(|c| {
            (
                c.into_captured(),
                self.response.take().map(Capture::into_captured),
            )
        });
        let error = match (&self.error, self.broken) {
            (Some((_, message)), _) => Some(message.clone()),
            (None, true) => Some("the answer's body broke off".to_string()),
            (None, false) => None,
        };
        let exchange = Exchange {
            at_us: self.at_us,
            latency_seconds: seconds,
            status: self.status,
            error,
            id: self.id.take(),
            bodies,
            route: self.route.take(),
        };
        self.shared.exchanges.push(exchange);
    }
}

fn is_json(headers: &hyper::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| is_json_type(v.as_bytes()))
}

/// Whether a `Content-Type` value names JSON (`application/json` or a `+json` type).
pub(super) fn is_json_type(value: &[u8]) -> bool {
    std::str::from_utf8(value).is_ok_and(|ct| {
        let media = ct.split(';').next().unwrap_or("").trim();
        media.eq_ignore_ascii_case("application/json") || media.ends_with("+json")
    })
}

fn proxy_answer(status: StatusCode, message: &str, record: Record) -> Response<ProxyBody> {
    let mut r = Response::new(ProxyBody::fixed(
        Bytes::from(format!("{message}\n")),
        Some(record),
    ));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// Forwards one request and answers with the upstream's answer (or 502 / 504).
pub(super) async fn handle(
    shared: Arc<Shared>,
    mut req: Request<Incoming>,
    client: SocketAddr,
) -> Result<Response<ProxyBody>, std::convert::Infallible> {
    let start = Instant::now();
    let matched = shared.routes.find(req.method().as_str(), req.uri().path());
    let route = matched.route.cloned();
    let capture = shared.sending
        && matched.capture
        && (route.as_ref().is_some_and(|r| r.configured) || is_json(req.headers()));
    let upgrade = headers::wants_upgrade(req.headers());
    let client_upgrade = upgrade.then(|| hyper::upgrade::on(&mut req));
    let id = req
        .headers()
        .get(&shared.checked.id_header)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);

    let (mut parts, body) = req.into_parts();
    // The host the client asked for: an HTTP/2 request carries it in `:authority` (the
    // URI), not in a Host header, and an absolute-form HTTP/1.1 target's authority wins over
    // Host (RFC 9112, 3.2.2). Without this the model would see the upstream's address.
    if let Some(authority) = parts.uri.authority() {
        let host = match authority.port() {
            Some(port) => format!("{}:{port}", authority.host()),
            None => authority.host().to_string(),
        };
        if let Ok(v) = HeaderValue::from_str(&host) {
            parts.headers.insert(header::HOST, v);
        }
    }
    // HTTP/2 may send cookies as several fields; HTTP/1.1 wants them as one, joined with
    // "; " (RFC 9113, 8.2.3).
    if parts.version == Version::HTTP_2 && parts.headers.get_all(header::COOKIE).iter().count() > 1
    {
        let joined = parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .map(|v| v.as_bytes())
            .collect::<Vec<_>>()
            .join(&b"; "[..]);
        if let Ok(v) = HeaderValue::from_bytes(&joined) {
            parts.headers.insert(header::COOKIE, v);
        }
    }
    let path_and_query = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let uri = format!(
        "http://{}{}{}",
        shared.checked.upstream.authority, shared.checked.upstream.base, path_and_query
    );
    let mut record = Record::begin(&shared, start, parts.method.clone(), route, capture, id);
    match uri.parse() {
        Ok(u) => parts.uri = u,
        Err(_) => {
            record.status = 400;
            return Ok(proxy_answer(
                StatusCode::BAD_REQUEST,
                "bad request target",
                record,
            ));
        }
    }
    parts.version = Version::HTTP_11;
    headers::strip_hop_by_hop(&mut parts.headers, upgrade);
    headers::add_forwarded(&mut parts.headers, client.ip());
    let tap = capture.then(|| Tap::new(shared.config.max_capture_bytes));
    record.request = tap.clone().map(Capture::Shared);
    let upstream_req = Request::from_parts(parts, ProxyBody::stream(body, tap, None));

    let answer =
        tokio::time::timeout(shared.checked.timeout, shared.client.request(upstream_req)).await;
    let mut resp = match answer {
        Err(_) => {
            record.status = 504;
            record.error = Some(("timeout", "the upstream did not answer in time".into()));
            return Ok(proxy_answer(
                StatusCode::GATEWAY_TIMEOUT,
                "upstream timed out",
                record,
            ));
        }
        Ok(Err(e)) => {
            record.status = 502;
            let kind = if e.is_connect() {
                "unreachable"
            } else {
                "failed"
            };
            record.error = Some((kind, format!("upstream {kind}: {e}")));
            return Ok(proxy_answer(
                StatusCode::BAD_GATEWAY,
                "upstream unreachable",
                record,
            ));
        }
        Ok(Ok(resp)) => resp,
    };
    record.status = resp.status().as_u16();

    if resp.status() == StatusCode::SWITCHING_PROTOCOLS {
        let Some(client_upgrade) = client_upgrade else {
            record.status = 502;
            record.error = Some(("failed", "the upstream switched protocols unasked".into()));
            return Ok(proxy_answer(
                StatusCode::BAD_GATEWAY,
                "bad upstream answer",
                record,
            ));
        };
        let upstream_upgrade = hyper::upgrade::on(&mut resp);
        tokio::spawn(async move {
            if let (Ok(down), Ok(up)) = tokio::join!(client_upgrade, upstream_upgrade) {
                let mut down = TokioIo::new(down);
                let mut up = TokioIo::new(up);
                let _ = tokio::io::copy_bidirectional(&mut down, &mut up).await;
            }
        });
        let (mut parts, _) = resp.into_parts();
        headers::strip_hop_by_hop(&mut parts.headers, true);
        record.request = None;
        return Ok(Response::from_parts(
            parts,
            ProxyBody::fixed(Bytes::new(), Some(record)),
        ));
    }

    let (mut parts, body) = resp.into_parts();
    headers::strip_hop_by_hop(&mut parts.headers, false);
    let tap =
        (capture && parts.status.is_success()).then(|| Tap::new(shared.config.max_capture_bytes));
    record.response = tap.clone().map(Capture::Shared);
    Ok(Response::from_parts(
        parts,
        ProxyBody::stream(body, tap, Some(record)),
    ))
}
