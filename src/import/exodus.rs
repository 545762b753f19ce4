//! Exodus's transaction export (Settings, Export transactions):
//! `DATE,TYPE,FROMPORTFOLIO,TOPORTFOLIO,OUTAMOUNT,OUTCURRENCY,FEEAMOUNT,
//! FEECURRENCY,TOADDRESS,OUTTXID,OUTTXURL,INAMOUNT,INCURRENCY,INTXID,INTXURL,
//! ORDERID,PERSONALNOTE`, with `FROMADDRESS` before `TOADDRESS` in recent
//! files, `TOADDRESS` last in some, and without the portfolio, address and
//! note columns in the oldest. Also read: the layout with one signed
//! `COINAMOUNT` (`-0.5 BTC`) per row
//! (`TXID,TXURL,DATE,TYPE,FROMPORTFOLIO,TOPORTFOLIO,COINAMOUNT,FEE,BALANCE,
//! EXCHANGE,PERSONALNOTE`), newest row first, whose `BALANCE` (`0.09 BTC`),
//! the portfolio's balance of the row's coin after the row, is kept for
//! `harvest balances` to compare with the ledger's (an empty one states
//! none). `DATE` is ISO 8601 UTC
//! (`2024-12-03T14:04:35.033Z`) or, in old files, JavaScript's
//! `Tue Mar 23 2021 12:30:12 GMT+0000 (Coordinated Universal Time)`.
//!
//! Fee convention: outflows and fees are written negative; every amount is
//! taken as a magnitude. `OUTAMOUNT` is what was sent, without the network
//! fee `FEEAMOUNT`, which is paid on top (the ledger's convention), possibly
//! in another coin (`ETH` for a token). `deposit` rows become deposits,
//! `withdrawal` rows withdrawals (a withdrawal of nothing that pays a fee, a
//! token approval, a `fee` row), and an `exchange` row, Exodus's in-app swap
//! of `OUTAMOUNT` for `INAMOUNT` in one row, a `trade` (valued from a
//! stablecoin side or `--prices`, else left to the engine). `staked` and
//! `unstaked` rows keep the coins the user's: only their fee is booked.
//! Exodus gives no fiat values.
//!
//! The account is `Exodus: <portfolio>` (`exodus_0` is the first), the
//! portfolio the coins left (`FROMPORTFOLIO`) or, for a deposit, entered;
//! without one, `exodus`. `[import.accounts]` renames it.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::sheet::stream_rows;
use super::{Cx, Draft, Entry, ImportError, RowStream, Sheet, SheetRow, TradeIn, trade_record};
use crate::model::Kind;

/// The wallet's name in the accounts it names (`Exodus: exodus_0`).
const WALLET: &str = "Exodus";

pub(crate) fn matches(h: &[String]) -> bool {
    let has = |n: &str| h.iter().any(|c| c == n);
    has("DATE")
        && has("TYPE")
        && (has("OUTAMOUNT") && has("OUTCURRENCY") && has("INAMOUNT") && has("INCURRENCY")
            || has("COINAMOUNT") && has("TXID"))
}

struct Cols {
    date: usize,
    kind: usize,
    from: Option<usize>,
    to: Option<usize>,
    note: Option<usize>,
    layout: Layout,
}

enum Layout {
    /// One row per event, out and in sides apart.
    Sides {
        out_amount: usize,
        out_ccy: usize,
        fee_amount: Option<usize>,
        fee_ccy: Option<usize>,
        to_address: Option<usize>,
        out_txid: Option<usize>,
        in_amount: usize,
        in_ccy: usize,
        in_txid: Option<usize>,
        order: Option<usize>,
    },
    /// One signed `COINAMOUNT` per row.
    Coin {
        txid: usize,
        amount: usize,
        fee: Option<usize>,
        /// The portfolio's balance of the row's coin after the row.
        balance: Option<usize>,
        exchange: Option<usize>,
    },
}

