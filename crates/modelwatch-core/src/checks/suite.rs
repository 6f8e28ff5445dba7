//! The suite file: presets of derived conditions and explicit tests, as read by serde (the
//! CLI reads TOML), and its compilation into [`Check`]s.
//!
//! ```toml
//! preset = ["data_drift"]
//! [[tests]]
//! metric = "drifted_share"
//! lt = 0.3
//! [[tests]]
//! metric = "column.drift_score"
//! column = "age"
//! gte = 0.01
//! critical = false
//! [[tests]]
//! metric = "label.recall"
//! label = "fraud"
//! gte = { reference = true, relative = 0.2 }
//! ```

use std::ops::Range;

use serde::Deserialize;
use serde_json::Value;
use serde_spanned::Spanned;

use super::condition::{Condition, Operator};
use super::metrics::{self, Metric, Scope};
use super::presets;
use crate::suggest;

/// A suite file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Suite {
    /// Presets of derived conditions, e.g. `["data_drift"]`.
    pub preset: Vec<Spanned<String>>,
    /// Explicit tests.
    pub tests: Vec<Spanned<TestSpec>>,
}

/// One test as written: a metric, maybe a column or a label, exactly one operator.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestSpec {
    /// The test's name; derived from metric, subject and condition when not given.
    pub name: Option<String>,
    /// A sentence for the report; written from the outcome when not given.
    pub description: Option<String>,
    /// A metric of the metric table, e.g. `column.drift_score`.
    pub metric: Spanned<String>,
    /// The column, for `column.*` metrics (and only for them).
    pub column: Option<Spanned<String>>,
    /// The class, for `label.*` metrics.
    pub label: Option<Spanned<String>>,
    /// False turns a failure into a warning. Default true.
    pub critical: Option<bool>,
    /// Equal to a literal, or `{ reference = true, relative, absolute }` for the reference.
    pub eq: Option<Spanned<Value>>,
    /// Not equal to a literal or to the reference.
    pub not_eq: Option<Spanned<Value>>,
    /// Greater than a number or the reference.
    pub gt: Option<Spanned<Value>>,
    /// Greater than or equal to a number or the reference.
    pub gte: Option<Spanned<Value>>,
    /// Less than a number or the reference.
    pub lt: Option<Spanned<Value>>,
    /// Less than or equal to a number or the reference.
    pub lte: Option<Spanned<Value>>,
    /// Within `[low, high]`, both included.
    pub between: Option<Spanned<Value>>,
    /// Equal to one of a non-empty list.
    pub is_in: Option<Spanned<Value>>,
    /// Equal to none of a non-empty list.
    pub not_in: Option<Spanned<Value>>,
}

/// A problem with a suite, with the byte range of the offending text in the file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct SuiteError {
    /// Byte range of the offending text in the suite file; `None` when the problem is the
    /// suite as a whole (neither presets nor tests).
    pub span: Option<Range<usize>>,
    /// What is wrong, for people.
    pub message: String,
}

impl SuiteError {
    fn at(span: Range<usize>, message: impl Into<String>) -> SuiteError {
        SuiteError {
            span: Some(span),
            message: message.into(),
        }
    }

    /// The 1-based line of the error in `text`, the file the suite was read from.
    pub fn line(&self, text: &str) -> Option<usize> {
        let start = self.span.as_ref()?.start.min(text.len());
        Some(text[..start].matches('\n').count() + 1)
    }
}

/// A test ready to run.
#[derive(Debug, Clone)]
pub struct Check {
    /// The test's name in the report (given, or derived from metric, subject and condition).
    pub name: String,
    /// The user's description, if any (otherwise one is written from the outcome).
    pub description: Option<String>,
    /// The metric read, from [`METRICS`](super::METRICS).
    pub metric: &'static Metric,
    /// The column, for `column.*` metrics.
    pub column: Option<String>,
    /// The class, for `label.*` metrics.
    pub label: Option<String>,
    /// What the value must satisfy.
    pub condition: Condition,
    /// Whether a failure blocks the gate (`FAIL`) or only warns (`WARNING`).
    pub critical: bool,
}

impl Check {
    /// A check with a name derived from its metric, column and condition.
    pub(crate) fn new(
        metric: &'static Metric,
        column: Option<String>,
        condition: Condition,
        critical: bool,
    ) -> Check {
        let name = default_name(metric, column.as_deref(), None, &condition);
        Check {
            name,
            description: None,
            metric,
            column,
            label: None,
            condition,
            critical,
        }
    }

    /// A check of a `label.*` metric for one class, with a derived name.
    pub(crate) fn for_label(
        metric: &'static Metric,
        label: String,
        condition: Condition,
        critical: bool,
    ) -> Check {
        let mut check = Check::new(metric, None, condition, critical);
        check.name = default_name(metric, None, Some(&label), &check.condition);
        check.label = Some(label);
        check
    }
}

