//! Target and prediction drift: the `target` preset.
//!
//! Follows Evidently 0.7's legacy `TargetDriftPreset`
//! (`evidently/legacy/metric_preset/target_drift.py`):
//!
//! * the drift of the target, the prediction and each class-probability column, tested by the
//!   drift engine's own per-column code ([`column_drift`]) with the same methods, default rule
//!   and thresholds as features (`ColumnDriftMetric`);
//! * the correlations of the target and of the prediction with the features, in the reference
//!   and in the current data (`ColumnCorrelationsMetric`): a numerical target or prediction is
//!   correlated with every numerical feature (Pearson, Spearman, Kendall's tau-b, as pandas'
//!   `Series.corr` after infinities become missing), a categorical one with every categorical
//!   feature (Cramér's V as Evidently's `_cramer_v`). Like Evidently, no coefficient is given
//!   for a pair of different types. Pairs with a missing value on either side are dropped.
//!
//! Column types come from the same rules as features
//! ([`crate::schema::resolve_column_type`], applied once per run by [`PreparedRun`]);
//! probability columns are numerical unless the user forces another type.

use std::collections::HashMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::drift::{column_drift, ColumnDrift};
use crate::prepare::PreparedRun;
use crate::schema::{ColumnRole, ColumnType};
use crate::setting::Setting;
use crate::stats::correlation::{contingency_table, cramers_v, kendall_tau_b, pearson, spearman};
use crate::table::{Column, ColumnData, MISSING_CODE};

/// The result of the target preset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetReport {
    /// Drift of the target column, when one was given.
    pub target: Option<ColumnDrift>,
    /// Drift of the prediction column, when one was given.
    pub prediction: Option<ColumnDrift>,
    /// Drift of each class-probability column, in the order given.
    pub prediction_proba: Vec<ColumnDrift>,
    /// Correlations of the target, then of the prediction, with each feature of the same
    /// type, features in the reference's column order.
    pub correlations: Vec<FeatureCorrelation>,
}

/// The association of one feature with the target or the prediction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureCorrelation {
    /// The target or prediction column the feature is compared with.
    pub column: String,
    /// `target` or `prediction`.
    pub role: ColumnRole,
    /// The feature column.
    pub feature: String,
    /// `numerical` (Pearson, Spearman, Kendall) or `categorical` (Cramér's V).
    pub kind: ColumnType,
    /// Coefficients in the reference dataset.
    pub reference: CorrelationValues,
    /// Coefficients in the current dataset.
    pub current: CorrelationValues,
    /// Why no coefficient could be computed (e.g. a string column declared numerical).
    pub error: Option<String>,
}

/// Coefficients in one dataset; `None` where undefined (fewer than two complete pairs, a
/// constant side, a single category) or not applicable to the kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CorrelationValues {
    /// Rows where both values are present (and finite, for numerical pairs).
    pub pairs: usize,
    /// Pearson's r, -1..1 (numerical pairs; pandas' `corr(method="pearson")`).
    pub pearson: Option<f64>,
    /// Spearman's rank correlation, -1..1 (numerical pairs; ties get their average rank).
    pub spearman: Option<f64>,
    /// Kendall's tau-b, -1..1 (numerical pairs; tau-b corrects for ties).
    pub kendall: Option<f64>,
    /// Cramér's V, 0..1 (categorical pairs; Evidently's `_cramer_v`, no bias correction).
    pub cramers_v: Option<f64>,
}

/// A problem with the whole run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TargetError {
    /// Neither a target nor a prediction column is given.
    NoTargetOrPrediction,
    /// A role column is missing from one dataset.
    MissingColumn {
        /// The column.
        column: String,
        /// The setting that names it.
        setting: Setting,
        /// `reference` or `current`.
        dataset: &'static str,
    },
    /// One column is given two roles.
    DuplicateRole {
        /// The column.
        column: String,
        /// The setting that names it first.
        first: Setting,
        /// The other setting that names it.
        second: Setting,
    },
    /// The run has no reference dataset.
    NoReference,
}

