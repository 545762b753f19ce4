//! Output: the views commands print (Form 8949 lines, lots) and how numbers and
//! text cells are written. One file per output format.

pub mod allocation;
pub mod csv;
pub mod export;
pub mod grid;
pub mod html;
pub mod json;
pub mod pdf;
pub mod reconcile;
pub mod table;

use chrono::NaiveDate;
use rust_decimal::Decimal;

pub use crate::cell::{
    IsoDate, Money, Qty, UsDate, cents, money, price, push_iso_date, push_money, push_price,
    push_qty, qty, safe_text, unprotect,
};
use crate::engine::{Holding, Outcome};
use crate::model::Ledger;
use crate::tax::{GainRow, Term, Totals};

/// Lines formatted per chunk by [`write_chunked`].
const CHUNK: usize = 8192;

/// Writes `items` items as `format` writes them, chunk by chunk: `format`
/// appends the text of the items in the range it is given to a buffer. A long
/// list is formatted on two threads: every other chunk by a helper while this
/// thread formats and writes the others, and the chunks go out in order, so
/// the bytes are the same as from one thread. A large year's Form 8949 lines
/// (527k at 1M ledger rows) are most of its output.
fn write_chunked<F: Fn(&mut Vec<u8>, std::ops::Range<usize>) + Sync>(
    w: &mut dyn std::io::Write,
    items: usize,
    format: F,
) -> std::io::Result<()> {
    let format = &format;
    let chunks = || (0..items).step_by(CHUNK).map(|s| s..(s + CHUNK).min(items));
    let mut own = Vec::new();
    if items < 2 * CHUNK {
        for chunk in chunks() {
            own.clear();
            format(&mut own, chunk);
            w.write_all(&own)?;
        }
        return Ok(());
    }
    std::thread::scope(|s| {
        use std::sync::mpsc::sync_channel;
        let (tx, rx) = sync_channel::<Vec<u8>>(2);
        // Buffers written go back to the helper, whose next chunks then
        // reuse their pages.
        let (back, spare) = sync_channel::<Vec<u8>>(4);
        s.spawn(move || {
            for chunk in chunks().skip(1).step_by(2) {
                let mut buf = spare.try_recv().unwrap_or_default();
                buf.clear();
                format(&mut buf, chunk);
                // The receiver stops early only on a write error.
                if tx.send(buf).is_err() {
                    return;
                }
            }
        });
        for (k, chunk) in chunks().enumerate() {
            if k % 2 == 0 {
                own.clear();
                format(&mut own, chunk);
                w.write_all(&own)?;
            } else {
                let buf = rx
                    .recv()
                    .map_err(|_| std::io::Error::other("formatting thread stopped"))?;
                w.write_all(&buf)?;
                let _ = back.try_send(buf);
            }
        }
        Ok(())
    })
}

/// An id as a table shows it: ids of more than 14 characters (exchange UUIDs,
/// order numbers) keep their first 5 and last 8 characters around an ellipsis,
/// so a table fits a terminal. CSV and JSON always write the whole id.
pub fn short_id(id: &str) -> std::borrow::Cow<'_, str> {
    if id.chars().count() <= ShortId::MAX {
        return id.into();
    }
    ShortId(id).to_string().into()
}

/// [`short_id`] as a `Display`, for cells written in place.
pub struct ShortId<'a>(pub &'a str);

impl ShortId<'_> {
    /// The longest id shown whole.
    const MAX: usize = 14;
}

impl std::fmt::Display for ShortId<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let id = self.0;
        let n = id.chars().count();
        if n <= Self::MAX {
            return f.write_str(id);
        }
        let cut = |k: usize| id.char_indices().nth(k).map_or(id.len(), |(i, _)| i);
        write!(f, "{}…{}", &id[..cut(5)], &id[cut(n - 8)..])
    }
}

/// `n` and a noun, in the plural unless `n` is 1: "1 row", "2 rows".
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The line a table or page opens with for each reason its figures are a
/// what-if (see [`crate::engine::what_if`]).
pub fn what_if_line(reason: &str) -> String {
    format!("WHAT-IF, NOT A FILING POSITION: {reason}")
}

/// Column (g) of a Form 8949 line: the adjustment, blank when there is no code.
pub fn adjustment_cell(code: &str, adjustment: Decimal) -> String {
    Adjustment::new(code, adjustment).to_string()
}

/// [`adjustment_cell`] as a `Display`, for cells written in place.
#[derive(Debug, Clone, Copy)]
pub struct Adjustment(Option<Decimal>);

impl Adjustment {
    pub fn new(code: &str, adjustment: Decimal) -> Adjustment {
        Adjustment((!code.is_empty()).then_some(adjustment))
    }
}

impl std::fmt::Display for Adjustment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(d) => Money(d).fmt(f),
            None => Ok(()),
        }
    }
}

/// Column (b) of a Form 8949 line as a `Display`: see
/// [`GainLine::acquired_cell`].
#[derive(Debug, Clone, Copy)]
pub struct Acquired {
    date: NaiveDate,
    inherited: bool,
}

impl std::fmt::Display for Acquired {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.inherited {
            f.write_str("INHERITED")
        } else {
            UsDate(self.date).fmt(f)
        }
    }
}

