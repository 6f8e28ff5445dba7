//! Multivariate drift in the drift preset: the dataset-level methods of
//! [`crate::stats::multivariate`] run on the preset's tested feature columns, when the user
//! asks for them (none by default, so the preset's output is unchanged unless asked).
//!
//! Columns used: every column the preset tests one by one whose role is feature and whose
//! type is numerical or categorical. Target, prediction, id, timestamp, datetime, text and
//! ignored columns are left out, and so are embedding members (their embedding has its own
//! test). Image descriptor columns are features of the table and are included. A numerical
//! column with values that cannot be read as numbers on a side is left out (its per-column
//! test records why).
//!
//! A method that cannot run on the data (too few rows, only constant columns, one class)
//! gives a result with an `error`; the rest of the report still runs.

use serde::{Deserialize, Serialize};

use crate::prepare::PreparedRun;
use crate::schema::{ColumnRole, ColumnType};
use crate::stats::multivariate::domain_classifier::{
    domain_classifier_drift, ColumnContribution, DomainClassifierParams,
};
use crate::stats::multivariate::mmd::{multivariate_mmd_drift, MultivariateMmdParams};
use crate::stats::multivariate::reconstruction::{reconstruction_drift, ReconstructionParams};
use crate::stats::multivariate::FeatureColumn;
use crate::table::{ColumnData, Table};

/// A multivariate drift method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "String")]
pub enum MultivariateMethod {
    /// PCA reconstruction error (NannyML's data reconstruction drift).
    Reconstruction,
    /// Cross-validated ROC AUC of a classifier telling reference from current.
    DomainClassifier,
    /// Maximum mean discrepancy over the numerical columns, with a permutation test.
    Mmd,
}

impl MultivariateMethod {
    /// Every method, in report order.
    pub const ALL: [MultivariateMethod; 3] = [
        MultivariateMethod::Reconstruction,
        MultivariateMethod::DomainClassifier,
        MultivariateMethod::Mmd,
    ];

    /// The method's name in settings and in the JSON.
    pub fn name(self) -> &'static str {
        match self {
            MultivariateMethod::Reconstruction => "reconstruction",
            MultivariateMethod::DomainClassifier => "domain_classifier",
            MultivariateMethod::Mmd => "mmd",
        }
    }

    /// The method named `name`, or an error naming the closest names.
    pub fn from_name(name: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|m| m.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|m| m.name()).collect();
                format!(
                    "unknown multivariate method `{name}`: {}",
                    crate::suggest::hint(name, &names, None)
                )
            })
    }

    /// The methods of a comma-separated list (`all` is every method), duplicates dropped.
    pub fn parse_list(list: &str) -> Result<Vec<Self>, String> {
        let mut out = Vec::new();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let methods = if name == "all" {
                Self::ALL.to_vec()
            } else {
                vec![Self::from_name(name)?]
            };
            for m in methods {
                if !out.contains(&m) {
                    out.push(m);
                }
            }
        }
        Ok(out)
    }
}

impl TryFrom<String> for MultivariateMethod {
    type Error = String;

    fn try_from(name: String) -> Result<Self, String> {
        if name == "all" {
            return Err("`all` is for the command-line flag; list the methods".into());
        }
        Self::from_name(&name)
    }
}

/// Reconstruction drift parameters as the user gives them (defaults of the core module).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReconstructionSettings {
    /// Share of the standardised reference's variance the kept components explain.
    pub explained_variance: f64,
    /// Number of reference chunks the band is computed from.
    pub reference_chunks: usize,
    /// Half-width of the band in standard deviations of the chunk errors.
    pub std_multiplier: f64,
}

impl Default for ReconstructionSettings {
    fn default() -> Self {
        let p = ReconstructionParams::default();
        ReconstructionSettings {
            explained_variance: p.explained_variance,
            reference_chunks: p.reference_chunks,
            std_multiplier: p.std_multiplier,
        }
    }
}

/// Domain classifier parameters as the user gives them (defaults of the core module).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DomainClassifierSettings {
    /// Number of cross-validation folds.
    pub folds: usize,
    /// Drift when the AUC is below this.
    pub lower_threshold: f64,
    /// Drift when the AUC is above this.
    pub upper_threshold: f64,
}

impl Default for DomainClassifierSettings {
    fn default() -> Self {
        let p = DomainClassifierParams::default();
        DomainClassifierSettings {
            folds: p.folds,
            lower_threshold: p.lower_threshold,
            upper_threshold: p.upper_threshold,
        }
    }
}

/// Multivariate MMD parameters as the user gives them (defaults of the core module).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MmdSettings {
    /// Number of random relabelings.
    pub permutations: usize,
    /// Drift when the p-value is below this.
    pub p_value_threshold: f64,
    /// Most rows used per side (a seeded random subset beyond).
    pub max_rows_per_side: usize,
    /// Seed of the subsampling and the permutations.
    pub seed: u64,
}

