//! The simulated wash-sale rule (`--wash-window DAYS`; RULES.md §9.3, Treas. Reg.
//! §1.1091-1): a loss on units sold is disallowed to the extent that units of the
//! same asset were acquired (bought, or received in a trade) within the window
//! before or after the sale. Replacement units are matched in order of
//! acquisition, each unit at most once; the disallowed loss is added to their
//! basis and the sold units' holding period tacks on to theirs.
//!
//! Replacement units bought before the sale count while still held; units bought
//! after it get their adjustment when their purchase is applied.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{Config, Engine, EngineError, Leg, Origin, SCALE};
use crate::model::{Kind, Ledger, Sym};
use crate::time::date_in;

/// An adjustment waiting for a purchase that comes after the loss sale.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pending {
    pub qty: Decimal,
    pub add_basis: Decimal,
    pub tack_days: i64,
}

/// Acquisitions by asset, and what of them has replaced sold units.
pub(super) struct Wash {
    window: i64,
    acquisitions: HashMap<Sym, Vec<(NaiveDate, u32, Decimal)>>,
    used: HashMap<u32, Decimal>,
    pending: HashMap<u32, Vec<Pending>>,
}

impl Wash {
    pub fn new(ledger: &Ledger, cfg: &Config) -> Wash {
        let mut acquisitions: HashMap<Sym, Vec<(NaiveDate, u32, Decimal)>> = HashMap::default();
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
        for v in acquisitions.values_mut() {
            v.sort_by_key(|&(d, r, _)| (d, r));
        }
        Wash {
            window: i64::from(cfg.wash_window),
            acquisitions,
            used: HashMap::default(),
            pending: HashMap::default(),
        }
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
    let candidates: Vec<(u32, Decimal)> = match w.acquisitions.get(&d.asset) {
        Some(list) => {
            let start = list.partition_point(|&(date, _, _)| date < from);
            list[start..]
                .iter()
                .take_while(|&&(date, _, _)| date <= to)
                .filter(|&&(_, r, _)| r != i && !sold_rows.contains(&r))
                .map(|&(_, r, q)| (r, q))
                .collect()
        }
        None => return Ok(()),
    };
    for (r, qty) in candidates {
        let mut avail = qty - w.used.get(&r).copied().unwrap_or_default();
        if r < i {
            avail = avail.min(held_units(e, r, d.asset));
        }
        for l in losses.iter_mut() {
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
                carve(e, r, d.asset, m, add, tack_days)?;
            }
            *w.used.entry(r).or_default() += m;
            avail -= m;
            l.left -= m;
            l.disallowed += add;
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
fn held_units(e: &Engine<'_>, row: u32, asset: Sym) -> Decimal {
    let Some(lots) = e.lot_of_row.get(&row) else {
        return Decimal::ZERO;
    };
    let mut held = Decimal::ZERO;
    for &lot in lots {
        let key = e.out.lot_key(e.ledger, lot);
        for ((_, a), pool) in &e.pools {
            if *a == asset {
                held += pool.held(&key);
            }
        }
    }
    held
}

/// Moves `qty` held units of the lots opened by `acq_row` into a new lot with
/// `add` more basis and a holding period `tack_days` longer.
fn carve(
    e: &mut Engine<'_>,
    acq_row: u32,
    asset: Sym,
    qty: Decimal,
    add: Decimal,
    tack_days: i64,
) -> Result<(), Box<EngineError>> {
    let lots = e.lot_of_row.get(&acq_row).cloned().unwrap_or_default();
    let mut need = qty;
    for lot in lots {
        let key = e.out.lot_key(e.ledger, lot);
        let pool_keys: Vec<(Sym, Sym)> = e
            .pools
            .iter()
            .filter(|((_, a), p)| *a == asset && !p.held(&key).is_zero())
            .map(|(k, _)| *k)
            .collect();
        for pk in pool_keys {
            if need.is_zero() {
                return Ok(());
            }
            let mut taken: Vec<Leg> = Vec::new();
            if let Some(pool) = e.pools.get_mut(&pk) {
                let m = need.min(pool.held(&key));
                pool.take_from(&key, m, &mut taken, &orders!(e));
            }
            for t in taken {
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
    Ok(())
}
