//! A pool of lots of one asset (in one account, or universal), kept in the
//! method's order so the next lot to sell is always the first entry.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::{Leg, LotIdx, Method};

/// A lot's place in its pool: compared field by field. FIFO orders by time, LIFO
/// by reversed time, HIFO by highest unit basis then time; ties break by lot id
/// (its rank as a plain string), then by creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LotKey {
    neg_unit_basis: Decimal,
    time: i128,
    id_rank: u32,
    lot: LotIdx,
}

impl LotKey {
    /// The key of a lot under `method`.
    pub fn new(
        method: Method,
        acquired: DateTime<Utc>,
        unit_basis: Decimal,
        id_rank: u32,
        lot: LotIdx,
    ) -> LotKey {
        let t = i128::from(acquired.timestamp()) * 1_000_000_000
            + i128::from(acquired.timestamp_subsec_nanos());
        let (neg_unit_basis, time) = match method {
            Method::Fifo | Method::Specific => (Decimal::ZERO, t),
            Method::Lifo => (Decimal::ZERO, -t),
            Method::Hifo => (-unit_basis, t),
        };
        LotKey {
            neg_unit_basis,
            time,
            id_rank,
            lot,
        }
    }
}

/// The lots of one asset held in one place.
#[derive(Debug, Default)]
pub struct Pool {
    lots: BTreeMap<LotKey, Leg>,
    total: Decimal,
}

impl Pool {
    /// Units held.
    pub fn total(&self) -> Decimal {
        self.total
    }

    /// Adds units of a lot, merging with what the pool already holds of it.
    pub fn put(&mut self, key: LotKey, leg: Leg) {
        self.total += leg.qty;
        self.lots
            .entry(key)
            .and_modify(|l| {
                l.qty += leg.qty;
                l.basis += leg.basis;
            })
            .or_insert(leg);
    }

    /// Units of one lot held here.
    pub fn held(&self, key: &LotKey) -> Decimal {
        self.lots.get(key).map_or(Decimal::ZERO, |l| l.qty)
    }

    /// Takes up to `qty` in pool order, appending the parts to `out`.
    pub fn take(&mut self, qty: Decimal, out: &mut Vec<Leg>) {
        let mut need = qty;
        while need > Decimal::ZERO {
            let Some(mut entry) = self.lots.first_entry() else {
                break;
            };
            let leg = entry.get_mut();
            if leg.qty <= need {
                need -= leg.qty;
                out.push(entry.remove());
            } else {
                out.push(split(leg, need));
                need = Decimal::ZERO;
            }
        }
        self.total -= qty - need;
    }

    /// Takes `qty` (no more than it holds) of one lot.
    pub fn take_from(&mut self, key: &LotKey, qty: Decimal, out: &mut Vec<Leg>) {
        let Some(leg) = self.lots.get_mut(key) else {
            return;
        };
        let qty = qty.min(leg.qty);
        if leg.qty == qty {
            if let Some(l) = self.lots.remove(key) {
                out.push(l);
            }
        } else {
            out.push(split(leg, qty));
        }
        self.total -= qty;
    }

    /// The lots held, in pool order.
    pub fn legs(&self) -> impl Iterator<Item = &Leg> {
        self.lots.values()
    }
}

/// Splits `qty` off a lot part: basis pro rata, multiply first, kept to
/// [`super::SCALE`] decimals so that sums of parts stay exact; the part left keeps
/// the remainder, so the two add up exactly to what was there.
fn split(leg: &mut Leg, qty: Decimal) -> Leg {
    let basis = match leg.basis.checked_mul(qty) {
        Some(p) => p / leg.qty,
        None => leg.basis / leg.qty * qty,
    }
    .round_dp(super::SCALE);
    leg.qty -= qty;
    leg.basis -= basis;
    Leg {
        lot: leg.lot,
        qty,
        basis,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(m: Method, secs: i64, unit: i64, lot: u32) -> LotKey {
        let t = DateTime::<Utc>::from_timestamp(secs, 0).unwrap();
        LotKey::new(m, t, Decimal::from(unit), lot, lot)
    }

    fn leg(lot: u32, qty: i64, basis: i64) -> Leg {
        Leg {
            lot,
            qty: Decimal::from(qty),
            basis: Decimal::from(basis),
        }
    }

    fn order(m: Method) -> Vec<u32> {
        let mut p = Pool::default();
        p.put(key(m, 100, 10, 0), leg(0, 1, 10));
        p.put(key(m, 200, 30, 1), leg(1, 1, 30));
        p.put(key(m, 300, 20, 2), leg(2, 1, 20));
        let mut out = Vec::new();
        p.take(Decimal::from(3), &mut out);
        out.iter().map(|l| l.lot).collect()
    }

    #[test]
    fn each_method_takes_in_its_order() {
        assert_eq!(order(Method::Fifo), vec![0, 1, 2]);
        assert_eq!(order(Method::Lifo), vec![2, 1, 0]);
        assert_eq!(order(Method::Hifo), vec![1, 2, 0]);
    }

    #[test]
    fn split_conserves_basis_exactly() {
        let mut p = Pool::default();
        p.put(key(Method::Fifo, 1, 0, 0), leg(0, 3, 100));
        let mut out = Vec::new();
        for _ in 0..3 {
            p.take(Decimal::ONE, &mut out);
        }
        let sum: Decimal = out.iter().map(|l| l.basis).sum();
        assert_eq!(sum, Decimal::from(100));
        assert_eq!(p.total(), Decimal::ZERO);
        assert_eq!(p.legs().count(), 0);
    }

    #[test]
    fn parts_of_a_lot_merge_again() {
        let mut p = Pool::default();
        let k = key(Method::Fifo, 1, 0, 7);
        p.put(k, leg(7, 1, 10));
        p.put(k, leg(7, 2, 20));
        assert_eq!(p.held(&k), Decimal::from(3));
        assert_eq!(p.legs().count(), 1);
    }
}
