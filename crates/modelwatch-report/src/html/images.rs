//! Example images of image columns: the current images farthest from the reference on the
//! column's most drifted descriptor, next to typical reference images (chosen by core's
//! [`image_examples`](modelwatch_core::descriptors::image::examples::image_examples)). Thumbnails
//! are inlined as `data:` URIs, so the page stays one file; at 96 px a thumbnail is under 8 KB.
//! The dashboard shows the same piece with its stored thumbnails.

use std::fmt::Write;

use base64::Engine;
use modelwatch_core::descriptors::image::examples::ImageExamples;

use super::esc;
use crate::terminal::format_score;

/// One example image: what names it (a file, a row id) and its JPEG thumbnail, if it could be
/// made.
#[derive(Debug, Clone, PartialEq)]
pub struct Thumbnail {
    /// The image's name as the user knows it.
    pub label: String,
    /// The encoded JPEG thumbnail; `None` when the image could not be read again.
    pub jpeg: Option<Vec<u8>>,
}

/// The examples of one image column with their thumbnails.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageGallery {
    /// Which rows, chosen on which descriptor.
    pub examples: ImageExamples,
    /// One thumbnail per row of `examples.current_rows`, in that order.
    pub current: Vec<Thumbnail>,
    /// One thumbnail per row of `examples.reference_rows`, in that order.
    pub reference: Vec<Thumbnail>,
}

/// Style of the galleries, included by every page that shows them.
pub const GALLERY_CSS: &str = ".gallery h3{font-size:15px;margin:16px 0 4px}.strip{display:flex;flex-wrap:wrap;gap:8px;margin:4px 0 10px}\
.strip figure{margin:0;width:104px;font-size:11px;color:var(--muted,#666);overflow-wrap:anywhere}\
.strip img,.strip .none{display:block;max-width:96px;max-height:96px;border:1px solid var(--line,#ddd);border-radius:3px}\
.strip .none{width:96px;height:72px;display:flex;align-items:center;justify-content:center}\n";

/// Writes the "Images" section: one gallery per image column; nothing when there is none.
pub fn image_examples_section(out: &mut String, galleries: &[ImageGallery]) {
    if galleries.is_empty() {
        return;
    }
    out.push_str("<section id=\"images\"><h2>Images</h2>\n");
    for g in galleries {
        gallery(out, g);
    }
    out.push_str("</section>\n");
}

fn gallery(out: &mut String, g: &ImageGallery) {
    let e = &g.examples;
    let _ = writeln!(
        out,
        "<div class=\"gallery\"><h3>{}</h3>\n<p>Chosen on <code>{}</code>{}: the current images farthest from the reference median ({}), next to the reference images nearest it.</p>",
        esc(&e.column),
        esc(&e.descriptor),
        if e.drifted { ", which drifted" } else { ", the descriptor nearest to drifting (none drifted)" },
        format_score(e.reference_median),
    );
    strip(
        out,
        "Current, farthest from the reference",
        &g.current,
        &e.current_values,
    );
    strip(out, "Reference, typical", &g.reference, &e.reference_values);
    out.push_str("</div>\n");
}

fn strip(out: &mut String, title: &str, thumbs: &[Thumbnail], values: &[f64]) {
    let _ = write!(out, "<h4>{title}</h4><div class=\"strip\">");
    for (i, t) in thumbs.iter().enumerate() {
        out.push_str("<figure>");
        match &t.jpeg {
            Some(jpeg) => {
                let _ = write!(
                    out,
                    "<img src=\"data:image/jpeg;base64,{}\" alt=\"{}\">",
                    base64::engine::general_purpose::STANDARD.encode(jpeg),
                    esc(&t.label)
                );
            }
            None => out.push_str("<span class=\"none\">no thumbnail</span>"),
        }
        let value = values.get(i).map(|&v| format_score(v)).unwrap_or_default();
        let _ = write!(
            out,
            "<figcaption>{}<br>{value}</figcaption></figure>",
            esc(&t.label)
        );
    }
    out.push_str("</div>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gallery(labels: &[&str]) -> ImageGallery {
        let thumb = |l: &&str| Thumbnail {
            label: l.to_string(),
            jpeg: (!l.contains("broken")).then(|| vec![0xFF, 0xD8, 0xFF, 0xD9]),
        };
        ImageGallery {
            examples: ImageExamples {
                column: "photo".into(),
                descriptor: "photo.aspect_ratio".into(),
                drifted: true,
                reference_median: 0.75,
                current_rows: (0..labels.len()).collect(),
                current_values: vec![1.5; labels.len()],
                reference_rows: vec![3],
                reference_values: vec![0.75],
            },
            current: labels.iter().map(thumb).collect(),
            reference: vec![thumb(&"ref<1>.jpg")],
        }
    }

    #[test]
    fn thumbnails_are_inlined_with_escaped_labels_and_values() {
        let mut out = String::new();
        image_examples_section(&mut out, &[gallery(&["a.jpg", "broken.jpg"])]);
        assert!(out.contains("<section id=\"images\">"));
        assert!(out.contains("<code>photo.aspect_ratio</code>, which drifted"));
        assert_eq!(
            out.matches("src=\"data:image/jpeg;base64,/9j/2Q==\"")
                .count(),
            2
        );
        assert!(out.contains("no thumbnail</span><figcaption>broken.jpg<br>1.5000"));
        assert!(out.contains("ref&lt;1&gt;.jpg<br>0.7500"));
        assert!(!out.contains("ref<1>"));
    }

    #[test]
    fn no_gallery_writes_nothing() {
        let mut out = String::new();
        image_examples_section(&mut out, &[]);
        assert!(out.is_empty());
    }
}
