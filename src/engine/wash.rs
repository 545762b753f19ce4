//! The simulated wash-sale rule (`--wash-window DAYS`; RULES.md §9.3, Treas. Reg.
//! §1.1091-1): a loss on units sold is disallowed to the extent that units of the
//! same asset were acquired (bought, or received in a trade) within the window
//! before or after the sale. Replacement units are matched in order of
//! acquisition, each unit at most once; the disallowed loss is added to their
//! basis and the sold units' holding period tacks on to theirs.
//!
//! Replacement units bought before the sale count while still held; units bought
//! after it get their adjustment when their purchase is applied.

use std::collections::VecDeque;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::skip::Skips;
use super::{Config, Engine, EngineError, Leg, LotIdx, Origin, SCALE};
use crate::model::{Kind, Ledger, Sym};
use crate::time::date_in;

/// An adjustment waiting for a purchase that comes after the loss sale.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pending {
    pub qty: Decimal,
    pub add_basis: Decimal,
    pub tack_days: i64,
}

/// A purchase that may replace sold units: its date, its row, the units it
/// bought.
type Acquisition = (NaiveDate, u32, Decimal);

/// Acquisitions by asset, and what of them has replaced sold units.
pub(super) struct Wash {
    window: i64,
    /// Each asset's acquisitions in date order, with the ones wholly used as
    /// replacements skipped: a sale's window is scanned from its start.
    acquisitions: HashMap<Sym, (Vec<Acquisition>, Skips)>,
    used: HashMap<u32, Decimal>,
    pending: HashMap<u32, Vec<Pending>>,
    /// The lots of each acquisition row that may still hold units.
    lots: LiveLots,
}

/// The lots of each acquisition row that may still hold units, for the
/// replacement lookups: each carve opens one more lot for the row, so a row
/// used as the replacement of many sales would have its every lot looked
/// through, again and again, long after most are gone. The engine's own list
/// of a row's lots is left whole: specific identification reads it.
#[derive(Debug, Default)]
pub(super) struct LiveLots {
    /// Units of each lot gone for good (disposed of, or carved into a
    /// replacement lot), by lot.
    gone: Vec<Decimal>,
    /// By row: how much of the engine's list has been read, and the lots read
    /// that were not all gone when last looked at, in the engine's order.
    rows: HashMap<u32, (usize, VecDeque<LotIdx>)>,
}

impl LiveLots {
    /// Reads on the lots the engine has opened for `row` since last time.
    fn sync(&mut self, e: &Engine<'_>, row: u32) {
        let all = e.lot_of_row.get(&row).map_or(&[][..], Vec::as_slice);
        let (read, live) = self.rows.entry(row).or_default();
        live.extend(&all[(*read).min(all.len())..]);
        *read = all.len();
    }
}

/// Notes in `gone` that `qty` units of `lot` are gone for good.
fn note_gone(gone: &mut Vec<Decimal>, lot: LotIdx, qty: Decimal) {
    let lot = lot as usize;
    if gone.len() <= lot {
        gone.resize(lot + 1, Decimal::ZERO);
    }
    gone[lot] += qty;
}

/// True when every unit of `lot` is gone for good: it holds nothing anywhere
/// (in transit neither), so leaving it out changes no sum and no carve.
fn all_gone(gone: &[Decimal], e: &Engine<'_>, lot: LotIdx) -> bool {
    gone.get(lot as usize)
        .is_some_and(|&g| g >= e.out.lots[lot as usize].qty)
}

impl Wash {
    pub fn new(ledger: &Ledger, cfg: &Config) -> Wash {
        let mut acquisitions: HashMap<Sym, Vec<Acquisition>> = HashMap::default();
        // A conversion buys nothing: its units are the old lots'.
        let conversions = cfg.assets.resolve(ledger);
        for (i, r) in ledger.rows.iter().enumerate() {
            if !matches!(r.kind, Kind::Buy | Kind::Trade) || conversions.of(r).is_some() {
                continue;
            }
            let Some(recv) = r.received.filter(|a| a.is_crypto()) else {
                continue;
            };
            let withheld = r
                .fee
                .filter(|f| f.asset == recv.asset)
                .map_or(Decimal::ZERO, |f| f.qty);
            acquisitions.entry(recv.asset).or_default().push((
                date_in(r.time, cfg.tz),
                i as u32,
                recv.qty - withheld,
            ));
        }
        let acquisitions = acquisitions
            .into_iter()
            .map(|(asset, mut list)| {
                list.sort_by_key(|&(d, r, _)| (d, r));
                let skips = Skips::none_done(list.len());
                (asset, (list, skips))
            })
            .collect();
        Wash {
            window: i64::from(cfg.wash_window),
            acquisitions,
            used: HashMap::default(),
            pending: HashMap::default(),
            lots: LiveLots::default(),
        }
    }

