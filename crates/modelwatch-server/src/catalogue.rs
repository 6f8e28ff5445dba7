//! The catalogue of metrics: every number the service exposes, in one place.
//!
//! [`SNAPSHOT_METRICS`] lists the flat metrics of a snapshot: how each is read from the one
//! `Results` value of a run, which `/metrics` family shows it, and whether alert rules and
//! `alerts export` may use it. [`SERVICE_FAMILIES`] lists the other families of `/metrics`
//! (requests, ingestion, model serving, alerts, SLOs), and [`DERIVED_RULE_METRICS`] the rule
//! metrics computed from several families. Snapshot extraction, every family's name and
//! help on `/metrics`, series, rule validation, `alerts export`, the dashboard and the
//! table of docs/server.md all read these tables, so a new metric is one entry here.

use std::collections::HashMap;

use modelwatch_core::results::Results;
use modelwatch_core::schema::ColumnRole;
use modelwatch_core::summary::{ColumnStats, ColumnSummary, DataSummary, DatasetStats};

use crate::metrics::{Encoder, Labels};
use crate::LatestSnapshot;

/// What one value of a snapshot metric belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One value per snapshot; the series' column is empty.
    Dataset,
    /// One value per column of the data; the series' column is the column's name.
    Column,
    /// One value per label of the prediction column; the series' column is the label.
    Label,
    /// One value per embedding (vector column); the series' column is the embedding's name.
    Embedding,
    /// One value per multivariate drift method; the series' column is the method's name
    /// (`reconstruction`, `domain_classifier`, `mmd`).
    Method,
}

/// The Prometheus type of a family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FamilyKind {
    /// A value that only grows (exposed with `_total`).
    Counter,
    /// A value that goes up and down.
    Gauge,
    /// Cumulative buckets with `_bucket`, `_sum` and `_count`.
    Histogram,
}

impl FamilyKind {
    /// The word of `# TYPE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Counter => "counter",
            Self::Gauge => "gauge",
            Self::Histogram => "histogram",
        }
    }
}

/// One family of `/metrics`.
#[derive(Debug)]
pub struct Family {
    /// The name given to the encoder (a counter's without `_total`).
    pub name: &'static str,
    /// Its Prometheus type.
    pub kind: FamilyKind,
    /// The `# HELP` text.
    pub help: &'static str,
    /// The label names of its samples, in order (a histogram's `le` left out).
    pub labels: &'static [&'static str],
    /// What docs/server.md says about the labels' values beyond their names (may be empty).
    pub note: &'static str,
}

impl Family {
    /// The name a text-format scrape shows in `# TYPE`: counters end in `_total`.
    pub fn exposed_name(&self) -> String {
        match self.kind {
            FamilyKind::Counter => format!("{}_total", self.name),
            _ => self.name.to_string(),
        }
    }
}

/// Reads a metric from a run's results: calls `emit(key, value)` for each value, where the
/// key is the column or label (empty for a dataset metric); `prediction` names the
/// prediction column. Values that are not finite are dropped by the caller.
pub type Read = fn(&Results, Option<&str>, &mut dyn FnMut(&str, f64));

/// One flat metric of a snapshot.
#[derive(Debug)]
pub struct CatalogueEntry {
    /// The name in snapshots, series and alert rules.
    pub metric: &'static str,
    /// What one value belongs to.
    pub scope: Scope,
    /// The `/metrics` family showing it.
    pub family: &'static Family,
    /// A label with a fixed value that tells this metric apart within a shared family
    /// (`metric="accuracy"` for `quality.accuracy`).
    pub fixed_label: Option<(&'static str, &'static str)>,
    /// How its values are read from `Results`.
    pub read: Read,
    /// Whether an alert rule may name it.
    pub rules: bool,
    /// Whether `alerts export` turns a rule on it into PromQL.
    pub export: bool,
}

impl CatalogueEntry {
    /// The label of the family carrying the entry's key (column or label), if any.
    pub fn key_label(&self) -> Option<&'static str> {
        match self.scope {
            Scope::Dataset => None,
            Scope::Column => Some("column"),
            Scope::Label => Some("class"),
            Scope::Embedding => Some("embedding"),
            Scope::Method => Some("method"),
        }
    }

    /// The PromQL selector of this metric: its family with `project`, the key label (for
    /// one column or label) and the fixed label matched. `quote` writes a label value.
    pub fn selector(
        &self,
        project: Option<&str>,
        key: Option<&str>,
        quote: impl Fn(&str) -> String,
    ) -> String {
        let mut matchers = Vec::new();
        if let Some(p) = project {
            matchers.push(format!("project={}", quote(p)));
        }
        if let (Some(label), Some(k)) = (self.key_label(), key) {
            matchers.push(format!("{label}={}", quote(k)));
        }
        if let Some((label, v)) = self.fixed_label {
            matchers.push(format!("{label}={}", quote(v)));
        }
        if matchers.is_empty() {
            self.family.name.to_string()
        } else {
            format!("{}{{{}}}", self.family.name, matchers.join(","))
        }
    }
}

/// A rule metric computed from several `/metrics` families rather than read from a
/// snapshot; parsed by `alerts::rules::MetricRef`.
#[derive(Debug)]
pub struct DerivedRuleMetric {
    /// The name a rule uses (`model_latency_p<NN>` stands for `p50`, `p95`, `p99`, ...).
    pub metric: &'static str,
    /// What it is.
    pub what: &'static str,
    /// The families its exported PromQL reads.
    pub families: &'static [&'static str],
}