impl Default for MmdSettings {
    fn default() -> Self {
        let p = MultivariateMmdParams::default();
        MmdSettings {
            permutations: p.permutations,
            p_value_threshold: p.p_value_threshold,
            max_rows_per_side: p.max_rows_per_side,
            seed: p.seed,
        }
    }
}

/// Which multivariate methods the drift preset runs, and their parameters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MultivariateSettings {
    /// The methods to run; none by default.
    pub methods: Vec<MultivariateMethod>,
    /// Parameters of `reconstruction`.
    pub reconstruction: ReconstructionSettings,
    /// Parameters of `domain_classifier`.
    pub domain_classifier: DomainClassifierSettings,
    /// Parameters of `mmd`.
    pub mmd: MmdSettings,
}

impl MultivariateSettings {
    /// Checks every parameter's range; the error says which key is wrong.
    pub fn validate(&self) -> Result<(), String> {
        let r = &self.reconstruction;
        let d = &self.domain_classifier;
        let m = &self.mmd;
        let checks: [(bool, &str, String); 8] = [
            (
                r.explained_variance > 0.0 && r.explained_variance <= 1.0,
                "reconstruction.explained_variance must be in (0, 1]",
                r.explained_variance.to_string(),
            ),
            (
                r.reference_chunks >= 2,
                "reconstruction.reference_chunks must be at least 2",
                r.reference_chunks.to_string(),
            ),
            (
                r.std_multiplier.is_finite() && r.std_multiplier >= 0.0,
                "reconstruction.std_multiplier must be a finite number >= 0",
                r.std_multiplier.to_string(),
            ),
            (
                d.folds >= 2,
                "domain_classifier.folds must be at least 2",
                d.folds.to_string(),
            ),
            (
                (0.0..=1.0).contains(&d.lower_threshold)
                    && (0.0..=1.0).contains(&d.upper_threshold)
                    && d.lower_threshold <= d.upper_threshold,
                "domain_classifier thresholds must satisfy 0 <= lower_threshold <= upper_threshold <= 1",
                format!("{} and {}", d.lower_threshold, d.upper_threshold),
            ),
            (
                m.permutations >= 1,
                "mmd.permutations must be at least 1",
                m.permutations.to_string(),
            ),
            (
                m.p_value_threshold > 0.0 && m.p_value_threshold < 1.0,
                "mmd.p_value_threshold must be in (0, 1)",
                m.p_value_threshold.to_string(),
            ),
            (
                m.max_rows_per_side >= 2,
                "mmd.max_rows_per_side must be at least 2",
                m.max_rows_per_side.to_string(),
            ),
        ];
        match checks.into_iter().find(|(ok, _, _)| !ok) {
            Some((_, what, got)) => Err(format!("{what}, got {got}")),
            None => Ok(()),
        }
    }

    /// Whether no method is asked for (the preset's output is then unchanged).
    pub fn is_off(&self) -> bool {
        self.methods.is_empty()
    }
}

/// The result of one multivariate method. A method that could not run has `score`,
/// `drifted` and the thresholds set to `None` and says why in `error`. Deserializable, so
/// that a stored result (a server snapshot's JSON) can be read back and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MultivariateDrift {
    /// The method.
    pub method: MultivariateMethod,
    /// Its score: the mean reconstruction error, the ROC AUC, or the MMD test's p-value.
    pub score: Option<f64>,
    /// Lower edge of the no-drift band (reconstruction, domain classifier); `None` for MMD.
    pub lower_threshold: Option<f64>,
    /// Upper edge of the no-drift band; for MMD the p-value threshold (drift below it).
    pub upper_threshold: Option<f64>,
    /// Whether the score is outside the band (below the threshold for MMD).
    pub drifted: Option<bool>,
    /// The columns the method used.
    pub columns: Vec<String>,
    /// Columns by their share of the classifier's split gain, largest first (domain
    /// classifier only; empty otherwise).
    pub contributions: Vec<ColumnContribution>,
    /// Method-specific figures: `components` and `reference_chunk_errors` (reconstruction),
    /// `mmd_squared` and the rows used (MMD).
    pub details: serde_json::Map<String, serde_json::Value>,
    /// Why the method has no result; `None` when it ran.
    pub error: Option<String>,
}

impl MultivariateDrift {
    fn failed(method: MultivariateMethod, columns: Vec<String>, error: String) -> Self {
        MultivariateDrift {
            method,
            score: None,
            lower_threshold: None,
            upper_threshold: None,
            drifted: None,
            columns,
            contributions: Vec::new(),
            details: serde_json::Map::new(),
            error: Some(error),
        }
    }
}

