//! Inline SVG chart primitives: a sparkline, overlaid histograms and paired horizontal bars.
//!
//! Every coordinate goes through [`C`], which prints non-finite numbers as 0, so no `NaN`
//! or `inf` ever reaches the markup. Colours come from the page's CSS classes (`r` for the
//! reference, `c` for the current data), which keeps each element short and follows dark mode.

use std::fmt::{self, Display, Write};

use super::esc;

/// A coordinate: one decimal at most, never NaN or infinite.
#[derive(Clone, Copy)]
pub(super) struct C(pub f64);

impl Display for C {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = if self.0.is_finite() { self.0 } else { 0.0 };
        let r = (v * 10.0).round() / 10.0;
        if r == r.trunc() {
            write!(f, "{}", r as i64)
        } else {
            write!(f, "{r:.1}")
        }
    }
}

/// A share of a total, 0 when the total is 0.
pub(super) fn share(n: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        n as f64 / total as f64
    }
}

/// A share as a percentage for labels: `12.3%`, `0.04%`, `0%`.
pub(super) fn pct(s: f64) -> String {
    let p = if s.is_finite() { s * 100.0 } else { 0.0 };
    if p == 0.0 {
        "0%".into()
    } else if p < 0.1 {
        format!("{p:.2}%")
    } else if p < 10.0 {
        format!("{p:.1}%")
    } else {
        format!("{p:.0}%")
    }
}

/// A bin edge or axis value in a few characters.
pub(super) fn value(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    let a = v.abs();
    if v == 0.0 {
        "0".into()
    } else if !(1e-3..1e6).contains(&a) {
        format!("{v:.2e}")
    } else {
        let digits = if a >= 100.0 {
            1
        } else if a >= 1.0 {
            3
        } else {
            4
        };
        let s = format!("{v:.digits$}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    }
}

/// Shortens a label to `max` characters (on a character boundary), with an ellipsis.
pub(super) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// A 100 x 24 sparkline: the reference as a filled step area, the current data as a step
/// line, both scaled to the larger share.
pub(super) fn sparkline(out: &mut String, reference: &[f64], current: &[f64], title: &str) {
    const W: f64 = 100.0;
    const H: f64 = 24.0;
    let n = reference.len().max(current.len());
    let _ = write!(
        out,
        "<svg class=\"spark\" viewBox=\"0 0 100 24\" width=\"100\" height=\"24\" role=\"img\"><title>{}</title>",
        esc(title)
    );
    let max = reference
        .iter()
        .chain(current)
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max);
    if n > 0 && max > 0.0 {
        let w = W / n as f64;
        let y = |v: f64| H - 1.0 - (H - 2.0) * (v / max);
        let steps = |vals: &[f64]| {
            let mut d = String::new();
            for (i, &v) in vals.iter().enumerate() {
                let _ = write!(d, "V{}H{}", C(y(v)), C(w * (i + 1) as f64));
            }
            d
        };
        let _ = write!(
            out,
            "<path class=\"r\" d=\"M0 {}{}V{}Z\"/>",
            C(H),
            steps(reference),
            C(H)
        );
        let _ = write!(
            out,
            "<path class=\"c\" d=\"M0 {}{}\"/>",
            C(H),
            steps(current)
        );
    } else {
        out.push_str("<path class=\"grid\" d=\"M0 23H100\"/>");
    }
    out.push_str("</svg>");
}

/// A bar group drawn beside a histogram (missing values, infinities).
pub(super) struct ExtraBar<'a> {
    pub label: &'a str,
    pub reference: u64,
    pub current: u64,
}

const W: f64 = 640.0;

