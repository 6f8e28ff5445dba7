//! Light and colour: brightness, RMS contrast, mean relative intensities, saturation,
//! colorfulness, grey-histogram entropy and the shares of over- and under-exposed pixels.
//!
//! Two grey images are used, each the one its peer uses:
//!
//! * **luminance grey** `Y = 0.2125 R + 0.7154 G + 0.0721 B` (ITU-R BT.709 weights, on the
//!   0–255 scale): scikit-image's `rgb2gray`, which deepchecks applies before its
//!   `Brightness` and `RMS Contrast` (`rgb2gray(img) * 255` in
//!   `calc_default_image_properties`). `brightness` and `contrast` use it, and so does
//!   [`super::sharpness`]. It is computed exactly, as the integer `2125 R + 7154 G + 721 B`
//!   over 10,000, and its sums are integer sums, so no rounding enters before the final
//!   division.
//! * **PIL grey** `L = (19595 R + 38470 G + 7471 B + 32768) >> 16`, PIL's fixed-point form of
//!   ITU-R 601-2 `L = R 299/1000 + G 587/1000 + B 114/1000`, rounded to an integer 0–255
//!   (`Image.convert("L")`). The histogram descriptors (`entropy`, `overexposed_share`,
//!   `underexposed_share`) use it, because they need integer grey levels.
//!
//! Formulas (all over every pixel, N pixels):
//!
//! * `brightness = mean(Y)`; `contrast = sqrt(mean((Y - brightness)^2))` (population standard
//!   deviation, numpy's `std`), deepchecks' `Brightness` and `RMS Contrast`. deepchecks first
//!   samples 10,000 pixels at random (with replacement) from larger images; modelwatch uses
//!   every pixel, which is what deepchecks' sample estimates, so the numbers agree exactly on
//!   images of at most 10,000 pixels and within sampling error on larger ones.
//! * `mean_red = mean(R / (R + G + B))`, 0 for a pixel whose sum is 0; likewise green and blue:
//!   deepchecks' `Mean Red/Green/Blue Relative Intensity`. deepchecks reports nothing for a
//!   one-channel image; modelwatch spreads grey to R = G = B and reports 1/3 (0 on black).
//! * `saturation = mean(S)` with PIL's HSV `S = trunc(255 * (max - min) / max)` (0 where
//!   max = 0), on 0–255: `ImageStat.Stat(img.convert("HSV")).mean[1]`, whylogs' `Saturation.mean`.
//! * `colorfulness = sqrt(sd(rg)^2 + sd(yb)^2) + 0.3 sqrt(mean(rg)^2 + mean(yb)^2)` with
//!   `rg = R - G`, `yb = (R + G) / 2 - B` and population standard deviations: Hasler and
//!   Süsstrunk, "Measuring colourfulness in natural images" (2003), their metric M^(3).
//! * `entropy = -sum(p_i log2 p_i)` over the 256-bin histogram of `L`: PIL's
//!   `img.convert("L").entropy()`.
//! * `underexposed_share` = share of pixels with `L <= 10`, `overexposed_share` = share with
//!   `L >= 245` (within ten grey levels of black or white).

use std::sync::LazyLock;

use ::image::RgbImage;

/// PIL-grey level at or below which a pixel counts as under-exposed.
pub const UNDEREXPOSED_MAX_LEVEL: u8 = 10;
/// PIL-grey level at or above which a pixel counts as over-exposed.
pub const OVEREXPOSED_MIN_LEVEL: u8 = 245;

/// The light and colour descriptors of one image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LightDescriptors {
    /// Mean of the luminance grey, 0–255.
    pub brightness: f64,
    /// Population standard deviation of the luminance grey (RMS contrast).
    pub contrast: f64,
    /// Mean of R / (R + G + B) over pixels (0 where the sum is 0).
    pub mean_red: f64,
    /// Mean of G / (R + G + B) over pixels (0 where the sum is 0).
    pub mean_green: f64,
    /// Mean of B / (R + G + B) over pixels (0 where the sum is 0).
    pub mean_blue: f64,
    /// Mean of PIL's HSV saturation, 0–255.
    pub saturation: f64,
    /// Hasler–Süsstrunk colourfulness.
    pub colorfulness: f64,
    /// Shannon entropy (bits) of the PIL-grey histogram.
    pub entropy: f64,
    /// Share of pixels with PIL grey at or above [`OVEREXPOSED_MIN_LEVEL`].
    pub overexposed_share: f64,
    /// Share of pixels with PIL grey at or below [`UNDEREXPOSED_MAX_LEVEL`].
    pub underexposed_share: f64,
}

