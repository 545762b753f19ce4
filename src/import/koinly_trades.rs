//! Koinly's "Trades" import template:
//! `Koinly Date,Pair,Side,Amount,Total,Fee Amount,Fee Currency,Order ID,Trade ID`.
//! Dates are UTC; `Pair` is `BASE/QUOTE`; `Amount` is the base quantity and
//! `Total` the quote quantity.
//!
//! Fee convention: as in Koinly's universal template the fee is separate from
//! the amounts and paid on top, the ledger's convention: BUY sends `Total` of
//! the quote and receives `Amount` of the base, SELL the reverse, the fee in
//! `Fee Currency`. A quote in a government currency other than USD is kept as
//! itself (a buy or sell in BRL, EUR, ...), its USD value from `--prices` when
//! it has the currency's rate. Ids come from `Trade ID`, else a hash of the
//! row (repeated identical fills are numbered, not dropped).

use super::sheet::{DataRows, hand_over};
use super::{Cx, Entry, ImportError, RowStream, Sheet, TradeIn, parse_time_cell};

pub(crate) fn matches(h: &[String]) -> bool {
    let has = |n: &str| h.iter().any(|c| c == n);
    has("Koinly Date") && has("Pair") && has("Side") && has("Amount") && has("Total")
}

/// Reads the data rows one at a time, those already in `sheet` and then the
/// rest of `stream`, giving each row's entries to `emit` as it is read.
pub(crate) fn parse_stream(
    sheet: &Sheet,
    stream: &mut RowStream,
    cx: &mut Cx,
    emit: &mut dyn FnMut(&mut Cx, Entry),
) -> Result<(), ImportError> {
    let c_date = sheet.need(cx, &["Koinly Date"]);
    let c_pair = sheet.need(cx, &["Pair"]);
    let c_side = sheet.need(cx, &["Side"]);
    let c_amount = sheet.need(cx, &["Amount"]);
    let c_total = sheet.need(cx, &["Total"]);
    let c_fa = sheet.col(&["Fee Amount"]);
    let c_fc = sheet.col(&["Fee Currency"]);
    let c_trade = sheet.col(&["Trade ID"]);
    let c_order = sheet.col(&["Order ID"]);
    if cx.failed() {
        return DataRows::new(sheet, stream).skip_all();
    }
    const FMTS: [&str; 3] = ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%d"];
    let mut out = Vec::new();
    let mut rows = DataRows::new(sheet, stream);
    while let Some(row) = rows.next()? {
        hand_over(&mut out, cx, emit);
        if !sheet.data_row(cx, row, c_date, &mut out) {
            continue;
        }
        let line = row.line;
        let before = cx.problem_count();
        let time = parse_time_cell(cx, row, c_date, "Koinly Date", &FMTS, chrono_tz::Tz::UTC);
        let amount = cx.required(row, c_amount, "Amount");
        let total = cx.required(row, c_total, "Total");
        let fee = c_fa.and_then(|i| cx.number(row, i, "Fee Amount"));
        let (Some(time), Some(amount), Some(total)) = (time, amount, total) else {
            continue;
        };
        if cx.problem_count() != before {
            continue;
        }
        let pair = row.get(c_pair).to_ascii_uppercase();
        let Some((base, quote)) = pair
            .split_once(['/', '-'])
            .filter(|(b, q)| !b.is_empty() && !q.is_empty())
        else {
            cx.problem(
                line,
                Some("Pair"),
                Some(row.get(c_pair)),
                "is not a pair like BTC/USD",
            );
            continue;
        };
        let fees = match (fee, c_fc.map(|i| row.get(i).to_ascii_uppercase())) {
            (Some(q), Some(a)) if !q.is_zero() && !a.is_empty() => vec![(q.abs(), a)],
            (Some(q), _) if !q.is_zero() => vec![(q.abs(), quote.to_string())],
            _ => Vec::new(),
        };
        let b = (amount.abs(), base.to_string());
        let q = (total.abs(), quote.to_string());
        let (sent, received) = match row.get(c_side).to_ascii_uppercase().as_str() {
            "BUY" => (q, b),
            "SELL" => (b, q),
            other => {
                cx.problem(line, Some("Side"), Some(other), "is neither BUY nor SELL");
                continue;
            }
        };
        let trade = c_trade.map_or("", |i| row.get(i));
        let id = if trade.is_empty() {
            let cells: Vec<&str> = row.cells.iter().map(String::as_str).collect();
            cx.content_id(&cells)
        } else {
            let order = c_order.map_or("", |i| row.get(i));
            cx.exchange_id(&format!("{base}-{quote}-{order}-{trade}"))
        };
        super::trade_record(
            cx,
            TradeIn {
                id,
                rows: vec![line],
                time,
                sent,
                received,
                fees,
                usd_hint: None,
                note: String::new(),
            },
            &mut out,
        );
    }
    hand_over(&mut out, cx, emit);
    Ok(())
}
