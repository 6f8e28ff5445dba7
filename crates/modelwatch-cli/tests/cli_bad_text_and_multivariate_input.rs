//! Bad input for text descriptors and multivariate drift: text that is not UTF-8, a text
//! column without any text, a one-row reference, constant columns, a numerical column without
//! any reference value, a domain classifier with a single class. A whole-file problem is one
//! line and exit code 2; a problem of one column or one method is recorded with its reason in
//! that column's or method's result and the rest of the report runs; nothing panics.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/multivariate")
}

fn write(dir: &Path, name: &str, contents: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, contents).unwrap();
    p
}

/// `modelwatch report --json - --quiet` with `extra`: exit code, JSON (null when none), stderr.
fn report(reference: &Path, current: &Path, extra: &[&str]) -> (i32, Value, String) {
    let out = Command::cargo_bin("modelwatch")
        .unwrap()
        .args(["report", "--json", "-", "--quiet", "--reference"])
        .arg(reference)
        .arg("--current")
        .arg(current)
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap(), json, stderr)
}

fn entry<'a>(list: &'a Value, key: &str, name: &str) -> &'a Value {
    list.as_array()
        .unwrap_or_else(|| panic!("no list in {list}"))
        .iter()
        .find(|e| e[key] == name)
        .unwrap_or_else(|| panic!("no {name} in {list}"))
}

fn method<'a>(results: &'a Value, name: &str) -> &'a Value {
    entry(&results["drift"]["multivariate"], "method", name)
}

fn drift_column<'a>(results: &'a Value, name: &str) -> &'a Value {
    entry(&results["drift"]["columns"], "column", name)
}

/// The method ran: a score, a verdict, no error.
fn ran(results: &Value, name: &str) -> f64 {
    let m = method(results, name);
    assert!(m["error"].is_null(), "{m}");
    assert!(m["drifted"].is_boolean(), "{m}");
    m["score"].as_f64().unwrap_or_else(|| panic!("{m}"))
}

/// The method did not run, and says why.
fn refused(results: &Value, name: &str) -> String {
    let m = method(results, name);
    assert!(m["score"].is_null() && m["drifted"].is_null(), "{m}");
    m["error"]
        .as_str()
        .unwrap_or_else(|| panic!("{m}"))
        .to_string()
}

const DESCRIPTORS: [&str; 6] = [
    "text_length",
    "word_count",
    "sentence_count",
    "non_letter_character_percentage",
    "oov_words_percentage",
    "sentiment",
];

#[test]
fn text_that_is_not_utf8_is_one_line_naming_the_file_and_the_line() {
    let d = TempDir::new().unwrap();
    let good = write(
        d.path(),
        "good.csv",
        b"id,t,x\n1,Hello there.,1.5\n2,fine,2.5\n3,ok,3.5\n",
    );
    // Latin-1 in a plain field, and in a quoted field with a comma and a line break.
    let plain = write(
        d.path(),
        "latin1.csv",
        b"id,t,x\n1,Hello there.,1.5\n2,caf\xe9 au lait,2.5\n3,ok,3.5\n",
    );
    let quoted = write(
        d.path(),
        "quoted.csv",
        b"id,t,x\n1,\"Hello, there.\",1.5\n2,ok,2.5\n3,\"caf\xe9,\n au lait\",3.5\n",
    );
    for (reference, current, expected) in [
        (&good, &plain, "latin1.csv: not valid UTF-8 at line 3"),
        (&quoted, &good, "quoted.csv: not valid UTF-8 at line 4"),
    ] {
        let (code, json, stderr) = report(reference, current, &["--text-descriptors", "t"]);
        assert_eq!(code, 2, "{stderr}");
        assert!(json.is_null());
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
    }
}

#[test]
fn a_text_column_without_any_text_is_described_as_zeros_and_the_rest_runs() {
    let d = TempDir::new().unwrap();
    let reference = write(d.path(), "r.csv", b"t,x\n,1.5\n,2.5\n,3.5\n,4.5\n");
    let current = write(d.path(), "c.csv", b"t,x\n,1.5\n,2.7\n,3.9\n");
    let (code, json, stderr) = report(&reference, &current, &["--text-descriptors", "t"]);
    assert_eq!(code, 0, "{stderr}");
    // The text column itself: all missing, counted, not tested, with the reason.
    assert_eq!(
        entry(&json["summary"]["columns"], "column", "t")["reference"]["missing"],
        4
    );
    assert_eq!(
        entry(&json["summary"]["columns"], "column", "t")["current"]["missing"],
        3
    );
    assert_eq!(
        entry(&json["drift"]["untested_columns"], "column", "t")["reason"],
        "reference values are all missing"
    );
    // Its descriptors: 0 on every row (Evidently's value for a missing text), tested.
    for d in DESCRIPTORS {
        let name = format!("t.{d}");
        let summary = entry(&json["summary"]["columns"], "column", &name);
        for side in ["reference", "current"] {
            assert_eq!(summary[side]["missing"], 0, "{name}");
            assert_eq!(summary[side]["numeric"]["min"], 0.0, "{name}");
            assert_eq!(summary[side]["numeric"]["max"], 0.0, "{name}");
        }
        let drift = drift_column(&json, &name);
        assert!(drift["error"].is_null(), "{drift}");
        assert_eq!(drift["drifted"], false, "{drift}");
    }
    assert!(drift_column(&json, "x")["score"].is_number());
}

