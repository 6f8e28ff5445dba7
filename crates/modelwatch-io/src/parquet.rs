//! Parquet reader (through the `parquet` crate's Arrow record batch reader).
//!
//! Type mapping: Float16/32/64 and Decimal → Float; Int8..64 and UInt8..64 → Int (a UInt64
//! above `i64::MAX` is an error); Boolean → Bool; Utf8/LargeUtf8/Utf8View and dictionaries of
//! those → Str; Date32/Date64/Timestamp (any unit, with or without a time zone) → Datetime in
//! microseconds UTC (a timestamp without a time zone is taken as UTC; nanoseconds are floored
//! to microseconds); an all-null (Null-typed) column → Float NaN. Nulls are missing values.
//! A `List`, `LargeList` or `FixedSizeList` of floats or integers is a vector column: the
//! numeric columns `NAME.0 .. NAME.{d-1}` (see [`crate::vectors`]). A binary column (Binary,
//! LargeBinary, BinaryView, FixedSizeBinary) named as an image column
//! ([`read_parquet_with_images`]) is replaced by its image descriptor columns, described a few
//! rows at a time as the file is read. Anything else (lists of other values, structs, other
//! binary columns, ...) is an error naming the column.

use std::fs::File;
use std::hash::BuildHasherDefault;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrowPrimitiveType};
use arrow_schema::{DataType, TimeUnit};
use modelwatch_core::descriptors::image::{
    ImageColumnBuilder, ImageError, ImageLimits, IMAGES_PER_CHUNK,
};
use modelwatch_core::table::{Column, ColumnData, StrColumnBuilder, Table};
use modelwatch_core::time::DAY_US;
use parquet::arrow::arrow_reader::{
    ArrowReaderOptions, ParquetRecordBatchReaderBuilder, RowSelection, RowSelector,
};

use crate::dictionary::WordHasher;
use crate::error::{one_line, show, ReadError};
use crate::vectors::{VectorBuilder, VectorColumn};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Float,
    Int,
    Bool,
    Str,
    Datetime,
    Vector,
}

/// Whether a list of `dt` values is a vector.
fn is_vector_element(dt: &DataType) -> bool {
    matches!(
        dt,
        DataType::Float16
            | DataType::Float32
            | DataType::Float64
            | DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64
    )
}

fn kind_of(dt: &DataType) -> Option<Kind> {
    Some(match dt {
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _)
            if is_vector_element(f.data_type()) =>
        {
            Kind::Vector
        }
        DataType::Float16 | DataType::Float32 | DataType::Float64 | DataType::Null => Kind::Float,
        DataType::Decimal32(..)
        | DataType::Decimal64(..)
        | DataType::Decimal128(..)
        | DataType::Decimal256(..) => Kind::Float,
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64 => Kind::Int,
        DataType::Boolean => Kind::Bool,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Kind::Str,
        DataType::Dictionary(_, v)
            if matches!(
                v.as_ref(),
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
            ) =>
        {
            Kind::Str
        }
        DataType::Date32 | DataType::Date64 | DataType::Timestamp(..) => Kind::Datetime,
        _ => return None,
    })
}

/// The dictionary of a text column: it owns its labels, since record batches are dropped as
/// they are read (unlike the CSV reader's, which borrows from the file buffer).
type OwnedDict = StrColumnBuilder<BuildHasherDefault<WordHasher>>;

enum Acc {
    Float(Vec<f64>),
    Int(Vec<Option<i64>>),
    Bool(Vec<Option<bool>>),
    Str(OwnedDict),
    Datetime(Vec<Option<i64>>),
    Image(Box<ImageColumnBuilder>),
    Vector(VectorBuilder),
}

/// Whether a Parquet column holds bytes (an image column may).
fn is_binary(dt: &DataType) -> bool {
    matches!(
        dt,
        DataType::Binary
            | DataType::LargeBinary
            | DataType::BinaryView
            | DataType::FixedSizeBinary(_)
    )
}

