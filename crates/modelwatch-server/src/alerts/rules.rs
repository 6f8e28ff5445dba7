//! Alert rules: a condition on a metric, how long it must hold, and what to say.
//!
//! A rule's identity is its name plus its project scope: a rule for one project shadows the
//! all-projects rule of the same name for that project (so a default rule is switched off
//! for one project with `enabled = false` on a project rule of the same name).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::catalogue;
use crate::project::parse_duration;

/// Compares a metric's value with the threshold; written as its symbol (`>`, `>=`, ...)
/// in the configuration and the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Operator {
    /// `>`: the value is above the threshold (the default).
    #[default]
    #[serde(rename = ">")]
    Gt,
    /// `>=`: the value is at or above the threshold.
    #[serde(rename = ">=")]
    Ge,
    /// `<`: the value is below the threshold.
    #[serde(rename = "<")]
    Lt,
    /// `<=`: the value is at or below the threshold.
    #[serde(rename = "<=")]
    Le,
    /// `==`: the value equals the threshold exactly.
    #[serde(rename = "==")]
    Eq,
    /// `!=`: the value differs from the threshold.
    #[serde(rename = "!=")]
    Ne,
}

impl Operator {
    /// Whether `value` compared with `threshold` holds; a NaN value holds only with `!=`.
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Self::Gt => value > threshold,
            Self::Ge => value >= threshold,
            Self::Lt => value < threshold,
            Self::Le => value <= threshold,
            Self::Eq => value == threshold,
            Self::Ne => value != threshold,
        }
    }

    /// The PromQL comparison.
    pub fn symbol(self) -> &'static str {
        match self {
            Self::Gt => ">",
            Self::Ge => ">=",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Eq => "==",
            Self::Ne => "!=",
        }
    }
}

fn zero() -> String {
    "0s".into()
}
fn five_minutes() -> String {
    "5m".into()
}
fn warning() -> String {
    "warning".into()
}
/// One alert rule, as written in `[[alerts.rules]]` or sent to `/api/v1/alerts/rules`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// The `alertname` label.
    pub name: String,
    /// A project name; absent: every project, including projects created later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// What is compared (see [`MetricRef::parse`]).
    pub metric: String,
    /// Only this column of a per-column metric; absent: every column (one alert each).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// How the value is compared with `threshold`; `>` when absent.
    #[serde(default)]
    pub operator: Operator,
    /// The value compared with, in the metric's unit (a share 0..1, a score, seconds for
    /// a latency, schedule intervals for `no_data_intervals`); must be finite.
    pub threshold: f64,
    /// How long the condition must hold before the alert fires (pending until then).
    #[serde(default = "zero", rename = "for")]
    pub for_duration: String,
    /// How long the alert keeps firing after the condition stopped holding.
    #[serde(default = "zero")]
    pub keep_firing_for: String,
    /// The window of rate and quantile metrics (`model_error_rate`, ...).
    #[serde(default = "five_minutes")]
    pub window: String,
    /// The `severity` label (free text; `warning` when absent).
    #[serde(default = "warning")]
    pub severity: String,
    /// Extra labels of its alerts; names must be Prometheus label names and not one of
    /// [`RESERVED_LABELS`].
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// `summary`, `description`, `runbook_url`, ...; `{{value}}`, `{{project}}`,
    /// `{{column}}`, `{{threshold}}` and `{{rule}}` are replaced. `condition` is set by
    /// modelwatch on every alert (the value and the threshold, see
    /// [`super::AlertCondition::describe`]).
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// `false` switches the rule off, and with it any rule of the same name it shadows
    /// for its projects.
    #[serde(default = "super::yes")]
    pub enabled: bool,
    /// Receiver names; empty: every receiver.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub receivers: Vec<String>,
}

/// What a rule's metric names.
#[derive(Debug, Clone, PartialEq)]
pub enum MetricRef {
    /// A flat metric of the latest snapshot (an entry of
    /// [`SNAPSHOT_METRICS`](crate::catalogue::SNAPSHOT_METRICS)).
    Snapshot {
        /// The metric's name in the catalogue.
        name: String,
        /// Whether the metric has one value per column (or per label), giving one alert
        /// each.
        per_column: bool,
    },
    /// The latest snapshot's missing share minus the reference's.
    MissingShareExcess,
    /// Time since the newest event, in schedule intervals.
    NoDataIntervals,
    /// Rejected over all ingested rows in the window.
    IngestRejectedRate,
    /// Failed over all monitored-model requests in the window.
    ModelErrorRate,
    /// A latency quantile of the monitored model over the window, in seconds.
    ModelLatencyQuantile(f64),
}

