//! `modelwatch serve`: the monitoring service (see `modelwatch-server`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use modelwatch_server::config::ServerConfig;
use modelwatch_server::store::postgres::{is_postgres_url, PostgresStore, CONNECT_PATIENCE};
use modelwatch_server::store::sqlite::SqliteStore;
use modelwatch_server::store::Store;
use modelwatch_server::AppState;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080, or `listen` in the config].
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// The store: a SQLite file, or a PostgreSQL database as `postgres://user@host/db`
    /// [default: ./modelwatch.db, or `db` in the config].
    #[arg(long)]
    pub db: Option<PathBuf>,
    /// TOML config file [default: ./modelwatch.toml when it exists].
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Serve everything (API, dashboard, /metrics) under this path prefix, e.g.
    /// `/modelwatch` behind a reverse proxy [default: `base_path` in the config, or none].
    #[arg(long)]
    pub base_path: Option<String>,
}

/// Structured logs: JSON lines when standard error is not a terminal, readable text when
/// it is; the level comes from `RUST_LOG` (default `info`).
pub fn init_logging() {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::io::stderr().is_terminal() {
        let _ = builder.try_init();
    } else {
        let _ = builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init();
    }
}

/// Loads the config the flags point at, with the flags applied.
pub fn load_config(args: &ServeArgs) -> anyhow::Result<ServerConfig> {
    let path = match &args.config {
        Some(p) => Some(p.clone()),
        None => Some(PathBuf::from("modelwatch.toml")).filter(|p| p.exists()),
    };
    let mut config = match &path {
        Some(p) => ServerConfig::load(p)?,
        None => ServerConfig::default(),
    };
    if let Some(l) = args.listen {
        config.listen = l;
    }
    if let Some(db) = &args.db {
        config.db = db.clone();
    }
    if let Some(b) = &args.base_path {
        config.base_path = b.clone();
    }
    config.add_env_tokens();
    config.validate().map_err(anyhow::Error::msg)?;
    Ok(config)
}

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    init_logging();
    let config = load_config(&args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let (store, db) = open_store(&config)?;
    runtime.block_on(async move {
        let listen = config.listen;
        let state = AppState::open(store, config)?;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let addr = listener.local_addr()?;
        tracing::info!(%addr, %db, "modelwatch serving");
        eprintln!(
            "modelwatch serving on http://{addr}{} (store: {db})",
            state.config.base_path.trim_end_matches('/'),
        );
        modelwatch_server::serve(state, listener, modelwatch_server::shutdown_signal()).await?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Opens the store `db` names, PostgreSQL for a `postgres://` URL and a SQLite file
/// otherwise, and says how to name it in messages (never with a password). An unreachable
/// PostgreSQL is retried with backoff for [`CONNECT_PATIENCE`] before the start fails.
fn open_store(config: &ServerConfig) -> anyhow::Result<(Arc<dyn Store>, String)> {
    let db = config.db.to_string_lossy();
    if is_postgres_url(&db) {
        let store = PostgresStore::open(&db, CONNECT_PATIENCE)
            .context("cannot open the PostgreSQL store")?;
        let name = format!("postgres://{}", store.target());
        return Ok((Arc::new(store), name));
    }
    let store = SqliteStore::open(&config.db, config.durability)
        .with_context(|| format!("{}: cannot open the store", config.db.display()))?;
    Ok((Arc::new(store), config.db.display().to_string()))
}