/// Snapshot metric names the service's own code refers to.
pub mod names {
    /// Events in the snapshot's window.
    pub const ROWS: &str = "rows";
    /// A column's drift score: a p-value or a distance, as the column's test says.
    pub const DRIFT_SCORE: &str = "drift_score";
    /// 1 when a column drifted, else 0.
    pub const DRIFTED: &str = "drifted";
    /// Share of drifted columns, 0..1.
    pub const DRIFTED_SHARE: &str = "drifted_share";
    /// Number of drifted columns.
    pub const DRIFTED_COLUMNS: &str = "drifted_columns";
    /// 1 when the dataset drifted (the drifted share reached the drift share), else 0.
    pub const DATASET_DRIFT: &str = "dataset_drift";
    /// Share of missing cells in the window, 0..1.
    pub const MISSING_SHARE: &str = "missing_share";
    /// Share of missing cells in the reference, 0..1.
    pub const REFERENCE_MISSING_SHARE: &str = "reference_missing_share";
    /// A column's share of missing values in the window, 0..1.
    pub const COLUMN_MISSING_SHARE: &str = "column_missing_share";
    /// A predicted label's share of the window's predictions, 0..1.
    pub const CLASS_SHARE: &str = "class_share";
    /// An embedding's drift score (a ROC AUC, a share of components, a distance or an MMD²,
    /// as the embedding's method says).
    pub const EMBEDDING_DRIFT_SCORE: &str = "embedding_drift_score";
    /// 1 when an embedding drifted, else 0.
    pub const EMBEDDING_DRIFTED: &str = "embedding_drifted";
    /// A multivariate drift method's score (the mean reconstruction error, the domain
    /// classifier's ROC AUC, or the MMD test's p-value, as the method says).
    pub const MULTIVARIATE_DRIFT_SCORE: &str = "multivariate_drift_score";
    /// 1 when a multivariate drift method found drift, else 0.
    pub const MULTIVARIATE_DRIFTED: &str = "multivariate_drifted";
    /// The prefix of model-quality metrics (`quality.accuracy`, ...).
    pub const QUALITY_PREFIX: &str = "quality.";
}

use names::*;

/// `modelwatch_drift_score`.
pub static DRIFT_SCORE_FAMILY: Family = Family {
    name: "modelwatch_drift_score",
    kind: FamilyKind::Gauge,
    help:
        "Drift score of a column in the latest snapshot (a p-value or a distance, see the method).",
    labels: &["project", "column"],
    note: "",
};
/// `modelwatch_column_drifted`.
pub static COLUMN_DRIFTED_FAMILY: Family = Family {
    name: "modelwatch_column_drifted",
    kind: FamilyKind::Gauge,
    help: "1 when the column drifted in the latest snapshot.",
    labels: &["project", "column"],
    note: "",
};
/// `modelwatch_embedding_drift_score`.
pub static EMBEDDING_DRIFT_SCORE_FAMILY: Family = Family {
    name: "modelwatch_embedding_drift_score",
    kind: FamilyKind::Gauge,
    help: "Drift score of an embedding in the latest snapshot (see its method: model, ratio, distance or mmd).",
    labels: &["project", "embedding"],
    note: "",
};
/// `modelwatch_embedding_drifted`.
pub static EMBEDDING_DRIFTED_FAMILY: Family = Family {
    name: "modelwatch_embedding_drifted",
    kind: FamilyKind::Gauge,
    help: "1 when the embedding drifted in the latest snapshot.",
    labels: &["project", "embedding"],
    note: "",
};
/// `modelwatch_multivariate_drift_score`.
pub static MULTIVARIATE_DRIFT_SCORE_FAMILY: Family = Family {
    name: "modelwatch_multivariate_drift_score",
    kind: FamilyKind::Gauge,
    help: "Score of a multivariate drift method in the latest snapshot (reconstruction: mean error; domain_classifier: ROC AUC; mmd: p-value).",
    labels: &["project", "method"],
    note: "methods `reconstruction`, `domain_classifier`, `mmd`",
};
/// `modelwatch_multivariate_drifted`.
pub static MULTIVARIATE_DRIFTED_FAMILY: Family = Family {
    name: "modelwatch_multivariate_drifted",
    kind: FamilyKind::Gauge,
    help: "1 when the multivariate drift method found drift in the latest snapshot.",
    labels: &["project", "method"],
    note: "",
};
/// `modelwatch_drifted_columns_share`.
pub static DRIFTED_SHARE_FAMILY: Family = Family {
    name: "modelwatch_drifted_columns_share",
    kind: FamilyKind::Gauge,
    help: "Share of drifted columns in the latest snapshot.",
    labels: &["project"],
    note: "",
};
/// `modelwatch_drifted_columns`.
pub static DRIFTED_COLUMNS_FAMILY: Family = Family {
    name: "modelwatch_drifted_columns",
    kind: FamilyKind::Gauge,
    help: "Number of drifted columns in the latest snapshot.",
    labels: &["project"],
    note: "",
};
/// `modelwatch_dataset_drift`.
pub static DATASET_DRIFT_FAMILY: Family = Family {
    name: "modelwatch_dataset_drift",
    kind: FamilyKind::Gauge,
    help: "1 when the latest snapshot found dataset drift.",
    labels: &["project"],
    note: "",
};
/// The missing share a service watches, of one side (`dataset`, whose per-column counts
/// `side` picks) of `summary`: missing cells over cells, leaving out the id and timestamp
/// columns and the target. An id column the events do not fill is a column of missing
/// cells by design, a timestamp is the event's time, and a window's target cells are
/// missing until their labels arrive: counted, they make a healthy window look worse
/// than its reference at once. The same columns are left out of the reference's share, so
/// the two compare like with like. It is the summary's own dataset count less the counts
/// of the left-out columns (so the members of embeddings, which have no per-column entry,
/// still count); `None` when no cell is left.
pub fn monitored_missing_share(
    summary: &DataSummary,
    side: fn(&ColumnSummary) -> Option<&ColumnStats>,
    dataset: &DatasetStats,
) -> Option<f64> {
    let mut missing = dataset.missing_values;
    let mut cells = dataset.rows.saturating_mul(dataset.columns);
    for column in &summary.columns {
        if !matches!(
            column.role,
            ColumnRole::Id | ColumnRole::Timestamp | ColumnRole::Target
        ) {
            continue;
        }
        if let Some(stats) = side(column) {
            missing = missing.saturating_sub(stats.missing);
            cells = cells.saturating_sub(stats.rows);
        }
    }
    (cells > 0).then(|| missing as f64 / cells as f64)
}