/// Reads the export row by row (see [`stream_rows`]).
pub(crate) fn parse_stream(
    sheet: &Sheet,
    stream: &mut RowStream,
    cx: &mut Cx,
    emit: &mut dyn FnMut(&mut Cx, Entry),
) -> Result<(), ImportError> {
    let layout = if sheet.col(&["COINAMOUNT"]).is_some() && sheet.col(&["OUTAMOUNT"]).is_none() {
        Layout::Coin {
            txid: sheet.need(cx, &["TXID"]),
            amount: sheet.need(cx, &["COINAMOUNT"]),
            fee: sheet.col(&["FEE"]),
            balance: sheet.col(&["BALANCE"]),
            exchange: sheet.col(&["EXCHANGE"]),
        }
    } else {
        Layout::Sides {
            out_amount: sheet.need(cx, &["OUTAMOUNT"]),
            out_ccy: sheet.need(cx, &["OUTCURRENCY"]),
            fee_amount: sheet.col(&["FEEAMOUNT"]),
            fee_ccy: sheet.col(&["FEECURRENCY"]),
            to_address: sheet.col(&["TOADDRESS"]),
            out_txid: sheet.col(&["OUTTXID"]),
            in_amount: sheet.need(cx, &["INAMOUNT"]),
            in_ccy: sheet.need(cx, &["INCURRENCY"]),
            in_txid: sheet.col(&["INTXID"]),
            order: sheet.col(&["ORDERID"]),
        }
    };
    let c = Cols {
        date: sheet.need(cx, &["DATE"]),
        kind: sheet.need(cx, &["TYPE"]),
        from: sheet.col(&["FROMPORTFOLIO"]),
        to: sheet.col(&["TOPORTFOLIO"]),
        note: sheet.col(&["PERSONALNOTE"]),
        layout,
    };
    stream_rows(sheet, stream, cx, emit, |row, cx, out| {
        if let Some(row) = row
            && sheet.data_row(cx, row, c.date, out)
        {
            one_row(&c, row, cx, out);
        }
    })
}

/// Reads `DATE`: ISO 8601, or JavaScript's `Date.toString()`.
fn exodus_time(cx: &mut Cx, row: &SheetRow, col: usize) -> Option<DateTime<Utc>> {
    let cell = row.get(col).trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(cell) {
        return Some(t.with_timezone(&Utc));
    }
    let js = cell.split(" (").next().unwrap_or(cell);
    if let Ok(t) = DateTime::parse_from_str(js, "%a %b %d %Y %H:%M:%S GMT%z") {
        return Some(t.with_timezone(&Utc));
    }
    cx.bad_cell(
        row.line,
        "DATE",
        cell,
        "is not a time like 2024-12-03T14:04:35.033Z or Tue Mar 23 2021 12:30:12 GMT+0000",
    );
    None
}

/// A row read: its sides as magnitudes.
struct Event {
    time: DateTime<Utc>,
    kind: String,
    out: Option<(Decimal, String)>,
    inn: Option<(Decimal, String)>,
    fee: Option<(Decimal, String)>,
    txid: String,
    to_address: String,
    order: String,
    /// A leg of an exchange in the `COINAMOUNT` layout.
    exchange_leg: Option<String>,
    /// `BALANCE` of the `COINAMOUNT` layout and its coin, as the ledger names
    /// it.
    balance: Option<(Decimal, String)>,
}

/// `qty` of `asset` when there is a nonzero amount.
fn side(qty: Option<Decimal>, asset: &str) -> Option<(Decimal, String)> {
    qty.filter(|q| !q.is_zero())
        .map(|q| (q.abs(), asset.trim().to_ascii_uppercase()))
}

