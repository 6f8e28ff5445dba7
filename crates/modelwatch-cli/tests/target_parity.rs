//! Parity with Evidently 0.7's `TargetDriftPreset`: every case under `tests/fixtures/target/`
//! was produced by `scripts/gen_target_fixtures.py` running Evidently (legacy API) on the
//! committed CSV files; here the same files go through modelwatch's readers and
//! `compute_target`, and the drift of the target, prediction and probability columns (method,
//! threshold, score, verdict) and every correlation (Pearson, Spearman, Kendall, Cramér's V in
//! both datasets) must agree within 1e-9 absolute + 1e-6 relative, undefined values included.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use modelwatch_core::drift::{ColumnDrift, DriftSettings};
use modelwatch_core::prepare::{PreparedRun, RunSettings};
use modelwatch_core::schema::SchemaOverrides;
use modelwatch_core::target::{compute_target, CorrelationValues};
use modelwatch_io::{read_table, ReadOptions};
use serde_json::Value;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/target")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 + 1e-6 * b.abs()
}

fn check_drift(what: &str, got: Option<&ColumnDrift>, want: &Value, failures: &mut Vec<String>) {
    if want.is_null() {
        if got.is_some() {
            failures.push(format!("{what}: not expected"));
        }
        return;
    }
    let Some(got) = got else {
        failures.push(format!("{what}: missing"));
        return;
    };
    let want_type = match want["type"].as_str().unwrap() {
        "num" => "numerical",
        "cat" => "categorical",
        other => other,
    };
    if got.column_type.as_str() != want_type {
        failures.push(format!("{what}: type {} != {want_type}", got.column_type));
    }
    let want_method = want["method"].as_str().unwrap();
    if got.method.map(|m| m.name()) != Some(want_method) {
        failures.push(format!("{what}: method {:?} != {want_method}", got.method));
    }
    if got.threshold != want["threshold"].as_f64() {
        failures.push(format!("{what}: threshold {:?}", got.threshold));
    }
    match (got.score, want["score"].as_f64()) {
        (Some(g), Some(w)) if close(g, w) => {}
        (g, w) => failures.push(format!("{what}: score {g:?} != {w:?} ({:?})", got.error)),
    }
    if got.drifted != want["drifted"].as_bool() {
        failures.push(format!("{what}: drifted {:?}", got.drifted));
    }
}

fn check_values(what: &str, got: &CorrelationValues, want: &Value, failures: &mut Vec<String>) {
    let fields = [
        ("pearson", got.pearson),
        ("spearman", got.spearman),
        ("kendall", got.kendall),
        ("cramers_v", got.cramers_v),
    ];
    for (key, value) in fields {
        let Some(w) = want.get(key) else {
            // Evidently gives no such coefficient for this kind: neither do we.
            if value.is_some() {
                failures.push(format!("{what}/{key}: {value:?}, Evidently has none"));
            }
            continue;
        };
        match (value, w.as_f64()) {
            (None, None) => {}
            (Some(g), Some(w)) if close(g, w) => {}
            (g, w) => failures.push(format!("{what}/{key}: {g:?} != {w:?}")),
        }
    }
}

fn run_case(dir: &Path) -> (usize, Vec<String>) {
    let case = dir.file_name().unwrap().to_string_lossy().to_string();
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let reference = read_table(&dir.join("reference.csv"), &ReadOptions::default())
        .unwrap_or_else(|e| panic!("{case}: {e}"));
    let current = read_table(&dir.join("current.csv"), &ReadOptions::default())
        .unwrap_or_else(|e| panic!("{case}: {e}"));

    let mut schema = SchemaOverrides::default();
    for (col, ty) in expected["column_types"].as_object().unwrap() {
        match ty.as_str().unwrap() {
            "numerical" => schema.numerical.push(col.clone()),
            "categorical" => schema.categorical.push(col.clone()),
            other => panic!("{case}: unknown type {other}"),
        }
    }
    schema.target = expected["target_column"].as_str().map(str::to_string);
    schema.prediction = expected["prediction_column"].as_str().map(str::to_string);
    let proba: Vec<String> = expected["prediction_proba"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();

    let drift = DriftSettings::default();
    let settings = RunSettings {
        prediction_proba: &proba,
        ..RunSettings::new(&schema, &drift)
    };
    let run = PreparedRun::new(Some(&reference), &current, settings)
        .unwrap_or_else(|e| panic!("{case}: {e}"));
    let report = compute_target(&run).unwrap_or_else(|e| panic!("{case}: {e}"));

    let mut failures = Vec::new();
    let mut checked = 0;
    check_drift(
        &format!("{case}/target"),
        report.target.as_ref(),
        &expected["target"],
        &mut failures,
    );
    check_drift(
        &format!("{case}/prediction"),
        report.prediction.as_ref(),
        &expected["prediction"],
        &mut failures,
    );
    let want_proba = expected["prediction_proba_drift"].as_array().unwrap();
    assert_eq!(report.prediction_proba.len(), want_proba.len(), "{case}");
    for (got, want) in report.prediction_proba.iter().zip(want_proba) {
        check_drift(
            &format!("{case}/{}", got.column),
            Some(got),
            want,
            &mut failures,
        );
    }
    checked += 2 + want_proba.len();

    let got_corr: BTreeMap<(&str, &str), _> = report
        .correlations
        .iter()
        .map(|c| ((c.column.as_str(), c.feature.as_str()), c))
        .collect();
    let want_corr = expected["correlations"].as_array().unwrap();
    if got_corr.len() != want_corr.len() {
        failures.push(format!(
            "{case}: {} correlations, Evidently has {}",
            got_corr.len(),
            want_corr.len()
        ));
    }
    for want in want_corr {
        let key = (
            want["column"].as_str().unwrap(),
            want["feature"].as_str().unwrap(),
        );
        let what = format!("{case}/{}~{}", key.0, key.1);
        let Some(got) = got_corr.get(&key) else {
            failures.push(format!("{what}: missing"));
            continue;
        };
        if got.kind.as_str() != want["kind"].as_str().unwrap() {
            failures.push(format!("{what}: kind {}", got.kind));
        }
        check_values(
            &format!("{what}/reference"),
            &got.reference,
            &want["reference"],
            &mut failures,
        );
        check_values(
            &format!("{what}/current"),
            &got.current,
            &want["current"],
            &mut failures,
        );
        checked += 1;
    }
    (checked, failures)
}

#[test]
fn target_drift_matches_evidently() {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .expect("tests/fixtures/target exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("expected.json").exists())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 4, "expected at least 4 target cases");
    let mut failures = Vec::new();
    let mut checked = 0;
    for dir in &dirs {
        let (n, f) = run_case(dir);
        checked += n;
        failures.extend(f);
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked >= 30, "only {checked} values checked");
}
