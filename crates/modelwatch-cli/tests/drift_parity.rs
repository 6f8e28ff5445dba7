//! Parity with Evidently 0.7: every case under `tests/fixtures/drift/` was produced by
//! `scripts/gen_drift_fixtures.py` running Evidently on the committed CSV files; here the
//! same files go through modelwatch's readers and drift engine and every column's method,
//! threshold, score and verdict must agree (scores within 1e-9 absolute + 1e-6 relative).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use modelwatch_core::drift::{compute_drift, DriftMethod, DriftSettings};
use modelwatch_core::prepare::{PreparedRun, RunSettings};
use modelwatch_core::schema::SchemaOverrides;
use modelwatch_io::{read_table, ReadOptions};
use serde_json::Value;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/drift")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 + 1e-6 * b.abs()
}

struct Outcome {
    checked: usize,
    failures: Vec<String>,
}

fn run_case(dir: &Path) -> Outcome {
    let case = dir.file_name().unwrap().to_string_lossy().to_string();
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let reference = read_table(&dir.join("reference.csv"), &ReadOptions::default())
        .unwrap_or_else(|e| panic!("{case}: {e}"));
    let current = read_table(&dir.join("current.csv"), &ReadOptions::default())
        .unwrap_or_else(|e| panic!("{case}: {e}"));

    let mut schema = SchemaOverrides::default();
    if let Some(types) = expected["column_types"].as_object() {
        for (col, ty) in types {
            let list = match ty.as_str().unwrap() {
                "numerical" => &mut schema.numerical,
                "categorical" => &mut schema.categorical,
                "text" => &mut schema.text,
                "datetime" => &mut schema.datetime,
                other => panic!("{case}: unknown type {other}"),
            };
            list.push(col.clone());
        }
    }
    let mut settings = DriftSettings::default();
    if let Some(share) = expected["drift_share"].as_f64() {
        settings.drift_share = share;
    }
    if let Some(m) = expected["method"].as_str() {
        settings.method = Some(DriftMethod::from_name(m).unwrap());
    }
    if let Some(methods) = expected["column_methods"].as_object() {
        for (col, m) in methods {
            settings.column_methods.insert(
                col.clone(),
                DriftMethod::from_name(m.as_str().unwrap()).unwrap(),
            );
        }
    }
    if let Some(t) = expected["threshold"].as_f64() {
        settings.threshold = Some(t);
    }

    let run = PreparedRun::new(
        Some(&reference),
        &current,
        RunSettings::new(&schema, &settings),
    )
    .unwrap_or_else(|e| panic!("{case}: {e}"));
    let report = compute_drift(&run, &|| {}).unwrap_or_else(|e| panic!("{case}: {e}"));
    let by_name: BTreeMap<&str, _> = report
        .columns
        .iter()
        .map(|c| (c.column.as_str(), c))
        .collect();

    let mut failures = Vec::new();
    let mut checked = 0;
    for col in expected["columns"].as_array().unwrap() {
        let name = col["column"].as_str().unwrap();
        let Some(got) = by_name.get(name) else {
            failures.push(format!("{case}/{name}: missing from the report"));
            continue;
        };
        let want_type = col["type"].as_str().unwrap();
        if want_type == "unknown" {
            // pandas reads a boolean column with gaps as `object`, which Evidently skips;
            // modelwatch keeps it boolean and tests it as categorical (docs/statistics.md).
            assert_eq!(got.column_type.as_str(), "categorical", "{case}/{name}");
            continue;
        }
        if let Some(m) = col["method"].as_str() {
            if DriftMethod::from_name(m).is_err() {
                // A method modelwatch does not implement: such a column must be reported as
                // not tested, never silently passed.
                if got.error.is_none() {
                    failures.push(format!("{case}/{name}: `{m}` unsupported but no error"));
                }
                continue;
            }
        }
        if col["pandas_float_upcast"].as_bool() != Some(true)
            && got.column_type.as_str() != want_type
        {
            failures.push(format!(
                "{case}/{name}: type {} != {want_type}",
                got.column_type
            ));
        }
        if let Some(m) = col["method"].as_str() {
            if got.method.map(|m| m.name()) != Some(m)
                && col["pandas_float_upcast"].as_bool() != Some(true)
            {
                failures.push(format!(
                    "{case}/{name}: method {:?} != {m}",
                    got.method.map(|m| m.name())
                ));
                continue;
            }
        }
        if col["pandas_float_upcast"].as_bool() == Some(true) {
            continue;
        }
        // Where Evidently's own code fails but the method is well defined (its exact
        // Cramér-von Mises on numpy 2), the expected number is scipy's.
        let want_score = col["score"].as_f64().or(col["scipy_score"].as_f64());
        match want_score {
            None => {
                if got.score.is_some() {
                    failures.push(format!(
                        "{case}/{name}: Evidently fails ({}) but we scored {:?}",
                        col["error"], got.score
                    ));
                }
            }
            Some(want) => {
                checked += 1;
                let Some(score) = got.score else {
                    failures.push(format!(
                        "{case}/{name}: no score ({:?}), expected {want}",
                        got.error
                    ));
                    continue;
                };
                if col["approximate"].as_bool() == Some(true) {
                    // Permutation p-values (our own seeded RNG) and text drift AUCs (our own
                    // classifier): both must agree on the verdict when Evidently's score is
                    // far from the threshold (for `perc_text_content_drift` the AUC is
                    // compared with a percentile of random AUCs, well below 0.95).
                    let t = got.threshold.unwrap();
                    if (want - t).abs() > 0.05 && got.drifted != col["drifted"].as_bool() {
                        failures.push(format!(
                            "{case}/{name}: permutation p-value {score} vs Evidently {want}: verdicts differ"
                        ));
                    }
                    continue;
                }
                if !close(score, want) {
                    failures.push(format!("{case}/{name}: score {score:e} != {want:e}"));
                }
                if let Some(t) = col["threshold"].as_f64() {
                    if got.threshold != Some(t) {
                        failures.push(format!(
                            "{case}/{name}: threshold {:?} != {t}",
                            got.threshold
                        ));
                    }
                }
                let want_drifted = if col["score"].is_null() {
                    // Scored from scipy's number: apply the method's own comparison.
                    let m = got.method.unwrap();
                    Some(m.rule().drifted(want, got.threshold.unwrap()))
                } else {
                    col["drifted"].as_bool()
                };
                if got.drifted != want_drifted {
                    failures.push(format!(
                        "{case}/{name}: drifted {:?} != {}",
                        got.drifted, col["drifted"]
                    ));
                }
            }
        }
    }
    Outcome { checked, failures }
}