/// A Form 8949 row with its names resolved, ready for any format. Its
/// figures are its row's, read through it (`Deref`), not copied: a year of
/// millions of rows holds each figure once.
#[derive(Debug, Clone)]
pub struct GainLine<'a> {
    /// The row: quantity, dates, term, proceeds, basis, code, adjustment,
    /// gain and basis rule.
    pub row: &'a GainRow,
    pub disposal_id: &'a str,
    pub lot_id: &'a str,
    pub asset: &'a str,
    pub account: &'a str,
    pub box_: &'static str,
    /// Inherited units: column (b) reads INHERITED on the forms (the CSV keeps
    /// the date of death).
    pub inherited: bool,
}

impl std::ops::Deref for GainLine<'_> {
    type Target = GainRow;

    fn deref(&self) -> &GainRow {
        self.row
    }
}

impl GainLine<'_> {
    /// Column (b) as the forms write it: the date, or INHERITED.
    pub fn acquired_cell(&self) -> String {
        self.acquired().to_string()
    }

    /// [`GainLine::acquired_cell`] without the String.
    pub fn acquired(&self) -> Acquired {
        Acquired {
            date: self.date_acquired,
            inherited: self.inherited,
        }
    }

    /// Appends column (g) as [`Adjustment`] shows it: the amount when the row
    /// has a code, else nothing.
    pub fn push_adjustment(&self, out: &mut Vec<u8>) {
        if !self.adjustment_code.is_empty() {
            push_money(out, self.adjustment);
        }
    }

    /// Column (a): units and asset, like `0.5 BTC`.
    pub fn description(&self) -> String {
        format!("{} {}", qty(self.quantity), self.asset)
    }
}

/// Resolves a row's names.
pub fn gain_line<'a>(ledger: &'a Ledger, outcome: &Outcome, r: &'a GainRow) -> GainLine<'a> {
    let d = &outcome.disposals[r.disposal as usize];
    let lot = &outcome.lots[r.lot as usize];
    GainLine {
        row: r,
        disposal_id: &ledger.rows[d.row as usize].id,
        lot_id: &ledger.rows[lot.row as usize].id,
        asset: ledger.syms.name(d.asset),
        account: ledger.syms.name(ledger.rows[d.row as usize].account),
        box_: r.box_.as_str(),
        inherited: lot.always_long,
    }
}

/// Starts fetching what [`gain_line`] reads for the rows after `i`: the
/// disposal and lot of row `i + AHEAD`, and the ledger rows of row
/// `i + AHEAD / 2`'s disposal and lot (fetched as many rows ago). Rows sorted
/// by box take their lots from anywhere in the run's list and their rows from
/// anywhere in the ledger; a large year's line waited for each in turn.
fn fetch_gain_rows_ahead(ledger: &Ledger, outcome: &Outcome, rows: &[&GainRow], i: usize) {
    use crate::memory::prefetch;
    if let Some(r) = rows.get(i + AHEAD) {
        if let Some(d) = outcome.disposals.get(r.disposal as usize) {
            prefetch(d);
        }
        if let Some(lot) = outcome.lots.get(r.lot as usize) {
            prefetch(lot);
        }
    }
    if let Some(r) = rows.get(i + AHEAD / 2) {
        let disposal = outcome.disposals.get(r.disposal as usize).map(|d| d.row);
        let lot = outcome.lots.get(r.lot as usize).map(|l| l.row);
        for row in [disposal, lot].into_iter().flatten() {
            if let Some(row) = ledger.rows.get(row as usize) {
                prefetch(&row.id);
                prefetch(&row.account);
            }
        }
    }
}

/// The Form 8949 lines of a view, in order: its rows, their names resolved
/// as each is read. A resolved line is 96 bytes, and a large year's 527k
/// lines (1M generated ledger rows) held 50 MB more than their rows.
#[derive(Clone, Copy)]
pub struct Lines<'a> {
    source: LineSource<'a>,
    /// The names accounts are shown by (tables and HTML).
    names: Option<&'a AccountNames<'a>>,
}

/// An account's display name, by its name.
pub type AccountNames<'a> = dyn Fn(&'a str) -> &'a str + Sync + 'a;

impl std::fmt::Debug for Lines<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[derive(Debug, Clone, Copy)]
enum LineSource<'a> {
    Rows {
        ledger: &'a Ledger,
        outcome: &'a Outcome,
        rows: &'a [&'a GainRow],
    },
    Resolved(&'a [GainLine<'a>]),
}

