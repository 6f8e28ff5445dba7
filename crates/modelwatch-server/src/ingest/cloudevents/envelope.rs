//! CloudEvents 1.0 over HTTP: the three content modes of the HTTP protocol binding
//! (binary, structured, batched) read into one [`CloudEvent`] each, with the required
//! attributes checked as the core specification says.
//!
//! - Binary mode: every attribute is a `ce-<name>` header (names case-insensitive, values
//!   percent-decoded, section 3.1.3 of the HTTP binding); the body is the data and
//!   `Content-Type` is `datacontenttype`.
//! - Structured mode: `Content-Type: application/cloudevents+json`, the body one JSON
//!   object holding the attributes and `data` (any JSON value) or `data_base64` (the data's
//!   bytes in base64, never both; JSON event format, section 3.1).
//! - Batched mode: `Content-Type: application/cloudevents-batch+json`, a JSON array of
//!   structured events.
//!
//! Required attributes (core specification, section 3.1): `id`, `source` and `type`, each
//! a non-empty string, and `specversion`, which must be `1.0`. `time`, when present, must
//! be an RFC 3339 time. Extension names are lower-case ASCII letters and digits.

use std::collections::BTreeMap;

use base64::Engine;
use serde_json::{Map, Value};

/// The structured mode's media type.
pub const STRUCTURED: &str = "application/cloudevents+json";
/// The batched mode's media type.
pub const BATCH: &str = "application/cloudevents-batch+json";

/// One event: its context attributes and its data.
#[derive(Debug, Clone, PartialEq)]
pub struct CloudEvent {
    /// `id`: with `source`, identifies the event.
    pub id: String,
    /// `source`: the context the event happened in (a URI reference).
    pub source: String,
    /// `type`: what happened, as reverse-DNS text.
    pub event_type: String,
    /// `time`, microseconds since the Unix epoch, when sent.
    pub time_us: Option<i64>,
    /// `datacontenttype` (in binary mode, the `Content-Type` header), when sent.
    pub datacontenttype: Option<String>,
    /// Every other attribute (`subject`, `dataschema` and the extensions) as text.
    pub extensions: BTreeMap<String, String>,
    /// The data's bytes (binary mode, `data_base64`, or a `data` string), or the JSON value
    /// of a structured event's `data`; `None` when the event has no data.
    pub data: Option<Data>,
}

/// An event's data as it arrived.
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    /// Bytes: a binary-mode body, a decoded `data_base64`, or a `data` string.
    Bytes(Vec<u8>),
    /// A structured event's `data` that is JSON other than a string.
    Json(Value),
}

/// Why a request does not hold CloudEvents 1.0.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EnvelopeError {
    /// Neither binary mode (`ce-specversion`) nor a CloudEvents media type.
    #[error(
        "not a CloudEvent: send binary mode (ce-specversion, ce-id, ce-source and ce-type \
         headers, the data as the body) or structured mode (Content-Type: {STRUCTURED})"
    )]
    NotCloudEvent,
    /// A required attribute is absent (or, in binary mode, its header).
    #[error("the CloudEvent has no `{attribute}` attribute{}", header_hint(.attribute, *.binary))]
    Missing {
        /// The attribute's name.
        attribute: &'static str,
        /// Whether it was looked for as a `ce-` header.
        binary: bool,
    },
    /// A required attribute that is empty or not a string.
    #[error("the CloudEvent's `{attribute}` must be a non-empty string")]
    Empty {
        /// The attribute's name.
        attribute: &'static str,
    },
    /// A `specversion` other than 1.0.
    #[error("the CloudEvent's `specversion` is `{0}`; only 1.0 is taken")]
    SpecVersion(String),
    /// A `time` that is not RFC 3339.
    #[error("the CloudEvent's `time` `{0}` is not an RFC 3339 time")]
    Time(String),
    /// An attribute name that is not lower-case letters and digits.
    #[error("the CloudEvent attribute name `{0}` is not lower-case ASCII letters and digits")]
    AttributeName(String),
    /// An attribute whose value is not text, a number or a boolean.
    #[error("the CloudEvent attribute `{0}` must be a string, a number or a boolean")]
    AttributeValue(String),
    /// A structured or batched body that is not JSON of the right shape.
    #[error("the {mode} CloudEvent body is not {want}: {message}")]
    Body {
        /// `structured` or `batched`.
        mode: &'static str,
        /// What it should be.
        want: &'static str,
        /// The parser's message, or what was found.
        message: String,
    },
    /// Both `data` and `data_base64`.
    #[error("the CloudEvent has both `data` and `data_base64`; send one")]
    BothData,
    /// `data_base64` that is not a base64 string.
    #[error("the CloudEvent's `data_base64` is not base64: {0}")]
    DataBase64(String),
    /// An empty batch.
    #[error("the batch holds no CloudEvent")]
    EmptyBatch,
    /// An event of a batch that cannot be read.
    #[error("event {index} of the batch: {reason}")]
    InBatch {
        /// Its 0-based position.
        index: usize,
        /// Why.
        reason: Box<EnvelopeError>,
    },
}

