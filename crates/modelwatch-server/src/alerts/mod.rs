//! Alerts and SLOs: rules evaluated by the server itself, notifications to receivers in
//! Alertmanager's webhook format (and Slack's, and the log), silences, SLOs with error
//! budgets and multi-window burn-rate alerts, and an export of it all as Prometheus rules.
//!
//! - [`rules`]: rule definitions, default rules, templating of annotations;
//! - [`state`]: the state machine of one alert (inactive → pending → firing → resolved);
//! - [`evaluate`]: one evaluation round over every project;
//! - [`notify`]: grouping, silences, receiver bodies, delivery with retries;
//! - [`slo`]: SLO definitions and burn-rate arithmetic;
//! - the `/api/v1/alerts` routes live in [`crate::http::alerts`], the alert tables in
//!   [`crate::store`] ([`crate::store::AlertStore`]);
//! - [`export`]: Prometheus recording and alerting rules.
//!
//! The evaluation loop runs in its own task (started by [`crate::serve`]), the delivery
//! loop in another, so a slow or absent receiver never holds up ingestion.

pub mod evaluate;
pub mod export;
pub mod notify;
pub mod rules;
pub mod slo;
pub mod state;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{watch, Notify};

use crate::catalogue;
use crate::metrics::{Encoder, Labels};
use crate::project::parse_duration;
use crate::store::{AlertStore, StoreError};
use crate::{now_us, AppState};
use notify::{Dispatcher, GroupTiming, ReceiverConfig, ReceiverKind};
use rules::Rule;
use slo::{ServingCounts, SloConfig, SloStatus};
use state::{AlertState, Timing};

fn yes() -> bool {
    true
}

/// The `[alerts]` section of the server configuration. Durations are text such as
/// `90s`, `5m`, `1h 30m` or `7d`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertsConfig {
    /// false: no evaluation and no notifications at all.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The default rules of every project (dataset drift, missing share above the
    /// reference's, no data for two schedule intervals).
    #[serde(default = "yes")]
    pub default_rules: bool,
    /// How often rules are evaluated (also right after every snapshot).
    pub evaluation_interval: String,
    /// How long a new group of alerts (per receiver and project) waits before its first
    /// notification, to collect alerts that fire together.
    pub group_wait: String,
    /// The least time between two notifications of a group whose alerts changed.
    pub group_interval: String,
    /// How often a group that still fires is notified again when nothing changed.
    pub repeat_interval: String,
    /// The first retry delay of a failed delivery; doubles up to `retry_max`.
    pub retry_initial: String,
    /// The longest delay between two delivery attempts of one notification.
    pub retry_max: String,
    /// A notification not delivered after this long is dropped (and logged).
    pub give_up_after: String,
    /// The URL of this server in links (`externalURL`, `generatorURL`); default
    /// `http://<listen><base_path>`.
    pub external_url: String,
    /// The rules of the configuration file (`[[alerts.rules]]`), beside the default rules
    /// and those created through the API (see [`evaluate::effective_rules`]).
    pub rules: Vec<Rule>,
    /// No receivers: notifications go to the log.
    pub receivers: Vec<ReceiverConfig>,
    /// The SLOs (`[[alerts.slos]]`), each with its burn-rate alerts and `/metrics` gauges.
    pub slos: Vec<SloConfig>,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            default_rules: true,
            evaluation_interval: "15s".into(),
            group_wait: "30s".into(),
            group_interval: "5m".into(),
            repeat_interval: "4h".into(),
            retry_initial: "1s".into(),
            retry_max: "5m".into(),
            give_up_after: "24h".into(),
            external_url: String::new(),
            rules: Vec::new(),
            receivers: Vec::new(),
            slos: Vec::new(),
        }
    }
}

fn duration(what: &str, text: &str, fallback: u64) -> Duration {
    parse_duration(what, text).unwrap_or(Duration::from_secs(fallback))
}