impl<'a> Lines<'a> {
    /// The lines of `rows`, of a run of `outcome` on `ledger`.
    pub fn new(ledger: &'a Ledger, outcome: &'a Outcome, rows: &'a [&'a GainRow]) -> Self {
        Lines {
            source: LineSource::Rows {
                ledger,
                outcome,
                rows,
            },
            names: None,
        }
    }

    /// Lines resolved already.
    pub fn resolved(lines: &'a [GainLine<'a>]) -> Self {
        Lines {
            source: LineSource::Resolved(lines),
            names: None,
        }
    }

    /// The same lines, their accounts shown by the names `names` gives them
    /// (harvest.toml's display names).
    pub fn display_names(self, names: &'a AccountNames<'a>) -> Self {
        Lines {
            names: Some(names),
            ..self
        }
    }

    pub fn len(&self) -> usize {
        match self.source {
            LineSource::Rows { rows, .. } => rows.len(),
            LineSource::Resolved(l) => l.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Line `i`; panics past the end, as indexing does. Lines are read in
    /// order: the disposals, lots and ledger rows of the lines after `i` are
    /// fetched into the cache meanwhile (see `fetch_gain_rows_ahead`).
    pub fn get(&self, i: usize) -> GainLine<'a> {
        let mut l = match self.source {
            LineSource::Rows {
                ledger,
                outcome,
                rows,
            } => {
                fetch_gain_rows_ahead(ledger, outcome, rows, i);
                gain_line(ledger, outcome, rows[i])
            }
            LineSource::Resolved(l) => l[i].clone(),
        };
        if let Some(names) = self.names {
            l.account = names(l.account);
        }
        l
    }

    /// The lines in `range`; panics past the end, as slicing does.
    pub fn slice(&self, range: std::ops::Range<usize>) -> Lines<'a> {
        let source = match self.source {
            LineSource::Rows {
                ledger,
                outcome,
                rows,
            } => LineSource::Rows {
                ledger,
                outcome,
                rows: &rows[range],
            },
            LineSource::Resolved(l) => LineSource::Resolved(&l[range]),
        };
        Lines { source, ..*self }
    }

    /// The lines `n` at a time, the last chunk shorter (as `slice::chunks`).
    pub fn chunks(&self, n: usize) -> impl Iterator<Item = Lines<'a>> + 'a {
        let (this, len) = (*self, self.len());
        (0..len)
            .step_by(n.max(1))
            .map(move |s| this.slice(s..(s + n).min(len)))
    }

    /// The lines' rows, their figures only: no names resolved.
    pub fn rows(&self) -> impl Iterator<Item = &'a GainRow> + 'a {
        let (this, len) = (*self, self.len());
        (0..len).map(move |i| match this.source {
            LineSource::Rows { rows, .. } => rows[i],
            LineSource::Resolved(l) => l[i].row,
        })
    }

    pub fn iter(&self) -> LinesIter<'a> {
        LinesIter {
            lines: *self,
            at: 0..self.len(),
        }
    }
}

/// The lines of a [`Lines`], one by one.
#[derive(Debug, Clone)]
pub struct LinesIter<'a> {
    lines: Lines<'a>,
    at: std::ops::Range<usize>,
}

impl<'a> Iterator for LinesIter<'a> {
    type Item = GainLine<'a>;

    fn next(&mut self) -> Option<GainLine<'a>> {
        self.at.next().map(|i| self.lines.get(i))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.at.size_hint()
    }
}

impl ExactSizeIterator for LinesIter<'_> {}

impl<'a> IntoIterator for &Lines<'a> {
    type Item = GainLine<'a>;
    type IntoIter = LinesIter<'a>;

    fn into_iter(self) -> LinesIter<'a> {
        self.iter()
    }
}

impl<'a> IntoIterator for Lines<'a> {
    type Item = GainLine<'a>;
    type IntoIter = LinesIter<'a>;

    fn into_iter(self) -> LinesIter<'a> {
        self.iter()
    }
}

/// The rows of one tax year, with what produced them.
pub struct GainsView<'a> {
    pub year: i32,
    pub method: &'static str,
    pub scope: &'static str,
    pub lines: Lines<'a>,
    pub short_term: Totals,
    pub long_term: Totals,
    /// Why these figures are a what-if, not a filing position (see
    /// [`crate::engine::what_if`]); empty for a filing position.
    pub what_if: Vec<String>,
}

/// An open lot with its value at a price.
#[derive(Debug, Clone)]
pub struct LotLine<'a> {
    pub asset: &'a str,
    pub account: &'a str,
    pub lot_id: &'a str,
    pub date_acquired: NaiveDate,
    pub quantity: Decimal,
    pub cost_basis: Decimal,
    pub unit_basis: Decimal,
    /// Price, value, unrealized gain and term, with `--prices`.
    pub valued: Option<Valued>,
}

/// What every listing of an open lot (`lots`, `scan`'s candidates) starts
/// with.
#[derive(Debug, Clone, Copy)]
pub struct LotHead<'a> {
    pub asset: &'a str,
    pub account: &'a str,
    pub lot_id: &'a str,
    pub date_acquired: NaiveDate,
    pub quantity: Decimal,
    pub cost_basis: Decimal,
}

impl<'a> LotLine<'a> {
    /// The lot's [`LotHead`].
    pub fn head(&self) -> LotHead<'a> {
        LotHead {
            asset: self.asset,
            account: self.account,
            lot_id: self.lot_id,
            date_acquired: self.date_acquired,
            quantity: self.quantity,
            cost_basis: self.cost_basis,
        }
    }
}

/// A lot's value at a price on a date.
#[derive(Debug, Clone, Copy)]
pub struct Valued {
    pub price: Decimal,
    pub value: Decimal,
    pub unrealized: Decimal,
    pub term: Term,
}

/// Open lots as of a date.
pub struct LotsView<'a> {
    pub as_of: Option<NaiveDate>,
    pub lines: Vec<LotLine<'a>>,
    pub priced: bool,
    /// See [`GainsView::what_if`].
    pub what_if: Vec<String>,
}

