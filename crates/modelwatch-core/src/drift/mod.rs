//! Data drift: per-column two-sample tests and the dataset verdict.
//!
//! The engine follows Evidently 0.7's `DataDriftPreset`: every column shared by the two
//! datasets (except id, timestamp, datetime and ignored columns) gets a method (the user's
//! choice or Evidently's default rule), a threshold and a score; the dataset drifts when
//! the share of drifted columns reaches `drift_share`. Columns are computed in parallel.
//!
//! Declared embeddings are tested as vectors ([`embedding`]), beside the columns and in
//! parallel with them; their member columns are not tested one by one, and embeddings do
//! not count in the share of drifted columns.
//!
//! Multivariate (dataset-level) methods run when asked for ([`multivariate`]); they do not
//! count in the share of drifted columns either.

mod dispatch;
pub mod distribution;
pub mod embedding;
pub mod method;
pub mod multivariate;
pub(crate) mod sample;
pub mod settings;
pub mod untested;

use rayon::prelude::*;
use serde::Serialize;

pub use distribution::ColumnDistribution;
pub use embedding::{embedding_column_drift, EmbeddingDriftResult};
pub use method::{DriftMethod, DriftRule, UnknownMethod};
pub use multivariate::{MultivariateDrift, MultivariateMethod, MultivariateSettings};
pub use settings::{DriftSettings, EmbeddingMethodSetting, SettingsError};
pub use untested::{DatasetSide, UntestedColumn, UntestedReason};

use crate::prepare::PreparedRun;
use crate::schema::{ColumnRole, ColumnType, SchemaError};
use crate::setting::Setting;
use crate::stats::text_drift::TextDriftExplanation;
use crate::table::{Column, ColumnReadProblem};

/// The drift result of one column. A column that could not be tested has `score` and
/// `drifted` set to `None` and says why in `error`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnDrift {
    /// The column name.
    pub column: String,
    /// The column type the method was chosen for.
    #[serde(rename = "type")]
    pub column_type: ColumnType,
    /// The column role (feature, target, prediction, ...).
    pub role: ColumnRole,
    /// The method applied: the user's choice or Evidently's default; `None` when the column
    /// could not be read as its type.
    pub method: Option<DriftMethod>,
    /// The threshold `score` was compared with (the user's or the method's default).
    pub threshold: Option<f64>,
    /// The method's score: a p-value in `[0, 1]` or a distance `>= 0` (see
    /// [`DriftRule::is_p_value`]); `None` when the column could not be tested.
    pub score: Option<f64>,
    /// Whether `score` crossed `threshold` by the method's [`DriftRule`].
    pub drifted: Option<bool>,
    /// Rows of the reference dataset.
    pub reference_rows: usize,
    /// Rows of the current dataset.
    pub current_rows: usize,
    /// Missing values (empty, NA, null, NaN) dropped from the reference before testing.
    pub reference_missing: usize,
    /// Missing values dropped from the current data before testing.
    pub current_missing: usize,
    /// Infinite values dropped from the reference before testing.
    pub reference_infinite: usize,
    /// Infinite values dropped from the current data before testing.
    pub current_infinite: usize,
    /// Why the column has no score (values unreadable as its type, no non-missing values, a
    /// method that does not apply, a statistic that fails or is NaN); `None` when tested.
    pub error: Option<String>,
    /// Reference and current counts for charts (histogram or top labels); `None` when the
    /// column could not be read as its type.
    pub distribution: Option<ColumnDistribution>,
    /// For a text column tested by a text drift method: what the AUC was compared with, and
    /// the words and texts that tell current from reference; left out of the JSON otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_drift: Option<TextDriftExplanation>,
    /// What the reader could not read cleanly in the reference's column (cells that are not
    /// UTF-8, read with U+FFFD). The column is still tested on the values as read; left out
    /// of the JSON when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_read_problem: Option<ColumnReadProblem>,
    /// The same for the current data's column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_read_problem: Option<ColumnReadProblem>,
}

