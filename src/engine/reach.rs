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
}

/// The summaries of a list's blocks. A block's summary is made again when
/// one of its withdrawals pairs ([`Reach::refresh`]): a summary that still
/// counted it would send each later deposit into the block to look at every
/// withdrawal left there, one by one.
#[derive(Debug, Clone, Default)]
pub(super) struct Reach(Vec<Summary>);

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
            if k % BLOCK == 0 {
                blocks.push(Summary::EMPTY);
            }
            if let Some(s) = blocks.last_mut() {
                s.add(&e);
            }
        }
        Reach(blocks)
    }

    /// Makes block `block`'s summary again from its `entries` as they are now.
    pub fn refresh(&mut self, block: usize, entries: impl IntoIterator<Item = Entry>) {
        if let Some(s) = self.0.get_mut(block) {
            *s = Summary::EMPTY;
            for e in entries {
                s.add(&e);
            }
        }
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
        let end = end.min(self.0.len());
        (block..end)
            .find(|&b| {
                let s = &self.0[b];
                s.own || if txid { &s.bare } else { &s.any }.has(qty, account)
            })
            .unwrap_or(end)
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
    }
}
