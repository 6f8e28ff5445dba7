//! `modelwatch serve --db postgres://...` as a process, on a real PostgreSQL (see
//! `modelwatch-server/tests/common/postgres.rs` for where it comes from): ingests, takes
//! a snapshot, stops, starts again on the same database and finds everything; an
//! unreachable database is named at start and the server does not start.

#[path = "../../modelwatch-server/tests/common/postgres.rs"]
mod postgres;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// Starts `modelwatch serve --config CONFIG --db DB` and returns the process with its
/// base URL (read from the first line on standard error).
fn start_serve(config: &std::path::Path, db: &str) -> (Server, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_modelwatch"))
        .args(["serve", "--config"])
        .arg(config)
        .args(["--db", db])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    assert!(line.contains("(store: postgres://127.0.0.1:"), "{line}");
    // Keep reading standard error so the server never blocks on a full pipe.
    let log = std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut rest);
        rest
    });
    (Server { child, log }, base)
}

/// A running `modelwatch serve` and the reader of its standard error.
struct Server {
    child: std::process::Child,
    log: std::thread::JoinHandle<String>,
}

/// Stops the server with SIGTERM; it must exit cleanly.
fn stop(mut server: Server) {
    // SAFETY: sending a signal to our own child process.
    unsafe {
        libc::kill(server.child.id() as i32, libc::SIGTERM);
    }
    let status = server.child.wait().unwrap();
    let log = server.log.join().unwrap();
    assert!(status.success(), "exit {status:?}\n{log}");
}

fn call(method: &str, url: &str, body: Option<&str>) -> (u16, serde_json::Value) {
    let agent = agent();
    let mut r = match body {
        Some(b) => agent
            .post(url)
            .header("Content-Type", "application/json")
            .send(b.as_bytes())
            .unwrap(),
        None if method == "POST" => agent.post(url).send_empty().unwrap(),
        None => agent.get(url).call().unwrap(),
    };
    let text = r.body_mut().read_to_string().unwrap();
    (
        r.status().as_u16(),
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
    )
}

#[test]
fn serve_on_postgres_ingests_snapshots_and_restarts_with_everything() {
    let Some(db) = postgres::database("serve") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let reference = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/iris/reference.csv"
    );
    let config = dir.path().join("modelwatch.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\n[[projects]]\nname = \"iris\"\nreference = \"{reference}\"\n\
             [projects.schedule]\ninterval = \"0s\"\n"
        ),
    )
    .unwrap();

    let (child, base) = start_serve(&config, &db.url);
    let project = format!("{base}/api/v1/projects/iris");
    for batch in 0..3 {
        let rows: Vec<String> = (0..50)
            .map(|i| {
                format!(
                    "{{\"sepal_length\": {}, \"petal_length\": 1.5, \"id\": \"e{batch}-{i}\"}}",
                    4.0 + i as f64 / 20.0
                )
            })
            .collect();
        let (status, body) = call(
            "POST",
            &format!("{project}/events"),
            Some(&format!("[{}]", rows.join(","))),
        );
        assert_eq!(status, 200, "{body}");
    }
    // No schedule: the only snapshot is this one.
    let (status, snapshot) = call("POST", &format!("{project}/snapshots"), None);
    assert_eq!(status, 201, "{snapshot}");
    let (_, before) = call("GET", &format!("{project}/snapshots"), None);
    let before = before["snapshots"].as_array().unwrap().clone();
    assert_eq!(before.len(), 1);
    assert_eq!(before[0]["rows"], 150);
    stop(child);

    // What PostgreSQL holds.
    assert_eq!(db.query_one("SELECT count(*) FROM events"), "150");
    assert_eq!(
        db.query_one("SELECT count(*) FROM schema_migrations"),
        modelwatch_server::store::postgres::migrations::LATEST.to_string()
    );

    // Started again: the events, the project and the snapshot are there.
    let (child, base) = start_serve(&config, &db.url);
    let project = format!("{base}/api/v1/projects/iris");
    let (status, p) = call("GET", &project, None);
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["events"], 150);
    let (_, after) = call("GET", &format!("{project}/snapshots"), None);
    assert_eq!(after["snapshots"].as_array().unwrap(), &before);
    let id = before[0]["id"].as_i64().unwrap();
    let (status, full) = call("GET", &format!("{project}/snapshots/{id}"), None);
    assert_eq!(status, 200, "{full}");
    // One replica on the database: it leads, and `/readyz` says so on its second line.
    let mut ready = String::new();
    for _ in 0..50 {
        let (status, body) = call("GET", &format!("{base}/readyz"), None);
        assert_eq!(status, 200, "{body}");
        ready = body.as_str().unwrap_or_default().to_string();
        if ready.starts_with("ready\nleader since ") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(ready.starts_with("ready\nleader since "), "{ready:?}");
    stop(child);
}

#[test]
fn an_unreachable_database_is_named_and_the_server_does_not_start() {
    // Nothing listens on port 1; the start retries for a while, then gives up.
    let out = Command::new(env!("CARGO_BIN_EXE_modelwatch"))
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg("postgres://watcher:secret@127.0.0.1:1/metrics")
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot reach PostgreSQL at 127.0.0.1:1/metrics"),
        "{err}"
    );
    assert!(!err.contains("secret"), "{err}");
}