impl AlertsConfig {
    /// Checks the section when the configuration is loaded: every duration parses (and the
    /// evaluation interval is positive), every rule, receiver and SLO is valid and declared
    /// once, and every receiver a rule names exists. The error starts with the offending
    /// key (`alerts.rules: ...`).
    pub fn validate(&self) -> Result<(), String> {
        for (w, t) in [
            ("evaluation_interval", &self.evaluation_interval),
            ("group_wait", &self.group_wait),
            ("group_interval", &self.group_interval),
            ("repeat_interval", &self.repeat_interval),
            ("retry_initial", &self.retry_initial),
            ("retry_max", &self.retry_max),
            ("give_up_after", &self.give_up_after),
        ] {
            parse_duration(w, t).map_err(|err| format!("alerts.{w}: {err}"))?;
        }
        if self.evaluation().is_zero() {
            return Err("alerts.evaluation_interval must be positive".into());
        }
        let mut seen = std::collections::HashSet::new();
        for r in &self.rules {
            r.validate().map_err(|m| format!("alerts.rules: {m}"))?;
            if !seen.insert((r.name.as_str(), r.project.as_deref())) {
                return Err(format!("alerts.rules: rule `{}` is declared twice", r.name));
            }
        }
        let mut names = std::collections::HashSet::new();
        for r in &self.receivers {
            r.validate().map_err(|m| format!("alerts.receivers: {m}"))?;
            if !names.insert(r.name.as_str()) {
                return Err(format!("alerts.receivers: `{}` is declared twice", r.name));
            }
        }
        for r in &self.rules {
            if let Some(x) = r.receivers.iter().find(|x| !self.has_receiver(x)) {
                return Err(format!(
                    "alerts.rules: rule `{}` names no receiver `{x}`",
                    r.name
                ));
            }
        }
        let mut slos = std::collections::HashSet::new();
        for s in &self.slos {
            s.validate().map_err(|m| format!("alerts.slos: {m}"))?;
            if !slos.insert((s.project.as_str(), s.name.as_str())) {
                return Err(format!(
                    "alerts.slos: `{}` of `{}` is declared twice",
                    s.name, s.project
                ));
            }
        }
        Ok(())
    }

    fn has_receiver(&self, name: &str) -> bool {
        self.receivers().iter().any(|r| r.name == name)
    }

    /// The configured receivers, or the log when there are none.
    pub fn receivers(&self) -> Vec<ReceiverConfig> {
        if self.receivers.is_empty() {
            vec![ReceiverConfig {
                name: "log".into(),
                kind: ReceiverKind::Log,
                url: None,
            }]
        } else {
            self.receivers.clone()
        }
    }

    /// How often rules are evaluated; 15 s when `evaluation_interval` does not parse (which
    /// [`Self::validate`] refuses).
    pub fn evaluation(&self) -> Duration {
        duration("evaluation_interval", &self.evaluation_interval, 15)
    }

    /// `group_wait`, `group_interval` and `repeat_interval` for the dispatcher (30 s, 5 min
    /// and 4 h for one that does not parse).
    pub fn group_timing(&self) -> GroupTiming {
        GroupTiming::new(
            duration("group_wait", &self.group_wait, 30),
            duration("group_interval", &self.group_interval, 300),
            duration("repeat_interval", &self.repeat_interval, 4 * 3600),
        )
    }
}

/// An alert that is pending or firing, with what is needed to notify about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActiveAlert {
    /// Its identity from one evaluation round to the next and in the store's active set:
    /// `rule`, the rule's name, the project and the column (empty for a dataset metric), or
    /// `slo`, the project, the SLO's name and the tier's long window, joined by U+001F.
    pub key: String,
    /// The rule's name (`ErrorBudgetBurn` for an SLO's burn-rate alert).
    pub alertname: String,
    /// The project whose data the alert is about.
    pub project: String,
    /// [`evaluate::fingerprint`] of `labels`: how receivers and the dispatcher tell
    /// alerts apart.
    pub fingerprint: String,
    /// The labels receivers and silences see: the rule's (or SLO's) own labels plus
    /// `alertname`, `project`, `severity` and, for a per-column metric, `column` (an SLO
    /// alert has `slo`, `long_window` and `short_window` instead of `column`).
    pub labels: BTreeMap<String, String>,
    /// Rendered with the latest value.
    pub annotations: BTreeMap<String, String>,
    /// Where its state machine is (pending or firing) and the latest value.
    pub state: AlertState,
    /// The rule's `for` and `keep_firing_for`, kept so that an alert whose rule is gone
    /// can still resolve.
    pub timing: Timing,
    /// The names of the receivers notified about it.
    pub receivers: Vec<String>,
    /// What makes it fire: the metric, how it is compared and the threshold (absent only
    /// in alerts stored by a version that did not keep it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<AlertCondition>,
}

/// The condition an alert fires on: `metric operator threshold`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertCondition {
    /// The rule's metric (`missing_share_excess`, `drift_score`, ...; `burn_rate` for an
    /// SLO's burn-rate alert).
    pub metric: String,
    /// How the value is compared with the threshold.
    pub operator: rules::Operator,
    /// The value compared with, in the metric's unit.
    pub threshold: f64,
}

/// The annotation every alert carries with the reason it fires (see
/// [`AlertCondition::describe`]); a rule's own annotation of that name is replaced.
pub const CONDITION_ANNOTATION: &str = "condition";

