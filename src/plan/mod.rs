//! The tax-loss harvesting planner (`harvest scan`): which open lots are worth
//! less than their basis, and a plan that picks among them so the year's net
//! capital result comes down to minus the loss limit (or to a target); [`sales`]
//! turns the picks into sales. Pure: values in, values out.

pub mod compare;
pub mod gains;
pub mod sales;

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::engine::{Holding, LotIdx, Outcome};
use crate::model::{Ledger, Sym};
use crate::tax::form8949::cents;
use crate::tax::term::{Term, long_term_from, term};

/// Whether selling a lot at a loss risks a wash sale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WashRisk {
    /// No purchase of the asset within 30 days before the as-of date.
    No,
    /// A purchase within 30 days, and no wash-sale rule applies (`--wash-window 0`,
    /// current law for digital assets): information only.
    Info,
    /// A purchase within the `--wash-window` days: the loss would be disallowed
    /// under the simulated rule.
    Yes,
}

impl WashRisk {
    /// `no`, `info` or `yes`, as the CSV writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            WashRisk::No => "no",
            WashRisk::Info => "info",
            WashRisk::Yes => "yes",
        }
    }
}

/// An open lot worth less than its basis.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub asset: Sym,
    pub account: Sym,
    pub lot: LotIdx,
    pub acquired: NaiveDate,
    pub qty: Decimal,
    /// Exact basis of the units held.
    pub basis: Decimal,
    pub price: Decimal,
    /// qty x price, exact.
    pub value: Decimal,
    /// value - basis (negative), exact.
    pub unrealized: Decimal,
    /// The term if sold on the as-of date.
    pub term: Term,
    /// The first day a sale is long-term, for a short-term lot.
    pub long_term_on: Option<NaiveDate>,
    pub wash_risk: WashRisk,
}

impl Candidate {
    /// Turns long-term within 30 days of the as-of date: selling now gives up the
    /// lower long-term rate on any later gain.
    pub fn turns_long_soon(&self, as_of: NaiveDate) -> bool {
        self.long_term_on
            .is_some_and(|d| (d - as_of).num_days() <= 30)
    }
}

/// The two most recent purchases (date, lot) of each asset (any account), by
/// the asset's symbol index, for wash-risk flags: a lot's own purchase is no
/// replacement for itself, so its risk is the most recent purchase of
/// another lot.
fn last_purchases(outcome: &Outcome, as_of: NaiveDate) -> Vec<[Option<(NaiveDate, LotIdx)>; 2]> {
    let mut m: Vec<[Option<(NaiveDate, LotIdx)>; 2]> = Vec::new();
    for (i, lot) in outcome.lots.iter().enumerate() {
        if lot.acquired_date <= as_of && lot.origin == crate::engine::Origin::Acquired {
            let a = lot.asset.index() as usize;
            if m.len() <= a {
                m.resize(a + 1, [None; 2]);
            }
            let e = &mut m[a];
            let this = Some((lot.acquired_date, i as LotIdx));
            if e[0].is_none_or(|(d, _)| lot.acquired_date > d) {
                e[1] = e[0];
                e[0] = this;
            } else if e[1].is_none_or(|(d, _)| lot.acquired_date > d) {
                e[1] = this;
            }
        }
    }
    m
}

/// Whether units held in `account` can be sold by the user: not those withdrawn
/// to a place the ledger does not cover (`external`), nor basis the 2025
/// allocation gave to no wallet (`(unallocated)`).
pub fn sellable(account: Sym) -> bool {
    account != Sym::EXTERNAL && account != crate::engine::UNALLOCATED
}

