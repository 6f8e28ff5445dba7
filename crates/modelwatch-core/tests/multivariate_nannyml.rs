//! Multivariate drift against NannyML 0.13 (fixtures written by
//! `scripts/gen_nannyml_multivariate_fixtures.py`) and the committed correlation-flip example.
//!
//! * Reconstruction error: every reference and analysis chunk's error and both thresholds
//!   within 1e-9 (relative above 1; an eigen-decomposition here, an SVD in scikit-learn: they
//!   agree to about 1e-14, the bound leaves room for other platforms' rounding), the number
//!   of components and every alert exactly.
//! * Domain classifier: LightGBM there, a booster with LightGBM's defaults here, so the AUCs
//!   cannot be equal: each AUC within [`AUC_TOLERANCE`] of NannyML's, and the verdicts equal
//!   wherever NannyML's AUC is farther than that from a threshold.

use std::path::{Path, PathBuf};

use modelwatch_core::stats::ks::ks_two_sample;
use modelwatch_core::stats::multivariate::domain_classifier::{
    domain_classifier_drift, DomainClassifierParams,
};
use modelwatch_core::stats::multivariate::mmd::{multivariate_mmd_drift, MultivariateMmdParams};
use modelwatch_core::stats::multivariate::reconstruction::{
    default_chunks, reconstruction_drift, ReconstructionModel, ReconstructionParams,
};
use modelwatch_core::stats::multivariate::{FeatureColumn, FeatureValues};
use serde_json::Value;

/// Largest difference allowed between a domain classifier AUC and NannyML's.
const AUC_TOLERANCE: f64 = 0.05;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A CSV file's columns as written by the generators (no quoting; an empty cell is missing).
struct Frame {
    names: Vec<String>,
    numbers: Vec<Vec<f64>>,
    texts: Vec<Vec<Option<String>>>,
    categorical: Vec<bool>,
}

impl Frame {
    fn read(path: &Path, categorical: &[bool]) -> Frame {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        let mut lines = text.lines();
        let names: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
        let mut numbers = vec![Vec::new(); names.len()];
        let mut texts = vec![Vec::new(); names.len()];
        for line in lines.filter(|l| !l.is_empty()) {
            for (j, cell) in line.split(',').enumerate() {
                if categorical[j] {
                    texts[j].push((!cell.is_empty()).then(|| cell.to_string()));
                } else {
                    numbers[j].push(if cell.is_empty() {
                        f64::NAN
                    } else {
                        cell.parse().unwrap()
                    });
                }
            }
        }
        Frame {
            names,
            numbers,
            texts,
            categorical: categorical.to_vec(),
        }
    }

    fn rows(&self) -> usize {
        (0..self.names.len())
            .map(|j| self.numbers[j].len().max(self.texts[j].len()))
            .max()
            .unwrap_or(0)
    }
}

/// Borrowed columns of a frame, restricted to rows `rows`.
struct Borrowed<'a> {
    cats: Vec<Vec<Option<&'a str>>>,
    frame: &'a Frame,
    rows: std::ops::Range<usize>,
}

impl<'a> Borrowed<'a> {
    fn new(frame: &'a Frame, rows: std::ops::Range<usize>) -> Self {
        let cats = frame
            .texts
            .iter()
            .map(|c| {
                if c.is_empty() {
                    Vec::new()
                } else {
                    c[rows.clone()].iter().map(|v| v.as_deref()).collect()
                }
            })
            .collect();
        Borrowed { cats, frame, rows }
    }

    fn columns(&self) -> Vec<FeatureColumn<'_>> {
        (0..self.frame.names.len())
            .map(|j| FeatureColumn {
                name: &self.frame.names[j],
                values: if self.frame.categorical[j] {
                    FeatureValues::Categorical(&self.cats[j])
                } else {
                    FeatureValues::Numerical(&self.frame.numbers[j][self.rows.clone()])
                },
            })
            .collect()
    }
}

