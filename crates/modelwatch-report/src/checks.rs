//! Rendering of test gate outcomes ([`CheckReport`]): a terminal table and JUnit XML.

use comfy_table::{presets, Attribute, Cell, Color, ContentArrangement, Table};
use modelwatch_core::checks::{CheckReport, CheckResult, Status};

use crate::terminal::TerminalStyle;

fn status_color(status: Status) -> Color {
    match status {
        Status::Success => Color::Green,
        Status::Fail => Color::Red,
        Status::Warning => Color::Yellow,
        Status::Error => Color::Magenta,
    }
}

fn actual_text(t: &CheckResult) -> String {
    match &t.actual {
        Some(v) => modelwatch_core::checks::condition::format_value(v),
        None => "-".to_string(),
    }
}

/// The verdict line, e.g. `5 tests: 3 passed, 1 failed, 1 warning, 0 errors — FAILED`.
pub fn checks_verdict(report: &CheckReport) -> String {
    let s = &report.summary;
    let plural = |n: usize, one: &str, many: &str| {
        if n == 1 {
            format!("{n} {one}")
        } else {
            format!("{n} {many}")
        }
    };
    format!(
        "{}: {} passed, {} failed, {}, {} — {}",
        plural(s.total, "test", "tests"),
        s.success,
        s.failed,
        plural(s.warning, "warning", "warnings"),
        plural(s.error, "error", "errors"),
        if s.all_passed { "PASSED" } else { "FAILED" }
    )
}

/// Renders the outcome of a suite as a table (test, column, actual, condition, status),
/// the reasons of the tests that could not be judged, and the verdict.
pub fn render_checks(report: &CheckReport, style: TerminalStyle) -> String {
    let mut table = Table::new();
    match style {
        TerminalStyle::Rich => table
            .load_style(presets::UTF8_FULL_CONDENSED)
            .enforce_styling(),
        TerminalStyle::Plain => table.load_style(presets::ASCII_MARKDOWN).force_no_tty(),
    };
    table.set_content_arrangement(ContentArrangement::Disabled);
    table.set_header(["test", "column", "actual", "condition", "status"]);
    for t in &report.tests {
        let status = Cell::new(t.status.as_str());
        let status = if style == TerminalStyle::Rich {
            status
                .fg(status_color(t.status))
                .add_attribute(Attribute::Bold)
        } else {
            status
        };
        table.add_row(vec![
            Cell::new(&t.name),
            Cell::new(t.column.as_deref().unwrap_or("-")),
            Cell::new(actual_text(t)),
            Cell::new(&t.condition.text),
            status,
        ]);
    }
    let mut out = format!("Tests\n{table}\n");
    for t in &report.tests {
        if let Some(reason) = &t.reason {
            out.push_str(&format!("error: {}: {reason}\n", t.name));
        }
    }
    out.push('\n');
    let verdict = checks_verdict(report);
    if style == TerminalStyle::Rich {
        let color = if report.summary.all_passed {
            "32"
        } else {
            "31"
        };
        out.push_str(&format!("\x1b[1;{color}m{verdict}\x1b[0m\n"));
    } else {
        out.push_str(&verdict);
        out.push('\n');
    }
    out
}

/// Escapes text for XML content and attribute values, dropping characters XML 1.0 cannot
/// carry (control characters other than tab, newline and carriage return).
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(ch),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Renders the outcome as JUnit XML: one test suite named `suite_name`, a test case per
/// test. Blocking outcomes are `<failure>` (a critical test failed) or `<error>` (a critical
/// test could not be judged); warnings and non-critical errors are `<skipped>` with the
/// description in `<system-out>`, which CI systems show without failing the build.
pub fn to_junit(report: &CheckReport, suite_name: &str) -> String {
    let failures = report
        .tests
        .iter()
        .filter(|t| t.critical && t.status == Status::Fail)
        .count();
    let errors = report
        .tests
        .iter()
        .filter(|t| t.critical && t.status == Status::Error)
        .count();
    let skipped = report
        .tests
        .iter()
        .filter(|t| !t.critical && t.status != Status::Success)
        .count();
    let counts = format!(
        "tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\"",
        report.tests.len()
    );
    let name = xml_escape(suite_name);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!("<testsuites name=\"{name}\" {counts}>\n"));
    out.push_str(&format!("  <testsuite name=\"{name}\" {counts}>\n"));
    for t in &report.tests {
        let classname = match &t.column {
            Some(c) => format!("modelwatch.{}.{c}", t.metric),
            None => format!("modelwatch.{}", t.metric),
        };
        out.push_str(&format!(
            "    <testcase name=\"{}\" classname=\"{}\" time=\"0\">",
            xml_escape(&t.name),
            xml_escape(&classname)
        ));
        let details = format!(
            "{}\nactual: {}\ncondition: {}",
            t.description,
            actual_text(t),
            t.condition.text
        );
        let message = xml_escape(&t.description);
        match (t.status, t.critical) {
            (Status::Success, _) => {}
            (Status::Fail, true) => out.push_str(&format!(
                "\n      <failure message=\"{message}\" type=\"FAIL\">{}</failure>\n    ",
                xml_escape(&details)
            )),
            (Status::Error, true) => out.push_str(&format!(
                "\n      <error message=\"{message}\" type=\"ERROR\">{}</error>\n    ",
                xml_escape(&details)
            )),
            (status, _) => out.push_str(&format!(
                "\n      <skipped message=\"{}: {message}\"/>\n      <system-out>{}: {}</system-out>\n    ",
                status.as_str(),
                status.as_str(),
                xml_escape(&details)
            )),
        }
        out.push_str("</testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_control_characters() {
        assert_eq!(
            xml_escape("a<b & \"c\" 'd'>\u{1}"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;"
        );
    }
}
