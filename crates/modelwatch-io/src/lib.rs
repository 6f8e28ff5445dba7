//! Readers (and a CSV writer) turning CSV, Parquet and JSON Lines files, and Arrow record
//! batches in memory, into [`modelwatch_core::table::Table`]s.
//!
//! Type inference for text formats follows `pandas.read_csv` defaults so that results match
//! Evidently (which works on pandas frames); see [`infer`] for the rules and the deliberate
//! differences.

#![warn(missing_docs)]

mod csv;
mod datetime;
mod dictionary;
mod error;
pub mod images;
pub mod infer;
mod jsonl;
mod na;
mod number;
mod parquet;
mod record_batches;
pub mod vectors;
mod write;

use std::path::Path;

use modelwatch_core::table::Table;

pub use error::ReadError;
pub use jsonl::jsonl_read_shape;
pub use parquet::{
    parquet_binary_rows, parquet_shape, read_parquet_with_images, ParquetShape, ParquetWithImages,
};
pub use record_batches::read_record_batches;
pub use vectors::VectorColumn;
pub use write::{write_atomically, write_csv};

/// A supported input format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Delimited text with a header row (`.csv`, or `.tsv` with tabs); column types are
    /// inferred from the text as `pandas.read_csv` does (see [`infer`]).
    Csv,
    /// Apache Parquet; column types come from the file's schema.
    Parquet,
    /// JSON Lines: one flat JSON object per line, whose keys are the columns; a key absent
    /// from a line is a missing value there.
    JsonLines,
}

impl Format {
    /// The format implied by a file extension: `.csv`, `.tsv` (CSV with tabs), `.parquet`,
    /// `.pq`, `.jsonl`, `.ndjson` (case-insensitive).
    pub fn from_path(p: &Path) -> Option<Format> {
        let ext = p.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "tsv" => Some(Format::Csv),
            "parquet" | "pq" => Some(Format::Parquet),
            "jsonl" | "ndjson" => Some(Format::JsonLines),
            _ => None,
        }
    }

    /// The format for a user-given name: `csv`, `parquet`, `jsonl` / `ndjson` / `jsonlines`.
    pub fn from_name(s: &str) -> Option<Format> {
        match s.to_ascii_lowercase().as_str() {
            "csv" | "tsv" => Some(Format::Csv),
            "parquet" | "pq" => Some(Format::Parquet),
            "jsonl" | "ndjson" | "jsonlines" | "json-lines" => Some(Format::JsonLines),
            _ => None,
        }
    }
}

/// How to read a file; the default guesses everything from the file name.
#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    /// The format; `None` means "from the extension".
    pub format: Option<Format>,
    /// CSV field delimiter; `None` means tab for `.tsv` files and comma otherwise.
    pub delimiter: Option<u8>,
}

fn default_delimiter(path: &Path, options: &ReadOptions) -> u8 {
    options.delimiter.unwrap_or_else(|| {
        let tsv = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("tsv"));
        if tsv {
            b'\t'
        } else {
            b','
        }
    })
}

fn resolve_format(path: &Path, options: &ReadOptions) -> Result<Format, ReadError> {
    options
        .format
        .or_else(|| Format::from_path(path))
        .ok_or_else(|| ReadError::UnknownFormat {
            path: error::show(path),
        })
}

/// A table read from a file, and the vector columns the file held (Parquet lists and JSON
/// Lines arrays of numbers), each now the columns `NAME.0 ..` of the table or, when it could
/// not be read, kept out with the reason.
#[derive(Debug)]
pub struct TableRead {
    /// The table.
    pub table: Table,
    /// The vector columns, in the file's column order; CSV has none.
    pub vectors: Vec<VectorColumn>,
}

/// Reads a table from `path`. Vector columns become their component columns; use
/// [`read_table_with_vectors`] to learn which they were.
pub fn read_table(path: &Path, options: &ReadOptions) -> Result<Table, ReadError> {
    read_table_with_vectors(path, options).map(|r| r.table)
}

/// Reads a table from `path`, saying which vector columns it held.
pub fn read_table_with_vectors(path: &Path, options: &ReadOptions) -> Result<TableRead, ReadError> {
    let (table, vectors) = match resolve_format(path, options)? {
        Format::Csv => (
            csv::read_csv(path, default_delimiter(path, options))?,
            Vec::new(),
        ),
        Format::Parquet => parquet::read_parquet(path)?,
        Format::JsonLines => jsonl::read_jsonl(path)?,
    };
    Ok(TableRead { table, vectors })
}

