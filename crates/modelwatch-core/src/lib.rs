//! modelwatch-core: tables, column types, two-sample statistics, and the presets computed
//! from them (data drift, data summary, target drift, model quality) with their checks, and
//! the descriptors that turn images into columns.
//!
//! No IO, no async: everything here is a deterministic function of its inputs.

#![warn(missing_docs)]

pub mod checks;
pub mod descriptors;
pub mod drift;
pub mod model_quality;
pub mod prepare;
pub mod results;
pub mod run;
pub mod schema;
pub mod setting;
pub mod sort;
pub mod stats;
pub mod suggest;
pub mod summary;
pub mod synth;
pub mod table;
pub mod target;
pub mod time;

/// The version of modelwatch, for report metadata.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
