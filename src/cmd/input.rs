//! Shared by lots, gains, report and scan: interpreting the engine flags, and
//! reading every input (ledgers and exchange exports), prices and selections.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono_tz::Tz;

use crate::cli::{EngineArgs, MethodArg, MissingBasisArg, ScopeArg};
use crate::config::Config as FileConfig;
use crate::engine::{
    AllocationRule, Config, Method, MissingBasis, Parallel, Scope, Selections, StandingOrder,
    Transition, WalletOrder,
};
use crate::import::{self, Format, ImportOptions, Importer};
use crate::ledger::{LedgerBuilder, Repeat};
use crate::model::Ledger;
use crate::readers::prices::PriceTable;
use crate::statement::Summing;
use crate::tax::BoxRules;

/// A mistake in how harvest was called (exit status 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// The engine flags, interpreted, over harvest.toml.
#[derive(Debug, Clone)]
pub struct Settings {
    pub engine: Config,
    pub quiet: bool,
    /// Form 8949 boxes per account, from harvest.toml.
    pub boxes: BoxRules,
    /// The price file, from --prices or harvest.toml.
    pub prices: Option<PathBuf>,
    /// harvest.toml as read (empty when there is none).
    pub file: FileConfig,
    /// `[import.accounts]` of harvest.toml, checked: the accounts of exports
    /// given as inputs.
    pub import_accounts: std::collections::BTreeMap<String, String>,
    /// The own addresses and `[assets]` of harvest.toml, checked: how the
    /// on-chain downloads given as inputs are read.
    pub evm: import::EvmSettings,
    /// `income_as_business` of harvest.toml, checked.
    pub business_income: Vec<crate::model::Category>,
    /// The `fee_rate` under `[accounts.NAME]` of harvest.toml, checked (scan).
    pub fee_rates: std::collections::BTreeMap<String, rust_decimal::Decimal>,
    /// The settings file's name (`harvest.toml`, or `--config FILE`), whether
    /// or not it exists.
    pub config_name: String,
    /// Whether the run states its inputs (see [`statement`]): each input file
    /// is then summed as it is read.
    pub sum_inputs: bool,
}

/// Reads `--config FILE`, or harvest.toml in the working directory when present.
pub(crate) fn read_config(path: Option<&Path>) -> anyhow::Result<(FileConfig, String)> {
    let (path, required) = match path {
        Some(p) => (p.to_path_buf(), true),
        None => (PathBuf::from("harvest.toml"), false),
    };
    let name = path.display().to_string();
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok((FileConfig::parse(&text, &name)?, name)),
        Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
            Ok((FileConfig::default(), name))
        }
        Err(e) => Err(anyhow::Error::new(e).context(format!("{name}: cannot read"))),
    }
}

