//! Binance's "Buy Crypto" history (Orders, Buy Crypto History, Export): card
//! and bank purchases of crypto with money that never sat in the Binance
//! account. `Date(UTC),Method,Amount,Price,Fees,Final Amount,Status,Transaction
//! ID`, the amounts carrying their unit (`100.00 USD`, `0.00243902 BTC`), the
//! `Price` the money paid per coin (`40000.00 USD`, read by its number only:
//! `40,000.00 USD/BTC` too). The date is in the zone the header names
//! (`Date(UTC+1)`).
//!
//! Fee convention, as Binance's fiat-payments API (`sourceAmount`,
//! `totalFee`, `price`, `obtainAmount`) documents its example (20.0 EUR, fee
//! 0.2 EUR, price 4.437472, 4.462 coins obtained: (20.0 − 0.2) / 4.437472 =
//! 4.462): `Amount` is what the card was charged, the fee inside it, so
//! `Final Amount` = (`Amount` − `Fees`) / `Price`. The ledger pays the fee on
//! top, so a row becomes a `buy` sending `Amount − Fees` of the money, with
//! `Fees` in the fee columns and `Final Amount` received: the money out is
//! still `Amount`, and the lot's basis is the whole charge. Each row's own
//! numbers are checked against that arithmetic (within 1%, Binance rounds the
//! coins). A row whose `Final Amount` is instead `Amount / Price` leaves open
//! whether the card paid `Amount` (a price with the fee in it) or `Amount +
//! Fees`: it is skipped, to enter by hand; a row that fits neither is an error
//! naming its line. Neither is guessed. A purchase in EUR stays in
//! EUR, valued at its `--prices` rate (as every format values it).
//!
//! Only `Completed` (or `Successful`, `Finished`) rows bought anything; other
//! statuses (`Failed`, `Refunded`, `Processing`, …) are skipped with theirs.
//! Binance's statement ("Generate all statements") lists the same purchases
//! as `Buy Crypto` rows without this id: import one or the other.

use rust_decimal::Decimal;

use super::binance_deposits::binance_time;
use super::binance_trades::header_offset;
use super::sheet::stream_rows;
use super::{Cx, Entry, ImportError, RowStream, Sheet, SheetRow, TradeIn, is_fiat, trade_record};

pub(crate) fn matches(h: &[String]) -> bool {
    let has = |n: &str| h.iter().any(|c| c == n);
    h.first().is_some_and(|c| c.starts_with("Date"))
        && has("Method")
        && has("Amount")
        && has("Price")
        && has("Fees")
        && has("Final Amount")
        && has("Status")
}

struct Cols {
    date: usize,
    offset: Option<chrono::FixedOffset>,
    method: Option<usize>,
    amount: usize,
    price: usize,
    fees: usize,
    final_amount: usize,
    status: usize,
    id: Option<usize>,
}

/// Reads the export row by row (see [`stream_rows`]).
pub(crate) fn parse_stream(
    sheet: &Sheet,
    stream: &mut RowStream,
    cx: &mut Cx,
    emit: &mut dyn FnMut(&mut Cx, Entry),
) -> Result<(), ImportError> {
    let c = Cols {
        date: 0,
        offset: header_offset(&sheet.header[0]),
        method: sheet.col(&["Method"]),
        amount: sheet.need(cx, &["Amount"]),
        price: sheet.need(cx, &["Price"]),
        fees: sheet.need(cx, &["Fees"]),
        final_amount: sheet.need(cx, &["Final Amount"]),
        status: sheet.need(cx, &["Status"]),
        id: sheet.col(&["Transaction ID"]),
    };
    stream_rows(sheet, stream, cx, emit, |row, cx, out| {
        if let Some(row) = row
            && sheet.data_row(cx, row, c.date, out)
        {
            one_row(sheet, &c, row, cx, out);
        }
    })
}

