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
//! migrations (see [`sqlite::migrations`] and [`postgres::migrations`]).
//!
//! Every method is synchronous: the server calls them from blocking threads
//! (`tokio::task::spawn_blocking`) or from its single ingest writer thread.

pub mod alerts;
#[cfg(test)]
mod contract;
pub mod postgres;
pub mod sqlite;

use std::sync::Arc;

pub use alerts::{AlertStore, OutboxItem, ServingCounts, SilenceRecord, TransitionRecord};
use serde::Serialize;

/// A stored project: its settings as JSON (see [`crate::project::ProjectConfig`]) and its
/// reference dataset as uploaded.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectRecord {
    /// The project's name, its key: unique, compared byte for byte, any UTF-8 text.
    pub name: String,
    /// The serde JSON form of the project's configuration.
    pub config_json: String,
    /// The reference file's bytes and format name (`csv`, `parquet`, `jsonl`), if uploaded.
    pub reference: Option<(Vec<u8>, String)>,
    /// When the project was first created, microseconds since the Unix epoch; kept by
    /// [`Store::put_project`] when it replaces an existing project.
    pub created_us: i64,
    /// When the project was last created or replaced, microseconds since the Unix epoch.
    pub updated_us: i64,
}

/// What [`Store::put_project`] does to a project's thumbnails, in the transaction that
/// writes the project: a reference's thumbnails stand for rows of that reference, so they
/// change with it and never apart from it.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum ThumbnailChange {
    /// Leave every thumbnail as it is (the reference is the one stored).
    #[default]
    Keep,
    /// Replace the reference thumbnails by these: (image column, reference row, JPEG);
    /// none deletes them (a new reference that is not a zip of images). Event thumbnails
    /// are kept.
    ReplaceReference(Vec<(String, usize, Vec<u8>)>),
    /// Delete every thumbnail of the project, its reference's and its events' (the
    /// project's `thumbnails` setting is off).
    DeleteAll,
}

/// One event to store: the validated column values and the serving facts.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// Event time, microseconds since the Unix epoch.
    pub ts_us: i64,
    /// The caller's id of the event, which labels are later joined on; not unique (a
    /// label reaches every event of the project with this id).
    pub event_id: Option<String>,
    /// The column values as a JSON object.
    pub values_json: String,
    /// How long the monitored model took to answer, in seconds.
    pub latency_seconds: Option<f64>,
    /// The monitored model's response status (an HTTP status code; 5xx counts as an error).
    pub status: Option<u16>,
    /// The monitored model's error message, when it failed.
    pub error: Option<String>,
    /// Small JPEG thumbnails of the event's images, stored beside it and deleted with it.
    pub thumbnails: Vec<Thumbnail>,
}

/// A small JPEG of one image of an event (see `ingest::images`).
#[derive(Debug, Clone, PartialEq)]
pub struct Thumbnail {
    /// The image column the image was sent in.
    pub column: String,
    /// The JPEG bytes.
    pub jpeg: Vec<u8>,
}

/// The events of one ingest request, written in one transaction with the other batches
/// queued at the same time.
#[derive(Debug, Clone)]
pub struct EventBatch {
    /// The project the events belong to; the store does not check that it exists.
    pub project: String,
    /// The events, in arrival order.
    pub events: Vec<NewEvent>,
}

/// An event as read back for a report window.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// Assigned by the store: larger than the `seq` of every event stored before it (of
    /// any project), so it orders events of the same time by arrival.
    pub seq: i64,
    /// Event time, microseconds since the Unix epoch.
    pub ts_us: i64,
    /// The caller's id of the event, as given to [`NewEvent::event_id`].
    pub event_id: Option<String>,
    /// The column values as a JSON object, as given to [`NewEvent::values_json`].
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
    Range {
        /// Start of the window (included), microseconds since the Unix epoch.
        from_us: i64,
        /// End of the window (excluded), microseconds since the Unix epoch.
        to_us: i64,
    },
}

/// What is known about a snapshot besides its results: when it was taken and which
/// window it covers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SnapshotMeta {
    /// Assigned by the store in [`Store::put_snapshot`] (the value given there is
    /// ignored): unique among stored snapshots of every project, and larger than the id
    /// of every snapshot stored before it.
    pub id: i64,
    /// When the snapshot was taken, microseconds since the Unix epoch.
    pub taken_us: i64,
    /// Start of the window the presets ran on (included), microseconds since the epoch.
    pub window_from_us: i64,
    /// End of the window (excluded), microseconds since the Unix epoch.
    pub window_to_us: i64,
    /// How many events the presets ran on (after thinning to `schedule.max_rows`).
    pub rows: i64,
}

