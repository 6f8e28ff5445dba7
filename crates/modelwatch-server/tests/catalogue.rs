//! The catalogue of metrics against the running service: with every preset on, each
//! catalogued snapshot metric has samples on `/metrics`, is accepted by an alert rule, and
//! exports to a Prometheus rule that `promtool check rules` accepts; and the families of a
//! scrape are exactly the catalogue's, with its types, help and labels. Outside CI a
//! missing promtool skips that part with a printed reason; under `CI=true` it fails.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use common::*;
use modelwatch_server::alerts::export::prometheus_rules;
use modelwatch_server::catalogue::{self, FamilyKind, SNAPSHOT_METRICS};
use modelwatch_server::config::ServerConfig;

/// A binary classifier with a probability column: every classification metric is defined.
const BINARY: &str = "binary";
/// A regression model with non-zero targets: every regression metric is defined.
const REGRESSION: &str = "regression";

/// `n` rows of the binary project as CSV, or as JSON events with ids when `json`; `e_0`
/// and `e_1` are the components of its embedding `emb`.
fn binary_rows(n: usize, shift: f64, json: bool) -> String {
    let mut rows = Vec::new();
    for i in 0..n {
        let truth = if i % 2 == 0 { "yes" } else { "no" };
        // Right three times out of four, with probabilities on the predicted side.
        let right = i % 4 != 3;
        let pred = if right == (truth == "yes") {
            "yes"
        } else {
            "no"
        };
        let p = if pred == "yes" { 0.6 } else { 0.3 } + (i % 5) as f64 * 0.05;
        let x = (i % 17) as f64 + shift;
        let c = ["a", "b", "c"][i % 3];
        let e = ((i % 7) as f64 + shift, (i % 3) as f64 * 0.5);
        rows.push((i, x, c, truth, pred, p, e));
    }
    if json {
        let v: Vec<serde_json::Value> = rows
            .iter()
            .map(|(i, x, c, y, pred, p, e)| {
                serde_json::json!({"id": format!("b{i}"), "x": x, "c": c, "y": y, "pred": pred, "p": p, "e_0": e.0, "e_1": e.1})
            })
            .collect();
        serde_json::Value::Array(v).to_string()
    } else {
        let mut out = String::from("x,c,y,pred,p,e_0,e_1\n");
        for (_, x, c, y, pred, p, e) in rows {
            let _ = writeln!(out, "{x},{c},{y},{pred},{p},{},{}", e.0, e.1);
        }
        out
    }
}

/// `n` rows of the regression project as CSV, or as JSON events with ids when `json`.
fn regression_rows(n: usize, shift: f64, json: bool) -> String {
    let rows: Vec<(usize, f64, f64, f64)> = (0..n)
        .map(|i| {
            let x = (i % 23) as f64 + shift;
            let t = 10.0 + 2.0 * x;
            let yhat = t + ((i % 7) as f64 - 3.0) * 0.5;
            (i, x, t, yhat)
        })
        .collect();
    if json {
        let v: Vec<serde_json::Value> = rows
            .iter()
            .map(|(i, x, t, yhat)| serde_json::json!({"id": format!("r{i}"), "x": x, "t": t, "yhat": yhat}))
            .collect();
        serde_json::Value::Array(v).to_string()
    } else {
        let mut out = String::from("x,t,yhat\n");
        for (_, x, t, yhat) in rows {
            let _ = writeln!(out, "{x},{t},{yhat}");
        }
        out
    }
}

