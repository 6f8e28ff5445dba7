//! The metric table: every name a test may use, and where its value lives in the serde JSON
//! form of [`Results`](crate::results::Results).
//!
//! Nothing here computes a statistic: a metric is a location (a JSON pointer for a dataset
//! value, or a field of a per-column entry) on the current side and, when the report has
//! one, on the reference side. Adding a metric is one line in [`METRICS`].

use serde_json::Value;

/// What a metric describes: the dataset, one column, or one label of a classification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One value for the whole report (e.g. `drifted_share`); no `column` or `label`.
    Dataset,
    /// Needs `column` in the suite (`column.*` metrics).
    Column,
    /// Needs `label` in the suite (`label.*` metrics): a class of the classification.
    Label,
}

impl Scope {
    /// The suite field that names the subject, e.g. `column`.
    pub fn field(self) -> &'static str {
        match self {
            Scope::Dataset => "dataset",
            Scope::Column => "column",
            Scope::Label => "label",
        }
    }
}

/// The JSON type of a metric's value, which decides the operators it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// A JSON number (or `"inf"` / `"-inf"` from the summary): every operator applies.
    Number,
    /// A JSON boolean: `eq`, `not_eq`, `is_in`, `not_in`.
    Bool,
    /// A JSON string: `eq`, `not_eq`, `is_in`, `not_in`.
    Text,
}

impl ValueKind {
    /// The kind as error messages name it, e.g. `a number`.
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
    /// `true` when the value is there and not null (e.g. a column has a drift score).
    Present,
    /// `true` when the value is missing or null (e.g. a column has no `error`).
    Absent,
}

/// Where a value lives in the results JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// A JSON pointer from the root, e.g. `/drift/drifted_share`.
    At(&'static str, Read),
    /// A value of one entry of a list, the entry of the test's column or label: `entries`
    /// points at an array of objects (the one whose `key` field equals the column or label
    /// and, with `only = Some((field, value))`, whose `field` equals `value`) or at an object
    /// keyed by name; `field` is a JSON pointer inside that entry.
    InEntry {
        /// JSON pointer to the array or object of entries, e.g. `/drift/columns`.
        entries: &'static str,
        /// The field of an entry that holds its column or label name, e.g. `column`.
        key: &'static str,
        /// `(field, value)` an entry must also have, to pick one of several entries of the
        /// same name (e.g. a feature's correlation with the target, not the prediction's).
        only: Option<(&'static str, &'static str)>,
        /// JSON pointer inside the entry, e.g. `/drift_score`.
        field: &'static str,
        /// How the value found is read.
        read: Read,
    },
}

/// A type another part of the report must have for the metric to exist, e.g. a numerical
/// target for the Pearson correlation of a feature with the target.
#[derive(Debug, Clone, Copy)]
pub struct Requirement {
    /// A JSON pointer to the `type` of that part, e.g. `/target/target/type`.
    pub pointer: &'static str,
    /// The types it may have (empty: any).
    pub types: &'static [&'static str],
    /// What the part is, e.g. `target`.
    pub what: &'static str,
    /// The flag that names it, e.g. `--target`.
    pub flag: &'static str,
}

/// One documented metric.
#[derive(Debug, Clone, Copy)]
pub struct Metric {
    /// The name used in suite files, e.g. `drifted_share`, `column.drift_score`.
    pub name: &'static str,
    /// A short title, used for default test names.
    pub title: &'static str,
    /// Whether the metric is of the dataset, of a column or of a label.
    pub scope: Scope,
    /// The JSON type of the value, which decides the operators a test may use.
    pub kind: ValueKind,
    /// Column types the metric exists for (empty: every type).
    pub column_types: &'static [&'static str],
    /// The report section (top-level key of the results) the value comes from.
    pub section: &'static str,
    /// Where the value computed on the current data lives.
    pub current: Location,
    /// The same value computed on the reference, for reference-relative conditions.
    pub reference: Option<Location>,
    /// A dataset count that must be above zero for the value to mean anything, and why.
    pub defined_if_positive: Option<(&'static str, &'static str)>,
    /// Another part of the report the metric needs, of given types.
    pub requires: Option<Requirement>,
    /// Why the value is absent when its part of the report is (e.g. no `--target`).
    pub absent: Option<&'static str>,
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
        requires: None,
        absent: None,
    }
}

