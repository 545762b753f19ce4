//! The table of row ids behind [`super::SeenIds`]: 128-bit id hashes to what is
//! known of each row, in one flat array probed linearly. An id's key and value
//! share one 32-byte slot, so a lookup in a table of millions touches one cache
//! line, and the slot can be fetched ahead ([`IdTable::prefetch`]) while the
//! rest of the row is hashed: the probe of a general hash map (a control byte,
//! then the entry) was two cache misses a row and a sixth of the import's time.

/// What is kept for an id: the hash of its row's facts with its input rows, and
/// the file and line of the copy kept (see [`super::SeenIds`]).
pub(super) type Value = (u64, u32, u32);

/// One slot: the key in two halves, the value packed; all zero when empty.
type Slot = [u64; 4];

/// Ids by their 128-bit hash. The hash is uniform (SipHash), so its low bits
/// place it; a key of zero is stored as one (2^-128 of ids, and a 127-bit key
/// still separates any ledger's ids).
#[derive(Default)]
pub(super) struct IdTable {
    /// The slots, four words each from `words[start]`, which is 32-byte
    /// aligned: a slot then lies in one cache line, the one fetched ahead. (A
    /// large block from malloc starts 16 bytes past a page boundary, so a
    /// table of `[u64; 4]` had every other slot across two lines.)
    words: Vec<u64>,
    start: usize,
    /// How many slots.
    slots: usize,
    len: usize,
}

fn norm(key: u128) -> u128 {
    key.max(1)
}

/// The first slot tried for `key` in a table of `len` slots: the key's low 64
/// bits scaled to the table (uniform as they are), so that the table need not
/// be a power of two in size.
fn home(key: u128, len: usize) -> usize {
    ((u128::from(key as u64) * len as u128) >> 64) as usize
}

fn unpack(s: &Slot) -> (u128, Value) {
    let key = u128::from(s[0]) | u128::from(s[1]) << 64;
    (key, (s[2], (s[3] >> 32) as u32, s[3] as u32))
}

fn pack(key: u128, (facts, file, line): Value) -> Slot {
    [
        key as u64,
        (key >> 64) as u64,
        facts,
        u64::from(file) << 32 | u64::from(line),
    ]
}

fn is_empty(s: &Slot) -> bool {
    s[0] == 0 && s[1] == 0
}

impl IdTable {
    /// Slots for `n` ids at most three quarters full. Not rounded up to a
    /// power of two: a million ids take 41 MiB, not 64, and every page of it
    /// is one the system must clear.
    fn slots_for(n: usize) -> usize {
        (n.saturating_mul(4) / 3 + 1).max(16)
    }

    fn home(&self, key: u128) -> usize {
        home(key, self.slots)
    }

    /// The slot after `i`, wrapping around.
    fn next(&self, i: usize) -> usize {
        if i + 1 == self.slots { 0 } else { i + 1 }
    }

    /// Slot `i`.
    fn slot(&self, i: usize) -> Slot {
        let w = &self.words[self.start + 4 * i..][..4];
        [w[0], w[1], w[2], w[3]]
    }

    /// Sets slot `i`.
    fn put(&mut self, i: usize, s: Slot) {
        self.words[self.start + 4 * i..][..4].copy_from_slice(&s);
    }

    /// The slot holding `key`, or the empty one where it would go.
    fn find(&self, key: u128) -> usize {
        let mut i = self.home(key);
        loop {
            let s = self.slot(i);
            if is_empty(&s) || unpack(&s).0 == key {
                return i;
            }
            i = self.next(i);
        }
    }

    /// Makes room for `more` ids beyond those held, at once: the first time
    /// for just those (a million ids in 41 MiB), after that for at least half
    /// again as many as held. Sized for exactly what was asked each time,
    /// the table was made anew for every id past the room reserved (an
    /// import of 150,000 Kraken rows given to `lots`: 16 s), or for every
    /// file of hundreds given at once.
    pub fn reserve(&mut self, more: usize) {
        let need = self.len.saturating_add(more);
        if need.saturating_mul(4) > self.slots.saturating_mul(3) {
            let grown = self.len.saturating_add(self.len / 2);
            self.resize(Self::slots_for(need.max(grown)));
        }
    }

