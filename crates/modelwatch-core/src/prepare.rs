//! The prepared run: the column types, roles and settings every preset works from, checked
//! and resolved once before any preset runs.
//!
//! Inferring a column's type is a pass over every row, and every preset needs the types,
//! roles and checked settings. [`PreparedRun::new`] does that work once per run, so a run of
//! several presets pays for it once, and every preset sees the same types and the same
//! errors; the presets only look the results up.

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;

use crate::drift::{DriftSettings, SettingsError};
use crate::schema::{resolve_column_type, ColumnRole, ColumnType, SchemaError, SchemaOverrides};
use crate::setting::Setting;
use crate::table::Table;

/// The settings of a run as the user gave them; [`PreparedRun::new`] checks them.
#[derive(Clone, Copy)]
pub struct RunSettings<'a> {
    /// Column types and roles.
    pub schema: &'a SchemaOverrides,
    /// Drift methods, thresholds and the dataset rule.
    pub drift: &'a DriftSettings,
    /// Class-probability columns of the prediction.
    pub prediction_proba: &'a [String],
    /// The positive label of a binary classification.
    pub pos_label: Option<&'a str>,
    /// Probability at which a binary classification predicts the positive label.
    pub proba_threshold: f64,
}

impl<'a> RunSettings<'a> {
    /// `schema` and `drift` with no probability columns, no positive label and the default
    /// probability threshold (0.5).
    pub fn new(schema: &'a SchemaOverrides, drift: &'a DriftSettings) -> Self {
        Self {
            schema,
            drift,
            prediction_proba: &[],
            pos_label: None,
            proba_threshold: 0.5,
        }
    }
}

/// Why the settings of a run do not fit its data.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PrepareError {
    /// A column named in the schema is missing, or has two types.
    Schema(#[from] SchemaError),
    /// A drift setting is out of its range.
    Settings(#[from] SettingsError),
    /// The probability threshold is outside [0, 1].
    ProbaThreshold(f64),
}

impl PrepareError {
    /// The message, with settings spelled by `spell` (a flag, a config key).
    pub fn message(&self, spell: &dyn Fn(Setting) -> String) -> String {
        match self {
            PrepareError::Schema(e) => e.message(spell),
            PrepareError::Settings(e) => e.message(spell),
            PrepareError::ProbaThreshold(v) => format!(
                "{} must be between 0 and 1, got {v}",
                spell(Setting::ProbaThreshold)
            ),
        }
    }
}

impl std::fmt::Display for PrepareError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(&Setting::canonical))
    }
}

/// The resolved type and role of one column of either dataset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResolvedColumn {
    /// The type the presets use: the forced one, else the inferred one.
    pub column_type: ColumnType,
    /// The type the user forced, if any.
    pub forced: Option<ColumnType>,
    /// What the column is for.
    pub role: ColumnRole,
    /// Whether the user asked to leave the column out.
    pub ignored: bool,
}

/// A reference and a current table with checked settings and the resolved type and role of
/// every column: what every preset's compute function receives.
pub struct PreparedRun<'a> {
    // Private, so that nothing can change what `new` checked: the presets rely on it.
    reference: Option<&'a Table>,
    current: &'a Table,
    settings: RunSettings<'a>,
    /// Every column of either dataset: the reference's in order, then the current-only ones.
    names: Vec<&'a str>,
    columns: HashMap<&'a str, ResolvedColumn>,
}

impl<'a> PreparedRun<'a> {
    /// Checks `settings` against the two datasets and resolves every column's type and role.
    pub fn new(
        reference: Option<&'a Table>,
        current: &'a Table,
        settings: RunSettings<'a>,
    ) -> Result<Self, PrepareError> {
        if !(0.0..=1.0).contains(&settings.proba_threshold) {
            return Err(PrepareError::ProbaThreshold(settings.proba_threshold));
        }
        settings.drift.validate()?;
        let schema = settings.schema;
        let in_either = |n: &str| {
            current.column(n).is_some() || reference.is_some_and(|r| r.column(n).is_some())
        };
        schema.check_names(in_either)?;
        let forced: BTreeMap<&str, ColumnType> = schema.forced_types()?;

        let mut names: Vec<&'a str> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for t in reference.into_iter().chain(std::iter::once(current)) {
            for n in t.column_names() {
                if seen.insert(n) {
                    names.push(n);
                }
            }
        }
        // Inference reads every row of a column: the columns are inferred in parallel.
        let columns: HashMap<&'a str, ResolvedColumn> = names
            .par_iter()
            .map(|&n| {
                let r = reference.and_then(|t| t.column(n)).map(|c| &c.data);
                let c = current.column(n).map(|c| &c.data);
                let forced = forced.get(n).copied();
                let resolved = ResolvedColumn {
                    column_type: resolve_column_type(r, c, forced),
                    forced,
                    role: schema.role_of(n),
                    ignored: schema.is_ignored(n),
                };
                (n, resolved)
            })
            .collect();
        Ok(Self {
            reference,
            current,
            settings,
            names,
            columns,
        })
    }

    /// The reference dataset; only the summary can do without one.
    pub fn reference(&self) -> Option<&'a Table> {
        self.reference
    }

    /// The current dataset.
    pub fn current(&self) -> &'a Table {
        self.current
    }

    /// The settings, as checked by [`PreparedRun::new`].
    pub fn settings(&self) -> &RunSettings<'a> {
        &self.settings
    }

    /// The column names of either dataset: the reference's in order, then current-only ones.
    pub fn names(&self) -> &[&'a str] {
        &self.names
    }

    /// The resolved type and role of a column of either dataset.
    pub fn column(&self, name: &str) -> Option<&ResolvedColumn> {
        self.columns.get(name)
    }

    /// The resolved type of a column of either dataset.
    ///
    /// # Panics
    /// When `name` is in neither dataset (the presets only ask about columns they found).
    pub fn column_type(&self, name: &str) -> ColumnType {
        self.columns[name].column_type
    }

    /// The column types and roles as the user gave them.
    pub fn schema(&self) -> &'a SchemaOverrides {
        self.settings.schema
    }

    /// The drift settings, validated.
    pub fn drift_settings(&self) -> &'a DriftSettings {
        self.settings.drift
    }
}