const fn entry(entries: &'static str, key: &'static str, field: &'static str) -> Location {
    Location::InEntry {
        entries,
        key,
        only: None,
        field,
        read: Read::Value,
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
        current: entry(entries, "column", field),
        reference: match reference_field {
            Some(field) => Some(entry(entries, "column", field)),
            None => None,
        },
        defined_if_positive: None,
        requires: None,
        absent: None,
    }
}

/// A per-method multivariate drift metric: `field` of the method's entry in
/// `drift.multivariate`. A suite names the method in `column`, as it names an embedding.
const fn multivariate(
    name: &'static str,
    title: &'static str,
    kind: ValueKind,
    field: &'static str,
) -> Metric {
    Metric {
        current: entry(MULTIVARIATE, "method", field),
        name,
        title,
        ..embedding(name, title, kind, field)
    }
}

/// A per-embedding drift metric: `field` of the embedding's entry in `drift.embeddings`. A
/// suite names the embedding in `column`, as the embedding is a column of vectors.
const fn embedding(
    name: &'static str,
    title: &'static str,
    kind: ValueKind,
    field: &'static str,
) -> Metric {
    Metric {
        name,
        title,
        scope: Scope::Column,
        kind,
        column_types: &[],
        section: "drift",
        current: entry(EMBEDDINGS, "name", field),
        reference: None,
        defined_if_positive: None,
        requires: None,
        absent: None,
    }
}

/// A per-label classification metric: `field` of the label's entry in `per_label`, for the
/// current data and the reference.
const fn label(name: &'static str, title: &'static str, field: &'static str) -> Metric {
    Metric {
        name,
        title,
        scope: Scope::Label,
        kind: ValueKind::Number,
        column_types: &[],
        section: "classification",
        current: entry("/classification/current/per_label", "label", field),
        reference: Some(entry("/classification/reference/per_label", "label", field)),
        defined_if_positive: None,
        requires: None,
        absent: None,
    }
}

const fn correlation_entry(role: &'static str, field: &'static str) -> Location {
    Location::InEntry {
        entries: "/target/correlations",
        key: "feature",
        only: Some(("role", role)),
        field,
        read: Read::Value,
    }
}

