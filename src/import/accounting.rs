//! The accounting of every input row: what a format made of each row (a ledger
//! row or a skip with its reason), the per-file counts (read = used + skipped +
//! duplicates), the bad rows a format reports, and the errors that stop a file.

use std::collections::BTreeMap;

use crate::model::Record;

use super::cx::Cx;
use super::duplicates::Superseded;
use super::format::{Format, PREAMBLE_ROWS};

/// The accounting of one input file: `read = used + skipped + duplicates`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportStats {
    /// Data rows read below the header.
    pub read: usize,
    /// Ledger rows written.
    pub written: usize,
    /// Input rows skipped, by reason.
    pub skipped: BTreeMap<String, usize>,
    /// Input rows dropped because the same exchange row was already imported.
    pub duplicates: usize,
    /// Input rows that became (part of) a ledger row; several rows of one trade
    /// make one ledger row.
    pub used: usize,
    /// The first input line skipped for each reason, to find it in the file.
    pub first_skipped: BTreeMap<String, u64>,
}

impl ImportStats {
    /// Writes the per-file account of rows (for stderr): read, used, written,
    /// skipped by reason, duplicates dropped.
    pub fn write_account(
        &self,
        w: &mut dyn std::io::Write,
        file: &str,
        format: Format,
    ) -> std::io::Result<()> {
        let s = self;
        writeln!(w, "{file}: format {format}")?;
        writeln!(w, "  rows read:           {}", s.read)?;
        writeln!(w, "  rows used:           {}", s.used)?;
        writeln!(w, "  ledger rows written: {}", s.written)?;
        writeln!(w, "  rows skipped:        {}", s.skipped_total())?;
        for (reason, n) in &s.skipped {
            match s.first_skipped.get(reason) {
                Some(line) => writeln!(w, "    {n:>5}  {reason} (first at line {line})")?,
                None => writeln!(w, "    {n:>5}  {reason}")?,
            }
        }
        writeln!(w, "  duplicates dropped:  {}", s.duplicates)
    }

    /// Rows skipped for any reason.
    pub fn skipped_total(&self) -> usize {
        self.skipped.values().sum()
    }

    /// Counts a ledger row given up for a later file's copy as a duplicate.
    pub fn supersede(&mut self, s: &Superseded) {
        self.written -= s.ids.len();
        self.used -= s.rows;
        self.duplicates += s.rows;
    }
}

/// One bad cell or row of an input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    pub line: u64,
    pub column: Option<String>,
    pub value: Option<String>,
    pub problem: String,
}

/// Why an input could not be imported. Every message names the file and line.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(
        "{file}:{line}: unknown export format (header seen: {header:?}); known formats: {known}; \
         pass --format NAME if the file is one of them"
    )]
    UnknownFormat {
        file: String,
        line: u64,
        header: String,
        known: String,
    },
    #[error(
        "{file}:{line}: no {format} header found in the first {PREAMBLE_ROWS} rows (first row \
         seen: {header:?}); check --format (known formats: {known})"
    )]
    HeaderNotFound {
        file: String,
        line: u64,
        format: Format,
        header: String,
        known: String,
    },
    #[error(
        "{file}: the file is empty: give a ledger (header line {}) or an exchange export \
         (known formats: {known})",
        crate::model::LEDGER_COLUMNS.join(",")
    )]
    Empty { file: String, known: String },
    /// A quote left open, or closed by a quote rows further on.
    #[error(
        "{file}:{line}: {}{problem}",
        column.as_ref().map_or(String::new(), |c| format!("column {c}: "))
    )]
    Quoting {
        file: String,
        line: u64,
        /// The cell's index in its row, and its column's name when known.
        field: usize,
        column: Option<String>,
        problem: String,
    },
    #[error("{file}:{line}: not readable as CSV: {message}")]
    Csv {
        file: String,
        line: u64,
        message: String,
    },
    #[error("{file}: {}", list_problems(file, problems, *more))]
    BadRows {
        file: String,
        problems: Vec<RowProblem>,
        more: usize,
    },
    #[error(
        "{file}: internal error: {read} rows read but {used} used + {skipped} skipped + \
         {duplicates} duplicates; please report this"
    )]
    Unaccounted {
        file: String,
        read: usize,
        used: usize,
        skipped: usize,
        duplicates: usize,
    },
}

impl ImportError {
    /// Names the column of a quoting error, from the header's cells.
    pub(super) fn in_column_of(self, header: Option<&[String]>) -> ImportError {
        match self {
            ImportError::Quoting {
                file,
                line,
                field,
                problem,
                ..
            } => ImportError::Quoting {
                file,
                line,
                field,
                column: header.and_then(|h| h.get(field)).cloned(),
                problem,
            },
            e => e,
        }
    }
}

/// The bad rows, one line each: a row's problems are joined on its line, and
/// the count is of rows (problems of one row are adjacent: sorted by line).
fn list_problems(file: &str, problems: &[RowProblem], more: usize) -> String {
    let rows = problems
        .iter()
        .enumerate()
        .filter(|(i, p)| *i == 0 || problems[i - 1].line != p.line)
        .count();
    let mut s = format!(
        "{} bad row(s); fix them (or remove the rows) and import again",
        rows + more
    );
    for (i, p) in problems.iter().enumerate() {
        if i > 0 && problems[i - 1].line == p.line {
            s.push_str("; ");
        } else {
            s.push_str(&format!("\n  {file}:{}: ", p.line));
        }
        if let Some(c) = &p.column {
            s.push_str(&format!("column {c} "));
        }
        if let Some(v) = &p.value {
            s.push_str(&format!("{v:?} "));
        }
        s.push_str(&p.problem);
    }
    if more > 0 {
        s.push_str(&format!("\n  ... and {more} more"));
    }
    s
}