fn header_hint(attribute: &str, binary: bool) -> String {
    if binary {
        format!(" (header ce-{attribute})")
    } else {
        String::new()
    }
}

/// The content mode a request's `Content-Type` names: structured, batched, or `None` for
/// anything else (binary mode, when `ce-` headers are there).
pub fn structured_mode(content_type: Option<&str>) -> Option<&'static str> {
    let mime = content_type?
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match mime.as_str() {
        STRUCTURED => Some(STRUCTURED),
        BATCH => Some(BATCH),
        _ => None,
    }
}

/// Reads a request's events: `headers` as (lower-case name, value) pairs.
pub fn read_request(
    headers: &[(String, String)],
    body: &[u8],
) -> Result<Vec<CloudEvent>, EnvelopeError> {
    let content_type = headers
        .iter()
        .find(|(k, _)| k == "content-type")
        .map(|(_, v)| v.as_str());
    match structured_mode(content_type) {
        Some(STRUCTURED) => Ok(vec![from_structured(body)?]),
        Some(_) => from_batch(body),
        None if headers.iter().any(|(k, _)| k.starts_with("ce-")) => {
            Ok(vec![from_binary(headers, body)?])
        }
        None => Err(EnvelopeError::NotCloudEvent),
    }
}

/// Percent-decodes a binary-mode header value (HTTP binding, section 3.1.3.2); `None` for
/// a `%` not followed by two hex digits, or bytes that are not UTF-8.
fn percent_decode(v: &str) -> Option<String> {
    if !v.contains('%') {
        return Some(v.to_string());
    }
    let b = v.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = v.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The attributes every event has, checked; the rest are extensions.
fn finish(
    mut attrs: BTreeMap<String, String>,
    datacontenttype: Option<String>,
    data: Option<Data>,
    binary: bool,
) -> Result<CloudEvent, EnvelopeError> {
    let mut required = |attribute: &'static str| match attrs.remove(attribute) {
        None => Err(EnvelopeError::Missing { attribute, binary }),
        Some(v) if v.is_empty() => Err(EnvelopeError::Empty { attribute }),
        Some(v) => Ok(v),
    };
    let specversion = required("specversion")?;
    if specversion != "1.0" {
        return Err(EnvelopeError::SpecVersion(specversion));
    }
    let id = required("id")?;
    let source = required("source")?;
    let event_type = required("type")?;
    let time_us = match attrs.remove("time") {
        None => None,
        Some(t) => Some(
            modelwatch_io::infer::parse_datetime(t.trim().as_bytes())
                .ok_or(EnvelopeError::Time(t))?,
        ),
    };
    for name in attrs.keys() {
        if name.is_empty()
            || !name
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        {
            return Err(EnvelopeError::AttributeName(name.clone()));
        }
    }
    Ok(CloudEvent {
        id,
        source,
        event_type,
        time_us,
        datacontenttype,
        extensions: attrs,
        data,
    })
}

/// A binary-mode event: `ce-` headers and the body.
pub fn from_binary(headers: &[(String, String)], body: &[u8]) -> Result<CloudEvent, EnvelopeError> {
    let mut attrs = BTreeMap::new();
    let mut content_type = None;
    for (name, value) in headers {
        let name = name.to_ascii_lowercase();
        if let Some(attr) = name.strip_prefix("ce-") {
            // A value that is not valid percent-encoding is kept as sent: loggers built on
            // SDKs that predate the encoding rule send JSON in extension headers raw.
            let value = percent_decode(value).unwrap_or_else(|| value.clone());
            attrs.insert(attr.to_string(), value);
        } else if name == "content-type" {
            content_type = Some(value.clone());
        }
    }
    let data = (!body.is_empty()).then(|| Data::Bytes(body.to_vec()));
    finish(attrs, content_type, data, true)
}

/// A structured-mode event: one JSON object.
pub fn from_structured(body: &[u8]) -> Result<CloudEvent, EnvelopeError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| EnvelopeError::Body {
        mode: "structured",
        want: "a JSON object",
        message: e.to_string(),
    })?;
    match value {
        Value::Object(o) => from_object(o),
        other => Err(EnvelopeError::Body {
            mode: "structured",
            want: "a JSON object",
            message: format!("got {}", super::super::kind(&other)),
        }),
    }
}