/// Creates `name` from `reference`, applies `settings`, ingests `events` and takes a snapshot.
fn project_with_snapshot(
    server: &TestServer,
    name: &str,
    reference: &str,
    settings: &str,
    events: &str,
) {
    let a = call(
        "POST",
        &server.url(&format!("/api/v1/projects?name={name}")),
        &[("Content-Type", "text/csv")],
        Some(reference.as_bytes()),
    );
    assert_eq!(a.status, 201, "{}", a.body);
    let base = format!("/api/v1/projects/{name}");
    let a = call(
        "PUT",
        &server.url(&base),
        &[("Content-Type", "application/json")],
        Some(settings.as_bytes()),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    let a = post_json(&server.url(&format!("{base}/events")), events);
    assert_eq!(a.status, 200, "{}", a.body);
    let a = call("POST", &server.url(&format!("{base}/snapshots")), &[], None);
    assert_eq!(a.status, 201, "{}", a.body);
}

/// One sample line of the text format: family (without a histogram's suffix), labels.
fn parse_sample(line: &str) -> Option<(String, BTreeMap<String, String>)> {
    let end = line.find(['{', ' '])?;
    let name = line[..end].to_string();
    let mut labels = BTreeMap::new();
    if line[end..].starts_with('{') {
        let close = line.rfind('}')?;
        // The test's project, column and label names hold no quote, comma or backslash.
        for pair in line[end + 1..close].split("\",") {
            let (k, v) = pair.split_once("=\"")?;
            labels.insert(k.to_string(), v.trim_end_matches('"').to_string());
        }
    }
    Some((name, labels))
}

#[test]
fn every_catalogued_metric_is_exposed_ruled_and_exported() {
    let server = TestServer::start(ServerConfig::default());
    project_with_snapshot(
        &server,
        BINARY,
        &binary_rows(60, 0.0, false),
        r#"{"columns": {"target": "y", "prediction": "pred", "embeddings": {"emb": "e_"}},
            "drift": {"embedding_methods": {"emb": "distance"}}, "prediction_proba": ["p"],
            "multivariate": {"methods": ["reconstruction"]},
            "pos_label": "yes", "presets": ["drift", "summary", "target", "classification"],
            "schedule": {"interval": "0s", "min_rows": 5}}"#,
        &binary_rows(40, 5.0, true),
    );
    project_with_snapshot(
        &server,
        REGRESSION,
        &regression_rows(60, 0.0, false),
        r#"{"columns": {"target": "t", "prediction": "yhat"},
            "presets": ["drift", "summary", "target", "regression"],
            "schedule": {"interval": "0s", "min_rows": 5}}"#,
        &regression_rows(40, 4.0, true),
    );

    let body = call(
        "GET",
        &server.url("/metrics"),
        &[("Accept", "text/plain")],
        None,
    )
    .body;

    // The families of the scrape are the catalogue's, with the same type and help.
    let mut scraped: BTreeMap<String, (String, String)> = BTreeMap::new();
    for line in body.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap();
            scraped.entry(name.into()).or_default().1 = help.into();
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            scraped.entry(name.into()).or_default().0 = kind.into();
        }
    }
    let catalogued: BTreeMap<String, (String, String)> = catalogue::all_families()
        .iter()
        .map(|f| {
            (
                f.exposed_name(),
                (f.kind.as_str().to_string(), f.help.to_string()),
            )
        })
        .collect();
    for (name, want) in &catalogued {
        assert_eq!(
            scraped.get(name),
            Some(want),
            "{name}: /metrics and the catalogue differ"
        );
    }
    for name in scraped.keys() {
        assert!(
            catalogued.contains_key(name),
            "{name} is on /metrics but not in the catalogue"
        );
    }

    // Every sample carries its family's labels (plus `le` on a histogram's buckets).
    let samples: Vec<(String, BTreeMap<String, String>)> = body
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| parse_sample(l).unwrap_or_else(|| panic!("unparsed sample: {l}")))
        .collect();
    for family in catalogue::all_families() {
        let exposed = family.exposed_name();
        for (name, labels) in &samples {
            let bucket = name == &format!("{}_bucket", family.name);
            let own = name == &exposed
                || (family.kind == FamilyKind::Histogram
                    && (bucket
                        || name == &format!("{}_sum", family.name)
                        || name == &format!("{}_count", family.name)));
            if !own {
                continue;
            }
            let mut want: BTreeSet<&str> = family.labels.iter().copied().collect();
            if bucket {
                want.insert("le");
            }
            let got: BTreeSet<&str> = labels.keys().map(String::as_str).collect();
            assert_eq!(got, want, "labels of {name}");
        }
    }

    // Each snapshot metric has a sample for one of the projects.
    let mut missing = Vec::new();
    for entry in SNAPSHOT_METRICS {
        let found = samples.iter().any(|(name, labels)| {
            name == entry.family.name
                && [BINARY, REGRESSION].contains(&labels["project"].as_str())
                && entry
                    .fixed_label
                    .is_none_or(|(k, v)| labels.get(k).map(String::as_str) == Some(v))
                && entry.key_label().is_none_or(|k| labels.contains_key(k))
        });
        if !found {
            missing.push(entry.metric);
        }
    }
    assert!(missing.is_empty(), "not on /metrics: {missing:?}\n{body}");

    // A rule on each snapshot metric passes validation and exports without a warning.
    let mut toml = String::from("[alerts]\ndefault_rules = false\n");
    for (i, entry) in SNAPSHOT_METRICS.iter().enumerate() {
        let _ = write!(
            toml,
            "[[alerts.rules]]\nname = \"Rule{i}\"\nmetric = \"{}\"\nthreshold = 0\n",
            entry.metric
        );
    }
    let config = config_from_toml(&toml);
    config.validate().unwrap();
    assert!(config.alerts.rules.iter().all(|r| r.metric_ref().is_ok()));
    let (yaml, warnings) = prometheus_rules(&config.alerts);
    assert!(warnings.is_empty(), "{warnings:?}");
    for entry in SNAPSHOT_METRICS {
        let selector = entry.selector(None, None, |v| format!("\\\"{v}\\\""));
        assert!(yaml.contains(&selector), "{selector} not in\n{yaml}");
    }

    let Some(text) = promtool_check_rules(&yaml) else {
        return;
    };
    let rules = format!("SUCCESS: {} rules found", SNAPSHOT_METRICS.len());
    assert!(text.contains(&rules), "{text}");
}
