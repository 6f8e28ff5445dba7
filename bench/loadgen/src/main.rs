//! A bounded HTTP load generator for `modelwatch serve` ingestion.
//!
//! Opens `--connections` keep-alive HTTP/1.1 connections (one hyper client connection per
//! worker task, on a small tokio runtime so the client stays cheap next to the server) and
//! posts iris-like events to `POST /api/v1/projects/{project}/events`, either in batches
//! (`--mode batch`, `--batch 100` events per request, a JSON array) or one event per
//! request (`--mode single`, a JSON object). The run is bounded by `--duration` seconds
//! and/or `--requests`.
//!
//! Closed loop by default (each connection sends its next request when the previous one is
//! answered); `--rate R` makes it open loop at R requests/s in total, with latency measured
//! from each request's scheduled send time (so a stalled server is not hidden by the client
//! waiting: no coordinated omission).
//!
//! Prints throughput (events/s, requests/s), per-request latency p50/p90/p99/max from an
//! HDR histogram, errors, and the number of events the server acknowledged (the sum of
//! `accepted` over 2xx answers). The last line, `RESULT key=value ...`, is for scripts.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;

const USAGE: &str = "\
usage: modelwatch-loadgen --url http://127.0.0.1:PORT [options]
  --project NAME        project to post to [iris]
  --mode batch|single|kserve  events per request: --batch N, one JSON object, or one
                        KServe v1 instance to --path [batch]
  --path PATH           request path [/api/v1/projects/{project}/events; kserve:
                        /v1/models/iris:predict]
  --batch N             events per request in batch mode [100]
  --connections C       concurrent keep-alive connections [4]
  --duration SECS       stop sending after SECS seconds [10]
  --requests N          stop after N requests in total (with or without --duration)
  --rate R              open loop: R requests/s in total (latency from scheduled send)
  --threads T           client runtime threads [1]
  --timeout SECS        per-request timeout, counted as an error [30]
  --token TOKEN         bearer token (when the server has tokens)
  --facts               add serving facts (latency_seconds, status) to each event";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Batch,
    Single,
    Kserve,
}

#[derive(Debug)]
struct Opts {
    authority: String,
    project: String,
    mode: Mode,
    batch: usize,
    connections: usize,
    duration: Option<Duration>,
    requests: Option<u64>,
    rate: Option<f64>,
    threads: usize,
    timeout: Duration,
    token: Option<String>,
    facts: bool,
    path: Option<String>,
}

fn parse_opts() -> Result<Opts, String> {
    let mut o = Opts {
        authority: String::new(),
        project: "iris".into(),
        mode: Mode::Batch,
        batch: 100,
        connections: 4,
        duration: None,
        requests: None,
        rate: None,
        threads: 1,
        timeout: Duration::from_secs(30),
        token: None,
        facts: false,
        path: None,
    };
    let mut duration_given = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--url" => {
                let u = val("--url")?;
                let rest = u
                    .strip_prefix("http://")
                    .ok_or("--url must start with http://")?;
                o.authority = rest.trim_end_matches('/').to_string();
            }
            "--project" => o.project = val("--project")?,
            "--mode" => {
                o.mode = match val("--mode")?.as_str() {
                    "batch" => Mode::Batch,
                    "single" => Mode::Single,
                    "kserve" => Mode::Kserve,
                    m => return Err(format!("unknown mode `{m}` (batch, single or kserve)")),
                }
            }
            "--batch" => o.batch = num(&val("--batch")?)?,
            "--connections" | "-c" => o.connections = num(&val("--connections")?)?,
            "--duration" | "-d" => {
                let s: f64 = num(&val("--duration")?)?;
                o.duration = Some(Duration::from_secs_f64(s));
                duration_given = true;
            }
            "--requests" | "-n" => o.requests = Some(num(&val("--requests")?)?),
            "--rate" => o.rate = Some(num(&val("--rate")?)?),
            "--threads" => o.threads = num(&val("--threads")?)?,
            "--timeout" => o.timeout = Duration::from_secs_f64(num(&val("--timeout")?)?),
            "--token" => o.token = Some(val("--token")?),
            "--facts" => o.facts = true,
            "--path" => o.path = Some(val("--path")?),
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    if o.authority.is_empty() {
        return Err(format!("--url is required\n{USAGE}"));
    }
    if !duration_given && o.requests.is_none() {
        o.duration = Some(Duration::from_secs(10));
    }
    if o.connections == 0 || o.batch == 0 || o.threads == 0 {
        return Err("--connections, --batch and --threads must be positive".into());
    }
    if o.mode != Mode::Batch {
        o.batch = 1;
    }
    Ok(o)
}

