//! `harvest allocation`: the Rev. Proc. 2024-28 record of which wallet received
//! which units of unused basis, as a table, CSV (the file `--allocation` reads
//! back) or JSON.

use std::io::{self, Write};

use rustc_hash::FxHashMap as HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tabled::builder::Builder;
use tabled::settings::object::Columns;
use tabled::settings::{Alignment, Style};

use super::{money, qty, safe_text};

/// The CSV columns, in order (a stable interface; `--allocation` reads them).
pub const COLUMNS: [&str; 8] = [
    "asset", "wallet", "lot_id", "quantity", "basis", "acquired", "as_of", "rule",
];

/// One allocated part of a lot.
#[derive(Debug, Clone)]
pub struct AllocationLine<'a> {
    pub asset: &'a str,
    pub wallet: &'a str,
    pub lot_id: &'a str,
    pub quantity: Decimal,
    /// In cents.
    pub basis: Decimal,
    pub acquired: NaiveDate,
}

/// The allocation as of a date, by the rule described.
#[derive(Debug, Clone)]
pub struct AllocationView<'a> {
    pub as_of: NaiveDate,
    pub rule: String,
    pub lines: Vec<AllocationLine<'a>>,
}

impl AllocationView<'_> {
    /// Units and basis per asset and wallet, in the order they first appear.
    fn wallets(&self) -> Vec<(&str, &str, Decimal, Decimal)> {
        let mut out: Vec<(&str, &str, Decimal, Decimal)> = Vec::new();
        // Where each (asset, wallet) is in `out`: a search of `out` for each
        // line took 12 s for 100,000 tokens.
        let mut at: HashMap<(&str, &str), usize> = HashMap::default();
        for l in &self.lines {
            match at.get(&(l.asset, l.wallet)) {
                Some(&i) => {
                    out[i].2 += l.quantity;
                    out[i].3 += l.basis;
                }
                None => {
                    at.insert((l.asset, l.wallet), out.len());
                    out.push((l.asset, l.wallet, l.quantity, l.basis));
                }
            }
        }
        out
    }
}

/// Writes the table.
pub fn table(w: &mut dyn Write, v: &AllocationView<'_>) -> io::Result<()> {
    writeln!(
        w,
        "Allocation of unused basis as of {} (Rev. Proc. 2024-28), {}: {}",
        v.as_of,
        v.rule,
        super::count(v.lines.len(), "row")
    )?;
    if v.lines.is_empty() {
        return Ok(());
    }
    let mut b = Builder::default();
    b.push_record(["Asset", "Wallet", "Lot", "Acquired", "Quantity", "Basis"]);
    for l in &v.lines {
        b.push_record([
            l.asset.to_string(),
            l.wallet.to_string(),
            super::short_id(l.lot_id).into_owned(),
            l.acquired.to_string(),
            qty(l.quantity),
            money(l.basis),
        ]);
    }
    let mut t = b.build();
    t.with(Style::sharp());
    t.modify(Columns::new(4..6), Alignment::right());
    writeln!(w, "{t}")?;
    let mut b = Builder::default();
    b.push_record(["Asset", "Wallet", "Quantity", "Basis"]);
    for (asset, wallet, q, basis) in v.wallets() {
        b.push_record([asset.to_string(), wallet.to_string(), qty(q), money(basis)]);
    }
    let mut t = b.build();
    t.with(Style::sharp());
    t.modify(Columns::new(2..4), Alignment::right());
    writeln!(w, "{t}")?;
    writeln!(
        w,
        "Keep this record: write it with --format csv -o FILE and pass --allocation FILE in every later run, so the allocation stays as made."
    )
}

/// Writes the CSV that `--allocation` reads back.
pub fn csv(w: &mut dyn Write, v: &AllocationView<'_>) -> io::Result<()> {
    let mut c = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(w);
    let err = |e: csv::Error| io::Error::other(e.to_string());
    c.write_record(COLUMNS).map_err(err)?;
    let as_of = v.as_of.to_string();
    for l in &v.lines {
        c.write_record([
            safe_text(l.asset).as_ref(),
            safe_text(l.wallet).as_ref(),
            safe_text(l.lot_id).as_ref(),
            &qty(l.quantity),
            &money(l.basis),
            &l.acquired.to_string(),
            &as_of,
            safe_text(&v.rule).as_ref(),
        ])
        .map_err(err)?;
    }
    c.flush()
}

/// Writes the JSON: the rows and the totals per wallet.
pub fn json(w: &mut dyn Write, v: &AllocationView<'_>) -> io::Result<()> {
    let rows: Vec<Value> = v
        .lines
        .iter()
        .map(|l| {
            json!({
                "asset": l.asset,
                "wallet": l.wallet,
                "lot_id": l.lot_id,
                "quantity": qty(l.quantity),
                "basis": money(l.basis),
                "acquired": l.acquired.to_string(),
            })
        })
        .collect();
    let wallets: Vec<Value> = v
        .wallets()
        .into_iter()
        .map(|(asset, wallet, q, b)| {
            json!({"asset": asset, "wallet": wallet, "quantity": qty(q), "basis": money(b)})
        })
        .collect();
    let doc = json!({
        "as_of": v.as_of.to_string(),
        "rule": v.rule,
        "rows": rows,
        "wallets": wallets,
    });
    super::json::write_value(w, &doc)
}