/// How many holdings or lines ahead of the one being made their lots are
/// fetched into the cache (and half as many ahead, their rows).
const AHEAD: usize = 16;

/// Starts fetching what a line of item `k` of a list of lots reads of items
/// after it: the lot of item `k + AHEAD`, and the ledger row (its id) of the
/// lot of item `k + AHEAD / 2`, whose lot was fetched as many items ago.
/// `lot_of` gives an item's lot (None past the end). Holdings and candidates
/// are in asset and account order, their lots anywhere in the run's list of
/// lots and their rows anywhere in the ledger: a line waited for each in
/// turn (making the lines was 7% of `lots`'s samples on a million rows on one
/// core, nearly all on those two loads; 3% with the fetches).
pub fn fetch_lots_ahead(
    ledger: &Ledger,
    outcome: &Outcome,
    k: usize,
    lot_of: impl Fn(usize) -> Option<crate::engine::LotIdx>,
) {
    if let Some(lot) = lot_of(k + AHEAD).and_then(|l| outcome.lots.get(l as usize)) {
        crate::memory::prefetch(lot);
    }
    if let Some(lot) = lot_of(k + AHEAD / 2).and_then(|l| outcome.lots.get(l as usize))
        && let Some(row) = ledger.rows.get(lot.row as usize)
    {
        crate::memory::prefetch(&row.id);
    }
}

/// The lines of `range`, each given as the lot id of the line `AHEAD` after
/// it is fetched into the cache: the ids lie in the ledger's rows, and by the
/// time lines are written the rows [`lot_line`] read are out of the cache
/// again.
pub fn fetching_ids<T: NamesLot>(
    lines: &[T],
    range: std::ops::Range<usize>,
) -> impl Iterator<Item = &T> {
    lines[range.clone()].iter().zip(range).map(move |(l, i)| {
        if let Some(next) = lines.get(i + AHEAD) {
            crate::memory::prefetch(next.lot_id().as_ptr());
        }
        l
    })
}

/// A line that names a lot by its id (see [`fetching_ids`]).
pub trait NamesLot {
    /// The id of the lot's row, held in the ledger's row.
    fn lot_id(&self) -> &str;
}

impl NamesLot for LotLine<'_> {
    fn lot_id(&self) -> &str {
        self.lot_id
    }
}

impl NamesLot for ScanLine<'_> {
    fn lot_id(&self) -> &str {
        self.lot_id
    }
}

