//! CSV output: the columns of SPEC section 5, exactly, with every text cell
//! protected against formula injection.

use std::io::{self, Write};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{
    GainsView, Lines, LotsView, money, push_iso_date, push_money, push_price, push_qty, qty,
    safe_text,
};
use crate::cell::{csv_needs_quotes, push_csv_cell};

/// The columns of `gains --format csv` and of the rows inside `report`.
pub const GAIN_COLUMNS: [&str; 15] = [
    "disposal_id",
    "lot_id",
    "asset",
    "quantity",
    "account",
    "date_acquired",
    "date_sold",
    "term",
    "box",
    "description",
    "proceeds",
    "cost_basis",
    "adjustment_code",
    "adjustment",
    "gain",
];

fn writer(w: &mut dyn Write) -> csv::Writer<&mut dyn Write> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(w)
}

fn csv_err(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// Writes Form 8949 lines with the SPEC columns (a long list on two threads:
/// see [`super::write_chunked`]).
pub fn gain_lines(w: &mut dyn Write, lines: Lines<'_>) -> io::Result<()> {
    rows_under(w, &GAIN_COLUMNS, lines.len(), |out, chunk| {
        gain_rows(out, lines.slice(chunk))
    })
}

/// Writes `header` through the csv crate, then `n` rows written by hand,
/// chunk by chunk (see [`super::write_chunked`]).
fn rows_under<F: Fn(&mut Vec<u8>, std::ops::Range<usize>) + Sync>(
    w: &mut dyn Write,
    header: &[&str],
    n: usize,
    rows: F,
) -> io::Result<()> {
    let mut c = writer(w);
    c.write_record(header).map_err(csv_err)?;
    c.flush()?;
    drop(c);
    super::write_chunked(w, n, rows)
}

/// Appends the cells every listing of an open lot (`lots`, `scan`'s
/// candidates) starts with.
fn lot_head_cells(out: &mut Vec<u8>, h: super::LotHead<'_>) {
    text_cell(out, h.asset);
    text_cell(out, h.account);
    text_cell(out, h.lot_id);
    date_cell(out, h.date_acquired);
    qty_cell(out, h.quantity);
    money_cell(out, h.cost_basis);
}

/// Appends a lot's price, value, unrealized gain and term.
fn valued_cells(
    out: &mut Vec<u8>,
    price: Decimal,
    value: Decimal,
    unrealized: Decimal,
    term: &str,
) {
    price_cell(out, price);
    money_cell(out, value);
    money_cell(out, unrealized);
    word_cell(out, term);
}

/// Appends a text cell and its comma, protected and quoted as the csv crate
/// quotes (see [`push_csv_cell`]).
fn text_cell(out: &mut Vec<u8>, s: &str) {
    push_csv_cell(out, safe_text(s).as_bytes());
    out.push(b',');
}

// Numbers, dates and our own words never start a formula nor hold a byte that
// needs quotes, so they are written as they are.

/// Appends money and a comma.
fn money_cell(out: &mut Vec<u8>, d: Decimal) {
    let at = out.len();
    push_money(out, d);
    debug_assert!(!csv_needs_quotes(&out[at..]));
    out.push(b',');
}

/// Appends a quantity and a comma.
fn qty_cell(out: &mut Vec<u8>, d: Decimal) {
    push_qty(out, d);
    out.push(b',');
}

/// Appends a unit price and a comma.
fn price_cell(out: &mut Vec<u8>, d: Decimal) {
    push_price(out, d);
    out.push(b',');
}

/// Appends a date and a comma.
fn date_cell(out: &mut Vec<u8>, d: NaiveDate) {
    push_iso_date(out, d);
    out.push(b',');
}

/// Appends one of harvest's own words and a comma.
fn word_cell(out: &mut Vec<u8>, s: &str) {
    debug_assert!(!csv_needs_quotes(s.as_bytes()));
    out.extend_from_slice(s.as_bytes());
    out.push(b',');
}

/// Ends a row: its last cell's comma becomes the newline.
fn end_row(out: &mut [u8]) {
    if let Some(last) = out.last_mut() {
        *last = b'\n';
    }
}

/// Appends the rows of [`gain_lines`], without the header, written by hand as
/// the csv crate writes them (see [`push_csv_cell`]): through its writer, a
/// field cost about a hundred instructions, and a row of a large year
/// fifteen of them. A year of a million rows allocates nothing per row.
fn gain_rows(out: &mut Vec<u8>, lines: Lines<'_>) {
    // The description: the quantity, a space and the asset.
    let mut q: Vec<u8> = Vec::new();
    for l in lines {
        q.clear();
        push_qty(&mut q, l.quantity);
        text_cell(out, l.disposal_id);
        text_cell(out, l.lot_id);
        text_cell(out, l.asset);
        out.extend_from_slice(&q);
        out.push(b',');
        text_cell(out, l.account);
        date_cell(out, l.date_acquired);
        date_cell(out, l.date_sold);
        word_cell(out, l.term.as_str());
        word_cell(out, l.box_);
        q.push(b' ');
        q.extend_from_slice(l.asset.as_bytes());
        // Digits, a point, a space and a str: always UTF-8.
        text_cell(out, &String::from_utf8_lossy(&q));
        money_cell(out, l.proceeds);
        money_cell(out, l.cost_basis);
        text_cell(out, &l.adjustment_code);
        l.push_adjustment(out);
        out.push(b',');
        push_money(out, l.gain);
        out.push(b'\n');
    }
}

/// `harvest gains --format csv`.
pub fn gains(w: &mut dyn Write, v: &GainsView<'_>) -> io::Result<()> {
    gain_lines(w, v.lines)
}

/// `harvest lots --format csv`: one row per open lot, written by hand as
/// [`gain_rows`] are (a decade of trades holds hundreds of thousands of lots).
pub fn lots(w: &mut dyn Write, v: &LotsView<'_>) -> io::Result<()> {
    let mut header = vec![
        "asset",
        "account",
        "lot_id",
        "date_acquired",
        "quantity",
        "cost_basis",
        "unit_basis",
    ];
    if v.priced {
        header.extend(["price", "value", "unrealized", "term"]);
    }
    rows_under(w, &header, v.lines.len(), |out, chunk| {
        for l in super::fetching_ids(&v.lines, chunk) {
            lot_head_cells(out, l.head());
            price_cell(out, l.unit_basis);
            if v.priced {
                match &l.valued {
                    Some(p) => valued_cells(out, p.price, p.value, p.unrealized, p.term.as_str()),
                    None => out.extend_from_slice(b",,,,"),
                }
            }
            end_row(out);
        }
    })
}

/// `harvest scan --format csv`: one row per candidate lot, written by hand as
/// [`gain_rows`] are.
pub fn scan(w: &mut dyn Write, v: &super::ScanView<'_>) -> io::Result<()> {
    let header = [
        "asset",
        "account",
        "lot_id",
        "date_acquired",
        "quantity",
        "cost_basis",
        "price",
        "value",
        "unrealized",
        "term",
        "wash_risk",
        "recommended",
    ];
    rows_under(w, &header, v.lines.len(), |out, chunk| {
        for l in super::fetching_ids(&v.lines, chunk) {
            lot_head_cells(out, l.head());
            valued_cells(out, l.price, l.value, l.unrealized, l.term.as_str());
            word_cell(out, l.wash_risk);
            qty_cell(out, l.recommended);
            end_row(out);
        }
    })
}

/// The columns of `income --format csv`: one line per income row of the year.
pub const INCOME_COLUMNS: [&str; 9] = [
    "id",
    "time",
    "date",
    "account",
    "asset",
    "quantity",
    "category",
    "usd_value",
    "schedule",
];

/// `harvest income --format csv`: the rows; their `usd_value` adds up to the
/// JSON's `total`.
pub fn income(w: &mut dyn Write, s: &crate::tax::IncomeSummary<'_>) -> io::Result<()> {
    let mut c = writer(w);
    c.write_record(INCOME_COLUMNS).map_err(csv_err)?;
    for r in &s.rows {
        c.write_record([
            &*safe_text(r.id),
            &crate::import::fmt_time(r.time),
            &r.date.to_string(),
            &safe_text(r.account),
            &safe_text(r.asset),
            &qty(r.quantity),
            r.category.as_str(),
            &money(r.usd_value),
            r.schedule.as_str(),
        ])
        .map_err(csv_err)?;
    }
    c.flush()
}

/// The columns of `audit --format csv`: one line per Form 8949 row and lot.
pub const AUDIT_COLUMNS: [&str; 18] = [
    "disposal_id",
    "lot_id",
    "quantity",
    "source_file",
    "source_line",
    "source_id",
    "acquired_by",
    "account_acquired",
    "date_acquired",
    "disposal_file",
    "disposal_line",
    "account_sold",
    "date_sold",
    "proceeds",
    "cost_basis",
    "gain",
    "moves",
    "flags",
];

/// A trail's transfers in one cell: `DATE ID (FILE:LINE) FROM -> TO QTY[, fee
/// lost QTY]`, separated by `; `.
pub fn moves_text(t: &crate::tax::audit::Trail<'_>) -> String {
    let v: Vec<String> = t
        .moves
        .iter()
        .map(|m| {
            let mut s = format!(
                "{} {} ({}:{}) {} -> {} {} {}",
                m.date,
                m.source.id,
                m.source.file,
                m.source.line,
                m.from,
                m.to,
                qty(m.quantity),
                t.asset
            );
            if let Some(d) = m.deposit {
                s += &format!(" deposited as {} ({}:{})", d.id, d.file, d.line);
            }
            if !m.fee_lost.is_zero() {
                s += &format!(", network fee took {} {}", qty(m.fee_lost), t.asset);
            }
            s
        })
        .collect();
    v.join("; ")
}

/// `harvest audit --format csv`.
pub fn audit(w: &mut dyn Write, trails: &[crate::tax::audit::Trail<'_>]) -> io::Result<()> {
    let mut c = writer(w);
    c.write_record(AUDIT_COLUMNS).map_err(csv_err)?;
    for t in trails {
        c.write_record([
            &*safe_text(t.disposal.id),
            &safe_text(t.lot.id),
            &qty(t.quantity),
            &safe_text(t.lot.file),
            &t.lot.line.to_string(),
            &safe_text(t.lot.id),
            t.acquired_by.as_str(),
            &safe_text(t.account_acquired),
            &t.date_acquired.to_string(),
            &safe_text(t.disposal.file),
            &t.disposal.line.to_string(),
            &safe_text(t.account_sold),
            &t.date_sold.to_string(),
            &money(t.proceeds),
            &money(t.cost_basis),
            &money(t.gain),
            &safe_text(&moves_text(t)),
            &t.flags.join(";"),
        ])
        .map_err(csv_err)?;
    }
    c.flush()
}

/// The columns of `audit --gaps FILE`: one line per gap in the basis.
pub const GAP_COLUMNS: [&str; 15] = [
    "kind",
    "id",
    "file",
    "line",
    "date",
    "account",
    "asset",
    "quantity",
    "sold_in_year",
    "zero_basis_gain",
    "gain_change_per_usd_of_basis",
    "fair_value",
    "gain_change_at_fair_value",
    "basis",
    "pairings",
];

/// `harvest audit --gaps FILE`: the gaps in the basis as CSV; pairings in one
/// cell, `ID (FILE:LINE) DATE ACCOUNT QTY basis B: CHANGE`, separated by `; `.
pub fn gaps(w: &mut dyn Write, gaps: &[crate::tax::gaps::Gap<'_>]) -> io::Result<()> {
    use crate::tax::gaps::GapKind;
    let mut c = writer(w);
    c.write_record(GAP_COLUMNS).map_err(csv_err)?;
    for g in gaps {
        let open = g.kind != GapKind::NeverDeposited;
        let pairings: Vec<String> = g
            .pairings
            .iter()
            .map(|p| {
                format!(
                    "{} ({}:{}) {} {} {} basis {}: {}",
                    p.withdrawal.id,
                    p.withdrawal.file,
                    p.withdrawal.line,
                    p.date,
                    p.account,
                    qty(p.quantity),
                    money(p.basis),
                    money(p.effect)
                )
            })
            .collect();
        let if_open = |s: String| if open { s } else { String::new() };
        c.write_record([
            g.kind.as_str(),
            &safe_text(g.source.id),
            &safe_text(g.source.file),
            &g.source.line.to_string(),
            &g.date.to_string(),
            &safe_text(g.account),
            &safe_text(g.asset),
            &qty(g.quantity),
            &if_open(qty(g.sold_in_year)),
            &if_open(money(g.zero_basis_gain)),
            &if_open(g.per_usd_of_basis.round_dp(10).normalize().to_string()),
            &g.at_fair_value.map_or_else(String::new, |x| money(x.0)),
            &g.at_fair_value.map_or_else(String::new, |x| money(x.1)),
            &if open { String::new() } else { money(g.basis) },
            &safe_text(&pairings.join("; ")),
        ])
        .map_err(csv_err)?;
    }
    c.flush()
}

/// The columns of `balances --format csv`.
pub const BALANCE_COLUMNS: [&str; 12] = [
    "account",
    "asset",
    "opening",
    "acquired",
    "disposed",
    "moved_in",
    "moved_out",
    "fees",
    "closing",
    "lots_quantity",
    "lots_basis",
    "ties_out",
];

/// `harvest balances --format csv`.
pub fn balances(
    w: &mut dyn Write,
    b: &std::collections::BTreeMap<(&str, &str), crate::tax::balances::Balance>,
) -> io::Result<()> {
    let mut c = writer(w);
    c.write_record(BALANCE_COLUMNS).map_err(csv_err)?;
    for ((account, asset), x) in b {
        c.write_record([
            &*safe_text(account),
            &safe_text(asset),
            &qty(x.opening),
            &qty(x.acquired),
            &qty(x.disposed),
            &qty(x.moved_in),
            &qty(x.moved_out),
            &qty(x.fees),
            &qty(x.closing),
            &qty(x.lots_quantity),
            &money(x.lots_basis),
            if x.closing == x.lots_quantity {
                "yes"
            } else {
                "no"
            },
        ])
        .map_err(csv_err)?;
    }
    c.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// A record written cell by cell with [`push_csv_cell`] is the csv crate's
        /// record: commas, quotes, CR, LF, spaces and non-ASCII text included.
        #[test]
        fn cells_are_written_as_the_csv_crate_writes_them(
            cells in proptest::collection::vec("[a-z,\"\r\n é'=-]{0,8}", 2..6),
        ) {
            let mut want = Vec::new();
            {
                let mut c = writer(&mut want);
                c.write_record(&cells).unwrap();
                c.flush().unwrap();
            }
            let mut got = Vec::new();
            for (i, cell) in cells.iter().enumerate() {
                if i > 0 {
                    got.push(b',');
                }
                push_csv_cell(&mut got, cell.as_bytes());
            }
            got.push(b'\n');
            proptest::prop_assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(&want));
        }
    }
}
