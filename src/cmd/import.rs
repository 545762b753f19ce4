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
    // Each record is checked and kept as its CSV line as the file is read, so
    // that a file of millions of rows never sits in memory as records.
    let mut builder = LedgerBuilder::checking(tz);
    let mut spool = Spool::default();
    let mut files = Vec::new();
    for name in &args.inputs {
        let data = read_all(name)?;
        let display = if name == "-" {
            "<stdin>"
        } else {
            name.as_str()
        };
        let file: Arc<str> = display.into();
        let idx = builder.add_file(display);
        let start = spool.index.len();
        let mut failed = None;
        let imported = importer.import_into(&data, display, format, &mut |line, rec| {
            // A bad time is reported by the builder at the end; sort it first.
            let t = builder
                .add_record(&rec, &file, idx, line)
                .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
            let pos = (spool.index.len() - start) as u32;
            if let Err(e) = spool.push(t, idx, pos, &rec) {
                failed.get_or_insert(e);
            }
        })?;
        if let Some(e) = failed {
            return Err(e.into());
        }
        // The position in the file, oldest first, breaks ties within a file.
        if imported.reversed {
            spool.reverse(start);
        }
        files.push((display, imported, start..spool.index.len()));
    }
    // A later file may give rows of an earlier one exactly (a Kraken trade in
    // trades.csv and ledgers.csv): those are dropped before anything is counted.
    let superseded = importer.take_superseded();
    let mut stderr = std::io::stderr().lock();
    for (display, imported, lines) in &mut files {
        let ids: std::collections::HashSet<&str> = superseded
            .iter()
            .filter(|s| s.seq == imported.seq)
            .flat_map(|s| s.ids.iter().map(String::as_str))
            .collect();
        if !ids.is_empty() {
            spool.drop_ids(lines.clone(), &ids);
        }
        imported.supersede(&superseded);
        imported
            .stats
            .write_account(&mut stderr, display, imported.format)?;
    }
    builder.finish()?;
    spool.sort();
    write_output(args.output.as_deref(), |w| spool.write(w))
}

/// The ledger rows `import` writes, as CSV lines in one buffer with a small
/// index for sorting them: a million records would otherwise stay in memory
/// as fourteen strings each.
#[derive(Default)]
struct Spool {
    text: Vec<u8>,
    index: Vec<Line>,
}

/// Where one row's CSV line is in [`Spool::text`], and its sort key.
struct Line {
    time: chrono::DateTime<chrono::Utc>,
    file: u32,
    pos: u32,
    start: usize,
    len: u32,
    /// Given up for a later file's copy (see [`Spool::drop_ids`]).
    dropped: bool,
}

impl Spool {
    /// Adds a record: its CSV line, its cells protected against formula
    /// injection (SPEC section 5; harvest reads them back as they were).
    fn push(
        &mut self,
        time: chrono::DateTime<chrono::Utc>,
        file: u32,
        pos: u32,
        rec: &Record,
    ) -> std::io::Result<()> {
        let start = self.text.len();
        let cells = rec.fields().map(crate::render::safe_text);
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(&mut self.text);
        w.write_record(cells.iter().map(|c| c.as_bytes()))
            .map_err(csv_io)?;
        w.flush()?;
        drop(w);
        let len = u32::try_from(self.text.len() - start).map_err(std::io::Error::other)?;
        self.index.push(Line {
            time,
            file,
            pos,
            start,
            len,
            dropped: false,
        });
        Ok(())
    }

    /// Turns the positions of the lines from `start` on around: the file they
    /// came from lists its newest rows first.
    fn reverse(&mut self, start: usize) {
        let n = (self.index.len() - start) as u32;
        for l in &mut self.index[start..] {
            l.pos = n - 1 - l.pos;
        }
    }

    /// Leaves out the lines in `lines` whose id is in `ids`.
    fn drop_ids(&mut self, lines: std::ops::Range<usize>, ids: &std::collections::HashSet<&str>) {
        for l in &mut self.index[lines] {
            let text = &self.text[l.start..l.start + l.len as usize];
            let mut r = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(text);
            let mut rec = csv::StringRecord::new();
            if r.read_record(&mut rec).unwrap_or(false)
                && ids.contains(crate::cell::unprotect(rec.get(0).unwrap_or("")))
            {
                l.dropped = true;
            }
        }
    }

    /// Puts the lines in ledger order: by time, then file, then position.
    fn sort(&mut self) {
        self.index.sort_by_key(|l| (l.time, l.file, l.pos));
    }

    /// Writes the SPEC header and the lines in order.
    fn write(&self, w: &mut dyn Write) -> std::io::Result<()> {
        let mut out = csv::Writer::from_writer(&mut *w);
        out.write_record(LEDGER_COLUMNS).map_err(csv_io)?;
        out.flush()?;
        drop(out);
        for l in self.index.iter().filter(|l| !l.dropped) {
            w.write_all(&self.text[l.start..l.start + l.len as usize])?;
        }
        w.flush()
    }
}

/// The io::Error inside a csv::Error, so that a closed pipe is seen as one.
fn csv_io(e: csv::Error) -> std::io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => std::io::Error::other(format!("{other:?}")),
    }
}
