//! Reading the text of an input file: decoding its bytes, its CSV records as
//! rows of trimmed cells with their lines, and the sheet below the header that
//! the formats read.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

use crate::csvread;

use super::accounting::{Entry, ImportError};
use super::cx::Cx;

/// The data below the header.
pub(crate) struct Sheet {
    pub header_line: u64,
    pub header: Vec<String>,
    pub rows: Vec<SheetRow>,
}

#[derive(Default)]
pub(crate) struct SheetRow {
    pub line: u64,
    pub cells: Vec<String>,
    /// Cells parsed ahead on the reading thread (see [`read_ahead`]).
    pub parsed: Parsed,
}

/// Cells of a row that a format's `prep` parsed on the reading thread, each
/// as the format's own reader would read it on its fast path: None where that
/// path does not apply (the format then reads the cell itself, problems and
/// all). Empty for a row no `prep` saw.
#[derive(Default)]
pub(crate) struct Parsed {
    pub time: Option<chrono::DateTime<chrono::Utc>>,
    /// Amounts, in the order of the columns the format's `prep` reads.
    pub amounts: Vec<Option<rust_decimal::Decimal>>,
}

impl Parsed {
    /// The amount `prep` read at `k`, if it read one.
    pub fn amount(&self, k: usize) -> Option<rust_decimal::Decimal> {
        self.amounts.get(k).copied().flatten()
    }
}

impl SheetRow {
    pub fn new(line: u64, cells: Vec<String>) -> SheetRow {
        SheetRow {
            line,
            cells,
            parsed: Parsed::default(),
        }
    }

    /// The cell at `i`, or "" when the row is shorter.
    pub fn get(&self, i: usize) -> &str {
        self.cells.get(i).map_or("", |s| s.as_str())
    }

    /// True when every cell is empty (Excel pads files with `,,,,` rows).
    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(|c| c.is_empty())
    }

    /// A 128-bit key of the row's cells (each with its length, so that no two
    /// rows share one but by a hash collision).
    pub fn cells_key(&self) -> u128 {
        let mut h = siphasher::sip128::SipHasher13::new();
        self.hash_cells(&mut h);
        siphasher::sip128::Hasher128::finish128(&h).as_u128()
    }

    /// Feeds the row's cells to `h`, each with its length.
    pub fn hash_cells(&self, h: &mut impl std::hash::Hasher) {
        h.write_u64(self.cells.len() as u64);
        for c in &self.cells {
            h.write_u64(c.len() as u64);
            h.write(c.as_bytes());
        }
    }
}

impl Sheet {
    /// The index of the first column with one of these names (exact, after
    /// trimming; Kraken and Coinbase headers are case-sensitive in practice, but
    /// a capitalised variant is accepted).
    pub fn col(&self, names: &[&str]) -> Option<usize> {
        names.iter().find_map(|n| {
            self.header
                .iter()
                .position(|h| h == n)
                .or_else(|| self.header.iter().position(|h| h.eq_ignore_ascii_case(n)))
        })
    }

    /// Like [`Sheet::col`] but a missing column is a problem reported against
    /// the header line.
    pub fn need(&self, cx: &mut Cx, names: &[&str]) -> usize {
        match self.col(names) {
            Some(i) => i,
            None => {
                cx.problem(
                    self.header_line,
                    Some(names[0]),
                    None,
                    format!(
                        "is missing from the header; the {} export needs it",
                        cx.format
                    ),
                );
                usize::MAX
            }
        }
    }

    /// Checks a row has as many cells as the header (a truncated last line, or
    /// a stray comma, shows up here). `optional_tail` trailing columns may be
    /// missing.
    pub fn check_width(&self, cx: &mut Cx, row: &SheetRow, optional_tail: usize) -> bool {
        self.check_count(cx, row.line, row.cells.len(), optional_tail)
    }

    /// [`Sheet::check_width`] for a row of `n` cells at `line`.
    pub fn check_count(&self, cx: &mut Cx, line: u64, n: usize, optional_tail: usize) -> bool {
        let h = self.header.len();
        if n > h || n + optional_tail < h {
            cx.problem(
                line,
                None,
                None,
                format!(
                    "has {n} fields but the header has {h}: the line is cut short or has a \
                     stray comma"
                ),
            );
            return false;
        }
        true
    }

    /// The common start of every format's row loop: a row of the wrong width is
    /// a problem, and a blank row or one with an empty `key` cell (footers,
    /// padding) is skipped with its reason. True when the row is to be read.
    pub fn data_row(&self, cx: &mut Cx, row: &SheetRow, key: usize, out: &mut Vec<Entry>) -> bool {
        if !self.check_width(cx, row, 0) {
            return false;
        }
        if row.is_blank() || row.get(key).is_empty() {
            out.push(Entry::skip(row.line, "blank or footer row"));
            return false;
        }
        true
    }
}

