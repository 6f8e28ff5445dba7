//! Alerts on the dashboard: counts and a compact list of active alerts for the projects
//! page; active alerts, their recent transitions, silences and a form that creates a
//! silence for the project page. Everything is read from (and the silence written to) the
//! alerts module directly: [`crate::alerts::Alerts::active`], the alert store's
//! `history`, `silences` and `put_silence`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use super::html::{age, esc, num, pct, time};
use crate::alerts::evaluate::{effective_rules, matches};
use crate::alerts::state::AlertStatus;
use crate::alerts::{ActiveAlert, Alerts};
use crate::store::StoreError;
use crate::store::{SilenceRecord, TransitionRecord};

/// Transitions shown on the project page.
pub const HISTORY_LIMIT: usize = 50;
/// Alerts listed at the top of the projects page before "and N more".
const OVERVIEW_LIMIT: usize = 20;
/// The duration choices of the silence form: (value, text).
pub const DURATIONS: [(&str, &str); 3] = [("1h", "1 hour"), ("4h", "4 hours"), ("1d", "1 day")];

/// How bad a severity is (higher is worse): `critical`/`page` 4, `error` 3,
/// `warning`/`ticket` (and unknown names) 2, `info` 1, none 0.
pub fn severity_rank(severity: &str) -> u8 {
    match severity.to_ascii_lowercase().as_str() {
        "" => 0,
        "info" | "none" => 1,
        "critical" | "page" => 4,
        "error" => 3,
        _ => 2,
    }
}

fn severity_class(severity: &str) -> &'static str {
    match severity_rank(severity) {
        3.. => "bad",
        2 => "warn",
        _ => "muted",
    }
}

/// One pending or firing alert as the pages show it.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRow {
    /// The rule's name (the `alertname` label).
    pub alertname: String,
    /// The project the alert is about.
    pub project: String,
    /// Firing (true) or still pending for its `for` duration (false).
    pub firing: bool,
    /// The `severity` label, empty when the rule sets none.
    pub severity: String,
    /// The metric's latest value; `None` when it is not finite.
    pub value: Option<f64>,
    /// When the condition started to hold, microseconds since the Unix epoch.
    pub since_us: i64,
    /// The `summary` annotation, else the `description`, else empty.
    pub summary: String,
    /// Why it fires: the metric's value and the threshold (the `condition` annotation),
    /// empty for an alert stored without one.
    pub condition: String,
    /// The labels other than alertname, project and severity (`column`, `slo`, ...).
    pub labels: BTreeMap<String, String>,
    /// Ids of the silences covering it.
    pub silenced_by: Vec<i64>,
}

impl AlertRow {
    /// The row of alert `a`, with the ids of those `silences` that have started by
    /// `now_us` and match its labels.
    pub fn new(a: &ActiveAlert, silences: &[SilenceRecord], now_us: i64) -> Self {
        let severity = a.labels.get("severity").cloned().unwrap_or_default();
        let labels = a
            .labels
            .iter()
            .filter(|(k, _)| !["alertname", "project", "severity"].contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Self {
            alertname: a.alertname.clone(),
            project: a.project.clone(),
            firing: a.state.status == AlertStatus::Firing,
            severity,
            value: Some(a.state.value).filter(|v| v.is_finite()),
            since_us: a.state.active_since_us,
            summary: a
                .annotations
                .get("summary")
                .or_else(|| a.annotations.get("description"))
                .cloned()
                .unwrap_or_default(),
            condition: a
                .annotations
                .get(crate::alerts::CONDITION_ANNOTATION)
                .cloned()
                .unwrap_or_default(),
            labels,
            silenced_by: silences
                .iter()
                .filter(|s| s.starts_us <= now_us && matches(&s.matchers, &a.labels))
                .map(|s| s.id)
                .collect(),
        }
    }

    /// Firing first, then the worst severity, then the oldest.
    fn order_key(&self) -> (bool, u8, i64) {
        (
            !self.firing,
            u8::MAX - severity_rank(&self.severity),
            self.since_us,
        )
    }
}

/// Sorts alerts firing first, worst severity first, oldest first, then by name.
pub fn sort_alerts(rows: &mut [AlertRow]) {
    rows.sort_by(|a, b| {
        a.order_key()
            .cmp(&b.order_key())
            .then_with(|| a.project.cmp(&b.project))
            .then_with(|| a.alertname.cmp(&b.alertname))
    });
}

/// Every pending or firing alert with the silences covering it, sorted.
pub fn active_rows(alerts: &Alerts, now_us: i64) -> Result<Vec<AlertRow>, StoreError> {
    let silences = alerts.store.silences(now_us)?;
    let mut rows: Vec<AlertRow> = alerts
        .active()
        .iter()
        .filter(|a| matches!(a.state.status, AlertStatus::Firing | AlertStatus::Pending))
        .map(|a| AlertRow::new(a, &silences, now_us))
        .collect();
    sort_alerts(&mut rows);
    Ok(rows)
}

/// A project's alert counts on the projects page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertCounts {
    /// How many of the project's alerts fire.
    pub firing: usize,
    /// How many are pending (their condition holds, their `for` has not passed).
    pub pending: usize,
    /// The worst severity among its firing alerts (or pending ones when none fires).
    pub worst: String,
}

