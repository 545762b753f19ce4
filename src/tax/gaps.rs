//! Every gap in the basis that `--missing-basis` and transfer pairing leave,
//! with what each choice the user has would do to the year's gain:
//!
//! - a deposit no withdrawal pairs with and `external` could not cover (its
//!   basis is unknown);
//! - units disposed of beyond what the ledger holds (a shortfall);
//! - a withdrawal to no deposit, whose units sit in `external` at the year's end.
//!
//! The choices: a zero basis (what `--missing-basis zero` does: the year's
//! gain carries every dollar of the gap's units sold in the year); a basis
//! given as `basis_usd` (and `acquired`) on the deposit, each dollar of which
//! lowers the year's gain by the share of the units sold in the year; or
//! pairing with a named withdrawal never deposited, whose units bring their
//! basis with them. Amounts come from a run with a zero basis for each gap;
//! a pairing's effect assumes the units it brings are sold in the year in the
//! same share as the gap's (their dates can change the term, not the gain).

use std::collections::VecDeque;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use rustc_hash::FxHashMap as HashMap;

use super::GainRow;
use super::audit::Source;
use super::form8949::mul_div;
use crate::engine::{Origin, Outcome, account_name};
use crate::model::{Ledger, Sym};
use crate::readers::prices::PriceTable;
use crate::time::date_in;

/// What kind of gap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum GapKind {
    /// A deposit of units of unknown basis.
    UnknownDeposit,
    /// Units disposed of beyond the holdings.
    Shortfall,
    /// A withdrawal whose units no deposit took back.
    NeverDeposited,
}

impl GapKind {
    /// The kind's name in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            GapKind::UnknownDeposit => "unknown-basis-deposit",
            GapKind::Shortfall => "shortfall",
            GapKind::NeverDeposited => "never-deposited",
        }
    }
}

/// Pairing a gap with a withdrawal never deposited.
#[derive(Debug, Clone)]
pub struct Pairing<'a> {
    pub withdrawal: Source<'a>,
    pub date: NaiveDate,
    pub account: &'a str,
    /// Units the withdrawal could bring (the smaller of the two).
    pub quantity: Decimal,
    /// Their basis.
    pub basis: Decimal,
    /// The change in the year's gain, rounded to the cent (negative: lower).
    pub effect: Decimal,
}

/// One gap.
#[derive(Debug, Clone)]
pub struct Gap<'a> {
    pub kind: GapKind,
    /// The row: the deposit, the disposal, or the withdrawal (its index in
    /// [`Ledger::rows`], and where it was read).
    pub row: u32,
    pub source: Source<'a>,
    pub date: NaiveDate,
    pub account: &'a str,
    pub asset: &'a str,
    pub quantity: Decimal,
    /// Units of the gap on the year's Form 8949 rows (deposit and shortfall).
    pub sold_in_year: Decimal,
    /// Those rows' gain with a zero basis for the gap's units: what the zero
    /// basis choice puts in the year's gain.
    pub zero_basis_gain: Decimal,
    /// The change in the year's gain per dollar of `basis_usd` given to the
    /// gap's units (zero or negative, exact).
    pub per_usd_of_basis: Decimal,
    /// The fair value of the gap's units at its date, when the row or the
    /// price file gives it, and the change in the year's gain with that as
    /// `basis_usd` (rounded to the cent).
    pub at_fair_value: Option<(Decimal, Decimal)>,
    /// For a withdrawal never deposited: the basis of the units left outside.
    pub basis: Decimal,
    /// Withdrawals never deposited of the same asset that could pair with it
    /// (deposit and shortfall), nearest in time first.
    pub pairings: Vec<Pairing<'a>>,
}

/// How many withdrawals are offered for pairing with each gap.
const PAIRINGS: usize = 3;