/// A correlation coefficient of a feature (the test's column) with the target or the
/// prediction (`role`), at `current` and `reference` inside the feature's entry of
/// `target.correlations`. `requires` names the role column and the types the coefficient
/// exists for, which are also the feature's types.
const fn correlation(
    name: &'static str,
    title: &'static str,
    role: &'static str,
    requires: Requirement,
    current: &'static str,
    reference: &'static str,
) -> Metric {
    Metric {
        name,
        title,
        scope: Scope::Column,
        kind: ValueKind::Number,
        column_types: requires.types,
        section: "target",
        current: correlation_entry(role, current),
        reference: Some(correlation_entry(role, reference)),
        defined_if_positive: None,
        requires: Some(requires),
        absent: None,
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

    /// The metric needs this part of the report.
    const fn requires(mut self, requirement: Requirement) -> Metric {
        self.requires = Some(requirement);
        self
    }

    /// Why the value is absent when the part of the report that holds it is.
    const fn absent(mut self, why: &'static str) -> Metric {
        self.absent = Some(why);
        self
    }

    /// Reads the number of elements (of a list of labels, say) instead of the value.
    const fn count(self) -> Metric {
        self.read(Read::Count)
    }

    /// Reads whether the value is there (`Read::Present`) or not (`Read::Absent`).
    const fn read(mut self, read: Read) -> Metric {
        self.current = read_as(self.current, read);
        self.reference = match self.reference {
            Some(r) => Some(read_as(r, read)),
            None => None,
        };
        self
    }
}

const fn read_as(location: Location, read: Read) -> Location {
    match location {
        Location::At(p, _) => Location::At(p, read),
        Location::InEntry {
            entries,
            key,
            only,
            field,
            ..
        } => Location::InEntry {
            entries,
            key,
            only,
            field,
            read,
        },
    }
}

const NUM: &[&str] = &["numerical"];
const CAT: &[&str] = &["categorical"];
const TEXT: &[&str] = &["text"];
const SUMMARY_COLUMNS: &str = "/summary/columns";
const EMBEDDINGS: &str = "/drift/embeddings";
const MULTIVARIATE: &str = "/drift/multivariate";
const PROBA_COLUMNS: &str = "/target/prediction_proba";
use ValueKind::{Bool, Number};

const NO_TESTED_COLUMN: &str = "no column could be drift-tested";
const NO_ROWS: &str = "the current data has no rows";
const CURRENT_ROWS: &str = "/meta/current_rows";
const NO_TARGET: &str = "the report has no target column (give --target)";
const NO_PREDICTION: &str = "the report has no prediction column (give --prediction)";

const fn role(pointer: &'static str, types: &'static [&'static str], target: bool) -> Requirement {
    Requirement {
        pointer,
        types,
        what: if target { "target" } else { "prediction" },
        flag: if target { "--target" } else { "--prediction" },
    }
}
const ANY_TARGET: Requirement = role("/target/target/type", &[], true);
const ANY_PREDICTION: Requirement = role("/target/prediction/type", &[], false);
const NUM_TARGET: Requirement = role("/target/target/type", NUM, true);
const CAT_TARGET: Requirement = role("/target/target/type", CAT, true);
const NUM_PREDICTION: Requirement = role("/target/prediction/type", NUM, false);
const CAT_PREDICTION: Requirement = role("/target/prediction/type", CAT, false);

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
    column("column.drift_tested", "Drift-tested", Bool, "drift", "/drift/columns", "/score", None).read(Read::Present),
    dataset("untested_count", "Number of columns that could not be drift-tested", Number, "drift", "/drift/untested_columns", None).count(),
    embedding("embedding.drift_score", "Drift score of the embedding", Number, "/score"),
    embedding("embedding.drifted", "Drift of the embedding", Bool, "/drifted"),
    multivariate("multivariate.score", "Score of the multivariate drift method", Number, "/score"),
    multivariate("multivariate.drifted", "Multivariate drift", Bool, "/drifted"),
    // Run metadata (`meta`).
    dataset("rows", "Number of rows", Number, "meta", "/meta/current_rows", Some("/meta/reference_rows")),
    dataset("reference_rows", "Number of reference rows", Number, "meta", "/meta/reference_rows", None),
    // Data quality (`summary`): the dataset.
    dataset("columns", "Number of columns", Number, "summary", "/summary/current/columns", Some("/summary/reference/columns")),
    dataset("numerical_columns", "Number of numerical columns", Number, "summary", "/summary/current/numerical_columns", Some("/summary/reference/numerical_columns")),
    dataset("categorical_columns", "Number of categorical columns", Number, "summary", "/summary/current/categorical_columns", Some("/summary/reference/categorical_columns")),
    dataset("text_columns", "Number of text columns", Number, "summary", "/summary/current/text_columns", Some("/summary/reference/text_columns")),
    dataset("datetime_columns", "Number of datetime columns", Number, "summary", "/summary/current/datetime_columns", Some("/summary/reference/datetime_columns")),
    dataset("missing_count", "Number of missing values", Number, "summary", "/summary/current/missing_values", Some("/summary/reference/missing_values")),
    dataset("missing_share", "Share of missing values", Number, "summary", "/summary/current/missing_values_share", Some("/summary/reference/missing_values_share"))
        .defined_if(CURRENT_ROWS, NO_ROWS),
    dataset("duplicated_rows", "Number of duplicated rows", Number, "summary", "/summary/current/duplicated_rows", Some("/summary/reference/duplicated_rows")),
    dataset("duplicated_columns", "Number of duplicated columns", Number, "summary", "/summary/current/duplicated_columns", Some("/summary/reference/duplicated_columns")),
    dataset("almost_duplicated_columns", "Number of almost duplicated columns", Number, "summary", "/summary/current/almost_duplicated_columns", Some("/summary/reference/almost_duplicated_columns")),
    dataset("constant_columns", "Number of constant columns", Number, "summary", "/summary/current/constant_columns", Some("/summary/reference/constant_columns")),
    dataset("almost_constant_columns", "Number of almost constant columns", Number, "summary", "/summary/current/almost_constant_columns", Some("/summary/reference/almost_constant_columns")),
    dataset("empty_rows", "Number of empty rows", Number, "summary", "/summary/current/empty_rows", Some("/summary/reference/empty_rows")),
    dataset("empty_columns", "Number of empty columns", Number, "summary", "/summary/current/empty_columns", Some("/summary/reference/empty_columns")),
    // Data quality (`summary`): one column.
    column("column.values_readable", "Values readable as the column's type", Bool, "summary", SUMMARY_COLUMNS, "/error", None).read(Read::Absent),
    column("column.count", "Number of values", Number, "summary", SUMMARY_COLUMNS, "/current/count", Some("/reference/count")),
    column("column.missing_count", "Number of missing values", Number, "summary", SUMMARY_COLUMNS, "/current/missing", Some("/reference/missing")),
    column("column.missing_share", "Share of missing values", Number, "summary", SUMMARY_COLUMNS, "/current/missing_share", Some("/reference/missing_share"))
        .defined_if(CURRENT_ROWS, NO_ROWS),
    column("column.distinct_count", "Number of distinct values", Number, "summary", SUMMARY_COLUMNS, "/current/distinct", Some("/reference/distinct")),
    column("column.distinct_share", "Share of distinct values", Number, "summary", SUMMARY_COLUMNS, "/current/distinct_share", Some("/reference/distinct_share"))
        .defined_if(CURRENT_ROWS, NO_ROWS),
    column("column.most_common_share", "Share of the most common value", Number, "summary", SUMMARY_COLUMNS, "/current/most_common_share", Some("/reference/most_common_share"))
        .defined_if(CURRENT_ROWS, NO_ROWS),
    column("column.most_common_count", "Count of the most common value", Number, "summary", SUMMARY_COLUMNS, "/current/most_common_count", Some("/reference/most_common_count")),
    column("column.infinite_count", "Number of infinite values", Number, "summary", SUMMARY_COLUMNS, "/current/numeric/infinite", Some("/reference/numeric/infinite")).types(NUM),
    column("column.infinite_share", "Share of infinite values", Number, "summary", SUMMARY_COLUMNS, "/current/numeric/infinite_share", Some("/reference/numeric/infinite_share")).types(NUM)
        .defined_if(CURRENT_ROWS, NO_ROWS),
    column("column.min", "Minimum", Number, "summary", SUMMARY_COLUMNS, "/current/numeric/min", Some("/reference/numeric/min")).types(NUM)
        .defined_if(CURRENT_ROWS, NO_ROWS),
    column("column.max", "Maximum", Number, "summary", SUMMARY_COLUMNS, "/current/numeric/max", Some("/reference/numeric/max")).types(NUM)
        .defined_if(CURRENT_ROWS, NO_ROWS),
    column("column.mean", "Mean", Number, "summary", SUMMARY_COLUMNS, "/current/numeric/mean", Some("/reference/numeric/mean")).types(NUM)
        .defined_if(CURRENT_ROWS, NO_ROWS),
    column("column.std", "Standard deviation", Number, "summary", SUMMARY_COLUMNS, "/current/numeric/std", Some("/reference/numeric/std")).types(NUM)
        .defined_if(CURRENT_ROWS, NO_ROWS),
    column("column.median", "Median", Number, "summary", SUMMARY_COLUMNS, "/current/numeric/q50", Some("/reference/numeric/q50")).types(NUM)
        .defined_if(CURRENT_ROWS, NO_ROWS),
    column("column.q25", "First quartile", Number, "summary", SUMMARY_COLUMNS, "/current/numeric/q25", Some("/reference/numeric/q25")).types(NUM)
        .defined_if(CURRENT_ROWS, NO_ROWS),
    column("column.q75", "Third quartile", Number, "summary", SUMMARY_COLUMNS, "/current/numeric/q75", Some("/reference/numeric/q75")).types(NUM)
        .defined_if(CURRENT_ROWS, NO_ROWS),
    column("column.new_labels", "Number of new labels", Number, "summary", SUMMARY_COLUMNS, "/categories/new_labels", None).types(CAT).count(),
    column("column.unused_labels", "Number of unused labels", Number, "summary", SUMMARY_COLUMNS, "/categories/unused_labels", None).types(CAT).count(),
    column("column.text_length_mean", "Mean text length", Number, "summary", SUMMARY_COLUMNS, "/current/text/length_mean", Some("/reference/text/length_mean")).types(TEXT)
        .defined_if(CURRENT_ROWS, NO_ROWS),
    column("column.text_length_min", "Shortest text length", Number, "summary", SUMMARY_COLUMNS, "/current/text/length_min", Some("/reference/text/length_min")).types(TEXT)
        .defined_if(CURRENT_ROWS, NO_ROWS),
    column("column.text_length_max", "Longest text length", Number, "summary", SUMMARY_COLUMNS, "/current/text/length_max", Some("/reference/text/length_max")).types(TEXT)
        .defined_if(CURRENT_ROWS, NO_ROWS),
    // Target and prediction drift (`target`): the role columns.
    dataset("target.drift_score", "Drift score of the target", Number, "target", "/target/target/score", None).absent(NO_TARGET).requires(ANY_TARGET),
    dataset("target.drifted", "Target drift", Bool, "target", "/target/target/drifted", None).absent(NO_TARGET).requires(ANY_TARGET),
    dataset("prediction.drift_score", "Drift score of the prediction", Number, "target", "/target/prediction/score", None).absent(NO_PREDICTION).requires(ANY_PREDICTION),
    dataset("prediction.drifted", "Prediction drift", Bool, "target", "/target/prediction/drifted", None).absent(NO_PREDICTION).requires(ANY_PREDICTION),
    column("column.proba_drift_score", "Drift score of the probability", Number, "target", PROBA_COLUMNS, "/score", None),
    column("column.proba_drifted", "Drift of the probability", Bool, "target", PROBA_COLUMNS, "/drifted", None),
    // Target and prediction drift (`target`): correlations of a feature with them.
    correlation("column.target_pearson", "Target Pearson correlation", "target", NUM_TARGET, "/current/pearson", "/reference/pearson"),
    correlation("column.target_spearman", "Target Spearman correlation", "target", NUM_TARGET, "/current/spearman", "/reference/spearman"),
    correlation("column.target_kendall", "Target Kendall correlation", "target", NUM_TARGET, "/current/kendall", "/reference/kendall"),
    correlation("column.target_cramers_v", "Target Cramér's V", "target", CAT_TARGET, "/current/cramers_v", "/reference/cramers_v"),
    correlation("column.prediction_pearson", "Prediction Pearson correlation", "prediction", NUM_PREDICTION, "/current/pearson", "/reference/pearson"),
    correlation("column.prediction_spearman", "Prediction Spearman correlation", "prediction", NUM_PREDICTION, "/current/spearman", "/reference/spearman"),
    correlation("column.prediction_kendall", "Prediction Kendall correlation", "prediction", NUM_PREDICTION, "/current/kendall", "/reference/kendall"),
    correlation("column.prediction_cramers_v", "Prediction Cramér's V", "prediction", CAT_PREDICTION, "/current/cramers_v", "/reference/cramers_v"),
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
    label("label.precision", "Precision", "/precision"),
    label("label.recall", "Recall", "/recall"),
    label("label.f1", "F1 score", "/f1"),
    label("label.roc_auc", "ROC AUC", "/roc_auc"),
    label("label.support", "Support", "/support"),
    // Regression quality (`regression`).
    dataset("mean_error", "Mean error", Number, "regression", "/regression/current/mean_error", Some("/regression/reference/mean_error")),
    dataset("error_std", "Standard deviation of the error", Number, "regression", "/regression/current/error_std", Some("/regression/reference/error_std")),
    dataset("mae", "Mean absolute error", Number, "regression", "/regression/current/mae", Some("/regression/reference/mae")),
    dataset("rmse", "Root mean squared error", Number, "regression", "/regression/current/rmse", Some("/regression/reference/rmse")),
    dataset("mape", "Mean absolute percentage error", Number, "regression", "/regression/current/mape", Some("/regression/reference/mape")),
    dataset("r2", "R²", Number, "regression", "/regression/current/r2", Some("/regression/reference/r2")),
    dataset("max_abs_error", "Maximum absolute error", Number, "regression", "/regression/current/max_abs_error", Some("/regression/reference/max_abs_error")),
    dataset("abs_error_std", "Standard deviation of the absolute error", Number, "regression", "/regression/current/abs_error_std", Some("/regression/reference/abs_error_std")),
    dataset("mape_std", "Standard deviation of the absolute percentage error", Number, "regression", "/regression/current/mape_std", Some("/regression/reference/mape_std")),
];

/// Looks a metric up by name.
pub(crate) fn metric(name: &str) -> Option<&'static Metric> {
    METRICS.iter().find(|m| m.name == name)
}

