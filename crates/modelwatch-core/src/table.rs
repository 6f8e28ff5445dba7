//! In-memory tables: named, typed columns of equal length.
//!
//! Storage follows what the statistics need: floats are kept as `f64` with NaN for a missing
//! value (pandas' convention, so a literal NaN in the input is also missing), integers and
//! booleans keep an explicit `Option` (an integer column with gaps stays an integer column,
//! unlike pandas), and strings are dictionary-encoded so that categorical statistics work on
//! small integer codes.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;

/// Code used in [`StrColumn::codes`] for a missing value.
pub const MISSING_CODE: u32 = u32::MAX;

/// A dictionary-encoded string column.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StrColumn {
    /// Distinct labels, in order of first appearance.
    pub labels: Vec<String>,
    /// One code per row: an index into `labels`, or [`MISSING_CODE`].
    pub codes: Vec<u32>,
}

impl StrColumn {
    /// Builds a dictionary-encoded column from optional strings.
    pub fn from_options<S: AsRef<str>>(values: impl IntoIterator<Item = Option<S>>) -> Self {
        let mut builder = StrColumnBuilder::with_capacity(0);
        for v in values {
            builder.push(v.as_ref().map(|s| s.as_ref()));
        }
        builder.finish()
    }

    /// The label of row `row`, or `None` when missing.
    pub fn get(&self, row: usize) -> Option<&str> {
        match self.codes[row] {
            MISSING_CODE => None,
            c => Some(self.labels[c as usize].as_str()),
        }
    }

    /// Number of rows, missing ones included.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }
}

/// Incremental builder for a [`StrColumn`] that owns its labels. `S` is the hasher of the
/// label index: a reader can pass a faster one; the codes do not depend on it. (io's CSV
/// reader has its own builder that borrows labels from the input buffer instead.)
#[derive(Debug, Default)]
pub struct StrColumnBuilder<S = RandomState> {
    index: HashMap<String, u32, S>,
    column: StrColumn,
}

impl StrColumnBuilder {
    /// An empty builder with room for `rows` codes (labels grow as they are seen).
    pub fn with_capacity(rows: usize) -> Self {
        let mut b = Self::default();
        b.column.codes.reserve(rows);
        b
    }
}

impl<S: BuildHasher> StrColumnBuilder<S> {
    /// Appends one value: its label's code (a new code for a label not seen before), or
    /// [`MISSING_CODE`] for `None`.
    pub fn push(&mut self, value: Option<&str>) {
        let code = match value {
            None => MISSING_CODE,
            Some(s) => match self.index.get(s) {
                Some(&c) => c,
                None => {
                    let c = self.column.labels.len() as u32;
                    self.column.labels.push(s.to_owned());
                    self.index.insert(s.to_owned(), c);
                    c
                }
            },
        };
        self.column.codes.push(code);
    }

    /// The column built so far.
    pub fn finish(self) -> StrColumn {
        self.column
    }
}

/// The values of one column, in the physical type the reader found.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    /// Floating point values; NaN marks a missing value. Infinities are kept as values.
    Float(Vec<f64>),
    /// Integers with explicit missing values.
    Int(Vec<Option<i64>>),
    /// Booleans with explicit missing values.
    Bool(Vec<Option<bool>>),
    /// Strings, dictionary encoded.
    Str(StrColumn),
    /// Dates and datetimes as microseconds since the Unix epoch (UTC), with missing values.
    Datetime(Vec<Option<i64>>),
}

