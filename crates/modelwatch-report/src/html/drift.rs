//! The data drift section: a sortable table with a sparkline per column, and per column
//! (inside `<details>`) the distributions and the statistic explained in one sentence.

use std::fmt::Write;

use modelwatch_core::drift::{
    ColumnDistribution, ColumnDrift, DriftMethod, DriftReport, DriftRule, EmbeddingDriftResult,
    MultivariateDrift,
};

use super::svg::{self, share, BarRow, ExtraBar};
use super::{esc, trim_pct};
use crate::terminal::{
    embedding_method_label, format_score, multivariate_band, multivariate_top_columns,
    text_drift_compared_with,
};

pub(super) fn section(out: &mut String, drift: &DriftReport) {
    let _ = writeln!(
        out,
        "<section id=\"drift\"><h2>Data drift</h2>\n<p>{} of {} tested columns drifted ({}%); the dataset counts as drifted at {}%. Expand a row for its distributions.</p>",
        drift.drifted_count,
        drift.column_count,
        trim_pct(drift.drifted_share * 100.0),
        trim_pct(drift.drift_share * 100.0),
    );
    out.push_str(
        "<div class=\"controls\" id=\"drift-controls\" hidden><label><input type=\"checkbox\" id=\"only-drifted\"> only drifted columns</label>\
<button type=\"button\" id=\"expand-all\">expand all</button><button type=\"button\" id=\"collapse-all\">collapse all</button>\
<span><span class=\"key ref\">reference</span><span class=\"key cur\">current</span></span></div>\n",
    );
    out.push_str("<table class=\"coltable\" id=\"drift-table\"><thead><tr>");
    for (key, label, num) in [
        ("column", "Column", false),
        ("type", "Type", false),
        ("method", "Method", false),
        ("score", "Score", true),
        ("threshold", "Threshold", true),
        ("drifted", "Drifted", false),
    ] {
        let _ = write!(
            out,
            "<th scope=\"col\"><button type=\"button\" data-key=\"{key}\"{}>{label}</button></th>",
            if num { " data-num" } else { "" }
        );
    }
    out.push_str("<th scope=\"col\">Distribution</th></tr></thead>\n");
    for (i, c) in drift.columns.iter().enumerate() {
        column(out, "drift-col", i, c);
    }
    out.push_str("</table>\n");
    if !drift.embeddings.is_empty() {
        embeddings(out, &drift.embeddings);
    }
    if !drift.multivariate.is_empty() {
        multivariate(out, &drift.multivariate);
    }
    notes(out, drift);
    out.push_str("</section>\n");
}

/// One row per embedding: its size, method, score against the threshold, verdict and the
/// rows it compared; why it could not be tested, or why rows were left out, below the table.
fn embeddings(out: &mut String, embeddings: &[EmbeddingDriftResult]) {
    let drifted = embeddings
        .iter()
        .filter(|e| e.drifted == Some(true))
        .count();
    let _ = write!(
        out,
        "<h3>Embeddings</h3>\n<p>{drifted} of {} embeddings drifted. Each is tested as a whole by an embedding drift method; embeddings do not count in the share of drifted columns.</p>\n\
<table class=\"stats\" id=\"embedding-table\"><thead><tr>",
        embeddings.len()
    );
    for h in [
        "Embedding",
        "Dimension",
        "Method",
        "Score",
        "Threshold",
        "Drifted",
        "Rows used (reference / current)",
        "Rows left out (reference / current)",
    ] {
        let _ = write!(out, "<th scope=\"col\">{h}</th>");
    }
    out.push_str("</tr></thead><tbody>\n");
    let mut notes: Vec<String> = Vec::new();
    for e in embeddings {
        let (word, class) = drifted_word(e.drifted);
        let method = embedding_method_label(e);
        let num = |v: Option<f64>| v.map(format_score).unwrap_or_else(|| "-".into());
        let _ = writeln!(
            out,
            "<tr data-embedding=\"{}\"><th scope=\"row\">{}</th><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"{class}\">{word}</td><td class=\"num\">{} / {}</td><td class=\"num\">{} / {}</td></tr>",
            esc(&e.name),
            esc(&e.name),
            e.dimension,
            esc(&method),
            esc(&num(e.score)),
            esc(&num(e.threshold)),
            e.reference_rows_used,
            e.current_rows_used,
            e.reference_left_out,
            e.current_left_out,
        );
        if let Some(error) = &e.error {
            notes.push(format!("Embedding {}: not tested: {error}", e.name));
        }
        if let Some(reason) = &e.left_out_reason {
            notes.push(format!(
                "Embedding {}: {} reference and {} current rows left out ({reason})",
                e.name, e.reference_left_out, e.current_left_out
            ));
        }
    }
    out.push_str("</tbody></table>\n");
    if !notes.is_empty() {
        out.push_str("<ul class=\"notes\">");
        for n in notes {
            let _ = write!(out, "<li>{}</li>", esc(&n));
        }
        out.push_str("</ul>\n");
    }
}

