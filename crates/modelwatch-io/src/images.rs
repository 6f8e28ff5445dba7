//! Folders of images into tables: every image file under a folder (recursively) is one row,
//! with a `file` column (its path relative to the folder, `/`-separated, which serves as
//! the row's id) and the descriptor columns of the image column, `<column>.<descriptor>`
//! (see `modelwatch_core::descriptors::image` and docs/images.md).
//!
//! Files are read lazily, `IMAGES_PER_CHUNK` (64) at a time, while the descriptors are
//! computed, so a folder of any size holds one chunk of encoded files and one decoded
//! image per worker in memory. An image that cannot be described is a missing value in
//! every descriptor column and is reported with its reason; a file that cannot be read
//! at all (permissions, a vanished file) stops the read with the system's reason.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

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
    // The descriptors pull files one chunk at a time; the first file that cannot be read
    // ends the run, since its row would otherwise stand for an image that was never seen.
    let unreadable: RefCell<Option<ReadError>> = RefCell::new(None);
    let bytes = files.iter().map(|p| match std::fs::read(p) {
        Ok(b) => Some(b),
        Err(e) => {
            unreadable
                .borrow_mut()
                .get_or_insert_with(|| ReadError::io(p, &e));
            None
        }
    });
    let described = describe_image_column(column, bytes, limits);
    if let Some(e) = unreadable.into_inner() {
        return Err(e);
    }
    let mut columns = vec![Column::new(
        FILE_COLUMN,
        ColumnData::Str(StrColumn::from_options(names.iter().map(Some))),
    )];
    columns.extend(described.table.columns().iter().cloned());
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
        } else if !kind.is_dir() {
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
    fn a_folder_without_images_is_an_error_naming_what_was_skipped() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x.csv"), b"a\n1\n").unwrap();
        let e = read_image_folder(dir.path(), "image", &ImageLimits::default()).unwrap_err();
        assert!(e.to_string().contains("no image files"), "{e}");
        assert!(e.to_string().contains("1 other file"), "{e}");
    }
}
