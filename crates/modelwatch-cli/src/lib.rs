//! The `modelwatch` command: argument parsing and wiring, nothing else. A library so that
//! the Python package runs the same command ([`run_cli`]) and computes `report` / `test`
//! with the same settings wiring on data in memory ([`report_cmd::build_results_with`],
//! [`test_cmd::judge`]).

mod alerts_cmd;
mod config;
mod demo_cmd;
mod demo_photos;
mod images;
mod proxy_cmd;
pub mod report_cmd;
mod serve_cmd;
pub mod test_cmd;
mod text_descriptors;

use std::ffi::OsString;

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
    /// A sidecar reverse proxy in front of a model: RED metrics and captured events.
    Proxy(proxy_cmd::ProxyArgs),
}

/// `report` and `test` are one batch each: they allocate and free column-sized buffers (the
/// parsed columns, a sorted copy of every numerical column per side and preset) and exit.
/// glibc serves each block of 128 KiB or more with fresh `mmap`ed pages and unmaps it on
/// free, so every sorted copy faults its pages in again. Serving blocks up to 32 MiB
/// (glibc's ceiling for this setting) from the heap and not trimming it lets later buffers
/// reuse freed ones, at the price of a somewhat higher peak (docs/performance.md has the
/// page-fault and peak-memory figures). The server keeps glibc's defaults (it gives memory
/// back after large window reports).
fn keep_freed_memory_for_reuse() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets glibc's allocator parameters; it is called before any other
    // thread exists. A rejected value leaves the default in place (return value 0).
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
    }
}

/// Runs the `modelwatch` command with `args` (the program name first) and returns its exit
/// code: 0 on success, 1 when `test` judged a critical test failed, 2 on bad input or
/// usage (the error is printed on standard error as one line). `owns_process` is true for
/// the binary, whose process ends with the command: `report` and `test` may then tune the
/// allocator for one batch, which a host process (a Python interpreter) must not have done
/// to it.
pub fn run_cli(args: Vec<OsString>, owns_process: bool) -> u8 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // `--help` and `--version` arrive here too, printed on standard output.
            let _ = e.print();
            return u8::try_from(e.exit_code()).unwrap_or(2);
        }
    };
    if owns_process && matches!(cli.command, Command::Report(_) | Command::Test(_)) {
        keep_freed_memory_for_reuse();
    }
    let result = match cli.command {
        Command::Report(args) => report_cmd::run(*args),
        Command::Test(args) => test_cmd::run(*args),
        Command::Serve(args) => serve_cmd::run(args),
        Command::Demo(args) => demo_cmd::run(*args),
        Command::Alerts(args) => alerts_cmd::run(args),
        Command::Proxy(args) => proxy_cmd::run(args),
    };
    match result {
        Ok(code) => exit_code_number(code),
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
            2
        }
    }
}

/// An error as the one line the command prints after `error: `: the outermost context
/// plus its causes.
pub fn one_line(e: &anyhow::Error) -> String {
    let mut message = e.to_string();
    for cause in e.chain().skip(1) {
        message.push_str(": ");
        message.push_str(&cause.to_string());
    }
    message
}

/// The number of an exit code the commands return (they return 0, 1 or 2 only).
fn exit_code_number(code: std::process::ExitCode) -> u8 {
    if code == std::process::ExitCode::SUCCESS {
        0
    } else if code == std::process::ExitCode::from(1) {
        1
    } else {
        2
    }
}