/// Where the names of the data's columns can be found in the results: arrays of entries
/// with a name field, or arrays of names.
static COLUMN_LISTS: &[(&str, Option<&str>)] = &[
    ("/drift/columns", Some("column")),
    ("/summary/columns", Some("column")),
    ("/summary/ignored_columns", None),
    ("/drift/skipped_columns", Some("column")),
    ("/drift/reference_only_columns", None),
    ("/drift/current_only_columns", None),
    ("/target/prediction_proba", Some("column")),
    ("/target/correlations", Some("feature")),
    ("/drift/embeddings", Some("name")),
    ("/drift/multivariate", Some("method")),
];

/// Entries that carry a column's type: (list, name field, type field).
static COLUMN_TYPES: &[(&str, &str, &str)] = &[
    ("/drift/columns", "column", "type"),
    ("/summary/columns", "column", "type"),
    ("/target/prediction_proba", "column", "type"),
    ("/target/correlations", "feature", "kind"),
];

/// The embedding `column` is a member of, according to the results.
fn embedding_of<'a>(results: &'a Value, column: &str) -> Option<&'a str> {
    ["/drift/embeddings", "/summary/embeddings"]
        .iter()
        .filter_map(|list| results.pointer(list)?.as_array())
        .flatten()
        .find(|e| {
            e.get("columns")
                .and_then(Value::as_array)
                .is_some_and(|m| m.iter().any(|c| c.as_str() == Some(column)))
        })
        .map(|e| e.get("name").and_then(Value::as_str).unwrap_or_default())
}