/// Reads the data rows one at a time, those already in `sheet` and then the
/// rest of `stream`, giving each to `each` (and `None` once, after the last)
/// with a buffer whose entries go to `emit` at once: the file is never held
/// whole. When the header already has problems the rows are only read, so
/// that a CSV error in them is the one reported.
pub(crate) fn stream_rows(
    sheet: &Sheet,
    stream: &mut RowStream,
    cx: &mut Cx,
    emit: &mut dyn FnMut(&mut Cx, Entry),
    mut each: impl FnMut(Option<&SheetRow>, &mut Cx, &mut Vec<Entry>),
) -> Result<(), ImportError> {
    if cx.failed() {
        return DataRows::new(sheet, stream).skip_all();
    }
    let mut out = Vec::new();
    let mut rows = DataRows::new(sheet, stream);
    while let Some(r) = rows.next()? {
        each(Some(r), cx, &mut out);
        hand_over(&mut out, cx, emit);
    }
    each(None, cx, &mut out);
    hand_over(&mut out, cx, emit);
    Ok(())
}

/// Gives the entries made so far to `emit`, in order, leaving `out` empty.
pub(crate) fn hand_over(out: &mut Vec<Entry>, cx: &mut Cx, emit: &mut dyn FnMut(&mut Cx, Entry)) {
    for e in out.drain(..) {
        emit(cx, e);
    }
}

/// The data rows one at a time, those already in a sheet and then the rest
/// of a stream, for a format's row loop (`while let Some(row) =
/// rows.next()?`): the file is never held whole.
pub(crate) struct DataRows<'s, 'r, 't> {
    sheet: &'s Sheet,
    at: usize,
    stream: &'r mut RowStream<'t>,
    row: SheetRow,
}

impl<'s, 'r, 't> DataRows<'s, 'r, 't> {
    pub fn new(sheet: &'s Sheet, stream: &'r mut RowStream<'t>) -> Self {
        DataRows {
            sheet,
            at: 0,
            stream,
            row: SheetRow::default(),
        }
    }

    /// The next row; None after the last.
    pub fn next(&mut self) -> Result<Option<&SheetRow>, ImportError> {
        if let Some(r) = self.sheet.rows.get(self.at) {
            self.at += 1;
            return Ok(Some(r));
        }
        Ok(self.stream.next_into(&mut self.row)?.then_some(&self.row))
    }

    /// Reads the rest only (when the header has problems), so that a CSV
    /// error in them is the one reported.
    pub fn skip_all(mut self) -> Result<(), ImportError> {
        while self.next()?.is_some() {}
        Ok(())
    }
}

/// Decodes the bytes: a leading BOM is dropped; UTF-8 when valid, else
/// Windows-1252 (files re-saved on Windows, where `€` is byte 0x80).
pub(crate) fn decode(data: &[u8]) -> std::borrow::Cow<'_, str> {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    match std::str::from_utf8(data) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => std::borrow::Cow::Owned(data.iter().map(|&b| cp1252(b)).collect()),
    }
}

fn cp1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    if (0x80..0xA0).contains(&b) {
        HIGH[(b - 0x80) as usize]
    } else {
        char::from(b)
    }
}

/// Every CSV record with its 1-based line, cells trimmed of spaces and of a
/// BOM (some files have one on an otherwise empty first line), up to `limit`.
/// `data` may be cut short (the head of a file): a quote left open by the cut
/// ends the rows instead of failing.
pub(super) fn read_rows(text: &str, file: &str, limit: usize) -> Vec<(u64, Vec<String>)> {
    let mut stream = RowStream::new(text, file);
    let mut out = Vec::new();
    while out.len() < limit {
        match stream.next_owned() {
            Ok(Some(r)) => out.push(r),
            Ok(None) | Err(_) => break,
        }
    }
    out
}

/// The text of an input: bytes already in memory, decoded at once, or a file
/// decoded as it is read, so that a file of gigabytes never sits in memory.
/// Either is UTF-8 (a byte-order mark dropped) or, when any byte of it is not,
/// Windows-1252 throughout (what Excel writes on Windows), like [`decode`].
pub struct Text<'a> {
    source: Source<'a>,
    /// See [`Text::fingerprint`].
    print: u64,
    /// What `on_read` was told (see [`Text::read_times`]).
    told: Told,
}

/// What a file's readings told `on_read`, in sixths of bytes: a byte read
/// once counts six, a byte of a file read twice three each time, of one read
/// three times two. The readings are one after another, not at once.
#[derive(Default)]
struct Told {
    /// How many times the rows are read, once known (0 before).
    times: AtomicU64,
    /// The bytes read, each counted six, before that.
    once: AtomicU64,
    /// Sixths of bytes counted, and the bytes told so far.
    sixths: AtomicU64,
    bytes: AtomicU64,
}