/// `modelwatch_missing_values_share`.
pub static MISSING_SHARE_FAMILY: Family = Family {
    name: "modelwatch_missing_values_share",
    kind: FamilyKind::Gauge,
    help: "Share of missing values in the latest snapshot's window (id, timestamp and target columns left out).",
    labels: &["project"],
    note: "",
};
/// `modelwatch_reference_missing_values_share`.
pub static REFERENCE_MISSING_SHARE_FAMILY: Family = Family {
    name: "modelwatch_reference_missing_values_share",
    kind: FamilyKind::Gauge,
    help: "Share of missing values in the project's reference data (id, timestamp and target columns left out).",
    labels: &["project"],
    note: "",
};
/// `modelwatch_window_rows`.
pub static WINDOW_ROWS_FAMILY: Family = Family {
    name: "modelwatch_window_rows",
    kind: FamilyKind::Gauge,
    help: "Events in the latest snapshot's window.",
    labels: &["project"],
    note: "",
};
/// `modelwatch_column_missing_share`.
pub static COLUMN_MISSING_SHARE_FAMILY: Family = Family {
    name: "modelwatch_column_missing_share",
    kind: FamilyKind::Gauge,
    help: "Share of missing values of a column in the latest snapshot's window.",
    labels: &["project", "column"],
    note: "",
};
/// `modelwatch_prediction_class_share`.
pub static CLASS_SHARE_FAMILY: Family = Family {
    name: "modelwatch_prediction_class_share",
    kind: FamilyKind::Gauge,
    help: "Share of each predicted label in the latest snapshot's window.",
    labels: &["project", "class"],
    note: "",
};
/// `modelwatch_model_quality`.
pub static MODEL_QUALITY_FAMILY: Family = Family {
    name: "modelwatch_model_quality",
    kind: FamilyKind::Gauge,
    help: "Model quality in the latest snapshot with labels, by metric (accuracy, f1, mae, ...).",
    labels: &["project", "metric"],
    note: "",
};

/// Emits a dataset value that may be absent.
fn emit_some(emit: &mut dyn FnMut(&str, f64), value: Option<f64>) {
    if let Some(v) = value {
        emit("", v);
    }
}

/// A `quality.<field>` entry read from the current metrics of a model-quality report.
macro_rules! quality {
    ($report:ident, $field:ident) => {
        CatalogueEntry {
            metric: concat!("quality.", stringify!($field)),
            scope: Scope::Dataset,
            family: &MODEL_QUALITY_FAMILY,
            fixed_label: Some(("metric", stringify!($field))),
            read: |r, _, emit| {
                emit_some(
                    emit,
                    r.$report
                        .as_ref()
                        .and_then(|q| Option::<f64>::from(q.current.$field)),
                )
            },
            rules: true,
            export: true,
        }
    };
}