/// The open lots priced below their basis that can be sold (see [`sellable`]),
/// largest loss first.
pub fn candidates(
    outcome: &Outcome,
    holdings: &[Holding],
    price_of: impl Fn(Sym) -> Option<Decimal>,
    as_of: NaiveDate,
    min_loss: Decimal,
    wash_window: u32,
) -> Vec<Candidate> {
    let recent = last_purchases(outcome, as_of);
    let mut out = Vec::new();
    // One price per asset, looked up once: a ledger holds many lots of few
    // assets (and they come asset by asset).
    let mut priced: Option<(Sym, Option<Decimal>)> = None;
    for (k, h) in holdings.iter().enumerate() {
        // Holdings are in asset and account order, their lots anywhere in
        // the run's list: the lot a few holdings on is fetched meanwhile.
        if let Some(lot) = holdings
            .get(k + 16)
            .and_then(|n| outcome.lots.get(n.lot as usize))
        {
            crate::memory::prefetch(lot);
        }
        if !sellable(h.account) {
            continue;
        }
        let price = match priced {
            Some((asset, p)) if asset == h.asset => p,
            _ => {
                let p = price_of(h.asset);
                priced = Some((h.asset, p));
                p
            }
        };
        let Some(price) = price else {
            continue;
        };
        let value = h.qty * price;
        let lot = &outcome.lots[h.lot as usize];
        let mut unrealized = value - h.basis;
        let mut held_from = lot.holding_from;
        // A gift worth less than the donor's basis: a loss only below its
        // fair value at the gift, held from the gift (Treas. Reg. 1.1015-1).
        if let Some(db) = outcome.dual_basis.get(&h.lot)
            && unrealized < Decimal::ZERO
            && !lot.qty.is_zero()
        {
            let fair = crate::tax::form8949::mul_div(db.fair_value, h.qty, lot.qty);
            unrealized = (value - fair).min(Decimal::ZERO);
            held_from = db.gift_date;
        }
        if unrealized >= Decimal::ZERO || -unrealized < min_loss {
            continue;
        }
        let t = if lot.always_long {
            Term::Long
        } else {
            term(held_from, as_of)
        };
        // The latest purchase of another lot of the asset.
        let days = recent
            .get(h.asset.index() as usize)
            .and_then(|two| two.iter().flatten().find(|(_, l)| *l != h.lot))
            .map_or(i64::MAX, |(d, _)| (as_of - *d).num_days());
        let window = if wash_window == 0 {
            30
        } else {
            i64::from(wash_window)
        };
        let wash_risk = match (days <= window, wash_window) {
            (false, _) => WashRisk::No,
            (true, 0) => WashRisk::Info,
            (true, _) => WashRisk::Yes,
        };
        out.push(Candidate {
            asset: h.asset,
            account: h.account,
            lot: h.lot,
            acquired: held_from,
            qty: h.qty,
            basis: h.basis,
            price,
            value,
            unrealized,
            term: t,
            long_term_on: (t == Term::Short).then(|| long_term_from(held_from)),
            wash_risk,
        });
    }
    // Integer keys made once: comparing Decimals of unlike scales rescales them.
    out.sort_by_cached_key(|c| (crate::cell::order_key(c.unrealized), c.lot));
    out
}

/// What a planned sale and its buy-back cost: the exchange's fee, a fraction
/// of each trade's value, per account, and the spread, the fraction of the
/// price lost to the bid/ask on each trade. A sale fills at price x (1 -
/// spread) and pays the fee on that; the buy-back of the same quantity fills
/// at price x (1 + spread) and pays the fee on that.
#[derive(Debug, Clone, Default)]
pub struct Costs {
    /// The fee rate of each account that has its own.
    pub fee_rates: HashMap<Sym, Decimal>,
    /// The fee rate of the other accounts.
    pub default_fee: Decimal,
    pub spread: Decimal,
}

/// What one sale and its buy-back cost, in dollars, exact.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoundTrip {
    /// The sale's fee and what its spread loses: they reduce its proceeds (so
    /// the realized loss is larger by them).
    pub selling: Decimal,
    /// The buy-back's fee and spread: they go into the new lot's basis, not
    /// deducted this year.
    pub buy_back: Decimal,
}

impl RoundTrip {
    /// Selling and buying back.
    pub fn total(&self) -> Decimal {
        self.selling + self.buy_back
    }
}

