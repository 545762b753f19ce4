//! Cells: the lowest layer of the pipeline. How a text cell is protected against
//! spreadsheet formulas and read back, how money, quantities and prices are
//! written, and how an exact decimal is read. Every reader (the ledger, the
//! importers, the price, selections, allocation and 1099-DA files) and every
//! writer uses these; this module uses nothing of the crate.

mod number;
mod text;

pub use number::{
    IsoDate, MAX_AMOUNT, Money, NumberProblem, Qty, UsDate, cents, money, order_key, parse_decimal,
    price, push_iso_date, push_money, push_price, push_qty, qty,
};
pub use text::{csv_needs_quotes, first_csv_cell, push_csv_cell, safe_text, trim, unprotect};
