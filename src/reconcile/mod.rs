//! Form 1099-DA reconciliation: a broker's 1099-DA rows against our own Form 8949
//! rows of the tax year, and the routing of the matched rows to the box, codes
//! and column (g) adjustment the form wants (RULES.md §1.1, §1.3, §1.4, §1.5).
//!
//! [`read_1099da`] reads the broker's CSV; [`reconcile`] matches each broker row
//! to one of our disposals (same account, asset, date sold and units; ±1 day when
//! nothing matches on the date) and routes the matched rows:
//!
//! - box G (short) / J (long) when box 2 says basis reported, else H / K, by our
//!   own term;
//! - column (d) is the broker's 1f, spread over the disposal's rows (ours when
//!   1f is lower than what was received); column (e)
//!   the broker's 1g likewise in G/J, our own basis in H/K;
//! - column (g) is whatever keeps each row's (h) equal to our own gain, with the
//!   codes that explain it: B (basis differs), E (the broker's proceeds are
//!   higher: transaction costs it left out), T (box 6 states another term), and
//!   W kept. When the broker's proceeds are lower than ours, column (d) holds our
//!   own (the correct figure, as the column (d) instructions say), not theirs.
//!
//! Rows with no broker row keep their box. Pure functions over values: the
//! command reads the files and renders.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};

pub use crate::readers::form_1099da::{
    BrokerRow, BrokerTerm, CellError, Checkbox, DaError, read_1099da,
};

use crate::engine::Outcome;
use crate::model::Ledger;
use crate::tax::form8949::{cents, mul_div};
use crate::tax::{Box8949, GainRow, Term};

impl BrokerTerm {
    /// Whether the broker's term is our term.
    pub fn is(self, t: Term) -> bool {
        matches!(
            (self, t),
            (BrokerTerm::Short, Term::Short) | (BrokerTerm::Long, Term::Long)
        )
    }
}

/// Which of our quantities the broker's units matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitsMatch {
    /// The disposal's whole quantity.
    Disposal,
    /// The units sent, without a fee paid in the same asset.
    WithoutFee,
    /// The rows of one term of a disposal that spans both.
    TermPart(Term),
}

impl UnitsMatch {
    /// As CSV and JSON write it.
    pub fn as_str(self) -> &'static str {
        match self {
            UnitsMatch::Disposal => "disposal",
            UnitsMatch::WithoutFee => "disposal_without_fee",
            UnitsMatch::TermPart(Term::Short) => "short_term_part",
            UnitsMatch::TermPart(Term::Long) => "long_term_part",
        }
    }
}

/// One of our Form 8949 rows matched to a broker row, with its share of the
/// broker's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedLine {
    /// Index into the rows given to [`reconcile`] (and into `routed`).
    pub row: usize,
    /// This row's share of box 1f: column (d).
    pub broker_proceeds: Decimal,
    /// This row's share of box 1g, when the form gives one.
    pub broker_basis: Option<Decimal>,
}

/// A broker row matched to (part of) one of our disposals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// Index into [`Outcome::disposals`].
    pub disposal: u32,
    pub units: UnitsMatch,
    /// Our date sold minus the broker's, in days (0, or ±1 when the dates
    /// differ, as time zones make them).
    pub date_shift: i64,
    pub lines: Vec<MatchedLine>,
    /// Our rows' totals.
    pub our_proceeds: Decimal,
    pub our_basis: Decimal,
    pub our_gain: Decimal,
    /// Box 1f (in cents) minus our proceeds.
    pub proceeds_difference: Decimal,
    /// Box 1g (in cents) minus our basis, when 1g is given.
    pub basis_difference: Option<Decimal>,
    /// Box 6 states a term that is not ours for some row.
    pub term_differs: bool,
}

/// One broker row and what it matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Index into the broker rows given to [`reconcile`].
    pub broker: usize,
    /// `None`: only the broker has it.
    pub matched: Option<Match>,
}

/// The whole reconciliation of a tax year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconciliation {
    /// One per broker row, in the order given.
    pub items: Vec<Item>,
    /// Our rows (indices) in accounts with a 1099-DA that no broker row matched.
    pub only_ours: Vec<usize>,
    /// Our rows (indices) in accounts with no 1099-DA at all.
    pub no_1099da: Vec<usize>,
    /// Every row given, in the same order, with the matched ones routed.
    pub routed: Vec<GainRow>,
}

