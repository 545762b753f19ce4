//! rp2 / DaLI manual-plugin files (three layouts, told apart by their header):
//! in `Unique ID,Timestamp,Asset,Exchange,Holder,Transaction Type,Spot Price,Crypto In,Crypto Fee,USD In No Fee,USD In With Fee,USD Fee,Notes`,
//! out `…,Transaction Type,Spot Price,Crypto Out No Fee,Crypto Fee,Crypto Out With Fee,Fiat Out No Fee,Fiat Fee,Notes`,
//! intra `Unique ID,Timestamp,Asset,From Exchange,From Holder,To Exchange,To Holder,Spot Price,Crypto Sent,Crypto Received,Notes`.
//! Timestamps carry their offset (`2022-01-25 02:58:40-0800`).
//!
//! Fee convention: `Crypto In` / `Crypto Out No Fee` exclude the fee, which is
//! paid on top (`Crypto Fee` in the asset, or `USD Fee`/`Fiat Fee`), the
//! ledger's convention. In: `BUY` → buy (USD sent = `USD In No Fee`, else
//! `Crypto In` × `Spot Price`); `AIRDROP`, `HARDFORK`, `INCOME`, `INTEREST`,
//! `MINING`, `STAKING`, `WAGES` → income; `DONATE`, `GIFT` → deposit (noted).
//! Out: `SELL` → sell (USD received = `Fiat Out No Fee`, else quantity × spot);
//! `FEE` → fee; `DONATE`, `GIFT` → withdrawal (noted: not a sale). Intra: a
//! move between own wallets → withdrawal of `Crypto Sent` with the difference
//! to `Crypto Received` as fee, and a deposit of `Crypto Received` (same txid
//! `dali-<Unique ID>`, so they pair); a partial row (one side) whose Unique ID
//! also has a complete row is that row's duplicate and is skipped. The fee of
//! an intra row is valued at its `Spot Price` (`fee_usd`). A `Spot Price` of
//! `__unknown` leaves the value to `--prices`: to `import --prices`, or else to
//! the engine (the row is written without one; a BUY or SELL then has no USD
//! side).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::sheet::{DataRows, hand_over};
use super::{Cx, Draft, Entry, ImportError, RowStream, Sheet, SheetRow, TradeIn, mul};
use crate::model::Kind;

pub(crate) fn matches(h: &[String]) -> bool {
    let has = |n: &str| h.iter().any(|c| c == n);
    has("Unique ID")
        && has("Timestamp")
        && has("Asset")
        && (has("Crypto In") || has("Crypto Out No Fee") || has("Crypto Sent"))
}

fn time(cx: &mut Cx, row: &SheetRow, col: usize) -> Option<DateTime<Utc>> {
    let cell = row.get(col).trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(cell) {
        return Some(t.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%d %H:%M:%S%z",
        "%Y-%m-%d %H:%M:%S %z",
        "%Y-%m-%dT%H:%M:%S%z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(cell, f) {
            return Some(t.with_timezone(&Utc));
        }
    }
    cx.problem(
        row.line,
        Some("Timestamp"),
        Some(cell),
        "is not a time with an offset like 2022-01-25 02:58:40-0800",
    );
    None
}

const INCOME: [&str; 7] = [
    "AIRDROP", "HARDFORK", "INCOME", "INTEREST", "MINING", "STAKING", "WAGES",
];

/// Whether the file is read twice: an intra file's partial rows give way to
/// a complete row of their id, wherever it is.
pub(crate) fn two_readings(sheet: &Sheet) -> bool {
    sheet.col(&["Crypto Sent"]).is_some()
}