impl Settings {
    /// Interprets the flags shared by lots, gains, report and scan, over the
    /// settings file.
    pub fn from_args(a: &EngineArgs) -> anyhow::Result<Settings> {
        if let Some(p) = &a.output {
            super::output::check_output("-o", p)?;
        }
        let (file, file_name) = read_config(a.config.as_deref())?;
        let boxes = file.box_rules(&file_name)?;
        let import_accounts = file.account_map(&file_name)?;
        let business_income = file.business_income(&file_name)?;
        let fee_rates = file.fee_rates(&file_name)?;
        let evm = super::import::evm_settings(&file, &file_name, None)?;
        // `[assets] same` and `migrations`: checked before any input is read.
        let assets = file.assets.links(&file_name)?;
        // A misplaced address would move coins to the wrong account: a usage
        // error, before any input is read.
        let addresses = file
            .address_book(&file_name)
            .map_err(|e| UsageError(e.to_string()))?;
        let tz_name = a.tz.clone().or_else(|| file.tz.clone());
        let tz: Tz = match &tz_name {
            Some(z) => z.parse().map_err(|_| {
                UsageError(format!(
                    "--tz {z:?} is not an IANA time zone (for example UTC or America/New_York)"
                ))
            })?,
            None => Tz::UTC,
        };
        let method = match a.method.or(file.method).unwrap_or(MethodArg::Fifo) {
            MethodArg::Fifo => Method::Fifo,
            MethodArg::Lifo => Method::Lifo,
            MethodArg::Hifo => Method::Hifo,
            MethodArg::Specific => Method::Specific,
        };
        if method == Method::Specific && a.selections.is_none() {
            return Err(UsageError(
                "--method specific needs --selections FILE (CSV disposal_id,lot_id,quantity)"
                    .into(),
            )
            .into());
        }
        if method != Method::Specific && a.selections.is_some() {
            return Err(
                UsageError("--selections is used only with --method specific".into()).into(),
            );
        }
        let scope = match a.scope.or(file.scope).unwrap_or(ScopeArg::Transition) {
            ScopeArg::Wallet => Scope::Wallet,
            ScopeArg::Universal => Scope::Universal,
            ScopeArg::Transition => Scope::Transition,
        };
        let standing_orders = standing_orders(&file, &file_name, tz)?;
        let transition = transition(a, &file, &file_name, scope)?;
        let missing_basis = match a
            .missing_basis
            .or(file.missing_basis)
            .unwrap_or(MissingBasisArg::Error)
        {
            MissingBasisArg::Error => MissingBasis::Error,
            MissingBasisArg::Zero => MissingBasis::Zero,
        };
        Ok(Settings {
            engine: Config {
                method,
                scope,
                missing_basis,
                tz,
                wash_window: a.wash_window.or(file.wash_window).unwrap_or(0),
                standing_orders,
                late_identification: late_identification(a, &file, &file_name)?,
                transition,
                // A knob for tests and for measuring: 1 keeps lot matching on one
                // thread, 2 uses two even for small ledgers.
                parallel: match std::env::var("HARVEST_ENGINE_THREADS").as_deref() {
                    Ok("1") => Parallel::Off,
                    Ok("2") => Parallel::Always,
                    _ => Parallel::Auto,
                },
                addresses: std::sync::Arc::new(addresses),
                assets: std::sync::Arc::new(assets),
                trace_moves: false,
                keep: crate::engine::Keep::All,
            },
            quiet: a.quiet,
            boxes,
            prices: a.prices.clone().or_else(|| file.prices.clone()),
            file,
            import_accounts,
            evm,
            business_income,
            fee_rates,
            config_name: file_name,
            sum_inputs: false,
        })
    }
}

/// Says on stderr what a run's figures rest on, and returns why they are a
/// what-if (see [`crate::engine::what_if`]): each what-if reason, even with
/// `--quiet` (CSV outputs have no room to say it themselves), and, unless
/// quiet, how many amounts were valued from `--prices` and from where.
pub(super) fn announce(
    s: &Settings,
    ledger: &Ledger,
    prices: Option<&PriceTable>,
    outcome: &crate::engine::Outcome,
) -> Vec<String> {
    let reasons = crate::engine::what_if(&s.engine, outcome);
    for r in &reasons {
        eprintln!("harvest: what-if, not a filing position: {r}");
    }
    if !s.quiet
        && let Some(note) = crate::engine::priced_note(prices, outcome)
    {
        eprintln!("harvest: note: {note}");
    }
    if !s.quiet {
        own_transfers_note(&s.engine.addresses, ledger, outcome);
        // A choice the law leaves open changed these figures: say so.
        let n = s.engine.assets.conversions(ledger);
        if n > 0 {
            eprintln!(
                "harvest: note: {n} trade{} converted one asset into another under [assets] same or migrations: no gain or loss, the lots keep their basis and dates",
                if n == 1 { "" } else { "s" }
            );
        }
    }
    reasons
}

/// How many own transfers (harvest.toml addresses) are listed by example.
const OWN_EXAMPLES: usize = 5;

/// Says on stderr which withdrawals to own addresses paired with their
/// deposits (so a pairing across files is never silent): the first few,
/// then a count.
fn own_transfers_note(
    book: &crate::engine::AddressBook,
    ledger: &Ledger,
    outcome: &crate::engine::Outcome,
) {
    let all = &outcome.own_transfers;
    for &(w, d) in all.iter().take(OWN_EXAMPLES) {
        let wr = &ledger.rows[w as usize];
        let what = wr.sent.map_or_else(String::new, |a| {
            format!("{} {}", a.qty.normalize(), ledger.syms.name(a.asset))
        });
        let sender = ledger.syms.name(wr.account);
        let to = match book.destination(sender, ledger.note(wr)) {
            Some(
                crate::engine::Destination::Own(o) | crate::engine::Destination::SelfTransfer(o),
            ) => {
                format!("{} ({})", o.address, o.account)
            }
            _ => "an own address".to_string(),
        };
        let outcome = match d {
            Some(d) => format!("paired with {}", ledger.locate(&ledger.rows[d as usize])),
            None => {
                "to its own account with no deposit: the units stayed (a self-transfer)".to_string()
            }
        };
        eprintln!(
            "harvest: note: own transfer: {} sent {what} to {to}, {outcome}",
            ledger.locate(wr)
        );
    }
    if all.len() > OWN_EXAMPLES {
        eprintln!(
            "harvest: note: ... and {} more own transfers (harvest.toml addresses)",
            all.len() - OWN_EXAMPLES
        );
    }
}

