//! The projects page: every project with its latest verdict, worst first.

use std::fmt::Write;

use super::alerts::{render_overview, AlertCounts, AlertRow};
use super::html::{age, esc, num, pct, percent};
use crate::catalogue::names;
use crate::project::Project;
use crate::LatestSnapshot;

/// One project's row, read from its latest snapshot.
#[derive(Debug, Clone)]
pub struct ProjectRow {
    /// The project's name.
    pub name: String,
    /// Whether a reference dataset is uploaded (without one no snapshot can be taken).
    pub has_reference: bool,
    /// The share of drifted columns, 0..1, at which the dataset counts as drifted.
    pub drift_threshold: f64,
    /// Seconds between scheduled snapshots (0: off).
    pub interval_s: f64,
    /// The verdict of its latest snapshot; `None` before the first one.
    pub latest: Option<Verdict>,
    /// Its pending and firing alerts.
    pub alerts: AlertCounts,
}

/// The numbers of a latest snapshot the table shows.
#[derive(Debug, Clone, Default)]
pub struct Verdict {
    /// When the snapshot was taken, microseconds since the Unix epoch.
    pub taken_us: i64,
    /// How many events its window held.
    pub rows: i64,
    /// The share of drifted columns, 0..1; `None` without the drift preset.
    pub drifted_share: Option<f64>,
    /// Whether the dataset as a whole drifted.
    pub dataset_drift: bool,
    /// The names of the columns that drifted.
    pub drifted_columns: Vec<String>,
    /// The window's share of missing values, 0..1; `None` without the summary preset.
    pub missing_share: Option<f64>,
    /// The first model-quality number known: (name, value).
    pub quality: Option<(String, f64)>,
}

/// Model-quality metrics in the order the table prefers them.
const QUALITY_ORDER: [&str; 6] = ["accuracy", "f1", "roc_auc", "r2", "mae", "rmse"];

impl Verdict {
    /// Reads the verdict from a snapshot's flat metrics.
    pub fn from_latest(latest: &LatestSnapshot) -> Self {
        let mut v = Verdict {
            taken_us: latest.meta.taken_us,
            rows: latest.meta.rows,
            ..Default::default()
        };
        let mut quality: Vec<(String, f64)> = Vec::new();
        for m in &latest.metrics {
            match m.metric.as_str() {
                names::DRIFTED_SHARE => v.drifted_share = Some(m.value),
                names::DATASET_DRIFT => v.dataset_drift = m.value >= 0.5,
                names::MISSING_SHARE => v.missing_share = Some(m.value),
                names::DRIFTED if m.value >= 0.5 => v.drifted_columns.push(m.column.clone()),
                other => {
                    if let Some(q) = other.strip_prefix(names::QUALITY_PREFIX) {
                        quality.push((q.to_string(), m.value));
                    }
                }
            }
        }
        v.quality = QUALITY_ORDER
            .iter()
            .find_map(|want| quality.iter().find(|(q, _)| q == want).cloned())
            .or_else(|| quality.into_iter().next());
        v
    }
}

impl ProjectRow {
    /// The row of `project` with its latest snapshot, without alert counts (see
    /// [`ProjectRow::with_alerts`]).
    pub fn new(project: &Project, latest: Option<&LatestSnapshot>) -> Self {
        Self {
            name: project.name.clone(),
            has_reference: project.reference.is_some(),
            drift_threshold: project.config.drift.drift_share,
            interval_s: project
                .config
                .schedule
                .interval()
                .map_or(0.0, |d| d.as_secs_f64()),
            latest: latest.map(Verdict::from_latest),
            alerts: AlertCounts::default(),
        }
    }

    /// Counts this project's alerts among `active`.
    pub fn with_alerts(mut self, active: &[AlertRow]) -> Self {
        self.alerts = AlertCounts::of(&self.name, active);
        self
    }

    /// Higher is worse: dataset drift, then the drifted share, then missing values;
    /// projects without a snapshot come last.
    fn badness(&self) -> (u8, f64, f64) {
        match &self.latest {
            None => (0, 0.0, 0.0),
            Some(v) => (
                1 + u8::from(v.dataset_drift) * 2 + u8::from(!v.drifted_columns.is_empty()),
                v.drifted_share.unwrap_or(0.0),
                v.missing_share.unwrap_or(0.0),
            ),
        }
    }
}

