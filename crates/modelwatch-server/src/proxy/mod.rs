//! `modelwatch proxy`: a sidecar reverse proxy in front of a model's HTTP service. It
//! forwards every request unchanged (hop-by-hop headers aside, `x-forwarded-*` added),
//! records each route's requests, latency and errors on its own `/metrics`, and turns the
//! JSON bodies of captured routes into events sent to a modelwatch server, off the request
//! path: a record is handed to one sender task when the answer's body ends; the task
//! parses the bodies, queues the events in a bounded [`queue::CaptureQueue`] and posts
//! them in batches. A slow or absent server costs the model's traffic nothing: the oldest
//! events are dropped and counted.
//!
//! - [`config`]: the settings; [`routes`]: route labels and what is captured;
//!   [`headers`]: the header rewriting of a reverse proxy;
//! - [`fast`]: plain HTTP/1.1 exchanges forwarded by hand; [`forward`]: everything else,
//!   through hyper's server and client; [`capture`]: bodies copied as they pass;
//!   [`payload`]: JSON bodies to rows (KServe v1, Open Inference Protocol v2, flat JSON,
//!   JSON pointers); [`queue`]: the bounded queue; [`sender`]: the task that sends;
//! - [`metrics`]: the families of the proxy's `/metrics`.
//!
//! A proxy runs as `modelwatch proxy`, or inside `modelwatch serve` from a `[[proxies]]`
//! table ([`start_in_process`]), committing to the server's store in the same process.

pub mod capture;
pub mod config;
mod fast;
mod flat;
pub mod forward;
pub mod handoff;
pub mod headers;
pub mod metrics;
pub mod payload;
pub mod queue;
pub mod routes;
mod sender;

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::metrics::{Encoder, ExpositionFormat};
use config::{Checked, ProxyConfig, ProxyConfigError};
use forward::ProxyBody;
use metrics::ProxyMetrics;
use queue::CaptureQueue;
use routes::RouteTable;

/// Exchanges waiting to be turned into events; beyond, the oldest are dropped and counted
/// (the sender turns them into events as fast as they come unless the host is saturated).
/// Their captured bodies are bounded by `max_queue_bytes` too.
const HANDOFF_CAPACITY: usize = 4096;

/// How long the proxy keeps sending queued events after it stops accepting requests.
const FLUSH_ON_STOP: Duration = Duration::from_secs(2);

/// What the request path and the sender share.
pub(crate) struct Shared {
    config: ProxyConfig,
    checked: Checked,
    routes: RouteTable,
    client: Client<HttpConnector, ProxyBody>,
    metrics: ProxyMetrics,
    /// Whether events are sent (a server is configured).
    sending: bool,
    exchanges: handoff::Handoff,
}

/// A running proxy's handles: its metrics and queue, for the `/metrics` listener.
#[derive(Clone)]
pub struct ProxyHandle {
    shared: Arc<Shared>,
    queue: Arc<Mutex<CaptureQueue<Vec<u8>>>>,
}

impl ProxyHandle {
    /// The proxy's `/metrics` text in `format`.
    pub fn encode_metrics(&self, format: ExpositionFormat) -> String {
        let (counts, queued) = {
            let q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
            (q.counts(), (q.len(), q.bytes()))
        };
        let mut enc = Encoder::new(format);
        let handoff = self.shared.exchanges.drops();
        self.shared
            .metrics
            .encode(&mut enc, counts, handoff, queued);
        enc.finish()
    }
}