/// E.g. `Share of drifted columns < 0.3`, `Drift score of age >= 0.05`,
/// `Recall of label fraud = reference ± 20%`.
fn default_name(
    metric: &Metric,
    column: Option<&str>,
    label: Option<&str>,
    condition: &Condition,
) -> String {
    match (column, label) {
        (Some(c), _) => format!("{} of {c} {}", metric.title, condition.describe()),
        (None, Some(l)) => format!("{} of label {l} {}", metric.title, condition.describe()),
        (None, None) => format!("{} {}", metric.title, condition.describe()),
    }
}

/// A test whose metric and condition are valid, before its column is checked against data.
struct ParsedTest<'a> {
    spec: &'a TestSpec,
    metric: &'static Metric,
    condition: Condition,
}

impl TestSpec {
    fn operators(&self) -> Vec<(Operator, &Spanned<Value>)> {
        let mut ops: Vec<_> = [
            (Operator::Eq, &self.eq),
            (Operator::NotEq, &self.not_eq),
            (Operator::Gt, &self.gt),
            (Operator::Gte, &self.gte),
            (Operator::Lt, &self.lt),
            (Operator::Lte, &self.lte),
            (Operator::Between, &self.between),
            (Operator::IsIn, &self.is_in),
            (Operator::NotIn, &self.not_in),
        ]
        .into_iter()
        .filter_map(|(op, v)| v.as_ref().map(|v| (op, v)))
        .collect();
        // In the order of the file, so that an error points at the second one written.
        ops.sort_by_key(|(_, v)| v.span().start);
        ops
    }

    fn parse(&self, span: Range<usize>) -> Result<ParsedTest<'_>, SuiteError> {
        let metric = metrics::metric(self.metric.get_ref()).ok_or_else(|| {
            SuiteError::at(
                self.metric.span(),
                format!(
                    "unknown metric `{}` ({})",
                    self.metric.get_ref(),
                    suggest::hint(
                        self.metric.get_ref(),
                        &metrics::METRICS.iter().map(|m| m.name).collect::<Vec<_>>(),
                        Some("docs/tests.md#metrics")
                    )
                ),
            )
        })?;
        self.check_subject(metric)?;
        let ops = self.operators();
        let (operator, value) = match ops.as_slice() {
            [one] => *one,
            [] => {
                return Err(SuiteError::at(
                    span,
                    format!(
                        "test of `{}` has no operator (one of {})",
                        metric.name,
                        Operator::ALL.map(Operator::name).join(", ")
                    ),
                ))
            }
            [_, second, ..] => {
                return Err(SuiteError::at(
                    second.1.span(),
                    format!(
                    "test of `{}` has more than one operator ({}); write one test per condition",
                    metric.name,
                    ops.iter()
                        .map(|(o, _)| o.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                ))
            }
        };
        let condition = Condition::parse(
            operator,
            value.get_ref(),
            metric.kind,
            metric.reference.is_some(),
            metric.name,
        )
        .map_err(|e| SuiteError::at(value.span(), e))?;
        Ok(ParsedTest {
            spec: self,
            metric,
            condition,
        })
    }
}

impl TestSpec {
    /// The test names a column exactly for column metrics and a label exactly for label
    /// metrics.
    fn check_subject(&self, metric: &Metric) -> Result<(), SuiteError> {
        let needs = metric.scope;
        for (given, scope) in [(&self.column, Scope::Column), (&self.label, Scope::Label)] {
            match given {
                Some(v) if needs != scope => {
                    let what = match needs {
                        Scope::Dataset => {
                            format!("is about the whole dataset and takes no {}", scope.field())
                        }
                        other => format!("takes a {}, not a {}", other.field(), scope.field()),
                    };
                    return Err(SuiteError::at(
                        v.span(),
                        format!("metric `{}` {what}", metric.name),
                    ));
                }
                None if needs == scope => {
                    return Err(SuiteError::at(
                        self.metric.span(),
                        format!("metric `{}` needs a {}", metric.name, scope.field()),
                    ))
                }
                _ => {}
            }
        }
        Ok(())
    }
}

impl ParsedTest<'_> {
    /// Checks the column against the data and builds the check.
    fn bind(self, results: &Value) -> Result<Check, SuiteError> {
        check_requirement(self.metric, results)
            .map_err(|e| SuiteError::at(self.spec.metric.span(), e))?;
        let column = match &self.spec.column {
            Some(c) => {
                let name = c.get_ref();
                check_column(self.metric, name, results)
                    .map_err(|e| SuiteError::at(c.span(), e))?;
                Some(name.clone())
            }
            None => None,
        };
        let critical = self.spec.critical.unwrap_or(true);
        let mut check = match &self.spec.label {
            Some(l) => {
                check_label(l.get_ref(), results).map_err(|e| SuiteError::at(l.span(), e))?;
                Check::for_label(self.metric, l.get_ref().clone(), self.condition, critical)
            }
            None => Check::new(self.metric, column, self.condition, critical),
        };
        if let Some(name) = &self.spec.name {
            check.name = name.clone();
        }
        check.description = self.spec.description.clone();
        Ok(check)
    }
}

