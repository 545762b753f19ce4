//! Reading the records of every CSV file harvest reads: ledgers, exchange
//! exports, prices, selections, allocations and Forms 1099-DA.
//!
//! The parsing is csv-core's state machine (RFC 4180 quoting; a record ends at
//! LF, CRLF or CR), the one `csv::Reader` runs, but for the plain line: one
//! whole in the buffer, without a lone CR, whose quotes if any each wrap a whole
//! cell (nearly every line of a ledger or of a Coinbase export), is split at
//! its commas here, 8 bytes at a time, into the cells csv-core would make of
//! it, in about 40% of its instructions. A plain line of ASCII is text without
//! a UTF-8 check. Every other line (a doubled quote, a quote inside a cell, a
//! cell over several lines), and the first record of each input, goes to
//! csv-core (which strips a byte-order mark only before its first record, so
//! a mark further on stays text, as with `csv::Reader`). This reader adds what
//! `csv::Reader` leaves out, at no cost per byte:
//!
//! - **The line a record starts on**, counting every LF (so a CRLF counts once,
//!   as `grep -n` and editors count): `csv::Reader` takes a record's position
//!   at the end of the record before, which is one line short after a CRLF
//!   (its LF is read with the next record) and after blank lines. Here the line
//!   ends between two records are skipped and counted before the record starts.
//! - **A quote never closed is an error.** csv-core reads a quoted cell up to
//!   the next quote; when there is none, it ends the cell at the end of the
//!   input, so every line after the quote becomes part of one cell and those
//!   rows vanish silently. At the end of the input this reader gives the parser
//!   one more LF before the end: outside a quoted cell the LF ends the record
//!   (or is a blank line), inside one it is copied into the cell, which is how
//!   an open quote is told apart from a last line without a line end.
//! - **A quote closed rows too late is an error** once the width of a row is
//!   known ([`Reader::set_row_width`]): a cell running over a line with a comma
//!   between every cell of a row holds rows, not text. Only records over
//!   several lines are looked at, and the parser's line count says which.

use std::io::BufRead;

use csv_core::ReadRecordResult;

/// Why the next record could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    /// A quoted cell is still open at the end of the input. `line` is where its
    /// opening quote is.
    #[error(
        "a quote (\") opens a cell on this line and is never closed, so every line after it \
         would be read into that one cell; close the quote, or write a quote inside a cell \
         as two (\"\")"
    )]
    UnclosedQuote {
        line: u64,
        /// The 0-based index of the cell in its record.
        field: usize,
    },
    /// A quoted cell that opens on `line` runs over `row`, a line that reads as
    /// a row of its own (see [`Reader::set_row_width`]).
    #[error(
        "a quote (\") opens a cell on this line and the cell runs over line {row}, which reads \
         as a row of its own: a quote is missing or one too many; close the cell where it \
         ends, or write a quote inside a cell as two (\"\")"
    )]
    RowsInCell { line: u64, field: usize, row: u64 },
    /// A row of a [`Table`] is not as wide as its header.
    #[error("the row has {found} fields but the header has {expected}: check quoting and commas")]
    FieldCount {
        line: u64,
        found: usize,
        expected: usize,
    },
    /// A cell of a [`Table`] is not UTF-8 (`field` counts from 0).
    #[error("column {}: is not UTF-8 text: save the file as UTF-8", field + 1)]
    NotUtf8 { line: u64, field: usize },
}

impl CsvError {
    /// The 1-based line the error is on (0 for an I/O error).
    pub fn line(&self) -> u64 {
        match self {
            CsvError::Io(_) => 0,
            CsvError::UnclosedQuote { line, .. }
            | CsvError::RowsInCell { line, .. }
            | CsvError::FieldCount { line, .. }
            | CsvError::NotUtf8 { line, .. } => *line,
        }
    }
}

