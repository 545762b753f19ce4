//! KuCoin's exports (the "Export" bundle of Orders and Deposit/Withdrawal
//! history, and the older per-page downloads), one layout per file, told
//! apart by header:
//!
//! - spot orders, order level: `UID,Account Type,Order ID,Order
//!   Time(UTC),Symbol,Side,Order Type,Order Price,Order Amount,Avg. Filled
//!   Price,Filled Amount,Filled Volume,Filled Volume (USDT),Filled
//!   Time(UTC),Fee,Fee Currency[,Tax],Status`;
//! - spot orders, fill level: `UID,Account Type,Order ID,Symbol,Side,Order
//!   Type,Avg. Filled Price,Filled Amount,Filled Volume,Filled Volume
//!   (USDT),Filled Time(UTC),Fee,Tax,Maker/Taker,Fee Currency`;
//! - the older trade history `tradeCreatedAt,orderId,symbol,side,price,size,
//!   funds,fee,liquidity,feeCurrency,orderType`;
//! - deposits `UID,Account Type,Time(UTC),Coin,Amount,Fee,[Hash,Deposit
//!   Address,]Transfer Network,Status,Remarks` (columns in any order: the
//!   bundle reorders them) and withdrawals, the same with `Withdrawal
//!   Address/Account`; the older `Time,Coin,[Network,]Amount,Type,Remark[,Fee]`
//!   deposits and `…,Wallet Address[/Account],Remark` withdrawals.
//!
//! Times are in the zone the header names (`Time(UTC)`, `Filled
//! Time(UTC+08:00)`); a header without one (`Filled Time`, `Time`,
//! `tradeCreatedAt`) is KuCoin's server time, UTC+8 (as BittyTax reads it).
//!
//! Fee convention: `Filled Amount` (`size`) is the base quantity and `Filled
//! Volume` (`funds`) the quote amount, both before the `Fee`, which is charged
//! on top in `Fee Currency` (the quote, or KCS with the discount on): the
//! ledger's convention. `BUY` sends the quote and receives the base, `SELL`
//! the reverse; a quote in money (`BTC-EUR`) makes a buy or sell in it, a
//! crypto quote a `trade`, valued at `Filled Volume (USDT)` where the file
//! gives it (USDT at 1.00, as a stablecoin side is valued), else from a
//! stablecoin side or `--prices`. An order with nothing filled is skipped;
//! margin and futures account rows are skipped to report separately. A
//! nonzero `Tax` (its currency unstated) is kept in the note, not booked.
//!
//! Deposits and withdrawals: `SUCCESS` rows of crypto become `deposit`/
//! `withdrawal` rows with `Hash` as txid and the address in the note, the
//! `Fee` paid on top of `Amount` (BittyTax's reading; unverified on a real
//! export). Other statuses are skipped with theirs; money rows as cash.
//!
//! Ids: an order-level row `kucoin-<Order ID>`; a fill-level or older trade
//! row, and a deposit or withdrawal, a hash of its cells (the exports have no
//! fill or transfer id). The order-level and fill-level files describe the
//! same trades: import one of them.

use chrono::{DateTime, FixedOffset, Utc};

use super::sheet::stream_rows;
use super::{
    Cx, Draft, Entry, ImportError, RowStream, Sheet, SheetRow, TradeIn, is_fiat, parse_naive,
    trade_record,
};
use crate::model::Kind;

fn has(h: &[String], n: &str) -> bool {
    h.iter().any(|c| c == n)
}

fn time_col(h: &[String], name: &str) -> bool {
    h.iter()
        .any(|c| c == name || c.starts_with(&format!("{name}(")))
}

fn is_trades(h: &[String]) -> bool {
    has(h, "Symbol")
        && has(h, "Side")
        && has(h, "Filled Amount")
        && has(h, "Filled Volume")
        && has(h, "Fee Currency")
        || has(h, "tradeCreatedAt")
            && has(h, "symbol")
            && has(h, "side")
            && has(h, "size")
            && has(h, "funds")
            && has(h, "feeCurrency")
}

