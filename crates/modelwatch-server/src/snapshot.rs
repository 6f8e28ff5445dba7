//! The flat metrics of a snapshot: the numbers `/metrics`, series and alert rules read,
//! taken from the one `Results` value of the run — nothing is recomputed here. What they
//! are and how each is read is the catalogue's table (`crate::catalogue::SNAPSHOT_METRICS`).

use modelwatch_core::results::Results;

use crate::catalogue::SNAPSHOT_METRICS;
use crate::store::SnapshotMetric;

/// The flat metrics of `results`, one row per catalogue entry and key (column or label);
/// values that are not finite are left out. `prediction` names the prediction column,
/// whose label shares become `class_share`.
pub fn snapshot_metrics(results: &Results, prediction: Option<&str>) -> Vec<SnapshotMetric> {
    let mut out = Vec::new();
    for entry in SNAPSHOT_METRICS {
        (entry.read)(results, prediction, &mut |column, value| {
            if value.is_finite() {
                out.push(SnapshotMetric {
                    metric: entry.metric.to_string(),
                    column: column.to_string(),
                    value,
                });
            }
        });
    }
    out
}
