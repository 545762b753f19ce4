//! USD prices from `--prices`: CSV `time,asset,price` (a price in force from that
//! time on) or `asset,price` (a current price).
//!
//! A price without a time is only used to value holdings (lots, scan), never to
//! value a ledger row: applying today's price to a trade of years ago would be a
//! silent error, so such a row asks for a dated price instead.

use std::collections::HashMap;
use std::io::Read;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;

use crate::cell::parse_decimal;
use crate::csvread;
use crate::time::parse_time;

/// Why a price file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PriceError {
    #[error("{file}: cannot read: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{file}:1: a price file needs the columns time,asset,price or asset,price (found {found:?})"
    )]
    Header { file: String, found: String },
    #[error("{file}:{line}: {message}")]
    Csv {
        file: String,
        line: u64,
        message: String,
    },
    #[error("{file}:{line}: column {column} {value:?}: {problem}")]
    Cell {
        file: String,
        line: u64,
        column: &'static str,
        value: String,
        problem: String,
    },
}

/// Prices per asset, sorted by time. Asset names are matched case-insensitively.
#[derive(Debug, Clone, Default)]
pub struct PriceTable {
    by_asset: HashMap<String, Vec<(DateTime<Utc>, Decimal)>>,
    current: HashMap<String, Decimal>,
}