/// The value of row `i` of a binary array, `None` when null or not a binary array.
fn binary_value(a: &dyn Array, i: usize) -> Option<&[u8]> {
    if a.is_null(i) {
        return None;
    }
    Some(match a.data_type() {
        DataType::Binary => a.as_binary::<i32>().value(i),
        DataType::LargeBinary => a.as_binary::<i64>().value(i),
        DataType::BinaryView => a.as_binary_view().value(i),
        DataType::FixedSizeBinary(_) => a.as_fixed_size_binary().value(i),
        _ => return None,
    })
}

/// The values of a primitive numeric array as `f64`, NaN for a null.
fn numbers_of(a: &dyn Array) -> Option<Vec<f64>> {
    fn all<T: ArrowPrimitiveType>(a: &dyn Array, f: impl Fn(T::Native) -> f64) -> Vec<f64> {
        let mut out = Vec::with_capacity(a.len());
        push_float::<T>(&mut out, a, f);
        out
    }
    Some(match a.data_type() {
        DataType::Float16 => all::<Float16Type>(a, |v| v.to_f64()),
        DataType::Float32 => all::<Float32Type>(a, |v| v as f64),
        DataType::Float64 => all::<Float64Type>(a, |v| v),
        DataType::Int8 => all::<Int8Type>(a, |v| v as f64),
        DataType::Int16 => all::<Int16Type>(a, |v| v as f64),
        DataType::Int32 => all::<Int32Type>(a, |v| v as f64),
        DataType::Int64 => all::<Int64Type>(a, |v| v as f64),
        DataType::UInt8 => all::<UInt8Type>(a, |v| v as f64),
        DataType::UInt16 => all::<UInt16Type>(a, |v| v as f64),
        DataType::UInt32 => all::<UInt32Type>(a, |v| v as f64),
        DataType::UInt64 => all::<UInt64Type>(a, |v| v as f64),
        _ => return None,
    })
}

/// Describes one batch of an image column, in parallel, appending rows in order.
fn append_images(builder: &mut ImageColumnBuilder, a: &dyn Array, limits: &ImageLimits) {
    builder.describe_chunk(a.len(), |i| binary_value(a, i).map(Ok), limits);
}

/// Appends the rows of a list column: the values of the whole batch are converted once,
/// and each row is the range its offsets give.
fn append_vectors(out: &mut VectorBuilder, a: &dyn Array) -> Result<(), String> {
    let unexpected = || format!("unexpected type {:?}", a.data_type());
    let (values, ranges): (Vec<f64>, Vec<(usize, usize)>) = match a.data_type() {
        DataType::List(_) => {
            let l = a.as_list::<i32>();
            let o = l.value_offsets();
            let r = (0..l.len()).map(|i| (o[i] as usize, o[i + 1] as usize));
            (
                numbers_of(l.values().as_ref()).ok_or_else(unexpected)?,
                r.collect(),
            )
        }
        DataType::LargeList(_) => {
            let l = a.as_list::<i64>();
            let o = l.value_offsets();
            let r = (0..l.len()).map(|i| (o[i] as usize, o[i + 1] as usize));
            (
                numbers_of(l.values().as_ref()).ok_or_else(unexpected)?,
                r.collect(),
            )
        }
        DataType::FixedSizeList(_, n) => {
            let l = a.as_fixed_size_list();
            let n = (*n).max(0) as usize;
            let r = (0..l.len()).map(|i| {
                let start = l.value_offset(i).max(0) as usize;
                (start, start + n)
            });
            (
                numbers_of(l.values().as_ref()).ok_or_else(unexpected)?,
                r.collect(),
            )
        }
        _ => return Err(unexpected()),
    };
    for (i, (start, end)) in ranges.into_iter().enumerate() {
        if a.is_null(i) {
            out.push(None);
        } else {
            let row = values
                .get(start..end)
                .ok_or_else(|| "a list's offsets are outside its values".to_string())?;
            out.push(Some(row));
        }
    }
    Ok(())
}

fn push_float<T: ArrowPrimitiveType>(
    out: &mut Vec<f64>,
    a: &dyn Array,
    f: impl Fn(T::Native) -> f64,
) {
    let a = a.as_primitive::<T>();
    out.extend((0..a.len()).map(|i| {
        if a.is_null(i) {
            f64::NAN
        } else {
            f(a.value(i))
        }
    }));
}

