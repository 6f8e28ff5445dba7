//! `modelwatch report`: read two datasets, compute drift, print and write the results.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::{bail, Context};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use modelwatch_core::drift::{
    DriftMethod, EmbeddingDriftResult, EmbeddingMethodSetting, MultivariateMethod,
};
use modelwatch_core::results::{Meta, Preset, Results};
use modelwatch_core::run::{run_presets, RunSpec};
use modelwatch_core::schema::{EmbeddingColumns, SchemaOverrides};
use modelwatch_core::setting::Setting;
use modelwatch_core::table::Table;
use modelwatch_io::{Format, ReadOptions, VectorColumn};
use modelwatch_report::html::images::ImageGallery;
use modelwatch_report::html::{render_html_with, HtmlOptions};
use modelwatch_report::{render_terminal, to_json, TerminalStyle};

use crate::config::ConfigFile;
use crate::images::{galleries, read_arrow_dataset, read_dataset, FOLDER_IMAGE_COLUMN};
use crate::text_descriptors::TextDescriptorRequest;

/// The inputs shared by `report` and `test`: the two datasets, how to read them, the column
/// schema and the drift settings.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// The reference dataset (what the model was trained on): .csv, .parquet, .jsonl/.ndjson,
    /// or a folder of images (each image one row of descriptors: image.width, ...).
    #[arg(long, value_name = "FILE")]
    pub reference: PathBuf,
    /// The current dataset (what the model sees now), in the same forms.
    #[arg(long, value_name = "FILE")]
    pub current: PathBuf,
    /// Input format for both files, overriding the file extension: csv, parquet, jsonl.
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// CSV field delimiter (one character; `\t` for tab).
    #[arg(long, value_name = "CHAR")]
    pub delimiter: Option<String>,
    /// A TOML settings file ([columns], [drift], [images], [multivariate] and
    /// [[text_descriptors]] tables); flags override it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Image columns of a table (file names relative to the table's folder, or base64),
    /// each replaced by its descriptors: COL.width, COL.brightness, ...
    #[arg(long, value_delimiter = ',', value_name = "COLS")]
    pub image: Vec<String>,
    /// Columns to treat as numerical.
    #[arg(long, value_delimiter = ',', value_name = "COLS")]
    pub numerical: Vec<String>,
    /// Columns to treat as categorical.
    #[arg(long, value_delimiter = ',', value_name = "COLS")]
    pub categorical: Vec<String>,
    /// Columns to treat as text.
    #[arg(long, value_delimiter = ',', value_name = "COLS")]
    pub text: Vec<String>,
    /// Text columns described by Evidently's usual six descriptors (COL.text_length,
    /// COL.word_count, COL.sentence_count, COL.non_letter_character_percentage,
    /// COL.oov_words_percentage, COL.sentiment), tested like any column; the text column
    /// stays. Other descriptors are set in [[text_descriptors]] of --config.
    #[arg(long, value_delimiter = ',', value_name = "COLS")]
    pub text_descriptors: Vec<String>,
    /// Columns to treat as datetime (not drift-tested).
    #[arg(long, value_delimiter = ',', value_name = "COLS")]
    pub datetime: Vec<String>,
    /// Columns to leave out.
    #[arg(long, value_delimiter = ',', value_name = "COLS")]
    pub ignore: Vec<String>,
    /// Presets to compute, comma-separated: drift, summary, target, classification,
    /// regression.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "PRESETS",
        default_value = "drift,summary"
    )]
    pub preset: Vec<String>,
    /// Class-probability columns of the prediction (target drift, classification).
    #[arg(long, value_delimiter = ',', value_name = "COLS")]
    pub prediction_proba: Vec<String>,
    /// The positive label of a binary classification (default 1, or true for booleans).
    #[arg(long, value_name = "LABEL")]
    pub pos_label: Option<String>,
    /// Probability at which a binary classification predicts the positive label.
    #[arg(long, value_name = "P", default_value_t = 0.5)]
    pub proba_threshold: f64,
    /// The id column (not drift-tested).
    #[arg(long, value_name = "COL")]
    pub id: Option<String>,
    /// The timestamp column (not drift-tested).
    #[arg(long, value_name = "COL")]
    pub timestamp: Option<String>,
    /// The target column.
    #[arg(long, value_name = "COL")]
    pub target: Option<String>,
    /// The prediction column.
    #[arg(long, value_name = "COL")]
    pub prediction: Option<String>,
    /// An embedding, tested as a whole: NAME=PREFIX takes the columns PREFIX0, PREFIX1, ...
    /// (e.g. emb=emb_), NAME=COL1,COL2,... lists them (repeatable). List columns of Parquet
    /// and arrays of JSON Lines are embeddings without this flag.
    #[arg(long, value_name = "NAME=PREFIX")]
    pub embedding: Vec<String>,
    /// Drift method of one embedding, as NAME=METHOD (repeatable): model (default), ratio,
    /// distance or mmd.
    #[arg(long, value_name = "NAME=METHOD")]
    pub embedding_method: Vec<String>,

    /// Drift method for every column (Evidently's names: ks, chisquare, z, wasserstein, psi, ...).
    #[arg(long, value_name = "METHOD")]
    pub method: Option<String>,
    /// Drift method for numerical columns.
    #[arg(long, value_name = "METHOD")]
    pub num_method: Option<String>,
    /// Drift method for categorical columns.
    #[arg(long, value_name = "METHOD")]
    pub cat_method: Option<String>,
    /// Drift method for text columns.
    #[arg(long, value_name = "METHOD")]
    pub text_method: Option<String>,
    /// Drift method for one column, as COL=METHOD (repeatable).
    #[arg(long, value_name = "COL=METHOD")]
    pub column_method: Vec<String>,
    /// Threshold for every column.
    #[arg(long, value_name = "T", allow_negative_numbers = true)]
    pub threshold: Option<f64>,
    /// Threshold for numerical columns.
    #[arg(long, value_name = "T", allow_negative_numbers = true)]
    pub num_threshold: Option<f64>,
    /// Threshold for categorical columns.
    #[arg(long, value_name = "T", allow_negative_numbers = true)]
    pub cat_threshold: Option<f64>,
    /// Threshold for one column, as COL=T (repeatable).
    #[arg(long, value_name = "COL=T", allow_hyphen_values = true)]
    pub column_threshold: Vec<String>,
    /// The dataset drifts when the share of drifted columns is at least this (default 0.5).
    #[arg(long, value_name = "S", allow_negative_numbers = true)]
    pub drift_share: Option<f64>,
    /// Seed of the permutation tests (TVD, empirical_mmd).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Multivariate drift methods to run beside the per-column tests (comma list of
    /// reconstruction, domain_classifier, mmd; `all` for the three); see docs/report.md.
    #[arg(long, value_name = "METHODS")]
    pub multivariate: Option<String>,
    /// Describe each image on at least N pixels instead of all of them: the image reduced
    /// to 1/2, 1/4 or 1/8 of its size, whichever keeps N pixels (faster; brightness and
    /// colour means barely change, contrast, entropy and sharpness do; see docs/images.md).
    /// Geometry, file and EXIF descriptors stay exact.
    #[arg(long, value_name = "N")]
    pub image_sample_pixels: Option<u64>,
}

