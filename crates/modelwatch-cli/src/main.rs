//! The `modelwatch` binary: argument parsing and wiring, nothing else.

mod alerts_cmd;
mod config;
mod demo_cmd;
mod report_cmd;
mod serve_cmd;
mod test_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Monitoring for machine-learning models: data drift reports with Evidently's statistics.
#[derive(Debug, Parser)]
#[command(name = "modelwatch", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Compare a reference dataset with current data and report data drift.
    Report(Box<report_cmd::ReportArgs>),
    /// Judge a suite of conditions on the report, for CI: exit 0 when every critical test
    /// passes, 1 when one fails, 2 on bad input.
    Test(Box<test_cmd::TestArgs>),
    /// Run the monitoring service: ingest prediction events, snapshots over time, /metrics.
    Serve(serve_cmd::ServeArgs),
    /// Watch a model drift: the server with an `iris` project and a client whose traffic drifts.
    Demo(Box<demo_cmd::DemoArgs>),
    /// Alert rules: `export` writes Prometheus rules equivalent to the server's.
    Alerts(alerts_cmd::AlertsArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Report(args) => report_cmd::run(*args),
        Command::Test(args) => test_cmd::run(*args),
        Command::Serve(args) => serve_cmd::run(args),
        Command::Demo(args) => demo_cmd::run(*args),
        Command::Alerts(args) => alerts_cmd::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // One line: the outermost context plus its causes.
            let mut msg = e.to_string();
            for cause in e.chain().skip(1) {
                msg.push_str(": ");
                msg.push_str(&cause.to_string());
            }
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}
