//! `harvest import`: exchange exports (and ledgers) into one normalized ledger
//! CSV, sorted by time, with a per-file account of every input row on stderr.
//!
//! The ledger is data, not a report: its cells are written as they are (no
//! spreadsheet formula protection) so that it reads back exactly.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, mpsc};

use anyhow::Context;
use chrono_tz::Tz;

use super::input::read_all;
use super::{UsageError, write_output_shown};
use crate::cli::ImportArgs;
use crate::import::{
    CHAINS, EvmSettings, Format, ImportOptions, Importer, Spool, Text, known_formats,
};
use crate::ledger::LedgerBuilder;
use crate::model::Record;
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
    let mut evm = evm_settings(&config, &config_name, args.chain.as_deref())?;
    if let Some(a) = &args.address {
        let a = a.trim();
        let hex = a
            .strip_prefix("0x")
            .or_else(|| a.strip_prefix("0X"))
            .unwrap_or("");
        if hex.len() != 40 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(UsageError(format!(
                "--address {a:?} is not an address of an Etherscan-family chain (0x and 40 hex digits)"
            ))
            .into());
        }
        evm.address = Some(a.to_ascii_lowercase());
    }
    let mut importer = Importer::new(ImportOptions {
        account: args.account.as_ref().map(|a| a.trim().to_string()),
        prices: prices.as_ref(),
        tz,
        accounts,
    });
    importer.set_evm(evm);
    // The balances the exports state are for `balances`, which reads them
    // from the exports: a ledger has no column for them.
    importer.without_balances();
    // Each record is checked and kept as its CSV line as the file is read, so
    // that a file of millions of rows never sits in memory as records.
    let mut builder = LedgerBuilder::checking(tz);
    for name in &args.inputs {
        builder.add_file(if name == "-" { "<stdin>" } else { name });
    }
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
    // Every input is read once first (its encoding, its lines, the
    // fingerprint of its bytes), then imported in the order of the
    // fingerprints: the first copy of a row seen twice is then the same
    // whatever the order the files are given in, and so is the ledger.
    let advance = |n: usize| progress.advance(n as u64);
    // Standard input is read at once (a second `-` reads it empty).
    let stdin = match args.inputs.iter().any(|n| n == "-") {
        true => {
            let data = read_all("-")?;
            progress.advance(data.len() as u64);
            data
        }
        false => Vec::new(),
    };
    // The table of the ids seen is made before the inputs are read through,
    // its size guessed from their first lines, and faulted in by another
    // thread meanwhile: a million rows' table is 40 MiB, whose first touch
    // had the import's first rows wait a tenth of a second, the second core
    // idle. The thread is not waited for (at ten million rows it runs on
    // into the import, as the lookups would have faulted the pages in
    // anyway), and none is no harm. (Each file's rows reserve room again
    // once counted, in case.)
    let guessed: usize = args
        .inputs
        .iter()
        .filter(|n| *n != "-")
        .filter_map(|n| Text::rows_estimate(Path::new(n)))
        .sum();
    if guessed > 0 {
        importer.seen_ids().reserve(guessed);
        let fault_in = importer.seen_ids().fault_in();
        let _ = std::thread::Builder::new().spawn(move || fault_in.run());
    }
    let mut stdin_read = false;
    let mut texts = Vec::with_capacity(args.inputs.len());
    for (idx, name) in args.inputs.iter().enumerate() {
        let text = if name == "-" {
            let data: &[u8] = if stdin_read { &[] } else { &stdin };
            stdin_read = true;
            Text::bytes(data)
        } else {
            Text::file(Path::new(name), Some(&advance))
                .with_context(|| format!("{name}: cannot read"))?
        };
        texts.push((text.fingerprint(), idx, name, text));
    }
    texts.sort_by_key(|t| (t.0, t.1));
    // The on-chain downloads are read once before: the rows of a transaction
    // in the normal, internal and token downloads of an address are one event.
    for (_, _, name, text) in &texts {
        let display = if *name == "-" {
            "<stdin>"
        } else {
            name.as_str()
        };
        importer.prepare(text, display, format);
    }
    // Each record is checked and written into the spool on a second thread,
    // in batches, while this one reads and judges the next ones.
    let (to_writer, batches) = mpsc::sync_channel::<Batch>(BATCHES - 2);
    let (give_back, spare) = mpsc::channel::<Batch>();
    let (builder, mut spool, failed) = std::thread::scope(|scope| {
        let writer = scope.spawn(move || {
            let mut failed = None;
            let mut pos: Vec<u32> = Vec::new();
            for mut b in batches {
                let idx = b.file_idx as usize;
                if pos.len() <= idx {
                    pos.resize(idx + 1, 0);
                }
                spool.set_print(b.file_idx, b.print);
                for (line, rec) in &b.rows[..b.len] {
                    // A bad time is reported by the builder at the end; sort it first.
                    let t = builder
                        .add_record(rec, &b.file, b.file_idx, *line)
                        .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
                    if let Err(e) = spool.push(t, b.file_idx, pos[idx], rec) {
                        failed.get_or_insert(e);
                    }
                    pos[idx] += 1;
                }
                b.len = 0;
                // The reader may have finished: then the batch is not needed.
                let _ = give_back.send(b);
            }
            (builder, spool, failed)
        });
        // Every batch that can be in flight (the channel's, the writer's, the
        // one filled) is made once, then reused: its records' room with it.
        let next_batch = |made: &mut usize| match spare.try_recv() {
            Ok(b) => b,
            Err(_) if *made < BATCHES => {
                *made += 1;
                Batch::empty()
            }
            // The writer gives one back once it has written it.
            Err(_) => spare.recv().unwrap_or_else(|_| Batch::empty()),
        };
        let read = (|| -> anyhow::Result<()> {
            let mut made = 0;
            for (print, idx, name, text) in &texts {
                let display = if *name == "-" {
                    "<stdin>"
                } else {
                    name.as_str()
                };
                progress.message(&format!("importing {display}"));
                let print = *print;
                let file: Arc<str> = display.into();
                let idx = *idx as u32;
                // Room for the ids of a file's rows at once (a row per line at
                // most): growing the table would hold it twice for a moment.
                importer.seen_ids().reserve(text.rows_hint());
                let mut batch = next_batch(&mut made).reuse(idx, file.clone(), print);
                let mut stopped = false;
                let imported = importer.import_text(text, display, format, &mut |line, rec| {
                    batch.push(line, rec);
                    if batch.len == BATCH {
                        let next = next_batch(&mut made);
                        let full =
                            std::mem::replace(&mut batch, next.reuse(idx, file.clone(), print));
                        stopped |= to_writer.send(full).is_err();
                    }
                })?;
                stopped |= to_writer.send(batch).is_err();
                if stopped {
                    anyhow::bail!("internal error: the ledger writer stopped; please report this");
                }
                files.push((display, imported, idx));
            }
            Ok(())
        })();
        drop(to_writer);
        let written = writer
            .join()
            .map_err(|_| anyhow::anyhow!("internal error: the ledger writer failed"));
        read.and(written)
    })?;
    if let Some(e) = failed {
        return Err(e.into());
    }
    for (_, imported, idx) in &files {
        // The position in the file, oldest first, breaks ties within a file.
        if imported.reversed {
            spool.set_reversed(*idx);
        }
    }
    // A later file may give rows of an earlier one exactly (a Kraken trade in
    // trades.csv and ledgers.csv): those are dropped before anything is counted.
    let superseded = importer.take_superseded();
    // Each file's account, in the order the files were given.
    files.sort_by_key(|f| f.2);
    // The account of every file, printed with the bar out of the way.
    let mut account = Vec::new();
    for (display, imported, idx) in &mut files {
        let ids = superseded
            .iter()
            .filter(|s| s.seq == imported.seq)
            .flat_map(|s| s.ids.iter().map(String::as_str));
        spool.drop_ids(*idx, ids);
        imported.supersede(&superseded);
        imported
            .stats
            .write_account(&mut account, display, imported.format)?;
    }
    progress.suspend(|| std::io::stderr().lock().write_all(&account))?;
    builder.finish()?;
    // The ledger is sorted as it is written: the bar counts what is written.
    let written = write_output_shown(args.output.as_deref(), &progress, |w| spool.write(w));
    progress.finish();
    written
}

