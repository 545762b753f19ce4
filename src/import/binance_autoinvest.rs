//! Binance auto-invest history:
//! `Auto-Invest Date(UTC),Holding Coin,Amount per period,Trading Fee,Units,From,Status`
//! (amounts carry their asset after a space, `10.00000000 USDT`; dates as
//! `5/1/2022 14:00`, month first, in the zone the header names).
//!
//! Fee convention: `Amount per period` is what the plan took from the wallet,
//! the `Trading Fee` included; the ledger's fee is paid on top, so the row
//! sends `Amount per period − Trading Fee`, pays the fee, and receives `Units`.
//! Only `Success` rows bought anything; the others are skipped with their status.

use super::binance_deposits::binance_time;
use super::sheet::{DataRows, hand_over};
use super::{Cx, Entry, ImportError, RowStream, Sheet, TradeIn};

pub(crate) fn matches(h: &[String]) -> bool {
    let has = |n: &str| h.iter().any(|c| c == n);
    h.first().is_some_and(|c| c.starts_with("Auto-Invest Date"))
        && has("Amount per period")
        && has("Units")
        && has("Status")
}

/// The zone an `Auto-Invest Date(UTC+1)` header names.
fn offset(h: &str) -> Option<chrono::FixedOffset> {
    super::binance_trades::header_offset(h.strip_prefix("Auto-Invest ")?)
}

/// Reads the data rows one at a time, those already in `sheet` and then the
/// rest of `stream`, giving each row's entries to `emit` as it is read.
pub(crate) fn parse_stream(
    sheet: &Sheet,
    stream: &mut RowStream,
    cx: &mut Cx,
    emit: &mut dyn FnMut(&mut Cx, Entry),
) -> Result<(), ImportError> {
    let off = offset(&sheet.header[0]);
    let c_coin = sheet.need(cx, &["Holding Coin"]);
    let c_amount = sheet.need(cx, &["Amount per period"]);
    let c_fee = sheet.need(cx, &["Trading Fee"]);
    let c_units = sheet.need(cx, &["Units"]);
    let c_status = sheet.need(cx, &["Status"]);
    let c_from = sheet.col(&["From"]);
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
        if !status.eq_ignore_ascii_case("Success") && !status.eq_ignore_ascii_case("Successful") {
            out.push(Entry::skip(
                row.line,
                format!("auto-invest with status {status:?}: nothing was bought"),
            ));
            continue;
        }
        let time = binance_time(cx, row.line, &sheet.header[0], off, row.get(0));
        let amount = cx.amount(row, c_amount, "Amount per period");
        let fee = cx.amount(row, c_fee, "Trading Fee");
        let units = cx.amount(row, c_units, "Units");
        let (Some(time), Some(amount), Some(units)) = (time, amount, units) else {
            continue;
        };
        let Some(paid) = amount.unit.clone() else {
            cx.problem(
                row.line,
                Some("Amount per period"),
                Some(row.get(c_amount)),
                "must name its asset, like 10.00 USDT",
            );
            continue;
        };
        let got = units
            .unit
            .clone()
            .unwrap_or_else(|| row.get(c_coin).to_string())
            .to_ascii_uppercase();
        let paid = paid.to_ascii_uppercase();
        let (fee_q, fee_a) = match &fee {
            Some(f) => (
                f.value.abs(),
                f.unit.clone().unwrap_or_else(|| paid.clone()),
            ),
            None => (rust_decimal::Decimal::ZERO, paid.clone()),
        };
        let fee_a = fee_a.to_ascii_uppercase();
        let mut sent = amount.value.abs();
        if fee_a == paid {
            if fee_q > sent {
                cx.problem(
                    row.line,
                    Some("Trading Fee"),
                    Some(row.get(c_fee)),
                    "is larger than the amount invested",
                );
                continue;
            }
            sent -= fee_q;
        }
        let cells: Vec<&str> = row.cells.iter().map(String::as_str).collect();
        let id = cx.content_id(&cells);
        let note = c_from
            .map(|i| row.get(i))
            .filter(|w| !w.is_empty())
            .map(|w| format!("auto-invest from {w}"))
            .unwrap_or_else(|| "auto-invest".to_string());
        super::trade_record(
            cx,
            TradeIn {
                id,
                rows: vec![row.line],
                time,
                sent: (sent, paid),
                received: (units.value.abs(), got),
                fees: vec![(fee_q, fee_a)],
                usd_hint: None,
                note,
            },
            &mut out,
        );
    }
    hand_over(&mut out, cx, emit);
    Ok(())
}
