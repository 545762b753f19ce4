//! Exchange exports into normalized ledger records (SPEC section 4).
//!
//! This module owns what every format shares: decoding the bytes (BOM, UTF-8 or
//! Windows-1252), finding the header below any preamble, detecting the format,
//! deterministic row ids, duplicate detection across files, USD valuation, and
//! the accounting of every input row (read = used + skipped + duplicates). Each
//! format file owns its own columns and vocabulary and documents at its top how
//! that exchange's fee convention maps onto the ledger's (the ledger's fee is paid
//! on top of sent/received; a sell's received amount is the gross before the fee).
//! Validation of the records as ledger rows is left to `ledger::LedgerBuilder`.

mod binance;
mod binance_autoinvest;
mod binance_convert;
mod binance_deposits;
mod binance_trades;
mod binance_us;
mod binance_withdrawals;
mod coinbase;
mod coinbase_advanced;
mod coinbase_pro;
mod coinbase_wallet;
mod coinledger;
mod cointracker;
mod dali;
mod gemini;
mod koinly;
mod koinly_trades;
mod kraken_ledgers;
mod kraken_trades;
mod ledger;
pub mod num;

mod accounting;
mod cx;
mod draft;
mod format;
mod sheet;
mod value;

pub(crate) use accounting::Entry;
use accounting::shorten;
pub use accounting::{ImportError, ImportStats, RowProblem};
pub(crate) use cx::{Cx, ISO_NAIVE, in_zone, parse_naive, parse_time_cell};
pub(crate) use draft::{Draft, TradeIn, trade_record};
use format::PREAMBLE_ROWS;
pub use format::{Format, detect, known_formats};
pub(crate) use sheet::{RowStream, Sheet, SheetRow, decode};
use value::value_transfer_fee;
pub(crate) use value::{is_fiat, is_stablecoin, mul};

use std::collections::HashMap;
use std::hash::BuildHasher;

use chrono::DateTime;

use crate::ledger::Repeat;
use crate::model::Record;
use crate::readers::prices::PriceTable;

/// What the importer needs besides the file.
pub struct ImportOptions<'a> {
    /// `--account`: the account of every row (default: the exchange's name).
    pub account: Option<String>,
    /// `--prices`: values rows the export does not value.
    pub prices: Option<&'a PriceTable>,
    /// `--tz`: the zone of times written without one.
    pub tz: chrono_tz::Tz,
}

/// Ledger rows of an earlier file that a later file gives exactly (a Kraken
/// trades.csv trade once ledgers.csv has it): the caller drops them from that
/// file's records, and from anything it built of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Superseded {
    /// The [`Imported::seq`] of the file whose rows these are.
    pub seq: usize,
    /// The ids of the ledger rows (the trade, then any fee row of it).
    pub ids: Vec<String>,
    /// The input rows they were made from.
    pub rows: usize,
}