/// The file's entries, read a row at a time; an intra file (see
/// [`two_readings`]) is read twice, the first time for the Unique IDs of
/// its complete rows (`again` is then that second reading).
pub(crate) fn parse_stream<'t>(
    sheet: &Sheet,
    stream: &mut RowStream<'t>,
    again: Option<&mut RowStream<'t>>,
    cx: &mut Cx,
    emit: &mut dyn FnMut(&mut Cx, Entry),
) -> Result<(), ImportError> {
    let c_id = sheet.need(cx, &["Unique ID"]);
    let c_time = sheet.need(cx, &["Timestamp"]);
    let c_asset = sheet.need(cx, &["Asset"]);
    let c_spot = sheet.col(&["Spot Price"]);
    let c_notes = sheet.col(&["Notes"]);
    if cx.failed() {
        return DataRows::new(sheet, stream).skip_all();
    }
    let intra = two_readings(sheet);
    let incoming = sheet.col(&["Crypto In"]).is_some();
    // Unique IDs that have a complete intra row (both sides).
    let mut complete: HashMap<String, u64> = HashMap::new();
    let stream = match again {
        Some(again) if intra => {
            let (s, r) = (
                sheet.col(&["Crypto Sent"]).unwrap_or(usize::MAX),
                sheet.col(&["Crypto Received"]).unwrap_or(usize::MAX),
            );
            let mut rows = DataRows::new(sheet, stream);
            while let Some(row) = rows.next()? {
                let id = row.get(c_id);
                if !id.is_empty() && !row.get(s).is_empty() && !row.get(r).is_empty() {
                    complete.entry(id.to_string()).or_insert(row.line);
                }
            }
            again
        }
        _ => stream,
    };
    let account = cx.account.clone();
    let mut out = Vec::new();
    let mut rows = DataRows::new(sheet, stream);
    while let Some(row) = rows.next()? {
        // The entries of the row before: each row's are handed over before
        // the next is read.
        hand_over(&mut out, cx, emit);
        if row.is_blank() || row.get(c_time).is_empty() {
            out.push(Entry::skip(row.line, "blank or footer row"));
            continue;
        }
        if !sheet.check_width(cx, row, 0) {
            continue;
        }
        let line = row.line;
        let before = cx.problem_count();
        let t = time(cx, row, c_time);
        let Some(asset) = cx.required_asset(row, c_asset, "Asset") else {
            continue;
        };
        let asset = asset.to_ascii_uppercase();
        let spot = match c_spot.map(|i| row.get(i)) {
            Some(s) if s.starts_with("__") => None,
            Some(_) => c_spot.and_then(|i| cx.number(row, i, "Spot Price")),
            None => None,
        };
        let num = |cx: &mut Cx, names: &[&str]| -> Option<Decimal> {
            let i = sheet.col(names)?;
            cx.number(row, i, names[0]).map(|d| d.abs())
        };
        let notes = c_notes.map_or("", |i| row.get(i)).to_string();
        let uid = row.get(c_id).to_string();
        let cells: Vec<&str> = row.cells.iter().map(String::as_str).collect();
        let id = if uid.is_empty() || intra {
            cx.content_id(&cells)
        } else {
            cx.exchange_id(&uid)
        };
        if intra {
            let sent = num(cx, &["Crypto Sent"]).filter(|q| !q.is_zero());
            let received = num(cx, &["Crypto Received"]).filter(|q| !q.is_zero());
            let Some(t) = t else { continue };
            if cx.problem_count() != before {
                continue;
            }
            let txid = if uid.is_empty() {
                String::new()
            } else {
                format!("dali-{uid}")
            };
            let partial = sent.is_none() || received.is_none();
            if let Some(l) = complete.get(&uid).filter(|l| partial && **l != line) {
                out.push(Entry::skip(
                    line,
                    format!("partial side of an intra transfer given in full on line {l}"),
                ));
                continue;
            }
            let from = join(row, sheet, &["From Exchange", "From Holder"]);
            let to = join(row, sheet, &["To Exchange", "To Holder"]);
            match (sent, received) {
                (Some(s), r) => {
                    let mut d = Draft::new(id.clone(), t, Kind::Withdrawal)
                        .sent(r.unwrap_or(s).min(s), &asset)
                        .txid(&txid)
                        .note(note(&notes, &format!("from {from} to {to}")));
                    if let Some(r) = r.filter(|r| *r < s) {
                        // The network fee is valued at the row's own spot
                        // price (rp2: "value of 1 unit ... at the time the
                        // transaction occurred"); `__unknown` leaves it to
                        // --prices.
                        d = d.fee(s - r, &asset).fee_usd(spot.map(|p| mul(s - r, p)));
                    }
                    out.push(Entry::Rec {
                        rows: vec![line],
                        rec: d.finish(&account),
                    });
                    if let Some(r) = r {
                        let d = Draft::new(format!("{id}-in"), t, Kind::Deposit)
                            .received(r, &asset)
                            .txid(&txid)
                            .note(note(&notes, &format!("from {from} to {to}")));
                        out.push(Entry::Extra {
                            row: line,
                            rec: d.finish(&account),
                        });
                    }
                }
                (None, Some(r)) => out.push(Entry::Rec {
                    rows: vec![line],
                    rec: Draft::new(id, t, Kind::Deposit)
                        .received(r, &asset)
                        .txid(&txid)
                        .note(note(&notes, &format!("from {from} to {to}")))
                        .finish(&account),
                }),
                (None, None) => out.push(Entry::skip(line, "intra row with no amounts")),
            }
            continue;
        }
        let ty = sheet
            .col(&["Transaction Type"])
            .map_or("", |i| row.get(i))
            .to_ascii_uppercase();
        let (qty, crypto_fee, usd, usd_fee) = if incoming {
            (
                num(cx, &["Crypto In"]),
                num(cx, &["Crypto Fee"]),
                num(cx, &["USD In No Fee"]),
                num(cx, &["USD Fee"]),
            )
        } else {
            (
                num(cx, &["Crypto Out No Fee"]),
                num(cx, &["Crypto Fee"]),
                num(cx, &["Fiat Out No Fee"]),
                num(cx, &["Fiat Fee"]),
            )
        };
        let Some(t) = t else { continue };
        if cx.problem_count() != before {
            continue;
        }
        let qty = qty.unwrap_or_default();
        let value = usd
            .or_else(|| spot.map(|p| mul(qty, p)))
            .or_else(|| cx.unit_price(line, &asset, t).map(|p| mul(qty, p)));
        let fee = match (crypto_fee.filter(|f| !f.is_zero()), usd_fee) {
            (Some(f), _) => Some((f, asset.clone())),
            (None, Some(f)) if !f.is_zero() => Some((f, "USD".to_string())),
            _ => None,
        };
        let with_fee = |d: Draft| match &fee {
            Some((q, a)) => d.fee(*q, a),
            None => d,
        };
        match (incoming, ty.as_str()) {
            (_, "BUY") | (false, "SELL") => {
                let Some(v) = value else {
                    // No USD amount, no spot price, no --prices: the crypto
                    // side alone, for the engine to value at run time.
                    let d = if ty == "BUY" {
                        Draft::new(id, t, Kind::Buy).received(qty, &asset)
                    } else {
                        Draft::new(id, t, Kind::Sell).sent(qty, &asset)
                    };
                    out.push(Entry::Rec {
                        rows: vec![line],
                        rec: with_fee(d.note(notes)).finish(&account),
                    });
                    continue;
                };
                let (sent, received) = if ty == "BUY" {
                    ((v, "USD".to_string()), (qty, asset.clone()))
                } else {
                    ((qty, asset.clone()), (v, "USD".to_string()))
                };
                super::trade_record(
                    cx,
                    TradeIn {
                        id,
                        rows: vec![line],
                        time: t,
                        sent,
                        received,
                        fees: fee.clone().into_iter().collect(),
                        usd_hint: None,
                        note: notes,
                    },
                    &mut out,
                );
            }
            (true, k) if INCOME.contains(&k) => {
                out.push(Entry::Rec {
                    rows: vec![line],
                    rec: with_fee(
                        Draft::new(id, t, Kind::Income)
                            .category(super::income_category(k))
                            .received(qty, &asset)
                            .usd(value)
                            .note(note(&notes, &k.to_ascii_lowercase())),
                    )
                    .finish(&account),
                });
            }
            (true, "DONATE" | "GIFT") => out.push(Entry::Rec {
                rows: vec![line],
                rec: with_fee(
                    Draft::new(id, t, Kind::Deposit)
                        .received(qty, &asset)
                        .usd(value)
                        .note(note(
                            &notes,
                            &format!("{} received", ty.to_ascii_lowercase()),
                        )),
                )
                .finish(&account),
            }),
            (false, "DONATE" | "GIFT") => out.push(Entry::Rec {
                rows: vec![line],
                rec: with_fee(
                    Draft::new(id, t, Kind::Withdrawal)
                        .sent(qty, &asset)
                        .usd(value)
                        .note(note(&notes, &format!("{} sent", ty.to_ascii_lowercase()))),
                )
                .finish(&account),
            }),
            (false, "FEE") => {
                let q = qty + crypto_fee.unwrap_or_default();
                out.push(Entry::Rec {
                    rows: vec![line],
                    rec: Draft::new(id, t, Kind::Fee)
                        .fee(q, &asset)
                        .fee_usd(spot.map(|p| mul(q, p)))
                        .note(notes)
                        .finish(&account),
                });
            }
            (_, other) => out.push(Entry::skip(
                line,
                format!("unknown DaLI transaction type {other:?}: not imported, enter it by hand"),
            )),
        }
    }
    hand_over(&mut out, cx, emit);
    Ok(())
}

