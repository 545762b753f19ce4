//! Binance spot trade history: `Date(UTC),Pair,Side,Price,Executed,Amount,Fee`
//! (2021 on; amounts carry their asset glued on: `43.7000000000VET`) and the
//! older `Date(UTC),Market,Type,Price,Amount,Total,Fee,Fee Coin` (the header may
//! say `Date`; then times are read in `--tz`, and `1/1/2017 11:22` means
//! month/day/year as Excel writes it in the US).
//!
//! Fee convention: the fee is charged in addition to the traded amounts (in the
//! received asset, or in BNB), which is the ledger's convention: a buy receives
//! `Executed` (gross) and sends `Amount`; a sell sends `Executed` and receives
//! `Amount` (gross); the fee goes to the fee columns (`fee_usd` from `--prices`
//! when it is in a third asset such as BNB).

use super::sheet::{DataRows, hand_over};
use super::{
    Cx, Entry, ImportError, RowStream, Sheet, TradeIn, in_zone, num::parse_amount, parse_naive,
};

pub(crate) fn matches(h: &[String]) -> bool {
    let has = |n: &str| h.iter().any(|c| c == n);
    let date = h.first().is_some_and(|c| c.starts_with("Date"));
    date && has("Price")
        && (has("Pair") && has("Side") && has("Executed") && has("Amount") && has("Fee")
            || has("Market") && has("Type") && has("Amount") && has("Total") && has("Fee Coin"))
}

/// Quote assets a concatenated market may end with, longest first.
const QUOTES: [&str; 22] = [
    "FDUSD", "USDT", "BUSD", "USDC", "TUSD", "USDP", "BIDR", "BVND", "IDRT", "DAI", "PAX", "BTC",
    "ETH", "BNB", "EUR", "USD", "GBP", "TRY", "AUD", "BRL", "RUB", "XRP",
];

fn split_market(m: &str) -> Option<(String, String)> {
    let m = m.trim().to_ascii_uppercase();
    if let Some((b, q)) = m.split_once(['/', '-', '_']) {
        return Some((b.to_string(), q.to_string()));
    }
    QUOTES.iter().find_map(|q| {
        let b = m.strip_suffix(q)?;
        (!b.is_empty()).then(|| (b.to_string(), q.to_string()))
    })
}

