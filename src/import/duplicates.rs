//! The same row seen twice: every row id of a run with where it was first
//! seen (a repeat is a duplicate, or a conflict in a ledger), and the overlap of
//! Kraken's two exports, where a trade in both is booked from ledgers.csv.

use std::hash::Hasher;

use crate::ledger::Repeat;

use super::id_table::IdTable;
use super::importer::Imported;

/// Every row id of one run, with a hash of the row's facts (every column but
/// the id) and where it was first seen: the one rule for a repeated id, for
/// `import` and for the commands that read exports and ledgers together.
#[derive(Default)]
pub struct SeenIds {
    /// A 128-bit hash of each id (two ids sharing one is beyond any ledger's
    /// size: about 10^-24 for ten million ids) -> the hash of its row's facts
    /// (48 bits) with the number of input rows it was made from (16 bits), the
    /// file and the line of the copy kept: 32 bytes a row, whatever the ids'
    /// length.
    seen: IdTable,
    /// The files read so far, indexed by the `seen` entries.
    files: Vec<SeenFile>,
    /// The input rows of kept copies made from 65,535 rows or more (a count
    /// the 16 bits cannot hold).
    many_rows: rustc_hash::FxHashMap<u128, usize>,
    /// Copies kept earlier and given up for a later file's (see [`SeenIds::judge`]).
    superseded: Vec<Superseded>,
}

/// A file whose rows [`SeenIds`] judged.
struct SeenFile {
    name: String,
    /// Its [`Imported::seq`], for an export (or a ledger read by the importer).
    seq: Option<usize>,
    /// The fingerprint of its bytes (see [`super::Fingerprint`]).
    print: u64,
    /// A harvest ledger, not an export.
    ledger: bool,
}

/// The facts hash's bits kept.
const FACTS: u64 = (1 << 48) - 1;

impl SeenIds {
    /// Says that the rows judged next are those of the file `name`, imported
    /// as number `seq`, whose bytes have the fingerprint `print`.
    pub fn begin_file(&mut self, name: &str, seq: usize, print: u64, ledger: bool) {
        self.files.push(SeenFile {
            name: name.to_string(),
            seq: Some(seq),
            print,
            ledger,
        });
    }