/// The arguments of `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Write the results as JSON to FILE (`-` for standard output).
    #[arg(long, value_name = "FILE")]
    pub json: Option<String>,
    /// Write a self-contained HTML report to FILE (opens offline in any browser).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Print nothing but errors (JSON is still written).
    #[arg(long, short)]
    pub quiet: bool,
}

/// How [`build_results`] runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuildOptions<'a> {
    /// Show a spinner and a progress bar on standard error.
    pub interactive: bool,
    /// Accept a current dataset with a header but no rows (`test` judges what it can);
    /// `report` refuses it.
    pub allow_empty_current: bool,
    /// Presets computed in addition to `--preset` (the ones a test suite needs).
    pub extra_presets: &'a [Preset],
    /// Fetch example images of image columns again and make their thumbnails (for HTML).
    pub galleries: bool,
}

/// The presets to compute: `--preset` plus `extra`, without repeats, in display order.
pub fn requested_presets(args: &InputArgs, extra: &[Preset]) -> anyhow::Result<Vec<Preset>> {
    let mut out = Vec::new();
    for name in &args.preset {
        let p = Preset::from_name(name).context("--preset")?;
        if !out.contains(&p) {
            out.push(p);
        }
    }
    for p in extra {
        if !out.contains(p) {
            out.push(*p);
        }
    }
    Ok(out)
}

