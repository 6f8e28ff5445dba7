//! The alert tables: rules created through the API, every state transition, the alerts
//! currently pending or firing (so a restart keeps them), silences, the notification
//! outbox (so a restart loses none) and minute buckets of the monitored model's serving
//! facts (for SLO windows).

use serde::Serialize;

use super::StoreError;

/// A stored transition of an alert from one state to another.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TransitionRecord {
    /// Assigned by the store (the value given to [`AlertStore::record`] is ignored);
    /// larger than the id of every transition recorded before it.
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
    /// The metric value at the transition; `None` when there was none. A value that is
    /// not finite is stored as `None`.
    pub value: Option<f64>,
    /// The alert's labels as a JSON object.
    pub labels: serde_json::Value,
    /// The alert's rendered annotations as a JSON object.
    pub annotations: serde_json::Value,
}

/// A stored silence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SilenceRecord {
    /// Assigned by the store (the value given to [`AlertStore::put_silence`] is ignored).
    pub id: i64,
    /// Label → value; an alert is silenced when all of them match.
    pub matchers: std::collections::BTreeMap<String, String>,
    /// When the silence starts, microseconds since the Unix epoch.
    pub starts_us: i64,
    /// When it ends (excluded), microseconds since the Unix epoch; moved to the time of
    /// [`AlertStore::expire_silence`] when it is ended early.
    pub ends_us: i64,
    /// Who created it (free text).
    pub created_by: String,
    /// Why (free text).
    pub comment: String,
}

/// A queued notification.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxItem {
    /// Assigned by the store: larger than the id of every item queued before it.
    pub id: i64,
    /// The receiver's name (an entry of `[[alerts.receivers]]`, or `log`).
    pub receiver: String,
    /// The request body to send, ready for the receiver's kind (JSON, or a log line).
    pub body: String,
    /// Failed deliveries so far.
    pub attempts: u32,
    /// When it was queued, microseconds since the Unix epoch.
    pub created_us: i64,
}

/// Counts of monitored-model requests over a span of minutes: one minute bucket as
/// stored, or the sum of several.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ServingCounts {
    /// Requests with any serving fact (latency, status or error).
    pub requests: u64,
    /// Requests with an error or a 5xx status.
    pub errors: u64,
    /// Requests with a latency, per bucket: index `i` counts latencies up to
    /// [`crate::metrics::DEFAULT_BUCKETS`]`[i]` seconds and above the bucket before
    /// (not cumulative); the last index counts those above the highest bound (`+Inf`).
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
/// the store keeps them opaque and returns them byte for byte.
///
/// The guarantees of [`Store`](super::Store) hold here too: calls may come from several
/// threads, a read sees every write that returned `Ok` before it, something missing is
/// `Ok(false)` or an empty list rather than an error, and times are microseconds since the
/// Unix epoch. Serving buckets are keyed by minutes since the Unix epoch
/// (`ts_us.div_euclid(60_000_000)`).
pub trait AlertStore: Send + Sync + 'static {
    /// The JSON of every rule created through the API, by name then project.
    fn rules(&self) -> Result<Vec<String>, StoreError>;
    /// Creates or replaces the API rule `name` of `project` (`""`: every project); a rule
    /// is keyed by the pair.
    fn put_rule(&self, name: &str, project: &str, json: &str) -> Result<(), StoreError>;
    /// Deletes an API rule; `false` when there was none.
    fn delete_rule(&self, name: &str, project: &str) -> Result<bool, StoreError>;

    /// Stores one evaluation round in one transaction: appends `transitions` in the given
    /// order (assigning their ids), then writes `upserts` (key, JSON) into the active set,
    /// replacing an alert of the same key, and deletes the keys in `removals` (an absent key
    /// is no error). On `Err` nothing of the round is stored.
    fn record(
        &self,
        transitions: &[TransitionRecord],
        upserts: &[(String, String)],
        removals: &[String],
    ) -> Result<(), StoreError>;
    /// The JSON of every alert pending or firing, by key.
    fn active(&self) -> Result<Vec<String>, StoreError>;
    /// At most `limit` transitions, newest first (by id), of one project and one rule when
    /// given (`None`: all).
    fn history(
        &self,
        project: Option<&str>,
        alertname: Option<&str>,
        limit: usize,
    ) -> Result<Vec<TransitionRecord>, StoreError>;

    /// Stores a new silence; returns the id it assigned.
    fn put_silence(&self, s: &SilenceRecord) -> Result<i64, StoreError>;
    /// Ends a silence at `now_us` (one that already ended keeps its earlier end); `false`
    /// when there is none with this id.
    fn expire_silence(&self, id: i64, now_us: i64) -> Result<bool, StoreError>;
    /// Silences ending after `after_us` (those not started yet included), newest first (by
    /// id).
    fn silences(&self, after_us: i64) -> Result<Vec<SilenceRecord>, StoreError>;

    /// Queues (receiver, body) notifications in one transaction, in the given order, with
    /// no attempts yet, due and created at `now_us`.
    fn enqueue(&self, items: &[(String, String)], now_us: i64) -> Result<(), StoreError>;
    /// At most `limit` queued notifications due at `now_us` (due time `<= now_us`), in
    /// queueing order (by id). The caller ends each with [`AlertStore::delivered`] or
    /// [`AlertStore::retry_later`]. A back end shared by several processes may claim what it
    /// returns, so that two of them never send the same notification at once (PostgreSQL:
    /// the items are not due again for a lease unless retried, see
    /// [`super::postgres::alerts::CLAIM_LEASE_US`]).
    fn due(&self, now_us: i64, limit: usize) -> Result<Vec<OutboxItem>, StoreError>;
    /// Removes a notification that was delivered (or given up); an unknown id is no error.
    fn delivered(&self, id: i64) -> Result<(), StoreError>;
    /// Counts a failed delivery (`attempts` + 1), keeps `error` as its last error and makes
    /// the notification due again at `next_us`; an unknown id is no error.
    fn retry_later(&self, id: i64, next_us: i64, error: &str) -> Result<(), StoreError>;

    /// Adds counts to the (project, minute) buckets in one transaction, creating the
    /// buckets that do not exist yet.
    fn add_serving(&self, buckets: &[((String, i64), ServingCounts)]) -> Result<(), StoreError>;
    /// Sums the buckets of `project` of minutes `>= from_minute`; all zero when there are
    /// none.
    fn serving_since(&self, project: &str, from_minute: i64) -> Result<ServingCounts, StoreError>;

    /// Deletes serving buckets of minutes before `minute`, transitions before `ts_us`, and
    /// silences that ended before `ts_us`, for every project. The three deletions need not
    /// share a transaction.
    fn prune(&self, minute: i64, ts_us: i64) -> Result<(), StoreError>;
}
