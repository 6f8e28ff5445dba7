//! Image descriptors: each image becomes one row of descriptor columns named
//! `<column>.<descriptor>` (for example `photo.aspect_ratio`), numerical ones as float columns
//! and categorical ones as string columns, which the presets then treat like any column.
//!
//! One module per family, each with its formula and the peer it matches:
//!
//! * [`decode`]: format detection, the pixel limit, the conversion to 8-bit RGB;
//! * [`scale`]: the opt-in reduced-work mode ([`ImageSettings::sample_pixels`]), which
//!   describes an image at 1/2, 1/4 or 1/8 of its size;
//! * [`jpeg_dc`]: a baseline JPEG at 1/8 scale from its DC coefficients, for that mode;
//! * [`geometry`]: `width`, `height`, `aspect_ratio`, `area` (deepchecks);
//! * [`light`]: `brightness`, `contrast`, `mean_red`/`mean_green`/`mean_blue` (deepchecks),
//!   `saturation` (PIL `ImageStat` on HSV, as whylogs), `colorfulness` (Hasler–Süsstrunk),
//!   `entropy` (PIL), `overexposed_share`, `underexposed_share`;
//! * [`sharpness`]: `sharpness`, the variance of the Laplacian (OpenCV);
//! * [`examples`]: which images to show for a drifted image column;
//! * [`thumbnail`]: small upright JPEG thumbnails for showing examples;
//! * [`exif`]: `make`, `model`, `software`, `orientation`, `iso`, `exposure_time`,
//!   `focal_length` (PIL `getexif`).
//!
//! The file descriptors `format`, `mode`, `channels` and `bytes` come from [`decode`] and the
//! input's length. [`IMAGE_DESCRIPTORS`] lists every descriptor once, in column order.
//!
//! An image that cannot be described (empty, unknown format, truncated, corrupt, too many
//! pixels) is a missing value in every descriptor column of its row and is recorded with its
//! reason in [`ImageColumnDescriptors::failures`]; it never stops the column.

pub mod decode;
pub mod examples;
pub mod exif;
pub mod geometry;
pub mod jpeg_dc;
pub mod light;
pub mod scale;
pub mod sharpness;
pub mod thumbnail;

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::setting::Setting;
use crate::table::{Column, ColumnData, StrColumnBuilder, Table};

pub use self::exif::ExifDescriptors;
pub use self::light::LightDescriptors;

/// The default pixel limit: 100 million pixels (10,000 x 10,000). PIL warns from about
/// 89 million pixels and refuses twice that; decoded to 8-bit RGB this is 300 MB.
pub const DEFAULT_MAX_PIXELS: u64 = 100_000_000;

/// How many images are decoded per parallel chunk. Only one chunk's images are in flight at a
/// time, and each worker holds at most one decoded image, so memory stays bounded however long
/// the column is.
pub const IMAGES_PER_CHUNK: usize = 64;

/// The fewest pixels [`ImageSettings::sample_pixels`] accepts: 32 x 32. Below it the
/// histogram and spread descriptors would rest on too few pixels to mean anything.
pub const MIN_SAMPLE_PIXELS: u64 = 1_024;

/// Limits on what is decoded, and on how many pixels are described.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageLimits {
    /// The largest `width * height` decoded; a larger image is refused from its header's
    /// dimensions before any pixel buffer is allocated (a decompression bomb never expands).
    pub max_pixels: u64,
    /// `None` (the default): every descriptor on every pixel. `Some(n)`: the light, colour
    /// and sharpness descriptors on the image reduced to the smallest of the scales 1/2,
    /// 1/4, 1/8 that keeps at least `n` pixels (see [`scale`]); build it with
    /// [`ImageSettings::limits`], which checks `n`.
    pub sample_pixels: Option<u64>,
}

impl Default for ImageLimits {
    fn default() -> Self {
        Self {
            max_pixels: DEFAULT_MAX_PIXELS,
            sample_pixels: None,
        }
    }
}

/// The image settings a user gives a run (`[images]` in a settings file).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImageSettings {
    /// Describe each image on at least this many pixels instead of all of them (the
    /// reduced-work mode of [`scale`]); `None`, the default, uses every pixel.
    pub sample_pixels: Option<u64>,
}

/// An image setting out of range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSettingError {
    /// `sample_pixels` below [`MIN_SAMPLE_PIXELS`] or above the pixel limit.
    SamplePixelsOutOfRange {
        /// The value given.
        value: u64,
        /// The largest value accepted (the pixel limit).
        max: u64,
    },
}

