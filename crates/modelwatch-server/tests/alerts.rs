//! Alerts end to end: the real server on loopback, a drifting stream, and a webhook
//! receiver (a tiny HTTP server in this test) that records Alertmanager v4 bodies.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use modelwatch_server::config::ServerConfig;
use serde_json::Value;

/// A webhook receiver on loopback: answers 200 and keeps the body when up, 503 when down.
struct Receiver {
    addr: SocketAddr,
    bodies: Arc<Mutex<Vec<Value>>>,
    attempts: Arc<AtomicUsize>,
    up: Arc<AtomicBool>,
}

impl Receiver {
    fn start(up: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let r = Self {
            addr: listener.local_addr().unwrap(),
            bodies: Arc::default(),
            attempts: Arc::default(),
            up: Arc::new(AtomicBool::new(up)),
        };
        let (bodies, attempts, up) = (r.bodies.clone(), r.attempts.clone(), r.up.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut s) = stream else { continue };
                let body = read_request(&mut s);
                attempts.fetch_add(1, Ordering::SeqCst);
                let status = if up.load(Ordering::SeqCst) {
                    bodies
                        .lock()
                        .unwrap()
                        .push(serde_json::from_slice(&body).unwrap_or(Value::Null));
                    "200 OK"
                } else {
                    "503 Service Unavailable"
                };
                let _ = write!(
                    s,
                    "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
            }
        });
        r
    }

    fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    fn bodies(&self) -> Vec<Value> {
        self.bodies.lock().unwrap().clone()
    }
}

fn read_request(s: &mut std::net::TcpStream) -> Vec<u8> {
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                match s.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            return buf[end + 4..].to_vec();
        }
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return Vec::new(),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

fn active(server: &TestServer) -> Vec<Value> {
    let a = get(&server.url("/api/v1/alerts"));
    assert_eq!(a.status, 200, "{}", a.body);
    a.json()["alerts"].as_array().unwrap().clone()
}

fn firing(server: &TestServer, name: &str) -> Option<Value> {
    active(server)
        .into_iter()
        .find(|a| a["alertname"] == name && a["state"] == "firing")
}