impl AlertCondition {
    /// The reason in words, with the latest `value`:
    /// `missing_share_excess is 0.025; fires when > 0.01`.
    pub fn describe(&self, value: f64) -> String {
        let threshold = rules::format_value(self.threshold);
        let op = self.operator.symbol();
        if value.is_finite() {
            format!(
                "{} is {}; fires when {op} {threshold}",
                self.metric,
                rules::format_value(value)
            )
        } else {
            format!("{} has no value; fires when {op} {threshold}", self.metric)
        }
    }
}

/// (time, accepted, rejected) samples of a project's ingestion counters.
type IngestSamples = VecDeque<(i64, u64, u64)>;

/// Everything the alerting keeps at run time (a field of [`AppState`]).
pub struct Alerts {
    /// The `[alerts]` section the server started with.
    pub config: AlertsConfig,
    /// The alert tables.
    pub store: Arc<dyn AlertStore>,
    external_url: String,
    api_rules: RwLock<Vec<Rule>>,
    active: Mutex<BTreeMap<String, ActiveAlert>>,
    dispatcher: Mutex<Dispatcher>,
    serving: Mutex<HashMap<(String, i64), ServingCounts>>,
    last_event: Mutex<HashMap<String, i64>>,
    ingest_history: Mutex<HashMap<String, IngestSamples>>,
    slo_status: RwLock<Vec<SloStatus>>,
    last_evaluation_us: Mutex<i64>,
    wake: Notify,
    outbox_wake: Notify,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Alerts {
    /// Takes the alert tables of the server's store and restores API rules and the
    /// alerts that were pending or firing.
    pub fn open(
        store: Arc<dyn AlertStore>,
        config: &crate::config::ServerConfig,
    ) -> Result<Self, StoreError> {
        let api_rules = store
            .rules()?
            .iter()
            .filter_map(|j| serde_json::from_str::<Rule>(j).ok())
            .collect();
        let now = now_us();
        let alerts = config.alerts.clone();
        let external_url = if alerts.external_url.is_empty() {
            format!("http://{}{}", config.listen, config.base_path)
        } else {
            alerts.external_url.trim_end_matches('/').to_string()
        };
        let (active, dispatcher) = restored(store.as_ref(), &external_url, now)?;
        Ok(Self {
            config: alerts,
            store,
            external_url,
            api_rules: RwLock::new(api_rules),
            active: Mutex::new(active),
            dispatcher: Mutex::new(dispatcher),
            serving: Mutex::new(HashMap::new()),
            last_event: Mutex::new(HashMap::new()),
            ingest_history: Mutex::new(HashMap::new()),
            slo_status: RwLock::new(Vec::new()),
            last_evaluation_us: Mutex::new(i64::MIN),
            wake: Notify::new(),
            outbox_wake: Notify::new(),
        })
    }

    /// Takes over the alerts as the store has them (this replica became leader; another
    /// may have evaluated meanwhile): the alerts pending or firing, and groups of firing
    /// alerts counted as notified now, as after a restart, so that nothing the previous
    /// leader sent is sent again.
    pub(crate) fn take_over(&self, now: i64) -> Result<(), StoreError> {
        let (active, dispatcher) = restored(self.store.as_ref(), &self.external_url, now)?;
        *lock(&self.active) = active;
        *lock(&self.dispatcher) = dispatcher;
        *lock(&self.last_evaluation_us) = i64::MIN;
        Ok(())
    }

    /// Takes the alerts pending or firing as the leader stored them (this replica follows),
    /// for `/metrics` and `/api/v1/alerts`.
    pub(crate) fn follow(&self) -> Result<(), StoreError> {
        let (active, _) = restored(self.store.as_ref(), &self.external_url, now_us())?;
        *lock(&self.active) = active;
        Ok(())
    }

    /// The base URL of this server in notifications (`externalURL`, `generatorURL`):
    /// `external_url` without its trailing `/`, or `http://<listen><base_path>`.
    pub fn external_url(&self) -> &str {
        &self.external_url
    }

    /// The alerts pending or firing.
    pub fn active(&self) -> Vec<ActiveAlert> {
        lock(&self.active).values().cloned().collect()
    }

    /// Every SLO's status as of the last evaluation round (empty before the first).
    pub fn slo_status(&self) -> Vec<SloStatus> {
        self.slo_status
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The rules created through the API.
    pub fn api_rules(&self) -> Vec<Rule> {
        self.api_rules
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Replaces the rules created through the API (after the store has them).
    pub(crate) fn set_api_rules(&self, rules: Vec<Rule>) {
        *self.api_rules.write().unwrap_or_else(|p| p.into_inner()) = rules;
    }

    /// Adds the serving facts of stored events to the current minute's bucket.
    pub(crate) fn record_serving(
        &self,
        project: &str,
        facts: &[crate::metrics::ServingFacts],
        now: i64,
    ) {
        // The time of the last event feeds `modelwatch_last_event_timestamp_seconds`, which
        // the exported no-data rules read even when modelwatch's own evaluation is off.
        lock(&self.last_event).insert(project.to_string(), now);
        if !self.config.enabled {
            // The evaluation loop that flushes the serving buckets does not run.
            return;
        }
        let mut n = ServingCounts::default();
        for fact in facts {
            if fact.is_empty() {
                continue;
            }
            n.requests += 1;
            if fact.is_failure() {
                n.errors += 1;
            }
            if let Some(l) = fact.latency_seconds {
                n.latency[crate::metrics::bucket_index(l)] += 1;
            }
        }
        if n.requests > 0 {
            lock(&self.serving)
                .entry((project.to_string(), now.div_euclid(60_000_000)))
                .or_default()
                .add(&n);
        }
    }

    /// Writes the buckets gathered since the last flush.
    pub(crate) fn flush_serving(&self) {
        let mut pending: Vec<((String, i64), ServingCounts)> =
            lock(&self.serving).drain().collect();
        // One order for every replica adding to the same buckets, so that their
        // transactions never wait on each other in a cycle.
        pending.sort_by(|a, b| a.0.cmp(&b.0));
        if let Err(e) = self.store.add_serving(&pending) {
            tracing::warn!(error = %e, "could not store serving counts; keeping them");
            let mut g = lock(&self.serving);
            for (k, n) in pending {
                g.entry(k).or_default().add(&n);
            }
        }
    }
}

/// The alerts pending or firing in `store`, and a dispatcher whose groups of firing alerts
/// count as notified at `now`.
fn restored(
    store: &dyn AlertStore,
    external_url: &str,
    now: i64,
) -> Result<(BTreeMap<String, ActiveAlert>, Dispatcher), StoreError> {
    let mut active = BTreeMap::new();
    let mut dispatcher = Dispatcher::default();
    for json in store.active()? {
        let Ok(a) = serde_json::from_str::<ActiveAlert>(&json) else {
            continue;
        };
        if a.state.status == state::AlertStatus::Firing {
            for r in &a.receivers {
                dispatcher.update(r, &a.project, evaluate::notice(&a, external_url), now);
            }
        }
        active.insert(a.key.clone(), a);
    }
    dispatcher.mark_all_sent(now);
    Ok((active, dispatcher))
}

/// Called by `post_events` after a successful write: the serving facts of the stored
/// events (latency, status, error).
pub(crate) fn record_serving(
    state: &AppState,
    project: &str,
    facts: &[crate::metrics::ServingFacts],
) {
    state.alerts.record_serving(project, facts, now_us());
}

/// Called by the scheduler after a snapshot is stored: evaluates the rules right away.
pub(crate) fn snapshot_taken(state: &AppState) {
    state.alerts.wake.notify_one();
}

const PRUNE_EVERY: Duration = Duration::from_secs(600);

/// The evaluation loop: every second it flushes serving counts and sends due
/// notifications to the outbox; every `evaluation_interval` (and after each snapshot) it
/// evaluates the rules. Among replicas sharing a store only the leader evaluates,
/// dispatches and prunes (each flushes the serving counts of what it ingested, and each
/// delivers outbox items, which the store hands out once). Returns after `stop` turns
/// true.
pub(crate) async fn run(state: Arc<AppState>, mut stop: watch::Receiver<bool>) {
    if !state.alerts.config.enabled {
        let _ = stop.changed().await;
        return;
    }
    let sender = tokio::spawn(send_loop(state.clone(), stop.clone()));
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_prune = tokio::time::Instant::now();
    // The leadership term whose alerts this loop holds: a new term (this replica became
    // leader again, after another led) takes the stored alerts over first. A store of one
    // process starts in term 1 with the alerts `Alerts::open` restored.
    let mut term_seen = if state.store.shared() { 0 } else { 1 };
    loop {
        let mut force = false;
        tokio::select! {
            _ = tick.tick() => {}
            () = state.alerts.wake.notified() => force = true,
            _ = stop.changed() => break,
        }
        if *stop.borrow() {
            break;
        }
        let prune = last_prune.elapsed() >= PRUNE_EVERY;
        if prune {
            last_prune = tokio::time::Instant::now();
        }
        let leads = state.leader.leads();
        let term = state.leader.term();
        let s = state.clone();
        let taken_over = tokio::task::spawn_blocking(move || {
            let now = now_us();
            s.alerts.flush_serving();
            if !leads {
                return false;
            }
            if term != term_seen {
                if let Err(e) = s.alerts.take_over(now) {
                    tracing::warn!(error = %e, "alerts: cannot read the stored alerts to take over");
                    return false;
                }
            }
            let due = {
                let last = *lock(&s.alerts.last_evaluation_us);
                force
                    || last == i64::MIN
                    || now - last >= s.alerts.config.evaluation().as_micros() as i64
            };
            if due {
                *lock(&s.alerts.last_evaluation_us) = now;
                evaluate::evaluate(&s, now);
            }
            evaluate::dispatch(&s, now);
            if prune {
                evaluate::prune(&s, now);
            }
            true
        })
        .await;
        if taken_over.unwrap_or(false) {
            term_seen = term;
        }
    }
    let s = state.clone();
    let _ = tokio::task::spawn_blocking(move || s.alerts.flush_serving()).await;
    let _ = sender.await;
}

/// The delivery loop: sends due outbox items, retrying failed ones with backoff.
async fn send_loop(state: Arc<AppState>, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(500)) => {}
            () = state.alerts.outbox_wake.notified() => {}
            _ = stop.changed() => break,
        }
        if *stop.borrow() {
            break;
        }
        let s = state.clone();
        let _ = tokio::task::spawn_blocking(move || evaluate::deliver_due(&s, now_us())).await;
    }
}

