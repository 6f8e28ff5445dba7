//! `--preset` end to end: each preset adds its key to the JSON and its section to the
//! terminal output, with the numbers the library computes (the parity tests check those
//! numbers against Evidently; here the wiring is checked).

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn fixture(case: &str, file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(case)
        .join(file)
}

fn run(case: &str, extra: &[&str]) -> (Value, String) {
    let out = Command::cargo_bin("modelwatch")
        .unwrap()
        .arg("report")
        .arg("--reference")
        .arg(fixture(case, "reference.csv"))
        .arg("--current")
        .arg(fixture(case, "current.csv"))
        .args(["--json", "-"])
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    (serde_json::from_slice(&out.stdout).unwrap(), stderr)
}

#[test]
fn default_presets_are_drift_and_summary() {
    let (v, text) = run("drift/ks", &[]);
    assert!(v["drift"].is_object());
    assert!(v["summary"].is_object());
    for key in ["target", "classification", "regression"] {
        assert!(v.get(key).is_none(), "{key} present by default");
    }
    assert!(text.contains("Data summary") && text.contains("Data drift"));
}

#[test]
fn one_preset_alone() {
    let (v, text) = run("drift/ks", &["--preset", "summary"]);
    assert!(v.get("drift").is_none());
    assert_eq!(
        v["summary"]["current"]["rows"].as_u64().unwrap() as usize,
        v["meta"]["current_rows"].as_u64().unwrap() as usize
    );
    assert!(!text.contains("Data drift"));
}

#[test]
fn regression_and_target_presets() {
    let (v, text) = run(
        "model_quality/regression",
        &[
            "--preset",
            "regression,target",
            "--target",
            "target",
            "--prediction",
            "prediction",
        ],
    );
    let r = &v["regression"];
    assert!(r["current"]["mae"].as_f64().unwrap() > 0.0);
    assert!(r["reference"]["rmse"].as_f64().unwrap() > 0.0);
    assert!(r["dummy"]["quality"]["mae"].is_number());
    assert_eq!(v["target"]["target"]["column"], "target");
    assert_eq!(v["target"]["prediction"]["column"], "prediction");
    assert!(text.contains("target"), "{text}");
}

#[test]
fn classification_preset_with_pos_label() {
    let (v, _) = run(
        "model_quality/binary_labels",
        &[
            "--preset",
            "classification",
            "--target",
            "target",
            "--prediction",
            "prediction",
            "--pos-label",
            "1",
        ],
    );
    let c = &v["classification"]["current"];
    let acc = c["accuracy"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&acc));
    assert_eq!(c["confusion_matrix"]["labels"].as_array().unwrap().len(), 2);
}

#[test]
fn model_presets_need_their_columns() {
    for (preset, want) in [
        ("classification", "--target"),
        ("regression", "--target and --prediction"),
        ("target", "--target or --prediction"),
    ] {
        let out = Command::cargo_bin("modelwatch")
            .unwrap()
            .arg("report")
            .arg("--reference")
            .arg(fixture("drift/ks", "reference.csv"))
            .arg("--current")
            .arg(fixture("drift/ks", "current.csv"))
            .args(["--preset", preset])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{preset}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{preset}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    }
    let out = Command::cargo_bin("modelwatch")
        .unwrap()
        .arg("report")
        .arg("--reference")
        .arg(fixture("drift/ks", "reference.csv"))
        .arg("--current")
        .arg(fixture("drift/ks", "current.csv"))
        .args(["--preset", "drift,quality"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown preset `quality`"));
}