fn is_transfers(h: &[String]) -> bool {
    let bundle = has(h, "UID")
        && has(h, "Account Type")
        && time_col(h, "Time")
        && has(h, "Coin")
        && has(h, "Amount")
        && has(h, "Transfer Network")
        && has(h, "Status");
    let old = has(h, "Time")
        && has(h, "Coin")
        && has(h, "Amount")
        && has(h, "Type")
        && has(h, "Remark")
        && !has(h, "UID");
    bundle || old
}

fn is_withdrawals(h: &[String]) -> bool {
    [
        "Withdrawal Address/Account",
        "Wallet Address/Account",
        "Wallet Address",
    ]
    .iter()
    .any(|n| has(h, n))
}

pub(crate) fn matches(h: &[String]) -> bool {
    is_trades(h) || is_transfers(h)
}

/// The zone a time header names: `Time(UTC)`, `Filled Time(UTC+08:00)`,
/// `Order Time(UTC-05:00)`; KuCoin's server zone, UTC+8, for a bare name.
fn header_zone(h: &str) -> Option<FixedOffset> {
    let Some(open) = h.find('(') else {
        return FixedOffset::east_opt(8 * 3600);
    };
    let inner = h[open + 1..].strip_suffix(')')?.trim();
    let off = inner.strip_prefix("UTC")?.trim();
    if off.is_empty() {
        return FixedOffset::east_opt(0);
    }
    let (sign, rest) = match off.as_bytes()[0] {
        b'+' => (1, &off[1..]),
        b'-' => (-1, &off[1..]),
        _ => return None,
    };
    let (hh, mm) = rest.split_once(':').unwrap_or((rest, "0"));
    let secs = hh.parse::<i32>().ok()? * 3600 + mm.parse::<i32>().ok()? * 60;
    FixedOffset::east_opt(sign * secs)
}

/// The columns named `name` or `name(<zone>)`, one per name in that order,
/// with their zones.
fn zoned_cols(sheet: &Sheet, names: &[&str]) -> Vec<(usize, String, Option<FixedOffset>)> {
    names
        .iter()
        .filter_map(|n| {
            sheet
                .header
                .iter()
                .position(|h| h == n || h.starts_with(&format!("{n}(")))
                .map(|i| {
                    let h = sheet.header[i].clone();
                    let z = header_zone(&h);
                    (i, h, z)
                })
        })
        .collect()
}

const FMTS: [&str; 3] = [
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
];

/// The row's time: the first of the time columns with a value (an order's
/// `Filled Time`, else its `Order Time`).
fn kucoin_time(
    cx: &mut Cx,
    row: &SheetRow,
    cols: &[(usize, String, Option<FixedOffset>)],
) -> Option<DateTime<Utc>> {
    let col = cols
        .iter()
        .find(|c| !row.get(c.0).trim().is_empty())
        .or(cols.first())?;
    let cell = row.get(col.0);
    let t = match (parse_naive(cell, &FMTS), col.2) {
        (Some(n), Some(z)) => Some((n - z).and_utc()),
        _ => None,
    };
    if t.is_none() {
        let msg = if col.2.is_none() {
            "names a zone harvest cannot read: rename it Time(UTC) or Time(UTC+08:00)"
        } else {
            "is not a time like 2023-05-01 10:20:30"
        };
        cx.problem(row.line, Some(&col.1), Some(cell), msg);
    }
    t
}

enum Layout {
    Trades {
        symbol: usize,
        side: usize,
        base: usize,
        quote: usize,
        quote_usdt: Option<usize>,
        fee: usize,
        fee_ccy: usize,
        order: Option<usize>,
        /// Order level (one row per order, `Order Amount` present): the order
        /// id is the row's id.
        order_level: bool,
        account_type: Option<usize>,
        tax: Option<usize>,
    },
    Transfers {
        withdrawals: bool,
        coin: usize,
        amount: usize,
        fee: Option<usize>,
        hash: Option<usize>,
        address: Option<usize>,
        network: Option<usize>,
        status: Option<usize>,
        remarks: Option<usize>,
    },
}