/// Warns, once per asset, when holdings are valued at a dated price more than
/// 24 hours older than the time they are valued at (`--as-of`, or now): a
/// year-old prices file must not value today's lots without a word.
pub(super) fn warn_stale_valuations<'a>(
    prices: &PriceTable,
    assets: impl Iterator<Item = &'a str>,
    when: chrono::DateTime<chrono::Utc>,
    quiet: bool,
) {
    if quiet {
        return;
    }
    // Holdings come sorted by asset: equal neighbours are dropped as they come.
    let mut seen: Vec<&str> = Vec::new();
    for a in assets {
        if seen.last() != Some(&a) {
            seen.push(a);
        }
    }
    seen.sort_unstable();
    seen.dedup();
    for a in seen {
        if let Some(p) = prices.stale_valuation(a, when) {
            eprintln!(
                "harvest: warning: {a} valued at its price of {} from {}, {} before {}; add a price of that day",
                p.time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                p.source,
                crate::time::age(when - p.time),
                when.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            );
        }
    }
}

/// Whether `--late-identification` (or `late_identification = true`) asks for
/// the what-if in which LIFO and HIFO pick lots that nothing identified in time.
/// `--strict-identification` and `strict_identification = true` ask for the
/// default (FIFO) and stay accepted; asking for both is a usage error.
fn late_identification(a: &EngineArgs, file: &FileConfig, file_name: &str) -> anyhow::Result<bool> {
    let late = a.late_identification
        || (!a.strict_identification && file.late_identification == Some(true));
    if late && (a.strict_identification || file.strict_identification == Some(true)) {
        return Err(UsageError(format!(
            "--late-identification (late_identification) and --strict-identification (strict_identification in {file_name}) ask for opposite things: FIFO where nothing identified the lots in time is the default; give only --late-identification for the what-if"
        ))
        .into());
    }
    Ok(late)
}

/// The standing orders of harvest.toml, with their times.
fn standing_orders(
    file: &FileConfig,
    file_name: &str,
    tz: Tz,
) -> anyhow::Result<Vec<StandingOrder>> {
    let mut out = Vec::new();
    for (n, so) in file.standing_orders.iter().enumerate() {
        let at = format!("{file_name}: [[standing_order]] number {}", n + 1);
        let method = match so.method {
            MethodArg::Fifo => Method::Fifo,
            MethodArg::Lifo => Method::Lifo,
            MethodArg::Hifo => Method::Hifo,
            MethodArg::Specific => {
                return Err(UsageError(format!(
                    "{at}: method is fifo, lifo or hifo (specific identification is the --selections file)"
                ))
                .into());
            }
        };
        let bad = || {
            UsageError(format!(
                "{at}: from = {} is not a date (YYYY-MM-DD) or a time with an offset (2025-01-01T09:00:00-05:00)",
                so.from
            ))
        };
        let text = crate::config::time_text(&so.from).ok_or_else(bad)?;
        let from = match chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
            Ok(d) => crate::time::start_of_day(d, tz),
            Err(_) => crate::time::parse_time(&text, tz).map_err(|_| bad())?,
        };
        out.push(StandingOrder {
            from,
            method,
            accounts: so.accounts.clone(),
        });
    }
    Ok(out)
}

