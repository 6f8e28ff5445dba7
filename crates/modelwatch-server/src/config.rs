//! The server's TOML configuration (`--config`, or `modelwatch.toml` when present).
//!
//! ```toml
//! listen = "127.0.0.1:8080"
//! db = "modelwatch.db"         # or "postgres://user@host/db" (docs/postgres.md)
//! max_body_bytes = 16777216
//! metrics_auth = false          # true: /metrics needs a read token
//! durability = "normal"         # or "full": fsync every commit
//! base_path = ""                # e.g. "/modelwatch" behind a reverse proxy
//! shutdown_timeout = "30s"      # then requests still in progress are dropped
//!
//! [connections]
//! header_read_timeout = "10s"   # also the keep-alive idle timeout
//! body_read_timeout = "60s"
//! max_connections = 1024
//!
//! [limits]
//! rows_per_request = 100000     # a larger ingest or labels request is answered 413
//! columns_per_project = 10000   # a wider reference or event is refused
//! reference_cells = 20000000    # rows x columns of a reference; a larger one is refused
//! bodies_in_flight_bytes = 67108864  # request bodies held at once, all requests together
//! image_bytes = 10485760        # one image of an event; a larger one rejects its row
//! image_pixels = 100000000      # width x height an image may declare (decompression bombs)
//! reference_zip_bytes = 1073741824  # the images of a zip reference, inflated, together
//!
//! [retention]
//! events = "30d"
//! snapshots = "90d"
//!
//! [[tokens]]
//! token = "change-me"
//! scopes = ["read", "write"]
//!
//! [[proxies]]                   # a sidecar proxy in this process (docs/proxy.md)
//! listen = "0.0.0.0:8000"
//! upstream = "http://127.0.0.1:9000"
//! project = "iris"
//!
//! [[projects]]
//! name = "iris"
//! reference = "examples/iris/reference.csv"
//! presets = ["drift", "summary"]
//! [projects.columns]
//! prediction = "prediction"
//! [projects.schedule]
//! interval = "5m"
//! window = "1h"
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::project::{parse_duration, ProjectConfig, ProjectError};
use crate::store::sqlite::Durability;

/// What a token may do (`"read"` or `"write"` in the file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// `GET` and `HEAD` requests: the API's reads, the dashboard, and `/metrics` when
    /// `metrics_auth` is on.
    Read,
    /// Every other method: ingestion, labels, project changes, snapshots taken on demand,
    /// rules and silences.
    Write,
}

/// An API token.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Token {
    /// The secret a client sends as `Authorization: Bearer ...` or through the dashboard's
    /// login; at least 8 characters.
    pub token: String,
    /// What the token grants: `read`, `write` or both (`write` does not imply `read`).
    pub scopes: Vec<Scope>,
}

/// How long data is kept (`[retention]`); the scheduler prunes older rows every ten minutes.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Retention {
    /// How long an event is kept after its event time, as a duration (`"30d"`).
    pub events: String,
    /// How long a snapshot, and an alert's transition history, is kept (`"90d"`).
    pub snapshots: String,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            events: "30d".into(),
            snapshots: "90d".into(),
        }
    }
}

/// How client connections are bounded (`[connections]`, see docs/server.md).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConnectionSettings {
    /// How long a connection may take to send a whole request head, counted from its
    /// start or from the end of the previous answer: also the keep-alive idle timeout
    /// (`"10s"`).
    pub header_read_timeout: String,
    /// How long a request's whole body may take to arrive once its head is in (`"60s"`).
    pub body_read_timeout: String,
    /// How many connections are served at once (1024); more wait in the listen backlog.
    pub max_connections: usize,
}

impl Default for ConnectionSettings {
    fn default() -> Self {
        Self {
            header_read_timeout: "10s".into(),
            body_read_timeout: "60s".into(),
            max_connections: 1024,
        }
    }
}

