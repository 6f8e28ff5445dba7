//! TF-IDF features as scikit-learn's `TfidfVectorizer(sublinear_tf=True, max_df=0.5,
//! stop_words="english")` computes them, fitted on the training rows:
//!
//! * vocabulary: the tokens of the training texts, without those in more than
//!   `max_df · n` of the `n` training texts, sorted (scikit-learn's `_sort_features`, code
//!   point order);
//! * `tf = 1 + ln(count)` for a token present in the text (`sublinear_tf`);
//! * `idf = ln((1 + n) / (1 + df)) + 1` (`smooth_idf`), `df` counted on the training texts;
//! * each row scaled to unit Euclidean norm (`norm="l2"`); a text without a vocabulary token
//!   is a zero row.

use std::collections::HashMap;

use rayon::prelude::*;

use super::tokenize::Tokens;
use super::TextDriftError;

/// A sparse matrix in compressed rows: row `i` holds `(columns[k], values[k])` for `k` in
/// `starts[i]..starts[i + 1]`, columns ascending.
#[derive(Debug, Clone, Default)]
pub struct SparseRows {
    /// Where each row starts in `columns` and `values` (`rows + 1` entries).
    pub starts: Vec<usize>,
    /// Column index of every stored entry.
    pub columns: Vec<u32>,
    /// Value of every stored entry.
    pub values: Vec<f64>,
    /// Number of columns.
    pub width: usize,
}

impl SparseRows {
    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.starts.len() - 1
    }

    /// The stored entries of row `i`.
    pub fn row(&self, i: usize) -> (&[u32], &[f64]) {
        let range = self.starts[i]..self.starts[i + 1];
        (&self.columns[range.clone()], &self.values[range])
    }

    /// The same matrix in compressed columns (the transpose in compressed rows), each column's
    /// entries in row order.
    pub fn transpose(&self) -> SparseRows {
        let mut counts = vec![0usize; self.width + 1];
        for &c in &self.columns {
            counts[c as usize + 1] += 1;
        }
        for j in 0..self.width {
            counts[j + 1] += counts[j];
        }
        let starts = counts.clone();
        let mut next = counts;
        let mut columns = vec![0u32; self.columns.len()];
        let mut values = vec![0.0; self.values.len()];
        for i in 0..self.rows() {
            let (cols, vals) = self.row(i);
            for (&c, &v) in cols.iter().zip(vals) {
                let k = next[c as usize];
                columns[k] = i as u32;
                values[k] = v;
                next[c as usize] += 1;
            }
        }
        SparseRows {
            starts,
            columns,
            values,
            width: self.rows(),
        }
    }
}

/// A vocabulary with the inverse document frequency of each term.
#[derive(Debug, Clone)]
pub struct TfidfModel {
    /// The terms, sorted; a term's index is its feature column.
    pub terms: Vec<String>,
    index: HashMap<String, u32>,
    idf: Vec<f64>,
}

impl TfidfModel {
    /// Fits the vocabulary and the idf on the training texts.
    pub fn fit(train: &[&Tokens], max_df: f64) -> Result<Self, TextDriftError> {
        let mut df: HashMap<&str, u32> = HashMap::new();
        let mut seen: Vec<&str> = Vec::new();
        for doc in train {
            seen.clear();
            seen.extend(doc.iter());
            seen.sort_unstable();
            seen.dedup();
            for &t in &seen {
                *df.entry(t).or_default() += 1;
            }
        }
        if df.is_empty() {
            return Err(TextDriftError::EmptyVocabulary);
        }
        let n = train.len() as f64;
        let max_count = max_df * n;
        let mut kept: Vec<(&str, u32)> = df
            .into_iter()
            .filter(|&(_, d)| f64::from(d) <= max_count)
            .collect();
        if kept.is_empty() {
            return Err(TextDriftError::AllTermsPruned);
        }
        kept.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let idf = kept
            .iter()
            .map(|&(_, d)| ((1.0 + n) / (1.0 + f64::from(d))).ln() + 1.0)
            .collect();
        let terms: Vec<String> = kept.iter().map(|(t, _)| t.to_string()).collect();
        let index = terms
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        Ok(TfidfModel { terms, index, idf })
    }

