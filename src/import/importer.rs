//! The importer: reads one file after another, finds its header and format,
//! has the format read its rows, values them, drops the rows already imported,
//! and checks that every input row is accounted for.

use std::collections::HashMap;

use chrono::DateTime;

use crate::ledger::Repeat;
use crate::model::Record;
use crate::readers::prices::PriceTable;

use super::accounting::{
    Entry, ImportError, ImportStats, PriceNeeded, RowProblem, StalePrice, price_needed, shorten,
};
use super::cx::Cx;
use super::duplicates::{KrakenOverlap, SeenIds, Superseded};
use super::format::{Format, PREAMBLE_ROWS, known_formats};
use super::sheet::{LineSet, RowStream, Sheet, SheetRow, Text};
use super::{
    binance, binance_autoinvest, binance_buy_crypto, binance_convert, binance_deposits,
    binance_trades, binance_us, binance_withdrawals, bitstamp, cash_app, coinbase,
    coinbase_advanced, coinbase_pro, coinbase_transfers, coinbase_wallet, coinledger, cointracker,
    crypto_com, dali, electrum, evm, exodus, gemini, koinly, koinly_trades, kraken_ledgers,
    kraken_trades, kucoin, ledger, ledger_live, paypal, robinhood, sparrow, trezor,
};

/// What the importer needs besides the file.
pub struct ImportOptions<'a> {
    /// `--account`: the account of every row (default: the exchange's name).
    pub account: Option<String>,
    /// `--prices`: values rows the export does not value.
    pub prices: Option<&'a PriceTable>,
    /// `--tz`: the zone of times written without one.
    pub tz: chrono_tz::Tz,
    /// `[import.accounts]` of harvest.toml: the account a row would be
    /// written with -> the account to write instead (`account` wins).
    pub accounts: std::collections::BTreeMap<String, String>,
}

impl ImportOptions<'_> {
    /// The account of a row that would be written with `default`: `--account`,
    /// else `default` as `[import.accounts]` renames it, else `default`.
    pub fn account_for(&self, default: &str) -> String {
        match &self.account {
            Some(a) => a.clone(),
            None => self
                .accounts
                .get(default)
                .cloned()
                .unwrap_or_else(|| default.to_string()),
        }
    }
}

/// The ledger records of one input file.
pub struct Imported {
    /// Which import of the [`Importer`] this is (0 for the first file), as
    /// [`Superseded::seq`] names it.
    pub seq: usize,
    pub format: Format,
    /// (1-based line in the input file, record), in file order, or reversed
    /// when the file lists the newest rows first.
    pub records: Vec<(u64, Record)>,
    pub stats: ImportStats,
    /// The file lists its newest rows first (see [`Importer::import_into`]).
    pub reversed: bool,
    /// The exchange's running balances the file states, when it has them
    /// (Kraken's ledgers); their `file` is set by the ledger builder.
    pub balances: Vec<crate::model::ReportedBalance>,
}

/// Imports files one after another, remembering every row id seen so that the
/// same exchange row in two overlapping exports is kept once.
pub struct Importer<'a> {
    opts: ImportOptions<'a>,
    /// Every id written so far.
    seen: SeenIds,
    /// How many files were imported.
    imports: usize,
    /// Kraken trades seen in trades.csv and in ledgers.csv.
    kraken: KrakenOverlap,
    /// The rows of the on-chain downloads, read before they are imported.
    evm: evm::Pool,
    /// Whether the balances the exports state are kept (see
    /// [`Importer::without_balances`]).
    balances: bool,
}

impl<'a> Importer<'a> {
    pub fn new(opts: ImportOptions<'a>) -> Self {
        Importer {
            opts,
            seen: SeenIds::default(),
            imports: 0,
            kraken: KrakenOverlap::default(),
            evm: evm::Pool::default(),
            balances: true,
        }
    }

    /// Keeps none of the balances the exports state ([`Imported::balances`]
    /// stays empty): `import` writes none (`balances` reads them from the
    /// exports themselves), and a Kraken ledgers export states one a row.
    pub fn without_balances(&mut self) {
        self.balances = false;
    }

    /// The settings of the on-chain downloads (`--chain`, own addresses,
    /// `[assets]`); set before [`Importer::prepare`].
    pub fn set_evm(&mut self, settings: evm::EvmSettings) {
        self.evm.set_settings(settings);
    }

