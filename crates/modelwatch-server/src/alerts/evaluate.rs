//! One evaluation round: every effective rule (and SLO burn-rate tier) of every project is
//! turned into candidate alerts with a value, each alert's state machine takes a step,
//! transitions are stored, and firing and resolved alerts are handed to the dispatcher.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use super::notify::{body_for, deliver, Notice};
use super::rules::{default_rules, format_value, render, MetricRef, Operator, Rule};
use super::slo::{budget_remaining, burn_rate, prom_duration, SloStatus, BURN_WINDOWS, TIERS};
use super::state::{step, AlertStatus, Timing};
use super::{lock, ActiveAlert, AlertCondition, Alerts, CONDITION_ANNOTATION};
use crate::catalogue::names;
use crate::project::Project;
use crate::store::{TransitionRecord, WindowQuery};
use crate::AppState;

const MINUTE_US: i64 = 60_000_000;

/// Where a rule comes from; a later source wins over an earlier one with the same name and
/// project scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleSource {
    /// One of [`default_rules`], unless `[alerts] default_rules = false`.
    Default,
    /// Declared in the configuration file (`[[alerts.rules]]`).
    Config,
    /// Created through `/api/v1/alerts/rules` and kept in the store.
    Api,
}

impl Alerts {
    /// Every rule with its source: defaults, the config file's, the API's.
    pub fn all_rules(&self) -> Vec<(RuleSource, Rule)> {
        let mut out = Vec::new();
        if self.config.default_rules {
            out.extend(
                default_rules()
                    .into_iter()
                    .map(|r| (RuleSource::Default, r)),
            );
        }
        out.extend(
            self.config
                .rules
                .iter()
                .cloned()
                .map(|r| (RuleSource::Config, r)),
        );
        out.extend(self.api_rules().into_iter().map(|r| (RuleSource::Api, r)));
        out
    }
}

/// The rules that apply to `project`: per name, a rule for the project beats an
/// all-projects one, and the API beats the config file, which beats the defaults.
/// Disabled rules are left out.
pub fn effective_rules(all: &[(RuleSource, Rule)], project: &str) -> Vec<Rule> {
    let mut best: BTreeMap<&str, (bool, RuleSource, &Rule)> = BTreeMap::new();
    for (source, rule) in all {
        match rule.project.as_deref() {
            Some(p) if p != project => continue,
            _ => {}
        }
        let rank = (rule.project.is_some(), *source);
        match best.get(rule.name.as_str()) {
            Some((specific, s, _)) if (*specific, *s) > rank => {}
            _ => {
                best.insert(&rule.name, (rank.0, rank.1, rule));
            }
        }
    }
    best.into_values()
        .filter(|(_, _, r)| r.enabled)
        .map(|(_, _, r)| r.clone())
        .collect()
}

