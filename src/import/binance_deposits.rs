//! Binance deposit history:
//! `Date(UTC+0),Coin,Network,Amount,Address,TXID,Status` (2022 on; the date may
//! have a two-digit year, `23-07-01 06:40:12`, in the zone the header names).
//! The withdrawal history (`binance_withdrawals`) shares this reader.
//!
//! Fee convention: a withdrawal's `Amount` is what left the account towards the
//! address and `Fee` is the network fee charged on top, which is the ledger's
//! convention. Crypto rows become `deposit`/`withdrawal` rows with the on-chain
//! TXID; fiat rows are cash movements (skipped with a reason); only `Completed`
//! rows moved money (others are skipped with their status).

use chrono::FixedOffset;

use super::binance_trades::header_offset;
use super::sheet::{DataRows, hand_over};
use super::{Cx, Draft, Entry, ImportError, RowStream, Sheet, in_zone, is_fiat, parse_naive};
use crate::model::Kind;

pub(crate) fn matches(h: &[String]) -> bool {
    transfer_header(h) && !h.iter().any(|c| c == "Fee")
}

/// The shared columns of the deposit and withdrawal histories.
pub(crate) fn transfer_header(h: &[String]) -> bool {
    let has = |n: &str| h.iter().any(|c| c == n);
    h.first().is_some_and(|c| c.starts_with("Date"))
        && has("Coin")
        && has("Amount")
        && has("Address")
        && has("TXID")
        && has("Status")
}

/// Times of the deposit/withdrawal histories.
pub(crate) const FMTS: [&str; 5] = [
    "%Y-%m-%d %H:%M:%S%.f",
    "%y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
];

/// Reads a Binance date cell: the zone the header names (`Date(UTC+1)`), or
/// `--tz` for a bare `Date`. A two-digit year (`23-08-14`) is read as 20yy.
pub(crate) fn binance_time(
    cx: &mut Cx,
    line: u64,
    header: &str,
    offset: Option<FixedOffset>,
    cell: &str,
) -> Option<chrono::DateTime<chrono::Utc>> {
    let fmts: &[&str] = if cell.trim().find('-') == Some(2) {
        &FMTS[1..2]
    } else {
        &FMTS
    };
    let t = parse_naive(cell, fmts).map(|n| match offset {
        Some(o) => (n - o).and_utc(),
        None => in_zone(n, cx.opts.tz),
    });
    if t.is_none() {
        cx.problem(
            line,
            Some(header),
            Some(cell),
            "is not a time like 2023-08-14 10:22:31",
        );
    }
    t
}

pub(crate) fn parse_stream(
    sheet: &Sheet,
    stream: &mut RowStream,
    cx: &mut Cx,
    emit: &mut dyn FnMut(&mut Cx, Entry),
) -> Result<(), ImportError> {
    parse_transfers(sheet, stream, cx, emit, false)
}

/// Deposits (`outgoing` false) or withdrawals (true), read one row at a time,
/// those already in `sheet` and then the rest of `stream`, giving each row's
/// entries to `emit` as it is read.
pub(crate) fn parse_transfers(
    sheet: &Sheet,
    stream: &mut RowStream,
    cx: &mut Cx,
    emit: &mut dyn FnMut(&mut Cx, Entry),
    outgoing: bool,
) -> Result<(), ImportError> {
    let offset = header_offset(&sheet.header[0]);
    let c_coin = sheet.need(cx, &["Coin"]);
    let c_amount = sheet.need(cx, &["Amount"]);
    let c_txid = sheet.need(cx, &["TXID"]);
    let c_status = sheet.need(cx, &["Status"]);
    let c_fee = sheet.col(&["Fee", "TransactionFee"]);
    let c_network = sheet.col(&["Network"]);
    let c_address = sheet.col(&["Address"]);
    if cx.failed() {
        return DataRows::new(sheet, stream).skip_all();
    }
    let what = if outgoing { "withdrawal" } else { "deposit" };
    let mut out = Vec::new();
    let mut rows = DataRows::new(sheet, stream);
    while let Some(row) = rows.next()? {
        hand_over(&mut out, cx, emit);
        if !sheet.data_row(cx, row, 0, &mut out) {
            continue;
        }
        let status = row.get(c_status);
        if !status.eq_ignore_ascii_case("Completed") && !status.eq_ignore_ascii_case("Successful") {
            out.push(Entry::skip(
                row.line,
                format!("{what} with status {status:?}: no money moved"),
            ));
            continue;
        }
        let time = binance_time(cx, row.line, &sheet.header[0], offset, row.get(0));
        let coin = row.get(c_coin).to_ascii_uppercase();
        let amount = cx.required(row, c_amount, "Amount");
        let fee = match c_fee {
            Some(i) => cx.number(row, i, "Fee"),
            None => None,
        };
        let (Some(time), Some(amount)) = (time, amount) else {
            continue;
        };
        if coin.is_empty() {
            cx.problem(row.line, Some("Coin"), None, "is empty; this row needs it");
            continue;
        }
        if is_fiat(&coin) {
            out.push(Entry::skip(
                row.line,
                format!("fiat {what}: a cash movement, not a crypto event"),
            ));
            continue;
        }
        let cells: Vec<&str> = row.cells.iter().map(String::as_str).collect();
        let txid = row.get(c_txid);
        let id = if txid.is_empty() {
            cx.content_id(&cells)
        } else {
            cx.exchange_id(&format!("{}-{txid}", if outgoing { "w" } else { "d" }))
        };
        let mut note = Vec::new();
        if let Some(n) = c_network.map(|i| row.get(i)).filter(|n| !n.is_empty()) {
            note.push(format!("network {n}"));
        }
        if let Some(a) = c_address.map(|i| row.get(i)).filter(|n| !n.is_empty()) {
            note.push(format!("{} {a}", if outgoing { "to" } else { "address" }));
        }
        let mut d = if outgoing {
            Draft::new(id, time, Kind::Withdrawal).sent(amount, &coin)
        } else {
            Draft::new(id, time, Kind::Deposit).received(amount, &coin)
        };
        if let Some(f) = fee {
            d = d.fee(f, &coin);
        }
        let account = cx.account.clone();
        out.push(Entry::Rec {
            rows: vec![row.line],
            rec: d.txid(txid).note(note.join("; ")).finish(&account),
        });
    }
    hand_over(&mut out, cx, emit);
    Ok(())
}
