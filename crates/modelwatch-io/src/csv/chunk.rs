//! Parsing one chunk (whole lines) of a file without quotes, on its own rayon task, into its
//! rows of every column's final buffer.

use memchr::{memchr, memchr_iter};

use super::is_blank;
use crate::infer::{is_na, parse_float, parse_int};
use crate::number::scan::scan_number;

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
    pub(super) columns: Vec<ChunkColumn<'a>>,
    pub(super) rows: usize,
}

pub(super) enum ChunkError {
    Utf8 { offset: usize },
    Ragged { offset: usize, got: usize },
}

impl ChunkError {
    pub(super) fn offset(&self) -> usize {
        match self {
            ChunkError::Utf8 { offset } | ChunkError::Ragged { offset, .. } => *offset,
        }
    }

    pub(super) fn shifted(self, by: usize) -> ChunkError {
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
pub(super) fn column_text(
    chunk: &str,
    delimiter: u8,
    ncols: usize,
    col: usize,
    rows: usize,
) -> Vec<&str> {
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
pub(super) fn ints_to_floats(slots: &mut [f64], missing: &[usize]) {
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
pub(super) fn parse_chunk<'a>(
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
    // A line with the wrong number of fields is checked as a whole first: a bad byte in it
    // is reported as such, and the file goes to the sequential path (see
    // `unquoted::parse_lines`), which reads bad bytes lossily and reports the line's field
    // count, so both paths give the same error. A delimiter outside ASCII (possible through
    // the library API) breaks the argument: the whole chunk is checked up front then.
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
            let i = memchr::memchr2(delimiter, b'\n', &bytes[start..]).map_or(len, |k| start + k);
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
