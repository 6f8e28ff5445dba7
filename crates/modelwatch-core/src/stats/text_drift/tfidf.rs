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

use foldhash::fast::FixedState;
use rayon::prelude::*;

use super::tokenize::{english_stop_words, for_each_word};
use super::TextDriftError;

/// Texts tokenised together in one parallel task. The chunks are fixed by the row count, so
/// the word numbering (and everything after it) does not depend on the number of threads.
const TEXTS_PER_CHUNK: usize = 2048;

/// Rows of a matrix built together in one parallel task.
const ROWS_PER_CHUNK: usize = 4096;

/// A word's number in a chunk's map when it is a stop word.
const STOP: u32 = u32::MAX;

/// A hash map with a fixed (unseeded) fast hasher: foldhash's, for short words.
type WordMap<K> = HashMap<K, u32, FixedState>;

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
}

/// Every text as its distinct words and their counts, over one numbering of all the words
/// (stop words dropped) of all the texts. Kept in the chunks that counted them (texts
/// `k · TEXTS_PER_CHUNK ..` in chunk `k`), renumbered in place, so nothing is copied twice.
#[derive(Default)]
pub struct CountedTexts {
    /// The distinct words, numbered in order of first appearance.
    pub words: Vec<String>,
    chunks: Vec<ChunkCounts>,
}

/// One chunk's tokenisation, numbered by the chunk's own map (renumbered by
/// [`CountedTexts::new`]).
#[derive(Default)]
struct ChunkCounts {
    words: Vec<String>,
    starts: Vec<usize>,
    word_ids: Vec<u32>,
    counts: Vec<u32>,
}

/// A word of at most 16 bytes as one number (its bytes, zero-padded: a word never holds a
/// zero byte), so most words are looked up by a 128-bit key instead of a string.
fn short_key(word: &str) -> Option<u128> {
    let bytes = word.as_bytes();
    (bytes.len() <= 16).then(|| {
        let mut key = [0u8; 16];
        key[..bytes.len()].copy_from_slice(bytes);
        u128::from_le_bytes(key)
    })
}

fn count_chunk(texts: &[&str]) -> ChunkCounts {
    let stop = english_stop_words();
    let mut short: WordMap<u128> =
        HashMap::with_capacity_and_hasher(stop.len() + 1024, FixedState::default());
    let mut long: WordMap<String> = HashMap::with_hasher(FixedState::default());
    for &w in stop {
        match short_key(w) {
            Some(key) => short.insert(key, STOP),
            None => long.insert(w.to_string(), STOP),
        };
    }
    let mut out = ChunkCounts {
        starts: Vec::with_capacity(texts.len() + 1),
        ..Default::default()
    };
    out.starts.push(0);
    let mut buffer = String::new();
    let mut ids: Vec<u32> = Vec::new();
    for text in texts {
        ids.clear();
        for_each_word(text, &mut buffer, |w| {
            let known = match short_key(w) {
                Some(key) => short.get(&key),
                None => long.get(w),
            };
            let id = match known {
                Some(&id) => id,
                None => {
                    let id = out.words.len() as u32;
                    out.words.push(w.to_string());
                    match short_key(w) {
                        Some(key) => short.insert(key, id),
                        None => long.insert(w.to_string(), id),
                    };
                    id
                }
            };
            if id != STOP {
                ids.push(id);
            }
        });
        ids.sort_unstable();
        let mut k = 0;
        while k < ids.len() {
            let mut m = k + 1;
            while m < ids.len() && ids[m] == ids[k] {
                m += 1;
            }
            out.word_ids.push(ids[k]);
            out.counts.push((m - k) as u32);
            k = m;
        }
        out.starts.push(out.word_ids.len());
    }
    out
}

impl CountedTexts {
    /// Tokenises every text ([`for_each_word`], without English stop words) and counts its
    /// words, in parallel over fixed chunks of texts.
    pub fn new(texts: &[&str]) -> Self {
        let mut chunks: Vec<ChunkCounts> =
            texts.par_chunks(TEXTS_PER_CHUNK).map(count_chunk).collect();
        // One numbering for all chunks, in chunk order (so in order of first appearance).
        let mut global: WordMap<String> = HashMap::with_hasher(FixedState::default());
        let mut words: Vec<String> = Vec::new();
        let renumber: Vec<Vec<u32>> = chunks
            .iter()
            .map(|chunk| {
                chunk
                    .words
                    .iter()
                    .map(|w| match global.get(w.as_str()) {
                        Some(&id) => id,
                        None => {
                            let id = words.len() as u32;
                            global.insert(w.clone(), id);
                            words.push(w.clone());
                            id
                        }
                    })
                    .collect()
            })
            .collect();
        drop(global);
        chunks
            .par_iter_mut()
            .zip(&renumber)
            .for_each(|(chunk, renumber)| {
                chunk.words = Vec::new();
                for id in &mut chunk.word_ids {
                    *id = renumber[*id as usize];
                }
            });
        CountedTexts { words, chunks }
    }

    /// Number of texts.
    pub fn len(&self) -> usize {
        self.chunks.iter().map(|c| c.starts.len() - 1).sum()
    }