/// The gaps dated in or before `year`, by date, with their effects on the
/// Form 8949 rows of `year` (`rows`), from a run with `--missing-basis zero`
/// and [`crate::engine::Config::trace_moves`].
pub fn gaps<'a>(
    ledger: &'a Ledger,
    outcome: &Outcome,
    rows: &[&GainRow],
    year: i32,
    tz: chrono_tz::Tz,
    prices: Option<&PriceTable>,
) -> Vec<Gap<'a>> {
    let mut out: Vec<Gap<'a>> = Vec::new();
    let mut gap_of_lot: HashMap<u32, usize> = HashMap::default();
    for (i, lot) in outcome.lots.iter().enumerate() {
        let kind = match lot.origin {
            Origin::UnknownDeposit => GapKind::UnknownDeposit,
            Origin::Shortfall => GapKind::Shortfall,
            _ => continue,
        };
        if lot.acquired_date.year() > year {
            continue;
        }
        let row = &ledger.rows[lot.row as usize];
        gap_of_lot.insert(i as u32, out.len());
        let asset = ledger.syms.name(lot.asset);
        let fair = row
            .usd_value
            .get()
            .filter(|_| kind == GapKind::UnknownDeposit)
            .and_then(|v| {
                let q = row.received.map(|a| a.qty).filter(|q| !q.is_zero())?;
                Some(mul_div(v, lot.qty, q))
            })
            .or_else(|| {
                prices
                    .and_then(|p| p.at(asset, row.time))
                    .and_then(|p| p.checked_mul(lot.qty))
            });
        out.push(Gap {
            kind,
            row: lot.row,
            source: Source::of(ledger, row),
            date: lot.acquired_date,
            account: ledger.syms.name(row.account),
            asset,
            quantity: lot.qty,
            sold_in_year: Decimal::ZERO,
            zero_basis_gain: Decimal::ZERO,
            per_usd_of_basis: Decimal::ZERO,
            at_fair_value: fair.map(|v| (v.round_dp(2), Decimal::ZERO)),
            basis: Decimal::ZERO,
            pairings: Vec::new(),
        });
    }
    for r in rows {
        if let Some(&g) = gap_of_lot.get(&r.lot) {
            out[g].sold_in_year += r.quantity;
            out[g].zero_basis_gain += r.gain;
        }
    }
    for g in &mut out {
        if !g.quantity.is_zero() {
            g.per_usd_of_basis = -(g.sold_in_year / g.quantity);
        }
        if let Some((v, effect)) = &mut g.at_fair_value {
            *effect = (*v * g.per_usd_of_basis).round_dp(2);
        }
    }
    // Withdrawals never deposited: what went to `external` by the year's end,
    // less what deposits drew back, lot by lot.
    // Each lot's parts outside, oldest first, and how many of them are empty
    // past the front (sent as nothing): a deposit back takes from the front,
    // so the parts it empties are dropped there, not by a pass over them all
    // (thousands of sends and returns of one lot cost their product).
    let mut outside: HashMap<u32, (VecDeque<(u32, Decimal)>, usize)> = HashMap::default();
    for m in &outcome.moves {
        let row = &ledger.rows[m.row as usize];
        if date_in(row.time, tz).year() > year {
            break;
        }
        if m.to == Sym::EXTERNAL {
            let (parts, empty) = outside.entry(m.lot).or_default();
            parts.push_back((m.row, m.qty));
            *empty += usize::from(m.qty.is_zero());
        } else if m.from == Sym::EXTERNAL
            && let Some((parts, empty)) = outside.get_mut(&m.lot)
        {
            let mut need = m.qty;
            for p in parts.iter_mut() {
                let t = need.min(p.1);
                p.1 -= t;
                need -= t;
                if need.is_zero() {
                    break;
                }
            }
            if *empty > 0 {
                parts.retain(|p| !p.1.is_zero());
                *empty = 0;
            } else {
                while parts.front().is_some_and(|p| p.1.is_zero()) {
                    parts.pop_front();
                }
            }
        }
    }
    let mut by_withdrawal: HashMap<u32, (Decimal, Decimal)> = HashMap::default();
    for (lot, (parts, _)) in &outside {
        let l = &outcome.lots[*lot as usize];
        for &(w, q) in parts {
            let e = by_withdrawal.entry(w).or_default();
            e.0 += q;
            e.1 += if l.qty.is_zero() {
                Decimal::ZERO
            } else {
                mul_div(l.basis, q, l.qty)
            };
        }
    }
    let mut never: Vec<(u32, Decimal, Decimal)> = by_withdrawal
        .into_iter()
        .filter(|(_, (q, _))| !q.is_zero())
        .map(|(w, (q, b))| (w, q, b))
        .collect();
    never.sort_unstable_by_key(|x| x.0);
    // By asset, in ledger (time) order: a gap's nearest withdrawals are found
    // by binary search, not by a scan of every withdrawal for every gap.
    let mut by_asset: HashMap<&str, Vec<(u32, Decimal, Decimal)>> = HashMap::default();
    for &n in &never {
        by_asset
            .entry(ledger.syms.name(sent_asset(ledger, n.0)))
            .or_default()
            .push(n);
    }
    for g in &mut out {
        let Some(list) = by_asset.get(g.asset) else {
            continue;
        };
        let nearest = nearest(ledger, list, g.row, PAIRINGS);
        g.pairings = nearest
            .into_iter()
            .map(|(w, q, b)| {
                let wr = &ledger.rows[w as usize];
                let units = q.min(g.quantity);
                let basis = mul_div(b, units, q);
                Pairing {
                    withdrawal: Source::of(ledger, wr),
                    date: date_in(wr.time, tz),
                    account: account_name(ledger, wr.account),
                    quantity: units,
                    basis: basis.round_dp(2),
                    effect: (basis * g.per_usd_of_basis).round_dp(2),
                }
            })
            .collect();
    }
    for (w, q, b) in never {
        let wr = &ledger.rows[w as usize];
        out.push(Gap {
            kind: GapKind::NeverDeposited,
            row: w,
            source: Source::of(ledger, wr),
            date: date_in(wr.time, tz),
            account: account_name(ledger, wr.account),
            asset: ledger.syms.name(sent_asset(ledger, w)),
            quantity: q,
            sold_in_year: Decimal::ZERO,
            zero_basis_gain: Decimal::ZERO,
            per_usd_of_basis: Decimal::ZERO,
            at_fair_value: None,
            basis: b.round_dp(2),
            pairings: Vec::new(),
        });
    }
    out.sort_by(|a, b| {
        (a.date, a.source.file, a.source.line).cmp(&(b.date, b.source.file, b.source.line))
    });
    out
}

