//! Projects: one monitored model each, with its schema, reference data and settings.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use modelwatch_core::descriptors::image::ImageError;
use modelwatch_core::descriptors::text::{
    describe_text_columns, TextDescriptor, TextDescriptorError, TextDescriptorSettings,
};
use modelwatch_core::drift::{DriftSettings, MultivariateSettings};
use modelwatch_core::results::Preset;
use modelwatch_core::schema::{
    resolve_column_type, ColumnRole, ColumnSpec, ColumnType, SchemaOverrides,
};
use modelwatch_core::setting::{Setting, SettingGroup};
use modelwatch_core::table::{Column, ColumnData, StrColumn, Table};
use modelwatch_io::Format;
use serde::{Deserialize, Serialize};

use crate::config::Limits;

/// A project's settings: what the config file's `[[projects]]` tables and the API's JSON
/// hold (the reference data travels separately).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProjectConfig {
    /// Column types and roles, as in the CLI's `[columns]`.
    pub columns: SchemaOverrides,
    /// Drift settings, as in the CLI's `[drift]`.
    pub drift: DriftSettings,
    /// Presets of scheduled snapshots and of reports without `preset=`.
    pub presets: Vec<Preset>,
    /// The prediction's class-probability columns (target drift, classification quality),
    /// as the CLI's `--prediction-proba`.
    pub prediction_proba: Vec<String>,
    /// The positive label of a binary classification (default `1`, or `true` for booleans).
    pub pos_label: Option<String>,
    /// The probability, 0..1, at or above which a binary classification predicts the
    /// positive label (0.5).
    pub proba_threshold: f64,
    /// When snapshots are taken and how much data each covers.
    pub schedule: Schedule,
    /// Whether a small JPEG thumbnail of each ingested image (and of the first images of a
    /// zip reference) is kept, so that the dashboard can show examples; on by default.
    pub thumbnails: bool,
    /// Text descriptors, the entries of the CLI's `[[text_descriptors]]` (`kind`, `column`,
    /// `alias` and the kind's parameters): computed on the reference when the project is
    /// built and on each window's texts, as columns `<column>.<descriptor>`. Kept as written
    /// and read by [`ProjectConfig::text_descriptor_settings`], so that a bad entry is a
    /// refused setting naming its key rather than an unreadable body.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub text_descriptors: Vec<serde_json::Value>,
    /// Multivariate drift, the CLI's `[multivariate]` table (`methods` and each method's
    /// parameters); none when absent. Kept as written and read by
    /// [`ProjectConfig::multivariate_settings`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multivariate: Option<serde_json::Value>,
}

impl Default for ProjectConfig {
    fn default() -> Self {
        Self {
            columns: SchemaOverrides::default(),
            drift: DriftSettings::default(),
            presets: Preset::DEFAULT.to_vec(),
            prediction_proba: Vec::new(),
            pos_label: None,
            proba_threshold: 0.5,
            schedule: Schedule::default(),
            thumbnails: true,
            text_descriptors: Vec::new(),
            multivariate: None,
        }
    }
}

/// When snapshots are taken and over what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Schedule {
    /// Time between snapshots (`"5m"`); `"0s"` turns scheduled snapshots off.
    pub interval: String,
    /// How far back a snapshot looks (`"1h"`).
    pub window: String,
    /// Fewer events than this in the window: no snapshot, and reports say so.
    pub min_rows: usize,
    /// Windows holding more events than this are thinned evenly to about this many (every
    /// k-th event), which bounds a report's time and memory (about 1 KB per event).
    pub max_rows: usize,
}

impl Default for Schedule {
    fn default() -> Self {
        Self {
            interval: "5m".into(),
            window: "1h".into(),
            min_rows: 10,
            max_rows: 200_000,
        }
    }
}

impl Schedule {
    /// The parsed `interval`; zero means no scheduled snapshots.
    pub fn interval(&self) -> Result<Duration, ProjectError> {
        parse_duration("schedule.interval", &self.interval)
    }

    /// The parsed `window`.
    pub fn window(&self) -> Result<Duration, ProjectError> {
        parse_duration("schedule.window", &self.window)
    }
}

/// The longest duration any setting or query accepts: 36500 days (100 years). Longer ones
/// are refused rather than taken, because in microseconds since the epoch they overflow or
/// reach before any stored time, and a window that long never fills.
pub const MAX_DURATION: Duration = Duration::from_secs(36_500 * 86_400);

