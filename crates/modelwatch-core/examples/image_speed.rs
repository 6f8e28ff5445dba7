//! Hand-run image-descriptor benchmark (not a test): skimage's astronaut (the committed
//! fixture) resized to 1024 x 768 and encoded as a quality-90 JPEG, then `describe_image`
//! on it, best of 7 rounds of 20 on one thread; then `describe_image_column` over `n`
//! copies with rayon's threads, as images per second.
//!
//! `cargo run --release -p modelwatch-core --example image_speed [n] [sample_pixels]`
//!
//! With `sample_pixels`, the images are described in the reduced-work mode
//! (`ImageSettings::sample_pixels`).

use std::time::Instant;

use modelwatch_core::descriptors::image::{describe_image, describe_image_column, ImageSettings};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(400);
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/images/astronaut.jpg"
    );
    let photo = image::open(fixture).expect("the fixture decodes");
    let resized = photo.resize_exact(1024, 768, image::imageops::FilterType::Triangle);
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&resized.to_rgb8())
        .expect("encodes");
    let sample_pixels = std::env::args().nth(2).and_then(|s| s.parse().ok());
    let limits = ImageSettings { sample_pixels }
        .limits()
        .expect("a sample_pixels setting in range");

    let best = (0..7)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..20 {
                describe_image(&jpeg, &limits).expect("describes");
            }
            t.elapsed().as_secs_f64() / 20.0
        })
        .fold(f64::INFINITY, f64::min);
    println!(
        "describe_image, 1024 x 768 JPEG ({} KB), sample_pixels {:?}, one thread: {:.2} ms per image (best of 7)",
        jpeg.len() / 1024,
        sample_pixels,
        best * 1e3
    );

    let t = Instant::now();
    let out = describe_image_column("photo", n, |_| Some(Ok(&jpeg[..])), &limits);
    let secs = t.elapsed().as_secs_f64();
    assert!(out.failures.is_empty());
    println!(
        "describe_image_column, {n} images, {} threads: {:.0} images/s",
        rayon::current_num_threads(),
        n as f64 / secs
    );
}