/// The `n` withdrawals of `list` (in ledger order) nearest in time to row
/// `at`, nearest first; of two as near, the earlier.
fn nearest(
    ledger: &Ledger,
    list: &[(u32, Decimal, Decimal)],
    at: u32,
    n: usize,
) -> Vec<(u32, Decimal, Decimal)> {
    let time = |w: u32| ledger.rows[w as usize].time;
    let t = time(at);
    let mut right = list.partition_point(|x| x.0 < at);
    let mut left = right;
    let mut out = Vec::with_capacity(n);
    while out.len() < n && (left > 0 || right < list.len()) {
        let take_left = match (left.checked_sub(1), list.get(right)) {
            (Some(l), Some(r)) => (t - time(list[l].0)).abs() <= (time(r.0) - t).abs(),
            (Some(_), None) => true,
            _ => false,
        };
        if take_left {
            left -= 1;
            out.push(list[left]);
        } else {
            out.push(list[right]);
            right += 1;
        }
    }
    out
}

/// The asset a withdrawal row sends.
fn sent_asset(ledger: &Ledger, row: u32) -> Sym {
    ledger.rows[row as usize]
        .sent
        .map_or(Sym::EXTERNAL, |a| a.asset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::LedgerBuilder;

    /// Withdrawals on days 1, 5, 9 and 10; a gap on day 6: the nearest are
    /// days 5 (1 away), 9 (3 away), 10 (4 away), then 1 (5 away).
    #[test]
    fn the_nearest_withdrawals_are_found_both_ways() {
        let mut text = String::from(
            "id,time,account,kind,sent_qty,sent_asset,received_qty,received_asset,fee_qty,fee_asset,usd_value,fee_usd,txid,note\n",
        );
        for d in [1, 5, 6, 9, 10] {
            text += &format!("r{d},2025-01-{d:02}T00:00:00Z,a,buy,1,USD,1,BTC,,,,,,\n");
        }
        let mut b = LedgerBuilder::new(chrono_tz::Tz::UTC);
        b.read_csv(text.as_bytes(), "l.csv").unwrap();
        let l = b.finish().unwrap();
        let w = |i: u32| (i, Decimal::ONE, Decimal::ONE);
        // Rows 0, 1, 3, 4 are days 1, 5, 9, 10; row 2 (day 6) is the gap.
        let list = [w(0), w(1), w(3), w(4)];
        let got: Vec<u32> = nearest(&l, &list, 2, 3).iter().map(|x| x.0).collect();
        assert_eq!(got, [1, 3, 4]);
        let got: Vec<u32> = nearest(&l, &list, 2, 9).iter().map(|x| x.0).collect();
        assert_eq!(got, [1, 3, 4, 0]);
        assert!(nearest(&l, &[], 2, 3).is_empty());
    }
}