impl MetricRef {
    /// Parses a metric name: a snapshot metric of the catalogue that rules may use
    /// (`crate::catalogue::SNAPSHOT_METRICS`: `dataset_drift`, `drift_score`,
    /// `quality.accuracy`, ...), or one of `crate::catalogue::DERIVED_RULE_METRICS`:
    /// `missing_share_excess`, `no_data_intervals`, `ingest_rejected_rate`,
    /// `model_error_rate` or `model_latency_p<NN>` (`p50`, `p95`, `p99`, `p999`).
    pub fn parse(name: &str) -> Result<Self, String> {
        if let Some(entry) = catalogue::snapshot_metric(name).filter(|e| e.rules) {
            return Ok(Self::Snapshot {
                name: name.into(),
                per_column: entry.scope != catalogue::Scope::Dataset,
            });
        }
        match name {
            "missing_share_excess" => return Ok(Self::MissingShareExcess),
            "no_data_intervals" => return Ok(Self::NoDataIntervals),
            "ingest_rejected_rate" => return Ok(Self::IngestRejectedRate),
            "model_error_rate" => return Ok(Self::ModelErrorRate),
            _ => {}
        }
        if let Some(digits) = name.strip_prefix("model_latency_p") {
            if !digits.is_empty() && digits.len() <= 4 && digits.bytes().all(|b| b.is_ascii_digit())
            {
                let q: f64 = format!("0.{digits}")
                    .parse()
                    .map_err(|_| name.to_string())?;
                if q > 0.0 {
                    return Ok(Self::ModelLatencyQuantile(q));
                }
            }
        }
        // Snapshot metrics a rule may watch, then the metrics derived for rules only.
        let known: Vec<&str> = catalogue::SNAPSHOT_METRICS
            .iter()
            .filter(|e| e.rules)
            .map(|e| e.metric)
            .chain(catalogue::DERIVED_RULE_METRICS.iter().map(|d| d.metric))
            .collect();
        Err(format!(
            "unknown metric `{name}`: {}",
            modelwatch_core::suggest::hint(name, &known, Some("docs/alerts.md"))
        ))
    }

    /// Whether the metric has a value per column, so that a rule may pick one `column`.
    pub fn per_column(&self) -> bool {
        matches!(
            self,
            Self::Snapshot {
                per_column: true,
                ..
            }
        )
    }
}

/// A Prometheus label name.
pub fn valid_label_name(n: &str) -> bool {
    let mut b = n.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// Labels modelwatch sets itself.
pub const RESERVED_LABELS: [&str; 4] = ["alertname", "project", "column", "severity"];

impl Rule {
    /// `for` as a duration; zero when it does not parse (which [`Self::validate`] refuses).
    pub fn for_duration(&self) -> Duration {
        parse_duration("for", &self.for_duration).unwrap_or_default()
    }
    /// `keep_firing_for` as a duration; zero when it does not parse.
    pub fn keep_firing_for(&self) -> Duration {
        parse_duration("keep_firing_for", &self.keep_firing_for).unwrap_or_default()
    }
    /// `window` as a duration; 5 minutes when it does not parse.
    pub fn window(&self) -> Duration {
        parse_duration("window", &self.window).unwrap_or(Duration::from_secs(300))
    }
    /// The metric the rule compares; the error lists the metrics a rule may use.
    pub fn metric_ref(&self) -> Result<MetricRef, String> {
        MetricRef::parse(&self.metric)
    }

    /// Checks everything that can be checked without the data.
    pub fn validate(&self) -> Result<(), String> {
        let what = |m: String| format!("rule `{}`: {m}", self.name);
        if self.name.is_empty()
            || !self
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-.:".contains(&b))
        {
            return Err(format!(
                "rule name `{}` must be letters, digits, `_`, `-`, `.` or `:`",
                self.name
            ));
        }
        let metric = self.metric_ref().map_err(what)?;
        if self.column.is_some() && !metric.per_column() {
            return Err(what(format!(
                "`{}` is not a per-column metric",
                self.metric
            )));
        }
        if !self.threshold.is_finite() {
            return Err(what("threshold must be a finite number".into()));
        }
        for (field, text) in [
            ("for", &self.for_duration),
            ("keep_firing_for", &self.keep_firing_for),
            ("window", &self.window),
        ] {
            parse_duration(field, text).map_err(|e| what(e.to_string()))?;
        }
        if self.window().is_zero() {
            return Err(what("window must be positive".into()));
        }
        for k in self.labels.keys().chain(self.annotations.keys()) {
            if !valid_label_name(k) {
                return Err(what(format!(
                    "`{k}` is not a valid label or annotation name"
                )));
            }
        }
        if let Some(k) = self
            .labels
            .keys()
            .find(|k| RESERVED_LABELS.contains(&k.as_str()))
        {
            return Err(what(format!("label `{k}` is set by modelwatch")));
        }
        Ok(())
    }
}

fn annotations(summary: &str, description: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("summary".to_string(), summary.to_string()),
        ("description".to_string(), description.to_string()),
    ])
}