/// Parses a duration such as `90s`, `5m`, `1h 30m`, `7d`, at most [`MAX_DURATION`];
/// `what` names the setting in the error.
pub fn parse_duration(what: &str, text: &str) -> Result<Duration, ProjectError> {
    let invalid = |message: String| ProjectError::Invalid {
        what: what.to_string(),
        message,
    };
    let d = humantime::parse_duration(text.trim()).map_err(|e| {
        invalid(format!(
            "`{text}` is not a duration ({e}); write e.g. 90s, 5m, 1h, 7d, from 0s to 36500d"
        ))
    })?;
    if d > MAX_DURATION {
        return Err(invalid(format!(
            "`{text}` is out of range: a duration runs from 0s to 36500d (100 years)"
        )));
    }
    Ok(d)
}

/// Something wrong with a project definition.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    /// A setting is not acceptable: a bad name, duration, threshold or column override,
    /// or a reference without rows.
    #[error("{what}: {message}")]
    Invalid {
        /// The setting's key as written in the config file and the API's JSON
        /// (`schedule.window`, `proba_threshold`, `columns`, `name`, `reference`).
        what: String,
        /// What is wrong with it.
        message: String,
    },
    /// The reference file cannot be parsed in its format.
    #[error("reference: {0}")]
    Reference(#[from] modelwatch_io::ReadError),
}

/// Core's error about a text descriptor setting as a refused setting: the key it names
/// (`text_descriptors[2].reg_exp`) and the rest of its message. An unknown column gets the
/// closest names of `table`.
fn text_descriptor_error(error: TextDescriptorError, table: Option<&Table>) -> ProjectError {
    let message = error.to_string();
    let (what, rest) = message.split_once(": ").map_or(
        ("text_descriptors".to_string(), message.clone()),
        |(w, r)| (w.to_string(), r.to_string()),
    );
    let message = match (&error, table) {
        (TextDescriptorError::UnknownColumn { column, .. }, Some(t)) => {
            let names: Vec<&str> = t.column_names().collect();
            format!(
                "{rest} in the reference; {}",
                modelwatch_core::suggest::hint(column, &names, None)
            )
        }
        _ => rest,
    };
    ProjectError::Invalid { what, message }
}

/// Appends the descriptor columns `settings` ask for to `table` (the reference, or a
/// window); `Ok(table)` unchanged without settings.
pub fn with_text_descriptors(
    table: Table,
    settings: &[TextDescriptorSettings],
) -> Result<Table, ProjectError> {
    if settings.is_empty() {
        return Ok(table);
    }
    let described = describe_text_columns(&table, settings)
        .map_err(|e| text_descriptor_error(e, Some(&table)))?;
    let mut columns = table.into_columns();
    columns.extend(described.table.into_columns());
    Table::new(columns).map_err(|e| ProjectError::Invalid {
        what: "text_descriptors".into(),
        message: e.to_string(),
    })
}

/// Checks a project name: 1 to 200 characters, no control characters, not `.` or `..`
/// (as a path segment those resolve to the parent path, so the dashboard could not link
/// to them). Anything else (quotes, `/`, `<`, Unicode) is allowed and is escaped wherever
/// it is shown.
pub fn validate_name(name: &str) -> Result<(), ProjectError> {
    let bad = |message: &str| ProjectError::Invalid {
        what: "name".into(),
        message: message.into(),
    };
    if name.is_empty() || name.trim().is_empty() {
        return Err(bad("a project needs a non-blank name"));
    }
    if name == "." || name == ".." {
        return Err(bad("`.` and `..` are not project names"));
    }
    if name.chars().count() > 200 {
        return Err(bad("at most 200 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(bad(
            "control characters (newline, tab, ...) are not allowed",
        ));
    }
    Ok(())
}

/// The config key of a setting that core's errors name (`Setting::Target` is
/// `columns.target`), as in a project's JSON and the config file's `[[projects]]`.
pub fn config_key(setting: Setting) -> String {
    match setting.group() {
        SettingGroup::Columns => format!("columns.{}", setting.name()),
        SettingGroup::Drift => format!("drift.{}", setting.name()),
        SettingGroup::Model => setting.name().to_string(),
        SettingGroup::Images => format!("images.{}", setting.name()),
        SettingGroup::Multivariate => format!("multivariate.{}", setting.name()),
    }
}

/// Where the names a settings key accepts are listed, for a name close to none of them.
const TEXT_DOCS: &str = "docs/text.md";

/// Serde's message about a setting written as JSON, on one line, an unknown name's closest
/// known names in place of the whole list.
fn setting_message(e: &serde_json::Error, listed_in: &str) -> String {
    modelwatch_core::suggest::rewrite_unknown_name(
        &e.to_string().replace('\n', " "),
        Some(listed_in),
    )
}