/// How much one request, one project and all requests together may hold (`[limits]`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// The most rows (events or labels) in one request (100,000); a larger request is
    /// answered 413 and nothing of it is stored.
    pub rows_per_request: usize,
    /// The most columns of a project's reference (10,000), and of keys in one event.
    pub columns_per_project: usize,
    /// The most cells (rows times columns) of a project's reference (20 million): a
    /// reference is held in memory whole, and a few megabytes of Parquet or sparse JSON
    /// Lines can stand for far more cells than bytes.
    pub reference_cells: usize,
    /// The most request-body bytes held by all requests at once (64 MiB, at least
    /// `max_body_bytes`): a request whose body would pass it waits for others to finish,
    /// and is answered 503 if that takes longer than the body read timeout.
    pub bodies_in_flight_bytes: usize,
    /// The largest image of an event, in bytes once decoded from base64 or read from a
    /// multipart file part (10 MiB); a larger one makes its row rejected.
    pub image_bytes: usize,
    /// The most pixels (width times height) an image may declare (100 million); a larger
    /// one is refused from its header before any pixel is decoded (a decompression bomb),
    /// and counted as a failed image of its column.
    pub image_pixels: u64,
    /// The most bytes the images of a zip reference may inflate to, together (1 GiB); a
    /// zip declaring more is refused before anything is inflated.
    pub reference_zip_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            rows_per_request: 100_000,
            columns_per_project: 10_000,
            reference_cells: 20_000_000,
            bodies_in_flight_bytes: 64 * 1024 * 1024,
            image_bytes: 10 * 1024 * 1024,
            image_pixels: modelwatch_core::descriptors::image::DEFAULT_MAX_PIXELS,
            reference_zip_bytes: 1 << 30,
        }
    }
}

impl Limits {
    /// The most keys one event may have: a project's widest row and the reserved keys,
    /// counted as sent and again once its vectors are spread into components.
    pub fn max_event_keys(&self) -> usize {
        self.columns_per_project
            .saturating_add(crate::ingest::RESERVED_KEYS.len())
    }
}

/// A project declared in the config file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfiguredProject {
    /// The project's name; a project of this name in the store takes these settings.
    pub name: String,
    /// A reference file (CSV, Parquet or JSON Lines by extension, or a `.zip` of images),
    /// relative to the config.
    pub reference: Option<PathBuf>,
    /// The project's settings, written at the same level as `name`.
    #[serde(flatten)]
    pub config: ProjectConfig,
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// The address and port to serve on (`127.0.0.1:8080`).
    pub listen: SocketAddr,
    /// The SQLite database file (`modelwatch.db`), created when missing; or a PostgreSQL
    /// connection string (`postgres://user@host/db`, see
    /// [`crate::store::postgres::is_postgres_url`]), whose database must exist.
    pub db: PathBuf,
    /// The largest request body accepted, in bytes (16 MiB); a larger one is answered 413.
    pub max_body_bytes: usize,
    /// Whether `/metrics` needs a read token like the rest of the API (off: it is open).
    pub metrics_auth: bool,
    /// Whether a commit must also survive a power cut (`"full"`) or only a crash of the
    /// process (`"normal"`).
    pub durability: Durability,
    /// How long events and snapshots are kept.
    pub retention: Retention,
    /// The API tokens; with none, every request is allowed.
    pub tokens: Vec<Token>,
    /// Projects declared in the file; at start their settings replace those of a stored
    /// project of the same name (whose stored reference is kept when the file names none).
    pub projects: Vec<ConfiguredProject>,
    /// A path prefix the whole service is served under (`/modelwatch`), for a reverse
    /// proxy that forwards a sub-path; empty serves at the root.
    pub base_path: String,
    /// Alert rules, receivers and SLOs (`[alerts]`, see docs/alerts.md).
    pub alerts: crate::alerts::AlertsConfig,
    /// How long shutdown waits for requests in progress before dropping them (`"30s"`);
    /// queued events are committed whatever it is.
    pub shutdown_timeout: String,
    /// Timeouts and the limit on client connections.
    pub connections: ConnectionSettings,
    /// Rows per request, columns per project and body bytes held at once.
    pub limits: Limits,
    /// The payload loggers' join and project routes (`[cloudevents]`, see
    /// docs/cloudevents.md).
    pub cloudevents: crate::ingest::cloudevents::CloudEventsConfig,
    /// Sidecar proxies run in this process (`[[proxies]]`, see docs/proxy.md); their events
    /// go to this server.
    pub proxies: Vec<crate::proxy::config::ProxyConfig>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            db: PathBuf::from("modelwatch.db"),
            max_body_bytes: 16 * 1024 * 1024,
            metrics_auth: false,
            durability: Durability::Normal,
            retention: Retention::default(),
            tokens: Vec::new(),
            projects: Vec::new(),
            base_path: String::new(),
            alerts: Default::default(),
            shutdown_timeout: "30s".into(),
            connections: ConnectionSettings::default(),
            limits: Limits::default(),
            cloudevents: Default::default(),
            proxies: Vec::new(),
        }
    }
}

