//! `modelwatch report` on folders of images: each image becomes a row of descriptor
//! columns (`image.width`, `image.brightness`, ...) that the presets test like any column;
//! an image that cannot be described is a missing value, said on standard error.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/images");

/// Runs `modelwatch report REFERENCE CURRENT` with `flags`; the exit code and standard error.
fn report(reference: &Path, current: &Path, flags: &[&std::ffi::OsStr]) -> (Option<i32>, String) {
    let out = Command::cargo_bin("modelwatch")
        .unwrap()
        .arg("report")
        .args(flags)
        .arg("--reference")
        .arg(reference)
        .arg("--current")
        .arg(current)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn copy(names: &[&str], to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for n in names {
        std::fs::copy(Path::new(FIXTURES).join(n), to.join(n)).unwrap();
    }
}

#[test]
fn folders_of_images_are_compared_by_their_descriptors() {
    let dir = tempfile::tempdir().unwrap();
    let (reference, current) = (dir.path().join("ref"), dir.path().join("cur"));
    // Photographs against generated patterns in other formats and sizes, with a truncated
    // file and a text file among them.
    copy(
        &[
            "astronaut.jpg",
            "chelsea.png",
            "coffee.webp",
            "camera_grey.jpg",
            "camera_grey.png",
            "odd_333x77.jpg",
        ],
        &reference,
    );
    copy(
        &[
            "pattern.png",
            "pattern.jpg",
            "pattern.gif",
            "pattern.bmp",
            "pattern.tiff",
            "pattern.webp",
            "exif_phone.png",
            "black.png",
            "truncated.jpg",
            "not_an_image.txt",
        ],
        &current.join("nested"),
    );
    let json = dir.path().join("out.json");
    let (code, stderr) = report(
        &reference,
        &current,
        &[
            "--preset".as_ref(),
            "drift".as_ref(),
            "--json".as_ref(),
            json.as_os_str(),
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("1 of 9 images could not be described (truncated 1)")
            && stderr.contains("nested/truncated.jpg"),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 file(s) without an image extension"),
        "{stderr}"
    );

    let v: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let columns = v["drift"]["columns"].as_array().unwrap();
    let column = |name: &str| {
        columns
            .iter()
            .find(|c| c["column"] == name)
            .unwrap_or_else(|| panic!("no drift entry for {name}"))
    };
    // The file names are the rows' ids, not a column to test.
    assert!(columns.iter().all(|c| c["column"] != "file"));
    let format = column("image.format");
    assert_eq!(format["type"], "categorical");
    assert_eq!(format["current_missing"], 1);
    assert_eq!(format["drifted"], true);
    let labels: Vec<&str> = format["distribution"]["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    for l in ["jpeg", "png", "webp", "gif", "bmp", "tiff"] {
        assert!(labels.contains(&l), "{labels:?}");
    }
    let brightness = column("image.brightness");
    assert_eq!(brightness["type"], "numerical");
    assert_eq!(brightness["method"], "ks");
    assert_eq!(brightness["reference_rows"], 6);
    assert_eq!(brightness["current_rows"], 9);
    assert!(brightness["score"].as_f64().unwrap() < 0.05);
    assert_eq!(column("image.model")["type"], "categorical");
}

#[test]
fn a_folder_without_images_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.csv"), "x\n1\n2\n").unwrap();
    let empty = dir.path().join("photos");
    std::fs::create_dir(&empty).unwrap();
    std::fs::write(empty.join("readme.txt"), "no images here").unwrap();
    let (code, stderr) = report(&empty, &empty, &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("a folder with no image files") && stderr.contains("1 other file"),
        "{stderr}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
}

#[test]
fn an_image_column_of_a_table_is_replaced_by_its_descriptors() {
    let dir = tempfile::tempdir().unwrap();
    copy(
        &[
            "astronaut.jpg",
            "chelsea.png",
            "coffee.webp",
            "camera_grey.png",
        ],
        &dir.path().join("photos"),
    );
    // The reference names files relative to its own folder; the current carries base64
    // (one with a data: prefix), and one row names a file that is not there.
    let reference = dir.path().join("reference.csv");
    std::fs::write(
        &reference,
        "photo,label\nphotos/astronaut.jpg,a\nphotos/chelsea.png,b\n\
         photos/coffee.webp,a\nphotos/camera_grey.png,b\n",
    )
    .unwrap();
    let b64 = |name: &str| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .encode(std::fs::read(Path::new(FIXTURES).join(name)).unwrap())
    };
    let current = dir.path().join("current.csv");
    std::fs::write(
        &current,
        format!(
            "photo,label\n{},a\n\"data:image/png;base64,{}\",b\n{},a\nphotos/gone.jpg,b\n",
            b64("pattern.png"),
            b64("black.png"),
            b64("pattern.gif")
        ),
    )
    .unwrap();
    let json = dir.path().join("out.json");
    let flags = ["--preset", "drift", "--image", "photo", "--json"].map(std::ffi::OsStr::new);
    let (code, stderr) = report(
        &reference,
        &current,
        &[&flags[..], &[json.as_os_str()]].concat(),
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains(
            "column `photo`: 1 of 4 images could not be described (unreadable 1), e.g. row 4"
        ),
        "{stderr}"
    );
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let columns = v["drift"]["columns"].as_array().unwrap();
    let names: Vec<&str> = columns
        .iter()
        .map(|c| c["column"].as_str().unwrap())
        .collect();
    assert!(!names.contains(&"photo"), "{names:?}");
    assert!(names.contains(&"label") && names.contains(&"photo.brightness"));
    let format = columns
        .iter()
        .find(|c| c["column"] == "photo.format")
        .unwrap();
    assert_eq!(format["type"], "categorical");
    assert_eq!(format["current_missing"], 1);

    // A column that is not text is refused in one line.
    let (code, stderr) = report(&reference, &current, &["--image".as_ref(), "nope".as_ref()]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("image column `nope`: no such column"),
        "{stderr}"
    );
}

/// A small PNG of `width` x `height` whose brightness is `level`.
fn png(width: u32, height: u32, level: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([
            level,
            level.saturating_add((x % 7) as u8),
            level.saturating_sub((y % 5) as u8),
        ])
    });
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// The `figcaption` labels of one strip of the Images section, in order.
fn captions<'a>(html: &'a str, strip_title: &str) -> Vec<&'a str> {
    let start = html.find(strip_title).unwrap();
    let strip = &html[start..];
    let strip = &strip[..strip.find("</div>").unwrap()];
    strip
        .split("<figcaption>")
        .skip(1)
        .map(|c| &c[..c.find("<br>").unwrap()])
        .collect()
}

