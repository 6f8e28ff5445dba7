//! modelwatch-server: the monitoring service. Ingests prediction events into a store,
//! runs the presets over time windows on a schedule, keeps snapshots, and exposes it all
//! through a JSON API and Prometheus `/metrics`.

#![warn(missing_docs)]

pub mod alerts;
pub mod catalogue;
pub mod config;
pub mod dashboard;
pub mod http;
pub mod ingest;
pub mod leadership;
pub mod metrics;
pub mod project;
pub mod proxy;
pub mod scheduler;
pub mod service;
pub mod snapshot;
pub mod store;
pub mod writer;

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use config::ServerConfig;
use metrics::Recorder;
use project::Project;
use store::{SnapshotMeta, SnapshotMetric, Store};
use writer::IngestWriter;

/// Microseconds since the Unix epoch, now.
pub fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

/// Hands freed heap pages back to the system after a large window report: glibc keeps
/// them otherwise, and a service that once read a big window would hold that memory for
/// good.
pub fn release_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks glibc's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The latest snapshot of a project, as `/metrics` shows it.
#[derive(Debug, Clone)]
pub struct LatestSnapshot {
    /// The snapshot's id, time taken, window bounds and row count.
    pub meta: SnapshotMeta,
    /// Its flat metrics, the values of the catalogue's snapshot gauges.
    pub metrics: Vec<SnapshotMetric>,
}

/// Everything the handlers and the scheduler share.
pub struct AppState {
    /// Where projects, events and snapshots persist.
    pub store: Arc<dyn Store>,
    /// The live projects by name, with their parsed reference tables; read through
    /// [`AppState::projects`] and changed only through the service layer.
    pub(crate) projects: RwLock<HashMap<String, Arc<Project>>>,
    /// Each project's latest snapshot by project name, kept in memory so that `/metrics`
    /// and the alert evaluator do not read the store.
    pub(crate) latest: RwLock<HashMap<String, LatestSnapshot>>,
    /// Example images of each project's latest snapshot, by project name (the dashboard
    /// shows their thumbnails); empty until a snapshot is taken after start.
    pub(crate) image_examples:
        RwLock<HashMap<String, Vec<service::image_examples::WindowExamples>>>,
    /// Held by every change of a project (create, new settings, new reference, delete) from
    /// reading what it keeps of the old one to installing the new, so that two changes never
    /// interleave: one cannot revert the other's reference, leave thumbnails on another
    /// reference, or bring back a deleted project. Changes are rare; one at a time is cheap.
    saving: std::sync::Mutex<()>,
    /// The request, ingestion and run counters that `/metrics` reports.
    pub recorder: Recorder,
    /// The single thread that commits ingested events in batches.
    pub writer: IngestWriter,
    /// Alert rules, their state, silences and notification delivery.
    pub alerts: alerts::Alerts,
    /// The request-body bytes all requests may hold at once.
    pub(crate) bodies: http::extract::BodyBudget,
    /// Projects that got events or were saved, for the scheduler's first snapshot of each.
    pub(crate) changes: scheduler::ProjectChanges,
    /// The payload loggers' request/response join (`POST /api/v1/cloudevents`).
    pub cloudevents: service::cloudevents::CloudEventsIngest,
    /// Whether this process leads the replicas sharing its store (runs the scheduler and
    /// the alert evaluation); a store of one process leads from the start.
    pub leader: leadership::LeaderFlag,
    /// The configuration the service started with.
    pub config: ServerConfig,
}

/// A failure to start: [`AppState::open`] could not restore the service's state.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The store (or the alerts' tables) could not be opened or read.
    #[error("{0}")]
    Store(#[from] store::StoreError),
    /// A stored or configured project could not be set up: its settings are invalid, or
    /// its reference file cannot be read or parsed.
    #[error("project `{name}`: {message}")]
    Project {
        /// The project's name.
        name: String,
        /// What is wrong, as one line.
        message: String,
    },
}