/// A stable fingerprint of a label set (FNV-1a, 64 bits, hex).
pub fn fingerprint(labels: &BTreeMap<String, String>) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (k, v) in labels {
        for b in k.bytes().chain([0xff]).chain(v.bytes()).chain([0xfe]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// One alert as found by this round.
struct Candidate {
    key: String,
    alertname: String,
    project: String,
    labels: BTreeMap<String, String>,
    templates: BTreeMap<String, String>,
    vars: Vec<(String, String)>,
    value: Option<f64>,
    holds: bool,
    timing: Timing,
    receivers: Vec<String>,
    condition: Option<AlertCondition>,
}

fn timing_of(rule: &Rule) -> Timing {
    Timing {
        for_us: rule.for_duration().as_micros() as i64,
        keep_firing_for_us: rule.keep_firing_for().as_micros() as i64,
    }
}

fn minutes_since(now: i64, window: Duration) -> i64 {
    (now - window.as_micros() as i64).div_euclid(MINUTE_US)
}

/// The values of a rule's metric for a project, one per column for per-column metrics.
fn metric_values(
    state: &AppState,
    project: &Project,
    rule: &Rule,
    metric: &MetricRef,
    now: i64,
) -> Vec<(Option<String>, f64)> {
    let alerts = &state.alerts;
    let latest_value = |name: &str| -> Option<f64> {
        state
            .latest()
            .get(&project.name)
            .and_then(|l| {
                l.metrics
                    .iter()
                    .find(|m| m.metric == name && m.column.is_empty())
            })
            .map(|m| m.value)
    };
    match metric {
        MetricRef::Snapshot { name, per_column } => {
            let latest = state.latest();
            let Some(l) = latest.get(&project.name) else {
                return Vec::new();
            };
            l.metrics
                .iter()
                .filter(|m| &m.metric == name)
                .filter(|m| rule.column.as_ref().is_none_or(|c| &m.column == c))
                .map(|m| ((*per_column).then(|| m.column.clone()), m.value))
                .collect()
        }
        MetricRef::MissingShareExcess => {
            let Some(current) = latest_value(names::MISSING_SHARE) else {
                return Vec::new();
            };
            latest_value(names::REFERENCE_MISSING_SHARE)
                .map(|r| vec![(None, current - r)])
                .unwrap_or_default()
        }
        MetricRef::NoDataIntervals => {
            let Ok(interval) = project.config.schedule.interval() else {
                return Vec::new();
            };
            if interval.is_zero() {
                return Vec::new();
            }
            let last = last_event(state, project);
            vec![(
                None,
                (now - last).max(0) as f64 / interval.as_micros() as f64,
            )]
        }
        MetricRef::IngestRejectedRate => {
            let h = lock(&alerts.ingest_history);
            let Some(samples) = h.get(&project.name) else {
                return Vec::new();
            };
            let from = now - rule.window().as_micros() as i64;
            let (Some(first), Some(last)) = (samples.iter().find(|s| s.0 >= from), samples.back())
            else {
                return Vec::new();
            };
            let accepted = last.1 - first.1;
            let rejected = last.2 - first.2;
            if accepted + rejected == 0 {
                return Vec::new();
            }
            vec![(None, rejected as f64 / (accepted + rejected) as f64)]
        }
        MetricRef::ModelErrorRate | MetricRef::ModelLatencyQuantile(_) => {
            let counts = match alerts
                .store
                .serving_since(&project.name, minutes_since(now, rule.window()))
            {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "alerts: cannot read serving counts");
                    return Vec::new();
                }
            };
            let value = match metric {
                MetricRef::ModelErrorRate => {
                    (counts.requests > 0).then(|| counts.errors as f64 / counts.requests as f64)
                }
                MetricRef::ModelLatencyQuantile(q) => counts.latency_quantile(*q),
                _ => None,
            };
            value.map(|v| vec![(None, v)]).unwrap_or_default()
        }
    }
}

/// The newest event time: ingested since the start, else the newest stored event (or the
/// project's creation); on a store shared by replicas, the newest of both.
fn last_event(state: &AppState, project: &Project) -> i64 {
    let seen = lock(&state.alerts.last_event).get(&project.name).copied();
    // Other replicas sharing the store ingest too: their events count, so the store is
    // asked every time.
    if let (Some(t), false) = (seen, state.store.shared()) {
        return t;
    }
    let stored = state
        .store
        .events(&project.name, WindowQuery::Last(1))
        .ok()
        .and_then(|e| e.last().map(|e| e.ts_us))
        .unwrap_or(i64::MIN);
    let t = stored.max(project.created_us).max(seen.unwrap_or(i64::MIN));
    lock(&state.alerts.last_event).insert(project.name.clone(), t);
    t
}

