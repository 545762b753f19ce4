//! Binance convert history:
//! `Date,Wallet,Pair,Type,Sell,Buy,Price,Inverse Price,Date Updated,Status`
//! (the `Wallet` column is missing in older files). `Sell`/`Buy` carry their
//! asset after a space (`0.05 BTC`); the date has no zone, so it is read in
//! `--tz` (UTC by default, which is what Binance writes).
//!
//! Fee convention: a convert has no separate fee (the spread is in the price),
//! so a row is a trade sending `Sell` and receiving `Buy`. Only `Successful`
//! rows happened; the others are skipped with their status.

use super::binance_deposits::binance_time;
use super::binance_trades::header_offset;
use super::sheet::{DataRows, hand_over};
use super::{Cx, Entry, ImportError, RowStream, Sheet, TradeIn};

pub(crate) fn matches(h: &[String]) -> bool {
    let has = |n: &str| h.iter().any(|c| c == n);
    h.first().is_some_and(|c| c.starts_with("Date"))
        && has("Pair")
        && has("Sell")
        && has("Buy")
        && has("Inverse Price")
        && has("Status")
}

/// Reads the data rows one at a time, those already in `sheet` and then the
/// rest of `stream`, giving each row's entries to `emit` as it is read.
pub(crate) fn parse_stream(
    sheet: &Sheet,
    stream: &mut RowStream,
    cx: &mut Cx,
    emit: &mut dyn FnMut(&mut Cx, Entry),
) -> Result<(), ImportError> {
    let offset = header_offset(&sheet.header[0]);
    let c_sell = sheet.need(cx, &["Sell"]);
    let c_buy = sheet.need(cx, &["Buy"]);
    let c_status = sheet.need(cx, &["Status"]);
    let c_wallet = sheet.col(&["Wallet"]);
    if cx.failed() {
        return DataRows::new(sheet, stream).skip_all();
    }
    let mut out = Vec::new();
    let mut rows = DataRows::new(sheet, stream);
    while let Some(row) = rows.next()? {
        hand_over(&mut out, cx, emit);
        if !sheet.data_row(cx, row, 0, &mut out) {
            continue;
        }
        let status = row.get(c_status);
        if !status.eq_ignore_ascii_case("Successful") {
            out.push(Entry::skip(
                row.line,
                format!("convert with status {status:?}: nothing was exchanged"),
            ));
            continue;
        }
        let time = binance_time(cx, row.line, &sheet.header[0], offset, row.get(0));
        let sell = cx.amount(row, c_sell, "Sell");
        let buy = cx.amount(row, c_buy, "Buy");
        let (Some(time), Some(sell), Some(buy)) = (time, sell, buy) else {
            continue;
        };
        let (Some(sa), Some(ba)) = (sell.unit.clone(), buy.unit.clone()) else {
            cx.problem(
                row.line,
                Some("Sell"),
                Some(row.get(c_sell)),
                "and Buy must name their asset, like 0.05 BTC",
            );
            continue;
        };
        let cells: Vec<&str> = row.cells.iter().map(String::as_str).collect();
        let id = cx.content_id(&cells);
        let note = c_wallet
            .map(|i| row.get(i))
            .filter(|w| !w.is_empty())
            .map(|w| format!("convert from {w}"))
            .unwrap_or_else(|| "convert".to_string());
        super::trade_record(
            cx,
            TradeIn {
                id,
                rows: vec![row.line],
                time,
                sent: (sell.value.abs(), sa.to_ascii_uppercase()),
                received: (buy.value.abs(), ba.to_ascii_uppercase()),
                fees: Vec::new(),
                usd_hint: None,
                note,
            },
            &mut out,
        );
    }
    hand_over(&mut out, cx, emit);
    Ok(())
}