impl TargetError {
    /// The message, with settings spelled by `spell` (a flag, a config key).
    pub fn message(&self, spell: &dyn Fn(Setting) -> String) -> String {
        match self {
            TargetError::NoTargetOrPrediction => format!(
                "the target preset needs {} or {}",
                spell(Setting::Target),
                spell(Setting::Prediction)
            ),
            TargetError::MissingColumn {
                column,
                setting,
                dataset,
            } => format!(
                "column `{column}` given to {} is missing from the {dataset} dataset",
                spell(*setting)
            ),
            TargetError::DuplicateRole {
                column,
                first,
                second,
            } => format!(
                "column `{column}` is given to both {} and {}",
                spell(*first),
                spell(*second)
            ),
            TargetError::NoReference => "the target preset needs a reference dataset".into(),
        }
    }
}

impl std::fmt::Display for TargetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(&Setting::canonical))
    }
}

/// A column the preset tests: its pair, type and role.
struct Tested<'a> {
    reference: &'a Column,
    current: &'a Column,
    ty: ColumnType,
    role: ColumnRole,
}

/// Computes target and prediction drift and the feature correlations.
///
/// The target and prediction come from the schema's `target` / `prediction`; the run's
/// `prediction_proba` names the class-probability columns.
pub fn compute_target(run: &PreparedRun<'_>) -> Result<TargetReport, TargetError> {
    let schema = run.schema();
    if schema.target.is_none() && schema.prediction.is_none() {
        return Err(TargetError::NoTargetOrPrediction);
    }
    let Some(reference) = run.reference() else {
        return Err(TargetError::NoReference);
    };
    let current = run.current();
    let settings = run.drift_settings();
    let prediction_proba = run.settings().prediction_proba;

    // Every role column once, and in both datasets.
    let mut named: Vec<(&str, Setting)> = Vec::new();
    if let Some(t) = &schema.target {
        named.push((t, Setting::Target));
    }
    if let Some(p) = &schema.prediction {
        named.push((p, Setting::Prediction));
    }
    for p in prediction_proba {
        named.push((p, Setting::PredictionProba));
    }
    for (i, &(name, setting)) in named.iter().enumerate() {
        if let Some(&(_, first)) = named[..i].iter().find(|(n, _)| *n == name) {
            return Err(TargetError::DuplicateRole {
                column: name.to_string(),
                first,
                second: setting,
            });
        }
        for (table, dataset) in [(reference, "reference"), (current, "current")] {
            if table.column(name).is_none() {
                return Err(TargetError::MissingColumn {
                    column: name.to_string(),
                    setting,
                    dataset,
                });
            }
        }
    }

    let tested = |name: &str, role: ColumnRole, default: Option<ColumnType>| -> Tested<'_> {
        // Presence in both datasets was checked above.
        let rc = reference.column(name).expect("checked");
        let cc = current.column(name).expect("checked");
        let resolved = run.column(name).expect("checked");
        // A probability column is numerical unless forced, whatever its values look like.
        let ty = match (resolved.forced, default) {
            (None, Some(default)) => default,
            _ => resolved.column_type,
        };
        Tested {
            reference: rc,
            current: cc,
            ty,
            role,
        }
    };
    let target = schema
        .target
        .as_deref()
        .map(|n| tested(n, ColumnRole::Target, None));
    let prediction = schema
        .prediction
        .as_deref()
        .map(|n| tested(n, ColumnRole::Prediction, None));
    let probas: Vec<Tested> = prediction_proba
        .iter()
        .map(|n| tested(n, ColumnRole::Prediction, Some(ColumnType::Numerical)))
        .collect();

    let drift_of = |t: &Tested| {
        column_drift(
            t.reference,
            t.current,
            t.ty,
            t.role,
            reference.rows(),
            current.rows(),
            settings,
        )
    };

    // Features: shared columns that are not a role column, ignored, id, timestamp or a
    // member of an embedding.
    let is_role_column = |n: &str| named.iter().any(|(m, _)| *m == n);
    let mut features: Vec<(&Column, &Column, ColumnType)> = Vec::new();
    for rc in reference.columns() {
        let Some(cc) = current.column(&rc.name) else {
            continue;
        };
        let resolved = run.column(&rc.name).expect("a column of the reference");
        if is_role_column(&rc.name)
            || resolved.ignored
            || resolved.role != ColumnRole::Feature
            || run.embedding_of(&rc.name).is_some()
        {
            continue;
        }
        let ty = resolved.column_type;
        if matches!(ty, ColumnType::Numerical | ColumnType::Categorical) {
            features.push((rc, cc, ty));
        }
    }

    let mut jobs: Vec<(&Tested, &Column, &Column, ColumnType)> = Vec::new();
    for by in target.iter().chain(prediction.iter()) {
        for &(rc, cc, ty) in &features {
            if ty == by.ty {
                jobs.push((by, rc, cc, ty));
            }
        }
    }
    let correlations: Vec<FeatureCorrelation> = jobs
        .par_iter()
        .map(|&(by, rc, cc, ty)| feature_correlation(by, rc, cc, ty))
        .collect();

    Ok(TargetReport {
        target: target.as_ref().map(drift_of),
        prediction: prediction.as_ref().map(drift_of),
        prediction_proba: probas.iter().map(drift_of).collect(),
        correlations,
    })
}

