//! `modelwatch test` end to end: exit codes, the JSON summary, JUnit XML, warnings,
//! reference-relative conditions, bad suites and empty current data.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};
use serde_json::Value;
use tempfile::TempDir;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn iris(file: &str) -> String {
    repo()
        .join("examples/iris")
        .join(file)
        .display()
        .to_string()
}

/// `modelwatch test` on the iris example with `suite` (written to a file in `dir`).
fn test_iris(dir: &TempDir, suite: &str) -> Command {
    let path = dir.path().join("suite.toml");
    std::fs::write(&path, suite).unwrap();
    let mut cmd = Command::cargo_bin("modelwatch").unwrap();
    cmd.args(["test", "--reference", &iris("reference.csv")])
        .args(["--current", &iris("current.csv")])
        .arg("--suite")
        .arg(&path);
    cmd
}

fn json_of(cmd: &mut Command) -> (Value, i32) {
    let out = cmd.args(["--json", "-"]).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (v, out.status.code().unwrap())
}

fn statuses(v: &Value) -> Vec<String> {
    v["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn passing_suite_exits_0_with_a_summary() {
    let dir = TempDir::new().unwrap();
    let (v, code) = json_of(&mut test_iris(
        &dir,
        r#"
        [[tests]]
        name = "enough rows"
        metric = "rows"
        between = [100, 1000]
        [[tests]]
        metric = "column.drift_score"
        column = "sepal_length"
        gt = 0.05
        [[tests]]
        metric = "column.drifted"
        column = "sepal_width"
        eq = false
        "#,
    ));
    assert_eq!(code, 0);
    let s = &v["summary"];
    assert_eq!(s["all_passed"], true);
    assert_eq!(s["total"], 3);
    assert_eq!(s["success"], 3);
    assert_eq!(s["failed"], 0);
    assert_eq!(s["by_status"]["SUCCESS"], 3);
    let t = &v["tests"][0];
    assert_eq!(t["name"], "enough rows");
    assert_eq!(t["metric"], "rows");
    assert_eq!(t["actual"], 200);
    assert_eq!(t["reference"], 150);
    assert_eq!(t["condition"]["operator"], "between");
    assert_eq!(t["condition"]["value"], serde_json::json!([100, 1000]));
    assert_eq!(v["tests"][1]["column"], "sepal_length");
    assert!(v["tests"][1]["description"]
        .as_str()
        .unwrap()
        .starts_with("Drift score of column `sepal_length` is 0.9833"));
}

#[test]
fn a_failed_critical_test_exits_1_and_a_warning_does_not() {
    let dir = TempDir::new().unwrap();
    // Two of four iris features drift (petal_length, petal_width).
    let (v, code) = json_of(&mut test_iris(&dir, "preset = [\"data_drift\"]"));
    assert_eq!(code, 1);
    assert_eq!(
        statuses(&v),
        ["FAIL", "SUCCESS", "SUCCESS", "WARNING", "WARNING"]
    );
    assert_eq!(v["tests"][0]["name"], "Share of drifted columns < 0.3");
    assert_eq!(v["tests"][0]["actual"], 0.5);
    assert_eq!(v["summary"]["all_passed"], false);
    assert_eq!(v["summary"]["warning"], 2);

    let (v, code) = json_of(&mut test_iris(
        &dir,
        "tests = [{ metric = \"drifted_share\", lt = 0.3, critical = false }]",
    ));
    assert_eq!(code, 0);
    assert_eq!(statuses(&v), ["WARNING"]);
    assert_eq!(v["summary"]["all_passed"], true);
}

#[test]
fn reference_relative_conditions() {
    let dir = TempDir::new().unwrap();
    // 200 current rows against 150 reference rows.
    let (v, code) = json_of(&mut test_iris(
        &dir,
        r#"
        tests = [
          { metric = "rows", eq = { reference = true, relative = 0.1 } },
          { metric = "rows", lte = { reference = true, relative = 0.5 } },
          { metric = "rows", between = { reference = true, absolute = 60 } },
        ]
        "#,
    ));
    assert_eq!(code, 1);
    assert_eq!(statuses(&v), ["FAIL", "SUCCESS", "SUCCESS"]);
    assert_eq!(
        v["tests"][0]["condition"]["text"],
        "between 135 and 165 (reference 150 ± 10%)"
    );
    assert_eq!(v["tests"][1]["condition"]["value"], 225);
    assert_eq!(
        v["tests"][2]["condition"]["value"],
        serde_json::json!([90, 210])
    );
}

/// Parses JUnit XML (failing on malformed XML: mismatched tags, bad escapes) and returns
/// the attributes of every element by element name, in document order.
fn parse_junit(xml: &str) -> BTreeMap<String, Vec<BTreeMap<String, String>>> {
    let mut reader = Reader::from_str(xml);
    let mut out: BTreeMap<String, Vec<BTreeMap<String, String>>> = BTreeMap::new();
    let mut open = 0i32;
    loop {
        let (element, opens) = match reader.read_event().expect("well-formed XML") {
            Event::Eof => break,
            Event::Start(e) => (e, true),
            Event::Empty(e) => (e, false),
            Event::End(_) => {
                open -= 1;
                continue;
            }
            _ => continue,
        };
        if opens {
            open += 1;
        }
        let name = String::from_utf8(element.name().as_ref().to_vec()).unwrap();
        let attrs = element
            .attributes()
            .map(|a| {
                let a = a.expect("well-formed attribute");
                let value = a.normalized_value(XmlVersion::Implicit1_0).unwrap();
                (
                    String::from_utf8(a.key.as_ref().to_vec()).unwrap(),
                    value.to_string(),
                )
            })
            .collect();
        out.entry(name).or_default().push(attrs);
    }
    assert_eq!(open, 0, "every element is closed");
    out
}

#[test]
fn junit_is_well_formed_with_failures_and_skipped_warnings() {
    let dir = TempDir::new().unwrap();
    let junit = dir.path().join("out/junit.xml");
    std::fs::create_dir(dir.path().join("out")).unwrap();
    let code = test_iris(
        &dir,
        r#"
        [[tests]]
        name = "drifted share < 0.3 & \"few\" <columns>"
        metric = "drifted_share"
        lt = 0.3
        [[tests]]
        metric = "column.drifted"
        column = "petal_width"
        eq = false
        critical = false
        [[tests]]
        metric = "rows"
        gt = 30
        "#,
    )
    .arg("--junit")
    .arg(&junit)
    .output()
    .unwrap()
    .status
    .code();
    assert_eq!(code, Some(1));
    let xml = std::fs::read_to_string(&junit).unwrap();
    // Only the JUnit file is left in the folder (written through a temporary file).
    assert_eq!(
        std::fs::read_dir(dir.path().join("out")).unwrap().count(),
        1
    );
    let elements = parse_junit(&xml);
    assert_eq!(elements["testsuite"].len(), 1);
    let suite = &elements["testsuite"][0];
    assert_eq!(suite["tests"], "3");
    assert_eq!(suite["failures"], "1");
    assert_eq!(suite["errors"], "0");
    assert_eq!(suite["skipped"], "1");
    let cases = &elements["testcase"];
    assert_eq!(cases.len(), 3);
    assert_eq!(cases[0]["name"], "drifted share < 0.3 & \"few\" <columns>");
    assert_eq!(
        cases[1]["classname"],
        "modelwatch.column.drifted.petal_width"
    );
    assert_eq!(elements["failure"].len(), 1);
    assert!(elements["failure"][0]["message"].contains("is 0.5"));
    assert_eq!(elements["skipped"].len(), 1);
    assert!(elements["skipped"][0]["message"].starts_with("WARNING: "));
    assert!(xml.contains("<system-out>WARNING: "));
}

#[test]
fn terminal_table_lists_tests_and_the_verdict() {
    let dir = TempDir::new().unwrap();
    test_iris(&dir, "tests = [{ metric = \"drifted_count\", lte = 2 }]")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("| test"))
        .stdout(predicate::str::contains("condition"))
        .stdout(predicate::str::contains(
            "| Number of drifted columns <= 2 | -      | 2      | <= 2      | SUCCESS |",
        ))
        .stdout(predicate::str::contains(
            "1 test: 1 passed, 0 failed, 0 warnings, 0 errors — PASSED",
        ));
}

