//! Koinly universal import template:
//! `Date,Sent Amount,Sent Currency,Received Amount,Received Currency,Fee Amount,Fee Currency,Net Worth Amount,Net Worth Currency,Label,Description,TxHash`
//! (`Label` may be named `Tag`). Dates are UTC.
//!
//! Fee convention: Koinly's fee is separate from Sent and Received and taken
//! from the wallet in addition to them, the ledger's convention: amounts map
//! one to one. `Net Worth Amount` (when in USD) is the row's USD value.
//!
//! Rows: both sides = buy (USD sent), sell (USD received) or trade; only
//! received = income for the income labels (`reward`, `airdrop`, `mining`,
//! `lending interest`, …), a deposit otherwise; only sent = spend for cost labels
//! (`cost`, `margin fee`, `loan fee`, …), a withdrawal otherwise (`gift`,
//! `donation`, `lost` are withdrawals with the label in the note: not sales).
//! Rows labelled `ignored`, loans, and realized-gain rows are skipped.

use super::sheet::{DataRows, hand_over};
use super::{Cx, Draft, Entry, ImportError, RowStream, Sheet, TradeIn, is_fiat, parse_time_cell};
use crate::model::Kind;

pub(crate) fn matches(h: &[String]) -> bool {
    let has = |n: &str| h.iter().any(|c| c == n);
    has("Date")
        && has("Sent Amount")
        && has("Sent Currency")
        && has("Received Amount")
        && has("Received Currency")
        && has("Net Worth Amount")
}

const INCOME: [&str; 13] = [
    "airdrop",
    "fork",
    "mining",
    "reward",
    "income",
    "other income",
    "lending interest",
    "loan interest",
    "cashback",
    "salary",
    "fee refund",
    "staking",
    "interest",
];
const SPEND: [&str; 5] = ["cost", "interest payment", "loan fee", "margin fee", "fee"];
const SKIP: [&str; 6] = [
    "ignored",
    "loan",
    "margin loan",
    "loan repayment",
    "margin repayment",
    "realized gain",
];

/// Reads the data rows one at a time, those already in `sheet` and then the
/// rest of `stream`, giving each row's entries to `emit` as it is read.
pub(crate) fn parse_stream(
    sheet: &Sheet,
    stream: &mut RowStream,
    cx: &mut Cx,
    emit: &mut dyn FnMut(&mut Cx, Entry),
) -> Result<(), ImportError> {
    let c_date = sheet.need(cx, &["Date"]);
    let c_sa = sheet.need(cx, &["Sent Amount"]);
    let c_sc = sheet.need(cx, &["Sent Currency"]);
    let c_ra = sheet.need(cx, &["Received Amount"]);
    let c_rc = sheet.need(cx, &["Received Currency"]);
    let c_fa = sheet.col(&["Fee Amount"]);
    let c_fc = sheet.col(&["Fee Currency"]);
    let c_nw = sheet.col(&["Net Worth Amount"]);
    let c_nwc = sheet.col(&["Net Worth Currency"]);
    let c_label = sheet.col(&["Label", "Tag"]);
    let c_desc = sheet.col(&["Description"]);
    let c_hash = sheet.col(&["TxHash"]);
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
        let time = parse_time_cell(cx, row, c_date, "Date", &FMTS, chrono_tz::Tz::UTC);
        let sa = cx.number(row, c_sa, "Sent Amount");
        let ra = cx.number(row, c_ra, "Received Amount");
        let fa = c_fa.and_then(|i| cx.number(row, i, "Fee Amount"));
        let nw = c_nw.and_then(|i| cx.number(row, i, "Net Worth Amount"));
        let Some(time) = time else { continue };
        let cur = |c: Option<usize>| c.map_or(String::new(), |i| row.get(i).to_ascii_uppercase());
        let (sc, rc, fc, nwc) = (
            cur(Some(c_sc)),
            cur(Some(c_rc)),
            cur(c_fa.and(c_fc)),
            cur(c_nwc),
        );
        let label = c_label.map_or(String::new(), |i| row.get(i).to_ascii_lowercase());
        let desc = c_desc.map_or("", |i| row.get(i)).to_string();
        let hash = c_hash.map_or("", |i| row.get(i)).to_string();
        let sent = sa
            .filter(|q| !q.is_zero())
            .filter(|_| !sc.is_empty())
            .map(|q| (q.abs(), sc.clone()));
        let received = ra
            .filter(|q| !q.is_zero())
            .filter(|_| !rc.is_empty())
            .map(|q| (q.abs(), rc.clone()));
        let fee = fa
            .filter(|q| !q.is_zero())
            .filter(|_| !fc.is_empty())
            .map(|q| (q.abs(), fc.clone()));
        let usd = nw.filter(|_| nwc == "USD").map(|v| v.abs());
        let cells: Vec<&str> = row.cells.iter().map(String::as_str).collect();
        let id = cx.content_id(&cells);
        let mut note = desc.clone();
        if !label.is_empty() && !SKIP.contains(&label.as_str()) {
            note = if note.is_empty() {
                label.clone()
            } else {
                format!("{label}: {note}")
            };
        }
        if SKIP.contains(&label.as_str()) {
            out.push(Entry::skip(
                line,
                format!("Koinly label {label:?}: not a taxable crypto movement here"),
            ));
            continue;
        }
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
                    usd_hint: usd,
                    note,
                },
                &mut out,
            ),
            (None, Some((q, a))) => {
                if is_fiat(&a) {
                    out.push(Entry::skip(line, "fiat deposit: not a tax event"));
                } else if INCOME.contains(&label.as_str()) {
                    let v = match usd {
                        Some(v) => Some(v),
                        None => cx.value_legs(line, time, Some((q, &a)), None),
                    };
                    rec(
                        &mut out,
                        with_fee(
                            Draft::new(id, time, Kind::Income)
                                .category(super::income_category(&note))
                                .received(q, &a)
                                .usd(v)
                                .txid(&hash)
                                .note(note),
                        ),
                    );
                } else {
                    rec(
                        &mut out,
                        with_fee(
                            Draft::new(id, time, Kind::Deposit)
                                .received(q, &a)
                                .usd(usd)
                                .txid(&hash)
                                .note(note),
                        ),
                    );
                }
            }
            (Some((q, a)), None) => {
                if is_fiat(&a) {
                    out.push(Entry::skip(line, "fiat withdrawal: not a tax event"));
                } else if SPEND.contains(&label.as_str()) {
                    let v = match usd {
                        Some(v) => Some(v),
                        None => cx.value_legs(line, time, None, Some((q, &a))),
                    };
                    rec(
                        &mut out,
                        with_fee(
                            Draft::new(id, time, Kind::Spend)
                                .sent(q, &a)
                                .usd(v)
                                .txid(&hash)
                                .note(note),
                        ),
                    );
                } else {
                    rec(
                        &mut out,
                        with_fee(
                            Draft::new(id, time, Kind::Withdrawal)
                                .sent(q, &a)
                                .usd(usd)
                                .txid(&hash)
                                .note(note),
                        ),
                    );
                }
            }
            (None, None) => match fee {
                Some((q, a)) if !is_fiat(&a) => rec(
                    &mut out,
                    Draft::new(id, time, Kind::Fee)
                        .fee(q, &a)
                        .fee_usd(usd)
                        .txid(&hash)
                        .note(note),
                ),
                _ => out.push(Entry::skip(line, "row with no amounts: nothing moved")),
            },
        }
    }
    hand_over(&mut out, cx, emit);
    Ok(())
}
