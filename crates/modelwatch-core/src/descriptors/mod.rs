//! Descriptors: values derived from rich data (images today) that become ordinary table
//! columns, named `<column>.<descriptor>`, so that the presets treat them like any column.
//!
//! * [`image`]: geometry, file, light, colour, sharpness and EXIF descriptors of an image.

pub mod image;
pub mod text;
