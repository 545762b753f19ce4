//! The `harvest` binary: parse arguments, run, map errors to exit codes.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = harvest::cli::Cli::parse();
    harvest::cmd::run(cli)
}
