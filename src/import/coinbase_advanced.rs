//! Coinbase Advanced / Pro / Exchange fills:
//! `portfolio,trade id,product,side,created at,size,size unit,price,fee,total,price/fee/total unit`
//! (and the older layout without `portfolio`). Rows go to account `coinbase`
//! (Advanced Trade is part of the retail account) unless `--account` says
//! otherwise.
//!
//! Fee convention: `total` is the signed quote flow *including* the fee (BUY:
//! -(size x price + fee); SELL: size x price - fee). The ledger pays the fee on
//! top, so a buy sends |total| - fee and a sell receives total + fee (gross),
//! with the fee in the quote asset.
//!
//! Trade ids are unique per product only, so the id is
//! `coinbase-adv-<product>-<side>-<trade id>`.

use super::sheet::{DataRows, hand_over};
use super::{Cx, Entry, ImportError, RowStream, Sheet, TradeIn, parse_time_cell};

pub(crate) fn matches(h: &[String]) -> bool {
    let has = |n: &str| h.iter().any(|c| c.eq_ignore_ascii_case(n));
    has("trade id")
        && has("product")
        && has("side")
        && has("created at")
        && has("size")
        && has("size unit")
        && has("total")
}

/// Reads the data rows one at a time, those already in `sheet` and then the
/// rest of `stream`, giving each row's entries to `emit` as it is read.
pub(crate) fn parse_stream(
    sheet: &Sheet,
    stream: &mut RowStream,
    cx: &mut Cx,
    emit: &mut dyn FnMut(&mut Cx, Entry),
) -> Result<(), ImportError> {
    let c_id = sheet.need(cx, &["trade id"]);
    let c_product = sheet.need(cx, &["product"]);
    let c_side = sheet.need(cx, &["side"]);
    let c_time = sheet.need(cx, &["created at"]);
    let c_size = sheet.need(cx, &["size"]);
    let c_unit = sheet.need(cx, &["size unit"]);
    let c_fee = sheet.need(cx, &["fee"]);
    let c_total = sheet.need(cx, &["total"]);
    let c_quote = sheet.need(cx, &["price/fee/total unit"]);
    if cx.failed() {
        return DataRows::new(sheet, stream).skip_all();
    }
    let mut out = Vec::new();
    let mut rows = DataRows::new(sheet, stream);
    while let Some(row) = rows.next()? {
        hand_over(&mut out, cx, emit);
        if !sheet.data_row(cx, row, c_time, &mut out) {
            continue;
        }
        let time = parse_time_cell(
            cx,
            row,
            c_time,
            "created at",
            &super::ISO_NAIVE,
            chrono_tz::Tz::UTC,
        );
        let size = cx.required(row, c_size, "size");
        let fee = cx.number(row, c_fee, "fee").unwrap_or_default().abs();
        let total = cx.required(row, c_total, "total");
        let (Some(time), Some(size), Some(total)) = (time, size, total) else {
            continue;
        };
        let base = row.get(c_unit).to_ascii_uppercase();
        let quote = row.get(c_quote).to_ascii_uppercase();
        let product = row.get(c_product);
        let side = row.get(c_side).to_ascii_uppercase();
        let id = cx.exchange_id(&format!("{product}-{side}-{}", row.get(c_id)));
        let fees = vec![(fee, quote.clone())];
        let (sent, received) = match side.as_str() {
            "BUY" => ((total.abs() - fee, quote), (size.abs(), base)),
            "SELL" => ((size.abs(), base), (total.abs() + fee, quote)),
            other => {
                cx.problem(
                    row.line,
                    Some("side"),
                    Some(other),
                    "is neither BUY nor SELL",
                );
                continue;
            }
        };
        if sent.0.is_sign_negative() {
            cx.problem(
                row.line,
                Some("total"),
                Some(row.get(c_total)),
                "is smaller than the fee: check the row",
            );
            continue;
        }
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
            &mut out,
        );
    }
    hand_over(&mut out, cx, emit);
    Ok(())
}
