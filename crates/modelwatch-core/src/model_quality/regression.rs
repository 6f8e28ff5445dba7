//! Regression quality (Evidently 0.7 `RegressionPreset`: `MeanError`, `MAE`, `RMSE`, `MAPE`,
//! `R2Score`, `AbsMaxError`) and a mean-predicting dummy baseline.
//!
//! Rows whose target or prediction is missing or infinite are dropped first, as Evidently's
//! `_prepare_dataset` does. The error is `prediction - target` (Evidently's sign).

use serde::Serialize;

use super::{finite, mean, sample_std, BaselineSource, ModelQualityError};
use crate::table::{ColumnData, Table};

/// Which columns hold the true value and the model's prediction.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RegressionSpec {
    /// The column of true values (numbers).
    pub target: String,
    /// The column of predicted values (numbers).
    pub prediction: String,
}

/// Regression metrics of one dataset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegressionMetrics {
    /// Rows used (target and prediction both finite).
    pub rows: usize,
    /// Rows dropped because the target or the prediction was missing or infinite.
    pub dropped_rows: usize,
    /// Mean error `mean(ŷ - y)` (Evidently `MeanError`, `np.mean`).
    pub mean_error: f64,
    /// Standard deviation of the error, `ddof = 1` (Evidently `error_std`); `None` for one row.
    pub error_std: Option<f64>,
    /// Mean absolute error `mean(|ŷ - y|)` (`sklearn.metrics.mean_absolute_error`).
    pub mae: f64,
    /// Standard deviation of the absolute error, `ddof = 1` (Evidently `abs_error_std`).
    pub abs_error_std: Option<f64>,
    /// Root mean squared error `sqrt(mean((ŷ - y)²))` (`sklearn.metrics.root_mean_squared_error`).
    pub rmse: f64,
    /// Mean absolute percentage error in percent, `100 · mean(|ŷ - y| / |y|)` over rows with
    /// `|y| > f64::EPSILON`; rows with a zero target are left out and counted in
    /// `mape_zero_target_rows`. `None` when every target is zero. Evidently 0.7 drops such
    /// rows for the reference but scores them as 100% for the current data, and divides by
    /// `max(y, eps)` rather than `|y|`; modelwatch treats both datasets alike.
    pub mape: Option<f64>,
    /// Standard deviation (`ddof = 1`) of the absolute percentage error, in percent like
    /// `mape` (Evidently reports it as a fraction, not multiplied by 100).
    pub mape_std: Option<f64>,
    /// Rows left out of MAPE because `|y| <= f64::EPSILON`.
    pub mape_zero_target_rows: usize,
    /// Coefficient of determination `1 - SS_res / SS_tot` (`sklearn.metrics.r2_score`, with
    /// its `force_finite` convention: 1 for a constant target predicted exactly, else 0).
    /// `None` for fewer than two rows.
    pub r2: Option<f64>,
    /// Maximum absolute error `max |ŷ - y|` (Evidently `AbsMaxError`).
    pub max_abs_error: f64,
}

/// The dummy baseline: a constant prediction, the mean target of the reference (or of the
/// current data when there is no reference target), scored on the current data like
/// `sklearn.dummy.DummyRegressor(strategy="mean")`.
///
/// Evidently 0.7.23's dummy values are not this model: it takes the current median for MAE,
/// the current mean for RMSE and a weighted median of the current data for MAPE, so the
/// baseline peeks at the data it is judged on. modelwatch does not copy them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegressionDummy {
    /// The dataset whose mean target is the prediction.
    pub source: BaselineSource,
    /// The constant prediction.
    pub prediction: f64,
    /// The constant prediction scored on the current rows.
    pub quality: RegressionMetrics,
}

/// Bins per axis of [`PredictedVsActual`].
pub const GRID_BINS: usize = 30;
/// Bins of [`ErrorHistogram`].
pub const ERROR_BINS: usize = 40;

/// Predicted against actual values as counts on a square grid: both axes share `edges`
/// (equal-width bins over the smallest and largest target and prediction of both datasets,
/// so the line `prediction = target` is the grid's diagonal). `current[i][j]` is the number of
/// rows whose target falls in bin `i` and whose prediction falls in bin `j`; each bin holds
/// its lower edge, the last one both edges. The size is bounded whatever the row count.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PredictedVsActual {
    /// `GRID_BINS + 1` increasing edges; two equal edges (one bin) when every value is equal.
    pub edges: Vec<f64>,
    /// `None` when the reference was not scored.
    pub reference: Option<Vec<Vec<u64>>>,
    /// `GRID_BINS` x `GRID_BINS` counts of the current rows, `[target bin][prediction bin]`.
    pub current: Vec<Vec<u64>>,
}