/// Whether `label` is a class of the classification (when it was computed).
fn check_label(label: &str, results: &Value) -> Result<(), String> {
    match metrics::classification_labels(results) {
        Some(labels) if !labels.contains(&label) => {
            let close = suggest::closest(label, labels.iter().copied());
            let hint = if close.is_empty() {
                format!("labels: {}", labels.join(", "))
            } else {
                suggest::hint(label, &labels, None)
            };
            Err(format!(
                "unknown label `{label}`: not in the target or the predictions ({hint})"
            ))
        }
        _ => Ok(()),
    }
}

/// Whether the part of the report a metric needs (e.g. the target, for a correlation with
/// it) is there and of a type the metric exists for. Not checked when the metric's section
/// was not computed (its tests then say so).
fn check_requirement(metric: &Metric, results: &Value) -> Result<(), String> {
    let Some(req) = metric.requires else {
        return Ok(());
    };
    if results.get(metric.section).is_none_or(Value::is_null) {
        return Ok(());
    }
    let holder = &req.pointer[..req.pointer.rfind('/').unwrap_or(0)];
    let Some(entry) = results.pointer(holder).filter(|v| !v.is_null()) else {
        return Err(format!(
            "metric `{}` needs a {} column: give {}",
            metric.name, req.what, req.flag
        ));
    };
    match results.pointer(req.pointer).and_then(Value::as_str) {
        Some(ty) if !req.types.is_empty() && !req.types.contains(&ty) => Err(format!(
            "metric `{}` needs a {} {}, but the {} `{}` is {ty}",
            metric.name,
            req.types.join(" or "),
            req.what,
            req.what,
            entry
                .get("column")
                .and_then(Value::as_str)
                .unwrap_or_default()
        )),
        _ => Ok(()),
    }
}

/// Whether `column` can carry `metric`: it is a column of the data and of a type the metric
/// exists for.
fn check_column(metric: &Metric, column: &str, results: &Value) -> Result<(), String> {
    if !metrics::column_known(results, column) {
        let mut message = format!("unknown column `{column}`: not in either dataset");
        let known = metrics::column_names(results);
        if !suggest::closest(column, known.iter().copied()).is_empty() {
            message.push_str(&format!(" ({})", suggest::hint(column, &known, None)));
        }
        return Err(message);
    }
    if metric.column_types.is_empty() {
        return Ok(());
    }
    match metrics::column_type(results, column) {
        Some(ty) if !metric.column_types.contains(&ty) => Err(format!(
            "metric `{}` needs a {} column, but `{column}` is {ty}",
            metric.name,
            metric.column_types.join(" or ")
        )),
        _ => Ok(()),
    }
}

impl Suite {
    /// Checks what can be checked without data: preset names, metric names, operators and
    /// their values. Call it before the (slow) computation of the results.
    pub fn validate(&self) -> Result<(), SuiteError> {
        for p in &self.preset {
            if presets::preset(p.get_ref()).is_none() {
                return Err(SuiteError::at(
                    p.span(),
                    format!(
                        "unknown preset `{}` ({})",
                        p.get_ref(),
                        suggest::hint(p.get_ref(), &presets::names(), None)
                    ),
                ));
            }
        }
        if self.preset.is_empty() && self.tests.is_empty() {
            return Err(SuiteError {
                span: None,
                message: "the suite has no tests and no preset".into(),
            });
        }
        for t in &self.tests {
            t.get_ref().parse(t.span())?;
        }
        Ok(())
    }

    /// The report sections (top-level keys of the results) the suite reads.
    pub fn sections(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        // A column test also reads the summary, which lists every column with its type, so
        // that a wrong column is named as such whatever part of the report the metric is in.
        let metric_sections = self
            .tests
            .iter()
            .filter_map(|t| metrics::metric(t.get_ref().metric.get_ref()))
            .flat_map(|m| {
                let lists_columns = matches!(m.section, "drift" | "summary");
                let summary = (m.scope == Scope::Column && !lists_columns).then_some("summary");
                std::iter::once(m.section).chain(summary)
            });
        let preset_sections = self
            .preset
            .iter()
            .filter_map(|p| presets::preset(p.get_ref()))
            .flat_map(|p| p.sections.iter().copied());
        for s in metric_sections.chain(preset_sections) {
            if !out.contains(&s) {
                out.push(s);
            }
        }
        out
    }

    /// Builds the checks: the presets' derived conditions first, then the explicit tests.
    /// `results` is the serde JSON form of the results the checks will run on.
    pub fn compile(&self, results: &Value) -> Result<Vec<Check>, SuiteError> {
        self.validate()?;
        let mut checks = Vec::new();
        for p in &self.preset {
            let preset = presets::preset(p.get_ref()).expect("validated");
            checks.extend((preset.derive)(results));
        }
        for t in &self.tests {
            checks.push(t.get_ref().parse(t.span())?.bind(results)?);
        }
        Ok(checks)
    }
}
