//! CSV reader.
//!
//! Two paths produce identical tables:
//!
//! * **Parallel** (files without any `"`): the file is memory-mapped, split into chunks at
//!   newline boundaries, and each chunk is tokenised and parsed on its own rayon task into
//!   per-column typed buffers (integers, then floats once a non-integer number shows up; a
//!   column that turns out to hold text keeps borrowed `&str` slices of the mapped file, so no
//!   string is copied until the dictionary is built). The chunks are then concatenated in order.
//! * **Sequential** (files with quotes, where a newline may sit inside a field): the `csv`
//!   crate tokenises the file twice, once to find each column's type and once to fill it, so
//!   that a numeric column never holds its text and its values at the same time.
//!
//! Semantics follow `pandas.read_csv` with default options (pandas 2.3); see [`crate::infer`]
//! for the per-field rules and the two deliberate differences.

use std::fs::File;
use std::path::Path;

use memchr::{memchr, memchr_iter};
use modelwatch_core::table::{Column, ColumnData, Table};
use rayon::prelude::*;

use crate::error::{show, ReadError};
use crate::infer::{is_na, parse_float, parse_int, text_column};

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
    parse_csv_bytes(path, &map, delimiter, chunk_bytes, force_sequential)
}

/// Parses CSV content that is already in memory.
pub(crate) fn parse_csv_bytes(
    path: &Path,
    data: &[u8],
    delimiter: u8,
    chunk_bytes: Option<usize>,
    force_sequential: bool,
) -> Result<Table, ReadError> {
    // A UTF-8 byte order mark is skipped (pandas does the same for encoding="utf-8").
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    if data.iter().all(|c| c.is_ascii_whitespace()) {
        return Err(ReadError::Empty { path: show(path) });
    }
    if force_sequential || memchr(b'"', data).is_some() {
        sequential::parse(path, data, delimiter)
    } else {
        parallel::parse(path, data, delimiter, chunk_bytes)
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

mod parallel {
    use super::*;

    /// Typed values of one column within one chunk.
    pub(super) enum ChunkColumn<'a> {
        Int(Vec<Option<i64>>),
        Float(Vec<f64>),
        /// Raw text of every row (missing tokens included), borrowed from the file.
        Text(Vec<&'a str>),
    }

    impl ChunkColumn<'_> {
        fn len(&self) -> usize {
            match self {
                ChunkColumn::Int(v) => v.len(),
                ChunkColumn::Float(v) => v.len(),
                ChunkColumn::Text(v) => v.len(),
            }
        }

        fn all_missing(&self) -> bool {
            match self {
                ChunkColumn::Int(v) => v.iter().all(Option::is_none),
                ChunkColumn::Float(v) => v.iter().all(|x| x.is_nan()),
                ChunkColumn::Text(v) => v.iter().all(|s| is_na(s.as_bytes())),
            }
        }
    }

    pub(super) enum ChunkError {
        Utf8 { offset: usize },
        Ragged { offset: usize, got: usize },
    }

    impl ChunkError {
        fn offset(&self) -> usize {
            match self {
                ChunkError::Utf8 { offset } | ChunkError::Ragged { offset, .. } => *offset,
            }
        }
    }

    /// Splits `chunk` into records and calls `on_field(column, text)` for each field of the
    /// first `max_rows` non-blank records. Returns the number of records, or the error with its
    /// byte offset inside the chunk.
    #[inline(always)]
    pub(super) fn tokenize<'a>(
        chunk: &'a str,
        delimiter: u8,
        ncols: usize,
        max_rows: usize,
        mut on_field: impl FnMut(usize, &'a str),
    ) -> Result<usize, ChunkError> {
        let bytes = chunk.as_bytes();
        let mut rows = 0;
        if max_rows == 0 {
            return Ok(0);
        }
        let mut line_start = 0;
        let mut field_start = 0;
        let mut col = 0;
        // One pass over delimiters and newlines of the whole chunk (a final line without a
        // newline is handled after the loop).
        let mut ends = memchr::memchr2_iter(delimiter, b'\n', bytes);
        loop {
            let (i, at_newline) = match ends.next() {
                Some(i) => (i, bytes[i] == b'\n'),
                None if line_start < bytes.len() => (bytes.len(), true),
                None => break,
            };
            if !at_newline {
                if col + 1 >= ncols {
                    let line_end = memchr(b'\n', &bytes[i..]).map_or(bytes.len(), |k| i + k);
                    let got = memchr_iter(delimiter, &bytes[line_start..line_end]).count() + 1;
                    return Err(ChunkError::Ragged {
                        offset: line_start,
                        got,
                    });
                }
                on_field(col, &chunk[field_start..i]);
                col += 1;
                field_start = i + 1;
                continue;
            }
            let mut end = i;
            if end > field_start && bytes[end - 1] == b'\r' {
                end -= 1;
            }
            if col == 0 && is_blank(&bytes[field_start..end]) {
                // blank line: skipped
            } else {
                if col + 1 != ncols {
                    return Err(ChunkError::Ragged {
                        offset: line_start,
                        got: col + 1,
                    });
                }
                on_field(col, &chunk[field_start..end]);
                rows += 1;
                if rows == max_rows {
                    break;
                }
            }
            col = 0;
            line_start = i + 1;
            field_start = i + 1;
        }
        Ok(rows)
    }

    /// Raw text of column `col` for the first `rows` records of `chunk`.
    fn column_text(chunk: &str, delimiter: u8, ncols: usize, col: usize, rows: usize) -> Vec<&str> {
        let mut out = Vec::with_capacity(rows);
        // The chunk has already been tokenised without error up to here.
        let _ = tokenize(chunk, delimiter, ncols, rows, |c, f| {
            if c == col {
                out.push(f)
            }
        });
        out
    }

    /// Parses one chunk (whole lines) into typed column buffers.
    fn parse_chunk<'a>(
        bytes: &'a [u8],
        delimiter: u8,
        ncols: usize,
        rows_hint: usize,
    ) -> Result<Vec<ChunkColumn<'a>>, ChunkError> {
        let chunk = std::str::from_utf8(bytes).map_err(|e| ChunkError::Utf8 {
            offset: e.valid_up_to(),
        })?;
        let mut cols: Vec<ChunkColumn<'a>> = (0..ncols)
            .map(|_| ChunkColumn::Int(Vec::with_capacity(rows_hint)))
            .collect();
        tokenize(chunk, delimiter, ncols, usize::MAX, |j, field| {
            let f = field.as_bytes();
            let col = &mut cols[j];
            match col {
                ChunkColumn::Float(v) => {
                    if let Some(x) = parse_float(f) {
                        v.push(x);
                        return;
                    } else if is_na(f) {
                        v.push(f64::NAN);
                        return;
                    }
                }
                ChunkColumn::Int(v) => {
                    if let Some(x) = parse_int(f) {
                        v.push(Some(x));
                        return;
                    } else if is_na(f) {
                        v.push(None);
                        return;
                    } else if let Some(x) = parse_float(f) {
                        let mut fv: Vec<f64> = Vec::with_capacity(v.capacity());
                        fv.extend(v.iter().map(|o| o.map_or(f64::NAN, |i| i as f64)));
                        fv.push(x);
                        *col = ChunkColumn::Float(fv);
                        return;
                    }
                }
                ChunkColumn::Text(v) => {
                    v.push(field);
                    return;
                }
            }
            // A value that is neither a number nor missing: this column is text from now on.
            let done = col.len();
            let mut text = column_text(chunk, delimiter, ncols, j, done);
            text.push(field);
            *col = ChunkColumn::Text(text);
        })?;
        Ok(cols)
    }

    /// Splits `body` into chunks of about `target` bytes ending just after a newline.
    fn chunk_bounds(body: &[u8], target: usize) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut start = 0;
        while start < body.len() {
            let want = start + target.max(1);
            let end = if want >= body.len() {
                body.len()
            } else {
                memchr(b'\n', &body[want..]).map_or(body.len(), |i| want + i + 1)
            };
            out.push((start, end));
            start = end;
        }
        out
    }

    pub(super) fn parse(
        path: &Path,
        data: &[u8],
        delimiter: u8,
        chunk_bytes: Option<usize>,
    ) -> Result<Table, ReadError> {
        // Header: the first non-blank line.
        let mut pos = 0;
        let (header, body_start) = loop {
            let line_end = memchr(b'\n', &data[pos..]).map_or(data.len(), |i| pos + i);
            let mut end = line_end;
            if end > pos && data[end - 1] == b'\r' {
                end -= 1;
            }
            if !is_blank(&data[pos..end]) {
                break (&data[pos..end], (line_end + 1).min(data.len()));
            }
            pos = line_end + 1; // cannot run past the end: the file is not all whitespace
        };
        let header = std::str::from_utf8(header).map_err(|e| ReadError::InvalidUtf8 {
            path: show(path),
            line: line_of(data, pos + e.valid_up_to()),
        })?;
        let fields: Vec<&str> = header.split(delimiter as char).collect();
        let names = header_names(path, &fields, delimiter)?;
        let ncols = names.len();
        let body = &data[body_start..];

        let threads = rayon::current_num_threads().max(1);
        let target = chunk_bytes
            .unwrap_or_else(|| (body.len() / (threads * 8)).clamp(256 * 1024, 16 * 1024 * 1024));
        let bounds = chunk_bounds(body, target);
        // Row-count estimate per chunk, from the length of the first records.
        let sample = &body[..body.len().min(64 * 1024)];
        let sample_lines = memchr_iter(b'\n', sample).count().max(1);
        let avg_line = (sample.len() / sample_lines).max(1);

        let results: Vec<Result<Vec<ChunkColumn>, ChunkError>> = bounds
            .par_iter()
            .map(|&(s, e)| {
                let hint = (e - s) / avg_line + (e - s) / avg_line / 16 + 16;
                parse_chunk(&body[s..e], delimiter, ncols, hint).map_err(|err| match err {
                    ChunkError::Utf8 { offset } => ChunkError::Utf8 { offset: offset + s },
                    ChunkError::Ragged { offset, got } => ChunkError::Ragged {
                        offset: offset + s,
                        got,
                    },
                })
            })
            .collect();

        // The earliest error in the file wins, so messages do not depend on scheduling.
        let mut chunks = Vec::with_capacity(results.len());
        let mut first_err: Option<ChunkError> = None;
        for r in results {
            match r {
                Ok(c) => chunks.push(c),
                Err(e) => {
                    if first_err.as_ref().is_none_or(|f| e.offset() < f.offset()) {
                        first_err = Some(e);
                    }
                }
            }
        }
        if let Some(e) = first_err {
            let line = line_of(data, body_start + e.offset());
            return Err(match e {
                ChunkError::Utf8 { .. } => ReadError::InvalidUtf8 {
                    path: show(path),
                    line,
                },
                ChunkError::Ragged { got, .. } => ReadError::RaggedRow {
                    path: show(path),
                    line,
                    got,
                    expected: ncols,
                },
            });
        }

        // Transpose chunk-major buffers into column-major lists, then merge columns in parallel.
        let mut per_column: Vec<Vec<(usize, ChunkColumn)>> = (0..ncols)
            .map(|_| Vec::with_capacity(chunks.len()))
            .collect();
        for (ci, cols) in chunks.into_iter().enumerate() {
            for (j, c) in cols.into_iter().enumerate() {
                per_column[j].push((ci, c));
            }
        }
        let columns: Vec<Column> = per_column
            .into_par_iter()
            .zip(names.into_par_iter())
            .enumerate()
            .map(|(j, (parts, name))| {
                let data = merge_column(parts, &bounds, body, delimiter, ncols, j);
                Column::new(name, data)
            })
            .collect();
        Ok(Table::new(columns).expect("names are unique and chunks have equal row counts"))
    }

    /// Concatenates one column's chunk buffers in file order, deciding its final type.
    fn merge_column(
        parts: Vec<(usize, ChunkColumn)>,
        bounds: &[(usize, usize)],
        body: &[u8],
        delimiter: u8,
        ncols: usize,
        j: usize,
    ) -> ColumnData {
        let total: usize = parts.iter().map(|(_, c)| c.len()).sum();
        let kind = parts.iter().fold(NumKind::Int, |k, (_, c)| match (k, c) {
            (NumKind::Text, _) | (_, ChunkColumn::Text(_)) => NumKind::Text,
            (NumKind::Float, _) | (_, ChunkColumn::Float(_)) => NumKind::Float,
            _ => NumKind::Int,
        });
        if kind != NumKind::Text && parts.iter().all(|(_, c)| c.all_missing()) {
            // pandas reads an entirely missing column as float NaN
            return ColumnData::Float(vec![f64::NAN; total]);
        }
        match kind {
            NumKind::Int => {
                let mut out = Vec::with_capacity(total);
                for (_, c) in parts {
                    if let ChunkColumn::Int(v) = c {
                        out.extend_from_slice(&v);
                    }
                }
                ColumnData::Int(out)
            }
            NumKind::Float => {
                let mut out = Vec::with_capacity(total);
                for (_, c) in parts {
                    match c {
                        ChunkColumn::Float(v) => out.extend_from_slice(&v),
                        ChunkColumn::Int(v) => {
                            out.extend(v.iter().map(|o| o.map_or(f64::NAN, |i| i as f64)))
                        }
                        ChunkColumn::Text(_) => unreachable!(),
                    }
                }
                ColumnData::Float(out)
            }
            NumKind::Text => {
                let mut text: Vec<&str> = Vec::with_capacity(total);
                for (ci, c) in parts {
                    match c {
                        ChunkColumn::Text(v) => text.extend_from_slice(&v),
                        c if c.all_missing() => text.extend(std::iter::repeat_n("", c.len())),
                        c => {
                            // A numeric chunk in a text column: take its original text again.
                            let (s, e) = bounds[ci];
                            let chunk = std::str::from_utf8(&body[s..e])
                                .expect("chunk was validated while parsing");
                            text.extend(column_text(chunk, delimiter, ncols, j, c.len()));
                        }
                    }
                }
                text_column(text.iter().map(|s| Some(*s)), is_na)
            }
        }
    }
}

