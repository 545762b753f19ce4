//! Tables for people (tabled). Numbers are already in cents; nothing is rounded
//! here that the CSV would not round the same way.

use std::io::{self, Write};

use tabled::builder::Builder;
use tabled::settings::object::Columns;
use tabled::settings::{Alignment, Style};

use super::{GainsView, LotsView, money, price, qty};
use crate::tax::Totals;

fn print(w: &mut dyn Write, b: Builder, right_from: usize) -> io::Result<()> {
    let mut t = b.build();
    t.with(Style::sharp());
    t.modify(Columns::new(right_from..), Alignment::right());
    writeln!(w, "{t}")
}

/// `harvest gains` as a table, with totals per term.
pub fn gains(w: &mut dyn Write, v: &GainsView<'_>) -> io::Result<()> {
    writeln!(
        w,
        "Form 8949 rows for {} (method {}, scope {}): {} row{}",
        v.year,
        v.method,
        v.scope,
        v.lines.len(),
        if v.lines.len() == 1 { "" } else { "s" }
    )?;
    if !v.lines.is_empty() {
        let mut b = Builder::default();
        b.push_record([
            "Disposal", "Lot", "Account", "Acquired", "Sold", "Term", "Box", "Description",
            "Proceeds", "Basis", "Code", "Adj.", "Gain",
        ]);
        for l in &v.lines {
            b.push_record([
                l.disposal_id.to_string(),
                l.lot_id.to_string(),
                l.account.to_string(),
                l.date_acquired.to_string(),
                l.date_sold.to_string(),
                l.term.as_str().to_string(),
                l.box_.to_string(),
                l.description(),
                money(l.proceeds),
                money(l.cost_basis),
                l.adjustment_code.to_string(),
                if l.adjustment_code.is_empty() {
                    String::new()
                } else {
                    money(l.adjustment)
                },
                money(l.gain),
            ]);
        }
        print(w, b, 8)?;
    }
    totals_table(w, &[("Short-term", &v.short_term), ("Long-term", &v.long_term)])
}

/// A small table of totals.
pub fn totals_table(w: &mut dyn Write, rows: &[(&str, &Totals)]) -> io::Result<()> {
    let mut b = Builder::default();
    b.push_record(["", "Proceeds", "Cost basis", "Adjustment", "Gain or (loss)"]);
    let mut all = Totals::default();
    for (name, t) in rows {
        b.push_record([
            name.to_string(),
            money(t.proceeds),
            money(t.cost_basis),
            money(t.adjustment),
            money(t.gain),
        ]);
        all.proceeds += t.proceeds;
        all.cost_basis += t.cost_basis;
        all.adjustment += t.adjustment;
        all.gain += t.gain;
    }
    if rows.len() > 1 {
        b.push_record([
            "Total".to_string(),
            money(all.proceeds),
            money(all.cost_basis),
            money(all.adjustment),
            money(all.gain),
        ]);
    }
    print(w, b, 1)
}

/// `harvest lots` as a table.
pub fn lots(w: &mut dyn Write, v: &LotsView<'_>) -> io::Result<()> {
    match v.as_of {
        Some(d) => writeln!(w, "Open lots as of {d}: {}", v.lines.len())?,
        None => writeln!(w, "Open lots: {}", v.lines.len())?,
    }
    if v.lines.is_empty() {
        return Ok(());
    }
    let mut b = Builder::default();
    let mut header = vec![
        "Asset", "Account", "Lot", "Acquired", "Quantity", "Basis", "Unit basis",
    ];
    if v.priced {
        header.extend(["Price", "Value", "Unrealized", "Term"]);
    }
    b.push_record(header);
    for l in &v.lines {
        let mut rec = vec![
            l.asset.to_string(),
            l.account.to_string(),
            l.lot_id.to_string(),
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
                None => rec.extend(["no price".to_string(), String::new(), String::new(), String::new()]),
            }
        }
        b.push_record(rec);
    }
    print(w, b, 4)
}