#[test]
fn drift_scores_match_evidently() {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .expect("tests/fixtures/drift exists (run scripts/gen_drift_fixtures.py)")
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("expected.json").exists())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no parity fixtures found");
    let mut failures = Vec::new();
    let mut checked = 0;
    for dir in &dirs {
        let out = run_case(dir);
        checked += out.checked;
        failures.extend(out.failures);
    }
    assert!(checked > 50, "only {checked} scores checked");
    assert!(
        failures.is_empty(),
        "{} of {checked} checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Evidently types a column from the current data: where the reference alone would give
/// another type (an integer column with 15 distinct reference values and 10 current ones is
/// categorical), the method, score and verdict still match Evidently's.
#[test]
fn column_types_follow_the_current_data() {
    let dir = fixtures_dir().join("type_from_current");
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let disagreeing: Vec<(&str, &str, &str)> = expected["columns"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| {
            Some((
                c["column"].as_str()?,
                c["type"].as_str()?,
                c["reference_inferred_type"].as_str()?,
            ))
        })
        .collect();
    assert!(
        disagreeing.contains(&("i_current_ten", "categorical", "numerical")),
        "{disagreeing:?}"
    );
    assert!(
        disagreeing.contains(&("i_current_fifteen", "numerical", "categorical")),
        "{disagreeing:?}"
    );
    let out = run_case(&dir);
    assert!(out.failures.is_empty(), "{}", out.failures.join("\n"));
    assert_eq!(out.checked, disagreeing.len() + 1);
}
