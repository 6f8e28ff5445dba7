//! One run of the requested presets over a reference and a current table: the shared
//! back half of `modelwatch report`, `modelwatch test` and the server's window reports.

use crate::drift::{compute_drift, DriftError, DriftSettings};
use crate::model_quality::{
    compute_classification, compute_regression, ClassificationSpec, ModelQualityError,
    RegressionSpec,
};
use crate::prepare::{PrepareError, PreparedRun, RunSettings};
use crate::results::{Meta, Preset, Results, TimeRange};
use crate::schema::SchemaOverrides;
use crate::setting::Setting;
use crate::summary::compute_summary;
use crate::table::{ColumnData, Table};
use crate::target::{compute_target, TargetError};
use crate::time::{format_us, TimeShape};

/// What to compute and with which settings.
#[derive(Clone)]
pub struct RunSpec<'a> {
    /// The presets to compute; their order does not matter.
    pub presets: &'a [Preset],
    /// Column types and roles (`--target`, `--categorical`, ...).
    pub schema: &'a SchemaOverrides,
    /// Drift methods, thresholds and the dataset rule.
    pub settings: &'a DriftSettings,
    /// Class-probability columns (`--prediction-proba`).
    pub prediction_proba: &'a [String],
    /// The positive label of a binary classification (`--pos-label`).
    pub pos_label: Option<&'a str>,
    /// Probability in `[0, 1]` at which a binary classification predicts the positive label.
    pub proba_threshold: f64,
    /// `None`: a model-quality error fails the run. `Some(f)`: that preset is left out of
    /// the results and `f` is told why (a monitoring window whose labels have not arrived
    /// yet still gets its drift and quality).
    pub on_model_quality_skipped: Option<&'a (dyn Fn(&ModelQualityError) + Sync)>,
}