fn push_int<T: ArrowPrimitiveType>(
    out: &mut Vec<Option<i64>>,
    a: &dyn Array,
    f: impl Fn(T::Native) -> Option<i64>,
) -> Result<(), ()> {
    let a = a.as_primitive::<T>();
    out.reserve(a.len());
    for i in 0..a.len() {
        out.push(if a.is_null(i) {
            None
        } else {
            Some(f(a.value(i)).ok_or(())?)
        });
    }
    Ok(())
}

fn push_strs<'a>(dict: &mut OwnedDict, values: impl Iterator<Item = Option<&'a str>>) {
    for v in values {
        dict.push(v);
    }
}

/// Parses the exact decimal text of a decimal value with correct rounding.
fn decimal_to_f64(s: String) -> f64 {
    crate::infer::parse_float(s.as_bytes()).unwrap_or(f64::NAN)
}

/// Appends one batch column. `Err(message)` for a value that cannot be represented.
fn append(acc: &mut Acc, a: &dyn Array) -> Result<(), String> {
    let dt = a.data_type().clone();
    match acc {
        // Described by `append_images`, with the limits this function does not have.
        Acc::Image(_) => return Err("an image column read as values".to_string()),
        Acc::Float(out) => match &dt {
            DataType::Null => out.extend(std::iter::repeat_n(f64::NAN, a.len())),
            DataType::Float16 => push_float::<Float16Type>(out, a, |v| v.to_f64()),
            DataType::Float32 => push_float::<Float32Type>(out, a, |v| v as f64),
            DataType::Float64 => push_float::<Float64Type>(out, a, |v| v),
            DataType::Decimal32(..) => {
                let d = a.as_primitive::<Decimal32Type>();
                out.extend((0..d.len()).map(|i| {
                    if d.is_null(i) {
                        f64::NAN
                    } else {
                        decimal_to_f64(d.value_as_string(i))
                    }
                }))
            }
            DataType::Decimal64(..) => {
                let d = a.as_primitive::<Decimal64Type>();
                out.extend((0..d.len()).map(|i| {
                    if d.is_null(i) {
                        f64::NAN
                    } else {
                        decimal_to_f64(d.value_as_string(i))
                    }
                }))
            }
            DataType::Decimal128(..) => {
                let d = a.as_primitive::<Decimal128Type>();
                out.extend((0..d.len()).map(|i| {
                    if d.is_null(i) {
                        f64::NAN
                    } else {
                        decimal_to_f64(d.value_as_string(i))
                    }
                }))
            }
            DataType::Decimal256(..) => {
                let d = a.as_primitive::<Decimal256Type>();
                out.extend((0..d.len()).map(|i| {
                    if d.is_null(i) {
                        f64::NAN
                    } else {
                        decimal_to_f64(d.value_as_string(i))
                    }
                }))
            }
            _ => return Err(format!("unexpected type {dt:?}")),
        },
        Acc::Int(out) => {
            let r = match &dt {
                DataType::Int8 => push_int::<Int8Type>(out, a, |v| Some(v as i64)),
                DataType::Int16 => push_int::<Int16Type>(out, a, |v| Some(v as i64)),
                DataType::Int32 => push_int::<Int32Type>(out, a, |v| Some(v as i64)),
                DataType::Int64 => push_int::<Int64Type>(out, a, Some),
                DataType::UInt8 => push_int::<UInt8Type>(out, a, |v| Some(v as i64)),
                DataType::UInt16 => push_int::<UInt16Type>(out, a, |v| Some(v as i64)),
                DataType::UInt32 => push_int::<UInt32Type>(out, a, |v| Some(v as i64)),
                DataType::UInt64 => push_int::<UInt64Type>(out, a, |v| i64::try_from(v).ok()),
                _ => return Err(format!("unexpected type {dt:?}")),
            };
            r.map_err(|()| "an unsigned 64-bit value exceeds the signed 64-bit range".to_string())?
        }
        Acc::Bool(out) => {
            let b = a.as_boolean();
            out.extend((0..b.len()).map(|i| if b.is_null(i) { None } else { Some(b.value(i)) }));
        }
        Acc::Str(dict) => match &dt {
            DataType::Utf8 => push_strs(dict, a.as_string::<i32>().iter()),
            DataType::LargeUtf8 => push_strs(dict, a.as_string::<i64>().iter()),
            DataType::Utf8View => push_strs(dict, a.as_string_view().iter()),
            DataType::Dictionary(_, v) => {
                let d = a
                    .as_any_dictionary_opt()
                    .ok_or_else(|| format!("unexpected type {dt:?}"))?;
                let values = d.values();
                let label = |k: usize| -> &str {
                    match v.as_ref() {
                        DataType::Utf8 => values.as_string::<i32>().value(k),
                        DataType::LargeUtf8 => values.as_string::<i64>().value(k),
                        _ => values.as_string_view().value(k),
                    }
                };
                if values.is_empty() {
                    push_strs(dict, std::iter::repeat_n(None, a.len()));
                } else {
                    let keys = d.normalized_keys();
                    for (i, &k) in keys.iter().enumerate() {
                        let valid = a.is_valid(i) && values.is_valid(k);
                        dict.push(valid.then(|| label(k)));
                    }
                }
            }
            _ => return Err(format!("unexpected type {dt:?}")),
        },
        Acc::Datetime(out) => {
            let r = match &dt {
                DataType::Date32 => {
                    push_int::<Date32Type>(out, a, |d| (d as i64).checked_mul(DAY_US))
                }
                DataType::Date64 => push_int::<Date64Type>(out, a, |ms| ms.checked_mul(1000)),
                DataType::Timestamp(TimeUnit::Second, _) => {
                    push_int::<TimestampSecondType>(out, a, |s| s.checked_mul(1_000_000))
                }
                DataType::Timestamp(TimeUnit::Millisecond, _) => {
                    push_int::<TimestampMillisecondType>(out, a, |s| s.checked_mul(1000))
                }
                DataType::Timestamp(TimeUnit::Microsecond, _) => {
                    push_int::<TimestampMicrosecondType>(out, a, Some)
                }
                DataType::Timestamp(TimeUnit::Nanosecond, _) => {
                    push_int::<TimestampNanosecondType>(out, a, |ns| Some(ns.div_euclid(1000)))
                }
                _ => return Err(format!("unexpected type {dt:?}")),
            };
            r.map_err(|()| "a date is outside the representable range".to_string())?
        }
        Acc::Vector(out) => append_vectors(out, a)?,
    }
    Ok(())
}

