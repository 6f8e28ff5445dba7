//! Which images to show for an image column: the current images farthest from the reference
//! on the column's most drifted descriptor, next to typical reference images.
//!
//! The most drifted descriptor is the numerical descriptor column of the image column with the
//! strongest evidence of drift relative to its own threshold: for a p-value `p` against a
//! threshold `t`, `ln p / ln t`; for a distance `d`, `d / t`. Both exceed 1 exactly when the
//! column drifted, so drifted descriptors come first whatever their method. Typical reference
//! images are those whose value is nearest the reference median; the current examples are those
//! farthest from it. Ties go to the earlier row, so the choice is deterministic.

use crate::drift::{ColumnDrift, DriftReport};
use crate::table::{ColumnData, Table};

use super::{DescriptorKind, ImageDescriptor};

/// Example images shown per side (current and reference) of an image column.
pub const EXAMPLES_PER_SIDE: usize = 8;

/// Example images of one image column, as rows of the tables the drift was computed on.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageExamples {
    /// The image column (`photo`).
    pub column: String,
    /// The descriptor column the examples were chosen on (`photo.aspect_ratio`).
    pub descriptor: String,
    /// Whether that descriptor drifted.
    pub drifted: bool,
    /// The median of the descriptor over the reference.
    pub reference_median: f64,
    /// Current rows, farthest from the reference median first.
    pub current_rows: Vec<usize>,
    /// The descriptor's value in each of `current_rows`.
    pub current_values: Vec<f64>,
    /// Reference rows, nearest the reference median first.
    pub reference_rows: Vec<usize>,
    /// The descriptor's value in each of `reference_rows`.
    pub reference_values: Vec<f64>,
}

/// Picks up to `count` examples per side for `image_column`, or `None` when none of its
/// numerical descriptors has a drift score or either side has no value for it. The median is
/// the whole reference's; typical reference examples are taken among its first
/// `reference_candidates` rows only (a caller that kept images of those rows alone, such as
/// the service's thumbnails, passes their number; `usize::MAX` for all).
pub fn image_examples(
    report: &DriftReport,
    image_column: &str,
    (reference, reference_candidates): (&Table, usize),
    current: &Table,
    count: usize,
) -> Option<ImageExamples> {
    examples_among(
        &report.columns,
        image_column,
        (reference, reference_candidates),
        current,
        count,
    )
}

fn examples_among(
    columns: &[ColumnDrift],
    image_column: &str,
    (reference, reference_candidates): (&Table, usize),
    current: &Table,
    count: usize,
) -> Option<ImageExamples> {
    let drift = strongest_descriptor(columns, image_column)?;
    let reference_values = float_values(reference, &drift.column)?;
    let current_values = float_values(current, &drift.column)?;
    let mut sorted: Vec<f64> = reference_values.iter().flatten().copied().collect();
    sorted.sort_by(f64::total_cmp);
    let median = crate::stats::special::quantile_linear_sorted(&sorted, 0.5)?;
    let distance = |v: f64| (v - median).abs();
    let current_rows = ranked_rows(&current_values, count, |a, b| {
        distance(b).total_cmp(&distance(a))
    });
    let candidates = &reference_values[..reference_values.len().min(reference_candidates)];
    let reference_rows = ranked_rows(candidates, count, |a, b| {
        distance(a).total_cmp(&distance(b))
    });
    Some(ImageExamples {
        column: image_column.to_string(),
        descriptor: drift.column.clone(),
        drifted: drift.drifted == Some(true),
        reference_median: median,
        current_values: current_rows
            .iter()
            .filter_map(|&r| current_values[r])
            .collect(),
        current_rows,
        reference_values: reference_rows
            .iter()
            .filter_map(|&r| reference_values[r])
            .collect(),
        reference_rows,
    })
}

/// The numerical descriptor of `image_column` with the strongest drift evidence.
pub fn most_drifted_descriptor<'a>(
    report: &'a DriftReport,
    image_column: &str,
) -> Option<&'a ColumnDrift> {
    strongest_descriptor(&report.columns, image_column)
}

fn strongest_descriptor<'a>(
    columns: &'a [ColumnDrift],
    image_column: &str,
) -> Option<&'a ColumnDrift> {
    let prefix = format!("{image_column}.");
    columns
        .iter()
        .filter(|c| {
            c.column
                .strip_prefix(&prefix)
                .and_then(ImageDescriptor::from_name)
                .is_some_and(|d| d.kind() == DescriptorKind::Numerical)
        })
        .filter_map(|c| Some((drift_evidence(c)?, c)))
        // max_by keeps the last of equal elements; reversing keeps the first column instead.
        .rev()
        .max_by(|(a, _), (b, _)| a.total_cmp(b))
        .map(|(_, c)| c)
}

/// The score relative to its threshold, above 1 exactly when drifted (see the module doc).
fn drift_evidence(c: &ColumnDrift) -> Option<f64> {
    let (score, threshold, method) = (c.score?, c.threshold?, c.method?);
    let evidence = if method.rule().is_p_value() {
        if score <= 0.0 {
            f64::INFINITY
        } else if threshold >= 1.0 || threshold <= 0.0 {
            // ln t is 0 or undefined: only the order of the p-values is meaningful.
            1.0 - score
        } else {
            score.ln() / threshold.ln()
        }
    } else if threshold > 0.0 {
        score / threshold
    } else {
        score
    };
    (!evidence.is_nan()).then_some(evidence)
}

