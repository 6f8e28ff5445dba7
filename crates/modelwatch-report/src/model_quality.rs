//! Terminal sections for the classification and regression presets: one table with a
//! column per dataset (reference, current, dummy baseline) and, for classification, the
//! current confusion matrix.

use comfy_table::{Cell, CellAlignment, Table};
use modelwatch_core::model_quality::{
    BaselineSource, ClassificationMetrics, ClassificationReport, RegressionMetrics,
    RegressionReport,
};

use crate::terminal::{styled_table, TerminalStyle};

fn num(v: Option<f64>) -> Cell {
    Cell::new(v.map_or_else(|| "-".to_string(), |x| format!("{x:.4}")))
        .set_alignment(CellAlignment::Right)
}

fn dummy_header(source: BaselineSource) -> &'static str {
    match source {
        BaselineSource::Reference => "dummy (by reference)",
        BaselineSource::Current => "dummy (by current)",
    }
}

/// A metric's name and how to read it from one dataset's metrics.
type MetricRow<M> = (&'static str, fn(&M) -> Option<f64>);

/// A table with one column per dataset (reference, current, dummy) and one row per metric;
/// rows undefined everywhere are left out.
fn metrics_table<M>(sets: &[(&str, &M)], rows: &[MetricRow<M>], style: TerminalStyle) -> Table {
    let mut table = styled_table(style);
    let mut header = vec!["metric".to_string()];
    header.extend(sets.iter().map(|(n, _)| n.to_string()));
    table.set_header(header);
    for (name, get) in rows {
        if sets.iter().all(|(_, m)| get(m).is_none()) {
            continue;
        }
        let mut row = vec![Cell::new(name)];
        row.extend(sets.iter().map(|(_, m)| num(get(m))));
        table.add_row(row);
    }
    table
}

/// Renders the classification section.
pub fn render_classification(r: &ClassificationReport, style: TerminalStyle) -> String {
    let mut sets: Vec<(&str, &ClassificationMetrics)> = Vec::new();
    if let Some(m) = &r.reference {
        sets.push(("reference", m));
    }
    sets.push(("current", &r.current));
    sets.push((dummy_header(r.dummy.source), &r.dummy.quality));

    let rows: [MetricRow<ClassificationMetrics>; 10] = [
        ("accuracy", |m| Some(m.accuracy)),
        ("precision", |m| Some(m.precision)),
        ("recall", |m| Some(m.recall)),
        ("F1", |m| Some(m.f1)),
        ("ROC AUC", |m| m.roc_auc),
        ("log loss", |m| m.log_loss),
        ("TPR", |m| m.tpr),
        ("TNR", |m| m.tnr),
        ("FPR", |m| m.fpr),
        ("FNR", |m| m.fnr),
    ];
    let table = metrics_table(&sets, &rows, style);

    let c = &r.current;
    let task = match c.pos_label.as_deref() {
        Some(p) => format!("binary, positive label `{p}`"),
        None => format!("multiclass, {} labels, macro average", c.labels.len()),
    };
    let mut out = format!("Classification (target `{}`, {task})\n{table}\n", r.target);

    let mut cm = styled_table(style);
    let mut header = vec!["true \\ predicted".to_string()];
    header.extend(c.confusion_matrix.labels.iter().cloned());
    cm.set_header(header);
    for (label, row) in c
        .confusion_matrix
        .labels
        .iter()
        .zip(&c.confusion_matrix.values)
    {
        let mut cells = vec![Cell::new(label)];
        cells.extend(
            row.iter()
                .map(|v| Cell::new(v).set_alignment(CellAlignment::Right)),
        );
        cm.add_row(cells);
    }
    out.push_str(&format!("Confusion matrix (current)\n{cm}\n"));
    out.push_str(&format!(
        "note: dummy baseline predicts `{}`, the majority label of the {} target\n",
        r.dummy.majority_label,
        match r.dummy.source {
            BaselineSource::Reference => "reference",
            BaselineSource::Current => "current",
        }
    ));
    for (name, m) in &sets[..sets.len() - 1] {
        if m.dropped_rows > 0 {
            out.push_str(&format!(
                "note: {name}: dropped {} rows with a missing target, prediction or probability\n",
                m.dropped_rows
            ));
        }
    }
    if let Some(n) = &r.reference_note {
        out.push_str(&format!("warning: {n}\n"));
    }
    out
}

/// Renders the regression section.
pub fn render_regression(r: &RegressionReport, style: TerminalStyle) -> String {
    let mut sets: Vec<(&str, &RegressionMetrics)> = Vec::new();
    if let Some(m) = &r.reference {
        sets.push(("reference", m));
    }
    sets.push(("current", &r.current));
    sets.push((dummy_header(r.dummy.source), &r.dummy.quality));

    let rows: [MetricRow<RegressionMetrics>; 9] = [
        ("mean error", |m| Some(m.mean_error)),
        ("error std", |m| m.error_std),
        ("MAE", |m| Some(m.mae)),
        ("abs error std", |m| m.abs_error_std),
        ("RMSE", |m| Some(m.rmse)),
        ("MAPE %", |m| m.mape),
        ("MAPE std %", |m| m.mape_std),
        ("R²", |m| m.r2),
        ("max abs error", |m| Some(m.max_abs_error)),
    ];
    let mut table = metrics_table(&sets, &rows, style);
    // Row counts are integers, not four-decimal metrics.
    let mut count_row = vec![Cell::new("rows")];
    count_row.extend(
        sets.iter()
            .map(|(_, m)| Cell::new(m.rows).set_alignment(CellAlignment::Right)),
    );
    table.add_row(count_row);
    let mut out = format!(
        "Regression (target `{}`, prediction `{}`)\n{table}\n",
        r.target, r.prediction
    );
    out.push_str(&format!(
        "note: dummy baseline predicts {} (mean of the {} target)\n",
        r.dummy.prediction,
        match r.dummy.source {
            BaselineSource::Reference => "reference",
            BaselineSource::Current => "current",
        }
    ));
    for (name, m) in &sets[..sets.len() - 1] {
        if m.mape_zero_target_rows > 0 {
            out.push_str(&format!(
                "note: {name}: {} rows with a zero target left out of MAPE\n",
                m.mape_zero_target_rows
            ));
        }
        if m.dropped_rows > 0 {
            out.push_str(&format!(
                "note: {name}: dropped {} rows with a missing or infinite target or prediction\n",
                m.dropped_rows
            ));
        }
    }
    if let Some(n) = &r.reference_note {
        out.push_str(&format!("warning: {n}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use modelwatch_core::model_quality::{
        compute_classification, compute_regression, ClassificationSpec, RegressionSpec,
    };
    use modelwatch_core::table::{Column, ColumnData, Table as DataTable};

    fn ints(name: &str, v: &[i64]) -> Column {
        Column::new(name, ColumnData::Int(v.iter().map(|&x| Some(x)).collect()))
    }

    #[test]
    fn classification_section_lists_metrics_and_matrix() {
        let t = DataTable::new(vec![ints("y", &[0, 1, 1, 0]), ints("p", &[0, 1, 0, 0])]).unwrap();
        let spec = ClassificationSpec {
            target: "y".into(),
            prediction: Some("p".into()),
            ..Default::default()
        };
        let r = compute_classification(Some(&t), &t, &spec).unwrap();
        let s = render_classification(&r, TerminalStyle::Plain);
        assert!(s.contains("binary, positive label `1`"), "{s}");
        assert!(s.contains("| accuracy"), "{s}");
        assert!(s.contains("0.7500"), "{s}");
        assert!(s.contains("Confusion matrix"), "{s}");
        assert!(!s.contains("ROC AUC"), "{s}");
    }

    #[test]
    fn regression_section_lists_metrics() {
        let t = DataTable::new(vec![
            Column::new("y", ColumnData::Float(vec![1.0, 2.0, 0.0])),
            Column::new("p", ColumnData::Float(vec![1.5, 2.0, 0.5])),
        ])
        .unwrap();
        let spec = RegressionSpec {
            target: "y".into(),
            prediction: "p".into(),
        };
        let r = compute_regression(None, &t, &spec).unwrap();
        let s = render_regression(&r, TerminalStyle::Plain);
        assert!(s.contains("| RMSE"), "{s}");
        assert!(s.contains("dummy (by current)"), "{s}");
        assert!(s.contains("1 rows with a zero target"), "{s}");
    }
}