/// Reads a Parquet file.
pub(crate) fn read_parquet(path: &Path) -> Result<(Table, Vec<VectorColumn>), ReadError> {
    let file = File::open(path).map_err(|e| ReadError::io(path, &e))?;
    let meta = file.metadata().map_err(|e| ReadError::io(path, &e))?;
    if meta.len() == 0 {
        return Err(ReadError::Empty { path: show(path) });
    }
    parse_parquet(path, file)
}

/// A Parquet file read with its binary image columns described.
#[derive(Debug, Clone, PartialEq)]
pub struct ParquetWithImages {
    /// The file's columns, each binary image column replaced in place by its descriptor
    /// columns `<column>.<descriptor>`.
    pub table: Table,
    /// Per described image column, the rows (from 0) whose image could not be described, and
    /// why (those rows are missing values).
    pub failures: Vec<(String, Vec<(usize, ImageError)>)>,
    /// The vector (list) columns read, each already turned into its component columns.
    pub vectors: Vec<VectorColumn>,
}

/// Reads a Parquet file whose binary columns named in `images` hold encoded images: each is
/// described [`IMAGES_PER_CHUNK`] rows at a time while the file is read, so only that many
/// encoded images (and one decoded image per worker) are held at once. An image column that
/// holds text (file names, base64) is read as text, for the caller to describe.
pub fn read_parquet_with_images(
    path: &Path,
    images: &[String],
    limits: &ImageLimits,
) -> Result<ParquetWithImages, ReadError> {
    let file = File::open(path).map_err(|e| ReadError::io(path, &e))?;
    let meta = file.metadata().map_err(|e| ReadError::io(path, &e))?;
    if meta.len() == 0 {
        return Err(ReadError::Empty { path: show(path) });
    }
    guarded(path, || decode_parquet(path, file, Some((images, limits))))
}