struct Case {
    expected: Value,
    reference: Frame,
    analysis: Frame,
}

fn cases() -> Vec<Case> {
    let dir = root().join("tests/fixtures/multivariate");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("expected.json").exists())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|p| {
            let expected: Value =
                serde_json::from_str(&std::fs::read_to_string(p.join("expected.json")).unwrap())
                    .unwrap();
            let categorical: Vec<bool> = expected["columns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["kind"] == "categorical")
                .collect();
            let read = |key: &str| {
                Frame::read(&root().join(expected[key].as_str().unwrap()), &categorical)
            };
            Case {
                reference: read("reference"),
                analysis: read("analysis"),
                expected,
            }
        })
        .collect()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn ranges(v: &Value) -> Vec<std::ops::Range<usize>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_u64().unwrap() as usize..r[1].as_u64().unwrap() as usize)
        .collect()
}

/// Asserts `got` within 1e-9 (relative above 1) of `want`; returns the difference.
fn assert_rel(case: &str, what: &str, got: f64, want: f64) -> f64 {
    let tol = 1e-9 * want.abs().max(1.0);
    assert!(
        (got - want).abs() <= tol,
        "{case}: {what}: got {got}, NannyML {want}"
    );
    (got - want).abs()
}

#[test]
fn reconstruction_error_matches_nannyml() {
    let all = cases();
    let mut largest = 0.0f64;
    assert_eq!(all.len(), 4);
    for case in &all {
        let name = case.expected["case"].as_str().unwrap();
        let e = &case.expected["reconstruction"];
        let reference = Borrowed::new(&case.reference, 0..case.reference.rows());
        let reference = reference.columns();
        let model = ReconstructionModel::fit(&reference, &ReconstructionParams::default()).unwrap();
        assert_eq!(
            model.components() as u64,
            case.expected["components"].as_u64().unwrap(),
            "{name}"
        );
        let chunks = default_chunks(case.reference.rows(), 10);
        assert_eq!(chunks, ranges(&e["reference_chunks"]), "{name}");
        let want = floats(&e["reference_errors"]);
        let mut errors = Vec::new();
        for (chunk, want) in chunks.iter().zip(&want) {
            let got = model.mean_error(&reference, chunk.clone()).unwrap();
            largest = largest.max(assert_rel(
                name,
                &format!("reference chunk {chunk:?}"),
                got,
                *want,
            ));
            errors.push(got);
        }
        let (lower, upper) =
            modelwatch_core::stats::multivariate::reconstruction::error_band(&errors, 3.0);
        assert_rel(
            name,
            "lower threshold",
            lower,
            e["lower_threshold"].as_f64().unwrap(),
        );
        assert_rel(
            name,
            "upper threshold",
            upper,
            e["upper_threshold"].as_f64().unwrap(),
        );

        let analysis_chunks = ranges(&e["analysis_chunks"]);
        let alerts = e["analysis_alerts"].as_array().unwrap();
        for ((chunk, want), alert) in analysis_chunks
            .iter()
            .zip(floats(&e["analysis_errors"]))
            .zip(alerts)
        {
            let window = Borrowed::new(&case.analysis, chunk.clone());
            let current = window.columns();
            let got = reconstruction_drift(&reference, &current, &ReconstructionParams::default())
                .unwrap();
            assert_rel(
                name,
                &format!("analysis chunk {chunk:?}"),
                got.current.error,
                want,
            );
            assert_eq!(
                got.current.drifted,
                alert.as_bool().unwrap(),
                "{name}: analysis chunk {chunk:?}"
            );
        }
    }
    eprintln!("largest reconstruction difference from NannyML: {largest:e}");
}

