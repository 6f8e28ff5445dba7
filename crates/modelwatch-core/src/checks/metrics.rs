//! The metric table: every name a test may use, and where its value lives in the serde JSON
//! form of [`Results`](crate::results::Results).
//!
//! Nothing here computes a statistic: a metric is a location (a JSON pointer for a dataset
//! value, or a field of a per-column entry) on the current side and, when the report has
//! one, on the reference side. Adding a metric is one line in [`METRICS`].

use serde_json::Value;

/// Whether a metric describes the dataset or one column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Dataset,
    Column,
}

/// The JSON type of a metric's value, which decides the operators it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    Number,
    Bool,
    Text,
}

impl ValueKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ValueKind::Number => "a number",
            ValueKind::Bool => "true or false",
            ValueKind::Text => "a string",
        }
    }
}

/// How the value is read from the JSON found at a location.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// The value itself.
    Value,
    /// The number of elements of an array or entries of an object (e.g. new labels).
    Count,
}

/// Where a value lives in the results JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// A JSON pointer from the root, e.g. `/drift/drifted_share`.
    At(&'static str, Read),
    /// A per-column value: `entries` points at an array of objects (the one whose `key` field
    /// equals the column) or at an object keyed by column name; `field` is a JSON pointer
    /// inside that entry.
    InColumn {
        entries: &'static str,
        key: &'static str,
        field: &'static str,
        read: Read,
    },
}

/// One documented metric.
#[derive(Debug, Clone, Copy)]
pub struct Metric {
    /// The name used in suite files, e.g. `drifted_share`, `column.drift_score`.
    pub name: &'static str,
    /// A short title, used for default test names.
    pub title: &'static str,
    pub scope: Scope,
    pub kind: ValueKind,
    /// Column types the metric exists for (empty: every type).
    pub column_types: &'static [&'static str],
    /// The report section (top-level key of the results) the value comes from.
    pub section: &'static str,
    pub current: Location,
    /// The same value computed on the reference, for reference-relative conditions.
    pub reference: Option<Location>,
    /// A dataset count that must be above zero for the value to mean anything, and why.
    pub defined_if_positive: Option<(&'static str, &'static str)>,
}

const fn dataset(
    name: &'static str,
    title: &'static str,
    kind: ValueKind,
    section: &'static str,
    current: &'static str,
    reference: Option<&'static str>,
) -> Metric {
    Metric {
        name,
        title,
        scope: Scope::Dataset,
        kind,
        column_types: &[],
        section,
        current: Location::At(current, Read::Value),
        reference: match reference {
            Some(p) => Some(Location::At(p, Read::Value)),
            None => None,
        },
        defined_if_positive: None,
    }
}

/// A per-column metric: `field` (and `reference_field`, for the reference side) inside the
/// entry of the column in `entries`.
const fn column(
    name: &'static str,
    title: &'static str,
    kind: ValueKind,
    section: &'static str,
    entries: &'static str,
    field: &'static str,
    reference_field: Option<&'static str>,
) -> Metric {
    Metric {
        name,
        title,
        scope: Scope::Column,
        kind,
        column_types: &[],
        section,
        current: Location::InColumn {
            entries,
            key: "column",
            field,
            read: Read::Value,
        },
        reference: match reference_field {
            Some(field) => Some(Location::InColumn {
                entries,
                key: "column",
                field,
                read: Read::Value,
            }),
            None => None,
        },
        defined_if_positive: None,
    }
}

impl Metric {
    const fn defined_if(mut self, count: &'static str, why: &'static str) -> Metric {
        self.defined_if_positive = Some((count, why));
        self
    }

    /// Restricts a column metric to columns of these types.
    const fn types(mut self, types: &'static [&'static str]) -> Metric {
        self.column_types = types;
        self
    }

    /// Reads the number of elements (of a list of labels, say) instead of the value.
    const fn count(mut self) -> Metric {
        self.current = count_of(self.current);
        self.reference = match self.reference {
            Some(r) => Some(count_of(r)),
            None => None,
        };
        self
    }
}

const fn count_of(location: Location) -> Location {
    match location {
        Location::At(p, _) => Location::At(p, Read::Count),
        Location::InColumn {
            entries,
            key,
            field,
            ..
        } => Location::InColumn {
            entries,
            key,
            field,
            read: Read::Count,
        },
    }
}

const NUM: &[&str] = &["numerical"];
const CAT: &[&str] = &["categorical"];
const TEXT: &[&str] = &["text"];
const SUMMARY_COLUMNS: &str = "/summary/columns";
use ValueKind::{Bool, Number};

