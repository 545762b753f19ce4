//! Coinbase retail "transaction history" reports: the 2019 and 2020 tax reports,
//! v1 (`USD Subtotal`, currency in the header), v2/v3 (`Spot Price Currency`),
//! v3b/v4 (`Price Currency`, `ID`) and v5 (address columns), with or without the
//! preamble lines above the header; the pre-2019 per-wallet "Transactions"
//! report is read by `coinbase_wallet`.
//!
//! Fee convention: Coinbase's `Subtotal` is the fiat value before fees and
//! `Total` what actually moved (buy: Subtotal + fee; sell: Subtotal - fee). The
//! ledger pays fees on top, so a buy sends `Subtotal` USD with a fee of
//! `Total - Subtotal`, and a sell receives `Subtotal` USD (gross) with the same
//! fee; the fee is the difference of the two columns, so a spread not shown in
//! `Fees` is still counted. When only a total is given (2019 report) it is the
//! USD side and the fee is 0 (the fee is then inside the basis or proceeds). A
//! Convert is a trade valued at `Subtotal` (what the received asset was worth);
//! its spread lowers the proceeds implicitly and is not a separate fee.
//!
//! v4+ writes outflows with negative quantities and money; every amount is taken
//! as a magnitude and the direction comes from the transaction type. Money in
//! another currency (EUR, GBP, CAD, ...) is kept as itself: a Buy pays EUR, a
//! Sell receives EUR, and the USD value is filled only when `--prices` has the
//! currency's rate at the row's time (else the engine values the row at run
//! time; an income, spend or Convert row then notes the export's value, as in
//! `value 12.50 EUR`). A currency harvest does not know as money is converted
//! at its `--prices` rate, or the row is an error naming it. Coinbase's
//! `ETH2` (staked ETH, redeemed 1:1) is booked as `ETH`, so staking and
//! unstaking moves net out.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::draft::fmt_decimal;
use super::sheet::Rows;
use super::{Cx, Draft, Entry, ImportError, Sheet, SheetRow, is_fiat, parse_time_cell};
use crate::model::{Category, Kind, Record, Text};

pub(crate) fn matches(h: &[String]) -> bool {
    let has = |n: &str| h.iter().any(|c| c == n);
    has("Timestamp") && has("Transaction Type") && has("Asset") && has("Quantity Transacted")
        || super::coinbase_wallet::matches(h)
}

struct Cols {
    id: Option<usize>,
    time: usize,
    kind: usize,
    asset: usize,
    qty: usize,
    ccy: Option<usize>,
    header_ccy: String,
    price: Option<usize>,
    subtotal: Option<usize>,
    total: Option<usize>,
    fees: Option<usize>,
    notes: Option<usize>,
    address: Option<usize>,
    sender: Option<usize>,
    recipient: Option<usize>,
}

/// A column whose name may carry the account currency as a prefix
/// (`USD Subtotal`, `EUR Spot Price at Transaction`).
fn prefixed(sheet: &Sheet, suffix: &str) -> Option<(usize, String)> {
    sheet.header.iter().enumerate().find_map(|(i, h)| {
        let (ccy, rest) = h.split_once(' ')?;
        (rest == suffix && ccy.len() == 3 && ccy.chars().all(|c| c.is_ascii_uppercase()))
            .then(|| (i, ccy.to_string()))
    })
}

/// The money columns of a report, and the currency their names carry (USD
/// when none does).
struct Money {
    price: Option<usize>,
    subtotal: Option<usize>,
    total: Option<usize>,
    fees: Option<usize>,
    header_ccy: String,
}