    fn resize(&mut self, n: usize) {
        // Huge pages where the system offers them: the slots of millions of
        // ids are touched at random, and with 4 KiB pages nearly every probe
        // would also miss the TLB. The table is made zeroed (fresh pages are
        // already: they are not written twice) and advised before any page
        // is touched.
        // Three words more, to start the slots at a 32-byte boundary.
        let mut words = vec![0; n.saturating_mul(4).saturating_add(3)];
        crate::memory::advise_for_lookups(&mut words);
        let start = words.as_ptr().align_offset(32).min(3);
        let old = std::mem::replace(
            self,
            IdTable {
                words,
                start,
                slots: n,
                len: self.len,
            },
        );
        for i in 0..old.slots {
            let s = old.slot(i);
            if !is_empty(&s) {
                let at = self.find(unpack(&s).0);
                self.put(at, s);
            }
        }
    }

    /// The table's memory, to be faulted in by another thread before the
    /// lookups reach it (see [`crate::memory::FaultIn`]).
    pub fn fault_in(&self) -> crate::memory::FaultIn {
        crate::memory::FaultIn::of(&self.words)
    }

    /// Asks the processor to fetch the slot of `key` while other work goes on.
    #[inline]
    pub fn prefetch(&self, key: u128) {
        self.prefetcher().prefetch(key);
    }

    /// A handle that prefetches slots of this table as it is now (see
    /// [`Prefetcher`]).
    pub fn prefetcher(&self) -> Prefetcher {
        Prefetcher {
            base: self.words.as_ptr().wrapping_add(self.start) as usize,
            len: self.slots,
        }
    }

    /// Adds `key` with `value` when it is not held (None), else gives what is.
    pub fn insert_new(&mut self, key: u128, value: Value) -> Option<Value> {
        let key = norm(key);
        self.reserve(1);
        let i = self.find(key);
        let s = self.slot(i);
        if !is_empty(&s) {
            return Some(unpack(&s).1);
        }
        self.put(i, pack(key, value));
        self.len += 1;
        None
    }

    /// Sets the value of `key`, held or not.
    pub fn set(&mut self, key: u128, value: Value) {
        let key = norm(key);
        self.reserve(1);
        let i = self.find(key);
        if is_empty(&self.slot(i)) {
            self.len += 1;
        }
        self.put(i, pack(key, value));
    }

    /// The value of `key`.
    #[cfg(test)]
    pub fn get(&self, key: u128) -> Option<Value> {
        if self.slots == 0 {
            return None;
        }
        let s = self.slot(self.find(norm(key)));
        (!is_empty(&s)).then(|| unpack(&s).1)
    }

    /// Takes `key` out. The slots after it that probed past it move back, so
    /// that every key stays reachable from its home slot.
    pub fn remove(&mut self, key: u128) {
        if self.slots == 0 {
            return;
        }
        let mut hole = self.find(norm(key));
        if is_empty(&self.slot(hole)) {
            return;
        }
        self.put(hole, [0; 4]);
        self.len -= 1;
        let mut j = hole;
        loop {
            j = self.next(j);
            let s = self.slot(j);
            if is_empty(&s) {
                return;
            }
            let home = self.home(unpack(&s).0);
            // The slot may fill the hole unless its home lies cyclically in
            // (hole, j]: it would then sit before its home.
            let stays = if hole <= j {
                hole < home && home <= j
            } else {
                hole < home || home <= j
            };
            if !stays {
                self.put(hole, s);
                self.put(j, [0; 4]);
                hole = j;
            }
        }
    }
}

/// Where a table's slots were when [`IdTable::prefetcher`] was asked: it warms
/// the cache for a key about to be looked up, without borrowing the table (the
/// importer judges ids through it meanwhile). Only a hint: if the table has
/// grown since, the slot fetched is the wrong one and the lookup misses as it
/// would have anyway.
#[derive(Clone, Copy)]
pub(super) struct Prefetcher {
    base: usize,
    /// The table's slots (none: nothing to fetch).
    len: usize,
}