/// The settings of the Etherscan-family downloads: `--chain` (checked), the
/// own addresses of harvest.toml (a download of one is that account's) and
/// `[assets] spam` and `keep`.
pub(crate) fn evm_settings(
    config: &crate::config::Config,
    config_name: &str,
    chain: Option<&str>,
) -> anyhow::Result<EvmSettings> {
    let chain = match chain.map(|c| c.trim().to_ascii_lowercase()) {
        Some(c) if !CHAINS.contains(&c.as_str()) => {
            return Err(UsageError(format!(
                "--chain {c:?} is not a chain harvest knows; known chains: {}",
                CHAINS.join(", ")
            ))
            .into());
        }
        c => c,
    };
    let book = config
        .address_book(config_name)
        .map_err(|e| UsageError(e.to_string()))?;
    let owners = book
        .owners()
        .into_iter()
        .map(|o| (o.address.to_ascii_lowercase(), o.account.to_string()))
        .collect();
    let (spam, keep) = config.assets.lists(config_name)?;
    Ok(EvmSettings {
        chain,
        address: None,
        owners,
        spam,
        keep,
    })
}

/// Records on their way to the writer thread, a batch at a time (their cells'
/// room reused batch after batch, traded with the importer's record).
struct Batch {
    file_idx: u32,
    file: Arc<str>,
    /// The file's fingerprint, which orders its rows among other files' rows
    /// of the same instant.
    print: u64,
    rows: Vec<(u64, Record)>,
    /// How many of `rows` hold records.
    len: usize,
}

/// Records sent at once.
const BATCH: usize = 4096;

/// Bytes of room each cell of a batch's record starts with.
const CELL_ROOM: usize = 32;

/// Batches made at most: those waiting in the channel to the writer, the one
/// it writes, the one being filled.
const BATCHES: usize = 6;

impl Batch {
    fn empty() -> Batch {
        Batch::new(0, "".into(), 0)
    }

    fn new(file_idx: u32, file: Arc<str>, print: u64) -> Batch {
        Batch {
            file_idx,
            file,
            print,
            rows: Vec::with_capacity(BATCH),
            len: 0,
        }
    }

    fn reuse(mut self, file_idx: u32, file: Arc<str>, print: u64) -> Batch {
        self.file_idx = file_idx;
        self.file = file;
        self.print = print;
        self.len = 0;
        self
    }

    /// Takes the record's strings, giving it those of the slot they fill (the
    /// room of a record written earlier): nothing is copied.
    fn push(&mut self, line: u64, rec: &mut Record) {
        if self.len == self.rows.len() {
            // A new slot: a copy with room to spare, so that the strings
            // traded later seldom have to grow.
            let mut slot = Record::default();
            for (to, from) in slot.fields_mut().into_iter().zip(rec.fields()) {
                to.reserve(from.len().max(CELL_ROOM));
                to.push_str(from);
            }
            self.rows.push((line, slot));
        } else {
            let (l, r) = &mut self.rows[self.len];
            *l = line;
            // The whole record at once: cell by cell took several times as
            // long. The importer writes every cell of the record it gets back.
            std::mem::swap(r, rec);
        }
        self.len += 1;
    }
}
