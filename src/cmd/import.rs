//! `harvest import`: exchange exports (and ledgers) into one normalized ledger
//! CSV, sorted by time, with a per-file account of every input row on stderr.
//!
//! The ledger is data, not a report: its cells are written as they are (no
//! spreadsheet formula protection) so that it reads back exactly.

use std::fs::File;
use std::io::Write;
use std::sync::Arc;

use anyhow::Context;
use chrono_tz::Tz;

use super::input::read_all;
use super::{UsageError, write_output};
use crate::cli::ImportArgs;
use crate::import::{Format, ImportOptions, Importer, known_formats};
use crate::ledger::LedgerBuilder;
use crate::model::{LEDGER_COLUMNS, Record};
use crate::readers::prices::PriceTable;
use crate::time::parse_time;

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
    let mut importer = Importer::new(ImportOptions {
        account: args.account.as_ref().map(|a| a.trim().to_string()),
        prices: prices.as_ref(),
        tz,
    });
    let mut files = Vec::new();
    for name in &args.inputs {
        let data = read_all(name)?;
        let display = if name == "-" {
            "<stdin>"
        } else {
            name.as_str()
        };
        files.push((display, importer.import(&data, display, format)?));
    }
    // A later file may give rows of an earlier one exactly (a Kraken trade in
    // trades.csv and ledgers.csv): those are dropped before anything is counted.
    let superseded = importer.take_superseded();
    for (_, f) in &mut files {
        f.supersede(&superseded);
    }
    let mut builder = LedgerBuilder::new(tz);
    // (time, file index, position, record) for sorting; input order breaks ties.
    let mut all: Vec<(chrono::DateTime<chrono::Utc>, u32, u64, Record)> = Vec::new();
    let mut stderr = std::io::stderr().lock();
    for (display, imported) in files {
        imported
            .stats
            .write_account(&mut stderr, display, imported.format)?;
        let file: Arc<str> = display.into();
        let idx = builder.add_file(display);
        // The position in `records` (oldest first) breaks ties within a file.
        for (pos, (line, rec)) in imported.records.into_iter().enumerate() {
            builder.add_record(&rec, &file, idx, line);
            // A bad time is reported by the builder below; sort it first.
            let t = parse_time(&rec.time, tz).unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
            all.push((t, idx, pos as u64, rec));
        }
    }
    builder.finish()?;
    all.sort_by_key(|a| (a.0, a.1, a.2));
    write_output(args.output.as_deref(), |w| {
        write_ledger(w, all.iter().map(|x| &x.3))
    })
}

/// Writes the ledger CSV: the SPEC header, then the rows as given.
pub fn write_ledger<'r>(
    w: &mut dyn Write,
    rows: impl Iterator<Item = &'r Record>,
) -> std::io::Result<()> {
    // The io::Error inside a csv::Error, so that a closed pipe is seen as one.
    let io = |e: csv::Error| match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => std::io::Error::other(format!("{other:?}")),
    };
    let mut out = csv::Writer::from_writer(w);
    out.write_record(LEDGER_COLUMNS).map_err(io)?;
    for r in rows {
        // Text cells are protected against formula injection (SPEC section 5);
        // harvest reads them back as they were.
        out.write_record(r.fields().map(|c| crate::render::safe_text(c).into_owned()))
            .map_err(io)?;
    }
    out.flush()
}