fn sample_ingestion(state: &AppState, projects: &[std::sync::Arc<Project>], now: i64) {
    let mut h = lock(&state.alerts.ingest_history);
    h.retain(|name, _| projects.iter().any(|p| &p.name == name));
    for p in projects {
        let (accepted, rejected) = state.recorder.ingest_counts(&p.name);
        let samples = h.entry(p.name.clone()).or_default();
        // One sample per 10 s at most, a day of them.
        if samples.back().is_none_or(|s| now - s.0 >= 10_000_000) {
            samples.push_back((now, accepted, rejected));
        } else if let Some(last) = samples.back_mut() {
            last.1 = accepted;
            last.2 = rejected;
        }
        while samples.front().is_some_and(|s| now - s.0 > 86_400_000_000) {
            samples.pop_front();
        }
    }
}

fn rule_candidates(
    state: &AppState,
    projects: &[std::sync::Arc<Project>],
    now: i64,
) -> Vec<Candidate> {
    let all = state.alerts.all_rules();
    let receivers: Vec<String> = state
        .alerts
        .config
        .receivers()
        .into_iter()
        .map(|r| r.name)
        .collect();
    let mut out = Vec::new();
    for project in projects {
        for rule in effective_rules(&all, &project.name) {
            let Ok(metric) = rule.metric_ref() else {
                continue;
            };
            for (column, value) in metric_values(state, project, &rule, &metric, now) {
                let mut labels = rule.labels.clone();
                labels.insert("alertname".into(), rule.name.clone());
                labels.insert("project".into(), project.name.clone());
                labels.insert("severity".into(), rule.severity.clone());
                if let Some(c) = &column {
                    labels.insert("column".into(), c.clone());
                }
                out.push(Candidate {
                    key: format!(
                        "rule\x1f{}\x1f{}\x1f{}",
                        rule.name,
                        project.name,
                        column.as_deref().unwrap_or("")
                    ),
                    alertname: rule.name.clone(),
                    project: project.name.clone(),
                    labels,
                    templates: rule.annotations.clone(),
                    vars: vec![
                        ("column".into(), column.clone().unwrap_or_default()),
                        ("threshold".into(), format_value(rule.threshold)),
                        ("rule".into(), rule.name.clone()),
                    ],
                    value: Some(value),
                    holds: rule.operator.holds(value, rule.threshold),
                    timing: timing_of(&rule),
                    receivers: if rule.receivers.is_empty() {
                        receivers.clone()
                    } else {
                        rule.receivers.clone()
                    },
                    condition: Some(AlertCondition {
                        metric: rule.metric.clone(),
                        operator: rule.operator,
                        threshold: rule.threshold,
                    }),
                });
            }
        }
    }
    out
}