impl ColumnDrift {
    /// Whether the column was tested (has a score).
    pub fn tested(&self) -> bool {
        self.score.is_some()
    }
}

/// The drift result of a dataset pair.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftReport {
    /// Share of drifted columns at which the dataset counts as drifted.
    pub drift_share: f64,
    /// Columns that were tested (columns with an error are not counted).
    pub column_count: usize,
    /// Tested columns whose score crossed their threshold.
    pub drifted_count: usize,
    /// `drifted_count / column_count`, a share in `[0, 1]` (0 when nothing was tested).
    pub drifted_share: f64,
    /// Whether at least one column was tested and `drifted_share >= drift_share`.
    pub dataset_drift: bool,
    /// One result per column present in both datasets and not skipped, in reference order.
    pub columns: Vec<ColumnDrift>,
    /// Columns present only in the reference (not compared).
    pub reference_only_columns: Vec<String>,
    /// Columns present only in the current data (not compared).
    pub current_only_columns: Vec<String>,
    /// Columns described but not drift-tested (id, timestamp, datetime, ignored).
    pub skipped_columns: Vec<SkippedColumn>,
    /// Columns of `columns` that could not be tested because of a problem with their data
    /// or method (values of the wrong type, a side all missing), in `columns` order; text
    /// columns given a method that is not a text method and statistics undefined for the
    /// data are not listed ([`UntestedReason::is_problem`]).
    pub untested_columns: Vec<UntestedColumn>,
    /// One result per declared embedding, in name order. Their member columns are listed
    /// there, not in `columns`; embeddings do not count in `drifted_share`.
    pub embeddings: Vec<EmbeddingDriftResult>,
    /// One result per multivariate method asked for ([`DriftSettings::multivariate`]), in
    /// the order asked; left out of the JSON when none was asked for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub multivariate: Vec<MultivariateDrift>,
}

/// A column that is not drift-tested, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SkippedColumn {
    /// The column name.
    pub column: String,
    /// Why it is not tested, for the report (e.g. `id column`, `ignored`).
    pub reason: String,
}

/// A problem with the whole run (as opposed to one column).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DriftError {
    /// A column setting names a column that is in neither dataset.
    Schema(#[from] SchemaError),
    /// A column setting names a column that is not drift-tested.
    SettingForUntestedColumn {
        /// The column.
        column: String,
        /// The setting that names it.
        setting: Setting,
        /// Why the column is not tested.
        why: String,
    },
    /// The run has no reference dataset.
    NoReference,
}

impl DriftError {
    /// The message, with settings spelled by `spell` (a flag, a config key).
    pub fn message(&self, spell: &dyn Fn(Setting) -> String) -> String {
        match self {
            DriftError::Schema(e) => e.message(spell),
            DriftError::SettingForUntestedColumn {
                column,
                setting,
                why,
            } => format!(
                "column `{column}` given to {} is not compared: {why}",
                spell(*setting)
            ),
            DriftError::NoReference => "the drift preset needs a reference dataset".into(),
        }
    }
}

impl std::fmt::Display for DriftError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(&Setting::canonical))
    }
}

