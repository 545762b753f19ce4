//! What each block of a time-ordered list of withdrawals could still give a
//! deposit, so that pairing by time passes over a block of withdrawals none
//! of which a deposit can take in one step, not one step each. A wallet that
//! sends out thousands of payments a day, each with its own txid, would
//! otherwise have every deposit of the next 48 hours look at each of them: a
//! year of 2,000 a day took 7 s to pair, ten years would take minutes.

use rust_decimal::Decimal;

use crate::model::Sym;

/// Withdrawals in a block.
pub(super) const BLOCK: usize = 64;

/// Blocks in a group, which has a summary of its own: a deposit passes over
/// 4,096 withdrawals it can take nothing of in one step, and a window of 48
/// hours of tens of thousands of payouts in a few.
const GROUP: usize = 64;

/// The largest quantity among some withdrawals and an account that sent it,
/// and the largest among those sent from other accounts than that one: enough
/// to tell whether any of them is at least a quantity and from another
/// account than a given one. A quantity of -1 stands for none.
#[derive(Debug, Clone, Copy)]
struct Top {
    most: Decimal,
    from: Option<Sym>,
    most_elsewhere: Decimal,
}

impl Top {
    const NONE: Top = Top {
        most: Decimal::NEGATIVE_ONE,
        from: None,
        most_elsewhere: Decimal::NEGATIVE_ONE,
    };

    fn add(&mut self, qty: Decimal, account: Sym) {
        if self.from == Some(account) {
            self.most = self.most.max(qty);
        } else if qty > self.most {
            // The old largest came from another account than this one.
            self.most_elsewhere = self.most;
            self.most = qty;
            self.from = Some(account);
        } else {
            self.most_elsewhere = self.most_elsewhere.max(qty);
        }
    }

    /// The summary of `self`'s withdrawals and `other`'s together.
    fn merge(&mut self, other: &Top) {
        let Some(from) = other.from else {
            return;
        };
        let (most, from) = if other.most > self.most {
            (other.most, Some(from))
        } else {
            (self.most, self.from)
        };
        // The largest of each side from another account than the one chosen:
        // its largest if that came from elsewhere, else its largest elsewhere.
        let elsewhere = |t: &Top| match t.from {
            None => Decimal::NEGATIVE_ONE,
            f if f == from => t.most_elsewhere,
            _ => t.most,
        };
        let most_elsewhere = elsewhere(self).max(elsewhere(other));
        *self = Top {
            most,
            from,
            most_elsewhere,
        };
    }

    /// Whether some withdrawal is of at least `qty` and from another account
    /// than `account`.
    fn has(&self, qty: Decimal, account: Sym) -> bool {
        (self.from != Some(account) && self.most >= qty) || self.most_elsewhere >= qty
    }
}

/// One block's summary: of its withdrawals unpaired when it was made, those
/// any deposit may take and those a deposit carrying a txid may take (the ones
/// with none), and whether it holds a withdrawal to an own address (which
/// pairs only with a deposit in that address's account: the block is then
/// always looked into).
#[derive(Debug, Clone, Copy)]
struct Summary {
    any: Top,
    bare: Top,
    own: bool,
}

impl Summary {
    const EMPTY: Summary = Summary {
        any: Top::NONE,
        bare: Top::NONE,
        own: false,
    };

    fn add(&mut self, e: &Entry) {
        if e.paired {
            return;
        }
        if e.own {
            self.own = true;
            return;
        }
        self.any.add(e.qty, e.account);
        if !e.has_txid {
            self.bare.add(e.qty, e.account);
        }
    }

    fn merge(&mut self, other: &Summary) {
        self.any.merge(&other.any);
        self.bare.merge(&other.bare);
        self.own |= other.own;
    }

    /// Whether a deposit of `qty` into `account` (with `txid`, one carrying
    /// a txid) may take one of the withdrawals.
    fn may_take(&self, qty: Decimal, account: Sym, txid: bool) -> bool {
        self.own || if txid { &self.bare } else { &self.any }.has(qty, account)
    }
}

