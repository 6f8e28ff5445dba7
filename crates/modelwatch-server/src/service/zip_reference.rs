//! A reference uploaded as a zip of images: each image entry becomes one row of a `file`
//! column (its path in the archive, the row's id) and the descriptor columns of the
//! project's image column, as `modelwatch report` reads a folder of images; entries
//! without an image extension are counted and skipped, images that cannot be described are
//! missing values counted by reason.
//!
//! A zip is refused whole (413) when it could cost more than the limits allow, judged from
//! its central directory before anything is inflated: more image entries than
//! `limits.reference_cells` allows rows, an entry declaring more than `limits.image_bytes`,
//! or entries declaring more than `limits.reference_zip_bytes` together. Declared sizes
//! can lie, so every entry is also read through a cap of its declared size. Entries are
//! inflated a chunk at a time ([`IMAGES_PER_CHUNK`] images or 64 MiB) and described in
//! parallel, so memory holds one chunk of encoded images and one decoded image per worker.
//!
//! The described table is stored as JSON Lines (every descriptor written in every line,
//! `null` when missing, so each column exists), so that a restart reads descriptors instead
//! of decoding every image again.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use modelwatch_core::descriptors::image::{
    ImageColumnBuilder, ImageError, ImageLimits, IMAGES_PER_CHUNK,
};
use modelwatch_core::table::{ColumnData, Table};
use rayon::prelude::*;
use serde_json::{Map, Value};

use super::ServiceError;
use crate::config::Limits;
use crate::ingest::images::describe;

/// How many reference images keep a thumbnail (the first in path order): enough to show
/// typical reference images, few enough to keep the store small.
pub const REFERENCE_THUMBNAILS: usize = 200;

/// Bytes of encoded images inflated before a chunk is described.
const CHUNK_BYTES: usize = 64 << 20;

/// A zip of images read into a reference table.
#[derive(Debug)]
pub struct ZipReference {
    /// The table as JSON Lines: `file`, then `<column>.<descriptor>` per line.
    pub jsonl: Vec<u8>,
    /// Rows of the table.
    pub rows: usize,
    /// Thumbnails of the first rows: (image column, row, JPEG).
    pub thumbnails: Vec<(String, usize, Vec<u8>)>,
    /// Entries without an image extension, not read.
    pub skipped: usize,
    /// Images that could not be described, by reason.
    pub failures: BTreeMap<&'static str, usize>,
}

fn refused(message: String) -> ServiceError {
    ServiceError::ZipRefused(message)
}

/// Reads `bytes`, a zip archive, into the descriptor table of the image column `column`.
pub fn read_zip_reference(
    bytes: &[u8],
    column: &str,
    limits: &Limits,
    thumbnails: bool,
) -> Result<ZipReference, ServiceError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| ServiceError::BadReference(format!("not a readable zip archive: {e}")))?;
    let mut entries: Vec<(String, usize, u64)> = Vec::new();
    let mut skipped = 0;
    for i in 0..archive.len() {
        let entry = archive
            .by_index_raw(i)
            .map_err(|e| ServiceError::BadReference(format!("zip entry {i}: {e}")))?;
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().to_string();
        if !modelwatch_io::images::is_image_file(std::path::Path::new(&name)) {
            skipped += 1;
            continue;
        }
        entries.push((name, i, entry.size()));
    }
    if entries.is_empty() {
        return Err(ServiceError::BadReference(format!(
            "the zip holds no image files ({skipped} other entries; images end in {})",
            modelwatch_io::images::IMAGE_EXTENSIONS.join(", ")
        )));
    }
    let columns = 1 + modelwatch_core::descriptors::image::IMAGE_DESCRIPTORS.len();
    let max_rows = limits.reference_cells / columns;
    if entries.len() > max_rows {
        return Err(refused(format!(
            "the zip holds {} images; with {columns} columns each a reference holds at most \
             {max_rows} (limits.reference_cells)",
            entries.len()
        )));
    }
    if let Some((name, _, size)) = entries
        .iter()
        .find(|(_, _, s)| *s > limits.image_bytes as u64)
    {
        return Err(refused(format!(
            "zip entry `{name}` inflates to {size} bytes, more than the limit of {} \
             (limits.image_bytes)",
            limits.image_bytes
        )));
    }
    let total: u64 = entries.iter().map(|(_, _, s)| *s).sum();
    if total > limits.reference_zip_bytes {
        return Err(refused(format!(
            "the zip's images inflate to {total} bytes, more than the limit of {} \
             (limits.reference_zip_bytes)",
            limits.reference_zip_bytes
        )));
    }
    entries.sort();

    let image_limits = ImageLimits {
        max_pixels: limits.image_pixels,
        ..Default::default()
    };
    let mut builder = ImageColumnBuilder::new(column);
    let mut thumbs = Vec::new();
    let mut start = 0;
    while start < entries.len() {
        let mut chunk: Vec<Result<Vec<u8>, ImageError>> = Vec::new();
        let mut chunk_bytes = 0;
        while start + chunk.len() < entries.len()
            && chunk.len() < IMAGES_PER_CHUNK
            && chunk_bytes < CHUNK_BYTES
        {
            let (_, index, declared) = &entries[start + chunk.len()];
            let read = read_entry(&mut archive, *index, *declared);
            chunk_bytes += read.as_ref().map_or(0, Vec::len);
            chunk.push(read);
        }
        let outcomes: Vec<_> = chunk
            .par_iter()
            .enumerate()
            .map(|(k, bytes)| {
                let row = start + k;
                match bytes {
                    Ok(b) => describe(b, &image_limits, thumbnails && row < REFERENCE_THUMBNAILS),
                    Err(e) => Err(e.clone()),
                }
            })
            .collect();
        for (k, outcome) in outcomes.into_iter().enumerate() {
            match outcome {
                Ok((d, thumb)) => {
                    builder.push(Ok(&d));
                    if let Some(jpeg) = thumb {
                        thumbs.push((column.to_string(), start + k, jpeg));
                    }
                }
                Err(e) => builder.push(Err(&e)),
            }
        }
        start += chunk.len();
    }
    let described = builder.finish();
    let mut failures = BTreeMap::new();
    for (reason, n) in described.failure_counts() {
        failures.insert(reason.as_str(), n);
    }
    let names: Vec<&str> = entries.iter().map(|(n, _, _)| n.as_str()).collect();
    Ok(ZipReference {
        jsonl: jsonl_of(&names, &described.table),
        rows: names.len(),
        thumbnails: thumbs,
        skipped,
        failures,
    })
}

