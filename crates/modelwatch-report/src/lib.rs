//! Rendering of [`Results`](modelwatch_core::results::Results): the terminal summary, JSON
//! and the self-contained HTML page.
//!
//! Nothing here computes a statistic: every number comes from the `Results` value.

#![warn(missing_docs)]

pub mod checks;
pub mod html;
pub mod json;
pub mod model_quality;
pub mod summary;
pub mod target;
pub mod terminal;

pub use html::render_html;
pub use json::to_json;
pub use terminal::{render_terminal, TerminalStyle};

/// A percentage with one decimal at most (`33.3`, `50`), as the terminal and the HTML page
/// both show shares.
pub(crate) fn trim_pct(p: f64) -> String {
    let s = format!("{p:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}
