//! Errors found while reading a normalized ledger: each names the file, the line,
//! the column and the value, and says what to do.

use std::fmt;
use std::sync::Arc;

use crate::time::TimeError;

/// Everything that can be wrong with one ledger input.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("{file}: cannot read: {source}")]
    Io {
        file: Arc<str>,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{file}: the file is empty: a ledger starts with a header line naming its columns ({})",
        crate::model::LEDGER_COLUMNS.join(",")
    )]
    Empty { file: Arc<str> },
    #[error(
        "{file}:1: missing required column `{column}`: a ledger header must name id, time, account and kind"
    )]
    MissingColumn {
        file: Arc<str>,
        column: &'static str,
    },
    #[error("{file}:1: column `{column}` appears twice (columns {first} and {second}): remove one")]
    DuplicateColumn {
        file: Arc<str>,
        column: String,
        first: usize,
        second: usize,
    },
    #[error(
        "{file}:1: unknown column `{column}` (column {index}): a ledger has only the columns {}; rename or remove it",
        crate::model::LEDGER_COLUMNS.join(",")
    )]
    UnknownColumn {
        file: Arc<str>,
        column: String,
        index: usize,
    },
    /// The header is not readable as CSV (a quote in it never closed).
    #[error("{file}:{line}: {message}")]
    Csv {
        file: Arc<str>,
        line: u64,
        message: String,
    },
    #[error("{}", render_rows(.errors, *.more))]
    BadRows {
        /// The first errors found, in file order.
        errors: Vec<RowError>,
        /// How many more were found but not kept.
        more: usize,
    },
}

fn render_rows(errors: &[RowError], more: usize) -> String {
    let mut s = format!(
        "{} bad cell{} in the ledger; fix them and run again:",
        errors.len() + more,
        if errors.len() + more == 1 { "" } else { "s" }
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

/// One bad cell (or row) of a ledger file.
#[derive(Debug, Clone)]
pub struct RowError {
    pub file: Arc<str>,
    pub line: u64,
    /// The column's header name, when the problem is one cell.
    pub column: Option<&'static str>,
    /// The cell's text, shortened for display.
    pub value: Option<String>,
    pub problem: Problem,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)?;
        if let Some(c) = self.column {
            write!(f, ": column {c}")?;
        }
        if let Some(v) = &self.value {
            write!(f, " {v:?}")?;
        }
        write!(f, ": {}", self.problem)
    }
}

/// What is wrong with a cell or row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("is required and empty")]
    Missing,
    #[error(
        "unknown kind: use one of buy, sell, trade, deposit, withdrawal, income, spend, fee, gift-in, gift-out, donation, inheritance, lost"
    )]
    UnknownKind,
    #[error(
        "unknown category: income rows take staking, mining, reward, airdrop, interest, fork or other; lost rows lost, theft or scam; donations public or private"
    )]
    UnknownCategory,
    #[error(
        "does not fit a {0} row: income rows take staking, mining, reward, airdrop, interest, fork or other; lost rows lost, theft or scam; donations public or private; other kinds none"
    )]
    CategoryNotForKind(crate::model::Kind),
    #[error(
        "is empty: a donation needs category public (a public charity) or private (a private non-operating foundation), which decides the deduction"
    )]
    DonationWithoutCategory,
    #[error(
        "is not used by a {0} row: basis_usd and acquired carry a basis from outside the ledger into a deposit, gift-in or inheritance row; leave them empty"
    )]
    CarriedBasisNotForKind(crate::model::Kind),
    #[error(
        "is needed: a {0} row carrying a basis gives both basis_usd and acquired (a gift-in: the donor's basis and date; an inheritance: the fair value at death and the date of death)"
    )]
    CarriedBasisHalf(crate::model::Kind),
    #[error("{0}")]
    Number(#[from] crate::cell::NumberProblem),
    #[error("is zero: a crypto quantity must be positive (only a USD amount or a fee may be zero)")]
    ZeroQuantity,
    #[error("names an asset without a quantity: fill in {0}")]
    AssetWithoutQuantity(&'static str),
    #[error("has a quantity without an asset: fill in {0}")]
    QuantityWithoutAsset(&'static str),
    #[error("{0}")]
    Time(#[from] TimeError),
    #[error("duplicate id: already used at {0}; every row needs its own id")]
    DuplicateId(String),
    #[error("is already used by a different row at {0}; give one of them a new id")]
    IdConflict(String),
    #[error("is not valid UTF-8 text: save the file as UTF-8")]
    NotUtf8,
    #[error("{0}")]
    Shape(String),
    #[error("the row has {found} fields but the header has {expected}: check quoting and commas")]
    FieldCount { found: usize, expected: usize },
    #[error(
        "is past line 4,294,967,295: harvest holds a ledger's rows in memory, and one this long \
         would not fit; split it into files by year or by account"
    )]
    TooManyLines,
    /// The record is not a row: a quote left open, or closed too late.
    #[error("{0}")]
    Csv(String),
}
