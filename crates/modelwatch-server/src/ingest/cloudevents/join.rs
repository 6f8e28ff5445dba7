//! The join of a payload logger's request and response events: a pure state machine with
//! time passed in, so tests drive the clock (as `alerts::state` does).
//!
//! A half (request or response) whose partner has not arrived waits, at most `timeout`,
//! at most `max_pending` halves and at most `max_pending_bytes` of their data in all; past
//! any bound the oldest is given up and stored alone. A half that arrives again (at-least-once delivery) is a duplicate and
//! dropped, also for a while after its pair was stored: the keys of finished pairs are
//! remembered for `timeout`, at most `max_pending` of them. A half whose partner was
//! already given up is stored alone at once. A feedback's truth joins a waiting pair and is
//! stored with it; with no pair waiting it is handed back, to be attached to stored events.
//!
//! A pair handed out is not yet stored. When its commit fails it comes back: a pair
//! completed by a half the caller was not able to acknowledge ([`Join::restore`]) loses
//! that half again (the logger sends it again after the 503) and its partner waits anew,
//! so the retry joins it; until the commit is reported ([`Join::committed`]) that half
//! offered again is neither taken nor a duplicate ([`Offered::Committing`]); a pair given up ([`Join::hold`]) is kept, with its halves
//! acknowledged, until [`Join::take_held`] hands it out for another commit. Held pairs
//! count against the same bounds as waiting halves; when held pairs alone fill them, a new
//! half is not taken ([`Offered::Full`]), so nothing acknowledged is given up for it.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

/// How long and how many halves wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JoinSettings {
    /// How long a half waits for its partner, in microseconds.
    pub timeout_us: i64,
    /// The most halves waiting at once (and finished keys remembered).
    pub max_pending: usize,
    /// The most bytes of data (as each half's size was offered) waiting at once; a single
    /// half larger than this still waits when nothing else does.
    pub max_pending_bytes: usize,
}

/// Which half of an inference an event carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Half {
    /// The model's input.
    Request,
    /// The model's output.
    Response,
}

/// A pair ready to be stored: both halves (joined), or one (its partner never came).
#[derive(Debug, Clone, PartialEq)]
pub struct Pair<K, P> {
    /// The join key.
    pub key: K,
    /// The request, when it arrived.
    pub request: Option<P>,
    /// The response, when it arrived.
    pub response: Option<P>,
    /// The truth of a feedback that arrived while the pair waited.
    pub truth: Option<P>,
}

/// What became of a pair, for the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Request and response.
    Joined,
    /// A request whose response never came (in time).
    RequestOnly,
    /// A response whose request never came (in time).
    ResponseOnly,
}

impl Outcome {
    /// The `outcome` label of `modelwatch_cloudevents_total`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Joined => "joined",
            Self::RequestOnly => "request_only",
            Self::ResponseOnly => "response_only",
        }
    }
}

impl<K, P> Pair<K, P> {
    /// Joined, or which half came alone.
    pub fn outcome(&self) -> Outcome {
        match (&self.request, &self.response) {
            (Some(_), Some(_)) => Outcome::Joined,
            (Some(_), None) => Outcome::RequestOnly,
            _ => Outcome::ResponseOnly,
        }
    }
}

/// What happened to an offered half.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offered {
    /// It waits for its partner.
    Waiting,
    /// It completed a pair, which is among the step's ready pairs.
    Joined,
    /// Its partner was given up earlier: it is ready alone.
    Late,
    /// It was seen before: dropped.
    Duplicate,
    /// The same half completed a pair whose commit is under way: not taken, as the commit
    /// may still fail (the caller answers "try again").
    Committing,
    /// Pairs whose commit failed fill the bounds: not taken (the caller answers that the
    /// store is unavailable, and the logger sends it again).
    Full,
}

/// The result of one offer: what became of the half, and every pair to store now (the
/// joined one, a late half, and halves given up on the way).
#[derive(Debug, Clone, PartialEq)]
pub struct Step<K, P> {
    /// What became of the offered half.
    pub offered: Offered,
    /// Pairs to store now.
    pub ready: Vec<Pair<K, P>>,
}

