//! A pool of lots of one asset (in one account, or universal), kept in the
//! method's order so the next lot to sell is always the first entry.

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::{Leg, LotIdx, Method};
use crate::cell::order_key;

/// A lot's place in its pool: compared field by field. FIFO orders by time, LIFO
/// by reversed time, HIFO by highest unit basis then time; ties break by lot id
/// (its rank as a plain string), then by creation.
///
/// Each order is packed into plain integers, so that the ordered maps compare
/// keys with a few integer comparisons (a pool is searched on every put).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LotKey {
    /// FIFO, LIFO: time and id rank. HIFO: the unit basis, highest first.
    first: u128,
    /// HIFO: time and id rank. Otherwise zero.
    second: u128,
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
        LotKey::of_time(method, lot_time(acquired, id_rank), unit_basis, lot)
    }

    /// [`LotKey::new`], given the lot's `lot_time` (its time and id rank in one integer).
    pub fn of_time(method: Method, time: u128, unit_basis: Decimal, lot: LotIdx) -> LotKey {
        let (first, second) = match method {
            Method::Fifo | Method::Specific => (time, 0),
            Method::Lifo => {
                // Later first: the seconds and nanoseconds reversed, ties
                // still broken by the id's rank.
                let secs = !((time >> 64) as u64);
                let nanos = u32::MAX - (time >> 32) as u32;
                let rank = time as u32;
                (
                    (u128::from(secs) << 64) | (u128::from(nanos) << 32) | u128::from(rank),
                    0,
                )
            }
            Method::Hifo => (!order_key(unit_basis), time),
        };
        LotKey { first, second, lot }
    }
}

/// A lot's acquisition time and the rank of its row's id among the rows of
/// that instant, in one integer in their order: the seconds (sign flipped, so
/// that the unsigned order is the time order), the nanoseconds, the rank.
pub fn lot_time(acquired: DateTime<Utc>, id_rank: u32) -> u128 {
    let secs = (acquired.timestamp() as u64) ^ (1 << 63);
    let nanos = acquired.timestamp_subsec_nanos();
    (u128::from(secs) << 64) | (u128::from(nanos) << 32) | u128::from(id_rank)
}

/// The orders a run keeps its pools in: the configured method's first (the key
/// each [`super::Lot`] stores), then any other order a standing order or
/// the law's default FIFO from 2025 needs for some disposals.
pub struct Orders<'a> {
    pub methods: &'a [Method],
    pub lots: &'a [super::Lot],
    /// Each lot's [`lot_time`], by lot.
    pub times: &'a [u128],
}

impl Orders<'_> {
    /// The key of `lot` in order `j` (0: the primary order). Only a
    /// highest-basis order reads the lot itself: lots moved by a transfer are
    /// old ones, anywhere in memory, and their rows farther still.
    pub fn key(&self, j: usize, lot: LotIdx) -> LotKey {
        let method = self.methods[j];
        let unit_basis = match method {
            Method::Hifo => self.lots[lot as usize].unit_basis,
            Method::Fifo | Method::Lifo | Method::Specific => Decimal::ZERO,
        };
        LotKey::of_time(method, self.times[lot as usize], unit_basis, lot)
    }
}

/// A pool's lots in key order.
///
/// Under FIFO and LIFO nearly every lot arrives at one end of the order (a
/// purchase is the latest lot) or near the front (units moved from a wallet
/// that also sells its oldest first), and sales take from the front: a
/// double-ended queue does each in constant time, where a B-tree searched and
/// rebalanced on every put and take (a third of lot matching's instructions).
/// The first lot to arrive or leave far from both ends (HIFO orders by unit
/// basis; specific identification takes any lot) moves the pool into a B-tree
/// for good. The order, and so every figure, is the same either way.
#[derive(Debug)]
enum Lots<V> {
    Queue(VecDeque<(LotKey, V)>),
    Tree(BTreeMap<LotKey, V>),
}

/// How far from an end of a queue a lot may arrive or leave before the pool
/// becomes a B-tree: moving this many 88-byte entries costs about what a
/// B-tree's search does.
const NEAR_END: usize = 32;

/// The fewest waiting lots that are merged into a pool's lots in one pass
/// rather than put one by one, which near a queue's ends costs no more.
const SETTLE_MERGE: usize = 64;

impl<V> Default for Lots<V> {
    fn default() -> Self {
        Lots::Queue(VecDeque::new())
    }
}

