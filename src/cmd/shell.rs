//! `harvest completions` and `harvest man`: generated from the clap definitions,
//! so they always match the flags.

use std::io::Write;

use anyhow::Context;
use clap_complete::Shell;

use crate::cli::{CompletionsArgs, ManArgs, ShellArg, command};

/// Prints a completion script for the shell.
pub fn completions(a: &CompletionsArgs) -> anyhow::Result<()> {
    let shell = match a.shell {
        ShellArg::Bash => Shell::Bash,
        ShellArg::Zsh => Shell::Zsh,
        ShellArg::Fish => Shell::Fish,
        ShellArg::Powershell => Shell::PowerShell,
    };
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut command(), "harvest", &mut buf);
    let mut out = std::io::stdout().lock();
    out.write_all(&buf)?;
    out.flush()?;
    Ok(())
}

/// Prints harvest.1, or writes harvest.1 and harvest-COMMAND.1 into a directory.
pub fn man(a: &ManArgs) -> anyhow::Result<()> {
    let cmd = command();
    match &a.dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("{}: cannot create the directory", dir.display()))?;
            clap_mangen::generate_to(cmd, dir)
                .with_context(|| format!("{}: cannot write the man pages", dir.display()))?;
            let mut names: Vec<String> = std::fs::read_dir(dir)?
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("harvest") && n.ends_with(".1"))
                .collect();
            names.sort();
            eprintln!(
                "harvest: wrote {} man pages into {}: {}",
                names.len(),
                dir.display(),
                names.join(", ")
            );
            Ok(())
        }
        None => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut buf)?;
            let mut out = std::io::stdout().lock();
            out.write_all(&buf)?;
            out.flush()?;
            Ok(())
        }
    }
}
