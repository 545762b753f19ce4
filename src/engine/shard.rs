//! Matching the lots of different assets on two threads.
//!
//! Lots never move between assets (but for the conversions harvest.toml
//! `[assets]` makes, whose runs stay serial), so the pools of one asset depend
//! only on the rows that touch it, plus values computed from each row alone (its USD side,
//! prices, and the last price each asset traded at, which every shard tracks
//! for all assets). Each shard pairs the transfers of its own assets (a
//! transfer moves one asset), applies every row but only the parts of its own
//! assets; the outcomes are then merged in the order a serial run makes them:
//! by row, then by the part of the row (a third-asset fee, the sent side, the
//! received side), then by creation within the shard. Runs that need the
//! whole ledger at once (selections, wash sales, a frozen allocation) stay
//! serial, and so does any run that meets an error, so that the first error is
//! reported exactly as always.

use std::cmp::Reverse;

use super::{Config, Engine, Outcome, Parallel, Selections};
use crate::model::{Ledger, Sym};

/// Rows below which two threads do not pay for themselves.
const MIN_ROWS: usize = 50_000;

/// One row in this many is read to weigh the assets.
const SAMPLE: usize = 8;

/// The state of one shard.
pub(super) struct Shard<'a> {
    index: usize,
    /// By symbol: whether this shard matches the asset.
    mask: Vec<bool>,
    /// By symbol: the rank of its name, for the allocation's asset order.
    ranks: &'a [u32],
    /// Where the engine is, as a [`position`].
    pub at: u64,
    /// The position each disposal and allocation line was made at.
    pub disposal_pos: Vec<u64>,
    pub allocation_pos: Vec<u64>,
    /// Assets of this shard held in several wallets at the allocation.
    pub shared: usize,
}

impl<'a> Shard<'a> {
    pub fn new(index: usize, mask: Vec<bool>, ranks: &'a [u32]) -> Shard<'a> {
        Shard {
            index,
            mask,
            ranks,
            at: 0,
            disposal_pos: Vec::new(),
            allocation_pos: Vec::new(),
            shared: 0,
        }
    }

    /// The shard that makes the warnings not tied to an asset.
    pub fn first(&self) -> bool {
        self.index == 0
    }

    pub fn has(&self, asset: Sym) -> bool {
        self.mask
            .get(asset.index() as usize)
            .copied()
            .unwrap_or(false)
    }

    pub fn rank(&self, asset: Sym) -> u64 {
        u64::from(self.ranks.get(asset.index() as usize).copied().unwrap_or(0))
    }
}

/// An order-preserving number for a point of a run: before row `row`, the
/// `phase` (1: the allocation, 2: applying the row) and, within it, `part`.
pub(super) fn position(row: u32, phase: u64, part: u64) -> u64 {
    (u64::from(row) << 24) | (phase << 20) | (part & 0xF_FFFF)
}

/// What one shard produced.
pub(super) struct Part {
    out: Outcome,
    disposal_pos: Vec<u64>,
    allocation_pos: Vec<u64>,
    shared: usize,
}

impl Engine<'_> {
    pub(super) fn into_part(self) -> Part {
        let s = self.shard.expect("a sharded engine");
        Part {
            out: self.out,
            disposal_pos: s.disposal_pos,
            allocation_pos: s.allocation_pos,
            shared: s.shared,
        }
    }
}

/// The assets of each shard, as masks by symbol, when the run can be sharded.
pub(super) fn plan(
    ledger: &Ledger,
    cfg: &Config,
    selections: Option<&Selections>,
) -> Option<Vec<Vec<bool>>> {
    let allowed = match cfg.parallel {
        Parallel::Off => false,
        Parallel::Always => true,
        Parallel::Auto => {
            ledger.rows.len() >= MIN_ROWS
                && std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2)
        }
    };
    if !allowed || selections.is_some() || cfg.wash_window > 0 || cfg.transition.frozen.is_some() {
        return None;
    }
    // A conversion moves lots between assets, against the premise above.
    if !cfg.assets.is_empty() {
        return None;
    }
    // Rows touching each asset, as a measure of its work, counted on a sample
    // of the rows (a pass over all of them costs more than it balances).
    let n = ledger.syms.len();
    let mut weight = vec![0u64; n];
    for r in ledger.rows.iter().step_by(SAMPLE) {
        for a in [r.sent, r.received, r.fee].into_iter().flatten() {
            if a.is_crypto()
                && let Some(w) = weight.get_mut(a.asset.index() as usize)
            {
                *w += 1;
            }
        }
    }
    if weight.iter().filter(|&&w| w > 0).count() < 2 {
        return None;
    }
    // Every symbol goes to a shard (accounts too, harmlessly), so that an asset
    // the sample missed is still matched.
    let mut syms: Vec<usize> = (0..n).collect();
    syms.sort_by_key(|&a| (Reverse(weight[a]), a));
    let mut masks = vec![vec![false; n]; 2];
    let mut load = [0u64; 2];
    for (k, a) in syms.into_iter().enumerate() {
        let to = if weight[a] > 0 {
            usize::from(load[1] < load[0])
        } else {
            k % 2
        };
        masks[to][a] = true;
        load[to] += weight[a];
    }
    Some(masks)
}

/// The rank of each symbol's name in name order.
pub(super) fn name_ranks(ledger: &Ledger) -> Vec<u32> {
    let n = ledger.syms.len();
    let mut by_name: Vec<usize> = (0..n).collect();
    by_name.sort_by_key(|&k| ledger.syms.name(Sym::from_index(k as u32)));
    let mut ranks = vec![0u32; n];
    for (r, k) in by_name.into_iter().enumerate() {
        ranks[k] = r as u32;
    }
    ranks
}

