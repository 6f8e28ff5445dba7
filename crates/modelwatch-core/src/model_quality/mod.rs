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
    /// Fitted on the reference data (the usual case: the baseline a model must beat).
    Reference,
    /// Fitted on the current data, when there is no usable reference.
    Current,
}

/// A problem with the whole model-quality run (bad columns, bad probabilities).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelQualityError {
    /// A target, prediction or probability column named in the spec is not in a dataset.
    #[error("{dataset} data has no {role} column `{column}`{hint}")]
    MissingColumn {
        /// `reference` or `current`.
        dataset: &'static str,
        /// `target`, `prediction` or `probability`.
        role: &'static str,
        /// The column name as given.
        column: String,
        /// ` (did you mean ...?)` with the dataset's closest columns, or empty.
        hint: String,
    },
    /// Classification was asked for with neither a prediction column nor probability columns.
    #[error("classification needs a prediction: give a prediction column or probability columns")]
    NoPrediction,
    /// A column's physical type cannot serve its role (e.g. a datetime column as class
    /// labels, a text column as regression numbers or probabilities).
    #[error("{role} column `{column}` has {physical} values, which cannot be {what}")]
    BadColumnType {
        /// `target`, `prediction` or `probability`.
        role: &'static str,
        /// The column name.
        column: String,
        /// The physical type read from the data (`ColumnData::physical_name`).
        physical: &'static str,
        /// What the role needs, as a phrase (`read as class labels`, `used as numbers`, ...).
        what: &'static str,
    },
    /// Every row of a dataset misses the target or the prediction (or has a missing or
    /// infinite probability), so no metric is defined.
    #[error("{dataset} data has no rows with both a target and a prediction")]
    NoRows {
        /// `reference` or `current`.
        dataset: &'static str,
    },
    /// A probability is below 0 or above 1 (rows with a missing or infinite probability are
    /// dropped before, not reported).
    #[error("probability column `{column}` has value {value} at row {row}, outside [0, 1]")]
    ProbabilityOutOfRange {
        /// The probability column.
        column: String,
        /// 1-based data row (header not counted).
        row: usize,
        /// The offending probability.
        value: f64,
    },
    /// Multiclass probability columns of a row do not sum to 1 (tolerance 1e-6).
    #[error("probability columns {columns} sum to {sum} at row {row}, not 1")]
    ProbabilitiesDoNotSumToOne {
        /// The probability columns, back-quoted and comma-separated.
        columns: String,
        /// 1-based data row (header not counted).
        row: usize,
        /// The row's sum.
        sum: f64,
    },
    /// Multiclass: a target label has no probability column of the same name.
    #[error("target column `{column}` has label `{label}` that has no probability column (probability columns: {columns})")]
    LabelWithoutProbability {
        /// The target column.
        column: String,
        /// The label without a probability column.
        label: String,
        /// The probability columns, back-quoted and comma-separated.
        columns: String,
    },
    /// A single probability column (binary classification) with a target that does not have
    /// exactly two labels.
    #[error("target column `{column}` has labels {labels}: a single probability column `{proba}` needs exactly two labels")]
    NotBinary {
        /// The target column.
        column: String,
        /// The labels found, back-quoted and comma-separated.
        labels: String,
        /// The probability column.
        proba: String,
    },
    /// Binary classification: the positive label given is not one of the two labels.
    #[error("positive label `{pos_label}` is not a label of target column `{column}` (labels: {labels}); pass {}", Setting::PosLabel.canonical())]
    UnknownPosLabel {
        /// The positive label as given.
        pos_label: String,
        /// The target column.
        column: String,
        /// The binary labels found, back-quoted and comma-separated.
        labels: String,
    },
}

impl ModelQualityError {
    /// `table` (the `dataset` side) has no column `column` of `role`: the error, with the
    /// table's closest column names.
    pub(crate) fn missing_column(
        table: &crate::table::Table,
        dataset: &'static str,
        role: &'static str,
        column: &str,
    ) -> Self {
        ModelQualityError::MissingColumn {
            dataset,
            role,
            column: column.to_string(),
            hint: crate::suggest::did_you_mean(column, table.column_names()),
        }
    }

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
