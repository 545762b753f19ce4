//! Trezor Suite's transaction export (an account's "Export" as CSV):
//! `Timestamp,Date,Time,Type,Transaction ID,Fee,Fee unit,Address,Label,Amount,
//! Amount unit,Fiat (USD),Other`, the fiat column named after the Suite's
//! currency (`Fiat (EUR)`). One file per account, which it does not name: the
//! rows get the account `trezor` (`--account` or `[import.accounts]` renames
//! it). One row per output of a transaction (and per token or internal
//! transfer, and per Cardano staking action), adjacent, with the fee on the
//! first row of the transaction only; a received transaction has none.
//! `Timestamp` is the block time in Unix seconds; `Date` and `Time` are the
//! same instant in the computer's language and zone, and are not read.
//! `Fiat` is the amount's value at the hour's rate, formatted in the
//! computer's language with two decimals (`30,000.00`, `30.000,00`).
//!
//! Fee convention: `Amount` is what the output carries, without the fee, and
//! `Fee` is paid on top (the ledger's convention). `RECV` rows become
//! deposits (the `Address` is the user's own), `SENT` rows withdrawals (to the
//! `Address`; a token's row carries its fee in the network's coin), a `SENT`
//! row of no amount that carries the fee (an approval or another contract
//! call) a `fee` row. `SELF` (to the account's own address), `FAILED` (an
//! Ethereum-like transaction that reverted: its gas was still paid) and
//! `CONTRACT` (a contract creation) transactions moved nothing out but their
//! fee, booked as a `fee` row. A `SENT` transaction whose rows carry two or more
//! assets is a swap through a contract: the export does not say which way
//! each asset went, so only its fee is booked and its other rows are skipped
//! (enter the swap by hand). Coinjoins (`JOINT`) and Cardano staking rows
//! are skipped with their reason.
//!
//! Before Suite 25.9 the export separated cells with semicolons; such a file
//! is recognised and refused with what to do.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::num;
use super::sheet::stream_rows;
use super::value::share;
use super::{Cx, Draft, Entry, ImportError, RowStream, Sheet, SheetRow, is_fiat};
use crate::model::Kind;

pub(crate) fn matches(h: &[String]) -> bool {
    let has = |n: &str| h.iter().any(|c| c == n);
    has("Timestamp")
        && has("Type")
        && has("Transaction ID")
        && has("Fee unit")
        && has("Amount unit")
        || semicolons(h)
}

/// The header of an export written with semicolons, read as one cell.
fn semicolons(h: &[String]) -> bool {
    h.len() == 1 && h[0].starts_with("Timestamp;Date;Time;Type;Transaction ID;")
}

struct Cols {
    timestamp: usize,
    kind: usize,
    txid: usize,
    fee: usize,
    fee_unit: usize,
    address: Option<usize>,
    label: Option<usize>,
    amount: usize,
    unit: usize,
    /// The fiat column and its currency.
    fiat: Option<(usize, String)>,
    other: Option<usize>,
}

/// Cardano staking rows name the action in `Address`.
const STAKING: [&str; 4] = ["Stake", "Unstake", "Claim rewards", "Change delegate"];