    /// Notes that `qty` units of `lot` are gone for good (disposed of).
    pub fn note_gone(&mut self, lot: LotIdx, qty: Decimal) {
        note_gone(&mut self.lots.gone, lot, qty);
    }

    /// The adjustments waiting for the purchase on `row`.
    pub fn take_pending(&mut self, row: u32) -> Vec<Pending> {
        self.pending.remove(&row).unwrap_or_default()
    }
}

/// A sold leg with a loss.
struct LossLeg {
    index: u32,
    qty: Decimal,
    left: Decimal,
    loss: Decimal,
    loss_per_unit: Decimal,
    holding_from: NaiveDate,
    disallowed: Decimal,
}

/// Checks the disposal just recorded (the last one) for a wash sale.
pub(super) fn apply(e: &mut Engine<'_>, w: &mut Wash, i: u32) -> Result<(), Box<EngineError>> {
    let Some(d) = e.out.disposals.last().cloned() else {
        return Ok(());
    };
    if d.qty.is_zero() {
        return Ok(());
    }
    let mut losses: Vec<LossLeg> = Vec::new();
    let mut sold_rows: HashSet<u32> = HashSet::default();
    for index in d.legs.clone() {
        let leg = e.out.legs[index as usize];
        let lot = &e.out.lots[leg.lot as usize];
        sold_rows.insert(lot.row);
        let row = &e.ledger.rows[i as usize];
        let proceeds = e.checked(row, super::mul_div(d.proceeds, leg.qty, d.qty), "wash loss")?;
        let loss = leg.basis - proceeds;
        if loss > Decimal::ZERO {
            let per_unit = loss.checked_div(leg.qty).map(|x| x.round_dp(SCALE));
            losses.push(LossLeg {
                index,
                qty: leg.qty,
                left: leg.qty,
                loss,
                loss_per_unit: e.checked(row, per_unit, "wash loss per unit")?,
                holding_from: lot.holding_from,
                disallowed: Decimal::ZERO,
            });
        }
    }
    if losses.is_empty() {
        return Ok(());
    }
    let from = d.date - chrono::Duration::days(w.window);
    let to = d.date + chrono::Duration::days(w.window);
    let Some((list, skips)) = w.acquisitions.get_mut(&d.asset) else {
        return Ok(());
    };
    let start = list.partition_point(|&(date, _, _)| date < from);
    // Units still to be matched: once none are, the rest of the window
    // changes nothing.
    let mut unmatched = losses.iter().filter(|l| !l.left.is_zero()).count();
    let mut open = 0;
    let mut k = skips.first_from(start);
    while let Some(&(date, r, qty)) = list.get(k) {
        let at = k;
        k = skips.first_from(k + 1);
        if date > to || unmatched == 0 {
            break;
        }
        if r == i || sold_rows.contains(&r) {
            continue;
        }
        let mut avail = qty - w.used.get(&r).copied().unwrap_or_default();
        if avail <= Decimal::ZERO {
            // Used up for good: `used` only grows.
            skips.take(at);
            continue;
        }
        if r < i {
            let Some(held) = held_units(e, &mut w.lots, r, d.asset) else {
                // Bought before this sale and none of it held, ever again.
                skips.take(at);
                continue;
            };
            avail = avail.min(held);
        }
        // Losses are matched in order: those before `open` are done.
        while losses.get(open).is_some_and(|l| l.left.is_zero()) {
            open += 1;
        }
        for l in losses[open..].iter_mut() {
            if avail <= Decimal::ZERO {
                break;
            }
            if l.left.is_zero() {
                continue;
            }
            let m = avail.min(l.left);
            let add = if m == l.qty {
                l.loss
            } else {
                let add = m.checked_mul(l.loss_per_unit).map(|x| x.round_dp(SCALE));
                e.checked(&e.ledger.rows[i as usize], add, "wash loss")?
            };
            let tack_days = (d.date - l.holding_from).num_days().max(0);
            if r > i {
                w.pending.entry(r).or_default().push(Pending {
                    qty: m,
                    add_basis: add,
                    tack_days,
                });
            } else {
                carve(e, &mut w.lots, r, d.asset, m, add, tack_days)?;
            }
            *w.used.entry(r).or_default() += m;
            avail -= m;
            l.left -= m;
            l.disallowed += add;
            if l.left.is_zero() {
                unmatched -= 1;
            }
        }
    }
    for l in losses {
        if l.disallowed > Decimal::ZERO {
            let whole = l.left.is_zero();
            e.out
                .disallowed
                .insert(l.index, (l.disallowed.min(l.loss), whole));
        }
    }
    Ok(())
}