/// One record: the bytes of its cells, where each cell ends, and the line it
/// starts on. Reused from record to record (no allocation once its buffers are
/// large enough).
#[derive(Debug, Clone)]
pub struct Record {
    /// Output room for csv-core; the first `len_bytes` bytes are the cells, end
    /// to end as csv-core writes them, or the line itself, commas and all, when
    /// it was split here (`gap` 1).
    bytes: Vec<u8>,
    len_bytes: usize,
    /// The end of each cell in `bytes`; the first `len_fields` are this record's.
    ends: Vec<usize>,
    len_fields: usize,
    /// The bytes between two cells: each cell after the first starts this far
    /// past the end of the one before.
    gap: usize,
    /// Every byte of the record is ASCII (known of the lines split here).
    ascii: bool,
    line: u64,
}

impl Default for Record {
    fn default() -> Self {
        Record::with_capacity(256, 16)
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The bytes below `-` (0x2D) in the 8 bytes of `buf` from `at`, as the high
/// bit of each (the bytes past the end of `buf` not flagged); `high` gathers
/// the high bits of the bytes read, and is made non-ASCII when fewer than 8
/// bytes remain (they are not read as a word). None at the end of `buf`.
#[inline(always)]
fn flagged(buf: &[u8], at: usize, high: &mut u64) -> Option<u64> {
    match buf.get(at..at + 8) {
        // With each byte's high bit set, subtracting 0x2D from every byte
        // borrows nothing across bytes; the high bit stays set where the low
        // 7 bits are 0x2D or more.
        Some(word) => {
            let x = u64::from_le_bytes(word.try_into().ok()?);
            *high |= x;
            Some(!((x | HIGH) - ONES * 0x2D) & HIGH)
        }
        // The last bytes of the buffer, each looked at.
        None if at < buf.len() => {
            *high = HIGH;
            Some(HIGH & ((1u64 << (8 * (buf.len() - at))) - 1))
        }
        None => None,
    }
}

impl Record {
    /// A record with room for `bytes` bytes and `fields` cells.
    pub fn with_capacity(bytes: usize, fields: usize) -> Self {
        Record {
            bytes: vec![0; bytes.max(1)],
            len_bytes: 0,
            ends: vec![0; fields.max(1)],
            len_fields: 0,
            gap: 0,
            ascii: false,
            line: 0,
        }
    }

    /// Fills the record with the line at the start of `buf` when the line is
    /// plain: whole in `buf` (ended by LF or CRLF), without a lone CR, and
    /// without a quote (or with quotes as [`Record::fill_quoted`] takes them).
    /// Its cells are then what csv-core would make of it, the text between
    /// commas. Returns the bytes the line takes, its line end included; `None`
    /// leaves the line to csv-core.
    ///
    /// The line is read 8 bytes at a time: only the bytes below `-` (0x2D),
    /// where the comma, the quote, CR and LF lie and which are rare otherwise
    /// in CSV text, are looked at one by one.
    fn fill_plain(&mut self, buf: &[u8]) -> Option<usize> {
        let mut n = 0;
        let mut at = 0;
        // The high bits of every word read (the last one may reach past the
        // line: then a byte of the next line can only make this false).
        let mut high = 0;
        let (len, taken) = 'scan: loop {
            let mut low = flagged(buf, at, &mut high)?;
            while low != 0 {
                let i = at + (low.trailing_zeros() / 8) as usize;
                low &= low - 1;
                match buf.get(i) {
                    Some(b',') => {
                        if n == self.ends.len() {
                            self.ends.resize(2 * n + 1, 0);
                        }
                        self.ends[n] = i;
                        n += 1;
                    }
                    Some(b'\n') => break 'scan (i, i + 1),
                    Some(b'\r') if buf.get(i + 1) == Some(&b'\n') => break 'scan (i, i + 2),
                    Some(b'"') => return self.fill_quoted(buf, n, i, high),
                    Some(b'\r') => return None,
                    _ => {}
                }
            }
            at += 8;
        };
        if n == self.ends.len() {
            self.ends.resize(2 * n + 1, 0);
        }
        self.ends[n] = len;
        if self.bytes.len() < len {
            self.bytes.resize(len, 0);
        }
        self.bytes[..len].copy_from_slice(&buf[..len]);
        self.len_bytes = len;
        self.len_fields = n + 1;
        self.gap = 1;
        self.ascii = high & HIGH == 0;
        Some(taken)
    }

    /// [`Record::fill_plain`] for a line with a quote: taken when its quotes
    /// each wrap a whole cell on this line with no quote inside
    /// (`"$1,234.50"`, as a Coinbase export quotes its amounts), whose cells
    /// are then the text between commas, a quoted cell without its quotes.
    /// `None` leaves the line to csv-core: a doubled quote, a quote inside a
    /// cell, text after a closing quote, a cell over several lines, more than
    /// 16 quotes. The line is copied without its quotes, so that every cell
    /// starts one byte past the end of the last. It is a function apart so
    /// that the loop of [`Record::fill_plain`] over a line without quotes
    /// (nearly every line of a ledger) keeps its state in registers.
    ///
    /// It goes on from where [`Record::fill_plain`] met the first quote, at
    /// `from`, with the `n` cells before it and the high bits of the words
    /// read (`high`).
    #[inline(never)]
    fn fill_quoted(&mut self, buf: &[u8], n: usize, from: usize, high: u64) -> Option<usize> {
        let (mut n, mut high) = (n, high);
        // The word that holds the quote (words are read 8 bytes apart from
        // the line's start).
        let mut at = from & !7;
        // Where the cell being read starts, whether it is quoted and its
        // closing quote not met yet, and the quotes met (left out of the copy).
        let mut start = match n {
            0 => 0,
            _ => self.ends[n - 1] + 1,
        };
        let mut open = false;
        let mut quotes = [0usize; 16];
        let mut q = 0;
        let (len, taken) = 'scan: loop {
            let mut low = flagged(buf, at, &mut high)?;
            // The bytes before the quote were read already.
            if at < from {
                low &= !0u64 << (8 * (from - at));
            }
            while low != 0 {
                let i = at + (low.trailing_zeros() / 8) as usize;
                low &= low - 1;
                match buf.get(i) {
                    Some(b',') if !open => {
                        if n == self.ends.len() {
                            self.ends.resize(2 * n + 1, 0);
                        }
                        self.ends[n] = i - q;
                        n += 1;
                        start = i + 1;
                    }
                    Some(b'\n') if !open => break 'scan (i, i + 1),
                    Some(b'\r') if !open && buf.get(i + 1) == Some(&b'\n') => {
                        break 'scan (i, i + 2);
                    }
                    // An opening quote: the cell's first byte.
                    Some(b'"') if !open && i == start && q < quotes.len() => {
                        quotes[q] = i;
                        q += 1;
                        open = true;
                    }
                    // A closing quote, followed by the cell's end.
                    Some(b'"')
                        if open
                            && q < quotes.len()
                            && matches!(buf.get(i + 1), Some(b',' | b'\n' | b'\r')) =>
                    {
                        quotes[q] = i;
                        q += 1;
                        open = false;
                    }
                    Some(b'"' | b'\r' | b'\n') => return None,
                    _ => {}
                }
            }
            at += 8;
        };
        if n == self.ends.len() {
            self.ends.resize(2 * n + 1, 0);
        }
        self.ends[n] = len - q;
        if self.bytes.len() < len {
            self.bytes.resize(len, 0);
        }
        if q == 0 {
            self.bytes[..len].copy_from_slice(&buf[..len]);
        } else {
            // The pieces between the quotes, end to end.
            let (mut from, mut to) = (0, 0);
            for &quote in quotes[..q].iter().chain([&len]) {
                let piece = buf.get(from..quote)?;
                self.bytes[to..to + piece.len()].copy_from_slice(piece);
                to += piece.len();
                from = quote + 1;
            }
        }
        self.len_bytes = len - q;
        self.len_fields = n + 1;
        self.gap = 1;
        self.ascii = high & HIGH == 0;
        Some(taken)
    }