/// The summaries of a list's blocks. A block's summary is made again when
/// one of its withdrawals pairs ([`Reach::refresh`]): a summary that still
/// counted it would send each later deposit into the block to look at every
/// withdrawal left there, one by one.
#[derive(Debug, Clone, Default)]
pub(super) struct Reach {
    blocks: Vec<Summary>,
    /// Each group's: the summaries of its [`GROUP`] blocks together.
    groups: Vec<Summary>,
}

/// What [`Reach`] needs of each withdrawal of the list, in order.
pub(super) struct Entry {
    pub qty: Decimal,
    pub account: Sym,
    pub has_txid: bool,
    /// Paired already: left out.
    pub paired: bool,
    /// To an own address.
    pub own: bool,
}

impl Reach {
    /// The summaries of `entries`, a list in blocks of [`BLOCK`].
    pub fn new(entries: impl IntoIterator<Item = Entry>) -> Reach {
        let mut blocks = Vec::new();
        for (k, e) in entries.into_iter().enumerate() {
            if k.is_multiple_of(BLOCK) {
                blocks.push(Summary::EMPTY);
            }
            if let Some(s) = blocks.last_mut() {
                s.add(&e);
            }
        }
        let groups = (blocks.chunks(GROUP))
            .map(|c| {
                let mut g = Summary::EMPTY;
                c.iter().for_each(|s| g.merge(s));
                g
            })
            .collect();
        Reach { blocks, groups }
    }

    /// Makes block `block`'s summary again from its `entries` as they are
    /// now, and its group's.
    pub fn refresh(&mut self, block: usize, entries: impl IntoIterator<Item = Entry>) {
        let Some(s) = self.blocks.get_mut(block) else {
            return;
        };
        *s = Summary::EMPTY;
        for e in entries {
            s.add(&e);
        }
        let group = block / GROUP;
        let end = self.blocks.len().min((group + 1) * GROUP);
        let mut g = Summary::EMPTY;
        self.blocks[group * GROUP..end]
            .iter()
            .for_each(|s| g.merge(s));
        self.groups[group] = g;
    }