    /// Judges a row (the 14 ledger columns, id first), made from `rows` input
    /// rows, against the rows seen before it, and remembers it when kept. The
    /// same id with the same facts is the same row seen again (an overlapping
    /// export, a ledger made from it): a duplicate. With other facts:
    ///
    /// - two rows of harvest ledgers name different events with one id: a
    ///   conflict;
    /// - a ledger's row and an export's are the user's record of that exchange
    ///   row (a note written in, say): the ledger's copy is kept, whichever
    ///   comes first;
    /// - two exports' rows are the same exchange row (an exchange id names one
    ///   row, whatever changed between exports, as Coinbase repeating an `ID`
    ///   with another currency, or one wallet exported by Electrum and by
    ///   Sparrow with other labels): the copy of the file with the smaller
    ///   fingerprint is kept, whichever comes first, so that the order of the
    ///   files never decides; within one file, its first copy.
    ///
    /// A copy kept earlier and given up returns `New` for the later one, and
    /// the earlier is listed for [`SeenIds::take_superseded`].
    pub fn judge(
        &mut self,
        fields: &[&str; crate::model::COLUMNS],
        ledger: bool,
        file: &str,
        line: u64,
        rows: usize,
    ) -> Repeat {
        // The id's slot is fetched while the facts are hashed: in a table of
        // millions of ids it is a cache miss.
        let id_text = crate::cell::trim(fields[0]);
        let id = id_key(id_text);
        self.seen.prefetch(id);
        // Cells harvest protected against formula injection count as written.
        // In memory only (ids are what is written), so the faster hash; each
        // cell trimmed, as `fnv` and the ledger reader do. The cells are hashed
        // one after another, each ended by 0xFF (a byte UTF-8 never holds), so
        // that no two rows' cells run together alike.
        let mut hasher = rustc_hash::FxHasher::default();
        for cell in &fields[1..] {
            let cell = crate::cell::trim(crate::cell::unprotect(cell));
            hasher.write(cell.as_bytes());
            hasher.write_u8(0xFF);
        }
        let h = hasher.finish() & FACTS;
        if self.files.last().is_none_or(|f| f.name != file) {
            self.files.push(SeenFile {
                name: file.to_string(),
                seq: None,
                print: 0,
                ledger,
            });
        }
        let file_idx = (self.files.len() - 1) as u32;
        let at = |files: &[SeenFile], (f, l): (u32, u32)| {
            format!(
                "{}:{l}",
                files.get(f as usize).map_or("?", |f| f.name.as_str())
            )
        };
        let line32 = u32::try_from(line).unwrap_or(u32::MAX);
        let packed = h | (rows.min(0xFFFF) as u64) << 48;
        // One probe of the table for a new id (nearly every row): each probe
        // of a table of millions of ids is a cache miss.
        let Some((old, f, l)) = self.seen.insert_new(id, (packed, file_idx, line32)) else {
            if rows >= 0xFFFF {
                self.many_rows.insert(id, rows);
            }
            return Repeat::New;
        };
        let first = at(&self.files, (f, l));
        if old & FACTS == h {
            return Repeat::Duplicate { first };
        }
        let (Some(was), Some(now)) = (self.files.get(f as usize), self.files.last()) else {
            return Repeat::Duplicate { first };
        };
        let replace = match (was.ledger, ledger) {
            (true, true) => return Repeat::Conflict { first },
            (true, false) => false,
            (false, true) => true,
            (false, false) => f != file_idx && now.print < was.print,
        };
        let Some(seq) = was.seq.filter(|_| replace) else {
            return Repeat::Duplicate { first };
        };
        let old_rows = match (old >> 48) as usize {
            0xFFFF => self.many_rows.remove(&id).unwrap_or(0xFFFF),
            n => n,
        };
        self.superseded.push(Superseded {
            seq,
            ids: vec![id_text.to_string()],
            rows: old_rows,
        });
        self.keep(id, packed, rows, file_idx, line32);
        Repeat::New
    }

    fn keep(&mut self, id: u128, packed: u64, rows: usize, file: u32, line: u32) {
        if rows >= 0xFFFF {
            self.many_rows.insert(id, rows);
        }
        self.seen.set(id, (packed, file, line));
    }

    /// The copies given up since the last call (see [`SeenIds::judge`]).
    pub(super) fn take_superseded(&mut self) -> Vec<Superseded> {
        std::mem::take(&mut self.superseded)
    }

    /// Makes room for about `n` more ids at once (a large ledger's).
    pub fn reserve(&mut self, n: usize) {
        self.seen.reserve(n);
    }

    /// The table's memory, to be faulted in by another thread (see
    /// [`crate::memory::FaultIn`]); take it after [`SeenIds::reserve`].
    pub(crate) fn fault_in(&self) -> crate::memory::FaultIn {
        self.seen.fault_in()
    }

    /// A handle that warms the cache for ids about to be judged (see
    /// [`IdWarmer`]); take it once the table has room for the file's rows.
    pub fn warmer(&self) -> IdWarmer {
        IdWarmer(self.seen.prefetcher())
    }

    /// Forgets a row given up for a later copy (see [`Superseded`]).
    pub(super) fn forget(&mut self, id: &str) {
        let key = id_key(id);
        self.seen.remove(key);
        self.many_rows.remove(&key);
    }
}

/// An id's 128-bit key: its 128-bit SipHash-1-3 with fixed keys (the same in
/// every run), one pass over the id's bytes.
fn id_key(id: &str) -> u128 {
    siphasher::sip128::SipHasher13::new()
        .hash(id.as_bytes())
        .as_u128()
}

/// Fetches into the cache the table slot of an id a row before it is judged:
/// in a table of millions of ids the slot is a cache miss, and
/// [`SeenIds::judge`] waits for it otherwise.
#[derive(Clone, Copy)]
pub struct IdWarmer(super::id_table::Prefetcher);

