//! The ingest writer: one thread that owns all event writes and commits whatever batches
//! are waiting in one transaction (group commit). A request is answered only after the
//! transaction holding its batch has committed, so a 2xx means the events are stored,
//! while many small requests share one commit.
//!
//! The writer also remembers whether its commits fail (a full disk, a file made read-only
//! while running), which `/readyz` reports. The next commit that succeeds clears it, and
//! so does a probe: while commits fail, `/readyz` asks the writer to try one small write,
//! so that readiness comes back once the cause is gone even when no event arrives (a load
//! balancer that saw the 503 sends none).

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use crate::store::{EventBatch, Store};

/// The largest number of events committed together.
const MAX_EVENTS_PER_COMMIT: usize = 50_000;

enum Job {
    Write(EventBatch, oneshot::Sender<Result<(), String>>),
    Probe(oneshot::Sender<Result<(), String>>),
    Stop,
}

/// Commits have been failing: since when, and the latest error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteFailure {
    /// When the first failed commit of this run of failures happened (µs since the epoch).
    pub since_us: i64,
    /// The store's message for the latest failed commit.
    pub error: String,
}

/// The outcome of the latest commit, shared by the writer thread and `/readyz`.
type Health = Arc<Mutex<Option<WriteFailure>>>;

/// A handle to the writer thread.
pub struct IngestWriter {
    tx: mpsc::Sender<Job>,
    thread: std::sync::Mutex<Option<JoinHandle<()>>>,
    health: Health,
}

impl IngestWriter {
    /// Starts the writer thread over `store`.
    pub fn start(store: Arc<dyn Store>) -> Self {
        let (tx, rx) = mpsc::channel::<Job>();
        let health = Health::default();
        let h = health.clone();
        let thread = std::thread::Builder::new()
            .name("modelwatch-ingest-writer".into())
            .spawn(move || run(store, rx, h))
            .expect("the ingest writer thread starts");
        Self {
            tx,
            thread: std::sync::Mutex::new(Some(thread)),
            health,
        }
    }

    /// The failure of the latest commit, when it failed (`None` once one succeeds).
    pub fn failure(&self) -> Option<WriteFailure> {
        self.health
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Stores a batch; resolves once it is committed.
    pub async fn write(&self, batch: EventBatch) -> Result<(), String> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Job::Write(batch, done))
            .map_err(|_| "the store is shutting down".to_string())?;
        wait.await
            .unwrap_or_else(|_| Err("the store writer stopped".to_string()))
    }

    /// Tries one small write on the writer thread (after what is queued) and records its
    /// outcome as a commit's: `Ok` clears a recorded failure.
    pub async fn probe(&self) -> Result<(), String> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Job::Probe(done))
            .map_err(|_| "the store is shutting down".to_string())?;
        wait.await
            .unwrap_or_else(|_| Err("the store writer stopped".to_string()))
    }

    /// Commits everything queued so far, then stops the thread.
    pub fn stop(&self) {
        let _ = self.tx.send(Job::Stop);
        let handle = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(h) = handle {
            let _ = h.join();
        }
    }
}

/// Records the outcome of a commit in `health`.
fn record(health: &Health, result: &Result<(), String>) {
    let mut h = health.lock().unwrap_or_else(|p| p.into_inner());
    *h = match result {
        Ok(()) => None,
        Err(e) => Some(WriteFailure {
            since_us: h.as_ref().map_or_else(crate::now_us, |f| f.since_us),
            error: e.clone(),
        }),
    };
}

fn run(store: Arc<dyn Store>, rx: mpsc::Receiver<Job>, health: Health) {
    let mut stop = false;
    while !stop {
        let Ok(first) = rx.recv() else { break };
        let mut batches = Vec::new();
        let mut waiters = Vec::new();
        let mut probes = Vec::new();
        let mut events = 0;
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                Job::Write(b, w) => {
                    events += b.events.len();
                    batches.push(b);
                    waiters.push(w);
                }
                Job::Probe(w) => probes.push(w),
                Job::Stop => stop = true,
            }
            if !stop && events < MAX_EVENTS_PER_COMMIT {
                next = rx.try_recv().ok();
            }
        }
        // A commit answers the probes waiting with it; without one, a probe writes itself.
        let result = if !batches.is_empty() {
            store.insert_events(&batches).map_err(|e| {
                tracing::error!(error = %e, "storing events failed");
                e.to_string()
            })
        } else if !probes.is_empty() {
            store.check_writable().map_err(|e| e.to_string())
        } else {
            continue;
        };
        record(&health, &result);
        for w in waiters.into_iter().chain(probes) {
            let _ = w.send(result.clone());
        }
    }
    // Anything queued after the stop request still gets written.
    let rest: Vec<Job> = rx.try_iter().collect();
    let mut batches = Vec::new();
    let mut waiters = Vec::new();
    for job in rest {
        if let Job::Write(b, w) = job {
            batches.push(b);
            waiters.push(w);
        }
    }
    if !batches.is_empty() {
        let result = store.insert_events(&batches).map_err(|e| e.to_string());
        for w in waiters {
            let _ = w.send(result.clone());
        }
    }
}
