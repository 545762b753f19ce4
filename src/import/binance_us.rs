//! Binance.US transaction (tax) history, both header spellings
//! (`Realized_Amount_For_Base_Asset_In_USD_Value` and the newer
//! `Realized Amount For Base Asset In USD`). Times are UTC.
//!
//! Every amount comes with its USD value, which becomes `usd_value` and
//! `fee_usd`. Fee convention: on `Spot Trading` rows the fee (Fee columns) is
//! charged on top of the base and quote amounts, the ledger's convention. On the
//! app's `Buy`, `Sell`, `Quick Buy` and `Convert` categories the Base asset is
//! given up and the Quote asset received, and a fee in the Base asset is
//! included in the Base amount, so it is taken out of `sent` and put on top.
//! A withdrawal's fee is taken as on top of the amount withdrawn. When the quote
//! amount is empty on a USD- or stablecoin-quoted trade (a known export bug), the
//! quote's USD value column gives the amount.

use rust_decimal::Decimal;

use super::sheet::{DataRows, hand_over};
use super::{
    Cx, Draft, Entry, ISO_NAIVE, ImportError, RowStream, Sheet, TradeIn, is_fiat, is_stablecoin,
    parse_time_cell,
};
use crate::model::{Category, Kind};

/// A header cell in one spelling: lower case, `_` as space, "value" dropped.
fn norm(h: &str) -> String {
    let s = h.trim().to_ascii_lowercase().replace('_', " ");
    s.strip_suffix(" value").map(str::to_string).unwrap_or(s)
}

pub(crate) fn matches(h: &[String]) -> bool {
    let n: Vec<String> = h.iter().map(|c| norm(c)).collect();
    let has = |x: &str| n.iter().any(|c| c == x);
    has("category")
        && has("operation")
        && has("primary asset")
        && has("base asset")
        && has("quote asset")
        && has("transaction id")
}

