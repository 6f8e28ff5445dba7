//! Drift settings: which method and threshold each column gets, and the dataset rule.
//!
//! Precedence, most specific first: per column > per type > all columns > method default.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::method::DriftMethod;
use crate::schema::ColumnType;
use crate::setting::Setting;
use crate::stats::embedding::{DistanceMetric, EmbeddingMethod};

/// Default share of drifted columns at which the dataset counts as drifted (Evidently's).
pub const DEFAULT_DRIFT_SHARE: f64 = 0.5;
/// Permutations for `TVD` (Evidently uses 1000).
pub const TVD_PERMUTATIONS: usize = 1000;
/// Permutations for `empirical_mmd` (Evidently uses 100).
pub const MMD_PERMUTATIONS: usize = 100;

/// Settings of a drift run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DriftSettings {
    /// Method for every column (unless a type or column setting says otherwise).
    pub method: Option<DriftMethod>,
    /// Method for numerical columns (overrides `method`).
    pub num_method: Option<DriftMethod>,
    /// Method for categorical columns (overrides `method`).
    pub cat_method: Option<DriftMethod>,
    /// Method for text columns (overrides `method`); the default is Evidently's text rule
    /// ([`DriftMethod::default_for`]).
    pub text_method: Option<DriftMethod>,
    /// Method per column name (overrides every other method setting).
    pub column_methods: BTreeMap<String, DriftMethod>,
    /// Threshold for every column, a p-value in `[0, 1]` or a distance `>= 0` depending on
    /// the method; `None` keeps each method's [`DriftMethod::default_threshold`].
    pub threshold: Option<f64>,
    /// Threshold for numerical columns (overrides `threshold`).
    pub num_threshold: Option<f64>,
    /// Threshold for categorical columns (overrides `threshold`).
    pub cat_threshold: Option<f64>,
    /// Threshold for text columns (overrides `threshold`).
    pub text_threshold: Option<f64>,
    /// Threshold per column name (overrides every other threshold setting).
    pub column_thresholds: BTreeMap<String, f64>,
    /// The dataset drifts when the share of drifted columns is at least this.
    pub drift_share: f64,
    /// Seed of the permutation tests (`TVD`, `empirical_mmd`).
    pub seed: u64,
    /// Drift method per embedding name; an embedding not named gets
    /// [`EmbeddingMethod::default_for`] its reference rows.
    pub embedding_methods: BTreeMap<String, EmbeddingMethodSetting>,
    /// Multivariate methods and their parameters (none by default). Front ends read them
    /// from a table of their own (`[multivariate]`), not from the drift table.
    #[serde(skip)]
    pub multivariate: super::multivariate::MultivariateSettings,
}

/// The drift method of one embedding as the user gives it: a method name (`"mmd"`) or a
/// table with the method and Evidently's parameter names (`{ method = "distance", dist =
/// "cosine", bootstrap = true }`). Parameters left out keep Evidently's defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "EmbeddingMethodForm")]
pub struct EmbeddingMethodSetting {
    /// Evidently's method name: `distance`, `ratio`, `mmd` or `model`.
    pub method: String,
    /// The threshold of the score (every method).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// Compare with a bootstrap quantile instead of the threshold (`distance`, `mmd`,
    /// `model`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bootstrap: Option<bool>,
    /// The quantile of the bootstrap (`distance`, `mmd`, `model`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantile_probability: Option<f64>,
    /// The distance between mean vectors (`distance`): `euclidean`, `cosine`, `cityblock`
    /// or `chebyshev`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dist: Option<String>,
    /// The normed Wasserstein distance at which one component drifts (`ratio`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component_stattest_threshold: Option<f64>,
    /// Project on this many principal components of the reference first (every method).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pca_components: Option<usize>,
}

