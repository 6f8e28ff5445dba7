//! The project page's image examples: per image column, thumbnails of the current images
//! farthest from the reference on the most drifted descriptor, next to typical reference
//! images (chosen when the latest snapshot was taken, see
//! [`crate::service::image_examples`]).
//!
//! Thumbnails are inlined as `data:` URIs rather than served by a route of their own: the
//! page's Content-Security-Policy already allows only `data:` images and no fetch, a page
//! shows at most 16 thumbnails of 2–4 KB per image column, and an inlined image needs no
//! second authenticated request (nor a route to keep from leaking other projects' images).

use std::fmt::Write;

use base64::Engine;

use super::html::esc;
use crate::service::image_examples::WindowExamples;
use crate::store::{Store, StoreError};

/// The thumbnails of one image column's examples.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ShownImages {
    /// The image column.
    pub column: String,
    /// The descriptor column the examples were chosen on.
    pub descriptor: String,
    /// Whether that descriptor drifted.
    pub drifted: bool,
    /// JPEGs of the current examples, farthest first (events without a thumbnail left out).
    pub current: Vec<Vec<u8>>,
    /// JPEGs of the typical reference images, nearest the median first.
    pub reference: Vec<Vec<u8>>,
}

/// Reads the thumbnails of `examples` from the store.
pub fn load_images(
    store: &dyn Store,
    project: &str,
    examples: &[WindowExamples],
) -> Result<Vec<ShownImages>, StoreError> {
    let mut out = Vec::new();
    for ex in examples {
        let found = store.event_thumbnails(project, &ex.current_seqs)?;
        let current = ex
            .current_seqs
            .iter()
            .filter_map(|seq| {
                found
                    .iter()
                    .find(|(s, c, _)| s == seq && *c == ex.column)
                    .map(|(_, _, j)| j.clone())
            })
            .collect();
        let refs = store.reference_thumbnails(project, &ex.column, &ex.reference_rows)?;
        let reference = ex
            .reference_rows
            .iter()
            .filter_map(|r| {
                refs.iter()
                    .find(|(row, _)| row == r)
                    .map(|(_, j)| j.clone())
            })
            .collect();
        out.push(ShownImages {
            column: ex.column.clone(),
            descriptor: ex.descriptor.clone(),
            drifted: ex.drifted,
            current,
            reference,
        });
    }
    Ok(out)
}

/// The section of the page: one card per image column with thumbnails.
pub fn render_images(shown: &[ShownImages]) -> String {
    let mut s = String::new();
    for img in shown {
        if img.current.is_empty() && img.reference.is_empty() {
            continue;
        }
        let _ = write!(
            s,
            "<section class=\"card wide image-examples\" style=\"margin-top:1rem\" data-column=\"{col}\">\
             <h2>Images of <span class=\"name\">{col}</span></h2>\
             <div class=\"muted\">chosen on <span class=\"name\">{d}</span>{}</div>",
            if img.drifted {
                " <span class=\"badge bad\">drifted</span>"
            } else {
                ""
            },
            col = esc(&img.column),
            d = esc(&img.descriptor),
        );
        for (title, class, jpegs) in [
            (
                "Current images farthest from the reference",
                "current",
                &img.current,
            ),
            ("Typical reference images", "reference", &img.reference),
        ] {
            let _ = write!(s, "<h3>{title}</h3><div class=\"thumbs {class}\">");
            if jpegs.is_empty() {
                s.push_str("<span class=\"muted\">no thumbnails kept</span>");
            }
            for j in jpegs.iter() {
                let _ = write!(
                    s,
                    "<img class=\"thumb\" alt=\"\" src=\"data:image/jpeg;base64,{}\">",
                    base64::engine::general_purpose::STANDARD.encode(j)
                );
            }
            s.push_str("</div>");
        }
        s.push_str("</section>");
    }
    s
}