#[test]
fn drift_fires_then_resolves_with_one_alertmanager_body_each() {
    let hook = Receiver::start(true);
    let project = fast_iris_project();
    let server = TestServer::start(config_from_toml(&format!(
        r#"{FAST}
[[alerts.receivers]]
name = "hook"
kind = "webhook"
url = "{}"
[[alerts.rules]]
name = "DriftAlarm"
metric = "dataset_drift"
operator = ">="
threshold = 1
labels = {{ team = "ml" }}
annotations = {{ summary = "{{{{project}}}} drifted ({{{{ value }}}})", runbook_url = "https://runbooks/drift" }}

{project}"#,
        hook.url()
    )));
    let events = server.url("/api/v1/projects/iris/events");
    assert_eq!(post_json(&events, &iris_events(100, 3.0)).status, 200);
    wait_for("the firing notification", Duration::from_secs(20), || {
        !hook.bodies().is_empty()
    });
    // Traffic like the reference until the window holds only it and the alert resolves.
    let like_reference = iris_reference();
    wait_for("the resolved notification", Duration::from_secs(30), || {
        let a = call(
            "POST",
            &events,
            &[("Content-Type", "text/csv")],
            Some(&like_reference),
        );
        assert_eq!(a.status, 200, "{}", a.body);
        std::thread::sleep(Duration::from_millis(300));
        hook.bodies().len() >= 2
    });
    std::thread::sleep(Duration::from_secs(2));
    let bodies = hook.bodies();
    assert_eq!(bodies.len(), 2, "{bodies:#?}");
    let (fire, resolve) = (&bodies[0], &bodies[1]);
    for (b, status) in [(fire, "firing"), (resolve, "resolved")] {
        assert_eq!(b["version"], "4");
        assert_eq!(b["status"], status);
        assert_eq!(b["receiver"], "hook");
        assert_eq!(b["groupKey"], "{}/{receiver=\"hook\"}:{project=\"iris\"}");
        assert_eq!(b["groupLabels"], serde_json::json!({"project": "iris"}));
        let alerts = b["alerts"].as_array().unwrap();
        assert_eq!(alerts.len(), 1, "{b:#}");
        let a = &alerts[0];
        assert_eq!(a["status"], status);
        assert_eq!(
            a["labels"],
            serde_json::json!({"alertname": "DriftAlarm", "project": "iris", "severity": "warning", "team": "ml"})
        );
        assert_eq!(a["annotations"]["runbook_url"], "https://runbooks/drift");
        assert!(a["generatorURL"]
            .as_str()
            .unwrap()
            .contains("/api/v1/alerts/history?project=iris"));
        assert!(a["startsAt"].as_str().unwrap().ends_with('Z'));
        assert_eq!(a["fingerprint"].as_str().unwrap().len(), 16);
    }
    assert_eq!(
        fire["alerts"][0]["annotations"]["summary"],
        "iris drifted (1)"
    );
    // Every alert says why it fires, whatever its own annotations say.
    assert_eq!(
        fire["alerts"][0]["annotations"]["condition"],
        "dataset_drift is 1; fires when >= 1"
    );
    assert!(resolve["alerts"][0]["annotations"]["condition"]
        .as_str()
        .unwrap()
        .ends_with("; fires when >= 1"));
    assert_eq!(fire["alerts"][0]["endsAt"], "0001-01-01T00:00:00Z");
    assert_ne!(resolve["alerts"][0]["endsAt"], "0001-01-01T00:00:00Z");
    assert_eq!(
        fire["alerts"][0]["startsAt"],
        resolve["alerts"][0]["startsAt"]
    );

    let h = get(&server.url("/api/v1/alerts/history?project=iris")).json();
    let steps: Vec<(String, String)> = h["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|t| {
            (
                t["from"].as_str().unwrap().into(),
                t["to"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("inactive".to_string(), "firing".to_string()),
            ("firing".to_string(), "resolved".to_string())
        ]
    );
    assert!(firing(&server, "DriftAlarm").is_none());
}

const ERROR_RULE: &str = r#"
[[alerts.rules]]
name = "ModelErrors"
metric = "model_error_rate"
operator = ">"
threshold = 0.01
window = "5m"
severity = "page"
annotations = { description = "{{project}}: {{value}} of requests fail" }
"#;

#[test]
fn a_receiver_that_is_down_gets_the_notification_later_even_across_a_restart() {
    let hook = Receiver::start(false);
    let text = format!(
        "{FAST}\n[[alerts.receivers]]\nname = \"hook\"\nkind = \"webhook\"\nurl = \"{}\"\n{ERROR_RULE}",
        hook.url()
    );
    let server = TestServer::start(config_from_toml(&text));
    create_iris(&server, "iris");
    // 4 of 100 events carry status 500.
    let events = server.url("/api/v1/projects/iris/events");
    assert_eq!(post_json(&events, &iris_events(100, 0.0)).status, 200);
    wait_for("the alert to fire", Duration::from_secs(10), || {
        firing(&server, "ModelErrors").is_some()
    });
    wait_for("three failed deliveries", Duration::from_secs(15), || {
        hook.attempts.load(Ordering::SeqCst) >= 3
    });
    assert!(hook.bodies().is_empty());
    let dir = server.into_dir();

    hook.up.store(true, Ordering::SeqCst);
    let server = TestServer::start_in(dir, config_from_toml(&text));
    wait_for(
        "the delivery after the restart",
        Duration::from_secs(15),
        || !hook.bodies().is_empty(),
    );
    std::thread::sleep(Duration::from_secs(2));
    let bodies = hook.bodies();
    assert_eq!(bodies.len(), 1, "{bodies:#?}");
    assert_eq!(bodies[0]["status"], "firing");
    let a = &bodies[0]["alerts"][0];
    assert_eq!(a["labels"]["alertname"], "ModelErrors");
    assert_eq!(a["labels"]["severity"], "page");
    assert_eq!(
        a["annotations"]["description"],
        "iris: 0.04 of requests fail"
    );
    // The alert survived the restart as firing.
    assert!(firing(&server, "ModelErrors").is_some());
}

#[test]
fn silences_hold_notifications_until_they_are_expired() {
    let hook = Receiver::start(true);
    let text = format!(
        "{FAST}\n[[alerts.receivers]]\nname = \"hook\"\nkind = \"webhook\"\nurl = \"{}\"\n{ERROR_RULE}",
        hook.url()
    );
    let server = TestServer::start(config_from_toml(&text));
    create_iris(&server, "iris");
    let silences = server.url("/api/v1/alerts/silences");
    let bad = post_json(&silences, r#"{"matchers": {}, "duration": "1h"}"#);
    assert_eq!(bad.status, 422, "{}", bad.body);
    let s = post_json(
        &silences,
        r#"{"matchers": {"alertname": "ModelErrors", "project": "iris"}, "duration": "1h", "comment": "deploy", "created_by": "ops"}"#,
    );
    assert_eq!(s.status, 201, "{}", s.body);
    let id = s.json()["id"].as_i64().unwrap();
    assert_eq!(s.json()["active"], true);

    let events = server.url("/api/v1/projects/iris/events");
    assert_eq!(post_json(&events, &iris_events(100, 0.0)).status, 200);
    wait_for("the alert to fire", Duration::from_secs(10), || {
        firing(&server, "ModelErrors").is_some()
    });
    assert_eq!(
        firing(&server, "ModelErrors").unwrap()["silenced_by"],
        serde_json::json!([id])
    );
    std::thread::sleep(Duration::from_secs(3));
    assert!(hook.bodies().is_empty(), "{:?}", hook.bodies());

    let gone = call(
        "DELETE",
        &server.url(&format!("/api/v1/alerts/silences/{id}")),
        &[],
        None,
    );
    assert_eq!(gone.status, 204, "{}", gone.body);
    assert_eq!(
        call(
            "DELETE",
            &server.url("/api/v1/alerts/silences/999"),
            &[],
            None
        )
        .status,
        404
    );
    wait_for(
        "the notification after the silence",
        Duration::from_secs(10),
        || !hook.bodies().is_empty(),
    );
    assert_eq!(
        hook.bodies()[0]["alerts"][0]["labels"]["alertname"],
        "ModelErrors"
    );
    let list = get(&silences).json();
    assert_eq!(list["silences"].as_array().unwrap().len(), 0, "{list}");
}

#[test]
fn burn_rate_alerts_on_a_synthetic_error_stream() {
    let server = TestServer::start(config_from_toml(&format!(
        r#"{FAST}
[[alerts.slos]]
project = "iris"
name = "availability"
kind = "availability"
objective = 0.99
[[alerts.slos]]
project = "iris"
name = "fast"
kind = "latency"
objective = 0.9
latency_bound = 0.01
"#
    )));
    create_iris(&server, "iris");
    // 4 % errors against a 1 % budget: a burn rate of 4 in every window. Above the ticket
    // threshold (1x over 3d and 6h), below the pages (14.4x and 6x).
    // Latencies 0.000..0.018 s in steps of 0.002: 0.010 and above land over the 0.01
    // bucket boundary only from 0.012 on, so 4 of 10 are slow: 40 % against 10 %, burn 4.
    let events = server.url("/api/v1/projects/iris/events");
    assert_eq!(post_json(&events, &iris_events(100, 0.0)).status, 200);
    wait_for("the ticket", Duration::from_secs(10), || {
        active(&server)
            .iter()
            .filter(|a| a["alertname"] == "ErrorBudgetBurn" && a["state"] == "firing")
            .count()
            == 2
    });
    std::thread::sleep(Duration::from_millis(1500));
    let burning: Vec<Value> = active(&server)
        .into_iter()
        .filter(|a| a["alertname"] == "ErrorBudgetBurn")
        .collect();
    assert_eq!(burning.len(), 2, "{burning:#?}");
    for a in &burning {
        assert_eq!(a["labels"]["long_window"], "3d");
        assert_eq!(a["labels"]["short_window"], "6h");
        assert_eq!(a["labels"]["severity"], "ticket");
        assert!((a["value"].as_f64().unwrap() - 4.0).abs() < 1e-9, "{a}");
    }
    let slos = get(&server.url("/api/v1/alerts/slos")).json();
    let availability = slos["slos"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["slo"] == "availability")
        .unwrap()
        .clone();
    assert!((availability["sli"].as_f64().unwrap() - 0.96).abs() < 1e-9);
    assert!((availability["error_budget_remaining"].as_f64().unwrap() + 3.0).abs() < 1e-9);
    assert!((availability["burn_rates"]["1h"].as_f64().unwrap() - 4.0).abs() < 1e-9);

    let metrics = get(&server.url("/metrics")).body;
    let sample = |series: &str| -> f64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("{series} not in\n{metrics}"))
    };
    let near = |a: f64, b: f64| (a - b).abs() < 1e-9;
    assert!(near(
        sample("modelwatch_slo_objective{project=\"iris\",slo=\"availability\"}"),
        0.99
    ));
    assert!(near(
        sample("modelwatch_slo_sli{project=\"iris\",slo=\"fast\"}"),
        0.6
    ));
    assert!(near(
        sample("modelwatch_slo_burn_rate{project=\"iris\",slo=\"availability\",window=\"5m\"}"),
        4.0
    ));
    assert!(near(
        sample("modelwatch_slo_error_budget_remaining{project=\"iris\",slo=\"fast\"}"),
        -3.0
    ));
    assert_eq!(
        sample("modelwatch_alerts{alertname=\"ErrorBudgetBurn\",project=\"iris\",severity=\"ticket\",alertstate=\"firing\"}"),
        1.0
    );
}