/// Every column of the data the results name (with the embeddings), for suggestions.
pub(crate) fn column_names(results: &Value) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for (list, key) in COLUMN_LISTS {
        let items = results.pointer(list).and_then(Value::as_array);
        for item in items.into_iter().flatten() {
            let name = match key {
                Some(k) => item.get(*k).and_then(Value::as_str),
                None => item.as_str(),
            };
            if let Some(n) = name.filter(|n| !names.contains(n)) {
                names.push(n);
            }
        }
    }
    names
}

/// Whether `column` is a column of the data according to the results.
pub(crate) fn column_known(results: &Value, column: &str) -> bool {
    embedding_of(results, column).is_some()
        || COLUMN_LISTS.iter().any(|(list, key)| {
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
pub(crate) fn column_type<'a>(results: &'a Value, column: &str) -> Option<&'a str> {
    COLUMN_TYPES.iter().find_map(|(list, key, field)| {
        find_entry(results.pointer(list)?, key, column, None)?
            .get(*field)?
            .as_str()
    })
}

/// The labels of the classification (current and reference), when it was computed.
pub(crate) fn classification_labels(results: &Value) -> Option<Vec<&str>> {
    let mut labels: Vec<&str> = Vec::new();
    let mut found = false;
    for side in ["current", "reference"] {
        let pointer = format!("/classification/{side}/labels");
        if let Some(list) = results.pointer(&pointer).and_then(Value::as_array) {
            found = true;
            for l in list.iter().filter_map(Value::as_str) {
                if !labels.contains(&l) {
                    labels.push(l);
                }
            }
        }
    }
    found.then_some(labels)
}

/// The entry named `name` in an array of entries (matched on `key`, and on `only` when
/// given) or an object keyed by name.
pub(crate) fn find_entry<'a>(
    entries: &'a Value,
    key: &str,
    name: &str,
    only: Option<(&str, &str)>,
) -> Option<&'a Value> {
    match entries {
        Value::Array(items) => items.iter().find(|item| {
            item.get(key).and_then(Value::as_str) == Some(name)
                && only.is_none_or(|(f, v)| item.get(f).and_then(Value::as_str) == Some(v))
        }),
        Value::Object(map) => map.get(name),
        _ => None,
    }
}

