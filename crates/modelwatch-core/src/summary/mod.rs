//! Data quality summary: dataset-level and per-column descriptive statistics.
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

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;
use serde::{Serialize, Serializer};

use crate::prepare::PreparedRun;
use crate::schema::{ColumnRole, ColumnType, SchemaOverrides};
use crate::sort::{kept_keys, SortKey};
use crate::stats::special::compensated_sum_map;
use crate::table::{Column, ColumnData, StrColumn, Table, MISSING_CODE};

/// Share at or above which a column is almost constant (Evidently's default).
pub const ALMOST_CONSTANT_THRESHOLD: f64 = 0.95;
/// Share of equal rows at or above which two columns are almost duplicated (Evidently's
/// default).
pub const ALMOST_DUPLICATED_THRESHOLD: f64 = 0.95;

/// The data quality summary of a current dataset and, optionally, a reference dataset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataSummary {
    pub reference: Option<DatasetStats>,
    pub current: DatasetStats,
    /// Every column of either dataset (reference order, then current-only columns), except
    /// ignored ones.
    pub columns: Vec<ColumnSummary>,
    /// Columns left out on request.
    pub ignored_columns: Vec<String>,
}

/// Dataset-level statistics of one dataset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatasetStats {
    pub rows: usize,
    pub columns: usize,
    pub numerical_columns: usize,
    pub categorical_columns: usize,
    pub text_columns: usize,
    pub datetime_columns: usize,
    /// Rows equal to an earlier row (missing equals missing).
    pub duplicated_rows: usize,
    /// Pairs of identical columns.
    pub duplicated_columns: usize,
    /// Pairs of columns equal in at least 95% of rows.
    pub almost_duplicated_columns: usize,
    /// Columns whose most common value covers at least 95% of rows.
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
    pub column: String,
    #[serde(rename = "type")]
    pub column_type: ColumnType,
    pub role: ColumnRole,
    /// `None` without a reference or when the reference lacks this column.
    pub reference: Option<ColumnStats>,
    /// `None` when the current dataset lacks this column.
    pub current: Option<ColumnStats>,
    /// Label counts, for categorical columns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub categories: Option<CategorySummary>,
    /// Why some statistics could not be computed.
    pub error: Option<String>,
}

/// A single value of a column: a number, a label, a boolean or a datetime.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Number(f64),
    Label(String),
    Bool(bool),
    /// Microseconds since the Unix epoch.
    Datetime(i64),
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Number(x) => serialize_number(*x, s),
            Value::Label(l) => s.serialize_str(l),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Datetime(us) => s.serialize_str(&format_datetime_us(*us)),
        }
    }
}

/// Statistics of one column in one dataset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnStats {
    pub rows: usize,
    /// Non-missing values.
    pub count: usize,
    pub missing: usize,
    /// Missing over rows.
    pub missing_share: Option<f64>,
    /// Distinct non-missing values.
    pub distinct: usize,
    /// Distinct over rows.
    pub distinct_share: Option<f64>,
    /// Most common non-missing value (ties: first in the data).
    pub most_common: Option<Value>,
    pub most_common_count: usize,
    /// Count of the most common value over rows (`None` without any value).
    pub most_common_share: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub numeric: Option<NumericStats>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<TextStats>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub datetime: Option<DatetimeStats>,
}

/// Statistics of a numerical column. Infinite values are values: they take part in min,
/// max, mean and quantiles (serialized as the strings `"inf"` / `"-inf"`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NumericStats {
    pub infinite: usize,
    /// Infinite over rows.
    pub infinite_share: Option<f64>,
    #[serde(serialize_with = "serialize_opt_number")]
    pub min: Option<f64>,
    #[serde(serialize_with = "serialize_opt_number")]
    pub max: Option<f64>,
    #[serde(serialize_with = "serialize_opt_number")]
    pub mean: Option<f64>,
    /// Sample standard deviation (ddof 1); `None` below two values or with infinities.
    pub std: Option<f64>,
    #[serde(serialize_with = "serialize_opt_number")]
    pub q25: Option<f64>,
    #[serde(serialize_with = "serialize_opt_number")]
    pub q50: Option<f64>,
    #[serde(serialize_with = "serialize_opt_number")]
    pub q75: Option<f64>,
}

/// Lengths (in Unicode scalar values, Python's `len`) of the non-missing texts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TextStats {
    pub length_min: Option<usize>,
    pub length_mean: Option<f64>,
    pub length_max: Option<usize>,
}

/// Range of a datetime column, serialized as ISO 8601 strings (UTC).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatetimeStats {
    #[serde(serialize_with = "serialize_opt_datetime")]
    pub min: Option<i64>,
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
    pub label: String,
    pub reference_count: Option<usize>,
    pub reference_share: Option<f64>,
    pub current_count: usize,
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
        Some(v) => s.serialize_str(&format_datetime_us(*v)),
        None => s.serialize_none(),
    }
}

/// Formats microseconds since the epoch as `YYYY-MM-DDTHH:MM:SS[.ffffff]` (UTC).
pub fn format_datetime_us(us: i64) -> String {
    let secs = us.div_euclid(1_000_000);
    let frac = us.rem_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = crate::table::civil_from_days(days);
    let base = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    );
    if frac == 0 {
        base
    } else {
        format!("{base}.{frac:06}")
    }
}

fn share(n: usize, total: usize) -> Option<f64> {
    (total > 0).then(|| n as f64 / total as f64)
}

/// Computes the data quality summary of the current data of `run` and, when it has one,
/// of its reference.
pub fn compute_summary(run: &PreparedRun<'_>) -> DataSummary {
    let (reference, current, schema) = (run.reference, run.current, run.schema());
    // Column order: reference first, then current-only columns.
    let mut names: Vec<&str> = run.names().to_vec();
    let ignored_columns: Vec<String> = names
        .iter()
        .filter(|n| schema.is_ignored(n))
        .map(|n| n.to_string())
        .collect();
    names.retain(|n| !schema.is_ignored(n));

    let types: HashMap<&str, ColumnType> = names.iter().map(|&n| (n, run.column_type(n))).collect();

    let columns: Vec<ColumnSummary> = names
        .par_iter()
        .map(|&n| {
            let r = reference.and_then(|t| t.column(n));
            let c = current.column(n);
            column_summary(
                n,
                r,
                c,
                types[n],
                run.column(n).expect("a column of either dataset").role,
            )
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
    }
}

fn kept_columns<'a>(t: &'a Table, schema: &SchemaOverrides) -> Vec<&'a Column> {
    t.columns()
        .iter()
        .filter(|c| !schema.is_ignored(&c.name))
        .collect()
}

// ------------------------------------------------------------------ per column

fn column_summary(
    name: &str,
    reference: Option<&Column>,
    current: Option<&Column>,
    ty: ColumnType,
    role: ColumnRole,
) -> ColumnSummary {
    // The two sides are separate tasks: with a column per task, the last long column would
    // keep one core busy alone while the other waits (seen at 1M rows x 20 columns).
    let stats = |c: Option<&Column>| c.map(|c| column_stats(&c.data, ty));
    let (r, c) = rayon::join(|| stats(reference), || stats(current));
    // the reference's error first, as when the sides ran one after the other
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
    }
}

/// Labels of a column with their counts, in order of first appearance.
struct LabelTally {
    labels: Vec<(String, usize)>,
}

