//! Tax Exchange Format V042 for TurboTax and H&R Block desktop (RULES.md §10):
//! one field per line, `^` ends a record; capital-gain records in format 4 (or 5
//! with a wash-sale amount), cost basis before proceeds, dates MM/DD/YYYY. TXF has
//! no codes for the digital-asset boxes G-L, so they are written as the nearest
//! box and the command warns that they must be re-boxed in the tax program.

use std::io::{self, Write};

use chrono::NaiveDate;

use super::{ReportView, money};
use crate::tax::Box8949;

/// True for boxes TXF cannot express.
pub fn needs_reboxing(b: &str) -> bool {
    matches!(b, "G" | "H" | "I" | "J" | "K" | "L")
}

/// The TXF reference number of a box (and whether the row has a wash sale).
pub fn refnum(b: Box8949, wash: bool) -> u32 {
    use Box8949::*;
    match (b, wash) {
        (A | G, true) => 682,
        (B | H, true) => 718,
        (A | G, false) => 321,
        (B | H, false) => 711,
        (C | I, _) => 712,
        (D | J, _) => 323,
        (E | K, _) => 713,
        (F | L, _) => 714,
    }
}

fn date(d: NaiveDate) -> String {
    super::UsDate(d).to_string()
}

/// TXF text is ASCII; anything else becomes `?`.
fn ascii(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c
            } else {
                '?'
            }
        })
        .collect()
}

/// Writes the report's Form 8949 rows as TXF, dated `today`.
pub fn report(w: &mut dyn Write, v: &ReportView<'_>, today: NaiveDate) -> io::Result<()> {
    let nl = "\r\n";
    write!(
        w,
        "V042{nl}Aharvest {}{nl}D{}{nl}^{nl}",
        env!("CARGO_PKG_VERSION"),
        date(today)
    )?;
    for l in &v.lines {
        let b = Box8949::parse(l.box_).unwrap_or(Box8949::I);
        let wash = l.adjustment_code.contains('W');
        write!(
            w,
            "TD{nl}N{}{nl}C1{nl}L1{nl}P{}{nl}D{}{nl}D{}{nl}${}{nl}${}{nl}",
            refnum(b, wash),
            ascii(&l.description()),
            if l.inherited {
                "INHERITED".to_string()
            } else {
                date(l.date_acquired)
            },
            date(l.date_sold),
            money(l.cost_basis),
            money(l.proceeds),
        )?;
        if wash {
            write!(w, "${}{nl}", money(l.adjustment))?;
        }
        write!(w, "^{nl}")?;
    }
    Ok(())
}
