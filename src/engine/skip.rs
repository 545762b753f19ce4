//! Skipping the done entries of a time-ordered list in one step.
//!
//! Transfer pairing, the simulated wash-sale rule and the matching of Form
//! 1099-DA rows each scan a window of a list (the withdrawals of an asset, its
//! purchases, a day's sales) for the first entry still of use, and entries
//! only ever stop being of use (paired, used up). Walking
//! past the done ones on every scan made both quadratic when many rows fall in
//! one window: a bot's trades, or an export that stamps a day's rows alike.

/// The entries of a list still to be had, found past the done ones in about one
/// step: each position holds itself while its entry is to be had, else a later
/// position to look at, and lookups shorten the chains they walk.
#[derive(Debug, Clone)]
pub(crate) struct Skips(Vec<u32>);

impl Skips {
    /// For a list of `len` entries, those that `done` says of left out.
    pub fn new(len: usize, done: impl Fn(usize) -> bool) -> Skips {
        let next = |k: usize| match k < len && done(k) {
            true => k as u32 + 1,
            false => k as u32,
        };
        Skips((0..=len).map(next).collect())
    }

    /// For a list of `len` entries, every one still to be had.
    pub fn none_done(len: usize) -> Skips {
        Skips((0..=len as u32).collect())
    }

    /// The first position from `k` on whose entry is still to be had (the
    /// list's length when none is).
    pub fn first_from(&mut self, k: usize) -> usize {
        let Some(&step) = self.0.get(k) else {
            return k;
        };
        if step as usize == k {
            return k;
        }
        let mut found = step as usize;
        while self.0[found] as usize != found {
            found = self.0[found] as usize;
        }
        // Each position passed now points straight at the one found.
        let mut at = k;
        while at != found {
            let step = self.0[at] as usize;
            self.0[at] = found as u32;
            at = step;
        }
        found
    }

    /// Notes that the entry at position `k` is done.
    pub fn take(&mut self, k: usize) {
        self.0[k] = k as u32 + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A list with nothing done starts as `new` makes it with nothing done.
    #[test]
    fn none_done_is_new_with_nothing_done() {
        for len in [0, 1, 2, 7, 100] {
            assert_eq!(Skips::none_done(len).0, Skips::new(len, |_| false).0);
        }
    }

    proptest::proptest! {
        /// `Skips` finds what a walk over the list does: the first entry at or
        /// after a position that is not done, through any mix of lookups and
        /// entries done, some before and some between the lookups.
        #[test]
        fn skips_find_what_a_walk_finds(
            done_before in proptest::collection::vec(proptest::bool::ANY, 0..40),
            steps in proptest::collection::vec((0usize..45, proptest::bool::ANY), 0..60),
        ) {
            let n = done_before.len();
            let mut skips = Skips::new(n, |k| done_before[k]);
            let mut done = done_before.clone();
            for (k, take) in steps {
                let k = k.min(n);
                let want = (k..n).find(|&i| !done[i]).unwrap_or(n);
                proptest::prop_assert_eq!(skips.first_from(k), want);
                if take && want < n {
                    skips.take(want);
                    done[want] = true;
                }
            }
        }
    }
}