fn money_cols(sheet: &Sheet) -> Money {
    let mut header_ccy = String::from("USD");
    let mut pick = |plain: &[&str], suffix: &str| -> Option<usize> {
        sheet.col(plain).or_else(|| {
            prefixed(sheet, suffix).map(|(i, c)| {
                header_ccy = c;
                i
            })
        })
    };
    let price = pick(
        &["Spot Price at Transaction", "Price at Transaction"],
        "Spot Price at Transaction",
    );
    let subtotal = pick(&["Subtotal"], "Subtotal");
    let total = pick(
        &[
            "Total (inclusive of fees and/or spread)",
            "Total (inclusive of fees)",
            "USD Amount Transacted (Inclusive of Coinbase Fees)",
        ],
        "Total (inclusive of fees)",
    );
    let fees = pick(&["Fees and/or Spread", "Fees"], "Fees");
    Money {
        price,
        subtotal,
        total,
        fees,
        header_ccy,
    }
}

/// Where [`prep`] puts each amount in [`super::sheet::Parsed::amounts`].
const QTY: usize = 0;
const SUBTOTAL: usize = 1;
const TOTAL: usize = 2;
const FEES: usize = 3;
const PRICE: usize = 4;

/// What the reading thread parses of each row ahead of `made` (most of a
/// row's work is on the thread that makes the records): the time and the
/// amounts, where their cells take the fast paths `made`'s readers try first,
/// and so read exactly as `made` would read them.
pub(crate) fn prep(sheet: &Sheet, tz: chrono_tz::Tz) -> impl Fn(&mut SheetRow) + Send + use<> {
    let m = money_cols(sheet);
    let time = sheet.col(&["Timestamp"]);
    let cols = [
        sheet.col(&["Quantity Transacted"]),
        m.subtotal,
        m.total,
        m.fees,
        m.price,
    ];
    move |row: &mut SheetRow| {
        // `parse_time_cell` reads a trimmed cell, and with Coinbase's first
        // layout tries `plain_time` before anything else.
        let time = time.and_then(|i| super::cx::plain_time(row.get(i).trim(), tz));
        let amounts = cols.map(|c| c.and_then(|i| super::cx::plain_amount(row.get(i))));
        row.parsed.time = time;
        row.parsed.amounts.clear();
        row.parsed.amounts.extend(amounts);
    }
}

/// Reads the report's rows: those already in `sheet`, then the rest of
/// `stream`, one at a time (a report can have hundreds of thousands). The
/// pre-2019 per-wallet report is read by `coinbase_wallet::parse_stream` instead.
///
/// `warm` is handed the ID cell of the next row while this one is made, for
/// the table of ids seen to fetch its slot (see [`super::duplicates::IdWarmer`]).
pub(crate) fn parse_stream(
    sheet: &Sheet,
    stream: &mut dyn Rows,
    cx: &mut Cx,
    warm: &dyn Fn(&str),
    emit: &mut dyn FnMut(&mut Cx, &mut Entry),
) -> Result<(), ImportError> {
    let Money {
        price,
        subtotal,
        total,
        fees,
        header_ccy,
    } = money_cols(sheet);
    let c = Cols {
        id: sheet.col(&["ID"]),
        time: sheet.need(cx, &["Timestamp"]),
        kind: sheet.need(cx, &["Transaction Type"]),
        asset: sheet.need(cx, &["Asset"]),
        qty: sheet.need(cx, &["Quantity Transacted"]),
        ccy: sheet.col(&["Spot Price Currency", "Price Currency"]),
        header_ccy,
        price,
        subtotal,
        total,
        fees,
        notes: sheet.col(&["Notes"]),
        address: sheet.col(&["Address"]),
        sender: sheet.col(&["Sender Address"]),
        recipient: sheet.col(&["Recipient Address"]),
    };
    let mut out = Vec::new();
    let mut row = SheetRow::default();
    if cx.failed() {
        // The rows are still read: a CSV error in them is the one to report.
        while stream.next_into(&mut row)? {}
        return Ok(());
    }
    // One entry, its record's cells reused row after row: an entry is a few
    // hundred bytes, which moving from maker to sink to the spare records
    // copied five times a row.
    let mut slot = Entry::Rec {
        rows: vec![0],
        rec: Record::default(),
    };
    let mut take = |row: &SheetRow, cx: &mut Cx| {
        let data = sheet.data_row(cx, row, c.time, &mut out);
        for mut e in out.drain(..) {
            emit(cx, &mut e);
        }
        if data {
            one_row(&c, row, cx, &mut slot, emit);
        }
    };
    for row in &sheet.rows {
        take(row, cx);
    }
    // One row read ahead: its id is warmed while this row is made. A read
    // error of the next row is returned after this row is taken, as before.
    let mut next = SheetRow::default();
    let mut more = stream.next_into(&mut row)?;
    while more {
        let read = stream.next_into(&mut next);
        if let (Ok(true), Some(i)) = (&read, c.id) {
            warm(next.get(i));
        }
        take(&row, cx);
        more = read?;
        std::mem::swap(&mut row, &mut next);
    }
    Ok(())
}

