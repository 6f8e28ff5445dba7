//! The `modelwatch` binary: the command of [`modelwatch_cli::run_cli`].

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(modelwatch_cli::run_cli(std::env::args_os().collect(), true))
}
