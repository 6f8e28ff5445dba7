//! Suites judged on a hand-written results JSON.

use serde_json::{json, Value};

use super::*;

fn results() -> Value {
    json!({
        "drift": {
            "drift_share": 0.5,
            "column_count": 3,
            "drifted_count": 1,
            "drifted_share": 1.0 / 3.0,
            "dataset_drift": false,
            "columns": [
                {"column": "age", "type": "numerical", "role": "feature", "score": 0.01, "drifted": true, "error": null},
                {"column": "city", "type": "categorical", "role": "feature", "score": 0.4, "drifted": false, "error": null},
                {"column": "label", "type": "categorical", "role": "target", "score": 0.9, "drifted": false, "error": null},
                {"column": "notes", "type": "text", "role": "feature", "score": null, "drifted": null, "error": "too few values"}
            ],
            "reference_only_columns": ["old"],
            "current_only_columns": [],
            "skipped_columns": [{"column": "ts", "reason": "timestamp column"}]
        },
        "meta": {"reference_rows": 100, "current_rows": 108}
    })
}

fn suite(text: &str) -> Suite {
    toml::from_str(text).unwrap()
}

fn run(text: &str) -> CheckReport {
    let r = results();
    run_checks(&suite(text).compile(&r).unwrap(), &r)
}

fn compile_error(text: &str) -> (String, Option<usize>) {
    let e = suite(text).compile(&results()).unwrap_err();
    (e.message.clone(), e.line(text))
}

