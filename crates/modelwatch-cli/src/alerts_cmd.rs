//! `modelwatch alerts export`: Prometheus recording and alerting rules equivalent to the
//! server's alert rules (defaults and `[[alerts.rules]]`) and SLO burn-rate alerts.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use modelwatch_server::alerts::export::prometheus_rules;
use modelwatch_server::config::ServerConfig;

#[derive(Debug, Args)]
pub struct AlertsArgs {
    #[command(subcommand)]
    command: AlertsCommand,
}

#[derive(Debug, Subcommand)]
enum AlertsCommand {
    /// Write Prometheus rules (check them with `promtool check rules`).
    Export(ExportArgs),
}

#[derive(Debug, Args)]
struct ExportArgs {
    /// The server's TOML config [default: ./modelwatch.toml when it exists].
    #[arg(long)]
    config: Option<PathBuf>,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
}

pub fn run(args: AlertsArgs) -> anyhow::Result<ExitCode> {
    let AlertsCommand::Export(args) = args.command;
    let path = args.config.or_else(|| {
        let p = PathBuf::from("modelwatch.toml");
        p.exists().then_some(p)
    });
    let config = match path {
        Some(p) => ServerConfig::load(&p)?,
        None => ServerConfig::default(),
    };
    let (yaml, warnings) = prometheus_rules(&config.alerts);
    for w in warnings {
        eprintln!("warning: {w}");
    }
    match args.output {
        Some(p) => std::fs::write(&p, yaml).with_context(|| format!("{}", p.display()))?,
        None => print!("{yaml}"),
    }
    Ok(ExitCode::SUCCESS)
}
