//! A real Alertmanager (Debian's `prometheus-alertmanager`) on loopback as a receiver: a
//! drifting stream makes a rule fire, the `alertmanager` receiver posts it to
//! Alertmanager's `/api/v2/alerts`, and the test reads it back through Alertmanager's API;
//! then the stream looks like the reference again and the alert leaves Alertmanager.
//!
//! Outside CI a missing Alertmanager skips the test with a printed reason; under `CI=true`
//! it fails.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;
use modelwatch_server::config::ServerConfig;
use serde_json::Value;

/// Debian installs the binary as `prometheus-alertmanager`; upstream calls it
/// `alertmanager`.
fn alertmanager_or_skip() -> Option<&'static str> {
    installed_tool(
        &["prometheus-alertmanager", "alertmanager"],
        "prometheus-alertmanager",
    )
}

/// GET without panicking while Alertmanager is still starting.
fn try_get(url: &str) -> Option<Answer> {
    std::panic::catch_unwind(|| get(url))
        .ok()
        .filter(|a| a.status == 200)
}

/// The alerts Alertmanager holds (its API leaves resolved ones out).
fn am_alerts(am: &str) -> Vec<Value> {
    let a = get(&format!("{am}/api/v2/alerts"));
    assert_eq!(a.status, 200, "{}", a.body);
    a.json().as_array().unwrap().clone()
}

fn drift_alarm(am: &str) -> Option<Value> {
    am_alerts(am)
        .into_iter()
        .find(|a| a["labels"]["alertname"] == "DriftAlarm")
}

/// Seconds since the epoch of an RFC 3339 UTC time (`2026-01-05T10:00:00.123Z`).
fn epoch_seconds(t: &str) -> f64 {
    let (date, time) = t.trim_end_matches('Z').split_once('T').unwrap();
    let d: Vec<i64> = date.split('-').map(|x| x.parse().unwrap()).collect();
    let (y, m, day) = (d[0], d[1], d[2]);
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let hms: Vec<f64> = time.split(':').map(|x| x.parse().unwrap()).collect();
    days as f64 * 86_400.0 + hms[0] * 3600.0 + hms[1] * 60.0 + hms[2]
}

#[test]
fn a_real_alertmanager_receives_the_alert_and_its_resolution() {
    let Some(binary) = alertmanager_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let am_config = dir.path().join("alertmanager.yml");
    std::fs::write(
        &am_config,
        "route:\n  receiver: 'null'\n  group_wait: 1s\n  group_interval: 1s\nreceivers:\n  - name: 'null'\n",
    )
    .unwrap();
    let port = free_port();
    let child = Command::new(binary)
        .arg(format!("--config.file={}", am_config.display()))
        .arg(format!(
            "--storage.path={}",
            dir.path().join("data").display()
        ))
        .arg("--cluster.listen-address=")
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("alertmanager starts");
    let _guard = KillOnDrop(child);
    let am = format!("http://127.0.0.1:{port}");
    wait_for("Alertmanager to be ready", Duration::from_secs(30), || {
        try_get(&format!("{am}/-/ready")).is_some()
    });
    assert!(am_alerts(&am).is_empty());

    let project = fast_iris_project();
    let text = format!(
        r#"{FAST}
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
labels = {{ team = "ml" }}
annotations = {{ summary = "{{{{project}}}} drifted ({{{{ value }}}})", runbook_url = "https://runbooks/drift" }}

{project}"#
    );
    let config: ServerConfig = config_from_toml(&text);
    let server = TestServer::start(config);
    let events = server.url("/api/v1/projects/iris/events");
    assert_eq!(post_json(&events, &iris_events(100, 3.0)).status, 200);

    let mut alert = None;
    wait_for("the alert in Alertmanager", Duration::from_secs(30), || {
        alert = drift_alarm(&am);
        alert.is_some()
    });
    let a = alert.unwrap();
    assert_eq!(
        a["labels"],
        serde_json::json!({"alertname": "DriftAlarm", "project": "iris", "severity": "critical", "team": "ml"}),
        "{a:#}"
    );
    assert_eq!(a["annotations"]["summary"], "iris drifted (1)", "{a:#}");
    assert_eq!(
        a["annotations"]["runbook_url"], "https://runbooks/drift",
        "{a:#}"
    );
    assert!(a["generatorURL"]
        .as_str()
        .unwrap()
        .ends_with("/api/v1/alerts/history?project=iris"));
    assert_eq!(a["status"]["state"], "active", "{a:#}");
    assert_eq!(a["receivers"][0]["name"], "null", "{a:#}");
    // Alertmanager keeps it beyond its 5-minute resolve_timeout: modelwatch sets endsAt two
    // repeat intervals (2 h) ahead.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let ends = epoch_seconds(a["endsAt"].as_str().unwrap());
    assert!(ends > now + 3600.0, "{a:#}");
    let firing = get(&server.url("/api/v1/alerts")).json();
    let mine = firing["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["alertname"] == "DriftAlarm")
        .cloned()
        .expect("modelwatch lists the alert");
    assert_eq!(mine["state"], "firing");
    assert_eq!(am_alerts(&am).len(), 1);

    // Traffic like the reference until the alert resolves and Alertmanager drops it.
    let like_reference = iris_reference();
    wait_for(
        "the alert to leave Alertmanager",
        Duration::from_secs(40),
        || {
            let r = call(
                "POST",
                &events,
                &[("Content-Type", "text/csv")],
                Some(&like_reference),
            );
            assert_eq!(r.status, 200, "{}", r.body);
            std::thread::sleep(Duration::from_millis(300));
            drift_alarm(&am).is_none()
        },
    );
    let h = get(&server.url("/api/v1/alerts/history?project=iris")).json();
    assert_eq!(h["transitions"][0]["to"], "resolved", "{h:#}");
}
