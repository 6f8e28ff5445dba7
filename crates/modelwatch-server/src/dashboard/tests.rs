//! Rendering tests: escaping of hostile names, no NaN in the charts, empty projects.

use super::*;
use crate::project::{Project, ProjectConfig};
use crate::store::{SeriesPoint, SnapshotMeta, SnapshotMetric};
use crate::LatestSnapshot;

const HOSTILE: &str = "fraud \"v2\" </script><img src=x onerror=alert(1)>/ü\\模型";

fn project(name: &str) -> Project {
    let csv = format!(
        "a,{},label\n1.0,x,p\n2.0,y,q\n3.0,x,p\n",
        "\"col <b>\"\"q\"\"</b>\""
    );
    Project::new(
        name.to_string(),
        ProjectConfig::default(),
        Some((csv.as_bytes(), modelwatch_io::Format::Csv)),
        crate::project::ReferenceRules::Upload(&crate::config::Limits::default()),
        0,
        0,
    )
    .unwrap()
}

fn metric(metric: &str, column: &str, value: f64) -> SnapshotMetric {
    SnapshotMetric {
        metric: metric.into(),
        column: column.into(),
        value,
    }
}

fn assert_no_raw_markup(html: &str) {
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(!html.contains("<b>"), "{html}");
    for bad in ["NaN", "inf\"", "Infinity"] {
        assert!(!html.contains(bad), "{bad}");
    }
    // Only the page's own script tag.
    assert_eq!(html.matches("<script").count(), 1, "{html}");
}

#[test]
fn projects_page_escapes_names_and_sorts_worst_first() {
    let hostile = project(HOSTILE);
    let calm = project("calm");
    let fresh = project("fresh");
    let now = 1_700_000_000_000_000;
    let meta = |taken_us| SnapshotMeta {
        id: 1,
        taken_us,
        window_from_us: taken_us - 60_000_000,
        window_to_us: taken_us,
        rows: 120,
    };
    let drifting = LatestSnapshot {
        meta: meta(now - 5_000_000),
        metrics: vec![
            metric("drifted_share", "", 0.75),
            metric("dataset_drift", "", 1.0),
            metric("drifted", "col <b>\"q\"</b>", 1.0),
            metric("drifted", "a", 0.0),
            metric("missing_share", "", f64::NAN),
            metric("quality.accuracy", "", 0.5),
        ],
    };
    let ok = LatestSnapshot {
        meta: meta(now - 5_000_000),
        metrics: vec![metric("drifted_share", "", 0.0)],
    };
    let mut rows = vec![
        overview::ProjectRow::new(&fresh, None),
        overview::ProjectRow::new(&calm, Some(&ok)),
        overview::ProjectRow::new(&hostile, Some(&drifting)),
    ];
    overview::sort_worst_first(&mut rows);
    let order: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(order, vec![HOSTILE, "calm", "fresh"]);
    let body = overview::render("/mw", &rows, &[], now);
    let html = page("/mw", "Projects", 5, &body);
    assert_no_raw_markup(&html);
    assert!(html.contains(&esc(HOSTILE)));
    assert!(html.contains(&format!("href=\"/mw/projects/{}\"", pct(HOSTILE))));
    assert!(
        html.contains("<span class=\"drifted-column\">col &lt;b&gt;&quot;q&quot;&lt;/b&gt;</span>")
    );
    assert!(html.contains("75%"));
    assert!(html.contains("accuracy 0.5"));
    assert!(html.contains("no snapshot yet"));
}

#[test]
fn an_empty_project_page_renders_without_charts() {
    let p = project(HOSTILE);
    let view = project_page::ProjectView {
        name: p.name.clone(),
        drift_threshold: 0.5,
        interval_s: 300.0,
        window: "1h".into(),
        has_reference: true,
        ..Default::default()
    };
    let now = 1_700_000_000_000_000;
    let range = project_page::Range::parse(&[], now).unwrap();
    let body = project_page::render("", &view, &range, now);
    let html = page("", &p.name, 60, &body);
    assert_no_raw_markup(&html);
    assert!(html.contains("no snapshot yet"));
    assert!(html.contains("id=\"no-columns\""));
    assert!(html.matches("No snapshots with this metric").count() >= 3);
    assert!(html.contains(&format!(
        "/api/v1/projects/{}/report?format=html\"",
        pct(HOSTILE)
    )));
}