impl IdWarmer {
    /// Warms the slot of the ledger id `id` (trimmed as it will be judged).
    pub fn id(self, id: &str) {
        self.0.prefetch(id_key(crate::cell::trim(id)));
    }

    /// Warms the slot of the ledger id `<prefix>-<id>`, as
    /// [`super::cx::Cx::exchange_id`] makes it from an exchange's `id`,
    /// without making the string.
    pub fn exchange_id(self, prefix: &str, id: &str) {
        self.0.prefetch(exchange_key(prefix, id));
    }
}

/// [`id_key`] of `<prefix>-<id>` (the id trimmed), hashed in pieces.
fn exchange_key(prefix: &str, id: &str) -> u128 {
    let mut h = siphasher::sip128::SipHasher13::new();
    h.write(prefix.as_bytes());
    h.write(b"-");
    h.write(id.trim().as_bytes());
    siphasher::sip128::Hasher128::finish128(&h).as_u128()
}

/// Ledger rows of an earlier file that a later file gives exactly (a Kraken
/// trades.csv trade once ledgers.csv has it): the caller drops them from that
/// file's records, and from anything it built of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Superseded {
    /// The [`Imported::seq`] of the file whose rows these are.
    pub seq: usize,
    /// The ids of the ledger rows (the trade, then any fee row of it).
    pub ids: Vec<String>,
    /// The input rows they were made from.
    pub rows: usize,
}

impl Imported {
    /// Drops the rows of this file that `sups` names, counting them as
    /// duplicates (one pass over the records, however many there are).
    pub fn supersede(&mut self, sups: &[Superseded]) {
        let seq = self.seq;
        let mine: Vec<&Superseded> = sups.iter().filter(|s| s.seq == seq).collect();
        if mine.is_empty() {
            return;
        }
        let ids: std::collections::HashSet<&str> = (mine.iter())
            .flat_map(|s| s.ids.iter().map(String::as_str))
            .collect();
        self.records.retain(|(_, r)| !ids.contains(r.id.as_str()));
        self.stats.supersede(mine);
    }
}

/// Kraken's two exports overlap: a trade in trades.csv is also in ledgers.csv
/// (its `ledgers` column names the ledger rows of its legs, which share the
/// trade's id as `refid`). ledgers.csv is the exact record (trades.csv's fee is
/// an estimate and its time has fractions the ledger does not), so a trade in
/// both is booked from ledgers.csv whichever file comes first.
#[derive(Default)]
pub(super) struct KrakenOverlap {
    /// The refids and ledger txids of the trades ledgers.csv gave, as the
    /// 128-bit hashes ids are judged by ([`SeenIds`]): a few strings a trade
    /// held whole were most of a large import's memory.
    ledger_keys: rustc_hash::FxHashSet<u128>,
    /// trades.csv rows kept so far (taken out once a ledgers.csv gives them).
    pending: Vec<Option<Superseded>>,
    /// Their txids and ledger txids (hashed as `ledger_keys`) -> their place
    /// in `pending`.
    pending_keys: rustc_hash::FxHashMap<u128, usize>,
    /// Those given up for ledgers.csv, for the caller to drop.
    pub(super) superseded: Vec<Superseded>,
}

impl KrakenOverlap {
    pub(super) fn in_ledgers(&self, keys: &[String]) -> bool {
        keys.iter().any(|k| self.ledger_keys.contains(&id_key(k)))
    }

    /// Keeps a trades.csv row until a ledgers.csv gives its trade.
    pub(super) fn wait(&mut self, keys: &[String], s: Superseded) {
        for k in keys {
            self.pending_keys.insert(id_key(k), self.pending.len());
        }
        self.pending.push(Some(s));
    }

    /// The trades.csv row waiting last, to add its fee rows to.
    pub(super) fn last_waiting(&mut self) -> Option<&mut Superseded> {
        self.pending.last_mut().and_then(Option::as_mut)
    }

