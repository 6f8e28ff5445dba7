//! Scheduled snapshots and retention.
//!
//! Every second the scheduler looks for projects whose next snapshot is due, runs their
//! presets over the window (on a blocking thread, one run per project at a time) and
//! stores the snapshot. Every ten minutes it prunes events and snapshots older than the
//! retention settings. On shutdown it stops starting runs and waits for running ones.
//!
//! A project without a snapshot of its current settings and reference (a new project, one
//! just given a new reference or new settings, every project at start) does not wait for
//! its interval: ingestion and saves name the project in [`ProjectChanges`], which wakes the
//! scheduler, and such a project's window is tried at once; the first try that finds
//! `min_rows` events takes the snapshot, and `/metrics` has its gauges. A try over a window
//! still too small reads fewer than `min_rows` events, so trying on every ingest is cheap; a
//! try that fails for another reason is not repeated until the project is saved again (the
//! schedule still runs).
//!
//! Among replicas sharing a store only the leader ([`crate::leadership`]) takes scheduled
//! snapshots and prunes; a replica that becomes leader counts each project's next snapshot
//! from the newest one stored, whoever took it.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;

use crate::project::{parse_duration, Project};
use crate::service::snapshots::take_snapshot;
use crate::{now_us, AppState};

const PRUNE_EVERY: Duration = Duration::from_secs(600);

/// Projects whose events or settings changed since the scheduler last looked, with the
/// wake-up that tells it to look.
#[derive(Debug, Default)]
pub struct ProjectChanges {
    names: Mutex<HashSet<String>>,
    wake: Notify,
}

impl ProjectChanges {
    /// Notes that `project` got events or was saved, and wakes the scheduler.
    pub fn changed(&self, project: &str) {
        let mut names = self.names.lock().unwrap_or_else(|p| p.into_inner());
        if !names.contains(project) {
            names.insert(project.to_string());
        }
        drop(names);
        // One stored permit: changes while the scheduler works wake it once more after.
        self.wake.notify_one();
    }

