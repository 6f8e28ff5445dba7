//! `modelwatch proxy`: a sidecar reverse proxy in front of a model (see
//! `modelwatch_server::proxy` and docs/proxy.md).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use modelwatch_server::proxy::config::ProxyConfig;

#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// Address the model's clients connect to [default: 127.0.0.1:8000, or `listen`].
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// The model, `http://host:port` [or `upstream` in the config].
    #[arg(long)]
    pub upstream: Option<String>,
    /// Address of the proxy's own /metrics [default: none, or `metrics_listen`].
    #[arg(long)]
    pub metrics_listen: Option<SocketAddr>,
    /// The project the captured events belong to [or `project`].
    #[arg(long)]
    pub project: Option<String>,
    /// The modelwatch server, `http://host:port[/base]`; without it nothing is sent.
    #[arg(long)]
    pub server: Option<String>,
    /// A write token of the server [or MODELWATCH_TOKEN, or `token`].
    #[arg(long)]
    pub token: Option<String>,
    /// How long the model may take to answer a request's head, e.g. `30s`; then 504.
    #[arg(long)]
    pub timeout: Option<String>,
    /// The header whose value becomes the event id [default: x-request-id].
    #[arg(long)]
    pub id_header: Option<String>,
    /// The most bytes of one body captured [default: 1048576].
    #[arg(long)]
    pub max_capture_bytes: Option<usize>,
    /// TOML config file with routes, JSON pointers and queue settings (docs/proxy.md).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// The config file with the flags applied.
fn load_config(args: &ProxyArgs) -> anyhow::Result<ProxyConfig> {
    let mut c = match &args.config {
        Some(p) => ProxyConfig::load(p)?,
        None => ProxyConfig::default(),
    };
    if let Some(l) = args.listen {
        c.listen = l;
    }
    if let Some(u) = &args.upstream {
        c.upstream = u.clone();
    }
    if args.metrics_listen.is_some() {
        c.metrics_listen = args.metrics_listen;
    }
    if let Some(p) = &args.project {
        c.project = p.clone();
    }
    if args.server.is_some() {
        c.server = args.server.clone();
    }
    if args.token.is_some() {
        c.token = args.token.clone();
    } else if let Ok(t) = std::env::var("MODELWATCH_TOKEN") {
        c.token = Some(t);
    }
    if let Some(t) = &args.timeout {
        c.timeout = t.clone();
    }
    if let Some(h) = &args.id_header {
        c.id_header = h.clone();
    }
    if let Some(m) = args.max_capture_bytes {
        c.max_capture_bytes = m;
    }
    c.check()?;
    Ok(c)
}

pub fn run(args: ProxyArgs) -> anyhow::Result<ExitCode> {
    crate::serve_cmd::init_logging();
    let config = load_config(&args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let metrics = match config.metrics_listen {
            Some(m) => Some(
                tokio::net::TcpListener::bind(m)
                    .await
                    .with_context(|| format!("cannot listen on {m} for /metrics"))?,
            ),
            None => None,
        };
        let addr = listener.local_addr()?;
        let metrics_addr = match &metrics {
            Some(m) => format!("http://{}/metrics", m.local_addr()?),
            None => "off".to_string(),
        };
        let sending = match &config.server {
            Some(s) => format!("events of project `{}` to {s}", config.project),
            None => "no events sent (no --server)".to_string(),
        };
        tracing::info!(%addr, upstream = %config.upstream, "modelwatch proxy");
        eprintln!(
            "modelwatch proxy on http://{addr} -> {} (metrics: {metrics_addr}; {sending})",
            config.upstream
        );
        modelwatch_server::proxy::run(
            config,
            listener,
            metrics,
            modelwatch_server::shutdown_signal(),
        )
        .await?;
        Ok(ExitCode::SUCCESS)
    })
}
