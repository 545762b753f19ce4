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

use rust_decimal::Decimal;

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

/// Whether the lots of each asset depend only on the rows that touch it: not
/// with the wash-sale rule or a frozen allocation (which read the whole
/// ledger at once), nor with a conversion (which moves lots between assets,
/// against the premise above).
pub(super) fn separable(cfg: &Config) -> bool {
    cfg.wash_window == 0 && cfg.transition.frozen.is_none() && cfg.assets.is_empty()
}

/// The assets of each shard, as masks by symbol, when the run can be sharded.
pub(super) fn plan(
    ledger: &Ledger,
    cfg: &Config,
    selections: Option<&Selections>,
) -> Option<Vec<Vec<bool>>> {
    if selections.is_some() || !separable(cfg) {
        return None;
    }
    split(ledger, cfg, None)
}

/// The symbols of `only` (all without it) split over two shards by the rows
/// touching each asset, when two threads may and are worth it.
pub(super) fn split(
    ledger: &Ledger,
    cfg: &Config,
    only: Option<&[bool]>,
) -> Option<Vec<Vec<bool>>> {
    let allowed = match cfg.parallel {
        Parallel::Off => false,
        Parallel::Always => true,
        Parallel::Auto => ledger.rows.len() >= MIN_ROWS && crate::threads::two_cores(),
    };
    if !allowed {
        return None;
    }
    let n = ledger.syms.len();
    let wanted = |a: usize| only.is_none_or(|m| m.get(a).copied().unwrap_or(false));
    // Rows touching each asset, as a measure of its work, counted on a sample
    // of the rows (a pass over all of them costs more than it balances).
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
    if (0..n).filter(|&a| wanted(a) && weight[a] > 0).count() < 2 {
        return None;
    }
    // Every symbol wanted goes to a shard (accounts too, harmlessly), so that
    // an asset the sample missed is still matched.
    let mut syms: Vec<usize> = (0..n).filter(|&a| wanted(a)).collect();
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
    // The other parts are merged into the first one's room (reserved for
    // every row) from the back, as in a merge sort's last step: each item
    // moves once, in order, with no second list (at ten million rows one
    // would take 300 MB more for a moment) and no sort of positions.
    let mut parts: Vec<(Vec<T>, &[u64])> = parts
        .into_iter()
        .enumerate()
        .map(|(p, (mut items, pos))| {
            items.truncate(pos.len());
            items.iter_mut().for_each(|item| f(p, item));
            let n = items.len();
            (items, &pos[..n])
        })
        .collect();
    if parts.is_empty() {
        return Vec::new();
    }
    let total: usize = parts.iter().map(|(items, _)| items.len()).sum();
    let (mut out, pos0) = parts.remove(0);
    out.reserve_exact(total - out.len());
    // How many items of each other part are still to place, and where they are.
    let mut rest: Vec<(usize, *const T, &[u64])> = parts
        .iter_mut()
        .map(|(items, pos)| {
            let n = items.len();
            // SAFETY: the items are moved out below, each once; with a length
            // of 0 their vector then frees its room without dropping them.
            unsafe { items.set_len(0) };
            (n, items.as_ptr(), *pos)
        })
        .collect();
    let mut n0 = out.len();
    let base = out.as_mut_ptr();
    // The next place to fill, from the back. The first part's unplaced items
    // lie below it (`k > n0` while another part has items left), so no write
    // lands on an item not yet moved.
    let mut k = total;
    while k > n0 {
        // The latest position left; on a tie the later part goes later.
        let mut best: Option<(u64, usize)> = n0.checked_sub(1).map(|i| (pos0[i], 0));
        for (r, &(left, _, pos)) in rest.iter().enumerate() {
            if left > 0 && best.is_none_or(|b| (pos[left - 1], r + 1) > b) {
                best = Some((pos[left - 1], r + 1));
            }
        }
        k -= 1;
        // SAFETY: `k < total` lies in `out`'s room; the item read is one not
        // yet placed (index `n0 - 1` of the first part, or `left - 1` of its
        // part), and it is read once; `out`'s length covers only the first
        // part's items until the end, so a slot written above it is never
        // dropped before it holds an item.
        unsafe {
            match best {
                Some((_, 0)) | None => {
                    n0 -= 1;
                    std::ptr::copy_nonoverlapping(base.add(n0), base.add(k), 1);
                }
                Some((_, r)) => {
                    let (left, src, _) = &mut rest[r - 1];
                    *left -= 1;
                    std::ptr::copy_nonoverlapping(src.add(*left), base.add(k), 1);
                }
            }
        }
    }
    // SAFETY: every slot below `total` now holds an item: those of the other
    // parts were placed from the back, and the first part's unmoved ones are
    // where they were (`k == n0`).
    unsafe { out.set_len(total) };
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
    let taken = parts.iter().any(|p| !p.out.taken_before.is_empty());
    for (p, part) in parts.iter_mut().enumerate() {
        let lb = lot_base[p];
        shared += part.shared;
        let o = &mut part.out;
        if taken {
            // One entry per lot, in the merged lots' order.
            out.taken_before.resize(lb as usize, Decimal::ZERO);
            out.taken_before.append(&mut o.taken_before);
        }
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
    // Each income row is one shard's (its asset's). Rows are not repeated, so
    // a stable sort gives what any sort would; it finds the shards' two
    // ascending runs and merges them in one pass (at 10M rows an unstable
    // sort of the incomes was 40 ms with the other core idle).
    out.own_transfers.sort_by_key(|t| t.0);
    out.incomes.sort_by_key(|t| t.row);
    out.gifts_received.sort_by_key(|t| t.row);
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
    super::outcome::merge_sorted_holdings(ledger, &mut out.holdings);
    super::allocation::allocation_warnings(cfg, &mut out.warnings, shared);
    out
}

#[cfg(test)]
mod tests {
    use super::interleave;

    #[test]
    fn parts_interleave_by_position_and_ties_keep_the_parts_order() {
        let a = vec!["a1".to_string(), "a3".into(), "a5".into(), "a9".into()];
        let b = vec![
            "b0".to_string(),
            "b3".into(),
            "b4".into(),
            "b10".into(),
            "bx".into(),
        ];
        let c = vec!["c5".to_string()];
        let pa = [1, 3, 5, 9];
        let pb = [0, 3, 4, 10];
        let pc = [5];
        let out = interleave(
            vec![(a, &pa[..]), (b, &pb[..]), (c, &pc[..])],
            |p, s: &mut String| s.push_str(&p.to_string()),
        );
        // "bx" has no position: it is left out, as a part's extra items are.
        assert_eq!(
            out,
            [
                "b01", "a10", "a30", "b31", "b41", "a50", "c52", "a90", "b101"
            ]
        );
        let out = interleave(
            vec![(Vec::<u8>::new(), &[][..]), (vec![1, 2], &[0, 0][..])],
            |_, _| {},
        );
        assert_eq!(out, [1, 2]);
        assert!(interleave(Vec::<(Vec<u8>, &[u64])>::new(), |_, _| {}).is_empty());
    }

    proptest::proptest! {
        #[test]
        fn interleaving_is_a_stable_sort_by_position(
            parts in proptest::collection::vec(proptest::collection::vec(0u64..20, 0..30), 1..4)
        ) {
            let mut parts = parts;
            parts.iter_mut().for_each(|p| p.sort_unstable());
            let mut expected: Vec<(u64, usize, usize)> = Vec::new();
            for (p, pos) in parts.iter().enumerate() {
                expected.extend(pos.iter().enumerate().map(|(i, &at)| (at, p, i)));
            }
            expected.sort();
            let input = parts
                .iter()
                .enumerate()
                .map(|(p, pos)| ((0..pos.len()).map(|i| (p, i)).collect::<Vec<_>>(), &pos[..]))
                .collect();
            let out = interleave(input, |_, _| {});
            let want: Vec<(usize, usize)> = expected.into_iter().map(|(_, p, i)| (p, i)).collect();
            proptest::prop_assert_eq!(out, want);
        }
    }
}