impl Costs {
    /// The fee rate of `account`.
    pub fn fee_rate(&self, account: Sym) -> Decimal {
        self.fee_rates
            .get(&account)
            .copied()
            .unwrap_or(self.default_fee)
    }

    /// No fee anywhere and no spread.
    pub fn is_zero(&self) -> bool {
        self.spread.is_zero()
            && self.default_fee.is_zero()
            && self.fee_rates.values().all(|r| r.is_zero())
    }

    /// What a sale of `qty` at `price` from `account` receives and the fee it
    /// pays, in USD: the fill at price x (1 - spread), and the fee on it. The
    /// proceeds (Form 8949 column d) are the first less the second.
    pub fn sale(&self, account: Sym, qty: Decimal, price: Decimal) -> (Decimal, Decimal) {
        let gross = qty * price;
        let received = if self.spread.is_zero() {
            gross
        } else {
            gross * (Decimal::ONE - self.spread)
        };
        let rate = self.fee_rate(account);
        let fee = if rate.is_zero() {
            Decimal::ZERO
        } else {
            received * rate
        };
        (received, fee)
    }

    /// The proceeds of one unit sold at `price` from `account`, net of the
    /// fee and the spread (`price` itself when neither applies).
    pub fn net_price(&self, account: Sym, price: Decimal) -> Decimal {
        if self.spread.is_zero() && self.fee_rate(account).is_zero() {
            return price;
        }
        let (received, fee) = self.sale(account, Decimal::ONE, price);
        received - fee
    }

    /// What selling `qty` at `price` from `account` and buying it back costs.
    pub fn round_trip(&self, account: Sym, qty: Decimal, price: Decimal) -> RoundTrip {
        let gross = qty * price;
        let (received, fee) = self.sale(account, qty, price);
        let paid = gross * (Decimal::ONE + self.spread);
        RoundTrip {
            selling: gross - received + fee,
            buy_back: paid - gross + paid * self.fee_rate(account),
        }
    }
}

/// One lot (or part of one) the plan sells.
#[derive(Debug, Clone)]
pub struct Pick {
    /// Index into the candidates.
    pub candidate: usize,
    pub qty: Decimal,
    pub basis: Decimal,
    pub proceeds: Decimal,
}

impl Pick {
    /// proceeds - basis, exact.
    pub fn gain(&self) -> Decimal {
        self.proceeds - self.basis
    }
}

/// The year so far, as Schedule D sees it before any harvest.
#[derive(Debug, Clone, Copy, Default)]
pub struct YearSoFar {
    /// Net short-term and long-term results realized this year, in cents.
    pub realized_st: Decimal,
    pub realized_lt: Decimal,
    /// Carryovers in (positive).
    pub carryover_st: Decimal,
    pub carryover_lt: Decimal,
}

impl YearSoFar {
    /// Schedule D line 7 before the harvest.
    pub fn line_7(&self) -> Decimal {
        self.realized_st - self.carryover_st
    }

    /// Schedule D line 15 before the harvest.
    pub fn line_15(&self) -> Decimal {
        self.realized_lt - self.carryover_lt
    }
}

/// The loss to harvest: enough to offset the year's net gain and use the whole
/// deduction (`cap`), or `target` when given.
pub fn loss_needed(y: &YearSoFar, cap: Decimal, target: Option<Decimal>) -> Decimal {
    match target {
        Some(t) => t.max(Decimal::ZERO),
        None => (y.line_7() + y.line_15() + cap).max(Decimal::ZERO),
    }
}

