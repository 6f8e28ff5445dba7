//! The self-contained HTML report: one file with inline CSS, a little inline script and
//! inline SVG charts drawn from the computed results (no data rows, nothing fetched).
//!
//! The page is a header (datasets, time range, verdicts, when and by which version), the
//! test results when a suite ran, then one section per preset whose `Results` field is
//! present, then a footer. A new preset adds a module with a `section(&mut String,
//! &ItsReport)` function and one line in [`render_html_with`].

mod checks;
mod drift;
pub mod images;
mod model_quality;
mod page;
mod summary;
mod svg;
mod target;

use std::fmt::{self, Display};

use modelwatch_core::checks::CheckReport;
use modelwatch_core::results::Results;

/// What the page shows besides the results.
#[derive(Debug, Clone, Copy, Default)]
pub struct HtmlOptions<'a> {
    /// The outcome of `modelwatch test`: shown first, failed tests on top.
    pub checks: Option<&'a CheckReport>,
    /// Example images of image columns, shown after the drift section.
    pub galleries: &'a [images::ImageGallery],
}

/// Renders the results as one self-contained HTML page.
pub fn render_html(results: &Results) -> String {
    render_html_with(results, &HtmlOptions::default())
}

/// Renders the results, and what `options` adds, as one self-contained HTML page.
pub fn render_html_with(results: &Results, options: &HtmlOptions<'_>) -> String {
    let columns = results.drift.as_ref().map_or(0, |d| d.columns.len())
        + results.summary.as_ref().map_or(0, |s| s.columns.len());
    let mut out = String::with_capacity(32_768 + columns * 6_144);
    page::open(&mut out, results, options);
    if let Some(c) = options.checks {
        checks::section(&mut out, c);
    }
    // One section per preset that ran, each only when its field is present.
    if let Some(d) = &results.drift {
        drift::section(&mut out, d);
    }
    images::image_examples_section(&mut out, options.galleries);
    if let Some(s) = &results.summary {
        summary::section(&mut out, s);
    }
    if let Some(t) = &results.target {
        target::section(&mut out, t);
    }
    if let Some(c) = &results.classification {
        model_quality::classification(&mut out, c);
    }
    if let Some(r) = &results.regression {
        model_quality::regression(&mut out, r);
    }
    page::close(&mut out, results);
    out
}

/// The report's multivariate drift table (one row per method: its score, the no-drift band,
/// the verdict and the columns that contribute most; why a method did not run below it),
/// for pages that show multivariate results outside a report, such as the server's
/// dashboard. Every value is escaped.
pub fn multivariate_section(
    out: &mut String,
    methods: &[modelwatch_core::drift::MultivariateDrift],
) {
    drift::multivariate(out, methods);
}

/// Text escaped for HTML content and quoted attribute values when displayed. The one HTML
/// escape of the workspace: the report and the server's pages both use it.
pub struct Escaped<'a>(&'a str);

/// Escapes `&`, `<`, `>`, `"` and `'` when displayed.
pub fn esc(s: &str) -> Escaped<'_> {
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