    /// The 1-based line of the record's first byte.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// How many cells.
    pub fn len(&self) -> usize {
        self.len_fields
    }

    pub fn is_empty(&self) -> bool {
        self.len_fields == 0
    }

    /// Every cell's bytes in order, end to end or with the comma between two
    /// cells (the bytes are UTF-8 exactly when every cell is).
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len_bytes]
    }

    /// The cell at `i`.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        if i >= self.len_fields {
            return None;
        }
        let start = if i == 0 {
            0
        } else {
            self.ends[i - 1] + self.gap
        };
        self.bytes.get(start..self.ends[i])
    }

    /// The cells in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_ {
        let bytes = self.as_slice();
        let mut start = 0;
        self.ends[..self.len_fields].iter().map(move |&end| {
            let cell = bytes.get(start..end).unwrap_or_default();
            start = end + self.gap;
            cell
        })
    }

    /// The cells as text, or the index of the first cell that is not UTF-8.
    pub fn text(&self) -> Result<TextRecord<'_>, usize> {
        let ends = &self.ends[..self.len_fields];
        if self.ascii {
            // SAFETY: every byte is ASCII (`fill_plain` and `fill_quoted` read
            // every word of the line; the quotes they leave out are ASCII too),
            // and ASCII is UTF-8.
            let text = unsafe { std::str::from_utf8_unchecked(self.as_slice()) };
            return Ok(TextRecord {
                text,
                ends,
                gap: self.gap,
                ascii: true,
            });
        }
        if let Ok(text) = std::str::from_utf8(self.as_slice())
            && ends.iter().all(|&e| text.is_char_boundary(e))
        {
            return Ok(TextRecord {
                text,
                ends,
                gap: self.gap,
                ascii: false,
            });
        }
        // The record as a whole is not UTF-8, or a character straddles two
        // cells: the first cell that is not UTF-8 by itself is the one to name.
        Err((0..self.len_fields)
            .find(|&i| std::str::from_utf8(self.get(i).unwrap_or_default()).is_err())
            .unwrap_or(0))
    }
}

