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
    /// Rows of the reference dataset.
    pub reference_rows: usize,
    /// Rows of the current dataset.
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
    /// The timestamp column.
    pub column: String,
    /// Smallest and largest timestamp of the reference.
    pub reference: Option<(String, String)>,
    /// Smallest and largest timestamp of the current data.
    pub current: Option<(String, String)>,
}

/// The presets a run can compute (`--preset`), in the order their sections are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// Data drift of every column ([`crate::drift`]).
    Drift,
    /// Data quality summary of both datasets ([`crate::summary`]).
    Summary,
    /// Drift of the target and prediction columns and their correlations ([`crate::target`]).
    Target,
    /// Classification quality of the prediction against the target ([`crate::model_quality`]).
    Classification,
    /// Regression quality of the prediction against the target ([`crate::model_quality`]).
    Regression,
}

/// An unknown preset name.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("unknown preset `{0}` ({hint})", hint = crate::suggest::hint(.0, &Preset::ALL.map(Preset::name), None))]
pub struct UnknownPreset(pub String);

impl Preset {
    /// The presets run when none is asked for.
    pub const DEFAULT: [Preset; 2] = [Preset::Drift, Preset::Summary];

    /// Every preset, in the order their sections are shown.
    pub const ALL: [Preset; 5] = [
        Preset::Drift,
        Preset::Summary,
        Preset::Target,
        Preset::Classification,
        Preset::Regression,
    ];

    /// Looks a preset up by its `--preset` name (surrounding blanks ignored).
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

    /// The `--preset` name, also the preset's key in the JSON results.
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
    /// Where the data came from and what produced the result.
    pub meta: Meta,
}
