//! The capture queue between the request path and the one sender task: a pure state
//! machine, time passed in (microseconds on any monotonic clock), tested without a clock.
//!
//! - `push` appends an event of a given size (its JSON line's bytes); when the queue holds
//!   `capacity` events, or their sizes together would pass `max_bytes`, the oldest are
//!   dropped and counted (the newest data is the most useful once the server is back, and
//!   memory stays bounded by both, plus the one batch in flight).
//! - `next` says what the sender does: send a batch (when `batch_size` events or
//!   `max_batch_bytes` wait, or the oldest has waited `max_delay`), wait until a time, or
//!   sleep until the next push. A batch holds at most `batch_size` events and
//!   `max_batch_bytes` (but always one event, however large).
//! - `finish` reports a batch's outcome: delivered, refused by the server (4xx: counted,
//!   never retried), too large (413: split in halves sent one after the other; a single
//!   event is dropped and counted) or failed (connection error, timeout, 5xx: the batch
//!   goes back to the head of the queue and the next attempt waits with exponential
//!   backoff, from [`FIRST_BACKOFF_US`] doubling up to `max_backoff`).

use std::collections::VecDeque;

use super::handoff::Bounded;

/// The wait after the first failure of an outage, microseconds.
pub const FIRST_BACKOFF_US: i64 = 100_000;

/// What the sender does next.
#[derive(Debug, PartialEq)]
pub enum Next<T> {
    /// Send these events, then call [`CaptureQueue::finish`].
    Send(Vec<T>),
    /// Nothing to do before this time (microseconds) unless an event is pushed.
    WaitUntil(i64),
    /// Nothing queued: wait for a push.
    Idle,
}

/// How a batch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The server answered 2xx: `accepted` stored, the rest refused row by row.
    Delivered {
        /// Events the server stored.
        accepted: usize,
    },
    /// The server refused the batch (4xx): not retried.
    Refused,
    /// The server answered 413 (the body, or its rows, over a limit): split and sent again.
    TooLarge,
    /// No answer, or 5xx: retried after a backoff.
    Failed,
}

/// The counters the proxy's `/metrics` shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueCounts {
    /// Events dropped because the queue held `capacity` events.
    pub dropped: u64,
    /// Events dropped because the queue held `max_bytes`.
    pub dropped_bytes: u64,
    /// Events the server refused alone as too large (413 for a batch of one).
    pub too_large: u64,
    /// Events the server stored.
    pub sent: u64,
    /// Events the server refused (a 4xx batch, or rows of a 2xx answer it rejected).
    pub refused: u64,
    /// Attempts that failed (each is retried).
    pub failed_attempts: u64,
}

/// How much the queue holds and sends at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueBounds {
    /// The most events waiting.
    pub capacity: usize,
    /// The most bytes of events waiting.
    pub max_bytes: usize,
    /// The most events in one batch.
    pub batch_size: usize,
    /// The most bytes in one batch (one event larger than this goes alone).
    pub max_batch_bytes: usize,
}

/// The bounded queue of captured events.
#[derive(Debug)]
pub struct CaptureQueue<T> {
    /// Waiting events (when queued, event) with their sizes, bounded by `capacity` and
    /// `max_bytes` (the oldest dropped, counted as `dropped` / `dropped_bytes`).
    events: Bounded<(i64, T)>,
    bounds: QueueBounds,
    max_delay_us: i64,
    max_backoff_us: i64,
    /// The batch being sent: when and how large each of its events was queued.
    in_flight: Option<Vec<(i64, usize)>>,
    /// Pieces of a batch the server found too large, in events, to send first, one batch
    /// each, in order.
    pieces: VecDeque<usize>,
    /// Whether the batch in flight is such a piece.
    piece_in_flight: bool,
    failures: u32,
    retry_at_us: Option<i64>,
    counts: QueueCounts,
}

impl<T> CaptureQueue<T> {
    /// An empty queue.
    pub fn new(bounds: QueueBounds, max_delay_us: i64, max_backoff_us: i64) -> Self {
        let bounds = QueueBounds {
            capacity: bounds.capacity.max(1),
            max_bytes: bounds.max_bytes.max(1),
            batch_size: bounds.batch_size.max(1),
            max_batch_bytes: bounds.max_batch_bytes.max(1),
        };
        Self {
            events: Bounded::new(bounds.capacity, bounds.max_bytes),
            bounds,
            max_delay_us,
            max_backoff_us: max_backoff_us.max(FIRST_BACKOFF_US),
            in_flight: None,
            pieces: VecDeque::new(),
            piece_in_flight: false,
            failures: 0,
            retry_at_us: None,
            counts: QueueCounts::default(),
        }
    }

