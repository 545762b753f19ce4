//! The commands: each turns parsed arguments into settings, runs the library, and
//! renders. Only this layer touches files, standard streams and the clock.

mod allocation;
mod audit;
mod balances;
pub mod gains;
pub mod import;
mod income;
mod input;
pub mod lots;
mod output;
mod prices;
pub mod progress;
mod reconcile;
mod report;
pub mod scan;
mod settings;
mod shell;

use std::io::Write;
use std::process::ExitCode;

pub use input::{Loaded, Matched, Settings, UsageError, load, match_all};
pub use output::{write_output, write_output_shown};

use crate::cli::{Cli, Command};

/// Runs a parsed command line and maps failures to exit codes: 1 for bad data, 2
/// for bad usage, 0 when standard output was closed early (`| head`).
pub fn run(cli: Cli) -> ExitCode {
    let result = match &cli.command {
        Command::Import(a) => import::run(a),
        Command::Lots(a) => lots::run(a),
        Command::Gains(a) => gains::run(a),
        Command::Report(a) => report::run(a),
        Command::Income(a) => income::run(a),
        Command::Audit(a) => audit::run(a),
        Command::Balances(a) => balances::run(a),
        Command::Scan(a) => scan::run(a),
        Command::Prices(a) => prices::run(a),
        Command::Allocation(a) => allocation::run(a),
        Command::Reconcile(a) => reconcile::run(a),
        Command::Config(a) => settings::run(a),
        Command::Completions(a) => shell::completions(a),
        Command::Man(a) => shell::man(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            let _ = writeln!(std::io::stderr(), "harvest: error: {e:#}");
            if e.downcast_ref::<UsageError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
