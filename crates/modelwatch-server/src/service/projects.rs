//! Creating, changing and deleting projects: each change is stored first, then the built
//! [`Project`] is installed into the [`AppState`], so a restart finds what the API answered.

use std::sync::Arc;

use modelwatch_io::Format;

use super::ServiceError;
use crate::config::Limits;
use crate::project::{Project, ProjectConfig, ReferenceRules};
use crate::store::{ProjectRecord, ThumbnailChange};
use crate::{now_us, AppState};

/// The input format a stored or uploaded reference has, by name.
pub fn format_named(name: &str) -> Format {
    Format::from_name(name).unwrap_or(Format::Csv)
}

/// The name a reference's format is stored under (the inverse of [`format_named`]).
pub fn format_name(f: Format) -> &'static str {
    match f {
        Format::Csv => "csv",
        Format::Parquet => "parquet",
        Format::JsonLines => "jsonl",
    }
}

/// Builds, stores and installs a project (created or replaced). A `new_reference` is held
/// to the size limits; a stored one kept with new settings is not (the limits may have
/// been lowered since it was taken). A new reference replaces the reference thumbnails
/// (by none: only a zip reference has any, see [`save_with_zip`]).
pub fn save(
    state: &AppState,
    name: String,
    config: ProjectConfig,
    reference: Option<(Vec<u8>, Format)>,
    new_reference: bool,
) -> Result<Arc<Project>, ServiceError> {
    let _saving = state.saving();
    save_locked(state, name, config, reference, new_reference)
}

/// [`save`] by a caller that holds [`AppState::saving`].
fn save_locked(
    state: &AppState,
    name: String,
    config: ProjectConfig,
    reference: Option<(Vec<u8>, Format)>,
    new_reference: bool,
) -> Result<Arc<Project>, ServiceError> {
    let thumbnails = new_reference.then(Vec::new);
    save_with_thumbnails(state, name, config, reference, thumbnails)
}

/// [`save`], with the reference thumbnails of a new reference (`Some`; `None` keeps the
/// stored reference and its thumbnails); the caller holds [`AppState::saving`].
fn save_with_thumbnails(
    state: &AppState,
    name: String,
    config: ProjectConfig,
    reference: Option<(Vec<u8>, Format)>,
    new_reference_thumbnails: Option<Vec<(String, usize, Vec<u8>)>>,
) -> Result<Arc<Project>, ServiceError> {
    let new_reference = new_reference_thumbnails.is_some();
    let limits = &state.config.limits;
    if new_reference {
        if let Some((bytes, format)) = &reference {
            check_size(bytes, *format, limits)?;
        }
    }
    let now = now_us();
    let created = state.project(&name).map_or(now, |p| p.created_us);
    let rules = if new_reference {
        ReferenceRules::Upload(limits)
    } else {
        ReferenceRules::Stored
    };
    let project = Project::new(
        name.clone(),
        config.clone(),
        reference.as_ref().map(|(b, f)| (b.as_slice(), *f)),
        rules,
        created,
        now,
    )?;
    project.check_embeddings()?;
    if new_reference && project.schema.len() > limits.columns_per_project {
        return Err(ServiceError::TooWide {
            columns: project.schema.len(),
            limit: limits.columns_per_project,
        });
    }
    let record = ProjectRecord {
        name: name.clone(),
        config_json: serde_json::to_string(&config)
            .map_err(|e| ServiceError::Internal(e.to_string()))?,
        reference: reference.map(|(b, f)| (b, format_name(f).to_string())),
        created_us: created,
        updated_us: now,
    };
    // Thumbnails show rows of the reference they were taken from, so they are written in
    // the project's own transaction; turning `thumbnails` off deletes the ones kept (once:
    // the delete looks at every event of the project, so it is not repeated on every save
    // of a project whose thumbnails were already off).
    let thumbnails_were_on = state.project(&name).is_none_or(|p| p.config.thumbnails);
    let change = match new_reference_thumbnails {
        _ if !config.thumbnails && thumbnails_were_on => ThumbnailChange::DeleteAll,
        Some(list) => ThumbnailChange::ReplaceReference(list),
        None => ThumbnailChange::Keep,
    };
    // The examples of the latest snapshot point at rows of the reference they were chosen
    // from, and at thumbnails that may now be gone.
    let forget_examples = change != ThumbnailChange::Keep;
    state.store_and_install(
        project,
        || state.store.put_project(&record, &change),
        forget_examples,
    )?;
    state
        .project(&name)
        .ok_or_else(|| ServiceError::Internal("project vanished after saving".into()))
}