impl ImageSettingError {
    /// The message, with settings spelled by `spell` (a flag, a config key).
    pub fn message(&self, spell: &dyn Fn(Setting) -> String) -> String {
        match self {
            ImageSettingError::SamplePixelsOutOfRange { value, max } => format!(
                "{} must be between {MIN_SAMPLE_PIXELS} and {max} pixels, got {value}",
                spell(Setting::SamplePixels)
            ),
        }
    }
}

impl std::fmt::Display for ImageSettingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(&Setting::canonical))
    }
}

impl std::error::Error for ImageSettingError {}

impl ImageSettings {
    /// The limits of a run with these settings and the default pixel limit, or the setting
    /// that is out of range.
    pub fn limits(&self) -> Result<ImageLimits, ImageSettingError> {
        let mut limits = ImageLimits::default();
        if let Some(value) = self.sample_pixels {
            if !(MIN_SAMPLE_PIXELS..=limits.max_pixels).contains(&value) {
                return Err(ImageSettingError::SamplePixelsOutOfRange {
                    value,
                    max: limits.max_pixels,
                });
            }
            limits.sample_pixels = Some(value);
        }
        Ok(limits)
    }
}

/// Why an image could not be described.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// No bytes at all.
    #[error("the image is empty (0 bytes)")]
    Empty,
    /// The leading bytes match no known image format.
    #[error("not an image in a known format")]
    UnknownFormat,
    /// A known format that this build does not decode.
    #[error("the {0} format is not supported")]
    UnsupportedFormat(&'static str),
    /// The data ends before the image does.
    #[error("the image is truncated")]
    Truncated,
    /// The decoder rejected the data.
    #[error("the image is corrupt: {0}")]
    Corrupt(String),
    /// The image's bytes could not be had at all: a file that cannot be read, text that is
    /// neither a file name nor base64 (the caller's reason).
    #[error("the image could not be read: {0}")]
    Unreadable(String),
    /// The header's dimensions exceed the pixel limit.
    #[error("the image has {width} x {height} pixels, more than the limit of {max_pixels}")]
    TooManyPixels {
        /// Width from the header.
        width: u32,
        /// Height from the header.
        height: u32,
        /// The limit in force.
        max_pixels: u64,
    },
}

impl ImageError {
    /// The reason this error is counted under.
    pub fn reason(&self) -> ImageFailureReason {
        match self {
            ImageError::Empty => ImageFailureReason::Empty,
            ImageError::UnknownFormat => ImageFailureReason::UnknownFormat,
            ImageError::UnsupportedFormat(_) => ImageFailureReason::UnsupportedFormat,
            ImageError::Truncated => ImageFailureReason::Truncated,
            ImageError::Corrupt(_) => ImageFailureReason::Corrupt,
            ImageError::Unreadable(_) => ImageFailureReason::Unreadable,
            ImageError::TooManyPixels { .. } => ImageFailureReason::TooManyPixels,
        }
    }
}

/// The reason an image failed, without details: what per-column failure counts are keyed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageFailureReason {
    /// See [`ImageError::Empty`].
    Empty,
    /// See [`ImageError::UnknownFormat`].
    UnknownFormat,
    /// See [`ImageError::UnsupportedFormat`].
    UnsupportedFormat,
    /// See [`ImageError::Truncated`].
    Truncated,
    /// See [`ImageError::Corrupt`].
    Corrupt,
    /// See [`ImageError::Unreadable`].
    Unreadable,
    /// See [`ImageError::TooManyPixels`].
    TooManyPixels,
}

impl ImageFailureReason {
    /// The snake_case name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ImageFailureReason::Empty => "empty",
            ImageFailureReason::UnknownFormat => "unknown_format",
            ImageFailureReason::UnsupportedFormat => "unsupported_format",
            ImageFailureReason::Truncated => "truncated",
            ImageFailureReason::Corrupt => "corrupt",
            ImageFailureReason::Unreadable => "unreadable",
            ImageFailureReason::TooManyPixels => "too_many_pixels",
        }
    }
}

/// Whether a descriptor is a number or a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DescriptorKind {
    /// A float column.
    Numerical,
    /// A string column.
    Categorical,
}