/// The bytes of the given rows (from 0, in any order) of the binary column `column`, for
/// showing a few images again after the file was described; `None` for a null value or a
/// row past the end. Only that column is read.
pub fn parquet_binary_rows(
    path: &Path,
    column: &str,
    rows: &[usize],
) -> Result<Vec<Option<Vec<u8>>>, ReadError> {
    let invalid = |e: &dyn std::fmt::Display| ReadError::InvalidParquet {
        path: show(path),
        message: one_line(e.to_string()),
    };
    let file = File::open(path).map_err(|e| ReadError::io(path, &e))?;
    guarded(path, || {
        let options = ArrowReaderOptions::new().with_skip_arrow_metadata(true);
        let builder = ParquetRecordBatchReaderBuilder::try_new_with_options(file, options)
            .map_err(|e| invalid(&e))?;
        let Some(index) = builder
            .schema()
            .fields()
            .iter()
            .position(|f| f.name() == column)
        else {
            return Err(ReadError::ImageColumn {
                column: column.to_string(),
                message: "no such column".to_string(),
            });
        };
        let mask = parquet::arrow::ProjectionMask::roots(builder.parquet_schema(), [index]);
        // Only the wanted rows are decoded: the selection skips the others (whole pages of
        // them where the file's page index allows).
        let total = builder.metadata().file_metadata().num_rows().max(0) as usize;
        let mut wanted: Vec<usize> = rows.iter().copied().filter(|&r| r < total).collect();
        wanted.sort_unstable();
        wanted.dedup();
        let mut selectors = Vec::with_capacity(2 * wanted.len() + 1);
        let mut next = 0;
        for &r in &wanted {
            if r > next {
                selectors.push(RowSelector::skip(r - next));
            }
            selectors.push(RowSelector::select(1));
            next = r + 1;
        }
        let reader = builder
            .with_projection(mask)
            .with_row_selection(RowSelection::from(selectors))
            .with_batch_size(IMAGES_PER_CHUNK)
            .build()
            .map_err(|e| invalid(&e))?;
        let mut found = std::collections::HashMap::with_capacity(wanted.len());
        let mut selected = wanted.iter();
        for batch in reader {
            let batch = batch.map_err(|e| invalid(&e))?;
            let a = batch.column(0);
            for (i, &r) in (0..a.len()).zip(selected.by_ref()) {
                found.insert(r, binary_value(a.as_ref(), i).map(<[u8]>::to_vec));
            }
        }
        let out = rows
            .iter()
            .map(|r| found.get(r).cloned().flatten())
            .collect();
        Ok(out)
    })
}

/// What a Parquet file's footer says it holds, read before any value is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParquetShape {
    /// Its rows: the larger of the file's own total and the sum over its row groups.
    pub rows: u64,
    /// Its top-level columns (a list column counts once).
    pub columns: usize,
    /// The values its column chunks hold: the sum of every leaf column chunk's value
    /// count over the row groups. A list column counts each element (and one for each null
    /// or empty list), so this is the number of cells the reader builds, vector columns
    /// turned into one column per component included.
    pub values: u64,
}

/// The shape of a Parquet file in memory, read from its footer alone; `name` names it in
/// errors. A file a few megabytes long can hold billions of run-length-encoded values, so
/// a caller that bounds memory asks before reading it.
pub fn parquet_shape(bytes: &[u8], name: &str) -> Result<ParquetShape, ReadError> {
    let path = Path::new(name);
    guarded(path, || {
        let options = ArrowReaderOptions::new().with_skip_arrow_metadata(true);
        let builder = ParquetRecordBatchReaderBuilder::try_new_with_options(
            bytes::Bytes::copy_from_slice(bytes),
            options,
        )
        .map_err(|e| ReadError::InvalidParquet {
            path: show(path),
            message: one_line(e.to_string()),
        })?;
        // The row groups hold the rows the reader decodes; the file's own total may say
        // otherwise, so the larger of the two is the file's size.
        let meta = builder.metadata();
        let in_groups: u64 = meta
            .row_groups()
            .iter()
            .map(|g| g.num_rows().max(0) as u64)
            .fold(0, u64::saturating_add);
        let rows = (meta.file_metadata().num_rows().max(0) as u64).max(in_groups);
        let values = meta
            .row_groups()
            .iter()
            .flat_map(|g| g.columns())
            .map(|c| c.num_values().max(0) as u64)
            .fold(0, u64::saturating_add);
        Ok(ParquetShape {
            rows,
            columns: builder.schema().fields().len(),
            values,
        })
    })
}

