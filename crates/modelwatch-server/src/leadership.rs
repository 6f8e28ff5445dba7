//! Which replica leads: the decision of one replica, as a pure state machine with time
//! passed in (tested without a clock, like [`crate::alerts::state`]).
//!
//! Several `serve` replicas on one PostgreSQL database must run the scheduler and the
//! alert evaluation on exactly one of them. The lock itself is PostgreSQL's
//! (a session-level advisory lock, see
//! [`PostgresStore::try_lead`](crate::store::postgres::PostgresStore::try_lead)): held
//! while the session lives, released by the server when the session dies (a replica
//! killed, its connection cut). This machine decides, from what each attempt observed,
//! whether this replica leads now and when to ask again:
//! - a follower asks every [`LeaderTiming::retry_us`];
//! - a leader confirms every [`LeaderTiming::confirm_us`] that its session still holds the
//!   lock, and stops leading at the first failed confirmation;
//! - a leader whose last confirmation is older than [`LeaderTiming::valid_us`] no longer
//!   leads even if no attempt reported back (a check that hangs), so a stalled replica
//!   never keeps acting as leader while another may have taken over.
//!
//! [`LeaderFlag`] is what the rest of the server reads (the scheduler, the alert
//! evaluation, `/readyz`), and [`run`] the loop that asks the store and keeps the flag; a
//! store used by one process only (SQLite) leads from the start and is never asked.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::store::StoreError;
use crate::AppState;

/// A replica's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Another replica leads (or none does yet); this one retries.
    Follower,
    /// This replica holds the lock and runs the scheduler and alert evaluation.
    Leader,
}

/// What one attempt to take or confirm the lock found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observation {
    /// This replica's session holds the lock (just taken, or still held).
    Held,
    /// Another session holds it, or the attempt failed (the database unreachable).
    NotHeld,
}

/// A change of role, for the log and `/readyz`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// This replica now leads.
    BecameLeader,
    /// This replica stopped leading.
    SteppedDown,
}

/// How often to ask, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaderTiming {
    /// How often a follower tries to take the lock.
    pub retry_us: i64,
    /// How often a leader confirms it still holds the lock.
    pub confirm_us: i64,
    /// How long a confirmation keeps a leader leading without another one.
    pub valid_us: i64,
}

impl Default for LeaderTiming {
    /// Retry every 3 s, confirm every 1 s, lead at most 5 s past the last confirmation: a
    /// dead leader's lock is free as soon as its session ends, and a follower takes it
    /// within one retry (3 s), well inside a 15 s takeover bound.
    fn default() -> Self {
        Self {
            retry_us: 3_000_000,
            confirm_us: 1_000_000,
            valid_us: 5_000_000,
        }
    }
}

/// One replica's view of the leadership.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Leadership {
    role: Role,
    /// When to take or confirm the lock next.
    next_attempt_us: i64,
    /// Until when the last confirmation lets this replica lead (meaningful as leader).
    valid_until_us: i64,
    /// When the current role began.
    since_us: i64,
}

impl Leadership {
    /// A replica starting at `now_us`: a follower that tries at once.
    pub fn new(now_us: i64) -> Self {
        Self {
            role: Role::Follower,
            next_attempt_us: now_us,
            valid_until_us: now_us,
            since_us: now_us,
        }
    }

    /// Whether an attempt (take or confirm) is due at `now_us`.
    pub fn due(&self, now_us: i64) -> bool {
        now_us >= self.next_attempt_us
    }

    /// The role at `now_us`: a leader whose confirmation has lapsed is a follower.
    pub fn role(&self, now_us: i64) -> Role {
        match self.role {
            Role::Leader if now_us < self.valid_until_us => Role::Leader,
            _ => Role::Follower,
        }
    }

    /// When the current role began, microseconds since the Unix epoch.
    pub fn since_us(&self) -> i64 {
        self.since_us
    }

    /// Until when the last confirmation lets this replica lead (meaningful as leader).
    pub fn valid_until_us(&self) -> i64 {
        self.valid_until_us
    }

    /// Takes what an attempt made at `now_us` observed; returns the change of role, if any.
    pub fn observe(&mut self, now_us: i64, seen: Observation, t: &LeaderTiming) -> Option<Change> {
        let was = self.role(now_us);
        match seen {
            Observation::Held => {
                self.role = Role::Leader;
                self.valid_until_us = now_us + t.valid_us;
                self.next_attempt_us = now_us + t.confirm_us;
            }
            Observation::NotHeld => {
                self.role = Role::Follower;
                self.valid_until_us = now_us;
                self.next_attempt_us = now_us + t.retry_us;
            }
        }
        let now = self.role(now_us);
        if now != was {
            self.since_us = now_us;
        }
        match (was, now) {
            (Role::Follower, Role::Leader) => Some(Change::BecameLeader),
            (Role::Leader, Role::Follower) => Some(Change::SteppedDown),
            _ => None,
        }
    }
}