impl Prefetcher {
    /// Asks the processor to fetch the slot of `key`, and the line after it:
    /// a new id probes on past its home slot (2.5 slots on average while a
    /// table fills to three quarters), two slots a line.
    #[inline]
    pub fn prefetch(self, key: u128) {
        if self.len == 0 {
            return;
        }
        let at = self
            .base
            .wrapping_add(home(norm(key), self.len) * size_of::<Slot>());
        crate::memory::prefetch(std::ptr::without_provenance::<u8>(at));
        crate::memory::prefetch(std::ptr::without_provenance::<u8>(at.wrapping_add(64)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Key `k` of 40: eight keys each at five home slots of any table (whose
    /// low 64 bits differ by less than a slot's share), one of them its last
    /// slot, so that probes wrap around.
    fn crowded(k: u128) -> u128 {
        let near = (k / 5) as u64;
        let lo = match (k % 5) as u64 {
            4 => u64::MAX - near,
            h => h * (u64::MAX / 4) + near,
        };
        u128::from(lo) | (k % 3) << 70
    }

    proptest::proptest! {
        /// The table answers as a HashMap does through any inserts, sets and
        /// removals, with keys crowded into a few home slots so that probing,
        /// wrapping around and the moves after a removal are all exercised.
        #[test]
        fn the_table_is_a_map(ops in proptest::collection::vec((0u8..3, 0u128..40, 0u64..5), 0..400)) {
            let mut t = IdTable::default();
            let mut m = std::collections::HashMap::new();
            for (op, k, v) in ops {
                let key = crowded(k);
                let value = (v, k as u32, v as u32);
                match op {
                    0 => {
                        let was = t.insert_new(key, value);
                        proptest::prop_assert_eq!(was, m.get(&key).copied());
                        m.entry(key).or_insert(value);
                    }
                    1 => {
                        t.set(key, value);
                        m.insert(key, value);
                    }
                    _ => {
                        t.remove(key);
                        m.remove(&key);
                    }
                }
                proptest::prop_assert_eq!(t.len, m.len());
            }
            for k in 0..40u128 {
                let key = crowded(k);
                proptest::prop_assert_eq!(t.get(key), m.get(&key).copied());
            }
        }
    }

    /// A table given ids one at a time with no room reserved, or room for a
    /// few more before each few (a file's, of hundreds), grows a few dozen
    /// times for 200,000 ids, not once an id or a file.
    #[test]
    fn a_table_filled_a_little_at_a_time_grows_by_half() {
        for each in [0, 1, 50] {
            let mut t = IdTable::default();
            let (mut sizes, mut slots) = (0, t.slots);
            for k in 1..200_000u128 {
                if each > 0 && k % each == 0 {
                    t.reserve(each as usize);
                }
                assert_eq!(t.insert_new(k * 0x9E37_79B9_7F4A_7C15, (0, 0, 0)), None);
                if t.slots != slots {
                    (sizes, slots) = (sizes + 1, t.slots);
                }
            }
            assert!(sizes < 40, "{sizes} sizes");
            assert_eq!(t.get(77 * 0x9E37_79B9_7F4A_7C15), Some((0, 0, 0)));
        }
    }

    #[test]
    fn a_zero_key_is_kept_and_a_reserved_table_holds_its_ids_without_growing() {
        let mut t = IdTable::default();
        t.reserve(1000);
        let slots = t.slots;
        assert_eq!(t.insert_new(0, (1, 2, 3)), None);
        assert_eq!(t.insert_new(0, (4, 5, 6)), Some((1, 2, 3)));
        for k in 1..1000u128 {
            assert_eq!(t.insert_new(k * 0x9E37_79B9_7F4A_7C15, (0, 0, 0)), None);
        }
        assert_eq!(t.slots, slots);
        assert_eq!(
            t.prefetcher().base % 32,
            0,
            "slots start at a 32-byte boundary"
        );
        assert_eq!(t.get(0), Some((1, 2, 3)));
        t.remove(0);
        assert_eq!(t.get(0), None);
    }
}