/// The BT.709 luminance of one pixel times 10,000, an exact integer:
/// `2125 R + 7154 G + 721 B` (scikit-image's `rgb2gray` times 255 is this / 10,000).
#[inline]
pub fn luminance_x10000(r: u8, g: u8, b: u8) -> i64 {
    2125 * i64::from(r) + 7154 * i64::from(g) + 721 * i64::from(b)
}

/// Exact sums of an integer quantity and of its square: mean and population variance without
/// rounding in the sums and without the cancellation of the one-pass float formula (a flat
/// image has a contrast of exactly 0). `i128` holds the sums for any image that fits in memory.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct ExactMoments {
    sum: i128,
    sum_sq: i128,
}

impl ExactMoments {
    /// Adds a block of values given by their sum and sum of squares.
    #[inline]
    pub(crate) fn add_sums(&mut self, sum: i64, sum_sq: i64) {
        self.sum += i128::from(sum);
        self.sum_sq += i128::from(sum_sq);
    }

    /// Mean and population variance of `value / scale` over `n` values (`n > 0`).
    pub(crate) fn mean_variance(self, n: u64, scale: f64) -> (f64, f64) {
        let n_int = i128::from(n);
        let n = n as f64;
        let mean = self.sum as f64 / (n * scale);
        // n * sum(x^2) - sum(x)^2 = n^2 * variance, exact in integers and never negative.
        let spread = n_int * self.sum_sq - self.sum * self.sum;
        (mean, spread as f64 / (n * n * scale * scale))
    }
}

/// PIL's `convert("L")` of one pixel: ITU-R 601-2 luma in 16-bit fixed point, rounded.
#[inline]
pub fn pil_grey(r: u8, g: u8, b: u8) -> u8 {
    ((19595 * u32::from(r) + 38470 * u32::from(g) + 7471 * u32::from(b) + 0x8000) >> 16) as u8
}

/// PIL's HSV saturation of one pixel, 0–255 (the float ratio is computed in single precision
/// and truncated, as PIL's `rgb2hsv` does, so the mean matches `ImageStat` exactly).
#[inline]
pub fn pil_saturation(r: u8, g: u8, b: u8) -> u8 {
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    if max == min {
        return 0;
    }
    let s = f32::from(max - min) / f32::from(max);
    (f64::from(s) * 255.0) as u8
}

/// `1 / (R + G + B)` for every possible sum (0 maps to 0, giving the relative intensity 0):
/// a multiplication per channel instead of a division in the per-pixel loop.
static RECIPROCAL_SUM: LazyLock<Vec<f64>> = LazyLock::new(|| {
    (0..=765u32)
        .map(|t| if t == 0 { 0.0 } else { 1.0 / f64::from(t) })
        .collect()
});

/// [`pil_saturation`] for every `(max, min)` pair, indexed `max * 256 + min`: the same
/// single-precision division and truncation, looked up instead of computed per pixel.
static SATURATION_BY_MAX_MIN: LazyLock<Vec<u8>> = LazyLock::new(|| {
    (0..=255u8)
        .flat_map(|max| (0..=255u8).map(move |min| pil_saturation(max, min, min)))
        .collect()
});

