//! The terminal summary: a table of columns (with a line per text column that names the
//! words telling current from reference), one of embeddings, one of multivariate methods
//! (when asked for), and the dataset verdict.

use comfy_table::{presets, Attribute, Cell, CellAlignment, Color, ContentArrangement, Table};
use modelwatch_core::drift::{
    ColumnDrift, DriftMethod, DriftReport, EmbeddingDriftResult, MultivariateDrift,
};
use modelwatch_core::results::Results;
use modelwatch_core::stats::text_drift::WordWeight;

use crate::trim_pct;

/// Whether to use colours and box drawing (a terminal) or plain ASCII (a pipe, a file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TerminalStyle {
    /// Colours and box drawing, for a terminal.
    Rich,
    /// Plain ASCII without colours, for pipes, files and CI logs.
    Plain,
}

/// A table in the house style: box drawing and colours on a terminal, plain Markdown-like
/// ASCII otherwise (pipes, files, CI logs). Every terminal section uses it.
pub fn styled_table(style: TerminalStyle) -> Table {
    let mut table = Table::new();
    match style {
        TerminalStyle::Rich => table
            .load_style(presets::UTF8_FULL_CONDENSED)
            .enforce_styling(),
        TerminalStyle::Plain => table.load_style(presets::ASCII_MARKDOWN).force_no_tty(),
    };
    table.set_content_arrangement(ContentArrangement::Disabled);
    table
}

/// Formats a score compactly: scientific notation for small p-values.
pub fn format_score(v: f64) -> String {
    if v == 0.0 {
        "0".to_string()
    } else if v.abs() < 1e-3 {
        format!("{v:.2e}")
    } else {
        format!("{v:.4}")
    }
}

/// How many verdict lines name at most, so that a run over empty current data does not
/// print every column on one line (each column also has its own warning above).
const UNTESTED_NAMED: usize = 5;

/// The columns that could not be tested, for the verdict line, e.g. `1 column could not be
/// tested: petal_width (current values are text)`; `None` when every column could be.
pub fn untested_clause(drift: &DriftReport) -> Option<String> {
    let untested = &drift.untested_columns;
    if untested.is_empty() {
        return None;
    }
    let noun = if untested.len() == 1 {
        "column"
    } else {
        "columns"
    };
    let mut named: Vec<String> = untested
        .iter()
        .take(UNTESTED_NAMED)
        .map(|u| format!("{} ({})", u.column, u.reason))
        .collect();
    if untested.len() > UNTESTED_NAMED {
        named.push(format!("and {} more", untested.len() - UNTESTED_NAMED));
    }
    Some(format!(
        "{} {noun} could not be tested: {}",
        untested.len(),
        named.join(", ")
    ))
}

/// The dataset verdict in words, e.g. "3 of 5 columns drifted (60%) — dataset drift
/// (threshold 50%)", followed by the columns that could not be tested, if any.
pub fn verdict(drift: &DriftReport) -> String {
    let pct = drift.drifted_share * 100.0;
    let noun = if drift.column_count == 1 {
        "column"
    } else {
        "columns"
    };
    let outcome = if drift.dataset_drift {
        "dataset drift"
    } else {
        "no dataset drift"
    };
    let mut out = format!(
        "{} of {} {noun} drifted ({}%) — {outcome} (threshold {}%)",
        drift.drifted_count,
        drift.column_count,
        trim_pct(pct),
        trim_pct(drift.drift_share * 100.0)
    );
    if let Some(untested) = untested_clause(drift) {
        out.push_str("; ");
        out.push_str(&untested);
    }
    let multivariate: Vec<&str> = drift
        .multivariate
        .iter()
        .filter(|m| m.drifted == Some(true))
        .map(|m| m.method.name())
        .collect();
    if !multivariate.is_empty() {
        out.push_str("; multivariate drift: ");
        out.push_str(&multivariate.join(", "));
    }
    out
}

/// A multivariate method's band as shown: `[0.45, 0.65]` for a band, `< 0.05` for MMD's
/// p-value threshold, `-` when the method did not run.
pub(crate) fn multivariate_band(m: &MultivariateDrift) -> String {
    match (m.lower_threshold, m.upper_threshold) {
        (Some(lo), Some(hi)) => format!("[{}, {}]", format_score(lo), format_score(hi)),
        (None, Some(p)) => format!("p < {}", format_score(p)),
        _ => "-".into(),
    }
}