/// One image descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageDescriptor {
    /// Container format (`jpeg`, `png`, ...).
    Format,
    /// Decoded colour mode (`L8`, `RGB8`, `RGBA16`, ...).
    Mode,
    /// Channels of that mode.
    Channels,
    /// Size of the encoded file in bytes.
    Bytes,
    /// Width in pixels.
    Width,
    /// Height in pixels.
    Height,
    /// Height / width.
    AspectRatio,
    /// Width * height.
    Area,
    /// Mean luminance, 0–255.
    Brightness,
    /// RMS contrast of the luminance.
    Contrast,
    /// Mean red relative intensity.
    MeanRed,
    /// Mean green relative intensity.
    MeanGreen,
    /// Mean blue relative intensity.
    MeanBlue,
    /// Mean HSV saturation, 0–255.
    Saturation,
    /// Hasler–Süsstrunk colourfulness.
    Colorfulness,
    /// Entropy of the grey histogram, bits.
    Entropy,
    /// Share of over-exposed pixels.
    OverexposedShare,
    /// Share of under-exposed pixels.
    UnderexposedShare,
    /// Variance of the Laplacian.
    Sharpness,
    /// EXIF camera maker.
    Make,
    /// EXIF camera model.
    Model,
    /// EXIF software.
    Software,
    /// EXIF orientation code 1–8.
    Orientation,
    /// EXIF ISO speed.
    Iso,
    /// EXIF exposure time, seconds.
    ExposureTime,
    /// EXIF focal length, millimetres.
    FocalLength,
}

/// Every image descriptor, in the order of the descriptor columns.
pub const IMAGE_DESCRIPTORS: [ImageDescriptor; 26] = [
    ImageDescriptor::Format,
    ImageDescriptor::Mode,
    ImageDescriptor::Channels,
    ImageDescriptor::Bytes,
    ImageDescriptor::Width,
    ImageDescriptor::Height,
    ImageDescriptor::AspectRatio,
    ImageDescriptor::Area,
    ImageDescriptor::Brightness,
    ImageDescriptor::Contrast,
    ImageDescriptor::MeanRed,
    ImageDescriptor::MeanGreen,
    ImageDescriptor::MeanBlue,
    ImageDescriptor::Saturation,
    ImageDescriptor::Colorfulness,
    ImageDescriptor::Entropy,
    ImageDescriptor::OverexposedShare,
    ImageDescriptor::UnderexposedShare,
    ImageDescriptor::Sharpness,
    ImageDescriptor::Make,
    ImageDescriptor::Model,
    ImageDescriptor::Software,
    ImageDescriptor::Orientation,
    ImageDescriptor::Iso,
    ImageDescriptor::ExposureTime,
    ImageDescriptor::FocalLength,
];

/// The descriptors computed from the pixels (light, colour and sharpness): the ones the
/// reduced-work mode ([`ImageSettings::sample_pixels`]) changes; the others come from the
/// file's header and EXIF and stay exact.
pub const PIXEL_DESCRIPTORS: [ImageDescriptor; 11] = {
    // Brightness to Sharpness: one run of IMAGE_DESCRIPTORS, taken from it, not listed twice.
    const FIRST: usize = 8;
    let mut out = [IMAGE_DESCRIPTORS[FIRST]; 11];
    let mut i = 0;
    while i < out.len() {
        out[i] = IMAGE_DESCRIPTORS[FIRST + i];
        i += 1;
    }
    assert!(matches!(out[0], ImageDescriptor::Brightness));
    assert!(matches!(out[10], ImageDescriptor::Sharpness));
    out
};

/// The names of [`IMAGE_DESCRIPTORS`], in the same order (the `<descriptor>` of a column name).
pub const IMAGE_DESCRIPTOR_NAMES: [&str; IMAGE_DESCRIPTORS.len()] = {
    let mut names = [""; IMAGE_DESCRIPTORS.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = IMAGE_DESCRIPTORS[i].name();
        i += 1;
    }
    names
};

