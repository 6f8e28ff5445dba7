//! Notifications: grouping by receiver and project (`group_wait`, `group_interval`,
//! `repeat_interval`), silences, the bodies receivers get (Alertmanager's webhook format
//! version 4, Alertmanager's own `POST /api/v2/alerts` array, a Slack-compatible
//! `{"text": ...}`, a log line) and delivery with retries.
//!
//! Grouping works like Alertmanager's: a new group waits `group_wait` before its first
//! notification (to collect alerts that fire together); later changes go out at most every
//! `group_interval`; a group that still fires is re-sent every `repeat_interval`. Every
//! notification carries all of the group's unsilenced firing alerts and the ones resolved
//! since the last one. Notifications go to an outbox table first, so a receiver that is
//! down (or a restart) delays them but loses none.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::state::AlertStatus;
use modelwatch_core::time::{format_us, TimeShape};

/// A receiver's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReceiverKind {
    /// POSTs Alertmanager's webhook JSON (version 4).
    Webhook,
    /// POSTs `{"text": ...}` to a Slack-compatible incoming webhook.
    Slack,
    /// POSTs the alerts to an Alertmanager's `/api/v2/alerts` (postable alerts).
    Alertmanager,
    /// Writes the notification to the server log.
    Log,
}

/// A receiver, as written in `[[alerts.receivers]]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiverConfig {
    /// The name rules and SLOs use to pick it; unique.
    pub name: String,
    /// What it is, and so which body it gets.
    pub kind: ReceiverKind,
    /// Where bodies are POSTed (an Alertmanager's base URL will do, see
    /// [`Self::endpoint`]); required for every kind but `log`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl ReceiverConfig {
    /// Checks that a receiver that POSTs has an `http://` or `https://` url; the error
    /// names the receiver.
    pub fn validate(&self) -> Result<(), String> {
        match (self.kind, &self.url) {
            (ReceiverKind::Log, _) => Ok(()),
            (_, Some(u)) if u.starts_with("http://") || u.starts_with("https://") => Ok(()),
            _ => Err(format!(
                "receiver `{}` needs an http:// or https:// url",
                self.name
            )),
        }
    }

    /// Where deliveries are POSTed: the url, or for an Alertmanager (given by its base
    /// url) its `/api/v2/alerts`.
    pub fn endpoint(&self) -> String {
        let url = self.url.as_deref().unwrap_or_default();
        match self.kind {
            ReceiverKind::Alertmanager if !url.ends_with("/api/v2/alerts") => {
                format!("{}/api/v2/alerts", url.trim_end_matches('/'))
            }
            _ => url.to_string(),
        }
    }
}

/// One alert as a receiver sees it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Notice {
    /// The alert's identity within its group
    /// (see [`ActiveAlert::fingerprint`](crate::alerts::ActiveAlert::fingerprint)).
    pub fingerprint: String,
    /// Firing or resolved (a pending alert is not notified).
    pub status: AlertStatus,
    /// The alert's labels.
    pub labels: BTreeMap<String, String>,
    /// The alert's rendered annotations (`summary`, `description`, ...).
    pub annotations: BTreeMap<String, String>,
    /// When it started firing (or, failing that, became active), microseconds since the
    /// epoch: `startsAt`.
    pub starts_us: i64,
    /// When it resolved, microseconds since the epoch: `endsAt`; `None` while firing.
    pub ends_us: Option<i64>,
    /// A link to the alert's history on this server: `generatorURL`.
    pub generator_url: String,
    /// The status last notified (None: never).
    pub sent: Option<AlertStatus>,
}

/// The timing of notifications, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupTiming {
    /// How long a new group waits before its first notification.
    pub group_wait_us: i64,
    /// The least time between two notifications of a group whose alerts changed.
    pub group_interval_us: i64,
    /// How often a group that still fires is notified again with nothing new.
    pub repeat_interval_us: i64,
}

impl GroupTiming {
    /// The timing from `group_wait`, `group_interval` and `repeat_interval`.
    pub fn new(wait: Duration, interval: Duration, repeat: Duration) -> Self {
        Self {
            group_wait_us: wait.as_micros() as i64,
            group_interval_us: interval.as_micros() as i64,
            repeat_interval_us: repeat.as_micros() as i64,
        }
    }
}

#[derive(Debug, Default)]
struct Group {
    alerts: BTreeMap<String, Notice>,
    created_us: i64,
    last_sent_us: Option<i64>,
}