/// Computes data drift between the reference and the current data of `run`.
///
/// `on_column_done` is called once per tested column (from worker threads), for progress
/// display.
pub fn compute_drift(
    run: &PreparedRun<'_>,
    on_column_done: &(dyn Fn() + Sync),
) -> Result<DriftReport, DriftError> {
    let Some(reference) = run.reference() else {
        return Err(DriftError::NoReference);
    };
    let current = run.current();
    let settings = run.drift_settings();
    let in_either = |n: &str| run.column(n).is_some();
    for (col, setting) in settings
        .column_methods
        .keys()
        .map(|c| (c, Setting::ColumnMethods))
        .chain(
            settings
                .column_thresholds
                .keys()
                .map(|c| (c, Setting::ColumnThresholds)),
        )
    {
        if !in_either(col) {
            return Err(SchemaError::unknown_column(col, setting, run.names()).into());
        }
        if reference.column(col).is_none() || current.column(col).is_none() {
            return Err(DriftError::SettingForUntestedColumn {
                column: col.clone(),
                setting,
                why: "it is in only one of the datasets".into(),
            });
        }
        if let Some(embedding) = run.embedding_of(col) {
            return Err(DriftError::SettingForUntestedColumn {
                column: col.clone(),
                setting,
                why: format!("it is a member of embedding `{embedding}`, tested as a whole"),
            });
        }
    }

    let reference_only_columns: Vec<String> = reference
        .column_names()
        .filter(|n| current.column(n).is_none())
        .map(str::to_string)
        .collect();
    let current_only_columns: Vec<String> = current
        .column_names()
        .filter(|n| reference.column(n).is_none())
        .map(str::to_string)
        .collect();

    let mut jobs: Vec<(&Column, &Column, ColumnType, ColumnRole)> = Vec::new();
    let mut skipped_columns = Vec::new();
    for rc in reference.columns() {
        let Some(cc) = current.column(&rc.name) else {
            continue;
        };
        let resolved = run.column(&rc.name).expect("a column of the reference");
        let (role, ty) = (resolved.role, resolved.column_type);
        // Members are listed with their embedding's result, not one by one: 512 components
        // would swamp the report.
        if run.embedding_of(&rc.name).is_some() {
            continue;
        }
        let skip_reason = if resolved.ignored {
            Some("ignored".to_string())
        } else if role == ColumnRole::Id {
            Some("id column".to_string())
        } else if role == ColumnRole::Timestamp {
            Some("timestamp column".to_string())
        } else if ty == ColumnType::Datetime {
            Some("datetime column (not drift-tested)".to_string())
        } else {
            None
        };
        if let Some(reason) = skip_reason {
            if settings.column_methods.contains_key(&rc.name) {
                return Err(DriftError::SettingForUntestedColumn {
                    column: rc.name.clone(),
                    setting: Setting::ColumnMethods,
                    why: reason,
                });
            }
            skipped_columns.push(SkippedColumn {
                column: rc.name.clone(),
                reason,
            });
            continue;
        }
        jobs.push((rc, cc, ty, role));
    }

    type Tested = (ColumnDrift, Option<UntestedReason>);
    let (tested, embeddings): (Vec<Tested>, Vec<EmbeddingDriftResult>) = rayon::join(
        || {
            jobs.par_iter()
                .map(|&(rc, cc, ty, role)| {
                    let pair = (rc, cc);
                    let result = column_drift_and_why(
                        pair,
                        ty,
                        role,
                        (reference.rows(), current.rows()),
                        settings,
                    );
                    on_column_done();
                    result
                })
                .collect()
        },
        || {
            run.embeddings()
                .par_iter()
                .map(|e| embedding_column_drift(e, reference, current, settings))
                .collect()
        },
    );

    let untested_columns = tested
        .iter()
        .filter_map(|(c, why)| {
            why.as_ref()
                .filter(|why| why.is_problem())
                .map(|why| UntestedColumn {
                    column: c.column.clone(),
                    reason: why.short(),
                })
        })
        .collect();
    // A column the reader decoded lossily is tested on the values as read, with the problem
    // beside its result.
    let columns: Vec<ColumnDrift> = tested
        .into_iter()
        .map(|(mut c, _)| {
            c.reference_read_problem = reference.read_problem(&c.column).cloned();
            c.current_read_problem = current.read_problem(&c.column).cloned();
            c
        })
        .collect();
    let column_count = columns.iter().filter(|c| c.tested()).count();
    let drifted_count = columns.iter().filter(|c| c.drifted == Some(true)).count();
    let drifted_share = if column_count == 0 {
        0.0
    } else {
        drifted_count as f64 / column_count as f64
    };
    Ok(DriftReport {
        drift_share: settings.drift_share,
        column_count,
        drifted_count,
        drifted_share,
        dataset_drift: column_count > 0 && drifted_share >= settings.drift_share,
        columns,
        reference_only_columns,
        current_only_columns,
        skipped_columns,
        untested_columns,
        embeddings,
        multivariate: multivariate::compute_multivariate(run, &settings.multivariate),
    })
}