/// Every flat metric of a snapshot, in the order of their `/metrics` families.
pub static SNAPSHOT_METRICS: &[CatalogueEntry] = &[
    CatalogueEntry {
        metric: DRIFT_SCORE,
        scope: Scope::Column,
        family: &DRIFT_SCORE_FAMILY,
        fixed_label: None,
        read: |r, _, emit| {
            for c in r.drift.iter().flat_map(|d| &d.columns) {
                if let Some(score) = c.score {
                    emit(&c.column, score);
                }
            }
        },
        rules: true,
        export: true,
    },
    CatalogueEntry {
        metric: DRIFTED,
        scope: Scope::Column,
        family: &COLUMN_DRIFTED_FAMILY,
        fixed_label: None,
        read: |r, _, emit| {
            for c in r.drift.iter().flat_map(|d| &d.columns) {
                if let Some(drifted) = c.drifted {
                    emit(&c.column, f64::from(u8::from(drifted)));
                }
            }
        },
        rules: true,
        export: true,
    },
    CatalogueEntry {
        metric: EMBEDDING_DRIFT_SCORE,
        scope: Scope::Embedding,
        family: &EMBEDDING_DRIFT_SCORE_FAMILY,
        fixed_label: None,
        read: |r, _, emit| {
            for e in r.drift.iter().flat_map(|d| &d.embeddings) {
                if let Some(score) = e.score {
                    emit(&e.name, score);
                }
            }
        },
        rules: true,
        export: true,
    },
    CatalogueEntry {
        metric: EMBEDDING_DRIFTED,
        scope: Scope::Embedding,
        family: &EMBEDDING_DRIFTED_FAMILY,
        fixed_label: None,
        read: |r, _, emit| {
            for e in r.drift.iter().flat_map(|d| &d.embeddings) {
                if let Some(drifted) = e.drifted {
                    emit(&e.name, f64::from(u8::from(drifted)));
                }
            }
        },
        rules: true,
        export: true,
    },
    CatalogueEntry {
        metric: MULTIVARIATE_DRIFT_SCORE,
        scope: Scope::Method,
        family: &MULTIVARIATE_DRIFT_SCORE_FAMILY,
        fixed_label: None,
        read: |r, _, emit| {
            for m in r.drift.iter().flat_map(|d| &d.multivariate) {
                if let Some(score) = m.score {
                    emit(m.method.name(), score);
                }
            }
        },
        rules: true,
        export: true,
    },
    CatalogueEntry {
        metric: MULTIVARIATE_DRIFTED,
        scope: Scope::Method,
        family: &MULTIVARIATE_DRIFTED_FAMILY,
        fixed_label: None,
        read: |r, _, emit| {
            for m in r.drift.iter().flat_map(|d| &d.multivariate) {
                if let Some(drifted) = m.drifted {
                    emit(m.method.name(), f64::from(u8::from(drifted)));
                }
            }
        },
        rules: true,
        export: true,
    },
    CatalogueEntry {
        metric: DRIFTED_SHARE,
        scope: Scope::Dataset,
        family: &DRIFTED_SHARE_FAMILY,
        fixed_label: None,
        read: |r, _, emit| emit_some(emit, r.drift.as_ref().map(|d| d.drifted_share)),
        rules: true,
        export: true,
    },
    CatalogueEntry {
        metric: DRIFTED_COLUMNS,
        scope: Scope::Dataset,
        family: &DRIFTED_COLUMNS_FAMILY,
        fixed_label: None,
        read: |r, _, emit| emit_some(emit, r.drift.as_ref().map(|d| d.drifted_count as f64)),
        rules: true,
        export: true,
    },
    CatalogueEntry {
        metric: DATASET_DRIFT,
        scope: Scope::Dataset,
        family: &DATASET_DRIFT_FAMILY,
        fixed_label: None,
        read: |r, _, emit| {
            emit_some(
                emit,
                r.drift
                    .as_ref()
                    .map(|d| f64::from(u8::from(d.dataset_drift))),
            )
        },
        rules: true,
        export: true,
    },
    CatalogueEntry {
        metric: MISSING_SHARE,
        scope: Scope::Dataset,
        family: &MISSING_SHARE_FAMILY,
        fixed_label: None,
        read: |r, _, emit| {
            emit_some(
                emit,
                r.summary
                    .as_ref()
                    .and_then(|s| monitored_missing_share(s, |c| c.current.as_ref(), &s.current)),
            )
        },
        rules: true,
        export: true,
    },
    CatalogueEntry {
        metric: REFERENCE_MISSING_SHARE,
        scope: Scope::Dataset,
        family: &REFERENCE_MISSING_SHARE_FAMILY,
        fixed_label: None,
        read: |r, _, emit| {
            emit_some(
                emit,
                r.summary.as_ref().and_then(|s| {
                    let dataset = s.reference.as_ref()?;
                    monitored_missing_share(s, |c| c.reference.as_ref(), dataset)
                }),
            )
        },
        rules: true,
        export: true,
    },
    CatalogueEntry {
        metric: ROWS,
        scope: Scope::Dataset,
        family: &WINDOW_ROWS_FAMILY,
        fixed_label: None,
        read: |r, _, emit| emit("", r.meta.current_rows as f64),
        rules: true,
        export: true,
    },
    CatalogueEntry {
        metric: COLUMN_MISSING_SHARE,
        scope: Scope::Column,
        family: &COLUMN_MISSING_SHARE_FAMILY,
        fixed_label: None,
        read: |r, _, emit| {
            for c in r.summary.iter().flat_map(|s| &s.columns) {
                if let Some(m) = c.current.as_ref().and_then(|s| s.missing_share) {
                    emit(&c.column, m);
                }
            }
        },
        rules: true,
        export: true,
    },
    CatalogueEntry {
        metric: CLASS_SHARE,
        scope: Scope::Label,
        family: &CLASS_SHARE_FAMILY,
        fixed_label: None,
        read: |r, prediction, emit| {
            let columns = r.summary.iter().flat_map(|s| &s.columns);
            for c in columns.filter(|c| Some(c.column.as_str()) == prediction) {
                for l in c.categories.iter().flat_map(|cat| &cat.labels) {
                    if let Some(share) = l.current_share {
                        emit(&l.label, share);
                    }
                }
            }
        },
        rules: true,
        export: true,
    },
    quality!(classification, accuracy),
    quality!(classification, precision),
    quality!(classification, recall),
    quality!(classification, f1),
    quality!(classification, roc_auc),
    quality!(classification, log_loss),
    quality!(classification, tpr),
    quality!(classification, tnr),
    quality!(classification, fpr),
    quality!(classification, fnr),
    quality!(regression, mean_error),
    quality!(regression, mae),
    quality!(regression, rmse),
    quality!(regression, mape),
    quality!(regression, r2),
    quality!(regression, max_abs_error),
];

/// `modelwatch_snapshot_age_seconds`: from the latest snapshot's time, not its results.
pub static SNAPSHOT_AGE_FAMILY: Family = Family {
    name: "modelwatch_snapshot_age_seconds",
    kind: FamilyKind::Gauge,
    help: "Seconds since the latest snapshot was taken.",
    labels: &["project"],
    note: "",
};