/// The two spellings of an [`EmbeddingMethodSetting`] in a settings file.
#[derive(Deserialize)]
#[serde(untagged)]
enum EmbeddingMethodForm {
    Name(String),
    Table(EmbeddingMethodTable),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmbeddingMethodTable {
    method: String,
    threshold: Option<f64>,
    bootstrap: Option<bool>,
    quantile_probability: Option<f64>,
    dist: Option<String>,
    component_stattest_threshold: Option<f64>,
    pca_components: Option<usize>,
}

impl From<EmbeddingMethodForm> for EmbeddingMethodSetting {
    fn from(form: EmbeddingMethodForm) -> Self {
        match form {
            EmbeddingMethodForm::Name(method) => EmbeddingMethodSetting {
                method,
                ..Default::default()
            },
            EmbeddingMethodForm::Table(t) => EmbeddingMethodSetting {
                method: t.method,
                threshold: t.threshold,
                bootstrap: t.bootstrap,
                quantile_probability: t.quantile_probability,
                dist: t.dist,
                component_stattest_threshold: t.component_stattest_threshold,
                pca_components: t.pca_components,
            },
        }
    }
}

impl EmbeddingMethodSetting {
    /// The method with its parameters, and the PCA components; the error says what is wrong
    /// (an unknown method, a parameter the method does not take, a value out of range).
    pub fn resolve(&self) -> Result<(EmbeddingMethod, Option<usize>), String> {
        let mut method = EmbeddingMethod::with_defaults(&self.method).ok_or_else(|| {
            format!(
                "unknown embedding drift method `{}` ({})",
                self.method,
                crate::suggest::hint(&self.method, &["distance", "ratio", "mmd", "model"], None)
            )
        })?;
        let name = method.name();
        // Which parameters each method takes: `dist` is `distance`'s, the component threshold
        // `ratio`'s, and the bootstrap (with its quantile) every method's but `ratio`.
        let given = [
            (
                "dist",
                self.dist.is_some(),
                name == "distance",
                "`distance`",
            ),
            (
                "component_stattest_threshold",
                self.component_stattest_threshold.is_some(),
                name == "ratio",
                "`ratio`",
            ),
            (
                "bootstrap",
                self.bootstrap.is_some(),
                name != "ratio",
                "`distance`, `mmd` and `model`",
            ),
            (
                "quantile_probability",
                self.quantile_probability.is_some(),
                name != "ratio",
                "`distance`, `mmd` and `model`",
            ),
        ];
        if let Some((param, _, _, owners)) = given.iter().find(|(_, set, takes, _)| *set && !takes)
        {
            return Err(format!(
                "the `{name}` method takes no `{param}` (it is a parameter of {owners})"
            ));
        }
        if let Some(t) = self.threshold {
            if !t.is_finite() || t < 0.0 {
                return Err(format!("threshold must be a finite number >= 0, got {t}"));
            }
        }
        if let Some(q) = self.quantile_probability {
            if !(q > 0.0 && q < 1.0) {
                return Err(format!(
                    "quantile_probability must be between 0 and 1, got {q}"
                ));
            }
        }
        if let Some(t) = self.component_stattest_threshold {
            if !t.is_finite() || t < 0.0 {
                return Err(format!(
                    "component_stattest_threshold must be a finite number >= 0, got {t}"
                ));
            }
        }
        if self.pca_components == Some(0) {
            return Err("pca_components must be at least 1".into());
        }
        // The parameters were checked above; each method takes the ones it has.
        macro_rules! bootstrapped {
            ($p:expr) => {{
                $p.threshold = self.threshold.unwrap_or($p.threshold);
                $p.bootstrap = self.bootstrap.unwrap_or($p.bootstrap);
                $p.quantile_probability =
                    self.quantile_probability.unwrap_or($p.quantile_probability);
            }};
        }
        match &mut method {
            EmbeddingMethod::Distance(p) => {
                if let Some(d) = &self.dist {
                    p.metric = DistanceMetric::from_name(d).ok_or_else(|| {
                        format!(
                            "unknown distance `{d}` ({})",
                            crate::suggest::hint(
                                d,
                                &["euclidean", "cosine", "cityblock", "chebyshev"],
                                None
                            )
                        )
                    })?;
                }
                bootstrapped!(p);
            }
            EmbeddingMethod::Ratio(p) => {
                p.threshold = self.threshold.unwrap_or(p.threshold);
                p.component_threshold = self
                    .component_stattest_threshold
                    .unwrap_or(p.component_threshold);
            }
            EmbeddingMethod::Mmd(p) => bootstrapped!(p),
            EmbeddingMethod::Model(p) => bootstrapped!(p),
        }
        Ok((method, self.pca_components))
    }
}

impl Default for DriftSettings {
    fn default() -> Self {
        Self {
            method: None,
            num_method: None,
            cat_method: None,
            text_method: None,
            column_methods: BTreeMap::new(),
            threshold: None,
            num_threshold: None,
            cat_threshold: None,
            text_threshold: None,
            column_thresholds: BTreeMap::new(),
            drift_share: DEFAULT_DRIFT_SHARE,
            seed: 0,
            embedding_methods: BTreeMap::new(),
            multivariate: Default::default(),
        }
    }
}

/// A setting out of its range.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SettingsError {
    /// A threshold is negative or not finite.
    ThresholdOutOfRange {
        /// The threshold setting.
        setting: Setting,
        /// The column, for a per-column threshold.
        column: Option<String>,
        /// The value given.
        value: f64,
    },
    /// A threshold above 1 for a method that compares a p-value.
    PValueThresholdOutOfRange {
        /// The threshold setting.
        setting: Setting,
        /// The column, for a per-column threshold.
        column: Option<String>,
        /// The p-value method.
        method: DriftMethod,
        /// The value given.
        value: f64,
    },
    /// The drift share is outside [0, 1].
    DriftShareOutOfRange(f64),
    /// The method of an embedding is unknown or its parameters do not fit it.
    EmbeddingMethod {
        /// The embedding.
        embedding: String,
        /// What is wrong.
        message: String,
    },
    /// A multivariate parameter is out of its range.
    Multivariate(String),
}

