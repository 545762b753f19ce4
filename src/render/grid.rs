//! The cells of a table for people, written the way tabled writes them with
//! `Style::sharp()`, without its per-cell cost.
//!
//! tabled measures every cell through an ANSI parser and keeps a configuration
//! lookup per cell: on a 1M-row ledger, `report`, `gains` and `lots` as tables
//! took 1.2-1.4x the time of the same commands as CSV (now about 1.1x). A
//! [`Grid`] keeps its cells in one buffer (with the display widths of the few
//! that are not printable ASCII) and writes them line by line. A table it cannot write byte for byte as tabled would (a
//! cell with a control character, such as a color code or a line break, or a
//! table wider than the terminal that must wrap) is handed to tabled whole, so
//! the output never depends on which path wrote it.

use std::io::{self, Write};
use std::ops::Range;

use tabled::builder::Builder;
use tabled::settings::object::Columns;
use tabled::settings::{Alignment, Style};

/// A table's cells, row by row. The first row is the header.
#[derive(Debug, Default)]
pub struct Grid {
    /// Every cell's text, one after another.
    text: String,
    /// Each cell's end in `text`, counted from its row's start: 4 bytes a
    /// cell, where a full offset took 8 (a large year's table has 11 cells a
    /// row, for 9.1M rows at 10M ledger rows). A cell of printable ASCII
    /// (nearly every one) is as wide as it is long: keeping every width
    /// doubled the room of a large table's cells.
    cells: Vec<u32>,
    /// The cells that are not printable ASCII, by index in `cells`, with
    /// their display widths, in order.
    wide: Vec<(usize, usize)>,
    /// Each row's end in `cells` and in `text`.
    rows: Vec<RowEnd>,
    /// The widest cell of each column.
    widths: Vec<usize>,
    /// Some cell holds a control character (see [`Grid::write`]).
    control: bool,
    /// Where [`Cells::ascii`] writes a cell before it joins `text`.
    scratch: Vec<u8>,
}

/// Where a row of a [`Grid`] ends.
#[derive(Debug, Clone, Copy)]
struct RowEnd {
    cells: usize,
    text: usize,
}

/// The cells of the row [`Grid::push_cells`] is adding, one call a cell.
pub struct Cells<'g> {
    grid: &'g mut Grid,
    /// The row's first cell in `cells`, and its start in `text`.
    start: usize,
    text_start: usize,
}

impl Cells<'_> {
    /// A cell of text.
    pub fn text(&mut self, s: &str) {
        let from = self.grid.text.len();
        self.grid.text.push_str(s);
        self.grid.end_cell(from, self.start, self.text_start);
    }

    /// A cell written by its `Display`.
    pub fn shown(&mut self, d: &dyn std::fmt::Display) {
        use std::fmt::Write as _;
        let from = self.grid.text.len();
        // Writing into a String fails only if a Display impl does.
        let _ = write!(self.grid.text, "{d}");
        self.grid.end_cell(from, self.start, self.text_start);
    }

    /// A cell of ASCII that `push` appends (an amount, a quantity, a date
    /// written as bytes: see [`crate::cell::push_money`]), without the
    /// formatting machinery.
    pub fn ascii(&mut self, push: impl FnOnce(&mut Vec<u8>)) {
        let mut b = std::mem::take(&mut self.grid.scratch);
        b.clear();
        push(&mut b);
        // ASCII is UTF-8; anything else would be a bug, shown as nothing.
        debug_assert!(b.is_ascii(), "{b:?}");
        self.text(std::str::from_utf8(&b).unwrap_or_default());
        self.grid.scratch = b;
    }
}

impl Grid {
    /// An empty table.
    pub fn new() -> Self {
        Grid::default()
    }