struct Cols {
    time: Vec<(usize, String, Option<FixedOffset>)>,
    /// The cell that tells a data row from a blank or footer one.
    key: usize,
    layout: Layout,
}

/// Reads the export row by row (see [`stream_rows`]).
pub(crate) fn parse_stream(
    sheet: &Sheet,
    stream: &mut RowStream,
    cx: &mut Cx,
    emit: &mut dyn FnMut(&mut Cx, Entry),
) -> Result<(), ImportError> {
    let h = &sheet.header;
    let (time, layout) = if is_trades(h) {
        let time = zoned_cols(sheet, &["Filled Time", "Order Time", "tradeCreatedAt"]);
        let layout = Layout::Trades {
            symbol: sheet.need(cx, &["Symbol", "symbol"]),
            side: sheet.need(cx, &["Side", "side"]),
            base: sheet.need(cx, &["Filled Amount", "size"]),
            quote: sheet.need(cx, &["Filled Volume", "funds"]),
            quote_usdt: sheet.col(&["Filled Volume (USDT)"]),
            fee: sheet.need(cx, &["Fee", "fee"]),
            fee_ccy: sheet.need(cx, &["Fee Currency", "feeCurrency"]),
            order: sheet.col(&["Order ID", "orderId"]),
            order_level: has(h, "Order Amount"),
            account_type: sheet.col(&["Account Type"]),
            tax: sheet.col(&["Tax"]),
        };
        (time, layout)
    } else {
        let withdrawals = is_withdrawals(h);
        let layout = Layout::Transfers {
            withdrawals,
            coin: sheet.need(cx, &["Coin"]),
            amount: sheet.need(cx, &["Amount"]),
            fee: sheet.col(&["Fee"]),
            hash: sheet.col(&["Hash"]),
            address: if withdrawals {
                sheet.col(&[
                    "Withdrawal Address/Account",
                    "Wallet Address/Account",
                    "Wallet Address",
                ])
            } else {
                sheet.col(&["Deposit Address"])
            },
            network: sheet.col(&["Transfer Network", "Network"]),
            status: sheet.col(&["Status"]),
            remarks: sheet.col(&["Remarks", "Remark"]),
        };
        (zoned_cols(sheet, &["Time"]), layout)
    };
    if time.is_empty() {
        sheet.need(cx, &["Time(UTC)"]);
        return stream_rows(sheet, stream, cx, emit, |_, _, _| {});
    }
    let key = match &layout {
        Layout::Trades { symbol, .. } => *symbol,
        Layout::Transfers { .. } => time[0].0,
    };
    let c = Cols { time, key, layout };
    stream_rows(sheet, stream, cx, emit, |row, cx, out| {
        if let Some(row) = row
            && sheet.data_row(cx, row, c.key, out)
        {
            match &c.layout {
                Layout::Trades { .. } => trade_row(&c, row, cx, out),
                Layout::Transfers { .. } => transfer_row(&c, row, cx, out),
            }
        }
    })
}

