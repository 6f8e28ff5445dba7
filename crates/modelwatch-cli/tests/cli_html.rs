//! `modelwatch report --html`: the iris example written as one self-contained page.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use modelwatch_core::time::{format_us, TimeShape};
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

/// A small deterministic generator (xorshift), so the test needs no extra crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.next().max(1e-12), self.next());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

const EVIL: &str = "<script>alert(1)</script>";

/// Writes a 20-column CSV: a timestamp, 13 numerical and 4 categorical features (one
/// named `EVIL`, with a hostile label), the target `y` and the prediction `p`. With
/// `classification`, `y` is 0/1 and `p` the probability of 1; else both are numbers.
fn write_dataset(path: &Path, rows: usize, seed: u64, shift: f64, classification: bool) {
    let mut rng = Rng(seed);
    let mut header = vec!["ts".to_string()];
    header.extend((0..13).map(|i| format!("num_{i}")));
    header.extend((0..3).map(|i| format!("cat_{i}")));
    header.push(EVIL.to_string());
    header.extend(["y".to_string(), "p".to_string()]);
    let mut out = header.join(",");
    out.push('\n');
    let start = if shift > 0.0 {
        1_700_000_000
    } else {
        1_690_000_000
    };
    for r in 0..rows {
        let secs = start + (r as i64) * 60;
        let mut cells = vec![format_us(secs * 1_000_000, TimeShape::Naive)];
        let mut x0 = 0.0;
        for i in 0..13 {
            let v = rng.normal() * (1.0 + i as f64) + shift * (i % 3) as f64;
            if i == 0 {
                x0 = v;
            }
            if i == 5 && rng.next() < 0.02 + shift * 0.05 {
                cells.push(String::new());
            } else {
                cells.push(format!("{v:.4}"));
            }
        }
        for i in 0..3 {
            let k = (rng.next() * (3.0 + 2.0 * i as f64 + shift)) as usize;
            cells.push(format!("c{i}_{k}"));
        }
        let hostile = ["<b>bold</b>", "a&b", "\"quoted\""][(rng.next() * 3.0) as usize];
        cells.push(hostile.to_string());
        if classification {
            let logit = 1.5 * x0 + rng.normal() - shift;
            let y = u8::from(logit > 0.0);
            let p = 1.0 / (1.0 + (-(1.2 * x0 - 0.5 * shift)).exp());
            cells.push(y.to_string());
            cells.push(format!("{p:.6}"));
        } else {
            let y = 50.0 + 10.0 * x0 + 5.0 * rng.normal();
            let p = y + rng.normal() * (2.0 + 3.0 * shift) + shift * 4.0;
            cells.push(format!("{y:.3}"));
            cells.push(format!("{p:.3}"));
        }
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    std::fs::write(path, out).unwrap();
}

/// Runs `modelwatch report` with every preset on the generated data and returns the page.
fn all_presets_page(dir: &Path, rows: usize, classification: bool) -> String {
    let kind = if classification {
        "classification"
    } else {
        "regression"
    };
    let reference = dir.join(format!("{kind}_{rows}_reference.csv"));
    let current = dir.join(format!("{kind}_{rows}_current.csv"));
    write_dataset(&reference, rows, 7, 0.0, classification);
    write_dataset(&current, rows, 11, 1.0, classification);
    let html = dir.join(format!("{kind}_{rows}.html"));
    let mut cmd = Command::cargo_bin("modelwatch").unwrap();
    cmd.args(["report", "-q", "--reference"])
        .arg(&reference)
        .arg("--current")
        .arg(&current)
        .args(["--target", "y", "--prediction", "p", "--timestamp", "ts"])
        .args(["--preset", &format!("drift,summary,target,{kind}")])
        .arg("--html")
        .arg(&html);
    cmd.assert().success();
    std::fs::read_to_string(&html).unwrap()
}

fn assert_sections(html: &str, ids: &[&str]) {
    for id in ids {
        assert!(
            html.contains(&format!("<section id=\"{id}\">")),
            "section {id}"
        );
    }
    assert!(!html.contains(EVIL), "a raw script tag in the page");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<b>bold</b>"));
    assert_eq!(html.matches("<script").count(), 1);
    assert!(!html.contains("NaN") && !html.contains("inf\""));
    assert!(!html.contains("http://") && !html.contains("https://"));
}

#[test]
fn twenty_columns_with_every_preset_stay_under_300_kb_whatever_the_rows() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli_html");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut sizes = Vec::new();
    for classification in [false, true] {
        for rows in [2_000, 20_000] {
            let html = all_presets_page(&dir, rows, classification);
            let model = if classification {
                "classification"
            } else {
                "regression"
            };
            assert_sections(&html, &["drift", "summary", "target", model]);
            assert!(
                html.len() <= 300 * 1024,
                "{model}, {rows} rows: {} bytes",
                html.len()
            );
            sizes.push((model, rows, html.len()));
            // The timestamp column's range is in the header.
            assert!(
                html.contains("ts from 2023-07-22T04:26:40"),
                "time range in the header"
            );
            if classification {
                assert!(html.contains("ROC curve"));
                assert_eq!(html.matches("class=\"ln c\" d=\"M").count(), 2);
            } else {
                assert!(html.contains("Predicted against actual"));
                assert!(html.contains("Error distribution"));
            }
        }
    }
    // Ten times the rows, about the same page (drift histograms get a few more bins).
    for pair in sizes.chunks(2) {
        let (small, large) = (pair[0].2 as f64, pair[1].2 as f64);
        assert!(
            large / small < 1.3,
            "{pair:?}: the size grows with the rows"
        );
    }
    eprintln!("page sizes (bytes): {sizes:?}; pages in {}", dir.display());
}