    /// Adds a row. Rows may differ in length: missing cells are empty, as
    /// tabled's builder makes them.
    pub fn push_record<I>(&mut self, record: I)
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.push_cells(|c| record.into_iter().for_each(|cell| c.text(cell.as_ref())));
    }

    /// Adds a row of the cells `fill` writes, straight into the table's
    /// buffer: a large table's rows make no string a cell.
    pub fn push_cells(&mut self, fill: impl FnOnce(&mut Cells<'_>)) {
        let (start, text_start) = (self.cells.len(), self.text.len());
        fill(&mut Cells {
            grid: self,
            start,
            text_start,
        });
        self.rows.push(RowEnd {
            cells: self.cells.len(),
            text: self.text.len(),
        });
    }

    /// Adds `other`'s rows after this table's, as if they had been pushed
    /// here.
    pub fn append(&mut self, other: &Grid) {
        let (text, cells) = (self.text.len(), self.cells.len());
        self.text.push_str(&other.text);
        self.cells.extend_from_slice(&other.cells);
        self.wide
            .extend(other.wide.iter().map(|&(k, width)| (k + cells, width)));
        self.rows.extend(other.rows.iter().map(|end| RowEnd {
            cells: end.cells + cells,
            text: end.text + text,
        }));
        self.widths = merged_widths(&[self, other]);
        self.control |= other.control;
    }

    /// Records the cell written at `text[from..]`, of the row whose first
    /// cell is `cells[start]` and whose text starts at `text[text_start]`.
    fn end_cell(&mut self, from: usize, start: usize, text_start: usize) {
        let cell = &self.text[from..];
        let width = if cell.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            cell.len()
        } else {
            if cell.chars().any(char::is_control) {
                self.control = true;
            }
            let width = unicode_width::UnicodeWidthStr::width(cell);
            self.wide.push((self.cells.len(), width));
            width
        };
        let column = self.cells.len() - start;
        if column == self.widths.len() {
            self.widths.push(width);
        } else if self.widths[column] < width {
            self.widths[column] = width;
        }
        // A row's text (one line's cells) is far below 4 GiB; a cell ending
        // past that would be shown empty (see `Grid::row_cells`), not panic.
        let end = u32::try_from(self.text.len() - text_start).unwrap_or(u32::MAX);
        self.cells.push(end);
    }

    /// Each row's cells, in order: `(index of its first cell, its cells)`.
    fn row_cells(&self) -> impl Iterator<Item = (usize, impl Iterator<Item = &str>)> {
        let mut prev = RowEnd { cells: 0, text: 0 };
        self.rows.iter().map(move |&end| {
            let text = self.text.get(prev.text..end.text).unwrap_or_default();
            let ends = self.cells.get(prev.cells..end.cells).unwrap_or_default();
            let first = prev.cells;
            prev = end;
            let mut from = 0;
            let cells = ends.iter().map(move |&to| {
                let cell = text.get(from..to as usize).unwrap_or_default();
                from = to as usize;
                cell
            });
            (first, cells)
        })
    }

    /// Writes the table with a sharp border and a line under the header: the
    /// columns in `right` aligned right, the others left. When the table is
    /// wider than `width` (a terminal's columns; 0 for no limit), it goes to
    /// tabled, which wraps its `text` columns (see [`super::table::fit`]).
    /// No newline follows the last line, as with tabled's `Display`.
    pub fn write(
        &self,
        w: &mut dyn Write,
        right: Range<usize>,
        width: usize,
        text: &[usize],
    ) -> io::Result<()> {
        Grid::write_parts(&[self], w, right, width, text)
    }

    /// [`Grid::write`] of the table `parts` make one after another (the
    /// rows of a large table, built on two threads): only the first part
    /// has a header.
    pub fn write_parts(
        parts: &[&Grid],
        w: &mut dyn Write,
        right: Range<usize>,
        width: usize,
        text: &[usize],
    ) -> io::Result<()> {
        let widths = merged_widths(parts);
        let n = widths.len();
        let control = parts.iter().any(|p| p.control);
        if control || n == 0 || (width != 0 && total_width(&widths) > width) {
            let mut whole = Grid::new();
            for p in parts {
                whole.append(p);
            }
            let mut t = whole.tabled();
            t.with(Style::sharp());
            t.modify(
                Columns::new(right.start.min(n)..right.end.min(n)),
                Alignment::right(),
            );
            super::table::fit_to(&mut t, text, width);
            return write!(w, "{t}");
        }
        let mut line = String::with_capacity(total_width(&widths) * 3 + 2);
        rule(&mut line, &widths, ['┌', '┬', '┐']);
        w.write_all(line.as_bytes())?;
        let mut r = 0;
        for part in parts {
            let mut wide = part.wide.iter().peekable();
            for (start, mut cells) in part.row_cells() {
                line.clear();
                if r == 1 {
                    line.push('\n');
                    rule(&mut line, &widths, ['├', '┼', '┤']);
                }
                r += 1;
                line.push_str("\n│");
                for (c, &column) in widths.iter().enumerate() {
                    let (cell, cell_width) = match cells.next() {
                        Some(cell) => {
                            let width = match wide.next_if(|&&(k, _)| k == start + c) {
                                Some(&(_, w)) => w,
                                None => cell.len(),
                            };
                            (cell, width)
                        }
                        None => ("", 0),
                    };
                    let pad = column - cell_width;
                    line.push(' ');
                    if right.contains(&c) {
                        spaces(&mut line, pad);
                        line.push_str(cell);
                    } else {
                        line.push_str(cell);
                        spaces(&mut line, pad);
                    }
                    line.push_str(" │");
                }
                w.write_all(line.as_bytes())?;
            }
        }
        line.clear();
        line.push('\n');
        // tabled's sharp style draws the line under the header in place of
        // the bottom border when the header is the only row.
        if r == 1 {
            rule(&mut line, &widths, ['├', '┼', '┤']);
        } else {
            rule(&mut line, &widths, ['└', '┴', '┘']);
        }
        w.write_all(line.as_bytes())
    }

    /// The same table as tabled's.
    fn tabled(&self) -> tabled::Table {
        let mut b = Builder::with_capacity(self.rows.len(), self.widths.len());
        for (_, cells) in self.row_cells() {
            b.push_record(cells.collect::<Vec<&str>>());
        }
        b.build()
    }
}