    /// Reads an input ahead of the import when it is an on-chain download
    /// (any other is left alone), so that the rows of one transaction in the
    /// normal, internal and token downloads of an address are one event
    /// whichever file is imported first. A download not prepared is read on
    /// its own when imported.
    pub fn prepare(&mut self, text: &Text<'_>, file: &str, format: Option<Format>) {
        self.evm.add(text, file, format, true);
    }

    /// The ids seen so far, to judge the rows of a ledger read apart (streamed)
    /// by the same rule as the rows imported here.
    pub fn seen_ids(&mut self) -> &mut SeenIds {
        &mut self.seen
    }

    /// The rows of files imported earlier that a later file gave exactly (a
    /// Kraken trade), or gave again with other facts and won (see
    /// [`SeenIds::judge`]), since the last call: drop them from those files'
    /// records (see [`Superseded`]).
    pub fn take_superseded(&mut self) -> Vec<Superseded> {
        let mut all = std::mem::take(&mut self.kraken.superseded);
        all.extend(self.seen.take_superseded());
        all
    }

    /// `format` None = detect; Some forces it. Unknown header -> ImportError
    /// listing the known format names and the header seen.
    pub fn import(
        &mut self,
        data: &[u8],
        file: &str,
        format: Option<Format>,
    ) -> Result<Imported, ImportError> {
        let mut records = Vec::new();
        let mut imported = self.import_into(data, file, format, &mut |line, rec| {
            records.push((line, std::mem::take(rec)));
        })?;
        if imported.reversed {
            records.reverse();
        }
        imported.records = records;
        Ok(imported)
    }

    /// [`Importer::import`], handing each record to `sink` as it is made, in
    /// file order (`Imported::reversed` says whether the file lists the newest
    /// rows first; `Imported::records` stays empty). A harvest ledger and a
    /// Coinbase report are read row by row, so that a file of millions of rows
    /// never sits in memory as records. On an error the records already handed
    /// over are not to be used. The sink may take a record's strings (or swap
    /// them for others of the same kind): the importer does not read a record
    /// once handed over.
    pub fn import_into(
        &mut self,
        data: &[u8],
        file: &str,
        format: Option<Format>,
        sink: &mut dyn FnMut(u64, &mut Record),
    ) -> Result<Imported, ImportError> {
        self.import_text(&Text::bytes(data), file, format, sink)
    }

