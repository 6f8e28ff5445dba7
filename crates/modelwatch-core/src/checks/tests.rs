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

/// The results of `results()` where `age` (a feature) and `label` (the target) could not be
/// tested: text in a numerical column, a target all missing.
fn with_untested_columns() -> Value {
    let mut r = results();
    for (i, error) in [
        (
            0,
            "the current data holds string values, which cannot be tested as numerical",
        ),
        (2, "the current data has no non-missing values"),
    ] {
        let c = &mut r["drift"]["columns"][i];
        c["score"] = Value::Null;
        c["drifted"] = Value::Null;
        c["error"] = json!(error);
    }
    r["drift"]["untested_columns"] = json!([
        {"column": "age", "reason": "current values are text"},
        {"column": "label", "reason": "current values are all missing"},
    ]);
    r
}

#[test]
fn data_drift_preset_fails_on_columns_that_could_not_be_tested() {
    let r = with_untested_columns();
    let checks = suite("preset = [\"data_drift\"]").compile(&r).unwrap();
    let report = run_checks(&checks, &r);
    let names: Vec<(&str, Status, bool)> = report
        .tests
        .iter()
        .map(|t| (t.name.as_str(), t.status, t.critical))
        .collect();
    assert_eq!(
        names,
        [
            ("Share of drifted columns < 0.3", Status::Fail, true),
            ("The target `label` is drift-tested", Status::Fail, true),
            ("Column `age` is drift-tested", Status::Fail, true),
            ("No drift in `city`", Status::Success, false),
            // A text column has no drift method: not tested by design, not a failure.
            ("No drift in `notes`", Status::Error, false),
        ]
    );
    let age = &report.tests[2];
    assert_eq!(age.metric, "column.drift_tested");
    assert_eq!(age.actual, Some(json!(false)));
    assert_eq!(
        age.description,
        "Column `age` could not be drift-tested: current values are text."
    );
    assert!(report.blocked());
}

#[test]
fn drift_tested_and_untested_count_read_the_drift_part() {
    let r = with_untested_columns();
    let text = r#"
        tests = [
          { metric = "untested_count", eq = 0 },
          { metric = "column.drift_tested", column = "city", eq = true },
          { metric = "column.drift_tested", column = "notes", eq = true, critical = false },
        ]
    "#;
    let report = run_checks(&suite(text).compile(&r).unwrap(), &r);
    assert_eq!(report.tests[0].actual, Some(json!(2)));
    let statuses: Vec<Status> = report.tests.iter().map(|t| t.status).collect();
    assert_eq!(statuses, [Status::Fail, Status::Success, Status::Warning]);
}

#[test]
fn classification_preset_fails_when_the_target_could_not_be_tested() {
    let mut r = with_untested_columns();
    r["classification"] = json!({"target": "label", "current": {"accuracy": 0.9}, "reference": null,
        "dummy": {"quality": {"accuracy": 0.5}}});
    let checks = suite("preset = [\"classification\"]").compile(&r).unwrap();
    let target = checks.last().unwrap();
    assert_eq!(target.name, "The target `label` is drift-tested");
    assert_eq!(target.metric.name, "column.drift_tested");
}