/// Picks lots to realize about `need` of loss: short-term losses against
/// short-term gains first (they are taxed at ordinary rates), then long-term
/// losses against long-term gains, then the rest, largest losses first. The last
/// lot may be sold in part (to 8 decimals) so the plan stops at the need. A part
/// that would realize less than `min_loss` (at least a cent) is not worth a sale.
/// A sale's proceeds are net of its fee and spread (`costs`), so each unit
/// realizes that much more loss. The candidates in `left_out` are not sold.
pub fn plan(
    cands: &[Candidate],
    y: &YearSoFar,
    need: Decimal,
    min_loss: Decimal,
    costs: &Costs,
    left_out: &HashSet<usize>,
) -> Vec<Pick> {
    let mut left: Vec<Decimal> = cands.iter().map(|c| c.qty).collect();
    let mut picks: Vec<Pick> = Vec::new();
    // Each candidate's pick, once made: the picks of a later phase add to it.
    let mut pick_of: Vec<Option<usize>> = vec![None; cands.len()];
    let mut remaining = need;
    let st_gain = y.line_7().max(Decimal::ZERO);
    let lt_gain = y.line_15().max(Decimal::ZERO);
    let phases = [
        (Some(Term::Short), st_gain),
        (Some(Term::Long), lt_gain),
        (Some(Term::Short), Decimal::MAX),
        (Some(Term::Long), Decimal::MAX),
    ];
    for (want, budget) in phases {
        let mut budget = budget.min(remaining);
        let cent = Decimal::new(1, 2);
        let smallest = min_loss.max(cent);
        for (i, c) in cands.iter().enumerate() {
            // Less than a cent to go is done: no dust sales.
            if budget < cent {
                break;
            }
            // Under the simulated wash-sale rule, a purchase of another lot
            // within the window disallows the loss: never proposed.
            if Some(c.term) != want
                || left[i].is_zero()
                || c.wash_risk == WashRisk::Yes
                || left_out.contains(&i)
            {
                continue;
            }
            // A lot of a few 1e-28 units can have a loss per unit beyond Decimal:
            // it is dust, never worth a sale.
            let Some(mut unit_loss) = (-c.unrealized).checked_div(c.qty) else {
                continue;
            };
            // The sale's fee and spread lower its proceeds: more loss per unit.
            let net_price = costs.net_price(c.account, c.price);
            if net_price != c.price {
                unit_loss += c.price - net_price;
            }
            let whole = unit_loss * left[i];
            let qty = if whole <= budget {
                left[i]
            } else {
                // Round down: never harvest more than the budget.
                (budget / unit_loss)
                    .round_dp_with_strategy(8, rust_decimal::RoundingStrategy::ToZero)
            };
            if qty.is_zero() || qty * unit_loss < smallest {
                continue;
            }
            left[i] -= qty;
            let basis = c.basis * qty / c.qty;
            let proceeds = qty * net_price;
            budget -= basis - proceeds;
            remaining -= basis - proceeds;
            match pick_of[i] {
                Some(k) => {
                    let p = &mut picks[k];
                    p.qty += qty;
                    p.basis += basis;
                    p.proceeds += proceeds;
                }
                None => {
                    pick_of[i] = Some(picks.len());
                    picks.push(Pick {
                        candidate: i,
                        qty,
                        basis,
                        proceeds,
                    });
                }
            }
        }
    }
    picks
}

/// The holdings of each account and asset, gathered in one pass: looked for
/// among all holdings for each planned sale, they cost the sales times the
/// open lots.
pub struct HeldBy<'h> {
    by: HashMap<(Sym, Sym), Vec<&'h Holding>>,
}

