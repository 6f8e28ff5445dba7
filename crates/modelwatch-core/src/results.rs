//! `Results`: the one value every output (terminal, JSON, HTML, metrics) is rendered from.
//! Its serde form is the JSON schema documented in `docs/json.md`; later presets add
//! top-level keys, never rename existing ones.

use serde::Serialize;

use crate::drift::DriftReport;

/// Where the data came from and what produced the result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Meta {
    /// The reference dataset (a file path or a name).
    pub reference: String,
    /// The current dataset (a file path or a name).
    pub current: String,
    pub reference_rows: usize,
    pub current_rows: usize,
    /// modelwatch's version.
    pub version: String,
    /// When the result was made (RFC 3339, UTC).
    pub generated_at: String,
    /// Seed of the permutation tests.
    pub seed: u64,
}

/// Everything a run computed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Results {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<DriftReport>,
    pub meta: Meta,
}
