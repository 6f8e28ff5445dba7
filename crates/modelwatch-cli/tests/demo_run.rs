//! `modelwatch demo` as a process, without a browser: it prints its URL, serves the
//! dashboard, its seeded traffic makes `petal_length` drift, it stops cleanly on SIGTERM,
//! and the store it was given keeps the snapshots.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use modelwatch_server::store::sqlite::{Durability, SqliteStore};
use modelwatch_server::store::Store;

fn get(url: &str) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    match agent.get(url).call() {
        Ok(mut r) => (
            r.status().as_u16(),
            r.body_mut().read_to_string().unwrap_or_default(),
        ),
        Err(_) => (0, String::new()),
    }
}

#[test]
fn the_demo_drifts_petal_length_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_modelwatch"))
        .args([
            "demo",
            "--listen",
            "127.0.0.1:0",
            "--interval",
            "2s",
            "--window",
            "20s",
            "--rate",
            "40",
            "--drift-start",
            "0s",
            "--base-path",
            "/demo",
            "--db",
        ])
        .arg(&db)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let root = first
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("{first}"))
        .trim_end_matches('/')
        .to_string();
    assert!(root.ends_with("/demo"), "{root}");
    let drain = std::thread::spawn(move || lines.map_while(Result::ok).collect::<Vec<_>>());

    // Within the first snapshots petal_length is listed as drifted on the project page.
    let start = Instant::now();
    let page = loop {
        let (status, body) = get(&format!("{root}/projects/iris"));
        if status == 200 && body.contains("data-column=\"petal_length\" data-drifted=\"true\"") {
            break body;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "petal_length not drifted after 60 s"
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    assert!(page.contains("href=\"/demo/api/v1/projects/iris/report?format=html\""));
    let (status, home) = get(&root);
    assert_eq!(status, 200);
    assert!(home.contains("<span class=\"drifted-column\">petal_length</span>"));

    // SAFETY: kill(2) on the pid of the child this test started.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
    }
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    let out = drain.join().unwrap();
    assert!(
        out.iter().any(|l| l.contains("petal_length drifts")),
        "{out:?}"
    );

    let store = SqliteStore::open(&db, Durability::Normal).unwrap();
    let scores = store
        .series("iris", "drift_score", "petal_length", i64::MIN, i64::MAX)
        .unwrap();
    assert!(!scores.is_empty());
    assert!(scores.last().unwrap().value < 0.05, "{scores:?}");
    assert!(store.count_events("iris").unwrap() > 100);
}