/// Coinbase's asset names, with staked ETH booked as ETH.
fn asset_name(a: &str) -> Text {
    match a.trim() {
        "ETH2" => "ETH".into(),
        other => upper(other),
    }
}

/// `s` in upper case, inline: a symbol costs no allocation.
fn upper(s: &str) -> Text {
    let mut t = Text::from(s);
    t.make_ascii_uppercase();
    t
}

/// What a row makes: a ledger row, or an entry as it is (a skipped row).
enum Made {
    Row(u64, Draft),
    Entry(Entry),
}

fn skip(line: u64, reason: impl Into<String>) -> Option<Made> {
    Some(Made::Entry(Entry::skip(line, reason)))
}

/// One data row: its record, made in `slot`, or an entry of its own (a
/// skipped row), handed to `emit`; nothing for a problem.
fn one_row(
    c: &Cols,
    row: &SheetRow,
    cx: &mut Cx,
    slot: &mut Entry,
    emit: &mut dyn FnMut(&mut Cx, &mut Entry),
) {
    match made(c, row, cx) {
        Some(Made::Row(line, d)) => {
            if !matches!(slot, Entry::Rec { .. }) {
                *slot = Entry::Rec {
                    rows: vec![0],
                    rec: Record::default(),
                };
            }
            if let Entry::Rec { rows, rec } = slot {
                rows.clear();
                rows.push(line);
                cx.finish_in(d, rec);
            }
            emit(cx, slot);
        }
        Some(Made::Entry(mut e)) => emit(cx, &mut e),
        None => {}
    }
}

