//! The capture queue between the request path and the one sender task: a pure state
//! machine, time passed in (microseconds on any monotonic clock), tested without a clock.
//!
//! - `push` appends an event; when the queue holds `capacity` events the oldest is dropped
//!   and counted (the newest data is the most useful once the server is back, and memory
//!   stays bounded by `capacity` events plus the one batch in flight).
//! - `next` says what the sender does: send a batch (when `batch_size` events wait, or the
//!   oldest has waited `max_delay`), wait until a time, or sleep until the next push.
//! - `finish` reports a batch's outcome: delivered, refused by the server (4xx: counted,
//!   never retried) or failed (connection error, timeout, 5xx: the batch goes back to the
//!   head of the queue and the next attempt waits with exponential backoff, from
//!   [`FIRST_BACKOFF_US`] doubling up to `max_backoff`).

use std::collections::VecDeque;

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
    /// No answer, or 5xx: retried after a backoff.
    Failed,
}

/// The counters the proxy's `/metrics` shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueCounts {
    /// Events dropped because the queue was full.
    pub dropped: u64,
    /// Events the server stored.
    pub sent: u64,
    /// Events the server refused (a 4xx batch, or rows of a 2xx answer it rejected).
    pub refused: u64,
    /// Attempts that failed (each is retried).
    pub failed_attempts: u64,
}

/// The bounded queue of captured events.
#[derive(Debug)]
pub struct CaptureQueue<T> {
    events: VecDeque<(i64, T)>,
    capacity: usize,
    batch_size: usize,
    max_delay_us: i64,
    max_backoff_us: i64,
    /// The batch being sent, with the times its events were queued.
    in_flight: Option<Vec<i64>>,
    failures: u32,
    retry_at_us: Option<i64>,
    counts: QueueCounts,
}

impl<T> CaptureQueue<T> {
    /// An empty queue.
    pub fn new(capacity: usize, batch_size: usize, max_delay_us: i64, max_backoff_us: i64) -> Self {
        Self {
            events: VecDeque::new(),
            capacity: capacity.max(1),
            batch_size: batch_size.max(1),
            max_delay_us,
            max_backoff_us: max_backoff_us.max(FIRST_BACKOFF_US),
            in_flight: None,
            failures: 0,
            retry_at_us: None,
            counts: QueueCounts::default(),
        }
    }

    /// Queues one event; returns how many old events were dropped for it (0 or 1).
    pub fn push(&mut self, event: T, now_us: i64) -> usize {
        let mut dropped = 0;
        while self.events.len() >= self.capacity {
            self.events.pop_front();
            dropped += 1;
        }
        self.counts.dropped += dropped as u64;
        self.events.push_back((now_us, event));
        dropped
    }

    /// Whether a push should wake the sender now (a full batch waits).
    pub fn batch_ready(&self) -> bool {
        self.in_flight.is_none() && self.events.len() >= self.batch_size
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
        let due = oldest.saturating_add(self.max_delay_us);
        if self.events.len() < self.batch_size && due > now_us && self.failures == 0 {
            return Next::WaitUntil(due);
        }
        let n = self.events.len().min(self.batch_size);
        let (times, batch): (Vec<i64>, Vec<T>) = self.events.drain(..n).unzip();
        self.in_flight = Some(times);
        Next::Send(batch)
    }

    /// The outcome of the batch `next` handed out; a failed batch comes back as `batch`.
    pub fn finish(&mut self, outcome: Outcome, batch: Vec<T>, now_us: i64) {
        let times = self.in_flight.take().unwrap_or_default();
        let n = times.len() as u64;
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
            Outcome::Failed => {
                self.counts.failed_attempts += 1;
                self.failures = self.failures.saturating_add(1);
                let backoff = FIRST_BACKOFF_US
                    .saturating_mul(1i64 << (self.failures - 1).min(30))
                    .min(self.max_backoff_us);
                self.retry_at_us = Some(now_us.saturating_add(backoff));
                // Back at the head, oldest first; what no longer fits is the oldest.
                for (t, e) in times.into_iter().zip(batch).rev() {
                    if self.events.len() >= self.capacity {
                        self.counts.dropped += 1;
                        continue;
                    }
                    self.events.push_front((t, e));
                }
            }
        }
    }

    /// Events waiting (not counting a batch in flight).
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The counters so far.
    pub fn counts(&self) -> QueueCounts {
        self.counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: i64 = 1000;

    fn send(q: &mut CaptureQueue<u32>, now: i64) -> Vec<u32> {
        match q.next(now) {
            Next::Send(b) => b,
            other => panic!("expected a batch, got {other:?}"),
        }
    }

    #[test]
    fn a_full_batch_goes_at_once_a_partial_one_after_the_delay() {
        let mut q = CaptureQueue::new(10, 3, 1000 * MS, 5000 * MS);
        assert_eq!(q.next(0), Next::Idle);
        q.push(1, 0);
        q.push(2, 10 * MS);
        assert_eq!(q.next(20 * MS), Next::WaitUntil(1000 * MS));
        assert!(!q.batch_ready());
        q.push(3, 30 * MS);
        assert!(q.batch_ready());
        q.push(4, 40 * MS);
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
        let mut q = CaptureQueue::new(10, 2, 0, 350 * MS);
        q.push(1, 0);
        q.push(2, 0);
        q.push(3, 0);
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
        let mut q = CaptureQueue::new(3, 2, 0, 1000 * MS);
        for i in 0..5 {
            q.push(i, 0);
        }
        assert_eq!(q.counts().dropped, 2);
        assert_eq!(q.len(), 3);
        let b = send(&mut q, 0);
        assert_eq!(b, [2, 3]);
        // While the batch is out, new events fill the queue; a failed batch that no longer
        // fits loses its oldest events.
        q.push(5, 0);
        q.push(6, 0);
        q.finish(Outcome::Failed, b, 0);
        assert_eq!(q.len(), 3);
        assert_eq!(q.counts().dropped, 4);
        assert_eq!(send(&mut q, 100 * MS), [4, 5]);
        q.finish(Outcome::Refused, vec![], 100 * MS);
        assert_eq!(q.counts().refused, 2);
        assert_eq!(send(&mut q, 100 * MS), [6]);
    }
}
