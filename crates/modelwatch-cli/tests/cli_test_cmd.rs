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
        "suite.toml: line 3: unknown metric `drift_share` (did you mean `drifted_share`?)",
    );
    bad_suite(
        "\n[[tests]]\nmetric = \"xyzzy\"\nlt = 0.3\n",
        "suite.toml: line 3: unknown metric `xyzzy` (nothing close; see docs/tests.md#metrics)",
    );
    bad_suite(
        "[[tests]]\nmetric = \"column.drift_score\"\ncolumn = \"sepal_lenght\"\ngt = 0.05\n",
        "suite.toml: line 3: unknown column `sepal_lenght`: not in either dataset (did you mean `sepal_length`?)",
    );
    bad_suite(
        "[[tests]]\nmetric = \"column.drift_score\"\ncolumn = \"zzz\"\ngt = 0.05\n",
        "suite.toml: line 3: unknown column `zzz`: not in either dataset\n",
    );
    bad_suite(
        "[[tests]]\nmetric = \"rows\"\nless_than = 3\n",
        "suite.toml: line 3: unknown field `less_than` (nothing close; see docs/tests.md)",
    );
    bad_suite(
        "[[tests]]\nmetric = \"rows\"\ncritcal = false\nlt = 3\n",
        "suite.toml: line 3: unknown field `critcal` (did you mean `critical`?)",
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
        "suite.toml: line 1: unknown preset `data_drfit` (did you mean `data_drift`?)",
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
            "--test-preset: unknown preset `nope` (known: data_drift, data_quality, classification, regression)",
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
    // `a` and `b` (a text column) have no current value, each a failure of its own.
    assert_eq!(statuses(&v), ["ERROR", "FAIL", "FAIL", "SUCCESS"]);
    assert_eq!(
        v["tests"][0]["reason"],
        "drifted_share is undefined: no column could be drift-tested"
    );
    assert_eq!(
        v["tests"][1]["description"],
        "Column `a` could not be drift-tested: current values are all missing."
    );
    assert_eq!(
        v["tests"][2]["description"],
        "Column `b` could not be drift-tested: current values are all missing."
    );
    assert_eq!(v["summary"]["error"], 1);
    assert_eq!(v["summary"]["failed"], 2);
}

fn fixture(case: &str, file: &str) -> String {
    repo()
        .join("tests/fixtures")
        .join(case)
        .join(file)
        .display()
        .to_string()
}

/// `modelwatch test` on a fixture of `tests/fixtures` with `suite` and extra flags.
fn test_fixture(dir: &TempDir, case: &str, suite: &str, flags: &[&str]) -> Command {
    let path = dir.path().join("suite.toml");
    std::fs::write(&path, suite).unwrap();
    let mut cmd = Command::cargo_bin("modelwatch").unwrap();
    cmd.args(["test", "--reference", &fixture(case, "reference.csv")])
        .args(["--current", &fixture(case, "current.csv")])
        .arg("--suite")
        .arg(&path)
        .args(flags);
    cmd
}

const LABELS: [&str; 4] = ["--target", "target", "--prediction", "prediction"];