fn made(c: &Cols, row: &SheetRow, cx: &mut Cx) -> Option<Made> {
    const TIMES: [&str; 6] = [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%m/%d/%Y %H:%M:%S",
        "%m/%d/%Y",
        "%Y-%m-%d",
    ];
    // Coinbase writes UTC; only the date-only 2019/2020 reports are read in --tz.
    let tz = cx.opts.tz;
    let before = cx.problem_count();
    // What the reading thread parsed ahead, else read here (with problems).
    let pre = &row.parsed;
    let time = pre
        .time
        .or_else(|| parse_time_cell(cx, row, c.time, "Timestamp", &TIMES, tz));
    let kind_cell = row.get(c.kind);
    let asset = asset_name(row.get(c.asset));
    let qty = (pre.amount(QTY))
        .or_else(|| cx.required(row, c.qty, "Quantity Transacted"))
        .map(|q| q.abs());
    let money = |cx: &mut Cx, k: usize, col: Option<usize>, name: &str| -> Option<Decimal> {
        (pre.amount(k))
            .or_else(|| col.and_then(|i| cx.amount(row, i, name)).map(|a| a.value))
            .map(|v| v.abs())
    };
    let subtotal = money(cx, SUBTOTAL, c.subtotal, "Subtotal");
    let total = money(cx, TOTAL, c.total, "Total");
    let fees = money(cx, FEES, c.fees, "Fees");
    let price = money(cx, PRICE, c.price, "Spot Price at Transaction");
    let ccy = match c.ccy.map(|i| row.get(i)).filter(|s| !s.is_empty()) {
        Some(s) => upper(s),
        None => {
            // `249.73 USD` carries its own code.
            c.total
                .and_then(|i| super::num::parse_amount(row.get(i)).ok().flatten())
                .and_then(|a| a.unit)
                .map_or_else(|| Text::from(c.header_ccy.as_str()), Text::from)
        }
    };
    let notes = c.notes.map_or("", |i| row.get(i));
    let (time, qty) = (time?, qty?);
    if cx.problem_count() != before {
        return None;
    }
    let line = row.line;
    let id = match c.id.map(|i| row.get(i)).filter(|s| !s.is_empty()) {
        Some(id) => cx.exchange_id(id),
        None => {
            let parts: Vec<&str> = row.cells.iter().map(String::as_str).collect();
            cx.content_id(&parts)
        }
    };
    // Coinbase's 2020 report writes a zero Subtotal next to a real Total.
    let subtotal = subtotal.filter(|s| !(s.is_zero() && total.is_some_and(|t| !t.is_zero())));
    // Money amounts of the row, in its currency.
    let gross = subtotal.or(total);
    let fee_fiat = match (subtotal, total) {
        (Some(s), Some(t)) => (t - s).abs(),
        _ => fees.unwrap_or_default(),
    };
    let value_fiat = gross.or_else(|| price.map(|p| super::mul(p, qty)));
    // The USD value of a row the export values in `ccy`: converted at the
    // currency's rate, else from `legs` (a stablecoin, --prices), else none.
    let value = |cx: &mut Cx,
                 received: Option<(Decimal, &str)>,
                 sent: Option<(Decimal, &str)>|
     -> Option<Decimal> {
        value_fiat
            .and_then(|v| cx.fiat_to_usd(line, time, v, &ccy))
            .or_else(|| cx.value_legs(line, time, received, sent))
    };
    // A row left without a USD value keeps the export's value in its note.
    let valued_note = |note: String, usd: Option<Decimal>| match (usd, value_fiat) {
        (None, Some(v)) => join_note(note, format!("value {} {ccy}", fmt_decimal(v))),
        _ => note,
    };
    let t = kind_cell;
    // Only a skipped row's message needs the kind in lower case.
    let lower = || t.to_ascii_lowercase();
    // The record is written by `one_row`, into the room of an earlier one.
    let rec = |d: Draft| Some(Made::Row(line, d));
    let address = [c.address, c.recipient, c.sender]
        .iter()
        .flatten()
        .map(|&i| row.get(i))
        .find(|s| !s.is_empty())
        .unwrap_or("");
    let note = if address.is_empty() || notes.contains(address) {
        notes.to_string()
    } else if notes.is_empty() {
        address.to_string()
    } else {
        format!("{notes} ({address})")
    };

    if qty.is_zero() {
        return skip(line, "zero quantity: nothing moved");
    }
    match t {
        "Buy"
        | "Advanced Trade Buy"
        | "Advance Trade Buy"
        | "Credit"
        | "Sell"
        | "Advanced Trade Sell"
        | "Advance Trade Sell"
        | "Retail Simple Dust" => {
            let buying = t.ends_with("Buy") || t == "Credit";
            if let Some(q) = crypto_quote(notes, &asset) {
                let v = value(cx, Some((q.qty, &q.asset)), None);
                let note = valued_note(note, v);
                return rec(trade_with_crypto_quote(QuoteTrade {
                    id,
                    time,
                    base: asset.clone(),
                    qty,
                    buying,
                    quote: q,
                    value: v,
                    note,
                }));
            }
            let gross = need(cx, gross, line, "Subtotal/Total")?;
            let (paid, ccy, usd) = cash(cx, line, time, gross, &ccy)?;
            let (fee, fee_ccy, fee_usd) = cash(cx, line, time, fee_fiat, &ccy)?;
            let d = if buying {
                Draft::new(id, time, Kind::Buy)
                    .received(qty, &asset)
                    .sent(paid, &ccy)
            } else {
                Draft::new(id, time, Kind::Sell)
                    .sent(qty, &asset)
                    .received(paid, &ccy)
            };
            let fee_usd = fee_usd.filter(|_| fee_ccy.as_str() != "USD");
            rec(d.fee(fee, &fee_ccy).fee_usd(fee_usd).usd(usd).note(note))
        }
        "Convert" => {
            let Some((to_qty, to_asset)) = parse_convert(notes) else {
                cx.problem(
                    line,
                    Some("Notes"),
                    Some(notes),
                    "a Convert names what was received only in Notes (`Converted 1 ETH to 2 BTC`); \
                     this note could not be read",
                );
                return None;
            };
            let to_asset = asset_name(&to_asset);
            if to_asset == asset {
                return skip(line, "ETH to ETH2 staking conversion: not a tax event");
            }
            let value = subtotal
                .or(total)
                .and_then(|v| cx.fiat_to_usd(line, time, v, &ccy))
                .or_else(|| {
                    cx.value_legs(line, time, Some((to_qty, &to_asset)), Some((qty, &asset)))
                });
            let note = match (value, subtotal.or(total)) {
                (None, Some(v)) => join_note(note, format!("value {} {ccy}", fmt_decimal(v))),
                _ => note,
            };
            rec(Draft::new(id, time, Kind::Trade)
                .sent(qty, &asset)
                .received(to_qty, &to_asset)
                .usd(value)
                .note(note))
        }
        "Send" | "Receive" if is_fiat(&asset) => {
            skip(line, format!("fiat {}: not a tax event", lower()))
        }
        "Send" => rec(Draft::new(id, time, Kind::Withdrawal)
            .sent(qty, &asset)
            .note(note)),
        "Receive" => {
            let n = notes.to_ascii_lowercase();
            let income = [
                "coinbase earn",
                "coinbase rewards",
                "coinbase referral",
                "learning reward",
            ]
            .iter()
            .any(|k| n.contains(k));
            if income {
                let v = value(cx, Some((qty, &asset)), None);
                rec(Draft::new(id, time, Kind::Income)
                    .category(Category::Reward)
                    .received(qty, &asset)
                    .usd(v)
                    .note(valued_note(note, v)))
            } else {
                rec(Draft::new(id, time, Kind::Deposit)
                    .received(qty, &asset)
                    .note(note))
            }
        }
        "Deposit"
        | "Withdrawal"
        | "Pro Deposit"
        | "Pro Withdrawal"
        | "Exchange Deposit"
        | "Exchange Withdrawal"
        | "Prime Deposit"
        | "Prime Withdrawal"
            if is_fiat(&asset) =>
        {
            skip(
                line,
                format!(
                    "fiat {}: not a tax event",
                    lower()
                        .trim_start_matches("pro ")
                        .trim_start_matches("exchange ")
                        .trim_start_matches("prime ")
                ),
            )
        }
        "Deposit" => rec(Draft::new(id, time, Kind::Deposit)
            .received(qty, &asset)
            .note(note)),
        "Withdrawal" => rec(Draft::new(id, time, Kind::Withdrawal)
            .sent(qty, &asset)
            .note(note)),
        "Staking Income"
        | "Rewards Income"
        | "Reward Income"
        | "Inflation Reward"
        | "Coinbase Earn"
        | "Learning Reward"
        | "Interest payout"
        | "Interest Payout"
        | "Subscription Rebate"
        | "Subscription Rebates (24 Hours)"
        | "Retail Simple Price Improvement" => {
            if is_fiat(&asset) {
                return skip(
                    line,
                    "income paid in cash: not a crypto lot (report it as interest)",
                );
            }
            let category = match t {
                "Staking Income" | "Inflation Reward" => Category::Staking,
                "Interest payout" | "Interest Payout" => Category::Interest,
                "Retail Simple Price Improvement" => Category::Other,
                _ => Category::Reward,
            };
            let v = value(cx, Some((qty, &asset)), None);
            rec(Draft::new(id, time, Kind::Income)
                .category(category)
                .received(qty, &asset)
                .usd(v)
                .note(valued_note(note, v)))
        }
        "Admin Debit" | "Subscription" | "Card Spend" => {
            let v = value(cx, None, Some((qty, &asset)));
            rec(Draft::new(id, time, Kind::Spend)
                .sent(qty, &asset)
                .usd(v)
                .note(valued_note(note, v)))
        }
        "Donation" => rec(Draft::new(id, time, Kind::Withdrawal)
            .sent(qty, &asset)
            .note(if note.is_empty() {
                "donation".to_string()
            } else {
                format!("donation: {note}")
            })),
        "Pro Deposit"
        | "Pro Withdrawal"
        | "Exchange Deposit"
        | "Exchange Withdrawal"
        | "Prime Deposit"
        | "Prime Withdrawal" => skip(
            line,
            "move between Coinbase and Coinbase Pro/Exchange/Prime: same owner, not a tax event",
        ),
        "Retail Staking Transfer"
        | "Retail Unstaking Transfer"
        | "Vault Withdrawal"
        | "Vault Deposit"
        | "Cash to Savings"
        | "Savings to Cash"
        | "Transfer" => skip(
            line,
            "internal move between Coinbase wallets (staking, vault, savings): not a tax event",
        ),
        "Retail Eth2 Deprecation" | "Asset Migration" => skip(
            line,
            "asset migration (one leg of a 1:1 re-denomination such as ETH2 to ETH): not a tax event",
        ),
        other => skip(
            line,
            format!("unknown Coinbase transaction type {other:?}: not imported, enter it by hand"),
        ),
    }
}