/// One entry's bytes, read through a cap of its declared size (a lying header gets no
/// more than it declared).
fn read_entry(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    index: usize,
    declared: u64,
) -> Result<Vec<u8>, ImageError> {
    let unreadable = |e: String| ImageError::Unreadable(format!("zip entry: {e}"));
    let entry = archive
        .by_index(index)
        .map_err(|e| unreadable(e.to_string()))?;
    let mut out = Vec::with_capacity(usize::try_from(declared).unwrap_or(0).min(CHUNK_BYTES));
    entry
        .take(declared.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| unreadable(e.to_string()))?;
    if out.len() as u64 > declared {
        return Err(unreadable(
            "it inflates to more bytes than its header declares".into(),
        ));
    }
    Ok(out)
}

/// The `file` names and the descriptor table as JSON Lines.
fn jsonl_of(names: &[&str], table: &Table) -> Vec<u8> {
    let mut out = Vec::new();
    for (row, name) in names.iter().enumerate() {
        let mut obj = Map::new();
        obj.insert(
            modelwatch_io::images::FILE_COLUMN.to_string(),
            Value::String(name.to_string()),
        );
        for c in table.columns() {
            let v = match &c.data {
                ColumnData::Float(v) => serde_json::Number::from_f64(v[row])
                    // Written with a fraction so that the column reads back as floats.
                    .map_or(Value::Null, Value::Number),
                ColumnData::Str(s) => s.get(row).map_or(Value::Null, |x| Value::String(x.into())),
                _ => Value::Null,
            };
            obj.insert(c.name.clone(), v);
        }
        out.extend_from_slice(Value::Object(obj).to_string().as_bytes());
        out.push(b'\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let root =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/images");
        std::fs::read(root.join(name)).unwrap()
    }

    fn zip_of(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in entries {
            w.start_file(*name, options).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn images_become_rows_in_path_order_with_failures_counted_and_other_files_skipped() {
        let zip = zip_of(&[
            ("b/two.jpg", fixture("pattern.jpg")),
            ("a/one.png", fixture("pattern.png")),
            ("notes.txt", b"not an image".to_vec()),
            ("c/bad.png", fixture("corrupt.png")),
            ("c/bomb.png", fixture("bomb_20000x20000.png")),
            ("d/zero.jpg", Vec::new()),
        ]);
        let z = read_zip_reference(&zip, "photo", &Limits::default(), true).unwrap();
        assert_eq!((z.rows, z.skipped), (5, 1));
        let failures: Vec<(&str, usize)> = z.failures.iter().map(|(r, n)| (*r, *n)).collect();
        assert_eq!(
            failures,
            [("corrupt", 1), ("empty", 1), ("too_many_pixels", 1)]
        );
        let rows: Vec<usize> = z.thumbnails.iter().map(|(_, r, _)| *r).collect();
        assert_eq!(rows, [0, 1]);
        let table =
            modelwatch_io::read_table_bytes(&z.jsonl, modelwatch_io::Format::JsonLines, "r", None)
                .unwrap();
        assert_eq!(table.rows(), 5);
        assert_eq!(table.columns().len(), 27, "every descriptor is a column");
        let ColumnData::Str(files) = &table.column("file").unwrap().data else {
            panic!("file is text");
        };
        let files: Vec<_> = (0..5).map(|r| files.get(r).unwrap()).collect();
        assert_eq!(
            files,
            [
                "a/one.png",
                "b/two.jpg",
                "c/bad.png",
                "c/bomb.png",
                "d/zero.jpg"
            ]
        );
        let ColumnData::Float(width) = &table.column("photo.width").unwrap().data else {
            panic!("width reads back as floats");
        };
        assert!(width[0] > 1.0 && width[2].is_nan());
        // Without thumbnails, none are kept.
        let z = read_zip_reference(&zip, "photo", &Limits::default(), false).unwrap();
        assert!(z.thumbnails.is_empty());
    }

    /// An entry whose headers declare fewer bytes than it inflates to is read no further
    /// than its declared size and counted as `unreadable`; the other entries are read.
    #[test]
    fn an_entry_inflating_past_its_declared_size_is_unreadable() {
        let png = fixture("pattern.png");
        let mut zip = zip_of(&[("a.png", png.clone()), ("b.png", png.clone())]);
        let declared = 100u32;
        // The uncompressed size of `a.png`, the first entry: in its local header (offset 22
        // from the `PK\x03\x04` signature) and in the central directory (offset 24 from
        // the first `PK\x01\x02`).
        let find = |zip: &[u8], sig: &[u8]| zip.windows(4).position(|w| w == sig).unwrap();
        let local = find(&zip, b"PK\x03\x04");
        let central = find(&zip, b"PK\x01\x02");
        for at in [local + 22, central + 24] {
            let old = u32::from_le_bytes(zip[at..at + 4].try_into().unwrap());
            assert_eq!(old as usize, png.len());
            zip[at..at + 4].copy_from_slice(&declared.to_le_bytes());
        }
        let z = read_zip_reference(&zip, "photo", &Limits::default(), true).unwrap();
        assert_eq!(z.rows, 2);
        let failures: Vec<(&str, usize)> = z.failures.iter().map(|(r, n)| (*r, *n)).collect();
        assert_eq!(failures, [("unreadable", 1)]);
        let rows: Vec<usize> = z.thumbnails.iter().map(|(_, r, _)| *r).collect();
        assert_eq!(rows, [1]);
    }

    #[test]
    fn bombs_and_junk_are_refused_before_anything_is_inflated() {
        let limits = Limits::default();
        let junk = read_zip_reference(b"PK\x03\x04 but not a zip", "p", &limits, true);
        assert!(
            matches!(junk, Err(ServiceError::BadReference(m)) if m.contains("not a readable zip"))
        );
        let no_images = zip_of(&[("a.txt", b"x".to_vec())]);
        let e = read_zip_reference(&no_images, "p", &limits, true).unwrap_err();
        assert!(
            e.to_string().contains("no image files (1 other entries"),
            "{e}"
        );

        // One entry inflating past limits.image_bytes: a megabyte of zeros deflates to ~1 KB.
        let big = zip_of(&[("big.png", vec![0u8; 1 << 20])]);
        assert!(big.len() < 8 << 10);
        let small = Limits {
            image_bytes: 1 << 19,
            ..Limits::default()
        };
        let e = read_zip_reference(&big, "p", &small, true).unwrap_err();
        assert!(matches!(e, ServiceError::ZipRefused(_)));
        assert!(e.to_string().contains("limits.image_bytes"), "{e}");

        // Together past limits.reference_zip_bytes.
        let many = zip_of(&[("a.png", vec![0u8; 1000]), ("b.png", vec![0u8; 1000])]);
        let tight = Limits {
            reference_zip_bytes: 1500,
            ..Limits::default()
        };
        let e = read_zip_reference(&many, "p", &tight, true).unwrap_err();
        assert!(e.to_string().contains("limits.reference_zip_bytes"), "{e}");

        // More images than reference_cells allows rows (27 columns each).
        let cells = Limits {
            reference_cells: 27,
            ..Limits::default()
        };
        let e = read_zip_reference(&many, "p", &cells, true).unwrap_err();
        assert!(
            e.to_string().contains("at most 1 (limits.reference_cells)"),
            "{e}"
        );
    }
}
