//! Cash App's activity export (Activity, Statements, Export CSV; the
//! `cash_app_report_*.csv` file): `Transaction ID,Date,Transaction Type,
//! Currency,Amount,Fee,Net Amount,Asset Type,Asset Price,Asset Amount,Status,
//! Notes,Name of sender/receiver,Account`. Versions: recent files put `Date`
//! first and leave `Transaction ID` empty; some write `Name` for `Name of
//! sender/receiver`; some stop after `Asset Amount` (no `Status`, `Notes`).
//! One file holds all of Cash App: cash payments, card spending, stocks and
//! bitcoin; only the bitcoin rows are crypto events.
//!
//! `Date` is local time with a US zone abbreviation (`2025-06-20 15:11:20
//! CDT`: EST, EDT, CST, CDT, MST, MDT, PST, PDT, AKST, AKDT, HST, UTC, GMT),
//! converted to UTC; a time without one is read in `--tz`.
//!
//! Money columns are signed (`-$0.75`, `($370)`): `Amount` is the bitcoin's
//! price (a Buy's cost, a Sale's gross proceeds), `Fee` Cash App's fee, and
//! `Net Amount` the cash that moved (`Amount + Fee`, both signed). A Buy sends
//! `|Net| - |Fee|` with the fee on top; a Sale receives `|Net| + |Fee|` (the
//! gross, the ledger's convention) with the fee on top. When `Net Amount` is
//! given, `Amount` must agree with it, or the row is an error: that is the
//! check that the fee was read the right way round. `Asset Amount` is the
//! bitcoin quantity (a magnitude, sometimes written `0.01 BTC`). For a
//! withdrawal or deposit `Amount` is only the bitcoin's value in dollars
//! (not cash that moved) and is not read; a fee on one is paid in dollars,
//! on top.
//!
//! Bitcoin Boost (bitcoin back on a card purchase) is `income` at Cash App's
//! value (`|Amount|`, else `Asset Price × Asset Amount`). Bitcoin sent to or
//! received from another Cash App user (`P2P` with an asset) is skipped: the
//! export does not say whether it was a payment, a gift or the user's own
//! account, so it is left to enter by hand.

use chrono::{DateTime, FixedOffset, TimeZone, Utc};

use super::draft::fmt_decimal;
use super::sheet::stream_rows;
use super::{
    Cx, Draft, Entry, ImportError, RowStream, Sheet, SheetRow, TradeIn, in_zone, is_fiat, mul,
    parse_naive, trade_record,
};
use crate::model::{Category, Kind};

pub(crate) fn matches(h: &[String]) -> bool {
    let has = |n: &str| h.iter().any(|c| c == n);
    has("Date")
        && has("Transaction Type")
        && has("Amount")
        && has("Asset Type")
        && has("Asset Amount")
}

struct Cols {
    id: Option<usize>,
    date: usize,
    kind: usize,
    currency: Option<usize>,
    amount: usize,
    fee: Option<usize>,
    net: Option<usize>,
    asset: usize,
    price: Option<usize>,
    qty: usize,
    status: Option<usize>,
    notes: Option<usize>,
}

/// Reads the export row by row (see [`stream_rows`]).
pub(crate) fn parse_stream(
    sheet: &Sheet,
    stream: &mut RowStream,
    cx: &mut Cx,
    emit: &mut dyn FnMut(&mut Cx, Entry),
) -> Result<(), ImportError> {
    let c = Cols {
        id: sheet.col(&["Transaction ID"]),
        date: sheet.need(cx, &["Date"]),
        kind: sheet.need(cx, &["Transaction Type"]),
        currency: sheet.col(&["Currency"]),
        amount: sheet.need(cx, &["Amount"]),
        fee: sheet.col(&["Fee"]),
        net: sheet.col(&["Net Amount"]),
        asset: sheet.need(cx, &["Asset Type"]),
        price: sheet.col(&["Asset Price"]),
        qty: sheet.need(cx, &["Asset Amount"]),
        status: sheet.col(&["Status"]),
        notes: sheet.col(&["Notes"]),
    };
    stream_rows(sheet, stream, cx, emit, |row, cx, out| {
        if let Some(row) = row
            && sheet.data_row(cx, row, c.date, out)
        {
            one_row(&c, row, cx, out);
        }
    })
}

/// The UTC offset of a zone abbreviation Cash App writes (US zones).
fn zone_offset(abbr: &str) -> Option<i32> {
    let hours = match abbr.to_ascii_uppercase().as_str() {
        "UTC" | "GMT" | "Z" => 0,
        "EST" => -5,
        "EDT" => -4,
        "CST" => -6,
        "CDT" => -5,
        "MST" => -7,
        "MDT" => -6,
        "PST" => -8,
        "PDT" => -7,
        "AKST" => -9,
        "AKDT" => -8,
        "HST" => -10,
        _ => return None,
    };
    Some(hours * 3600)
}

