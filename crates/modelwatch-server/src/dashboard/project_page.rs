//! The project page: charts over the stored snapshots of a time range, the columns with
//! their latest score, and links to the full HTML report.

use std::fmt::Write;

use serde_json::Value;

use super::alerts::{render_project, ProjectAlerts};
use super::chart::{Chart, Line};
use super::html::{age, esc, num, pct, percent, rfc3339 as format_us, time};
use crate::catalogue::names;
use crate::project::Project;
use crate::store::{SeriesPoint, SnapshotMeta, SnapshotMetric, Store, StoreError};

/// Snapshots read for one page at most (a week of 5-minute snapshots is 2016).
const MAX_SNAPSHOTS: usize = 5000;
/// Columns whose drift-score line is shown before the reader picks.
const SHOWN_COLUMNS: usize = 8;

/// The time range of the page.
#[derive(Debug, Clone, PartialEq)]
pub struct Range {
    /// `1h`, `1d`, `7d` or `custom`.
    pub choice: String,
    /// The range's start, microseconds since the Unix epoch (inclusive).
    pub from_us: i64,
    /// The range's end, microseconds since the Unix epoch (exclusive).
    pub to_us: i64,
}

/// The preset ranges: (query value, link text, length in seconds).
pub const RANGES: [(&str, &str, i64); 3] = [
    ("1h", "last hour", 3600),
    ("1d", "last day", 86_400),
    ("7d", "last week", 7 * 86_400),
];