/// Owned values of one input column, so that [`FeatureColumn`]s can borrow them.
enum Owned {
    Numbers(Vec<f64>),
    Labels(Vec<Option<String>>),
}

fn numbers(data: &ColumnData) -> Option<Vec<f64>> {
    Some(match data {
        ColumnData::Float(v) => v.clone(),
        ColumnData::Int(v) => v.iter().map(|x| x.map_or(f64::NAN, |x| x as f64)).collect(),
        ColumnData::Bool(v) => v
            .iter()
            .map(|x| x.map_or(f64::NAN, |b| f64::from(u8::from(b))))
            .collect(),
        ColumnData::Str(_) | ColumnData::Datetime(_) => return None,
    })
}

fn labels(data: &ColumnData) -> Vec<Option<String>> {
    let rows = data.len();
    (0..rows)
        .map(|row| {
            if data.is_missing(row) {
                return None;
            }
            Some(match data {
                ColumnData::Float(v) => super::sample::format_as_written(v[row]),
                ColumnData::Int(v) => v[row].map(|x| x.to_string()).unwrap_or_default(),
                ColumnData::Bool(v) => v[row].map(|b| b.to_string()).unwrap_or_default(),
                ColumnData::Str(s) => s.get(row).unwrap_or_default().to_string(),
                ColumnData::Datetime(v) => v[row].map(|x| x.to_string()).unwrap_or_default(),
            })
        })
        .collect()
}

/// The input columns of one side, in reference column order.
fn owned_side(table: &Table, columns: &[(String, ColumnType)]) -> Vec<Owned> {
    columns
        .iter()
        .map(|(name, ty)| {
            let data = &table.column(name).expect("a column of both sides").data;
            match (ty, numbers(data)) {
                (ColumnType::Numerical, Some(v)) => Owned::Numbers(v),
                _ => Owned::Labels(labels(data)),
            }
        })
        .collect()
}

fn borrowed<'a>(
    owned: &'a [Owned],
    columns: &'a [(String, ColumnType)],
    cells: &'a [Vec<Option<&'a str>>],
) -> Vec<FeatureColumn<'a>> {
    let mut label_columns = cells.iter();
    owned
        .iter()
        .zip(columns)
        .map(|(o, (name, _))| match o {
            Owned::Numbers(v) => FeatureColumn::numerical(name, v),
            Owned::Labels(_) => {
                FeatureColumn::categorical(name, label_columns.next().expect("one per label"))
            }
        })
        .collect()
}

fn cells(owned: &[Owned]) -> Vec<Vec<Option<&str>>> {
    owned
        .iter()
        .filter_map(|o| match o {
            Owned::Labels(v) => Some(v.iter().map(|x| x.as_deref()).collect()),
            Owned::Numbers(_) => None,
        })
        .collect()
}

/// The columns multivariate drift uses: the run's feature columns in both datasets that are
/// numerical (and read as numbers on both sides) or categorical and not embedding members,
/// in reference order.
pub fn multivariate_columns(run: &PreparedRun<'_>) -> Vec<(String, ColumnType)> {
    let (Some(reference), current) = (run.reference(), run.current()) else {
        return Vec::new();
    };
    reference
        .columns()
        .iter()
        .filter(|c| current.column(&c.name).is_some() && run.embedding_of(&c.name).is_none())
        .filter_map(|c| {
            let resolved = run.column(&c.name)?;
            // Text in a numerical column (a side the per-column test cannot read either)
            // would make the two sides' columns of different kinds: left out.
            let readable = |t: &Table| {
                t.column(&c.name)
                    .is_some_and(|col| numbers(&col.data).is_some())
            };
            let usable = !resolved.ignored
                && (resolved.column_type != ColumnType::Numerical
                    || (readable(reference) && readable(current)))
                && resolved.role == ColumnRole::Feature
                && matches!(
                    resolved.column_type,
                    ColumnType::Numerical | ColumnType::Categorical
                );
            usable.then(|| (c.name.clone(), resolved.column_type))
        })
        .collect()
}

/// Runs every method of `settings` on the run's [`multivariate_columns`]; empty when no
/// method is asked for or the run has no reference.
pub fn compute_multivariate(
    run: &PreparedRun<'_>,
    settings: &MultivariateSettings,
) -> Vec<MultivariateDrift> {
    let Some(reference) = run.reference() else {
        return Vec::new();
    };
    if settings.is_off() {
        return Vec::new();
    }
    let columns = multivariate_columns(run);
    let names: Vec<String> = columns.iter().map(|(n, _)| n.clone()).collect();
    let (ref_owned, cur_owned) = (
        owned_side(reference, &columns),
        owned_side(run.current(), &columns),
    );
    let (ref_cells, cur_cells) = (cells(&ref_owned), cells(&cur_owned));
    let r = borrowed(&ref_owned, &columns, &ref_cells);
    let c = borrowed(&cur_owned, &columns, &cur_cells);
    settings
        .methods
        .iter()
        .map(|&method| run_method(method, &r, &c, settings, &names))
        .collect()
}

