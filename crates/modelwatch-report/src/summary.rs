//! The terminal section of the data quality summary: a dataset table (reference vs
//! current) and a per-column table. Every number comes from [`DataSummary`].

use comfy_table::{Attribute, Cell, CellAlignment, ContentArrangement, Table};
use modelwatch_core::schema::ColumnType;
use modelwatch_core::summary::{ColumnStats, DataSummary, DatasetStats, Value};
use modelwatch_core::time::{format_us, TimeShape};

use crate::terminal::{styled_table, TerminalStyle};

fn new_table(style: TerminalStyle) -> Table {
    let mut t = styled_table(style);
    // The per-column cells hold several lines; let the table wrap to the terminal.
    t.set_content_arrangement(ContentArrangement::Dynamic);
    t
}

fn header(names: &[&str], style: TerminalStyle) -> Vec<Cell> {
    names
        .iter()
        .map(|n| {
            let c = Cell::new(n);
            if style == TerminalStyle::Rich {
                c.add_attribute(Attribute::Bold)
            } else {
                c
            }
        })
        .collect()
}

/// A number in a compact form: integers as such, others with up to 4 significant decimals.
fn fmt_num(v: f64) -> String {
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    if v == v.trunc() && v.abs() < 1e15 {
        return format!("{v:.0}");
    }
    let a = v.abs();
    if !(1e-3..1e6).contains(&a) {
        format!("{v:.3e}")
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

fn fmt_opt(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_string(), fmt_num)
}

fn fmt_pct(v: Option<f64>) -> String {
    v.map_or_else(
        || "—".to_string(),
        |s| format!("{}%", crate::trim_pct(s * 100.0)),
    )
}

fn count_share(n: usize, share: Option<f64>) -> String {
    format!("{n} ({})", fmt_pct(share))
}

fn fmt_value(v: &Value) -> String {
    match v {
        Value::Number(x) => fmt_num(*x),
        Value::Label(l) => l.clone(),
        Value::Bool(b) => if *b { "True" } else { "False" }.to_string(),
        Value::Datetime(us) => format_us(*us, TimeShape::Naive),
    }
}

fn dataset_rows(d: &DatasetStats) -> Vec<(&'static str, String)> {
    vec![
        ("rows", d.rows.to_string()),
        ("columns", d.columns.to_string()),
        ("numerical columns", d.numerical_columns.to_string()),
        ("categorical columns", d.categorical_columns.to_string()),
        ("text columns", d.text_columns.to_string()),
        ("datetime columns", d.datetime_columns.to_string()),
        (
            "missing values",
            count_share(d.missing_values, d.missing_values_share),
        ),
        ("empty rows", d.empty_rows.to_string()),
        ("duplicated rows", d.duplicated_rows.to_string()),
        ("empty columns", d.empty_columns.to_string()),
        ("constant columns", d.constant_columns.to_string()),
        (
            "almost constant columns",
            d.almost_constant_columns.to_string(),
        ),
        ("duplicated column pairs", d.duplicated_columns.to_string()),
        (
            "almost duplicated column pairs",
            d.almost_duplicated_columns.to_string(),
        ),
    ]
}

/// One line describing a column's values in one dataset, by type.
fn describe(stats: &ColumnStats, ty: ColumnType) -> String {
    let mut parts = vec![
        format!("count {}", stats.count),
        format!(
            "missing {}",
            count_share(stats.missing, stats.missing_share)
        ),
    ];
    if let Some(n) = &stats.numeric {
        if n.infinite > 0 {
            parts.push(format!("inf {}", n.infinite));
        }
        parts.push(format!(
            "min {} · q25 {} · median {} · q75 {} · max {}",
            fmt_opt(n.min),
            fmt_opt(n.q25),
            fmt_opt(n.q50),
            fmt_opt(n.q75),
            fmt_opt(n.max)
        ));
        parts.push(format!("mean {} · std {}", fmt_opt(n.mean), fmt_opt(n.std)));
    }
    if let Some(d) = &stats.datetime {
        let f =
            |x: Option<i64>| x.map_or_else(|| "—".to_string(), |t| format_us(t, TimeShape::Naive));
        parts.push(format!("from {} to {}", f(d.min), f(d.max)));
    }
    if let Some(t) = &stats.text {
        parts.push(format!(
            "length {}–{} (mean {})",
            t.length_min.map_or("—".into(), |x| x.to_string()),
            t.length_max.map_or("—".into(), |x| x.to_string()),
            fmt_opt(t.length_mean)
        ));
    }
    parts.push(format!(
        "distinct {}",
        count_share(stats.distinct, stats.distinct_share)
    ));
    if ty != ColumnType::Text {
        if let Some(v) = &stats.most_common {
            parts.push(format!(
                "top {} ({})",
                fmt_value(v),
                fmt_pct(stats.most_common_share)
            ));
        }
    }
    parts.join("\n")
}

/// Renders the data quality summary for a terminal.
pub fn render_summary(summary: &DataSummary, style: TerminalStyle) -> String {
    let has_ref = summary.reference.is_some();
    let mut out = String::from("Data summary\n");

    let mut t = new_table(style);
    let names: &[&str] = if has_ref {
        &["", "reference", "current"]
    } else {
        &["", "current"]
    };
    t.set_header(header(names, style));
    let cur = dataset_rows(&summary.current);
    let refr = summary.reference.as_ref().map(dataset_rows);
    for (i, (name, c)) in cur.into_iter().enumerate() {
        let mut row = vec![Cell::new(name)];
        if let Some(r) = &refr {
            row.push(Cell::new(&r[i].1).set_alignment(CellAlignment::Right));
        }
        row.push(Cell::new(c).set_alignment(CellAlignment::Right));
        t.add_row(row);
    }
    out.push_str(&t.to_string());
    out.push('\n');

    if !summary.columns.is_empty() {
        let mut t = new_table(style);
        let names: &[&str] = if has_ref {
            &["column", "type", "reference", "current"]
        } else {
            &["column", "type", "current"]
        };
        t.set_header(header(names, style));
        for col in &summary.columns {
            let side = |s: &Option<ColumnStats>| {
                s.as_ref()
                    .map_or_else(|| "absent".to_string(), |s| describe(s, col.column_type))
            };
            let mut ty = col.column_type.to_string();
            if let Some(cat) = &col.categories {
                if !cat.new_labels.is_empty() {
                    ty.push_str(&format!("\nnew labels: {}", cat.new_labels.join(", ")));
                }
                if !cat.unused_labels.is_empty() {
                    ty.push_str(&format!(
                        "\nunused labels: {}",
                        cat.unused_labels.join(", ")
                    ));
                }
            }
            if let Some(e) = &col.error {
                ty.push_str(&format!("\nerror: {e}"));
            }
            let mut row = vec![Cell::new(&col.column), Cell::new(ty)];
            if has_ref {
                row.push(Cell::new(side(&col.reference)));
            }
            row.push(Cell::new(side(&col.current)));
            t.add_row(row);
        }
        out.push_str(&t.to_string());
        out.push('\n');
    }
    for col in &summary.columns {
        for (side, p) in [
            ("reference", &col.reference_read_problem),
            ("current", &col.current_read_problem),
        ] {
            if let Some(p) = p {
                out.push_str(&format!("warning: {side} data: {}\n", p.message));
            }
        }
    }
    if !summary.ignored_columns.is_empty() {
        out.push_str(&format!(
            "ignored: {}\n",
            summary.ignored_columns.join(", ")
        ));
    }
    for e in &summary.embeddings {
        out.push_str(&format!("{}\n", embedding_members_note(e)));
    }
    out
}

/// Where the member columns of an embedding went: counted in the dataset statistics, no
/// section of their own (the first and last members name the range).
pub(crate) fn embedding_members_note(e: &modelwatch_core::summary::EmbeddingMembers) -> String {
    let range = match e.columns.as_slice() {
        [] => String::new(),
        [one] => format!(" ({one})"),
        [first, .., last] => format!(" ({first} .. {last})"),
    };
    format!(
        "embedding `{}`: {} member columns{range} counted in the dataset statistics, without a \
         section each",
        e.name,
        e.columns.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use modelwatch_core::drift::DriftSettings;
    use modelwatch_core::prepare::{PreparedRun, RunSettings};
    use modelwatch_core::schema::SchemaOverrides;
    use modelwatch_core::summary::compute_summary;
    use modelwatch_core::table::{Column, ColumnData, StrColumn, Table};

    #[test]
    fn renders_both_sides_plain() {
        let t = Table::new(vec![
            Column::new("x", ColumnData::Float(vec![1.0, 2.5, f64::NAN])),
            Column::new(
                "c",
                ColumnData::Str(StrColumn::from_options(["a", "a", "b"].map(Some))),
            ),
        ])
        .unwrap();
        let (schema, drift) = (SchemaOverrides::default(), DriftSettings::default());
        let run = PreparedRun::new(Some(&t), &t, RunSettings::new(&schema, &drift)).unwrap();
        let s = compute_summary(&run);
        let text = render_summary(&s, TerminalStyle::Plain);
        assert!(text.contains("reference"), "{text}");
        assert!(text.contains("missing values"), "{text}");
        assert!(text.contains("median 1.75"), "{text}");
        assert!(!text.contains('\u{1b}'), "plain output has no escapes");
    }
}
