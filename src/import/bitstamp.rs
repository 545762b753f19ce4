//! Bitstamp's transaction export (Transactions, Export), in its two layouts:
//!
//! - the old one (`Old format` in the export dialog since December 2023):
//!   `Type,Datetime,Account,Amount,Value,Rate,Fee,Sub Type`, each amount with
//!   its unit (`0.50000000 BTC`, `100.00 USD`), `Datetime` in UTC written
//!   `Jan. 28, 2022, 12:13 AM` (Django's month abbreviations: `Sept.`, `March`,
//!   `June`), no id;
//! - the RFC 4180 one (December 2023 on):
//!   `ID,Account,Type,Subtype,Datetime,Amount,Amount currency,Value,Value
//!   currency,Rate,Rate currency,Fee,Fee currency,Order ID`, numbers and units
//!   apart, `Datetime` ISO 8601 UTC (`2024-03-01T10:20:30Z`). A variant with
//!   `Object` and `Order type` columns is read by the same names; whichever of
//!   `Object`, `Type` and `Subtype` holds a known type word (`Market`,
//!   `Deposit`, …) is the row's type and whichever holds `Buy` or `Sell` its
//!   side, so no column is read by position.
//!
//! Fee convention: `Amount` is the base quantity and `Value` the quote amount
//! of a `Market` trade, both before the `Fee`, which Bitstamp charges on top
//! in the quote currency (a buy takes Value + Fee, a sell pays Value − Fee):
//! the ledger's convention, so the cells map one to one. A buy receives
//! `Amount` and sends `Value`, a sell the reverse; a quote in money (USD,
//! EUR, GBP) makes a `buy`/`sell` in it, a crypto quote a `trade`. Amounts are
//! taken as magnitudes, direction coming from the type and side.
//!
//! `Deposit`/`Withdrawal` (and the old `Ripple deposit`/`Ripple payment`) of
//! crypto are deposits and withdrawals, a withdrawal's `Fee` paid on top (read
//! as outside the amount, unverified on a real export); of money they are cash
//! movements, skipped. `Staking reward` and `Referral reward` are `income`
//! (valued from `--prices`, or left to the engine). `Sub Account Transfer` and
//! `Inter Account Transfer` move coins between the user's own Bitstamp
//! accounts, booked here as one account `bitstamp`: skipped. Any other type is
//! skipped to enter by hand.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use rust_decimal::Decimal;

use super::sheet::stream_rows;
use super::{
    Cx, Draft, Entry, ImportError, RowStream, Sheet, SheetRow, TradeIn, is_fiat, parse_time_cell,
    trade_record,
};
use crate::model::{Category, Kind};

pub(crate) fn matches(h: &[String]) -> bool {
    let has = |n: &str| h.iter().any(|c| c == n);
    let old = has("Type")
        && has("Datetime")
        && has("Account")
        && has("Amount")
        && has("Value")
        && has("Rate")
        && has("Fee")
        && has("Sub Type");
    let new = has("ID")
        && has("Account")
        && has("Datetime")
        && has("Amount")
        && has("Amount currency")
        && has("Value currency")
        && has("Fee currency");
    old || new
}

/// Where the row's facts are, by layout.
struct Cols {
    time: usize,
    /// The columns that may hold the type or the side (`Type`, `Sub Type`,
    /// `Subtype`, `Object`).
    kinds: Vec<usize>,
    /// The column named in an error about a missing side.
    side_name: String,
    amount: usize,
    value: usize,
    fee: usize,
    /// The RFC 4180 layout's unit columns; None in the old layout, whose
    /// amounts carry their unit.
    units: Option<Units>,
    id: Option<usize>,
    order: Option<usize>,
}

struct Units {
    amount: usize,
    value: usize,
    fee: usize,
}

/// Reads the export row by row (see [`stream_rows`]).
pub(crate) fn parse_stream(
    sheet: &Sheet,
    stream: &mut RowStream,
    cx: &mut Cx,
    emit: &mut dyn FnMut(&mut Cx, Entry),
) -> Result<(), ImportError> {
    let units = sheet.col(&["Amount currency"]).map(|amount| Units {
        amount,
        value: sheet.need(cx, &["Value currency"]),
        fee: sheet.need(cx, &["Fee currency"]),
    });
    let kinds: Vec<usize> = ["Object", "Type", "Subtype", "Sub Type"]
        .iter()
        .filter_map(|n| sheet.header.iter().position(|h| h == n))
        .collect();
    if kinds.is_empty() {
        sheet.need(cx, &["Type"]);
    }
    let c = Cols {
        time: sheet.need(cx, &["Datetime"]),
        kinds,
        side_name: ["Sub Type", "Subtype", "Type"]
            .iter()
            .find(|n| sheet.header.iter().any(|h| h == *n))
            .unwrap_or(&"Type")
            .to_string(),
        amount: sheet.need(cx, &["Amount"]),
        value: sheet.need(cx, &["Value"]),
        fee: sheet.need(cx, &["Fee"]),
        id: if units.is_some() {
            sheet.col(&["ID"])
        } else {
            None
        },
        order: sheet.col(&["Order ID"]),
        units,
    };
    stream_rows(sheet, stream, cx, emit, |row, cx, out| {
        if let Some(row) = row
            && sheet.data_row(cx, row, c.time, out)
        {
            one_row(&c, row, cx, out);
        }
    })
}

