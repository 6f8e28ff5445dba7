//! Vector (embedding) columns of a file: a Parquet list of numbers or a JSON Lines array of
//! numbers in every row becomes the numeric columns `NAME.0 .. NAME.{d-1}`, and the reader
//! says that `NAME` is an embedding with the prefix `NAME.` ([`VectorColumn`]).
//!
//! A null list is a missing row (every component NaN); a null or NaN inside a list is a
//! missing component. Both are left out of the embedding's drift test and counted there. A
//! column whose rows have different lengths, or wider than [`MAX_VECTOR_DIMENSION`], is kept
//! out of the table and reported in its [`VectorColumn::error`]; the rest of the file reads.

use modelwatch_core::schema::component_name;
use modelwatch_core::table::{Column, ColumnData};

/// The most components a vector column may have: each becomes a column of the table.
pub const MAX_VECTOR_DIMENSION: usize = 100_000;

/// What separates a vector column's name from the component number (`emb.0`).
pub const COMPONENT_SEPARATOR: &str = ".";

/// A vector column found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VectorColumn {
    /// The column's name in the file, also the embedding's name.
    pub name: String,
    /// Components per row (the number of columns `NAME.i`); 0 when unreadable.
    pub dimension: usize,
    /// Why the column could not be read (rows of different lengths, too wide); its
    /// components are then not in the table.
    pub error: Option<String>,
}

/// The prefix of the component columns of the vector column `name`: `NAME.`.
pub fn component_prefix(name: &str) -> String {
    format!("{name}{COMPONENT_SEPARATOR}")
}

impl VectorColumn {
    /// The prefix of the component columns: `NAME.`.
    pub fn prefix(&self) -> String {
        component_prefix(&self.name)
    }
}

/// Collects the rows of one vector column.
pub(crate) struct VectorBuilder {
    name: String,
    /// The values of the rows read so far, row after row.
    flat: Vec<f64>,
    /// The length of each row; `None` for a null row.
    lengths: Vec<Option<usize>>,
    /// The first row with a length, and that length.
    first: Option<(usize, usize)>,
    error: Option<String>,
}

impl VectorBuilder {
    pub(crate) fn new(name: &str) -> Self {
        VectorBuilder {
            name: name.to_string(),
            flat: Vec::new(),
            lengths: Vec::new(),
            first: None,
            error: None,
        }
    }

    /// Adds a row: `None` for a null row, else its components (NaN for a missing one).
    pub(crate) fn push(&mut self, row: Option<&[f64]>) {
        self.push_with(row.map(|r| r.len()), |flat| {
            flat.extend_from_slice(row.unwrap_or_default())
        });
    }

    /// Adds a row of `len` components that `fill` appends (nothing for a null row); the
    /// values are not kept once the column has failed.
    pub(crate) fn push_with(&mut self, len: Option<usize>, fill: impl FnOnce(&mut Vec<f64>)) {
        let row = self.lengths.len();
        self.lengths.push(len);
        if self.error.is_some() {
            return;
        }
        if let Some(len) = len {
            if len > MAX_VECTOR_DIMENSION {
                self.fail(format!(
                    "row {} holds {len} components, more than the {MAX_VECTOR_DIMENSION} a \
                     vector column may have",
                    row + 1
                ));
                return;
            }
            if let Some((first_row, first)) = self.first {
                if first != len {
                    self.fail(format!(
                        "vectors of different lengths: row {} has {len} components, row {} \
                         has {first}",
                        row + 1,
                        first_row + 1
                    ));
                    return;
                }
            } else {
                self.first = Some((row, len));
            }
            fill(&mut self.flat);
        }
    }

    /// Adds a row that is not a list of numbers at all (a JSON Lines value of another kind).
    pub(crate) fn push_bad(&mut self, what: &str) {
        let row = self.lengths.len();
        self.lengths.push(None);
        if self.error.is_none() {
            self.fail(format!(
                "row {} holds {what}; a vector column holds arrays of numbers",
                row + 1
            ));
        }
    }

    fn fail(&mut self, message: String) {
        self.error = Some(message);
        self.flat = Vec::new();
    }