impl SettingsError {
    /// The message, with settings spelled by `spell` (a flag, a config key).
    pub fn message(&self, spell: &dyn Fn(Setting) -> String) -> String {
        let what = |setting: &Setting, column: &Option<String>| match column {
            Some(col) => format!("threshold of column `{col}`"),
            None => spell(*setting),
        };
        match self {
            SettingsError::ThresholdOutOfRange {
                setting,
                column,
                value,
            } => format!(
                "{} must be a finite number >= 0, got {value}",
                what(setting, column)
            ),
            SettingsError::PValueThresholdOutOfRange {
                setting,
                column,
                method,
                value,
            } => format!(
                "{} must be between 0 and 1 for p-value method `{method}`, got {value}",
                what(setting, column)
            ),
            SettingsError::EmbeddingMethod { embedding, message } => format!(
                "{} of embedding `{embedding}`: {message}",
                spell(Setting::EmbeddingMethods)
            ),
            SettingsError::Multivariate(message) => {
                format!("{}: {message}", spell(Setting::Multivariate))
            }
            SettingsError::DriftShareOutOfRange(v) => {
                format!(
                    "the drift share ({}) must be between 0 and 1, got {v}",
                    spell(Setting::DriftShare)
                )
            }
        }
    }
}

impl std::fmt::Display for SettingsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(&Setting::canonical))
    }
}

impl DriftSettings {
    /// The method the user chose for a column, if any.
    pub fn chosen_method(&self, column: &str, ty: ColumnType) -> Option<DriftMethod> {
        if let Some(m) = self.column_methods.get(column) {
            return Some(*m);
        }
        let by_type = match ty {
            ColumnType::Numerical => self.num_method,
            ColumnType::Categorical => self.cat_method,
            ColumnType::Text => self.text_method,
            ColumnType::Datetime => None,
        };
        by_type.or(self.method)
    }

    /// The threshold for a column tested with `method`.
    pub fn threshold_for(&self, column: &str, ty: ColumnType, method: DriftMethod) -> f64 {
        if let Some(t) = self.column_thresholds.get(column) {
            return *t;
        }
        let by_type = match ty {
            ColumnType::Numerical => self.num_threshold,
            ColumnType::Categorical => self.cat_threshold,
            ColumnType::Text => self.text_threshold,
            ColumnType::Datetime => None,
        };
        by_type
            .or(self.threshold)
            .unwrap_or_else(|| method.default_threshold())
    }