/// The types a row may have, as Bitstamp writes them.
const TYPES: [&str; 9] = [
    "Market",
    "Deposit",
    "Withdrawal",
    "Ripple deposit",
    "Ripple payment",
    "Staking reward",
    "Referral reward",
    "Sub Account Transfer",
    "Inter Account Transfer",
];

/// A month as Bitstamp's old `Datetime` abbreviates it (`Jan.`, `Sept.`,
/// `March`, `June`): its first three letters.
fn month(s: &str) -> Option<u32> {
    let m = s.trim().trim_end_matches('.').to_ascii_lowercase();
    let names = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let k = names.iter().position(|n| m.starts_with(n))?;
    // `Ja` or `Marchx` are not months: the name must be a prefix of the full name.
    let full = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    full[k].starts_with(&m).then_some(k as u32 + 1)
}

/// The old layout's `Jan. 28, 2022, 12:13 AM` (UTC); `a.m.`/`p.m.` too.
fn old_time(s: &str) -> Option<DateTime<Utc>> {
    let mut parts = s.split(',').map(str::trim);
    let (md, year, clock) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let (m, d) = md.rsplit_once(' ')?;
    let date = NaiveDate::from_ymd_opt(year.parse().ok()?, month(m)?, d.trim().parse().ok()?)?;
    let clock = clock
        .to_ascii_uppercase()
        .replace("A.M.", "AM")
        .replace("P.M.", "PM");
    let t = NaiveTime::parse_from_str(&clock, "%I:%M %p")
        .or_else(|_| NaiveTime::parse_from_str(&clock, "%I:%M:%S %p"))
        .ok()?;
    Some(date.and_time(t).and_utc())
}

/// A quantity with its unit: the old layout's `0.5 BTC`, or the RFC 4180
/// layout's number and unit columns. None when the amount is empty.
fn money(
    cx: &mut Cx,
    row: &SheetRow,
    col: usize,
    name: &str,
    unit_col: Option<(usize, &str)>,
) -> Option<(Decimal, String)> {
    let a = cx.amount(row, col, name)?;
    let unit = match unit_col {
        Some((u, _)) => row.get(u).trim().to_ascii_uppercase(),
        None => a.unit.unwrap_or_default().to_ascii_uppercase(),
    };
    if unit.is_empty() && !a.value.is_zero() {
        match unit_col {
            Some((_, n)) => cx.problem(
                row.line,
                Some(n),
                None,
                format!("is empty: fill in the currency of the {name} beside it"),
            ),
            None => cx.problem(
                row.line,
                Some(name),
                Some(row.get(col)),
                "has no unit: Bitstamp writes amounts like 0.5 BTC",
            ),
        }
        return None;
    }
    Some((a.value.abs(), unit))
}