/// Resolves a holding's names and, given a price, values it on `on`.
pub fn lot_line<'a>(
    ledger: &'a Ledger,
    outcome: &Outcome,
    h: &Holding,
    price: Option<Decimal>,
    on: NaiveDate,
) -> LotLine<'a> {
    let lot = &outcome.lots[h.lot as usize];
    let cost_basis = cents(h.basis);
    let valued = price.map(|p| {
        let value = cents(h.qty * p);
        Valued {
            price: p,
            value,
            unrealized: value - cost_basis,
            term: crate::tax::lot_term(lot, on),
        }
    });
    LotLine {
        asset: ledger.syms.name(h.asset),
        account: crate::engine::account_name(ledger, h.account),
        lot_id: &ledger.rows[lot.row as usize].id,
        date_acquired: lot.holding_from,
        quantity: h.qty,
        cost_basis,
        unit_basis: if h.qty.is_zero() {
            Decimal::ZERO
        } else {
            // A lot of a few 1e-28 units can have a unit basis beyond Decimal.
            h.basis.checked_div(h.qty).unwrap_or(Decimal::MAX)
        },
        valued,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Chunks formatted on two threads go out in order, each once, for
    /// lengths around the chunk size and the two-thread threshold.
    #[test]
    fn chunks_are_written_in_order() {
        for n in [
            0,
            1,
            CHUNK - 1,
            CHUNK,
            2 * CHUNK - 1,
            2 * CHUNK,
            5 * CHUNK + 7,
        ] {
            let mut out = Vec::new();
            write_chunked(&mut out, n, |buf, range| {
                for i in range {
                    buf.extend_from_slice(format!("{i}\n").as_bytes());
                }
            })
            .unwrap();
            let want: String = (0..n).map(|i| format!("{i}\n")).collect();
            assert!(out == want.as_bytes(), "{n} items");
        }
    }

    /// A write error stops the writing and is returned, from either
    /// thread's chunk.
    #[test]
    fn a_write_error_is_returned() {
        struct Fails(usize);
        impl std::io::Write for Fails {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                if self.0 == 0 {
                    return Err(std::io::Error::other("disk full"));
                }
                self.0 -= 1;
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        for writes in [0, 1, 2, 5] {
            let e = write_chunked(&mut Fails(writes), 9 * CHUNK, |buf, range| {
                buf.extend_from_slice(&range.start.to_le_bytes())
            })
            .unwrap_err();
            assert_eq!(e.to_string(), "disk full");
        }
    }

    #[test]
    fn long_ids_are_cut_in_the_middle_on_character_boundaries() {
        assert_eq!(short_id("r12345"), "r12345");
        assert_eq!(short_id("abcdefghijklmn"), "abcdefghijklmn");
        assert_eq!(short_id("abcdefghijklmno"), "abcde…hijklmno");
        assert_eq!(short_id("ééééééééééééééé1"), "ééééé…ééééééé1");
        for id in [
            "r1",
            "abcdefghijklmno",
            "0x1234567890abcdef1234",
            "ééééééééééééééé1",
        ] {
            assert_eq!(ShortId(id).to_string(), short_id(id));
        }
    }

    #[test]
    fn money_has_two_decimals_and_no_negative_zero() {
        assert_eq!(money(Decimal::new(-3000, 0)), "-3000.00");
        assert_eq!(money(Decimal::new(-5, 2)), "-0.05");
        assert_eq!(money(Decimal::new(123456789, 4)), "12345.68");
        assert_eq!(money(Decimal::new(7, 0)), "7.00");
        assert_eq!(money(Decimal::new(-1, 3)), "0.00");
        assert_eq!(money(Decimal::new(5, 1)), "0.50");
    }

    #[test]
    fn formula_cells_are_escaped_but_numbers_are_not() {
        assert_eq!(safe_text("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(safe_text("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(safe_text("+1+2"), "'+1+2");
        assert_eq!(safe_text("\tx"), "'\tx");
        assert_eq!(safe_text("-5.00"), "-5.00");
        assert_eq!(safe_text("BTC"), "BTC");
        for s in [
            "=HYPERLINK(\"x\")",
            "@SUM(A1)",
            "-s1",
            "BTC",
            "'quoted",
            "-5.00",
            "",
        ] {
            assert_eq!(unprotect(&safe_text(s)), s);
        }
    }

    #[test]
    fn prices_keep_small_units() {
        assert_eq!(price(Decimal::new(50000, 0)), "50000.00");
        assert_eq!(price(Decimal::new(231456, 8)), "0.00231456");
        assert_eq!(price(Decimal::new(15, 1)), "1.50");
    }
}

pub mod taxact;
pub mod turbotax;
pub mod txf;

/// One Form 8949 page group: a box and its rows' totals.
#[derive(Debug, Clone, Copy)]
pub struct BoxTotals {
    pub box_: crate::tax::Box8949,
    pub totals: Totals,
    pub rows: usize,
}

impl BoxTotals {
    /// The totals of each box of `rows`, sorted by part and box already
    /// (each box one run), in that order.
    pub fn of_sorted<'a>(rows: impl IntoIterator<Item = &'a GainRow>) -> Vec<BoxTotals> {
        let mut boxes: Vec<BoxTotals> = Vec::new();
        for r in rows {
            match boxes.last_mut() {
                Some(b) if b.box_ == r.box_ => {
                    b.totals.add(r);
                    b.rows += 1;
                }
                _ => boxes.push(BoxTotals {
                    box_: r.box_,
                    totals: Totals::of([r]),
                    rows: 1,
                }),
            }
        }
        boxes
    }
}

/// `harvest report`: Form 8949 by part and box, and Schedule D.
pub struct ReportView<'a> {
    pub year: i32,
    pub method: &'static str,
    pub scope: &'static str,
    pub filing_status: &'static str,
    /// Rows in Part I then Part II, by box, each box in ledger order.
    pub lines: Lines<'a>,
    /// Per box, in the same order as `lines`.
    pub boxes: Vec<BoxTotals>,
    pub short_term: Totals,
    pub long_term: Totals,
    pub schedule_d: crate::tax::ScheduleD,
    pub carryover_in: crate::tax::Carryover,
    pub taxable_income: Option<Decimal>,
    /// See [`GainsView::what_if`].
    pub what_if: Vec<String>,
    /// The year's income from digital assets (JSON and HTML show it).
    pub income: Option<crate::tax::IncomeSummary<'a>>,
    /// Gifts received and given, inheritances, donations and losses of the year.
    pub transfers: crate::tax::Transfers<'a>,
    /// The audit trail of each line, in the same order (HTML only; else empty).
    pub trails: Vec<crate::tax::audit::Trail<'a>>,
    /// The run's warnings by kind: count and first messages (JSON and HTML
    /// carry them, so that they do not reach stderr only).
    pub warnings: Vec<(&'static str, usize, Vec<&'a str>)>,
    /// The settings and files that decided the figures (JSON and HTML).
    pub statement: Option<crate::statement::Statement>,
    /// The answer to Form 1040's digital-asset question, with its rows.
    pub question: crate::tax::question::Answer<'a>,
    /// With `--exception-1`: the rows reported on Schedule D lines 1a/8a
    /// instead of Form 8949.
    pub exception_1: Option<Exception1<'a>>,
    /// With `--summary` (Exception 2): Form 8949's rows, one per box and
    /// account; `lines` are then the attached statement.
    pub summary: Option<Vec<SummaryRow<'a>>>,
}

/// The rows of Exception 1 and their totals (Schedule D lines 1a and 8a).
#[derive(Debug, Clone)]
pub struct Exception1<'a> {
    pub short_term: Totals,
    pub long_term: Totals,
    pub lines: Lines<'a>,
}

/// One Form 8949 row under Exception 2: a box's rows of one account, summed,
/// with code M (and every other code of its rows) and "see attached statement".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryRow<'a> {
    pub box_: crate::tax::Box8949,
    pub account: &'a str,
    /// How many statement rows it sums.
    pub rows: usize,
    pub proceeds: Decimal,
    pub cost_basis: Decimal,
    pub code: String,
    pub adjustment: Decimal,
    pub gain: Decimal,
}