/// A configuration problem, with the file and line when known.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read (missing, unreadable, not UTF-8).
    #[error("{path}: cannot read: {message}")]
    Read {
        /// The config file's path as given.
        path: String,
        /// The system's reason.
        message: String,
    },
    /// The file is not valid TOML, or a key is unknown or has the wrong type.
    #[error("{path}: line {line}: {message}")]
    Syntax {
        /// The config file's path as given.
        path: String,
        /// The 1-based line of the problem (0 when the parser gives no position).
        line: usize,
        /// The parser's message, on one line.
        message: String,
    },
    /// The file parses but a value is not acceptable (see [`ServerConfig::validate`]).
    #[error("{path}: {message}")]
    Invalid {
        /// The config file's path as given.
        path: String,
        /// Which setting is wrong and why.
        message: String,
    },
}

impl ServerConfig {
    /// Whether `given` is a configured token with `scope` (compared in constant time).
    pub fn grants(&self, given: &str, scope: Scope) -> bool {
        use subtle::ConstantTimeEq;
        self.tokens.iter().any(|t| {
            bool::from(t.token.as_bytes().ct_eq(given.as_bytes())) && t.scopes.contains(&scope)
        })
    }

    /// Loads a config file; relative reference paths are resolved against its folder.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        let mut config: ServerConfig = toml::from_str(&text).map_err(|e| {
            let line = e
                .span()
                .map_or(0, |s| text[..s.start].matches('\n').count() + 1);
            ConfigError::Syntax {
                path: shown.clone(),
                line,
                message: e.message().replace('\n', " "),
            }
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        for p in &mut config.projects {
            if let Some(r) = &mut p.reference {
                if r.is_relative() {
                    *r = base.join(&*r);
                }
            }
        }
        config.validate().map_err(|message| ConfigError::Invalid {
            path: shown,
            message,
        })?;
        Ok(config)
    }

    /// Adds tokens from the environment: `MODELWATCH_TOKEN` (read and write) and
    /// `MODELWATCH_READ_TOKEN` (read only).
    pub fn add_env_tokens(&mut self) {
        if let Ok(t) = std::env::var("MODELWATCH_TOKEN") {
            if !t.is_empty() {
                self.tokens.push(Token {
                    token: t,
                    scopes: vec![Scope::Read, Scope::Write],
                });
            }
        }
        if let Ok(t) = std::env::var("MODELWATCH_READ_TOKEN") {
            if !t.is_empty() {
                self.tokens.push(Token {
                    token: t,
                    scopes: vec![Scope::Read],
                });
            }
        }
    }

    /// Checks what can be checked before starting: durations, `base_path`, the alerts
    /// section, token lengths, and each project's name and settings (not its reference
    /// file, which is read at start). The error names the setting.
    pub fn validate(&self) -> Result<(), String> {
        parse_duration("retention.events", &self.retention.events).map_err(|e| e.to_string())?;
        parse_duration("retention.snapshots", &self.retention.snapshots)
            .map_err(|e| e.to_string())?;
        crate::dashboard::check_base_path(&self.base_path)?;
        self.alerts.validate()?;
        self.cloudevents.validate()?;
        if self.max_body_bytes == 0 {
            return Err("max_body_bytes must be positive".into());
        }
        self.connection_limits()?;
        for (i, p) in self.proxies.iter().enumerate() {
            if p.server.is_some() {
                return Err(format!(
                    "proxies[{i}].server: a proxy of the serve config sends to this server; \
                     leave `server` out"
                ));
            }
            if p.project.is_empty() {
                return Err(format!("proxies[{i}].project is required"));
            }
            p.check().map_err(|e| format!("proxies[{i}].{e}"))?;
        }
        let l = &self.limits;
        if l.rows_per_request == 0
            || l.columns_per_project == 0
            || l.reference_cells == 0
            || l.image_bytes == 0
            || l.image_pixels == 0
        {
            return Err("limits.rows_per_request, limits.columns_per_project, \
                        limits.reference_cells, limits.image_bytes and limits.image_pixels \
                        must be positive"
                .into());
        }
        if l.bodies_in_flight_bytes < self.max_body_bytes {
            return Err(format!(
                "limits.bodies_in_flight_bytes ({}) must be at least max_body_bytes ({})",
                l.bodies_in_flight_bytes, self.max_body_bytes
            ));
        }
        for t in &self.tokens {
            if t.token.len() < 8 {
                return Err("tokens need at least 8 characters".into());
            }
        }
        let mut seen = std::collections::HashSet::new();
        for p in &self.projects {
            if !seen.insert(p.name.as_str()) {
                return Err(format!("project `{}` is declared twice", p.name));
            }
            crate::project::validate_name(&p.name)
                .and_then(|()| p.config.validate())
                .map_err(|e: ProjectError| format!("project `{}`: {e}", p.name))?;
        }
        Ok(())
    }
}

