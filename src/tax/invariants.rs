//! Invariants checked at the end of every run in debug builds and tests: what was
//! acquired was disposed of or is still held (quantity and basis, per asset), a
//! disposal's legs add up to it, and the Form 8949 rows add up to the Schedule D
//! lines of every year, box by box and in total.

use std::collections::{BTreeMap, HashMap};

use rust_decimal::Decimal;

use super::{Carryover, FilingStatus, GainRow, TaxInputs, Totals, schedule_d, schedule_d::line_of};
use crate::engine::{Config, Outcome};
use crate::model::{Ledger, Sym};

/// Checks the run's invariants; the error says which one broke and where.
///
/// Quantity and basis are checked only without a wash-sale window: the simulated
/// wash-sale rule carves replacement lots out of existing ones, with the
/// disallowed loss added to their basis.
pub fn check_invariants(
    ledger: &Ledger,
    cfg: &Config,
    o: &Outcome,
    rows: &[GainRow],
) -> Result<(), String> {
    let name = |s: Sym| ledger.syms.name(s).to_string();
    for d in &o.disposals {
        let q: Decimal = o.legs_of(d).iter().map(|l| l.qty).sum();
        if q != d.qty {
            return Err(format!(
                "disposal {} of {} {}: its lots add up to {q}",
                ledger.rows[d.row as usize].id,
                d.qty,
                name(d.asset)
            ));
        }
    }
    if cfg.wash_window == 0 {
        let mut acquired: HashMap<Sym, (Decimal, Decimal)> = HashMap::new();
        for lot in &o.lots {
            let e = acquired.entry(lot.asset).or_default();
            e.0 += lot.qty;
            e.1 += lot.basis;
        }
        let mut gone: HashMap<Sym, (Decimal, Decimal)> = HashMap::new();
        for d in &o.disposals {
            for leg in o.legs_of(d) {
                let e = gone.entry(d.asset).or_default();
                e.0 += leg.qty;
                e.1 += leg.basis;
            }
        }
        for h in &o.holdings {
            let e = gone.entry(h.asset).or_default();
            e.0 += h.qty;
            e.1 += h.basis;
        }
        for (asset, (q, b)) in &acquired {
            let (gq, gb) = gone.get(asset).copied().unwrap_or_default();
            if *q != gq {
                return Err(format!(
                    "quantity of {} not conserved: {q} acquired, {gq} disposed of or held",
                    name(*asset)
                ));
            }
            if *b != gb {
                return Err(format!(
                    "basis of {} not conserved: {b} acquired, {gb} disposed of or held",
                    name(*asset)
                ));
            }
        }
        if let Some((asset, _)) = gone.iter().find(|(a, _)| !acquired.contains_key(a)) {
            return Err(format!(
                "{} disposed of or held but never acquired",
                name(*asset)
            ));
        }
    }
    let mut years: BTreeMap<i32, Vec<&GainRow>> = BTreeMap::new();
    for r in rows {
        if r.gain != r.proceeds - r.cost_basis + r.adjustment {
            return Err(format!(
                "a Form 8949 row of disposal {}: gain {} is not proceeds - basis + adjustment",
                ledger.rows[o.disposals[r.disposal as usize].row as usize].id, r.gain
            ));
        }
        years
            .entry(chrono::Datelike::year(&r.date_sold))
            .or_default()
            .push(r);
    }
    for (year, rows) in years {
        let s = schedule_d(
            rows.iter().copied(),
            &TaxInputs {
                filing_status: FilingStatus::Single,
                carryover_in: Carryover::default(),
                taxable_income: None,
            },
        );
        let mut by_line: HashMap<&str, Decimal> = HashMap::new();
        for r in &rows {
            *by_line.entry(line_of(r.box_)).or_default() += r.gain;
        }
        let get = |l: &str| by_line.get(l).copied().unwrap_or_default();
        for (line, value) in [
            ("1b", s.line_1b),
            ("2", s.line_2),
            ("3", s.line_3),
            ("8b", s.line_8b),
            ("9", s.line_9),
            ("10", s.line_10),
        ] {
            if get(line) != value {
                return Err(format!(
                    "{year}: Schedule D line {line} is {value} but its Form 8949 rows add up to {}",
                    get(line)
                ));
            }
        }
        let total = Totals::of(rows.iter().copied());
        if s.line_16 != total.gain {
            return Err(format!(
                "{year}: Schedule D line 16 is {} but the Form 8949 gains add up to {}",
                s.line_16, total.gain
            ));
        }
    }
    Ok(())
}