    /// The projects noted since the last call.
    fn take(&self) -> HashSet<String> {
        std::mem::take(&mut *self.names.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// Whether `project` has no snapshot taken since it was last saved (a new project, or new
/// settings or reference), so that `/metrics` shows nothing of what it is now.
pub(crate) fn lacks_current_snapshot(state: &AppState, project: &Project) -> bool {
    state
        .latest()
        .get(&project.name)
        .is_none_or(|l| l.meta.taken_us < project.updated_us)
}

/// What a finished snapshot run reports back to the loop.
struct Ran {
    project: String,
    /// A run started by a change rather than by the schedule.
    early: bool,
    /// The project's `updated_us` when the run started.
    version: i64,
    outcome: Outcome,
}

enum Outcome {
    Taken,
    TooFewRows,
    Failed,
}

/// The scheduler loop; returns after `stop` turns true and running snapshots finish.
pub async fn run(state: Arc<AppState>, mut stop: watch::Receiver<bool>) {
    let mut next_due: HashMap<String, i64> = HashMap::new();
    let mut running: JoinSet<Ran> = JoinSet::new();
    let mut busy: HashSet<String> = HashSet::new();
    // Projects to try early (every project at start), and the project versions whose early
    // try failed other than by too few rows.
    let mut changed: HashSet<String> = state.projects().keys().cloned().collect();
    let mut failed_early: HashMap<String, i64> = HashMap::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut last_prune = tokio::time::Instant::now();
    // The leadership term this loop schedules in: a store of one process leads from the
    // start (term 1) with the schedule counted from now; on a shared store each new term
    // reads the schedule from the stored snapshots first.
    let mut term_seen = if state.store.shared() { 0 } else { 1 };
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = state.changes.wake.notified() => {}
            _ = stop.changed() => break,
            Some(done) = running.join_next(), if !running.is_empty() => {
                if let Ok(ran) = done {
                    busy.remove(&ran.project);
                    match ran.outcome {
                        Outcome::Taken if ran.early => {
                            // The schedule counts from the early snapshot.
                            let interval = state
                                .project(&ran.project)
                                .and_then(|p| p.config.schedule.interval().ok());
                            if let Some(interval) = interval {
                                next_due.insert(
                                    ran.project.clone(),
                                    now_us() + interval.as_micros() as i64,
                                );
                            }
                        }
                        Outcome::Failed if ran.early => {
                            failed_early.insert(ran.project.clone(), ran.version);
                        }
                        _ => {}
                    }
                }
            }
        }
        if *stop.borrow() {
            break;
        }
        changed.extend(state.changes.take());
        if !state.leader.leads() {
            // Another replica schedules; what this one noted is the leader's to find (see
            // `service::replicas`).
            changed.clear();
            next_due.clear();
            continue;
        }
        let term = state.leader.term();
        if term != term_seen {
            // Led by another replica until now: the schedule goes on from the snapshots it
            // stored, so a takeover neither repeats nor skips one.
            let s = state.clone();
            let read =
                tokio::task::spawn_blocking(move || crate::service::replicas::sync_latest(&s))
                    .await;
            if !matches!(read, Ok(Ok(()))) {
                tracing::warn!("scheduler: cannot read the latest snapshots; trying again");
                continue;
            }
            next_due.clear();
            for project in state.projects().values() {
                let Ok(interval) = project.config.schedule.interval() else {
                    continue;
                };
                if let Some(l) = state.latest().get(&project.name) {
                    next_due.insert(
                        project.name.clone(),
                        l.meta.taken_us + interval.as_micros() as i64,
                    );
                }
            }
            term_seen = term;
        }
        let now = now_us();
        let projects: Vec<Arc<Project>> = state.projects().values().cloned().collect();
        next_due.retain(|name, _| projects.iter().any(|p| &p.name == name));
        changed.retain(|name| projects.iter().any(|p| &p.name == name));
        failed_early.retain(|name, _| projects.iter().any(|p| &p.name == name));
        for project in projects {
            let Ok(interval) = project.config.schedule.interval() else {
                continue;
            };
            if interval.is_zero() || project.reference.is_none() {
                changed.remove(&project.name);
                continue;
            }
            // A busy project keeps its change noted, for when its run ends.
            if busy.contains(&project.name) {
                continue;
            }
            let early = changed.remove(&project.name)
                && failed_early.get(&project.name) != Some(&project.updated_us)
                && lacks_current_snapshot(&state, &project);
            let due = *next_due
                .entry(project.name.clone())
                .or_insert(now + interval.as_micros() as i64);
            if now < due && !early {
                continue;
            }
            let early = now < due;
            if !early {
                next_due.insert(project.name.clone(), now + interval.as_micros() as i64);
            }
            busy.insert(project.name.clone());
            let state = state.clone();
            running.spawn_blocking(move || {
                let outcome = match take_snapshot(&state, &project) {
                    Ok(Some(id)) => {
                        tracing::info!(project = %project.name, id, early, "snapshot taken");
                        Outcome::Taken
                    }
                    Ok(None) => {
                        tracing::debug!(project = %project.name, "too few events for a snapshot");
                        Outcome::TooFewRows
                    }
                    Err(e) => {
                        tracing::warn!(project = %project.name, error = %e, "snapshot failed");
                        Outcome::Failed
                    }
                };
                Ran {
                    project: project.name.clone(),
                    early,
                    version: project.updated_us,
                    outcome,
                }
            });
        }
        if last_prune.elapsed() >= PRUNE_EVERY {
            last_prune = tokio::time::Instant::now();
            prune(&state);
        }
    }
    while running.join_next().await.is_some() {}
}

fn prune(state: &AppState) {
    let r = &state.config.retention;
    let (Ok(events), Ok(snapshots)) = (
        parse_duration("retention.events", &r.events),
        parse_duration("retention.snapshots", &r.snapshots),
    ) else {
        return;
    };
    let now = now_us();
    match state.store.prune(
        now - events.as_micros() as i64,
        now - snapshots.as_micros() as i64,
    ) {
        Ok((e, s)) if e + s > 0 => tracing::info!(events = e, snapshots = s, "pruned old data"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "pruning failed"),
    }
}
