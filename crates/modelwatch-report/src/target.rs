//! The terminal summary of the `target` preset: the drift of the target, prediction and
//! probability columns, then the correlations of the target and the prediction with the
//! features in the reference and the current data.

use comfy_table::{Attribute, Cell, CellAlignment, Color};
use modelwatch_core::drift::ColumnDrift;
use modelwatch_core::schema::{ColumnRole, ColumnType};
use modelwatch_core::target::{FeatureCorrelation, TargetReport};

use crate::terminal::{format_score, styled_table, TerminalStyle};

fn drifted_cell(c: &ColumnDrift, style: TerminalStyle) -> Cell {
    let (text, color) = match c.drifted {
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

fn number(v: Option<f64>) -> Cell {
    Cell::new(v.map(format_score).unwrap_or_else(|| "-".into())).set_alignment(CellAlignment::Right)
}

/// A correlation coefficient: four decimals, `-` when undefined.
fn coefficient(v: Option<f64>) -> Cell {
    Cell::new(v.map(|x| format!("{x:.4}")).unwrap_or_else(|| "-".into()))
        .set_alignment(CellAlignment::Right)
}

/// Renders the target preset for a terminal.
pub fn render_target(r: &TargetReport, style: TerminalStyle) -> String {
    let mut table = styled_table(style);
    table.set_header([
        "role",
        "column",
        "type",
        "method",
        "score",
        "threshold",
        "drifted",
    ]);
    let rows = r
        .target
        .iter()
        .map(|c| ("target", c))
        .chain(r.prediction.iter().map(|c| ("prediction", c)))
        .chain(r.prediction_proba.iter().map(|c| ("probability", c)));
    let mut tested: Vec<&ColumnDrift> = Vec::new();
    for (role, c) in rows {
        tested.push(c);
        table.add_row(vec![
            Cell::new(role),
            Cell::new(&c.column),
            Cell::new(c.column_type.as_str()),
            Cell::new(c.method.map(|m| m.name()).unwrap_or("-")),
            number(c.score),
            number(c.threshold),
            drifted_cell(c, style),
        ]);
    }
    let mut out = format!("Target and prediction drift\n{table}\n");
    for c in tested.iter().filter(|c| c.error.is_some()) {
        out.push_str(&format!(
            "warning: column `{}` not tested: {}\n",
            c.column,
            c.error.as_deref().unwrap_or_default()
        ));
    }

    // One table per (column, kind), in report order.
    let mut groups: Vec<(&str, ColumnRole, ColumnType, Vec<&FeatureCorrelation>)> = Vec::new();
    for c in &r.correlations {
        match groups.iter_mut().find(|g| g.0 == c.column && g.2 == c.kind) {
            Some(g) => g.3.push(c),
            None => groups.push((c.column.as_str(), c.role, c.kind, vec![c])),
        }
    }
    for (column, role, kind, rows) in groups {
        let role = if role == ColumnRole::Target {
            "target"
        } else {
            "prediction"
        };
        let mut table = styled_table(style);
        if kind == ColumnType::Numerical {
            table.set_header([
                "feature",
                "pearson ref",
                "pearson cur",
                "spearman ref",
                "spearman cur",
                "kendall ref",
                "kendall cur",
            ]);
            for c in rows {
                table.add_row(vec![
                    Cell::new(&c.feature),
                    coefficient(c.reference.pearson),
                    coefficient(c.current.pearson),
                    coefficient(c.reference.spearman),
                    coefficient(c.current.spearman),
                    coefficient(c.reference.kendall),
                    coefficient(c.current.kendall),
                ]);
            }
        } else {
            table.set_header(["feature", "cramér's v ref", "cramér's v cur"]);
            for c in rows {
                table.add_row(vec![
                    Cell::new(&c.feature),
                    coefficient(c.reference.cramers_v),
                    coefficient(c.current.cramers_v),
                ]);
            }
        }
        out.push_str(&format!(
            "\nCorrelations of the {role} `{column}` with {kind} features\n{table}\n"
        ));
    }
    for c in r.correlations.iter().filter(|c| c.error.is_some()) {
        out.push_str(&format!(
            "warning: correlation of `{}` with `{}`: {}\n",
            c.column,
            c.feature,
            c.error.as_deref().unwrap_or_default()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use modelwatch_core::drift::DriftSettings;
    use modelwatch_core::prepare::{PreparedRun, RunSettings};
    use modelwatch_core::schema::SchemaOverrides;
    use modelwatch_core::table::{Column, ColumnData, Table as DataTable};
    use modelwatch_core::target::compute_target;

    #[test]
    fn plain_rendering_lists_drift_and_correlations() {
        let make = |y: Vec<f64>, x: Vec<f64>| {
            DataTable::new(vec![
                Column::new("y", ColumnData::Float(y)),
                Column::new("x", ColumnData::Float(x)),
            ])
            .unwrap()
        };
        let r = make(vec![1.0, 2.0, 3.0, 4.0], vec![1.0, 2.0, 3.0, 5.0]);
        let c = make(vec![4.0, 3.0, 2.0, 1.5], vec![1.0, 2.0, 3.0, 3.0]);
        let schema = SchemaOverrides {
            target: Some("y".into()),
            ..Default::default()
        };
        let drift = DriftSettings::default();
        let run = PreparedRun::new(Some(&r), &c, RunSettings::new(&schema, &drift)).unwrap();
        let report = compute_target(&run).unwrap();
        let text = render_target(&report, TerminalStyle::Plain);
        assert!(text.starts_with("Target and prediction drift\n"), "{text}");
        assert!(text.contains("| target"), "{text}");
        assert!(text.contains("Correlations of the target `y` with numerical features"));
        assert!(text.contains("| x "), "{text}");
        assert!(!text.contains('\x1b'), "plain output has no escapes");
    }
}
