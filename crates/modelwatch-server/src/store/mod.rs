//! Persistence behind traits, so that a PostgreSQL store can follow the SQLite one as one
//! new module, without touching ingestion, reports, metrics or alerts.
//!
//! Two traits split the tables by who uses them, and one back end implements both:
//! - [`Store`]: projects, events and snapshots, written by the ingest writer thread, the
//!   scheduler and the project routes;
//! - [`AlertStore`] ([`alerts`]): alert rules, transitions, active alerts, silences, the
//!   notification outbox and serving-fact minute buckets, written by the alert evaluation
//!   and delivery loops.
//!
//! They are separate because a back end serves them separately: the SQLite one gives the
//! alert tables their own writing connection, so an evaluation round never waits behind a
//! group commit of events (a pooled back end would hand each half its pool). A
//! [`Store`] hands out its alert half with [`Store::alerts`], so the server opens one
//! store and every table comes from it. The schema is the back end's own, with numbered
//! migrations (see [`sqlite::migrations`]).
//!
//! Every method is synchronous: the server calls them from blocking threads
//! (`tokio::task::spawn_blocking`) or from its single ingest writer thread.

pub mod alerts;
pub mod sqlite;

use std::sync::Arc;

pub use alerts::{AlertStore, OutboxItem, ServingCounts, SilenceRecord, TransitionRecord};
use serde::Serialize;

/// A stored project: its settings as JSON (see [`crate::project::ProjectConfig`]) and its
/// reference dataset as uploaded.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectRecord {
    pub name: String,
    /// The serde JSON form of the project's configuration.
    pub config_json: String,
    /// The reference file's bytes and format name (`csv`, `parquet`, `jsonl`), if uploaded.
    pub reference: Option<(Vec<u8>, String)>,
    /// Microseconds since the Unix epoch.
    pub created_us: i64,
    pub updated_us: i64,
}

/// One event to store: the validated column values and the serving facts.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// Event time, microseconds since the Unix epoch.
    pub ts_us: i64,
    pub event_id: Option<String>,
    /// The column values as a JSON object.
    pub values_json: String,
    pub latency_seconds: Option<f64>,
    pub status: Option<u16>,
    pub error: Option<String>,
}

/// The events of one ingest request, written in one transaction with the other batches
/// queued at the same time.
#[derive(Debug, Clone)]
pub struct EventBatch {
    pub project: String,
    pub events: Vec<NewEvent>,
}

/// An event as read back for a report window.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub seq: i64,
    pub ts_us: i64,
    pub event_id: Option<String>,
    pub values_json: String,
    /// The target joined later through the labels endpoint (a JSON value).
    pub label_json: Option<String>,
}

/// Which events a window holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WindowQuery {
    /// The last `n` events by time.
    Last(usize),
    /// Events with `from_us <= ts < to_us`.
    Range { from_us: i64, to_us: i64 },
}

/// One snapshot: a scheduled run's results and its flat metrics.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SnapshotMeta {
    pub id: i64,
    /// When the snapshot was taken, microseconds since the Unix epoch.
    pub taken_us: i64,
    pub window_from_us: i64,
    pub window_to_us: i64,
    pub rows: i64,
}

/// A metric value of a snapshot, for series and gauges.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SnapshotMetric {
    pub metric: String,
    /// Empty for dataset-level metrics.
    pub column: String,
    pub value: f64,
}

/// A point of a metric's history.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SeriesPoint {
    pub taken_us: i64,
    pub value: f64,
}

/// A failure of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(String),
    #[error("project `{0}` does not exist")]
    NoProject(String),
    /// The file was written by a newer modelwatch; opening it is refused.
    #[error(
        "database schema version {found} is newer than this modelwatch supports \
         ({supported}); upgrade modelwatch"
    )]
    SchemaTooNew {
        /// The version recorded in the database.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
}

/// The persistence of projects, events and snapshots, and the door to the alert tables.
pub trait Store: Send + Sync + 'static {
    /// The alert tables of the same database.
    fn alerts(&self) -> Arc<dyn AlertStore>;

    /// Creates or replaces a project.
    fn put_project(&self, project: &ProjectRecord) -> Result<(), StoreError>;
    fn get_project(&self, name: &str) -> Result<Option<ProjectRecord>, StoreError>;
    fn list_projects(&self) -> Result<Vec<ProjectRecord>, StoreError>;
    /// Deletes a project with its events and snapshots; `false` when it did not exist.
    fn delete_project(&self, name: &str) -> Result<bool, StoreError>;

    /// Writes all batches in one transaction; returns when they are durable.
    fn insert_events(&self, batches: &[EventBatch]) -> Result<(), StoreError>;
    /// Joins labels to stored events by event id; returns, per pair, how many events got it.
    fn attach_labels(
        &self,
        project: &str,
        labels: &[(String, String)],
    ) -> Result<Vec<usize>, StoreError>;
    /// The events of a window, oldest first.
    fn events(&self, project: &str, window: WindowQuery) -> Result<Vec<StoredEvent>, StoreError>;
    /// The events of a window, oldest first, thinned to about `max_rows` when it holds
    /// more: every k-th event by arrival order (k = ceil(total / max_rows)), so a long or
    /// busy window keeps its shape at a bounded cost. Returns the events and the window's
    /// full size.
    fn sample_events(
        &self,
        project: &str,
        window: WindowQuery,
        max_rows: usize,
    ) -> Result<(Vec<StoredEvent>, u64), StoreError>;
    /// How many events a project has stored.
    fn count_events(&self, project: &str) -> Result<u64, StoreError>;

    fn put_snapshot(
        &self,
        project: &str,
        meta: &SnapshotMeta,
        results_json: &str,
        metrics: &[SnapshotMetric],
    ) -> Result<i64, StoreError>;
    /// Snapshots taken in `[from_us, to_us)`, newest first, at most `limit`.
    fn list_snapshots(
        &self,
        project: &str,
        from_us: i64,
        to_us: i64,
        limit: usize,
    ) -> Result<Vec<SnapshotMeta>, StoreError>;
    /// A snapshot's results JSON.
    fn snapshot_results(&self, project: &str, id: i64) -> Result<Option<String>, StoreError>;
    /// The newest snapshot of a project with its metrics.
    fn latest_snapshot(
        &self,
        project: &str,
    ) -> Result<Option<(SnapshotMeta, Vec<SnapshotMetric>)>, StoreError>;
    /// One metric's values over snapshots taken in `[from_us, to_us)`, oldest first.
    fn series(
        &self,
        project: &str,
        metric: &str,
        column: &str,
        from_us: i64,
        to_us: i64,
    ) -> Result<Vec<SeriesPoint>, StoreError>;

    /// Every metric of the snapshots taken in `[from_us, to_us)`, oldest first, keyed by
    /// (metric, column): what a page charting many series reads in one query.
    fn all_series(
        &self,
        project: &str,
        from_us: i64,
        to_us: i64,
    ) -> Result<std::collections::HashMap<(String, String), Vec<SeriesPoint>>, StoreError>;

    /// Deletes events older than `events_before_us` and snapshots older than
    /// `snapshots_before_us`; returns how many of each went.
    fn prune(
        &self,
        events_before_us: i64,
        snapshots_before_us: i64,
    ) -> Result<(u64, u64), StoreError>;
}