/// The flag of a setting that core's errors name (`Setting::Target` is `--target`).
pub fn flag(setting: Setting) -> String {
    match setting {
        Setting::ColumnMethods => "--column-method".into(),
        Setting::ColumnThresholds => "--column-threshold".into(),
        Setting::Embeddings => "--embedding".into(),
        Setting::EmbeddingMethods => "--embedding-method".into(),
        Setting::SamplePixels => "--image-sample-pixels".into(),
        Setting::Multivariate => "--multivariate".into(),
        // No flag of its own: it is set in the settings file only.
        Setting::TextThreshold => "text_threshold (in the [drift] table of --config)".into(),
        other => format!("--{}", other.name().replace('_', "-")),
    }
}

fn parse_method(flag: &str, name: &str) -> anyhow::Result<DriftMethod> {
    DriftMethod::from_name(name).with_context(|| format!("--{flag}"))
}

fn split_pair<'a>(flag: &str, s: &'a str) -> anyhow::Result<(&'a str, &'a str)> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() && !v.is_empty() => Ok((k, v)),
        _ => bail!("--{flag}: expected COL=VALUE, got `{s}`"),
    }
}

fn parse_delimiter(s: &str) -> anyhow::Result<u8> {
    match s {
        "\\t" | "tab" => Ok(b'\t'),
        _ if s.len() == 1 && s.is_ascii() => Ok(s.as_bytes()[0]),
        _ => bail!("--delimiter: expected one ASCII character, got `{s}`"),
    }
}