impl<V> Lots<V> {
    /// The queue's place for `key`: Ok where an entry has it, Err where it
    /// would go.
    fn search(q: &VecDeque<(LotKey, V)>, key: &LotKey) -> Result<usize, usize> {
        q.binary_search_by(|(k, _)| k.cmp(key))
    }

    /// [`Lots::search`], looking first among the entries near the ends, where
    /// nearly every lot arrives (a lot moved by a transfer is older than most
    /// in its new pool): a search of the whole queue read an entry in its
    /// middle, long out of the cache, on each of its first steps.
    fn search_from_ends(q: &VecDeque<(LotKey, V)>, key: &LotKey) -> Result<usize, usize> {
        let n = q.len();
        // Where a search of `lo..hi` finds `key`, given that it sorts after
        // every entry before `lo` and before every entry from `hi` on.
        let within = |mut lo: usize, mut hi: usize| {
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                match q[mid].0.cmp(key) {
                    std::cmp::Ordering::Less => lo = mid + 1,
                    std::cmp::Ordering::Greater => hi = mid,
                    std::cmp::Ordering::Equal => return Ok(mid),
                }
            }
            Err(lo)
        };
        if n <= 2 * NEAR_END + 2 {
            return within(0, n);
        }
        if *key <= q[NEAR_END].0 {
            within(0, NEAR_END + 1)
        } else if *key > q[n - 1 - NEAR_END].0 {
            within(n - NEAR_END, n)
        } else {
            within(NEAR_END + 1, n - NEAR_END)
        }
    }

    /// Puts `v` under `key` when that is after the last entry or before the
    /// first of a queue, where it costs nothing; false, putting nothing,
    /// otherwise.
    fn put_at_an_end(&mut self, key: LotKey, v: V) -> bool {
        let Lots::Queue(q) = self else {
            return false;
        };
        if q.back().is_none_or(|(last, _)| *last < key) {
            q.push_back((key, v));
        } else if q.front().is_some_and(|(first, _)| key < *first) {
            q.push_front((key, v));
        } else {
            return false;
        }
        true
    }

    fn len(&self) -> usize {
        match self {
            Lots::Queue(q) => q.len(),
            Lots::Tree(t) => t.len(),
        }
    }

    /// The entries in key order, leaving the lots empty.
    fn take_entries(&mut self) -> Vec<(LotKey, V)> {
        match std::mem::take(self) {
            Lots::Queue(q) => q.into(),
            Lots::Tree(t) => t.into_iter().collect(),
        }
    }

    /// Whether place `i` of a queue of `n` entries is near one of its ends.
    fn near_end(i: usize, n: usize) -> bool {
        i <= NEAR_END || n - i <= NEAR_END
    }

    /// The lots as a B-tree, a queue moved into one first.
    fn as_tree(&mut self) -> &mut BTreeMap<LotKey, V> {
        if let Lots::Queue(q) = self {
            *self = Lots::Tree(std::mem::take(q).into_iter().collect());
        }
        match self {
            Lots::Tree(t) => t,
            Lots::Queue(_) => unreachable!("just made a tree"),
        }
    }

    /// Adds `v` under `key`, or merges it into the entry already there
    /// with `merge`; true when it was added.
    fn put(&mut self, key: LotKey, v: V, merge: impl FnOnce(&mut V, V)) -> bool {
        if let Lots::Queue(q) = self {
            if q.back().is_none_or(|(last, _)| *last < key) {
                q.push_back((key, v));
                return true;
            }
            if q.front().is_some_and(|(first, _)| key < *first) {
                q.push_front((key, v));
                return true;
            }
            match Self::search_from_ends(q, &key) {
                Ok(i) => {
                    merge(&mut q[i].1, v);
                    return false;
                }
                Err(i) if Self::near_end(i, q.len()) => {
                    q.insert(i, (key, v));
                    return true;
                }
                Err(_) => {}
            }
        }
        match self.as_tree().entry(key) {
            std::collections::btree_map::Entry::Occupied(mut e) => {
                merge(e.get_mut(), v);
                false
            }
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert(v);
                true
            }
        }
    }

    fn get(&self, key: &LotKey) -> Option<&V> {
        match self {
            Lots::Queue(q) => Self::search(q, key).ok().map(|i| &q[i].1),
            Lots::Tree(t) => t.get(key),
        }
    }

    fn get_mut(&mut self, key: &LotKey) -> Option<&mut V> {
        match self {
            Lots::Queue(q) => Self::search(q, key).ok().map(|i| &mut q[i].1),
            Lots::Tree(t) => t.get_mut(key),
        }
    }

    fn remove(&mut self, key: &LotKey) -> Option<V> {
        if let Lots::Queue(q) = self {
            let i = Self::search(q, key).ok()?;
            if Self::near_end(i, q.len()) {
                return q.remove(i).map(|(_, l)| l);
            }
        }
        self.as_tree().remove(key)
    }

    #[cfg(test)]
    fn is_empty(&self) -> bool {
        match self {
            Lots::Queue(q) => q.is_empty(),
            Lots::Tree(t) => t.is_empty(),
        }
    }

    /// The first entry's value.
    fn first(&self) -> Option<&V> {
        match self {
            Lots::Queue(q) => q.front().map(|(_, v)| v),
            Lots::Tree(t) => t.values().next(),
        }
    }

    /// The first entry's value, to change.
    fn first_mut(&mut self) -> Option<&mut V> {
        match self {
            Lots::Queue(q) => q.front_mut().map(|(_, l)| l),
            Lots::Tree(t) => t.values_mut().next(),
        }
    }

    /// Removes the first entry.
    fn pop_first(&mut self) -> Option<V> {
        match self {
            Lots::Queue(q) => q.pop_front().map(|(_, l)| l),
            Lots::Tree(t) => t.pop_first().map(|(_, l)| l),
        }
    }

    fn entries(&self) -> impl Iterator<Item = (&LotKey, &V)> {
        let (queue, tree) = match self {
            Lots::Queue(q) => (Some(q.iter().map(|(k, l)| (k, l))), None),
            Lots::Tree(t) => (None, Some(t.iter())),
        };
        queue
            .into_iter()
            .flatten()
            .chain(tree.into_iter().flatten())
    }

    fn into_values(self) -> Vec<V> {
        match self {
            Lots::Queue(q) => q.into_iter().map(|(_, l)| l).collect(),
            Lots::Tree(t) => t.into_values().collect(),
        }
    }
}