    /// The l2-normalised sublinear TF-IDF rows of `docs` (in parallel, row by row).
    pub fn transform(&self, docs: &[&Tokens]) -> SparseRows {
        let rows: Vec<Vec<(u32, f64)>> = docs
            .par_iter()
            .map(|doc| {
                let mut ids: Vec<u32> = doc
                    .iter()
                    .filter_map(|t| self.index.get(t).copied())
                    .collect();
                ids.sort_unstable();
                let mut row: Vec<(u32, f64)> = Vec::new();
                let mut k = 0;
                while k < ids.len() {
                    let mut m = k;
                    while m < ids.len() && ids[m] == ids[k] {
                        m += 1;
                    }
                    let tf = 1.0 + ((m - k) as f64).ln();
                    row.push((ids[k], tf * self.idf[ids[k] as usize]));
                    k = m;
                }
                let norm = row.iter().map(|(_, v)| v * v).sum::<f64>().sqrt();
                if norm > 0.0 {
                    row.iter_mut().for_each(|(_, v)| *v /= norm);
                }
                row
            })
            .collect();
        let mut out = SparseRows {
            starts: Vec::with_capacity(rows.len() + 1),
            width: self.terms.len(),
            ..Default::default()
        };
        out.starts.push(0);
        for row in rows {
            for (c, v) in row {
                out.columns.push(c);
                out.values.push(v);
            }
            out.starts.push(out.columns.len());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values checked with scikit-learn 1.x: `TfidfVectorizer(sublinear_tf=True, max_df=0.5,
    /// stop_words="english").fit_transform(["apple apple pear", "pear plum", "plum kiwi",
    /// "kiwi fig"])`: every term but `apple` and `fig` is in 2 of 4 texts (kept: 2 <= 2).
    #[test]
    fn sublinear_smooth_idf_l2_rows() {
        let docs: Vec<Tokens> = ["apple apple pear", "pear plum", "plum kiwi", "kiwi fig"]
            .iter()
            .map(|t| Tokens::new(t))
            .collect();
        let refs: Vec<&Tokens> = docs.iter().collect();
        let model = TfidfModel::fit(&refs, 0.5).unwrap();
        assert_eq!(model.terms, ["apple", "fig", "kiwi", "pear", "plum"]);
        let x = model.transform(&refs);
        let (cols, vals) = x.row(0);
        assert_eq!(cols, [0, 3]);
        // apple: (1 + ln 2) · (ln(5/2) + 1); pear: 1 · (ln(5/3) + 1); then l2.
        let a = (1.0 + 2f64.ln()) * ((5.0f64 / 2.0).ln() + 1.0);
        let p = (5.0f64 / 3.0).ln() + 1.0;
        let norm = (a * a + p * p).sqrt();
        assert!((vals[0] - a / norm).abs() < 1e-12);
        assert!((vals[1] - p / norm).abs() < 1e-12);
        let t = x.transpose();
        assert_eq!(t.row(3).0, [0, 1]);
    }

    #[test]
    fn terms_in_more_than_half_the_texts_are_pruned() {
        let docs: Vec<Tokens> = ["word one", "word two", "word"]
            .iter()
            .map(|t| Tokens::new(t))
            .collect();
        let refs: Vec<&Tokens> = docs.iter().collect();
        assert_eq!(
            TfidfModel::fit(&refs, 0.5).unwrap_err(),
            TextDriftError::AllTermsPruned
        );
        let empty = [Tokens::new("the of"), Tokens::new("")];
        let refs: Vec<&Tokens> = empty.iter().collect();
        assert_eq!(
            TfidfModel::fit(&refs, 0.5).unwrap_err(),
            TextDriftError::EmptyVocabulary
        );
    }
}