/// Reads Parquet data from any source the `parquet` crate can seek in (a file, bytes in
/// memory); `path` names it in errors.
pub(crate) fn parse_parquet<R: parquet::file::reader::ChunkReader + 'static>(
    path: &Path,
    source: R,
) -> Result<(Table, Vec<VectorColumn>), ReadError> {
    guarded(path, || {
        decode_parquet(path, source, None).map(|read| (read.table, read.vectors))
    })
}

/// Runs `f`, turning a panic inside it into an invalid-file error for `path`. The `parquet`
/// crate panics on some malformed files instead of returning an error (a data page that
/// asks for a dictionary the column chunk never gave it, say). Such a panic leaves nothing
/// shared behind (what was under construction is dropped), so it is reported as the broken
/// file it is.
fn guarded<T>(path: &Path, f: impl FnOnce() -> Result<T, ReadError>) -> Result<T, ReadError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "the decoder failed".into());
        Err(ReadError::InvalidParquet {
            path: show(path),
            message: one_line(message),
        })
    })
}

fn decode_parquet<R: parquet::file::reader::ChunkReader + 'static>(
    path: &Path,
    source: R,
    images: Option<(&[String], &ImageLimits)>,
) -> Result<ParquetWithImages, ReadError> {
    let invalid = |e: &dyn std::fmt::Display| ReadError::InvalidParquet {
        path: show(path),
        message: one_line(e.to_string()),
    };
    // The Arrow schema a writer may embed in the file's metadata is not read: the `arrow-ipc`
    // decoder behind it panics on a malformed one (an integer 66 bits wide, say), and the
    // types from the Parquet schema map to the same kinds of column.
    let options = ArrowReaderOptions::new().with_skip_arrow_metadata(true);
    let builder = ParquetRecordBatchReaderBuilder::try_new_with_options(source, options)
        .map_err(|e| invalid(&e))?;
    // The footer's row count only sizes the first allocation, and never above a million:
    // a file may claim any count, and an allocation that fails aborts the process.
    let rows = (builder.metadata().file_metadata().num_rows().max(0) as usize).min(1 << 20);
    let mut decoder = BatchDecoder::new(path, builder.schema(), rows, images, invalid_parquet)?;

    // A batch of encoded images is held whole: a few dozen rows at a time, not 65,536.
    let batch_rows = if decoder.has_images() {
        IMAGES_PER_CHUNK
    } else {
        64 * 1024
    };
    let reader = builder
        .with_batch_size(batch_rows)
        .build()
        .map_err(|e| invalid(&e))?;
    for batch in reader {
        decoder.push(&batch.map_err(|e| invalid(&e))?)?;
    }
    decoder.finish()
}

fn invalid_parquet(path: &Path, message: String) -> ReadError {
    ReadError::InvalidParquet {
        path: show(path),
        message: one_line(message),
    }
}

/// Turns Arrow record batches of one schema into table columns, batch by batch: the Parquet
/// reader and the in-memory Arrow reader ([`crate::read_record_batches`]) share it, so a
/// table arriving either way gets the same columns, types and errors.
pub(crate) struct BatchDecoder<'a> {
    path: &'a Path,
    schema: arrow_schema::SchemaRef,
    accs: Vec<Acc>,
    limits: ImageLimits,
    invalid: fn(&Path, String) -> ReadError,
}

