//! A real server on an ephemeral loopback port, and a small HTTP client for the tests.
#![allow(dead_code)]

pub mod failing_store;
pub mod postgres;

use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;

use modelwatch_server::config::ServerConfig;
use modelwatch_server::store::sqlite::SqliteStore;
use modelwatch_server::store::Store;
use modelwatch_server::AppState;

pub struct TestServer {
    pub base: String,
    pub db: PathBuf,
    pub dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Starts a server with `config` (its `listen` and `db` are replaced).
    pub fn start(config: ServerConfig) -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self::start_in(dir, config)
    }

    /// Starts a server whose store lives in `dir` (to restart on the same store).
    pub fn start_in(dir: tempfile::TempDir, config: ServerConfig) -> Self {
        Self::spawn(dir, config, |c| {
            Arc::new(SqliteStore::open(&c.db, c.durability).unwrap())
        })
    }

    /// Starts a server over `store` (for example a store whose writes fail on demand).
    pub fn start_with_store(store: Arc<dyn Store>, config: ServerConfig) -> Self {
        Self::spawn(tempfile::tempdir().unwrap(), config, move |_| store)
    }

    fn spawn(
        dir: tempfile::TempDir,
        mut config: ServerConfig,
        store: impl FnOnce(&ServerConfig) -> Arc<dyn Store> + Send + 'static,
    ) -> Self {
        let db = dir.path().join("modelwatch.db");
        config.db = db.clone();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let state = AppState::open(store(&config), config).unwrap();
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                modelwatch_server::serve(state, listener, async {
                    let _ = stop_rx.await;
                })
                .await
                .unwrap();
            });
        });
        let addr = addr_rx.recv().expect("the server starts");
        Self {
            base: format!("http://{addr}"),
            db,
            dir,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// Graceful shutdown; returns when the server has stopped.
    pub fn stop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }

    /// Stops the server and hands back its folder (with the store).
    pub fn into_dir(mut self) -> tempfile::TempDir {
        self.stop();
        let dir = tempfile::tempdir().unwrap();
        std::mem::replace(&mut self.dir, dir)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// An HTTP answer.
pub struct Answer {
    pub status: u16,
    pub body: String,
    pub content_type: String,
    pub request_id: Option<String>,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// One request; `headers` are extra name/value pairs.
pub fn call(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Answer {
    let agent = agent();
    let response = match (method, body) {
        ("GET", _) => {
            let mut r = agent.get(url);
            for (k, v) in headers {
                r = r.header(*k, *v);
            }
            r.call()
        }
        ("DELETE", _) => {
            let mut r = agent.delete(url);
            for (k, v) in headers {
                r = r.header(*k, *v);
            }
            r.call()
        }
        (m, b) => {
            let mut r = match m {
                "POST" => agent.post(url),
                "PUT" => agent.put(url),
                other => panic!("method {other}"),
            };
            for (k, v) in headers {
                r = r.header(*k, *v);
            }
            r.send(b.unwrap_or(b""))
        }
    };
    let mut response = response.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let status = response.status().as_u16();
    let header = |n: &str| {
        response
            .headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let content_type = header("content-type").unwrap_or_default();
    let request_id = header("x-request-id");
    let body = response.body_mut().read_to_string().unwrap_or_default();
    Answer {
        status,
        body,
        content_type,
        request_id,
    }
}

pub fn get(url: &str) -> Answer {
    call("GET", url, &[], None)
}

pub fn post_json(url: &str, body: &str) -> Answer {
    call(
        "POST",
        url,
        &[("Content-Type", "application/json")],
        Some(body.as_bytes()),
    )
}

/// Percent-encodes a path segment (project names may hold anything).
pub fn seg(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The bundled Iris reference, as bytes.
pub fn iris_reference() -> Vec<u8> {
    std::fs::read(IRIS_REFERENCE).unwrap()
}

const SPECIES: [&str; 3] = ["setosa", "versicolor", "virginica"];

/// Iris-like events: `n` rows, petal_length shifted by `shift`.
pub fn iris_events(n: usize, shift: f64) -> String {
    let rows: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let f = (i % 50) as f64 / 50.0;
            serde_json::json!({
                "id": format!("e{i}"),
                "sepal_length": 4.5 + 3.0 * f,
                "sepal_width": 2.2 + 2.0 * ((i * 7 % 50) as f64 / 50.0),
                "petal_length": 1.0 + 5.5 * ((i * 13 % 50) as f64 / 50.0) + shift,
                "petal_width": 0.1 + 2.4 * ((i * 17 % 50) as f64 / 50.0),
                "species": SPECIES[i % 3],
                "latency_seconds": 0.002 * (i % 10) as f64,
                "status": if i % 25 == 0 { 500 } else { 200 },
            })
        })
        .collect();
    serde_json::Value::Array(rows).to_string()
}

/// Creates project `name` from the Iris reference, without scheduled snapshots (so that
/// the only snapshots are those a test takes: with a schedule, a project's first snapshot
/// comes as soon as its window holds `min_rows` events).
pub fn create_iris(server: &TestServer, name: &str) {
    let mut body = b"--b\r\nContent-Disposition: form-data; name=\"settings\"\r\n\r\n\
        {\"schedule\": {\"interval\": \"0s\"}}\r\n--b\r\nContent-Disposition: form-data; \
        name=\"reference\"; filename=\"reference.csv\"\r\n\r\n"
        .to_vec();
    body.extend_from_slice(&iris_reference());
    body.extend_from_slice(b"\r\n--b--\r\n");
    let a = call(
        "POST",
        &server.url(&format!("/api/v1/projects?name={}", seg(name))),
        &[("Content-Type", "multipart/form-data; boundary=b")],
        Some(&body),
    );
    assert_eq!(a.status, 201, "{}", a.body);
}

/// The first of `tools` that runs, or `None` after printing why the test skips; under
/// `CI=true` a missing tool fails the test (CI installs Debian's `package`).
pub fn installed_tool(tools: &[&'static str], package: &str) -> Option<&'static str> {
    let found = tools.iter().copied().find(|tool| {
        std::process::Command::new(tool)
            .arg("--version")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok()
    });
    if found.is_none() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!(
                "`{}` is not installed (CI installs Debian's `{package}`)",
                tools[0]
            );
        }
        eprintln!(
            "skipping: `{}` is not installed (apt-get install {package})",
            tools[0]
        );
    }
    found
}

/// Runs `promtool check rules` on `yaml` and returns its output, after asserting that it
/// accepted the rules; `None` (after a printed reason) when promtool is missing outside CI.
pub fn promtool_check_rules(yaml: &str) -> Option<String> {
    installed_tool(&["promtool"], "prometheus")?;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.yml");
    std::fs::write(&path, yaml).unwrap();
    let out = std::process::Command::new("promtool")
        .args(["check", "rules"])
        .arg(&path)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "promtool check rules:\n{text}\n{yaml}"
    );
    Some(text)
}

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Kills the process when the test ends, however it ends.
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Polls `f` until it holds; fails the test after `timeout`.
pub fn wait_for(what: &str, timeout: std::time::Duration, mut f: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !f() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// An `[alerts]` table for tests: no default rules, evaluation every second, no group
/// wait, quick retries. Rules and receivers follow it.
pub const FAST: &str = r#"
[alerts]
default_rules = false
evaluation_interval = "1s"
group_wait = "0s"
group_interval = "1s"
repeat_interval = "1h"
retry_initial = "200ms"
retry_max = "1s"
"#;

/// The bundled Iris reference file.
pub const IRIS_REFERENCE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/iris/reference.csv"
);

/// A config-file `[[projects]]` table: `iris` on the bundled reference, drift only, a
/// snapshot every second over the last 3 s (for tests that wait on alerts).
pub fn fast_iris_project() -> String {
    format!(
        "[[projects]]\nname = \"iris\"\nreference = \"{IRIS_REFERENCE}\"\npresets = [\"drift\"]\n\
         [projects.schedule]\ninterval = \"1s\"\nwindow = \"3s\"\nmin_rows = 10\n"
    )
}

/// A server config from TOML text; the text is shown when it does not parse.
pub fn config_from_toml(text: &str) -> ServerConfig {
    toml::from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// One request without following redirects; returns (status, headers, body).
pub fn raw(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> (u16, Vec<(String, String)>, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let r = match method {
        "GET" => {
            let mut r = agent.get(url);
            for (k, v) in headers {
                r = r.header(*k, *v);
            }
            r.call()
        }
        _ => {
            let mut r = agent.post(url);
            for (k, v) in headers {
                r = r.header(*k, *v);
            }
            r.send(body.unwrap_or(""))
        }
    };
    let mut r = r.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let status = r.status().as_u16();
    let hs = r
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    (
        status,
        hs,
        r.body_mut().read_to_string().unwrap_or_default(),
    )
}

/// A header of a [`raw`] answer.
pub fn header<'a>(hs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    hs.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}
