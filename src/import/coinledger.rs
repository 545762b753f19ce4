//! CoinLedger "Universal Manual Import Template":
//! `Date (UTC),Platform (Optional),Asset Sent,Amount Sent,Asset Received,Amount Received,Fee Currency (Optional),Fee Amount (Optional),Type,Description (Optional),TxHash (Optional)`.
//! Dates are `MM/DD/YYYY HH:MM:SS` in UTC.
//!
//! Fee convention: the fee is separate from the sent and received amounts and
//! paid in addition to them, the ledger's convention: amounts map one to one.
//!
//! Rows by `Type`: `Buy`/`Sell`/`Trade` (both sides) → buy, sell or trade;
//! `Income`, `Interest`, `Staking`, `Mining`, `Airdrop`, `Hard Fork` → income
//! (valued from a USD/stablecoin amount or `--prices`); `Deposit`, `Gift
//! Received` → deposit; `Withdrawal`, `Gift Sent`, `Investment Loss`, `Theft
//! Loss` → withdrawal (a gift or a loss is not a sale; the type is noted);
//! `Merchant Payment` → spend. Fiat-only deposits and withdrawals are cash
//! movements, skipped with a reason; an unknown type is skipped naming it.

use super::sheet::{DataRows, hand_over};
use super::{Cx, Draft, Entry, ImportError, RowStream, Sheet, TradeIn, is_fiat, parse_time_cell};
use crate::model::Kind;

pub(crate) fn matches(h: &[String]) -> bool {
    let has = |n: &str| h.iter().any(|c| c == n);
    has("Date (UTC)")
        && has("Asset Sent")
        && has("Amount Sent")
        && has("Asset Received")
        && has("Amount Received")
        && has("Type")
}

const INCOME: [&str; 6] = [
    "income",
    "interest",
    "staking",
    "mining",
    "airdrop",
    "hard fork",
];
const OUT: [&str; 4] = ["withdrawal", "gift sent", "investment loss", "theft loss"];
const IN: [&str; 2] = ["deposit", "gift received"];