/// Overlaid reference and current histograms on shared bins, shares of each side's rows,
/// with extra side-by-side bar groups to the right (e.g. missing values).
#[allow(clippy::too_many_arguments)]
pub(super) fn histogram(
    out: &mut String,
    edges: &[f64],
    reference: &[u64],
    current: &[u64],
    extras: &[ExtraBar<'_>],
    reference_rows: u64,
    current_rows: u64,
    x_label: &str,
) {
    const H: f64 = 240.0;
    const ML: f64 = 52.0;
    const MR: f64 = 10.0;
    const MT: f64 = 10.0;
    const MB: f64 = 46.0;
    const EXTRA_W: f64 = 56.0;
    let ph = H - MT - MB;
    let k = reference
        .len()
        .min(current.len())
        .min(edges.len().saturating_sub(1));
    let extras_w = EXTRA_W * extras.len() as f64;
    let bins_w = if k == 0 {
        0.0
    } else {
        W - ML - MR - extras_w - if extras.is_empty() { 0.0 } else { 12.0 }
    };
    let rs: Vec<f64> = reference[..k]
        .iter()
        .map(|&n| share(n, reference_rows))
        .collect();
    let cs: Vec<f64> = current[..k]
        .iter()
        .map(|&n| share(n, current_rows))
        .collect();
    let max = rs
        .iter()
        .chain(&cs)
        .copied()
        .chain(extras.iter().flat_map(|e| {
            [
                share(e.reference, reference_rows),
                share(e.current, current_rows),
            ]
        }))
        .fold(0.0f64, f64::max);
    let scale = if max > 0.0 { max } else { 1.0 };
    let y = |v: f64| MT + ph * (1.0 - v / scale);
    let _ = write!(
        out,
        "<svg class=\"chart\" viewBox=\"0 0 {} {}\" role=\"img\"><title>Distribution of {}: reference and current, share of rows</title>",
        C(W),
        C(H),
        esc(x_label)
    );
    y_axis(out, ML, W - MR, y, max, ph, MT);
    if k == 0 && extras.iter().all(|e| e.reference == 0 && e.current == 0) {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" class=\"lab\">no values to draw</text>",
            C(W / 2.0),
            C(MT + ph / 2.0)
        );
    }
    if k > 0 {
        let bw = bins_w / k as f64;
        let pad = if bw > 4.0 { 0.5 } else { 0.0 };
        for i in 0..k {
            let x = ML + bw * i as f64;
            let (lo, hi) = (edges[i], edges[i + 1]);
            let range = if k == 1 && lo == hi {
                format!("value {}", value(lo))
            } else if i + 1 == k {
                format!("[{}, {}]", value(lo), value(hi))
            } else {
                format!("[{}, {})", value(lo), value(hi))
            };
            let _ = write!(
                out,
                "<g><title>{range}: reference {} ({}), current {} ({})</title>",
                reference[i],
                pct(rs[i]),
                current[i],
                pct(cs[i])
            );
            for (class, v) in [("r", rs[i]), ("c", cs[i])] {
                let _ = write!(
                    out,
                    "<rect class=\"{class}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>",
                    C(x + pad),
                    C(y(v)),
                    C((bw - 2.0 * pad).max(0.1)),
                    C(MT + ph - y(v))
                );
            }
            out.push_str("</g>");
        }
        // Edge labels: first, middle and last (one label for a single-value column).
        let ticks: Vec<usize> = if k == 1 && edges[0] == edges[1] {
            vec![]
        } else if k >= 4 {
            vec![0, k / 2, k]
        } else {
            (0..=k).collect()
        };
        if ticks.is_empty() {
            let _ = write!(
                out,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                C(ML + bins_w / 2.0),
                C(H - MB + 14.0),
                esc(&value(edges[0]))
            );
        }
        for t in ticks {
            let x = ML + bw * t as f64;
            let anchor = if t == 0 {
                "start"
            } else if t == k {
                "end"
            } else {
                "middle"
            };
            let _ = write!(
                out,
                "<path class=\"ax\" d=\"M{} {}v4\"/><text x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\">{}</text>",
                C(x),
                C(MT + ph),
                C(x),
                C(H - MB + 15.0),
                esc(&value(edges[t]))
            );
        }
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" class=\"lab\">{}</text>",
            C(ML + bins_w / 2.0),
            C(H - 8.0),
            esc(&truncate(x_label, 60))
        );
    }
    let x0 = W - MR - extras_w;
    for (j, e) in extras.iter().enumerate() {
        let gx = x0 + EXTRA_W * j as f64;
        let (a, b) = (
            share(e.reference, reference_rows),
            share(e.current, current_rows),
        );
        let _ = write!(
            out,
            "<g><title>{}: reference {} ({}), current {} ({})</title>",
            esc(e.label),
            e.reference,
            pct(a),
            e.current,
            pct(b)
        );
        for (class, v, dx) in [("r", a, 10.0), ("c", b, 28.0)] {
            let _ = write!(
                out,
                "<rect class=\"{class}\" x=\"{}\" y=\"{}\" width=\"16\" height=\"{}\"/>",
                C(gx + dx),
                C(y(v)),
                C(MT + ph - y(v))
            );
        }
        let _ = write!(
            out,
            "</g><text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            C(gx + 27.0),
            C(H - MB + 15.0),
            esc(e.label)
        );
    }
    out.push_str("</svg>");
}