/// A notification ready to be written: a receiver, a project and its alerts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Notification {
    /// The receiver's name.
    pub receiver: String,
    /// The project whose alerts these are (the group label).
    pub project: String,
    /// The group's unsilenced firing alerts and the ones resolved since the last
    /// notification, by fingerprint.
    pub alerts: Vec<Notice>,
}

/// Groups of alerts per (receiver, project).
#[derive(Debug, Default)]
pub(crate) struct Dispatcher {
    groups: HashMap<(String, String), Group>,
}

impl Dispatcher {
    /// Adds or updates an alert of the (receiver, project) group, creating the group at
    /// `now` if needed; an alert already in the group keeps what was last notified about
    /// it.
    pub fn update(&mut self, receiver: &str, project: &str, mut notice: Notice, now: i64) {
        let group = self
            .groups
            .entry((receiver.to_string(), project.to_string()))
            .or_insert_with(|| Group {
                created_us: now,
                ..Default::default()
            });
        if let Some(old) = group.alerts.get(&notice.fingerprint) {
            notice.sent = old.sent;
        }
        group.alerts.insert(notice.fingerprint.clone(), notice);
    }

    /// Marks every group as notified at `now` (after a restart).
    pub fn mark_all_sent(&mut self, now: i64) {
        for g in self.groups.values_mut() {
            g.last_sent_us = Some(now);
            for a in g.alerts.values_mut() {
                a.sent = Some(a.status);
            }
        }
    }

    /// The notifications due at `now`; `silenced` tells whether an alert's labels are
    /// silenced.
    pub fn due(
        &mut self,
        now: i64,
        timing: GroupTiming,
        silenced: impl Fn(&BTreeMap<String, String>) -> bool,
    ) -> Vec<Notification> {
        let mut out = Vec::new();
        let mut keys: Vec<(String, String)> = self.groups.keys().cloned().collect();
        keys.sort();
        for key in keys {
            let group = self.groups.get_mut(&key).expect("key taken from the map");
            // A resolved alert never notified as firing is dropped without a word.
            group
                .alerts
                .retain(|_, a| !(a.status == AlertStatus::Resolved && a.sent.is_none()));
            let visible: Vec<&Notice> = group
                .alerts
                .values()
                .filter(|a| !silenced(&a.labels))
                .collect();
            let changed = visible.iter().any(|a| a.sent != Some(a.status));
            let firing = visible.iter().any(|a| a.status == AlertStatus::Firing);
            let send = match group.last_sent_us {
                None => changed && now >= group.created_us + timing.group_wait_us,
                Some(t) if changed => now >= t + timing.group_interval_us,
                Some(t) => firing && now >= t + timing.repeat_interval_us,
            };
            if send {
                out.push(Notification {
                    receiver: key.0.clone(),
                    project: key.1.clone(),
                    alerts: visible.into_iter().cloned().collect(),
                });
                group.last_sent_us = Some(now);
                let sent: Vec<String> = out
                    .last()
                    .map(|n| n.alerts.iter().map(|a| a.fingerprint.clone()).collect())
                    .unwrap_or_default();
                for f in sent {
                    if let Some(a) = group.alerts.get_mut(&f) {
                        a.sent = Some(a.status);
                    }
                }
                group
                    .alerts
                    .retain(|_, a| !(a.status == AlertStatus::Resolved && a.sent.is_some()));
            }
            if group.alerts.is_empty() {
                self.groups.remove(&key);
            }
        }
        out
    }
}

/// Alertmanager's group key for a project group.
pub(crate) fn group_key(receiver: &str, project: &str) -> String {
    format!("{{}}/{{receiver={:?}}}:{{project={:?}}}", receiver, project)
}

/// Alertmanager's "zero" time, the `endsAt` of a firing alert.
const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

