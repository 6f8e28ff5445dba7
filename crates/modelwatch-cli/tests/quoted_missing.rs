//! A quoted empty field (`""`, how pandas writes a missing value in a one-column CSV) reaches
//! the report as a missing value: the rows are counted, and a column with nothing but such
//! fields is summarised as all missing instead of failing as a file without rows.

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

/// Runs `modelwatch report` with the drift and summary presets and returns its JSON.
fn report(reference: &[u8], current: &[u8]) -> Value {
    let d = TempDir::new().unwrap();
    let (r, c) = (d.path().join("reference.csv"), d.path().join("current.csv"));
    std::fs::write(&r, reference).unwrap();
    std::fs::write(&c, current).unwrap();
    let out = Command::cargo_bin("modelwatch")
        .unwrap()
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

#[test]
fn quoted_empty_fields_count_as_missing() {
    let data = ten_values_ten_gaps();
    let json = report(&data, &data);
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

#[test]
fn a_column_of_only_quoted_empty_fields_is_all_missing() {
    let current = "x\n\"\"\n\"\"\n\"\"\n\"\"\n\"\"\n\"\"\n\"\"\n";
    let json = report(&ten_values_ten_gaps(), current.as_bytes());
    let x = summary_of_x(&json);
    assert_eq!(x["current"]["rows"], 7, "{x}");
    assert_eq!(x["current"]["missing"], 7, "{x}");
    let drift = &json["drift"]["columns"][0];
    assert_eq!(drift["current_rows"], 7, "{drift}");
    assert_eq!(drift["current_missing"], 7, "{drift}");
    // nothing to test against the reference
    assert!(drift["score"].is_null(), "{drift}");
}