/// Reads the export row by row, one transaction's rows at a time.
pub(crate) fn parse_stream(
    sheet: &Sheet,
    stream: &mut RowStream,
    cx: &mut Cx,
    emit: &mut dyn FnMut(&mut Cx, Entry),
) -> Result<(), ImportError> {
    if semicolons(&sheet.header) {
        cx.problem(
            sheet.header_line,
            None,
            None,
            "this Trezor Suite export separates its cells with semicolons (Suite before 25.9); \
             export the account again from a current Trezor Suite, which writes commas",
        );
        // Only read on: a CSV error further down is still the one to report.
        return stream_rows(sheet, stream, cx, emit, |_, _, _| {});
    }
    let fiat = sheet.header.iter().enumerate().find_map(|(i, h)| {
        let ccy = h.strip_prefix("Fiat (")?.strip_suffix(')')?;
        Some((i, ccy.trim().to_ascii_uppercase()))
    });
    let c = Cols {
        timestamp: sheet.need(cx, &["Timestamp"]),
        kind: sheet.need(cx, &["Type"]),
        txid: sheet.need(cx, &["Transaction ID"]),
        fee: sheet.need(cx, &["Fee"]),
        fee_unit: sheet.need(cx, &["Fee unit"]),
        address: sheet.col(&["Address"]),
        label: sheet.col(&["Label"]),
        amount: sheet.need(cx, &["Amount"]),
        unit: sheet.need(cx, &["Amount unit"]),
        fiat,
        other: sheet.col(&["Other"]),
    };
    // The rows of the transaction being read (they are adjacent).
    let mut group: Vec<Line> = Vec::new();
    stream_rows(sheet, stream, cx, emit, |row, cx, out| {
        let Some(row) = row else {
            transaction(&group, cx, out);
            return;
        };
        if !sheet.data_row(cx, row, c.kind, out) {
            return;
        }
        let txid = row.get(c.txid);
        if group
            .first()
            .is_some_and(|g| g.txid.is_empty() || g.txid != txid)
        {
            transaction(&group, cx, out);
            group.clear();
        }
        // A bad row is reported (and the file fails): it stays out.
        if let Some(l) = read_line(&c, row, cx) {
            group.push(l);
        }
    })
}

/// One row, read.
struct Line {
    line: u64,
    /// None when `Timestamp` is empty (no block yet).
    time: Option<DateTime<Utc>>,
    kind: String,
    txid: String,
    fee: Decimal,
    fee_unit: String,
    address: String,
    label: String,
    amount: Qty,
    unit: String,
    /// `Fiat` in USD (at the currency's `--prices` rate when it is another).
    usd: Option<Decimal>,
    /// The `Other` cell (an OP_RETURN's data).
    other: String,
    /// Cells for an id when the row has no transaction id.
    cells: Vec<String>,
}

enum Qty {
    /// No amount (a data output, a staking label's row).
    None,
    /// An NFT (`ID 1234`).
    Nft,
    Some(Decimal),
}

fn read_line(c: &Cols, row: &SheetRow, cx: &mut Cx) -> Option<Line> {
    let line = row.line;
    let before = cx.problem_count();
    let ts = row.get(c.timestamp);
    let time = if ts.is_empty() {
        None
    } else {
        let t = ts
            .parse::<i64>()
            .ok()
            .and_then(|s| DateTime::from_timestamp(s, 0));
        if t.is_none() {
            cx.bad_cell(
                line,
                "Timestamp",
                ts,
                "is not a Unix time in seconds (like 1717243200)",
            );
        }
        t
    };
    let fee = cx.number(row, c.fee, "Fee").map(|f| f.abs());
    let amount_cell = row.get(c.amount);
    let amount = if amount_cell.starts_with("ID ") {
        Qty::Nft
    } else {
        match cx.number(row, c.amount, "Amount") {
            Some(q) => Qty::Some(q.abs()),
            None => Qty::None,
        }
    };
    let unit = row.get(c.unit).to_ascii_uppercase();
    if matches!(amount, Qty::Some(q) if !q.is_zero()) && unit.is_empty() {
        cx.problem(
            line,
            Some("Amount unit"),
            None,
            "is empty: fill in the asset's symbol",
        );
    }
    let fee_unit = row.get(c.fee_unit).to_ascii_uppercase();
    if fee.is_some_and(|f| !f.is_zero()) && fee_unit.is_empty() {
        cx.problem(
            line,
            Some("Fee unit"),
            None,
            "is empty: fill in the fee's symbol",
        );
    }
    let fiat = c.fiat.as_ref().and_then(|(i, ccy)| {
        let cell = row.get(*i);
        match fiat_cell(cell) {
            Ok(v) => v.map(|v| (v, ccy.as_str())),
            Err(()) => {
                cx.bad_cell(
                    line,
                    &format!("Fiat ({ccy})"),
                    cell,
                    "is not an amount with two decimals (like 1,234.56 or 1.234,56)",
                );
                None
            }
        }
    });
    if cx.problem_count() != before {
        return None;
    }
    let usd = match (fiat, time) {
        (Some((v, "USD")), _) => Some(v),
        (Some((v, ccy)), Some(t)) if is_fiat(ccy) => cx.fiat_to_usd(line, t, v, ccy),
        _ => None,
    };
    Some(Line {
        line,
        time,
        kind: row.get(c.kind).to_ascii_uppercase(),
        txid: row.get(c.txid).to_string(),
        fee: fee.unwrap_or_default(),
        fee_unit,
        address: c.address.map_or("", |i| row.get(i)).to_string(),
        label: c.label.map_or("", |i| row.get(i)).to_string(),
        amount,
        unit,
        usd,
        other: c.other.map_or(String::new(), |i| row.get(i).to_string()),
        cells: row.cells.clone(),
    })
}