struct Waiting<P> {
    request: Option<P>,
    response: Option<P>,
    truth: Option<P>,
    seq: u64,
    size: usize,
}

/// A finished key: which halves were seen, and when it is forgotten.
struct Finished {
    request: bool,
    response: bool,
    /// The half whose pair was handed out by its offer and whose commit is not yet
    /// reported ([`Join::committed`], [`Join::restore`]).
    committing: Option<Half>,
    seq: u64,
}

/// The join's state.
pub struct Join<K, P> {
    settings: JoinSettings,
    waiting: HashMap<K, Waiting<P>>,
    /// Waiting keys by deadline (arrival order), with the entry's sequence number; an
    /// entry already gone (joined, given up) is skipped when met.
    deadlines: VecDeque<(i64, u64, K)>,
    finished: HashMap<K, Finished>,
    forget: VecDeque<(i64, u64, K)>,
    seq: u64,
    /// The sizes of the waiting halves, together.
    bytes: usize,
    /// Pairs given up whose commit failed, with their sizes, oldest first.
    held: VecDeque<(Pair<K, P>, usize)>,
    /// The sizes of the held pairs, together.
    held_bytes: usize,
}

impl<K: Hash + Eq + Clone, P> Join<K, P> {
    /// An empty join.
    pub fn new(settings: JoinSettings) -> Self {
        Self {
            settings,
            waiting: HashMap::new(),
            deadlines: VecDeque::new(),
            finished: HashMap::new(),
            forget: VecDeque::new(),
            seq: 0,
            bytes: 0,
            held: VecDeque::new(),
            held_bytes: 0,
        }
    }

    /// Pairs whose commit failed, kept to be committed again.
    pub fn held(&self) -> usize {
        self.held.len()
    }

    /// Halves waiting for their partner.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// The sizes of the halves waiting, together.
    pub fn waiting_bytes(&self) -> usize {
        self.bytes
    }

    fn finish(&mut self, now: i64, key: K, request: bool, response: bool) {
        self.seq += 1;
        let seq = self.seq;
        self.finished.insert(
            key.clone(),
            Finished {
                request,
                response,
                committing: None,
                seq,
            },
        );
        self.forget
            .push_back((now.saturating_add(self.settings.timeout_us), seq, key));
        while self.finished.len() > self.settings.max_pending.max(1) {
            self.forget_oldest();
        }
    }

    fn forget_oldest(&mut self) {
        if let Some((_, seq, key)) = self.forget.pop_front() {
            if self.finished.get(&key).is_some_and(|f| f.seq == seq) {
                self.finished.remove(&key);
            }
        }
    }

    /// Gives up the oldest waiting half; `None` when nothing waits.
    fn give_up_oldest(&mut self, now: i64) -> Option<Pair<K, P>> {
        while let Some((_, seq, key)) = self.deadlines.pop_front() {
            if self.waiting.get(&key).is_some_and(|w| w.seq == seq) {
                let w = self.waiting.remove(&key)?;
                self.bytes -= w.size;
                self.finish(now, key.clone(), w.request.is_some(), w.response.is_some());
                return Some(Pair {
                    key,
                    request: w.request,
                    response: w.response,
                    truth: w.truth,
                });
            }
        }
        None
    }

    /// Gives up every half that has waited `timeout` by `now`, and forgets finished keys
    /// older than `timeout`.
    pub fn expire(&mut self, now: i64) -> Vec<Pair<K, P>> {
        let mut ready = Vec::new();
        loop {
            // A deadline left behind by a half that has gone (joined, or taken back after a
            // failed commit) is skipped first: giving up "the oldest" past it would give up
            // a half whose own deadline has not come.
            while let Some((_, seq, key)) = self.deadlines.front() {
                if self.waiting.get(key).is_some_and(|w| w.seq == *seq) {
                    break;
                }
                self.deadlines.pop_front();
            }
            if self.deadlines.front().is_none_or(|(d, _, _)| *d > now) {
                break;
            }
            ready.extend(self.give_up_oldest(now));
        }
        while self.forget.front().is_some_and(|(d, _, _)| *d <= now) {
            self.forget_oldest();
        }
        ready
    }