impl ColumnData {
    /// Number of rows, missing ones included.
    pub fn len(&self) -> usize {
        match self {
            ColumnData::Float(v) => v.len(),
            ColumnData::Int(v) => v.len(),
            ColumnData::Bool(v) => v.len(),
            ColumnData::Str(v) => v.len(),
            ColumnData::Datetime(v) => v.len(),
        }
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether row `row` is missing (NaN floats count as missing; infinities do not).
    pub fn is_missing(&self, row: usize) -> bool {
        match self {
            ColumnData::Float(v) => v[row].is_nan(),
            ColumnData::Int(v) => v[row].is_none(),
            ColumnData::Bool(v) => v[row].is_none(),
            ColumnData::Str(v) => v.codes[row] == MISSING_CODE,
            ColumnData::Datetime(v) => v[row].is_none(),
        }
    }

    /// Number of missing values.
    pub fn missing_count(&self) -> usize {
        match self {
            ColumnData::Float(v) => v.iter().filter(|x| x.is_nan()).count(),
            ColumnData::Int(v) => v.iter().filter(|x| x.is_none()).count(),
            ColumnData::Bool(v) => v.iter().filter(|x| x.is_none()).count(),
            ColumnData::Str(v) => v.codes.iter().filter(|&&c| c == MISSING_CODE).count(),
            ColumnData::Datetime(v) => v.iter().filter(|x| x.is_none()).count(),
        }
    }

    /// Whether every row is missing (true for an empty column); stops at the first value.
    pub fn all_missing(&self) -> bool {
        (0..self.len()).all(|row| self.is_missing(row))
    }

    /// A short name of the physical type, for messages.
    pub fn physical_name(&self) -> &'static str {
        match self {
            ColumnData::Float(_) => "float",
            ColumnData::Int(_) => "integer",
            ColumnData::Bool(_) => "boolean",
            ColumnData::Str(_) => "string",
            ColumnData::Datetime(_) => "datetime",
        }
    }
}

/// A named column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The column name, unique within its table.
    pub name: String,
    /// The values, one per row.
    pub data: ColumnData,
}

impl Column {
    /// A column named `name` holding `data`.
    pub fn new(name: impl Into<String>, data: ColumnData) -> Self {
        Self {
            name: name.into(),
            data,
        }
    }
}

/// A problem a reader met in one column that did not stop the read: the column holds what
/// could be read, and the presets report the problem in that column's results.
///
/// Today the one kind is text that is not UTF-8: the reader decodes such a cell lossily, each
/// invalid byte sequence becoming U+FFFD (the replacement character), as
/// `pandas.read_csv(..., encoding_errors="replace")` does.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ColumnReadProblem {
    /// The column.
    pub column: String,
    /// Cells of the column whose bytes were not valid UTF-8.
    pub invalid_utf8_cells: usize,
    /// 1-based line of the file where the row holding the first such cell starts.
    pub first_line: u64,
    /// The problem in one sentence, for reports: [`ColumnReadProblem::describe`].
    pub message: String,
}

impl ColumnReadProblem {
    /// The problem of `cells` cells of `column` that are not valid UTF-8, the first in the row
    /// starting at line `first_line`.
    pub fn invalid_utf8(column: impl Into<String>, cells: usize, first_line: u64) -> Self {
        let column = column.into();
        let message = Self::describe(&column, cells, first_line);
        Self {
            column,
            invalid_utf8_cells: cells,
            first_line,
            message,
        }
    }

    /// "12 values in column `ticket` are not valid UTF-8 (first at line 40); read with U+FFFD
    /// for each bad byte sequence".
    pub fn describe(column: &str, cells: usize, first_line: u64) -> String {
        if cells == 1 {
            format!(
                "1 value in column `{column}` is not valid UTF-8 (line {first_line}); \
                 read with U+FFFD for each bad byte sequence"
            )
        } else {
            format!(
                "{cells} values in column `{column}` are not valid UTF-8 (first at line \
                 {first_line}); read with U+FFFD for each bad byte sequence"
            )
        }
    }
}

/// Errors building a table.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TableError {
    /// A column's length differs from the first column's.
    #[error("column `{name}` has {got} rows, expected {expected}")]
    LengthMismatch {
        /// The column.
        name: String,
        /// Its number of rows.
        got: usize,
        /// The number of rows of the first column.
        expected: usize,
    },
    /// Two columns have the same name.
    #[error("column `{0}` appears more than once")]
    DuplicateColumn(String),
}

/// Columns of equal length with unique names.
#[derive(Clone, PartialEq, Default)]
pub struct Table {
    columns: Vec<Column>,
    rows: usize,
    /// Each column's position by name: vector columns make tables of thousands of columns,
    /// and presets and readers look columns up by name.
    index: HashMap<String, usize>,
    /// Problems the reader met in some columns, in column order (at most one per column).
    read_problems: Vec<ColumnReadProblem>,
}

impl std::fmt::Debug for Table {
    /// The columns and the row count; the name index is derived from them (and a hash map
    /// would print in no fixed order).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("columns", &self.columns)
            .field("rows", &self.rows)
            .field("read_problems", &self.read_problems)
            .finish()
    }
}