/// The rules every project gets unless `[alerts] default_rules = false`.
pub fn default_rules() -> Vec<Rule> {
    let base = |name: &str, metric: &str, operator, threshold| Rule {
        name: name.into(),
        project: None,
        metric: metric.into(),
        column: None,
        operator,
        threshold,
        for_duration: zero(),
        keep_firing_for: zero(),
        window: five_minutes(),
        severity: warning(),
        labels: BTreeMap::new(),
        annotations: BTreeMap::new(),
        enabled: true,
        receivers: Vec::new(),
    };
    vec![
        Rule {
            annotations: annotations(
                "Dataset drift in {{project}}",
                "The latest snapshot of {{project}} found dataset drift (dataset_drift is {{value}}; fires at >= {{threshold}}).",
            ),
            ..base("DatasetDrift", "dataset_drift", Operator::Ge, 1.0)
        },
        Rule {
            annotations: annotations(
                "More missing values in {{project}} than in its reference",
                "The missing share of {{project}}'s latest window is {{value}} above the reference's (fires above {{threshold}}).",
            ),
            ..base(
                "MissingShareAboveReference",
                "missing_share_excess",
                Operator::Gt,
                0.01,
            )
        },
        Rule {
            annotations: annotations(
                "No events for {{project}}",
                "{{project}} has received no event for {{value}} schedule intervals (fires above {{threshold}}).",
            ),
            ..base("NoData", "no_data_intervals", Operator::Gt, 2.0)
        },
    ]
}

/// Formats a value for a message: the test gates' number format (integers without
/// decimals, values below 0.001 in scientific notation, others with up to four decimals).
pub use modelwatch_core::checks::condition::format_rounded as format_value;

/// Replaces `{{name}}` (spaces inside the braces allowed) by the value of `name` in
/// `vars`; unknown names and unclosed braces stay as written. One pass: substituted text
/// is never expanded again.
pub fn render(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let key = after[..end].trim();
                match vars.iter().find(|(k, _)| *k == key) {
                    Some((_, v)) => out.push_str(v),
                    None => out.push_str(&rest[start..start + 2 + end + 2]),
                }
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_substitute_once_and_keep_unknowns() {
        let vars = [
            ("value", "0.42"),
            ("project", "iris"),
            ("column", "{{value}}"),
        ];
        assert_eq!(
            render("{{project}}: {{ value }} on {{column}} {{nope}} {{", &vars),
            "iris: 0.42 on {{value}} {{nope}} {{"
        );
        assert_eq!(render("plain", &vars), "plain");
        assert_eq!(render("", &vars), "");
    }

    #[test]
    fn values_are_short() {
        assert_eq!(format_value(3.0), "3");
        assert_eq!(format_value(0.123456), "0.1235");
        assert_eq!(format_value(14.4), "14.4");
        assert_eq!(format_value(0.5), "0.5");
        // an error rate of 0.002% is not "0"
        assert_eq!(format_value(0.00002), "2.000e-5");
    }

    #[test]
    fn metrics_parse_and_bad_rules_are_named() {
        assert_eq!(
            MetricRef::parse("model_latency_p95").unwrap(),
            MetricRef::ModelLatencyQuantile(0.95)
        );
        assert_eq!(
            MetricRef::parse("model_latency_p999").unwrap(),
            MetricRef::ModelLatencyQuantile(0.999)
        );
        assert!(MetricRef::parse("drift_score").unwrap().per_column());
        assert!(MetricRef::parse("quality.f1").is_ok());
        assert!(MetricRef::parse("bogus").is_err());
        let mut r = default_rules().remove(0);
        assert!(r.validate().is_ok());
        r.column = Some("x".into());
        assert!(r.validate().unwrap_err().contains("not a per-column"));
        r.column = None;
        r.labels.insert("project".into(), "x".into());
        assert!(r.validate().unwrap_err().contains("set by modelwatch"));
    }

    #[test]
    fn operators_compare() {
        assert!(Operator::Gt.holds(2.0, 1.0));
        assert!(!Operator::Gt.holds(1.0, 1.0));
        assert!(Operator::Ge.holds(1.0, 1.0));
        assert!(Operator::Lt.holds(0.5, 1.0));
        assert!(Operator::Ne.holds(0.5, 1.0));
    }
}
