//! The `harvest` binary: parse arguments, run, map errors to exit codes.

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = harvest::cli::parse();
    harvest::cmd::run(cli)
}