/// A money amount the row needs; its absence is a problem naming the columns.
fn need(cx: &mut Cx, v: Option<Decimal>, line: u64, what: &str) -> Option<Decimal> {
    if v.is_none() {
        cx.problem(
            line,
            Some(what),
            None,
            "is empty; this transaction type needs its value",
        );
    }
    v
}

/// `Converted 0.0002 BTC to 0.00563821 ETH` -> (0.00563821, ETH).
fn parse_convert(notes: &str) -> Option<(Decimal, String)> {
    let rest = notes.trim().strip_prefix("Converted ")?;
    let (_, to) = rest.split_once(" to ")?;
    let mut it = to.split_whitespace();
    let q = super::num::parse_number(it.next()?).ok()??;
    let a = it.next()?.trim_end_matches(['.', ',']);
    Some((q.abs(), a.to_string()))
}

/// An Advanced Trade note with a crypto quote: `Bought 0.5 ETH for 1000 USDC on
/// ETH-USDC at 2000 USDC/ETH`. Returns (quote qty, quote asset, rate).
struct Quote {
    qty: Decimal,
    asset: Text,
    rate: Option<Decimal>,
}

fn crypto_quote(notes: &str, base: &str) -> Option<Quote> {
    let n = notes.trim();
    let rest = n
        .strip_prefix("Bought ")
        .or_else(|| n.strip_prefix("Sold "))?;
    let (_, after_for) = rest.split_once(" for ")?;
    let mut words = after_for.split_whitespace();
    let qty = super::num::parse_number(words.next()?).ok()??;
    let asset = words.next()?.to_ascii_uppercase();
    let (_, tail) = after_for.split_once(" on ")?;
    let pair = tail.split_whitespace().next()?;
    let (b, q) = pair.split_once('-')?;
    if !b.eq_ignore_ascii_case(base) && asset_name(b) != base || !q.eq_ignore_ascii_case(&asset) {
        return None;
    }
    if is_fiat(&asset) {
        return None;
    }
    let rate = tail
        .split_once(" at ")
        .and_then(|(_, r)| r.split_whitespace().next())
        .and_then(|r| super::num::parse_number(r).ok().flatten());
    Some(Quote {
        qty: qty.abs(),
        asset: asset_name(&asset),
        rate,
    })
}