/// The transition settings: `[transition]` of harvest.toml and `--allocation`.
fn transition(
    a: &EngineArgs,
    file: &FileConfig,
    file_name: &str,
    scope: Scope,
) -> anyhow::Result<Transition> {
    let mut t = Transition::default();
    let c = file.transition.clone().unwrap_or_default();
    if let Some(r) = &c.rule {
        t.rule = AllocationRule::parse(r).ok_or_else(|| {
            UsageError(format!(
                "{file_name}: [transition] rule = {r:?} is not a rule: use {}",
                AllocationRule::ALL.map(|r| r.as_str()).join(", ")
            ))
        })?;
        t.named = true;
    }
    if let Some(w) = &c.wallets {
        t.wallets = WalletOrder::Listed(w.clone());
        t.named = true;
    }
    if let Some(v) = &c.recorded {
        t.recorded = Some(
            crate::config::time_text(v)
                .and_then(|s| chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok())
                .ok_or_else(|| {
                    UsageError(format!(
                        "{file_name}: [transition] recorded = {v} is not a date (YYYY-MM-DD)"
                    ))
                })?,
        );
    }
    let frozen = a.allocation.clone().or(c.allocation);
    if let Some(path) = frozen {
        if scope != Scope::Transition {
            return Err(UsageError(
                "--allocation is used with --scope transition (the default)".into(),
            )
            .into());
        }
        let name = path.display().to_string();
        let bytes = read_all(&name)?;
        let f = crate::engine::FrozenAllocation::read(bytes.as_slice(), &name)?;
        if let Some(d) = f.as_of
            && d != t.date
        {
            return Err(UsageError(format!(
                "{name}: the allocation is as of {d}, but the transition is on {}",
                t.date
            ))
            .into());
        }
        t.frozen = Some(std::sync::Arc::new(f));
    }
    Ok(t)
}

/// Everything read from the inputs of an engine command.
pub struct Loaded {
    pub ledger: Ledger,
    pub prices: Option<PriceTable>,
    pub selections: Option<Selections>,
    /// The bar of a large input (see [`super::progress`]), shown through lot
    /// matching; commands call [`Loaded::done`] before they print.
    pub progress: super::progress::Progress,
    /// Each input's account of its rows, in one line (what stderr shows of
    /// the exports read and the repeated rows dropped).
    pub accounts: Vec<String>,
    /// With [`Settings::sum_inputs`], the size and SHA-256 of each input as
    /// it was read, in the order given (none for standard input).
    pub sums: Vec<Option<crate::statement::FileSum>>,
}

impl Loaded {
    /// Lot matching is done: the bar goes, so that what is printed next does
    /// not mix with it.
    pub fn done(&self) {
        self.progress.finish();
    }
}

/// Reads a whole input; `-` is standard input.
pub(crate) fn read_all(name: &str) -> anyhow::Result<Vec<u8>> {
    let mut buf = Vec::new();
    if name == "-" {
        std::io::stdin()
            .lock()
            .read_to_end(&mut buf)
            .context("reading standard input")?;
    } else {
        File::open(name)
            .and_then(|mut f| f.read_to_end(&mut buf))
            .with_context(|| format!("{name}: cannot read"))?;
    }
    Ok(buf)
}

fn open(path: &Path) -> anyhow::Result<File> {
    File::open(path).with_context(|| format!("{}: cannot read", path.display()))
}

