//! Coinbase Pro / Exchange account statement:
//! `portfolio,type,time,amount,balance,amount/balance unit,transfer id,trade id,order id`
//! (also without `portfolio`, and the capitalised
//! `Portfolio,Type,Timestamp,Amount,Balance,Amount/balance unit,Transfer id,Trade id,Order id`).
//! Times are ISO-8601 UTC; `amount` is signed.
//!
//! One fill is two `match` rows (the base received or sent, the quote sent or
//! received, both gross) plus a `fee` row, all sharing `trade id` and `order
//! id`; the fee is charged on top, which is the ledger's convention. They make
//! one ledger row with id `coinbase-pro-<order id>-<trade id>` (trade ids are
//! unique per product only). `conversion` rows (USD↔USDC) at one instant make
//! one exchange. Crypto `deposit`/`withdrawal` rows become ledger deposits and
//! withdrawals (id from `transfer id`); USD ones are cash movements, skipped
//! with a reason. A `rebate` is income.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::{Cx, Draft, Entry, ISO_NAIVE, Sheet, TradeIn, is_fiat, parse_time_cell};
use crate::model::{Category, Kind};

pub(crate) fn matches(h: &[String]) -> bool {
    let has = |n: &str| h.iter().any(|c| c.eq_ignore_ascii_case(n));
    has("type")
        && (has("time") || has("timestamp"))
        && has("amount")
        && has("balance")
        && has("amount/balance unit")
        && has("trade id")
        && has("transfer id")
}

struct Leg {
    line: u64,
    kind: String,
    qty: Decimal,
    asset: String,
}

/// The rows of one fill (or one conversion), in file order.
struct Group {
    first: u64,
    time: DateTime<Utc>,
    legs: Vec<Leg>,
}

