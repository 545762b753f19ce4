//! Robinhood Crypto's order history (the crypto orders CSV Robinhood sends on
//! request, read by BittyTax): `UUID,Time Entered,Symbol,Side,Quantity,State,
//! Order Type,Leaves Quantity,Entered Price,Average Price,Notional`. One row
//! per order; `Time Entered` is ISO 8601 UTC (a time without a zone is read in
//! `--tz`). Robinhood charges no separate fee (its spread is in the price), so
//! there is no fee column.
//!
//! A `Filled` order becomes a `buy` (sent `Notional` USD, received
//! `Quantity` of `Symbol`) or a `sell` (the reverse); `Notional` is written
//! `$100.00` or `($100.00)` and read as a magnitude; without it the dollars
//! are `Quantity × Average Price`, to the cent, and the note says so. Orders
//! in any other state (`Canceled`, `Rejected`, `Failed`, `Queued`, …) are
//! skipped, except that one with part of its quantity filled (`Leaves
//! Quantity` below `Quantity`) is skipped to enter by hand: the file does not
//! say what the filled part cost. Robinhood's 1099-B CSV (a gains report) and
//! its brokerage account activity report (`Activity Date,…,Trans Code,…`) are
//! not read.

use rust_decimal::Decimal;

use super::sheet::stream_rows;
use super::{
    Cx, Entry, ISO_NAIVE, ImportError, RowStream, Sheet, SheetRow, TradeIn, mul, parse_time_cell,
    trade_record,
};

pub(crate) fn matches(h: &[String]) -> bool {
    let has = |n: &str| h.iter().any(|c| c == n);
    has("UUID") && has("Time Entered") && has("Symbol") && has("Side") && has("State")
}

struct Cols {
    uuid: usize,
    time: usize,
    symbol: usize,
    side: usize,
    qty: usize,
    state: usize,
    leaves: Option<usize>,
    average: Option<usize>,
    notional: Option<usize>,
}

/// Reads the order history row by row (see [`stream_rows`]).
pub(crate) fn parse_stream(
    sheet: &Sheet,
    stream: &mut RowStream,
    cx: &mut Cx,
    emit: &mut dyn FnMut(&mut Cx, Entry),
) -> Result<(), ImportError> {
    let c = Cols {
        uuid: sheet.need(cx, &["UUID"]),
        time: sheet.need(cx, &["Time Entered"]),
        symbol: sheet.need(cx, &["Symbol"]),
        side: sheet.need(cx, &["Side"]),
        qty: sheet.need(cx, &["Quantity"]),
        state: sheet.need(cx, &["State"]),
        leaves: sheet.col(&["Leaves Quantity"]),
        average: sheet.col(&["Average Price"]),
        notional: sheet.col(&["Notional"]),
    };
    stream_rows(sheet, stream, cx, emit, |row, cx, out| {
        if let Some(row) = row
            && sheet.data_row(cx, row, c.time, out)
        {
            one_row(&c, row, cx, out);
        }
    })
}

fn one_row(c: &Cols, row: &SheetRow, cx: &mut Cx, out: &mut Vec<Entry>) {
    let line = row.line;
    let state = row.get(c.state).trim();
    let before = cx.problem_count();
    let qty = cx.number(row, c.qty, "Quantity").map(|q| q.abs());
    let leaves = c
        .leaves
        .and_then(|i| cx.number(row, i, "Leaves Quantity"))
        .map(|q| q.abs());
    if cx.problem_count() != before {
        return;
    }
    if !state.eq_ignore_ascii_case("filled") {
        let partly = matches!((qty, leaves), (Some(q), Some(l)) if l < q);
        out.push(Entry::skip(
            line,
            if partly {
                format!(
                    "Robinhood order {state} with part of it filled: the file does not say what \
                     the filled part cost; enter it by hand from the order's confirmation"
                )
            } else {
                format!("Robinhood order {state}: not filled")
            },
        ));
        return;
    }
    if leaves.is_some_and(|l| !l.is_zero()) {
        out.push(Entry::skip(
            line,
            "Robinhood order marked Filled with quantity left over: enter it by hand from the \
             order's confirmation",
        ));
        return;
    }
    let time = parse_time_cell(cx, row, c.time, "Time Entered", &ISO_NAIVE, cx.opts.tz);
    let notional = c.notional.and_then(|i| cx.number(row, i, "Notional"));
    let average = c.average.and_then(|i| cx.number(row, i, "Average Price"));
    let symbol = cx
        .required_asset(row, c.symbol, "Symbol")
        .map(|s| s.to_ascii_uppercase());
    if cx.problem_count() != before {
        return;
    }
    let (Some(time), Some(symbol)) = (time, symbol) else {
        return;
    };
    let Some(qty) = qty.filter(|q| !q.is_zero()) else {
        cx.problem(
            line,
            Some("Quantity"),
            Some(row.get(c.qty)),
            "is empty or zero: a filled order needs its quantity",
        );
        return;
    };
    let (usd, note) = match (notional, average) {
        (Some(n), _) if !n.is_zero() => (n.abs(), String::new()),
        (_, Some(p)) if !p.is_zero() => (
            mul(qty, p.abs())
                .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero),
            "dollars = Quantity × Average Price (no Notional)".to_string(),
        ),
        _ => {
            cx.problem(
                line,
                Some("Notional"),
                None,
                "and Average Price are empty: a filled order needs its dollar amount",
            );
            return;
        }
    };
    let side = row.get(c.side).trim().to_ascii_lowercase();
    let (sent, received): ((Decimal, String), (Decimal, String)) = match side.as_str() {
        "buy" => ((usd, "USD".into()), (qty, symbol)),
        "sell" => ((qty, symbol), (usd, "USD".into())),
        other => {
            out.push(Entry::skip(
                line,
                format!("unknown Robinhood order side {other:?}: not imported, enter it by hand"),
            ));
            return;
        }
    };
    let uuid = row.get(c.uuid).trim();
    let id = if uuid.is_empty() {
        let cells: Vec<&str> = row.cells.iter().map(String::as_str).collect();
        cx.content_id(&cells)
    } else {
        cx.exchange_id(uuid)
    };
    trade_record(
        cx,
        TradeIn {
            id,
            rows: vec![line],
            time,
            sent,
            received,
            fees: Vec::new(),
            usd_hint: None,
            note,
        },
        out,
    );
}

#[cfg(test)]
mod tests {
    use super::super::import_text as import;

    const HEADER: &str = "UUID,Time Entered,Symbol,Side,Quantity,State,Order Type,Leaves Quantity,Entered Price,Average Price,Notional";

    #[test]
    fn filled_orders_are_buys_and_sells_at_their_notional() {
        let csv = format!(
            "{HEADER}\n\
             u1,2024-01-08T14:30:12Z,BTC,Buy,0.00213,Filled,market,0,46948.36,46948.36,($100.00)\n\
             u2,2024-01-09T14:30:12Z,DOGE,Sell,1000,Filled,market,0,0.08,0.080005,\n\
             u3,2024-01-10T14:30:12Z,ETH,Buy,0.5,Canceled,limit,0.5,3000,,$1500\n"
        );
        let r = import(&csv).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(
            (r[0].kind.as_str(), r[0].sent_qty.as_str(), r[0].id.as_str()),
            ("buy", "100", "robinhood-u1")
        );
        // Quantity × Average Price, to the cent, half away from zero.
        assert_eq!(
            (r[1].kind.as_str(), r[1].received_qty.as_str()),
            ("sell", "80.01")
        );
    }
}
