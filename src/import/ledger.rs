//! harvest's own normalized ledger (SPEC section 2), read back as records so that
//! `harvest import` of its own output gives the same ledger (a round trip) and
//! ledgers can be merged with exports, duplicates dropped by id.
//!
//! Fee convention: already the ledger's (fees on top); cells are kept as written.

use super::{Cx, Entry, Sheet};
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

pub(crate) fn parse(sheet: &Sheet, cx: &mut Cx) -> Vec<Entry> {
    if header_problems(sheet, cx) {
        return Vec::new();
    }
    let map: Vec<Option<usize>> = LEDGER_COLUMNS.iter().map(|c| sheet.col(&[c])).collect();
    let mut out = Vec::new();
    for row in &sheet.rows {
        if !sheet.check_width(cx, row, 0) {
            continue;
        }
        if row.is_blank() {
            out.push(Entry::skip(row.line, "blank row"));
            continue;
        }
        let f = |i: usize| map[i].map_or(String::new(), |c| row.get(c).to_string());
        let rec = Record {
            id: f(0),
            time: f(1),
            account: f(2),
            kind: f(3),
            sent_qty: f(4),
            sent_asset: f(5),
            received_qty: f(6),
            received_asset: f(7),
            fee_qty: f(8),
            fee_asset: f(9),
            usd_value: f(10),
            fee_usd: f(11),
            txid: f(12),
            note: f(13),
        };
        if rec.id.is_empty() {
            cx.problem(
                row.line,
                Some("id"),
                None,
                "is empty: every ledger row needs a unique id",
            );
            continue;
        }
        out.push(Entry::Rec {
            rows: vec![row.line],
            rec,
        });
    }
    out
}