impl Table {
    /// Builds a table, checking that names are unique and lengths agree.
    pub fn new(columns: Vec<Column>) -> Result<Self, TableError> {
        let rows = columns.first().map_or(0, |c| c.data.len());
        let mut index = HashMap::with_capacity(columns.len());
        for (i, c) in columns.iter().enumerate() {
            if index.insert(c.name.clone(), i).is_some() {
                return Err(TableError::DuplicateColumn(c.name.clone()));
            }
            if c.data.len() != rows {
                return Err(TableError::LengthMismatch {
                    name: c.name.clone(),
                    got: c.data.len(),
                    expected: rows,
                });
            }
        }
        Ok(Self {
            columns,
            rows,
            index,
            read_problems: Vec::new(),
        })
    }

    /// The table with the reader's per-column problems attached; a problem naming no column
    /// of the table is dropped (a column left out after reading takes its problem with it),
    /// and the rest are kept in column order.
    pub fn with_read_problems(mut self, problems: Vec<ColumnReadProblem>) -> Self {
        let mut problems: Vec<(usize, ColumnReadProblem)> = problems
            .into_iter()
            .filter_map(|p| self.index.get(&p.column).map(|&i| (i, p)))
            .collect();
        problems.sort_by_key(|(i, _)| *i);
        problems.dedup_by_key(|(i, _)| *i);
        self.read_problems = problems.into_iter().map(|(_, p)| p).collect();
        self
    }

    /// The problems the reader met in some columns without failing the read, in column order.
    pub fn read_problems(&self) -> &[ColumnReadProblem] {
        &self.read_problems
    }

    /// The read problem of the column named `name`, if any.
    pub fn read_problem(&self, name: &str) -> Option<&ColumnReadProblem> {
        self.read_problems.iter().find(|p| p.column == name)
    }

    /// Number of rows (0 for a table without columns).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The columns, in the order they were given.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The columns, moved out of the table, in the order they were given (without the read
    /// problems: keep [`Table::read_problems`] first to attach them to a rebuilt table).
    pub fn into_columns(self) -> Vec<Column> {
        self.columns
    }

    /// The column named `name`, if any.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.index.get(name).map(|&i| &self.columns[i])
    }

    /// The column names, in column order.
    pub fn column_names(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(|c| c.name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn str_column_dictionary_encodes() {
        let c = StrColumn::from_options([Some("a"), None, Some("b"), Some("a")]);
        assert_eq!(c.labels, vec!["a", "b"]);
        assert_eq!(c.codes, vec![0, MISSING_CODE, 1, 0]);
        assert_eq!(c.get(1), None);
        assert_eq!(c.get(3), Some("a"));
    }

    #[test]
    fn read_problems_follow_column_order_and_leave_with_their_column() {
        let col = |n: &str| Column::new(n, ColumnData::Float(vec![1.0]));
        let t = Table::new(vec![col("a"), col("b"), col("c")])
            .unwrap()
            .with_read_problems(vec![
                ColumnReadProblem::invalid_utf8("c", 3, 7),
                ColumnReadProblem::invalid_utf8("gone", 1, 2),
                ColumnReadProblem::invalid_utf8("a", 1, 4),
            ]);
        let names: Vec<&str> = t
            .read_problems()
            .iter()
            .map(|p| p.column.as_str())
            .collect();
        assert_eq!(names, ["a", "c"]);
        assert_eq!(t.read_problem("c").map(|p| p.invalid_utf8_cells), Some(3));
        assert_eq!(t.read_problem("b"), None);
        assert_eq!(
            t.read_problem("a").unwrap().message,
            "1 value in column `a` is not valid UTF-8 (line 4); read with U+FFFD for each bad \
             byte sequence"
        );
    }

    #[test]
    fn table_rejects_mismatched_lengths_and_duplicates() {
        let a = Column::new("a", ColumnData::Float(vec![1.0, 2.0]));
        let b = Column::new("b", ColumnData::Int(vec![Some(1)]));
        assert!(matches!(
            Table::new(vec![a.clone(), b]),
            Err(TableError::LengthMismatch { .. })
        ));
        assert!(matches!(
            Table::new(vec![a.clone(), a]),
            Err(TableError::DuplicateColumn(_))
        ));
    }
}