fn category_summary(
    reference: Option<(usize, &LabelTally)>,
    current: (usize, &LabelTally),
) -> CategorySummary {
    let (cur_rows, cur) = current;
    let cur_index: HashMap<&str, usize> =
        cur.labels.iter().map(|(l, n)| (l.as_str(), *n)).collect();
    let mut labels = Vec::new();
    let mut new_labels = Vec::new();
    let mut unused_labels = Vec::new();
    let mut in_ref = HashSet::new();
    if let Some((ref_rows, rt)) = reference {
        for (l, n) in &rt.labels {
            in_ref.insert(l.as_str());
            let cn = cur_index.get(l.as_str()).copied().unwrap_or(0);
            if cn == 0 {
                unused_labels.push(l.clone());
            }
            labels.push(LabelCount {
                label: l.clone(),
                reference_count: Some(*n),
                reference_share: share(*n, ref_rows),
                current_count: cn,
                current_share: share(cn, cur_rows),
            });
        }
    }
    for (l, n) in &cur.labels {
        if in_ref.contains(l.as_str()) {
            continue;
        }
        if reference.is_some() {
            new_labels.push(l.clone());
        }
        labels.push(LabelCount {
            label: l.clone(),
            reference_count: reference.map(|_| 0),
            reference_share: reference.and_then(|(rows, _)| share(0, rows)),
            current_count: *n,
            current_share: share(*n, cur_rows),
        });
    }
    CategorySummary {
        labels,
        new_labels,
        unused_labels,
    }
}

/// Formats a label the way it reads in the input (`True`/`False` for booleans, Python style).
fn float_label(x: f64) -> String {
    if x.is_infinite() {
        if x > 0.0 { "inf" } else { "-inf" }.to_string()
    } else if x == x.trunc() && x.abs() < 1e16 {
        format!("{x:.1}")
    } else {
        format!("{x}")
    }
}

fn bool_label(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
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

/// Order-preserving keys ([`SortKey`]) of the non-missing values as `f64` (infinities kept,
/// `-0.0` folded into `0.0`), in data order, with the smallest and largest key. Keys rather
/// than values so that the sort does not need a pass of its own to make them.
fn numeric_keys(data: &ColumnData) -> Result<(Vec<u64>, (u64, u64)), String> {
    Ok(match data {
        ColumnData::Float(v) => kept_keys(v, |x| (x + 0.0, !x.is_nan())),
        ColumnData::Int(v) | ColumnData::Datetime(v) => {
            kept_keys(v, |x| (x.unwrap_or(0) as f64, x.is_some()))
        }
        ColumnData::Bool(v) => {
            kept_keys(v, |b| (f64::from(u8::from(b == Some(true))), b.is_some()))
        }
        ColumnData::Str(s) => {
            let parsed: Vec<Option<f64>> = s
                .labels
                .iter()
                .map(|l| l.trim().parse::<f64>().ok())
                .collect();
            let present = s.codes.iter().filter(|&&c| c != MISSING_CODE);
            if let Some(&c) = present.clone().find(|&&c| parsed[c as usize].is_none()) {
                return Err(format!(
                    "value `{}` of a column typed numerical is not a number",
                    s.labels[c as usize]
                ));
            }
            let values = present.filter_map(|&c| parsed[c as usize]);
            let kept = values.filter(|x| !x.is_nan()).map(|x| x + 0.0);
            crate::sort::keys_with_bounds(kept, data.len())
        }
    })
}

/// The values behind [`numeric_keys`] again, in data order, without collecting them (for the
/// rare tie between most common values, after the keys were regrouped in place). Labels that do
/// not parse were rejected by [`numeric_keys`] already.
fn numeric_in_order(data: &ColumnData) -> Box<dyn Iterator<Item = f64> + '_> {
    match data {
        ColumnData::Float(v) => Box::new(v.iter().filter(|x| !x.is_nan()).map(|x| x + 0.0)),
        ColumnData::Int(v) => Box::new(v.iter().flatten().map(|&x| x as f64)),
        ColumnData::Bool(v) => Box::new(v.iter().flatten().map(|&b| f64::from(u8::from(b)))),
        ColumnData::Datetime(v) => Box::new(v.iter().flatten().map(|&x| x as f64)),
        ColumnData::Str(s) => Box::new(s.codes.iter().filter_map(move |&c| {
            let x = s.labels.get(c as usize)?.trim().parse::<f64>().ok()?;
            (!x.is_nan()).then_some(x + 0.0)
        })),
    }
}

struct Frequencies<T> {
    distinct: usize,
    most_common: Option<T>,
    most_common_count: usize,
}

/// numpy's `_lerp(a, b, t)`: `a + (b - a) t`, or `b - (b - a)(1 - t)` when `t >= 0.5`.
/// Where both ends are equal, or one end is infinite, the value is that end (numpy's
/// formula gives NaN from `inf - inf`).
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    if a == b || t == 0.0 {
        return a;
    }
    if a.is_infinite() {
        return a;
    }
    if b.is_infinite() {
        return b;
    }
    let d = b - a;
    if t >= 0.5 {
        b - d * (1.0 - t)
    } else {
        a + d * t
    }
}

/// Quantile `q` of sorted values, numpy's default "linear" method (pandas' `quantile`):
/// `h = (n - 1) q`, `lerp(x[floor h], x[floor h + 1], h - floor h)`.
pub fn quantile_linear(sorted: &[f64], q: f64) -> Option<f64> {
    quantile_linear_at(sorted.len(), q, |i| sorted[i])
}

/// [`quantile_linear`] of `n` sorted values, the `i`-th of which is `at(i)`.
fn quantile_linear_at(n: usize, q: f64, mut at: impl FnMut(usize) -> f64) -> Option<f64> {
    if n == 0 {
        return None;
    }
    let h = (n - 1) as f64 * q;
    let lo = h.floor();
    let i = lo as usize;
    let t = h - lo;
    if i + 1 >= n {
        return Some(at(n - 1));
    }
    Some(lerp(at(i), at(i + 1), t))
}

/// Distinct count, longest run and the keys of the longest runs of a column's keys (see
/// [`for_each_repeat`]). Runs of length 1 are not listed: when every value occurs once, all
/// are tied and the first in data order wins anyway.
#[derive(Default)]
struct Runs {
    distinct: usize,
    /// The longest run's length (1 when every key occurs once, 0 without keys).
    best: usize,
    /// Keys whose run has length `best`, ascending, when `best >= 2`.
    tied: Vec<u64>,
}

impl Runs {
    /// A run of `len >= 2` equal keys, met in any order.
    fn run(&mut self, key: u64, len: usize) {
        if len > self.best {
            self.best = len;
            self.tied.clear();
        }
        if len == self.best {
            self.tied.push(key);
        }
    }

    /// Completes the runs of `n` keys, `distinct` of them distinct, once every run of two or
    /// more was given to [`Runs::run`].
    fn finish(&mut self, distinct: usize, n: usize) {
        self.distinct = distinct;
        if n > 0 {
            self.best = self.best.max(1);
        }
        self.tied.sort_unstable();
    }

    /// Counts the runs of `keys` (all within `lo..=hi`), grouping them in place with
    /// [`for_each_repeat`]: afterwards `keys[r]` is the `r`-th smallest key for each of
    /// `ranks`, and the other positions hold unspecified keys.
    fn grouped(keys: &mut [u64], bounds: (u64, u64), ranks: &[usize]) -> Runs {
        let mut runs = Runs::default();
        let distinct = for_each_repeat(keys, bounds, ranks, |key, len| runs.run(key, len));
        runs.finish(distinct, keys.len());
        runs
    }

