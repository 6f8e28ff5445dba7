//! Multivariate drift end to end on the committed correlation-flip example
//! (`examples/multivariate/`): every per-column test passes, the three multivariate methods
//! flag the flip; the JSON carries exactly what core's functions give on the same data; the
//! `[multivariate]` table and `--multivariate` agree; bad names and unusable data.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use modelwatch_core::stats::multivariate::domain_classifier::{
    domain_classifier_drift, DomainClassifierParams,
};
use modelwatch_core::stats::multivariate::mmd::{multivariate_mmd_drift, MultivariateMmdParams};
use modelwatch_core::stats::multivariate::reconstruction::{
    reconstruction_drift, ReconstructionParams,
};
use modelwatch_core::stats::multivariate::FeatureColumn;
use serde_json::Value;
use tempfile::TempDir;

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/multivariate")
}

/// Runs `modelwatch report` on `reference` and `current` and returns its exit code, the JSON
/// results (null when none were written) and stderr.
fn report(reference: &Path, current: &Path, extra: &[&str]) -> (i32, Value, String) {
    let dir = TempDir::new().unwrap();
    let json = dir.path().join("out.json");
    let out = Command::cargo_bin("modelwatch")
        .unwrap()
        .arg("report")
        .arg("--reference")
        .arg(reference)
        .arg("--current")
        .arg(current)
        .arg("--json")
        .arg(&json)
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let results = std::fs::read_to_string(&json)
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap_or(Value::Null);
    (out.status.code().unwrap(), results, stderr)
}

fn example_report(extra: &[&str]) -> (i32, Value, String) {
    let e = example();
    report(&e.join("reference.csv"), &e.join("current.csv"), extra)
}

fn method<'a>(results: &'a Value, name: &str) -> &'a Value {
    results["drift"]["multivariate"]
        .as_array()
        .expect("a multivariate section")
        .iter()
        .find(|m| m["method"] == name)
        .unwrap_or_else(|| panic!("no {name} in {results}"))
}

/// The example's columns x1, x2, x3 (numbers) and segment (labels), read as written.
struct Frame {
    numbers: Vec<Vec<f64>>,
    segment: Vec<String>,
}

impl Frame {
    fn read(path: &Path) -> Frame {
        let text = std::fs::read_to_string(path).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("x1,x2,x3,segment"));
        let mut frame = Frame {
            numbers: vec![Vec::new(); 3],
            segment: Vec::new(),
        };
        for line in lines {
            let cells: Vec<&str> = line.split(',').collect();
            for (column, cell) in frame.numbers.iter_mut().zip(&cells) {
                column.push(cell.parse().unwrap());
            }
            frame.segment.push(cells[3].to_string());
        }
        frame
    }
}

/// A number of the JSON equals `expected` up to the last bit or two, which the decimal
/// round trip through the JSON text may change.
fn close(json: &Value, expected: f64) {
    let got = json
        .as_f64()
        .unwrap_or_else(|| panic!("{json} is not a number"));
    assert!(
        (got - expected).abs() <= 1e-13 * expected.abs().max(1.0),
        "{got} vs {expected}"
    );
}

/// The example's columns as core's input, in the file's order.
fn side<'a>(f: &'a Frame, cells: &'a [Option<&'a str>]) -> Vec<FeatureColumn<'a>> {
    vec![
        FeatureColumn::numerical("x1", &f.numbers[0]),
        FeatureColumn::numerical("x2", &f.numbers[1]),
        FeatureColumn::numerical("x3", &f.numbers[2]),
        FeatureColumn::categorical("segment", cells),
    ]
}