fn trade_row(c: &Cols, row: &SheetRow, cx: &mut Cx, out: &mut Vec<Entry>) {
    let Layout::Trades {
        symbol,
        side,
        base,
        quote,
        quote_usdt,
        fee,
        fee_ccy,
        order,
        order_level,
        account_type,
        tax,
    } = &c.layout
    else {
        return;
    };
    let line = row.line;
    if let Some(a) = account_type.map(|i| row.get(i).trim())
        && (a.to_ascii_lowercase().contains("margin") || a.to_ascii_lowercase().contains("futures"))
    {
        out.push(Entry::skip(
            line,
            format!(
                "KuCoin {a} trade: margin and futures are not imported, report them separately"
            ),
        ));
        return;
    }
    let before = cx.problem_count();
    let base_q = cx.required(row, *base, "Filled Amount");
    if base_q.is_some_and(|q| q.is_zero()) {
        out.push(Entry::skip(
            line,
            "order with nothing filled: nothing traded",
        ));
        return;
    }
    let time = kucoin_time(cx, row, &c.time);
    let quote_q = cx.required(row, *quote, "Filled Volume");
    let fee_q = cx.number(row, *fee, "Fee").unwrap_or_default().abs();
    let usdt = quote_usdt.and_then(|i| cx.number(row, i, "Filled Volume (USDT)"));
    let tax_q = tax
        .and_then(|i| cx.number(row, i, "Tax"))
        .filter(|t| !t.is_zero());
    let pair = row.get(*symbol).trim().to_ascii_uppercase();
    let split = pair
        .split_once('-')
        .filter(|(b, q)| !b.is_empty() && !q.is_empty());
    if split.is_none() {
        cx.problem(
            line,
            Some("Symbol"),
            Some(&pair),
            "is not a pair like BTC-USDT",
        );
    }
    let side_l = row.get(*side).trim().to_ascii_lowercase();
    if side_l != "buy" && side_l != "sell" {
        cx.problem(
            line,
            Some("Side"),
            Some(row.get(*side)),
            "is neither BUY nor SELL",
        );
    }
    let fee_asset = row.get(*fee_ccy).trim().to_ascii_uppercase();
    if !fee_q.is_zero() && fee_asset.is_empty() {
        cx.problem(
            line,
            Some("Fee Currency"),
            None,
            "is empty but the fee is not",
        );
    }
    if cx.problem_count() > before {
        return;
    }
    let (Some(time), Some(base_q), Some(quote_q), Some((b, q))) = (time, base_q, quote_q, split)
    else {
        return;
    };
    let (base_q, quote_q) = (base_q.abs(), quote_q.abs());
    let order_id = order.map_or("", |i| row.get(i).trim());
    let id = if *order_level && !order_id.is_empty() {
        cx.exchange_id(order_id)
    } else {
        let cells: Vec<&str> = row.cells.iter().map(String::as_str).collect();
        cx.content_id(&cells)
    };
    let (sent, received) = if side_l == "buy" {
        ((quote_q, q.to_string()), (base_q, b.to_string()))
    } else {
        ((base_q, b.to_string()), (quote_q, q.to_string()))
    };
    // USDT at 1.00, as a stablecoin side is valued; a money side is valued
    // by trade_record at its own rate instead.
    let usd_hint = usdt.filter(|_| !is_fiat(q)).map(|v| v.abs());
    let mut note = if order_id.is_empty() {
        pair.clone()
    } else {
        format!("{pair} order {order_id}")
    };
    // KuCoin's `Tax` (a levy some countries' users pay) is not a fee the
    // export says the currency of: kept in the note, to enter by hand.
    if let Some(t) = tax_q {
        note.push_str(&format!(
            "; KuCoin Tax {} not booked: enter it by hand",
            super::num::fmt_decimal(t.abs())
        ));
    }
    trade_record(
        cx,
        TradeIn {
            id,
            rows: vec![line],
            time,
            sent,
            received,
            fees: vec![(fee_q, fee_asset)],
            usd_hint,
            note,
        },
        out,
    );
}