#[test]
fn rules_through_the_api() {
    let server = TestServer::start(ServerConfig::default());
    let rules = server.url("/api/v1/alerts/rules");
    let list = get(&rules).json();
    let defaults: Vec<&str> = list["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["source"] == "default")
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        defaults,
        ["DatasetDrift", "MissingShareAboveReference", "NoData"]
    );

    let rule = r#"{"name": "SlowModel", "metric": "model_latency_p95", "threshold": 0.5, "for": "5m", "annotations": {"summary": "p95 {{value}} s"}}"#;
    assert_eq!(post_json(&rules, rule).status, 201);
    assert_eq!(post_json(&rules, rule).status, 409);
    let bad = post_json(&rules, r#"{"name": "X", "metric": "nope", "threshold": 1}"#);
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("unknown metric"), "{}", bad.body);
    let typo = post_json(
        &rules,
        r#"{"name": "X", "metric": "drifted_shar", "threshold": 1}"#,
    );
    assert_eq!(typo.status, 422);
    assert!(
        typo.body
            .contains("unknown metric `drifted_shar`: did you mean `drifted_share`"),
        "{}",
        typo.body
    );
    let off = r#"{"name": "SlowModel", "metric": "model_latency_p95", "threshold": 0.5, "enabled": false}"#;
    let put = call(
        "PUT",
        &server.url("/api/v1/alerts/rules/SlowModel"),
        &[("Content-Type", "application/json")],
        Some(off.as_bytes()),
    );
    assert_eq!(put.status, 200, "{}", put.body);
    let got = get(&server.url("/api/v1/alerts/rules/SlowModel")).json();
    assert_eq!(got["enabled"], false);
    assert_eq!(got["source"], "api");
    // A default is switched off for one project with a project rule of its name.
    let quiet = r#"{"name": "NoData", "project": "quiet", "metric": "no_data_intervals", "threshold": 2, "enabled": false}"#;
    assert_eq!(post_json(&rules, quiet).status, 201);
    let d = call(
        "DELETE",
        &server.url("/api/v1/alerts/rules/SlowModel"),
        &[],
        None,
    );
    assert_eq!(d.status, 204);
    let d = call(
        "DELETE",
        &server.url("/api/v1/alerts/rules/DatasetDrift"),
        &[],
        None,
    );
    assert_eq!(d.status, 404);
    assert!(d.body.contains("enabled"), "{}", d.body);
    let d = call(
        "DELETE",
        &server.url("/api/v1/alerts/rules/NoData?project=quiet"),
        &[],
        None,
    );
    assert_eq!(d.status, 204);
    assert_eq!(get(&server.url("/api/v1/alerts/history")).status, 200);
}

/// With modelwatch's own alert evaluation off, `/metrics` still has the time of the last
/// event: the exported `no_data` Prometheus rules are built on it.
#[test]
fn last_event_time_is_exported_with_alerts_disabled() {
    let config = config_from_toml(&format!(
        "{}[alerts]\nenabled = false\n",
        fast_iris_project()
    ));
    let server = TestServer::start(config);
    let events = server.url("/api/v1/projects/iris/events");
    assert_eq!(post_json(&events, &iris_events(20, 0.0)).status, 200);
    let metrics = get(&server.url("/metrics"));
    assert_eq!(metrics.status, 200);
    let line = metrics
        .body
        .lines()
        .find(|l| l.starts_with("modelwatch_last_event_timestamp_seconds{"))
        .map(str::to_string);
    let line = line.unwrap_or_else(|| panic!("no last-event series in:\n{}", metrics.body));
    assert!(line.contains("project=\"iris\""), "{line}");
    let seconds: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(seconds > 1.7e9, "{line}");
}