/// Reads a table from bytes already in memory (an upload); `name` stands for the file in
/// error messages. `delimiter` applies to CSV and defaults to a comma. Vector columns become
/// their component columns (see [`read_table_bytes_with_vectors`]).
pub fn read_table_bytes(
    bytes: &[u8],
    format: Format,
    name: &str,
    delimiter: Option<u8>,
) -> Result<Table, ReadError> {
    read_table_bytes_with_vectors(bytes, format, name, delimiter).map(|r| r.table)
}

/// [`read_table_bytes`], saying which vector columns the data held.
pub fn read_table_bytes_with_vectors(
    bytes: &[u8],
    format: Format,
    name: &str,
    delimiter: Option<u8>,
) -> Result<TableRead, ReadError> {
    let path = Path::new(name);
    if bytes.is_empty() {
        return Err(ReadError::Empty {
            path: error::show(path),
        });
    }
    let (table, vectors) = match format {
        Format::Csv => (
            csv::parse_csv_bytes(path, bytes, delimiter.unwrap_or(b','), None, false, &|_| {})?,
            Vec::new(),
        ),
        Format::Parquet => parquet::parse_parquet(path, bytes::Bytes::copy_from_slice(bytes))?,
        Format::JsonLines => jsonl::parse_jsonl(path, bytes)?,
    };
    Ok(TableRead { table, vectors })
}

/// Test and benchmark knobs; not a stable API.
#[doc(hidden)]
pub mod tuning {
    use super::*;

    /// Reads a CSV file forcing the parallel chunk size (`Some(bytes)`) or the sequential
    /// `csv`-crate path (`force_sequential`), to check both paths give the same table.
    pub fn read_csv_with(
        path: &Path,
        options: &ReadOptions,
        chunk_bytes: Option<usize>,
        force_sequential: bool,
    ) -> Result<Table, ReadError> {
        csv::read_csv_tuned(
            path,
            default_delimiter(path, options),
            chunk_bytes,
            force_sequential,
        )
    }

    /// [`read_table_bytes`] for CSV with the same knobs as [`read_csv_with`], so a fuzz
    /// target can check that both paths agree on in-memory input.
    pub fn read_csv_bytes_with(
        bytes: &[u8],
        name: &str,
        delimiter: u8,
        chunk_bytes: Option<usize>,
        force_sequential: bool,
    ) -> Result<Table, ReadError> {
        let path = Path::new(name);
        if bytes.is_empty() {
            return Err(ReadError::Empty {
                path: error::show(path),
            });
        }
        csv::parse_csv_bytes(
            path,
            bytes,
            delimiter,
            chunk_bytes,
            force_sequential,
            &|_| {},
        )
    }
}

#[cfg(test)]
mod bytes_tests {
    use super::*;

    #[test]
    fn reads_csv_and_jsonl_from_memory() {
        let t = read_table_bytes(b"a,b\n1,x\n2,y\n", Format::Csv, "upload.csv", None).unwrap();
        assert_eq!(t.rows(), 2);
        let t =
            read_table_bytes(b"{\"a\":1}\n{\"a\":2.5}\n", Format::JsonLines, "u", None).unwrap();
        assert_eq!(t.rows(), 2);
    }

    /// A delimiter byte outside ASCII (only the library API allows one): invalid UTF-8 is
    /// still an error, not a panic, whether or not a column turns to text after it.
    #[test]
    fn non_ascii_delimiter_with_invalid_utf8() {
        for data in [
            &b"a\xc2\xa7b\n1\xa72\nx\xa7y\n"[..],
            b"a\xc2\xa7b\n1\xa72\n",
        ] {
            let e = read_table_bytes(data, Format::Csv, "t.csv", Some(0xA7)).unwrap_err();
            assert!(e.to_string().contains("not valid UTF-8 at line 2"), "{e}");
        }
    }

    #[test]
    fn bad_bytes_are_clear_errors() {
        let e = read_table_bytes(b"", Format::Csv, "upload.csv", None).unwrap_err();
        assert!(e.to_string().contains("upload.csv"), "{e}");
        let e = read_table_bytes(b"not parquet", Format::Parquet, "up.parquet", None).unwrap_err();
        assert!(e.to_string().contains("up.parquet"), "{e}");
    }
}