    /// Queues one event of `size` bytes; returns how many old events were dropped for it.
    pub fn push(&mut self, event: T, size: usize, now_us: i64) -> usize {
        let dropped = self.events.push((now_us, event), size);
        // Each event dropped was the oldest, so the first of the pieces waiting.
        for _ in 0..dropped {
            if let Some(first) = self.pieces.front_mut() {
                *first -= 1;
                if *first == 0 {
                    self.pieces.pop_front();
                }
            }
        }
        dropped
    }

    /// Whether a push should wake the sender now (a full batch waits).
    pub fn batch_ready(&self) -> bool {
        self.in_flight.is_none()
            && (self.events.len() >= self.bounds.batch_size
                || self.events.bytes() >= self.bounds.max_batch_bytes)
    }

    /// What the sender does at `now_us`.
    pub fn next(&mut self, now_us: i64) -> Next<T> {
        if self.in_flight.is_some() {
            return Next::Idle;
        }
        if let Some(at) = self.retry_at_us {
            if at > now_us {
                return Next::WaitUntil(at);
            }
            self.retry_at_us = None;
        }
        let Some(&(oldest, _)) = self.events.front() else {
            return Next::Idle;
        };
        let n = match self.pieces.pop_front() {
            Some(piece) => {
                self.piece_in_flight = true;
                piece.min(self.events.len())
            }
            None => {
                let due = oldest.saturating_add(self.max_delay_us);
                if !self.batch_ready() && due > now_us && self.failures == 0 {
                    return Next::WaitUntil(due);
                }
                self.piece_in_flight = false;
                let mut n = 0;
                let mut bytes = 0usize;
                for (size, _) in self.events.iter().take(self.bounds.batch_size) {
                    if n > 0 && bytes.saturating_add(size) > self.bounds.max_batch_bytes {
                        break;
                    }
                    bytes = bytes.saturating_add(size);
                    n += 1;
                }
                n
            }
        };
        let mut meta = Vec::with_capacity(n);
        let mut batch = Vec::with_capacity(n);
        for _ in 0..n {
            let Some((size, (t, e))) = self.events.pop_sized() else {
                break;
            };
            meta.push((t, size));
            batch.push(e);
        }
        self.in_flight = Some(meta);
        Next::Send(batch)
    }

    /// Puts a batch back at the head, oldest first; what no longer fits is the oldest.
    /// Returns how many events went back.
    fn put_back(&mut self, meta: Vec<(i64, usize)>, batch: Vec<T>) -> usize {
        meta.into_iter()
            .zip(batch)
            .rev()
            .map(|((t, size), e)| usize::from(self.events.push_front((t, e), size)))
            .sum()
    }

    /// The outcome of the batch `next` handed out; a batch failed or too large comes back
    /// as `batch`.
    pub fn finish(&mut self, outcome: Outcome, batch: Vec<T>, now_us: i64) {
        let meta = self.in_flight.take().unwrap_or_default();
        let n = meta.len() as u64;
        let piece = std::mem::take(&mut self.piece_in_flight);
        match outcome {
            Outcome::Delivered { accepted } => {
                self.failures = 0;
                let accepted = (accepted as u64).min(n);
                self.counts.sent += accepted;
                self.counts.refused += n - accepted;
            }
            Outcome::Refused => {
                self.failures = 0;
                self.counts.refused += n;
            }
            Outcome::TooLarge if n <= 1 => {
                self.failures = 0;
                self.counts.too_large += n;
            }
            Outcome::TooLarge => {
                self.failures = 0;
                let back = self.put_back(meta, batch);
                let first = back / 2;
                self.pieces.push_front(back - first);
                if first > 0 {
                    self.pieces.push_front(first);
                }
            }
            Outcome::Failed => {
                self.counts.failed_attempts += 1;
                self.failures = self.failures.saturating_add(1);
                let backoff = FIRST_BACKOFF_US
                    .saturating_mul(1i64 << (self.failures - 1).min(30))
                    .min(self.max_backoff_us);
                self.retry_at_us = Some(now_us.saturating_add(backoff));
                let back = self.put_back(meta, batch);
                if piece && back > 0 {
                    self.pieces.push_front(back);
                }
            }
        }
    }

