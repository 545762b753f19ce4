//! harvest's own normalized ledger (SPEC section 2), read back as records so that
//! `harvest import` of its own output gives the same ledger (a round trip) and
//! ledgers can be merged with exports, duplicates dropped by id.
//!
//! Fee convention: already the ledger's (fees on top); cells are kept as written.

use super::sheet::trim_cell;
use super::{Cx, Entry, ImportError, RowStream, Sheet, SheetRow};
use crate::csvread;
use crate::model::{LEDGER_COLUMNS, Record};

const REQUIRED: [&str; 4] = ["id", "time", "account", "kind"];

fn known(c: &str) -> bool {
    LEDGER_COLUMNS.iter().any(|l| l.eq_ignore_ascii_case(c))
}

/// A ledger header: only ledger columns (some required ones may be missing), or
/// every required column (with some unknown ones). Either way the header's
/// problems are then reported by name rather than as an unknown format.
pub(crate) fn matches(h: &[String]) -> bool {
    let required = REQUIRED
        .iter()
        .all(|r| h.iter().any(|c| c.eq_ignore_ascii_case(r)));
    !h.is_empty() && (h.iter().all(|c| known(c)) || required)
}

/// Unknown, duplicated and missing columns, each a problem on the header line.
fn header_problems(sheet: &Sheet, cx: &mut Cx) -> bool {
    let before = cx.problem_count();
    for (i, c) in sheet.header.iter().enumerate() {
        if !known(c) {
            cx.problem(
                sheet.header_line,
                Some(&format!("{}", i + 1)),
                Some(c),
                format!(
                    "unknown column: a ledger has only the columns {}; rename or remove it",
                    LEDGER_COLUMNS.join(",")
                ),
            );
        } else if let Some(first) = sheet.header[..i]
            .iter()
            .position(|p| p.eq_ignore_ascii_case(c))
        {
            cx.problem(
                sheet.header_line,
                Some(&format!("{}", i + 1)),
                Some(c),
                format!(
                    "appears twice (columns {} and {}): remove one",
                    first + 1,
                    i + 1
                ),
            );
        }
    }
    for r in REQUIRED {
        if !sheet.header.iter().any(|c| c.eq_ignore_ascii_case(r)) {
            cx.problem(
                sheet.header_line,
                None,
                None,
                format!(
                    "missing required column `{r}`: a ledger header must name id, time, account and kind"
                ),
            );
        }
    }
    cx.problem_count() != before
}

/// Reads the rows: the first ones (read with the header) from the sheet, the
/// rest from `stream` one at a time, each entry handed to `emit` (a ledger of
/// millions of rows is never held as records). `warm` is handed the id of the
/// next row while this one is made (see [`super::duplicates::IdWarmer`]).
pub(crate) fn parse_stream(
    sheet: &Sheet,
    stream: &mut RowStream,
    cx: &mut Cx,
    warm: &dyn Fn(&str),
    emit: &mut dyn FnMut(&mut Cx, &mut Entry),
) -> Result<(), ImportError> {
    let mut row = SheetRow::default();
    if header_problems(sheet, cx) {
        // The rows are still read: a CSV error in them is the one to report.
        while stream.next_into(&mut row)? {}
        return Ok(());
    }
    let map: Vec<Option<usize>> = LEDGER_COLUMNS.iter().map(|c| sheet.col(&[c])).collect();
    // One entry, its record's cells reused row after row.
    let mut slot = Entry::Rec {
        rows: vec![0],
        rec: Record::default(),
    };
    for r in &sheet.rows {
        let row = Row {
            line: r.line,
            len: r.cells.len(),
            get: |i| r.get(i),
        };
        one_row(sheet, &map, row, cx, &mut slot, emit);
    }
    // The rest of the file's cells go from the reader's buffer straight into
    // the record: one copy of each, not two. The next row's id is warmed
    // while this row is made.
    let id = map[0];
    let peek = |next: &csvread::TextRecord<'_>| {
        if let Some(id) = id.and_then(|i| next.get(i)) {
            warm(trim_cell(id));
        }
    };
    while let Some(()) = stream.next_with_ahead(peek, |line, rec| {
        let row = Row {
            line,
            len: rec.len(),
            get: |i| trim_cell(rec.get(i).unwrap_or("")),
        };
        one_row(sheet, &map, row, cx, &mut slot, emit);
    })? {}
    Ok(())
}

/// A data row: its line, how many cells it has, and its trimmed cell at an
/// index ("" past the end).
struct Row<G> {
    line: u64,
    len: usize,
    get: G,
}

/// One data row: a record (made in `slot`), a skipped blank row, or a problem
/// (nothing emitted).
fn one_row<'c>(
    sheet: &Sheet,
    map: &[Option<usize>],
    row: Row<impl Fn(usize) -> &'c str>,
    cx: &mut Cx,
    slot: &mut Entry,
    emit: &mut dyn FnMut(&mut Cx, &mut Entry),
) {
    if !sheet.check_count(cx, row.line, row.len, 0) {
        return;
    }
    if (0..row.len).all(|i| (row.get)(i).is_empty()) {
        emit(cx, &mut Entry::skip(row.line, "blank row"));
        return;
    }
    let cell = |i: usize| map[i].map_or("", |c| (row.get)(c));
    if cell(0).is_empty() {
        cx.problem(
            row.line,
            Some("id"),
            None,
            "is empty: every ledger row needs a unique id",
        );
        return;
    }
    if !matches!(slot, Entry::Rec { .. }) {
        *slot = Entry::Rec {
            rows: vec![0],
            rec: Record::default(),
        };
    }
    if let Entry::Rec { rows, rec } = slot {
        rows.clear();
        rows.push(row.line);
        for (i, to) in rec.fields_mut().into_iter().enumerate() {
            to.clear();
            to.push_str(cell(i));
        }
    }
    emit(cx, slot);
}