/// One row per multivariate method asked for: its score against its band, the verdict and
/// the columns that contribute most; why a method could not run, below the table.
pub(super) fn multivariate(out: &mut String, methods: &[MultivariateDrift]) {
    let drifted = methods.iter().filter(|m| m.drifted == Some(true)).count();
    let _ = write!(
        out,
        "<h3>Multivariate drift</h3>\n<p>{drifted} of {} multivariate methods found drift. They look at the feature columns together (a change in how columns move together that per-column tests cannot see) and do not count in the share of drifted columns.</p>\n\
<table class=\"stats\" id=\"multivariate-table\"><thead><tr>",
        methods.len()
    );
    for h in ["Method", "Score", "No-drift band", "Drifted", "Top columns"] {
        let _ = write!(out, "<th scope=\"col\">{h}</th>");
    }
    out.push_str("</tr></thead><tbody>\n");
    let mut notes: Vec<String> = Vec::new();
    for m in methods {
        let (word, class) = drifted_word(m.drifted);
        let score = m.score.map(format_score).unwrap_or_else(|| "-".into());
        let _ = writeln!(
            out,
            "<tr data-multivariate=\"{0}\"><th scope=\"row\">{0}</th><td class=\"num\">{1}</td><td>{2}</td><td class=\"{class}\">{word}</td><td>{3}</td></tr>",
            esc(m.method.name()),
            esc(&score),
            esc(&multivariate_band(m)),
            esc(&multivariate_top_columns(m)),
        );
        if let Some(error) = &m.error {
            notes.push(format!(
                "Multivariate method {}: did not run: {error}",
                m.method.name()
            ));
        }
    }
    out.push_str("</tbody></table>\n");
    if !notes.is_empty() {
        out.push_str("<ul class=\"notes\">");
        for n in notes {
            let _ = write!(out, "<li>{}</li>", esc(&n));
        }
        out.push_str("</ul>\n");
    }
}

fn drifted_word(drifted: Option<bool>) -> (&'static str, &'static str) {
    match drifted {
        Some(true) => ("yes", "yes"),
        Some(false) => ("no", "no"),
        None => ("error", "err"),
    }
}

/// One column: a `<tbody>` (sortable as a unit) with the table row and its details row.
/// `#{id_prefix}-N` in the page address (e.g. `#drift-col-3`) opens the N-th column's details.
pub(super) fn column(out: &mut String, id_prefix: &str, index: usize, c: &ColumnDrift) {
    let (word, class) = drifted_word(c.drifted);
    let method = c.method.map(|m| m.name()).unwrap_or("-");
    let score = c.score.map(format_score).unwrap_or_else(|| "-".into());
    let threshold = c.threshold.map(format_score).unwrap_or_else(|| "-".into());
    let raw = |v: Option<f64>| match v {
        Some(x) if x.is_finite() => format!("{x:e}"),
        _ => String::new(),
    };
    let _ = write!(
        out,
        "<tbody class=\"col\" id=\"{id_prefix}-{index}\" data-column=\"{}\" data-type=\"{}\" data-method=\"{}\" data-score=\"{}\" data-threshold=\"{}\" data-drifted=\"{word}\">\
<tr class=\"main\"><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"{class}\">{word}</td><td>",
        esc(&c.column),
        c.column_type.as_str(),
        esc(method),
        raw(c.score),
        raw(c.threshold),
        esc(&c.column),
        c.column_type.as_str(),
        esc(method),
        esc(&score),
        esc(&threshold),
    );
    if let Some(d) = &c.distribution {
        let (r, cu) = spark_shares(d, c);
        svg::sparkline(
            out,
            &r,
            &cu,
            &format!("{}: reference (area) and current (line)", c.column),
        );
    }
    out.push_str("</td></tr>\n<tr class=\"more\"><td colspan=\"7\"><details><summary>distribution and explanation</summary><div class=\"detail\">");
    let _ = write!(out, "<p>{}</p>", esc(&explanation(c)));
    for line in read_problem_lines(std::slice::from_ref(c)) {
        let _ = write!(out, "<p class=\"read-problem\">{}</p>", esc(&line));
    }
    text_drift_details(out, c);
    let dropped = [
        ("missing", c.reference_missing, c.current_missing),
        ("infinite", c.reference_infinite, c.current_infinite),
    ];
    for (what, r, cu) in dropped {
        if r + cu > 0 {
            let _ = write!(
                out,
                "<p>{what} values (left out of the test): reference {r} ({}), current {cu} ({}).</p>",
                svg::pct(share(r as u64, c.reference_rows as u64)),
                svg::pct(share(cu as u64, c.current_rows as u64)),
            );
        }
    }
    out.push_str(
        "<div><span class=\"key ref\">reference</span><span class=\"key cur\">current</span></div>",
    );
    chart(out, c);
    out.push_str("</div></details></td></tr></tbody>\n");
}

