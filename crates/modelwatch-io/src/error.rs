//! The reader error: one line naming the file, and the line/column where relevant.

use std::io;
use std::path::Path;

/// Everything that can go wrong reading (or writing) a table file. `Display` is a single line
/// starting with the file path.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{path}: cannot read: {message}")]
    Io { path: String, message: String },
    #[error("{path}: cannot write: {message}")]
    Write { path: String, message: String },
    #[error("{path}: unknown file type (expected .csv, .tsv, .parquet, .pq, .jsonl or .ndjson); pass --format csv|parquet|jsonl")]
    UnknownFormat { path: String },
    #[error("{path}: file is empty")]
    Empty { path: String },
    #[error("{path}: no header row (the first line looks like data: {first_line:?})")]
    NoHeader { path: String, first_line: String },
    #[error("{path}: line {line} has {got} fields, the header has {expected}")]
    RaggedRow {
        path: String,
        line: u64,
        got: usize,
        expected: usize,
    },
    #[error("{path}: not valid UTF-8 at line {line}")]
    InvalidUtf8 { path: String, line: u64 },
    #[error("{path}: duplicate column name {name:?}")]
    DuplicateColumn { path: String, name: String },
    #[error("{path}: line {line}: malformed CSV: {message}")]
    MalformedCsv {
        path: String,
        line: u64,
        message: String,
    },
    #[error("{path}: not a valid Parquet file: {message}")]
    InvalidParquet { path: String, message: String },
    #[error("{path}: column {column:?} has unsupported type {data_type}")]
    UnsupportedType {
        path: String,
        column: String,
        data_type: String,
    },
    #[error("{path}: column {column:?}: {message}")]
    BadValue {
        path: String,
        column: String,
        message: String,
    },
    #[error("{path}: line {line}: {message}")]
    Json {
        path: String,
        line: u64,
        message: String,
    },
}

/// The path as shown in messages.
pub(crate) fn show(path: &Path) -> String {
    path.display().to_string()
}

/// Makes any message fit on one line.
pub(crate) fn one_line(s: impl AsRef<str>) -> String {
    let s = s.as_ref();
    if s.contains(['\n', '\r']) {
        s.split(['\n', '\r'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        s.to_owned()
    }
}

/// An I/O error as a short message: "No such file or directory" rather than
/// "No such file or directory (os error 2)".
pub(crate) fn io_message(e: &io::Error) -> String {
    let s = e.to_string();
    let s = match s.rfind(" (os error ") {
        Some(i) if s.ends_with(')') => s[..i].to_owned(),
        _ => s,
    };
    one_line(s)
}

impl ReadError {
    pub(crate) fn io(path: &Path, e: &io::Error) -> Self {
        ReadError::Io {
            path: show(path),
            message: io_message(e),
        }
    }

    pub(crate) fn write(path: &Path, e: &io::Error) -> Self {
        ReadError::Write {
            path: show(path),
            message: io_message(e),
        }
    }
}