impl Reconciliation {
    /// How many broker rows only the broker has.
    pub fn broker_only(&self) -> usize {
        self.items.iter().filter(|i| i.matched.is_none()).count()
    }

    /// How many broker rows matched.
    pub fn matched(&self) -> usize {
        self.items.len() - self.broker_only()
    }
}

/// Totals for the summary of a reconciliation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub broker_rows: usize,
    pub matched: usize,
    pub broker_only: usize,
    /// Our rows matched, only ours, and in accounts without a 1099-DA.
    pub matched_rows: usize,
    pub only_ours_rows: usize,
    pub no_1099da_rows: usize,
    /// Box 1f of every broker row, of the matched ones, and of the broker-only.
    pub broker_proceeds: Decimal,
    pub broker_proceeds_matched: Decimal,
    pub broker_proceeds_only: Decimal,
    /// Our proceeds of the matched rows and of the only-ours rows.
    pub our_proceeds_matched: Decimal,
    pub our_proceeds_only: Decimal,
    /// Box 1g of the matched rows that give one, and our basis of the same rows.
    pub broker_basis_matched: Decimal,
    pub our_basis_matched: Decimal,
}

impl Summary {
    /// Sums a reconciliation.
    pub fn of(r: &Reconciliation, broker: &[BrokerRow], rows: &[GainRow]) -> Summary {
        let mut s = Summary {
            broker_rows: r.items.len(),
            only_ours_rows: r.only_ours.len(),
            no_1099da_rows: r.no_1099da.len(),
            ..Summary::default()
        };
        for it in &r.items {
            let b = &broker[it.broker];
            s.broker_proceeds += cents(b.proceeds);
            match &it.matched {
                None => {
                    s.broker_only += 1;
                    s.broker_proceeds_only += cents(b.proceeds);
                }
                Some(m) => {
                    s.matched += 1;
                    s.matched_rows += m.lines.len();
                    s.broker_proceeds_matched += cents(b.proceeds);
                    s.our_proceeds_matched += m.our_proceeds;
                    if let Some(g) = b.basis {
                        s.broker_basis_matched += cents(g);
                        s.our_basis_matched += m.our_basis;
                    }
                }
            }
        }
        s.our_proceeds_only = r.only_ours.iter().map(|&i| rows[i].proceeds).sum();
        s
    }
}

/// One of our disposals of the year, as a candidate for broker rows.
#[derive(Debug, Clone)]
struct Candidate<'a> {
    disposal: u32,
    account: &'a str,
    qty: Decimal,
    /// The units sent, when a fee in the same asset makes `qty` larger.
    sent: Option<Decimal>,
    /// Row indices per term: (term, rows, quantity), short first.
    parts: Vec<(Term, Vec<usize>, Decimal)>,
    /// Which parts a broker row took.
    used: Vec<bool>,
}

/// What a broker row found: the candidate, how its units matched, our rows
/// taken and the date shift.
type Found = (usize, UnitsMatch, Vec<usize>, i64);

/// Our quantity as the broker writes it: rounded to the broker's decimals.
fn same_units(ours: Decimal, broker: Decimal) -> bool {
    ours.round_dp_with_strategy(broker.scale(), RoundingStrategy::MidpointAwayFromZero) == broker
}