const LAYOUTS: [&str; 4] = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
];

/// Reads `Date`: `2025-06-20 15:11:20 CDT` (the zone's offset applied), an
/// RFC 3339 time, or a bare time in `--tz`.
fn cash_app_time(cx: &mut Cx, row: &SheetRow, col: usize) -> Option<DateTime<Utc>> {
    let cell = row.get(col).trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(cell) {
        return Some(t.with_timezone(&Utc));
    }
    let (body, zone) = match cell.rsplit_once(' ') {
        Some((b, z)) if z.chars().all(|c| c.is_ascii_alphabetic()) => (b, Some(z)),
        _ => (cell, None),
    };
    if let Some(n) = parse_naive(body, &LAYOUTS) {
        match zone {
            None => return Some(in_zone(n, cx.opts.tz)),
            Some(z) => {
                if let Some(t) = zone_offset(z)
                    .and_then(FixedOffset::east_opt)
                    .and_then(|o| o.from_local_datetime(&n).single())
                {
                    return Some(t.with_timezone(&Utc));
                }
                cx.bad_cell(
                    row.line,
                    "Date",
                    cell,
                    format!(
                        "has a time zone harvest does not know ({z}); write the time with an \
                         offset instead, like 2025-06-20T15:11:20-05:00"
                    ),
                );
                return None;
            }
        }
    }
    cx.bad_cell(
        row.line,
        "Date",
        cell,
        "is not a time like 2025-06-20 15:11:20 CDT",
    );
    None
}

/// Statuses of a row that did not (or not yet) happen.
const NOT_DONE: [&str; 9] = [
    "FAILED",
    "CANCELED",
    "CANCELLED",
    "DECLINED",
    "PENDING",
    "REFUNDED",
    "REVERSED",
    "EXPIRED",
    "WAITING ON RECIPIENT",
];

/// What a bitcoin row is, from its `Transaction Type`.
#[derive(Debug, PartialEq)]
enum Act {
    Buy,
    Sell,
    Withdrawal { lightning: bool },
    Deposit { lightning: bool },
    Boost,
    P2p,
    Unknown,
}

fn act(kind: &str) -> Act {
    let k = kind.trim().to_ascii_lowercase();
    let lightning = k.contains("lightning");
    if k.contains("p2p") || k.contains("gift") {
        Act::P2p
    } else if k.contains("boost") || k == "bitcoin reward" {
        Act::Boost
    } else if k.ends_with(" buy") || k.ends_with(" purchase") {
        Act::Buy
    } else if k.ends_with(" sale") || k.ends_with(" sell") {
        Act::Sell
    } else if k.ends_with(" withdrawal") {
        Act::Withdrawal { lightning }
    } else if k.ends_with(" deposit") {
        Act::Deposit { lightning }
    } else {
        Act::Unknown
    }
}

