//! `multipart/form-data` ingestion: one event per request, its images sent as files.
//!
//! Text parts are the event's fields (each a string, read as a JSON string value is: a
//! number in a numerical column's text is a number), or one part named `event` holds the
//! event as a JSON object. A part named after an image column (`columns.images`) is that
//! image: a file part's bytes are the encoded image, a text part is base64 text or a
//! `data:` URI, decoded as a JSON string value is; every image column needs its part. The body is read whole by the
//! same extractor as every other body, so `max_body_bytes` and the body budget bound it.

use bytes::Bytes;
use serde_json::{Map, Value};

use super::{BodyError, RowResult};

/// The name of the part that may hold the whole event as a JSON object.
pub const EVENT_PART: &str = "event";

/// One event read from a multipart body.
#[derive(Debug)]
pub struct MultipartEvent {
    /// Its fields, or why they do not make an event (a rejected row).
    pub row: RowResult,
    /// Its images by column.
    pub files: Vec<(String, Vec<u8>)>,
}

/// Reads a multipart body (`content_type` carries its boundary) into one event; the
/// image columns are `images`. A body that is not multipart at all is a [`BodyError`];
/// a readable one with a problem in its parts is a rejected row, as is one of more than
/// `max_keys` fields and files together (the key limit of a row of any other body,
/// [`super::RowLimits::max_keys`]): the fields past it are not kept.
pub async fn read_multipart(
    body: Bytes,
    content_type: &str,
    images: &[String],
    max_keys: usize,
) -> Result<MultipartEvent, BodyError> {
    let boundary =
        multer::parse_boundary(content_type).map_err(|e| BodyError::Multipart(e.to_string()))?;
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut fields = Map::new();
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut problem: Option<String> = None;
    // Every field and file, kept or not: the count a rejection names.
    let mut keys = 0usize;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| BodyError::Multipart(e.to_string()))?
    {
        let name = field.name().map(str::to_string);
        let is_file = field.file_name().is_some();
        let data = field
            .bytes()
            .await
            .map_err(|e| BodyError::Multipart(e.to_string()))?;
        let Some(name) = name else {
            problem.get_or_insert_with(|| "a part has no name".to_string());
            continue;
        };
        if name != EVENT_PART {
            keys += 1;
            if keys > max_keys {
                continue;
            }
        }
        let seen = fields.contains_key(&name) || files.iter().any(|(c, _)| *c == name);
        if seen {
            problem.get_or_insert_with(|| format!("the part `{name}` is sent twice"));
            continue;
        }
        if is_file && images.contains(&name) {
            files.push((name, data.to_vec()));
        } else if is_file {
            problem.get_or_insert_with(|| {
                format!("the file part `{name}` is not an image column (columns.images)")
            });
        } else if name == EVENT_PART {
            match serde_json::from_slice::<Value>(&data) {
                Ok(Value::Object(obj)) => {
                    for (k, v) in obj {
                        keys += 1;
                        if keys > max_keys {
                            continue;
                        }
                        if fields.contains_key(&k) {
                            problem.get_or_insert_with(|| format!("the field `{k}` is sent twice"));
                        }
                        fields.insert(k, v);
                    }
                }
                Ok(_) => {
                    problem.get_or_insert_with(|| {
                        format!("the part `{EVENT_PART}` is not a JSON object")
                    });
                }
                Err(e) => {
                    problem.get_or_insert_with(|| {
                        format!("the part `{EVENT_PART}` is not valid JSON: {e}")
                    });
                }
            }
        } else {
            match String::from_utf8(data.to_vec()) {
                Ok(text) => {
                    fields.insert(name, Value::String(text));
                }
                Err(_) => {
                    problem.get_or_insert_with(|| format!("the part `{name}` is not UTF-8 text"));
                }
            }
        }
    }
    if keys > max_keys {
        // The size of the event is the first thing wrong with it, whatever else is.
        problem = Some(format!(
            "the row has {keys} keys; at most {max_keys} are allowed"
        ));
        fields = Map::new();
        files.clear();
    }
    if problem.is_none() {
        if let Some(missing) = images
            .iter()
            .find(|c| !files.iter().any(|(f, _)| f == *c) && !fields.contains_key(*c))
        {
            problem = Some(format!(
                "column `{missing}` (image): no part named `{missing}` holds its image"
            ));
        }
    }
    Ok(MultipartEvent {
        row: match problem {
            Some(p) => Err(p),
            None => Ok(fields),
        },
        files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUNDARY: &str = "XbOuNdArY";

    /// A multipart body of (name, file name, bytes) parts.
    fn body(parts: &[(&str, Option<&str>, &[u8])]) -> Bytes {
        let mut out = Vec::new();
        for (name, file, data) in parts {
            out.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
            let disposition = match file {
                Some(f) => format!("form-data; name=\"{name}\"; filename=\"{f}\""),
                None => format!("form-data; name=\"{name}\""),
            };
            out.extend_from_slice(format!("Content-Disposition: {disposition}\r\n\r\n").as_bytes());
            out.extend_from_slice(data);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        Bytes::from(out)
    }

    fn read(parts: &[(&str, Option<&str>, &[u8])]) -> Result<MultipartEvent, BodyError> {
        let ct = format!("multipart/form-data; boundary={BOUNDARY}");
        let images = vec!["photo".to_string()];
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(read_multipart(body(parts), &ct, &images, 4))
    }

    #[test]
    fn fields_an_event_part_and_the_image_file() {
        let png: &[u8] = b"\x89PNG not really";
        let e = read(&[
            ("x", None, b"1.5"),
            ("event", None, br#"{"id": "a1", "city": "Rome"}"#),
            ("photo", Some("p.png"), png),
        ])
        .unwrap();
        let row = e.row.unwrap();
        assert_eq!(row["x"], "1.5");
        assert_eq!(row["id"], "a1");
        assert_eq!(row["city"], "Rome");
        assert_eq!(e.files, [("photo".to_string(), png.to_vec())]);
    }

    #[test]
    fn a_text_part_under_an_image_column_is_base64_decoded_as_a_json_value_is() {
        use base64::Engine;
        use modelwatch_core::schema::{ColumnRole, ColumnSpec, ColumnType};

        use crate::ingest::{EventRules, ImageRules, Validated};

        let png = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../tests/fixtures/images/pattern.png"),
        )
        .unwrap();
        let text = base64::engine::general_purpose::STANDARD.encode(&png);
        let uri = format!("data:image/png;base64,{text}");
        let schema = [ColumnSpec {
            name: "x".into(),
            column_type: ColumnType::Numerical,
            role: ColumnRole::Feature,
        }];
        let images = ImageRules {
            columns: vec!["photo".into()].into(),
            max_bytes: 1 << 20,
            ..ImageRules::default()
        };
        let rules = EventRules::new(&schema, vec![], None, None).with_images(images, 100);
        let mut v = Validated::default();
        for (i, photo) in [text.as_bytes(), uri.as_bytes(), b"not base64!"]
            .into_iter()
            .enumerate()
        {
            let e = read(&[("x", None, b"1"), ("photo", None, photo)]).unwrap();
            assert!(e.files.is_empty());
            v.push_with_files(i, e.row, e.files, &rules, 0);
        }
        v.finish(&rules);
        assert!(v.image_failures.is_empty(), "{:?}", v.image_failures);
        assert_eq!(v.events.len(), 2);
        for e in &v.events {
            let values: Map<String, Value> = serde_json::from_str(&e.values_json).unwrap();
            assert_eq!(values["photo.format"], "png");
            assert!(values.get("photo").is_none());
        }
        assert_eq!(v.rejected.len(), 1);
        assert_eq!(v.rejected[0].index, 2);
        assert_eq!(v.rejected[0].kind, "invalid_value");
        assert!(
            v.rejected[0].reason.starts_with("column `photo` (image): "),
            "{}",
            v.rejected[0].reason
        );
    }

    #[test]
    fn more_fields_than_a_row_may_have_are_a_rejected_row() {
        let photo = ("photo", Some("p.png"), &b"png"[..]);
        // Four keys: three fields and the file.
        let fits = read(&[
            ("a", None, b"1"),
            ("b", None, b"2"),
            ("c", None, b"3"),
            photo,
        ]);
        assert!(fits.unwrap().row.is_ok());
        let parts = read(&[
            ("a", None, b"1"),
            ("b", None, b"2"),
            ("c", None, b"3"),
            ("d", None, b"4"),
            photo,
        ])
        .unwrap();
        assert_eq!(
            parts.row.unwrap_err(),
            "the row has 5 keys; at most 4 are allowed"
        );
        assert!(parts.files.is_empty());
        // The keys of the `event` part count one by one.
        let event = read(&[
            ("a", None, b"1"),
            ("event", None, br#"{"b": 1, "c": 2, "d": 3, "e": 4}"#),
            photo,
        ])
        .unwrap();
        assert_eq!(
            event.row.unwrap_err(),
            "the row has 6 keys; at most 4 are allowed"
        );
    }

    #[test]
    fn problems_in_parts_are_a_rejected_row_and_a_broken_body_an_error() {
        let missing = read(&[("x", None, b"1")]).unwrap();
        let reason = missing.row.unwrap_err();
        assert!(
            reason.contains("column `photo` (image): no part"),
            "{reason}"
        );
        let twice = read(&[
            ("photo", Some("a.png"), b"1"),
            ("photo", Some("b.png"), b"2"),
        ]);
        assert!(twice.unwrap().row.unwrap_err().contains("sent twice"));
        let other_file = read(&[("photo", Some("a.png"), b"1"), ("doc", Some("d.pdf"), b"2")]);
        assert!(other_file
            .unwrap()
            .row
            .unwrap_err()
            .contains("`doc` is not an image column"));
        let bad_event = read(&[("photo", Some("a.png"), b"1"), ("event", None, b"[1]")]);
        assert!(bad_event
            .unwrap()
            .row
            .unwrap_err()
            .contains("not a JSON object"));
        let ct = "multipart/form-data";
        let no_boundary = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(read_multipart(Bytes::from_static(b"x"), ct, &[], 4));
        assert!(matches!(no_boundary, Err(BodyError::Multipart(_))));
        let ct = format!("multipart/form-data; boundary={BOUNDARY}");
        let cut = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(read_multipart(
                Bytes::from(format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nabc"
                )),
                &ct,
                &[],
                4,
            ));
        assert!(matches!(cut, Err(BodyError::Multipart(_))), "{cut:?}");
    }
}