impl ImageDescriptor {
    /// The descriptor's name, the part after the dot in `<column>.<descriptor>`.
    pub const fn name(self) -> &'static str {
        match self {
            ImageDescriptor::Format => "format",
            ImageDescriptor::Mode => "mode",
            ImageDescriptor::Channels => "channels",
            ImageDescriptor::Bytes => "bytes",
            ImageDescriptor::Width => "width",
            ImageDescriptor::Height => "height",
            ImageDescriptor::AspectRatio => "aspect_ratio",
            ImageDescriptor::Area => "area",
            ImageDescriptor::Brightness => "brightness",
            ImageDescriptor::Contrast => "contrast",
            ImageDescriptor::MeanRed => "mean_red",
            ImageDescriptor::MeanGreen => "mean_green",
            ImageDescriptor::MeanBlue => "mean_blue",
            ImageDescriptor::Saturation => "saturation",
            ImageDescriptor::Colorfulness => "colorfulness",
            ImageDescriptor::Entropy => "entropy",
            ImageDescriptor::OverexposedShare => "overexposed_share",
            ImageDescriptor::UnderexposedShare => "underexposed_share",
            ImageDescriptor::Sharpness => "sharpness",
            ImageDescriptor::Make => "make",
            ImageDescriptor::Model => "model",
            ImageDescriptor::Software => "software",
            ImageDescriptor::Orientation => "orientation",
            ImageDescriptor::Iso => "iso",
            ImageDescriptor::ExposureTime => "exposure_time",
            ImageDescriptor::FocalLength => "focal_length",
        }
    }

    /// Whether the descriptor's column holds numbers or labels. The EXIF orientation is a
    /// label: its codes 1–8 name rotations and mirrorings, they do not measure anything.
    pub const fn kind(self) -> DescriptorKind {
        match self {
            ImageDescriptor::Format
            | ImageDescriptor::Mode
            | ImageDescriptor::Make
            | ImageDescriptor::Model
            | ImageDescriptor::Software
            | ImageDescriptor::Orientation => DescriptorKind::Categorical,
            _ => DescriptorKind::Numerical,
        }
    }

    /// The descriptor called `name`, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        IMAGE_DESCRIPTORS.into_iter().find(|d| d.name() == name)
    }

    /// The column name `<column>.<descriptor>`.
    pub fn column_name(self, column: &str) -> String {
        format!("{column}.{}", self.name())
    }
}

/// One descriptor's value for one image.
#[derive(Debug, Clone, PartialEq)]
pub enum DescriptorValue<'a> {
    /// A numerical descriptor; `None` when absent (EXIF without the tag).
    Number(Option<f64>),
    /// A categorical descriptor; `None` when absent.
    Label(Option<std::borrow::Cow<'a, str>>),
}

/// Every descriptor of one image.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageDescriptors {
    /// Container format, lower case.
    pub format: &'static str,
    /// Decoded colour mode.
    pub mode: &'static str,
    /// Channels of the decoded colour mode.
    pub channels: u8,
    /// Size of the encoded image in bytes.
    pub bytes: u64,
    /// Width in pixels, as stored.
    pub width: u32,
    /// Height in pixels, as stored.
    pub height: u32,
    /// Light and colour descriptors.
    pub light: LightDescriptors,
    /// Variance of the Laplacian of the luminance.
    pub sharpness: f64,
    /// EXIF descriptors.
    pub exif: ExifDescriptors,
}

impl ImageDescriptors {
    /// The value of one descriptor.
    pub fn value(&self, descriptor: ImageDescriptor) -> DescriptorValue<'_> {
        use std::borrow::Cow;
        use DescriptorValue::{Label, Number};
        let l = &self.light;
        let x = &self.exif;
        match descriptor {
            ImageDescriptor::Format => Label(Some(Cow::Borrowed(self.format))),
            ImageDescriptor::Mode => Label(Some(Cow::Borrowed(self.mode))),
            ImageDescriptor::Channels => Number(Some(f64::from(self.channels))),
            ImageDescriptor::Bytes => Number(Some(self.bytes as f64)),
            ImageDescriptor::Width => Number(Some(f64::from(self.width))),
            ImageDescriptor::Height => Number(Some(f64::from(self.height))),
            ImageDescriptor::AspectRatio => {
                Number(Some(geometry::aspect_ratio(self.width, self.height)))
            }
            ImageDescriptor::Area => Number(Some(geometry::area(self.width, self.height))),
            ImageDescriptor::Brightness => Number(Some(l.brightness)),
            ImageDescriptor::Contrast => Number(Some(l.contrast)),
            ImageDescriptor::MeanRed => Number(Some(l.mean_red)),
            ImageDescriptor::MeanGreen => Number(Some(l.mean_green)),
            ImageDescriptor::MeanBlue => Number(Some(l.mean_blue)),
            ImageDescriptor::Saturation => Number(Some(l.saturation)),
            ImageDescriptor::Colorfulness => Number(Some(l.colorfulness)),
            ImageDescriptor::Entropy => Number(Some(l.entropy)),
            ImageDescriptor::OverexposedShare => Number(Some(l.overexposed_share)),
            ImageDescriptor::UnderexposedShare => Number(Some(l.underexposed_share)),
            ImageDescriptor::Sharpness => Number(Some(self.sharpness)),
            ImageDescriptor::Make => Label(x.make.as_deref().map(Cow::Borrowed)),
            ImageDescriptor::Model => Label(x.model.as_deref().map(Cow::Borrowed)),
            ImageDescriptor::Software => Label(x.software.as_deref().map(Cow::Borrowed)),
            ImageDescriptor::Orientation => Label(x.orientation.map(|o| Cow::Owned(o.to_string()))),
            ImageDescriptor::Iso => Number(x.iso),
            ImageDescriptor::ExposureTime => Number(x.exposure_time),
            ImageDescriptor::FocalLength => Number(x.focal_length),
        }
    }
}