/// A batched-mode body: a JSON array of structured events, all read or none.
pub fn from_batch(body: &[u8]) -> Result<Vec<CloudEvent>, EnvelopeError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| EnvelopeError::Body {
        mode: "batched",
        want: "a JSON array of events",
        message: e.to_string(),
    })?;
    let Value::Array(items) = value else {
        return Err(EnvelopeError::Body {
            mode: "batched",
            want: "a JSON array of events",
            message: format!("got {}", super::super::kind(&value)),
        });
    };
    if items.is_empty() {
        return Err(EnvelopeError::EmptyBatch);
    }
    items
        .into_iter()
        .enumerate()
        .map(|(index, item)| {
            match item {
                Value::Object(o) => from_object(o),
                other => Err(EnvelopeError::Body {
                    mode: "batched",
                    want: "a JSON array of events",
                    message: format!("an element is {}", super::super::kind(&other)),
                }),
            }
            .map_err(|reason| EnvelopeError::InBatch {
                index,
                reason: Box::new(reason),
            })
        })
        .collect()
}

/// One event of the JSON event format.
fn from_object(mut o: Map<String, Value>) -> Result<CloudEvent, EnvelopeError> {
    let data = o.remove("data");
    let data_base64 = o.remove("data_base64");
    let data = match (data, data_base64) {
        (Some(_), Some(_)) => return Err(EnvelopeError::BothData),
        (None, Some(Value::String(s))) => Some(Data::Bytes(
            base64::engine::general_purpose::STANDARD
                .decode(s.trim())
                .map_err(|e| EnvelopeError::DataBase64(e.to_string()))?,
        )),
        (None, Some(_)) => {
            return Err(EnvelopeError::DataBase64("it is not a string".into()));
        }
        (Some(Value::Null), None) | (None, None) => None,
        (Some(Value::String(s)), None) => Some(Data::Bytes(s.into_bytes())),
        (Some(v), None) => Some(Data::Json(v)),
    };
    let datacontenttype = match o.remove("datacontenttype") {
        Some(Value::String(s)) => Some(s),
        _ => None,
    };
    let mut attrs = BTreeMap::new();
    for (name, value) in o {
        let text = match value {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null => continue,
            _ => {
                // A required attribute of the wrong type is named as such.
                return Err(match name.as_str() {
                    "id" => EnvelopeError::Empty { attribute: "id" },
                    "source" => EnvelopeError::Empty {
                        attribute: "source",
                    },
                    "type" => EnvelopeError::Empty { attribute: "type" },
                    "specversion" => EnvelopeError::Empty {
                        attribute: "specversion",
                    },
                    _ => EnvelopeError::AttributeValue(name),
                });
            }
        };
        attrs.insert(name, text);
    }
    finish(attrs, datacontenttype, data, false)
}

impl CloudEvent {
    /// The extension `name` (lower case), when sent.
    pub fn extension(&self, name: &str) -> Option<&str> {
        self.extensions.get(name).map(String::as_str)
    }

