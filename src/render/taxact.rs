//! TaxAct's capital gains CSV (RULES.md §10, and TaxAct's "Form 1099-B - Create
//! Your Own Spreadsheet"): Description, Date Acquired, Date Sold, Sales Proceeds,
//! Cost or Other Basis, Long/Short, and the optional Adjustment Code and
//! Adjustment Amount columns, which carry Form 8949's columns (f) and (g). Dates
//! are MM/DD/YYYY.

use std::io::{self, Write};

use super::{ReportView, adjustment_cell, money, safe_text};
use crate::tax::Term;

/// Writes the report's rows as a TaxAct CSV.
pub fn report(w: &mut dyn Write, v: &ReportView<'_>) -> io::Result<()> {
    let mut c = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(w);
    let err = |e: csv::Error| io::Error::other(e.to_string());
    c.write_record([
        "Description",
        "Date Acquired",
        "Date Sold",
        "Sales Proceeds",
        "Cost or Other Basis",
        "Long/Short",
        "Adjustment Code",
        "Adjustment Amount",
    ])
    .map_err(err)?;
    for l in &v.lines {
        c.write_record([
            &*safe_text(&l.description()),
            &super::UsDate(l.date_acquired).to_string(),
            &super::UsDate(l.date_sold).to_string(),
            &money(l.proceeds),
            &money(l.cost_basis),
            match l.term {
                Term::Short => "Short",
                Term::Long => "Long",
            },
            &l.adjustment_code,
            &adjustment_cell(&l.adjustment_code, l.adjustment),
        ])
        .map_err(err)?;
    }
    c.flush()
}