/// For a text column tested by a text drift method: the words with the largest classifier
/// weights towards each side, and the test texts most typical of each side.
fn text_drift_details(out: &mut String, c: &ColumnDrift) {
    let Some(t) = &c.text_drift else {
        return;
    };
    let _ = write!(
        out,
        "<div class=\"textdrift\"><p>Classifier trained on {} texts, scored on {}; {} words after stop words and words in more than half of the texts.</p>",
        t.train_rows, t.test_rows, t.vocabulary
    );
    for (title, words) in [
        ("Words typical of the current data", &t.current_words),
        ("Words typical of the reference", &t.reference_words),
    ] {
        let _ = write!(out, "<p>{title} (classifier weight): ");
        if words.is_empty() {
            out.push_str("none");
        }
        for (i, w) in words.iter().enumerate() {
            let _ = write!(
                out,
                "{}<code>{}</code> {:+.2}",
                if i > 0 { ", " } else { "" },
                esc(&w.word),
                w.weight
            );
        }
        out.push_str("</p>");
    }
    for (title, texts) in [
        (
            "Current texts the classifier finds most current",
            &t.current_examples,
        ),
        (
            "Reference texts it finds most reference-like",
            &t.reference_examples,
        ),
    ] {
        if texts.is_empty() {
            continue;
        }
        let _ = write!(out, "<p>{title}:</p><ul>");
        for text in texts {
            let _ = write!(out, "<li><q>{}</q></li>", esc(text));
        }
        out.push_str("</ul>");
    }
    out.push_str("</div>");
}

/// Shares per bin or label for the sparkline (missing values left out).
fn spark_shares(d: &ColumnDistribution, c: &ColumnDrift) -> (Vec<f64>, Vec<f64>) {
    let (rr, cr) = (c.reference_rows as u64, c.current_rows as u64);
    match d {
        ColumnDistribution::Histogram {
            reference, current, ..
        } => (
            reference.iter().map(|&n| share(n, rr)).collect(),
            current.iter().map(|&n| share(n, cr)).collect(),
        ),
        ColumnDistribution::Categories {
            reference,
            current,
            other_labels,
            other_reference,
            other_current,
            ..
        } => {
            let mut r: Vec<f64> = reference.iter().map(|&n| share(n, rr)).collect();
            let mut cu: Vec<f64> = current.iter().map(|&n| share(n, cr)).collect();
            if *other_labels > 0 {
                r.push(share(*other_reference, rr));
                cu.push(share(*other_current, cr));
            }
            (r, cu)
        }
    }
}

/// The detail chart of a column: overlaid histograms or paired bars, missing values as
/// their own bar. A column without counts gets a chart that says so.
fn chart(out: &mut String, c: &ColumnDrift) {
    let (rr, cr) = (c.reference_rows as u64, c.current_rows as u64);
    match &c.distribution {
        Some(ColumnDistribution::Histogram {
            edges,
            reference,
            current,
            reference_missing,
            current_missing,
        }) => {
            let mut extras = Vec::new();
            if reference_missing + current_missing > 0 {
                extras.push(ExtraBar {
                    label: "missing",
                    reference: *reference_missing,
                    current: *current_missing,
                });
            }
            if c.reference_infinite + c.current_infinite > 0 {
                extras.push(ExtraBar {
                    label: "±inf",
                    reference: c.reference_infinite as u64,
                    current: c.current_infinite as u64,
                });
            }
            svg::histogram(out, edges, reference, current, &extras, rr, cr, &c.column);
        }
        Some(ColumnDistribution::Categories {
            labels,
            reference,
            current,
            other_labels,
            other_reference,
            other_current,
            reference_missing,
            current_missing,
        }) => {
            let mut rows: Vec<BarRow> = labels
                .iter()
                .zip(reference.iter().zip(current))
                .map(|(l, (&r, &cu))| BarRow {
                    label: l.clone(),
                    reference: r,
                    current: cu,
                    aggregate: false,
                })
                .collect();
            if *other_labels > 0 {
                rows.push(BarRow {
                    label: format!("other ({other_labels} labels)"),
                    reference: *other_reference,
                    current: *other_current,
                    aggregate: true,
                });
            }
            if reference_missing + current_missing > 0 {
                rows.push(BarRow {
                    label: "missing".into(),
                    reference: *reference_missing,
                    current: *current_missing,
                    aggregate: true,
                });
            }
            svg::paired_bars(
                out,
                &rows,
                rr,
                cr,
                &format!("Distribution of {}: share of rows per label", c.column),
            );
        }
        None => svg::paired_bars(
            out,
            &[],
            rr,
            cr,
            &format!(
                "{}: no distribution (the column could not be read as its type)",
                c.column
            ),
        ),
    }
}