    /// Whether there is no text.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `(word number, count)` entries of text `i`.
    pub fn text(&self, i: usize) -> impl Iterator<Item = (u32, u32)> + '_ {
        let chunk = &self.chunks[i / TEXTS_PER_CHUNK];
        let k = i % TEXTS_PER_CHUNK;
        let range = chunk.starts[k]..chunk.starts[k + 1];
        chunk.word_ids[range.clone()]
            .iter()
            .copied()
            .zip(chunk.counts[range].iter().copied())
    }
}

/// A vocabulary with the inverse document frequency of each term.
#[derive(Debug, Clone)]
pub struct TfidfModel {
    /// The terms, sorted; a term's index is its feature column.
    pub terms: Vec<String>,
    /// The feature column of every word of the [`CountedTexts`] ([`NOT_A_TERM`] for a word
    /// outside the vocabulary).
    column_of: Vec<u32>,
    idf: Vec<f64>,
}

/// [`TfidfModel`]'s column of a word outside the vocabulary.
const NOT_A_TERM: u32 = u32::MAX;

impl TfidfModel {
    /// Fits the vocabulary and the idf on the training texts `train` (indices into `texts`).
    pub fn fit(texts: &CountedTexts, train: &[usize], max_df: f64) -> Result<Self, TextDriftError> {
        let mut df = vec![0u32; texts.words.len()];
        for &i in train {
            for (w, _) in texts.text(i) {
                df[w as usize] += 1;
            }
        }
        if df.iter().all(|&d| d == 0) {
            return Err(TextDriftError::EmptyVocabulary);
        }
        let n = train.len() as f64;
        let max_count = max_df * n;
        let mut kept: Vec<u32> = (0..df.len() as u32)
            .filter(|&w| df[w as usize] > 0 && f64::from(df[w as usize]) <= max_count)
            .collect();
        if kept.is_empty() {
            return Err(TextDriftError::AllTermsPruned);
        }
        kept.sort_unstable_by(|&a, &b| texts.words[a as usize].cmp(&texts.words[b as usize]));
        let mut column_of = vec![NOT_A_TERM; texts.words.len()];
        for (column, &w) in kept.iter().enumerate() {
            column_of[w as usize] = column as u32;
        }
        let idf = kept
            .iter()
            .map(|&w| ((1.0 + n) / (1.0 + f64::from(df[w as usize]))).ln() + 1.0)
            .collect();
        let terms = kept
            .iter()
            .map(|&w| texts.words[w as usize].clone())
            .collect();
        Ok(TfidfModel {
            terms,
            column_of,
            idf,
        })
    }

