//! Coinbase's older "Transfers" report (Reports, Transfers; the sibling of the
//! pre-2019 per-wallet "Transactions" report): one row per buy, sell or bank
//! move of the account, `Timestamp,Type,<ASSET>,Subtotal,Fees,Total,Currency,
//! Price Per Coin,Payment Method,ID,Share`, where the third column is named
//! after the coin (`BTC`) and holds its quantity. `Timestamp` is local time
//! with its offset (`2016-03-01 09:12:44 -0800`), read as UTC; a file
//! re-saved by a spreadsheet without the offset is read in `--tz`.
//!
//! Fee convention: `Subtotal` is the money side before the fee and `Fees` the
//! Coinbase fee in `Currency`; a buy's `Total` is `Subtotal + Fees` (what the
//! bank or card paid) and a sell's `Subtotal − Fees` (what was paid out). That
//! is the ledger's convention: a `Buy` sends `Subtotal` and receives the coin
//! quantity, a `Sell` the reverse, `Fees` on top. Each row's `Total` is
//! checked against that sum (to the cent); a row where it does not add up is
//! an error naming its line, since the fee's place would be a guess. A report
//! in EUR or GBP keeps its currency, valued at its `--prices` rate as every
//! format values it.
//!
//! `Deposit` and `Withdrawal` rows move money between the bank and the
//! Coinbase fiat wallet: cash, skipped. Any other type (a merchant payout,
//! whose conversions the per-wallet report shows as `Instantly Exchanged`
//! rows) is skipped to enter by hand.
//!
//! Ids are `coinbase-transfer-<ID>`: the per-wallet report, which shows the
//! same buys and sells, names them by this id too (its `Transfer ID`), so the
//! two reports imported together keep each once.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::sheet::stream_rows;
use super::{
    Cx, Entry, ImportError, RowStream, Sheet, SheetRow, TradeIn, is_fiat, parse_time_cell,
    trade_record,
};

/// The report's named columns; the one column not among them is the coin's.
const NAMED: [&str; 10] = [
    "Timestamp",
    "Type",
    "Subtotal",
    "Fees",
    "Total",
    "Currency",
    "Price Per Coin",
    "Payment Method",
    "ID",
    "Share",
];

pub(crate) fn matches(h: &[String]) -> bool {
    let has = |n: &str| h.iter().any(|c| c == n);
    has("Timestamp")
        && has("Type")
        && has("Subtotal")
        && has("Fees")
        && has("Total")
        && has("Currency")
        && has("Price Per Coin")
        && has("Payment Method")
}

struct Cols {
    time: usize,
    kind: usize,
    coin: Option<(usize, String)>,
    subtotal: usize,
    fees: usize,
    total: Option<usize>,
    currency: usize,
    method: Option<usize>,
    id: Option<usize>,
}

/// Reads the report row by row (see [`stream_rows`]).
pub(crate) fn parse_stream(
    sheet: &Sheet,
    stream: &mut RowStream,
    cx: &mut Cx,
    emit: &mut dyn FnMut(&mut Cx, Entry),
) -> Result<(), ImportError> {
    let others: Vec<(usize, &String)> = sheet
        .header
        .iter()
        .enumerate()
        .filter(|(_, h)| !h.is_empty() && !NAMED.contains(&h.as_str()))
        .collect();
    let coin = match others.as_slice() {
        [(i, name)] => Some((*i, name.trim().to_ascii_uppercase())),
        _ => {
            cx.problem(
                sheet.header_line,
                None,
                None,
                "the Transfers report has one column named after its coin (BTC) beside \
                 Timestamp and Type; this header has none or several",
            );
            None
        }
    };
    let c = Cols {
        time: sheet.need(cx, &["Timestamp"]),
        kind: sheet.need(cx, &["Type"]),
        coin,
        subtotal: sheet.need(cx, &["Subtotal"]),
        fees: sheet.need(cx, &["Fees"]),
        total: sheet.col(&["Total"]),
        currency: sheet.need(cx, &["Currency"]),
        method: sheet.col(&["Payment Method"]),
        id: sheet.col(&["ID"]),
    };
    stream_rows(sheet, stream, cx, emit, |row, cx, out| {
        if let Some(row) = row
            && sheet.data_row(cx, row, c.time, out)
        {
            one_row(&c, row, cx, out);
        }
    })
}

/// Times as the report and a spreadsheet re-saving it write them.
const TIMES: [&str; 5] = [
    "%Y-%m-%d %H:%M:%S",
    "%m/%d/%y %H:%M",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%Y-%m-%d %H:%M",
];

