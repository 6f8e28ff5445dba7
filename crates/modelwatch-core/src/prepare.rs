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
use crate::schema::{
    resolve_column_type, ColumnRole, ColumnType, EmbeddingColumns, SchemaError, SchemaOverrides,
};
use crate::setting::Setting;
use crate::table::{ColumnData, Table};

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
    /// An embedding declaration does not fit the data, or a setting names an embedding that
    /// is not declared.
    Embedding {
        /// The setting at fault (`embeddings` or `embedding_methods`).
        setting: Setting,
        /// The embedding.
        embedding: String,
        /// What is wrong.
        problem: String,
    },
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
            PrepareError::Embedding {
                setting,
                embedding,
                problem,
            } => format!("{}: embedding `{embedding}`: {problem}", spell(*setting)),
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

/// An embedding of the run: its name and its member columns, the same in both datasets.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedEmbedding<'a> {
    /// The embedding's name (the key of `embeddings`).
    pub name: &'a str,
    /// The member columns, in component order.
    pub columns: Vec<&'a str>,
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
    embeddings: Vec<ResolvedEmbedding<'a>>,
    /// The embedding (index into `embeddings`) of each member column.
    embedding_members: HashMap<&'a str, usize>,
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
        let known: Vec<&str> = reference
            .into_iter()
            .flat_map(Table::column_names)
            .chain(current.column_names())
            .collect();
        schema.check_names(&known)?;
        let forced: BTreeMap<&str, ColumnType> = schema.forced_types()?;
        let embeddings = resolve_embeddings(reference, current, schema)?;
        for name in settings.drift.embedding_methods.keys() {
            if !schema.embeddings.contains_key(name) {
                let declared: Vec<&str> = schema.embeddings.keys().map(String::as_str).collect();
                let close = crate::suggest::closest(name, declared.iter().copied());
                let hint = if close.is_empty() {
                    format!("declare it with {}", Setting::Embeddings.canonical())
                } else {
                    crate::suggest::hint(name, &declared, None)
                };
                return Err(PrepareError::Embedding {
                    setting: Setting::EmbeddingMethods,
                    embedding: name.clone(),
                    problem: format!("no such embedding is declared ({hint})"),
                });
            }
        }
        let mut embedding_members = HashMap::new();
        for (i, e) in embeddings.iter().enumerate() {
            for &c in &e.columns {
                embedding_members.insert(c, i);
            }
        }

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
            embeddings,
            embedding_members,
        })
    }

    /// The embeddings of the run, in name order, their members resolved and checked.
    pub fn embeddings(&self) -> &[ResolvedEmbedding<'a>] {
        &self.embeddings
    }

    /// The embedding a column is a member of, if any.
    pub fn embedding_of(&self, column: &str) -> Option<&'a str> {
        self.embedding_members
            .get(column)
            .map(|&i| self.embeddings[i].name)
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

