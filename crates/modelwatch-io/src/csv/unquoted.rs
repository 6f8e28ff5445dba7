//! The parallel reader for files without any `"`: chunks at newline boundaries, each parsed
//! on its own rayon task ([`super::chunk`]), then each column's type decided and its data
//! finished.

use std::path::Path;

use memchr::{memchr, memchr2, memchr_iter};
use modelwatch_core::table::{Column, ColumnData, Table};
use rayon::prelude::*;

use super::chunk::{column_text, ints_to_floats, parse_chunk, ChunkColumn, ChunkError, ChunkOut};
use super::pages::prefault;
use super::{header_names, is_blank, line_of, NumKind};
use crate::error::{show, ReadError};
use crate::infer::{is_na, text_column};

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

/// The number of lines of `chunk` (an upper bound on its records: blank lines are
/// skipped), or `None` when it holds a quote or a lone carriage return (such files take the
/// sequential path). The searches go over one 64 KiB block at a time, so the line count
/// reads the block from the cache instead of the whole chunk from memory a second time.
fn plain_line_count(chunk: &[u8]) -> Option<usize> {
    let mut lines = 0;
    for (i, block) in chunk.chunks(1 << 16).enumerate() {
        if memchr(b'"', block).is_some() || has_lone_cr(chunk, i << 16, block) {
            return None;
        }
        lines += memchr_iter(b'\n', block).count();
    }
    Some(lines + usize::from(chunk.last().is_some_and(|&c| c != b'\n')))
}

/// Whether `block` (which starts at `offset` in `data`) holds a carriage return that is not
/// followed by a newline. Such a `\r` ends a line for pandas and the `csv` crate, while the
/// parallel path splits lines at `\n` only, so a file holding one takes the sequential path.
/// A `\r` at the very end of `data` ends the last line either way.
fn has_lone_cr(data: &[u8], offset: usize, block: &[u8]) -> bool {
    memchr_iter(b'\r', block).any(|i| {
        let next = offset + i + 1;
        next < data.len() && data[next] != b'\n'
    })
}

/// Reads the whole table from `data` (the file's bytes after any byte order mark), or gives
/// `None` before parsing anything when the file holds a quote or a lone carriage return, or
/// the delimiter is a byte a number or a line break is made of; also `None`, after parsing,
/// when a field after the header is not UTF-8 (see [`parse_lines`]).
pub(super) fn parse(
    path: &Path,
    data: &[u8],
    delimiter: u8,
    chunk_bytes: Option<usize>,
    release: &(dyn Fn(&[u8]) + Sync),
) -> Option<Result<Table, ReadError>> {
    // The fast number scan reads digits, signs, a point and an exponent without looking
    // for the delimiter, so a delimiter among those bytes (or a line break) would be read
    // as part of a number; such files take the sequential path.
    if delimiter.is_ascii_digit() || b".+-eE\n\r".contains(&delimiter) {
        return None;
    }
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
    let body = &data[body_start..];
    // The header's line break is already cut off, so any `\r` left in it is a lone one.
    if memchr2(b'"', b'\r', header).is_some() {
        return None;
    }
    parse_body(
        path,
        data,
        header,
        pos,
        body_start,
        body,
        delimiter,
        chunk_bytes,
        release,
    )
}

/// Everything after the header line, for [`parse`]; `None` when the body holds a quote or a
/// lone carriage return, or a field that is not UTF-8.
#[allow(clippy::too_many_arguments)]
fn parse_body(
    path: &Path,
    data: &[u8],
    header: &[u8],
    header_start: usize,
    body_start: usize,
    body: &[u8],
    delimiter: u8,
    chunk_bytes: Option<usize>,
    release: &(dyn Fn(&[u8]) + Sync),
) -> Option<Result<Table, ReadError>> {
    let threads = rayon::current_num_threads().max(1);
    let target = chunk_bytes
        .unwrap_or_else(|| (body.len() / (threads * 8)).clamp(256 * 1024, 16 * 1024 * 1024));
    let bounds = chunk_bounds(body, target);

    // Each chunk gets as many rows of every column's final buffer as it has lines, so the
    // chunks can write their numbers in place instead of being concatenated afterwards.
    // The same parallel pass looks for quotes and lone carriage returns (files holding either
    // take the sequential path).
    let lines: Vec<Option<usize>> = bounds
        .par_iter()
        .map(|&(s, e)| plain_line_count(&body[s..e]))
        .collect();
    let lines: Vec<usize> = lines.into_iter().collect::<Option<_>>()?;
    parse_lines(
        path,
        data,
        header,
        header_start,
        body_start,
        body,
        delimiter,
        &bounds,
        &lines,
        release,
    )
}