/// How a row's numbers fit together.
#[derive(Debug, PartialEq, Eq)]
enum Reading {
    /// `Final Amount` = (`Amount` − `Fees`) / `Price`: the fee inside.
    FeeInside,
    /// `Final Amount` = `Amount` / `Price`: the fee on top of `Amount`, or
    /// inside a `Price` that includes it; the export does not say which.
    AmountOverPrice,
}

/// Which reading the row's numbers fit (within 1% of the coins), the fee
/// inside first; None when neither does.
fn reading(amount: Decimal, fees: Decimal, price: Decimal, coins: Decimal) -> Option<Reading> {
    if price <= Decimal::ZERO || coins <= Decimal::ZERO {
        return None;
    }
    // A quotient too large for a decimal is no reading of the row.
    let close = |spent: Decimal| {
        spent
            .checked_div(price)
            .is_some_and(|expected| (expected - coins).abs() <= coins / Decimal::from(100))
    };
    if close(amount - fees) {
        Some(Reading::FeeInside)
    } else if close(amount) {
        Some(Reading::AmountOverPrice)
    } else {
        None
    }
}

/// The number at the start of a `Price` cell (`40000.00 USD`,
/// `40,000.00 USD/BTC`).
fn price_number(cx: &mut Cx, row: &SheetRow, col: usize) -> Option<Decimal> {
    let cell = row.get(col).trim();
    let first = cell.split([' ', '/']).next().unwrap_or("");
    match super::num::parse_amount(first) {
        Ok(Some(a)) => Some(a.value),
        _ => {
            cx.problem(
                row.line,
                Some("Price"),
                Some(cell),
                "is not a price like 40000.00 USD",
            );
            None
        }
    }
}

