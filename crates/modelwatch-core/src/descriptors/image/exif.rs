//! EXIF: camera `make`, `model`, `software` and `orientation` (categorical) and `iso`,
//! `exposure_time` (seconds) and `focal_length` (millimetres) (numerical), read with the
//! `kamadak-exif` crate from JPEG, PNG (`eXIf`), WebP and TIFF containers.
//!
//! The peer is PIL's `Image.getexif()` (what whylogs logs as image metadata): the same tags of
//! the primary image, `Make` 0x010F, `Model` 0x0110, `Orientation` 0x0112, `Software` 0x0131,
//! and from the Exif sub-IFD `PhotographicSensitivity` (ISO) 0x8827, `ExposureTime` 0x829A
//! and `FocalLength` 0x920A. Text values lose trailing NULs and spaces; an empty text, an
//! orientation outside 1–8, or a rational with a zero denominator is treated as absent.
//! Text is cut to [`MAX_TEXT_BYTES`] bytes so that a hostile file cannot blow up a category.
//! An image without EXIF, or with EXIF that does not parse, has every EXIF descriptor missing:
//! metadata never makes an image fail.

use std::io::Cursor;

use exif::{In, Tag, Value};

/// The longest EXIF text kept, in bytes (cut at a character boundary).
pub const MAX_TEXT_BYTES: usize = 128;

/// The EXIF descriptors of one image; `None` where the tag is absent or unusable.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExifDescriptors {
    /// Camera maker (`Make`).
    pub make: Option<String>,
    /// Camera model (`Model`).
    pub model: Option<String>,
    /// Software that wrote the file (`Software`).
    pub software: Option<String>,
    /// Orientation code 1–8 (`Orientation`): 1 is upright, 6 needs a 90° clockwise turn.
    pub orientation: Option<u16>,
    /// ISO speed (`PhotographicSensitivity`).
    pub iso: Option<f64>,
    /// Exposure time in seconds (`ExposureTime`).
    pub exposure_time: Option<f64>,
    /// Focal length in millimetres (`FocalLength`).
    pub focal_length: Option<f64>,
}

/// The TIFF data of a JPEG's EXIF segment: an `APP1` segment that starts with
/// `Exif\0\0`, among the marker segments before the first scan (CIPA DC-008, 4.5.4: the
/// APP1 segment follows SOI, ahead of the image data, which is also where PIL looks). `None`
/// when the headers end, or stop making sense, before one is found.
fn jpeg_exif_segment(bytes: &[u8]) -> Option<&[u8]> {
    let mut pos = 2;
    loop {
        if *bytes.get(pos)? != 0xFF {
            return None;
        }
        while *bytes.get(pos)? == 0xFF {
            pos += 1;
        }
        let marker = *bytes.get(pos)?;
        pos += 1;
        match marker {
            // Stand-alone markers carry no length.
            0x01 | 0xD0..=0xD7 => continue,
            // The first scan, the end of the image, or a second start: no EXIF before it.
            0xD8..=0xDA => return None,
            _ => {}
        }
        let length = usize::from(u16::from_be_bytes([*bytes.get(pos)?, *bytes.get(pos + 1)?]));
        if length < 2 {
            return None;
        }
        let segment = bytes.get(pos + 2..pos + length)?;
        if marker == 0xE1 {
            if let Some(tiff) = segment.strip_prefix(b"Exif\0\0") {
                return Some(tiff);
            }
        }
        pos += length;
    }
}

