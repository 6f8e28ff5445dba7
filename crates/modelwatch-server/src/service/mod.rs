//! The service layer: what the HTTP handlers, the scheduler and start-up share, with no
//! knowledge of HTTP. `projects` creates, changes and deletes projects and installs them
//! into the [`AppState`](crate::AppState); `windows` runs presets over a window of events,
//! which `window_table` builds from the store in the shape of the reference;
//! `snapshots` takes a snapshot of a window and makes it the latest. `http/` turns these
//! errors into status codes.

pub mod cloudevents;
pub mod events;
pub mod image_examples;
pub mod projects;
pub mod replicas;
pub mod snapshots;
pub mod window_table;
pub mod windows;
pub mod zip_reference;

/// Why a project operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// No project of that name.
    #[error("project `{0}` does not exist")]
    NoProject(String),
    /// Creating a project whose name is taken.
    #[error("project `{0}` already exists")]
    ProjectExists(String),
    /// The settings or the reference data were refused.
    #[error("{0}")]
    Invalid(#[from] crate::project::ProjectError),
    /// A reference wider than a project may be.
    #[error(
        "the reference has {columns} columns; a project has at most {limit} \
         (limits.columns_per_project)"
    )]
    TooWide {
        /// The reference's columns (at least this many, when refused before reading it).
        columns: usize,
        /// The most columns a project may have.
        limit: usize,
    },
    /// A reference of more cells than a project may hold.
    #[error(
        "the reference holds {cells} cells ({rows} rows; each element of a list or array \
         column counts as one), more than the {limit} a project's reference may hold \
         (limits.reference_cells)"
    )]
    TooManyCells {
        /// Its rows (for JSON Lines: non-blank lines).
        rows: usize,
        /// Its cells: rows times columns, a list or array column counted as many columns as
        /// its longest value has elements (for Parquet: the values its footer declares).
        cells: usize,
        /// The most cells a reference may hold.
        limit: usize,
    },
    /// A zip reference that would cost more than the limits allow (entries, sizes).
    #[error("reference: {0}")]
    ZipRefused(String),
    /// A zip reference that cannot be read, or holds no image.
    #[error("reference: {0}")]
    BadReference(String),
    /// The store failed.
    #[error("{0}")]
    Store(#[from] crate::store::StoreError),
    /// Anything else that is not the caller's fault.
    #[error("{0}")]
    Internal(String),
}