/// Units of the lots opened by `row` still held anywhere.
/// None when none of them can hold any (all gone, or none opened): they never
/// will again, as only a carve or a conversion of their own units opens more.
fn held_units(e: &mut Engine<'_>, live: &mut LiveLots, row: u32, asset: Sym) -> Option<Decimal> {
    live.sync(e, row);
    let LiveLots { gone, rows } = live;
    let (_, lots) = rows.get_mut(&row)?;
    let mut held = Decimal::ZERO;
    // The lots all gone are dropped in the same pass.
    lots.retain(|&lot| {
        if all_gone(gone, e, lot) {
            return false;
        }
        let key = e.out.lot_key(e.ledger, lot);
        for i in 0..e.pools.accounts_of(asset).len() {
            let account = e.pools.accounts_of(asset)[i];
            if let Some(pool) = e.pools.get_mut(&(account, asset)) {
                held += pool.held(&key, &orders!(e));
            }
        }
        true
    });
    (!lots.is_empty()).then_some(held)
}

/// Moves `qty` held units of the lots opened by `acq_row` into a new lot with
/// `add` more basis and a holding period `tack_days` longer.
fn carve(
    e: &mut Engine<'_>,
    live: &mut LiveLots,
    acq_row: u32,
    asset: Sym,
    qty: Decimal,
    add: Decimal,
    tack_days: i64,
) -> Result<(), Box<EngineError>> {
    live.sync(e, acq_row);
    let LiveLots { gone, rows } = live;
    let Some((_, lots)) = rows.get_mut(&acq_row) else {
        return Ok(());
    };
    let mut need = qty;
    // The lots are taken from in order, so a carve walks only as far as it
    // takes from: the ones found all gone are dropped as they gather.
    let (mut n, mut passed_gone) = (0, 0);
    while n < lots.len() && !need.is_zero() {
        let lot = lots[n];
        n += 1;
        if all_gone(gone, e, lot) {
            passed_gone += 1;
            continue;
        }
        let key = e.out.lot_key(e.ledger, lot);
        // The pools holding the lot, with what each holds (taking from one
        // pool changes no other's).
        let mut holding: Vec<((Sym, Sym), Decimal)> = Vec::new();
        for i in 0..e.pools.accounts_of(asset).len() {
            let k = (e.pools.accounts_of(asset)[i], asset);
            if let Some(p) = e.pools.get_mut(&k) {
                let held = p.held(&key, &orders!(e));
                if !held.is_zero() {
                    holding.push((k, held));
                }
            }
        }
        // Held in several pools, the lot is taken from in the order the
        // pools have always been gone through (their map's): which pool's
        // units are carved decides where the adjusted basis goes.
        if holding.len() > 1 {
            let order: Vec<(Sym, Sym)> = (e.pools.keys())
                .filter(|k| holding.iter().any(|h| h.0 == **k))
                .copied()
                .collect();
            holding.sort_by_key(|h| order.iter().position(|k| *k == h.0));
        }
        for (pk, held) in holding {
            if need.is_zero() {
                break;
            }
            let mut taken: Vec<Leg> = Vec::new();
            if let Some(pool) = e.pools.get_mut(&pk) {
                pool.take_from(&key, need.min(held), &mut taken, &orders!(e));
            }
            for t in taken {
                note_gone(gone, lot, t.qty);
                let share = if t.qty == qty {
                    add
                } else {
                    (add * t.qty / qty).round_dp(SCALE)
                };
                let src = e.out.lots[lot as usize].clone();
                let acq = &e.ledger.rows[src.row as usize];
                let new = e.new_lot(
                    src.row,
                    acq,
                    asset,
                    t.qty,
                    t.basis + share,
                    Origin::Acquired,
                )?;
                let l = &mut e.out.lots[new as usize];
                l.holding_from = src.holding_from - chrono::Duration::days(tack_days);
                let nb = l.basis;
                if let Some(pool) = e.pools.get_mut(&pk) {
                    pool.put(
                        Leg {
                            lot: new,
                            qty: t.qty,
                            basis: nb,
                        },
                        &orders!(e),
                    );
                }
                need -= t.qty;
            }
        }
    }
    while lots.front().is_some_and(|&lot| all_gone(gone, e, lot)) {
        lots.pop_front();
    }
    if passed_gone * 2 > lots.len() {
        lots.retain(|&lot| !all_gone(gone, e, lot));
    }
    Ok(())
}
