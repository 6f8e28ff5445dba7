//! Parity of the image descriptors with deepchecks 0.19 itself: the numbers
//! `calc_default_image_properties` gives on the committed fixtures, written by
//! `scripts/gen_deepchecks_image_fixtures.py` into `tests/fixtures/images/deepchecks.json`,
//! once on every pixel and once with deepchecks' default sampling of 10,000 pixels.

use std::path::PathBuf;

use modelwatch_core::descriptors::image::{
    describe_image, DescriptorValue, ImageDescriptors, ImageLimits, IMAGE_DESCRIPTORS,
};
use serde_json::Value;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/images")
}

fn read_json(name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(fixtures().join(name)).unwrap()).unwrap()
}

/// deepchecks' default properties, by modelwatch's descriptor names.
const PROPERTIES: [&str; 7] = [
    "aspect_ratio",
    "area",
    "brightness",
    "contrast",
    "mean_red",
    "mean_green",
    "mean_blue",
];

/// The properties that depend only on the image's size, not on its decoded pixels.
const SIZE_PROPERTIES: [&str; 2] = ["aspect_ratio", "area"];

/// The relative intensities, which deepchecks leaves out for one-channel images.
const INTENSITIES: [&str; 3] = ["mean_red", "mean_green", "mean_blue"];

fn number(descriptors: &ImageDescriptors, name: &str) -> f64 {
    let d = IMAGE_DESCRIPTORS
        .iter()
        .find(|d| d.name() == name)
        .unwrap_or_else(|| panic!("no descriptor {name}"));
    match descriptors.value(*d) {
        DescriptorValue::Number(Some(v)) => v,
        other => panic!("{name} is not a number: {other:?}"),
    }
}

fn within(got: f64, want: f64, relative: f64, absolute: f64) -> bool {
    (got - want).abs() <= absolute.max(relative * want.abs())
}