/// Refuses a new reference wider than `limits.columns_per_project` or of more cells than
/// `limits.reference_cells`, measured before it is read (CSV by a scan of its records,
/// JSON Lines by its lines and the width of each key, Parquet by its footer): reading is
/// what costs memory, and a table a million columns wide or a Parquet file of run-length
/// encoded billions costs far more than its bytes. Each element of a Parquet list or a
/// JSON array counts as a cell, since the reader makes every component of a vector a
/// column of its own.
fn check_size(bytes: &[u8], format: Format, limits: &Limits) -> Result<(), ServiceError> {
    let (rows, columns, cells) = match format {
        Format::Csv => {
            let (rows, columns) = crate::ingest::csv_size(bytes);
            (rows, columns, rows.saturating_mul(columns))
        }
        Format::JsonLines => {
            let (rows, columns) =
                modelwatch_io::jsonl_read_shape(bytes, limits.columns_per_project);
            let rows = usize::try_from(rows).unwrap_or(usize::MAX);
            let columns = usize::try_from(columns).unwrap_or(usize::MAX);
            (rows, columns, rows.saturating_mul(columns))
        }
        // A file whose footer cannot be read is the reader's to refuse, with its message.
        // Its columns are at least the values of an average row (a list column of equal
        // lengths is exactly as many columns as its elements).
        Format::Parquet => {
            modelwatch_io::parquet_shape(bytes, "reference").map_or((0, 0, 0), |shape| {
                let rows = usize::try_from(shape.rows).unwrap_or(usize::MAX);
                let values = usize::try_from(shape.values).unwrap_or(usize::MAX);
                let columns = shape.columns.max(values / rows.max(1));
                (
                    rows,
                    columns,
                    values.max(rows.saturating_mul(shape.columns)),
                )
            })
        }
    };
    if columns > limits.columns_per_project {
        return Err(ServiceError::TooWide {
            columns,
            limit: limits.columns_per_project,
        });
    }
    if cells > limits.reference_cells {
        return Err(ServiceError::TooManyCells {
            rows,
            cells,
            limit: limits.reference_cells,
        });
    }
    Ok(())
}

/// Creates a project; refused when the name is taken.
pub fn create(
    state: &AppState,
    name: String,
    config: ProjectConfig,
    reference: Option<(Vec<u8>, Format)>,
) -> Result<Arc<Project>, ServiceError> {
    let _saving = state.saving();
    if state.project(&name).is_some() {
        return Err(ServiceError::ProjectExists(name));
    }
    save_locked(state, name, config, reference, true)
}

/// The stored reference of a project, if it has one.
pub fn stored_reference(
    state: &AppState,
    name: &str,
) -> Result<Option<(Vec<u8>, Format)>, ServiceError> {
    Ok(state
        .store
        .get_project(name)?
        .and_then(|r| r.reference)
        .map(|(b, f)| (b, format_named(&f))))
}

/// Replaces a project's settings, keeping its stored reference; creates the project when
/// it does not exist.
pub fn update(
    state: &AppState,
    name: String,
    config: ProjectConfig,
) -> Result<Arc<Project>, ServiceError> {
    let _saving = state.saving();
    let reference = stored_reference(state, &name)?;
    save_locked(state, name, config, reference, false)
}

/// Replaces a project's reference data, keeping its settings.
pub fn replace_reference(
    state: &AppState,
    name: String,
    reference: Vec<u8>,
    format: Format,
) -> Result<Arc<Project>, ServiceError> {
    let _saving = state.saving();
    let existing = state
        .project(&name)
        .ok_or_else(|| ServiceError::NoProject(name.clone()))?;
    let config = existing.config.clone();
    save_locked(state, name, config, Some((reference, format)), true)
}

