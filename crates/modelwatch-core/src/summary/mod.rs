//! Data quality summary: dataset-level and per-column descriptive statistics.
//!
//! This file holds the result types and [`compute_summary`], which works column by column;
//! `numeric` (numerical and datetime statistics), `categories` (labels and their counts),
//! `text` (text lengths), `dataset` (missing, empty, duplicated and constant)
//! hold the statistics by concern.
//!
//! The numbers follow Evidently 0.7's `DataSummaryPreset` (new API: `DatasetStats`, which
//! delegates to the legacy `DatasetSummaryMetric`, and `ValueStats` per column) and, for the
//! fields only it has (distinct values, most common value, infinite values), the legacy
//! `ColumnSummaryMetric` (`get_features_stats`). Each statistic is computed for the current
//! dataset and, when given, for the reference dataset, independently.
//!
//! Definitions (Evidently's, unless listed under "deliberate differences"):
//!
//! * rows: every row, missing or not (`df.shape[0]`).
//! * missing: NaN / empty / null cells (`isnull()`); an infinity is a value, not missing.
//! * count: non-missing values (`Series.count()`).
//! * duplicated rows: `DataFrame.duplicated().sum()`, i.e. rows equal to an earlier row,
//!   where two missing cells are equal.
//! * duplicated columns: pairs of columns `(i < j)` with `Series.equals` (same physical
//!   type, same values, missing in the same places). Three identical columns give 3 pairs.
//! * almost duplicated columns: pairs of columns of the same physical type where
//!   `eq().sum() / rows >= 0.95`; `eq` is false where either side is missing.
//! * constant columns: `nunique() <= 1` (missing not counted, so empty columns are constant).
//! * almost constant columns: `value_counts().max() / rows >= 0.95` (missing not counted).
//! * empty rows / columns: every cell missing (`isna().all(axis)`).
//! * distinct: `nunique()` (missing excluded, every infinity one value), share over rows.
//! * most common value: the non-missing value with the largest count; ties go to the value
//!   that appears first in the data. pandas' `value_counts` agrees while its sort of the
//!   counts keeps ties in order (a handful of distinct counts); beyond that its pick among
//!   tied values follows numpy's unstable quicksort, which `bench/summary_bench.py` sees on
//!   most columns of its tables. Count and share are the same either way. Share over all
//!   rows.
//! * mean: sum / count over non-missing values (compensated summation).
//! * std: sample standard deviation, two passes, `sqrt(Σ(x - mean)² / (count - 1))`.
//! * quantiles: numpy's "linear" method: `h = (count - 1) q`, interpolate between the sorted
//!   values at `floor(h)` and `floor(h) + 1` with numpy's `_lerp` formula.
//! * label share: count of the label over all rows (`UniqueValueCount`: `count / len(df)`).
//!
//! Long numerical and datetime columns (and the row hashes behind duplicated rows) are not
//! sorted whole: distinct counts, the most common value and repeated hashes come from hash
//! tables over buckets of the key range, and only the buckets holding a quantile's rank are
//! sorted (see [`crate::sort::group_keys`]).
//!
//! Deliberate differences:
//!
//! * dataset missing-value share is missing cells / (rows × columns). Evidently's
//!   `DatasetMissingValueCount` divides by rows only, which can exceed 1.
//! * shares are fractions in [0, 1], unrounded; the legacy metric gives percentages rounded
//!   to two decimals.
//! * the most common value is never "missing": the legacy metric counts NaN as a value
//!   (`value_counts(dropna=False)`); missing values are reported separately here.
//! * a statistic pandas returns as NaN because of infinities is defined here where the
//!   answer is plain: a quantile between `x` and `+inf` is `+inf` (numpy gives NaN from
//!   `inf - inf`). Mean of both `+inf` and `-inf`, and std with any infinity, stay undefined.
//! * undefined values (empty column, std of one value) are `None`, never NaN.

use std::collections::HashMap;

use rayon::prelude::*;
use serde::{Serialize, Serializer};

use crate::prepare::PreparedRun;
use crate::schema::{ColumnRole, ColumnType, SchemaOverrides};
use crate::sort::{kept_keys, SortKey};
use crate::table::{Column, ColumnData, ColumnReadProblem, Table};
use crate::time::{format_us, TimeShape};

mod categories;
mod dataset;
mod numeric;
#[cfg(test)]
mod tests;
mod text;