/// A 64-bit fingerprint of bytes read in pieces of any size: the same bytes
/// always give the same number, on any machine (the computation is this
/// code's, not a library's), so that inputs can be ranked by their content
/// instead of the order they are given in. Eight bytes at a time, about as
/// fast as reading them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fingerprint {
    h: u64,
    /// Bytes not yet making a whole word, and how many.
    tail: u64,
    n: u32,
    len: u64,
}

impl Fingerprint {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;

    fn word(&mut self, w: u64) {
        self.h = (self.h.rotate_left(23) ^ w).wrapping_mul(Self::K);
    }

    /// Adds the next bytes.
    pub fn update(&mut self, mut b: &[u8]) {
        self.len += b.len() as u64;
        while self.n != 0 && !b.is_empty() {
            self.tail |= u64::from(b[0]) << (8 * self.n);
            self.n += 1;
            b = &b[1..];
            if self.n == 8 {
                self.word(self.tail);
                (self.tail, self.n) = (0, 0);
            }
        }
        let mut words = b.chunks_exact(8);
        for w in &mut words {
            let mut a = [0u8; 8];
            a.copy_from_slice(w);
            self.word(u64::from_le_bytes(a));
        }
        for &x in words.remainder() {
            self.tail |= u64::from(x) << (8 * self.n);
            self.n += 1;
        }
    }

    /// The fingerprint of the bytes added.
    pub fn finish(&self) -> u64 {
        let mut f = *self;
        f.word(f.tail);
        f.word(f.len);
        // A final mix (splitmix64's), so that every input bit moves all of them.
        let mut z = f.h;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// The fingerprint of `b`.
    pub fn of(b: &[u8]) -> u64 {
        let mut f = Fingerprint::default();
        f.update(b);
        f.finish()
    }
}

enum Source<'a> {
    Memory(Cow<'a, str>),
    File {
        path: &'a Path,
        utf8: bool,
        lines: usize,
        on_read: Option<&'a (dyn Fn(usize) + Sync)>,
    },
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

impl<'a> Text<'a> {
    /// Bytes in memory (standard input, tests).
    pub fn bytes(data: &'a [u8]) -> Self {
        Text {
            source: Source::Memory(decode(data)),
            print: Fingerprint::of(data),
            told: Told::default(),
        }
    }

    /// About how many rows the file at `path` has: its size over the bytes a
    /// line takes in its first 256 KiB, a thirty-second more for room (every
    /// page of a table made too large is cleared for nothing; one too small
    /// is made again once the lines are counted), and no more than a row per
    /// 32 bytes. None when it cannot be read or is small
    /// (under 1 MiB: a table for its ids is made at once either way).
    pub fn rows_estimate(path: &Path) -> Option<usize> {
        const SAMPLE: usize = 1 << 18;
        let f = File::open(path).ok()?;
        let size = usize::try_from(f.metadata().ok()?.len()).ok()?;
        if size < 1 << 20 {
            return None;
        }
        let mut buf = Vec::with_capacity(SAMPLE);
        f.take(SAMPLE as u64).read_to_end(&mut buf).ok()?;
        let lines = memchr::memchr_iter(b'\n', &buf).count().max(1);
        let n = buf.len().max(1) as u128;
        let estimate = (size as u128 * lines as u128 * 33 / (n * 32)) as usize;
        Some(estimate.min(size / 32))
    }

    /// A file, read once here to learn its encoding and then again as its
    /// rows are read. `on_read` is told the bytes of each piece read for rows
    /// (a progress bar).
    pub fn file(path: &'a Path, on_read: Option<&'a (dyn Fn(usize) + Sync)>) -> io::Result<Self> {
        let (utf8, lines, print) = scan(File::open(path)?)?;
        Ok(Text {
            source: Source::File {
                path,
                utf8,
                lines,
                on_read,
            },
            print,
            told: Told::default(),
        })
    }

    /// Notes that the rows are to be read `times` times in all, 2 or 3 (an
    /// export whose rows depend on rows after them): `on_read` is told that
    /// share of each piece read from here on, by this reading and the next
    /// ones, so that a progress bar reaches its end with the last reading,
    /// not the first. The next readings tell nothing of the bytes this one
    /// told in full.
    pub(crate) fn read_times(&self, times: u64) {
        debug_assert!(times == 2 || times == 3);
        self.told.times.store(times, Ordering::Relaxed);
    }

    /// The [`Fingerprint`] of the input's bytes, as read (before decoding): it
    /// ranks inputs where their order would otherwise decide (rows of two
    /// files at one instant, one id in two exports with other facts).
    pub fn fingerprint(&self) -> u64 {
        self.print
    }

    /// How many rows the text may have, at most (its line ends).
    pub fn rows_hint(&self) -> usize {
        match &self.source {
            Source::Memory(text) => memchr::memchr_iter(b'\n', text.as_bytes()).count(),
            Source::File { lines, .. } => *lines,
        }
    }

    /// A reader of the decoded text from its start; `count` reports to
    /// `on_read`.
    fn reader(&self, count: bool) -> io::Result<Box<dyn BufRead + Send + '_>> {
        match &self.source {
            Source::Memory(text) => Ok(Box::new(text.as_bytes())),
            Source::File {
                path,
                utf8,
                on_read,
                ..
            } => {
                let t = &self.told;
                let raw = Counting {
                    inner: File::open(path)?,
                    on_read: on_read.filter(|_| count),
                    told: t,
                    // A second reading, begun after the first told some
                    // pieces in full.
                    skip: if t.times.load(Ordering::Relaxed) > 0 {
                        t.once.load(Ordering::Relaxed)
                    } else {
                        0
                    },
                };
                let mut r = BufReader::with_capacity(1 << 18, raw);
                if r.fill_buf()?.starts_with(BOM) {
                    r.consume(BOM.len());
                }
                if *utf8 {
                    Ok(Box::new(r))
                } else {
                    Ok(Box::new(Cp1252 {
                        inner: r,
                        out: String::new(),
                        pos: 0,
                    }))
                }
            }
        }
    }
}

/// Whether the whole of `r` is UTF-8, how many line ends it has, and its
/// [`Fingerprint`], read in pieces.
fn scan(mut r: impl Read) -> io::Result<(bool, usize, u64)> {
    let mut buf = vec![0u8; 1 << 18];
    let (mut carry, mut lines, mut utf8) = (0, 0, true);
    let mut print = Fingerprint::default();
    loop {
        let n = match r.read(&mut buf[carry..]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if n == 0 {
            return Ok((utf8 && carry == 0, lines, print.finish()));
        }
        print.update(&buf[carry..carry + n]);
        lines += memchr::memchr_iter(b'\n', &buf[carry..carry + n]).count();
        let end = carry + n;
        carry = 0;
        if utf8 {
            match std::str::from_utf8(&buf[..end]) {
                Ok(_) => {}
                // A character cut by the end of the piece goes on in the next one.
                Err(e) if e.error_len().is_none() => {
                    let valid = e.valid_up_to();
                    buf.copy_within(valid..end, 0);
                    carry = end - valid;
                }
                Err(_) => utf8 = false,
            }
        }
    }
}

/// Tells `on_read` of every piece read.
struct Counting<'a, R> {
    inner: R,
    on_read: Option<&'a (dyn Fn(usize) + Sync)>,
    /// See [`Text::read_times`]: what was told, and the bytes still to count
    /// nothing (those a first reading counted two).
    told: &'a Told,
    skip: u64,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(f) = self.on_read {
            let t = self.told;
            let n64 = n as u64;
            let sixths = match t.times.load(Ordering::Relaxed) {
                0 => {
                    t.once.fetch_add(n64, Ordering::Relaxed);
                    6 * n64
                }
                times => {
                    let skip = self.skip.min(n64);
                    self.skip -= skip;
                    (n64 - skip) * (6 / times)
                }
            };
            let sixths = t.sixths.fetch_add(sixths, Ordering::Relaxed) + sixths;
            let before = t.bytes.swap(sixths / 6, Ordering::Relaxed);
            f((sixths / 6 - before) as usize);
        }
        Ok(n)
    }
}