/// The vector columns of the two files as embeddings. A vector column readable on both
/// sides with one dimension is declared with the prefix `NAME.` (unless the user declared
/// `NAME` already); any other is unreadable: the reason, per name, goes into the report as
/// that embedding's error, and its component columns are taken out of the side that had
/// them, so that they are not tested one by one.
fn declare_vectors(
    schema: &mut SchemaOverrides,
    (reference, current): (&mut Table, &mut Table),
    (ref_vectors, cur_vectors): (&[VectorColumn], &[VectorColumn]),
    (ref_path, cur_path): (&Path, &Path),
) -> anyhow::Result<Vec<(String, String)>> {
    let mut names: Vec<&str> = ref_vectors
        .iter()
        .chain(cur_vectors)
        .map(|v| v.name.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    let mut unreadable = Vec::new();
    for name in names {
        let find = |vs: &[VectorColumn]| vs.iter().find(|v| v.name == name).cloned();
        let (r, c) = (find(ref_vectors), find(cur_vectors));
        let side_error = |v: &Option<VectorColumn>, path: &Path| {
            v.as_ref()
                .and_then(|v| v.error.clone())
                .map(|e| format!("{}: {e}", path.display()))
        };
        let problem = side_error(&r, ref_path)
            .or_else(|| side_error(&c, cur_path))
            .or_else(|| match (&r, &c) {
                (Some(r), Some(c)) if r.dimension != c.dimension => Some(format!(
                    "the reference vectors have {} components, the current vectors {}",
                    r.dimension, c.dimension
                )),
                (Some(_), None) => Some(format!(
                    "only {} holds this vector column",
                    ref_path.display()
                )),
                (None, Some(_)) => Some(format!(
                    "only {} holds this vector column",
                    cur_path.display()
                )),
                _ => None,
            });
        match problem {
            None => {
                let prefix = r.or(c).expect("a name of either side").prefix();
                schema
                    .embeddings
                    .entry(name.to_string())
                    .or_insert(EmbeddingColumns::Prefix(prefix));
            }
            Some(problem) => {
                let prefix = modelwatch_io::vectors::component_prefix(name);
                for table in [&mut *reference, &mut *current] {
                    if let Some(kept) = without_components(table, &prefix)? {
                        *table = kept;
                    }
                }
                eprintln!("warning: vector column `{name}` not tested: {problem}");
                // An embedding the user declared under this name has its own entry.
                if !schema.embeddings.contains_key(name) {
                    unreadable.push((name.to_string(), problem));
                }
            }
        }
    }
    Ok(unreadable)
}

/// `table` without the component columns of a vector column (`NAME.0`, `NAME.1`, ...), or
/// `None` when it has none.
fn without_components(table: &Table, prefix: &str) -> anyhow::Result<Option<Table>> {
    let is_component = |n: &str| modelwatch_core::schema::component_index(n, prefix).is_some();
    if !table.column_names().any(is_component) {
        return Ok(None);
    }
    let kept = table
        .columns()
        .iter()
        .filter(|c| !is_component(&c.name))
        .cloned()
        .collect();
    Ok(Some(
        Table::new(kept)?.with_read_problems(table.read_problems().to_vec()),
    ))
}

/// Parses `--embedding NAME=PREFIX` or `NAME=COL1,COL2,...`.
fn parse_embedding(s: &str) -> anyhow::Result<(String, EmbeddingColumns)> {
    let (name, value) = split_pair("embedding", s)?;
    let columns = if value.contains(',') {
        EmbeddingColumns::Columns(
            value
                .split(',')
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect(),
        )
    } else {
        EmbeddingColumns::Prefix(value.to_string())
    };
    Ok((name.to_string(), columns))
}

/// Writes `contents` to `path` atomically (see [`modelwatch_io::write_atomically`]).
pub fn write_atomically(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    modelwatch_io::write_atomically(path, |f| f.write_all(contents))
        .with_context(|| format!("{}: cannot write", path.display()))
}

/// Datasets that were read but cannot be compared (no columns, no rows, no column in
/// common): the data's fault rather than the settings'.
#[derive(Debug)]
pub struct DatasetError(pub String);

impl std::fmt::Display for DatasetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DatasetError {}

/// A stream of Arrow record batches held in memory (a DataFrame), read in place of a file.
pub type ArrowBatches = Box<dyn arrow_array::RecordBatchReader + Send>;

/// Datasets given in memory in place of the `--reference` / `--current` files; the flag's
/// value then only names the dataset in messages and in the results' meta.
#[derive(Default)]
pub struct InMemory {
    /// The reference dataset, read instead of the `--reference` file.
    pub reference: Option<ArrowBatches>,
    /// The current dataset, read instead of the `--current` file.
    pub current: Option<ArrowBatches>,
}

/// Reads both datasets, applies the config file and the flags, and computes the results.
pub fn build_results(args: &InputArgs, opts: BuildOptions<'_>) -> anyhow::Result<Built> {
    build_results_with(args, opts, InMemory::default())
}

/// [`build_results`] with datasets held in memory in place of files: the settings, their
/// checks and the messages are the same either way.
pub fn build_results_with(
    args: &InputArgs,
    opts: BuildOptions<'_>,
    memory: InMemory,
) -> anyhow::Result<Built> {
    let config = match &args.config {
        Some(p) => ConfigFile::load(p)?,
        None => ConfigFile::default(),
    };
    let text_descriptors = TextDescriptorRequest::new(
        config.text_descriptors,
        args.config.as_deref(),
        &args.text_descriptors,
    );
    let mut schema = config.columns;
    let mut settings = config.drift;
    let mut image_settings = config.images;
    settings.multivariate = config.multivariate;
    if let Some(list) = &args.multivariate {
        settings.multivariate.methods = MultivariateMethod::parse_list(list)
            .map_err(|e| anyhow::anyhow!("--multivariate: {e}"))?;
    }
    if args.image_sample_pixels.is_some() {
        image_settings.sample_pixels = args.image_sample_pixels;
    }
    let image_limits = image_settings
        .limits()
        .map_err(|e| anyhow::anyhow!(e.message(&flag)))?;

    schema.numerical.extend(args.numerical.iter().cloned());
    schema.categorical.extend(args.categorical.iter().cloned());
    schema.text.extend(args.text.iter().cloned());
    schema.datetime.extend(args.datetime.iter().cloned());
    schema.ignore.extend(args.ignore.iter().cloned());
    // Image descriptors that are categories (format, camera make and model, ...) are
    // categorical however few or many values the data has, so a new camera model is a new
    // label; a folder's `file` column names each image: the rows' id, not a column to test.
    let folder = (memory.reference.is_none() && args.reference.is_dir())
        || (memory.current.is_none() && args.current.is_dir());
    if folder && schema.id.is_none() {
        schema.id = Some(modelwatch_io::images::FILE_COLUMN.to_string());
    }
    // `--image` adds to the config's `[columns] images`. Image descriptors are typed by
    // their kind (a camera model is a label however few models there are) unless a flag or
    // the config typed them.
    for image in &args.image {
        if !schema.images.contains(image) {
            schema.images.push(image.clone());
        }
    }
    schema = schema.with_image_descriptor_types(folder.then_some(FOLDER_IMAGE_COLUMN));
    for e in &args.embedding {
        let (name, columns) = parse_embedding(e)?;
        schema.embeddings.insert(name, columns);
    }
    for (dst, src) in [
        (&mut schema.id, &args.id),
        (&mut schema.timestamp, &args.timestamp),
        (&mut schema.target, &args.target),
        (&mut schema.prediction, &args.prediction),
    ] {
        if src.is_some() {
            *dst = src.clone();
        }
    }

    if let Some(m) = &args.method {
        settings.method = Some(parse_method("method", m)?);
    }
    if let Some(m) = &args.num_method {
        settings.num_method = Some(parse_method("num-method", m)?);
    }
    if let Some(m) = &args.cat_method {
        settings.cat_method = Some(parse_method("cat-method", m)?);
    }
    if let Some(m) = &args.text_method {
        settings.text_method = Some(parse_method("text-method", m)?);
    }
    for pair in &args.column_method {
        let (col, m) = split_pair("column-method", pair)?;
        settings
            .column_methods
            .insert(col.to_string(), parse_method("column-method", m)?);
    }
    for pair in &args.embedding_method {
        let (name, method) = split_pair("embedding-method", pair)?;
        settings.embedding_methods.insert(
            name.to_string(),
            EmbeddingMethodSetting {
                method: method.to_string(),
                ..Default::default()
            },
        );
    }
    if args.threshold.is_some() {
        settings.threshold = args.threshold;
    }
    if args.num_threshold.is_some() {
        settings.num_threshold = args.num_threshold;
    }
    if args.cat_threshold.is_some() {
        settings.cat_threshold = args.cat_threshold;
    }
    for pair in &args.column_threshold {
        let (col, t) = split_pair("column-threshold", pair)?;
        let t: f64 = t
            .parse()
            .with_context(|| format!("--column-threshold: `{t}` is not a number"))?;
        settings.column_thresholds.insert(col.to_string(), t);
    }
    if let Some(s) = args.drift_share {
        settings.drift_share = s;
    }
    if let Some(s) = args.seed {
        settings.seed = s;
    }
    settings
        .validate()
        .map_err(|e| anyhow::anyhow!(e.message(&flag)))?;

    let format = match &args.format {
        Some(f) => Some(Format::from_name(f).with_context(|| {
            format!("--format: unknown format `{f}` (expected csv, parquet or jsonl)")
        })?),
        None => None,
    };
    let delimiter = args.delimiter.as_deref().map(parse_delimiter).transpose()?;
    let options = ReadOptions { format, delimiter };

    let interactive = opts.interactive;
    let spinner = if interactive {
        let pb = ProgressBar::new_spinner();
        pb.set_message("reading data");
        pb.enable_steady_tick(std::time::Duration::from_millis(120));
        Some(pb)
    } else {
        None
    };
    // Read both files in parallel; each reader parallelises internally too.
    let read = |path: &Path, batches: Option<ArrowBatches>| match batches {
        Some(batches) => {
            read_arrow_dataset(path, batches, &schema.images, opts.galleries, &image_limits)
        }
        None => read_dataset(
            path,
            &options,
            &schema.images,
            opts.galleries,
            &image_limits,
        ),
    };
    let (reference_set, current_set) = rayon::join(
        || read(&args.reference, memory.reference),
        || read(&args.current, memory.current),
    );
    let (mut reference_set, mut current_set) = (reference_set?, current_set?);
    if let Some(pb) = spinner {
        pb.finish_and_clear();
    }
    let unreadable = declare_vectors(
        &mut schema,
        (&mut reference_set.table, &mut current_set.table),
        (&reference_set.vectors, &current_set.vectors),
        (&args.reference, &args.current),
    )?;
    let (reference, current) = (&reference_set.table, &current_set.table);
    let unusable = |message: String| Err(DatasetError(message).into());
    if reference.columns().is_empty() {
        return unusable(format!("{}: no columns", args.reference.display()));
    }
    if current.columns().is_empty() {
        return unusable(format!("{}: no columns", args.current.display()));
    }
    if reference.rows() == 0 {
        return unusable(format!(
            "{}: no data rows (only a header)",
            args.reference.display()
        ));
    }
    if current.rows() == 0 && !opts.allow_empty_current {
        return unusable(format!(
            "{}: no data rows (only a header)",
            args.current.display()
        ));
    }
    if !reference
        .column_names()
        .any(|n| current.column(n).is_some())
    {
        return unusable(format!(
            "{} and {} have no column in common",
            args.reference.display(),
            args.current.display()
        ));
    }

    // Described after the checks above, so that an empty or unrelated dataset is reported
    // as such rather than as a text column it lacks.
    text_descriptors.append(
        &mut schema,
        (&mut reference_set.table, &mut current_set.table),
        (&args.reference, &args.current),
    )?;
    let (reference, current) = (&reference_set.table, &current_set.table);

    let presets = requested_presets(args, opts.extra_presets)?;

    let bar = if interactive && presets.contains(&Preset::Drift) {
        let shared = reference
            .column_names()
            .filter(|n| current.column(n).is_some())
            .count() as u64;
        let pb = ProgressBar::new(shared);
        pb.set_style(
            ProgressStyle::with_template("{spinner} computing drift {bar:30} {pos}/{len} columns")
                .expect("valid template"),
        );
        Some(pb)
    } else {
        None
    };
    let tick = || {
        if let Some(pb) = &bar {
            pb.inc(1);
        }
    };
    let meta = Meta {
        reference: args.reference.display().to_string(),
        current: args.current.display().to_string(),
        reference_rows: reference.rows(),
        current_rows: current.rows(),
        version: modelwatch_core::VERSION.to_string(),
        generated_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        seed: settings.seed,
        time_range: None,
    };
    let spec = RunSpec {
        presets: &presets,
        schema: &schema,
        settings: &settings,
        prediction_proba: &args.prediction_proba,
        pos_label: args.pos_label.as_deref(),
        proba_threshold: args.proba_threshold,
        on_model_quality_skipped: None,
    };
    let mut results = run_presets(reference, current, &spec, meta, &tick)
        .map_err(|e| anyhow::anyhow!(e.message(&flag)))?;
    if let Some(drift) = &mut results.drift {
        for (name, problem) in unreadable {
            let entry = EmbeddingDriftResult::unreadable(&name, problem);
            let at = drift.embeddings.partition_point(|e| e.name < name);
            drift.embeddings.insert(at, entry);
        }
    }
    if let Some(pb) = bar {
        pb.finish_and_clear();
    }
    let galleries = match (&results.drift, opts.galleries) {
        (Some(drift), true) => galleries(drift, &reference_set, &current_set),
        _ => Vec::new(),
    };
    Ok(Built { results, galleries })
}

/// What [`build_results`] computed.
pub struct Built {
    /// The results.
    pub results: Results,
    /// Example images of each image column, when [`BuildOptions::galleries`] asked for them.
    pub galleries: Vec<ImageGallery>,
}

/// Writes JSON where `--json` says: `-` for standard output, else a file (atomically).
pub fn write_json(target: Option<&str>, json: &str) -> anyhow::Result<()> {
    match target {
        Some("-") => {
            let mut out = std::io::stdout().lock();
            out.write_all(json.as_bytes())
                .and_then(|_| out.flush())
                .context("cannot write JSON to standard output")
        }
        Some(path) => write_atomically(Path::new(path), json.as_bytes()),
        None => Ok(()),
    }
}

/// Colours and box drawing when the text goes to a terminal: standard output, or standard
/// error when JSON takes standard output.
pub fn terminal_style(json_to_stdout: bool) -> TerminalStyle {
    let tty = if json_to_stdout {
        std::io::stderr().is_terminal()
    } else {
        std::io::stdout().is_terminal()
    };
    if tty {
        TerminalStyle::Rich
    } else {
        TerminalStyle::Plain
    }
}

/// Prints the human-readable text, to standard error when JSON takes standard output.
pub fn print_text(text: &str, json_to_stdout: bool) {
    if json_to_stdout {
        eprint!("{text}");
    } else {
        print!("{text}");
    }
}

/// Runs `report`: the exit code, or the error to print.
pub fn run(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let json_to_stdout = args.json.as_deref() == Some("-");
    let interactive = std::io::stderr().is_terminal() && !args.quiet;
    let Built { results, galleries } = build_results(
        &args.input,
        BuildOptions {
            interactive,
            allow_empty_current: false,
            extra_presets: &[],
            galleries: args.html.is_some(),
        },
    )?;

    write_json(args.json.as_deref(), &to_json(&results))?;
    if let Some(path) = &args.html {
        let options = HtmlOptions {
            galleries: &galleries,
            ..HtmlOptions::default()
        };
        write_atomically(path, render_html_with(&results, &options).as_bytes())?;
    }

    if !args.quiet {
        let text = render_terminal(&results, terminal_style(json_to_stdout));
        print_text(&text, json_to_stdout);
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_spelled_as_flags() {
        assert_eq!(flag(Setting::Target), "--target");
        assert_eq!(flag(Setting::PredictionProba), "--prediction-proba");
        assert_eq!(flag(Setting::ColumnMethods), "--column-method");
        assert_eq!(flag(Setting::ColumnThresholds), "--column-threshold");
        assert_eq!(flag(Setting::Embeddings), "--embedding");
        assert_eq!(flag(Setting::EmbeddingMethods), "--embedding-method");
        assert_eq!(flag(Setting::SamplePixels), "--image-sample-pixels");
        assert_eq!(flag(Setting::Multivariate), "--multivariate");
    }

    #[test]
    fn embedding_flags_take_a_prefix_or_a_list() {
        assert_eq!(
            parse_embedding("emb=emb_").unwrap(),
            ("emb".into(), EmbeddingColumns::Prefix("emb_".into()))
        );
        assert_eq!(
            parse_embedding("e=a,b,").unwrap(),
            (
                "e".into(),
                EmbeddingColumns::Columns(vec!["a".into(), "b".into()])
            )
        );
        assert!(parse_embedding("emb").is_err());
    }

    #[test]
    fn an_unreadable_vector_drops_its_components_and_no_padded_namesake() {
        use modelwatch_core::table::{Column, ColumnData};
        let column = |n: &str| Column::new(n.to_string(), ColumnData::Float(vec![1.0]));
        let table = Table::new(
            ["emb.0", "emb.1", "emb.01", "emb.x", "x"]
                .map(column)
                .to_vec(),
        )
        .unwrap();
        let kept = without_components(&table, "emb.").unwrap().unwrap();
        let names: Vec<&str> = kept.column_names().collect();
        assert_eq!(names, ["emb.01", "emb.x", "x"]);
    }
}