/// Why a metric has no value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Missing {
    /// The report section was not computed.
    Section(&'static str),
    /// The column or label has no entry there (e.g. not drift-tested), with the reason when
    /// known.
    Entry(Option<String>),
    /// The value is null (undefined), with the entry's recorded error when there is one.
    Undefined(Option<String>),
}

impl Missing {
    /// The reason, for `metric` of `subject` (the test's column or label).
    pub(crate) fn reason(&self, metric: &Metric, subject: Option<&str>) -> String {
        let name = subject.unwrap_or_default();
        let noun = metric.scope.field();
        match self {
            Missing::Section(s) => format!("the `{s}` part of the report was not computed"),
            Missing::Entry(Some(why)) => format!("{noun} `{name}` has no {}: {why}", metric.name),
            Missing::Entry(None) => {
                format!("{noun} `{name}` has no {} in the report", metric.name)
            }
            Missing::Undefined(Some(why)) => format!("{} is undefined: {why}", metric.name),
            Missing::Undefined(None) => format!("{} is undefined for this data", metric.name),
        }
    }
}

/// The recorded error of the object that holds the value at `pointer` (e.g. the `error` of
/// a drift entry whose score is null), or `absent` when that object is itself missing.
fn why_undefined(results: &Value, pointer: &str, absent: Option<&str>) -> Option<String> {
    let parent = &pointer[..pointer.rfind('/').unwrap_or(0)];
    match results.pointer(parent) {
        Some(Value::Object(o)) => o.get("error").and_then(Value::as_str).map(str::to_string),
        _ => absent.map(str::to_string),
    }
}