/// Computes every SLO's status and its burn-rate candidates.
fn slo_candidates(
    state: &AppState,
    projects: &[std::sync::Arc<Project>],
    now: i64,
) -> Vec<Candidate> {
    let alerts = &state.alerts;
    let all_receivers: Vec<String> = alerts
        .config
        .receivers()
        .into_iter()
        .map(|r| r.name)
        .collect();
    let mut statuses = Vec::new();
    let mut out = Vec::new();
    for slo in &alerts.config.slos {
        if !projects.iter().any(|p| p.name == slo.project) {
            continue;
        }
        let counts = |w: Duration| {
            alerts
                .store
                .serving_since(&slo.project, minutes_since(now, w))
                .map(|c| c.bad_total(slo))
                .unwrap_or((0, 0))
        };
        let (bad, total) = counts(slo.window());
        let burn = |w: Duration| {
            let (b, t) = counts(w);
            burn_rate(b, t, slo.objective)
        };
        let rates: BTreeMap<String, Option<f64>> = BURN_WINDOWS
            .iter()
            .map(|w| (prom_duration(*w), burn(*w)))
            .collect();
        let remaining = budget_remaining(bad, total, slo.objective);
        statuses.push(SloStatus {
            project: slo.project.clone(),
            slo: slo.name.clone(),
            kind: slo.kind,
            objective: slo.objective,
            window: slo.window.clone(),
            sli: (total > 0).then(|| 1.0 - bad as f64 / total as f64),
            error_budget_remaining: remaining,
            burn_rates: rates.clone(),
        });
        for tier in TIERS {
            let factor = tier.factor(slo.window());
            let long = rates.get(&prom_duration(tier.long)).copied().flatten();
            let short = rates.get(&prom_duration(tier.short)).copied().flatten();
            let holds = long.is_some_and(|l| l > factor) && short.is_some_and(|s| s > factor);
            let mut labels = slo.labels.clone();
            labels.insert("alertname".into(), "ErrorBudgetBurn".into());
            labels.insert("project".into(), slo.project.clone());
            labels.insert("slo".into(), slo.name.clone());
            labels.insert("long_window".into(), prom_duration(tier.long));
            labels.insert("short_window".into(), prom_duration(tier.short));
            labels.insert("severity".into(), tier.severity.into());
            let templates = BTreeMap::from([
                (
                    "summary".to_string(),
                    "{{project}}: SLO {{slo}} burns its error budget {{value}}x as fast as allowed"
                        .to_string(),
                ),
                (
                    "description".to_string(),
                    "Burn rate {{value}}x over {{long_window}} and {{short_value}}x over \
                     {{short_window}} (alerting above {{threshold}}x); {{budget}} of the \
                     {{slo_window}} error budget left."
                        .to_string(),
                ),
            ]);
            out.push(Candidate {
                key: format!(
                    "slo\x1f{}\x1f{}\x1f{}",
                    slo.project,
                    slo.name,
                    prom_duration(tier.long)
                ),
                alertname: "ErrorBudgetBurn".into(),
                project: slo.project.clone(),
                labels,
                templates,
                vars: vec![
                    ("slo".into(), slo.name.clone()),
                    ("long_window".into(), prom_duration(tier.long)),
                    ("short_window".into(), prom_duration(tier.short)),
                    ("short_value".into(), short.map_or("-".into(), format_value)),
                    ("threshold".into(), format_value(factor)),
                    ("budget".into(), format!("{:.1} %", remaining * 100.0)),
                    ("slo_window".into(), slo.window.clone()),
                ],
                value: long,
                holds,
                timing: Timing::default(),
                receivers: if slo.receivers.is_empty() {
                    all_receivers.clone()
                } else {
                    slo.receivers.clone()
                },
                // The short window must exceed the factor too; the description says so.
                condition: Some(AlertCondition {
                    metric: "burn_rate".into(),
                    operator: Operator::Gt,
                    threshold: factor,
                }),
            });
        }
    }
    *alerts.slo_status.write().unwrap_or_else(|p| p.into_inner()) = statuses;
    out
}