/// modelwatch computes deepchecks' formulas on every pixel, so it must give deepchecks'
/// every-pixel numbers. On lossless files both see the same pixels and the arithmetic is the
/// same up to the order of the float sums, hence 1e-9 (seen: 8e-14). JPEG and lossy WebP are
/// the same bytes but decoded by different decoders (PIL's libjpeg-turbo and libwebp for
/// deepchecks, zune-jpeg and image-webp here), whose pixels differ by a grey level here and
/// there: those files get the lossy tolerance of `expected.json`, the same as the other peers
/// (seen: 0.9% on a relative intensity, 0.06% on brightness), except for the size properties,
/// which stay exact.
#[test]
fn descriptors_match_deepchecks_on_every_pixel() {
    let deepchecks = read_json("deepchecks.json");
    let tolerance = &read_json("expected.json")["tolerance"];
    let tol = |key: &str| tolerance[key].as_f64().unwrap();
    assert_eq!(deepchecks["versions"]["deepchecks"], "0.19.1");
    let images = deepchecks["images"].as_array().unwrap();
    let mut compared = 0;
    let mut grey = 0;
    let mut failures = Vec::new();
    for record in images {
        let file = record["file"].as_str().unwrap();
        let bytes = std::fs::read(fixtures().join(file)).unwrap();
        let descriptors = describe_image(&bytes, &ImageLimits::default())
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let lossy = record["lossy"].as_bool().unwrap();
        let channels = record["shape"][2].as_u64().unwrap();
        let want = &record["every_pixel"];
        for name in PROPERTIES {
            let got = number(&descriptors, name);
            if channels == 1 && INTENSITIES.contains(&name) {
                continue;
            }
            let want = want[name]
                .as_f64()
                .unwrap_or_else(|| panic!("{file} {name}"));
            let (rel, abs) = if lossy && !SIZE_PROPERTIES.contains(&name) {
                (tol("lossy_relative"), tol("lossy_absolute"))
            } else {
                (tol("lossless_relative"), tol("lossless_absolute"))
            };
            compared += 1;
            if !within(got, want, rel, abs) {
                failures.push(format!(
                    "{file} {name}: modelwatch {got}, deepchecks {want}"
                ));
            }
        }
        if channels == 1 {
            // On purpose: deepchecks gives no relative intensities for a one-channel image;
            // modelwatch spreads grey to R = G = B, so each is 1/3 on every pixel that is not
            // black (and 0 on black ones), and grey and colour images share the columns.
            grey += 1;
            let ours: Vec<f64> = INTENSITIES
                .iter()
                .map(|n| number(&descriptors, n))
                .collect();
            for name in INTENSITIES {
                assert!(
                    want[name].is_null(),
                    "{file} {name}: deepchecks gave a number"
                );
            }
            assert!(ours[0] == ours[1] && ours[1] == ours[2], "{file}: {ours:?}");
            assert!(
                ours[0] > 0.0 && ours[0] <= 1.0 / 3.0 + 1e-12,
                "{file}: {ours:?}"
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every fixture that decodes is there: 33 images, of which 4 are one-channel.
    assert_eq!(images.len(), 33);
    assert_eq!(grey, 4);
    assert_eq!(compared, 33 * 7 - 4 * 3);
}

/// deepchecks by default draws 10,000 pixels at random with replacement. On images of at most
/// 10,000 pixels it keeps every pixel in order, so both runs are equal to the last bit. On the
/// larger ones its number is a random estimate of the every-pixel one; the bounds are five
/// standard errors of an estimate from `n` = 10,000 draws:
///
/// - brightness, a mean of grey values whose population sd is the contrast `s`: `5 s / sqrt(n)`;
/// - contrast, a sample sd of values in 0-255: its standard error is at most
///   `127.5 / sqrt(n)` (the fourth central moment is at most `255^2 s^2`), so `5 * 127.5 / sqrt(n)`;
/// - relative intensities, means of values in 0-1 (sd at most 0.5): `5 * 0.5 / sqrt(n)`.
///
/// On these fixtures the sampling moved brightness by up to 1.0 grey level (0.9%), contrast by
/// up to 0.8 (1.4%) and a relative intensity by up to 0.003 (1.3%): what deepchecks' sampling
/// costs, more than the JPEG decoders' differences, and why modelwatch uses every pixel.
#[test]
fn deepchecks_default_sampling_is_within_its_standard_error() {
    let deepchecks = read_json("deepchecks.json");
    let n = deepchecks["default_sample_pixels"].as_f64().unwrap();
    assert_eq!(n, 10_000.0);
    let mut sampled_images = 0;
    for record in deepchecks["images"].as_array().unwrap() {
        let file = record["file"].as_str().unwrap();
        let full = &record["every_pixel"];
        let sampled = &record["default_sampling"];
        let pixels = full["area"].as_f64().unwrap();
        if pixels <= n {
            assert_eq!(full, sampled, "{file}: sampling changed a small image");
            continue;
        }
        sampled_images += 1;
        for name in SIZE_PROPERTIES {
            assert_eq!(full[name], sampled[name], "{file} {name}");
        }
        let f = |key: &str| full[key].as_f64();
        let s = |key: &str| sampled[key].as_f64();
        let contrast = f("contrast").unwrap();
        let brightness_error = (s("brightness").unwrap() - f("brightness").unwrap()).abs();
        assert!(
            brightness_error <= 5.0 * contrast / n.sqrt(),
            "{file}: brightness off by {brightness_error}"
        );
        // A random draw of 10,000 from tens of thousands of pixels does not hit the mean.
        assert!(brightness_error > 0.0, "{file}: sampling did not sample");
        let contrast_error = (s("contrast").unwrap() - contrast).abs();
        assert!(
            contrast_error <= 5.0 * 127.5 / n.sqrt(),
            "{file}: contrast off by {contrast_error}"
        );
        for name in INTENSITIES {
            match (f(name), s(name)) {
                (Some(a), Some(b)) => {
                    assert!(
                        (a - b).abs() <= 5.0 * 0.5 / n.sqrt(),
                        "{file} {name}: {a} vs {b}"
                    )
                }
                (None, None) => assert_eq!(record["shape"][2], 1, "{file}"),
                other => panic!("{file} {name}: {other:?}"),
            }
        }
    }
    // astronaut, chelsea, coffee (lossless and lossy), camera (png and jpg), odd 333 x 77
    // (png and jpg).
    assert_eq!(sampled_images, 8);
}
