//! Three `modelwatch serve` replicas on one PostgreSQL database (see
//! `modelwatch-server/tests/common/postgres.rs` for where it comes from), under ingestion
//! load on every replica, with a real Alertmanager (Debian's `prometheus-alertmanager`) as
//! the receiver. The leader is killed with SIGKILL, then the next one; the test checks that
//! - exactly one replica leads at every look, and another takes over within 15 s;
//! - every event a replica acknowledged is stored, once;
//! - the snapshots go on: no gap longer than one interval plus the takeover time, and no
//!   two snapshots where the schedule makes one (no duplicate from two leaders);
//! - the alert that fired before the first kill reached Alertmanager once, and neither
//!   takeover sent it again.
//!
//! Outside CI a missing PostgreSQL or Alertmanager skips the test with a printed reason;
//! under `CI=true` it fails.

#[path = "../../modelwatch-server/tests/common/postgres.rs"]
mod postgres;

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The schedule of the test's project.
const INTERVAL_S: f64 = 2.0;
/// The takeover bound the issue asks for.
const TAKEOVER: Duration = Duration::from_secs(15);

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into()
}

/// Debian installs the binary as `prometheus-alertmanager`; upstream calls it
/// `alertmanager`. `None` (after a printed reason) outside CI when neither is installed.
fn alertmanager() -> Option<&'static str> {
    let found = ["prometheus-alertmanager", "alertmanager"]
        .into_iter()
        .find(|tool| {
            Command::new(tool)
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok()
        });
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "`prometheus-alertmanager` is not installed (CI installs it)"
        );
        eprintln!("skipping: `prometheus-alertmanager` is not installed");
    }
    found
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child process killed when the test ends, however it ends.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A running replica: its process, base URL and the reader of its standard error.
struct Replica {
    child: Guard,
    base: String,
    log: Option<std::thread::JoinHandle<String>>,
    alive: Arc<AtomicBool>,
}

fn start_replica(config: &std::path::Path, db: &str) -> Replica {
    let mut child = Command::new(env!("CARGO_BIN_EXE_modelwatch"))
        .args(["serve", "--config"])
        .arg(config)
        .args(["--db", db])
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    // The address line comes after the log lines of the start (the migration).
    let mut seen = String::new();
    let base = loop {
        let mut line = String::new();
        let n = stderr.read_line(&mut line).unwrap();
        assert!(
            n > 0,
            "the replica ended before saying its address:\n{seen}"
        );
        if let Some(url) = line
            .split(|c: char| c.is_whitespace() || c == '"')
            .find(|w| w.starts_with("http://"))
        {
            break url.to_string();
        }
        seen.push_str(&line);
    };
    let log = std::thread::spawn(move || {
        let mut rest = seen;
        let _ = std::io::Read::read_to_string(&mut stderr, &mut rest);
        rest
    });
    Replica {
        child: Guard(child),
        base,
        log: Some(log),
        alive: Arc::new(AtomicBool::new(true)),
    }
}

/// The role `/readyz` names (`leader`, `follower`), or `None` when it does not answer
/// ready.
fn role(base: &str) -> Option<String> {
    let mut r = agent().get(format!("{base}/readyz")).call().ok()?;
    if r.status() != 200 {
        return None;
    }
    let header = r
        .headers()
        .get("x-modelwatch-role")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = r.body_mut().read_to_string().ok()?;
    let second = body.lines().nth(1).unwrap_or("").to_string();
    let header = header?;
    assert!(second.starts_with(&header), "{header} vs {body:?}");
    Some(header)
}

/// The indices of the live replicas that say they lead.
fn leaders(replicas: &[Replica]) -> Vec<usize> {
    replicas
        .iter()
        .enumerate()
        .filter(|(_, r)| r.alive.load(Ordering::SeqCst))
        .filter(|(_, r)| role(&r.base).as_deref() == Some("leader"))
        .map(|(i, _)| i)
        .collect()
}