impl SummaryRow<'_> {
    /// Column (a): the broker (account) and the statement.
    pub fn description(&self) -> String {
        format!("{}: see attached statement", self.account)
    }
}

/// The Exception 2 rows of `rows` (sorted by part and box): one per box and
/// account, in the rows' order.
pub fn summary_rows<'a>(
    rows: &[&crate::tax::GainRow],
    account: impl Fn(&crate::tax::GainRow) -> &'a str,
) -> Vec<SummaryRow<'a>> {
    let mut out: Vec<SummaryRow<'a>> = Vec::new();
    // Where each (box, account) is in `out`, in the order first met.
    let mut at: std::collections::HashMap<(crate::tax::Box8949, &str), usize> =
        std::collections::HashMap::new();
    for r in rows {
        let acct = account(r);
        let i = match at.get(&(r.box_, acct)) {
            Some(&i) => i,
            None => {
                at.insert((r.box_, acct), out.len());
                out.push(SummaryRow {
                    box_: r.box_,
                    account: acct,
                    rows: 0,
                    proceeds: Decimal::ZERO,
                    cost_basis: Decimal::ZERO,
                    code: "M".into(),
                    adjustment: Decimal::ZERO,
                    gain: Decimal::ZERO,
                });
                out.len() - 1
            }
        };
        let s = &mut out[i];
        s.rows += 1;
        s.proceeds += r.proceeds;
        s.cost_basis += r.cost_basis;
        s.adjustment += r.adjustment;
        s.gain += r.gain;
        for c in r.adjustment_code.chars() {
            if !s.code.contains(c) {
                s.code.push(c);
            }
        }
    }
    for s in &mut out {
        // Codes are alphabetical on the form.
        let mut c: Vec<char> = s.code.chars().collect();
        c.sort_unstable();
        s.code = c.into_iter().collect();
    }
    out.sort_by_key(|s| (s.box_.term(), s.box_));
    out
}

/// `harvest audit`: the trails of a year's Form 8949 rows, the gaps in the
/// basis, and the statement of the run.
#[derive(Debug, Clone)]
pub struct AuditView<'a> {
    pub year: i32,
    /// See [`GainsView::what_if`].
    pub what_if: Vec<String>,
    pub trails: Vec<crate::tax::audit::Trail<'a>>,
    pub gaps: Vec<crate::tax::gaps::Gap<'a>>,
    pub statement: crate::statement::Statement,
}

/// A harvest candidate, resolved for output.
#[derive(Debug, Clone)]
pub struct ScanLine<'a> {
    pub asset: &'a str,
    pub account: &'a str,
    pub lot_id: &'a str,
    pub date_acquired: NaiveDate,
    pub quantity: Decimal,
    pub cost_basis: Decimal,
    pub price: Decimal,
    pub value: Decimal,
    pub unrealized: Decimal,
    pub term: Term,
    pub long_term_on: Option<NaiveDate>,
    pub turns_long_soon: bool,
    pub wash_risk: &'static str,
    /// The quantity the plan sells from this lot (zero when none).
    pub recommended: Decimal,
}

impl<'a> ScanLine<'a> {
    /// The candidate lot's [`LotHead`].
    pub fn head(&self) -> LotHead<'a> {
        LotHead {
            asset: self.asset,
            account: self.account,
            lot_id: self.lot_id,
            date_acquired: self.date_acquired,
            quantity: self.quantity,
            cost_basis: self.cost_basis,
        }
    }
}

/// One planned sale: an asset sold from one account.
#[derive(Debug, Clone)]
pub struct SaleLine<'a> {
    pub account: &'a str,
    pub asset: &'a str,
    pub quantity: Decimal,
    pub price: Decimal,
    pub proceeds: Decimal,
    /// Realized by specific identification of the plan's lots.
    pub specific: Decimal,
    /// Realized if the same quantity were sold by the configured method.
    pub by_method: Decimal,
    /// The plan's realized gain (negative: loss) by term, and FIFO's.
    pub specific_terms: crate::plan::TermSplit,
    pub fifo_terms: crate::plan::TermSplit,
    /// Who holds the identification of the lots: `broker` for a sale in a
    /// broker account from 2027, else `own records`.
    pub identify_with: &'static str,
    /// Why the sale is in the plan, in one line.
    pub why: String,
    /// The account's fee rate.
    pub fee_rate: Decimal,
    /// What Form 8949 shows: the USD received less the sale's fee, in cents.
    pub net_proceeds: Decimal,
    /// What selling and buying back cost (fees and spread), in cents.
    pub costs: crate::plan::RoundTrip,
    /// The sale's marginal tax saving: the plan's saving less the saving of
    /// the plan without this sale (its carried loss priced at the future
    /// rate).
    pub tax_saved: Decimal,
}

impl SaleLine<'_> {
    /// The tax saved less what selling and buying back cost.
    pub fn net_saving(&self) -> Decimal {
        self.tax_saved - self.costs.total()
    }
}

/// A lot the plan leaves out because its tax saving does not cover what
/// selling and buying it back would cost.
#[derive(Debug, Clone)]
pub struct LeftOut {
    pub account: String,
    pub asset: String,
    pub lot_id: String,
    pub quantity: Decimal,
    pub tax_saved: Decimal,
    pub cost: Decimal,
}