/// Horizontal gridlines and percentage labels at 0, half and the maximum share; the
/// vertical axis title.
fn y_axis(out: &mut String, x0: f64, x1: f64, y: impl Fn(f64) -> f64, max: f64, ph: f64, top: f64) {
    let ticks: &[f64] = if max > 0.0 { &[0.0, 0.5, 1.0] } else { &[0.0] };
    for &f in ticks {
        let v = max * f;
        let yy = y(v);
        let _ = write!(
            out,
            "<path class=\"grid\" d=\"M{} {}H{}\"/><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            C(x0),
            C(yy),
            C(x1),
            C(x0 - 4.0),
            C(yy + 4.0),
            pct(v)
        );
    }
    let _ = write!(
        out,
        "<path class=\"ax\" d=\"M{} {}H{}\"/><text class=\"lab\" transform=\"translate(12 {}) rotate(-90)\" text-anchor=\"middle\">% of rows</text>",
        C(x0),
        C(top + ph),
        C(x1),
        C(top + ph / 2.0)
    );
}

/// One row of a paired bar chart.
pub(super) struct BarRow {
    pub label: String,
    pub reference: u64,
    pub current: u64,
    /// Drawn in italics (aggregates such as "other" and "missing").
    pub aggregate: bool,
}

/// Paired horizontal bars per label (reference above current), shares of each side's rows.
pub(super) fn paired_bars(
    out: &mut String,
    rows: &[BarRow],
    reference_rows: u64,
    current_rows: u64,
    title: &str,
) {
    const ML: f64 = 150.0;
    const MR: f64 = 16.0;
    const MT: f64 = 8.0;
    const MB: f64 = 36.0;
    const ROW: f64 = 22.0;
    let body = ROW * rows.len().max(1) as f64;
    let h = MT + body + MB;
    let pw = W - ML - MR;
    let max = rows
        .iter()
        .flat_map(|r| {
            [
                share(r.reference, reference_rows),
                share(r.current, current_rows),
            ]
        })
        .fold(0.0f64, f64::max);
    let scale = if max > 0.0 { max } else { 1.0 };
    let x = |v: f64| ML + pw * v / scale;
    let _ = write!(
        out,
        "<svg class=\"chart\" viewBox=\"0 0 {} {}\" role=\"img\"><title>{}</title>",
        C(W),
        C(h),
        esc(title)
    );
    let ticks: &[f64] = if max > 0.0 { &[0.0, 0.5, 1.0] } else { &[0.0] };
    for &f in ticks {
        let v = max * f;
        let anchor = if f == 1.0 { "end" } else { "middle" };
        let _ = write!(
            out,
            "<path class=\"grid\" d=\"M{} {}V{}\"/><text x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\">{}</text>",
            C(x(v)),
            C(MT),
            C(MT + body),
            C(x(v)),
            C(MT + body + 14.0),
            pct(v)
        );
    }
    let _ = write!(
        out,
        "<path class=\"ax\" d=\"M{} {}V{}\"/><text class=\"lab\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">% of rows</text>",
        C(ML),
        C(MT),
        C(MT + body),
        C(ML + pw / 2.0),
        C(h - 6.0)
    );
    if rows.is_empty() {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" class=\"lab\">no values to draw</text>",
            C(ML + pw / 2.0),
            C(MT + ROW / 2.0 + 4.0)
        );
    }
    for (i, r) in rows.iter().enumerate() {
        let top = MT + ROW * i as f64;
        let (a, b) = (
            share(r.reference, reference_rows),
            share(r.current, current_rows),
        );
        let style = if r.aggregate {
            " font-style=\"italic\""
        } else {
            ""
        };
        let _ = write!(
            out,
            "<g><title>{}: reference {} ({}), current {} ({})</title><text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"lab\"{style}>{}</text>",
            esc(&r.label),
            r.reference,
            pct(a),
            r.current,
            pct(b),
            C(ML - 6.0),
            C(top + 15.0),
            esc(&truncate(&r.label, 22))
        );
        for (class, v, dy) in [("r", a, 3.0), ("c", b, 11.0)] {
            let _ = write!(
                out,
                "<rect class=\"{class}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"8\"/>",
                C(ML),
                C(top + dy),
                C(x(v) - ML)
            );
        }
        out.push_str("</g>");
    }
    out.push_str("</svg>");
}

