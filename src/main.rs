//! The `harvest` binary: parse arguments, run, map errors to exit codes.

use std::process::ExitCode;

/// Small blocks from mimalloc, large ones from glibc (see the type's comment).
#[global_allocator]
static ALLOCATOR: harvest::memory::Allocator = harvest::memory::Allocator;

fn main() -> ExitCode {
    harvest::memory::init();
    let cli = harvest::cli::parse();
    harvest::cmd::run(cli)
}
