//! Images into descriptor columns: [`read_image_folder`] turns a folder into a table, and
//! [`describe_table_images`] replaces an image column of a table (file names or base64).
//!
//! Folders of images into tables: every image file under a folder (recursively) is one row,
//! with a `file` column (its path relative to the folder, `/`-separated, which serves as
//! the row's id) and the descriptor columns of the image column, `<column>.<descriptor>`
//! (see `modelwatch_core::descriptors::image` and docs/images.md).
//!
//! Files are read by the worker that describes them, `IMAGES_PER_CHUNK` (64) rows at a time,
//! so a folder of any size holds one encoded file and one decoded image per worker in
//! memory (see docs/images.md for what a decoded image may cost). An image that cannot be
//! described is a missing value in every descriptor column and is reported with its
//! reason; a file that cannot be read (permissions, a vanished file, not a regular file,
//! larger than [`MAX_IMAGE_FILE_BYTES`]) is such a failure too, with the reason
//! `unreadable`.

use std::path::{Path, PathBuf};

use base64::Engine;
use modelwatch_core::descriptors::image::{describe_image_column, ImageError, ImageLimits};
use modelwatch_core::table::{Column, ColumnData, StrColumn, Table};

use crate::error::{show, ReadError};

/// The file extensions read as images (case-insensitive); other files are skipped and
/// counted.
pub const IMAGE_EXTENSIONS: [&str; 9] = [
    "jpg", "jpeg", "png", "webp", "gif", "bmp", "tif", "tiff", "jfif",
];

/// The name of the column holding each image's path relative to the folder.
pub const FILE_COLUMN: &str = "file";

/// A folder of images read into a table.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageFolder {
    /// `file`, then the descriptor columns, one row per image file, in path order.
    pub table: Table,
    /// The images that could not be described: the file (as in `file`) and why.
    pub failures: Vec<(String, ImageError)>,
    /// Files under the folder without an image extension, which were not read.
    pub skipped: usize,
}

