//! Model quality: classification and regression metrics of a model's predictions against
//! the true target, for the reference and the current data, plus a dummy baseline.
//!
//! The definitions follow Evidently 0.7's `ClassificationPreset` / `RegressionPreset`
//! (which delegate to the legacy `ClassificationQualityMetric` / `RegressionQualityMetric`
//! and through them to scikit-learn's `sklearn.metrics`). Where Evidently's numbers are
//! wrong or inconsistent (the dummy baselines, MAPE's zero handling and units) modelwatch
//! computes the textbook value and the difference is noted on the field.

pub mod classification;
pub mod regression;

use serde::Serialize;

use crate::setting::Setting;

pub use classification::{
    classification_quality, compute_classification, ClassificationDummy, ClassificationMetrics,
    ClassificationReport, ClassificationSpec, ClassificationTask, ConfusionMatrix, LabelPrior,
    LabelQuality, RocCurve, ROC_MAX_POINTS,
};
pub use regression::{
    compute_regression, regression_quality, ErrorHistogram, PredictedVsActual, RegressionDummy,
    RegressionMetrics, RegressionReport, RegressionSpec, ERROR_BINS, GRID_BINS,
};

/// Which dataset a dummy baseline was fitted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BaselineSource {
    Reference,
    Current,
}

/// A problem with the whole model-quality run (bad columns, bad probabilities).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelQualityError {
    #[error("{dataset} data has no {role} column `{column}`")]
    MissingColumn {
        dataset: &'static str,
        role: &'static str,
        column: String,
    },
    #[error("classification needs a prediction: give a prediction column or probability columns")]
    NoPrediction,
    #[error("{role} column `{column}` has {physical} values, which cannot be {what}")]
    BadColumnType {
        role: &'static str,
        column: String,
        physical: &'static str,
        what: &'static str,
    },
    #[error("{dataset} data has no rows with both a target and a prediction")]
    NoRows { dataset: &'static str },
    #[error("probability column `{column}` has value {value} at row {row}, outside [0, 1]")]
    ProbabilityOutOfRange {
        column: String,
        row: usize,
        value: f64,
    },
    #[error("probability columns {columns} sum to {sum} at row {row}, not 1")]
    ProbabilitiesDoNotSumToOne {
        columns: String,
        row: usize,
        sum: f64,
    },
    #[error("target column `{column}` has label `{label}` that has no probability column (probability columns: {columns})")]
    LabelWithoutProbability {
        column: String,
        label: String,
        columns: String,
    },
    #[error("target column `{column}` has labels {labels}: a single probability column `{proba}` needs exactly two labels")]
    NotBinary {
        column: String,
        labels: String,
        proba: String,
    },
    #[error("positive label `{pos_label}` is not a label of target column `{column}` (labels: {labels}); pass {}", Setting::PosLabel.canonical())]
    UnknownPosLabel {
        pos_label: String,
        column: String,
        labels: String,
    },
}

impl ModelQualityError {
    /// The message, with settings spelled by `spell` (a flag, a config key).
    pub fn message(&self, spell: &dyn Fn(Setting) -> String) -> String {
        match self {
            ModelQualityError::UnknownPosLabel {
                pos_label,
                column,
                labels,
            } => format!(
                "positive label `{pos_label}` is not a label of target column `{column}` (labels: {labels}); pass {}",
                spell(Setting::PosLabel)
            ),
            other => other.to_string(),
        }
    }
}

/// Sample standard deviation (`ddof = 1`, as `np.std(x, ddof=1)` in Evidently's
/// `_calculate_quality_metrics`); `None` for fewer than two values. Two-pass algorithm.
pub(crate) fn sample_std(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let mean = mean(values);
    let ss: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
    Some((ss / (values.len() - 1) as f64).sqrt())
}

/// Arithmetic mean (NaN for an empty slice; callers check).
pub(crate) fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// `Some(v)` when `v` is finite, else `None` (keeps NaN out of the JSON).
pub(crate) fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}