/// Most labels a confusion-matrix heatmap draws; beyond, the page says so.
pub(super) const HEATMAP_MAX_LABELS: usize = 25;

/// A confusion matrix as a heatmap: one square per (true, predicted) pair, shaded by its
/// share of the true label's rows, the count written inside when the square is large enough,
/// a tooltip per square.
pub(super) fn heatmap(out: &mut String, labels: &[String], values: &[Vec<u64>], title: &str) {
    const ML: f64 = 110.0;
    const MT: f64 = 10.0;
    const MB: f64 = 70.0;
    const PLOT: f64 = 300.0;
    let k = labels.len().min(values.len()).min(HEATMAP_MAX_LABELS);
    let cell = if k == 0 { PLOT } else { PLOT / k as f64 };
    let side = if k == 0 { 0.0 } else { PLOT };
    let (w, h) = (ML + PLOT + 16.0, MT + PLOT + MB);
    let _ = write!(
        out,
        "<svg class=\"chart sq\" viewBox=\"0 0 {} {}\" role=\"img\"><title>{}</title>",
        C(w),
        C(h),
        esc(title)
    );
    if k == 0 {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" class=\"lab\">no values to draw</text>",
            C(ML + PLOT / 2.0),
            C(MT + PLOT / 2.0)
        );
    }
    let show_text = cell >= 26.0;
    let label_len = if cell >= 40.0 { 14 } else { 10 };
    for i in 0..k {
        let row = &values[i];
        let row_total: u64 = row.iter().take(k).sum();
        for j in 0..k {
            let n = row.get(j).copied().unwrap_or(0);
            let sh = share(n, row_total);
            let (x, y) = (ML + cell * j as f64, MT + cell * i as f64);
            let class = if i == j { "hm d" } else { "hm" };
            let _ = write!(
                out,
                "<g><title>true {}, predicted {}: {n} ({} of the true label's rows)</title><rect class=\"{class}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill-opacity=\"{}\"/>",
                esc(&labels[i]),
                esc(&labels[j]),
                pct(sh),
                C(x),
                C(y),
                C(cell),
                C(cell),
                opacity(sh)
            );
            if show_text {
                let tc = if sh > 0.55 { "hmt hi" } else { "hmt" };
                let _ = write!(
                    out,
                    "<text class=\"{tc}\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{n}</text>",
                    C(x + cell / 2.0),
                    C(y + cell / 2.0 + 4.0)
                );
            }
            out.push_str("</g>");
        }
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"lab\">{}</text>",
            C(ML - 6.0),
            C(MT + cell * i as f64 + cell / 2.0 + 4.0),
            esc(&truncate(&labels[i], label_len))
        );
        let _ = write!(
            out,
            "<text class=\"lab\" text-anchor=\"end\" transform=\"translate({} {}) rotate(-45)\">{}</text>",
            C(ML + cell * i as f64 + cell / 2.0 + 4.0),
            C(MT + side + 10.0),
            esc(&truncate(&labels[i], label_len))
        );
    }
    let _ = write!(
        out,
        "<text class=\"lab\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">predicted label</text>\
<text class=\"lab\" transform=\"translate(12 {}) rotate(-90)\" text-anchor=\"middle\">true label</text></svg>",
        C(ML + PLOT / 2.0),
        C(h - 6.0),
        C(MT + PLOT / 2.0)
    );
}

/// Fill opacity for a share in [0, 1]: a faint floor so that a non-zero share shows.
fn opacity(sh: f64) -> String {
    let o = if sh > 0.0 {
        0.08 + 0.87 * sh.min(1.0)
    } else {
        0.0
    };
    format!("{:.2}", o)
        .trim_end_matches('0')
        .trim_end_matches('.')
        .to_string()
}

/// One curve of a [`line_chart`]: points in data units in [0, 1] x [0, 1].
pub(super) struct Curve<'a> {
    /// CSS class of the stroke (`r`, `c`, or `l0` .. `l7`).
    pub class: &'a str,
    /// The legend and tooltip text.
    pub name: String,
    pub x: &'a [f64],
    pub y: &'a [f64],
}