/// Reads the data rows one at a time, those already in `sheet` and then the
/// rest of `stream`, giving each row's entries to `emit` as it is read.
pub(crate) fn parse_stream(
    sheet: &Sheet,
    stream: &mut RowStream,
    cx: &mut Cx,
    emit: &mut dyn FnMut(&mut Cx, Entry),
) -> Result<(), ImportError> {
    let c_date = sheet.need(cx, &["Date (UTC)"]);
    let c_sc = sheet.need(cx, &["Asset Sent"]);
    let c_sa = sheet.need(cx, &["Amount Sent"]);
    let c_rc = sheet.need(cx, &["Asset Received"]);
    let c_ra = sheet.need(cx, &["Amount Received"]);
    let c_type = sheet.need(cx, &["Type"]);
    let c_fc = sheet.col(&["Fee Currency (Optional)", "Fee Currency"]);
    let c_fa = sheet.col(&["Fee Amount (Optional)", "Fee Amount"]);
    let c_platform = sheet.col(&["Platform (Optional)", "Platform"]);
    let c_desc = sheet.col(&["Description (Optional)", "Description"]);
    let c_hash = sheet.col(&["TxHash (Optional)", "TxHash"]);
    if cx.failed() {
        return DataRows::new(sheet, stream).skip_all();
    }
    const FMTS: [&str; 4] = [
        "%m/%d/%Y %H:%M:%S",
        "%m/%d/%Y %H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
    ];
    let account = cx.account.clone();
    let mut out = Vec::new();
    let mut rows = DataRows::new(sheet, stream);
    while let Some(row) = rows.next()? {
        hand_over(&mut out, cx, emit);
        if !sheet.data_row(cx, row, c_date, &mut out) {
            continue;
        }
        let line = row.line;
        let before = cx.problem_count();
        let time = parse_time_cell(cx, row, c_date, "Date (UTC)", &FMTS, chrono_tz::Tz::UTC);
        let sa = cx.number(row, c_sa, "Amount Sent");
        let ra = cx.number(row, c_ra, "Amount Received");
        let fa = c_fa.and_then(|i| cx.number(row, i, "Fee Amount"));
        let Some(time) = time else { continue };
        if cx.problem_count() != before {
            continue;
        }
        let cur = |i: usize| row.get(i).to_ascii_uppercase();
        let sent = sa
            .filter(|q| !q.is_zero() && !row.get(c_sc).is_empty())
            .map(|q| (q.abs(), cur(c_sc)));
        let received = ra
            .filter(|q| !q.is_zero() && !row.get(c_rc).is_empty())
            .map(|q| (q.abs(), cur(c_rc)));
        let fee = match (fa, c_fc) {
            (Some(q), Some(i)) if !q.is_zero() && !row.get(i).is_empty() => Some((q.abs(), cur(i))),
            _ => None,
        };
        let ty = row.get(c_type).to_ascii_lowercase();
        let mut note = vec![row.get(c_type).to_string()];
        for c in [c_platform, c_desc].into_iter().flatten() {
            if !row.get(c).is_empty() {
                note.push(row.get(c).to_string());
            }
        }
        let note = note.join("; ");
        let hash = c_hash.map_or("", |i| row.get(i));
        let cells: Vec<&str> = row.cells.iter().map(String::as_str).collect();
        let id = cx.content_id(&cells);
        let with_fee = |d: Draft| match &fee {
            Some((q, a)) => d.fee(*q, a),
            None => d,
        };
        let rec = |d: Draft| Entry::Rec {
            rows: vec![line],
            rec: d.finish(&account),
        };
        match (sent, received) {
            (Some(s), Some(r)) => super::trade_record(
                cx,
                TradeIn {
                    id,
                    rows: vec![line],
                    time,
                    sent: s,
                    received: r,
                    fees: fee.clone().into_iter().collect(),
                    usd_hint: None,
                    note,
                },
                &mut out,
            ),
            (None, Some((_, a))) if INCOME.contains(&ty.as_str()) && is_fiat(&a) => {
                out.push(Entry::skip(line, "income paid in cash: not a crypto lot"));
            }
            (None, Some((q, a))) if INCOME.contains(&ty.as_str()) => {
                let v = cx.value_legs(line, time, Some((q, &a)), None);
                out.push(rec(with_fee(
                    Draft::new(id, time, Kind::Income)
                        .category(super::income_category(&ty))
                        .received(q, &a)
                        .usd(v)
                        .txid(hash)
                        .note(note),
                )));
            }
            (None, Some((_, a))) if is_fiat(&a) => {
                out.push(Entry::skip(line, "fiat deposit: a cash movement, not a crypto event"));
            }
            (None, Some((q, a))) if IN.contains(&ty.as_str()) => out.push(rec(with_fee(
                Draft::new(id, time, Kind::Deposit)
                    .received(q, &a)
                    .txid(hash)
                    .note(note),
            ))),
            (Some((_, a)), None) if is_fiat(&a) => {
                out.push(Entry::skip(
                    line,
                    "fiat withdrawal: a cash movement, not a crypto event",
                ));
            }
            (Some((q, a)), None) if ty == "merchant payment" => {
                let v = cx.value_legs(line, time, None, Some((q, &a)));
                out.push(rec(with_fee(
                    Draft::new(id, time, Kind::Spend)
                        .sent(q, &a)
                        .usd(v)
                        .txid(hash)
                        .note(note),
                )));
            }
            (Some((q, a)), None) if OUT.contains(&ty.as_str()) => out.push(rec(with_fee(
                Draft::new(id, time, Kind::Withdrawal)
                    .sent(q, &a)
                    .txid(hash)
                    .note(note),
            ))),
            (None, None) => out.push(Entry::skip(line, "row with no amounts: nothing moved")),
            _ => out.push(Entry::skip(
                line,
                format!(
                    "unknown CoinLedger type {:?} for these amounts: not imported, enter it by hand",
                    row.get(c_type)
                ),
            )),
        }
    }
    hand_over(&mut out, cx, emit);
    Ok(())
}