/// Decodes one encoded image and computes every descriptor on all its pixels (on a reduced
/// image with [`ImageLimits::sample_pixels`]).
pub fn describe_image(bytes: &[u8], limits: &ImageLimits) -> Result<ImageDescriptors, ImageError> {
    guard_decoder(|| {
        let decoded = decode::decode(bytes, limits)?;
        Ok(describe_decoded_rgb(bytes, &decoded))
    })
}

/// Runs decoding work, turning a panic into a corrupt-image error: the decoders are
/// third-party code fed untrusted bytes, and should one of them panic the image is reported
/// as corrupt instead of taking the whole column (or the server's worker) down.
pub(crate) fn guard_decoder<T>(
    work: impl FnOnce() -> Result<T, ImageError>,
) -> Result<T, ImageError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).unwrap_or_else(|_| {
        Err(ImageError::Corrupt(
            "the decoder failed on this data".to_string(),
        ))
    })
}

/// The descriptors of a decoded image whose encoded form is `bytes`.
pub(crate) fn describe_decoded_rgb(
    bytes: &[u8],
    decoded: &decode::DecodedImage,
) -> ImageDescriptors {
    ImageDescriptors {
        format: decoded.format,
        mode: decoded.mode,
        channels: decoded.channels,
        bytes: bytes.len() as u64,
        width: decoded.width,
        height: decoded.height,
        light: light::light(&decoded.rgb),
        sharpness: sharpness::laplacian_variance(&decoded.rgb),
        exif: exif::read_exif(bytes),
    }
}

/// An image of a column that could not be described.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageFailure {
    /// Its row, counted from 0.
    pub row: usize,
    /// Why.
    pub error: ImageError,
}

/// The descriptor columns of one image column, with its failures.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageColumnDescriptors {
    /// One column per descriptor, named `<column>.<descriptor>`, in [`IMAGE_DESCRIPTORS`] order.
    pub table: Table,
    /// Rows without an image (a missing input value; not a failure).
    pub missing: usize,
    /// Rows whose image could not be described, in row order.
    pub failures: Vec<ImageFailure>,
}

impl ImageColumnDescriptors {
    /// The number of failed images per reason.
    pub fn failure_counts(&self) -> BTreeMap<ImageFailureReason, usize> {
        count_by_reason(self.failures.iter().map(|f| &f.error))
    }
}

/// The number of `errors` per failure reason.
pub fn count_by_reason<'a>(
    errors: impl IntoIterator<Item = &'a ImageError>,
) -> BTreeMap<ImageFailureReason, usize> {
    let mut counts = BTreeMap::new();
    for e in errors {
        *counts.entry(e.reason()).or_insert(0) += 1;
    }
    counts
}

/// One descriptor column under construction.
#[derive(Debug)]
enum DescriptorColumn {
    Numbers(Vec<f64>),
    Labels(StrColumnBuilder),
}

/// Builds the descriptor columns of an image column one row at a time, for callers that
/// describe images as they arrive (the service's ingestion) rather than from an iterator.
#[derive(Debug)]
pub struct ImageColumnBuilder {
    column: String,
    columns: Vec<DescriptorColumn>,
    rows: usize,
    missing: usize,
    failures: Vec<ImageFailure>,
}

impl ImageColumnBuilder {
    /// An empty builder for the image column `column`.
    pub fn new(column: &str) -> Self {
        let columns = IMAGE_DESCRIPTORS
            .iter()
            .map(|d| match d.kind() {
                DescriptorKind::Numerical => DescriptorColumn::Numbers(Vec::new()),
                DescriptorKind::Categorical => {
                    DescriptorColumn::Labels(StrColumnBuilder::with_capacity(0))
                }
            })
            .collect();
        Self {
            column: column.to_string(),
            columns,
            rows: 0,
            missing: 0,
            failures: Vec::new(),
        }
    }

