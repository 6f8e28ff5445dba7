//! Small JPEG thumbnails of images, for showing examples next to their descriptors (the HTML
//! report, the dashboard) without keeping the images themselves.
//!
//! A thumbnail is the decoded image turned upright by its EXIF `Orientation` (as a viewer shows
//! it; the descriptors keep the stored geometry), shrunk so that its longer side is at most
//! `max_side` pixels (never enlarged) and encoded as a baseline JPEG of quality
//! [`THUMBNAIL_QUALITY`]. At 96 px such a file stays under 8 KB (the tests below check it), so
//! a page of example images stays small.

use std::io::Cursor;

use ::image::codecs::jpeg::JpegEncoder;
use ::image::imageops;
use ::image::RgbImage;

use super::{decode, describe_decoded_rgb, exif, ImageDescriptors, ImageError, ImageLimits};

/// The longest side of a thumbnail by default, in pixels.
pub const THUMBNAIL_MAX_SIDE: u32 = 96;

/// JPEG quality of thumbnails (1–100).
pub const THUMBNAIL_QUALITY: u8 = 80;

/// Describes an image and makes its thumbnail from one decode (what ingestion does: the
/// descriptors are stored, the image is not, the thumbnail is kept to be shown).
pub fn describe_image_with_thumbnail(
    bytes: &[u8],
    limits: &ImageLimits,
    max_side: u32,
) -> Result<(ImageDescriptors, Vec<u8>), ImageError> {
    super::guard_decoder(|| {
        let decoded = decode::decode(bytes, limits)?;
        let descriptors = describe_decoded_rgb(bytes, &decoded);
        let thumbnail = encode_thumbnail(
            &decoded.rgb,
            descriptors.exif.orientation.unwrap_or(1),
            max_side,
        )?;
        Ok((descriptors, thumbnail))
    })
}

/// The thumbnail of an encoded image.
pub fn thumbnail_jpeg(
    bytes: &[u8],
    limits: &ImageLimits,
    max_side: u32,
) -> Result<Vec<u8>, ImageError> {
    super::guard_decoder(|| {
        let decoded = decode::decode(bytes, limits)?;
        let orientation = exif::read_exif(bytes).orientation.unwrap_or(1);
        encode_thumbnail(&decoded.rgb, orientation, max_side)
    })
}

/// The size of an image of `width` x `height` shrunk to fit `max_side` (aspect ratio kept,
/// each side at least 1 pixel; an image that already fits keeps its size).
pub fn thumbnail_size(width: u32, height: u32, max_side: u32) -> (u32, u32) {
    let max_side = max_side.max(1);
    let longer = width.max(height);
    if longer <= max_side {
        return (width.max(1), height.max(1));
    }
    let scale = f64::from(max_side) / f64::from(longer);
    let side = |s: u32| ((f64::from(s) * scale).round() as u32).clamp(1, max_side);
    (side(width), side(height))
}

/// Shrinks, turns upright and encodes.
fn encode_thumbnail(
    rgb: &RgbImage,
    orientation: u16,
    max_side: u32,
) -> Result<Vec<u8>, ImageError> {
    let (w, h) = thumbnail_size(rgb.width(), rgb.height(), max_side);
    // `thumbnail` averages the source pixels under each target pixel: no aliasing on large
    // downscales, and much cheaper than a windowed filter over a whole photo.
    let small = imageops::thumbnail(rgb, w, h);
    let upright = apply_orientation(small, orientation);
    let mut out = Vec::with_capacity(4096);
    JpegEncoder::new_with_quality(Cursor::new(&mut out), THUMBNAIL_QUALITY)
        .encode_image(&upright)
        .map_err(|e| ImageError::Corrupt(format!("thumbnail: {e}")))?;
    Ok(out)
}