fn time(cx: &mut Cx, row: &SheetRow, col: usize) -> Option<DateTime<Utc>> {
    let cell = row.get(col).trim();
    if let Ok(t) = DateTime::parse_from_str(cell, "%Y-%m-%d %H:%M:%S %z") {
        return Some(t.with_timezone(&Utc));
    }
    parse_time_cell(cx, row, col, "Timestamp", &TIMES, cx.opts.tz)
}

fn one_row(c: &Cols, row: &SheetRow, cx: &mut Cx, out: &mut Vec<Entry>) {
    let line = row.line;
    let typ = row.get(c.kind).trim().to_string();
    let ccy = row.get(c.currency).trim().to_ascii_uppercase();
    match typ.to_ascii_lowercase().as_str() {
        "buy" | "sell" => {}
        "deposit" | "withdrawal" if ccy.is_empty() || is_fiat(&ccy) => {
            out.push(Entry::skip(
                line,
                format!("fiat {}: not a tax event", typ.to_ascii_lowercase()),
            ));
            return;
        }
        _ => {
            out.push(Entry::skip(
                line,
                format!(
                    "unknown Coinbase Transfers type {typ:?}: not imported, enter it by hand \
                     (a merchant payout's conversions are in the per-wallet Transactions report)"
                ),
            ));
            return;
        }
    }
    let Some((coin_col, coin)) = &c.coin else {
        return;
    };
    let before = cx.problem_count();
    let t = time(cx, row, c.time);
    let qty = cx.required(row, *coin_col, coin);
    let subtotal = cx.required(row, c.subtotal, "Subtotal");
    let fees = cx.number(row, c.fees, "Fees").unwrap_or_default().abs();
    let total = c.total.and_then(|i| cx.number(row, i, "Total"));
    if ccy.is_empty() {
        cx.problem(line, Some("Currency"), None, "is empty; this row needs it");
    }
    if cx.problem_count() > before {
        return;
    }
    let (Some(t), Some(qty), Some(subtotal)) = (t, qty, subtotal) else {
        return;
    };
    let (qty, subtotal) = (qty.abs(), subtotal.abs());
    if qty.is_zero() {
        out.push(Entry::skip(line, "zero amount: nothing moved"));
        return;
    }
    let buy = typ.eq_ignore_ascii_case("buy");
    if let Some(total) = total {
        let expected = if buy {
            subtotal + fees
        } else {
            subtotal - fees
        };
        if (total.abs() - expected).abs() > Decimal::new(1, 2) {
            cx.problem(
                line,
                Some("Total"),
                Some(row.get(c.total.unwrap_or(0))),
                format!(
                    "is not Subtotal {} Fees ({}): the fee's place is unclear, enter this {} by \
                     hand",
                    if buy { "+" } else { "−" },
                    super::num::fmt_decimal(expected),
                    typ.to_ascii_lowercase()
                ),
            );
            return;
        }
    }
    let tx = c.id.map_or("", |i| row.get(i).trim());
    let id = if tx.is_empty() {
        let cells: Vec<&str> = row.cells.iter().map(String::as_str).collect();
        cx.content_id(&cells)
    } else {
        format!("{}-transfer-{tx}", cx.format.id_prefix())
    };
    let (sent, received) = if buy {
        ((subtotal, ccy.clone()), (qty, coin.clone()))
    } else {
        ((qty, coin.clone()), (subtotal, ccy.clone()))
    };
    let note = c
        .method
        .map(|i| row.get(i).trim())
        .filter(|m| !m.is_empty())
        .map(|m| format!("{typ} via {m}"))
        .unwrap_or_default();
    trade_record(
        cx,
        TradeIn {
            id,
            rows: vec![line],
            time: t,
            sent,
            received,
            fees: vec![(fees, ccy)],
            usd_hint: None,
            note,
        },
        out,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_its_own() {
        let h = |s: &str| s.split(',').map(str::to_string).collect::<Vec<_>>();
        let transfers = h(
            "Timestamp,Type,BTC,Subtotal,Fees,Total,Currency,Price Per Coin,Payment Method,ID,Share",
        );
        assert!(matches(&transfers));
        // Neither Coinbase report is taken for it, nor it for them.
        assert!(!super::super::coinbase::matches(&transfers));
        assert!(!matches(&h(
            "Timestamp,Balance,Amount,Currency,To,Notes,Instantly Exchanged,Transfer Total,Transfer Total Currency,Transfer Fee"
        )));
        assert!(!matches(&h(
            "Timestamp,Transaction Type,Asset,Quantity Transacted,Spot Price Currency,Spot Price at Transaction,Subtotal,Total (inclusive of fees and/or spread),Fees and/or Spread,Notes"
        )));
    }
}
