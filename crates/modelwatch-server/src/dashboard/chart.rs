//! Inline SVG line charts over time. Every coordinate is computed from finite numbers
//! only: points with a non-finite value are skipped, and empty or flat ranges are widened,
//! so no `NaN` or `inf` reaches the markup.

use std::fmt::Write;

use super::html::{esc, num, short_time};

/// One line of a chart.
#[derive(Debug, Clone)]
pub struct Line {
    /// The legend and tooltip text (plain text; escaped when drawn).
    pub label: String,
    /// A short key (`c3`) for the column picker; the same key on a picker checkbox shows
    /// or hides the line.
    pub key: String,
    /// Points as (microseconds since the epoch, value).
    pub points: Vec<(i64, f64)>,
    /// Drawn hidden (the picker can show it).
    pub hidden: bool,
}

/// A chart over `[from_us, to_us]`.
#[derive(Debug, Clone)]
pub struct Chart {
    /// The HTML `id` of the chart's element, unique on the page.
    pub id: String,
    /// The lines drawn, in legend order.
    pub lines: Vec<Line>,
    /// The time axis' start, microseconds since the Unix epoch.
    pub from_us: i64,
    /// The time axis' end, microseconds since the Unix epoch.
    pub to_us: i64,
    /// A fixed value axis (shares: 0 to 1); `None` fits the data.
    pub y_range: Option<(f64, f64)>,
    /// A dashed horizontal line with its label.
    pub threshold: Option<(f64, String)>,
    /// Axis labels as percentages.
    pub percent: bool,
}

const W: f64 = 600.0;
const H: f64 = 220.0;
const LEFT: f64 = 52.0;
const RIGHT: f64 = 14.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 26.0;
/// Above this many points a line is drawn without its point markers.
const MARKER_LIMIT: usize = 240;