use categories::{category_summary, label_tally, LabelTally};
use dataset::{dataset_stats, KnownCounts};
use numeric::{numeric_in_order, numeric_keys, numeric_stats, Runs};
use text::text_stats;

/// Share at or above which a column is almost constant (Evidently's default).
pub const ALMOST_CONSTANT_THRESHOLD: f64 = 0.95;

/// Share of equal rows at or above which two columns are almost duplicated (Evidently's
/// default).
pub const ALMOST_DUPLICATED_THRESHOLD: f64 = 0.95;

/// The data quality summary of a current dataset and, optionally, a reference dataset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataSummary {
    /// Dataset statistics of the reference; `None` without a reference.
    pub reference: Option<DatasetStats>,
    /// Dataset statistics of the current data.
    pub current: DatasetStats,
    /// Every column of either dataset (reference order, then current-only columns), except
    /// ignored ones.
    pub columns: Vec<ColumnSummary>,
    /// Columns left out on request.
    pub ignored_columns: Vec<String>,
    /// Member columns of the declared embeddings, by embedding: they count in the dataset
    /// statistics but get no per-column section (512 components would swamp the summary).
    pub embeddings: Vec<EmbeddingMembers>,
}

/// The member columns of one embedding, left out of the per-column summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmbeddingMembers {
    /// The embedding's name.
    pub name: String,
    /// Its member columns, in component order.
    pub columns: Vec<String>,
}

/// Dataset-level statistics of one dataset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatasetStats {
    /// Rows of the dataset, missing cells or not (`df.shape[0]`).
    pub rows: usize,
    /// Columns of the dataset, ignored columns left out.
    pub columns: usize,
    /// Columns of type numerical (the type decided for the run, not per dataset).
    pub numerical_columns: usize,
    /// Columns of type categorical.
    pub categorical_columns: usize,
    /// Columns of type text.
    pub text_columns: usize,
    /// Columns of type datetime.
    pub datetime_columns: usize,
    /// Rows equal to an earlier row (missing equals missing).
    pub duplicated_rows: usize,
    /// Pairs of identical columns (same physical type, values and missing cells; three
    /// identical columns are three pairs).
    pub duplicated_columns: usize,
    /// Pairs of columns of the same physical type equal in at least 95% of rows
    /// ([`ALMOST_DUPLICATED_THRESHOLD`]; a missing cell equals nothing).
    pub almost_duplicated_columns: usize,
    /// Columns whose most common non-missing value covers at least 95% of all rows
    /// ([`ALMOST_CONSTANT_THRESHOLD`]).
    pub almost_constant_columns: usize,
    /// Rows where every cell is missing.
    pub empty_rows: usize,
    /// Columns where every cell is missing.
    pub empty_columns: usize,
    /// Columns with at most one distinct non-missing value.
    pub constant_columns: usize,
    /// Missing cells.
    pub missing_values: usize,
    /// Missing cells over all cells (`None` for an empty table).
    pub missing_values_share: Option<f64>,
}

/// The summary of one column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnSummary {
    /// Column name.
    pub column: String,
    /// The column's type for this run (serialized as `type`); it decides which statistics
    /// are computed.
    #[serde(rename = "type")]
    pub column_type: ColumnType,
    /// The column's role (feature, target, prediction, ...).
    pub role: ColumnRole,
    /// `None` without a reference or when the reference lacks this column.
    pub reference: Option<ColumnStats>,
    /// `None` when the current dataset lacks this column.
    pub current: Option<ColumnStats>,
    /// Label counts, for categorical columns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub categories: Option<CategorySummary>,
    /// Why the statistics of a side could not be computed (e.g. a non-datetime column typed
    /// as datetime); that side is then `None`. The reference's error wins when both fail.
    pub error: Option<String>,
    /// What the reader could not read cleanly in the reference's column (cells that are not
    /// UTF-8, read with U+FFFD); the statistics above are of the values as read. Left out of
    /// the JSON when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_read_problem: Option<ColumnReadProblem>,
    /// The same for the current data's column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_read_problem: Option<ColumnReadProblem>,
}