/// The columns that contribute most to a multivariate result, for one line: the domain
/// classifier's top three by gain share.
pub(crate) fn multivariate_top_columns(m: &MultivariateDrift) -> String {
    m.contributions
        .iter()
        .take(3)
        .map(|c| format!("{} {}%", c.column, trim_pct(c.gain_share * 100.0)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The multivariate drift table (one row per method asked for) and a line per method that
/// could not run.
fn render_multivariate(methods: &[MultivariateDrift], style: TerminalStyle) -> String {
    let mut table = styled_table(style);
    table.set_header(["method", "score", "no-drift band", "drifted", "top columns"]);
    for m in methods {
        table.add_row(vec![
            Cell::new(m.method.name()),
            Cell::new(m.score.map(format_score).unwrap_or_else(|| "-".into()))
                .set_alignment(CellAlignment::Right),
            Cell::new(multivariate_band(m)),
            drifted_cell(m.drifted, style),
            Cell::new(multivariate_top_columns(m)),
        ]);
    }
    let mut out =
        format!("Multivariate drift (not counted in the share of drifted columns)\n{table}\n");
    for m in methods {
        if let Some(error) = &m.error {
            out.push_str(&format!(
                "warning: multivariate method `{}` did not run: {error}\n",
                m.method.name()
            ));
        }
    }
    out
}

/// Words with their classifier weights, for one line: `zapwallet +2.41, crash +0.87`.
pub(crate) fn text_drift_words(words: &[WordWeight], n: usize) -> String {
    words
        .iter()
        .take(n)
        .map(|w| format!("{} {:+.2}", w.word, w.weight))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a text column's AUC was compared with, in words: `0.55` or `0.6123 (percentile 95
/// of random AUCs)`.
pub(crate) fn text_drift_compared_with(c: &ColumnDrift) -> Option<String> {
    let t = c.text_drift.as_ref()?;
    Some(match (c.method, c.threshold) {
        (Some(DriftMethod::PercTextContentDrift), Some(q)) => format!(
            "{} (percentile {} of random AUCs)",
            format_score(t.compared_with),
            trim_pct(q * 100.0)
        ),
        _ => format_score(t.compared_with),
    })
}

/// `text` cut to `chars` characters for one line (newlines folded to spaces).
fn one_line(text: &str, chars: usize) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    match flat.char_indices().nth(chars) {
        Some((cut, _)) => format!("{}…", flat[..cut].trim_end()),
        None => flat,
    }
}

/// The lines under the drift table for a text column tested by a text drift method.
fn text_drift_lines(c: &ColumnDrift) -> Option<String> {
    let t = c.text_drift.as_ref()?;
    let mut out = format!(
        "text column `{}`: classifier AUC {} vs {}; current words: {}; reference words: {}\n",
        c.column,
        c.score.map(format_score).unwrap_or_else(|| "-".into()),
        text_drift_compared_with(c)?,
        none_if_empty(text_drift_words(&t.current_words, 5)),
        none_if_empty(text_drift_words(&t.reference_words, 5)),
    );
    if let (Some(cur), Some(r)) = (t.current_examples.first(), t.reference_examples.first()) {
        out.push_str(&format!(
            "  e.g. current: \"{}\" | reference: \"{}\"\n",
            one_line(cur, 60),
            one_line(r, 60)
        ));
    }
    Some(out)
}

fn none_if_empty(s: String) -> String {
    if s.is_empty() {
        "none".into()
    } else {
        s
    }
}

/// An embedding's method as shown: `mmd`, `mmd (after PCA to 20)`, or `-` when it had none.
pub(crate) fn embedding_method_label(e: &EmbeddingDriftResult) -> String {
    match (&e.method, e.pca_components) {
        (Some(m), Some(k)) => format!("{m} (after PCA to {k})"),
        (Some(m), None) => m.clone(),
        (None, _) => "-".into(),
    }
}

fn drifted_cell(drifted: Option<bool>, style: TerminalStyle) -> Cell {
    let (text, color) = match drifted {
        Some(true) => ("yes", Color::Red),
        Some(false) => ("no", Color::Green),
        None => ("error", Color::Yellow),
    };
    let cell = Cell::new(text);
    if style == TerminalStyle::Rich {
        cell.fg(color).add_attribute(Attribute::Bold)
    } else {
        cell
    }
}

/// Renders the results for a terminal.
pub fn render_terminal(results: &Results, style: TerminalStyle) -> String {
    let mut out = String::new();
    let m = &results.meta;
    out.push_str(&format!(
        "reference: {} ({} rows)\ncurrent:   {} ({} rows)\n",
        m.reference, m.reference_rows, m.current, m.current_rows
    ));
    // The drift verdict comes last, so it is the line a user sees at the bottom.
    if let Some(summary) = &results.summary {
        out.push('\n');
        out.push_str(&crate::summary::render_summary(summary, style));
    }
    if let Some(target) = &results.target {
        out.push('\n');
        out.push_str(&crate::target::render_target(target, style));
    }
    if let Some(c) = &results.classification {
        out.push('\n');
        out.push_str(&crate::model_quality::render_classification(c, style));
    }
    if let Some(r) = &results.regression {
        out.push('\n');
        out.push_str(&crate::model_quality::render_regression(r, style));
    }
    if let Some(drift) = &results.drift {
        out.push('\n');
        out.push_str(&render_drift(drift, style));
    }
    out
}

fn render_drift(drift: &DriftReport, style: TerminalStyle) -> String {
    let mut table = styled_table(style);
    table.set_header(["column", "type", "method", "score", "threshold", "drifted"]);
    for c in &drift.columns {
        table.add_row(vec![
            Cell::new(&c.column),
            Cell::new(c.column_type.as_str()),
            Cell::new(c.method.map(|m| m.name()).unwrap_or("-")),
            Cell::new(c.score.map(format_score).unwrap_or_else(|| "-".into()))
                .set_alignment(CellAlignment::Right),
            Cell::new(c.threshold.map(format_score).unwrap_or_else(|| "-".into()))
                .set_alignment(CellAlignment::Right),
            drifted_cell(c.drifted, style),
        ]);
    }
    let mut out = format!("Data drift\n{table}\n");
    for c in &drift.columns {
        if let Some(lines) = text_drift_lines(c) {
            out.push_str(&lines);
        }
    }
    if !drift.embeddings.is_empty() {
        out.push_str(&render_embeddings(&drift.embeddings, style));
    }
    if !drift.multivariate.is_empty() {
        out.push_str(&render_multivariate(&drift.multivariate, style));
    }
    for c in drift.columns.iter().filter(|c| c.error.is_some()) {
        out.push_str(&format!(
            "warning: column `{}` not tested: {}\n",
            c.column,
            c.error.as_deref().unwrap_or_default()
        ));
    }
    for c in &drift.columns {
        for (side, p) in [
            ("reference", &c.reference_read_problem),
            ("current", &c.current_read_problem),
        ] {
            if let Some(p) = p {
                out.push_str(&format!("warning: {side} data: {}\n", p.message));
            }
        }
    }
    for c in &drift.columns {
        let dropped =
            c.reference_missing + c.reference_infinite + c.current_missing + c.current_infinite;
        if dropped > 0 && c.error.is_none() {
            out.push_str(&format!(
                "note: column `{}`: dropped {} missing and {} infinite reference values, {} missing and {} infinite current values\n",
                c.column, c.reference_missing, c.reference_infinite, c.current_missing, c.current_infinite
            ));
        }
    }
    if !drift.reference_only_columns.is_empty() {
        out.push_str(&format!(
            "warning: only in the reference (not compared): {}\n",
            drift.reference_only_columns.join(", ")
        ));
    }
    if !drift.current_only_columns.is_empty() {
        out.push_str(&format!(
            "warning: only in the current data (not compared): {}\n",
            drift.current_only_columns.join(", ")
        ));
    }
    for s in &drift.skipped_columns {
        out.push_str(&format!(
            "note: column `{}` not drift-tested: {}\n",
            s.column, s.reason
        ));
    }
    out.push('\n');
    let v = verdict(drift);
    if style == TerminalStyle::Rich {
        // Yellow rather than green: "no drift" holds only for the columns tested.
        let color = match (drift.dataset_drift, drift.untested_columns.is_empty()) {
            (true, _) => "31",
            (false, false) => "33",
            (false, true) => "32",
        };
        out.push_str(&format!("\x1b[1;{color}m{v}\x1b[0m\n"));
    } else {
        out.push_str(&v);
        out.push('\n');
    }
    out
}

/// The embeddings table (one row per embedding; they do not count in the dataset verdict)
/// and a line per embedding that could not be tested or left rows out.
fn render_embeddings(embeddings: &[EmbeddingDriftResult], style: TerminalStyle) -> String {
    let mut table = styled_table(style);
    table.set_header([
        "embedding",
        "dimension",
        "method",
        "score",
        "threshold",
        "drifted",
        "rows (ref / cur)",
    ]);
    for e in embeddings {
        let method = embedding_method_label(e);
        table.add_row(vec![
            Cell::new(&e.name),
            Cell::new(e.dimension).set_alignment(CellAlignment::Right),
            Cell::new(method),
            Cell::new(e.score.map(format_score).unwrap_or_else(|| "-".into()))
                .set_alignment(CellAlignment::Right),
            Cell::new(e.threshold.map(format_score).unwrap_or_else(|| "-".into()))
                .set_alignment(CellAlignment::Right),
            drifted_cell(e.drifted, style),
            Cell::new(format!(
                "{} / {}",
                e.reference_rows_used, e.current_rows_used
            ))
            .set_alignment(CellAlignment::Right),
        ]);
    }
    let mut out =
        format!("Embedding drift (not counted in the share of drifted columns)\n{table}\n");
    for e in embeddings {
        if let Some(error) = &e.error {
            out.push_str(&format!(
                "warning: embedding `{}` not tested: {error}\n",
                e.name
            ));
        }
        if let Some(reason) = &e.left_out_reason {
            out.push_str(&format!(
                "note: embedding `{}`: left out {} reference and {} current rows ({reason})\n",
                e.name, e.reference_left_out, e.current_left_out
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use modelwatch_core::drift::UntestedColumn;

    fn report(drifted: usize, count: usize, share: f64) -> DriftReport {
        let drifted_share = drifted as f64 / count as f64;
        DriftReport {
            drift_share: share,
            column_count: count,
            drifted_count: drifted,
            drifted_share,
            dataset_drift: drifted_share >= share,
            columns: vec![],
            reference_only_columns: vec![],
            current_only_columns: vec![],
            skipped_columns: vec![],
            untested_columns: vec![],
            embeddings: vec![],
            multivariate: vec![],
        }
    }

    #[test]
    fn verdict_reads_as_a_sentence() {
        assert_eq!(
            verdict(&report(3, 5, 0.5)),
            "3 of 5 columns drifted (60%) — dataset drift (threshold 50%)"
        );
        assert_eq!(
            verdict(&report(1, 3, 0.5)),
            "1 of 3 columns drifted (33.3%) — no dataset drift (threshold 50%)"
        );
    }

    #[test]
    fn verdict_names_the_columns_that_could_not_be_tested() {
        let mut r = report(0, 3, 0.5);
        r.untested_columns = vec![UntestedColumn {
            column: "petal_width".into(),
            reason: "current values are text".into(),
        }];
        assert_eq!(
            verdict(&r),
            "0 of 3 columns drifted (0%) — no dataset drift (threshold 50%); \
             1 column could not be tested: petal_width (current values are text)"
        );
        r.untested_columns = (0..7)
            .map(|i| UntestedColumn {
                column: format!("c{i}"),
                reason: "current values are all missing".into(),
            })
            .collect();
        assert_eq!(
            untested_clause(&r).unwrap(),
            "7 columns could not be tested: c0 (current values are all missing), \
             c1 (current values are all missing), c2 (current values are all missing), \
             c3 (current values are all missing), c4 (current values are all missing), \
             and 2 more"
        );
    }

    #[test]
    fn text_columns_get_a_line_with_their_words_and_an_example() {
        use modelwatch_core::schema::{ColumnRole, ColumnType};
        use modelwatch_core::stats::text_drift::TextDriftExplanation;
        let word = |w: &str, weight: f64| WordWeight {
            word: w.into(),
            weight,
        };
        let c = ColumnDrift {
            column: "ticket".into(),
            column_type: ColumnType::Text,
            role: ColumnRole::Feature,
            method: Some(DriftMethod::PercTextContentDrift),
            threshold: Some(0.95),
            score: Some(0.91),
            drifted: Some(true),
            reference_rows: 300,
            current_rows: 300,
            reference_missing: 0,
            current_missing: 0,
            reference_infinite: 0,
            current_infinite: 0,
            error: None,
            distribution: None,
            text_drift: Some(TextDriftExplanation {
                compared_with: 0.5712,
                train_rows: 300,
                test_rows: 300,
                vocabulary: 40,
                current_words: vec![word("zapwallet", 2.414), word("crash", 0.5)],
                reference_words: vec![],
                current_examples: vec!["Zapwallet\nfailed again".into()],
                reference_examples: vec!["Parcel late".into()],
            }),
            reference_read_problem: None,
            current_read_problem: None,
        };
        assert_eq!(
            text_drift_lines(&c).unwrap(),
            "text column `ticket`: classifier AUC 0.9100 vs 0.5712 (percentile 95 of \
             random AUCs); current words: zapwallet +2.41, crash +0.50; reference words: none\n  \
             e.g. current: \"Zapwallet failed again\" | reference: \"Parcel late\"\n"
        );
    }

    #[test]
    fn scores_are_compact() {
        assert_eq!(format_score(7.1e-6), "7.10e-6");
        assert_eq!(format_score(0.05), "0.0500");
        assert_eq!(format_score(0.0), "0");
    }
}