/// The lots of one asset held in one place.
#[derive(Debug, Default)]
pub struct Pool {
    lots: Lots<Leg>,
    /// The same lots in the run's other orders, when it has any: key in that
    /// order -> key in `lots`.
    alts: Vec<Lots<LotKey>>,
    total: Decimal,
    /// Lots put since the pool was last read that would have gone anywhere
    /// but at an end, with their keys, in the order put. Every read settles
    /// them first: a run of deposits into a wallet that has not sold since
    /// (transfers arriving after the last trade of a history) is then sorted
    /// and merged in one pass, where each put alone searched a B-tree out of
    /// the cache and faulted in its nodes.
    waiting: Vec<(LotKey, Leg)>,
}

impl Pool {
    /// Units held.
    pub fn total(&self) -> Decimal {
        self.total
    }

    /// Adds units of a lot, merging with what the pool already holds of it.
    /// A lot that goes anywhere but at an end of the pool's order waits, and
    /// is put in place by the pool's next read (`settle`); the
    /// total counts it at once.
    pub fn put(&mut self, leg: Leg, o: &Orders) {
        let key = o.key(0, leg.lot);
        self.total += leg.qty;
        if self.waiting.is_empty() && self.lots.put_at_an_end(key, leg) {
            self.add_alts(key, leg.lot, o);
        } else {
            self.waiting.push((key, leg));
        }
    }

    fn put_now(&mut self, key: LotKey, leg: Leg, o: &Orders) {
        let added = self.lots.put(key, leg, merge);
        if added {
            self.add_alts(key, leg.lot, o);
        }
    }

    /// Enters a lot new to the pool in its other orders.
    fn add_alts(&mut self, key: LotKey, lot: LotIdx, o: &Orders) {
        if o.methods.len() > 1 {
            self.alts.resize_with(o.methods.len() - 1, Lots::default);
            for (j, alt) in self.alts.iter_mut().enumerate() {
                alt.put(o.key(j + 1, lot), key, |k, key| *k = key);
            }
        }
    }