/// The widest cell of each column of the table `parts` make.
fn merged_widths(parts: &[&Grid]) -> Vec<usize> {
    let mut widths: Vec<usize> = Vec::new();
    for p in parts {
        for (c, &width) in p.widths.iter().enumerate() {
            match widths.get_mut(c) {
                Some(w) => *w = (*w).max(width),
                None => widths.push(width),
            }
        }
    }
    widths
}

/// The width of a whole table of columns `widths` wide: every column with one
/// space either side, and a border between and around them.
fn total_width(widths: &[usize]) -> usize {
    widths.iter().map(|w| w + 3).sum::<usize>() + 1
}

/// A horizontal border: `ends[0]`, each column's width of `─` with `ends[1]`
/// between columns, and `ends[2]`.
fn rule(line: &mut String, widths: &[usize], ends: [char; 3]) {
    line.push(ends[0]);
    for (c, &width) in widths.iter().enumerate() {
        if c > 0 {
            line.push(ends[1]);
        }
        for _ in 0..width + 2 {
            line.push('─');
        }
    }
    line.push(ends[2]);
}

/// Appends `n` spaces.
fn spaces(line: &mut String, n: usize) {
    const SPACES: &str = "                                ";
    let mut n = n;
    while n > 0 {
        let k = n.min(SPACES.len());
        line.push_str(&SPACES[..k]);
        n -= k;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn written(g: &Grid, right: Range<usize>, width: usize) -> String {
        let mut out = Vec::new();
        g.write(&mut out, right, width, &[0]).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn by_tabled(rows: &[Vec<String>], right: Range<usize>) -> String {
        let mut b = Builder::default();
        for r in rows {
            b.push_record(r.clone());
        }
        let mut t = b.build();
        t.with(Style::sharp());
        t.modify(Columns::new(right), Alignment::right());
        t.to_string()
    }

    #[test]
    fn a_table_is_written_as_tabled_writes_it() {
        let mut g = Grid::new();
        g.push_record(["Asset", "", "Amount"]);
        g.push_record(["BTC", "r1", "1.00"]);
        g.push_record(["ETH", "5a3f2…9d0e1c2b", "-12345.67"]);
        let want = "\
┌───────┬────────────────┬───────────┐
│ Asset │                │    Amount │
├───────┼────────────────┼───────────┤
│ BTC   │ r1             │      1.00 │
│ ETH   │ 5a3f2…9d0e1c2b │ -12345.67 │
└───────┴────────────────┴───────────┘";
        assert_eq!(written(&g, 2..3, 0), want);
    }

    #[test]
    fn a_colored_cell_goes_to_tabled() {
        let mut g = Grid::new();
        g.push_record(["Gain"]);
        g.push_record(["\x1b[31m-1.00\x1b[0m"]);
        assert!(g.control);
        let rows = vec![vec!["Gain".into()], vec!["\x1b[31m-1.00\x1b[0m".into()]];
        assert_eq!(written(&g, 0..1, 0), by_tabled(&rows, 0..1));
    }

    #[test]
    fn a_table_wider_than_the_terminal_wraps() {
        let mut g = Grid::new();
        g.push_record(["Description", "Gain"]);
        g.push_record(["a long description of a lot", "1.00"]);
        let out = written(&g, 1..2, 24);
        assert!(out.lines().all(|l| l.chars().count() <= 24), "{out}");
    }

    fn cell() -> impl Strategy<Value = String> {
        prop_oneof![
            "[ -~]{0,12}",
            "[a-zé€…中😀 ]{0,6}",
            Just(String::new()),
            "[a-z]{0,3}\n[a-z]{0,3}",
            "\t[a-z]{0,3}",
        ]
    }

    proptest! {
        /// Every table, ragged rows and wide, combining or control characters
        /// included, is written byte for byte as tabled writes it.
        #[test]
        fn grids_match_tabled(
            rows in prop::collection::vec(prop::collection::vec(cell(), 0..5), 1..6),
            from in 0usize..5,
            to in 0usize..6,
            split in 0usize..6,
        ) {
            let mut g = Grid::new();
            for r in &rows {
                g.push_record(r);
            }
            let right = from..to.max(from);
            prop_assert_eq!(written(&g, right.clone(), 0), by_tabled(&rows, right.clone()));
            // Cells written by their Display make the same table.
            let mut shown = Grid::new();
            for r in &rows {
                shown.push_cells(|c| r.iter().for_each(|cell| c.shown(cell)));
            }
            prop_assert_eq!(written(&shown, right.clone(), 0), written(&g, right.clone(), 0));
            // The rows split between two grids, written as parts of one
            // table, make the same table.
            let k = split % rows.len() + 1;
            let (mut head, mut tail) = (Grid::new(), Grid::new());
            for r in &rows[..k] {
                head.push_record(r);
            }
            for r in &rows[k..] {
                tail.push_cells(|c| r.iter().for_each(|cell| c.text(cell)));
            }
            let mut out = Vec::new();
            Grid::write_parts(&[&head, &tail], &mut out, right.clone(), 0, &[0]).unwrap();
            prop_assert_eq!(String::from_utf8(out).unwrap(), written(&g, right, 0));
        }
    }
}