fn num<T: std::str::FromStr>(s: &str) -> Result<T, String> {
    s.parse().map_err(|_| format!("`{s}` is not a number"))
}

/// A small deterministic PRNG (xorshift64*), so bodies are the same on every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One iris-like event as a JSON object.
fn event_json(rng: &mut Rng, facts: bool) -> String {
    let species = ["setosa", "versicolor", "virginica"][(rng.next() % 3) as usize];
    let mut s = format!(
        "{{\"sepal_length\":{:.1},\"sepal_width\":{:.1},\"petal_length\":{:.1},\"petal_width\":{:.1},\"species\":\"{species}\"",
        rng.uniform(4.3, 7.9),
        rng.uniform(2.0, 4.4),
        rng.uniform(1.0, 6.9),
        rng.uniform(0.1, 2.5),
    );
    if facts {
        let status = if rng.next().is_multiple_of(100) {
            500
        } else {
            200
        };
        s.push_str(&format!(
            ",\"latency_seconds\":{:.4},\"status\":{status}",
            rng.uniform(0.001, 0.05)
        ));
    }
    s.push('}');
    s
}

/// `variants` distinct request bodies, each holding `per_body` events.
fn make_bodies(mode: Mode, per_body: usize, variants: usize, facts: bool) -> Vec<Bytes> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    (0..variants)
        .map(|_| {
            let body = match mode {
                Mode::Single => event_json(&mut rng, facts),
                Mode::Kserve => format!("{{\"instances\":[{}]}}", event_json(&mut rng, false)),
                Mode::Batch => {
                    let items: Vec<String> =
                        (0..per_body).map(|_| event_json(&mut rng, facts)).collect();
                    format!("[{}]", items.join(","))
                }
            };
            Bytes::from(body)
        })
        .collect()
}

/// The `accepted` count in the server's answer, if any.
fn accepted_of(body: &[u8]) -> Option<u64> {
    let key = b"\"accepted\":";
    let at = body.windows(key.len()).position(|w| w == key)? + key.len();
    let digits: Vec<u8> = body[at..]
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take_while(|b| b.is_ascii_digit())
        .copied()
        .collect();
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

struct Shared {
    opts: Opts,
    path: String,
    bodies: Vec<Bytes>,
    start: Instant,
    deadline: Option<Instant>,
    issued: AtomicU64,
    stop: AtomicBool,
}

impl Shared {
    /// Claims the next request slot; `None` when the run is over.
    fn claim(&self) -> Option<u64> {
        if self.stop.load(Ordering::Relaxed) {
            return None;
        }
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return None;
        }
        let n = self.issued.fetch_add(1, Ordering::Relaxed);
        if self.opts.requests.is_some_and(|max| n >= max) {
            return None;
        }
        Some(n)
    }
}

struct Stats {
    latency_us: Histogram<u64>,
    /// Send to answer (differs from `latency_us` in open loop only).
    service_us: Histogram<u64>,
    /// Open loop: how late the client sent a request whose connection was idle at its
    /// scheduled time (the client's own scheduling lag, not the server's).
    client_lag_us: Histogram<u64>,
    ok: u64,
    non_2xx: u64,
    transport_errors: u64,
    timeouts: u64,
    events_sent: u64,
    events_acked: u64,
    first_error: Option<String>,
}

