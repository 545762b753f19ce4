//! The ledger `import` writes, gathered as CSV lines and put in ledger order
//! (by time, then input file, then place in the file) with bounded memory.
//! Files are ordered by the fingerprint of their bytes (see
//! [`super::Fingerprint`]), then as given, so that rows of two files at one
//! instant come out the same whatever the order of the files.
//!
//! Each record becomes its CSV line at once, kept in one buffer with a 32-byte
//! sort key. When the buffer passes a budget, its lines are sorted and written
//! to a temporary file (a run), and the buffer starts again; at the end the
//! runs are merged. A ledger of ten million rows thus needs the budget and the
//! keys of one run in memory, not the whole file twice. Without a run (most
//! imports) the lines are sorted and written from memory.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, Write};
use std::sync::mpsc;

use chrono::{DateTime, Utc};

use crate::model::{LEDGER_COLUMNS, Record};

/// Bytes of lines kept in memory before they are written out as a run.
const BUDGET: usize = 16 << 20;

/// The key of a line as stored: time (seconds, nanoseconds), file, place in
/// the file (as read; see [`Spool::reversed`]).
type Key = (i64, u32, u32, u32);

/// The bytes before each line's text in a run: its key and length.
const HEAD: usize = 24;

/// Bytes of merged lines handed from the merging thread to the writing one
/// at a time, and how many such blocks may wait to be written. Small, so
/// that a block is still in the caches when it is written: with blocks of 1
/// MiB, copying them into the system's cache took several times as long (a
/// 10M-row import 8.4 s against 7.0 s with 64 KiB).
const BLOCK: usize = 64 << 10;
const BLOCKS: usize = 8;

/// The order of lines: time (seconds, nanoseconds), the file's fingerprint,
/// file, place in the file.
type Order = (i64, u32, u64, u32, u32);

/// One line in memory: its key and where its text is.
#[derive(Clone, Copy)]
struct Line {
    secs: i64,
    nanos: u32,
    file: u32,
    pos: u32,
    len: u32,
    start: u64,
}

/// Ledger lines on their way to the output, in ledger order.
pub struct Spool {
    /// The lines in memory, one after another.
    text: Vec<u8>,
    index: Vec<Line>,
    /// Sorted runs written out, each a temporary file of (key, length, text).
    runs: Vec<std::fs::File>,
    /// Files that list their newest rows first: their rows of one time are
    /// written in the opposite order of reading (`Importer::import_into`).
    reversed: Vec<bool>,
    /// Ids of rows given up for a later file's copy, by file.
    dropped: HashMap<u32, HashSet<String>>,
    /// The fingerprint of each file's bytes, by file.
    prints: Vec<u64>,
    budget: usize,
}

impl Default for Spool {
    fn default() -> Self {
        Spool {
            text: Vec::new(),
            index: Vec::new(),
            runs: Vec::new(),
            reversed: Vec::new(),
            dropped: HashMap::new(),
            prints: Vec::new(),
            budget: BUDGET,
        }
    }
}

impl Spool {
    /// A spool that writes a run whenever `budget` bytes of lines are held (for
    /// tests of the merge).
    pub fn with_budget(budget: usize) -> Spool {
        Spool {
            budget,
            ..Spool::default()
        }
    }

    /// Adds the record at place `pos` of input file `file`, at `time`: its CSV
    /// line, its cells protected against formula injection (SPEC section 5;
    /// harvest reads them back as they were).
    pub fn push(
        &mut self,
        time: DateTime<Utc>,
        file: u32,
        pos: u32,
        rec: &Record,
    ) -> io::Result<()> {
        let start = self.text.len();
        for (i, cell) in rec.fields().into_iter().enumerate() {
            if i > 0 {
                self.text.push(b',');
            }
            crate::cell::push_csv_cell(&mut self.text, crate::cell::safe_text(cell).as_bytes());
        }
        self.text.push(b'\n');
        let held = self.text.len();
        let len = u32::try_from(held - start).map_err(io::Error::other)?;
        self.index.push(Line {
            secs: time.timestamp(),
            nanos: time.timestamp_subsec_nanos(),
            file,
            pos,
            len,
            start: start as u64,
        });
        if held >= self.budget {
            self.spill()?;
        }
        Ok(())
    }