#[test]
fn explicit_tests_are_judged() {
    let report = run(r#"
        [[tests]]
        name = "few drifted columns"
        metric = "drifted_share"
        lt = 0.3
        [[tests]]
        metric = "rows"
        between = [100, 10000]
        [[tests]]
        metric = "column.drifted"
        column = "age"
        eq = false
        critical = false
        [[tests]]
        metric = "column.drift_score"
        column = "notes"
        gt = 0.05
    "#);
    let statuses: Vec<Status> = report.tests.iter().map(|t| t.status).collect();
    assert_eq!(
        statuses,
        [
            Status::Fail,
            Status::Success,
            Status::Warning,
            Status::Error
        ]
    );
    assert_eq!(report.tests[0].name, "few drifted columns");
    assert_eq!(report.tests[0].actual, Some(json!(1.0 / 3.0)));
    assert_eq!(report.tests[1].name, "Number of rows between 100 and 10000");
    assert_eq!(
        report.tests[3].reason.as_deref(),
        Some("column.drift_score is undefined: too few values")
    );
    let s = &report.summary;
    assert!(!s.all_passed);
    assert_eq!(
        (s.total, s.success, s.failed, s.warning, s.error),
        (4, 1, 1, 1, 1)
    );
    assert_eq!(s.by_status["FAIL"], 1);
    assert!(report.blocked());
}

#[test]
fn one_line_tests_and_reference_conditions() {
    let report = run(r#"
        tests = [
          { metric = "rows", eq = { reference = true, relative = 0.1 } },
          { metric = "rows", lte = { reference = true, absolute = 5 } },
        ]
    "#);
    assert_eq!(report.tests[0].status, Status::Success);
    assert_eq!(report.tests[0].reference, Some(json!(100)));
    assert_eq!(report.tests[0].condition.value, json!([90, 110]));
    assert_eq!(report.tests[1].status, Status::Fail);
    assert_eq!(report.tests[1].condition.text, "<= 105 (reference 100 ± 5)");
    assert_eq!(report.tests[1].name, "Number of rows <= reference ± 5");
}

#[test]
fn columns_without_a_value_are_errors_with_the_reason() {
    let report = run(r#"
        tests = [
          { metric = "column.drift_score", column = "ts", lt = 1 },
          { metric = "column.drift_score", column = "old", lt = 1, critical = false },
        ]
    "#);
    assert_eq!(report.tests[0].status, Status::Error);
    assert_eq!(
        report.tests[0].reason.as_deref(),
        Some("column `ts` has no column.drift_score: timestamp column")
    );
    assert!(report.tests[1]
        .reason
        .as_deref()
        .unwrap()
        .contains("only in the reference"));
    // A non-critical test that cannot be judged does not block the gate.
    assert!(report.tests[0].blocks());
    assert!(!report.tests[1].blocks());
}

#[test]
fn undefined_share_when_nothing_was_tested() {
    let mut r = results();
    r["drift"]["column_count"] = json!(0);
    r["drift"]["drifted_share"] = json!(0.0);
    let checks = suite("preset = [\"data_drift\"]").compile(&r).unwrap();
    let report = run_checks(&checks, &r);
    assert_eq!(report.tests[0].status, Status::Error);
    assert_eq!(
        report.tests[0].reason.as_deref(),
        Some("drifted_share is undefined: no column could be drift-tested")
    );
}

#[test]
fn missing_section_is_an_error_not_a_pass() {
    let r = json!({"meta": {"reference_rows": 1, "current_rows": 1}});
    let checks = suite("tests = [{ metric = \"drifted_count\", eq = 0 }]")
        .compile(&json!({"meta": {}}))
        .unwrap();
    let report = run_checks(&checks, &r);
    assert_eq!(report.tests[0].status, Status::Error);
    assert_eq!(
        report.tests[0].reason.as_deref(),
        Some("the `drift` part of the report was not computed")
    );
}

#[test]
fn data_drift_preset() {
    let report = run("preset = [\"data_drift\"]");
    let names: Vec<(&str, Status, bool)> = report
        .tests
        .iter()
        .map(|t| (t.name.as_str(), t.status, t.critical))
        .collect();
    assert_eq!(
        names,
        [
            ("Share of drifted columns < 0.3", Status::Fail, true),
            ("No drift in the target `label`", Status::Success, true),
            ("No drift in `age`", Status::Warning, false),
            ("No drift in `city`", Status::Success, false),
            ("No drift in `notes`", Status::Error, false),
        ]
    );
}

#[test]
fn bad_suites_name_the_line() {
    let (msg, line) = compile_error("[[tests]]\nmetric = \"drifted_shares\"\nlt = 1\n");
    assert!(msg.starts_with("unknown metric `drifted_shares`"), "{msg}");
    assert_eq!(line, Some(2));

    let (msg, line) =
        compile_error("[[tests]]\nmetric = \"column.drifted\"\ncolumn = \"agee\"\neq = false\n");
    assert_eq!(msg, "unknown column `agee`: not in either dataset");
    assert_eq!(line, Some(3));

    let (msg, line) = compile_error("[[tests]]\nmetric = \"rows\"\nlt = 1\ngt = 0\n");
    assert!(msg.contains("more than one operator (lt, gt)"), "{msg}");
    assert_eq!(line, Some(4));

    let (msg, _) = compile_error("[[tests]]\nmetric = \"rows\"\n");
    assert!(msg.contains("has no operator"), "{msg}");

    let (msg, line) = compile_error("\n[[tests]]\nmetric = \"column.drifted\"\neq = false\n");
    assert_eq!(msg, "metric `column.drifted` needs a column");
    assert_eq!(line, Some(3));

    let (msg, _) = compile_error("[[tests]]\nmetric = \"rows\"\ncolumn = \"age\"\neq = 1\n");
    assert!(msg.contains("takes no column"), "{msg}");

    let (msg, line) = compile_error("[[tests]]\nmetric = \"dataset_drift\"\n\nlt = 1\n");
    assert!(msg.contains("no order"), "{msg}");
    assert_eq!(line, Some(4));

    let (msg, _) = compile_error("preset = [\"data_quality_x\"]");
    assert!(msg.starts_with("unknown preset `data_quality_x`"), "{msg}");

    let (msg, _) = compile_error("");
    assert_eq!(msg, "the suite has no tests and no preset");
}

#[test]
fn unknown_operators_are_rejected_by_the_parser() {
    let e = toml::from_str::<Suite>("[[tests]]\nmetric = \"rows\"\nless_than = 3\n").unwrap_err();
    assert!(
        e.message().contains("unknown field `less_than`"),
        "{}",
        e.message()
    );
    assert!(e.span().is_some());
}

#[test]
fn report_serializes_with_statuses_in_capitals() {
    let report = run("tests = [{ metric = \"rows\", gt = 30 }]");
    let v = serde_json::to_value(&report).unwrap();
    assert_eq!(v["tests"][0]["status"], "SUCCESS");
    assert_eq!(v["tests"][0]["condition"]["operator"], "gt");
    assert_eq!(v["summary"]["by_status"]["SUCCESS"], 1);
    assert_eq!(v["summary"]["all_passed"], true);
}