/// The parallel parse proper, once the chunks and their line counts are known; `None` when
/// the file holds bytes that are not UTF-8 after its header (and no earlier line with the
/// wrong number of fields).
///
/// The chunks keep borrowed `&str` fields, so a cell that must be decoded lossily has no
/// place here: such a file is read again by the sequential path, which decodes bad cells
/// with U+FFFD and records a [`ColumnReadProblem`](modelwatch_core::table::ColumnReadProblem)
/// per column. Valid files pay nothing for it; a file with a bad byte pays a second, slower
/// read.
#[allow(clippy::too_many_arguments)]
fn parse_lines(
    path: &Path,
    data: &[u8],
    header: &[u8],
    header_start: usize,
    body_start: usize,
    body: &[u8],
    delimiter: u8,
    bounds: &[(usize, usize)],
    lines: &[usize],
    release: &(dyn Fn(&[u8]) + Sync),
) -> Option<Result<Table, ReadError>> {
    let header = match std::str::from_utf8(header) {
        Ok(h) => h,
        Err(e) => {
            return Some(Err(ReadError::InvalidUtf8 {
                path: show(path),
                line: line_of(data, header_start + e.valid_up_to()),
            }))
        }
    };
    let fields: Vec<&str> = header.split(delimiter as char).collect();
    let names = match header_names(path, &fields, delimiter) {
        Ok(n) => n,
        Err(e) => return Some(Err(e)),
    };
    let ncols = names.len();

    let capacity: usize = lines.iter().sum();
    let mut buffers: Vec<Vec<f64>> = (0..ncols).map(|_| vec![0.0; capacity]).collect();
    let mut slots: Vec<Vec<&mut [f64]>> = (0..bounds.len())
        .map(|_| Vec::with_capacity(ncols))
        .collect();
    for buf in buffers.iter_mut() {
        let mut rest = buf.as_mut_slice();
        for (chunk_slots, &n) in slots.iter_mut().zip(lines) {
            let (head, tail) = rest.split_at_mut(n);
            chunk_slots.push(head);
            rest = tail;
        }
    }

    let results: Vec<Result<ChunkOut, ChunkError>> = bounds
        .par_iter()
        .zip(slots.into_par_iter())
        .map(|(&(s, e), mut chunk_slots)| {
            for part in &chunk_slots {
                prefault(part);
            }
            let out = parse_chunk(&body[s..e], delimiter, ncols, &mut chunk_slots)
                .map_err(|err| err.shifted(s));
            release(&body[s..e]);
            out
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
        return Some(Err(match e {
            // The sequential path reads bad cells lossily, but with a delimiter outside ASCII
            // (see `quoted::parse`) it would split the header differently: fail here.
            ChunkError::Utf8 { .. } if delimiter.is_ascii() => return None,
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
        }));
    }

    // Transpose chunk-major states into column-major lists, then finish columns in parallel.
    let rows: Vec<usize> = chunks.iter().map(|c| c.rows).collect();
    let mut per_column: Vec<Vec<ChunkColumn>> = (0..ncols)
        .map(|_| Vec::with_capacity(chunks.len()))
        .collect();
    for c in chunks {
        for (j, state) in c.columns.into_iter().enumerate() {
            per_column[j].push(state);
        }
    }
    let layout = Layout {
        bounds,
        lines,
        rows: &rows,
    };
    let columns: Vec<Column> = per_column
        .into_par_iter()
        .zip(buffers.into_par_iter())
        .zip(names.into_par_iter())
        .enumerate()
        .map(|(j, ((parts, buf), name))| {
            let data = finish_column(parts, buf, &layout, body, delimiter, ncols, j);
            Column::new(name, data)
        })
        .collect();
    // Names are unique and chunks have equal row counts by construction; should that ever
    // break, the file is refused rather than the process stopped.
    Some(Table::new(columns).map_err(|e| ReadError::MalformedCsv {
        path: show(path),
        line: 0,
        message: format!("the fast reader lost its columns' alignment ({e})"),
    }))
}

/// Where each chunk's rows sit: its byte range, its slots (lines) and its records (rows).
struct Layout<'l> {
    bounds: &'l [(usize, usize)],
    lines: &'l [usize],
    rows: &'l [usize],
}