/// The error `prediction - target` counted on equal-width bins shared by both datasets
/// (over the smallest and largest error of either), for overlaid histograms.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorHistogram {
    /// `ERROR_BINS + 1` increasing edges; two equal edges when every error is equal.
    pub edges: Vec<f64>,
    /// `None` when the reference was not scored.
    pub reference: Option<Vec<u64>>,
    /// `ERROR_BINS` counts of the current rows' errors.
    pub current: Vec<u64>,
}

/// Regression quality of the reference (when it has both columns) and the current data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegressionReport {
    /// The target column.
    pub target: String,
    /// The prediction column.
    pub prediction: String,
    /// Metrics of the reference; `None` without a reference or when it lacks a column (see
    /// `reference_note`).
    pub reference: Option<RegressionMetrics>,
    /// Metrics of the current data.
    pub current: RegressionMetrics,
    /// The mean-predicting baseline, scored on the current data.
    pub dummy: RegressionDummy,
    /// Why the reference was not scored, when it was given but lacks a column.
    pub reference_note: Option<String>,
    /// Predicted against actual, binned (for a chart).
    pub predicted_vs_actual: PredictedVsActual,
    /// The error distribution on shared bins (for a chart).
    pub error_histogram: ErrorHistogram,
}

/// `k` equal-width bins over `[lo, hi]` (`lo <= hi`, finite): `k + 1` edges, or the two
/// edges `[lo, lo]` when `lo == hi`.
fn equal_width_edges(lo: f64, hi: f64, k: usize) -> Vec<f64> {
    if hi <= lo {
        return vec![lo, lo];
    }
    // Interpolated so that a range wider than f64::MAX stays finite.
    (0..=k)
        .map(|i| {
            let t = i as f64 / k as f64;
            if i == k {
                hi
            } else {
                lo * (1.0 - t) + hi * t
            }
        })
        .collect()
}

/// The bin of `v` among equal-width `edges` (`v` within the outer edges): the lower edge
/// belongs to its bin, the last bin holds the top edge too.
fn bin_of(v: f64, edges: &[f64]) -> usize {
    let k = edges.len() - 1;
    let (lo, hi) = (edges[0], edges[k]);
    if hi <= lo {
        return 0;
    }
    // `as` saturates (NaN gives 0), and the loops below correct any rounding.
    let mut i =
        ((v / k as f64 - lo / k as f64) / (hi / k as f64 - lo / k as f64) * k as f64) as usize;
    i = i.min(k - 1);
    // Rounding can put a value next to an edge one bin off; the edges decide.
    while i > 0 && v < edges[i] {
        i -= 1;
    }
    while i + 1 < k && v >= edges[i + 1] {
        i += 1;
    }
    i
}

/// Smallest and largest of finite, non-empty slices.
fn range_of<'a>(sets: impl Iterator<Item = &'a [f64]>) -> (f64, f64) {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for v in sets.flatten() {
        lo = lo.min(*v);
        hi = hi.max(*v);
    }
    (lo, hi)
}

fn grid_counts(target: &[f64], prediction: &[f64], edges: &[f64]) -> Vec<Vec<u64>> {
    let k = edges.len() - 1;
    let mut counts = vec![vec![0u64; k]; k];
    for (y, p) in target.iter().zip(prediction) {
        counts[bin_of(*y, edges)][bin_of(*p, edges)] += 1;
    }
    counts
}

fn errors_of(target: &[f64], prediction: &[f64]) -> Vec<f64> {
    prediction.iter().zip(target).map(|(p, y)| p - y).collect()
}

fn histogram_of(values: &[f64], edges: &[f64]) -> Vec<u64> {
    let mut counts = vec![0u64; edges.len() - 1];
    for v in values {
        counts[bin_of(*v, edges)] += 1;
    }
    counts
}

/// The chart data of the current pairs and, when scored, the reference pairs (each pair
/// of slices equal in length, finite, non-empty).
fn chart_data(
    current: (&[f64], &[f64]),
    reference: Option<(&[f64], &[f64])>,
) -> (PredictedVsActual, ErrorHistogram) {
    let mut sets = vec![current.0, current.1];
    if let Some((y, p)) = reference {
        sets.extend([y, p]);
    }
    let (lo, hi) = range_of(sets.into_iter());
    let edges = equal_width_edges(lo, hi, GRID_BINS);
    let grid = PredictedVsActual {
        reference: reference.map(|(y, p)| grid_counts(y, p, &edges)),
        current: grid_counts(current.0, current.1, &edges),
        edges,
    };
    let cur_err = errors_of(current.0, current.1);
    let ref_err = reference.map(|(y, p)| errors_of(y, p));
    let mut err_sets: Vec<&[f64]> = vec![&cur_err];
    if let Some(e) = &ref_err {
        err_sets.push(e);
    }
    let (lo, hi) = range_of(err_sets.into_iter());
    let edges = equal_width_edges(lo, hi, ERROR_BINS);
    let hist = ErrorHistogram {
        reference: ref_err.as_deref().map(|e| histogram_of(e, &edges)),
        current: histogram_of(&cur_err, &edges),
        edges,
    };
    (grid, hist)
}

