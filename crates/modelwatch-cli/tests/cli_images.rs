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