fn one_row(sheet: &Sheet, c: &Cols, row: &SheetRow, cx: &mut Cx, out: &mut Vec<Entry>) {
    let line = row.line;
    let status = row.get(c.status).trim();
    if !["completed", "successful", "finished", "success"]
        .iter()
        .any(|s| s.eq_ignore_ascii_case(status))
    {
        out.push(Entry::skip(
            line,
            format!("Buy Crypto status {status:?}: nothing was bought"),
        ));
        return;
    }
    let before = cx.problem_count();
    let time = binance_time(cx, line, &sheet.header[0], c.offset, row.get(c.date));
    let amount = cx.amount(row, c.amount, "Amount");
    let fees = cx.amount(row, c.fees, "Fees");
    let coins = cx.amount(row, c.final_amount, "Final Amount");
    let price = price_number(cx, row, c.price);
    if cx.problem_count() > before {
        return;
    }
    let (Some(time), Some(amount), Some(coins), Some(price)) = (time, amount, coins, price) else {
        for (v, name) in [
            (row.get(c.amount), "Amount"),
            (row.get(c.final_amount), "Final Amount"),
        ] {
            if v.trim().is_empty() {
                cx.problem(line, Some(name), None, "is empty; this row needs it");
            }
        }
        return;
    };
    let unit = |a: &super::num::Amount| a.unit.clone().unwrap_or_default().to_ascii_uppercase();
    let (money, coin) = (unit(&amount), unit(&coins));
    if money.is_empty() || coin.is_empty() {
        cx.problem(
            line,
            Some(if money.is_empty() {
                "Amount"
            } else {
                "Final Amount"
            }),
            Some(if money.is_empty() {
                row.get(c.amount)
            } else {
                row.get(c.final_amount)
            }),
            "has no unit: Binance writes amounts like 100.00 USD and 0.0025 BTC",
        );
        return;
    }
    if !is_fiat(&money) {
        cx.problem(
            line,
            Some("Amount"),
            Some(row.get(c.amount)),
            "is not an amount of money: a Buy Crypto row pays with a card or bank currency",
        );
        return;
    }
    let fee = fees.as_ref().map_or(Decimal::ZERO, |f| f.value.abs());
    let fee_unit = fees.as_ref().map(unit).filter(|u| !u.is_empty());
    if !fee.is_zero() && fee_unit.as_deref().is_some_and(|u| u != money) {
        cx.problem(
            line,
            Some("Fees"),
            Some(row.get(c.fees)),
            format!("is not in {money}, the currency of Amount: enter this purchase by hand"),
        );
        return;
    }
    let (charged, coins_q) = (amount.value.abs(), coins.value.abs());
    if price.is_zero() {
        cx.problem(
            line,
            Some("Price"),
            Some(row.get(c.price)),
            "is zero: a purchase has a price; check the row, or enter the purchase by hand",
        );
        return;
    }
    let Some(how) = reading(charged, fee, price.abs(), coins_q) else {
        cx.problem(
            line,
            Some("Final Amount"),
            Some(row.get(c.final_amount)),
            format!(
                "does not follow from Amount, Fees and Price ({} − {} = {} {money} at {} should buy \
                 about {} {coin}): check the row, or enter the purchase by hand",
                super::num::fmt_decimal(charged),
                super::num::fmt_decimal(fee),
                super::num::fmt_decimal(charged - fee),
                super::num::fmt_decimal(price.abs()),
                (charged - fee)
                    .checked_div(price.abs())
                    .map_or("?".into(), |q| super::num::fmt_decimal(q.round_dp(8))),
            ),
        );
        return;
    };
    if how == Reading::AmountOverPrice {
        out.push(Entry::skip(
            line,
            "Buy Crypto row whose Final Amount is Amount / Price: whether the card paid Amount \
             or Amount + Fees is unclear; enter this purchase by hand from your card statement",
        ));
        return;
    }
    let spent = charged - fee;
    let tx = c.id.map_or("", |i| row.get(i).trim());
    let id = if tx.is_empty() {
        let cells: Vec<&str> = row.cells.iter().map(String::as_str).collect();
        cx.content_id(&cells)
    } else {
        cx.exchange_id(tx)
    };
    let method = c.method.map_or("", |i| row.get(i).trim());
    let mut note = format!(
        "Buy Crypto: {} {money} charged",
        super::num::fmt_decimal(charged)
    );
    if !method.is_empty() {
        note.push_str(&format!(" ({method})"));
    }
    trade_record(
        cx,
        TradeIn {
            id,
            rows: vec![line],
            time,
            sent: (spent, money.clone()),
            received: (coins_q, coin),
            fees: vec![(fee, money)],
            usd_hint: None,
            note,
        },
        out,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    /// A price so small that the quotient overflows reads as no reading,
    /// not a panic (and a zero price never gets here: it is a problem).
    #[test]
    fn an_overflowing_quotient_is_no_reading() {
        assert_eq!(
            reading(
                d("79228162514264337593543950335"),
                d("0"),
                d("0.0000000000000000000000000001"),
                d("1")
            ),
            None
        );
        assert_eq!(reading(d("100"), d("2"), d("0"), d("1")), None);
    }

    #[test]
    fn the_fee_is_inside_the_amount() {
        // Binance's API example: 20 EUR charged, 0.2 fee, price 4.437472.
        assert_eq!(
            reading(d("20.0"), d("0.2"), d("4.437472"), d("4.462")),
            Some(Reading::FeeInside)
        );
        // 100 USD with a 2 USD fee at 40000: 0.00245 BTC.
        assert_eq!(
            reading(d("100"), d("2"), d("40000"), d("0.00245")),
            Some(Reading::FeeInside)
        );
        // The same coins for the whole 100 (0.0025): the fee was on top.
        assert_eq!(
            reading(d("100"), d("2"), d("40000"), d("0.0025")),
            Some(Reading::AmountOverPrice)
        );
        // Neither: an error, not a guess.
        assert_eq!(reading(d("100"), d("2"), d("40000"), d("0.003")), None);
        assert_eq!(reading(d("100"), d("2"), d("0"), d("0.003")), None);
    }
}
