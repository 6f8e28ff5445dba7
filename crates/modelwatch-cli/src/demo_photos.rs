//! The demo's `photos` project: a model that classifies phone photos, and the traffic of a
//! phone fleet into which a new camera arrives.
//!
//! Photos are drawn here at run time (no downloads): a sky gradient over ground, a sun and a
//! few objects, then the camera's look: its frame shape, colour balance, exposure and sensor
//! noise, encoded as JPEG with the camera's EXIF `Make`, `Model`, `Software` and `Orientation`.
//! Until `camera_start` every photo comes from the fleet's old camera; from then on the new
//! camera's share of the traffic grows to [`NEW_CAMERA_MAX_SHARE`] over
//! [`NEW_CAMERA_RAMP_SECONDS`]. Its photos are 16:9 instead of 4:3, cooler, brighter and
//! noisier, and carry another EXIF model: the drift the image descriptors are there to catch.

use std::io::Cursor;

use base64::Engine;
use exif::experimental::Writer;
use exif::{Field, In, Tag, Value};
use image::codecs::jpeg::JpegEncoder;
use image::{ExtendedColorType, ImageEncoder, Rgb, RgbImage};
use serde_json::json;

use crate::demo_cmd::SplitMix;

/// How a camera renders a scene.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Camera {
    /// EXIF `Make`.
    pub make: &'static str,
    /// EXIF `Model`.
    pub model: &'static str,
    /// EXIF `Software`.
    pub software: &'static str,
    /// Frame width in pixels.
    pub width: u32,
    /// Frame height in pixels.
    pub height: u32,
    /// Gains of the red, green and blue channels (the colour balance).
    pub gains: [f32; 3],
    /// Added to every channel (exposure).
    pub offset: f32,
    /// Standard deviation of the sensor noise, in levels.
    pub noise: f32,
}

/// The camera the model was trained on: 4:3, warm, clean.
pub const OLD_CAMERA: Camera = Camera {
    make: "Acme",
    model: "Acme A7",
    software: "A7 camera 2.1",
    width: 192,
    height: 144,
    gains: [1.06, 1.0, 0.9],
    offset: 0.0,
    noise: 3.0,
};

/// The phone that ships later: 16:9, cooler, brighter, noisier.
pub const NEW_CAMERA: Camera = Camera {
    make: "Nova",
    model: "Nova X2",
    software: "X2 imaging 1.0",
    width: 192,
    height: 108,
    gains: [0.9, 1.0, 1.15],
    offset: 22.0,
    noise: 11.0,
};

/// The new camera's largest share of the photos.
pub const NEW_CAMERA_MAX_SHARE: f64 = 0.6;

/// Seconds over which the new camera's share grows from 0 to its largest.
pub const NEW_CAMERA_RAMP_SECONDS: f64 = 30.0;

/// The new camera's share of the photos at `t` seconds (`start`: when it first appears).
pub fn new_camera_share(t: f64, start: f64) -> f64 {
    if t < start {
        return 0.0;
    }
    ((t - start) / NEW_CAMERA_RAMP_SECONDS).min(1.0) * NEW_CAMERA_MAX_SHARE
}

/// Draws one photo of a random scene as `camera` takes it; JPEG bytes with EXIF.
pub fn photo(rng: &mut SplitMix, camera: &Camera) -> anyhow::Result<Vec<u8>> {
    encode(&draw(rng, camera), camera)
}