pub(crate) fn parse(sheet: &mut Sheet, cx: &mut Cx) -> Vec<Entry> {
    let c_type = sheet.need(cx, &["type"]);
    let c_time = sheet.need(cx, &["time", "Timestamp"]);
    let c_amount = sheet.need(cx, &["amount"]);
    let c_unit = sheet.need(cx, &["amount/balance unit"]);
    let c_transfer = sheet.need(cx, &["transfer id"]);
    let c_trade = sheet.need(cx, &["trade id"]);
    let c_order = sheet.col(&["order id"]);
    let c_balance = sheet.col(&["balance"]);
    if cx.failed() {
        return Vec::new();
    }
    let mut out = Vec::new();
    // Fills by (order id, trade id); conversions by time.
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    let account = cx.account.clone();
    for row in std::mem::take(&mut sheet.rows) {
        let row = &row;
        if !sheet.data_row(cx, row, c_time, &mut out) {
            continue;
        }
        let kind = row.get(c_type).to_ascii_lowercase();
        let time = parse_time_cell(cx, row, c_time, "time", &ISO_NAIVE, chrono_tz::Tz::UTC);
        let qty = cx.required(row, c_amount, "amount");
        let asset = row.get(c_unit).to_ascii_uppercase();
        let (Some(time), Some(qty)) = (time, qty) else {
            continue;
        };
        if asset.is_empty() {
            cx.problem(
                row.line,
                Some("amount/balance unit"),
                None,
                "is empty; this row needs it",
            );
            continue;
        }
        // The statement's own balance of the unit after the row, for the
        // comparison with the ledger's (`harvest balances`).
        if !is_fiat(&asset)
            && let Some(balance) = c_balance.and_then(|i| cx.number(row, i, "balance"))
        {
            cx.report_balance(row.line, time, &asset, balance);
        }
        let leg = Leg {
            line: row.line,
            kind: kind.clone(),
            qty,
            asset: asset.clone(),
        };
        match kind.as_str() {
            "match" | "fee" | "conversion" => {
                let key = if kind == "conversion" {
                    format!("conversion-{}", row.get(c_time))
                } else {
                    let trade = row.get(c_trade);
                    if trade.is_empty() {
                        cx.problem(row.line, Some("trade id"), None, "is empty on a trade row");
                        continue;
                    }
                    let order = c_order.map_or("", |i| row.get(i));
                    if order.is_empty() {
                        trade.to_string()
                    } else {
                        format!("{order}-{trade}")
                    }
                };
                groups
                    .entry(key)
                    .or_insert_with(|| Group {
                        first: row.line,
                        time,
                        legs: Vec::new(),
                    })
                    .legs
                    .push(leg);
            }
            "deposit" | "withdrawal" => {
                let what = kind.as_str();
                if is_fiat(&asset) {
                    out.push(Entry::skip(
                        row.line,
                        format!("fiat {what}: a cash movement, not a crypto event"),
                    ));
                    continue;
                }
                if qty.is_zero() {
                    out.push(Entry::skip(row.line, format!("zero-amount {what}")));
                    continue;
                }
                let transfer = row.get(c_transfer);
                let id = if transfer.is_empty() {
                    let cells: Vec<&str> = row.cells.iter().map(String::as_str).collect();
                    cx.content_id(&cells)
                } else {
                    cx.exchange_id(transfer)
                };
                let d = if qty.is_sign_negative() {
                    Draft::new(id, time, Kind::Withdrawal).sent(qty, &asset)
                } else {
                    Draft::new(id, time, Kind::Deposit).received(qty, &asset)
                };
                out.push(Entry::Rec {
                    rows: vec![row.line],
                    rec: d.note(format!("Coinbase Pro {what}")).finish(&account),
                });
            }
            "rebate" => {
                if qty.is_sign_negative() || qty.is_zero() {
                    out.push(Entry::skip(row.line, "rebate without a positive amount"));
                    continue;
                }
                if is_fiat(&asset) {
                    out.push(Entry::skip(
                        row.line,
                        "rebate paid in cash: not a crypto lot",
                    ));
                    continue;
                }
                let cells: Vec<&str> = row.cells.iter().map(String::as_str).collect();
                let id = cx.content_id(&cells);
                let v = cx.value_legs(row.line, time, Some((qty, &asset)), None);
                let d = Draft::new(id, time, Kind::Income)
                    .category(Category::Reward)
                    .received(qty, &asset)
                    .usd(v)
                    .note("Coinbase Pro fee rebate");
                out.push(Entry::Rec {
                    rows: vec![row.line],
                    rec: d.finish(&account),
                });
            }
            other => out.push(Entry::skip(
                row.line,
                format!("unknown Coinbase Pro type {other:?}: not imported, enter it by hand"),
            )),
        }
    }
    let mut groups: Vec<(String, Group)> = groups.into_iter().collect();
    groups.sort_by_key(|(_, g)| g.first);
    for (key, g) in groups {
        let mut sent: Vec<&Leg> = Vec::new();
        let mut received: Vec<&Leg> = Vec::new();
        let mut fees = Vec::new();
        for l in &g.legs {
            if l.kind == "fee" {
                fees.push((l.qty.abs(), l.asset.clone()));
            } else if l.qty.is_sign_negative() {
                sent.push(l);
            } else {
                received.push(l);
            }
        }
        let rows: Vec<u64> = g.legs.iter().map(|l| l.line).collect();
        let (&[s], &[r]) = (sent.as_slice(), received.as_slice()) else {
            cx.problem(
                g.first,
                None,
                None,
                format!(
                    "the {} rows of trade {key} do not net to one asset sent and one received",
                    g.legs.len()
                ),
            );
            continue;
        };
        let id = cx.exchange_id(&key);
        super::trade_record(
            cx,
            TradeIn {
                id,
                rows,
                time: g.time,
                sent: (s.qty.abs(), s.asset.clone()),
                received: (r.qty.abs(), r.asset.clone()),
                fees,
                usd_hint: None,
                note: String::new(),
            },
            &mut out,
        );
    }
    out
}