    /// Distinct count and most common value. Ties for the most common value go to the one
    /// met first in data order, so `in_order` (the values in data order) is called only when
    /// there is a tie, or when every value occurs once.
    fn frequencies<T: SortKey, I: Iterator<Item = T>>(
        &self,
        in_order: impl FnOnce() -> I,
    ) -> Frequencies<T> {
        let most_common = match self.tied.as_slice() {
            [] => in_order().next(),
            [one] => Some(T::from_sort_key(*one)),
            tied => in_order().find(|v| tied.binary_search(&v.sort_key()).is_ok()),
        };
        Frequencies {
            distinct: self.distinct,
            most_common,
            most_common_count: self.best,
        }
    }
}

/// Groups `keys` (all within `lo..=hi`) with [`crate::sort::group_keys`], so that afterwards
/// `keys[r]` is the `r`-th smallest key for each of `ranks`, calls `repeated(key, count)` for
/// every key that occurs more than once (in no particular order) and returns the number of
/// distinct keys. Sorted chunks are read by [`sorted_repeats`], unsorted ones by a
/// [`KeyTable`].
fn for_each_repeat(
    keys: &mut [u64],
    (lo, hi): (u64, u64),
    ranks: &[usize],
    mut repeated: impl FnMut(u64, usize),
) -> usize {
    let mut table = KeyTable::default();
    let mut distinct = 0;
    crate::sort::group_keys(keys, lo, hi, ranks, |chunk, sorted| {
        distinct += if sorted {
            sorted_repeats(chunk, &mut repeated)
        } else {
            table.repeats(chunk, &mut repeated)
        };
    });
    distinct
}

/// [`KeyTable::repeats`] of sorted keys. Most neighbours differ, so the loop only compares
/// each key with the one before it (a well-predicted branch) and works on a run only where
/// two neighbours are equal; the distinct count is the length minus the equal neighbours.
fn sorted_repeats(sorted: &[u64], mut repeated: impl FnMut(u64, usize)) -> usize {
    let mut repeats = 0;
    let mut i = 1;
    while i < sorted.len() {
        if sorted[i] != sorted[i - 1] {
            i += 1;
            continue;
        }
        let key = sorted[i];
        let start = i - 1;
        let mut end = i + 1;
        while end < sorted.len() && sorted[end] == key {
            end += 1;
        }
        repeated(key, end - start);
        repeats += end - start - 1;
        // `sorted[end]` differs from `key`, so the next comparison is the one after it
        i = end + 1;
    }
    sorted.len() - repeats
}

/// A hash table that finds the keys occurring more than once in a chunk of keys (in any
/// order), kept from chunk to chunk so that its memory is allocated once per column.
#[derive(Default)]
struct KeyTable {
    slots: Vec<u64>,
    /// How often each slot's key was met again; all zero between calls of
    /// [`KeyTable::repeats`] (it clears the slots it used), so it is never cleared whole.
    counts: Vec<u32>,
    /// The slots met again, in the order of their first repeat.
    hit_slots: Vec<u32>,
}

impl KeyTable {
    /// Calls `repeated(key, count)` for every key that occurs more than once in `keys` (in no
    /// particular order) and returns the number of distinct keys.
    ///
    /// Open addressing with linear probing and at least twice as many slots as keys; key 0
    /// marks an empty slot and is counted on the side. A key met again counts in a second
    /// array, touched only then (most keys occur once).
    fn repeats(&mut self, keys: &[u64], mut repeated: impl FnMut(u64, usize)) -> usize {
        let size = (2 * keys.len()).next_power_of_two().max(2);
        let bits = size.trailing_zeros();
        let mask = size - 1;
        self.slots.clear();
        self.slots.resize(size, 0);
        if self.counts.len() < size {
            self.counts.resize(size, 0);
        }
        self.hit_slots.clear();
        let slots = &mut self.slots[..];
        let counts = &mut self.counts[..size];
        let mut hits = 0;
        let mut zeros = 0usize;
        for &k in keys {
            if k == 0 {
                zeros += 1;
                continue;
            }
            let mut i = slot_of(k, bits);
            loop {
                let s = slots[i];
                if s == 0 {
                    slots[i] = k;
                    break;
                }
                if s == k {
                    if counts[i] == 0 {
                        self.hit_slots.push(i as u32);
                    }
                    counts[i] += 1;
                    hits += 1;
                    break;
                }
                i = (i + 1) & mask;
            }
        }
        if zeros >= 2 {
            repeated(0, zeros);
        }
        for &i in &self.hit_slots {
            let i = i as usize;
            repeated(slots[i], counts[i] as usize + 1);
            counts[i] = 0;
        }
        keys.len() - hits - zeros.saturating_sub(1)
    }
}

/// The hash table slot of key `k` in a table of 2^`bits` slots: the top bits of the 128-bit
/// product with an odd constant (2^64 / golden ratio), its two halves folded together so
/// that both the high and the low bits of the key move it. Keys within one bucket of
/// [`crate::sort::group_keys`] share their top bits, and values such as integers stored as
/// floats differ only in their high mantissa bits.
#[inline(always)]
fn slot_of(k: u64, bits: u32) -> usize {
    let p = u128::from(k) * 0x9E37_79B9_7F4A_7C15;
    (((p as u64) ^ ((p >> 64) as u64)) >> (64 - bits)) as usize
}

/// Statistics of the non-missing values of a column of `rows` rows, given as their
/// [`numeric_keys`] (in data order; regrouped here, in place). `in_order` gives the same values
/// in data order again, for ties between most common values.
fn numeric_stats<'a>(
    mut keys: Vec<u64>,
    (lo, hi): (u64, u64),
    in_order: impl FnOnce() -> Box<dyn Iterator<Item = f64> + 'a>,
    rows: usize,
) -> (NumericStats, Frequencies<f64>) {
    let n = keys.len();
    let value = f64::from_sort_key;
    // Sums run in data order, before the keys are regrouped.
    let sum = compensated_sum_map(&keys, value);
    // The sum of squares is taken here too, in data order, since the keys are regrouped below.
    // With a sum that is not finite (an overflow, or infinities, where it is not used) every
    // term is infinite or NaN, so its result does not depend on the order anyway.
    let squares_sum = (n >= 2).then(|| {
        let m = sum / n as f64;
        compensated_sum_map(&keys, |k| {
            let d = value(k) - m;
            d * d
        })
    });
    // Infinities are the smallest or largest keys, and rare: counted only when present.
    let count_of = |key: u64| keys.iter().filter(|&&k| k == key).count();
    let neg_inf = if n > 0 && lo == f64::NEG_INFINITY.sort_key() {
        count_of(lo)
    } else {
        0
    };
    let pos_inf = if n > 0 && hi == f64::INFINITY.sort_key() {
        count_of(hi)
    } else {
        0
    };
    let (has_pos, has_neg, infinite) = (pos_inf > 0, neg_inf > 0, pos_inf + neg_inf);
    // Only the quantiles need the order, and only at these ranks.
    let mut ranks = Vec::with_capacity(6);
    for q in [0.25, 0.5, 0.75] {
        quantile_linear_at(n, q, |i| {
            ranks.push(i);
            0.0
        });
    }
    let runs = Runs::grouped(&mut keys, (lo, hi), &ranks);
    let sorted = keys;
    let mean = if n == 0 {
        None
    } else {
        match (has_pos, has_neg) {
            (true, true) => None,
            (true, false) => Some(f64::INFINITY),
            (false, true) => Some(f64::NEG_INFINITY),
            (false, false) => Some(sum / n as f64),
        }
    };
    let std = match mean {
        Some(_) if n >= 2 && infinite == 0 => {
            let ss = squares_sum.expect("taken for two values or more");
            Some((ss / (n - 1) as f64).sqrt())
        }
        _ => None,
    };
    let freq = runs.frequencies(in_order);
    let at = |i: usize| value(sorted[i]);
    let stats = NumericStats {
        infinite,
        infinite_share: share(infinite, rows),
        min: (n > 0).then(|| value(lo)),
        max: (n > 0).then(|| value(hi)),
        mean,
        std,
        q25: quantile_linear_at(n, 0.25, at),
        q50: quantile_linear_at(n, 0.5, at),
        q75: quantile_linear_at(n, 0.75, at),
    };
    (stats, freq)
}

