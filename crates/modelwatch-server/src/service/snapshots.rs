//! Snapshots: a window report over a project's scheduled window, stored with its flat
//! metrics and made the project's latest (which `/metrics` and the alerts read). Both
//! `POST .../snapshots` and the scheduler take them through [`take_snapshot`].

use super::windows::{run_window, WindowError};
use crate::project::Project;
use crate::store::{SnapshotMeta, WindowQuery};
use crate::{now_us, AppState, LatestSnapshot};

/// Takes one snapshot of `project` over its scheduled window ending now. `Ok(None)` when
/// the window holds too few events.
pub fn take_snapshot(state: &AppState, project: &Project) -> Result<Option<i64>, WindowError> {
    let window = project
        .config
        .schedule
        .window()
        .map_err(|e| WindowError::Invalid(e.to_string()))?;
    let to_us = now_us();
    let from_us = to_us - window.as_micros() as i64;
    let spec = WindowQuery::Range { from_us, to_us };
    let run = match run_window(state, project, spec, &project.config.presets, true) {
        Ok(run) => run,
        Err(WindowError::TooFewRows { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    let meta = SnapshotMeta {
        id: 0,
        taken_us: to_us,
        window_from_us: from_us,
        window_to_us: to_us,
        rows: run.results.meta.current_rows as i64,
    };
    let metrics = crate::snapshot::snapshot_metrics(
        &run.results,
        project.config.columns.prediction.as_deref(),
    );
    let json =
        serde_json::to_string(&run.results).map_err(|e| WindowError::Internal(e.to_string()))?;
    let id = state
        .store
        .put_snapshot(&project.name, &meta, &json, &metrics)
        .map_err(|e| WindowError::Internal(e.to_string()))?;
    state.set_image_examples(project, run.examples);
    state.set_latest(
        &project.name,
        LatestSnapshot {
            meta: SnapshotMeta { id, ..meta },
            metrics,
        },
    );
    crate::alerts::snapshot_taken(state);
    Ok(Some(id))
}
