//! Sparrow Wallet's transactions export (Transactions tab, Export CSV):
//! `Date (UTC),Label,Value,Balance,Fee[,Value (USD)],Txid`. Versions before
//! 1.8.6 wrote `Date` in the computer's local time (read in `--tz`), older ones
//! had no fiat column or no `Fee` column; later ones may name the unit in the
//! header (`Value (BTC)`, `Fee (sats)`). The fiat column, when Sparrow was
//! online with a rate source, is `Value (<currency>)`, followed at the end of
//! the file by a `# Historical ... values ... approximate` comment line.
//!
//! Fee convention: `Value` is the signed change of the wallet's balance (the
//! `Balance` column is its running sum), so a send's value includes the
//! network fee, which `Fee` gives for sends whose inputs were all the
//! wallet's. The ledger's withdrawal is |value| - fee with the fee on top in
//! BTC; a receive is a deposit (see `electrum::wallet_row`, shared with
//! Electrum). The fiat value is the day's rate times the whole change: in USD
//! (or another currency at its `--prices` rate) it is the row's USD value,
//! shared between what was sent and the fee in proportion.
//!
//! Units: Sparrow writes BTC with exactly 8 decimals (`0.00150000`, with a
//! decimal comma under its "comma" setting) and satoshis as whole numbers
//! (`150000`). A header that names the unit is followed; otherwise the first
//! amount of the file decides, and every later amount must be written the same
//! way: anything else (a file changed by a spreadsheet) is refused naming its
//! line, rather than read 100,000,000 times too large or too small.
//! Unconfirmed transactions (`Unconfirmed` as the date) are skipped.
//!
//! `Balance`, the wallet's BTC after the row (oldest row first; rows of one
//! block share a time, in the block's order), is read as `Value` is and kept
//! for each dated row, for `harvest balances` to compare with the ledger's.
//! An unconfirmed row's balance counts it: it states none.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::electrum::{WalletRow, sats_to_btc, wallet_row};
use super::{Cx, Entry, ImportError, RowStream, Sheet, SheetRow, is_fiat, parse_time_cell};

/// The unit of the coin amounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Btc,
    Sats,
}

impl Unit {
    fn name(self) -> &'static str {
        match self {
            Unit::Btc => "BTC",
            Unit::Sats => "sats",
        }
    }
}

/// `Value`, `Value (BTC)` or `Value (sats)` (with `base` "Value"): Some with
/// the unit the header names, if any.
fn coin_column(cell: &str, base: &str) -> Option<Option<Unit>> {
    let rest = cell.strip_prefix(base)?;
    match rest {
        "" => Some(None),
        " (BTC)" => Some(Some(Unit::Btc)),
        " (sats)" => Some(Some(Unit::Sats)),
        _ => None,
    }
}

/// `Value (USD)`: the fiat column's currency.
fn fiat_column(cell: &str) -> Option<&str> {
    let ccy = cell.strip_prefix("Value (")?.strip_suffix(')')?;
    (ccy.len() == 3 && ccy.bytes().all(|b| b.is_ascii_uppercase()) && ccy != "BTC").then_some(ccy)
}

pub(crate) fn matches(h: &[String]) -> bool {
    let known = |c: &String| {
        matches!(c.as_str(), "Date" | "Date (UTC)" | "Label" | "Txid")
            || coin_column(c, "Value").is_some()
            || coin_column(c, "Balance").is_some()
            || coin_column(c, "Fee").is_some()
            || fiat_column(c).is_some()
    };
    matches!(h.first().map(String::as_str), Some("Date" | "Date (UTC)"))
        && h.iter().any(|c| c == "Label")
        && h.iter().any(|c| coin_column(c, "Value").is_some())
        && h.iter().any(|c| coin_column(c, "Balance").is_some())
        && h.iter().any(|c| c == "Txid")
        && h.iter().all(known)
}

struct Cols {
    date: usize,
    /// `Date (UTC)`; else local time.
    utc: bool,
    label: usize,
    value: usize,
    /// The running `Balance`: the wallet's BTC after the row.
    balance: Option<usize>,
    fee: Option<usize>,
    fiat: Option<(usize, String)>,
    txid: usize,
}

/// The unit the amounts are read in: the header's, or the first amount's
/// (with its line, to name it when a later amount disagrees).
struct Units {
    header: Option<Unit>,
    seen: Option<(Unit, u64)>,
}

