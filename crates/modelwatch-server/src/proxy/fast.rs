//! Plain HTTP/1.1 exchanges forwarded without hyper: one task per client connection reads
//! a request, writes it to its own upstream connection, reads the answer's head and streams
//! the answer back with the upstream's own framing, then takes the next request.
//!
//! Why by hand: hyper's server and pooled client (the general path, [`super::forward`])
//! cost about three times nginx's user CPU per request on the bench (docs/performance.md,
//! "`modelwatch proxy` against direct calls and nginx"): spread over header maps, the
//! pool's checkout, the channel to each upstream connection's task, and the re-framing of
//! bodies. A proxy of plain requests needs none of it: the request is read whole (it is
//! small), its head rewritten as a reverse proxy does, and the answer passed through with
//! the framing it came with (a `Content-Length`, chunks, or until the upstream closes).
//!
//! What is plain: an HTTP/1.1 request in origin form, at most [`MAX_HEADERS`] header lines
//! in [`MAX_HEAD_BYTES`], a body of known length up to [`MAX_PLAIN_BODY`] bytes (or none),
//! and no `Transfer-Encoding`, `Upgrade`, `Expect` or `Connection` option other than
//! `keep-alive` and `close`. A request that is not (the HTTP/2 preface, a chunked or large
//! body, a WebSocket upgrade, a head hyper must refuse) hands the connection, with the bytes
//! read so far, to hyper's server for the rest of its life; so every request this path
//! declines gets exactly the general path's treatment.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::{Buf, Bytes, BytesMut};
use hyper::Method;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

use super::capture::Captured;
use super::forward::{is_json_type, Capture, Record};
use super::headers::is_hop_by_hop;
use super::Shared;

/// The most header lines of a request or answer this path reads.
pub const MAX_HEADERS: usize = 64;
/// The most bytes of a request's head this path reads before it hands the connection over.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// The largest request body this path reads whole before forwarding it.
pub const MAX_PLAIN_BODY: usize = 64 * 1024;
/// The most header lines of an answer this path reads (hyper's client takes as many).
const MAX_ANSWER_HEADERS: usize = 100;
/// How long a kept upstream connection may stay idle before it is not used again.
const UPSTREAM_IDLE: std::time::Duration = std::time::Duration::from_secs(60);
/// The most bytes read ahead of a client (pipelined requests) while an answer is awaited.
const MAX_READ_AHEAD: usize = MAX_HEAD_BYTES + MAX_PLAIN_BODY;
/// The most bytes of an answer's head from the upstream.
const MAX_ANSWER_HEAD_BYTES: usize = 256 * 1024;
/// Bytes asked of a socket per read.
const READ_CHUNK: usize = 16 * 1024;

/// How a connection ended on this path.
pub(super) enum Served {
    /// Closed by either side, or broken.
    Done,
    /// A request this path does not take: the connection and the bytes read of it.
    HandOver(TcpStream, Bytes),
}

/// One upstream connection, kept for the next request of the same client connection.
struct Upstream {
    stream: TcpStream,
    buf: BytesMut,
    /// When its last answer ended.
    idle_since: Instant,
}

impl Upstream {
    /// Whether a kept connection can take a request: not idle too long, and nothing came
    /// from it since its last answer (the close of an upstream that dropped it, or bytes
    /// answering nothing, such as a 408 sent before closing). Tokio marks the socket
    /// readable only when something came, so a quiet connection costs no system call.
    fn usable(&mut self) -> bool {
        if self.idle_since.elapsed() > UPSTREAM_IDLE || !self.buf.is_empty() {
            return false;
        }
        use futures_util::FutureExt;
        match self.stream.readable().now_or_never() {
            None => true,
            Some(Err(_)) => false,
            Some(Ok(())) => {
                let mut probe = [0u8; 1];
                matches!(self.stream.try_read(&mut probe), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
            }
        }
    }
}

/// How an answer's body is delimited.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Framing {
    /// No body (a HEAD request, 1xx, 204, 304).
    Empty,
    /// `Content-Length` bytes left.
    Length(u64),
    /// Chunked: the decoder finds its end.
    Chunked(Chunks),
    /// Until the upstream closes.
    UntilClose,
}

/// What a request's head says, read before anything is sent.
struct Plan {
    head_len: usize,
    body_len: usize,
    method: Method,
    route: Option<Arc<super::routes::Route>>,
    capture: bool,
    id: Option<String>,
    /// The client asked to close after this exchange.
    close: bool,
}