/// A fiat cell as Trezor Suite localizes it: always two decimals, so the
/// third character from the end is the decimal mark and the others before it
/// group thousands (`,` `.` `'` or a space). Another text is read as a plain
/// number. `Ok(None)` for an empty cell.
fn fiat_cell(cell: &str) -> Result<Option<Decimal>, ()> {
    let s = cell.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    if n >= 4
        && matches!(chars[n - 3], '.' | ',')
        && chars[n - 2..].iter().all(char::is_ascii_digit)
    {
        let (negative, int) = match chars[..n - 3].split_first() {
            Some(('-', rest)) => (true, rest),
            _ => (false, &chars[..n - 3]),
        };
        let grouping = |c: &char| matches!(c, ',' | '.' | '\'' | '’' | ' ' | '\u{a0}' | '\u{202f}');
        if int.is_empty() || !int.iter().all(|c| c.is_ascii_digit() || grouping(c)) {
            return Err(());
        }
        let digits: String = int.iter().filter(|c| c.is_ascii_digit()).collect();
        let frac: String = chars[n - 2..].iter().collect();
        let v: Decimal = format!("{digits}.{frac}").parse().map_err(|_| ())?;
        return Ok(Some(if negative { -v } else { v }));
    }
    num::parse_number(s).map_err(|_| ())
}