impl Range {
    /// Reads `range=` (default `1h`) and, for `custom`, `from=`/`to=` (RFC 3339; a time
    /// without an offset is UTC).
    pub fn parse(fields: &[(String, String)], now_us: i64) -> Result<Self, String> {
        let get = |k: &str| {
            fields
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        let choice = get("range").unwrap_or("1h");
        if let Some((_, _, secs)) = RANGES.iter().find(|(c, _, _)| *c == choice) {
            return Ok(Self {
                choice: choice.to_string(),
                from_us: now_us - secs * 1_000_000,
                to_us: now_us + 1,
            });
        }
        if choice != "custom" {
            return Err(format!(
                "range= must be 1h, 1d, 7d or custom, not `{choice}`"
            ));
        }
        let instant = |k: &str| -> Result<i64, String> {
            let v = get(k).ok_or_else(|| format!("a custom range needs {k}="))?;
            modelwatch_io::infer::parse_datetime(v.trim().as_bytes())
                .ok_or_else(|| format!("{k}: `{v}` is not a time such as 2024-05-01T08:00:00Z"))
        };
        let (from_us, to_us) = (instant("from")?, instant("to")?);
        if from_us >= to_us {
            return Err("from= must be before to=".into());
        }
        Ok(Self {
            choice: "custom".into(),
            from_us,
            to_us,
        })
    }
}

/// A column of the latest snapshot.
#[derive(Debug, Clone, Default)]
pub struct ColumnRow {
    /// The column's name.
    pub name: String,
    /// Its resolved type (`numerical`, `categorical`, ...); empty when only the flat
    /// metrics are known.
    pub column_type: String,
    /// Its role (`feature`, `target`, `prediction`, ...); empty when unknown.
    pub role: String,
    /// The drift test used (`ks`, `chisquare`, `wasserstein`, ...); empty when unknown.
    pub method: String,
    /// The test's threshold, on the same scale as `score`.
    pub threshold: Option<f64>,
    /// The drift score: a p-value or a distance, as `method` says.
    pub score: Option<f64>,
    /// Whether the column drifted; `None` when it could not be tested.
    pub drifted: Option<bool>,
    /// The column's share of missing values in the window, 0..1.
    pub missing_share: Option<f64>,
    /// Labels of a categorical column seen in the window but not in the reference (a new
    /// camera model, say), from the snapshot's data summary.
    pub new_labels: Vec<String>,
}

/// Everything the page shows, read from the store.
#[derive(Debug, Clone, Default)]
pub struct ProjectView {
    /// The project's name.
    pub name: String,
    /// The share of drifted columns, 0..1, at which the dataset counts as drifted; drawn
    /// as the threshold line of the drifted-share chart.
    pub drift_threshold: f64,
    /// Seconds between scheduled snapshots (0: off).
    pub interval_s: f64,
    /// The snapshot window as configured (`"1h"`).
    pub window: String,
    /// Whether a reference dataset is uploaded.
    pub has_reference: bool,
    /// How many events the store holds for the project.
    pub events: u64,
    /// Snapshots of the range, oldest first.
    pub snapshots: Vec<SnapshotMeta>,
    /// The share of drifted columns of each snapshot of the range.
    pub drifted_share: Vec<SeriesPoint>,
    /// The share of missing values of each snapshot of the range.
    pub missing_share: Vec<SeriesPoint>,
    /// Per scored column of the latest snapshot: its drift scores over the range.
    pub column_scores: Vec<(String, Vec<SeriesPoint>)>,
    /// Per predicted label of the latest snapshot: its share of predictions over the range.
    pub class_shares: Vec<(String, Vec<SeriesPoint>)>,
    /// Per model-quality metric of the latest snapshot (`accuracy`, `rmse`, ...): its
    /// values over the range.
    pub quality: Vec<(String, Vec<SeriesPoint>)>,
    /// The project's latest snapshot, whether or not it falls in the range.
    pub latest: Option<SnapshotMeta>,
    /// The columns of the latest snapshot's drift results.
    pub columns: Vec<ColumnRow>,
    /// Active alerts, history, silences and the silence form (filled in by the handler).
    pub alerts: ProjectAlerts,
    /// Example thumbnails per image column (filled in by the handler).
    pub images: Vec<modelwatch_report::html::images::ImageGallery>,
    /// The multivariate drift results of the latest snapshot (empty without
    /// `multivariate.methods`).
    pub multivariate: Vec<modelwatch_core::drift::MultivariateDrift>,
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The columns of a snapshot's drift results (from its results JSON) with the flat
/// metrics' missing shares.
pub(crate) fn column_rows(results: Option<&Value>, metrics: &[SnapshotMetric]) -> Vec<ColumnRow> {
    let metric = |name: &str, column: &str| {
        metrics
            .iter()
            .find(|m| m.metric == name && m.column == column)
            .map(|m| m.value)
    };
    let mut rows: Vec<ColumnRow> = results
        .and_then(|r| r.pointer("/drift/columns"))
        .and_then(Value::as_array)
        .map(|cols| {
            cols.iter()
                .map(|c| ColumnRow {
                    name: text_of(&c["column"]),
                    column_type: text_of(&c["type"]),
                    role: text_of(&c["role"]),
                    method: text_of(&c["method"]),
                    threshold: c["threshold"].as_f64(),
                    score: c["score"].as_f64(),
                    drifted: c["drifted"].as_bool(),
                    missing_share: None,
                    new_labels: Vec::new(),
                })
                .collect()
        })
        .unwrap_or_default();
    if rows.is_empty() {
        // No results JSON: the flat metrics still name the scored columns.
        for m in metrics.iter().filter(|m| m.metric == names::DRIFT_SCORE) {
            rows.push(ColumnRow {
                name: m.column.clone(),
                score: Some(m.value),
                drifted: metric(names::DRIFTED, &m.column).map(|d| d >= 0.5),
                ..Default::default()
            });
        }
    }
    let summary = results
        .and_then(|r| r.pointer("/summary/columns"))
        .and_then(Value::as_array);
    for r in &mut rows {
        r.missing_share = metric(names::COLUMN_MISSING_SHARE, &r.name);
        let categories = summary
            .and_then(|cols| cols.iter().find(|c| c["column"] == r.name.as_str()))
            .and_then(|c| c.pointer("/categories/new_labels"))
            .and_then(Value::as_array);
        r.new_labels = categories
            .map(|labels| labels.iter().map(text_of).collect())
            .unwrap_or_default();
    }
    rows
}

/// Up to three new labels, escaped, and how many more there are.
fn new_labels_cell(labels: &[String]) -> String {
    let mut shown: Vec<String> = labels
        .iter()
        .take(3)
        .map(|l| format!("<span class=\"badge warn\">{}</span>", esc(l)))
        .collect();
    if labels.len() > 3 {
        shown.push(format!(
            "<span class=\"muted\">+{} more</span>",
            labels.len() - 3
        ));
    }
    shown.join(" ")
}

impl ProjectView {
    /// Reads the page's data: snapshots and series of `range`, and the latest snapshot.
    /// Composes the store's `list_snapshots`, `series`, `latest_snapshot`,
    /// `snapshot_results` and `count_events`.
    pub fn load(store: &dyn Store, project: &Project, range: &Range) -> Result<Self, StoreError> {
        let name = project.name.as_str();
        let (from, to) = (range.from_us, range.to_us);
        let mut snapshots = store.list_snapshots(name, from, to, MAX_SNAPSHOTS)?;
        snapshots.reverse();
        let latest = store.latest_snapshot(name)?;
        let results: Option<Value> = match &latest {
            Some((meta, _)) => store
                .snapshot_results(name, meta.id)?
                .and_then(|j| serde_json::from_str(&j).ok()),
            None => None,
        };
        let metrics = latest.as_ref().map_or(&[][..], |(_, m)| m.as_slice());
        let columns = column_rows(results.as_ref(), metrics);
        // A stored result that no longer reads (written by another version) shows nothing.
        let multivariate = results
            .as_ref()
            .and_then(|r| r.pointer("/drift/multivariate"))
            .and_then(|m| serde_json::from_value(m.clone()).ok())
            .unwrap_or_default();
        // Every series of the range in one query, then picked by (metric, column).
        let mut all = store.all_series(name, from, to)?;
        let mut series = |metric: &str, column: &str| {
            all.remove(&(metric.to_string(), column.to_string()))
                .unwrap_or_default()
        };
        let column_scores: Vec<_> = columns
            .iter()
            .filter(|c| c.score.is_some())
            .map(|c| (c.name.clone(), series(names::DRIFT_SCORE, &c.name)))
            .collect();
        let class_shares: Vec<_> = metrics
            .iter()
            .filter(|m| m.metric == names::CLASS_SHARE)
            .map(|m| (m.column.clone(), series(names::CLASS_SHARE, &m.column)))
            .collect();
        let quality: Vec<_> = metrics
            .iter()
            .filter_map(|m| {
                let q = m.metric.strip_prefix(names::QUALITY_PREFIX)?;
                Some((q.to_string(), series(&m.metric, "")))
            })
            .collect();
        let drifted_share = series(names::DRIFTED_SHARE, "");
        let missing_share = series(names::MISSING_SHARE, "");
        Ok(Self {
            name: name.to_string(),
            drift_threshold: project.config.drift.drift_share,
            interval_s: project
                .config
                .schedule
                .interval()
                .map_or(0.0, |d| d.as_secs_f64()),
            window: project.config.schedule.window.clone(),
            has_reference: project.reference.is_some(),
            events: store.count_events(name)?,
            drifted_share,
            missing_share,
            snapshots,
            column_scores,
            class_shares,
            quality,
            latest: latest.map(|(m, _)| m),
            columns,
            alerts: ProjectAlerts::default(),
            images: Vec::new(),
            multivariate,
        })
    }
}

fn points(s: &[SeriesPoint]) -> Vec<(i64, f64)> {
    s.iter().map(|p| (p.taken_us, p.value)).collect()
}

/// Quality metrics that are shares (drawn on a 0–1 axis); the rest get their own chart.
const SHARE_QUALITY: [&str; 10] = [
    "accuracy",
    "precision",
    "recall",
    "f1",
    "roc_auc",
    "tpr",
    "tnr",
    "fpr",
    "fnr",
    "r2",
];

fn card(s: &mut String, class: &str, title: &str, note: &str, chart: &Chart, picker: bool) {
    let _ = write!(
        s,
        "<section class=\"card {class}\"><h2>{}</h2>{}{}{}</section>",
        esc(title),
        if note.is_empty() {
            String::new()
        } else {
            format!("<div class=\"muted\">{}</div>", esc(note))
        },
        chart.render(),
        chart.legend(picker)
    );
}

/// The page body.
pub fn render(base: &str, view: &ProjectView, range: &Range, now_us: i64) -> String {
    let p = pct(&view.name);
    let here = format!("{base}/projects/{p}");
    let report = format!("{base}/api/v1/projects/{p}/report?format=html");
    let range_report = format!(
        "{report}&from={}&to={}",
        pct(&format_us(range.from_us)),
        pct(&format_us(range.to_us))
    );
    let mut s = String::new();
    let _ = write!(
        s,
        "<nav class=\"muted\"><a href=\"{}\">Projects</a> /</nav><h1 id=\"project-name\">{}</h1>",
        esc(&super::home(base)),
        esc(&view.name)
    );
    let latest = match &view.latest {
        Some(m) => format!(
            "latest snapshot {} UTC ({} ago, {} rows over {} to {})",
            time(m.taken_us),
            age((now_us - m.taken_us) as f64 / 1e6),
            m.rows,
            time(m.window_from_us),
            time(m.window_to_us)
        ),
        None if !view.has_reference => {
            "no reference data yet: upload it with PUT /api/v1/projects/{project}/reference"
                .to_string()
        }
        None => "no snapshot yet: snapshots start once the window holds enough events".into(),
    };
    let _ = write!(
        s,
        "<p class=\"meta\">{} · {} events stored · snapshot every {} over the last {}</p>",
        esc(&latest),
        view.events,
        esc(&age(view.interval_s)),
        esc(&view.window)
    );
    // Range picker and report links.
    s.push_str("<div class=\"toolbar\" id=\"range-picker\">Range:");
    for (value, text, _) in RANGES {
        let _ = write!(
            s,
            " <a href=\"{}?range={value}\"{}>{text}</a>",
            esc(&here),
            if range.choice == value {
                " class=\"on\""
            } else {
                ""
            }
        );
    }
    let (f, t) = (
        format_us(range.from_us)
            .get(..16)
            .unwrap_or_default()
            .to_string(),
        format_us(range.to_us)
            .get(..16)
            .unwrap_or_default()
            .to_string(),
    );
    let _ = write!(
        s,
        "<form id=\"custom-range\" method=\"get\" action=\"{}\"><input type=\"hidden\" name=\"range\" value=\"custom\">\
         custom (UTC) <input type=\"datetime-local\" name=\"from\" value=\"{}\"> to \
         <input type=\"datetime-local\" name=\"to\" value=\"{}\"> <button class=\"button\" type=\"submit\">show</button></form>\
         <span style=\"margin-left:auto\"></span>\
         <a class=\"button\" id=\"latest-report\" href=\"{}\">latest full report</a>\
         <a class=\"button\" id=\"range-report\" href=\"{}\">report for this range</a></div>",
        esc(&here),
        esc(&f),
        esc(&t),
        esc(&report),
        esc(&range_report),
    );

    s.push_str(&render_project(base, &view.name, &view.alerts, now_us));

    // The time axis spans the range's snapshots (up to now), not empty hours before them.
    let from = view
        .snapshots
        .first()
        .map_or(range.from_us, |m| m.taken_us.max(range.from_us));
    let to = range.to_us.min(now_us.max(from + 1));
    let mut charts = String::from("<div class=\"cards\">");
    let share = Chart {
        id: "chart-drifted-share".into(),
        lines: vec![Line {
            label: "share of drifted columns".into(),
            key: "share".into(),
            points: points(&view.drifted_share),
            hidden: false,
        }],
        from_us: from,
        to_us: to,
        y_range: Some((0.0, 1.0)),
        threshold: Some((
            view.drift_threshold,
            format!("dataset drift at {}", percent(Some(view.drift_threshold))),
        )),
        percent: true,
    };
    card(
        &mut charts,
        "",
        "Share of drifted columns",
        "",
        &share,
        false,
    );
    let shown: Vec<bool> = {
        let n = view.column_scores.len();
        let drifted: Vec<bool> = view
            .column_scores
            .iter()
            .map(|(c, _)| {
                view.columns
                    .iter()
                    .any(|r| &r.name == c && r.drifted == Some(true))
            })
            .collect();
        if n <= SHOWN_COLUMNS {
            vec![true; n]
        } else {
            let mut budget = SHOWN_COLUMNS.saturating_sub(drifted.iter().filter(|d| **d).count());
            drifted
                .iter()
                .map(|d| {
                    *d || (budget > 0 && {
                        budget -= 1;
                        true
                    })
                })
                .collect()
        }
    };
    let scores = Chart {
        id: "chart-drift-scores".into(),
        lines: view
            .column_scores
            .iter()
            .zip(&shown)
            .enumerate()
            .map(|(i, ((c, pts), shown))| Line {
                label: c.clone(),
                key: format!("c{i}"),
                points: points(pts),
                hidden: !shown,
            })
            .collect(),
        from_us: from,
        to_us: to,
        y_range: None,
        threshold: None,
        percent: false,
    };
    card(
        &mut charts,
        "",
        "Drift score per column",
        "p-value (drift below the threshold) or distance (drift above it), by the column's method",
        &scores,
        true,
    );
    let missing = Chart {
        id: "chart-missing".into(),
        lines: vec![Line {
            label: "missing values".into(),
            key: "missing".into(),
            points: points(&view.missing_share),
            hidden: false,
        }],
        from_us: from,
        to_us: to,
        y_range: Some((0.0, 1.0)),
        threshold: None,
        percent: true,
    };
    card(&mut charts, "", "Missing values", "", &missing, false);
    let rate = Chart {
        id: "chart-rate".into(),
        lines: vec![Line {
            label: "events per minute".into(),
            key: "rate".into(),
            points: view
                .snapshots
                .iter()
                .filter(|m| m.window_to_us > m.window_from_us)
                .map(|m| {
                    let minutes = (m.window_to_us - m.window_from_us) as f64 / 60e6;
                    (m.taken_us, m.rows as f64 / minutes)
                })
                .collect(),
            hidden: false,
        }],
        from_us: from,
        to_us: to,
        y_range: None,
        threshold: None,
        percent: false,
    };
    card(
        &mut charts,
        "",
        "Ingestion rate",
        "events per minute in each snapshot's window",
        &rate,
        false,
    );
    if !view.class_shares.is_empty() {
        let classes = Chart {
            id: "chart-classes".into(),
            lines: view
                .class_shares
                .iter()
                .enumerate()
                .map(|(i, (c, pts))| Line {
                    label: c.clone(),
                    key: format!("k{i}"),
                    points: points(pts),
                    hidden: false,
                })
                .collect(),
            from_us: from,
            to_us: to,
            y_range: Some((0.0, 1.0)),
            threshold: None,
            percent: true,
        };
        card(
            &mut charts,
            "",
            "Predicted class shares",
            "",
            &classes,
            false,
        );
    }
    let (shares, others): (Vec<_>, Vec<_>) = view
        .quality
        .iter()
        .partition(|(q, _)| SHARE_QUALITY.contains(&q.as_str()));
    for (id, title, list, fixed) in [
        ("chart-quality", "Model quality", shares, true),
        ("chart-errors", "Model errors", others, false),
    ] {
        if list.is_empty() {
            continue;
        }
        let chart = Chart {
            id: id.into(),
            lines: list
                .iter()
                .enumerate()
                .map(|(i, (q, pts))| Line {
                    label: q.clone(),
                    key: format!("q{i}"),
                    points: points(pts),
                    hidden: false,
                })
                .collect(),
            from_us: from,
            to_us: to,
            y_range: fixed.then_some((0.0, 1.0)),
            threshold: None,
            percent: false,
        };
        card(
            &mut charts,
            "",
            title,
            "from events whose labels have arrived",
            &chart,
            false,
        );
    }
    charts.push_str("</div>");
    s.push_str(&charts);
    s.push_str(&super::images::render_images(&view.images));

    // The columns of the latest snapshot.
    s.push_str("<section class=\"card wide\" style=\"margin-top:1rem\"><h2>Columns in the latest snapshot</h2>");
    if view.columns.is_empty() {
        s.push_str("<p class=\"muted\" id=\"no-columns\">No snapshot with drift results yet.</p>");
    } else {
        s.push_str(
            "<table id=\"columns\"><thead><tr><th>Column</th><th>Type</th><th>Role</th>\
             <th>Method</th><th class=\"num\">Threshold</th><th class=\"num\">Score</th>\
             <th>Drift</th><th class=\"num\">Missing</th><th>New labels</th></tr></thead><tbody>",
        );
        let mut rows: Vec<&ColumnRow> = view.columns.iter().collect();
        rows.sort_by_key(|r| std::cmp::Reverse(r.drifted == Some(true)));
        for r in rows {
            let drift = match r.drifted {
                Some(true) => "<span class=\"badge bad\">drifted</span>",
                Some(false) => "<span class=\"badge good\">ok</span>",
                None => "<span class=\"muted\">not tested</span>",
            };
            let _ = write!(
                s,
                "<tr data-column=\"{name}\" data-drifted=\"{}\"><td class=\"name\">{name}</td><td>{}</td><td>{}</td><td>{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td><td>{drift}</td><td class=\"num\">{}</td>\
                 <td class=\"new-labels\">{}</td></tr>",
                r.drifted == Some(true),
                esc(&r.column_type),
                esc(&r.role),
                esc(&r.method),
                num(r.threshold),
                num(r.score),
                percent(r.missing_share),
                new_labels_cell(&r.new_labels),
                name = esc(&r.name),
            );
        }
        s.push_str("</tbody></table>");
    }
    s.push_str("</section>");
    if !view.multivariate.is_empty() {
        // The report's own table, so both pages show a method's result alike.
        s.push_str("<section class=\"card wide\" id=\"multivariate\" style=\"margin-top:1rem\">");
        modelwatch_report::html::multivariate_section(&mut s, &view.multivariate);
        s.push_str("</section>");
    }
    s
}