#[test]
fn a_project_page_with_data_has_points_and_escaped_columns() {
    let p = project(HOSTILE);
    let col = "col <b>\"q\"</b>";
    let pts = |vals: &[f64]| -> Vec<SeriesPoint> {
        vals.iter()
            .enumerate()
            .map(|(i, v)| SeriesPoint {
                taken_us: 1_000_000_000 + i as i64 * 5_000_000,
                value: *v,
            })
            .collect()
    };
    let view = project_page::ProjectView {
        name: p.name.clone(),
        drift_threshold: 0.5,
        interval_s: 5.0,
        window: "1m".into(),
        has_reference: true,
        events: 300,
        snapshots: (0..3)
            .map(|i| SnapshotMeta {
                id: i,
                taken_us: 1_000_000_000 + i * 5_000_000,
                window_from_us: 1_000_000_000 + i * 5_000_000 - 60_000_000,
                window_to_us: 1_000_000_000 + i * 5_000_000,
                rows: 100,
            })
            .collect(),
        drifted_share: pts(&[0.0, 0.4, 0.6]),
        missing_share: pts(&[0.0, f64::NAN, 0.1]),
        column_scores: vec![(col.into(), pts(&[0.9, 0.01, 0.0001]))],
        class_shares: vec![("<x>".into(), pts(&[0.3, 0.3, 0.4]))],
        quality: vec![("accuracy".into(), pts(&[1.0, 0.9, 0.7]))],
        latest: None,
        columns: vec![project_page::ColumnRow {
            name: col.into(),
            column_type: "num".into(),
            score: Some(0.0001),
            drifted: Some(true),
            new_labels: vec!["<Nova X2>".into(), "b".into(), "c".into(), "d".into()],
            ..Default::default()
        }],
        alerts: Default::default(),
        images: Vec::new(),
        multivariate: vec![modelwatch_core::drift::MultivariateDrift {
            method: modelwatch_core::drift::MultivariateMethod::DomainClassifier,
            score: Some(0.875),
            lower_threshold: Some(0.45),
            upper_threshold: Some(0.65),
            drifted: Some(true),
            columns: vec![col.into()],
            contributions: vec![
                modelwatch_core::stats::multivariate::domain_classifier::ColumnContribution {
                    column: col.into(),
                    gain_share: 1.0,
                },
            ],
            details: serde_json::Map::new(),
            error: None,
        }],
    };
    let range = project_page::Range {
        choice: "custom".into(),
        from_us: 900_000_000,
        to_us: 1_100_000_000,
    };
    let body = project_page::render("/base", &view, &range, 1_100_000_000);
    let html = page("/base", &p.name, 0, &body);
    assert_no_raw_markup(&html);
    assert!(html.contains("id=\"chart-drifted-share\""));
    assert!(html.contains("class=\"threshold\""));
    assert!(
        html.contains("data-column=\"col &lt;b&gt;&quot;q&quot;&lt;/b&gt;\" data-drifted=\"true\"")
    );
    assert!(
        html.contains(
            "&amp;from=1970-01-01T00%3A15%3A00.000000Z&amp;to=1970-01-01T00%3A18%3A20.000000Z"
        ),
        "{html}"
    );
    // The multivariate results, in the report's table, escaped.
    assert!(html.contains("id=\"multivariate-table\""), "{html}");
    assert!(html.contains("<tr data-multivariate=\"domain_classifier\">"));
    assert!(html.contains("col &lt;b&gt;&quot;q&quot;&lt;/b&gt;"));
    // 3 share + 3 scores + 2 missing + 3 rate + 3 classes + 3 quality points.
    assert_eq!(html.matches("<circle").count(), 17);
    assert!(html.contains(
        "<td class=\"new-labels\"><span class=\"badge warn\">&lt;Nova X2&gt;</span> <span class=\"badge warn\">b</span> <span class=\"badge warn\">c</span> <span class=\"muted\">+1 more</span></td>"
    ));
}

