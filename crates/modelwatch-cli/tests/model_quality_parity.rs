//! Parity with scikit-learn / Evidently 0.7 for the classification and regression presets:
//! every case under `tests/fixtures/model_quality/` was produced by
//! `scripts/gen_model_quality_fixtures.py` on the committed CSV files; here the same files go
//! through modelwatch's readers and `model_quality` and every number must agree within
//! 1e-9 absolute + 1e-6 relative. Also: the bad inputs give a clear error naming the column.

use std::path::{Path, PathBuf};

use modelwatch_core::model_quality::{
    compute_classification, compute_regression, ClassificationMetrics, ClassificationSpec,
    ModelQualityError, RegressionSpec,
};
use modelwatch_core::table::Table;
use modelwatch_io::{read_table, ReadOptions};
use serde_json::Value;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/model_quality")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 + 1e-6 * b.abs()
}

/// Compares every key of `expected` that `got` (a serde form) also has, recursively;
/// numbers within tolerance, nulls exactly. Records mismatches in `failures`.
fn compare(path: &str, got: &Value, expected: &Value, failures: &mut Vec<String>, n: &mut usize) {
    match (got, expected) {
        (_, Value::Object(e)) => {
            for (k, ev) in e {
                match got.get(k) {
                    Some(gv) => compare(&format!("{path}.{k}"), gv, ev, failures, n),
                    None => failures.push(format!("{path}.{k}: missing in modelwatch output")),
                }
            }
        }
        (Value::Array(g), Value::Array(e)) => {
            if g.len() != e.len() {
                failures.push(format!("{path}: length {} vs {}", g.len(), e.len()));
                return;
            }
            for (i, (gv, ev)) in g.iter().zip(e).enumerate() {
                compare(&format!("{path}[{i}]"), gv, ev, failures, n);
            }
        }
        (Value::Number(g), Value::Number(e)) => {
            *n += 1;
            let (g, e) = (g.as_f64().unwrap(), e.as_f64().unwrap());
            if !close(g, e) {
                failures.push(format!("{path}: modelwatch {g} vs expected {e}"));
            }
        }
        (g, e) => {
            *n += 1;
            if g != e {
                failures.push(format!("{path}: modelwatch {g} vs expected {e}"));
            }
        }
    }
}

/// The serde form with `per_label` keyed by label (as the fixtures store it).
fn keyed(m: &ClassificationMetrics) -> Value {
    let mut v = serde_json::to_value(m).unwrap();
    let per: serde_json::Map<String, Value> = m
        .per_label
        .iter()
        .map(|q| (q.label.clone(), serde_json::to_value(q).unwrap()))
        .collect();
    v["per_label"] = Value::Object(per);
    v
}

fn read(dir: &Path, file: &str) -> Table {
    read_table(&dir.join(file), &ReadOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
}

fn classification_spec(s: &Value) -> ClassificationSpec {
    ClassificationSpec {
        target: s["target"].as_str().unwrap().to_string(),
        prediction: s["prediction"].as_str().map(str::to_string),
        prediction_proba: s["prediction_proba"]
            .as_array()
            .map(|a| a.iter().map(|x| x.as_str().unwrap().to_string()).collect())
            .unwrap_or_default(),
        pos_label: s["pos_label"].as_str().map(str::to_string),
        proba_threshold: s["proba_threshold"].as_f64().unwrap_or(0.5),
    }
}

fn run_case(dir: &Path) -> (usize, Vec<String>) {
    let case = dir.file_name().unwrap().to_string_lossy().to_string();
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let reference = read(dir, "reference.csv");
    let current = read(dir, "current.csv");
    let mut failures = Vec::new();
    let mut n = 0;
    match expected["kind"].as_str().unwrap() {
        "classification" => {
            let spec = classification_spec(&expected["spec"]);
            let r = compute_classification(Some(&reference), &current, &spec)
                .unwrap_or_else(|e| panic!("{case}: {e}"));
            compare(
                &format!("{case}.current"),
                &keyed(&r.current),
                &expected["current"],
                &mut failures,
                &mut n,
            );
            match (&r.reference, &expected["reference"]) {
                (Some(m), e @ Value::Object(_)) => compare(
                    &format!("{case}.reference"),
                    &keyed(m),
                    e,
                    &mut failures,
                    &mut n,
                ),
                (None, Value::Null) => {}
                (g, e) => failures.push(format!("{case}.reference: {g:?} vs {e}")),
            }
            let d = &r.dummy;
            let e = &expected["dummy"];
            compare(
                &format!("{case}.dummy.quality"),
                &keyed(&d.quality),
                &e["quality"],
                &mut failures,
                &mut n,
            );
            let got = serde_json::json!({
                "source": d.source,
                "majority_label": d.majority_label,
                "priors": d.priors.iter().map(|p| (p.label.clone(), Value::from(p.probability))).collect::<serde_json::Map<String, Value>>(),
            });
            for k in ["source", "majority_label", "priors"] {
                compare(
                    &format!("{case}.dummy.{k}"),
                    &got[k],
                    &e[k],
                    &mut failures,
                    &mut n,
                );
            }
        }
        "regression" => {
            let s = &expected["spec"];
            let spec = RegressionSpec {
                target: s["target"].as_str().unwrap().to_string(),
                prediction: s["prediction"].as_str().unwrap().to_string(),
            };
            let r = compute_regression(Some(&reference), &current, &spec)
                .unwrap_or_else(|e| panic!("{case}: {e}"));
            let got = serde_json::to_value(&r).unwrap();
            for k in ["current", "reference", "dummy"] {
                compare(
                    &format!("{case}.{k}"),
                    &got[k],
                    &expected[k],
                    &mut failures,
                    &mut n,
                );
            }
        }
        other => panic!("{case}: unknown kind {other}"),
    }
    (n, failures)
}

#[test]
fn model_quality_matches_sklearn_and_evidently() {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures: run scripts/gen_model_quality_fixtures.py")
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("expected.json").exists())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 8,
        "expected the fixture cases, found {}",
        dirs.len()
    );
    let mut all = Vec::new();
    let mut checked = 0;
    for d in &dirs {
        let (n, f) = run_case(d);
        checked += n;
        all.extend(f);
    }
    assert!(
        all.is_empty(),
        "{} of {checked} values differ:\n{}",
        all.len(),
        all.join("\n")
    );
    assert!(checked > 300, "only {checked} values checked");
}