    /// Puts the waiting lots in place, as if each had been put when it came:
    /// the puts of one lot merge in the order they were made.
    fn settle(&mut self, o: &Orders) {
        if self.waiting.is_empty() {
            return;
        }
        let mut waiting = std::mem::take(&mut self.waiting);
        // Stable, so that the puts of one lot stay in the order they came.
        waiting.sort_by_key(|(key, _)| *key);
        // Few, or few against the lots held: each put alone (a queue may
        // become a B-tree). Many: one merge of two sorted runs into a queue,
        // linear in what the pool holds, which so many puts pay for.
        if waiting.len() < SETTLE_MERGE || waiting.len() * 16 < self.lots.len() {
            for (key, leg) in waiting.drain(..) {
                self.put_now(key, leg, o);
            }
        } else {
            let held = self.lots.take_entries();
            let mut merged: Vec<(LotKey, Leg)> = Vec::with_capacity(held.len() + waiting.len());
            let mut held = held.into_iter().peekable();
            for (key, leg) in waiting.drain(..) {
                merged.extend(std::iter::from_fn(|| held.next_if(|(k, _)| *k <= key)));
                match merged.last_mut() {
                    Some((k, l)) if *k == key => merge(l, leg),
                    _ => {
                        merged.push((key, leg));
                        self.add_alts(key, leg.lot, o);
                    }
                }
            }
            merged.extend(held);
            self.lots = Lots::Queue(merged.into());
        }
        // A small buffer is kept for the next run of puts; a large one is
        // freed rather than held for the rest of the run.
        if waiting.capacity() <= 4 * SETTLE_MERGE {
            self.waiting = waiting;
        }
    }

    /// Units of one lot held here.
    pub fn held(&mut self, key: &LotKey, o: &Orders) -> Decimal {
        self.settle(o);
        self.lots.get(key).map_or(Decimal::ZERO, |l| l.qty)
    }

    /// Takes up to `qty` in order `order` (0: the primary order), appending the
    /// parts to `out`.
    pub fn take(&mut self, order: usize, qty: Decimal, out: &mut Vec<Leg>, o: &Orders) {
        self.settle(o);
        if order > 0 {
            let mut need = qty;
            while need > Decimal::ZERO {
                let Some(&key) = self.alts.get(order - 1).and_then(|a| a.first()) else {
                    break;
                };
                let before = out.len();
                self.take_from(&key, need, out, o);
                let got: Decimal = out[before..].iter().map(|l| l.qty).sum();
                if got.is_zero() {
                    break;
                }
                need -= got;
            }
            return;
        }
        let mut need = qty;
        while need > Decimal::ZERO {
            let Some(leg) = self.lots.first_mut() else {
                break;
            };
            if leg.qty <= need {
                need -= leg.qty;
                let Some(l) = self.lots.pop_first() else {
                    break;
                };
                self.forget(l.lot, o);
                out.push(l);
            } else {
                out.push(split(leg, need));
                need = Decimal::ZERO;
            }
        }
        self.total -= qty - need;
    }

    /// Takes `qty` (no more than it holds) of one lot.
    pub fn take_from(&mut self, key: &LotKey, qty: Decimal, out: &mut Vec<Leg>, o: &Orders) {
        self.settle(o);
        let Some(leg) = self.lots.get_mut(key) else {
            return;
        };
        let qty = qty.min(leg.qty);
        if leg.qty == qty {
            if let Some(l) = self.lots.remove(key) {
                self.forget(l.lot, o);
                out.push(l);
            }
        } else {
            out.push(split(leg, qty));
        }
        self.total -= qty;
    }

    /// Drops a lot that left the pool from the other orders.
    fn forget(&mut self, lot: LotIdx, o: &Orders) {
        for (j, alt) in self.alts.iter_mut().enumerate() {
            alt.remove(&o.key(j + 1, lot));
        }
    }

    /// Takes every lot out, in the primary order.
    pub fn drain(&mut self, o: &Orders) -> Vec<Leg> {
        self.settle(o);
        self.total = Decimal::ZERO;
        for alt in &mut self.alts {
            *alt = Lots::default();
        }
        std::mem::take(&mut self.lots).into_values()
    }

    /// The lots held with their keys in the primary order, in that order.
    pub fn entries(&mut self, o: &Orders) -> impl Iterator<Item = (&LotKey, &Leg)> {
        self.settle(o);
        self.lots.entries()
    }
}

/// Adds a part put into a pool to what it holds of the same lot.
fn merge(l: &mut Leg, leg: Leg) {
    l.qty += leg.qty;
    l.basis += leg.basis;
}