/// Writes the alert and SLO families of `/metrics`.
pub(crate) fn encode(state: &AppState, enc: &mut Encoder) {
    let a = &state.alerts;
    let active = a.active();
    enc.gauge(
        catalogue::ALERTS_FAMILY.name,
        catalogue::ALERTS_FAMILY.help,
        active.iter().map(|x| {
            (
                vec![
                    ("alertname", x.alertname.clone()),
                    ("project", x.project.clone()),
                    (
                        "severity",
                        x.labels.get("severity").cloned().unwrap_or_default(),
                    ),
                    ("alertstate", x.state.status.as_str().to_string()),
                ],
                1.0,
            )
        }),
    );
    let slos = a.slo_status();
    let p =
        |s: &SloStatus| -> Labels { vec![("project", s.project.clone()), ("slo", s.slo.clone())] };
    enc.gauge(
        catalogue::SLO_OBJECTIVE_FAMILY.name,
        catalogue::SLO_OBJECTIVE_FAMILY.help,
        slos.iter().map(|s| (p(s), s.objective)),
    );
    enc.gauge(
        catalogue::SLO_SLI_FAMILY.name,
        catalogue::SLO_SLI_FAMILY.help,
        slos.iter().filter_map(|s| s.sli.map(|v| (p(s), v))),
    );
    enc.gauge(
        catalogue::SLO_ERROR_BUDGET_REMAINING_FAMILY.name,
        catalogue::SLO_ERROR_BUDGET_REMAINING_FAMILY.help,
        slos.iter().map(|s| (p(s), s.error_budget_remaining)),
    );
    enc.gauge(
        catalogue::SLO_BURN_RATE_FAMILY.name,
        catalogue::SLO_BURN_RATE_FAMILY.help,
        slos.iter().flat_map(|s| {
            s.burn_rates.iter().filter_map(move |(w, b)| {
                b.map(|b| {
                    let mut l = p(s);
                    l.push(("window", w.clone()));
                    (l, b)
                })
            })
        }),
    );
    let mut projects: Vec<(String, Duration)> = state
        .projects()
        .values()
        .map(|p| {
            (
                p.name.clone(),
                p.config.schedule.interval().unwrap_or_default(),
            )
        })
        .collect();
    projects.sort();
    let last = lock(&a.last_event).clone();
    enc.gauge(
        catalogue::LAST_EVENT_TIMESTAMP_SECONDS_FAMILY.name,
        catalogue::LAST_EVENT_TIMESTAMP_SECONDS_FAMILY.help,
        projects.iter().filter_map(|(n, _)| {
            last.get(n)
                .map(|t| (vec![("project", n.clone())], *t as f64 / 1e6))
        }),
    );
    enc.gauge(
        catalogue::SCHEDULE_INTERVAL_SECONDS_FAMILY.name,
        catalogue::SCHEDULE_INTERVAL_SECONDS_FAMILY.help,
        projects
            .iter()
            .map(|(n, i)| (vec![("project", n.clone())], i.as_secs_f64())),
    );
}