    /// The data as JSON: a JSON `data` as is; bytes (a binary body, `data_base64`, a
    /// `data` string) parsed as JSON text. `Err` names why it is not JSON.
    pub fn json_data(&self) -> Result<Value, String> {
        match &self.data {
            None => Err("the event has no data".into()),
            Some(Data::Json(v)) => Ok(v.clone()),
            Some(Data::Bytes(b)) => {
                let text = std::str::from_utf8(b).map_err(|_| "the data is not UTF-8 text")?;
                serde_json::from_str(text.trim_start_matches('\u{feff}'))
                    .map_err(|e| format!("the data is not JSON: {e}"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
            .collect()
    }

    const BINARY: [(&str, &str); 6] = [
        ("Ce-Specversion", "1.0"),
        ("Ce-Id", "abc"),
        ("Ce-Source", "http://localhost:9081/"),
        ("Ce-Type", "org.kubeflow.serving.inference.request"),
        ("Ce-Time", "2024-05-01T08:00:00.123456789Z"),
        ("Content-Type", "application/json"),
    ];

    #[test]
    fn binary_mode_reads_headers_and_body() {
        let mut headers = h(&BINARY);
        headers.push(("ce-inferenceservicename".into(), "sklearn%2Diris".into()));
        let e = read_request(&headers, br#"{"instances": [[1, 2]]}"#).unwrap();
        assert_eq!(e.len(), 1);
        let e = &e[0];
        assert_eq!(e.id, "abc");
        assert_eq!(e.event_type, "org.kubeflow.serving.inference.request");
        assert_eq!(e.time_us, Some(1_714_550_400_123_456));
        assert_eq!(e.extension("inferenceservicename"), Some("sklearn-iris"));
        // Not percent-encoding: kept as sent.
        let mut headers = h(&BINARY);
        headers.push(("ce-metadata".into(), "{\"rate\": \"5%\"}".into()));
        let m = read_request(&headers, b"{}").unwrap();
        assert_eq!(m[0].extension("metadata"), Some("{\"rate\": \"5%\"}"));
        assert_eq!(e.datacontenttype.as_deref(), Some("application/json"));
        assert_eq!(e.json_data().unwrap()["instances"][0][1], 2);
    }

    #[test]
    fn missing_and_bad_attributes_are_named() {
        let without = |name: &str| {
            let headers: Vec<_> = h(&BINARY).into_iter().filter(|(k, _)| k != name).collect();
            read_request(&headers, b"{}").unwrap_err().to_string()
        };
        assert_eq!(
            without("ce-specversion"),
            "the CloudEvent has no `specversion` attribute (header ce-specversion)"
        );
        assert_eq!(
            without("ce-id"),
            "the CloudEvent has no `id` attribute (header ce-id)"
        );
        assert!(without("ce-source").contains("`source`"));
        assert!(without("ce-type").contains("`type`"));
        let mut headers = h(&BINARY);
        headers[0].1 = "0.3".into();
        assert_eq!(
            read_request(&headers, b"{}").unwrap_err(),
            EnvelopeError::SpecVersion("0.3".into())
        );
        let mut headers = h(&BINARY);
        headers[4].1 = "yesterday".into();
        assert!(matches!(
            read_request(&headers, b"{}"),
            Err(EnvelopeError::Time(_))
        ));
        let mut headers = h(&BINARY);
        headers[1].1 = String::new();
        assert_eq!(
            read_request(&headers, b"{}").unwrap_err(),
            EnvelopeError::Empty { attribute: "id" }
        );
    }

    #[test]
    fn structured_and_batched_modes() {
        let ct = |v: &str| vec![("content-type".to_string(), v.to_string())];
        let one = r#"{"specversion": "1.0", "id": "1", "source": "s", "type": "t",
                      "datacontenttype": "application/json", "data": {"a": 1}, "modelid": "m"}"#;
        let e = read_request(
            &ct("application/cloudevents+json; charset=utf-8"),
            one.as_bytes(),
        )
        .unwrap();
        assert_eq!(e[0].data, Some(Data::Json(serde_json::json!({"a": 1}))));
        assert_eq!(e[0].extension("modelid"), Some("m"));
        let b64 = r#"{"specversion": "1.0", "id": "1", "source": "s", "type": "t",
                      "data_base64": "eyJhIjogMn0="}"#;
        let e = read_request(&ct(STRUCTURED), b64.as_bytes()).unwrap();
        assert_eq!(e[0].json_data().unwrap()["a"], 2);
        let batch = format!("[{one}, {b64}]");
        assert_eq!(read_request(&ct(BATCH), batch.as_bytes()).unwrap().len(), 2);

        let no_spec = r#"{"id": "1", "source": "s", "type": "t"}"#;
        assert_eq!(
            read_request(&ct(STRUCTURED), no_spec.as_bytes())
                .unwrap_err()
                .to_string(),
            "the CloudEvent has no `specversion` attribute"
        );
        let bad_b64 = r#"{"specversion": "1.0", "id": "1", "source": "s", "type": "t",
                          "data_base64": "not base64!"}"#;
        assert!(matches!(
            read_request(&ct(STRUCTURED), bad_b64.as_bytes()),
            Err(EnvelopeError::DataBase64(_))
        ));
        let both = r#"{"specversion": "1.0", "id": "1", "source": "s", "type": "t",
                       "data": 1, "data_base64": "AA=="}"#;
        assert_eq!(
            read_request(&ct(STRUCTURED), both.as_bytes()).unwrap_err(),
            EnvelopeError::BothData
        );
        assert!(matches!(
            read_request(&ct(STRUCTURED), b"{nope"),
            Err(EnvelopeError::Body { .. })
        ));
        // One bad event refuses the whole batch.
        let batch = format!("[{one}, {no_spec}]");
        assert_eq!(
            read_request(&ct(BATCH), batch.as_bytes())
                .unwrap_err()
                .to_string(),
            "event 1 of the batch: the CloudEvent has no `specversion` attribute"
        );
        assert_eq!(
            read_request(&ct(BATCH), b"[]").unwrap_err(),
            EnvelopeError::EmptyBatch
        );
        assert_eq!(
            read_request(&ct("application/json"), b"{}").unwrap_err(),
            EnvelopeError::NotCloudEvent
        );
    }

    #[test]
    fn data_that_is_not_json_says_so() {
        let headers = h(&BINARY);
        let e = read_request(&headers, b"<html>").unwrap();
        assert!(e[0].json_data().unwrap_err().contains("not JSON"));
        let e = read_request(&headers, b"").unwrap();
        assert_eq!(e[0].json_data().unwrap_err(), "the event has no data");
    }
}