const NO_TESTED_COLUMN: &str = "no column could be drift-tested";

/// Every metric a suite may name. One line per metric.
#[rustfmt::skip]
pub static METRICS: &[Metric] = &[
    // Data drift (`drift`).
    dataset("drifted_share", "Share of drifted columns", Number, "drift", "/drift/drifted_share", None)
        .defined_if("/drift/column_count", NO_TESTED_COLUMN),
    dataset("drifted_count", "Number of drifted columns", Number, "drift", "/drift/drifted_count", None),
    dataset("dataset_drift", "Dataset drift", Bool, "drift", "/drift/dataset_drift", None)
        .defined_if("/drift/column_count", NO_TESTED_COLUMN),
    dataset("column_count", "Number of drift-tested columns", Number, "drift", "/drift/column_count", None),
    column("column.drift_score", "Drift score", Number, "drift", "/drift/columns", "/score", None),
    column("column.drifted", "Drift", Bool, "drift", "/drift/columns", "/drifted", None),
    // Run metadata (`meta`).
    dataset("rows", "Number of rows", Number, "meta", "/meta/current_rows", Some("/meta/reference_rows")),
    dataset("reference_rows", "Number of reference rows", Number, "meta", "/meta/reference_rows", None),
    // Data quality (`summary`): the dataset.
    dataset("columns", "Number of columns", Number, "summary", "/summary/current/columns", Some("/summary/reference/columns")),
    dataset("missing_count", "Number of missing values", Number, "summary", "/summary/current/missing_values", Some("/summary/reference/missing_values")),
    dataset("missing_share", "Share of missing values", Number, "summary", "/summary/current/missing_values_share", Some("/summary/reference/missing_values_share")),
    dataset("duplicated_rows", "Number of duplicated rows", Number, "summary", "/summary/current/duplicated_rows", Some("/summary/reference/duplicated_rows")),
    dataset("duplicated_columns", "Number of duplicated columns", Number, "summary", "/summary/current/duplicated_columns", Some("/summary/reference/duplicated_columns")),
    dataset("almost_duplicated_columns", "Number of almost duplicated columns", Number, "summary", "/summary/current/almost_duplicated_columns", Some("/summary/reference/almost_duplicated_columns")),
    dataset("constant_columns", "Number of constant columns", Number, "summary", "/summary/current/constant_columns", Some("/summary/reference/constant_columns")),
    dataset("almost_constant_columns", "Number of almost constant columns", Number, "summary", "/summary/current/almost_constant_columns", Some("/summary/reference/almost_constant_columns")),
    dataset("empty_rows", "Number of empty rows", Number, "summary", "/summary/current/empty_rows", Some("/summary/reference/empty_rows")),
    dataset("empty_columns", "Number of empty columns", Number, "summary", "/summary/current/empty_columns", Some("/summary/reference/empty_columns")),
    // Data quality (`summary`): one column.
    column("column.count", "Number of values", Number, "summary", SUMMARY_COLUMNS, "/current/count", Some("/reference/count")),
    column("column.missing_count", "Number of missing values", Number, "summary", SUMMARY_COLUMNS, "/current/missing", Some("/reference/missing")),
    column("column.missing_share", "Share of missing values", Number, "summary", SUMMARY_COLUMNS, "/current/missing_share", Some("/reference/missing_share")),
    column("column.distinct_count", "Number of distinct values", Number, "summary", SUMMARY_COLUMNS, "/current/distinct", Some("/reference/distinct")),
    column("column.distinct_share", "Share of distinct values", Number, "summary", SUMMARY_COLUMNS, "/current/distinct_share", Some("/reference/distinct_share")),
    column("column.most_common_share", "Share of the most common value", Number, "summary", SUMMARY_COLUMNS, "/current/most_common_share", Some("/reference/most_common_share")),
    column("column.infinite_count", "Number of infinite values", Number, "summary", SUMMARY_COLUMNS, "/current/numeric/infinite", Some("/reference/numeric/infinite")).types(NUM),
    column("column.min", "Minimum", Number, "summary", SUMMARY_COLUMNS, "/current/numeric/min", Some("/reference/numeric/min")).types(NUM),
    column("column.max", "Maximum", Number, "summary", SUMMARY_COLUMNS, "/current/numeric/max", Some("/reference/numeric/max")).types(NUM),
    column("column.mean", "Mean", Number, "summary", SUMMARY_COLUMNS, "/current/numeric/mean", Some("/reference/numeric/mean")).types(NUM),
    column("column.std", "Standard deviation", Number, "summary", SUMMARY_COLUMNS, "/current/numeric/std", Some("/reference/numeric/std")).types(NUM),
    column("column.median", "Median", Number, "summary", SUMMARY_COLUMNS, "/current/numeric/q50", Some("/reference/numeric/q50")).types(NUM),
    column("column.q25", "First quartile", Number, "summary", SUMMARY_COLUMNS, "/current/numeric/q25", Some("/reference/numeric/q25")).types(NUM),
    column("column.q75", "Third quartile", Number, "summary", SUMMARY_COLUMNS, "/current/numeric/q75", Some("/reference/numeric/q75")).types(NUM),
    column("column.new_labels", "Number of new labels", Number, "summary", SUMMARY_COLUMNS, "/categories/new_labels", None).types(CAT).count(),
    column("column.unused_labels", "Number of unused labels", Number, "summary", SUMMARY_COLUMNS, "/categories/unused_labels", None).types(CAT).count(),
    column("column.text_length_mean", "Mean text length", Number, "summary", SUMMARY_COLUMNS, "/current/text/length_mean", Some("/reference/text/length_mean")).types(TEXT),
    // Classification quality (`classification`).
    dataset("accuracy", "Accuracy", Number, "classification", "/classification/current/accuracy", Some("/classification/reference/accuracy")),
    dataset("precision", "Precision", Number, "classification", "/classification/current/precision", Some("/classification/reference/precision")),
    dataset("recall", "Recall", Number, "classification", "/classification/current/recall", Some("/classification/reference/recall")),
    dataset("f1", "F1 score", Number, "classification", "/classification/current/f1", Some("/classification/reference/f1")),
    dataset("roc_auc", "ROC AUC", Number, "classification", "/classification/current/roc_auc", Some("/classification/reference/roc_auc")),
    dataset("log_loss", "Log loss", Number, "classification", "/classification/current/log_loss", Some("/classification/reference/log_loss")),
    dataset("tpr", "True positive rate", Number, "classification", "/classification/current/tpr", Some("/classification/reference/tpr")),
    dataset("tnr", "True negative rate", Number, "classification", "/classification/current/tnr", Some("/classification/reference/tnr")),
    dataset("fpr", "False positive rate", Number, "classification", "/classification/current/fpr", Some("/classification/reference/fpr")),
    dataset("fnr", "False negative rate", Number, "classification", "/classification/current/fnr", Some("/classification/reference/fnr")),
    // Regression quality (`regression`).
    dataset("mean_error", "Mean error", Number, "regression", "/regression/current/mean_error", Some("/regression/reference/mean_error")),
    dataset("error_std", "Standard deviation of the error", Number, "regression", "/regression/current/error_std", Some("/regression/reference/error_std")),
    dataset("mae", "Mean absolute error", Number, "regression", "/regression/current/mae", Some("/regression/reference/mae")),
    dataset("rmse", "Root mean squared error", Number, "regression", "/regression/current/rmse", Some("/regression/reference/rmse")),
    dataset("mape", "Mean absolute percentage error", Number, "regression", "/regression/current/mape", Some("/regression/reference/mape")),
    dataset("r2", "R²", Number, "regression", "/regression/current/r2", Some("/regression/reference/r2")),
    dataset("max_abs_error", "Maximum absolute error", Number, "regression", "/regression/current/max_abs_error", Some("/regression/reference/max_abs_error")),
];