    /// Gives input file `file` the fingerprint `print`: its rows come before
    /// those of files with a larger one at the same instant. Set before its
    /// first line is pushed.
    pub fn set_print(&mut self, file: u32, print: u64) {
        let i = file as usize;
        if self.prints.len() <= i {
            self.prints.resize(i + 1, 0);
        }
        self.prints[i] = print;
    }

    fn print(&self, file: u32) -> u64 {
        self.prints.get(file as usize).copied().unwrap_or(0)
    }

    /// The order of a line as read (a newest-first file's places not yet
    /// turned around).
    fn order(&self, l: &Line) -> Order {
        (l.secs, l.nanos, self.print(l.file), l.file, l.pos)
    }

    /// Says that input file `file` lists its newest rows first.
    pub fn set_reversed(&mut self, file: u32) {
        let i = file as usize;
        if self.reversed.len() <= i {
            self.reversed.resize(i + 1, false);
        }
        self.reversed[i] = true;
    }

    /// Leaves out the rows of input file `file` whose id is in `ids`.
    pub fn drop_ids<'a>(&mut self, file: u32, ids: impl IntoIterator<Item = &'a str>) {
        let ids: HashSet<String> = ids.into_iter().map(str::to_string).collect();
        if !ids.is_empty() {
            self.dropped.entry(file).or_default().extend(ids);
        }
    }

    fn is_reversed(&self, file: u32) -> bool {
        self.reversed.get(file as usize).copied().unwrap_or(false)
    }

    /// Takes the lines' text out, leaving it empty.
    fn take_text(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.text)
    }

    /// Writes the lines in memory, sorted by key as read, as a run.
    fn spill(&mut self) -> io::Result<()> {
        let mut index = std::mem::take(&mut self.index);
        index.sort_unstable_by_key(|l| self.order(l));
        self.index = index;
        let mut text = self.take_text();
        // Large writes: a run is tens of megabytes, written in a few system calls.
        let mut f = BufWriter::with_capacity(1 << 20, tempfile::tempfile()?);
        for l in &self.index {
            let mut head = [0u8; HEAD];
            head[..8].copy_from_slice(&l.secs.to_le_bytes());
            for (at, v) in [l.nanos, l.file, l.pos, l.len].into_iter().enumerate() {
                head[8 + 4 * at..12 + 4 * at].copy_from_slice(&v.to_le_bytes());
            }
            f.write_all(&head)?;
            f.write_all(&text[l.start as usize..(l.start + u64::from(l.len)) as usize])?;
        }
        let mut f = f.into_inner().map_err(|e| e.into_error())?;
        f.rewind()?;
        self.runs.push(f);
        self.index.clear();
        // The next run reuses the room.
        text.clear();
        self.text = text;
        Ok(())
    }

    /// Whether a line of `file` with this text was given up.
    fn is_dropped(&self, file: u32, text: &[u8]) -> bool {
        let Some(ids) = self.dropped.get(&file) else {
            return false;
        };
        // The id, read back from the line as written (a csv reader made for
        // each line of such a file took 0.7 s a 100,000 lines).
        let id = crate::cell::first_csv_cell(text);
        std::str::from_utf8(&id).is_ok_and(|id| ids.contains(crate::cell::unprotect(id)))
    }

    /// Writes the SPEC header and every line in ledger order.
    pub fn write(self, w: &mut dyn Write) -> io::Result<()> {
        let two = crate::threads::two_cores();
        self.write_on(w, two)
    }

    /// [`Spool::write`], merging runs on a second thread if `two`.
    fn write_on(mut self, w: &mut dyn Write, two: bool) -> io::Result<()> {
        let mut out = csv::Writer::from_writer(&mut *w);
        out.write_record(LEDGER_COLUMNS).map_err(csv_io)?;
        out.flush()?;
        drop(out);
        if self.runs.is_empty() {
            // The place of a row of a newest-first file counts from the end.
            let rev = |s: &Spool, l: &Line| {
                let pos = if s.is_reversed(l.file) {
                    u32::MAX - l.pos
                } else {
                    l.pos
                };
                (l.secs, l.nanos, s.print(l.file), l.file, pos)
            };
            let mut index = std::mem::take(&mut self.index);
            index.sort_unstable_by_key(|l| rev(&self, l));
            let all = self.take_text();
            for l in &index {
                let text = &all[l.start as usize..(l.start + u64::from(l.len)) as usize];
                if !self.is_dropped(l.file, text) {
                    w.write_all(text)?;
                }
            }
            return w.flush();
        }
        if !self.index.is_empty() {
            self.spill()?;
        }
        let runs = std::mem::take(&mut self.runs);
        let readers: Vec<Run> = runs
            .into_iter()
            .map(|f| Run {
                r: Some(BufReader::with_capacity(1 << 16, f)),
                group: VecDeque::new(),
                free: Vec::new(),
                ahead: None,
            })
            .collect();
        // With a second core, the runs are merged on a second thread into
        // blocks of lines that this one writes out: reading the runs back and
        // merging them take about as long as writing the ledger, and by now
        // nothing else runs. On one, handing blocks over would only add a
        // switch of threads per block.
        if !two {
            let mut wrote = Ok(());
            self.merge(readers, |block| match w.write_all(&block) {
                Ok(()) => Some(block),
                Err(e) => {
                    wrote = Err(e);
                    None
                }
            })?;
            return wrote.and_then(|()| w.flush());
        }
        let (full, blocks) = mpsc::sync_channel::<Vec<u8>>(BLOCKS);
        let (give_back, spare) = mpsc::channel::<Vec<u8>>();
        let this = &self;
        std::thread::scope(|scope| {
            let merger = scope.spawn(move || {
                this.merge(readers, |block| {
                    full.send(block).ok()?;
                    Some(spare.try_recv().unwrap_or_default())
                })
            });
            let wrote = (|| {
                for block in &blocks {
                    w.write_all(&block)?;
                    // The merger may have finished: then the block is not needed.
                    let _ = give_back.send(block);
                }
                w.flush()
            })();
            // A failed write stops the merger: its next block has nowhere to go.
            drop(blocks);
            let merged = merger.join().unwrap_or_else(|_| {
                Err(io::Error::other(
                    "internal error: merging the sorted runs failed; please report this",
                ))
            });
            wrote.and(merged)
        })
    }

    /// Merges `runs` by key into blocks of lines, each run giving its lines
    /// with the places of a newest-first file's rows of one time turned
    /// around. `put` takes each full block and gives back one to fill next
    /// (emptied here), or None when the blocks' writer has stopped: the merge
    /// then stops with no error (the writer's is the one to report).
    fn merge(
        &self,
        mut runs: Vec<Run>,
        mut put: impl FnMut(Vec<u8>) -> Option<Vec<u8>>,
    ) -> io::Result<()> {
        let mut block = Vec::with_capacity(2 * BLOCK);
        let mut heap = BinaryHeap::new();
        for (i, r) in runs.iter_mut().enumerate() {
            if let Some(k) = r.peek(self)? {
                heap.push(Reverse((k, i)));
            }
        }
        while let Some(Reverse((_, i))) = heap.pop() {
            let run = &mut runs[i];
            // Lines are taken from one run for as long as it holds the
            // smallest key (runs of a file read in time order hardly overlap),
            // so the heap is touched once per switch of run, not per line.
            loop {
                let (file, text) = run.pop();
                if !self.is_dropped(file, &text) {
                    block.extend_from_slice(&text);
                }
                run.free.push(text);
                if block.len() >= BLOCK {
                    let Some(next) = put(std::mem::take(&mut block)) else {
                        return Ok(());
                    };
                    block = next;
                    block.clear();
                }
                let Some(k) = run.peek(self)? else {
                    // Closed at once: the system drops a run's cached pages
                    // as its file goes (on the merging thread, if one).
                    run.r = None;
                    break;
                };
                if heap.peek().is_some_and(|Reverse(top)| *top < (k, i)) {
                    heap.push(Reverse((k, i)));
                    break;
                }
            }
        }
        if !block.is_empty() {
            // A writer that stopped has its own error to give.
            let _ = put(block);
        }
        Ok(())
    }
}

