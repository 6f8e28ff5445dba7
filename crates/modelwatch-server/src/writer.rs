//! The ingest writer: one thread that owns all event writes and commits whatever batches
//! are waiting in one transaction (group commit). A request is answered only after the
//! transaction holding its batch has committed, so a 2xx means the events are stored,
//! while many small requests share one commit. Small batches are committed ahead of large
//! ones (see [`Waiting`]), so a request of one event never waits behind a queue of
//! maximal batches.
//!
//! The writer also remembers whether its commits fail (a full disk, a file made read-only
//! while running), which `/readyz` reports. The next commit that succeeds clears it, and
//! so does a probe: while commits fail, `/readyz` asks the writer to try one small write,
//! so that readiness comes back once the cause is gone even when no event arrives (a load
//! balancer that saw the 503 sends none).

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use crate::store::{EventBatch, Store, StoreError};

/// The largest number of events committed together.
const MAX_EVENTS_PER_COMMIT: usize = 50_000;

/// Batches of more events than this wait in the large lane (see [`Waiting::next_round`]).
const LARGE_BATCH: usize = 1_000;

/// Where a commit's outcome goes: the request waiting for it.
type Reply = oneshot::Sender<Result<(), String>>;

/// A batch waiting to be committed, and the request waiting for it.
struct Pending {
    batch: EventBatch,
    reply: Reply,
}

/// What waits for the writer. Small batches (single events, the usual case) and large ones
/// (up to `limits.rows_per_request` events) wait in two lanes, so that a request of one
/// event waits for at most one large commit, not for every large batch queued before it.
#[derive(Default)]
struct Waiting {
    small: VecDeque<Pending>,
    large: VecDeque<Pending>,
    probes: Vec<Reply>,
    stop: bool,
}

impl Waiting {
    fn push(&mut self, p: Pending) {
        if p.batch.events.len() > LARGE_BATCH {
            self.large.push_back(p);
        } else {
            self.small.push_back(p);
        }
    }

    fn is_empty(&self) -> bool {
        self.small.is_empty() && self.large.is_empty() && self.probes.is_empty()
    }

    /// The batches of the next commit: the small ones waiting, oldest first, up to
    /// [`MAX_EVENTS_PER_COMMIT`] events; when none wait, the oldest large one alone.
    fn next_round(&mut self) -> Vec<Pending> {
        let mut round = Vec::new();
        let mut events = 0;
        while let Some(p) = self.small.front() {
            if !round.is_empty() && events + p.batch.events.len() > MAX_EVENTS_PER_COMMIT {
                break;
            }
            events += p.batch.events.len();
            round.extend(self.small.pop_front());
        }
        if round.is_empty() {
            round.extend(self.large.pop_front());
        }
        round
    }
}

/// The queue shared by the request handlers and the writer thread.
#[derive(Default)]
struct Queue {
    waiting: Mutex<Waiting>,
    wake: Condvar,
}

impl Queue {
    fn lock(&self) -> std::sync::MutexGuard<'_, Waiting> {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the waiting jobs and wakes the writer; refused once stopping.
    fn add(&self, f: impl FnOnce(&mut Waiting)) -> Result<(), String> {
        let mut w = self.lock();
        if w.stop {
            return Err("the store is shutting down".to_string());
        }
        f(&mut w);
        self.wake.notify_one();
        Ok(())
    }
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
    queue: Arc<Queue>,
    thread: std::sync::Mutex<Option<JoinHandle<()>>>,
    health: Health,
}