impl Imported {
    /// Drops the rows of this file that `sups` names, counting them as
    /// duplicates (one pass over the records, however many there are).
    pub fn supersede(&mut self, sups: &[Superseded]) {
        let seq = self.seq;
        let mine: Vec<&Superseded> = sups.iter().filter(|s| s.seq == seq).collect();
        if mine.is_empty() {
            return;
        }
        let ids: std::collections::HashSet<&str> = (mine.iter())
            .flat_map(|s| s.ids.iter().map(String::as_str))
            .collect();
        self.records.retain(|(_, r)| !ids.contains(r.id.as_str()));
        for s in mine {
            self.stats.supersede(s);
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
}

/// Kraken's two exports overlap: a trade in trades.csv is also in ledgers.csv
/// (its `ledgers` column names the ledger rows of its legs, which share the
/// trade's id as `refid`). ledgers.csv is the exact record (trades.csv's fee is
/// an estimate and its time has fractions the ledger does not), so a trade in
/// both is booked from ledgers.csv whichever file comes first.
#[derive(Default)]
struct KrakenOverlap {
    /// The refids and ledger txids of the trades ledgers.csv gave.
    ledger_keys: std::collections::HashSet<String>,
    /// trades.csv rows kept so far (taken out once a ledgers.csv gives them).
    pending: Vec<Option<Superseded>>,
    /// Their txids and ledger txids -> their place in `pending`.
    pending_keys: HashMap<String, usize>,
    /// Those given up for ledgers.csv, for the caller to drop.
    superseded: Vec<Superseded>,
}

impl KrakenOverlap {
    fn in_ledgers(&self, keys: &[String]) -> bool {
        keys.iter().any(|k| self.ledger_keys.contains(k))
    }

    /// Keeps a trades.csv row until a ledgers.csv gives its trade.
    fn wait(&mut self, keys: &[String], s: Superseded) {
        for k in keys {
            self.pending_keys.insert(k.clone(), self.pending.len());
        }
        self.pending.push(Some(s));
    }

    /// The trades.csv row waiting last, to add its fee rows to.
    fn last_waiting(&mut self) -> Option<&mut Superseded> {
        self.pending.last_mut().and_then(Option::as_mut)
    }

    /// Notes a ledgers.csv trade; the trades.csv rows it gives are returned.
    fn ledger_trade(&mut self, keys: &[String]) -> Vec<Superseded> {
        self.ledger_keys.extend(keys.iter().cloned());
        let at = keys
            .iter()
            .filter_map(|k| self.pending_keys.get(k).copied());
        let at: std::collections::BTreeSet<usize> = at.collect();
        at.into_iter()
            .filter_map(|i| self.pending.get_mut(i).and_then(Option::take))
            .collect()
    }
}

impl<'a> Importer<'a> {
    pub fn new(opts: ImportOptions<'a>) -> Self {
        Importer {
            opts,
            seen: SeenIds::default(),
            imports: 0,
            kraken: KrakenOverlap::default(),
        }
    }

    /// The ids seen so far, to judge the rows of a ledger read apart (streamed)
    /// by the same rule as the rows imported here.
    pub fn seen_ids(&mut self) -> &mut SeenIds {
        &mut self.seen
    }

    /// The rows of files imported earlier that a later file gave exactly, since
    /// the last call: drop them from those files' records (see [`Superseded`]).
    pub fn take_superseded(&mut self) -> Vec<Superseded> {
        std::mem::take(&mut self.kraken.superseded)
    }

    /// `format` None = detect; Some forces it. Unknown header -> ImportError
    /// listing the known format names and the header seen.
    pub fn import(
        &mut self,
        data: &[u8],
        file: &str,
        format: Option<Format>,
    ) -> Result<Imported, ImportError> {
        let text = decode(data);
        let mut stream = RowStream::new(&text, file);
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
        let named = |e: ImportError| e.in_column_of(Some(&header));
        let mut again = RowStream::new(&text, file);
        for k in 0..hi + 1 + data_rows.len() {
            if k == hi + 1 {
                again.rdr.set_row_width(header.len());
            }
            again.read().map_err(named)?;
        }
        stream.rdr.set_row_width(header.len());
        let mut sheet = Sheet {
            header_line,
            header,
            rows: data_rows
                .into_iter()
                .map(|(line, cells)| SheetRow { line, cells })
                .collect(),
        };
        // A Coinbase report (the large exports) is read row by row into one
        // reused row; other formats see every row at once.
        let streamed = format == Format::Coinbase && !coinbase_wallet::matches(&sheet.header);
        let named = |e: ImportError| e.in_column_of(Some(&sheet.header));
        if !streamed {
            while let Some((line, cells)) = stream.next_owned().map_err(named)? {
                sheet.rows.push(SheetRow { line, cells });
            }
        }
        let account = self
            .opts
            .account
            .clone()
            .unwrap_or_else(|| format.default_account().to_string());
        let mut cx = Cx::new(&self.opts, account, format);
        let entries = match format {
            Format::Coinbase if streamed => {
                coinbase::parse_stream(&sheet, &mut stream, &mut cx).map_err(named)?
            }
            Format::Coinbase => coinbase_wallet::parse(&sheet, &mut cx),
            Format::CoinbaseAdvanced => coinbase_advanced::parse(&sheet, &mut cx),
            Format::CoinbasePro => coinbase_pro::parse(&sheet, &mut cx),
            Format::KrakenLedgers => kraken_ledgers::parse(&sheet, &mut cx),
            Format::KrakenTrades => kraken_trades::parse(&sheet, &mut cx),
            Format::Binance => binance::parse(&sheet, &mut cx),
            Format::BinanceTrades => binance_trades::parse(&sheet, &mut cx),
            Format::BinanceUs => binance_us::parse(&sheet, &mut cx),
            Format::BinanceDeposits => binance_deposits::parse(&sheet, &mut cx),
            Format::BinanceWithdrawals => binance_withdrawals::parse(&sheet, &mut cx),
            Format::BinanceConvert => binance_convert::parse(&sheet, &mut cx),
            Format::BinanceAutoinvest => binance_autoinvest::parse(&sheet, &mut cx),
            Format::Gemini => gemini::parse(&sheet, &mut cx),
            Format::Koinly => koinly::parse(&sheet, &mut cx),
            Format::KoinlyTrades => koinly_trades::parse(&sheet, &mut cx),
            Format::Cointracker => cointracker::parse(&sheet, &mut cx),
            Format::Coinledger => coinledger::parse(&sheet, &mut cx),
            Format::Dali => dali::parse(&sheet, &mut cx),
            Format::Ledger => ledger::parse(&sheet, &mut cx),
        };
        // The line of every data row, in file order (lines only increase).
        let mut lines: Vec<u64> = sheet.rows.iter().map(|r| r.line).collect();
        lines.extend_from_slice(&stream.lines);
        // Every data row must be accounted for: a row a format dropped without
        // saying why (an empty required cell) is reported here.
        if !cx.failed() {
            let mut covered = vec![false; lines.len()];
            let mut cover = |line: u64| {
                if let Ok(i) = lines.binary_search(&line) {
                    covered[i] = true;
                }
            };
            for e in &entries {
                match e {
                    Entry::Rec { rows, .. } => rows.iter().for_each(|&r| cover(r)),
                    Entry::Skip { row, .. } => cover(*row),
                    Entry::Extra { .. } => {}
                }
            }
            for (&line, _) in lines.iter().zip(&covered).filter(|(_, c)| !**c) {
                cx.problem(
                    line,
                    None,
                    None,
                    "a cell this row needs is empty or unreadable (quantity, amount, time or \
                     currency); fill it in or remove the row",
                );
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
        let mut stats = ImportStats {
            read: lines.len(),
            ..ImportStats::default()
        };
        let mut records = Vec::new();
        let mut entries = entries;
        for e in &mut entries {
            if let Entry::Rec { rec, .. } | Entry::Extra { rec, .. } = e {
                value_transfer_fee(rec, self.opts.prices);
            }
        }
        let links: HashMap<String, Vec<String>> =
            std::mem::take(&mut cx.links).into_iter().collect();
        let seq = self.imports;
        self.imports += 1;
        let mut conflicts = Vec::new();
        // Whether the last ledger row was kept: the fee rows after it (Extra)
        // go with it, so a trade dropped as a duplicate leaves no fee behind.
        let mut kept: Option<bool> = None;
        // Whether that row waits in `kraken.pending` (its fee rows join it).
        let mut pending = false;
        for e in entries {
            match e {
                Entry::Skip { row, reason } => {
                    kept = None;
                    pending = false;
                    stats.first_skipped.entry(reason.clone()).or_insert(row);
                    *stats.skipped.entry(reason).or_default() += 1;
                }
                Entry::Rec { rows, rec } => {
                    let line = rows.first().copied().unwrap_or(header_line);
                    let keys = links.get(&rec.id);
                    kept = Some(false);
                    pending = false;
                    if let Some(keys) = keys {
                        if format == Format::KrakenTrades && self.kraken.in_ledgers(keys) {
                            stats.duplicates += rows.len();
                            continue;
                        }
                        if format == Format::KrakenLedgers {
                            for s in self.kraken.ledger_trade(keys) {
                                for id in &s.ids {
                                    self.seen.forget(id);
                                }
                                self.kraken.superseded.push(s);
                            }
                        }
                    }
                    let ledger = format == Format::Ledger;
                    match self.seen.judge(&rec.fields(), ledger, file, line) {
                        Repeat::New => {
                            if let Some(keys) = keys.filter(|_| format == Format::KrakenTrades) {
                                let s = Superseded {
                                    seq,
                                    ids: vec![rec.id.clone()],
                                    rows: rows.len(),
                                };
                                self.kraken.wait(keys, s);
                                pending = true;
                            }
                            kept = Some(true);
                            stats.used += rows.len();
                            stats.written += 1;
                            records.push((line, rec));
                        }
                        Repeat::Duplicate { .. } => stats.duplicates += rows.len(),
                        Repeat::Conflict { first } => conflicts.push(RowProblem {
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
                    // A second ledger row made from rows already counted as used.
                    if kept == Some(false) {
                        continue;
                    }
                    let ledger = format == Format::Ledger;
                    if let Repeat::New = self.seen.judge(&rec.fields(), ledger, file, row) {
                        if pending && let Some(s) = self.kraken.last_waiting() {
                            s.ids.push(rec.id.clone());
                        }
                        stats.written += 1;
                        records.push((row, rec));
                    }
                }
            }
        }
        if !conflicts.is_empty() {
            conflicts.sort_by_key(|p| p.line);
            return Err(ImportError::BadRows {
                file: file.into(),
                problems: conflicts,
                more: 0,
            });
        }
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
        let when = |r: &Record| DateTime::parse_from_rfc3339(&r.time).ok();
        if let (Some(first), Some(last)) = (
            records.first().and_then(|(_, r)| when(r)),
            records.last().and_then(|(_, r)| when(r)),
        ) && first > last
        {
            records.reverse();
        }
        Ok(Imported {
            seq,
            format,
            records,
            stats,
        })
    }
}

/// Every row id of one run, with a hash of the row's facts (every column but
/// the id) and where it was first seen: the one rule for a repeated id, for
/// `import` and for the commands that read exports and ledgers together.
#[derive(Default)]
pub struct SeenIds {
    seen: rustc_hash::FxHashMap<crate::model::Text, (u64, u32, u64)>,
    /// The files read so far, indexed by the `seen` entries.
    files: Vec<String>,
}

impl SeenIds {
    /// Judges a row (the 14 ledger columns, id first) against the rows seen
    /// before it, and remembers it when new. The same id with the same facts
    /// is the same row seen again (an overlapping export, a ledger made from
    /// it): a duplicate. With other facts, a row of an export is still that
    /// exchange row (an exchange id names one row, whatever changed between
    /// exports, as Coinbase repeating an `ID` with another currency) and is a
    /// duplicate too; a row of a harvest ledger (`ledger` true) names a
    /// different event with a used id: a conflict.
    pub fn judge(&mut self, fields: &[&str; 14], ledger: bool, file: &str, line: u64) -> Repeat {
        // Cells harvest protected against formula injection count as written.
        // In memory only (ids are what is written), so the faster hash; each
        // cell trimmed, as `fnv` and the ledger reader do.
        let facts: [&str; 13] =
            std::array::from_fn(|i| crate::cell::unprotect(fields[i + 1]).trim());
        let h = rustc_hash::FxBuildHasher.hash_one(facts);
        if self.files.last().is_none_or(|f| f != file) {
            self.files.push(file.to_string());
        }
        let file_idx = (self.files.len() - 1) as u32;
        let at = |files: &[String], (f, l): (u32, u64)| {
            format!("{}:{l}", files.get(f as usize).map_or("?", |f| f.as_str()))
        };
        let id = fields[0].trim();
        match self.seen.get(id) {
            None => {
                self.seen.insert(id.into(), (h, file_idx, line));
                Repeat::New
            }
            Some(&(old, f, l)) if old == h || !ledger => Repeat::Duplicate {
                first: at(&self.files, (f, l)),
            },
            Some(&(_, f, l)) => Repeat::Conflict {
                first: at(&self.files, (f, l)),
            },
        }
    }

    /// Makes room for about `n` more ids at once (a large ledger's).
    pub fn reserve(&mut self, n: usize) {
        self.seen.reserve(n);
    }

    /// Forgets a row given up for a later copy (see [`Superseded`]).
    fn forget(&mut self, id: &str) {
        self.seen.remove(id);
    }
}

// ---------------------------------------------------------------------------
// Shared by the format files.

#[cfg(test)]
mod tests {
    use super::*;

    const KRAKEN_LEDGERS: &str = "\"txid\",\"refid\",\"time\",\"type\",\"subtype\",\"aclass\",\"asset\",\"amount\",\"fee\",\"balance\"
\"L1\",\"TX1\",\"2024-01-03 10:15:30\",\"trade\",\"\",\"currency\",\"ZUSD\",-2000.0000,3.2000,1.0000
\"L2\",\"TX1\",\"2024-01-03 10:15:30\",\"trade\",\"\",\"currency\",\"XXBT\",0.0500000000,0,0.0500000000
\"L3\",\"TX1\",\"2024-01-03 10:15:30\",\"trade\",\"\",\"currency\",\"XETH\",0,0.0010000000,1.0000000000
";
    const KRAKEN_TRADES: &str = "\"txid\",\"ordertxid\",\"pair\",\"time\",\"type\",\"ordertype\",\"price\",\"cost\",\"fee\",\"vol\",\"margin\",\"misc\",\"ledgers\"
\"TX1\",\"O1\",\"XXBTZUSD\",\"2024-01-03 10:15:30.25\",\"buy\",\"limit\",40000.0,2000.0,3.1,0.05,0.0,\"\",\"L1,L2,L3\"
";

    /// The ids of what `files`, imported in this order, leave in the ledger.
    fn kraken_ids(files: &[&str]) -> Vec<Vec<String>> {
        let prices = PriceTable::read(&b"asset,price\nETH,3000\n"[..], "p", chrono_tz::Tz::UTC);
        let prices = prices.ok();
        let mut imp = Importer::new(ImportOptions {
            account: None,
            prices: prices.as_ref(),
            tz: chrono_tz::Tz::UTC,
        });
        let mut out: Vec<Imported> = files
            .iter()
            .map(|f| imp.import(f.as_bytes(), "x.csv", None).unwrap())
            .collect();
        let sups = imp.take_superseded();
        for f in &mut out {
            f.supersede(&sups);
        }
        out.iter()
            .map(|i| i.records.iter().map(|(_, r)| r.id.clone()).collect())
            .collect()
    }

    #[test]
    fn a_kraken_trade_in_both_exports_is_the_ledgers_one_in_either_order() {
        // The ledger's trade with its ETH fee row; trades.csv's copy dropped.
        let from_ledgers = vec!["kraken-TX1".to_string(), "kraken-TX1-fee1".to_string()];
        assert_eq!(
            kraken_ids(&[KRAKEN_LEDGERS, KRAKEN_TRADES]),
            [from_ledgers.clone(), vec![]]
        );
        assert_eq!(
            kraken_ids(&[KRAKEN_TRADES, KRAKEN_LEDGERS]),
            [vec![], from_ledgers]
        );
        // An overlapping trades.csv again changes nothing.
        assert_eq!(
            kraken_ids(&[KRAKEN_TRADES, KRAKEN_LEDGERS, KRAKEN_TRADES])[2],
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_repeated_id_is_a_duplicate_unless_a_ledger_gives_it_other_facts() {
        let row = |id, qty, note| {
            [
                id,
                "2025-01-01T00:00:00Z",
                "cb",
                "buy",
                "1",
                "USD",
                qty,
                "BTC",
                "",
                "",
                "1",
                "",
                "",
                note,
            ]
        };
        let mut seen = SeenIds::default();
        assert_eq!(
            seen.judge(&row("a", "1", "=x"), true, "l.csv", 2),
            Repeat::New
        );
        let first = "l.csv:2".to_string();
        // The same facts, a formula-protected note read back as written.
        for ledger in [false, true] {
            let again = seen.judge(&row("a", "1", "'=x"), ledger, "e.csv", 5);
            assert_eq!(
                again,
                Repeat::Duplicate {
                    first: first.clone()
                }
            );
        }
        // Other facts: an export's row is still that exchange row; a ledger's is
        // another event with a used id.
        assert_eq!(
            seen.judge(&row("a", "2", "=x"), false, "e.csv", 6),
            Repeat::Duplicate {
                first: first.clone()
            }
        );
        assert_eq!(
            seen.judge(&row("a", "2", "=x"), true, "m.csv", 3),
            Repeat::Conflict { first }
        );
        assert_eq!(
            seen.judge(&row("b", "2", ""), true, "m.csv", 4),
            Repeat::New
        );
    }
}