fn read(c: &Cols, row: &SheetRow, cx: &mut Cx) -> Option<Event> {
    let before = cx.problem_count();
    let time = exodus_time(cx, row, c.date);
    let kind = row.get(c.kind).trim().to_ascii_lowercase();
    let get = |i: Option<usize>| i.map_or(String::new(), |i| row.get(i).to_string());
    let mut e = match &c.layout {
        Layout::Sides {
            out_amount,
            out_ccy,
            fee_amount,
            fee_ccy,
            to_address,
            out_txid,
            in_amount,
            in_ccy,
            in_txid,
            order,
        } => {
            let out_q = cx.number(row, *out_amount, "OUTAMOUNT");
            let in_q = cx.number(row, *in_amount, "INAMOUNT");
            let fee_q = fee_amount.and_then(|i| cx.number(row, i, "FEEAMOUNT"));
            for (q, ccy, name) in [
                (out_q, *out_ccy, "OUTCURRENCY"),
                (in_q, *in_ccy, "INCURRENCY"),
            ] {
                if q.is_some_and(|q| !q.is_zero()) && row.get(ccy).trim().is_empty() {
                    cx.problem(
                        row.line,
                        Some(name),
                        None,
                        "is empty: fill in the coin's symbol",
                    );
                }
            }
            let out_txid = get(*out_txid);
            let in_txid = get(*in_txid);
            let txid = if kind == "deposit" && !in_txid.is_empty() || out_txid.is_empty() {
                in_txid
            } else {
                out_txid
            };
            Event {
                time: time?,
                kind,
                out: side(out_q, row.get(*out_ccy)),
                inn: side(in_q, row.get(*in_ccy)),
                fee: side(fee_q, &get(*fee_ccy)),
                txid,
                to_address: get(*to_address),
                order: get(*order),
                exchange_leg: None,
                balance: None,
            }
        }
        Layout::Coin {
            txid,
            amount,
            fee,
            balance,
            exchange,
        } => {
            let a = cx.amount(row, *amount, "COINAMOUNT");
            let f = fee.and_then(|i| cx.amount(row, i, "FEE"));
            let b = balance.and_then(|i| Some((cx.amount(row, i, "BALANCE")?, row.get(i))));
            let unit = |a: &Option<super::num::Amount>| {
                a.as_ref().and_then(|a| a.unit.clone()).unwrap_or_default()
            };
            let q = a.as_ref().map(|a| a.value);
            let coin = unit(&a);
            if q.is_some_and(|q| !q.is_zero()) && coin.is_empty() {
                cx.problem(
                    row.line,
                    Some("COINAMOUNT"),
                    Some(row.get(*amount)),
                    "has no coin: write it as the export does, like -0.5 BTC",
                );
            }
            let balance = b.and_then(|(b, cell)| balance_of(cx, row.line, &coin, b, cell));
            let outflow = q.is_some_and(|q| q.is_sign_negative()) || kind == "withdrawal";
            let leg = get(*exchange);
            Event {
                time: time?,
                kind,
                out: if outflow { side(q, &coin) } else { None },
                inn: if outflow { None } else { side(q, &coin) },
                fee: side(f.as_ref().map(|f| f.value), &unit(&f)),
                txid: row.get(*txid).to_string(),
                to_address: String::new(),
                order: String::new(),
                exchange_leg: Some(leg).filter(|l| !l.is_empty() && l != "false"),
                balance,
            }
        }
    };
    if cx.problem_count() != before {
        return None;
    }
    if e.fee.as_ref().is_some_and(|(_, a)| a.is_empty()) {
        // A fee without its coin is in the coin that left.
        let coin = e.out.as_ref().or(e.inn.as_ref()).map(|(_, a)| a.clone());
        match coin {
            Some(a) => {
                if let Some(f) = e.fee.as_mut() {
                    f.1 = a;
                }
            }
            None => {
                cx.problem(
                    row.line,
                    Some("FEECURRENCY"),
                    None,
                    "is empty: fill in the fee's coin",
                );
                return None;
            }
        }
    }
    Some(e)
}

/// The `BALANCE` cell `cell`, read as `b` (`0.09 BTC`), with the row's coin:
/// the coin of `COINAMOUNT`, else the balance's own (a row of nothing may
/// name none). None when neither names one; a problem when they differ.
fn balance_of(
    cx: &mut Cx,
    line: u64,
    coin: &str,
    b: super::num::Amount,
    cell: &str,
) -> Option<(Decimal, String)> {
    let own = b.unit.as_deref().unwrap_or("").trim();
    let coin = coin.trim();
    if !own.is_empty() && !coin.is_empty() && !own.eq_ignore_ascii_case(coin) {
        cx.bad_cell(
            line,
            "BALANCE",
            cell,
            format!("is not in {coin}, the coin of COINAMOUNT: a row's balance is of its coin"),
        );
        return None;
    }
    let coin = if coin.is_empty() { own } else { coin };
    (!coin.is_empty()).then(|| (b.value, coin.to_ascii_uppercase()))
}

