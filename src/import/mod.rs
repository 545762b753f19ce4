//! Exchange exports into normalized ledger records (SPEC section 4).
//!
//! This module owns what every format shares: decoding the bytes (BOM, UTF-8 or
//! Windows-1252), finding the header below any preamble, detecting the format,
//! deterministic row ids, duplicate detection across files, USD valuation (a row
//! nothing values is written without a USD value and counted, for the engine
//! to value from `--prices`), and the accounting of every input row (read =
//! used + skipped + duplicates). Each
//! format file owns its own columns and vocabulary and documents at its top how
//! that exchange's fee convention maps onto the ledger's (the ledger's fee is paid
//! on top of sent/received; a sell's received amount is the gross before the fee).
//! Validation of the records as ledger rows is left to `ledger::LedgerBuilder`.

mod binance;
mod binance_autoinvest;
mod binance_buy_crypto;
mod binance_convert;
mod binance_deposits;
mod binance_trades;
mod binance_us;
mod binance_withdrawals;
mod bitstamp;
mod cash_app;
mod coinbase;
mod coinbase_advanced;
mod coinbase_pro;
mod coinbase_transfers;
mod coinbase_wallet;
mod coinledger;
mod cointracker;
mod crypto_com;
mod dali;
mod electrum;
mod evm;
mod exodus;
mod gemini;
mod koinly;
mod koinly_trades;
mod kraken_ledgers;
mod kraken_trades;
mod kucoin;
mod ledger;
mod ledger_live;
pub mod num;
mod paypal;
mod robinhood;
mod sparrow;
mod trezor;

mod accounting;
mod cx;
mod draft;
mod duplicates;
mod format;
mod id_table;
mod importer;
mod sheet;
mod spool;
mod value;

pub use accounting::{
    ImportError, ImportStats, Named, NamedRow, PriceNeeded, RowProblem, StalePrice,
};
pub use draft::fmt_time;
pub use duplicates::{SeenIds, Superseded};
pub use evm::{CHAINS, EvmSettings, coingecko_platform, note_contracts};
pub use format::{Format, detect, known_formats};
pub use importer::{ImportOptions, Imported, Importer};
pub use sheet::{Fingerprint, Text};
pub use spool::Spool;

// Shared by the format files.
pub(crate) use accounting::{Entry, once_each};
pub(crate) use cx::{Cx, ISO_NAIVE, in_zone, parse_naive, parse_time_cell, plain_time};
pub(crate) use draft::{Draft, TradeIn, income_category, trade_record};
pub(crate) use sheet::{RowStream, Sheet, SheetRow};
pub(crate) use value::{is_fiat, is_foreign_money, is_stablecoin, mul};

/// The records `import` makes of `csv` (no prices, no account given, `--tz`
/// UTC), or the error's text: the importers' unit tests.
#[cfg(test)]
pub(crate) fn import_text(csv: &str) -> Result<Vec<crate::model::Record>, String> {
    import_whole(csv).map(|i| i.records.into_iter().map(|(_, r)| r).collect())
}

/// Imports `text` from a file named `name`, as [`import_text`] does, with a
/// progress bar fed by the reading: the records made, the bytes the bar was
/// told in all, and those told when the first record was made.
#[cfg(test)]
pub(crate) fn import_file_with_bar(name: &str, text: &str) -> (usize, u64, u64) {
    use std::sync::atomic::{AtomicU64, Ordering};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    let told = AtomicU64::new(0);
    let at_first = AtomicU64::new(u64::MAX);
    let on_read = |n: usize| {
        told.fetch_add(n as u64, Ordering::Relaxed);
    };
    let input = Text::file(&path, Some(&on_read)).unwrap();
    let mut importer = Importer::new(ImportOptions {
        account: None,
        accounts: Default::default(),
        prices: None,
        tz: chrono_tz::Tz::UTC,
    });
    let mut records = 0;
    importer
        .import_text(&input, name, None, &mut |_, _| {
            if records == 0 {
                at_first.store(told.load(Ordering::Relaxed), Ordering::Relaxed);
            }
            records += 1;
        })
        .unwrap();
    (records, told.into_inner(), at_first.into_inner())
}

/// All that `import` makes of `csv` (records, account, stated balances), as
/// [`import_text`] imports it.
#[cfg(test)]
pub(crate) fn import_whole(csv: &str) -> Result<Imported, String> {
    let opts = ImportOptions {
        account: None,
        accounts: Default::default(),
        prices: None,
        tz: chrono_tz::Tz::UTC,
    };
    Importer::new(opts)
        .import(csv.as_bytes(), "t.csv", None)
        .map_err(|e| e.to_string())
}
