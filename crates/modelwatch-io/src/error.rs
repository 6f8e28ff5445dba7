//! The reader error: one line naming the file, and the line/column where relevant.

use std::io;
use std::path::Path;

/// Everything that can go wrong reading (or writing) a table file. `Display` is a single line
/// starting with the file path.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened, inspected or read: it does not exist, is not readable,
    /// or (for CSV and JSON Lines) is a directory. `message` is the operating system's reason without the
    /// "(os error N)" suffix, e.g. "No such file or directory".
    #[error("{path}: cannot read: {message}")]
    Io {
        /// The file as the caller named it.
        path: String,
        /// Why reading failed, on one line.
        message: String,
    },
    /// [`write_csv`](crate::write_csv) could not create, write or rename its temporary file;
    /// the destination is left as it was and the temporary file is deleted (best effort).
    #[error("{path}: cannot write: {message}")]
    Write {
        /// The destination file.
        path: String,
        /// The operating system's reason, without the "(os error N)" suffix.
        message: String,
    },
    /// No format was given and the file name's extension is none of those
    /// [`Format::from_path`](crate::Format::from_path) knows; the message lists them (the
    /// caller says how its user names the format: the CLI's `--format`).
    #[error("{path}: unknown file type (expected .csv, .tsv, .parquet, .pq, .jsonl or .ndjson)")]
    UnknownFormat {
        /// The file whose extension was not recognised.
        path: String,
    },
    /// There is nothing to read: the file or upload has no bytes, or a CSV or JSON Lines file
    /// holds only whitespace (after an optional UTF-8 byte order mark), so not even a header.
    #[error("{path}: file is empty")]
    Empty {
        /// The empty file.
        path: String,
    },
    /// The first non-blank line of a CSV file consists only of numbers, so it is data rather
    /// than column names; modelwatch needs a header row and will not invent names.
    #[error("{path}: no header row (the first line looks like data: {first_line:?})")]
    NoHeader {
        /// The CSV file.
        path: String,
        /// That first line, its fields joined by the delimiter, cut to 80 characters
        /// (ending in "...") so the message stays one readable line.
        first_line: String,
    },
    /// A CSV data row has a different number of fields than the header, usually a stray
    /// delimiter or an unquoted field containing one. Reading stops at the first such row.
    #[error("{path}: line {line} has {got} fields, the header has {expected}")]
    RaggedRow {
        /// The CSV file.
        path: String,
        /// 1-based line in the file where the row starts (blank lines are counted).
        line: u64,
        /// Number of fields on that row.
        got: usize,
        /// Number of fields in the header, which every row must match.
        expected: usize,
    },
    /// A CSV header line, or a JSON Lines line, contains bytes that are not UTF-8 (often a
    /// file saved as Latin-1 or Windows-1252); the file needs re-encoding to UTF-8. Bad bytes
    /// in a CSV data field do not fail the file: they are read with U+FFFD and reported as
    /// the column's [`ColumnReadProblem`](modelwatch_core::table::ColumnReadProblem) (with a
    /// delimiter outside ASCII, possible through the library API only, they still fail it).
    #[error("{path}: not valid UTF-8 at line {line}")]
    InvalidUtf8 {
        /// The file.
        path: String,
        /// 1-based line where the first row (CSV) or line (JSON Lines) holding invalid bytes
        /// starts.
        line: u64,
    },
    /// Two columns have the same name: two identical CSV header fields (an empty header
    /// field is named `Unnamed: i` after its 0-based position, as pandas does), or a Parquet
    /// schema with a repeated field name. A JSON Lines key repeated within one object is not
    /// an error: the last value wins.
    #[error("{path}: duplicate column name {name:?}")]
    DuplicateColumn {
        /// The file.
        path: String,
        /// The name that occurs more than once.
        name: String,
    },
    /// The CSV parser rejected a record in a file that contains quotes. The parser is lenient
    /// about quoting, so this is rare; `message` is the parser's own explanation.
    #[error("{path}: line {line}: malformed CSV: {message}")]
    MalformedCsv {
        /// The CSV file.
        path: String,
        /// 1-based line in the file where the rejected record starts.
        line: u64,
        /// The parser's explanation, on one line.
        message: String,
    },
    /// A column named as an image column cannot be one (missing, or not text).
    #[error("image column `{column}`: {message}")]
    ImageColumn {
        /// The column.
        column: String,
        /// Why.
        message: String,
    },
    /// A folder given as a dataset holds no image file (see
    /// [`IMAGE_EXTENSIONS`](crate::images::IMAGE_EXTENSIONS)).
    #[error("{path}: a folder with no image files (.jpg, .png, .webp, .gif, .bmp, .tiff); {skipped} other file(s) in it")]
    NoImages {
        /// The folder.
        path: String,
        /// The files in it without an image extension.
        skipped: usize,
    },
    /// The data is not a readable Parquet file (wrong magic bytes, a truncated footer,
    /// corrupt pages, an unsupported compression); `message` is the Parquet reader's reason.
    #[error("{path}: not a valid Parquet file: {message}")]
    InvalidParquet {
        /// The Parquet file.
        path: String,
        /// The Parquet reader's reason, on one line.
        message: String,
    },
    /// In-memory Arrow data (a stream of record batches) could not be read: the stream
    /// reported an error, or its batches break its own schema; `message` is Arrow's reason.
    #[error("{path}: cannot read the Arrow data: {message}")]
    InvalidArrow {
        /// The name the caller gave the data.
        path: String,
        /// Arrow's reason, on one line.
        message: String,
    },
    /// A Parquet column has a type with no table equivalent. Supported are integers, floats,
    /// decimals (read as floats), booleans, strings (also dictionary-encoded), dates and
    /// timestamps; lists, structs, maps, binary, times and durations are refused.
    #[error("{path}: column {column:?} has unsupported type {data_type}")]
    UnsupportedType {
        /// The Parquet file.
        path: String,
        /// The column's name.
        column: String,
        /// The column's Arrow type, as the Arrow library prints it.
        data_type: String,
    },
    /// A Parquet column of a supported type holds a value the table cannot represent: an
    /// unsigned 64-bit integer above `i64::MAX`, or a date or timestamp outside the range of
    /// signed 64-bit microseconds since the epoch (about 292,000 years either side).
    #[error("{path}: column {column:?}: {message}")]
    BadValue {
        /// The Parquet file.
        path: String,
        /// The column holding the value.
        column: String,
        /// Which kind of value was out of range.
        message: String,
    },
    /// A JSON Lines line is not a flat JSON object: it does not start with `{`, is not valid
    /// JSON, or a key holds a nested array or object. Blank lines are skipped, not errors.
    #[error("{path}: line {line}: {message}")]
    Json {
        /// The JSON Lines file.
        path: String,
        /// 1-based line number of the offending line.
        line: u64,
        /// What is wrong with the line, including the JSON parser's reason for invalid JSON.
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