fn feature_correlation(
    by: &Tested,
    reference: &Column,
    current: &Column,
    kind: ColumnType,
) -> FeatureCorrelation {
    let mut out = FeatureCorrelation {
        column: by.reference.name.clone(),
        role: by.role,
        feature: reference.name.clone(),
        kind,
        reference: CorrelationValues::default(),
        current: CorrelationValues::default(),
        error: None,
    };
    let sides = [
        (by.reference, reference, "reference"),
        (by.current, current, "current"),
    ];
    let mut values = Vec::with_capacity(2);
    for (y, x, dataset) in sides {
        let v = match kind {
            ColumnType::Numerical => numerical_values(&y.data, &x.data).ok_or_else(|| {
                format!(
                    "the {dataset} data of `{}` or `{}` does not hold numbers",
                    y.name, x.name
                )
            }),
            _ => Ok(categorical_values(&y.data, &x.data)),
        };
        match v {
            Ok(v) => values.push(v),
            Err(e) => {
                out.error = Some(e);
                return out;
            }
        }
    }
    out.current = values.pop().expect("two sides");
    out.reference = values.pop().expect("two sides");
    out
}

/// Pearson, Spearman and Kendall of the complete finite pairs (pandas: infinities replaced
/// by NaN, then `Series.corr` drops incomplete pairs). `None` when a side is not numeric.
fn numerical_values(y: &ColumnData, x: &ColumnData) -> Option<CorrelationValues> {
    let ys = row_numbers(y)?;
    let xs = row_numbers(x)?;
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for (&u, &v) in ys.iter().zip(&xs) {
        if u.is_finite() && v.is_finite() {
            a.push(u);
            b.push(v);
        }
    }
    Some(CorrelationValues {
        pairs: a.len(),
        pearson: pearson(&a, &b),
        spearman: spearman(&a, &b),
        kendall: kendall_tau_b(&a, &b),
        cramers_v: None,
    })
}

/// Cramér's V of the complete pairs (pandas' crosstab drops missing values).
fn categorical_values(y: &ColumnData, x: &ColumnData) -> CorrelationValues {
    let ys = row_codes(y);
    let xs = row_codes(x);
    let (table, rows, cols) = contingency_table(&ys, &xs);
    CorrelationValues {
        pairs: table.iter().sum::<u64>() as usize,
        cramers_v: cramers_v(&table, rows, cols),
        ..Default::default()
    }
}

/// One number per row, NaN for missing; `None` for strings and datetimes.
fn row_numbers(data: &ColumnData) -> Option<Vec<f64>> {
    Some(match data {
        ColumnData::Float(v) => v.clone(),
        ColumnData::Int(v) => v.iter().map(|x| x.map_or(f64::NAN, |x| x as f64)).collect(),
        ColumnData::Bool(v) => v
            .iter()
            .map(|x| x.map_or(f64::NAN, |b| if b { 1.0 } else { 0.0 }))
            .collect(),
        ColumnData::Str(_) | ColumnData::Datetime(_) => return None,
    })
}