impl<'h> HeldBy<'h> {
    /// `holdings` by account and asset, each in the order given.
    pub fn new(holdings: &'h [Holding]) -> HeldBy<'h> {
        let mut by: HashMap<(Sym, Sym), Vec<&Holding>> = HashMap::new();
        for h in holdings {
            by.entry((h.account, h.asset)).or_default().push(h);
        }
        HeldBy { by }
    }

    /// The holdings of `asset` in `account`.
    pub fn of(&self, account: Sym, asset: Sym) -> &[&'h Holding] {
        self.by.get(&(account, asset)).map_or(&[], Vec::as_slice)
    }
}

/// The parts of `lots` (the holdings of one account and asset) that selling
/// `qty` takes in the order `key` sorts them: each holding with the units and
/// basis taken.
fn take_in_order<'h, K: Ord>(
    lots: &[&'h Holding],
    qty: Decimal,
    key: impl Fn(&Holding) -> K,
) -> Vec<(&'h Holding, Decimal, Decimal)> {
    let mut lots: Vec<&Holding> = lots.to_vec();
    // Each key once (a lot's key reads its ledger row): a sale of thousands
    // of lots called it twice per comparison. Stable, as before.
    lots.sort_by_cached_key(|h| key(h));
    let mut need = qty;
    let mut out = Vec::new();
    for h in lots {
        if need.is_zero() {
            break;
        }
        let take = need.min(h.qty);
        let basis = if take == h.qty {
            h.basis
        } else {
            h.basis * take / h.qty
        };
        out.push((h, take, basis));
        need -= take;
    }
    out
}

/// What selling `qty` of one asset from one account (`lots`, its holdings:
/// [`HeldBy::of`]) realizes when the lots are taken in pool order (the
/// configured method) rather than as the plan picks them.
pub fn by_method(
    ledger: &Ledger,
    lots: &[&Holding],
    outcome: &Outcome,
    qty: Decimal,
    price: Decimal,
) -> Decimal {
    let taken = take_in_order(lots, qty, |h| outcome.lot_key(ledger, h.lot));
    let basis: Decimal = taken.iter().map(|t| t.2).sum();
    cents(qty * price) - cents(basis)
}

/// What a sale realizes by term: the gain (negative: loss) from short-term
/// and from long-term lots, and the quantity taken from short-term lots.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TermSplit {
    /// Realized from lots held a year or less.
    pub short: Decimal,
    /// Realized from lots held more than a year.
    pub long: Decimal,
    /// Units taken from short-term lots: two sales of the same quantity
    /// move gain or loss between the terms exactly when these differ.
    pub short_qty: Decimal,
}

impl TermSplit {
    /// Adds one lot's part: `qty` units realizing `gain` in `term`.
    pub fn add(&mut self, term: Term, qty: Decimal, gain: Decimal) {
        match term {
            Term::Short => {
                self.short += gain;
                self.short_qty += qty;
            }
            Term::Long => self.long += gain,
        }
    }

    /// Whether `other` takes a different quantity from short-term lots, so
    /// that some of the gain or loss changes term (a different lot of the
    /// same term is not a change of term).
    pub fn term_differs(&self, other: &TermSplit) -> bool {
        self.short_qty != other.short_qty
    }
}