/// Non-missing labels and their counts, in order of first appearance.
fn label_tally(data: &ColumnData) -> LabelTally {
    let labels = match data {
        ColumnData::Str(s) => str_tally(s),
        ColumnData::Bool(v) => {
            let mut counts = [0usize; 2];
            let mut order: Vec<bool> = Vec::with_capacity(2);
            for b in v.iter().flatten() {
                let k = usize::from(*b);
                if counts[k] == 0 {
                    order.push(*b);
                }
                counts[k] += 1;
            }
            order
                .into_iter()
                .map(|b| (bool_label(b).to_string(), counts[usize::from(b)]))
                .collect()
        }
        ColumnData::Int(v) => int_counts(v)
            .into_iter()
            .map(|(x, n)| (x.to_string(), n))
            .collect(),
        ColumnData::Datetime(v) => ordered_counts(v.iter().flatten().copied())
            .into_iter()
            .map(|(x, n)| (format_datetime_us(x), n))
            .collect(),
        ColumnData::Float(v) => ordered_counts(
            v.iter()
                .filter(|x| !x.is_nan())
                .map(|x| (x + 0.0).to_bits()),
        )
        .into_iter()
        .map(|(b, n)| (float_label(f64::from_bits(b)), n))
        .collect(),
    };
    LabelTally { labels }
}

fn str_tally(s: &StrColumn) -> Vec<(String, usize)> {
    let mut counts = vec![0usize; s.labels.len()];
    for &c in &s.codes {
        if c != MISSING_CODE {
            counts[c as usize] += 1;
        }
    }
    // Labels are stored in order of first appearance; a label may be unused only if the
    // column was sliced, so skip zero counts.
    s.labels
        .iter()
        .zip(counts)
        .filter(|(_, n)| *n > 0)
        .map(|(l, n)| (l.clone(), n))
        .collect()
}

/// [`ordered_counts`] of the non-missing integers of `v`. Integer labels usually span a
/// narrow range (codes, classes, small counts): then each value's count sits at `x - min` of a
/// plain array, which costs a fraction of a hash lookup per value; wider ranges are hashed.
fn int_counts(v: &[Option<i64>]) -> Vec<(i64, usize)> {
    let mut bounds: Option<(i64, i64)> = None;
    for &x in v.iter().flatten() {
        bounds = Some(bounds.map_or((x, x), |(lo, hi)| (lo.min(x), hi.max(x))));
    }
    let Some((lo, hi)) = bounds else {
        return Vec::new();
    };
    // `hi - lo` as u64 cannot overflow; the range is dense enough when it is not much longer
    // than the column (or small in any case).
    let span = hi.wrapping_sub(lo) as u64;
    if span >= (v.len() as u64).max(4096) {
        return ordered_counts(v.iter().flatten().copied());
    }
    let mut counts = vec![0usize; span as usize + 1];
    let mut order: Vec<i64> = Vec::new();
    for &x in v.iter().flatten() {
        let c = &mut counts[x.wrapping_sub(lo) as u64 as usize];
        if *c == 0 {
            order.push(x);
        }
        *c += 1;
    }
    order
        .into_iter()
        .map(|x| (x, counts[x.wrapping_sub(lo) as u64 as usize]))
        .collect()
}

fn ordered_counts<K: std::hash::Hash + Eq + Copy>(
    values: impl Iterator<Item = K>,
) -> Vec<(K, usize)> {
    let mut index: HashMap<K, usize> = HashMap::new();
    let mut out: Vec<(K, usize)> = Vec::new();
    for v in values {
        match index.get(&v) {
            Some(&i) => out[i].1 += 1,
            None => {
                index.insert(v, out.len());
                out.push((v, 1));
            }
        }
    }
    out
}

fn text_stats(data: &ColumnData) -> TextStats {
    let lengths: Vec<usize> = match data {
        ColumnData::Str(s) => {
            let per_label: Vec<usize> = s.labels.iter().map(|l| l.chars().count()).collect();
            s.codes
                .iter()
                .filter(|&&c| c != MISSING_CODE)
                .map(|&c| per_label[c as usize])
                .collect()
        }
        other => {
            let t = label_tally(other);
            t.labels
                .iter()
                .flat_map(|(l, n)| std::iter::repeat_n(l.chars().count(), *n))
                .collect()
        }
    };
    let n = lengths.len();
    TextStats {
        length_min: lengths.iter().min().copied(),
        length_mean: (n > 0).then(|| lengths.iter().sum::<usize>() as f64 / n as f64),
        length_max: lengths.iter().max().copied(),
    }
}

// ------------------------------------------------------------------ dataset level

/// What a column's own summary already counted, for [`dataset_stats`].
struct KnownCounts {
    missing: usize,
    /// Distinct values and the count of the most common one, for columns whose summary
    /// counted them (the same definition as [`distinct_and_top`]).
    distinct_and_top: Option<(usize, usize)>,
}

fn dataset_stats(
    rows: usize,
    columns: &[&Column],
    types: &HashMap<&str, ColumnType>,
    known: &HashMap<&str, KnownCounts>,
) -> DatasetStats {
    let count_type = |t: ColumnType| {
        columns
            .iter()
            .filter(|c| types.get(c.name.as_str()) == Some(&t))
            .count()
    };
    let per_column: Vec<(usize, usize, usize)> = columns
        .par_iter()
        .map(|c| {
            let k = known.get(c.name.as_str());
            let missing = k.map_or_else(|| c.data.missing_count(), |k| k.missing);
            let (distinct, top) = match k.and_then(|k| k.distinct_and_top) {
                Some(counts) => counts,
                None => distinct_and_top(&c.data),
            };
            (missing, distinct, top)
        })
        .collect();
    let missing_values: usize = per_column.iter().map(|x| x.0).sum();
    let empty_columns = per_column.iter().filter(|x| x.0 == rows).count();
    let constant_columns = per_column.iter().filter(|x| x.1 <= 1).count();
    let almost_constant_columns = if rows == 0 {
        0
    } else {
        per_column
            .iter()
            .filter(|x| x.1 > 0 && x.2 as f64 / rows as f64 >= ALMOST_CONSTANT_THRESHOLD)
            .count()
    };
    let (duplicated_columns, almost_duplicated_columns) = column_pairs(rows, columns);
    let cells = rows * columns.len();
    DatasetStats {
        rows,
        columns: columns.len(),
        numerical_columns: count_type(ColumnType::Numerical),
        categorical_columns: count_type(ColumnType::Categorical),
        text_columns: count_type(ColumnType::Text),
        datetime_columns: count_type(ColumnType::Datetime),
        duplicated_rows: duplicated_rows(rows, columns),
        duplicated_columns,
        almost_duplicated_columns,
        almost_constant_columns,
        empty_rows: empty_rows(rows, columns),
        empty_columns,
        constant_columns,
        missing_values,
        missing_values_share: share(missing_values, cells),
    }
}