/// What a format made of its rows.
pub(crate) enum Entry {
    /// A ledger row made from the input rows at these lines.
    Rec { rows: Vec<u64>, rec: Record },
    /// A further ledger row from rows another `Rec` already accounts for (a
    /// second fee asset on a Kraken trade).
    Extra { row: u64, rec: Record },
    /// An input row that does not become a ledger row, and why.
    Skip { row: u64, reason: String },
}

impl Entry {
    pub fn skip(row: u64, reason: impl Into<String>) -> Entry {
        Entry::Skip {
            row,
            reason: reason.into(),
        }
    }
}

/// At most this many bad rows are listed; the rest are counted.
pub(super) const MAX_PROBLEMS: usize = 50;

// The bad rows of a file, as its format reports them while reading it: the
// list an [`ImportError::BadRows`] gives.
impl Cx<'_, '_> {
    /// Records a problem with a row; the file fails after all rows are read.
    pub fn problem(
        &mut self,
        line: u64,
        column: Option<&str>,
        value: Option<&str>,
        problem: impl Into<String>,
    ) {
        self.record(line, column, value, problem.into(), false);
    }

    /// Records a cell whose text cannot be read (a number, a time).
    pub(super) fn bad_cell(
        &mut self,
        line: u64,
        column: &str,
        value: &str,
        problem: impl Into<String>,
    ) {
        self.record(line, Some(column), Some(value), problem.into(), true);
    }

    /// Each bad row is listed once: a second unreadable cell joins its row; a
    /// problem repeated (the same rate missing for a trade's second leg), or
    /// following from a cell already found unreadable (the amount then reads
    /// as empty, the row as unvalued), is not listed again.
    fn record(
        &mut self,
        line: u64,
        column: Option<&str>,
        value: Option<&str>,
        problem: String,
        unreadable: bool,
    ) {
        self.reported += 1;
        if !unreadable && self.unreadable.contains(&line) {
            return;
        }
        if unreadable {
            self.unreadable.insert(line);
        }
        let value = value.map(shorten);
        let mut row = self.problems.iter().filter(|p| p.line == line).peekable();
        if row.peek().is_none() {
            if self.listed >= MAX_PROBLEMS || self.more.contains(&line) {
                self.more.insert(line);
                return;
            }
            self.listed += 1;
        } else if row
            .any(|p| p.column.as_deref() == column && p.value == value && p.problem == problem)
        {
            return;
        }
        self.problems.push(RowProblem {
            line,
            column: column.map(str::to_string),
            value,
            problem,
        });
    }

    /// How many problems were reported so far (to tell whether one row added any).
    pub fn problem_count(&self) -> usize {
        self.reported
    }

    /// True once any problem was reported.
    pub fn failed(&self) -> bool {
        self.reported > 0
    }
}

pub(super) fn shorten(s: &str) -> String {
    const MAX: usize = 160;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let t: String = s.chars().take(MAX).collect();
        format!("{t}...")
    }
}

#[cfg(test)]
mod tests {
    use super::super::ImportOptions;
    use super::*;

    // Issue 14 item 13: a bad row is listed once and counted once. Two cells of
    // it that cannot be read are both named on its line; a problem repeated, or
    // one that follows from a cell already unreadable, is not listed again.
    #[test]
    fn each_bad_row_is_listed_once() {
        let opts = ImportOptions {
            account: None,
            prices: None,
            tz: chrono_tz::Tz::UTC,
        };
        let mut cx = Cx::new(&opts, "x".into(), Format::Koinly);
        cx.bad_cell(3, "Amount", "abc", "is not a number");
        cx.problem(3, Some("Amount"), None, "is empty on a trade");
        cx.problem(3, None, None, "no USD value for this row");
        cx.bad_cell(3, "Fee", "x", "is not a number");
        cx.problem(5, None, Some("CHF"), "add a CHF rate");
        cx.problem(5, None, Some("CHF"), "add a CHF rate");
        assert_eq!(cx.problem_count(), 6);
        let text = list_problems("f.csv", &cx.problems, cx.more.len());
        assert_eq!(
            text,
            "2 bad row(s); fix them (or remove the rows) and import again\n  \
             f.csv:3: column Amount \"abc\" is not a number; column Fee \"x\" is not a number\n  \
             f.csv:5: \"CHF\" add a CHF rate"
        );
        // Past the rows listed, further rows are counted once each.
        for line in 10..70 {
            cx.bad_cell(line, "Amount", "abc", "is not a number");
            cx.bad_cell(line, "Fee", "abc", "is not a number");
        }
        assert_eq!(cx.listed, MAX_PROBLEMS);
        let text = list_problems("f.csv", &cx.problems, cx.more.len());
        assert!(text.starts_with("62 bad row(s)"), "{text}");
        assert!(text.ends_with("... and 12 more"), "{text}");
    }
}