/// This replica's role as the rest of the server reads it (a field of
/// [`crate::AppState`]): whether it leads at this instant, since when, and a term that grows
/// each time it becomes leader, so that the scheduler and the alert evaluation know to
/// reload what another leader may have changed meanwhile.
#[derive(Debug)]
pub struct LeaderFlag {
    /// Until when this replica leads, microseconds since the Unix epoch (`i64::MIN` while
    /// it follows, `i64::MAX` for a store of one process).
    valid_until_us: AtomicI64,
    /// When the current role began.
    since_us: AtomicI64,
    /// How many times this replica became leader.
    term: AtomicU64,
}

impl LeaderFlag {
    /// A follower; `alone` makes it lead for good from `now_us` (a store no other process
    /// shares).
    pub fn new(alone: bool, now_us: i64) -> Self {
        let flag = Self {
            valid_until_us: AtomicI64::new(i64::MIN),
            since_us: AtomicI64::new(now_us),
            term: AtomicU64::new(0),
        };
        if alone {
            flag.valid_until_us.store(i64::MAX, Ordering::SeqCst);
            flag.term.store(1, Ordering::SeqCst);
        }
        flag
    }

    /// Whether this replica leads now: its last confirmation has not lapsed.
    pub fn leads(&self) -> bool {
        crate::now_us() < self.valid_until_us.load(Ordering::SeqCst)
    }

    /// How many times this replica became leader (0 before the first time).
    pub fn term(&self) -> u64 {
        self.term.load(Ordering::SeqCst)
    }

    /// When the current role began, microseconds since the Unix epoch.
    pub fn since_us(&self) -> i64 {
        self.since_us.load(Ordering::SeqCst)
    }

    /// Copies the role `l` gives at `now_us`; returns the change it makes to the flag.
    fn follow(&self, l: &Leadership, now_us: i64) -> Option<Change> {
        let was = self.valid_until_us.load(Ordering::SeqCst) > now_us;
        let leads = l.role(now_us) == Role::Leader;
        if leads {
            if !was {
                self.term.fetch_add(1, Ordering::SeqCst);
                self.since_us.store(l.since_us(), Ordering::SeqCst);
            }
            self.valid_until_us
                .store(l.valid_until_us(), Ordering::SeqCst);
        } else {
            self.valid_until_us.store(i64::MIN, Ordering::SeqCst);
            if was {
                self.since_us.store(now_us, Ordering::SeqCst);
            }
        }
        match (was, leads) {
            (false, true) => Some(Change::BecameLeader),
            (true, false) => Some(Change::SteppedDown),
            _ => None,
        }
    }

    /// Stops leading at once (the replica is stopping).
    fn clear(&self) {
        self.valid_until_us.store(i64::MIN, Ordering::SeqCst);
    }
}

/// How often the loop looks at the attempt in flight and the clock.
const TICK: Duration = Duration::from_millis(200);

/// How often a replica on a shared store reads what other replicas changed (projects, API
/// rules, snapshots, alerts); see [`crate::service::replicas`].
const SYNC_EVERY: Duration = Duration::from_secs(2);