/// Matches the broker rows of tax year `year` to our rows of that year (`rows`,
/// in ledger order, as [`crate::tax::build_rows_where`] builds them) and routes
/// the matched rows. Errors: a broker row naming an account the ledger has not,
/// or sold outside the year (a day's grace either side, for time zones).
pub fn reconcile(
    ledger: &Ledger,
    outcome: &Outcome,
    rows: &[GainRow],
    broker: &[BrokerRow],
    year: i32,
) -> Result<Reconciliation, DaError> {
    let accounts: HashSet<&str> = ledger
        .rows
        .iter()
        .map(|r| ledger.syms.name(r.account))
        .collect();
    let first = NaiveDate::from_ymd_opt(year, 1, 1).and_then(|d| d.pred_opt());
    let last = NaiveDate::from_ymd_opt(year, 12, 31).and_then(|d| d.succ_opt());
    for b in broker {
        if !accounts.contains(b.account.as_str()) {
            let mut known: Vec<&str> = accounts.iter().copied().collect();
            known.sort_unstable();
            return Err(DaError::UnknownAccount {
                file: b.file.clone(),
                line: b.line,
                account: b.account.clone(),
                known: if known.is_empty() {
                    "none, it has no rows".into()
                } else {
                    known.join(", ")
                },
            });
        }
        if first.is_some_and(|f| b.date_sold < f) || last.is_some_and(|l| b.date_sold > l) {
            return Err(DaError::OutsideYear {
                file: b.file.clone(),
                line: b.line,
                date: b.date_sold,
                year,
                other: b.date_sold.year(),
            });
        }
    }

    // Our disposals of the year, by (account, asset, date), in ledger order.
    let mut cands: Vec<Candidate<'_>> = Vec::new();
    let mut by_key: HashMap<(&str, String, NaiveDate), Vec<usize>> = HashMap::new();
    let mut i = 0;
    while i < rows.len() {
        let di = rows[i].disposal;
        let mut j = i;
        while j < rows.len() && rows[j].disposal == di {
            j += 1;
        }
        let d = &outcome.disposals[di as usize];
        let row = &ledger.rows[d.row as usize];
        let account = ledger.syms.name(row.account);
        let asset = ledger.syms.name(d.asset);
        let sent = row
            .sent
            .filter(|s| s.asset == d.asset && s.qty != d.qty)
            .map(|s| s.qty);
        let mut parts: Vec<(Term, Vec<usize>, Decimal)> = Vec::new();
        for t in [Term::Short, Term::Long] {
            let idx: Vec<usize> = (i..j).filter(|&k| rows[k].term == t).collect();
            if !idx.is_empty() {
                let q = idx.iter().map(|&k| rows[k].quantity).sum();
                parts.push((t, idx, q));
            }
        }
        by_key
            .entry((account, asset.to_ascii_uppercase(), d.date))
            .or_default()
            .push(cands.len());
        cands.push(Candidate {
            disposal: di,
            account,
            qty: d.qty,
            sent,
            used: vec![false; parts.len()],
            parts,
        });
        i = j;
    }

    let asks: Vec<Ask<'_>> = (broker.iter())
        .map(|b| {
            (
                b.account.as_str(),
                b.asset.to_ascii_uppercase(),
                b.date_sold,
                b.units,
            )
        })
        .collect();
    let found = find_matches(&asks, &by_key, &mut cands);

    let mut routed = rows.to_vec();
    let mut items = Vec::with_capacity(broker.len());
    for (bi, f) in found.into_iter().enumerate() {
        let b = &broker[bi];
        let matched = f.map(|(ci, units, idx, shift)| {
            let m = route_group(b, rows, &idx, &mut routed);
            Match {
                disposal: cands[ci].disposal,
                units,
                date_shift: shift,
                ..m
            }
        });
        items.push(Item {
            broker: bi,
            matched,
        });
    }

    let with_da: HashSet<&str> = broker.iter().map(|b| b.account.as_str()).collect();
    let mut only_ours = Vec::new();
    let mut no_1099da = Vec::new();
    for c in &cands {
        let list = if with_da.contains(c.account) {
            &mut only_ours
        } else {
            &mut no_1099da
        };
        for (p, used) in c.parts.iter().zip(&c.used) {
            if !used {
                list.extend(p.1.iter().copied());
            }
        }
    }
    only_ours.sort_unstable();
    no_1099da.sort_unstable();
    // A sale of an account whose broker's form does not list it was not
    // reported to the user on a 1099-DA: box I or L (the form decides).
    if year >= 2025 {
        for &i in &only_ours {
            let r = &mut routed[i];
            r.box_ = match r.term {
                Term::Short => Box8949::I,
                Term::Long => Box8949::L,
            };
        }
    }
    Ok(Reconciliation {
        items,
        only_ours,
        no_1099da,
        routed,
    })
}

/// What a broker row asks for: (account, asset in upper case, date sold, units).
type Ask<'a> = (&'a str, String, NaiveDate, Decimal);