/// A single value of a column: a number, a label, a boolean or a datetime.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A value of a numerical column; an infinity serializes as `"inf"` / `"-inf"`.
    Number(f64),
    /// A label of a categorical or text column, as written in the data.
    Label(String),
    /// A value of a boolean column, serialized as JSON `true` / `false`.
    Bool(bool),
    /// Microseconds since the Unix epoch (UTC), serialized by [`crate::time::format_us`].
    Datetime(i64),
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Number(x) => serialize_number(*x, s),
            Value::Label(l) => s.serialize_str(l),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Datetime(us) => s.serialize_str(&format_us(*us, TimeShape::Naive)),
        }
    }
}

/// Statistics of one column in one dataset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnStats {
    /// Rows of the dataset, missing cells included.
    pub rows: usize,
    /// Non-missing values (`Series.count()`).
    pub count: usize,
    /// Missing cells (NaN, empty or null; an infinity is not missing).
    pub missing: usize,
    /// Missing over rows, 0..1 (`None` without rows).
    pub missing_share: Option<f64>,
    /// Distinct non-missing values.
    pub distinct: usize,
    /// Distinct over rows, 0..1 (`None` without rows).
    pub distinct_share: Option<f64>,
    /// Most common non-missing value (ties: first in the data).
    pub most_common: Option<Value>,
    /// Occurrences of [`ColumnStats::most_common`]; 0 without any value.
    pub most_common_count: usize,
    /// Count of the most common value over rows, 0..1 (`None` without any value).
    pub most_common_share: Option<f64>,
    /// Statistics of a numerical column (`None`, and left out of the JSON, otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub numeric: Option<NumericStats>,
    /// Text lengths of a text column (`None`, and left out of the JSON, otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<TextStats>,
    /// Range of a datetime column (`None`, and left out of the JSON, otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub datetime: Option<DatetimeStats>,
}

/// Statistics of a numerical column. Infinite values are values: they take part in min,
/// max, mean and quantiles (serialized as the strings `"inf"` / `"-inf"`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NumericStats {
    /// Values that are `+inf` or `-inf`.
    pub infinite: usize,
    /// Infinite over rows, 0..1 (`None` without rows).
    pub infinite_share: Option<f64>,
    /// Smallest value (`None` without values).
    #[serde(serialize_with = "serialize_opt_number")]
    pub min: Option<f64>,
    /// Largest value (`None` without values).
    #[serde(serialize_with = "serialize_opt_number")]
    pub max: Option<f64>,
    /// Mean of the non-missing values (compensated sum); `None` without values or with both
    /// `+inf` and `-inf`.
    #[serde(serialize_with = "serialize_opt_number")]
    pub mean: Option<f64>,
    /// Sample standard deviation (ddof 1); `None` below two values or with infinities.
    pub std: Option<f64>,
    /// 25th percentile, numpy's "linear" method (`None` without values).
    #[serde(serialize_with = "serialize_opt_number")]
    pub q25: Option<f64>,
    /// Median, numpy's "linear" method (`None` without values).
    #[serde(serialize_with = "serialize_opt_number")]
    pub q50: Option<f64>,
    /// 75th percentile, numpy's "linear" method (`None` without values).
    #[serde(serialize_with = "serialize_opt_number")]
    pub q75: Option<f64>,
}

/// Lengths (in Unicode scalar values, Python's `len`) of the non-missing texts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TextStats {
    /// Shortest length (`None` without texts).
    pub length_min: Option<usize>,
    /// Mean length (`None` without texts).
    pub length_mean: Option<f64>,
    /// Longest length (`None` without texts).
    pub length_max: Option<usize>,
}

/// Range of a datetime column, serialized as ISO 8601 strings (UTC).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatetimeStats {
    /// Earliest value, microseconds since the Unix epoch (`None` without values).
    #[serde(serialize_with = "serialize_opt_datetime")]
    pub min: Option<i64>,
    /// Latest value, microseconds since the Unix epoch (`None` without values).
    #[serde(serialize_with = "serialize_opt_datetime")]
    pub max: Option<i64>,
}

/// Label counts of a categorical column in both datasets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategorySummary {
    /// Every label of either dataset: reference labels in order of first appearance, then
    /// labels new in the current data.
    pub labels: Vec<LabelCount>,
    /// Labels in the current data but not in the reference (empty without a reference).
    pub new_labels: Vec<String>,
    /// Labels in the reference but not in the current data (empty without a reference).
    pub unused_labels: Vec<String>,
}