/// Distinct non-missing values and the count of the most common one.
fn distinct_and_top(data: &ColumnData) -> (usize, usize) {
    let runs = |(mut keys, bounds): (Vec<u64>, (u64, u64))| {
        let r = Runs::grouped(&mut keys, bounds, &[]);
        (r.distinct, r.best)
    };
    match data {
        ColumnData::Float(v) => runs(kept_keys(v, |x| (x + 0.0, !x.is_nan()))),
        ColumnData::Int(v) | ColumnData::Datetime(v) => {
            runs(kept_keys(v, |x| (x.unwrap_or(0), x.is_some())))
        }
        ColumnData::Bool(v) => {
            let t = v.iter().flatten().filter(|b| **b).count();
            let f = v.iter().flatten().count() - t;
            (usize::from(t > 0) + usize::from(f > 0), t.max(f))
        }
        ColumnData::Str(s) => {
            let mut counts = vec![0usize; s.labels.len()];
            for &c in &s.codes {
                if c != MISSING_CODE {
                    counts[c as usize] += 1;
                }
            }
            (
                counts.iter().filter(|&&n| n > 0).count(),
                counts.into_iter().max().unwrap_or(0),
            )
        }
    }
}

fn empty_rows(rows: usize, columns: &[&Column]) -> usize {
    if columns.is_empty() {
        return rows;
    }
    (0..rows)
        .into_par_iter()
        .with_min_len(4096)
        .filter(|&r| columns.iter().all(|c| c.data.is_missing(r)))
        .count()
}

/// The key of a missing cell in a row hash (missing equals missing).
const MISSING_KEY: u64 = 0x9e37_79b9_7f4a_7c15;

/// A float cell's key in a row hash: equal values (0.0 and -0.0 too) give equal keys.
#[inline]
fn float_key(x: f64) -> u64 {
    if x.is_nan() {
        MISSING_KEY
    } else {
        (x + 0.0).to_bits()
    }
}

fn cells_equal(data: &ColumnData, a: usize, b: usize) -> bool {
    match data {
        ColumnData::Float(v) => {
            let (x, y) = (v[a], v[b]);
            x == y || (x.is_nan() && y.is_nan())
        }
        ColumnData::Int(v) | ColumnData::Datetime(v) => v[a] == v[b],
        ColumnData::Bool(v) => v[a] == v[b],
        ColumnData::Str(s) => s.codes[a] == s.codes[b],
    }
}

fn mix(h: u64, k: u64) -> u64 {
    let x = (h ^ k).wrapping_mul(0xff51_afd7_ed55_8ccd);
    (x ^ (x >> 32)).wrapping_mul(0xc4ce_b9fe_1a85_ec53) ^ (x >> 29)
}

/// Folds one column's cell keys into the hashes of a block of rows with one multiply per
/// cell: an xor, a multiply by an odd constant and a rotation. For a given key that is a
/// bijection of the hash, so two rows that differ in one cell keep different hashes through
/// every later column. Each row's hash is mixed once more at the end, so that the hashes
/// spread over the whole range, as the grouping of `duplicated_rows` needs. (A full `mix`
/// per cell, as before, costs two dependent multiplies per cell.)
fn fold_keys(block: &mut [u64], keys: impl Iterator<Item = u64>) {
    for (h, key) in block.iter_mut().zip(keys) {
        *h = (*h ^ key)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(23);
    }
}

/// Rows equal to an earlier row: hash every row, find the hashes that occur more than once,
/// then compare rows with equal hashes exactly.
fn duplicated_rows(rows: usize, columns: &[&Column]) -> usize {
    if rows < 2 {
        return 0;
    }
    if columns.is_empty() {
        return rows - 1;
    }
    // Column by column over blocks of rows: each inner loop runs over one column's values
    // with the type decided once per block, not once per cell. A row's hash folds its
    // cells in column order.
    const BLOCK: usize = 4096;
    let mut hashes: Vec<u64> = vec![0; rows];
    hashes
        .par_chunks_mut(BLOCK)
        .enumerate()
        .for_each(|(b, block)| {
            let first = b * BLOCK;
            for c in columns {
                let rows = first..first + block.len();
                match &c.data {
                    ColumnData::Float(v) => fold_keys(block, v[rows].iter().map(|&x| float_key(x))),
                    ColumnData::Int(v) | ColumnData::Datetime(v) => fold_keys(
                        block,
                        v[rows].iter().map(|x| x.map_or(MISSING_KEY, |x| x as u64)),
                    ),
                    ColumnData::Bool(v) => fold_keys(
                        block,
                        v[rows].iter().map(|x| x.map_or(MISSING_KEY, u64::from)),
                    ),
                    ColumnData::Str(s) => {
                        fold_keys(block, s.codes[rows].iter().map(|&c| u64::from(c)))
                    }
                }
            }
            for h in block.iter_mut() {
                *h = mix(*h, 0);
            }
        });
    // Hashes that occur more than once, found on a copy grouped by range and counted with
    // hash tables (usually there are none). Only rows with such a hash are compared exactly.
    let mut grouped = hashes.clone();
    let bounds = crate::sort::key_bounds(&grouped);
    let mut repeated: HashSet<u64> = HashSet::new();
    for_each_repeat(&mut grouped, bounds, &[], |key, _| {
        repeated.insert(key);
    });
    drop(grouped);
    if repeated.is_empty() {
        return 0;
    }
    // Rows by hash, in row order; then the distinct rows of each group (collisions are rare).
    let mut groups: HashMap<u64, Vec<usize>> = HashMap::with_capacity(repeated.len());
    for (r, h) in hashes.iter().enumerate() {
        if repeated.contains(h) {
            groups.entry(*h).or_default().push(r);
        }
    }
    let same_row = |a: usize, b: usize| columns.iter().all(|c| cells_equal(&c.data, a, b));
    let mut dup = 0;
    for group in groups.values() {
        let mut reps: Vec<usize> = Vec::new();
        for &r in group {
            if reps.iter().any(|&p| same_row(p, r)) {
                dup += 1;
            } else {
                reps.push(r);
            }
        }
    }
    dup
}

/// (duplicated pairs, almost duplicated pairs) over columns of the same physical type.
fn column_pairs(rows: usize, columns: &[&Column]) -> (usize, usize) {
    let mut pairs = Vec::new();
    for i in 0..columns.len() {
        for j in i + 1..columns.len() {
            if std::mem::discriminant(&columns[i].data) == std::mem::discriminant(&columns[j].data)
            {
                pairs.push((i, j));
            }
        }
    }
    let results: Vec<(bool, bool)> = pairs
        .par_iter()
        .map(|&(i, j)| compare_columns(rows, &columns[i].data, &columns[j].data))
        .collect();
    (
        results.iter().filter(|r| r.0).count(),
        results.iter().filter(|r| r.1).count(),
    )
}

