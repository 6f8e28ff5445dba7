//! Sharpness: the variance of the Laplacian of the luminance grey image.
//!
//! `sharpness = var(lap)` with `lap(x, y) = Y(x-1, y) + Y(x+1, y) + Y(x, y-1) + Y(x, y+1) - 4 Y(x, y)`
//! over every pixel (population variance), where `Y` is the BT.709 luminance on 0–255 (see
//! [`super::light`]) and the image is extended past its edges by reflection without repeating
//! the edge pixel (`dcb|abcd|cba`), OpenCV's default `BORDER_REFLECT_101`.
//!
//! This is OpenCV's `cv2.Laplacian(grey, cv2.CV_64F).var()` (aperture 1), the classic
//! blur measure of Pech-Pacheco et al., "Diatom autofocusing in brightfield microscopy" (2000).
//! deepchecks' `texture_level` computes the same on `rgb2gray` scaled to 0–1, so its number is
//! modelwatch's divided by 255².
//!
//! The grey image is never materialised: three grey rows are kept at a time. The luminance
//! times 10,000 is an integer, and so is its Laplacian, so the variance comes out of exact
//! integer sums.

use ::image::RgbImage;

use super::light::{luminance_x10000, ExactMoments};

/// The index `i` (possibly one past either end) reflected into `0..len` as `BORDER_REFLECT_101`.
#[inline]
fn reflect(i: isize, len: usize) -> usize {
    if len == 1 {
        0
    } else if i < 0 {
        (-i) as usize
    } else if i as usize >= len {
        2 * len - 2 - i as usize
    } else {
        i as usize
    }
}

/// Writes the luminance of row `y` into `out`.
fn grey_row(rgb: &RgbImage, y: usize, out: &mut [i64]) {
    let width = rgb.width() as usize;
    let row = &rgb.as_raw()[y * width * 3..(y + 1) * width * 3];
    for (o, p) in out.iter_mut().zip(row.chunks_exact(3)) {
        *o = luminance_x10000(p[0], p[1], p[2]);
    }
}

/// The variance of the Laplacian of the luminance grey of an image with at least one pixel.
pub fn laplacian_variance(rgb: &RgbImage) -> f64 {
    let width = rgb.width() as usize;
    let height = rgb.height() as usize;
    let mut above = vec![0; width];
    let mut here = vec![0; width];
    let mut below = vec![0; width];
    grey_row(rgb, 0, &mut here);
    let mut moments = ExactMoments::default();
    for y in 0..height {
        grey_row(rgb, reflect(y as isize - 1, height), &mut above);
        grey_row(rgb, reflect(y as isize + 1, height), &mut below);
        for x in 0..width {
            let left = here[reflect(x as isize - 1, width)];
            let right = here[reflect(x as isize + 1, width)];
            moments.add(left + right + above[x] + below[x] - 4 * here[x]);
        }
        if y + 1 < height {
            std::mem::swap(&mut here, &mut below);
        }
    }
    moments.mean_variance((width * height) as u64, 10_000.0).1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_image_has_zero_sharpness() {
        let rgb = RgbImage::from_pixel(5, 4, ::image::Rgb([90, 90, 90]));
        assert_eq!(laplacian_variance(&rgb), 0.0);
    }

    #[test]
    fn single_bright_pixel_by_hand() {
        // A 3x3 grey image, 0 everywhere but 100 in the centre. The Laplacian is -400 at the
        // centre; an edge-centre sees the centre twice (directly and through the reflected
        // border), so 200; a corner sees no bright pixel, so 0.
        let mut raw = vec![0u8; 27];
        raw[12..15].copy_from_slice(&[100, 100, 100]);
        let rgb = RgbImage::from_raw(3, 3, raw).unwrap();
        let lap = [0.0, 200.0, 0.0, 200.0, -400.0, 200.0, 0.0, 200.0, 0.0];
        let mean = lap.iter().sum::<f64>() / 9.0;
        let var = lap.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / 9.0;
        assert!((laplacian_variance(&rgb) - var).abs() < 1e-6);
    }

    #[test]
    fn reflect_101_indices() {
        assert_eq!(reflect(-1, 5), 1);
        assert_eq!(reflect(5, 5), 3);
        assert_eq!(reflect(-1, 1), 0);
        assert_eq!(reflect(1, 1), 0);
    }
}
