//! The proxy's hand-written path for plain HTTP/1.1 requests, on loopback against upstreams
//! written byte by byte (so that each framing and each failure is exactly what is sent):
//! pipelined requests, an upstream that closes kept connections, answers delimited by
//! length, by chunks (with trailers) and by the close, `Connection: close` from the client,
//! and a connection handed to the general path in the middle of its life.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use modelwatch_server::proxy::config::ProxyConfig;

/// A request as the upstream read it: its head lines and body.
#[derive(Debug, Clone)]
struct Seen {
    head: Vec<String>,
    body: Vec<u8>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.iter().skip(1).find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// Reads one request (head, then a `Content-Length` or chunked body) from `r`.
fn read_request(r: &mut BufReader<TcpStream>) -> Option<Seen> {
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end().to_string();
        if line.is_empty() {
            break;
        }
        head.push(line);
    }
    let mut seen = Seen {
        head,
        body: Vec::new(),
    };
    if let Some(n) = seen.header("content-length") {
        let mut body = vec![0; n.parse().unwrap()];
        r.read_exact(&mut body).ok()?;
        seen.body = body;
    } else if seen
        .header("transfer-encoding")
        .is_some_and(|t| t.contains("chunked"))
    {
        loop {
            let mut size = String::new();
            r.read_line(&mut size).ok()?;
            let n = usize::from_str_radix(size.trim(), 16).unwrap();
            let mut chunk = vec![0; n + 2];
            r.read_exact(&mut chunk).ok()?;
            if n == 0 {
                break;
            }
            seen.body.extend_from_slice(&chunk[..n]);
        }
    }
    Some(seen)
}

/// An upstream on loopback whose connections each answer with `answer(request number on
/// the connection, request)`, raw bytes (none: the connection closes unanswered), and close
/// after each answer when `close_after_each` (or after an HTTP/1.0 answer). Requests are collected; connections
/// counted.
struct RawUpstream {
    addr: SocketAddr,
    seen: Arc<std::sync::Mutex<Vec<Seen>>>,
    connections: Arc<AtomicUsize>,
    _thread: JoinHandle<()>,
}