/// Splits `qty` off a lot part: basis pro rata, multiply first, kept to
/// [`super::SCALE`] decimals so that sums of parts stay exact; the part left keeps
/// the remainder, so the two add up exactly to what was there.
pub(super) fn split(leg: &mut Leg, qty: Decimal) -> Leg {
    let basis = pro_rata(leg.basis, qty, leg.qty);
    leg.qty -= qty;
    leg.basis -= basis;
    Leg {
        lot: leg.lot,
        qty,
        basis,
    }
}

/// `basis * part / whole`, rounded once (half to even) to [`super::SCALE`]
/// decimals.
pub(super) fn pro_rata(basis: Decimal, part: Decimal, whole: Decimal) -> Decimal {
    pro_rata_int(basis, part, whole).unwrap_or_else(|| {
        match basis.checked_mul(part) {
            Some(p) => p / whole,
            None => basis / whole * part,
        }
        .round_dp(super::SCALE)
    })
}

/// [`pro_rata`] in 128-bit integers, exact: the mantissas' product scaled to
/// [`super::SCALE`] places, one division, one rounding. None when a step would
/// overflow (the caller then uses Decimal arithmetic) or `whole` is not positive.
pub(super) fn pro_rata_int(basis: Decimal, part: Decimal, whole: Decimal) -> Option<Decimal> {
    if whole <= Decimal::ZERO || part.is_sign_negative() {
        return None;
    }
    let (b, p, w) = (
        basis.mantissa().unsigned_abs(),
        part.mantissa().unsigned_abs(),
        whole.mantissa().unsigned_abs(),
    );
    // value = b*p/w * 10^-(sb + sp - sw); wanted at 10^-SCALE.
    let e = super::SCALE as i32 + whole.scale() as i32 - basis.scale() as i32 - part.scale() as i32;
    let pow = 10u128.checked_pow(e.unsigned_abs())?;
    let (num, den) = if e >= 0 {
        (b.checked_mul(p)?.checked_mul(pow)?, w)
    } else {
        (b.checked_mul(p)?, w.checked_mul(pow)?)
    };
    let mut q = num / den;
    let r = num % den;
    let rest = den - r;
    if r > rest || (r == rest && q & 1 == 1) {
        q += 1;
    }
    let q = i128::try_from(q).ok()?;
    let q = if basis.is_sign_negative() { -q } else { q };
    Decimal::try_from_i128_with_scale(q, super::SCALE).ok()
}

#[cfg(test)]
mod tests {
    use super::super::{Lot, Origin};
    use super::*;

    /// Lots acquired at `secs` with `unit` basis per unit, and their times
    /// (the ids ranked in lot order).
    fn lots(_methods: &[Method], spec: &[(i64, i64)]) -> (Vec<Lot>, Vec<u128>) {
        spec.iter()
            .enumerate()
            .map(|(i, &(secs, unit))| {
                let t = DateTime::<Utc>::from_timestamp(secs, 0).unwrap();
                let unit = Decimal::from(unit);
                let lot = Lot {
                    row: i as u32,
                    asset: crate::model::Sym::USD,
                    acquired_date: t.date_naive(),
                    holding_from: t.date_naive(),
                    qty: Decimal::ONE,
                    basis: unit,
                    origin: Origin::Acquired,
                    always_long: false,
                    came_back: false,
                    unit_basis: unit,
                };
                (lot, lot_time(t, RANKS.get(i).copied().unwrap_or(i as u32)))
            })
            .unzip()
    }

    fn leg(lot: u32, qty: i64, basis: i64) -> Leg {
        Leg {
            lot,
            qty: Decimal::from(qty),
            basis: Decimal::from(basis),
        }
    }

    const SPEC: [(i64, i64); 3] = [(100, 10), (200, 30), (300, 20)];
    const RANKS: [u32; 3] = [0, 1, 2];

    proptest::proptest! {
        /// Searching from the ends finds what a search of the whole queue
        /// finds: keys present and absent, before, between and after the
        /// entries, in queues of every length around the ends' reach, their
        /// storage wrapped around or not.
        #[test]
        fn a_search_from_the_ends_is_a_binary_search(
            n in 0usize..(4 * NEAR_END),
            gap in 2u128..4,
            pick in 0usize..12,
            any in 0usize..(4 * NEAR_END),
            delta in 0u128..3,
            rotate in 0usize..8,
        ) {
            let mut q: VecDeque<(LotKey, ())> = VecDeque::new();
            // Pushed to the front too, so that the storage wraps.
            for i in (0..rotate.min(n)).rev() {
                q.push_front((key(i as u128 * gap + 1), ()));
            }
            for i in rotate.min(n)..n {
                q.push_back((key(i as u128 * gap + 1), ()));
            }
            // Near an entry (just before it, it, just after it), most often
            // one at the edge of an end's reach.
            let edge = [0, NEAR_END - 1, NEAR_END, NEAR_END + 1, n.saturating_sub(NEAR_END + 2)];
            let at = match pick {
                0..5 => edge[pick],
                5..10 => (n + 4).saturating_sub(NEAR_END + 10 - pick),
                _ => any,
            };
            let k = key(at as u128 * gap + delta);
            proptest::prop_assert_eq!(Lots::search_from_ends(&q, &k), Lots::search(&q, &k));
        }
    }