/// Waits for exactly one live replica to lead; returns it and how long it took.
fn wait_for_one_leader(replicas: &[Replica], what: &str) -> (usize, Duration) {
    let start = Instant::now();
    loop {
        let l = leaders(replicas);
        assert!(l.len() <= 1, "two replicas lead at once: {l:?}");
        if let [one] = l[..] {
            return (one, start.elapsed());
        }
        assert!(
            start.elapsed() < TAKEOVER + Duration::from_secs(5),
            "no replica leads ({what})"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Events of a drifted stream (petal length shifted by 3), ids `prefix-n`.
fn events(prefix: &str, from: usize, n: usize) -> (String, Vec<String>) {
    let species = ["setosa", "versicolor", "virginica"];
    let mut ids = Vec::new();
    let rows: Vec<serde_json::Value> = (from..from + n)
        .map(|i| {
            let f = (i % 50) as f64 / 50.0;
            let id = format!("{prefix}-{i}");
            ids.push(id.clone());
            serde_json::json!({
                "id": id,
                "sepal_length": 4.5 + 3.0 * f,
                "sepal_width": 2.2 + 2.0 * ((i * 7 % 50) as f64 / 50.0),
                "petal_length": 4.0 + 5.5 * ((i * 13 % 50) as f64 / 50.0),
                "petal_width": 0.1 + 2.4 * ((i * 17 % 50) as f64 / 50.0),
                "species": species[i % 3],
            })
        })
        .collect();
    (serde_json::Value::Array(rows).to_string(), ids)
}

/// Posts to one replica until `stop`, alternating a batch of 20 events and a single one;
/// the ids of every acknowledged (2xx) request go to `acked`.
fn load(
    base: String,
    prefix: String,
    alive: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    acked: Arc<Mutex<Vec<String>>>,
) -> std::thread::JoinHandle<(usize, usize)> {
    std::thread::spawn(move || {
        let agent = agent();
        let url = format!("{base}/api/v1/projects/iris/events");
        let (mut next, mut refused) = (0, 0);
        let mut sent = 0;
        while !stop.load(Ordering::SeqCst) && alive.load(Ordering::SeqCst) {
            let n = if sent % 2 == 0 { 20 } else { 1 };
            let (body, ids) = events(&prefix, next, n);
            next += n;
            sent += 1;
            match agent
                .post(&url)
                .header("Content-Type", "application/json")
                .send(body.as_bytes())
            {
                Ok(r) if r.status().is_success() => acked.lock().unwrap().extend(ids),
                _ => refused += 1,
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        (sent, refused)
    })
}

/// Alertmanager's count of alerts it received with `status` (`firing`, `resolved`).
fn received(am: &str, status: &str) -> f64 {
    let text = agent()
        .get(format!("{am}/metrics"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    text.lines()
        .filter(|l| {
            l.starts_with("alertmanager_alerts_received_total{")
                && l.contains(&format!("status=\"{status}\""))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

fn kill9(r: &mut Replica) {
    r.alive.store(false, Ordering::SeqCst);
    // SAFETY: sending a signal to our own child process.
    unsafe {
        libc::kill(r.child.0.id() as i32, libc::SIGKILL);
    }
    let _ = r.child.0.wait();
}

#[test]
fn replicas_survive_their_leaders_being_killed() {
    let Some(am_binary) = alertmanager() else {
        return;
    };
    let Some(db) = postgres::database("replicas") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let am_config = dir.path().join("alertmanager.yml");
    std::fs::write(
        &am_config,
        "route:\n  receiver: 'null'\n  group_wait: 1s\n  group_interval: 1s\nreceivers:\n  - name: 'null'\n",
    )
    .unwrap();
    let am_port = free_port();
    let _am = Guard(
        Command::new(am_binary)
            .arg(format!("--config.file={}", am_config.display()))
            .arg(format!(
                "--storage.path={}",
                dir.path().join("am").display()
            ))
            .arg("--cluster.listen-address=")
            .arg(format!("--web.listen-address=127.0.0.1:{am_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("alertmanager starts"),
    );
    let am = format!("http://127.0.0.1:{am_port}");
    let ready = Instant::now();
    while agent()
        .get(format!("{am}/-/ready"))
        .call()
        .map_or(true, |r| r.status() != 200)
    {
        assert!(
            ready.elapsed() < Duration::from_secs(30),
            "Alertmanager ready"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    let reference = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/iris/reference.csv"
    );
    let config = dir.path().join("modelwatch.toml");
    std::fs::write(
        &config,
        format!(
            r#"listen = "127.0.0.1:0"
[alerts]
default_rules = false
evaluation_interval = "1s"
group_wait = "0s"
group_interval = "1s"
repeat_interval = "1h"
retry_initial = "200ms"
retry_max = "1s"
[[alerts.receivers]]
name = "am"
kind = "alertmanager"
url = "{am}/"
[[alerts.rules]]
name = "DriftAlarm"
metric = "dataset_drift"
operator = ">="
threshold = 1
severity = "critical"
[[projects]]
name = "iris"
reference = "{reference}"
presets = ["drift"]
[projects.schedule]
interval = "{INTERVAL_S}s"
window = "10s"
min_rows = 10
"#
        ),
    )
    .unwrap();

    let mut replicas: Vec<Replica> = (0..3).map(|_| start_replica(&config, &db.url)).collect();
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(Vec::new()));
    let loaders: Vec<_> = replicas
        .iter()
        .enumerate()
        .map(|(i, r)| {
            load(
                r.base.clone(),
                format!("r{i}"),
                r.alive.clone(),
                stop.clone(),
                acked.clone(),
            )
        })
        .collect();

    let (first, _) = wait_for_one_leader(&replicas, "at start");
    // The drifted stream makes the rule fire; the leader notifies Alertmanager once.
    let fired = Instant::now();
    while received(&am, "firing") < 1.0 {
        assert!(
            fired.elapsed() < Duration::from_secs(60),
            "the alert never reached Alertmanager"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // A few more snapshots and evaluations under the first leader, all looked at.
    for _ in 0..20 {
        assert!(leaders(&replicas).len() <= 1);
        std::thread::sleep(Duration::from_millis(200));
    }
    let firing_before = received(&am, "firing");
    assert_eq!(firing_before, 1.0, "the firing alert was sent once");
    let steady_from_us = now_us();

    kill9(&mut replicas[first]);
    let (second, took) = wait_for_one_leader(&replicas, "after the first kill");
    assert_ne!(second, first);
    eprintln!("first takeover in {took:?}");
    assert!(took <= TAKEOVER, "took {took:?}");
    std::thread::sleep(Duration::from_secs(3 * INTERVAL_S as u64));

    kill9(&mut replicas[second]);
    let (third, took) = wait_for_one_leader(&replicas, "after the second kill");
    assert!(third != first && third != second);
    eprintln!("second takeover in {took:?}");
    assert!(took <= TAKEOVER, "took {took:?}");
    std::thread::sleep(Duration::from_secs(3 * INTERVAL_S as u64));
    let end_us = now_us();

    stop.store(true, Ordering::SeqCst);
    let mut requests = 0;
    for l in loaders {
        requests += l.join().unwrap().0;
    }
    // The last replica stops cleanly.
    let mut last = replicas.remove(third);
    // SAFETY: sending a signal to our own child process.
    unsafe {
        libc::kill(last.child.0.id() as i32, libc::SIGTERM);
    }
    let status = last.child.0.wait().unwrap();
    let log = last.log.take().unwrap().join().unwrap();
    assert!(status.success(), "exit {status:?}\n{log}");
    assert!(log.contains("this replica leads"), "{log}");

    // Every acknowledged event is stored, once.
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() > 500, "{} events acknowledged", acked.len());
    let stored: Vec<String> = db
        .query_one("SELECT string_agg(event_id, ',') FROM events WHERE project = 'iris'")
        .split(',')
        .map(str::to_string)
        .collect();
    let stored_set: HashSet<&String> = stored.iter().collect();
    assert_eq!(stored_set.len(), stored.len(), "an event stored twice");
    let lost: Vec<&String> = acked.iter().filter(|id| !stored_set.contains(id)).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged events lost: {:?}",
        lost.len(),
        &lost[..lost.len().min(5)]
    );
    eprintln!(
        "{requests} requests, {} events acknowledged, {} stored",
        acked.len(),
        stored.len()
    );

    // Snapshots from the first kill on: no gap longer than an interval plus a takeover,
    // none where the schedule makes one.
    let taken: Vec<i64> = db
        .query_one(&format!(
            "SELECT string_agg(taken_us::text, ',' ORDER BY taken_us) FROM snapshots \
             WHERE project = 'iris' AND taken_us >= {steady_from_us} AND taken_us <= {end_us}"
        ))
        .split(',')
        .map(|t| t.parse().unwrap())
        .collect();
    assert!(taken.len() >= 5, "{taken:?}");
    let gaps: Vec<f64> = taken
        .windows(2)
        .map(|w| (w[1] - w[0]) as f64 / 1e6)
        .collect();
    eprintln!("snapshot gaps (s): {gaps:?}");
    let longest = gaps.iter().copied().fold(0.0, f64::max);
    assert!(
        longest <= INTERVAL_S + TAKEOVER.as_secs_f64(),
        "a gap of {longest} s"
    );
    let shortest = gaps.iter().copied().fold(f64::MAX, f64::min);
    assert!(
        shortest >= 0.75 * INTERVAL_S,
        "two snapshots {shortest} s apart (a duplicate): {gaps:?}"
    );

    // Neither takeover sent the firing alert again; Alertmanager holds it, firing.
    assert_eq!(received(&am, "firing"), firing_before);
    let alerts: serde_json::Value = serde_json::from_str(
        &agent()
            .get(format!("{am}/api/v2/alerts"))
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap(),
    )
    .unwrap();
    let drift: Vec<&serde_json::Value> = alerts
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["labels"]["alertname"] == "DriftAlarm")
        .collect();
    assert_eq!(drift.len(), 1, "{alerts:#}");
    assert_eq!(drift[0]["status"]["state"], "active");
}

fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as i64
}
