//! The project page's image examples: per image column, thumbnails of the current images
//! farthest from the reference on the most drifted descriptor, next to typical reference
//! images (chosen when the latest snapshot was taken, see
//! [`crate::service::image_examples`]).
//!
//! Thumbnails are inlined as `data:` URIs rather than served by a route of their own: the
//! page's Content-Security-Policy already allows only `data:` images and no fetch, a page
//! shows at most 16 thumbnails of under 8 KB per image column, and an inlined image needs no
//! second authenticated request (nor a route to keep from leaking other projects' images).

use modelwatch_report::html::images::{image_examples_section, ImageGallery, Thumbnail};

use crate::service::image_examples::WindowExamples;
use crate::store::{Store, StoreError};

/// Reads the thumbnails of `examples` from the store (an event or reference row without a
/// kept thumbnail shows as "no thumbnail").
pub fn load_images(
    store: &dyn Store,
    project: &str,
    examples: &[WindowExamples],
) -> Result<Vec<ImageGallery>, StoreError> {
    let mut out = Vec::new();
    for w in examples {
        let ex = &w.examples;
        let found = store.event_thumbnails(project, &w.current_seqs)?;
        let current = w
            .current_seqs
            .iter()
            .zip(&w.current_labels)
            .map(|(seq, label)| Thumbnail {
                label: label.clone(),
                jpeg: found
                    .iter()
                    .find(|(s, c, _)| s == seq && *c == ex.column)
                    .map(|(_, _, j)| j.clone()),
            })
            .collect();
        let refs = store.reference_thumbnails(project, &ex.column, &ex.reference_rows)?;
        let reference = ex
            .reference_rows
            .iter()
            .zip(&w.reference_labels)
            .map(|(r, label)| Thumbnail {
                label: label.clone(),
                jpeg: refs
                    .iter()
                    .find(|(row, _)| row == r)
                    .map(|(_, j)| j.clone()),
            })
            .collect();
        out.push(ImageGallery {
            examples: ex.clone(),
            current,
            reference,
        });
    }
    Ok(out)
}

/// The section of the page: the report's Images section, in a card, when there are examples.
pub fn render_images(galleries: &[ImageGallery]) -> String {
    if galleries.is_empty() {
        return String::new();
    }
    let mut s = String::from("<div class=\"card wide image-examples\" style=\"margin-top:1rem\">");
    image_examples_section(&mut s, galleries);
    s.push_str("</div>");
    s
}
