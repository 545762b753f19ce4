//! Coinbase's pre-2019 per-wallet "Transactions" report, read as part of the
//! `coinbase` format. Preamble `Transactions` / `User,…` / `Account,BTC Wallet,…`,
//! then
//! `Timestamp,Balance,Amount,Currency,To,Notes,Instantly Exchanged,Transfer Total,Transfer Total Currency,Transfer Fee,Transfer Fee Currency,…,Coinbase ID (…),Bitcoin Hash (…)`.
//! `Amount` is signed in the wallet's currency. Times carry an offset
//! (`2017-01-01 12:00:00 -0700`); files re-saved by Excel lose it and the
//! seconds (`5/6/17 1:12`, month first as Excel writes it in the US), and are
//! then read in `--tz`.
//!
//! A row with a `Transfer Total` is a buy (Amount > 0) or a sell (Amount < 0)
//! against that fiat. `Transfer Total` is read as the fiat side before the
//! `Transfer Fee` (real files show fees larger than the total, so the total
//! cannot include it), which is the ledger's convention: a buy sends the total
//! and a sell receives it, the fee paid on top in the fee
//! columns. Any other row is a send (Amount < 0) or a receive (Amount > 0):
//! a withdrawal or deposit with the `Bitcoin Hash` as txid when there is one
//! (without one it was an off-chain move to or from another Coinbase user).
//!
//! Ids come from `Coinbase ID`, a buy's or sell's from its `Transfer ID`
//! (`coinbase-transfer-<Transfer ID>`, the id the Transfers report gives the
//! same buy, so importing both reports keeps it once); when a file repeats one
//! `Coinbase ID` on different rows (anonymised exports do) the ids of that
//! file are hashes of the row cells.

use std::collections::HashMap;

use super::{Cx, Draft, Entry, Sheet, TradeIn, parse_time_cell};
use crate::model::Kind;

/// The wallet report's header (checked by `coinbase::matches`).
pub(crate) fn matches(h: &[String]) -> bool {
    let has = |n: &str| h.iter().any(|c| c == n);
    has("Timestamp")
        && has("Balance")
        && has("Amount")
        && has("Currency")
        && has("Transfer Total")
        && has("Transfer Fee")
}

/// The first column whose name starts with `prefix` (the long `Coinbase ID
/// (visit …)` names).
fn col_prefix(sheet: &Sheet, prefix: &str) -> Option<usize> {
    sheet.header.iter().position(|h| h.starts_with(prefix))
}