/// Reads the inputs, prices and selections named by `a`.
pub fn load(a: &EngineArgs, s: &Settings) -> anyhow::Result<Loaded> {
    let tz = s.engine.tz;
    let prices = match &s.prices {
        Some(p) => Some(PriceTable::read(open(p)?, &p.display().to_string(), tz)?),
        None => None,
    };
    let selections = match &a.selections {
        Some(p) => Some(Selections::read(open(p)?, &p.display().to_string())?),
        None => None,
    };
    let mut b = LedgerBuilder::new(tz);
    let progress = super::progress::Progress::for_inputs(&a.inputs, s.quiet);
    let accounts: Vec<String>;
    let mut sums = Vec::with_capacity(a.inputs.len());
    {
        // Exchange exports are imported on the fly; one importer drops rows seen
        // twice in overlapping exports, across files.
        let mut importer = Importer::new(ImportOptions {
            account: None,
            prices: prices.as_ref(),
            tz,
            accounts: s.import_accounts.clone(),
        });
        importer.set_evm(s.evm.clone());
        // The on-chain downloads are read once before, as import reads them:
        // the rows of a transaction in an address's normal, internal and
        // token downloads are one event whatever the order of the files.
        for name in a.inputs.iter().filter(|n| *n != "-") {
            let mut head = Vec::new();
            let read = File::open(name).and_then(|f| f.take(1 << 16).read_to_end(&mut head));
            let evm = matches!(
                import::detect(&head),
                Some(Format::Etherscan | Format::EtherscanInternal | Format::EtherscanTokens)
            );
            if read.is_ok() && evm {
                let text = import::Text::file(Path::new(name), None)
                    .with_context(|| format!("{name}: cannot read"))?;
                importer.prepare(&text, name, None);
            }
        }
        // Each input's account of its rows, printed once every input is read
        // (a later file may take rows over from an earlier one).
        let mut reports: Vec<Report> = Vec::new();
        // With several inputs, a ledger's rows are judged against every row
        // read before, by import's rule (same id and facts: a duplicate,
        // dropped; same id, other facts: an error), and the exports' rows
        // against them. One input cannot repeat another's rows, and its ids
        // are checked once sorted, without holding them twice.
        let several = a.inputs.len() > 1;
        for name in &a.inputs {
            let display = if name == "-" {
                "<stdin>"
            } else {
                name.as_str()
            };
            // A ledger is streamed (a decade of trades need not sit in memory
            // twice); the format is told from the first buffer.
            let mut sum = None;
            let mut input: Box<dyn BufRead> = if name == "-" {
                Box::new(BufReader::with_capacity(1 << 18, std::io::stdin()))
            } else {
                let f = File::open(name).with_context(|| format!("{name}: cannot read"))?;
                let f: Box<dyn Read> = if s.sum_inputs {
                    let f = Summing::new(f);
                    sum = Some(f.handle());
                    progress.wrap(name, f)
                } else {
                    progress.wrap(name, f)
                };
                Box::new(BufReader::with_capacity(1 << 18, f))
            };
            let head = input
                .fill_buf()
                .with_context(|| format!("{display}: cannot read"))?;
            if import::detect(head) == Some(Format::Ledger) {
                // A ledger row takes 60 bytes or more of CSV.
                if let Ok(m) = std::fs::metadata(name) {
                    let rows = usize::try_from(m.len() / 60).unwrap_or(0);
                    b.expect_rows(rows);
                    if several {
                        importer.seen_ids().reserve(rows);
                    }
                }
                let before = b.rows_read();
                let (mut dropped, mut first) = (0, None);
                let seen = importer.seen_ids();
                let mut check = |f: &[&str; crate::model::COLUMNS], line| {
                    let r = seen.judge(f, true, display, line, 1);
                    if let Repeat::Duplicate { first: at } = &r {
                        dropped += 1;
                        first.get_or_insert_with(|| at.clone());
                    }
                    r
                };
                b.read_csv_checked(input, display, several.then_some(&mut check))?;
                sums.push(sum.and_then(|h| h.take().finish(name)));
                if b.rows_read() == before && dropped == 0 && !s.quiet {
                    eprintln!("harvest: warning: {display}: a header and no rows");
                }
                if let Some(first) = first {
                    reports.push(Report::Ledger {
                        display: display.to_string(),
                        dropped,
                        first,
                    });
                }
                continue;
            }
            let mut data = Vec::new();
            input
                .read_to_end(&mut data)
                .with_context(|| format!("{display}: cannot read"))?;
            sums.push(sum.and_then(|h| h.take().finish(name)));
            let mut imported = importer.import(&data, display, None)?;
            let file: std::sync::Arc<str> = display.into();
            let idx = b.add_file(display);
            for (line, rec) in imported.records.drain(..) {
                b.add_record(&rec, &file, idx, line);
            }
            b.add_reported(idx, std::mem::take(&mut imported.balances));
            reports.push(Report::Export {
                display: display.to_string(),
                imported,
                idx,
            });
        }
        let sups = importer.take_superseded();
        for r in &mut reports {
            if let Report::Export { imported, idx, .. } = r {
                let mine = || sups.iter().filter(|s| s.seq == imported.seq);
                imported.stats.supersede(mine());
                for s in mine() {
                    b.drop_rows(*idx, &s.ids);
                }
            }
        }
        if !s.quiet {
            progress.suspend(|| {
                let mut err = std::io::stderr().lock();
                reports.iter().try_for_each(|r| r.write(&mut err))
            })?;
        }
        accounts = reports.iter().map(Report::summary).collect();
    }
    progress.message("sorting and checking rows");
    // A ledger with no rows is valid: a year without trades still has its
    // carryovers (Schedule D lines 6 and 14, the carryover worksheet).
    let mut ledger = b.finish()?;
    // Withdrawals to addresses an account pays (harvest.toml `payments`) are
    // spends; the rest of the run, `harvest prices` included, sees them so.
    let paid = crate::engine::mark_payments(&mut ledger, &s.engine.addresses);
    if let Some(&first) = paid.first()
        && !s.quiet
    {
        progress.suspend(|| {
            let (n, first) = (paid.len(), ledger.locate(&ledger.rows[first as usize]));
            if n == 1 {
                eprintln!(
                    "harvest: note: the withdrawal {first} goes to a payment address (harvest.toml payments): it is a spend, a disposal at its value"
                );
            } else {
                eprintln!(
                    "harvest: note: {n} withdrawals to payment addresses (harvest.toml payments) are spends, disposals at their value (the first at {first})"
                );
            }
        });
    }
    if let Some((here, first)) = ledger.repeats_dropped.first()
        && !s.quiet
    {
        progress.finish();
        eprintln!(
            "harvest: note: {} dropped: a row with the id and facts of an earlier row is the same row twice, as import drops it (the first at {here}, repeating {first})",
            crate::render::count(ledger.repeats_dropped.len(), "repeated row")
        );
    }
    // Lot matching comes next: the bar stays, with what it is doing.
    progress.message("matching lots");
    Ok(Loaded {
        ledger,
        prices,
        selections,
        progress,
        accounts,
        sums,
    })
}

