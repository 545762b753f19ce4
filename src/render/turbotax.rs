//! TurboTax's crypto gains CSV (RULES.md §10): Amount, Currency Name, Purchase
//! Date, Date Sold, Proceeds, Cost Basis. TurboTax allows at most 8 decimals, so
//! the amount is rounded to 8 places; dates are MM/DD/YYYY.

use std::io::{self, Write};

use super::{ReportView, money, qty, safe_text};

/// Writes the report's rows as a TurboTax crypto CSV.
pub fn report(w: &mut dyn Write, v: &ReportView<'_>) -> io::Result<()> {
    let mut c = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(w);
    let err = |e: csv::Error| io::Error::other(e.to_string());
    c.write_record([
        "Amount",
        "Currency Name",
        "Purchase Date",
        "Date Sold",
        "Proceeds",
        "Cost Basis",
    ])
    .map_err(err)?;
    for l in &v.lines {
        c.write_record([
            qty(l.quantity.round_dp(8)).as_str(),
            &safe_text(l.asset),
            &super::UsDate(l.date_acquired).to_string(),
            &super::UsDate(l.date_sold).to_string(),
            &money(l.proceeds),
            &money(l.cost_basis),
        ])
        .map_err(err)?;
    }
    c.flush()
}