#[test]
fn new_labels_come_from_the_snapshots_data_summary() {
    let results = serde_json::json!({
        "drift": {"columns": [
            {"column": "photo.model", "type": "categorical", "drifted": true, "score": 0.0},
            {"column": "photo.width", "type": "numerical", "drifted": false, "score": 0.4}
        ]},
        "summary": {"columns": [
            {"column": "photo.model", "categories": {"new_labels": ["Nova X2"], "unused_labels": []}},
            {"column": "photo.width"}
        ]}
    });
    let rows = project_page::column_rows(Some(&results), &[]);
    assert_eq!(rows[0].new_labels, vec!["Nova X2".to_string()]);
    assert!(rows[1].new_labels.is_empty());
}

#[test]
fn ranges_parse_and_reject_nonsense() {
    let now = 10_000_000_000;
    let f = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let r = project_page::Range::parse(&f(&[("range", "1d")]), now).unwrap();
    assert_eq!(r.from_us, now - 86_400_000_000);
    let r = project_page::Range::parse(
        &f(&[
            ("range", "custom"),
            ("from", "2024-05-01T08:00"),
            ("to", "2024-05-01T09:00:00Z"),
        ]),
        now,
    )
    .unwrap();
    assert_eq!(r.to_us - r.from_us, 3_600_000_000);
    assert!(project_page::Range::parse(&f(&[("range", "forever")]), now).is_err());
    assert!(project_page::Range::parse(&f(&[("range", "custom"), ("from", "x")]), now).is_err());
}

#[test]
fn base_paths_are_checked() {
    assert!(check_base_path("/modelwatch").is_ok());
    assert!(check_base_path("").is_ok());
    assert!(check_base_path("modelwatch").is_err());
    assert!(check_base_path("/a b").is_err());
    assert!(check_base_path("/../x").is_err());
}

fn active_alert(
    project: &str,
    name: &str,
    severity: &str,
    firing: bool,
) -> crate::alerts::ActiveAlert {
    use crate::alerts::state::{AlertState, AlertStatus};
    let labels = std::collections::BTreeMap::from([
        ("alertname".to_string(), name.to_string()),
        ("project".to_string(), project.to_string()),
        ("severity".to_string(), severity.to_string()),
        ("column".to_string(), "col <b>\"q\"</b>".to_string()),
    ]);
    crate::alerts::ActiveAlert {
        key: format!("{project}/{name}"),
        alertname: name.into(),
        project: project.into(),
        fingerprint: "0123456789abcdef".into(),
        labels,
        annotations: std::collections::BTreeMap::from([(
            "summary".to_string(),
            format!("{project} drifted <img src=x onerror=alert(1)>"),
        )]),
        state: AlertState {
            status: if firing {
                AlertStatus::Firing
            } else {
                AlertStatus::Pending
            },
            active_since_us: 1_699_999_000_000_000,
            fired_us: firing.then_some(1_699_999_000_000_000),
            last_held_us: 1_699_999_900_000_000,
            value: 0.75,
        },
        timing: Default::default(),
        receivers: vec![],
        condition: Some(crate::alerts::AlertCondition {
            metric: "drift_score".into(),
            operator: crate::alerts::rules::Operator::Gt,
            threshold: 0.5,
        }),
    }
}