/// What one input gave, for stderr.
enum Report {
    /// An export: import's account of its rows; the ledger's index of the file.
    Export {
        display: String,
        imported: import::Imported,
        idx: u32,
    },
    /// A ledger some of whose rows were read before (the first of them at `first`).
    Ledger {
        display: String,
        dropped: usize,
        first: String,
    },
}

impl Report {
    /// [`Report::write`] in one line.
    fn summary(&self) -> String {
        match self {
            Report::Export {
                display, imported, ..
            } => imported.stats.summary(display, imported.format),
            Report::Ledger {
                display,
                dropped,
                first,
            } => format!(
                "{display}: format ledger: {dropped} duplicates dropped (rows with the id and facts of rows read before, the first at {first})"
            ),
        }
    }

    fn write(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        match self {
            Report::Export {
                display, imported, ..
            } => imported.stats.write_account(w, display, imported.format),
            Report::Ledger {
                display,
                dropped,
                first,
            } => writeln!(
                w,
                "{display}: format ledger\n  duplicates dropped:  {dropped} (rows with the id and \
                 facts of rows read before, the first at {first})"
            ),
        }
    }
}

/// The ledger, matched, with the Form 8949 rows of one tax year.
pub struct Matched {
    pub loaded: Loaded,
    pub outcome: crate::engine::Outcome,
    pub rows: Vec<crate::tax::GainRow>,
}

impl Matched {
    /// The rows sold in the year, in ledger order.
    pub fn year_rows(&self) -> Vec<&crate::tax::GainRow> {
        self.rows.iter().collect()
    }

    /// The account that sold a Form 8949 row.
    pub fn account_of(&self, r: &crate::tax::GainRow) -> crate::model::Sym {
        let d = &self.outcome.disposals[r.disposal as usize];
        self.loaded.ledger.rows[d.row as usize].account
    }

    /// From 2027, the note on broker accounts' identification (see
    /// [`broker_identification_note`]) for the year's rows, said on stderr
    /// unless quiet, and returned for a report's statement.
    pub(super) fn broker_note(&self, s: &Settings, year: i32) -> Option<String> {
        let ledger = &self.loaded.ledger;
        let note = broker_identification_note(
            s,
            ledger,
            self.rows.iter().map(|r| self.account_of(r)),
            year,
        );
        if let Some(n) = &note
            && !s.quiet
        {
            eprintln!("harvest: note: {n}");
        }
        note
    }
}

/// Loads the inputs, runs the engine over all of them, prints its warnings, and
/// builds the Form 8949 rows of `year`.
pub fn match_all(a: &EngineArgs, s: &Settings, year: i32) -> anyhow::Result<Matched> {
    let loaded = load(a, s)?;
    // Only the year's disposals are kept: memory grows with the year asked,
    // not with every disposal of the history.
    let cfg = s.engine.keeping(crate::engine::Keep::Year(year));
    let outcome = crate::engine::run(
        &loaded.ledger,
        &cfg,
        loaded.prices.as_ref(),
        loaded.selections.as_ref(),
        None,
    )?;
    loaded.progress.message("building Form 8949 rows");
    let rows = crate::tax::build_rows_where(&loaded.ledger, &outcome, &s.boxes, |d| {
        chrono::Datelike::year(&d.date) == year
    });
    loaded.done();
    if !s.quiet && !outcome.warnings.is_empty() {
        eprint!("{}", outcome.warnings);
    }
    #[cfg(debug_assertions)]
    check_full_run(&loaded, s, year, &outcome, &rows);
    Ok(Matched {
        loaded,
        outcome,
        rows,
    })
}