/// The zone the `Date(UTC+1)` header names, or `None` for a bare `Date`.
pub(crate) fn header_offset(h: &str) -> Option<chrono::FixedOffset> {
    let inner = h.strip_prefix("Date(")?.strip_suffix(')')?;
    let off = inner.strip_prefix("UTC")?;
    if off.is_empty() || off == "null" {
        return chrono::FixedOffset::east_opt(0);
    }
    let (sign, rest) = match off.as_bytes()[0] {
        b'+' => (1, &off[1..]),
        b'-' => (-1, &off[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    let secs = h.parse::<i32>().ok()? * 3600 + m.parse::<i32>().ok()? * 60;
    chrono::FixedOffset::east_opt(sign * secs)
}

/// Reads the data rows one at a time, those already in `sheet` and then the
/// rest of `stream`, giving each row's entries to `emit` as it is read.
pub(crate) fn parse_stream(
    sheet: &Sheet,
    stream: &mut RowStream,
    cx: &mut Cx,
    emit: &mut dyn FnMut(&mut Cx, Entry),
) -> Result<(), ImportError> {
    let legacy = sheet.col(&["Market"]).is_some();
    let c_date = 0;
    let offset = header_offset(&sheet.header[0]);
    let c_pair = sheet.need(cx, &["Pair", "Market"]);
    let c_side = sheet.need(cx, &["Side", "Type"]);
    let (c_base, c_quote) = if legacy {
        (sheet.need(cx, &["Amount"]), sheet.need(cx, &["Total"]))
    } else {
        (sheet.need(cx, &["Executed"]), sheet.need(cx, &["Amount"]))
    };
    let c_fee = sheet.need(cx, &["Fee"]);
    let c_fee_coin = sheet.col(&["Fee Coin"]);
    if cx.failed() {
        return DataRows::new(sheet, stream).skip_all();
    }
    const FMTS: [&str; 5] = [
        "%Y-%m-%d %H:%M:%S%.f",
        "%y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%m/%d/%Y %H:%M:%S",
        "%m/%d/%Y %H:%M",
    ];
    let mut out = Vec::new();
    let mut rows = DataRows::new(sheet, stream);
    while let Some(row) = rows.next()? {
        hand_over(&mut out, cx, emit);
        if !sheet.data_row(cx, row, c_date, &mut out) {
            continue;
        }
        let cell = row.get(c_date);
        let fmts: &[&str] = if cell.find('-') == Some(2) {
            &FMTS[1..2]
        } else {
            &FMTS
        };
        let time = parse_naive(cell, fmts).map(|n| match offset {
            Some(o) => (n - o).and_utc(),
            None => in_zone(n, cx.opts.tz),
        });
        if time.is_none() {
            cx.problem(
                row.line,
                Some(&sheet.header[0]),
                Some(cell),
                "is not a time like 2021-05-09 22:47:36",
            );
        }
        let pair = row.get(c_pair);
        let market = split_market(pair);
        let mut amt = |col: usize, name: &str| match parse_amount(row.get(col)) {
            Ok(Some(a)) => Some(a),
            Ok(None) => {
                cx.problem(row.line, Some(name), None, "is empty");
                None
            }
            Err(p) => {
                cx.problem(row.line, Some(name), Some(row.get(col)), p);
                None
            }
        };
        let base = amt(c_base, "Executed");
        let quote = amt(c_quote, "Amount");
        let fee = amt(c_fee, "Fee");
        let (Some(time), Some(base), Some(quote), Some(fee)) = (time, base, quote, fee) else {
            continue;
        };
        // Glued units name the assets; else the market is split.
        let (Some(b), Some(q)) = (
            base.unit
                .clone()
                .or_else(|| market.as_ref().map(|m| m.0.clone())),
            quote
                .unit
                .clone()
                .or_else(|| market.as_ref().map(|m| m.1.clone())),
        ) else {
            cx.problem(
                row.line,
                Some("Pair"),
                Some(pair),
                "is not a market this importer can split",
            );
            continue;
        };
        let fee_asset = fee
            .unit
            .clone()
            .or_else(|| c_fee_coin.map(|i| row.get(i).to_ascii_uppercase()))
            .filter(|s| !s.is_empty());
        let fees = match fee_asset {
            Some(a) => vec![(fee.value.abs(), a)],
            None if fee.value.is_zero() => Vec::new(),
            None => {
                cx.problem(row.line, Some("Fee"), Some(row.get(c_fee)), "has no asset");
                continue;
            }
        };
        let (sent, received) = match row.get(c_side).to_ascii_uppercase().as_str() {
            "BUY" => ((quote.value.abs(), q), (base.value.abs(), b)),
            "SELL" => ((base.value.abs(), b), (quote.value.abs(), q)),
            other => {
                cx.problem(
                    row.line,
                    Some("Side"),
                    Some(other),
                    "is neither BUY nor SELL",
                );
                continue;
            }
        };
        let cells: Vec<&str> = row.cells.iter().map(String::as_str).collect();
        let id = cx.content_id(&cells);
        super::trade_record(
            cx,
            TradeIn {
                id,
                rows: vec![row.line],
                time,
                sent,
                received,
                fees,
                usd_hint: None,
                note: String::new(),
            },
            &mut out,
        );
    }
    hand_over(&mut out, cx, emit);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markets_and_offsets() {
        assert_eq!(split_market("VETUSDT"), Some(("VET".into(), "USDT".into())));
        assert_eq!(split_market("BTCETH"), Some(("BTC".into(), "ETH".into())));
        assert_eq!(
            header_offset("Date(UTC+1)"),
            chrono::FixedOffset::east_opt(3600)
        );
        assert_eq!(header_offset("Date(UTC)"), chrono::FixedOffset::east_opt(0));
        assert_eq!(header_offset("Date"), None);
    }
}