/// Sorts worst first: by the verdict of the latest snapshot; among equal verdicts,
/// projects with firing alerts first (worst severity, then more of them); then by the
/// drifted and missing shares, then by name.
pub fn sort_worst_first(rows: &mut [ProjectRow]) {
    rows.sort_by(|a, b| {
        let (x, y) = (a.badness(), b.badness());
        y.0.cmp(&x.0)
            .then_with(|| b.alerts.rank().cmp(&a.alerts.rank()))
            .then(y.1.total_cmp(&x.1))
            .then(y.2.total_cmp(&x.2))
            .then_with(|| a.name.cmp(&b.name))
    });
}

/// The status badge of a row.
pub fn badge(row: &ProjectRow, now_us: i64) -> String {
    let Some(v) = &row.latest else {
        let why = if row.has_reference {
            "no snapshot yet"
        } else {
            "no reference"
        };
        return format!("<span class=\"badge muted\">{why}</span>");
    };
    let stale = row.interval_s > 0.0 && (now_us - v.taken_us) as f64 / 1e6 > 3.0 * row.interval_s;
    let main = if v.dataset_drift {
        "<span class=\"badge bad\">drift</span>"
    } else if !v.drifted_columns.is_empty() {
        "<span class=\"badge warn\">columns drifted</span>"
    } else {
        "<span class=\"badge good\">ok</span>"
    };
    if stale {
        format!("{main} <span class=\"badge muted\">stale</span>")
    } else {
        main.to_string()
    }
}

/// The page body.
/// `alerts`: the pending and firing alerts of every project, listed on top when any.
pub fn render(base: &str, rows: &[ProjectRow], alerts: &[AlertRow], now_us: i64) -> String {
    let mut s = String::from("<h1>Projects</h1>");
    s.push_str(&render_overview(base, alerts, now_us));
    if rows.is_empty() {
        s.push_str(
            "<p class=\"muted\">No project yet. Create one with <code>POST /api/v1/projects</code>, \
             in the config file, or try <code>modelwatch demo</code>.</p>",
        );
        return s;
    }
    s.push_str(
        "<table id=\"projects\"><thead><tr><th>Project</th><th>Status</th>\
         <th class=\"num\">Drifted share</th><th>Drifted columns</th>\
         <th class=\"num\">Missing</th><th class=\"num\">Rows in window</th>\
         <th class=\"num\">Model quality</th><th class=\"num\">Snapshot age</th><th>Alerts</th></tr></thead><tbody>",
    );
    for row in rows {
        let href = format!("{base}/projects/{}", pct(&row.name));
        let _ = write!(
            s,
            "<tr data-project=\"{}\"><td class=\"name\"><a href=\"{}\">{}</a></td><td>{}</td>",
            esc(&row.name),
            esc(&href),
            esc(&row.name),
            badge(row, now_us)
        );
        match &row.latest {
            None => s.push_str(
                "<td class=\"num\">–</td><td>–</td><td class=\"num\">–</td>\
                 <td class=\"num\">–</td><td class=\"num\">–</td><td class=\"num\">–</td>",
            ),
            Some(v) => {
                let share_class = match v.drifted_share {
                    Some(x) if x >= row.drift_threshold => "bad",
                    Some(x) if x > 0.0 => "warn",
                    _ => "",
                };
                let cols = if v.drifted_columns.is_empty() {
                    "<span class=\"muted\">none</span>".to_string()
                } else {
                    v.drifted_columns
                        .iter()
                        .map(|c| format!("<span class=\"drifted-column\">{}</span>", esc(c)))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let quality = v.quality.as_ref().map_or_else(
                    || "–".to_string(),
                    |(q, x)| format!("{} {}", esc(q), num(Some(*x))),
                );
                let _ = write!(
                    s,
                    "<td class=\"num {share_class}\">{} <span class=\"muted\">/ {}</span></td>\
                     <td class=\"name\">{cols}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                     <td class=\"num\">{quality}</td><td class=\"num\">{}</td>",
                    percent(v.drifted_share),
                    percent(Some(row.drift_threshold)),
                    percent(v.missing_share),
                    v.rows,
                    age((now_us - v.taken_us) as f64 / 1e6),
                );
            }
        }
        let _ = write!(s, "<td class=\"alerts\">{}</td></tr>", row.alerts.cell());
    }
    s.push_str("</tbody></table>");
    s
}
