//! Example images of a window for the dashboard: per image column, the current events
//! farthest from the reference on the column's most drifted descriptor, next to typical
//! reference images (the choice is core's `image_examples`). They are chosen when a
//! snapshot is taken, where the window's table and drift results are at hand, and kept in
//! memory with the project's latest snapshot; the dashboard reads their thumbnails.

use modelwatch_core::descriptors::image::examples::image_examples;
use modelwatch_core::results::Results;
use modelwatch_core::table::{Column, ColumnData, Table};

use super::zip_reference::REFERENCE_THUMBNAILS;
use crate::project::Project;

/// How many images are shown per side.
pub const EXAMPLES_PER_SIDE: usize = 8;

/// The example images of one image column of a window.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowExamples {
    /// The image column.
    pub column: String,
    /// The descriptor column they were chosen on (`photo.aspect_ratio`).
    pub descriptor: String,
    /// Whether that descriptor drifted.
    pub drifted: bool,
    /// The events (their store `seq`) farthest from the reference, farthest first.
    pub current_seqs: Vec<i64>,
    /// Reference rows nearest the reference median, nearest first.
    pub reference_rows: Vec<usize>,
}

/// The examples of each image column of `project` in a window: `current` is the window's
/// table, whose row `r` is the event `seqs[r]`. Typical reference images are taken among
/// the reference rows that keep a thumbnail (the first [`REFERENCE_THUMBNAILS`]).
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
            let shown = head_of_descriptors(reference, column, REFERENCE_THUMBNAILS);
            let ex = image_examples(drift, column, &shown, current, EXAMPLES_PER_SIDE)?;
            Some(WindowExamples {
                column: column.clone(),
                descriptor: ex.descriptor,
                drifted: ex.drifted,
                current_seqs: ex
                    .current_rows
                    .iter()
                    .filter_map(|&r| seqs.get(r).copied())
                    .collect(),
                reference_rows: ex.reference_rows,
            })
        })
        .collect()
}

/// The first `rows` rows of the numerical descriptor columns of `column` (what the choice
/// of examples reads).
fn head_of_descriptors(reference: &Table, column: &str, rows: usize) -> Table {
    let prefix = format!("{column}.");
    let columns = reference
        .columns()
        .iter()
        .filter(|c| c.name.starts_with(&prefix))
        .filter_map(|c| match &c.data {
            ColumnData::Float(v) => Some(Column::new(
                c.name.clone(),
                ColumnData::Float(v.iter().take(rows).copied().collect()),
            )),
            _ => None,
        })
        .collect();
    Table::new(columns).unwrap_or_default()
}
