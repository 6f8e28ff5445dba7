//! Images in `report` and `test`: a folder of images or a table's image columns (`--image`)
//! become descriptor columns, and the HTML report shows example thumbnails of each image
//! column, fetched again from where the images came from.

use std::path::{Path, PathBuf};

use anyhow::Context;
use modelwatch_core::descriptors::image::examples::{image_examples, EXAMPLES_PER_SIDE};
use modelwatch_core::descriptors::image::thumbnail::{thumbnail_jpeg, THUMBNAIL_MAX_SIDE};
use modelwatch_core::descriptors::image::{ImageError, ImageLimits};
use modelwatch_core::drift::DriftReport;
use modelwatch_core::table::{ColumnData, StrColumn, Table};
use modelwatch_io::{read_table_with_vectors, Format, ReadOptions, VectorColumn};
use modelwatch_report::html::images::{ImageGallery, Thumbnail};
use rayon::prelude::*;

/// The image column a folder of images is described as: its descriptors are
/// `image.width`, `image.brightness`, ...
pub const FOLDER_IMAGE_COLUMN: &str = "image";

/// Where the images of one image column came from, to fetch a few of them again.
#[derive(Debug)]
enum ImageSource {
    /// Files of a folder, by their path relative to it (the `file` column), in row order.
    Folder { dir: PathBuf, files: Vec<String> },
    /// A text column of file names (relative to `base`) or base64 values.
    Values { base: PathBuf, values: StrColumn },
    /// A binary column of a Parquet file.
    Parquet { path: PathBuf, column: String },
}

/// A dataset read for `report` or `test`: its table, and where each image column's images
/// came from.
#[derive(Debug)]
pub struct Dataset {
    /// The table, image columns replaced by their descriptor columns, vector columns by
    /// their component columns.
    pub table: Table,
    /// The vector (list) columns the file held.
    pub vectors: Vec<VectorColumn>,
    sources: Vec<(String, ImageSource)>,
}

/// Reads one dataset: a folder of images, or a table whose `images` columns (`--image`) are
/// replaced by their descriptors (binary Parquet columns while the file is read). With
/// `keep_sources`, a table's image values (base64 text can be large) are kept to fetch
/// example images again; without, they are dropped once described. `limits` decide how
/// images are decoded and described.
pub fn read_dataset(
    path: &Path,
    options: &ReadOptions,
    images: &[String],
    keep_sources: bool,
    limits: &ImageLimits,
) -> anyhow::Result<Dataset> {
    if path.is_dir() {
        return read_folder(path, limits);
    }
    let parquet = options.format.or_else(|| Format::from_path(path)) == Some(Format::Parquet);
    let mut sources = Vec::new();
    let (table, vectors) = if parquet && !images.is_empty() {
        let read = modelwatch_io::read_parquet_with_images(path, images, limits)?;
        for (column, failures) in read.failures {
            warn_row_failures(path, &column, read.table.rows(), failures);
            let source = ImageSource::Parquet {
                path: path.to_path_buf(),
                column: column.clone(),
            };
            sources.push((column, source));
        }
        (read.table, read.vectors)
    } else {
        let read = read_table_with_vectors(path, options).map_err(|e| match e {
            modelwatch_io::ReadError::UnknownFormat { .. } => {
                anyhow::anyhow!("{e}; pass --format csv|parquet|jsonl")
            }
            e => e.into(),
        })?;
        (read.table, read.vectors)
    };
    // A column read lossily is reported in the results; a line here says so at once.
    for problem in table.read_problems() {
        eprintln!("warning: {}: {}", path.display(), problem.message);
    }
    let base = path.parent().unwrap_or(Path::new("."));
    let table = describe_text_images(
        path,
        table,
        (images, limits),
        base,
        &mut sources,
        keep_sources,
    )?;
    Ok(Dataset {
        table,
        vectors,
        sources,
    })
}

/// Reads one dataset given as Arrow record batches in memory; `name` stands for it in
/// messages. Binary image columns are described as the batches are read (their images are
/// not fetched again for thumbnails); text image columns (file names relative to the
/// working directory, or base64) as [`read_dataset`] describes them.
pub fn read_arrow_dataset(
    name: &Path,
    reader: Box<dyn arrow_array::RecordBatchReader + Send>,
    images: &[String],
    keep_sources: bool,
    limits: &ImageLimits,
) -> anyhow::Result<Dataset> {
    let read =
        modelwatch_io::read_record_batches(&name.display().to_string(), reader, images, limits)?;
    let mut described = Vec::new();
    for (column, failures) in read.failures {
        warn_row_failures(name, &column, read.table.rows(), failures);
        described.push(column);
    }
    let text_images: Vec<String> = images
        .iter()
        .filter(|c| !described.contains(c))
        .cloned()
        .collect();
    let mut sources = Vec::new();
    let table = describe_text_images(
        name,
        read.table,
        (&text_images, limits),
        Path::new("."),
        &mut sources,
        keep_sources,
    )?;
    Ok(Dataset {
        table,
        vectors: read.vectors,
        sources,
    })
}

/// Replaces each text image column of `images` (file names relative to `base`, or base64)
/// not yet in `sources` by its descriptor columns, described under `limits`; with
/// `keep_sources`, its values are kept in `sources` to fetch example images again.
fn describe_text_images(
    path: &Path,
    mut table: Table,
    (images, limits): (&[String], &ImageLimits),
    base: &Path,
    sources: &mut Vec<(String, ImageSource)>,
    keep_sources: bool,
) -> anyhow::Result<Table> {
    for column in images {
        if sources.iter().any(|(c, _)| c == column) {
            continue;
        }
        let described = modelwatch_io::images::describe_table_images(&table, column, base, limits)
            .with_context(|| format!("{}: --image", path.display()))?;
        warn_row_failures(path, column, described.table.rows(), described.failures);
        if let (true, Some(ColumnData::Str(values))) =
            (keep_sources, table.column(column).map(|c| &c.data))
        {
            let source = ImageSource::Values {
                base: base.to_path_buf(),
                values: values.clone(),
            };
            sources.push((column.clone(), source));
        }
        table = described.table;
    }
    Ok(table)
}