/// The ledger rows of one transaction's rows.
fn transaction(rows: &[Line], cx: &mut Cx, out: &mut Vec<Entry>) {
    let Some(first) = rows.first() else {
        return;
    };
    // Assets the rows move: two or more in a send is a swap.
    let mut assets: Vec<&str> = rows
        .iter()
        .filter(|r| matches!(r.amount, Qty::Some(q) if !q.is_zero()))
        .map(|r| r.unit.as_str())
        .collect();
    assets.sort_unstable();
    assets.dedup();
    let swap = first.kind == "SENT" && assets.len() > 1;
    for r in rows {
        let Some(time) = r.time else {
            out.push(Entry::skip(
                r.line,
                "no Timestamp: the transaction was not in a block when exported",
            ));
            continue;
        };
        let id = cx.wallet_id(
            &r.txid,
            || format!("{}-{}", r.txid, r.kind.to_ascii_lowercase()),
            &[&r.address, &r.unit],
            &r.cells,
        );
        let account = cx.account.clone();
        let rec = |d: Draft| Entry::Rec {
            rows: vec![r.line],
            rec: d.txid(&r.txid).finish(&account),
        };
        // The export's value of the row's amount prices a fee in its asset.
        let export_fee_usd = match (r.amount.qty(), r.usd) {
            (Some(q), Some(v)) if r.unit == r.fee_unit => share(v, r.fee, q),
            _ => None,
        };
        // A row that moves nothing booked here but carries the
        // transaction's fee: the fee is booked, as a `fee` row (`note`);
        // without a fee the row is skipped (`why`).
        let fee_or_skip = |cx: &mut Cx, note: &str, why: &str| {
            if r.fee.is_zero() {
                return Entry::skip(r.line, why.to_string());
            }
            let fee_usd = export_fee_usd.or_else(|| cx.usd_of(r.line, r.fee, &r.fee_unit, time));
            rec(Draft::new(id.clone(), time, Kind::Fee)
                .fee(r.fee, &r.fee_unit)
                .fee_usd(fee_usd)
                .note(note))
        };
        let note = |direction: &str| {
            let mut parts = Vec::new();
            if !r.label.is_empty() {
                parts.push(r.label.clone());
            }
            if !r.address.is_empty() {
                parts.push(format!("{direction} {}", r.address));
            }
            parts.join("; ")
        };
        if STAKING.contains(&r.address.as_str()) {
            let e = fee_or_skip(
                cx,
                &format!("network fee of a Cardano staking action ({})", r.address),
                &format!(
                    "Cardano staking row ({}): a stake deposit stays yours; enter a claimed \
                     reward by hand",
                    r.address
                ),
            );
            out.push(e);
            continue;
        }
        let e = match (r.kind.as_str(), &r.amount) {
            ("RECV" | "SENT", Qty::Nft) => fee_or_skip(
                cx,
                "network fee of an NFT transfer (the NFT is not imported)",
                "NFT transfer: not imported, enter it by hand",
            ),
            ("RECV", Qty::Some(q)) if !q.is_zero() => {
                rec(Draft::new(id.clone(), time, Kind::Deposit)
                    .received(*q, &r.unit)
                    .usd(r.usd)
                    .note(note("address")))
            }
            ("RECV", _) => Entry::skip(r.line, data_output(r)),
            ("SENT", _) if swap => fee_or_skip(
                cx,
                "network fee of a swap through a contract (its legs: enter them by hand)",
                "a send moving several assets (a swap through a contract): the export does not \
                 say which way each went; enter it by hand",
            ),
            ("SENT", Qty::Some(q)) if !q.is_zero() => {
                let mut d = Draft::new(id.clone(), time, Kind::Withdrawal)
                    .sent(*q, &r.unit)
                    .usd(r.usd)
                    .note(note("to"));
                if !r.fee.is_zero() {
                    d = d.fee(r.fee, &r.fee_unit).fee_usd(export_fee_usd);
                }
                rec(d)
            }
            ("SENT", _) if r.other.is_empty() => fee_or_skip(
                cx,
                "network fee of a contract call (an approval or a call that moved nothing)",
                "no amount: nothing moved",
            ),
            ("SENT", _) => fee_or_skip(
                cx,
                "network fee (its data output carries no value)",
                "data output (OP_RETURN): no value",
            ),
            ("SELF", _) => fee_or_skip(
                cx,
                "network fee of a send to this account's own address",
                "sent to this account's own address: nothing left it",
            ),
            ("FAILED", _) => fee_or_skip(
                cx,
                "network fee of a failed transaction",
                "failed transaction: nothing moved",
            ),
            ("CONTRACT", _) => fee_or_skip(
                cx,
                "network fee of a contract creation",
                "contract creation without a fee: nothing moved",
            ),
            ("JOINT", _) => Entry::skip(
                r.line,
                "coinjoin (JOINT): the export does not give this account's share; enter it by \
                 hand",
            ),
            (other, _) => Entry::skip(
                r.line,
                format!("unknown Trezor Suite type {other:?}: not imported, enter it by hand"),
            ),
        };
        out.push(e);
    }
}

/// Why a row without an amount is not booked.
fn data_output(r: &Line) -> String {
    if r.other.is_empty() {
        "no amount: nothing moved".into()
    } else {
        "data output (OP_RETURN): no value".into()
    }
}

impl Qty {
    fn qty(&self) -> Option<Decimal> {
        match self {
            Qty::Some(q) if !q.is_zero() => Some(*q),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fiat_cells_in_any_language() {
        let v = |s: &str| fiat_cell(s).unwrap().map(|d| d.to_string());
        assert_eq!(v("30,000.00").as_deref(), Some("30000.00"));
        assert_eq!(v("30.000,00").as_deref(), Some("30000.00"));
        assert_eq!(v("1\u{202f}234,56").as_deref(), Some("1234.56"));
        assert_eq!(v("1'234.56").as_deref(), Some("1234.56"));
        assert_eq!(v("0.00").as_deref(), Some("0.00"));
        assert_eq!(v("0").as_deref(), Some("0"));
        assert_eq!(v(""), None);
        assert!(fiat_cell("12a,34").is_err());
        assert!(fiat_cell("abc").is_err());
    }
}
