//! Light and colour: brightness, RMS contrast, mean relative intensities, saturation,
//! colorfulness, grey-histogram entropy and the shares of over- and under-exposed pixels.
//!
//! Two grey images are used, each the one its peer uses:
//!
//! * **luminance grey** `Y = 0.2125 R + 0.7154 G + 0.0721 B` (ITU-R BT.709 weights, as a float
//!   on the 0–255 scale): scikit-image's `rgb2gray`, which deepchecks applies before its
//!   `Brightness` and `RMS Contrast` (`rgb2gray(img) * 255` in
//!   `calc_default_image_properties`). `brightness` and `contrast` use it, and so does
//!   [`super::sharpness`].
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

/// The BT.709 luminance of one pixel on the 0–255 scale (scikit-image's `rgb2gray` times 255).
#[inline]
pub fn luminance(r: u8, g: u8, b: u8) -> f64 {
    0.2125 * f64::from(r) + 0.7154 * f64::from(g) + 0.0721 * f64::from(b)
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
    let pixels = rgb.as_raw().chunks_exact(3);
    let n = pixels.len() as f64;

    // First pass: means and the grey histogram.
    let mut sum_y = 0.0;
    let mut sum_rg = 0.0;
    let mut sum_yb = 0.0;
    let mut sum_rel = [0.0f64; 3];
    let mut sum_s: u64 = 0;
    let mut histogram = [0u64; 256];
    let reciprocal_sum = RECIPROCAL_SUM.as_slice();
    let saturation = SATURATION_BY_MAX_MIN.as_slice();
    for p in pixels.clone() {
        let (r, g, b) = (p[0], p[1], p[2]);
        let (rf, gf, bf) = (f64::from(r), f64::from(g), f64::from(b));
        sum_y += luminance(r, g, b);
        sum_rg += rf - gf;
        sum_yb += 0.5 * (rf + gf) - bf;
        let inverse = reciprocal_sum[usize::from(r) + usize::from(g) + usize::from(b)];
        sum_rel[0] += rf * inverse;
        sum_rel[1] += gf * inverse;
        sum_rel[2] += bf * inverse;
        let (max, min) = (r.max(g).max(b), r.min(g).min(b));
        sum_s += u64::from(saturation[usize::from(max) * 256 + usize::from(min)]);
        histogram[usize::from(pil_grey(r, g, b))] += 1;
    }
    let mean_y = sum_y / n;
    let mean_rg = sum_rg / n;
    let mean_yb = sum_yb / n;

    // Second pass: squared deviations from the means (exact for near-constant images, where
    // the one-pass sum of squares would cancel).
    let mut ss_y = 0.0;
    let mut ss_rg = 0.0;
    let mut ss_yb = 0.0;
    for p in pixels {
        let (rf, gf, bf) = (f64::from(p[0]), f64::from(p[1]), f64::from(p[2]));
        let dy = luminance(p[0], p[1], p[2]) - mean_y;
        let drg = rf - gf - mean_rg;
        let dyb = 0.5 * (rf + gf) - bf - mean_yb;
        ss_y += dy * dy;
        ss_rg += drg * drg;
        ss_yb += dyb * dyb;
    }

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

    let sd_rg2 = ss_rg / n;
    let sd_yb2 = ss_yb / n;
    LightDescriptors {
        brightness: mean_y,
        contrast: (ss_y / n).sqrt(),
        mean_red: sum_rel[0] / n,
        mean_green: sum_rel[1] / n,
        mean_blue: sum_rel[2] / n,
        saturation: sum_s as f64 / n,
        colorfulness: (sd_rg2 + sd_yb2).sqrt()
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