impl<'a> BatchDecoder<'a> {
    /// A decoder for batches of `schema`; `rows` sizes the first allocation of each column;
    /// `images` names the binary columns holding encoded images. `path` names the data in
    /// errors; `invalid` makes the error for data that breaks the format's rules.
    pub(crate) fn new(
        path: &'a Path,
        schema: &arrow_schema::SchemaRef,
        rows: usize,
        images: Option<(&[String], &ImageLimits)>,
        invalid: fn(&Path, String) -> ReadError,
    ) -> Result<Self, ReadError> {
        let mut seen = std::collections::HashSet::new();
        let mut accs = Vec::with_capacity(schema.fields().len());
        for f in schema.fields() {
            if !seen.insert(f.name().as_str()) {
                return Err(ReadError::DuplicateColumn {
                    path: show(path),
                    name: f.name().clone(),
                });
            }
            let image = images.is_some_and(|(names, _)| names.contains(f.name()));
            if image && is_binary(f.data_type()) {
                accs.push(Acc::Image(Box::new(ImageColumnBuilder::new(f.name()))));
                continue;
            }
            let kind = kind_of(f.data_type()).ok_or_else(|| ReadError::UnsupportedType {
                path: show(path),
                column: f.name().clone(),
                data_type: one_line(format!("{}", f.data_type())),
            })?;
            accs.push(match kind {
                Kind::Float => Acc::Float(Vec::with_capacity(rows)),
                Kind::Int => Acc::Int(Vec::with_capacity(rows)),
                Kind::Bool => Acc::Bool(Vec::with_capacity(rows)),
                Kind::Str => Acc::Str(OwnedDict::default()),
                Kind::Datetime => Acc::Datetime(Vec::with_capacity(rows)),
                Kind::Vector => Acc::Vector(VectorBuilder::new(f.name())),
            });
        }
        Ok(BatchDecoder {
            path,
            schema: schema.clone(),
            accs,
            limits: images.map(|(_, l)| *l).unwrap_or_default(),
            invalid,
        })
    }

    /// Whether a column is an image column (its batches are best kept small).
    pub(crate) fn has_images(&self) -> bool {
        self.accs.iter().any(|a| matches!(a, Acc::Image(_)))
    }

    /// Appends the rows of one batch (of the decoder's schema).
    pub(crate) fn push(&mut self, batch: &arrow_array::RecordBatch) -> Result<(), ReadError> {
        if batch.num_columns() != self.accs.len() {
            return Err(ReadError::BadValue {
                path: show(self.path),
                column: String::new(),
                message: format!(
                    "a batch has {} columns, the schema {}",
                    batch.num_columns(),
                    self.accs.len()
                ),
            });
        }
        for (j, acc) in self.accs.iter_mut().enumerate() {
            if let Acc::Image(builder) = acc {
                append_images(builder, batch.column(j).as_ref(), &self.limits);
                continue;
            }
            append(acc, batch.column(j).as_ref()).map_err(|message| ReadError::BadValue {
                path: show(self.path),
                column: self.schema.field(j).name().clone(),
                message,
            })?;
        }
        Ok(())
    }

    /// The table of every batch pushed.
    pub(crate) fn finish(self) -> Result<ParquetWithImages, ReadError> {
        let path = self.path;
        let schema = self.schema;
        let accs = self.accs;
        let plain: std::collections::HashSet<&str> = accs
            .iter()
            .zip(schema.fields())
            .filter(|(acc, _)| !matches!(acc, Acc::Vector(_)))
            .map(|(_, f)| f.name().as_str())
            .collect();
        let mut columns: Vec<Column> = Vec::with_capacity(accs.len());
        let mut vectors = Vec::new();
        let mut failures = Vec::new();
        for (acc, f) in accs.into_iter().zip(schema.fields()) {
            let data = match acc {
                Acc::Float(v) => ColumnData::Float(v),
                Acc::Int(v) => ColumnData::Int(v),
                Acc::Bool(v) => ColumnData::Bool(v),
                Acc::Str(d) => ColumnData::Str(d.finish()),
                Acc::Datetime(v) => ColumnData::Datetime(v),
                Acc::Image(builder) => {
                    let described = builder.finish();
                    columns.extend(described.table.into_columns());
                    failures.push((
                        f.name().clone(),
                        described
                            .failures
                            .into_iter()
                            .map(|x| (x.row, x.error))
                            .collect(),
                    ));
                    continue;
                }
                Acc::Vector(b) => {
                    let (components, vector) = b.finish(&|n| plain.contains(n));
                    columns.extend(components);
                    vectors.push(vector);
                    continue;
                }
            };
            columns.push(Column::new(f.name().clone(), data));
        }
        let table = Table::new(columns).map_err(|e| (self.invalid)(path, e.to_string()))?;
        Ok(ParquetWithImages {
            table,
            failures,
            vectors,
        })
    }
}