/// A float column's values, `None` for missing (NaN); `None` when the column is absent or
/// not a float column.
fn float_values(table: &Table, name: &str) -> Option<Vec<Option<f64>>> {
    match &table.column(name)?.data {
        ColumnData::Float(v) => Some(v.iter().map(|&x| (!x.is_nan()).then_some(x)).collect()),
        _ => None,
    }
}

/// The first `count` rows with a value, in the order `cmp` gives their values (stable: equal
/// values keep row order).
fn ranked_rows(
    values: &[Option<f64>],
    count: usize,
    cmp: impl Fn(f64, f64) -> std::cmp::Ordering,
) -> Vec<usize> {
    let mut rows: Vec<(usize, f64)> = values
        .iter()
        .enumerate()
        .filter_map(|(r, v)| v.map(|v| (r, v)))
        .collect();
    rows.sort_by(|a, b| cmp(a.1, b.1));
    rows.into_iter().take(count).map(|(r, _)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drift::DriftMethod;
    use crate::schema::{ColumnRole, ColumnType};
    use crate::table::Column;

    fn drift(column: &str, method: DriftMethod, score: f64, threshold: f64) -> ColumnDrift {
        ColumnDrift {
            column: column.to_string(),
            column_type: ColumnType::Numerical,
            role: ColumnRole::Feature,
            method: Some(method),
            threshold: Some(threshold),
            score: Some(score),
            drifted: Some(method.rule().drifted(score, threshold)),
            reference_rows: 0,
            current_rows: 0,
            reference_missing: 0,
            current_missing: 0,
            reference_infinite: 0,
            current_infinite: 0,
            error: None,
            distribution: None,
            text_drift: None,
            reference_read_problem: None,
            current_read_problem: None,
        }
    }

    #[test]
    fn the_strongest_evidence_wins_across_methods() {
        let r = [
            drift("photo.brightness", DriftMethod::Ks, 0.01, 0.05),
            drift("photo.aspect_ratio", DriftMethod::Wasserstein, 0.9, 0.1),
            drift("photo.format", DriftMethod::ChiSquare, 0.0, 0.05),
            drift("other.width", DriftMethod::Wasserstein, 5.0, 0.1),
        ];
        // ln 0.01 / ln 0.05 = 1.54 < 0.9 / 0.1 = 9; format is categorical, other.* is not ours.
        assert_eq!(
            strongest_descriptor(&r, "photo").map(|c| c.column.as_str()),
            Some("photo.aspect_ratio")
        );
        let r = [
            drift("photo.brightness", DriftMethod::Ks, 1e-30, 0.05),
            drift("photo.aspect_ratio", DriftMethod::Wasserstein, 0.9, 0.1),
        ];
        assert_eq!(
            strongest_descriptor(&r, "photo").map(|c| c.column.as_str()),
            Some("photo.brightness")
        );
        assert!(strongest_descriptor(&r, "image").is_none());
    }

    #[test]
    fn examples_are_the_farthest_current_and_the_most_typical_reference_rows() {
        let table = |v: Vec<f64>| {
            Table::new(vec![Column::new("photo.brightness", ColumnData::Float(v))]).unwrap()
        };
        let reference = table(vec![10.0, 50.0, 52.0, f64::NAN, 48.0, 90.0]);
        let current = table(vec![51.0, 200.0, f64::NAN, 0.0, 120.0]);
        let r = [drift("photo.brightness", DriftMethod::Ks, 0.001, 0.05)];
        let e = examples_among(&r, "photo", (&reference, usize::MAX), &current, 2).unwrap();
        assert_eq!(e.descriptor, "photo.brightness");
        assert!(e.drifted);
        assert_eq!(e.reference_median, 50.0);
        assert_eq!(e.current_rows, vec![1, 4]);
        assert_eq!(e.current_values, vec![200.0, 120.0]);
        // 50 is the median itself; 52 and 48 tie at distance 2: the earlier row first.
        assert_eq!(
            examples_among(&r, "photo", (&reference, usize::MAX), &current, 3)
                .unwrap()
                .reference_rows,
            vec![1, 2, 4]
        );
        // Asking for more than there are gives every row with a value, missing ones left out.
        assert_eq!(
            examples_among(&r, "photo", (&reference, usize::MAX), &current, 99)
                .unwrap()
                .current_rows
                .len(),
            4
        );
        let empty = table(vec![f64::NAN]);
        assert!(examples_among(&r, "photo", (&empty, usize::MAX), &current, 2).is_none());
        // Typical reference images among the first 3 rows only; the median stays the whole
        // reference's (50, not the 10, 50, 52 of the first rows).
        let e = examples_among(&r, "photo", (&reference, 3), &current, 2).unwrap();
        assert_eq!(e.reference_median, 50.0);
        assert_eq!(e.reference_rows, vec![1, 2]);
    }
}
