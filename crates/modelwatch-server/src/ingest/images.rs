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

use std::borrow::Cow;
use std::collections::BTreeMap;

use modelwatch_core::descriptors::image::thumbnail::{
    describe_image_with_thumbnail, THUMBNAIL_MAX_SIDE,
};
use modelwatch_core::descriptors::image::{
    describe_image, DescriptorValue, ImageDescriptors, ImageError, ImageLimits, IMAGES_PER_CHUNK,
    IMAGE_DESCRIPTORS,
};
use modelwatch_core::schema::component_index;
use rayon::prelude::*;
use serde_json::{Map, Value};

use crate::store::{NewEvent, Thumbnail};

/// How a project's images are read.
#[derive(Debug, Clone, Default)]
pub struct ImageRules<'a> {
    /// The image columns (`columns.images`): the project's own, or a list of their own.
    pub columns: Cow<'a, [String]>,
    /// The largest encoded image, in bytes (`limits.image_bytes`).
    pub max_bytes: usize,
    /// The pixel limit of decoding (`limits.image_pixels`).
    pub limits: ImageLimits,
    /// Whether a thumbnail of each image is kept (the project's `thumbnails`).
    pub thumbnails: bool,
}

impl ImageRules<'_> {
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
            other => {
                return Err(format!(
                    "column `{column}` (image): expected base64 text or a data: URI, got {}",
                    super::kind(other)
                ))
            }
        };
        // The text is at most `max_body_bytes` long (it is inside the body), so decoding it
        // before the size is known costs no more than the body itself.
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
        rules: &ImageRules<'_>,
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
        rules: &ImageRules<'_>,
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
            .map(|(_, _, bytes)| describe(bytes, &rules.limits, rules.thumbnails))
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