fn numeric_values(
    table: &Table,
    column: &str,
    role: &'static str,
    dataset: &'static str,
) -> Result<Vec<f64>, ModelQualityError> {
    let col = table
        .column(column)
        .ok_or_else(|| ModelQualityError::missing_column(table, dataset, role, column))?;
    Ok(match &col.data {
        ColumnData::Float(v) => v.clone(),
        ColumnData::Int(v) => v.iter().map(|x| x.map_or(f64::NAN, |i| i as f64)).collect(),
        ColumnData::Bool(v) => v
            .iter()
            .map(|x| x.map_or(f64::NAN, |b| if b { 1.0 } else { 0.0 }))
            .collect(),
        other => {
            return Err(ModelQualityError::BadColumnType {
                role,
                column: column.to_string(),
                physical: other.physical_name(),
                what: "used as numbers",
            })
        }
    })
}

/// The (target, prediction) pairs of rows where both are finite, and the dropped count.
fn finite_pairs(
    table: &Table,
    spec: &RegressionSpec,
    dataset: &'static str,
) -> Result<(Vec<f64>, Vec<f64>, usize), ModelQualityError> {
    let y = numeric_values(table, &spec.target, "target", dataset)?;
    let p = numeric_values(table, &spec.prediction, "prediction", dataset)?;
    let (mut ys, mut ps) = (Vec::with_capacity(y.len()), Vec::with_capacity(y.len()));
    for (a, b) in y.iter().zip(&p) {
        if a.is_finite() && b.is_finite() {
            ys.push(*a);
            ps.push(*b);
        }
    }
    let dropped = y.len() - ys.len();
    if ys.is_empty() {
        return Err(ModelQualityError::NoRows { dataset });
    }
    Ok((ys, ps, dropped))
}

/// Regression metrics of `prediction` against `target` (equal length, finite, non-empty).
pub(crate) fn regression_metrics(target: &[f64], prediction: &[f64]) -> RegressionMetrics {
    let n = target.len();
    let errors: Vec<f64> = prediction.iter().zip(target).map(|(p, y)| p - y).collect();
    let abs_errors: Vec<f64> = errors.iter().map(|e| e.abs()).collect();
    let mse = mean(&errors.iter().map(|e| e * e).collect::<Vec<_>>());
    let ape: Vec<f64> = abs_errors
        .iter()
        .zip(target)
        .filter(|(_, y)| y.abs() > f64::EPSILON)
        .map(|(e, y)| 100.0 * e / y.abs())
        .collect();
    let r2 = if n < 2 {
        None
    } else {
        let y_mean = mean(target);
        let ss_tot: f64 = target.iter().map(|y| (y - y_mean) * (y - y_mean)).sum();
        let ss_res: f64 = errors.iter().map(|e| e * e).sum();
        if ss_tot == 0.0 {
            Some(if ss_res == 0.0 { 1.0 } else { 0.0 })
        } else {
            finite(1.0 - ss_res / ss_tot)
        }
    };
    RegressionMetrics {
        rows: n,
        dropped_rows: 0,
        mean_error: mean(&errors),
        error_std: sample_std(&errors).and_then(finite),
        mae: mean(&abs_errors),
        abs_error_std: sample_std(&abs_errors).and_then(finite),
        rmse: mse.sqrt(),
        mape: (!ape.is_empty()).then(|| mean(&ape)).and_then(finite),
        mape_std: sample_std(&ape).and_then(finite),
        mape_zero_target_rows: n - ape.len(),
        r2,
        max_abs_error: abs_errors.iter().copied().fold(0.0, f64::max),
    }
}

/// Regression metrics of one table (the current data when used alone).
pub fn regression_quality(
    table: &Table,
    spec: &RegressionSpec,
) -> Result<RegressionMetrics, ModelQualityError> {
    regression_quality_of(table, spec, "current")
}

