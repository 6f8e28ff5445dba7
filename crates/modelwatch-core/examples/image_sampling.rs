//! Hand-run measurement (not a test) of what the reduced-work mode changes: every image of a
//! folder (default: the fixtures' photographs) described on every pixel and with
//! `sample_pixels = N` (default 10,000); for each pixel descriptor, the median and largest
//! relative difference (the exposure shares: absolute), and the time per image of both on one
//! thread. With the fixtures, deepchecks' own 10,000-pixel sampling error from
//! `deepchecks.json` is printed beside it. docs/images.md quotes its output.
//!
//! `cargo run --release -p modelwatch-core --example image_sampling [folder] [N]`

use std::path::{Path, PathBuf};
use std::time::Instant;

use modelwatch_core::descriptors::image::{
    describe_image, DescriptorValue, ImageDescriptor, ImageLimits, ImageSettings, PIXEL_DESCRIPTORS,
};

const FIXTURE_PHOTOS: [&str; 6] = [
    "astronaut.jpg",
    "chelsea.png",
    "coffee.webp",
    "coffee_lossy.webp",
    "camera_grey.png",
    "camera_grey.jpg",
];

fn files(folder: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files(&path, out);
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| ["jpg", "jpeg", "png", "webp"].contains(&e))
        {
            out.push(path);
        }
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn main() {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/images");
    let folder = std::env::args().nth(1).map(PathBuf::from);
    let n: u64 = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let paths: Vec<PathBuf> = match &folder {
        Some(f) => {
            let mut out = Vec::new();
            files(f, &mut out);
            out
        }
        None => FIXTURE_PHOTOS.iter().map(|f| fixtures.join(f)).collect(),
    };
    let sampled = ImageSettings {
        sample_pixels: Some(n),
    }
    .limits()
    .expect("N in range");
    let full_limits = ImageLimits::default();
    let mut diffs: Vec<Vec<f64>> = vec![Vec::new(); PIXEL_DESCRIPTORS.len()];
    let (mut full_time, mut sampled_time, mut described) = (0.0, 0.0, 0);
    for path in &paths {
        let bytes = std::fs::read(path).expect("readable");
        let t = Instant::now();
        let Ok(full) = describe_image(&bytes, &full_limits) else {
            continue;
        };
        full_time += t.elapsed().as_secs_f64();
        let t = Instant::now();
        let reduced = describe_image(&bytes, &sampled).expect("described in full, so reduced too");
        sampled_time += t.elapsed().as_secs_f64();
        described += 1;
        for (d, out) in PIXEL_DESCRIPTORS.iter().zip(&mut diffs) {
            let (DescriptorValue::Number(Some(a)), DescriptorValue::Number(Some(b))) =
                (full.value(*d), reduced.value(*d))
            else {
                continue;
            };
            out.push(match d {
                ImageDescriptor::OverexposedShare | ImageDescriptor::UnderexposedShare => {
                    (a - b).abs()
                }
                _ => (a - b).abs() / a.abs().max(1e-12),
            });
        }
    }
    println!(
        "{} images, sample_pixels {n}; one thread: {:.2} ms per image on every pixel, {:.2} ms sampled",
        described,
        full_time * 1e3 / described as f64,
        sampled_time * 1e3 / described as f64
    );
    let deepchecks = folder
        .is_none()
        .then(|| deepchecks_sampling(&fixtures))
        .flatten();
    println!("| descriptor | median | largest | deepchecks' 10,000-pixel sample: largest |");
    println!("| --- | --- | --- | --- |");
    for (d, v) in PIXEL_DESCRIPTORS.iter().zip(diffs) {
        let unit = |x: f64| match d {
            ImageDescriptor::OverexposedShare | ImageDescriptor::UnderexposedShare => {
                format!("{x:.4} (absolute)")
            }
            _ => format!("{:.2}%", x * 100.0),
        };
        let largest = v.iter().copied().fold(0.0, f64::max);
        let dc = deepchecks
            .as_ref()
            .and_then(|m| m.iter().find(|(name, _)| name == d.name()))
            .map_or(String::new(), |(_, x)| format!("{:.2}%", x * 100.0));
        println!(
            "| `{}` | {} | {} | {dc} |",
            d.name(),
            unit(median(v)),
            unit(largest)
        );
    }
}

/// The largest relative difference between deepchecks' default (10,000 sampled pixels) and
/// its every-pixel numbers over the fixture photographs, per property.
fn deepchecks_sampling(fixtures: &Path) -> Option<Vec<(String, f64)>> {
    let text = std::fs::read(fixtures.join("deepchecks.json")).ok()?;
    let json: serde_json::Value = serde_json::from_slice(&text).ok()?;
    let mut out: Vec<(String, f64)> = Vec::new();
    for record in json["images"].as_array()? {
        if !FIXTURE_PHOTOS.contains(&record["file"].as_str()?) {
            continue;
        }
        let (every, sampled) = (&record["every_pixel"], &record["default_sampling"]);
        for name in [
            "brightness",
            "contrast",
            "mean_red",
            "mean_green",
            "mean_blue",
        ] {
            let (Some(a), Some(b)) = (every[name].as_f64(), sampled[name].as_f64()) else {
                continue;
            };
            let rel = (a - b).abs() / a.abs().max(1e-12);
            match out.iter_mut().find(|(n, _)| n == name) {
                Some((_, worst)) => *worst = worst.max(rel),
                None => out.push((name.to_string(), rel)),
            }
        }
    }
    Some(out)
}