/// The costs of the plan, when a fee rate or a spread is set.
#[derive(Debug, Clone)]
pub struct CostsView {
    pub spread: Decimal,
    /// Each account of the candidates, its fee rate, and where it comes from
    /// (`--fee-rate`, the settings file, or `not set`).
    pub fee_rates: Vec<(String, Decimal, String)>,
    /// What the plan's sales and buy-backs cost, in cents.
    pub total: Decimal,
    /// The tax saved, plus the carried loss's value, less `total`.
    pub tax_saved_net: Decimal,
    pub left_out: Vec<LeftOut>,
}

/// Schedule D lines 7, 15, 16 and 21.
#[derive(Debug, Clone, Copy, Default)]
pub struct Picture {
    pub line_7: Decimal,
    pub line_15: Decimal,
    pub line_16: Decimal,
    pub line_21: Decimal,
}

/// `harvest scan`: the year so far, the candidates and the plan.
pub struct ScanView<'a> {
    /// See [`GainsView::what_if`].
    pub what_if: Vec<String>,
    /// How many candidates (the first, largest losses) tables and pages show;
    /// CSV and JSON write every one.
    pub shown: usize,
    pub as_of: NaiveDate,
    pub year: i32,
    pub method: &'static str,
    pub filing_status: &'static str,
    pub days_left: i64,
    pub realized_st: Decimal,
    pub realized_lt: Decimal,
    pub carryover_in: crate::tax::Carryover,
    pub loss_limit: Decimal,
    pub loss_needed: Decimal,
    pub loss_available: Decimal,
    pub plan_st: Decimal,
    pub plan_lt: Decimal,
    pub before: Picture,
    pub after: Picture,
    pub carryover_after: crate::tax::Carryover,
    /// Of the plan's net loss (positive): what this year's return absorbs,
    /// and what goes to next year's carryover.
    pub loss_used: Decimal,
    pub loss_carried: Decimal,
    /// The rate the carried loss is priced at, and what it saves then.
    pub future_rate: Decimal,
    pub carryover_value: Decimal,
    pub tax_before: Decimal,
    pub tax_after: Decimal,
    pub tax_saved: Decimal,
    /// How the tax was priced, in words.
    pub tax_basis: String,
    pub lines: Vec<ScanLine<'a>>,
    pub sales: Vec<SaleLine<'a>>,
    /// Long-term gains at 0%, when considered (`--ordinary-income`, not
    /// `--no-gains`).
    pub gains: Option<GainsAtZero<'a>>,
    /// None when no fee rate or spread is set: the outputs are then as
    /// without costs.
    pub costs: Option<CostsView>,
    pub notes: Vec<String>,
    /// The inputs, the tax by bracket and the comparison (issue 25 item 6).
    pub scenario: Scenario,
}

/// The tax before and after the plan, slice by slice (in cents, see
/// [`crate::tax::rates::in_cents`]): by the brackets, or at the flat rates.
#[derive(Debug, Clone, Default)]
pub struct Brackets {
    /// Flat marginal rates (no `--ordinary-income`).
    pub flat: bool,
    pub before: Vec<crate::tax::rates::TaxSlice>,
    pub after: Vec<crate::tax::rates::TaxSlice>,
}

/// What a scan says for scenarios: the inputs that produced it (JSON), the tax
/// by bracket (HTML), and what changed against a saved scan (`--compare`).
#[derive(Debug, Clone, Default)]
pub struct Scenario {
    pub inputs: Option<crate::plan::compare::ScanInputs>,
    pub brackets: Brackets,
    pub compare: Option<crate::plan::compare::Comparison>,
}

impl ScanView<'_> {
    /// This run as `--compare` reads a saved one: the figures the JSON
    /// writes, and the sales with the accounts as the JSON names them.
    pub fn snapshot(&self) -> crate::plan::compare::Snapshot {
        use crate::plan::compare::{Figures, PlannedSale, Snapshot};
        let pic = |p: &Picture| [p.line_7, p.line_15, p.line_16, p.line_21];
        let figures = Figures {
            tax_before: self.tax_before,
            tax_after: self.tax_after,
            tax_saved: self.tax_saved,
            loss_needed: self.loss_needed,
            loss_available: self.loss_available,
            plan_st: self.plan_st,
            plan_lt: self.plan_lt,
            loss_used: self.loss_used,
            loss_carried: self.loss_carried,
            carryover_value: self.carryover_value,
            before: pic(&self.before),
            after: pic(&self.after),
            carryover_next_st: self.carryover_after.short_term,
            carryover_next_lt: self.carryover_after.long_term,
            realized_st: self.realized_st,
            realized_lt: self.realized_lt,
            costs: self.costs.as_ref().map_or(Decimal::ZERO, |c| c.total),
            tax_saved_net: self
                .costs
                .as_ref()
                .map_or(Decimal::ZERO, |c| c.tax_saved_net),
            gain_at_zero: self
                .gains
                .as_ref()
                .map_or(Decimal::ZERO, |g| g.chosen().gain_realized),
            later_tax_saved: self
                .gains
                .as_ref()
                .map_or(Decimal::ZERO, |g| g.later_tax_saved()),
        };
        let sales = self
            .sales
            .iter()
            .map(|s| PlannedSale {
                account: s.account.to_string(),
                asset: s.asset.to_string(),
                quantity: s.quantity,
                // As the JSON writes it (at most 8 decimals).
                price: s.price.round_dp(8),
                realized: cents(s.specific),
            })
            .collect();
        Snapshot::of_run(self.as_of, self.scenario.inputs.as_ref(), figures, sales)
    }
}

