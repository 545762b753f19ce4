//! Kraken `trades.csv`: order-book executions (the 13-column layout, the 2020
//! layout with margin-position columns, and the 2025 one with `aclass` and
//! `subclass`).
//!
//! Fee convention: `cost` is price x vol in the quote currency *excluding* the
//! fee, and `fee` is charged in the quote currency on top. So a buy sends `cost`
//! and a sell receives `cost` (gross), each with the fee in the fee columns,
//! exactly the ledger's convention. Kraken calls this fee an estimate; the
//! ledgers export is the exact record, so a trade also in a ledgers.csv given
//! (its `ledgers` column names the ledger rows of its legs, whose `refid` is its
//! txid) is booked from there, whichever file comes first (`Importer`).
//!
//! Pairs are `XBT/EUR` in new files and concatenated (`XXBTZUSD`, `DOTXBT`) in
//! old ones; those are split at a known quote code.

use super::sheet::{RowStream, SheetRow, stream_rows};
use super::{
    Cx, Entry, ISO_NAIVE, ImportError, Sheet, TradeIn, kraken_ledgers::asset_name, parse_time_cell,
};

pub(crate) fn matches(h: &[String]) -> bool {
    let has = |n: &str| h.iter().any(|c| c == n);
    has("txid")
        && has("ordertxid")
        && has("pair")
        && has("time")
        && has("type")
        && has("cost")
        && has("vol")
}

/// Quote codes a concatenated pair may end with, longest first.
const QUOTES: [&str; 24] = [
    "PYUSD", "ZUSD", "ZEUR", "ZGBP", "ZCAD", "ZJPY", "ZAUD", "ZCHF", "XXBT", "XETH", "USDT",
    "USDC", "USD", "EUR", "GBP", "CAD", "JPY", "AUD", "CHF", "XBT", "ETH", "DAI", "DOT", "BTC",
];

/// Splits a Kraken pair into (base, quote) ledger assets.
fn split_pair(pair: &str) -> Option<(String, String)> {
    let p = pair.trim().to_ascii_uppercase();
    if let Some((b, q)) = p.split_once('/') {
        return Some((asset_name(b), asset_name(q)));
    }
    QUOTES.iter().find_map(|q| {
        let base = p.strip_suffix(q)?;
        // A class-prefixed quote (`ZUSD`, `XXBT`) only follows a class-prefixed
        // base (`XXBTZUSD`, `ZEURZUSD`), or USDT (`USDTZUSD`, which Kraken
        // listed under its old names); `XTZGBP` is XTZ in GBP.
        let legacy = q.len() == 4 && (q.starts_with('Z') || q.starts_with('X'));
        let prefixed = base.len() == 4 && (base.starts_with('X') || base.starts_with('Z'));
        let ok = !base.is_empty() && (!legacy || prefixed || base == "USDT");
        ok.then(|| (asset_name(base), asset_name(q)))
    })
}

/// Reads the data rows one at a time, those already in `sheet` and then the
/// rest of `stream`: each row is one trade, whose entries go to `emit` at once.
pub(crate) fn parse_stream(
    sheet: &Sheet,
    stream: &mut RowStream,
    cx: &mut Cx,
    emit: &mut dyn FnMut(&mut Cx, Entry),
) -> Result<(), ImportError> {
    let c_txid = sheet.need(cx, &["txid"]);
    let c_pair = sheet.need(cx, &["pair"]);
    let c_time = sheet.need(cx, &["time"]);
    let c_type = sheet.need(cx, &["type"]);
    let c_cost = sheet.need(cx, &["cost"]);
    let c_fee = sheet.need(cx, &["fee"]);
    let c_vol = sheet.need(cx, &["vol"]);
    let c_margin = sheet.col(&["margin"]);
    let c_ledgers = sheet.col(&["ledgers"]);
    stream_rows(sheet, stream, cx, emit, |row, cx, out| {
        if let Some(row) = row {
            one_row(
                sheet,
                cx,
                row,
                out,
                [c_txid, c_pair, c_time, c_type, c_cost, c_fee, c_vol],
                c_margin,
                c_ledgers,
            );
        }
    })
}

/// The entries of one row of trades.csv. `c`: the columns of txid, pair,
/// time, type, cost, fee and vol.
fn one_row(
    sheet: &Sheet,
    cx: &mut Cx,
    row: &SheetRow,
    out: &mut Vec<Entry>,
    c: [usize; 7],
    c_margin: Option<usize>,
    c_ledgers: Option<usize>,
) {
    let [c_txid, c_pair, c_time, c_type, c_cost, c_fee, c_vol] = c;
    if !sheet.data_row(cx, row, c_time, out) {
        return;
    }
    let time = parse_time_cell(cx, row, c_time, "time", &ISO_NAIVE, chrono_tz::Tz::UTC);
    let cost = cx.required(row, c_cost, "cost");
    let fee = cx.number(row, c_fee, "fee");
    let vol = cx.required(row, c_vol, "vol");
    let margin = c_margin.and_then(|i| cx.number(row, i, "margin"));
    let pair = row.get(c_pair);
    let Some((base, quote)) = split_pair(pair) else {
        cx.problem(
            row.line,
            Some("pair"),
            Some(pair),
            "is not a pair this importer can split; import ledgers.csv instead",
        );
        return;
    };
    let (Some(time), Some(cost), Some(vol)) = (time, cost, vol) else {
        return;
    };
    if margin.is_some_and(|m| !m.is_zero()) {
        out.push(Entry::skip(
            row.line,
            "margin trade: not supported, report margin P&L separately",
        ));
        return;
    }
    let txid = row.get(c_txid);
    let fees = vec![(fee.unwrap_or_default().abs(), quote.clone())];
    let (sent, received) = match row.get(c_type).to_ascii_lowercase().as_str() {
        "buy" => ((cost.abs(), quote), (vol.abs(), base)),
        "sell" => ((vol.abs(), base), (cost.abs(), quote)),
        other => {
            cx.problem(
                row.line,
                Some("type"),
                Some(other),
                "is neither buy nor sell",
            );
            return;
        }
    };
    let id = cx.exchange_id(txid);
    // The ledger rows of the trade's legs, to find it in ledgers.csv.
    let ledgers = c_ledgers.map_or("", |i| row.get(i)).split(',');
    let keys = std::iter::once(txid.to_string()).chain(ledgers.map(|l| l.trim().to_string()));
    cx.link(&id, keys);
    super::trade_record(
        cx,
        TradeIn {
            id,
            rows: vec![row.line],
            time,
            sent,
            received,
            fees,
            usd_hint: None,
            note: String::new(),
        },
        out,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs() {
        let s = |p: &str| split_pair(p).map(|(a, b)| format!("{a}/{b}"));
        assert_eq!(s("XXBTZUSD").as_deref(), Some("BTC/USD"));
        assert_eq!(s("XETHZGBP").as_deref(), Some("ETH/GBP"));
        assert_eq!(s("DOTXBT").as_deref(), Some("DOT/BTC"));
        assert_eq!(s("XBT/EUR").as_deref(), Some("BTC/EUR"));
        assert_eq!(s("XTZGBP").as_deref(), Some("XTZ/GBP"));
        assert_eq!(s("XTZUSD").as_deref(), Some("XTZ/USD"));
        assert_eq!(s("USDTZUSD").as_deref(), Some("USDT/USD"));
        assert_eq!(s("USDTEUR").as_deref(), Some("USDT/EUR"));
        assert_eq!(s("ZEURZUSD").as_deref(), Some("EUR/USD"));
        assert_eq!(s("XBTUSDT").as_deref(), Some("BTC/USDT"));
    }
}