fn number(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn per_label_classification_metrics() {
    let dir = TempDir::new().unwrap();
    // Label `ant` of the multiclass fixture: precision 58/75, recall 58/91 (reference
    // 47/53 and 94/113), support 91.
    let (v, code) = json_of(&mut test_fixture(
        &dir,
        "model_quality/multiclass_labels",
        r#"
        tests = [
          { metric = "label.precision", label = "ant", gte = 0.75 },
          { metric = "label.recall", label = "ant", eq = { reference = true, relative = 0.2 } },
          { metric = "label.f1", label = "ant", gt = 0.6 },
          { metric = "label.support", label = "ant", eq = 91 },
          { metric = "label.roc_auc", label = "ant", gt = 0.5, critical = false },
        ]
        "#,
        &LABELS,
    ));
    assert_eq!(code, 1);
    assert_eq!(
        statuses(&v),
        ["SUCCESS", "FAIL", "SUCCESS", "SUCCESS", "ERROR"]
    );
    let t = &v["tests"];
    assert_eq!(t[0]["name"], "Precision of label ant >= 0.75");
    assert_eq!(t[0]["label"], "ant");
    assert_eq!(t[0]["column"], Value::Null);
    assert!((number(&t[0]["actual"]) - 58.0 / 75.0).abs() < 1e-12);
    assert!((number(&t[0]["reference"]) - 47.0 / 53.0).abs() < 1e-12);
    assert!((number(&t[1]["actual"]) - 58.0 / 91.0).abs() < 1e-12);
    assert_eq!(
        t[1]["condition"]["text"],
        "between 0.6655 and 0.9982 (reference 0.8319 ± 20%)"
    );
    assert!((number(&t[2]["actual"]) - 0.6987951807228916).abs() < 1e-12);
    assert_eq!(t[3]["actual"], 91);
    // Labels without probabilities have no ROC AUC.
    assert_eq!(t[4]["reason"], "label.roc_auc is undefined for this data");
}

#[test]
fn classification_preset_tests_every_label_of_a_multiclass_task() {
    let dir = TempDir::new().unwrap();
    let (v, code) = json_of(&mut test_fixture(
        &dir,
        "model_quality/multiclass_labels",
        "preset = [\"classification\"]",
        &LABELS,
    ));
    assert_eq!(code, 1);
    let names: Vec<&str> = v["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 13);
    assert_eq!(names[0], "Accuracy = reference ± 20%");
    assert_eq!(names[4], "Precision of label ant = reference ± 20%");
    assert_eq!(names[11], "Recall of label dog = reference ± 20%");
    assert_eq!(names[12], "No drift in the target `target`");
    assert_eq!(
        statuses(&v),
        [
            "SUCCESS", "SUCCESS", "SUCCESS", "SUCCESS", // accuracy, precision, recall, F1
            "SUCCESS", "SUCCESS", "FAIL", "FAIL", // precision of ant, bee, cat, dog
            "FAIL", "FAIL", "SUCCESS", "SUCCESS", // recall of ant, bee, cat, dog
            "SUCCESS",
        ]
    );
    // Accuracy 0.6308 against the reference's 0.7833: inside 20%.
    assert_eq!(
        v["tests"][0]["condition"]["text"],
        "between 0.6267 and 0.94 (reference 0.7833 ± 20%)"
    );
}

#[test]
fn regression_preset_allows_20_percent_of_the_reference() {
    let dir = TempDir::new().unwrap();
    let (v, code) = json_of(&mut test_fixture(
        &dir,
        "model_quality/regression",
        "preset = [\"regression\"]",
        &LABELS,
    ));
    assert_eq!(code, 1);
    let t = &v["tests"];
    assert_eq!(t[0]["name"], "Mean absolute error = reference ± 20%");
    assert!((number(&t[0]["actual"]) - 4.4515178387309655).abs() < 1e-12);
    assert_eq!(
        t[0]["condition"]["value"],
        serde_json::json!([2.2113261807000217 * 0.8, 2.2113261807000217 * 1.2])
    );
    assert_eq!(t[0]["status"], "FAIL");
    assert_eq!(t[1]["name"], "Root mean squared error = reference ± 20%");
    assert_eq!(
        t[1]["condition"]["text"],
        "between 2.2037 and 3.3055 (reference 2.7546 ± 20%)"
    );
    assert_eq!(
        t[2]["name"],
        "Mean absolute percentage error = reference ± 20%"
    );
}

#[test]
fn target_and_prediction_drift_and_correlations() {
    let dir = TempDir::new().unwrap();
    let flags = ["--target", "target", "--prediction", "prediction"];
    let (v, code) = json_of(&mut test_fixture(
        &dir,
        "target/numerical_target",
        r#"
        tests = [
          { metric = "target.drift_score", gt = 0.05 },
          { metric = "target.drifted", eq = false },
          { metric = "prediction.drift_score", gt = 0.05 },
          { metric = "column.target_pearson", column = "x1", eq = { reference = true, absolute = 0.05 } },
          { metric = "column.target_spearman", column = "x1", gt = 0.7 },
          { metric = "column.target_kendall", column = "x2", gte = { reference = true, absolute = 0.05 } },
          { metric = "column.prediction_pearson", column = "x3", between = [-0.1, 0.1] },
          { metric = "column.target_pearson", column = "x_const", gt = 0 },
        ]
        "#,
        &flags,
    ));
    assert_eq!(code, 1);
    assert_eq!(
        statuses(&v),
        ["SUCCESS", "SUCCESS", "SUCCESS", "SUCCESS", "SUCCESS", "FAIL", "FAIL", "ERROR"]
    );
    let t = &v["tests"];
    assert!((number(&t[0]["actual"]) - 0.0710370124489804).abs() < 1e-12);
    assert_eq!(t[1]["actual"], false);
    assert!((number(&t[2]["actual"]) - 0.33124401771228923).abs() < 1e-12);
    assert!((number(&t[3]["actual"]) - 0.774383079635284).abs() < 1e-12);
    assert!((number(&t[3]["reference"]) - 0.7429390265468834).abs() < 1e-12);
    assert_eq!(t[3]["column"], "x1");
    assert_eq!(
        t[3]["name"],
        "Target Pearson correlation of x1 = reference ± 0.05"
    );
    assert!((number(&t[4]["actual"]) - 0.7518043793547323).abs() < 1e-12);
    // Kendall of x2: 0.3025 now against 0.3799 in the reference.
    assert_eq!(
        t[5]["condition"]["text"],
        ">= 0.3299 (reference 0.3799 ± 0.05)"
    );
    assert!((number(&t[6]["actual"]) - 0.12817603878355988).abs() < 1e-12);
    assert_eq!(
        t[7]["reason"],
        "column.target_pearson is undefined for this data"
    );

    // Cramér's V of categorical features with a categorical target.
    let (v, code) = json_of(&mut test_fixture(
        &dir,
        "target/categorical_target",
        r#"
        tests = [
          { metric = "column.target_cramers_v", column = "c1", eq = { reference = true, relative = 0.1 } },
          { metric = "column.prediction_cramers_v", column = "colour", lt = 0.2 },
          { metric = "target.drifted", eq = false, critical = false },
        ]
        "#,
        &flags,
    ));
    assert_eq!(code, 0);
    assert_eq!(statuses(&v), ["SUCCESS", "SUCCESS", "WARNING"]);
    assert!((number(&v["tests"][0]["actual"]) - 0.5931782764120148).abs() < 1e-12);
    assert!((number(&v["tests"][0]["reference"]) - 0.5972969564520405).abs() < 1e-12);
    assert!(v["tests"][2]["reference"].is_null());
}

/// Runs `cmd` and checks it exits 2 with one line on standard error containing `message`.
fn exits_2(cmd: &mut Command, message: &str) {
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(message),
        "expected `{message}` in: {stderr}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(!stderr.contains("panicked"));
}

#[test]
fn bad_labels_and_roles_in_suites_exit_2_naming_the_line() {
    let dir = TempDir::new().unwrap();
    let labels = "model_quality/multiclass_labels";
    exits_2(
        &mut test_fixture(
            &dir,
            labels,
            "[[tests]]\nmetric = \"label.recall\"\nlabel = \"ants\"\ngt = 0.5\n",
            &LABELS,
        ),
        "suite.toml: line 3: unknown label `ants`: not in the target or the predictions (did you mean `ant`?)",
    );
    exits_2(
        &mut test_fixture(
            &dir,
            labels,
            "[[tests]]\nmetric = \"label.recall\"\nlabel = \"zebra\"\ngt = 0.5\n",
            &LABELS,
        ),
        "suite.toml: line 3: unknown label `zebra`: not in the target or the predictions (labels: ant, bee, cat, dog)",
    );
    exits_2(
        &mut test_fixture(
            &dir,
            labels,
            "[[tests]]\nmetric = \"label.recall\"\ngt = 0.5\n",
            &LABELS,
        ),
        "suite.toml: line 2: metric `label.recall` needs a label",
    );
    exits_2(
        &mut test_fixture(
            &dir,
            labels,
            "[[tests]]\nmetric = \"label.recall\"\ncolumn = \"target\"\nlabel = \"ant\"\ngt = 0.5\n",
            &LABELS,
        ),
        "suite.toml: line 3: metric `label.recall` takes a label, not a column",
    );
    exits_2(
        &mut test_fixture(
            &dir,
            labels,
            "[[tests]]\nmetric = \"recall\"\nlabel = \"ant\"\ngt = 0.5\n",
            &LABELS,
        ),
        "suite.toml: line 3: metric `recall` is about the whole dataset and takes no label",
    );
    exits_2(
        &mut test_fixture(
            &dir,
            labels,
            "[[tests]]\nmetric = \"column.mean\"\ncolumn = \"target\"\nlabel = \"ant\"\ngt = 0.5\n",
            &LABELS,
        ),
        "suite.toml: line 4: metric `column.mean` takes a column, not a label",
    );

    // A coefficient that does not exist for the target's or the feature's type.
    let categorical = "target/categorical_target";
    exits_2(
        &mut test_fixture(
            &dir,
            categorical,
            "tests = [\n  { metric = \"column.target_pearson\", column = \"x\", gt = 0 },\n]\n",
            &LABELS,
        ),
        "suite.toml: line 2: metric `column.target_pearson` needs a numerical target, but the target `target` is categorical",
    );
    exits_2(
        &mut test_fixture(
            &dir,
            categorical,
            "tests = [\n  { metric = \"column.target_cramers_v\", column = \"x\", gt = 0 },\n]\n",
            &LABELS,
        ),
        "suite.toml: line 2: metric `column.target_cramers_v` needs a categorical column, but `x` is numerical",
    );
    // The target's drift without a target column.
    exits_2(
        &mut test_fixture(
            &dir,
            categorical,
            "\n[[tests]]\nmetric = \"target.drifted\"\neq = false\n",
            &["--prediction", "prediction"],
        ),
        "suite.toml: line 3: metric `target.drifted` needs a target column: give --target",
    );
}

#[test]
fn bad_model_inputs_exit_2() {
    let dir = TempDir::new().unwrap();
    let case = "model_quality/multiclass_proba";
    let run = |current: &str, flags: &[&str]| {
        let mut cmd = Command::cargo_bin("modelwatch").unwrap();
        cmd.args(["test", "--reference", &fixture(case, "reference.csv")])
            .args(["--current", current, "--test-preset", "classification"])
            .args(flags);
        cmd
    };
    let current = fixture(case, "current.csv");
    exits_2(
        &mut run(&current, &[]),
        "the classification preset needs --target",
    );
    // Label `2` of the target has no probability column.
    exits_2(
        &mut run(&current, &["--target", "target", "--prediction-proba", "0,1"]),
        "target column `target` has label `2` that has no probability column (probability columns: `0`, `1`)",
    );
    // Probabilities of one row that sum to 1.3.
    let text = std::fs::read_to_string(&current).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut cells: Vec<String> = lines[5].split(',').map(str::to_string).collect();
    cells[1] = (cells[1].parse::<f64>().unwrap() + 0.3).to_string();
    lines[5] = cells.join(",");
    let bad = dir.path().join("bad_sum.csv");
    std::fs::write(&bad, lines.join("\n") + "\n").unwrap();
    exits_2(
        &mut run(
            bad.to_str().unwrap(),
            &["--target", "target", "--prediction-proba", "0,1,2"],
        ),
        "probability columns `0`, `1`, `2` sum to 1.3 at row 5, not 1",
    );
}

#[test]
fn empty_current_data_names_why_a_check_cannot_be_judged() {
    let dir = TempDir::new().unwrap();
    let current = dir.path().join("empty.csv");
    std::fs::write(
        &current,
        "sepal_length,sepal_width,petal_length,petal_width,species\n",
    )
    .unwrap();
    let mut cmd = Command::cargo_bin("modelwatch").unwrap();
    cmd.args(["test", "--reference", &iris("reference.csv")])
        .arg("--current")
        .arg(&current)
        .args(["--test-preset", "data_quality"]);
    let (v, code) = json_of(&mut cmd);
    assert_eq!(code, 1);
    let t = &v["tests"];
    // Judged: the row count (0 against 150 ± 10%) and the column count.
    assert_eq!(t[0]["name"], "Number of rows = reference ± 10%");
    assert_eq!(t[0]["actual"], 0);
    assert_eq!(t[0]["status"], "FAIL");
    assert_eq!(t[1]["status"], "SUCCESS");
    assert_eq!(t[1]["actual"], 5);
    // Shares and value ranges need rows.
    assert_eq!(t[2]["status"], "ERROR");
    assert_eq!(
        t[2]["reason"],
        "missing_share is undefined: the current data has no rows"
    );
    let min = t
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Minimum of sepal_length >= reference")
        .unwrap();
    assert_eq!(min["status"], "ERROR");
    assert_eq!(
        min["reason"],
        "column.min is undefined: the current data has no rows"
    );
    assert_eq!(min["reference"], 4.3);
}

#[test]
fn empty_current_data_leaves_model_metrics_to_error_and_judges_the_rest() {
    let dir = TempDir::new().unwrap();
    let reference = fixture("model_quality/binary_labels", "reference.csv");
    let header = std::fs::read_to_string(fixture("model_quality/binary_labels", "current.csv"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    let current = dir.path().join("empty.csv");
    std::fs::write(&current, format!("{header}\n")).unwrap();
    let suite = dir.path().join("suite.toml");
    std::fs::write(
        &suite,
        "[[tests]]\nmetric = \"accuracy\"\ngte = 0.5\n[[tests]]\nmetric = \"rows\"\ngte = 1\n",
    )
    .unwrap();
    let mut cmd = Command::cargo_bin("modelwatch").unwrap();
    cmd.args(["test", "--reference", &reference])
        .arg("--current")
        .arg(&current)
        .arg("--suite")
        .arg(&suite)
        .args(["--target", "target", "--prediction", "prediction"]);
    let (v, code) = json_of(&mut cmd);
    assert_eq!(code, 1);
    let t = &v["tests"];
    assert_eq!(t[0]["status"], "ERROR");
    assert_eq!(
        t[0]["reason"],
        "accuracy is undefined: the current data has no rows"
    );
    assert_eq!(t[1]["status"], "FAIL");
    assert_eq!(t[1]["actual"], 0);
}

/// A reference with two numerical columns, and current data whose `width` turned into text.
fn text_in_a_numerical_column(dir: &TempDir) -> (String, String) {
    let mut reference = String::from("length,width\n");
    let mut current = String::from("length,width\n");
    for i in 0..60 {
        reference.push_str(&format!("{}.5,{}.25\n", i % 7, i % 5));
        current.push_str(&format!("{}.5,wide\n", i % 7));
    }
    let (r, c) = (dir.path().join("ref.csv"), dir.path().join("cur.csv"));
    std::fs::write(&r, reference).unwrap();
    std::fs::write(&c, current).unwrap();
    (r.display().to_string(), c.display().to_string())
}

#[test]
fn a_column_that_could_not_be_tested_fails_the_data_drift_preset() {
    let d = TempDir::new().unwrap();
    let (r, c) = text_in_a_numerical_column(&d);
    let mut cmd = Command::cargo_bin("modelwatch").unwrap();
    cmd.args(["test", "--reference", &r, "--current", &c])
        .args(["--numerical", "width", "--test-preset", "data_drift"]);
    let (v, code) = json_of(&mut cmd);
    assert_eq!(code, 1, "{v}");
    let tests = v["tests"].as_array().unwrap();
    let width = tests
        .iter()
        .find(|t| t["column"] == "width")
        .expect("a test of width");
    assert_eq!(width["name"], "Column `width` is drift-tested");
    assert_eq!(width["status"], "FAIL");
    assert_eq!(width["critical"], true);
    assert_eq!(width["actual"], false);
    assert_eq!(
        width["description"],
        "Column `width` could not be drift-tested: current values are text."
    );
    // Without the failing column the gate would pass: the share of drifted columns is 0.
    assert_eq!(statuses(&v), ["SUCCESS", "SUCCESS", "FAIL"]);

    // The same data in the data quality preset: the column has no statistics, which fails.
    let mut cmd = Command::cargo_bin("modelwatch").unwrap();
    cmd.args(["test", "--reference", &r, "--current", &c])
        .args(["--numerical", "width", "--test-preset", "data_quality"]);
    let (v, code) = json_of(&mut cmd);
    assert_eq!(code, 1, "{v}");
    let width: Vec<&Value> = v["tests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["column"] == "width")
        .collect();
    assert_eq!(width.len(), 1, "{width:?}");
    assert_eq!(
        width[0]["name"],
        "Values of `width` are readable as numerical"
    );
    assert_eq!(width[0]["status"], "FAIL");
}

#[test]
fn the_report_names_a_column_that_could_not_be_tested_and_still_exits_0() {
    let d = TempDir::new().unwrap();
    let (r, c) = text_in_a_numerical_column(&d);
    let out = Command::cargo_bin("modelwatch")
        .unwrap()
        .args(["report", "--reference", &r, "--current", &c])
        .args(["--numerical", "width", "--preset", "drift"])
        .args(["--json", "-"])
        .output()
        .unwrap();
    // A report is not a gate: a column it could not test is in its results, exit 0.
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["drift"]["untested_columns"],
        serde_json::json!([{"column": "width", "reason": "current values are text"}])
    );
    assert_eq!(v["drift"]["column_count"], 1);
    assert_eq!(v["drift"]["dataset_drift"], false);

    Command::cargo_bin("modelwatch")
        .unwrap()
        .args(["report", "--reference", &r, "--current", &c])
        .args(["--numerical", "width", "--preset", "drift"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "0 of 1 column drifted (0%) — no dataset drift (threshold 50%); \
             1 column could not be tested: width (current values are text)\n",
        ));
}
