//! Parquet files with a binary image column: described while read, rows fetched again.

use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, BinaryArray, Int64Array, LargeBinaryArray, RecordBatch};
use modelwatch_core::descriptors::image::{describe_image, ImageLimits};
use modelwatch_core::table::ColumnData;
use modelwatch_io::{parquet_binary_rows, read_parquet_with_images, read_table, ReadOptions};
use parquet::arrow::ArrowWriter;

fn fixture(name: &str) -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/images");
    std::fs::read(root.join(name)).unwrap()
}

fn write(path: &Path, columns: Vec<(&str, ArrayRef)>) {
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let file = std::fs::File::create(path).unwrap();
    // Small row groups, so the rows of the image column span several of them.
    let props = parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_row_count(Some(3))
        .build();
    let mut w = ArrowWriter::try_new(file, batch.schema(), Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

fn floats<'a>(t: &'a modelwatch_core::table::Table, name: &str) -> &'a [f64] {
    match &t.column(name).unwrap().data {
        ColumnData::Float(v) => v,
        other => panic!("{name} is {}", other.physical_name()),
    }
}

#[test]
fn a_binary_image_column_becomes_descriptors_in_place_with_failures_by_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("photos.parquet");
    let png = fixture("pattern.png");
    let truncated = fixture("truncated.jpg");
    let images: Vec<Option<&[u8]>> = vec![
        Some(&png),
        None,
        Some(&truncated),
        Some(b"not an image"),
        Some(b""),
        Some(&png),
        Some(&png),
    ];
    let ids = Int64Array::from_iter_values(0..images.len() as i64);
    write(
        &path,
        vec![
            ("id", Arc::new(ids) as ArrayRef),
            (
                "photo",
                Arc::new(BinaryArray::from(images.clone())) as ArrayRef,
            ),
            ("score", Arc::new(Int64Array::from(vec![1; 7])) as ArrayRef),
        ],
    );

    let read = read_parquet_with_images(&path, &["photo".into()], &ImageLimits::default()).unwrap();
    let names: Vec<&str> = read.table.column_names().collect();
    assert_eq!(names[0], "id");
    assert_eq!(names[1], "photo.format");
    assert_eq!(names.last(), Some(&"score"));
    assert!(!names.contains(&"photo"));
    assert_eq!(read.table.rows(), 7);
    let width = floats(&read.table, "photo.width");
    let expected = f64::from(describe_image(&png, &ImageLimits::default()).unwrap().width);
    assert_eq!(width[0], expected);
    assert_eq!(width[5], expected);
    assert!(width[1].is_nan() && width[2].is_nan() && width[3].is_nan() && width[4].is_nan());
    let (column, failures) = &read.failures[0];
    assert_eq!(column, "photo");
    let reasons: Vec<(usize, &str)> = failures
        .iter()
        .map(|(r, e)| (*r, e.reason().as_str()))
        .collect();
    assert_eq!(
        reasons,
        [(2, "truncated"), (3, "unknown_format"), (4, "empty")]
    );

    // Fetching rows again, in any order; a null row and a row past the end are None.
    let rows = parquet_binary_rows(&path, "photo", &[6, 0, 1, 99]).unwrap();
    assert_eq!(rows, vec![Some(png.clone()), Some(png.clone()), None, None]);
    assert!(parquet_binary_rows(&path, "nope", &[0])
        .unwrap_err()
        .to_string()
        .contains("no such column"));

    // Without naming it an image column, a binary column is refused, by name.
    let e = read_table(&path, &ReadOptions::default()).unwrap_err();
    assert!(e.to_string().contains("photo"), "{e}");
}

#[test]
fn large_binary_works_too_and_a_pixel_limit_refuses_a_big_image() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.parquet");
    let png = fixture("pattern.png");
    write(
        &path,
        vec![(
            "img",
            Arc::new(LargeBinaryArray::from(vec![Some(png.as_slice())])) as ArrayRef,
        )],
    );
    let tight = ImageLimits {
        max_pixels: 4,
        ..Default::default()
    };
    let read = read_parquet_with_images(&path, &["img".into()], &tight).unwrap();
    assert_eq!(read.failures[0].1[0].1.reason().as_str(), "too_many_pixels");
    let read = read_parquet_with_images(&path, &["img".into()], &ImageLimits::default()).unwrap();
    assert!(read.failures[0].1.is_empty());
    assert!(floats(&read.table, "img.brightness")[0] > 0.0);
}