/// The items of all parts in the order a serial run would have made them,
/// given each part's positions (one per item, non-decreasing within a part).
/// Equal positions (the start of the run) keep the parts' order. `f` adjusts
/// each item on the way.
fn interleave<T>(parts: Vec<(Vec<T>, &[u64])>, f: impl Fn(usize, &mut T)) -> Vec<T> {
    // The parts go one after the other into the first one's room (reserved
    // for every row), then into serial order in place: at ten million rows a
    // second list of the disposals would take 300 MB more for a moment.
    let mut out: Vec<T> = Vec::new();
    // (serial position, place in `out`): sorted, the order of a merge that
    // takes the earlier part on a tie.
    let mut keys: Vec<(u64, u32)> = Vec::new();
    for (p, (mut items, pos)) in parts.into_iter().enumerate() {
        items.truncate(pos.len());
        for (item, &at) in items.iter_mut().zip(pos) {
            f(p, item);
            keys.push((at, keys.len() as u32));
        }
        if out.is_empty() {
            out = items;
        } else {
            out.append(&mut items);
        }
    }
    keys.sort_unstable();
    let order: Vec<u32> = keys.into_iter().map(|(_, i)| i).collect();
    crate::memory::permute(&mut out, &order);
    out
}

/// One outcome from the shards' outcomes, equal to a serial run's where it can
/// be seen: the disposals (and so the Form 8949 rows), the holdings, the
/// allocation and the warnings come in serial order. The lots and legs are the
/// shards' one after the other, renumbered; lot numbers only order the lots of
/// one pool, which are all in one shard, in the same order. Nothing is copied
/// twice, so memory stays close to a serial run's.
pub(super) fn merge(ledger: &Ledger, cfg: &Config, mut parts: Vec<Part>) -> Outcome {
    let mut out = Outcome {
        method: parts.first().map(|p| p.out.method).unwrap_or_default(),
        ..Outcome::default()
    };
    // Where each part's lots and legs start in the merged lists.
    let mut lot_base = Vec::with_capacity(parts.len());
    let mut leg_base = Vec::with_capacity(parts.len());
    let (mut lots, mut legs) = (0u32, 0u32);
    for p in &parts {
        lot_base.push(lots);
        leg_base.push(legs);
        lots += p.out.lots.len() as u32;
        legs += p.out.legs.len() as u32;
    }
    let mut disposals = Vec::with_capacity(parts.len());
    let mut allocation = Vec::with_capacity(parts.len());
    let mut shared = 0;
    for (p, part) in parts.iter_mut().enumerate() {
        let lb = lot_base[p];
        shared += part.shared;
        let o = &mut part.out;
        if p == 0 {
            // The first part's lots and legs keep their numbers and their place.
            out.lots = std::mem::take(&mut o.lots);
            out.legs = std::mem::take(&mut o.legs);
            out.lots.reserve_exact(lots as usize - out.lots.len());
            out.legs.reserve_exact(legs as usize - out.legs.len());
        } else {
            // A lot's key is made from its number when asked for.
            out.lots.append(&mut o.lots);
            out.legs
                .extend(std::mem::take(&mut o.legs).into_iter().map(|mut l| {
                    l.lot += lb;
                    l
                }));
        }
        disposals.push((std::mem::take(&mut o.disposals), &part.disposal_pos[..]));
        allocation.push((std::mem::take(&mut o.allocation), &part.allocation_pos[..]));
        out.holdings
            .extend(std::mem::take(&mut o.holdings).into_iter().map(|mut h| {
                h.lot += lb;
                h
            }));
        out.warnings.merge(std::mem::take(&mut o.warnings));
        out.late_identified += o.late_identified;
        out.own_transfers.append(&mut o.own_transfers);
        out.incomes.append(&mut o.incomes);
        out.gifts_received.append(&mut o.gifts_received);
        out.flags.append(&mut o.flags);
        out.outside.append(&mut o.outside);
        out.moves
            .extend(std::mem::take(&mut o.moves).into_iter().map(|mut m| {
                m.lot += lb;
                m
            }));
        let base = lb;
        out.dual_basis.extend(
            std::mem::take(&mut o.dual_basis)
                .into_iter()
                .map(|(l, d)| (l + base, d)),
        );
        if out.priced.len() < o.priced.len() {
            out.priced.resize(o.priced.len(), 0);
        }
        for (a, b) in out.priced.iter_mut().zip(&o.priced) {
            *a += b;
        }
    }
    // Each withdrawal is one shard's, so its row orders them as a serial run.
    out.own_transfers.sort_unstable_by_key(|t| t.0);
    // Each income row is one shard's (its asset's).
    out.incomes.sort_unstable_by_key(|t| t.row);
    out.gifts_received.sort_unstable_by_key(|t| t.row);
    // Stable: a row's moves keep their order.
    out.moves.sort_by_key(|m| m.row);
    out.flags.sort_unstable();
    out.outside.sort_unstable_by_key(|x| x.0);
    out.flags.dedup();
    out.disposals = interleave(disposals, |p, d: &mut super::Disposal| {
        d.legs = d.legs.start + leg_base[p]..d.legs.end + leg_base[p];
    });
    out.allocation = interleave(allocation, |p, a: &mut super::Allocated| {
        a.lot += lot_base[p]
    });
    // Holdings, sorted as a serial snapshot sorts them.
    let mut holdings = std::mem::take(&mut out.holdings);
    super::outcome::sort_holdings(ledger, &out, &mut holdings);
    out.holdings = holdings;
    super::allocation::allocation_warnings(cfg, &mut out.warnings, shared);
    out
}
