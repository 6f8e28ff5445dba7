//! `Results`: the one value every output (terminal, JSON, HTML, metrics) is rendered from.
//! Its serde form is the JSON schema documented in `docs/json.md`; later presets add
//! top-level keys, never rename existing ones.

use serde::{Deserialize, Serialize};

use crate::drift::DriftReport;
use crate::model_quality::{ClassificationReport, RegressionReport};
use crate::summary::DataSummary;
use crate::target::TargetReport;

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
    /// First and last value of the timestamp column (`--timestamp`) on each side.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_range: Option<TimeRange>,
}

/// The span of the timestamp column in each dataset, as text (RFC 3339 for datetimes, the
/// number otherwise); a side is `None` when it has no such value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimeRange {
    pub column: String,
    pub reference: Option<(String, String)>,
    pub current: Option<(String, String)>,
}

/// The presets a run can compute (`--preset`), in the order their sections are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    Drift,
    Summary,
    Target,
    Classification,
    Regression,
}

/// An unknown preset name.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("unknown preset `{0}` (known: drift, summary, target, classification, regression)")]
pub struct UnknownPreset(pub String);

impl Preset {
    pub const DEFAULT: [Preset; 2] = [Preset::Drift, Preset::Summary];

    pub fn from_name(name: &str) -> Result<Self, UnknownPreset> {
        match name.trim() {
            "drift" => Ok(Preset::Drift),
            "summary" => Ok(Preset::Summary),
            "target" => Ok(Preset::Target),
            "classification" => Ok(Preset::Classification),
            "regression" => Ok(Preset::Regression),
            other => Err(UnknownPreset(other.to_string())),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Preset::Drift => "drift",
            Preset::Summary => "summary",
            Preset::Target => "target",
            Preset::Classification => "classification",
            Preset::Regression => "regression",
        }
    }
}

/// Everything a run computed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Results {
    /// The `drift` preset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<DriftReport>,
    /// The `summary` (data quality) preset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<DataSummary>,
    /// The `target` (target and prediction drift) preset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<TargetReport>,
    /// The `classification` (model quality) preset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub classification: Option<ClassificationReport>,
    /// The `regression` (model quality) preset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regression: Option<RegressionReport>,
    pub meta: Meta,
}
