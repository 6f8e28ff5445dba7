//! The self-contained HTML report: one file with inline CSS, a little inline script and
//! inline SVG charts drawn from the computed results (no data rows, nothing fetched).
//!
//! The page is a header (datasets, verdict, when and by which version), then one section per
//! preset whose `Results` field is present, then a footer. A new preset adds a module with a
//! `section(&mut String, &ItsReport)` function and one line in [`render_html`].

mod drift;
mod page;
mod svg;

use std::fmt::{self, Display};

use modelwatch_core::results::Results;

/// Renders the results as one self-contained HTML page.
pub fn render_html(results: &Results) -> String {
    let columns = results.drift.as_ref().map_or(0, |d| d.columns.len());
    let mut out = String::with_capacity(16_384 + columns * 6_144);
    page::open(&mut out, results);
    // One section per preset that ran, each only when its field is present.
    if let Some(d) = &results.drift {
        drift::section(&mut out, d);
    }
    page::close(&mut out, results);
    out
}

/// Text escaped for HTML content and attribute values.
pub(crate) struct Escaped<'a>(&'a str);

/// Escapes `&`, `<`, `>`, `"` and `'` when displayed.
pub(crate) fn esc(s: &str) -> Escaped<'_> {
    Escaped(s)
}

impl Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        let mut last = 0;
        for (i, b) in s.bytes().enumerate() {
            let rep = match b {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                b'\'' => "&#39;",
                _ => continue,
            };
            f.write_str(&s[last..i])?;
            f.write_str(rep)?;
            last = i + 1;
        }
        f.write_str(&s[last..])
    }
}