/// What selling `qty` of one asset from one account (`lots`, its holdings:
/// [`HeldBy::of`]) on `sold` realizes by FIFO (the law's default without
/// identification: oldest acquisition first), short-term and long-term apart.
pub fn by_fifo_terms(
    ledger: &Ledger,
    lots: &[&Holding],
    outcome: &Outcome,
    qty: Decimal,
    price: Decimal,
    sold: NaiveDate,
) -> TermSplit {
    let taken = take_in_order(lots, qty, |h| {
        let l = &outcome.lots[h.lot as usize];
        let rank = ledger.id_rank.get(l.row as usize).copied().unwrap_or(0);
        (ledger.rows[l.row as usize].time, rank, h.lot)
    });
    let mut split = TermSplit::default();
    for (h, take, basis) in taken {
        let gain = cents(take * price) - cents(basis);
        split.add(
            crate::tax::lot_term(&outcome.lots[h.lot as usize], sold),
            take,
            gain,
        );
    }
    split
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(term: Term, qty: i64, basis: i64, price: i64) -> Candidate {
        let day = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        let value = Decimal::from(qty * price);
        Candidate {
            asset: Sym::from_index(5),
            account: Sym::from_index(6),
            lot: 0,
            acquired: day,
            qty: Decimal::from(qty),
            basis: Decimal::from(basis),
            price: Decimal::from(price),
            value,
            unrealized: value - Decimal::from(basis),
            term,
            long_term_on: None,
            wash_risk: WashRisk::No,
        }
    }

    #[test]
    fn need_is_the_net_gain_plus_the_cap() {
        let y = YearSoFar {
            realized_st: Decimal::from(5000),
            realized_lt: Decimal::from(-1000),
            ..Default::default()
        };
        assert_eq!(
            loss_needed(&y, Decimal::from(3000), None),
            Decimal::from(7000)
        );
        assert_eq!(
            loss_needed(&y, Decimal::from(3000), Some(Decimal::from(100))),
            Decimal::from(100)
        );
        let loss = YearSoFar {
            realized_st: Decimal::from(-9000),
            ..Default::default()
        };
        assert_eq!(loss_needed(&loss, Decimal::from(3000), None), Decimal::ZERO);
    }

    #[test]
    fn short_term_losses_go_first_against_short_term_gains_and_the_last_lot_is_split() {
        let c = vec![
            cand(Term::Long, 10, 10_000, 500), // loss 5,000
            cand(Term::Short, 10, 5_000, 300), // loss 2,000
            cand(Term::Short, 10, 3_000, 200), // loss 1,000
        ];
        let y = YearSoFar {
            realized_st: Decimal::from(2500),
            ..Default::default()
        };
        let picks = plan(
            &c,
            &y,
            Decimal::from(5500),
            Decimal::ZERO,
            &Costs::default(),
            &HashSet::new(),
        );
        let got: Vec<(usize, String)> = picks
            .iter()
            .map(|p| (p.candidate, p.qty.normalize().to_string()))
            .collect();
        // ST 2,000 and 500 against the ST gain, then the other short-term 500,
        // then long-term for the last 2,500 (half that lot).
        assert_eq!(
            got,
            vec![(1, "10".into()), (2, "10".into()), (0, "5".into())]
        );
        let total: Decimal = picks.iter().map(Pick::gain).sum();
        assert_eq!(total, Decimal::from(-5500));
    }

    /// By hand: 10 units bought for 10,000, at 500 (a loss of 500 a unit).
    /// With a 1% fee and a 1% spread a unit sold fills at 495 and pays 4.95:
    /// proceeds 490.05, a loss of 509.95 a unit, so 1,019.90 of loss needs 2
    /// units (proceeds 980.10). The round trip of those 2 units costs:
    /// selling 1,000 - 990 + 9.90 = 19.90; buying back at 505 x 2 = 1,010,
    /// 10 + 10.10 = 20.10; 40.00 in all.
    #[test]
    fn costs_lower_the_proceeds_and_the_buy_back_costs_too() {
        let c = vec![cand(Term::Long, 10, 10_000, 500)];
        let costs = Costs {
            default_fee: Decimal::new(1, 2),
            spread: Decimal::new(1, 2),
            ..Costs::default()
        };
        let a = c[0].account;
        assert_eq!(
            costs.net_price(a, Decimal::from(500)),
            Decimal::new(49005, 2)
        );
        let picks = plan(
            &c,
            &YearSoFar::default(),
            Decimal::new(101990, 2),
            Decimal::ZERO,
            &costs,
            &HashSet::new(),
        );
        assert_eq!(picks.len(), 1);
        assert_eq!(picks[0].qty, Decimal::from(2));
        assert_eq!(picks[0].proceeds, Decimal::new(98010, 2));
        assert_eq!(picks[0].gain(), Decimal::new(-101990, 2));
        let rt = costs.round_trip(a, Decimal::from(2), Decimal::from(500));
        assert_eq!(rt.selling, Decimal::new(1990, 2));
        assert_eq!(rt.buy_back, Decimal::new(2010, 2));
        assert_eq!(rt.total(), Decimal::from(40));
        // A lot left out is not sold; with no costs the price is the price.
        let none = plan(
            &c,
            &YearSoFar::default(),
            Decimal::from(1000),
            Decimal::ZERO,
            &costs,
            &HashSet::from([0]),
        );
        assert!(none.is_empty());
        assert_eq!(
            Costs::default().net_price(a, Decimal::new(5001, 1)),
            Decimal::new(5001, 1)
        );
    }
}