fn transfer_row(c: &Cols, row: &SheetRow, cx: &mut Cx, out: &mut Vec<Entry>) {
    let Layout::Transfers {
        withdrawals,
        coin,
        amount,
        fee,
        hash,
        address,
        network,
        status,
        remarks,
    } = &c.layout
    else {
        return;
    };
    let line = row.line;
    let get = |i: Option<usize>| i.map_or("", |i| row.get(i).trim());
    let st = get(*status);
    if status.is_some() && !st.eq_ignore_ascii_case("success") {
        out.push(Entry::skip(
            line,
            format!("KuCoin transfer status {st:?}: nothing moved"),
        ));
        return;
    }
    let before = cx.problem_count();
    let time = kucoin_time(cx, row, &c.time);
    let qty = cx.required(row, *amount, "Amount");
    let fee_q = fee
        .and_then(|i| cx.number(row, i, "Fee"))
        .unwrap_or_default()
        .abs();
    let asset = cx
        .required_asset(row, *coin, "Coin")
        .map(str::to_ascii_uppercase);
    if cx.problem_count() > before {
        return;
    }
    let (Some(time), Some(qty), Some(asset)) = (time, qty, asset) else {
        return;
    };
    let qty = qty.abs();
    if qty.is_zero() {
        out.push(Entry::skip(line, "zero amount: nothing moved"));
        return;
    }
    if is_fiat(&asset) {
        let what = if *withdrawals {
            "withdrawal"
        } else {
            "deposit"
        };
        out.push(Entry::skip(line, format!("fiat {what}: not a tax event")));
        return;
    }
    let cells: Vec<&str> = row.cells.iter().map(String::as_str).collect();
    let id = cx.content_id(&cells);
    let mut note: Vec<String> = Vec::new();
    let addr = get(*address);
    if !addr.is_empty() {
        note.push(if *withdrawals {
            format!("to {addr}")
        } else {
            format!("address {addr}")
        });
    }
    if !get(*network).is_empty() {
        note.push(format!("network {}", get(*network)));
    }
    if !get(*remarks).is_empty() {
        note.push(get(*remarks).to_string());
    }
    let d = if *withdrawals {
        Draft::new(id, time, Kind::Withdrawal).sent(qty, &asset)
    } else {
        Draft::new(id, time, Kind::Deposit).received(qty, &asset)
    };
    let d = d.fee(fee_q, &asset).txid(get(*hash)).note(note.join("; "));
    let account = cx.account.clone();
    out.push(Entry::Rec {
        rows: vec![line],
        rec: d.finish(&account),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<String> {
        s.split(',').map(str::to_string).collect()
    }

    #[test]
    fn zones_from_the_header() {
        assert_eq!(header_zone("Time(UTC)"), FixedOffset::east_opt(0));
        assert_eq!(
            header_zone("Filled Time(UTC+08:00)"),
            FixedOffset::east_opt(8 * 3600)
        );
        assert_eq!(
            header_zone("Order Time(UTC-05:30)"),
            FixedOffset::east_opt(-(5 * 3600 + 1800))
        );
        // KuCoin's server time for a bare name.
        assert_eq!(header_zone("Filled Time"), FixedOffset::east_opt(8 * 3600));
        assert_eq!(header_zone("Time(CET)"), None);
    }

    #[test]
    fn layouts_are_told_apart() {
        let orders = h(
            "UID,Account Type,Order ID,Order Time(UTC),Symbol,Side,Order Type,Order Price,Order Amount,Avg. Filled Price,Filled Amount,Filled Volume,Filled Volume (USDT),Filled Time(UTC),Fee,Fee Currency,Tax,Status",
        );
        assert!(matches(&orders) && is_trades(&orders));
        let dep = h(
            "UID,Account Type,Time(UTC),Coin,Amount,Fee,Hash,Deposit Address,Transfer Network,Status,Remarks",
        );
        assert!(matches(&dep) && !is_trades(&dep) && !is_withdrawals(&dep));
        let wd = h(
            "UID,Account Type,Time(UTC),Coin,Amount,Fee,Hash,Withdrawal Address/Account,Transfer Network,Status,Remarks",
        );
        assert!(matches(&wd) && is_withdrawals(&wd));
        let old = h("Time,Coin,Network,Amount,Type,Wallet Address/Account,Remark");
        assert!(matches(&old) && is_withdrawals(&old));
        assert!(!matches(&h("Time,Coin,Amount")));
    }
}
