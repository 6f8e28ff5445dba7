//! The model quality sections (`classification` and `regression` presets): the metrics of
//! the reference, the current data and the dummy baseline side by side, then the charts core
//! computed: confusion matrices as heatmaps and ROC curves for classification, predicted
//! against actual (binned) and the error distribution for regression.

use std::fmt::Write;

use modelwatch_core::model_quality::{
    BaselineSource, ClassificationMetrics, ClassificationReport, RegressionMetrics,
    RegressionReport,
};

use super::esc;
use super::svg::{self, Curve, HEATMAP_MAX_LABELS};

/// Most curves one ROC chart draws (a multiclass task has one per label).
const MAX_CURVES: usize = 8;

fn dummy_name(source: BaselineSource) -> &'static str {
    match source {
        BaselineSource::Reference => "Dummy (fitted on reference)",
        BaselineSource::Current => "Dummy (fitted on current)",
    }
}

/// A metric's name and how to read it from one dataset's metrics.
type MetricRow<M> = (&'static str, fn(&M) -> Option<f64>);

fn number(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() => {
            if (x != 0.0 && x.abs() < 1e-3) || x.abs() >= 1e7 {
                format!("{x:.3e}")
            } else {
                format!("{x:.4}")
            }
        }
        _ => "-".into(),
    }
}

