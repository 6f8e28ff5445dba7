//! Statistics of text columns: lengths in characters.

use super::categories::label_tally;
use super::TextStats;
use crate::table::{ColumnData, MISSING_CODE};

pub(super) fn text_stats(data: &ColumnData) -> TextStats {
    let lengths: Vec<usize> = match data {
        ColumnData::Str(s) => {
            let per_label: Vec<usize> = s.labels.iter().map(|l| l.chars().count()).collect();
            s.codes
                .iter()
                .filter(|&&c| c != MISSING_CODE)
                .map(|&c| per_label[c as usize])
                .collect()
        }
        other => {
            let t = label_tally(other);
            t.labels
                .iter()
                .flat_map(|(l, n)| std::iter::repeat_n(l.chars().count(), *n))
                .collect()
        }
    };
    let n = lengths.len();
    TextStats {
        length_min: lengths.iter().min().copied(),
        length_mean: (n > 0).then(|| lengths.iter().sum::<usize>() as f64 / n as f64),
        length_max: lengths.iter().max().copied(),
    }
}