impl AppState {
    /// Opens the state over `store`: loads stored projects, then applies the projects of
    /// the config file (which win over stored settings of the same name).
    pub fn open(store: Arc<dyn Store>, config: ServerConfig) -> Result<Arc<Self>, StartError> {
        let writer = IngestWriter::start(store.clone());
        let alerting = alerts::Alerts::open(store.alerts(), &config)?;
        let body_wait = config
            .connection_limits()
            .map_or(std::time::Duration::from_secs(60), |l| l.body_read_timeout);
        let bodies = http::extract::BodyBudget::new(
            config.limits.bodies_in_flight_bytes,
            config.max_body_bytes,
            body_wait,
        );
        let shared = store.shared();
        let state = Arc::new(Self {
            store,
            projects: RwLock::new(HashMap::new()),
            latest: RwLock::new(HashMap::new()),
            image_examples: RwLock::new(HashMap::new()),
            saving: std::sync::Mutex::new(()),
            recorder: Recorder::default(),
            writer,
            alerts: alerting,
            bodies,
            changes: scheduler::ProjectChanges::default(),
            cloudevents: service::cloudevents::CloudEventsIngest::new(&config.cloudevents),
            leader: leadership::LeaderFlag::new(!shared, now_us()),
            config,
        });
        for record in state.store.list_projects()? {
            let name = record.name.clone();
            service::projects::restore(&state, record).map_err(|e| StartError::Project {
                name,
                message: e.to_string(),
            })?;
        }
        for configured in state.config.projects.clone() {
            let reference =
                match &configured.reference {
                    Some(path) => {
                        let bytes = std::fs::read(path).map_err(|e| StartError::Project {
                            name: configured.name.clone(),
                            message: format!("{}: {e}", path.display()),
                        })?;
                        // A zip of images is described at each start, like any reference
                        // the config names.
                        let zip = path
                            .extension()
                            .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
                        if zip {
                            service::projects::save_with_zip(
                                &state,
                                configured.name.clone(),
                                configured.config,
                                &bytes,
                            )
                            .map_err(|e| StartError::Project {
                                name: configured.name.clone(),
                                message: format!("{}: {e}", path.display()),
                            })?;
                            continue;
                        }
                        let format = modelwatch_io::Format::from_path(path).ok_or_else(|| {
                            StartError::Project {
                                name: configured.name.clone(),
                                message: format!(
                                    "{}: unknown format (use .csv, .parquet, .jsonl or .zip)",
                                    path.display()
                                ),
                            }
                        })?;
                        Some((bytes, format))
                    }
                    None => service::projects::stored_reference(&state, &configured.name).map_err(
                        |e| StartError::Project {
                            name: configured.name.clone(),
                            message: e.to_string(),
                        },
                    )?,
                };
            // A reference file named in the config is held to the limits; a stored one is not.
            let new_reference = configured.reference.is_some();
            service::projects::save(
                &state,
                configured.name.clone(),
                configured.config,
                reference,
                new_reference,
            )
            .map_err(|e| StartError::Project {
                name: configured.name.clone(),
                message: e.to_string(),
            })?;
        }
        let names: Vec<String> = state.projects().keys().cloned().collect();
        for name in names {
            if let Some((meta, metrics)) = state.store.latest_snapshot(&name)? {
                state.set_latest(&name, LatestSnapshot { meta, metrics });
            }
        }
        Ok(state)
    }

