//! CSV reader.
//!
//! Two paths produce identical tables:
//!
//! * **Parallel** (files without any `"` or lone `\r`; [`unquoted`], [`chunk`], [`pages`]):
//!   the file is memory-mapped, split into chunks at newline boundaries, and each chunk is
//!   tokenised and parsed on its own rayon task into the rows of each column's final buffer
//!   that belong to it (the chunks' line counts are taken first, so every chunk knows where
//!   its rows go and nothing is concatenated later). Numbers are read straight from the buffer (a fast exact
//!   path for plain decimals); a column holds integers until a non-integer number shows up; a
//!   column that turns out to hold text keeps borrowed `&str` slices of the mapped file, so no
//!   string is copied until the dictionary is built. Parsed parts of the mapping are released
//!   as the chunks finish.
//! * **Sequential** (files with quotes, where a newline may sit inside a field, or with a
//!   carriage return not followed by a newline, which ends a line; [`quoted`]):
//!   the `csv` crate tokenises the file twice, once to find each column's type and once to
//!   fill it, so that a numeric column never holds its text and its values at the same time.
//!
//! Text that is not UTF-8 after the header does not fail the file: each cell holding bad
//! bytes is decoded with U+FFFD for each invalid sequence (`String::from_utf8_lossy`, what
//! pandas' `encoding_errors="replace"` gives), its column turns to text if it was numeric
//! (a bad byte is no digit), and the table records a
//! [`ColumnReadProblem`](modelwatch_core::table::ColumnReadProblem) per such column: the
//! count of bad cells and the line where the row of the first starts. Only the sequential
//! path does this; the parallel path hands such a file over to it when it meets the first
//! bad byte. A bad byte in the header fails the file ([`ReadError::InvalidUtf8`]), as does
//! any bad byte when the delimiter is not ASCII (library API only).
//!
//! Semantics follow `pandas.read_csv` with default options (pandas 2.3); see [`crate::infer`]
//! for the per-field rules and the two deliberate differences.

mod chunk;
mod pages;
mod quoted;
mod unquoted;

use std::fs::File;
use std::path::Path;

use memchr::memchr_iter;
use modelwatch_core::table::Table;

use crate::error::{show, ReadError};
use crate::infer::parse_float;

/// Reads a CSV file with the given delimiter, choosing the parallel or sequential path.
pub(crate) fn read_csv(path: &Path, delimiter: u8) -> Result<Table, ReadError> {
    read_csv_tuned(path, delimiter, None, false)
}

/// [`read_csv`] with knobs for tests and benchmarks: `chunk_bytes` overrides the parallel
/// chunk size, `force_sequential` takes the `csv`-crate path even without quotes.
pub(crate) fn read_csv_tuned(
    path: &Path,
    delimiter: u8,
    chunk_bytes: Option<usize>,
    force_sequential: bool,
) -> Result<Table, ReadError> {
    let file = File::open(path).map_err(|e| ReadError::io(path, &e))?;
    let meta = file.metadata().map_err(|e| ReadError::io(path, &e))?;
    if meta.is_dir() {
        return Err(ReadError::Io {
            path: show(path),
            message: "is a directory".into(),
        });
    }
    if meta.len() == 0 {
        return Err(ReadError::Empty { path: show(path) });
    }
    // SAFETY: the mapping is only read while this function runs. If another process truncates
    // or rewrites the file meanwhile we may read garbage or fault, the usual caveat of mmap that
    // every mmap-based reader (including pandas' `memory_map=True`) accepts.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| ReadError::io(path, &e))?;
    #[cfg(unix)]
    let _ = map.advise(memmap2::Advice::Sequential);
    let release = |part: &[u8]| pages::release_pages(&map, part);
    parse_csv_bytes(
        path,
        &map,
        delimiter,
        chunk_bytes,
        force_sequential,
        &release,
    )
}

/// Parses CSV content that is already in memory; `release` is called with each part of `data`
/// the parallel path has finished parsing.
pub(crate) fn parse_csv_bytes(
    path: &Path,
    data: &[u8],
    delimiter: u8,
    chunk_bytes: Option<usize>,
    force_sequential: bool,
    release: &(dyn Fn(&[u8]) + Sync),
) -> Result<Table, ReadError> {
    // A UTF-8 byte order mark is skipped (pandas does the same for encoding="utf-8"). The
    // `csv` crate skips one by itself, so the sequential path gets the bytes with it: skipped
    // here as well, a second mark would go too, where pandas keeps it in the first name.
    let with_bom = data;
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    if data.iter().all(|c| c.is_ascii_whitespace()) {
        return Err(ReadError::Empty { path: show(path) });
    }
    if force_sequential {
        return quoted::parse(path, with_bom, delimiter);
    }
    // The parallel path gives up (before parsing anything) when it finds a quote or a lone
    // carriage return, or the delimiter could be read as part of a number; and after parsing
    // when a field is not UTF-8.
    match unquoted::parse(path, data, delimiter, chunk_bytes, release) {
        Some(table) => table,
        None => quoted::parse(path, with_bom, delimiter),
    }
}

/// 1-based line number of byte `offset`.
fn line_of(data: &[u8], offset: usize) -> u64 {
    memchr_iter(b'\n', &data[..offset.min(data.len())]).count() as u64 + 1
}

/// Whether a line holds only spaces and tabs. pandas skips such lines (`skip_blank_lines=True`).
#[inline]
fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|&c| c == b' ' || c == b'\t')
}

/// Column names from the header fields: an empty name becomes `Unnamed: i` (as in pandas);
/// a header made only of numbers is taken for a missing header; duplicates are an error
/// (pandas would silently rename them `a.1`, which hides mistakes in monitoring data).
fn header_names(path: &Path, fields: &[&str], delimiter: u8) -> Result<Vec<String>, ReadError> {
    if fields
        .iter()
        .all(|f| !f.is_empty() && parse_float(f.as_bytes()).is_some())
    {
        let mut first_line = fields.join(&(delimiter as char).to_string());
        if first_line.chars().count() > 80 {
            first_line = first_line.chars().take(77).collect::<String>() + "...";
        }
        return Err(ReadError::NoHeader {
            path: show(path),
            first_line,
        });
    }
    let mut names: Vec<String> = Vec::with_capacity(fields.len());
    let mut seen = std::collections::HashSet::new();
    for (i, f) in fields.iter().enumerate() {
        let name = if f.is_empty() {
            format!("Unnamed: {i}")
        } else {
            (*f).to_owned()
        };
        if !seen.insert(name.clone()) {
            return Err(ReadError::DuplicateColumn {
                path: show(path),
                name,
            });
        }
        names.push(name);
    }
    Ok(names)
}

/// Per-column numeric state while parsing: integers until a float shows up, floats until a
/// value that is neither a number nor a missing token shows up.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum NumKind {
    Int,
    Float,
    Text,
}