    /// Gives up every waiting half and hands out the held pairs (at shutdown).
    pub fn drain(&mut self, now: i64) -> Vec<Pair<K, P>> {
        let mut ready = self.take_held();
        while let Some(p) = self.give_up_oldest(now) {
            ready.push(p);
        }
        ready
    }

    /// Keeps a pair given up (every half of it acknowledged) whose commit failed, to be
    /// handed out again by [`Join::take_held`]; `size` is its data's.
    pub fn hold(&mut self, pair: Pair<K, P>, size: usize) {
        self.held_bytes += size;
        self.held.push_back((pair, size));
    }

    /// Hands out every held pair, oldest first, for another commit.
    pub fn take_held(&mut self) -> Vec<Pair<K, P>> {
        self.held_bytes = 0;
        self.held.drain(..).map(|(p, _)| p).collect()
    }

    /// Reports that the pair `brought` completed under `key` is committed (or refused for
    /// good): a duplicate of that half is dropped from now on.
    pub fn committed(&mut self, key: &K, brought: Half) {
        if let Some(f) = self.finished.get_mut(key) {
            if f.committing == Some(brought) {
                f.committing = None;
            }
        }
    }

    /// Takes back a pair whose commit failed, that `brought` (a half the caller could not
    /// acknowledge) completed at `now`: that half is forgotten (so that it is taken again
    /// when sent again), and a partner waits anew for `timeout`, with its truth. `size`
    /// gives a half's size.
    pub fn restore(
        &mut self,
        now: i64,
        pair: Pair<K, P>,
        brought: Half,
        size: impl Fn(&P) -> usize,
    ) {
        let Pair {
            key,
            mut request,
            mut response,
            truth,
        } = pair;
        match brought {
            Half::Request => request = None,
            Half::Response => response = None,
        }
        if request.is_none() && response.is_none() {
            // A late half: its partner was given up before, so the key stays finished,
            // without this half.
            if let Some(f) = self.finished.get_mut(&key) {
                match brought {
                    Half::Request => f.request = false,
                    Half::Response => f.response = false,
                }
                f.committing = None;
            }
            return;
        }
        self.finished.remove(&key);
        if let Some(w) = self.waiting.get_mut(&key) {
            // The key was forgotten meanwhile and a new half of it waits: the partner joins
            // it when its slot is free.
            let (slot, half) = match (request, response) {
                (Some(q), _) => (&mut w.request, q),
                (None, Some(r)) => (&mut w.response, r),
                (None, None) => return,
            };
            if slot.is_none() {
                let n = size(&half);
                *slot = Some(half);
                w.size += n;
                self.bytes += n;
            }
            if w.truth.is_none() {
                w.truth = truth;
            }
            return;
        }
        let n = request
            .iter()
            .chain(response.iter())
            .map(&size)
            .sum::<usize>();
        self.seq += 1;
        self.waiting.insert(
            key.clone(),
            Waiting {
                request,
                response,
                truth,
                seq: self.seq,
                size: n,
            },
        );
        self.bytes += n;
        self.deadlines
            .push_back((now.saturating_add(self.settings.timeout_us), self.seq, key));
    }