    /// The component columns `NAME.0 ..` (none when the column failed) and the description
    /// of the column. `taken` says whether a name is already a column of the file, which
    /// a component may not shadow.
    pub(crate) fn finish(mut self, taken: &dyn Fn(&str) -> bool) -> (Vec<Column>, VectorColumn) {
        let dimension = self.first.map_or(0, |(_, l)| l);
        if self.error.is_none() && dimension == 0 {
            self.error = Some(if self.lengths.iter().all(Option::is_none) {
                "every row is null, so the vectors have no length".to_string()
            } else {
                "the vectors are empty (length 0)".to_string()
            });
        }
        let prefix = component_prefix(&self.name);
        if self.error.is_none() {
            if let Some(clash) = (0..dimension)
                .map(|j| component_name(&prefix, j))
                .find(|n| taken(n))
            {
                self.error = Some(format!(
                    "its component column `{clash}` is already a column of the file"
                ));
            }
        }
        let description = |error: Option<String>| VectorColumn {
            name: self.name.clone(),
            dimension: if error.is_some() { 0 } else { dimension },
            error,
        };
        if let Some(e) = self.error.take() {
            return (Vec::new(), description(Some(e)));
        }
        let rows = self.lengths.len();
        let mut columns: Vec<Vec<f64>> = (0..dimension).map(|_| Vec::with_capacity(rows)).collect();
        let mut at = 0;
        for len in &self.lengths {
            match len {
                Some(_) => {
                    for (c, x) in columns.iter_mut().zip(&self.flat[at..at + dimension]) {
                        c.push(*x);
                    }
                    at += dimension;
                }
                None => columns.iter_mut().for_each(|c| c.push(f64::NAN)),
            }
        }
        let out = columns
            .into_iter()
            .enumerate()
            .map(|(j, v)| Column::new(component_name(&prefix, j), ColumnData::Float(v)))
            .collect();
        (out, description(None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(c: &Column) -> Vec<f64> {
        match &c.data {
            ColumnData::Float(v) => v.clone(),
            _ => panic!("float"),
        }
    }

    #[test]
    fn rows_become_component_columns() {
        let mut b = VectorBuilder::new("emb");
        b.push(Some(&[1.0, 2.0]));
        b.push(None);
        b.push(Some(&[3.0, f64::NAN]));
        let (cols, v) = b.finish(&|_| false);
        assert_eq!(
            v,
            VectorColumn {
                name: "emb".into(),
                dimension: 2,
                error: None
            }
        );
        assert_eq!(v.prefix(), "emb.");
        assert_eq!(cols[0].name, "emb.0");
        assert_eq!(values(&cols[0])[..1], [1.0]);
        assert!(values(&cols[0])[1].is_nan());
        assert_eq!(values(&cols[1])[0], 2.0);
        assert!(values(&cols[1])[2].is_nan());
    }

    #[test]
    fn different_lengths_name_the_rows_and_keep_the_column_out() {
        let mut b = VectorBuilder::new("emb");
        b.push(None);
        b.push(Some(&[1.0, 2.0]));
        b.push(Some(&[1.0, 2.0]));
        b.push(Some(&[1.0]));
        b.push(Some(&[1.0, 2.0, 3.0]));
        let (cols, v) = b.finish(&|_| false);
        assert!(cols.is_empty());
        assert_eq!(
            v.error.as_deref(),
            Some("vectors of different lengths: row 4 has 1 components, row 2 has 2")
        );
        let mut b = VectorBuilder::new("emb");
        b.push(Some(&[1.0]));
        let (_, v) = b.finish(&|n| n == "emb.0");
        assert_eq!(
            v.error.as_deref(),
            Some("its component column `emb.0` is already a column of the file")
        );
        let mut b = VectorBuilder::new("emb");
        b.push_with(Some(MAX_VECTOR_DIMENSION + 1), |_| unreachable!());
        assert!(b
            .finish(&|_| false)
            .1
            .error
            .unwrap()
            .contains("more than the 100000"));
        let mut b = VectorBuilder::new("emb");
        b.push(None);
        assert!(b
            .finish(&|_| false)
            .1
            .error
            .unwrap()
            .contains("every row is null"));
    }
}