/// A record whose cells are all UTF-8.
#[derive(Debug, Clone, Copy)]
pub struct TextRecord<'r> {
    text: &'r str,
    ends: &'r [usize],
    gap: usize,
    /// Every byte is ASCII: any range of the text is UTF-8.
    ascii: bool,
}

impl<'r> TextRecord<'r> {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The cell at `i`.
    pub fn get(&self, i: usize) -> Option<&'r str> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 {
            0
        } else {
            self.ends[i - 1] + self.gap
        };
        if self.ascii {
            // Spares the two checks that the range starts and ends a
            // character: about a tenth of reading a ledger's CSV.
            let cell = self.text.as_bytes().get(start..end)?;
            // SAFETY: every byte of the text is ASCII, so is any range of it.
            return Some(unsafe { std::str::from_utf8_unchecked(cell) });
        }
        self.text.get(start..end)
    }

    /// The cells in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &'r str> + '_ {
        (0..self.ends.len()).map(|i| self.get(i).unwrap_or_default())
    }
}

/// Reads records from buffered input.
pub struct Reader<R> {
    input: R,
    core: csv_core::Reader,
    /// The line of the input's next byte.
    line: u64,
    /// A byte-order mark was looked for.
    started: bool,
    /// csv-core has read a record (it strips a byte-order mark only before
    /// its first one, so it reads the first record of every input).
    core_used: bool,
    /// The input is used up.
    done: bool,
    /// The width of a row, once known (0 before): see [`Reader::set_row_width`].
    width: usize,
}

impl<R: BufRead> Reader<R> {
    pub fn new(input: R) -> Self {
        Reader {
            input,
            core: csv_core::Reader::new(),
            line: 1,
            started: false,
            core_used: false,
            done: false,
            width: 0,
        }
    }

    /// Says how many cells a row has (the header's width). From then on a
    /// quoted cell that runs over several lines, one of which has a comma
    /// between every cell of a row, is an error: a quote was left open and
    /// closed by another one further on, and the rows between became one cell.
    pub fn set_row_width(&mut self, width: usize) {
        self.width = width;
    }