    /// Offers one half of `size` bytes at `now`.
    pub fn offer(&mut self, now: i64, key: K, half: Half, payload: P, size: usize) -> Step<K, P> {
        let mut ready = self.expire(now);
        if let Some(f) = self.finished.get_mut(&key) {
            if f.committing == Some(half) {
                return Step {
                    offered: Offered::Committing,
                    ready,
                };
            }
            let seen = match half {
                Half::Request => &mut f.request,
                Half::Response => &mut f.response,
            };
            if *seen {
                return Step {
                    offered: Offered::Duplicate,
                    ready,
                };
            }
            *seen = true;
            f.committing = Some(half);
            let (request, response) = match half {
                Half::Request => (Some(payload), None),
                Half::Response => (None, Some(payload)),
            };
            ready.push(Pair {
                key,
                request,
                response,
                truth: None,
            });
            return Step {
                offered: Offered::Late,
                ready,
            };
        }
        if let Some(w) = self.waiting.get_mut(&key) {
            let slot = match half {
                Half::Request => &mut w.request,
                Half::Response => &mut w.response,
            };
            if slot.is_some() {
                return Step {
                    offered: Offered::Duplicate,
                    ready,
                };
            }
            *slot = Some(payload);
            let w = self.waiting.remove(&key).expect("the entry is there");
            self.bytes -= w.size;
            self.finish(now, key.clone(), true, true);
            if let Some(f) = self.finished.get_mut(&key) {
                f.committing = Some(half);
            }
            ready.push(Pair {
                key,
                request: w.request,
                response: w.response,
                truth: w.truth,
            });
            return Step {
                offered: Offered::Joined,
                ready,
            };
        }
        let max = self.settings.max_pending.max(1);
        // Giving up waiting halves makes no room while held pairs alone fill the bounds.
        if !self.held.is_empty()
            && (self.held.len() >= max
                || self.held_bytes.saturating_add(size) > self.settings.max_pending_bytes)
        {
            return Step {
                offered: Offered::Full,
                ready,
            };
        }
        while !self.waiting.is_empty()
            && (self.waiting.len() + self.held.len() >= max
                || (self.bytes + self.held_bytes).saturating_add(size)
                    > self.settings.max_pending_bytes)
        {
            match self.give_up_oldest(now) {
                Some(p) => ready.push(p),
                None => break,
            }
        }
        self.seq += 1;
        let (request, response) = match half {
            Half::Request => (Some(payload), None),
            Half::Response => (None, Some(payload)),
        };
        self.waiting.insert(
            key.clone(),
            Waiting {
                request,
                response,
                truth: None,
                seq: self.seq,
                size,
            },
        );
        self.bytes += size;
        self.deadlines
            .push_back((now.saturating_add(self.settings.timeout_us), self.seq, key));
        Step {
            offered: Offered::Waiting,
            ready,
        }
    }

