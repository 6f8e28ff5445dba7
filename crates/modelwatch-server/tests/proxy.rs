//! `modelwatch proxy` end to end on loopback: a plain Rust model behind the proxy, a real
//! modelwatch server behind the sender; what the model saw, what the client got, what the
//! store holds and what both `/metrics` say are checked against what was sent.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use common::*;
use http_body::{Body, Frame};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use modelwatch_server::config::ServerConfig;
use modelwatch_server::proxy::config::ProxyConfig;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, Notify};

// ---------------------------------------------------------------------------------------
// The model: a small hyper service.

type ModelBody = BoxBody<Bytes, hyper::Error>;

fn full(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<ModelBody> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(
            Full::new(body.into())
                .map_err(|never| match never {})
                .boxed(),
        )
        .unwrap()
}

/// A body fed through a channel, so the model sends its chunks when the test says.
struct ChannelBody(mpsc::Receiver<Bytes>);

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = hyper::Error;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        self.0.poll_recv(cx).map(|b| b.map(|b| Ok(Frame::data(b))))
    }
}

fn species(petal_length: f64) -> &'static str {
    if petal_length < 2.5 {
        "setosa"
    } else {
        "virginica"
    }
}

async fn model(
    req: Request<Incoming>,
    gate: Arc<Notify>,
) -> Result<Response<ModelBody>, hyper::Error> {
    let path = req.uri().path().to_string();
    match (req.method().as_str(), path.as_str()) {
        ("POST", "/v1/models/iris:predict") => {
            let body = req.into_body().collect().await?.to_bytes();
            let Ok(v) = serde_json::from_slice::<Value>(&body) else {
                return Ok(full(StatusCode::BAD_REQUEST, "text/plain", "not JSON"));
            };
            let predictions: Vec<&str> = v["instances"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|i| species(i["petal_length"].as_f64().unwrap_or(0.0)))
                        .collect()
                })
                .unwrap_or_default();
            Ok(full(
                StatusCode::OK,
                "application/json",
                json!({ "predictions": predictions }).to_string(),
            ))
        }
        ("POST", "/v2/models/iris/infer") => {
            let body = req.into_body().collect().await?.to_bytes();
            let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let t = &v["inputs"][0];
            let data: Vec<f64> = t["data"]
                .as_array()
                .map(|d| {
                    d.iter()
                        .flat_map(|x| x.as_array().cloned().unwrap_or_else(|| vec![x.clone()]))
                        .filter_map(|x| x.as_f64())
                        .collect()
                })
                .unwrap_or_default();
            let rows = t["shape"][0].as_u64().unwrap_or(0) as usize;
            if t["shape"][1] != 4 || data.len() != rows * 4 {
                return Ok(full(
                    StatusCode::BAD_REQUEST,
                    "application/json",
                    r#"{"error": "bad shape"}"#,
                ));
            }
            let labels: Vec<i64> = data
                .chunks(4)
                .map(|r| if r[2] < 2.5 { 0 } else { 2 })
                .collect();
            let out = json!({
                "model_name": "iris",
                "id": v["id"],
                "outputs": [{"name": "label", "shape": [labels.len()], "datatype": "INT64", "data": labels}]
            });
            Ok(full(StatusCode::OK, "application/json", out.to_string()))
        }
        (_, "/headers") => {
            let mut seen = serde_json::Map::new();
            for (k, v) in req.headers() {
                seen.insert(
                    k.as_str().to_string(),
                    json!(String::from_utf8_lossy(v.as_bytes())),
                );
            }
            seen.insert("@uri".into(), json!(req.uri().to_string()));
            seen.insert("@method".into(), json!(req.method().as_str()));
            Ok(full(
                StatusCode::OK,
                "application/json",
                Value::Object(seen).to_string(),
            ))
        }
        ("POST", "/echo") => {
            let ct = req
                .headers()
                .get("content-type")
                .cloned()
                .unwrap_or_else(|| {
                    hyper::header::HeaderValue::from_static("application/octet-stream")
                });
            let mut r = Response::new(req.into_body().boxed());
            r.headers_mut().insert("content-type", ct);
            Ok(r)
        }
        ("GET", "/stream") => {
            let (tx, rx) = mpsc::channel(2);
            tokio::spawn(async move {
                let _ = tx.send(Bytes::from_static(b"first\n")).await;
                gate.notified().await;
                let _ = tx.send(Bytes::from_static(b"second\n")).await;
            });
            let mut r = Response::new(ChannelBody(rx).boxed());
            r.headers_mut()
                .insert("content-type", "text/plain".parse().unwrap());
            Ok(r)
        }
        ("GET", "/slow") => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            Ok(full(StatusCode::OK, "text/plain", "late"))
        }
        ("GET", "/ws") => {
            let on = hyper::upgrade::on(req);
            tokio::spawn(async move {
                if let Ok(up) = on.await {
                    let mut io = TokioIo::new(up);
                    let mut buf = [0u8; 1024];
                    while let Ok(n) = io.read(&mut buf).await {
                        if n == 0 || io.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                }
            });
            Ok(Response::builder()
                .status(StatusCode::SWITCHING_PROTOCOLS)
                .header("connection", "Upgrade")
                .header("upgrade", "websocket")
                .header("sec-websocket-accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
                .body(
                    Full::new(Bytes::new())
                        .map_err(|never| match never {})
                        .boxed(),
                )
                .unwrap())
        }
        _ => Ok(full(StatusCode::NOT_FOUND, "text/plain", "no such route")),
    }
}

