//! `modelwatch demo`: the server with an `iris` project and a `photos` project, and built-in
//! clients whose traffic drifts, so the dashboard shows monitoring at work within a minute.
//!
//! The `photos` project watches a model that classifies phone photos; its traffic is
//! described in [`crate::demo_photos`]: after `--camera-start` a new phone camera appears.
//!
//! The client talks to the server over loopback HTTP like any model service would: it
//! sends prediction events (the four Iris measurements, the model's prediction, and the
//! serving facts `latency_seconds` and `status`) and, a few seconds later, the true species
//! as labels. The data is a deterministic function of `--seed`, `--rate` and the event's
//! number: `petal_length` drifts first (from `--drift-start`), `petal_width` 15 s later and
//! `sepal_length` 30 s later; `sepal_width` goes missing more often. The built-in model (a
//! small decision tree) predicts from the drifted inputs, so its predictions shift and its
//! accuracy against the labels falls.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use modelwatch_server::config::ServerConfig;
use modelwatch_server::store::sqlite::SqliteStore;
use modelwatch_server::AppState;
use serde_json::json;

/// The Iris reference, built into the binary so the demo runs from any directory.
const IRIS: &[u8] = include_bytes!("../../../examples/iris/reference.csv");

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The SQLite store [default: a temporary file, removed at the end].
    #[arg(long)]
    pub db: Option<PathBuf>,
    /// Seed of the traffic generator: the same seed sends the same events.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Stop after this long (`90s`, `5m`) [default: run until Ctrl-C].
    #[arg(long, value_parser = humantime::parse_duration)]
    pub duration: Option<Duration>,
    /// Time between snapshots.
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    pub interval: Duration,
    /// How far back each snapshot looks.
    #[arg(long, default_value = "1m", value_parser = humantime::parse_duration)]
    pub window: Duration,
    /// Prediction events per second.
    #[arg(long, default_value_t = 20.0)]
    pub rate: f64,
    /// When `petal_length` starts drifting.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    pub drift_start: Duration,
    /// Serve under this path prefix (as `serve --base-path`).
    #[arg(long)]
    pub base_path: Option<String>,
    /// Photos per second sent to the `photos` project (0: no photos project).
    #[arg(long, default_value_t = 2.0)]
    pub photo_rate: f64,
    /// When the new phone camera starts to appear in the photos.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    pub camera_start: Duration,
}

/// Photos in the `photos` project's reference.
const REFERENCE_PHOTOS: usize = 200;

/// One reference row: the four measurements and the species.
#[derive(Debug, Clone)]
struct IrisRow {
    x: [f64; 4],
    species: String,
}

/// The embedded Iris rows.
fn iris_rows() -> Vec<IrisRow> {
    String::from_utf8_lossy(IRIS)
        .lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.trim().split(',').collect();
            if f.len() != 5 {
                return None;
            }
            let mut x = [0.0; 4];
            for (i, v) in f[..4].iter().enumerate() {
                x[i] = v.parse().ok()?;
            }
            Some(IrisRow {
                x,
                species: f[4].to_string(),
            })
        })
        .collect()
}

/// The demo's model: a depth-3 decision tree on the petal measurements (about 97% right
/// on the reference).
pub fn predict(x: &[f64; 4]) -> &'static str {
    let (petal_length, petal_width) = (x[2], x[3]);
    if petal_length < 2.45 {
        "setosa"
    } else if petal_width < 1.75 {
        if petal_length < 4.95 {
            "versicolor"
        } else {
            "virginica"
        }
    } else {
        "virginica"
    }
}

/// The reference the project gets: Iris with the model's prediction as a column.
fn reference_csv(rows: &[IrisRow]) -> String {
    let mut s =
        String::from("sepal_length,sepal_width,petal_length,petal_width,species,prediction\n");
    for r in rows {
        s.push_str(&format!(
            "{},{},{},{},{},{}\n",
            r.x[0],
            r.x[1],
            r.x[2],
            r.x[3],
            r.species,
            predict(&r.x)
        ));
    }
    s
}