/// Reads the export's rows: those already in `sheet`, then the rest of
/// `stream`, one at a time.
pub(crate) fn parse_stream(
    sheet: &Sheet,
    stream: &mut RowStream,
    cx: &mut Cx,
    emit: &mut dyn FnMut(&mut Cx, Entry),
) -> Result<(), ImportError> {
    let h = &sheet.header;
    let find = |base: &str| h.iter().position(|c| coin_column(c, base).is_some());
    let unit_of = |i: Option<usize>, base: &str| {
        i.and_then(|i| h.get(i))
            .and_then(|c| coin_column(c, base))
            .flatten()
    };
    let (value, balance, fee) = (find("Value"), find("Balance"), find("Fee"));
    let named: Vec<Unit> = [
        unit_of(value, "Value"),
        unit_of(balance, "Balance"),
        unit_of(fee, "Fee"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if named.windows(2).any(|w| w[0] != w[1]) {
        cx.problem(
            sheet.header_line,
            None,
            None,
            "the header names two units (BTC and sats) for the amounts; export the file again \
             from Sparrow",
        );
    }
    let c = Cols {
        date: sheet.need(cx, &["Date (UTC)", "Date"]),
        utc: sheet.col(&["Date (UTC)"]).is_some(),
        label: sheet.need(cx, &["Label"]),
        value: value.unwrap_or(usize::MAX),
        balance,
        fee,
        fiat: h
            .iter()
            .enumerate()
            .find_map(|(i, c)| fiat_column(c).map(|ccy| (i, ccy.to_string()))),
        txid: sheet.need(cx, &["Txid"]),
    };
    let mut units = Units {
        header: named.first().copied(),
        seen: None,
    };
    let mut row = SheetRow::default();
    if cx.failed() {
        // The rows are still read: a CSV error in them is the one to report.
        while stream.next_into(&mut row)? {}
        return Ok(());
    }
    for r in &sheet.rows {
        if let Some(e) = one_row(&c, &mut units, sheet, r, cx) {
            emit(cx, e);
        }
    }
    while stream.next_into(&mut row)? {
        if let Some(e) = one_row(&c, &mut units, sheet, &row, cx) {
            emit(cx, e);
        }
    }
    Ok(())
}

const TIMES: [&str; 2] = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"];

fn one_row(
    c: &Cols,
    units: &mut Units,
    sheet: &Sheet,
    row: &SheetRow,
    cx: &mut Cx,
) -> Option<Entry> {
    let line = row.line;
    // Sparrow ends a file with a fiat column with `# Historical USD values
    // are taken from daily rates ...`.
    if row.get(0).starts_with('#') {
        return Some(Entry::skip(
            line,
            "comment line (Sparrow's note on its fiat values)",
        ));
    }
    if !sheet.check_width(cx, row, 0) {
        return None;
    }
    if row.is_blank() {
        return Some(Entry::skip(line, "blank or footer row"));
    }
    let date = row.get(c.date);
    if date.eq_ignore_ascii_case("Unconfirmed") {
        return Some(Entry::skip(
            line,
            "unconfirmed transaction (date \"Unconfirmed\"): not final; export again once it is \
             in a block",
        ));
    }
    let before = cx.problem_count();
    let tz = if c.utc {
        chrono_tz::Tz::UTC
    } else {
        cx.opts.tz
    };
    let header = sheet.header.get(c.date).map_or("Date", String::as_str);
    let time = parse_time_cell(cx, row, c.date, header, &TIMES, tz);
    if row.get(c.value).is_empty() {
        let name = sheet.header.get(c.value).map_or("Value", String::as_str);
        cx.problem(line, Some(name), None, "is empty; this row needs it");
    }
    let value = coin(cx, units, sheet, row, c.value);
    let fee = c.fee.and_then(|i| coin(cx, units, sheet, row, i));
    // In the unit of the other amounts: a balance written otherwise is refused
    // as they are.
    let balance = c.balance.and_then(|i| coin(cx, units, sheet, row, i));
    let (time, value) = (time?, value?);
    let usd = c
        .fiat
        .as_ref()
        .and_then(|(i, ccy)| fiat(cx, sheet, row, *i, ccy, time));
    if cx.problem_count() != before {
        return None;
    }
    // The wallet's own balance after the row, for the comparison with the
    // ledger's (`harvest balances`); a zero-value row states one too.
    if let Some(balance) = balance {
        cx.report_balance(line, time, "BTC", balance);
    }
    if value.is_zero() {
        return Some(Entry::skip(
            line,
            "zero value: nothing moved in or out of the wallet",
        ));
    }
    Some(wallet_row(
        cx,
        WalletRow {
            line,
            time,
            txid: row.get(c.txid),
            label: row.get(c.label),
            value,
            fee: fee.map(|f| f.abs()),
            fee_column: c.fee.is_some(),
            usd,
            fee_usd: None,
            extra: None,
        },
    ))
}

/// How Sparrow wrote an amount.
enum Shape {
    /// A whole number (satoshis).
    Whole(Decimal),
    /// A number with a decimal point or comma and this many decimals.
    Fraction(Decimal, usize),
}

/// Reads `-?digits` or `-?digits[.,]digits`: the shapes Sparrow writes (it
/// never groups thousands in its exports, so a comma is a decimal comma).
fn shape(cell: &str) -> Option<Shape> {
    let (negative, body) = match cell.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, cell),
    };
    let (int, frac) = match body.split_once(['.', ',']) {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || frac.is_some_and(|f| !digits(f)) {
        return None;
    }
    let text = match frac {
        Some(f) => format!("{}{int}.{f}", if negative { "-" } else { "" }),
        None => format!("{}{int}", if negative { "-" } else { "" }),
    };
    let v = Decimal::from_str_exact(&text).ok()?;
    Some(match frac {
        Some(f) => Shape::Fraction(v, f.len()),
        None => Shape::Whole(v),
    })
}

/// A coin amount cell (`Value`, `Balance`, `Fee`) in BTC; None when empty or unreadable
/// (then a problem names it).
fn coin(
    cx: &mut Cx,
    units: &mut Units,
    sheet: &Sheet,
    row: &SheetRow,
    col: usize,
) -> Option<Decimal> {
    let cell = row.get(col);
    if cell.is_empty() {
        return None;
    }
    let name = sheet.header.get(col).map_or("Value", String::as_str);
    let Some(s) = shape(cell) else {
        cx.bad_cell(
            row.line,
            name,
            cell,
            "is not an amount as Sparrow writes it (whole satoshis, or BTC with 8 decimals)",
        );
        return None;
    };
    // The unit this cell is written in, when its shape tells.
    let written = match s {
        Shape::Whole(_) => Some(Unit::Sats),
        Shape::Fraction(_, 8) => Some(Unit::Btc),
        Shape::Fraction(..) => None,
    };
    let unit = match (units.header, units.seen) {
        (Some(u), _) => u,
        (None, Some((u, first))) => {
            if written != Some(u) {
                cx.bad_cell(
                    row.line,
                    name,
                    cell,
                    format!(
                        "is not written in {} as the file's first amount (line {first}) is: \
                         Sparrow writes whole satoshis or BTC with 8 decimals, never both; \
                         export the file again from Sparrow rather than editing it",
                        u.name()
                    ),
                );
                return None;
            }
            u
        }
        (None, None) => match written {
            Some(u) => {
                units.seen = Some((u, row.line));
                u
            }
            None => {
                cx.bad_cell(
                    row.line,
                    name,
                    cell,
                    "is neither whole satoshis nor BTC with 8 decimals, as Sparrow writes \
                     them, so its unit is unknown; export the file again from Sparrow rather \
                     than editing it",
                );
                return None;
            }
        },
    };
    match (unit, s) {
        (Unit::Btc, Shape::Whole(v) | Shape::Fraction(v, _)) => Some(v),
        (Unit::Sats, Shape::Whole(v)) => Some(sats_to_btc(v)),
        (Unit::Sats, Shape::Fraction(..)) => {
            cx.bad_cell(
                row.line,
                name,
                cell,
                "is not a whole number of satoshis, the unit the header names",
            );
            None
        }
    }
}

/// The fiat value cell (`Value (USD)`) as a USD magnitude: itself in USD,
/// another currency at its `--prices` rate, else None.
fn fiat(
    cx: &mut Cx,
    sheet: &Sheet,
    row: &SheetRow,
    col: usize,
    ccy: &str,
    t: DateTime<Utc>,
) -> Option<Decimal> {
    let cell = row.get(col);
    if cell.is_empty() || !is_fiat(ccy) {
        return None;
    }
    let v = match shape(cell) {
        Some(Shape::Whole(v) | Shape::Fraction(v, _)) => v,
        None => {
            let name = sheet.header.get(col).map_or("Value (fiat)", String::as_str);
            cx.bad_cell(row.line, name, cell, "is not an amount");
            return None;
        }
    };
    cx.fiat_to_usd(row.line, t, v.abs(), ccy)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The running balance in each unit Sparrow writes, read as `Value` is:
    /// satoshis as BTC, a decimal comma; the unconfirmed row and the comment
    /// line state none, a zero-value row does.
    #[test]
    fn the_running_balance_is_kept_in_btc() {
        let balances = |text: &str| {
            let got = crate::import::import_whole(text).unwrap();
            assert!(got.balances.iter().all(|b| b.asset == "BTC"));
            assert!(got.balances.iter().all(|b| b.account == "sparrow"));
            got.balances
                .iter()
                .map(|b| {
                    let balance = b.balance.normalize().to_string();
                    (b.line, b.time.to_rfc3339(), balance)
                })
                .collect::<Vec<_>>()
        };
        let row = |line, time: &str, balance: &str| (line, time.to_string(), balance.to_string());
        let sats = "Date (UTC),Label,Value,Balance,Fee,Value (USD),Txid\n\
2024-01-05 14:02:11,,2500000,2500000,,1098.75,aa\n\
2024-01-19 09:47:30,,-415230,2084770,5230,-172.53,bb\n\
2024-01-20 10:00:00,,0,2084770,,0.00,cc\n\
Unconfirmed,,50000,2134770,,21.02,dd\n\
\n\
# Historical USD values are taken from daily rates and should only be considered as approximate.\n";
        assert_eq!(
            balances(sats),
            [
                row(2, "2024-01-05T14:02:11+00:00", "0.025"),
                row(3, "2024-01-19T09:47:30+00:00", "0.0208477"),
                row(4, "2024-01-20T10:00:00+00:00", "0.0208477"),
            ]
        );
        let named = "Date (UTC),Label,Value (sats),Balance (sats),Fee (sats),Txid\n\
2025-04-02 08:00:00,,150000,150000,,aa\n\
2025-05-06 19:45:12,,-60212,89788,212,bb\n";
        assert_eq!(
            balances(named),
            [
                row(2, "2025-04-02T08:00:00+00:00", "0.0015"),
                row(3, "2025-05-06T19:45:12+00:00", "0.00089788"),
            ]
        );
        let comma = "Date,Label,Value,Balance,Fee,Txid\n\
2022-03-01 09:00:00,,\"0,08000000\",\"0,08000000\",,aa\n\
2022-03-12 18:30:00,,\"-0,02001500\",\"0,05998500\",\"0,00001500\",bb\n";
        assert_eq!(
            balances(comma),
            [
                row(2, "2022-03-01T09:00:00+00:00", "0.08"),
                row(3, "2022-03-12T18:30:00+00:00", "0.059985"),
            ]
        );
    }

    /// A balance written in another unit than the file's amounts is refused
    /// as a `Value` would be.
    #[test]
    fn a_balance_in_another_unit_is_refused() {
        let opts = crate::import::ImportOptions {
            account: None,
            prices: None,
            tz: chrono_tz::Tz::UTC,
            accounts: Default::default(),
        };
        let text = "Date (UTC),Label,Value,Balance,Fee,Txid\n\
2024-01-05 14:02:11,,2500000,0.02500000,,aa\n";
        let mut imp = crate::import::Importer::new(opts);
        let e = match imp.import(text.as_bytes(), "x.csv", None) {
            Ok(_) => panic!("imported"),
            Err(e) => e.to_string(),
        };
        assert!(
            e.contains("column Balance \"0.02500000\" is not written in sats"),
            "{e}"
        );
    }

    #[test]
    fn headers_and_shapes() {
        let h = |s: &str| s.split(',').map(str::to_string).collect::<Vec<_>>();
        for ok in [
            "Date (UTC),Label,Value,Balance,Fee,Txid",
            "Date (UTC),Label,Value,Balance,Fee,Value (USD),Txid",
            "Date,Label,Value,Balance,Fee,Value (EUR),Txid",
            "Date,Label,Value,Balance,Txid",
            "Date (UTC),Label,Value (sats),Balance (sats),Fee (sats),Value (USD),Txid",
        ] {
            assert!(matches(&h(ok)), "{ok}");
        }
        assert!(!matches(&h("Date,Label,Value,Balance,Fee,TXID,Address")));
        assert!(
            matches!(shape("-0,00150000"), Some(Shape::Fraction(v, 8)) if v.to_string() == "-0.00150000")
        );
        assert!(matches!(shape("150000"), Some(Shape::Whole(_))));
        assert!(shape("1,234.5").is_none() && shape("1e5").is_none() && shape("").is_none());
    }
}