fn one_row(c: &Cols, row: &SheetRow, cx: &mut Cx, out: &mut Vec<Entry>) {
    let Some(e) = read(c, row, cx) else {
        return;
    };
    let line = row.line;
    let portfolio = |i: Option<usize>| i.map_or("", |i| row.get(i));
    let (from, to) = (portfolio(c.from), portfolio(c.to));
    let name = match e.kind.as_str() {
        "deposit" if !to.is_empty() => to,
        _ if !from.is_empty() => from,
        _ => to,
    };
    let account = cx.named_account(WALLET, name);
    // The portfolio's own balance after the row, for the comparison with the
    // ledger's (`harvest balances`): also after a row left to be entered by
    // hand (an exchange leg, an unknown type), so that until it is, the
    // divergence points to it.
    if let Some((balance, asset)) = &e.balance {
        cx.report_balance_in(account.clone(), line, e.time, asset, *balance);
    }
    let letter = match e.kind.as_str() {
        "deposit" => "d",
        "withdrawal" => "w",
        "exchange" => "x",
        _ => "o",
    };
    let key = if e.kind == "exchange" && !e.order.is_empty() {
        e.order.clone()
    } else {
        e.txid.clone()
    };
    // One transaction may be a row of two portfolios, or of two coins.
    let coin = e.out.as_ref().or(e.inn.as_ref()).map_or("", |(_, a)| a);
    let id = cx.wallet_id(
        &key,
        || format!("{letter}-{key}"),
        &[name, coin],
        &row.cells,
    );
    let personal = c.note.map_or("", |i| row.get(i));
    let mut notes: Vec<String> = Vec::new();
    if !personal.is_empty() {
        notes.push(personal.to_string());
    }
    let rec = |d: Draft, notes: Vec<String>| Entry::Rec {
        rows: vec![line],
        rec: d.txid(&e.txid).note(notes.join("; ")).finish(&account),
    };
    // A row that moved nothing out but paid a network fee: a `fee` row.
    let fee_or_skip = |cx: &mut Cx, note: &str, why: &str, mut notes: Vec<String>| match &e.fee {
        Some((q, a)) => {
            notes.push(note.to_string());
            let fee_usd = cx.usd_of(line, *q, a, e.time);
            let d = Draft::new(id.clone(), e.time, Kind::Fee)
                .fee(*q, a)
                .fee_usd(fee_usd);
            rec(d, notes)
        }
        None => Entry::skip(line, why.to_string()),
    };
    if let Some(leg) = &e.exchange_leg {
        out.push(Entry::skip(
            line,
            format!(
                "one leg of an Exodus exchange ({leg}): this layout gives the legs apart; enter \
                 the trade by hand"
            ),
        ));
        return;
    }
    match e.kind.as_str() {
        "deposit" => match &e.inn {
            Some((q, a)) => {
                let mut d = Draft::new(id.clone(), e.time, Kind::Deposit).received(*q, a);
                if let Some((fq, fa)) = &e.fee {
                    d = d.fee(*fq, fa);
                }
                out.push(rec(d, notes));
            }
            None => out.push(fee_or_skip(
                cx,
                "network fee of a deposit of nothing",
                "deposit of nothing: no amount",
                notes,
            )),
        },
        "withdrawal" => match &e.out {
            Some((q, a)) => {
                let mut d = Draft::new(id.clone(), e.time, Kind::Withdrawal).sent(*q, a);
                if let Some((fq, fa)) = &e.fee {
                    d = d.fee(*fq, fa);
                }
                if !e.to_address.is_empty() {
                    notes.push(format!("to {}", e.to_address));
                }
                out.push(rec(d, notes));
            }
            None => out.push(fee_or_skip(
                cx,
                "network fee of a withdrawal of nothing (a token approval or contract call)",
                "withdrawal of nothing: no amount",
                notes,
            )),
        },
        "exchange" => match (&e.out, &e.inn) {
            (Some(sent), Some(received)) => {
                notes.insert(
                    0,
                    if e.order.is_empty() {
                        "Exodus exchange".to_string()
                    } else {
                        format!("Exodus exchange (order {})", e.order)
                    },
                );
                if !to.is_empty() && !from.is_empty() && to != from {
                    notes.push(format!("received in portfolio {to}"));
                }
                // trade_record books in the file's account: this row's here.
                let file_account = std::mem::replace(&mut cx.account, account.clone());
                trade_record(
                    cx,
                    TradeIn {
                        id: id.clone(),
                        rows: vec![line],
                        time: e.time,
                        sent: sent.clone(),
                        received: received.clone(),
                        fees: e.fee.iter().cloned().collect(),
                        usd_hint: None,
                        note: notes.join("; "),
                    },
                    out,
                );
                cx.account = file_account;
            }
            // Not a fee row: the coins sent would go unbooked without a word.
            _ => out.push(Entry::skip(
                line,
                "exchange without both sides (not completed, or refunded): enter it by hand \
                 once it is",
            )),
        },
        "staked" | "unstaked" | "stake" | "unstake" => out.push(fee_or_skip(
            cx,
            &format!(
                "network fee of the {} move (staked coins stay yours)",
                e.kind
            ),
            &format!("{} without a fee: staked coins stay yours", e.kind),
            notes,
        )),
        other => out.push(Entry::skip(
            line,
            format!("unknown Exodus type {other:?}: not imported, enter it by hand"),
        )),
    }
}