fn join(row: &SheetRow, sheet: &Sheet, names: &[&str]) -> String {
    let parts: Vec<&str> = names
        .iter()
        .filter_map(|n| sheet.col(&[n]).map(|i| row.get(i)))
        .filter(|s| !s.is_empty())
        .collect();
    if parts.is_empty() {
        "an outside wallet".to_string()
    } else {
        parts.join("/")
    }
}

fn note(notes: &str, what: &str) -> String {
    if notes.is_empty() {
        what.to_string()
    } else {
        format!("{what}; {notes}")
    }
}

#[cfg(test)]
mod tests {
    use crate::import::import_text;

    /// A partial intra row gives way to the complete row of its Unique ID, a
    /// thousand rows after it.
    #[test]
    fn a_partial_row_gives_way_to_a_complete_row_after_it() {
        let mut text = String::from(
            "Unique ID,Timestamp,Asset,From Exchange,From Holder,To Exchange,To Holder,Spot Price,Crypto Sent,Crypto Received,Notes\n\
             a0,2021-06-01 10:00:00 +0000,BTC,X,Carol,,,35000,0.3,,\n",
        );
        for k in 1..1000 {
            text.push_str(&format!(
                "b{k},2021-06-02 10:00:00 +0000,BTC,X,Carol,Y,Carol,35000,0.1,0.1,\n"
            ));
        }
        text.push_str("a0,2021-06-01 10:20:00 +0000,BTC,X,Carol,Y,Carol,35000,0.3,0.2995,\n");
        let recs = import_text(&text).unwrap();
        // Each complete row is a withdrawal and a deposit; the partial row
        // nothing.
        assert_eq!(recs.len(), 2 * 1000);
        assert!(recs.iter().all(|r| r.time != "2021-06-01T10:00:00Z"));
    }
}
