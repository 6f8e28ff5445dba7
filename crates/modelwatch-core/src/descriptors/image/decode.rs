//! Decoding: format detection from the leading bytes, a pixel limit checked against the
//! header's dimensions before any pixel buffer is allocated, and conversion to 8-bit RGB.
//!
//! Decoding uses the `image` crate with the formats jpeg, png, webp, gif, bmp and tiff.
//! Every descriptor is computed on an 8-bit RGB view of the image:
//!
//! * grey images (`L8`, `L16`) are spread to R = G = B;
//! * alpha is dropped, not composited (the colour channels are taken as stored, which is also
//!   what deepchecks sees when it is given the first three channels);
//! * 16-bit samples are reduced to 8 bits by `round(v / 257)` (the `image` crate's
//!   conversion), so a 16-bit image has the same descriptors as its 8-bit rendering;
//! * palette images (gif, palette png) are expanded through their palette.
//!
//! A JPEG without its end-of-image marker is refused as truncated (the JPEG decoder would
//! otherwise fill the missing rows with grey and report success).
//!
//! The stored pixel grid is used as is: the EXIF orientation is reported as a descriptor but
//! not applied, so `width` and `height` are those of the file (as PIL and deepchecks see them).
//!
//! With [`ImageLimits::sample_pixels`] the pixels are those of a reduced image (see
//! [`super::scale`]); `width` and `height` stay those of the file.

use std::io::{Cursor, ErrorKind};

use ::image::{ColorType, DynamicImage, ImageDecoder, ImageFormat, ImageReader, RgbImage};

use super::{scale, ImageError, ImageLimits};

/// An image decoded to 8-bit RGB, with what the file said about itself.
#[derive(Debug, Clone)]
pub struct DecodedImage {
    /// The container format, lower case (`jpeg`, `png`, `webp`, `gif`, `bmp`, `tiff`).
    pub format: &'static str,
    /// The colour mode the decoder produced before the RGB conversion (`L8`, `RGBA16`, ...).
    pub mode: &'static str,
    /// The number of channels of that mode (1 grey, 2 grey + alpha, 3 RGB, 4 RGBA).
    pub channels: u8,
    /// The stored width in pixels, from the file's header.
    pub width: u32,
    /// The stored height in pixels, from the file's header.
    pub height: u32,
    /// The pixels as 8-bit RGB: `width` x `height` of them, or fewer when the image was
    /// decoded at a reduced scale ([`ImageLimits::sample_pixels`]).
    pub rgb: RgbImage,
}

/// The lower-case name of a container format, as reported in the `format` descriptor.
pub fn format_name(format: ImageFormat) -> &'static str {
    match format {
        ImageFormat::Jpeg => "jpeg",
        ImageFormat::Png => "png",
        ImageFormat::WebP => "webp",
        ImageFormat::Gif => "gif",
        ImageFormat::Bmp => "bmp",
        ImageFormat::Tiff => "tiff",
        ImageFormat::Avif => "avif",
        ImageFormat::Ico => "ico",
        ImageFormat::Pnm => "pnm",
        ImageFormat::Tga => "tga",
        ImageFormat::Dds => "dds",
        ImageFormat::Hdr => "hdr",
        ImageFormat::OpenExr => "exr",
        ImageFormat::Farbfeld => "farbfeld",
        ImageFormat::Qoi => "qoi",
        _ => "other",
    }
}

/// The name of a decoder colour type, as reported in the `mode` descriptor.
pub fn mode_name(colour: ColorType) -> &'static str {
    match colour {
        ColorType::L8 => "L8",
        ColorType::La8 => "LA8",
        ColorType::Rgb8 => "RGB8",
        ColorType::Rgba8 => "RGBA8",
        ColorType::L16 => "L16",
        ColorType::La16 => "LA16",
        ColorType::Rgb16 => "RGB16",
        ColorType::Rgba16 => "RGBA16",
        ColorType::Rgb32F => "RGB32F",
        ColorType::Rgba32F => "RGBA32F",
        _ => "other",
    }
}

