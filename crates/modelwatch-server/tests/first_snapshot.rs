//! A project's first snapshot comes as soon as its window holds `min_rows` events, and a
//! new reference gets a snapshot of its own at once, without waiting for the schedule's
//! interval (an hour here): `/metrics` has the drift gauges from then on.

mod common;

use std::time::Duration;

use common::*;
use modelwatch_server::config::ServerConfig;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(60);

fn snapshots(server: &TestServer) -> Vec<Value> {
    let a = get(&server.url("/api/v1/projects/p/snapshots"));
    assert_eq!(a.status, 200, "{}", a.body);
    a.json()["snapshots"].as_array().unwrap().clone()
}

fn drift_gauge(server: &TestServer) -> Option<f64> {
    get(&server.url("/metrics"))
        .body
        .lines()
        .find_map(|l| l.strip_prefix("modelwatch_dataset_drift{project=\"p\"} "))
        .map(|v| v.parse().unwrap())
}

fn ingest(server: &TestServer, n: usize) {
    let a = post_json(
        &server.url("/api/v1/projects/p/events"),
        &iris_events(n, 0.0),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json()["accepted"], n, "{}", a.body);
}

#[test]
fn the_first_snapshot_is_taken_once_the_window_reaches_min_rows() {
    let server = TestServer::start(ServerConfig::default());
    let settings = json!({
        "name": "p",
        "presets": ["drift"],
        "schedule": {"interval": "1h", "window": "1h", "min_rows": 12},
    });
    let a = call(
        "POST",
        &server.url("/api/v1/projects"),
        &[("Content-Type", "multipart/form-data; boundary=b")],
        Some(
            format!(
                "--b\r\nContent-Disposition: form-data; name=\"settings\"\r\n\r\n{settings}\r\n\
                 --b\r\nContent-Disposition: form-data; name=\"reference\"; \
                 filename=\"iris.csv\"\r\n\r\n{}\r\n--b--\r\n",
                String::from_utf8(iris_reference()).unwrap()
            )
            .as_bytes(),
        ),
    );
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(drift_gauge(&server), None);

    // 5, then 5 more: still under min_rows, so no snapshot can be taken of them.
    ingest(&server, 5);
    ingest(&server, 5);
    // The 12th event fills the window.
    ingest(&server, 2);
    wait_for("the first snapshot", WAIT, || {
        !snapshots(&server).is_empty()
    });
    let list = snapshots(&server);
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["rows"], 12);
    wait_for("the drift gauge", WAIT, || drift_gauge(&server).is_some());
    // Deterministic events, far from Iris in 12 rows.
    assert_eq!(drift_gauge(&server), Some(1.0));

    // More events do not take more snapshots: the project has one of what it is now, and
    // the next is the schedule's, an hour later.
    ingest(&server, 3);
    // A new reference (the first 100 rows of Iris) is a new project to compare against:
    // its first snapshot comes at once too, over the 15 events already in the window.
    let smaller: String = String::from_utf8(iris_reference())
        .unwrap()
        .lines()
        .take(101)
        .map(|l| format!("{l}\n"))
        .collect();
    let a = call(
        "PUT",
        &server.url("/api/v1/projects/p/reference"),
        &[("Content-Type", "text/csv")],
        Some(smaller.as_bytes()),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    wait_for("a snapshot of the new reference", WAIT, || {
        snapshots(&server).len() == 2
    });
    let list = snapshots(&server);
    assert_eq!(list.len(), 2, "{list:?}");
    // Newest first: 15 events against the new reference, 12 against the old one.
    let reference_rows = |snapshot: &Value| {
        let a = get(&server.url(&format!("/api/v1/projects/p/snapshots/{}", snapshot["id"])));
        assert_eq!(a.status, 200, "{}", a.body);
        a.json()["meta"]["reference_rows"].clone()
    };
    assert_eq!(list[0]["rows"], 15);
    assert_eq!(reference_rows(&list[0]), 100);
    assert_eq!(list[1]["rows"], 12);
    assert_eq!(reference_rows(&list[1]), 150);
    // Nothing more: the next snapshot is the schedule's.
    assert_eq!(snapshots(&server).len(), 2);
}

#[test]
fn a_restart_takes_the_snapshot_a_project_lacks() {
    let dir = tempfile::tempdir().unwrap();
    let config = || {
        config_from_toml(&format!(
            "[[projects]]\nname = \"p\"\nreference = \"{IRIS_REFERENCE}\"\npresets = [\"drift\"]\n\
             [projects.schedule]\ninterval = \"1h\"\nwindow = \"1h\"\nmin_rows = 10\n"
        ))
    };
    let server = TestServer::start_in(dir, config());
    ingest(&server, 10);
    wait_for("the first snapshot", WAIT, || snapshots(&server).len() == 1);
    // The config file's project is saved again at start (its settings may have changed):
    // the events already in the window give it a snapshot of what it is now.
    let server = TestServer::start_in(server.into_dir(), config());
    wait_for("a snapshot after the restart", WAIT, || {
        snapshots(&server).len() == 2
    });
    assert!(drift_gauge(&server).is_some());
}
