//! The report command end to end: JSON to a file and to stdout, the terminal table and
//! verdict, settings from flags and from a TOML file.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use tempfile::TempDir;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn modelwatch() -> Command {
    Command::cargo_bin("modelwatch").unwrap()
}

fn iris_args() -> Vec<String> {
    let r = repo();
    vec![
        "report".into(),
        "--reference".into(),
        r.join("examples/iris/reference.csv").display().to_string(),
        "--current".into(),
        r.join("examples/iris/current.csv").display().to_string(),
    ]
}

#[test]
fn json_to_stdout_is_the_same_result_as_the_file() {
    let d = TempDir::new().unwrap();
    let file = d.path().join("drift.json");
    let out = modelwatch()
        .args(iris_args())
        .args(["--json", "-"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout: Value = serde_json::from_slice(&out.stdout).expect("stdout is only JSON");
    // The table goes to stderr when JSON takes stdout.
    assert!(String::from_utf8_lossy(&out.stderr).contains("columns drifted"));
    modelwatch()
        .args(iris_args())
        .arg("--json")
        .arg(&file)
        .assert()
        .success()
        .stdout(predicate::str::contains("columns drifted"));
    let from_file: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(stdout["drift"], from_file["drift"]);
    let drift = &stdout["drift"];
    let columns = drift["columns"].as_array().unwrap();
    let tested = columns.iter().filter(|c| !c["score"].is_null()).count();
    assert_eq!(drift["column_count"].as_u64().unwrap() as usize, tested);
    let drifted = columns.iter().filter(|c| c["drifted"] == true).count();
    assert_eq!(drift["drifted_count"].as_u64().unwrap() as usize, drifted);
    for c in columns {
        for key in [
            "column",
            "type",
            "method",
            "threshold",
            "score",
            "drifted",
            "reference_rows",
            "current_rows",
            "reference_missing",
            "current_missing",
        ] {
            assert!(c.get(key).is_some(), "{key} missing in {c}");
        }
    }
    assert_eq!(stdout["meta"]["version"], env!("CARGO_PKG_VERSION"));
}

#[test]
fn flags_and_config_choose_methods_and_thresholds() {
    let d = TempDir::new().unwrap();
    let cfg = d.path().join("mw.toml");
    std::fs::write(
        &cfg,
        "[drift]\nmethod = \"psi\"\ndrift_share = 0.9\n[drift.column_methods]\nsepal_width = \"ks\"\n",
    )
    .unwrap();
    let out = modelwatch()
        .args(iris_args())
        .args(["--json", "-", "--config"])
        .arg(&cfg)
        .args([
            "--column-threshold",
            "sepal_width=0.01",
            "--categorical",
            "species",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["drift"]["drift_share"], 0.9);
    for c in v["drift"]["columns"].as_array().unwrap() {
        match c["column"].as_str().unwrap() {
            "sepal_width" => {
                assert_eq!(c["method"], "ks");
                assert_eq!(c["threshold"], 0.01);
            }
            _ => {
                assert_eq!(c["method"], "psi", "{c}");
                assert_eq!(c["threshold"], 0.1);
            }
        }
    }
}

#[test]
fn same_data_does_not_drift() {
    let r = repo().join("examples/iris/reference.csv");
    let out = modelwatch()
        .arg("report")
        .arg("--reference")
        .arg(&r)
        .arg("--current")
        .arg(&r)
        .args(["--json", "-"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["drift"]["drifted_count"], 0);
    assert_eq!(v["drift"]["dataset_drift"], false);
}

#[test]
fn reference_and_current_may_be_different_formats() {
    // The same rows as CSV and as JSON Lines give the same drift result.
    let d = TempDir::new().unwrap();
    let csv = d.path().join("cur.csv");
    let jsonl = d.path().join("cur.jsonl");
    let mut csv_text = String::from("x,label\n");
    let mut jsonl_text = String::new();
    for i in 0..60 {
        let x = (i as f64) * 0.37 - 3.0;
        let label = ["a", "b", "c"][i % 3];
        csv_text.push_str(&format!("{x},{label}\n"));
        jsonl_text.push_str(&format!("{{\"x\": {x}, \"label\": \"{label}\"}}\n"));
    }
    std::fs::write(&csv, csv_text).unwrap();
    std::fs::write(&jsonl, jsonl_text).unwrap();
    let reference = d.path().join("ref.csv");
    let mut ref_text = String::from("x,label\n");
    for i in 0..80 {
        ref_text.push_str(&format!("{},{}\n", (i as f64) * 0.21, ["a", "b"][i % 2]));
    }
    std::fs::write(&reference, ref_text).unwrap();
    let run = |current: &Path| -> Value {
        let out = modelwatch()
            .arg("report")
            .arg("--reference")
            .arg(&reference)
            .arg("--current")
            .arg(current)
            .args(["--json", "-"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let a = run(&csv);
    let b = run(&jsonl);
    assert_eq!(a["drift"]["columns"], b["drift"]["columns"]);
    assert_eq!(a["drift"]["columns"][1]["type"], "categorical");
    assert_eq!(a["drift"]["columns"][1]["method"], "chisquare");
    // A label absent from the reference makes chisquare's p-value exactly 0.
    assert_eq!(a["drift"]["columns"][1]["score"], 0.0);
}

/// 100,000 readings of a sensor that barely moves (27 distinct values in 10 +- 1.4e-5, many
/// ties): the radix sort crate used before crashed on exactly this column. Both the drift
/// and the summary presets sort it.
#[test]
fn narrow_band_column_with_many_ties_is_reported() {
    let mut g = modelwatch_core::synth::Synth::new(12345);
    for _ in 0..100_000 {
        g.normal(); // the first column of the original data
    }
    let mut csv = String::from("x\n");
    for _ in 0..100_000 {
        let x = (g.normal() * 3.0 + 1e7).round() / 1e6;
        csv.push_str(&format!("{x:.6}\n"));
    }
    let json = drift_and_summary(csv.as_bytes(), csv.as_bytes());
    let column = &json["drift"]["columns"][0];
    assert_eq!(column["column"], "x");
    assert_eq!(column["score"], 0.0);
    assert_eq!(column["drifted"], false);
    let summary = summary_of_x(&json).clone();
    let stats = &summary["current"];
    assert_eq!(stats["distinct"], 27, "{summary}");
    assert_eq!(stats["numeric"]["min"], 9.999985, "{summary}");
    assert_eq!(stats["numeric"]["max"], 10.000014, "{summary}");
}

/// Runs `modelwatch report` with the drift and summary presets and returns its JSON.
fn drift_and_summary(reference: &[u8], current: &[u8]) -> Value {
    let d = TempDir::new().unwrap();
    let (r, c) = (d.path().join("reference.csv"), d.path().join("current.csv"));
    std::fs::write(&r, reference).unwrap();
    std::fs::write(&c, current).unwrap();
    let out = modelwatch()
        .args(["report", "--reference"])
        .arg(&r)
        .arg("--current")
        .arg(&c)
        .args(["--preset", "drift,summary", "--json", "-"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is only JSON")
}

/// The summary of column `x`.
fn summary_of_x(json: &Value) -> &Value {
    json["summary"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["column"] == "x")
        .expect("x summarised")
}

/// Ten values and ten `""` (what `pandas.Series([0, None, 1, None, ...]).to_frame("x")
/// .to_csv(index=False)` writes).
fn ten_values_ten_gaps() -> Vec<u8> {
    let mut csv = String::from("x\n");
    for i in 0..10 {
        csv.push_str(&format!("{i}\n\"\"\n"));
    }
    csv.into_bytes()
}

/// A quoted empty field (`""`, how pandas writes a missing value in a one-column CSV) is a
/// missing value: its row is counted.
#[test]
fn quoted_empty_fields_count_as_missing() {
    let data = ten_values_ten_gaps();
    let json = drift_and_summary(&data, &data);
    let x = summary_of_x(&json);
    for side in ["reference", "current"] {
        assert_eq!(x[side]["rows"], 20, "{x}");
        assert_eq!(x[side]["missing"], 10, "{x}");
    }
    let drift = &json["drift"]["columns"][0];
    assert_eq!(drift["column"], "x");
    assert_eq!(drift["current_rows"], 20, "{drift}");
    assert_eq!(drift["current_missing"], 10, "{drift}");
}

/// A column of nothing but quoted empty fields is summarised as all missing instead of
/// failing as a file without rows.
#[test]
fn a_column_of_only_quoted_empty_fields_is_all_missing() {
    let current = "x\n\"\"\n\"\"\n\"\"\n\"\"\n\"\"\n\"\"\n\"\"\n";
    let json = drift_and_summary(&ten_values_ten_gaps(), current.as_bytes());
    let x = summary_of_x(&json);
    assert_eq!(x["current"]["rows"], 7, "{x}");
    assert_eq!(x["current"]["missing"], 7, "{x}");
    let drift = &json["drift"]["columns"][0];
    assert_eq!(drift["current_rows"], 7, "{drift}");
    assert_eq!(drift["current_missing"], 7, "{drift}");
    // nothing to test against the reference
    assert!(drift["score"].is_null(), "{drift}");
}
