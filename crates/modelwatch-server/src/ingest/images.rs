//! Images and vectors inside events.
//!
//! An image column's value (base64 text or a `data:` URI in JSON, or a multipart file part)
//! is replaced in the stored event by the image's descriptor columns `<column>.<descriptor>`
//! (see `modelwatch_core::descriptors::image`); the image itself is not kept, only a small
//! JPEG thumbnail when the project keeps thumbnails. Images are described
//! [`IMAGES_PER_CHUNK`] at a time, in parallel on rayon's workers: a request's events wait
//! in [`PendingEvents`] until a chunk's worth of images has been read, so at most one chunk
//! of encoded images and one decoded image per worker are held, whatever the batch's size.
//!
//! An image that does not decode (corrupt, truncated, empty, not an image, more pixels
//! than `limits.image_pixels`) is not a rejected row: the event is stored with its
//! descriptors missing, and the failure is counted per column and reason in the answer,
//! as `modelwatch report` counts the images of a column it could not describe. What makes
//! a row rejected is input that is not an image at all: text that is not base64, an image
//! over `limits.image_bytes`.

use std::collections::BTreeMap;

use modelwatch_core::descriptors::image::thumbnail::{
    describe_image_with_thumbnail, THUMBNAIL_MAX_SIDE,
};
use modelwatch_core::descriptors::image::{
    describe_image, DescriptorValue, ImageDescriptors, ImageError, ImageLimits, IMAGES_PER_CHUNK,
    IMAGE_DESCRIPTORS,
};
use rayon::prelude::*;
use serde_json::{Map, Value};

use crate::store::{NewEvent, Thumbnail};

/// How a project's images are read.
#[derive(Debug, Clone, Default)]
pub struct ImageRules {
    /// The image columns (`columns.images`).
    pub columns: Vec<String>,
    /// The largest encoded image, in bytes (`limits.image_bytes`).
    pub max_bytes: usize,
    /// The pixel limit of decoding (`limits.image_pixels`).
    pub limits: ImageLimits,
    /// Whether a thumbnail of each image is kept (the project's `thumbnails`).
    pub thumbnails: bool,
}

impl ImageRules {
    /// Whether `key` is an image column.
    pub fn is_image(&self, key: &str) -> bool {
        self.columns.iter().any(|c| c == key)
    }

    /// Checks an image's size: more than `max_bytes` is the row's rejection reason.
    pub fn check_size(&self, column: &str, bytes: usize) -> Result<(), String> {
        if bytes > self.max_bytes {
            return Err(format!(
                "column `{column}`: the image is {bytes} bytes, more than the limit of {} \
                 (limits.image_bytes)",
                self.max_bytes
            ));
        }
        Ok(())
    }

    /// The bytes of an image sent as a JSON value: base64 text or a `data:` URI; `None`
    /// for `null` (no image: its descriptors are missing values).
    pub fn image_of_value(&self, column: &str, value: &Value) -> Result<Option<Vec<u8>>, String> {
        let text = match value {
            Value::Null => return Ok(None),
            Value::String(s) => s,
            Value::Number(_) => {
                return Err(format!(
                    "column `{column}` (image): expected base64 text or a data: URI, got a number"
                ))
            }
            Value::Bool(_) => {
                return Err(format!(
                    "column `{column}` (image): expected base64 text or a data: URI, got a boolean"
                ))
            }
            Value::Array(_) | Value::Object(_) => {
                return Err(format!(
                    "column `{column}` (image): expected base64 text or a data: URI, got {}",
                    if value.is_array() {
                        "an array"
                    } else {
                        "an object"
                    }
                ))
            }
        };
        // Base64 holds 3 bytes in 4 characters: a text that long cannot fit the limit, and
        // is refused before it is decoded.
        self.check_size(column, text.trim().len() / 4 * 3)?;
        let bytes = modelwatch_io::images::image_text_bytes(text).map_err(|e| {
            let why = match e {
                ImageError::Unreadable(why) => why,
                other => other.to_string(),
            };
            format!("column `{column}` (image): {why}")
        })?;
        self.check_size(column, bytes.len())?;
        Ok(Some(bytes))
    }
}

/// Images that could not be described, by image column and reason (`truncated`,
/// `corrupt`, `too_many_pixels`, ...): what an ingestion answer reports as
/// `image_failures`.
pub type ImageFailures = BTreeMap<String, BTreeMap<&'static str, usize>>;

/// A valid event whose images are still to be described.
#[derive(Debug)]
pub struct PendingEvent {
    /// The event, with its values still to be written out.
    pub event: NewEvent,
    /// Its values, to which the descriptor columns are added.
    pub values: Map<String, Value>,
    /// Its images: the column and the encoded bytes.
    pub images: Vec<(String, Vec<u8>)>,
}

impl PendingEvent {
    /// The finished event, without images to describe.
    pub fn finish(mut self) -> NewEvent {
        self.event.values_json = Value::Object(self.values).to_string();
        self.event
    }
}

/// Events waiting for their images to be described, in arrival order.
#[derive(Debug, Default)]
pub struct PendingEvents {
    events: Vec<PendingEvent>,
    images: usize,
}

impl PendingEvents {
    /// Queues an event; when a chunk's worth of images is waiting, describes them and moves
    /// the finished events to `out`.
    pub fn push(
        &mut self,
        event: PendingEvent,
        rules: &ImageRules,
        out: &mut Vec<NewEvent>,
        failures: &mut ImageFailures,
    ) {
        if event.images.is_empty() && self.events.is_empty() {
            out.push(event.finish());
            return;
        }
        self.images += event.images.len();
        self.events.push(event);
        if self.images >= IMAGES_PER_CHUNK {
            self.flush(rules, out, failures);
        }
    }