/// What the method looks at, in a clause.
fn measures(m: DriftMethod) -> &'static str {
    use DriftMethod::*;
    match m {
        Ks => "the largest gap between the two cumulative distributions",
        Anderson | CramerVonMises => "the gaps between the two cumulative distributions over the whole range",
        MannWhitney => "whether values of one sample tend to be larger than those of the other",
        TTest => "the difference between the two means",
        EppsSingleton => "the empirical characteristic functions of the two samples",
        EnergyDistance | EmpiricalMmd => "distances between all pairs of values, within and across the samples",
        Wasserstein => "how far values must move to turn one distribution into the other, in reference standard deviations",
        ChiSquare | GTest | Z | FisherExact | Tvd => "how often each category occurs on each side",
        Psi | KlDiv | JensenShannon | Hellinger => "the shares of values per bin or category on each side",
        AbsTextContentDrift | PercTextContentDrift => "how well a classifier on the words of half the texts tells current texts from reference texts in the other half",
    }
}

/// The statistic explained in one sentence, e.g. "K-S p-value 1.00e-5 ≤ 0.05: the two
/// samples are unlikely to come from one distribution (it compares …)."
pub(super) fn explanation(c: &ColumnDrift) -> String {
    let (Some(m), Some(score), Some(t), Some(drifted)) =
        (c.method, c.score, c.threshold, c.drifted)
    else {
        return match (&c.error, c.method) {
            (Some(e), Some(m)) => format!("Not tested with {}: {e}.", m.display_name()),
            (Some(e), None) => format!("Not tested: {e}."),
            (None, _) => "Not tested.".into(),
        };
    };
    if let Some(compared_with) = text_drift_compared_with(c) {
        let (op, verdict) = if drifted {
            (
                ">",
                "current texts differ from reference texts in their words",
            )
        } else {
            (
                "≤",
                "the classifier does not tell current from reference texts better than allowed",
            )
        };
        return format!(
            "{} {} {op} {compared_with}: {verdict} (it measures {}).",
            m.display_name(),
            format_score(score),
            measures(m)
        );
    }
    let rule = m.rule();
    let op = match (rule, drifted) {
        (DriftRule::PValueAtMost, true) | (DriftRule::DistanceAbove, false) => "≤",
        (DriftRule::PValueBelow, true) | (DriftRule::DistanceAtLeast, false) => "<",
        (DriftRule::PValueAtMost, false) | (DriftRule::DistanceAbove, true) => ">",
        (DriftRule::PValueBelow, false) | (DriftRule::DistanceAtLeast, true) => "≥",
    };
    let verdict = match (rule.is_p_value(), drifted) {
        (true, true) => "the two samples are unlikely to come from one distribution",
        (true, false) => "the samples are consistent with one distribution",
        (false, true) => "the distributions are further apart than the threshold allows",
        (false, false) => "the distributions are close enough",
    };
    let kind = if rule.is_p_value() {
        "the test compares"
    } else {
        "it measures"
    };
    format!(
        "{} {} {op} {}: {verdict} ({kind} {}).",
        m.display_name(),
        format_score(score),
        format_score(t),
        measures(m)
    )
}

/// "Current data: 12 values in column `ticket` are not valid UTF-8 ..." for each side of each
/// column the reader decoded lossily.
pub(super) fn read_problem_lines(columns: &[ColumnDrift]) -> Vec<String> {
    columns
        .iter()
        .flat_map(|c| {
            [
                ("Reference data", &c.reference_read_problem),
                ("Current data", &c.current_read_problem),
            ]
            .into_iter()
            .filter_map(|(side, p)| Some(format!("{side}: {}", p.as_ref()?.message)))
        })
        .collect()
}

fn notes(out: &mut String, drift: &DriftReport) {
    let mut items: Vec<String> = Vec::new();
    if !drift.reference_only_columns.is_empty() {
        items.push(format!(
            "Only in the reference (not compared): {}",
            drift.reference_only_columns.join(", ")
        ));
    }
    if !drift.current_only_columns.is_empty() {
        items.push(format!(
            "Only in the current data (not compared): {}",
            drift.current_only_columns.join(", ")
        ));
    }
    for s in &drift.skipped_columns {
        items.push(format!("{}: not drift-tested ({})", s.column, s.reason));
    }
    items.extend(read_problem_lines(&drift.columns));
    if items.is_empty() {
        return;
    }
    out.push_str("<ul class=\"notes\">");
    for i in items {
        let _ = write!(out, "<li>{}</li>", esc(&i));
    }
    out.push_str("</ul>\n");
}