fn common(maps: Vec<&BTreeMap<String, String>>) -> BTreeMap<String, String> {
    let Some((first, rest)) = maps.split_first() else {
        return BTreeMap::new();
    };
    first
        .iter()
        .filter(|(k, v)| rest.iter().all(|m| m.get(*k) == Some(*v)))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The webhook body: Alertmanager's format, version 4.
pub(crate) fn alertmanager_body(n: &Notification, external_url: &str) -> serde_json::Value {
    let status = if n.alerts.iter().any(|a| a.status == AlertStatus::Firing) {
        "firing"
    } else {
        "resolved"
    };
    let alerts: Vec<serde_json::Value> = n
        .alerts
        .iter()
        .map(|a| {
            json!({
                "status": if a.status == AlertStatus::Firing { "firing" } else { "resolved" },
                "labels": a.labels,
                "annotations": a.annotations,
                "startsAt": format_us(a.starts_us, TimeShape::Micros),
                "endsAt": a.ends_us.map_or_else(|| ZERO_TIME.to_string(), |t| format_us(t, TimeShape::Micros)),
                "generatorURL": a.generator_url,
                "fingerprint": a.fingerprint,
            })
        })
        .collect();
    json!({
        "version": "4",
        "groupKey": group_key(&n.receiver, &n.project),
        "truncatedAlerts": 0,
        "status": status,
        "receiver": n.receiver,
        "groupLabels": {"project": n.project},
        "commonLabels": common(n.alerts.iter().map(|a| &a.labels).collect()),
        "commonAnnotations": common(n.alerts.iter().map(|a| &a.annotations).collect()),
        "externalURL": external_url,
        "alerts": alerts,
    })
}

/// The body of Alertmanager's `POST /api/v2/alerts`: an array of postable alerts. A firing
/// alert is posted with `endsAt` = `firing_until_us` (Alertmanager resolves it then unless
/// it is posted again; without `endsAt` it would use its `resolve_timeout`, 5 minutes by
/// default); a resolved one with its end. Empty label values are left out (Prometheus
/// treats them as absent).
pub(crate) fn alertmanager_v2_body(n: &Notification, firing_until_us: i64) -> serde_json::Value {
    let alerts: Vec<serde_json::Value> = n
        .alerts
        .iter()
        .map(|a| {
            let labels: BTreeMap<&String, &String> =
                a.labels.iter().filter(|(_, v)| !v.is_empty()).collect();
            let ends = match (a.status, a.ends_us) {
                (AlertStatus::Firing, _) | (_, None) => firing_until_us,
                (_, Some(e)) => e,
            };
            json!({
                "labels": labels,
                "annotations": a.annotations,
                "startsAt": format_us(a.starts_us, TimeShape::Micros),
                "endsAt": format_us(ends.max(a.starts_us), TimeShape::Micros),
                "generatorURL": a.generator_url,
            })
        })
        .collect();
    serde_json::Value::Array(alerts)
}

/// The text of a Slack-compatible message (and of the log line).
pub(crate) fn text(n: &Notification) -> String {
    let firing = n
        .alerts
        .iter()
        .filter(|a| a.status == AlertStatus::Firing)
        .count();
    let resolved = n.alerts.len() - firing;
    let mut head = String::new();
    if firing > 0 {
        head.push_str(&format!("[FIRING:{firing}]"));
    }
    if resolved > 0 {
        if !head.is_empty() {
            head.push(' ');
        }
        head.push_str(&format!("[RESOLVED:{resolved}]"));
    }
    let mut out = format!("{head} modelwatch project {}", n.project);
    for a in &n.alerts {
        let name = a.labels.get("alertname").map_or("", String::as_str);
        let severity = a.labels.get("severity").map_or("", String::as_str);
        let summary = a
            .annotations
            .get("summary")
            .filter(|s| !s.is_empty())
            .map_or(name, String::as_str);
        out.push_str(&format!(
            "\n• {} {name} ({severity}): {summary}",
            a.status.as_str()
        ));
        if let Some(d) = a.annotations.get("description").filter(|d| !d.is_empty()) {
            out.push_str(&format!(" — {d}"));
        }
        if let Some(c) = a
            .annotations
            .get(super::CONDITION_ANNOTATION)
            .filter(|c| !c.is_empty())
        {
            out.push_str(&format!(" ({c})"));
        }
        if let Some(u) = a.annotations.get("runbook_url").filter(|u| !u.is_empty()) {
            out.push_str(&format!(" <{u}|runbook>"));
        }
    }
    out
}

/// The body written to the outbox for a receiver at `now`. Alertmanager receivers get
/// firing alerts that end two `repeat_interval`s (at least a minute) from now: modelwatch
/// re-posts a group that still fires every `repeat_interval`, which extends them.
pub(crate) fn body_for(
    kind: ReceiverKind,
    n: &Notification,
    external_url: &str,
    now: i64,
    timing: GroupTiming,
) -> String {
    match kind {
        ReceiverKind::Webhook => alertmanager_body(n, external_url).to_string(),
        ReceiverKind::Alertmanager => {
            let hold = timing.repeat_interval_us.saturating_mul(2).max(60_000_000);
            alertmanager_v2_body(n, now.saturating_add(hold)).to_string()
        }
        ReceiverKind::Slack => json!({ "text": text(n) }).to_string(),
        ReceiverKind::Log => text(n),
    }
}

/// The delay before retry number `attempt` (1, 2, ...): doubling from `initial`, at most
/// `max`.
pub(crate) fn backoff(attempt: u32, initial: Duration, max: Duration) -> Duration {
    let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(20));
    initial.saturating_mul(factor).min(max)
}