/// Reads the data rows one at a time, those already in `sheet` and then the
/// rest of `stream`, giving each row's entries to `emit` as it is read.
pub(crate) fn parse_stream(
    sheet: &Sheet,
    stream: &mut RowStream,
    cx: &mut Cx,
    emit: &mut dyn FnMut(&mut Cx, Entry),
) -> Result<(), ImportError> {
    let names: Vec<String> = sheet.header.iter().map(|h| norm(h)).collect();
    let col = |cx: &mut Cx, n: &str| -> usize {
        match names.iter().position(|c| c == n) {
            Some(i) => i,
            None => {
                cx.problem(
                    sheet.header_line,
                    Some(n),
                    None,
                    "is missing from the header; the binance-us export needs it",
                );
                usize::MAX
            }
        }
    };
    let c_time = col(cx, "time");
    let c_cat = col(cx, "category");
    let c_op = col(cx, "operation");
    let c_txid = col(cx, "transaction id");
    let c_p = col(cx, "primary asset");
    let c_pq = col(cx, "realized amount for primary asset");
    let c_pu = col(cx, "realized amount for primary asset in usd");
    let c_b = col(cx, "base asset");
    let c_bq = col(cx, "realized amount for base asset");
    let c_bu = col(cx, "realized amount for base asset in usd");
    let c_q = col(cx, "quote asset");
    let c_qq = col(cx, "realized amount for quote asset");
    let c_qu = col(cx, "realized amount for quote asset in usd");
    let c_f = col(cx, "fee asset");
    let c_fq = col(cx, "realized amount for fee asset");
    let c_fu = col(cx, "realized amount for fee asset in usd");
    if cx.failed() {
        return DataRows::new(sheet, stream).skip_all();
    }
    let mut out = Vec::new();
    let mut rows = DataRows::new(sheet, stream);
    while let Some(row) = rows.next()? {
        hand_over(&mut out, cx, emit);
        if !sheet.data_row(cx, row, c_time, &mut out) {
            continue;
        }
        let line = row.line;
        let time = parse_time_cell(cx, row, c_time, "Time", &ISO_NAIVE, chrono_tz::Tz::UTC);
        let mut n = |c: usize, name: &str| cx.number(row, c, name);
        let (pq, pu, bq, bu, qq, qu, fq, fu) = (
            n(c_pq, "Realized Amount For Primary Asset"),
            n(c_pu, "Realized Amount For Primary Asset In USD"),
            n(c_bq, "Realized Amount For Base Asset"),
            n(c_bu, "Realized Amount For Base Asset In USD"),
            n(c_qq, "Realized Amount For Quote Asset"),
            n(c_qu, "Realized Amount For Quote Asset In USD"),
            n(c_fq, "Realized Amount For Fee Asset"),
            n(c_fu, "Realized Amount For Fee Asset In USD"),
        );
        let Some(time) = time else { continue };
        let asset = |c: usize| row.get(c).to_ascii_uppercase();
        let (p, b, q, f) = (asset(c_p), asset(c_b), asset(c_q), asset(c_f));
        let txid = row.get(c_txid);
        let id = if txid.is_empty() {
            let cells: Vec<&str> = row.cells.iter().map(String::as_str).collect();
            cx.content_id(&cells)
        } else {
            cx.exchange_id(txid)
        };
        let cat = row.get(c_cat).to_string();
        let op = row.get(c_op).to_string();
        let account = cx.account.clone();
        let note = format!("{cat}: {op}");
        let fee = fq
            .filter(|q| !q.is_zero() && !f.is_empty())
            .map(|q| (q.abs(), f.clone()));
        let rec = |out: &mut Vec<Entry>, d: Draft| {
            out.push(Entry::Rec {
                rows: vec![line],
                rec: d.finish(&account),
            })
        };
        match cat.as_str() {
            "Deposit" | "Withdrawal" => {
                let Some(qty) = pq.filter(|q| !q.is_zero()) else {
                    out.push(Entry::skip(line, "zero amount: nothing moved"));
                    continue;
                };
                if is_fiat(&p) {
                    out.push(Entry::skip(
                        line,
                        format!("fiat {}: not a tax event", cat.to_ascii_lowercase()),
                    ));
                    continue;
                }
                let mut d = if cat == "Deposit" {
                    Draft::new(id, time, Kind::Deposit).received(qty, &p)
                } else {
                    Draft::new(id, time, Kind::Withdrawal).sent(qty, &p)
                };
                if let Some((fq, fa)) = &fee {
                    d = d.fee(*fq, fa).fee_usd(fu);
                }
                rec(&mut out, d.note(note));
            }
            "Distribution" => {
                let Some(qty) = pq.filter(|q| !q.is_zero()) else {
                    out.push(Entry::skip(line, "zero amount: nothing moved"));
                    continue;
                };
                if is_fiat(&p) {
                    out.push(Entry::skip(line, "distribution in cash: not a crypto lot"));
                    continue;
                }
                if qty.is_sign_negative() {
                    rec(
                        &mut out,
                        Draft::new(id, time, Kind::Fee)
                            .fee(qty, &p)
                            .fee_usd(pu)
                            .note(format!("{note} (service fee)")),
                    );
                    continue;
                }
                let v = match pu {
                    Some(v) => Some(v),
                    None => cx.value_legs(line, time, Some((qty, &p)), None),
                };
                // The operation says what the distribution is: "Staking
                // Rewards", "Referral Commission", "Others" (an airdrop).
                let o = op.to_ascii_lowercase();
                let category = if o.contains("staking") {
                    Category::Staking
                } else if o.contains("interest") {
                    Category::Interest
                } else if o.contains("airdrop") || o == "others" {
                    Category::Airdrop
                } else {
                    Category::Reward
                };
                rec(
                    &mut out,
                    Draft::new(id, time, Kind::Income)
                        .category(category)
                        .received(qty, &p)
                        .usd(v)
                        .note(note),
                );
            }
            "Spot Trading" | "Buy" | "Sell" | "Quick Buy" | "Quick Sell" | "Convert" => {
                let Some(bq) = bq else {
                    cx.problem(
                        line,
                        Some("Realized Amount For Base Asset"),
                        None,
                        "is empty on a trade",
                    );
                    continue;
                };
                let qq = qq.or_else(|| {
                    if q == "USD" || is_stablecoin(&q) {
                        qu
                    } else {
                        None
                    }
                });
                let Some(qq) = qq else {
                    cx.problem(
                        line,
                        Some("Realized Amount For Quote Asset"),
                        None,
                        "is empty and the quote is not USD-valued 1:1; fill it in",
                    );
                    continue;
                };
                let (mut sent, received, hint) = if cat == "Spot Trading" {
                    match op.as_str() {
                        "Buy" => ((qq.abs(), q.clone()), (bq.abs(), b.clone()), bu),
                        "Sell" => ((bq.abs(), b.clone()), (qq.abs(), q.clone()), qu),
                        other => {
                            cx.problem(
                                line,
                                Some("Operation"),
                                Some(other),
                                "is neither Buy nor Sell",
                            );
                            continue;
                        }
                    }
                } else {
                    ((bq.abs(), b.clone()), (qq.abs(), q.clone()), qu)
                };
                if cat != "Spot Trading"
                    && let Some((fqv, fa)) = &fee
                    && *fa == sent.1
                    && *fqv < sent.0
                {
                    sent.0 -= *fqv;
                }
                let fees: Vec<(Decimal, String)> = fee.clone().into_iter().collect();
                let fee_usd = fu;
                let before = out.len();
                super::trade_record(
                    cx,
                    TradeIn {
                        id,
                        rows: vec![line],
                        time,
                        sent,
                        received,
                        fees,
                        usd_hint: hint,
                        note,
                    },
                    &mut out,
                );
                // The export values the fee; keep its figure.
                if let (Some(Entry::Rec { rec, .. }), Some(fu)) = (out.get_mut(before), fee_usd)
                    && !rec.fee_asset.is_empty()
                    && rec.fee_asset != "USD"
                    && rec.fee_asset != rec.sent_asset
                    && rec.fee_asset != rec.received_asset
                {
                    rec.fee_usd = super::num::fmt_decimal(fu.abs());
                }
            }
            other => out.push(Entry::skip(
                line,
                format!("unknown Binance.US category {other:?}: not imported, enter it by hand"),
            )),
        }
    }
    hand_over(&mut out, cx, emit);
    Ok(())
}
