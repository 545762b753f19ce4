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
use std::collections::hash_map::Entry as Slot;

use super::sheet::{DataRows, hand_over};
use super::{Cx, Draft, Entry, ImportError, RowStream, Sheet, SheetRow, TradeIn, parse_time_cell};
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

/// Whether the file is read twice: its `Coinbase ID`s are ids only if no
/// two rows that differ share one, wherever they are.
pub(crate) fn two_readings(sheet: &Sheet) -> bool {
    col_prefix(sheet, "Coinbase ID").is_some()
}

/// Whether no two rows that differ share an id of one column, learnt a row
/// at a time: each id with a 128-bit hash of its row's cells.
struct Unique {
    col: Option<usize>,
    seen: HashMap<String, u128>,
    yes: bool,
}

impl Unique {
    fn new(col: Option<usize>) -> Unique {
        Unique {
            col,
            seen: HashMap::new(),
            yes: col.is_some(),
        }
    }

    fn add(&mut self, row: &SheetRow) {
        let Some(ci) = self.col.filter(|_| self.yes) else {
            return;
        };
        let id = row.get(ci);
        if id.is_empty() {
            return;
        }
        let cells = row.cells_key();
        match self.seen.entry(id.to_string()) {
            Slot::Occupied(e) if *e.get() != cells => {
                self.yes = false;
                self.seen = HashMap::new();
            }
            Slot::Occupied(_) => {}
            Slot::Vacant(e) => {
                e.insert(cells);
            }
        }
    }
}

/// The report's entries, read a row at a time; a report with `Coinbase ID`s
/// (see [`two_readings`]) is read twice, the first time to learn whether
/// they are ids (`again` is then that second reading).
pub(crate) fn parse_stream<'t>(
    sheet: &Sheet,
    stream: &mut RowStream<'t>,
    again: Option<&mut RowStream<'t>>,
    cx: &mut Cx,
    emit: &mut dyn FnMut(&mut Cx, Entry),
) -> Result<(), ImportError> {
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
        return DataRows::new(sheet, stream).skip_all();
    }
    // An id repeated on rows that differ is not an id.
    let (mut ids, mut transfers) = (Unique::new(c_id), Unique::new(c_transfer));
    let stream = match again {
        Some(again) if c_id.is_some() => {
            let mut rows = DataRows::new(sheet, stream);
            while let Some(row) = rows.next()? {
                ids.add(row);
                transfers.add(row);
            }
            again
        }
        _ => stream,
    };
    let ids_ok = ids.yes;
    let transfer_ids_ok = ids_ok && transfers.yes;
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
    let mut rows = DataRows::new(sheet, stream);
    while let Some(row) = rows.next()? {
        // The entries of the row before: each row's are handed over before
        // the next is read.
        hand_over(&mut out, cx, emit);
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
    hand_over(&mut out, cx, emit);
    Ok(())
}

/// `2017-01-01 12:00:00 -0700`: a local time with its offset.
fn with_offset(cell: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_str(cell.trim(), "%Y-%m-%d %H:%M:%S %z")
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

#[cfg(test)]
mod tests {
    use crate::import::import_text;

    const HEAD: &str = "Timestamp,Balance,Amount,Currency,To,Notes,Instantly Exchanged,Transfer Total,Transfer Total Currency,Transfer Fee,Transfer Fee Currency,Transfer ID,Coinbase ID (visit),Bitcoin Hash (visit)\n";

    fn receive(k: usize, amount: &str, id: &str) -> String {
        format!(
            "2017-03-01 08:{:02}:{:02} -0800,1,{amount},BTC,,,FALSE,,,,,,{id},\n",
            k / 60,
            k % 60
        )
    }

    /// An id is an id only if no two rows that differ share it, though the
    /// second row comes a thousand rows after the first.
    #[test]
    fn an_id_repeated_on_a_later_row_that_differs_is_not_an_id() {
        let mut text = String::from(HEAD);
        for k in 0..1000 {
            text.push_str(&receive(k, "0.05", &format!("id{k}")));
        }
        let ids = |text: &str| -> Vec<String> {
            import_text(text)
                .unwrap()
                .into_iter()
                .map(|r| r.id)
                .collect()
        };
        let same = ids(&format!("{text}{}", receive(0, "0.05", "id0")));
        assert_eq!(same.len(), 1000);
        assert_eq!(same[0], "coinbase-id0");
        let differ = ids(&format!("{text}{}", receive(0, "0.06", "id0")));
        assert_eq!(differ.len(), 1001);
        assert!(
            differ.iter().all(|id| !id.starts_with("coinbase-id")),
            "{:?}",
            &differ[..2]
        );
    }
}