    /// Reads the next record into `rec`; false at the end of the input.
    pub fn read(&mut self, rec: &mut Record) -> Result<bool, CsvError> {
        rec.len_bytes = 0;
        rec.len_fields = 0;
        rec.gap = 0;
        rec.ascii = false;
        if self.done {
            return Ok(false);
        }
        let (mut nout, mut nend) = (0, 0);
        // The record's first byte was found.
        let mut begun = false;
        // The extra LF given at the end of the input (module doc) was read.
        let mut probed = false;
        loop {
            let buf = self.input.fill_buf()?;
            let at_end = buf.is_empty();
            let mut skip = 0;
            if !begun {
                if at_end {
                    self.done = true;
                    return Ok(false);
                }
                if !self.started {
                    self.started = true;
                    if buf.starts_with(b"\xEF\xBB\xBF") {
                        skip = 3;
                    }
                }
                // The line ends before the record (csv-core would skip them
                // too) are counted here, so the record's line is its first
                // byte's.
                while let Some(&b) = buf.get(skip)
                    && (b == b'\n' || b == b'\r')
                {
                    self.line += u64::from(b == b'\n');
                    skip += 1;
                }
                if skip == buf.len() {
                    self.input.consume(skip);
                    continue;
                }
                // A whole line in the buffer without a lone CR, whose quotes
                // (if any) each wrap a whole cell, is a record csv-core would
                // split at each comma: split it here, in less than half the
                // instructions of its state machine.
                if self.core_used
                    && let Some(n) = rec.fill_plain(&buf[skip..])
                {
                    rec.line = self.line;
                    self.line += 1;
                    self.input.consume(skip + n);
                    return Ok(true);
                }
                begun = true;
                rec.line = self.line;
                self.core.set_line(self.line);
            }
            let input: &[u8] = match (at_end, probed) {
                (false, _) => &buf[skip..],
                (true, false) => b"\n",
                (true, true) => b"",
            };
            let (res, nin, o, e) =
                self.core
                    .read_record(input, &mut rec.bytes[nout..], &mut rec.ends[nend..]);
            // The record ended at an LF (counted in the parser's line).
            let lf = nin > 0 && input[nin - 1] == b'\n';
            if at_end {
                if o > 0 {
                    // The LF was copied into the cell: a quoted cell is open.
                    self.done = true;
                    let start = if nend == 0 { 0 } else { rec.ends[nend - 1] };
                    let inside = rec.bytes[..start].iter().filter(|&&b| b == b'\n').count();
                    return Err(CsvError::UnclosedQuote {
                        line: rec.line + inside as u64,
                        field: nend,
                    });
                }
                probed |= nin > 0;
            } else {
                self.input.consume(skip + nin);
            }
            nout += o;
            nend += e;
            self.core_used = true;
            match res {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => {
                    let n = rec.bytes.len() * 2;
                    rec.bytes.resize(n, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let n = rec.ends.len() * 2;
                    rec.ends.resize(n, 0);
                }
                ReadRecordResult::Record => {
                    rec.len_bytes = nout;
                    rec.len_fields = nend;
                    // Line ends inside the record's cells (the rare multi-line
                    // cell), told from the line count without reading the cells.
                    let inside = (self.core.line() - rec.line).saturating_sub(u64::from(lf));
                    self.line = self.core.line();
                    self.done |= at_end;
                    if inside > 0
                        && self.width > 1
                        && let Some(e) = rows_in_cell(rec, self.width)
                    {
                        return Err(e);
                    }
                    return Ok(true);
                }
                ReadRecordResult::End => {
                    self.done = true;
                    return Ok(false);
                }
            }
        }
    }
}

/// The first cell of `rec` that runs over lines and holds a line with
/// `width - 1` commas or more (a row of its own), as an error.
fn rows_in_cell(rec: &Record, width: usize) -> Option<CsvError> {
    rows_in_cells(rec.line, rec.iter(), width)
}

/// [`Reader::set_row_width`]'s check on the cells of a record that starts on
/// `line`.
fn rows_in_cells<'c>(
    mut line: u64,
    cells: impl Iterator<Item = &'c [u8]>,
    width: usize,
) -> Option<CsvError> {
    for (field, cell) in cells.enumerate() {
        let mut parts = cell.split(|&b| b == b'\n');
        let first = parts.next().unwrap_or_default();
        let mut rest = parts.peekable();
        if rest.peek().is_none() {
            continue;
        }
        for (k, part) in std::iter::once(first).chain(rest).enumerate() {
            if part.iter().filter(|&&b| b == b',').count() + 1 >= width {
                return Some(CsvError::RowsInCell {
                    line,
                    field,
                    row: line + k as u64,
                });
            }
        }
        line += cell.iter().filter(|&&b| b == b'\n').count() as u64;
    }
    None
}

