//! PayPal's crypto transaction statement (Crypto, Statements, Transaction
//! statement), which Venmo's crypto statement shares (Venmo's crypto is run by
//! PayPal): a few disclaimer lines, then `DateTime,Transaction Type,Asset In
//! (Quantity),Asset In (Currency),Asset Out (Quantity),Asset Out (Currency),
//! Transaction Fee (Quantity),Transaction Fee (Currency),Market Value (USD)`.
//! Versions: `Market Value (GBP)` (or another currency) outside the US, and
//! a `Transaction ID` column in some files. The "Gains and losses" statement
//! (`Property Quantity,Property Symbol,Date Acquired,…`) is a Form 8949 draft,
//! not a history, and is not read.
//!
//! `DateTime` is ISO 8601 UTC (`2024-03-01T15:04:05.000Z`), or RFC 2822
//! (`Fri, 01 Mar 2024 15:04:05 GMT`); a time without a zone is read in `--tz`.
//!
//! Types: `BUY` (money out, crypto in) → `buy`, `SELL` → `sell`,
//! `TRANSFER-IN` → `deposit`, `TRANSFER-OUT` → `withdrawal`; others (paying
//! a merchant with crypto, sending to another PayPal or Venmo user) are
//! skipped to enter by hand. Fee convention: the `Asset Out` and `Asset In`
//! quantities are what left and what reached the account, so a fee in the
//! asset that left is inside `Asset Out` (a buy's fee inside the dollars
//! paid, a transfer's network fee inside the crypto sent) and a fee in the
//! asset that arrived was taken before `Asset In` (a sale's fee from the
//! proceeds); harvest takes the fee out of, or adds it back to, that side
//! and books it on top. This reading follows PayPal's description of the
//! statement ("quantity, fee per transaction, total value") and is
//! unverified on a real file. `Market Value` is PayPal's value of the crypto:
//! in USD it values a row with no dollar side; in another currency it is
//! converted at that currency's `--prices` rate.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::draft::fmt_decimal;
use super::sheet::stream_rows;
use super::{
    Cx, Draft, Entry, ISO_NAIVE, ImportError, RowStream, Sheet, SheetRow, TradeIn, in_zone,
    parse_naive, trade_record,
};
use crate::model::Kind;

pub(crate) fn matches(h: &[String]) -> bool {
    let has = |n: &str| h.iter().any(|c| c == n);
    has("DateTime")
        && has("Transaction Type")
        && has("Asset In (Quantity)")
        && has("Asset Out (Quantity)")
}

struct Cols {
    date: usize,
    kind: usize,
    in_q: usize,
    in_c: usize,
    out_q: usize,
    out_c: usize,
    fee_q: Option<usize>,
    fee_c: Option<usize>,
    /// `Market Value (CCY)`: the column and its currency.
    value: Option<(usize, String)>,
    id: Option<usize>,
}

/// Reads the statement row by row (see [`stream_rows`]).
pub(crate) fn parse_stream(
    sheet: &Sheet,
    stream: &mut RowStream,
    cx: &mut Cx,
    emit: &mut dyn FnMut(&mut Cx, Entry),
) -> Result<(), ImportError> {
    let value = sheet.header.iter().enumerate().find_map(|(i, h)| {
        let ccy = h.strip_prefix("Market Value (")?.strip_suffix(')')?;
        Some((i, ccy.trim().to_ascii_uppercase()))
    });
    let c = Cols {
        date: sheet.need(cx, &["DateTime"]),
        kind: sheet.need(cx, &["Transaction Type"]),
        in_q: sheet.need(cx, &["Asset In (Quantity)"]),
        in_c: sheet.need(cx, &["Asset In (Currency)"]),
        out_q: sheet.need(cx, &["Asset Out (Quantity)"]),
        out_c: sheet.need(cx, &["Asset Out (Currency)"]),
        fee_q: sheet.col(&["Transaction Fee (Quantity)"]),
        fee_c: sheet.col(&["Transaction Fee (Currency)"]),
        value,
        id: sheet.col(&["Transaction ID"]),
    };
    stream_rows(sheet, stream, cx, emit, |row, cx, out| {
        if let Some(row) = row
            && sheet.data_row(cx, row, c.date, out)
        {
            one_row(&c, row, cx, out);
        }
    })
}

/// Reads `DateTime`: RFC 3339, RFC 2822, or a bare time in `--tz`.
fn paypal_time(cx: &mut Cx, row: &SheetRow, col: usize) -> Option<DateTime<Utc>> {
    let cell = row.get(col).trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(cell) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_rfc2822(cell) {
        return Some(t.with_timezone(&Utc));
    }
    if let Some(n) = parse_naive(cell, &ISO_NAIVE) {
        return Some(in_zone(n, cx.opts.tz));
    }
    cx.bad_cell(
        row.line,
        "DateTime",
        cell,
        "is not a time like 2024-03-01T15:04:05.000Z",
    );
    None
}

/// A side: its quantity (a magnitude) and asset, when the row has one.
fn side(cx: &mut Cx, row: &SheetRow, q: usize, c: usize, name: &str) -> Option<(Decimal, String)> {
    let qty = cx.number(row, q, name)?;
    if qty.is_zero() {
        return None;
    }
    let asset = row.get(c).trim().to_ascii_uppercase();
    if asset.is_empty() {
        cx.problem(
            row.line,
            Some(name),
            Some(row.get(q)),
            "has no currency beside it: fill in its asset",
        );
        return None;
    }
    Some((qty.abs(), asset))
}