/// Windows-1252 bytes as UTF-8 text, a piece at a time.
struct Cp1252<R> {
    inner: R,
    out: String,
    pos: usize,
}

impl<R: BufRead> Read for Cp1252<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = {
            let text = self.fill_buf()?;
            let n = text.len().min(buf.len());
            buf[..n].copy_from_slice(&text[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Cp1252<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.out.len() {
            self.out.clear();
            self.pos = 0;
            let raw = self.inner.fill_buf()?;
            self.out.extend(raw.iter().map(|&b| cp1252(b)));
            let n = raw.len();
            self.inner.consume(n);
        }
        Ok(&self.out.as_bytes()[self.pos..])
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.out.len());
    }
}

/// Reads the CSV records of a text one at a time, as rows of trimmed cells.
pub(crate) struct RowStream<'t> {
    pub(super) rdr: csvread::Reader<Box<dyn BufRead + Send + 't>>,
    rec: csvread::Record,
    /// The record after `rec`, read ahead by [`RowStream::next_with_ahead`],
    /// and how its reading went (None: nothing read ahead).
    next: csvread::Record,
    ahead: Option<Result<bool, ImportError>>,
    file: &'t str,
    /// The lines of the rows given by [`RowStream::next_into`].
    pub lines: LineSet,
}

impl<'t> RowStream<'t> {
    pub fn new(text: &'t str, file: &'t str) -> Self {
        Self::with_input(Box::new(text.as_bytes()), file)
    }

    /// The rows of `text` from its start; `count`: its reading is reported to
    /// the text's `on_read`.
    pub fn of(text: &'t Text<'_>, file: &'t str, count: bool) -> Result<Self, ImportError> {
        let input = text.reader(count).map_err(|source| ImportError::Read {
            file: file.into(),
            source,
        })?;
        Ok(Self::with_input(input, file))
    }