/// The annotations of an alert: its templates rendered with `value` and `vars`, and the
/// reason it fires ([`CONDITION_ANNOTATION`]) from `condition`, so that every alert says
/// its value and threshold whatever its rule's own text says.
fn render_all(
    templates: &BTreeMap<String, String>,
    project: &str,
    value: f64,
    vars: &[(String, String)],
    condition: Option<&AlertCondition>,
) -> BTreeMap<String, String> {
    let shown = format_value(value);
    let mut all: Vec<(&str, &str)> = vec![("value", &shown), ("project", project)];
    all.extend(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let mut out: BTreeMap<String, String> = templates
        .iter()
        .map(|(k, t)| (k.clone(), render(t, &all)))
        .collect();
    if let Some(c) = condition {
        out.insert(CONDITION_ANNOTATION.to_string(), c.describe(value));
    }
    out
}

/// The notice of an alert for receivers.
pub(crate) fn notice(a: &ActiveAlert, external_url: &str) -> Notice {
    Notice {
        fingerprint: a.fingerprint.clone(),
        status: if a.state.status == AlertStatus::Resolved {
            AlertStatus::Resolved
        } else {
            AlertStatus::Firing
        },
        labels: a.labels.clone(),
        annotations: a.annotations.clone(),
        starts_us: a.state.fired_us.unwrap_or(a.state.active_since_us),
        ends_us: None,
        generator_url: format!(
            "{external_url}/api/v1/alerts/history?project={}",
            crate::dashboard::html::pct(&a.project)
        ),
        sent: None,
    }
}

/// One evaluation round at `now`.
pub(crate) fn evaluate(state: &AppState, now: i64) {
    let alerts = &state.alerts;
    let projects: Vec<std::sync::Arc<Project>> = state.projects().values().cloned().collect();
    sample_ingestion(state, &projects, now);
    let mut candidates = rule_candidates(state, &projects, now);
    candidates.extend(slo_candidates(state, &projects, now));

    let mut active = lock(&alerts.active);
    let mut seen = HashSet::new();
    let mut transitions = Vec::new();
    let mut upserts = Vec::new();
    let mut removals = Vec::new();
    let mut notices: Vec<(Vec<String>, String, Notice)> = Vec::new();
    let mut apply = |active: &mut BTreeMap<String, ActiveAlert>,
                     c: Candidate,
                     transitions: &mut Vec<TransitionRecord>| {
        let previous = active.get(&c.key).cloned();
        let (next, change) = step(
            previous.as_ref().map(|a| a.state),
            now,
            c.value,
            c.holds,
            c.timing,
        );
        let Some(next) = next else {
            if let Some(t) = change {
                // Pending → inactive.
                if let Some(p) = &previous {
                    transitions.push(record(p, now, t.from, t.to, c.value));
                }
                active.remove(&c.key);
                removals.push(c.key.clone());
            }
            return;
        };
        let annotations = render_all(
            &c.templates,
            &c.project,
            next.value,
            &c.vars,
            c.condition.as_ref(),
        );
        let alert = ActiveAlert {
            key: c.key.clone(),
            alertname: c.alertname,
            project: c.project.clone(),
            fingerprint: fingerprint(&c.labels),
            labels: c.labels,
            annotations,
            state: next,
            timing: c.timing,
            receivers: c.receivers,
            condition: c.condition,
        };
        if let Some(t) = change {
            transitions.push(record(&alert, now, t.from, t.to, Some(next.value)));
        }
        match next.status {
            AlertStatus::Resolved => {
                let mut n = notice(&alert, alerts.external_url());
                n.ends_us = Some(now);
                notices.push((alert.receivers.clone(), alert.project.clone(), n));
                active.remove(&c.key);
                removals.push(c.key);
            }
            status => {
                if status == AlertStatus::Firing {
                    notices.push((
                        alert.receivers.clone(),
                        alert.project.clone(),
                        notice(&alert, alerts.external_url()),
                    ));
                }
                if change.is_some() || previous.as_ref() != Some(&alert) {
                    upserts.push((
                        c.key.clone(),
                        serde_json::to_string(&alert).unwrap_or_default(),
                    ));
                }
                active.insert(c.key, alert);
            }
        }
    };
    for c in candidates {
        seen.insert(c.key.clone());
        apply(&mut active, c, &mut transitions);
    }
    // Alerts whose rule, project or value is gone: their condition no longer holds.
    let orphans: Vec<ActiveAlert> = active
        .values()
        .filter(|a| !seen.contains(&a.key))
        .cloned()
        .collect();
    for a in orphans {
        let c = Candidate {
            key: a.key.clone(),
            alertname: a.alertname.clone(),
            project: a.project.clone(),
            labels: a.labels.clone(),
            // Keep the rendered text: the templates are gone with the rule.
            templates: a.annotations.clone(),
            vars: Vec::new(),
            value: None,
            holds: false,
            timing: a.timing,
            receivers: a.receivers.clone(),
            condition: a.condition.clone(),
        };
        apply(&mut active, c, &mut transitions);
    }
    drop(active);
    // Values change every round; persist only state changes and new alerts.
    upserts.dedup_by(|a, b| a.0 == b.0);
    if let Err(e) = alerts.store.record(&transitions, &upserts, &removals) {
        tracing::warn!(error = %e, "alerts: cannot store transitions");
    }
    for t in &transitions {
        tracing::info!(
            alertname = %t.alertname,
            project = %t.project,
            from = %t.from,
            to = %t.to,
            value = t.value.unwrap_or(f64::NAN),
            "alert transition"
        );
    }
    let mut d = lock(&alerts.dispatcher);
    for (receivers, project, n) in notices {
        for r in receivers {
            d.update(&r, &project, n.clone(), now);
        }
    }
}

fn record(
    a: &ActiveAlert,
    now: i64,
    from: AlertStatus,
    to: AlertStatus,
    value: Option<f64>,
) -> TransitionRecord {
    TransitionRecord {
        id: 0,
        ts_us: now,
        alertname: a.alertname.clone(),
        project: a.project.clone(),
        fingerprint: a.fingerprint.clone(),
        from: from.as_str().into(),
        to: to.as_str().into(),
        value,
        labels: serde_json::to_value(&a.labels).unwrap_or_default(),
        annotations: serde_json::to_value(&a.annotations).unwrap_or_default(),
    }
}

/// Whether a silence with `matchers` (label → value, all equal) covers `labels`.
pub fn matches(matchers: &BTreeMap<String, String>, labels: &BTreeMap<String, String>) -> bool {
    !matchers.is_empty()
        && matchers
            .iter()
            .all(|(k, v)| labels.get(k).map_or(v.is_empty(), |l| l == v))
}

/// Moves due notifications of the dispatcher into the outbox.
pub(crate) fn dispatch(state: &AppState, now: i64) {
    let alerts = &state.alerts;
    let silences = alerts.store.silences(now).unwrap_or_default();
    let active_silences: Vec<_> = silences.iter().filter(|s| s.starts_us <= now).collect();
    let due = lock(&alerts.dispatcher).due(now, alerts.config.group_timing(), |labels| {
        active_silences.iter().any(|s| matches(&s.matchers, labels))
    });
    if due.is_empty() {
        return;
    }
    let receivers = alerts.config.receivers();
    let items: Vec<(String, String)> = due
        .iter()
        .filter_map(|n| {
            let r = receivers.iter().find(|r| r.name == n.receiver)?;
            Some((
                n.receiver.clone(),
                body_for(
                    r.kind,
                    n,
                    alerts.external_url(),
                    now,
                    alerts.config.group_timing(),
                ),
            ))
        })
        .collect();
    match alerts.store.enqueue(&items, now) {
        Ok(()) => alerts.outbox_wake.notify_one(),
        Err(e) => tracing::error!(error = %e, "alerts: cannot queue notifications"),
    }
}

/// Sends the outbox items due at `now`.
pub(crate) fn deliver_due(state: &AppState, now: i64) {
    let alerts = &state.alerts;
    let items = match alerts.store.due(now, 50) {
        Ok(i) => i,
        Err(e) => {
            tracing::warn!(error = %e, "alerts: cannot read the outbox");
            return;
        }
    };
    let receivers = alerts.config.receivers();
    let initial = super::duration("retry_initial", &alerts.config.retry_initial, 1);
    let max = super::duration("retry_max", &alerts.config.retry_max, 300);
    let give_up = super::duration("give_up_after", &alerts.config.give_up_after, 86400);
    let mut failed: HashSet<String> = HashSet::new();
    for item in items {
        let Some(r) = receivers.iter().find(|r| r.name == item.receiver) else {
            tracing::warn!(receiver = %item.receiver, "alerts: dropping a notification for a receiver no longer configured");
            let _ = alerts.store.delivered(item.id);
            continue;
        };
        // One failure per receiver per round: the rest wait for the next retry.
        let result = if failed.contains(&r.name) {
            Err("receiver failed earlier in this round".to_string())
        } else {
            deliver(r, &item.body)
        };
        let done = match result {
            Ok(()) => {
                tracing::info!(receiver = %r.name, attempts = item.attempts + 1, "alert notification delivered");
                alerts.store.delivered(item.id)
            }
            Err(e) if now - item.created_us > give_up.as_micros() as i64 => {
                tracing::error!(receiver = %r.name, error = %e, "alerts: giving up on a notification");
                alerts.store.delivered(item.id)
            }
            Err(e) => {
                failed.insert(r.name.clone());
                let wait = super::notify::backoff(item.attempts + 1, initial, max);
                tracing::warn!(receiver = %r.name, error = %e, retry_in = ?wait, "alert notification failed");
                alerts
                    .store
                    .retry_later(item.id, now + wait.as_micros() as i64, &e)
            }
        };
        if let Err(e) = done {
            tracing::warn!(error = %e, "alerts: cannot update the outbox");
        }
    }
}

/// Drops serving buckets older than a day past the longest SLO window (that window is at
/// least 4 days here), and transitions and ended silences older than the snapshot
/// retention.
pub(crate) fn prune(state: &AppState, now: i64) {
    let alerts = &state.alerts;
    let longest = alerts
        .config
        .slos
        .iter()
        .map(|s| s.window())
        .chain([Duration::from_secs(4 * 86400)])
        .max()
        .unwrap_or_default()
        + Duration::from_secs(86400);
    let history =
        crate::project::parse_duration("retention.snapshots", &state.config.retention.snapshots)
            .unwrap_or(Duration::from_secs(90 * 86400));
    if let Err(e) = alerts.store.prune(
        minutes_since(now, longest),
        now - history.as_micros() as i64,
    ) {
        tracing::warn!(error = %e, "alerts: pruning failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_project_rule_shadows_the_default_of_the_same_name() {
        let mut all: Vec<(RuleSource, Rule)> = default_rules()
            .into_iter()
            .map(|r| (RuleSource::Default, r))
            .collect();
        let mut off = all[0].1.clone();
        off.project = Some("quiet".into());
        off.enabled = false;
        all.push((RuleSource::Config, off));
        let names = |p: &str| -> Vec<String> {
            effective_rules(&all, p)
                .into_iter()
                .map(|r| r.name)
                .collect()
        };
        assert_eq!(
            names("loud"),
            ["DatasetDrift", "MissingShareAboveReference", "NoData"]
        );
        assert_eq!(names("quiet"), ["MissingShareAboveReference", "NoData"]);
        // The API wins over the config for the same scope.
        let mut api = all[1].1.clone();
        api.threshold = 0.5;
        all.push((RuleSource::Api, api));
        let r = effective_rules(&all, "loud");
        assert_eq!(
            r.iter()
                .find(|r| r.name == "MissingShareAboveReference")
                .unwrap()
                .threshold,
            0.5
        );
    }

    #[test]
    fn silences_match_all_their_labels() {
        let labels = BTreeMap::from([
            ("alertname".to_string(), "DatasetDrift".to_string()),
            ("project".to_string(), "iris".to_string()),
        ]);
        let m = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert!(matches(&m(&[("project", "iris")]), &labels));
        assert!(matches(
            &m(&[("project", "iris"), ("alertname", "DatasetDrift")]),
            &labels
        ));
        assert!(!matches(&m(&[("project", "wine")]), &labels));
        assert!(!matches(&m(&[("column", "x")]), &labels));
        assert!(!matches(&m(&[]), &labels));
    }

    #[test]
    fn fingerprints_depend_on_every_label() {
        let a = BTreeMap::from([("a".to_string(), "1".to_string())]);
        let b = BTreeMap::from([("a".to_string(), "2".to_string())]);
        assert_ne!(fingerprint(&a), fingerprint(&b));
        assert_eq!(fingerprint(&a), fingerprint(&a.clone()));
        assert_eq!(fingerprint(&a).len(), 16);
    }
}