/// Looks a metric up by name.
pub fn metric(name: &str) -> Option<&'static Metric> {
    METRICS.iter().find(|m| m.name == name)
}

/// Where the names of the data's columns (and their types) can be found in the results:
/// arrays of entries with a `column` field (and maybe a `type` field) or arrays of names.
static COLUMN_LISTS: &[(&str, Option<&str>)] = &[
    ("/drift/columns", Some("column")),
    ("/summary/columns", Some("column")),
    ("/summary/ignored_columns", None),
    ("/drift/skipped_columns", Some("column")),
    ("/drift/reference_only_columns", None),
    ("/drift/current_only_columns", None),
];

/// Entries that carry a column's `type`.
static COLUMN_TYPES: &[&str] = &["/drift/columns", "/summary/columns"];

/// Whether `column` is a column of the data according to the results.
pub fn column_known(results: &Value, column: &str) -> bool {
    COLUMN_LISTS.iter().any(|(list, key)| {
        results
            .pointer(list)
            .and_then(Value::as_array)
            .is_some_and(|items| {
                items.iter().any(|item| match key {
                    Some(k) => item.get(k).and_then(Value::as_str) == Some(column),
                    None => item.as_str() == Some(column),
                })
            })
    })
}

/// The statistical type of `column`, when the results record it.
pub fn column_type<'a>(results: &'a Value, column: &str) -> Option<&'a str> {
    COLUMN_TYPES.iter().find_map(|list| {
        find_entry(results.pointer(list)?, "column", column)?
            .get("type")?
            .as_str()
    })
}

