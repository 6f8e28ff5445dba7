//! The hand-off of finished exchanges from the request path to the sender task, bounded by
//! count and by the bytes of their captured bodies. When either bound is reached the
//! oldest exchanges are dropped and counted: a request never waits for the sender, and
//! memory stays bounded however large the captured bodies are. [`Bounded`], the FIFO that
//! does it, holds the capture queue's events too ([`super::queue`]).

use std::collections::VecDeque;
use std::sync::Mutex;

use tokio::sync::Notify;

use super::capture::Exchange;

/// What a [`Bounded`] dropped, by bound.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Drops {
    /// Items dropped because `capacity` of them waited.
    pub full: u64,
    /// Items dropped because `max_bytes` waited.
    pub bytes: u64,
}

/// The bounded state: a pure FIFO of items with sizes, dropping the oldest.
#[derive(Debug)]
pub struct Bounded<T> {
    items: VecDeque<(usize, T)>,
    bytes: usize,
    capacity: usize,
    max_bytes: usize,
    drops: Drops,
}

impl<T> Bounded<T> {
    /// Empty, holding at most `capacity` items and `max_bytes` (but always the newest item).
    pub fn new(capacity: usize, max_bytes: usize) -> Self {
        Self {
            items: VecDeque::new(),
            bytes: 0,
            capacity: capacity.max(1),
            max_bytes,
            drops: Drops::default(),
        }
    }

    /// Appends `item` of `size` bytes, dropping the oldest to stay within the bounds;
    /// returns how many were dropped.
    pub fn push(&mut self, item: T, size: usize) -> usize {
        let mut dropped = 0;
        while self.items.len() >= self.capacity {
            self.pop_oldest();
            self.drops.full += 1;
            dropped += 1;
        }
        while !self.items.is_empty() && self.bytes.saturating_add(size) > self.max_bytes {
            self.pop_oldest();
            self.drops.bytes += 1;
            dropped += 1;
        }
        self.bytes += size;
        self.items.push_back((size, item));
        dropped
    }

    /// Puts `item` back at the head (it was taken and must go first again) when the bounds
    /// leave room for it; otherwise it is the one dropped (it is the oldest). Returns
    /// whether it went back.
    pub fn push_front(&mut self, item: T, size: usize) -> bool {
        if self.items.len() >= self.capacity {
            self.drops.full += 1;
            return false;
        }
        if !self.items.is_empty() && self.bytes.saturating_add(size) > self.max_bytes {
            self.drops.bytes += 1;
            return false;
        }
        self.bytes += size;
        self.items.push_front((size, item));
        true
    }

    /// The oldest item.
    pub fn front(&self) -> Option<&T> {
        self.items.front().map(|(_, t)| t)
    }

    /// The items with their sizes, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &T)> {
        self.items.iter().map(|(size, t)| (*size, t))
    }

    fn pop_oldest(&mut self) -> Option<T> {
        self.pop_sized().map(|(_, item)| item)
    }

    /// Takes the oldest item.
    pub fn pop(&mut self) -> Option<T> {
        self.pop_oldest()
    }

    /// Takes the oldest item with its size.
    pub fn pop_sized(&mut self) -> Option<(usize, T)> {
        let (size, item) = self.items.pop_front()?;
        self.bytes -= size;
        Some((size, item))
    }

    /// Items waiting.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The sizes of the items waiting, together.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// What was dropped so far.
    pub fn drops(&self) -> Drops {
        self.drops
    }
}

/// The hand-off shared by the request path (push) and the sender (receive).
pub struct Handoff {
    state: Mutex<Bounded<Exchange>>,
    ready: Notify,
}

impl Handoff {
    /// Holding at most `capacity` exchanges and `max_bytes` of their captured bodies.
    pub fn new(capacity: usize, max_bytes: usize) -> Self {
        Self {
            state: Mutex::new(Bounded::new(capacity, max_bytes)),
            ready: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Bounded<Exchange>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Hands an exchange over; never waits.
    pub fn push(&self, x: Exchange) {
        let size = x.bodies.as_ref().map_or(0, |(q, r)| {
            q.bytes.len() + r.as_ref().map_or(0, |r| r.bytes.len())
        });
        let _ = self.lock().push(x, size);
        self.ready.notify_one();
    }

    /// The oldest exchange waiting, if any.
    pub fn try_recv(&self) -> Option<Exchange> {
        self.lock().pop()
    }

    /// The oldest exchange, waiting for one. Cancel-safe: an exchange is taken only by the
    /// poll that returns it.
    pub async fn recv(&self) -> Exchange {
        loop {
            if let Some(x) = self.try_recv() {
                return x;
            }
            self.ready.notified().await;
        }
    }

    /// What was dropped so far.
    pub fn drops(&self) -> Drops {
        self.lock().drops()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_go_first_by_count_and_by_bytes() {
        let mut h = Bounded::new(3, 100);
        for (i, size) in [(1, 10), (2, 10), (3, 10), (4, 10)] {
            h.push(i, size);
        }
        assert_eq!((h.len(), h.bytes()), (3, 30));
        assert_eq!(h.drops(), Drops { full: 1, bytes: 0 });
        assert_eq!(h.pop(), Some(2));
        // 20 + 90 > 100: the oldest goes.
        h.push(5, 90);
        assert_eq!((h.len(), h.bytes()), (2, 100));
        assert_eq!(h.drops(), Drops { full: 1, bytes: 1 });
        // One item over the bound alone is kept.
        h.push(6, 500);
        assert_eq!((h.len(), h.bytes()), (1, 500));
        assert_eq!(h.drops(), Drops { full: 1, bytes: 3 });
        assert_eq!(h.pop(), Some(6));
        assert!(h.is_empty());
        assert_eq!(h.bytes(), 0);
    }
}