impl AlertCounts {
    /// Counts the rows of `project` among `rows` (every project's active alerts).
    pub fn of(project: &str, rows: &[AlertRow]) -> Self {
        let mine: Vec<&AlertRow> = rows.iter().filter(|r| r.project == project).collect();
        let firing = mine.iter().filter(|r| r.firing).count();
        let worst = mine
            .iter()
            .filter(|r| r.firing || firing == 0)
            .max_by_key(|r| severity_rank(&r.severity))
            .map(|r| r.severity.clone())
            .unwrap_or_default();
        Self {
            firing,
            pending: mine.len() - firing,
            worst,
        }
    }

    /// For sorting: (firing at all, worst firing severity, firing count).
    pub fn rank(&self) -> (bool, u8, usize) {
        if self.firing == 0 {
            (false, 0, 0)
        } else {
            (true, severity_rank(&self.worst), self.firing)
        }
    }

    /// The table cell of the projects page.
    pub fn cell(&self) -> String {
        if self.firing == 0 && self.pending == 0 {
            return "<span class=\"muted\">none</span>".into();
        }
        let mut s = String::new();
        if self.firing > 0 {
            let _ = write!(
                s,
                "<span class=\"badge {}\" data-firing=\"{}\">{} firing</span>",
                severity_class(&self.worst),
                self.firing,
                self.firing
            );
            if !self.worst.is_empty() {
                let _ = write!(s, " <span class=\"muted\">{}</span>", esc(&self.worst));
            }
        }
        if self.pending > 0 {
            if !s.is_empty() {
                s.push(' ');
            }
            let _ = write!(
                s,
                "<span class=\"badge muted\" data-pending=\"{}\">{} pending</span>",
                self.pending, self.pending
            );
            if self.firing == 0 && !self.worst.is_empty() {
                let _ = write!(s, " <span class=\"muted\">{}</span>", esc(&self.worst));
            }
        }
        s
    }
}

fn state_badge(r: &AlertRow) -> String {
    let main = if r.firing {
        format!(
            "<span class=\"badge {}\">firing</span>",
            severity_class(&r.severity)
        )
    } else {
        "<span class=\"badge muted\">pending</span>".to_string()
    };
    if r.silenced_by.is_empty() {
        main
    } else {
        format!("{main} <span class=\"badge muted\">silenced</span>")
    }
}