/// SplitMix64: a small, seedable generator (Steele, Lea and Flood 2014).
pub struct SplitMix(pub u64);

impl SplitMix {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u = self.unit().max(1e-12);
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// How far each measurement has drifted at `t` seconds (`start`: when drift begins).
pub fn drift_at(t: f64, start: f64) -> [f64; 4] {
    let ramp = |after: f64, per_s: f64, cap: f64| ((t - start - after).max(0.0) * per_s).min(cap);
    [
        ramp(30.0, 0.04, 1.5), // sepal_length, last
        0.0,                   // sepal_width: goes missing instead
        ramp(0.0, 0.12, 3.0),  // petal_length, first
        ramp(15.0, 0.05, 1.2), // petal_width
    ]
}

/// The generated traffic: event `n` is a function of the seed and `n` only.
pub struct Traffic {
    rng: SplitMix,
    rows: Vec<IrisRow>,
    rate: f64,
    drift_start: f64,
    sent: u64,
    /// Rows are drawn without replacement, a fresh shuffle per pass, so every window holds
    /// the reference's species mix and only the drift moves the distributions.
    order: Vec<usize>,
}

/// One prediction event and its label.
pub struct Generated {
    pub event: serde_json::Value,
    pub id: String,
    pub species: String,
    /// The event's nominal time in seconds from the start.
    pub t: f64,
}

impl Traffic {
    pub fn new(seed: u64, rate: f64, drift_start: f64) -> Self {
        Self {
            rng: SplitMix(seed ^ 0x6d6f_6465_6c77_6174),
            rows: iris_rows(),
            rate,
            drift_start,
            sent: 0,
            order: Vec::new(),
        }
    }