/// A metric value of a snapshot, for series and gauges.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SnapshotMetric {
    /// The metric's name, an entry of [`crate::catalogue::SNAPSHOT_METRICS`].
    pub metric: String,
    /// The column (for a per-label metric, the label) it is about; empty for
    /// dataset-level metrics.
    pub column: String,
    /// The value, in the metric's own unit (a share 0..1, a score, a count).
    pub value: f64,
}

/// A point of a metric's history.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SeriesPoint {
    /// When the snapshot holding the value was taken, microseconds since the Unix epoch.
    pub taken_us: i64,
    /// The metric's value in that snapshot.
    pub value: f64,
}

/// A failure of the store.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The back end failed for a reason that would fail again (a corrupt file, a failed
    /// migration, a value the database refuses); the text is the back end's own message. A write documented as one
    /// transaction left nothing of itself behind.
    #[error("database error: {0}")]
    Database(String),
    /// The database cannot serve the request now, for a reason that passes: a lost or
    /// refused connection, a server restarting, a busy or locked file, a transaction that
    /// must be tried again. Nothing of a write that failed so is stored.
    #[error("database unavailable: {0}")]
    Unavailable(String),
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
    /// The database file cannot be written (a read-only file or folder, a full disk); the
    /// text is the reason. Checked when the store opens, so that the service does not
    /// start and answer ready while every write would fail.
    #[error("the database cannot be written: {0}")]
    NotWritable(String),
}