/// The money side of a Buy or Sell: the amount in its currency (USD, EUR,
/// ...) with its USD value (itself, or at the currency's `--prices` rate). A
/// currency harvest does not know as money is converted at its rate, or is a
/// problem naming it.
fn cash(
    cx: &mut Cx,
    line: u64,
    time: DateTime<Utc>,
    v: Decimal,
    ccy: &str,
) -> Option<(Decimal, Text, Option<Decimal>)> {
    let usd = cx.fiat_to_usd(line, time, v, ccy);
    if is_fiat(ccy) {
        return Some((v, Text::from(ccy), usd));
    }
    match usd {
        Some(u) => Some((u, Text::from("USD"), Some(u))),
        None => {
            cx.problem(
                line,
                None,
                Some(ccy),
                format!(
                    "amounts are in {ccy}, which harvest does not know as money (it knows USD, \
                     {}): add a USD rate for {ccy} at {} to --prices (CSV time,asset,price)",
                    crate::model::FIAT.join(", "),
                    super::draft::fmt_time(time)
                ),
            );
            None
        }
    }
}

/// `note; more`, or `more` alone.
fn join_note(note: String, more: String) -> String {
    if note.is_empty() {
        more
    } else {
        format!("{note}; {more}")
    }
}

/// An Advanced Trade against a crypto quote, with its USD value (if any).
struct QuoteTrade {
    id: String,
    time: DateTime<Utc>,
    base: Text,
    qty: Decimal,
    buying: bool,
    quote: Quote,
    value: Option<Decimal>,
    note: String,
}

