//! Test gates: conditions on the values of a report, for CI pipelines (`modelwatch test`).
//!
//! Conditions are judged on the serde JSON form of [`Results`](crate::results::Results),
//! through the metric table of [`metrics`], so that a test reads exactly the number the
//! report shows and nothing is computed twice. A suite ([`Suite`]) names presets of derived
//! conditions ([`presets`]) and explicit tests; [`run_checks`] judges them.

pub mod condition;
pub mod metrics;
pub mod presets;
pub mod suite;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

pub use condition::{Condition, Literal, Operand, Operator, ResolvedCondition, Tolerance};
pub use metrics::{Metric, METRICS};
pub use serde_spanned::Spanned;
pub use suite::{Check, Suite, SuiteError, TestSpec};

use condition::format_value;

/// The outcome of one test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    /// The condition holds.
    Success,
    /// A critical condition does not hold.
    Fail,
    /// A non-critical condition does not hold.
    Warning,
    /// The condition cannot be judged (the value is undefined or was not computed).
    Error,
}

impl Status {
    /// Every status, for counting each in [`CheckSummary::by_status`].
    pub(crate) const ALL: [Status; 4] = [
        Status::Success,
        Status::Fail,
        Status::Warning,
        Status::Error,
    ];

    /// The status as serialized and printed: `SUCCESS`, `FAIL`, `WARNING` or `ERROR`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Success => "SUCCESS",
            Status::Fail => "FAIL",
            Status::Warning => "WARNING",
            Status::Error => "ERROR",
        }
    }
}

/// One judged test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckResult {
    /// The test's name: the suite's `name`, or one derived from metric, subject and
    /// condition (e.g. `Share of drifted columns < 0.3`).
    pub name: String,
    /// The suite's `description`, or a sentence written from the outcome (the value, and
    /// whether it meets the condition or why it cannot be judged).
    pub description: String,
    /// The metric's name in the metric table, e.g. `column.drift_score`.
    pub metric: String,
    /// The column, for `column.*` metrics.
    pub column: Option<String>,
    /// The class, for `label.*` metrics.
    pub label: Option<String>,
    /// Whether a failure blocks the gate (`FAIL`) or only warns (`WARNING`).
    pub critical: bool,
    /// The outcome.
    pub status: Status,
    /// The value of the metric on the current data (null when it has none).
    pub actual: Option<Value>,
    /// The value of the metric on the reference, when the report has one.
    pub reference: Option<Value>,
    /// The condition as judged; for a test that could not be judged, its text only (`value`
    /// is null).
    pub condition: ResolvedCondition,
    /// Why the test could not be judged (status ERROR).
    pub reason: Option<String>,
}

impl CheckResult {
    /// Whether this result makes the gate fail: a critical test that failed or could not be
    /// judged.
    pub fn blocks(&self) -> bool {
        self.critical && matches!(self.status, Status::Fail | Status::Error)
    }
}

/// Counts of the outcomes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckSummary {
    /// No critical test failed or errored (the gate passes; warnings do not block).
    pub all_passed: bool,
    /// Tests judged.
    pub total: usize,
    /// Tests with status `SUCCESS`.
    pub success: usize,
    /// Tests with status `FAIL` (critical tests whose condition does not hold).
    pub failed: usize,
    /// Tests with status `WARNING` (non-critical tests whose condition does not hold).
    pub warning: usize,
    /// Tests with status `ERROR` (not judged).
    pub error: usize,
    /// The same counts keyed by status name.
    pub by_status: BTreeMap<&'static str, usize>,
}

/// The outcome of a suite: its serde form is the JSON of `modelwatch test --json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckReport {
    /// Counts of the outcomes.
    pub summary: CheckSummary,
    /// Every test, presets' tests first, in suite order.
    pub tests: Vec<CheckResult>,
}

impl CheckReport {
    /// Whether any critical test failed or could not be judged.
    pub fn blocked(&self) -> bool {
        self.tests.iter().any(CheckResult::blocks)
    }
}

/// Judges `checks` on `results`, the serde JSON form of the results.
pub fn run_checks(checks: &[Check], results: &Value) -> CheckReport {
    let tests: Vec<CheckResult> = checks.iter().map(|c| judge(c, results)).collect();
    let count = |s: Status| tests.iter().filter(|t| t.status == s).count();
    let by_status = Status::ALL
        .iter()
        .map(|s| (s.as_str(), count(*s)))
        .collect();
    let summary = CheckSummary {
        all_passed: !tests.iter().any(CheckResult::blocks),
        total: tests.len(),
        success: count(Status::Success),
        failed: count(Status::Fail),
        warning: count(Status::Warning),
        error: count(Status::Error),
        by_status,
    };
    CheckReport { summary, tests }
}

fn subject(check: &Check) -> String {
    match (&check.column, &check.label) {
        (Some(c), _) => format!("{} of column `{c}`", check.metric.title),
        (None, Some(l)) => format!("{} of label `{l}`", check.metric.title),
        (None, None) => check.metric.title.to_string(),
    }
}

fn judge(check: &Check, results: &Value) -> CheckResult {
    let metric = check.metric;
    // The column or the label the metric is read for.
    let column = check.column.as_deref().or(check.label.as_deref());
    let unresolved = ResolvedCondition {
        operator: check.condition.operator,
        value: Value::Null,
        text: check.condition.describe(),
    };
    let mut out = CheckResult {
        name: check.name.clone(),
        description: String::new(),
        metric: metric.name.to_string(),
        column: check.column.clone(),
        label: check.label.clone(),
        critical: check.critical,
        status: Status::Error,
        actual: None,
        reference: None,
        condition: unresolved,
        reason: None,
    };
    let reference = metric
        .reference
        .as_ref()
        .map(|loc| metrics::read(results, metric, loc, column));
    if let Some(Ok(r)) = &reference {
        out.reference = Some(r.clone());
    }
    let actual = match metrics::current_value(results, metric, column) {
        Ok(v) => v,
        Err(missing) => return errored(out, check, missing.reason(metric, column)),
    };
    out.actual = Some(actual.clone());
    if metric.kind == metrics::ValueKind::Number && condition::as_number(&actual).is_none() {
        let why = format!("{} is not a number: {actual}", metric.name);
        return errored(out, check, why);
    }
    if check.condition.needs_reference() {
        match &reference {
            Some(Ok(_)) => {}
            Some(Err(missing)) => {
                let why = format!("no reference value: {}", missing.reason(metric, column));
                return errored(out, check, why);
            }
            None => {
                let why = format!("metric `{}` has no reference value", metric.name);
                return errored(out, check, why);
            }
        }
    }
    let (passed, resolved) = check.condition.judge(&actual, out.reference.as_ref());
    out.status = match (passed, check.critical) {
        (true, _) => Status::Success,
        (false, true) => Status::Fail,
        (false, false) => Status::Warning,
    };
    out.description = check.description.clone().unwrap_or_else(|| {
        let verdict = if passed { "meets" } else { "does not meet" };
        format!(
            "{} is {}, which {verdict} the condition {}.",
            subject(check),
            format_value(&actual),
            resolved.text
        )
    });
    out.condition = resolved;
    out
}

fn errored(mut out: CheckResult, check: &Check, reason: String) -> CheckResult {
    out.status = Status::Error;
    out.description = check
        .description
        .clone()
        .unwrap_or_else(|| format!("{} cannot be judged: {reason}.", subject(check)));
    out.reason = Some(reason);
    out
}

#[cfg(test)]
mod tests;
