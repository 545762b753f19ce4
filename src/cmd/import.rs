//! `harvest import`: exchange exports (and ledgers) into one normalized ledger
//! CSV, sorted by time, with a per-file account of every input row on stderr.
//!
//! The ledger is data, not a report: its cells are written as they are (no
//! spreadsheet formula protection) so that it reads back exactly.

use std::fs::File;
use std::sync::Arc;

use anyhow::Context;
use chrono_tz::Tz;

use super::input::read_all;
use super::{UsageError, write_output};
use crate::cli::ImportArgs;
use crate::import::{Format, ImportOptions, Importer, Spool, known_formats};
use crate::ledger::LedgerBuilder;
use crate::readers::prices::PriceTable;

/// Runs `harvest import`.
pub fn run(args: &ImportArgs) -> anyhow::Result<()> {
    if let Some(p) = &args.output {
        super::output::check_output("-o", p)?;
    }
    let format = match &args.format {
        Some(name) => Some(Format::from_name(name).ok_or_else(|| {
            UsageError(format!(
                "--format {name:?} is not a known format; known formats: {}",
                known_formats()
            ))
        })?),
        None => None,
    };
    let tz: Tz = args.tz.parse().map_err(|_| {
        UsageError(format!(
            "--tz {:?} is not an IANA time zone (for example UTC or America/New_York)",
            args.tz
        ))
    })?;
    if args.account.as_ref().is_some_and(|a| a.trim().is_empty()) {
        return Err(UsageError("--account needs a non-empty name".into()).into());
    }
    let prices = match &args.prices {
        Some(p) => {
            let f = File::open(p).with_context(|| format!("{}: cannot read", p.display()))?;
            Some(PriceTable::read(f, &p.display().to_string(), tz)?)
        }
        None => None,
    };
    // harvest.toml's `[import.accounts]` names the accounts; `--account` wins.
    let (config, config_name) = super::input::read_config(args.config.as_deref())?;
    let accounts = config.account_map(&config_name)?;
    let mut importer = Importer::new(ImportOptions {
        account: args.account.as_ref().map(|a| a.trim().to_string()),
        prices: prices.as_ref(),
        tz,
        accounts,
    });
    // Each record is checked and kept as its CSV line as the file is read, so
    // that a file of millions of rows never sits in memory as records.
    let mut builder = LedgerBuilder::checking(tz);
    // A knob for tests and for measuring: the bytes of lines held before a
    // sorted run is written out (default 16 MiB).
    let mut spool = match std::env::var("HARVEST_IMPORT_SPOOL_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        Some(b) => Spool::with_budget(b),
        None => Spool::default(),
    };
    let mut files = Vec::new();
    let progress = super::progress::Progress::for_inputs(&args.inputs, false);
    for name in &args.inputs {
        let display = if name == "-" {
            "<stdin>"
        } else {
            name.as_str()
        };
        progress.message(&format!("reading {display}"));
        let data = read_all(name)?;
        progress.advance(data.len() as u64);
        progress.message(&format!("importing {display}"));
        let file: Arc<str> = display.into();
        let idx = builder.add_file(display);
        // Room for the ids of a file's rows at once (a ledger row takes 60
        // bytes or more): growing the table would hold it twice for a moment.
        importer.seen_ids().reserve(data.len() / 60);
        let mut pos = 0u32;
        let mut failed = None;
        let imported = importer.import_into(&data, display, format, &mut |line, rec| {
            // A bad time is reported by the builder at the end; sort it first.
            let t = builder
                .add_record(&rec, &file, idx, line)
                .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
            if let Err(e) = spool.push(t, idx, pos, &rec) {
                failed.get_or_insert(e);
            }
            pos += 1;
        })?;
        if let Some(e) = failed {
            return Err(e.into());
        }
        // The position in the file, oldest first, breaks ties within a file.
        if imported.reversed {
            spool.set_reversed(idx);
        }
        files.push((display, imported, idx));
    }
    // A later file may give rows of an earlier one exactly (a Kraken trade in
    // trades.csv and ledgers.csv): those are dropped before anything is counted.
    let superseded = importer.take_superseded();
    progress.finish();
    let mut stderr = std::io::stderr().lock();
    for (display, imported, idx) in &mut files {
        let ids = superseded
            .iter()
            .filter(|s| s.seq == imported.seq)
            .flat_map(|s| s.ids.iter().map(String::as_str));
        spool.drop_ids(*idx, ids);
        imported.supersede(&superseded);
        imported
            .stats
            .write_account(&mut stderr, display, imported.format)?;
    }
    builder.finish()?;
    write_output(args.output.as_deref(), |w| spool.write(w))
}
