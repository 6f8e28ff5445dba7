//! The flat metrics of a snapshot: the numbers `/metrics`, series and (later) alert rules
//! read, taken from the one `Results` value of the run — nothing is recomputed here.
//!
//! Names (the `metric` of a series): `drift_score` and `drifted` per column,
//! `drifted_share`, `drifted_columns`, `dataset_drift`, `missing_share` (dataset),
//! `column_missing_share` per column, `rows`, `class_share` per predicted label,
//! and `quality.<name>` for model quality (`quality.accuracy`, `quality.f1`,
//! `quality.roc_auc`, `quality.mae`, `quality.rmse`, `quality.r2`, ...).

use modelwatch_core::results::Results;

use crate::store::SnapshotMetric;

/// Model-quality fields exported as `quality.<name>` when present in the current data.
const CLASSIFICATION_FIELDS: [&str; 10] = [
    "accuracy",
    "precision",
    "recall",
    "f1",
    "roc_auc",
    "log_loss",
    "tpr",
    "tnr",
    "fpr",
    "fnr",
];
const REGRESSION_FIELDS: [&str; 6] = ["mean_error", "mae", "rmse", "mape", "r2", "max_abs_error"];

/// The flat metrics of `results`. `prediction` names the prediction column, whose label
/// shares become `class_share`.
pub fn snapshot_metrics(results: &Results, prediction: Option<&str>) -> Vec<SnapshotMetric> {
    let mut out = Vec::new();
    let mut push = |metric: &str, column: &str, value: f64| {
        if value.is_finite() {
            out.push(SnapshotMetric {
                metric: metric.to_string(),
                column: column.to_string(),
                value,
            });
        }
    };
    push("rows", "", results.meta.current_rows as f64);
    if let Some(d) = &results.drift {
        push("drifted_share", "", d.drifted_share);
        push("drifted_columns", "", d.drifted_count as f64);
        push("dataset_drift", "", f64::from(u8::from(d.dataset_drift)));
        for c in &d.columns {
            if let Some(score) = c.score {
                push("drift_score", &c.column, score);
            }
            if let Some(drifted) = c.drifted {
                push("drifted", &c.column, f64::from(u8::from(drifted)));
            }
        }
    }
    if let Some(s) = &results.summary {
        if let Some(m) = s.current.missing_values_share {
            push("missing_share", "", m);
        }
        if let Some(m) = s.reference.as_ref().and_then(|r| r.missing_values_share) {
            push("reference_missing_share", "", m);
        }
        for c in &s.columns {
            if let Some(stats) = &c.current {
                if let Some(m) = stats.missing_share {
                    push("column_missing_share", &c.column, m);
                }
            }
            if Some(c.column.as_str()) == prediction {
                for l in c.categories.iter().flat_map(|cat| &cat.labels) {
                    if let Some(share) = l.current_share {
                        push("class_share", &l.label, share);
                    }
                }
            }
        }
    }
    // Model quality through its serde form, so new fields need no change here.
    let quality = [
        (
            results
                .classification
                .as_ref()
                .and_then(|c| serde_json::to_value(&c.current).ok()),
            &CLASSIFICATION_FIELDS[..],
        ),
        (
            results
                .regression
                .as_ref()
                .and_then(|r| serde_json::to_value(&r.current).ok()),
            &REGRESSION_FIELDS[..],
        ),
    ];
    for (value, fields) in quality {
        let Some(value) = value else { continue };
        for f in fields {
            if let Some(x) = value.get(*f).and_then(serde_json::Value::as_f64) {
                push(&format!("quality.{f}"), "", x);
            }
        }
    }
    out
}
