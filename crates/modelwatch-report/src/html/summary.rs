//! The data quality section (`summary` preset): dataset statistics of the reference and the
//! current data side by side, and per column one row per dataset with the current row's
//! changes highlighted (missing share up, values outside the reference range, new labels,
//! another most common value), each change also named in words in the notes cell.

use std::fmt::Write;

use modelwatch_core::summary::{ColumnStats, ColumnSummary, DataSummary, DatasetStats, Value};
use modelwatch_core::time::{format_us, TimeShape};

use modelwatch_core::schema::ColumnRole;

use super::esc;
use super::svg::{pct, truncate, value};

/// Missing share rise (absolute) that counts as a change.
const MISSING_RISE: f64 = 0.01;
/// Labels named in a note before "and N more".
const NOTE_LABELS: usize = 5;

pub(super) fn section(out: &mut String, s: &DataSummary) {
    let changed = s.columns.iter().filter(|c| !changes(c).is_empty()).count();
    let _ = writeln!(
        out,
        "<section id=\"summary\"><h2>Data quality</h2>\n<p>{} columns; {changed} with changes from the reference (highlighted).</p>",
        s.columns.len()
    );
    dataset_table(out, s.reference.as_ref(), &s.current);
    column_table(out, s);
    if !s.ignored_columns.is_empty() {
        let _ = writeln!(
            out,
            "<ul class=\"notes\"><li>Left out on request: {}</li></ul>",
            esc(&s.ignored_columns.join(", "))
        );
    }
    if !s.embeddings.is_empty() {
        out.push_str("<ul class=\"notes\">");
        for e in &s.embeddings {
            let _ = write!(
                out,
                "<li>{}</li>",
                esc(&crate::summary::embedding_members_note(e))
            );
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
}

type DatasetRow = (&'static str, fn(&DatasetStats) -> f64, bool, Kind);

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Count,
    Share,
}

fn dataset_table(out: &mut String, reference: Option<&DatasetStats>, current: &DatasetStats) {
    // (label, value, is a problem that should not grow, kind); row-based problems are
    // compared as shares of rows, since the datasets differ in length.
    let rows: [DatasetRow; 14] = [
        ("Rows", |d| d.rows as f64, false, Kind::Count),
        ("Columns", |d| d.columns as f64, false, Kind::Count),
        (
            "Numerical columns",
            |d| d.numerical_columns as f64,
            false,
            Kind::Count,
        ),
        (
            "Categorical columns",
            |d| d.categorical_columns as f64,
            false,
            Kind::Count,
        ),
        (
            "Text columns",
            |d| d.text_columns as f64,
            false,
            Kind::Count,
        ),
        (
            "Datetime columns",
            |d| d.datetime_columns as f64,
            false,
            Kind::Count,
        ),
        (
            "Duplicated rows (share)",
            |d| ratio(d.duplicated_rows, d.rows),
            true,
            Kind::Share,
        ),
        (
            "Empty rows (share)",
            |d| ratio(d.empty_rows, d.rows),
            true,
            Kind::Share,
        ),
        (
            "Duplicated column pairs",
            |d| d.duplicated_columns as f64,
            true,
            Kind::Count,
        ),
        (
            "Almost duplicated column pairs",
            |d| d.almost_duplicated_columns as f64,
            true,
            Kind::Count,
        ),
        (
            "Constant columns",
            |d| d.constant_columns as f64,
            true,
            Kind::Count,
        ),
        (
            "Almost constant columns",
            |d| d.almost_constant_columns as f64,
            true,
            Kind::Count,
        ),
        (
            "Empty columns",
            |d| d.empty_columns as f64,
            true,
            Kind::Count,
        ),
        (
            "Missing cells (share)",
            |d| d.missing_values_share.unwrap_or(0.0),
            true,
            Kind::Share,
        ),
    ];
    out.push_str(
        "<table class=\"stats\" id=\"dataset-stats\"><thead><tr><th scope=\"col\">Dataset</th>",
    );
    if reference.is_some() {
        out.push_str("<th scope=\"col\" class=\"num\">Reference</th>");
    }
    out.push_str("<th scope=\"col\" class=\"num\">Current</th></tr></thead><tbody>");
    for (label, get, problem, kind) in rows {
        let cur = get(current);
        let fmt = |v: f64| match kind {
            Kind::Count => format!("{}", v as u64),
            Kind::Share => pct(v),
        };
        let _ = write!(out, "<tr><th scope=\"row\">{label}</th>");
        let mut class = "num";
        let mut title = String::new();
        if let Some(r) = reference {
            let rv = get(r);
            let _ = write!(out, "<td class=\"num\">{}</td>", fmt(rv));
            if problem && cur > rv {
                class = "num chg";
                title = format!(" title=\"up from {}\"", fmt(rv));
            }
        }
        let mark = if class == "num chg" { " ▲" } else { "" };
        let _ = write!(
            out,
            "<td class=\"{class}\"{title}>{}{mark}</td></tr>",
            fmt(cur)
        );
    }
    out.push_str("</tbody></table>\n");
}

fn ratio(n: usize, d: usize) -> f64 {
    if d == 0 {
        0.0
    } else {
        n as f64 / d as f64
    }
}

/// What changed in a column from the reference to the current data, in words (empty
/// without a reference side).
pub(super) fn changes(c: &ColumnSummary) -> Vec<Change> {
    let mut out = Vec::new();
    let (r, cu) = match (&c.reference, &c.current) {
        (Some(r), Some(cu)) => (r, cu),
        (Some(_), None) => {
            out.push(Change::new(Cell::None, "not in the current data".into()));
            return out;
        }
        _ => return out,
    };
    let (rm, cm) = (
        r.missing_share.unwrap_or(0.0),
        cu.missing_share.unwrap_or(0.0),
    );
    if cm - rm >= MISSING_RISE || (rm == 0.0 && cm > 0.0) {
        out.push(Change::new(
            Cell::Missing,
            format!("missing {} → {}", pct(rm), pct(cm)),
        ));
    }
    if let (Some(rn), Some(cn)) = (&r.numeric, &cu.numeric) {
        if let (Some(a), Some(b)) = (rn.min, cn.min) {
            if b < a {
                out.push(Change::new(
                    Cell::Min,
                    format!(
                        "minimum {} below the reference minimum {}",
                        value(b),
                        value(a)
                    ),
                ));
            }
        }
        if let (Some(a), Some(b)) = (rn.max, cn.max) {
            if b > a {
                out.push(Change::new(
                    Cell::Max,
                    format!(
                        "maximum {} above the reference maximum {}",
                        value(b),
                        value(a)
                    ),
                ));
            }
        }
    }
    if let Some(cat) = &c.categories {
        if !cat.new_labels.is_empty() {
            out.push(Change::new(
                Cell::Distinct,
                format!("new labels: {}", list(&cat.new_labels)),
            ));
        }
        if !cat.unused_labels.is_empty() {
            out.push(Change::new(
                Cell::None,
                format!("labels no longer seen: {}", list(&cat.unused_labels)),
            ));
        }
        if r.most_common.is_some() && cu.most_common.is_some() && r.most_common != cu.most_common {
            out.push(Change::new(
                Cell::MostCommon,
                format!(
                    "most common value was {}",
                    truncate(&show(r.most_common.as_ref()), 40)
                ),
            ));
        }
    }
    if r.distinct > 1 && cu.distinct == 1 {
        out.push(Change::new(Cell::Distinct, "became constant".into()));
    }
    out
}

pub(super) fn role_name(r: ColumnRole) -> &'static str {
    match r {
        ColumnRole::Feature => "feature",
        ColumnRole::Target => "target",
        ColumnRole::Prediction => "prediction",
        ColumnRole::Id => "id",
        ColumnRole::Timestamp => "timestamp",
    }
}

fn list(labels: &[String]) -> String {
    let mut s: Vec<String> = labels
        .iter()
        .take(NOTE_LABELS)
        .map(|l| truncate(l, 30))
        .collect();
    if labels.len() > NOTE_LABELS {
        s.push(format!("and {} more", labels.len() - NOTE_LABELS));
    }
    s.join(", ")
}

/// The cell of the current row a change highlights.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Cell {
    None,
    Missing,
    Distinct,
    MostCommon,
    Min,
    Max,
}

