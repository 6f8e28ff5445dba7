//! Parity with Evidently 0.7's `DataSummaryPreset`: every case under
//! `tests/fixtures/summary/` was produced by `scripts/gen_summary_fixtures.py` running
//! Evidently (and, for the legacy-only fields, its `ColumnSummaryMetric` formulas) on the
//! committed CSV files; here the same files go through modelwatch and every number must
//! agree within 1e-9 absolute + 1e-6 relative.

use std::path::{Path, PathBuf};

use modelwatch_core::drift::DriftSettings;
use modelwatch_core::prepare::{PreparedRun, RunSettings};
use modelwatch_core::schema::SchemaOverrides;
use modelwatch_core::summary::{compute_summary, ColumnStats, DataSummary, DatasetStats, Value};
use modelwatch_io::{read_table, ReadOptions};
use serde_json::Value as Json;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/summary")
}

fn close(a: f64, b: f64) -> bool {
    if a.is_infinite() || b.is_infinite() {
        return a == b;
    }
    (a - b).abs() <= 1e-9 + 1e-6 * b.abs()
}

/// Expected number: JSON number, "inf"/"-inf", or null (= undefined).
fn expected_num(v: &Json) -> Option<f64> {
    match v {
        Json::Null => None,
        Json::String(s) if s == "inf" => Some(f64::INFINITY),
        Json::String(s) if s == "-inf" => Some(f64::NEG_INFINITY),
        other => Some(
            other
                .as_f64()
                .unwrap_or_else(|| panic!("not a number: {other}")),
        ),
    }
}

struct Checker {
    failures: Vec<String>,
}

impl Checker {
    fn num(&mut self, at: &str, got: Option<f64>, want: &Json) {
        let want = expected_num(want);
        let ok = match (got, want) {
            (None, None) => true,
            (Some(g), Some(w)) => close(g, w),
            _ => false,
        };
        if !ok {
            self.failures
                .push(format!("{at}: got {got:?}, Evidently {want:?}"));
        }
    }

    fn count(&mut self, at: &str, got: usize, want: &Json) {
        if want.as_u64() != Some(got as u64) {
            self.failures
                .push(format!("{at}: got {got}, Evidently {want}"));
        }
    }
}

fn check_dataset(ck: &mut Checker, case: &str, side: &str, got: &DatasetStats, want: &Json) {
    let at = |f: &str| format!("{case}/{side}/dataset.{f}");
    let counts: [(&str, usize); 14] = [
        ("rows", got.rows),
        ("columns", got.columns),
        ("numerical_columns", got.numerical_columns),
        ("categorical_columns", got.categorical_columns),
        ("text_columns", got.text_columns),
        ("datetime_columns", got.datetime_columns),
        ("duplicated_rows", got.duplicated_rows),
        ("duplicated_columns", got.duplicated_columns),
        ("almost_duplicated_columns", got.almost_duplicated_columns),
        ("almost_constant_columns", got.almost_constant_columns),
        ("empty_rows", got.empty_rows),
        ("empty_columns", got.empty_columns),
        ("constant_columns", got.constant_columns),
        ("missing_values", got.missing_values),
    ];
    for (f, g) in counts {
        ck.count(&at(f), g, &want[f]);
    }
    ck.num(
        &at("missing_values_share"),
        got.missing_values_share,
        &want["missing_values_share"],
    );
}

fn check_column(ck: &mut Checker, at: &str, got: &ColumnStats, want: &Json) {
    let deliberate = &want["deliberate"];
    let f = |name: &str| format!("{at}.{name}");
    ck.count(&f("rows"), got.rows, &want["rows"]);
    ck.count(&f("count"), got.count, &want["count"]);
    ck.count(&f("missing"), got.missing, &want["missing"]);
    ck.num(
        &f("missing_share"),
        got.missing_share,
        &want["missing_share"],
    );
    ck.count(&f("distinct"), got.distinct, &want["distinct"]);
    ck.num(
        &f("distinct_share"),
        got.distinct_share,
        &want["distinct_share"],
    );
    ck.count(
        &f("most_common_count"),
        got.most_common_count,
        &want["most_common_count"],
    );
    ck.num(
        &f("most_common_share"),
        got.most_common_share,
        &want["most_common_share"],
    );
    let mc = &want["most_common"];
    let tied = deliberate.get("most_common").is_some();
    let ok = match (&got.most_common, mc) {
        // A tie: pandas' order among tied values is an accident of numpy's quicksort;
        // modelwatch's value must be one of the tied values.
        (Some(g), _) if tied => want["most_common_tied_values"]
            .as_array()
            .is_none_or(|vals| {
                vals.iter().any(|w| match g {
                    Value::Number(x) => expected_num(w).is_some_and(|w| close(*x, w)),
                    Value::Label(l) => w.as_str() == Some(l),
                    Value::Bool(b) => w.as_str() == Some(if *b { "True" } else { "False" }),
                    Value::Datetime(_) => true,
                })
            }),
        (None, Json::Null) => true,
        (Some(Value::Number(x)), w) => expected_num(w).is_some_and(|w| close(*x, w)),
        (Some(Value::Label(l)), Json::String(w)) => l == w,
        (Some(Value::Bool(b)), Json::String(w)) => (if *b { "True" } else { "False" }) == w,
        (Some(Value::Datetime(us)), w) => w.as_i64() == Some(*us),
        _ => false,
    };
    if !ok {
        ck.failures.push(format!(
            "{}: got {:?}, Evidently {mc}",
            f("most_common"),
            got.most_common
        ));
    }
    if let Some(n) = &got.numeric {
        ck.count(&f("infinite"), n.infinite, &want["infinite"]);
        ck.num(
            &f("infinite_share"),
            n.infinite_share,
            &want["infinite_share"],
        );
        let stats = [
            ("min", n.min),
            ("max", n.max),
            ("mean", n.mean),
            ("std", n.std),
            ("q25", n.q25),
            ("q50", n.q50),
            ("q75", n.q75),
        ];
        for (name, g) in stats {
            if deliberate.get(name).is_some() {
                continue;
            }
            ck.num(&f(name), g, &want[name]);
        }
    }
    if let Some(d) = &got.datetime {
        for (name, g) in [("min", d.min), ("max", d.max)] {
            if want[name].as_i64() != g {
                ck.failures
                    .push(format!("{}: got {g:?}, pandas {}", f(name), want[name]));
            }
        }
    }
    if let Some(t) = &got.text {
        ck.num(
            &f("length_min"),
            t.length_min.map(|x| x as f64),
            &want["length_min"],
        );
        ck.num(&f("length_mean"), t.length_mean, &want["length_mean"]);
        ck.num(
            &f("length_max"),
            t.length_max.map(|x| x as f64),
            &want["length_max"],
        );
    }
}