/// Decides one column's final type from its chunk states and turns its buffer into the
/// column's data, in place where it stays a float column.
fn finish_column(
    parts: Vec<ChunkColumn>,
    mut buf: Vec<f64>,
    layout: &Layout,
    body: &[u8],
    delimiter: u8,
    ncols: usize,
    j: usize,
) -> ColumnData {
    let total: usize = layout.rows.iter().sum();
    let kind = parts.iter().fold(NumKind::Int, |k, c| match (k, c) {
        (NumKind::Text, _) | (_, ChunkColumn::Text(_)) => NumKind::Text,
        (NumKind::Float, _) | (_, ChunkColumn::Float) => NumKind::Float,
        _ => NumKind::Int,
    });
    // (chunk index, offset of its slots, its row count)
    let spans = || {
        layout
            .lines
            .iter()
            .scan(0, |off, &n| {
                let o = *off;
                *off += n;
                Some(o)
            })
            .zip(layout.rows)
            .enumerate()
            .map(|(ci, (off, &rows))| (ci, off, rows))
    };
    match kind {
        NumKind::Int => {
            let all_missing = parts.iter().zip(layout.rows).all(
                |(c, &rows)| matches!(c, ChunkColumn::Int { missing } if missing.len() == rows),
            );
            if all_missing {
                // pandas reads an entirely missing column as float NaN
                buf.clear();
                buf.resize(total, f64::NAN);
                buf.shrink_to_fit();
                return ColumnData::Float(buf);
            }
            let mut out: Vec<Option<i64>> = Vec::with_capacity(total);
            for ((_, off, rows), c) in spans().zip(&parts) {
                let start = out.len();
                out.extend(
                    buf[off..off + rows]
                        .iter()
                        .map(|x| Some(x.to_bits() as i64)),
                );
                if let ChunkColumn::Int { missing } = c {
                    for &r in missing {
                        out[start + r] = None;
                    }
                }
            }
            ColumnData::Int(out)
        }
        NumKind::Float => {
            let mut dst = 0;
            for ((_, off, rows), c) in spans().zip(&parts) {
                if let ChunkColumn::Int { missing } = c {
                    ints_to_floats(&mut buf[off..off + rows], missing);
                }
                if dst != off {
                    // a chunk with blank lines left unused slots before this one
                    buf.copy_within(off..off + rows, dst);
                }
                dst += rows;
            }
            buf.truncate(total);
            ColumnData::Float(buf)
        }
        NumKind::Text => {
            drop(buf);
            let mut text: Vec<&str> = Vec::with_capacity(total);
            for ((ci, _, rows), c) in spans().zip(parts) {
                match c {
                    ChunkColumn::Text(v) => text.extend_from_slice(&v),
                    _ => {
                        // A numeric chunk in a text column: take its original text again.
                        let (s, e) = layout.bounds[ci];
                        let chunk = std::str::from_utf8(&body[s..e])
                            .expect("a parsed chunk is valid UTF-8 (see parse_chunk)");
                        text.extend(column_text(chunk, delimiter, ncols, j, rows));
                    }
                }
            }
            text_column(text.iter().map(|s| Some(*s)), is_na)
        }
    }
}
