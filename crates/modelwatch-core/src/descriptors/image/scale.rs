//! The reduced-work mode (`sample_pixels = N`): an image is described at the smallest of
//! the scales 1, 1/2, 1/4 and 1/8 that still has at least N pixels, instead of at full size.
//!
//! At scale `1/d` the image is `ceil(width / d) x ceil(height / d)` pixels, each one standing
//! for a `d x d` block of the original:
//!
//! * a baseline JPEG at 1/8 is read for the DC coefficient of each block, the exact mean of
//!   the 8 x 8 block (`jpeg_dc.rs`; for subsampled chroma also the first AC terms, which
//!   give the means of the block's quarters): no inverse DCT, upsampling or full-size colour
//!   conversion runs, only the entropy decoding still reads every coefficient;
//! * every other case (other formats, a JPEG at 1/2 or 1/4, a progressive, arithmetic-coded,
//!   12-bit or CMYK JPEG) is decoded in full and each `d x d` block (smaller at the right and
//!   bottom edges) replaced by its mean, rounded to the nearest integer: the same quantity,
//!   at the cost of a full decode (a JPEG decoder's own DCT scaling was no faster, since its
//!   time goes to the same entropy decoding).
//!
//! Means over pixels (`brightness`, `mean_red`/`mean_green`/`mean_blue`) are the same at
//! every scale up to rounding and the decoders' differences; statistics of the pixels'
//! spread (`contrast`, `colorfulness`, `entropy`, the exposure shares) lose the variation
//! inside a block, and `sharpness` becomes the Laplacian of the reduced image, a coarser
//! scale of detail. docs/images.md gives the measured differences. Geometry, file and EXIF
//! descriptors are always those of the original file: `width` and `height` come from its
//! header, never from the reduced image.
//!
//! An image too small to be reduced (scale 1) is decoded exactly as without the setting.

use ::image::RgbImage;

/// The scale denominators tried, largest reduction last.
pub const SCALE_DENOMINATORS: [u32; 4] = [1, 2, 4, 8];

/// The size of a `width` x `height` image at scale `1 / denominator`.
pub fn scaled_size(width: u32, height: u32, denominator: u32) -> (u32, u32) {
    (width.div_ceil(denominator), height.div_ceil(denominator))
}

/// The largest of [`SCALE_DENOMINATORS`] at which a `width` x `height` image keeps at least
/// `sample_pixels` pixels (1 when even half the size would have fewer).
pub fn scale_denominator(width: u32, height: u32, sample_pixels: u64) -> u32 {
    SCALE_DENOMINATORS
        .into_iter()
        .rev()
        .find(|&d| {
            let (w, h) = scaled_size(width, height, d);
            u64::from(w) * u64::from(h) >= sample_pixels
        })
        .unwrap_or(1)
}

/// `rgb` reduced by `denominator`: each block of `denominator x denominator` pixels (cut at
/// the right and bottom edges) becomes the rounded mean of its pixels, channel by channel.
pub fn block_means(rgb: &RgbImage, denominator: u32) -> RgbImage {
    let d = denominator.max(1) as usize;
    let (width, height) = (rgb.width() as usize, rgb.height() as usize);
    let (out_w, out_h) = scaled_size(rgb.width(), rgb.height(), denominator);
    let raw = rgb.as_raw();
    let mut out = Vec::with_capacity(out_w as usize * out_h as usize * 3);
    // One row of block sums at a time: the source is read once, row by row.
    let mut sums = vec![0u32; out_w as usize * 3];
    for block_y in 0..out_h as usize {
        sums.iter_mut().for_each(|s| *s = 0);
        let y0 = block_y * d;
        let rows = d.min(height - y0);
        for y in y0..y0 + rows {
            let row = &raw[y * width * 3..(y + 1) * width * 3];
            // A block's pixels are consecutive in a row: sum them chunk by chunk, without an
            // index computation per pixel.
            for (block, s) in row.chunks(3 * d).zip(sums.chunks_exact_mut(3)) {
                let (mut r, mut g, mut b) = (0u32, 0u32, 0u32);
                for p in block.chunks_exact(3) {
                    r += u32::from(p[0]);
                    g += u32::from(p[1]);
                    b += u32::from(p[2]);
                }
                s[0] += r;
                s[1] += g;
                s[2] += b;
            }
        }
        for (block_x, s) in sums.chunks_exact(3).enumerate() {
            let cols = d.min(width - block_x * d);
            let n = (rows * cols) as u32;
            out.extend(s.iter().map(|&v| ((v + n / 2) / n) as u8));
        }
    }
    // The buffer has exactly out_w * out_h pixels of 3 channels.
    RgbImage::from_raw(out_w, out_h, out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_reduction_that_keeps_enough_pixels() {
        // 1024 x 768 at 1/8 is 128 x 96 = 12,288 pixels.
        assert_eq!(scale_denominator(1024, 768, 10_000), 8);
        assert_eq!(scale_denominator(1024, 768, 12_288), 8);
        assert_eq!(scale_denominator(1024, 768, 12_289), 4);
        assert_eq!(scale_denominator(1024, 768, 1_000_000), 1);
        // 256 x 256: 1/2 is 16,384 pixels, 1/4 only 4,096.
        assert_eq!(scale_denominator(256, 256, 10_000), 2);
        assert_eq!(scaled_size(333, 77, 8), (42, 10));
        assert_eq!(scale_denominator(1, 1, 1), 8);
    }

    #[test]
    fn block_means_by_hand() {
        // 3 x 2 pixels at 1/2: a full 2 x 2 block and a 1 x 2 edge block.
        let raw = vec![
            0, 10, 255, 2, 20, 255, 7, 7, 7, //
            1, 30, 0, 3, 41, 0, 8, 8, 9,
        ];
        let rgb = RgbImage::from_raw(3, 2, raw).unwrap();
        let small = block_means(&rgb, 2);
        assert_eq!(small.dimensions(), (2, 1));
        // (0+2+1+3)/4 = 1.5 -> 2; (10+20+30+41)/4 = 25.25 -> 25; 510/4 = 127.5 -> 128.
        assert_eq!(small.as_raw(), &vec![2, 25, 128, 8, 8, 8]);
        assert_eq!(block_means(&rgb, 1).as_raw(), rgb.as_raw());
        assert_eq!(block_means(&rgb, 8).dimensions(), (1, 1));
    }
}