    /// Notes a ledgers.csv trade; the trades.csv rows it gives are returned.
    pub(super) fn ledger_trade(&mut self, keys: &[String]) -> Vec<Superseded> {
        self.ledger_keys.extend(keys.iter().map(|k| id_key(k)));
        let at = keys
            .iter()
            .filter_map(|k| self.pending_keys.get(&id_key(k)).copied());
        let at: std::collections::BTreeSet<usize> = at.collect();
        at.into_iter()
            .filter_map(|i| self.pending.get_mut(i).and_then(Option::take))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ImportOptions, Importer};
    use super::*;
    use crate::readers::prices::PriceTable;

    proptest::proptest! {
        /// An id warmed in pieces is the id judged: the key of the string
        /// `Cx::exchange_id` makes (its parts of any length, so the hasher's
        /// pieces break anywhere in its 8-byte words).
        #[test]
        fn a_warmed_id_has_the_key_of_the_id_judged(
            prefix in "[a-z-]{0,20}",
            id in " ?[A-Za-z0-9-]{0,40} ?",
        ) {
            let whole = format!("{prefix}-{}", id.trim());
            proptest::prop_assert_eq!(exchange_key(&prefix, &id), id_key(crate::cell::trim(&whole)));
        }
    }

    const KRAKEN_LEDGERS: &str = "\"txid\",\"refid\",\"time\",\"type\",\"subtype\",\"aclass\",\"asset\",\"amount\",\"fee\",\"balance\"
\"L1\",\"TX1\",\"2024-01-03 10:15:30\",\"trade\",\"\",\"currency\",\"ZUSD\",-2000.0000,3.2000,1.0000
\"L2\",\"TX1\",\"2024-01-03 10:15:30\",\"trade\",\"\",\"currency\",\"XXBT\",0.0500000000,0,0.0500000000
\"L3\",\"TX1\",\"2024-01-03 10:15:30\",\"trade\",\"\",\"currency\",\"XETH\",0,0.0010000000,1.0000000000
";
    const KRAKEN_TRADES: &str = "\"txid\",\"ordertxid\",\"pair\",\"time\",\"type\",\"ordertype\",\"price\",\"cost\",\"fee\",\"vol\",\"margin\",\"misc\",\"ledgers\"
\"TX1\",\"O1\",\"XXBTZUSD\",\"2024-01-03 10:15:30.25\",\"buy\",\"limit\",40000.0,2000.0,3.1,0.05,0.0,\"\",\"L1,L2,L3\"
";

    /// The ids of what `files`, imported in this order, leave in the ledger.
    fn kraken_ids(files: &[&str]) -> Vec<Vec<String>> {
        let prices = PriceTable::read(&b"asset,price\nETH,3000\n"[..], "p", chrono_tz::Tz::UTC);
        let prices = prices.ok();
        let mut imp = Importer::new(ImportOptions {
            account: None,
            prices: prices.as_ref(),
            tz: chrono_tz::Tz::UTC,
            accounts: Default::default(),
        });
        let mut out: Vec<Imported> = files
            .iter()
            .map(|f| imp.import(f.as_bytes(), "x.csv", None).unwrap())
            .collect();
        let sups = imp.take_superseded();
        for f in &mut out {
            f.supersede(&sups);
        }
        out.iter()
            .map(|i| i.records.iter().map(|(_, r)| r.id.clone()).collect())
            .collect()
    }

    #[test]
    fn a_kraken_trade_in_both_exports_is_the_ledgers_one_in_either_order() {
        // The ledger's trade with its ETH fee row; trades.csv's copy dropped.
        let from_ledgers = vec!["kraken-TX1".to_string(), "kraken-TX1-fee1".to_string()];
        assert_eq!(
            kraken_ids(&[KRAKEN_LEDGERS, KRAKEN_TRADES]),
            [from_ledgers.clone(), vec![]]
        );
        assert_eq!(
            kraken_ids(&[KRAKEN_TRADES, KRAKEN_LEDGERS]),
            [vec![], from_ledgers]
        );
        // An overlapping trades.csv again changes nothing.
        assert_eq!(
            kraken_ids(&[KRAKEN_TRADES, KRAKEN_LEDGERS, KRAKEN_TRADES])[2],
            Vec::<String>::new()
        );
    }