fn regression_quality_of(
    table: &Table,
    spec: &RegressionSpec,
    dataset: &'static str,
) -> Result<RegressionMetrics, ModelQualityError> {
    let (y, p, dropped) = finite_pairs(table, spec, dataset)?;
    let mut m = regression_metrics(&y, &p);
    m.dropped_rows = dropped;
    Ok(m)
}

/// Regression quality of `current` and, when it has both columns, `reference`, plus the
/// mean-predicting dummy baseline (see [`RegressionDummy`]).
pub fn compute_regression(
    reference: Option<&Table>,
    current: &Table,
    spec: &RegressionSpec,
) -> Result<RegressionReport, ModelQualityError> {
    let (y, p, dropped) = finite_pairs(current, spec, "current")?;
    let mut current_metrics = regression_metrics(&y, &p);
    current_metrics.dropped_rows = dropped;

    let mut reference_note = None;
    let mut reference_metrics = None;
    let mut reference_pairs = None;
    let mut baseline = None;
    if let Some(r) = reference {
        let missing: Vec<&str> = [spec.target.as_str(), spec.prediction.as_str()]
            .into_iter()
            .filter(|c| r.column(c).is_none())
            .collect();
        if missing.is_empty() {
            let (ry, rp, rdropped) = finite_pairs(r, spec, "reference")?;
            let mut m = regression_metrics(&ry, &rp);
            m.dropped_rows = rdropped;
            reference_metrics = Some(m);
            reference_pairs = Some((ry, rp));
        } else {
            reference_note = Some(format!(
                "reference not scored: no column {}",
                missing
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if r.column(&spec.target).is_some() {
            let ry: Vec<f64> = numeric_values(r, &spec.target, "target", "reference")?
                .into_iter()
                .filter(|v| v.is_finite())
                .collect();
            if !ry.is_empty() {
                baseline = Some((BaselineSource::Reference, mean(&ry)));
            }
        }
    }
    let (source, constant) = baseline.unwrap_or((BaselineSource::Current, mean(&y)));
    let dummy_pred = vec![constant; y.len()];
    let mut dummy_quality = regression_metrics(&y, &dummy_pred);
    dummy_quality.dropped_rows = dropped;
    let (predicted_vs_actual, error_histogram) = chart_data(
        (&y, &p),
        reference_pairs
            .as_ref()
            .map(|(ry, rp)| (ry.as_slice(), rp.as_slice())),
    );
    Ok(RegressionReport {
        target: spec.target.clone(),
        prediction: spec.prediction.clone(),
        reference: reference_metrics,
        current: current_metrics,
        dummy: RegressionDummy {
            source,
            prediction: constant,
            quality: dummy_quality,
        },
        reference_note,
        predicted_vs_actual,
        error_histogram,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::Column;

    fn table(y: Vec<f64>, p: Vec<f64>) -> Table {
        Table::new(vec![
            Column::new("y", ColumnData::Float(y)),
            Column::new("p", ColumnData::Float(p)),
        ])
        .unwrap()
    }

    fn spec() -> RegressionSpec {
        RegressionSpec {
            target: "y".into(),
            prediction: "p".into(),
        }
    }

    #[test]
    fn perfect_predictions() {
        let m =
            regression_quality(&table(vec![1.0, 2.0, 4.0], vec![1.0, 2.0, 4.0]), &spec()).unwrap();
        assert_eq!(m.mae, 0.0);
        assert_eq!(m.rmse, 0.0);
        assert_eq!(m.mape, Some(0.0));
        assert_eq!(m.r2, Some(1.0));
        assert_eq!(m.max_abs_error, 0.0);
        assert_eq!(m.error_std, Some(0.0));
    }

    #[test]
    fn hand_computed_values() {
        // errors: +1, -2, +3 on targets 2, 4, -6
        let m = regression_quality(&table(vec![2.0, 4.0, -6.0], vec![3.0, 2.0, -3.0]), &spec())
            .unwrap();
        assert!((m.mean_error - 2.0 / 3.0).abs() < 1e-15);
        assert!((m.mae - 2.0).abs() < 1e-15);
        assert!((m.rmse - (14.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert!((m.mape.unwrap() - 100.0 * (0.5 + 0.5 + 0.5) / 3.0).abs() < 1e-12);
        assert_eq!(m.max_abs_error, 3.0);
        // error_std: errors 1,-2,3, mean 2/3
        let sd = (((1.0f64 - 2.0 / 3.0).powi(2)
            + (-2.0f64 - 2.0 / 3.0).powi(2)
            + (3.0f64 - 2.0 / 3.0).powi(2))
            / 2.0)
            .sqrt();
        assert!((m.error_std.unwrap() - sd).abs() < 1e-15);
    }

    #[test]
    fn zero_targets_are_left_out_of_mape_and_missing_rows_dropped() {
        let m = regression_quality(
            &table(
                vec![0.0, 2.0, f64::NAN, 4.0],
                vec![1.0, 3.0, 1.0, f64::INFINITY],
            ),
            &spec(),
        )
        .unwrap();
        assert_eq!(m.rows, 2);
        assert_eq!(m.dropped_rows, 2);
        assert_eq!(m.mape_zero_target_rows, 1);
        assert_eq!(m.mape, Some(50.0));
        assert_eq!(m.mape_std, None);
    }

    #[test]
    fn dummy_predicts_reference_mean() {
        let reference = table(vec![1.0, 3.0], vec![1.0, 3.0]);
        let current = table(vec![2.0, 6.0], vec![2.0, 5.0]);
        let r = compute_regression(Some(&reference), &current, &spec()).unwrap();
        assert_eq!(r.dummy.source, BaselineSource::Reference);
        assert_eq!(r.dummy.prediction, 2.0);
        assert_eq!(r.dummy.quality.mae, 2.0);
        // current alone: the current mean, R² = 0
        let r = compute_regression(None, &current, &spec()).unwrap();
        assert_eq!(r.dummy.prediction, 4.0);
        assert_eq!(r.dummy.quality.r2, Some(0.0));
        assert!(r.reference.is_none());
    }

    #[test]
    fn chart_data_is_binned_on_shared_edges() {
        let reference = table(vec![0.0, 10.0, 5.0], vec![0.0, 9.0, 6.0]);
        let current = table(vec![2.0, 4.0, 8.0, 10.0], vec![3.0, 4.0, 7.0, 1.0]);
        let r = compute_regression(Some(&reference), &current, &spec()).unwrap();
        let g = &r.predicted_vs_actual;
        assert_eq!(g.edges.len(), GRID_BINS + 1);
        assert_eq!((g.edges[0], g.edges[GRID_BINS]), (0.0, 10.0));
        let total = |c: &Vec<Vec<u64>>| c.iter().flatten().sum::<u64>();
        assert_eq!(total(&g.current), 4);
        assert_eq!(total(g.reference.as_ref().unwrap()), 3);
        // target 10 (top edge, last bin), prediction 1 (bin 3 of 30 over [0, 10])
        assert_eq!(g.current[GRID_BINS - 1][3], 1);
        assert_eq!(g.reference.as_ref().unwrap()[0][0], 1);
        let h = &r.error_histogram;
        // errors: reference 0, -1, 1; current 1, 0, -1, -9
        assert_eq!((h.edges[0], h.edges[ERROR_BINS]), (-9.0, 1.0));
        assert_eq!(h.current.iter().sum::<u64>(), 4);
        assert_eq!(h.current[0], 1);
        assert_eq!(h.current[ERROR_BINS - 1], 1);
        assert_eq!(h.reference.as_ref().unwrap().iter().sum::<u64>(), 3);
    }

    #[test]
    fn single_value_charts_have_one_bin() {
        let current = table(vec![2.0, 2.0], vec![2.0, 2.0]);
        let r = compute_regression(None, &current, &spec()).unwrap();
        assert_eq!(r.predicted_vs_actual.edges, vec![2.0, 2.0]);
        assert_eq!(r.predicted_vs_actual.current, vec![vec![2]]);
        assert_eq!(r.predicted_vs_actual.reference, None);
        assert_eq!(r.error_histogram.edges, vec![0.0, 0.0]);
        assert_eq!(r.error_histogram.current, vec![2]);
    }

    #[test]
    fn bins_follow_the_edges() {
        let edges = equal_width_edges(0.0, 1.0, 10);
        assert_eq!(bin_of(0.0, &edges), 0);
        assert_eq!(bin_of(0.35, &edges), 3);
        assert_eq!(bin_of(0.999, &edges), 9);
        assert_eq!(bin_of(1.0, &edges), 9);
        for i in 0..10 {
            assert_eq!(bin_of(edges[i], &edges), i);
        }
        let huge = equal_width_edges(-f64::MAX, f64::MAX, 4);
        assert!(huge.iter().all(|e| e.is_finite()) && huge.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(huge[2], 0.0);
        assert_eq!(bin_of(1.0, &huge), 2);
        assert_eq!(bin_of(f64::MAX, &huge), 3);
    }

    #[test]
    fn missing_target_is_named() {
        let t = table(vec![1.0], vec![1.0]);
        let s = RegressionSpec {
            target: "nope".into(),
            prediction: "p".into(),
        };
        let e = regression_quality(&t, &s).unwrap_err();
        assert!(e.to_string().contains("`nope`"), "{e}");
    }
}