/// Applies an EXIF orientation code (1–8, TIFF 6.0 / EXIF 2.32 tag 0x0112) to an image: the
/// stored rows are turned into what the camera meant to show.
fn apply_orientation(image: RgbImage, orientation: u16) -> RgbImage {
    match orientation {
        2 => imageops::flip_horizontal(&image),
        3 => imageops::rotate180(&image),
        4 => imageops::flip_vertical(&image),
        5 => imageops::flip_horizontal(&imageops::rotate90(&image)),
        6 => imageops::rotate90(&image),
        7 => imageops::flip_horizontal(&imageops::rotate270(&image)),
        8 => imageops::rotate270(&image),
        _ => image,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::image::{ImageFormat, Rgb};

    fn png(width: u32, height: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(width, height, |x, y| {
            Rgb([
                (x * 255 / width.max(1)) as u8,
                (y * 255 / height.max(1)) as u8,
                90,
            ])
        });
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    fn dimensions(jpeg: &[u8]) -> (u32, u32) {
        let img = ::image::load_from_memory_with_format(jpeg, ImageFormat::Jpeg).unwrap();
        (img.width(), img.height())
    }

    #[test]
    fn sizes_keep_the_aspect_ratio_and_never_enlarge() {
        assert_eq!(thumbnail_size(1024, 768, 96), (96, 72));
        assert_eq!(thumbnail_size(768, 1024, 96), (72, 96));
        assert_eq!(thumbnail_size(40, 30, 96), (40, 30));
        assert_eq!(thumbnail_size(20_000, 1, 96), (96, 1));
        assert_eq!(thumbnail_size(1, 1, 96), (1, 1));
        assert_eq!(thumbnail_size(500, 500, 0), (1, 1));
    }

    #[test]
    fn thumbnails_are_small_jpegs_and_descriptors_match_describe_image() {
        let bytes = png(640, 480);
        let limits = ImageLimits::default();
        let (descriptors, thumb) =
            describe_image_with_thumbnail(&bytes, &limits, THUMBNAIL_MAX_SIDE).unwrap();
        assert_eq!(
            descriptors,
            super::super::describe_image(&bytes, &limits).unwrap()
        );
        assert_eq!(dimensions(&thumb), (96, 72));
        assert!(thumb.len() < 8_000, "{} bytes", thumb.len());
        assert_eq!(
            thumbnail_jpeg(&bytes, &limits, 32).map(|t| dimensions(&t)),
            Ok((32, 24))
        );
    }

    #[test]
    fn orientation_turns_the_thumbnail_upright() {
        let wide = RgbImage::new(4, 2);
        assert_eq!(apply_orientation(wide.clone(), 1).dimensions(), (4, 2));
        assert_eq!(apply_orientation(wide.clone(), 6).dimensions(), (2, 4));
        assert_eq!(apply_orientation(wide.clone(), 8).dimensions(), (2, 4));
        assert_eq!(apply_orientation(wide, 3).dimensions(), (4, 2));
        // Orientation 6: the stored top-left pixel ends at the top-right.
        let mut marked = RgbImage::new(3, 2);
        marked.put_pixel(0, 0, Rgb([255, 0, 0]));
        let turned = apply_orientation(marked, 6);
        assert_eq!(turned.get_pixel(1, 0), &Rgb([255, 0, 0]));
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let limits = ImageLimits::default();
        assert_eq!(thumbnail_jpeg(&[], &limits, 96), Err(ImageError::Empty));
        assert_eq!(
            thumbnail_jpeg(b"not an image", &limits, 96),
            Err(ImageError::UnknownFormat)
        );
        let bytes = png(64, 64);
        assert!(thumbnail_jpeg(&bytes[..bytes.len() / 2], &limits, 96).is_err());
        let tight = ImageLimits {
            max_pixels: 100,
            ..Default::default()
        };
        assert!(matches!(
            describe_image_with_thumbnail(&bytes, &tight, 96),
            Err(ImageError::TooManyPixels { .. })
        ));
    }
}
