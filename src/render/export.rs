//! What each tax program's import can carry of Form 8949. A row with a code in
//! column (f) and an amount in column (g) (a 1099-DA's B, E or T, the simulated
//! W) imported without them would change the gain the program computes, so the
//! return would no longer add up to Schedule D. An export that cannot carry such
//! rows is refused, naming them; a what-if run (`--wash-window`, a simulated
//! rule, or `--late-identification`) is never exported for filing.

use rust_decimal::Decimal;

use super::{GainLine, Lines, money};

/// A tax program's import format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaxSoftware {
    /// TXF V042: capital-gain records of format 4, or 5 with a wash-sale amount.
    Txf,
    /// TurboTax's crypto CSV: amount, asset, dates, proceeds and basis only.
    Turbotax,
    /// TaxAct's CSV, whose documented import has Adjustment Code and Adjustment
    /// Amount columns.
    Taxact,
}

impl TaxSoftware {
    /// The format's name, as `--format` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            TaxSoftware::Txf => "txf",
            TaxSoftware::Turbotax => "turbotax",
            TaxSoftware::Taxact => "taxact",
        }
    }

    /// What the import is, for messages.
    fn what(self) -> &'static str {
        match self {
            TaxSoftware::Txf => "TXF (Tax Exchange Format V042)",
            TaxSoftware::Turbotax => "TurboTax's crypto CSV",
            TaxSoftware::Taxact => "TaxAct's CSV",
        }
    }

    /// Whether a row's code and adjustment survive the import.
    fn carries(self, l: &GainLine<'_>) -> bool {
        if l.adjustment_code.is_empty() && l.adjustment.is_zero() {
            return true;
        }
        match self {
            TaxSoftware::Taxact => !l.adjustment_code.is_empty(),
            // Format 5 has a field for the wash-sale amount only.
            TaxSoftware::Txf => l.adjustment_code == "W",
            TaxSoftware::Turbotax => false,
        }
    }
}

/// Why an export for tax software was refused.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The run is a what-if (a simulated rule, an identification the law does
    /// not allow), not a filing position.
    #[error(
        "--format {format} is refused: {reasons}. That is a what-if, not a filing position; study it with --format table, csv, json or html, and export for filing without it"
    )]
    WhatIf {
        format: &'static str,
        reasons: String,
    },
    /// Rows whose code and adjustment the format has no field for.
    #[error(
        "--format {format}: {what} has no field for Form 8949's code and adjustment (columns (f) and (g)), and {rows} row{s} carr{ies} them: {list}. Imported without them the rows would add up to {imported} instead of {total}, the total of Schedule D. Use --format taxact (which carries them), or import the other rows and enter these on Form 8949 by hand (--format csv lists them with their codes)",
        s = if *rows == 1 { "" } else { "s" },
        ies = if *rows == 1 { "ies" } else { "y" }
    )]
    NoAdjustmentField {
        format: &'static str,
        what: &'static str,
        rows: usize,
        /// The first rows: disposal id, code and adjustment.
        list: String,
        /// Proceeds - basis over every row: what the program would compute.
        imported: String,
        /// Column (h) over every row: what Schedule D adds up.
        total: String,
    },
    /// Collectibles (code C), whose 28% rate the format cannot say.
    #[error(
        "--format {format}: {what} has no field for Form 8949's code C, and {rows} row{s} of collectibles need{n} it: {list}. Imported without it their long-term gain would be taxed at the 0/15/20% rates instead of up to 28% (Schedule D line 18). Use --format taxact (which carries codes), or enter these rows by hand (--format csv lists them)",
        s = if *rows == 1 { "" } else { "s" },
        n = if *rows == 1 { "s" } else { "" }
    )]
    Collectibles {
        format: &'static str,
        what: &'static str,
        rows: usize,
        list: String,
    },
    /// Inherited units sold within a year of the death: long-term by law
    /// (IRC 1223(9)), short-term by the dates a program computes the term from.
    #[error(
        "--format {format}: {what} computes the term from the dates and has no field for inherited property, and {rows} row{s} of inherited units sold within a year of the death would import as short-term instead of long-term (IRC 1223(9)): {list}. Use --format taxact or txf (which carry the term), or enter these rows by hand with \"Inherited\" as the date acquired",
        s = if *rows == 1 { "" } else { "s" }
    )]
    Inherited {
        format: &'static str,
        what: &'static str,
        rows: usize,
        list: String,
    },
}

