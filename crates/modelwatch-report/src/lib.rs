//! Rendering of [`Results`](modelwatch_core::results::Results): a terminal summary and JSON.
//!
//! Nothing here computes a statistic: every number comes from the `Results` value.

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