/// Draws one scene as `camera` renders it.
fn draw(rng: &mut SplitMix, camera: &Camera) -> RgbImage {
    let (w, h) = (camera.width, camera.height);
    let horizon = (0.45 + 0.2 * rng.unit()) * f64::from(h);
    let sky_top = [
        60.0 + 40.0 * rng.unit(),
        110.0 + 50.0 * rng.unit(),
        200.0 + 40.0 * rng.unit(),
    ];
    let ground = [
        60.0 + 60.0 * rng.unit(),
        90.0 + 60.0 * rng.unit(),
        40.0 + 30.0 * rng.unit(),
    ];
    let sun = (
        rng.unit() * f64::from(w),
        rng.unit() * horizon * 0.8,
        8.0 + 10.0 * rng.unit(),
    );
    let objects: Vec<(f64, f64, f64, f64, [f64; 3])> = (0..3)
        .map(|_| {
            let x = rng.unit() * f64::from(w);
            let y = horizon + rng.unit() * (f64::from(h) - horizon);
            let s = 6.0 + 20.0 * rng.unit();
            let c = [255.0 * rng.unit(), 255.0 * rng.unit(), 255.0 * rng.unit()];
            (x, y - s, s, s * (0.6 + rng.unit()), c)
        })
        .collect();
    let mut img = RgbImage::new(w, h);
    for (x, y, px) in img.enumerate_pixels_mut() {
        let (fx, fy) = (f64::from(x), f64::from(y));
        let mut c = if fy < horizon {
            let k = fy / horizon;
            [
                sky_top[0] + 80.0 * k,
                sky_top[1] + 60.0 * k,
                sky_top[2] + 10.0 * k,
            ]
        } else {
            ground
        };
        if (fx - sun.0).powi(2) + (fy - sun.1).powi(2) < sun.2 * sun.2 {
            c = [255.0, 240.0, 180.0];
        }
        for (ox, oy, ow, oh, oc) in &objects {
            if fx >= *ox && fx < ox + ow && fy >= *oy && fy < oy + oh {
                c = *oc;
            }
        }
        let mut out = [0u8; 3];
        for i in 0..3 {
            let noise = rng.normal() * f64::from(camera.noise);
            let v = c[i] * f64::from(camera.gains[i]) + f64::from(camera.offset) + noise;
            out[i] = v.round().clamp(0.0, 255.0) as u8;
        }
        *px = Rgb(out);
    }
    img
}

/// JPEG (quality 85) with the camera's EXIF.
fn encode(img: &RgbImage, camera: &Camera) -> anyhow::Result<Vec<u8>> {
    let ascii = |tag: Tag, text: &str| Field {
        tag,
        ifd_num: In::PRIMARY,
        value: Value::Ascii(vec![text.as_bytes().to_vec()]),
    };
    let fields = [
        ascii(Tag::Make, camera.make),
        ascii(Tag::Model, camera.model),
        ascii(Tag::Software, camera.software),
        Field {
            tag: Tag::Orientation,
            ifd_num: In::PRIMARY,
            value: Value::Short(vec![1]),
        },
    ];
    let mut writer = Writer::new();
    for f in &fields {
        writer.push_field(f);
    }
    let mut tiff = Cursor::new(Vec::new());
    writer.write(&mut tiff, false)?;
    let mut out = Vec::with_capacity(16 * 1024);
    let mut encoder = JpegEncoder::new_with_quality(&mut out, 85);
    encoder.set_exif_metadata(tiff.into_inner())?;
    encoder.write_image(
        img.as_raw(),
        img.width(),
        img.height(),
        ExtendedColorType::Rgb8,
    )?;
    Ok(out)
}

/// The photo model's answer: whether a photo is a daytime scene, from its brightness (the
/// descriptor's own definition; a stand-in for a real classifier that the new camera's
/// exposure fools).
fn predict_daytime(img: &RgbImage) -> &'static str {
    let brightness = modelwatch_core::descriptors::image::light::light(img).brightness;
    if brightness > 120.0 {
        "day"
    } else {
        "dusk"
    }
}

/// The photo traffic: photo `n` is a function of the seed and `n` only.
pub struct PhotoTraffic {
    rng: SplitMix,
    rate: f64,
    camera_start: f64,
    /// Photos generated so far.
    pub sent: u64,
}

impl PhotoTraffic {
    /// Traffic of `rate` photos per second whose new camera appears at `camera_start`.
    pub fn new(seed: u64, rate: f64, camera_start: f64) -> Self {
        Self {
            rng: SplitMix(seed ^ 0x7068_6f74_6f73),
            rate,
            camera_start,
            sent: 0,
        }
    }

    /// The next photo (drawn, not yet encoded) and the camera that took it.
    pub fn next_photo(&mut self) -> (RgbImage, &'static Camera) {
        let t = self.sent as f64 / self.rate;
        self.sent += 1;
        let camera = if self.rng.unit() < new_camera_share(t, self.camera_start) {
            &NEW_CAMERA
        } else {
            &OLD_CAMERA
        };
        (draw(&mut self.rng, camera), camera)
    }

    /// The next prediction event: the photo as base64 under `photo`, the model's prediction
    /// and the serving facts.
    pub fn next_event(&mut self) -> anyhow::Result<serde_json::Value> {
        let n = self.sent;
        let (img, camera) = self.next_photo();
        let jpeg = encode(&img, camera)?;
        let latency = 0.03 + 0.02 * self.rng.unit();
        Ok(json!({
            "id": format!("photo{n}"),
            "photo": base64::engine::general_purpose::STANDARD.encode(&jpeg),
            "prediction": predict_daytime(&img),
            "latency_seconds": (latency * 1e4).round() / 1e4,
            "status": 200,
        }))
    }
}