    /// Appends a row without an image.
    pub fn push_missing(&mut self) {
        self.missing += 1;
        self.push_empty_row();
    }

    /// Appends a row from the outcome of [`describe_image`].
    pub fn push(&mut self, outcome: Result<&ImageDescriptors, &ImageError>) {
        match outcome {
            Ok(descriptors) => {
                for (d, column) in IMAGE_DESCRIPTORS.iter().zip(&mut self.columns) {
                    match (column, descriptors.value(*d)) {
                        (DescriptorColumn::Numbers(v), DescriptorValue::Number(x)) => {
                            v.push(x.unwrap_or(f64::NAN))
                        }
                        (DescriptorColumn::Labels(b), DescriptorValue::Label(s)) => {
                            b.push(s.as_deref())
                        }
                        // The kind of a descriptor decides both its column and its value.
                        (DescriptorColumn::Numbers(v), DescriptorValue::Label(_)) => {
                            v.push(f64::NAN)
                        }
                        (DescriptorColumn::Labels(b), DescriptorValue::Number(_)) => b.push(None),
                    }
                }
                self.rows += 1;
            }
            Err(error) => {
                self.failures.push(ImageFailure {
                    row: self.rows,
                    error: error.clone(),
                });
                self.push_empty_row();
            }
        }
    }

    fn push_empty_row(&mut self) {
        for column in &mut self.columns {
            match column {
                DescriptorColumn::Numbers(v) => v.push(f64::NAN),
                DescriptorColumn::Labels(b) => b.push(None),
            }
        }
        self.rows += 1;
    }

    /// Describes `count` images in parallel and appends them in order: `source(i)` gives
    /// image `i`'s encoded bytes (`None`: no image, a missing value; `Err`: bytes that could
    /// not be had, a failure). Each image is fetched and described by the same worker, so a
    /// caller holds `count` outcomes, one encoded and one decoded image per worker.
    pub fn describe_chunk<B: AsRef<[u8]>>(
        &mut self,
        count: usize,
        source: impl Fn(usize) -> Option<Result<B, ImageError>> + Sync,
        limits: &ImageLimits,
    ) {
        let outcomes: Vec<Option<Result<ImageDescriptors, ImageError>>> = (0..count)
            .into_par_iter()
            .map(|i| source(i).map(|bytes| bytes.and_then(|b| describe_image(b.as_ref(), limits))))
            .collect();
        for outcome in &outcomes {
            match outcome {
                None => self.push_missing(),
                Some(result) => self.push(result.as_ref()),
            }
        }
    }

    /// The finished descriptor columns.
    pub fn finish(self) -> ImageColumnDescriptors {
        let columns = IMAGE_DESCRIPTORS
            .iter()
            .zip(self.columns)
            .map(|(d, column)| {
                let data = match column {
                    DescriptorColumn::Numbers(v) => ColumnData::Float(v),
                    DescriptorColumn::Labels(b) => ColumnData::Str(b.finish()),
                };
                Column::new(d.column_name(&self.column), data)
            })
            .collect();
        // Names are distinct (one per descriptor) and every column got one value per row.
        let table = Table::new(columns).unwrap_or_default();
        ImageColumnDescriptors {
            table,
            missing: self.missing,
            failures: self.failures,
        }
    }
}

/// Describes a column of `rows` images into its descriptor columns: `source(r)` gives row
/// `r`'s encoded bytes (`None`: no image, a missing value; `Err`: bytes that could not be
/// had, a failure). Rows are taken [`IMAGES_PER_CHUNK`] at a time and each is fetched and
/// described by the same worker, so a caller that reads files in `source` holds one encoded
/// image and one decoded image per worker, however long the column.
pub fn describe_image_column<B>(
    column: &str,
    rows: usize,
    source: impl Fn(usize) -> Option<Result<B, ImageError>> + Sync,
    limits: &ImageLimits,
) -> ImageColumnDescriptors
where
    B: AsRef<[u8]>,
{
    let mut builder = ImageColumnBuilder::new(column);
    for start in (0..rows).step_by(IMAGES_PER_CHUNK) {
        let count = IMAGES_PER_CHUNK.min(rows - start);
        builder.describe_chunk(count, |i| source(start + i), limits);
    }
    builder.finish()
}
