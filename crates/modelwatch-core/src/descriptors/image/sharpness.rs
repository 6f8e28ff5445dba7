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
//! The grey image is never materialised: three grey rows are kept at a time, each computed
//! once. The luminance times 10,000 is an integer, and so is its Laplacian, so the variance
//! comes out of exact integer sums.

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

/// Pixels whose Laplacian sums are kept in `i64` before joining the 128-bit totals: the
/// luminance times 10,000 is at most 2,550,000, so a Laplacian is at most 10,200,000 in size
/// and its square 1.04e14; 16,384 of those (1.7e18) stay below `i64::MAX` (9.2e18).
const BLOCK_PIXELS: usize = 16_384;

/// The variance of the Laplacian of the luminance grey of an image with at least one pixel.
pub fn laplacian_variance(rgb: &RgbImage) -> f64 {
    let width = rgb.width() as usize;
    let height = rgb.height() as usize;
    let mut above = vec![0; width];
    let mut here = vec![0; width];
    let mut below = vec![0; width];
    // Each grey row is computed once: the three rows move down together.
    grey_row(rgb, 0, &mut here);
    grey_row(rgb, reflect(1, height), &mut below);
    above.copy_from_slice(&below);
    let mut moments = ExactMoments::default();
    let mut laplacians = vec![0i64; width];
    for y in 0..height {
        laplace_row(&above, &here, &below, &mut laplacians);
        for block in laplacians.chunks(BLOCK_PIXELS) {
            let (sum, sum_sq) = block
                .iter()
                .fold((0i64, 0i64), |(s, q), &l| (s + l, q + l * l));
            moments.add_sums(sum, sum_sq);
        }
        if y + 1 < height {
            // above <- here <- below <- the row after it (reflected past the last row).
            std::mem::swap(&mut above, &mut here);
            std::mem::swap(&mut here, &mut below);
            grey_row(rgb, reflect(y as isize + 2, height), &mut below);
        }
    }
    moments.mean_variance((width * height) as u64, 10_000.0).1
}

/// The Laplacian of one row from its grey values and its neighbours'.
fn laplace_row(above: &[i64], here: &[i64], below: &[i64], out: &mut [i64]) {
    let width = here.len();
    let at = |x: usize, left: usize, right: usize| {
        here[left] + here[right] + above[x] + below[x] - 4 * here[x]
    };
    if width == 1 {
        out[0] = at(0, 0, 0);
        return;
    }
    out[0] = at(0, 1, 1);
    out[width - 1] = at(width - 1, width - 2, width - 2);
    // The interior without any reflection, in a form the compiler can vectorise.
    for (x, o) in out.iter_mut().enumerate().take(width - 1).skip(1) {
        *o = here[x - 1] + here[x + 1] + above[x] + below[x] - 4 * here[x];
    }
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
    fn rows_and_columns_of_one_pixel_and_wide_images_agree_with_the_definition() {
        // The definition evaluated directly, with reflect() on every neighbour.
        let direct = |rgb: &RgbImage| {
            let (w, h) = (rgb.width() as usize, rgb.height() as usize);
            let grey = |x: usize, y: usize| {
                let p = rgb.get_pixel(x as u32, y as u32).0;
                luminance_x10000(p[0], p[1], p[2]) as f64 / 10_000.0
            };
            let mut laps = Vec::new();
            for y in 0..h {
                for x in 0..w {
                    let (xi, yi) = (x as isize, y as isize);
                    laps.push(
                        grey(reflect(xi - 1, w), y)
                            + grey(reflect(xi + 1, w), y)
                            + grey(x, reflect(yi - 1, h))
                            + grey(x, reflect(yi + 1, h))
                            - 4.0 * grey(x, y),
                    );
                }
            }
            let mean = laps.iter().sum::<f64>() / laps.len() as f64;
            laps.iter().map(|l| (l - mean) * (l - mean)).sum::<f64>() / laps.len() as f64
        };
        let mut seed = 7u32;
        let mut noise = |w: u32, h: u32| {
            RgbImage::from_fn(w, h, |_, _| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                let v = (seed >> 16) as u8;
                ::image::Rgb([v, v.wrapping_mul(3), v.wrapping_add(40)])
            })
        };
        for (w, h) in [(1, 1), (1, 7), (7, 1), (2, 2), (3, 5), (40, 3), (17_000, 2)] {
            let rgb = noise(w, h);
            let (got, want) = (laplacian_variance(&rgb), direct(&rgb));
            assert!(
                (got - want).abs() <= 1e-9 * want.max(1.0),
                "{w}x{h}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn reflect_101_indices() {
        assert_eq!(reflect(-1, 5), 1);
        assert_eq!(reflect(5, 5), 3);
        assert_eq!(reflect(-1, 1), 0);
        assert_eq!(reflect(1, 1), 0);
    }
}