    proptest::proptest! {
        /// Keys made from a lot's packed time order lots as the methods say:
        /// FIFO oldest first, LIFO newest first, HIFO highest unit basis
        /// first and then oldest; at one instant the id's rank first, then
        /// the lot. Times a second apart, a nanosecond apart, and before 1970.
        #[test]
        fn keys_order_lots_as_the_methods_say(
            a in (-2i64..2, 0u32..3, 0u32..3, 0i64..3),
            b in (-2i64..2, 0u32..3, 0u32..3, 0i64..3),
        ) {
            use std::cmp::Reverse;
            let time = |(secs, nanos, _, _): (i64, u32, u32, i64)| {
                DateTime::<Utc>::from_timestamp(secs, nanos).unwrap()
            };
            let key = |m, x: (i64, u32, u32, i64), lot| {
                LotKey::new(m, time(x), Decimal::from(x.3), x.2, lot)
            };
            let (ka, kb) = (|m| key(m, a, 0), |m| key(m, b, 1));
            let want = (time(a), a.2, 0).cmp(&(time(b), b.2, 1));
            proptest::prop_assert_eq!(ka(Method::Fifo).cmp(&kb(Method::Fifo)), want);
            proptest::prop_assert_eq!(
                ka(Method::Lifo).cmp(&kb(Method::Lifo)),
                (Reverse(time(a)), a.2, 0).cmp(&(Reverse(time(b)), b.2, 1))
            );
            proptest::prop_assert_eq!(
                ka(Method::Hifo).cmp(&kb(Method::Hifo)),
                (Reverse(a.3), time(a), a.2, 0).cmp(&(Reverse(b.3), time(b), b.2, 1))
            );
        }
    }

    fn order(m: Method) -> Vec<u32> {
        let methods = [m];
        let (l, times) = lots(&methods, &SPEC);
        let o = Orders {
            methods: &methods,
            lots: &l,
            times: &times,
        };
        let mut p = Pool::default();
        for (i, &(_, b)) in SPEC.iter().enumerate() {
            p.put(leg(i as u32, 1, b), &o);
        }
        let mut out = Vec::new();
        p.take(0, Decimal::from(3), &mut out, &o);
        out.iter().map(|l| l.lot).collect()
    }

    #[test]
    fn each_method_takes_in_its_order() {
        assert_eq!(order(Method::Fifo), vec![0, 1, 2]);
        assert_eq!(order(Method::Lifo), vec![2, 1, 0]);
        assert_eq!(order(Method::Hifo), vec![1, 2, 0]);
    }

    #[test]
    fn a_pool_keeps_other_orders_in_step() {
        let methods = [Method::Fifo, Method::Hifo, Method::Lifo];
        let (l, times) = lots(&methods, &SPEC);
        let o = Orders {
            methods: &methods,
            lots: &l,
            times: &times,
        };
        let mut p = Pool::default();
        for (i, &(_, b)) in SPEC.iter().enumerate() {
            p.put(leg(i as u32, 1, b), &o);
        }
        let mut out = Vec::new();
        // HIFO takes lot 1; FIFO then lot 0; LIFO the last, lot 2.
        p.take(1, Decimal::ONE, &mut out, &o);
        p.take(0, Decimal::ONE, &mut out, &o);
        p.take(2, Decimal::from(5), &mut out, &o);
        assert_eq!(out.iter().map(|l| l.lot).collect::<Vec<_>>(), vec![1, 0, 2]);
        assert_eq!(p.total(), Decimal::ZERO);
        assert!(p.alts.iter().all(Lots::is_empty));
    }