pub(crate) fn parse(sheet: &Sheet, cx: &mut Cx) -> Vec<Entry> {
    let c_time = sheet.need(cx, &["Timestamp"]);
    let c_amount = sheet.need(cx, &["Amount"]);
    let c_ccy = sheet.need(cx, &["Currency"]);
    let c_total = sheet.need(cx, &["Transfer Total"]);
    let c_total_ccy = sheet.need(cx, &["Transfer Total Currency"]);
    let c_fee = sheet.need(cx, &["Transfer Fee"]);
    let c_fee_ccy = sheet.col(&["Transfer Fee Currency"]);
    let c_to = sheet.col(&["To"]);
    let c_notes = sheet.col(&["Notes"]);
    let c_id = col_prefix(sheet, "Coinbase ID");
    let c_transfer = sheet.col(&["Transfer ID"]);
    let c_hash = col_prefix(sheet, "Bitcoin Hash");
    if cx.failed() {
        return Vec::new();
    }
    // An id repeated on rows that differ is not an id.
    let unique = |col: Option<usize>| {
        let Some(ci) = col else { return false };
        let mut seen: HashMap<&str, &[String]> = HashMap::new();
        for r in &sheet.rows {
            let id = r.get(ci);
            if id.is_empty() {
                continue;
            }
            if let Some(prev) = seen.insert(id, &r.cells)
                && prev != r.cells.as_slice()
            {
                return false;
            }
        }
        true
    };
    let ids_ok = unique(c_id);
    let transfer_ids_ok = ids_ok && unique(c_transfer);
    const TIMES: [&str; 6] = [
        "%Y-%m-%d %H:%M:%S %z",
        "%Y-%m-%d %H:%M:%S",
        "%m/%d/%y %H:%M",
        "%m/%d/%Y %H:%M",
        "%m/%d/%Y %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ];
    let account = cx.account.clone();
    let mut out = Vec::new();
    for row in &sheet.rows {
        if !sheet.data_row(cx, row, c_time, &mut out) {
            continue;
        }
        let before = cx.problem_count();
        let time = with_offset(row.get(c_time))
            .or_else(|| parse_time_cell(cx, row, c_time, "Timestamp", &TIMES, cx.opts.tz));
        let amount = cx.required(row, c_amount, "Amount");
        let asset = row.get(c_ccy).to_ascii_uppercase();
        let total = cx.number(row, c_total, "Transfer Total");
        let fee = cx.number(row, c_fee, "Transfer Fee");
        let (Some(time), Some(amount)) = (time, amount) else {
            continue;
        };
        if cx.problem_count() != before {
            continue;
        }
        if asset.is_empty() {
            cx.problem(
                row.line,
                Some("Currency"),
                None,
                "is empty; this row needs it",
            );
            continue;
        }
        if amount.is_zero() {
            out.push(Entry::skip(row.line, "zero amount: nothing moved"));
            continue;
        }
        let id = match c_id.map(|i| row.get(i)).filter(|s| ids_ok && !s.is_empty()) {
            Some(id) => cx.exchange_id(id),
            None => {
                let parts: Vec<&str> = row.cells.iter().map(String::as_str).collect();
                cx.content_id(&parts)
            }
        };
        let notes = c_notes.map_or("", |i| row.get(i)).to_string();
        let hash = c_hash.map_or("", |i| row.get(i));
        if let Some(total) = total {
            let ccy = row.get(c_total_ccy).to_ascii_uppercase();
            if ccy.is_empty() {
                cx.problem(
                    row.line,
                    Some("Transfer Total Currency"),
                    None,
                    "is empty but Transfer Total is not",
                );
                continue;
            }
            let fee = fee.unwrap_or_default().abs();
            let fee_ccy = c_fee_ccy
                .map(|i| row.get(i).to_ascii_uppercase())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| ccy.clone());
            let total = total.abs();
            // A buy or sell is a Coinbase transfer: the Transfers report lists
            // it under this id, so both reports give it the same ledger id and
            // importing both keeps it once.
            let id = match c_transfer.map(|i| row.get(i).trim()) {
                Some(t) if transfer_ids_ok && !t.is_empty() => {
                    format!("{}-transfer-{t}", cx.format.id_prefix())
                }
                _ => id,
            };
            let (sent, received) = if amount.is_sign_positive() {
                ((total, ccy), (amount.abs(), asset))
            } else {
                ((amount.abs(), asset), (total, ccy))
            };
            super::trade_record(
                cx,
                TradeIn {
                    id,
                    rows: vec![row.line],
                    time,
                    sent,
                    received,
                    fees: vec![(fee, fee_ccy)],
                    usd_hint: None,
                    note: notes,
                },
                &mut out,
            );
            continue;
        }
        let mut note = Vec::new();
        if !notes.is_empty() {
            note.push(notes);
        }
        if hash.is_empty() {
            note.push("off-chain Coinbase transfer".to_string());
        }
        let d = if amount.is_sign_positive() {
            Draft::new(id, time, Kind::Deposit).received(amount, &asset)
        } else {
            if let Some(to) = c_to.map(|i| row.get(i)).filter(|s| !s.is_empty()) {
                note.push(format!("to {to}"));
            }
            Draft::new(id, time, Kind::Withdrawal).sent(amount, &asset)
        };
        out.push(Entry::Rec {
            rows: vec![row.line],
            rec: d.txid(hash).note(note.join("; ")).finish(&account),
        });
    }
    out
}

/// `2017-01-01 12:00:00 -0700`: a local time with its offset.
fn with_offset(cell: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_str(cell.trim(), "%Y-%m-%d %H:%M:%S %z")
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}