    /// Checks ranges: thresholds finite and non-negative (at most 1 where every method that
    /// could use them is a p-value method), drift share in [0, 1].
    pub fn validate(&self) -> Result<(), SettingsError> {
        if !(0.0..=1.0).contains(&self.drift_share) {
            return Err(SettingsError::DriftShareOutOfRange(self.drift_share));
        }
        self.multivariate
            .validate()
            .map_err(SettingsError::Multivariate)?;
        let mut checks: Vec<(Setting, Option<&String>, f64, Option<DriftMethod>)> = Vec::new();
        if let Some(t) = self.threshold {
            checks.push((Setting::Threshold, None, t, self.method));
        }
        if let Some(t) = self.num_threshold {
            let m = self.num_method.or(self.method);
            checks.push((Setting::NumThreshold, None, t, m));
        }
        if let Some(t) = self.cat_threshold {
            let m = self.cat_method.or(self.method);
            checks.push((Setting::CatThreshold, None, t, m));
        }
        if let Some(t) = self.text_threshold {
            let m = self.text_method.or(self.method);
            checks.push((Setting::TextThreshold, None, t, m));
        }
        for (col, t) in &self.column_thresholds {
            let m = self.column_methods.get(col).copied();
            checks.push((Setting::ColumnThresholds, Some(col), *t, m));
        }
        for (embedding, setting) in &self.embedding_methods {
            setting
                .resolve()
                .map_err(|message| SettingsError::EmbeddingMethod {
                    embedding: embedding.clone(),
                    message,
                })?;
        }
        for (setting, column, value, method) in checks {
            let column = column.cloned();
            if !value.is_finite() || value < 0.0 {
                return Err(SettingsError::ThresholdOutOfRange {
                    setting,
                    column,
                    value,
                });
            }
            if let Some(m) = method {
                if m.rule().is_p_value() && value > 1.0 {
                    return Err(SettingsError::PValueThresholdOutOfRange {
                        setting,
                        column,
                        method: m,
                        value,
                    });
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_column_over_type_over_all_over_default() {
        let mut s = DriftSettings::default();
        let ty = ColumnType::Numerical;
        assert_eq!(s.chosen_method("a", ty), None);
        assert_eq!(s.threshold_for("a", ty, DriftMethod::Ks), 0.05);
        s.method = Some(DriftMethod::Psi);
        s.threshold = Some(0.2);
        assert_eq!(s.chosen_method("a", ty), Some(DriftMethod::Psi));
        assert_eq!(s.threshold_for("a", ty, DriftMethod::Psi), 0.2);
        s.num_method = Some(DriftMethod::Ks);
        s.num_threshold = Some(0.01);
        assert_eq!(s.chosen_method("a", ty), Some(DriftMethod::Ks));
        assert_eq!(
            s.chosen_method("a", ColumnType::Categorical),
            Some(DriftMethod::Psi)
        );
        assert_eq!(s.threshold_for("a", ty, DriftMethod::Ks), 0.01);
        s.column_methods.insert("a".into(), DriftMethod::Anderson);
        s.column_thresholds.insert("a".into(), 0.3);
        assert_eq!(s.chosen_method("a", ty), Some(DriftMethod::Anderson));
        assert_eq!(s.threshold_for("a", ty, DriftMethod::Anderson), 0.3);
        assert_eq!(s.chosen_method("b", ty), Some(DriftMethod::Ks));
    }

    #[test]
    fn validation_rejects_out_of_range_values() {
        let s = DriftSettings {
            drift_share: 1.5,
            ..Default::default()
        };
        assert!(s.validate().is_err());
        let s = DriftSettings {
            threshold: Some(-0.1),
            ..Default::default()
        };
        assert!(s.validate().is_err());
        let s = DriftSettings {
            method: Some(DriftMethod::Ks),
            threshold: Some(2.0),
            ..Default::default()
        };
        assert!(s.validate().is_err());
        let s = DriftSettings {
            method: Some(DriftMethod::Psi),
            threshold: Some(2.0),
            ..Default::default()
        };
        assert!(s.validate().is_ok());
    }
}
