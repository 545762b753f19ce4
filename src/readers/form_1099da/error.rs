//! Errors of 1099-DA reconciliation: a broker file that cannot be read, and a
//! broker row that names an account the ledger does not have. Each names the
//! file, the line (and for a cell, the column number and name) and says what to
//! do.

use std::fmt;
use std::sync::Arc;

/// Everything that can be wrong with a 1099-DA file or its use.
#[derive(Debug, thiserror::Error)]
pub enum DaError {
    /// The file has no header line.
    #[error(
        "{file}: the file is empty: a 1099-DA CSV starts with a header line naming its columns (account,asset,units,date_sold,proceeds,...; see docs/1099DA.md)"
    )]
    Empty { file: Arc<str> },
    /// A required column is absent from the header.
    #[error(
        "{file}:1: missing required column `{column}` (also accepted as {aliases}): add it to the header{hint}"
    )]
    MissingColumn {
        file: Arc<str>,
        column: &'static str,
        aliases: String,
        hint: &'static str,
    },
    /// Two header cells name the same field.
    #[error(
        "{file}:1:{second}: column `{column}` is given twice (columns {first} and {second}): remove one"
    )]
    DuplicateColumn {
        file: Arc<str>,
        column: &'static str,
        first: usize,
        second: usize,
    },
    /// A header cell names no known field.
    #[error(
        "{file}:1:{index}: unknown column `{column}`: a 1099-DA CSV has the columns {known} (or the box numbers 1a-1i, 2, 6, 9 and the other boxes of the form, which are read and ignored); rename or remove it"
    )]
    UnknownColumn {
        file: Arc<str>,
        column: String,
        index: usize,
        known: String,
    },
    /// The file is not CSV at some point.
    #[error("{file}:{line}: cannot be read as CSV: {message}: check quoting and commas")]
    Csv {
        file: Arc<str>,
        line: u64,
        message: String,
    },
    /// A quote left open, or closed by a quote rows further on.
    #[error("{file}:{line}: {problem}")]
    Quoting {
        file: Arc<str>,
        line: u64,
        problem: String,
    },
    /// Bad cells, collected over the whole file.
    #[error("{}", render_cells(.errors, *.more))]
    BadCells {
        /// The first errors found, in file order.
        errors: Vec<CellError>,
        /// How many more were found but not kept.
        more: usize,
    },
    /// A broker row names an account that no ledger row has.
    #[error(
        "{file}:{line}: account `{account}` is not in the ledger (its accounts: {known}): write the ledger's account name in the account column, or give the file as --1099da ACCOUNT=FILE"
    )]
    UnknownAccount {
        file: Arc<str>,
        line: u64,
        account: String,
        known: String,
    },
    /// A broker row sold outside the tax year asked for.
    #[error(
        "{file}:{line}: sold on {date}, outside tax year {year}: give the 1099-DA for {year}, or run with --year {other}"
    )]
    OutsideYear {
        file: Arc<str>,
        line: u64,
        date: chrono::NaiveDate,
        year: i32,
        other: i32,
    },
}

fn render_cells(errors: &[CellError], more: usize) -> String {
    let n = errors.len() + more;
    let mut s = format!(
        "{n} bad cell{} in the 1099-DA file; fix {} and run again:",
        if n == 1 { "" } else { "s" },
        if n == 1 { "it" } else { "them" }
    );
    for e in errors {
        s.push_str("\n  ");
        s.push_str(&e.to_string());
    }
    if more > 0 {
        s.push_str(&format!("\n  ... and {more} more"));
    }
    s
}

/// One bad cell (or row) of a 1099-DA file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellError {
    pub file: Arc<str>,
    pub line: u64,
    /// The 1-based column number and the column's name as the header writes
    /// it, when the problem is one cell.
    pub column: Option<(usize, String)>,
    /// The cell's text, shortened for display.
    pub value: Option<String>,
    /// What is wrong and what to do.
    pub problem: String,
}

impl fmt::Display for CellError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)?;
        if let Some((n, name)) = &self.column {
            write!(f, ":{n}: column `{name}`")?;
        }
        if let Some(v) = &self.value {
            write!(f, " {v:?}")?;
        }
        write!(f, ": {}", self.problem)
    }
}
