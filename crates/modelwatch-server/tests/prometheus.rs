//! `/metrics` against the real consumers: `promtool check metrics`, the strict parsers of
//! Python's `prometheus_client` (text 0.0.4 and OpenMetrics), and a real Prometheus server
//! scraping the test server on loopback, read back through its query API.
//!
//! Outside CI a missing tool skips its part with a printed reason; under `CI=true` it fails.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use modelwatch_server::config::ServerConfig;

const NAME: &str = "churn \"v2\" </script>/ü";

fn tool_or_skip(tool: &'static str) -> bool {
    installed_tool(&[tool], "prometheus").is_some()
}

/// A server with one project, events, and a snapshot, so every family has samples.
fn populated() -> TestServer {
    let server = TestServer::start(ServerConfig::default());
    create_iris(&server, NAME);
    let base = format!("/api/v1/projects/{}", seg(NAME));
    assert_eq!(
        post_json(
            &server.url(&format!("{base}/events")),
            &iris_events(80, 3.0)
        )
        .status,
        200
    );
    assert_eq!(
        post_json(
            &server.url(&format!("{base}/events")),
            r#"[{"sepal_length": "bad"}]"#
        )
        .status,
        422
    );
    let a = call("POST", &server.url(&format!("{base}/snapshots")), &[], None);
    assert_eq!(a.status, 201, "{}", a.body);
    server
}

fn scrape(server: &TestServer, openmetrics: bool) -> String {
    let accept = if openmetrics {
        "application/openmetrics-text; version=1.0.0"
    } else {
        "text/plain"
    };
    let a = call("GET", &server.url("/metrics"), &[("Accept", accept)], None);
    assert_eq!(a.status, 200);
    a.body
}

fn run_with_stdin(cmd: &mut Command, input: &str) -> (bool, String) {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn promtool_accepts_the_text_format() {
    // `promtool check metrics` reads the text format 0.0.4 (it reports OpenMetrics counter
    // families as unnamed); OpenMetrics is checked by the strict Python parser below.
    if !tool_or_skip("promtool") {
        return;
    }
    let server = populated();
    let body = scrape(&server, false);
    let (ok, out) = run_with_stdin(Command::new("promtool").args(["check", "metrics"]), &body);
    assert!(ok, "promtool check metrics:\n{out}\n{body}");
}

#[test]
fn python_prometheus_client_parses_both_formats_strictly() {
    let python = "/usr/bin/python3";
    let has_client = Command::new(python)
        .args(["-c", "import prometheus_client"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_client {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("python3-prometheus-client is not installed (CI installs it)");
        }
        eprintln!("skipping: Debian's python3-prometheus-client is not installed");
        return;
    }
    let server = populated();
    let script = r#"
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families as om
from prometheus_client.parser import text_string_to_metric_families as text
kind, body = sys.argv[1], sys.stdin.read()
families = list((om if kind == "om" else text)(body))
drift = [s for f in families for s in f.samples if s.name == "modelwatch_column_drifted"]
assert any(s.labels["project"] == 'churn "v2" </script>/ü' and s.labels["column"] == "petal_length" and s.value == 1.0 for s in drift), drift
print(len(families))
"#;
    for kind in ["om", "text"] {
        let body = scrape(&server, kind == "om");
        let (ok, out) = run_with_stdin(Command::new(python).args(["-c", script, kind]), &body);
        assert!(
            ok,
            "prometheus_client ({kind}) rejected the exposition:\n{out}\n{body}"
        );
    }
}

#[test]
fn a_real_prometheus_scrapes_the_drift_gauge() {
    if !tool_or_skip("prometheus") {
        return;
    }
    let server = populated();
    let target = server.base.trim_start_matches("http://").to_string();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: modelwatch\n    static_configs:\n      - targets: ['{target}']\n"
        ),
    )
    .unwrap();
    let port = free_port();
    let child = Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("prometheus starts");
    let _guard = KillOnDrop(child);

    let expected = scrape(&server, false)
        .lines()
        .find(|l| l.starts_with("modelwatch_drift_score{") && l.contains("column=\"petal_length\""))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse::<f64>().ok())
        .expect("the drift gauge is exposed");
    let query = "modelwatch_drift_score%7Bcolumn%3D%22petal_length%22%7D";
    let url = format!("http://127.0.0.1:{port}/api/v1/query?query={query}");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let answer = std::panic::catch_unwind(|| get(&url)).ok();
        if let Some(a) = answer.filter(|a| a.status == 200) {
            let v = a.json();
            if let Some(sample) = v["data"]["result"].as_array().and_then(|r| r.first()) {
                assert_eq!(sample["metric"]["project"], NAME, "{v}");
                let got: f64 = sample["value"][1].as_str().unwrap().parse().unwrap();
                assert!(
                    (got - expected).abs() <= 1e-12 * expected.abs().max(1.0),
                    "{got} vs {expected}"
                );
                return;
            }
        }
        assert!(
            Instant::now() < deadline,
            "Prometheus never scraped the drift gauge"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}