/// The project's reference: `count` photos of the old camera in a zip archive (stored, not
/// deflated: JPEG does not shrink further).
pub fn reference_zip(seed: u64, count: usize) -> anyhow::Result<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, jpeg) in reference_photos(seed, count)? {
        zip.start_file(format!("train/{name}"), options)?;
        std::io::Write::write_all(&mut zip, &jpeg)?;
    }
    Ok(zip.finish()?.into_inner())
}

/// `count` photos of the old camera for the project's reference, as (file name, JPEG);
/// photo `i` depends on the seed and `i` only, so they are drawn in parallel.
pub fn reference_photos(seed: u64, count: usize) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    use rayon::prelude::*;
    (0..count)
        .into_par_iter()
        .map(|i| {
            let mut rng = SplitMix(
                seed ^ 0x7265_6665_7265_6e63 ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            );
            Ok((format!("train_{i:04}.jpg"), photo(&mut rng, &OLD_CAMERA)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use modelwatch_core::descriptors::image::{describe_image, ImageLimits};

    #[test]
    fn photos_carry_their_cameras_shape_exif_and_look() {
        let mut rng = SplitMix(5);
        let limits = ImageLimits::default();
        let describe = |camera: &Camera, rng: &mut SplitMix| {
            describe_image(&photo(rng, camera).unwrap(), &limits).unwrap()
        };
        let old: Vec<_> = (0..20).map(|_| describe(&OLD_CAMERA, &mut rng)).collect();
        let new: Vec<_> = (0..20).map(|_| describe(&NEW_CAMERA, &mut rng)).collect();
        assert_eq!((old[0].width, old[0].height), (192, 144));
        assert_eq!((new[0].width, new[0].height), (192, 108));
        assert_eq!(old[0].format, "jpeg");
        assert_eq!(old[0].exif.make.as_deref(), Some("Acme"));
        assert_eq!(old[0].exif.model.as_deref(), Some("Acme A7"));
        assert_eq!(new[0].exif.model.as_deref(), Some("Nova X2"));
        assert_eq!(new[0].exif.orientation, Some(1));
        let mean =
            |v: &[_], f: fn(&modelwatch_core::descriptors::image::ImageDescriptors) -> f64| {
                v.iter().map(f).sum::<f64>() / v.len() as f64
            };
        // Cooler (more blue), brighter and noisier (sharper by the Laplacian) than the old.
        assert!(mean(&new, |d| d.light.mean_blue) > mean(&old, |d| d.light.mean_blue) + 0.03);
        assert!(mean(&new, |d| d.light.brightness) > mean(&old, |d| d.light.brightness) + 10.0);
        assert!(mean(&new, |d| d.sharpness) > 2.0 * mean(&old, |d| d.sharpness));
    }

    #[test]
    fn the_new_camera_appears_at_its_start_and_the_traffic_is_deterministic() {
        assert_eq!(new_camera_share(59.0, 60.0), 0.0);
        assert!((new_camera_share(75.0, 60.0) - 0.3).abs() < 1e-12);
        assert_eq!(new_camera_share(500.0, 60.0), NEW_CAMERA_MAX_SHARE);
        let models = |seed| {
            let mut t = PhotoTraffic::new(seed, 4.0, 10.0);
            (0..240).map(|_| t.next_photo().1.model).collect::<Vec<_>>()
        };
        let a = models(3);
        assert_eq!(a, models(3));
        assert!(a[..40].iter().all(|m| *m == "Acme A7"));
        let late_new = a[200..].iter().filter(|m| **m == "Nova X2").count();
        assert!((15..=35).contains(&late_new), "{late_new} of 40");
        let mut t = PhotoTraffic::new(3, 4.0, 10.0);
        let e = t.next_event().unwrap();
        assert_eq!(e["id"], "photo0");
        assert!(e["photo"].as_str().unwrap().starts_with("/9j/"));
        assert!(matches!(e["prediction"].as_str(), Some("day" | "dusk")));
    }

    #[test]
    fn the_reference_zip_holds_the_photos() {
        let bytes = reference_zip(7, 3).unwrap();
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        assert_eq!(archive.len(), 3);
        assert_eq!(archive.by_index(1).unwrap().name(), "train/train_0001.jpg");
    }

    #[test]
    fn reference_photos_are_named_and_from_the_old_camera() {
        let photos = reference_photos(7, 3).unwrap();
        assert_eq!(photos[2].0, "train_0002.jpg");
        let d = describe_image(&photos[0].1, &ImageLimits::default()).unwrap();
        assert_eq!(d.exif.model.as_deref(), Some("Acme A7"));
    }
}