/// A run being merged: its reader, and the lines of one (time, file) group
/// read ahead, in the order they are to be written.
struct Run {
    /// None once the run is merged.
    r: Option<BufReader<std::fs::File>>,
    group: VecDeque<(Key, Vec<u8>)>,
    /// Buffers of lines written, to read the next lines into.
    free: Vec<Vec<u8>>,
    /// The line read after a newest-first file's group, which starts the next.
    ahead: Option<(Key, Vec<u8>)>,
}

impl Run {
    /// Reads one line: its key (as read) and text, or None at the end.
    fn read_one(&mut self) -> io::Result<Option<(Key, Vec<u8>)>> {
        let Some(r) = self.r.as_mut() else {
            return Ok(None);
        };
        if r.fill_buf()?.is_empty() {
            return Ok(None);
        }
        let mut head = [0u8; HEAD];
        r.read_exact(&mut head)?;
        let word =
            |at: usize| u32::from_le_bytes([head[at], head[at + 1], head[at + 2], head[at + 3]]);
        let secs = i64::from_le_bytes([
            head[0], head[1], head[2], head[3], head[4], head[5], head[6], head[7],
        ]);
        let (nanos, file, pos, len) = (word(8), word(12), word(16), word(20));
        let mut text = self.free.pop().unwrap_or_default();
        text.resize(len as usize, 0);
        r.read_exact(&mut text)?;
        Ok(Some(((secs, nanos, file, pos), text)))
    }