/// Tests one column pair; problems are recorded in the result, never raised. Public so that
/// other presets (target drift) test their columns with exactly the same code; callers run
/// [`DriftSettings::validate`] first (as [`PreparedRun::new`] does).
pub fn column_drift(
    reference: &Column,
    current: &Column,
    ty: ColumnType,
    role: ColumnRole,
    reference_rows: usize,
    current_rows: usize,
    settings: &DriftSettings,
) -> ColumnDrift {
    column_drift_and_why(
        (reference, current),
        ty,
        role,
        (reference_rows, current_rows),
        settings,
    )
    .0
}

/// [`column_drift`], and why the column has no score when it has none.
fn column_drift_and_why(
    (reference, current): (&Column, &Column),
    ty: ColumnType,
    role: ColumnRole,
    (reference_rows, current_rows): (usize, usize),
    settings: &DriftSettings,
) -> (ColumnDrift, Option<UntestedReason>) {
    let mut why = None;
    let mut out = ColumnDrift {
        column: reference.name.clone(),
        column_type: ty,
        role,
        method: None,
        threshold: None,
        score: None,
        drifted: None,
        reference_rows,
        current_rows,
        reference_missing: 0,
        current_missing: 0,
        reference_infinite: 0,
        current_infinite: 0,
        error: None,
        distribution: None,
        text_drift: None,
        reference_read_problem: None,
        current_read_problem: None,
    };
    let chosen = settings.chosen_method(&reference.name, ty);
    let threshold_for = |m: DriftMethod| settings.threshold_for(&reference.name, ty, m);
    match dispatch::score_column(
        &reference.data,
        &current.data,
        ty,
        chosen,
        settings.seed,
        &threshold_for,
    ) {
        Ok(scored) => {
            out.reference_missing = scored.reference_dropped.missing;
            out.current_missing = scored.current_dropped.missing;
            out.reference_infinite = scored.reference_dropped.infinite;
            out.current_infinite = scored.current_dropped.infinite;
            out.distribution = scored.distribution;
            if let Some(method) = scored.method {
                out.method = Some(method);
                out.threshold = Some(settings.threshold_for(&reference.name, ty, method));
            }
            match scored.score {
                Ok(score) if score.is_nan() => {
                    why = Some(UntestedReason::Statistic(
                        "the statistic is undefined (NaN) for this data".into(),
                    ))
                }
                Ok(score) => {
                    let method = scored.method.expect("a score comes with its method");
                    out.score = Some(score);
                    out.drifted = Some(match &scored.text_drift {
                        Some((drifted, _)) => *drifted,
                        None => method.rule().drifted(score, out.threshold.unwrap()),
                    });
                    out.text_drift = scored.text_drift.map(|(_, explanation)| explanation);
                }
                Err(e) => why = Some(e),
            }
        }
        Err(e) => why = Some(e),
    }
    out.error = why.as_ref().map(UntestedReason::to_string);
    (out, why)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prepare::RunSettings;
    use crate::schema::SchemaOverrides;
    use crate::table::{ColumnData, StrColumn, Table};

    fn floats(name: &str, n: usize) -> Column {
        Column::new(name, ColumnData::Float((0..n).map(|i| i as f64).collect()))
    }

    use crate::table::ColumnReadProblem;

    fn strings(name: &str, values: &[Option<&str>]) -> Column {
        Column::new(
            name,
            ColumnData::Str(StrColumn::from_options(values.iter().copied())),
        )
    }

    #[test]
    fn columns_that_could_not_be_tested_are_listed_with_a_short_reason() {
        let reference = Table::new(vec![
            floats("a", 40),
            floats("width", 40),
            floats("empty", 40),
            strings("notes", &(0..40).map(|_| Some("x")).collect::<Vec<_>>()),
        ])
        .unwrap();
        let current = Table::new(vec![
            floats("a", 40),
            strings("width", &[Some("wide"); 40]),
            Column::new("empty", ColumnData::Float(vec![f64::NAN; 40])),
            strings("notes", &(0..40).map(|_| Some("y")).collect::<Vec<_>>()),
        ])
        .unwrap();
        let schema = SchemaOverrides {
            numerical: vec!["width".into()],
            text: vec!["notes".into()],
            ..Default::default()
        };
        let settings = DriftSettings::default();
        let run = PreparedRun::new(
            Some(&reference),
            &current,
            RunSettings::new(&schema, &settings),
        )
        .unwrap();
        let report = compute_drift(&run, &|| {}).unwrap();
        assert_eq!(report.column_count, 1);
        assert!(!report.dataset_drift);
        // The text column ("x" against "y": one-letter words, an empty vocabulary) has a
        // statistic undefined for its data: not listed.
        assert_eq!(
            report.untested_columns,
            [
                UntestedColumn {
                    column: "width".into(),
                    reason: "current values are text".into()
                },
                UntestedColumn {
                    column: "empty".into(),
                    reason: "current values are all missing".into()
                },
            ]
        );
        let width = &report.columns[1];
        assert_eq!(
            width.error.as_deref(),
            Some("the current data holds string values, which cannot be tested as numerical")
        );
        assert!(report.columns[3].error.is_some());
    }

    #[test]
    fn a_column_read_lossily_is_tested_and_carries_its_read_problem() {
        fn labels(bad: &str) -> Vec<Option<&str>> {
            (0..40)
                .map(|i| Some(if i % 4 == 0 { bad } else { "plain" }))
                .collect()
        }
        let reference = Table::new(vec![floats("a", 40), strings("c", &labels("cafe"))]).unwrap();
        let current = Table::new(vec![floats("a", 40), strings("c", &labels("caf\u{FFFD}"))])
            .unwrap()
            .with_read_problems(vec![ColumnReadProblem::invalid_utf8("c", 10, 2)]);
        let schema = SchemaOverrides::default();
        let settings = DriftSettings::default();
        let run = PreparedRun::new(
            Some(&reference),
            &current,
            RunSettings::new(&schema, &settings),
        )
        .unwrap();
        let report = compute_drift(&run, &|| {}).unwrap();
        let (a, c) = (&report.columns[0], &report.columns[1]);
        assert_eq!((a.column.as_str(), c.column.as_str()), ("a", "c"));
        assert_eq!(a.current_read_problem, None);
        assert_eq!(c.reference_read_problem, None);
        let problem = c.current_read_problem.as_ref().unwrap();
        assert_eq!((problem.invalid_utf8_cells, problem.first_line), (10, 2));
        assert_eq!(
            problem.message,
            "10 values in column `c` are not valid UTF-8 (first at line 2); read with U+FFFD \
             for each bad byte sequence"
        );
        // Tested on the values as read: "caf\u{FFFD}" is a new label, every tenth row.
        assert!(c.tested() && c.error.is_none(), "{c:?}");
        assert_eq!(report.column_count, 2);
        assert!(report.untested_columns.is_empty());
        let json = serde_json::to_value(c).unwrap();
        assert_eq!(json["current_read_problem"]["invalid_utf8_cells"], 10);
        assert!(json.get("reference_read_problem").is_none());
    }

    fn run_text(
        reference: Vec<Option<String>>,
        current: Vec<Option<String>>,
        settings: &DriftSettings,
    ) -> DriftReport {
        let table = |values: &[Option<String>]| {
            Table::new(vec![
                Column::new(
                    "ticket",
                    ColumnData::Str(StrColumn::from_options(values.iter().map(|v| v.as_deref()))),
                ),
                floats("n", values.len()),
            ])
            .unwrap()
        };
        let (reference, current) = (table(&reference), table(&current));
        let schema = SchemaOverrides {
            text: vec!["ticket".into()],
            ..Default::default()
        };
        let run = PreparedRun::new(
            Some(&reference),
            &current,
            RunSettings::new(&schema, settings),
        )
        .unwrap();
        compute_drift(&run, &|| {}).unwrap()
    }

    fn tickets(rows: usize, extra: &str) -> Vec<Option<String>> {
        const WORDS: [&str; 9] = [
            "refund", "parcel", "late", "driver", "invoice", "card", "broken", "screen", "login",
        ];
        (0..rows)
            .map(|i| {
                let a = WORDS[(i * 7 + 3) % 9];
                let b = WORDS[(i * i + 1) % 9];
                let c = WORDS[(i / 3) % 9];
                Some(if i % 3 == 0 {
                    format!("{a} {b} {c} {extra}")
                } else {
                    format!("{a} {b} {c}")
                })
            })
            .collect()
    }

    #[test]
    fn text_columns_get_evidentlys_default_text_method_and_explain_drift() {
        let report = run_text(
            tickets(300, ""),
            tickets(300, "zapwallet"),
            &DriftSettings::default(),
        );
        let ticket = &report.columns[0];
        assert_eq!(ticket.method, Some(DriftMethod::PercTextContentDrift));
        assert_eq!(ticket.threshold, Some(0.95));
        assert_eq!(ticket.drifted, Some(true), "{ticket:?}");
        let explanation = ticket.text_drift.as_ref().unwrap();
        assert_eq!(explanation.current_words[0].word, "zapwallet");
        assert!(explanation.compared_with > 0.5 && explanation.compared_with < 0.6);
        assert_eq!(report.column_count, 2);

        let mut settings = DriftSettings::default();
        settings
            .column_methods
            .insert("ticket".into(), DriftMethod::AbsTextContentDrift);
        let report = run_text(tickets(300, ""), tickets(300, ""), &settings);
        let ticket = &report.columns[0];
        assert_eq!(ticket.method, Some(DriftMethod::AbsTextContentDrift));
        assert_eq!(ticket.threshold, Some(0.55));
        assert_eq!(ticket.drifted, Some(false), "{ticket:?}");
        assert_eq!(ticket.text_drift.as_ref().unwrap().compared_with, 0.55);
    }

    #[test]
    fn text_columns_that_cannot_be_tested_say_why_and_the_rest_runs() {
        let missing = vec![None; 50];
        let report = run_text(missing.clone(), tickets(50, ""), &DriftSettings::default());
        assert_eq!(
            report.columns[0].error.as_deref(),
            Some("the reference has no non-missing values")
        );
        assert_eq!(report.untested_columns[0].column, "ticket");
        assert!(report.columns[1].tested());

        let one = vec![Some("late parcel".to_string())];
        let report = run_text(one, tickets(1, ""), &DriftSettings::default());
        assert_eq!(
            report.columns[0].error.as_deref(),
            Some("text drift needs at least 2 non-missing texts on each side; the reference has 1")
        );

        let stop: Vec<Option<String>> = (0..40)
            .map(|i| Some(["the", "", "and of", "a b"][i % 4].to_string()))
            .collect();
        let report = run_text(stop.clone(), stop, &DriftSettings::default());
        assert!(report.columns[0]
            .error
            .as_deref()
            .unwrap()
            .starts_with("empty vocabulary"));
        assert!(report.columns[1].tested());

        let settings = DriftSettings {
            text_method: Some(DriftMethod::Psi),
            ..Default::default()
        };
        let report = run_text(tickets(50, ""), tickets(50, ""), &settings);
        assert!(report.columns[0]
            .error
            .as_deref()
            .unwrap()
            .starts_with("method `psi` does not apply to text columns"));
    }
}