/// `modelwatch_http_requests`.
pub static HTTP_REQUESTS_FAMILY: Family = Family {
    name: "modelwatch_http_requests",
    kind: FamilyKind::Counter,
    help: "HTTP requests served by modelwatch, by route, method and status code.",
    labels: &["route", "method", "code"],
    note: "",
};
/// `modelwatch_http_request_errors`.
pub static HTTP_REQUEST_ERRORS_FAMILY: Family = Family {
    name: "modelwatch_http_request_errors",
    kind: FamilyKind::Counter,
    help: "HTTP requests modelwatch answered with a 5xx status, by route.",
    labels: &["route"],
    note: "",
};
/// `modelwatch_http_request_duration_seconds`.
pub static HTTP_REQUEST_DURATION_SECONDS_FAMILY: Family = Family {
    name: "modelwatch_http_request_duration_seconds",
    kind: FamilyKind::Histogram,
    help: "Time modelwatch took to answer HTTP requests, by route.",
    labels: &["route"],
    note: "",
};
/// `modelwatch_ingest_events_accepted`.
pub static INGEST_EVENTS_ACCEPTED_FAMILY: Family = Family {
    name: "modelwatch_ingest_events_accepted",
    kind: FamilyKind::Counter,
    help: "Events stored, by project.",
    labels: &["project"],
    note: "",
};
/// `modelwatch_ingest_events_rejected`.
pub static INGEST_EVENTS_REJECTED_FAMILY: Family = Family {
    name: "modelwatch_ingest_events_rejected",
    kind: FamilyKind::Counter,
    help: "Events rejected at ingestion, by project and reason.",
    labels: &["project", "reason"],
    note: "reasons `malformed_row`, `invalid_value`, `invalid_field`",
};
/// `modelwatch_ingest_bytes`.
pub static INGEST_BYTES_FAMILY: Family = Family {
    name: "modelwatch_ingest_bytes",
    kind: FamilyKind::Counter,
    help: "Bytes of ingest request bodies, by project.",
    labels: &["project"],
    note: "",
};
/// `modelwatch_labels_joined`.
pub static LABELS_JOINED_FAMILY: Family = Family {
    name: "modelwatch_labels_joined",
    kind: FamilyKind::Counter,
    help: "Stored events that received a label through the labels endpoint, by project.",
    labels: &["project"],
    note: "",
};
/// `modelwatch_model_requests`.
pub static MODEL_REQUESTS_FAMILY: Family = Family {
    name: "modelwatch_model_requests",
    kind: FamilyKind::Counter,
    help: "Requests of the monitored model reported in events, by project and status code.",
    labels: &["project", "code"],
    note: "code `unknown` without a status",
};
/// `modelwatch_cloudevents`.
pub static CLOUDEVENTS_FAMILY: Family = Family {
    name: "modelwatch_cloudevents",
    kind: FamilyKind::Counter,
    help: "Payload logger inferences (KServe, Seldon) by what became of them: joined, stored \
           without their response or request, duplicates dropped, rejected.",
    labels: &["outcome"],
    note: "outcomes `joined`, `request_only`, `response_only`, `duplicate`, `rejected`, \
           `commit_failed`, `lost`",
};
/// `modelwatch_model_errors`.
pub static MODEL_ERRORS_FAMILY: Family = Family {
    name: "modelwatch_model_errors",
    kind: FamilyKind::Counter,
    help: "Requests of the monitored model that failed (an error or a 5xx status), by project.",
    labels: &["project"],
    note: "",
};
/// `modelwatch_model_latency_seconds`.
pub static MODEL_LATENCY_SECONDS_FAMILY: Family = Family {
    name: "modelwatch_model_latency_seconds",
    kind: FamilyKind::Histogram,
    help: "Latency of the monitored model reported in events, by project.",
    labels: &["project"],
    note: "",
};
/// `modelwatch_alerts`.
pub static ALERTS_FAMILY: Family = Family {
    name: "modelwatch_alerts",
    kind: FamilyKind::Gauge,
    help: "Alerts evaluated by modelwatch that are pending or firing (1 per alert).",
    labels: &["alertname", "project", "severity", "alertstate"],
    note: "",
};
/// `modelwatch_slo_objective`.
pub static SLO_OBJECTIVE_FAMILY: Family = Family {
    name: "modelwatch_slo_objective",
    kind: FamilyKind::Gauge,
    help: "Target share of good requests of an SLO.",
    labels: &["project", "slo"],
    note: "",
};
/// `modelwatch_slo_sli`.
pub static SLO_SLI_FAMILY: Family = Family {
    name: "modelwatch_slo_sli",
    kind: FamilyKind::Gauge,
    help: "Share of good requests over the SLO window (absent without requests).",
    labels: &["project", "slo"],
    note: "",
};
/// `modelwatch_slo_error_budget_remaining`.
pub static SLO_ERROR_BUDGET_REMAINING_FAMILY: Family = Family {
    name: "modelwatch_slo_error_budget_remaining",
    kind: FamilyKind::Gauge,
    help: "Share of the SLO window's error budget left (negative when overspent).",
    labels: &["project", "slo"],
    note: "",
};
/// `modelwatch_slo_burn_rate`.
pub static SLO_BURN_RATE_FAMILY: Family = Family {
    name: "modelwatch_slo_burn_rate",
    kind: FamilyKind::Gauge,
    help: "Error budget burn rate of an SLO over a window (1 spends the budget exactly).",
    labels: &["project", "slo", "window"],
    note: "windows 5m, 30m, 1h, 6h, 3d",
};
/// `modelwatch_last_event_timestamp_seconds`.
pub static LAST_EVENT_TIMESTAMP_SECONDS_FAMILY: Family = Family {
    name: "modelwatch_last_event_timestamp_seconds",
    kind: FamilyKind::Gauge,
    help: "Unix time of the newest event ingested since the server started, by project.",
    labels: &["project"],
    note: "",
};
/// `modelwatch_schedule_interval_seconds`.
pub static SCHEDULE_INTERVAL_SECONDS_FAMILY: Family = Family {
    name: "modelwatch_schedule_interval_seconds",
    kind: FamilyKind::Gauge,
    help: "Time between scheduled snapshots of a project (0: none).",
    labels: &["project"],
    note: "",
};