fn bad_suite(suite: &str, message: &str) {
    let dir = TempDir::new().unwrap();
    let out = test_iris(&dir, suite).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(message),
        "expected `{message}` in: {stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(!stderr.contains("panicked"));
}

#[test]
fn bad_suites_exit_2_naming_the_line() {
    bad_suite(
        "\n[[tests]]\nmetric = \"drift_share\"\nlt = 0.3\n",
        "suite.toml: line 3: unknown metric `drift_share` (known: drifted_share,",
    );
    bad_suite(
        "[[tests]]\nmetric = \"column.drift_score\"\ncolumn = \"sepal_lenght\"\ngt = 0.05\n",
        "suite.toml: line 3: unknown column `sepal_lenght`: not in either dataset",
    );
    bad_suite(
        "[[tests]]\nmetric = \"rows\"\nless_than = 3\n",
        "suite.toml: line 3: unknown field `less_than`, expected one of",
    );
    bad_suite(
        "[[tests]]\nmetric = \"rows\"\ngt = 3\nlt = 1000\n",
        "suite.toml: line 4: test of `rows` has more than one operator (gt, lt)",
    );
    bad_suite(
        "[[tests]]\nmetric = \"rows\"\ngt = [3\n",
        "suite.toml: line 3:",
    );
    bad_suite(
        "[[tests]]\nmetric = \"column.mean\"\ncolumn = \"species\"\ngt = 1\n",
        "suite.toml: line 3: metric `column.mean` needs a numerical column, but `species` is categorical",
    );
    bad_suite(
        "[[tests]]\nmetric = \"drifted_share\"\nlt = { reference = true, relative = 0.1 }\n",
        "suite.toml: line 3: lt: metric `drifted_share` has no reference value to compare with",
    );
    bad_suite(
        "[[tests]]\nmetric = \"dataset_drift\"\neq = \"no\"\n",
        "suite.toml: line 3: eq: metric `dataset_drift` is true or false, got \"no\"",
    );
    bad_suite(
        "preset = [\"data_drfit\"]\n",
        "suite.toml: line 1: unknown preset `data_drfit`",
    );
    bad_suite("", "the suite has no tests and no preset");
}