    pub fn next_event(&mut self) -> Generated {
        let n = self.sent;
        self.sent += 1;
        let t = n as f64 / self.rate;
        if self.order.is_empty() {
            self.order = (0..self.rows.len()).collect();
            for i in (1..self.order.len()).rev() {
                let j = (self.rng.next_u64() % (i as u64 + 1)) as usize;
                self.order.swap(i, j);
            }
        }
        let row = &self.rows[self.order.pop().expect("refilled above")];
        let shift = drift_at(t, self.drift_start);
        let mut x = [0.0; 4];
        for i in 0..4 {
            let jitter = self.rng.normal() * 0.08;
            x[i] = ((row.x[i] + jitter + shift[i]) * 10.0).round() / 10.0;
            x[i] = x[i].max(0.1);
        }
        let prediction = predict(&x);
        let missing_p = if t > self.drift_start + 20.0 {
            0.08
        } else {
            0.01
        };
        let sepal_width = if self.rng.unit() < missing_p {
            serde_json::Value::Null
        } else {
            json!(x[1])
        };
        let drift_level = shift[2] / 3.0;
        let latency = 0.015 + 0.01 * drift_level + self.rng.unit() * 0.02;
        let status = if self.rng.unit() < 0.01 + 0.03 * drift_level {
            500
        } else {
            200
        };
        let id = format!("ev{n}");
        Generated {
            event: json!({
                "id": id,
                "sepal_length": x[0],
                "sepal_width": sepal_width,
                "petal_length": x[2],
                "petal_width": x[3],
                "prediction": prediction,
                "latency_seconds": (latency * 1e4).round() / 1e4,
                "status": status,
            }),
            id,
            species: row.species.clone(),
            t,
        }
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// Sends `body` and checks for a 2xx answer.
fn send(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    content_type: &str,
    body: &[u8],
) -> anyhow::Result<String> {
    let req = match method {
        "PUT" => agent.put(url),
        _ => agent.post(url),
    };
    let mut r = req
        .header("Content-Type", content_type)
        .send(body)
        .with_context(|| format!("{method} {url}"))?;
    let status = r.status().as_u16();
    let text = r.body_mut().read_to_string().unwrap_or_default();
    if !(200..300).contains(&status) {
        anyhow::bail!("{method} {url}: {status} {text}");
    }
    Ok(text)
}

/// Creates (or resets the settings of) the project `name` with `columns` and `presets`, the
/// demo's schedule, and uploads its reference (`content_type`, `body`).
fn put_project(
    agent: &ureq::Agent,
    api: &str,
    args: &DemoArgs,
    name: &str,
    (columns, presets, min_rows): (serde_json::Value, &[&str], u32),
    (content_type, body): (&str, &[u8]),
) -> anyhow::Result<()> {
    let settings = json!({
        "columns": columns,
        "presets": presets,
        "schedule": {
            "interval": humantime::format_duration(args.interval).to_string(),
            "window": humantime::format_duration(args.window).to_string(),
            "min_rows": min_rows,
        },
    });
    let url = format!("{api}/projects/{name}");
    send(
        agent,
        "PUT",
        &url,
        "application/json",
        settings.to_string().as_bytes(),
    )?;
    send(
        agent,
        "PUT",
        &format!("{url}/reference"),
        content_type,
        body,
    )?;
    Ok(())
}

/// Creates (or resets the settings of) the `iris` project and uploads its reference.
fn create_project(agent: &ureq::Agent, api: &str, args: &DemoArgs) -> anyhow::Result<()> {
    let columns = json!({"target": "species", "prediction": "prediction"});
    let reference = reference_csv(&iris_rows());
    put_project(
        agent,
        api,
        args,
        "iris",
        (columns, &["drift", "summary", "classification"], 20),
        ("text/csv", reference.as_bytes()),
    )
}

/// Creates (or resets the settings of) the `photos` project and uploads its reference, a
/// zip of the old camera's photos.
fn create_photos_project(agent: &ureq::Agent, api: &str, args: &DemoArgs) -> anyhow::Result<()> {
    let columns = json!({"images": ["photo"], "prediction": "prediction"});
    let zip = crate::demo_photos::reference_zip(args.seed, REFERENCE_PHOTOS)?;
    put_project(
        agent,
        api,
        args,
        "photos",
        (columns, &["drift", "summary"], 10),
        ("application/zip", &zip),
    )
}

/// What became of a batch a client posted.
enum Posted {
    /// The server stored it.
    Stored,
    /// It failed while the demo runs: counted in `errors` and said on standard error.
    Failed,
    /// It failed because the demo is stopping: the client should end.
    Stopping,
}

/// Posts `items` as one JSON array to `url`.
fn post_batch(
    agent: &ureq::Agent,
    url: &str,
    items: Vec<serde_json::Value>,
    (stop, errors, client): (&AtomicBool, &mut u64, &str),
) -> Posted {
    let body = serde_json::Value::Array(items).to_string();
    match send(agent, "POST", url, "application/json", body.as_bytes()) {
        Ok(_) => Posted::Stored,
        Err(_) if stop.load(Ordering::SeqCst) => Posted::Stopping,
        Err(e) => {
            *errors += 1;
            eprintln!("{client}: {e}");
            Posted::Failed
        }
    }
}

/// The photo client: photos at `photo_rate` per second, until `stop`.
fn run_photo_client(api: String, args: &DemoArgs, stop: &AtomicBool) {
    let agent = agent();
    let mut traffic = crate::demo_photos::PhotoTraffic::new(
        args.seed,
        args.photo_rate,
        args.camera_start.as_secs_f64(),
    );
    let url = format!("{api}/projects/photos/events");
    let start = Instant::now();
    let mut errors = 0u64;
    while !stop.load(Ordering::SeqCst) {
        let due = (start.elapsed().as_secs_f64() * args.photo_rate) as u64;
        let mut batch = Vec::new();
        // A late client catches up in bodies of at most 200 photos.
        while traffic.sent < due && batch.len() < 200 {
            match traffic.next_event() {
                Ok(event) => batch.push(event),
                Err(e) => {
                    errors += 1;
                    eprintln!("demo photo client: cannot make a photo: {e}");
                }
            }
        }
        let posted = (!batch.is_empty()).then(|| {
            post_batch(
                &agent,
                &url,
                batch,
                (stop, &mut errors, "demo photo client"),
            )
        });
        if let Some(Posted::Stopping) = posted {
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    if errors > 0 {
        eprintln!("demo photo client: {errors} requests failed");
    }
}

/// The client loop: events at `rate` per second, labels a little later, until `stop`.
fn run_client(api: String, args: &DemoArgs, stop: &AtomicBool) {
    // Labels come 3 s after their events; sooner with snapshots more often than every 6 s,
    // so that the first snapshot already has labelled rows.
    let label_delay = (args.interval.as_secs_f64() * 0.4).min(3.0);
    let agent = agent();
    let mut traffic = Traffic::new(args.seed, args.rate, args.drift_start.as_secs_f64());
    let mut pending: std::collections::VecDeque<(f64, String, String)> = Default::default();
    let (mut events, mut labels, mut errors) = (0u64, 0u64, 0u64);
    let start = Instant::now();
    let mut next_note = 10.0;
    let events_url = format!("{api}/projects/iris/events");
    let labels_url = format!("{api}/projects/iris/labels");
    while !stop.load(Ordering::SeqCst) {
        let now = start.elapsed().as_secs_f64();
        let due = (now * args.rate) as u64;
        let mut batch = Vec::new();
        while traffic.sent < due && batch.len() < 2000 {
            let g = traffic.next_event();
            pending.push_back((g.t + label_delay, g.id, g.species));
            batch.push(g.event);
        }
        if !batch.is_empty() {
            match post_batch(
                &agent,
                &events_url,
                batch,
                (stop, &mut errors, "demo client"),
            ) {
                Posted::Stored => events = traffic.sent,
                Posted::Failed => {}
                Posted::Stopping => break,
            }
        }
        let mut ready = Vec::new();
        while pending.front().is_some_and(|(at, _, _)| *at <= now) {
            let (_, id, species) = pending.pop_front().expect("checked");
            ready.push(json!({"id": id, "target": species}));
        }
        if !ready.is_empty() {
            let n = ready.len() as u64;
            match post_batch(
                &agent,
                &labels_url,
                ready,
                (stop, &mut errors, "demo client"),
            ) {
                Posted::Stored => labels += n,
                Posted::Failed => {}
                Posted::Stopping => break,
            }
        }
        if now >= next_note {
            next_note += 10.0;
            let d = drift_at(now, args.drift_start.as_secs_f64());
            println!(
                "{now:>4.0}s  {events} events, {labels} labels sent; petal_length +{:.1}, petal_width +{:.1}, sepal_length +{:.1}",
                d[2], d[3], d[0]
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    if errors > 0 {
        eprintln!("demo client: {errors} requests failed");
    }
}

pub fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    {
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .try_init();
    }
    if !(args.rate > 0.0 && args.rate <= 5000.0) {
        anyhow::bail!("--rate must be between 0 and 5000 events per second");
    }
    if !(args.photo_rate >= 0.0 && args.photo_rate <= 100.0) {
        anyhow::bail!("--photo-rate must be between 0 and 100 photos per second");
    }
    let temp = tempfile::tempdir().context("cannot create a temporary folder")?;
    let db = args
        .db
        .clone()
        .unwrap_or_else(|| temp.path().join("demo.db"));
    let mut config = ServerConfig {
        listen: args.listen,
        db: db.clone(),
        ..ServerConfig::default()
    };
    if let Some(b) = &args.base_path {
        config.base_path = b.clone();
    }
    config.validate().map_err(anyhow::Error::msg)?;
    let base_path = config.base_path.trim_end_matches('/').to_string();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let (state, listener) = runtime.block_on(async {
        let store = SqliteStore::open(&config.db, config.durability)
            .with_context(|| format!("{}: cannot open the store", config.db.display()))?;
        let state = AppState::open(Arc::new(store), config)?;
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        anyhow::Ok((state, listener))
    })?;
    let addr = listener.local_addr()?;
    let root = format!("http://{addr}{base_path}");
    let stop = Arc::new(AtomicBool::new(false));
    let server_stop = stop.clone();
    let duration = args.duration;
    let server = runtime.spawn(modelwatch_server::serve(state, listener, async move {
        match duration {
            Some(d) => tokio::select! {
                () = modelwatch_server::shutdown_signal() => {},
                () = tokio::time::sleep(d) => {},
            },
            None => modelwatch_server::shutdown_signal().await,
        }
        server_stop.store(true, Ordering::SeqCst);
    }));
    let api = format!("{root}/api/v1");
    create_project(&agent(), &api, &args).context("cannot create the demo project")?;
    let photos = args.photo_rate > 0.0;
    if photos {
        create_photos_project(&agent(), &api, &args)
            .context("cannot create the demo's photos project")?;
    }
    println!(
        "modelwatch demo: open {root}/  (projects: {root}/projects/iris{})",
        if photos {
            format!(", {root}/projects/photos")
        } else {
            String::new()
        }
    );
    println!(
        "store: {}; a snapshot every {} over the last {}; ~{} predictions/s, labels a few seconds later",
        db.display(),
        humantime::format_duration(args.interval),
        humantime::format_duration(args.window),
        args.rate
    );
    println!(
        "petal_length drifts from {}s, petal_width 15s later, sepal_length 30s later; {}",
        args.drift_start.as_secs(),
        match args.duration {
            Some(d) => format!("stopping after {}", humantime::format_duration(d)),
            None => "Ctrl-C stops".to_string(),
        }
    );
    if photos {
        println!(
            "photos: {} photos/s from the Acme A7 camera; a new phone, the Nova X2 (16:9, cooler, noisier), appears from {}s",
            args.photo_rate,
            args.camera_start.as_secs()
        );
    }
    let args = Arc::new(args);
    let photo_client = photos.then(|| {
        let (api, args, stop) = (api.clone(), args.clone(), stop.clone());
        std::thread::spawn(move || run_photo_client(api, &args, &stop))
    });
    let client_stop = stop.clone();
    let client_args = args.clone();
    let client = std::thread::spawn(move || run_client(api, &client_args, &client_stop));
    let served = runtime.block_on(server);
    stop.store(true, Ordering::SeqCst);
    let _ = client.join();
    if let Some(c) = photo_client {
        let _ = c.join();
    }
    served.context("the server task failed")??;
    drop(temp);
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_is_iris_with_the_models_predictions() {
        let rows = iris_rows();
        assert_eq!(rows.len(), 150);
        let right = rows.iter().filter(|r| predict(&r.x) == r.species).count();
        assert!(right >= 143, "{right} of 150");
        let csv = reference_csv(&rows);
        assert_eq!(csv.lines().count(), 151);
        assert!(csv
            .starts_with("sepal_length,sepal_width,petal_length,petal_width,species,prediction\n"));
    }

    #[test]
    fn traffic_is_deterministic_and_petal_length_drifts_first() {
        let take = |seed| {
            let mut t = Traffic::new(seed, 20.0, 10.0);
            (0..400).map(|_| t.next_event().event).collect::<Vec<_>>()
        };
        assert_eq!(take(3), take(3));
        assert_ne!(take(3), take(4));
        let d = drift_at(20.0, 10.0);
        assert!(d[2] > 1.0 && d[3] == 0.0 && d[0] == 0.0, "{d:?}");
        let d = drift_at(60.0, 10.0);
        assert!(d[2] == 3.0 && d[3] > 0.5 && d[0] > 0.3, "{d:?}");
        // Late traffic: the model is often wrong.
        let mut t = Traffic::new(1, 20.0, 0.0);
        let late: Vec<Generated> = (0..2000).map(|_| t.next_event()).skip(1600).collect();
        let wrong = late
            .iter()
            .filter(|g| g.event["prediction"] != g.species.as_str())
            .count();
        assert!(wrong > 100, "{wrong} of 400 wrong");
    }
}