#[cfg(test)]
mod tests {
    /// Imports `text` with no options.
    fn import(text: &str) -> Result<crate::import::Imported, String> {
        crate::import::import_whole(text)
    }

    /// `BALANCE` is kept in file order (newest first) with the row's account
    /// and coin as the ledger names them (`btc` is BTC), a balance without a
    /// unit being of `COINAMOUNT`'s coin; an exchange leg, booked by hand,
    /// states one too; an empty one states none.
    #[test]
    fn the_balance_of_each_rows_coin_is_kept() {
        let text = "TXID,TXURL,DATE,TYPE,FROMPORTFOLIO,TOPORTFOLIO,COINAMOUNT,FEE,BALANCE,EXCHANGE,PERSONALNOTE\n\
t7,,2022-03-05T10:00:00.000Z,withdrawal,exodus_0,,-0.01 BTC,0.00002 BTC,0.09093 BTC,BTC to ETH,\n\
t6,,2022-03-01T10:00:00.000Z,deposit,,exodus_0,0.001 BTC,,,,\n\
t5,,2022-02-15T10:00:00.000Z,withdrawal,exodus_1,,0 ETH,-0.001 ETH,1.499 ETH,,approval\n\
t4,,2022-02-10T10:00:00.000Z,deposit,,exodus_1,1.5 ETH,,1.5 ETH,,\n\
t3,,2022-02-01T10:00:00.000Z,withdrawal,exodus_0,,-0.1 BTC,0.00005 BTC,0.09995 BTC,,\n\
t2,,2022-01-15T10:00:00.000Z,deposit,,exodus_0,0.2 btc,,0.2,,\n";
        let got = import(text).unwrap();
        let b: Vec<(u64, String, &str, &str, String)> = got
            .balances
            .iter()
            .map(|b| {
                (
                    b.line,
                    b.time.to_rfc3339(),
                    b.account.as_str(),
                    b.asset.as_str(),
                    b.balance.to_string(),
                )
            })
            .collect();
        let row = |line, time: &str, account, asset, balance: &str| {
            (line, time.to_string(), account, asset, balance.to_string())
        };
        let (p0, p1) = ("Exodus: exodus_0", "Exodus: exodus_1");
        assert_eq!(
            b,
            [
                row(2, "2022-03-05T10:00:00+00:00", p0, "BTC", "0.09093"),
                row(4, "2022-02-15T10:00:00+00:00", p1, "ETH", "1.499"),
                row(5, "2022-02-10T10:00:00+00:00", p1, "ETH", "1.5"),
                row(6, "2022-02-01T10:00:00+00:00", p0, "BTC", "0.09995"),
                row(7, "2022-01-15T10:00:00+00:00", p0, "BTC", "0.2"),
            ]
        );
        // The ledger names the coins alike.
        let assets: Vec<&str> = got
            .records
            .iter()
            .map(|(_, r)| r.received_asset.as_str())
            .filter(|a| !a.is_empty())
            .collect();
        assert_eq!(assets, ["BTC", "ETH", "BTC"]);
    }

    /// A balance of another coin than the row's is refused, naming the cell.
    #[test]
    fn a_balance_of_another_coin_is_refused() {
        let text = "TXID,TXURL,DATE,TYPE,FROMPORTFOLIO,TOPORTFOLIO,COINAMOUNT,FEE,BALANCE,EXCHANGE,PERSONALNOTE\n\
t1,,2022-01-15T10:00:00.000Z,deposit,,exodus_0,0.2 BTC,,0.2 ETH,,\n";
        let e = match import(text) {
            Ok(_) => panic!("imported"),
            Err(e) => e.to_string(),
        };
        assert!(
            e.contains("column BALANCE \"0.2 ETH\" is not in BTC, the coin of COINAMOUNT"),
            "{e}"
        );
    }
}
