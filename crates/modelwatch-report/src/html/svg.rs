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
    }
}