    /// The line read ahead, or the next one of the file.
    fn next_line(&mut self) -> io::Result<Option<(Key, Vec<u8>)>> {
        match self.ahead.take() {
            Some(line) => Ok(Some(line)),
            None => self.read_one(),
        }
    }

    /// The merge key of the next line to write, reading a group when needed.
    fn peek(&mut self, spool: &Spool) -> io::Result<Option<Order>> {
        if self.group.is_empty() {
            let Some(first) = self.next_line()? else {
                return Ok(None);
            };
            let (secs, nanos, file, _) = first.0;
            self.group.push_back(first);
            if spool.is_reversed(file) {
                // The rows of this time and file, as read, then turned around.
                // The line after them is held for the next group: looking at
                // the reader's buffer instead would end a group early where a
                // line's key straddles two fills of the buffer.
                while let Some(next) = self.next_line()? {
                    let (s, n, f, _) = next.0;
                    if (s, n, f) != (secs, nanos, file) {
                        self.ahead = Some(next);
                        break;
                    }
                    self.group.push_back(next);
                }
                self.group.make_contiguous().reverse();
            }
        }
        Ok(self.group.front().map(|((s, n, f, p), _)| {
            let pos = if spool.is_reversed(*f) {
                u32::MAX - p
            } else {
                *p
            };
            (*s, *n, spool.print(*f), *f, pos)
        }))
    }

    /// Takes the next line: its file and text.
    fn pop(&mut self) -> (u32, Vec<u8>) {
        self.group
            .pop_front()
            .map_or((0, Vec::new()), |((_, _, f, _), t)| (f, t))
    }
}