fn label_text(labels: &BTreeMap<String, String>) -> String {
    labels
        .iter()
        .map(|(k, v)| format!("{}={}", esc(k), esc(v)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The projects page's "Active alerts" list (empty when no alert is pending or firing).
pub fn render_overview(base: &str, rows: &[AlertRow], now_us: i64) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let firing = rows.iter().filter(|r| r.firing).count();
    let mut s = format!(
        "<section class=\"card wide\" id=\"active-alerts\" style=\"margin-bottom:1rem\">\
         <h2>Active alerts</h2><div class=\"muted\">{firing} firing, {} pending</div><ul class=\"alerts\">",
        rows.len() - firing
    );
    for r in rows.iter().take(OVERVIEW_LIMIT) {
        let href = format!("{base}/projects/{}#alerts", pct(&r.project));
        let extra = label_text(&r.labels);
        let _ = write!(
            s,
            "<li data-alert=\"{}\" data-project=\"{}\">{} <a href=\"{}\">{}</a> · <strong>{}</strong>{} \
             <span class=\"muted\">{} · for {}</span>{}{}</li>",
            esc(&r.alertname),
            esc(&r.project),
            state_badge(r),
            esc(&href),
            esc(&r.project),
            esc(&r.alertname),
            if extra.is_empty() {
                String::new()
            } else {
                format!(" <span class=\"muted\">({extra})</span>")
            },
            esc(&r.severity),
            age((now_us - r.since_us) as f64 / 1e6),
            if r.summary.is_empty() {
                String::new()
            } else {
                format!(" — {}", esc(&r.summary))
            },
            if r.condition.is_empty() {
                String::new()
            } else {
                format!(
                    " <span class=\"muted condition\">({})</span>",
                    esc(&r.condition)
                )
            },
        );
    }
    if rows.len() > OVERVIEW_LIMIT {
        let _ = write!(
            s,
            "<li class=\"muted\">and {} more</li>",
            rows.len() - OVERVIEW_LIMIT
        );
    }
    s.push_str("</ul></section>");
    s
}

/// Whether the silence form can be used by the reader of the page.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum SilenceForm {
    /// No tokens configured: the form posts without more ado.
    #[default]
    Open,
    /// A session with write scope: the form carries this anti-forgery value.
    Session(String),
    /// A session without write scope: no form, a hint to sign in with a write token.
    ReadOnly,
}

/// The alerts part of the project page.
#[derive(Debug, Clone, Default)]
pub struct ProjectAlerts {
    /// The project's pending and firing alerts, sorted as [`sort_alerts`] does.
    pub active: Vec<AlertRow>,
    /// Newest first.
    pub history: Vec<TransitionRecord>,
    /// Silences that have not ended and may cover this project's alerts, newest first.
    pub silences: Vec<SilenceRecord>,
    /// Rule names offered in the form.
    pub rule_names: Vec<String>,
    /// The rule preselected in the form (`?silence=`).
    pub preselect: Option<String>,
    /// Whether the reader may use the silence form, and its anti-forgery value.
    pub form: SilenceForm,
}

impl ProjectAlerts {
    /// Reads a project's active alerts, its last [`HISTORY_LIMIT`] transitions and the
    /// silences that may cover it.
    pub fn load(alerts: &Alerts, project: &str, now_us: i64) -> Result<Self, StoreError> {
        let silences = alerts.store.silences(now_us)?;
        let mut active: Vec<AlertRow> = alerts
            .active()
            .iter()
            .filter(|a| a.project == project)
            .filter(|a| matches!(a.state.status, AlertStatus::Firing | AlertStatus::Pending))
            .map(|a| AlertRow::new(a, &silences, now_us))
            .collect();
        sort_alerts(&mut active);
        let history = alerts.store.history(Some(project), None, HISTORY_LIMIT)?;
        let silences = silences
            .into_iter()
            .filter(|s| s.matchers.get("project").is_none_or(|p| p == project))
            .collect();
        let mut names: BTreeSet<String> = effective_rules(&alerts.all_rules(), project)
            .into_iter()
            .map(|r| r.name)
            .collect();
        names.extend(active.iter().map(|a| a.alertname.clone()));
        names.extend(history.iter().map(|t| t.alertname.clone()));
        Ok(Self {
            active,
            history,
            silences,
            rule_names: names.into_iter().collect(),
            preselect: None,
            form: SilenceForm::Open,
        })
    }
}

fn json_labels(v: &serde_json::Value) -> String {
    v.as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, _)| !["alertname", "project", "severity"].contains(&k.as_str()))
                .map(|(k, v)| {
                    let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                    format!("{}={}", esc(k), esc(&v))
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

/// The project page's `Alerts` section.
pub fn render_project(base: &str, project: &str, a: &ProjectAlerts, now_us: i64) -> String {
    let here = format!("{base}/projects/{}", pct(project));
    let mut s = String::from(
        "<section class=\"card wide\" id=\"alerts\" style=\"margin-bottom:1rem\"><h2>Alerts</h2>",
    );
    // Active alerts.
    if a.active.is_empty() {
        s.push_str("<p class=\"muted\" id=\"no-active-alerts\">No alert is pending or firing.</p>");
    } else {
        s.push_str(
            "<table id=\"project-alerts\"><thead><tr><th>Rule</th><th>State</th><th>Severity</th>\
             <th class=\"num\">Value</th><th>Since (UTC)</th><th>Summary</th><th>Why</th><th></th></tr></thead><tbody>",
        );
        for r in &a.active {
            let extra = label_text(&r.labels);
            let silence_href = format!("{here}?silence={}#silence-form", pct(&r.alertname));
            let _ = write!(
                s,
                "<tr data-alert=\"{}\"><td class=\"name\">{}{}</td><td>{}</td><td class=\"{}\">{}</td>\
                 <td class=\"num\">{}</td><td>{} <span class=\"muted\">({} ago)</span></td><td>{}</td>\
                 <td class=\"condition\">{}</td><td><a href=\"{}\">silence</a></td></tr>",
                esc(&r.alertname),
                esc(&r.alertname),
                if extra.is_empty() {
                    String::new()
                } else {
                    format!("<div class=\"muted\">{extra}</div>")
                },
                state_badge(r),
                severity_class(&r.severity),
                esc(&r.severity),
                num(r.value),
                time(r.since_us),
                age((now_us - r.since_us) as f64 / 1e6),
                esc(&r.summary),
                esc(&r.condition),
                esc(&silence_href),
            );
        }
        s.push_str("</tbody></table>");
    }

    // History.
    let _ = write!(
        s,
        "<details id=\"alert-history\"{}><summary>History: the last {} transitions</summary>",
        if a.active.is_empty() { "" } else { " open" },
        a.history.len()
    );
    if a.history.is_empty() {
        s.push_str("<p class=\"muted\">No transition yet.</p>");
    } else {
        s.push_str(
            "<table><thead><tr><th>Time (UTC)</th><th>Rule</th><th>Change</th>\
             <th class=\"num\">Value</th><th>Labels</th></tr></thead><tbody>",
        );
        for t in &a.history {
            let _ = write!(
                s,
                "<tr data-transition=\"{}\"><td>{}</td><td class=\"name\">{}</td><td>{} → <span class=\"{}\">{}</span></td>\
                 <td class=\"num\">{}</td><td class=\"name muted\">{}</td></tr>",
                t.id,
                time(t.ts_us),
                esc(&t.alertname),
                esc(&t.from),
                match t.to.as_str() {
                    "firing" => "bad",
                    "resolved" => "good",
                    _ => "muted",
                },
                esc(&t.to),
                num(t.value),
                json_labels(&t.labels),
            );
        }
        s.push_str("</tbody></table>");
    }
    s.push_str("</details>");

    // Silences.
    s.push_str("<h3>Silences</h3>");
    if a.silences.is_empty() {
        s.push_str("<p class=\"muted\" id=\"no-silences\">No active silence.</p>");
    } else {
        s.push_str(
            "<table id=\"silences\"><thead><tr><th>Matchers</th><th>Starts (UTC)</th><th>Ends (UTC)</th>\
             <th>Created by</th><th>Comment</th></tr></thead><tbody>",
        );
        for x in &a.silences {
            let starts = if x.starts_us > now_us {
                format!(
                    "{} (in {})",
                    time(x.starts_us),
                    age((x.starts_us - now_us) as f64 / 1e6)
                )
            } else {
                time(x.starts_us)
            };
            let _ = write!(
                s,
                "<tr data-silence=\"{}\"><td class=\"name\">{}</td><td>{}</td><td>{} <span class=\"muted\">(in {})</span></td>\
                 <td>{}</td><td>{}</td></tr>",
                x.id,
                label_text(&x.matchers),
                esc(&starts),
                time(x.ends_us),
                age((x.ends_us - now_us) as f64 / 1e6),
                esc(&x.created_by),
                esc(&x.comment),
            );
        }
        s.push_str("</tbody></table>");
    }

    // The form.
    match &a.form {
        SilenceForm::ReadOnly => {
            let _ = write!(
                s,
                "<p class=\"muted\" id=\"silence-read-only\">Creating a silence needs a token with write scope: \
                 <a href=\"{}\">sign in</a> with one.</p>",
                esc(&format!(
                    "{base}{}?next={}",
                    crate::http::auth::LOGIN_PATH,
                    pct(&here)
                ))
            );
        }
        form => {
            let _ = write!(
                s,
                "<form id=\"silence-form\" class=\"silence\" method=\"post\" action=\"{}\">\
                 <strong>New silence</strong> for project <code>{}</code>\
                 <label>rule <select name=\"alertname\"><option value=\"\">any rule</option>",
                esc(&format!("{here}/silences")),
                esc(project)
            );
            for n in &a.rule_names {
                let _ = write!(
                    s,
                    "<option value=\"{}\"{}>{}</option>",
                    esc(n),
                    if a.preselect.as_deref() == Some(n) {
                        " selected"
                    } else {
                        ""
                    },
                    esc(n)
                );
            }
            s.push_str("</select></label><label>for <select name=\"duration\">");
            for (v, text) in DURATIONS {
                let _ = write!(s, "<option value=\"{v}\">{text}</option>");
            }
            s.push_str(
                "<option value=\"custom\">custom:</option></select> \
                 <input name=\"custom\" size=\"6\" placeholder=\"90m\" aria-label=\"custom duration\"></label>\
                 <label>by <input name=\"created_by\" size=\"10\"></label>\
                 <label>comment <input name=\"comment\" size=\"24\"></label>",
            );
            if let SilenceForm::Session(csrf) = form {
                let _ = write!(
                    s,
                    "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
                    esc(csrf)
                );
            }
            s.push_str("<button class=\"button\" type=\"submit\">Silence</button></form>");
        }
    }
    s.push_str("</section>");
    s
}

/// A new silence read from the form: `alertname` (empty: any rule of the project),
/// `duration` (`1h`, `4h`, `1d`, or `custom` with `custom=`), `created_by`, `comment`.
/// Matchers: the project and, when given, the rule.
pub fn silence_from_form(
    project: &str,
    fields: &[(String, String)],
    now_us: i64,
) -> Result<SilenceRecord, String> {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(key, _)| key == k)
            .map_or("", |(_, v)| v.trim())
    };
    let text = match get("duration") {
        "custom" => get("custom"),
        "" => "1h",
        d if DURATIONS.iter().any(|(v, _)| *v == d) => d,
        other => {
            return Err(format!(
                "duration `{other}` is not one of 1h, 4h, 1d or custom"
            ))
        }
    };
    if text.is_empty() {
        return Err("a custom duration needs a value such as 90m or 2d".into());
    }
    let d = crate::project::parse_duration("duration", text).map_err(|e| e.to_string())?;
    if d.is_zero() {
        return Err("the duration must be positive".into());
    }
    let us = i64::try_from(d.as_micros()).unwrap_or(i64::MAX);
    let mut matchers = BTreeMap::from([("project".to_string(), project.to_string())]);
    if !get("alertname").is_empty() {
        matchers.insert("alertname".into(), get("alertname").to_string());
    }
    let created_by = match get("created_by") {
        "" => "dashboard".to_string(),
        c => c.chars().take(200).collect(),
    };
    Ok(SilenceRecord {
        id: 0,
        matchers,
        starts_us: now_us,
        ends_us: now_us.saturating_add(us),
        created_by,
        comment: get("comment").chars().take(1000).collect(),
    })
}
