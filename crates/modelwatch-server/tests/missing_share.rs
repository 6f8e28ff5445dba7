//! The missing share the service watches (`missing_share`, `reference_missing_share` and
//! the default `MissingShareAboveReference` rule) leaves out the id and timestamp columns
//! and targets still waiting for their labels: a healthy window with an id column and no
//! labels yet does not alert, and missing feature values still do.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{json, Value};

const CONFIG: &str = r#"
[alerts]
evaluation_interval = "1s"
group_wait = "0s"
group_interval = "1s"

# Fires on every snapshot of a window: once it fires, the rules have been evaluated
# against that snapshot.
[[alerts.rules]]
name = "Evaluated"
metric = "rows"
operator = ">"
threshold = 0
"#;

/// Iris-like events with an `id` and without `species` (their labels are not in yet);
/// `petal_width` is missing in the events whose index `missing` holds.
fn events(range: std::ops::Range<usize>, missing: impl Fn(usize) -> bool) -> String {
    let rows: Vec<Value> = range
        .map(|i| {
            let f = (i % 10) as f64 / 10.0;
            let petal_width = if missing(i) {
                Value::Null
            } else {
                json!(0.2 + f)
            };
            json!({
                "id": format!("e{i}"),
                "sepal_length": 5.0 + f,
                "sepal_width": 3.0 + f / 2.0,
                "petal_length": 1.5 + 3.0 * f,
                "petal_width": petal_width,
            })
        })
        .collect();
    Value::Array(rows).to_string()
}

fn gauge(server: &TestServer, family: &str) -> Option<f64> {
    let m = get(&server.url("/metrics")).body;
    let prefix = format!("{family}{{project=\"p\"}} ");
    m.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .map(|v| v.parse().unwrap())
}

fn alerts(server: &TestServer) -> Vec<Value> {
    get(&server.url("/api/v1/alerts")).json()["alerts"]
        .as_array()
        .unwrap()
        .clone()
}

/// Takes a snapshot and waits until the rules have been evaluated against it.
fn snapshot_and_evaluate(server: &TestServer, rows: f64) {
    let a = call(
        "POST",
        &server.url("/api/v1/projects/p/snapshots"),
        &[],
        None,
    );
    assert_eq!(a.status, 201, "{}", a.body);
    wait_for(
        "the rules to see the snapshot",
        Duration::from_secs(60),
        || {
            alerts(server)
                .iter()
                .any(|a| a["alertname"] == "Evaluated" && a["value"].as_f64() == Some(rows))
        },
    );
}

#[test]
fn id_timestamp_and_unlabelled_targets_are_not_missing_values() {
    let server = TestServer::start(config_from_toml(CONFIG));
    let settings = json!({
        "name": "p",
        "columns": {"target": "species", "id": "id"},
        "presets": ["drift", "summary"],
        "schedule": {"interval": "0s", "min_rows": 10},
        "reference": String::from_utf8(iris_reference()).unwrap()
            .lines()
            .skip(1)
            .map(|l| {
                let c: Vec<&str> = l.split(',').collect();
                json!({
                    "sepal_length": c[0].parse::<f64>().unwrap(),
                    "sepal_width": c[1].parse::<f64>().unwrap(),
                    "petal_length": c[2].parse::<f64>().unwrap(),
                    "petal_width": c[3].parse::<f64>().unwrap(),
                    "species": c[4],
                })
            })
            .collect::<Vec<_>>(),
    });
    let a = post_json(&server.url("/api/v1/projects"), &settings.to_string());
    assert_eq!(a.status, 201, "{}", a.body);
    let url = server.url("/api/v1/projects/p/events");

    // 20 events, every feature present, an id column the events do not fill and no label
    // yet: nothing is missing.
    let a = post_json(&url, &events(0..20, |_| false));
    assert_eq!(a.status, 200, "{}", a.body);
    snapshot_and_evaluate(&server, 20.0);
    assert_eq!(gauge(&server, "modelwatch_missing_values_share"), Some(0.0));
    assert_eq!(
        gauge(&server, "modelwatch_reference_missing_values_share"),
        Some(0.0)
    );
    // The per-column share still tells the whole story of each column.
    let m = get(&server.url("/metrics")).body;
    assert!(
        m.contains("modelwatch_column_missing_share{project=\"p\",column=\"species\"} 1.0"),
        "{m}"
    );
    let fired: Vec<Value> = alerts(&server)
        .into_iter()
        .filter(|a| a["alertname"] == "MissingShareAboveReference")
        .collect();
    assert!(fired.is_empty(), "{fired:?}");

    // 20 more, 4 of them without petal_width: 4 missing of 40 rows x 4 features.
    let a = post_json(&url, &events(20..40, |i| i % 5 == 0));
    assert_eq!(a.status, 200, "{}", a.body);
    snapshot_and_evaluate(&server, 40.0);
    assert_eq!(
        gauge(&server, "modelwatch_missing_values_share"),
        Some(0.025)
    );
    wait_for(
        "MissingShareAboveReference",
        Duration::from_secs(60),
        || {
            alerts(&server).iter().any(|a| {
                a["alertname"] == "MissingShareAboveReference"
                    && a["state"] == "firing"
                    && a["value"].as_f64() == Some(0.025)
            })
        },
    );
    // It says why: the value and the threshold, in the listing, its annotations and on
    // the dashboard.
    let alert = alerts(&server)
        .into_iter()
        .find(|a| a["alertname"] == "MissingShareAboveReference")
        .unwrap();
    assert_eq!(alert["metric"], "missing_share_excess");
    assert_eq!(alert["operator"], ">");
    assert_eq!(alert["threshold"], 0.01);
    assert_eq!(
        alert["annotations"]["condition"],
        "missing_share_excess is 0.025; fires when > 0.01"
    );
    assert_eq!(
        alert["annotations"]["description"],
        "The missing share of p's latest window is 0.025 above the reference's (fires above 0.01)."
    );
    let page = get(&server.url("/projects/p")).body;
    assert!(
        page.contains(
            "<td class=\"condition\">missing_share_excess is 0.025; fires when &gt; 0.01</td>"
        ),
        "{page}"
    );
    let home = get(&server.url("/")).body;
    assert!(
        home.contains("(missing_share_excess is 0.025; fires when &gt; 0.01)"),
        "{home}"
    );
}
