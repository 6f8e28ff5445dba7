//! `modelwatch report --html`: the iris example written as one self-contained page.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn iris_report_is_written_as_html_next_to_the_json() {
    let dir = TempDir::new().unwrap();
    let html_path = dir.path().join("report.html");
    let json_path = dir.path().join("drift.json");
    let r = repo();
    Command::cargo_bin("modelwatch")
        .unwrap()
        .args(["report", "-q", "--reference"])
        .arg(r.join("examples/iris/reference.csv"))
        .arg("--current")
        .arg(r.join("examples/iris/current.csv"))
        .arg("--html")
        .arg(&html_path)
        .arg("--json")
        .arg(&json_path)
        .assert()
        .success();
    let html = std::fs::read_to_string(&html_path).unwrap();
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    let columns = json["drift"]["columns"].as_array().unwrap();
    assert!(!columns.is_empty());
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.trim_end().ends_with("</html>"));
    assert_eq!(
        html.matches("<tbody class=\"col\"").count(),
        columns.len(),
        "one table row per drift column"
    );
    assert_eq!(html.matches("<svg class=\"chart\"").count(), columns.len());
    for c in columns {
        let name = c["column"].as_str().unwrap();
        assert!(html.contains(&format!("data-column=\"{name}\"")), "{name}");
        assert!(
            c["distribution"].is_object(),
            "{name} has a distribution in the JSON"
        );
    }
    let drifted = json["drift"]["drifted_count"].as_u64().unwrap();
    let tested = json["drift"]["column_count"].as_u64().unwrap();
    assert!(html.contains(&format!("{drifted} of {tested} columns drifted")));
    assert!(!html.contains("NaN"));
    assert!(html.len() < 100_000, "{} bytes", html.len());
    // No leftover temporary file beside the report.
    let entries = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(entries, 2);
}

#[test]
fn unwritable_html_path_is_one_clear_error() {
    let r = repo();
    Command::cargo_bin("modelwatch")
        .unwrap()
        .args(["report", "-q", "--reference"])
        .arg(r.join("examples/iris/reference.csv"))
        .arg("--current")
        .arg(r.join("examples/iris/current.csv"))
        .args(["--html", "/nonexistent-dir/report.html"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "/nonexistent-dir/report.html: cannot write",
        ));
}