    fn with_input(input: Box<dyn BufRead + Send + 't>, file: &'t str) -> Self {
        RowStream {
            rdr: csvread::Reader::new(input),
            rec: csvread::Record::default(),
            next: csvread::Record::default(),
            ahead: None,
            file,
            lines: LineSet::default(),
        }
    }

    /// Reads the next record into `self.rec` and returns its cells; None at
    /// the end.
    pub(super) fn read(&mut self) -> Result<Option<csvread::TextRecord<'_>>, ImportError> {
        if !self.advance()? {
            return Ok(None);
        }
        text_of(&self.rec, self.file).map(Some)
    }

    /// Reads the next row and hands its line and cells (untrimmed: see
    /// [`trim_cell`]) to `f` where they lie, with no copy; None at the end.
    /// First it reads the record after this one and hands its cells to `peek`
    /// (for the table of ids seen to fetch the next id's slot while this row
    /// is made). A reading error of that record is returned by the next call,
    /// after this row is made, as a serial read would.
    pub fn next_with_ahead<T>(
        &mut self,
        peek: impl FnOnce(&csvread::TextRecord<'_>),
        f: impl FnOnce(u64, &csvread::TextRecord<'_>) -> T,
    ) -> Result<Option<T>, ImportError> {
        if !self.advance()? {
            return Ok(None);
        }
        let read = read_into(&mut self.rdr, &mut self.next, self.file);
        if let Ok(true) = read
            && let Ok(next) = self.next.text()
        {
            peek(&next);
        }
        self.ahead = Some(read);
        let line = self.rec.line();
        self.lines.insert(line);
        Ok(Some(f(line, &text_of(&self.rec, self.file)?)))
    }

    /// Reads the next record into `self.rec` (the one read ahead, if any);
    /// false at the end.
    fn advance(&mut self) -> Result<bool, ImportError> {
        match self.ahead.take() {
            Some(read) => {
                std::mem::swap(&mut self.rec, &mut self.next);
                read
            }
            None => read_into(&mut self.rdr, &mut self.rec, self.file),
        }
    }

    /// The next row as (line, cells).
    pub fn next_owned(&mut self) -> Result<Option<(u64, Vec<String>)>, ImportError> {
        let Some(rec) = self.read()? else {
            return Ok(None);
        };
        let cells = rec.iter().map(|c| trim_cell(c).to_string()).collect();
        Ok(Some((self.rec.line(), cells)))
    }

    /// Reads the next row into `row`, reusing its cells; false at the end.
    pub fn next_into(&mut self, row: &mut SheetRow) -> Result<bool, ImportError> {
        let Some(rec) = self.read()? else {
            return Ok(false);
        };
        let n = rec.len();
        row.cells.truncate(n);
        for (i, c) in rec.iter().enumerate() {
            let c = trim_cell(c);
            match row.cells.get_mut(i) {
                Some(cell) => {
                    cell.clear();
                    cell.push_str(c);
                }
                None => row.cells.push(c.to_string()),
            }
        }
        row.line = self.rec.line();
        self.lines.insert(row.line);
        // Nothing parsed from an earlier row stays with this one.
        row.parsed.time = None;
        row.parsed.amounts.clear();
        Ok(true)
    }
}

/// A source of data rows, one at a time into a reused row.
pub(crate) trait Rows {
    /// Reads the next row into `row`, reusing its cells; false at the end.
    fn next_into(&mut self, row: &mut SheetRow) -> Result<bool, ImportError>;
}

impl Rows for RowStream<'_> {
    fn next_into(&mut self, row: &mut SheetRow) -> Result<bool, ImportError> {
        RowStream::next_into(self, row)
    }
}

/// Rows read ahead at once, a batch at a time.
const AHEAD: usize = 1024;

/// A batch of rows read ahead: the rows, and how many of them hold one.
type AheadBatch = (Vec<SheetRow>, usize);

/// The rows of a [`RowStream`] read on a thread of their own (see
/// [`read_ahead`]), handed over in the order read: the rows before a CSV
/// error, then the error.
pub(crate) struct Ahead {
    batches: mpsc::Receiver<Result<AheadBatch, ImportError>>,
    /// Batches read, handed back for their rows' room.
    back: mpsc::Sender<Vec<SheetRow>>,
    rows: Vec<SheetRow>,
    len: usize,
    at: usize,
}

impl Rows for Ahead {
    fn next_into(&mut self, row: &mut SheetRow) -> Result<bool, ImportError> {
        if self.at == self.len {
            let done = std::mem::take(&mut self.rows);
            if !done.is_empty() {
                // The reader may have finished: then the rows are not needed.
                let _ = self.back.send(done);
            }
            match self.batches.recv() {
                Ok(Ok((rows, len))) => (self.rows, self.len, self.at) = (rows, len, 0),
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(false),
            }
        }
        // The row given takes the batch's slot: its cells' room goes back to
        // the reader with the batch.
        std::mem::swap(row, &mut self.rows[self.at]);
        self.at += 1;
        Ok(true)
    }
}

