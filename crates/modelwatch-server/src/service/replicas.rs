//! What a replica reads of the other replicas' changes, on a store several `serve`
//! processes share (PostgreSQL; see [`crate::leadership`]). Every replica ingests and
//! answers reads, and each keeps in memory what it serves from: the projects with their
//! parsed references, the API alert rules, each project's latest snapshot (behind
//! `/metrics` and the alert rules) and the alerts pending or firing. [`sync`], run by the
//! leadership loop every two seconds, brings that memory up to the store:
//! - a project created, changed or deleted on another replica is installed, replaced or
//!   forgotten here (compared by `updated_us`, so a reference is read and parsed only when
//!   it changed);
//! - the API alert rules are read again;
//! - a project whose newest stored snapshot is not the one in memory gets it (one query
//!   for the newest snapshot's id per project, and its metrics only when it changed);
//! - a follower takes the leader's alerts pending or firing, for its `/metrics` and
//!   `/api/v1/alerts`;
//! - the leader is told of projects that still lack a snapshot of their current settings,
//!   so that events ingested on another replica start their first snapshot as they would
//!   here ([`crate::scheduler`]).
//!
//! What stays per replica: the request and ingestion counters of `/metrics` (each replica
//! counts what it served, as Prometheus expects of replicas scraped one by one), and the
//! example images of the latest snapshot (only the replica that took it has them).

use std::collections::HashMap;

use crate::store::StoreError;
use crate::{AppState, LatestSnapshot};

/// Brings this replica's memory up to the store (see the module's documentation); each
/// part that fails is logged and tried again at the next call.
pub fn sync(state: &AppState) {
    if let Err(e) = sync_projects(state) {
        tracing::warn!(error = %e, "replicas: cannot read the projects");
    }
    match state.store.alerts().rules() {
        Ok(stored) => state.alerts.set_api_rules(
            stored
                .iter()
                .filter_map(|j| serde_json::from_str(j).ok())
                .collect(),
        ),
        Err(e) => tracing::warn!(error = %e, "replicas: cannot read the alert rules"),
    }
    if let Err(e) = sync_latest(state) {
        tracing::warn!(error = %e, "replicas: cannot read the latest snapshots");
    }
    if !state.leader.leads() {
        if let Err(e) = state.alerts.follow() {
            tracing::warn!(error = %e, "replicas: cannot read the active alerts");
        }
    } else {
        for project in state.projects().values() {
            if crate::scheduler::lacks_current_snapshot(state, project) {
                state.changes.changed(&project.name);
            }
        }
    }
}

/// Installs the projects another replica created or changed, forgets those it deleted.
fn sync_projects(state: &AppState) -> Result<(), StoreError> {
    // No local change of a project runs meanwhile (see `AppState::saving`).
    let _saving = state.saving();
    let stored: HashMap<String, i64> = state.store.project_versions()?.into_iter().collect();
    let known: HashMap<String, i64> = state
        .projects()
        .iter()
        .map(|(n, p)| (n.clone(), p.updated_us))
        .collect();
    for name in known.keys().filter(|n| !stored.contains_key(*n)) {
        tracing::info!(project = %name, "replicas: project deleted by another replica");
        state.remove(name);
    }
    for (name, updated_us) in &stored {
        if known.get(name) == Some(updated_us) {
            continue;
        }
        // Read again: it may have changed or gone since it was listed.
        let Some(record) = state.store.get_project(name)? else {
            continue;
        };
        match super::projects::restore(state, record) {
            Ok(()) => {
                tracing::info!(project = %name, "replicas: project changed by another replica");
                state.changes.changed(name);
            }
            Err(e) => {
                tracing::warn!(project = %name, error = %e, "replicas: cannot set up project")
            }
        }
    }
    Ok(())
}

/// Makes each project's newest stored snapshot the latest in memory.
pub(crate) fn sync_latest(state: &AppState) -> Result<(), StoreError> {
    let names: Vec<String> = state.projects().keys().cloned().collect();
    for name in names {
        let newest = state.store.list_snapshots(&name, i64::MIN, i64::MAX, 1)?;
        let Some(newest) = newest.first() else {
            continue;
        };
        if state.latest().get(&name).map(|l| l.meta.id) == Some(newest.id) {
            continue;
        }
        if let Some((meta, metrics)) = state.store.latest_snapshot(&name)? {
            state.set_latest(&name, LatestSnapshot { meta, metrics });
        }
    }
    Ok(())
}
