//! Parity of the image descriptors with their peers (deepchecks' formulas, PIL as whylogs uses
//! it, OpenCV), on the images and numbers written by `scripts/gen_image_fixtures.py` into
//! `tests/fixtures/images/`; and the handling of bad images, alone and in a column.

use std::path::PathBuf;

use modelwatch_core::descriptors::image::{
    describe_image, describe_image_column, DescriptorKind, DescriptorValue, ImageError,
    ImageFailureReason, ImageLimits, IMAGE_DESCRIPTORS, IMAGE_DESCRIPTOR_NAMES,
};
use modelwatch_core::table::ColumnData;
use serde_json::Value;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/images")
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(name)).unwrap()
}

fn expected() -> Value {
    serde_json::from_slice(&read("expected.json")).unwrap()
}

/// Descriptors that do not depend on how the pixels were decoded: equal for lossy files too.
const DECODER_INDEPENDENT: [&str; 15] = [
    "format",
    "mode",
    "channels",
    "bytes",
    "width",
    "height",
    "aspect_ratio",
    "area",
    "make",
    "model",
    "software",
    "orientation",
    "iso",
    "exposure_time",
    "focal_length",
];

#[test]
fn descriptors_match_the_peers_on_every_fixture() {
    let expected = expected();
    let tolerance = &expected["tolerance"];
    let tol = |key: &str| tolerance[key].as_f64().unwrap();
    let mut compared = 0;
    let mut failures = Vec::new();
    for record in expected["images"].as_array().unwrap() {
        let file = record["file"].as_str().unwrap();
        let outcome = describe_image(&read(file), &ImageLimits::default());
        if let Some(reason) = record["error"].as_str() {
            match outcome {
                Err(e) => assert_eq!(e.reason().as_str(), reason, "{file}: {e}"),
                Ok(_) => failures.push(format!("{file}: described, expected {reason}")),
            }
            continue;
        }
        let descriptors = match outcome {
            Ok(d) => d,
            Err(e) => {
                failures.push(format!("{file}: {e}"));
                continue;
            }
        };
        let lossy = record["lossy"].as_bool().unwrap();
        for d in IMAGE_DESCRIPTORS {
            let want = &record["expected"][d.name()];
            let exact = !lossy || DECODER_INDEPENDENT.contains(&d.name());
            let (rel, abs) = if exact {
                (tol("lossless_relative"), tol("lossless_absolute"))
            } else {
                (tol("lossy_relative"), tol("lossy_absolute"))
            };
            compared += 1;
            match descriptors.value(d) {
                DescriptorValue::Number(got) => {
                    let want = want.as_f64();
                    let ok = match (got, want) {
                        (Some(g), Some(w)) => (g - w).abs() <= abs.max(rel * w.abs()),
                        (None, None) => true,
                        _ => false,
                    };
                    if !ok {
                        failures.push(format!("{file} {}: got {got:?}, want {want:?}", d.name()));
                    }
                }
                DescriptorValue::Label(got) => {
                    if got.as_deref() != want.as_str() {
                        failures.push(format!("{file} {}: got {got:?}, want {want}", d.name()));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(compared > 800, "only {compared} values compared");
}

#[test]
fn descriptor_names_are_unique_and_listed_once() {
    let mut names = IMAGE_DESCRIPTOR_NAMES.to_vec();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), IMAGE_DESCRIPTORS.len());
    for (d, name) in IMAGE_DESCRIPTORS.iter().zip(IMAGE_DESCRIPTOR_NAMES) {
        assert_eq!(d.name(), name);
    }
}

#[test]
fn bad_files_fail_with_their_reason() {
    let limits = ImageLimits::default();
    assert_eq!(describe_image(&[], &limits), Err(ImageError::Empty));
    assert_eq!(
        describe_image(&read("not_an_image.txt"), &limits),
        Err(ImageError::UnknownFormat)
    );
    assert_eq!(
        describe_image(&read("truncated.jpg"), &limits),
        Err(ImageError::Truncated)
    );
    assert!(matches!(
        describe_image(&read("corrupt.png"), &limits),
        Err(ImageError::Corrupt(_))
    ));
    // The header says 20000 x 20000; the file holds a few hundred bytes. The limit refuses it
    // from the header, before a 400-megapixel buffer would be allocated.
    let bomb = read("bomb_20000x20000.png");
    assert!(bomb.len() < 1000);
    assert_eq!(
        describe_image(&bomb, &limits),
        Err(ImageError::TooManyPixels {
            width: 20000,
            height: 20000,
            max_pixels: 100_000_000
        })
    );
    // A lower limit refuses an ordinary image the same way.
    let small = ImageLimits {
        max_pixels: 1000,
        ..Default::default()
    };
    assert_eq!(
        describe_image(&read("pattern.png"), &small).map(|d| d.width),
        Err(ImageError::TooManyPixels {
            width: 96,
            height: 64,
            max_pixels: 1000
        })
    );
    // Garbage after a valid signature is not a crash either.
    let mut fake = b"\x89PNG\r\n\x1a\n".to_vec();
    fake.extend_from_slice(&[0xff; 40]);
    assert!(describe_image(&fake, &limits).is_err());
    // A format the leading bytes name but this build does not decode.
    let avif = b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf".to_vec();
    assert_eq!(
        describe_image(&avif, &limits).map_err(|e| e.reason()),
        Err(ImageFailureReason::UnsupportedFormat)
    );
    let mut half_jpeg = read("pattern.jpg");
    half_jpeg.truncate(20);
    assert!(describe_image(&half_jpeg, &limits).is_err());
}

#[test]
fn one_pixel_image_is_described() {
    let d = describe_image(&read("one_pixel.png"), &ImageLimits::default()).unwrap();
    assert_eq!((d.width, d.height), (1, 1));
    assert_eq!(d.light.contrast, 0.0);
    assert_eq!(d.sharpness, 0.0);
    assert_eq!(d.light.entropy, 0.0);
}

#[test]
fn a_column_counts_failures_per_reason_and_keeps_the_rest() {
    let files = [
        "chelsea.png",
        "truncated.jpg",
        "exif_phone.png",
        "empty.jpg",
        "bomb_20000x20000.png",
        "not_an_image.txt",
        "pattern.gif",
        "empty.jpg",
    ];
    let mut images: Vec<Option<Vec<u8>>> = files.iter().map(|f| Some(read(f))).collect();
    images.insert(2, None);
    // Enough rows to span several parallel chunks.
    for _ in 0..150 {
        images.push(Some(read("one_pixel.png")));
    }
    let rows = images.len();
    let out = describe_image_column(
        "photo",
        rows,
        |r| images[r].as_deref().map(Ok),
        &ImageLimits::default(),
    );

    assert_eq!(out.table.rows(), rows);
    assert_eq!(out.table.columns().len(), IMAGE_DESCRIPTORS.len());
    assert_eq!(out.missing, 1);
    let counts = out.failure_counts();
    assert_eq!(counts[&ImageFailureReason::Truncated], 1);
    assert_eq!(counts[&ImageFailureReason::Empty], 2);
    assert_eq!(counts[&ImageFailureReason::TooManyPixels], 1);
    assert_eq!(counts[&ImageFailureReason::UnknownFormat], 1);
    assert_eq!(counts.values().sum::<usize>(), 5);
    let failed_rows: Vec<usize> = out.failures.iter().map(|f| f.row).collect();
    assert_eq!(failed_rows, vec![1, 4, 5, 6, 8]);

    for (d, column) in IMAGE_DESCRIPTORS.iter().zip(out.table.columns()) {
        assert_eq!(column.name, format!("photo.{}", d.name()));
        match (d.kind(), &column.data) {
            (DescriptorKind::Numerical, ColumnData::Float(_)) => {}
            (DescriptorKind::Categorical, ColumnData::Str(_)) => {}
            (kind, data) => panic!("{} is {kind:?} but {}", d.name(), data.physical_name()),
        }
        // Missing and failed rows are missing in every descriptor column.
        for row in [1, 2, 4, 5, 6, 8] {
            assert!(column.data.is_missing(row), "{} row {row}", column.name);
        }
    }
    let width = out.table.column("photo.width").unwrap();
    let ColumnData::Float(width) = &width.data else {
        panic!("width is not a float column")
    };
    assert_eq!(width[0], 225.0);
    assert_eq!(width[rows - 1], 1.0);
    let model = out.table.column("photo.model").unwrap();
    let ColumnData::Str(model) = &model.data else {
        panic!("model is not a string column")
    };
    assert_eq!(model.get(3), Some("PC-9"));
    assert_eq!(model.get(0), None);
    let format = out.table.column("photo.format").unwrap();
    let ColumnData::Str(format) = &format.data else {
        panic!("format is not a string column")
    };
    assert_eq!(format.get(7), Some("gif"));
}

#[test]
fn damaged_files_never_panic() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20);
    let limits = ImageLimits::default();
    let mut failed = 0;
    for name in [
        "pattern.png",
        "pattern.jpg",
        "pattern.gif",
        "pattern.webp",
        "pattern.bmp",
        "pattern.tiff",
        "exif_phone.png",
        "exif_full.jpg",
        "rgb16.png",
    ] {
        let original = read(name);
        for _ in 0..40 {
            let mut damaged = original.clone();
            for _ in 0..rng.random_range(1..8) {
                let at = rng.random_range(0..damaged.len());
                damaged[at] = rng.random();
            }
            if rng.random_bool(0.3) {
                let keep = rng.random_range(1..damaged.len());
                damaged.truncate(keep);
            }
            if describe_image(&damaged, &limits).is_err() {
                failed += 1;
            }
        }
    }
    // Some damage goes unnoticed (a flipped pixel byte in an uncompressed file); most does not.
    assert!(failed > 50, "{failed}");
}