/// Reads the EXIF descriptors of an encoded image; all `None` when it has no readable EXIF.
pub fn read_exif(bytes: &[u8]) -> ExifDescriptors {
    let reader = exif::Reader::new();
    let read = if bytes.starts_with(&[0xFF, 0xD8]) {
        // A JPEG without EXIF would have the crate read through all of its compressed data
        // looking for a segment that can only come before it.
        match jpeg_exif_segment(bytes) {
            Some(tiff) => reader.read_raw(tiff.to_vec()),
            None => return ExifDescriptors::default(),
        }
    } else {
        reader.read_from_container(&mut Cursor::new(bytes))
    };
    let Ok(exif) = read else {
        return ExifDescriptors::default();
    };
    let value = |tag: Tag| exif.get_field(tag, In::PRIMARY).map(|f| &f.value);
    ExifDescriptors {
        make: value(Tag::Make).and_then(text),
        model: value(Tag::Model).and_then(text),
        software: value(Tag::Software).and_then(text),
        orientation: value(Tag::Orientation)
            .and_then(|v| v.get_uint(0))
            .filter(|o| (1..=8).contains(o))
            .map(|o| o as u16),
        iso: value(Tag::PhotographicSensitivity)
            .and_then(|v| v.get_uint(0))
            .map(f64::from),
        exposure_time: value(Tag::ExposureTime).and_then(rational),
        focal_length: value(Tag::FocalLength).and_then(rational),
    }
}

/// The first string of an ASCII value, trimmed and cut to [`MAX_TEXT_BYTES`].
fn text(value: &Value) -> Option<String> {
    let Value::Ascii(strings) = value else {
        return None;
    };
    let raw = strings.first()?;
    let decoded = String::from_utf8_lossy(raw);
    let trimmed = decoded.trim_end_matches(['\0', ' ']).trim_start();
    if trimmed.is_empty() {
        return None;
    }
    let mut end = trimmed.len().min(MAX_TEXT_BYTES);
    while !trimmed.is_char_boundary(end) {
        end -= 1;
    }
    Some(trimmed[..end].to_string())
}

/// The first value of an unsigned rational (or a plain integer) as a float.
fn rational(value: &Value) -> Option<f64> {
    match value {
        Value::Rational(r) => r.first().filter(|r| r.denom != 0).map(|r| r.to_f64()),
        Value::SRational(r) => r.first().filter(|r| r.denom != 0).map(|r| r.to_f64()),
        other => other.get_uint(0).map(f64::from),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_exif_is_all_missing() {
        assert_eq!(read_exif(b"not an image"), ExifDescriptors::default());
        assert_eq!(read_exif(&[]), ExifDescriptors::default());
    }

    #[test]
    fn text_is_trimmed_and_bounded() {
        let v = Value::Ascii(vec![b"Canon  \0".to_vec()]);
        assert_eq!(text(&v).as_deref(), Some("Canon"));
        assert_eq!(text(&Value::Ascii(vec![b"   ".to_vec()])), None);
        let long = Value::Ascii(vec![vec![b'x'; 1000]]);
        assert_eq!(text(&long).unwrap().len(), MAX_TEXT_BYTES);
    }

    #[test]
    fn a_jpeg_exif_segment_is_found_among_the_headers_only() {
        // SOI, APP0 (JFIF, 16 bytes), APP1 with Exif, SOS.
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
        jpeg.extend(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        let app1 = |payload: &[u8]| {
            let mut segment = vec![0xFF, 0xE1];
            segment.extend(((payload.len() + 2) as u16).to_be_bytes());
            segment.extend(payload);
            segment
        };
        let sos = [0xFF, 0xDA, 0x00, 0x02, 0x12, 0x34];
        let with = [jpeg.clone(), app1(b"Exif\0\0II*\0"), sos.to_vec()].concat();
        assert_eq!(jpeg_exif_segment(&with), Some(&b"II*\0"[..]));
        // An APP1 that is not EXIF (XMP), then none before the scan.
        let xmp = [
            jpeg.clone(),
            app1(b"http://ns.adobe.com/xap/1.0/\0"),
            sos.to_vec(),
        ]
        .concat();
        assert_eq!(jpeg_exif_segment(&xmp), None);
        // After the first scan it is not looked for; a segment cut short is none.
        let after = [jpeg.clone(), sos.to_vec(), app1(b"Exif\0\0II*\0")].concat();
        assert_eq!(jpeg_exif_segment(&after), None);
        assert_eq!(jpeg_exif_segment(&with[..with.len() - 12]), None);
        assert_eq!(read_exif(&with[..30]), ExifDescriptors::default());
    }
}