    /// [`Importer::import_into`] from a [`Text`]: a file is read in pieces
    /// and a row at a time, and never held whole.
    pub fn import_text(
        &mut self,
        text: &Text<'_>,
        file: &str,
        format: Option<Format>,
        sink: &mut dyn FnMut(u64, &mut Record),
    ) -> Result<Imported, ImportError> {
        let mut stream = RowStream::of(text, file, true)?;
        // The header is among the first rows; the rest is read after it.
        let mut rows = Vec::new();
        while rows.len() < PREAMBLE_ROWS {
            match stream.next_owned() {
                Ok(Some(r)) => rows.push(r),
                Ok(None) => break,
                // A quote left open in the first rows: the header may be above it.
                Err(e) => {
                    let header = rows.iter().find(|(_, c)| match format {
                        Some(f) => f.matches(c),
                        None => Format::ALL.iter().any(|f| f.matches(c)),
                    });
                    return Err(e.in_column_of(header.map(|(_, c)| c.as_slice())));
                }
            }
        }
        let found = rows
            .iter()
            .enumerate()
            .find_map(|(i, (_, cells))| match format {
                Some(f) => f.matches(cells).then_some((i, f)),
                None => Format::ALL
                    .into_iter()
                    .find(|f| f.matches(cells))
                    .map(|f| (i, f)),
            });
        let Some((hi, format)) = found else {
            // Every row is read first, so that a CSV error anywhere is the one
            // reported, as when the whole file was read up front.
            while let Some(r) = stream.next_owned()? {
                rows.push(r);
            }
            let first = rows
                .iter()
                .find(|(_, c)| c.iter().any(|x| !x.is_empty()))
                .map(|(l, c)| (*l, c.join(",")))
                .unwrap_or((1, String::new()));
            if !rows
                .iter()
                .any(|(_, c)| c.iter().any(|x| !x.trim().is_empty()))
            {
                return Err(ImportError::Empty {
                    file: file.into(),
                    known: known_formats(),
                });
            }
            return Err(match format {
                Some(f) => ImportError::HeaderNotFound {
                    file: file.into(),
                    line: first.0,
                    format: f,
                    header: shorten(&first.1),
                    known: known_formats(),
                },
                None => ImportError::UnknownFormat {
                    file: file.into(),
                    line: first.0,
                    header: shorten(&first.1),
                    known: known_formats(),
                },
            });
        };
        let data_rows = rows.split_off(hi + 1);
        let (header_line, header) = rows.pop().expect("the header row was found above");
        // Rows as wide as the header from here on: a quoted cell holding such
        // rows is an error (a quote left open and closed rows further on). The
        // rows read before the header was known are read again for it.
        let past_preamble = hi + 1 + data_rows.len();
        reread(text, file, &header, hi, past_preamble, false)?;
        stream.rdr.set_row_width(header.len());
        let sheet = Sheet {
            header_line,
            header,
            rows: data_rows
                .into_iter()
                .map(|(line, cells)| SheetRow::new(line, cells))
                .collect(),
        };
        // Every format reads its rows one at a time into one reused row
        // (those read with the header first): a file is never held whole. An
        // export whose rows depend on rows after them reads them again, by
        // a reading of its own for each time.
        let named = |e: ImportError| e.in_column_of(Some(&sheet.header));
        let account = self.opts.account_for(format.default_account());
        let mut cx = Cx::new(&self.opts, account, format);
        cx.keep_balances = self.balances;
        let seq = self.imports;
        self.imports += 1;
        self.seen
            .begin_file(file, seq, text.fingerprint(), format == Format::Ledger);
        let mut post = Post {
            format,
            file,
            header_line,
            seq,
            stats: ImportStats::default(),
            conflicts: Vec::new(),
            kept: None,
            pending: false,
            covered: LineSet::default(),
            first: None,
            last: String::new(),
            links: HashMap::new(),
            seen: &mut self.seen,
            kraken: &mut self.kraken,
            sink,
        };
        // Another reading of the rows, of its own, for an export read more
        // than once (the text is told how many times first).
        let again = || reread(text, file, &sheet.header, hi, past_preamble, true);
        // Each format hands its entries over as it makes them.
        match format {
            Format::Ledger => {
                let warmer = post.seen.warmer();
                let warm = |id: &str| warmer.id(id);
                ledger::parse_stream(&sheet, &mut stream, &mut cx, &warm, &mut |cx, e| {
                    post.entry(cx, e)
                })
                .map_err(named)?;
            }
            Format::Coinbase if !coinbase_wallet::matches(&sheet.header) => {
                // The CSV is split on a thread of its own: making the records
                // is most of the work, and it is on this one.
                let prep = coinbase::prep(&sheet, cx.opts.tz);
                let (warmer, prefix) = (post.seen.warmer(), format.id_prefix());
                let warm = |id: &str| warmer.exchange_id(prefix, id);
                super::sheet::read_ahead(&mut stream, prep, |rows| {
                    coinbase::parse_stream(&sheet, rows, &mut cx, &warm, &mut |cx, e| {
                        post.entry(cx, e)
                    })
                })
                .map_err(named)?;
            }
            Format::Electrum => {
                electrum::parse_stream(&sheet, &mut stream, &mut cx, &mut |cx, mut e| {
                    post.entry(cx, &mut e)
                })
                .map_err(named)?;
            }
            Format::Sparrow => {
                sparrow::parse_stream(&sheet, &mut stream, &mut cx, &mut |cx, mut e| {
                    post.entry(cx, &mut e)
                })
                .map_err(named)?;
            }
            Format::LedgerLive => {
                ledger_live::parse_stream(&sheet, &mut stream, &mut cx, &mut |cx, mut e| {
                    post.entry(cx, &mut e)
                })
                .map_err(named)?;
            }
            Format::Trezor => {
                trezor::parse_stream(&sheet, &mut stream, &mut cx, &mut |cx, mut e| {
                    post.entry(cx, &mut e)
                })
                .map_err(named)?;
            }
            Format::Exodus => {
                exodus::parse_stream(&sheet, &mut stream, &mut cx, &mut |cx, mut e| {
                    post.entry(cx, &mut e)
                })
                .map_err(named)?;
            }
            Format::Etherscan | Format::EtherscanInternal | Format::EtherscanTokens => {
                let print = text.fingerprint();
                if !self.evm.knows(print) {
                    self.evm.add(text, file, Some(format), false);
                }
                evm::parse_stream(
                    &sheet,
                    &mut stream,
                    &mut cx,
                    &mut self.evm,
                    print,
                    &mut |cx, mut e| post.entry(cx, &mut e),
                )
                .map_err(named)?;
            }
            Format::CashApp => {
                cash_app::parse_stream(&sheet, &mut stream, &mut cx, &mut |cx, mut e| {
                    post.entry(cx, &mut e)
                })
                .map_err(named)?;
            }
            Format::Paypal => {
                paypal::parse_stream(&sheet, &mut stream, &mut cx, &mut |cx, mut e| {
                    post.entry(cx, &mut e)
                })
                .map_err(named)?;
            }
            Format::Robinhood => {
                robinhood::parse_stream(&sheet, &mut stream, &mut cx, &mut |cx, mut e| {
                    post.entry(cx, &mut e)
                })
                .map_err(named)?;
            }
            Format::CryptoCom => {
                crypto_com::parse_stream(&sheet, &mut stream, &mut cx, &mut |cx, mut e| {
                    post.entry(cx, &mut e)
                })
                .map_err(named)?;
            }
            Format::Bitstamp => {
                bitstamp::parse_stream(&sheet, &mut stream, &mut cx, &mut |cx, mut e| {
                    post.entry(cx, &mut e)
                })
                .map_err(named)?;
            }
            Format::Kucoin => {
                kucoin::parse_stream(&sheet, &mut stream, &mut cx, &mut |cx, mut e| {
                    post.entry(cx, &mut e)
                })
                .map_err(named)?;
            }
            Format::CoinbaseTransfers => {
                coinbase_transfers::parse_stream(&sheet, &mut stream, &mut cx, &mut |cx, mut e| {
                    post.entry(cx, &mut e)
                })
                .map_err(named)?;
            }
            Format::BinanceBuyCrypto => {
                binance_buy_crypto::parse_stream(&sheet, &mut stream, &mut cx, &mut |cx, mut e| {
                    post.entry(cx, &mut e)
                })
                .map_err(named)?;
            }
            Format::Coinbase => {
                // The old wallet report's ids are ids only if no two rows
                // that differ share one: it is read twice, the second time
                // by a reading of its own.
                let mut second = coinbase_wallet::two_readings(&sheet)
                    .then(|| {
                        text.read_times(2);
                        again()
                    })
                    .transpose()?;
                coinbase_wallet::parse_stream(
                    &sheet,
                    &mut stream,
                    second.as_mut(),
                    &mut cx,
                    &mut |cx, mut e| post.entry(cx, &mut e),
                )
                .map_err(named)?;
            }
            Format::CoinbaseAdvanced => {
                coinbase_advanced::parse_stream(&sheet, &mut stream, &mut cx, &mut |cx, mut e| {
                    post.entry(cx, &mut e)
                })
                .map_err(named)?;
            }
            Format::CoinbasePro => {
                // A fill's rows share an order and trade id and may lie
                // apart: the rows are read twice, the second time by a
                // reading of its own.
                text.read_times(2);
                let mut second = again()?;
                coinbase_pro::parse_stream(
                    &sheet,
                    &mut stream,
                    &mut second,
                    &mut cx,
                    &mut |cx, mut e| post.entry(cx, &mut e),
                )
                .map_err(named)?;
            }
            Format::KrakenLedgers => {
                // A trade's legs may lie apart: the rows are read twice, the
                // second time by a reading of the file of its own.
                text.read_times(2);
                let mut second = again()?;
                kraken_ledgers::parse_stream(
                    &sheet,
                    &mut stream,
                    &mut second,
                    &mut cx,
                    &mut |cx, mut e| post.linked_entry(cx, &mut e),
                )
                .map_err(named)?;
            }
            Format::KrakenTrades => {
                kraken_trades::parse_stream(&sheet, &mut stream, &mut cx, &mut |cx, mut e| {
                    post.linked_entry(cx, &mut e)
                })
                .map_err(named)?;
            }
            Format::Binance => {
                // The rows of a second are one trade, made in time order
                // after the rows skipped and before the others: the rows
                // are read three times, each time by a reading of its own.
                text.read_times(3);
                let (mut second, mut third) = (again()?, again()?);
                binance::parse_stream(
                    &sheet,
                    &mut stream,
                    &mut second,
                    &mut third,
                    &mut cx,
                    &mut |cx, mut e| post.entry(cx, &mut e),
                )
                .map_err(named)?;
            }
            Format::BinanceTrades => {
                binance_trades::parse_stream(&sheet, &mut stream, &mut cx, &mut |cx, mut e| {
                    post.entry(cx, &mut e)
                })
                .map_err(named)?;
            }
            Format::BinanceUs => {
                binance_us::parse_stream(&sheet, &mut stream, &mut cx, &mut |cx, mut e| {
                    post.entry(cx, &mut e)
                })
                .map_err(named)?;
            }
            Format::BinanceDeposits => {
                binance_deposits::parse_stream(&sheet, &mut stream, &mut cx, &mut |cx, mut e| {
                    post.entry(cx, &mut e)
                })
                .map_err(named)?;
            }
            Format::BinanceWithdrawals => {
                binance_withdrawals::parse_stream(
                    &sheet,
                    &mut stream,
                    &mut cx,
                    &mut |cx, mut e| post.entry(cx, &mut e),
                )
                .map_err(named)?;
            }
            Format::BinanceConvert => {
                binance_convert::parse_stream(&sheet, &mut stream, &mut cx, &mut |cx, mut e| {
                    post.entry(cx, &mut e)
                })
                .map_err(named)?;
            }
            Format::BinanceAutoinvest => {
                binance_autoinvest::parse_stream(&sheet, &mut stream, &mut cx, &mut |cx, mut e| {
                    post.entry(cx, &mut e)
                })
                .map_err(named)?;
            }
            Format::Gemini => {
                gemini::parse_stream(&sheet, &mut stream, &mut cx, &mut |cx, mut e| {
                    post.entry(cx, &mut e)
                })
                .map_err(named)?;
            }
            Format::Koinly => {
                koinly::parse_stream(&sheet, &mut stream, &mut cx, &mut |cx, mut e| {
                    post.entry(cx, &mut e)
                })
                .map_err(named)?;
            }
            Format::KoinlyTrades => {
                koinly_trades::parse_stream(&sheet, &mut stream, &mut cx, &mut |cx, mut e| {
                    post.entry(cx, &mut e)
                })
                .map_err(named)?;
            }
            Format::Cointracker => {
                cointracker::parse_stream(&sheet, &mut stream, &mut cx, &mut |cx, mut e| {
                    post.entry(cx, &mut e)
                })
                .map_err(named)?;
            }
            Format::Coinledger => {
                coinledger::parse_stream(&sheet, &mut stream, &mut cx, &mut |cx, mut e| {
                    post.entry(cx, &mut e)
                })
                .map_err(named)?;
            }
            Format::Dali => {
                // An intra file's partial rows depend on rows anywhere in it:
                // it is read twice, the second time by a reading of its own.
                let mut second = dali::two_readings(&sheet)
                    .then(|| {
                        text.read_times(2);
                        again()
                    })
                    .transpose()?;
                dali::parse_stream(
                    &sheet,
                    &mut stream,
                    second.as_mut(),
                    &mut cx,
                    &mut |cx, mut e| post.entry(cx, &mut e),
                )
                .map_err(named)?;
            }
        }
        // The line of every data row, in file order (lines only increase).
        let mut lines = std::mem::take(&mut stream.lines);
        for r in &sheet.rows {
            lines.insert(r.line);
        }
        // Every data row must be accounted for: a row a format dropped without
        // saying why (an empty required cell) is reported here.
        if !cx.failed() {
            let covered = std::mem::take(&mut post.covered);
            for line in lines.iter() {
                if !covered.contains(line) {
                    cx.problem(
                        line,
                        None,
                        None,
                        "a cell this row needs is empty or unreadable (quantity, amount, time or \
                         currency); fill it in or remove the row",
                    );
                }
            }
        }
        if cx.failed() {
            let mut problems = cx.problems;
            problems.sort_by_key(|p| p.line);
            return Err(ImportError::BadRows {
                file: file.into(),
                problems,
                more: cx.more.len(),
            });
        }
        if !post.conflicts.is_empty() {
            let mut conflicts = std::mem::take(&mut post.conflicts);
            conflicts.sort_by_key(|p| p.line);
            return Err(ImportError::BadRows {
                file: file.into(),
                problems: conflicts,
                more: 0,
            });
        }
        let mut stats = std::mem::take(&mut post.stats);
        stats.read = lines.len();
        let skipped = stats.skipped_total();
        if stats.read != stats.used + skipped + stats.duplicates {
            return Err(ImportError::Unaccounted {
                file: file.into(),
                read: stats.read,
                used: stats.used,
                skipped,
                duplicates: stats.duplicates,
            });
        }
        // Newest-first exports (Coinbase since 2024) are turned around, so that
        // rows of the same second keep their real sequence after a stable sort.
        let last = DateTime::parse_from_rfc3339(&post.last).ok();
        let reversed = matches!((post.first, last), (Some(f), Some(l)) if f > l);
        Ok(Imported {
            seq,
            format,
            records: Vec::new(),
            stats,
            reversed,
            balances: std::mem::take(&mut cx.balances),
        })
    }
}