#[test]
fn a_one_row_reference_gives_each_method_its_reason() {
    let d = TempDir::new().unwrap();
    let reference = write(d.path(), "one.csv", b"x1,x2,x3,segment\n0.5,-0.25,4.0,a\n");
    let (code, json, stderr) = report(
        &reference,
        &example().join("current.csv"),
        &["--multivariate", "all"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        refused(&json, "reconstruction"),
        "reconstruction error needs at least 10 reference rows, got 1"
    );
    assert_eq!(
        refused(&json, "domain_classifier"),
        "domain classifier needs at least 5 reference rows, got 1"
    );
    assert_eq!(
        refused(&json, "mmd"),
        "MMD needs at least 2 reference rows, got 1"
    );
    for c in ["x1", "x2", "x3", "segment"] {
        assert!(drift_column(&json, c)["score"].is_number(), "{c}");
    }
}

#[test]
fn constant_columns_stop_pca_only() {
    let d = TempDir::new().unwrap();
    let rows: String = (0..50).map(|_| "1,2,3,a\n").collect();
    let constant = write(
        d.path(),
        "constant.csv",
        format!("x1,x2,x3,segment\n{rows}").as_bytes(),
    );
    let (code, json, stderr) = report(
        &constant,
        &example().join("current.csv"),
        &["--multivariate", "all"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        refused(&json, "reconstruction"),
        "every column is constant in the reference: PCA has no variance to explain"
    );
    // The other two see the varied current data against the constant reference.
    assert_eq!(ran(&json, "domain_classifier"), 1.0);
    assert_eq!(ran(&json, "mmd"), 0.0);

    // Constant and equal on both sides: nothing to tell apart, no MMD bandwidth.
    let (code, json, stderr) = report(
        &constant,
        &constant,
        &["--multivariate", "all", "--numerical", "x1,x2,x3"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(refused(&json, "reconstruction").contains("every column is constant"));
    assert_eq!(ran(&json, "domain_classifier"), 0.5);
    assert_eq!(
        refused(&json, "mmd"),
        "the median distance is zero, so the MMD kernel has no bandwidth"
    );
    assert_eq!(drift_column(&json, "x1")["drifted"], false);
}

#[test]
fn a_numerical_column_without_reference_values_is_named() {
    let d = TempDir::new().unwrap();
    let with_column = |from: &str, to: &str, value: &dyn Fn(usize) -> String| {
        let text = std::fs::read_to_string(example().join(from)).unwrap();
        let mut out = String::new();
        for (i, line) in text.lines().enumerate() {
            let cell = if i == 0 { "gone".into() } else { value(i) };
            out.push_str(&format!("{line},{cell}\n"));
        }
        write(d.path(), to, out.as_bytes())
    };
    let reference = with_column("reference.csv", "r.csv", &|_| String::new());
    let current = with_column("current.csv", "c.csv", &|i| format!("{}.5", i % 7));
    let (code, json, stderr) = report(
        &reference,
        &current,
        &["--multivariate", "all", "--numerical", "gone"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        refused(&json, "reconstruction"),
        "column `gone` has no value in the reference, so its missing values cannot be \
         imputed; leave it out"
    );
    assert_eq!(
        refused(&json, "mmd"),
        "MMD uses the rows without a missing numerical value, and column `gone` has no \
         value in the reference"
    );
    // The classifier reads missing values as such: the column alone tells the sides apart.
    assert_eq!(ran(&json, "domain_classifier"), 1.0);
    assert_eq!(
        drift_column(&json, "gone")["error"],
        "the reference has no non-missing values"
    );
    // Left out, the other columns give every method its result.
    let (code, json, stderr) = report(
        &reference,
        &current,
        &["--multivariate", "all", "--ignore", "gone"],
    );
    assert_eq!(code, 0, "{stderr}");
    for m in ["reconstruction", "domain_classifier", "mmd"] {
        ran(&json, m);
    }
}

#[test]
fn a_classifier_with_a_single_class_is_an_error_and_the_suite_runs() {
    // `test` accepts a current file without rows: the classifier would see only the
    // reference's class.
    let d = TempDir::new().unwrap();
    let empty = write(d.path(), "empty.csv", b"x1,x2,x3,segment\n");
    let out = Command::cargo_bin("modelwatch")
        .unwrap()
        .args(["test", "--test-preset", "data_drift", "--reference"])
        .arg(example().join("reference.csv"))
        .arg("--current")
        .arg(&empty)
        .args(["--multivariate", "domain_classifier"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    let line = stdout
        .lines()
        .find(|l| l.contains("No multivariate drift by `domain_classifier`"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(line.contains("ERROR"), "{line}");
    // The reason is on the test's error line (standard output, with the table).
    assert!(
        stdout.contains(
            "No multivariate drift by `domain_classifier`: multivariate.drifted is undefined: \
             the domain classifier cannot be trained: there are no current rows, so only one \
             class"
        ),
        "{stdout}"
    );
    // The per-column tests of the suite ran too (and fail: no current values to test).
    assert!(stdout.contains("Column `x1` is drift-tested"), "{stdout}");
}