#[test]
fn projects_page_counts_and_lists_active_alerts_escaped() {
    let now = 1_700_000_000_000_000;
    let silence = crate::store::SilenceRecord {
        id: 7,
        matchers: std::collections::BTreeMap::from([(
            "alertname".to_string(),
            "Quiet".to_string(),
        )]),
        starts_us: now - 1,
        ends_us: now + 3_600_000_000,
        created_by: "x".into(),
        comment: String::new(),
    };
    let silences = [silence];
    let mut active = vec![
        alerts::AlertRow::new(
            &active_alert("calm", "Quiet", "info", false),
            &silences,
            now,
        ),
        alerts::AlertRow::new(
            &active_alert(HOSTILE, "<Drift>", "critical", true),
            &silences,
            now,
        ),
        alerts::AlertRow::new(
            &active_alert("other", "Slow", "warning", true),
            &silences,
            now,
        ),
    ];
    alerts::sort_alerts(&mut active);
    let order: Vec<&str> = active.iter().map(|a| a.alertname.as_str()).collect();
    assert_eq!(order, ["<Drift>", "Slow", "Quiet"]);
    assert!(active[2].silenced_by == [7] && active[0].silenced_by.is_empty());

    // Equal verdicts (no snapshot): the project with a firing alert comes first.
    let rows: Vec<overview::ProjectRow> = ["calm", "other", HOSTILE, "a-quiet-one"]
        .iter()
        .map(|n| overview::ProjectRow::new(&project(n), None).with_alerts(&active))
        .collect();
    let mut rows = rows;
    overview::sort_worst_first(&mut rows);
    let order: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(order, [HOSTILE, "other", "a-quiet-one", "calm"]);
    assert_eq!(rows[0].alerts.firing, 1);
    assert_eq!(rows[0].alerts.worst, "critical");
    assert_eq!((rows[3].alerts.firing, rows[3].alerts.pending), (0, 1));

    let body = overview::render("/mw", &rows, &active, now);
    let html = page("/mw", "Projects", 5, &body);
    assert_no_raw_markup(&html);
    assert!(html.contains("id=\"active-alerts\""));
    assert!(html.contains("2 firing, 1 pending"));
    assert!(html.contains(&format!(
        "data-alert=\"&lt;Drift&gt;\" data-project=\"{}\"",
        esc(HOSTILE)
    )));
    assert!(html.contains(&format!("href=\"/mw/projects/{}#alerts\"", pct(HOSTILE))));
    assert!(html.contains("column=col &lt;b&gt;&quot;q&quot;&lt;/b&gt;"));
    assert!(html.contains("<span class=\"badge bad\" data-firing=\"1\">1 firing</span>"));
    assert!(html.contains("data-pending=\"1\""));
    assert!(html.contains("<span class=\"badge muted\">silenced</span>"));
    // Without alerts there is no list.
    let quiet = overview::render("/mw", &rows, &[], now);
    assert!(!quiet.contains("id=\"active-alerts\""));
}

fn alerts_view(now: i64) -> alerts::ProjectAlerts {
    let active = vec![alerts::AlertRow::new(
        &active_alert(HOSTILE, "<Drift>", "critical", true),
        &[],
        now,
    )];
    let labels = serde_json::json!({"alertname": "<Drift>", "project": HOSTILE, "column": "<c>"});
    alerts::ProjectAlerts {
        active,
        history: vec![crate::store::TransitionRecord {
            id: 3,
            ts_us: now - 60_000_000,
            alertname: "<Drift>".into(),
            project: HOSTILE.into(),
            fingerprint: "f".into(),
            from: "inactive".into(),
            to: "firing".into(),
            value: Some(f64::NAN),
            labels,
            annotations: serde_json::json!({}),
        }],
        silences: vec![crate::store::SilenceRecord {
            id: 9,
            matchers: std::collections::BTreeMap::from([(
                "project".to_string(),
                HOSTILE.to_string(),
            )]),
            starts_us: now - 1,
            ends_us: now + 4 * 3_600_000_000,
            created_by: "<me>".into(),
            comment: "<script>alert(2)</script>".into(),
        }],
        rule_names: vec!["<Drift>".into(), "NoData".into()],
        preselect: Some("<Drift>".into()),
        form: alerts::SilenceForm::Session("abc\"def".into()),
    }
}