/// Runs `f` on the rows of `stream`, split out of the CSV on a second thread
/// while `f` makes records of the ones before: for the large exports, whose
/// records are made on one thread, the CSV is a fifth of the work. `prep` runs
/// on that thread too, on each row as it is read (to fill [`SheetRow::parsed`]).
/// The rows handed over are those `stream.lines` holds after, unless `f` stops
/// before the end (an error), when some more may have been read.
pub(crate) fn read_ahead<T>(
    stream: &mut RowStream<'_>,
    prep: impl Fn(&mut SheetRow) + Send,
    f: impl FnOnce(&mut Ahead) -> T,
) -> T {
    std::thread::scope(|scope| {
        let (to_reader, back) = mpsc::channel::<Vec<SheetRow>>();
        let (to_maker, batches) = mpsc::sync_channel(2);
        scope.spawn(move || {
            loop {
                let mut rows = back.try_recv().unwrap_or_default();
                let mut len = 0;
                let mut failed = None;
                while len < AHEAD {
                    if rows.len() == len {
                        rows.push(SheetRow::default());
                    }
                    match stream.next_into(&mut rows[len]) {
                        Ok(true) => {
                            prep(&mut rows[len]);
                            len += 1;
                        }
                        Ok(false) => break,
                        Err(e) => {
                            failed = Some(e);
                            break;
                        }
                    }
                }
                let end = len < AHEAD;
                // A closed channel: `f` is done, and so is the reading.
                if len > 0 && to_maker.send(Ok((rows, len))).is_err() {
                    return;
                }
                if let Some(e) = failed {
                    let _ = to_maker.send(Err(e));
                    return;
                }
                if end {
                    return;
                }
            }
        });
        let mut ahead = Ahead {
            batches,
            back: to_reader,
            rows: Vec::new(),
            len: 0,
            at: 0,
        };
        f(&mut ahead)
    })
}

/// A set of line numbers, a bit each up to the largest: a file's data rows
/// and the rows its entries account for, 1.2 MB for ten million lines.
#[derive(Default)]
pub(crate) struct LineSet {
    bits: Vec<u64>,
    len: usize,
}

impl LineSet {
    pub fn insert(&mut self, line: u64) {
        let (i, bit) = ((line / 64) as usize, 1u64 << (line % 64));
        if i >= self.bits.len() {
            self.bits.resize(i + 1, 0);
        }
        if self.bits[i] & bit == 0 {
            self.bits[i] |= bit;
            self.len += 1;
        }
    }

    pub fn contains(&self, line: u64) -> bool {
        self.bits
            .get((line / 64) as usize)
            .is_some_and(|w| w & (1u64 << (line % 64)) != 0)
    }

    /// How many lines are in the set.
    pub fn len(&self) -> usize {
        self.len
    }

    /// The lines, in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        self.bits.iter().enumerate().flat_map(|(i, &w)| {
            let mut w = w;
            std::iter::from_fn(move || {
                (w != 0).then(|| {
                    let b = w.trailing_zeros();
                    w &= w - 1;
                    i as u64 * 64 + u64::from(b)
                })
            })
        })
    }
}

/// Reads the next record of `rdr` into `rec`; false at the end.
fn read_into(
    rdr: &mut csvread::Reader<Box<dyn BufRead + Send + '_>>,
    rec: &mut csvread::Record,
    file: &str,
) -> Result<bool, ImportError> {
    match rdr.read(rec) {
        Ok(more) => Ok(more),
        Err(
            e @ (csvread::CsvError::UnclosedQuote { field, .. }
            | csvread::CsvError::RowsInCell { field, .. }),
        ) => Err(ImportError::Quoting {
            file: file.into(),
            line: e.line(),
            field,
            column: None,
            problem: e.to_string(),
        }),
        Err(e) => Err(ImportError::Csv {
            file: file.into(),
            line: rec.line(),
            message: e.to_string(),
        }),
    }
}

/// The cells of a record read.
fn text_of<'r>(
    rec: &'r csvread::Record,
    file: &str,
) -> Result<csvread::TextRecord<'r>, ImportError> {
    // The text is UTF-8 and cells end at ASCII bytes, so every cell is
    // UTF-8; an error here would be a bug, reported rather than hidden.
    rec.text().map_err(|_| ImportError::Csv {
        file: file.into(),
        line: rec.line(),
        message: "a cell is not UTF-8 text".into(),
    })
}