impl ServerConfig {
    /// The row limits every ingest and labels request is read with; an event may carry
    /// the reserved keys beside a project's widest row.
    pub fn row_limits(&self) -> crate::ingest::RowLimits {
        crate::ingest::RowLimits {
            max_rows: self.limits.rows_per_request,
            max_keys: self.limits.max_event_keys(),
        }
    }

    /// The connection timeouts and limit as the accept loop uses them; the error names the
    /// setting.
    pub fn connection_limits(&self) -> Result<crate::http::connections::ConnectionLimits, String> {
        let positive = |what: &str, text: &str| {
            let d = parse_duration(what, text).map_err(|e| e.to_string())?;
            if d.is_zero() {
                return Err(format!("{what} must be longer than 0s"));
            }
            Ok(d)
        };
        let c = &self.connections;
        if c.max_connections == 0 {
            return Err("connections.max_connections must be positive".into());
        }
        Ok(crate::http::connections::ConnectionLimits {
            header_read_timeout: positive(
                "connections.header_read_timeout",
                &c.header_read_timeout,
            )?,
            body_read_timeout: positive("connections.body_read_timeout", &c.body_read_timeout)?,
            max_connections: c.max_connections,
            shutdown_timeout: parse_duration("shutdown_timeout", &self.shutdown_timeout)
                .map_err(|e| e.to_string())?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_config_parses_and_resolves_paths() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("modelwatch.toml");
        std::fs::write(
            &path,
            r#"
listen = "127.0.0.1:9000"
[retention]
events = "7d"
[[tokens]]
token = "0123456789"
scopes = ["read"]
[[projects]]
name = "iris"
reference = "ref.csv"
presets = ["drift"]
[projects.columns]
target = "species"
[projects.schedule]
interval = "1m"
"#,
        )
        .unwrap();
        let c = ServerConfig::load(&path).unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(
            c.projects[0].reference.as_ref().unwrap(),
            &dir.path().join("ref.csv")
        );
        assert_eq!(
            c.projects[0].config.columns.target.as_deref(),
            Some("species")
        );
        assert_eq!(c.projects[0].config.schedule.interval, "1m");
    }

    #[test]
    fn errors_name_the_line_or_the_project() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "listen = \"x\"\n").unwrap();
        let e = ServerConfig::load(&path).unwrap_err().to_string();
        assert!(e.contains("line 1"), "{e}");
        std::fs::write(
            &path,
            "[[projects]]\nname = \"a\"\n[projects.schedule]\nwindow = \"forever\"\n",
        )
        .unwrap();
        let e = ServerConfig::load(&path).unwrap_err().to_string();
        assert!(
            e.contains("project `a`") && e.contains("schedule.window"),
            "{e}"
        );
        std::fs::write(&path, "bogus = 1\n").unwrap();
        assert!(ServerConfig::load(&path).is_err());
        std::fs::write(&path, "[connections]\nheader_read_timeout = \"0s\"\n").unwrap();
        let e = ServerConfig::load(&path).unwrap_err().to_string();
        assert!(e.contains("connections.header_read_timeout"), "{e}");
        std::fs::write(&path, "shutdown_timeout = \"soon\"\n").unwrap();
        let e = ServerConfig::load(&path).unwrap_err().to_string();
        assert!(e.contains("shutdown_timeout"), "{e}");
    }
}