    /// Events waiting (not counting a batch in flight).
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// The bytes of the events waiting.
    pub fn bytes(&self) -> usize {
        self.events.bytes()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The counters so far.
    pub fn counts(&self) -> QueueCounts {
        let drops = self.events.drops();
        QueueCounts {
            dropped: drops.full,
            dropped_bytes: drops.bytes,
            ..self.counts
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: i64 = 1000;

    /// A queue bounded by count only (each event of size 1 in the older tests).
    fn queue(capacity: usize, batch_size: usize, delay: i64, backoff: i64) -> CaptureQueue<u32> {
        CaptureQueue::new(
            QueueBounds {
                capacity,
                max_bytes: usize::MAX,
                batch_size,
                max_batch_bytes: usize::MAX,
            },
            delay,
            backoff,
        )
    }

    fn sized(max_bytes: usize, batch_size: usize, max_batch_bytes: usize) -> CaptureQueue<u32> {
        CaptureQueue::new(
            QueueBounds {
                capacity: 100,
                max_bytes,
                batch_size,
                max_batch_bytes,
            },
            0,
            1000 * MS,
        )
    }

    fn send(q: &mut CaptureQueue<u32>, now: i64) -> Vec<u32> {
        match q.next(now) {
            Next::Send(b) => b,
            other => panic!("expected a batch, got {other:?}"),
        }
    }

    #[test]
    fn a_full_batch_goes_at_once_a_partial_one_after_the_delay() {
        let mut q = queue(10, 3, 1000 * MS, 5000 * MS);
        assert_eq!(q.next(0), Next::Idle);
        q.push(1, 1, 0);
        q.push(2, 1, 10 * MS);
        assert_eq!(q.next(20 * MS), Next::WaitUntil(1000 * MS));
        assert!(!q.batch_ready());
        q.push(3, 1, 30 * MS);
        assert!(q.batch_ready());
        q.push(4, 1, 40 * MS);
        assert_eq!(send(&mut q, 40 * MS), [1, 2, 3]);
        // One batch in flight at a time.
        assert_eq!(q.next(50 * MS), Next::Idle);
        q.finish(Outcome::Delivered { accepted: 3 }, vec![], 60 * MS);
        assert_eq!(q.next(60 * MS), Next::WaitUntil(1040 * MS));
        assert_eq!(send(&mut q, 1040 * MS), [4]);
        q.finish(Outcome::Delivered { accepted: 0 }, vec![], 1050 * MS);
        assert_eq!(
            q.counts(),
            QueueCounts {
                sent: 3,
                refused: 1,
                ..Default::default()
            }
        );
    }

    #[test]
    fn failures_back_off_doubling_and_keep_the_order() {
        let mut q = queue(10, 2, 0, 350 * MS);
        q.push(1, 1, 0);
        q.push(2, 1, 0);
        q.push(3, 1, 0);
        let b = send(&mut q, 0);
        q.finish(Outcome::Failed, b, 0);
        assert_eq!(q.next(0), Next::WaitUntil(100 * MS));
        let b = send(&mut q, 100 * MS);
        assert_eq!(b, [1, 2]);
        q.finish(Outcome::Failed, b, 100 * MS);
        assert_eq!(q.next(100 * MS), Next::WaitUntil(300 * MS));
        let b = send(&mut q, 300 * MS);
        q.finish(Outcome::Failed, b, 300 * MS);
        // 400 ms is capped at 350.
        assert_eq!(q.next(300 * MS), Next::WaitUntil(650 * MS));
        let b = send(&mut q, 650 * MS);
        q.finish(Outcome::Delivered { accepted: 2 }, b, 700 * MS);
        // Back to normal: the rest goes without waiting for a backoff.
        assert_eq!(send(&mut q, 700 * MS), [3]);
        assert_eq!(q.counts().failed_attempts, 3);
        assert_eq!(q.counts().sent, 2);
    }

    #[test]
    fn a_full_queue_drops_the_oldest_and_counts_them() {
        let mut q = queue(3, 2, 0, 1000 * MS);
        for i in 0..5 {
            q.push(i, 1, 0);
        }
        assert_eq!(q.counts().dropped, 2);
        assert_eq!(q.len(), 3);
        let b = send(&mut q, 0);
        assert_eq!(b, [2, 3]);
        // While the batch is out, new events fill the queue; a failed batch that no longer
        // fits loses its oldest events.
        q.push(5, 1, 0);
        q.push(6, 1, 0);
        q.finish(Outcome::Failed, b, 0);
        assert_eq!(q.len(), 3);
        assert_eq!(q.counts().dropped, 4);
        assert_eq!(send(&mut q, 100 * MS), [4, 5]);
        q.finish(Outcome::Refused, vec![], 100 * MS);
        assert_eq!(q.counts().refused, 2);
        assert_eq!(send(&mut q, 100 * MS), [6]);
    }

    #[test]
    fn a_batch_stops_at_its_byte_cap_but_takes_one_large_event() {
        let mut q = sized(usize::MAX, 10, 100);
        for (e, size) in [(1, 40), (2, 40), (3, 40), (4, 250), (5, 10)] {
            q.push(e, size, 0);
        }
        assert_eq!(send(&mut q, 0), [1, 2]);
        q.finish(Outcome::Delivered { accepted: 2 }, vec![], 0);
        assert_eq!(send(&mut q, 0), [3]);
        q.finish(Outcome::Delivered { accepted: 1 }, vec![], 0);
        // Over the cap alone: it goes alone.
        assert_eq!(send(&mut q, 0), [4]);
        q.finish(Outcome::Delivered { accepted: 1 }, vec![], 0);
        assert_eq!(send(&mut q, 0), [5]);
        // Bytes make a batch ready before its delay, as a count does.
        let mut q = sized(usize::MAX, 10, 100);
        q.max_delay_us = 1000 * MS;
        q.push(1, 60, 0);
        assert!(!q.batch_ready());
        q.push(2, 60, 0);
        assert!(q.batch_ready());
        assert_eq!(send(&mut q, 0), [1]);
    }

    #[test]
    fn a_batch_too_large_is_split_in_halves_until_it_fits() {
        let mut q = sized(usize::MAX, 10, usize::MAX);
        for e in 0..5 {
            q.push(e, 10, 0);
        }
        let b = send(&mut q, 0);
        assert_eq!(b, [0, 1, 2, 3, 4]);
        q.finish(Outcome::TooLarge, b, 0);
        // Halves, in order, at once (no backoff): 2 then 3.
        let b = send(&mut q, 0);
        assert_eq!(b, [0, 1]);
        q.push(9, 10, 0);
        q.finish(Outcome::Delivered { accepted: 2 }, b, 0);
        let b = send(&mut q, 0);
        assert_eq!(b, [2, 3, 4]);
        q.finish(Outcome::TooLarge, b, 0);
        let b = send(&mut q, 0);
        assert_eq!(b, [2]);
        // A single event the server still finds too large is dropped and counted.
        q.finish(Outcome::TooLarge, b, 0);
        let b = send(&mut q, 0);
        assert_eq!(b, [3, 4]);
        // A piece that fails comes back as the same piece after the backoff.
        q.finish(Outcome::Failed, b, 0);
        assert_eq!(q.next(0), Next::WaitUntil(100 * MS));
        let b = send(&mut q, 100 * MS);
        assert_eq!(b, [3, 4]);
        q.finish(Outcome::Delivered { accepted: 2 }, b, 100 * MS);
        // Then the normal batching again.
        assert_eq!(send(&mut q, 100 * MS), [9]);
        let c = q.counts();
        assert_eq!((c.sent, c.too_large, c.failed_attempts), (4, 1, 1));
    }

    #[test]
    fn the_byte_bound_drops_the_oldest_and_counts_them() {
        let mut q = sized(100, 10, usize::MAX);
        q.push(1, 40, 0);
        q.push(2, 40, 0);
        assert_eq!(q.push(3, 30, 0), 1);
        assert_eq!((q.len(), q.bytes()), (2, 70));
        // One event over the bound alone is kept (the queue holds at least one).
        assert_eq!(q.push(4, 500, 0), 2);
        assert_eq!((q.len(), q.bytes()), (1, 500));
        assert_eq!(q.counts().dropped_bytes, 3);
        assert_eq!(q.counts().dropped, 0);
        assert_eq!(send(&mut q, 0), [4]);
    }
}