    /// Describes every waiting image and moves the finished events to `out`.
    pub fn flush(
        &mut self,
        rules: &ImageRules,
        out: &mut Vec<NewEvent>,
        failures: &mut ImageFailures,
    ) {
        let events = std::mem::take(&mut self.events);
        self.images = 0;
        let jobs: Vec<(usize, &str, &[u8])> = events
            .iter()
            .enumerate()
            .flat_map(|(e, p)| {
                p.images
                    .iter()
                    .map(move |(c, b)| (e, c.as_str(), b.as_slice()))
            })
            .collect();
        let outcomes: Vec<Described> = jobs
            .par_iter()
            .map(|(_, _, bytes)| describe(bytes, rules))
            .collect();
        let mut results: Vec<Vec<(String, Described)>> =
            events.iter().map(|_| Vec::new()).collect();
        for ((e, column, _), outcome) in jobs.iter().zip(outcomes) {
            results[*e].push((column.to_string(), outcome));
        }
        for (mut pending, described) in events.into_iter().zip(results) {
            pending.images.clear();
            for (column, outcome) in described {
                match outcome {
                    Ok((descriptors, thumbnail)) => {
                        insert_descriptors(&mut pending.values, &column, &descriptors);
                        if let Some(jpeg) = thumbnail {
                            pending.event.thumbnails.push(Thumbnail { column, jpeg });
                        }
                    }
                    Err(e) => {
                        *failures
                            .entry(column)
                            .or_default()
                            .entry(e.reason().as_str())
                            .or_insert(0) += 1;
                    }
                }
            }
            out.push(pending.finish());
        }
    }
}

/// An image's descriptors and, when the project keeps them, its thumbnail; or why it
/// could not be described.
pub type Described = Result<(ImageDescriptors, Option<Vec<u8>>), ImageError>;

/// Describes one image, with its thumbnail when the project keeps them (one decode).
pub fn describe(bytes: &[u8], rules: &ImageRules) -> Described {
    if rules.thumbnails {
        describe_image_with_thumbnail(bytes, &rules.limits, THUMBNAIL_MAX_SIDE)
            .map(|(d, t)| (d, Some(t)))
    } else {
        describe_image(bytes, &rules.limits).map(|d| (d, None))
    }
}

/// Writes an image's descriptors into an event's values as `<column>.<descriptor>`; a
/// descriptor without a value (EXIF without the tag) is left out, a missing value.
pub fn insert_descriptors(values: &mut Map<String, Value>, column: &str, d: &ImageDescriptors) {
    for descriptor in IMAGE_DESCRIPTORS {
        let value = match d.value(descriptor) {
            DescriptorValue::Number(Some(x)) => serde_json::Number::from_f64(x).map(Value::Number),
            DescriptorValue::Label(Some(s)) => Some(Value::String(s.into_owned())),
            _ => None,
        };
        if let Some(v) = value {
            values.insert(descriptor.column_name(column), v);
        }
    }
}

/// The vector columns a schema holds: for each prefix `K`, the count `n` of its columns
/// `K.0 .. K.{n-1}` (a JSON array under key `K` must have that length).
pub fn vector_lengths(names: impl IntoIterator<Item = impl AsRef<str>>) -> BTreeMap<String, usize> {
    let mut seen: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for name in names {
        let name = name.as_ref();
        if let Some((prefix, i)) = name.rsplit_once('.') {
            // `v.01` or `v.+1` name columns of their own, not components.
            if let Some(k) = i.parse::<usize>().ok().filter(|k| k.to_string() == i) {
                seen.entry(prefix.to_string()).or_default().push(k);
            }
        }
    }
    seen.into_iter()
        .filter_map(|(prefix, mut idx)| {
            idx.sort_unstable();
            // Only a run 0..n without gaps is a vector; `v.1` alone is a column of its own.
            (idx.iter().enumerate().all(|(k, &i)| k == i)).then_some((prefix, idx.len()))
        })
        .collect()
}

/// Replaces a JSON array of numbers under `key` by the keys `key.0 .. key.{n-1}`; a `null`
/// component is a missing value. The array must have `expected` components when the
/// project has such columns, and at most `max_len` in any case.
pub fn expand_vector(
    values: &mut Map<String, Value>,
    key: &str,
    expected: Option<usize>,
    max_len: usize,
) -> Result<(), String> {
    let Some(Value::Array(items)) = values.remove(key) else {
        return Ok(());
    };
    if let Some(n) = expected {
        if items.len() != n {
            return Err(format!(
                "column `{key}` (vector): {} components, but the project's vectors have {n} \
                 (`{key}.0` .. `{key}.{}`)",
                items.len(),
                n.saturating_sub(1)
            ));
        }
    }
    if items.len() > max_len {
        return Err(format!(
            "column `{key}` (vector): {} components, more than the {max_len} columns an event \
             may have (limits.columns_per_project)",
            items.len()
        ));
    }
    for (i, item) in items.into_iter().enumerate() {
        match item {
            Value::Number(_) | Value::Null => {
                values.insert(format!("{key}.{i}"), item);
            }
            other => {
                return Err(format!(
                    "column `{key}` (vector): component {i} is {}, not a number",
                    match other {
                        Value::String(_) => "text",
                        Value::Bool(_) => "a boolean",
                        Value::Array(_) => "an array",
                        _ => "an object",
                    }
                ))
            }
        }
    }
    Ok(())
}
