//! Gain harvesting at 0%: long-term lots sold at a gain, and bought back, while
//! the year's taxable income leaves room in the 0% long-term band, so that the
//! basis steps up at no federal tax (no wash-sale rule applies to gains). Pure:
//! the tax of a picture comes in as a function.

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};

use super::{Candidate, Pick, WashRisk, sellable};
use crate::engine::{Holding, Outcome};
use crate::model::Sym;
use crate::tax::term::{Term, term};

/// The open long-term lots worth more than their basis that can be sold (see
/// [`sellable`]), the best first: the most gain per dollar sold, so that a
/// fee proportional to the proceeds buys the most step-up. Collectibles are
/// left out (`is_collectible`): their long-term gain is taxed up to 28%, not
/// at 0%.
pub fn candidates(
    outcome: &Outcome,
    holdings: &[Holding],
    price_of: impl Fn(Sym) -> Option<Decimal>,
    as_of: NaiveDate,
    is_collectible: impl Fn(Sym) -> bool,
    net_price: impl Fn(Sym, Decimal) -> Decimal,
) -> Vec<Candidate> {
    let mut out = Vec::new();
    // One price per asset, looked up once: a ledger holds many lots of few assets.
    let mut prices: rustc_hash::FxHashMap<Sym, Option<Decimal>> = Default::default();
    for h in holdings.iter().filter(|h| sellable(h.account)) {
        let Some(price) = *prices.entry(h.asset).or_insert_with(|| price_of(h.asset)) else {
            continue;
        };
        let lot = &outcome.lots[h.lot as usize];
        let long = lot.always_long || term(lot.holding_from, as_of) == Term::Long;
        let value = h.qty * price;
        // The gain as Form 8949 will show it: proceeds net of the selling
        // costs (see [`super::Costs`]).
        let gain = h.qty * net_price(h.account, price) - h.basis;
        // A gain worth less than a cent is not worth a sale.
        if !long || gain < Decimal::new(1, 2) || is_collectible(h.asset) {
            continue;
        }
        out.push(Candidate {
            asset: h.asset,
            account: h.account,
            lot: h.lot,
            acquired: lot.holding_from,
            qty: h.qty,
            basis: h.basis,
            price,
            value,
            unrealized: gain,
            term: Term::Long,
            long_term_on: None,
            wash_risk: WashRisk::No,
        });
    }
    // Gain per dollar sold, highest first: gain_a / value_a > gain_b / value_b.
    out.sort_by(|a, b| {
        (b.unrealized * a.value)
            .cmp(&(a.unrealized * b.value))
            .then(a.lot.cmp(&b.lot))
    });
    out
}