/// A request head: complete and plain, incomplete, or one to hand over.
enum Step {
    Plain(Plan),
    Partial,
    HandOver,
}

/// A `Content-Length` value: ASCII digits only (no sign, no other space than the optional
/// whitespace httparse leaves around it), as RFC 9110, 8.6 has it.
fn parse_length(value: &[u8]) -> Option<u64> {
    let digits = value.trim_ascii();
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

fn name_is(name: &str, wanted: &str) -> bool {
    name.eq_ignore_ascii_case(wanted)
}

/// The comma-separated tokens of a header value, trimmed.
fn tokens(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&b| b == b',')
        .map(|t| t.trim_ascii())
        .filter(|t| !t.is_empty())
}

/// Parses the request head at the start of `buf` and, when it is plain, writes the head the
/// upstream gets into `out`: hop-by-hop headers out, `x-forwarded-*` in (as
/// [`super::headers`] does for the general path), the upstream's base path before the target.
fn plan(shared: &Shared, buf: &[u8], client: &str, out: &mut Vec<u8>) -> Step {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let head_len = match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Step::Partial,
        // Too many headers, or a head hyper answers with its own error: handed over.
        Err(_) => return Step::HandOver,
    };
    let (Some(1), Some(method), Some(target)) = (req.version, req.method, req.path) else {
        return Step::HandOver;
    };
    if !target.starts_with('/') {
        return Step::HandOver;
    }
    let Ok(method) = Method::from_bytes(method.as_bytes()) else {
        return Step::HandOver;
    };
    if method == Method::CONNECT {
        return Step::HandOver;
    }
    let mut content_length: Option<u64> = None;
    let mut close = false;
    let mut id = None;
    let mut json = false;
    let mut seen_type = false;
    let (mut host, mut has_proto, mut has_forwarded_host) = (None, false, false);
    let mut forwarded_for: Vec<&[u8]> = Vec::new();
    for h in req.headers.iter() {
        let name = h.name;
        if name_is(name, "content-length") {
            let Some(n) = parse_length(h.value) else {
                return Step::HandOver;
            };
            if content_length.is_some_and(|c| c != n) {
                return Step::HandOver;
            }
            content_length = Some(n);
        } else if name_is(name, "transfer-encoding")
            || name_is(name, "upgrade")
            || name_is(name, "expect")
        {
            return Step::HandOver;
        } else if name_is(name, "connection") {
            for t in tokens(h.value) {
                if t.eq_ignore_ascii_case(b"close") {
                    close = true;
                } else if !t.eq_ignore_ascii_case(b"keep-alive") {
                    return Step::HandOver;
                }
            }
        } else if name_is(name, "host") {
            if host.is_some() {
                // Two Host lines: hyper's path answers as it should (RFC 9112, 3.2).
                return Step::HandOver;
            }
            host = Some(h.value);
        } else if name_is(name, "x-forwarded-for") {
            forwarded_for.extend(tokens(h.value));
        } else if name_is(name, "x-forwarded-proto") {
            has_proto = true;
        } else if name_is(name, "x-forwarded-host") {
            has_forwarded_host = true;
        } else if name_is(name, "content-type") {
            // The first, as the general path reads it.
            if !seen_type {
                json = is_json_type(h.value);
                seen_type = true;
            }
        }
        if id.is_none() && name_is(name, shared.checked.id_header.as_str()) {
            // As `HeaderValue::to_str`: visible ASCII only.
            if h.value
                .iter()
                .all(|&b| b == b'\t' || (0x20..0x7f).contains(&b))
            {
                id = std::str::from_utf8(h.value).ok().map(str::to_string);
            }
        }
    }
    let body_len = content_length.unwrap_or(0);
    if body_len > MAX_PLAIN_BODY as u64 {
        return Step::HandOver;
    }
    let path = target.split('?').next().unwrap_or(target);
    let matched = shared.routes.find(method.as_str(), path);
    let route = matched.route.cloned();
    let capture =
        shared.sending && matched.capture && (route.as_ref().is_some_and(|r| r.configured) || json);

    out.clear();
    out.extend_from_slice(method.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(shared.checked.upstream.base.as_bytes());
    out.extend_from_slice(target.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    for h in req.headers.iter() {
        let name = h.name;
        // `x-forwarded-for` and the length are written once below.
        let hop = is_hop_by_hop(name)
            || name_is(name, "x-forwarded-for")
            || name_is(name, "content-length");
        if !hop {
            header_line(out, name.as_bytes(), h.value);
        }
    }
    if let Some(n) = content_length {
        header_line(out, b"content-length", n.to_string().as_bytes());
    }
    out.extend_from_slice(b"x-forwarded-for: ");
    for earlier in &forwarded_for {
        out.extend_from_slice(earlier);
        out.extend_from_slice(b", ");
    }
    out.extend_from_slice(client.as_bytes());
    out.extend_from_slice(b"\r\n");
    if !has_proto {
        out.extend_from_slice(b"x-forwarded-proto: http\r\n");
    }
    match host {
        Some(h) if !has_forwarded_host => header_line(out, b"x-forwarded-host", h),
        Some(_) => {}
        // No Host: the upstream's, as hyper's client sets it.
        None => header_line(out, b"host", shared.checked.upstream.authority.as_bytes()),
    }
    out.extend_from_slice(b"\r\n");
    Step::Plain(Plan {
        head_len,
        body_len: body_len as usize,
        method,
        route,
        capture,
        id,
        close,
    })
}

fn header_line(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// Reads more of `stream` into `buf`; `Ok(0)` at its end.
async fn read_more(stream: &mut TcpStream, buf: &mut BytesMut) -> io::Result<usize> {
    buf.reserve(READ_CHUNK);
    stream.read_buf(buf).await
}

/// Serves the connection's requests while they are plain; see the module's text.
pub(super) async fn serve(
    shared: Arc<Shared>,
    mut down: TcpStream,
    client: std::net::SocketAddr,
) -> Served {
    let mut buf = BytesMut::with_capacity(8 * 1024);
    let mut up: Option<Upstream> = None;
    let mut out = Vec::with_capacity(2048);
    let client_ip = client.ip().to_string();
    loop {
        let plan = loop {
            match plan(&shared, &buf, &client_ip, &mut out) {
                Step::Plain(p) => break p,
                Step::Partial if buf.len() < MAX_HEAD_BYTES => {
                    match read_more(&mut down, &mut buf).await {
                        Ok(n) if n > 0 => {}
                        // Closed between requests (or mid-head, which hyper would answer
                        // with nothing either).
                        _ => return Served::Done,
                    }
                }
                _ => return Served::HandOver(down, buf.freeze()),
            }
        };
        let start = Instant::now();
        let mut record = Record::begin(
            &shared,
            start,
            plan.method.clone(),
            plan.route,
            plan.capture,
            plan.id,
        );
        let end = plan.head_len + plan.body_len;
        while buf.len() < end {
            match read_more(&mut down, &mut buf).await {
                Ok(n) if n > 0 => {}
                // The client went away before its body's end: recorded as 499.
                _ => return Served::Done,
            }
        }
        let body = &buf[plan.head_len..end];
        out.extend_from_slice(body);
        if plan.capture {
            let mut c = Captured::new(shared.config.max_capture_bytes, body.len());
            c.push(body);
            c.complete();
            record.request = Some(Capture::Own(c));
        }
        buf.advance(end);

        // The answer's head, within the timeout; meanwhile the client is watched, so that
        // one that goes away is recorded as such (499) and the upstream's work is dropped,
        // as the general path does. Bytes it sends meanwhile (pipelined requests) are kept,
        // up to a bound.
        let answer = {
            let exchange = send_and_read_head(&shared, &mut up, &out, &plan.method);
            let deadline = tokio::time::sleep(shared.checked.timeout);
            tokio::pin!(exchange, deadline);
            loop {
                tokio::select! {
                    biased;
                    r = &mut exchange => break Ok(r),
                    _ = &mut deadline => break Err(()),
                    ready = down.readable(), if buf.len() < MAX_READ_AHEAD => {
                        if ready.is_err() {
                            return Served::Done;
                        }
                        match down.try_read_buf(&mut buf) {
                            Ok(0) => return Served::Done,
                            Ok(_) => {}
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                            Err(_) => return Served::Done,
                        }
                    }
                }
            }
        };
        // Or the proxy's own answer: 502 when the upstream failed, 504 when it was too slow.
        let failed = match answer {
            Ok(Ok(head)) => Ok(head),
            Ok(Err((kind, message))) => Err((502, "Bad Gateway", kind, message)),
            Err(()) => Err((
                504,
                "Gateway Timeout",
                "timeout",
                "the upstream did not answer in time".to_string(),
            )),
        };
        let head = match failed {
            Ok(head) => head,
            Err((status, reason, kind, message)) => {
                up = None;
                let reply = match kind {
                    "unreachable" => "upstream unreachable",
                    "timeout" => "upstream timed out",
                    _ => "bad upstream answer",
                };
                record.status = status;
                record.error = Some((kind, message));
                if !proxy_answer(&mut down, status, reason, reply, plan.close).await {
                    return Served::Done;
                }
                continue;
            }
        };
        record.status = head.status;
        if plan.capture && (200..300).contains(&head.status) {
            let expected = match head.framing {
                Framing::Length(n) => usize::try_from(n).unwrap_or(usize::MAX),
                _ => 0,
            };
            let c = Captured::new(shared.config.max_capture_bytes, expected);
            record.response = Some(Capture::Own(c));
        }
        let close = plan.close || head.framing == Framing::UntilClose;
        out.clear();
        write_answer_head(&mut out, &head, close);
        let Some(u) = up.as_mut() else {
            return Served::Done;
        };
        let tap = record.response.as_mut().and_then(Capture::own);
        match pass_body(&mut down, u, head.framing, &mut out, tap).await {
            Passed::Complete { reusable } => {
                if reusable && head.keep_alive {
                    u.idle_since = Instant::now();
                } else {
                    up = None;
                }
            }
            Passed::UpstreamBroke => {
                record.broken = true;
                return Served::Done;
            }
            Passed::ClientGone => return Served::Done,
        }
        drop(record);
        if close {
            let _ = down.shutdown().await;
            return Served::Done;
        }
    }
}

/// An answer the proxy makes itself (502, 504); whether the connection is still usable.
async fn proxy_answer(
    down: &mut TcpStream,
    status: u16,
    reason: &str,
    message: &str,
    close: bool,
) -> bool {
    let text = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain; charset=utf-8\r\n\
         content-length: {}\r\n{}\r\n{message}\n",
        message.len() + 1,
        if close { "connection: close\r\n" } else { "" }
    );
    down.write_all(text.as_bytes()).await.is_ok() && !close
}

/// The head of the upstream's answer, read and rewritten for the client.
struct AnswerHead {
    status: u16,
    /// The head for the client, hop-by-hop headers out, ending before the blank line.
    head: Vec<u8>,
    framing: Framing,
    /// The upstream connection may take another request after this answer.
    keep_alive: bool,
}

/// Sends `request` on the kept upstream connection (or a new one) and reads the answer's
/// head. A kept connection found closed (or sending bytes that answer nothing) before the
/// request is written is replaced. After the write, a kept connection that closes without a
/// byte of answer is replaced and the request sent again only when its method is idempotent
/// (RFC 9110, 9.2.2): the upstream may have acted on a `POST` before its connection went,
/// and running a model twice is not the proxy's call to make (the client gets a 502).
async fn send_and_read_head(
    shared: &Shared,
    up: &mut Option<Upstream>,
    request: &[u8],
    method: &Method,
) -> Result<AnswerHead, (&'static str, String)> {
    if up.as_mut().is_some_and(|u| !u.usable()) {
        *up = None;
    }
    let idempotent = method.is_idempotent();
    let head_request = *method == Method::HEAD;
    for attempt in 0..2 {
        let reused = up.is_some();
        if up.is_none() {
            let stream = TcpStream::connect(shared.checked.upstream.authority.as_str())
                .await
                .map_err(|e| ("unreachable", format!("upstream unreachable: {e}")))?;
            let _ = stream.set_nodelay(true);
            *up = Some(Upstream {
                stream,
                buf: BytesMut::with_capacity(8 * 1024),
                idle_since: Instant::now(),
            });
        }
        let u = up.as_mut().expect("an upstream connection");
        let (result, written) = match u.stream.write_all(request).await {
            Ok(()) => (read_answer_head(u, head_request).await, true),
            Err(e) => (Err(HeadError::Closed(e.to_string())), false),
        };
        match result {
            Ok(head) => return Ok(head),
            Err(HeadError::Closed(_)) if reused && attempt == 0 && (!written || idempotent) => {
                *up = None;
            }
            Err(HeadError::Closed(e)) | Err(HeadError::Bad(e)) => {
                return Err(("failed", format!("upstream failed: {e}")))
            }
        }
    }
    Err(("failed", "upstream failed: closed before answering".into()))
}

enum HeadError {
    /// The connection closed (or broke) before any byte of an answer.
    Closed(String),
    /// An answer that cannot be read.
    Bad(String),
}

async fn read_answer_head(u: &mut Upstream, head_request: bool) -> Result<AnswerHead, HeadError> {
    // Whether any byte of an answer came (an interim one included): then the upstream
    // surely had the request, and a close is a failure, never a stale connection.
    let mut received = !u.buf.is_empty();
    loop {
        if let Some(parsed) = parse_answer_head(&u.buf, head_request)? {
            let (len, head) = parsed;
            u.buf.advance(len);
            match head {
                // An interim answer (100 Continue, 103 Early Hints): the final one follows.
                None => continue,
                Some(h) => return Ok(h),
            }
        }
        if u.buf.len() > MAX_ANSWER_HEAD_BYTES {
            return Err(HeadError::Bad("the answer's head is too large".into()));
        }
        match read_more(&mut u.stream, &mut u.buf).await {
            Ok(n) if n > 0 => received = true,
            Ok(_) if !received => return Err(HeadError::Closed("closed before answering".into())),
            Ok(_) => return Err(HeadError::Bad("closed in the answer's head".into())),
            Err(e) if !received => return Err(HeadError::Closed(e.to_string())),
            Err(e) => return Err(HeadError::Bad(e.to_string())),
        }
    }
}

/// The answer head at the start of `buf`: `None` while incomplete, `Some((len, None))` for
/// an interim (1xx) answer, `Some((len, Some(head)))` for the final one.
#[allow(clippy::type_complexity)]
fn parse_answer_head(
    buf: &[u8],
    head_request: bool,
) -> Result<Option<(usize, Option<AnswerHead>)>, HeadError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_ANSWER_HEADERS];
    let mut resp = httparse::Response::new(&mut headers);
    let len = match resp.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(HeadError::Bad(format!("invalid answer head: {e}"))),
    };
    let status = resp.code.unwrap_or(0);
    if !(100..=599).contains(&status) {
        return Err(HeadError::Bad(format!("invalid status {status}")));
    }
    if status == 101 {
        return Err(HeadError::Bad(
            "the upstream switched protocols unasked".into(),
        ));
    }
    if (100..200).contains(&status) {
        return Ok(Some((len, None)));
    }
    let http11 = resp.version == Some(1);
    let mut keep_alive = http11;
    let mut chunked = false;
    let mut other_coding = false;
    let mut length: Option<u64> = None;
    let mut named: Vec<&[u8]> = Vec::new();
    for h in resp.headers.iter() {
        if name_is(h.name, "connection") {
            for t in tokens(h.value) {
                if t.eq_ignore_ascii_case(b"close") {
                    keep_alive = false;
                } else if t.eq_ignore_ascii_case(b"keep-alive") {
                    keep_alive = true;
                } else {
                    named.push(t);
                }
            }
        } else if name_is(h.name, "transfer-encoding") {
            // The last coding decides (RFC 9112, 6.3): chunked, or read until the close.
            match tokens(h.value).last() {
                Some(t) if t.eq_ignore_ascii_case(b"chunked") => {
                    chunked = true;
                    other_coding = false;
                }
                Some(_) => {
                    chunked = false;
                    other_coding = true;
                }
                None => {}
            }
        } else if name_is(h.name, "content-length") {
            let n = parse_length(h.value)
                .ok_or_else(|| HeadError::Bad("invalid Content-Length".into()))?;
            if length.is_some_and(|l| l != n) {
                return Err(HeadError::Bad("conflicting Content-Length".into()));
            }
            length = Some(n);
        }
    }
    let framing = if head_request || status == 204 || status == 304 {
        Framing::Empty
    } else if chunked {
        Framing::Chunked(Chunks::default())
    } else if other_coding {
        Framing::UntilClose
    } else {
        match length {
            Some(0) => Framing::Empty,
            Some(n) => Framing::Length(n),
            None => Framing::UntilClose,
        }
    };
    let mut head = Vec::with_capacity(len + 64);
    head.extend_from_slice(b"HTTP/1.1 ");
    head.extend_from_slice(status.to_string().as_bytes());
    head.push(b' ');
    head.extend_from_slice(resp.reason.unwrap_or("").as_bytes());
    head.extend_from_slice(b"\r\n");
    for h in resp.headers.iter() {
        let name = h.name;
        // The framing (`Transfer-Encoding` is hop-by-hop, the length too here) is written
        // below from what was read, whatever `Connection` names: the body passes with it.
        let hop = is_hop_by_hop(name)
            || name_is(name, "content-length")
            || named
                .iter()
                .any(|n| n.eq_ignore_ascii_case(name.as_bytes()));
        if !hop {
            header_line(&mut head, name.as_bytes(), h.value);
        }
    }
    // The framing as read: the chunks pass as they came, and a length beside them is void
    // (RFC 9112, 6.3); any other coding ends with the close, which the client is told.
    if chunked {
        head.extend_from_slice(b"transfer-encoding: chunked\r\n");
    } else if let (Some(n), false) = (length, other_coding) {
        header_line(&mut head, b"content-length", n.to_string().as_bytes());
    }
    let keep_alive = keep_alive && framing != Framing::UntilClose;
    Ok(Some((
        len,
        Some(AnswerHead {
            status,
            head,
            framing,
            keep_alive,
        }),
    )))
}