pub(super) struct Change {
    cell: Cell,
    pub text: String,
}

impl Change {
    fn new(cell: Cell, text: String) -> Self {
        Change { cell, text }
    }
}

fn show(v: Option<&Value>) -> String {
    match v {
        None => "-".into(),
        Some(Value::Number(x)) => value(*x),
        Some(Value::Label(l)) => l.clone(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Datetime(us)) => format_us(*us, TimeShape::Naive),
    }
}

/// The statistic cells of one dataset's row: missing, distinct, most common, min, mean,
/// max, std (text columns: lengths; datetime columns: the range).
fn stat_cells(st: &ColumnStats) -> [(Cell, String); 7] {
    let opt = |v: Option<f64>| v.map_or_else(|| "-".to_string(), value);
    let (min, mean, max, std) = if let Some(n) = &st.numeric {
        (opt(n.min), opt(n.mean), opt(n.max), opt(n.std))
    } else if let Some(t) = &st.text {
        (
            t.length_min.map_or("-".into(), |v| format!("{v} chars")),
            opt(t.length_mean),
            t.length_max.map_or("-".into(), |v| format!("{v} chars")),
            "-".into(),
        )
    } else if let Some(d) = &st.datetime {
        let f = |v: Option<i64>| v.map_or("-".into(), |t| format_us(t, TimeShape::Naive));
        (f(d.min), "-".into(), f(d.max), "-".into())
    } else {
        ("-".into(), "-".into(), "-".into(), "-".into())
    };
    let missing = format!("{} ({})", st.missing, pct(st.missing_share.unwrap_or(0.0)));
    let common = match &st.most_common {
        None => "-".to_string(),
        Some(v) => format!(
            "{} ({})",
            truncate(&show(Some(v)), 24),
            pct(st.most_common_share.unwrap_or(0.0))
        ),
    };
    [
        (Cell::Missing, missing),
        (Cell::Distinct, st.distinct.to_string()),
        (Cell::MostCommon, common),
        (Cell::Min, min),
        (Cell::None, mean),
        (Cell::Max, max),
        (Cell::None, std),
    ]
}