/// Serves the proxy on `listener` (and `/metrics` on `metrics_listener`) until `shutdown`
/// completes, then sends what is queued for up to two seconds.
pub async fn run(
    config: ProxyConfig,
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ProxyConfigError> {
    run_with(config, None, listener, metrics_listener, shutdown).await
}

/// [`run`], with events committed to `store`'s own store when given (a proxy of the
/// serve config) instead of sent to `config.server`.
async fn run_with(
    config: ProxyConfig,
    store: Option<Arc<crate::AppState>>,
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ProxyConfigError> {
    let checked = config.check()?;
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let client = Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(90))
        .build(connector);
    let destination = match store {
        Some(state) => Some(sender::Sink::Store {
            state,
            project: config.project.clone(),
        }),
        None => checked.server.as_ref().map(|s| {
            sender::Sink::Http(sender::Destination::new(
                s,
                &config.project,
                config.token.as_deref(),
            ))
        }),
    };
    let queue = Arc::new(Mutex::new(CaptureQueue::new(
        queue::QueueBounds {
            capacity: config.queue_size,
            max_bytes: config.max_queue_bytes,
            batch_size: config.batch_size,
            max_batch_bytes: config.max_batch_bytes,
        },
        checked.max_delay.as_micros() as i64,
        checked.max_backoff.as_micros() as i64,
    )));
    let handoff = handoff::Handoff::new(HANDOFF_CAPACITY, config.max_queue_bytes);
    let shared = Arc::new(Shared {
        routes: RouteTable::new(&config),
        sending: destination.is_some(),
        config,
        checked,
        client,
        metrics: ProxyMetrics::default(),
        exchanges: handoff,
    });
    let handle = ProxyHandle {
        shared: shared.clone(),
        queue: queue.clone(),
    };
    let (stop_tx, stop_rx) = oneshot::channel();
    let sender = destination.map(|to| {
        tokio::spawn(sender::run(
            shared.clone(),
            queue.clone(),
            stop_rx,
            to,
            FLUSH_ON_STOP,
        ))
    });
    let metrics_task = metrics_listener.map(|l| tokio::spawn(serve_metrics(l, handle)));

    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((stream, client_addr)) = accepted else {
                    // Out of file descriptors and the like: wait a little, go on.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let shared = shared.clone();
                tokio::spawn(async move {
                    // Plain HTTP/1.1 requests first; the first that is not hands the
                    // connection to hyper with what was read of it.
                    let (stream, read) =
                        match fast::serve(shared.clone(), stream, client_addr).await {
                            fast::Served::Done => return,
                            fast::Served::HandOver(stream, read) => (stream, read),
                        };
                    let svc = service_fn(move |req: Request<Incoming>| {
                        forward::handle(shared.clone(), req, client_addr)
                    });
                    // HTTP/1.1 and h2c with prior knowledge on the same port (the first
                    // bytes tell which); the model is always spoken to in HTTP/1.1.
                    let mut builder = auto::Builder::new(TokioExecutor::new());
                    builder.http1().keep_alive(true);
                    let io = TokioIo::new(fast::Prefixed::new(stream, read));
                    let _ = builder.serve_connection_with_upgrades(io, svc).await;
                });
            }
        }
    }
    if let Some(t) = metrics_task {
        t.abort();
    }
    // Connections still open may go on; what they record after this is not sent.
    let _ = stop_tx.send(());
    if let Some(s) = sender {
        let _ = tokio::time::timeout(FLUSH_ON_STOP + Duration::from_millis(500), s).await;
    }
    Ok(())
}

async fn serve_metrics(listener: TcpListener, handle: ProxyHandle) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let handle = handle.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req: Request<Incoming>| {
                let handle = handle.clone();
                async move {
                    let mut resp = if req.uri().path() == "/metrics" {
                        let format = ExpositionFormat::negotiate(
                            req.headers()
                                .get(header::ACCEPT)
                                .and_then(|v| v.to_str().ok()),
                        );
                        let mut r =
                            Response::new(Full::new(Bytes::from(handle.encode_metrics(format))));
                        r.headers_mut().insert(
                            header::CONTENT_TYPE,
                            HeaderValue::from_static(format.content_type()),
                        );
                        r
                    } else {
                        let mut r = Response::new(Full::new(Bytes::from_static(b"not found\n")));
                        *r.status_mut() = StatusCode::NOT_FOUND;
                        r
                    };
                    resp.headers_mut()
                        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                    Ok::<_, std::convert::Infallible>(resp)
                }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

/// A proxy started by [`start_in_process`].
pub struct RunningProxy {
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

/// Starts the `[[proxies]]` of the server's config, each committing its events to the
/// server's store through the ingestion API's validation, in this process.
pub async fn start_in_process(state: &Arc<crate::AppState>) -> std::io::Result<Vec<RunningProxy>> {
    let mut running = Vec::new();
    for p in &state.config.proxies {
        let mut p = p.clone();
        // The server's own body limit: no batch is made larger than a client could send.
        p.max_batch_bytes = p.max_batch_bytes.min(state.config.max_body_bytes);
        let listener = TcpListener::bind(p.listen).await?;
        let metrics = match p.metrics_listen {
            Some(m) => Some(TcpListener::bind(m).await?),
            None => None,
        };
        tracing::info!(listen = %listener.local_addr()?, upstream = %p.upstream, project = %p.project, "proxy");
        let (stop, stopped) = oneshot::channel::<()>();
        let state = state.clone();
        let task = tokio::spawn(async move {
            if let Err(e) = run_with(p, Some(state), listener, metrics, async {
                let _ = stopped.await;
            })
            .await
            {
                tracing::error!("proxy: {e}");
            }
        });
        running.push(RunningProxy { stop, task });
    }
    Ok(running)
}

/// Stops the proxies and waits until each has sent what it queued (at most two seconds).
pub async fn stop_all(proxies: Vec<RunningProxy>) {
    let tasks: Vec<_> = proxies
        .into_iter()
        .map(|p| {
            let _ = p.stop.send(());
            p.task
        })
        .collect();
    for t in tasks {
        let _ = t.await;
    }
}