/// The entry of `column` in an array of entries (matched on `key`) or an object keyed by
/// column name.
pub(crate) fn find_entry<'a>(entries: &'a Value, key: &str, column: &str) -> Option<&'a Value> {
    match entries {
        Value::Array(items) => items
            .iter()
            .find(|item| item.get(key).and_then(Value::as_str) == Some(column)),
        Value::Object(map) => map.get(column),
        _ => None,
    }
}

/// Why a metric has no value.
#[derive(Debug, Clone, PartialEq)]
pub enum Missing {
    /// The report section was not computed.
    Section(&'static str),
    /// The column has no entry there (e.g. not drift-tested), with the reason when known.
    Column(Option<String>),
    /// The value is null (undefined), with the entry's recorded error when there is one.
    Undefined(Option<String>),
}

impl Missing {
    pub fn reason(&self, metric: &Metric, column: Option<&str>) -> String {
        let col = column.unwrap_or_default();
        match self {
            Missing::Section(s) => format!("the `{s}` part of the report was not computed"),
            Missing::Column(Some(why)) => format!("column `{col}` has no {}: {why}", metric.name),
            Missing::Column(None) => {
                format!("column `{col}` has no {} in the report", metric.name)
            }
            Missing::Undefined(Some(why)) => format!("{} is undefined: {why}", metric.name),
            Missing::Undefined(None) => format!("{} is undefined for this data", metric.name),
        }
    }
}

/// Reads the value at `location` for `column`.
pub fn read(
    results: &Value,
    metric: &Metric,
    location: &Location,
    column: Option<&str>,
) -> Result<Value, Missing> {
    let section_present = results.get(metric.section).is_some_and(|v| !v.is_null());
    if !section_present {
        return Err(Missing::Section(metric.section));
    }
    let (found, read) = match *location {
        Location::At(pointer, read) => (results.pointer(pointer), read),
        Location::InColumn {
            entries,
            key,
            field,
            read,
        } => {
            let col = column.unwrap_or_default();
            let Some(entry) = results
                .pointer(entries)
                .and_then(|e| find_entry(e, key, col))
            else {
                return Err(Missing::Column(why_not_listed(results, col)));
            };
            match entry.pointer(field) {
                Some(v) if !v.is_null() => (Some(v), read),
                _ => {
                    let why = entry
                        .get("error")
                        .and_then(Value::as_str)
                        .map(str::to_string);
                    return Err(Missing::Undefined(why));
                }
            }
        }
    };
    let Some(value) = found.filter(|v| !v.is_null()) else {
        return Err(Missing::Undefined(None));
    };
    match read {
        Read::Value => Ok(value.clone()),
        Read::Count => match value {
            Value::Array(a) => Ok(Value::from(a.len())),
            Value::Object(o) => Ok(Value::from(o.len())),
            _ => Err(Missing::Undefined(None)),
        },
    }
}

/// The recorded reason a column has no entry (e.g. "datetime column (not drift-tested)").
fn why_not_listed(results: &Value, column: &str) -> Option<String> {
    if let Some(skipped) = results
        .pointer("/drift/skipped_columns")
        .and_then(|s| find_entry(s, "column", column))
    {
        return skipped
            .get("reason")
            .and_then(Value::as_str)
            .map(str::to_string);
    }
    for (list, why) in [
        ("/drift/reference_only_columns", "only in the reference"),
        ("/drift/current_only_columns", "only in the current data"),
    ] {
        if results
            .pointer(list)
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|v| v.as_str() == Some(column)))
        {
            return Some(why.to_string());
        }
    }
    None
}

/// The value of `metric`, checking its definedness guard first.
pub fn current_value(
    results: &Value,
    metric: &Metric,
    column: Option<&str>,
) -> Result<Value, Missing> {
    if let Some((count, why)) = metric.defined_if_positive {
        if results.get(metric.section).is_some_and(|v| !v.is_null())
            && results.pointer(count).and_then(Value::as_f64) == Some(0.0)
        {
            return Err(Missing::Undefined(Some(why.to_string())));
        }
    }
    read(results, metric, &metric.current, column)
}
