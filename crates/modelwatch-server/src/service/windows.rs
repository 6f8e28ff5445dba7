//! Window reports: the presets of a project run over a window of its stored events
//! against its reference. Reports and snapshots, whether asked for or scheduled, go
//! through [`run_window`].

use modelwatch_core::results::{Meta, Preset};
use modelwatch_core::run::{run_presets, RunSpec};

use crate::project::Project;
use crate::store::WindowQuery;
use crate::{now_us, AppState};
use modelwatch_core::time::{format_us, TimeShape};

/// Why a window report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum WindowError {
    /// Fewer events than the project's `schedule.min_rows`.
    #[error("the window holds {rows} events; a report needs at least {min} (the project's schedule.min_rows)")]
    TooFewRows {
        /// Events in the window.
        rows: usize,
        /// The least a report needs.
        min: usize,
    },
    /// The project has no reference data to compare with.
    #[error("project `{0}` has no reference data yet")]
    NoReference(String),
    /// The presets refused the data or the settings.
    #[error("{0}")]
    Invalid(String),
    /// The store or the table building failed.
    #[error("{0}")]
    Internal(String),
}

/// A computed window report.
pub struct WindowRun {
    /// The presets' results.
    pub results: modelwatch_core::results::Results,
    /// Example images of each image column of the project.
    pub examples: Vec<super::image_examples::WindowExamples>,
}

/// Runs `presets` over a window of `project`'s events against its reference. With
/// `lenient_quality` (scheduled snapshots, reports with the project's own presets), a
/// window whose model quality cannot be computed (no labelled rows yet) still gets the
/// other presets.
pub fn run_window(
    state: &AppState,
    project: &Project,
    query: WindowQuery,
    presets: &[Preset],
    lenient_quality: bool,
) -> Result<WindowRun, WindowError> {
    let reference = project
        .reference
        .as_ref()
        .ok_or_else(|| WindowError::NoReference(project.name.clone()))?;
    let (events, window_size) = state
        .store
        .sample_events(&project.name, query, project.config.schedule.max_rows)
        .map_err(|e| WindowError::Internal(e.to_string()))?;
    let min = project.config.schedule.min_rows.max(1);
    if events.len() < min {
        return Err(WindowError::TooFewRows {
            rows: events.len(),
            min,
        });
    }
    let columns = &project.run_columns;
    let extra = project.configured_columns();
    let (first, last) = (
        events.first().map_or(0, |e| e.ts_us),
        events.last().map_or(0, |e| e.ts_us),
    );
    let sampled = events.len() as u64 != window_size;
    let shown = events.len();
    let seqs: Vec<i64> = if project.config.columns.images.is_empty() {
        Vec::new()
    } else {
        events.iter().map(|e| e.seq).collect()
    };
    // Text descriptors are computed from the window's texts, as the reference's were when
    // the project was built (core's one implementation, the same settings).
    let computed: Vec<String> = project
        .text_descriptors
        .iter()
        .map(|s| s.column_name())
        .collect();
    let current = super::window_table::window_table(
        reference,
        events,
        columns.target.as_deref(),
        columns.timestamp.as_deref(),
        &extra,
        &computed,
    )
    .map_err(|e| WindowError::Internal(e.to_string()))?;
    let current = crate::project::with_text_descriptors(current, &project.text_descriptors)
        .map_err(|e| WindowError::Invalid(e.to_string()))?;
    let mut current_name = format!(
        "events {} to {}",
        format_us(first, TimeShape::Micros),
        format_us(last, TimeShape::Micros)
    );
    if sampled {
        current_name.push_str(&format!(
            " (every k-th: {shown} of {window_size}; schedule.max_rows)"
        ));
    }
    let meta = Meta {
        reference: format!("project {} reference", project.name),
        current: current_name,
        reference_rows: reference.rows(),
        current_rows: current.rows(),
        version: modelwatch_core::VERSION.to_string(),
        generated_at: format_us(now_us(), TimeShape::Micros),
        seed: project.config.drift.seed,
        time_range: None,
    };
    // Model quality needs labelled rows, which a window may not have yet (labels come
    // late): leniently, the other presets still run and the log says why quality is missing.
    let others_run = presets
        .iter()
        .any(|p| matches!(p, Preset::Drift | Preset::Summary | Preset::Target));
    let skipped = |e: &modelwatch_core::model_quality::ModelQualityError| {
        tracing::warn!(project = %project.name, error = %e, "model quality left out of the window");
    };
    let run = RunSpec {
        presets,
        schema: columns,
        settings: &project.run_drift,
        prediction_proba: &project.config.prediction_proba,
        pos_label: project.config.pos_label.as_deref(),
        proba_threshold: project.config.proba_threshold,
        on_model_quality_skipped: (lenient_quality && others_run).then_some(&skipped as _),
    };
    let results = run_presets(reference, &current, &run, meta, &|| {})
        .map_err(|e| WindowError::Invalid(e.message(&crate::project::config_key)))?;
    let examples =
        super::image_examples::window_examples(project, &results, reference, &current, &seqs);
    drop(current);
    crate::release_memory();
    Ok(WindowRun { results, examples })
}