    /// The first block from `block` on, before `end`, that may hold a
    /// withdrawal a deposit of `qty` into `account` can take (with `txid`, one
    /// carrying a txid); `end` when none does.
    pub fn first_from(
        &self,
        block: usize,
        end: usize,
        qty: Decimal,
        account: Sym,
        txid: bool,
    ) -> usize {
        let end = end.min(self.blocks.len());
        let mut b = block;
        while b < end {
            // A whole group ahead that holds nothing is passed at once.
            if b.is_multiple_of(GROUP) && !self.groups[b / GROUP].may_take(qty, account, txid) {
                b += GROUP;
                continue;
            }
            if self.blocks[b].may_take(qty, account, txid) {
                return b;
            }
            b += 1;
        }
        end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// A block's summary answers as a look at each of its withdrawals
        /// does, for any quantity and account asked.
        #[test]
        fn a_summary_tells_what_its_withdrawals_hold(
            ws in proptest::collection::vec((0u32..6, 0u32..4, proptest::bool::ANY, 0u8..8), 0..(3 * BLOCK)),
            asks in proptest::collection::vec((0u32..7, 0u32..4, proptest::bool::ANY), 1..20),
        ) {
            let entries = || ws.iter().map(|&(q, a, t, p)| Entry {
                qty: Decimal::from(q),
                account: Sym::from_index(a),
                has_txid: t,
                paired: p == 0,
                own: p == 1,
            });
            let all: Vec<Entry> = entries().collect();
            // Made at once, and made of every withdrawal unpaired, then each
            // block made again as the withdrawals are.
            let mut refreshed = Reach::new(entries().map(|e| Entry { paired: false, ..e }));
            for b in 0..all.len().div_ceil(BLOCK) {
                refreshed.refresh(b, entries().skip(b * BLOCK).take(BLOCK));
            }
            let blocks = all.len().div_ceil(BLOCK);
            for reach in [Reach::new(entries()), refreshed] {
                for &(q, a, txid) in &asks {
                    let (q, a) = (Decimal::from(q), Sym::from_index(a));
                    for b in 0..blocks {
                        let block = &all[b * BLOCK..((b + 1) * BLOCK).min(all.len())];
                        let may = block.iter().any(|e| {
                            !e.paired
                                && (e.own || (e.qty >= q && e.account != a && !(txid && e.has_txid)))
                        });
                        let said = reach.first_from(b, b + 1, q, a, txid) == b;
                        proptest::prop_assert_eq!(said, may, "block {} of {}", b, blocks);
                    }
                    proptest::prop_assert!(reach.first_from(0, blocks + 5, q, a, txid) <= blocks);
                }
            }
        }
            /// Two summaries merged are the summary of both sides' withdrawals.
        #[test]
        fn merged_summaries_are_the_summary_of_both(
            ws in proptest::collection::vec((0u32..6, 0u32..4), 0..12),
            cut in 0usize..13,
        ) {
            let cut = cut.min(ws.len());
            let top = |ws: &[(u32, u32)]| {
                let mut t = Top::NONE;
                ws.iter().for_each(|&(q, a)| t.add(Decimal::from(q), Sym::from_index(a)));
                t
            };
            let (mut left, whole) = (top(&ws[..cut]), top(&ws));
            left.merge(&top(&ws[cut..]));
            for q in 0..7 {
                for a in 0..5 {
                    let (q, a) = (Decimal::from(q), Sym::from_index(a));
                    proptest::prop_assert_eq!(left.has(q, a), whole.has(q, a));
                }
            }
            proptest::prop_assert_eq!((left.most, left.most_elsewhere), (whole.most, whole.most_elsewhere));
        }
    }

    /// Over lists of several groups of blocks, with most withdrawals paired
    /// or too small, the first block found is the first whose withdrawals a
    /// deposit could take, from any block, after blocks are made again.
    #[test]
    fn groups_pass_over_what_their_blocks_would() {
        let mut rng = 0x2545_F491_4F6C_DD1Du64;
        let mut next = |n: u64| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng % n
        };
        for round in 0..6 {
            let len = 3 * GROUP * BLOCK + next(500) as usize;
            let mut all: Vec<Entry> = (0..len)
                .map(|_| Entry {
                    qty: Decimal::from(if next(20_000) == 0 { 5 } else { 1 }),
                    account: Sym::from_index(next(3) as u32),
                    has_txid: next(2) == 0,
                    paired: next(3) == 0,
                    own: next(20_000) == 0,
                })
                .collect();
            let copy = |e: &Entry| Entry { ..*e };
            let mut reach = Reach::new(all.iter().map(copy));
            for _ in 0..40 {
                // A withdrawal pairs now and then, and its block is made again.
                let k = next(len as u64) as usize;
                all[k].paired = true;
                let b = k / BLOCK;
                let end = len.min((b + 1) * BLOCK);
                reach.refresh(b, all[b * BLOCK..end].iter().map(copy));
                let (qty, account, txid) = (
                    Decimal::from(next(6)),
                    Sym::from_index(next(3) as u32),
                    next(2) == 0,
                );
                let blocks = len.div_ceil(BLOCK);
                let from = next(blocks as u64) as usize;
                let want = (from..blocks)
                    .find(|&b| {
                        all[b * BLOCK..len.min((b + 1) * BLOCK)].iter().any(|e| {
                            !e.paired
                                && (e.own
                                    || (e.qty >= qty
                                        && e.account != account
                                        && !(txid && e.has_txid)))
                        })
                    })
                    .unwrap_or(blocks);
                assert_eq!(
                    reach.first_from(from, blocks, qty, account, txid),
                    want,
                    "round {round}"
                );
            }
        }
    }
}