impl IngestWriter {
    /// Starts the writer thread over `store`.
    pub fn start(store: Arc<dyn Store>) -> Self {
        let queue = Arc::new(Queue::default());
        let health = Health::default();
        let (q, h) = (queue.clone(), health.clone());
        let thread = std::thread::Builder::new()
            .name("modelwatch-ingest-writer".into())
            .spawn(move || run(store, &q, &h))
            .expect("the ingest writer thread starts");
        Self {
            queue,
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
        let (reply, wait) = oneshot::channel();
        self.queue.add(|w| w.push(Pending { batch, reply }))?;
        wait.await
            .unwrap_or_else(|_| Err("the store writer stopped".to_string()))
    }

    /// Tries one small write on the writer thread and records its outcome as a commit's:
    /// `Ok` clears a recorded failure.
    pub async fn probe(&self) -> Result<(), String> {
        let (reply, wait) = oneshot::channel();
        self.queue.add(|w| w.probes.push(reply))?;
        wait.await
            .unwrap_or_else(|_| Err("the store writer stopped".to_string()))
    }

    /// Commits everything queued so far, then stops the thread; later writes are refused.
    pub fn stop(&self) {
        self.queue.lock().stop = true;
        self.queue.wake.notify_one();
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

/// Commits one round of batches in one transaction and answers each request with its
/// outcome. When the database refuses a value (`StoreError::Database`, a failure that would
/// repeat), each batch is committed alone, so that only the request holding it fails. The
/// round counts as written when any of its batches was; otherwise it is the first failure.
fn commit_round(
    store: &dyn Store,
    batches: &[EventBatch],
    replies: Vec<Reply>,
) -> Result<(), StoreError> {
    let results: Vec<Result<(), StoreError>> = match store.insert_events(batches) {
        Err(e @ StoreError::Database(_)) if batches.len() > 1 => {
            tracing::warn!(error = %e, "group commit refused; committing each batch alone");
            batches
                .iter()
                .map(|b| {
                    store
                        .insert_events(std::slice::from_ref(b))
                        .inspect_err(|e| tracing::error!(error = %e, project = %b.project, "storing events failed"))
                })
                .collect()
        }
        result => {
            if let Err(e) = &result {
                tracing::error!(error = %e, "storing events failed");
            }
            vec![result; batches.len()]
        }
    };
    for (result, reply) in results.iter().zip(replies) {
        let _ = reply.send(result.clone().map_err(|e| e.to_string()));
    }
    if results.iter().any(Result::is_ok) {
        return Ok(());
    }
    results.into_iter().next().unwrap_or(Ok(()))
}

fn run(store: Arc<dyn Store>, queue: &Queue, health: &Health) {
    loop {
        let (round, probes) = {
            let mut w = queue.lock();
            while w.is_empty() && !w.stop {
                w = queue.wake.wait(w).unwrap_or_else(|p| p.into_inner());
            }
            if w.is_empty() {
                return;
            }
            (w.next_round(), std::mem::take(&mut w.probes))
        };
        // A commit answers the probes waiting with it; without one, a probe writes itself.
        let result = if !round.is_empty() {
            let (batches, replies): (Vec<EventBatch>, Vec<Reply>) =
                round.into_iter().map(|p| (p.batch, p.reply)).unzip();
            commit_round(store.as_ref(), &batches, replies)
        } else {
            store.check_writable()
        };
        // A value the database refuses says nothing of whether it can write: only the
        // failures that pass (and the writes that succeed) change the health.
        let refused = matches!(result, Err(StoreError::Database(_)));
        let result = result.map_err(|e| e.to_string());
        if !refused {
            record(health, &result);
        }
        for r in probes {
            let _ = r.send(result.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewEvent;

    fn pending(events: usize) -> Pending {
        let event = NewEvent {
            ts_us: 0,
            event_id: None,
            values_json: "{}".into(),
            latency_seconds: None,
            status: None,
            error: None,
            thumbnails: Vec::new(),
        };
        Pending {
            batch: EventBatch {
                project: "p".into(),
                events: vec![event; events],
            },
            reply: oneshot::channel().0,
        }
    }

    fn sizes(round: &[Pending]) -> Vec<usize> {
        round.iter().map(|p| p.batch.events.len()).collect()
    }

    #[test]
    fn small_batches_pass_large_ones_and_large_ones_go_alone() {
        let mut w = Waiting::default();
        for n in [100_000, 1, 100_000, 2, 1_000, 3] {
            w.push(pending(n));
        }
        // Every small batch first, in order, in one commit; then each large one alone.
        assert_eq!(sizes(&w.next_round()), [1, 2, 1_000, 3]);
        assert_eq!(sizes(&w.next_round()), [100_000]);
        w.push(pending(5));
        assert_eq!(sizes(&w.next_round()), [5]);
        assert_eq!(sizes(&w.next_round()), [100_000]);
        assert!(w.next_round().is_empty() && w.is_empty());
    }

    #[test]
    fn a_commit_of_small_batches_stops_at_the_event_cap() {
        let mut w = Waiting::default();
        for _ in 0..60 {
            w.push(pending(1_000));
        }
        assert_eq!(w.next_round().len(), 50);
        assert_eq!(w.next_round().len(), 10);
    }
}