/// Count and share (over all rows, missing included) of one label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelCount {
    /// The label as text, as pandas prints it (`True` / `False` for booleans, `1.0` for a
    /// whole float, an ISO 8601 string for a datetime).
    pub label: String,
    /// Rows with this label in the reference; `None` without a reference.
    pub reference_count: Option<usize>,
    /// Reference count over all reference rows, 0..1 (`None` without a reference or rows).
    pub reference_share: Option<f64>,
    /// Rows with this label in the current data (0 for an unused label).
    pub current_count: usize,
    /// Current count over all current rows, 0..1 (`None` without rows).
    pub current_share: Option<f64>,
}

fn serialize_number<S: Serializer>(x: f64, s: S) -> Result<S::Ok, S::Error> {
    if x.is_finite() {
        s.serialize_f64(x)
    } else if x.is_nan() {
        s.serialize_none()
    } else if x > 0.0 {
        s.serialize_str("inf")
    } else {
        s.serialize_str("-inf")
    }
}

fn serialize_opt_number<S: Serializer>(x: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match x {
        Some(v) => serialize_number(*v, s),
        None => s.serialize_none(),
    }
}

fn serialize_opt_datetime<S: Serializer>(x: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match x {
        Some(v) => s.serialize_str(&format_us(*v, TimeShape::Naive)),
        None => s.serialize_none(),
    }
}

fn share(n: usize, total: usize) -> Option<f64> {
    (total > 0).then(|| n as f64 / total as f64)
}

/// Computes the data quality summary of the current data of `run` and, when it has one,
/// of its reference.
pub fn compute_summary(run: &PreparedRun<'_>) -> DataSummary {
    let (reference, current, schema) = (run.reference(), run.current(), run.schema());
    // Column order: reference first, then current-only columns.
    let mut names: Vec<&str> = run.names().to_vec();
    let ignored_columns: Vec<String> = names
        .iter()
        .filter(|n| schema.is_ignored(n))
        .map(|n| n.to_string())
        .collect();
    names.retain(|n| !schema.is_ignored(n));

    let types: HashMap<&str, ColumnType> = names.iter().map(|&n| (n, run.column_type(n))).collect();
    let embeddings: Vec<EmbeddingMembers> = run
        .embeddings()
        .iter()
        .map(|e| EmbeddingMembers {
            name: e.name.to_string(),
            columns: e.columns.iter().map(|c| c.to_string()).collect(),
        })
        .collect();
    names.retain(|n| run.embedding_of(n).is_none());

    let columns: Vec<ColumnSummary> = names
        .par_iter()
        .map(|&n| {
            let r = reference.and_then(|t| t.column(n));
            let c = current.column(n);
            let mut summary = column_summary(
                n,
                r,
                c,
                types[n],
                run.column(n).expect("a column of either dataset").role,
            );
            summary.reference_read_problem = reference.and_then(|t| t.read_problem(n)).cloned();
            summary.current_read_problem = current.read_problem(n).cloned();
            summary
        })
        .collect();

    // Every summarised column counted its missing cells, and numerical and datetime columns
    // counted their distinct values for their own statistics: the dataset level reuses those
    // counts instead of counting again.
    let known = |side: fn(&ColumnSummary) -> Option<&ColumnStats>| {
        columns
            .iter()
            .filter_map(|c| {
                let st = side(c)?;
                let counted = matches!(c.column_type, ColumnType::Numerical | ColumnType::Datetime);
                let known = KnownCounts {
                    missing: st.missing,
                    distinct_and_top: counted.then_some((st.distinct, st.most_common_count)),
                };
                Some((c.column.as_str(), known))
            })
            .collect::<HashMap<&str, KnownCounts>>()
    };
    let ref_known = known(|c| c.reference.as_ref());
    let cur_known = known(|c| c.current.as_ref());
    let (ref_stats, cur_stats) = rayon::join(
        || reference.map(|t| dataset_stats(t.rows(), &kept_columns(t, schema), &types, &ref_known)),
        || {
            dataset_stats(
                current.rows(),
                &kept_columns(current, schema),
                &types,
                &cur_known,
            )
        },
    );
    DataSummary {
        reference: ref_stats,
        current: cur_stats,
        columns,
        ignored_columns,
        embeddings,
    }
}

fn kept_columns<'a>(t: &'a Table, schema: &SchemaOverrides) -> Vec<&'a Column> {
    t.columns()
        .iter()
        .filter(|c| !schema.is_ignored(&c.name))
        .collect()
}