impl ProjectConfig {
    /// The `text_descriptors` entries read as core's settings, each checked as far as it can
    /// be without data (its kind and parameters, its pattern, its column name not given
    /// twice). The error names the entry, `text_descriptors[i]` (0-based, as core counts),
    /// and the key within it.
    pub fn text_descriptor_settings(&self) -> Result<Vec<TextDescriptorSettings>, ProjectError> {
        let settings = self
            .text_descriptors
            .iter()
            .enumerate()
            .map(|(i, entry)| {
                TextDescriptorSettings::deserialize(entry).map_err(|e| ProjectError::Invalid {
                    what: format!("text_descriptors[{i}]"),
                    message: setting_message(&e, TEXT_DOCS),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if settings.is_empty() {
            return Ok(settings);
        }
        // Core checks patterns and names before describing anything: an empty table of the
        // named columns checks them with core's own rules and messages.
        let mut named: Vec<&str> = Vec::new();
        for s in &settings {
            let other = match &s.descriptor {
                TextDescriptor::ExactMatch { other_column } => Some(other_column.as_str()),
                _ => None,
            };
            for c in std::iter::once(s.column.as_str()).chain(other) {
                if !named.contains(&c) {
                    named.push(c);
                }
            }
        }
        let empty = Table::new(
            named
                .iter()
                .map(|n| {
                    Column::new(
                        *n,
                        ColumnData::Str(
                            StrColumn::from_options(std::iter::empty::<Option<&str>>()),
                        ),
                    )
                })
                .collect(),
        )
        .map_err(|e| ProjectError::Invalid {
            what: "text_descriptors".into(),
            message: e.to_string(),
        })?;
        describe_text_columns(&empty, &settings).map_err(|e| text_descriptor_error(e, None))?;
        Ok(settings)
    }

    /// The `multivariate` table read as core's settings and range-checked; the defaults
    /// (no method) when absent. The error names the key (`multivariate.methods`,
    /// `multivariate.mmd.permutations`, ...).
    pub fn multivariate_settings(&self) -> Result<MultivariateSettings, ProjectError> {
        let Some(value) = &self.multivariate else {
            return Ok(MultivariateSettings::default());
        };
        let settings = MultivariateSettings::deserialize(value).map_err(|e| {
            let message = setting_message(&e, "docs/statistics.md");
            // Serde names neither the table nor the key of a refused value: a method name
            // is the one value read through a check of its own.
            let what = if message.contains("multivariate method") || message.contains("`all`") {
                "multivariate.methods"
            } else {
                "multivariate"
            };
            ProjectError::Invalid {
                what: what.into(),
                message,
            }
        })?;
        settings.validate().map_err(|message| {
            // Core's message starts with the key below the table (`mmd.permutations must
            // ...`).
            let key = message
                .split_whitespace()
                .next()
                .filter(|k| k.contains('.'))
                .map_or("multivariate".to_string(), |k| format!("multivariate.{k}"));
            ProjectError::Invalid { what: key, message }
        })?;
        Ok(settings)
    }

    /// The drift settings a window runs with: `drift` and the `multivariate` methods.
    pub fn run_drift_settings(&self) -> Result<DriftSettings, ProjectError> {
        Ok(DriftSettings {
            multivariate: self.multivariate_settings()?,
            ..self.drift.clone()
        })
    }

    /// Checks everything that can be checked without data.
    pub fn validate(&self) -> Result<(), ProjectError> {
        self.text_descriptor_settings()?;
        self.multivariate_settings()?;
        self.drift.validate().map_err(|e| ProjectError::Invalid {
            what: "drift".into(),
            message: e.message(&config_key),
        })?;
        self.columns
            .forced_types()
            .map_err(|e| ProjectError::Invalid {
                what: "columns".into(),
                message: e.to_string(),
            })?;
        if self.presets.is_empty() {
            return Err(ProjectError::Invalid {
                what: "presets".into(),
                message: "at least one preset is needed".into(),
            });
        }
        if !(0.0..=1.0).contains(&self.proba_threshold) {
            return Err(ProjectError::Invalid {
                what: "proba_threshold".into(),
                message: format!("must be between 0 and 1, got {}", self.proba_threshold),
            });
        }
        if self.schedule.max_rows < self.schedule.min_rows.max(1) {
            return Err(ProjectError::Invalid {
                what: "schedule.max_rows".into(),
                message: format!(
                    "must be at least min_rows ({}), got {}",
                    self.schedule.min_rows, self.schedule.max_rows
                ),
            });
        }
        self.schedule.interval()?;
        let window = self.schedule.window()?;
        if window.is_zero() {
            return Err(ProjectError::Invalid {
                what: "schedule.window".into(),
                message: "must be longer than 0s".into(),
            });
        }
        Ok(())
    }
}

/// A schema's columns by name (the position of each in the schema), built once per project
/// so that each ingested key is looked up in constant time.
#[derive(Debug, Clone, Default)]
pub struct ColumnIndex(HashMap<String, usize>);

impl ColumnIndex {
    /// The index of `schema`.
    pub fn new(schema: &[ColumnSpec]) -> Self {
        Self(
            schema
                .iter()
                .enumerate()
                .map(|(i, c)| (c.name.clone(), i))
                .collect(),
        )
    }

    /// The column of `schema` (the one this index was built from) named `name`.
    pub fn get<'s>(&self, schema: &'s [ColumnSpec], name: &str) -> Option<&'s ColumnSpec> {
        self.0.get(name).and_then(|&i| schema.get(i))
    }
}

/// A project ready to use: settings plus the parsed reference.
#[derive(Debug, Clone)]
pub struct Project {
    /// The project's name, unique in the store; also the `project` label on `/metrics`.
    pub name: String,
    /// Its validated settings.
    pub config: ProjectConfig,
    /// The reference dataset that every window is compared with; until one is uploaded,
    /// reports and snapshots of the project answer that it is missing.
    pub reference: Option<Arc<Table>>,
    /// The resolved schema: every reference column with its type and role.
    pub schema: Vec<ColumnSpec>,
    /// The column settings the presets run with: `config.columns` with the descriptor
    /// columns of image columns typed by their kind, and a zip reference's `file` column
    /// ignored (events do not carry file names; see [`resolve_schema`]).
    pub run_columns: SchemaOverrides,
    /// The text descriptors of `config.text_descriptors`, read and checked; their columns
    /// are part of the reference (computed once, when the project is built) and are
    /// computed on each window's texts.
    pub text_descriptors: Vec<TextDescriptorSettings>,
    /// The drift settings windows run with: `config.drift` with `config.multivariate`.
    pub run_drift: DriftSettings,
    /// When the project was first saved, microseconds since the Unix epoch.
    pub created_us: i64,
    /// When its settings or reference last changed, microseconds since the Unix epoch.
    pub updated_us: i64,
    /// `schema` by column name.
    column_index: ColumnIndex,
    /// The vector columns of `schema`: prefix `K` and its count of `K.0 ..` columns, which
    /// every ingested event's arrays are checked against.
    vector_lengths: BTreeMap<String, usize>,
}

/// How a project's reference bytes are judged when the project is built.
#[derive(Debug, Clone, Copy)]
pub enum ReferenceRules<'a> {
    /// A reference being uploaded: a vector column that cannot be read refuses it, and its
    /// base64 images are held to `limits.image_bytes` and `limits.image_pixels`.
    Upload(&'a Limits),
    /// A reference accepted earlier, read back from the store: it is not held to limits set
    /// since (a vector column that cannot be read is left out with a warning, images get the
    /// default pixel limit and no byte limit), so a restart neither fails nor changes it.
    Stored,
}

impl Project {
    /// Builds a project from settings and, when there is one, the reference bytes, judged
    /// by `rules`.
    pub fn new(
        name: String,
        config: ProjectConfig,
        reference: Option<(&[u8], Format)>,
        rules: ReferenceRules<'_>,
        created_us: i64,
        updated_us: i64,
    ) -> Result<Self, ProjectError> {
        validate_name(&name)?;
        config.validate()?;
        let text_descriptors = config.text_descriptor_settings()?;
        let run_drift = config.run_drift_settings()?;
        let reference = match reference {
            Some((bytes, format)) => {
                let read =
                    modelwatch_io::read_table_bytes_with_vectors(bytes, format, "reference", None)?;
                // A vector column the reader could not take is left out of its table; a new
                // reference missing it would make every window's copy of it unknown.
                if let Some(v) = read.vectors.iter().find(|v| v.error.is_some()) {
                    let message = format!(
                        "the vector column `{}` cannot be read: {}",
                        v.name,
                        v.error.as_deref().unwrap_or_default()
                    );
                    if let ReferenceRules::Upload(_) = rules {
                        return Err(ProjectError::Invalid {
                            what: "reference".into(),
                            message,
                        });
                    }
                    tracing::warn!(project = %name, "stored reference: {message}; left out");
                }
                let stored_limits;
                let limits = match rules {
                    ReferenceRules::Upload(limits) => limits,
                    ReferenceRules::Stored => {
                        stored_limits = Limits {
                            image_bytes: usize::MAX,
                            ..Limits::default()
                        };
                        &stored_limits
                    }
                };
                let table = describe_reference_images(read.table, &config.columns.images, limits)?;
                let table = with_text_descriptors(table, &text_descriptors)?;
                if table.rows() == 0 {
                    return Err(ProjectError::Invalid {
                        what: "reference".into(),
                        message: "no data rows".into(),
                    });
                }
                Some(Arc::new(table))
            }
            None => None,
        };
        let columns = with_text_descriptor_types(&config.columns, &text_descriptors);
        let (schema, run_columns) = match &reference {
            Some(t) => resolve_schema(t, &columns)?,
            None => (Vec::new(), columns),
        };
        Ok(Self {
            name,
            config,
            reference,
            column_index: ColumnIndex::new(&schema),
            vector_lengths: crate::ingest::images::vector_lengths(
                schema.iter().map(|c| c.name.as_str()),
            ),
            schema,
            run_columns,
            text_descriptors,
            run_drift,
            created_us,
            updated_us,
        })
    }

    /// Checks the declared embeddings against the reference, as every window's run will; a
    /// project without a reference has nothing to check them against yet. Saving a project
    /// asks this; restoring a stored one does not, so that a declaration stored before it
    /// was checked does not stop the server from starting.
    pub fn check_embeddings(&self) -> Result<(), ProjectError> {
        match &self.reference {
            Some(t) => check_declared_embeddings(t, &self.run_columns, &self.config.drift),
            None => Ok(()),
        }
    }

    /// Columns the settings name (target, prediction, probabilities, id, timestamp): known
    /// to ingestion and kept in windows even when the reference lacks them.
    pub fn configured_columns(&self) -> Vec<&str> {
        let c = &self.config.columns;
        [&c.target, &c.prediction, &c.id, &c.timestamp]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .chain(self.config.prediction_proba.iter().map(String::as_str))
            .collect()
    }

    /// The column of the schema named `name`.
    pub fn column(&self, name: &str) -> Option<&ColumnSpec> {
        self.column_index.get(&self.schema, name)
    }

    /// The schema's index by column name.
    pub fn column_index(&self) -> &ColumnIndex {
        &self.column_index
    }

    /// The schema's vector columns: prefix `K` and its count of `K.0 ..` columns.
    pub fn vector_lengths(&self) -> &BTreeMap<String, usize> {
        &self.vector_lengths
    }

    /// The type of a column of the schema.
    pub fn column_type(&self, name: &str) -> Option<ColumnType> {
        self.column(name).map(|c| c.column_type)
    }
}

/// `columns` with each text descriptor column typed as core computes it, as the CLI does:
/// numbers numerical, yes/no answers categorical (Evidently's types for its descriptors),
/// so that a count with few distinct values is not taken for a label. A descriptor column
/// the settings type or ignore keeps that choice.
fn with_text_descriptor_types(
    columns: &SchemaOverrides,
    settings: &[TextDescriptorSettings],
) -> SchemaOverrides {
    let mut typed = columns.clone();
    for s in settings {
        let name = s.column_name();
        let given = [
            &columns.numerical,
            &columns.categorical,
            &columns.text,
            &columns.datetime,
            &columns.ignore,
        ]
        .iter()
        .any(|list| list.contains(&name));
        if given {
            continue;
        }
        let numeric = matches!(
            s.descriptor,
            TextDescriptor::TextLength
                | TextDescriptor::WordCount
                | TextDescriptor::SentenceCount
                | TextDescriptor::NonLetterCharacterPercentage
                | TextDescriptor::OovWordsPercentage { .. }
                | TextDescriptor::Sentiment
        );
        if numeric {
            typed.numerical.push(name);
        } else {
            typed.categorical.push(name);
        }
    }
    typed
}

/// Checks the declared embeddings (`columns.embeddings`, and the embeddings
/// `drift.embedding_methods` names) against the reference, as every window's run will: a
/// declaration that fits no column of the reference would fail each snapshot. Only the
/// embeddings are checked here: role columns may be absent from the reference.
fn check_declared_embeddings(
    reference: &Table,
    columns: &SchemaOverrides,
    drift: &DriftSettings,
) -> Result<(), ProjectError> {
    if columns.embeddings.is_empty() && drift.embedding_methods.is_empty() {
        return Ok(());
    }
    let declared = SchemaOverrides {
        embeddings: columns.embeddings.clone(),
        ..Default::default()
    };
    let settings = modelwatch_core::prepare::RunSettings::new(&declared, drift);
    match modelwatch_core::prepare::PreparedRun::new(Some(reference), reference, settings) {
        Ok(_) => Ok(()),
        Err(modelwatch_core::prepare::PrepareError::Embedding {
            setting,
            embedding,
            problem,
        }) => Err(ProjectError::Invalid {
            what: config_key(setting),
            message: format!("embedding `{embedding}`: {problem}"),
        }),
        Err(e) => Err(ProjectError::Invalid {
            what: "columns".into(),
            message: e.message(&config_key),
        }),
    }
}

/// Replaces each image column of a reference table (base64 text or `data:` URIs; file
/// names are not read, an upload must not reach the server's files) by its descriptor
/// columns. Images that cannot be described are missing values, as in `modelwatch report`;
/// so is an image larger than `limits.image_bytes` or than `limits.image_pixels`, as an
/// event's image would be refused.
fn describe_reference_images(
    table: Table,
    images: &[String],
    limits: &Limits,
) -> Result<Table, ProjectError> {
    let image_limits = modelwatch_core::descriptors::image::ImageLimits {
        max_pixels: limits.image_pixels,
        ..Default::default()
    };
    let max_bytes = limits.image_bytes;
    let image_bytes = |text: &str| {
        let bytes = modelwatch_io::images::image_text_bytes(text)?;
        if bytes.len() > max_bytes {
            return Err(ImageError::Unreadable(format!(
                "the image is {} bytes, more than the limit of {max_bytes} (limits.image_bytes)",
                bytes.len()
            )));
        }
        Ok(bytes)
    };
    let mut table = table;
    for column in images {
        // A reference without the column is left as it is: its events carry no image either.
        let Some(source) = table.column(column) else {
            continue;
        };
        let is_text = matches!(source.data, ColumnData::Str(_));
        let described = modelwatch_io::images::describe_table_images_with(
            &table,
            column,
            image_bytes,
            &image_limits,
        )
        .map_err(|e| ProjectError::Invalid {
            what: "columns.images".into(),
            message: match e {
                _ if !is_text => format!(
                    "the reference's column `{column}` holds numbers or times, not base64 images"
                ),
                modelwatch_io::ReadError::ImageColumn { message, .. } => message,
                other => other.to_string(),
            },
        })?;
        table = described.table;
    }
    Ok(table)
}

/// Every reference column's type and role, with the configured overrides applied, and the
/// overrides the presets run with: the descriptor columns of image columns typed by their
/// kind ([`SchemaOverrides::with_image_descriptor_types`]), and the `file` column of a
/// reference read from a zip of images ignored, unless the settings name it: it names the
/// reference's images, and events carry no file name to compare it with.
pub fn resolve_schema(
    reference: &Table,
    columns: &SchemaOverrides,
) -> Result<(Vec<ColumnSpec>, SchemaOverrides), ProjectError> {
    let invalid = |message: String| ProjectError::Invalid {
        what: "columns".into(),
        message,
    };
    let mut typed = columns.with_image_descriptor_types([]);
    // Only descriptors the reference has are typed: an image column named in the settings
    // before its reference is uploaded has none yet.
    for list in [&mut typed.numerical, &mut typed.categorical] {
        list.retain(|n| {
            reference.column(n).is_some()
                || columns.numerical.contains(n)
                || columns.categorical.contains(n)
        });
    }
    let file = modelwatch_io::images::FILE_COLUMN;
    let named = [
        &typed.numerical,
        &typed.categorical,
        &typed.text,
        &typed.datetime,
        &typed.ignore,
    ]
    .iter()
    .any(|l| l.iter().any(|n| n == file))
        || [
            &typed.id,
            &typed.timestamp,
            &typed.target,
            &typed.prediction,
        ]
        .iter()
        .any(|r| r.as_deref() == Some(file));
    if !typed.images.is_empty() && !named && reference.column(file).is_some() {
        typed.ignore.push(file.to_string());
    }
    let columns = &typed;
    let forced = columns
        .forced_types()
        .map_err(|e| invalid(e.message(&config_key)))?;
    // Role columns may exist only in the events (a prediction column next to a reference
    // of training data); every other named column must be in the reference.
    let roles = [
        &columns.target,
        &columns.prediction,
        &columns.id,
        &columns.timestamp,
    ];
    let known: Vec<&str> = reference
        .column_names()
        .chain(roles.iter().filter_map(|r| r.as_deref()))
        .collect();
    columns
        .check_names(&known)
        .map_err(|e| invalid(e.message(&config_key)))?;
    let schema = reference
        .columns()
        .iter()
        .filter(|c| !columns.is_ignored(&c.name))
        .map(|c| ColumnSpec {
            name: c.name.clone(),
            column_type: resolve_column_type(
                Some(&c.data),
                None,
                forced.get(c.name.as_str()).copied(),
            ),
            role: columns.role_of(&c.name),
        })
        .collect();
    Ok((schema, typed.clone()))
}

/// The role of a column in a schema (features when not named).
pub fn role_of(schema: &[ColumnSpec], name: &str) -> Option<ColumnRole> {
    schema.iter().find(|c| c.name == name).map(|c| c.role)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_quotes_slashes_and_unicode_are_fine_control_chars_are_not() {
        assert!(validate_name("my \"model\" </script> / ü 模型").is_ok());
        assert!(validate_name("").is_err());
        assert!(validate_name("  ").is_err());
        assert!(validate_name("a\nb").is_err());
    }

    #[test]
    fn schema_is_inferred_from_the_reference_with_overrides() {
        let mut csv = String::from("age,city,label\n");
        for i in 0..40 {
            csv.push_str(&format!(
                "{},{},{}\n",
                20 + i,
                ["Paris", "Rome"][i % 2],
                i % 2
            ));
        }
        let csv = csv.as_bytes();
        let config = ProjectConfig {
            columns: SchemaOverrides {
                target: Some("label".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let p = Project::new(
            "p".into(),
            config,
            Some((csv, Format::Csv)),
            ReferenceRules::Upload(&Limits::default()),
            0,
            0,
        )
        .unwrap();
        let roles: Vec<_> = p.schema.iter().map(|c| (c.name.as_str(), c.role)).collect();
        assert_eq!(
            roles,
            vec![
                ("age", ColumnRole::Feature),
                ("city", ColumnRole::Feature),
                ("label", ColumnRole::Target)
            ]
        );
        assert_eq!(p.column_type("city"), Some(ColumnType::Categorical));
    }

    #[test]
    fn a_reference_column_of_base64_images_becomes_typed_descriptor_columns() {
        use base64::Engine;
        let root =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/images");
        let png = std::fs::read(root.join("pattern.png")).unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(png);
        let mut csv = String::from("label,photo\n");
        for i in 0..12 {
            let photo = match i {
                3 => "not an image".to_string(),
                4 => String::new(),
                _ => b64.clone(),
            };
            csv.push_str(&format!("{},{photo}\n", i % 2));
        }
        let config = ProjectConfig {
            columns: SchemaOverrides {
                images: vec!["photo".into()],
                categorical: vec!["photo.channels".into()],
                ..Default::default()
            },
            ..Default::default()
        };
        let p = Project::new(
            "p".into(),
            config,
            Some((csv.as_bytes(), Format::Csv)),
            ReferenceRules::Upload(&Limits::default()),
            0,
            0,
        )
        .unwrap();
        assert!(p.column("photo").is_none());
        assert_eq!(p.schema.len(), 1 + 26);
        assert_eq!(p.column_type("photo.width"), Some(ColumnType::Numerical));
        assert_eq!(p.column_type("photo.format"), Some(ColumnType::Categorical));
        assert_eq!(
            p.column_type("photo.channels"),
            Some(ColumnType::Categorical)
        );
        let reference = p.reference.as_ref().unwrap();
        let ColumnData::Float(width) = &reference.column("photo.width").unwrap().data else {
            panic!("width is numerical");
        };
        assert!(width[0] > 1.0 && width[3].is_nan() && width[4].is_nan());
        // An image column the reference lacks yet types nothing (no unknown-column error).
        let config = ProjectConfig {
            columns: SchemaOverrides {
                images: vec!["scan".into()],
                ..Default::default()
            },
            ..Default::default()
        };
        let p = Project::new(
            "q".into(),
            config,
            Some((csv.as_bytes(), Format::Csv)),
            ReferenceRules::Upload(&Limits::default()),
            0,
            0,
        );
        assert!(p.is_ok(), "{:?}", p.err());
    }

    #[test]
    fn an_unreadable_vector_column_refuses_the_reference_naming_it() {
        let jsonl = b"{\"a\": 1, \"emb\": [1, 2]}\n{\"a\": 2, \"emb\": [3]}\n".as_slice();
        let e = Project::new(
            "p".into(),
            ProjectConfig::default(),
            Some((jsonl, Format::JsonLines)),
            ReferenceRules::Upload(&Limits::default()),
            0,
            0,
        )
        .err()
        .unwrap()
        .to_string();
        assert!(
            e.starts_with("reference: the vector column `emb` cannot be read"),
            "{e}"
        );
        assert!(e.contains("different lengths"), "{e}");
        // The same reference read back from the store (accepted before this check existed)
        // still builds its project: a restart does not fail on it.
        let p = Project::new(
            "p".into(),
            ProjectConfig::default(),
            Some((jsonl, Format::JsonLines)),
            ReferenceRules::Stored,
            0,
            0,
        )
        .unwrap();
        let names: Vec<&str> = p.reference.as_ref().unwrap().column_names().collect();
        assert_eq!(names, ["a"]);
    }

    #[test]
    fn reference_images_are_held_to_the_image_limits() {
        use base64::Engine;
        let root =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/images");
        let png = std::fs::read(root.join("pattern.png")).unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&png);
        let csv = format!("label,photo\n0,{b64}\n1,{b64}\n");
        let config = ProjectConfig {
            columns: SchemaOverrides {
                images: vec!["photo".into()],
                ..Default::default()
            },
            ..Default::default()
        };
        let width = |limits: &Limits| {
            let p = Project::new(
                "p".into(),
                config.clone(),
                Some((csv.as_bytes(), Format::Csv)),
                ReferenceRules::Upload(limits),
                0,
                0,
            )
            .unwrap();
            let reference = p.reference.unwrap();
            let ColumnData::Float(w) = &reference.column("photo.width").unwrap().data else {
                panic!("width is numerical");
            };
            w[0]
        };
        assert!(width(&Limits::default()) > 1.0);
        let few_bytes = Limits {
            image_bytes: png.len() - 1,
            ..Limits::default()
        };
        assert!(width(&few_bytes).is_nan());
        let few_pixels = Limits {
            image_pixels: 4,
            ..Limits::default()
        };
        assert!(width(&few_pixels).is_nan());
    }

    #[test]
    fn embeddings_that_fit_no_reference_column_are_named_by_config_key() {
        use modelwatch_core::schema::EmbeddingColumns;
        let jsonl = b"{\"a\": 1, \"emb\": [1, 2]}\n{\"a\": 2, \"emb\": [3, 4]}\n".as_slice();
        let with = |prefix: &str| ProjectConfig {
            columns: SchemaOverrides {
                embeddings: [("emb".to_string(), EmbeddingColumns::Prefix(prefix.into()))]
                    .into_iter()
                    .collect(),
                ..Default::default()
            },
            ..Default::default()
        };
        let build = |config: ProjectConfig| {
            Project::new(
                "p".into(),
                config,
                Some((jsonl, Format::JsonLines)),
                ReferenceRules::Upload(&Limits::default()),
                0,
                0,
            )
            .and_then(|p| p.check_embeddings())
        };
        assert!(build(with("emb.")).is_ok());
        let e = build(with("emb")).err().unwrap().to_string();
        assert!(
            e.starts_with("columns.embeddings: embedding `emb`: no column of the reference"),
            "{e}"
        );
        let mut methods = with("emb.");
        methods.drift.embedding_methods.insert(
            "vec".into(),
            modelwatch_core::drift::EmbeddingMethodSetting {
                method: "distance".into(),
                ..Default::default()
            },
        );
        let e = build(methods).err().unwrap().to_string();
        assert!(
            e.starts_with("drift.embedding_methods: embedding `vec`"),
            "{e}"
        );
    }

    #[test]
    fn unknown_columns_are_named_by_config_key() {
        let csv = b"age,city\n1,Paris\n2,Rome\n".as_slice();
        let config = ProjectConfig {
            columns: SchemaOverrides {
                numerical: vec!["zzz".into()],
                ..Default::default()
            },
            ..Default::default()
        };
        let e = Project::new(
            "p".into(),
            config,
            Some((csv, Format::Csv)),
            ReferenceRules::Upload(&Limits::default()),
            0,
            0,
        )
        .err()
        .unwrap()
        .to_string();
        assert!(e.contains("given to columns.numerical"), "{e}");
    }

    #[test]
    fn core_errors_name_config_keys() {
        assert_eq!(config_key(Setting::Target), "columns.target");
        assert_eq!(config_key(Setting::ColumnMethods), "drift.column_methods");
        assert_eq!(config_key(Setting::ProbaThreshold), "proba_threshold");
        let mut c = ProjectConfig::default();
        c.drift.num_threshold = Some(-1.0);
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("drift.num_threshold must be"), "{e}");
    }

    #[test]
    fn text_descriptors_become_typed_reference_columns() {
        let config: ProjectConfig = toml::from_str(
            r#"
            presets = ["drift"]
            [[text_descriptors]]
            kind = "WordCount"
            column = "review"
            [[text_descriptors]]
            kind = "Contains"
            column = "review"
            items = ["Refund"]
            case_sensitive = false
            [multivariate]
            methods = ["mmd"]
            mmd = { permutations = 20 }
            "#,
        )
        .unwrap();
        let csv = b"review,n\nthe refund came late,1\n,2\nall good,3\n".as_slice();
        let p = Project::new(
            "p".into(),
            config,
            Some((csv, Format::Csv)),
            ReferenceRules::Upload(&Limits::default()),
            0,
            0,
        )
        .unwrap();
        assert_eq!(
            p.column_type("review.word_count"),
            Some(ColumnType::Numerical)
        );
        assert_eq!(
            p.column_type("review.contains"),
            Some(ColumnType::Categorical)
        );
        let reference = p.reference.as_ref().unwrap();
        // A missing text counts 0 words, as in Evidently.
        assert_eq!(
            reference.column("review.word_count").unwrap().data,
            ColumnData::Float(vec![4.0, 0.0, 2.0])
        );
        assert_eq!(
            reference.column("review.contains").unwrap().data,
            ColumnData::Bool(vec![Some(true), Some(false), Some(false)])
        );
        // The multivariate table reaches the drift settings windows run with.
        assert_eq!(
            p.run_drift.multivariate.methods,
            [modelwatch_core::drift::MultivariateMethod::Mmd]
        );
        assert_eq!(p.run_drift.multivariate.mmd.permutations, 20);
    }

    #[test]
    fn bad_settings_are_named() {
        let mut c = ProjectConfig::default();
        c.schedule.interval = "soon".into();
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("schedule.interval"), "{e}");
        let mut c = ProjectConfig::default();
        c.presets.clear();
        assert!(c.validate().is_err());
    }
}