#[test]
fn only_the_multivariate_methods_see_the_flip_and_match_core() {
    let (code, plain, _) = example_report(&[]);
    assert_eq!(code, 0);
    assert_eq!(plain["drift"]["drifted_count"], 0);
    assert!(
        plain["drift"].get("multivariate").is_none(),
        "opt-in: no section unless asked"
    );

    let (code, results, _) = example_report(&["--multivariate", "all"]);
    assert_eq!(code, 0);
    let drift = &results["drift"];
    assert_eq!(drift["drifted_count"], 0);
    assert_eq!(drift["column_count"], 4);
    assert_eq!(drift["dataset_drift"], false);
    let names: Vec<&str> = drift["multivariate"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["method"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["reconstruction", "domain_classifier", "mmd"]);

    // The same data through core's functions directly.
    let (r, c) = (
        Frame::read(&example().join("reference.csv")),
        Frame::read(&example().join("current.csv")),
    );
    let r_cells: Vec<Option<&str>> = r.segment.iter().map(|s| Some(s.as_str())).collect();
    let c_cells: Vec<Option<&str>> = c.segment.iter().map(|s| Some(s.as_str())).collect();
    let (rs, cs) = (side(&r, &r_cells), side(&c, &c_cells));

    let rec = reconstruction_drift(&rs, &cs, &ReconstructionParams::default()).unwrap();
    let json = method(&results, "reconstruction");
    // What core's own test of the example asserts: the error is above the band.
    assert!(rec.current.drifted && rec.current.error > rec.upper_threshold);
    close(&json["score"], rec.current.error);
    close(&json["lower_threshold"], rec.lower_threshold);
    close(&json["upper_threshold"], rec.upper_threshold);
    assert_eq!(json["drifted"], true);
    assert_eq!(json["details"]["components"], rec.components);
    let chunks = json["details"]["reference_chunk_errors"]
        .as_array()
        .unwrap();
    assert_eq!(chunks.len(), rec.reference_chunk_errors.len());
    for (j, e) in chunks.iter().zip(&rec.reference_chunk_errors) {
        close(j, *e);
    }
    assert_eq!(
        json["columns"],
        serde_json::json!(["x1", "x2", "x3", "segment"])
    );
    assert!(json["error"].is_null());

    let dc = domain_classifier_drift(&rs, &cs, &DomainClassifierParams::default()).unwrap();
    let json = method(&results, "domain_classifier");
    assert!(dc.drifted && dc.auc > 0.65);
    close(&json["score"], dc.auc);
    close(&json["lower_threshold"], 0.45);
    close(&json["upper_threshold"], 0.65);
    assert_eq!(json["drifted"], true);
    let shares = json["contributions"].as_array().unwrap();
    assert_eq!(shares.len(), dc.contributions.len());
    for (j, c) in shares.iter().zip(&dc.contributions) {
        assert_eq!(j["column"], c.column.as_str());
        close(&j["gain_share"], c.gain_share);
    }
    // The flipped pair leads the contributions.
    let mut top: Vec<&str> = dc.contributions[..2]
        .iter()
        .map(|c| c.column.as_str())
        .collect();
    top.sort_unstable();
    assert_eq!(top, ["x1", "x2"]);

    let mmd = multivariate_mmd_drift(&rs, &cs, &MultivariateMmdParams::default()).unwrap();
    let json = method(&results, "mmd");
    assert!(mmd.drifted && mmd.p_value < 0.05);
    close(&json["score"], mmd.p_value);
    assert!(json["lower_threshold"].is_null());
    close(&json["upper_threshold"], 0.05);
    assert_eq!(json["drifted"], true);
    close(&json["details"]["mmd_squared"], mmd.mmd_squared);
    assert_eq!(json["details"]["reference_rows_used"], 1000);
    assert_eq!(json["columns"], serde_json::json!(["x1", "x2", "x3"]));
}

#[test]
fn the_terminal_names_the_drifted_methods_in_the_verdict() {
    let e = example();
    let out = Command::cargo_bin("modelwatch")
        .unwrap()
        .args([
            "report",
            "--multivariate",
            "reconstruction,mmd",
            "--reference",
        ])
        .arg(e.join("reference.csv"))
        .arg("--current")
        .arg(e.join("current.csv"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Multivariate drift"), "{stdout}");
    assert!(
        stdout.contains(
            "0 of 4 columns drifted (0%) — no dataset drift (threshold 50%); multivariate drift: reconstruction, mmd"
        ),
        "{stdout}"
    );
}

#[test]
fn the_config_table_and_the_flag_agree() {
    let dir = TempDir::new().unwrap();
    let config = dir.path().join("settings.toml");
    std::fs::write(
        &config,
        "[multivariate]\nmethods = [\"reconstruction\", \"mmd\"]\n[multivariate.mmd]\npermutations = 100\nseed = 0\n",
    )
    .unwrap();
    let (code, from_config, _) = example_report(&["--config", config.to_str().unwrap()]);
    assert_eq!(code, 0);
    let (code, from_flag, _) = example_report(&["--multivariate", "reconstruction,mmd"]);
    assert_eq!(code, 0);
    assert_eq!(
        from_config["drift"]["multivariate"],
        from_flag["drift"]["multivariate"]
    );

    // Parameters come from the table; the flag chooses the methods only.
    std::fs::write(
        &config,
        "[multivariate.reconstruction]\nstd_multiplier = 1000.0\n",
    )
    .unwrap();
    let (code, wide, _) = example_report(&[
        "--config",
        config.to_str().unwrap(),
        "--multivariate",
        "reconstruction",
    ]);
    assert_eq!(code, 0);
    let json = method(&wide, "reconstruction");
    assert_eq!(json["drifted"], false);
    assert_eq!(json["score"], method(&from_flag, "reconstruction")["score"]);
}

#[test]
fn bad_names_and_parameters_exit_2_with_a_hint() {
    let (code, _, stderr) = example_report(&["--multivariate", "reconstrution"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--multivariate") && stderr.contains("did you mean `reconstruction`?"),
        "{stderr}"
    );

    let dir = TempDir::new().unwrap();
    let config = dir.path().join("settings.toml");
    std::fs::write(&config, "[multivariate]\nmethods = [\"mdm\"]\n").unwrap();
    let (code, _, stderr) = example_report(&["--config", config.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("did you mean `mmd`?"), "{stderr}");

    std::fs::write(
        &config,
        "[multivariate]\nmethods = [\"domain_classifier\"]\n[multivariate.domain_classifier]\nfolds = 1\n",
    )
    .unwrap();
    let (code, _, stderr) = example_report(&["--config", config.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("domain_classifier.folds must be at least 2, got 1"),
        "{stderr}"
    );
}

#[test]
fn a_one_row_reference_gives_an_error_per_method_and_the_report_runs() {
    let dir = TempDir::new().unwrap();
    let reference = dir.path().join("reference.csv");
    std::fs::write(&reference, "x1,x2,x3,segment\n0.5,-0.25,4.0,a\n").unwrap();
    let (code, results, stderr) = report(
        &reference,
        &example().join("current.csv"),
        &["--multivariate", "all"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(results["drift"]["columns"].as_array().unwrap().len(), 4);
    for name in ["reconstruction", "domain_classifier", "mmd"] {
        let json = method(&results, name);
        assert!(json["score"].is_null(), "{json}");
        assert!(json["drifted"].is_null(), "{json}");
        let error = json["error"].as_str().unwrap();
        assert!(!error.is_empty(), "{name}");
    }
    assert!(method(&results, "reconstruction")["error"]
        .as_str()
        .unwrap()
        .contains("needs at least 10 reference rows, got 1"));

    // Constant columns: nothing for PCA to explain.
    let constant = dir.path().join("constant.csv");
    let rows: String = (0..50).map(|_| "1,2,3,a\n").collect();
    std::fs::write(&constant, format!("x1,x2,x3,segment\n{rows}")).unwrap();
    let (code, results, stderr) = report(
        &constant,
        &example().join("current.csv"),
        &["--multivariate", "reconstruction"],
    );
    assert_eq!(code, 0, "{stderr}");
    let json = method(&results, "reconstruction");
    assert!(json["error"].is_string(), "{json}");
}

#[test]
fn the_data_drift_test_preset_gets_a_critical_test_per_method() {
    let e = example();
    let run = |extra: &[&str]| {
        let out = Command::cargo_bin("modelwatch")
            .unwrap()
            .args(["test", "--test-preset", "data_drift", "--reference"])
            .arg(e.join("reference.csv"))
            .arg("--current")
            .arg(e.join("current.csv"))
            .args(extra)
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stdout).to_string(),
        )
    };
    // Every per-column test passes, so without the multivariate methods the gate is open.
    let (code, stdout) = run(&[]);
    assert_eq!(code, 0, "{stdout}");
    assert!(!stdout.contains("multivariate"), "{stdout}");
    let (code, stdout) = run(&["--multivariate", "reconstruction,mmd"]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("7 tests: 5 passed, 2 failed"), "{stdout}");
    for method in ["reconstruction", "mmd"] {
        let line = stdout
            .lines()
            .find(|l| l.contains(&format!("No multivariate drift by `{method}`")))
            .unwrap_or_else(|| panic!("{stdout}"));
        assert!(line.contains("FAIL"), "{line}");
    }
}

#[test]
fn a_numerical_column_with_text_is_left_out_and_the_rest_runs() {
    let dir = TempDir::new().unwrap();
    let current = dir.path().join("current.csv");
    let text = std::fs::read_to_string(example().join("current.csv")).unwrap();
    let mut lines = text.lines();
    let mut out = format!("{}\n", lines.next().unwrap());
    for line in lines {
        let (_, rest) = line.split_once(',').unwrap();
        out.push_str(&format!("unknown,{rest}\n"));
    }
    std::fs::write(&current, out).unwrap();
    let (code, results, stderr) = report(
        &example().join("reference.csv"),
        &current,
        &["--multivariate", "reconstruction", "--numerical", "x1"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(results["drift"]["untested_columns"][0]["column"], "x1");
    let json = method(&results, "reconstruction");
    assert!(json["error"].is_null(), "{json}");
    assert_eq!(json["columns"], serde_json::json!(["x2", "x3", "segment"]));
}
