//! The test results section (`modelwatch test --html`): the counts per outcome and the
//! verdict, then every test, failed ones first (then errors, warnings and passes), with
//! the value, the reference value, the condition and the description.

use std::fmt::Write;

use modelwatch_core::checks::condition::format_value;
use modelwatch_core::checks::{CheckReport, CheckResult, Status};

use super::esc;
use crate::checks::checks_verdict;

/// Display order: what needs attention first.
fn rank(s: Status) -> u8 {
    match s {
        Status::Fail => 0,
        Status::Error => 1,
        Status::Warning => 2,
        Status::Success => 3,
    }
}

fn class(s: Status) -> &'static str {
    match s {
        Status::Success => "st-pass",
        Status::Fail => "st-fail",
        Status::Warning => "st-warn",
        Status::Error => "st-err",
    }
}

/// The tests in display order: failed, errors, warnings, passed; suite order within each.
pub(super) fn ordered(report: &CheckReport) -> Vec<&CheckResult> {
    let mut tests: Vec<&CheckResult> = report.tests.iter().collect();
    tests.sort_by_key(|t| rank(t.status));
    tests
}

pub(super) fn section(out: &mut String, report: &CheckReport) {
    let s = &report.summary;
    let verdict_class = if s.all_passed {
        if s.warning + s.error > 0 {
            "warn"
        } else {
            "good"
        }
    } else {
        "bad"
    };
    let _ = write!(
        out,
        "<section id=\"tests\"><h2>Test results</h2>\n<p class=\"verdict {verdict_class}\">{}</p>\n<ul class=\"counts\">",
        esc(&checks_verdict(report))
    );
    for (n, word, st) in [
        (s.failed, "failed", Status::Fail),
        (s.error, "errors", Status::Error),
        (s.warning, "warnings", Status::Warning),
        (s.success, "passed", Status::Success),
    ] {
        let _ = write!(out, "<li class=\"{}\"><b>{n}</b> {word}</li>", class(st));
    }
    out.push_str("</ul>\n");
    if report.tests.is_empty() {
        out.push_str("<p>The suite has no tests.</p>\n</section>\n");
        return;
    }
    out.push_str(
        "<table class=\"stats\" id=\"tests-table\"><thead><tr><th scope=\"col\">Status</th><th scope=\"col\">Test</th>\
<th scope=\"col\">Column</th><th scope=\"col\" class=\"num\">Value</th><th scope=\"col\" class=\"num\">Reference</th><th scope=\"col\">Condition</th></tr></thead><tbody>\n",
    );
    for t in ordered(report) {
        let value = t.actual.as_ref().map_or("-".into(), format_value);
        let reference = t.reference.as_ref().map_or("-".into(), format_value);
        let _ = write!(
            out,
            "<tr class=\"{}\" data-status=\"{}\"><td><span class=\"badge\">{}</span>{}</td><td><b>{}</b>",
            class(t.status),
            t.status.as_str(),
            t.status.as_str(),
            if t.critical { "" } else { " <small>(not critical)</small>" },
            esc(&t.name)
        );
        if !t.description.is_empty() {
            let _ = write!(out, "<br><small>{}</small>", esc(&t.description));
        }
        if let Some(reason) = &t.reason {
            let _ = write!(out, "<br><small class=\"err\">{}</small>", esc(reason));
        }
        let _ = writeln!(
            out,
            "</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td><code>{}</code></td></tr>",
            esc(&match (&t.column, &t.label) {
                (Some(c), Some(l)) => format!("{c}, label {l}"),
                (Some(c), None) => c.clone(),
                (None, Some(l)) => format!("label {l}"),
                (None, None) => "-".into(),
            }),
            esc(&value),
            esc(&reference),
            esc(&t.condition.text)
        );
    }
    out.push_str("</tbody></table>\n</section>\n");
}