/// Why a run could not produce results.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The settings do not fit the data.
    Prepare(#[from] PrepareError),
    /// The drift preset could not run.
    Drift(#[from] DriftError),
    /// The target preset could not run.
    Target(#[from] TargetError),
    /// A model-quality preset could not run.
    ModelQuality(#[from] ModelQualityError),
    /// The classification preset without a target column.
    ClassificationWithoutTarget,
    /// The regression preset without a target or a prediction column.
    RegressionWithoutColumns,
}

impl RunError {
    /// The message, with settings spelled by `spell`: the CLI passes its flags
    /// (`--target`), the server its config keys (`columns.target`).
    pub fn message(&self, spell: &dyn Fn(Setting) -> String) -> String {
        match self {
            RunError::Prepare(e) => e.message(spell),
            RunError::Drift(e) => e.message(spell),
            RunError::Target(e) => e.message(spell),
            RunError::ModelQuality(e) => e.message(spell),
            RunError::ClassificationWithoutTarget => {
                format!("the classification preset needs {}", spell(Setting::Target))
            }
            RunError::RegressionWithoutColumns => format!(
                "the regression preset needs {} and {}",
                spell(Setting::Target),
                spell(Setting::Prediction)
            ),
        }
    }
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(&Setting::canonical))
    }
}

/// Runs every preset of `spec.presets` over `reference` and `current`, from one
/// [`PreparedRun`] (settings checked and column types resolved once for all presets).
///
/// `on_drift_column_done` is called once per column the drift preset tested (for progress
/// display). `meta` is copied into the results as given.
pub fn run_presets(
    reference: &Table,
    current: &Table,
    spec: &RunSpec<'_>,
    meta: Meta,
    on_drift_column_done: &(dyn Fn() + Sync),
) -> Result<Results, RunError> {
    let settings = RunSettings {
        schema: spec.schema,
        drift: spec.settings,
        prediction_proba: spec.prediction_proba,
        pos_label: spec.pos_label,
        proba_threshold: spec.proba_threshold,
    };
    let run = PreparedRun::new(Some(reference), current, settings)?;
    let wants = |p: Preset| spec.presets.contains(&p);
    let schema = spec.schema;
    let drift = if wants(Preset::Drift) {
        Some(compute_drift(&run, on_drift_column_done)?)
    } else {
        None
    };
    let summary = wants(Preset::Summary).then(|| compute_summary(&run));
    let target = if wants(Preset::Target) {
        Some(compute_target(&run)?)
    } else {
        None
    };
    // Model quality needs rows: with empty current data it is left out (the checks that
    // need it report an error naming the reason) instead of failing the whole run. The
    // columns it needs are still checked.
    let no_rows = current.rows() == 0;
    let classification = if wants(Preset::Classification) {
        let target = schema
            .target
            .clone()
            .ok_or(RunError::ClassificationWithoutTarget)?;
        if no_rows {
            None
        } else {
            let cls = ClassificationSpec {
                target,
                prediction: schema.prediction.clone(),
                prediction_proba: spec.prediction_proba.to_vec(),
                pos_label: spec.pos_label.map(str::to_string),
                proba_threshold: spec.proba_threshold,
            };
            optional(compute_classification(Some(reference), current, &cls), spec)?
        }
    } else {
        None
    };
    let regression = if wants(Preset::Regression) {
        let (Some(target), Some(prediction)) = (schema.target.clone(), schema.prediction.clone())
        else {
            return Err(RunError::RegressionWithoutColumns);
        };
        if no_rows {
            None
        } else {
            let reg = RegressionSpec { target, prediction };
            optional(compute_regression(Some(reference), current, &reg), spec)?
        }
    } else {
        None
    };
    let mut meta = meta;
    if meta.time_range.is_none() {
        meta.time_range = schema
            .timestamp
            .as_deref()
            .map(|column| time_range(column, reference, current));
    }
    Ok(Results {
        drift,
        summary,
        target,
        classification,
        regression,
        meta,
    })
}

/// A model-quality result, or `None` when the spec lets it be skipped on error.
fn optional<T>(
    result: Result<T, ModelQualityError>,
    spec: &RunSpec<'_>,
) -> Result<Option<T>, RunError> {
    match (result, spec.on_model_quality_skipped) {
        (Ok(r), _) => Ok(Some(r)),
        (Err(e), Some(skipped)) => {
            skipped(&e);
            Ok(None)
        }
        (Err(e), None) => Err(e.into()),
    }
}

/// The first and last value of `column` in each table.
pub fn time_range(column: &str, reference: &Table, current: &Table) -> TimeRange {
    let span = |t: &Table| -> Option<(String, String)> {
        match &t.column(column)?.data {
            ColumnData::Datetime(v) => {
                let (lo, hi) = v
                    .iter()
                    .flatten()
                    .fold(None, |acc: Option<(i64, i64)>, &x| {
                        Some(acc.map_or((x, x), |(a, b)| (a.min(x), b.max(x))))
                    })?;
                Some((
                    format_us(lo, TimeShape::Naive),
                    format_us(hi, TimeShape::Naive),
                ))
            }
            ColumnData::Int(v) => {
                let lo = v.iter().flatten().min()?;
                let hi = v.iter().flatten().max()?;
                Some((lo.to_string(), hi.to_string()))
            }
            ColumnData::Float(v) => {
                let finite = v.iter().copied().filter(|x| x.is_finite());
                let lo = finite.clone().reduce(f64::min)?;
                let hi = finite.reduce(f64::max)?;
                Some((lo.to_string(), hi.to_string()))
            }
            ColumnData::Str(_) | ColumnData::Bool(_) => None,
        }
    };
    TimeRange {
        column: column.to_string(),
        reference: span(reference),
        current: span(current),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::Column;

    #[test]
    fn time_range_of_datetime_and_numeric_columns() {
        let r = Table::new(vec![Column::new(
            "ts",
            ColumnData::Datetime(vec![Some(86_400_000_000), None, Some(0)]),
        )])
        .unwrap();
        let c = Table::new(vec![Column::new("ts", ColumnData::Float(vec![f64::NAN]))]).unwrap();
        let t = time_range("ts", &r, &c);
        assert_eq!(
            t.reference,
            Some((
                "1970-01-01T00:00:00".to_string(),
                "1970-01-02T00:00:00".to_string()
            ))
        );
        assert_eq!(t.current, None);
    }
}