/// Debug builds run the engine again keeping every disposal, and check that
/// it gives the year's rows and the warnings the run for one year gave; and
/// once more with the lots held at the end, to check the run's invariants.
#[cfg(debug_assertions)]
fn check_full_run(
    loaded: &Loaded,
    s: &Settings,
    year: i32,
    outcome: &crate::engine::Outcome,
    rows: &[crate::tax::GainRow],
) {
    let run = |snapshot| {
        crate::engine::run(
            &loaded.ledger,
            &s.engine,
            loaded.prices.as_ref(),
            loaded.selections.as_ref(),
            snapshot,
        )
        .unwrap_or_else(|e| panic!("internal error: a second run failed: {e}"))
    };
    let held = run(Some(chrono::DateTime::<chrono::Utc>::MAX_UTC));
    let all = crate::tax::build_rows(&loaded.ledger, &held, &s.boxes);
    if let Err(e) = crate::tax::check_invariants(&loaded.ledger, &s.engine, &held, &all) {
        panic!("internal error: an invariant broke: {e}");
    }
    let full = run(None);
    let all = crate::tax::build_rows(&loaded.ledger, &full, &s.boxes);
    // Disposal numbers differ; the disposal's row and everything else agree.
    let seen = |o: &crate::engine::Outcome, r: &crate::tax::GainRow| {
        let mut r = r.clone();
        r.disposal = o.disposals[r.disposal as usize].row;
        format!("{r:?}")
    };
    let want: Vec<String> = all
        .iter()
        .filter(|r| chrono::Datelike::year(&r.date_sold) == year)
        .map(|r| seen(&full, r))
        .collect();
    let got: Vec<String> = rows.iter().map(|r| seen(outcome, r)).collect();
    assert!(
        want == got,
        "internal error: the year's rows differ from a full run's"
    );
    assert_eq!(
        outcome.warnings.to_string(),
        full.warnings.to_string(),
        "internal error: the year's run warned otherwise"
    );
}

/// The statement of the run's settings and files (see [`crate::statement`]):
/// the inputs as `read` summed them while they were read (with
/// [`Settings::sum_inputs`]), the other files summed here, which the report's
/// JSON and HTML and the audit pay for; `forms` are the Forms 1099-DA read,
/// `notes` what the run said on stderr about its figures.
pub(super) fn statement(
    a: &EngineArgs,
    s: &Settings,
    read: &[Option<crate::statement::FileSum>],
    prices: Option<&PriceTable>,
    outcome: &crate::engine::Outcome,
    forms: &[String],
    notes: Vec<String>,
) -> anyhow::Result<crate::statement::Statement> {
    use crate::statement::{FileSum, Statement};
    let sum = |name: &str| FileSum::of(name).with_context(|| format!("{name}: cannot read"));
    let mut st = Statement::of(&s.engine);
    // Each input as it was read, when it was summed then.
    st.inputs = a
        .inputs
        .iter()
        .enumerate()
        .map(|(i, n)| match read.get(i) {
            Some(Some(f)) => Ok(f.clone()),
            _ => sum(n),
        })
        .collect::<Result<_, _>>()?;
    let config = match &a.config {
        Some(p) => Some(p.display().to_string()),
        None => Path::new("harvest.toml")
            .exists()
            .then(|| "harvest.toml".to_string()),
    };
    st.config = config.as_deref().map(sum).transpose()?;
    st.prices = s
        .prices
        .as_ref()
        .map(|p| sum(&p.display().to_string()))
        .transpose()?;
    st.selections = a
        .selections
        .as_ref()
        .map(|p| sum(&p.display().to_string()))
        .transpose()?;
    st.allocation_file = s
        .engine
        .transition
        .frozen
        .as_ref()
        .filter(|_| s.engine.scope == Scope::Transition)
        .map(|f| sum(&f.file))
        .transpose()?;
    st.forms_1099da = forms
        .iter()
        .map(|spec| sum(super::reconcile::split_spec(spec).1))
        .collect::<Result<_, _>>()?;
    if let Some(p) = prices {
        st.price_sources = p
            .sources()
            .iter()
            .enumerate()
            .map(|(i, src)| (src.clone(), outcome.priced.get(i).copied().unwrap_or(0)))
            .collect();
    }
    st.notes = notes;
    Ok(st)
}