    /// Gives a feedback's truth to the pair waiting under `key`; hands it back when none
    /// waits (its events are stored, or will never be).
    pub fn offer_truth(&mut self, key: &K, truth: P) -> Option<P> {
        if let Some(w) = self.waiting.get_mut(key) {
            w.truth = Some(truth);
            return None;
        }
        // A held pair is not stored yet: its truth goes with it.
        match self.held.iter_mut().find(|(p, _)| &p.key == key) {
            Some((p, _)) => {
                p.truth = Some(truth);
                None
            }
            None => Some(truth),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: JoinSettings = JoinSettings {
        timeout_us: 30,
        max_pending: 3,
        max_pending_bytes: 100,
    };

    fn outcomes(ready: &[Pair<&'static str, u32>]) -> Vec<(&'static str, Outcome)> {
        ready.iter().map(|p| (p.key, p.outcome())).collect()
    }

    #[test]
    fn request_then_response_joins() {
        let mut j = Join::new(S);
        let s = j.offer(0, "a", Half::Request, 1, 1);
        assert_eq!(s.offered, Offered::Waiting);
        assert!(s.ready.is_empty());
        let s = j.offer(5, "a", Half::Response, 2, 1);
        assert_eq!(s.offered, Offered::Joined);
        assert_eq!(
            s.ready,
            vec![Pair {
                key: "a",
                request: Some(1),
                response: Some(2),
                truth: None
            }]
        );
        assert_eq!(j.waiting(), 0);
    }

    #[test]
    fn response_first_joins_too() {
        let mut j = Join::new(S);
        assert_eq!(
            j.offer(0, "a", Half::Response, 2, 1).offered,
            Offered::Waiting
        );
        let s = j.offer(29, "a", Half::Request, 1, 1);
        assert_eq!(s.offered, Offered::Joined);
        assert_eq!(s.ready[0].request, Some(1));
        assert_eq!(s.ready[0].response, Some(2));
    }

    #[test]
    fn duplicates_are_dropped_while_waiting_and_after_the_join() {
        let mut j = Join::new(S);
        j.offer(0, "a", Half::Request, 1, 1);
        let s = j.offer(1, "a", Half::Request, 1, 1);
        assert_eq!(s.offered, Offered::Duplicate);
        assert!(s.ready.is_empty());
        assert_eq!(
            j.offer(2, "a", Half::Response, 2, 1).offered,
            Offered::Joined
        );
        j.committed(&"a", Half::Response);
        assert_eq!(
            j.offer(3, "a", Half::Response, 2, 1).offered,
            Offered::Duplicate
        );
        assert_eq!(
            j.offer(4, "a", Half::Request, 1, 1).offered,
            Offered::Duplicate
        );
        // Forgotten once `timeout` has passed since the join: a new pair under the old key.
        assert_eq!(
            j.offer(32, "a", Half::Request, 1, 1).offered,
            Offered::Waiting
        );
    }

    #[test]
    fn a_request_alone_is_given_up_after_the_timeout() {
        let mut j = Join::new(S);
        j.offer(0, "a", Half::Request, 1, 1);
        j.offer(10, "b", Half::Response, 2, 1);
        assert!(j.expire(29).is_empty());
        assert_eq!(outcomes(&j.expire(30)), vec![("a", Outcome::RequestOnly)]);
        assert_eq!(outcomes(&j.expire(40)), vec![("b", Outcome::ResponseOnly)]);
        assert_eq!(j.waiting(), 0);
        // The partner arriving late is stored alone at once, and only once.
        let s = j.offer(41, "a", Half::Response, 3, 1);
        assert_eq!(s.offered, Offered::Late);
        assert_eq!(outcomes(&s.ready), vec![("a", Outcome::ResponseOnly)]);
        j.committed(&"a", Half::Response);
        assert_eq!(
            j.offer(42, "a", Half::Response, 3, 1).offered,
            Offered::Duplicate
        );
    }

    #[test]
    fn an_offer_expires_what_is_due_first() {
        let mut j = Join::new(S);
        j.offer(0, "a", Half::Request, 1, 1);
        let s = j.offer(100, "b", Half::Request, 2, 1);
        assert_eq!(s.offered, Offered::Waiting);
        assert_eq!(outcomes(&s.ready), vec![("a", Outcome::RequestOnly)]);
    }

    #[test]
    fn the_count_bound_gives_up_the_oldest() {
        let mut j = Join::new(S);
        j.offer(0, "a", Half::Request, 1, 1);
        j.offer(1, "b", Half::Request, 2, 1);
        j.offer(2, "c", Half::Request, 3, 1);
        let s = j.offer(3, "d", Half::Request, 4, 1);
        assert_eq!(outcomes(&s.ready), vec![("a", Outcome::RequestOnly)]);
        assert_eq!(j.waiting(), 3);
        // A joined entry leaves a stale deadline behind, skipped when met.
        assert_eq!(
            j.offer(4, "b", Half::Response, 5, 1).offered,
            Offered::Joined
        );
        assert_eq!(
            outcomes(&j.expire(33)),
            vec![("c", Outcome::RequestOnly), ("d", Outcome::RequestOnly)]
        );
    }

    #[test]
    fn the_byte_bound_gives_up_the_oldest() {
        let mut j = Join::new(S);
        j.offer(0, "a", Half::Request, 1, 60);
        j.offer(1, "b", Half::Request, 2, 30);
        assert_eq!(j.waiting_bytes(), 90);
        let s = j.offer(2, "c", Half::Request, 3, 20);
        assert_eq!(outcomes(&s.ready), vec![("a", Outcome::RequestOnly)]);
        assert_eq!(j.waiting_bytes(), 50);
        // Joining frees the waiting half's bytes.
        j.offer(3, "b", Half::Response, 4, 500);
        assert_eq!(j.waiting_bytes(), 20);
        // One half over the bound waits when it would be alone.
        let s = j.offer(4, "d", Half::Request, 5, 500);
        assert_eq!(outcomes(&s.ready), vec![("c", Outcome::RequestOnly)]);
        assert_eq!((j.waiting(), j.waiting_bytes()), (1, 500));
    }

    #[test]
    fn truth_joins_a_waiting_pair_or_comes_back() {
        let mut j = Join::new(S);
        j.offer(0, "a", Half::Request, 1, 1);
        assert_eq!(j.offer_truth(&"a", 9), None);
        let s = j.offer(1, "a", Half::Response, 2, 1);
        assert_eq!(s.ready[0].truth, Some(9));
        assert_eq!(j.offer_truth(&"a", 9), Some(9));
        assert_eq!(j.offer_truth(&"zz", 7), Some(7));
    }

    #[test]
    fn a_pair_whose_commit_failed_joins_again_when_its_half_is_sent_again() {
        let mut j = Join::new(S);
        j.offer(0, "a", Half::Request, 1, 10);
        let s = j.offer(5, "a", Half::Response, 2, 20);
        assert_eq!(s.offered, Offered::Joined);
        // The commit failed: the response (not acknowledged) is forgotten, the request waits.
        j.restore(
            6,
            s.ready.into_iter().next().unwrap(),
            Half::Response,
            |_| 10,
        );
        assert_eq!((j.waiting(), j.waiting_bytes()), (1, 10));
        assert_eq!(
            j.offer(7, "a", Half::Request, 1, 10).offered,
            Offered::Duplicate
        );
        let s = j.offer(8, "a", Half::Response, 2, 20);
        assert_eq!(s.offered, Offered::Joined);
        assert_eq!(
            (s.ready[0].request, s.ready[0].response),
            (Some(1), Some(2))
        );
        j.committed(&"a", Half::Response);
        assert_eq!(
            j.offer(9, "a", Half::Response, 2, 20).offered,
            Offered::Duplicate
        );
        // The request waits anew from the failed commit: given up at 6 + 30 when alone.
        let mut j = Join::new(S);
        j.offer(0, "b", Half::Response, 1, 10);
        let s = j.offer(5, "b", Half::Request, 2, 20);
        j.restore(
            6,
            s.ready.into_iter().next().unwrap(),
            Half::Request,
            |_| 10,
        );
        assert!(j.expire(35).is_empty());
        assert_eq!(outcomes(&j.expire(36)), vec![("b", Outcome::ResponseOnly)]);
    }

    #[test]
    fn a_half_sent_again_while_its_pair_commits_waits_for_the_outcome() {
        let mut j = Join::new(S);
        j.offer(0, "a", Half::Request, 1, 1);
        let s = j.offer(1, "a", Half::Response, 2, 1);
        // The commit is under way: the same response again is not taken, the request
        // (acknowledged before) is a duplicate.
        assert_eq!(
            j.offer(2, "a", Half::Response, 2, 1).offered,
            Offered::Committing
        );
        assert_eq!(
            j.offer(2, "a", Half::Request, 1, 1).offered,
            Offered::Duplicate
        );
        // Failed: taken back, and the response joins again.
        j.restore(
            3,
            s.ready.into_iter().next().unwrap(),
            Half::Response,
            |_| 1,
        );
        assert_eq!(
            j.offer(4, "a", Half::Response, 2, 1).offered,
            Offered::Joined
        );
        assert_eq!(
            j.offer(5, "a", Half::Response, 2, 1).offered,
            Offered::Committing
        );
        // Committed: now a duplicate.
        j.committed(&"a", Half::Response);
        assert_eq!(
            j.offer(6, "a", Half::Response, 2, 1).offered,
            Offered::Duplicate
        );
        // A late half likewise.
        j.offer(10, "b", Half::Request, 1, 1);
        j.expire(40);
        assert_eq!(
            j.offer(41, "b", Half::Response, 2, 1).offered,
            Offered::Late
        );
        assert_eq!(
            j.offer(42, "b", Half::Response, 2, 1).offered,
            Offered::Committing
        );
        j.committed(&"b", Half::Response);
        assert_eq!(
            j.offer(43, "b", Half::Response, 2, 1).offered,
            Offered::Duplicate
        );
    }

    #[test]
    fn a_late_half_whose_commit_failed_is_taken_again() {
        let mut j = Join::new(S);
        j.offer(0, "a", Half::Request, 1, 1);
        assert_eq!(outcomes(&j.expire(30)), vec![("a", Outcome::RequestOnly)]);
        let s = j.offer(31, "a", Half::Response, 2, 1);
        assert_eq!(s.offered, Offered::Late);
        j.restore(
            32,
            s.ready.into_iter().next().unwrap(),
            Half::Response,
            |_| 1,
        );
        assert_eq!(j.waiting(), 0);
        assert_eq!(
            j.offer(33, "a", Half::Response, 2, 1).offered,
            Offered::Late
        );
        assert_eq!(
            j.offer(34, "a", Half::Request, 1, 1).offered,
            Offered::Duplicate
        );
    }

    #[test]
    fn held_pairs_come_back_and_fill_the_bounds() {
        let mut j = Join::new(S);
        j.offer(0, "a", Half::Request, 1, 40);
        j.offer(0, "b", Half::Request, 2, 40);
        let given_up = j.expire(30);
        assert_eq!(given_up.len(), 2);
        // Their commit failed: held, and they count against the bounds.
        for p in given_up {
            j.hold(p, 40);
        }
        assert_eq!(j.held(), 2);
        assert_eq!(j.offer_truth(&"a", 7), None);
        assert_eq!(
            j.offer(31, "c", Half::Request, 3, 10).offered,
            Offered::Waiting
        );
        // 80 held + 10 waiting + 20 > 100: the waiting half is given up to make room.
        let s = j.offer(32, "d", Half::Request, 4, 20);
        assert_eq!(s.offered, Offered::Waiting);
        assert_eq!(outcomes(&s.ready), vec![("c", Outcome::RequestOnly)]);
        // Held pairs alone leave no room for 30 bytes: not taken, nothing given up for it.
        let s = j.offer(33, "e", Half::Request, 5, 30);
        assert_eq!(s.offered, Offered::Full);
        assert!(s.ready.is_empty());
        assert_eq!(j.waiting(), 1);
        // Handed out again in order, the truth with its pair; then there is room.
        let again = j.take_held();
        assert_eq!(
            outcomes(&again),
            vec![("a", Outcome::RequestOnly), ("b", Outcome::RequestOnly)]
        );
        assert_eq!(again[0].truth, Some(7));
        assert_eq!(
            j.offer(34, "e", Half::Request, 5, 30).offered,
            Offered::Waiting
        );
        // At shutdown, held pairs are handed out with the waiting halves.
        j.hold(again.into_iter().next().unwrap(), 40);
        assert_eq!(
            outcomes(&j.drain(35)),
            vec![
                ("a", Outcome::RequestOnly),
                ("d", Outcome::RequestOnly),
                ("e", Outcome::RequestOnly)
            ]
        );
        assert_eq!((j.waiting(), j.held()), (0, 0));
    }

    #[test]
    fn drain_gives_up_everything() {
        let mut j = Join::new(S);
        j.offer(0, "a", Half::Request, 1, 1);
        j.offer(0, "b", Half::Response, 1, 1);
        assert_eq!(
            outcomes(&j.drain(1)),
            vec![("a", Outcome::RequestOnly), ("b", Outcome::ResponseOnly)]
        );
        assert_eq!(j.waiting(), 0);
    }
}