/// The CSV writer of the lines: the ledger's, with no header.
/// The io::Error inside a csv::Error, so that a closed pipe is seen as one.
fn csv_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The lines are written by hand for speed; they must be what the csv
    // crate writes, byte for byte, for any cell.
    proptest::proptest! {
        #[test]
        fn cells_are_written_as_the_csv_crate_writes_them(
            cells in proptest::collection::vec("[a-z,\"\r\n ' é]{0,6}", 14)
        ) {
            let mut ours = Vec::new();
            for (i, c) in cells.iter().enumerate() {
                if i > 0 {
                    ours.push(b',');
                }
                crate::cell::push_csv_cell(&mut ours, c.as_bytes());
            }
            ours.push(b'\n');
            let mut theirs = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
            theirs.write_record(&cells).unwrap();
            proptest::prop_assert_eq!(ours, theirs.into_inner().unwrap());
        }
    }

    fn rec(id: &str, time: &str) -> Record {
        Record {
            id: id.into(),
            time: time.into(),
            account: "a".into(),
            kind: "buy".into(),
            received_qty: "1".into(),
            received_asset: "BTC".into(),
            ..Record::default()
        }
    }

    fn written(budget: usize, two: bool) -> String {
        let mut s = Spool::with_budget(budget);
        let t = |x: &str| x.parse::<DateTime<Utc>>().unwrap();
        // File 0 in time order, with two rows of one second.
        for (p, (id, at)) in [
            ("a1", "2025-01-01T00:00:00Z"),
            ("a2", "2025-01-02T00:00:00Z"),
            ("a3", "2025-01-02T00:00:00Z"),
            ("a4", "2025-01-05T00:00:00Z"),
        ]
        .into_iter()
        .enumerate()
        {
            s.push(t(at), 0, p as u32, &rec(id, at)).unwrap();
        }
        // File 1 newest first: its rows of one second keep their real order.
        for (p, (id, at)) in [
            ("b3", "2025-01-04T00:00:00Z"),
            ("b2", "2025-01-02T00:00:00Z"),
            ("b1", "2025-01-02T00:00:00Z"),
            ("b0", "2025-01-01T00:00:00Z"),
        ]
        .into_iter()
        .enumerate()
        {
            s.push(t(at), 1, p as u32, &rec(id, at)).unwrap();
        }
        s.set_reversed(1);
        s.drop_ids(0, ["a4"]);
        let mut out = Vec::new();
        s.write_on(&mut out, two).unwrap();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap().to_string())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Rows of two files at one instant come in the order of the files'
    /// fingerprints, whichever file was read first; each file's rows keep
    /// their order.
    #[test]
    fn files_at_one_instant_come_in_fingerprint_order() {
        let t = "2025-01-02T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let order = |first_print: u64, budget: usize| {
            let mut s = Spool::with_budget(budget);
            s.set_print(0, first_print);
            s.set_print(1, 5);
            for (f, ids) in [(0, ["a1", "a2"]), (1, ["b1", "b2"])] {
                for (p, id) in ids.into_iter().enumerate() {
                    s.push(t, f, p as u32, &rec(id, "2025-01-02T00:00:00Z"))
                        .unwrap();
                }
            }
            let mut out = Vec::new();
            s.write(&mut out).unwrap();
            let text = String::from_utf8(out).unwrap();
            let ids: Vec<String> = text
                .lines()
                .skip(1)
                .map(|l| l.split(',').next().unwrap().to_string())
                .collect();
            ids.join(" ")
        };
        for budget in [BUDGET, 1] {
            assert_eq!(order(9, budget), "b1 b2 a1 a2");
            assert_eq!(order(1, budget), "a1 a2 b1 b2");
        }
    }

    /// A newest-first file's rows of one second, many more than one read of a
    /// run holds, come out in their real order whatever the runs.
    #[test]
    fn a_long_group_of_a_newest_first_file_stays_whole_across_reads() {
        let at = "2025-01-02T00:00:00Z";
        let t = at.parse::<DateTime<Utc>>().unwrap();
        let ids = |budget: usize| {
            let mut s = Spool::with_budget(budget);
            for p in 0..3000u32 {
                s.push(t, 0, p, &rec(&format!("row{:05}", 2999 - p), at))
                    .unwrap();
            }
            s.set_reversed(0);
            let mut out = Vec::new();
            s.write(&mut out).unwrap();
            String::from_utf8(out).unwrap()
        };
        let want: String = std::iter::once(LEDGER_COLUMNS.join(","))
            .chain((0..3000).map(|i| format!("row{i:05},{at},a,buy,,,1,BTC,,,,,,,,,")))
            .map(|l| l + "\n")
            .collect();
        assert_eq!(ids(BUDGET), want);
        assert_eq!(ids(150_000), want);
    }

    /// A write that fails while the merger waits to hand over more blocks
    /// than can be in flight ends the write with that error, not a hang; so
    /// does one that fails with the runs merged on the writing thread.
    #[test]
    fn a_failed_write_stops_the_merge_with_its_error() {
        struct Fails(usize);
        impl Write for Fails {
            fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                if self.0 < b.len() {
                    return Err(io::Error::other("disk full"));
                }
                self.0 -= b.len();
                Ok(b.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let at = "2025-01-02T00:00:00Z";
        let t = at.parse::<DateTime<Utc>>().unwrap();
        for two in [true, false] {
            let mut s = Spool::with_budget(BLOCK);
            let long = "x".repeat(200);
            let lines = (BLOCKS + 4) * BLOCK / 200;
            for p in 0..lines as u32 {
                let mut r = rec(&format!("row{p:07}"), at);
                r.note = long.clone();
                s.push(t, 0, p, &r).unwrap();
            }
            let err = s.write_on(&mut Fails(BLOCK + 10), two).unwrap_err();
            assert_eq!(err.to_string(), "disk full");
        }
    }

    /// The merge of runs written out gives exactly what sorting in memory
    /// gives: by time, then file, then place (a newest-first file's places
    /// counted from its end), rows given up left out.
    #[test]
    fn runs_merge_into_the_order_memory_gives() {
        let want = "a1 b0 a2 a3 b1 b2 b3";
        for two in [false, true] {
            assert_eq!(written(BUDGET, two), want);
            for budget in [1, 60, 150, 400] {
                assert_eq!(written(budget, two), want, "budget {budget}");
            }
        }
    }
}