/// A square chart of curves on [0, 1] x [0, 1] (ROC curves), with the diagonal of a
/// random score dashed, a tooltip per curve and a legend below.
pub(super) fn unit_curves(
    out: &mut String,
    curves: &[Curve<'_>],
    title: &str,
    x_label: &str,
    y_label: &str,
) {
    const ML: f64 = 52.0;
    const MT: f64 = 10.0;
    const PLOT: f64 = 280.0;
    const LEGEND_ROW: f64 = 16.0;
    let legend_top = MT + PLOT + 44.0;
    let h = legend_top + LEGEND_ROW * curves.len() as f64 + 4.0;
    let w = ML + PLOT + 140.0;
    let px = |v: f64| ML + PLOT * v.clamp(0.0, 1.0);
    let py = |v: f64| MT + PLOT * (1.0 - v.clamp(0.0, 1.0));
    let _ = write!(
        out,
        "<svg class=\"chart sq\" viewBox=\"0 0 {} {}\" role=\"img\"><title>{}</title>",
        C(w),
        C(h),
        esc(title)
    );
    for f in [0.0, 0.5, 1.0] {
        let _ = write!(
            out,
            "<path class=\"grid\" d=\"M{} {}H{}M{} {}V{}\"/><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text><text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            C(ML),
            C(py(f)),
            C(ML + PLOT),
            C(px(f)),
            C(MT),
            C(MT + PLOT),
            C(ML - 4.0),
            C(py(f) + 4.0),
            f,
            C(px(f)),
            C(MT + PLOT + 15.0),
            f
        );
    }
    let _ = write!(
        out,
        "<path class=\"ax\" d=\"M{} {}V{}H{}\"/><path class=\"diag\" d=\"M{} {}L{} {}\"><title>a score that ranks at random</title></path>\
<text class=\"lab\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text><text class=\"lab\" transform=\"translate(12 {}) rotate(-90)\" text-anchor=\"middle\">{}</text>",
        C(ML),
        C(MT),
        C(MT + PLOT),
        C(ML + PLOT),
        C(px(0.0)),
        C(py(0.0)),
        C(px(1.0)),
        C(py(1.0)),
        C(ML + PLOT / 2.0),
        C(MT + PLOT + 32.0),
        esc(x_label),
        C(MT + PLOT / 2.0),
        esc(y_label)
    );
    if curves.is_empty() {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" class=\"lab\">no curve to draw</text>",
            C(ML + PLOT / 2.0),
            C(MT + PLOT / 2.0)
        );
    }
    for (n, c) in curves.iter().enumerate() {
        let mut d = String::new();
        for (i, (x, y)) in c.x.iter().zip(c.y).enumerate() {
            let _ = write!(
                d,
                "{}{} {}",
                if i == 0 { "M" } else { "L" },
                C(px(*x)),
                C(py(*y))
            );
        }
        if !d.is_empty() {
            let _ = write!(
                out,
                "<path class=\"ln {}\" d=\"{d}\"><title>{}</title></path>",
                c.class,
                esc(&c.name)
            );
        }
        let ly = legend_top + LEGEND_ROW * n as f64;
        let _ = write!(
            out,
            "<path class=\"ln {}\" d=\"M{} {}h18\"/><text class=\"lab\" x=\"{}\" y=\"{}\">{}</text>",
            c.class,
            C(ML),
            C(ly),
            C(ML + 24.0),
            C(ly + 4.0),
            esc(&truncate(&c.name, 60))
        );
    }
    out.push_str("</svg>");
}