impl RawUpstream {
    fn start(
        answer: impl Fn(usize, &Seen) -> Vec<u8> + Send + Sync + 'static,
        close_after_each: bool,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let answer = Arc::new(answer);
        let (s, c) = (seen.clone(), connections.clone());
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                c.fetch_add(1, Ordering::SeqCst);
                let (s, answer) = (s.clone(), answer.clone());
                std::thread::spawn(move || {
                    let mut w = stream.try_clone().unwrap();
                    let mut r = BufReader::new(stream);
                    let mut n = 0;
                    while let Some(req) = read_request(&mut r) {
                        let bytes = answer(n, &req);
                        s.lock().unwrap().push(req);
                        if bytes.is_empty() {
                            // No answer at all: the connection just goes (a crash).
                            let _ = w.shutdown(std::net::Shutdown::Both);
                            return;
                        }
                        if w.write_all(&bytes).is_err() {
                            return;
                        }
                        n += 1;
                        // An HTTP/1.0 answer without a length ends with the close.
                        if close_after_each || bytes.starts_with(b"HTTP/1.0") {
                            // Closed without saying so: the next request must go elsewhere.
                            let _ = w.shutdown(std::net::Shutdown::Both);
                            return;
                        }
                    }
                });
            }
        });
        Self {
            addr,
            seen,
            connections,
            _thread: thread,
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

struct Proxy {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Proxy {
    fn start(upstream: SocketAddr) -> Self {
        let config = ProxyConfig {
            upstream: format!("http://{upstream}"),
            timeout: "2s".into(),
            ..ProxyConfig::default()
        };
        let (tx, rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(l.local_addr().unwrap()).unwrap();
                modelwatch_server::proxy::run(config, l, None, async {
                    let _ = stop_rx.await;
                })
                .await
                .unwrap();
            });
        });
        Self {
            addr: rx.recv().unwrap(),
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s
    }

    /// A connection to the proxy: its writing half, and its reading half buffered.
    fn client(&self) -> (TcpStream, BufReader<TcpStream>) {
        let c = self.connect();
        (c.try_clone().unwrap(), BufReader::new(c))
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// An answer's status line and headers (lowercased names) read from `r`.
fn read_head(r: &mut BufReader<TcpStream>) -> (String, Vec<(String, String)>) {
    let mut status = String::new();
    r.read_line(&mut status).unwrap();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (n, v) = line.split_once(':').unwrap();
        headers.push((n.to_ascii_lowercase(), v.trim().to_string()));
    }
    (status.trim_end().to_string(), headers)
}

/// One answer read from `r`: status line, headers (lowercased names), body (by length,
/// chunks or the close).
fn read_answer(r: &mut BufReader<TcpStream>) -> (String, Vec<(String, String)>, Vec<u8>) {
    let (status, mut headers) = read_head(r);
    let get = |n: &str| headers.iter().find(|h| h.0 == n).map(|h| h.1.clone());
    let mut body = Vec::new();
    if let Some(n) = get("content-length") {
        body = vec![0; n.parse().unwrap()];
        r.read_exact(&mut body).unwrap();
    } else if get("transfer-encoding").is_some() {
        loop {
            let mut size = String::new();
            r.read_line(&mut size).unwrap();
            let n = usize::from_str_radix(size.trim().split(';').next().unwrap(), 16).unwrap();
            if n == 0 {
                // Trailers up to the empty line.
                loop {
                    let mut t = String::new();
                    r.read_line(&mut t).unwrap();
                    if t.trim_end().is_empty() {
                        break;
                    }
                    headers.push(("trailer:".into(), t.trim_end().to_string()));
                }
                break;
            }
            let mut chunk = vec![0; n + 2];
            r.read_exact(&mut chunk).unwrap();
            body.extend_from_slice(&chunk[..n]);
        }
    } else {
        r.read_to_end(&mut body).unwrap();
    }
    (status, headers, body)
}

fn ok_answer(body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[test]
fn pipelined_requests_are_answered_in_order_on_one_upstream_connection() {
    let up = RawUpstream::start(
        |_, req| {
            ok_answer(&format!(
                "{{\"got\": {}}}",
                String::from_utf8_lossy(&req.body)
            ))
        },
        false,
    );
    let proxy = Proxy::start(up.addr);
    let mut c = proxy.connect();
    // Three requests in one write, the last with a body.
    c.write_all(
        b"GET /a HTTP/1.1\r\nHost: model.example\r\n\r\n\
          POST /b?x=1 HTTP/1.1\r\nHost: model.example\r\nContent-Length: 1\r\n\r\n7\
          POST /c HTTP/1.1\r\nHost: model.example\r\nX-Forwarded-For: 10.0.0.9\r\n\
          Keep-Alive: timeout=3\r\nContent-Length: 2\r\n\r\n42",
    )
    .unwrap();
    let mut r = BufReader::new(c);
    for want in ["{\"got\": }", "{\"got\": 7}", "{\"got\": 42}"] {
        let (status, _, body) = read_answer(&mut r);
        assert_eq!(status, "HTTP/1.1 200 OK");
        assert_eq!(String::from_utf8(body).unwrap(), want);
    }
    let seen = up.seen();
    assert_eq!(
        seen.iter().map(|s| s.head[0].as_str()).collect::<Vec<_>>(),
        [
            "GET /a HTTP/1.1",
            "POST /b?x=1 HTTP/1.1",
            "POST /c HTTP/1.1"
        ]
    );
    assert_eq!(up.connections.load(Ordering::SeqCst), 1);
    // Reverse-proxy headers: the client appended, the host kept, hop-by-hop gone.
    assert_eq!(seen[0].header("host"), Some("model.example"));
    assert_eq!(seen[0].header("x-forwarded-for"), Some("127.0.0.1"));
    assert_eq!(seen[0].header("x-forwarded-proto"), Some("http"));
    assert_eq!(seen[0].header("x-forwarded-host"), Some("model.example"));
    assert_eq!(
        seen[2].header("x-forwarded-for"),
        Some("10.0.0.9, 127.0.0.1")
    );
    assert_eq!(seen[2].header("keep-alive"), None);
}

#[test]
fn an_upstream_that_closes_kept_connections_gets_each_request_on_a_new_one() {
    let up = RawUpstream::start(|_, _| ok_answer("{\"ok\": 1}"), true);
    let proxy = Proxy::start(up.addr);
    let (mut w, mut r) = proxy.client();
    for i in 0..5 {
        w.write_all(format!("GET /n{i} HTTP/1.1\r\nHost: m\r\n\r\n").as_bytes())
            .unwrap();
        let (status, _, body) = read_answer(&mut r);
        assert_eq!(
            (status.as_str(), body.as_slice()),
            ("HTTP/1.1 200 OK", &b"{\"ok\": 1}"[..])
        );
        // Give the close time to arrive before the next request, or not: both are fine.
        if i % 2 == 0 {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    assert_eq!(up.seen().len(), 5);
    assert_eq!(up.connections.load(Ordering::SeqCst), 5);
}

#[test]
fn answers_pass_with_their_own_framing() {
    let up = RawUpstream::start(
        |_, req| match req.head[0].split(' ').nth(1).unwrap() {
            "/chunked" => {
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: x-sum\r\n\r\n\
                           4\r\nabcd\r\n3;note=1\r\nefg\r\n0\r\nx-sum: 7\r\n\r\n"
                    .to_vec()
            }
            "/close" => {
                b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end".to_vec()
            }
            "/empty" => b"HTTP/1.1 204 No Content\r\nX-Note: none\r\n\r\n".to_vec(),
            _ => ok_answer("{}"),
        },
        false,
    );
    let proxy = Proxy::start(up.addr);
    let (mut w, mut r) = proxy.client();
    w.write_all(b"GET /chunked HTTP/1.1\r\nHost: m\r\n\r\n")
        .unwrap();
    let (status, headers, body) = read_answer(&mut r);
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(body, b"abcdefg");
    assert!(
        headers.contains(&("trailer:".into(), "x-sum: 7".into())),
        "{headers:?}"
    );
    w.write_all(b"GET /empty HTTP/1.1\r\nHost: m\r\n\r\n")
        .unwrap();
    let (status, headers, body) = read_answer_no_body(&mut r);
    assert_eq!(status, "HTTP/1.1 204 No Content");
    assert!(headers.contains(&("x-note".into(), "none".into())));
    assert!(body.is_empty());
    w.write_all(b"HEAD /x HTTP/1.1\r\nHost: m\r\n\r\n").unwrap();
    let (status, headers, _) = read_answer_no_body(&mut r);
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(headers.contains(&("content-length".into(), "2".into())));
    // Delimited by the close: the client is told, gets all of it, and the connection ends.
    w.write_all(b"GET /close HTTP/1.1\r\nHost: m\r\n\r\n")
        .unwrap();
    let (status, headers, body) = read_answer(&mut r);
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(
        headers.contains(&("connection".into(), "close".into())),
        "{headers:?}"
    );
    assert_eq!(body, b"until the end");
}

/// An answer without a body whatever its headers say (204, or the answer to HEAD).
fn read_answer_no_body(r: &mut BufReader<TcpStream>) -> (String, Vec<(String, String)>, Vec<u8>) {
    let (status, headers) = read_head(r);
    (status, headers, Vec::new())
}

#[test]
fn connection_close_from_the_client_ends_the_connection_after_its_answer() {
    let up = RawUpstream::start(|_, _| ok_answer("{}"), false);
    let proxy = Proxy::start(up.addr);
    let mut c = proxy.connect();
    c.write_all(b"GET / HTTP/1.1\r\nHost: m\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut all = Vec::new();
    c.read_to_end(&mut all).unwrap();
    let text = String::from_utf8(all).unwrap();
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(
        text.to_ascii_lowercase().contains("connection: close\r\n"),
        "{text}"
    );
    assert!(text.ends_with("\r\n\r\n{}"), "{text}");
    assert_eq!(up.seen()[0].header("connection"), None);
}

#[test]
fn a_request_the_plain_path_does_not_take_hands_the_connection_over_mid_life() {
    let up = RawUpstream::start(
        |_, req| ok_answer(&format!("\"{}\"", String::from_utf8_lossy(&req.body))),
        false,
    );
    let proxy = Proxy::start(up.addr);
    let (mut w, mut r) = proxy.client();
    // Plain first, then a chunked request body (the general path's), then plain again.
    w.write_all(b"POST /a HTTP/1.1\r\nHost: m\r\nContent-Length: 3\r\n\r\none")
        .unwrap();
    assert_eq!(read_answer(&mut r).2, b"\"one\"");
    w.write_all(
        b"POST /b HTTP/1.1\r\nHost: m\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n",
    )
    .unwrap();
    assert_eq!(read_answer(&mut r).2, b"\"two\"");
    w.write_all(b"POST /c HTTP/1.1\r\nHost: m\r\nContent-Length: 5\r\n\r\nthree")
        .unwrap();
    assert_eq!(read_answer(&mut r).2, b"\"three\"");
    // A body over the plain path's limit goes whole through the general path too.
    let big = vec![b'z'; 200_000];
    w.write_all(
        format!(
            "POST /d HTTP/1.1\r\nHost: m\r\nContent-Length: {}\r\n\r\n",
            big.len()
        )
        .as_bytes(),
    )
    .unwrap();
    w.write_all(&big).unwrap();
    assert_eq!(read_answer(&mut r).2.len(), big.len() + 2);
    let seen = up.seen();
    assert_eq!(seen.len(), 4);
    assert_eq!(seen[1].body, b"two");
    assert_eq!(seen[2].body, b"three");
}

#[test]
fn a_broken_or_silent_upstream_is_502_and_the_client_connection_goes_on() {
    // Garbage for the first answer: the client gets a 502, the upstream connection is
    // dropped, and the client's connection goes on to a good answer.
    let answered = AtomicUsize::new(0);
    let up = RawUpstream::start(
        move |_, _| match answered.fetch_add(1, Ordering::SeqCst) {
            0 => b"NOT HTTP AT ALL\r\n\r\n".to_vec(),
            _ => ok_answer("{}"),
        },
        false,
    );
    let proxy = Proxy::start(up.addr);
    let (mut w, mut r) = proxy.client();
    w.write_all(b"GET /1 HTTP/1.1\r\nHost: m\r\n\r\n").unwrap();
    let (status, _, body) = read_answer(&mut r);
    assert_eq!(status, "HTTP/1.1 502 Bad Gateway");
    assert_eq!(body, b"bad upstream answer\n");
    w.write_all(b"GET /2 HTTP/1.1\r\nHost: m\r\n\r\n").unwrap();
    let (status, _, body) = read_answer(&mut r);
    assert_eq!(
        (status.as_str(), body.as_slice()),
        ("HTTP/1.1 200 OK", &b"{}"[..])
    );
}

#[test]
fn a_post_is_never_sent_twice_but_an_idempotent_request_is_sent_again() {
    // The second request of every upstream connection finds it closing unanswered.
    let up = RawUpstream::start(
        |n, _| if n == 0 { ok_answer("{}") } else { Vec::new() },
        false,
    );
    let proxy = Proxy::start(up.addr);
    let (mut w, mut r) = proxy.client();
    let mut send = |req: &str| {
        w.write_all(req.as_bytes()).unwrap();
        read_answer(&mut r).0
    };
    assert_eq!(
        send("GET /warm HTTP/1.1\r\nHost: m\r\n\r\n"),
        "HTTP/1.1 200 OK"
    );
    // The model may have run before its connection went: 502, not a second run.
    assert_eq!(
        send("POST /p HTTP/1.1\r\nHost: m\r\nContent-Length: 2\r\n\r\n{}"),
        "HTTP/1.1 502 Bad Gateway"
    );
    assert_eq!(
        send("GET /warm2 HTTP/1.1\r\nHost: m\r\n\r\n"),
        "HTTP/1.1 200 OK"
    );
    // A GET is sent again on a new connection.
    assert_eq!(
        send("GET /g HTTP/1.1\r\nHost: m\r\n\r\n"),
        "HTTP/1.1 200 OK"
    );
    let lines: Vec<String> = up.seen().iter().map(|s| s.head[0].clone()).collect();
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("POST /p ")).count(),
        1,
        "{lines:?}"
    );
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("GET /g ")).count(),
        2,
        "{lines:?}"
    );
}

#[test]
fn lengths_pass_as_digits_and_odd_ones_go_to_the_general_path() {
    let up = RawUpstream::start(|_, req| ok_answer(&format!("{}", req.body.len())), false);
    let proxy = Proxy::start(up.addr);
    let (mut w, mut r) = proxy.client();
    // Leading zeros: one clean length goes on.
    w.write_all(b"POST /a HTTP/1.1\r\nHost: m\r\nContent-Length: 003\r\n\r\nabc")
        .unwrap();
    assert_eq!(read_answer(&mut r).2, b"3");
    assert_eq!(up.seen()[0].header("content-length"), Some("3"));
    // A signed length is not a length: the general path refuses the request (400).
    w.write_all(b"POST /b HTTP/1.1\r\nHost: m\r\nContent-Length: +3\r\n\r\nabc")
        .unwrap();
    assert_eq!(read_answer(&mut r).0, "HTTP/1.1 400 Bad Request");
    assert_eq!(up.seen().len(), 1);
}