#[test]
fn the_html_report_shows_the_new_cameras_images_and_stays_small() {
    let dir = tempfile::tempdir().unwrap();
    let (reference, current) = (dir.path().join("ref"), dir.path().join("cur"));
    std::fs::create_dir_all(&reference).unwrap();
    std::fs::create_dir_all(&current).unwrap();
    for i in 0..200u32 {
        let name = format!("old_{i:04}.png");
        std::fs::write(reference.join(name), png(64, 48, 60 + (i % 90) as u8)).unwrap();
    }
    // 1,000 current images: most from the old camera, 50 portraits from a new one.
    for i in 0..1000u32 {
        let (name, bytes) = if i % 20 == 7 {
            (format!("new_{i:04}.png"), png(48, 64, 60 + (i % 90) as u8))
        } else {
            (format!("old_{i:04}.png"), png(64, 48, 60 + (i % 90) as u8))
        };
        std::fs::write(current.join(name), bytes).unwrap();
    }
    let html = dir.path().join("report.html");
    let (code, stderr) = report(
        &reference,
        &current,
        &[
            "--preset".as_ref(),
            "drift".as_ref(),
            "--html".as_ref(),
            html.as_os_str(),
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<section id=\"images\">"));
    assert!(page.contains("<a href=\"#images\">Images</a>"));
    // Chosen on a descriptor that drifted (the portraits differ in shape and file size).
    assert!(page.contains("</code>, which drifted"));
    let current_captions = captions(&page, "Current, farthest from the reference");
    assert_eq!(current_captions.len(), 8);
    assert!(
        current_captions.iter().all(|c| c.starts_with("new_")),
        "{current_captions:?}"
    );
    let reference_captions = captions(&page, "Reference, typical");
    assert_eq!(reference_captions.len(), 8);
    assert!(reference_captions.iter().all(|c| c.starts_with("old_")));
    assert_eq!(page.matches("src=\"data:image/jpeg;base64,").count(), 16);
    assert!(page.len() < 1_000_000, "{} bytes", page.len());
}

#[test]
fn a_binary_parquet_image_column_is_described_and_shown() {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, BinaryArray, RecordBatch, StringArray};

    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, images: Vec<Vec<u8>>| {
        let path = dir.path().join(name);
        let labels: Vec<&str> = (0..images.len())
            .map(|i| if i % 2 == 0 { "a" } else { "b" })
            .collect();
        let refs: Vec<Option<&[u8]>> = images.iter().map(|b| Some(b.as_slice())).collect();
        let batch = RecordBatch::try_from_iter([
            ("label", Arc::new(StringArray::from(labels)) as ArrayRef),
            ("photo", Arc::new(BinaryArray::from(refs)) as ArrayRef),
        ])
        .unwrap();
        let file = std::fs::File::create(&path).unwrap();
        let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        path
    };
    let reference = write(
        "ref.parquet",
        (0..30).map(|i| png(40, 30, 50 + i)).collect(),
    );
    let mut current_images: Vec<Vec<u8>> = (0..30).map(|i| png(40, 30, 150 + i)).collect();
    current_images[3] = b"garbage".to_vec();
    let current = write("cur.parquet", current_images);
    let (json, html) = (dir.path().join("out.json"), dir.path().join("out.html"));
    let flags = ["--preset", "drift", "--image", "photo", "--json"].map(std::ffi::OsStr::new);
    let (code, stderr) = report(
        &reference,
        &current,
        &[
            &flags[..],
            &[json.as_os_str(), "--html".as_ref(), html.as_os_str()],
        ]
        .concat(),
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains(
            "column `photo`: 1 of 30 images could not be described (unknown_format 1), e.g. row 4"
        ),
        "{stderr}"
    );
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let brightness = v["drift"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["column"] == "photo.brightness")
        .unwrap();
    assert_eq!(brightness["drifted"], true);
    assert_eq!(brightness["current_missing"], 1);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<code>photo.brightness</code>, which drifted"));
    // The brightest current images (rows 30, 29, ...) are the farthest from the reference.
    assert_eq!(
        captions(&page, "Current, farthest from the reference")[..2],
        ["row 30", "row 29"]
    );
    assert_eq!(page.matches("src=\"data:image/jpeg;base64,").count(), 16);

    // Without --image, the binary column is refused by name.
    let (code, stderr) = report(&reference, &current, &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("photo"), "{stderr}");
}