/// The leadership loop of a replica on a shared store (started by [`crate::serve`]): takes
/// or confirms the lock when due (on a blocking thread, never waited on: a check that hangs
/// lets the confirmation lapse instead of stalling the loop), keeps
/// [`crate::AppState::leader`], logs each change, and every [`SYNC_EVERY`] reads what the
/// other replicas changed. At `stop` it stops leading and gives the lock up. A store of one
/// process has nothing to do here.
pub(crate) async fn run(state: Arc<AppState>, mut stop: watch::Receiver<bool>) {
    if !state.store.shared() {
        let _ = stop.changed().await;
        return;
    }
    let timing = LeaderTiming::default();
    let mut lead = Leadership::new(crate::now_us());
    let mut attempt: Option<(i64, tokio::task::JoinHandle<Result<bool, StoreError>>)> = None;
    let mut failing = false;
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_sync: Option<tokio::time::Instant> = None;
    let replica = &state.config.listen;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => break,
        }
        if *stop.borrow() {
            break;
        }
        if attempt.as_ref().is_some_and(|(_, h)| h.is_finished()) {
            let (started, handle) = attempt.take().expect("checked above");
            let seen = match handle.await {
                Ok(Ok(held)) => {
                    if failing {
                        tracing::info!("leadership: the store answers again");
                    }
                    failing = false;
                    if held {
                        Observation::Held
                    } else {
                        Observation::NotHeld
                    }
                }
                Ok(Err(e)) => {
                    if !failing {
                        tracing::warn!(error = %e, "leadership: cannot reach the store");
                    }
                    failing = true;
                    Observation::NotHeld
                }
                Err(e) => {
                    tracing::warn!(error = %e, "leadership: the attempt failed");
                    Observation::NotHeld
                }
            };
            // A confirmation counts from when it was asked, not from when it came back.
            lead.observe(started, seen, &timing);
        }
        let now = crate::now_us();
        if attempt.is_none() && lead.due(now) {
            let store = state.store.clone();
            attempt = Some((now, tokio::task::spawn_blocking(move || store.try_lead())));
        }
        match state.leader.follow(&lead, now) {
            Some(Change::BecameLeader) => tracing::info!(
                replica = %replica,
                term = state.leader.term(),
                "this replica leads: it runs the scheduler and the alert evaluation"
            ),
            Some(Change::SteppedDown) => tracing::warn!(
                replica = %replica,
                "this replica no longer leads (the lock was lost or not confirmed in time)"
            ),
            None => {}
        }
        if last_sync.is_none_or(|t| t.elapsed() >= SYNC_EVERY) {
            last_sync = Some(tokio::time::Instant::now());
            let s = state.clone();
            let _ = tokio::task::spawn_blocking(move || crate::service::replicas::sync(&s)).await;
        }
    }
    state.leader.clear();
    if let Some((_, handle)) = attempt {
        let _ = handle.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000;

    #[test]
    fn a_follower_retries_until_it_takes_the_lock() {
        let t = LeaderTiming::default();
        let mut l = Leadership::new(0);
        assert!(l.due(0));
        assert_eq!(l.observe(0, Observation::NotHeld, &t), None);
        assert_eq!(l.role(0), Role::Follower);
        assert!(!l.due(3 * S - 1));
        assert!(l.due(3 * S));
        assert_eq!(
            l.observe(3 * S, Observation::Held, &t),
            Some(Change::BecameLeader)
        );
        assert_eq!((l.role(3 * S), l.since_us()), (Role::Leader, 3 * S));
        // Confirmed every second, it keeps leading.
        assert!(l.due(4 * S));
        assert_eq!(l.observe(4 * S, Observation::Held, &t), None);
        assert_eq!((l.role(8 * S), l.since_us()), (Role::Leader, 3 * S));
    }

    #[test]
    fn a_failed_confirmation_steps_down_at_once() {
        let t = LeaderTiming::default();
        let mut l = Leadership::new(0);
        l.observe(0, Observation::Held, &t);
        assert_eq!(
            l.observe(S, Observation::NotHeld, &t),
            Some(Change::SteppedDown)
        );
        assert_eq!((l.role(S), l.since_us()), (Role::Follower, S));
        assert!(!l.due(S + 1) && l.due(4 * S));
    }

    #[test]
    fn a_leader_without_confirmation_lapses_by_itself() {
        let t = LeaderTiming::default();
        let mut l = Leadership::new(0);
        l.observe(10 * S, Observation::Held, &t);
        // No attempt reports back (the check hangs): leading ends 5 s after the last one.
        assert_eq!(l.role(15 * S - 1), Role::Leader);
        assert_eq!(l.role(15 * S), Role::Follower);
        // A late confirmation makes it leader again, as a change.
        assert_eq!(
            l.observe(16 * S, Observation::Held, &t),
            Some(Change::BecameLeader)
        );
        assert_eq!(l.since_us(), 16 * S);
    }

    /// Two replicas over one lock, simulated: exactly one leads at every second, and when
    /// the leader dies (its lock freed) the other leads within one retry interval.
    #[test]
    fn two_replicas_never_lead_together_and_take_over_within_a_retry() {
        let t = LeaderTiming::default();
        let mut replicas = [Leadership::new(0), Leadership::new(0)];
        let mut holder: Option<usize> = None;
        let mut alive = [true, true];
        let mut took_over_at = None;
        for second in 0..40 {
            let now = second * S;
            if second == 20 {
                // Replica 0 (the leader) is killed: the server frees its lock.
                assert_eq!(holder, Some(0));
                alive[0] = false;
                holder = None;
            }
            for (i, r) in replicas.iter_mut().enumerate() {
                if !alive[i] || !r.due(now) {
                    continue;
                }
                let seen = match holder {
                    None => {
                        holder = Some(i);
                        Observation::Held
                    }
                    Some(h) if h == i => Observation::Held,
                    Some(_) => Observation::NotHeld,
                };
                if r.observe(now, seen, &t) == Some(Change::BecameLeader) && second >= 20 {
                    took_over_at = Some(second);
                }
            }
            let leading = (0..2)
                .filter(|i| alive[*i] && replicas[*i].role(now) == Role::Leader)
                .count();
            assert!(leading <= 1, "second {second}");
            if second > 0 && second < 20 {
                assert_eq!(leading, 1, "second {second}");
            }
        }
        let took = took_over_at.expect("replica 1 takes over");
        assert!((20..=23).contains(&took), "took over at {took}");
    }
}
