//! The reader for files with quotes (where a newline may sit inside a field), on the `csv`
//! crate: it tokenises the file twice, once to find each column's type and once to fill it.

use std::path::Path;

use memchr::{memchr, memchr2};
use modelwatch_core::table::{Column, ColumnData, ColumnReadProblem, Table};
use rayon::prelude::*;

use super::{header_names, is_blank, line_of, NumKind};
use crate::error::{show, ReadError};
use crate::infer::{is_na, parse_float, parse_int, text_column};

fn reader(data: &[u8], delimiter: u8) -> ::csv::Reader<&[u8]> {
    ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(data)
}

/// Whether a record is a blank line, which pandas skips (`skip_blank_lines=True`): a line of
/// only spaces and tabs comes out of the `csv` crate as one blank field. A quoted field is a
/// value even when it is empty: pandas writes a missing value in a one-column file as `""`,
/// and reads that line back as a row with the value missing, so only a line without a quote
/// is blank.
fn is_blank_record(data: &[u8], r: &::csv::ByteRecord) -> bool {
    if r.len() != 1 || !is_blank(&r[0]) {
        return false;
    }
    let Some(start) = record_start(data, r.position()) else {
        return true;
    };
    // A field of spaces and tabs holds no line break, so the record ends with its line.
    let rest = &data[start..];
    let line = &rest[..memchr2(b'\n', b'\r', rest).unwrap_or(rest.len())];
    memchr(b'"', line).is_none()
}

/// Offset of a record's first byte: the `csv` crate's byte offset points before the empty
/// lines it skipped to reach the record.
fn record_start(data: &[u8], pos: Option<&::csv::Position>) -> Option<usize> {
    let mut off = (pos?.byte() as usize).min(data.len());
    while off < data.len() && (data[off] == b'\n' || data[off] == b'\r') {
        off += 1;
    }
    Some(off)
}

/// Line of a record: the `csv` crate's own line count ignores skipped empty lines, so count
/// newlines up to the record's first byte.
fn record_line(data: &[u8], pos: Option<&::csv::Position>) -> u64 {
    record_start(data, pos).map_or(0, |off| line_of(data, off))
}

fn csv_error(path: &Path, data: &[u8], e: ::csv::Error) -> ReadError {
    let line = record_line(data, e.position());
    ReadError::MalformedCsv {
        path: show(path),
        line,
        message: crate::error::one_line(e.to_string()),
    }
}