/// The persistence of projects, events and snapshots, and the door to the alert tables.
///
/// What every back end guarantees:
/// - Methods may be called from several threads at once; a read sees every write that
///   returned `Ok` before it began.
/// - A write is atomic: the methods that take several rows (or touch several tables) run
///   in one transaction, and on `Err` none of their changes is stored.
/// - Something missing is not an error: an unknown project or id gives `Ok(None)`,
///   `Ok(false)`, an empty list or a zero count. Events and snapshots are keyed by the
///   project's name alone; the store does not check that the project exists (the service
///   layer does).
/// - Times are microseconds since the Unix epoch; time ranges are half-open
///   (`from_us <= t < to_us`).
/// - Names and JSON are stored and returned byte for byte.
pub trait Store: Send + Sync + 'static {
    /// The alert tables of the same database, as a shared handle (every call reaches the
    /// same tables).
    fn alerts(&self) -> Arc<dyn AlertStore>;

    /// Creates a project, or replaces an existing one's configuration, reference and
    /// `updated_us`; a replaced project keeps its stored `created_us`. Its events and
    /// snapshots are left as they are; its thumbnails change as `thumbnails` says, in the
    /// same transaction.
    fn put_project(
        &self,
        project: &ProjectRecord,
        thumbnails: &ThumbnailChange,
    ) -> Result<(), StoreError>;
    /// The project named `name`; `None` when there is none.
    fn get_project(&self, name: &str) -> Result<Option<ProjectRecord>, StoreError>;
    /// Every project, by name (byte order).
    fn list_projects(&self) -> Result<Vec<ProjectRecord>, StoreError>;
    /// Deletes a project with its events (and their thumbnails), snapshots, snapshot
    /// metrics and reference thumbnails in one transaction; `false` when the project did not exist (events or snapshots stored
    /// under its name are deleted all the same). The alert tables keep their rows.
    fn delete_project(&self, name: &str) -> Result<bool, StoreError>;

    /// The name and `updated_us` of every project, by name (byte order): what a replica
    /// compares with its own map to learn which projects another replica changed, without
    /// reading their references.
    fn project_versions(&self) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(self
            .list_projects()?
            .into_iter()
            .map(|p| (p.name, p.updated_us))
            .collect())
    }

    /// Whether other `serve` processes may share this store (PostgreSQL): they then take
    /// turns leading ([`Store::try_lead`]) and read each other's changes. A store of one
    /// process (SQLite) answers `false` and its process always leads.
    fn shared(&self) -> bool {
        false
    }

    /// Takes or confirms the leadership among the processes sharing this store: `true`
    /// while this one holds it. A store of one process always answers `true`.
    fn try_lead(&self) -> Result<bool, StoreError> {
        Ok(true)
    }

    /// Gives up the leadership taken by [`Store::try_lead`], if held, so that another
    /// process takes over without waiting.
    fn resign(&self) {}

    /// Commits one small write, to learn whether the store can write now (a full disk
    /// freed, a file made writable again); `/readyz` calls it while commits are failing.
    fn check_writable(&self) -> Result<(), StoreError>;

    /// Writes every event of every batch in one transaction and returns once it is
    /// committed with the configured durability: on `Ok` all are stored, on `Err` none.
    /// `seq` is assigned in the order of the batches and of their events. Event ids are not
    /// checked for duplicates.
    fn insert_events(&self, batches: &[EventBatch]) -> Result<(), StoreError>;
    /// Sets the label (a JSON value) of every event of `project` with the given event id,
    /// replacing an earlier label, for each `(event_id, label)` pair in one transaction.
    /// Returns, per pair in order, how many events got it; 0 when no event has that id (the
    /// label is not kept for events that arrive later).
    fn attach_labels(
        &self,
        project: &str,
        labels: &[(String, String)],
    ) -> Result<Vec<usize>, StoreError>;
    /// The events of a window, oldest first (by `ts_us`, then `seq`): for
    /// [`WindowQuery::Last`] the `n` newest in that order.
    fn events(&self, project: &str, window: WindowQuery) -> Result<Vec<StoredEvent>, StoreError>;
    /// The events of a window, oldest first, thinned to about `max_rows` (0 counts as 1)
    /// when it holds more: every k-th event of the window in (`ts_us`, `seq`) order, with
    /// k = ceil(total / max_rows), counted from the oldest event of a range and from the
    /// newest of [`WindowQuery::Last`] (so the newest event is always kept). A long or busy
    /// window keeps its shape at a bounded cost. Returns the events and the window's full
    /// size (for `Last(n)`, at most `n`).
    fn sample_events(
        &self,
        project: &str,
        window: WindowQuery,
        max_rows: usize,
    ) -> Result<(Vec<StoredEvent>, u64), StoreError>;
    /// How many events a project has stored.
    fn count_events(&self, project: &str) -> Result<u64, StoreError>;

    /// Stores a snapshot (its window from `meta`, its results JSON as given, its flat
    /// metrics) in one transaction and returns the id it assigned (`meta.id` is ignored).
    fn put_snapshot(
        &self,
        project: &str,
        meta: &SnapshotMeta,
        results_json: &str,
        metrics: &[SnapshotMetric],
    ) -> Result<i64, StoreError>;
    /// Snapshots taken in `[from_us, to_us)`, newest first (by `taken_us`, then id), at
    /// most `limit`.
    fn list_snapshots(
        &self,
        project: &str,
        from_us: i64,
        to_us: i64,
        limit: usize,
    ) -> Result<Vec<SnapshotMeta>, StoreError>;
    /// A snapshot's results JSON as stored; `None` when `project` has no snapshot with
    /// this id (also when the id is another project's).
    fn snapshot_results(&self, project: &str, id: i64) -> Result<Option<String>, StoreError>;
    /// The newest snapshot of a project (largest `taken_us`, then id) with all its
    /// metrics, in no particular order; `None` when it has none.
    fn latest_snapshot(
        &self,
        project: &str,
    ) -> Result<Option<(SnapshotMeta, Vec<SnapshotMetric>)>, StoreError>;
    /// One metric's values over snapshots taken in `[from_us, to_us)`, oldest first (by
    /// `taken_us`, then id); `column` is empty for a dataset-level metric. Snapshots
    /// without that metric give no point.
    fn series(
        &self,
        project: &str,
        metric: &str,
        column: &str,
        from_us: i64,
        to_us: i64,
    ) -> Result<Vec<SeriesPoint>, StoreError>;

    /// Every metric of the snapshots taken in `[from_us, to_us)`, keyed by
    /// (metric, column), each series oldest first: what a page charting many series reads
    /// in one query.
    fn all_series(
        &self,
        project: &str,
        from_us: i64,
        to_us: i64,
    ) -> Result<std::collections::HashMap<(String, String), Vec<SeriesPoint>>, StoreError>;

    /// The thumbnails of the events of `project` with the given `seq`s: (seq, image
    /// column, JPEG), in no particular order. Thumbnails are written with their events by
    /// [`Store::insert_events`] and deleted with them (retention, project deletion).
    fn event_thumbnails(
        &self,
        project: &str,
        seqs: &[i64],
    ) -> Result<Vec<(i64, String, Vec<u8>)>, StoreError>;
    /// The reference thumbnails of `project`'s image column `column` at the given reference
    /// rows: (row, JPEG), in no particular order; rows without one are left out.
    fn reference_thumbnails(
        &self,
        project: &str,
        column: &str,
        rows: &[usize],
    ) -> Result<Vec<(usize, Vec<u8>)>, StoreError>;

    /// Deletes, in one transaction and for every project, the events with `ts_us` before
    /// `events_before_us` and the snapshots (with their metrics) taken before
    /// `snapshots_before_us`; returns how many events and snapshots went. Projects and the
    /// alert tables are left as they are.
    fn prune(
        &self,
        events_before_us: i64,
        snapshots_before_us: i64,
    ) -> Result<(u64, u64), StoreError>;
}