/// Reads a folder of images into its descriptor columns, saying on standard error which
/// images could not be described (they are missing values) and how many other files were
/// not read.
fn read_folder(dir: &Path, limits: &ImageLimits) -> anyhow::Result<Dataset> {
    let folder = modelwatch_io::images::read_image_folder(dir, FOLDER_IMAGE_COLUMN, limits)?;
    warn_failures(
        &dir.display().to_string(),
        folder.table.rows(),
        &folder.failures,
    );
    if folder.skipped > 0 {
        eprintln!(
            "note: {}: {} file(s) without an image extension were not read",
            dir.display(),
            folder.skipped
        );
    }
    let files = match folder
        .table
        .column(modelwatch_io::images::FILE_COLUMN)
        .map(|c| &c.data)
    {
        Some(ColumnData::Str(names)) => (0..names.len())
            .map(|r| names.get(r).unwrap_or_default().to_string())
            .collect(),
        _ => Vec::new(),
    };
    let source = ImageSource::Folder {
        dir: dir.to_path_buf(),
        files,
    };
    Ok(Dataset {
        table: folder.table,
        vectors: Vec::new(),
        sources: vec![(FOLDER_IMAGE_COLUMN.to_string(), source)],
    })
}

fn warn_row_failures(path: &Path, column: &str, rows: usize, failures: Vec<(usize, ImageError)>) {
    let failures: Vec<(String, ImageError)> = failures
        .into_iter()
        .map(|(row, e)| (format!("row {}", row + 1), e))
        .collect();
    warn_failures(
        &format!("{} column `{column}`", path.display()),
        rows,
        &failures,
    );
}

/// One `warning:` line for the images of `source` that could not be described (they are
/// missing values): how many, why, and the first of them (`T` names it: a file or a row).
fn warn_failures<T: std::fmt::Display>(source: &str, images: usize, failures: &[(T, ImageError)]) {
    let Some((first, error)) = failures.first() else {
        return;
    };
    let reasons: Vec<String> =
        modelwatch_core::descriptors::image::count_by_reason(failures.iter().map(|(_, e)| e))
            .iter()
            .map(|(r, n)| format!("{} {n}", r.as_str()))
            .collect();
    eprintln!(
        "warning: {source}: {} of {images} images could not be described ({}), e.g. {first}: \
         {error}; they count as missing values",
        failures.len(),
        reasons.join(", ")
    );
}

/// The example galleries of every image column both datasets have: chosen on the drift
/// results, thumbnails made from the images fetched again (an image that cannot be fetched
/// shows as "no thumbnail"; a warning says why).
pub fn galleries(drift: &DriftReport, reference: &Dataset, current: &Dataset) -> Vec<ImageGallery> {
    let mut out = Vec::new();
    for (column, current_source) in &current.sources {
        let Some((_, reference_source)) = reference.sources.iter().find(|(c, _)| c == column)
        else {
            continue;
        };
        let Some(examples) = image_examples(
            drift,
            column,
            (&reference.table, usize::MAX),
            &current.table,
            EXAMPLES_PER_SIDE,
        ) else {
            continue;
        };
        let current = thumbnails(current_source, &examples.current_rows);
        let reference = thumbnails(reference_source, &examples.reference_rows);
        out.push(ImageGallery {
            examples,
            current,
            reference,
        });
    }
    out
}

fn thumbnails(source: &ImageSource, rows: &[usize]) -> Vec<Thumbnail> {
    let limits = ImageLimits::default();
    let label = |r: usize| match source {
        ImageSource::Folder { files, .. } => files.get(r).cloned().unwrap_or_default(),
        _ => format!("row {}", r + 1),
    };
    let bytes: Vec<Result<Vec<u8>, String>> = match source {
        ImageSource::Folder { dir, files } => rows
            .iter()
            .map(|&r| {
                let file = files.get(r).ok_or("no such row")?;
                modelwatch_io::images::read_image_file(&dir.join(file)).map_err(|e| e.to_string())
            })
            .collect(),
        ImageSource::Values { base, values } => rows
            .iter()
            .map(|&r| {
                let value = values.get(r).ok_or("no image")?;
                modelwatch_io::images::image_value_bytes(value, base).map_err(|e| e.to_string())
            })
            .collect(),
        ImageSource::Parquet { path, column } => {
            match modelwatch_io::parquet_binary_rows(path, column, rows) {
                Ok(values) => values
                    .into_iter()
                    .map(|v| v.ok_or_else(|| "no image".to_string()))
                    .collect(),
                Err(e) => vec![Err(e.to_string()); rows.len()],
            }
        }
    };
    rows.par_iter()
        .zip(bytes)
        .map(|(&r, bytes)| {
            let jpeg = bytes.and_then(|b| {
                thumbnail_jpeg(&b, &limits, THUMBNAIL_MAX_SIDE).map_err(|e| e.to_string())
            });
            if let Err(why) = &jpeg {
                eprintln!("warning: no thumbnail for {}: {why}", label(r));
            }
            Thumbnail {
                label: label(r),
                jpeg: jpeg.ok(),
            }
        })
        .collect()
}