/// Describes one image under `limits`, with its thumbnail when `thumbnails` (one decode).
pub fn describe(bytes: &[u8], limits: &ImageLimits, thumbnails: bool) -> Described {
    if thumbnails {
        describe_image_with_thumbnail(bytes, limits, THUMBNAIL_MAX_SIDE).map(|(d, t)| (d, Some(t)))
    } else {
        describe_image(bytes, limits).map(|d| (d, None))
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
        if let Some(dot) = name.rfind('.') {
            // `v.01` or `v.+1` name columns of their own, not components.
            if let Some(k) = component_index(name, &name[..=dot]) {
                seen.entry(name[..dot].to_string()).or_default().push(k);
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

/// Replaces a JSON array of numbers under `key`, a vector of the project, by the keys
/// `key.0 .. key.{n-1}`; a `null` component is a missing value. The array must have the
/// `expected` components of the project's vector (the event's key budget is checked by the
/// caller, before any component is inserted).
pub fn expand_vector(
    values: &mut Map<String, Value>,
    key: &str,
    expected: usize,
) -> Result<(), String> {
    let Some(Value::Array(items)) = values.remove(key) else {
        return Ok(());
    };
    let n = expected;
    if items.len() != n {
        return Err(format!(
            "column `{key}` (vector): {} components, but the project's vectors have {n} \
             (`{key}.0` .. `{key}.{}`)",
            items.len(),
            n.saturating_sub(1)
        ));
    }
    let prefix = modelwatch_io::vectors::component_prefix(key);
    for (i, item) in items.into_iter().enumerate() {
        match item {
            Value::Number(_) | Value::Null => {
                values.insert(modelwatch_core::schema::component_name(&prefix, i), item);
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

#[cfg(test)]
mod tests {
    use base64::Engine;
    use modelwatch_core::schema::{ColumnRole, ColumnSpec, ColumnType};

    use super::*;
    use crate::ingest::{read_events, BodyFormat, EventRules, RowLimits, Validated};

    pub(crate) fn fixture(name: &str) -> Vec<u8> {
        let root =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/images");
        std::fs::read(root.join(name)).unwrap()
    }

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    fn schema() -> Vec<ColumnSpec> {
        let spec = |name: &str, t| ColumnSpec {
            name: name.into(),
            column_type: t,
            role: ColumnRole::Feature,
        };
        vec![
            spec("x", ColumnType::Numerical),
            spec("photo.width", ColumnType::Numerical),
            spec("photo.format", ColumnType::Categorical),
            spec("v.0", ColumnType::Numerical),
            spec("v.1", ColumnType::Numerical),
            spec("v.2", ColumnType::Numerical),
        ]
    }

    fn rules(thumbnails: bool, max_bytes: usize) -> ImageRules<'static> {
        ImageRules {
            columns: vec!["photo".into()].into(),
            max_bytes,
            limits: ImageLimits::default(),
            thumbnails,
        }
    }

    fn run(body: &str, images: ImageRules<'_>, max_keys: usize) -> Validated {
        let schema = schema();
        let rules = EventRules::new(&schema, vec![], None, None).with_images(images, max_keys);
        let limits = RowLimits {
            max_rows: 1000,
            max_keys: 100,
        };
        read_events(body.as_bytes(), BodyFormat::Json, &limits, &rules, 7).unwrap()
    }

    fn values(v: &Validated, i: usize) -> Map<String, Value> {
        serde_json::from_str(&v.events[i].values_json).unwrap()
    }

    #[test]
    fn base64_and_data_uris_become_descriptors_and_bad_images_are_counted_not_rejected() {
        let png = b64(&fixture("pattern.png"));
        let jpg = b64(&fixture("pattern.jpg"));
        let events = [
            format!(r#"{{"x": 1, "photo": "{png}"}}"#),
            format!(r#"{{"x": 2, "photo": "data:image/jpeg;base64,{jpg}"}}"#),
            r#"{"x": 3, "photo": "not base64 at all!"}"#.to_string(),
            format!(r#"{{"photo": "{}"}}"#, b64(&fixture("corrupt.png"))),
            format!(r#"{{"photo": "{}"}}"#, b64(&fixture("truncated.jpg"))),
            r#"{"photo": ""}"#.to_string(),
            format!(r#"{{"photo": "{}"}}"#, b64(&fixture("not_an_image.txt"))),
            format!(r#"{{"photo": "{}"}}"#, b64(&fixture("one_pixel.png"))),
            format!(
                r#"{{"photo": "{}"}}"#,
                b64(&fixture("bomb_20000x20000.png"))
            ),
            format!(r#"{{"photo": "{}"}}"#, b64(&fixture("astronaut.jpg"))),
            r#"{"photo": 5}"#.to_string(),
            r#"{"x": 4, "photo": null}"#.to_string(),
        ];
        let body = format!("[{}]", events.join(","));
        // Room for every fixture but the astronaut photograph.
        let max_bytes = fixture("astronaut.jpg").len() - 1;
        let v = run(&body, rules(true, max_bytes), 100);

        let rejected: Vec<(usize, &str)> = v
            .rejected
            .iter()
            .map(|r| (r.index, r.reason.as_str()))
            .collect();
        assert_eq!(rejected.len(), 3, "{rejected:?}");
        assert_eq!(rejected[0].0, 2);
        assert!(
            rejected[0].1.contains("column `photo` (image)"),
            "{rejected:?}"
        );
        assert!(rejected[0].1.contains("base64"), "{rejected:?}");
        assert_eq!(rejected[1].0, 9);
        assert!(rejected[1].1.contains("limits.image_bytes"), "{rejected:?}");
        assert_eq!(rejected[2].0, 10);
        assert!(rejected[2].1.contains("got a number"), "{rejected:?}");
        assert!(v.rejected.iter().all(|r| r.kind == "invalid_value"));

        // Nine stored, in request order; the five bad images with their reasons.
        assert_eq!(v.events.len(), 9);
        let counts: Vec<(&str, usize)> = v.image_failures["photo"]
            .iter()
            .map(|(r, n)| (*r, *n))
            .collect();
        assert_eq!(
            counts,
            [
                ("corrupt", 1),
                ("empty", 1),
                ("too_many_pixels", 1),
                ("truncated", 1),
                ("unknown_format", 1)
            ]
        );
        let first = values(&v, 0);
        assert!(first.get("photo").is_none(), "the image is not kept");
        assert_eq!(first["photo.format"], "png");
        assert!(first["photo.width"].as_f64().unwrap() > 1.0);
        assert_eq!(values(&v, 1)["photo.format"], "jpeg");
        assert_eq!(values(&v, 6)["photo.width"], 1.0);
        // A failed image leaves its descriptors missing; the row's other values stay.
        assert!(values(&v, 2).get("photo.width").is_none());
        assert_eq!(values(&v, 8)["x"], 4);
        // Thumbnails: one per described image, JPEG, at most 96 px.
        let thumbs: Vec<usize> = v.events.iter().map(|e| e.thumbnails.len()).collect();
        assert_eq!(thumbs, [1, 1, 0, 0, 0, 0, 1, 0, 0]);
        assert!(v.events[0].thumbnails[0].jpeg.starts_with(&[0xff, 0xd8]));
        assert_eq!(v.events[0].thumbnails[0].column, "photo");

        // Without thumbnails, the same descriptors and no thumbnail.
        let off = run(&body, rules(false, max_bytes), 100);
        assert!(off.events.iter().all(|e| e.thumbnails.is_empty()));
        assert_eq!(off.events[0].values_json, v.events[0].values_json);
    }

    #[test]
    fn a_file_part_over_the_image_limit_rejects_its_row_as_base64_does() {
        let schema = schema();
        let png = fixture("pattern.png");
        let tight = EventRules::new(&schema, vec![], None, None)
            .with_images(rules(false, png.len() - 1), 100);
        let mut v = Validated::default();
        let row = || Ok(serde_json::from_str(r#"{"x": 1}"#).unwrap());
        v.push_with_files(0, row(), vec![("photo".into(), png.clone())], &tight, 7);
        let fits = tight.clone().with_images(rules(false, png.len()), 100);
        v.push_with_files(1, row(), vec![("photo".into(), png.clone())], &fits, 7);
        v.finish(&fits);
        assert_eq!(v.rejected.len(), 1, "{:?}", v.rejected);
        assert_eq!(v.rejected[0].index, 0);
        assert_eq!(v.rejected[0].kind, "invalid_value");
        assert_eq!(
            v.rejected[0].reason,
            format!(
                "column `photo`: the image is {} bytes, more than the limit of {} \
                 (limits.image_bytes)",
                png.len(),
                png.len() - 1
            )
        );
        assert_eq!(v.events.len(), 1);
        assert_eq!(values(&v, 0)["photo.format"], "png");
    }

    #[test]
    fn more_images_than_a_chunk_keep_the_order_of_their_events() {
        let gif = b64(&fixture("pattern.gif"));
        let rows: Vec<String> = (0..(IMAGES_PER_CHUNK * 2 + 5))
            .map(|i| {
                if i % 3 == 0 {
                    format!(r#"{{"x": {i}}}"#)
                } else {
                    format!(r#"{{"x": {i}, "photo": "{gif}"}}"#)
                }
            })
            .collect();
        let v = run(&format!("[{}]", rows.join(",")), rules(false, 1 << 20), 100);
        assert_eq!(v.events.len(), rows.len());
        for (i, _) in rows.iter().enumerate() {
            let e = values(&v, i);
            assert_eq!(e["x"], i);
            assert_eq!(e.contains_key("photo.format"), i % 3 != 0);
        }
    }

    #[test]
    fn arrays_of_numbers_become_vector_columns_and_bad_ones_are_rejected() {
        let v = run(
            r#"[{"v": [1, 2.5, 3]}, {"v": [1, 2]}, {"v": [1, "a", 3]}, {"v": [1, null, 3]},
                {"w": [1, 2]}, {"v": [1, 2, 3], "x": 1, "id": 5}, {"v": [[1], 2, 3]}]"#,
            rules(true, 1 << 20),
            4,
        );
        let rejected: Vec<(usize, &str)> = v
            .rejected
            .iter()
            .map(|r| (r.index, r.reason.as_str()))
            .collect();
        assert_eq!(rejected.len(), 4, "{rejected:?}");
        assert_eq!(rejected[0].0, 1);
        assert!(
            rejected[0]
                .1
                .contains("2 components, but the project's vectors have 3"),
            "{rejected:?}"
        );
        assert_eq!(rejected[1].0, 2);
        assert!(
            rejected[1].1.contains("component 1 is text"),
            "{rejected:?}"
        );
        assert_eq!(rejected[2].0, 5);
        assert!(
            rejected[2].1.contains(
                "the row has 5 keys once its vectors are spread into components; at most 4"
            ),
            "{rejected:?}"
        );
        assert_eq!(v.rejected[2].kind, "invalid_field");
        assert_eq!(rejected[3].0, 6);
        assert!(
            rejected[3].1.contains("component 0 is an array"),
            "{rejected:?}"
        );
        let first = values(&v, 0);
        assert_eq!(
            (first["v.0"].clone(), first["v.1"].clone()),
            (1.into(), 2.5.into())
        );
        assert!(first.get("v").is_none());
        assert!(values(&v, 1)["v.1"].is_null());
        // An array under a key the schema has no vector of is an unknown column, kept whole.
        assert_eq!(v.unknown_columns.get("w"), Some(&1));
        assert!(!v.unknown_columns.contains_key("w.1"));
        assert_eq!(values(&v, 2)["w"], serde_json::json!([1, 2]));
    }

    #[test]
    fn arrays_under_keys_the_project_does_not_know_are_unknown_columns() {
        let v = run(
            r#"[{"x": 1, "tags": ["a", "b"]}, {"x": 2, "scores": [0.5, 0.25, 0.125]}]"#,
            rules(false, 1 << 20),
            100,
        );
        assert!(v.rejected.is_empty(), "{:?}", v.rejected);
        assert_eq!(v.events.len(), 2);
        let counted: Vec<(&str, usize)> = v
            .unknown_columns
            .iter()
            .map(|(k, n)| (k.as_str(), *n))
            .collect();
        assert_eq!(counted, [("scores", 1), ("tags", 1)]);
        assert_eq!(values(&v, 0)["tags"], serde_json::json!(["a", "b"]));
        assert_eq!(values(&v, 1)["scores"].as_array().unwrap().len(), 3);
    }

    #[test]
    fn vector_columns_are_runs_from_zero() {
        let got = vector_lengths(["a.0", "a.1", "b.1", "c.0", "c.01", "d.x", "e.0", "e.2"]);
        let got: Vec<(&str, usize)> = got.iter().map(|(k, n)| (k.as_str(), *n)).collect();
        assert_eq!(got, [("a", 2), ("c", 1)]);
    }
}