/// Reads the value at `location` for `subject`, the test's column or label.
pub(crate) fn read(
    results: &Value,
    metric: &Metric,
    location: &Location,
    subject: Option<&str>,
) -> Result<Value, Missing> {
    let section_present = results.get(metric.section).is_some_and(|v| !v.is_null());
    if !section_present {
        // Model quality is left out of a run over empty current data.
        let no_rows = results.pointer(CURRENT_ROWS).and_then(Value::as_u64) == Some(0);
        if no_rows && matches!(metric.section, "classification" | "regression") {
            return Err(Missing::Undefined(Some(NO_ROWS.to_string())));
        }
        return Err(Missing::Section(metric.section));
    }
    let (value, read) = match *location {
        Location::At(pointer, read) => match results.pointer(pointer) {
            Some(v) if !v.is_null() => (v, read),
            _ if matches!(read, Read::Present | Read::Absent) => {
                return Ok(Value::Bool(read == Read::Absent))
            }
            _ => {
                return Err(Missing::Undefined(why_undefined(
                    results,
                    pointer,
                    metric.absent,
                )))
            }
        },
        Location::InEntry {
            entries,
            key,
            only,
            field,
            read,
        } => {
            let name = subject.unwrap_or_default();
            // No list at all: this side of the part was not computed (e.g. no reference).
            let Some(list) = results.pointer(entries).filter(|v| !v.is_null()) else {
                return Err(Missing::Undefined(None));
            };
            let Some(entry) = find_entry(list, key, name, only) else {
                let why = match metric.scope {
                    Scope::Column => why_not_listed(results, name),
                    _ => None,
                };
                return Err(Missing::Entry(why));
            };
            match entry.pointer(field) {
                Some(v) if !v.is_null() => (v, read),
                _ if matches!(read, Read::Present | Read::Absent) => {
                    return Ok(Value::Bool(read == Read::Absent))
                }
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
    match read {
        Read::Value => Ok(value.clone()),
        Read::Count => match value {
            Value::Array(a) => Ok(Value::from(a.len())),
            Value::Object(o) => Ok(Value::from(o.len())),
            _ => Err(Missing::Undefined(None)),
        },
        Read::Present => Ok(Value::Bool(true)),
        Read::Absent => Ok(Value::Bool(false)),
    }
}

/// The recorded reason a column has no entry (e.g. "datetime column (not drift-tested)").
fn why_not_listed(results: &Value, column: &str) -> Option<String> {
    if let Some(name) = embedding_of(results, column) {
        return Some(format!(
            "a member of embedding `{name}`, tested as a whole (embedding.* metrics)"
        ));
    }
    if let Some(skipped) = results
        .pointer("/drift/skipped_columns")
        .and_then(|s| find_entry(s, "column", column, None))
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
pub(crate) fn current_value(
    results: &Value,
    metric: &Metric,
    subject: Option<&str>,
) -> Result<Value, Missing> {
    if let Some((count, why)) = metric.defined_if_positive {
        if results.get(metric.section).is_some_and(|v| !v.is_null())
            && results.pointer(count).and_then(Value::as_f64) == Some(0.0)
        {
            return Err(Missing::Undefined(Some(why.to_string())));
        }
    }
    read(results, metric, &metric.current, subject)
}