    /// The l2-normalised sublinear TF-IDF rows of the texts `rows` (indices into `texts`),
    /// in parallel over fixed chunks of rows: the row lengths first, then every chunk fills
    /// its own part of the matrix.
    pub fn transform(&self, texts: &CountedTexts, rows: &[usize]) -> SparseRows {
        let lengths: Vec<usize> = rows
            .par_iter()
            .map(|&i| {
                texts
                    .text(i)
                    .filter(|&(w, _)| self.column_of[w as usize] != NOT_A_TERM)
                    .count()
            })
            .collect();
        let mut starts = Vec::with_capacity(rows.len() + 1);
        starts.push(0);
        for l in &lengths {
            starts.push(starts.last().unwrap() + l);
        }
        let entries = *starts.last().unwrap();
        let mut columns = vec![0u32; entries];
        let mut values = vec![0.0f64; entries];
        // Each chunk of rows with its own slices of `columns` and `values`.
        let mut parts = Vec::with_capacity(rows.len().div_ceil(ROWS_PER_CHUNK));
        let (mut cols_rest, mut vals_rest) = (&mut columns[..], &mut values[..]);
        for (k, chunk_rows) in rows.chunks(ROWS_PER_CHUNK).enumerate() {
            let from = k * ROWS_PER_CHUNK;
            let len = starts[from + chunk_rows.len()] - starts[from];
            let (c, c_rest) = std::mem::take(&mut cols_rest).split_at_mut(len);
            let (v, v_rest) = std::mem::take(&mut vals_rest).split_at_mut(len);
            cols_rest = c_rest;
            vals_rest = v_rest;
            parts.push((chunk_rows, c, v));
        }
        parts
            .into_par_iter()
            .for_each(|(chunk_rows, columns, values)| {
                let mut row: Vec<(u32, u32)> = Vec::new();
                let mut at = 0;
                for &i in chunk_rows {
                    row.clear();
                    row.extend(texts.text(i).filter_map(|(w, count)| {
                        let c = self.column_of[w as usize];
                        (c != NOT_A_TERM).then_some((c, count))
                    }));
                    row.sort_unstable_by_key(|&(c, _)| c);
                    let (cols, vals) = (
                        &mut columns[at..at + row.len()],
                        &mut values[at..at + row.len()],
                    );
                    for ((&(c, count), col), val) in row.iter().zip(cols).zip(vals.iter_mut()) {
                        // `1 + ln 1` is exactly 1: most words occur once in a text.
                        let tf = if count == 1 {
                            1.0
                        } else {
                            1.0 + f64::from(count).ln()
                        };
                        *col = c;
                        *val = tf * self.idf[c as usize];
                    }
                    let norm = vals.iter().map(|v| v * v).sum::<f64>().sqrt();
                    if norm > 0.0 {
                        vals.iter_mut().for_each(|v| *v /= norm);
                    }
                    at += row.len();
                }
            });
        SparseRows {
            starts,
            columns,
            values,
            width: self.terms.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fitted(texts: &[&str]) -> (CountedTexts, Result<TfidfModel, TextDriftError>) {
        let counted = CountedTexts::new(texts);
        let all: Vec<usize> = (0..texts.len()).collect();
        let model = TfidfModel::fit(&counted, &all, 0.5);
        (counted, model)
    }

    /// Values checked with scikit-learn 1.x: `TfidfVectorizer(sublinear_tf=True, max_df=0.5,
    /// stop_words="english").fit_transform(["apple apple pear", "pear plum", "plum kiwi",
    /// "kiwi fig"])`: every term but `apple` and `fig` is in 2 of 4 texts (kept: 2 <= 2).
    #[test]
    fn sublinear_smooth_idf_l2_rows() {
        let (counted, model) = fitted(&["apple apple pear", "pear plum", "plum kiwi", "kiwi fig"]);
        let model = model.unwrap();
        assert_eq!(model.terms, ["apple", "fig", "kiwi", "pear", "plum"]);
        let x = model.transform(&counted, &[0, 1, 2, 3]);
        let (cols, vals) = x.row(0);
        assert_eq!(cols, [0, 3]);
        // apple: (1 + ln 2) · (ln(5/2) + 1); pear: 1 · (ln(5/3) + 1); then l2.
        let a = (1.0 + 2f64.ln()) * ((5.0f64 / 2.0).ln() + 1.0);
        let p = (5.0f64 / 3.0).ln() + 1.0;
        let norm = (a * a + p * p).sqrt();
        assert!((vals[0] - a / norm).abs() < 1e-12);
        assert!((vals[1] - p / norm).abs() < 1e-12);
        // Rows in the order asked for.
        let x = model.transform(&counted, &[3, 0]);
        assert_eq!(x.rows(), 2);
        assert_eq!(x.row(0).0, [1, 2]);
        assert_eq!(x.row(1).0, [0, 3]);
    }

    #[test]
    fn words_are_counted_per_text_over_chunks() {
        // More texts than a chunk holds: the numbering spans the chunks.
        let texts: Vec<String> = (0..TEXTS_PER_CHUNK + 3)
            .map(|i| format!("Word{} the shared shared w{}", i % 3, i))
            .collect();
        assert_eq!(short_key("ab"), short_key("ab"));
        assert_ne!(short_key("ab"), short_key("ab_"));
        assert_eq!(short_key("a_word_of_17_byte"), None);
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let counted = CountedTexts::new(&refs);
        assert_eq!(counted.len(), refs.len());
        assert_eq!(counted.words.len(), 3 + 1 + refs.len());
        for i in [0, TEXTS_PER_CHUNK + 2] {
            let got: Vec<(String, u32)> = counted
                .text(i)
                .map(|(w, c)| (counted.words[w as usize].clone(), c))
                .collect();
            assert!(got.contains(&(format!("word{}", i % 3), 1)), "{got:?}");
            assert!(got.contains(&("shared".to_string(), 2)), "{got:?}");
            assert!(got.contains(&(format!("w{i}"), 1)), "{got:?}");
            assert_eq!(got.len(), 3);
        }
    }

    #[test]
    fn long_and_short_words_are_counted_alike() {
        let long = "internationalisation";
        let counted = CountedTexts::new(&[
            "Internationalisation internationalisation parcel",
            "parcel internationalisations",
            "themselves",
        ]);
        assert_eq!(counted.words, [long, "parcel", "internationalisations"]);
        assert_eq!(counted.text(0).collect::<Vec<_>>(), [(0, 2), (1, 1)]);
        assert_eq!(counted.text(1).collect::<Vec<_>>(), [(1, 1), (2, 1)]);
        assert_eq!(counted.text(2).count(), 0);
    }

    #[test]
    fn terms_in_more_than_half_the_texts_are_pruned() {
        assert_eq!(
            fitted(&["word one", "word two", "word"]).1.unwrap_err(),
            TextDriftError::AllTermsPruned
        );
        assert_eq!(
            fitted(&["the of", ""]).1.unwrap_err(),
            TextDriftError::EmptyVocabulary
        );
        // Words only in texts outside the training rows are not terms.
        let counted = CountedTexts::new(&["apple pear", "plum kiwi", "fig"]);
        let model = TfidfModel::fit(&counted, &[0, 1], 0.5).unwrap();
        assert_eq!(model.terms, ["apple", "kiwi", "pear", "plum"]);
        assert_eq!(model.transform(&counted, &[2]).row(0).0, [] as [u32; 0]);
    }
}