#[test]
fn bad_suites_name_the_line() {
    let (msg, line) = compile_error("[[tests]]\nmetric = \"drifted_shares\"\nlt = 1\n");
    assert_eq!(
        msg,
        "unknown metric `drifted_shares` (did you mean `drifted_share`?)"
    );
    assert_eq!(line, Some(2));

    let (msg, line) =
        compile_error("[[tests]]\nmetric = \"column.drifted\"\ncolumn = \"agee\"\neq = false\n");
    assert_eq!(
        msg,
        "unknown column `agee`: not in either dataset (did you mean `age`?)"
    );
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
    assert_eq!(
        msg,
        "unknown preset `data_quality_x` (did you mean `data_quality`?)"
    );
    let (msg, _) = compile_error("preset = [\"nothing\"]");
    assert_eq!(
        msg,
        "unknown preset `nothing` (known: data_drift, data_quality, classification, regression)"
    );
    let (msg, _) = compile_error("[[tests]]\nmetric = \"xyzzy\"\nlt = 1\n");
    assert_eq!(
        msg,
        "unknown metric `xyzzy` (nothing close; see docs/tests.md#metrics)"
    );

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

fn stats(rows: usize, missing: usize, min: f64, max: f64) -> Value {
    json!({
        "rows": rows, "count": rows - missing, "missing": missing,
        "missing_share": missing as f64 / rows as f64,
        "distinct": 5, "distinct_share": 0.5, "most_common": 1.0, "most_common_count": 2,
        "most_common_share": 0.2,
        "numeric": {"infinite": 0, "infinite_share": 0.0, "min": min, "max": max, "mean": 1.0,
                    "std": 1.0, "q25": 0.0, "q50": 1.0, "q75": 2.0}
    })
}

fn dataset_stats(rows: usize, missing_share: f64, constant: usize, dups: usize) -> Value {
    json!({
        "rows": rows, "columns": 3, "numerical_columns": 1, "categorical_columns": 2,
        "text_columns": 0, "datetime_columns": 0, "duplicated_rows": dups,
        "duplicated_columns": 0, "almost_duplicated_columns": 0, "almost_constant_columns": 0,
        "empty_rows": 0, "empty_columns": 0, "constant_columns": constant,
        "missing_values": 3, "missing_values_share": missing_share
    })
}

/// Results with a data quality summary laid out as `summary::DataSummary` serializes.
fn with_summary(reference: bool) -> Value {
    let mut r = results();
    r["summary"] = json!({
        "reference": if reference { dataset_stats(100, 0.01, 0, 2) } else { Value::Null },
        "current": dataset_stats(108, 0.02, 1, 2),
        "columns": [
            {"column": "age", "type": "numerical", "role": "feature",
             "reference": if reference { stats(100, 1, 18.0, 90.0) } else { Value::Null },
             "current": stats(108, 1, 17.0, 80.0), "error": null},
            {"column": "city", "type": "categorical", "role": "feature",
             "reference": if reference { stats(100, 0, 0.0, 0.0) } else { Value::Null },
             "current": stats(108, 0, 0.0, 0.0),
             "categories": {"labels": [], "new_labels": ["Oslo", "Lima"], "unused_labels": []},
             "error": null},
            {"column": "ts", "type": "datetime", "role": "timestamp",
             "reference": null, "current": null, "error": null}
        ],
        "ignored_columns": []
    });
    r
}

#[test]
fn data_quality_preset_fails_on_values_unreadable_as_the_columns_type() {
    let mut r = with_summary(true);
    let age = &mut r["summary"]["columns"][0];
    age["current"] = Value::Null;
    age["error"] = json!("value `old` of a column typed numerical is not a number");
    let report = run_checks(
        &suite("preset = [\"data_quality\"]").compile(&r).unwrap(),
        &r,
    );
    let age: Vec<&CheckResult> = report
        .tests
        .iter()
        .filter(|t| t.column.as_deref() == Some("age"))
        .collect();
    assert_eq!(age.len(), 1, "the column's other tests are replaced");
    assert_eq!(age[0].name, "Values of `age` are readable as numerical");
    assert_eq!(age[0].status, Status::Fail);
    assert_eq!(
        age[0].description,
        "Column `age` has no statistics: value `old` of a column typed numerical is not a number."
    );
}

fn outcomes(report: &CheckReport) -> Vec<(String, Status)> {
    report
        .tests
        .iter()
        .map(|t| (t.name.clone(), t.status))
        .collect()
}

#[test]
fn summary_metrics_and_wrong_column_types() {
    let r = with_summary(true);
    let text = r#"
        tests = [
          { metric = "column.missing_share", column = "age", lte = { reference = true, relative = 0.1 } },
          { metric = "column.new_labels", column = "city", eq = 0 },
          { metric = "column.max", column = "age", lte = 100 },
          { metric = "missing_share", lte = 0.05 },
        ]
    "#;
    let report = run_checks(&suite(text).compile(&r).unwrap(), &r);
    let statuses: Vec<Status> = report.tests.iter().map(|t| t.status).collect();
    assert_eq!(
        statuses,
        [
            Status::Success,
            Status::Fail,
            Status::Success,
            Status::Success
        ]
    );
    assert_eq!(report.tests[1].actual, Some(json!(2)));

    let bad = "[[tests]]\nmetric = \"column.mean\"\ncolumn = \"city\"\ngt = 1\n";
    let e = suite(bad).compile(&r).unwrap_err();
    assert_eq!(
        e.message,
        "metric `column.mean` needs a numerical column, but `city` is categorical"
    );
    assert_eq!(e.line(bad), Some(3));
}

#[test]
fn data_quality_preset_with_reference() {
    let r = with_summary(true);
    let report = run_checks(
        &suite("preset = [\"data_quality\"]").compile(&r).unwrap(),
        &r,
    );
    assert_eq!(
        outcomes(&report),
        [
            (
                "Number of rows = reference ± 10%".to_string(),
                Status::Success
            ),
            ("Number of columns = reference".to_string(), Status::Success),
            (
                "Share of missing values <= reference ± 10%".to_string(),
                Status::Fail
            ),
            (
                "Number of constant columns <= reference".to_string(),
                Status::Fail
            ),
            (
                "Number of empty columns <= reference".to_string(),
                Status::Success
            ),
            (
                "Number of duplicated columns <= reference".to_string(),
                Status::Success
            ),
            (
                "Number of duplicated rows <= the reference's rate + 10%".to_string(),
                Status::Success
            ),
            (
                "Share of missing values of age <= reference ± 10%".to_string(),
                Status::Success
            ),
            ("Minimum of age >= reference".to_string(), Status::Fail),
            ("Maximum of age <= reference".to_string(), Status::Success),
            (
                "Share of missing values of city <= reference ± 10%".to_string(),
                Status::Success
            ),
            ("Number of new labels of city = 0".to_string(), Status::Fail),
        ]
    );
    // 2 reference duplicates in 100 rows scale to 2.16 in 108 rows, plus 10%.
    assert_eq!(report.tests[6].condition.value, json!(2.16 * 1.1));
    assert_eq!(report.tests[8].condition.text, ">= 18 (reference)");
}

#[test]
fn data_quality_preset_without_reference() {
    let r = with_summary(false);
    let report = run_checks(
        &suite("preset = [\"data_quality\"]").compile(&r).unwrap(),
        &r,
    );
    let names: Vec<String> = report.tests.iter().map(|t| t.name.clone()).collect();
    assert_eq!(
        names,
        [
            "Number of rows > 30",
            "Number of columns > 0",
            "Share of missing values = 0",
            "Number of constant columns = 0",
            "Number of empty columns = 0",
            "Number of duplicated columns = 0",
            "Number of duplicated rows = 0",
            "Share of missing values of age = 0",
            "Share of missing values of city = 0",
        ]
    );
}

fn quality(accuracy: f64, roc_auc: Option<f64>) -> Value {
    json!({"rows": 100, "dropped_rows": 0, "task": "binary", "pos_label": "1", "labels": ["0", "1"],
           "accuracy": accuracy, "precision": accuracy, "recall": accuracy, "f1": accuracy,
           "roc_auc": roc_auc, "log_loss": null, "tpr": 0.5, "tnr": 0.5, "fpr": 0.5, "fnr": 0.5,
           "confusion_matrix": {"labels": [], "values": []}, "per_label": []})
}

#[test]
fn classification_preset() {
    let mut r = results();
    r["classification"] = json!({
        "target": "label", "reference": quality(0.9, Some(0.95)), "current": quality(0.7, Some(0.9)),
        "dummy": {"source": "reference", "majority_label": "0", "priors": [], "quality": quality(0.6, Some(0.5))},
        "reference_note": null
    });
    let report = run_checks(
        &suite("preset = [\"classification\"]").compile(&r).unwrap(),
        &r,
    );
    assert_eq!(
        outcomes(&report),
        [
            ("Accuracy = reference ± 20%".to_string(), Status::Fail),
            ("Precision = reference ± 20%".to_string(), Status::Fail),
            ("Recall = reference ± 20%".to_string(), Status::Fail),
            ("F1 score = reference ± 20%".to_string(), Status::Fail),
            ("ROC AUC = reference ± 20%".to_string(), Status::Success),
            (
                "No drift in the target `label`".to_string(),
                Status::Success
            ),
        ]
    );
    // 0.7 is more than 20% below the reference's 0.9.
    assert_eq!(
        report.tests[0].condition.text,
        "between 0.72 and 1.08 (reference 0.9 ± 20%)"
    );

    r["classification"]["reference"] = Value::Null;
    let report = run_checks(
        &suite("preset = [\"classification\"]").compile(&r).unwrap(),
        &r,
    );
    let got: Vec<(String, Status, Value)> = report
        .tests
        .iter()
        .map(|t| (t.name.clone(), t.status, t.condition.value.clone()))
        .collect();
    assert_eq!(
        got[0],
        (
            "Accuracy > the dummy baseline".into(),
            Status::Success,
            json!(0.6)
        )
    );
    assert_eq!(
        got[4],
        (
            "ROC AUC > the dummy baseline".into(),
            Status::Success,
            json!(0.5)
        )
    );
}

#[test]
fn regression_preset() {
    let q = |mae: f64| {
        json!({"rows": 10, "dropped_rows": 0, "mean_error": 0.05, "error_std": 1.0, "mae": mae,
               "abs_error_std": 1.0, "rmse": mae * 1.2, "mape": null, "mape_std": null,
               "mape_zero_target_rows": 1, "r2": 0.8, "max_abs_error": 3.0})
    };
    let mut r = results();
    r["regression"] = json!({"target": "y", "prediction": "p", "reference": q(1.0), "current": q(1.15),
                             "dummy": {"source": "reference", "prediction": 3.0, "quality": q(2.0)},
                             "reference_note": null});
    let report = run_checks(&suite("preset = [\"regression\"]").compile(&r).unwrap(), &r);
    assert_eq!(
        outcomes(&report),
        [
            (
                "Mean absolute error = reference ± 20%".to_string(),
                Status::Success
            ),
            (
                "Root mean squared error = reference ± 20%".to_string(),
                Status::Success
            ),
            ("Mean error within 0.1 σ of 0".to_string(), Status::Success),
        ]
    );
    // 15% above the reference: inside the issue's 20% (Evidently's 10% would fail it).
    assert_eq!(
        report.tests[0].condition.text,
        "between 0.8 and 1.2 (reference 1 ± 20%)"
    );
    r["regression"]["reference"] = Value::Null;
    r["regression"]["current"]["mae"] = json!(2.5);
    let report = run_checks(&suite("preset = [\"regression\"]").compile(&r).unwrap(), &r);
    assert_eq!(
        report.tests[0].name,
        "Mean absolute error < the dummy baseline"
    );
    assert_eq!(report.tests[0].status, Status::Fail);
}

#[test]
fn presets_on_a_report_without_their_part_say_so() {
    let r = results();
    let report = run_checks(
        &suite("preset = [\"data_quality\"]").compile(&r).unwrap(),
        &r,
    );
    // `rows` comes from the run's metadata; the rest needs the summary.
    assert_eq!(report.tests[0].status, Status::Success);
    assert_eq!(
        report.tests[1].reason.as_deref(),
        Some("the `summary` part of the report was not computed")
    );
}

fn multiclass(precision: [f64; 3]) -> Value {
    let per_label: Vec<Value> = ["a", "b", "c"]
        .iter()
        .zip(precision)
        .map(|(l, p)| json!({"label": l, "precision": p, "recall": p, "f1": p, "support": 10, "roc_auc": null}))
        .collect();
    json!({"rows": 30, "dropped_rows": 0, "task": "multiclass", "pos_label": null,
           "labels": ["a", "b", "c"], "accuracy": 0.8, "precision": 0.8, "recall": 0.8, "f1": 0.8,
           "roc_auc": null, "log_loss": null, "tpr": null, "tnr": null, "fpr": null, "fnr": null,
           "confusion_matrix": {"labels": [], "values": []}, "per_label": per_label})
}

#[test]
fn label_metrics_and_the_multiclass_preset() {
    let mut r = results();
    r["classification"] = json!({
        "target": "label", "reference": null, "current": multiclass([0.9, 0.5, 0.0]),
        "dummy": {"source": "current", "majority_label": "a", "priors": [],
                  "quality": multiclass([0.34, 0.0, 0.0])},
        "reference_note": null
    });
    let report = run_checks(
        &suite(
            r#"
            preset = ["classification"]
            tests = [{ metric = "label.precision", label = "b", lte = 0.5 }]
            "#,
        )
        .compile(&r)
        .unwrap(),
        &r,
    );
    let got: Vec<(String, Status)> = outcomes(&report)[4..].to_vec();
    assert_eq!(
        got,
        [
            (
                "Precision of label a > the dummy baseline".into(),
                Status::Success
            ),
            (
                "Precision of label b > the dummy baseline".into(),
                Status::Success
            ),
            (
                "Precision of label c > the dummy baseline".into(),
                Status::Fail
            ),
            (
                "Recall of label a > the dummy baseline".into(),
                Status::Success
            ),
            (
                "Recall of label b > the dummy baseline".into(),
                Status::Success
            ),
            (
                "Recall of label c > the dummy baseline".into(),
                Status::Fail
            ),
            ("No drift in the target `label`".into(), Status::Success),
            ("Precision of label b <= 0.5".into(), Status::Success),
        ]
    );
    assert_eq!(report.tests[4].condition.value, json!(0.34));
    assert_eq!(report.tests[11].label.as_deref(), Some("b"));
    // A reference condition on a label the reference does not have cannot be judged.
    let checks =
        suite("tests = [{ metric = \"label.f1\", label = \"c\", gte = { reference = true } }]")
            .compile(&r)
            .unwrap();
    let report = run_checks(&checks, &r);
    assert_eq!(report.tests[0].status, Status::Error);
    assert_eq!(
        report.tests[0].reason.as_deref(),
        Some("no reference value: label.f1 is undefined for this data")
    );

    let (msg, line) = {
        let text = "[[tests]]\nmetric = \"label.f1\"\nlabel = \"d\"\ngt = 0\n";
        let e = suite(text).compile(&r).unwrap_err();
        (e.message.clone(), e.line(text))
    };
    assert_eq!(
        msg,
        "unknown label `d`: not in the target or the predictions (labels: a, b, c)"
    );
    assert_eq!(line, Some(3));
}

#[test]
fn a_misspelt_label_gets_the_closest_ones() {
    let mut r = results();
    r["classification"] = json!({"current": {"labels": ["setosa", "versicolor", "virginica"]}});
    let text = "[[tests]]\nmetric = \"label.f1\"\nlabel = \"virginca\"\ngt = 0\n";
    let e = suite(text).compile(&r).unwrap_err();
    assert_eq!(
        e.message,
        "unknown label `virginca`: not in the target or the predictions \
         (did you mean `virginica`?)"
    );
}

#[test]
fn target_metrics_read_the_target_part() {
    let mut r = results();
    let drift = |column: &str, score: Value, error: Value| json!({"column": column, "type": "numerical", "score": score, "drifted": false, "error": error});
    r["target"] = json!({
        "target": drift("y", json!(0.2), Value::Null),
        "prediction": null,
        "prediction_proba": [drift("p_yes", Value::Null, json!("too few values"))],
        "correlations": [
            {"column": "y", "role": "target", "feature": "age", "kind": "numerical",
             "reference": {"pairs": 9, "pearson": 0.5, "spearman": 0.4, "kendall": 0.3, "cramers_v": null},
             "current": {"pairs": 9, "pearson": 0.45, "spearman": 0.4, "kendall": 0.3, "cramers_v": null},
             "error": null}
        ]
    });
    let text = r#"
        tests = [
          { metric = "target.drift_score", gt = 0.05 },
          { metric = "column.target_pearson", column = "age", eq = { reference = true, relative = 0.2 } },
          { metric = "column.proba_drift_score", column = "p_yes", gt = 0.05 },
        ]
    "#;
    let report = run_checks(&suite(text).compile(&r).unwrap(), &r);
    let statuses: Vec<Status> = report.tests.iter().map(|t| t.status).collect();
    assert_eq!(statuses, [Status::Success, Status::Success, Status::Error]);
    assert_eq!(report.tests[1].reference, Some(json!(0.5)));
    assert_eq!(report.tests[1].condition.value, json!([0.4, 0.6]));
    assert_eq!(
        report.tests[2].reason.as_deref(),
        Some("column.proba_drift_score is undefined: too few values")
    );

    // No prediction: its metrics are bad input, naming the flag.
    let e = suite("tests = [{ metric = \"prediction.drifted\", eq = false }]")
        .compile(&r)
        .unwrap_err();
    assert_eq!(
        e.message,
        "metric `prediction.drifted` needs a prediction column: give --prediction"
    );
    let e = suite("tests = [{ metric = \"column.target_cramers_v\", column = \"city\", gt = 0 }]")
        .compile(&r)
        .unwrap_err();
    assert_eq!(
        e.message,
        "metric `column.target_cramers_v` needs a categorical target, but the target `y` is numerical"
    );
}

#[test]
fn column_tests_of_other_parts_also_read_the_summary() {
    let s = suite(
        "tests = [{ metric = \"column.target_pearson\", column = \"x\", gt = 0 }, { metric = \"label.f1\", label = \"a\", gt = 0 }]",
    );
    assert_eq!(s.sections(), ["target", "summary", "classification"]);
}

#[test]
fn embeddings_get_a_critical_test_each() {
    let mut r = results();
    r["drift"]["embeddings"] = json!([
        {"name": "emb", "columns": ["emb_0", "emb_1"], "score": 0.4, "threshold": 0.2, "drifted": true, "error": null},
        {"name": "img", "columns": ["img.0"], "score": null, "threshold": null, "drifted": null, "error": "every row of the reference has a missing, NaN or infinite component"}
    ]);
    let checks = suite("preset = [\"data_drift\"]").compile(&r).unwrap();
    let report = run_checks(&checks, &r);
    let tail: Vec<(&str, Status, bool)> = report.tests[5..]
        .iter()
        .map(|t| (t.name.as_str(), t.status, t.critical))
        .collect();
    assert_eq!(
        tail,
        [
            ("No drift in the embedding `emb`", Status::Fail, true),
            ("No drift in the embedding `img`", Status::Error, true),
        ]
    );
    assert_eq!(report.tests[5].metric, "embedding.drifted");
    assert_eq!(report.tests[5].column.as_deref(), Some("emb"));
    assert!(
        report.tests[6]
            .reason
            .as_deref()
            .unwrap()
            .contains("every row of the reference"),
        "{:?}",
        report.tests[6].reason
    );

    // An explicit test on the score, and on a member column, which is not tested alone.
    let text = "[[tests]]\nmetric = \"embedding.drift_score\"\ncolumn = \"emb\"\nlt = 0.5\n\
                [[tests]]\nmetric = \"column.drifted\"\ncolumn = \"emb_0\"\neq = false\n";
    let report = run_checks(&suite(text).compile(&r).unwrap(), &r);
    assert_eq!(report.tests[0].status, Status::Success);
    assert_eq!(report.tests[0].actual, Some(json!(0.4)));
    assert_eq!(report.tests[1].status, Status::Error);
    assert!(
        report.tests[1]
            .reason
            .as_deref()
            .unwrap()
            .contains("a member of embedding `emb`"),
        "{:?}",
        report.tests[1].reason
    );
}