/// One column per dataset, one row per metric; rows undefined everywhere are left out.
fn metrics_table<M>(out: &mut String, id: &str, sets: &[(String, &M)], rows: &[MetricRow<M>]) {
    let _ = write!(
        out,
        "<table class=\"stats\" id=\"{id}\"><thead><tr><th scope=\"col\">Metric</th>"
    );
    for (name, _) in sets {
        let _ = write!(out, "<th scope=\"col\" class=\"num\">{}</th>", esc(name));
    }
    out.push_str("</tr></thead><tbody>");
    for (name, get) in rows {
        if sets.iter().all(|(_, m)| get(m).is_none()) {
            continue;
        }
        let _ = write!(out, "<tr><th scope=\"row\">{}</th>", esc(name));
        for (_, m) in sets {
            let _ = write!(out, "<td class=\"num\">{}</td>", number(get(m)));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>\n");
}

pub(super) fn classification(out: &mut String, r: &ClassificationReport) {
    let c = &r.current;
    let task = match c.pos_label.as_deref() {
        Some(p) => format!("binary, positive label “{p}”"),
        None => format!("multiclass, {} labels, macro averages", c.labels.len()),
    };
    let _ = writeln!(
        out,
        "<section id=\"classification\"><h2>Classification quality</h2>\n<p>Target <code>{}</code>: {}. {} current rows scored.</p>",
        esc(&r.target),
        esc(&task),
        c.rows
    );
    let mut sets: Vec<(String, &ClassificationMetrics)> = Vec::new();
    if let Some(m) = &r.reference {
        sets.push((format!("Reference ({} rows)", m.rows), m));
    }
    sets.push((format!("Current ({} rows)", c.rows), c));
    sets.push((dummy_name(r.dummy.source).to_string(), &r.dummy.quality));
    let rows: [MetricRow<ClassificationMetrics>; 10] = [
        ("Accuracy", |m| Some(m.accuracy)),
        ("Precision", |m| Some(m.precision)),
        ("Recall", |m| Some(m.recall)),
        ("F1", |m| Some(m.f1)),
        ("ROC AUC", |m| m.roc_auc),
        ("Log loss", |m| m.log_loss),
        ("True positive rate", |m| m.tpr),
        ("True negative rate", |m| m.tnr),
        ("False positive rate", |m| m.fpr),
        ("False negative rate", |m| m.fnr),
    ];
    metrics_table(out, "classification-metrics", &sets, &rows);
    let _ = writeln!(
        out,
        "<p class=\"hint\">The dummy baseline always predicts “{}”, the majority label, with the label shares as probabilities.</p>",
        esc(&r.dummy.majority_label)
    );
    if let Some(n) = &r.reference_note {
        let _ = writeln!(out, "<p class=\"err\">{}</p>", esc(n));
    }
    per_label_table(out, r);

    out.push_str("<h3>Confusion matrix</h3>\n<div class=\"charts\">");
    let mut scored: Vec<(&str, &ClassificationMetrics)> = Vec::new();
    if let Some(m) = &r.reference {
        scored.push(("reference", m));
    }
    scored.push(("current", c));
    for (name, m) in &scored {
        let cm = &m.confusion_matrix;
        let _ = write!(out, "<figure><figcaption>{name}</figcaption>");
        if cm.labels.len() > HEATMAP_MAX_LABELS {
            let _ = write!(
                out,
                "<p>{} labels: too many to draw (the first {HEATMAP_MAX_LABELS} are shown; the JSON has them all).</p>",
                cm.labels.len()
            );
        }
        svg::heatmap(
            out,
            &cm.labels,
            &cm.values,
            &format!("Confusion matrix, {name} data: rows are true labels, columns predicted labels; shade is the share of the true label's rows"),
        );
        out.push_str("</figure>");
    }
    out.push_str("</div>\n");

    if scored.iter().any(|(_, m)| !m.roc_curves.is_empty()) {
        out.push_str("<h3>ROC curve</h3>\n<div class=\"charts\">");
        let binary = c.pos_label.is_some();
        if binary {
            let curves: Vec<Curve> = scored
                .iter()
                .flat_map(|(name, m)| {
                    m.roc_curves.iter().map(move |rc| Curve {
                        class: if *name == "reference" { "r" } else { "c" },
                        name: format!("{name}: AUC {}", number(m.roc_auc)),
                        x: &rc.fpr,
                        y: &rc.tpr,
                    })
                })
                .collect();
            out.push_str("<figure>");
            svg::unit_curves(
                out,
                &curves,
                &format!(
                    "ROC curve of label {}: true positive rate against false positive rate",
                    c.pos_label.as_deref().unwrap_or("")
                ),
                "false positive rate",
                "true positive rate",
            );
            out.push_str("</figure>");
        } else {
            for (name, m) in &scored {
                if m.roc_curves.is_empty() {
                    continue;
                }
                let curves: Vec<Curve> = m
                    .roc_curves
                    .iter()
                    .take(MAX_CURVES)
                    .enumerate()
                    .map(|(i, rc)| {
                        let auc = m
                            .per_label
                            .iter()
                            .find(|q| q.label == rc.label)
                            .and_then(|q| q.roc_auc);
                        Curve {
                            class: ["l0", "l1", "l2", "l3", "l4", "l5", "l6", "l7"][i],
                            name: format!("{}: AUC {}", rc.label, number(auc)),
                            x: &rc.fpr,
                            y: &rc.tpr,
                        }
                    })
                    .collect();
                let _ = write!(out, "<figure><figcaption>{name}</figcaption>");
                if m.roc_curves.len() > MAX_CURVES {
                    let _ = write!(
                        out,
                        "<p>{} curves; the first {MAX_CURVES} are drawn.</p>",
                        m.roc_curves.len()
                    );
                }
                svg::unit_curves(
                    out,
                    &curves,
                    &format!("One-vs-rest ROC curves, {name} data"),
                    "false positive rate",
                    "true positive rate",
                );
                out.push_str("</figure>");
            }
        }
        out.push_str("</div>\n");
    }
    out.push_str("</section>\n");
}

fn per_label_table(out: &mut String, r: &ClassificationReport) {
    let c = &r.current;
    let reference = r.reference.as_ref();
    let with_auc = c.per_label.iter().any(|q| q.roc_auc.is_some());
    out.push_str("<h3>By label</h3>\n<table class=\"stats\" id=\"classification-labels\"><thead><tr><th scope=\"col\">Label</th>");
    let mut heads = vec!["Support", "Precision", "Recall", "F1"];
    if with_auc {
        heads.push("ROC AUC");
    }
    for h in &heads {
        if reference.is_some() {
            let _ = write!(
                out,
                "<th scope=\"col\" class=\"num\">{h} ref.</th><th scope=\"col\" class=\"num\">{h} cur.</th>"
            );
        } else {
            let _ = write!(out, "<th scope=\"col\" class=\"num\">{h}</th>");
        }
    }
    out.push_str("</tr></thead><tbody>");
    for q in &c.per_label {
        let rq = reference.and_then(|m| m.per_label.iter().find(|x| x.label == q.label));
        let _ = write!(out, "<tr><th scope=\"row\">{}</th>", esc(&q.label));
        let values = |x: &modelwatch_core::model_quality::LabelQuality| {
            let mut v = vec![
                x.support.to_string(),
                number(Some(x.precision)),
                number(Some(x.recall)),
                number(Some(x.f1)),
            ];
            if with_auc {
                v.push(number(x.roc_auc));
            }
            v
        };
        let cur = values(q);
        let refv = rq.map(values);
        for (i, cv) in cur.iter().enumerate() {
            if reference.is_some() {
                let rv = refv.as_ref().map_or("-", |v| v[i].as_str());
                let _ = write!(out, "<td class=\"num\">{rv}</td>");
            }
            let _ = write!(out, "<td class=\"num\">{cv}</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>\n");
}

pub(super) fn regression(out: &mut String, r: &RegressionReport) {
    let _ = writeln!(
        out,
        "<section id=\"regression\"><h2>Regression quality</h2>\n<p>Target <code>{}</code>, prediction <code>{}</code>; the error is prediction − target. {} current rows scored.</p>",
        esc(&r.target),
        esc(&r.prediction),
        r.current.rows
    );
    let mut sets: Vec<(String, &RegressionMetrics)> = Vec::new();
    if let Some(m) = &r.reference {
        sets.push((format!("Reference ({} rows)", m.rows), m));
    }
    sets.push((format!("Current ({} rows)", r.current.rows), &r.current));
    sets.push((dummy_name(r.dummy.source).to_string(), &r.dummy.quality));
    let rows: [MetricRow<RegressionMetrics>; 9] = [
        ("Mean error", |m| Some(m.mean_error)),
        ("Error std", |m| m.error_std),
        ("MAE", |m| Some(m.mae)),
        ("Absolute error std", |m| m.abs_error_std),
        ("RMSE", |m| Some(m.rmse)),
        ("MAPE %", |m| m.mape),
        ("MAPE std %", |m| m.mape_std),
        ("R²", |m| m.r2),
        ("Max absolute error", |m| Some(m.max_abs_error)),
    ];
    metrics_table(out, "regression-metrics", &sets, &rows);
    let _ = writeln!(
        out,
        "<p class=\"hint\">The dummy baseline always predicts {}.</p>",
        esc(&number(Some(r.dummy.prediction)))
    );
    if let Some(n) = &r.reference_note {
        let _ = writeln!(out, "<p class=\"err\">{}</p>", esc(n));
    }

    let g = &r.predicted_vs_actual;
    out.push_str("<h3>Predicted against actual</h3>\n<div class=\"charts\">");
    let mut grids: Vec<(&str, &str, &Vec<Vec<u64>>)> = Vec::new();
    if let Some(rg) = &g.reference {
        grids.push(("reference", "r", rg));
    }
    grids.push(("current", "c", &g.current));
    for (name, class, counts) in grids {
        let _ = write!(out, "<figure><figcaption>{name}</figcaption>");
        svg::binned_scatter(
            out,
            &g.edges,
            counts,
            class,
            &format!(
                "Predicted {} against actual {}, {name} data: rows per cell, darker is more",
                r.prediction, r.target
            ),
            &format!("actual ({})", r.target),
            &format!("predicted ({})", r.prediction),
        );
        out.push_str("</figure>");
    }
    out.push_str("</div>\n<h3>Error distribution</h3>\n");
    let h = &r.error_histogram;
    let k = h.edges.len().saturating_sub(1);
    let zeros = vec![0u64; k];
    let reference = h.reference.as_ref().unwrap_or(&zeros);
    let (rr, cr) = (reference.iter().sum::<u64>(), h.current.iter().sum::<u64>());
    out.push_str(
        "<div><span class=\"key ref\">reference</span><span class=\"key cur\">current</span></div>",
    );
    svg::histogram(
        out,
        &h.edges,
        reference,
        &h.current,
        &[],
        rr,
        cr,
        "error (prediction − target)",
    );
    out.push_str("</section>\n");
}
