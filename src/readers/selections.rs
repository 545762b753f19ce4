//! The `--selections` file of specific identification: CSV
//! `disposal_id,lot_id,quantity`, one line per lot a disposal sells.

use std::collections::HashMap;
use std::io::Read;

use rust_decimal::Decimal;

use super::{ReadError, column};
use crate::cell::parse_decimal;
use crate::csvread;

/// One line of the selections file.
#[derive(Debug, Clone)]
pub struct Selection {
    pub lot_id: String,
    pub qty: Decimal,
    pub line: u64,
}

/// Selections by disposal id, in file order.
#[derive(Debug, Clone, Default)]
pub struct Selections {
    pub file: String,
    pub by_disposal: HashMap<String, Vec<Selection>>,
}

impl Selections {
    /// Reads a selections CSV (header `disposal_id,lot_id,quantity`, any order).
    pub fn read<R: Read>(input: R, file: &str) -> Result<Selections, ReadError> {
        let err = |line: u64, what: String| ReadError::Selections {
            file: file.to_string(),
            line,
            what,
        };
        let mut table = csvread::Table::new(std::io::BufReader::new(input));
        let headers = table.header().map_err(|e| err(e.line(), e.to_string()))?;
        let pos = |n: &str| column(&headers, n);
        let (Some(d), Some(l), Some(q)) = (pos("disposal_id"), pos("lot_id"), pos("quantity"))
        else {
            return Err(err(
                1,
                "the header must name disposal_id,lot_id,quantity".to_string(),
            ));
        };
        let mut out = Selections {
            file: file.to_string(),
            by_disposal: HashMap::new(),
        };
        while let Some((line, rec)) = table.next_row().map_err(|e| err(e.line(), e.to_string()))? {
            let get = |i: usize| crate::cell::unprotect(rec.get(i).copied().unwrap_or(""));
            let qty = parse_decimal(get(q))
                .map_err(|p| err(line, format!("column quantity {:?}: {p}", get(q))))?;
            if qty.is_zero() {
                return Err(err(line, "column quantity: must be positive".to_string()));
            }
            if get(d).is_empty() || get(l).is_empty() {
                return Err(err(line, "disposal_id and lot_id are required".to_string()));
            }
            out.by_disposal
                .entry(get(d).to_string())
                .or_default()
                .push(Selection {
                    lot_id: get(l).to_string(),
                    qty,
                    line,
                });
        }
        Ok(out)
    }
}