/// The sale each broker row (`asks`, in the form's order) takes among the
/// candidates (`by_key`: their indices by account, asset and date, each list
/// in ledger order): first every row on its own date, then ±1 day for those
/// left (a row on its own date is never taken by a neighbour's); on a day,
/// the first sale in ledger order whose units it matches ([`take`]).
fn find_matches(
    asks: &[Ask<'_>],
    by_key: &HashMap<(&str, String, NaiveDate), Vec<usize>>,
    cands: &mut [Candidate<'_>],
) -> Vec<Option<Found>> {
    // Each day's sales by the units a broker row may give them, made for each
    // number of decimals the form uses when it first asks: a bot's thousands
    // of sales a day were otherwise walked again for each row of the form.
    let mut by_units: HashMap<(&(&str, String, NaiveDate), u32), ByUnits> = HashMap::new();
    let mut found: Vec<Option<Found>> = vec![None; asks.len()];
    for shifts in [&[0i64][..], &[-1, 1]] {
        for (bi, &(account, ref asset, date_sold, units)) in asks.iter().enumerate() {
            if found[bi].is_some() {
                continue;
            }
            'shift: for &shift in shifts {
                let Some(date) = date_sold.checked_add_signed(chrono::Duration::days(shift)) else {
                    continue;
                };
                let Some((key, list)) = by_key.get_key_value(&(account, asset.clone(), date))
                else {
                    continue;
                };
                let scale = units.scale();
                let index = by_units
                    .entry((key, scale))
                    .or_insert_with(|| ByUnits::new(list, cands, scale));
                // The day's sales that may give these units, in ledger order:
                // the first that does is the one a walk of the day finds. One
                // that does not cannot later (its units are taken), so it goes.
                let Some(queue) = index.0.get_mut(&units.normalize()) else {
                    continue;
                };
                while let Some(&ci) = queue.front() {
                    if let Some((how, rows_taken)) = take(&mut cands[ci], units) {
                        found[bi] = Some((ci, how, rows_taken, shift));
                        break 'shift;
                    }
                    queue.pop_front();
                }
            }
        }
    }
    found
}

/// A day's sales by each quantity a broker row may give one of them, at one
/// number of decimals: its whole quantity, the units sent without a
/// same-asset fee, and each term's part of a disposal of both terms (what
/// [`take`] matches), rounded as [`same_units`] rounds; each list in ledger
/// order.
struct ByUnits(HashMap<Decimal, std::collections::VecDeque<usize>>);

impl ByUnits {
    fn new(day: &[usize], cands: &[Candidate<'_>], scale: u32) -> ByUnits {
        let mut by: HashMap<Decimal, std::collections::VecDeque<usize>> = HashMap::new();
        let round = |q: Decimal| {
            q.round_dp_with_strategy(scale, RoundingStrategy::MidpointAwayFromZero)
                .normalize()
        };
        for &ci in day {
            let c = &cands[ci];
            let parts = c.parts.iter().filter(|_| c.parts.len() > 1).map(|p| p.2);
            for q in [Some(c.qty), c.sent].into_iter().flatten().chain(parts) {
                let list = by.entry(round(q)).or_default();
                if list.back() != Some(&ci) {
                    list.push_back(ci);
                }
            }
        }
        ByUnits(by)
    }
}

/// Takes the part of a candidate the broker's units match, if any: the whole
/// disposal (all of it, or without a same-asset fee) when no part is taken yet,
/// else one term of a disposal that spans both.
fn take(c: &mut Candidate<'_>, units: Decimal) -> Option<(UnitsMatch, Vec<usize>)> {
    if !c.used.iter().any(|u| *u) {
        let how = if same_units(c.qty, units) {
            Some(UnitsMatch::Disposal)
        } else if c.sent.is_some_and(|s| same_units(s, units)) {
            Some(UnitsMatch::WithoutFee)
        } else {
            None
        };
        if let Some(how) = how {
            c.used.iter_mut().for_each(|u| *u = true);
            return Some((how, c.parts.iter().flat_map(|p| p.1.clone()).collect()));
        }
    }
    if c.parts.len() < 2 {
        return None;
    }
    for (p, used) in c.parts.iter().zip(c.used.iter_mut()) {
        if !*used && same_units(p.2, units) {
            *used = true;
            return Some((UnitsMatch::TermPart(p.0), p.1.clone()));
        }
    }
    None
}

/// Routes the rows `idx` matched to broker row `b` (writing them into
/// `routed`) and sums the comparison.
fn route_group(b: &BrokerRow, rows: &[GainRow], idx: &[usize], routed: &mut [GainRow]) -> Match {
    let ours =
        |f: fn(&GainRow) -> Decimal| -> Vec<Decimal> { idx.iter().map(|&i| f(&rows[i])).collect() };
    let qty = ours(|r| r.quantity);
    let our_proceeds = ours(|r| r.proceeds);
    let proceeds = spread(b.proceeds, &our_proceeds, &qty);
    // A broker that reports less than was received is corrected in column (d)
    // itself (Form 8949 instructions, column (d)): the rows keep our proceeds.
    let lower = cents(b.proceeds) < our_proceeds.iter().sum::<Decimal>();
    let basis = b.basis.map(|g| spread(g, &ours(|r| r.cost_basis), &qty));
    let mut lines = Vec::with_capacity(idx.len());
    let mut term_differs = false;
    for (n, &i) in idx.iter().enumerate() {
        let e = basis.as_ref().map(|v| v[n]);
        let d = if lower { our_proceeds[n] } else { proceeds[n] };
        routed[i] = route_row(&rows[i], d, e, b.basis_reported, b.term);
        term_differs |= b.term.is_some_and(|t| !t.is(rows[i].term));
        lines.push(MatchedLine {
            row: i,
            broker_proceeds: proceeds[n],
            broker_basis: e,
        });
    }
    let our_proceeds: Decimal = idx.iter().map(|&i| rows[i].proceeds).sum();
    let our_basis: Decimal = idx.iter().map(|&i| rows[i].cost_basis).sum();
    Match {
        disposal: 0,
        units: UnitsMatch::Disposal,
        date_shift: 0,
        lines,
        our_proceeds,
        our_basis,
        our_gain: idx.iter().map(|&i| rows[i].gain).sum(),
        proceeds_difference: cents(b.proceeds) - our_proceeds,
        basis_difference: b.basis.map(|g| cents(g) - our_basis),
        term_differs,
    }
}

/// One matched row as Form 8949 wants it (RULES.md §1.1, §1.3, §1.4): `d` is
/// its share of box 1f (or, when the broker reports less than was received, our
/// own proceeds: column (d) holds the correct figure); `broker_basis` its share
/// of box 1g, if given.
///
/// - Box G/J when basis was reported to the IRS, else H/K, by our term.
/// - (e): the broker's basis in G/J (wrong or not: the form's note), ours in H/K.
/// - (g) = our gain - ((d) - (e)), so that (h) is exactly our gain.
/// - Codes, alphabetical: B when the broker's basis is not ours; E when its
///   proceeds exceed ours (costs it left out, a negative part of (g)); O when
///   `d` still falls short of ours (another adjustment); T when box 6 states
///   another term; W kept from the wash-sale rule.
pub fn route_row(
    r: &GainRow,
    d: Decimal,
    broker_basis: Option<Decimal>,
    basis_reported: bool,
    broker_term: Option<BrokerTerm>,
) -> GainRow {
    let box_ = match (basis_reported, r.term) {
        (true, Term::Short) => Box8949::G,
        (true, Term::Long) => Box8949::J,
        (false, Term::Short) => Box8949::H,
        (false, Term::Long) => Box8949::K,
    };
    let e = match (basis_reported, broker_basis) {
        (true, Some(g)) => g,
        _ => r.cost_basis,
    };
    let mut code = crate::tax::AdjustmentCode::NONE;
    if broker_basis.is_some_and(|g| g != r.cost_basis) {
        code.push('B');
    }
    if d > r.proceeds {
        code.push('E');
    }
    if d < r.proceeds {
        code.push('O');
    }
    if broker_term.is_some_and(|t| !t.is(r.term)) {
        code.push('T');
    }
    if r.adjustment_code.contains('W') {
        code.push('W');
    }
    GainRow {
        box_,
        proceeds: d,
        cost_basis: e,
        adjustment_code: code,
        adjustment: r.gain - (d - e),
        ..r.clone()
    }
}

/// Spreads `total` (rounded to cents) over rows in proportion to `weights` (or
/// to `fallback` when the weights are zero or negative), by running totals: a
/// row gets round(total through it) - round(total before it), so the shares
/// add up to the cents of `total` exactly. With weights equal to our own rows'
/// amounts, a broker total equal to ours gives back exactly our rows.
pub fn spread(total: Decimal, weights: &[Decimal], fallback: &[Decimal]) -> Vec<Decimal> {
    let total = cents(total);
    let usable = |w: &[Decimal]| {
        w.iter().all(|x| *x >= Decimal::ZERO) && !w.iter().sum::<Decimal>().is_zero()
    };
    let w = if usable(weights) { weights } else { fallback };
    let sum: Decimal = w.iter().sum();
    let mut out = Vec::with_capacity(w.len());
    let mut cum = Decimal::ZERO;
    let mut before = Decimal::ZERO;
    for (n, x) in w.iter().enumerate() {
        cum += x;
        let through = if n + 1 == w.len() || sum.is_zero() {
            total
        } else {
            cents(mul_div(total, cum, sum))
        };
        out.push(through - before);
        before = through;
    }
    out
}

#[cfg(test)]
mod tests;