/// One category code per row, `None` for missing (NaN included; infinities are categories,
/// as in pandas).
fn row_codes(data: &ColumnData) -> Vec<Option<u32>> {
    fn codes_of<K: std::hash::Hash + Eq>(
        values: impl Iterator<Item = Option<K>>,
    ) -> Vec<Option<u32>> {
        let mut index: HashMap<K, u32> = HashMap::new();
        values
            .map(|v| {
                v.map(|k| {
                    let next = index.len() as u32;
                    *index.entry(k).or_insert(next)
                })
            })
            .collect()
    }
    match data {
        ColumnData::Str(s) => s
            .codes
            .iter()
            .map(|&c| (c != MISSING_CODE).then_some(c))
            .collect(),
        ColumnData::Float(v) => codes_of(v.iter().map(|&x| {
            // -0.0 and 0.0 are one category.
            (!x.is_nan()).then_some(if x == 0.0 { 0u64 } else { x.to_bits() })
        })),
        ColumnData::Int(v) => codes_of(v.iter().copied()),
        ColumnData::Bool(v) => codes_of(v.iter().copied()),
        ColumnData::Datetime(v) => codes_of(v.iter().copied()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drift::DriftSettings;
    use crate::prepare::RunSettings;
    use crate::schema::SchemaOverrides;
    use crate::table::{StrColumn, Table};

    fn target_of(
        r: &Table,
        c: &Table,
        schema: &SchemaOverrides,
    ) -> Result<TargetReport, TargetError> {
        let drift = DriftSettings::default();
        let run = PreparedRun::new(Some(r), c, RunSettings::new(schema, &drift)).unwrap();
        compute_target(&run)
    }

    fn tables() -> (Table, Table) {
        let make = |y: Vec<f64>, x: Vec<f64>, c: &[&str], k: &[&str]| {
            Table::new(vec![
                Column::new("y", ColumnData::Float(y)),
                Column::new("x", ColumnData::Float(x)),
                Column::new(
                    "c",
                    ColumnData::Str(StrColumn::from_options(c.iter().map(|s| Some(*s)))),
                ),
                Column::new(
                    "k",
                    ColumnData::Str(StrColumn::from_options(k.iter().map(|s| Some(*s)))),
                ),
            ])
            .unwrap()
        };
        let r = make(
            vec![1.0, 2.0, 3.0, 4.0, f64::NAN, 6.0],
            vec![2.0, 4.0, 6.0, 8.0, 10.0, f64::INFINITY],
            &["a", "b", "a", "b", "a", "b"],
            &["u", "v", "u", "v", "u", "v"],
        );
        let c = make(
            vec![6.0, 5.0, 4.0, 3.0, 2.0, 1.0],
            vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            &["a", "a", "a", "b", "b", "b"],
            &["u", "v", "u", "v", "u", "v"],
        );
        (r, c)
    }

    #[test]
    fn needs_target_or_prediction() {
        let (r, c) = tables();
        let e = target_of(&r, &c, &SchemaOverrides::default()).unwrap_err();
        assert_eq!(
            e.message(&|s| format!("--{}", s.name())),
            "the target preset needs --target or --prediction"
        );
        assert_eq!(
            e.to_string(),
            "the target preset needs `target` or `prediction`"
        );
    }

    #[test]
    fn missing_role_column_is_named() {
        let (r, _) = tables();
        let c = Table::new(vec![Column::new("x", ColumnData::Float(vec![1.0]))]).unwrap();
        let schema = SchemaOverrides {
            target: Some("y".into()),
            ..Default::default()
        };
        let e = target_of(&r, &c, &schema).unwrap_err();
        assert_eq!(
            e.message(&|s| format!("--{}", s.name())),
            "column `y` given to --target is missing from the current dataset"
        );
    }

    #[test]
    fn numerical_target_gets_numerical_correlations() {
        let (r, c) = tables();
        let schema = SchemaOverrides {
            target: Some("y".into()),
            prediction: Some("k".into()),
            ..Default::default()
        };
        let rep = target_of(&r, &c, &schema).unwrap();
        assert!(rep.target.as_ref().unwrap().score.is_some());
        assert_eq!(
            rep.prediction.as_ref().unwrap().column_type,
            ColumnType::Categorical
        );
        // y ~ x (numerical) and k ~ c (categorical).
        assert_eq!(rep.correlations.len(), 2);
        let num = &rep.correlations[0];
        assert_eq!((num.column.as_str(), num.feature.as_str()), ("y", "x"));
        // Reference: the NaN row and the infinite row drop; y = x / 2 on the rest.
        assert_eq!(num.reference.pairs, 4);
        assert_eq!(num.reference.kendall, Some(1.0));
        assert_eq!(num.current.spearman, Some(-1.0));
        let cat = &rep.correlations[1];
        assert_eq!((cat.column.as_str(), cat.feature.as_str()), ("k", "c"));
        // Reference: k determines c; current: [[2, 1], [1, 2]], chi2 = 2/3, V = 1/3.
        assert!((cat.reference.cramers_v.unwrap() - 1.0).abs() < 1e-12);
        assert!((cat.current.cramers_v.unwrap() - 1.0 / 3.0).abs() < 1e-12);
    }
}