/// The ROC curves (sklearn's `roc_curve`) are part of the comparison above: the cases with
/// probabilities have them, point for point, for the current and the reference data.
#[test]
fn roc_curves_are_compared_with_sklearn() {
    let mut curves = 0;
    for case in ["binary_proba", "binary_proba_threshold", "multiclass_proba"] {
        let dir = fixtures_dir().join(case);
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap())
                .unwrap();
        let spec = classification_spec(&expected["spec"]);
        let r = compute_classification(
            Some(&read(&dir, "reference.csv")),
            &read(&dir, "current.csv"),
            &spec,
        )
        .unwrap();
        for (got, part) in [
            (r.reference.as_ref().unwrap(), "reference"),
            (&r.current, "current"),
        ] {
            let e = expected[part]["roc_curves"].as_array().unwrap();
            assert_eq!(got.roc_curves.len(), e.len(), "{case}.{part}");
            assert!(!e.is_empty(), "{case}.{part}");
            for (g, e) in got.roc_curves.iter().zip(e) {
                assert_eq!(g.fpr.len(), e["fpr"].as_array().unwrap().len());
                assert!(g.fpr.len() > 10, "{case}.{part}: {} points", g.fpr.len());
                curves += 1;
            }
        }
    }
    assert_eq!(curves, 2 + 2 + 6);
}

fn csv_table(text: &str) -> Table {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.csv");
    std::fs::write(&path, text).unwrap();
    read_table(&path, &ReadOptions::default()).unwrap()
}

#[test]
fn classification_without_target_names_the_column() {
    let t = csv_table("prediction\n1\n0\n");
    let e = compute_classification(None, &t, &ClassificationSpec::default()).unwrap_err();
    assert!(
        matches!(e, ModelQualityError::MissingColumn { role: "target", .. }),
        "{e}"
    );
    assert!(e.to_string().contains("`target`"), "{e}");
}

#[test]
fn target_label_without_probability_column_names_the_column() {
    let t = csv_table("y,a,b\na,0.9,0.1\nc,0.2,0.8\nb,0.3,0.7\n");
    let spec = ClassificationSpec {
        target: "y".into(),
        prediction: None,
        prediction_proba: vec!["a".into(), "b".into()],
        pos_label: Some("a".into()),
        ..Default::default()
    };
    let e = compute_classification(None, &t, &spec).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("`y`") && msg.contains("`c`"), "{msg}");
}

#[test]
fn probabilities_not_summing_to_one_name_the_columns() {
    let t = csv_table("y,0,1,2\n0,0.5,0.3,0.2\n1,0.5,0.5,0.5\n2,0.1,0.1,0.8\n");
    let spec = ClassificationSpec {
        target: "y".into(),
        prediction: None,
        prediction_proba: vec!["0".into(), "1".into(), "2".into()],
        ..Default::default()
    };
    let e = compute_classification(None, &t, &spec).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("`0`") && msg.contains("row 2") && msg.contains("1.5"),
        "{msg}"
    );
}

#[test]
fn probability_out_of_range_and_unknown_pos_label_are_errors() {
    let t = csv_table("y,p\n0,0.2\n1,1.5\n");
    let spec = ClassificationSpec {
        target: "y".into(),
        prediction_proba: vec!["p".into()],
        ..Default::default()
    };
    let e = compute_classification(None, &t, &spec).unwrap_err();
    assert!(e.to_string().contains("`p`"), "{e}");

    let t = csv_table("y,p\nyes,yes\nno,yes\n");
    let spec = ClassificationSpec {
        target: "y".into(),
        prediction: Some("p".into()),
        pos_label: Some("maybe".into()),
        ..Default::default()
    };
    let e = compute_classification(None, &t, &spec).unwrap_err();
    assert!(
        e.to_string().contains("`maybe`") && e.to_string().contains("`y`"),
        "{e}"
    );
}

#[test]
fn regression_without_prediction_names_the_column() {
    let t = csv_table("target\n1.5\n2.5\n");
    let spec = RegressionSpec {
        target: "target".into(),
        prediction: "pred".into(),
    };
    let e = compute_regression(None, &t, &spec).unwrap_err();
    assert!(e.to_string().contains("`pred`"), "{e}");
}