/// A percentage with one decimal at most: `33.3`, `50`.
pub(crate) fn trim_pct(p: f64) -> String {
    let s = format!("{p:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use modelwatch_core::drift::{ColumnDistribution, ColumnDrift, DriftMethod, DriftReport};
    use modelwatch_core::results::Meta;
    use modelwatch_core::schema::{ColumnRole, ColumnType};

    fn numeric(name: &str, score: f64, dist: Option<ColumnDistribution>) -> ColumnDrift {
        ColumnDrift {
            column: name.into(),
            column_type: ColumnType::Numerical,
            role: ColumnRole::Feature,
            method: Some(DriftMethod::Ks),
            threshold: Some(0.05),
            score: Some(score),
            drifted: Some(score <= 0.05),
            reference_rows: 1000,
            current_rows: 800,
            reference_missing: 10,
            current_missing: 0,
            reference_infinite: 0,
            current_infinite: 0,
            error: None,
            distribution: dist,
        }
    }

    fn hist(k: usize) -> ColumnDistribution {
        ColumnDistribution::Histogram {
            edges: (0..=k).map(|i| i as f64 * 0.5).collect(),
            reference: (0..k as u64).map(|i| 10 + i * 3).collect(),
            current: (0..k as u64).map(|i| 70 - i * 3).collect(),
            reference_missing: 10,
            current_missing: 0,
        }
    }

    fn categories(n: usize) -> ColumnDistribution {
        ColumnDistribution::Categories {
            labels: (0..n).map(|i| format!("label {i}")).collect(),
            reference: vec![40; n],
            current: vec![30; n],
            other_labels: 7,
            other_reference: 5,
            other_current: 90,
            reference_missing: 0,
            current_missing: 3,
        }
    }

    fn results(columns: Vec<ColumnDrift>) -> Results {
        let column_count = columns.len();
        let drifted_count = columns.iter().filter(|c| c.drifted == Some(true)).count();
        Results {
            drift: Some(DriftReport {
                drift_share: 0.5,
                column_count,
                drifted_count,
                drifted_share: drifted_count as f64 / column_count.max(1) as f64,
                dataset_drift: drifted_count * 2 >= column_count,
                columns,
                reference_only_columns: vec!["<b>only_ref</b>".into()],
                current_only_columns: vec![],
                skipped_columns: vec![],
            }),
            summary: None,
            target: None,
            classification: None,
            regression: None,
            meta: Meta {
                reference: "data/<ref>.csv".into(),
                current: "data/cur&rent.csv".into(),
                reference_rows: 1000,
                current_rows: 800,
                version: "0.1.0".into(),
                generated_at: "2026-01-01T00:00:00Z".into(),
                seed: 0,
            },
        }
    }

    /// Every number inside SVG coordinate attributes parses as a finite float.
    fn assert_finite_svg(html: &str) {
        assert!(!html.contains("NaN"), "NaN in the page");
        assert!(!html.contains("inf\""), "inf in an attribute");
        for attr in [" x=\"", " y=\"", " width=\"", " height=\""] {
            for part in html.split(attr).skip(1) {
                let v = &part[..part.find('"').unwrap()];
                let x: f64 = v.parse().unwrap_or_else(|_| panic!("{attr}{v}"));
                assert!(x.is_finite() && x >= 0.0, "{attr}{v}");
            }
        }
        for part in html.split(" d=\"").skip(1) {
            let d = &part[..part.find('"').unwrap()];
            for n in d
                .split(|ch: char| ch.is_ascii_alphabetic() || ch == ' ')
                .filter(|s| !s.is_empty())
            {
                let x: f64 = n.parse().unwrap_or_else(|_| panic!("path {d}"));
                assert!(x.is_finite(), "path {d}");
            }
        }
    }

    #[test]
    fn user_strings_are_escaped() {
        let evil = "<script>alert(1)</script>";
        let mut cat = categories(2);
        if let ColumnDistribution::Categories { labels, .. } = &mut cat {
            labels[0] = "<img src=x onerror=alert(2)>".into();
        }
        let mut c2 = numeric("a\"b'c", 0.5, Some(cat));
        c2.column_type = ColumnType::Categorical;
        let html = render_html(&results(vec![numeric(evil, 0.01, Some(hist(5))), c2]));
        assert!(!html.contains(evil));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!html.contains("<img"));
        assert!(html.contains("&lt;img src=x onerror=alert(2)&gt;"));
        assert!(html.contains("data-column=\"a&quot;b&#39;c\""));
        assert!(html.contains("data/&lt;ref&gt;.csv"));
        assert!(html.contains("cur&amp;rent.csv"));
        assert!(html.contains("&lt;b&gt;only_ref&lt;/b&gt;"));
        // The page's own script is the only one.
        assert_eq!(html.matches("<script").count(), 1);
    }

    #[test]
    fn one_chart_and_one_sparkline_per_column() {
        let cols = vec![
            numeric("a", 0.2, Some(hist(10))),
            numeric("b", 0.001, Some(categories(4))),
            numeric("c", 0.9, None),
        ];
        let html = render_html(&results(cols));
        assert_eq!(html.matches("<tbody class=\"col\"").count(), 3);
        assert_eq!(html.matches("<svg class=\"chart\"").count(), 3);
        assert_eq!(html.matches("<svg class=\"spark\"").count(), 2);
        assert_eq!(html.matches("<details>").count(), 3);
        assert!(html.contains("No dataset drift: 1 of 3 columns drifted, 33.3% &lt; 50%"));
        assert!(html.contains("other (7 labels)"));
        assert!(html.contains("<title>missing: reference 10 (1.0%), current 0 (0%)</title>"));
        assert_finite_svg(&html);
    }

    #[test]
    fn empty_and_single_value_columns_draw_sensibly() {
        let empty = ColumnDistribution::Histogram {
            edges: vec![],
            reference: vec![],
            current: vec![],
            reference_missing: 1000,
            current_missing: 800,
        };
        let single = ColumnDistribution::Histogram {
            edges: vec![3.0, 3.0],
            reference: vec![990],
            current: vec![800],
            reference_missing: 10,
            current_missing: 0,
        };
        let nothing = ColumnDistribution::Histogram {
            edges: vec![],
            reference: vec![],
            current: vec![],
            reference_missing: 0,
            current_missing: 0,
        };
        let mut e = numeric("empty", 0.5, Some(empty));
        e.score = None;
        e.drifted = None;
        e.error = Some("the reference has no non-missing values".into());
        let mut zero = numeric("zero rows", 0.5, Some(nothing));
        zero.reference_rows = 0;
        zero.current_rows = 0;
        let html = render_html(&results(vec![
            e,
            numeric("single", 1.0, Some(single)),
            zero,
            numeric("no cats", 1.0, Some(categories(0))),
        ]));
        assert_finite_svg(&html);
        assert_eq!(html.matches("<svg class=\"chart\"").count(), 4);
        assert!(
            html.contains("Not tested with K-S p-value: the reference has no non-missing values.")
        );
        assert!(html.contains("<title>value 3: reference 990 (99%), current 800 (100%)</title>"));
        assert!(html.contains("no values to draw"));
    }

    #[test]
    fn explanations_name_the_statistic_and_the_comparison() {
        let c = numeric("x", 0.00001, Some(hist(3)));
        assert_eq!(
            drift::explanation(&c),
            "K-S p-value 1.00e-5 ≤ 0.0500: the two samples are unlikely to come from one \
             distribution (the test compares the largest gap between the two cumulative \
             distributions)."
        );
        let mut w = numeric("x", 0.05, None);
        w.method = Some(DriftMethod::Wasserstein);
        w.threshold = Some(0.1);
        w.drifted = Some(false);
        assert!(drift::explanation(&w).starts_with(
            "Wasserstein distance (normed) 0.0500 < 0.1000: the distributions are close enough"
        ));
    }

    #[test]
    fn two_hundred_columns_stay_under_three_megabytes() {
        let make = |n: usize| {
            (0..n)
                .map(|i| {
                    if i % 4 == 3 {
                        let mut c =
                            numeric(&format!("category_column_{i}"), 0.2, Some(categories(20)));
                        c.column_type = ColumnType::Categorical;
                        c
                    } else {
                        numeric(&format!("numeric_column_{i}"), 0.01, Some(hist(20)))
                    }
                })
                .collect::<Vec<_>>()
        };
        let small = render_html(&results(make(20)));
        let large = render_html(&results(make(200)));
        assert!(
            small.len() <= 300 * 1024,
            "20 columns: {} bytes",
            small.len()
        );
        assert!(
            large.len() < 3 * 1024 * 1024,
            "200 columns: {} bytes",
            large.len()
        );
        assert_finite_svg(&large);
        eprintln!(
            "20 columns: {} bytes; 200 columns: {} bytes",
            small.len(),
            large.len()
        );
    }

    #[test]
    fn nothing_is_fetched() {
        let html = render_html(&results(vec![numeric("a", 0.2, Some(hist(4)))]));
        assert!(!html.contains("http://") && !html.contains("https://"));
        assert!(!html.contains("src="));
        assert!(html.contains("default-src 'none'"));
    }
}
