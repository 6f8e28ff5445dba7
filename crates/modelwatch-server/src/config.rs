//! The server's TOML configuration (`--config`, or `modelwatch.toml` when present).
//!
//! ```toml
//! listen = "127.0.0.1:8080"
//! db = "modelwatch.db"
//! max_body_bytes = 16777216
//! metrics_auth = false          # true: /metrics needs a read token
//! durability = "normal"         # or "full": fsync every commit
//! base_path = ""                # e.g. "/modelwatch" behind a reverse proxy
//!
//! [retention]
//! events = "30d"
//! snapshots = "90d"
//!
//! [[tokens]]
//! token = "change-me"
//! scopes = ["read", "write"]
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

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Read,
    Write,
}

/// An API token.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Token {
    pub token: String,
    pub scopes: Vec<Scope>,
}

/// How long data is kept.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Retention {
    pub events: String,
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

/// A project declared in the config file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfiguredProject {
    pub name: String,
    /// A reference file (CSV, Parquet or JSON Lines by extension), relative to the config.
    pub reference: Option<PathBuf>,
    #[serde(flatten)]
    pub config: ProjectConfig,
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub db: PathBuf,
    pub max_body_bytes: usize,
    pub metrics_auth: bool,
    pub durability: Durability,
    pub retention: Retention,
    pub tokens: Vec<Token>,
    pub projects: Vec<ConfiguredProject>,
    /// A path prefix the whole service is served under (`/modelwatch`), for a reverse
    /// proxy that forwards a sub-path; empty serves at the root.
    pub base_path: String,
    /// Alert rules, receivers and SLOs (`[alerts]`, see docs/alerts.md).
    pub alerts: crate::alerts::AlertsConfig,
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
        }
    }
}

/// A configuration problem, with the file and line when known.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {message}")]
    Read { path: String, message: String },
    #[error("{path}: line {line}: {message}")]
    Syntax {
        path: String,
        line: usize,
        message: String,
    },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
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

    /// Checks what can be checked before starting.
    pub fn validate(&self) -> Result<(), String> {
        parse_duration("retention.events", &self.retention.events).map_err(|e| e.to_string())?;
        parse_duration("retention.snapshots", &self.retention.snapshots)
            .map_err(|e| e.to_string())?;
        crate::dashboard::check_base_path(&self.base_path)?;
        self.alerts.validate()?;
        if self.max_body_bytes == 0 {
            return Err("max_body_bytes must be positive".into());
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
    }
}
