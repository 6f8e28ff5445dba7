//! The settings a user gives a run, as errors name them.
//!
//! Core has no flags and no config keys: an error names a [`Setting`], and each front end
//! spells it its own way (the CLI as `--target`, the server as `columns.target`). Errors that
//! name settings have a `message(spell)` method taking that spelling; their `Display` uses
//! [`Setting::canonical`].

/// A setting of a run that an error can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Setting {
    /// Columns forced numerical.
    Numerical,
    /// Columns forced categorical.
    Categorical,
    /// Columns forced text.
    Text,
    /// Columns forced datetime.
    Datetime,
    /// Columns left out.
    Ignore,
    /// The id column.
    Id,
    /// The timestamp column.
    Timestamp,
    /// The target column.
    Target,
    /// The prediction column.
    Prediction,
    /// Embeddings (vector columns) and their member columns.
    Embeddings,
    /// The class-probability columns.
    PredictionProba,
    /// The positive label of a binary classification.
    PosLabel,
    /// The probability at which a binary classification predicts the positive label.
    ProbaThreshold,
    /// The drift threshold of every column.
    Threshold,
    /// The drift threshold of numerical columns.
    NumThreshold,
    /// The drift threshold of categorical columns.
    CatThreshold,
    /// The drift threshold of text columns.
    TextThreshold,
    /// The share of drifted columns at which the dataset drifts.
    DriftShare,
    /// Drift methods per column.
    ColumnMethods,
    /// Drift thresholds per column.
    ColumnThresholds,
    /// Drift methods per embedding.
    EmbeddingMethods,
    /// The number of pixels image descriptors are computed on at least (reduced-work mode).
    SamplePixels,
    /// The multivariate drift methods and their parameters.
    Multivariate,
}

/// Where a setting lives in a settings file or a project's JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingGroup {
    /// Column types and roles (`[columns]`).
    Columns,
    /// Drift settings (`[drift]`).
    Drift,
    /// Model-quality settings, at the top level.
    Model,
    /// Image settings (`[images]`).
    Images,
    /// Multivariate drift settings (`[multivariate]`).
    Multivariate,
}

impl Setting {
    /// The canonical name: the key of the setting in its group (`target`,
    /// `prediction_proba`, `column_methods`).
    pub fn name(self) -> &'static str {
        match self {
            Setting::Numerical => "numerical",
            Setting::Categorical => "categorical",
            Setting::Text => "text",
            Setting::Datetime => "datetime",
            Setting::Ignore => "ignore",
            Setting::Id => "id",
            Setting::Timestamp => "timestamp",
            Setting::Target => "target",
            Setting::Prediction => "prediction",
            Setting::Embeddings => "embeddings",
            Setting::PredictionProba => "prediction_proba",
            Setting::PosLabel => "pos_label",
            Setting::ProbaThreshold => "proba_threshold",
            Setting::Threshold => "threshold",
            Setting::NumThreshold => "num_threshold",
            Setting::CatThreshold => "cat_threshold",
            Setting::TextThreshold => "text_threshold",
            Setting::DriftShare => "drift_share",
            Setting::ColumnMethods => "column_methods",
            Setting::ColumnThresholds => "column_thresholds",
            Setting::EmbeddingMethods => "embedding_methods",
            Setting::SamplePixels => "sample_pixels",
            Setting::Multivariate => "methods",
        }
    }

    /// The group the setting belongs to.
    pub fn group(self) -> SettingGroup {
        match self {
            Setting::Numerical
            | Setting::Categorical
            | Setting::Text
            | Setting::Datetime
            | Setting::Ignore
            | Setting::Id
            | Setting::Timestamp
            | Setting::Target
            | Setting::Prediction
            | Setting::Embeddings => SettingGroup::Columns,
            Setting::Threshold
            | Setting::NumThreshold
            | Setting::CatThreshold
            | Setting::TextThreshold
            | Setting::DriftShare
            | Setting::ColumnMethods
            | Setting::ColumnThresholds
            | Setting::EmbeddingMethods => SettingGroup::Drift,
            Setting::PredictionProba | Setting::PosLabel | Setting::ProbaThreshold => {
                SettingGroup::Model
            }
            Setting::SamplePixels => SettingGroup::Images,
            Setting::Multivariate => SettingGroup::Multivariate,
        }
    }

    /// The spelling of errors shown without a front end: the canonical name in backticks.
    pub fn canonical(self) -> String {
        format!("`{}`", self.name())
    }
}

impl std::fmt::Display for Setting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
