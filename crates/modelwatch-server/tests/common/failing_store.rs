//! A store whose event writes fail on demand: the SQLite store, except that
//! `insert_events`, `attach_labels` and `check_writable` fail while `full` is set (a full
//! disk), commits holding a batch of `refused_project` fail as a refused value would, and
//! the next commit can be made slow.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use modelwatch_server::store::sqlite::{Durability, SqliteStore};
use modelwatch_server::store::*;

impl FailingWrites {
    /// A SQLite store at `path` that writes until `full` is set.
    pub fn open(path: &std::path::Path) -> (Self, Arc<AtomicBool>) {
        let full = Arc::new(AtomicBool::new(false));
        let store = Self {
            inner: SqliteStore::open(path, Durability::Normal).unwrap(),
            full: full.clone(),
            refused_project: Arc::new(Mutex::new(None)),
            slow_once: Arc::new(AtomicBool::new(false)),
        };
        (store, full)
    }
}

/// The SQLite store, except that event commits fail while `full` is set.
pub struct FailingWrites {
    pub inner: SqliteStore,
    pub full: Arc<AtomicBool>,
    /// A commit holding a batch of this project fails as a value the database refuses
    /// would (`StoreError::Database`).
    pub refused_project: Arc<Mutex<Option<String>>>,
    /// The next commit takes 300 ms (so that writes queue behind it).
    pub slow_once: Arc<AtomicBool>,
}

impl Store for FailingWrites {
    fn alerts(&self) -> Arc<dyn AlertStore> {
        self.inner.alerts()
    }
    fn put_project(&self, p: &ProjectRecord, t: &ThumbnailChange) -> Result<(), StoreError> {
        self.inner.put_project(p, t)
    }
    fn get_project(&self, name: &str) -> Result<Option<ProjectRecord>, StoreError> {
        self.inner.get_project(name)
    }
    fn list_projects(&self) -> Result<Vec<ProjectRecord>, StoreError> {
        self.inner.list_projects()
    }
    fn delete_project(&self, name: &str) -> Result<bool, StoreError> {
        self.inner.delete_project(name)
    }
    fn insert_events(&self, batches: &[EventBatch]) -> Result<(), StoreError> {
        if self.slow_once.swap(false, Ordering::SeqCst) {
            std::thread::sleep(std::time::Duration::from_millis(300));
        }
        if self.full.load(Ordering::SeqCst) {
            return Err(StoreError::NotWritable("database or disk is full".into()));
        }
        let refused = self.refused_project.lock().unwrap().clone();
        if batches.iter().any(|b| Some(&b.project) == refused.as_ref()) {
            return Err(StoreError::Database("invalid byte sequence (22021)".into()));
        }
        self.inner.insert_events(batches)
    }
    fn check_writable(&self) -> Result<(), StoreError> {
        if self.full.load(Ordering::SeqCst) {
            return Err(StoreError::NotWritable("database or disk is full".into()));
        }
        self.inner.check_writable()
    }
    fn attach_labels(&self, p: &str, l: &[(String, String)]) -> Result<Vec<usize>, StoreError> {
        if self.full.load(Ordering::SeqCst) {
            return Err(StoreError::NotWritable("database or disk is full".into()));
        }
        self.inner.attach_labels(p, l)
    }
    fn events(&self, p: &str, w: WindowQuery) -> Result<Vec<StoredEvent>, StoreError> {
        self.inner.events(p, w)
    }
    fn sample_events(
        &self,
        p: &str,
        w: WindowQuery,
        max_rows: usize,
    ) -> Result<(Vec<StoredEvent>, u64), StoreError> {
        self.inner.sample_events(p, w, max_rows)
    }
    fn count_events(&self, p: &str) -> Result<u64, StoreError> {
        self.inner.count_events(p)
    }
    fn event_thumbnails(
        &self,
        p: &str,
        seqs: &[i64],
    ) -> Result<Vec<(i64, String, Vec<u8>)>, StoreError> {
        self.inner.event_thumbnails(p, seqs)
    }
    fn reference_thumbnails(
        &self,
        p: &str,
        c: &str,
        rows: &[usize],
    ) -> Result<Vec<(usize, Vec<u8>)>, StoreError> {
        self.inner.reference_thumbnails(p, c, rows)
    }
    fn put_snapshot(
        &self,
        p: &str,
        meta: &SnapshotMeta,
        results: &str,
        metrics: &[SnapshotMetric],
    ) -> Result<i64, StoreError> {
        self.inner.put_snapshot(p, meta, results, metrics)
    }
    fn list_snapshots(
        &self,
        p: &str,
        from: i64,
        to: i64,
        limit: usize,
    ) -> Result<Vec<SnapshotMeta>, StoreError> {
        self.inner.list_snapshots(p, from, to, limit)
    }
    fn snapshot_results(&self, p: &str, id: i64) -> Result<Option<String>, StoreError> {
        self.inner.snapshot_results(p, id)
    }
    fn latest_snapshot(
        &self,
        p: &str,
    ) -> Result<Option<(SnapshotMeta, Vec<SnapshotMetric>)>, StoreError> {
        self.inner.latest_snapshot(p)
    }
    fn series(
        &self,
        p: &str,
        metric: &str,
        column: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<SeriesPoint>, StoreError> {
        self.inner.series(p, metric, column, from, to)
    }
    fn all_series(
        &self,
        p: &str,
        from: i64,
        to: i64,
    ) -> Result<HashMap<(String, String), Vec<SeriesPoint>>, StoreError> {
        self.inner.all_series(p, from, to)
    }
    fn prune(&self, events: i64, snapshots: i64) -> Result<(u64, u64), StoreError> {
        self.inner.prune(events, snapshots)
    }
}