/// Reads the whole table from `data` (the file's bytes; the `csv` crate skips a byte order
/// mark at the start, and its record positions count it).
pub(super) fn parse(path: &Path, data: &[u8], delimiter: u8) -> Result<Table, ReadError> {
    // Pass 1: header, structure checks, and each column's numeric kind.
    let mut rdr = reader(data, delimiter);
    let mut rec = ::csv::ByteRecord::new();
    let mut names: Option<Vec<String>> = None;
    let mut kinds: Vec<NumKind> = Vec::new();
    let mut bad: Vec<BadCells> = Vec::new();
    // With a delimiter outside ASCII (possible through the library API) the delimiter byte
    // may be part of a UTF-8 character, so fields cannot be told apart from bad bytes
    // reliably: invalid UTF-8 then fails the file, as before.
    let lossy = delimiter.is_ascii();
    let mut rows = 0usize;
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(csv_error(path, data, e)),
        }
        if is_blank_record(data, &rec) {
            continue;
        }
        // Counting lines from the file's start costs a pass over everything before the
        // record, so it is done only for a record that is reported; once per record it made
        // reading a quoted file quadratic in its length.
        let line = || record_line(data, rec.position());
        match &names {
            None => {
                // Column names must be text: a bad byte in the header fails the file.
                let fields: Vec<&str> = rec
                    .iter()
                    .map(std::str::from_utf8)
                    .collect::<Result<_, _>>()
                    .map_err(|_| ReadError::InvalidUtf8 {
                        path: show(path),
                        line: line(),
                    })?;
                let n = header_names(path, &fields, delimiter)?;
                kinds = vec![NumKind::Int; n.len()];
                bad = vec![BadCells::default(); n.len()];
                names = Some(n);
            }
            Some(n) => {
                if rec.len() != n.len() {
                    return Err(ReadError::RaggedRow {
                        path: show(path),
                        line: line(),
                        got: rec.len(),
                        expected: n.len(),
                    });
                }
                for ((k, b), f) in kinds.iter_mut().zip(bad.iter_mut()).zip(rec.iter()) {
                    // A cell that is not UTF-8 is neither a number nor a missing token (its
                    // bad bytes are not ASCII), so its column turns to text below.
                    if !f.is_ascii() && std::str::from_utf8(f).is_err() {
                        if !lossy {
                            return Err(ReadError::InvalidUtf8 {
                                path: show(path),
                                line: line(),
                            });
                        }
                        b.count(line);
                    }
                    if *k == NumKind::Int && parse_int(f).is_none() && !is_na(f) {
                        *k = NumKind::Float;
                    }
                    if *k == NumKind::Float && parse_float(f).is_none() && !is_na(f) {
                        *k = NumKind::Text;
                    }
                }
                rows += 1;
            }
        }
    }
    let names = names.ok_or_else(|| ReadError::Empty { path: show(path) })?;
    let problems: Vec<ColumnReadProblem> = names
        .iter()
        .zip(&bad)
        .filter_map(|(name, b)| {
            let first_line = b.first_line?;
            Some(ColumnReadProblem::invalid_utf8(name, b.cells, first_line))
        })
        .collect();

    // Pass 2: fill. Text columns collect their fields in one string arena each.
    enum Buf {
        Int(Vec<Option<i64>>),
        Float(Vec<f64>),
        Text(String, Vec<usize>),
    }
    let mut bufs: Vec<Buf> = kinds
        .iter()
        .map(|k| match k {
            NumKind::Int => Buf::Int(Vec::with_capacity(rows)),
            NumKind::Float => Buf::Float(Vec::with_capacity(rows)),
            NumKind::Text => Buf::Text(String::new(), Vec::with_capacity(rows)),
        })
        .collect();
    let mut rdr = reader(data, delimiter);
    let mut header_seen = false;
    while rdr
        .read_byte_record(&mut rec)
        .map_err(|e| csv_error(path, data, e))?
    {
        if is_blank_record(data, &rec) {
            continue;
        }
        if !header_seen {
            header_seen = true;
            continue;
        }
        for (b, f) in bufs.iter_mut().zip(rec.iter()) {
            match b {
                Buf::Int(v) => v.push(parse_int(f)),
                Buf::Float(v) => v.push(parse_float(f).unwrap_or(f64::NAN)),
                Buf::Text(s, ends) => {
                    match std::str::from_utf8(f) {
                        Ok(t) => s.push_str(t),
                        Err(_) => push_lossy(s, f),
                    }
                    ends.push(s.len());
                }
            }
        }
    }
    let columns: Vec<Column> = bufs
        .into_par_iter()
        .zip(names.into_par_iter())
        .map(|(b, name)| {
            let data = match b {
                Buf::Int(v) if v.iter().all(Option::is_none) => {
                    ColumnData::Float(vec![f64::NAN; v.len()])
                }
                Buf::Int(v) => ColumnData::Int(v),
                Buf::Float(v) => ColumnData::Float(v),
                Buf::Text(s, ends) => {
                    let starts = std::iter::once(0).chain(ends.iter().copied());
                    let slices: Vec<&str> =
                        starts.zip(ends.iter()).map(|(a, &b)| &s[a..b]).collect();
                    text_column(slices.iter().map(|s| Some(*s)), is_na)
                }
            };
            Column::new(name, data)
        })
        .collect();
    Ok(Table::new(columns)
        .expect("names are unique and rows have equal lengths")
        .with_read_problems(problems))
}

/// Appends a cell that is not UTF-8 (counted in pass 1), each bad byte sequence as U+FFFD.
#[cold]
#[inline(never)]
fn push_lossy(s: &mut String, cell: &[u8]) {
    s.push_str(&String::from_utf8_lossy(cell));
}

/// The cells of one column that are not valid UTF-8: how many, and the line of the first.
#[derive(Clone, Default)]
struct BadCells {
    cells: usize,
    first_line: Option<u64>,
}

impl BadCells {
    /// Counts one more bad cell; `line` gives its row's line, asked for the first only.
    #[cold]
    #[inline(never)]
    fn count(&mut self, line: impl FnOnce() -> u64) {
        self.cells += 1;
        self.first_line.get_or_insert_with(line);
    }
}
