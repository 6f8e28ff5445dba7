//! modelwatch-core: tables, column types, two-sample statistics and drift metrics.
//!
//! No IO, no async: everything here is a deterministic function of its inputs.

pub mod stats;
pub mod table;