/// The most rows in which two columns of `rows` rows may differ and still be almost
/// duplicated: the largest `b` with `(rows - b) / rows >= 0.95`, tested in `f64` exactly as
/// [`compare_columns`] tests the final share. Found from the closed form and corrected by a
/// step or two, instead of counting up from zero (50,000 steps per column pair at 1M rows).
fn mismatch_budget(rows: usize) -> usize {
    if rows == 0 {
        return 0;
    }
    let within = |b: usize| (rows - b) as f64 / rows as f64 >= ALMOST_DUPLICATED_THRESHOLD;
    let mut b = (((1.0 - ALMOST_DUPLICATED_THRESHOLD) * rows as f64) as usize).min(rows);
    while b > 0 && !within(b) {
        b -= 1;
    }
    while b < rows && within(b + 1) {
        b += 1;
    }
    b
}

/// Whether two columns of the same physical type are identical (`Series.equals`) and
/// whether they are equal in at least 95% of rows (`eq().sum() / rows >= 0.95`, where a
/// missing cell equals nothing). Stops early once both answers are known to be "no".
fn compare_columns(rows: usize, a: &ColumnData, b: &ColumnData) -> (bool, bool) {
    if rows == 0 {
        // Empty columns are equal; 0 / 0 is NaN, never >= 0.95.
        return (true, false);
    }
    // Str columns: map b's codes into a's dictionary.
    let str_map: Option<Vec<u32>> = match (a, b) {
        (ColumnData::Str(sa), ColumnData::Str(sb)) => {
            let idx: HashMap<&str, u32> = sa
                .labels
                .iter()
                .enumerate()
                .map(|(i, l)| (l.as_str(), i as u32))
                .collect();
            Some(
                sb.labels
                    .iter()
                    .map(|l| idx.get(l.as_str()).copied().unwrap_or(MISSING_CODE - 1))
                    .collect(),
            )
        }
        _ => None,
    };
    // Each arm fixes the types once; `cell(r)` is (equal and present, both missing).
    let budget = mismatch_budget(rows);
    match (a, b) {
        (ColumnData::Float(x), ColumnData::Float(y)) => count_equal_cells(rows, budget, |r| {
            (x[r] == y[r], x[r].is_nan() && y[r].is_nan())
        }),
        (ColumnData::Int(x), ColumnData::Int(y))
        | (ColumnData::Datetime(x), ColumnData::Datetime(y)) => {
            count_equal_cells(rows, budget, |r| {
                (
                    x[r].is_some() && x[r] == y[r],
                    x[r].is_none() && y[r].is_none(),
                )
            })
        }
        (ColumnData::Bool(x), ColumnData::Bool(y)) => count_equal_cells(rows, budget, |r| {
            (
                x[r].is_some() && x[r] == y[r],
                x[r].is_none() && y[r].is_none(),
            )
        }),
        (ColumnData::Str(x), ColumnData::Str(y)) => {
            let map = str_map.as_deref().unwrap_or_default();
            count_equal_cells(rows, budget, |r| {
                let (ca, cb) = (x.codes[r], y.codes[r]);
                if ca == MISSING_CODE || cb == MISSING_CODE {
                    (false, ca == cb)
                } else {
                    (ca == map[cb as usize], false)
                }
            })
        }
        _ => (false, false),
    }
}