/// Counts on a square grid of shared bins (predicted against actual), drawn as squares
/// shaded in six steps of a log scale; one path per step keeps the markup small whatever
/// the number of cells, and each step has a tooltip with its range of counts. The line
/// `y = x` is the diagonal.
pub(super) fn binned_scatter(
    out: &mut String,
    edges: &[f64],
    counts: &[Vec<u64>],
    class: &str,
    title: &str,
    x_label: &str,
    y_label: &str,
) {
    const ML: f64 = 66.0;
    const MT: f64 = 10.0;
    const PLOT: f64 = 260.0;
    const MB: f64 = 40.0;
    let k = edges.len().saturating_sub(1).min(counts.len());
    let (w, h) = (ML + PLOT + 14.0, MT + PLOT + MB);
    let _ = write!(
        out,
        "<svg class=\"chart sq\" viewBox=\"0 0 {} {}\" role=\"img\"><title>{}</title>",
        C(w),
        C(h),
        esc(title)
    );
    let _ = write!(
        out,
        "<path class=\"ax\" d=\"M{} {}V{}H{}\"/>",
        C(ML),
        C(MT),
        C(MT + PLOT),
        C(ML + PLOT)
    );
    let max = counts
        .iter()
        .take(k)
        .flat_map(|r| r.iter().take(k))
        .copied()
        .max()
        .unwrap_or(0);
    if k == 0 || max == 0 {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" class=\"lab\">no values to draw</text>",
            C(ML + PLOT / 2.0),
            C(MT + PLOT / 2.0)
        );
    } else {
        const STEPS: usize = 6;
        let cell = PLOT / k as f64;
        let lmax = (max as f64).ln_1p();
        let step_of = |n: u64| -> usize {
            let f = (n as f64).ln_1p() / lmax;
            ((f * STEPS as f64).ceil() as usize).clamp(1, STEPS) - 1
        };
        let mut paths = vec![String::new(); STEPS];
        let mut ranges = [(u64::MAX, 0u64, 0usize); STEPS];
        for (i, row) in counts.iter().take(k).enumerate() {
            for (j, &n) in row.iter().take(k).enumerate() {
                if n == 0 {
                    continue;
                }
                let s = step_of(n);
                // actual (row i) on x, predicted (column j) on y
                let _ = write!(
                    paths[s],
                    "M{} {}h{}v{}h-{}z",
                    C(ML + cell * i as f64),
                    C(MT + PLOT - cell * (j + 1) as f64),
                    C(cell),
                    C(cell),
                    C(cell)
                );
                let r = &mut ranges[s];
                r.0 = r.0.min(n);
                r.1 = r.1.max(n);
                r.2 += 1;
            }
        }
        for (s, d) in paths.iter().enumerate() {
            if d.is_empty() {
                continue;
            }
            let (lo, hi, cells) = ranges[s];
            let rows = if lo == hi {
                format!("{lo}")
            } else {
                format!("{lo}–{hi}")
            };
            let _ = write!(
                out,
                "<path class=\"{class}\" fill-opacity=\"{}\" d=\"{d}\"><title>{cells} cells with {rows} rows each</title></path>",
                opacity((s + 1) as f64 / STEPS as f64)
            );
        }
    }
    let _ = write!(
        out,
        "<path class=\"diag\" d=\"M{} {}L{} {}\"><title>prediction = target</title></path>",
        C(ML),
        C(MT + PLOT),
        C(ML + PLOT),
        C(MT)
    );
    if k > 0 {
        let ticks: Vec<usize> = if edges[0] == edges[k] {
            vec![0]
        } else {
            vec![0, k / 2, k]
        };
        for t in ticks {
            let f = if k == 0 { 0.0 } else { t as f64 / k as f64 };
            let label = esc(&value(edges[t])).to_string();
            let anchor = if t == 0 {
                "start"
            } else if t == k {
                "end"
            } else {
                "middle"
            };
            let _ = write!(
                out,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\">{label}</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{label}</text>",
                C(ML + PLOT * f),
                C(MT + PLOT + 14.0),
                C(ML - 4.0),
                C(MT + PLOT - PLOT * f + if t == 0 { 0.0 } else { 9.0 })
            );
        }
    }
    let _ = write!(
        out,
        "<text class=\"lab\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text><text class=\"lab\" transform=\"translate(12 {}) rotate(-90)\" text-anchor=\"middle\">{}</text></svg>",
        C(ML + PLOT / 2.0),
        C(h - 8.0),
        esc(x_label),
        C(MT + PLOT / 2.0),
        esc(y_label)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_are_finite_and_short() {
        assert_eq!(C(f64::NAN).to_string(), "0");
        assert_eq!(C(f64::INFINITY).to_string(), "0");
        assert_eq!(C(12.0).to_string(), "12");
        assert_eq!(C(12.34).to_string(), "12.3");
        assert_eq!(C(-0.04).to_string(), "0");
    }

    #[test]
    fn values_and_percentages_read_well() {
        assert_eq!(value(4.3), "4.3");
        assert_eq!(value(1234.5678), "1234.6");
        assert_eq!(value(0.000012), "1.20e-5");
        assert_eq!(value(2.5e9), "2.50e9");
        assert_eq!(pct(0.5), "50%");
        assert_eq!(pct(0.0123), "1.2%");
        assert_eq!(pct(0.0), "0%");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("äöü", 3), "äöü");
        assert_eq!(opacity(0.0), "0");
        assert_eq!(opacity(1.0), "0.95");
    }
}