/// Resolves every declared embedding against both datasets: its members must exist on both
/// sides, be the same list on both, hold numbers, and belong to no other embedding.
fn resolve_embeddings<'a>(
    reference: Option<&'a Table>,
    current: &'a Table,
    schema: &'a SchemaOverrides,
) -> Result<Vec<ResolvedEmbedding<'a>>, PrepareError> {
    let mut out: Vec<ResolvedEmbedding<'a>> = Vec::new();
    let mut owner: HashMap<&'a str, &'a str> = HashMap::new();
    for (name, declared) in &schema.embeddings {
        let fail = |problem: String| PrepareError::Embedding {
            setting: Setting::Embeddings,
            embedding: name.clone(),
            problem,
        };
        let sides: Vec<(&str, &'a Table)> = reference
            .map(|r| ("the reference", r))
            .into_iter()
            .chain(std::iter::once(("the current data", current)))
            .collect();
        let mut resolved: Option<(&str, Vec<&'a str>)> = None;
        for (side, table) in sides {
            let members = match declared {
                EmbeddingColumns::Columns(list) => {
                    if list.is_empty() {
                        return Err(fail("the list of columns is empty".into()));
                    }
                    if let Some(missing) = list.iter().find(|c| table.column(c).is_none()) {
                        return Err(fail(format!(
                            "column `{missing}` is not in {side}{}",
                            crate::suggest::did_you_mean(missing, table.column_names())
                        )));
                    }
                    let mut seen = std::collections::HashSet::new();
                    if let Some(twice) = list.iter().find(|c| !seen.insert(c.as_str())) {
                        return Err(fail(format!("column `{twice}` is listed twice")));
                    }
                    declared.members(table.column_names())
                }
                EmbeddingColumns::Prefix(prefix) => {
                    if prefix.is_empty() {
                        return Err(fail("the prefix is empty".into()));
                    }
                    let members = declared.members(table.column_names());
                    if members.is_empty() {
                        return Err(fail(format!(
                            "no column of {side} is named `{prefix}` followed by a number \
                             (e.g. `{prefix}0`)"
                        )));
                    }
                    members
                }
            };
            for &c in &members {
                let data = &table.column(c).expect("a member is a column").data;
                if !matches!(data, ColumnData::Float(_) | ColumnData::Int(_)) {
                    return Err(fail(format!(
                        "member column `{c}` holds {} values in {side}, not numbers",
                        data.physical_name()
                    )));
                }
            }
            match &resolved {
                None => resolved = Some((side, members)),
                Some((first_side, first)) if *first != members => {
                    let differ = first
                        .iter()
                        .zip(&members)
                        .position(|(a, b)| a != b)
                        .unwrap_or(first.len().min(members.len()));
                    let at = |m: &[&str]| {
                        m.get(differ)
                            .map(|c| format!("`{c}`"))
                            .unwrap_or_else(|| "nothing".into())
                    };
                    return Err(fail(format!(
                        "{first_side} has {} member columns and {side} {} (dimensions differ \
                         or columns are named differently: member {} is {} in {first_side}, \
                         {} in {side})",
                        first.len(),
                        members.len(),
                        differ,
                        at(first),
                        at(&members),
                    )));
                }
                Some(_) => {}
            }
        }
        let (_, columns) = resolved.expect("the current data is always a side");
        for &c in &columns {
            if let Some(other) = owner.insert(c, name.as_str()) {
                return Err(fail(format!(
                    "column `{c}` is also a member of embedding `{other}`; a column belongs \
                     to at most one embedding"
                )));
            }
        }
        out.push(ResolvedEmbedding {
            name: name.as_str(),
            columns,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod embedding_tests {
    use super::*;
    use crate::table::{Column, StrColumn};

    fn table(names: &[&str]) -> Table {
        Table::new(
            names
                .iter()
                .map(|n| Column::new(*n, ColumnData::Float(vec![1.0, 2.0])))
                .collect(),
        )
        .unwrap()
    }

    fn prepare(
        reference: &Table,
        current: &Table,
        embeddings: &[(&str, EmbeddingColumns)],
    ) -> Result<Vec<(String, Vec<String>)>, String> {
        let schema = SchemaOverrides {
            embeddings: embeddings
                .iter()
                .map(|(n, e)| (n.to_string(), e.clone()))
                .collect(),
            ..Default::default()
        };
        let drift = DriftSettings::default();
        let run = PreparedRun::new(Some(reference), current, RunSettings::new(&schema, &drift))
            .map_err(|e| e.to_string())?;
        Ok(run
            .embeddings()
            .iter()
            .map(|e| {
                (
                    e.name.to_string(),
                    e.columns.iter().map(|c| c.to_string()).collect(),
                )
            })
            .collect())
    }

    fn prefix(p: &str) -> EmbeddingColumns {
        EmbeddingColumns::Prefix(p.into())
    }

    #[test]
    fn a_prefix_takes_numbered_columns_in_numeric_order() {
        let t = table(&["emb_10", "x", "emb_2", "emb_", "emb_1a", "emb_0", "emb_+3"]);
        let got = prepare(&t, &t, &[("emb", prefix("emb_"))]).unwrap();
        assert_eq!(
            got,
            vec![(
                "emb".to_string(),
                vec!["emb_0".into(), "emb_2".into(), "emb_10".into()]
            )]
        );
        let list = EmbeddingColumns::Columns(vec!["x".into(), "emb_2".into()]);
        let got = prepare(&t, &t, &[("e", list)]).unwrap();
        assert_eq!(got[0].1, vec!["x".to_string(), "emb_2".into()]);
    }

    #[test]
    fn bad_declarations_are_errors_naming_the_setting() {
        let t = table(&["emb_0", "emb_1", "v.0"]);
        let e = prepare(&t, &t, &[("emb", prefix("vec_"))]).unwrap_err();
        assert_eq!(
            e,
            "`embeddings`: embedding `emb`: no column of the reference is named `vec_` \
             followed by a number (e.g. `vec_0`)"
        );
        let e = prepare(
            &t,
            &t,
            &[
                ("a", prefix("emb_")),
                ("b", EmbeddingColumns::Columns(vec!["emb_1".into()])),
            ],
        )
        .unwrap_err();
        assert!(
            e.contains("column `emb_1` is also a member of embedding `a`"),
            "{e}"
        );
        let short = table(&["emb_0", "v.0"]);
        let e = prepare(&t, &short, &[("emb", prefix("emb_"))]).unwrap_err();
        assert!(
            e.contains("the reference has 2 member columns and the current data 1"),
            "{e}"
        );
        let e = prepare(
            &t,
            &short,
            &[("emb", EmbeddingColumns::Columns(vec!["emb_1".into()]))],
        )
        .unwrap_err();
        assert!(
            e.contains("column `emb_1` is not in the current data"),
            "{e}"
        );
        let text = Table::new(vec![
            Column::new("emb_0", ColumnData::Float(vec![1.0])),
            Column::new(
                "emb_1",
                ColumnData::Str(StrColumn::from_options([Some("a")])),
            ),
        ])
        .unwrap();
        let e = prepare(&text, &text, &[("emb", prefix("emb_"))]).unwrap_err();
        assert!(e.contains("member column `emb_1` holds"), "{e}");

        let schema = SchemaOverrides::default();
        let mut drift = DriftSettings::default();
        drift.embedding_methods.insert(
            "nope".into(),
            crate::drift::EmbeddingMethodSetting {
                method: "mmd".into(),
                ..Default::default()
            },
        );
        let e = PreparedRun::new(Some(&t), &t, RunSettings::new(&schema, &drift))
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.starts_with("`embedding_methods`: embedding `nope`"),
            "{e}"
        );
    }
}
