//! The alert tables: rules created through the API, every state transition, the alerts
//! currently pending or firing (so a restart keeps them), silences, the notification
//! outbox (so a restart loses none) and minute buckets of the monitored model's serving
//! facts (for SLO windows).

use serde::Serialize;

use super::StoreError;

/// A stored transition of an alert from one state to another.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TransitionRecord {
    /// Assigned by the store; newer transitions have larger ids.
    pub id: i64,
    /// When the transition happened, microseconds since the Unix epoch.
    pub ts_us: i64,
    /// The rule's name (the `alertname` label).
    pub alertname: String,
    /// The project the alert belongs to.
    pub project: String,
    /// The alert's identity within the rule (a hash of its labels).
    pub fingerprint: String,
    /// The state it left (`inactive`, `pending`, `firing`).
    pub from: String,
    /// The state it entered (`pending`, `firing`, `resolved`, `inactive`).
    pub to: String,
    /// The metric value at the transition; `None` when there was none (or not finite).
    pub value: Option<f64>,
    /// The alert's labels as a JSON object.
    pub labels: serde_json::Value,
    /// The alert's rendered annotations as a JSON object.
    pub annotations: serde_json::Value,
}

/// A stored silence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SilenceRecord {
    /// Assigned by the store.
    pub id: i64,
    /// Label → value; an alert is silenced when all of them match.
    pub matchers: std::collections::BTreeMap<String, String>,
    /// Microseconds since the Unix epoch.
    pub starts_us: i64,
    /// Microseconds since the Unix epoch.
    pub ends_us: i64,
    /// Who created it (free text).
    pub created_by: String,
    /// Why (free text).
    pub comment: String,
}

/// A queued notification.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxItem {
    /// Assigned by the store, in queueing order.
    pub id: i64,
    /// The receiver's name.
    pub receiver: String,
    /// The request body to send.
    pub body: String,
    /// Failed deliveries so far.
    pub attempts: u32,
    /// When it was queued, microseconds since the Unix epoch.
    pub created_us: i64,
}

/// Counts of monitored-model requests over a span of minutes.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ServingCounts {
    /// Requests with any serving fact (latency, status or error).
    pub requests: u64,
    /// Requests with an error or a 5xx status.
    pub errors: u64,
    /// Timed requests per latency bucket of [`crate::metrics::DEFAULT_BUCKETS`] plus
    /// `+Inf` (not cumulative).
    pub latency: [u64; 12],
}

impl ServingCounts {
    /// Adds another span's counts to these.
    pub fn add(&mut self, o: &ServingCounts) {
        self.requests += o.requests;
        self.errors += o.errors;
        for (a, b) in self.latency.iter_mut().zip(o.latency) {
            *a += b;
        }
    }
}

/// The persistence of the alerting: what [`crate::alerts::Alerts`] reads and writes.
///
/// Rules and active alerts are stored as their serde JSON, which the alerts module owns;
/// the store keeps them opaque.
pub trait AlertStore: Send + Sync + 'static {
    /// The JSON of every rule created through the API, by name then project.
    fn rules(&self) -> Result<Vec<String>, StoreError>;
    /// Creates or replaces the API rule `name` of `project` (`""`: every project).
    fn put_rule(&self, name: &str, project: &str, json: &str) -> Result<(), StoreError>;
    /// Deletes an API rule; `false` when there was none.
    fn delete_rule(&self, name: &str, project: &str) -> Result<bool, StoreError>;

    /// Stores transitions and the changes of the active set in one transaction:
    /// `upserts` (key, JSON) and `removals` (keys).
    fn record(
        &self,
        transitions: &[TransitionRecord],
        upserts: &[(String, String)],
        removals: &[String],
    ) -> Result<(), StoreError>;
    /// The JSON of every alert pending or firing, by key.
    fn active(&self) -> Result<Vec<String>, StoreError>;
    /// Transitions, newest first, optionally of one project and one rule.
    fn history(
        &self,
        project: Option<&str>,
        alertname: Option<&str>,
        limit: usize,
    ) -> Result<Vec<TransitionRecord>, StoreError>;

    /// Stores a new silence; returns its id.
    fn put_silence(&self, s: &SilenceRecord) -> Result<i64, StoreError>;
    /// Ends a silence now; `false` when there is none with this id.
    fn expire_silence(&self, id: i64, now_us: i64) -> Result<bool, StoreError>;
    /// Silences ending after `after_us`, newest first.
    fn silences(&self, after_us: i64) -> Result<Vec<SilenceRecord>, StoreError>;

    /// Queues (receiver, body) notifications, due now.
    fn enqueue(&self, items: &[(String, String)], now_us: i64) -> Result<(), StoreError>;
    /// Notifications due at `now_us`, oldest first.
    fn due(&self, now_us: i64, limit: usize) -> Result<Vec<OutboxItem>, StoreError>;
    /// Removes a notification that was delivered (or given up).
    fn delivered(&self, id: i64) -> Result<(), StoreError>;
    /// Counts a failed delivery and makes the notification due again at `next_us`.
    fn retry_later(&self, id: i64, next_us: i64, error: &str) -> Result<(), StoreError>;

    /// Adds counts to the (project, minute) buckets.
    fn add_serving(&self, buckets: &[((String, i64), ServingCounts)]) -> Result<(), StoreError>;
    /// Sums the buckets of minutes `>= from_minute`.
    fn serving_since(&self, project: &str, from_minute: i64) -> Result<ServingCounts, StoreError>;

    /// Deletes serving buckets before `minute`, and transitions and silences that ended
    /// before `ts_us`.
    fn prune(&self, minute: i64, ts_us: i64) -> Result<(), StoreError>;
}