struct Model {
    addr: SocketAddr,
    gate: Arc<Notify>,
}

/// One model for all tests, on its own runtime for the life of the test process.
fn model_server() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        let gate = Arc::new(Notify::new());
        let g = gate.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(l.local_addr().unwrap()).unwrap();
                loop {
                    let (s, _) = l.accept().await.unwrap();
                    let g = g.clone();
                    tokio::spawn(async move {
                        let svc = hyper::service::service_fn(move |r| model(r, g.clone()));
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(s), svc)
                            .with_upgrades()
                            .await;
                    });
                }
            });
        });
        Model {
            addr: rx.recv().unwrap(),
            gate,
        }
    })
}

// ---------------------------------------------------------------------------------------
// The proxy under test.

struct Proxy {
    addr: SocketAddr,
    metrics: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Proxy {
    fn start(config: ProxyConfig) -> Self {
        let (tx, rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let m = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send((l.local_addr().unwrap(), m.local_addr().unwrap()))
                    .unwrap();
                modelwatch_server::proxy::run(config, l, Some(m), async {
                    let _ = stop_rx.await;
                })
                .await
                .unwrap();
            });
        });
        let (addr, metrics) = rx.recv().unwrap();
        Self {
            addr,
            metrics: format!("http://{metrics}/metrics"),
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// One sample of the proxy's `/metrics` (0 when absent).
    fn metric(&self, series: &str) -> f64 {
        sample(&get(&self.metrics).body, series)
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

fn config(server: Option<&TestServer>) -> ProxyConfig {
    ProxyConfig {
        upstream: format!("http://{}", model_server().addr),
        project: "iris".into(),
        server: server.map(|s| s.base.clone()),
        prediction: "species".into(),
        max_delay: "50ms".into(),
        ..ProxyConfig::default()
    }
}

/// The value of one series (`name{labels}` exactly as written) in an exposition.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

/// Waits (up to 30 s) until `check` holds; the message says what did not happen.
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..1500 {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("never happened: {what}");
}

/// One stored event: id, values, latency, status, error.
type StoredRow = (
    Option<String>,
    Value,
    Option<f64>,
    Option<i64>,
    Option<String>,
);

/// The stored events of project `iris`, in order.
fn stored(server: &TestServer) -> Vec<StoredRow> {
    stored_in(&server.db)
}

/// The stored events of project `iris` in the SQLite file `db`, in order.
fn stored_in(db: &std::path::Path) -> Vec<StoredRow> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut st = conn
        .prepare("SELECT event_id, vals, latency, status, error FROM events WHERE project = 'iris' ORDER BY seq")
        .unwrap();
    st.query_map([], |r| {
        let vals: String = r.get(1)?;
        Ok((
            r.get(0)?,
            serde_json::from_str(&vals).unwrap_or(Value::Null),
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
        ))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

fn event_count(server: &TestServer) -> u64 {
    get(&server.url("/api/v1/projects/iris")).json()["events"]
        .as_u64()
        .unwrap_or(0)
}

/// Reads from `s` until the bytes read hold `needle`; returns everything read.
fn read_until(s: &mut TcpStream, buf: &mut Vec<u8>, needle: &[u8]) {
    let mut chunk = [0u8; 65536];
    while !buf.windows(needle.len()).any(|w| w == needle) {
        let n = s
            .read(&mut chunk)
            .unwrap_or_else(|e| panic!("waiting for {:?}: {e}", String::from_utf8_lossy(needle)));
        assert!(n > 0, "closed before {:?}", String::from_utf8_lossy(needle));
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s
}

// ---------------------------------------------------------------------------------------

#[test]
fn kserve_and_v2_traffic_becomes_events_with_serving_facts_and_metrics() {
    let server = TestServer::start(ServerConfig::default());
    create_iris(&server, "iris");
    let proxy = Proxy::start(config(Some(&server)));

    let v1 = json!({"instances": [
        {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2},
        {"sepal_length": 6.3, "sepal_width": 3.3, "petal_length": 6.0, "petal_width": 2.5},
        {"sepal_length": 5.0, "sepal_width": 3.4, "petal_length": 1.5, "petal_width": 0.2}
    ]})
    .to_string();
    let headers = [
        ("Content-Type", "application/json"),
        ("x-request-id", "batch-1"),
    ];
    let direct = call(
        "POST",
        &format!("http://{}/v1/models/iris:predict", model_server().addr),
        &headers,
        Some(v1.as_bytes()),
    );
    let through = call(
        "POST",
        &proxy.url("/v1/models/iris:predict"),
        &headers,
        Some(v1.as_bytes()),
    );
    assert_eq!(through.status, 200);
    assert_eq!(through.body, direct.body);
    assert_eq!(
        through.json()["predictions"],
        json!(["setosa", "virginica", "setosa"])
    );

    let v2 = json!({"id": "v2-req", "inputs": [{"name": "x", "shape": [2, 4], "datatype": "FP64",
        "data": [[4.9, 3.0, 1.4, 0.2], [6.7, 3.1, 5.6, 2.4]]}]})
    .to_string();
    let a = call(
        "POST",
        &proxy.url("/v2/models/iris/infer"),
        &[("Content-Type", "application/json")],
        Some(v2.as_bytes()),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json()["outputs"][0]["data"], json!([0, 2]));
    // A GET on a known route: serving facts only, no rows.
    assert_eq!(get(&proxy.url("/v2/models/iris/infer")).status, 404);
    // Not a route, not captured: neither metrics by path nor an event.
    assert_eq!(get(&proxy.url("/nowhere?x=1")).status, 404);

    eventually("6 events stored", || event_count(&server) == 6);
    let events = stored(&server);
    let ids: Vec<Option<&str>> = events.iter().map(|e| e.0.as_deref()).collect();
    assert_eq!(
        ids,
        [
            Some("batch-1-0"),
            Some("batch-1-1"),
            Some("batch-1-2"),
            Some("v2-req-0"),
            Some("v2-req-1"),
            None
        ]
    );
    assert_eq!(
        events[1].1,
        json!({"sepal_length": 6.3, "sepal_width": 3.3, "petal_length": 6.0, "petal_width": 2.5, "species": "virginica"})
    );
    assert_eq!(
        events[4].1,
        json!({"x_0": 6.7, "x_1": 3.1, "x_2": 5.6, "x_3": 2.4, "species": 2})
    );
    // The facts ride on the first row of each request: three model requests.
    let statuses: Vec<Option<i64>> = events.iter().map(|e| e.3).collect();
    assert_eq!(
        statuses,
        [Some(200), None, None, Some(200), None, Some(404)]
    );
    assert!(events[0].2.is_some_and(|l| l > 0.0));
    assert_eq!(events.iter().filter(|e| e.2.is_some()).count(), 3);

    // Late labels join by the ids the proxy gave.
    let joined = post_json(
        &server.url("/api/v1/projects/iris/labels"),
        r#"[{"id": "batch-1-2", "target": "setosa"}]"#,
    );
    assert_eq!(joined.json()["joined"], 1, "{}", joined.body);

    let m = get(&server.url("/metrics")).body;
    assert_eq!(
        sample(
            &m,
            r#"modelwatch_model_requests_total{project="iris",code="200"}"#
        ),
        2.0
    );
    assert_eq!(
        sample(
            &m,
            r#"modelwatch_model_requests_total{project="iris",code="404"}"#
        ),
        1.0
    );
    assert_eq!(
        sample(
            &m,
            r#"modelwatch_model_latency_seconds_count{project="iris"}"#
        ),
        3.0
    );

    let route = r#"route="/v1/models/{model}:predict",method="POST""#;
    assert_eq!(
        proxy.metric(&format!(
            "modelwatch_proxy_requests_total{{{route},code=\"200\"}}"
        )),
        1.0
    );
    assert_eq!(
        proxy.metric(&format!(
            "modelwatch_proxy_request_duration_seconds_count{{{route}}}"
        )),
        1.0
    );
    assert_eq!(
        proxy.metric(r#"modelwatch_proxy_requests_total{route="other",method="GET",code="404"}"#),
        1.0
    );
    eventually("6 events sent", || {
        proxy.metric("modelwatch_proxy_events_sent_total") == 6.0
    });
    assert_eq!(proxy.metric("modelwatch_proxy_events_captured_total"), 6.0);
    let text = get(&proxy.metrics).body;
    for reason in [
        "queue_full",
        "queue_bytes",
        "handoff_full",
        "handoff_bytes",
        "too_large",
    ] {
        let series = format!("modelwatch_proxy_events_dropped_total{{reason=\"{reason}\"}} ");
        let value = text
            .lines()
            .find_map(|l| l.strip_prefix(&series)?.parse::<f64>().ok());
        assert_eq!(value, Some(0.0), "{series}");
    }
}

#[test]
fn requests_and_answers_pass_unchanged_but_for_hop_by_hop_headers() {
    let proxy = Proxy::start(config(None));
    let big = "v".repeat(64 * 1024);
    let a = call(
        "POST",
        &proxy.url("/headers?q=1&q=2"),
        &[
            ("Connection", "x-secret"),
            ("x-secret", "hidden"),
            ("Keep-Alive", "timeout=5"),
            ("Proxy-Authorization", "Basic eDp5"),
            ("x-custom", "kept"),
            ("x-big", &big),
            ("x-forwarded-for", "10.1.2.3"),
        ],
        Some(b"{}"),
    );
    assert_eq!(a.status, 200);
    let seen = a.json();
    assert_eq!(seen["@uri"], "/headers?q=1&q=2");
    assert_eq!(seen["@method"], "POST");
    assert_eq!(seen["x-custom"], "kept");
    assert_eq!(seen["x-big"].as_str().unwrap().len(), 64 * 1024);
    assert_eq!(seen["x-forwarded-for"], "10.1.2.3, 127.0.0.1");
    assert_eq!(seen["x-forwarded-proto"], "http");
    assert_eq!(seen["x-forwarded-host"], seen["host"]);
    assert_eq!(seen["host"], proxy.addr.to_string());
    for gone in ["x-secret", "keep-alive", "proxy-authorization"] {
        assert!(seen.get(gone).is_none(), "{gone} was forwarded: {seen}");
    }

    // 8 MiB each way, with a length, byte for byte.
    let body: Vec<u8> = (0..8 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let echo = call(
        "POST",
        &proxy.url("/echo"),
        &[("Content-Type", "application/octet-stream")],
        Some(&body),
    );
    assert_eq!(echo.status, 200);
    // ureq reads the body as text; compare the lengths and a checksum of the raw bytes.
    let mut s = connect(proxy.addr);
    write!(
        s,
        "POST /echo HTTP/1.1\r\nHost: m\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    s.write_all(&body).unwrap();
    let mut got = Vec::new();
    read_until(&mut s, &mut got, b"\r\n\r\n");
    let head_end = got.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&got[..head_end]).to_lowercase();
    assert!(
        head.contains(&format!("content-length: {}", body.len())),
        "{head}"
    );
    while got.len() - head_end < body.len() {
        let mut chunk = vec![0u8; 1 << 16];
        let n = s.read(&mut chunk).unwrap();
        assert!(n > 0);
        got.extend_from_slice(&chunk[..n]);
    }
    assert!(got[head_end..] == body[..]);
    // The same connection is kept alive for the next request.
    s.write_all(b"GET /headers HTTP/1.1\r\nHost: m\r\n\r\n")
        .unwrap();
    let mut next = Vec::new();
    read_until(&mut s, &mut next, b"HTTP/1.1 200 OK");
}

#[test]
fn chunked_bodies_stream_both_ways_without_buffering() {
    let proxy = Proxy::start(config(None));
    // The answer: the model sends its second chunk only after the client has the first.
    let mut s = connect(proxy.addr);
    s.write_all(b"GET /stream HTTP/1.1\r\nHost: m\r\n\r\n")
        .unwrap();
    let mut got = Vec::new();
    read_until(&mut s, &mut got, b"first\n");
    let head = String::from_utf8_lossy(&got).to_lowercase();
    assert!(head.contains("transfer-encoding: chunked"), "{head}");
    model_server().gate.notify_one();
    read_until(&mut s, &mut got, b"second\n");
    read_until(&mut s, &mut got, b"0\r\n\r\n");

    // The request: the client sends its second chunk only after the echo of the first.
    let mut s = connect(proxy.addr);
    s.write_all(
        b"POST /echo HTTP/1.1\r\nHost: m\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
    )
    .unwrap();
    let mut got = Vec::new();
    read_until(&mut s, &mut got, b"hello");
    s.write_all(b"6\r\n world\r\n0\r\n\r\n").unwrap();
    read_until(&mut s, &mut got, b" world");
    read_until(&mut s, &mut got, b"0\r\n\r\n");
}

#[test]
fn a_websocket_upgrade_passes_through() {
    let proxy = Proxy::start(config(None));
    let mut s = connect(proxy.addr);
    s.write_all(
        b"GET /ws HTTP/1.1\r\nHost: m\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
          Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    )
    .unwrap();
    let mut got = Vec::new();
    read_until(&mut s, &mut got, b"\r\n\r\n");
    let head = String::from_utf8_lossy(&got).to_lowercase();
    assert!(head.starts_with("http/1.1 101"), "{head}");
    assert!(head.contains("upgrade: websocket"), "{head}");
    assert!(
        head.contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo="),
        "{head}"
    );
    // After the switch, bytes flow both ways untouched (a masked text frame, echoed).
    let frame = [
        0x81u8,
        0x84,
        1,
        2,
        3,
        4,
        b'p' ^ 1,
        b'i' ^ 2,
        b'n' ^ 3,
        b'g' ^ 4,
    ];
    for _ in 0..3 {
        s.write_all(&frame).unwrap();
        let mut echoed = [0u8; 10];
        s.read_exact(&mut echoed).unwrap();
        assert_eq!(echoed, frame);
    }
    assert_eq!(
        proxy.metric(r#"modelwatch_proxy_requests_total{route="other",method="GET",code="101"}"#),
        1.0
    );
}

#[test]
fn upstream_down_is_502_and_too_slow_is_504_both_recorded() {
    let server = TestServer::start(ServerConfig::default());
    create_iris(&server, "iris");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let down = closed.local_addr().unwrap();
    drop(closed);
    let proxy_down = Proxy::start(ProxyConfig {
        upstream: format!("http://{down}"),
        ..config(Some(&server))
    });
    let a = post_json(&proxy_down.url("/predict"), r#"{"x": 1}"#);
    assert_eq!(a.status, 502);

    let proxy_slow = Proxy::start(ProxyConfig {
        timeout: "200ms".into(),
        routes: vec![modelwatch_server::proxy::config::RouteConfig {
            method: Some("GET".into()),
            path: "/slow".into(),
            capture: Some(false),
            inputs: None,
            outputs: None,
            input_names: vec![],
        }],
        ..config(Some(&server))
    });
    assert_eq!(get(&proxy_slow.url("/slow")).status, 504);

    assert_eq!(
        proxy_down.metric(
            r#"modelwatch_proxy_upstream_errors_total{route="/predict",kind="unreachable"}"#
        ),
        1.0
    );
    assert_eq!(
        proxy_down.metric(
            r#"modelwatch_proxy_requests_total{route="/predict",method="POST",code="502"}"#
        ),
        1.0
    );
    assert_eq!(
        proxy_slow
            .metric(r#"modelwatch_proxy_upstream_errors_total{route="/slow",kind="timeout"}"#),
        1.0
    );
    eventually("both failures stored", || event_count(&server) == 2);
    let mut events = stored(&server);
    events.sort_by_key(|e| e.3);
    assert_eq!(events[0].3, Some(502));
    assert!(
        events[0]
            .4
            .as_deref()
            .unwrap()
            .starts_with("upstream unreachable"),
        "{:?}",
        events[0]
    );
    // A failed request gives its serving facts alone: no row, and no capture to fail.
    assert_eq!(events[0].1, json!({}));
    assert_eq!(
        proxy_down
            .metric(r#"modelwatch_proxy_capture_failures_total{reason="request_incomplete"}"#),
        0.0
    );
    assert_eq!(events[1].3, Some(504));
    assert_eq!(
        events[1].4.as_deref(),
        Some("the upstream did not answer in time")
    );
    let m = get(&server.url("/metrics")).body;
    assert_eq!(
        sample(&m, r#"modelwatch_model_errors_total{project="iris"}"#),
        2.0
    );
}

#[test]
fn a_monitoring_server_killed_mid_run_costs_the_model_nothing() {
    let mut server = TestServer::start(ServerConfig::default());
    create_iris(&server, "iris");
    let proxy = Proxy::start(ProxyConfig {
        queue_size: 5,
        batch_size: 2,
        max_backoff: "200ms".into(),
        ..config(Some(&server))
    });
    let row = r#"{"instances": [{"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}]}"#;
    let predict = |i: usize| {
        let id = format!("r{i}");
        let a = call(
            "POST",
            &proxy.url("/v1/models/iris:predict"),
            &[("Content-Type", "application/json"), ("x-request-id", &id)],
            Some(row.as_bytes()),
        );
        assert_eq!(a.status, 200);
        assert_eq!(a.body, r#"{"predictions":["setosa"]}"#);
    };
    for i in 0..4 {
        predict(i);
    }
    eventually("4 events sent", || {
        proxy.metric("modelwatch_proxy_events_sent_total") == 4.0
    });
    assert_eq!(event_count(&server), 4);
    server.stop();
    for i in 4..34 {
        predict(i);
    }
    // 30 events captured while the server is gone: at most 5 wait and 2 are in flight.
    eventually("drops counted", || {
        proxy.metric("modelwatch_proxy_events_captured_total") == 34.0
            && proxy.metric(r#"modelwatch_proxy_events_dropped_total{reason="queue_full"}"#) >= 23.0
    });
    assert!(proxy.metric("modelwatch_proxy_send_failures_total") >= 1.0);
    assert!(proxy.metric("modelwatch_proxy_queue_events") <= 5.0);
    assert_eq!(proxy.metric("modelwatch_proxy_events_sent_total"), 4.0);
    assert_eq!(
        proxy.metric(r#"modelwatch_proxy_requests_total{route="/v1/models/{model}:predict",method="POST",code="200"}"#),
        34.0
    );
}

#[test]
fn bad_bodies_are_forwarded_as_they_came_and_counted() {
    let server = TestServer::start(ServerConfig::default());
    create_iris(&server, "iris");
    let proxy = Proxy::start(ProxyConfig {
        max_capture_bytes: 1024,
        routes: vec![modelwatch_server::proxy::config::RouteConfig {
            method: Some("POST".into()),
            path: "/echo".into(),
            capture: Some(true),
            inputs: None,
            outputs: None,
            input_names: vec![],
        }],
        ..config(Some(&server))
    });
    // Not JSON on a captured route: forwarded, echoed, counted.
    let a = call(
        "POST",
        &proxy.url("/echo"),
        &[("Content-Type", "text/plain")],
        Some(b"<not json>"),
    );
    assert_eq!((a.status, a.body.as_str()), (200, "<not json>"));
    // A v2 tensor whose shape does not match its data: the model refuses it (400), so the
    // exchange gives its serving facts alone and nothing is parsed.
    let bad =
        r#"{"inputs": [{"name": "x", "shape": [3, 4], "datatype": "FP64", "data": [1, 2, 3, 4]}]}"#;
    let a = post_json(&proxy.url("/v2/models/iris/infer"), bad);
    assert_eq!(a.status, 400);
    // Over the capture limit: forwarded whole, not captured.
    let huge = format!(r#"{{"x": "{}"}}"#, "z".repeat(100_000));
    let a = post_json(&proxy.url("/echo"), &huge);
    assert_eq!(a.body.len(), huge.len());
    // A body that never finishes: the client goes away; the proxy goes on.
    {
        let mut s = connect(proxy.addr);
        s.write_all(b"POST /echo HTTP/1.1\r\nHost: m\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"x\":")
            .unwrap();
    }
    let a = post_json(&proxy.url("/echo"), r#"{"x": 2}"#);
    assert_eq!((a.status, a.body.as_str()), (200, r#"{"x": 2}"#));

    eventually("the failures counted", || {
        let m = get(&proxy.metrics).body;
        sample(
            &m,
            r#"modelwatch_proxy_capture_failures_total{reason="request_not_json"}"#,
        ) == 1.0
            && sample(
                &m,
                r#"modelwatch_proxy_capture_failures_total{reason="request_tensor_shape"}"#,
            ) == 0.0
            && sample(
                &m,
                r#"modelwatch_proxy_capture_failures_total{reason="request_too_large"}"#,
            ) == 1.0
            // The client that went away (499) gives its facts alone, not a failed capture.
            && sample(
                &m,
                r#"modelwatch_proxy_capture_failures_total{reason="request_incomplete"}"#,
            ) == 0.0
    });
    // Every request still gave its serving facts; the good one its row.
    eventually("5 events", || event_count(&server) == 5);
    let events = stored(&server);
    assert_eq!(events.iter().filter(|e| e.1 == json!({"x": 2})).count(), 1);
}

#[test]
fn a_proxy_of_the_serve_config_runs_in_the_server_and_commits_to_its_store() {
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = free.local_addr().unwrap();
    drop(free);
    // A server taking bodies of 200 kB at most: its proxy makes no larger batch.
    let text = format!(
        "max_body_bytes = 200000\n\
         [[proxies]]\nlisten = \"{listen}\"\nupstream = \"http://{}\"\nproject = \"iris\"\n\
         prediction = \"species\"\nmax_delay = \"50ms\"\n",
        model_server().addr
    );
    let config: ServerConfig = toml::from_str(&text).unwrap();
    config.validate().unwrap();
    let server = TestServer::start(config);
    create_iris(&server, "iris");
    let body = r#"{"instances": [{"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}]}"#;
    let a = call(
        "POST",
        &format!("http://{listen}/v1/models/iris:predict"),
        &[
            ("Content-Type", "application/json"),
            ("x-request-id", "in-1"),
        ],
        Some(body.as_bytes()),
    );
    assert_eq!(a.body, r#"{"predictions":["setosa"]}"#);
    eventually("the event stored", || event_count(&server) == 1);
    let events = stored(&server);
    assert_eq!(events[0].0.as_deref(), Some("in-1"));
    assert_eq!(events[0].1["species"], "setosa");

    // 20 rows of ~33 kB: sent in batches under the server's limit, never refused with 413.
    let note = "x".repeat(33_000);
    let rows: Vec<Value> = (0..20)
        .map(|_| {
            json!({"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4,
                        "petal_width": 0.2, "note": note})
        })
        .collect();
    let a = call(
        "POST",
        &format!("http://{listen}/v1/models/iris:predict"),
        &[
            ("Content-Type", "application/json"),
            ("x-request-id", "in-2"),
        ],
        Some(json!({ "instances": rows }).to_string().as_bytes()),
    );
    assert_eq!(a.status, 200);
    eventually("21 events stored", || event_count(&server) == 21);
    // Straight to the store: the server's ingestion API saw no request, while the project
    // counts both model requests and the 21 events.
    let metrics = get(&server.url("/metrics")).body;
    assert!(
        !metrics
            .lines()
            .any(|l| l.starts_with("modelwatch_http_requests_total") && l.contains("/events\"")),
        "{metrics}"
    );
    assert_eq!(
        sample(
            &metrics,
            r#"modelwatch_model_requests_total{project="iris",code="200"}"#
        ),
        2.0,
        "{metrics}"
    );

    let bad: ServerConfig = toml::from_str(
        "[[proxies]]\nupstream = \"http://127.0.0.1:1\"\nproject = \"p\"\nserver = \"http://x:1\"\n",
    )
    .unwrap();
    assert!(bad.validate().unwrap_err().starts_with("proxies[0].server"));
}

/// While the server's store fails (a full disk, a database gone), a proxy of the serve
/// config keeps forwarding, keeps its events and commits each once when the store is back.
#[test]
fn a_proxy_of_the_serve_config_keeps_its_events_while_the_store_fails() {
    let free = |_| {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let (listen, metrics_listen) = (free(0), free(1));
    let text = format!(
        "[[proxies]]\nlisten = \"{listen}\"\nmetrics_listen = \"{metrics_listen}\"\n\
         upstream = \"http://{}\"\nproject = \"iris\"\nprediction = \"species\"\n\
         max_delay = \"20ms\"\nmax_backoff = \"200ms\"\n",
        model_server().addr
    );
    let config: ServerConfig = toml::from_str(&text).unwrap();
    config.validate().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let (store, full) = common::failing_store::FailingWrites::open(&db);
    let server = TestServer::start_with_store(Arc::new(store), config);
    create_iris(&server, "iris");
    let proxy_metric = |series: &str| {
        sample(
            &get(&format!("http://{metrics_listen}/metrics")).body,
            series,
        )
    };

    full.store(true, std::sync::atomic::Ordering::SeqCst);
    for i in 0..3 {
        let body = r#"{"instances": [{"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}]}"#;
        let a = call(
            "POST",
            &format!("http://{listen}/v1/models/iris:predict"),
            &[
                ("Content-Type", "application/json"),
                ("x-request-id", &format!("down-{i}")),
            ],
            Some(body.as_bytes()),
        );
        assert_eq!(a.body, r#"{"predictions":["setosa"]}"#);
    }
    eventually("two failed commits", || {
        proxy_metric("modelwatch_proxy_send_failures_total") >= 2.0
    });
    assert_eq!(event_count(&server), 0);
    assert_eq!(proxy_metric("modelwatch_proxy_queue_events"), 3.0);

    full.store(false, std::sync::atomic::Ordering::SeqCst);
    eventually("3 events committed", || {
        proxy_metric("modelwatch_proxy_events_sent_total") == 3.0
    });
    let mut ids: Vec<_> = stored_in(&db).into_iter().filter_map(|e| e.0).collect();
    ids.sort();
    assert_eq!(ids, ["down-0", "down-1", "down-2"]);
    assert_eq!(proxy_metric("modelwatch_proxy_events_refused_total"), 0.0);
    assert_eq!(proxy_metric("modelwatch_proxy_queue_events"), 0.0);
}

/// A client speaking HTTP/2 without TLS (h2c, prior knowledge) is served on the same port:
/// the model, which speaks HTTP/1.1, gets the request with the client's headers and body,
/// the client gets the model's answer over HTTP/2, and the exchange is captured as events.
#[test]
fn an_h2c_client_is_served_on_the_same_port_and_captured() {
    let server = TestServer::start(ServerConfig::default());
    create_iris(&server, "iris");
    let proxy = Proxy::start(config(Some(&server)));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let body = json!({"instances": [
        {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2},
        {"sepal_length": 6.3, "sepal_width": 3.3, "petal_length": 6.0, "petal_width": 2.5}
    ]})
    .to_string();
    let (versions, answers, seen) = rt.block_on(async {
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .http2_only(true)
                .build_http::<Full<Bytes>>();
        let mut versions = Vec::new();
        let mut answers = Vec::new();
        for id in ["h2-a", "h2-b"] {
            let req = Request::post(proxy.url("/v1/models/iris:predict"))
                .header("content-type", "application/json")
                .header("x-request-id", id)
                .body(Full::new(Bytes::from(body.clone())))
                .unwrap();
            let resp = client.request(req).await.unwrap();
            versions.push(resp.version());
            let status = resp.status();
            let bytes = resp.into_body().collect().await.unwrap().to_bytes();
            answers.push((status, serde_json::from_slice::<Value>(&bytes).unwrap()));
        }
        let req = Request::get(proxy.url("/headers?q=1"))
            .header("x-custom", "kept")
            .header("cookie", "a=1")
            .header("cookie", "b=2")
            .body(Full::new(Bytes::new()))
            .unwrap();
        let resp = client.request(req).await.unwrap();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (
            versions,
            answers,
            serde_json::from_slice::<Value>(&bytes).unwrap(),
        )
    });
    assert_eq!(versions, vec![hyper::Version::HTTP_2; 2]);
    for (status, answer) in &answers {
        assert_eq!(*status, StatusCode::OK);
        assert_eq!(answer["predictions"], json!(["setosa", "virginica"]));
    }
    // The model saw an HTTP/1.1 request with the path, query and the client's header.
    assert_eq!(seen["@uri"], "/headers?q=1", "{seen}");
    assert_eq!(seen["x-custom"], "kept", "{seen}");
    assert!(seen["x-forwarded-for"].is_string(), "{seen}");
    // The host the client asked for (HTTP/2's :authority), not the model's address, and the
    // cookie fields joined into one as HTTP/1.1 wants.
    let asked = proxy.addr.to_string();
    assert_eq!(seen["host"], asked.as_str(), "{seen}");
    assert_eq!(seen["x-forwarded-host"], asked.as_str(), "{seen}");
    assert_eq!(seen["cookie"], "a=1; b=2", "{seen}");

    eventually("4 events stored", || event_count(&server) == 4);
    let mut ids: Vec<String> = stored(&server).into_iter().filter_map(|e| e.0).collect();
    ids.sort();
    assert_eq!(ids, ["h2-a-0", "h2-a-1", "h2-b-0", "h2-b-1"]);
}

#[test]
fn batches_over_the_servers_body_limit_are_split_and_an_event_too_large_alone_is_counted() {
    // A server taking bodies of 200 kB at most; the proxy's batch cap (8 MiB) is above it,
    // so only the split on 413 can deliver.
    let server = TestServer::start(ServerConfig {
        max_body_bytes: 200_000,
        ..ServerConfig::default()
    });
    create_iris(&server, "iris");
    let proxy = Proxy::start(config(Some(&server)));
    let note = "x".repeat(33_000);
    let instance = |i: usize, note: &str| {
        json!({"sepal_length": 5.0 + i as f64 / 100.0, "sepal_width": 3.5,
               "petal_length": 1.4, "petal_width": 0.2, "note": note})
    };
    // 20 rows of ~33 kB: one batch of ~660 kB, refused with 413, split to fit.
    let body =
        json!({"instances": (0..20).map(|i| instance(i, &note)).collect::<Vec<_>>()}).to_string();
    let a = call(
        "POST",
        &proxy.url("/v1/models/iris:predict"),
        &[
            ("Content-Type", "application/json"),
            ("x-request-id", "big"),
        ],
        Some(body.as_bytes()),
    );
    assert_eq!(a.status, 200);
    eventually("20 events sent", || {
        proxy.metric("modelwatch_proxy_events_sent_total") == 20.0
    });
    // One row that alone is over the server's limit: dropped with its reason.
    let huge = json!({"instances": [instance(0, &"y".repeat(300_000))]}).to_string();
    let a = call(
        "POST",
        &proxy.url("/v1/models/iris:predict"),
        &[
            ("Content-Type", "application/json"),
            ("x-request-id", "huge"),
        ],
        Some(huge.as_bytes()),
    );
    assert_eq!(a.status, 200);
    eventually("the huge event dropped", || {
        proxy.metric(r#"modelwatch_proxy_events_dropped_total{reason="too_large"}"#) == 1.0
    });
    assert_eq!(proxy.metric("modelwatch_proxy_events_sent_total"), 20.0);
    assert_eq!(proxy.metric("modelwatch_proxy_events_refused_total"), 0.0);
    assert_eq!(proxy.metric("modelwatch_proxy_queue_events"), 0.0);
    let rows = stored(&server);
    assert_eq!(rows.len(), 20);
    let ids: Vec<String> = rows.iter().map(|r| r.0.clone().unwrap()).collect();
    let want: Vec<String> = (0..20).map(|i| format!("big-{i}")).collect();
    assert_eq!(ids, want);
    assert_eq!(rows[7].1["note"].as_str().map(str::len), Some(33_000));
}

#[test]
fn model_columns_named_like_serving_facts_are_kept_under_input_and_output() {
    let server = TestServer::start(ServerConfig::default());
    create_iris(&server, "iris");
    let proxy = Proxy::start(config(Some(&server)));
    // Inputs with columns `id`, `status`, `timestamp` and `error` of their own.
    let body = json!({"instances": [
        {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2,
         "id": "customer-17", "status": "gold", "timestamp": "yesterday", "error": 0.5},
        {"sepal_length": 6.3, "sepal_width": 3.3, "petal_length": 6.0, "petal_width": 2.5,
         "id": "customer-18", "status": "lead", "timestamp": "today", "error": 0.25}
    ]})
    .to_string();
    let a = call(
        "POST",
        &proxy.url("/v1/models/iris:predict"),
        &[
            ("Content-Type", "application/json"),
            ("x-request-id", "req"),
        ],
        Some(body.as_bytes()),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    eventually("2 events sent", || {
        proxy.metric("modelwatch_proxy_events_sent_total") == 2.0
    });
    assert_eq!(proxy.metric("modelwatch_proxy_events_refused_total"), 0.0);
    let events = stored(&server);
    assert_eq!(events.len(), 2);
    // The serving facts are the proxy's; the model's values stay, under `input.`.
    assert_eq!(
        (events[0].0.as_deref(), events[0].3, events[0].4.as_deref()),
        (Some("req-0"), Some(200), None)
    );
    assert_eq!(
        events[0].1,
        json!({"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2,
               "input.id": "customer-17", "input.status": "gold",
               "input.timestamp": "yesterday", "input.error": 0.5, "species": "setosa"})
    );
    // The second row carries no facts: its `status` is not read as one.
    assert_eq!((events[1].0.as_deref(), events[1].3), (Some("req-1"), None));
    assert_eq!(events[1].1["input.status"], "lead");
}

#[test]
fn the_queue_is_bounded_by_bytes_while_the_server_is_down() {
    // No server listens: every batch fails and the events pile up, ~33 kB each.
    let proxy = Proxy::start(ProxyConfig {
        server: Some(format!("http://127.0.0.1:{}", free_port())),
        max_queue_bytes: 100_000,
        max_backoff: "100ms".into(),
        ..config(None)
    });
    let note = "x".repeat(33_000);
    for i in 0..10 {
        let body = json!({"instances": [{"sepal_length": 5.1, "sepal_width": 3.5,
            "petal_length": 1.4, "petal_width": 0.2, "note": note}]})
        .to_string();
        let id = format!("r{i}");
        let a = call(
            "POST",
            &proxy.url("/v1/models/iris:predict"),
            &[("Content-Type", "application/json"), ("x-request-id", &id)],
            Some(body.as_bytes()),
        );
        assert_eq!(a.status, 200);
    }
    let dropped = |text: &str, reason: &str| {
        sample(
            text,
            &format!("modelwatch_proxy_events_dropped_total{{reason=\"{reason}\"}}"),
        )
    };
    // Each request is one event, made by the sender unless the hand-off (bounded by the
    // same bytes) dropped it first, which a busy host may make happen.
    eventually("10 requests accounted for", || {
        let text = get(&proxy.metrics).body;
        sample(&text, "modelwatch_proxy_events_captured_total")
            + dropped(&text, "handoff_bytes")
            + dropped(&text, "handoff_full")
            == 10.0
    });
    let text = get(&proxy.metrics).body;
    let queued = sample(&text, "modelwatch_proxy_queue_events");
    let bytes = sample(&text, "modelwatch_proxy_queue_bytes");
    // At most three events of ~33 kB fit in 100 kB; one more may be in flight.
    assert!(queued <= 3.0 && bytes <= 100_000.0, "{queued} {bytes}");
    assert!(bytes >= queued * 33_000.0, "{queued} {bytes}");
    let lost = dropped(&text, "queue_bytes") + dropped(&text, "handoff_bytes");
    assert!(lost >= 6.0, "{text}");
    assert_eq!(
        sample(
            &text,
            r#"modelwatch_proxy_events_dropped_total{reason="queue_full"}"#
        ),
        0.0
    );
}