/// The counting behind [`compare_columns`] for one pair of column types: `cell(r)` says
/// whether row `r` holds equal present values and whether both cells are missing. Rows go
/// in blocks, each counted without a branch per cell; the scan stops after the block in
/// which the columns are known to be neither identical nor almost duplicated.
fn count_equal_cells(
    rows: usize,
    budget: usize,
    cell: impl Fn(usize) -> (bool, bool),
) -> (bool, bool) {
    const BLOCK: usize = 1024;
    let (mut eq, mut not_eq, mut identical) = (0usize, 0usize, true);
    let mut start = 0;
    while start < rows {
        let end = (start + BLOCK).min(rows);
        let (mut block_eq, mut block_differ) = (0usize, 0usize);
        for r in start..end {
            let (e, both_missing) = cell(r);
            block_eq += usize::from(e);
            block_differ += usize::from(!e && !both_missing);
        }
        eq += block_eq;
        not_eq += (end - start) - block_eq;
        identical &= block_differ == 0;
        if !identical && not_eq > budget {
            return (false, false);
        }
        start = end;
    }
    (
        identical,
        eq as f64 / rows as f64 >= ALMOST_DUPLICATED_THRESHOLD,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drift::DriftSettings;
    use crate::prepare::RunSettings;

    fn summarise(reference: Option<&Table>, current: &Table) -> DataSummary {
        let (schema, drift) = (SchemaOverrides::default(), DriftSettings::default());
        let run = PreparedRun::new(reference, current, RunSettings::new(&schema, &drift)).unwrap();
        compute_summary(&run)
    }
    use crate::table::StrColumn;

    #[test]
    fn mismatch_budget_is_the_largest_allowed() {
        for rows in (1..3000).chain([19_999, 20_000, 20_001, 1_000_000, 1_000_019]) {
            let b = mismatch_budget(rows);
            let within = |b: usize| (rows - b) as f64 / rows as f64 >= 0.95;
            assert!(within(b), "rows {rows}: {b} is over the budget");
            assert!(
                b == rows || !within(b + 1),
                "rows {rows}: {b} is not the largest"
            );
        }
        assert_eq!(mismatch_budget(0), 0);
        assert_eq!(mismatch_budget(100), 5);
        assert_eq!(mismatch_budget(1_000_000), 50_000);
    }

    /// The array path of `int_counts` and its hashed fallback give the hashed counts, in
    /// order of first appearance, for narrow and wide ranges, extremes and missing values.
    #[test]
    fn int_counts_match_hashed_counts() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut cases: Vec<Vec<Option<i64>>> = vec![
            vec![],
            vec![None, None],
            vec![Some(5)],
            vec![
                Some(3),
                None,
                Some(-2),
                Some(3),
                Some(-2),
                Some(-2),
                None,
                Some(0),
            ],
            vec![Some(i64::MIN), Some(i64::MAX), Some(i64::MIN), Some(0)],
            vec![Some(i64::MAX), Some(i64::MAX - 1), Some(i64::MAX)],
            vec![Some(i64::MIN), Some(i64::MIN + 4095), Some(i64::MIN + 7)],
        ];
        for (len, range) in [
            (100, 10),
            (5000, 4095),
            (5000, 4096),
            (3000, 1 << 20),
            (2000, 3000),
        ] {
            cases.push(
                (0..len)
                    .map(|_| {
                        rng.random_bool(0.9)
                            .then(|| rng.random_range(-7..range - 7))
                    })
                    .collect(),
            );
        }
        for v in &cases {
            let hashed = ordered_counts(v.iter().flatten().copied());
            assert_eq!(int_counts(v), hashed, "{:?}", &v[..v.len().min(8)]);
        }
    }

    fn table(cols: Vec<(&str, ColumnData)>) -> Table {
        Table::new(cols.into_iter().map(|(n, d)| Column::new(n, d)).collect()).unwrap()
    }

    fn num(s: &DataSummary, col: &str) -> NumericStats {
        s.columns
            .iter()
            .find(|c| c.column == col)
            .unwrap()
            .current
            .as_ref()
            .unwrap()
            .numeric
            .clone()
            .unwrap()
    }

    #[test]
    fn numeric_basics_match_pandas() {
        let t = table(vec![(
            "a",
            ColumnData::Float(vec![1.0, 2.0, f64::NAN, 4.0, 2.0]),
        )]);
        let s = summarise(None, &t);
        let n = num(&s, "a");
        assert_eq!(n.min, Some(1.0));
        assert_eq!(n.max, Some(4.0));
        assert_eq!(n.mean, Some(2.25));
        // pandas: Series([1,2,4,2]).std() = 1.2583057392117916
        assert!((n.std.unwrap() - 1.2583057392117916).abs() < 1e-15);
        assert_eq!(n.q25, Some(1.75));
        assert_eq!(n.q50, Some(2.0));
        assert_eq!(n.q75, Some(2.5));
        let c = s.columns[0].current.as_ref().unwrap();
        assert_eq!((c.count, c.missing, c.distinct), (4, 1, 3));
        assert_eq!(c.most_common, Some(Value::Number(2.0)));
        assert_eq!(c.most_common_share, Some(0.4));
    }

    #[test]
    fn empty_table() {
        let t = table(vec![("a", ColumnData::Float(vec![]))]);
        let s = summarise(Some(&t), &t);
        assert_eq!(s.current.rows, 0);
        assert_eq!(s.current.missing_values_share, None);
        assert_eq!(s.current.duplicated_rows, 0);
        assert_eq!(s.current.almost_constant_columns, 0);
        let n = num(&s, "a");
        assert_eq!((n.min, n.mean, n.std, n.q50), (None, None, None, None));
        serde_json::to_string(&s).unwrap();
    }

    #[test]
    fn all_missing_column() {
        let t = table(vec![
            ("a", ColumnData::Float(vec![f64::NAN; 3])),
            ("b", ColumnData::Int(vec![Some(1), Some(2), Some(3)])),
        ]);
        let s = summarise(None, &t);
        assert_eq!(s.current.empty_columns, 1);
        assert_eq!(s.current.constant_columns, 1);
        assert_eq!(s.current.almost_constant_columns, 0);
        assert_eq!(s.current.missing_values, 3);
        assert_eq!(s.current.missing_values_share, Some(0.5));
        assert_eq!(num(&s, "a").mean, None);
        let json = serde_json::to_string(&s).unwrap();
        assert!(!json.contains("NaN"));
    }

    #[test]
    fn single_row() {
        let t = table(vec![("a", ColumnData::Float(vec![3.5]))]);
        let s = summarise(None, &t);
        let n = num(&s, "a");
        assert_eq!(
            (n.min, n.q25, n.q75, n.std),
            (Some(3.5), Some(3.5), Some(3.5), None)
        );
        assert_eq!(s.current.constant_columns, 1);
        assert_eq!(s.current.almost_constant_columns, 1);
    }

    /// Runs counted chunk by chunk agree with a plain count, on columns sorted in one piece,
    /// in two levels (many chunks), with few distinct values, and with runs at the ends.
    #[test]
    fn runs_match_a_plain_count() {
        let mut g = crate::synth::Synth::new(31);
        let n = (1 << 18) + 5_000;
        let m = 100_000;
        let f = |values: Vec<f64>| values.iter().map(|x| x.sort_key()).collect::<Vec<u64>>();
        let mut columns: Vec<Vec<u64>> = vec![
            vec![],
            f(vec![7.0]),
            f(vec![2.0, 2.0]),
            f((0..1000).map(|_| (g.normal() * 100.0).round()).collect()),
            f((0..n).map(|_| (g.normal() * 3e4).round() / 8.0).collect()),
            f((0..n).map(|_| g.normal()).collect()),
            f((0..m).map(|_| g.normal()).collect()),
            f((0..m).map(|_| (g.normal() * 1e6).round() / 1e3).collect()),
            f((0..n).map(|_| (g.normal() * 2.0).round()).collect()),
            f((0..n)
                .map(|i| if i % 3 == 0 { 5.0 } else { g.normal() })
                .collect()),
            // integers stored as floats (keys differ only in their high bits), with three
            // values tied for most common
            f((0..m)
                .map(|i| match i % 1000 {
                    1..=3 => 17.0,
                    4..=6 => 40_000.0,
                    7..=9 => -3.0,
                    _ => (g.uniform() * 1e7).round(),
                })
                .collect()),
        ];
        // i64 keys, where key 0 (i64::MIN) is a value like any other: once, and most common
        for zeros in [1, 5] {
            let mut v: Vec<u64> = (0..m)
                .map(|_| (g.normal() * 1e12) as i64)
                .map(|x| x.sort_key())
                .collect();
            for z in 0..zeros {
                v[z * 997] = i64::MIN.sort_key();
            }
            v[3] = i64::MAX.sort_key();
            columns.push(v);
        }
        for keys in columns {
            let mut counts: HashMap<u64, usize> = HashMap::new();
            for &k in &keys {
                *counts.entry(k).or_default() += 1;
            }
            let best = counts.values().copied().max().unwrap_or(0);
            let mut tied: Vec<u64> = if best >= 2 {
                counts
                    .iter()
                    .filter(|e| *e.1 == best)
                    .map(|e| *e.0)
                    .collect()
            } else {
                vec![]
            };
            tied.sort_unstable();
            let mut sorted = keys.clone();
            sorted.sort_unstable();
            let len = keys.len();
            let bounds = crate::sort::key_bounds(&keys);
            // sorted whole, chunk by chunk
            let mut whole = Runs::default();
            let mut k = keys.clone();
            let mut distinct = 0;
            crate::sort::sort_keys(&mut k, bounds.0, bounds.1, |c| {
                distinct += sorted_repeats(c, |key, len| whole.run(key, len));
            });
            whole.finish(distinct, len);
            // grouped, with no ranks and with the quantile ranks and both ends
            let ranks = [0, len / 4, len / 2, len / 2 + 1, len.saturating_sub(1)];
            for ranks in [&[][..], &ranks[..]] {
                let mut k = keys.clone();
                let ranks: Vec<usize> = ranks.iter().copied().filter(|&r| r < len).collect();
                let grouped = Runs::grouped(&mut k, bounds, &ranks);
                for runs in [&whole, &grouped] {
                    assert_eq!(runs.distinct, counts.len(), "{len} keys");
                    assert_eq!(runs.best, best, "{len} keys");
                    assert_eq!(runs.tied, tied, "{len} keys");
                }
                for &r in &ranks {
                    assert_eq!(k[r], sorted[r], "rank {r} of {len}");
                }
            }
        }
    }

    #[test]
    fn ties_go_to_first_appearance() {
        let t = table(vec![
            ("a", ColumnData::Float(vec![3.0, 1.0, 1.0, 3.0, 2.0, 2.0])),
            (
                "b",
                ColumnData::Str(StrColumn::from_options(
                    ["y", "x", "x", "y", "z", "z"].map(Some),
                )),
            ),
        ]);
        let s = summarise(None, &t);
        let a = s.columns[0].current.as_ref().unwrap();
        assert_eq!(a.most_common, Some(Value::Number(3.0)));
        let b = s.columns[1].current.as_ref().unwrap();
        assert_eq!(b.most_common, Some(Value::Label("y".into())));
    }

    /// Datetime columns share the numeric columns' run counting: distinct count, most
    /// common (ties to the first in data order), min and max, missing cells left out.
    #[test]
    fn datetime_runs_and_ties() {
        let t = table(vec![(
            "d",
            ColumnData::Datetime(vec![Some(30), None, Some(-5), Some(-5), Some(30), Some(7)]),
        )]);
        let s = summarise(None, &t);
        let d = s.columns[0].current.as_ref().unwrap();
        assert_eq!(d.distinct, 3);
        assert_eq!(d.most_common_count, 2);
        assert_eq!(d.most_common, Some(Value::Datetime(30)));
        let range = d.datetime.as_ref().unwrap();
        assert_eq!((range.min, range.max), (Some(-5), Some(30)));
        assert_eq!(s.current.constant_columns, 0);
    }

    #[test]
    fn infinities() {
        let t = table(vec![(
            "a",
            ColumnData::Float(vec![1.0, f64::INFINITY, f64::NAN]),
        )]);
        let s = summarise(None, &t);
        let n = num(&s, "a");
        assert_eq!(n.infinite, 1);
        assert_eq!(n.max, Some(f64::INFINITY));
        assert_eq!(n.mean, Some(f64::INFINITY));
        assert_eq!(n.std, None);
        assert_eq!(n.q50, Some(f64::INFINITY));
        let json = serde_json::to_string(&s).unwrap();
        assert!(json.contains("\"max\":\"inf\""), "{json}");
    }

    #[test]
    fn dataset_level_counts() {
        let nan = f64::NAN;
        let t = table(vec![
            ("a", ColumnData::Float(vec![1.0, 1.0, nan, 2.0])),
            ("b", ColumnData::Float(vec![1.0, 1.0, nan, 2.0])),
            ("c", ColumnData::Int(vec![Some(5), Some(5), None, Some(6)])),
        ]);
        let s = summarise(None, &t);
        assert_eq!(s.current.duplicated_rows, 1);
        assert_eq!(s.current.empty_rows, 1);
        assert_eq!(s.current.duplicated_columns, 1);
        // eq: 3 of 4 rows (NaN != NaN) < 0.95.
        assert_eq!(s.current.almost_duplicated_columns, 0);
        assert_eq!(s.current.missing_values, 3);
    }

    /// Row hashes are built block by block (4096 rows): duplicates across blocks, every
    /// physical type, missing cells and 0.0 / -0.0 are all counted as pandas does.
    #[test]
    fn duplicated_rows_across_blocks_and_types() {
        // short enough to sort the row hashes whole, and long enough to group them
        for n in [10_000, 40_000] {
            duplicated_rows_of_length(n);
        }
    }

    fn duplicated_rows_of_length(n: usize) {
        let half = n / 2;
        // rows r and r + half are equal; within the first half every row is distinct
        let base = |r: usize| r % half;
        let t = table(vec![
            (
                "f",
                ColumnData::Float(
                    (0..n)
                        .map(|r| match base(r) {
                            0 => f64::NAN,
                            1 if r >= half => -0.0,
                            1 => 0.0,
                            b => b as f64 * 0.5,
                        })
                        .collect(),
                ),
            ),
            (
                "i",
                ColumnData::Int((0..n).map(|r| (base(r) != 2).then_some(7)).collect()),
            ),
            (
                "b",
                ColumnData::Bool((0..n).map(|r| (base(r) != 3).then_some(true)).collect()),
            ),
            (
                "s",
                ColumnData::Str(StrColumn::from_options(
                    (0..n).map(|r| (base(r) != 4).then_some("x")),
                )),
            ),
        ]);
        let s = summarise(None, &t);
        assert_eq!(s.current.duplicated_rows, half);
        // one differing cell breaks the pair
        let mut f: Vec<f64> = (0..n).map(|r| base(r) as f64).collect();
        f[n - 1] = -1.0;
        let t = table(vec![("f", ColumnData::Float(f))]);
        let s = summarise(None, &t);
        assert_eq!(s.current.duplicated_rows, half - 1);
    }

    /// Identical and almost duplicated columns over many counting blocks: missing cells equal
    /// each other for "identical" but count as different for the 95% share, a difference in
    /// the last block still breaks "identical", and the 95% boundary is exact.
    #[test]
    fn column_pairs_over_many_blocks() {
        let n = 20_000;
        let base: Vec<f64> = (0..n)
            .map(|r| if r % 7 == 0 { f64::NAN } else { r as f64 })
            .collect();
        let with = |changes: &[usize]| {
            let mut v = base.clone();
            for &r in changes {
                v[r] = -1.0;
            }
            ColumnData::Float(v)
        };
        let a = ColumnData::Float(base.clone());
        // identical, missing cells included; only 6/7 of the rows count as equal
        assert_eq!(compare_columns(n, &a, &with(&[])), (true, false));
        let dense: Vec<f64> = (0..n).map(|r| r as f64).collect();
        let d = ColumnData::Float(dense.clone());
        let budget = mismatch_budget(n);
        let last: Vec<usize> = (n - budget..n).collect();
        let mut v = dense.clone();
        for &r in &last {
            v[r] = -1.0;
        }
        // exactly at the budget: almost duplicated, not identical
        assert_eq!(
            compare_columns(n, &d, &ColumnData::Float(v.clone())),
            (false, true)
        );
        v[0] = -1.0;
        // one more difference, in the first block: neither
        assert_eq!(
            compare_columns(n, &d, &ColumnData::Float(v)),
            (false, false)
        );
        let mut v = dense;
        v[n - 1] = 0.5;
        assert_eq!(compare_columns(n, &d, &ColumnData::Float(v)), (false, true));
        let ints = |last: i64| {
            ColumnData::Int(
                (0..n)
                    .map(|r| (r % 5 != 0).then_some(if r == n - 1 { last } else { r as i64 }))
                    .collect(),
            )
        };
        assert_eq!(compare_columns(n, &ints(1), &ints(1)), (true, false));
        assert_eq!(compare_columns(n, &ints(1), &ints(2)), (false, false));
    }

    #[test]
    fn new_and_unused_labels() {
        let r = table(vec![(
            "c",
            ColumnData::Str(StrColumn::from_options(["a", "b", "a", "a"].map(Some))),
        )]);
        let c = table(vec![(
            "c",
            ColumnData::Str(StrColumn::from_options([
                Some("a"),
                Some("z"),
                None,
                Some("a"),
            ])),
        )]);
        // The current side alone (2 distinct of 3 values) would be text: the type is forced.
        let schema = SchemaOverrides {
            categorical: vec!["c".into()],
            ..Default::default()
        };
        let drift = DriftSettings::default();
        let run = PreparedRun::new(Some(&r), &c, RunSettings::new(&schema, &drift)).unwrap();
        let s = compute_summary(&run);
        let cat = s.columns[0].categories.as_ref().unwrap();
        assert_eq!(cat.new_labels, vec!["z"]);
        assert_eq!(cat.unused_labels, vec!["b"]);
        let a = &cat.labels[0];
        assert_eq!((a.reference_count, a.current_count), (Some(3), 2));
        assert_eq!(a.current_share, Some(0.5));
    }

    #[test]
    fn quantile_matches_numpy_linear() {
        let v = [1.0, 2.0, 3.0, 4.0, 10.0];
        assert_eq!(quantile_linear(&v, 0.25), Some(2.0));
        assert_eq!(quantile_linear(&v, 0.75), Some(4.0));
        let v = [0.1, 0.7];
        // numpy.quantile([0.1, 0.7], 0.75) = 0.5499999999999999
        assert_eq!(quantile_linear(&v, 0.75), Some(0.7 - (0.7 - 0.1) * 0.25));
    }

    #[test]
    fn datetime_format() {
        assert_eq!(format_datetime_us(0), "1970-01-01T00:00:00");
        assert_eq!(
            format_datetime_us(951_782_400_000_000 + 1),
            "2000-02-29T00:00:00.000001"
        );
        assert_eq!(format_datetime_us(-1_000_000), "1969-12-31T23:59:59");
    }
}
