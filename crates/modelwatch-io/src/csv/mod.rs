//! CSV reader.
//!
//! Two paths produce identical tables:
//!
//! * **Parallel** (files without any `"`): the file is memory-mapped, split into chunks at
//!   newline boundaries, and each chunk is tokenised and parsed on its own rayon task into
//!   the rows of each column's final buffer that belong to it (the chunks' line counts are
//!   taken first, so every chunk knows where its rows go and nothing is concatenated later).
//!   Numbers are read straight from the buffer (a fast exact path for plain decimals); a column
//!   holds integers until a non-integer number shows up; a column that turns out to hold text
//!   keeps borrowed `&str` slices of the mapped file, so no string is copied until the
//!   dictionary is built. Parsed parts of the mapping are released as the chunks finish.
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
    let release = |part: &[u8]| release_pages(&map, part);
    parse_csv_bytes(
        path,
        &map,
        delimiter,
        chunk_bytes,
        force_sequential,
        &release,
    )
}

/// Maps the whole pages inside `part` (a chunk's rows of one column buffer, about to be
/// written) with one `madvise(MADV_POPULATE_WRITE)` call (Linux 5.14 and later; older
/// kernels refuse it and the pages fault in one by one as before).
///
/// A buffer's first write to each 4 KiB page is a page fault, about 8,000 of them for the
/// 100,000 x 20 drift report's two tables. Populating them in one call per range saves the
/// fault entry and exit per page; the kernel still zeroes them. Each chunk populates its own
/// ranges, in the parallel parse, right before writing them. (Advising the column buffers for
/// transparent huge pages as well, as bcc2104 did, made no measurable difference once this
/// existed, `bench/ab.sh` 1m summary 8: medians 1.358 s without and 1.354 s with, and cost
/// 21 MB of peak RSS, 463 against 484 MB, so it was taken out.) `bench/ab.sh` with the build
/// without this (20 runs, 100k drift): median 0.109 -> 0.102 s, fastest 0.096 -> 0.091 s;
/// page faults 10,100 -> 3,000 (`perf stat -e page-faults target/release/modelwatch report
/// --reference bench/data/100k_reference.csv --current bench/data/100k_current.csv --preset
/// drift --json d.json`).
fn prefault(part: &[f64]) {
    let range = whole_pages(part.as_ptr_range());
    #[cfg(target_os = "linux")]
    if range.end > range.start {
        // SAFETY: the range is whole pages inside `part`, which this process owns and keeps
        // mapped while the call runs. Populating changes nothing `part` holds: its pages read
        // as before (zeros, or their contents). The result is ignored: a refusal changes
        // nothing.
        unsafe {
            libc::madvise(
                range.start as *mut libc::c_void,
                range.end - range.start,
                libc::MADV_POPULATE_WRITE,
            );
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = range;
}

/// The page size the `madvise` ranges are rounded to. Where pages are larger, the kernel
/// refuses ranges that do not start on a page and the advice is skipped, harmlessly.
const PAGE: usize = 4096;

/// The addresses of the whole pages inside `range` (an empty range when there are none).
fn whole_pages<T>(range: std::ops::Range<*const T>) -> std::ops::Range<usize> {
    (range.start as usize).div_ceil(PAGE) * PAGE..range.end as usize / PAGE * PAGE
}

/// Drops the pages wholly inside `part` (a sub-slice of `map`) from this process's mapping once
/// they have been parsed, so that the mapped file does not add its whole size to the peak
/// resident memory on top of the parsed columns. The data stays in the page cache; touching
/// the range again (text columns, error messages) faults it back in from the file unchanged.
fn release_pages(map: &memmap2::Mmap, part: &[u8]) {
    #[cfg(unix)]
    {
        // The map starts on a page, so whole pages of `part` sit at whole-page offsets.
        let base = map.as_ptr() as usize;
        let pages = whole_pages(part.as_ptr_range());
        let (start, end) = (
            pages.start.saturating_sub(base),
            pages.end.saturating_sub(base),
        );
        let end = end.min(map.len());
        if end > start {
            // SAFETY: the map is a read-only private file mapping that is never written, so
            // MADV_DONTNEED only discards this process's page table entries; a later read of
            // the range maps the same file contents again (see madvise(2)). No reference sees
            // different bytes, except under the file-changed-underneath caveat noted above.
            let _ = unsafe {
                map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, end - start)
            };
        }
    }
    #[cfg(not(unix))]
    let _ = (map, part);
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
    // A UTF-8 byte order mark is skipped (pandas does the same for encoding="utf-8").
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    if data.iter().all(|c| c.is_ascii_whitespace()) {
        return Err(ReadError::Empty { path: show(path) });
    }
    if force_sequential {
        return sequential::parse(path, data, delimiter);
    }
    // The parallel path gives up (before parsing anything) when it finds a quote.
    match parallel::parse(path, data, delimiter, chunk_bytes, release) {
        Some(table) => table,
        None => sequential::parse(path, data, delimiter),
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
    use crate::infer::scan_number;

    /// How one column's values within one chunk are held.
    ///
    /// Numbers are written straight into the chunk's rows of the column's final `f64` buffer:
    /// as `f64` values, or as the bits of `i64` values while the column still looks integer.
    pub(super) enum ChunkColumn<'a> {
        /// The chunk's slots hold `i64` bits; `missing` lists the rows that are missing.
        Int { missing: Vec<usize> },
        /// The chunk's slots hold `f64` values (NaN for missing).
        Float,
        /// Raw text of every row (missing tokens included), borrowed from the file; the slots
        /// are unused.
        Text(Vec<&'a str>),
    }

    /// What parsing one chunk produced besides the numbers in the column buffers.
    pub(super) struct ChunkOut<'a> {
        columns: Vec<ChunkColumn<'a>>,
        rows: usize,
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

        fn shifted(self, by: usize) -> ChunkError {
            match self {
                ChunkError::Utf8 { offset } => ChunkError::Utf8 {
                    offset: offset + by,
                },
                ChunkError::Ragged { offset, got } => ChunkError::Ragged {
                    offset: offset + by,
                    got,
                },
            }
        }
    }

    /// Splits `chunk` into records and calls `on_field(column, text)` for each field of the
    /// first `max_rows` non-blank records. Returns the number of records, or the error with its
    /// byte offset inside the chunk. (Used to recover the text of a column that turns out not
    /// to be numeric; [`parse_chunk`] follows the same record rules.)
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
                    return Err(too_many_fields(bytes, delimiter, line_start, i));
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

    /// The error for a line that has a delimiter at `at` after its last expected field.
    #[cold]
    fn too_many_fields(bytes: &[u8], delimiter: u8, line_start: usize, at: usize) -> ChunkError {
        let line_end = memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |k| at + k);
        let got = memchr_iter(delimiter, &bytes[line_start..line_end]).count() + 1;
        ChunkError::Ragged {
            offset: line_start,
            got,
        }
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

    /// Rewrites the first `rows` slots of an integer chunk column as floats.
    fn ints_to_floats(slots: &mut [f64], missing: &[usize]) {
        for x in slots.iter_mut() {
            *x = x.to_bits() as i64 as f64;
        }
        for &r in missing {
            slots[r] = f64::NAN;
        }
    }

    /// The per-field rules for a field the fast path did not take (pandas' order: integer,
    /// missing token, float, else the column becomes text).
    #[cold]
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    fn store_field<'a>(
        state: &mut ChunkColumn<'a>,
        slots: &mut [f64],
        row: usize,
        field: &'a str,
        before: &'a [u8],
        delimiter: u8,
        ncols: usize,
        col: usize,
    ) {
        let f = field.as_bytes();
        match state {
            ChunkColumn::Float => {
                if let Some(x) = parse_float(f) {
                    slots[row] = x;
                    return;
                } else if is_na(f) {
                    slots[row] = f64::NAN;
                    return;
                }
            }
            ChunkColumn::Int { missing } => {
                if let Some(x) = parse_int(f) {
                    slots[row] = f64::from_bits(x as u64);
                    return;
                } else if is_na(f) {
                    missing.push(row);
                    return;
                } else if let Some(x) = parse_float(f) {
                    ints_to_floats(&mut slots[..row], missing);
                    slots[row] = x;
                    *state = ChunkColumn::Float;
                    return;
                }
            }
            ChunkColumn::Text(v) => {
                v.push(field);
                return;
            }
        }
        // A value that is neither a number nor missing: this column is text from now on.
        // `before` (the chunk's lines before this one) is valid UTF-8: see `parse_chunk`.
        let before = std::str::from_utf8(before).expect("parsed lines are valid UTF-8");
        let mut text = column_text(before, delimiter, ncols, col, row);
        // room for every line of the chunk (`slots` has one per line), so the list of fields
        // never grows by copying
        text.reserve(slots.len().saturating_sub(row));
        text.push(field);
        *state = ChunkColumn::Text(text);
    }

    /// Stores a number read by the fast path.
    #[inline(always)]
    fn store_number<'a>(
        state: &mut ChunkColumn<'a>,
        slots: &mut [f64],
        row: usize,
        value: f64,
        is_int: bool,
        field: impl FnOnce() -> &'a str,
    ) {
        match state {
            ChunkColumn::Float => slots[row] = value,
            // exact: an integer fast-path value is at most 2^53 in magnitude
            ChunkColumn::Int { .. } if is_int => slots[row] = f64::from_bits(value as i64 as u64),
            ChunkColumn::Int { missing } => {
                ints_to_floats(&mut slots[..row], missing);
                slots[row] = value;
                *state = ChunkColumn::Float;
            }
            ChunkColumn::Text(v) => v.push(field()),
        }
    }

    /// The text of the fields that [`parse_chunk`]'s general path takes, checked as UTF-8.
    ///
    /// The first request checks the rest of the chunk in one go (from_utf8 is fast on long
    /// runs, slow to call once per short field); later fields are slices of that checked text.
    /// A field that reaches past the first bad byte (or starts before the checked part) is
    /// checked on its own, so the error names the same offset as a check of that field alone.
    struct Utf8Fields<'a> {
        bytes: &'a [u8],
        /// Where the checked text starts, and the valid text from there (up to the first bad
        /// byte or the end of the chunk).
        checked: Option<(usize, &'a str)>,
    }

    impl<'a> Utf8Fields<'a> {
        fn new(bytes: &'a [u8]) -> Self {
            Utf8Fields {
                bytes,
                checked: None,
            }
        }

        /// `bytes[a..b]` as text; `a` and `b` are field or line bounds (next to ASCII bytes).
        #[inline]
        fn text(&mut self, a: usize, b: usize) -> Result<&'a str, ChunkError> {
            let bytes = self.bytes;
            let (from, valid) = *self.checked.get_or_insert_with(|| {
                let rest = &bytes[a..];
                let valid = match std::str::from_utf8(rest) {
                    Ok(t) => t,
                    Err(e) => std::str::from_utf8(&rest[..e.valid_up_to()])
                        .expect("the prefix before the first bad byte is valid"),
                };
                (a, valid)
            });
            if a >= from && b <= from + valid.len() {
                if let Some(t) = valid.get(a - from..b - from) {
                    return Ok(t);
                }
            }
            std::str::from_utf8(&bytes[a..b]).map_err(|e| ChunkError::Utf8 {
                offset: a + e.valid_up_to(),
            })
        }
    }

    /// Parses one chunk (whole lines) into `slots` (one slice of the final buffer per column,
    /// at least as long as the chunk's line count).
    ///
    /// Each field is first read as a number right where it starts ([`scan_number`]); when the
    /// byte after it is the expected delimiter or line end, that is the whole field and no
    /// separate search for the field's end is needed. Anything else (text, missing tokens,
    /// spaces, long numbers, blank or ragged lines) takes the general path, which finds the
    /// field's end with `memchr` and applies the same rules as [`tokenize`].
    fn parse_chunk<'a>(
        bytes: &'a [u8],
        delimiter: u8,
        ncols: usize,
        slots: &mut [&mut [f64]],
    ) -> Result<ChunkOut<'a>, ChunkError> {
        // UTF-8 is checked only where the general path takes a field (`Utf8Fields`: the rest
        // of the chunk in one go at the first such field): a number the fast path took,
        // delimiters, line ends and blank lines are ASCII, so once the chunk is parsed
        // without error all of it is valid UTF-8 (which `store_field` and `finish_column`
        // rely on). A chunk of numbers only is never checked as a whole.
        // A line with the wrong number of fields is checked as a whole first, so that a bad
        // byte in it is reported as such (as the sequential path does). A delimiter outside
        // ASCII (possible through the library API) breaks the argument: the whole chunk is
        // checked up front then.
        let mut utf8 = Utf8Fields::new(bytes);
        if !delimiter.is_ascii() {
            utf8.text(0, bytes.len())?;
        }
        let mut columns: Vec<ChunkColumn<'a>> = (0..ncols)
            .map(|_| ChunkColumn::Int {
                missing: Vec::new(),
            })
            .collect();
        let last = ncols - 1;
        // Both hold one entry per column; saying so lets the compiler drop the bounds checks
        // of `columns[col]` and `slots[col]` (`col` never passes `last`).
        assert!(columns.len() == ncols && slots.len() == ncols);
        let len = bytes.len();
        let mut row = 0;
        let mut pos = 0;
        'lines: while pos < len {
            let line_start = pos;
            let mut col = 0;
            loop {
                let start = pos;
                if let Some(n) = scan_number(bytes, start) {
                    let (end, next) = (n.end, n.next);
                    let taken = if col < last {
                        if next == Some(delimiter) {
                            pos = end + 1;
                            true
                        } else {
                            false
                        }
                    } else {
                        match next {
                            None => {
                                pos = end;
                                true
                            }
                            Some(b'\n') => {
                                pos = end + 1;
                                true
                            }
                            Some(b'\r') if end + 1 == len || bytes[end + 1] == b'\n' => {
                                pos = (end + 2).min(len);
                                true
                            }
                            _ => false,
                        }
                    };
                    if taken {
                        store_number(
                            &mut columns[col],
                            slots[col],
                            row,
                            n.value,
                            n.is_int,
                            || {
                                std::str::from_utf8(&bytes[start..end])
                                    .expect("a number the fast path read is ASCII")
                            },
                        );
                        if col == last {
                            row += 1;
                            continue 'lines;
                        }
                        col += 1;
                        continue;
                    }
                }
                // General path: find the end of the field.
                let i =
                    memchr::memchr2(delimiter, b'\n', &bytes[start..]).map_or(len, |k| start + k);
                if i < len && bytes[i] == delimiter {
                    if col == last {
                        let line_end = memchr(b'\n', &bytes[i..]).map_or(len, |k| i + k);
                        utf8.text(line_start, line_end)?;
                        return Err(too_many_fields(bytes, delimiter, line_start, i));
                    }
                    store_field(
                        &mut columns[col],
                        slots[col],
                        row,
                        utf8.text(start, i)?,
                        &bytes[..line_start],
                        delimiter,
                        ncols,
                        col,
                    );
                    col += 1;
                    pos = i + 1;
                    continue;
                }
                let mut end = i;
                if end > start && bytes[end - 1] == b'\r' {
                    end -= 1;
                }
                pos = (i + 1).min(len);
                if col == 0 && is_blank(&bytes[start..end]) {
                    continue 'lines; // blank line: skipped
                }
                if col != last {
                    utf8.text(start, end)?;
                    return Err(ChunkError::Ragged {
                        offset: line_start,
                        got: col + 1,
                    });
                }
                store_field(
                    &mut columns[col],
                    slots[col],
                    row,
                    utf8.text(start, end)?,
                    &bytes[..line_start],
                    delimiter,
                    ncols,
                    col,
                );
                row += 1;
                continue 'lines;
            }
        }
        Ok(ChunkOut { columns, rows: row })
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

    /// The number of lines of `chunk` (an upper bound on its records: blank lines are
    /// skipped), or `None` when it holds a quote (quoted files take the sequential path).
    /// Both searches go over one 64 KiB block at a time, so the line count reads the block
    /// from the cache instead of the whole chunk from memory a second time.
    fn lines_unless_quoted(chunk: &[u8]) -> Option<usize> {
        let mut lines = 0;
        for block in chunk.chunks(1 << 16) {
            if memchr(b'"', block).is_some() {
                return None;
            }
            lines += memchr_iter(b'\n', block).count();
        }
        Some(lines + usize::from(chunk.last().is_some_and(|&c| c != b'\n')))
    }

    pub(super) fn parse(
        path: &Path,
        data: &[u8],
        delimiter: u8,
        chunk_bytes: Option<usize>,
        release: &(dyn Fn(&[u8]) + Sync),
    ) -> Option<Result<Table, ReadError>> {
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
        if memchr(b'"', header).is_some() {
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

    /// Everything after the header line, for [`parse`]; `None` when the body holds a quote.
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
        // The same parallel pass looks for quotes (quoted files take the sequential path).
        let lines: Vec<Option<usize>> = bounds
            .par_iter()
            .map(|&(s, e)| lines_unless_quoted(&body[s..e]))
            .collect();
        let lines: Vec<usize> = lines.into_iter().collect::<Option<_>>()?;
        Some(parse_lines(
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
        ))
    }

    /// The parallel parse proper, once the chunks and their line counts are known.
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
    ) -> Result<Table, ReadError> {
        let header = std::str::from_utf8(header).map_err(|e| ReadError::InvalidUtf8 {
            path: show(path),
            line: line_of(data, header_start + e.valid_up_to()),
        })?;
        let fields: Vec<&str> = header.split(delimiter as char).collect();
        let names = header_names(path, &fields, delimiter)?;
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
        Ok(Table::new(columns).expect("names are unique and chunks have equal row counts"))
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