/// A small CSV file with a header (the selections and allocation files): rows
/// of text cells trimmed of spaces, each row as wide as the header.
pub struct Table<R> {
    rdr: Reader<R>,
    rec: Record,
    width: usize,
}

impl<R: BufRead> Table<R> {
    pub fn new(input: R) -> Self {
        Table {
            rdr: Reader::new(input),
            rec: Record::default(),
            width: 0,
        }
    }

    /// The header's names, trimmed (none for an empty file).
    pub fn header(&mut self) -> Result<Vec<String>, CsvError> {
        if !self.rdr.read(&mut self.rec)? {
            return Ok(Vec::new());
        }
        let names: Vec<String> = self
            .rec
            .iter()
            .map(|h| String::from_utf8_lossy(h).trim().to_string())
            .collect();
        self.width = names.len();
        self.rdr.set_row_width(self.width);
        Ok(names)
    }

    /// The next row: its line and its cells, trimmed.
    pub fn next_row(&mut self) -> Result<Option<(u64, Vec<&str>)>, CsvError> {
        if !self.rdr.read(&mut self.rec)? {
            return Ok(None);
        }
        let line = self.rec.line();
        if self.rec.len() != self.width {
            return Err(CsvError::FieldCount {
                line,
                found: self.rec.len(),
                expected: self.width,
            });
        }
        let rec = self
            .rec
            .text()
            .map_err(|field| CsvError::NotUtf8 { line, field })?;
        Ok(Some((line, rec.iter().map(str::trim).collect())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    type Cells = Vec<Vec<u8>>;

    /// (line, cells) of every record read, and the error that stopped it.
    fn read_all(data: &[u8], capacity: usize) -> (Vec<(u64, Cells)>, Option<CsvError>) {
        let mut r = Reader::new(std::io::BufReader::with_capacity(capacity, data));
        // Small buffers, so that growing them is tested too.
        let mut rec = Record::with_capacity(1, 1);
        let mut out = Vec::new();
        loop {
            match r.read(&mut rec) {
                Ok(true) => {
                    let cells: Cells = rec.iter().map(<[u8]>::to_vec).collect();
                    // Every view of a record gives the same cells, however
                    // it was split (by csv-core or as a plain line).
                    for (i, cell) in cells.iter().enumerate() {
                        assert_eq!(rec.get(i), Some(&cell[..]));
                    }
                    // Text exactly when every cell is UTF-8 (a plain line of
                    // ASCII is taken as text unchecked).
                    let utf8 = cells.iter().all(|c| std::str::from_utf8(c).is_ok());
                    assert_eq!(rec.text().is_ok(), utf8);
                    if let Ok(text) = rec.text() {
                        let texts: Cells = text.iter().map(|c| c.as_bytes().to_vec()).collect();
                        assert_eq!(texts, cells);
                    }
                    out.push((rec.line(), cells));
                }
                Ok(false) => return (out, None),
                Err(e) => return (out, Some(e)),
            }
        }
    }

    fn records(data: &[u8], capacity: usize) -> Result<Vec<(u64, Cells)>, CsvError> {
        match read_all(data, capacity) {
            (out, None) => Ok(out),
            (_, Some(e)) => Err(e),
        }
    }

    fn lines(data: &str) -> Vec<u64> {
        records(data.as_bytes(), 1 << 16)
            .unwrap()
            .iter()
            .map(|r| r.0)
            .collect()
    }

    // The line of a record is that of its first byte, counting LFs (a CRLF is
    // one line end): README "CRLF, mixed line endings ... are read like plain LF".
    #[test]
    fn lines_count_lf_crlf_mixed_and_blank_lines() {
        assert_eq!(lines("h\na\nb\n"), [1, 2, 3]);
        assert_eq!(lines("h\r\na\r\nb\r\n"), [1, 2, 3]);
        assert_eq!(lines("h\r\na\nb\r\n\r\nc"), [1, 2, 3, 5]);
        assert_eq!(lines("\n\r\nh\n\n\na\n"), [3, 6]);
        assert_eq!(lines("\u{feff}h\r\na"), [1, 2]);
        // A quoted cell over three lines: the next record is on line 4.
        assert_eq!(lines("h\r\n\"a\r\nb\nc\",d\r\ne\r\n"), [1, 2, 5]);
    }

    // RFC 4180 section 2.5-2.7: a quoted cell runs to its closing quote. One that
    // is never closed ends at the end of the file and would swallow every line
    // after it: an error naming the line of the opening quote.
    #[test]
    fn a_quote_never_closed_is_an_error_at_its_line() {
        for (text, line, field) in [
            ("h\na,\"b\nc\nd\n", 2, 1),
            ("h\r\na,\"b\r\nc\r\n", 2, 1),
            ("h\na,\"b", 2, 1),
            ("\"", 1, 0),
            ("h\n\"x\ny\",\"open\nz\n", 3, 1),
            ("h\na,\"b\"\"\n", 2, 1),
        ] {
            match records(text.as_bytes(), 1 << 16) {
                Err(CsvError::UnclosedQuote { line: l, field: f }) => {
                    assert_eq!((l, f), (line, field), "{text:?}")
                }
                other => panic!("{text:?}: {other:?}"),
            }
        }
        // Closed quotes, at the end of the input too, and quotes inside an
        // unquoted cell (not an opening quote) are fine.
        for text in [
            "h\na,\"b\"",
            "h\na,\"b\n\"",
            "h\na,\"\"",
            "h\na,\"b\"\"\"\n",
            "h\na,b\"c\n",
            "h\na,b\"",
        ] {
            assert!(records(text.as_bytes(), 1 << 16).is_ok(), "{text:?}");
        }
    }

    fn csv_text() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(
            // 0xC3 0xA9 is é; either byte alone, or 0xFF, is not UTF-8.
            prop::sample::select(vec![
                b'a', b'b', b',', b'"', b'\r', b'\n', b' ', b'a', b'b', b',', 0xC3, 0xA9, 0xFF,
            ]),
            0..80,
        )
    }

    proptest! {
        /// The same records as `csv::Reader` (the cells, in every buffer
        /// size), each at the line of its first byte; an error exactly when
        /// the input ends inside a quoted cell.
        #[test]
        fn matches_the_csv_crate(
            mut data in csv_text(),
            cap in prop_oneof![1usize..9, Just(1usize << 16)],
            bom: bool,
        ) {
            // A byte-order mark is looked for in the first buffer (3 bytes or more).
            if bom && cap >= 3 {
                data.splice(0..0, *b"\xEF\xBB\xBF");
            }
            let mut theirs = Vec::new();
            let mut rdr = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(&data[..]);
            let mut rec = csv::ByteRecord::new();
            while rdr.read_byte_record(&mut rec).unwrap() {
                // The record's first byte: after its position (the end of the
                // record before), past the line ends csv-core skips.
                let mut at = rec.position().unwrap().byte() as usize;
                if at == 0 && data.starts_with(b"\xEF\xBB\xBF") {
                    at = 3;
                }
                while matches!(data.get(at), Some(b'\r' | b'\n')) {
                    at += 1;
                }
                let line = 1 + data[..at].iter().filter(|&&b| b == b'\n').count() as u64;
                theirs.push((line, rec.iter().map(<[u8]>::to_vec).collect::<Vec<_>>()));
            }
            // A reference for "ends inside a quoted cell": a quote opens a cell
            // only at its start, and a doubled quote inside one is a quote.
            let mut open = false;
            let mut cell_start = true;
            let mut i = usize::from(data.starts_with(b"\xEF\xBB\xBF")) * 3;
            let mut after_close = false;
            while i < data.len() {
                let c = data[i];
                if open {
                    if c == b'"' {
                        if data.get(i + 1) == Some(&b'"') {
                            i += 1;
                        } else {
                            open = false;
                            after_close = true;
                        }
                    }
                } else if c == b'"' && cell_start && !after_close {
                    open = true;
                    cell_start = false;
                } else {
                    cell_start = matches!(c, b',' | b'\r' | b'\n');
                    after_close = after_close && !cell_start;
                }
                i += 1;
            }
            match read_all(&data, cap) {
                (ours, None) => {
                    prop_assert!(!open, "{:?}", String::from_utf8_lossy(&data));
                    prop_assert_eq!(ours, theirs);
                }
                (ours, Some(CsvError::UnclosedQuote { line, .. })) => {
                    prop_assert!(open, "{:?}", String::from_utf8_lossy(&data));
                    // The records before the open one are read as the csv
                    // crate reads them; the open quote is in its last one.
                    let last = theirs.pop().unwrap();
                    prop_assert_eq!(ours, theirs);
                    prop_assert!(line >= last.0);
                }
                (_, Some(e)) => prop_assert!(false, "{e}"),
            }
        }
    }

    // A quote left open and closed by another quote rows further on turns the
    // rows between into one cell (valid RFC 4180, but not what was meant): once
    // the width is known, a cell over several lines with a line as wide as a
    // row is an error, and reading goes on after it.
    #[test]
    fn a_cell_holding_rows_is_an_error_once_the_width_is_known() {
        let text = "a,b,c\r\n1,2,\"x\r\n4,5,6\r\n7,8,\"y\"\r\n9,9,9\r\n";
        let mut r = Reader::new(text.as_bytes());
        let mut rec = Record::default();
        assert!(r.read(&mut rec).unwrap());
        r.set_row_width(rec.len());
        match r.read(&mut rec) {
            Err(CsvError::RowsInCell { line, field, row }) => {
                assert_eq!((line, field, row), (2, 2, 3))
            }
            other => panic!("{other:?}"),
        }
        assert!(r.read(&mut rec).unwrap());
        assert_eq!((rec.line(), rec.get(0)), (5, Some(&b"9"[..])));
        // The quote opened at the start of a row: its own line reads as a row.
        let text = "a,b,c\n\"1,2,3\n4,5,\"y\"\n";
        let mut r = Reader::new(text.as_bytes());
        assert!(r.read(&mut rec).unwrap());
        r.set_row_width(3);
        assert!(matches!(
            r.read(&mut rec),
            Err(CsvError::RowsInCell {
                line: 2,
                field: 0,
                row: 2
            })
        ));
        // A note over several lines is fine, and so is any cell before the
        // width is known (the header).
        for text in [
            "a,b,c\n1,2,\"x\ny, z\"\n3,4,5\n",
            "a,\"b\nc,d,e\",f\n1,2,3\n",
        ] {
            let mut r = Reader::new(text.as_bytes());
            assert!(r.read(&mut rec).unwrap());
            r.set_row_width(3);
            while r.read(&mut rec).unwrap() {}
        }
    }

    #[test]
    fn text_names_the_first_cell_that_is_not_utf8() {
        let mut r = Reader::new(&b"a,\xC3,\xA9\xC3\xA9,x\n"[..]);
        let mut rec = Record::default();
        assert!(r.read(&mut rec).unwrap());
        assert_eq!(rec.text().unwrap_err(), 1);
        let mut r = Reader::new("é,b,\"c,d\"\n".as_bytes());
        assert!(r.read(&mut rec).unwrap());
        let t = rec.text().unwrap();
        assert_eq!(t.iter().collect::<Vec<_>>(), ["é", "b", "c,d"]);
    }
}