impl PriceTable {
    /// Reads a price CSV; bare dates are midnight in `tz`.
    pub fn read<R: Read>(input: R, file: &str, tz: Tz) -> Result<PriceTable, PriceError> {
        let mut rdr = csvread::Reader::new(std::io::BufReader::new(input));
        let mut rec = csvread::Record::default();
        let err = |e: csvread::CsvError| match e {
            csvread::CsvError::Io(source) => PriceError::Io {
                file: file.to_string(),
                source,
            },
            e => PriceError::Csv {
                file: file.to_string(),
                line: e.line(),
                message: e.to_string(),
            },
        };
        let names: Vec<String> = if rdr.read(&mut rec).map_err(err)? {
            rec.iter()
                .map(|h| {
                    let h = String::from_utf8_lossy(h);
                    h.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
                        .to_ascii_lowercase()
                })
                .collect()
        } else {
            Vec::new()
        };
        rdr.set_row_width(names.len());
        let pos = |n: &str| names.iter().position(|h| h == n);
        let (t, a, p) = match (pos("time"), pos("asset"), pos("price")) {
            (t, Some(a), Some(p)) if names.len() == 2 + usize::from(t.is_some()) => (t, a, p),
            _ => {
                return Err(PriceError::Header {
                    file: file.to_string(),
                    found: names.join(","),
                });
            }
        };
        let mut table = PriceTable::default();
        while rdr.read(&mut rec).map_err(err)? {
            let line = rec.line();
            let rec = rec.text().map_err(|i| PriceError::Csv {
                file: file.to_string(),
                line,
                message: format!(
                    "column {}: is not UTF-8 text: save the file as UTF-8",
                    i + 1
                ),
            })?;
            let get = |i: usize| rec.get(i).unwrap_or("").trim();
            let cell = |column: &'static str, value: &str, problem: String| PriceError::Cell {
                file: file.to_string(),
                line,
                column,
                value: value.to_string(),
                problem,
            };
            let when = match t {
                Some(i) => {
                    let v = get(i);
                    Some(parse_time(v, tz).map_err(|e| cell("time", v, e.to_string()))?)
                }
                None => None,
            };
            let asset = get(a);
            if asset.is_empty() {
                return Err(cell("asset", asset, "is required and empty".into()));
            }
            let pv = get(p);
            let price = parse_decimal(pv).map_err(|e| cell("price", pv, e.to_string()))?;
            match when {
                Some(w) => table
                    .by_asset
                    .entry(asset.to_ascii_uppercase())
                    .or_default()
                    .push((w, price)),
                None => {
                    table.current.insert(asset.to_ascii_uppercase(), price);
                }
            }
        }
        for v in table.by_asset.values_mut() {
            v.sort_by_key(|&(t, _)| t);
        }
        Ok(table)
    }

    /// Adds one price (for tests and for callers that build tables in code).
    pub fn insert(&mut self, asset: &str, when: DateTime<Utc>, price: Decimal) {
        let v = self.by_asset.entry(asset.to_ascii_uppercase()).or_default();
        let at = v.partition_point(|&(t, _)| t <= when);
        v.insert(at, (when, price));
    }

    /// The latest dated price of `asset` at or before `when`: for valuing rows.
    pub fn at(&self, asset: &str, when: DateTime<Utc>) -> Option<Decimal> {
        self.at_time(asset, when).map(|(_, p)| p)
    }

    /// [`PriceTable::at`] with the time the price is for, so that a caller can
    /// tell how old it is.
    pub fn at_time(&self, asset: &str, when: DateTime<Utc>) -> Option<(DateTime<Utc>, Decimal)> {
        let v = self.by_asset.get(&asset.to_ascii_uppercase())?;
        let n = v.partition_point(|&(t, _)| t <= when);
        n.checked_sub(1).map(|i| v[i])
    }

    /// The price to value holdings at `when`: the undated (current) price when the
    /// file has one for `asset`, else the latest dated price at or before `when`.
    pub fn valuation(&self, asset: &str, when: DateTime<Utc>) -> Option<Decimal> {
        self.current
            .get(&asset.to_ascii_uppercase())
            .copied()
            .or_else(|| self.at(asset, when))
    }

    /// True when no price was read.
    pub fn is_empty(&self) -> bool {
        self.by_asset.is_empty() && self.current.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_price_at_or_before() {
        let t = PriceTable::read(
            "time,asset,price\n2025-01-01,BTC,100\n2025-01-03,btc,300\n".as_bytes(),
            "p.csv",
            Tz::UTC,
        )
        .unwrap();
        let at = |s| t.at("BTC", parse_time(s, Tz::UTC).unwrap());
        assert_eq!(at("2024-12-31T23:59:59Z"), None);
        assert_eq!(at("2025-01-01T00:00:00Z"), Some(Decimal::from(100)));
        assert_eq!(at("2025-01-02T12:00:00Z"), Some(Decimal::from(100)));
        assert_eq!(at("2025-01-03T00:00:01Z"), Some(Decimal::from(300)));
    }

    #[test]
    fn undated_prices_value_holdings_but_not_rows() {
        let t = PriceTable::read("asset,price\nETH,2000.5\n".as_bytes(), "p.csv", Tz::UTC).unwrap();
        assert_eq!(t.valuation("eth", Utc::now()), Some(Decimal::new(20005, 1)));
        assert_eq!(t.at("eth", Utc::now()), None);
    }

    // README: CRLF and mixed line endings read like plain LF, so the line named
    // is the editor's; RFC 4180 section 2.5-2.7: a quote never closed is an
    // error at its line, not a file cut short.
    #[test]
    fn crlf_lines_and_a_quote_never_closed() {
        for text in [
            "time,asset,price\r\n2025-01-01,BTC,1\r\n\r\n2025-01-02,BTC,abc\r\n",
            "time,asset,price\n2025-01-01,BTC,1\r\n\n2025-01-02,BTC,abc",
        ] {
            let e = PriceTable::read(text.as_bytes(), "p.csv", Tz::UTC).unwrap_err();
            assert!(
                e.to_string().starts_with("p.csv:4: column price \"abc\""),
                "{e}"
            );
        }
        let e = PriceTable::read(
            "time,asset,price\n2025-01-01,BTC,\"1\n2025-01-02,BTC,2\n".as_bytes(),
            "p.csv",
            Tz::UTC,
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("p.csv:2: a quote (\") opens a cell on this line and is never closed"),
            "{e}"
        );
    }

    #[test]
    fn bad_cells_name_the_line() {
        let e =
            PriceTable::read("asset,price\nETH,abc\n".as_bytes(), "p.csv", Tz::UTC).unwrap_err();
        assert!(
            e.to_string().starts_with("p.csv:2: column price \"abc\""),
            "{e}"
        );
    }
}