fn run_method(
    method: MultivariateMethod,
    r: &[FeatureColumn<'_>],
    c: &[FeatureColumn<'_>],
    settings: &MultivariateSettings,
    names: &[String],
) -> MultivariateDrift {
    let mut details = serde_json::Map::new();
    let outcome = match method {
        MultivariateMethod::Reconstruction => {
            let s = &settings.reconstruction;
            let params = ReconstructionParams {
                explained_variance: s.explained_variance,
                reference_chunks: s.reference_chunks,
                std_multiplier: s.std_multiplier,
            };
            reconstruction_drift(r, c, &params).map(|d| {
                details.insert("components".into(), d.components.into());
                details.insert(
                    "reference_chunk_errors".into(),
                    serde_json::json!(d.reference_chunk_errors),
                );
                (
                    d.current.error,
                    Some(d.lower_threshold),
                    d.upper_threshold,
                    d.current.drifted,
                    names.to_vec(),
                    Vec::new(),
                )
            })
        }
        MultivariateMethod::DomainClassifier => {
            let s = &settings.domain_classifier;
            let params = DomainClassifierParams {
                folds: s.folds,
                lower_threshold: s.lower_threshold,
                upper_threshold: s.upper_threshold,
                ..DomainClassifierParams::default()
            };
            domain_classifier_drift(r, c, &params).map(|d| {
                (
                    d.auc,
                    Some(d.lower_threshold),
                    d.upper_threshold,
                    d.drifted,
                    names.to_vec(),
                    d.contributions,
                )
            })
        }
        MultivariateMethod::Mmd => {
            let s = &settings.mmd;
            let params = MultivariateMmdParams {
                permutations: s.permutations,
                p_value_threshold: s.p_value_threshold,
                max_rows_per_side: s.max_rows_per_side,
                seed: s.seed,
            };
            multivariate_mmd_drift(r, c, &params).map(|d| {
                details.insert("mmd_squared".into(), serde_json::json!(d.mmd_squared));
                details.insert("reference_rows_used".into(), d.reference_rows_used.into());
                details.insert("current_rows_used".into(), d.current_rows_used.into());
                (
                    d.p_value,
                    None,
                    d.p_value_threshold,
                    d.drifted,
                    d.columns,
                    Vec::new(),
                )
            })
        }
    };
    match outcome {
        Ok((score, lower, upper, drifted, columns, contributions)) if score.is_finite() => {
            MultivariateDrift {
                method,
                score: Some(score),
                lower_threshold: lower,
                upper_threshold: Some(upper),
                drifted: Some(drifted),
                columns,
                contributions,
                details,
                error: None,
            }
        }
        Ok((score, ..)) => {
            MultivariateDrift::failed(method, names.to_vec(), format!("the score is {score}"))
        }
        Err(e) => MultivariateDrift::failed(method, names.to_vec(), e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_lists_parse_with_suggestions() {
        use MultivariateMethod::*;
        assert_eq!(
            MultivariateMethod::parse_list("all").unwrap(),
            vec![Reconstruction, DomainClassifier, Mmd]
        );
        assert_eq!(
            MultivariateMethod::parse_list("mmd, reconstruction,mmd").unwrap(),
            vec![Mmd, Reconstruction]
        );
        let e = MultivariateMethod::parse_list("reconstrution").unwrap_err();
        assert!(e.contains("did you mean `reconstruction`?"), "{e}");
    }

    #[test]
    fn settings_read_from_toml_with_defaults_and_checks() {
        let s: MultivariateSettings =
            toml::from_str("methods = [\"mmd\"]\n[mmd]\npermutations = 50\n").unwrap();
        assert_eq!(s.methods, vec![MultivariateMethod::Mmd]);
        assert_eq!(s.mmd.permutations, 50);
        assert_eq!(s.mmd.p_value_threshold, 0.05);
        assert_eq!(s.reconstruction, ReconstructionSettings::default());
        assert!(s.validate().is_ok());
        let bad = MultivariateSettings {
            domain_classifier: DomainClassifierSettings {
                folds: 1,
                ..Default::default()
            },
            ..Default::default()
        };
        let e = bad.validate().unwrap_err();
        assert_eq!(e, "domain_classifier.folds must be at least 2, got 1");
        let e = toml::from_str::<MultivariateSettings>("methods = [\"mdm\"]").unwrap_err();
        assert!(e.message().contains("did you mean `mmd`?"), "{e}");
    }
}