mod sequential {
    use super::*;

    fn reader(data: &[u8], delimiter: u8) -> ::csv::Reader<&[u8]> {
        ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(data)
    }

    /// Lines holding only spaces/tabs come out of the `csv` crate as one blank field; pandas
    /// skips them.
    fn is_blank_record(r: &::csv::ByteRecord) -> bool {
        r.len() == 1 && is_blank(&r[0])
    }

    /// Line of a record: the `csv` crate's own line count ignores skipped empty lines, and its
    /// byte offset points before them, so count newlines up to the record's first byte.
    fn record_line(data: &[u8], pos: Option<&::csv::Position>) -> u64 {
        let Some(p) = pos else { return 0 };
        let mut off = p.byte() as usize;
        while off < data.len() && (data[off] == b'\n' || data[off] == b'\r') {
            off += 1;
        }
        line_of(data, off)
    }

    fn csv_error(path: &Path, data: &[u8], e: ::csv::Error) -> ReadError {
        let line = record_line(data, e.position());
        ReadError::MalformedCsv {
            path: show(path),
            line,
            message: crate::error::one_line(e.to_string()),
        }
    }

    pub(super) fn parse(path: &Path, data: &[u8], delimiter: u8) -> Result<Table, ReadError> {
        // Pass 1: header, structure checks, and each column's numeric kind.
        let mut rdr = reader(data, delimiter);
        let mut rec = ::csv::ByteRecord::new();
        let mut names: Option<Vec<String>> = None;
        let mut kinds: Vec<NumKind> = Vec::new();
        let mut rows = 0usize;
        loop {
            match rdr.read_byte_record(&mut rec) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => return Err(csv_error(path, data, e)),
            }
            if is_blank_record(&rec) {
                continue;
            }
            let line = record_line(data, rec.position());
            let fields: Vec<&str> = rec
                .iter()
                .map(std::str::from_utf8)
                .collect::<Result<_, _>>()
                .map_err(|_| ReadError::InvalidUtf8 {
                    path: show(path),
                    line,
                })?;
            match &names {
                None => {
                    let n = header_names(path, &fields, delimiter)?;
                    kinds = vec![NumKind::Int; n.len()];
                    names = Some(n);
                }
                Some(n) => {
                    if fields.len() != n.len() {
                        return Err(ReadError::RaggedRow {
                            path: show(path),
                            line,
                            got: fields.len(),
                            expected: n.len(),
                        });
                    }
                    for (k, f) in kinds.iter_mut().zip(&fields) {
                        let f = f.as_bytes();
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
            if is_blank_record(&rec) {
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
                        // validated as UTF-8 in pass 1
                        s.push_str(std::str::from_utf8(f).unwrap_or_default());
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
        Ok(Table::new(columns).expect("names are unique and rows have equal lengths"))
    }
}