fn one_row(c: &Cols, row: &SheetRow, cx: &mut Cx, out: &mut Vec<Entry>) {
    let line = row.line;
    let get = |i: Option<usize>| i.map_or("", |i| row.get(i).trim());
    let kind = row.get(c.kind).trim();
    let raw_asset = row.get(c.asset).trim().trim_start_matches('$');
    let bitcoin = kind.to_ascii_lowercase().starts_with("bitcoin");
    if !bitcoin && raw_asset.is_empty() {
        out.push(Entry::skip(
            line,
            "Cash App cash activity (payments, card, cash in and out): not a crypto event",
        ));
        return;
    }
    if kind.to_ascii_lowercase().contains("stock") {
        out.push(Entry::skip(
            line,
            "Cash App stock activity: not crypto (report it from Cash App Investing's 1099-B)",
        ));
        return;
    }
    let status = get(c.status).to_ascii_uppercase();
    if NOT_DONE.contains(&status.as_str()) {
        out.push(Entry::skip(
            line,
            format!("Cash App {kind} with status {status}: not completed"),
        ));
        return;
    }
    let act = act(kind);
    if act == Act::Unknown {
        out.push(Entry::skip(
            line,
            format!("unknown Cash App transaction type {kind:?}: not imported, enter it by hand"),
        ));
        return;
    }
    if act == Act::P2p {
        out.push(Entry::skip(
            line,
            format!(
                "Cash App {kind} (bitcoin to or from another Cash App user): the export does not \
                 say whether it was a payment, a gift or your own account; enter it by hand \
                 (spend, gift-out/gift-in, or a withdrawal/deposit)"
            ),
        ));
        return;
    }
    let before = cx.problem_count();
    let time = cash_app_time(cx, row, c.date);
    let qty = cx.amount(row, c.qty, "Asset Amount");
    let amount = cx.number(row, c.amount, "Amount");
    let fee = c
        .fee
        .and_then(|i| cx.number(row, i, "Fee"))
        .unwrap_or_default()
        .abs();
    let net = c.net.and_then(|i| cx.number(row, i, "Net Amount"));
    let price = c.price.and_then(|i| cx.number(row, i, "Asset Price"));
    if cx.problem_count() != before {
        return;
    }
    let Some(time) = time else { return };
    let Some(qty) = qty.filter(|q| !q.value.is_zero()) else {
        cx.problem(
            line,
            Some("Asset Amount"),
            Some(row.get(c.qty)),
            "is empty or zero: a bitcoin row needs its quantity",
        );
        return;
    };
    let asset = if !raw_asset.is_empty() {
        raw_asset.to_ascii_uppercase()
    } else {
        qty.unit
            .clone()
            .map_or_else(|| "BTC".to_string(), |u| u.to_ascii_uppercase())
    };
    let q = qty.value.abs();
    let ccy = match get(c.currency) {
        "" => "USD".to_string(),
        x => x.to_ascii_uppercase(),
    };
    let id = match get(c.id) {
        "" => {
            let cells: Vec<&str> = row.cells.iter().map(String::as_str).collect();
            cx.content_id(&cells)
        }
        x => cx.exchange_id(x),
    };
    let note = |extra: &str| {
        let mut n: Vec<String> = Vec::new();
        if !extra.is_empty() {
            n.push(extra.to_string());
        }
        let notes = get(c.notes);
        if !notes.is_empty() {
            n.push(notes.to_string());
        }
        n.join("; ")
    };
    let account = cx.account.clone();
    match act {
        Act::Buy | Act::Sell => {
            let buying = act == Act::Buy;
            if !is_fiat(&ccy) {
                cx.problem(
                    line,
                    Some("Currency"),
                    Some(&ccy),
                    "is not money: a bitcoin buy or sale is paid in dollars (or another \
                     currency); fix the cell",
                );
                return;
            }
            let Some(amount) = amount.map(|a| a.abs()) else {
                cx.problem(
                    line,
                    Some("Amount"),
                    None,
                    "is empty; a buy or sale needs it",
                );
                return;
            };
            // The cash side before the fee (a buy's cost, a sale's gross):
            // from the cash that moved when the file gives it.
            let cash = match net.map(|n| n.abs()) {
                Some(n) => {
                    let derived = if buying { n - fee } else { n + fee };
                    if derived != amount {
                        cx.problem(
                            line,
                            Some("Net Amount"),
                            Some(row.get(c.net.unwrap_or(c.amount))),
                            format!(
                                "does not equal Amount and Fee together ({} and {}): check the \
                                 row against Cash App and fix it",
                                fmt_decimal(amount),
                                fmt_decimal(fee)
                            ),
                        );
                        return;
                    }
                    derived
                }
                None => amount,
            };
            let (sent, received) = if buying {
                ((cash, ccy.clone()), (q, asset.clone()))
            } else {
                ((q, asset.clone()), (cash, ccy.clone()))
            };
            trade_record(
                cx,
                TradeIn {
                    id,
                    rows: vec![line],
                    time,
                    sent,
                    received,
                    fees: vec![(fee, ccy.clone())],
                    usd_hint: None,
                    note: note(kind),
                },
                out,
            );
        }
        Act::Withdrawal { lightning } | Act::Deposit { lightning } => {
            let withdrawal = matches!(act, Act::Withdrawal { .. });
            let d = if withdrawal {
                Draft::new(id, time, Kind::Withdrawal).sent(q, &asset)
            } else {
                Draft::new(id, time, Kind::Deposit).received(q, &asset)
            };
            // A fee Cash App charged for the move, in dollars, on top.
            let d = d.fee(fee, &ccy);
            let extra = match (lightning, withdrawal) {
                (true, true) => format!(
                    "{kind} (Lightning, no on-chain txid: if it paid for something, make it a \
                     spend)"
                ),
                (true, false) => format!("{kind} (Lightning, no on-chain txid)"),
                _ => kind.to_string(),
            };
            out.push(Entry::Rec {
                rows: vec![line],
                rec: d.note(note(&extra)).finish(&account),
            });
        }
        Act::Boost => {
            // Cash App's own value: the dollars shown, else its price.
            let value = amount
                .filter(|a| !a.is_zero())
                .map(|a| a.abs())
                .or_else(|| {
                    price.map(|p| {
                        mul(p.abs(), q).round_dp_with_strategy(
                            2,
                            rust_decimal::RoundingStrategy::MidpointAwayFromZero,
                        )
                    })
                });
            let usd = match value {
                Some(v) => cx.fiat_to_usd(line, time, v, &ccy),
                None => cx.usd_of(line, q, &asset, time),
            };
            let mut extra = kind.to_string();
            if usd.is_none()
                && let Some(v) = value
            {
                extra = format!("{kind}; value {} {ccy}", fmt_decimal(v));
            }
            out.push(Entry::Rec {
                rows: vec![line],
                rec: Draft::new(id, time, Kind::Income)
                    .category(Category::Reward)
                    .received(q, &asset)
                    .usd(usd)
                    .note(note(&extra))
                    .finish(&account),
            });
        }
        Act::P2p | Act::Unknown => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::import_text as import;

    const HEADER: &str = "Transaction ID,Date,Transaction Type,Currency,Amount,Fee,Net Amount,Asset Type,Asset Price,Asset Amount,Status,Notes,Name of sender/receiver,Account";

    #[test]
    fn a_buy_sends_its_amount_and_a_sale_receives_its_gross_with_the_fee_on_top() {
        let csv = format!(
            "{HEADER}\n\
             a,2024-09-20 08:00:00 EDT,Bitcoin Buy,USD,-$48.88,-$1.12,-$50.00,BTC,$61100,0.0008,COMPLETE,,,\n\
             b,2024-11-02 09:14:45 PST,Bitcoin Sale,USD,$50.00,-$1.49,$48.51,BTC,$100000,0.0005,COMPLETE,,,\n"
        );
        let r = import(&csv).unwrap();
        let row = |r: &crate::model::Record| {
            format!(
                "{} {} {} {} {} {} {} {} {}",
                r.time,
                r.kind,
                r.sent_qty,
                r.sent_asset,
                r.received_qty,
                r.received_asset,
                r.fee_qty,
                r.fee_asset,
                r.usd_value
            )
        };
        assert_eq!(
            row(&r[0]),
            "2024-09-20T12:00:00Z buy 48.88 USD 0.0008 BTC 1.12 USD 48.88"
        );
        assert_eq!(
            row(&r[1]),
            "2024-11-02T17:14:45Z sell 0.0005 BTC 50 USD 1.49 USD 50"
        );
        assert_eq!(r[0].id, "cash-app-a");
    }

    #[test]
    fn a_net_amount_that_disagrees_is_an_error() {
        let csv = format!(
            "{HEADER}\na,2024-09-20 08:00:00 EDT,Bitcoin Buy,USD,-$50.00,-$1.12,-$50.00,BTC,$61100,0.0008,COMPLETE,,,\n"
        );
        let e = import(&csv).unwrap_err();
        assert!(e.contains("t.csv:2") && e.contains("Net Amount"), "{e}");
    }

    #[test]
    fn a_withdrawal_moves_the_asset_amount_not_the_dollars() {
        let csv = "Date,Transaction ID,Transaction Type,Currency,Amount,Fee,Net Amount,Asset Type,Asset Price,Asset Amount\n\
                   2025-10-06 08:52:24 PDT,,Bitcoin Withdrawal,USD,\"$1,252.41\",$0.00,\"$1,252.41\",BTC,\"$125,241.22\",0.01 BTC\n";
        let r = import(csv).unwrap();
        assert_eq!(
            (
                r[0].kind.as_str(),
                r[0].sent_qty.as_str(),
                r[0].usd_value.as_str()
            ),
            ("withdrawal", "0.01", "")
        );
        assert_eq!(r[0].time, "2025-10-06T15:52:24Z");
    }

    #[test]
    fn reads_the_types_cash_app_writes() {
        assert_eq!(act("Bitcoin Buy"), Act::Buy);
        assert_eq!(act("Bitcoin Recurring Buy"), Act::Buy);
        assert_eq!(act("Bitcoin Sale"), Act::Sell);
        assert_eq!(act("Bitcoin Sell"), Act::Sell);
        assert_eq!(
            act("Bitcoin Lightning Withdrawal"),
            Act::Withdrawal { lightning: true }
        );
        assert_eq!(act("Bitcoin Deposit"), Act::Deposit { lightning: false });
        assert_eq!(act("Bitcoin Boost"), Act::Boost);
        assert_eq!(act("Bitcoin Boost Reward"), Act::Boost);
        assert_eq!(act("P2P"), Act::P2p);
        assert_eq!(act("Bitcoin Received P2P"), Act::P2p);
        assert_eq!(act("Bitcoin Airdrop"), Act::Unknown);
    }

    #[test]
    fn us_zone_abbreviations_are_offsets() {
        assert_eq!(zone_offset("EDT"), Some(-4 * 3600));
        assert_eq!(zone_offset("pst"), Some(-8 * 3600));
        assert_eq!(zone_offset("CEST"), None);
    }
}
