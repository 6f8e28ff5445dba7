//! The target and prediction drift section (`target` preset): the drift of the target, the
//! prediction and the probability columns (rows like the data drift table's, expandable),
//! then the correlations of the target and the prediction with the features, reference and
//! current side by side, large changes highlighted.

use std::fmt::Write;

use modelwatch_core::schema::ColumnType;
use modelwatch_core::target::{CorrelationValues, FeatureCorrelation, TargetReport};

use super::drift;
use super::esc;
use super::summary::role_name;

/// A coefficient change (absolute) that is highlighted.
const CORRELATION_CHANGE: f64 = 0.1;

pub(super) fn section(out: &mut String, t: &TargetReport) {
    out.push_str("<section id=\"target\"><h2>Target and prediction drift</h2>\n");
    let tested: Vec<_> = t
        .target
        .iter()
        .chain(t.prediction.iter())
        .chain(t.prediction_proba.iter())
        .collect();
    if tested.is_empty() {
        out.push_str("<p>No target or prediction column was tested.</p>\n");
    } else {
        let drifted = tested.iter().filter(|c| c.drifted == Some(true)).count();
        let _ = write!(
            out,
            "<p>{drifted} of {} drifted. Expand a row for its distributions.</p>\n<table class=\"coltable\" id=\"target-table\"><thead><tr>",
            tested.len()
        );
        for h in [
            "Column",
            "Type",
            "Method",
            "Score",
            "Threshold",
            "Drifted",
            "Distribution",
        ] {
            let _ = write!(out, "<th scope=\"col\">{h}</th>");
        }
        out.push_str("</tr></thead>\n");
        for (i, c) in tested.iter().enumerate() {
            drift::column(out, "target-col", i, c);
        }
        out.push_str("</table>\n");
    }
    let numerical: Vec<&FeatureCorrelation> = t
        .correlations
        .iter()
        .filter(|c| c.kind != ColumnType::Categorical)
        .collect();
    let categorical: Vec<&FeatureCorrelation> = t
        .correlations
        .iter()
        .filter(|c| c.kind == ColumnType::Categorical)
        .collect();
    out.push_str("<h3>Correlations with the features</h3>\n");
    if t.correlations.is_empty() {
        out.push_str("<p>No feature of the target's or the prediction's type to correlate.</p>\n");
    }
    if !numerical.is_empty() {
        correlation_table(
            out,
            "corr-numerical",
            &numerical,
            &[
                ("Pearson", |v| v.pearson),
                ("Spearman", |v| v.spearman),
                ("Kendall τ-b", |v| v.kendall),
            ],
        );
    }
    if !categorical.is_empty() {
        correlation_table(
            out,
            "corr-categorical",
            &categorical,
            &[("Cramér's V", |v| v.cramers_v)],
        );
    }
    let _ = writeln!(
        out,
        "<p class=\"hint\">Highlighted: the coefficient moved by {CORRELATION_CHANGE} or more from the reference.</p>"
    );
    out.push_str("</section>\n");
}

type Coefficient = (&'static str, fn(&CorrelationValues) -> Option<f64>);

fn correlation_table(
    out: &mut String,
    id: &str,
    rows: &[&FeatureCorrelation],
    coefficients: &[Coefficient],
) {
    let _ = write!(
        out,
        "<table class=\"stats\" id=\"{id}\"><thead><tr><th scope=\"col\" rowspan=\"2\">With</th><th scope=\"col\" rowspan=\"2\">Feature</th>"
    );
    for (name, _) in coefficients {
        let _ = write!(
            out,
            "<th scope=\"colgroup\" colspan=\"2\" class=\"num\">{}</th>",
            esc(name)
        );
    }
    out.push_str("<th scope=\"colgroup\" colspan=\"2\" class=\"num\">Pairs</th></tr><tr>");
    for _ in 0..coefficients.len() + 1 {
        out.push_str(
            "<th scope=\"col\" class=\"num\">ref.</th><th scope=\"col\" class=\"num\">cur.</th>",
        );
    }
    out.push_str("</tr></thead><tbody>\n");
    for c in rows {
        let _ = write!(
            out,
            "<tr><td>{} <small>({})</small></td><td>{}</td>",
            esc(&c.column),
            role_name(c.role),
            esc(&c.feature)
        );
        if let Some(e) = &c.error {
            let _ = writeln!(
                out,
                "<td colspan=\"{}\" class=\"err\">{}</td></tr>",
                2 * coefficients.len() + 2,
                esc(e)
            );
            continue;
        }
        for (name, get) in coefficients {
            let (r, cu) = (get(&c.reference), get(&c.current));
            let _ = write!(out, "<td class=\"num\">{}</td>", coefficient(r));
            match (r, cu) {
                (Some(a), Some(b)) if (b - a).abs() >= CORRELATION_CHANGE => {
                    let _ = write!(
                        out,
                        "<td class=\"num chg\" title=\"{} {} in the reference\">{} ▲</td>",
                        esc(name),
                        coefficient(r),
                        coefficient(cu)
                    );
                }
                _ => {
                    let _ = write!(out, "<td class=\"num\">{}</td>", coefficient(cu));
                }
            }
        }
        let _ = writeln!(
            out,
            "<td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            c.reference.pairs, c.current.pairs
        );
    }
    out.push_str("</tbody></table>\n");
}

fn coefficient(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x:.3}"),
        _ => "-".into(),
    }
}