/// The most long-term gain, in cents and at most `most`, that can be added to
/// the year without raising its tax or shrinking its carryover: `at(g)` gives
/// the (tax, carryover out) of the year with `g` more long-term gain. Both
/// move one way as `g` grows (the tax up, the carryover down), so a binary
/// search over cents finds the edge: the top of the 0% band, or zero when a
/// loss of the year (or carried in) would absorb the gain first.
pub fn free_gain(at: impl Fn(Decimal) -> (Decimal, Decimal), most: Decimal) -> Decimal {
    let (tax0, carry0) = at(Decimal::ZERO);
    let free = |g: Decimal| {
        let (t, c) = at(g);
        t <= tax0 && c >= carry0
    };
    let cent = Decimal::new(1, 2);
    let most = most
        .max(Decimal::ZERO)
        .round_dp_with_strategy(2, RoundingStrategy::ToZero);
    if free(most) {
        return most;
    }
    // Invariant: free(lo), !free(hi), in cents.
    let (mut lo, mut hi) = (Decimal::ZERO, most);
    while hi - lo > cent {
        let mid = ((lo + hi) / Decimal::TWO).round_dp_with_strategy(2, RoundingStrategy::ToZero);
        if free(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Picks lots to realize about `room` of long-term gain, best first (see
/// [`candidates`]); the last lot may be sold in part (to 8 decimals, rounded
/// down: never more gain than the room). Less than a cent left is done.
pub fn fill(
    cands: &[Candidate],
    room: Decimal,
    net_price: impl Fn(&Candidate) -> Decimal,
) -> Vec<Pick> {
    let cent = Decimal::new(1, 2);
    let mut budget = room;
    let mut picks = Vec::new();
    for (i, c) in cands.iter().enumerate() {
        if budget < cent {
            break;
        }
        let Some(unit_gain) = c.unrealized.checked_div(c.qty) else {
            continue;
        };
        let qty = if c.unrealized <= budget {
            c.qty
        } else {
            (budget / unit_gain).round_dp_with_strategy(8, RoundingStrategy::ToZero)
        };
        if qty.is_zero() {
            continue;
        }
        let basis = if qty == c.qty {
            c.basis
        } else {
            c.basis * qty / c.qty
        };
        let proceeds = qty * net_price(c);
        budget -= proceeds - basis;
        picks.push(Pick {
            candidate: i,
            qty,
            basis,
            proceeds,
        });
    }
    picks
}

/// One way to plan the year: harvest the losses (and then what room is left
/// at 0%), or only gains at 0%, the losses kept for a later year.
#[derive(Debug, Clone)]
pub struct Combination {
    pub name: &'static str,
    /// Net loss the combination realizes (positive) and long-term gain at 0%.
    pub loss_realized: Decimal,
    pub gain_realized: Decimal,
    /// This year's federal tax saved, the carried loss's value, and the tax a
    /// later sale saves on the stepped-up basis (at the later rate).
    pub tax_saved: Decimal,
    pub carryover_value: Decimal,
    pub later_tax_saved: Decimal,
    /// What its sales and buy-backs cost (fees and spread).
    pub costs: Decimal,
}

impl Combination {
    /// What the combination is worth: all three, less its costs.
    pub fn value(&self) -> Decimal {
        self.tax_saved + self.carryover_value + self.later_tax_saved - self.costs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tax::FilingStatus;
    use crate::tax::rates::{capital_income, federal_tax};

    fn d(n: i64) -> Decimal {
        Decimal::from(n)
    }

    fn cand(qty: i64, basis: i64, price: i64) -> Candidate {
        let value = d(qty * price);
        Candidate {
            asset: Sym::from_index(5),
            account: Sym::from_index(6),
            lot: 0,
            acquired: NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
            qty: d(qty),
            basis: d(basis),
            price: d(price),
            value,
            unrealized: value - d(basis),
            term: Term::Long,
            long_term_on: None,
            wash_risk: WashRisk::No,
        }
    }

    /// Single, 2025, ordinary taxable income 30,000 and nothing else: the 0%
    /// band ends at 48,350, so 18,350.00 of long-term gain is free.
    #[test]
    fn the_room_is_the_top_of_the_zero_band_less_the_income() {
        let at = |g: Decimal| {
            let c = capital_income(Decimal::ZERO, g, d(3000));
            let tax = federal_tax(2025, FilingStatus::Single, d(30_000), c, d(30_000) + g);
            (tax, Decimal::ZERO)
        };
        assert_eq!(free_gain(at, d(1_000_000)), d(18_350));
        // Less gain at hand than room: all of it.
        assert_eq!(
            free_gain(at, Decimal::new(500_012_345, 5)),
            Decimal::new(500_012, 2)
        );
    }

    /// A net loss of the year (a harvested 3,000, say) with income to absorb
    /// the deduction: any gain shrinks the deduction first, and so raises the
    /// tax. No room.
    #[test]
    fn a_loss_of_the_year_leaves_no_room() {
        let at = |g: Decimal| {
            let c = capital_income(d(-3000), g, d(3000));
            let tax = federal_tax(2025, FilingStatus::Single, d(30_000), c, d(30_000));
            (tax, Decimal::ZERO)
        };
        assert_eq!(free_gain(at, d(50_000)), Decimal::ZERO);
    }

    /// The best gain per dollar first; the last lot split so the gain stops at
    /// the room, rounded down.
    #[test]
    fn fill_takes_the_best_ratio_first_and_splits_the_last_lot() {
        // Gains 6,000 on 10,000 sold (60%) and 1,000 on 10,000 (10%).
        let cs = [cand(10, 9_000, 1_000), cand(10, 4_000, 1_000)];
        let mut order: Vec<&Candidate> = cs.iter().collect();
        order.sort_by(|a, b| (b.unrealized * a.value).cmp(&(a.unrealized * b.value)));
        assert_eq!(order[0].unrealized, d(6000));
        let sorted: Vec<Candidate> = order.into_iter().cloned().collect();
        let picks = fill(&sorted, d(6_500), |c| c.price);
        assert_eq!(picks.len(), 2);
        assert_eq!(picks[0].qty, d(10));
        // 500 of gain at 100 a unit: 5 units.
        assert_eq!(picks[1].qty, d(5));
        assert_eq!(picks[1].proceeds - picks[1].basis, d(500));
        // A room of 1/3 of a unit's gain: rounded down to 8 decimals.
        let p = fill(&sorted[1..], Decimal::new(3333, 2), |c| c.price);
        assert_eq!(p[0].qty, Decimal::new(33_330_000, 8));
        assert!(p[0].proceeds - p[0].basis <= Decimal::new(3333, 2));
    }
}