#[test]
fn presets_from_the_command_line() {
    let mut cmd = Command::cargo_bin("modelwatch").unwrap();
    cmd.args(["test", "--reference", &iris("reference.csv")])
        .args(["--current", &iris("reference.csv")])
        .args(["--test-preset", "data_drift"]);
    let (v, code) = json_of(&mut cmd);
    assert_eq!(code, 0);
    assert_eq!(v["summary"]["total"], 6);
    assert_eq!(v["summary"]["success"], 6);

    Command::cargo_bin("modelwatch")
        .unwrap()
        .args(["test", "--reference", &iris("reference.csv")])
        .args(["--current", &iris("current.csv")])
        .args(["--test-preset", "nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--test-preset: unknown preset `nope`",
        ));
    Command::cargo_bin("modelwatch")
        .unwrap()
        .args(["test", "--reference", &iris("reference.csv")])
        .args(["--current", &iris("current.csv")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nothing to test"));
}

#[test]
fn empty_current_data_judges_what_it_can() {
    let dir = TempDir::new().unwrap();
    let current = dir.path().join("empty.csv");
    std::fs::write(&current, "a,b\n").unwrap();
    let reference = dir.path().join("reference.csv");
    std::fs::write(&reference, "a,b\n1,x\n2,y\n3,x\n").unwrap();
    let suite = dir.path().join("suite.toml");
    std::fs::write(
        &suite,
        "preset = [\"data_drift\"]\ntests = [{ metric = \"rows\", eq = 0 }]\n",
    )
    .unwrap();
    let mut cmd = Command::cargo_bin("modelwatch").unwrap();
    cmd.arg("test")
        .arg("--reference")
        .arg(&reference)
        .arg("--current")
        .arg(&current)
        .arg("--suite")
        .arg(&suite);
    let (v, code) = json_of(&mut cmd);
    assert_eq!(code, 1);
    assert_eq!(statuses(&v), ["ERROR", "ERROR", "ERROR", "SUCCESS"]);
    assert_eq!(
        v["tests"][0]["reason"],
        "drifted_share is undefined: no column could be drift-tested"
    );
    assert!(v["tests"][1]["reason"]
        .as_str()
        .unwrap()
        .starts_with("column.drifted is undefined: "));
    assert_eq!(v["summary"]["error"], 3);
}
