//! Gemini transaction history (the XLSX converted to CSV): fixed leading
//! columns, one `<SYM> Amount <SYM>` / `Fee (<SYM>) <SYM>` (or `Trading Fee
//! (<SYM>) <SYM>`, or `Fee <SYM>`) / `<SYM> Balance <SYM>` group per asset, then
//! trade and transfer ids. Cells carry Excel display formatting (`$196.24 `,
//! `($53.62)`, `(0.0343 BTC)`); dates are `2015-10-16` or, after Excel, US
//! month/day/year (`8/8/08`); times are UTC.
//!
//! Fee convention: the amounts are signed balance changes and the fee (shown
//! negative, usually in the quote asset) is charged in addition to them (USD
//! balance = old - 53.62 - 0.13 on a buy), the ledger's convention: amounts map
//! one to one, the fee to the fee columns.
//!
//! `Buy`/`Sell` become buy/sell/trade; `Credit`/`Debit` deposits and withdrawals
//! (cash ones skipped); earn/interest credits income. The `Totals` footer and
//! blank rows are skipped.

use chrono::{NaiveDate, NaiveTime};
use rust_decimal::Decimal;

use super::sheet::{DataRows, hand_over};
use super::{Cx, Draft, Entry, ImportError, RowStream, Sheet, TradeIn, is_fiat};
use crate::model::Kind;

pub(crate) fn matches(h: &[String]) -> bool {
    let has = |n: &str| h.iter().any(|c| c == n);
    has("Date") && has("Time (UTC)") && has("Type") && has("Symbol") && has("Specification")
}

/// `BTC Amount BTC` -> BTC; `Fee (BTC) BTC`, `Trading Fee (BTC) BTC`, `Fee ZEC` -> BTC/ZEC.
fn amount_col(h: &str) -> Option<String> {
    let (sym, rest) = h.split_once(" Amount ")?;
    (sym == rest && !sym.contains(' ')).then(|| sym.to_string())
}

/// `BTC Balance BTC` -> BTC: Gemini's running balance of the asset.
fn balance_col(h: &str) -> Option<String> {
    let (sym, rest) = h.split_once(" Balance ")?;
    (sym == rest && !sym.contains(' ')).then(|| sym.to_string())
}

fn fee_col(h: &str) -> Option<String> {
    let rest = h
        .strip_prefix("Trading Fee ")
        .or_else(|| h.strip_prefix("Fee "))?;
    if let Some(inner) = rest.strip_prefix('(') {
        let (sym, tail) = inner.split_once(')')?;
        return (tail.trim() == sym).then(|| sym.to_string());
    }
    (!rest.contains(' ') && !rest.is_empty()).then(|| rest.to_string())
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().or_else(|| {
        // Excel's US display form: month/day/two- or four-digit year.
        let parts: Vec<&str> = s.split('/').collect();
        if parts.len() != 3 {
            return None;
        }
        let (m, d) = (parts[0].parse().ok()?, parts[1].parse().ok()?);
        let y: i32 = parts[2].parse().ok()?;
        let y = if parts[2].len() == 2 { 2000 + y } else { y };
        NaiveDate::from_ymd_opt(y, m, d)
    })
}