fn one_row(c: &Cols, row: &SheetRow, cx: &mut Cx, out: &mut Vec<Entry>) {
    let line = row.line;
    let before = cx.problem_count();
    let time = if c.units.is_some() {
        parse_time_cell(
            cx,
            row,
            c.time,
            "Datetime",
            &super::ISO_NAIVE,
            chrono_tz::Tz::UTC,
        )
    } else {
        let cell = row.get(c.time);
        let t = old_time(cell);
        if t.is_none() {
            cx.problem(
                line,
                Some("Datetime"),
                Some(cell),
                "is not a time like Jan. 28, 2022, 12:13 AM",
            );
        }
        t
    };
    let u = c.units.as_ref();
    let amount = money(
        cx,
        row,
        c.amount,
        "Amount",
        u.map(|u| (u.amount, "Amount currency")),
    );
    let value = money(
        cx,
        row,
        c.value,
        "Value",
        u.map(|u| (u.value, "Value currency")),
    );
    let fee = money(cx, row, c.fee, "Fee", u.map(|u| (u.fee, "Fee currency")));
    if cx.problem_count() > before {
        return;
    }
    let Some(time) = time else { return };
    let words: Vec<&str> = c.kinds.iter().map(|&i| row.get(i).trim()).collect();
    let typ = words
        .iter()
        .find(|w| TYPES.iter().any(|t| t.eq_ignore_ascii_case(w)))
        .copied();
    let side = words
        .iter()
        .find(|w| w.eq_ignore_ascii_case("buy") || w.eq_ignore_ascii_case("sell"))
        .map(|w| w.to_ascii_lowercase());
    let id = match c.id.map(|i| row.get(i).trim()).filter(|s| !s.is_empty()) {
        Some(id) => cx.exchange_id(id),
        None => {
            let cells: Vec<&str> = row.cells.iter().map(String::as_str).collect();
            cx.content_id(&cells)
        }
    };
    let order = c.order.map_or("", |i| row.get(i).trim());
    let Some((qty, asset)) = amount.filter(|(q, _)| !q.is_zero()) else {
        out.push(Entry::skip(line, "zero amount: nothing moved"));
        return;
    };
    let account = cx.account.clone();
    let rec = |out: &mut Vec<Entry>, d: Draft| {
        out.push(Entry::Rec {
            rows: vec![line],
            rec: d.finish(&account),
        })
    };
    let typ_l = typ.map(str::to_ascii_lowercase);
    match typ_l.as_deref() {
        Some("market") => {
            let Some(side) = side else {
                cx.problem(
                    line,
                    Some(c.side_name.as_str()),
                    None,
                    "is neither Buy nor Sell: a Market row needs its side",
                );
                return;
            };
            let Some((vq, va)) = value.filter(|(q, _)| !q.is_zero()) else {
                cx.problem(
                    line,
                    Some("Value"),
                    None,
                    "is empty: a Market row needs what was paid or received",
                );
                return;
            };
            let (sent, received) = if side == "buy" {
                ((vq, va), (qty, asset))
            } else {
                ((qty, asset), (vq, va))
            };
            let note = if order.is_empty() {
                String::new()
            } else {
                format!("order {order}")
            };
            trade_record(
                cx,
                TradeIn {
                    id,
                    rows: vec![line],
                    time,
                    sent,
                    received,
                    fees: fee.into_iter().filter(|(q, _)| !q.is_zero()).collect(),
                    usd_hint: None,
                    note,
                },
                out,
            );
        }
        Some("deposit" | "ripple deposit" | "withdrawal" | "ripple payment") => {
            let incoming = matches!(typ_l.as_deref(), Some("deposit" | "ripple deposit"));
            if is_fiat(&asset) {
                let what = if incoming { "deposit" } else { "withdrawal" };
                out.push(Entry::skip(line, format!("fiat {what}: not a tax event")));
                return;
            }
            let mut d = if incoming {
                Draft::new(id, time, Kind::Deposit).received(qty, &asset)
            } else {
                Draft::new(id, time, Kind::Withdrawal).sent(qty, &asset)
            };
            if let Some((fq, fa)) = fee {
                d = d.fee(fq, &fa);
            }
            rec(out, d.note(typ.unwrap_or_default()));
        }
        Some("staking reward" | "referral reward") => {
            if is_fiat(&asset) {
                out.push(Entry::skip(
                    line,
                    "reward paid in cash: not a crypto lot (report it as income by hand)",
                ));
                return;
            }
            let category = if typ_l.as_deref() == Some("staking reward") {
                Category::Staking
            } else {
                Category::Reward
            };
            let v = cx.value_legs(line, time, Some((qty, &asset)), None);
            rec(
                out,
                Draft::new(id, time, Kind::Income)
                    .category(category)
                    .received(qty, &asset)
                    .usd(v)
                    .note(typ.unwrap_or_default()),
            );
        }
        Some("sub account transfer" | "inter account transfer") => {
            out.push(Entry::skip(
                line,
                "move between your own Bitstamp accounts: not a tax event (if it paid out \
                 another asset, a conversion, enter that trade by hand)",
            ));
        }
        _ => out.push(Entry::skip(
            line,
            format!(
                "unknown Bitstamp type {:?}: not imported, enter it by hand",
                words.join(" ").trim()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_datetimes() {
        let t = |s| old_time(s).map(|t| t.to_rfc3339());
        assert_eq!(
            t("Jan. 28, 2022, 12:13 AM").as_deref(),
            Some("2022-01-28T00:13:00+00:00")
        );
        assert_eq!(
            t("Sept. 3, 2019, 01:05 PM").as_deref(),
            Some("2019-09-03T13:05:00+00:00")
        );
        assert_eq!(
            t("March 9, 2021, 11:59 p.m.").as_deref(),
            Some("2021-03-09T23:59:00+00:00")
        );
        assert_eq!(
            t("June 30, 2020, 12:00 PM").as_deref(),
            Some("2020-06-30T12:00:00+00:00")
        );
        assert_eq!(t("Foo. 28, 2022, 12:13 AM"), None);
        assert_eq!(t("2022-01-28 00:13"), None);
    }

    #[test]
    fn both_layouts_are_detected() {
        let h = |s: &str| s.split(',').map(str::to_string).collect::<Vec<_>>();
        assert!(matches(&h(
            "Type,Datetime,Account,Amount,Value,Rate,Fee,Sub Type"
        )));
        assert!(matches(&h(
            "ID,Account,Type,Subtype,Datetime,Amount,Amount currency,Value,Value currency,Rate,Rate currency,Fee,Fee currency,Order ID"
        )));
        assert!(matches(&h(
            "ID,Account,Object,Type,Datetime,Amount,Amount currency,Value,Value currency,Rate,Rate currency,Order ID,Order type,Fee,Fee currency"
        )));
        assert!(!matches(&h("Type,Datetime,Account,Amount,Value")));
    }
}