#[test]
fn test_html_shows_the_test_results_first() {
    let dir = TempDir::new().unwrap();
    let html_path = dir.path().join("tests.html");
    let suite = dir.path().join("suite.toml");
    std::fs::write(
        &suite,
        "[[tests]]\nname = \"enough rows\"\nmetric = \"rows\"\ngte = 1\n\n[[tests]]\nname = \"<i>no drift</i>\"\nmetric = \"drifted_share\"\nlt = 0.0\n",
    )
    .unwrap();
    let r = repo();
    let out = Command::cargo_bin("modelwatch")
        .unwrap()
        .args(["test", "-q", "--reference"])
        .arg(r.join("examples/iris/reference.csv"))
        .arg("--current")
        .arg(r.join("examples/iris/current.csv"))
        .arg("--suite")
        .arg(&suite)
        .arg("--html")
        .arg(&html_path)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&html_path).unwrap();
    let tests = html.find("<section id=\"tests\">").expect("tests section");
    let drift = html.find("<section id=\"drift\">").expect("drift section");
    assert!(tests < drift, "the test results come first");
    assert!(html.contains("1 failed"));
    let fail = html.find("data-status=\"FAIL\"").unwrap();
    let pass = html.find("data-status=\"SUCCESS\"").unwrap();
    assert!(fail < pass, "failed tests first");
    assert!(html.contains("<title>Test report"));
    assert!(html.contains("&lt;i&gt;no drift&lt;/i&gt;") && !html.contains("<i>no drift"));
}

#[test]
fn the_header_shows_the_timestamp_range_even_for_drift_alone() {
    let dir = TempDir::new().unwrap();
    let html = dir.path().join("r.html");
    let json = dir.path().join("r.json");
    Command::cargo_bin("modelwatch")
        .unwrap()
        .current_dir(repo())
        .args([
            "report",
            "--reference",
            "examples/iris/reference.csv",
            "--current",
            "examples/iris/current.csv",
            "--timestamp",
            "timestamp",
            "--preset",
            "drift",
        ])
        .arg("--html")
        .arg(&html)
        .arg("--json")
        .arg(&json)
        .assert()
        .success();
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let range = &v["meta"]["time_range"];
    assert_eq!(range["column"], "timestamp");
    assert!(range["reference"].is_null(), "{range}");
    assert_eq!(range["current"][0], "2024-05-01T08:02:27");
    assert_eq!(range["current"][1], "2024-05-01T21:15:22");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("timestamp from 2024-05-01T08:02:27 to 2024-05-01T21:15:22"),
        "no time range in the header"
    );
}