fn column_table(out: &mut String, s: &DataSummary) {
    out.push_str(
        "<table class=\"stats\" id=\"column-stats\"><thead><tr><th scope=\"col\">Column</th><th scope=\"col\">Data</th>\
<th scope=\"col\" class=\"num\">Missing</th><th scope=\"col\" class=\"num\">Distinct</th><th scope=\"col\">Most common</th>\
<th scope=\"col\" class=\"num\">Min</th><th scope=\"col\" class=\"num\">Mean</th><th scope=\"col\" class=\"num\">Max</th><th scope=\"col\" class=\"num\">Std</th><th scope=\"col\">Changes</th></tr></thead>\n",
    );
    for c in &s.columns {
        let ch = changes(c);
        let sides: Vec<(&str, &ColumnStats)> =
            [("reference", &c.reference), ("current", &c.current)]
                .into_iter()
                .filter_map(|(n, st)| st.as_ref().map(|st| (n, st)))
                .collect();
        let span = sides.len().max(1);
        let _ = write!(
            out,
            "<tbody class=\"cs{}\" data-column=\"{}\"><tr><th scope=\"rowgroup\" rowspan=\"{span}\">{}<br><small>{}, {}</small></th>",
            if ch.is_empty() { "" } else { " changed" },
            esc(&c.column),
            esc(&c.column),
            c.column_type.as_str(),
            role_name(c.role)
        );
        if sides.is_empty() {
            out.push_str("<td colspan=\"8\">no statistics</td>");
        }
        for (k, (name, st)) in sides.iter().enumerate() {
            if k > 0 {
                out.push_str("<tr>");
            }
            let _ = write!(out, "<td>{name}</td>");
            for (cell, text) in stat_cells(st) {
                let hit = if *name == "current" && cell != Cell::None {
                    ch.iter().find(|x| x.cell == cell)
                } else {
                    None
                };
                let num = if cell == Cell::MostCommon { "" } else { "num" };
                match hit {
                    Some(x) => {
                        let _ = write!(
                            out,
                            "<td class=\"{num} chg\" title=\"{}\">{} ▲</td>",
                            esc(&x.text),
                            esc(&text)
                        );
                    }
                    None => {
                        let _ = write!(out, "<td class=\"{num}\">{}</td>", esc(&text));
                    }
                }
            }
            if k == 0 {
                let mut notes: Vec<String> = ch.iter().map(|x| x.text.clone()).collect();
                if let Some(e) = &c.error {
                    notes.push(e.clone());
                }
                for (side, p) in [
                    ("reference data", &c.reference_read_problem),
                    ("current data", &c.current_read_problem),
                ] {
                    if let Some(p) = p {
                        notes.push(format!("{side}: {}", p.message));
                    }
                }
                let _ = write!(
                    out,
                    "<td rowspan=\"{span}\" class=\"notes-cell\">{}</td>",
                    esc(&notes.join("; "))
                );
            }
            out.push_str("</tr>");
        }
        if sides.is_empty() {
            out.push_str("<td></td></tr>");
        }
        out.push_str("</tbody>\n");
    }
    out.push_str("</table>\n");
}