/// A reading of `text` from its start past its first `rows` rows (the header
/// at `hi`, and the rows read with it), its rows from there as wide as the
/// header: a quoted cell holding such rows is an error (a quote left open and
/// closed rows further on). `count`: its reading is reported to the text's
/// `on_read`.
fn reread<'t>(
    text: &'t Text<'_>,
    file: &'t str,
    header: &[String],
    hi: usize,
    rows: usize,
    count: bool,
) -> Result<RowStream<'t>, ImportError> {
    let mut again = RowStream::of(text, file, count)?;
    for k in 0..rows {
        if k == hi + 1 {
            again.rdr.set_row_width(header.len());
        }
        again.read().map_err(|e| e.in_column_of(Some(header)))?;
    }
    again.rdr.set_row_width(header.len());
    Ok(again)
}

/// What the importer does with each entry a format makes, as it comes: its
/// transfer fee valued, its rows counted, a record judged against the rows seen
/// before (and Kraken's two exports), and kept ones handed to the sink.
struct Post<'p, 's> {
    format: Format,
    file: &'p str,
    header_line: u64,
    seq: usize,
    stats: ImportStats,
    conflicts: Vec<RowProblem>,
    /// Whether the last ledger row was kept: the fee rows after it (Extra)
    /// go with it, so a trade dropped as a duplicate leaves no fee behind.
    kept: Option<bool>,
    /// Whether that row waits in `kraken.pending` (its fee rows join it).
    pending: bool,
    /// The data rows the entries account for.
    covered: LineSet,
    /// The times of the first and last record, to tell a newest-first file.
    first: Option<DateTime<chrono::FixedOffset>>,
    last: String,
    /// Ledger row id -> the exchange's ids of the event (Kraken).
    links: HashMap<String, Vec<String>>,
    seen: &'p mut SeenIds,
    kraken: &'p mut KrakenOverlap,
    sink: &'p mut (dyn FnMut(u64, &mut Record) + 's),
}