/// Computes the light and colour descriptors of an image with at least one pixel.
pub fn light(rgb: &RgbImage) -> LightDescriptors {
    let count = u64::from(rgb.width()) * u64::from(rgb.height());
    let n = count as f64;

    // One pass. Luminance, R - G and 2 * yb = R + G - 2B are integers (the luminance times
    // 10,000), so their means and variances come out of exact integer sums.
    let mut y = ExactMoments::default();
    let mut rg = ExactMoments::default();
    let mut yb2 = ExactMoments::default();
    let mut sum_rel = [0.0f64; 3];
    let mut sum_s: u64 = 0;
    let mut histogram = [0u64; 256];
    let reciprocal_sum = RECIPROCAL_SUM.as_slice();
    let saturation = SATURATION_BY_MAX_MIN.as_slice();
    // Blocks small enough for the integer sums to stay in i64 (4096 * 6.5e12 < 9.2e18) keep
    // the 128-bit additions out of the per-pixel loop.
    for block in rgb.as_raw().chunks(3 * 4096) {
        let mut block_y = [0i64; 2];
        let mut block_rg = [0i64; 2];
        let mut block_yb2 = [0i64; 2];
        for p in block.chunks_exact(3) {
            let (r, g, b) = (p[0], p[1], p[2]);
            let (ri, gi, bi) = (i64::from(r), i64::from(g), i64::from(b));
            let lum = luminance_x10000(r, g, b);
            block_y[0] += lum;
            block_y[1] += lum * lum;
            let d = ri - gi;
            block_rg[0] += d;
            block_rg[1] += d * d;
            let e = ri + gi - 2 * bi;
            block_yb2[0] += e;
            block_yb2[1] += e * e;
            let inverse = reciprocal_sum[usize::from(r) + usize::from(g) + usize::from(b)];
            sum_rel[0] += f64::from(r) * inverse;
            sum_rel[1] += f64::from(g) * inverse;
            sum_rel[2] += f64::from(b) * inverse;
            let (max, min) = (r.max(g).max(b), r.min(g).min(b));
            sum_s += u64::from(saturation[usize::from(max) * 256 + usize::from(min)]);
            histogram[usize::from(pil_grey(r, g, b))] += 1;
        }
        y.add_sums(block_y[0], block_y[1]);
        rg.add_sums(block_rg[0], block_rg[1]);
        yb2.add_sums(block_yb2[0], block_yb2[1]);
    }
    let (mean_y, var_y) = y.mean_variance(count, 10_000.0);
    let (mean_rg, var_rg) = rg.mean_variance(count, 1.0);
    let (mean_yb, var_yb) = yb2.mean_variance(count, 2.0);

    let entropy = histogram
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum::<f64>();
    let under: u64 = histogram[..=usize::from(UNDEREXPOSED_MAX_LEVEL)]
        .iter()
        .sum();
    let over: u64 = histogram[usize::from(OVEREXPOSED_MIN_LEVEL)..].iter().sum();

    LightDescriptors {
        brightness: mean_y,
        contrast: var_y.sqrt(),
        mean_red: sum_rel[0] / n,
        mean_green: sum_rel[1] / n,
        mean_blue: sum_rel[2] / n,
        saturation: sum_s as f64 / n,
        colorfulness: (var_rg + var_yb).sqrt()
            + 0.3 * (mean_rg * mean_rg + mean_yb * mean_yb).sqrt(),
        entropy,
        overexposed_share: over as f64 / n,
        underexposed_share: under as f64 / n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pil_grey_matches_the_601_weights_on_primaries() {
        // 255 * 0.299 = 76.245, 255 * 0.587 = 149.685, 255 * 0.114 = 29.07.
        assert_eq!(pil_grey(255, 0, 0), 76);
        assert_eq!(pil_grey(0, 255, 0), 150);
        assert_eq!(pil_grey(0, 0, 255), 29);
        assert_eq!(pil_grey(200, 200, 200), 200);
    }

    #[test]
    fn saturation_truncates_like_pil() {
        assert_eq!(pil_saturation(10, 10, 10), 0);
        assert_eq!(pil_saturation(255, 0, 0), 255);
        // (200 - 100) / 200 * 255 = 127.5 -> 127.
        assert_eq!(pil_saturation(200, 100, 150), 127);
    }

    #[test]
    fn saturation_table_agrees_with_the_formula() {
        for (r, g, b) in [
            (0, 0, 0),
            (255, 1, 0),
            (3, 200, 77),
            (254, 255, 253),
            (9, 9, 10),
        ] {
            let (max, min) = (r.max(g).max(b), r.min(g).min(b));
            let looked_up = SATURATION_BY_MAX_MIN[usize::from(max) * 256 + usize::from(min)];
            assert_eq!(looked_up, pil_saturation(r, g, b));
        }
    }

    #[test]
    fn two_pixel_image_by_hand() {
        // One black and one white pixel.
        let rgb = RgbImage::from_raw(2, 1, vec![0, 0, 0, 255, 255, 255]).unwrap();
        let d = light(&rgb);
        assert!((d.brightness - 127.5).abs() < 1e-9);
        assert!((d.contrast - 127.5).abs() < 1e-9);
        assert!((d.mean_red - 1.0 / 6.0).abs() < 1e-12);
        assert_eq!(d.saturation, 0.0);
        assert!(d.colorfulness.abs() < 1e-12);
        assert!((d.entropy - 1.0).abs() < 1e-12);
        assert_eq!(d.overexposed_share, 0.5);
        assert_eq!(d.underexposed_share, 0.5);
    }

    #[test]
    fn pure_red_colorfulness() {
        // rg = 255, yb = 127.5, no spread: M = 0.3 * sqrt(255^2 + 127.5^2).
        let rgb = RgbImage::from_raw(1, 1, vec![255, 0, 0]).unwrap();
        let d = light(&rgb);
        let expected = 0.3 * (255.0f64 * 255.0 + 127.5 * 127.5).sqrt();
        assert!((d.colorfulness - expected).abs() < 1e-9);
        assert_eq!(d.mean_red, 1.0);
        assert_eq!(d.entropy, 0.0);
    }
}
