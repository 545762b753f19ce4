//! Reading the text of an input file: decoding its bytes, its CSV records as
//! rows of trimmed cells with their lines, and the sheet below the header that
//! the formats read.

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
}

impl SheetRow {
    /// The cell at `i`, or "" when the row is shorter.
    pub fn get(&self, i: usize) -> &str {
        self.cells.get(i).map_or("", |s| s.as_str())
    }

    /// True when every cell is empty (Excel pads files with `,,,,` rows).
    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(|c| c.is_empty())
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
        let n = row.cells.len();
        let h = self.header.len();
        if n > h || n + optional_tail < h {
            cx.problem(
                row.line,
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
    let mut row = SheetRow::default();
    if cx.failed() {
        while stream.next_into(&mut row)? {}
        return Ok(());
    }
    let mut out = Vec::new();
    let mut take = |r: Option<&SheetRow>, cx: &mut Cx| {
        each(r, cx, &mut out);
        for e in out.drain(..) {
            emit(cx, e);
        }
    };
    for r in &sheet.rows {
        take(Some(r), cx);
    }
    while stream.next_into(&mut row)? {
        take(Some(&row), cx);
    }
    take(None, cx);
    Ok(())
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

/// Reads the CSV records of a text one at a time, as rows of trimmed cells.
pub(crate) struct RowStream<'t> {
    pub(super) rdr: csvread::Reader<&'t [u8]>,
    rec: csvread::Record,
    file: &'t str,
    /// The lines of the rows given by [`RowStream::next_into`].
    pub lines: Vec<u64>,
}

impl<'t> RowStream<'t> {
    pub fn new(text: &'t str, file: &'t str) -> Self {
        RowStream {
            rdr: csvread::Reader::new(text.as_bytes()),
            rec: csvread::Record::default(),
            file,
            lines: Vec::new(),
        }
    }

    /// Reads the next record into `self.rec` and returns its cells; None at
    /// the end.
    pub(super) fn read(&mut self) -> Result<Option<csvread::TextRecord<'_>>, ImportError> {
        match self.rdr.read(&mut self.rec) {
            Ok(true) => {}
            Ok(false) => return Ok(None),
            Err(
                e @ (csvread::CsvError::UnclosedQuote { field, .. }
                | csvread::CsvError::RowsInCell { field, .. }),
            ) => {
                return Err(ImportError::Quoting {
                    file: self.file.into(),
                    line: e.line(),
                    field,
                    column: None,
                    problem: e.to_string(),
                });
            }
            Err(e) => {
                return Err(ImportError::Csv {
                    file: self.file.into(),
                    line: self.rec.line(),
                    message: e.to_string(),
                });
            }
        }
        // The text is UTF-8 and cells end at ASCII bytes, so every cell is
        // UTF-8; an error here would be a bug, reported rather than hidden.
        let line = self.rec.line();
        self.rec.text().map(Some).map_err(|_| ImportError::Csv {
            file: self.file.into(),
            line,
            message: "a cell is not UTF-8 text".into(),
        })
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
        self.lines.push(row.line);
        Ok(true)
    }
}

/// A cell without surrounding spaces or a BOM.
fn trim_cell(c: &str) -> &str {
    c.trim_matches(|ch: char| ch.is_whitespace() || ch == '\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::super::{ImportOptions, Importer};
    use super::*;

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