/// An input of a saved or this scan as tables and pages show it: `(none)`
/// for absent, a file as its name and the first 12 digits of its SHA-256.
pub fn input_text(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => "(none)".into(),
        Value::String(s) => s.clone(),
        Value::Object(m) => {
            let name = m.get("name").and_then(Value::as_str).unwrap_or("?");
            match m.get("sha256").and_then(Value::as_str) {
                Some(h) => format!("{name} (sha256 {}…)", h.get(..12).unwrap_or(h)),
                None => format!("{name} (not summed)"),
            }
        }
        other => other.to_string(),
    }
}

/// The gains-at-0% part of a scan: the two combinations and the gain lots of
/// the chosen one.
pub struct GainsAtZero<'a> {
    /// The rate a later long-term sale is expected to pay.
    pub later_rate: Decimal,
    /// The long-term gain that fits the 0% band in the chosen combination.
    pub room: Decimal,
    pub with_losses: crate::plan::gains::Combination,
    pub gains_only: crate::plan::gains::Combination,
    /// `harvest losses` or `gains at 0% only`.
    pub chosen: &'static str,
    pub lots: Vec<GainLot<'a>>,
}

impl GainsAtZero<'_> {
    /// The combination the plan takes.
    pub fn chosen(&self) -> &crate::plan::gains::Combination {
        if self.chosen == self.gains_only.name {
            &self.gains_only
        } else {
            &self.with_losses
        }
    }

    /// Whether either combination steps up any gain (else there is nothing
    /// to show but a note).
    pub fn any_gain(&self) -> bool {
        !self.with_losses.gain_realized.is_zero() || !self.gains_only.gain_realized.is_zero()
    }

    /// The federal tax a later sale saves on the basis stepped up by the
    /// chosen combination.
    pub fn later_tax_saved(&self) -> Decimal {
        self.chosen().later_tax_saved
    }
}

/// A lot (or part of one) sold at a gain inside the 0% band and bought back.
pub struct GainLot<'a> {
    pub account: &'a str,
    pub asset: &'a str,
    pub lot_id: &'a str,
    pub quantity: Decimal,
    pub cost_basis: Decimal,
    pub proceeds: Decimal,
    pub gain: Decimal,
    /// The bought-back lot's basis: what buying it back costs, the fee and
    /// spread included.
    pub new_basis: Decimal,
}

/// Schedule D's lines as printed: number, label and amount.
pub fn schedule_d_lines(v: &ReportView<'_>) -> Vec<(&'static str, String, Decimal)> {
    let s = &v.schedule_d;
    let limit = if v.filing_status == "mfs" {
        "1,500"
    } else {
        "3,000"
    };
    let mut lines = Vec::new();
    // Lines 1a and 8a only with Exception 1 (`--exception-1`).
    if !s.line_1a.is_zero() || !s.line_8a.is_zero() {
        lines.push((
            "1a",
            "Short-term totals on a 1099 with basis reported, no adjustment (no Form 8949)".into(),
            s.line_1a,
        ));
    }
    lines.extend([
        (
            "1b",
            "Short-term totals from Form 8949 box A or G".into(),
            s.line_1b,
        ),
        (
            "2",
            "Short-term totals from Form 8949 box B or H".into(),
            s.line_2,
        ),
        (
            "3",
            "Short-term totals from Form 8949 box C or I".into(),
            s.line_3,
        ),
        ("6", "Short-term capital loss carryover".into(), s.line_6),
        (
            "7",
            "Net short-term capital gain or (loss)".into(),
            s.line_7,
        ),
    ]);
    if !s.line_1a.is_zero() || !s.line_8a.is_zero() {
        lines.push((
            "8a",
            "Long-term totals on a 1099 with basis reported, no adjustment (no Form 8949)".into(),
            s.line_8a,
        ));
    }
    lines.extend([
        (
            "8b",
            "Long-term totals from Form 8949 box D or J".into(),
            s.line_8b,
        ),
        (
            "9",
            "Long-term totals from Form 8949 box E or K".into(),
            s.line_9,
        ),
        (
            "10",
            "Long-term totals from Form 8949 box F or L".into(),
            s.line_10,
        ),
        ("14", "Long-term capital loss carryover".into(), s.line_14),
        (
            "15",
            "Net long-term capital gain or (loss)".into(),
            s.line_15,
        ),
        ("16", "Lines 7 and 15 combined".into(), s.line_16),
    ]);
    // Line 18 only with a 28% rate gain (collectibles).
    if !s.line_18.is_zero() {
        lines.push((
            "18",
            "28% rate gain (28% Rate Gain Worksheet: collectibles)".into(),
            s.line_18,
        ));
    }
    lines.push((
        "21",
        format!("Capital loss deducted this year (at most {limit})"),
        s.line_21,
    ));
    lines
}