#[test]
fn image_columns_can_come_from_the_config() {
    let dir = tempfile::tempdir().unwrap();
    copy(&["astronaut.jpg", "chelsea.png", "coffee.webp"], dir.path());
    let table = dir.path().join("t.csv");
    std::fs::write(&table, "photo\nastronaut.jpg\nchelsea.png\ncoffee.webp\n").unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(&config, "[columns]\nimages = [\"photo\"]\n").unwrap();
    let (json, html) = (dir.path().join("out.json"), dir.path().join("out.html"));
    let flags = ["--preset", "drift", "--config"].map(std::ffi::OsStr::new);
    let (code, stderr) = report(
        &table,
        &table,
        &[
            &flags[..],
            &[config.as_os_str(), "--json".as_ref(), json.as_os_str()],
            &["--html".as_ref(), html.as_os_str()],
        ]
        .concat(),
    );
    assert_eq!(code, Some(0), "{stderr}");
    // Example images of a table's column of file names are read again for the page.
    let page = std::fs::read_to_string(&html).unwrap();
    assert_eq!(
        page.matches("src=\"data:image/jpeg;base64,").count(),
        6,
        "{stderr}"
    );
    assert_eq!(captions(&page, "Reference, typical").len(), 3);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let width = v["drift"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["column"] == "photo.width")
        .unwrap();
    // Numerical descriptors are numerical however few distinct values they have.
    assert_eq!(width["type"], "numerical");
}

/// The `summary` preset's mean of a descriptor column of the current data.
fn current_mean(json: &Path, column: &str) -> f64 {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    v["summary"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["column"] == column)
        .unwrap_or_else(|| panic!("no summary of {column}"))["current"]["numeric"]["mean"]
        .as_f64()
        .unwrap()
}

#[test]
fn the_sample_setting_reduces_the_pixels_not_the_geometry() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("photos");
    copy(&["astronaut.jpg", "chelsea.png", "coffee.webp"], &folder);
    let run = |extra: &[&std::ffi::OsStr], out: &Path| {
        let flags = ["--preset", "summary", "--json"].map(std::ffi::OsStr::new);
        report(
            &folder,
            &folder,
            &[&flags[..], &[out.as_os_str()], extra].concat(),
        )
    };
    let (full, flag, config_out) = (
        dir.path().join("full.json"),
        dir.path().join("flag.json"),
        dir.path().join("config.json"),
    );
    assert_eq!(run(&[], &full).0, Some(0));
    let (code, stderr) = run(&["--image-sample-pixels".as_ref(), "1024".as_ref()], &flag);
    assert_eq!(code, Some(0), "{stderr}");
    let config = dir.path().join("c.toml");
    std::fs::write(&config, "[images]\nsample_pixels = 1024\n").unwrap();
    let (code, stderr) = run(&["--config".as_ref(), config.as_os_str()], &config_out);
    assert_eq!(code, Some(0), "{stderr}");
    for column in ["image.width", "image.height", "image.area", "image.bytes"] {
        assert_eq!(current_mean(&flag, column), current_mean(&full, column));
    }
    let (a, b) = (
        current_mean(&full, "image.brightness"),
        current_mean(&flag, "image.brightness"),
    );
    assert!((a - b).abs() / a < 0.005, "{a} vs {b}");
    // Sharpness is that of the reduced images, so it differs.
    assert_ne!(
        current_mean(&full, "image.sharpness"),
        current_mean(&flag, "image.sharpness")
    );
    // The flag and the config key mean the same.
    assert_eq!(
        current_mean(&flag, "image.sharpness"),
        current_mean(&config_out, "image.sharpness")
    );

    let (code, stderr) = run(&["--image-sample-pixels".as_ref(), "0".as_ref()], &flag);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("--image-sample-pixels must be between 1024 and 100000000 pixels, got 0"),
        "{stderr}"
    );
}