#[test]
fn domain_classifier_agrees_with_nannyml() {
    let mut compared = 0;
    let mut largest = 0.0f64;
    let mut failures = Vec::new();
    let mut agreed = 0;
    for case in &cases() {
        let name = case.expected["case"].as_str().unwrap();
        let e = &case.expected["domain_classifier"];
        let reference = Borrowed::new(&case.reference, 0..case.reference.rows());
        let reference = reference.columns();
        let (lower, upper) = (
            e["lower_threshold"].as_f64().unwrap(),
            e["upper_threshold"].as_f64().unwrap(),
        );
        for ((chunk, want), alert) in ranges(&e["analysis_chunks"])
            .into_iter()
            .zip(floats(&e["auc"]))
            .zip(e["alerts"].as_array().unwrap())
        {
            let window = Borrowed::new(&case.analysis, chunk.clone());
            let current = window.columns();
            let got =
                domain_classifier_drift(&reference, &current, &DomainClassifierParams::default())
                    .unwrap();
            largest = largest.max((got.auc - want).abs());
            eprintln!("{name} {chunk:?}: AUC {:.4}, NannyML {want:.4}", got.auc);
            if (got.auc - want).abs() > AUC_TOLERANCE {
                failures.push(format!(
                    "{name}: chunk {chunk:?}: AUC {} vs NannyML {want}",
                    got.auc
                ));
            }
            let near_edge =
                (want - lower).abs() <= AUC_TOLERANCE || (want - upper).abs() <= AUC_TOLERANCE;
            if got.drifted == alert.as_bool().unwrap() {
                agreed += 1;
            } else if !near_edge {
                failures.push(format!(
                    "{name}: chunk {chunk:?}: verdict {} vs NannyML {alert}",
                    got.drifted
                ));
            }
            compared += 1;
        }
    }
    eprintln!(
        "largest AUC difference from NannyML: {largest:.4}; verdicts agree on {agreed} of \
         {compared}"
    );
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(compared, 40);
}

/// The committed example: every per-column KS test passes, all three multivariate methods
/// flag the flipped correlation.
#[test]
fn correlation_flip_example_is_seen_only_by_the_multivariate_methods() {
    let categorical = [false, false, false, true];
    let dir = root().join("examples/multivariate");
    let reference = Frame::read(&dir.join("reference.csv"), &categorical);
    let current = Frame::read(&dir.join("current.csv"), &categorical);
    assert_eq!(reference.names, ["x1", "x2", "x3", "segment"]);
    for j in 0..3 {
        let sorted = |v: &[f64]| {
            let mut v = v.to_vec();
            v.sort_by(f64::total_cmp);
            v
        };
        let ks =
            ks_two_sample(&sorted(&reference.numbers[j]), &sorted(&current.numbers[j])).unwrap();
        assert!(
            ks.p_value > 0.05,
            "{}: KS p-value {}",
            reference.names[j],
            ks.p_value
        );
    }
    let r = Borrowed::new(&reference, 0..reference.rows());
    let c = Borrowed::new(&current, 0..current.rows());
    let (r, c) = (r.columns(), c.columns());

    let rec = reconstruction_drift(&r, &c, &ReconstructionParams::default()).unwrap();
    assert!(rec.current.drifted, "{rec:?}");
    assert!(rec.current.error > rec.upper_threshold);

    let dc = domain_classifier_drift(&r, &c, &DomainClassifierParams::default()).unwrap();
    assert!(dc.drifted && dc.auc > 0.65, "{dc:?}");
    let top: Vec<&str> = dc.contributions[..2]
        .iter()
        .map(|c| c.column.as_str())
        .collect();
    assert!(top.contains(&"x1") && top.contains(&"x2"), "{top:?}");

    // 500 rows per side (of 2,000) keep the unoptimised test build quick; the signal is
    // plain at that size too.
    let params = MultivariateMmdParams {
        max_rows_per_side: 500,
        ..MultivariateMmdParams::default()
    };
    let mmd = multivariate_mmd_drift(&r, &c, &params).unwrap();
    assert!(mmd.drifted && mmd.p_value < 0.05, "{mmd:?}");
    assert_eq!(mmd.columns, ["x1", "x2", "x3"]);
}