/// What [`announce`] says on stderr about a run's figures (not its what-if
/// reasons), as lines for an output file to keep.
pub(super) fn notes(
    s: &Settings,
    loaded: &Loaded,
    outcome: &crate::engine::Outcome,
) -> Vec<String> {
    let (ledger, prices) = (&loaded.ledger, loaded.prices.as_ref());
    let mut out = loaded.accounts.clone();
    if let Some(n) = crate::engine::priced_note(prices, outcome) {
        out.push(n);
    }
    let n = outcome.own_transfers.len();
    if n > 0 {
        out.push(format!(
            "{} to own addresses (harvest.toml) paired with their deposits or kept in their account",
            crate::render::count(n, "withdrawal")
        ));
    }
    let n = s.engine.assets.conversions(ledger);
    if n > 0 {
        out.push(format!(
            "{} converted one asset into another under [assets] same or migrations: no gain or loss, the lots keep their basis and dates",
            crate::render::count(n, "trade")
        ));
    }
    if let Some((here, first)) = ledger.repeats_dropped.first() {
        out.push(format!(
            "{} dropped: a row with the id and facts of an earlier row (the first at {here}, repeating {first})",
            crate::render::count(ledger.repeats_dropped.len(), "repeated row")
        ));
    }
    out
}

/// One line on the open gaps in the basis of a run (deposits of unknown
/// basis, disposals beyond the holdings, units never deposited), pointing to
/// `harvest audit`, which lists each; `None` when there are none.
pub(super) fn gaps_summary(
    ledger: &Ledger,
    outcome: &crate::engine::Outcome,
    year: i32,
) -> Option<String> {
    use crate::render::count;
    let unknown = outcome.warnings.count("deposit of unknown basis");
    let short = outcome.warnings.count("zero-basis shortfall");
    let outside: Vec<String> = outcome
        .outside
        .iter()
        .map(|(a, q)| format!("{} {}", q.normalize(), ledger.syms.name(*a)))
        .collect();
    if unknown + short == 0 && outside.is_empty() {
        return None;
    }
    let mut parts = Vec::new();
    if unknown > 0 {
        parts.push(format!("{} of unknown basis", count(unknown, "deposit")));
    }
    if short > 0 {
        parts.push(format!("{} beyond the holdings", count(short, "disposal")));
    }
    if !outside.is_empty() {
        parts.push(format!(
            "withdrawn and never deposited: {}",
            outside.join(", ")
        ));
    }
    Some(format!(
        "open gaps in the basis: {}; harvest audit --year {year} lists each with what each choice (zero basis, basis_usd, pairing) does to the year's gain",
        parts.join("; ")
    ))
}

/// From 2027, lots sold from a broker account are those identified to the
/// broker: the own-books relief of Notice 2026-20 (Rev. Proc. 2024-28's
/// transition, extended) covers sales through December 31, 2026 only
/// (Treas. Reg. 1.1012-1(j)(3)). One line naming the broker accounts that
/// sold in `year`, or `None` before 2027 or with none.
pub(super) fn broker_identification_note(
    s: &Settings,
    ledger: &Ledger,
    accounts: impl Iterator<Item = crate::model::Sym>,
    year: i32,
) -> Option<String> {
    if year < 2027 {
        return None;
    }
    let mut names: Vec<&str> = accounts
        .map(|a| crate::engine::account_name(ledger, a))
        .filter(|a| s.boxes.is_broker(a))
        .collect();
    names.sort_unstable();
    names.dedup();
    if names.is_empty() {
        return None;
    }
    Some(format!(
        "from 2027 the lots a sale in a broker account takes are those identified to the broker (its standing order, or a specific identification given to it by the sale): own-books identification ended with 2026 (Notice 2026-20); check that the method, standing orders and selections harvest uses for {} are what the broker was told; self-custody wallets keep own-books identification",
        names.join(", ")
    ))
}