impl Chart {
    /// The finite points of all lines.
    fn finite(&self) -> impl Iterator<Item = (i64, f64)> + '_ {
        self.lines
            .iter()
            .flat_map(|l| l.points.iter().copied())
            .filter(|(_, v)| v.is_finite())
    }

    /// How many finite points the chart holds.
    pub fn point_count(&self) -> usize {
        self.finite().count()
    }

    /// The SVG, or a short note when there is nothing to draw.
    pub fn render(&self) -> String {
        if self.point_count() == 0 {
            return format!(
                "<div class=\"empty-chart\" id=\"{}\" data-points=\"0\">No snapshots with this metric in the selected range yet.</div>",
                esc(&self.id)
            );
        }
        let (mut x0, mut x1) = (self.from_us as f64, self.to_us as f64);
        for (t, _) in self.finite() {
            x0 = x0.min(t as f64);
            x1 = x1.max(t as f64);
        }
        if x1 - x0 < 1e6 {
            x0 -= 30e6;
            x1 += 30e6;
        }
        let (mut y0, mut y1) = match self.y_range {
            Some(r) => r,
            None => {
                let (lo, hi) = self
                    .finite()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (_, v)| {
                        (lo.min(v), hi.max(v))
                    });
                let lo = if lo >= 0.0 { 0.0 } else { lo };
                (lo, hi + (hi - lo).abs() * 0.08)
            }
        };
        for (_, v) in self.finite() {
            y0 = y0.min(v);
            y1 = y1.max(v);
        }
        if let Some((t, _)) = &self.threshold {
            if t.is_finite() {
                y0 = y0.min(*t);
                y1 = y1.max(*t);
            }
        }
        if !(y1 - y0).is_finite() || y1 - y0 < 1e-12 {
            y0 -= 0.5;
            y1 += 0.5;
        }
        let px = |t: i64| LEFT + (t as f64 - x0) / (x1 - x0) * (W - LEFT - RIGHT);
        let py = |v: f64| TOP + (1.0 - (v - y0) / (y1 - y0)) * (H - TOP - BOTTOM);

        let mut s = String::new();
        let _ = write!(
            s,
            "<svg class=\"chart\" id=\"{}\" viewBox=\"0 0 {W} {H}\" role=\"img\" data-points=\"{}\">",
            esc(&self.id),
            self.point_count()
        );
        // Value grid.
        for i in 0..=4 {
            let v = y0 + (y1 - y0) * f64::from(i) / 4.0;
            let y = py(v);
            let label = if self.percent {
                super::html::percent(Some(v))
            } else {
                num(Some(v))
            };
            let _ = write!(
                s,
                "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                W - RIGHT,
                LEFT - 6.0,
                y + 4.0,
                esc(&label)
            );
        }
        // Time axis (UTC).
        let span_s = (x1 - x0) / 1e6;
        let with_date = span_s > 36.0 * 3600.0;
        let with_seconds = span_s < 600.0;
        for i in 0..=4 {
            let t = (x0 + (x1 - x0) * f64::from(i) / 4.0) as i64;
            let anchor = match i {
                0 => "start",
                4 => "end",
                _ => "middle",
            };
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{}</text>",
                px(t),
                H - 8.0,
                esc(&short_time(t, with_date, with_seconds))
            );
        }
        let _ = write!(
            s,
            "<line class=\"axis\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/>",
            W - RIGHT,
            H - BOTTOM,
            H - BOTTOM
        );
        if let Some((t, label)) = &self.threshold {
            if t.is_finite() {
                let y = py(*t);
                let _ = write!(
                    s,
                    "<line class=\"threshold\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>\
                     <text class=\"threshold-label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                    W - RIGHT,
                    W - RIGHT - 4.0,
                    y - 4.0,
                    esc(label)
                );
            }
        }
        for (i, line) in self.lines.iter().enumerate() {
            let pts: Vec<(i64, f64)> = line
                .points
                .iter()
                .copied()
                .filter(|(_, v)| v.is_finite())
                .collect();
            let _ = write!(
                s,
                "<g class=\"series{}\" data-key=\"{}\" data-points=\"{}\" style=\"color:var(--s{})\"><title>{}</title>",
                if line.hidden { " off" } else { "" },
                esc(&line.key),
                pts.len(),
                i % 10,
                esc(&line.label)
            );
            if pts.len() > 1 {
                s.push_str("<polyline stroke=\"currentColor\" points=\"");
                for (t, v) in &pts {
                    let _ = write!(s, "{:.1},{:.1} ", px(*t), py(*v));
                }
                s.push_str("\"/>");
            }
            if pts.len() <= MARKER_LIMIT {
                for (t, v) in &pts {
                    let _ = write!(
                        s,
                        "<circle class=\"pt\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.6\" fill=\"currentColor\"><title>{}: {} at {}</title></circle>",
                        px(*t),
                        py(*v),
                        esc(&line.label),
                        esc(&if self.percent { super::html::percent(Some(*v)) } else { num(Some(*v)) }),
                        esc(&super::html::time(*t))
                    );
                }
            }
            s.push_str("</g>");
        }
        s.push_str("</svg>");
        s
    }

    /// The legend under the chart; with `picker`, each entry is a checkbox that shows or
    /// hides its line.
    pub fn legend(&self, picker: bool) -> String {
        if self.lines.len() < 2 && !picker {
            return String::new();
        }
        let mut s = String::from("<div class=\"legend\">");
        for (i, line) in self.lines.iter().enumerate() {
            let swatch = format!(
                "<span class=\"sw\" style=\"background:var(--s{})\"></span>",
                i % 10
            );
            if picker {
                let _ = write!(
                    s,
                    "<label><input type=\"checkbox\" class=\"pick\" data-key=\"{}\"{}> {swatch}{}</label>",
                    esc(&line.key),
                    if line.hidden { "" } else { " checked" },
                    esc(&line.label)
                );
            } else {
                let _ = write!(s, "<span>{swatch}{}</span>", esc(&line.label));
            }
        }
        s.push_str("</div>");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(lines: Vec<Line>) -> Chart {
        Chart {
            id: "c".into(),
            lines,
            from_us: 0,
            to_us: 3_600_000_000,
            y_range: None,
            threshold: Some((0.5, "threshold 50%".into())),
            percent: false,
        }
    }

    fn line(label: &str, points: Vec<(i64, f64)>) -> Line {
        Line {
            label: label.into(),
            key: "c0".into(),
            points,
            hidden: false,
        }
    }

    #[test]
    fn no_nan_or_infinity_reaches_the_svg() {
        let cases = vec![
            vec![(0, f64::NAN), (10, 1.0), (20, f64::INFINITY)],
            vec![(5, 0.3)],
            vec![(5, 0.3), (5, 0.3)],
            vec![(1, -2.0), (2, f64::NEG_INFINITY), (3, 1e300)],
            vec![(i64::MIN / 2, 0.0), (i64::MAX / 2, 1.0)],
        ];
        for points in cases {
            let svg = chart(vec![line("<col>", points.clone())]).render();
            assert!(svg.starts_with("<svg"), "{points:?}: {svg}");
            for bad in ["NaN", "inf", "Infinity"] {
                assert!(!svg.contains(bad), "{bad} in {svg}");
            }
            assert!(svg.contains("&lt;col&gt;") && !svg.contains("<col>"));
        }
    }

    #[test]
    fn counts_points_and_says_when_empty() {
        let c = chart(vec![
            line(
                "a",
                vec![(0, 0.1), (60_000_000, 0.2), (120_000_000, f64::NAN)],
            ),
            line("b", vec![(0, 0.4)]),
        ]);
        let svg = c.render();
        assert_eq!(c.point_count(), 3);
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(svg.contains("data-points=\"3\""));
        assert!(svg.contains("class=\"threshold\""));
        let empty = chart(vec![line("a", vec![(0, f64::NAN)])]).render();
        assert!(empty.contains("No snapshots"), "{empty}");
        assert!(chart(Vec::new()).render().contains("data-points=\"0\""));
    }

    #[test]
    fn picker_legend_escapes_names() {
        let c = chart(vec![line("\"x\" </script>", vec![(0, 1.0)])]);
        let l = c.legend(true);
        assert!(l.contains("&quot;x&quot; &lt;/script&gt;"), "{l}");
        assert!(l.contains("class=\"pick\""));
    }
}