fn trade_with_crypto_quote(t: QuoteTrade) -> Draft {
    let q = t.quote;
    // The quote amount in the note includes the fee (a buy pays it, a sell's
    // proceeds are net of it); with the rate, fee = |base x rate - quote|.
    let fee = q
        .rate
        .map(|r| (super::mul(t.qty, r) - q.qty).abs())
        .unwrap_or_default();
    let d = Draft::new(t.id, t.time, Kind::Trade);
    let d = if t.buying {
        d.received(t.qty, &t.base).sent(q.qty - fee, &q.asset)
    } else {
        d.sent(t.qty, &t.base).received(q.qty + fee, &q.asset)
    };
    d.fee(fee, &q.asset).usd(t.value).note(t.note)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row's ledger row, skip or problems are the same whether the reading
    /// thread parsed its time and amounts ahead or `made` reads them itself:
    /// cells on the fast paths and off them (other layouts, units, bad cells).
    #[test]
    fn rows_parsed_ahead_make_what_rows_read_here_make() {
        let header: Vec<String> = "ID,Timestamp,Transaction Type,Asset,Quantity Transacted,\
            Price Currency,Price at Transaction,Subtotal,Total (inclusive of fees and/or spread),\
            Fees and/or Spread,Notes"
            .split(',')
            .map(str::to_string)
            .collect();
        let rows = [
            "a1,2023-11-02 15:45:12 UTC,Buy,BTC,0.00673113,USD,$24843.15,$167.22,$168.89,$1.67,Buy BTC",
            "a2,2023-11-02 15:45:12 UTC,Sell,btc,-0.02625537,USD,\"$29,434.23\",\"$772.81\",$765.08,$7.73,",
            "a3,2023-11-02 15:45:12,Buy,ETH,1.5,EUR,2000,3000,3015,15,",
            "a4,2023-11-02T15:45:12Z,Buy,ETH,1.5,USD,2000,3000,3015,15,",
            "a5,11/02/2023 15:45:12,Send,ETH,0.5,USD,2000,,,,",
            "a6,yesterday,Buy,ETH,1.5,USD,2000,3000,3015,15,",
            "a7,2023-11-02 15:45:12 UTC,Buy,ETH,,USD,2000,3000,3015,15,",
            "a8,2023-11-02 15:45:12 UTC,Buy,ETH,1.5 ETH,USD,2000 USD,3000 USD,3015 USD,15 USD,",
            "a9,2023-11-02 15:45:12 UTC,Buy,ETH,1.5,USD,\"$2,00\",abc,(3015),,",
            "a10,2023-02-30 15:45:12 UTC,Receive,ETH,1.5,USD,2000,,,,Coinbase Earn",
            "a11,2023-11-02 15:45:12 UTC,Buy,ETH,0,USD,2000,3000,3015,15,",
            "a12,2023-11-02 15:45:12 UTC,Buy,ETH,1234567890123456789,USD,1,1,1,0,",
        ];
        let sheet = Sheet {
            header_line: 1,
            header,
            rows: Vec::new(),
        };
        let opts = crate::import::ImportOptions {
            account: None,
            prices: None,
            tz: "America/New_York".parse().unwrap(),
            accounts: Default::default(),
        };
        let prep = prep(&sheet, opts.tz);
        let c = Cols {
            id: sheet.col(&["ID"]),
            time: 1,
            kind: 2,
            asset: 3,
            qty: 4,
            ccy: sheet.col(&["Price Currency"]),
            header_ccy: "USD".into(),
            price: Some(6),
            subtotal: Some(7),
            total: Some(8),
            fees: Some(9),
            notes: Some(10),
            address: None,
            sender: None,
            recipient: None,
        };
        let shown = |m: Option<Made>| match m {
            None => "none".to_string(),
            Some(Made::Row(line, d)) => format!("{line} {d:?}"),
            Some(Made::Entry(Entry::Skip { row, reason })) => format!("{row} skip {reason}"),
            Some(Made::Entry(_)) => "entry".to_string(),
        };
        let mut parsed_ahead = 0;
        for (i, text) in rows.iter().enumerate() {
            let cells: Vec<String> = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(text.as_bytes())
                .records()
                .next()
                .unwrap()
                .unwrap()
                .iter()
                .map(str::to_string)
                .collect();
            let mut row = SheetRow::new(i as u64 + 2, cells);
            let mut here = Cx::new(&opts, "coinbase".into(), crate::import::Format::Coinbase);
            let made_here = shown(made(&c, &row, &mut here));
            prep(&mut row);
            parsed_ahead += usize::from(row.parsed.time.is_some());
            let mut ahead = Cx::new(&opts, "coinbase".into(), crate::import::Format::Coinbase);
            let made_ahead = shown(made(&c, &row, &mut ahead));
            assert_eq!(made_ahead, made_here, "{text}");
            assert_eq!(ahead.problems, here.problems, "{text}");
        }
        // Both paths were taken.
        assert!((1..rows.len()).contains(&parsed_ahead));
    }

    #[test]
    fn convert_notes() {
        let (q, a) = parse_convert("Converted 0.0002 BTC to 0.00563821 ETH").unwrap();
        assert_eq!(
            (q.to_string(), a.as_str()),
            ("0.00563821".to_string(), "ETH")
        );
        assert!(parse_convert("Converted 0,00087766 ETH to 1,629352 USDC").is_none());
    }

    #[test]
    fn advanced_trade_crypto_quote() {
        let q = crypto_quote(
            "Bought 0.5 ETH for 1000.5 USDC on ETH-USDC at 2000 USDC/ETH",
            "ETH",
        )
        .unwrap();
        assert_eq!(q.asset, "USDC");
        assert_eq!(q.rate, Some(Decimal::from(2000)));
        assert!(
            crypto_quote(
                "Bought 0.5 ETH for 1408.40 USD on ETH-USD at 2800.00 USD/ETH",
                "ETH"
            )
            .is_none()
        );
    }
}