impl Post<'_, '_> {
    fn entry(&mut self, cx: &mut Cx, e: &mut Entry) {
        match &mut *e {
            Entry::Rec { rows, rec } => {
                for &r in rows.iter() {
                    self.covered.insert(r);
                }
                let line = rows.first().copied().unwrap_or(self.header_line);
                cx.value_transfer_fee(line, rec);
            }
            Entry::Extra { row, rec } => cx.value_transfer_fee(*row, rec),
            Entry::Skip { row, .. } => self.covered.insert(*row),
        }
        // Problems found while parsing: nothing is kept, but rows are still
        // covered so that the report names only the real problems.
        if cx.failed() {
            return;
        }
        match e {
            Entry::Skip { row, reason } => {
                self.kept = None;
                self.pending = false;
                self.stats
                    .first_skipped
                    .entry(reason.clone())
                    .or_insert(*row);
                *self.stats.skipped.entry(reason.clone()).or_default() += 1;
            }
            Entry::Rec { rows, rec } => {
                let line = rows.first().copied().unwrap_or(self.header_line);
                let keys = self.links.get(&rec.id);
                self.kept = Some(false);
                self.pending = false;
                if let Some(keys) = keys {
                    if self.format == Format::KrakenTrades && self.kraken.in_ledgers(keys) {
                        self.stats.duplicates += rows.len();
                        return;
                    }
                    if self.format == Format::KrakenLedgers {
                        for s in self.kraken.ledger_trade(keys) {
                            for id in &s.ids {
                                self.seen.forget(id);
                            }
                            self.kraken.superseded.push(s);
                        }
                    }
                }
                let ledger = self.format == Format::Ledger;
                match self
                    .seen
                    .judge(&rec.fields(), ledger, self.file, line, rows.len())
                {
                    Repeat::New => {
                        if let Some(keys) = keys.filter(|_| self.format == Format::KrakenTrades) {
                            let s = Superseded {
                                seq: self.seq,
                                ids: vec![rec.id.clone()],
                                rows: rows.len(),
                            };
                            self.kraken.wait(keys, s);
                            self.pending = true;
                        }
                        self.kept = Some(true);
                        self.stats.used += rows.len();
                        self.stats.written += 1;
                        self.keep(cx, line, rec);
                    }
                    Repeat::Duplicate { .. } => self.stats.duplicates += rows.len(),
                    Repeat::Conflict { first } => self.conflicts.push(RowProblem {
                        line,
                        column: Some("id".into()),
                        value: Some(rec.id.clone()),
                        problem: format!(
                            "is already used by a different row at {first}; give one of them \
                             a new id"
                        ),
                    }),
                }
            }
            Entry::Extra { row, rec } => {
                let row = *row;
                // A second ledger row made from rows already counted as used.
                if self.kept == Some(false) {
                    return;
                }
                let ledger = self.format == Format::Ledger;
                if let Repeat::New = self.seen.judge(&rec.fields(), ledger, self.file, row, 0) {
                    if self.pending
                        && let Some(s) = self.kraken.last_waiting()
                    {
                        s.ids.push(rec.id.clone());
                    }
                    self.stats.written += 1;
                    self.keep(cx, row, rec);
                }
            }
        }
    }