/// What reading a zip reference found, for the answer to its upload.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ZipSummary {
    /// The image column the images were described as.
    pub column: String,
    /// Image entries read (rows of the reference).
    pub images: usize,
    /// Entries without an image extension, skipped.
    pub skipped: usize,
    /// Images that could not be described (missing values), by reason.
    pub failures: std::collections::BTreeMap<&'static str, usize>,
    /// Thumbnails kept of the first images.
    pub thumbnails: usize,
}

/// Creates a project with `config` whose reference is a zip of images (see
/// [`save_with_zip`]); refused when the name is taken.
pub fn create_with_zip(
    state: &AppState,
    name: String,
    config: ProjectConfig,
    bytes: &[u8],
) -> Result<(Arc<Project>, ZipSummary), ServiceError> {
    let _saving = state.saving();
    if state.project(&name).is_some() {
        return Err(ServiceError::ProjectExists(name));
    }
    save_with_zip_locked(state, name, config, bytes)
}

/// Replaces a project's reference by a zip of images, keeping its settings (see
/// [`save_with_zip`]).
pub fn replace_zip_reference(
    state: &AppState,
    name: String,
    bytes: &[u8],
) -> Result<(Arc<Project>, ZipSummary), ServiceError> {
    let _saving = state.saving();
    let config = state
        .project(&name)
        .ok_or_else(|| ServiceError::NoProject(name.clone()))?
        .config
        .clone();
    save_with_zip_locked(state, name, config, bytes)
}

/// Builds, stores and installs a project with `config` whose reference is a zip of images:
/// the images become a table of descriptors of the project's first image column (`image`,
/// added to `columns.images`, when it names none), stored as JSON Lines, with the
/// thumbnails of the first images.
pub fn save_with_zip(
    state: &AppState,
    name: String,
    config: ProjectConfig,
    bytes: &[u8],
) -> Result<(Arc<Project>, ZipSummary), ServiceError> {
    let _saving = state.saving();
    save_with_zip_locked(state, name, config, bytes)
}

/// [`save_with_zip`] by a caller that holds [`AppState::saving`].
fn save_with_zip_locked(
    state: &AppState,
    name: String,
    mut config: ProjectConfig,
    bytes: &[u8],
) -> Result<(Arc<Project>, ZipSummary), ServiceError> {
    if config.columns.images.is_empty() {
        config.columns.images.push("image".to_string());
    }
    let column = config.columns.images[0].clone();
    let zip = super::zip_reference::read_zip_reference(
        bytes,
        &column,
        &state.config.limits,
        config.thumbnails,
    )?;
    let thumbnails = zip.thumbnails.len();
    let project = save_with_thumbnails(
        state,
        name,
        config,
        Some((zip.jsonl, Format::JsonLines)),
        Some(zip.thumbnails),
    )?;
    Ok((
        project,
        ZipSummary {
            column,
            images: zip.rows,
            skipped: zip.skipped,
            failures: zip.failures,
            thumbnails,
        },
    ))
}

/// Deletes a project with its events and snapshots, and forgets it.
pub fn delete(state: &AppState, name: &str) -> Result<(), ServiceError> {
    let _saving = state.saving();
    if state.project(name).is_none() {
        return Err(ServiceError::NoProject(name.to_string()));
    }
    state.store.delete_project(name)?;
    state.remove(name);
    Ok(())
}

/// Builds a project from its stored record and installs it (at start-up).
pub fn restore(state: &AppState, record: ProjectRecord) -> Result<(), ServiceError> {
    let config: ProjectConfig = serde_json::from_str(&record.config_json)
        .map_err(|e| ServiceError::Internal(format!("stored settings are unreadable: {e}")))?;
    let reference = record
        .reference
        .as_ref()
        .map(|(b, f)| (b.as_slice(), format_named(f)));
    let project = Project::new(
        record.name,
        config,
        reference,
        ReferenceRules::Stored,
        record.created_us,
        record.updated_us,
    )?;
    state.install(project);
    Ok(())
}