    /// One id with other facts in two inputs: the ledger's copy over an
    /// export's, and between exports the copy of the file with the smaller
    /// fingerprint, whichever comes first (the earlier copy, when it loses,
    /// is listed as superseded, with the input rows it was made from).
    #[test]
    fn the_copy_kept_does_not_depend_on_the_order_of_the_files() {
        let row = |qty| {
            [
                "a",
                "2025-01-01T00:00:00Z",
                "cb",
                "buy",
                "1",
                "USD",
                qty,
                "BTC",
                "",
                "",
                "1",
                "",
                "",
                "",
                "",
                "",
                "",
            ]
        };
        // (name, fingerprint, ledger, quantity, rows)
        let inputs = [
            ("big.csv", 9, false, "1", 2),
            ("small.csv", 3, false, "2", 1),
            ("mine.csv", 5, true, "3", 1),
        ];
        let kept = |order: &[usize]| {
            let mut seen = SeenIds::default();
            let mut kept = Vec::new();
            for (seq, &i) in order.iter().enumerate() {
                let (name, print, ledger, qty, rows) = inputs[i];
                seen.begin_file(name, seq, print, ledger);
                if seen.judge(&row(qty), ledger, name, 2, rows) == Repeat::New {
                    kept.push(name);
                }
            }
            let sups: Vec<(&str, usize)> = (seen.take_superseded().iter())
                .map(|s| (inputs[order[s.seq]].0, s.rows))
                .collect();
            (kept.last().copied(), kept.len() - sups.len(), sups)
        };
        // Two exports: the smaller fingerprint's copy.
        assert_eq!(kept(&[0, 1]), (Some("small.csv"), 1, vec![("big.csv", 2)]));
        assert_eq!(kept(&[1, 0]), (Some("small.csv"), 1, vec![]));
        // A ledger and exports: the ledger's, in any order.
        for order in [[0, 1, 2], [2, 1, 0], [1, 2, 0], [0, 2, 1]] {
            assert_eq!(kept(&order).0, Some("mine.csv"), "{order:?}");
            assert_eq!(kept(&order).1, 1, "{order:?}");
        }
    }

    #[test]
    fn a_repeated_id_is_a_duplicate_unless_a_ledger_gives_it_other_facts() {
        let row = |id, qty, note| {
            [
                id,
                "2025-01-01T00:00:00Z",
                "cb",
                "buy",
                "1",
                "USD",
                qty,
                "BTC",
                "",
                "",
                "1",
                "",
                "",
                note,
                "",
                "",
                "",
            ]
        };
        let mut seen = SeenIds::default();
        assert_eq!(
            seen.judge(&row("a", "1", "=x"), true, "l.csv", 2, 1),
            Repeat::New
        );
        let first = "l.csv:2".to_string();
        // The same facts, a formula-protected note read back as written.
        for ledger in [false, true] {
            let again = seen.judge(&row("a", "1", "'=x"), ledger, "e.csv", 5, 1);
            assert_eq!(
                again,
                Repeat::Duplicate {
                    first: first.clone()
                }
            );
        }
        // Other facts: an export's row is still that exchange row; a ledger's is
        // another event with a used id.
        assert_eq!(
            seen.judge(&row("a", "2", "=x"), false, "e.csv", 6, 1),
            Repeat::Duplicate {
                first: first.clone()
            }
        );
        assert_eq!(
            seen.judge(&row("a", "2", "=x"), true, "m.csv", 3, 1),
            Repeat::Conflict { first }
        );
        assert_eq!(
            seen.judge(&row("b", "2", ""), true, "m.csv", 4, 1),
            Repeat::New
        );
    }
}
