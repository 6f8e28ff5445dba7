//! Example images of a window for the dashboard: per image column, the current events
//! farthest from the reference on the column's most drifted descriptor, next to typical
//! reference images (the choice is core's `image_examples`). They are chosen when a
//! snapshot is taken, where the window's table and drift results are at hand, and kept in
//! memory with the project's latest snapshot; the dashboard reads their thumbnails.

use modelwatch_core::descriptors::image::examples::{
    image_examples, ImageExamples, EXAMPLES_PER_SIDE,
};
use modelwatch_core::results::Results;
use modelwatch_core::table::{ColumnData, Table};

use super::zip_reference::REFERENCE_THUMBNAILS;
use crate::project::Project;

/// The example images of one image column of a window.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowExamples {
    /// The choice: rows of the window's table and of the reference, with their values.
    pub examples: ImageExamples,
    /// The events (their store `seq`) of `examples.current_rows`, in that order.
    pub current_seqs: Vec<i64>,
    /// What names each current example: the event's id, or its `seq`.
    pub current_labels: Vec<String>,
    /// What names each reference example: its file in a zip reference, or its row.
    pub reference_labels: Vec<String>,
}

/// The examples of each image column of `project` in a window: `current` is the window's
/// table, whose row `r` is the event `seqs[r]`. The reference median is the whole
/// reference's; typical reference images are taken among the rows that keep a thumbnail (the
/// first [`REFERENCE_THUMBNAILS`]).
pub fn window_examples(
    project: &Project,
    results: &Results,
    reference: &Table,
    current: &Table,
    seqs: &[i64],
) -> Vec<WindowExamples> {
    let Some(drift) = results.drift.as_ref() else {
        return Vec::new();
    };
    project
        .config
        .columns
        .images
        .iter()
        .filter_map(|column| {
            let ex = image_examples(
                drift,
                column,
                (reference, REFERENCE_THUMBNAILS),
                current,
                EXAMPLES_PER_SIDE,
            )?;
            let current_seqs: Vec<i64> = ex
                .current_rows
                .iter()
                .map(|&r| seqs.get(r).copied().unwrap_or(-1))
                .collect();
            let ids = project.config.columns.id.as_deref();
            let current_labels = ex
                .current_rows
                .iter()
                .zip(&current_seqs)
                .map(|(&r, seq)| text_at(current, ids, r).unwrap_or_else(|| format!("event {seq}")))
                .collect();
            let reference_labels = ex
                .reference_rows
                .iter()
                .map(|&r| {
                    text_at(reference, Some(modelwatch_io::images::FILE_COLUMN), r)
                        .unwrap_or_else(|| format!("row {}", r + 1))
                })
                .collect();
            Some(WindowExamples {
                examples: ex,
                current_seqs,
                current_labels,
                reference_labels,
            })
        })
        .collect()
}

/// Row `row` of the text column `column`, when there is one.
fn text_at(table: &Table, column: Option<&str>, row: usize) -> Option<String> {
    match &table.column(column?)?.data {
        ColumnData::Str(v) if row < v.len() => v.get(row).map(str::to_string),
        _ => None,
    }
}