pub(crate) use crate::trim_pct;

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
            text_drift: None,
            reference_read_problem: None,
            current_read_problem: None,
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
                untested_columns: vec![],
                embeddings: vec![],
                multivariate: vec![],
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
                time_range: None,
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
    fn text_columns_show_their_words_and_examples_escaped() {
        use modelwatch_core::stats::text_drift::{TextDriftExplanation, WordWeight};
        let mut c = numeric("ticket", 0.93, None);
        c.column_type = ColumnType::Text;
        c.method = Some(DriftMethod::AbsTextContentDrift);
        c.threshold = Some(0.55);
        c.drifted = Some(true);
        c.text_drift = Some(TextDriftExplanation {
            compared_with: 0.55,
            train_rows: 500,
            test_rows: 500,
            vocabulary: 321,
            current_words: vec![WordWeight {
                word: "<zap>".into(),
                weight: 2.5,
            }],
            reference_words: vec![WordWeight {
                word: "parcel".into(),
                weight: -1.25,
            }],
            current_examples: vec!["<script>alert(1)</script> zap".into()],
            reference_examples: vec!["parcel & courier".into()],
        });
        let html = render_html(&results(vec![c]));
        assert!(html.contains(
            "text domain classifier ROC AUC 0.9300 &gt; 0.5500: current texts differ from reference texts in their words"
        ));
        assert!(html.contains("<code>&lt;zap&gt;</code> +2.50"));
        assert!(html.contains("<code>parcel</code> -1.25"));
        assert!(html.contains("<li><q>&lt;script&gt;alert(1)&lt;/script&gt; zap</q></li>"));
        assert!(html.contains("<li><q>parcel &amp; courier</q></li>"));
        assert!(html.contains("Classifier trained on 500 texts, scored on 500; 321 words"));
        assert_eq!(html.matches("<script").count(), 1);
    }

    fn embedding(name: &str, score: Option<f64>) -> modelwatch_core::drift::EmbeddingDriftResult {
        let mut e = modelwatch_core::drift::EmbeddingDriftResult::unreadable(name, String::new());
        e.error = None;
        e.columns = (0..16).map(|i| format!("{name}_{i}")).collect();
        e.dimension = 16;
        e.method = Some("ratio".into());
        e.score = score;
        e.threshold = Some(0.2);
        e.drifted = score.map(|s| s > 0.2);
        (e.reference_rows_used, e.current_rows_used) = (300, 248);
        (e.reference_left_out, e.current_left_out) = (0, 2);
        e.left_out_reason = Some(modelwatch_core::drift::embedding::LEFT_OUT_REASON.into());
        e
    }

    #[test]
    fn one_row_per_embedding_in_the_drift_section_and_the_terminal() {
        let mut r = results(vec![numeric("a", 0.2, Some(hist(10)))]);
        let mut broken = embedding("<v>", None);
        broken.error = Some("rows of different lengths".into());
        r.drift.as_mut().unwrap().embeddings = vec![embedding("emb", Some(0.9375)), broken];
        let html = render_html(&r);
        let table = &html[html.find("id=\"embedding-table\"").unwrap()..];
        let table = &table[..table.find("</table>").unwrap()];
        assert_eq!(table.matches("<tr data-embedding=").count(), 2);
        assert!(table.contains(
            "<th scope=\"row\">emb</th><td class=\"num\">16</td><td>ratio</td><td class=\"num\">0.9375</td><td class=\"num\">0.2000</td><td class=\"yes\">yes</td><td class=\"num\">300 / 248</td><td class=\"num\">0 / 2</td>"
        ), "{table}");
        assert!(table.contains("&lt;v&gt;"));
        assert!(html.contains("Embedding &lt;v&gt;: not tested: rows of different lengths"));
        assert!(html.contains("1 of 2 embeddings drifted"));

        let text = crate::render_terminal(&r, crate::TerminalStyle::Plain);
        assert!(text.contains("Embedding drift (not counted in the share of drifted columns)"));
        assert!(text.contains("warning: embedding `<v>` not tested: rows of different lengths"));
        assert!(text.contains(
            "note: embedding `emb`: left out 0 reference and 2 current rows (a component is missing, NaN or infinite)"
        ));
        let row = text.lines().find(|l| l.contains("| emb ")).unwrap();
        assert!(
            row.contains("0.9375") && row.contains("yes") && row.contains("300 / 248"),
            "{row}"
        );
    }

    #[test]
    fn one_row_per_multivariate_method_and_the_verdict_names_the_drifted() {
        use modelwatch_core::drift::multivariate::MultivariateDrift;
        use modelwatch_core::drift::MultivariateMethod;
        use modelwatch_core::stats::multivariate::domain_classifier::ColumnContribution;
        let mut r = results(vec![numeric("a", 0.2, Some(hist(10)))]);
        let classifier = MultivariateDrift {
            method: MultivariateMethod::DomainClassifier,
            score: Some(0.882),
            lower_threshold: Some(0.45),
            upper_threshold: Some(0.65),
            drifted: Some(true),
            columns: vec!["x1".into(), "x2".into()],
            contributions: vec![
                ColumnContribution {
                    column: "x1".into(),
                    gain_share: 0.75,
                },
                ColumnContribution {
                    column: "x2".into(),
                    gain_share: 0.25,
                },
            ],
            details: Default::default(),
            error: None,
        };
        let broken = MultivariateDrift {
            method: MultivariateMethod::Reconstruction,
            score: None,
            lower_threshold: None,
            upper_threshold: None,
            drifted: None,
            error: Some("reconstruction error needs at least 10 reference rows, got 1".into()),
            contributions: vec![],
            ..classifier.clone()
        };
        r.drift.as_mut().unwrap().multivariate = vec![broken, classifier];
        let html = render_html(&r);
        let table = &html[html.find("id=\"multivariate-table\"").unwrap()..];
        let table = &table[..table.find("</table>").unwrap()];
        assert_eq!(table.matches("<tr data-multivariate=").count(), 2);
        assert!(table.contains(
            "<th scope=\"row\">domain_classifier</th><td class=\"num\">0.8820</td><td>[0.4500, 0.6500]</td><td class=\"yes\">yes</td><td>x1 75%, x2 25%</td>"
        ), "{table}");
        assert!(html.contains("1 of 2 multivariate methods found drift"));
        assert!(html.contains(
            "Multivariate method reconstruction: did not run: reconstruction error needs at least 10 reference rows, got 1"
        ));

        let text = crate::render_terminal(&r, crate::TerminalStyle::Plain);
        assert!(text.contains("Multivariate drift (not counted in the share of drifted columns)"));
        assert!(text.contains("warning: multivariate method `reconstruction` did not run: reconstruction error needs at least 10 reference rows, got 1"));
        assert!(
            text.contains("; multivariate drift: domain_classifier\n"),
            "{text}"
        );
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
    fn the_verdict_names_columns_that_could_not_be_tested_and_is_not_good() {
        let mut r = results(vec![numeric("a", 0.2, None), numeric("b", 0.9, None)]);
        let drift = r.drift.as_mut().unwrap();
        drift.untested_columns = vec![modelwatch_core::drift::UntestedColumn {
            column: "petal_width".into(),
            reason: "current values are text".into(),
        }];
        let html = render_html(&r);
        assert!(html.contains(
            "<p class=\"verdict warn\">No dataset drift: 0 of 2 columns drifted, 0% &lt; 50%; \
             1 column could not be tested: petal_width (current values are text)</p>"
        ));
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

    // ------------------------------------------------------------ the other presets

    use modelwatch_core::checks::condition::{Operator, ResolvedCondition};
    use modelwatch_core::checks::{CheckResult, CheckSummary, Status};
    use modelwatch_core::drift::DriftSettings;
    use modelwatch_core::model_quality::{
        compute_classification, compute_regression, ClassificationSpec, RegressionSpec,
    };
    use modelwatch_core::prepare::{PreparedRun, RunSettings};
    use modelwatch_core::schema::SchemaOverrides;
    use modelwatch_core::summary::compute_summary;
    use modelwatch_core::table::{Column, ColumnData, StrColumn, Table};
    use modelwatch_core::target::compute_target;

    const EVIL: &str = "<script>alert(1)</script>";

    fn floats(name: &str, v: Vec<f64>) -> Column {
        Column::new(name, ColumnData::Float(v))
    }

    fn labels(name: &str, v: &[&str]) -> Column {
        Column::new(
            name,
            ColumnData::Str(StrColumn::from_options(v.iter().map(|s| Some(*s)))),
        )
    }

    /// A table with a hostile numerical column, a hostile categorical column, a timestamp,
    /// and a target / prediction pair (labels or numbers).
    fn table(n: usize, shift: f64, classification: bool) -> Table {
        let x: Vec<f64> = (0..n)
            .map(|i| ((i * 37) % 101) as f64 / 10.0 + shift)
            .collect();
        let kinds = if shift > 0.0 { 4 } else { 3 };
        let cats: Vec<&str> = (0..n)
            .map(|i| ["<b>a</b>", "b&c", EVIL, "<u>new</u>"][(i + shift as usize) % kinds])
            .collect();
        let ts = Column::new(
            "ts",
            ColumnData::Datetime(
                (0..n)
                    .map(|i| {
                        Some(1_700_000_000_000_000 + (i as i64 + shift as i64 * 1000) * 60_000_000)
                    })
                    .collect(),
            ),
        );
        let (y, p) = if classification {
            let y: Vec<&str> = (0..n)
                .map(|i| if x[i] > 5.0 { EVIL } else { "ok" })
                .collect();
            let p: Vec<f64> = (0..n)
                .map(|i| ((x[i] - 5.0 + (i % 7) as f64 - 3.0) / 10.0 + 0.5).clamp(0.0, 1.0))
                .collect();
            (labels("y", &y), floats("p", p))
        } else {
            let y: Vec<f64> = x.iter().map(|v| 2.0 * v + 1.0).collect();
            let p: Vec<f64> = y
                .iter()
                .enumerate()
                .map(|(i, v)| v + ((i % 5) as f64 - 2.0) * (1.0 + shift))
                .collect();
            (floats("y", y), floats("p", p))
        };
        Table::new(vec![
            floats(EVIL, x),
            labels("colour\"<i>", &cats),
            ts,
            y,
            p,
        ])
        .unwrap()
    }

    fn all_presets(reference: &Table, current: &Table, classification: bool) -> Results {
        let schema = SchemaOverrides {
            target: Some("y".into()),
            prediction: Some("p".into()),
            timestamp: Some("ts".into()),
            ..Default::default()
        };
        let mut r = results(vec![numeric(EVIL, 0.01, Some(hist(5)))]);
        let drift = DriftSettings::default();
        let run =
            PreparedRun::new(Some(reference), current, RunSettings::new(&schema, &drift)).unwrap();
        r.summary = Some(compute_summary(&run));
        r.target = Some(compute_target(&run).unwrap());
        if classification {
            let spec = ClassificationSpec {
                target: "y".into(),
                prediction: None,
                prediction_proba: vec!["p".into()],
                pos_label: Some(EVIL.into()),
                proba_threshold: 0.5,
            };
            r.classification =
                Some(compute_classification(Some(reference), current, &spec).unwrap());
        } else {
            let spec = RegressionSpec {
                target: "y".into(),
                prediction: "p".into(),
            };
            r.regression = Some(compute_regression(Some(reference), current, &spec).unwrap());
        }
        r
    }

    fn check(name: &str, status: Status) -> CheckResult {
        CheckResult {
            name: name.into(),
            description: format!("{name} described <here>"),
            metric: "drifted_share".into(),
            column: Some(EVIL.into()),
            label: None,
            critical: true,
            status,
            actual: Some(serde_json::json!(0.5)),
            reference: None,
            condition: ResolvedCondition {
                operator: Operator::Lt,
                value: serde_json::json!(0.3),
                text: "< 0.3".into(),
            },
            reason: (status == Status::Error).then(|| "no <value>".to_string()),
        }
    }

    fn check_report() -> CheckReport {
        let tests = vec![
            check("passes", Status::Success),
            check("warns", Status::Warning),
            check(EVIL, Status::Fail),
            check("errs", Status::Error),
        ];
        CheckReport {
            summary: CheckSummary {
                all_passed: false,
                total: 4,
                success: 1,
                failed: 1,
                warning: 1,
                error: 1,
                by_status: Default::default(),
            },
            tests,
        }
    }

    /// No raw user text: the only tags are the page's own.
    fn assert_escaped(html: &str) {
        assert!(!html.contains(EVIL), "raw script tag");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert_eq!(html.matches("<script").count(), 1);
        assert!(!html.contains("<b>a</b>") && !html.contains("<i>") && !html.contains("<here>"));
        assert!(!html.contains("<value>"));
    }

    #[test]
    fn every_section_is_present_escaped_and_finite() {
        for classification in [false, true] {
            let reference = table(300, 0.0, classification);
            let current = table(200, 2.0, classification);
            let r = all_presets(&reference, &current, classification);
            let checks = check_report();
            let html = render_html_with(
                &r,
                &HtmlOptions {
                    checks: Some(&checks),
                    ..HtmlOptions::default()
                },
            );
            let ids = [
                "tests",
                "drift",
                "summary",
                "target",
                if classification {
                    "classification"
                } else {
                    "regression"
                },
            ];
            let mut last = 0;
            for id in ids {
                let at = html
                    .find(&format!("<section id=\"{id}\">"))
                    .unwrap_or_else(|| panic!("section {id}"));
                assert!(at > last, "{id} out of order");
                last = at;
                assert!(html.contains(&format!("<a href=\"#{id}\">")), "nav to {id}");
            }
            assert_escaped(&html);
            assert_finite_svg(&html);
            // the time range from the timestamp column's summary
            let header = &html[..html.find("</header>").unwrap()];
            assert!(header.contains("ts from 2023-11-14T22:13:20"), "{header}");
            assert!(html.contains("data-column=\"colour&quot;&lt;i&gt;\""));
            if classification {
                assert_eq!(
                    html.matches("<rect class=\"hm").count(),
                    8,
                    "two 2x2 heatmaps"
                );
                assert_eq!(
                    html.matches("<path class=\"ln ").count(),
                    4,
                    "two curves, two keys"
                );
                assert!(html.contains("true &lt;script&gt;alert(1)&lt;/script&gt;, predicted ok"));
            } else {
                assert!(html.contains("Predicted against actual"));
                assert!(html.contains("cells with"));
                assert!(html.contains("error (prediction − target)"));
            }
            // changes are highlighted in the quality table
            assert!(html.contains("class=\"num chg\""), "a change highlighted");
            assert!(html.contains("new labels: &lt;u&gt;new&lt;/u&gt;"));
            // the target drift rows expand like the drift table's
            assert!(html.contains("id=\"target-col-0\""));
            // the correlation table has the feature
            assert!(html.contains("id=\"corr-"));
        }
    }

    #[test]
    fn failed_tests_come_first() {
        let checks = check_report();
        let html = render_html_with(
            &results(vec![numeric("a", 0.2, Some(hist(3)))]),
            &HtmlOptions {
                checks: Some(&checks),
                ..HtmlOptions::default()
            },
        );
        let order: Vec<usize> = ["FAIL", "ERROR", "WARNING", "SUCCESS"]
            .iter()
            .map(|s| html.find(&format!("data-status=\"{s}\"")).unwrap())
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
        assert!(html.contains("<b>1</b> failed"));
        assert!(html.contains("4 tests: 1 passed, 1 failed, 1 warning, 1 error — FAILED"));
        assert!(html.find("id=\"tests\"").unwrap() < html.find("id=\"drift\"").unwrap());
        assert_escaped(&html);
        assert!(html.contains("no &lt;value&gt;"));
    }

    #[test]
    fn single_value_and_tiny_data_draw_sensibly() {
        // One row per dataset, every value equal: one-bin charts, no NaN.
        let one = |v: f64| {
            Table::new(vec![
                floats(EVIL, vec![v]),
                labels("colour\"<i>", &["<b>a</b>"]),
                Column::new("ts", ColumnData::Datetime(vec![Some(0)])),
                floats("y", vec![v]),
                floats("p", vec![v]),
            ])
            .unwrap()
        };
        let (reference, current) = (one(3.0), one(3.0));
        let schema = SchemaOverrides {
            target: Some("y".into()),
            prediction: Some("p".into()),
            ..Default::default()
        };
        let mut r = results(vec![]);
        let drift = DriftSettings::default();
        let run = PreparedRun::new(
            Some(&reference),
            &current,
            RunSettings::new(&schema, &drift),
        )
        .unwrap();
        r.summary = Some(compute_summary(&run));
        let spec = RegressionSpec {
            target: "y".into(),
            prediction: "p".into(),
        };
        r.regression = Some(compute_regression(Some(&reference), &current, &spec).unwrap());
        let html = render_html(&r);
        assert_finite_svg(&html);
        assert!(html.contains("<section id=\"regression\">"));
        assert!(html.contains("1 cells with 1 rows each"));
        assert!(html.contains("value 0: reference 1 (100%), current 1 (100%)"));

        // A classification whose current target has one label: no ROC curve, a 2x2 matrix.
        let t = |y: &[&str], p: Vec<f64>| Table::new(vec![labels("y", y), floats("p", p)]).unwrap();
        let reference = t(&["a", "b", "a"], vec![0.2, 0.9, 0.4]);
        let current = t(&["a", "a"], vec![0.1, 0.7]);
        let spec = ClassificationSpec {
            target: "y".into(),
            prediction: None,
            prediction_proba: vec!["p".into()],
            pos_label: Some("b".into()),
            proba_threshold: 0.5,
        };
        let mut r = results(vec![]);
        r.classification = Some(compute_classification(Some(&reference), &current, &spec).unwrap());
        let html = render_html(&r);
        assert_finite_svg(&html);
        assert!(html.contains("<section id=\"classification\">"));
        assert_eq!(
            html.matches("class=\"ln r\" d=\"M").count(),
            2,
            "reference curve only"
        );
    }

    #[test]
    fn empty_charts_say_so() {
        let mut out = String::new();
        svg::heatmap(&mut out, &[], &[], "nothing");
        svg::unit_curves(&mut out, &[], "nothing", "x", "y");
        svg::binned_scatter(&mut out, &[], &[], "c", "nothing", "x", "y");
        svg::binned_scatter(&mut out, &[1.0, 1.0], &[vec![0]], "c", "nothing", "x", "y");
        assert_eq!(out.matches("no values to draw").count(), 3);
        assert!(out.contains("no curve to draw"));
        assert_finite_svg(&out);
    }

    #[test]
    fn nothing_is_fetched() {
        let html = render_html(&results(vec![numeric("a", 0.2, Some(hist(4)))]));
        assert!(!html.contains("http://") && !html.contains("https://"));
        assert!(!html.contains("src="));
        assert!(html.contains("default-src 'none'"));
    }
}
