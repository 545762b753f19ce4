//! CoinTracker import CSV:
//! `Date,Received Quantity,Received Currency,Sent Quantity,Sent Currency,Fee Amount,Fee Currency,Tag`
//! (columns in any order, as CoinTracker allows). Dates are `MM/DD/YYYY HH:MM:SS`
//! in UTC (the time may be missing).
//!
//! Fee convention: CoinTracker's fee is separate from the sent and received
//! quantities and paid in addition to them, the ledger's convention; amounts
//! map one to one. The file carries no USD values: a trade without a USD or
//! stablecoin side and every income row take one from `import --prices`, or
//! are written without one for the engine to value from `--prices`. A side in
//! another currency (EUR, GBP, ...) is kept as itself: a buy or a sell.
//!
//! Rows: both sides = buy/sell/trade; only received = income for the tags
//! `staking`, `airdrop`, `fork`, `mined`, `interest`, `income`, a deposit
//! otherwise; only sent = spend for `payment`, a withdrawal otherwise (`gift`,
//! `donation`, `lost` noted). `stake`/`unstake` moves and margin rows are skipped.

use super::sheet::{DataRows, hand_over};
use super::{Cx, Draft, Entry, ImportError, RowStream, Sheet, TradeIn, is_fiat, parse_time_cell};
use crate::model::Kind;

pub(crate) fn matches(h: &[String]) -> bool {
    let has = |n: &str| h.iter().any(|c| c == n);
    has("Date")
        && has("Received Quantity")
        && has("Received Currency")
        && has("Sent Quantity")
        && has("Sent Currency")
        && !has("Type")
}

const INCOME: [&str; 6] = ["staking", "airdrop", "fork", "mined", "interest", "income"];

/// Reads the data rows one at a time, those already in `sheet` and then the
/// rest of `stream`, giving each row's entries to `emit` as it is read.
pub(crate) fn parse_stream(
    sheet: &Sheet,
    stream: &mut RowStream,
    cx: &mut Cx,
    emit: &mut dyn FnMut(&mut Cx, Entry),
) -> Result<(), ImportError> {
    let c_date = sheet.need(cx, &["Date"]);
    let c_rq = sheet.need(cx, &["Received Quantity"]);
    let c_rc = sheet.need(cx, &["Received Currency"]);
    let c_sq = sheet.need(cx, &["Sent Quantity"]);
    let c_sc = sheet.need(cx, &["Sent Currency"]);
    let c_fa = sheet.need(cx, &["Fee Amount"]);
    let c_fc = sheet.need(cx, &["Fee Currency"]);
    let c_tag = sheet.need(cx, &["Tag"]);
    if cx.failed() {
        return DataRows::new(sheet, stream).skip_all();
    }
    const FMTS: [&str; 4] = [
        "%m/%d/%Y %H:%M:%S",
        "%m/%d/%Y %H:%M",
        "%m/%d/%Y",
        "%Y-%m-%d %H:%M:%S",
    ];
    let mut out = Vec::new();
    let mut rows = DataRows::new(sheet, stream);
    while let Some(row) = rows.next()? {
        hand_over(&mut out, cx, emit);
        if !sheet.check_width(cx, row, 0) {
            continue;
        }
        if row.is_blank() || row.get(c_date).is_empty() || row.get(c_date).starts_with("...") {
            out.push(Entry::skip(row.line, "blank or footer row"));
            continue;
        }
        let line = row.line;
        let time = parse_time_cell(cx, row, c_date, "Date", &FMTS, chrono_tz::Tz::UTC);
        let rq = cx.number(row, c_rq, "Received Quantity");
        let sq = cx.number(row, c_sq, "Sent Quantity");
        let fa = cx.number(row, c_fa, "Fee Amount");
        let Some(time) = time else { continue };
        let cur = |i: usize| row.get(i).to_ascii_uppercase();
        let (rc, sc, fc) = (cur(c_rc), cur(c_sc), cur(c_fc));
        let tag = row.get(c_tag).to_ascii_lowercase();
        let received = rq
            .filter(|q| !q.is_zero() && !rc.is_empty())
            .map(|q| (q.abs(), rc.clone()));
        let sent = sq
            .filter(|q| !q.is_zero() && !sc.is_empty())
            .map(|q| (q.abs(), sc.clone()));
        let fee = fa
            .filter(|q| !q.is_zero() && !fc.is_empty())
            .map(|q| (q.abs(), fc.clone()));
        if matches!(tag.as_str(), "stake" | "unstake") || tag.starts_with("margin") {
            out.push(Entry::skip(
                line,
                format!("CoinTracker tag {tag:?}: not imported (staking move or margin)"),
            ));
            continue;
        }
        let cells: Vec<&str> = row.cells.iter().map(String::as_str).collect();
        let id = cx.content_id(&cells);
        let account = cx.account.clone();
        let rec = |out: &mut Vec<Entry>, d: Draft| {
            out.push(Entry::Rec {
                rows: vec![line],
                rec: d.finish(&account),
            })
        };
        let with_fee = |d: Draft| match &fee {
            Some((q, a)) => d.fee(*q, a),
            None => d,
        };
        let note = tag.clone();
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
            (None, Some((q, a))) => {
                if is_fiat(&a) {
                    out.push(Entry::skip(line, "fiat deposit: not a tax event"));
                } else if INCOME.contains(&tag.as_str()) {
                    let v = cx.value_legs(line, time, Some((q, &a)), None);
                    rec(
                        &mut out,
                        with_fee(
                            Draft::new(id, time, Kind::Income)
                                .category(super::income_category(&tag))
                                .received(q, &a)
                                .usd(v)
                                .note(note),
                        ),
                    );
                } else {
                    rec(
                        &mut out,
                        with_fee(
                            Draft::new(id, time, Kind::Deposit)
                                .received(q, &a)
                                .note(note),
                        ),
                    );
                }
            }
            (Some((q, a)), None) => {
                if is_fiat(&a) {
                    out.push(Entry::skip(line, "fiat withdrawal: not a tax event"));
                } else if tag == "payment" {
                    let v = cx.value_legs(line, time, None, Some((q, &a)));
                    rec(
                        &mut out,
                        with_fee(
                            Draft::new(id, time, Kind::Spend)
                                .sent(q, &a)
                                .usd(v)
                                .note(note),
                        ),
                    );
                } else {
                    rec(
                        &mut out,
                        with_fee(
                            Draft::new(id, time, Kind::Withdrawal)
                                .sent(q, &a)
                                .note(note),
                        ),
                    );
                }
            }
            (None, None) => match fee {
                Some((q, a)) if !is_fiat(&a) => rec(
                    &mut out,
                    Draft::new(id, time, Kind::Fee).fee(q, &a).note(note),
                ),
                _ => out.push(Entry::skip(line, "row with no amounts: nothing moved")),
            },
        }
    }
    hand_over(&mut out, cx, emit);
    Ok(())
}