/// Reads the data rows one at a time, those already in `sheet` and then the
/// rest of `stream`, giving each row's entries to `emit` as it is read.
pub(crate) fn parse_stream(
    sheet: &Sheet,
    stream: &mut RowStream,
    cx: &mut Cx,
    emit: &mut dyn FnMut(&mut Cx, Entry),
) -> Result<(), ImportError> {
    let c_date = sheet.need(cx, &["Date"]);
    let c_time = sheet.need(cx, &["Time (UTC)"]);
    let c_type = sheet.need(cx, &["Type"]);
    let c_symbol = sheet.need(cx, &["Symbol"]);
    let c_spec = sheet.need(cx, &["Specification"]);
    let c_trade = sheet.col(&["Trade ID"]);
    let c_hash = sheet.col(&["Tx Hash"]);
    if cx.failed() {
        return DataRows::new(sheet, stream).skip_all();
    }
    let amounts: Vec<(usize, String)> = sheet
        .header
        .iter()
        .enumerate()
        .filter_map(|(i, h)| amount_col(h).map(|s| (i, s)))
        .collect();
    let fees: Vec<(usize, String)> = sheet
        .header
        .iter()
        .enumerate()
        .filter_map(|(i, h)| fee_col(h).map(|s| (i, s)))
        .collect();
    let balances: Vec<(usize, String)> = sheet
        .header
        .iter()
        .enumerate()
        .filter_map(|(i, h)| balance_col(h).map(|s| (i, s)))
        .filter(|(_, s)| !super::is_fiat(s))
        .collect();
    let mut out = Vec::new();
    let mut rows = DataRows::new(sheet, stream);
    while let Some(row) = rows.next()? {
        hand_over(&mut out, cx, emit);
        if !sheet.check_width(cx, row, 0) {
            continue;
        }
        if row.is_blank() || row.get(c_date).is_empty() {
            out.push(Entry::skip(row.line, "blank row or Totals footer"));
            continue;
        }
        let line = row.line;
        let date = parse_date(row.get(c_date));
        if date.is_none() {
            cx.problem(
                line,
                Some("Date"),
                Some(row.get(c_date)),
                "is not a date like 2021-02-19 or 2/19/21",
            );
        }
        let tcell = row.get(c_time);
        let time_of_day = NaiveTime::parse_from_str(tcell, "%H:%M:%S%.f")
            .or_else(|_| NaiveTime::parse_from_str(tcell, "%H:%M"))
            .ok();
        if time_of_day.is_none() {
            cx.problem(
                line,
                Some("Time (UTC)"),
                Some(tcell),
                "is not a time like 04:26:23.644",
            );
        }
        let mut moved: Vec<(Decimal, String)> = Vec::new();
        for (i, sym) in &amounts {
            if let Some(v) = cx
                .number(row, *i, &sheet.header[*i])
                .filter(|v| !v.is_zero())
            {
                moved.push((v, sym.clone()));
            }
        }
        let mut fee: Vec<(Decimal, String)> = Vec::new();
        for (i, sym) in &fees {
            if let Some(v) = cx
                .number(row, *i, &sheet.header[*i])
                .filter(|v| !v.is_zero())
            {
                fee.push((v.abs(), sym.clone()));
            }
        }
        let (Some(date), Some(tod)) = (date, time_of_day) else {
            continue;
        };
        let time = date.and_time(tod).and_utc();
        // The running balance of each asset the row moves, for the comparison
        // with the ledger's (`harvest balances`).
        let mut stated = false;
        for (i, sym) in &balances {
            let touched = moved.iter().chain(&fee).any(|(_, a)| a == sym);
            if touched && let Some(b) = cx.number(row, *i, &sheet.header[*i]) {
                cx.report_balance(line, time, sym, b);
                stated = true;
            }
        }
        let typ = row.get(c_type).to_string();
        let trade_id = c_trade.map_or("", |i| row.get(i));
        let id = if trade_id.is_empty() {
            let cells: Vec<&str> = row.cells.iter().map(String::as_str).collect();
            // With the balance after it of an asset it moves, an identical
            // row is one row repeated (an export joined with one overlapping
            // it: a second such movement would leave another balance), a
            // duplicate; without one, the N-th identical row is numbered.
            if stated {
                cx.content_id_unique(&cells)
            } else {
                cx.content_id(&cells)
            }
        } else {
            cx.exchange_id(trade_id)
        };
        let account = cx.account.clone();
        let spec = row.get(c_spec).to_string();
        let rec = |out: &mut Vec<Entry>, d: Draft| {
            out.push(Entry::Rec {
                rows: vec![line],
                rec: d.finish(&account),
            })
        };
        let lower = typ.to_ascii_lowercase();
        match typ.as_str() {
            "Buy" | "Sell" => {
                let sent: Vec<_> = moved
                    .iter()
                    .filter(|(v, _)| v.is_sign_negative())
                    .cloned()
                    .collect();
                let received: Vec<_> = moved
                    .iter()
                    .filter(|(v, _)| v.is_sign_positive())
                    .cloned()
                    .collect();
                if sent.len() != 1 || received.len() != 1 {
                    cx.problem(
                        line,
                        Some("Type"),
                        Some(&typ),
                        "a trade row needs exactly one asset going out and one coming in",
                    );
                    continue;
                }
                let s = (sent[0].0.abs(), sent[0].1.clone());
                let r = (received[0].0.abs(), received[0].1.clone());
                super::trade_record(
                    cx,
                    TradeIn {
                        id,
                        rows: vec![line],
                        time,
                        sent: s,
                        received: r,
                        fees: fee,
                        usd_hint: None,
                        note: row.get(c_symbol).to_string(),
                    },
                    &mut out,
                );
            }
            _ if lower.contains("earn")
                || lower.contains("interest")
                || lower.contains("reward") =>
            {
                let Some((q, a)) = moved.iter().find(|(v, _)| v.is_sign_positive()).cloned() else {
                    out.push(Entry::skip(
                        line,
                        format!("Gemini {typ} row without an incoming amount: review by hand"),
                    ));
                    continue;
                };
                if is_fiat(&a) {
                    out.push(Entry::skip(line, "income paid in cash: not a crypto lot"));
                    continue;
                }
                let v = cx.value_legs(line, time, Some((q, &a)), None);
                rec(
                    &mut out,
                    Draft::new(id, time, Kind::Income)
                        .category(super::income_category(&typ))
                        .received(q, &a)
                        .usd(v)
                        .note(format!("{typ} {spec}").trim().to_string()),
                );
            }
            "Credit" | "Debit" => {
                let sym = row.get(c_symbol).to_ascii_uppercase();
                let Some((q, a)) = moved
                    .iter()
                    .find(|(_, a)| *a == sym)
                    .or(moved.first())
                    .cloned()
                else {
                    out.push(Entry::skip(line, "zero amount: nothing moved"));
                    continue;
                };
                if is_fiat(&a) {
                    let what = if typ == "Credit" {
                        "deposit"
                    } else {
                        "withdrawal"
                    };
                    out.push(Entry::skip(line, format!("fiat {what}: not a tax event")));
                    continue;
                }
                let hash = c_hash.map_or("", |i| row.get(i));
                let mut d = if q.is_sign_positive() {
                    Draft::new(id, time, Kind::Deposit).received(q, &a)
                } else {
                    Draft::new(id, time, Kind::Withdrawal).sent(q, &a)
                };
                if let Some((fq, fa)) = fee.iter().find(|(_, fa)| *fa == a) {
                    d = d.fee(*fq, fa);
                }
                rec(&mut out, d.txid(hash).note(spec));
            }
            other => out.push(Entry::skip(
                line,
                format!("unknown Gemini type {other:?}: not imported, enter it by hand"),
            )),
        }
    }
    hand_over(&mut out, cx, emit);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dynamic_headers() {
        assert_eq!(amount_col("BTC Amount BTC").as_deref(), Some("BTC"));
        assert_eq!(amount_col("USD Amount USD").as_deref(), Some("USD"));
        assert_eq!(fee_col("Fee (USD) USD").as_deref(), Some("USD"));
        assert_eq!(fee_col("Trading Fee (BTC) BTC").as_deref(), Some("BTC"));
        assert_eq!(fee_col("Fee ZEC").as_deref(), Some("ZEC"));
        assert_eq!(amount_col("Trading Fee Rate (bps)"), None);
        assert_eq!(balance_col("BTC Balance BTC").as_deref(), Some("BTC"));
        assert_eq!(balance_col("BTC Amount BTC"), None);
        assert_eq!(parse_date("8/8/08"), NaiveDate::from_ymd_opt(2008, 8, 8));
    }

    /// An export joined with one overlapping it: a row without a trade id
    /// repeated whole with the balance of the asset it moves is one row (a
    /// duplicate); without that balance, identical rows are each counted.
    #[test]
    fn a_row_repeated_with_its_balance_is_one_row() {
        let head = "Date,Time (UTC),Type,Symbol,Specification,USD Amount USD,USD Balance USD,\
BTC Amount BTC,BTC Balance BTC,Trade ID,Tx Hash\n";
        let row = "8/12/21,06:27:56.144,Credit,BTC,Deposit (BTC),,,0.4 BTC ,0.4 BTC ,,\n";
        let joined = crate::import::import_whole(&format!("{head}{row}{row}")).unwrap();
        assert_eq!((joined.records.len(), joined.stats.duplicates), (1, 1));
        let bare = row.replace("0.4 BTC ,,", ",,");
        let joined = crate::import::import_whole(&format!("{head}{bare}{bare}")).unwrap();
        assert_eq!((joined.records.len(), joined.stats.duplicates), (2, 0));
    }
}