/// What a tax program's import cannot say about these rows, for stderr: the
/// box (TurboTax's CSV has no box field; TaxAct documents only A-F) and the
/// row limits its help pages state. Empty when nothing needs saying.
pub fn notes(software: TaxSoftware, lines: Lines<'_>) -> Vec<String> {
    let mut out = Vec::new();
    let mut boxes: Vec<(&str, usize)> = Vec::new();
    for l in lines {
        match boxes.iter_mut().find(|b| b.0 == l.box_) {
            Some(b) => b.1 += 1,
            None => boxes.push((l.box_, 1)),
        }
    }
    let spread = boxes
        .iter()
        .map(|(b, n)| format!("{b} ({n})"))
        .collect::<Vec<_>>()
        .join(", ");
    match software {
        TaxSoftware::Turbotax if boxes.len() > 1 => out.push(format!(
            "TurboTax's crypto CSV has no Form 8949 box: these rows belong in boxes {spread}; answer TurboTax's 1099-DA questions box by box, or import one box at a time (gains --format csv shows each row's box)"
        )),
        TaxSoftware::Taxact if boxes.iter().any(|(b, _)| "GHIJKL".contains(*b)) => out.push(format!(
            "TaxAct's documented CSV import names only the securities boxes A-F: check in TaxAct that the rows are in the digital-asset boxes {spread}"
        )),
        _ => {}
    }
    let limit = match software {
        // A third-party report, not Intuit's; TaxAct's help page (2019).
        TaxSoftware::Turbotax => Some(4000),
        TaxSoftware::Taxact => Some(2000),
        TaxSoftware::Txf => None,
    };
    if let Some(n) = limit.filter(|&n| lines.len() > n) {
        out.push(format!(
            "{} rows: {} has been reported to import at most {n} at a time; split the file if the import stops short",
            lines.len(),
            software.what()
        ));
    }
    out
}

/// Checks that `software` can carry every line of a report whose what-if
/// reasons are `what_if` (see [`crate::engine::what_if`]: a what-if is never
/// exported); the error names the rows it cannot carry.
pub fn check(
    software: TaxSoftware,
    lines: Lines<'_>,
    what_if: &[String],
) -> Result<(), ExportError> {
    if !what_if.is_empty() {
        return Err(ExportError::WhatIf {
            format: software.as_str(),
            reasons: what_if.join("; "),
        });
    }
    const SHOWN: usize = 10;
    if software == TaxSoftware::Turbotax {
        let inherited: Vec<GainLine<'_>> = lines
            .iter()
            .filter(|l| l.inherited && crate::tax::term(l.date_acquired, l.date_sold) != l.term)
            .collect();
        if !inherited.is_empty() {
            let mut list: Vec<String> = inherited
                .iter()
                .take(SHOWN)
                .map(|l| format!("disposal {} (lot {})", l.disposal_id, l.lot_id))
                .collect();
            if inherited.len() > SHOWN {
                list.push(format!("and {} more", inherited.len() - SHOWN));
            }
            return Err(ExportError::Inherited {
                format: software.as_str(),
                what: software.what(),
                rows: inherited.len(),
                list: list.join("; "),
            });
        }
    }
    let refused: Vec<GainLine<'_>> = lines.iter().filter(|l| !software.carries(l)).collect();
    if refused.is_empty() {
        return Ok(());
    }
    // Only code C and no amount: the figures add up; the rate does not.
    if refused
        .iter()
        .all(|l| l.adjustment_code == "C" && l.adjustment.is_zero())
    {
        let mut list: Vec<String> = refused
            .iter()
            .take(SHOWN)
            .map(|l| format!("disposal {} (lot {})", l.disposal_id, l.lot_id))
            .collect();
        if refused.len() > SHOWN {
            list.push(format!("and {} more", refused.len() - SHOWN));
        }
        return Err(ExportError::Collectibles {
            format: software.as_str(),
            what: software.what(),
            rows: refused.len(),
            list: list.join("; "),
        });
    }
    let mut list: Vec<String> = refused
        .iter()
        .take(SHOWN)
        .map(|l| {
            format!(
                "disposal {} (lot {}) code {} adjustment {}",
                l.disposal_id,
                l.lot_id,
                if l.adjustment_code.is_empty() {
                    "-"
                } else {
                    &l.adjustment_code
                },
                money(l.adjustment)
            )
        })
        .collect();
    if refused.len() > SHOWN {
        list.push(format!("and {} more", refused.len() - SHOWN));
    }
    let imported: Decimal = lines.iter().map(|l| l.proceeds - l.cost_basis).sum();
    let total: Decimal = lines.iter().map(|l| l.gain).sum();
    Err(ExportError::NoAdjustmentField {
        format: software.as_str(),
        what: software.what(),
        rows: refused.len(),
        list: list.join("; "),
        imported: money(imported),
        total: money(total),
    })
}
