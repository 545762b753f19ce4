//! The `--allocation` file: a Rev. Proc. 2024-28 allocation written by `harvest
//! allocation` and given back, `asset,wallet,lot_id,quantity` and optionally
//! `basis,acquired,as_of,rule`.

use std::io::Read;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{ReadError, column};
use crate::cell::parse_decimal;
use crate::csvread;

/// One line of a frozen allocation file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrozenLine {
    pub line: u64,
    pub asset: String,
    pub wallet: String,
    pub lot_id: String,
    pub qty: Decimal,
    pub basis: Option<Decimal>,
}

/// An allocation written by `harvest allocation` and given back with
/// `--allocation FILE`: it is irrevocable, so later runs reuse it as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrozenAllocation {
    pub file: String,
    /// The `as_of` column, when present (one date for the whole file).
    pub as_of: Option<NaiveDate>,
    pub lines: Vec<FrozenLine>,
}

impl FrozenAllocation {
    /// Reads an allocation CSV: `asset,wallet,lot_id,quantity` (any order), and
    /// optionally `basis`, `acquired`, `as_of`, `rule` as `harvest allocation`
    /// writes them.
    pub fn read<R: Read>(input: R, file: &str) -> Result<FrozenAllocation, ReadError> {
        let err = |line: u64, message: String| ReadError::Allocation {
            file: file.to_string(),
            line,
            message,
        };
        let mut table = csvread::Table::new(std::io::BufReader::new(input));
        let headers = table.header().map_err(|e| err(e.line(), e.to_string()))?;
        let pos = |n: &str| column(&headers, n);
        const KNOWN: [&str; 8] = [
            "asset", "wallet", "lot_id", "quantity", "basis", "acquired", "as_of", "rule",
        ];
        if let Some(h) = headers.iter().find(|h| {
            !KNOWN
                .iter()
                .any(|k| h.trim_start_matches('\u{feff}').eq_ignore_ascii_case(k))
        }) {
            return Err(err(
                1,
                format!(
                    "unknown column {h:?}; an allocation file has the columns {}",
                    KNOWN.join(",")
                ),
            ));
        }
        let (Some(a), Some(w), Some(l), Some(q)) =
            (pos("asset"), pos("wallet"), pos("lot_id"), pos("quantity"))
        else {
            return Err(err(
                1,
                "the header must name asset,wallet,lot_id,quantity (as harvest allocation writes it)"
                    .to_string(),
            ));
        };
        let (b, d) = (pos("basis"), pos("as_of"));
        let mut out = FrozenAllocation {
            file: file.to_string(),
            as_of: None,
            lines: Vec::new(),
        };
        while let Some((line, rec)) = table.next_row().map_err(|e| err(e.line(), e.to_string()))? {
            let get = |i: usize| crate::cell::unprotect(rec.get(i).copied().unwrap_or(""));
            let qty = parse_decimal(get(q))
                .map_err(|p| err(line, format!("column quantity {:?}: {p}", get(q))))?;
            if qty <= Decimal::ZERO {
                return Err(err(line, "column quantity: must be positive".to_string()));
            }
            let basis = match b.map(get).filter(|s| !s.is_empty()) {
                Some(s) => Some(
                    parse_decimal(s).map_err(|p| err(line, format!("column basis {s:?}: {p}")))?,
                ),
                None => None,
            };
            if let Some(s) = d.map(get).filter(|s| !s.is_empty()) {
                let date = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
                    err(line, format!("column as_of {s:?}: not a date (YYYY-MM-DD)"))
                })?;
                match out.as_of {
                    Some(prev) if prev != date => {
                        return Err(err(
                            line,
                            format!(
                                "column as_of {s:?}: the file already says {prev}; one allocation per file"
                            ),
                        ));
                    }
                    _ => out.as_of = Some(date),
                }
            }
            let (asset, wallet, lot_id) = (get(a), get(w), get(l));
            if asset.is_empty() || wallet.is_empty() || lot_id.is_empty() {
                return Err(err(
                    line,
                    "asset, wallet and lot_id are required".to_string(),
                ));
            }
            out.lines.push(FrozenLine {
                line,
                asset: asset.to_string(),
                wallet: wallet.to_string(),
                lot_id: lot_id.to_string(),
                qty,
                basis,
            });
        }
        Ok(out)
    }
}