/// The families of `/metrics` that are not snapshot metrics, in the order of a scrape
/// (`metrics::Recorder`, then the snapshot age, then `alerts::encode`).
pub static SERVICE_FAMILIES: &[&Family] = &[
    &HTTP_REQUESTS_FAMILY,
    &HTTP_REQUEST_ERRORS_FAMILY,
    &HTTP_REQUEST_DURATION_SECONDS_FAMILY,
    &INGEST_EVENTS_ACCEPTED_FAMILY,
    &INGEST_EVENTS_REJECTED_FAMILY,
    &INGEST_BYTES_FAMILY,
    &LABELS_JOINED_FAMILY,
    &MODEL_REQUESTS_FAMILY,
    &MODEL_ERRORS_FAMILY,
    &MODEL_LATENCY_SECONDS_FAMILY,
    &CLOUDEVENTS_FAMILY,
    &SNAPSHOT_AGE_FAMILY,
    &ALERTS_FAMILY,
    &SLO_OBJECTIVE_FAMILY,
    &SLO_SLI_FAMILY,
    &SLO_ERROR_BUDGET_REMAINING_FAMILY,
    &SLO_BURN_RATE_FAMILY,
    &LAST_EVENT_TIMESTAMP_SECONDS_FAMILY,
    &SCHEDULE_INTERVAL_SECONDS_FAMILY,
];

/// The rule metrics that are not snapshot metrics.
pub static DERIVED_RULE_METRICS: &[DerivedRuleMetric] = &[
    DerivedRuleMetric {
        metric: "missing_share_excess",
        what: "the latest window's missing share minus the reference's",
        families: &[
            "modelwatch_missing_values_share",
            "modelwatch_reference_missing_values_share",
        ],
    },
    DerivedRuleMetric {
        metric: "no_data_intervals",
        what: "time since the newest event, in schedule intervals",
        families: &[
            "modelwatch_last_event_timestamp_seconds",
            "modelwatch_schedule_interval_seconds",
        ],
    },
    DerivedRuleMetric {
        metric: "ingest_rejected_rate",
        what: "rejected over all ingested rows in the rule's window",
        families: &[
            "modelwatch_ingest_events_accepted",
            "modelwatch_ingest_events_rejected",
        ],
    },
    DerivedRuleMetric {
        metric: "model_error_rate",
        what: "failed over all monitored-model requests in the rule's window",
        families: &["modelwatch_model_errors", "modelwatch_model_requests"],
    },
    DerivedRuleMetric {
        metric: "model_latency_p<NN>",
        what: "a latency quantile of the monitored model over the rule's window, in seconds",
        families: &["modelwatch_model_latency_seconds"],
    },
];

/// The snapshot metric named `metric`, if the catalogue has it.
pub fn snapshot_metric(metric: &str) -> Option<&'static CatalogueEntry> {
    SNAPSHOT_METRICS.iter().find(|e| e.metric == metric)
}

/// The families of the snapshot metrics, each once, in catalogue order.
pub fn snapshot_families() -> Vec<&'static Family> {
    let mut out: Vec<&'static Family> = Vec::new();
    for e in SNAPSHOT_METRICS {
        if !out.iter().any(|f| f.name == e.family.name) {
            out.push(e.family);
        }
    }
    out
}

/// Every family of `/metrics`: the snapshot families, then the others.
pub fn all_families() -> Vec<&'static Family> {
    let mut out = snapshot_families();
    out.extend(SERVICE_FAMILIES.iter().copied());
    out
}

/// The rule metric names that read `family` (snapshot metrics, then derived ones).
pub fn rule_metrics_of(family: &str) -> Vec<&'static str> {
    let snapshot = SNAPSHOT_METRICS
        .iter()
        .filter(|e| e.rules && e.family.name == family)
        .map(|e| e.metric);
    let derived = DERIVED_RULE_METRICS
        .iter()
        .filter(|d| d.families.contains(&family))
        .map(|d| d.metric);
    snapshot.chain(derived).collect()
}

/// Writes the gauges read from each project's latest snapshot, projects in name order,
/// then the snapshot age. A stored metric the catalogue does not know is left out.
pub fn encode_latest(latest: &HashMap<String, LatestSnapshot>, now_us: i64, enc: &mut Encoder) {
    let mut names: Vec<&String> = latest.keys().collect();
    names.sort();
    // Each stored row's catalogue entry, looked up once per scrape.
    let rows: Vec<(
        &String,
        Vec<(&crate::store::SnapshotMetric, &CatalogueEntry)>,
    )> = names
        .iter()
        .map(|name| {
            let known = latest[*name]
                .metrics
                .iter()
                .filter_map(|m| snapshot_metric(&m.metric).map(|e| (m, e)))
                .collect();
            (*name, known)
        })
        .collect();
    for family in snapshot_families() {
        let samples = rows.iter().flat_map(|(name, known)| {
            known
                .iter()
                .filter(|(_, e)| e.family.name == family.name)
                .map(|(m, e)| {
                    let mut l: Labels = vec![("project", (*name).clone())];
                    if let Some(label) = e.key_label() {
                        if !m.column.is_empty() {
                            l.push((label, m.column.clone()));
                        }
                    }
                    if let Some((label, v)) = e.fixed_label {
                        l.push((label, v.to_string()));
                    }
                    (l, m.value)
                })
        });
        enc.gauge(family.name, family.help, samples);
    }
    enc.gauge(
        SNAPSHOT_AGE_FAMILY.name,
        SNAPSHOT_AGE_FAMILY.help,
        names.iter().map(|name| {
            (
                vec![("project", (*name).clone())],
                (now_us - latest[*name].meta.taken_us).max(0) as f64 / 1e6,
            )
        }),
    );
}