impl Stats {
    fn new() -> Self {
        Self {
            latency_us: Histogram::new_with_bounds(1, 120_000_000, 3).expect("histogram bounds"),
            service_us: Histogram::new_with_bounds(1, 120_000_000, 3).expect("histogram bounds"),
            client_lag_us: Histogram::new_with_bounds(1, 120_000_000, 3).expect("histogram bounds"),
            ok: 0,
            non_2xx: 0,
            transport_errors: 0,
            timeouts: 0,
            events_sent: 0,
            events_acked: 0,
            first_error: None,
        }
    }
    fn merge(&mut self, o: Stats) {
        self.latency_us.add(&o.latency_us).expect("same bounds");
        self.service_us.add(&o.service_us).expect("same bounds");
        self.client_lag_us
            .add(&o.client_lag_us)
            .expect("same bounds");
        self.ok += o.ok;
        self.non_2xx += o.non_2xx;
        self.transport_errors += o.transport_errors;
        self.timeouts += o.timeouts;
        self.events_sent += o.events_sent;
        self.events_acked += o.events_acked;
        if self.first_error.is_none() {
            self.first_error = o.first_error;
        }
    }
    fn error(&mut self, e: String) {
        if self.first_error.is_none() {
            self.first_error = Some(e);
        }
    }
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn connect(authority: &str) -> Result<Sender, String> {
    let stream = tokio::net::TcpStream::connect(authority)
        .await
        .map_err(|e| format!("connect {authority}: {e}"))?;
    let _ = stream.set_nodelay(true);
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

async fn worker(shared: Arc<Shared>, index: usize) -> Stats {
    let o = &shared.opts;
    let mut stats = Stats::new();
    let mut sender: Option<Sender> = None;
    // Open loop: this connection's share of the rate, staggered across connections.
    let interval = o
        .rate
        .map(|r| Duration::from_secs_f64(o.connections as f64 / r));
    let mut next_at =
        interval.map(|i| shared.start + i.mul_f64(index as f64 / o.connections as f64));
    let mut k = index;
    let mut prev_done = shared.start;
    while let Some(_n) = shared.claim() {
        let scheduled = match (next_at, interval) {
            (Some(at), Some(i)) => {
                tokio::time::sleep_until(at.into()).await;
                next_at = Some(at + i);
                if prev_done <= at {
                    let lag = at.elapsed().as_micros().max(1) as u64;
                    stats.client_lag_us.saturating_record(lag);
                }
                at
            }
            _ => Instant::now(),
        };
        if sender.as_ref().is_none_or(|s| s.is_closed()) {
            match connect(&o.authority).await {
                Ok(s) => sender = Some(s),
                Err(e) => {
                    stats.transport_errors += 1;
                    stats.error(e);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            }
        }
        let s = sender.as_mut().expect("connected");
        let body = shared.bodies[k % shared.bodies.len()].clone();
        k += o.connections;
        let mut req = Request::post(shared.path.as_str())
            .header(hyper::header::HOST, o.authority.as_str())
            .header(hyper::header::CONTENT_TYPE, "application/json");
        if let Some(t) = &o.token {
            req = req.header(hyper::header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = req.body(Full::new(body)).expect("a valid request");
        stats.events_sent += o.batch as u64;
        let sent = Instant::now();
        let exchange = async {
            s.ready().await.map_err(|e| format!("not ready: {e}"))?;
            let resp = s
                .send_request(req)
                .await
                .map_err(|e| format!("request: {e}"))?;
            let status = resp.status();
            let bytes = resp
                .into_body()
                .collect()
                .await
                .map_err(|e| format!("response body: {e}"))?
                .to_bytes();
            Ok::<_, String>((status, bytes))
        };
        match tokio::time::timeout(o.timeout, exchange).await {
            Err(_) => {
                stats.timeouts += 1;
                stats.error(format!("timed out after {:?}", o.timeout));
                sender = None;
            }
            Ok(Err(e)) => {
                stats.transport_errors += 1;
                stats.error(e);
                sender = None;
            }
            Ok(Ok((status, bytes))) => {
                prev_done = Instant::now();
                let us = (prev_done - scheduled).as_micros().max(1) as u64;
                stats.latency_us.saturating_record(us);
                let us = (prev_done - sent).as_micros().max(1) as u64;
                stats.service_us.saturating_record(us);
                if status.is_success() {
                    stats.ok += 1;
                    stats.events_acked += accepted_of(&bytes).unwrap_or(0);
                } else {
                    stats.non_2xx += 1;
                    stats.error(format!(
                        "HTTP {status}: {}",
                        String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
                    ));
                }
            }
        }
    }
    stats
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

fn main() {
    let opts = match parse_opts() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("modelwatch-loadgen: {e}");
            std::process::exit(2);
        }
    };
    let runtime = if opts.threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(opts.threads)
            .enable_all()
            .build()
    }
    .expect("tokio runtime");
    let bodies = make_bodies(opts.mode, opts.batch, 64, opts.facts);
    let body_bytes = bodies.iter().map(Bytes::len).sum::<usize>() / bodies.len();
    let path = match (&opts.path, opts.mode) {
        (Some(p), _) => p.clone(),
        (None, Mode::Kserve) => "/v1/models/iris:predict".to_string(),
        (None, _) => format!(
            "/api/v1/projects/{}/events",
            opts.project.replace('%', "%25").replace(' ', "%20")
        ),
    };
    let connections = opts.connections;
    let start = Instant::now();
    let shared = Arc::new(Shared {
        deadline: opts.duration.map(|d| start + d),
        opts,
        path,
        bodies,
        start,
        issued: AtomicU64::new(0),
        stop: AtomicBool::new(false),
    });
    let (total, elapsed) = runtime.block_on(async {
        let handles: Vec<_> = (0..connections)
            .map(|i| tokio::spawn(worker(shared.clone(), i)))
            .collect();
        let mut total = Stats::new();
        for h in handles {
            total.merge(h.await.expect("worker task"));
        }
        (total, start.elapsed())
    });
    let o = &shared.opts;
    let secs = elapsed.as_secs_f64();
    let requests = total.ok + total.non_2xx;
    let h = &total.latency_us;
    let mode = match o.mode {
        Mode::Batch => "batch",
        Mode::Single => "single",
        Mode::Kserve => "kserve",
    };
    println!(
        "mode {mode}: {} events/request ({body_bytes} bytes), {} connections, {:.2} s{}",
        o.batch,
        o.connections,
        secs,
        o.rate
            .map_or(String::new(), |r| format!(", open loop at {r} req/s"))
    );
    println!(
        "requests: {} ok (2xx), {} non-2xx, {} transport errors, {} timeouts",
        total.ok, total.non_2xx, total.transport_errors, total.timeouts
    );
    println!(
        "events: {} acknowledged of {} sent",
        total.events_acked, total.events_sent
    );
    println!(
        "throughput: {:.0} events/s acknowledged, {:.0} requests/s",
        total.events_acked as f64 / secs,
        requests as f64 / secs
    );
    println!(
        "latency ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2}",
        ms(h.value_at_quantile(0.50)),
        ms(h.value_at_quantile(0.90)),
        ms(h.value_at_quantile(0.99)),
        ms(h.value_at_quantile(0.999)),
        ms(h.max())
    );
    if o.rate.is_some() {
        let s = &total.service_us;
        let l = &total.client_lag_us;
        println!(
            "  (latency above is from each request's scheduled send time; send to answer: \
             p50 {:.2}  p99 {:.2}  max {:.2}; client lag on idle connections: p99 {:.2}  max {:.2})",
            ms(s.value_at_quantile(0.50)),
            ms(s.value_at_quantile(0.99)),
            ms(s.max()),
            ms(l.value_at_quantile(0.99)),
            ms(l.max())
        );
    }
    if let Some(e) = &total.first_error {
        println!("first error: {e}");
    }
    println!(
        "RESULT mode={mode} batch={} conns={} secs={:.3} requests={requests} ok={} errors={} \
         events_sent={} events_acked={} events_per_s={:.0} req_per_s={:.0} \
         p50_ms={:.3} p90_ms={:.3} p99_ms={:.3} max_ms={:.3} service_p99_ms={:.3} \
         client_lag_p99_ms={:.3}",
        o.batch,
        o.connections,
        secs,
        total.ok,
        total.non_2xx + total.transport_errors + total.timeouts,
        total.events_sent,
        total.events_acked,
        total.events_acked as f64 / secs,
        requests as f64 / secs,
        ms(h.value_at_quantile(0.50)),
        ms(h.value_at_quantile(0.90)),
        ms(h.value_at_quantile(0.99)),
        ms(h.max()),
        ms(total.service_us.value_at_quantile(0.99)),
        ms(total.client_lag_us.value_at_quantile(0.99)),
    );
    let failed = total.non_2xx + total.transport_errors + total.timeouts;
    std::process::exit(if failed > 0 && total.ok == 0 { 1 } else { 0 });
}