    #[test]
    fn split_conserves_basis_exactly() {
        let methods = [Method::Fifo];
        let (l, times) = lots(&methods, &[(1, 0)]);
        let o = Orders {
            methods: &methods,
            lots: &l,
            times: &times,
        };
        let mut p = Pool::default();
        p.put(leg(0, 3, 100), &o);
        let mut out = Vec::new();
        for _ in 0..3 {
            p.take(0, Decimal::ONE, &mut out, &o);
        }
        let sum: Decimal = out.iter().map(|l| l.basis).sum();
        assert_eq!(sum, Decimal::from(100));
        assert_eq!(p.total(), Decimal::ZERO);
        assert_eq!(p.entries(&o).count(), 0);
    }

    #[test]
    fn pro_rata_in_integers_rounds_once_half_to_even() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        // 1/3 of 100.00 and of 0.01.
        assert_eq!(
            pro_rata(d("100.00"), d("1"), d("3")),
            d("33.3333333333333333")
        );
        assert_eq!(pro_rata(d("0.01"), d("1"), d("3")), d("0.0033333333333333"));
        // An exact half at the 17th place goes to the even neighbour.
        let half = d("0.00000000000000005");
        assert_eq!(pro_rata(half, d("1"), d("1")), d("0"));
        assert_eq!(
            pro_rata(d("0.00000000000000015"), d("1"), d("1")),
            d("0.0000000000000002")
        );
        // Negative basis (never from a ledger, but kept symmetric).
        assert_eq!(
            pro_rata(d("-100.00"), d("1"), d("3")),
            d("-33.3333333333333333")
        );
        // Too large for 128 bits: the Decimal path, same value.
        let big = d("79228162514264337593543950.335");
        assert_eq!(pro_rata(big, d("1"), d("1")), big.round_dp(16));
        // Agrees with Decimal arithmetic wherever that does not round twice.
        for (b, p, w) in [
            ("1247.5", "0.13559258", "311.875"),
            ("3475.54", "1737770", "1737771.5"),
            ("12.3456789012345678", "0.5", "7"),
            ("999999999.99", "0.00000001", "21000000"),
        ] {
            let (b, p, w) = (d(b), d(p), d(w));
            assert_eq!(pro_rata(b, p, w), (b * p / w).round_dp(16), "{b} {p} {w}");
        }
    }

    #[test]
    fn parts_of_a_lot_merge_again() {
        let methods = [Method::Fifo];
        let (l, times) = lots(&methods, &[(1, 0)]);
        let o = Orders {
            methods: &methods,
            lots: &l,
            times: &times,
        };
        let mut p = Pool::default();
        p.put(leg(0, 1, 10), &o);
        p.put(leg(0, 2, 20), &o);
        assert_eq!(p.held(&o.key(0, 0), &o), Decimal::from(3));
        assert_eq!(p.entries(&o).count(), 1);
    }

    proptest::proptest! {
        /// Puts left waiting and settled by the next read give what putting
        /// each at once gives (a plain list of lots here): the same parts
        /// taken in either order, of any lot, the same units held and the
        /// same lots listed. Lots of many times, so that most puts land
        /// between others; runs of puts shorter and longer than
        /// [`SETTLE_MERGE`], so that both ways of settling are taken.
        #[test]
        fn waiting_puts_settle_as_if_put_at_once(
            spec in proptest::collection::vec((0i64..30, 1i64..40), 1..40),
            ops in proptest::collection::vec(
                (
                    proptest::collection::vec((0usize..40, 1i64..30, 0i64..50_000), 0..2 * SETTLE_MERGE),
                    (0u8..3, 0usize..40, 1i64..60, 0usize..2),
                ),
                0..12,
            ),
        ) {
            let methods = [Method::Fifo, Method::Hifo];
            let (l, times) = lots(&methods, &spec);
            let o = Orders { methods: &methods, lots: &l, times: &times };
            let n = spec.len();
            let mut p = Pool::default();
            let mut model: Vec<Leg> = Vec::new();
            let (mut got, mut want) = (Vec::new(), Vec::new());
            for (puts, (what, lot, qty, j)) in ops {
                for (lot, qty, cents) in puts {
                    let part = leg((lot % n) as u32, qty, 0);
                    let part = Leg { basis: Decimal::new(cents, 2), ..part };
                    p.put(part, &o);
                    match model.iter_mut().find(|m| m.lot == part.lot) {
                        Some(m) => merge(m, part),
                        None => model.push(part),
                    }
                }
                let (lot, qty) = ((lot % n) as u32, Decimal::from(qty));
                match what {
                    0 => {
                        p.take(j, qty, &mut got, &o);
                        let mut need = qty;
                        while need > Decimal::ZERO && !model.is_empty() {
                            let (i, _) = model
                                .iter()
                                .enumerate()
                                .min_by_key(|(_, m)| o.key(j, m.lot))
                                .unwrap();
                            if model[i].qty <= need {
                                need -= model[i].qty;
                                want.push(model.remove(i));
                            } else {
                                want.push(split(&mut model[i], need));
                                need = Decimal::ZERO;
                            }
                        }
                    }
                    1 => {
                        p.take_from(&o.key(0, lot), qty, &mut got, &o);
                        if let Some(i) = model.iter().position(|m| m.lot == lot) {
                            if model[i].qty <= qty {
                                want.push(model.remove(i));
                            } else {
                                want.push(split(&mut model[i], qty));
                            }
                        }
                    }
                    _ => {
                        let held = model.iter().find(|m| m.lot == lot).map_or(Decimal::ZERO, |m| m.qty);
                        proptest::prop_assert_eq!(p.held(&o.key(0, lot), &o), held);
                    }
                }
                // Compared as written, scale and all.
                proptest::prop_assert_eq!(format!("{got:?}"), format!("{want:?}"));
                proptest::prop_assert_eq!(p.total(), model.iter().map(|m| m.qty).sum::<Decimal>());
            }
            model.sort_by_key(|m| o.key(0, m.lot));
            let listed: Vec<Leg> = p.entries(&o).map(|(_, l)| *l).collect();
            proptest::prop_assert_eq!(format!("{listed:?}"), format!("{model:?}"));
        }
    }

    /// An operation on a pool's lots, for the model test below.
    #[derive(Debug, Clone)]
    enum Op {
        Put(u128, u32),
        Remove(u128),
        PopFirst,
        AddToFirst(u32),
    }

    fn key(k: u128) -> LotKey {
        LotKey {
            first: k,
            second: 0,
            lot: 0,
        }
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        prop_oneof![
            4 => (0u128..400, 1u32..9).prop_map(|(k, v)| Op::Put(k, v)),
            2 => (0u128..400).prop_map(Op::Remove),
            2 => Just(Op::PopFirst),
            1 => (1u32..9).prop_map(Op::AddToFirst),
        ]
    }

    proptest::proptest! {
        /// The queue (and the tree it may become) holds what a B-tree holds,
        /// in the same order, whatever the keys' pattern: runs that grow at
        /// the back or the front, and keys anywhere.
        #[test]
        fn lots_are_a_sorted_map(
            ops in proptest::collection::vec(op(), 0..300),
            rising in proptest::bool::ANY,
        ) {
            let mut lots: Lots<u32> = Lots::default();
            let mut model: BTreeMap<LotKey, u32> = BTreeMap::new();
            for (n, op) in ops.into_iter().enumerate() {
                // Half the runs put most keys in a rising sequence, as
                // purchases under FIFO do.
                let op = match op {
                    Op::Put(k, v) if rising && n % 4 != 0 => Op::Put(1000 + n as u128 * 3 + k % 3, v),
                    op => op,
                };
                match op {
                    Op::Put(k, v) => {
                        let added = lots.put(key(k), v, |old, v| *old += v);
                        let was = model.contains_key(&key(k));
                        *model.entry(key(k)).or_insert(0) += v;
                        proptest::prop_assert_eq!(added, !was);
                    }
                    Op::Remove(k) => {
                        proptest::prop_assert_eq!(lots.remove(&key(k)), model.remove(&key(k)));
                    }
                    Op::PopFirst => {
                        proptest::prop_assert_eq!(lots.pop_first(), model.pop_first().map(|(_, v)| v));
                    }
                    Op::AddToFirst(v) => {
                        if let Some(x) = lots.first_mut() {
                            *x += v;
                        }
                        if let Some(mut e) = model.first_entry() {
                            *e.get_mut() += v;
                        }
                    }
                }
                proptest::prop_assert_eq!(lots.first(), model.values().next());
                let mine: Vec<u32> = lots.entries().map(|(_, &v)| v).collect();
                let theirs: Vec<u32> = model.values().copied().collect();
                proptest::prop_assert_eq!(mine, theirs);
                for k in [0u128, 7, 399, 1003] {
                    proptest::prop_assert_eq!(lots.get(&key(k)), model.get(&key(k)));
                }
            }
            let all: Vec<u32> = model.into_values().collect();
            proptest::prop_assert_eq!(lots.into_values(), all);
        }
    }
}