/// The table of every `/metrics` family as docs/server.md shows it: family, type, labels,
/// help and the rule metrics reading it.
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| family | type | labels | help | rule metrics |\n| --- | --- | --- | --- | --- |\n",
    );
    for row in table_rows() {
        out.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    out
}

/// The cells of [`markdown_table`]'s rows.
pub fn table_rows() -> Vec<[String; 5]> {
    all_families()
        .into_iter()
        .map(|f| {
            let code = |s: &str| format!("`{s}`");
            let mut labels = f.labels.join(", ");
            if !f.note.is_empty() {
                labels = format!("{labels} ({})", f.note);
            }
            let rules: Vec<String> = rule_metrics_of(f.name).into_iter().map(code).collect();
            [
                code(&f.exposed_name()),
                f.kind.as_str().to_string(),
                labels,
                f.help.to_string(),
                rules.join(", "),
            ]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each entry's family carries `project`, then its key label, then its fixed label,
    /// and entries sharing a family are told apart by the fixed label.
    #[test]
    fn entries_agree_with_their_families() {
        for e in SNAPSHOT_METRICS {
            let mut want = vec!["project"];
            want.extend(e.key_label());
            want.extend(e.fixed_label.map(|(l, _)| l));
            assert_eq!(e.family.labels, &want[..], "{}", e.metric);
            assert_eq!(e.family.kind, FamilyKind::Gauge, "{}", e.metric);
            if let Some(rest) = e.metric.strip_prefix(names::QUALITY_PREFIX) {
                assert_eq!(e.fixed_label, Some(("metric", rest)), "{}", e.metric);
            }
            let shared = SNAPSHOT_METRICS
                .iter()
                .filter(|o| o.family.name == e.family.name)
                .count();
            assert!(shared == 1 || e.fixed_label.is_some(), "{}", e.metric);
        }
        let mut names: Vec<String> = all_families().iter().map(|f| f.exposed_name()).collect();
        let n = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), n, "a family is listed twice");
        let mut metrics: Vec<&str> = SNAPSHOT_METRICS.iter().map(|e| e.metric).collect();
        metrics.sort_unstable();
        metrics.dedup();
        assert_eq!(
            metrics.len(),
            SNAPSHOT_METRICS.len(),
            "a metric is listed twice"
        );
    }

    /// The snapshot gauges: projects in name order, each family's rows in stored order,
    /// the key and fixed labels after `project`, unknown stored names left out.
    #[test]
    fn latest_snapshots_become_gauges() {
        use crate::metrics::ExpositionFormat;
        use crate::store::{SnapshotMeta, SnapshotMetric};
        let m = |metric: &str, column: &str, value: f64| SnapshotMetric {
            metric: metric.into(),
            column: column.into(),
            value,
        };
        let mut latest = HashMap::new();
        for (name, taken_us) in [("b", 2_000_000), ("a \"q\"", 0)] {
            let metrics = vec![
                m("quality.f1", "", 0.5),
                m("drift_score", "x", 0.01),
                m("drifted_columns", "", 1.0),
                m("embedding_drifted", "emb", 1.0),
                m("class_share", "yes", 0.25),
                m("quality.accuracy", "", 0.75),
                m("not_catalogued", "", 3.0),
            ];
            let meta = SnapshotMeta {
                id: 1,
                taken_us,
                window_from_us: 0,
                window_to_us: 0,
                rows: 10,
            };
            latest.insert(name.to_string(), LatestSnapshot { meta, metrics });
        }
        let mut enc = Encoder::new(ExpositionFormat::Text004);
        encode_latest(&latest, 5_000_000, &mut enc);
        let text = enc.finish();
        let samples: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(
            samples,
            [
                r#"modelwatch_drift_score{project="a \"q\"",column="x"} 0.01"#,
                r#"modelwatch_drift_score{project="b",column="x"} 0.01"#,
                r#"modelwatch_embedding_drifted{project="a \"q\"",embedding="emb"} 1.0"#,
                r#"modelwatch_embedding_drifted{project="b",embedding="emb"} 1.0"#,
                r#"modelwatch_drifted_columns{project="a \"q\""} 1.0"#,
                r#"modelwatch_drifted_columns{project="b"} 1.0"#,
                r#"modelwatch_prediction_class_share{project="a \"q\"",class="yes"} 0.25"#,
                r#"modelwatch_prediction_class_share{project="b",class="yes"} 0.25"#,
                r#"modelwatch_model_quality{project="a \"q\"",metric="f1"} 0.5"#,
                r#"modelwatch_model_quality{project="a \"q\"",metric="accuracy"} 0.75"#,
                r#"modelwatch_model_quality{project="b",metric="f1"} 0.5"#,
                r#"modelwatch_model_quality{project="b",metric="accuracy"} 0.75"#,
                r#"modelwatch_snapshot_age_seconds{project="a \"q\""} 5.0"#,
                r#"modelwatch_snapshot_age_seconds{project="b"} 3.0"#,
            ]
        );
        let families = text.lines().filter(|l| l.starts_with("# TYPE ")).count();
        assert_eq!(families, snapshot_families().len() + 1, "{text}");
    }

    /// A drift report with nothing in it, for tests that fill in one part.
    fn empty_drift() -> modelwatch_core::drift::DriftReport {
        modelwatch_core::drift::DriftReport {
            drift_share: 0.5,
            column_count: 0,
            drifted_count: 0,
            drifted_share: 0.0,
            dataset_drift: false,
            columns: vec![],
            reference_only_columns: vec![],
            current_only_columns: vec![],
            skipped_columns: vec![],
            untested_columns: vec![],
            embeddings: vec![],
            multivariate: vec![],
        }
    }

    /// Results holding only `drift`.
    fn drift_results(drift: modelwatch_core::drift::DriftReport) -> Results {
        Results {
            drift: Some(drift),
            summary: None,
            target: None,
            classification: None,
            regression: None,
            meta: modelwatch_core::results::Meta {
                reference: String::new(),
                current: String::new(),
                reference_rows: 0,
                current_rows: 0,
                version: String::new(),
                generated_at: String::new(),
                seed: 0,
                time_range: None,
            },
        }
    }

    /// The embedding entries read each embedding's score and verdict from the drift results,
    /// and leave out an embedding that could not be tested.
    #[test]
    fn embeddings_are_read_from_the_drift_results() {
        use modelwatch_core::drift::{DriftReport, EmbeddingDriftResult};
        let mut tested = EmbeddingDriftResult::unreadable("emb", String::new());
        (tested.score, tested.drifted, tested.error) = (Some(0.75), Some(true), None);
        let untested = EmbeddingDriftResult::unreadable("bad", "rows of different lengths".into());
        let results = drift_results(DriftReport {
            embeddings: vec![tested, untested],
            ..empty_drift()
        });
        for (metric, want) in [(EMBEDDING_DRIFT_SCORE, 0.75), (EMBEDDING_DRIFTED, 1.0)] {
            let entry = snapshot_metric(metric).unwrap();
            assert_eq!(entry.key_label(), Some("embedding"));
            let mut got = Vec::new();
            (entry.read)(&results, None, &mut |k, v| got.push((k.to_string(), v)));
            assert_eq!(got, [("emb".to_string(), want)], "{metric}");
            assert_eq!(
                entry.selector(Some("p"), Some("emb"), |s| format!("{s:?}")),
                format!("{}{{project=\"p\",embedding=\"emb\"}}", entry.family.name)
            );
        }
    }

    /// The multivariate entries read each method's score and verdict, keyed by the method's
    /// name, and leave out a method that could not run.
    #[test]
    fn multivariate_methods_are_read_from_the_drift_results() {
        use modelwatch_core::drift::{DriftReport, MultivariateDrift, MultivariateMethod};
        let method = |method, score: Option<f64>, drifted, error: Option<&str>| MultivariateDrift {
            method,
            score,
            lower_threshold: score.map(|_| 0.45),
            upper_threshold: score.map(|_| 0.65),
            drifted,
            columns: vec!["a".into(), "b".into()],
            contributions: vec![],
            details: serde_json::Map::new(),
            error: error.map(str::to_string),
        };
        let results = drift_results(DriftReport {
            multivariate: vec![
                method(
                    MultivariateMethod::DomainClassifier,
                    Some(0.875),
                    Some(true),
                    None,
                ),
                method(MultivariateMethod::Mmd, None, None, Some("one row")),
            ],
            ..empty_drift()
        });
        for (metric, want) in [
            (MULTIVARIATE_DRIFT_SCORE, 0.875),
            (MULTIVARIATE_DRIFTED, 1.0),
        ] {
            let entry = snapshot_metric(metric).unwrap();
            assert_eq!(entry.key_label(), Some("method"));
            let mut got = Vec::new();
            (entry.read)(&results, None, &mut |k, v| got.push((k.to_string(), v)));
            assert_eq!(got, [("domain_classifier".to_string(), want)], "{metric}");
            assert_eq!(
                entry.selector(Some("p"), Some("mmd"), |s| format!("{s:?}")),
                format!("{}{{project=\"p\",method=\"mmd\"}}", entry.family.name)
            );
        }
    }

    /// Every family a derived rule metric reads is on `/metrics`.
    #[test]
    fn derived_rule_metrics_read_catalogued_families() {
        for d in DERIVED_RULE_METRICS {
            for f in d.families {
                assert!(
                    all_families().iter().any(|x| x.name == *f),
                    "{}: {f} is not catalogued",
                    d.metric
                );
            }
        }
    }

    /// The rows of the first table under `## /metrics` in docs/server.md.
    fn documented_rows() -> Vec<Vec<String>> {
        let doc = include_str!("../../../docs/server.md");
        let section = doc
            .split("\n## /metrics\n")
            .nth(1)
            .expect("docs/server.md has a `## /metrics` section");
        section
            .lines()
            .skip_while(|l| !l.starts_with('|'))
            .take_while(|l| l.starts_with('|'))
            .skip(2)
            .map(|l| {
                l.trim()
                    .trim_start_matches('|')
                    .trim_end_matches('|')
                    .split('|')
                    .map(|c| c.trim().to_string())
                    .collect()
            })
            .collect()
    }

    /// docs/server.md lists every family of the catalogue and nothing else, with the same
    /// type, labels, help and rule metrics.
    #[test]
    fn the_documented_table_matches_the_catalogue() {
        let documented = documented_rows();
        let expected = table_rows();
        let mut problems = Vec::new();
        for want in &expected {
            match documented.iter().find(|d| d.first() == Some(&want[0])) {
                None => problems.push(format!("{} is not in docs/server.md", want[0])),
                Some(got) if got[..] != want[..] => problems.push(format!(
                    "{}: docs/server.md has {got:?}, the catalogue {want:?}",
                    want[0]
                )),
                Some(_) => {}
            }
        }
        for got in &documented {
            if !expected.iter().any(|w| Some(&w[0]) == got.first()) {
                problems.push(format!(
                    "{} is in docs/server.md but not in the catalogue",
                    got.first().map_or("(an empty row)", String::as_str)
                ));
            }
        }
        assert!(
            problems.is_empty(),
            "docs/server.md's /metrics table differs from the catalogue:\n{}\n\nthe table from \
             the catalogue:\n{}",
            problems.join("\n"),
            markdown_table()
        );
    }
}