fn column_summary(
    name: &str,
    reference: Option<&Column>,
    current: Option<&Column>,
    ty: ColumnType,
    role: ColumnRole,
) -> ColumnSummary {
    // The two sides are separate tasks: with a column per task, the last long column would
    // keep one core busy alone while the other waits.
    let stats = |c: Option<&Column>| c.map(|c| column_stats(&c.data, ty));
    let (r, c) = rayon::join(|| stats(reference), || stats(current));
    // When both sides fail, the reference's error is the one reported.
    let error = [&r, &c]
        .into_iter()
        .find_map(|side| side.as_ref()?.as_ref().err().cloned());
    let (r, c) = (r.and_then(Result::ok), c.and_then(Result::ok));
    let categories = if ty == ColumnType::Categorical {
        let rt = r.as_ref().and_then(|(s, t)| Some((s.rows, t.as_ref()?)));
        let ct = c.as_ref().and_then(|(s, t)| Some((s.rows, t.as_ref()?)));
        ct.map(|ct| category_summary(rt, ct))
    } else {
        None
    };
    ColumnSummary {
        column: name.to_string(),
        column_type: ty,
        role,
        reference: r.map(|x| x.0),
        current: c.map(|x| x.0),
        categories,
        error,
        reference_read_problem: None,
        current_read_problem: None,
    }
}

fn column_stats(
    data: &ColumnData,
    ty: ColumnType,
) -> Result<(ColumnStats, Option<LabelTally>), String> {
    let rows = data.len();
    // A numerical column's keys leave out exactly its missing cells, except text that parses
    // to NaN: counting those needs no pass of its own.
    let keys = match ty {
        ColumnType::Numerical => Some(numeric_keys(data)?),
        _ => None,
    };
    let missing = match &keys {
        Some((k, _)) if !matches!(data, ColumnData::Str(_)) => rows - k.len(),
        _ => data.missing_count(),
    };
    let count = rows - missing;
    let mut s = ColumnStats {
        rows,
        count,
        missing,
        missing_share: share(missing, rows),
        distinct: 0,
        distinct_share: None,
        most_common: None,
        most_common_count: 0,
        most_common_share: None,
        numeric: None,
        text: None,
        datetime: None,
    };
    let mut tally = None;
    match ty {
        ColumnType::Numerical => {
            let (keys, (lo, hi)) = keys.expect("numerical columns have keys");
            let (num, freq) = numeric_stats(keys, (lo, hi), || numeric_in_order(data), rows);
            s.numeric = Some(num);
            s.distinct = freq.distinct;
            s.most_common = freq.most_common.map(Value::Number);
            s.most_common_count = freq.most_common_count;
        }
        ColumnType::Datetime => {
            let ColumnData::Datetime(v) = data else {
                return Err(format!(
                    "a {} column cannot be summarised as datetime",
                    data.physical_name()
                ));
            };
            let (mut keys, (lo, hi)) = kept_keys(v, |x| (x.unwrap_or(0), x.is_some()));
            let freq =
                Runs::grouped(&mut keys, (lo, hi), &[]).frequencies(|| v.iter().flatten().copied());
            let bound = |k: u64| (!keys.is_empty()).then(|| i64::from_sort_key(k));
            s.datetime = Some(DatetimeStats {
                min: bound(lo),
                max: bound(hi),
            });
            s.distinct = freq.distinct;
            s.most_common = freq.most_common.map(Value::Datetime);
            s.most_common_count = freq.most_common_count;
        }
        ColumnType::Categorical | ColumnType::Text => {
            let t = label_tally(data);
            s.distinct = t.labels.len();
            // First label with the largest count (labels are in order of appearance).
            let mut best: Option<&(String, usize)> = None;
            for e in &t.labels {
                if best.is_none_or(|b| e.1 > b.1) {
                    best = Some(e);
                }
            }
            if let Some((l, n)) = best {
                s.most_common = Some(match data {
                    ColumnData::Bool(_) => Value::Bool(l == "True"),
                    _ => Value::Label(l.clone()),
                });
                s.most_common_count = *n;
            }
            if ty == ColumnType::Text {
                s.text = Some(text_stats(data));
            } else {
                tally = Some(t);
            }
        }
    }
    s.distinct_share = share(s.distinct, rows);
    s.most_common_share = if s.most_common.is_some() {
        share(s.most_common_count, rows)
    } else {
        None
    };
    Ok((s, tally))
}