    /// The projects by name (read lock).
    pub fn projects(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Arc<Project>>> {
        self.projects.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The project named `name`, if it exists.
    pub fn project(&self, name: &str) -> Option<Arc<Project>> {
        self.projects().get(name).cloned()
    }

    /// Puts `project` in the live map, replacing a project of the same name. It does not
    /// persist it: [`service::projects`] saves first, then installs.
    pub(crate) fn install(&self, project: Project) {
        self.projects
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(project.name.clone(), Arc::new(project));
    }

    /// The lock every change of a project holds from start to end (see the field).
    pub(crate) fn saving(&self) -> std::sync::MutexGuard<'_, ()> {
        self.saving.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `store` (which persists `project`) and, when it succeeds, installs `project`;
    /// the caller holds [`AppState::saving`]. With `forget_examples` (the reference or the
    /// thumbnails changed) the example images of the project's latest snapshot are
    /// forgotten: they name rows of the reference they were chosen from.
    pub(crate) fn store_and_install(
        &self,
        project: Project,
        store: impl FnOnce() -> Result<(), store::StoreError>,
        forget_examples: bool,
    ) -> Result<(), store::StoreError> {
        store()?;
        let name = project.name.clone();
        let mut projects = self.projects.write().unwrap_or_else(|p| p.into_inner());
        projects.insert(name.clone(), Arc::new(project));
        if forget_examples {
            self.image_examples
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&name);
        }
        drop(projects);
        self.changes.changed(&name);
        Ok(())
    }

    /// Forgets the project `name` in memory: its settings, its latest snapshot and its
    /// counters on `/metrics`. Its stored rows are the service layer's to delete.
    pub(crate) fn remove(&self, name: &str) {
        self.projects
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name);
        self.latest
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name);
        self.image_examples
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name);
        self.recorder.forget_project(name);
    }

    /// Records `latest` as the project's newest snapshot, the one `/metrics` shows.
    pub(crate) fn set_latest(&self, name: &str, latest: LatestSnapshot) {
        self.latest
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.to_string(), latest);
    }

    /// Keeps the example images of a project's newest snapshot, taken of `project`; they
    /// are dropped when the project was saved again meanwhile (its reference may have
    /// changed under the snapshot, and the examples name rows of the old one).
    pub(crate) fn set_image_examples(
        &self,
        project: &Project,
        examples: Vec<service::image_examples::WindowExamples>,
    ) {
        // The projects' lock is held while the examples are written, as
        // `store_and_install` holds it while it forgets them: a save cannot slip between.
        let projects = self.projects();
        let current = projects
            .get(&project.name)
            .is_some_and(|p| p.updated_us == project.updated_us);
        if !current {
            return;
        }
        self.image_examples
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(project.name.clone(), examples);
    }

    /// The example images of a project's newest snapshot (none before one is taken).
    pub fn image_examples(&self, name: &str) -> Vec<service::image_examples::WindowExamples> {
        self.image_examples
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned()
            .unwrap_or_default()
    }

    /// Every project's latest snapshot by project name (read lock).
    pub fn latest(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, LatestSnapshot>> {
        self.latest.read().unwrap_or_else(|p| p.into_inner())
    }
}

/// Runs the service on `listener` until `shutdown` resolves; then stops accepting,
/// finishes in-flight requests (dropping those still running after `shutdown_timeout`)
/// and snapshot runs, commits queued events and returns. Connections are bounded by the
/// `[connections]` settings (see [`http::connections`]).
pub async fn serve(
    state: Arc<AppState>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let alerting = tokio::spawn(alerts::run(state.clone(), stop_rx.clone()));
    let joining = tokio::spawn(service::cloudevents::run(state.clone(), stop_rx.clone()));
    let leading = tokio::spawn(leadership::run(state.clone(), stop_rx.clone()));
    let scheduler = tokio::spawn(scheduler::run(state.clone(), stop_rx));
    let app = http::router(state.clone());
    let limits = state
        .config
        .connection_limits()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let limits = http::connections::ConnectionLimits {
        max_connections: within_open_file_limit(limits.max_connections),
        ..limits
    };
    // Proxies of the config stop (and send what they queued) before the server does.
    let proxies = proxy::start_in_process(&state).await?;
    let shutdown = async move {
        shutdown.await;
        proxy::stop_all(proxies).await;
    };
    http::connections::serve_connections(listener, app, limits, shutdown).await;
    let _ = stop_tx.send(true);
    let _ = scheduler.await;
    let _ = alerting.await;
    let _ = leading.await;
    // The next replica takes over now rather than when this process's session ends.
    let resigning = state.clone();
    let _ = tokio::task::spawn_blocking(move || resigning.store.resign()).await;
    // Halves still waiting for their partner are stored alone before the writer stops.
    let _ = joining.await;
    let writer_state = state.clone();
    let _ = tokio::task::spawn_blocking(move || writer_state.writer.stop()).await;
    tracing::info!("stopped; all acknowledged events are stored");
    Ok(())
}

/// Descriptors kept free of connections for the store, its journal and outgoing
/// notifications, so that a full house of clients never makes the store fail to open one.
const RESERVED_FILES: u64 = 64;

/// Lowers `max_connections` to what the process's open-file limit allows: past it, accept
/// fails with "Too many open files" and the connections already open starve.
fn within_open_file_limit(max_connections: usize) -> usize {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes into the struct we own.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0
            && limit.rlim_cur != libc::RLIM_INFINITY
        {
            let room = limit.rlim_cur.saturating_sub(RESERVED_FILES).max(1);
            if (max_connections as u64) > room {
                tracing::warn!(
                    "max_connections lowered from {max_connections} to {room}: the open-file \
                     limit is {}",
                    limit.rlim_cur
                );
                return room as usize;
            }
        }
    }
    max_connections
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown requested: finishing in-flight work");
}