/// The client's head: the rewritten upstream head, `connection: close` when this is the
/// connection's last exchange, and the blank line.
fn write_answer_head(out: &mut Vec<u8>, head: &AnswerHead, close: bool) {
    out.extend_from_slice(&head.head);
    if close {
        out.extend_from_slice(b"connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

enum Passed {
    /// The body's end was passed on; whether the upstream connection is at a clean end.
    Complete { reusable: bool },
    /// The upstream's body broke off (closed or failed before its end).
    UpstreamBroke,
    /// The client could not be written to.
    ClientGone,
}

/// Passes the answer's body from `u` to `down` with its framing, after the head in `out`
/// (sent together with the first body bytes), copying the body's data into `tap`, which
/// is marked complete when the body's end has passed.
async fn pass_body(
    down: &mut TcpStream,
    u: &mut Upstream,
    mut framing: Framing,
    out: &mut Vec<u8>,
    mut tap: Option<&mut Captured>,
) -> Passed {
    loop {
        // What of the buffered bytes belongs to this body, and whether it ends there.
        let (take, done) = match &mut framing {
            Framing::Empty => (0, true),
            Framing::Length(left) => {
                let n = (*left).min(u.buf.len() as u64) as usize;
                if let Some(t) = tap.as_deref_mut() {
                    t.push(&u.buf[..n]);
                }
                *left -= n as u64;
                (n, *left == 0)
            }
            Framing::Chunked(chunks) => match chunks.feed(&u.buf, |data| {
                if let Some(t) = tap.as_deref_mut() {
                    t.push(data);
                }
            }) {
                Ok(step) => step,
                Err(()) => return Passed::UpstreamBroke,
            },
            Framing::UntilClose => {
                if let Some(t) = tap.as_deref_mut() {
                    t.push(&u.buf);
                }
                (u.buf.len(), false)
            }
        };
        out.extend_from_slice(&u.buf[..take]);
        u.buf.advance(take);
        if !out.is_empty() {
            if down.write_all(out).await.is_err() {
                return Passed::ClientGone;
            }
            out.clear();
        }
        if done {
            if let Some(t) = tap {
                t.complete();
            }
            // Bytes after the answer's end are no answer to anything: the connection
            // is not used again.
            return Passed::Complete {
                reusable: u.buf.is_empty(),
            };
        }
        match read_more(&mut u.stream, &mut u.buf).await {
            Ok(n) if n > 0 => {}
            Ok(_) if framing == Framing::UntilClose => {
                if let Some(t) = tap {
                    t.complete();
                }
                return Passed::Complete { reusable: false };
            }
            _ => return Passed::UpstreamBroke,
        }
    }
}

/// A chunked body's decoder (RFC 9112, 7.1): it finds the chunks' data, for the capture,
/// and the body's end; the bytes themselves pass unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct Chunks {
    state: ChunkState,
    /// The chunk size being read, then the data left of the chunk.
    size: u64,
    /// Hex digits read of the size line.
    digits: usize,
    /// Bytes of the trailer line being read.
    line: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
enum ChunkState {
    #[default]
    Size,
    /// A chunk extension, up to the line's end.
    Extension,
    SizeLf,
    Data,
    DataCr,
    DataLf,
    /// The trailer section after the last chunk, up to an empty line.
    Trailer,
    TrailerLf,
    Done,
}

impl Chunks {
    /// Reads `bytes`, handing each run of chunk data to `data`; returns how many bytes
    /// belong to the body and whether its end was reached. A malformed body is `Err`.
    fn feed(&mut self, bytes: &[u8], mut data: impl FnMut(&[u8])) -> Result<(usize, bool), ()> {
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            match self.state {
                ChunkState::Size => match b {
                    b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F' => {
                        let d = (b as char).to_digit(16).expect("a hex digit") as u64;
                        self.size = self
                            .size
                            .checked_mul(16)
                            .and_then(|s| s.checked_add(d))
                            .ok_or(())?;
                        self.digits += 1;
                    }
                    // A size line needs a digit before anything else.
                    _ if self.digits == 0 => return Err(()),
                    b';' | b' ' | b'\t' => self.state = ChunkState::Extension,
                    b'\r' => self.state = ChunkState::SizeLf,
                    b'\n' => self.end_of_size_line(),
                    _ => return Err(()),
                },
                ChunkState::Extension => match b {
                    b'\r' => self.state = ChunkState::SizeLf,
                    b'\n' => self.end_of_size_line(),
                    _ => {}
                },
                ChunkState::SizeLf => {
                    if b != b'\n' {
                        return Err(());
                    }
                    self.end_of_size_line();
                }
                ChunkState::Data => {
                    let n = (self.size).min((bytes.len() - i) as u64) as usize;
                    data(&bytes[i..i + n]);
                    self.size -= n as u64;
                    if self.size == 0 {
                        self.state = ChunkState::DataCr;
                    }
                    i += n;
                    continue;
                }
                ChunkState::DataCr => match b {
                    b'\r' => self.state = ChunkState::DataLf,
                    b'\n' => self.state = ChunkState::Size,
                    _ => return Err(()),
                },
                ChunkState::DataLf => {
                    if b != b'\n' {
                        return Err(());
                    }
                    self.state = ChunkState::Size;
                }
                ChunkState::Trailer => match b {
                    b'\r' => self.state = ChunkState::TrailerLf,
                    b'\n' => self.end_of_trailer_line(),
                    _ => self.line += 1,
                },
                ChunkState::TrailerLf => {
                    if b != b'\n' {
                        return Err(());
                    }
                    self.end_of_trailer_line();
                }
                ChunkState::Done => return Ok((i, true)),
            }
            i += 1;
            if self.state == ChunkState::Done {
                return Ok((i, true));
            }
        }
        Ok((i, self.state == ChunkState::Done))
    }

    fn end_of_size_line(&mut self) {
        self.digits = 0;
        if self.size == 0 {
            self.state = ChunkState::Trailer;
            self.line = 0;
        } else {
            self.state = ChunkState::Data;
        }
    }

    fn end_of_trailer_line(&mut self) {
        if self.line == 0 {
            self.state = ChunkState::Done;
        } else {
            self.state = ChunkState::Trailer;
            self.line = 0;
        }
    }
}

/// A client connection handed to hyper: the bytes this path read of it come first.
pub(super) struct Prefixed {
    prefix: Bytes,
    inner: TcpStream,
}

impl Prefixed {
    pub(super) fn new(inner: TcpStream, prefix: Bytes) -> Self {
        Self { prefix, inner }
    }
}

impl AsyncRead for Prefixed {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.prefix.is_empty() {
            let n = this.prefix.len().min(buf.remaining());
            buf.put_slice(&this.prefix[..n]);
            this.prefix.advance(n);
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Prefixed {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(chunks: &[&[u8]]) -> (Vec<u8>, usize, bool) {
        let mut c = Chunks::default();
        let mut data = Vec::new();
        let mut used = 0;
        for part in chunks {
            let (n, done) = c.feed(part, |d| data.extend_from_slice(d)).unwrap();
            used += n;
            if done {
                return (data, used, true);
            }
        }
        (data, used, false)
    }

    #[test]
    fn chunks_give_their_data_and_their_end_however_the_bytes_are_cut() {
        let body: &[u8] = b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nx-sum: 1\r\n\r\nNEXT";
        let (data, used, done) = decode(&[body]);
        assert_eq!(data, b"hello world");
        assert!(done);
        assert_eq!(&body[used..], b"NEXT");
        // Every split into two pieces gives the same.
        for cut in 0..body.len() {
            let (data, used, done) = decode(&[&body[..cut], &body[cut..]]);
            assert_eq!(
                (data.as_slice(), done),
                (&b"hello world"[..], true),
                "cut {cut}"
            );
            assert_eq!(&body[used..], b"NEXT", "cut {cut}");
        }
        // Bare LF line ends are taken too; the end is not reached without the last line.
        assert_eq!(decode(&[b"3\nabc\n0\n\n"]), (b"abc".to_vec(), 9, true));
        assert!(!decode(&[b"3\r\nabc\r\n0\r\n"]).2);
    }

    #[test]
    fn malformed_chunks_are_refused() {
        let mut c = Chunks::default();
        assert!(c.feed(b"zz\r\n", |_| {}).is_err());
        let mut c = Chunks::default();
        assert!(c.feed(b"3\r\nabcX", |_| {}).is_err());
        let mut c = Chunks::default();
        assert!(c.feed(b"ffffffffffffffffff\r\n", |_| {}).is_err());
        // A size line without a digit is no last chunk.
        for bad in [&b"\r\n"[..], b" 5\r\nhello\r\n", b";x\r\n"] {
            let mut c = Chunks::default();
            assert!(c.feed(bad, |_| {}).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn lengths_are_digits_only() {
        assert_eq!(parse_length(b"42"), Some(42));
        assert_eq!(parse_length(b" 007 "), Some(7));
        for bad in [
            &b"+5"[..],
            b"-1",
            b"",
            b"5 5",
            b"0x10",
            b"\xc2\xa05",
            b"99999999999999999999",
        ] {
            assert_eq!(parse_length(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn answer_heads_keep_their_framing_and_lose_hop_by_hop_headers() {
        let h = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive, x-hop\r\n\
                  x-hop: 1\r\nKeep-Alive: timeout=5\r\nx-model: a\r\n\r\nhello";
        let (len, head) = match parse_answer_head(h, false) {
            Ok(Some((len, Some(head)))) => (len, head),
            _ => panic!("a complete head"),
        };
        assert_eq!(&h[len..], b"hello");
        assert_eq!(head.framing, Framing::Length(5));
        assert!(head.keep_alive);
        assert_eq!(
            String::from_utf8(head.head).unwrap(),
            "HTTP/1.1 200 OK\r\nx-model: a\r\ncontent-length: 5\r\n"
        );
        // The framing is never dropped because `Connection` names it.
        let h = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: content-length\r\n\r\n";
        let Ok(Some((_, Some(head)))) = parse_answer_head(h, false) else {
            panic!("a complete head")
        };
        assert_eq!(
            String::from_utf8(head.head).unwrap(),
            "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n"
        );
        assert!(matches!(
            parse_answer_head(b"HTTP/1.1 000 Odd\r\n\r\n", false),
            Err(HeadError::Bad(_))
        ));
        let h = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 9\r\n\r\n";
        let Ok(Some((_, Some(head)))) = parse_answer_head(h, false) else {
            panic!("a complete head")
        };
        assert!(matches!(head.framing, Framing::Chunked(_)));
        assert_eq!(
            String::from_utf8(head.head).unwrap(),
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n"
        );
        // No length and no chunks: until the close, and the connection is not kept.
        let Ok(Some((_, Some(head)))) = parse_answer_head(b"HTTP/1.0 200 OK\r\n\r\n", false) else {
            panic!("a complete head")
        };
        assert_eq!(head.framing, Framing::UntilClose);
        assert!(!head.keep_alive);
        // A HEAD request's answer has no body whatever its length says; 1xx are interim.
        let Ok(Some((_, Some(head)))) =
            parse_answer_head(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", true)
        else {
            panic!("a complete head")
        };
        assert_eq!(head.framing, Framing::Empty);
        assert!(matches!(
            parse_answer_head(b"HTTP/1.1 103 Early Hints\r\n\r\n", false),
            Ok(Some((_, None)))
        ));
        assert!(matches!(
            parse_answer_head(b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", false),
            Err(HeadError::Bad(_))
        ));
        assert!(matches!(
            parse_answer_head(b"HTTP/1.1 200 OK\r\n", false),
            Ok(None)
        ));
    }
}