    /// [`Post::entry`] for a format read row by row that links its records
    /// to the exchange's ids (Kraken's): the links made for this entry are
    /// read with it, and then let go (a record is linked just before it is
    /// handed over, and only its own posting reads the link).
    fn linked_entry(&mut self, cx: &mut Cx, e: &mut Entry) {
        self.links.extend(cx.links.drain(..));
        self.entry(cx, e);
        self.links.clear();
    }

    /// A record written: counted if the engine will have to value it from a
    /// price, or if it was valued here at a stale one, then handed over.
    fn keep(&mut self, cx: &Cx, line: u64, rec: &mut Record) {
        // A trades.csv row may be taken back by a later ledgers.csv.
        let keep = self.format == Format::KrakenTrades;
        if let Some(asset) = price_needed(rec) {
            self.stats.need_price.push(line, keep, || PriceNeeded {
                id: rec.id.clone(),
                line,
                asset: asset.to_string(),
                time: rec.time.clone(),
            });
        }
        if !(cx.stale.is_empty() || rec.usd_value.is_empty() && rec.fee_usd.is_empty()) {
            let assets = [&rec.received_asset, &rec.sent_asset, &rec.fee_asset];
            let stale = assets
                .into_iter()
                .filter(|a| !a.is_empty())
                .find_map(|a| cx.stale.get(&(line, a.clone())).map(|s| (a, s)));
            if let Some((asset, &(priced_at, age))) = stale {
                self.stats.stale_prices.push(line, keep, || StalePrice {
                    id: rec.id.clone(),
                    line,
                    asset: asset.clone(),
                    priced_at,
                    age,
                });
            }
        }
        // Only the last record's time is read at the end: not one parse a row.
        if self.first.is_none() {
            self.first = DateTime::parse_from_rfc3339(&rec.time).ok();
        }
        self.last.clear();
        self.last.push_str(&rec.time);
        (self.sink)(line, rec);
    }
}