/// Decodes `bytes` to 8-bit RGB, refusing an image of more than `limits.max_pixels` pixels
/// from its header's dimensions, before the pixel buffer is allocated. With
/// `limits.sample_pixels`, the pixels are those of the image at the reduced scale
/// [`scale::scale_denominator`] chooses.
pub fn decode(bytes: &[u8], limits: &ImageLimits) -> Result<DecodedImage, ImageError> {
    if bytes.is_empty() {
        return Err(ImageError::Empty);
    }
    let format = ::image::guess_format(bytes).map_err(|_| ImageError::UnknownFormat)?;
    let name = format_name(format);
    if !format.reading_enabled() {
        return Err(ImageError::UnsupportedFormat(name));
    }
    if format == ImageFormat::Jpeg && !jpeg_is_complete(bytes) {
        return Err(ImageError::Truncated);
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    // The decoder's own allocation limit is a second fence behind the pixel count: the widest
    // buffer a decoder may allocate is four 32-bit float channels per pixel. It never goes
    // below 64 MiB, so that with a small pixel limit the header's dimensions, not a decoder's
    // working buffers, decide (and the image is reported as too large, not corrupt).
    let mut decoder_limits = ::image::Limits::default();
    decoder_limits.max_alloc = Some(limits.max_pixels.saturating_mul(16).max(64 << 20));
    reader.limits(decoder_limits);
    let decoder = reader.into_decoder().map_err(decode_error)?;
    let (width, height) = decoder.dimensions();
    let pixels = u64::from(width) * u64::from(height);
    if pixels > limits.max_pixels {
        return Err(ImageError::TooManyPixels {
            width,
            height,
            max_pixels: limits.max_pixels,
        });
    }
    if pixels == 0 {
        return Err(ImageError::Corrupt("the image has no pixels".to_string()));
    }
    let denominator = limits
        .sample_pixels
        .map_or(1, |n| scale::scale_denominator(width, height, n));
    if denominator == 8 && format == ImageFormat::Jpeg {
        if let Some((rgb, channels)) = super::jpeg_dc::decode_dc(bytes, (width, height)) {
            let colour = if channels == 1 {
                ColorType::L8
            } else {
                ColorType::Rgb8
            };
            return Ok(DecodedImage {
                format: name,
                mode: mode_name(colour),
                channels,
                width,
                height,
                rgb,
            });
        }
    }
    let colour = decoder.color_type();
    let image = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    let mut rgb = image.into_rgb8();
    if denominator > 1 {
        rgb = scale::block_means(&rgb, denominator);
    }
    Ok(DecodedImage {
        format: name,
        mode: mode_name(colour),
        channels: colour.channel_count(),
        width,
        height,
        rgb,
    })
}

/// Whether a JPEG stream has its end-of-image marker (`FF D9`) after the start of its last
/// scan (`FF DA`). The JPEG decoder fills the missing part of a cut-off file with grey and
/// reports no error, so a truncated file is recognised here, as PIL recognises it ("image file
/// is truncated"). Inside a scan every `FF` byte is followed by `00` or a restart marker, so
/// neither marker can occur by chance in the compressed data; trailing bytes after the
/// end-of-image marker, which some cameras write, do not matter.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    // Equivalently: a last end-of-image marker with a scan before it and none after it.
    // Searched this way round, a complete file costs a look at its last bytes and at its
    // headers instead of a pass over all of its compressed data.
    let Some(last_end) = last_marker(bytes, 0xD9) else {
        return false;
    };
    let scan_before = bytes[..last_end]
        .windows(2)
        .any(|pair| pair == [0xFF, 0xDA]);
    scan_before && last_marker(&bytes[last_end..], 0xDA).is_none()
}

/// The position of the last `FF code` pair in `bytes`. Searching for the single byte
/// `code` from the end and checking the byte before it is much faster than comparing
/// every pair of the file's bytes.
fn last_marker(bytes: &[u8], code: u8) -> Option<usize> {
    let mut end = bytes.len();
    while let Some(i) = bytes[..end].iter().rposition(|&b| b == code) {
        if i > 0 && bytes[i - 1] == 0xFF {
            return Some(i - 1);
        }
        end = i;
    }
    None
}

/// Sorts a decoder's error into the reasons a column's failures are counted by.
fn decode_error(error: ::image::ImageError) -> ImageError {
    match error {
        ::image::ImageError::IoError(e) if e.kind() == ErrorKind::UnexpectedEof => {
            ImageError::Truncated
        }
        ::image::ImageError::Limits(e) => ImageError::Corrupt(format!("decoder limit: {e}")),
        ::image::ImageError::Unsupported(e) => ImageError::Corrupt(format!("unsupported: {e}")),
        other => {
            let message = other.to_string();
            // Decoders report a file that ends early in their own words.
            let lower = message.to_ascii_lowercase();
            if lower.contains("eof") || lower.contains("end of file") || lower.contains("truncat") {
                ImageError::Truncated
            } else {
                ImageError::Corrupt(message)
            }
        }
    }
}
