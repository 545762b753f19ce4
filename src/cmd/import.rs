//! `harvest import`.

use crate::cli::ImportArgs;

/// Runs `harvest import`.
pub fn run(_args: &ImportArgs) -> anyhow::Result<()> {
    anyhow::bail!("harvest import is not built yet")
}