/// Whether `path` names an image by its extension.
pub fn is_image_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// Reads every image under `dir` into the descriptor columns of the image column
/// `column`. A folder without any image is an error.
pub fn read_image_folder(
    dir: &Path,
    column: &str,
    limits: &ImageLimits,
) -> Result<ImageFolder, ReadError> {
    let mut files = Vec::new();
    let mut skipped = 0;
    walk(dir, &mut files, &mut skipped)?;
    files.sort();
    if files.is_empty() {
        return Err(ReadError::NoImages {
            path: show(dir),
            skipped,
        });
    }
    let names: Vec<String> = files
        .iter()
        .map(|p| {
            p.strip_prefix(dir)
                .unwrap_or(p)
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect();
    let described = describe_image_column(
        column,
        files.len(),
        |r| Some(read_image_file(&files[r])),
        limits,
    );
    let mut columns = vec![Column::new(
        FILE_COLUMN,
        ColumnData::Str(StrColumn::from_options(names.iter().map(Some))),
    )];
    columns.extend(described.table.into_columns());
    let table = Table::new(columns).map_err(|e| ReadError::DuplicateColumn {
        path: show(dir),
        name: e.to_string(),
    })?;
    let failures = described
        .failures
        .into_iter()
        .map(|f| (names[f.row].clone(), f.error))
        .collect();
    Ok(ImageFolder {
        table,
        failures,
        skipped,
    })
}

/// A table whose image column was replaced by its descriptor columns.
#[derive(Debug, Clone, PartialEq)]
pub struct DescribedTable {
    /// The other columns in their order, then `<column>.<descriptor>` for each descriptor.
    pub table: Table,
    /// The rows whose image could not be described: the row (from 0) and why.
    pub failures: Vec<(usize, ImageError)>,
}

/// Replaces the image column `column` of `table` by its descriptor columns. Each value is
/// a file name when it ends in an image extension (relative to `base`, the table file's
/// folder, unless absolute), and otherwise base64 text, with or without a
/// `data:image/...;base64,` prefix; a missing value is a missing image. Values are read and
/// described 64 at a time, in parallel.
pub fn describe_table_images(
    table: &Table,
    column: &str,
    base: &Path,
    limits: &ImageLimits,
) -> Result<DescribedTable, ReadError> {
    describe_table_images_with(table, column, |v| image_value_bytes(v, base), limits)
}

/// [`describe_table_images`] with each value's bytes given by `source`, for callers that
/// read values their own way (a service that takes no file names, with its own size
/// limit); a missing value is a missing image.
pub fn describe_table_images_with(
    table: &Table,
    column: &str,
    source: impl Fn(&str) -> Result<Vec<u8>, ImageError> + Sync,
    limits: &ImageLimits,
) -> Result<DescribedTable, ReadError> {
    let not_usable = |message: &str| ReadError::ImageColumn {
        column: column.to_string(),
        message: message.to_string(),
    };
    let values = table.column(column).ok_or_else(|| {
        not_usable(&format!(
            "no such column{}",
            modelwatch_core::suggest::did_you_mean(column, table.column_names())
        ))
    })?;
    let ColumnData::Str(values) = &values.data else {
        return Err(not_usable(
            "the column holds numbers or times, not file names or base64 text",
        ));
    };
    let described =
        describe_image_column(column, table.rows(), |r| values.get(r).map(&source), limits);
    let mut columns: Vec<Column> = table
        .columns()
        .iter()
        .filter(|c| c.name != column)
        .cloned()
        .collect();
    columns.extend(described.table.into_columns());
    let table = Table::new(columns)
        .map_err(|e| not_usable(&e.to_string()))?
        .with_read_problems(table.read_problems().to_vec());
    Ok(DescribedTable {
        table,
        failures: described
            .failures
            .into_iter()
            .map(|f| (f.row, f.error))
            .collect(),
    })
}

/// The largest image file read (256 MiB); a larger one is an `unreadable` failure.
pub const MAX_IMAGE_FILE_BYTES: u64 = 256 << 20;

/// A regular file of at most [`MAX_IMAGE_FILE_BYTES`], read whole.
pub fn read_image_file(path: &Path) -> Result<Vec<u8>, ImageError> {
    let unreadable = |why: String| ImageError::Unreadable(format!("{}: {why}", show(path)));
    let meta = std::fs::metadata(path).map_err(|e| unreadable(crate::error::io_message(&e)))?;
    if !meta.is_file() {
        return Err(unreadable("not a regular file".into()));
    }
    if meta.len() > MAX_IMAGE_FILE_BYTES {
        return Err(unreadable(format!(
            "{} bytes, more than the limit of {MAX_IMAGE_FILE_BYTES}",
            meta.len()
        )));
    }
    std::fs::read(path).map_err(|e| unreadable(crate::error::io_message(&e)))
}

/// The bytes of one image value of a table: a file named with an image extension (relative to
/// `base` unless absolute), a `data:` URI, or base64 text.
pub fn image_value_bytes(value: &str, base: &Path) -> Result<Vec<u8>, ImageError> {
    let v = value.trim();
    if v.starts_with("data:") {
        return image_text_bytes(v);
    }
    if is_image_file(Path::new(v)) {
        return read_image_file(&base.join(v));
    }
    decode_base64(v).map_err(|e| {
        ImageError::Unreadable(format!(
            "neither a file name with an image extension nor base64 ({e})"
        ))
    })
}

/// The bytes of an image sent as text: base64 (line breaks allowed inside, as in MIME
/// bodies) or a `data:` URI with a base64 payload (`data:image/png;base64,...`). Text that
/// is neither is an [`ImageError::Unreadable`] naming why.
pub fn image_text_bytes(value: &str) -> Result<Vec<u8>, ImageError> {
    let v = value.trim();
    if let Some(uri) = v.strip_prefix("data:") {
        let (_, payload) = uri
            .split_once(";base64,")
            .ok_or_else(|| ImageError::Unreadable("a data: URI that is not base64".into()))?;
        return decode_base64(payload).map_err(|e| {
            ImageError::Unreadable(format!("the data: URI's payload is not base64 ({e})"))
        });
    }
    decode_base64(v).map_err(|e| ImageError::Unreadable(format!("not base64 ({e})")))
}

fn decode_base64(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    // Line breaks are allowed inside, as in MIME bodies; nothing else is stripped.
    let compact: String = text.chars().filter(|c| !matches!(c, '\n' | '\r')).collect();
    base64::engine::general_purpose::STANDARD.decode(compact.as_bytes())
}

/// Gathers the image files under `dir`, following no symbolic link to a folder (a link
/// loop would never end).
fn walk(dir: &Path, files: &mut Vec<PathBuf>, skipped: &mut usize) -> Result<(), ReadError> {
    let entries = std::fs::read_dir(dir).map_err(|e| ReadError::io(dir, &e))?;
    for entry in entries {
        let entry = entry.map_err(|e| ReadError::io(dir, &e))?;
        let path = entry.path();
        let kind = entry.file_type().map_err(|e| ReadError::io(&path, &e))?;
        if kind.is_dir() {
            walk(&path, files, skipped)?;
        } else if is_image_file(&path) && (kind.is_file() || path.is_file()) {
            files.push(path);
        } else {
            *skipped += 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/images");
        std::fs::read(root.join(name)).unwrap()
    }

    #[test]
    fn a_nested_folder_becomes_rows_in_path_order_with_failures_named() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("b");
        std::fs::create_dir(&sub).unwrap();
        std::fs::write(dir.path().join("a.PNG"), fixture("pattern.png")).unwrap();
        std::fs::write(sub.join("c.jpg"), fixture("truncated.jpg")).unwrap();
        std::fs::write(sub.join("d.webp"), fixture("coffee.webp")).unwrap();
        std::fs::write(dir.path().join("notes.txt"), b"not an image").unwrap();

        let f = read_image_folder(dir.path(), "photo", &ImageLimits::default()).unwrap();
        assert_eq!(f.table.rows(), 3);
        assert_eq!(f.skipped, 1);
        let ColumnData::Str(files) = &f.table.column(FILE_COLUMN).unwrap().data else {
            panic!("file is text");
        };
        let got: Vec<_> = (0..3).map(|r| files.get(r).unwrap()).collect();
        assert_eq!(got, ["a.PNG", "b/c.jpg", "b/d.webp"]);
        assert_eq!(f.failures.len(), 1);
        assert_eq!(f.failures[0].0, "b/c.jpg");
        let ColumnData::Float(width) = &f.table.column("photo.width").unwrap().data else {
            panic!("width is numerical");
        };
        assert!(width[0] > 0.0 && width[1].is_nan() && width[2] > 0.0);
    }

    #[test]
    fn an_image_column_of_paths_and_base64_becomes_descriptor_columns() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("img")).unwrap();
        std::fs::write(dir.path().join("img/a.png"), fixture("pattern.png")).unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(fixture("pattern.gif"));
        let values = [
            Some("img/a.png".to_string()),
            Some(format!("data:image/gif;base64,{b64}")),
            Some(b64.clone()),
            None,
            Some("img/missing.jpg".to_string()),
            Some("not base64 at all!".to_string()),
            Some("img/folder.jpg".to_string()),
        ];
        std::fs::create_dir(dir.path().join("img/folder.jpg")).unwrap();
        let table = Table::new(vec![
            Column::new(
                "id",
                ColumnData::Float((0..values.len()).map(|i| i as f64).collect()),
            ),
            Column::new(
                "photo",
                ColumnData::Str(StrColumn::from_options(values.iter().map(|v| v.as_deref()))),
            ),
        ])
        .unwrap();
        let d =
            describe_table_images(&table, "photo", dir.path(), &ImageLimits::default()).unwrap();
        assert!(d.table.column("photo").is_none());
        assert_eq!(d.table.columns()[0].name, "id");
        let ColumnData::Str(format) = &d.table.column("photo.format").unwrap().data else {
            panic!("format is text");
        };
        let got: Vec<_> = (0..7).map(|r| format.get(r)).collect();
        assert_eq!(
            got,
            [
                Some("png"),
                Some("gif"),
                Some("gif"),
                None,
                None,
                None,
                None
            ]
        );
        let failed: Vec<(usize, &str)> = d
            .failures
            .iter()
            .map(|(r, e)| (*r, e.reason().as_str()))
            .collect();
        assert_eq!(
            failed,
            [(4, "unreadable"), (5, "unreadable"), (6, "unreadable")]
        );
        assert!(d.failures[2].1.to_string().contains("not a regular file"));
        let e =
            describe_table_images(&table, "id", dir.path(), &ImageLimits::default()).unwrap_err();
        assert!(e.to_string().contains("`id`"), "{e}");
    }

    #[test]
    fn a_folder_without_images_is_an_error_naming_what_was_skipped() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x.csv"), b"a\n1\n").unwrap();
        let e = read_image_folder(dir.path(), "image", &ImageLimits::default()).unwrap_err();
        assert!(e.to_string().contains("no image files"), "{e}");
        assert!(e.to_string().contains("1 other file"), "{e}");
    }
}