fn one_row(c: &Cols, row: &SheetRow, cx: &mut Cx, out: &mut Vec<Entry>) {
    let line = row.line;
    let kind = row.get(c.kind).trim().to_ascii_uppercase();
    let before = cx.problem_count();
    let time = paypal_time(cx, row, c.date);
    let inn = side(cx, row, c.in_q, c.in_c, "Asset In (Quantity)");
    let outq = side(cx, row, c.out_q, c.out_c, "Asset Out (Quantity)");
    let fee = match (c.fee_q, c.fee_c) {
        (Some(q), Some(a)) => side(cx, row, q, a, "Transaction Fee (Quantity)"),
        _ => None,
    };
    let value = c
        .value
        .as_ref()
        .and_then(|(i, ccy)| cx.number(row, *i, "Market Value").map(|v| (v.abs(), ccy)));
    if cx.problem_count() != before {
        return;
    }
    let Some(time) = time else { return };
    let id = match c.id.map_or("", |i| row.get(i).trim()) {
        "" => {
            let cells: Vec<&str> = row.cells.iter().map(String::as_str).collect();
            cx.content_id(&cells)
        }
        x => cx.exchange_id(x),
    };
    // The fee is inside the side in its asset (see the module doc): take it
    // out of what left, add it back to what arrived.
    let mut outq = outq;
    let mut inn = inn;
    if let Some((fq, fa)) = &fee {
        if let Some((q, a)) = outq.as_mut().filter(|(_, a)| a == fa) {
            if *q < *fq {
                cx.problem(
                    line,
                    Some("Transaction Fee (Quantity)"),
                    Some(&fmt_decimal(*fq)),
                    format!(
                        "is larger than the {} {a} that left the account: check the row",
                        fmt_decimal(*q)
                    ),
                );
                return;
            }
            *q -= *fq;
        } else if let Some((q, _)) = inn.as_mut().filter(|(_, a)| a == fa) {
            *q += *fq;
        }
    }
    let usd_hint = match &value {
        Some((v, ccy)) => cx.fiat_to_usd(line, time, *v, ccy),
        None => None,
    };
    let account = cx.account.clone();
    let label = format!("PayPal {kind}");
    match kind.as_str() {
        "BUY" | "SELL" => match (outq, inn) {
            (Some(sent), Some(received)) => trade_record(
                cx,
                TradeIn {
                    id,
                    rows: vec![line],
                    time,
                    sent,
                    received,
                    fees: fee.into_iter().collect(),
                    usd_hint,
                    note: label,
                },
                out,
            ),
            _ => out.push(Entry::skip(
                line,
                format!(
                    "PayPal {kind} without both an asset in and an asset out: enter it by hand"
                ),
            )),
        },
        "TRANSFER-IN" | "TRANSFER_IN" | "TRANSFER IN" => match inn {
            Some((q, a)) => {
                let mut d = Draft::new(id, time, Kind::Deposit).received(q, &a);
                if let Some((fq, fa)) = &fee {
                    d = d.fee(*fq, fa);
                }
                out.push(Entry::Rec {
                    rows: vec![line],
                    rec: d.note(label).finish(&account),
                });
            }
            None => out.push(Entry::skip(line, "PayPal TRANSFER-IN of nothing")),
        },
        "TRANSFER-OUT" | "TRANSFER_OUT" | "TRANSFER OUT" => match outq {
            Some((q, a)) if !q.is_zero() => {
                let mut d = Draft::new(id, time, Kind::Withdrawal).sent(q, &a);
                if let Some((fq, fa)) = &fee {
                    d = d.fee(*fq, fa);
                }
                out.push(Entry::Rec {
                    rows: vec![line],
                    rec: d.note(label).finish(&account),
                });
            }
            _ => out.push(Entry::skip(
                line,
                "PayPal TRANSFER-OUT of nothing beyond its fee: enter the fee by hand",
            )),
        },
        _ => out.push(Entry::skip(
            line,
            format!(
                "unknown PayPal crypto transaction type {kind:?} (a payment with crypto, or a \
                 send to another PayPal or Venmo user?): not imported, enter it by hand"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::super::import_text as import;

    const HEADER: &str = "DateTime,Transaction Type,Asset In (Quantity),Asset In (Currency),Asset Out (Quantity),Asset Out (Currency),Transaction Fee (Quantity),Transaction Fee (Currency),Market Value (USD)";

    #[test]
    fn the_fee_is_inside_the_side_in_its_asset() {
        let csv = format!(
            "\"disclaimer\"\n{HEADER}\n\
             2024-02-05T16:20:31.000Z,BUY,0.0024,BTC,100.00,USD,1.99,USD,98.01\n\
             2024-05-20T21:45:00.000Z,SELL,61.38,USD,0.0009,BTC,1.23,USD,62.61\n\
             2024-06-02T12:00:00.000Z,TRANSFER-OUT,,,0.0015,BTC,0.00002,BTC,101.30\n\
             Sun, 02 Jun 2024 13:00:00 GMT,TRANSFER-IN,0.1,ETH,,,,,300\n"
        );
        let r = import(&csv.replace(
            "Sun, 02 Jun 2024 13:00:00 GMT",
            "\"Sun, 02 Jun 2024 13:00:00 GMT\"",
        ))
        .unwrap();
        let q = |r: &crate::model::Record| {
            format!("{} {} {} {}", r.kind, r.sent_qty, r.received_qty, r.fee_qty)
        };
        assert_eq!(q(&r[0]), "buy 98.01 0.0024 1.99");
        assert_eq!(q(&r[1]), "sell 0.0009 62.61 1.23");
        assert_eq!(q(&r[2]), "withdrawal 0.00148  0.00002");
        assert_eq!(q(&r[3]), "deposit  0.1 ");
        assert_eq!(r[3].time, "2024-06-02T13:00:00Z");
    }
}