/// Delivers one body; blocking (run it on a blocking thread).
pub(crate) fn deliver(receiver: &ReceiverConfig, body: &str) -> Result<(), String> {
    match receiver.kind {
        ReceiverKind::Log => {
            tracing::warn!(target: "modelwatch::alerts", receiver = %receiver.name, "{body}");
            Ok(())
        }
        ReceiverKind::Webhook | ReceiverKind::Slack | ReceiverKind::Alertmanager => {
            let url = &receiver.endpoint();
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .timeout_global(Some(Duration::from_secs(10)))
                .http_status_as_error(false)
                .build()
                .into();
            let response = agent
                .post(url)
                .header("Content-Type", "application/json")
                .header("User-Agent", "modelwatch")
                .send(body.as_bytes())
                .map_err(|e| e.to_string())?;
            let status = response.status().as_u16();
            if (200..300).contains(&status) {
                Ok(())
            } else {
                Err(format!("{url} answered {status}"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000;

    fn notice(f: &str, status: AlertStatus) -> Notice {
        Notice {
            fingerprint: f.into(),
            status,
            labels: BTreeMap::from([
                ("alertname".to_string(), f.to_string()),
                ("project".to_string(), "iris".to_string()),
                ("severity".to_string(), "warning".to_string()),
            ]),
            annotations: BTreeMap::from([("summary".to_string(), format!("{f} happened"))]),
            starts_us: 0,
            ends_us: None,
            generator_url: "http://x/".into(),
            sent: None,
        }
    }

    fn timing() -> GroupTiming {
        GroupTiming::new(
            Duration::from_secs(30),
            Duration::from_secs(60),
            Duration::from_secs(3600),
        )
    }

    fn names(n: &[Notification]) -> Vec<Vec<(String, AlertStatus)>> {
        n.iter()
            .map(|n| {
                n.alerts
                    .iter()
                    .map(|a| (a.fingerprint.clone(), a.status))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn group_wait_collects_then_repeat_interval_resends() {
        let mut d = Dispatcher::default();
        let none = |_: &BTreeMap<String, String>| false;
        d.update("hook", "iris", notice("a", AlertStatus::Firing), 0);
        assert!(d.due(10 * S, timing(), none).is_empty());
        d.update("hook", "iris", notice("b", AlertStatus::Firing), 20 * S);
        let sent = d.due(30 * S, timing(), none);
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].alerts.len(), 2);
        // Nothing new: nothing until the repeat interval.
        assert!(d.due(31 * S, timing(), none).is_empty());
        assert!(d.due(3629 * S, timing(), none).is_empty());
        assert_eq!(d.due(3630 * S, timing(), none).len(), 1);
        // A resolve waits for the group interval, then goes out with the firing one.
        d.update("hook", "iris", notice("a", AlertStatus::Resolved), 3640 * S);
        assert!(d.due(3660 * S, timing(), none).is_empty());
        let sent = d.due(3690 * S, timing(), none);
        assert_eq!(
            names(&sent),
            vec![vec![
                ("a".to_string(), AlertStatus::Resolved),
                ("b".to_string(), AlertStatus::Firing)
            ]]
        );
        // The resolved alert is gone from the group.
        d.update("hook", "iris", notice("b", AlertStatus::Resolved), 3700 * S);
        let sent = d.due(3750 * S, timing(), none);
        assert_eq!(
            names(&sent),
            vec![vec![("b".to_string(), AlertStatus::Resolved)]]
        );
        assert!(d.groups.is_empty());
    }

    #[test]
    fn silences_hold_back_alerts_until_they_expire() {
        let mut d = Dispatcher::default();
        let silence_ends = 100 * S;
        d.update("hook", "iris", notice("a", AlertStatus::Firing), 0);
        for t in [30, 60, 99] {
            let now = t * S;
            assert!(d.due(now, timing(), |_| now < silence_ends).is_empty());
        }
        let now = 100 * S;
        let sent = d.due(now, timing(), |_| now < silence_ends);
        assert_eq!(
            names(&sent),
            vec![vec![("a".to_string(), AlertStatus::Firing)]]
        );
        // Resolved while silenced and never notified: dropped quietly.
        let mut d = Dispatcher::default();
        d.update("hook", "iris", notice("a", AlertStatus::Firing), 0);
        assert!(d.due(40 * S, timing(), |_| true).is_empty());
        d.update("hook", "iris", notice("a", AlertStatus::Resolved), 50 * S);
        assert!(d.due(200 * S, timing(), |_| false).is_empty());
        assert!(d.groups.is_empty());
    }

    #[test]
    fn the_webhook_body_is_alertmanager_version_4() {
        let mut resolved = notice("b", AlertStatus::Resolved);
        resolved.ends_us = Some(60 * S);
        let n = Notification {
            receiver: "hook".into(),
            project: "iris".into(),
            alerts: vec![notice("a", AlertStatus::Firing), resolved],
        };
        let v = alertmanager_body(&n, "http://mw:8080");
        assert_eq!(v["version"], "4");
        assert_eq!(v["status"], "firing");
        assert_eq!(v["groupLabels"]["project"], "iris");
        assert_eq!(v["commonLabels"]["project"], "iris");
        assert!(v["commonLabels"].get("alertname").is_none());
        assert_eq!(v["alerts"][0]["endsAt"], "0001-01-01T00:00:00Z");
        assert_eq!(v["alerts"][1]["status"], "resolved");
        assert_eq!(v["alerts"][1]["endsAt"], "1970-01-01T00:01:00.000000Z");
        assert_eq!(v["groupKey"], "{}/{receiver=\"hook\"}:{project=\"iris\"}");
        let t = text(&n);
        assert!(
            t.starts_with("[FIRING:1] [RESOLVED:1] modelwatch project iris"),
            "{t}"
        );
        assert!(t.contains("a happened"), "{t}");
    }

    #[test]
    fn the_alertmanager_body_is_an_array_of_postable_alerts() {
        let mut firing = notice("a", AlertStatus::Firing);
        firing.labels.insert("column".into(), String::new());
        let mut resolved = notice("b", AlertStatus::Resolved);
        resolved.ends_us = Some(60 * S);
        let n = Notification {
            receiver: "am".into(),
            project: "iris".into(),
            alerts: vec![firing, resolved],
        };
        let t = GroupTiming::new(Duration::ZERO, Duration::ZERO, Duration::from_secs(3600));
        let v: serde_json::Value =
            serde_json::from_str(&body_for(ReceiverKind::Alertmanager, &n, "", 10 * S, t)).unwrap();
        let a = v.as_array().unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!(a[0]["labels"]["alertname"], "a");
        assert!(a[0]["labels"].get("column").is_none());
        assert_eq!(a[0]["annotations"]["summary"], "a happened");
        assert_eq!(a[0]["startsAt"], "1970-01-01T00:00:00.000000Z");
        assert_eq!(a[0]["endsAt"], "1970-01-01T02:00:10.000000Z");
        assert_eq!(a[0]["generatorURL"], "http://x/");
        assert!(a[0].get("status").is_none() && a[0].get("fingerprint").is_none());
        assert_eq!(a[1]["endsAt"], "1970-01-01T00:01:00.000000Z");
        let r = |url: &str| ReceiverConfig {
            name: "am".into(),
            kind: ReceiverKind::Alertmanager,
            url: Some(url.into()),
        };
        assert_eq!(
            r("http://am:9093/").endpoint(),
            "http://am:9093/api/v2/alerts"
        );
        assert_eq!(
            r("http://am:9093/api/v2/alerts").endpoint(),
            "http://am:9093/api/v2/alerts"
        );
    }

    #[test]
    fn retries_back_off_to_a_ceiling() {
        let i = Duration::from_secs(1);
        let m = Duration::from_secs(60);
        let d: Vec<u64> = (1..=8).map(|a| backoff(a, i, m).as_secs()).collect();
        assert_eq!(d, vec![1, 2, 4, 8, 16, 32, 60, 60]);
    }
}