fn run_case(dir: &Path) -> Vec<String> {
    let case = dir.file_name().unwrap().to_string_lossy().to_string();
    let expected: Json =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let opts = ReadOptions::default();
    let current = read_table(&dir.join("current.csv"), &opts).unwrap();
    let reference = expected["has_reference"]
        .as_bool()
        .unwrap()
        .then(|| read_table(&dir.join("reference.csv"), &opts).unwrap());
    let (schema, drift) = (SchemaOverrides::default(), DriftSettings::default());
    let run = PreparedRun::new(
        reference.as_ref(),
        &current,
        RunSettings::new(&schema, &drift),
    )
    .unwrap();
    let summary: DataSummary = compute_summary(&run);
    let mut ck = Checker { failures: vec![] };

    check_dataset(
        &mut ck,
        &case,
        "current",
        &summary.current,
        &expected["dataset"]["current"],
    );
    match (&summary.reference, expected["dataset"].get("reference")) {
        (Some(r), Some(w)) => check_dataset(&mut ck, &case, "reference", r, w),
        (None, None) => {}
        _ => ck
            .failures
            .push(format!("{case}: reference presence differs")),
    }

    let want_cols = expected["columns"].as_object().unwrap();
    assert_eq!(
        summary.columns.len(),
        want_cols.len(),
        "{case}: column count"
    );
    for col in &summary.columns {
        let want = &want_cols[&col.column];
        let at = format!("{case}/{}", col.column);
        if want["type"].as_str() != Some(col.column_type.as_str()) {
            ck.failures.push(format!(
                "{at}: type {} vs Evidently {}",
                col.column_type, want["type"]
            ));
            continue;
        }
        assert!(col.error.is_none(), "{at}: {:?}", col.error);
        for (side, got) in [("current", &col.current), ("reference", &col.reference)] {
            match (got, want.get(side)) {
                (Some(g), Some(w)) => check_column(&mut ck, &format!("{at}/{side}"), g, w),
                (None, None) => {}
                _ => ck.failures.push(format!("{at}/{side}: presence differs")),
            }
        }
        if let Some(cat) = &col.categories {
            for lc in &cat.labels {
                let cur_want = &want["current"]["label_counts"][&lc.label];
                ck.count(
                    &format!("{at}/current.label[{}]", lc.label),
                    lc.current_count,
                    cur_want,
                );
                ck.num(
                    &format!("{at}/current.label_share[{}]", lc.label),
                    lc.current_share,
                    &want["current"]["label_shares"][&lc.label],
                );
                if let Some(rc) = lc.reference_count {
                    ck.count(
                        &format!("{at}/reference.label[{}]", lc.label),
                        rc,
                        &want["reference"]["label_counts"][&lc.label],
                    );
                    ck.num(
                        &format!("{at}/reference.label_share[{}]", lc.label),
                        lc.reference_share,
                        &want["reference"]["label_shares"][&lc.label],
                    );
                }
            }
            let n_want = want["current"]["label_counts"]
                .as_object()
                .map_or(0, |m| m.len());
            if cat.labels.len() != n_want {
                ck.failures.push(format!(
                    "{at}: {} labels vs Evidently {n_want}",
                    cat.labels.len()
                ));
            }
            if let Some(w) = want.get("new_labels") {
                let mut got = cat.new_labels.clone();
                got.sort();
                let w: Vec<String> = serde_json::from_value(w.clone()).unwrap();
                if got != w {
                    ck.failures
                        .push(format!("{at}: new labels {got:?} vs {w:?}"));
                }
                let mut got = cat.unused_labels.clone();
                got.sort();
                let w: Vec<String> = serde_json::from_value(want["unused_labels"].clone()).unwrap();
                if got != w {
                    ck.failures
                        .push(format!("{at}: unused labels {got:?} vs {w:?}"));
                }
            }
        }
    }
    ck.failures
}

#[test]
fn summary_matches_evidently() {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .expect("tests/fixtures/summary exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("expected.json").exists())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 6,
        "expected at least 6 cases, found {}",
        dirs.len()
    );
    let failures: Vec<String> = dirs.iter().flat_map(|d| run_case(d)).collect();
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