#[test]
fn project_page_shows_alerts_history_silences_and_the_form() {
    let now = 1_700_000_000_000_000;
    let p = project(HOSTILE);
    let view = project_page::ProjectView {
        name: p.name.clone(),
        drift_threshold: 0.5,
        interval_s: 60.0,
        window: "1h".into(),
        has_reference: true,
        alerts: alerts_view(now),
        ..Default::default()
    };
    let range = project_page::Range::parse(&[], now).unwrap();
    let html = page(
        "/mw",
        &p.name,
        60,
        &project_page::render("/mw", &view, &range, now),
    );
    assert_no_raw_markup(&html);
    assert!(html.contains("id=\"alerts\""));
    assert!(html.contains("<tr data-alert=\"&lt;Drift&gt;\">"));
    assert!(html.contains("<span class=\"badge bad\">firing</span>"));
    assert!(html.contains("<td class=\"num\">0.75</td>"));
    assert!(html.contains("drifted &lt;img src=x onerror=alert(1)&gt;"));
    assert!(
        html.contains("2023-11-14 21:56:40 <span class=\"muted\">(17m ago)"),
        "since: {html}"
    );
    assert!(html.contains("data-transition=\"3\""));
    assert!(html.contains("column=&lt;c&gt;"));
    assert!(html.contains("data-silence=\"9\""));
    assert!(html.contains("&lt;script&gt;alert(2)&lt;/script&gt;"));
    assert!(html.contains("(in 4h)"));
    let action = format!("action=\"/mw/projects/{}/silences\"", pct(HOSTILE));
    assert!(html.contains(&action), "{html}");
    assert!(html.contains("<option value=\"&lt;Drift&gt;\" selected>"));
    assert!(html.contains("<option value=\"NoData\">"));
    for d in ["1h", "4h", "1d", "custom"] {
        assert!(html.contains(&format!("<option value=\"{d}\">")), "{d}");
    }
    assert!(html.contains("name=\"csrf\" value=\"abc&quot;def\""));
    assert!(html.contains(&format!(
        "href=\"/mw/projects/{}?silence=%3CDrift%3E#silence-form\"",
        pct(HOSTILE)
    )));

    // Without tokens: the form, no csrf; a read-only session: no form, a sign-in link.
    let mut open = view.clone();
    open.alerts.form = alerts::SilenceForm::Open;
    let html = project_page::render("", &open, &range, now);
    assert!(html.contains("id=\"silence-form\"") && !html.contains("name=\"csrf\""));
    let mut ro = view;
    ro.alerts.form = alerts::SilenceForm::ReadOnly;
    let html = project_page::render("", &ro, &range, now);
    assert!(!html.contains("id=\"silence-form\"") && html.contains("id=\"silence-read-only\""));
    assert!(html.contains(&format!(
        "href=\"/login?next=%2Fprojects%2F{}\"",
        pct(&pct(HOSTILE))
    )));
}

#[test]
fn silence_forms_become_silences_of_the_project() {
    let now = 1_000_000;
    let f = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let s = alerts::silence_from_form("p", &f(&[("duration", "4h"), ("alertname", "Drift")]), now)
        .unwrap();
    assert_eq!(s.ends_us - s.starts_us, 4 * 3_600_000_000);
    assert_eq!(s.matchers.len(), 2);
    assert_eq!(s.matchers["project"], "p");
    assert_eq!(s.matchers["alertname"], "Drift");
    assert_eq!(s.created_by, "dashboard");
    let s = alerts::silence_from_form(
        "p",
        &f(&[
            ("duration", "custom"),
            ("custom", "90m"),
            ("alertname", ""),
            ("comment", "deploy"),
        ]),
        now,
    )
    .unwrap();
    assert_eq!(s.ends_us - now, 90 * 60_000_000);
    assert_eq!(s.matchers.len(), 1);
    assert_eq!(s.comment, "deploy");
    assert!(alerts::silence_from_form("p", &f(&[("duration", "custom")]), now).is_err());
    assert!(
        alerts::silence_from_form("p", &f(&[("duration", "custom"), ("custom", "0s")]), now)
            .is_err()
    );
    assert!(alerts::silence_from_form("p", &f(&[("duration", "forever")]), now).is_err());
}
