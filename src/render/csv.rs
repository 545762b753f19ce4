//! CSV output: the columns of SPEC section 5, exactly, with every text cell
//! protected against formula injection.

use std::io::{self, Write};

use super::{GainLine, GainsView, LotsView, Money, Qty, money, price, qty, safe_text};

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

/// Writes Form 8949 lines with the SPEC columns. One buffer is reused for the
/// formatted cells: a year of a million rows allocates nothing per row.
pub fn gain_lines(w: &mut dyn Write, lines: &[GainLine<'_>]) -> io::Result<()> {
    use std::fmt::Write as _;
    let mut c = writer(w);
    c.write_record(GAIN_COLUMNS).map_err(csv_err)?;
    let mut buf = String::new();
    let mut field = |c: &mut csv::Writer<&mut dyn Write>, f: std::fmt::Arguments<'_>| {
        buf.clear();
        let _ = buf.write_fmt(f);
        c.write_field(safe_text(&buf).as_bytes()).map_err(csv_err)
    };
    for l in lines {
        field(&mut c, format_args!("{}", l.disposal_id))?;
        field(&mut c, format_args!("{}", l.lot_id))?;
        field(&mut c, format_args!("{}", l.asset))?;
        field(&mut c, format_args!("{}", Qty(l.quantity)))?;
        field(&mut c, format_args!("{}", l.account))?;
        field(&mut c, format_args!("{}", l.date_acquired))?;
        field(&mut c, format_args!("{}", l.date_sold))?;
        field(&mut c, format_args!("{}", l.term.as_str()))?;
        field(&mut c, format_args!("{}", l.box_))?;
        field(&mut c, format_args!("{} {}", Qty(l.quantity), l.asset))?;
        field(&mut c, format_args!("{}", Money(l.proceeds)))?;
        field(&mut c, format_args!("{}", Money(l.cost_basis)))?;
        field(&mut c, format_args!("{}", l.adjustment_code))?;
        if l.adjustment_code.is_empty() {
            field(&mut c, format_args!(""))?;
        } else {
            field(&mut c, format_args!("{}", Money(l.adjustment)))?;
        }
        field(&mut c, format_args!("{}", Money(l.gain)))?;
        c.write_record(None::<&[u8]>).map_err(csv_err)?;
    }
    c.flush()
}

/// `harvest gains --format csv`.
pub fn gains(w: &mut dyn Write, v: &GainsView<'_>) -> io::Result<()> {
    gain_lines(w, &v.lines)
}

/// `harvest lots --format csv`.
pub fn lots(w: &mut dyn Write, v: &LotsView<'_>) -> io::Result<()> {
    let mut c = writer(w);
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
    c.write_record(&header).map_err(csv_err)?;
    for l in &v.lines {
        let mut rec: Vec<String> = vec![
            safe_text(l.asset).into_owned(),
            safe_text(l.account).into_owned(),
            safe_text(l.lot_id).into_owned(),
            l.date_acquired.to_string(),
            qty(l.quantity),
            money(l.cost_basis),
            price(l.unit_basis),
        ];
        if v.priced {
            match &l.valued {
                Some(p) => rec.extend([
                    price(p.price),
                    money(p.value),
                    money(p.unrealized),
                    p.term.as_str().to_string(),
                ]),
                None => rec.extend([String::new(), String::new(), String::new(), String::new()]),
            }
        }
        c.write_record(&rec).map_err(csv_err)?;
    }
    c.flush()
}

/// `harvest scan --format csv`: one row per candidate lot.
pub fn scan(w: &mut dyn Write, v: &super::ScanView<'_>) -> io::Result<()> {
    let mut c = writer(w);
    c.write_record([
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
    ])
    .map_err(csv_err)?;
    for l in &v.lines {
        c.write_record([
            &*safe_text(l.asset),
            &*safe_text(l.account),
            &*safe_text(l.lot_id),
            &l.date_acquired.to_string(),
            &qty(l.quantity),
            &money(l.cost_basis),
            &price(l.price),
            &money(l.value),
            &money(l.unrealized),
            l.term.as_str(),
            l.wash_risk,
            &qty(l.recommended),
        ])
        .map_err(csv_err)?;
    }
    c.flush()
}
