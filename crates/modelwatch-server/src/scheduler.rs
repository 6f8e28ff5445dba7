//! Scheduled snapshots and retention.
//!
//! Every second the scheduler looks for projects whose next snapshot is due, runs their
//! presets over the window (on a blocking thread, one run per project at a time) and
//! stores the snapshot. Every ten minutes it prunes events and snapshots older than the
//! retention settings. On shutdown it stops starting runs and waits for running ones.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::project::{parse_duration, Project};
use crate::service::snapshots::take_snapshot;
use crate::{now_us, AppState};

const PRUNE_EVERY: Duration = Duration::from_secs(600);

/// The scheduler loop; returns after `stop` turns true and running snapshots finish.
pub async fn run(state: Arc<AppState>, mut stop: watch::Receiver<bool>) {
    let mut next_due: HashMap<String, i64> = HashMap::new();
    let mut running: JoinSet<String> = JoinSet::new();
    let mut busy: std::collections::HashSet<String> = Default::default();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut last_prune = tokio::time::Instant::now();
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => break,
            Some(done) = running.join_next(), if !running.is_empty() => {
                if let Ok(name) = done {
                    busy.remove(&name);
                }
                continue;
            }
        }
        if *stop.borrow() {
            break;
        }
        let now = now_us();
        let projects: Vec<Arc<Project>> = state.projects().values().cloned().collect();
        next_due.retain(|name, _| projects.iter().any(|p| &p.name == name));
        for project in projects {
            let Ok(interval) = project.config.schedule.interval() else {
                continue;
            };
            if interval.is_zero() || project.reference.is_none() || busy.contains(&project.name) {
                continue;
            }
            let due = *next_due
                .entry(project.name.clone())
                .or_insert(now + interval.as_micros() as i64);
            if now < due {
                continue;
            }
            next_due.insert(project.name.clone(), now + interval.as_micros() as i64);
            busy.insert(project.name.clone());
            let state = state.clone();
            running.spawn_blocking(move || {
                match take_snapshot(&state, &project) {
                    Ok(Some(id)) => tracing::info!(project = %project.name, id, "snapshot taken"),
                    Ok(None) => {
                        tracing::debug!(project = %project.name, "too few events for a snapshot")
                    }
                    Err(e) => {
                        tracing::warn!(project = %project.name, error = %e, "snapshot failed")
                    }
                }
                project.name.clone()
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