/// A cell without surrounding spaces or a BOM.
#[inline]
pub(crate) fn trim_cell(c: &str) -> &str {
    // Most cells are empty, or start and end with a plain ASCII character:
    // nothing to trim.
    match (c.as_bytes().first(), c.as_bytes().last()) {
        (None, _) => c,
        (Some(&a), Some(&z)) if a > b' ' && a < 0x80 && z > b' ' && z < 0x80 => c,
        _ => c.trim_matches(|ch: char| ch.is_whitespace() || ch == '\u{feff}'),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ImportOptions, Importer};
    use super::*;

    #[test]
    fn line_sets_count_and_list_their_lines() {
        let mut s = LineSet::default();
        for l in [3, 64, 3, 1000, 63] {
            s.insert(l);
        }
        assert_eq!(s.len(), 4);
        assert_eq!(s.iter().collect::<Vec<_>>(), [3, 63, 64, 1000]);
        assert!(s.contains(64) && !s.contains(65) && !s.contains(100_000));
    }

    /// Every row of `rows` with its line, then the error that ended them.
    fn drain(rows: &mut dyn Rows) -> (Vec<(u64, Vec<String>)>, Option<String>) {
        let mut got = Vec::new();
        let mut row = SheetRow::default();
        loop {
            match rows.next_into(&mut row) {
                Ok(true) => got.push((row.line, row.cells.clone())),
                Ok(false) => return (got, None),
                Err(e) => return (got, Some(e.to_string())),
            }
        }
    }

    /// Rows read ahead on a thread come as a serial read gives them: the same
    /// rows and lines, then the same error, over several batches.
    #[test]
    fn rows_read_ahead_are_the_rows_read_in_turn() {
        let mut text = String::from("a,b\n");
        for i in 0..2 * AHEAD + 7 {
            text.push_str(&format!("{i},\"x {i}\"\n"));
            if i % 100 == 0 {
                text.push('\n');
            }
        }
        let broken = format!("{text}1,\"open\n");
        for text in [text, broken] {
            let mut stream = RowStream::new(&text, "t.csv");
            let serial = (drain(&mut stream), stream.lines.iter().collect::<Vec<_>>());
            let mut stream = RowStream::new(&text, "t.csv");
            let ahead = read_ahead(&mut stream, |_| {}, |rows| drain(rows));
            assert_eq!((ahead, stream.lines.iter().collect()), serial);
        }
    }

    /// Rows read one ahead are the rows read in turn (the same rows and
    /// lines, then the same error), and each row's peek is at the next row.
    #[test]
    fn rows_read_one_ahead_are_the_rows_read_in_turn() {
        let text = "a,b\n1,x\n\n2,\"y\"\n3,z\n";
        let broken = format!("{text}4,\"open\n");
        for text in [text.to_string(), broken] {
            let cells = |rec: &csvread::TextRecord<'_>| -> Vec<String> {
                rec.iter().map(|c| c.to_string()).collect()
            };
            let read = |ahead: bool| {
                let mut stream = RowStream::new(&text, "t.csv");
                let (mut rows, mut peeks) = (Vec::new(), Vec::new());
                let end = loop {
                    let mut row = SheetRow::default();
                    let got = if ahead {
                        stream.next_with_ahead(
                            |next| peeks.push(cells(next)),
                            |line, rec| (line, cells(rec)),
                        )
                    } else {
                        stream
                            .next_into(&mut row)
                            .map(|more| more.then(|| (row.line, row.cells.clone())))
                    };
                    match got {
                        Ok(Some(row)) => rows.push(row),
                        Ok(None) => break None,
                        Err(e) => break Some(e.to_string()),
                    }
                };
                (rows, end, stream.lines.iter().collect::<Vec<_>>(), peeks)
            };
            let (rows, end, lines, peeks) = read(true);
            let serial = read(false);
            assert_eq!((&rows, &end, &lines), (&serial.0, &serial.1, &serial.2));
            let after: Vec<Vec<String>> = rows.iter().skip(1).map(|r| r.1.clone()).collect();
            assert_eq!(peeks, after);
        }
    }

    /// A large file's rows are guessed from its first lines, a 32nd over,
    /// and never more than a row per 32 bytes; a small or missing file gets
    /// no guess.
    #[test]
    fn a_large_files_rows_are_guessed_from_its_first_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.csv");
        let line = "r1,2025-01-01T00:00:00Z,kraken,buy,1,USD,1,BTC,,,1,,,\n";
        let rows = (2 << 20) / line.len();
        std::fs::write(&path, line.repeat(rows)).unwrap();
        let guess = Text::rows_estimate(&path).unwrap();
        assert!(
            guess > rows + rows / 40 && guess <= rows + rows / 32 + 1,
            "{guess} for {rows}"
        );
        std::fs::write(&path, "x\n".repeat(1 << 20)).unwrap();
        assert_eq!(Text::rows_estimate(&path), Some((2 << 20) / 32));
        std::fs::write(&path, line.repeat(1000)).unwrap();
        assert_eq!(Text::rows_estimate(&path), None);
        assert_eq!(Text::rows_estimate(&dir.path().join("none.csv")), None);
    }

    // A file is decoded as it is read, piece by piece, into what decoding it
    // whole gives: UTF-8 (a character cut between pieces included, a BOM
    // dropped) or, with any byte that is not UTF-8, Windows-1252 throughout.
    #[test]
    fn files_read_in_pieces_decode_as_bytes_do() {
        let dir = tempfile::tempdir().unwrap();
        let mut utf8 = b"\xEF\xBB\xBFh\n".to_vec();
        utf8.extend("é€,x\n".repeat(100_000).as_bytes());
        let mut cp = utf8.clone();
        cp.extend(b"\x80 4.85\n");
        for data in [utf8, cp, Vec::new()] {
            let path = dir.path().join("f.csv");
            std::fs::write(&path, &data).unwrap();
            let read = std::sync::atomic::AtomicUsize::new(0);
            let count = |n: usize| {
                read.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
            };
            let text = Text::file(&path, Some(&count)).unwrap();
            let mut got = String::new();
            text.reader(true).unwrap().read_to_string(&mut got).unwrap();
            assert_eq!(got, decode(&data));
            assert_eq!(read.load(std::sync::atomic::Ordering::Relaxed), data.len());
            assert_eq!(text.rows_hint(), Text::bytes(&data).rows_hint());
            // The fingerprint of the pieces is that of the whole.
            assert_eq!(text.fingerprint(), Text::bytes(&data).fingerprint());
        }
        // Any split into pieces gives the same fingerprint; other bytes another.
        let data: Vec<u8> = (0..100u8).collect();
        for cut in [0, 1, 7, 8, 9, 63, 100] {
            let mut f = Fingerprint::default();
            for piece in [&data[..cut], &data[cut..]] {
                for p in piece.chunks(3) {
                    f.update(p);
                }
            }
            assert_eq!(f.finish(), Fingerprint::of(&data), "{cut}");
        }
        assert_ne!(Fingerprint::of(b"a"), Fingerprint::of(b"a\0"));
        assert_ne!(Fingerprint::of(b""), Fingerprint::of(b"\0"));
    }

    #[test]
    fn decodes_bom_and_windows_1252() {
        assert_eq!(decode(b"\xEF\xBB\xBFa,b"), "a,b");
        assert_eq!(decode(b"\x80 4.85"), "€ 4.85");
        assert_eq!(decode("€ 4.85".as_bytes()), "€ 4.85");
    }

    // Every importer reads through RowStream: lines as an editor counts them,
    // CRLF, LF or mixed, blank lines included (README: CRLF reads like LF), and
    // a quote never closed (RFC 4180 section 2.5-2.7) fails naming its line
    // and column instead of swallowing the rows after it.
    #[test]
    fn data_rows_are_the_sheets_then_the_streams() {
        let sheet = Sheet {
            header_line: 1,
            header: vec!["a".into(), "b".into()],
            rows: vec![
                SheetRow::new(2, vec!["1".into(), "x".into()]),
                SheetRow::new(3, vec!["2".into(), "y".into()]),
            ],
        };
        let mut stream = RowStream::new("3,z\n\n4,w\n", "x.csv");
        let mut rows = DataRows::new(&sheet, &mut stream);
        let mut got = Vec::new();
        while let Some(r) = rows.next().unwrap() {
            got.push((r.line, r.get(0).to_string()));
        }
        // The stream's lines are its own (the caller's stream starts past the
        // rows the sheet holds).
        let want = [(2, "1"), (3, "2"), (1, "3"), (3, "4")];
        assert_eq!(got, want.map(|(l, c)| (l, c.to_string())));
        // Rows only read still report a CSV error.
        let mut stream = RowStream::new("3,z\n\"open,w\n", "x.csv");
        assert!(DataRows::new(&sheet, &mut stream).skip_all().is_err());
    }

    #[test]
    fn rows_have_the_right_lines_and_a_quote_never_closed_fails() {
        for text in ["h\na\n\nb\n", "h\r\na\r\n\r\nb\r\n", "h\r\na\n\r\nb"] {
            let lines: Vec<u64> = read_rows(text, "x.csv", 10).iter().map(|r| r.0).collect();
            assert_eq!(lines, [1, 2, 4], "{text:?}");
        }
        let opts = ImportOptions {
            account: None,
            prices: None,
            tz: chrono_tz::Tz::UTC,
            accounts: Default::default(),
        };
        let text = "Date,Sent Amount,Sent Currency,Received Amount,Received Currency,Fee Amount,Fee Currency,Net Worth Amount,Net Worth Currency,Label,Description,TxHash\r\n\
                    2024-01-01 00:00:00 UTC,,,1,BTC,,,40000,USD,,\"bought,\r\n\
                    2024-01-02 00:00:00 UTC,1,BTC,,,,,41000,USD,,,\r\n";
        match Importer::new(opts).import(text.as_bytes(), "k.csv", None) {
            Err(e @ ImportError::Quoting { .. }) => assert_eq!(
                e.to_string(),
                "k.csv:2: column Description: a quote (\") opens a cell on this line and is \
                 never closed, so every line after it would be read into that one cell; close \
                 the quote, or write a quote inside a cell as two (\"\")"
            ),
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("read"),
        }
    }
}
